/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Distributions (reports/plot_dist.c): the DTR/RTS gap per host as
 * histograms and CDFs, read against the board's EN release and strap
 * window (issue 24, item 3). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/plot.h"
#include "helpers.h"


static void check_distribution(int cdf)
{
    double native[N_GAPS], vm[N_GAPS];
    gap_samples(native, vm);
    struct plot_series s[3] = {{"native-linux", native, N_GAPS}, {"vm-usb-passthrough", vm, N_GAPS},
                               {"wsl-usbipd", NULL, 0}};
    char dir[] = "/tmp/resetlab-dist-XXXXXX", svg[64], png[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(svg, sizeof svg, "%s/d.svg", dir);
    snprintf(png, sizeof png, "%s/d.png", dir);
    char err[256];
    cr_assert_eq(plot_distribution(svg, s, 3, "DTR/RTS gap per host", "DTR/RTS gap (ms)", cdf, err, sizeof err), 0,
                 "%s", err);
    assert_valid_svg(svg);
    char *text = slurp(svg, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, ">native-linux (n = 200)<") != NULL, "legend: native-linux");
    cr_expect(strstr(text, ">vm-usb-passthrough (n = 199)<") != NULL, "legend: the NaN is not skipped");
    cr_expect(strstr(text, ">wsl-usbipd (no samples)<") != NULL, "legend: empty series");
    cr_expect(strstr(text, ">DTR/RTS gap per host<") != NULL);
    free(text);
    cr_assert_eq(plot_distribution(png, s, 3, "DTR/RTS gap per host", "DTR/RTS gap (ms)", cdf, err, sizeof err), 0,
                 "%s", err);
    remove_tree(dir);
    assert_no_leaks("plot_distribution");
}

Test(plot, histogram_per_host)
{
    check_distribution(0);
}

Test(plot, cdf_per_host)
{
    check_distribution(1);
}

/* The gap plots are read against the board's boundaries (issue 24, item
 * 3): EN's release as a dashed line, the strap window (13.863-14.863 ms on
 * an ESP32 with 10 kOhm and 1 uF) shaded, both in the legend; hosts past
 * the palette's 8 colours are drawn dashed, not in a colour already used. */
Test(plot, gap_plot_shows_the_strap_window_and_tells_hosts_apart)
{
    double native[N_GAPS], vm[N_GAPS];
    gap_samples(native, vm);
    struct plot_series s[9];
    for (int i = 0; i < 9; i++)
        s[i] = (struct plot_series){i == 8 ? "ninth-host" : "host", i % 2 ? vm : native, N_GAPS};
    char dir[] = "/tmp/resetlab-dist-XXXXXX", svg[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(svg, sizeof svg, "%s/marked.svg", dir);
    char err[256] = "";
    struct plot_batch *b = plot_batch_new(1, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    struct plot_marks m = {13.863, "EN release 13.863 ms", 13.863, 14.863, "strap window 13.863-14.863 ms"};
    int at = plot_batch_distribution_marked(b, svg, s, 9, "gap", "DTR/RTS gap (ms)", 1, &m, err, sizeof err);
    cr_assert_geq(at, 0, "%s", err);
    cr_assert_eq(plot_batch_run(b, err, sizeof err), 0, "%s", err);
    plot_batch_free(b);
    char *text = slurp(svg, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, ">EN release 13.863 ms<") != NULL, "no EN release line in the legend");
    cr_expect(strstr(text, ">strap window 13.863-14.863 ms<") != NULL, "no strap window in the legend");
    cr_expect(strstr(text, "fill = 'rgb(245, 166,  35)'") != NULL, "the strap window is not shaded");
    /* the first host's colour, solid (lt 1), then again dashed (the ninth, lt 1 with dt 2) */
    cr_expect(strstr(text, "<path stroke='rgb( 31, 119, 180)'  d=") != NULL, "the first host is not solid");
    cr_expect(strstr(text, "<path stroke='rgb( 31, 119, 180)' stroke-dasharray=") != NULL, "the ninth host is not dashed");
    free(text);
    remove_tree(dir);
}

Test(plot, distribution_without_samples)
{
    char dir[] = "/tmp/resetlab-dist-XXXXXX", svg[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(svg, sizeof svg, "%s/none.svg", dir);
    struct plot_series s = {"native-linux", NULL, 0};
    char err[256];
    cr_assert_eq(plot_distribution(svg, &s, 1, "nothing", "gap (ms)", 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(plot_distribution(svg, NULL, 0, "nothing", "gap (ms)", 1, err, sizeof err), 0, "%s", err);
    assert_valid_svg(svg);
    remove_tree(dir);
}
