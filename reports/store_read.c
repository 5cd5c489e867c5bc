/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading the results store back (store.h): a session's runs with their
 * findings and tool outcomes, its cells, its figures for trends.
 * May call: store.c (store_internal.h), SQLite, libc. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

/* ------------------------------------------------------------- reading -- */

double store_column_figure(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

enum verdict store_verdict_named(const char *name)
{
    return strcmp(name, "pass") == 0 ? VERDICT_PASS : strcmp(name, "fail") == 0 ? VERDICT_FAIL : VERDICT_ERROR;
}

static int parse_names(sqlite3_stmt *q, struct stored_run *r)
{
    int expected = boot_mode_parse((const char *)sqlite3_column_text(q, 6));
    const char *outcome = (const char *)sqlite3_column_text(q, 7), *verdict = (const char *)sqlite3_column_text(q, 8);
    if (expected < 0 || outcome == NULL || verdict == NULL)
        return -1;
    r->expected = (enum boot_mode)expected;
    r->a.verdict = store_verdict_named(verdict);
    int o = boot_mode_parse(outcome);
    r->a.outcome = r->a.observed = o >= 0 ? (enum boot_mode)o : BOOT_NONE;
    return 0;
}

enum severity store_severity_named(const char *name)
{
    return strcmp(name, severity_name(SEV_ERROR)) == 0  ? SEV_ERROR
           : strcmp(name, severity_name(SEV_WARN)) == 0 ? SEV_WARN
                                                        : SEV_INFO;
}

/* Findings come from one cursor over the findings table in run order,
 * walked beside the runs (a query per run was a fifth of reading a
 * session back). */
struct findings_cursor {
    sqlite3_stmt *q;
    int started, rc; /* rc: the last sqlite3_step's */
};

static int read_findings(struct findings_cursor *fc, int64_t run_id, struct analysis *a)
{
    if (!fc->started) { /* runs come in id order: nothing before the first is needed */
        sqlite3_bind_int64(fc->q, 1, run_id);
        fc->rc = sqlite3_step(fc->q);
        fc->started = 1;
    }
    a->n_findings = 0;
    while (fc->rc == SQLITE_ROW && sqlite3_column_int64(fc->q, 0) <= run_id) {
        if (sqlite3_column_int64(fc->q, 0) == run_id && a->n_findings < ANALYSIS_MAX_FINDINGS) {
            struct finding *f = &a->findings[a->n_findings++];
            store_column_text(fc->q, 1, f->kind, sizeof f->kind);
            char sev[16];
            store_column_text(fc->q, 2, sev, sizeof sev);
            f->severity = store_severity_named(sev);
            f->t_ns = sqlite3_column_int64(fc->q, 3);
            store_column_text(fc->q, 4, f->message, sizeof f->message);
        }
        fc->rc = sqlite3_step(fc->q);
    }
    return fc->rc == SQLITE_ROW || fc->rc == SQLITE_DONE ? 0 : -1;
}

/* tool_runs' columns from `at` on: all NULL for a run that was no tool's. */
static void read_tool(sqlite3_stmt *q, int at, struct tool_outcome *t)
{
    if (sqlite3_column_type(q, at) == SQLITE_NULL)
        return;
    t->ran = 1;
    t->connected = sqlite3_column_int(q, at);
    t->attempts = sqlite3_column_int(q, at + 1);
    store_column_text(q, at + 2, t->strategy, sizeof t->strategy);
    t->connect_ms = store_column_figure(q, at + 3);
    char after[16];
    store_column_text(q, at + 4, after, sizeof after);
    int m = boot_mode_parse(after);
    t->after = sqlite3_column_type(q, at + 4) == SQLITE_NULL || m < 0 ? BOOT_ANY : (enum boot_mode)m;
    store_column_text(q, at + 5, t->error, sizeof t->error);
}

static int read_run(sqlite3_stmt *q, struct findings_cursor *fc, struct stored_run *r)
{
    memset(&r->a, 0, sizeof r->a);
    r->board = (const char *)sqlite3_column_text(q, 1);
    r->host = (const char *)sqlite3_column_text(q, 2);
    r->scenario = (const char *)sqlite3_column_text(q, 3);
    r->iteration = sqlite3_column_int(q, 4);
    r->seed = (uint64_t)sqlite3_column_int64(q, 5);
    if (r->board == NULL || r->host == NULL || r->scenario == NULL || parse_names(q, r) != 0)
        return -1;
    r->a.n_resets = sqlite3_column_int(q, 9);
    r->a.sync = sqlite3_column_type(q, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 10);
    r->a.margin_ms = store_column_figure(q, 11);
    r->a.gap_ms = store_column_figure(q, 12);
    r->a.en_release_ms = store_column_figure(q, 13);
    r->a.tau_ms = store_column_figure(q, 14);
    r->a.en_fit_samples = sqlite3_column_int(q, 15);
    read_tool(q, 16, &r->a.tool);
    r->rec = (struct run_record){r->board, r->host, r->scenario, r->iteration, r->seed, r->expected, &r->a};
    return read_findings(fc, sqlite3_column_int64(q, 0), &r->a);
}

int store_each_run(struct store *st, int64_t session, const char *board, const char *host, const char *scenario,
                   int (*each)(const struct stored_run *r, void *ctx), void *ctx, char *err, size_t err_len)
{
    sqlite3_stmt *q = NULL;
    struct findings_cursor fc = {0};
    /* a version-1 store has no tool_runs: its runs read as no tool's */
    static const char *const tool_columns[2] = {
        ", NULL, NULL, NULL, NULL, NULL, NULL FROM runs",
        ", t.connected, t.attempts, t.strategy, t.connect_ms, t.after, t.error"
        " FROM runs LEFT JOIN tool_runs t ON t.run_id = runs.id"};
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT id, board, host, scenario, iteration, seed, expected, outcome, verdict, resets,"
             " sync, margin_ms, gap_ms, en_release_ms, tau_ms, en_fit_samples%s"
             " WHERE session_id = ?1 AND (?2 IS NULL OR board = ?2) AND (?3 IS NULL OR host = ?3)"
             " AND (?4 IS NULL OR scenario = ?4) ORDER BY id",
             tool_columns[st->version >= 2]);
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->db,
                                "SELECT run_id, kind, severity, t_ns, message FROM findings WHERE run_id >= ?"
                                " ORDER BY run_id, idx",
                                -1, &fc.q, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(q);
        return store_db_fail(st, "reading runs", err, err_len);
    }
    sqlite3_bind_int64(q, 1, session);
    const char *names[] = {board, host, scenario};
    for (int i = 0; i < 3; i++)
        if (names[i])
            sqlite3_bind_text(q, i + 2, names[i], -1, SQLITE_STATIC);
    struct stored_run *r = malloc(sizeof *r);
    int out = r ? 0 : store_fail(err, err_len, "out of memory");
    while (out == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (read_run(q, &fc, r) != 0)
            out = store_fail(err, err_len, "%s: a malformed run row (id %lld)", sqlite3_db_filename(st->db, "main"),
                       (long long)sqlite3_column_int64(q, 0));
        else
            out = each(r, ctx);
    }
    if (out == 0 && rc != SQLITE_DONE)
        out = store_db_fail(st, "reading runs", err, err_len);
    free(r);
    sqlite3_finalize(q);
    sqlite3_finalize(fc.q);
    return out;
}


int store_count_cells(struct store *st, int64_t session, int *n, char *err, size_t err_len)
{
    sqlite3_stmt *q = NULL;
    /* the UNIQUE key's index holds these columns: no table row is read */
    const char *sql = store_session_has_cells(st, session)
                          ? "SELECT COUNT(*) FROM cells WHERE session_id = ?"
                          : "SELECT COUNT(*) FROM (SELECT 1 FROM runs WHERE session_id = ? GROUP BY board, host, scenario)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "counting cells", err, err_len);
    sqlite3_bind_int64(q, 1, session);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : store_db_fail(st, "counting cells", err, err_len);
}


int store_each_cell(struct store *st, int64_t session,
                    int (*each)(const char *board, const char *host, const char *scenario, void *ctx), void *ctx,
                    char *err, size_t err_len)
{
    sqlite3_stmt *q = NULL;
    const char *sql = store_session_has_cells(st, session)
                          ? "SELECT board, host, scenario FROM cells WHERE session_id = ? ORDER BY idx"
                          : "SELECT board, host, scenario FROM runs WHERE session_id = ? GROUP BY board, host, scenario"
                            " ORDER BY MIN(id)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "reading cells", err, err_len);
    sqlite3_bind_int64(q, 1, session);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *b = (const char *)sqlite3_column_text(q, 0), *h = (const char *)sqlite3_column_text(q, 1),
                   *s = (const char *)sqlite3_column_text(q, 2);
        out = b && h && s ? each(b, h, s, ctx)
                          : store_fail(err, err_len, "%s: a malformed run row", sqlite3_db_filename(st->db, "main"));
    }
    if (out == 0 && rc != SQLITE_DONE)
        out = store_db_fail(st, "reading cells", err, err_len);
    sqlite3_finalize(q);
    return out;
}
