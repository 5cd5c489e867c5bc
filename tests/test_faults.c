/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue #3's acceptance figures on the virtual lab: fault boards diagnosed,
 * healthy boards clean, τ recovered across three decades, margins signed
 * and continuous. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_dsl.h"
#include "harness/run/run_matrix.h"
#include "helpers.h"

static struct run_buffers rb;

TestSuite(faults, .init = suite_lab_setup, .fini = suite_lab_teardown);

static int cell_has_diagnosis(const struct cell_stats *c, const char *text)
{
    for (int i = 0; i < c->n_diag; i++)
        if (strstr(c->diag[i].message, text))
            return c->diag_count[i];
    return 0;
}

/* The diagnosis each fault board must get, on the classic reset (which
 * visits every line state) on a native host. */
Test(faults, each_fault_board_gets_its_diagnosis)
{
    static const struct {
        const char *board, *diagnosis;
    } cases[] = {
        {"devkitc-en-open", "EN never driven low while RTS asserted and DTR released: reset transistor open or RTS not wired"},
        {"devkitc-io0-shorted", "IO0 low while DTR released: IO0 transistor shorted"},
        {"devkitc-swapped", "DTR and RTS swapped"},
        {"devkitc-direct", "wrong circuit type (direct wiring?)"},
        {"devkitc-no-io0-pullup", "missing or weak pull-up on IO0"},
        {"devkitc-wrong-cap", "expected 1 µF ±20 %"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cell_stats c;
        cr_assert_eq(run_cell(suite_world, lab_board(&suite_lab, cases[i].board), lab_host(&suite_lab, "native-linux"),
                                 lab_scenario(&suite_lab, "esptool-classic"), 50, 1, &c, NULL), 0);
        int runs = cell_has_diagnosis(&c, cases[i].diagnosis);
        cr_expect_eq(runs, 50, "%s: '%s' in %d of 50 runs (first diagnosis: %s)", cases[i].board, cases[i].diagnosis,
                     runs, c.n_diag ? c.diag[0].message : "none");
        cr_expect_eq(c.n_diag, 1, "%s: %d distinct diagnoses", cases[i].board, c.n_diag);
        cell_free(&c);
    }
    struct cell_stats c;
    cr_assert_eq(run_cell(suite_world, lab_board(&suite_lab, "devkitc-wrong-cap"), lab_host(&suite_lab, "native-linux"),
                             lab_scenario(&suite_lab, "esptool-tight"), 5, 1, &c, NULL), 0);
    /* fitted on the noisy analog channel (10 mV): 0.1 µF within 5 % */
    const char *at = strstr(c.diag[0].message, "EN C ≈ ");
    cr_assert_not_null(at, "%s", c.diag[0].message);
    double uf = strtod(at + strlen("EN C ≈ "), NULL);
    cr_expect(fabs(uf - 0.1) < 0.005, "%s", c.diag[0].message);
    cell_free(&c);
}

Test(faults, healthy_boards_get_no_diagnosis_in_1000_runs_on_every_host)
{
    for (int b = 0; b < suite_lab.n_boards; b++)
        for (int h = 0; h < suite_lab.n_hosts; h++)
            for (int s = 0; s < suite_lab.n_scenarios; s++) {
                const struct board_profile *bp = &suite_lab.boards[b];
                if (bp->fault[0] || !scenario_applies(&suite_lab.scenarios[s], bp, &suite_lab.hosts[h]))
                    continue;
                struct cell_stats c;
                cr_assert_eq(run_cell(suite_world, bp, &suite_lab.hosts[h], &suite_lab.scenarios[s], 1000, 1, &c, NULL), 0);
                cr_expect_eq(c.n_diag, 0, "%s/%s/%s: %s (%d runs)", bp->name, suite_lab.hosts[h].name, suite_lab.scenarios[s].name,
                             c.n_diag ? c.diag[0].message : "", c.n_diag ? c.diag_count[0] : 0);
                cr_expect_eq(c.errors, 0);
                cell_free(&c);
            }
}

/* A board like the devkitc with EN C chosen for R·C from 0.1 to 100 ms,
 * read by the 1.5 V analyzer: τ within 2 %, the chip's release 1.386·R·C. */
Test(faults, tau_from_the_analyzer_edge_within_2_percent_from_0_1_to_100_ms)
{
    static const double rc_ms[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100};
    struct board_profile b = *lab_board(&suite_lab, "devkitc");
    struct host_profile h = *lab_host(&suite_lab, "native-linux");
    for (size_t i = 0; i < sizeof rc_ms / sizeof rc_ms[0]; i++) {
        b.en_c_farads = b.real.en_c_farads = rc_ms[i] / 1e3 / b.en_r_ohms;
        run_sim_once(suite_world, &b, &h, lab_scenario(&suite_lab, "esptool-tight"), 3, &rb);
        cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
        cr_assert_geq(rb.a.n_resets, 1);
        double tau = rb.a.resets[rb.a.n_resets - 1].tau_ms;
        cr_expect(fabs(tau / rc_ms[i] - 1.0) < 0.02, "R·C %g ms: τ %.5f ms", rc_ms[i], tau);
        cr_expect(fabs(rb.a.en_release_ms / (1.3863 * rc_ms[i]) - 1.0) < 0.02, "R·C %g ms: release %.5f ms", rc_ms[i],
                  rb.a.en_release_ms);
    }
    b.en_c_farads = b.real.en_c_farads = 1e-6;
    b.en_r_ohms = b.real.en_r_ohms = 12e3;
    run_sim_once(suite_world, &b, &h, lab_scenario(&suite_lab, "esptool-tight"), 3, &rb);
    cr_expect(fabs(rb.a.en_release_ms - 16.6) < 0.05, "12 kΩ/1 µF: %.4f ms", rb.a.en_release_ms);
}

/* The tight reset with its final wait swept from 1 to 60 ms on the
 * 10 kΩ/1 µF board (release 13.863 ms, hold 1 ms): IO0 falls with EN's
 * release and rises at wait + one request, so the margin is
 * min(13.863, wait + 1 − 14.863): continuous, and ≥ 0 exactly when the chip
 * boots into download mode. */
Test(faults, margin_moves_through_zero_where_the_boot_mode_flips)
{
    struct host_profile h = {.os = OS_LINUX, .request = {.floor_ms = 1, .median_ms = 1}};
    snprintf(h.name, sizeof h.name, "fixed-1ms");
    const struct board_profile *b = lab_board(&suite_lab, "devkitc");
    struct scenario s = *lab_scenario(&suite_lab, "esptool-tight");
    double previous = NAN;
    int flips = 0, was_download = -1;
    for (double w = 1.0; w <= 60.0; w += 0.25) {
        char seq[128], err[128];
        snprintf(seq, sizeof seq, "O|U0,0|U1,1|U0,1|W0.1|U1,0|W%.5f|U0,0|D0", w / 1e3);
        struct op_seq ops;
        cr_assert_eq(dsl_parse(seq, &ops, err, sizeof err), 0, "%s", err);
        s.seq[OS_LINUX] = ops;
        run_sim_once(suite_world, b, &h, &s, 1, &rb);
        op_seq_free(&ops);
        double m = rb.a.margin_ms;
        int download = rb.a.outcome == BOOT_DOWNLOAD;
        cr_expect(fabs(m - fmin(13.863, w + 1.0 - 14.863)) < 0.01, "wait %.2f ms: margin %.4f", w, m);
        cr_expect_eq(download, m >= 0, "wait %.2f ms: %s with margin %.4f", w, boot_mode_name(rb.a.outcome), m);
        if (!isnan(previous))
            cr_expect(m - previous >= -1e-9 && m - previous <= 0.25 + 0.01, "wait %.2f ms: margin jumped from %.4f to %.4f",
                      w, previous, m);
        flips += was_download >= 0 && was_download != download;
        was_download = download;
        previous = m;
    }
    cr_expect_eq(flips, 1, "the boot mode flipped %d times", flips);
}
