/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Statistics for comparing result sets and reporting pass rates (issue #5):
 * a change is flagged only when it is statistically real, not noise.
 *
 * Pure functions: no I/O, no globals, libc and libm only. Only
 * mann_whitney() / mann_whitney_p() and holm_reject() allocate (scratch
 * memory, freed before they return). */
#ifndef RESETLAB_STATS_H
#define RESETLAB_STATS_H

/* z for a two-sided 95 % interval: the 0.975 quantile of the normal. */
#define STATS_Z95 1.959963984540054

/* Wilson score interval for a proportion successes/n: unlike the textbook
 * p ± z·sqrt(p(1−p)/n) it stays inside [0, 1] and does not collapse to a
 * point at 0/n or n/n, which is exactly where reset cells live.
 * Returns 0; -1 (and NaN bounds) when n <= 0, successes is outside [0, n]
 * or z is not positive. */
int wilson_interval(int successes, int n, double z, double *lo, double *hi);

/* Fisher's exact test on the 2×2 table [[a, b], [c, d]] (e.g. passed/failed
 * in cell A, passed/failed in cell B): the two-sided p-value as R's
 * fisher.test computes it, the total probability of the tables with the same
 * margins that are no more probable than the observed one (relative
 * tolerance 1 + 1e-7). Works in log space, so counts of 100,000 per cell
 * are fine. NaN when a count is negative. */
double fisher_exact_two_sided(int a, int b, int c, int d);

/* Mann–Whitney U (Wilcoxon rank-sum) test of x against y. */
struct mann_whitney {
    int nx, ny;    /* samples used (NaN skipped) */
    double u;      /* U of x: pairs with x > y, ties counting one half */
    double effect; /* rank-biserial 2U/(nx·ny) − 1 in [−1, 1]; > 0: x tends larger */
    double p;      /* two-sided p-value */
};

/* Two-sided p-value by the normal approximation with tie and continuity
 * corrections, as R's wilcox.test(x, y, exact = FALSE, correct = TRUE).
 * NaN samples are skipped. When every sample is equal R gives NaN; here p
 * is 1, since there is no evidence of a shift.
 * Allocates scratch memory (nx + ny samples) and frees it before returning.
 * Returns 0; -1 (fields NaN) when either group has no samples, on bad
 * arguments or when the allocation fails. O((nx + ny) log(nx + ny)). */
int mann_whitney(const double *x, int nx, const double *y, int ny, struct mann_whitney *out);

/* mann_whitney()'s p alone; NaN where mann_whitney() returns -1.
 * Allocates, as mann_whitney() does. */
double mann_whitney_p(const double *x, int nx, const double *y, int ny);

/* Holm–Bonferroni: which of n hypotheses to reject keeping the family-wise
 * error rate at alpha. Comparing hundreds of cells at 0.05 each would flag
 * several by chance; Holm controls that and is uniformly more powerful than
 * plain Bonferroni. A NaN p-value (a test that could not be run) is never
 * rejected and does not count towards n.
 * Sets reject[i] to 1 or 0; returns the number rejected, or -1 on bad
 * arguments (n < 0, alpha outside (0, 1), NULL arrays) or when the scratch
 * allocation fails. Allocates an index array and frees it before returning. */
int holm_reject(const double *p, int n, double alpha, int *reject);

#endif
