/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Typed access to a libyaml document (lab_yaml.h) with errors that name
 * file:line and the key path; every loader of the lab reads through it,
 * and so every YAML file resetlab reads has its limits: its size, checked
 * before it is read, then its nesting, values and documents, checked on
 * the parser's events before the document is built.
 * May call: libyaml, libc. */
#include "lab_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The bytes of `f` up to max + 1 of them, in a buffer sized from `size`
 * (fstat's, 0 when it has none) and grown as they come; *n the count. */
static char *read_upto(FILE *f, size_t size, size_t max, size_t *n)
{
    size_t cap = size > 0 && size < max ? size + 1 : 4096;
    char *buf = malloc(cap);
    *n = 0;
    for (size_t got; buf != NULL && (got = fread(buf + *n, 1, cap - *n, f)) > 0;) {
        *n += got;
        if (*n > max)
            break;
        if (*n == cap) {
            size_t more = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *grown = realloc(buf, more);
            if (grown == NULL)
                free(buf);
            buf = grown, cap = more;
        }
    }
    return buf;
}

/* The file whole, when it has at most `max` bytes (checked with fstat
 * first, then while reading: a FIFO or /dev/zero has no size). NULL with
 * the error otherwise. */
static char *read_capped(const char *file, size_t max, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", file, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int known = fstat(fileno(f), &st) == 0;
    if (known && S_ISDIR(st.st_mode))
        snprintf(err, err_len, "%s: is a folder, not a YAML file", file);
    else if (known && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
        snprintf(err, err_len, "%s: %lld bytes, over the limit of %zu for this file", file, (long long)st.st_size,
                 max);
    else if ((buf = read_upto(f, known && S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, max, &n)) == NULL)
        snprintf(err, err_len, "%s: out of memory", file);
    else if (n > max)
        snprintf(err, err_len, "%s: over the limit of %zu bytes for this file", file, max);
    else if (ferror(f))
        snprintf(err, err_len, "%s: %s", file, strerror(errno));
    else
        err = NULL;
    fclose(f);
    if (err != NULL) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void parse_error(const yaml_parser_t *p, const char *file, char *err, size_t err_len)
{
    snprintf(err, err_len, "%s:%zu: %s%s%s", file, p->problem_mark.line + 1, p->problem ? p->problem : "malformed YAML",
             p->context ? " " : "", p->context ? p->context : "");
}

/* The limits, on the parser's events, before the document is built:
 * libyaml's own time grows faster than the nesting (100,000 levels of '['
 * took 21 s), and every node is memory. */
static int check_events(const unsigned char *text, size_t len, const char *file, char *err, size_t err_len)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, text, len);
    int depth = 0, docs = 0, rc = 1;
    long nodes = 0;
    while (rc > 0) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            parse_error(&p, file, err, err_len);
            rc = -1;
            break;
        }
        size_t line = e.start_mark.line + 1;
        yaml_event_type_t t = e.type;
        yaml_event_delete(&e);
        int opens = t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT;
        if (t == YAML_STREAM_END_EVENT)
            rc = 0;
        else if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1)
            rc = -1, snprintf(err, err_len, "%s:%zu: a second YAML document ('---'): a file holds one", file, line);
        else if (opens && ++depth > YDOC_MAX_DEPTH)
            rc = -1, snprintf(err, err_len, "%s:%zu: lists and mappings nested more than %d deep", file, line,
                              YDOC_MAX_DEPTH);
        else if ((opens || t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT) && ++nodes > YDOC_MAX_NODES)
            rc = -1, snprintf(err, err_len, "%s:%zu: more than %d values (scalars, lists and mappings)", file, line,
                              YDOC_MAX_NODES);
        else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
            depth--;
    }
    yaml_parser_delete(&p);
    return rc;
}

static int load_doc(struct ydoc *y, const char *file, size_t max_bytes,
                    void (*sink)(void *ctx, const unsigned char *bytes, size_t n), void *ctx, char *err,
                    size_t err_len)
{
    *y = (struct ydoc){.file = file, .err = err, .err_len = err_len};
    size_t len = 0;
    unsigned char *text = (unsigned char *)read_capped(file, max_bytes, &len, err, err_len);
    if (text == NULL)
        return -1;
    if (sink != NULL)
        sink(ctx, text, len);
    if (check_events(text, len, file, err, err_len) != 0) {
        free(text);
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, text, len);
    int ok = yaml_parser_load(&parser, &y->doc);
    if (!ok)
        parse_error(&parser, file, err, err_len);
    yaml_parser_delete(&parser);
    free(text);
    if (!ok)
        return -1;
    y->loaded = 1;
    if (yaml_document_get_root_node(&y->doc) == NULL) {
        snprintf(err, err_len, "%s:1: the file is empty", file);
        ydoc_free(y); /* failing, so free it: scenario_load_file does not call ydoc_free then */
        return -1;
    }
    return 0;
}

int ydoc_load_max(struct ydoc *y, const char *file, size_t max_bytes, char *err, size_t err_len)
{
    return load_doc(y, file, max_bytes, NULL, NULL, err, err_len);
}

int ydoc_load(struct ydoc *y, const char *file, char *err, size_t err_len)
{
    return load_doc(y, file, YDOC_MAX_BYTES, NULL, NULL, err, err_len);
}

int ydoc_load_seen(struct ydoc *y, const char *file, void (*sink)(void *ctx, const unsigned char *bytes, size_t n),
                   void *ctx, char *err, size_t err_len)
{
    return load_doc(y, file, YDOC_MAX_BYTES, sink, ctx, err, err_len);
}

void ydoc_free(struct ydoc *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = 0;
    free(y->node_file);
    y->node_file = NULL;
    for (int i = 0; i < y->n_files; i++)
        free(y->files[i]);
    free(y->files);
    y->files = NULL;
    y->n_files = 0;
}

const char *ydoc_node_file(const struct ydoc *y, const yaml_node_t *node)
{
    if (y->node_file == NULL || node == NULL || node < y->doc.nodes.start || node >= y->doc.nodes.top)
        return y->file;
    return y->node_file[node - y->doc.nodes.start];
}

yaml_node_t *ydoc_root(struct ydoc *y)
{
    return yaml_document_get_root_node(&y->doc);
}

int yfail(struct ydoc *y, const yaml_node_t *at, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = at ? at->start_mark.line + 1 : 1;
    snprintf(y->err, y->err_len, "%s:%zu: %s%s%s", ydoc_node_file(y, at), line, path ? path : "", path && *path ? ": " : "", msg);
    return -1;
}

const char *yscalar(const yaml_node_t *n)
{
    return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

yaml_node_t *ymap_get(struct ydoc *y, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    YMAP_FOREACH(y, map, pair)
    {
        const char *k = yscalar(yaml_document_get_node(&y->doc, pair->key));
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(&y->doc, pair->value);
    }
    return NULL;
}

static const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

int ymap_require(struct ydoc *y, const yaml_node_t *map, const char *path)
{
    if (map != NULL && map->type == YAML_MAPPING_NODE)
        return 0;
    return yfail(y, map, path, "expected a mapping, got %s", map ? kind_name(map) : "nothing");
}

int yseq_require(struct ydoc *y, const yaml_node_t *node, const char *path)
{
    if (node != NULL && node->type == YAML_SEQUENCE_NODE)
        return 0;
    return yfail(y, node, path, "expected a list, got %s", node ? kind_name(node) : "nothing");
}

int ymap_only(struct ydoc *y, const yaml_node_t *map, const char *path, const char *const *allowed)
{
    YMAP_FOREACH(y, map, pair)
    {
        yaml_node_t *kn = yaml_document_get_node(&y->doc, pair->key);
        const char *k = yscalar(kn);
        for (yaml_node_pair_t *prev = map->data.mapping.pairs.start; k && prev < pair; prev++) {
            const char *pk = yscalar(yaml_document_get_node(&y->doc, prev->key));
            if (pk && strcmp(pk, k) == 0)
                return yfail(y, kn, path, "key '%s' appears twice", k);
        }
        int known = 0;
        for (const char *const *a = allowed; k && *a; a++)
            known |= strcmp(*a, k) == 0;
        if (!known)
            return yfail(y, kn, path, "unknown key '%s'", k ? k : "?");
    }
    return 0;
}

static yaml_node_t *require_key(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key)
{
    yaml_node_t *n = ymap_get(y, map, key);
    if (n == NULL)
        yfail(y, map, path, "missing key '%s'", key);
    return n;
}

static void key_path(char *buf, size_t len, const char *path, const char *key)
{
    snprintf(buf, len, "%s%s%s", path, *path ? "." : "", key);
}

/* The scalar text of a required key, with its key path in kp; NULL (error
 * set) when the key is missing or not a scalar (`what` names the type). */
static const char *required_scalar(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key,
                                   const char *what, char *kp, size_t kp_len, yaml_node_t **node)
{
    yaml_node_t *n = require_key(y, map, path, key);
    if (n == NULL)
        return NULL;
    key_path(kp, kp_len, path, key);
    const char *s = yscalar(n);
    if (s == NULL)
        yfail(y, n, kp, "expected %s, got %s", what, kind_name(n));
    *node = n;
    return s;
}

int yget_double(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, double *out)
{
    char kp[160];
    yaml_node_t *n;
    const char *s = required_scalar(y, map, path, key, "a number", kp, sizeof kp, &n);
    if (s == NULL)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(v))
        return yfail(y, n, kp, "expected a number, got '%s'", s);
    *out = v;
    return 0;
}

int yget_range(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, double lo,
               double hi, double *out)
{
    if (yget_double(y, map, path, key, out) != 0)
        return -1;
    if (*out >= lo && *out <= hi)
        return 0;
    char kp[160];
    key_path(kp, sizeof kp, path, key);
    return yfail(y, ymap_get(y, map, key), kp, "%g is out of range [%g, %g]", *out, lo, hi);
}

int yget_string(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, char *out,
                size_t len)
{
    char kp[160];
    yaml_node_t *n;
    const char *s = required_scalar(y, map, path, key, "a string", kp, sizeof kp, &n);
    if (s == NULL)
        return -1;
    if (strlen(s) >= len)
        return yfail(y, n, kp, "longer than %zu characters", len - 1);
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

char *yget_strdup(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key)
{
    char kp[160];
    yaml_node_t *n;
    const char *s = required_scalar(y, map, path, key, "a string", kp, sizeof kp, &n);
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        yfail(y, n, path, "out of memory");
    return d;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL}, *const no[] = {"false", "no", "off", "0", NULL};
    for (int i = 0; yes[i]; i++)
        if (strcmp(s, yes[i]) == 0)
            return *out = 1, 0;
    for (int i = 0; no[i]; i++)
        if (strcmp(s, no[i]) == 0)
            return *out = 0, 0;
    return -1;
}

int yget_bool(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, int *out)
{
    char kp[160];
    yaml_node_t *n;
    const char *s = required_scalar(y, map, path, key, "true or false", kp, sizeof kp, &n);
    if (s == NULL)
        return -1;
    if (parse_bool(s, out) != 0)
        return yfail(y, n, kp, "expected true or false, got '%s'", s);
    return 0;
}

int yopt_bool(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, int *out)
{
    if (ymap_get(y, map, key) == NULL)
        return 0;
    return yget_bool(y, map, path, key, out);
}

int yopt_range(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, double lo, double hi,
               double *out)
{
    if (ymap_get(y, map, key) == NULL)
        return 0;
    return yget_range(y, map, path, key, lo, hi, out);
}

int yget_u32(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, uint32_t *out)
{
    char kp[160];
    yaml_node_t *n;
    const char *s = required_scalar(y, map, path, key, "a whole number", kp, sizeof kp, &n);
    if (s == NULL)
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > 0xFFFFFFFFull)
        return yfail(y, n, kp, "expected a whole number from 0 to 0xFFFFFFFF, got '%s'", s);
    *out = (uint32_t)v;
    return 0;
}
