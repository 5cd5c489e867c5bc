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

#define RATE_HZ 10000000.0 /* the VCDs' $timescale 100 ns */

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

struct vedge {
    long tick; /* 100 ns */
    int ch, level;
};

struct vcd {
    const char *names[5];
    int n_ch, initial[5];
    struct vedge e[8192];
    int n;
};

static void add(struct vcd *v, double t_ms, int ch, int level)
{
    cr_assert_lt(v->n, 8192);
    v->e[v->n++] = (struct vedge){(long)(t_ms * 1e-3 * RATE_HZ + 0.5), ch, level};
}

/* 8N1 bytes on channel ch from t_ms on, at `baud`. */
static double add_uart(struct vcd *v, int ch, double t_ms, int baud, const char *s, size_t len)
{
    double bit_ms = 1e3 / baud;
    int level = 1;
    for (size_t i = 0; i < len; i++) {
        int bits[10] = {0};
        for (int b = 0; b < 8; b++)
            bits[1 + b] = ((unsigned char)s[i] >> b) & 1;
        bits[9] = 1;
        for (int b = 0; b < 10; b++, t_ms += bit_ms)
            if (bits[b] != level)
                add(v, t_ms, ch, level = bits[b]);
    }
    return t_ms;
}

static int by_tick(const void *a, const void *b)
{
    const struct vedge *x = a, *y = b;
    return (x->tick > y->tick) - (x->tick < y->tick);
}

static const char *write_vcd(struct vcd *v, const char *name, double end_ms)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.vcd", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "$timescale 100 ns $end\n$scope module top $end\n");
    for (int c = 0; c < v->n_ch; c++)
        fprintf(f, "$var wire 1 %c %s $end\n", '!' + c, v->names[c]);
    fprintf(f, "$upscope $end\n$enddefinitions $end\n#0");
    for (int c = 0; c < v->n_ch; c++)
        fprintf(f, " %d%c", v->initial[c], '!' + c);
    qsort(v->e, (size_t)v->n, sizeof v->e[0], by_tick);
    long last = 0;
    for (int i = 0; i < v->n; i++) {
        if (v->e[i].tick != last)
            fprintf(f, "\n#%ld", last = v->e[i].tick);
        fprintf(f, " %d%c", v->e[i].level, '!' + v->e[i].ch);
    }
    fprintf(f, "\n#%ld\n", (long)(end_ms * 1e-3 * RATE_HZ));
    fclose(f);
    return path;
}

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
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}};
    double end = add_uart(&v, 0, 1.0, 115200, banner, sizeof banner - 1);
    const char *path = write_vcd(&v, "rx", end + 1.0);
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
    struct vcd v = {.names = {"EN", "IO0"}, .n_ch = 2, .initial = {1, 1}};
    add(&v, 0.5, 1, 0); /* IO0 held low across the release */
    add(&v, 1.0, 0, 0);
    add(&v, 3.25, 0, 1);
    add(&v, 9.0, 1, 1);
    const char *path = write_vcd(&v, "en-io0", 12.0);
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
    struct vcd v = {.names = {"DTR", "RTS"}, .n_ch = 2, .initial = {1, 1}};
    add(&v, 1.0, 1, 0);
    add(&v, 2.0, 0, 0), add(&v, 2.0, 1, 1);
    add(&v, 60.0, 0, 1);
    const char *path = write_vcd(&v, "dtr-rts", 80.0);
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
    struct vcd v = {.names = {"DTR", "RTS", "RX"}, .n_ch = 3, .initial = {1, 1, 1}};
    add(&v, 1.0, 1, 0);
    add(&v, 2.0, 1, 1);
    const char *path = write_vcd(&v, "usb", 5.0);
    cr_assert_eq(analyze(path, "--board esp32c3-usb"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "  #1 EN low at 1.000 ms, released at 2.000 ms, boots flash (the mode the USB-Serial/JTAG latched)\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  EN release and τ USB-Serial/JTAG") != NULL, "%s", out);
}

Test(analyze_partial, none_of_our_channels_names_them_all)
{
    struct vcd v = {.names = {"A", "B"}, .n_ch = 2, .initial = {1, 1}};
    add(&v, 1.0, 0, 0);
    const char *path = write_vcd(&v, "none", 2.0);
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    expect_bad_input(args, "no channel for DTR, RTS, EN, IO0 or RX (the file has: A, B)");
}

/* A --map that names some channels still finds the others by name; a file
 * channel --map gives to one of ours is not taken by name for another. */
Test(analyze_partial, map_keeps_name_matching_for_the_rest)
{
    struct vcd v = {.names = {"DTR", "RTS", "X"}, .n_ch = 3, .initial = {1, 1, 1}};
    add(&v, 1.0, 2, 0);
    add(&v, 3.0, 2, 1);
    const char *path = write_vcd(&v, "map", 4.0);
    cr_assert_eq(analyze(path, "--board devkitc --map X=EN"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "edges on DTR RTS EN\n") != NULL, "%s", out);
    cr_assert_eq(analyze(path, "--board devkitc --map RTS=EN"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "edges on DTR EN\n") != NULL, "%s", out);
}

/* RX alone against the wrong expectation: the banner's mode, not "never
 * reset" (the resets could not be seen), and no "margin nan ms". */
Test(analyze_partial, rx_alone_failing_says_the_booted_mode)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}};
    double end = add_uart(&v, 0, 1.0, 115200, banner, sizeof banner - 1);
    const char *path = write_vcd(&v, "rx-fail", end + 1.0);
    cr_assert_eq(analyze(path, "--board devkitc --expect flash"), 1, "%s%s", out, err);
    cr_assert(strstr(out, "wrong-boot-mode") != NULL && strstr(out, "booted download, expected flash\n") != NULL, "%s",
              out);
    cr_assert_null(strstr(out, "never reset"), "%s", out);
    cr_assert_eq(analyze(path, "--board devkitc --expect flash --json"), 1, "%s%s", out, err);
    cr_assert(strstr(out, "\"margin_ms\": null") != NULL, "%s", out);
}
