/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab tune` end to end on the shipped lab: the sequence it promises
 * holds when `resetlab run` plays it 10,000 times, it beats esptool's
 * default where the physics allows, and bad input is one line. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-tune-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void drop_dir(void)
{
    remove_tree(dir);
}

TestSuite(tune, .init = make_dir, .fini = drop_dir, .timeout = 120);

static double number_after(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    cr_assert_not_null(p, "no '%s' in:\n%s", key, out);
    return strtod(p + strlen(key), NULL);
}

/* "…: 25.86 ms per reset (median)" on the line that starts with `line`. */
static double reset_ms(const char *out, const char *line)
{
    const char *p = strstr(out, line);
    cr_assert_not_null(p, "no '%s' in:\n%s", line, out);
    const char *end = strstr(p, " ms per reset (median)");
    cr_assert_not_null(end);
    const char *q = end;
    while (q > p && q[-1] != ' ')
        q--;
    return strtod(q, NULL);
}

/* The 10 kΩ/1 µF board on USB passthrough: esptool's classic reset fails
 * most of the time; tune's sequence, written as a scenario and run 10,000
 * times, passes at least as often as it promised. */
Test(tune, its_sequence_keeps_its_promise_over_10000_runs)
{
    char args[1024], out[16384], err[4096], path[160];
    snprintf(path, sizeof path, "%s/tuned-devkitc-vm.yaml", dir);
    snprintf(args, sizeof args, "tune --board devkitc --host vm-usb-passthrough --write %s", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "custom_reset_sequence = U0,1|W") != NULL, "one call per change: %s", out);
    double classic = number_after(out, "esptool-classic on the same board and host: ");
    cr_assert_lt(classic, 99.9, "esptool's classic reset does not make it: %s", out);
    cr_assert_geq(number_after(out, "  strap margin: min "), 1.0);

    /* the shipped scenarios plus the tuned one */
    char scen[160], cmd[700];
    snprintf(scen, sizeof scen, "%s/scenarios", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/scenarios/*.yaml %s && cp %s %s", scen,
             src_path("", (char[512]){0}, 512), scen, path, scen);
    cr_assert_eq(system(cmd), 0);
    snprintf(args, sizeof args,
             "run --scenarios %s --board devkitc --host vm-usb-passthrough --scenario tuned-devkitc-vm "
             "--iterations 10000 --out %s/run",
             scen, dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "%s", err);
    char summary[200];
    snprintf(summary, sizeof summary, "%s/run/summary.json", dir);
    char *json = slurp(summary, NULL);
    cr_assert_not_null(json);
    double runs = number_after(json, "\"runs\": "), passed = number_after(json, "\"passed\": ");
    cr_assert_eq(runs, 10000);
    cr_assert_geq(passed / runs, 0.999, "%g of 10000 passed", passed);
    free(json);
}

/* Every healthy board of the shipped lab on native Linux: a sequence
 * shorter than esptool's default with the margin asked for. A board whose
 * chip samples its straps under 1 ms after the release (no or a small
 * capacitor: nodemcu-nocap) releases it as IO0 goes low, so IO0 cannot be
 * low 1 ms before the chip samples it: 0 there. The NodeMCU ESP8266's 10 nF
 * crosses in 0.166 ms, but the ESP8266 latches 1 ms later (its
 * strap_sample_delay_ms): 1.166 ms, so 1 ms is asked of it too. */
Test(tune, every_healthy_board_gets_a_shorter_sequence_than_esptools)
{
    struct lab lab;
    load_shipped_lab(&lab);
    int tuned = 0;
    for (int i = 0; i < lab.n_boards; i++) {
        const struct board_profile *b = &lab.boards[i];
        if (b->fault[0] || strcmp(b->port, "sim") != 0)
            continue;
        int no_cap = b->circuit->kind == CIRCUIT_TRANSISTOR &&
                     rc_time_to_fraction(b->en_r_ohms * b->en_c_farads, b->chip->timing.vih_frac) +
                             b->chip->timing.sample_delay_ms * 1e-3 <
                         1e-3;
        char args[256], out[16384], err[2048];
        if (b->circuit->kind == CIRCUIT_USB_OTG) { /* its port leaves the bus: no sequence alone gets a SYNC back */
            snprintf(args, sizeof args, "tune --board %s --iterations 200", b->name);
            cr_expect_eq(run_cli(args, out, sizeof out, err, sizeof err), 1, "%s: %s%s", b->name, out, err);
            cr_expect(strstr(out, "no sequence met the target on this board and host"), "%s: %s", b->name, out);
            continue;
        }
        snprintf(args, sizeof args, "tune --board %s --iterations 4000 --min-margin-ms %s", b->name,
                 no_cap ? "0" : "1");
        cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s: %s%s", b->name, out, err);
        const char *ref = b->circuit->kind == CIRCUIT_USB_JTAG ? "esptool-usb-jtag on" : "esptool-classic on";
        double best = reset_ms(out, "best: "), esptool = reset_ms(out, ref);
        cr_assert_lt(best, esptool, "%s: %.2f ms against esptool's %.2f ms", b->name, best, esptool);
        if (b->circuit->kind == CIRCUIT_TRANSISTOR)
            cr_assert_geq(number_after(out, "  strap margin: min "), no_cap ? 0.0 : 1.0, "%s", b->name);
        if (no_cap) {
            snprintf(args, sizeof args, "tune --board %s --iterations 4000 --min-margin-ms 1", b->name);
            cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 1, "%s", out);
            cr_assert(strstr(out, "no sequence met the target") != NULL);
        }
        tuned++;
    }
    cr_assert_geq(tuned, 6);
    lab_free(&lab);
}

Test(tune, bad_input)
{
    expect_bad_input("tune", "which board?");
    expect_bad_input("tune --board nosuch", "no board 'nosuch'");
    expect_bad_input("tune --board devkitc --host nosuch", "no host profile 'nosuch'");
    expect_bad_input("tune --board devkitc --target 1.5", "--target needs a number from 0.5 to 0.99999, got '1.5'");
    expect_bad_input("tune --board devkitc --target abc", "--target needs a number");
    expect_bad_input("tune --board devkitc --min-margin-ms -1", "--min-margin-ms needs a number from 0 to 1000");
    expect_bad_input("tune --board devkitc --iterations 0", "--iterations");
    expect_bad_input("tune --board devkitc --frob 1", "unknown option '--frob'");
    expect_bad_input("tune --board devkitc extra", "unexpected argument 'extra'");
    expect_bad_input("tune --board devkitc --iterations 100 --target 0.9 --write /nonexistent/dir/x.yaml",
                     "--write /nonexistent/dir/x.yaml: No such file or directory");
}
