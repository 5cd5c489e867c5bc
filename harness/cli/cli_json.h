/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --json of list, probe and tune: one JSON document on stdout, written
 * with reports/'s JSON values (numbers with 4 decimals, NaN as null,
 * strings escaped). run --json prints summary.json's document. */
#ifndef RESETLAB_CLI_CLI_JSON_H
#define RESETLAB_CLI_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "harness/run/run_tune.h"
#include "reports/results.h"
#include "sim/lab.h"

void cli_list_json(FILE *f, const struct lab *lab);
/* probe's cells and its exit status (0 sound and a strategy always works). */
void cli_probe_json(FILE *f, const struct board_profile *b, const struct host_profile *h, int iterations,
                    uint64_t seed, struct cell_stats *cells, int n, int exit_status);
/* tune's search: best is NULL when no candidate met the target. */
void cli_tune_json(FILE *f, const struct tune_opts *o, int tried, double seconds, const struct tune_result *best,
                   int exit_status);

#endif
