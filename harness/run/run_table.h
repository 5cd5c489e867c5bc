/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table `resetlab run` prints at the end: a pass rate per cell (or
 * `error`), each cell's gate marked, the regressions and errors in full,
 * the known failures by reason, the fixed ones, the boards' diagnoses and
 * one summary line. --quiet keeps the failing rows and the summary line. */
#ifndef RESETLAB_RUN_RUN_TABLE_H
#define RESETLAB_RUN_RUN_TABLE_H

#include <stdio.h>

#include "harness/lab/lab_known.h"
#include "reports/results.h"
#include "sim/lab.h"

struct run_table {
    const struct board_profile *const *boards;
    const struct host_profile *const *hosts; /* the columns */
    const struct scenario *const *scenarios;
    int n_boards, n_hosts, n_scenarios;
    struct cell_stats *cells;
    int n_cells;
    const struct lab_gates *gates; /* NULL: no known failures */
    int quiet;
};

void run_table_print(FILE *out, const struct run_table *t);
/* "842 of 1372 cells met their expectation (274400 runs); 530 known failures, ...". */
void run_table_summary(FILE *out, const struct cell_stats *cells, int n_cells);

#endif
