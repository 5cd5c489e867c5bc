/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab compare --predict`: the virtual lab's prediction for a real
 * session's cells against what the real host measured, cell by cell: both
 * pass rates with their Wilson 95 % intervals, and Fisher's exact test of
 * agreement, Holm-corrected over the cells (compare_predict.c). */
#ifndef RESETLAB_COMPARE_PREDICT_H
#define RESETLAB_COMPARE_PREDICT_H

#include <stdio.h>

#include "compare.h"

struct predict_row {
    const struct compare_cell *model, *measured;
    double model_lo, model_hi, measured_lo, measured_hi; /* Wilson 95 %, fractions */
    double p, p_holm; /* Fisher's exact, two-sided; Holm-adjusted over the rows */
    int disagree;     /* p_holm <= alpha */
};

struct predict_result {
    struct predict_row *rows;
    int n, disagreements;
    double alpha;
};

/* Pairs each measured cell with the model's cell of the same board, host
 * and scenario (a measured cell without one is left out) and tests them.
 * -1 when out of memory. */
int predict_compare(const struct compare_side *model, const struct compare_side *measured, double alpha,
                    struct predict_result *out);
void predict_result_free(struct predict_result *r);

/* "devkitc / vm-usb-passthrough-kvm / esptool-4x: model 100.0 % [98.1–100],
 * measured 97.5 % [94.3–98.9], disagree (p = 0.03)", a line per cell, then
 * a summary line. */
void predict_write_table(FILE *f, const char *model_label, const char *measured_label,
                         const struct predict_result *r);
void predict_write_json(FILE *f, const char *model_label, const char *measured_label, const struct predict_result *r);

#endif
