/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the timing diagram's two files share, used only by them:
 * plot_timing.c draws a panel's lanes (DTR, RTS, EN, IO0) over one time
 * window, plot_zoom.c picks the run's deciding event, the zoom panel's
 * window and unit, and draws what sits on the lanes (the zoom's span on
 * the overview, the margin arrow, op markers, the UART row). */
#ifndef RESETLAB_PLOT_TIMING_INTERNAL_H
#define RESETLAB_PLOT_TIMING_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "plot.h"

/* One EN low pulse and the chip reset it caused, as the plot models it. */
struct en_pulse {
    int64_t low_ns;     /* EN driven low */
    int64_t release_ns; /* EN released and charging; INT64_MAX: not within the trace */
    double tau_s;       /* time constant of the charge after the release */
    double t_chip_ns;   /* the chip leaves reset; NaN when unknown */
    double margin_ms;   /* the analyzer's strap margin; NaN when unknown */
};

/* The plot data width of a panel, in pixels (0.13..0.82 of 1000 px): what
 * thinning and label spacing count in. */
#define TIMING_LANE_PX 690.0

/* The diagram and the panel being drawn: the overview (the whole sequence)
 * or the zoom (around the deciding event). */
struct timing_ctx {
    const struct timing_plot *p;
    struct en_pulse pulses[ANALYSIS_MAX_RESETS];
    int n_pulses;
    double threshold_v;
    int decider;                  /* the pulse that decided the run; -1: none (no reset) */
    int64_t zoom_from, zoom_to;   /* the zoom panel's window; equal: no zoom */
    int64_t zoom_origin;          /* without a reset: the zoom's t = 0 */
    /* The panel: its window, x = (t - origin) / unit, and its lanes' screen band. */
    int64_t from_ns, to_ns;
    int64_t origin_ns;
    double unit_ns;
    double top, bottom;
    int zoom;
    const char *prefix; /* of its datablocks: "" or "Z" */
    char axis_name[48]; /* the zoom's: "time (µs) from EN release" */
};

/* A time on the panel's axis. */
static inline double timing_x(const struct timing_ctx *c, double t_ns)
{
    return (t_ns - (double)c->origin_ns) / c->unit_ns;
}

/* plot_zoom.c: the deciding pulse and the zoom's window (after the pulses
 * and the overview's window are known). */
void timing_pick_zoom(struct timing_ctx *c);
/* The zoom panel's settings from the overview's: window, origin, unit, band. */
void timing_zoom_panel(struct timing_ctx *z);
/* The zoom's span on the overview (a shaded band, named). */
void timing_put_zoom_band(FILE *f, const struct timing_ctx *c);
/* The zoom panel's heading and its axis' name (the unit). */
void timing_put_zoom_heading(FILE *f, const struct timing_ctx *c);
/* The strap margin of the deciding reset in the IO0 lane: arrow and label. */
void timing_put_margin(FILE *f, const struct timing_ctx *c);
/* Op markers (D1, R0, U1,0, O, C, S) on the panel's time axis: arrows and
 * labels set for the bottom lane. */
int timing_has_ops(const struct timing_ctx *c);
void timing_put_ops(FILE *f, const struct timing_ctx *c);
/* The UART row's data and its lane's plot (plot_zoom.c); 0 when the
 * diagram has no UART bytes. */
int timing_has_uart(const struct timing_ctx *c);
void timing_put_uart_lane(FILE *f, const struct timing_ctx *c, double bottom, double top);
/* plot_timing.c: the IO0 edge that decided the run, within reach of `t`, else t. */
int64_t timing_late_io0_edge(const struct timing_ctx *c, int64_t t);
/* The IO0 edge and window boundary whose distance is pl's margin; 0 when none. */
int timing_margin_span(const struct timing_ctx *c, const struct en_pulse *pl, double *edge_ns, double *bound_ns);

#endif
