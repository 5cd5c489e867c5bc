/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Distributions (plot.h's plot_distribution): histograms over shared bins
 * (Freedman–Diaconis, a log axis for wide spreads) or empirical CDFs, one
 * series per host, as gnuplot commands queued on a batch.
 * May call: plot.c (the batch, text quoting, the series plots' frame),
 * libc, libm. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plot_internal.h"

/* -------------------------------------------------------- distributions -- */

struct pooled {
    double *v; /* finite samples of every series, transformed, sorted */
    int n;
    int log_x; /* every sample positive and spanning a factor of 50 or more */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Finite samples of all series, ascending; NULL on allocation failure. */
static double *sorted_finite(const struct plot_series *series, int n_series, int *n)
{
    int total = 0;
    for (int s = 0; s < n_series; s++)
        total += plot_count_finite(&series[s]);
    double *v = malloc(sizeof *v * (size_t)(total > 0 ? total : 1));
    if (v == NULL)
        return NULL;
    *n = 0;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; series[s].x && i < series[s].n; i++)
            if (isfinite(series[s].x[i]))
                v[(*n)++] = series[s].x[i];
    qsort(v, (size_t)*n, sizeof *v, cmp_double);
    return v;
}

static int pool(const struct plot_series *series, int n_series, struct pooled *p)
{
    p->v = sorted_finite(series, n_series, &p->n);
    if (p->v == NULL)
        return -1;
    p->log_x = p->n > 0 && p->v[0] > 0 && p->v[p->n - 1] / p->v[0] >= 50;
    if (p->log_x)
        for (int i = 0; i < p->n; i++)
            p->v[i] = log10(p->v[i]);
    return 0;
}

static double to_axis(const struct pooled *p, double v)
{
    return p->log_x ? log10(v) : v;
}

static double from_axis(const struct pooled *p, double u)
{
    return p->log_x ? pow(10, u) : u;
}

/* Quantile of sorted values, linear between order statistics (R type 7). */
static double quantile(const double *v, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    int hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

struct bins {
    double lo, width; /* on the axis scale (log10 when log_x) */
    int n;
};

/* Freedman–Diaconis width 2·IQR·n^(−1/3) of one series on the axis
 * scale; 0 when it has too few distinct samples; -1 when out of memory. */
static double fd_width(const struct plot_series *s, const struct pooled *p)
{
    int n = 0;
    double *v = sorted_finite(s, 1, &n);
    if (v == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        v[i] = to_axis(p, v[i]);
    double h = n >= 2 ? 2 * (quantile(v, n, 0.75) - quantile(v, n, 0.25)) / cbrt((double)n) : 0;
    free(v);
    return h;
}

/* The narrowest series' Freedman–Diaconis width (robust to the rare spikes
 * of USB latency); the pooled samples' would be the spread *between* hosts
 * and lump a tight host into one bar. 8 to 60 bins over the joint range. */
static int choose_bins(const struct plot_series *series, int n_series, const struct pooled *p, struct bins *out)
{
    if (p->n == 0) {
        *out = (struct bins){.lo = 0, .width = 1, .n = 1};
        return 0;
    }
    double lo = p->v[0], range = p->v[p->n - 1] - lo;
    if (!(range > 0)) { /* every sample equal: one bin around it */
        double half = p->log_x ? 0.5 : fabs(lo) > 0 ? fabs(lo) * 0.1 : 0.5;
        *out = (struct bins){.lo = lo - half, .width = 2 * half, .n = 1};
        return 0;
    }
    double h = INFINITY;
    for (int s = 0; s < n_series; s++) {
        double w = fd_width(&series[s], p);
        if (w < 0)
            return -1;
        h = w > 0 ? fmin(h, w) : h;
    }
    int n = isfinite(h) ? (int)ceil(range / h) : 20;
    n = n < 8 ? 8 : n > 60 ? 60 : n;
    *out = (struct bins){.lo = lo, .width = range / n, .n = n};
    return 0;
}

static int bin_of(const struct bins *b, double u)
{
    int k = (int)floor((u - b->lo) / b->width);
    return k < 0 ? 0 : k >= b->n ? b->n - 1 : k; /* the maximum closes the last bin */
}

/* The outline of one series' histogram, in fractions of its samples. */
static int put_histogram(FILE *f, int index, const struct plot_series *s, const struct pooled *p,
                         const struct bins *b, double *max_frac)
{
    int *count = calloc((size_t)b->n, sizeof *count);
    if (count == NULL)
        return -1;
    int n = plot_count_finite(s);
    for (int i = 0; i < s->n; i++)
        if (isfinite(s->x[i]))
            count[bin_of(b, to_axis(p, s->x[i]))]++;
    fprintf(f, "$S%d << EOD\n", index);
    fprintf(f, "%.9g 0\n", from_axis(p, b->lo));
    for (int k = 0; k < b->n; k++) {
        double frac = (double)count[k] / n;
        *max_frac = frac > *max_frac ? frac : *max_frac;
        fprintf(f, "%.9g %.6f\n%.9g %.6f\n", from_axis(p, b->lo + k * b->width), frac,
                from_axis(p, b->lo + (k + 1) * b->width), frac);
    }
    fprintf(f, "%.9g 0\nEOD\n", from_axis(p, b->lo + b->n * b->width));
    free(count);
    return 0;
}

/* The empirical CDF of one series, for `with steps`, from the left edge of
 * the plot at 0 to its right edge at 1. Of the samples in one of 1,000
 * columns of the x range (about half a pixel) only the last is drawn: the
 * step it ends at is the same, and 11 hosts' 200 steps each made 60 KB. */
static int put_cdf(FILE *f, int index, const struct plot_series *s, const struct pooled *p, double x_lo, double x_hi)
{
    int n = 0;
    double *v = sorted_finite(s, 1, &n);
    if (v == NULL)
        return -1;
    double lo = to_axis(p, x_lo), width = (to_axis(p, x_hi) - lo) / 1000;
    fprintf(f, "$S%d << EOD\n%.9g 0\n", index, x_lo);
    for (int i = 0; i < n; i++)
        if (i + 1 == n || !(width > 0) || floor((to_axis(p, v[i + 1]) - lo) / width) != floor((to_axis(p, v[i]) - lo) / width))
            fprintf(f, "%.9g %.6f\n", v[i], (double)(i + 1) / n);
    fprintf(f, "%.9g 1\nEOD\n", x_hi);
    free(v);
    return 0;
}

/* Histograms of more hosts than this are outlines alone: a dozen fills
 * stack into a muddy patch, and were a third of the plot's bytes. */
#define FILL_HOSTS_MAX 4

struct dist_ctx {
    const struct plot_series *series;
    int n_series;
    const char *title, *xlabel;
    int cdf;
    struct plot_marks m; /* the boundaries; NaN: none */
};

static void put_series_legend(FILE *f, const struct plot_series *s, int n_finite, const char *none)
{
    if (n_finite > 0)
        plot_put_textf(f, "%s (n = %d)", s->name ? s->name : "?", n_finite);
    else
        plot_put_textf(f, "%s (%s)", s->name ? s->name : "?", none);
    fputs(" noenhanced", f);
}

/* The x range: the pooled samples with 3 % either side (on the axis scale). */
static void x_range(const struct pooled *p, const struct bins *b, int cdf, double *lo, double *hi)
{
    double a = cdf && p->n > 0 ? p->v[0] : b->lo, z = cdf && p->n > 0 ? p->v[p->n - 1] : b->lo + b->n * b->width;
    double pad = z > a ? (z - a) * 0.03 : p->log_x ? 0.1 : fabs(a) > 0 ? fabs(a) * 0.1 : 0.5;
    *lo = from_axis(p, a - pad);
    *hi = from_axis(p, z + pad);
}

static int put_dist_data(FILE *f, const struct dist_ctx *d, const struct pooled *p, double *y_max)
{
    struct bins b;
    if (choose_bins(d->series, d->n_series, p, &b) < 0)
        return -1;
    double lo, hi;
    x_range(p, &b, d->cdf, &lo, &hi);
    fprintf(f, "set xrange [%.9g:%.9g]\n", lo, hi);
    *y_max = 0;
    for (int s = 0; s < d->n_series; s++) {
        if (plot_count_finite(&d->series[s]) == 0)
            continue;
        int rc = d->cdf ? put_cdf(f, s, &d->series[s], p, lo, hi) : put_histogram(f, s, &d->series[s], p, &b, y_max);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void put_dist_plot(FILE *f, const struct dist_ctx *d)
{
    fputs("plot ", f);
    for (int s = 0; s < d->n_series; s++) {
        /* past the palette's colours, a host is told apart by a dashed line */
        int n = plot_count_finite(&d->series[s]), lt = s % PLOT_PALETTE_N + 1, dt = s >= PLOT_PALETTE_N ? 2 : 1;
        if (s > 0)
            fputs(", ", f);
        if (n == 0)
            fprintf(f, "NaN with lines lt %d dt %d title ", lt, dt);
        else if (d->cdf)
            fprintf(f, "$S%d with steps lt %d lw 2 dt %d title ", s, lt, dt);
        else if (d->n_series <= FILL_HOSTS_MAX) /* a light fill under each outline: overlapping hosts stay readable */
            fprintf(f, "$S%d with filledcurves y=0 lt %d fs transparent solid 0.12 noborder notitle, "
                    "$S%d with lines lt %d lw 2 dt %d title ", s, lt, s, lt, dt);
        else
            fprintf(f, "$S%d with lines lt %d lw 2 dt %d title ", s, lt, dt);
        put_series_legend(f, &d->series[s], n, "no samples");
    }
    if (d->n_series == 0)
        fputs("NaN notitle", f);
    if (isfinite(d->m.band_lo)) { /* the shading is an object; this is its legend entry */
        fputs(", NaN with boxes fs transparent solid 0.25 noborder lc rgb '#f5a623' title ", f);
        plot_put_textf(f, "%s", d->m.band_label ? d->m.band_label : "");
    }
    if (isfinite(d->m.at)) {
        fputs(", $MARK with lines dt 2 lw 1.5 lc rgb '#b22222' title ", f);
        plot_put_textf(f, "%s", d->m.label ? d->m.label : "");
    }
    fputc('\n', f);
}

static int dist_body(FILE *f, const void *ctx, char *err, size_t err_len)
{
    const struct dist_ctx *d = ctx;
    struct pooled p;
    if (pool(d->series, d->n_series, &p) < 0)
        return plot_fail(err, err_len, "plot_distribution: out of memory");
    plot_put_common(f, d->title, d->xlabel, d->cdf ? "fraction of samples ≤ x" : "fraction of samples");
    if (p.log_x)
        fputs("set logscale x 10\nset format x '%g'\n", f);
    double y_max = 0;
    int rc = put_dist_data(f, d, &p, &y_max);
    free(p.v);
    if (rc < 0)
        return plot_fail(err, err_len, "plot_distribution: out of memory");
    if (d->cdf)
        fputs("set yrange [-0.02:1.02]\nset ytics 0.25\n", f);
    else
        fprintf(f, "set yrange [0:%.6f]\n", y_max > 0 ? y_max * 1.1 : 1);
    if (p.n == 0)
        fputs("set label 1 'no samples' at graph 0.5, graph 0.5 center tc rgb '#777777'\n", f);
    struct dist_ctx marked = *d;
    if (isfinite(d->m.at) && (!p.log_x || d->m.at > 0)) /* as data, so the x range takes it in */
        fprintf(f, "$MARK << EOD\n%.6f 0\n%.6f %.6f\nEOD\n", d->m.at, d->m.at,
                d->cdf ? 1.0 : (y_max > 0 ? y_max : 1));
    else
        marked.m.at = NAN;
    if (isfinite(d->m.band_lo) && isfinite(d->m.band_hi) && d->m.band_hi > d->m.band_lo && (!p.log_x || d->m.band_lo > 0))
        fprintf(f, "set object 9 rect from first %.6f, graph 0 to first %.6f, graph 1 behind noclip "
                   "fc rgb '#f5a623' fs transparent solid 0.25 noborder\n",
                d->m.band_lo, d->m.band_hi);
    else
        marked.m.band_lo = NAN;
    put_dist_plot(f, &marked);
    return 0;
}

int plot_batch_distribution_marked(struct plot_batch *b, const char *out_path, const struct plot_series *series,
                                   int n_series, const char *title, const char *xlabel, int cdf,
                                   const struct plot_marks *m, char *err, size_t err_len)
{
    if (plot_check_series("plot_distribution", series, n_series, err, err_len) < 0)
        return -1;
    struct dist_ctx d = {.series = series, .n_series = n_series, .title = title, .xlabel = xlabel, .cdf = cdf,
                         .m = m ? *m : (struct plot_marks){NAN, NULL, NAN, NAN, NULL}};
    return plot_batch_add(b, out_path, dist_body, &d, err, err_len);
}

int plot_batch_distribution(struct plot_batch *b, const char *out_path, const struct plot_series *series, int n_series,
                            const char *title, const char *xlabel, int cdf, char *err, size_t err_len)
{
    return plot_batch_distribution_marked(b, out_path, series, n_series, title, xlabel, cdf, NULL, err, err_len);
}

int plot_distribution(const char *out_path, const struct plot_series *series, int n_series, const char *title,
                      const char *xlabel, int cdf, char *err, size_t err_len)
{
    struct plot_batch *b = plot_batch_new(1, err, err_len);
    return plot_draw_alone(
        b, b ? plot_batch_distribution(b, out_path, series, n_series, title, xlabel, cdf, err, err_len) : -1, err,
        err_len);
}
