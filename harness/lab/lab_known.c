/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The gates file (lab_known.h): tolerances and known failures, read
 * through lab_yaml.c with its limits, matched with fnmatch(3).
 * May call: lab_yaml.c, reports/ (a cell's gate), libyaml, libc, libm. */
#include "lab_known.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lab_yaml.h"

static const char *const fields[3] = {"board", "host", "scenario"};

double known_z_of(double confidence)
{
    double lo = 0, hi = 10;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (erf(mid / sqrt(2.0)) < confidence)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

/* One pattern: 1 to KNOWN_PATTERN_MAX characters, no '/' or blank. */
static int add_pattern(struct ydoc *y, struct known_match *m, int f, const yaml_node_t *n, const char *path)
{
    const char *s = yscalar(n);
    if (s == NULL || s[0] == '\0')
        return yfail(y, n, path, "expected a name or a pattern (*, ?, [...]), or a list of them");
    if (strlen(s) > KNOWN_PATTERN_MAX)
        return yfail(y, n, path, "a pattern of at most %d characters, got %zu", KNOWN_PATTERN_MAX, strlen(s));
    if (strpbrk(s, "/ \t") != NULL)
        return yfail(y, n, path, "a pattern has no '/' or blank, got '%s'", s);
    if (m->n[f] >= KNOWN_MAX_PATTERNS)
        return yfail(y, n, path, "more than %d patterns", KNOWN_MAX_PATTERNS);
    if ((m->pat[f][m->n[f]] = dup_str(s)) == NULL)
        return yfail(y, n, path, "out of memory");
    m->n[f]++;
    return 0;
}

static int read_match(struct ydoc *y, const yaml_node_t *map, const char *path, struct known_match *m)
{
    m->line = (int)map->start_mark.line + 1;
    for (int f = 0; f < 3; f++) {
        yaml_node_t *v = ymap_get(y, map, fields[f]);
        char kp[96];
        snprintf(kp, sizeof kp, "%s.%s", path, fields[f]);
        if (v == NULL)
            continue;
        if ((m->pat[f] = calloc(KNOWN_MAX_PATTERNS, sizeof(char *))) == NULL)
            return yfail(y, v, kp, "out of memory");
        if (v->type != YAML_SEQUENCE_NODE) {
            if (add_pattern(y, m, f, v, kp) != 0)
                return -1;
            continue;
        }
        YSEQ_FOREACH(y, v, item)
        if (add_pattern(y, m, f, yaml_document_get_node(&y->doc, *item), kp) != 0)
            return -1;
        if (m->n[f] == 0)
            return yfail(y, v, kp, "an empty list matches nothing");
    }
    return 0;
}

static void match_free(struct known_match *m)
{
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < m->n[f]; i++)
            free(m->pat[f][i]);
        free(m->pat[f]);
    }
}

/* min_rate in (0, 1] and confidence (default 0.95) in its range. */
static int read_rate(struct ydoc *y, const yaml_node_t *map, const char *path, double *min_rate, double *z)
{
    double confidence = 0.95;
    if (yget_range(y, map, path, "min_rate", 1e-9, 1, min_rate) != 0 ||
        yopt_range(y, map, path, "confidence", KNOWN_CONFIDENCE_MIN, KNOWN_CONFIDENCE_MAX, &confidence) != 0)
        return -1;
    *z = known_z_of(confidence);
    return 0;
}

static int read_tolerance(struct ydoc *y, const yaml_node_t *map, const char *path, struct known_tolerance *t)
{
    static const char *const keys[] = {"board", "host", "scenario", "min_rate", "confidence", NULL};
    if (ymap_require(y, map, path) != 0 || ymap_only(y, map, path, keys) != 0)
        return -1;
    return read_match(y, map, path, &t->m) != 0 || read_rate(y, map, path, &t->min_rate, &t->z) != 0 ? -1 : 0;
}

static int read_known(struct ydoc *y, const yaml_node_t *map, const char *path, struct known_entry *k)
{
    static const char *const keys[] = {"board", "host", "scenario", "reason", "link", NULL};
    if (ymap_require(y, map, path) != 0 || ymap_only(y, map, path, keys) != 0 || read_match(y, map, path, &k->m) != 0)
        return -1;
    char reason[KNOWN_REASON_MAX + 1], link[KNOWN_LINK_MAX + 1] = "";
    if (yget_string(y, map, path, "reason", reason, sizeof reason) != 0)
        return -1;
    if (reason[0] == '\0')
        return yfail(y, ymap_get(y, map, "reason"), path, "reason: say why the lab accepts this failure");
    if (ymap_get(y, map, "link") && yget_string(y, map, path, "link", link, sizeof link) != 0)
        return -1;
    if (link[0] && strncmp(link, "https://", 8) != 0 && strncmp(link, "http://", 7) != 0)
        return yfail(y, ymap_get(y, map, "link"), path, "link: expected an http:// or https:// address, got '%s'", link);
    snprintf(k->where, sizeof k->where, "%s:%d", y->file, k->m.line);
    if ((k->reason = dup_str(reason)) == NULL || (link[0] && (k->link = dup_str(link)) == NULL))
        return yfail(y, map, path, "out of memory");
    return 0;
}

/* A list under `key` (absent: none), at most KNOWN_MAX_ENTRIES with *used. */
static int list_of(struct ydoc *y, const yaml_node_t *root, const char *key, int *count, int used)
{
    yaml_node_t *v = ymap_get(y, root, key);
    *count = 0;
    if (v == NULL)
        return 0;
    if (yseq_require(y, v, key) != 0)
        return -1;
    *count = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (*count + used > KNOWN_MAX_ENTRIES)
        return yfail(y, v, key, "more than %d entries", KNOWN_MAX_ENTRIES);
    return 0;
}

static int read_lists(struct ydoc *y, const yaml_node_t *root, struct lab_gates *g)
{
    int n_tol, n_known;
    if (list_of(y, root, "tolerances", &n_tol, 0) != 0 || list_of(y, root, "known", &n_known, n_tol) != 0)
        return -1;
    g->tol = calloc(n_tol ? (size_t)n_tol : 1, sizeof *g->tol);
    g->known = calloc(n_known ? (size_t)n_known : 1, sizeof *g->known);
    if (g->tol == NULL || g->known == NULL)
        return yfail(y, root, "", "out of memory");
    for (int i = 0; i < n_tol; i++) {
        yaml_node_t *list = ymap_get(y, root, "tolerances");
        char path[48];
        snprintf(path, sizeof path, "tolerances[%d]", i);
        g->n_tol = i + 1;
        if (read_tolerance(y, yaml_document_get_node(&y->doc, list->data.sequence.items.start[i]), path, &g->tol[i]))
            return -1;
    }
    for (int i = 0; i < n_known; i++) {
        yaml_node_t *list = ymap_get(y, root, "known");
        char path[48];
        snprintf(path, sizeof path, "known[%d]", i);
        g->n_known = i + 1;
        if (read_known(y, yaml_document_get_node(&y->doc, list->data.sequence.items.start[i]), path, &g->known[i]))
            return -1;
    }
    return 0;
}

int lab_gates_load(struct lab_gates *g, const char *file, char *err, size_t err_len)
{
    static const char *const keys[] = {"tolerance", "tolerances", "known", NULL};
    memset(g, 0, sizeof *g);
    g->min_rate = 1;
    g->z = known_z_of(0.95);
    snprintf(g->file, sizeof g->file, "%s", file);
    struct ydoc y;
    if (ydoc_load(&y, file, err, err_len) != 0)
        return -1;
    yaml_node_t *root = ydoc_root(&y), *tol;
    int rc = -1;
    if (root == NULL || root->type != YAML_MAPPING_NODE)
        yfail(&y, root, "", "expected a mapping with known:, and optionally tolerance: and tolerances:");
    else if (ymap_only(&y, root, "", keys) == 0 && read_lists(&y, root, g) == 0)
        rc = (tol = ymap_get(&y, root, "tolerance")) == NULL
                 ? 0
                 : ymap_require(&y, tol, "tolerance") != 0 ||
                           ymap_only(&y, tol, "tolerance", (const char *const[]){"min_rate", "confidence", NULL}) ||
                           read_rate(&y, tol, "tolerance", &g->min_rate, &g->z) != 0
                       ? -1
                       : 0;
    ydoc_free(&y);
    if (rc != 0)
        lab_gates_free(g);
    return rc;
}

void lab_gates_free(struct lab_gates *g)
{
    for (int i = 0; i < g->n_tol; i++)
        match_free(&g->tol[i].m);
    for (int i = 0; i < g->n_known; i++) {
        match_free(&g->known[i].m);
        free(g->known[i].reason);
        free(g->known[i].link);
    }
    free(g->tol);
    free(g->known);
    g->tol = NULL;
    g->known = NULL;
    g->n_tol = g->n_known = 0;
}

static int field_matches(const struct known_match *m, int f, const char *name)
{
    if (m->n[f] == 0)
        return 1;
    for (int i = 0; i < m->n[f]; i++)
        if (fnmatch(m->pat[f][i], name, 0) == 0)
            return 1;
    return 0;
}

int known_matches(const struct known_match *m, const char *board, const char *host, const char *scenario)
{
    return field_matches(m, 0, board) && field_matches(m, 1, host) && field_matches(m, 2, scenario);
}

void lab_gates_tolerance(const struct lab_gates *g, const char *board, const char *host, const char *scenario,
                         double *min_rate, double *z)
{
    *min_rate = g ? g->min_rate : 1;
    *z = g ? g->z : known_z_of(0.95);
    for (int i = 0; g && i < g->n_tol; i++)
        if (known_matches(&g->tol[i].m, board, host, scenario)) {
            *min_rate = g->tol[i].min_rate;
            *z = g->tol[i].z;
        }
}

struct known_entry *lab_gates_known(const struct lab_gates *g, const char *board, const char *host,
                                    const char *scenario)
{
    for (int i = 0; g && i < g->n_known; i++)
        if (known_matches(&g->known[i].m, board, host, scenario))
            return &g->known[i];
    return NULL;
}

void lab_gates_apply(const struct lab_gates *g, struct cell_stats *c)
{
    if (g == NULL)
        return;
    lab_gates_tolerance(g, c->board, c->host, c->scenario, &c->gate.min_rate, &c->gate.z);
    const struct known_entry *k = lab_gates_known(g, c->board, c->host, c->scenario);
    if (k) {
        c->gate.known_reason = k->reason;
        c->gate.known_link = k->link;
        c->gate.known_where = k->where;
    }
}

static int any_name(const char *pat, const struct lab *lab, int f)
{
    int n = f == 0 ? lab->n_boards : f == 1 ? lab->n_hosts : lab->n_scenarios;
    for (int i = 0; i < n; i++) {
        const char *name = f == 0 ? lab->boards[i].name : f == 1 ? lab->hosts[i].name : lab->scenarios[i].name;
        if (fnmatch(pat, name, 0) == 0)
            return 1;
    }
    return f == 1 && fnmatch(pat, "local", 0) == 0; /* real boards' host */
}

int known_check_names(const struct known_match *m, const struct lab *lab, char *why, size_t why_len)
{
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < m->n[f]; i++)
            if (!any_name(m->pat[f][i], lab, f)) {
                snprintf(why, why_len, "%s pattern '%s' matches no %s of the lab", fields[f], m->pat[f][i], fields[f]);
                return -1;
            }
    return 0;
}
