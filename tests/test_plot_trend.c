/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trend plots (reports/plot_trend.c, issue 24 item 3): zero stays in view,
 * the line a margin's pass or fail is read against; sessions are labelled
 * by number and day. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/plot.h"
#include "helpers.h"

/* Margins all well above zero still show zero: the y axis of 100-150 ms
 * margins runs from 0 (gnuplot writes its y ticks " 0", " 20" ...). */
Test(plot_trend, zero_stays_in_view)
{
    char dir[] = "/tmp/resetlab-trend-XXXXXX", svg[64], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(svg, sizeof svg, "%s/trend.svg", dir);
    double margin[6] = {100, 110, 120, 130, 140, 150};
    struct plot_series s[1] = {{"devkitc / native-linux / esptool-tight", margin, 6}};
    cr_assert_eq(plot_trend(svg, s, 1, "margins", "strap margin (ms)", err, sizeof err), 0, "%s", err);
    char *text = slurp(svg, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "> 0<") != NULL && strstr(text, "> 20<") != NULL, "zero is not in the y range");
    free(text);
    remove_tree(dir);
}

/* Sessions on the x axis by their number and UTC day, not 0, 1, 2 ...; 30
 * sessions get every second label (at most ~15). */
Test(plot_trend, sessions_are_labelled_by_number_and_day)
{
    char dir[] = "/tmp/resetlab-trend-XXXXXX", svg[64], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(svg, sizeof svg, "%s/trend.svg", dir);
    enum { N = 30 };
    double rate[N];
    char label[N][32];
    const char *labels[N];
    for (int i = 0; i < N; i++) {
        rate[i] = 90 + i % 7;
        snprintf(label[i], sizeof label[i], "#%d 11-%02d", 40 + i, 1 + i);
        labels[i] = label[i];
    }
    struct plot_series s[1] = {{"devkitc / native-linux / esptool-classic", rate, N}};
    struct plot_batch *b = plot_batch_new(1, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    cr_assert_geq(plot_batch_trend_labelled(b, svg, s, 1, labels, "rates", "pass rate (%)", err, sizeof err), 0, "%s", err);
    cr_assert_eq(plot_batch_run(b, err, sizeof err), 0, "%s", err);
    plot_batch_free(b);
    char *text = slurp(svg, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, ">#40 11-01<") && strstr(text, ">#42 11-03<") && strstr(text, ">#68 11-29<"),
              "the sessions are not labelled");
    cr_expect_null(strstr(text, ">#41 11-02<"), "30 sessions: every second is labelled");
    cr_expect(strstr(text, "session (number, UTC day it began)"), "no x label");
    free(text);
    remove_tree(dir);
}
