/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A top-level section of boards.yaml, entry by entry (lab_boards.c's
 * loader, which lab_net.c's sections use too). Used only inside harness/lab. */
#ifndef RESETLAB_LAB_LAB_SECTION_H
#define RESETLAB_LAB_LAB_SECTION_H

#include <stddef.h>

#include "lab_yaml.h"
#include "sim/lab.h"

typedef int (*lab_entry_fn)(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *node, const char *path);

/* Calls `fn` for each entry of the top-level mapping `section`, after
 * growing `*array` to hold them all; -1 with one line. */
int lab_section_load(struct ydoc *y, struct lab *lab, const char *section, void **array, int *count, size_t elem,
                     lab_entry_fn fn);

/* A latency mapping {floor_ms, median_ms, sigma, spike_p, spike_ms} under `key`. */
int lab_latency_load(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, struct latency *l);

#endif
