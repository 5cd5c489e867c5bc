/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab run`: boards × hosts × scenarios × iterations on the lab. */
#ifndef RESETLAB_RUN_RUN_MATRIX_H
#define RESETLAB_RUN_RUN_MATRIX_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/results.h"
#include "reports/store.h"
#include "sim/lab.h"
#include "run_cell.h"
#include "run_matrix_opts.h"

/* Returns the exit status of the cells' gates (reports/results.h): 0 when
 * every cell met its expectation or is a known failure, 1 when some cell
 * is a regression, 3 when the rest are infrastructure errors; 2 for bad
 * input or an output error (reason in `err`), MATRIX_INTERRUPTED when
 * *o->stop was set, during the runs or while the outputs were written
 * (every finished run is in the store; `run --resume` goes on, or writes
 * the outputs). The session is marked complete only once runs.jsonl,
 * summary.json, junit.xml and the report are all written and fsync'd.
 * The table goes to `out`. */
/* Appends to f->virtualization, for each real board `o` picks, where its
 * runs go: "; BOARD: COLUMN (detected MODE, via CONTROLLER-OR-DRIVER)". */
void run_matrix_host_facts(const struct lab *lab, const struct matrix_opts *o, struct session_facts *f);

int run_matrix(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len);

#endif
