/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze`'s UART decoder on captures built here (issue 25,
 * items 2 and 5): a sub-bit glitch before the ROM banner is no byte, a
 * wrong baud rate counts its framing errors and names the rate RX shows,
 * a line over 64 KiB is decoded whole, and --baud decodes another rate. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vcd_fixture.h"

static char dir[] = "/tmp/resetlab-auart-XXXXXX";
static char out[1 << 18], err[4096];

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

TestSuite(analyze_uart, .init = setup, .fini = teardown);

static const char banner[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT"
                             "(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";

static int analyze(const char *path, const char *extra)
{
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc %s", path, extra);
    return run_cli(args, out, sizeof out, err, sizeof err);
}

/* 0.5 and 1.25 µs low glitches (both shorter than half of 8.68 µs) in
 * front of the banner: the first byte is 'e', not 0xFF. */
Test(analyze_uart, a_glitch_before_the_banner_is_no_byte)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    vcd_add(&v, 0.5, 0, 0), vcd_add(&v, 0.5005, 0, 1);
    vcd_add(&v, 0.7, 0, 0), vcd_add(&v, 0.70125, 0, 1);
    double end = vcd_add_uart(&v, 0, 1.0, 115200, banner, sizeof banner - 1);
    const char *path = vcd_write(&v, dir, "glitch", end + 1.0);
    cr_assert_eq(analyze(path, "--expect download"), 0, "%s%s", out, err);
    char want[128];
    snprintf(want, sizeof want, "UART: %zu bytes at 115200 baud (0 framing errors, 2 glitches shorter than half a bit): "
             "\"ets Jun", sizeof banner - 1);
    cr_assert(strstr(out, want) != NULL, "%s", out);
}

/* The banner sent at 74,880 baud (an ESP32 ROM on a 26 MHz crystal) read
 * at the board's 115,200: framing errors counted, the rate named. */
Test(analyze_uart, a_wrong_baud_rate_names_the_one_rx_shows)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double end = vcd_add_uart(&v, 0, 1.0, 74880, banner, sizeof banner - 1);
    const char *path = vcd_write(&v, dir, "baud", end + 1.0);
    cr_assert_eq(analyze(path, ""), 0, "%s%s", out, err);
    const char *p = strstr(out, "framing errors");
    cr_assert_not_null(p, "%s", out);
    const char *q = strstr(out, "RX looks like ");
    cr_assert_not_null(q, "%s", out);
    double baud = strtod(q + strlen("RX looks like "), NULL);
    cr_assert(baud > 74500 && baud < 75300, "%.0f: %s", baud, out);
    /* every frame is a byte, as sigrok's decoder gives them; most failed */
    size_t bytes = strtoul(strstr(out, "UART: ") + 6, NULL, 10), errors = strtoul(strchr(strstr(out, "UART: "), '(') + 1, NULL, 10);
    cr_assert_gt(errors, bytes - errors, "%s", out);
}

/* 70,241 bytes (over the 65,536 read at first): all of them, the last one
 * in its place. At 1 MS/s so libsigrok's VCD input makes 6.1 M samples. */
Test(analyze_uart, a_line_over_64_kib_is_decoded_whole)
{
    enum { N = 70241 };
    char *s = malloc(N);
    cr_assert_not_null(s);
    for (int i = 0; i < N; i++)
        s[i] = (char)('a' + i % 26);
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e6};
    double end = vcd_add_uart(&v, 0, 1.0, 115200, s, N);
    free(s);
    const char *path = vcd_write(&v, dir, "long", end + 1.0);
    cr_assert_eq(analyze(path, ""), 0, "%s%s", out, err);
    cr_assert(strstr(out, "UART: 70241 bytes at 115200 baud: \"abcdef") != NULL, "%.300s", out);
}

/* A line at another rate than the chip ROM's (an application's log at
 * 9,600): --baud decodes it, 0 and more than 10^7 are refused. */
Test(analyze_uart, baud_decodes_a_line_at_another_rate)
{
    static const char hello[] = "Hello World!\r\n";
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e6};
    double end = vcd_add_uart(&v, 0, 1.0, 9600, hello, sizeof hello - 1);
    const char *path = vcd_write(&v, dir, "hello9600", end + 1.0);
    cr_assert_eq(analyze(path, "--baud 9600"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "UART: 14 bytes at 9600 baud: \"Hello World!\\r\\n\"") != NULL, "%s", out);
    cr_assert_eq(analyze(path, "--baud 0"), 2, "%s", out);
    cr_assert(strstr(err, "--baud needs a rate in baud from 1 to 10000000, got '0'") != NULL, "%s", err);
    cr_assert_eq(analyze(path, "--baud 10000001"), 2, "%s", out);
}

/* A frame whose stop bit is low keeps its byte, as sigrok's uart decoder
 * outputs it (sigrok-cli -B uart=rx gives 0xc1 'B' here): 0xc1 with its
 * stop bit held low one bit longer, then 'B'. */
Test(analyze_uart, a_framing_error_keeps_its_byte_as_sigrok_does)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double bit = 1e3 / 115200;
    vcd_add_uart(&v, 0, 1.0, 115200, "\xc1", 1);
    vcd_add(&v, 1.0 + 9 * bit, 0, 0), vcd_add(&v, 1.0 + 10 * bit, 0, 1); /* the stop bit low */
    double end = vcd_add_uart(&v, 0, 1.2, 115200, "B", 1);
    const char *path = vcd_write(&v, dir, "frame", end + 0.1);
    cr_assert_eq(analyze(path, ""), 0, "%s%s", out, err);
    cr_assert(strstr(out, "UART: 2 bytes at 115200 baud (1 framing errors, 0 glitches shorter than half a bit): "
                          "\"\\xc1B\"") != NULL, "%s", out);
}
