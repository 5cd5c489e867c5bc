/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a session's cells back (store.h's store_each_stored_cell): from
 * their rows (schema 3), or, for a session made before them, by counting
 * its runs into cells one after another as the report always did.
 * May call: store.c and store_read.c (store_internal.h, store.h), results.c, SQLite, libc. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

/* The floats of a blob (little-endian), into a buffer that grows. */
static int read_floats(sqlite3_stmt *q, int i, float **buf, int *cap, int *n)
{
    int bytes = sqlite3_column_bytes(q, i);
    const unsigned char *b = sqlite3_column_blob(q, i);
    *n = b && bytes % 4 == 0 ? bytes / 4 : 0;
    if (*n > *cap) {
        float *p = realloc(*buf, sizeof *p * (size_t)*n);
        if (p == NULL)
            return -1;
        *buf = p;
        *cap = *n;
    }
    for (int k = 0; k < *n; k++) {
        uint32_t u = 0;
        for (int j = 0; j < 4; j++)
            u |= (uint32_t)b[4 * k + j] << (8 * j);
        memcpy(&(*buf)[k], &u, 4);
    }
    return 0;
}

static void read_pick(sqlite3_stmt *q, int i, struct run_pick *p)
{
    memset(p, 0, sizeof *p);
    if (sqlite3_column_type(q, i) == SQLITE_NULL)
        return;
    p->set = 1;
    p->iteration = sqlite3_column_int(q, i);
    p->seed = (uint64_t)sqlite3_column_int64(q, i + 1);
    p->verdict = store_verdict_named((const char *)sqlite3_column_text(q, i + 2));
    int o = boot_mode_parse((const char *)sqlite3_column_text(q, i + 3));
    p->outcome = o >= 0 ? (enum boot_mode)o : BOOT_NONE;
    p->margin_ms = store_column_figure(q, i + 4);
}

/* The cell's findings (cell_findings), by kind and diagnosis. */
static int read_findings(struct store *st, int64_t session, struct cell_stats *c)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT diagnosis, kind, severity, t_ns, message, runs, margin_ms FROM cell_findings"
                           " WHERE session_id = ? AND board = ? AND host = ? AND scenario = ? ORDER BY diagnosis, slot",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(q, 1, session);
    sqlite3_bind_text(q, 2, c->board, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, c->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, c->scenario, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int diag = sqlite3_column_int(q, 0);
        if (diag ? c->n_diag == CELL_MAX_DIAG : c->n_kinds == CELL_MAX_KINDS)
            continue;
        struct finding *f = diag ? &c->diag[c->n_diag] : &c->kinds[c->n_kinds];
        store_column_text(q, 1, f->kind, sizeof f->kind);
        char sev[16];
        store_column_text(q, 2, sev, sizeof sev);
        f->severity = store_severity_named(sev);
        f->t_ns = sqlite3_column_int64(q, 3);
        store_column_text(q, 4, f->message, sizeof f->message);
        if (diag) {
            c->diag_count[c->n_diag++] = sqlite3_column_int(q, 5);
        } else {
            c->kind_count[c->n_kinds] = sqlite3_column_int(q, 5);
            c->kind_margin[c->n_kinds++] = store_column_figure(q, 6);
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

struct row_reader {
    float *margins, *gaps;
    int cap_margins, cap_gaps;
};

static int read_cell(struct store *st, int64_t session, sqlite3_stmt *q, struct row_reader *rr, struct stored_cell *sc)
{
    memset(sc, 0, sizeof *sc);
    struct cell_stats *c = &sc->c;
    int expected = boot_mode_parse((const char *)sqlite3_column_text(q, 5));
    cell_init(c, (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
              (const char *)sqlite3_column_text(q, 4), expected >= 0 ? (enum boot_mode)expected : BOOT_ANY, 1);
    if (c->board == NULL || c->host == NULL || c->scenario == NULL || expected < 0)
        return -1;
    sc->idx = sqlite3_column_int(q, 1);
    int *counts[] = {&c->runs, &c->passed, &c->failed, &c->errors, &c->outcomes[BOOT_NONE],
                     &c->outcomes[BOOT_DOWNLOAD], &c->outcomes[BOOT_FLASH], &c->outcomes[BOOT_MARGINAL],
                     &c->tool_runs, &c->connected};
    for (int i = 0; i < 10; i++)
        *counts[i] = sqlite3_column_int(q, 6 + i);
    for (int k = 0; k < SPREADS; k++) {
        int at = FIRST_SPREAD + k * SPREAD_FIELDS;
        *store_cell_spread(c, k) = (struct spread){sqlite3_column_int(q, at),     store_column_figure(q, at + 1), store_column_figure(q, at + 2),
                                           store_column_figure(q, at + 3),             store_column_figure(q, at + 4), store_column_figure(q, at + 5),
                                           store_column_figure(q, at + 6)};
    }
    read_pick(q, FIRST_PICK, &c->typical);
    read_pick(q, FIRST_PICK + PICK_FIELDS, &c->worst);
    c->closed = 1;
    int last = FIRST_PICK + 2 * PICK_FIELDS;
    if (read_floats(q, last, &rr->margins, &rr->cap_margins, &sc->n_margins) != 0 ||
        read_floats(q, last + 1, &rr->gaps, &rr->cap_gaps, &sc->n_gaps) != 0)
        return -2;
    sc->margins = rr->margins;
    sc->gaps = rr->gaps;
    return read_findings(st, session, c);
}

static int each_row(struct store *st, int64_t session, const char *const names[3],
                    int (*each)(const struct stored_cell *sc, void *ctx), void *ctx, char *err, size_t err_len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT " STORE_CELL_COLUMNS " FROM cells WHERE session_id = ?1 AND (?2 IS NULL OR board = ?2) AND"
                           " (?3 IS NULL OR host = ?3) AND (?4 IS NULL OR scenario = ?4) ORDER BY idx",
                           -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "reading cells", err, err_len);
    sqlite3_bind_int64(q, 1, session);
    for (int i = 0; i < 3; i++)
        if (names[i])
            sqlite3_bind_text(q, i + 2, names[i], -1, SQLITE_STATIC);
    struct row_reader rr = {0};
    struct stored_cell *sc = malloc(sizeof *sc);
    int rc, out = sc ? 0 : store_fail(err, err_len, "out of memory");
    while (out == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int got = read_cell(st, session, q, &rr, sc);
        if (got == -2)
            out = store_fail(err, err_len, "out of memory");
        else if (got != 0)
            out = store_db_fail(st, "a malformed cell row", err, err_len);
        else
            out = each(sc, ctx);
    }
    if (out == 0 && rc != SQLITE_DONE)
        out = store_db_fail(st, "reading cells", err, err_len);
    sqlite3_finalize(q);
    free(sc);
    free(rr.margins);
    free(rr.gaps);
    return out;
}

/* ------------------------------------------- a session from before rows -- */

/* Runs come cell by cell: each is counted into the open cell, which is
 * closed and handed on when the next begins. */
struct counting {
    struct stored_cell sc;
    char board[128], host[128], scenario[128];
    int open, idx, iterations;
    float *margins, *gaps;
    int (*each)(const struct stored_cell *sc, void *ctx);
    void *ctx;
    char *err;
    size_t err_len;
};

static int hand_on(struct counting *k)
{
    if (!k->open)
        return 0;
    k->open = 0;
    struct stored_cell *sc = &k->sc;
    free(k->margins);
    free(k->gaps);
    k->margins = k->gaps = NULL;
    if (cell_sample_floats(&sc->c, &k->margins, &sc->n_margins, &k->gaps, &sc->n_gaps) != 0) {
        cell_free(&sc->c);
        return store_fail(k->err, k->err_len, "out of memory");
    }
    cell_close(&sc->c);
    sc->margins = k->margins;
    sc->gaps = k->gaps;
    return k->each(sc, k->ctx);
}

static int count_run(const struct stored_run *r, void *ctx)
{
    struct counting *k = ctx;
    if (!k->open || strcmp(k->board, r->board) != 0 || strcmp(k->host, r->host) != 0 ||
        strcmp(k->scenario, r->scenario) != 0) {
        int rc = hand_on(k);
        if (rc != 0)
            return rc;
        snprintf(k->board, sizeof k->board, "%s", r->board);
        snprintf(k->host, sizeof k->host, "%s", r->host);
        snprintf(k->scenario, sizeof k->scenario, "%s", r->scenario);
        memset(&k->sc, 0, sizeof k->sc);
        k->sc.idx = k->idx++;
        cell_init(&k->sc.c, k->board, k->host, k->scenario, r->expected, k->iterations);
        k->open = 1;
    }
    return cell_add_run(&k->sc.c, &r->a, r->iteration, r->seed) == 0 ? 0
                                                                       : store_fail(k->err, k->err_len, "out of memory");
}

static int each_counted(struct store *st, int64_t session, const char *const names[3],
                        int (*each)(const struct stored_cell *sc, void *ctx), void *ctx, char *err, size_t err_len)
{
    struct counting *k = calloc(1, sizeof *k);
    if (k == NULL)
        return store_fail(err, err_len, "out of memory");
    k->each = each;
    k->ctx = ctx;
    k->err = err;
    k->err_len = err_len;
    struct session_row row;
    k->iterations = store_session_get(st, session, &row, err, err_len) == 1 ? row.facts.iterations : 1;
    err[0] = '\0';
    int rc = store_each_run(st, session, names[0], names[1], names[2], count_run, k, err, err_len);
    if (rc == 0)
        rc = hand_on(k);
    if (k->open)
        cell_free(&k->sc.c);
    free(k->margins);
    free(k->gaps);
    free(k);
    return rc;
}

int store_session_has_cells(struct store *st, int64_t session)
{
    sqlite3_stmt *q;
    if (st->version < 3 ||
        sqlite3_prepare_v2(st->db, "SELECT 1 FROM cells WHERE session_id = ? LIMIT 1", -1, &q, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(q, 1, session);
    int found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return found;
}

int store_each_stored_cell(struct store *st, int64_t session, const char *board, const char *host,
                           const char *scenario, int rows_only, int (*each)(const struct stored_cell *sc, void *ctx),
                           void *ctx, char *err, size_t err_len)
{
    const char *const names[3] = {board, host, scenario};
    if (store_session_has_cells(st, session))
        return each_row(st, session, names, each, ctx, err, err_len);
    return rows_only ? 0 : each_counted(st, session, names, each, ctx, err, err_len);
}
