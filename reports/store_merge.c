/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sessions copied between results stores (store_merge.h). Every source is
 * opened, checked and listed, and every session id that appears twice has
 * its two contents compared, before one row is written; then each source
 * is attached in turn and the sessions dest lacks are copied in one
 * transaction per source: a session lands whole or not at all, and a
 * merge cut short (a full disk) is finished by running it again.
 * May call: reports/store (open, its connection), SQLite, GLib (SHA-256, a hash table), libc. */
#include "store_merge.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_internal.h"

#define UID_MAX 80

/* The tables that hang off a session, in the order they are copied: a
 * new table of the store is added here (and to content_sql below). */
static const char *const copy_sql[] = {
    "INSERT INTO main.runs(id, session_id, board, host, scenario, iteration, seed, expected, outcome, verdict,"
    " resets, sync, margin_ms, gap_ms, en_release_ms, tau_ms, en_fit_samples) SELECT id + ?2, ?3, board, host,"
    " scenario, iteration, seed, expected, outcome, verdict, resets, sync, margin_ms, gap_ms, en_release_ms, tau_ms,"
    " en_fit_samples FROM src.runs WHERE session_id = ?1",
    "INSERT INTO main.findings(run_id, idx, kind, severity, t_ns, message) SELECT run_id + ?2, idx, kind, severity,"
    " t_ns, message FROM src.findings WHERE run_id IN (SELECT id FROM src.runs WHERE session_id = ?1) AND ?3 = ?3",
    "INSERT INTO main.tool_runs(run_id, connected, attempts, strategy, connect_ms, after, error) SELECT run_id + ?2,"
    " connected, attempts, strategy, connect_ms, after, error FROM src.tool_runs WHERE run_id IN"
    " (SELECT id FROM src.runs WHERE session_id = ?1) AND ?3 = ?3",
};

/* A session's content without the row ids a copy renumbers: what its
 * digest is taken over. */
static const char *const content_sql[] = {
    "SELECT started, finished, status, resetlab_version, os, kernel, virtualization, hostname, boards_file,"
    " boards_sha256, seed, iterations, options FROM sessions WHERE id = ?",
    "SELECT board, host, scenario, iteration, seed, expected, outcome, verdict, resets, sync, margin_ms, gap_ms,"
    " en_release_ms, tau_ms, en_fit_samples FROM runs WHERE session_id = ? ORDER BY board, host, scenario, iteration",
    "SELECT r.board, r.host, r.scenario, r.iteration, f.idx, f.kind, f.severity, f.t_ns, f.message FROM findings f"
    " JOIN runs r ON r.id = f.run_id WHERE r.session_id = ? ORDER BY r.board, r.host, r.scenario, r.iteration, f.idx",
    "SELECT r.board, r.host, r.scenario, r.iteration, t.connected, t.attempts, t.strategy, t.connect_ms, t.after,"
    " t.error FROM tool_runs t JOIN runs r ON r.id = t.run_id WHERE r.session_id = ?"
    " ORDER BY r.board, r.host, r.scenario, r.iteration",
};

struct sess {
    int64_t id;       /* in its own store */
    int store;        /* 0: dest, k: srcs[k-1] */
    char uid[UID_MAX];
    char digest[65];  /* "" until needed */
    int64_t dest_id;  /* its id in dest, once there; 0 not yet */
};

struct merge {
    const char *const *paths; /* [0] dest, [k] srcs[k-1] */
    struct sess *s;
    int n, cap;
    GHashTable *by_uid; /* uid -> index + 1 of the first session with it */
    char *err;
    size_t len;
};

static int table_exists(sqlite3 *db, const char *schema, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND name = ?", schema);
    sqlite3_stmt *q;
    int yes = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(q) == SQLITE_ROW;
    }
    sqlite3_finalize(q);
    return yes;
}

static void feed_row(GChecksum *c, sqlite3_stmt *q)
{
    for (int i = 0; i < sqlite3_column_count(q); i++) {
        const unsigned char *t = sqlite3_column_text(q, i);
        g_checksum_update(c, t ? t : (const guchar *)"\x01NULL", -1);
        g_checksum_update(c, (const guchar *)"\x1f", 1);
    }
    g_checksum_update(c, (const guchar *)"\x1e", 1);
}

/* SHA-256 of session `id`'s content (content_sql) in st. */
static int digest(struct store *st, int64_t id, char out[65], char *err, size_t len)
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    int n = table_exists(st->db, "main", "tool_runs") ? 4 : 3, rc = SQLITE_DONE;
    for (int i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(st->db, content_sql[i], -1, &q, NULL) != SQLITE_OK) {
            rc = SQLITE_ERROR;
            break;
        }
        sqlite3_bind_int64(q, 1, id);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW)
            feed_row(c, q);
        sqlite3_finalize(q);
    }
    if (rc == SQLITE_DONE)
        snprintf(out, 65, "%s", g_checksum_get_string(c));
    g_checksum_free(c);
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, "reading a session", err, len);
}

static int check_intact(struct store *st, const char *path, char *err, size_t len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "checking", err, len);
    char why[160] = "";
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        store_column_text(q, 0, why, sizeof why);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return store_db_fail(st, "checking", err, len);
    for (char *p = why; *p; p++) /* SQLite lists the damage a line each: one line */
        if (*p == '\n')
            *p = ' ';
    return strcmp(why, "ok") == 0 ? 0 : store_fail(err, len, "%s: damaged (%s)", path, why);
}

static struct sess *add_sess(struct merge *m)
{
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        struct sess *p = realloc(m->s, sizeof *p * (size_t)cap);
        if (p == NULL)
            return NULL;
        m->s = p;
        m->cap = cap;
    }
    struct sess *s = &m->s[m->n++];
    memset(s, 0, sizeof *s);
    return s;
}

/* Every session of store k, with its id (a digest's when it has none). */
static int list_sessions(struct merge *m, struct store *st, int k)
{
    int uids = table_exists(st->db, "main", "session_uids");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           uids ? "SELECT s.id, u.uid FROM sessions s LEFT JOIN session_uids u ON u.session_id = s.id"
                                  " ORDER BY s.id"
                                : "SELECT id, NULL FROM sessions ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "listing sessions", m->err, m->len);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct sess *s = m->n < MERGE_MAX_SESSIONS ? add_sess(m) : NULL;
        if (s == NULL) {
            sqlite3_finalize(q);
            return store_fail(m->err, m->len, "%s: %s", m->paths[k],
                              m->n < MERGE_MAX_SESSIONS ? "out of memory"
                                                        : "more than 100000 sessions in the stores together");
        }
        s->id = sqlite3_column_int64(q, 0);
        s->store = k;
        s->dest_id = k == 0 ? s->id : 0;
        store_column_text(q, 1, s->uid, sizeof s->uid);
        if (s->uid[0] == '\0') { /* made before session ids: its content names it */
            if (digest(st, s->id, s->digest, m->err, m->len) != 0) {
                sqlite3_finalize(q);
                return -1;
            }
            snprintf(s->uid, sizeof s->uid, "sha256:%s", s->digest);
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, "listing sessions", m->err, m->len);
}

static int open_and_list(struct merge *m, int k)
{
    struct store *st = store_open(m->paths[k], STORE_READ, m->err, m->len);
    if (st == NULL)
        return -1;
    int rc = check_intact(st, m->paths[k], m->err, m->len) != 0 || list_sessions(m, st, k) != 0 ? -1 : 0;
    store_close(st);
    return rc;
}

static int digest_of(struct merge *m, struct sess *s)
{
    if (s->digest[0])
        return 0;
    struct store *st = store_open(m->paths[s->store], STORE_READ, m->err, m->len);
    int rc = st ? digest(st, s->id, s->digest, m->err, m->len) : -1;
    store_close(st);
    return rc;
}

/* One id, one content: a session seen twice is compared with its first. */
static int check_ids(struct merge *m)
{
    for (int i = 0; i < m->n; i++) {
        gpointer at = g_hash_table_lookup(m->by_uid, m->s[i].uid);
        if (at == NULL) {
            g_hash_table_insert(m->by_uid, m->s[i].uid, GINT_TO_POINTER(i + 1));
            continue;
        }
        struct sess *first = &m->s[GPOINTER_TO_INT(at) - 1], *s = &m->s[i];
        if (digest_of(m, first) != 0 || digest_of(m, s) != 0)
            return -1;
        if (strcmp(first->digest, s->digest) != 0)
            return store_fail(m->err, m->len,
                              "%s: session #%lld (id %s) holds other runs than session #%lld of %s with the same id "
                              "(resumed in one place after it was copied?); nothing was merged",
                              m->paths[s->store], (long long)s->id, s->uid, (long long)first->id,
                              m->paths[first->store]);
    }
    return 0;
}

static int exec(struct store *st, const char *sql, char *err, size_t len)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_db_fail(st, "merging", err, len);
}

static int step3(struct store *st, const char *sql, int64_t a, int64_t b, int64_t c, char *err, size_t len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "copying", err, len);
    sqlite3_bind_int64(q, 1, a);
    sqlite3_bind_int64(q, 2, b);
    sqlite3_bind_int64(q, 3, c);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, "copying", err, len);
}

static int64_t max_run_id(struct store *st)
{
    sqlite3_stmt *q;
    int64_t v = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT COALESCE(MAX(id), 0) FROM main.runs", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* Session s of the attached store `src` into main: the session, its id,
 * then its runs with their ids moved past main's, and what hangs off them. */
static int copy_session(struct store *st, struct sess *s, int tools, struct merge_result *r, char *err, size_t len)
{
    if (step3(st,
              "INSERT INTO main.sessions(started, finished, status, resetlab_version, os, kernel, virtualization,"
              " hostname, boards_file, boards_sha256, seed, iterations, options) SELECT started, finished, status,"
              " resetlab_version, os, kernel, virtualization, hostname, boards_file, boards_sha256, seed, iterations,"
              " options FROM src.sessions WHERE id = ?1 AND ?2 = ?2 AND ?3 = ?3",
              s->id, 0, 0, err, len) != 0)
        return -1;
    s->dest_id = sqlite3_last_insert_rowid(st->db);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO main.session_uids VALUES (?, ?)", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "copying", err, len);
    sqlite3_bind_int64(q, 1, s->dest_id);
    sqlite3_bind_text(q, 2, s->uid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_db_fail(st, "copying", err, len);
    int64_t shift = max_run_id(st);
    for (size_t i = 0; i < sizeof copy_sql / sizeof copy_sql[0] - (tools ? 0 : 1); i++) {
        if (step3(st, copy_sql[i], s->id, shift, s->dest_id, err, len) != 0)
            return -1;
        if (i == 0)
            r->runs_added += sqlite3_changes(st->db);
    }
    r->added++;
    return 0;
}

/* Source k's sessions dest lacks, in one transaction. */
static int copy_from(struct merge *m, struct store *dst, int k, struct merge_result *r)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(dst->db, "ATTACH ? AS src", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(dst, "attaching", m->err, m->len);
    sqlite3_bind_text(q, 1, m->paths[k], -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_db_fail(dst, "attaching", m->err, m->len);
    int tools = table_exists(dst->db, "src", "tool_runs"), bad = exec(dst, "BEGIN IMMEDIATE", m->err, m->len);
    for (int i = 0; i < m->n && !bad; i++) {
        struct sess *s = &m->s[i];
        if (s->store != k)
            continue;
        struct sess *first = &m->s[GPOINTER_TO_INT(g_hash_table_lookup(m->by_uid, s->uid)) - 1];
        if (first != s && first->dest_id != 0) { /* dest has it, or an earlier source brought it */
            s->dest_id = first->dest_id;
            r->present++;
            continue;
        }
        bad = copy_session(dst, s, tools, r, m->err, m->len);
    }
    bad = bad ? (sqlite3_exec(dst->db, "ROLLBACK", NULL, NULL, NULL), -1) : exec(dst, "COMMIT", m->err, m->len);
    sqlite3_exec(dst->db, "DETACH src", NULL, NULL, NULL);
    return bad;
}

/* The dest ids of the sources' sessions, for `report --sessions merged`. */
static int note_ids(struct merge *m, struct store *dst, struct merge_result *r)
{
    size_t used = 0;
    for (int i = 0; i < m->n; i++)
        if (m->s[i].store > 0 && used + 24 < sizeof r->ids) {
            int dup = 0; /* the same session from two sources: once */
            for (int j = 0; j < i && !dup; j++)
                dup = m->s[j].store > 0 && m->s[j].dest_id == m->s[i].dest_id;
            if (!dup)
                used += (size_t)snprintf(r->ids + used, sizeof r->ids - used, "%s%lld", used ? "," : "",
                                         (long long)m->s[i].dest_id);
        }
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(dst->db, "INSERT OR REPLACE INTO meta VALUES ('last_merge', ?)", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(dst, "noting the merge", m->err, m->len);
    sqlite3_bind_text(q, 1, r->ids, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : store_db_fail(dst, "noting the merge", m->err, m->len);
}

int store_merge(const char *dest, const char *const *srcs, int n, struct merge_result *r, char *err, size_t len)
{
    memset(r, 0, sizeof *r);
    if (n < 1 || n > MERGE_MAX_STORES)
        return store_fail(err, len, "%d stores: 1 to %d in one merge", n, MERGE_MAX_STORES);
    const char **paths = calloc((size_t)n + 1, sizeof *paths);
    if (paths == NULL)
        return store_fail(err, len, "out of memory");
    paths[0] = dest;
    memcpy(paths + 1, srcs, sizeof *paths * (size_t)n);
    struct merge m = {paths, NULL, 0, 0, g_hash_table_new(g_str_hash, g_str_equal), err, len};
    int rc = -1;
    struct store *dst = NULL;
    /* dest's sessions first: what it has is what a source's copy is compared with */
    for (int k = access(dest, F_OK) == 0 ? 0 : 1; k <= n; k++)
        if (open_and_list(&m, k) != 0)
            goto out;
    if (check_ids(&m) != 0)
        goto out;
    dst = store_open(dest, STORE_WRITE, err, len); /* made when missing: after every check */
    if (dst == NULL || store_flush(dst, err, len) != 0)
        goto out;
    for (int k = 1; k <= n; k++)
        if (copy_from(&m, dst, k, r) != 0)
            goto out;
    rc = note_ids(&m, dst, r);
out:
    store_close(dst);
    g_hash_table_destroy(m.by_uid);
    free(m.s);
    free(paths);
    return rc;
}

int store_last_merge(struct store *st, char *out, size_t len, char *err, size_t err_len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'last_merge'", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "reading meta", err, err_len);
    int rc = sqlite3_step(q), found = rc == SQLITE_ROW;
    if (found)
        store_column_text(q, 0, out, len);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : store_db_fail(st, "reading meta", err, err_len);
}
