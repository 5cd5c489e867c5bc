/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell's row in the results store (store.h, schema 3): its figures once
 * its runs are all made, written beside the few runs kept of it, and read
 * back as a closed cell; a session from before (runs only) is read by
 * counting its runs into cells as it always was. Also the runs a resumed
 * cell makes again, taken out first.
 * May call: store.c (store_internal.h), results.c (a cell's figures), SQLite, libc. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

struct spread *store_cell_spread(struct cell_stats *c, int k)
{
    struct spread *s[SPREADS] = {&c->margin, &c->gap, &c->en_release, &c->attempts, &c->connect_ms};
    return s[k];
}

/* ------------------------------------------------------------- writing -- */

/* 32-bit floats, little-endian whatever the host: the blob reads the same anywhere. */
static unsigned char *floats_le(const float *x, int n)
{
    unsigned char *b = malloc(n > 0 ? 4 * (size_t)n : 1);
    for (int i = 0; b && i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        for (int k = 0; k < 4; k++)
            b[4 * i + k] = (unsigned char)(u >> (8 * k));
    }
    return b;
}

static int bind_floats(sqlite3_stmt *q, int i, const float *x, int n)
{
    if (n <= 0)
        return sqlite3_bind_null(q, i) == SQLITE_OK ? 0 : -1;
    unsigned char *b = floats_le(x, n);
    return b && sqlite3_bind_blob(q, i, b, 4 * n, free) == SQLITE_OK ? 0 : -1;
}

static void bind_pick(sqlite3_stmt *q, int i, const struct run_pick *p)
{
    if (!p->set)
        return; /* NULLs */
    sqlite3_bind_int(q, i, p->iteration);
    sqlite3_bind_int64(q, i + 1, (int64_t)p->seed);
    sqlite3_bind_text(q, i + 2, verdict_name(p->verdict), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, i + 3, boot_mode_name(p->outcome), -1, SQLITE_STATIC);
    store_bind_figure(q, i + 4, p->margin_ms);
}

static int insert_cell(struct store *st, int64_t session, const struct stored_cell *sc)
{
    char sql[1600];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO cells(" STORE_CELL_COLUMNS ") VALUES (?");
    for (int i = 1; i < CELL_COLUMNS; i++)
        strcat(sql, ", ?");
    strcat(sql, ")");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return -1;
    struct cell_stats *c = (struct cell_stats *)&sc->c; /* spread_at takes it; nothing is changed */
    sqlite3_bind_int64(q, 1, session);
    sqlite3_bind_int(q, 2, sc->idx);
    const char *text[] = {c->board, c->host, c->scenario, boot_mode_name(c->expected)};
    for (int i = 0; i < 4; i++)
        sqlite3_bind_text(q, 3 + i, text[i], -1, SQLITE_STATIC);
    int counts[] = {c->runs,         c->passed,       c->failed,     c->errors,         c->outcomes[BOOT_NONE],
                    c->outcomes[BOOT_DOWNLOAD], c->outcomes[BOOT_FLASH], c->outcomes[BOOT_MARGINAL], c->tool_runs,
                    c->connected};
    for (int i = 0; i < 10; i++)
        sqlite3_bind_int(q, 7 + i, counts[i]);
    for (int k = 0; k < SPREADS; k++) {
        const struct spread *s = store_cell_spread(c, k);
        double v[SPREAD_FIELDS - 1] = {s->min, s->p5, s->p50, s->p95, s->p99, s->max};
        sqlite3_bind_int(q, FIRST_SPREAD + 1 + k * SPREAD_FIELDS, s->n);
        for (int f = 0; f < SPREAD_FIELDS - 1; f++)
            store_bind_figure(q, FIRST_SPREAD + 2 + k * SPREAD_FIELDS + f, v[f]);
    }
    bind_pick(q, FIRST_PICK + 1, &c->typical);
    bind_pick(q, FIRST_PICK + 1 + PICK_FIELDS, &c->worst);
    int rc = bind_floats(q, CELL_COLUMNS - 1, sc->margins, sc->n_margins) != 0 ||
                     bind_floats(q, CELL_COLUMNS, sc->gaps, sc->n_gaps) != 0 || sqlite3_step(q) != SQLITE_DONE
                 ? -1
                 : 0;
    sqlite3_finalize(q);
    return rc;
}

static int insert_finding(sqlite3_stmt *q, int diagnosis, int slot, const struct finding *f, int runs, double margin)
{
    sqlite3_reset(q);
    sqlite3_bind_int(q, 5, diagnosis);
    sqlite3_bind_int(q, 6, slot);
    sqlite3_bind_text(q, 7, f->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, severity_name(f->severity), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 9, f->t_ns);
    sqlite3_bind_text(q, 10, f->message, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 11, runs);
    store_bind_figure(q, 12, margin);
    return sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
}

static int insert_findings(struct store *st, int64_t session, const struct cell_stats *c)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO cell_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(q, 1, session);
    sqlite3_bind_text(q, 2, c->board, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, c->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, c->scenario, -1, SQLITE_STATIC);
    int rc = 0;
    for (int k = 0; k < c->n_kinds && rc == 0; k++)
        rc = insert_finding(q, 0, k, &c->kinds[k], c->kind_count[k], c->kind_margin[k]);
    for (int k = 0; k < c->n_diag && rc == 0; k++)
        rc = insert_finding(q, 1, k, &c->diag[k], c->diag_count[k], NAN);
    sqlite3_finalize(q);
    return rc;
}

int store_add_cell(struct store *st, int64_t session, const struct stored_cell *sc, int durable, char *err,
                   size_t err_len)
{
    if (store_txn_join(st, durable, err, err_len) != 0)
        return -1;
    if (sqlite3_exec(st->db, "SAVEPOINT cell", NULL, NULL, NULL) != SQLITE_OK)
        return store_db_fail(st, "SAVEPOINT cell", err, err_len);
    if (insert_cell(st, session, sc) != 0 || insert_findings(st, session, &sc->c) != 0) {
        store_db_fail(st, "adding a cell", err, err_len);
        sqlite3_exec(st->db, "ROLLBACK TO cell; RELEASE cell", NULL, NULL, NULL);
        return -1;
    }
    if (sqlite3_exec(st->db, "RELEASE cell", NULL, NULL, NULL) != SQLITE_OK)
        return store_db_fail(st, "RELEASE cell", err, err_len);
    return store_txn_done(st, durable, err, err_len);
}

int store_forget_runs(struct store *st, int64_t session, const char *board, const char *host, const char *scenario,
                      int from_iteration, char *err, size_t err_len)
{
    static const char *const sql[] = {
        "DELETE FROM findings WHERE run_id IN (SELECT id FROM runs WHERE session_id = ?1 AND board = ?2 AND"
        " host = ?3 AND scenario = ?4 AND iteration >= ?5)",
        "DELETE FROM tool_runs WHERE run_id IN (SELECT id FROM runs WHERE session_id = ?1 AND board = ?2 AND"
        " host = ?3 AND scenario = ?4 AND iteration >= ?5)",
        "DELETE FROM runs WHERE session_id = ?1 AND board = ?2 AND host = ?3 AND scenario = ?4 AND iteration >= ?5"};
    if (store_flush(st, err, err_len) != 0 || sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return store_db_fail(st, "taking out the runs made again", err, err_len);
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) { /* one transaction: all three, or none */
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(st->db, sql[i], -1, &q, NULL) != SQLITE_OK) {
            store_db_fail(st, "taking out the runs made again", err, err_len);
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        sqlite3_bind_int64(q, 1, session);
        sqlite3_bind_text(q, 2, board, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, host, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, scenario, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 5, from_iteration);
        int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE) {
            store_db_fail(st, "taking out the runs made again", err, err_len);
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
               ? 0
               : store_db_fail(st, "taking out the runs made again", err, err_len);
}
