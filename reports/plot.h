/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plots for the reports (docs/report.md): timing diagrams of single
 * runs, distributions per host and trends over sessions, drawn by gnuplot.
 *
 * Each function writes one gnuplot script (data inline, as datablocks) to a
 * temporary folder, has gnuplot load it and checks that the output file was
 * written. A report with hundreds of plots queues them on a plot_batch
 * instead, which draws them with a few gnuplot processes (below).
 * The format follows the extension of out_path:
 * ".svg" (for the HTML report) or ".png" (cairo, for people and tests).
 * The same input gives a byte-identical SVG, drawn alone or in a batch:
 * gnuplot runs with --default-settings (no ~/.gnuplot), every plot starts
 * from a `reset`, and neither the script nor gnuplot's SVG carries a
 * timestamp or a path.
 *
 * gnuplot is found on PATH, or is the program the environment variable
 * RESETLAB_GNUPLOT names. Every function returns 0, or -1 with one line in
 * err (gnuplot missing, gnuplot failed, output not writable, bad arguments);
 * on failure out_path is removed rather than left empty or stale.
 *
 * Text (titles, names, labels) is shown literally: control characters are
 * dropped, invalid UTF-8 becomes '?', and gnuplot's enhanced-text markup
 * (^ _ @ & { }) is not interpreted.
 *
 * libc, libm and POSIX only (fork, exec), plus the analyzers' headers. */
#ifndef RESETLAB_PLOT_H
#define RESETLAB_PLOT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/analyze.h"
#include "analyzers/uart.h"

/* One run's timing diagram, as a scope shows it: an overview of the whole
 * sequence and, below it, a zoom panel around the event that decided the
 * run (the reset whose strap margin is the run's, else the last reset, else
 * the last line change: a close's transient), each with its own time axis
 * (the zoom's from EN's release, in µs or ms as its span asks) and the
 * zoom's span shaded on the overview. Each panel has four lanes,
 * "DTR pin", "RTS pin", "EN", "IO0" (the chip's own names), then the UART
 * row and the op markers when given. DTR, RTS and IO0 are pin
 * levels (DTR/RTS pin low = asserted). EN is drawn as a voltage, 0..VDD:
 * the analog samples when tr->en_v.n > 0, else the modelled RC curve (0 V
 * from each EN fall to its reset's release, VDD·(1 − e^(−(t − release)/τ))
 * after it, τ = the reset's tau_ms, else R·C), with the analyzer's digital
 * EN edges in grey and dashed lines at the chip's VIH and at threshold_v.
 * Each reset's strap window [t_s − setup, t_s + hold], t_s = t_chip + the chip's
 * sample_delay_ms, is shaded across
 * all lanes, with a line at t_chip ("chip leaves reset").
 *
 * Without an analysis (a == NULL) the resets are modelled from the EN
 * edges alone: released τ·ln(VDD/(VDD − threshold)) before the analyzer saw
 * EN rise, τ = R·C, as the analyzers estimate it from an edge. */
struct timing_plot {
    const struct trace *tr;       /* edges (+ en_v when the capture had analog EN) */
    const struct analysis *a;     /* resets: release_ns, t_chip_ns, tau_ms; may be NULL */
    const struct board_model *bm; /* vdd, en_r_ohms, en_c_farads, chip.vih_frac, chip.setup_ms, chip.hold_ms */
    double threshold_v;           /* the logic analyzer's threshold (<= 0: tr->threshold_v) */
    const char *title;            /* may be NULL */
    /* Window; both 0 = automatic: from 5 ms before the first DTR/RTS edge
     * to 10 ms after the last strap window, clamped to the trace. */
    int64_t t_from_ns, t_to_ns;
    /* Optional (NULL: none). The host's calls on the trace's clock, drawn as
     * op markers on the time axis (their DSL label, the call's start to end;
     * waits are left out), and the bytes the chip sent, with the times their
     * start bits began, drawn as the UART row (text lines, SLIP frames as
     * boxes: SYNC and its replies). */
    const struct op_record *ops;
    size_t n_ops;
    const struct uart_byte *rx;
    size_t n_rx;
};

int plot_timing(const char *out_path, const struct timing_plot *p, char *err, size_t err_len);

/* A named sample: x[0..n-1]; NaN = no value. */
struct plot_series {
    const char *name;
    const double *x;
    int n;
};

/* Distributions of one quantity (e.g. the DTR/RTS gap, one series per
 * host) on one plot: cdf = 0 histograms as outlines over shared bins
 * (Freedman–Diaconis on the pooled samples, 5 to 60 bins), in fractions of
 * each series' samples so hosts with different run counts compare; cdf = 1
 * empirical CDFs. The x axis is logarithmic when every sample is positive
 * and they span a factor of 50 or more (0.3 ms native gaps beside 60 ms
 * usbipd ones). NaN samples are skipped; the legend gives each series'
 * sample count, or "(no samples)" for a series without any. */
int plot_distribution(const char *out_path, const struct plot_series *series, int n_series, const char *title,
                      const char *xlabel, int cdf, char *err, size_t err_len);

/* y over session index (x[i] = the value at session i, NaN = no data, drawn
 * as a break in the line), lines with points, one per series: pass rate
 * and margin per cell over the last sessions. A series without any value
 * is named in the legend as "(no data)". */
int plot_trend(const char *out_path, const struct plot_series *series, int n_series, const char *title,
               const char *ylabel, char *err, size_t err_len);

/* Many plots, drawn by a few gnuplot processes running in parallel, each
 * loading its share of the plots' scripts one after another: one gnuplot
 * start costs about as much as drawing five timing diagrams.
 *
 *   struct plot_batch *b = plot_batch_new(0, err, len);
 *   int k = plot_batch_timing(b, "plots/a.svg", &p, err, len);  // index, or -1
 *   ...
 *   plot_batch_run(b, err, len);       // draws them all
 *   plot_batch_error(b, k);            // NULL: plots/a.svg was written
 *   plot_batch_free(b);
 *
 * A plot_batch_* call checks its arguments and creates the output file
 * (-1 with one line in err, nothing queued, when either fails), then writes
 * the plot's script at once: the caller's data may change after it returns.
 * A plot that fails in gnuplot does not stop the others. */
struct plot_batch;

/* jobs: gnuplot processes (<= 0: one per online CPU, at most 4). NULL
 * with one line in err when out of memory or without a temporary file. */
struct plot_batch *plot_batch_new(int jobs, char *err, size_t err_len);
/* The colour a channel is drawn in ("#1f5fbf"): the timing diagrams' lanes,
 * and the PulseView sessions written beside kept captures. */
const char *plot_channel_colour(enum channel ch);

int plot_batch_timing(struct plot_batch *b, const char *out_path, const struct timing_plot *p, char *err,
                      size_t err_len);
int plot_batch_distribution(struct plot_batch *b, const char *out_path, const struct plot_series *series, int n_series,
                            const char *title, const char *xlabel, int cdf, char *err, size_t err_len);
/* The boundaries a distribution is read against: x = at (NaN: none) as a
 * dashed vertical line named label in the legend, and [band_lo, band_hi]
 * (NaN: none) shaded and named band_label, both inside the x range: on the
 * DTR/RTS gap plots, the board's EN release time and its strap window. */
struct plot_marks {
    double at;
    const char *label;
    double band_lo, band_hi;
    const char *band_label;
};
int plot_batch_distribution_marked(struct plot_batch *b, const char *out_path, const struct plot_series *series,
                                   int n_series, const char *title, const char *xlabel, int cdf,
                                   const struct plot_marks *m, char *err, size_t err_len);
int plot_batch_trend(struct plot_batch *b, const char *out_path, const struct plot_series *series, int n_series,
                     const char *title, const char *ylabel, char *err, size_t err_len);
/* The same with the x axis labelled per session (labels[i], e.g. "#12
 * 12-05": its number and the UTC day it began), at most ~15 labels. */
int plot_batch_trend_labelled(struct plot_batch *b, const char *out_path, const struct plot_series *series,
                              int n_series, const char *const *labels, const char *title, const char *ylabel,
                              char *err, size_t err_len);
/* Draws every queued plot (once). 0 when all were written; -1 with the
 * first failure in err otherwise. A plot that failed has its output
 * removed. */
int plot_batch_run(struct plot_batch *b, char *err, size_t err_len);
/* While plot_batch_run draws, *stop becoming non-zero (a SIGINT or SIGTERM
 * handler's flag) kills its gnuplot processes and waits for them; their
 * plots are not drawn ("interrupted"). NULL: never. */
void plot_batch_stop_on(struct plot_batch *b, volatile sig_atomic_t *stop);
/* After plot_batch_run: NULL when plot `index` was written, else why not
 * (one line, valid until plot_batch_free). */
const char *plot_batch_error(const struct plot_batch *b, int index);
/* Waits for nothing, frees everything; outputs queued but never drawn are
 * removed. NULL is fine. */
void plot_batch_free(struct plot_batch *b);

#endif
