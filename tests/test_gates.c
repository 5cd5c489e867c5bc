/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gates (issue 22, items 1 and 2): a tolerance judged on the Wilson lower
 * bound, the known-failures file (still failing: known; passing: fixed;
 * neither met nor known: exit 1), its bad input, and a change in physics
 * that moves a cell naming it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_known.h"
#include "helpers.h"
#include "reports/results.h"

/* Each test its own folder: Criterion runs them side by side. */
#define OUT(t) "/tmp/resetlab-gates-" t

static struct cell_stats cell(int passed, int failed, int errors)
{
    struct cell_stats c;
    cell_init(&c, "b", "h", "s", BOOT_DOWNLOAD, 1);
    c.passed = passed;
    c.failed = failed;
    c.errors = errors;
    c.runs = passed + failed + errors;
    return c;
}

/* 195 of 200: the 95 % Wilson lower bound is 0.9428 (by hand: centre
 * (p + z²/2n)/(1 + z²/n) = 0.96607, half-width 0.02323), so 0.94 is met
 * and 0.95 is not; 199 of 200 is below "every run", the default. */
Test(gates, tolerance_is_judged_on_the_wilson_lower_bound)
{
    struct cell_stats c = cell(195, 5, 0);
    cr_expect(!cell_met(&c), "every run is the default");
    c.gate.min_rate = 0.94;
    cr_expect(cell_met(&c));
    c.gate.min_rate = 0.95;
    cr_expect(!cell_met(&c));
    struct cell_stats d = cell(199, 1, 0);
    cr_expect_eq(cell_gate_state(&d), GATE_FAILED);
    cr_expect(fabs(known_z_of(0.95) - 1.959964) < 1e-5, "z(0.95) = %f", known_z_of(0.95));
    cr_expect(fabs(known_z_of(0.99) - 2.575829) < 1e-5, "z(0.99) = %f", known_z_of(0.99));
}

/* Infrastructure errors and no failing verdict: error (exit 3); a failing
 * verdict beside errors is still a regression (exit 1). */
Test(gates, states_and_exit_statuses)
{
    struct cell_stats c[4] = {cell(10, 0, 0), cell(0, 0, 10), cell(9, 0, 1), cell(5, 4, 1)};
    cr_expect_eq(cell_gate_state(&c[0]), GATE_MET);
    cr_expect_eq(cell_gate_state(&c[1]), GATE_ERROR);
    cr_expect_eq(cell_gate_state(&c[2]), GATE_ERROR);
    cr_expect_eq(cell_gate_state(&c[3]), GATE_FAILED);
    struct gate_counts g = gate_count(c, 3);
    cr_expect_eq(gate_exit_status(&g), 3);
    g = gate_count(c, 4);
    cr_expect_eq(gate_exit_status(&g), 1);
    c[3].gate.known_reason = "r";
    cr_expect_eq(cell_gate_state(&c[3]), GATE_KNOWN);
    c[0].gate.known_reason = "r";
    cr_expect_eq(cell_gate_state(&c[0]), GATE_FIXED);
    g = gate_count(c, 1);
    cr_expect_eq(gate_exit_status(&g), 0);
}

static const char *gates_file(const char *text, char *buf, size_t len)
{
    return write_temp(text, ".yaml", buf, len);
}

/* devkitc-early on vm-usb-passthrough fails esptool-3 (0 %) and passes
 * the other three cells. */
#define SMALL(t) "run --board devkitc-early --host vm-usb-passthrough --host native-linux " \
              "--scenario esptool-3 --scenario esptool-4 --iterations 20 --out " OUT(t)

Test(gates, known_failure_still_failing_is_known_and_a_passing_one_is_fixed)
{
    char path[256], args[1024];
    static char out[1 << 16], err[1 << 14];
    gates_file("known:\n"
               "  - {board: devkitc-early, host: vm-usb-passthrough, scenario: esptool-3,\n"
               "     reason: \"USB passthrough\", link: \"https://github.com/dorssel/usbipd-win/issues/469\"}\n"
               "  - {board: devkitc-early, host: native-linux, scenario: esptool-4, reason: \"was flaky\"}\n",
               path, sizeof path);
    snprintf(args, sizeof args, SMALL("known") " --known %s", path);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 0, "exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "  0.0%k") != NULL, "%s", out);
    cr_expect(strstr(out, "100.0%+") != NULL, "%s", out);
    cr_expect(strstr(out, "    1  USB passthrough (https://github.com/dorssel/usbipd-win/issues/469)") != NULL, "%s", out);
    cr_expect(strstr(out, "fixed, remove from known:\n  devkitc-early / native-linux / esptool-4 (") != NULL, "%s", out);
    cr_expect(strstr(out, "(80 runs); 1 known failures, 1 fixed, 0 regressions, 0 errors") != NULL, "%s", out);
    char *junit = slurp(OUT("known") "/junit.xml", NULL), *summary = slurp(OUT("known") "/summary.json", NULL);
    cr_assert(junit && summary);
    cr_expect(strstr(junit, "<skipped message=\"known: USB passthrough\"/>") != NULL, "%s", junit);
    cr_expect(strstr(junit, "gate=fixed, remove from known") != NULL);
    cr_expect(strstr(summary, "\"cells_known\": 1, \"cells_fixed\": 1, \"cells_failed\": 0, \"cells_error\": 0, "
                              "\"exit_status\": 0") != NULL, "%s", summary);
    cr_expect(strstr(summary, "\"gate\": \"known\", \"known\": {\"reason\": \"USB passthrough\", \"link\": "
                              "\"https://github.com/dorssel/usbipd-win/issues/469\"") != NULL);
    char *page = slurp(OUT("known") "/index.html", NULL);
    cr_assert(page);
    cr_expect(strstr(page, "; known failure: USB passthrough\">") != NULL, "the report's matrix: no known cell");
    cr_expect(strstr(page, "<span class=\"ci\">known</span>") && strstr(page, "<span class=\"ci\">fixed</span>"));
    free(page);
    /* `resetlab report` finds the session's gates again from its options */
    rc = run_cli("report --db " OUT("known") "/results.db --report " OUT("known") "/again", out, sizeof out, err,
                 sizeof err);
    cr_expect_eq(rc, 0, "%s", err);
    page = slurp(OUT("known") "/again/index.html", NULL);
    cr_expect(page && strstr(page, "; known failure: USB passthrough\">"), "report: no known cell");
    free(page);
    free(junit);
    free(summary);
    /* without the file the same cells fail the job */
    rc = run_cli(SMALL("known") " --no-known", out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 1, "exit %d", rc);
    cr_expect(strstr(out, "devkitc-early / vm-usb-passthrough / esptool-3: connected 0 of 20") != NULL, "%s", out);
}

Test(gates, a_pattern_that_matches_nothing_is_one_warning)
{
    char path[256], args[1024];
    static char out[1 << 16], err[1 << 14];
    gates_file("known:\n"
               "  - {board: devkitc-early, host: vm-usb-*, scenario: esptool-3, reason: \"USB passthrough\"}\n"
               "  - {board: devkit, reason: \"a typo\"}\n",
               path, sizeof path);
    snprintf(args, sizeof args, SMALL("warn") " --quiet --known %s", path);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    char want[400];
    snprintf(want, sizeof want, "resetlab: run: warning: %s:3: board pattern 'devkit' matches no board of the lab\n", path);
    cr_expect_str_eq(err, want);
    /* --quiet: no failing row, so the summary line alone */
    cr_expect_str_eq(out, "3 of 4 cells met their expectation (80 runs); 1 known failures, 0 fixed, 0 regressions, 0 errors\n");
}

Test(gates, a_malformed_file_is_one_error_line)
{
    char path[256], args[600];
    static const char *const bad[][2] = {
        {"known:\n  - {board: devkitc}\n", ":2: known[0]: missing key 'reason'"},
        {"known:\n  - {board: [], reason: x}\n", "known[0].board: an empty list matches nothing"},
        {"known: [\n", "did not find expected node content"},
        {"knwon: []\n", "knwon"},
        {"known:\n  - {reason: x, link: ftp://a}\n", "expected an http:// or https:// address"},
        {"tolerance: {min_rate: 1.5}\n", "min_rate"},
        {"tolerance: {min_rate: 0.9, confidence: 0.2}\n", "confidence"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gates_file(bad[i][0], path, sizeof path);
        snprintf(args, sizeof args, "run --board devkitc --iterations 1 --out " OUT("bad") " --known %s", path);
        expect_bad_input(args, bad[i][1]);
    }
    expect_bad_input("run --known /nonexistent/known.yaml --out " OUT("bad"), "/nonexistent/known.yaml");
}

/* A tolerance lets 17 of 20 pass: devkitc-early on native-linux meets
 * esptool-classic at min_rate 0.5 but not at every run. */
Test(gates, a_tolerance_per_cell_from_the_file)
{
    char path[256], args[1024];
    static char out[1 << 16], err[1 << 14];
    gates_file("tolerances:\n  - {board: devkitc-early, scenario: esptool-classic, min_rate: 0.5, confidence: 0.9}\n"
               "known: []\n",
               path, sizeof path);
    snprintf(args, sizeof args,
             "run --board devkitc-early --host native-linux --scenario esptool-classic --iterations 20 --out " OUT("tol")
             " --known %s",
             path);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 0, "exit %d: %s%s", rc, out, err);
    char *summary = slurp(OUT("tol") "/summary.json", NULL);
    cr_assert(summary);
    cr_expect(strstr(summary, "\"gate\": \"met\", \"min_rate\": 0.5000, \"confidence\": 0.9000") != NULL, "%s", summary);
    free(summary);
    rc = run_cli("run --board devkitc-early --host native-linux --scenario esptool-classic --iterations 20 --no-known "
                 "--out " OUT("tol"), out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 1);
}

/* The done-when of issue 22: a copy of boards.yaml with one host's median
 * latency changed (native-linux 1 ms → 18 ms, vm-usb-passthrough's) exits
 * 1 naming the cells that moved; the unchanged copy exits 0 with the
 * shipped known failures. */
Test(gates, a_change_in_physics_moves_cells_and_names_them, .timeout = 60)
{
    char *lab = slurp(RESETLAB_SOURCE_DIR "/boards.yaml", NULL);
    cr_assert(lab);
    char path[256], args[1024];
    static char out[1 << 16], err[1 << 14];
    const char *small = "--board devkitc --board devkitc-early --host native-linux --scenario esptool-classic "
                        "--scenario esptool-4 --iterations 20 --out " OUT("phys");
    write_temp(lab, ".yaml", path, sizeof path);
    snprintf(args, sizeof args, "run --boards %s %s", path, small);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 0, "unchanged: exit %d: %s%s", rc, out, err);
    const char *from = "{floor_ms: 0.2, median_ms: 1.0, sigma: 0.5, spike_p: 0.001, spike_ms: 5}";
    char *at = strstr(lab, from);
    cr_assert(at, "native-linux's request line moved in boards.yaml");
    char *changed = malloc(strlen(lab) + 16);
    snprintf(changed, strlen(lab) + 16, "%.*s{floor_ms: 0.2, median_ms: 18, sigma: 0.5, spike_p: 0.001, spike_ms: 5}%s",
             (int)(at - lab), lab, at + strlen(from));
    write_temp(changed, ".yaml", path, sizeof path);
    snprintf(args, sizeof args, "run --boards %s %s", path, small);
    rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 1, "changed: exit %d: %s%s", rc, out, err);
    cr_expect(strstr(out, "\n  devkitc / native-linux / esptool-classic: ") != NULL, "%s", out);
    cr_expect(strstr(out, " 1 regressions, 0 errors\n") != NULL, "%s", out);
    free(changed);
    free(lab);
}
