/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trend plots (reports/plot_trend.c, issue 24 item 3): zero stays in view,
 * the line a margin's pass or fail is read against. */
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
