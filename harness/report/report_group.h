/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A group of sessions as one matrix (`report --sessions`, `--date`): which
 * sessions, and their cells in the order one run would have made them.
 * Used only inside harness/report/. */
#ifndef RESETLAB_REPORT_REPORT_GROUP_H
#define RESETLAB_REPORT_REPORT_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "reports/store.h"

#define REPORT_GROUP_MAX 1000 /* sessions in one group */

/* The sessions named by `list` ("4,5,6", "4-6", or "merged": those the
 * last `resetlab merge` into this store named) or by `date` ("2026-12-05",
 * or "2026-12-01..2026-12-05": the complete sessions begun on those UTC
 * days), oldest first, into rows (REPORT_GROUP_MAX of them). They must
 * share one boards.yaml (its SHA-256). 0, 2 for bad input (no such
 * session, none that day, two labs) or -1, with one line in err. */
int report_group_pick(struct store *st, const char *list, const char *date, struct session_row *rows, int *n,
                      char *err, size_t len);

/* One cell of a group, and the session whose runs fill it. */
struct group_cell {
    char *board, *host, *scenario;
    int64_t session;
};

/* The group's cells: the shards of one run (--shard K/N in their options)
 * interleaved back into the run's order, other sessions' cells after, each
 * board x scenario's cells together (one matrix row), a cell in two
 * sessions read from both. 0, or -1 with one line in err. */
int report_group_cells(struct store *st, const struct session_row *rows, int n, struct group_cell **out,
                       int *n_out, char *err, size_t len);
void report_group_cells_free(struct group_cell *c, int n);

#endif
