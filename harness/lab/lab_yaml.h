/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Typed access to a libyaml document, with errors that name file:line and
 * the key path ("boards.yaml:42: boards.devkitc.en.r_ohms: expected a
 * number, got 'ten'"). */
#ifndef RESETLAB_LAB_LAB_YAML_H
#define RESETLAB_LAB_LAB_YAML_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

struct ydoc {
    yaml_document_t doc;
    const char *file;
    char *err;
    size_t err_len;
    int loaded;
    /* A lab put together from several files (lab_include.c): the file each
     * node came from, by node index, so an error names the file and line of
     * the node it is about; NULL when every node is `file`'s. The names are
     * the document's own (files[], freed with it). */
    const char **node_file;
    char **files;
    int n_files;
};

/* Every YAML file resetlab reads (boards.yaml, a scenario, a capture's op
 * log) is refused, with one line, past these, before the work they bound:
 *  - its size, before it is read: 1 MiB, about 50 times the shipped
 *    boards.yaml (22 KB; a scenario is under 4 KB; an op log has a smaller
 *    limit of its own, RUN_META_MAX_BYTES);
 *  - lists and mappings nested deeper than 64 (the shipped lab goes 6
 *    deep), on the parser's events: libyaml's time grows faster than the
 *    nesting (100,000 levels of '[' took 21 s, 200,000 over 300 s);
 *  - 100,000 values (scalars, lists, mappings; the shipped boards.yaml has
 *    1,069), as each is memory (100,000 make about 16 MB);
 *  - a second document ('---'), which would be ignored. */
#define YDOC_MAX_BYTES (1u << 20)
#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_NODES 100000

/* Loads the only document of `file` (at most YDOC_MAX_BYTES). Returns 0,
 * or -1 with the error. */
int ydoc_load(struct ydoc *y, const char *file, char *err, size_t err_len);
/* The same with a smaller size limit (an op log's). */
int ydoc_load_max(struct ydoc *y, const char *file, size_t max_bytes, char *err, size_t err_len);
/* ydoc_load, handing the file's bytes, as read, to `sink` first (a lab's
 * SHA-256 is of the bytes it was loaded from). */
int ydoc_load_seen(struct ydoc *y, const char *file, void (*sink)(void *ctx, const unsigned char *bytes, size_t n),
                   void *ctx, char *err, size_t err_len);
/* The file `node` came from (y->file unless the document was put together
 * from several). */
const char *ydoc_node_file(const struct ydoc *y, const yaml_node_t *node);
void ydoc_free(struct ydoc *y);
yaml_node_t *ydoc_root(struct ydoc *y);

int yfail(struct ydoc *y, const yaml_node_t *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

yaml_node_t *ymap_get(struct ydoc *y, const yaml_node_t *map, const char *key);
int ymap_require(struct ydoc *y, const yaml_node_t *map, const char *path);
int yseq_require(struct ydoc *y, const yaml_node_t *node, const char *path);
/* Rejects keys not in the NULL-terminated `allowed` list (typos). */
int ymap_only(struct ydoc *y, const yaml_node_t *map, const char *path, const char *const *allowed);

const char *yscalar(const yaml_node_t *n); /* NULL when not a scalar */

/* Required keys: -1 with an error when missing or of the wrong type. */
int yget_double(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, double *out);
int yget_string(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, char *out,
                size_t len);
int yget_bool(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, int *out);
/* Optional: leaves *out alone when the key is absent. */
int yopt_bool(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, int *out);
/* A number in [lo, hi]. */
int yget_range(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, double lo,
               double hi, double *out);
/* Optional: absent leaves *out alone. */
int yopt_range(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, double lo, double hi,
               double *out);
/* A whole number in [0, 2^32), decimal or 0x-hex. */
int yget_u32(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key, uint32_t *out);
char *yget_strdup(struct ydoc *y, const yaml_node_t *map, const char *path, const char *key);

#define YMAP_FOREACH(y, map, pair)                                                                         \
    for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; pair < (map)->data.mapping.pairs.top;  \
         pair++)
#define YSEQ_FOREACH(y, seq, item)                                                                         \
    for (yaml_node_item_t *item = (seq)->data.sequence.items.start; item < (seq)->data.sequence.items.top; \
         item++)

#endif
