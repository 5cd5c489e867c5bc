/* SPDX-License-Identifier: GPL-3.0-or-later */
/* reports/plot_zoom.c: a timing diagram as a scope shows it (issue 24,
 * item 1): the overview and a zoom panel around the event that decided the
 * run, its axis in µs or ms as its span asks, op markers, the UART row,
 * one label per diagram where seven resets piled theirs up, and the chip's
 * own pin names.
 *
 * The board is test_plot.c's DevKitC (EN 10 kΩ / 1 µF, VIH 0.75·3.3 V,
 * strap hold 1 ms): EN released at 102 ms crosses VIH at 115.863 ms; the
 * classic race's R0 comes at 134.795 ms, margin −18.932 ms, so the zoom
 * runs from before the release (t = 0) past 32.795 ms. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/plot.h"
#include "analyzers/slip.h"
#include "helpers.h"
#include "trace_fixture.h"

static const char esp32_flash[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 "
                                  "(SPI_FAST_FLASH_BOOT)\r\n";
static const double t_la_10k = 10.0 * 0.60613580; /* 10 ms · ln(3.3/1.8) */

struct run {
    struct fixture f;
    struct circuit c;
    struct board_model bm;
    struct analysis a;
};

static void classic_race(struct fixture *f)
{
    fix_init(f, 200);
    fix_edge(f, 1, CH_DTR, 0);
    fix_edge(f, 1, CH_RTS, 0);
    fix_edge(f, 2, CH_DTR, 1); /* D0: EN low */
    fix_edge(f, 2.001, CH_EN, 0);
    fix_edge(f, 102, CH_DTR, 0); /* D1: EN released */
    fix_edge(f, 102 + t_la_10k, CH_EN, 1);
    fix_edge(f, 134.795, CH_RTS, 1); /* R0, late: IO0 low */
    fix_edge(f, 134.795, CH_IO0, 0);
    fix_edge(f, 184.795, CH_DTR, 1);
    fix_edge(f, 184.795, CH_IO0, 1);
}

static void analyze(struct run *r, double en_c)
{
    r->c = fix_two_transistor();
    r->bm = fix_board(&r->c, 10e3, en_c);
    char why[200];
    cr_assert_eq(analyze_run(&r->f.tr, NULL, &r->bm, (const uint8_t *)esp32_flash, strlen(esp32_flash),
                             BOOT_DOWNLOAD, &r->a, why, sizeof why), 0, "%s", why);
}

/* Draws p into a fresh file and returns the SVG's text (free it). */
static char *draw(const struct timing_plot *p, size_t *len)
{
    char path[] = "/tmp/resetlab-zoom-XXXXXX.svg";
    int fd = mkstemps(path, 4);
    cr_assert(fd >= 0);
    close(fd);
    char err[256] = "";
    cr_assert_eq(plot_timing(path, p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(path);
    char *s = slurp(path, len);
    cr_assert(s != NULL && *len > 0);
    unlink(path);
    return s;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

Test(plot_zoom, classic_race_zooms_in_ms_onto_the_late_io0_edge)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, 1e-6);
    cr_assert(fabs(r.a.margin_ms + 18.932) < 0.001, "margin %f", r.a.margin_ms);
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5, .title = "classic"};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect(strstr(s, "time (ms) from EN release") != NULL, "no zoom axis in ms");
    cr_expect(strstr(s, "zoom: reset 1 of 1, the one whose strap margin decided the run") != NULL, "no zoom heading");
    cr_expect(strstr(s, "zoom below") != NULL, "the zoom's span is not shown on the overview");
    /* the IO0 edge 32.795 ms after the release is inside the zoom: its axis reaches 35 */
    cr_expect(strstr(s, ">35<") != NULL, "the zoom's axis stops before the IO0 edge");
    cr_expect_eq(count(s, "strap margin -18.93 ms"), 2, "one margin label (drawn boxed: twice), in the zoom");
    free(s);
}

/* τ = 100 µs: release to window end is 1.14 ms, so the zoom is in µs. */
Test(plot_zoom, a_fast_en_zooms_in_microseconds)
{
    struct run r;
    fix_init(&r.f, 200);
    fix_edge(&r.f, 1, CH_DTR, 0);
    fix_edge(&r.f, 1, CH_RTS, 0);
    fix_edge(&r.f, 2, CH_DTR, 1);
    fix_edge(&r.f, 2.001, CH_EN, 0);
    fix_edge(&r.f, 102, CH_DTR, 0);
    fix_edge(&r.f, 102, CH_RTS, 1);
    fix_edge(&r.f, 102.001, CH_IO0, 0);
    fix_edge(&r.f, 102 + 0.1 * 0.60613580, CH_EN, 1);
    fix_edge(&r.f, 152, CH_DTR, 1);
    fix_edge(&r.f, 152, CH_IO0, 1);
    analyze(&r, 10e-9);
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect(strstr(s, "time (µs) from EN release") != NULL, "the 1 ms zoom is not in µs");
    cr_expect(strstr(s, "time (ms) from EN release") == NULL);
    free(s);
}

static struct op_record op(double t_ms, double took_ms, const char *label)
{
    struct op_record o = {.t_before_ns = (int64_t)(t_ms * 1e6), .t_after_ns = (int64_t)((t_ms + took_ms) * 1e6)};
    snprintf(o.label, sizeof o.label, "%s", label);
    return o;
}

/* The ROM's banner from 116 ms and a SYNC reply frame at 132 ms, one
 * byte every 86.8 µs (115200 baud). */
static size_t rom_bytes(struct uart_byte *rx)
{
    size_t n = 0;
    for (const char *c = esp32_flash; *c; c++, n++)
        rx[n] = (struct uart_byte){116e6 + (double)n * 86.8e3, (uint8_t)*c};
    static const uint8_t reply[] = {SLIP_END, ESP_DIR_RESPONSE, ESP_SYNC, 4, 0, 0x12, 0x20, 0x55, 0x55, 0, 0, 0, 0,
                                    SLIP_END};
    for (size_t k = 0; k < sizeof reply; k++, n++)
        rx[n] = (struct uart_byte){132e6 + (double)k * 86.8e3, reply[k]};
    return n;
}

Test(plot_zoom, op_markers_and_the_uart_row)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, 1e-6);
    struct op_record ops[] = {op(0.9, 0.2, "O"), op(1, 0.1, "U1,1"), op(2, 0.1, "D0"), op(2.1, 99.8, "W0.1"),
                              op(102, 0.2, "D1"), op(134.795, 0.3, "R0"), op(190, 0.5, "C")};
    struct uart_byte rx[160];
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5,
                            .ops = ops, .n_ops = 7, .rx = rx, .n_rx = rom_bytes(rx)};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect(strstr(s, ">host ops<") != NULL, "no op row");
    cr_expect(strstr(s, ">O<") != NULL && strstr(s, ">R0<") != NULL && strstr(s, ">D1<") != NULL,
              "op labels missing");
    cr_expect(strstr(s, ">U1,1<") == NULL, "U1,1, 0.1 ms after O, runs into its label");
    cr_expect(strstr(s, "W0.1") == NULL, "a wait marked as an op");
    cr_expect(strstr(s, ">RX (UART)<") != NULL, "no UART row");
    cr_expect(strstr(s, ">ets Jun  8 2016 00:22:57<") != NULL, "the banner's first line is not in the UART row");
    cr_expect(strstr(s, ">SYNC reply<") != NULL, "the SLIP frame is not named");
    cr_expect(strstr(s, "rgb(251, 227, 204)") != NULL, "the SLIP frame is not a box");
    free(s);
    /* without them the rows are left out, and the same input draws the same bytes */
    p.ops = NULL;
    p.n_ops = 0;
    p.rx = NULL;
    p.n_rx = 0;
    char *a = draw(&p, &len), *b;
    size_t len_b;
    b = draw(&p, &len_b);
    cr_expect(strstr(a, "host ops") == NULL && strstr(a, "RX (UART)") == NULL);
    cr_assert(len == len_b && memcmp(a, b, len) == 0, "two drawings differ");
    free(a);
    free(b);
    p.n_ops = 3; /* counted but not given */
    char err[256] = "";
    cr_expect_eq(plot_timing("/tmp/resetlab-zoom-never.svg", &p, err, sizeof err), -1);
    cr_expect(strstr(err, "ops or UART bytes counted but not given") != NULL, "%s", err);
}

/* Seven attempts, as espflash's loop through a Windows VM: each reset's
 * line stays, but "chip leaves reset" is written at the deciding one only,
 * once in the overview and once in the zoom, and the SVG stays small. */
Test(plot_zoom, many_resets_label_the_deciding_one_and_stay_small)
{
    struct run r;
    fix_init(&r.f, 7200);
    fix_edge(&r.f, 1, CH_DTR, 0);
    fix_edge(&r.f, 1, CH_RTS, 0);
    for (int k = 0; k < 7; k++) {
        double t = 10 + 1000.0 * k;
        fix_edge(&r.f, t, CH_DTR, 1); /* EN low */
        fix_edge(&r.f, t + 0.001, CH_EN, 0);
        fix_edge(&r.f, t + 100, CH_DTR, 0); /* released */
        fix_edge(&r.f, t + 100 + t_la_10k, CH_EN, 1);
        fix_edge(&r.f, t + 130 + k, CH_RTS, 1); /* R0 late: IO0 low */
        fix_edge(&r.f, t + 130 + k, CH_IO0, 0);
        fix_edge(&r.f, t + 400, CH_RTS, 0);
        fix_edge(&r.f, t + 400, CH_IO0, 1);
    }
    analyze(&r, 1e-6);
    cr_assert_eq(r.a.n_resets, 7);
    struct op_record ops[200];
    for (int k = 0; k < 200; k++)
        ops[k] = op(5 + 35.0 * k, 2, "S");
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5, .ops = ops, .n_ops = 200};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect_eq(count(s, ">chip leaves reset<"), 2, "labels at every reset");
    cr_expect(strstr(s, "zoom: reset 7 of 7") != NULL, "the zoom is not on the last reset, whose margin is the run's");
    cr_expect(len < 80000, "%zu bytes", len);
    free(s);
}

/* No reset (a scenario that only opens and closes): the zoom is on the
 * close's line changes. */
Test(plot_zoom, a_run_without_resets_zooms_on_its_last_line_change)
{
    struct run r;
    fix_init(&r.f, 600);
    fix_edge(&r.f, 1, CH_DTR, 0);
    fix_edge(&r.f, 1, CH_RTS, 0);
    fix_edge(&r.f, 503, CH_RTS, 1); /* the close: RTS first, DTR 1.3 ms later */
    fix_edge(&r.f, 504.3, CH_DTR, 1);
    analyze(&r, 1e-6);
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect(strstr(s, "zoom: no reset; the last line change") != NULL, "no zoom on the close");
    cr_expect(strstr(s, "time (µs) from 503.000 ms") != NULL, "the zoom is not around 503 ms");
    free(s);
}

/* An ESP32-C3 on its USB-Serial/JTAG: the lanes say CHIP_PU and GPIO9, and
 * its DTR and RTS are USB line states, not pins. */
Test(plot_zoom, c3_lanes_use_the_chips_names_and_no_dtr_pin)
{
    struct run r;
    classic_race(&r.f);
    r.c = (struct circuit){.name = "usb-serial-jtag", .kind = CIRCUIT_USB_JTAG};
    r.bm = fix_board(&r.c, 10e3, 1e-6);
    snprintf(r.bm.chip.en_name, sizeof r.bm.chip.en_name, "CHIP_PU");
    snprintf(r.bm.chip.strap_name, sizeof r.bm.chip.strap_name, "GPIO9");
    struct timing_plot p = {.tr = &r.f.tr, .bm = &r.bm, .threshold_v = 1.5};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect(strstr(s, ">GPIO9 pin<") != NULL && strstr(s, ">CHIP_PU (V)<") != NULL, "not the chip's names");
    cr_expect(strstr(s, "DTR pin") == NULL && strstr(s, "RTS pin") == NULL, "pins the board does not have");
    cr_expect(strstr(s, ">DTR (USB)<") != NULL && strstr(s, ">1 = asserted<") != NULL);
    cr_expect(strstr(s, "IO0") == NULL && strstr(s, ">EN") == NULL, "the generic names");
    cr_expect(strstr(s, "from the USB reset") != NULL && strstr(s, "τ =") == NULL, "an EN release on a USB reset");
    free(s);
}

/* Windows' close: DTR's pin goes high 1.3 ms before RTS's, EN dips and the
 * chip resets, not asked for. The zoom holds the close call and says so. */
Test(plot_zoom, a_close_that_resets_is_zoomed_with_its_call)
{
    struct run r;
    fix_init(&r.f, 600);
    fix_edge(&r.f, 1, CH_DTR, 0); /* open: both asserted */
    fix_edge(&r.f, 1, CH_RTS, 0);
    fix_edge(&r.f, 503, CH_DTR, 1); /* the close: EN low */
    fix_edge(&r.f, 503.001, CH_EN, 0);
    fix_edge(&r.f, 504.3, CH_RTS, 1); /* EN released */
    fix_edge(&r.f, 504.3 + t_la_10k, CH_EN, 1);
    struct op_record ops[] = {op(0.5, 0.6, "O"), op(501.5, 3, "C")};
    ops[0].is_port_op = ops[1].is_port_op = 1;
    ops[1].index = 1;
    struct op_log log = {ops, 2};
    r.c = fix_two_transistor();
    r.bm = fix_board(&r.c, 10e3, 1e-6);
    char why[200];
    cr_assert_eq(analyze_run(&r.f.tr, &log, &r.bm, (const uint8_t *)esp32_flash, strlen(esp32_flash), BOOT_NONE,
                             &r.a, why, sizeof why), 0, "%s", why);
    cr_assert_eq(r.a.n_resets, 1);
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5, .ops = ops, .n_ops = 2};
    size_t len;
    char *s = draw(&p, &len);
    cr_expect(strstr(s, "not asked for: caused by C") != NULL, "the zoom does not name the close");
    cr_expect_eq(count(s, ">C<"), 2, "the close's marker is not in both panels");
    free(s);
}

/* A capture's RX line decoded again with each byte's time (the UART row of
 * a real board's diagram): the start bits at 1, 1.1 and 1.2 ms come back
 * within a sample (250 ns at 4 MS/s). */
Test(plot_zoom, uart_bytes_are_decoded_with_their_times)
{
    struct fixture f;
    fix_init(&f, 5);
    f.tr.present |= 1u << CH_RX;
    struct uart_byte sent[3] = {{1e6, 'e'}, {1.1e6, 't'}, {1.2e6, 's'}}, got[4];
    int64_t t[40];
    uint8_t level[40];
    int n = uart_encode(sent, 3, 115200, 250, t, level, 40);
    cr_assert(n > 0 && n < FIX_MAX);
    for (int i = 0; i < n; i++)
        trace_push(&f.tr, t[i], CH_RX, level[i]);
    cr_assert_eq(uart_decode_timed(&f.tr, 115200, got, 4), 3);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(got[i].value, sent[i].value);
        cr_expect(got[i].t_ns >= sent[i].t_ns && got[i].t_ns - sent[i].t_ns < 250, "byte %d at %.0f ns", i,
                  got[i].t_ns);
    }
}

/* Sampled EN, flat but for the release: points within half a pixel of the
 * last drawn are held back, so the overview's curve is a few dozen points,
 * not 1,400 (a noisy or flat EN made diagrams of 118 KB). */
Test(plot_zoom, flat_sampled_en_is_drawn_with_few_points)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, 1e-6);
    static float v[20000];
    for (int i = 0; i < 20000; i++) { /* 10 µs per sample */
        double t = i * 0.01;
        v[i] = (float)(t < 2.001 ? 3.3 : t < 102 ? 0 : 3.3 * (1 - exp(-(t - 102) / 10)));
    }
    r.f.tr.en_v = (struct analog){.v = v, .n = 20000, .cap = 20000, .t0_ns = 0, .period_ns = 1e4};
    struct timing_plot p = {.tr = &r.f.tr, .a = &r.a, .bm = &r.bm, .threshold_v = 1.5};
    size_t len;
    char *s = draw(&p, &len);
    const char *curve = strstr(s, "<title>EN sampled</title>");
    cr_assert_not_null(curve);
    const char *path = strstr(curve, "<path"); /* the legend's sample, then the curve */
    cr_assert_not_null(path);
    int points = 0;
    for (const char *q = path; *q && strncmp(q, "/>", 2) != 0; q++)
        points += *q == 'L';
    cr_expect(points > 20 && points < 400, "%d points", points);
    free(s);
}
