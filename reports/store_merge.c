/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sessions copied between results stores (store_merge.h). Every source is
 * opened, checked and listed, and every session id that appears twice has
 * its two contents compared, before one row is written; then the sessions
 * dest lacks are copied from each source in turn (its own read-only
 * connection: SQLite's DETACH is refused inside a transaction, and at most
 * 10 stores can be attached at once), all in one transaction of dest's:
 * a merge cut short (a full disk, a kill) leaves dest as it was.
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
/* Columns of one table merge handles, and the length of a column's name. */
#define MERGE_COLS_MAX 96
#define MERGE_COL_NAME 64

/* THE list of what hangs off a session, parents first: what merge copies
 * and what a session's digest is taken over. Columns are not listed: they
 * are read from the stores' schemas (a column the destination has and the
 * source lacks is left to its default), so only a new table that hangs
 * off a session, or one renamed, is a change here. `session` is the column
 * holding the session's id (renumbered in the destination), `run` the one
 * holding a run's id (moved past the destination's runs); a table with
 * neither column of its own hangs off its runs' session. */
static const struct session_table {
    const char *name, *session, *run;
} session_tables[] = {
    {"sessions", "id", NULL},
    {"runs", "session_id", "id"},
    {"findings", NULL, "run_id"},
    {"tool_runs", NULL, "run_id"},
    {"cells", "session_id", NULL},         /* schema 3 */
    {"cell_findings", "session_id", NULL}, /* schema 3 */
};
#define SESSION_TABLES (sizeof session_tables / sizeof session_tables[0])
/* A run within its session, whatever its row id (runs' UNIQUE key): how a
 * digest names the run a finding or a tool run belongs to. */
#define RUN_KEY "r.board, r.host, r.scenario, r.iteration"

struct sess {
    int64_t id;       /* in its own store */
    int store;        /* 0: dest, k: srcs[k-1] */
    char uid[UID_MAX];
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

struct cols {
    int n;
    char name[MERGE_COLS_MAX][MERGE_COL_NAME];
};

/* The columns of `table` in st, in the schema's order; n = 0 when the
 * store has no such table (a store from before it). */
static int table_columns(struct store *st, const char *table, struct cols *c, char *err, size_t len)
{
    c->n = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT name FROM pragma_table_info(?)", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(st, "reading its schema", err, len);
    sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        int plain = name && name[0] && strlen(name) < MERGE_COL_NAME && c->n < MERGE_COLS_MAX;
        for (const char *p = name; plain && *p; p++)
            plain = *p == '_' || g_ascii_isalnum(*p);
        if (!plain) {
            sqlite3_finalize(q);
            return store_fail(err, len, "%s: table %s: %s", sqlite3_db_filename(st->db, "main"), table,
                              c->n < MERGE_COLS_MAX ? "a column whose name is not a resetlab column's"
                                                    : "more than 96 columns (MERGE_COLS_MAX)");
        }
        snprintf(c->name[c->n++], MERGE_COL_NAME, "%s", name);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, "reading its schema", err, len);
}

static int has_col(const struct cols *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return 1;
    return 0;
}

static int is(const char *col, const char *name) { return name && strcmp(col, name) == 0; }

static void feed_row(GChecksum *c, sqlite3_stmt *q)
{
    for (int i = 0; i < sqlite3_column_count(q); i++) {
        const unsigned char *t = sqlite3_column_text(q, i);
        g_checksum_update(c, t ? t : (const guchar *)"\x01NULL", -1);
        g_checksum_update(c, (const guchar *)"\x1f", 1);
    }
    g_checksum_update(c, (const guchar *)"\x1e", 1);
}

/* What a digest reads of table h: every column but the row ids a copy
 * renumbers, a run's rows named by RUN_KEY, in one order. */
static void content_sql(GString *sql, const struct session_table *h, const struct cols *c)
{
    int n = h->session ? 0 : 4;
    g_string_assign(sql, h->session ? "SELECT " : "SELECT " RUN_KEY);
    for (int i = 0; i < c->n; i++)
        if (!is(c->name[i], h->session) && !is(c->name[i], h->run))
            g_string_append_printf(sql, "%st.%s", n++ ? ", " : "", c->name[i]);
    if (h->session)
        g_string_append_printf(sql, " FROM %s t WHERE t.%s = ?1 ORDER BY 1", h->name, h->session);
    else
        g_string_append_printf(sql, " FROM %s t JOIN runs r ON r.id = t.%s WHERE r.session_id = ?1 ORDER BY 1",
                               h->name, h->run);
    for (int i = 2; i <= n; i++)
        g_string_append_printf(sql, ", %d", i);
}

/* Only the columns of c that `like` has too. */
static void keep_common(struct cols *c, const struct cols *like)
{
    int n = 0;
    for (int i = 0; i < c->n; i++)
        if (has_col(like, c->name[i]))
            memmove(c->name[n++], c->name[i], MERGE_COL_NAME);
    c->n = n;
}

/* SHA-256 of session `id`'s content in st: its rows in session_tables.
 * With `like`, only what the store `like` has columns for too, so that
 * stores of two schemas (one with a column more) compare what both hold. */
static int digest(struct store *st, int64_t id, struct store *like, char out[65], char *err, size_t len)
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    GString *sql = g_string_new(NULL);
    int rc = 0;
    for (size_t t = 0; t < SESSION_TABLES && rc == 0; t++) {
        struct cols cs, other;
        if ((rc = table_columns(st, session_tables[t].name, &cs, err, len)) != 0 ||
            (like && (rc = table_columns(like, session_tables[t].name, &other, err, len)) != 0))
            continue;
        if (like)
            keep_common(&cs, &other);
        if (cs.n == 0)
            continue;
        content_sql(sql, &session_tables[t], &cs);
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(st->db, sql->str, -1, &q, NULL) != SQLITE_OK) {
            rc = store_db_fail(st, "reading a session", err, len);
            break;
        }
        sqlite3_bind_int64(q, 1, id);
        int step;
        while ((step = sqlite3_step(q)) == SQLITE_ROW)
            feed_row(c, q);
        sqlite3_finalize(q);
        if (step != SQLITE_DONE)
            rc = store_db_fail(st, "reading a session", err, len);
    }
    if (rc == 0)
        snprintf(out, 65, "%s", g_checksum_get_string(c));
    g_string_free(sql, TRUE);
    g_checksum_free(c);
    return rc;
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
            char d[65];
            if (digest(st, s->id, NULL, d, m->err, m->len) != 0) {
                sqlite3_finalize(q);
                return -1;
            }
            snprintf(s->uid, sizeof s->uid, "sha256:%s", d);
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
    for (size_t t = 0; t < SESSION_TABLES && rc == 0; t++) { /* columns merge can name */
        struct cols c;
        rc = table_columns(st, session_tables[t].name, &c, m->err, m->len);
    }
    store_close(st);
    return rc;
}

/* Sessions a and b, of the same id, hold the same rows (in the columns
 * both stores have): 1, 0, or -1 on an error. */
static int same_content(struct merge *m, struct sess *a, struct sess *b)
{
    struct store *sa = store_open(m->paths[a->store], STORE_READ, m->err, m->len);
    struct store *sb = sa ? store_open(m->paths[b->store], STORE_READ, m->err, m->len) : NULL;
    char da[65], db[65];
    int rc = sb && digest(sa, a->id, sb, da, m->err, m->len) == 0 && digest(sb, b->id, sa, db, m->err, m->len) == 0
                 ? strcmp(da, db) == 0
                 : -1;
    store_close(sb);
    store_close(sa);
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
        int same = same_content(m, first, s);
        if (same < 0)
            return -1;
        if (!same)
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

static int64_t max_id(struct store *st, const char *table)
{
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT COALESCE(MAX(id), 0) FROM %s", table);
    sqlite3_stmt *q;
    int64_t v = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* One table of session_tables, from a source's connection into dest's:
 * the columns both have, the session's and runs' ids renumbered. */
struct copier {
    const struct session_table *h;
    sqlite3_stmt *sel, *ins; /* sel NULL: the source has no such table */
    int n, session_col, run_col;
};

static int copier_prepare(struct copier *cp, const struct session_table *h, struct store *src, struct store *dst,
                          char *err, size_t len)
{
    *cp = (struct copier){h, NULL, NULL, 0, -1, -1};
    struct cols from, to;
    if (table_columns(src, h->name, &from, err, len) != 0 || table_columns(dst, h->name, &to, err, len) != 0)
        return -1;
    if (from.n == 0)
        return 0;
    GString *sel = g_string_new("SELECT "), *ins = g_string_new(NULL);
    g_string_printf(ins, "INSERT INTO %s(", h->name);
    for (int i = 0; i < to.n; i++) {
        if (!has_col(&from, to.name[i]))
            continue; /* the destination's default */
        if (is(to.name[i], h->session))
            cp->session_col = cp->n;
        if (is(to.name[i], h->run))
            cp->run_col = cp->n;
        g_string_append_printf(sel, "%s%s", cp->n ? ", " : "", to.name[i]);
        g_string_append_printf(ins, "%s%s", cp->n++ ? ", " : "", to.name[i]);
    }
    g_string_append_printf(sel, " FROM %s WHERE ", h->name);
    if (h->session)
        g_string_append_printf(sel, "%s = ?1", h->session);
    else
        g_string_append_printf(sel, "%s IN (SELECT id FROM runs WHERE session_id = ?1)", h->run);
    g_string_append(ins, ") VALUES (?");
    for (int i = 1; i < cp->n; i++)
        g_string_append(ins, ", ?");
    g_string_append(ins, ")");
    int rc = 0;
    if ((h->session && cp->session_col < 0) || (h->run && cp->run_col < 0))
        rc = store_fail(err, len, "%s: table %s has no column %s", sqlite3_db_filename(src->db, "main"), h->name,
                        h->session && cp->session_col < 0 ? h->session : h->run);
    else if (sqlite3_prepare_v2(src->db, sel->str, -1, &cp->sel, NULL) != SQLITE_OK)
        rc = store_db_fail(src, "reading", err, len);
    else if (sqlite3_prepare_v2(dst->db, ins->str, -1, &cp->ins, NULL) != SQLITE_OK)
        rc = store_db_fail(dst, "copying", err, len);
    g_string_free(sel, TRUE);
    g_string_free(ins, TRUE);
    return rc;
}

/* Session `from`'s rows of cp's table, as session `to` with its run ids
 * moved up by `shift`; the rows copied are added to *rows. */
static int copier_run(struct copier *cp, struct store *src, struct store *dst, int64_t from, int64_t to,
                      int64_t shift, int64_t *rows, char *err, size_t len)
{
    if (cp->sel == NULL)
        return 0;
    sqlite3_reset(cp->sel);
    sqlite3_bind_int64(cp->sel, 1, from);
    int rc;
    while ((rc = sqlite3_step(cp->sel)) == SQLITE_ROW) {
        for (int i = 0; i < cp->n; i++) {
            if (i == cp->session_col)
                sqlite3_bind_int64(cp->ins, i + 1, to);
            else if (i == cp->run_col)
                sqlite3_bind_int64(cp->ins, i + 1, sqlite3_column_int64(cp->sel, i) + shift);
            else
                sqlite3_bind_value(cp->ins, i + 1, sqlite3_column_value(cp->sel, i));
        }
        int done = sqlite3_step(cp->ins);
        sqlite3_reset(cp->ins);
        if (done != SQLITE_DONE)
            return store_db_fail(dst, "copying", err, len);
        (*rows)++;
    }
    return rc == SQLITE_DONE ? 0 : store_db_fail(src, "reading", err, len);
}

/* Session s of src into dst: its rows in session_tables' order, its runs'
 * ids moved past dst's, then its id. */
static int copy_session(struct store *src, struct store *dst, struct copier *cp, struct sess *s,
                        struct merge_result *r, char *err, size_t len)
{
    int64_t to = max_id(dst, "sessions") + 1, shift = max_id(dst, "runs");
    for (size_t t = 0; t < SESSION_TABLES; t++) {
        int64_t rows = 0;
        if (copier_run(&cp[t], src, dst, s->id, to, shift, &rows, err, len) != 0)
            return -1;
        if (strcmp(cp[t].h->name, "runs") == 0)
            r->runs_added += rows;
    }
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(dst->db, "INSERT INTO session_uids VALUES (?, ?)", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(dst, "copying", err, len);
    sqlite3_bind_int64(q, 1, to);
    sqlite3_bind_text(q, 2, s->uid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_db_fail(dst, "copying", err, len);
    s->dest_id = to;
    r->added++;
    return 0;
}

/* Source k's sessions dst lacks, inside dst's transaction, read from one
 * snapshot of the source. */
static int copy_from(struct merge *m, struct store *dst, int k, struct merge_result *r)
{
    struct store *src = store_open(m->paths[k], STORE_READ, m->err, m->len);
    if (src == NULL)
        return -1;
    struct copier cp[SESSION_TABLES];
    memset(cp, 0, sizeof cp);
    int bad = exec(src, "BEGIN", m->err, m->len);
    for (size_t t = 0; t < SESSION_TABLES && !bad; t++)
        bad = copier_prepare(&cp[t], &session_tables[t], src, dst, m->err, m->len);
    for (int i = 0; i < m->n && !bad; i++) {
        struct sess *s = &m->s[i];
        if (s->store != k)
            continue;
        struct sess *first = &m->s[GPOINTER_TO_INT(g_hash_table_lookup(m->by_uid, s->uid)) - 1];
        if (first != s && first->dest_id != 0) { /* dst has it, or an earlier source brought it */
            s->dest_id = first->dest_id;
            r->present++;
            continue;
        }
        bad = copy_session(src, dst, cp, s, r, m->err, m->len);
    }
    for (size_t t = 0; t < SESSION_TABLES; t++) {
        sqlite3_finalize(cp[t].sel);
        sqlite3_finalize(cp[t].ins);
    }
    sqlite3_exec(src->db, "COMMIT", NULL, NULL, NULL); /* the read's end */
    store_close(src);
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
    if (dst == NULL || store_flush(dst, err, len) != 0 || exec(dst, "BEGIN IMMEDIATE", err, len) != 0)
        goto out;
    /* one transaction: a merge cut short leaves dest as it was */
    rc = 0;
    for (int k = 1; k <= n && rc == 0; k++)
        rc = copy_from(&m, dst, k, r);
    rc = rc == 0 && note_ids(&m, dst, r) == 0 ? exec(dst, "COMMIT", err, len) : -1;
    if (rc != 0) {
        sqlite3_exec(dst->db, "ROLLBACK", NULL, NULL, NULL);
        memset(r, 0, sizeof *r);
    }
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
