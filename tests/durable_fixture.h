/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the tests of a run's and a report's outputs under kills, signals
 * and full disks share (test_run_durable.c, test_report_durable.c,
 * test_run_limits.c): starting resetlab in the background, a gnuplot that
 * stalls (so a test knows resetlab is drawing its report, with no timing
 * guess), reading the store, comparing folders. Static: each suite its
 * own copy. */
#ifndef RESETLAB_TESTS_DURABLE_FIXTURE_H
#define RESETLAB_TESTS_DURABLE_FIXTURE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* The suite's own folder, made before each test and removed after it, and
 * the buffers and helpers every one of these suites uses with it: `dir`,
 * `out`, `cerr`, in_dir(NAME) and cli_ok(ARGS) (resetlab exits 0 or 1). */
#define DURABLE_SUITE(suite, prefix, seconds)                                                                    \
    static char dir[] = prefix "-XXXXXX";                                                                       \
    static char out[1 << 16], cerr[1 << 14];                                                                    \
    static void setup(void) { cr_assert_not_null(mkdtemp(dir)); }                                               \
    static void teardown(void) { remove_tree(dir); }                                                            \
    TestSuite(suite, .init = setup, .fini = teardown, .timeout = seconds);                                      \
    static inline const char *in_dir(const char *name, char *buf, size_t len)                                   \
    {                                                                                                           \
        snprintf(buf, len, "%s/%s", dir, name);                                                                 \
        return buf;                                                                                             \
    }                                                                                                           \
    static inline void cli_ok(const char *args)                                                                 \
    {                                                                                                           \
        int rc = run_cli(args, out, sizeof out, cerr, sizeof cerr);                                             \
        cr_assert(rc == 0 || rc == 1, "resetlab %s exited %d: %s", args, rc, cerr);                             \
    }

static inline const char *resetlab_bin(void)
{
    const char *env = getenv("RESETLAB_BIN");
    return env ? env : "resetlab";
}

static inline double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void pause_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* `resetlab ARGS` in the background, stdout to /dev/null, stderr to
 * err_path; env: "NAME=VALUE" for it alone, or NULL. */
static inline pid_t start_resetlab(const char *args, const char *env, const char *err_path)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "exec %s %s >/dev/null 2>%s", resetlab_bin(), args, err_path);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (env)
            putenv(strdup(env));
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static inline int wait_exit(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return status;
}

/* A gnuplot (RESETLAB_GNUPLOT=script) that appends its pid to `pids` and
 * sleeps 30 s: while it runs, resetlab is drawing its report. */
static inline void write_stalling_gnuplot(const char *script, const char *pids)
{
    FILE *f = fopen(script, "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\necho $$ >> '%s'\nexec sleep 30\n", pids);
    fclose(f);
    cr_assert_eq(chmod(script, 0755), 0);
}

/* The first pid in `path`, once there (asserts within `seconds`). */
static inline long wait_for_pid(const char *path, double seconds)
{
    for (double end = now_s() + seconds; now_s() < end; pause_ms(5)) {
        FILE *f = fopen(path, "r");
        long pid = 0;
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 0)
            return pid;
    }
    cr_assert_fail("%s: no pid within %.0f s", path, seconds);
    return -1;
}

/* Gone: no such process, or a zombie nobody has reaped yet. */
static inline int process_gone(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 1;
    char path[64], stat[512] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *state = strrchr(stat, ')');
    return state && state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X');
}

/* How many of the pids listed in `path` are still alive after `seconds`. */
static inline int alive_after(const char *path, double seconds)
{
    int alive = 0;
    for (double end = now_s() + seconds;; pause_ms(20)) {
        FILE *f = fopen(path, "r");
        long pid;
        alive = 0;
        while (f && fscanf(f, "%ld", &pid) == 1)
            alive += !process_gone(pid);
        if (f)
            fclose(f);
        if (alive == 0 || now_s() >= end)
            return alive;
    }
}

/* One integer (or -1) from a read-only query of the store. */
static inline long sql_long(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    long n = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return n;
}

/* The last session's status, into buf ("" when none). */
static inline const char *last_status(const char *db_path, char *buf, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    buf[0] = '\0';
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT status FROM sessions ORDER BY id DESC LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return buf;
}

static inline int file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static inline int same_bytes(const char *a, const char *b)
{
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x), free(y);
    return same;
}

/* junit.xml without its times (time="…", timestamp="…"), in place. */
static inline void drop_times(char *xml)
{
    static const char *const attrs[] = {" time=\"", " timestamp=\""};
    for (int k = 0; k < 2; k++)
        for (char *p = strstr(xml, attrs[k]); p; p = strstr(p + 1, attrs[k])) {
            char *value = p + strlen(attrs[k]), *end = strchr(value, '"');
            if (end)
                memmove(value, end, strlen(end) + 1);
        }
}

static inline int same_junit(const char *a, const char *b)
{
    char *x = slurp(a, NULL), *y = slurp(b, NULL);
    int same = x && y;
    if (same) {
        drop_times(x);
        drop_times(y);
        same = strcmp(x, y) == 0;
    }
    free(x), free(y);
    return same;
}

/* The regular files of a folder ("" for none): names and bytes alike in
 * both; the number of files of `a` compared, or -1 when they differ. */
static inline int same_folder(const char *a, const char *b)
{
    int n = 0, nb = 0;
    char pa[1200], pb[1200];
    DIR *d = opendir(a);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        if (snprintf(pa, sizeof pa, "%s/%s", a, e->d_name) >= (int)sizeof pa ||
            snprintf(pb, sizeof pb, "%s/%s", b, e->d_name) >= (int)sizeof pb || !same_bytes(pa, pb)) {
            closedir(d);
            return -1;
        }
        n++;
    }
    if (d)
        closedir(d);
    d = opendir(b);
    while (d && (e = readdir(d)) != NULL)
        nb += !(e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')));
    if (d)
        closedir(d);
    return n == nb ? n : -1;
}

#endif
