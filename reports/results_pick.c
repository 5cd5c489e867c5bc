/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell's typical and worst run (results.h): the runs the report
 * draws, chosen as the cell's runs are counted, so neither the run nor the
 * report has to keep every run to find them; and a cell's samples as the
 * store keeps them.
 * May call: reports/results.c, libc, libm. */
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct run_pick pick_of(const struct analysis *a, int iteration, uint64_t seed)
{
    return (struct run_pick){1, iteration, seed, a->verdict, a->outcome, a->margin_ms};
}

void cell_pick_note(struct cell_stats *c, const struct analysis *a, int iteration, uint64_t seed)
{
    struct cell_samples *s = c->samples;
    if (a->verdict != VERDICT_ERROR && !isnan(a->margin_ms)) { /* the sample results.c adds next */
        s->margin_iteration[s->n_margin] = iteration;
        s->margin_seed[s->n_margin] = seed;
        s->margin_vo[s->n_margin] = (unsigned char)((unsigned)a->verdict << 4 | (unsigned)a->outcome);
    }
    if (a->verdict != VERDICT_PASS && !s->first_unpassed.set)
        s->first_unpassed = pick_of(a, iteration, seed);
    if (a->verdict == VERDICT_FAIL && isfinite(a->margin_ms) &&
        (!s->worst_failing.set || a->margin_ms < s->worst_failing.margin_ms))
        s->worst_failing = pick_of(a, iteration, seed);
}

void cell_pick_runs(struct cell_stats *c, const struct cell_samples *s)
{
    static const double half = 0.5;
    double median = NAN;
    c->typical = s->first_unpassed;
    c->worst = s->worst_failing.set ? s->worst_failing : s->first_unpassed;
    if (!c->worst.set || s->n_margin == 0) /* every run passed: nothing to draw */
        return;
    percentiles_of(s->margin, s->n_margin, &half, &median, 1);
    for (int i = 0; i < s->n_margin && !isnan(median); i++)
        if (s->margin[i] == median) {
            c->typical = (struct run_pick){1, s->margin_iteration[i], s->margin_seed[i],
                                           (enum verdict)(s->margin_vo[i] >> 4),
                                           (enum boot_mode)(s->margin_vo[i] & 0xf), s->margin[i]};
            return;
        }
}

static int floats_of(const double *x, int n, float **out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n <= 0)
        return 0;
    if ((*out = malloc(sizeof **out * (size_t)n)) == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        (*out)[i] = (float)x[i];
    *n_out = n;
    return 0;
}

int cell_sample_floats(const struct cell_stats *c, float **margin, int *n_margin, float **gap, int *n_gap)
{
    const struct cell_samples none = {0}, *s = c->samples ? c->samples : &none;
    if (floats_of(s->margin, s->n_margin, margin, n_margin) != 0)
        return -1;
    if (floats_of(s->gap, s->n_gap, gap, n_gap) != 0) {
        free(*margin);
        *margin = NULL;
        return -1;
    }
    return 0;
}

static struct spread pool_spread(struct spread a, struct spread b)
{
    if (b.n == 0)
        return a;
    if (a.n == 0)
        return b;
    struct spread s = a.n >= b.n ? a : b;
    s.n = a.n + b.n;
    s.min = fmin(a.min, b.min);
    s.max = fmax(a.max, b.max);
    return s;
}

static void pool_kinds(struct cell_stats *c, const struct cell_stats *o)
{
    for (int j = 0; j < o->n_kinds; j++) {
        int k = 0;
        while (k < c->n_kinds && strcmp(c->kinds[k].kind, o->kinds[j].kind) != 0)
            k++;
        if (k == c->n_kinds) {
            if (k == CELL_MAX_KINDS)
                continue;
            c->kinds[c->n_kinds++] = o->kinds[j];
            c->kind_margin[k] = o->kind_margin[j];
            c->kind_count[k] = 0;
        } else if (isfinite(o->kind_margin[j]) && !(isfinite(c->kind_margin[k]) && c->kind_margin[k] <= o->kind_margin[j])) {
            c->kinds[k] = o->kinds[j]; /* the worse run's words */
            c->kind_margin[k] = o->kind_margin[j];
        }
        c->kind_count[k] += o->kind_count[j];
    }
    for (int j = 0; j < o->n_diag; j++) {
        int k = 0;
        while (k < c->n_diag && !same_diagnosis(&c->diag[k], &o->diag[j]))
            k++;
        if (k == c->n_diag) {
            if (k == CELL_MAX_DIAG)
                continue;
            c->diag[c->n_diag++] = o->diag[j];
            c->diag_count[k] = 0;
        }
        c->diag_count[k] += o->diag_count[j];
    }
}

void cell_pool(struct cell_stats *c, const struct cell_stats *o)
{
    int more = o->runs > c->runs;
    c->runs += o->runs;
    c->passed += o->passed;
    c->failed += o->failed;
    c->errors += o->errors;
    for (int k = 0; k <= BOOT_MARGINAL; k++)
        c->outcomes[k] += o->outcomes[k];
    c->tool_runs += o->tool_runs;
    c->connected += o->connected;
    c->margin = pool_spread(c->margin, o->margin);
    c->gap = pool_spread(c->gap, o->gap);
    c->en_release = pool_spread(c->en_release, o->en_release);
    c->attempts = pool_spread(c->attempts, o->attempts);
    c->connect_ms = pool_spread(c->connect_ms, o->connect_ms);
    pool_kinds(c, o);
    if (o->worst.set && (!c->worst.set || (isfinite(o->worst.margin_ms) &&
                                           !(isfinite(c->worst.margin_ms) && c->worst.margin_ms <= o->worst.margin_ms))))
        c->worst = o->worst;
    if (o->typical.set && (more || !c->typical.set))
        c->typical = o->typical;
}
