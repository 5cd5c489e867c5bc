/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boards.yaml's network bridges (docs/bridges.md): net_links:,
 * net_clients: and net_bridges:, and a host's `network:`. Used only
 * inside harness/lab. */
#ifndef RESETLAB_LAB_LAB_NET_H
#define RESETLAB_LAB_LAB_NET_H

#include "lab_yaml.h"
#include "sim/lab.h"

/* The three sections, each optional (a lab without network bridges);
 * after circuits:, before hosts:. 0, or -1 with one line. */
int lab_net_load(struct ydoc *y, struct lab *lab);

/* A host's optional `network:` mapping into h->net. */
int lab_net_host(struct ydoc *y, const struct lab *lab, yaml_node_t *host, const char *path, struct host_profile *h);

#endif
