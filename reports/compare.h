/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab compare`: two result sets cell by cell (two sessions, in one
 * store or two, or two hosts of one session), a change flagged only when
 * it is statistically real: Fisher's exact test on pass counts and the
 * Mann–Whitney rank test on strap margins, Holm-corrected across every
 * test made, and for margins a shift large enough to matter. */
#ifndef RESETLAB_COMPARE_H
#define RESETLAB_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* One cell's runs on one side. */
struct compare_cell {
    char board[64], host[64], scenario[64];
    char expected[16];
    int runs, passed;
    double *margin; /* ms, one per run that had one */
    int n_margin, cap;
};

struct compare_side {
    char label[320]; /* "results/a.db session 3 (2026-11-23T10:00:00Z)", "host vm-usb-passthrough" */
    struct compare_cell *cells;
    int n, cap;
};

/* The runs of `session` in `st` (only `host`'s when not NULL), by cell. */
int compare_load(struct store *st, int64_t session, const char *host, struct compare_side *out, char *err,
                 size_t err_len);
void compare_side_free(struct compare_side *s);

enum compare_change { CHANGE_NONE, CHANGE_WORSE, CHANGE_BETTER };

struct compare_row {
    const struct compare_cell *a, *b; /* NULL: the cell is only on the other side */
    double pass_p, margin_p;          /* raw p-values; NaN: no test */
    double margin_a, margin_b;        /* medians, ms; NaN without margins */
    enum compare_change pass, margin; /* after Holm and the minimum shift */
};

struct compare_opts {
    double alpha;         /* family-wise error rate, 0.05 */
    double min_shift_ms;  /* a margin change smaller than this is not flagged, 0.5 */
    int by_host;          /* match cells by board and scenario (two hosts compared) */
};

struct compare_result {
    struct compare_row *rows;
    int n;
    int tests;            /* how many tests the Holm correction covered */
    int regressions, improvements; /* pass rates significantly worse / better in B */
    int margin_shifts;             /* cells whose margins moved significantly (either way) */
};

/* Matches the cells of a and b and tests each pair. A regression is a pass
 * rate significantly lower in B; a margin shift is reported beside it but
 * is not one by itself (a board can keep passing with less margin, which
 * is worth seeing, not failing CI on). -1 when out of memory. */
int compare_sides(const struct compare_side *a, const struct compare_side *b, const struct compare_opts *o,
                  struct compare_result *out);
void compare_result_free(struct compare_result *r);

void compare_write_table(FILE *f, const struct compare_side *a, const struct compare_side *b,
                         const struct compare_result *r, const struct compare_opts *o);
void compare_write_json(FILE *f, const struct compare_side *a, const struct compare_side *b,
                        const struct compare_result *r, const struct compare_opts *o);
void compare_write_html(FILE *f, const struct compare_side *a, const struct compare_side *b,
                        const struct compare_result *r, const struct compare_opts *o);

#endif
