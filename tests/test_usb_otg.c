/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Native USB-OTG resets (docs/physics.md#usb-otg): the application's
 * TinyUSB CDC (arduino-esp32 USBCDC::_onLineState) restarts the chip into
 * download on (0,1) (1,1) (1,0) (0,0); its port leaves the bus 5 ms later
 * and is back 50 + 100 + 50 + 10 + 10 = 220 ms after the restart
 * (boards.yaml circuits.usb-otg-cdc); a handle held open dies with it; a
 * tool that reconnects during its reset (esptool >= 4.8) goes on, an older
 * one stops; the loader's refusals. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/usb_otg.h"
#include "harness/lab/lab_load.h"
#include "helpers.h"
#include "sim/lab.h"
#include "sim/world.h"

static char dir[] = "/tmp/resetlab-usb-otg-XXXXXX";
static char out[1 << 18], err[1 << 14];

static void make_dir(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    remove_tree(dir);
}

TestSuite(usb_otg, .init = make_dir, .fini = remove_dir);

static const char *put(const char *name, const char *text)
{
    return put_in_dir(dir, name, text);
}

/* A host whose every line request takes exactly 1 ms (so each packet has
 * an instant of its own in the trace) and whose waits are exact. */
#define IDEAL_HOST                                                                                        \
    "hosts:\n"                                                                                            \
    "  ideal:\n"                                                                                          \
    "    os: linux\n"                                                                                     \
    "    request: {floor_ms: 1, median_ms: 1, sigma: 0, spike_p: 0, spike_ms: 0}\n"                       \
    "    overshoot: {floor_ms: 0, median_ms: 0, sigma: 0, spike_p: 0, spike_ms: 0}\n"                     \
    "    split_both_lines: false\n"

#define OTG_BOARD(circuit)                                                                                \
    "boards:\n"                                                                                           \
    "  s2:\n"                                                                                             \
    "    chip: esp32s2\n"                                                                                 \
    "    bridge: esp-usb-otg\n"                                                                           \
    "    circuit: " circuit "\n"                                                                          \
    "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"                                       \
    "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n"                                                 \
    "    vdd: 3.3\n"                                                                                      \
    "    port: sim\n"                                                                                     \
    "    analyzer: sim-la\n"

static const struct circuit *shipped_otg(struct lab *lab)
{
    for (int i = 0; i < lab->n_circuits; i++)
        if (strcmp(lab->circuits[i].name, "usb-otg-cdc") == 0)
            return &lab->circuits[i];
    cr_assert_fail("no usb-otg-cdc circuit in the shipped lab");
    return NULL;
}

/* The pattern as arduino-esp32 walks it: esptool's ClassicReset reaches
 * the restart, its UnixTightReset (U1,0 right after U0,1) does not. */
Test(usb_otg, the_model_walks_the_applications_pattern)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct circuit *c = shipped_otg(&lab);
    cr_assert_eq(c->kind, CIRCUIT_USB_OTG);
    cr_assert_float_eq(c->otg.detach_ms, 5, 1e-12);
    cr_assert_float_eq(c->otg.reenumerate_ms, 50 + 100 + 50 + 10 + 10, 1e-12);
    enum boot_mode m = BOOT_NONE;
    /* ClassicReset after a Linux open (1,1): D0, R1 (and the DTR rewrite: repeats), D1, R0, D0 */
    static const int classic[][2] = {{1, 1}, {0, 1}, {0, 1}, {1, 1}, {1, 0}, {1, 0}, {0, 0}};
    struct usb_otg_state s = usb_otg_booted(BOOT_FLASH);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(usb_otg_packet(c, &s, classic[i][0], classic[i][1], &m), 0, "packet %d", i);
    cr_assert_eq(usb_otg_packet(c, &s, 0, 0, &m), 1, "(0,0) after (1,0) restarts it");
    cr_assert_eq(m, BOOT_DOWNLOAD);
    /* UnixTightReset: U0,0 U1,1 U0,1 U1,0 U0,0 */
    static const int tight[][2] = {{0, 0}, {1, 1}, {0, 1}, {1, 0}, {0, 0}};
    s = usb_otg_booted(BOOT_FLASH);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(usb_otg_packet(c, &s, tight[i][0], tight[i][1], &m), 0, "tight packet %d", i);
    /* the ROM's CDC after the restart: its action table, a reset a pulse */
    s = usb_otg_booted(BOOT_DOWNLOAD);
    cr_assert_eq(usb_otg_packet(c, &s, 1, 0, &m), 0, "sets the download flag");
    cr_assert_eq(usb_otg_packet(c, &s, 0, 1, &m), 1);
    cr_assert_eq(m, BOOT_DOWNLOAD);
    lab_free(&lab);
}

static struct host_profile ideal(void)
{
    struct host_profile h = {.os = OS_LINUX};
    snprintf(h.name, sizeof h.name, "ideal");
    return h;
}

/* esptool's ClassicReset on an ideal host: the last D0 at 150 ms restarts
 * the chip into download; the port is gone from 155 ms (5 ms) to 370 ms
 * (220 ms): the held handle fails as Linux and pyserial fail it, an open
 * fails until 370 ms, and the ROM's port answers SYNC after. */
Test(usb_otg, the_port_leaves_at_5_ms_and_is_back_at_220_ms)
{
    struct lab lab;
    char e[512] = "";
    const char *path = put("otg.yaml", "include: resetlab\n" OTG_BOARD("usb-otg-cdc"));
    cr_assert_eq(lab_load(&lab, path, e, sizeof e), 0, "%s", e);
    const struct board_profile *b = lab_board(&lab, "s2");
    struct host_profile h = ideal();
    struct sim_world *w = sim_world_new();
    sim_world_reset(w, b, &h, 1);
    cr_assert_eq(sim_open(w, 0), 0);
    cr_assert_eq(sim_set_lines(w, 0, -1), 0);
    cr_assert_eq(sim_set_lines(w, -1, 1), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    cr_assert_eq(sim_set_lines(w, 1, -1), 0);
    cr_assert_eq(sim_set_lines(w, -1, 0), 0);
    cr_assert_eq(sim_sleep(w, 0.05), 0);
    cr_assert_eq(sim_set_lines(w, 0, -1), 0, "the restart's packet itself goes through");
    cr_assert_eq(sim_now_ns(w), 150000000);
    cr_assert_eq(sim_sleep(w, 0.0049), 0);
    cr_assert_eq(sim_set_lines(w, 0, -1), 0, "154.9 ms: still on the bus");
    cr_assert_eq(sim_sleep(w, 0.0001), 0);
    cr_assert_eq(sim_set_lines(w, 1, -1), -1, "155 ms: gone");
    cr_assert(sim_port_lost(w));
    cr_assert_str_eq(sim_error(w), "[Errno 5] Input/output error");
    static const uint8_t byte = 0xC0;
    cr_assert_eq(sim_write(w, &byte, 1), -1);
    cr_assert_str_eq(sim_error(w), "write failed: [Errno 5] Input/output error");
    cr_assert_eq(sim_close(w), 0, "closing a dead handle works");
    cr_assert_eq(sim_sleep(w, 0.145), 0);
    cr_assert_eq(sim_open(w, 0), -1, "300 ms: not back");
    cr_assert(sim_port_lost(w));
    cr_assert(strstr(sim_error(w), "No such file or directory (off the bus for 70.0 ms more)") != NULL, "%s",
              sim_error(w));
    cr_assert_eq(sim_sleep(w, 0.070), 0);
    cr_assert_eq(sim_open(w, 0), 0, "370 ms: the ROM's port");
    cr_assert(!sim_port_lost(w));
    static struct edge edges[256];
    static uint8_t uart[4096];
    struct trace tr = {.edges = edges, .cap = 256};
    struct sim_truth truth;
    size_t n;
    cr_assert_eq(sim_finish(w, &tr, uart, sizeof uart, &n, &truth), 0);
    cr_assert_eq(truth.n_resets, 1);
    cr_assert_float_eq(truth.release_ns[0], 150e6, 1, "restarted at the last D0");
    cr_assert_eq(truth.mode[0], BOOT_DOWNLOAD);
    cr_assert_eq(n, 0, "the ROM prints on UART0 before its USB is up: nothing reached the host");
    sim_world_free(w);
    lab_free(&lab);
}

/* A held read dies when the port leaves: the read that started at 150 ms
 * with a 100 ms timeout ends at 155 ms. */
Test(usb_otg, a_read_in_progress_ends_when_the_port_leaves)
{
    struct lab lab;
    char e[512] = "";
    const char *path = put("otg-read.yaml", "include: resetlab\n" OTG_BOARD("usb-otg-cdc"));
    cr_assert_eq(lab_load(&lab, path, e, sizeof e), 0, "%s", e);
    struct host_profile h = ideal();
    struct sim_world *w = sim_world_new();
    sim_world_reset(w, lab_board(&lab, "s2"), &h, 1);
    cr_assert_eq(sim_open(w, 0), 0);
    static const int steps[][2] = {{0, -1}, {-1, 1}, {1, -1}, {-1, 0}, {0, -1}};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(sim_set_lines(w, steps[i][0], steps[i][1]), 0);
        if (i == 1 || i == 3)
            cr_assert_eq(sim_sleep(w, i == 1 ? 0.1 : 0.05), 0);
    }
    uint8_t buf[64];
    sim_read(w, buf, sizeof buf, 0.1, NULL, NULL);
    cr_assert(sim_port_lost(w));
    cr_assert_eq(sim_now_ns(w), 155000000, "ended at %lld ns", (long long)sim_now_ns(w));
    cr_assert(strstr(sim_error(w), "device reports readiness to read but returned no data") != NULL);
    sim_world_free(w);
    lab_free(&lab);
}

/* The line of runs.jsonl of `scenario`. */
static const char *run_line(const char *runs, const char *scenario)
{
    char key[96];
    snprintf(key, sizeof key, "\"scenario\": \"%s\"", scenario);
    const char *at = strstr(runs, key);
    cr_assert_not_null(at, "no run of %s", scenario);
    while (at > runs && at[-1] != '\n')
        at--;
    return at;
}

static char *run_lab(const char *lab, const char *name, const char *scenarios)
{
    char args[2048], outdir[600];
    snprintf(outdir, sizeof outdir, "%s/out-%s", dir, name);
    snprintf(args, sizeof args, "run --jsonl --boards %s --host ideal %s --iterations 1 --quiet --out %s", put(name, lab),
             scenarios, outdir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s%s", rc, out, err);
    char path[700];
    snprintf(path, sizeof path, "%s/runs.jsonl", outdir);
    char *runs = slurp(path, NULL);
    cr_assert_not_null(runs);
    return runs;
}

/* With arduino-esp32's CDC the restart comes at the end of ClassicReset
 * (esptool-4's third attempt, after two UnixTightResets that do nothing):
 * the port leaves during the SYNC, after the reset, where esptool's
 * reconnect does not reach: it stops with pyserial's words. */
Test(usb_otg, esptool_loses_the_port_during_the_sync, .timeout = 60)
{
    char *runs = run_lab("include: resetlab\n" IDEAL_HOST OTG_BOARD("usb-otg-cdc"), "arduino.yaml",
                         "--scenario esptool-4 --scenario esptool-classic");
    const char *l = run_line(runs, "esptool-4");
    cr_assert(strstr(l, "\"connected\": false, \"attempts\": 3, \"strategy\": \"ClassicReset 0.05\"") != NULL, "%s", l);
    cr_assert(strstr(l, "device reports readiness to read but returned no data (device disconnected or multiple "
                        "access on port?)") != NULL, "%s", l);
    /* the bare ClassicReset, 1 ms a request: open (1,1) at 1 ms, D0 (0,1) at 2, R1 and its DTR rewrite
     * (repeats) at 3 and 4, W0.1, D1 (1,1) at 105, R0 (1,0) at 106 and its rewrite at 107, W0.05, D0 (0,0)
     * at 158 ms: the restart; gone at 158 + 5, back at 158 + 220; its SYNC went at 158 ms */
    l = run_line(runs, "esptool-classic");
    cr_assert(strstr(l, "\"outcome\": \"download\"") != NULL, "%s", l);
    cr_assert(strstr(l, "USB-OTG: the chip restarted into download at 158.000 ms; its port left the bus at 163.000 ms "
                        "and came back, another device, at 378.000 ms") != NULL, "%s", l);
    cr_assert(strstr(l, "no SYNC reply came back: the probe went before its port was back") != NULL, "%s", l);
    free(runs);
}

/* A firmware whose restart falls inside the reset strategy (a test
 * circuit: (0,1) then (1,1); its ROM's CDC ignores the lines): esptool
 * >= 4.8 closes, waits 0.5 s and opens again (reset.py
 * ResetStrategy.__call__) and connects to the ROM's port; esptool 3.x
 * stops at the ioctl's OSError. */
Test(usb_otg, esptool_4_8_reconnects_an_older_one_fails, .timeout = 60)
{
    char *runs = run_lab("include: resetlab\n" IDEAL_HOST
                         "circuits:\n"
                         "  otg-early:\n"
                         "    driver_ohms: 10\n"
                         "    usb_otg: {pattern: [\"0,1\", \"1,1\"], detach_ms: 5, reenumerate: {boot_ms: 50, "
                         "debounce_ms: 100, reset_ms: 50, recovery_ms: 10, bind_ms: 10}}\n"
                         "    actions:\n"
                         "      - {dtr: 0, rts: 0, action: none}\n"
                         "      - {dtr: 0, rts: 1, action: none}\n"
                         "      - {dtr: 1, rts: 0, action: none}\n"
                         "      - {dtr: 1, rts: 1, action: none}\n" OTG_BOARD("otg-early"),
                         "early.yaml", "--scenario esptool-4 --scenario esptool-3");
    const char *l = run_line(runs, "esptool-4");
    cr_assert(strstr(l, "\"verdict\": \"pass\"") != NULL, "%s", l);
    cr_assert(strstr(l, "\"connected\": true, \"attempts\": 3") != NULL, "%s", l);
    l = run_line(runs, "esptool-3");
    cr_assert(strstr(l, "\"connected\": false, \"attempts\": 1") != NULL, "%s", l);
    cr_assert(strstr(l, "[Errno 5] Input/output error") != NULL, "%s", l);
    /* esptool 3, 1 ms a request: open (1,1) at 1 ms; D0 (0,1) at 2; R1 and its rewrite at 3, 4; W0.1; D1
     * (1,1) at 105 ms restarts it; gone at 110, back at 325; R0 at 106 and its rewrite at 107 still pass;
     * W0.05; the last D0 completes at 158 ms, after the port left: OSError inside the reset */
    cr_assert(strstr(l, "restarted into download at 105.000 ms; its port left the bus at 110.000 ms and came back, "
                        "another device, at 325.000 ms") != NULL, "%s", l);
    free(runs);
}

/* The loader: each malformed usb_otg one line naming the file, line and key. */
Test(usb_otg, malformed_circuits_are_refused)
{
    static const struct {
        const char *circuit, *want;
    } cases[] = {
        {"usb_otg: {pattern: [\"0,2\"], detach_ms: 5, reenumerate: {boot_ms: 1, debounce_ms: 1, reset_ms: 1, "
         "recovery_ms: 1, bind_ms: 1}}",
         "circuits.bad.usb_otg.pattern: expected a line state \"DTR,RTS\" of 0 and 1 (\"0,1\"), got '0,2'"},
        {"usb_otg: {pattern: [\"0,1\"], detach_ms: 50, reenumerate: {boot_ms: 1, debounce_ms: 1, reset_ms: 1, "
         "recovery_ms: 1, bind_ms: 1}}",
         "circuits.bad.usb_otg.reenumerate: the port is back (5 ms) before it left (detach_ms 50)"},
        {"usb_otg: {pattern: [\"0,1\"], detach_ms: 5}", "circuits.bad.usb_otg: missing key 'reenumerate'"},
        {"usb_otg: {pattern: [], detach_ms: 5, reenumerate: {boot_ms: 1, debounce_ms: 1, reset_ms: 1, "
         "recovery_ms: 1, bind_ms: 1}}",
         "circuits.bad.usb_otg.pattern: is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048], e[512] = "";
        snprintf(text, sizeof text,
                 "include: resetlab\ncircuits:\n  bad:\n    driver_ohms: 10\n    %s\n    actions:\n"
                 "      - {dtr: 0, rts: 0, action: none}\n      - {dtr: 0, rts: 1, action: none}\n"
                 "      - {dtr: 1, rts: 0, action: none}\n      - {dtr: 1, rts: 1, action: none}\n" OTG_BOARD("bad"),
                 cases[i].circuit);
        struct lab lab;
        cr_expect_eq(lab_load(&lab, put("bad.yaml", text), e, sizeof e), -1, "case %zu loaded", i);
        cr_expect(strstr(e, cases[i].want) != NULL && strstr(e, "bad.yaml:5: ") != NULL, "case %zu: %s", i, e);
    }
    /* a chip without USB-OTG */
    char e[512] = "";
    struct lab lab;
    const char *p = put("nootg.yaml", "include: resetlab\nboards:\n  b: {chip: esp32c3, bridge: esp-usb-otg, circuit: "
                                      "usb-otg-cdc, en: {r_ohms: 1, c_farads: 0, c_tolerance: 0}, io0: {pullup_ohms: 1, "
                                      "c_farads: 0}, vdd: 3.3, port: sim, analyzer: sim-la, straps: {GPIO8: high, GPIO2: "
                                      "high}}\n");
    cr_expect_eq(lab_load(&lab, p, e, sizeof e), -1);
    cr_expect(strstr(e, "chip 'esp32c3' has no USB-OTG (usb: usb-serial-jtag), which circuit 'usb-otg-cdc' needs") !=
                  NULL,
              "%s", e);
}
