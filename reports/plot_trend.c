/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trends over sessions (plot.h's plot_trend): a value per session and
 * series, lines with points, breaks where a session has no data, as
 * gnuplot commands queued on a batch.
 * May call: plot.c (the batch, text quoting, the series plots' frame),
 * libc, libm. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"

/* ---------------------------------------------------------------- trend -- */

struct trend_ctx {
    const struct plot_series *series;
    int n_series;
    const char *title, *ylabel;
    const char *const *labels; /* a label per session ("#12 12-05"), or NULL: the index */
};

/* One series as "session value" lines; a blank line for NaN, which gnuplot
 * draws as a break in the line rather than bridging a session without data
 * (one: two blank lines would start a new data set). */
static void put_trend_series(FILE *f, int index, const struct plot_series *s)
{
    fprintf(f, "$S%d << EOD\n", index);
    int broken = 1;
    for (int i = 0; i < s->n; i++) {
        if (isfinite(s->x[i]))
            fprintf(f, "%d %.9g\n", i, s->x[i]);
        else if (!broken)
            fputc('\n', f);
        broken = !isfinite(s->x[i]);
    }
    fputs("EOD\n", f);
}

/* The legend under the plot, in as many columns as the longest name allows
 * in ~130 characters of width. gnuplot does not reserve the rows of a key
 * below the plot and writes the x label over them, so the bottom margin is
 * set here. */
static void put_trend_key(FILE *f, const struct trend_ctx *t)
{
    size_t longest = 0;
    for (int s = 0; s < t->n_series; s++) {
        size_t len = t->series[s].name ? strlen(t->series[s].name) + 10 : 11; /* + " (no data)" */
        longest = len > longest ? len : longest;
    }
    int cols = (int)(130 / (longest + 6));
    cols = cols < 1 ? 1 : cols > 4 ? 4 : cols;
    int rows = (t->n_series + cols - 1) / cols;
    fprintf(f, "set key below left Left reverse samplen 2 spacing 1.1 maxcols %d\nset bmargin %d\n", cols,
            5 + (rows > 0 ? rows : 1));
}

static void trend_ranges(FILE *f, const struct trend_ctx *t)
{
    int sessions = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < t->n_series; s++) {
        const struct plot_series *ser = &t->series[s];
        sessions = ser->n > sessions ? ser->n : sessions;
        for (int i = 0; i < ser->n; i++)
            if (isfinite(ser->x[i])) {
                lo = fmin(lo, ser->x[i]);
                hi = fmax(hi, ser->x[i]);
            }
    }
    if (t->labels) { /* each session by its number and day; at most ~15 labels, so they stay readable */
        int step = sessions <= 15 ? 1 : (sessions + 14) / 15;
        fprintf(f, "set xrange [-0.5:%.1f]\nset xtics rotate by -30 (", sessions > 0 ? sessions - 0.5 : 0.5);
        for (int i = 0; i < sessions; i += step) {
            fputs(i > 0 ? ", " : "", f);
            plot_put_text(f, t->labels[i]);
            fprintf(f, " %d", i);
        }
        fputs(")\nunset mxtics\n", f);
    } else
        fprintf(f, "set xrange [-0.5:%.1f]\nset xtics %d format '%%.0f'\nset mxtics %d\n",
                sessions > 0 ? sessions - 0.5 : 0.5, sessions <= 15 ? 1 : 5, sessions <= 15 ? 1 : 5);
    if (lo > hi) {
        fputs("set yrange [0:1]\nset label 1 'no data' at graph 0.5, graph 0.5 center tc rgb '#777777'\n", f);
        return;
    }
    lo = fmin(lo, 0), hi = fmax(hi, 0); /* zero stays in view: a margin's pass/fail line, a rate's floor */
    double pad = hi > lo ? (hi - lo) * 0.06 : 1;
    fprintf(f, "set yrange [%.9g:%.9g]\n", lo - pad, hi + pad);
    fputs("set arrow 9 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#444444' lw 1 dt 2 back\n", f);
}

static int trend_body(FILE *f, const void *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    const struct trend_ctx *t = ctx;
    plot_put_common(f, t->title, t->labels ? "session (number, UTC day it began)" : "session", t->ylabel);
    /* Cell names are long ("devkitc / vm-usb-passthrough / esptool-classic"):
     * a legend at the side would squeeze the sessions into half the width. */
    put_trend_key(f, t);
    trend_ranges(f, t);
    for (int s = 0; s < t->n_series; s++)
        put_trend_series(f, s, &t->series[s]);
    fputs("plot ", f);
    for (int s = 0; s < t->n_series; s++) {
        int n = plot_count_finite(&t->series[s]), lt = s % PLOT_PALETTE_N + 1;
        fputs(s > 0 ? ", " : "", f);
        const char *name = t->series[s].name ? t->series[s].name : "?";
        /* past the palette's colours, a series is told apart by a dashed
         * line and square points */
        int again = s >= PLOT_PALETTE_N;
        if (n > 0) {
            fprintf(f, "$S%d with linespoints lt %d lw 1.5 dt %d pt %d ps 0.7 title ", s, lt, again ? 2 : 1,
                    again ? 5 : 7);
            plot_put_text(f, name);
        } else {
            fprintf(f, "NaN with linespoints lt %d title ", lt);
            plot_put_textf(f, "%s (no data)", name);
        }
        fputs(" noenhanced", f);
    }
    fputs(t->n_series == 0 ? "NaN notitle\n" : "\n", f);
    return 0;
}

int plot_batch_trend(struct plot_batch *b, const char *out_path, const struct plot_series *series, int n_series,
                     const char *title, const char *ylabel, char *err, size_t err_len)
{
    return plot_batch_trend_labelled(b, out_path, series, n_series, NULL, title, ylabel, err, err_len);
}

int plot_batch_trend_labelled(struct plot_batch *b, const char *out_path, const struct plot_series *series,
                              int n_series, const char *const *labels, const char *title, const char *ylabel,
                              char *err, size_t err_len)
{
    if (plot_check_series("plot_trend", series, n_series, err, err_len) < 0)
        return -1;
    struct trend_ctx t = {.series = series, .n_series = n_series, .title = title, .ylabel = ylabel, .labels = labels};
    return plot_batch_add(b, out_path, trend_body, &t, err, err_len);
}

int plot_trend(const char *out_path, const struct plot_series *series, int n_series, const char *title,
               const char *ylabel, char *err, size_t err_len)
{
    struct plot_batch *b = plot_batch_new(1, err, err_len);
    return plot_draw_alone(b, b ? plot_batch_trend(b, out_path, series, n_series, title, ylabel, err, err_len) : -1,
                           err, err_len);
}
