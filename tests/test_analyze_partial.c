/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze` on partial probes (issue 25, item 1): a capture with
 * RX alone, EN and IO0 alone, DTR and RTS alone, or none of our channels,
 * each a VCD built here at 10 MS/s; the output names the analyzers that ran
 * and why the others could not, and never prints nan. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "vcd_fixture.h"

static char dir[] = "/tmp/resetlab-partial-XXXXXX";
static char out[1 << 16], err[4096];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(analyze_partial, .init = setup, .fini = teardown);

static const char banner[] = "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
                             "waiting for download\r\n";

static int analyze(const char *path, const char *extra)
{
    char args[512];
    snprintf(args, sizeof args, "analyze %s %s", path, extra);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_null(strstr(out, "nan"), "%s", out);
    return rc;
}

Test(analyze_partial, rx_alone_reads_the_banner)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double end = vcd_add_uart(&v, 0, 1.0, 115200, banner, sizeof banner - 1);
    const char *path = vcd_write(&v, dir, "rx", end + 1.0);
    cr_assert_eq(analyze(path, "--board devkitc --expect download"), 0, "%s%s", out, err);
    char want[64];
    snprintf(want, sizeof want, "UART: %zu bytes at 115200 baud", sizeof banner - 1);
    cr_assert(strstr(out, want) != NULL, "%s", out);
    cr_assert(strstr(out, "analyzers run: ROM banner, SYNC\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  resets            needs EN, or DTR and RTS\n") != NULL, "%s", out);
    cr_assert(strstr(out, "outcome: download (expected download): pass") != NULL, "%s", out);
    cr_assert(strstr(out, "resets: 0\n") != NULL, "%s", out);
}

Test(analyze_partial, en_and_io0_alone_give_the_reset_and_its_strap)
{
    struct vcd v = {.names = {"EN", "IO0"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e7};
    vcd_add(&v, 0.5, 1, 0); /* IO0 held low across the release */
    vcd_add(&v, 1.0, 0, 0);
    vcd_add(&v, 3.25, 0, 1);
    vcd_add(&v, 9.0, 1, 1);
    const char *path = vcd_write(&v, dir, "en-io0", 12.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "resets: 1\n  #1 EN low at 1.000 ms, EN high at 3.250 ms, strap: download") != NULL, "%s", out);
    cr_assert(strstr(out, "analyzers run: resets, strap window\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  truth table       needs DTR and RTS\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  ROM banner        needs RX\n") != NULL, "%s", out);
    cr_assert(strstr(out, "UART: no RX channel\n") != NULL, "%s", out);
    cr_assert(strstr(out, "outcome: download") != NULL, "%s", out);
}

/* devkitc's two transistors: DTR released and RTS asserted pulls EN low;
 * then DTR asserted and RTS released lets EN rise (the board's R·C). */
Test(analyze_partial, dtr_and_rts_alone_give_the_reset_from_the_circuit)
{
    struct vcd v = {.names = {"DTR", "RTS"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e7};
    vcd_add(&v, 1.0, 1, 0);
    vcd_add(&v, 2.0, 0, 0), vcd_add(&v, 2.0, 1, 1);
    vcd_add(&v, 60.0, 0, 1);
    const char *path = vcd_write(&v, dir, "dtr-rts", 80.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "resets: 1\n  #1 EN low at 1.000 ms, released at 2.000 ms, chip out of reset") != NULL, "%s",
              out);
    cr_assert(strstr(out, "13.863 ms later (τ 10.000 ms)") != NULL, "%s", out); /* 10 kΩ · 1 µF, to 0.75 VDD */
    /* no IO0 probe: the circuit's IO0 (low while DTR is asserted alone) from 2 to 60 ms */
    cr_assert(strstr(out, "(τ 10.000 ms), strap: download (IO0 as the circuit drives it from DTR and RTS)\n") != NULL,
              "%s", out);
    cr_assert(strstr(out, "outcome: download\n") != NULL, "%s", out);
    cr_assert(strstr(out, "analyzers run: resets, EN release and τ, strap window, transients\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  truth table       needs EN or IO0\n") != NULL, "%s", out);
}

/* USB-Serial/JTAG: the reset state (DTR released, RTS asserted) then both
 * released; no RC, so no τ, and never "τ nan ms". */
Test(analyze_partial, usb_jtag_prints_no_nan)
{
    struct vcd v = {.names = {"DTR", "RTS", "RX"}, .n_ch = 3, .initial = {1, 1, 1}, .rate_hz = 1e7};
    vcd_add(&v, 1.0, 1, 0);
    vcd_add(&v, 2.0, 1, 1);
    const char *path = vcd_write(&v, dir, "usb", 5.0);
    cr_assert_eq(analyze(path, "--board esp32c3-usb"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "  #1 CHIP_EN low at 1.000 ms, released at 2.000 ms, boots flash (the mode the USB-Serial/JTAG latched)\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  EN release and τ USB-Serial/JTAG") != NULL, "%s", out);
}

Test(analyze_partial, none_of_our_channels_names_them_all)
{
    struct vcd v = {.names = {"A", "B"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e7};
    vcd_add(&v, 1.0, 0, 0);
    const char *path = vcd_write(&v, dir, "none", 2.0);
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    expect_bad_input(args, "no channel for DTR, RTS, EN, IO0 or RX (the file has: A, B)");
}

/* A --map that names some channels still finds the others by name; a file
 * channel --map gives to one of ours is not taken by name for another. */
Test(analyze_partial, map_keeps_name_matching_for_the_rest)
{
    struct vcd v = {.names = {"DTR", "RTS", "X"}, .n_ch = 3, .initial = {1, 1, 1}, .rate_hz = 1e7};
    vcd_add(&v, 1.0, 2, 0);
    vcd_add(&v, 3.0, 2, 1);
    const char *path = vcd_write(&v, dir, "map", 4.0);
    cr_assert_eq(analyze(path, "--board devkitc --map X=EN"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "edges on DTR RTS EN\n") != NULL, "%s", out);
    cr_assert_eq(analyze(path, "--board devkitc --map RTS=EN"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "edges on DTR EN\n") != NULL, "%s", out);
}

/* RX alone against the wrong expectation: the banner's mode, not "never
 * reset" (the resets could not be seen), and no "margin nan ms". */
Test(analyze_partial, rx_alone_failing_says_the_booted_mode)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double end = vcd_add_uart(&v, 0, 1.0, 115200, banner, sizeof banner - 1);
    const char *path = vcd_write(&v, dir, "rx-fail", end + 1.0);
    cr_assert_eq(analyze(path, "--board devkitc --expect flash"), 1, "%s%s", out, err);
    cr_assert(strstr(out, "wrong-boot-mode") != NULL && strstr(out, "booted download, expected flash\n") != NULL, "%s",
              out);
    cr_assert_null(strstr(out, "never reset"), "%s", out);
    cr_assert_eq(analyze(path, "--board devkitc --expect flash --json"), 1, "%s%s", out, err);
    cr_assert(strstr(out, "\"margin_ms\": null") != NULL, "%s", out);
}

/* 20 EN pulses (more than a run keeps, ANALYSIS_MAX_RESETS 16): every one
 * listed, and the outcome is the last one's. */
Test(analyze_partial, more_resets_than_a_run_keeps_are_all_listed)
{
    struct vcd v = {.names = {"EN", "IO0"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e7};
    for (int i = 0; i < 20; i++)
        vcd_add(&v, 1.0 + 20.0 * i, 0, 0), vcd_add(&v, 6.0 + 20.0 * i, 0, 1);
    vcd_add(&v, 370.0, 1, 0); /* IO0 low across the last release only */
    vcd_add(&v, 395.0, 1, 1);
    const char *path = vcd_write(&v, dir, "many", 400.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "resets: 20\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  #15 EN low at 281.000 ms, EN high at 286.000 ms, strap: flash") != NULL, "%s", out);
    cr_assert(strstr(out, "  #16 EN low at 301.000 ms, EN high at 306.000 ms, strap: flash") != NULL, "%s", out);
    cr_assert(strstr(out, "  #20 EN low at 381.000 ms, EN high at 386.000 ms, strap: download") != NULL, "%s", out);
    cr_assert(strstr(out, "outcome: download\n") != NULL, "%s", out);
}

/* A file without an extension: said so, not "unknown capture format '.'". */
Test(analyze_partial, a_file_without_extension_says_so)
{
    char path[256], args[320];
    snprintf(path, sizeof path, "%s/capture", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("x\n", f);
    fclose(f);
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    expect_bad_input(args, "capture: no file extension to tell its format: name it .sr, .vcd or .csv");
}

/* DTR and RTS alone, with (DTR1,RTS1) for 30 ms after RTS held EN low: the
 * transient says when EN would cross the analyzer threshold from the
 * board's R·C (devkitc: 10 kOhm x 1 uF = 10 ms; the analyzer's 1.5 V of
 * 3.3 V: 10 ms x ln(3.3 / 1.8) = 6.061 ms, as a captured EN shows in
 * docs/analyze.md), not that EN "did not cross" a line it never saw. */
Test(analyze_partial, dtr_and_rts_alone_give_transients_from_the_circuit)
{
    struct vcd v = {.names = {"DTR", "RTS"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e6};
    vcd_add(&v, 1.0, 1, 0);   /* RTS asserted: EN low */
    vcd_add(&v, 101.0, 0, 0); /* DTR too: (DTR1,RTS1), EN charging */
    vcd_add(&v, 131.0, 1, 1); /* RTS released: (DTR1,RTS0) */
    vcd_add(&v, 181.0, 0, 1);
    const char *path = vcd_write(&v, dir, "transient", 300.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "(DTR1,RTS1) for 30.000 ms: EN would cross the analyzer threshold 6.061 ms into it "
                          "(board R·C; not captured)") != NULL, "%s", out);
    cr_assert(strstr(out, "(DTR1,RTS0) for 50.000 ms: EN not captured, high before it by the circuit") != NULL, "%s",
              out);
    cr_assert_null(strstr(out, "did not cross"), "%s", out);
}

/* RX alone with a SYNC reply after the download banner (the ROM's answer to
 * esptool's SYNC: c0 01 08 04 00 07 07 12 20 00 00 00 00 c0 on the ESP32,
 * whose ROM sends 4 status bytes): no op
 * log says a SYNC was sent, but the reply does; without one, the output
 * says that nothing can be said. */
Test(analyze_partial, rx_alone_shows_a_sync_reply)
{
    static const char reply[] = "\xc0\x01\x08\x04\x00\x07\x07\x12\x20\x00\x00\x00\x00\xc0";
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double end = vcd_add_uart(&v, 0, 1.0, 115200, banner, sizeof banner - 1);
    end = vcd_add_uart(&v, 0, end + 2.0, 115200, reply, sizeof reply - 1);
    const char *path = vcd_write(&v, dir, "rx-sync", end + 1.0);
    cr_assert_eq(analyze(path, "--board devkitc --expect download"), 0, "%s%s", out, err);
    cr_expect(strstr(out, "SYNC: answered (a SYNC reply on RX after the last banner)\n") != NULL, "%s", out);
    cr_assert_eq(analyze(path, "--board devkitc --json"), 0, "%s%s", out, err);
    cr_expect(strstr(out, "\"sync\": true") != NULL, "%s", out);
    struct vcd bare = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    end = vcd_add_uart(&bare, 0, 1.0, 115200, banner, sizeof banner - 1);
    path = vcd_write(&bare, dir, "rx-nosync", end + 1.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_expect(strstr(out, "SYNC: no SYNC reply on RX (without the op log, whether one was sent is not known)\n"),
              "%s", out);
}

/* DTR alone feeds no analyzer: the list of what each needs, then one
 * error line in the house form, exit 2. */
Test(analyze_partial, dtr_alone_lists_what_each_analyzer_needs_then_refuses)
{
    struct vcd v = {.names = {"DTR"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e6};
    vcd_add(&v, 1.0, 0, 0), vcd_add(&v, 2.0, 0, 1);
    const char *path = vcd_write(&v, dir, "dtr", 5.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 2, "%s%s", out, err);
    cr_assert(strstr(out, "analyzers run: none\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  strap window      needs IO0, or DTR and RTS\n") != NULL, "%s", out);
    char want[400];
    snprintf(want, sizeof want, "resetlab: analyze: %s: the trace has neither EN nor DTR and RTS nor RX", path);
    cr_assert(strstr(err, want) == err, "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
}

/* EN low from 1 ms to the end (the last sample, 4.999 ms): the reset says
 * it was never released. */
Test(analyze_partial, en_held_low_to_the_end_says_so)
{
    struct vcd v = {.names = {"EN", "IO0"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e6};
    vcd_add(&v, 1.0, 0, 0);
    const char *path = vcd_write(&v, dir, "held", 5.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "  #1 EN low at 1.000 ms, still held in reset when the capture ends at 4.999 ms\n") != NULL,
              "%s", out);
    cr_assert(strstr(out, "outcome: no-reset\n") != NULL, "%s", out);
}

/* A backslash or a quote on the line is escaped: `\Y` is the two bytes
 * '\' 'Y', not an escape. */
Test(analyze_partial, a_backslash_on_the_line_is_escaped)
{
    static const char text[] = "a\\Y\"b";
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double end = vcd_add_uart(&v, 0, 1.0, 115200, text, sizeof text - 1);
    const char *path = vcd_write(&v, dir, "bs", end + 1.0);
    cr_assert_eq(analyze(path, "--board devkitc"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "UART: 5 bytes at 115200 baud: \"a\\\\Y\\\"b\"\n") != NULL, "%s", out);
}
