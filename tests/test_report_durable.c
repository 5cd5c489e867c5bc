/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab report` stopped or killed while it draws (issue 18, items 18
 * and 19): the new report is made beside the old one and swapped in at the
 * end, so the old index.html and its plots stay whole until then; SIGINT
 * and SIGTERM kill its gnuplot processes and exit 130 / 143, and gnuplot
 * dies with it even on SIGKILL; only the plots resetlab made are ever
 * removed from plots/. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable_fixture.h"
#include "helpers.h"

DURABLE_SUITE(report_durable, "/tmp/resetlab-report-durable", 180)

/* DIR/run: a session with failing cells (so plots), and a copy of its
 * report in DIR/before to compare with. */
static void run_with_a_report(void)
{
    char args[1024], cmd[1400];
    snprintf(args, sizeof args,
             "run --board devkitc --host native-linux --host vm-usb-passthrough --iterations 200 --out %s/run", dir);
    cli_ok(args);
    snprintf(cmd, sizeof cmd, "mkdir %s/before && cp -a %s/run/index.html %s/run/plots %s/before/", dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void expect_report_as_before(void)
{
    char a[600], b[600];
    cr_expect(same_bytes(in_dir("before/index.html", a, sizeof a), in_dir("run/index.html", b, sizeof b)),
              "index.html changed");
    int plots = same_folder(in_dir("before/plots", a, sizeof a), in_dir("run/plots", b, sizeof b));
    cr_expect_gt(plots, 2, "plots/ changed (%d: -1 when they differ)", plots);
    cr_expect(!file_exists(in_dir("run/.plots.new", a, sizeof a)), "the staged plots were left");
    cr_expect(!file_exists(in_dir("run/.index.html.tmp", a, sizeof a)), "the page's temporary file was left");
}

/* `resetlab report --out DIR/run`, stopped by `sig` while gnuplot draws;
 * returns its wait status. */
static int report_stopped_by(int sig, double *took)
{
    char script[600], pids[600], env[700], args[1024], err_path[600];
    in_dir("stall.sh", script, sizeof script);
    write_stalling_gnuplot(script, in_dir("gp.pids", pids, sizeof pids));
    unlink(pids);
    snprintf(env, sizeof env, "RESETLAB_GNUPLOT=%s", script);
    snprintf(args, sizeof args, "report --out %s/run", dir);
    pid_t pid = start_resetlab(args, env, in_dir("report.err", err_path, sizeof err_path));
    wait_for_pid(pids, 60);
    double t0 = now_s();
    kill(pid, sig);
    int st = wait_exit(pid);
    *took = now_s() - t0;
    return st;
}

/* SIGTERM while drawing: gnuplot killed and waited for, exit 143 at once,
 * the old report untouched (it used to be emptied of its plots first). */
Test(report_durable, sigterm_leaves_the_old_report_whole_and_no_gnuplot)
{
    char path[600];
    double took;
    run_with_a_report();
    int st = report_stopped_by(SIGTERM, &took);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 143, "status %d", st);
    cr_expect_lt(took, 5.0, "%.1f s to stop (gnuplot stalls for 30 s)", took);
    cr_expect_eq(alive_after(in_dir("gp.pids", path, sizeof path), 0), 0, "gnuplot outlived resetlab");
    char *text = slurp(in_dir("report.err", path, sizeof path), NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "resetlab: report: interrupted: the report in ") && strchr(text, '\n') == strrchr(text, '\n'),
              "%s", text);
    free(text);
    expect_report_as_before();
}

/* SIGINT: the same, 130. */
Test(report_durable, sigint_exits_130)
{
    char path[600];
    double took;
    run_with_a_report();
    int st = report_stopped_by(SIGINT, &took);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %d", st);
    cr_expect_eq(alive_after(in_dir("gp.pids", path, sizeof path), 0), 0, "gnuplot outlived resetlab");
    expect_report_as_before();
}

/* SIGKILL: nothing runs in resetlab, but gnuplot dies with it, and the
 * old report is still whole; the next report puts the folder right and
 * writes the same page again. */
Test(report_durable, sigkill_leaves_the_old_report_and_the_next_one_tidies)
{
    char path[600], args[1024];
    double took;
    run_with_a_report();
    int st = report_stopped_by(SIGKILL, &took);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %d", st);
    cr_expect_eq(alive_after(in_dir("gp.pids", path, sizeof path), 5), 0, "gnuplot outlived resetlab");
    cr_expect(same_bytes(in_dir("before/index.html", args, sizeof args), in_dir("run/index.html", path, sizeof path)),
              "index.html changed");
    cr_expect_gt(same_folder(in_dir("before/plots", args, sizeof args), in_dir("run/plots", path, sizeof path)), 2,
                 "plots/ changed");
    snprintf(args, sizeof args, "report --out %s/run", dir);
    cli_ok(args);
    expect_report_as_before();
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* Files of plots/ resetlab did not make stay, whatever their name; the
 * report's own are replaced (it removed every *.svg there). */
Test(report_durable, only_the_plots_resetlab_made_are_removed)
{
    char path[600], args[1024];
    run_with_a_report();
    put_file(in_dir("run/plots/mine.svg", path, sizeof path), "<svg>mine</svg>\n");
    put_file(in_dir("run/plots/notes.txt", path, sizeof path), "notes\n");
    snprintf(args, sizeof args, "report --out %s/run", dir);
    for (int twice = 0; twice < 2; twice++) {
        cli_ok(args);
        char *mine = slurp(in_dir("run/plots/mine.svg", path, sizeof path), NULL);
        char *notes = slurp(in_dir("run/plots/notes.txt", path, sizeof path), NULL);
        cr_expect(mine && strcmp(mine, "<svg>mine</svg>\n") == 0, "plots/mine.svg removed or changed");
        cr_expect(notes && strcmp(notes, "notes\n") == 0, "plots/notes.txt removed or changed");
        free(mine), free(notes);
    }
    unlink(in_dir("run/plots/mine.svg", path, sizeof path));
    unlink(in_dir("run/plots/notes.txt", path, sizeof path));
    expect_report_as_before();
    /* --report DIR into a folder whose plots/ someone else keeps */
    mkdir(in_dir("page", path, sizeof path), 0777);
    mkdir(in_dir("page/plots", path, sizeof path), 0777);
    put_file(in_dir("page/plots/logo.svg", path, sizeof path), "<svg>logo</svg>\n");
    snprintf(args, sizeof args, "report --out %s/run --report %s/page", dir, dir);
    cli_ok(args);
    cr_expect(file_exists(in_dir("page/plots/logo.svg", path, sizeof path)), "--report removed plots/logo.svg");
    cr_expect(file_exists(in_dir("page/index.html", path, sizeof path)));
    /* a new session in the run folder removes the report it made, and only that */
    put_file(in_dir("run/plots/mine.svg", path, sizeof path), "<svg>mine</svg>\n");
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 5 --out %s/run", dir);
    cli_ok(args);
    cr_expect(file_exists(in_dir("run/plots/mine.svg", path, sizeof path)), "a new session removed plots/mine.svg");
    /* the page run wrote before it marked its session complete is the one
     * report writes after: complete, finished then, in the trends too */
    char *by_run = slurp(in_dir("run/index.html", path, sizeof path), NULL);
    cr_assert_not_null(by_run);
    cr_expect(strstr(by_run, "running") == NULL, "the run's page calls its session running");
    snprintf(args, sizeof args, "report --out %s/run", dir);
    cli_ok(args);
    char *by_report = slurp(in_dir("run/index.html", path, sizeof path), NULL);
    cr_expect(by_report && strcmp(by_run, by_report) == 0, "the run's page and report's differ");
    free(by_run), free(by_report);
}

/* One writer per report folder: `report` into the folder a run is
 * writing is refused with the run's pid. */
Test(report_durable, a_report_into_a_folder_being_written_names_the_writer)
{
    char path[600], args[1024], script[600], pids[600], env[700], want[200];
    run_with_a_report();
    in_dir("stall.sh", script, sizeof script);
    write_stalling_gnuplot(script, in_dir("gp.pids", pids, sizeof pids));
    unlink(pids);
    snprintf(env, sizeof env, "RESETLAB_GNUPLOT=%s", script);
    snprintf(args, sizeof args, "report --out %s/run", dir);
    pid_t pid = start_resetlab(args, env, in_dir("first.err", path, sizeof path));
    wait_for_pid(pids, 60);
    snprintf(want, sizeof want, "run: the folder is in use by pid %ld (resetlab report --out ", (long)pid);
    expect_bad_input(args, want);
    kill(pid, SIGTERM);
    wait_exit(pid);
    expect_report_as_before();
}
