/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Strap window and signed margin, against hand-computed values. Window:
 * [t_chip − 0, t_chip + 1 ms] (ESP32: setup 0, hold 1 ms). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "trace_fixture.h"

static const struct chip_timing esp32 = {.vih_frac = 0.75, .setup_ms = 0, .hold_ms = 1, .min_reset_pulse_us = 50};

/* IO0 low from 10 to 60 ms; chip leaves reset at 20 ms: window [20, 21].
 * margin = min(20 − 10, 60 − 21) = 10 ms. */
Test(strap, io0_low_throughout_is_download_with_margin)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 10, CH_IO0, 0);
    fix_edge(&f, 60, CH_IO0, 1);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_DOWNLOAD, &m), BOOT_DOWNLOAD);
    cr_assert(fabs(m - 10.0) < 1e-9, "margin %f", m);
}

/* IO0 falls 0.5 ms into the window: marginal, margin −0.5 ms. */
Test(strap, io0_edge_inside_window_is_marginal_and_negative)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 20.5, CH_IO0, 0);
    fix_edge(&f, 60, CH_IO0, 1);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_DOWNLOAD, &m), BOOT_MARGINAL);
    cr_assert(fabs(m + 0.5) < 1e-9, "margin %f", m);
}

/* IO0 falls 5 ms after the chip sampled it: flash boot, download margin −5 ms. */
Test(strap, io0_too_late_is_flash_with_negative_margin)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 25, CH_IO0, 0);
    fix_edge(&f, 60, CH_IO0, 1);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_DOWNLOAD, &m), BOOT_FLASH);
    cr_assert(fabs(m + 5.0) < 1e-9, "margin %f", m);
}

/* Released too early: IO0 back high 0.4 ms before the hold ends. */
Test(strap, io0_released_inside_hold_is_marginal)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 5, CH_IO0, 0);
    fix_edge(&f, 20.6, CH_IO0, 1);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_DOWNLOAD, &m), BOOT_MARGINAL);
    cr_assert(fabs(m + 0.4) < 1e-9, "margin %f", m);
}

/* Flash target, IO0 high all along: bounded by the capture, min(20 − 0, 100 − 21). */
Test(strap, flash_margin_is_bounded_by_the_capture)
{
    struct fixture f;
    fix_init(&f, 100);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_FLASH, &m), BOOT_FLASH);
    cr_assert(fabs(m - 20.0) < 1e-9, "margin %f", m);
}

/* Sweeping the IO0 falling edge: the margin is 20 − t_fall, continuous, and
 * its sign flips exactly where the mode stops being download. */
Test(strap, margin_is_continuous_and_flips_with_the_mode)
{
    for (double t_fall = 1.0; t_fall <= 30.0; t_fall += 0.25) {
        struct fixture f;
        fix_init(&f, 100);
        fix_edge(&f, t_fall, CH_IO0, 0);
        fix_edge(&f, 60, CH_IO0, 1);
        double m;
        enum boot_mode mode = strap_predict(&f.tr, 20e6, &esp32, BOOT_DOWNLOAD, &m);
        cr_assert(fabs(m - (20.0 - t_fall)) < 1e-6, "t_fall %.2f: margin %f", t_fall, m);
        cr_assert_eq(mode == BOOT_DOWNLOAD, m >= 0, "t_fall %.2f: mode %s margin %f", t_fall, boot_mode_name(mode), m);
    }
}

Test(strap, without_io0_there_is_no_prediction)
{
    struct fixture f;
    fix_init(&f, 100);
    f.tr.present &= ~(1u << CH_IO0);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_DOWNLOAD, &m), BOOT_NONE);
    cr_assert(isnan(m));
}

Test(strap, no_reset_target_has_no_margin)
{
    struct fixture f;
    fix_init(&f, 100);
    double m;
    cr_assert_eq(strap_predict(&f.tr, 20e6, &esp32, BOOT_NONE, &m), BOOT_FLASH);
    cr_assert(isnan(m));
}

/* The margin by its definition, over every interval of IO0 at `level`
 * (edges of other channels skipped): the reference the binary search of
 * strap.c must equal. */
static double margin_by_definition(const struct trace *tr, int level, double a, double b)
{
    double best = -INFINITY, start = 0.0;
    int cur = tr->initial[CH_IO0];
    for (size_t i = 0; i <= tr->n; i++) {
        if (i < tr->n && tr->edges[i].channel != CH_IO0)
            continue;
        double end = i == tr->n ? (double)tr->t_end_ns : (double)tr->edges[i].t_ns;
        if (cur == level)
            best = fmax(best, fmin(a - start, end - b));
        if (i < tr->n)
            cur = tr->edges[i].level, start = end;
    }
    return isinf(best) ? NAN : best / 1e6;
}

/* IO0 toggling at random among EN edges, the window anywhere: the same
 * margin and mode as the definition gives (2,000 cases, a fixed seed). */
Test(strap, the_binary_search_gives_the_margin_of_the_definition)
{
    unsigned seed = 12345;
    for (int trial = 0; trial < 2000; trial++) {
        struct fixture f;
        fix_init(&f, 100);
        int io0 = 1, en = 1;
        for (double t = 0.5; t < 99.0 && f.tr.n < FIX_MAX; t += 0.1 + (double)(rand_r(&seed) % 100) / 10.0) {
            if (rand_r(&seed) % 2)
                fix_edge(&f, t, CH_IO0, io0 = !io0);
            else
                fix_edge(&f, t, CH_EN, en = !en);
        }
        double t_chip = (double)(rand_r(&seed) % 100000) * 1e3, m;
        enum boot_mode target = rand_r(&seed) % 2 ? BOOT_DOWNLOAD : BOOT_FLASH;
        enum boot_mode mode = strap_predict(&f.tr, t_chip, &esp32, target, &m);
        double want = margin_by_definition(&f.tr, target == BOOT_FLASH, t_chip, t_chip + 1e6);
        cr_assert((isnan(m) && isnan(want)) || fabs(m - want) < 1e-9, "trial %d: margin %f, by definition %f", trial,
                  m, want);
        int inside = 0, at_a = f.tr.initial[CH_IO0];
        for (size_t i = 0; i < f.tr.n; i++)
            if (f.tr.edges[i].channel == CH_IO0) {
                inside |= (double)f.tr.edges[i].t_ns > t_chip && (double)f.tr.edges[i].t_ns <= t_chip + 1e6;
                if ((double)f.tr.edges[i].t_ns <= t_chip)
                    at_a = f.tr.edges[i].level;
            }
        cr_assert_eq(mode, inside ? BOOT_MARGINAL : at_a ? BOOT_FLASH : BOOT_DOWNLOAD, "trial %d", trial);
    }
}
