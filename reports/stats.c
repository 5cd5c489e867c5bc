/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Statistics for compare and the HTML report (issue #5). The formulas
 * follow R (binom's Wilson interval, fisher.test, wilcox.test) so a reader
 * can check any figure resetlab prints with one line of R.
 * May call: libm. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

/* ---- Wilson score interval ---- */

static int wilson_fail(double *lo, double *hi)
{
    if (lo)
        *lo = NAN;
    if (hi)
        *hi = NAN;
    return -1;
}

int wilson_interval(int successes, int n, double z, double *lo, double *hi)
{
    if (lo == NULL || hi == NULL || n <= 0 || successes < 0 || successes > n || !(z > 0) || isinf(z))
        return wilson_fail(lo, hi);
    double p = (double)successes / n;
    double z2_n = z * z / n;
    double centre = (p + z2_n / 2) / (1 + z2_n);
    double half = z / (1 + z2_n) * sqrt(p * (1 - p) / n + z2_n / (4.0 * n));
    /* At 0/n and n/n the bound is exactly 0 or 1 (centre = half); the
     * subtraction would leave a rounding residue of either sign. */
    *lo = successes == 0 ? 0.0 : centre - half;
    *hi = successes == n ? 1.0 : centre + half;
    return 0;
}

/* ---- Fisher's exact test ---- */

/* With margins m = a + c, n = b + d, k = a + b, the table with x in cell a
 * has hypergeometric probability C(m,x)·C(n,k−x)/C(m+n,k), which is
 * 1/(x!·(m−x)!·(k−x)!·(n−k+x)!) times a constant shared by every table with
 * those margins. This is its log, constant dropped: lgamma keeps counts of
 * 100,000 per cell finite where the factorials would overflow. */
static double log_table_weight(long x, long m, long n, long k)
{
    return -(lgamma(x + 1.0) + lgamma(m - x + 1.0) + lgamma(k - x + 1.0) + lgamma(n - k + x + 1.0));
}

/* The most probable x: the hypergeometric mode ⌊(k+1)(m+1)/(m+n+2)⌋. */
static long hypergeometric_mode(long m, long n, long k)
{
    return (long)(((double)k + 1) * ((double)m + 1) / ((double)m + n + 2));
}

double fisher_exact_two_sided(int a, int b, int c, int d)
{
    if (a < 0 || b < 0 || c < 0 || d < 0)
        return NAN;
    long m = (long)a + c, n = (long)b + d, k = (long)a + b;
    long lo = k - n > 0 ? k - n : 0, hi = k < m ? k : m;
    /* Weights are taken relative to the most probable table, so none
     * exceeds 1 and exp() cannot overflow; tables too improbable to matter
     * underflow to 0. */
    double log_mode = log_table_weight(hypergeometric_mode(m, n, k), m, n, k);
    double log_observed = log_table_weight(a, m, n, k) - log_mode;
    /* R's relErr: a table mathematically as probable as the observed one
     * (the mirror image of a symmetric table) may compute a hair more
     * probable, and must still count. */
    double log_tolerance = log1p(1e-7);
    double total = 0, as_extreme = 0;
    for (long x = lo; x <= hi; x++) {
        double log_w = log_table_weight(x, m, n, k) - log_mode;
        double w = exp(log_w);
        total += w;
        if (log_w <= log_observed + log_tolerance)
            as_extreme += w;
    }
    /* Dividing by the sum rather than by C(m+n,k) also cancels most of
     * lgamma's rounding. */
    return as_extreme < total ? as_extreme / total : 1.0;
}

/* ---- Mann–Whitney U ---- */

struct sample {
    double v;
    int from_x;
};

static int by_value(const void *a, const void *b)
{
    double x = ((const struct sample *)a)->v, y = ((const struct sample *)b)->v;
    return (x > y) - (x < y);
}

/* Appends the non-NaN values of s to out; returns how many. */
static int gather(struct sample *out, const double *s, int n, int from_x)
{
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(s[i]))
            out[kept++] = (struct sample){s[i], from_x};
    return kept;
}

/* Over sorted samples: the rank sum of x's samples, ties sharing the
 * average of their ranks, and Σ(t³ − t) over groups of t tied values, which
 * shrinks the variance of U. */
static void rank_sums(const struct sample *s, int n, double *rank_sum_x, double *tie_term)
{
    *rank_sum_x = 0;
    *tie_term = 0;
    for (int i = 0; i < n;) {
        int j = i, x_in_run = 0;
        for (; j < n && s[j].v == s[i].v; j++)
            x_in_run += s[j].from_x;
        double t = j - i, average_rank = (i + 1 + j) / 2.0; /* ranks i+1 … j */
        *rank_sum_x += average_rank * x_in_run;
        *tie_term += t * (t * t - 1);
        i = j;
    }
}

/* Two-sided p of U by the normal approximation, as wilcox.test(exact =
 * FALSE, correct = TRUE): continuity correction of ½ towards the mean. */
static double u_p_value(double u, double nx, double ny, double tie_term)
{
    double n = nx + ny;
    double deviation = u - nx * ny / 2;
    /* No shift at all; this also covers every sample being equal, where the
     * variance is 0 (R divides 0 by 0 and reports NaN). */
    if (deviation == 0)
        return 1.0;
    double variance = nx * ny / 12 * ((n + 1) - tie_term / (n * (n - 1)));
    if (!(variance > 0))
        return 1.0;
    double z = (deviation - (deviation > 0 ? 0.5 : -0.5)) / sqrt(variance);
    return erfc(fabs(z) / sqrt(2.0)); /* 2·min(Φ(z), 1 − Φ(z)) */
}

static int mann_whitney_fail(struct mann_whitney *out)
{
    *out = (struct mann_whitney){0, 0, NAN, NAN, NAN};
    return -1;
}

int mann_whitney(const double *x, int nx, const double *y, int ny, struct mann_whitney *out)
{
    if (out == NULL)
        return -1;
    if (nx <= 0 || ny <= 0 || x == NULL || y == NULL)
        return mann_whitney_fail(out);
    struct sample *all = malloc(sizeof *all * ((size_t)nx + (size_t)ny));
    if (all == NULL)
        return mann_whitney_fail(out);
    int kept_x = gather(all, x, nx, 1);
    int kept_y = gather(all + kept_x, y, ny, 0);
    if (kept_x == 0 || kept_y == 0) {
        free(all);
        return mann_whitney_fail(out);
    }
    qsort(all, (size_t)kept_x + (size_t)kept_y, sizeof *all, by_value);
    double rank_sum_x, tie_term;
    rank_sums(all, kept_x + kept_y, &rank_sum_x, &tie_term);
    free(all);

    double fx = kept_x, fy = kept_y; /* nx·ny overflows int at 50,000 each */
    double u = rank_sum_x - fx * (fx + 1) / 2;
    out->nx = kept_x;
    out->ny = kept_y;
    out->u = u;
    out->effect = 2 * u / (fx * fy) - 1;
    out->p = u_p_value(u, fx, fy, tie_term);
    return 0;
}

double mann_whitney_p(const double *x, int nx, const double *y, int ny)
{
    struct mann_whitney r;
    return mann_whitney(x, nx, y, ny, &r) == 0 ? r.p : NAN;
}

/* ---- Holm–Bonferroni ---- */

struct ranked_p {
    double p;
    int index;
};

static int by_p(const void *a, const void *b)
{
    double x = ((const struct ranked_p *)a)->p, y = ((const struct ranked_p *)b)->p;
    return (x > y) - (x < y);
}

int holm_reject(const double *p, int n, double alpha, int *reject)
{
    if (n < 0 || !(alpha > 0 && alpha < 1) || (n > 0 && (p == NULL || reject == NULL)))
        return -1;
    struct ranked_p *tested = malloc(sizeof *tested * (n > 0 ? (size_t)n : 1));
    if (tested == NULL)
        return -1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        reject[i] = 0;
        if (!isnan(p[i]))
            tested[m++] = (struct ranked_p){p[i], i};
    }
    qsort(tested, (size_t)m, sizeof *tested, by_p);
    /* Step down from the smallest p: the j-th smallest (0-based) faces
     * alpha/(m − j); the first that fails stops the procedure, and every
     * larger p is kept even if it would pass its own threshold. Ties pass
     * or fail together, since the threshold only grows. */
    int rejected = 0;
    while (rejected < m && tested[rejected].p <= alpha / (m - rejected)) {
        reject[tested[rejected].index] = 1;
        rejected++;
    }
    free(tested);
    return rejected;
}
