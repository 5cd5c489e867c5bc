/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Typed access to a libyaml document (lab_yaml.h) with errors that name
 * file:line and the key path; every loader of the lab reads through it.
 * May call: libyaml, libc. */
#include "lab_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ydoc_load(struct ydoc *y, const char *file, char *err, size_t err_len)
{
    *y = (struct ydoc){.file = file, .err = err, .err_len = err_len};
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", file, strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int ok = yaml_parser_load(&parser, &y->doc);
    if (!ok) {
        snprintf(err, err_len, "%s:%zu: %s%s%s", file, parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "malformed YAML", parser.context ? " " : "",
                 parser.context ? parser.context : "");
    }
    yaml_parser_delete(&parser);
    fclose(f);
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

void ydoc_free(struct ydoc *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = 0;
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
    snprintf(y->err, y->err_len, "%s:%zu: %s%s%s", y->file, line, path ? path : "", path && *path ? ": " : "", msg);
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
