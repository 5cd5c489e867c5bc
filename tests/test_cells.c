/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell's statistics (reports/results.c): its runs counted, its samples
 * held while it is open and turned into exact spreads when it closes, so a
 * matrix or a report holds one cell's samples at a time. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "reports/results.h"
#include "helpers.h"

static struct analysis judged(enum verdict v, double margin_ms, double gap_ms, double en_release_ms)
{
    struct analysis a = {.verdict = v, .outcome = BOOT_DOWNLOAD, .margin_ms = margin_ms, .gap_ms = gap_ms,
                         .en_release_ms = en_release_ms, .tau_ms = NAN};
    return a;
}

/* Hand-computed nearest ranks (rank = ceil(p·n), at least 1) of 1..20:
 * p5 rank 1, p50 rank 10, p95 rank 19, p99 rank 20. */
Test(cells, spread_of_one_to_twenty_by_hand)
{
    double x[20];
    for (int i = 0; i < 20; i++)
        x[i] = 20 - i; /* descending: spread_of sorts */
    struct spread s = spread_of(x, 20);
    cr_expect_eq(s.n, 20);
    cr_expect_eq(s.min, 1);
    cr_expect_eq(s.p5, 1);
    cr_expect_eq(s.p50, 10);
    cr_expect_eq(s.p95, 19);
    cr_expect_eq(s.p99, 20);
    cr_expect_eq(s.max, 20);
}

Test(cells, spread_of_nothing_is_nan)
{
    struct spread s = spread_of(NULL, 0);
    cr_expect_eq(s.n, 0);
    cr_expect(isnan(s.min) && isnan(s.p5) && isnan(s.p50) && isnan(s.p95) && isnan(s.p99) && isnan(s.max));
}

/* The spreads are percentile()'s figures, sample for sample, on 10,007
 * shuffled values with ties, whatever the cell expected. */
Test(cells, closing_gives_percentile_figures_and_frees_the_samples)
{
    struct cell_stats c;
    cr_assert_eq(cell_init(&c, "b", "h", "s", BOOT_DOWNLOAD, 16), 0);
    cr_expect_null(c.samples, "a cell allocates nothing before its first run");
    enum { N = 10007 };
    static double margin[N], gap[N];
    int n_gap = 0;
    srand(7);
    for (int i = 0; i < N; i++) {
        margin[i] = (double)(rand() % 500) / 8 - 20; /* ties */
        double g = i % 3 == 0 ? NAN : (double)(rand() % 100000) / 1000;
        if (!isnan(g))
            gap[n_gap++] = g;
        struct analysis a = judged(VERDICT_PASS, margin[i], g, 13.863);
        cr_assert_eq(cell_add(&c, &a), 0);
    }
    /* an error's figures are not samples */
    struct analysis error = judged(VERDICT_ERROR, -99, 99, 99);
    cr_assert_eq(cell_add(&c, &error), 0);
    cr_assert_not_null(c.samples);
    cr_expect_eq(c.samples->n_margin, N, "samples past the 16 expected are kept, not dropped");
    cell_close(&c);
    cr_expect_null(c.samples, "closed: the samples are freed");
    cr_expect_eq(c.runs, N + 1);
    cr_expect_eq(c.errors, 1);
    cr_expect_eq(c.margin.n, N);
    cr_expect_eq(c.gap.n, n_gap);
    const double p[] = {0, 0.05, 0.5, 0.95, 0.99, 1};
    const double got_margin[] = {c.margin.min, c.margin.p5, c.margin.p50, c.margin.p95, c.margin.p99, c.margin.max};
    const double got_gap[] = {c.gap.min, c.gap.p5, c.gap.p50, c.gap.p95, c.gap.p99, c.gap.max};
    for (int k = 0; k < 6; k++) {
        cr_expect_eq(got_margin[k], percentile(margin, N, p[k]), "margin p%g", 100 * p[k]);
        cr_expect_eq(got_gap[k], percentile(gap, n_gap, p[k]), "gap p%g", 100 * p[k]);
    }
    cr_expect_eq(c.en_release.p50, 13.863);
    cell_free(&c);
}

/* A closed cell takes no more runs (its spreads would be stale); closing
 * twice changes nothing. */
Test(cells, a_closed_cell_takes_no_runs)
{
    struct cell_stats c;
    cell_init(&c, "b", "h", "s", BOOT_DOWNLOAD, 1);
    struct analysis a = judged(VERDICT_FAIL, -1.5, 30, 13.9);
    cr_assert_eq(cell_add(&c, &a), 0);
    cell_close(&c);
    cr_expect_eq(c.margin.min, -1.5);
    cr_expect_neq(cell_add(&c, &a), 0);
    cell_close(&c);
    cr_expect_eq(c.runs, 1);
    cr_expect_eq(c.failed, 1);
    cr_expect_eq(c.margin.n, 1);
    cr_expect_eq(c.margin.min, -1.5);
    cell_free(&c);
}

/* A cell without runs closes to counts of 0 and NaN figures. */
Test(cells, an_empty_cell_closes_to_nan)
{
    struct cell_stats c;
    cell_init(&c, "b", "h", "s", BOOT_FLASH, 10);
    cell_close(&c);
    cr_expect_eq(c.runs, 0);
    cr_expect(isnan(c.margin.p50) && isnan(c.gap.p99) && isnan(c.en_release.p50));
    cell_free(&c);
}

/* The worst finding is worded by the worst run (the failing run with the
 * lowest margin, the report's worst-run diagram), not by the first run
 * that failed: -18.9 first, -60.2 later, -30.0 last keep -60.2's words;
 * the kind is counted three times. */
Test(cells, the_worst_finding_quotes_the_worst_run)
{
    struct cell_stats c;
    cr_assert_eq(cell_init(&c, "b", "h", "s", BOOT_DOWNLOAD, 16), 0);
    const double margins[] = {-18.932, -60.168, -30.0};
    for (int i = 0; i < 3; i++) {
        struct analysis a = judged(VERDICT_FAIL, margins[i], 10, 13.863);
        a.n_findings = 1;
        a.findings[0] = (struct finding){.kind = "gap-outlasted-en", .severity = SEV_ERROR};
        snprintf(a.findings[0].message, sizeof a.findings[0].message, "margin %.3f ms", margins[i]);
        cr_assert_eq(cell_add(&c, &a), 0);
    }
    const struct finding *w = cell_worst(&c);
    cr_assert_not_null(w);
    cr_expect_str_eq(w->message, "margin -60.168 ms");
    cr_expect_eq(c.kind_count[0], 3);
    cell_close(&c);
    cell_free(&c);
}
