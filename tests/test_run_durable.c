/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab run` killed, stopped or out of disk while it writes its outputs
 * (issue 18, items 2, 5, 12, 17): the session is complete only once
 * runs.jsonl, summary.json, junit.xml and the report are on disk, so
 * --resume finishes them, byte for byte those of an uninterrupted run; a
 * new session removes what an older one left; a full disk's message says
 * how many runs the store really holds. resetlab is caught drawing its
 * report by a gnuplot that stalls (RESETLAB_GNUPLOT), not by timing. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable_fixture.h"
#include "helpers.h"

DURABLE_SUITE(run_durable, "/tmp/resetlab-durable", 180)

/* One board on two hosts, 200 runs a cell; some cells below their
 * expectation, so the report has plots. */
#define MATRIX "--jsonl --board devkitc --host native-linux --host vm-usb-passthrough --iterations 200"

static void run_ok(const char *args)
{
    int rc = run_cli(args, out, sizeof out, cerr, sizeof cerr);
    cr_assert(rc == 0 || rc == 1, "resetlab %s exited %d: %s", args, rc, cerr);
}

/* --out DIR/name of MATRIX, uninterrupted: what the others must match. */
static long run_whole(const char *name)
{
    char args[1024], db[600];
    snprintf(args, sizeof args, "run " MATRIX " --out %s/%s", dir, name);
    run_ok(args);
    snprintf(db, sizeof db, "%s/%s/results.db", dir, name);
    long runs = sql_long(db, "SELECT count(*) FROM runs");
    cr_assert_gt(runs, 1000);
    return runs;
}

/* The outputs of DIR/a and DIR/b alike (junit.xml but for its times), the
 * folder tidy; returns the number of plots. */
static int expect_same_outputs(const char *a, const char *b)
{
    char pa[600], pb[600];
    const char *exact[] = {"runs.jsonl", "summary.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(pa, sizeof pa, "%s/%s/%s", dir, a, exact[i]);
        snprintf(pb, sizeof pb, "%s/%s/%s", dir, b, exact[i]);
        if (i == 0 && !file_exists(pa)) /* a run without --jsonl */
            cr_expect(!file_exists(pb), "%s was written", pb);
        else
            cr_expect(same_bytes(pa, pb), "%s differs from %s", pb, pa);
    }
    snprintf(pa, sizeof pa, "%s/%s/junit.xml", dir, a);
    snprintf(pb, sizeof pb, "%s/%s/junit.xml", dir, b);
    cr_expect(same_junit(pa, pb), "%s differs from %s, times aside", pb, pa);
    snprintf(pb, sizeof pb, "%s/%s/index.html", dir, b);
    cr_expect(file_exists(pb), "no %s", pb);
    const char *leftovers[] = {".plots.new", ".plots.old", ".index.html.tmp", ".summary.json.tmp", ".junit.xml.tmp"};
    for (int i = 0; i < 5; i++) {
        snprintf(pb, sizeof pb, "%s/%s/%s", dir, b, leftovers[i]);
        cr_expect(!file_exists(pb), "%s left behind", pb);
    }
    snprintf(pa, sizeof pa, "%s/%s/plots", dir, a);
    snprintf(pb, sizeof pb, "%s/%s/plots", dir, b);
    int plots = same_folder(pa, pb);
    cr_expect_gt(plots, 1, "%s differs from %s", pb, pa);
    return plots;
}

/* `resetlab run MATRIX --out DIR/name` started with a gnuplot that stalls;
 * returns once it is drawing the report (the stall's pid is in gp.pids). */
static pid_t start_caught_in_the_report(const char *name)
{
    char args[1024], env[700], script[600], pids[600], err_path[600];
    in_dir("stall.sh", script, sizeof script);
    write_stalling_gnuplot(script, in_dir("gp.pids", pids, sizeof pids));
    unlink(pids);
    snprintf(args, sizeof args, "run " MATRIX " --out %s/%s", dir, name);
    snprintf(env, sizeof env, "RESETLAB_GNUPLOT=%s", script);
    pid_t pid = start_resetlab(args, env, in_dir("run.err", err_path, sizeof err_path));
    wait_for_pid(pids, 120);
    return pid;
}

/* The high item: a SIGKILL while the report is drawn. The session
 * is not complete yet (it was, before any output was written), runs.jsonl
 * is already whole and fsync'd, gnuplot dies with resetlab, and --resume
 * writes the outputs: the uninterrupted run's, byte for byte. */
Test(run_durable, killed_while_drawing_the_report_resumes_to_the_uninterrupted_outputs)
{
    char path[600], other[600], status[32], args[1024];
    long runs = run_whole("whole");
    pid_t run = start_caught_in_the_report("killed");
    in_dir("killed/results.db", path, sizeof path);
    cr_expect_str_eq(last_status(path, status, sizeof status), "running", "marked %s before its outputs", status);
    cr_expect_eq(sql_long(path, "SELECT count(*) FROM runs"), runs);
    cr_expect(same_bytes(in_dir("whole/runs.jsonl", other, sizeof other), in_dir("killed/runs.jsonl", path, sizeof path)),
              "runs.jsonl is not whole when the report begins");
    kill(run, SIGKILL);
    int st = wait_exit(run);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %d", st);
    cr_expect_eq(alive_after(in_dir("gp.pids", path, sizeof path), 5), 0, "gnuplot outlived resetlab");
    cr_expect(!file_exists(in_dir("killed/index.html", path, sizeof path)), "a page without its session complete");
    snprintf(args, sizeof args, "run --resume --out %s/killed", dir);
    run_ok(args);
    expect_same_outputs("whole", "killed");
    in_dir("killed/results.db", path, sizeof path);
    cr_expect_str_eq(last_status(path, status, sizeof status), "complete");
    expect_bad_input(args, "is complete: nothing to resume");
}

/* One SIGTERM while the report is drawn: resetlab kills its gnuplot,
 * marks the session interrupted and exits 143 at once (it ignored the
 * signal and exited 1 before); --resume writes the outputs. */
Test(run_durable, sigterm_while_drawing_the_report_exits_143_and_resumes)
{
    char path[600], status[32], args[1024], want[200];
    long runs = run_whole("whole");
    pid_t run = start_caught_in_the_report("term");
    double t0 = now_s();
    kill(run, SIGTERM);
    int st = wait_exit(run);
    double took = now_s() - t0;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 143, "status %d", st);
    cr_expect_lt(took, 5.0, "%.1f s to stop (gnuplot stalls for 30 s)", took);
    cr_expect_eq(alive_after(in_dir("gp.pids", path, sizeof path), 0), 0, "gnuplot outlived resetlab");
    char *text = slurp(in_dir("run.err", path, sizeof path), NULL);
    cr_assert_not_null(text);
    snprintf(want, sizeof want, "resetlab: interrupted while writing the outputs: all %ld runs are in ", runs);
    cr_expect(strstr(text, want) &&
                  strstr(text, "`resetlab run --resume --out ") && strchr(text, '\n') == strrchr(text, '\n'),
              "%s", text);
    free(text);
    in_dir("term/results.db", path, sizeof path);
    cr_expect_str_eq(last_status(path, status, sizeof status), "interrupted");
    cr_expect(!file_exists(in_dir("term/index.html", path, sizeof path)));
    cr_expect(!file_exists(in_dir("term/.plots.new", path, sizeof path)), "the staged plots were left");
    snprintf(args, sizeof args, "run --resume --out %s/term", dir);
    run_ok(args);
    expect_same_outputs("whole", "term");
}

/* A full disk (a file-size limit) while the page is written: with one run
 * per cell of a board whose every cell fails (--no-known: each drawn in
 * full), index.html (242 KB, its diagrams) is the outputs' largest file,
 * so summary.json, junit.xml and the store (cells only: --keep-runs 0; its
 * write-ahead log about 220 KB) fit in 230 KB and the page does not. One line says so and how many runs are kept; the session is not
 * complete, and --resume (with room) writes the outputs of a run that had
 * room. */
#define SMALL "--keep-runs 0 --no-known --board devkitc-swapped --iterations 1"

Test(run_durable, a_full_disk_while_writing_the_page_leaves_a_session_resume_finishes)
{
    char cmd[1024], path[600], status[32], args[1024], want[200];
    snprintf(args, sizeof args, "run " SMALL " --out %s/whole", dir);
    run_ok(args);
    long runs = sql_long(in_dir("whole/results.db", path, sizeof path), "SELECT sum(runs) FROM cells");
    snprintf(cmd, sizeof cmd, "ulimit -f 460; trap '' XFSZ; exec %s run " SMALL " --out %s/full >/dev/null 2>%s",
             resetlab_bin(), dir, in_dir("full.err", path, sizeof path));
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
    char *text = slurp(path, NULL);
    cr_assert_not_null(text);
    snprintf(want, sizeof want, "full/index.html: write failed (File too large); %ld runs are in ", runs);
    cr_expect(strstr(text, want) &&
                  strstr(text, "run --resume --out ") && strchr(text, '\n') == strrchr(text, '\n'),
              "%s", text);
    free(text);
    in_dir("full/results.db", path, sizeof path);
    cr_expect_str_neq(last_status(path, status, sizeof status), "complete");
    cr_expect(!file_exists(in_dir("full/index.html", path, sizeof path)));
    cr_expect(!file_exists(in_dir("full/.index.html.tmp", path, sizeof path)), "the page's temporary file was left");
    cr_expect(!file_exists(in_dir("full/.plots.new", path, sizeof path)), "the staged plots were left");
    snprintf(args, sizeof args, "run --resume --out %s/full", dir);
    run_ok(args);
    expect_same_outputs("whole", "full");
}

/* A run interrupted in a folder that held an older session's outputs
 * leaves none of them: a CI job reading junit.xml must not report the
 * older session as this one. */
Test(run_durable, an_interrupted_session_leaves_no_older_sessions_outputs)
{
    char path[600], args[1024];
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --host vm-usb-passthrough --iterations 20 "
                                "--out %s/ci", dir);
    run_ok(args);
    cr_assert(file_exists(in_dir("ci/junit.xml", path, sizeof path)));
    snprintf(args, sizeof args, "run --jsonl --board devkitc --iterations 100000 --out %s/ci", dir);
    pid_t run = start_resetlab(args, NULL, in_dir("ci.err", path, sizeof path));
    in_dir("ci/results.db", path, sizeof path);
    for (double end = now_s() + 60; now_s() < end && sql_long(path, "SELECT count(*) FROM runs WHERE session_id = 2") < 100;)
        pause_ms(5);
    kill(run, SIGTERM);
    int st = wait_exit(run);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 143, "status %d", st);
    const char *older[] = {"summary.json", "junit.xml", "index.html", "plots"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/ci/%s", dir, older[i]);
        cr_expect(!file_exists(path), "%s of the older session is still there", path);
    }
    /* runs.jsonl is this session's: a line for each of its runs the store holds */
    size_t len;
    char *runs = slurp(in_dir("ci/runs.jsonl", path, sizeof path), &len);
    cr_assert_not_null(runs);
    long held = sql_long(in_dir("ci/results.db", path, sizeof path), "SELECT count(*) FROM runs WHERE session_id = 2");
    cr_expect_gt(held, 0);
    cr_expect_eq(count_of(runs, "\n"), held);
    cr_expect(len > 0 && runs[len - 1] == '\n', "runs.jsonl ends in a partial line");
    free(runs);
}

/* The store fails first (runs.jsonl goes to /dev/null, so only the store
 * meets the file-size limit): the group of runs whose COMMIT failed is not
 * in the store, and the line says how many are, read back from it (it said
 * 6909 when the store held 0). */
Test(run_durable, a_full_disk_says_how_many_runs_the_store_holds)
{
    char cmd[1024], path[600], db[600];
    mkdir(in_dir("fill", path, sizeof path), 0777);
    cr_assert_eq(symlink("/dev/null", in_dir("fill/runs.jsonl", path, sizeof path)), 0);
    snprintf(cmd, sizeof cmd,
             "ulimit -f 16384; trap '' XFSZ; exec %s run --jsonl --board devkitc --host native-linux --host wsl-usbipd "
             "--iterations 2000 --seed 7 --out %s/fill >/dev/null 2>%s",
             resetlab_bin(), dir, in_dir("fill.err", path, sizeof path));
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
    char *text = slurp(path, NULL);
    cr_assert_not_null(text);
    const char *at = strstr(text, "; ");
    long said = -1;
    cr_assert(strstr(text, "results.db: ") && at && sscanf(at, "; %ld runs are in", &said) == 1, "%s", text);
    long held = sql_long(in_dir("fill/results.db", db, sizeof db), "SELECT count(*) FROM runs");
    cr_expect_eq(said, held, "the line says %ld runs are kept, the store holds %ld: %s", said, held, text);
    cr_expect_lt(held, 17 * 2000, "the limit was never met");
    free(text);
}
