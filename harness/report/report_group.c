/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A group of sessions as one matrix (report_group.h): the sessions a
 * --sessions list, the last merge or a --date names, checked to share one
 * lab; their cells put back in the order one run makes them, so a run's
 * shards, merged, read as the run itself did.
 * May call: reports/ (the store, the last merge's ids), GLib (hash tables), libc. */
#include "report_group.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/store_merge.h"

/* ------------------------------------------------------- which sessions -- */

static int add_id(int64_t *ids, int *n, long long id, char *err, size_t len)
{
    for (int i = 0; i < *n; i++)
        if (ids[i] == id)
            return 0;
    if (*n >= REPORT_GROUP_MAX)
        return snprintf(err, len, "more than %d sessions in one group", REPORT_GROUP_MAX), 2;
    ids[(*n)++] = id;
    return 0;
}

/* "4,5,6" or "4-6,9" into ids. */
static int parse_list(const char *list, int64_t *ids, int *n, char *err, size_t len)
{
    const char *p = list;
    while (*p) {
        char *end;
        long long a = strtoll(p, &end, 10), b = a;
        if (end == p || *p < '0' || *p > '9' || a < 1)
            return snprintf(err, len, "--sessions '%s': session ids (4,5,6 or 4-6) or 'merged'", list), 2;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtoll(q, &end, 10);
            if (end == q || *q < '0' || *q > '9' || b < a)
                return snprintf(err, len, "--sessions '%s': a range is LOW-HIGH, LOW at most HIGH", list), 2;
            if (b - a >= REPORT_GROUP_MAX)
                return snprintf(err, len, "--sessions '%s': more than %d sessions in one group", list,
                                REPORT_GROUP_MAX), 2;
        }
        for (long long id = a; id <= b; id++)
            if (add_id(ids, n, id, err, len) != 0)
                return 2;
        if (*end != ',' && *end != '\0')
            return snprintf(err, len, "--sessions '%s': session ids (4,5,6 or 4-6) or 'merged'", list), 2;
        p = *end == ',' ? end + 1 : end;
    }
    return *n > 0 ? 0 : (snprintf(err, len, "--sessions names no session"), 2);
}

static int valid_day(const char *d)
{
    int y, m, dd;
    char tail;
    return strlen(d) == 10 && sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) == 3 && d[4] == '-' && d[7] == '-' &&
           m >= 1 && m <= 12 && dd >= 1 && dd <= 31;
}

/* The complete sessions begun (UTC) from day `from` to day `to`. */
static int pick_dates(struct store *st, const char *date, int64_t *ids, int *n, char *err, size_t len)
{
    char from[16] = "", to[16] = "";
    const char *dots = strstr(date, "..");
    snprintf(from, sizeof from, "%.*s", dots ? (int)(dots - date) : 15, date);
    snprintf(to, sizeof to, "%s", dots ? dots + 2 : from);
    if (!valid_day(from) || !valid_day(to) || strcmp(from, to) > 0)
        return snprintf(err, len, "--date '%s': a UTC day YYYY-MM-DD or days FROM..TO", date), 2;
    struct session_row *rows = malloc(sizeof *rows * REPORT_GROUP_MAX);
    if (rows == NULL)
        return snprintf(err, len, "out of memory"), -1;
    int got = store_sessions(st, rows, REPORT_GROUP_MAX, err, len), rc = got < 0 ? -1 : 0;
    for (int i = got - 1; i >= 0 && rc == 0; i--) /* oldest first */
        if (strcmp(rows[i].status, "complete") == 0 && strncmp(rows[i].facts.started, from, 10) >= 0 &&
            strncmp(rows[i].facts.started, to, 10) <= 0)
            rc = add_id(ids, n, rows[i].id, err, len);
    free(rows);
    if (rc == 0 && *n == 0)
        return snprintf(err, len, "no complete session began on %s (UTC)", date), 2;
    return rc;
}

static int by_id(const void *a, const void *b)
{
    const struct session_row *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

int report_group_pick(struct store *st, const char *list, const char *date, struct session_row *rows, int *n,
                      char *err, size_t len)
{
    int64_t ids[REPORT_GROUP_MAX];
    char merged[2048];
    int n_ids = 0, rc;
    *n = 0;
    if (list && strcmp(list, "merged") == 0) {
        int found = store_last_merge(st, merged, sizeof merged, err, len);
        if (found <= 0)
            return found < 0 ? -1 : (snprintf(err, len, "--sessions merged: no `resetlab merge` into this store yet"), 2);
        list = merged;
    }
    rc = list ? parse_list(list, ids, &n_ids, err, len) : pick_dates(st, date, ids, &n_ids, err, len);
    for (int i = 0; i < n_ids && rc == 0; i++) {
        int found = store_session_get(st, ids[i], &rows[i], err, len);
        if (found == 0)
            snprintf(err, len, "session #%lld is not in the store", (long long)ids[i]);
        rc = found > 0 ? 0 : found == 0 ? 2 : -1;
    }
    if (rc != 0)
        return rc;
    qsort(rows, (size_t)n_ids, sizeof *rows, by_id);
    for (int i = 1; i < n_ids; i++)
        if (strcmp(rows[i].facts.boards_sha256, rows[0].facts.boards_sha256) != 0)
            return snprintf(err, len,
                            "sessions #%lld and #%lld ran on different labs (boards.yaml SHA-256 %.12s... and "
                            "%.12s...): a group shares one",
                            (long long)rows[0].id, (long long)rows[i].id, rows[0].facts.boards_sha256,
                            rows[i].facts.boards_sha256), 2;
    *n = n_ids;
    return 0;
}

/* ------------------------------------------------------ in which order -- */

/* A cell being ordered: its family (the sessions that are shards of one
 * run, or one session), its place in that run, and where its row and its
 * cell first appear once the families are in order. */
struct ordered {
    struct group_cell c;
    int family, place, row_rank, cell_rank, seen;
};

struct listing {
    struct ordered *o;
    int n, cap;
    int64_t session;
    int family, shard_k, shard_n, j;
};

/* --shard K/N among a session's options (one per line); the options
 * without it name the run the shard belongs to. */
static void shard_of(const char *options, int *k, int *n, char *rest, size_t len)
{
    *k = 0, *n = 0;
    rest[0] = '\0';
    char *copy = strdup(options), *save = NULL;
    if (copy == NULL)
        return;
    size_t used = 0;
    for (char *w = strtok_r(copy, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) {
        const char *value = strncmp(w, "--shard=", 8) == 0 ? w + 8 : NULL;
        if (strcmp(w, "--shard") == 0)
            value = strtok_r(NULL, "\n", &save);
        if (value && sscanf(value, "%d/%d", k, n) == 2)
            continue;
        used += (size_t)snprintf(rest + used, used < len ? len - used : 0, "%s\n", w);
    }
    free(copy);
}

static int list_cell(const char *board, const char *host, const char *scenario, void *ctx)
{
    struct listing *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        struct ordered *p = realloc(l->o, sizeof *p * (size_t)cap);
        if (p == NULL)
            return -1;
        l->o = p;
        l->cap = cap;
    }
    struct ordered *o = &l->o[l->n];
    memset(o, 0, sizeof *o);
    o->c = (struct group_cell){strdup(board), strdup(host), strdup(scenario), l->session};
    l->n++;
    o->family = l->family;
    o->place = l->shard_n > 0 ? l->j * l->shard_n + l->shard_k - 1 : l->j; /* run_matrix.c keep_shard's order */
    o->seen = l->n - 1;
    l->j++;
    return o->c.board && o->c.host && o->c.scenario ? 0 : -1;
}

static int by_run_order(const void *a, const void *b)
{
    const struct ordered *x = a, *y = b;
    if (x->family != y->family)
        return x->family - y->family;
    return x->place != y->place ? x->place - y->place : x->seen - y->seen;
}

static int by_row_then_cell(const void *a, const void *b)
{
    const struct ordered *x = a, *y = b;
    if (x->row_rank != y->row_rank)
        return x->row_rank - y->row_rank;
    return x->cell_rank != y->cell_rank ? x->cell_rank - y->cell_rank : x->seen - y->seen;
}

/* Each matrix row (board x scenario) together, in the order rows first
 * appear, and a cell in two sessions read one after the other. */
static void rank_rows(struct ordered *o, int n)
{
    GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *cells = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < n; i++) {
        char *row = g_strdup_printf("%s\x1f%s", o[i].c.board, o[i].c.scenario);
        char *cell = g_strdup_printf("%s\x1f%s", row, o[i].c.host);
        gpointer r = g_hash_table_lookup(rows, row), c = g_hash_table_lookup(cells, cell);
        o[i].row_rank = r ? GPOINTER_TO_INT(r) - 1 : i;
        o[i].cell_rank = c ? GPOINTER_TO_INT(c) - 1 : i;
        o[i].seen = i;
        if (r == NULL)
            g_hash_table_insert(rows, row, GINT_TO_POINTER(i + 1));
        else
            g_free(row);
        if (c == NULL)
            g_hash_table_insert(cells, cell, GINT_TO_POINTER(i + 1));
        else
            g_free(cell);
    }
    g_hash_table_destroy(rows);
    g_hash_table_destroy(cells);
    qsort(o, (size_t)n, sizeof *o, by_row_then_cell);
}

/* The family of session i: the first session before it that is a shard
 * of the same run (same seed, lab and options but --shard), else its own. */
static int family_of(const struct session_row *rows, int i, char (*rest)[4096])
{
    for (int f = 0; f < i; f++)
        if (rows[f].facts.seed == rows[i].facts.seed && strcmp(rest[f], rest[i]) == 0 && rest[i][0] != '\0')
            return f;
    return i;
}

int report_group_cells(struct store *st, const struct session_row *rows, int n, struct group_cell **out,
                       int *n_out, char *err, size_t len)
{
    struct listing l = {0};
    err[0] = '\0';
    char (*rest)[4096] = calloc((size_t)n, sizeof *rest);
    int rc = rest ? 0 : -1, sharded;
    for (int i = 0; i < n && rc == 0; i++) {
        shard_of(rows[i].facts.options, &l.shard_k, &sharded, rest[i], sizeof rest[i]);
        l.shard_n = sharded;
        if (sharded == 0) /* a whole run is a family of its own */
            rest[i][0] = '\0';
        l.session = rows[i].id;
        l.family = family_of(rows, i, rest);
        l.j = 0;
        rc = store_each_cell(st, rows[i].id, list_cell, &l, err, len);
    }
    free(rest);
    if (rc != 0) {
        if (err[0] == '\0')
            snprintf(err, len, "out of memory reading the group's cells");
        for (int i = 0; i < l.n; i++)
            free(l.o[i].c.board), free(l.o[i].c.host), free(l.o[i].c.scenario);
        free(l.o);
        return -1;
    }
    qsort(l.o, (size_t)l.n, sizeof *l.o, by_run_order);
    rank_rows(l.o, l.n);
    struct group_cell *c = malloc(sizeof *c * (size_t)(l.n ? l.n : 1));
    if (c == NULL) {
        for (int i = 0; i < l.n; i++)
            free(l.o[i].c.board), free(l.o[i].c.host), free(l.o[i].c.scenario);
        free(l.o);
        return snprintf(err, len, "out of memory reading the group's cells"), -1;
    }
    for (int i = 0; i < l.n; i++)
        c[i] = l.o[i].c;
    free(l.o);
    *out = c;
    *n_out = l.n;
    return 0;
}

void report_group_cells_free(struct group_cell *c, int n)
{
    for (int i = 0; c && i < n; i++) {
        free(c[i].board);
        free(c[i].host);
        free(c[i].scenario);
    }
    free(c);
}
