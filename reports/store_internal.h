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

#include "results.h"

struct store {
    sqlite3 *db;
    sqlite3_stmt *add_run, *add_finding, *add_tool;
    int version; /* the schema the file had when opened: 1 has no tool_runs */
    sqlite3_stmt *savepoint, *release; /* around each run: a run lands whole or not at all */
    int durable; /* the synchronous level now set: 1 FULL, 0 NORMAL */
    int in_txn;  /* simulated runs not yet committed */
    int64_t txn_start_ns;
};

/* cells' columns in the order store_cells*.c bind and read them: names
 * and counts, then SPREADS spreads of SPREAD_FIELDS (n, min, p5, p50, p95,
 * p99, max), two picks of PICK_FIELDS (iteration, seed, verdict, outcome,
 * margin), the margins' and gaps' blobs */
#define SPREADS 5
#define SPREAD_FIELDS 7
#define PICK_FIELDS 5
#define FIRST_SPREAD 16
#define FIRST_PICK (FIRST_SPREAD + SPREADS * SPREAD_FIELDS)
#define CELL_COLUMNS (FIRST_PICK + 2 * PICK_FIELDS + 2)
#define STORE_CELL_COLUMNS \
    "session_id, idx, board, host, scenario, expected, runs, passed, failed, errors, outcome_no_reset," \
    " outcome_download, outcome_flash, outcome_marginal, tool_runs, connected," \
    " margin_n, margin_min, margin_p5, margin_p50, margin_p95, margin_p99, margin_max," \
    " gap_n, gap_min, gap_p5, gap_p50, gap_p95, gap_p99, gap_max," \
    " en_release_n, en_release_min, en_release_p5, en_release_p50, en_release_p95, en_release_p99, en_release_max," \
    " attempts_n, attempts_min, attempts_p5, attempts_p50, attempts_p95, attempts_p99, attempts_max," \
    " connect_n, connect_min, connect_p5, connect_p50, connect_p95, connect_p99, connect_max," \
    " typical_iteration, typical_seed, typical_verdict, typical_outcome, typical_margin_ms," \
    " worst_iteration, worst_seed, worst_verdict, worst_outcome, worst_margin_ms, margins, gaps"

int store_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "<file>: <what>: <SQLite's message>" */
int store_db_fail(struct store *st, const char *what, char *err, size_t len);
/* Rows added between these two join the writer's transaction: a durable
 * one (a real board's) is committed and fsync'd by store_txn_done, the
 * others within STORE_GROUP_NS of the transaction's first. */
int store_txn_join(struct store *st, int durable, char *err, size_t len);
int store_txn_done(struct store *st, int durable, char *err, size_t len);
/* 1 when the session's cells have rows (schema 3), 0 when it is read from its runs. */
int store_session_has_cells(struct store *st, int64_t session);
/* A REAL column, NULL as NaN; NaN bound as NULL. */
double store_column_figure(sqlite3_stmt *q, int i);
void store_bind_figure(sqlite3_stmt *q, int i, double x);
/* A stored verdict's and severity's name back to its value (anything else:
 * error, info). */
enum verdict store_verdict_named(const char *name);
enum severity store_severity_named(const char *name);
/* A cell's k-th spread in cells' order: margin, gap, EN release, attempts, connect. */
struct spread *store_cell_spread(struct cell_stats *c, int k);
/* A text column into a buffer ("" when NULL). */
void store_column_text(sqlite3_stmt *q, int i, char *out, size_t len);

#endif
