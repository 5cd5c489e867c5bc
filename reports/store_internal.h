/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What store.c (opening, sessions, writing runs) and store_read.c
 * (reading them back) share: the connection and its statements, and the
 * helpers that turn SQLite's answers into one error line. Used only
 * inside reports/. */
#ifndef RESETLAB_STORE_INTERNAL_H
#define RESETLAB_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct store {
    sqlite3 *db;
    sqlite3_stmt *add_run, *add_finding, *add_tool;
    int version; /* the schema the file had when opened: 1 has no tool_runs */
    sqlite3_stmt *savepoint, *release; /* around each run: a run lands whole or not at all */
    int durable; /* the synchronous level now set: 1 FULL, 0 NORMAL */
    int in_txn;  /* simulated runs not yet committed */
    int64_t txn_start_ns;
};

int store_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "<file>: <what>: <SQLite's message>" */
int store_db_fail(struct store *st, const char *what, char *err, size_t len);
/* A text column into a buffer ("" when NULL). */
void store_column_text(sqlite3_stmt *q, int i, char *out, size_t len);

#endif
