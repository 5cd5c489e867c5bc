/* SPDX-License-Identifier: GPL-3.0-or-later */
/* reports/stats against hand-computed and exactly computed reference values.
 *
 * Where the arithmetic is too long for a comment, the value comes from
 * Python with exact rationals (fractions, math.comb) or 40-digit mpmath,
 * never from the formulas under test in floating point; the scripts are
 * quoted beside the values. */
#include <criterion/criterion.h>
#include <math.h>

#include "reports/stats.h"
#include "helpers.h"

#define close_to(got, want, tol) cr_assert(fabs((got) - (want)) <= (tol), "got %.17g, want %.17g", (got), (want))
#define rel_close_to(got, want, rel) \
    cr_assert(fabs((got) - (want)) <= (rel) * fabs(want), "got %.17g, want %.17g", (got), (want))

/* ---- Wilson score interval ----
 *
 * centre = (p + z²/2n) / (1 + z²/n), half = z/(1 + z²/n) · sqrt(p(1−p)/n + z²/4n²),
 * z = 1.959963984540054, z² = 3.841458820694125. */

/* p = 0: centre = half = (z²/20)/(1 + z²/10) = 0.1387663999314446,
 * so lo = 0 and hi = z²/(n + z²) = 3.841458820694125/13.841458820694125. */
Test(stats, wilson_0_of_10)
{
    double lo, hi;
    cr_assert_eq(wilson_interval(0, 10, STATS_Z95, &lo, &hi), 0);
    cr_assert_eq(lo, 0.0);
    close_to(hi, 0.2775327998628892, 1e-12);
}

/* The mirror image of 0/10: lo = n/(n + z²) = 10/13.841458820694125, hi = 1. */
Test(stats, wilson_10_of_10)
{
    double lo, hi;
    cr_assert_eq(wilson_interval(10, 10, STATS_Z95, &lo, &hi), 0);
    close_to(lo, 0.7224672001371108, 1e-12);
    cr_assert_eq(hi, 1.0);
}

/* p = ½: centre = 0.5; half = z/1.3841458820694125 · sqrt(0.025 + 0.0096036470517353)
 * = 1.4159948 · 0.1860206 = 0.2634069094874360. */
Test(stats, wilson_5_of_10)
{
    double lo, hi;
    cr_assert_eq(wilson_interval(5, 10, STATS_Z95, &lo, &hi), 0);
    close_to(lo, 0.2365930905125640, 1e-12);
    close_to(hi, 0.7634069094874360, 1e-12);
}

/* p = 0.327, z²/n = 0.0038414588206941:
 * centre = (0.327 + 0.0019207294103471)/1.0038414588206941 = 0.3276620292180010,
 * half = z/1.0038414588206941 · sqrt(0.327·0.673/1000 + z²/4e6)
 *      = 1.9524637 · sqrt(0.000220071 + 0.00000096036) = 0.0290275188288646. */
Test(stats, wilson_327_of_1000)
{
    double lo, hi;
    cr_assert_eq(wilson_interval(327, 1000, STATS_Z95, &lo, &hi), 0);
    close_to(lo, 0.2986345103891364, 1e-12);
    close_to(hi, 0.3566895480468656, 1e-12);
}

Test(stats, wilson_bad_input_is_minus_1_and_nan)
{
    double lo = 0, hi = 0;
    cr_assert_eq(wilson_interval(0, 0, STATS_Z95, &lo, &hi), -1);
    cr_assert(isnan(lo) && isnan(hi));
    cr_assert_eq(wilson_interval(-1, 10, STATS_Z95, &lo, &hi), -1);
    cr_assert_eq(wilson_interval(11, 10, STATS_Z95, &lo, &hi), -1);
    cr_assert_eq(wilson_interval(5, -10, STATS_Z95, &lo, &hi), -1);
    cr_assert_eq(wilson_interval(5, 10, 0.0, &lo, &hi), -1);
    cr_assert_eq(wilson_interval(5, 10, NAN, &lo, &hi), -1);
}

/* ---- Fisher's exact test ----
 *
 * Table [[a,b],[c,d]], margins m = a+c, n = b+d, k = a+b; the table with x
 * in cell a has weight C(m,x)·C(n,k−x), out of C(m+n,k) in all. p = the
 * weights no larger than the observed one's, over the total. */

/* Fisher's lady tasting tea: m = n = k = 4, weights for x = 0…4 are
 * 1, 16, 36, 16, 1 (total 70); observed x = 3 weighs 16, so p = (1+16+16+1)/70. */
Test(stats, fisher_tea_tasting)
{
    close_to(fisher_exact_two_sided(3, 1, 1, 3), 34.0 / 70.0, 1e-12);
}

/* m = n = 12, k = 10, total C(24,10) = 1961256. Observed x = 1:
 * C(12,1)·C(12,9) = 12·220 = 2640. As small or smaller: x = 0 and 10 (66 each),
 * x = 1 and 9 (2640 each); x = 2 is 66·495 = 32670. p = 5412/1961256 = 41/14858
 * = 0.002759456185220083 (R's fisher.test: 0.002759456). */
Test(stats, fisher_textbook_1_9_11_3)
{
    rel_close_to(fisher_exact_two_sided(1, 9, 11, 3), 41.0 / 14858.0, 1e-9);
}

/* m = n = k = 10, weights C(10,x)²: only x = 0 and x = 10 weigh 1, so
 * p = 2/C(20,10) = 2/184756 = 1.082508822446903e-05. */
Test(stats, fisher_zeros)
{
    rel_close_to(fisher_exact_two_sided(0, 10, 10, 0), 2.0 / 184756.0, 1e-9);
}

/* No failures anywhere: n = 0 leaves a single table with these margins. */
Test(stats, fisher_identical_cells_is_1)
{
    cr_assert_eq(fisher_exact_two_sided(200, 0, 200, 0), 1.0);
    cr_assert_eq(fisher_exact_two_sided(0, 0, 0, 0), 1.0);
}

/* m = n = 10, k = 9: weights C(10,x)·C(10,9−x) are 10, 450, 5400, 25200, 52920,
 * then the same mirrored (total 167960). The observed x = 7 weighs 5400, exactly
 * as much as x = 2, which exercises the tie tolerance: p = 2·(10+450+5400)/167960
 * = 293/4199. Swapping rows, columns or transposing changes nothing. */
Test(stats, fisher_exact_ties_and_symmetry)
{
    double want = 293.0 / 4199.0;
    rel_close_to(fisher_exact_two_sided(7, 2, 3, 8), want, 1e-9);
    rel_close_to(fisher_exact_two_sided(2, 7, 8, 3), want, 1e-9);
    rel_close_to(fisher_exact_two_sided(3, 8, 7, 2), want, 1e-9);
    rel_close_to(fisher_exact_two_sided(7, 3, 2, 8), want, 1e-9);
}

/* Exact rationals:
 *   from fractions import Fraction as F; from math import comb
 *   def fisher(a, b, c, d):
 *       m, n, k = a + c, b + d, a + b
 *       w = [comb(m, x) * comb(n, k - x) for x in range(max(0, k - n), min(k, m) + 1)]
 *       obs = comb(m, a) * comb(n, k - a)
 *       return F(sum(v for v in w if v <= obs), sum(w))
 *   fisher(500, 500, 510, 490)  -> 0.68731738350711120799…
 *   fisher(654, 346, 1000, 0)   -> 2.3007287038409349339…e-120
 * (no table lies within R's 1e-7 of the observed one without equalling it). */
Test(stats, fisher_large_tables)
{
    rel_close_to(fisher_exact_two_sided(500, 500, 510, 490), 0.6873173835071112, 1e-8);
    double tiny = fisher_exact_two_sided(654, 346, 1000, 0);
    cr_assert(!isnan(tiny));
    rel_close_to(tiny, 2.300728703840935e-120, 1e-6);
}

/* 100,000-run cells, too big for exact rationals in a test's lifetime. The
 * reference avoids lgamma: weights relative to the observed table by the
 * exact ratio w(x+1)/w(x) = (m−x)(k−x)/((x+1)(n−k+x+1)), in 40-digit mpmath,
 * over the whole support, p = Σ[w ≤ 1 + 1e-7] / Σw:
 *   (50000, 50000, 50500, 49500) -> 0.0256395966249631
 *   (100000, 0, 99990, 10)       -> 0.00195268557543929
 * The same script reproduces the exact values of fisher_large_tables. */
Test(stats, fisher_100k_per_cell)
{
    rel_close_to(fisher_exact_two_sided(50000, 50000, 50500, 49500), 0.0256395966249631, 1e-6);
    rel_close_to(fisher_exact_two_sided(100000, 0, 99990, 10), 0.00195268557543929, 1e-6);
}

/* 2/C(200000,100000) ≈ 10^−60204: underflows to 0, but never NaN or inf. */
Test(stats, fisher_extreme_table_underflows_to_zero)
{
    double p = fisher_exact_two_sided(100000, 0, 0, 100000);
    cr_assert(p >= 0.0 && p < 1e-300, "got %g", p);
}

Test(stats, fisher_negative_count_is_nan)
{
    cr_assert(isnan(fisher_exact_two_sided(-1, 2, 3, 4)));
    cr_assert(isnan(fisher_exact_two_sided(1, 2, 3, -4)));
}

/* ---- Mann–Whitney U ----
 *
 * U = R_x − nx(nx+1)/2; z = (U − nx·ny/2 ∓ ½) / σ,
 * σ² = nx·ny/12 · ((N+1) − Σ(t³−t)/(N(N−1))), N = nx + ny; p = erfc(|z|/√2). */

/* Ranks of 1…8, 10 are 1…9; x holds ranks 1, 3, 5, 7: R_x = 16, U = 16 − 10 = 6
 * (pairs x > y: 3>2, 5>2, 5>4, 7>2, 7>4, 7>6). σ² = 20/12·10 = 16.667,
 * z = (6 − 10 + ½)/4.0825 = −0.857321, p = 0.3912672792826393 (erfc in mpmath). */
static const double mw_x[] = {1, 3, 5, 7}, mw_y[] = {2, 4, 6, 8, 10};

Test(stats, mann_whitney_no_ties)
{
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(mw_x, 4, mw_y, 5, &r), 0);
    cr_assert_eq(r.nx, 4);
    cr_assert_eq(r.ny, 5);
    close_to(r.u, 6.0, 1e-12);
    close_to(r.effect, 2 * 6.0 / 20 - 1, 1e-12); /* −0.4: x tends smaller */
    close_to(r.p, 0.3912672792826393, 1e-12);
    close_to(mann_whitney_p(mw_x, 4, mw_y, 5), 0.3912672792826393, 1e-12);
    assert_no_leaks("mann_whitney");
}

/* Sorted: 1x 2x 2x 2y 3x 3y 3y 4y 5y. The 2s share ranks 2–4 (3 each), the
 * 3s ranks 5–7 (6 each): R_x = 1 + 3 + 3 + 6 = 13, U = 13 − 10 = 3.
 * Ties: two groups of 3, Σ(t³−t) = 48; σ² = 20/12 · (10 − 48/72) = 15.5556,
 * z = (3 − 10 + ½)/3.94405 = −1.648051, p = 0.09934224785346527. */
Test(stats, mann_whitney_ties)
{
    static const double x[] = {1, 2, 2, 3}, y[] = {2, 3, 3, 4, 5};
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(x, 4, y, 5, &r), 0);
    close_to(r.u, 3.0, 1e-12);
    close_to(r.p, 0.09934224785346527, 1e-12);
}

/* Every x above every y: U = 25, effect 1. σ² = 25/12·11 = 22.9167,
 * z = (25 − 12.5 − ½)/4.78714 = 2.506718, p = 0.01218578035534481. */
Test(stats, mann_whitney_separated)
{
    static const double x[] = {10, 11, 12, 13, 14}, y[] = {1, 2, 3, 4, 5};
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(x, 5, y, 5, &r), 0);
    close_to(r.u, 25.0, 1e-12);
    close_to(r.effect, 1.0, 1e-12);
    close_to(r.p, 0.01218578035534481, 1e-12);
}

/* Same samples: U = nx·ny/2 = 4.5, z = 0, p = 1. All samples equal: σ = 0,
 * where R gives NaN; no shift, so p = 1. */
Test(stats, mann_whitney_identical_groups_is_1)
{
    static const double a[] = {1, 2, 3}, same[] = {2, 2, 2};
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(a, 3, a, 3, &r), 0);
    close_to(r.u, 4.5, 1e-12);
    cr_assert_eq(r.p, 1.0);
    cr_assert_eq(mann_whitney_p(same, 3, same, 2), 1.0);
}

/* The NaNs (margins that did not apply) are dropped: the no-ties example. */
Test(stats, mann_whitney_skips_nan)
{
    static const double x[] = {1, NAN, 3, 5, 7}, y[] = {NAN, 2, 4, 6, 8, 10, NAN};
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(x, 5, y, 7, &r), 0);
    cr_assert_eq(r.nx, 4);
    cr_assert_eq(r.ny, 5);
    close_to(r.p, 0.3912672792826393, 1e-12);
}

Test(stats, mann_whitney_empty_group_is_nan)
{
    static const double all_nan[] = {NAN, NAN};
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(mw_x, 4, mw_y, 0, &r), -1);
    cr_assert(isnan(r.p) && isnan(r.u) && isnan(r.effect));
    cr_assert(isnan(mann_whitney_p(mw_x, 0, mw_y, 5)));
    cr_assert(isnan(mann_whitney_p(all_nan, 2, mw_y, 5)));
    cr_assert(isnan(mann_whitney_p(mw_x, -1, mw_y, 5)));
    assert_no_leaks("mann_whitney on an all-NaN group");
}

/* x = 0, 1, …, n−1 and y = x + ½ interleave: x_i has rank 2i+1, R_x = n²,
 * U = n(n−1)/2, U − n²/2 = −n/2; no ties, σ² = n²(2n+1)/12, so
 * z = −((n−1)/2)/(n·sqrt((2n+1)/12)). For n = 200,000 (mpmath, 40 digits):
 * z = −0.002738595671219443, p = erfc(|z|/√2) = 0.9978149195269692.
 * nx·ny = 4e10 would overflow an int; the sort must keep it fast. */
#define MW_LARGE 200000
static double large_x[MW_LARGE], large_y[MW_LARGE];

Test(stats, mann_whitney_200k_per_group, .timeout = 10)
{
    for (int i = 0; i < MW_LARGE; i++) {
        large_x[i] = i;
        large_y[i] = i + 0.5;
    }
    struct mann_whitney r;
    cr_assert_eq(mann_whitney(large_x, MW_LARGE, large_y, MW_LARGE, &r), 0);
    close_to(r.u, (double)MW_LARGE * (MW_LARGE - 1) / 2, 0.0);
    close_to(r.p, 0.9978149195269692, 1e-12);
}

/* ---- Holm–Bonferroni ---- */

/* m = 4, alpha = 0.05: sorted 0.005 ≤ 0.05/4 = 0.0125, 0.015 ≤ 0.05/3 = 0.01667,
 * 0.02 ≤ 0.05/2 = 0.025, 0.04 ≤ 0.05/1: all four rejected, where plain
 * Bonferroni (each ≤ 0.0125) would reject only 0.005. */
Test(stats, holm_steps_down_past_bonferroni)
{
    static const double p[] = {0.015, 0.04, 0.02, 0.005};
    int reject[4];
    cr_assert_eq(holm_reject(p, 4, 0.05, reject), 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(reject[i], 1, "p[%d]", i);
    assert_no_leaks("holm_reject");
}

/* Sorted 0.005 ≤ 0.0125 and 0.01 ≤ 0.01667 are rejected; 0.03 > 0.025 stops
 * the procedure, so 0.04 is kept although it is below 0.05/1. */
Test(stats, holm_stops_at_first_failure)
{
    static const double p[] = {0.01, 0.04, 0.03, 0.005};
    int reject[4];
    cr_assert_eq(holm_reject(p, 4, 0.05, reject), 2);
    cr_assert_eq(reject[0], 1);
    cr_assert_eq(reject[1], 0);
    cr_assert_eq(reject[2], 0);
    cr_assert_eq(reject[3], 1);
}

/* A NaN is not a test: m = 2, so 0.02 ≤ 0.025 and 0.03 ≤ 0.05 both go (with
 * m = 3, 0.02 > 0.0167 would have rejected nothing). Tied p's go together. */
Test(stats, holm_nan_not_counted_and_ties)
{
    static const double p[] = {NAN, 0.02, 0.03}, tied[] = {0.02, 0.02};
    int reject[3];
    cr_assert_eq(holm_reject(p, 3, 0.05, reject), 2);
    cr_assert_eq(reject[0], 0);
    cr_assert_eq(reject[1], 1);
    cr_assert_eq(reject[2], 1);
    cr_assert_eq(holm_reject(tied, 2, 0.05, reject), 2);
}

/* 200 unchanged cells, p spread evenly over (0, 1): 10 are below 0.05 by
 * chance, but the smallest, 0.0025, is above 0.05/200 = 0.00025. */
Test(stats, holm_keeps_noise_across_many_cells)
{
    double p[200];
    int reject[200], uncorrected = 0;
    for (int i = 0; i < 200; i++) {
        p[i] = (i + 0.5) / 200;
        uncorrected += p[i] < 0.05;
    }
    cr_assert_eq(uncorrected, 10);
    cr_assert_eq(holm_reject(p, 200, 0.05, reject), 0);
}

Test(stats, holm_bad_input)
{
    static const double p[] = {0.01};
    int reject[1];
    cr_assert_eq(holm_reject(p, 0, 0.05, reject), 0);
    cr_assert_eq(holm_reject(p, -1, 0.05, reject), -1);
    cr_assert_eq(holm_reject(p, 1, 0.0, reject), -1);
    cr_assert_eq(holm_reject(p, 1, 1.0, reject), -1);
    cr_assert_eq(holm_reject(NULL, 1, 0.05, reject), -1);
    cr_assert_eq(holm_reject(p, 1, 0.05, NULL), -1);
}
