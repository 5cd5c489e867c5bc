/* SPDX-License-Identifier: GPL-3.0-or-later */
/* calibrate at the pins (--board with a logic analyzer): the DTR->RTS edge
 * gap and the TIOCMSET skew read from hand-built traces
 * (analyzers/wire_cycle.h), then the whole path through a fake serial seam
 * and libsigrok's demo analyzer (whose lines follow its own pattern, not
 * the calls: the test checks that what it captures reaches the entry), and
 * the refusals. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "analyzers/wire_cycle.h"
#include "harness/calibrate/calib.h"
#include "harness/cli/cli_commands.h"
#include "helpers.h"

/* ---- the pins, by hand ---------------------------------------------------- */

static struct edge storage[16];

static struct trace cycle_trace(void)
{
    struct trace tr = {.edges = storage, .cap = 16, .present = (1u << CH_DTR) | (1u << CH_RTS)};
    tr.initial[CH_DTR] = 1; /* released: the pin high */
    tr.initial[CH_RTS] = 0; /* asserted: the pin low */
    return tr;
}

/* A VM's pair 18.2 ms apart and a TIOCMSET that lands as one request:
 * RTS falls 4 us before DTR rises. */
Test(wire_cycle, the_gap_and_the_skew_of_one_cycle)
{
    struct trace tr = cycle_trace();
    trace_push(&tr, 1000000, CH_DTR, 0);
    trace_push(&tr, 19200000, CH_RTS, 1);
    trace_push(&tr, 29996000, CH_RTS, 0);
    trace_push(&tr, 30000000, CH_DTR, 1);
    struct wire_cycle w;
    char why[300];
    cr_assert_eq(wire_cycle_times(&tr, &w, why, sizeof why), 0, "%s", why);
    cr_expect_float_eq(w.gap_ms, 18.2, 1e-9);
    cr_expect_float_eq(w.skew_ms, 0.004, 1e-9);
}

/* A host that splits the TIOCMSET: DTR rises one request (1.25 ms) after
 * RTS falls, whichever line goes first. */
Test(wire_cycle, a_split_tiocmset_shows_as_its_skew)
{
    struct trace tr = cycle_trace();
    trace_push(&tr, 500000, CH_DTR, 0);
    trace_push(&tr, 1500000, CH_RTS, 1);
    trace_push(&tr, 11500000, CH_DTR, 1);
    trace_push(&tr, 12750000, CH_RTS, 0);
    struct wire_cycle w;
    char why[300];
    cr_assert_eq(wire_cycle_times(&tr, &w, why, sizeof why), 0, "%s", why);
    cr_expect_float_eq(w.gap_ms, 1.0, 1e-9);
    cr_expect_float_eq(w.skew_ms, 1.25, 1e-9);
}

Test(wire_cycle, a_missing_edge_is_named)
{
    struct trace tr = cycle_trace();
    struct wire_cycle w;
    char why[300];
    cr_assert_eq(wire_cycle_times(&tr, &w, why, sizeof why), -1);
    cr_expect(strstr(why, "no falling DTR edge (TIOCMBIS DTR) in the capture (it holds 0 DTR/RTS edges"), "%s", why);
    trace_push(&tr, 1000000, CH_DTR, 0);
    trace_push(&tr, 2000000, CH_DTR, 1); /* RTS never rose: probed on the wrong channel */
    cr_assert_eq(wire_cycle_times(&tr, &w, why, sizeof why), -1);
    cr_expect(strstr(why, "no rising RTS edge after DTR fell (TIOCMBIC RTS) in the capture (it holds 2"), "%s", why);
    struct trace bare = cycle_trace();
    bare.present = 1u << CH_DTR;
    cr_assert_eq(wire_cycle_times(&bare, &w, why, sizeof why), -1);
    cr_expect_str_eq(why, "the capture has no DTR or no RTS channel");
}

/* ---- the whole path: a fake port, the demo analyzer ----------------------- */

static struct {
    int lines;
    int64_t now_ns;
    unsigned n;
} port;

/* Each call takes 1 to 2 ms on the fake clock, spread evenly. */
static int call(void)
{
    port.now_ns += 1000000 + (int64_t)((port.n++ * 7919u) % 1000u) * 1000;
    return 0;
}
static int f_open(const char *path, void **h, char *why, size_t len) { (void)path, (void)why, (void)len; *h = &port; return 0; }
static int f_close(void *h) { (void)h; return 0; }
static int f_excl(void *h) { (void)h; return 0; }
static int f_get(void *h, int *bits) { (void)h; *bits = port.lines | TIOCM_CTS; return 0; }
static int f_set(void *h, int bits) { (void)h; port.lines = bits & (TIOCM_DTR | TIOCM_RTS); return call(); }
static int f_bis(void *h, int bits) { (void)h; port.lines |= bits; return call(); }
static int f_bic(void *h, int bits) { (void)h; port.lines &= ~bits; return call(); }
static int f_write(void *h, const uint8_t *b, size_t n) { (void)h, (void)b, (void)n; return 0; }
static int f_list(struct serial_port_info *out, int max)
{
    if (max < 1)
        return 0;
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "/dev/ttyUSB7");
    out->transport = SERIAL_USB;
    out->vid = 0x10c4, out->pid = 0xea60;
    return 1;
}
static const struct serial_sys fake_sys = {
    .open = f_open, .close = f_close, .exclusive = f_excl, .get_bits = f_get, .set_bits = f_set,
    .bis = f_bis, .bic = f_bic, .write = f_write, .list = f_list,
};
static int64_t fake_now(void *ctx) { (void)ctx; return port.now_ns; }
static int fake_sleep_until(void *ctx, int64_t deadline)
{
    (void)ctx;
    port.now_ns = (deadline > port.now_ns ? deadline : port.now_ns) + 50000;
    return 0;
}
static const struct calib_clock fake_clock = {fake_now, fake_sleep_until, NULL};
static volatile sig_atomic_t no_stop;

static char work[64], lab_path[128], out_path[128];

static void setup(void)
{
    memset(&port, 0, sizeof port);
    port.now_ns = 1000000000;
    snprintf(work, sizeof work, "/tmp/resetlab-calib-wire-XXXXXX");
    cr_assert_not_null(mkdtemp(work));
    setenv("RESETLAB_LOCK_DIR", work, 1);
    snprintf(lab_path, sizeof lab_path, "%s/boards.yaml", work);
    snprintf(out_path, sizeof out_path, "%s/bench.yaml", work);
}

static void teardown(void) { remove_tree(work); }

/* The shipped lab plus bench-devkitc on the fake CP2102 with the demo
 * analyzer drawing `pattern`. */
static void write_lab(const char *pattern)
{
    char *text = shipped_lab_with_real_board("bench-devkitc", "usb:10c4:ea60");
    char *at = strstr(text, "pattern=all-high");
    cr_assert_not_null(at);
    FILE *f = fopen(lab_path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%.*spattern=%s%s", (int)(at - text), text, pattern, at + strlen("pattern=all-high"));
    fclose(f);
    free(text);
}

static int calibrate(const char *fmt)
{
    char line[600], *argv[24];
    snprintf(line, sizeof line, fmt, lab_path, out_path);
    int argc = 0;
    for (char *t = strtok(line, " "); t && argc < 23; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    fflush(stdout);
    return cli_calibrate_with(argc, argv, &fake_sys, &fake_clock, &no_stop);
}

/* The demo's incremental pattern toggles D0 (DTR) every sample and D1
 * (RTS) every second one at 1 MHz: each cycle's gap and skew are a few
 * microseconds, far under half the 1.5 ms request median, so the entry
 * says split_both_lines: false, measured. */
Test(calibrate_wire, the_analyzers_edges_reach_the_host_entry, .init = setup, .fini = teardown, .timeout = 60)
{
    write_lab("incremental");
    int rc = calibrate("calibrate --boards %s --board bench-devkitc --requests 20 --wire-cycles 3 --out %s "
                       "--name bench");
    cr_assert_eq(rc, 0, "exit %d", rc);
    char *entry = slurp(out_path, NULL);
    cr_assert_not_null(entry);
    const char *line = strstr(entry, "split_both_lines: false  # measured at the pins: a TIOCMSET's DTR/RTS skew p50 ");
    cr_assert_not_null(line, "%s", entry);
    double skew = -1;
    cr_assert_eq(sscanf(line + strlen("split_both_lines: false  # measured at the pins: a TIOCMSET's DTR/RTS skew p50 "),
                        "%lf", &skew), 1);
    cr_expect(skew >= 0 && skew < 0.01, "skew %g ms", skew);
    cr_expect(strstr(line, "over 3 cycles, under 50 % of the request median") != NULL, "%s", line);
    free(entry);
}

/* Lines that never move at the pins: one line naming the missing edge,
 * exit 2, nothing written; the lines released at the end all the same. */
Test(calibrate_wire, no_edges_at_the_pins_is_said, .init = setup, .fini = teardown, .timeout = 60)
{
    write_lab("all-high");
    int rc = calibrate("calibrate --boards %s --board bench-devkitc --requests 20 --wire-cycles 2 --out %s");
    cr_expect_eq(rc, 2);
    cr_expect_neq(access(out_path, F_OK), 0, "an entry was written");
    cr_expect_eq(port.lines, 0, "DTR or RTS left asserted: %#x", port.lines);
}

Test(calibrate_wire, refusals, .init = setup, .fini = teardown)
{
    write_lab("all-high");
    char c[700];
    snprintf(c, sizeof c, "calibrate --boards %s --board nosuchboard", lab_path);
    expect_bad_input(c, "calibrate: unknown board 'nosuchboard'");
    snprintf(c, sizeof c, "calibrate --boards %s --board devkitc", lab_path);
    expect_bad_input(c, "calibrate: board 'devkitc' is on the virtual lab (port: sim)");
    snprintf(c, sizeof c, "calibrate --boards %s --board bench-devkitc --wire-cycles 0", lab_path);
    expect_bad_input(c, "--wire-cycles");
    snprintf(c, sizeof c, "calibrate --boards %s --board bench-devkitc --wire-cycles 1001", lab_path);
    expect_bad_input(c, "--wire-cycles");
    expect_bad_input("calibrate --port /dev/ttyUSB7 --wire-cycles 5", "--wire-cycles goes with --board");
    expect_bad_input("calibrate --port /dev/ttyUSB7 --board bench-devkitc", "--port and --board: give one");
}
