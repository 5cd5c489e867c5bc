/* SPDX-License-Identifier: GPL-3.0-or-later */
/* reports/plot: timing diagrams, distributions and trends drawn by gnuplot.
 *
 * The board is a DevKitC as boards.yaml describes it: EN 10 kΩ / 1 µF,
 * VDD 3.3 V, and the esp32 chip's timing (chips.esp32: en_vih_frac 0.75,
 * strap_setup_ms 0, strap_hold_ms 1), so EN released at 102 ms crosses the
 * 1.5 V analyzer threshold at 102 + 10·ln(3.3/1.8) = 108.061 ms and VIH at
 * 102 + 10·ln 4 = 115.863 ms (en_release 13.863 ms). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/plot.h"
#include "helpers.h"
#include "trace_fixture.h"

static const char esp32_flash[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 "
                                  "(SPI_FAST_FLASH_BOOT)\r\n";
static const char esp32_download[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 "
                                     "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";

static const double t_la_10k = 10.0 * 0.60613580; /* 10 ms · ln(3.3/1.8) */

/* The title of the failing cell's worst run: '-' and '_' must stay literal
 * (enhanced text would subscript after '_'). */
static const char classic_title[] = "devkitc / vm-usb-passthrough / esptool-classic — worst_run #17 (margin -18.9 ms)";

/* esptool's classic reset through USB passthrough (docs/physics.md#classic-vs-tight): D1
 * releases EN at 102 ms, but R0 arrives 32.795 ms later, after the chip
 * left reset at 115.863 ms: IO0 falls outside the strap window, flash boot,
 * margin 115.863 − 134.795 = −18.932 ms. Pin levels: asserted = 0. */
static void classic_race(struct fixture *f)
{
    fix_init(f, 200);
    fix_edge(f, 1, CH_DTR, 0); /* open: (1,1) */
    fix_edge(f, 1, CH_RTS, 0);
    fix_edge(f, 2, CH_DTR, 1); /* D0: (0,1), EN driven low */
    fix_edge(f, 2.001, CH_EN, 0);
    fix_edge(f, 102, CH_DTR, 0); /* D1: (1,1), EN released */
    fix_edge(f, 102 + t_la_10k, CH_EN, 1);
    fix_edge(f, 134.795, CH_RTS, 1); /* R0, late: (1,0), IO0 low */
    fix_edge(f, 134.795, CH_IO0, 0);
    fix_edge(f, 184.795, CH_DTR, 1); /* D0: (0,0), IO0 released */
    fix_edge(f, 184.795, CH_IO0, 1);
}

/* UnixTightReset: each step one request, so EN's release and IO0's fall
 * coincide; IO0 is low 13.862 ms before the window opens. */
static void tight_reset(struct fixture *f)
{
    fix_init(f, 200);
    fix_edge(f, 1, CH_DTR, 0); /* U1,1 */
    fix_edge(f, 1, CH_RTS, 0);
    fix_edge(f, 2, CH_DTR, 1); /* U0,1: EN low */
    fix_edge(f, 2.001, CH_EN, 0);
    fix_edge(f, 102, CH_DTR, 0); /* U1,0: EN released, IO0 low */
    fix_edge(f, 102, CH_RTS, 1);
    fix_edge(f, 102.001, CH_IO0, 0);
    fix_edge(f, 102 + t_la_10k, CH_EN, 1);
    fix_edge(f, 152, CH_DTR, 1); /* U0,0 */
    fix_edge(f, 152, CH_IO0, 1);
}

struct run {
    struct fixture f;
    struct circuit c;
    struct board_model bm;
    struct analysis a;
};

static void analyze(struct run *r, const char *uart)
{
    r->c = fix_two_transistor();
    r->bm = fix_board(&r->c, 10e3, 1e-6); /* esp32 timing: vih 0.75, setup 0 ms, hold 1 ms */
    char why[200];
    cr_assert_eq(analyze_run(&r->f.tr, NULL, &r->bm, (const uint8_t *)uart, strlen(uart), BOOT_DOWNLOAD, &r->a, why,
                             sizeof why), 0, "%s", why);
}

static struct timing_plot timing_of(const struct run *r, const char *title)
{
    return (struct timing_plot){.tr = &r->f.tr, .a = &r->a, .bm = &r->bm, .threshold_v = 1.5, .title = title};
}

/* A fresh directory for a test's plots. */
static const char *out_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/resetlab-plot-test-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    return dir;
}

static const char *out_file(const char *dir, const char *name)
{
    static char path[4][128];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static char *slurp_plot(const char *path, size_t *len)
{
    char *s = slurp(path, len);
    cr_assert(s != NULL, "%s was not written", path);
    cr_assert(*len > 0, "%s is empty", path);
    return s;
}

static void assert_one_line(const char *err, const char *want)
{
    cr_assert(strchr(err, '\n') == NULL, "not one line: %s", err);
    cr_assert(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
}

/* ---- timing diagrams ---- */

Test(plot, classic_race_svg_has_lanes_title_window_and_margin)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    cr_assert(fabs(r.a.margin_ms + 18.932) < 0.001, "margin %f", r.a.margin_ms);
    const char *dir = out_dir(), *svg = out_file(dir, "classic.svg");
    struct timing_plot p = timing_of(&r, classic_title);
    char err[256] = "";
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_assert(strstr(s, "<svg") != NULL);
    const char *lanes[] = {">DTR pin<", ">RTS pin<", ">EN (V)<", ">IO0 pin<"};
    for (int i = 0; i < 4; i++)
        cr_expect(strstr(s, lanes[i]) != NULL, "lane label %s missing", lanes[i]);
    cr_expect(strstr(s, classic_title) != NULL, "title not literal");
    /* The strap window: a translucent polygon in the shading colour. */
    cr_expect(strstr(s, "fill = 'rgb(245, 166,  35)' fill-opacity = '0.250000'") != NULL, "no shaded window");
    cr_expect(strstr(s, ">chip leaves reset<") != NULL);
    cr_expect(strstr(s, ">strap margin -18.93 ms<") != NULL, "margin label missing");
    cr_expect(strstr(s, ">EN, RC model<") != NULL, "no modelled EN curve");
    cr_expect(strstr(s, " = 2.475 V") != NULL, "VIH line not labelled 'chip V_IH = 2.475 V'");
    cr_expect(strstr(s, "threshold 1.5 V") != NULL, "threshold line not labelled");
    /* The automatic window runs past the late IO0 fall (134.795 ms). */
    cr_expect(strstr(s, ">140<") != NULL, "the x axis stops before the late IO0 edge");
    free(s);
    remove_dir(dir);
    assert_no_leaks("plot_timing");
}

/* The worst run of devkitc / wsl-usbipd / esptool-classic-slow: R0 comes
 * 125 ms after the chip left reset (115.863 ms), so IO0 falls at 240.863 ms,
 * far past the strap window. The diagram still reaches that edge (its
 * deciding event) and labels the margin (issue 24). */
Test(plot, a_far_late_io0_edge_stays_in_the_diagram)
{
    struct run r;
    fix_init(&r.f, 400);
    fix_edge(&r.f, 1, CH_DTR, 0);
    fix_edge(&r.f, 1, CH_RTS, 0);
    fix_edge(&r.f, 2, CH_DTR, 1);
    fix_edge(&r.f, 2.001, CH_EN, 0);
    fix_edge(&r.f, 102, CH_DTR, 0);
    fix_edge(&r.f, 102 + t_la_10k, CH_EN, 1);
    fix_edge(&r.f, 240.863, CH_RTS, 1); /* R0, 125 ms late */
    fix_edge(&r.f, 240.863, CH_IO0, 0);
    fix_edge(&r.f, 290.863, CH_DTR, 1);
    fix_edge(&r.f, 290.863, CH_IO0, 1);
    analyze(&r, esp32_flash);
    cr_assert(fabs(r.a.margin_ms + 125.0) < 0.001, "margin %f", r.a.margin_ms);
    const char *dir = out_dir(), *svg = out_file(dir, "late.svg");
    struct timing_plot p = timing_of(&r, "late IO0");
    char err[256] = "";
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">strap margin -125.00 ms<") != NULL, "margin label missing");
    cr_expect(strstr(s, ">250<") != NULL, "the x axis stops before the IO0 edge at 240.9 ms");
    free(s);
    remove_dir(dir);
}

/* A 10 nF EN capacitor (τ = 100 µs): the lane says "τ = 100 µs", not
 * "τ = 0.10 ms" (units follow magnitude). */
Test(plot, a_fast_en_says_tau_in_microseconds)
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
    fix_edge(&r.f, 102 + 0.1 * 0.60613580, CH_EN, 1); /* 0.1 ms · ln(3.3/1.8) */
    r.c = fix_two_transistor();
    r.bm = fix_board(&r.c, 10e3, 10e-9);
    char why[200];
    cr_assert_eq(analyze_run(&r.f.tr, NULL, &r.bm, (const uint8_t *)esp32_download, strlen(esp32_download),
                             BOOT_DOWNLOAD, &r.a, why, sizeof why), 0, "%s", why);
    const char *dir = out_dir(), *svg = out_file(dir, "fast.svg");
    struct timing_plot p = timing_of(&r, "fast EN");
    char err[256] = "";
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, "τ = 100 µs") != NULL, "no 'τ = 100 µs' label");
    cr_expect(strstr(s, "τ = 0.10 ms") == NULL, "τ in ms below 1 ms");
    free(s);
    remove_dir(dir);
}

Test(plot, timing_svg_is_deterministic)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    const char *dir = out_dir(), *a = out_file(dir, "a.svg"), *b = out_file(dir, "b.svg");
    struct timing_plot p = timing_of(&r, classic_title);
    char err[256];
    cr_assert_eq(plot_timing(a, &p, err, sizeof err), 0, "%s", err);
    cr_assert_eq(plot_timing(b, &p, err, sizeof err), 0, "%s", err);
    size_t la, lb;
    char *sa = slurp_plot(a, &la), *sb = slurp_plot(b, &lb);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(sa, sb, la) == 0, "two runs differ");
    free(sa);
    free(sb);
    remove_dir(dir);
}

Test(plot, timing_png)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    const char *dir = out_dir(), *png = out_file(dir, "classic.png");
    struct timing_plot p = timing_of(&r, classic_title);
    char err[256];
    cr_assert_eq(plot_timing(png, &p, err, sizeof err), 0, "%s", err);
    size_t len;
    char *s = slurp_plot(png, &len);
    cr_assert(len > 8 && memcmp(s, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
    free(s);
    remove_dir(dir);
}

Test(plot, passing_tight_reset_shows_a_positive_margin)
{
    struct run r;
    tight_reset(&r.f);
    analyze(&r, esp32_download);
    cr_assert(fabs(r.a.margin_ms - 13.862) < 0.002, "margin %f", r.a.margin_ms);
    const char *dir = out_dir(), *svg = out_file(dir, "tight.svg");
    struct timing_plot p = timing_of(&r, "devkitc / native-linux / esptool-tight — typical run");
    char err[256];
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">strap margin +13.86 ms<") != NULL, "margin label missing");
    free(s);
    remove_dir(dir);
}

/* Sampled EN replaces the model; without an analysis the model and the
 * strap window come from EN's edges and R·C. */
Test(plot, analog_en_and_no_analysis)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    float v[2000];
    for (int i = 0; i < 2000; i++) { /* 0.1 ms per sample from 0 */
        double t = i * 0.1;
        v[i] = (float)(t < 2.001 ? 3.3 : t < 102 ? 0 : 3.3 * (1 - exp(-(t - 102) / 10)));
    }
    r.f.tr.en_v = (struct analog){.v = v, .n = 2000, .cap = 2000, .t0_ns = 0, .period_ns = 1e5};
    const char *dir = out_dir(), *svg = out_file(dir, "analog.svg");
    struct timing_plot p = timing_of(&r, "analog");
    char err[256];
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">EN sampled<") != NULL);
    free(s);

    r.f.tr.en_v.n = 0;
    p.a = NULL;
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">EN, RC model<") != NULL);
    cr_expect(strstr(s, "fill-opacity = '0.250000'") != NULL, "no strap window from the EN edges");
    cr_expect(strstr(s, "strap margin") == NULL, "a margin without an analysis");
    free(s);
    remove_dir(dir);
}

/* Quotes, control characters and enhanced-text markup reach the picture as
 * typed (XML-escaped), and do not break gnuplot's command. */
Test(plot, title_is_escaped_for_gnuplot_and_enhanced_text)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    const char *dir = out_dir(), *svg = out_file(dir, "t.svg");
    struct timing_plot p = timing_of(&r, "it's a_b^c {d} @e & <f>\n; set output '/tmp/x'\x01");
    char err[256];
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, "it's a_b^c {d} @e &amp; &lt;f>; set output '/tmp/x'") != NULL, "title not literal");
    free(s);
    remove_dir(dir);
}

/* An empty capture: four empty lanes over 0..t_end, not an error; a
 * capture without channels says so in each lane. */
Test(plot, empty_trace_gives_empty_lanes)
{
    struct fixture f;
    fix_init(&f, 50);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    const char *dir = out_dir(), *svg = out_file(dir, "empty.svg");
    struct timing_plot p = {.tr = &f.tr, .bm = &bm, .threshold_v = 1.5};
    char err[256];
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">IO0 pin<") != NULL);
    free(s);

    f.tr.present = 0;
    f.tr.t_end_ns = 0;
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">not captured<") != NULL);
    free(s);
    remove_dir(dir);
    assert_no_leaks("plot_timing on an empty trace");
}

Test(plot, explicit_window)
{
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    const char *dir = out_dir(), *svg = out_file(dir, "w.svg");
    struct timing_plot p = timing_of(&r, "window");
    p.t_from_ns = 100000000;
    p.t_to_ns = 120000000;
    char err[256];
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), 0, "%s", err);
    size_t len;
    char *s = slurp_plot(svg, &len);
    cr_expect(strstr(s, ">100<") != NULL && strstr(s, ">120<") != NULL, "axis not 100..120 ms");
    free(s);
    p.t_to_ns = p.t_from_ns;
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), -1);
    assert_one_line(err, "empty time window");
    remove_dir(dir);
}

/* ---- trends (distributions: test_plot_dist.c) ---- */

Test(plot, trend_with_a_gap)
{
    double rate[12], margin[12];
    for (int i = 0; i < 12; i++) {
        rate[i] = i % 5 == 3 ? 95 : 100;
        margin[i] = -18 + i * 0.5;
    }
    rate[4] = NAN; /* a session that did not run this cell */
    margin[4] = margin[5] = NAN;
    struct plot_series s[2] = {{"devkitc / native-linux / esptool-classic", rate, 12},
                               {"devkitc / vm-usb-passthrough / esptool-classic", margin, 12}};
    const char *dir = out_dir(), *svg = out_file(dir, "trend.svg");
    char err[256];
    cr_assert_eq(plot_trend(svg, s, 2, "last 12 sessions", "pass rate (%)", err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    size_t len;
    char *text = slurp_plot(svg, &len);
    cr_expect(strstr(text, ">devkitc / native-linux / esptool-classic<") != NULL);
    cr_expect(strstr(text, ">devkitc / vm-usb-passthrough / esptool-classic<") != NULL);
    free(text);
    remove_dir(dir);
    assert_no_leaks("plot_trend");
}

/* ---- errors ---- */

Test(plot, missing_gnuplot_is_one_line)
{
    setenv("RESETLAB_GNUPLOT", "/nonexistent/gnuplot", 1);
    struct run r;
    classic_race(&r.f);
    analyze(&r, esp32_flash);
    const char *dir = out_dir(), *svg = out_file(dir, "x.svg");
    struct timing_plot p = timing_of(&r, "x");
    char err[256] = "";
    cr_assert_eq(plot_timing(svg, &p, err, sizeof err), -1);
    assert_one_line(err, "gnuplot not found");
    cr_expect(strstr(err, "apt-get install gnuplot-nox") != NULL, "%s", err);
    struct stat st;
    cr_expect(stat(svg, &st) != 0, "the empty output was left behind");
    double x[1] = {1};
    struct plot_series s = {"a", x, 1};
    cr_assert_eq(plot_trend(svg, &s, 1, "t", "y", err, sizeof err), -1);
    assert_one_line(err, "gnuplot");
    remove_dir(dir);
    assert_no_leaks("a failed plot");
}

Test(plot, failing_gnuplot_is_one_line)
{
    setenv("RESETLAB_GNUPLOT", "false", 1);
    const char *dir = out_dir(), *svg = out_file(dir, "x.svg");
    double x[1] = {1};
    struct plot_series s = {"a", x, 1};
    char err[256] = "";
    cr_assert_eq(plot_distribution(svg, &s, 1, "t", "x", 0, err, sizeof err), -1);
    assert_one_line(err, "gnuplot failed (exit 1)");
    remove_dir(dir);
}

Test(plot, unwritable_output_is_one_line)
{
    double x[1] = {1};
    struct plot_series s = {"a", x, 1};
    char err[256] = "";
    cr_assert_eq(plot_distribution("/nonexistent-dir/gap.svg", &s, 1, "t", "x", 0, err, sizeof err), -1);
    assert_one_line(err, "/nonexistent-dir/gap.svg");
    cr_expect(strstr(err, "No such file or directory") != NULL, "%s", err);
    cr_assert_eq(plot_distribution("/tmp/gap.pdf", &s, 1, "t", "x", 0, err, sizeof err), -1);
    assert_one_line(err, ".svg or .png");
    assert_no_leaks("a failed plot");
}

/* ---- batches ---- */

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *sa = slurp_plot(a, &la), *sb = slurp_plot(b, &lb);
    cr_assert(la == lb && memcmp(sa, sb, la) == 0, "%s and %s differ", a, b);
    free(sa);
    free(sb);
}

/* A plot's bytes do not depend on the plots drawn before it in the same
 * gnuplot process: each starts from a reset, after a throwaway first page. */
Test(plot, batch_draws_the_same_bytes_as_single_plots)
{
    struct run classic, tight;
    classic_race(&classic.f);
    analyze(&classic, esp32_flash);
    tight_reset(&tight.f);
    analyze(&tight, esp32_download);
    double native[N_GAPS], vm[N_GAPS], rate[3] = {100, 35, NAN};
    gap_samples(native, vm);
    struct plot_series gaps[2] = {{"native-linux", native, N_GAPS}, {"vm-usb-passthrough", vm, N_GAPS}};
    struct plot_series trend = {"devkitc / vm-usb-passthrough / esptool-classic", rate, 3};
    struct timing_plot pc = timing_of(&classic, classic_title), pt = timing_of(&tight, "tight");
    const char *dir = out_dir();
    char err[256] = "";
    struct plot_batch *b = plot_batch_new(2, err, sizeof err);
    cr_assert(b != NULL, "%s", err);
    cr_assert_eq(plot_batch_timing(b, out_file(dir, "b-classic.svg"), &pc, err, sizeof err), 0, "%s", err);
    cr_assert_eq(plot_batch_distribution(b, out_file(dir, "b-hist.svg"), gaps, 2, "gap", "ms", 0, err, sizeof err), 1);
    cr_assert_eq(plot_batch_trend(b, out_file(dir, "b-trend.svg"), &trend, 1, "trend", "%", err, sizeof err), 2);
    cr_assert_eq(plot_batch_timing(b, out_file(dir, "b-tight.svg"), &pt, err, sizeof err), 3);
    cr_assert_eq(plot_batch_run(b, err, sizeof err), 0, "%s", err);
    for (int k = 0; k < 4; k++)
        cr_expect_null(plot_batch_error(b, k), "plot %d: %s", k, plot_batch_error(b, k));
    plot_batch_free(b);
    cr_assert_eq(plot_timing(out_file(dir, "classic.svg"), &pc, err, sizeof err), 0, "%s", err);
    cr_assert_eq(plot_distribution(out_file(dir, "hist.svg"), gaps, 2, "gap", "ms", 0, err, sizeof err), 0);
    cr_assert_eq(plot_trend(out_file(dir, "trend.svg"), &trend, 1, "trend", "%", err, sizeof err), 0);
    cr_assert_eq(plot_timing(out_file(dir, "tight.svg"), &pt, err, sizeof err), 0);
    const char *names[] = {"classic", "hist", "trend", "tight"};
    for (int k = 0; k < 4; k++) {
        char single[32], batched[32];
        snprintf(single, sizeof single, "%s.svg", names[k]);
        snprintf(batched, sizeof batched, "b-%s.svg", names[k]);
        char a[128], c[128];
        snprintf(a, sizeof a, "%s", out_file(dir, single));
        snprintf(c, sizeof c, "%s", out_file(dir, batched));
        assert_valid_svg(c);
        assert_same_file(a, c);
    }
    remove_dir(dir);
    assert_no_leaks("a plot batch");
}

/* gnuplot goes on after a plot fails: the plot after it is drawn, and the
 * failure is that plot's, with gnuplot's reason. */
Test(plot, batch_failure_is_the_plots_own)
{
    double x[3] = {1, 2, 3};
    struct plot_series s = {"a", x, 3};
    const char *dir = out_dir();
    char gone[128], lost[160], kept[160], err[256] = "";
    snprintf(gone, sizeof gone, "%s/gone", dir);
    cr_assert_eq(mkdir(gone, 0777), 0);
    snprintf(lost, sizeof lost, "%s/a.svg", gone);
    snprintf(kept, sizeof kept, "%s/b.svg", dir);
    struct plot_batch *b = plot_batch_new(1, err, sizeof err);
    cr_assert(b != NULL, "%s", err);
    cr_assert_eq(plot_batch_distribution(b, lost, &s, 1, "t", "x", 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(plot_batch_distribution(b, kept, &s, 1, "t", "x", 1, err, sizeof err), 1, "%s", err);
    cr_assert_eq(plot_batch_distribution(b, "/nonexistent-dir/c.svg", &s, 1, "t", "x", 1, err, sizeof err), -1);
    assert_one_line(err, "/nonexistent-dir/c.svg");
    cr_assert_eq(unlink(lost), 0);
    cr_assert_eq(rmdir(gone), 0); /* gnuplot cannot open a.svg now */
    cr_assert_eq(plot_batch_run(b, err, sizeof err), -1);
    assert_one_line(err, "a.svg");
    const char *why = plot_batch_error(b, 0);
    cr_assert(why != NULL);
    assert_one_line(why, "No such file or directory");
    cr_expect_null(plot_batch_error(b, 1), "%s", plot_batch_error(b, 1));
    assert_valid_svg(kept);
    cr_assert_eq(plot_batch_run(b, err, sizeof err), -1, "a batch is drawn once");
    plot_batch_free(b);
    remove_dir(dir);
    assert_no_leaks("a failing plot batch");
}

Test(plot, batch_without_gnuplot_fails_every_plot)
{
    setenv("RESETLAB_GNUPLOT", "/nonexistent/gnuplot", 1);
    double x[1] = {1};
    struct plot_series s = {"a", x, 1};
    const char *dir = out_dir();
    char err[256] = "";
    struct plot_batch *b = plot_batch_new(0, err, sizeof err);
    cr_assert(b != NULL, "%s", err);
    for (int k = 0; k < 5; k++)
        cr_assert_eq(plot_batch_trend(b, out_file(dir, k % 2 ? "a.svg" : "b.svg"), &s, 1, "t", "y", err, sizeof err), k);
    cr_assert_eq(plot_batch_run(b, err, sizeof err), -1);
    assert_one_line(err, "gnuplot not found");
    for (int k = 0; k < 5; k++)
        cr_expect(plot_batch_error(b, k) != NULL && strstr(plot_batch_error(b, k), "gnuplot not found"));
    struct stat st;
    cr_expect(stat(out_file(dir, "a.svg"), &st) != 0, "the empty output was left behind");
    plot_batch_free(b);
    remove_dir(dir);
}
