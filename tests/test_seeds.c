/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The field failures the project exists for, reproduced by the shipped lab
 * (issue #2's acceptance figures), 1000 runs per cell. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "harness/run/run_matrix.h"
#include "helpers.h"

#define RUNS 1000

TestSuite(seeds, .init = suite_lab_setup, .fini = suite_lab_teardown);

static struct cell_stats cell(const char *board, const char *host, const char *scenario)
{
    struct cell_stats c;
    const struct board_profile *b = lab_board(&suite_lab, board);
    const struct host_profile *h = lab_host(&suite_lab, host);
    const struct scenario *s = lab_scenario(&suite_lab, scenario);
    cr_assert(b && h && s, "%s/%s/%s not in the shipped suite_lab", board, host, scenario);
    cr_assert_eq(run_cell(suite_world, b, h, s, RUNS, 1, &c, NULL), 0);
    cr_assert_eq(c.errors, 0, "%s/%s/%s: %d infrastructure errors", board, host, scenario, c.errors);
    cell_close(&c);
    return c;
}

static double pass_rate(const char *board, const char *host, const char *scenario)
{
    struct cell_stats c = cell(board, host, scenario);
    double r = (double)c.passed / c.runs;
    cell_free(&c);
    return r;
}

Test(seeds, classic_reset_passes_natively_and_with_serial_virtualization)
{
    cr_expect_geq(pass_rate("devkitc", "native-linux", "esptool-classic"), 0.99);
    cr_expect_geq(pass_rate("devkitc", "vm-serial-virtualized", "esptool-classic"), 0.99);
}

Test(seeds, classic_reset_fails_over_usb_passthrough_and_usbipd)
{
    cr_expect_leq(pass_rate("devkitc", "vm-usb-passthrough", "esptool-classic"), 0.50);
    cr_expect_leq(pass_rate("devkitc", "wsl-usbipd", "esptool-classic"), 0.50);
}

Test(seeds, tight_reset_passes_on_every_linux_host)
{
    for (int i = 0; i < suite_lab.n_hosts; i++)
        if (suite_lab.hosts[i].os == OS_LINUX && suite_lab.hosts[i].port == PORT_LOCAL &&
            suite_lab.hosts[i].net.bridge == NULL) /* socket:// to esp-link has no lines (docs/bridges.md) */
            cr_expect_geq(pass_rate("devkitc", suite_lab.hosts[i].name, "esptool-tight"), 0.99, "%s", suite_lab.hosts[i].name);
}

Test(seeds, windows_pyserial_close_resets_the_board_mpremote_does_not)
{
    struct cell_stats c = cell("devkitc", "native-windows", "pyserial-open-close");
    cr_expect_eq(c.passed, 0);
    const struct finding *f = cell_worst(&c);
    cr_assert(f != NULL);
    cr_expect_str_eq(f->kind, "spurious-reset");
    cell_free(&c);
    cr_expect_eq(pass_rate("devkitc", "native-windows", "mpremote-connect-close"), 1.0);
}

static double en_release_p50(const char *board)
{
    struct cell_stats c = cell(board, "native-linux", "esptool-classic");
    double p = c.en_release.p50;
    cell_free(&c);
    return p;
}

Test(seeds, en_release_matches_the_rc_calculation)
{
    double seed = en_release_p50("seed-12k-1u"), early = en_release_p50("devkitc-early");
    cr_expect(fabs(seed - 16.6) <= 0.1, "12 kΩ/1 µF: %.4f ms", seed);
    cr_expect(fabs(early - 1.39) <= 0.02, "10 kΩ/0.1 µF: %.4f ms", early);
}
