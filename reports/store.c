/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The results store over SQLite (store.h).
 * May call: SQLite, libc (getrandom). */
#include "store.h"
#include "store_internal.h"

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* 2: tool_runs (a tool's connect loop: issue #19). A version-1 store opened
 * for writing gets the table; read as it is, its runs have no tool.
 * 3: cells and cell_findings, a row per cell with its figures (issue 22,
 * item 4): the runs table keeps only some runs of a cell (store_cells.c).
 * An older resetlab refuses a version-3 store rather than read a cell from
 * the few runs kept of it; a version-2 store opened for writing gets the
 * tables, and its sessions are read from their runs as before. */
#define SCHEMA_VERSION 3
/* What of quick_check's answer goes into the one error line. */
#define STORE_CHECK_WHY 160

/* Simulated runs are committed together at most this long after the
 * first of them finished: one transaction per run would write each page
 * to the WAL again for every run (16 KB a run, 12 s for the default
 * matrix instead of about 1). */
#define STORE_GROUP_NS 100000000

#define SPREAD_COLUMNS(p)                                                                                          \
    " " p "_n INTEGER NOT NULL, " p "_min REAL, " p "_p5 REAL, " p "_p50 REAL, " p "_p95 REAL, " p "_p99 REAL, " p   \
    "_max REAL,"
#define PICK_COLUMNS(p)                                                                                            \
    " " p "_iteration INTEGER, " p "_seed INTEGER, " p "_verdict TEXT, " p "_outcome TEXT, " p "_margin_ms REAL,"

/* A table that hangs off a session is also named in store_merge.c's
 * session_tables (what `resetlab merge` copies); its columns are not. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions("
    " id INTEGER PRIMARY KEY,"
    " started TEXT NOT NULL, finished TEXT,"
    " status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),"
    " resetlab_version TEXT, os TEXT, kernel TEXT, virtualization TEXT, hostname TEXT,"
    " boards_file TEXT, boards_sha256 TEXT, seed INTEGER NOT NULL, iterations INTEGER NOT NULL, options TEXT);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY,"
    " session_id INTEGER NOT NULL REFERENCES sessions(id),"
    " board TEXT NOT NULL, host TEXT NOT NULL, scenario TEXT NOT NULL,"
    " iteration INTEGER NOT NULL, seed INTEGER NOT NULL,"
    " expected TEXT NOT NULL, outcome TEXT NOT NULL, verdict TEXT NOT NULL,"
    " resets INTEGER NOT NULL, sync INTEGER,"
    " margin_ms REAL, gap_ms REAL, en_release_ms REAL, tau_ms REAL, en_fit_samples INTEGER NOT NULL,"
    " UNIQUE (session_id, board, host, scenario, iteration));"
    "CREATE TABLE IF NOT EXISTS findings("
    " run_id INTEGER NOT NULL REFERENCES runs(id),"
    " idx INTEGER NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, t_ns INTEGER NOT NULL, message TEXT NOT NULL,"
    " PRIMARY KEY (run_id, idx)) WITHOUT ROWID;" /* one b-tree per finding, not a table and its key */
    /* A session's id wherever it is copied (`resetlab merge`): 128 random
     * bits in hex. A session made before this table has none; merge names
     * it by a digest of its content. Additive: older resetlabs read it. */
    "CREATE TABLE IF NOT EXISTS session_uids(session_id INTEGER PRIMARY KEY REFERENCES sessions(id),"
    " uid TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS tool_runs("
    " run_id INTEGER PRIMARY KEY REFERENCES runs(id),"
    " connected INTEGER NOT NULL, attempts INTEGER NOT NULL, strategy TEXT NOT NULL,"
    " connect_ms REAL, after TEXT, error TEXT);"
    /* A cell's figures once its runs are all made (docs/run.md#store):
     * counts, outcomes, the five spreads (n, min, p5, p50, p95, p99, max),
     * the runs the report draws, and the strap margins and DTR/RTS gaps of
     * its runs as little-endian 32-bit floats (compare's tests, the gap
     * plots). idx: its place in the session's order. */
    "CREATE TABLE IF NOT EXISTS cells("
    " session_id INTEGER NOT NULL REFERENCES sessions(id), idx INTEGER NOT NULL,"
    " board TEXT NOT NULL, host TEXT NOT NULL, scenario TEXT NOT NULL, expected TEXT NOT NULL,"
    " runs INTEGER NOT NULL, passed INTEGER NOT NULL, failed INTEGER NOT NULL, errors INTEGER NOT NULL,"
    " outcome_no_reset INTEGER NOT NULL, outcome_download INTEGER NOT NULL, outcome_flash INTEGER NOT NULL,"
    " outcome_marginal INTEGER NOT NULL, tool_runs INTEGER NOT NULL, connected INTEGER NOT NULL,"
    SPREAD_COLUMNS("margin") SPREAD_COLUMNS("gap") SPREAD_COLUMNS("en_release") SPREAD_COLUMNS("attempts")
    SPREAD_COLUMNS("connect")
    PICK_COLUMNS("typical") PICK_COLUMNS("worst")
    " margins BLOB, gaps BLOB,"
    " UNIQUE (session_id, board, host, scenario));" /* rows of ~1 KB: a rowid table is half the size */
    /* Its findings: of the runs that did not pass, one a kind (the words
     * of its worst run, how many runs showed it), and the board's
     * diagnoses from every run. */
    "CREATE TABLE IF NOT EXISTS cell_findings("
    " session_id INTEGER NOT NULL REFERENCES sessions(id),"
    " board TEXT NOT NULL, host TEXT NOT NULL, scenario TEXT NOT NULL,"
    " diagnosis INTEGER NOT NULL, slot INTEGER NOT NULL,"
    " kind TEXT NOT NULL, severity TEXT NOT NULL, t_ns INTEGER NOT NULL, message TEXT NOT NULL,"
    " runs INTEGER NOT NULL, margin_ms REAL,"
    " UNIQUE (session_id, board, host, scenario, diagnosis, slot));";

int store_fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

int store_db_fail(struct store *st, const char *what, char *err, size_t len)
{
    return store_fail(err, len, "%s: %s: %s", sqlite3_db_filename(st->db, "main"), what, sqlite3_errmsg(st->db));
}

/* `what` names the statement in an error: the schema's SQL is 700
 * characters, and the reason came after it. */
static int exec(struct store *st, const char *what, const char *sql, char *err, size_t len)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_db_fail(st, what, err, len);
}

/* The schema version in meta: 0 when the database is new (no tables). */
static int schema_version(struct store *st, int *version, char *err, size_t len)
{
    sqlite3_stmt *q;
    *version = 0;
    int rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q, NULL);
    if (rc != SQLITE_OK) {
        /* no meta table: new, unless other tables say it is someone else's */
        sqlite3_stmt *t;
        if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &t, NULL) != SQLITE_OK)
            return store_db_fail(st, "not a database", err, len);
        int tables = sqlite3_step(t) == SQLITE_ROW ? sqlite3_column_int(t, 0) : -1;
        sqlite3_finalize(t);
        if (tables != 0)
            return store_fail(err, len, "%s: not a resetlab results database", sqlite3_db_filename(st->db, "main"));
        return 0;
    }
    if (sqlite3_step(q) == SQLITE_ROW)
        *version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return 0;
}

static int create_schema(struct store *st, char *err, size_t len)
{
    char sql[sizeof schema + 160];
    snprintf(sql, sizeof sql,
             "BEGIN;%sINSERT OR IGNORE INTO meta VALUES ('schema_version', '%d');"
             "UPDATE meta SET value = '%d' WHERE key = 'schema_version' AND CAST(value AS INTEGER) < %d;COMMIT;",
             schema, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION);
    return exec(st, "creating its tables", sql, err, len);
}

static int prepare(struct store *st, char *err, size_t len)
{
    static const char add_run[] =
        "INSERT INTO runs(session_id, board, host, scenario, iteration, seed, expected, outcome, verdict, resets,"
        " sync, margin_ms, gap_ms, en_release_ms, tau_ms, en_fit_samples)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    static const char add_finding[] = "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?)";
    static const char add_tool[] = "INSERT INTO tool_runs VALUES (?, ?, ?, ?, ?, ?, ?)";
    const struct {
        const char *sql;
        sqlite3_stmt **q;
    } stmts[] = {{add_run, &st->add_run},
                 {add_finding, &st->add_finding},
                 {add_tool, &st->add_tool},
                 {"SAVEPOINT run", &st->savepoint},
                 {"RELEASE run", &st->release}};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        if (sqlite3_prepare_v3(st->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, stmts[i].q, NULL) != SQLITE_OK)
            return store_db_fail(st, "preparing", err, len);
    return 0;
}

/* WAL: readers see committed runs while the writer goes on; NORMAL
 * synchronous until a run asks for FULL. A reader waits out a checkpoint. */
static int configure(struct store *st, enum store_mode mode, char *err, size_t len)
{
    sqlite3_busy_timeout(st->db, 5000);
    if (mode == STORE_READ)
        return 0;
    /* 16 MB of page cache (64 MB was no faster) and a checkpoint every
     * 64 MB of WAL instead of 4 MB: the writer appends for minutes, and
     * with SQLite's defaults it reread pages at every checkpoint (5.9 s
     * instead of 4.9 s for the default matrix's store) */
    static const char setup[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                                " PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=16384;";
    if (sqlite3_exec(st->db, setup, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(err, len, "%s: %s", sqlite3_db_filename(st->db, "main"), sqlite3_errmsg(st->db));
    return 0;
}

/* A store damaged on disk (a bad sector, a copy cut short, a byte flipped)
 * is refused before anything is added to it: a session appended there
 * could be read back by nothing. quick_check reads every page and checks
 * the b-trees (not that indexes match their tables): 2 to 8 ms per MB
 * (0.08 s for 42 MB; 0.34 s for the default run's 146 MB, up to 1.3 s on
 * a loaded 2-core machine). */
static int quick_check(struct store *st, char *err, size_t len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "PRAGMA quick_check", err, len);
    int rc = sqlite3_step(q);
    const char *said = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
    char why[STORE_CHECK_WHY + 1];
    snprintf(why, sizeof why, "%s", said ? said : sqlite3_errmsg(st->db));
    for (char *c = why; *c; c++) /* its lines, as one */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    sqlite3_finalize(q);
    if (said != NULL && strcmp(why, "ok") == 0)
        return 0;
    return store_fail(err, len, "%s: damaged, resetlab adds nothing to it (PRAGMA quick_check: %s): move it aside",
                      sqlite3_db_filename(st->db, "main"), why);
}

struct store *store_open(const char *path, enum store_mode mode, char *err, size_t err_len)
{
    struct store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        store_fail(err, err_len, "out of memory");
        return NULL;
    }
    /* NOMUTEX: a connection is used by one thread at a time (the matrix's
     * writer thread hands it back when it ends), so SQLite's own locks
     * around every call are not needed */
    int flags = (mode == STORE_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        store_fail(err, err_len, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "cannot open");
        store_close(st);
        return NULL;
    }
    if (mode == STORE_WRITE && sqlite3_db_readonly(st->db, "main") == 1) {
        store_fail(err, err_len, "%s: attempt to write a readonly database", path);
        goto bad;
    }
    int version;
    if (configure(st, mode, err, err_len) != 0 || schema_version(st, &version, err, err_len) != 0)
        goto bad;
    if (mode == STORE_WRITE && version > 0 && quick_check(st, err, err_len) != 0)
        goto bad;
    if (version > SCHEMA_VERSION) {
        store_fail(err, err_len, "%s: results schema %d is newer than this resetlab's (%d)", path, version, SCHEMA_VERSION);
        goto bad;
    }
    st->version = version;
    if (version == 0 && mode == STORE_READ) {
        store_fail(err, err_len, "%s: not a resetlab results database (empty)", path);
        goto bad;
    }
    if (mode == STORE_WRITE && (create_schema(st, err, err_len) != 0 || prepare(st, err, err_len) != 0))
        goto bad;
    if (mode == STORE_WRITE)
        st->version = SCHEMA_VERSION; /* upgraded */
    return st;
bad:
    store_close(st);
    return NULL;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    char err[256];
    if (store_flush(st, err, sizeof err) != 0) {
        /* closing after an error: what could be committed was */
    }
    sqlite3_finalize(st->add_run);
    sqlite3_finalize(st->add_finding);
    sqlite3_finalize(st->add_tool);
    sqlite3_finalize(st->savepoint);
    sqlite3_finalize(st->release);
    sqlite3_close(st->db);
    free(st);
}

/* ------------------------------------------------------------ sessions -- */

void store_utc_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
    sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

/* The session's id for `resetlab merge`: 128 bits from the kernel's
 * random source, so two machines never give the same one. */
static int add_session_uid(struct store *st, int64_t id, char *err, size_t err_len)
{
    unsigned char bits[16];
    if (getrandom(bits, sizeof bits, 0) != (ssize_t)sizeof bits)
        return store_fail(err, err_len, "no random bytes for the session's id");
    char uid[2 * sizeof bits + 1];
    for (size_t i = 0; i < sizeof bits; i++)
        snprintf(uid + 2 * i, 3, "%02x", bits[i]);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO session_uids VALUES (?, ?)", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "adding a session", err, err_len);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, uid, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, "adding a session", err, err_len);
}

int store_session_begin(struct store *st, const struct session_facts *f, int64_t *id, char *err, size_t err_len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO sessions(started, status, resetlab_version, os, kernel, virtualization,"
                           " hostname, boards_file, boards_sha256, seed, iterations, options)"
                           " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "adding a session", err, err_len);
    const char *text[] = {f->started,  f->resetlab_version, f->os,          f->kernel, f->virtualization,
                          f->hostname, f->boards_file,      f->boards_sha256};
    for (int i = 0; i < 8; i++)
        bind_text(q, i + 1, text[i]);
    sqlite3_bind_int64(q, 9, (int64_t)f->seed);
    sqlite3_bind_int(q, 10, f->iterations);
    bind_text(q, 11, f->options);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_db_fail(st, "adding a session", err, err_len);
    *id = sqlite3_last_insert_rowid(st->db);
    return add_session_uid(st, *id, err, err_len);
}

int store_session_end(struct store *st, int64_t id, const char *status, char *err, size_t err_len)
{
    char now[32];
    store_utc_now(now, sizeof now);
    return store_session_end_at(st, id, status, now, err, err_len);
}

int store_session_end_at(struct store *st, int64_t id, const char *status, const char *finished, char *err,
                         size_t err_len)
{
    if (store_flush(st, err, err_len) != 0)
        return -1;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "UPDATE sessions SET status = ?, finished = ? WHERE id = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return store_db_fail(st, "ending the session", err, err_len);
    bind_text(q, 1, status);
    bind_text(q, 2, finished);
    sqlite3_bind_int64(q, 3, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, "ending the session", err, err_len);
}

void store_column_text(sqlite3_stmt *q, int i, char *out, size_t len)
{
    const unsigned char *s = sqlite3_column_text(q, i);
    snprintf(out, len, "%s", s ? (const char *)s : "");
}

static void read_session(sqlite3_stmt *q, struct session_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    store_column_text(q, 1, r->facts.started, sizeof r->facts.started);
    store_column_text(q, 2, r->finished, sizeof r->finished);
    store_column_text(q, 3, r->status, sizeof r->status);
    store_column_text(q, 4, r->facts.resetlab_version, sizeof r->facts.resetlab_version);
    store_column_text(q, 5, r->facts.os, sizeof r->facts.os);
    store_column_text(q, 6, r->facts.kernel, sizeof r->facts.kernel);
    store_column_text(q, 7, r->facts.virtualization, sizeof r->facts.virtualization);
    store_column_text(q, 8, r->facts.hostname, sizeof r->facts.hostname);
    store_column_text(q, 9, r->facts.boards_file, sizeof r->facts.boards_file);
    store_column_text(q, 10, r->facts.boards_sha256, sizeof r->facts.boards_sha256);
    r->facts.seed = (uint64_t)sqlite3_column_int64(q, 11);
    r->facts.iterations = sqlite3_column_int(q, 12);
    store_column_text(q, 13, r->facts.options, sizeof r->facts.options);
    r->runs = sqlite3_column_int64(q, 14);
}

#define SESSION_FACTS                                                                                              \
    "SELECT id, started, finished, status, resetlab_version, os, kernel, virtualization, hostname, boards_file,"   \
    " boards_sha256, seed, iterations, options, "
/* The runs a session made: its cells' (schema 3), and the runs stored of
 * the cells that have no row yet. */
#define SESSION_RUNS_2 "(SELECT count(*) FROM runs WHERE session_id = sessions.id) FROM sessions"
#define SESSION_RUNS_3                                                                                             \
    "(SELECT coalesce(sum(runs), 0) FROM cells WHERE session_id = sessions.id) + (SELECT count(*) FROM runs r"     \
    " WHERE r.session_id = sessions.id AND NOT EXISTS (SELECT 1 FROM cells c WHERE c.session_id = r.session_id"  \
    " AND c.board = r.board AND c.host = r.host AND c.scenario = r.scenario)) FROM sessions"
#define SESSION_COLUMNS(st) ((st)->version >= 3 ? SESSION_FACTS SESSION_RUNS_3 : SESSION_FACTS SESSION_RUNS_2)

int store_session_get(struct store *st, int64_t id, struct session_row *out, char *err, size_t err_len)
{
    sqlite3_stmt *q;
    char sql[900];
    snprintf(sql, sizeof sql, "%s%s", SESSION_COLUMNS(st), id ? " WHERE id = ?" : " ORDER BY id DESC LIMIT 1");
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "reading sessions", err, err_len);
    if (id)
        sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q), found = rc == SQLITE_ROW;
    if (found)
        read_session(q, out);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : store_db_fail(st, "reading sessions", err, err_len);
}

int store_sessions(struct store *st, struct session_row *out, int max, char *err, size_t err_len)
{
    sqlite3_stmt *q;
    char sql[900];
    snprintf(sql, sizeof sql, "%s ORDER BY id DESC LIMIT ?", SESSION_COLUMNS(st));
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "reading sessions", err, err_len);
    sqlite3_bind_int(q, 1, max);
    int n = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        read_session(q, &out[n++]);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : store_db_fail(st, "reading sessions", err, err_len);
}

/* ---------------------------------------------------------------- runs -- */

/* NaN (no figure) as NULL. */
void store_bind_figure(sqlite3_stmt *q, int i, double x)
{
    if (isnan(x))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_double(q, i, x);
}

static int insert_run(struct store *st, int64_t session, const struct run_record *r)
{
    const struct analysis *a = r->a;
    sqlite3_stmt *q = st->add_run;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, session);
    sqlite3_bind_text(q, 2, r->board, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, r->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, r->iteration);
    sqlite3_bind_int64(q, 6, (int64_t)r->seed);
    sqlite3_bind_text(q, 7, boot_mode_name(r->expected), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, a->verdict == VERDICT_ERROR ? "error" : boot_mode_name(a->outcome), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 9, verdict_name(a->verdict), -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 10, a->n_resets);
    if (a->sync < 0)
        sqlite3_bind_null(q, 11);
    else
        sqlite3_bind_int(q, 11, a->sync);
    store_bind_figure(q, 12, a->margin_ms);
    store_bind_figure(q, 13, a->gap_ms);
    store_bind_figure(q, 14, a->en_release_ms);
    store_bind_figure(q, 15, a->tau_ms);
    sqlite3_bind_int(q, 16, a->en_fit_samples);
    return sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
}

/* A tool's outcome, for the runs that were a tool's connect loop. */
static int insert_tool(struct store *st, int64_t run_id, const struct tool_outcome *t)
{
    if (!t->ran)
        return 0;
    sqlite3_stmt *q = st->add_tool;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int(q, 2, t->connected);
    sqlite3_bind_int(q, 3, t->attempts);
    sqlite3_bind_text(q, 4, t->strategy, -1, SQLITE_STATIC);
    store_bind_figure(q, 5, t->connect_ms);
    if (t->after == BOOT_ANY)
        sqlite3_bind_null(q, 6);
    else
        sqlite3_bind_text(q, 6, boot_mode_name(t->after), -1, SQLITE_STATIC);
    if (t->error[0])
        sqlite3_bind_text(q, 7, t->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 7);
    return sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
}

static int insert_findings(struct store *st, int64_t run_id, const struct analysis *a)
{
    sqlite3_stmt *q = st->add_finding;
    for (int i = 0; i < a->n_findings; i++) {
        const struct finding *f = &a->findings[i];
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, i);
        sqlite3_bind_text(q, 3, f->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, severity_name(f->severity), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, f->t_ns);
        sqlite3_bind_text(q, 6, f->message, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            return -1;
    }
    return 0;
}

/* A prepared statement without results, run once (prepared ones are
 * parsed once: SAVEPOINT and RELEASE through sqlite3_exec were parsed
 * again for every run). */
static int step_once(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int set_durable(struct store *st, int durable, char *err, size_t len)
{
    if (st->durable == durable)
        return 0;
    st->durable = durable;
    return exec(st, "PRAGMA synchronous", durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err, len);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int store_flush(struct store *st, char *err, size_t err_len)
{
    if (!st->in_txn)
        return 0;
    st->in_txn = 0;
    return exec(st, "COMMIT", "COMMIT", err, err_len);
}

int store_txn_join(struct store *st, int durable, char *err, size_t err_len)
{
    if (durable && store_flush(st, err, err_len) != 0)
        return -1;
    if (set_durable(st, durable, err, err_len) != 0)
        return -1;
    if (!st->in_txn) {
        if (exec(st, "BEGIN", "BEGIN", err, err_len) != 0)
            return -1;
        st->in_txn = 1;
        st->txn_start_ns = now_ns();
    }
    return 0;
}

int store_txn_done(struct store *st, int durable, char *err, size_t err_len)
{
    if (durable || now_ns() - st->txn_start_ns >= STORE_GROUP_NS)
        return store_flush(st, err, err_len);
    return 0;
}

int store_add_run(struct store *st, int64_t session, const struct run_record *rec, int durable, char *err,
                  size_t err_len)
{
    if (store_txn_join(st, durable, err, err_len) != 0)
        return -1;
    if (step_once(st->savepoint) != 0)
        return store_db_fail(st, "SAVEPOINT run", err, err_len);
    if (insert_run(st, session, rec) != 0 || insert_findings(st, sqlite3_last_insert_rowid(st->db), rec->a) != 0 ||
        insert_tool(st, sqlite3_last_insert_rowid(st->db), &rec->a->tool) != 0) {
        store_db_fail(st, "adding a run", err, err_len);
        sqlite3_exec(st->db, "ROLLBACK TO run; RELEASE run", NULL, NULL, NULL);
        return -1;
    }
    if (step_once(st->release) != 0)
        return store_db_fail(st, "RELEASE run", err, err_len);
    return store_txn_done(st, durable, err, err_len);
}
