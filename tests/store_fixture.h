/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the results store's tests share: a run's made runs counted in its
 * store, a run interrupted by a signal once it holds some, two files or
 * two stores' rows compared. Header-only, like report_fixture.h. */
#ifndef RESETLAB_TESTS_STORE_FIXTURE_H
#define RESETLAB_TESTS_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static inline void expect_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    cr_assert(x && y, "%s or %s missing", a, b);
    cr_expect(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
    free(x), free(y);
}

static inline long count_runs(const char *db_path)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    long n = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        /* the runs made: the cells' with a row, and those stored of a cell without one yet */
        sqlite3_prepare_v2(db,
                           "SELECT (SELECT coalesce(sum(runs), 0) FROM cells) + (SELECT count(*) FROM runs r WHERE NOT"
                           " EXISTS (SELECT 1 FROM cells c WHERE c.session_id = r.session_id AND c.board = r.board"
                           " AND c.host = r.host AND c.scenario = r.scenario))",
                           -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return n;
}

/* Starts `resetlab run` and sends `sig` once the store holds some runs;
 * its stderr goes to ERR_DIR/interrupted.err. The runs made then. */
static inline long interrupt_run(const char *args, const char *db_path, int sig, const char *err_dir)
{
    char cmd[2048], bin[512];
    const char *env = getenv("RESETLAB_BIN");
    snprintf(bin, sizeof bin, "%s", env ? env : "resetlab");
    snprintf(cmd, sizeof cmd, "exec %s run %s >/dev/null 2>%s/interrupted.err", bin, args, err_dir);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    struct timespec pause = {0, 2000000};
    long n = 0;
    for (int i = 0; i < 20000 && n < 500; i++) {
        nanosleep(&pause, NULL);
        n = count_runs(db_path);
    }
    cr_assert_geq(n, 500, "the run never got going");
    kill(child, sig);
    int status;
    waitpid(child, &status, 0);
    if (sig == SIGKILL)
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
    else
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 128 + sig, "exit status %d after signal %d", status, sig);
    return count_runs(db_path);
}

static inline long rows_of_count(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    long n = -1;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* A query's rows as text, a line each: two stores compared by what they hold. */
static inline char *rows_of(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    size_t len = 0;
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(q); i++)
            fprintf(f, "%s|", sqlite3_column_type(q, i) == SQLITE_BLOB ? "<blob>" : (const char *)sqlite3_column_text(q, i) ? (const char *)sqlite3_column_text(q, i) : "NULL");
        fputc('\n', f);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    fclose(f);
    return text;
}

#endif
