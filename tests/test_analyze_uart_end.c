/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A UART frame the capture's end cuts short (issue 25, item 5): as
 * sigrok's uart decoder, no byte when the last data bit's sample point is
 * past the last sample, and a byte without a framing error when only the
 * stop bit's is. Found on sigrok-dumps' lin_generated/stress.sr (649
 * bytes, we gave 650) and pan1321_JSDA_datatransfer_100.sr (45,004, we
 * gave 45,005); the sample-exact boundary was checked against
 * `sigrok-cli -B uart=rx` on the VCDs built here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/uart.h"
#include "helpers.h"
#include "vcd_fixture.h"

static char dir[] = "/tmp/resetlab-auend-XXXXXX";
static char out[1 << 16], err[4096];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(analyze_uart_end, .init = setup, .fini = teardown);

/* "AB" at 115,200 baud from 1 ms, the file ending `bits` bit times after
 * B's start bit fell (10 MS/s: 86.8 samples a bit). */
static const char *cut_after(const char *name, double bits)
{
    struct vcd v = {.names = {"RX"}, .n_ch = 1, .initial = {1}, .rate_hz = 1e7};
    double bit_ms = 1e3 / 115200;
    vcd_add_uart(&v, 0, 1.0, 115200, "AB", 2);
    double end = 1.0 + (10 + bits) * bit_ms;
    int keep = 0; /* the edges before the end */
    for (int i = 0; i < v.n; i++)
        if (v.e[i].tick < (long)(end * 1e-3 * v.rate_hz))
            v.e[keep++] = v.e[i];
    v.n = keep;
    return vcd_write(&v, dir, name, end);
}

static int analyze(const char *path)
{
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    return run_cli(args, out, sizeof out, err, sizeof err);
}

/* The capture ends 5 bits into B: sigrok-cli gives "A"; B's data bits
 * after the end were read as the line's last level (we gave "A\x02" and
 * a framing error). */
Test(analyze_uart_end, a_frame_cut_before_its_last_data_bit_is_no_byte)
{
    cr_assert_eq(analyze(cut_after("mid", 5)), 0, "%s%s", out, err);
    cr_assert(strstr(out, "UART: 1 bytes at 115200 baud: \"A\"\n") != NULL, "%s", out);
}

/* The capture ends at 8.7 bits: B's eighth data bit (sampled at 8.5 bits)
 * is in it, its stop bit (9.5) is not: sigrok-cli gives "AB" and no frame
 * error (the line was low at the end: we counted one). */
Test(analyze_uart_end, a_frame_cut_before_its_stop_bit_is_a_byte_without_error)
{
    cr_assert_eq(analyze(cut_after("stop", 8.7)), 0, "%s%s", out, err);
    cr_assert(strstr(out, "UART: 2 bytes at 115200 baud: \"AB\"\n") != NULL, "%s", out);
}

/* The decoder itself, on a trace at 1 MS/s: 'U' (0x55) starting at 10 µs
 * at 100,000 baud (10 samples a bit), so bit 8's sample point is the
 * sample ceil(10 + 4.5 + 80) = 95: a trace whose last sample is 94 has no
 * byte, one ending at 95 has it; its stop bit (sample 105) decides the
 * framing error only when the trace reaches it. */
Test(analyze_uart_end, the_last_data_bit_must_be_a_sample_of_the_trace)
{
    struct edge e[16];
    struct trace tr = {.edges = e, .cap = 16, .present = 1u << CH_RX, .sample_rate_hz = 1e6};
    tr.initial[CH_RX] = 1;
    int level = 1;
    for (int b = 0; b < 9; b++) { /* start bit, then 0x55 LSB first */
        int want = b == 0 ? 0 : (0x55 >> (b - 1)) & 1;
        if (want != level)
            cr_assert_eq(trace_push(&tr, 10000 + b * 10000, CH_RX, level = want), 0);
    }
    uint8_t byte = 0;
    struct uart_stats st;
    tr.t_end_ns = 94000;
    cr_assert_eq(uart_decode_counted(&tr, 100000, &byte, 1, &st), 0);
    cr_assert_eq(st.frames, 0);
    tr.t_end_ns = 95000;
    cr_assert_eq(uart_decode_counted(&tr, 100000, &byte, 1, &st), 1);
    cr_assert_eq(byte, 0x55);
    cr_assert_eq(st.framing_errors, 0); /* the line is low (bit 7 of 0x55) at the end; the stop bit is later */
    tr.t_end_ns = 105000;                 /* the stop bit's sample, still low: a framing error */
    cr_assert_eq(uart_decode_counted(&tr, 100000, &byte, 1, &st), 1);
    cr_assert_eq(st.framing_errors, 1);
}

/* A glitch (2 µs low, high again at the start bit's sample point, 15 µs)
 * near the end is still counted when the frame it would start is cut:
 * sigrok's decoder checks the start bit before it waits for the data. */
Test(analyze_uart_end, a_glitch_before_the_end_is_counted)
{
    struct edge e[4];
    struct trace tr = {.edges = e, .cap = 4, .present = 1u << CH_RX, .sample_rate_hz = 1e6, .t_end_ns = 50000};
    tr.initial[CH_RX] = 1;
    cr_assert_eq(trace_push(&tr, 10000, CH_RX, 0), 0);
    cr_assert_eq(trace_push(&tr, 12000, CH_RX, 1), 0);
    uint8_t byte;
    struct uart_stats st;
    cr_assert_eq(uart_decode_counted(&tr, 100000, &byte, 1, &st), 0);
    cr_assert_eq(st.glitches, 1);
    cr_assert_eq(st.frames, 0);
}

/* A capture past 2^53 ns (104 days: a session saying samplerate=1 Hz, one
 * of sigrok-dumps' amulet_lcd captures so damaged): the decoder kept its
 * place in a double, which stops moving there, and went round forever.
 * At 1 S/s every sample point of a 115,200-baud frame is its start sample:
 * each falling edge is a frame of 0x00 with a framing error; and the rate
 * the edges show (a bit 2 s long: 0.5 baud) is no UART, so no hint. */
Test(analyze_uart_end, a_capture_past_2_to_the_53_ns_ends, .timeout = 20)
{
    enum { N = 40 };
    struct edge e[N];
    struct trace tr = {.edges = e, .cap = N, .present = 1u << CH_RX, .sample_rate_hz = 1};
    tr.initial[CH_RX] = 1;
    int64_t t0 = 200000000000000000; /* 2e17 ns, above 2^53 */
    for (int i = 0; i < N; i++)
        cr_assert_eq(trace_push(&tr, t0 + (int64_t)i * 2000000000, CH_RX, i % 2 == 0 ? 0 : 1), 0);
    tr.t_end_ns = t0 + (int64_t)N * 2000000000;
    uint8_t bytes[N];
    struct uart_stats st;
    cr_assert_eq(uart_decode_counted(&tr, 115200, bytes, N, &st), N / 2);
    cr_assert_eq(st.framing_errors, N / 2);
    cr_assert_eq(bytes[0], 0);
    cr_assert_eq(uart_guess_baud(&tr), 0);
}
