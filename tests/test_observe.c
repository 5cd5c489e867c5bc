/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab observe --serve` end to end: pyserial scripts closing the port
 * in Windows' order (DTR, then RTS: EN pulled low for a whole ack wait) and
 * in mpremote's (RTS, then DTR: never (DTR0,RTS1)). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out_dir[64];

static void make_dir(void)
{
    snprintf(out_dir, sizeof out_dir, "/tmp/resetlab-observe-XXXXXX");
    cr_assert_not_null(mkdtemp(out_dir));
}

static void drop_dir(void)
{
    remove_tree(out_dir);
}

TestSuite(observe, .init = make_dir, .fini = drop_dir, .timeout = 60);

static int observe_on(const char *board, const char *order, char *out, size_t out_len)
{
    char script[512], args[1400], err[4096];
    src_path("tests/close_order.py", script, sizeof script);
    snprintf(args, sizeof args, "observe --board %s --serve --listen 127.0.0.1:0 --out %s/%s-%s -- %s %s %s {url}",
             board, out_dir, board, order, test_python(), script, order);
    return run_cli(args, out, out_len, err, sizeof err);
}

static int observe(const char *order, char *out, size_t out_len)
{
    return observe_on("devkitc", order, out, out_len);
}

/* The connection's sequence without its waits: "O|D1|R1|D0|R0|C". */
static void ops_only(const char *out, char *seq, size_t len)
{
    const char *p = strstr(out, "connection 1 (");
    cr_assert_not_null(p, "%s", out);
    p = strstr(p, "): ");
    cr_assert_not_null(p);
    p += 3;
    size_t k = 0;
    seq[0] = '\0';
    while (*p && *p != '\n' && k + 8 < len) {
        size_t n = strcspn(p, "|\n");
        if (p[0] != 'W')
            k += (size_t)snprintf(seq + k, len - k, "%s%.*s", k ? "|" : "", (int)n, p);
        p += n;
        if (*p == '|')
            p++;
    }
}

Test(observe, windows_close_order_is_a_spurious_reset)
{
    skip_without_pyserial();
    char out[8192];
    int rc = observe("windows", out, sizeof out);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert_eq(count_of(out, "SPURIOUS"), 1, "%s", out);
    cr_assert(strstr(out, "by D0: the tool closing the port") != NULL, "%s", out);
    char seq[256];
    ops_only(out, seq, sizeof seq);
    cr_assert_str_eq(seq, "O|D1|R1|D0|R0|C", "pyserial's open (DTR, RTS), then Windows' close order: %s", out);
    cr_assert(strstr(out, "verdict: 1 spurious reset") != NULL);
}

Test(observe, mpremote_close_order_is_not)
{
    skip_without_pyserial();
    char out[8192];
    int rc = observe("mpremote", out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "resets: 0") != NULL, "%s", out);
    char seq[256];
    ops_only(out, seq, sizeof seq);
    cr_assert_str_eq(seq, "O|D1|R1|R0|D0|C", "mpremote's close order, RTS first: %s", out);
    cr_assert(strstr(out, "verdict: no spurious reset") != NULL);
}

/* A board wired directly (RTS to EN): pyserial's open asserts RTS and
 * holds the chip in reset: a spurious reset on open, whatever the close. */
Test(observe, direct_wiring_resets_on_open)
{
    skip_without_pyserial();
    char out[8192];
    int rc = observe_on("nodemcu-direct", "mpremote", out, sizeof out);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "by R1: the tool opening the port — SPURIOUS") != NULL, "%s", out);
}

Test(observe, a_command_that_cannot_run)
{
    char out[4096], err[4096], args[256];
    snprintf(args, sizeof args, "observe --board devkitc --serve --listen 127.0.0.1:0 --out %s/x -- /nonexistent/tool",
             out_dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 3, "the command failed");
    cr_assert(strstr(err, "/nonexistent/tool: No such file or directory") != NULL, "%s", err);
    cr_assert(strstr(out, "(exit 127") != NULL, "%s", out);
    cr_assert(strstr(out, "verdict: no spurious reset; the command failed (exit 127)") != NULL, "%s", out);
}

Test(observe, bad_input)
{
    expect_bad_input("observe --serve -- true", "which board?");
    expect_bad_input("observe --board devkitc --serve", "no command to observe");
    expect_bad_input("observe --board devkitc -- true", "add --serve");
    expect_bad_input("observe --board nosuch --serve -- true", "no board 'nosuch'");
    expect_bad_input("observe --board devkitc --host nosuch --serve -- true", "no host profile 'nosuch'");
    expect_bad_input("observe --board devkitc --serve --listen bad -- true", "--listen bad: expected HOST:PORT");
    expect_bad_input("observe --board devkitc --serve --frob -- true", "unknown option '--frob'");
    expect_bad_input("observe --board devkitc --serve --out -- true", "--out needs a value");
}

/* A board on a real port: its own logic analyzer (libsigrok's demo
 * driver here, all pins high: lines released, EN and IO0 up) records from
 * before the command starts until after it exits; {port} is the board's
 * port. */
Test(observe, a_real_board_through_its_analyzer)
{
    char lab[160], args[1024], out[8192], err[4096];
    snprintf(lab, sizeof lab, "%s/demo.yaml", out_dir);
    char *shipped = slurp(src_path("boards.yaml", (char[512]){0}, 512), NULL);
    cr_assert_not_null(shipped);
    FILE *f = fopen(lab, "w");
    fprintf(f, "%s\n  bench-demo:\n    chip: esp32\n    bridge: cp210x\n    circuit: two-transistor\n"
               "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"
               "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n    vdd: 3.3\n"
               "    port: /dev/serial/by-id/usb-observe-test\n"
               "    analyzer: {kind: sigrok, driver: demo, config: \"samplerate=100k:pattern=all-high\", "
               "channels: \"D0=DTR,D1=RTS,D2=EN,D3=IO0\", threshold_v: 1.5, tail_ms: 20, settle_ms: 0.1, "
               "transient_max_ms: 200}\n",
            shipped);
    fclose(f);
    free(shipped);
    snprintf(args, sizeof args, "observe --boards %s --board bench-demo -- sh -c 'echo tool got $0; sleep 0.2' {port}",
             lab);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "tool got /dev/serial/by-id/usb-observe-test") != NULL, "%s", out);
    cr_assert(strstr(out, "captured by demo: 0 edges") != NULL, "%s", out);
    cr_assert(strstr(out, "O|W0.2") != NULL && strstr(out, "|C\n") != NULL, "%s", out);
    cr_assert(strstr(out, "resets: 0") != NULL && strstr(out, "verdict: no spurious reset") != NULL, "%s", out);
    snprintf(args, sizeof args, "observe --boards %s --board bench-demo --serve -- true", lab);
    expect_bad_input(args, "--serve serves simulated boards (port: sim)");
}
