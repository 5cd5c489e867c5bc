/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What `resetlab run` and `resetlab report` refuse before they write
 * (issue 18, items 9, 10, 14, 15, 16, 21): empty and over-long paths,
 * an output folder another resetlab is writing (whatever its store), a
 * read-only or damaged store; and a lock's holder named even while it is
 * taking the lock. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable_fixture.h"
#include "harness/port/port_lock.h"
#include "helpers.h"
#include "reports/store.h"

DURABLE_SUITE(run_limits, "/tmp/resetlab-limits", 120)

static int entries(const char *path)
{
    int n = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

/* --out "" read uninitialised memory making the folder; a path longer
 * than 511 bytes was cut, a truncated folder and a stray lock made, then
 * "unable to open database file" (SQLite opens no database whose path
 * is over 504 bytes). Now one line before anything is made, for a path
 * over 480 bytes. */
Test(run_limits, empty_and_too_long_paths_are_refused_before_anything_is_made)
{
    char args[2048], want[200], longer[700];
    static const char *const empty[][2] = {
        {"run --out ''", "run: --out: an empty path"},           {"run --db ''", "run: --db: an empty path"},
        {"run --resume --out ''", "run: --out: an empty path"},  {"report --out ''", "report: --out: an empty path"},
        {"report --db ''", "report: --db: an empty path"},       {"report --report ''", "report: --report: an empty path"},
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++)
        expect_bad_input(empty[i][0], empty[i][1]);
    /* DIR/aaaaaaaaa/aaaaaaaaa/...: 600 bytes in all */
    size_t n = (size_t)snprintf(longer, sizeof longer, "%s", dir);
    for (; n < 600; n++)
        longer[n] = (n - strlen(dir)) % 10 == 0 ? '/' : 'a';
    longer[600] = '\0';
    snprintf(want, sizeof want, "a path of 600 bytes, longer than the 480 resetlab takes");
    static const char *const opts[] = {"run --out", "run --db", "report --out", "report --db", "report --report"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        snprintf(args, sizeof args, "%s %s", opts[i], longer);
        expect_bad_input(args, want);
    }
    cr_expect_eq(entries(dir), 0, "something was made in %s", dir);
    /* 480 bytes is taken (not ending in a '/') */
    longer[480] = '\0';
    if (longer[479] == '/')
        longer[479] = 'b';
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --scenario esptool-classic --iterations 1 "
                                "--out %s", longer);
    cli_ok(args);
    snprintf(args, sizeof args, "%s/summary.json", longer);
    cr_expect(file_exists(args));
}

/* Two runs with one --out and different stores interleaved runs.jsonl:
 * the folder has a lock of its own now, and the second names the first. */
Test(run_limits, one_writer_per_output_folder_whatever_the_store)
{
    char args[1024], path[600], want[300];
    snprintf(args, sizeof args,
             "run --board devkitc --host native-linux --iterations 100000 --keep-runs all --db %s/a.db --out %s/shared",
             dir, dir);
    pid_t first = start_resetlab(args, NULL, in_dir("first.err", path, sizeof path));
    in_dir("a.db", path, sizeof path);
    for (double end = now_s() + 60; now_s() < end && sql_long(path, "SELECT count(*) FROM runs") < 10;)
        pause_ms(5);
    cr_assert_geq(sql_long(path, "SELECT count(*) FROM runs"), 10, "the first run never got going");
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 2 --db %s/b.db --out %s/shared",
             dir, dir);
    snprintf(want, sizeof want, "shared: the folder is in use by pid %ld (resetlab run --board devkitc", (long)first);
    expect_bad_input(args, want);
    cr_expect(!file_exists(in_dir("b.db", path, sizeof path)), "the second run made its store");
    kill(first, SIGTERM);
    int st = wait_exit(first);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 143, "status %d", st);
    cli_ok(args); /* free again */
}

/* The holder writes its pid right after it takes the lock; a process that
 * looked in between was told "another process" (2 of 20 concurrent
 * starts). A holder taking and letting go of the lock as fast as it can,
 * against another trying for a second: every refusal names a pid. */
Test(run_limits, a_lock_being_taken_names_its_holder)
{
    char path[600], why[300];
    in_dir("race.lock", path, sizeof path);
    pid_t holder = fork();
    cr_assert_geq(holder, 0);
    if (holder == 0) {
        for (double end = now_s() + 1.5; now_s() < end;) {
            int fd;
            if (lockfile_take(path, &fd, why, sizeof why) == 0) {
                struct timespec hold = {0, 100000};
                nanosleep(&hold, NULL);
                lockfile_release(fd);
            }
        }
        _exit(0);
    }
    int held = 0, unnamed = 0;
    char first_unnamed[300] = "";
    for (double end = now_s() + 1.0; now_s() < end;) {
        int fd, rc = lockfile_take(path, &fd, why, sizeof why);
        if (rc == 0)
            lockfile_release(fd);
        else if (rc == LOCKFILE_HELD) {
            held++;
            if (strncmp(why, "pid ", 4) != 0 && unnamed++ == 0)
                snprintf(first_unnamed, sizeof first_unnamed, "%s", why);
        }
    }
    wait_exit(holder);
    cr_expect_gt(held, 20, "the lock was held %d times", held);
    cr_expect_eq(unnamed, 0, "%d of %d refusals named no pid, e.g. '%s'", unnamed, held, first_unnamed);
}

/* 20 runs started at once on one folder: one runs, each other one names
 * the pid that holds it. */
Test(run_limits, twenty_concurrent_starts_name_the_holder)
{
    char args[1024], path[600];
    pid_t pid[20];
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 300 --out %s/crowd", dir);
    for (int i = 0; i < 20; i++) {
        snprintf(path, sizeof path, "%s/crowd-%d.err", dir, i);
        pid[i] = start_resetlab(args, NULL, path);
    }
    int ran = 0, refused = 0, named = 0;
    for (int i = 0; i < 20; i++) {
        int st = wait_exit(pid[i]);
        snprintf(path, sizeof path, "%s/crowd-%d.err", dir, i);
        char *text = slurp(path, NULL);
        if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1))
            ran++;
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
            refused++;
            named += text && strstr(text, "is in use by pid ") != NULL;
            cr_expect(text && strstr(text, "is in use by pid "), "%s", text ? text : "(no stderr)");
        } else
            cr_expect_fail("run %d: status %d", i, st);
        free(text);
    }
    cr_expect_geq(ran, 1);
    cr_expect_eq(ran + refused, 20);
    cr_expect_eq(named, refused, "%d of %d refusals named the holder", named, refused);
}

/* A store resetlab may not write (here: read-only to the user it runs as)
 * was one 710-character line of the schema's SQL, cut before the reason;
 * its lock file in a folder it may not write said "No such file". */
Test(run_limits, a_read_only_store_is_one_short_line)
{
    char db[600], path[600], args[1024];
    cr_assert_eq(mkdir(in_dir("ro", path, sizeof path), 0755), 0);
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 2 --db %s/ro/results.db --out %s/x",
             dir, dir);
    cli_ok(args);
    /* the store read-only in a folder anyone may write (SQLite makes its
     * -wal and -shm files there); a lock file in a folder nobody may write */
    cr_assert_eq(chmod(dir, 0755), 0);
    cr_assert_eq(chmod(in_dir("ro", path, sizeof path), 0777), 0);
    cr_assert_eq(chmod(in_dir("ro/results.db", db, sizeof db), 0444), 0);
    cr_assert_eq(mkdir(in_dir("locked", path, sizeof path), 0755), 0);
    int pipe_fd[2];
    cr_assert_eq(pipe(pipe_fd), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) { /* as nobody, when the tests run as root (root may write anything) */
        char err[1024] = "", why[300] = "";
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        struct store *st = store_open(db, STORE_WRITE, err, sizeof err);
        int fd;
        char lock[700];
        snprintf(lock, sizeof lock, "%s/locked/new.lock", dir);
        int rc = lockfile_take(lock, &fd, why, sizeof why);
        dprintf(pipe_fd[1], "%s\n%s\n", st ? "opened" : err, rc == 0 ? "locked" : why);
        _exit(0);
    }
    close(pipe_fd[1]);
    int st = wait_exit(child);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child could not become nobody (status %d)", st);
    char said[2048] = "";
    ssize_t n = read(pipe_fd[0], said, sizeof said - 1);
    close(pipe_fd[0]);
    said[n > 0 ? n : 0] = '\0';
    char *second = strchr(said, '\n');
    cr_assert_not_null(second, "%s", said);
    *second++ = '\0';
    char want[700];
    snprintf(want, sizeof want, "%s: attempt to write a readonly database", db);
    cr_expect_str_eq(said, want);
    cr_expect(strstr(second, "locked/new.lock: Permission denied") != NULL, "%s", second);
}

/* A store with one page's header overwritten: `run` appended a session to
 * it (and exited 0 or failed later, reading it back), while report,
 * compare and --resume failed. Now it refuses before writing anything. */
Test(run_limits, a_damaged_store_is_refused_before_anything_is_added)
{
    char db[600], copy[600], args[1400];
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 200 --keep-runs all --out %s/bad",
             dir);
    cli_ok(args);
    in_dir("bad/results.db", db, sizeof db);
    cr_assert_gt(sql_long(db, "PRAGMA page_count"), 40);
    FILE *f = fopen(db, "r+b");
    cr_assert_not_null(f);
    long page = sql_long(db, "PRAGMA page_size");
    static const unsigned char junk[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    cr_assert_eq(fseek(f, 20 * page, SEEK_SET), 0);
    cr_assert_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
    snprintf(args, sizeof args, "cp %s %s", db, in_dir("copy.db", copy, sizeof copy));
    cr_assert_eq(system(args), 0);
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 2 --out %s/bad", dir);
    const char *text = expect_bad_input(args, "results.db: damaged, resetlab adds nothing to it (PRAGMA quick_check: ");
    cr_expect(strstr(text, "): move it aside") != NULL, "%s", text);
    cr_expect_lt(strlen(text), 400);
    cr_expect(same_bytes(db, copy), "the damaged store was written to");
}
