/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell of the matrix as the run goes through it (run_matrix.c), and
 * what --resume found of it in the store (run_resume.c). */
#ifndef RESETLAB_RUN_RUN_PLAN_H
#define RESETLAB_RUN_RUN_PLAN_H

#include "reports/results.h"
#include "run_outputs.h"
#include "run_matrix_opts.h"
#include "sim/lab.h"

struct plan {
    const struct board_profile *b;
    const struct host_profile *h;
    const struct scenario *s;
    int done;     /* runs already in the store (resumed) */
    int restored; /* resumed from its cell row: complete, its figures read back */
    int gap;      /* resumed: a stored run after one not stored; the cell goes on from `done` */
    int kept;     /* resumed: the runs of 0..done-1 with a row that did not pass */
};

/* --resume: each cell of the session's whose row is in the store restored
 * (complete), then the runs stored of the others counted back in, each
 * cell's from its first run on while they follow one another; the runs a
 * cell stored after a gap are taken out, and made again. 0, or -1 with
 * one line in err. */
int run_resume_cells(const struct matrix_opts *o, struct plan *plan, int n_cells, struct cell_stats *cells,
                     struct outputs *io, char *err, size_t len);

#endif
