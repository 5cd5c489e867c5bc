/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `include:` in a lab file (docs/lab.md#include): the shipped library or
 * another lab file under this one, so a user's lab holds only what it adds
 * or changes. The files are read depth first, each at most YDOC_MAX_BYTES,
 * at most LAB_INCLUDE_FILES_MAX of them and LAB_INCLUDE_DEPTH_MAX deep, a
 * file that includes itself (or a file including it) refused; then merged
 * into one libyaml document, later over earlier, a mapping key by key at
 * every depth (so `chips: {esp32: {en_vih_frac: 0.8}}` changes one value of
 * the shipped chip), anything else (a number, a string, a list) replaced
 * whole. Each node keeps the file and line it came from, so the loaders'
 * errors name the file that holds the offending node. The lab's SHA-256 is
 * of the bytes of every file read, in that order: a file without include:
 * hashes as it always did.
 * May call: lab_yaml.c, lab_load.h (the shipped library's place), GLib (the SHA-256), libyaml, libc. */
#include "lab_include.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_load.h"

#include <unistd.h>

#ifndef RESETLAB_DATADIR
#define RESETLAB_DATADIR "."
#endif
/* Where `cmake --install` puts the shipped lab, from the binary's folder
 * (CMakeLists.txt: share/resetlab beside bin/), so an installed tree can
 * move, and `cmake --install --prefix` can pick it after the build. */
#ifndef RESETLAB_BIN_TO_DATA
#define RESETLAB_BIN_TO_DATA "../share/resetlab"
#endif

/* One resolution of a lab file: what every level shares. */
struct resolve {
    GChecksum *sum;
    int n_files;
    int depth;                                    /* of the file being read; the top file is 0 */
    char chain[LAB_INCLUDE_DEPTH_MAX + 1][PATH_MAX]; /* realpaths of the files being read, for cycles */
    char *err;
    size_t err_len;
};

/* What one include asks for. */
struct include_spec {
    char path[PATH_MAX];
    int boards;
};

/* A document merged from: the file's own nodes or an included one's. */
struct layer {
    struct ydoc *y;
    int *memo; /* node index → the merged node made of it (0: none yet) */
    int skip_boards, skip_include;
};

struct builder {
    yaml_document_t doc;
    const char **node_file;
    size_t n, cap;
};

struct val {
    struct layer *l;
    yaml_node_t *node;
};

/* The installed lab's NAME (BINDIR/../share/resetlab/NAME) when this
 * binary is an installed one and the file is there; 0 then. */
static int installed_path(const char *name, char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    char path[PATH_MAX], real[PATH_MAX];
    int w = snprintf(path, sizeof path, "%s/%s/%s", exe, RESETLAB_BIN_TO_DATA, name);
    if (w <= 0 || (size_t)w >= sizeof path || realpath(path, real) == NULL) /* bin/../share: share */
        return -1;
    w = snprintf(buf, len, "%s", real);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

int lab_shipped_path(const char *name, char *buf, size_t len)
{
    if (installed_path(name, buf, len) == 0)
        return 0;
    int w = snprintf(buf, len, "%s/%s", RESETLAB_DATADIR, name);
    return w > 0 && (size_t)w < len && access(buf, F_OK) == 0 ? 0 : -1;
}

static void hash_bytes(void *ctx, const unsigned char *bytes, size_t n)
{
    if (ctx != NULL)
        g_checksum_update(ctx, bytes, (gssize)n);
}

/* ---------------------------------------------------------- the merge -- */

static int add_like(struct builder *b, struct layer *l, yaml_node_t *src, const char *path)
{
    if (b->n >= YDOC_MAX_NODES)
        return yfail(l->y, src, path, "more than %d values (scalars, lists and mappings) with the included files",
                     YDOC_MAX_NODES), 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        const char **grown = realloc(b->node_file, cap * sizeof *grown);
        if (grown == NULL)
            return yfail(l->y, src, path, "out of memory"), 0;
        b->node_file = grown, b->cap = cap;
    }
    int id = 0;
    if (src->type == YAML_SCALAR_NODE)
        id = yaml_document_add_scalar(&b->doc, src->tag, src->data.scalar.value, (int)src->data.scalar.length,
                                      src->data.scalar.style);
    else if (src->type == YAML_SEQUENCE_NODE)
        id = yaml_document_add_sequence(&b->doc, src->tag, src->data.sequence.style);
    else if (src->type == YAML_MAPPING_NODE)
        id = yaml_document_add_mapping(&b->doc, src->tag, src->data.mapping.style);
    if (id == 0)
        return yfail(l->y, src, path, "out of memory"), 0;
    yaml_node_t *made = b->doc.nodes.start + id - 1;
    made->start_mark = src->start_mark;
    made->end_mark = src->end_mark;
    b->node_file[b->n++] = ydoc_node_file(l->y, src);
    return id;
}

/* src and what it holds, each node once (an alias stays one node). */
static int copy(struct builder *b, struct layer *l, yaml_node_t *src, int depth, const char *path)
{
    size_t i = (size_t)(src - l->y->doc.nodes.start);
    if (l->memo[i] != 0)
        return l->memo[i];
    if (depth > YDOC_MAX_DEPTH)
        return yfail(l->y, src, path, "lists and mappings nested more than %d deep", YDOC_MAX_DEPTH), 0;
    int id = add_like(b, l, src, path);
    if (id == 0)
        return 0;
    l->memo[i] = id;
    if (src->type == YAML_SEQUENCE_NODE) {
        YSEQ_FOREACH(l->y, src, item)
        {
            int c = copy(b, l, yaml_document_get_node(&l->y->doc, *item), depth + 1, path);
            if (c == 0 || !yaml_document_append_sequence_item(&b->doc, id, c))
                return c ? yfail(l->y, src, path, "out of memory"), 0 : 0;
        }
    } else if (src->type == YAML_MAPPING_NODE) {
        YMAP_FOREACH(l->y, src, pair)
        {
            int k = copy(b, l, yaml_document_get_node(&l->y->doc, pair->key), depth + 1, path);
            int v = k ? copy(b, l, yaml_document_get_node(&l->y->doc, pair->value), depth + 1, path) : 0;
            if (v == 0 || !yaml_document_append_mapping_pair(&b->doc, id, k, v))
                return v ? yfail(l->y, src, path, "out of memory"), 0 : 0;
        }
    }
    return id;
}

/* The pair of `map` whose key is `key`, or NULL. */
static yaml_node_pair_t *pair_of(struct ydoc *y, yaml_node_t *map, const char *key)
{
    YMAP_FOREACH(y, map, pair)
    {
        const char *k = yscalar(yaml_document_get_node(&y->doc, pair->key));
        if (k != NULL && strcmp(k, key) == 0)
            return pair;
    }
    return NULL;
}

static int skipped(const struct val *v, int depth, const char *key)
{
    return depth == 0 && ((v->l->skip_include && strcmp(key, "include") == 0) ||
                          (v->l->skip_boards && strcmp(key, "boards") == 0));
}

static int merge(struct builder *b, struct val *v, int n, int depth, const char *path);

/* One key of the mappings v[0..n-1]: the values the layers give it, merged. */
static int merge_key(struct builder *b, struct val *v, int n, int first, int depth, const char *path, const char *key,
                     int *key_id, int *value_id)
{
    struct val *vals = calloc((size_t)n, sizeof *vals);
    int m = 0;
    yaml_node_t *key_node = NULL;
    struct layer *key_layer = NULL;
    for (int j = first; vals != NULL && j < n; j++) {
        yaml_node_pair_t *p = skipped(&v[j], depth, key) ? NULL : pair_of(v[j].l->y, v[j].node, key);
        if (p == NULL)
            continue;
        vals[m++] = (struct val){v[j].l, yaml_document_get_node(&v[j].l->y->doc, p->value)};
        key_node = yaml_document_get_node(&v[j].l->y->doc, p->key), key_layer = v[j].l;
    }
    if (vals == NULL)
        return yfail(v[n - 1].l->y, v[n - 1].node, path, "out of memory");
    char sub[256];
    snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
    *key_id = copy(b, key_layer, key_node, depth + 1, sub);
    *value_id = *key_id ? merge(b, vals, m, depth + 1, sub) : 0;
    free(vals);
    return *value_id ? 0 : -1;
}

/* The layers' values at one place, later over earlier: mappings at the
 * end of the list merged key by key, anything else the last one as it is. */
static int merge(struct builder *b, struct val *v, int n, int depth, const char *path)
{
    int k = n - 1;
    if (v[k].node->type != YAML_MAPPING_NODE)
        return copy(b, v[k].l, v[k].node, depth, path);
    while (k > 0 && v[k - 1].node->type == YAML_MAPPING_NODE)
        k--;
    if (k == n - 1 && depth > 0) /* the root always goes through here: its include: and boards: are dropped */
        return copy(b, v[k].l, v[k].node, depth, path);
    if (depth > YDOC_MAX_DEPTH)
        return yfail(v[k].l->y, v[k].node, path, "lists and mappings nested more than %d deep", YDOC_MAX_DEPTH), 0;
    int id = add_like(b, v[n - 1].l, v[n - 1].node, path);
    for (int i = k; id != 0 && i < n; i++) {
        YMAP_FOREACH(v[i].l->y, v[i].node, pair)
        {
            yaml_node_t *kn = yaml_document_get_node(&v[i].l->y->doc, pair->key);
            const char *key = yscalar(kn);
            if (key == NULL)
                return yfail(v[i].l->y, kn, path, "a key must be a string to be merged with an included file"), 0;
            if (skipped(&v[i], depth, key))
                continue;
            int seen = 0;
            for (yaml_node_pair_t *prev = v[i].node->data.mapping.pairs.start; prev < pair && !seen; prev++) {
                const char *pk = yscalar(yaml_document_get_node(&v[i].l->y->doc, prev->key));
                seen = pk != NULL && strcmp(pk, key) == 0;
            }
            if (seen)
                return yfail(v[i].l->y, kn, path, "key '%s' appears twice", key), 0;
            for (int j = k; j < i && !seen; j++)
                seen = !skipped(&v[j], depth, key) && pair_of(v[j].l->y, v[j].node, key) != NULL;
            int key_id = 0, value_id = 0; /* set by merge_key when it returns 0 */
            if (seen)
                continue; /* merged where it first appeared */
            if (merge_key(b, v, n, i, depth, path, key, &key_id, &value_id) != 0)
                return 0;
            if (!yaml_document_append_mapping_pair(&b->doc, id, key_id, value_id))
                return yfail(v[i].l->y, kn, path, "out of memory"), 0;
        }
    }
    return id;
}

/* ------------------------------------------------------- the includes -- */

static int spec_path(struct resolve *r, struct ydoc *y, yaml_node_t *at, const char *name, struct include_spec *s)
{
    char joined[PATH_MAX];
    if (strcmp(name, "resetlab") == 0) {
        if (lab_shipped_path("boards.yaml", joined, sizeof joined) != 0)
            return yfail(y, at, "include", "resetlab: the shipped library (share/resetlab/boards.yaml) is not found");
    } else {
        const char *slash = name[0] == '/' ? NULL : strrchr(y->file, '/');
        int w = slash ? snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - y->file), y->file, name)
                      : snprintf(joined, sizeof joined, "%s", name);
        if (w < 0 || (size_t)w >= sizeof joined)
            return yfail(y, at, "include", "%s: path too long", name);
    }
    char real[PATH_MAX];
    if (realpath(joined, real) == NULL)
        return yfail(y, at, "include", "%s: %s", joined, strerror(errno));
    for (int i = 0; i <= r->depth; i++)
        if (strcmp(r->chain[i], real) == 0) {
            char cycle[512] = "";
            size_t used = 0;
            for (int j = i; j <= r->depth && used < sizeof cycle; j++) {
                const char *base = strrchr(r->chain[j], '/');
                used += (size_t)snprintf(cycle + used, sizeof cycle - used, "%s -> ", base ? base + 1 : r->chain[j]);
            }
            return yfail(y, at, "include", "%s: an include cycle (%s%s)", name, used < sizeof cycle ? cycle : "",
                         strrchr(real, '/') ? strrchr(real, '/') + 1 : real);
        }
    if (r->depth + 1 > LAB_INCLUDE_DEPTH_MAX)
        return yfail(y, at, "include", "%s: includes nested more than %d deep", name, LAB_INCLUDE_DEPTH_MAX);
    if (r->n_files + 1 > LAB_INCLUDE_FILES_MAX)
        return yfail(y, at, "include", "%s: more than %d files in one lab", name, LAB_INCLUDE_FILES_MAX);
    snprintf(s->path, sizeof s->path, "%s", joined);
    return 0;
}

/* One item of include: `NAME` or {file: NAME, boards: BOOL}. */
static int spec_item(struct resolve *r, struct ydoc *y, yaml_node_t *n, struct include_spec *s)
{
    static const char *const keys[] = {"file", "boards", NULL};
    char name[PATH_MAX];
    s->boards = 0;
    if (yscalar(n) != NULL && yscalar(n)[0] == '\0')
        return yfail(y, n, "include", "expected a file name or 'resetlab', got nothing");
    if (yscalar(n) != NULL)
        return spec_path(r, y, n, yscalar(n), s);
    if (n->type != YAML_MAPPING_NODE)
        return yfail(y, n, "include", "expected a file name, 'resetlab' or {file: NAME, boards: true}");
    if (ymap_only(y, n, "include", keys) || yget_string(y, n, "include", "file", name, sizeof name) ||
        yopt_bool(y, n, "include", "boards", &s->boards))
        return -1;
    return spec_path(r, y, ymap_get(y, n, "file"), name, s);
}

static int read_file(struct resolve *r, struct ydoc *y, const char *file);

/* The included files, each read whole (its own includes merged in). */
static int read_includes(struct resolve *r, struct ydoc *own, yaml_node_t *inc, struct ydoc *docs,
                         struct include_spec *specs, int max, int *n)
{
    yaml_node_t *one = inc;
    int count = inc->type == YAML_SEQUENCE_NODE ? (int)(inc->data.sequence.items.top - inc->data.sequence.items.start) : 1;
    if (count > max)
        return yfail(own, inc, "include", "more than %d files in one lab", LAB_INCLUDE_FILES_MAX);
    for (*n = 0; *n < count; (*n)++) {
        if (inc->type == YAML_SEQUENCE_NODE)
            one = yaml_document_get_node(&own->doc, inc->data.sequence.items.start[*n]);
        if (spec_item(r, own, one, &specs[*n]) != 0)
            return -1;
        r->depth++;
        int rc = read_file(r, &docs[*n], specs[*n].path);
        r->depth--;
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Moves every file name of `from` to `to`. */
static int take_files(struct ydoc *to, struct ydoc *from)
{
    char **grown = realloc(to->files, (size_t)(to->n_files + from->n_files) * sizeof *grown);
    if (grown == NULL)
        return -1;
    to->files = grown;
    memcpy(to->files + to->n_files, from->files, (size_t)from->n_files * sizeof *grown);
    to->n_files += from->n_files;
    free(from->files);
    from->files = NULL, from->n_files = 0;
    return 0;
}

/* The merged document of `own` over docs[0..n-1], into *out. */
static int merge_docs(struct ydoc *own, struct ydoc *docs, const struct include_spec *specs, int n, struct ydoc *out)
{
    struct layer *layers = calloc((size_t)n + 1, sizeof *layers);
    struct val *vals = calloc((size_t)n + 1, sizeof *vals);
    struct builder b = {0};
    int rc = -1, started = 0;
    if (layers == NULL || vals == NULL || !(started = yaml_document_initialize(&b.doc, NULL, NULL, NULL, 1, 1)))
        goto oom;
    for (int i = 0; i <= n; i++) {
        struct ydoc *y = i < n ? &docs[i] : own;
        size_t nodes = (size_t)(y->doc.nodes.top - y->doc.nodes.start);
        layers[i] = (struct layer){y, calloc(nodes + 1, sizeof(int)), i < n && !specs[i].boards, i == n};
        vals[i] = (struct val){&layers[i], ydoc_root(y)};
        if (layers[i].memo == NULL)
            goto oom;
        if (vals[i].node->type != YAML_MAPPING_NODE) {
            yfail(y, vals[i].node, "", "expected a mapping of sections (chips:, boards: ...), got a scalar or a list");
            goto out;
        }
    }
    if (merge(&b, vals, n + 1, 0, "") == 0)
        goto out;
    *out = (struct ydoc){.doc = b.doc, .file = own->file, .err = own->err, .err_len = own->err_len, .loaded = 1,
                         .node_file = b.node_file};
    b.node_file = NULL, started = 0;
    rc = 0;
    for (int i = 0; i <= n && rc == 0; i++)
        rc = take_files(out, i < n ? &docs[i] : own);
    if (rc == 0)
        goto out;
    ydoc_free(out);
oom:
    snprintf(own->err, own->err_len, "%s: out of memory", own->file);
    rc = -1;
out:
    if (started)
        yaml_document_delete(&b.doc);
    for (int i = 0; layers && i <= n; i++)
        free(layers[i].memo);
    free(layers);
    free(vals);
    free(b.node_file);
    return rc;
}

/* `file` and what it includes, into y; the file's name is y's own. */
static int read_file(struct resolve *r, struct ydoc *y, const char *file)
{
    char *name = strdup(file);
    if (name == NULL || realpath(file, r->chain[r->depth]) == NULL)
        snprintf(r->chain[r->depth], sizeof r->chain[r->depth], "%s", file);
    r->n_files++;
    if (name == NULL || ydoc_load_seen(y, name, hash_bytes, r->sum, r->err, r->err_len) != 0) {
        if (name == NULL)
            snprintf(r->err, r->err_len, "%s: out of memory", file);
        free(name);
        return -1;
    }
    if ((y->files = malloc(sizeof *y->files)) == NULL) {
        free(name);
        ydoc_free(y);
        return snprintf(r->err, r->err_len, "%s: out of memory", file), -1;
    }
    y->files[0] = name, y->n_files = 1;
    yaml_node_t *inc = ymap_get(y, ydoc_root(y), "include");
    if (inc == NULL)
        return 0;
    struct ydoc *docs = calloc(LAB_INCLUDE_FILES_MAX, sizeof *docs);
    struct include_spec *specs = calloc(LAB_INCLUDE_FILES_MAX, sizeof *specs);
    struct ydoc merged;
    int n = 0, rc = -1;
    if (docs == NULL || specs == NULL)
        snprintf(r->err, r->err_len, "%s: out of memory", file);
    else if (read_includes(r, y, inc, docs, specs, LAB_INCLUDE_FILES_MAX, &n) == 0 &&
             merge_docs(y, docs, specs, n, &merged) == 0)
        rc = 0;
    for (int i = 0; docs && i < n + (rc != 0 && n < LAB_INCLUDE_FILES_MAX); i++)
        ydoc_free(&docs[i]);
    free(docs);
    free(specs);
    ydoc_free(y);
    if (rc == 0)
        *y = merged;
    return rc;
}

int lab_doc_load(struct ydoc *y, const char *file, char *sha256, char *err, size_t err_len)
{
    struct resolve *r = calloc(1, sizeof *r);
    if (r == NULL)
        return snprintf(err, err_len, "%s: out of memory", file), -1;
    err[0] = '\0';
    r->err = err, r->err_len = err_len;
    r->sum = sha256 ? g_checksum_new(G_CHECKSUM_SHA256) : NULL;
    int rc = read_file(r, y, file);
    if (rc == 0 && sha256 != NULL)
        snprintf(sha256, 65, "%s", g_checksum_get_string(r->sum));
    if (r->sum)
        g_checksum_free(r->sum);
    free(r);
    return rc;
}

int lab_sha256(const char *file, char out[65], char *err, size_t err_len)
{
    struct ydoc y;
    out[0] = '\0';
    if (lab_doc_load(&y, file, out, err, err_len) != 0)
        return -1;
    ydoc_free(&y);
    return 0;
}
