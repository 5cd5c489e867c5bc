/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Line steps: DTR and RTS edges grouped by instant (one TIOCMSET changes
 * both at once), in the asserted convention. Internal to the analyzers. */
#ifndef RESETLAB_STEPS_H
#define RESETLAB_STEPS_H

#include "analysis.h"

#define MAX_STEPS TRACE_MAX_LINE_STEPS

struct step {
    int64_t t_ns;
    uint8_t dtr, rts; /* asserted after the step */
    uint8_t changed;  /* bit 0: DTR changed, bit 1: RTS changed */
};

struct steps {
    struct step s[MAX_STEPS];
    int n;
};

/* Step 0 is the initial state at t = 0. 0 on success (n = 0 when DTR or
 * RTS was not captured), -1 when there are more than MAX_STEPS. */
int build_steps(const struct trace *tr, struct steps *st);

/* End of step i's interval: the next step, or the end of the capture. */
static inline int64_t step_end(const struct steps *st, const struct trace *tr, int i)
{
    return i + 1 < st->n ? st->s[i + 1].t_ns : tr->t_end_ns;
}

/* trace_check, then build_steps: -1 with the reason when the trace is bad. */
int checked_steps(const struct trace *tr, struct steps *st, char *why, size_t why_len);

/* The analyzers over steps built once (analyze_run); the public functions
 * in analyze.h check the trace and build the steps themselves. */
/* resets_from_steps stores at most `max` resets (past it, the first
 * max − 1 and the last) and says in *total how many the trace holds. */
int resets_from_steps(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                      const struct op_log *log, struct reset_event *out, int max, int *total, char *why,
                      size_t why_len);
int truth_table_from_steps(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                           struct finding *out, int max);
int transients_from_steps(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                          const struct op_log *log, struct finding *out, int max);

/* IO0's edges alone, in time order, as the strap window reads them: a
 * capture's every reset then costs a binary search, not a pass over
 * every edge. */
struct io0_line {
    const struct edge *edges;
    size_t n;
    int initial;
    int64_t t_end_ns;
};
/* IO0's edges of tr into buf (cap entries) or, when there are more, into
 * *owned (malloc'd: the caller frees it). -1 when out of memory. */
int io0_line_of(const struct trace *tr, struct io0_line *l, struct edge *buf, size_t cap, struct edge **owned);
/* strap_predict over the line. */
enum boot_mode strap_predict_line(const struct io0_line *l, double t_chip_ns, const struct chip_timing *chip,
                                  enum boot_mode target, double *margin_ms);

/* "DTR asserted and RTS released" and its kin. */
const char *line_state_words(int dtr, int rts);

/* The first edge of `ch` to `level` in (from, to], or -1. */
int64_t first_edge_to(const struct trace *tr, enum channel ch, int level, int64_t from, int64_t to);

/* The op that made a line change seen at t_edge: the first op whose span
 * overlaps (t_edge − one sample, t_edge]; -1 without an op log. */
int op_for_edge(const struct op_log *log, const struct trace *tr, int64_t t_edge);

/* The op's DSL token, or "?" when there is no such op. */
const char *op_label(const struct op_log *log, int op);

#endif
