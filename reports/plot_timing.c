/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Timing diagrams of single runs (plot.h's plot_timing): a panel's DTR,
 * RTS, EN and IO0 lanes, the modelled or sampled EN voltage and the strap
 * windows, drawn for the overview and again for the zoom (plot_zoom.c
 * picks it and draws what sits on the lanes), as gnuplot commands queued
 * on a batch.
 * May call: plot.c (the batch, text quoting), plot_zoom.c, the analyzers'
 * trace helpers (analyze.h) and the USB-OTG model (analyzers/usb_otg.h),
 * libc, libm. */
#include "plot.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "plot_internal.h"
#include "plot_timing_internal.h"
#include "analyzers/usb_otg.h"

#define NS_PER_MS 1e6

/* ------------------------------------------------------- timing diagram -- */

static double board_tau_s(const struct board_model *bm)
{
    return bm->en_r_ohms * bm->en_c_farads;
}

/* Time for EN, charging from 0 V with τ, to reach `volts`. */
static double charge_time_s(double tau_s, double vdd, double volts)
{
    if (!(volts > 0 && volts < vdd) || !(tau_s > 0))
        return 0;
    return tau_s * log(vdd / (vdd - volts));
}

static int pulses_from_analysis(const struct analysis *a, const struct board_model *bm, struct en_pulse *out)
{
    int n = a->n_resets < ANALYSIS_MAX_RESETS ? a->n_resets : ANALYSIS_MAX_RESETS;
    for (int i = 0; i < n; i++) {
        const struct reset_event *r = &a->resets[i];
        double tau = r->tau_ms > 0 ? r->tau_ms / 1e3 : board_tau_s(bm);
        int64_t release = r->release_ns;
        /* Release unknown but the chip's release estimated: the model
         * curve must cross VIH at t_chip. */
        if (release < 0 && isfinite(r->t_chip_ns))
            release = (int64_t)(r->t_chip_ns - charge_time_s(tau, bm->vdd, bm->chip.vih_frac * bm->vdd) * 1e9);
        out[i] = (struct en_pulse){.low_ns = r->en_low_ns, .release_ns = release >= 0 ? release : INT64_MAX,
                                   .tau_s = tau, .t_chip_ns = r->t_chip_ns, .margin_ms = r->margin_ms};
    }
    return n;
}

static void pulse_from_rise(struct en_pulse *p, int64_t rise_ns, const struct board_model *bm, double threshold_v)
{
    double vdd = bm->vdd;
    int64_t release = rise_ns - (int64_t)(charge_time_s(p->tau_s, vdd, threshold_v) * 1e9);
    p->release_ns = release > p->low_ns ? release : p->low_ns;
    p->t_chip_ns = (double)p->release_ns + charge_time_s(p->tau_s, vdd, bm->chip.vih_frac * vdd) * 1e9;
}

/* Without an analysis: each EN low pulse the analyzer saw, released
 * τ·ln(VDD/(VDD − threshold)) before EN's rising edge, τ = R·C. */
static int pulses_from_edges(const struct trace *tr, const struct board_model *bm, double threshold_v,
                             struct en_pulse *out)
{
    int n = 0;
    if (!trace_has(tr, CH_EN))
        return 0;
    if (tr->initial[CH_EN] == 0)
        out[n++] = (struct en_pulse){.low_ns = 0, .release_ns = INT64_MAX, .tau_s = board_tau_s(bm),
                                     .t_chip_ns = NAN, .margin_ms = NAN};
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel != CH_EN)
            continue;
        if (e->level == 0 && n < ANALYSIS_MAX_RESETS)
            out[n++] = (struct en_pulse){.low_ns = e->t_ns, .release_ns = INT64_MAX, .tau_s = board_tau_s(bm),
                                         .t_chip_ns = NAN, .margin_ms = NAN};
        else if (e->level == 1 && n > 0 && out[n - 1].release_ns == INT64_MAX)
            pulse_from_rise(&out[n - 1], e->t_ns, bm, threshold_v);
    }
    return n;
}

static int64_t first_line_edge(const struct trace *tr)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->edges[i].channel == CH_DTR || tr->edges[i].channel == CH_RTS)
            return tr->edges[i].t_ns;
    return tr->n > 0 ? tr->edges[0].t_ns : 0;
}

/* How far past the strap window the IO0 edge that decided the run may
 * lie: in the classic race the late IO0 fall comes tens of ms after the
 * window (100 ms covers it), and a run whose margin says it missed by more
 * (-125 ms through WSL's usbipd) has its edge -margin after the window. */
static int64_t io0_horizon_ns(const struct timing_ctx *c)
{
    double ms = 100;
    const struct analysis *a = c->p->a;
    if (a && isfinite(a->margin_ms) && a->margin_ms < 0 && 10 - a->margin_ms > ms)
        ms = 10 - a->margin_ms; /* 10 ms: the window's hold, and a little room */
    return (int64_t)(ms * NS_PER_MS);
}

/* The first IO0 edge within the horizon after `t`, else t: the deciding
 * event every diagram must show. */
int64_t timing_late_io0_edge(const struct timing_ctx *c, int64_t t)
{
    const struct trace *tr = c->p->tr;
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel == CH_IO0 && e->t_ns > t)
            return e->t_ns <= t + io0_horizon_ns(c) ? e->t_ns : t;
    }
    return t;
}

/* The end of the last strap window, or of the IO0 edge that missed it. */
static int64_t last_event(const struct timing_ctx *c)
{
    const struct trace *tr = c->p->tr;
    int64_t last = INT64_MIN;
    for (int i = 0; i < c->n_pulses; i++)
        if (isfinite(c->pulses[i].t_chip_ns)) {
            const struct chip_timing *chip = &c->p->bm->chip;
            int64_t end = (int64_t)(c->pulses[i].t_chip_ns + (chip->sample_delay_ms + chip->hold_ms) * NS_PER_MS);
            if (c->p->bm->circuit->kind == CIRCUIT_USB_OTG) /* the port's time off the bus, to its return */
                end = (int64_t)usb_otg_back_ns(c->p->bm->circuit, c->pulses[i].t_chip_ns);
            last = end > last ? end : last;
        }
    if (last != INT64_MIN)
        return timing_late_io0_edge(c, last);
    return tr->n > 0 ? tr->edges[tr->n - 1].t_ns : tr->t_end_ns; /* no reset: the last edge */
}

static void auto_window(struct timing_ctx *c)
{
    const struct trace *tr = c->p->tr;
    int64_t from = first_line_edge(tr) - (int64_t)(5 * NS_PER_MS);
    int64_t to = last_event(c) + (int64_t)(10 * NS_PER_MS);
    if (from < 0)
        from = 0;
    if (tr->t_end_ns > 0 && to > tr->t_end_ns)
        to = tr->t_end_ns;
    if (to <= from) /* an empty trace: still a readable, empty diagram */
        to = from + (int64_t)(10 * NS_PER_MS);
    c->from_ns = from;
    c->to_ns = to;
}

static void put_point(FILE *f, const struct timing_ctx *c, int64_t t_ns, double y)
{
    fprintf(f, "%.6f %.4f\n", timing_x(c, (double)t_ns), y);
}

/* A digital channel as points for `with steps`: the level at the window's
 * start, each edge inside it, the level at its end. */
static void put_digital(FILE *f, const char *block, const struct timing_ctx *c, enum channel ch, double high)
{
    const struct trace *tr = c->p->tr;
    fprintf(f, "$%s%s << EOD\n", c->prefix, block);
    if (trace_has(tr, ch)) {
        int level = trace_level_at(tr, ch, c->from_ns);
        put_point(f, c, c->from_ns, level * high);
        for (size_t i = 0; i < tr->n; i++) {
            const struct edge *e = &tr->edges[i];
            if (e->channel == ch && e->t_ns > c->from_ns && e->t_ns < c->to_ns) {
                level = e->level;
                put_point(f, c, e->t_ns, level * high);
            }
        }
        put_point(f, c, c->to_ns, level * high);
    }
    fputs("EOD\n", f);
}

/* What the modelled EN voltage follows between two events. */
struct en_curve {
    int charging;       /* else flat at flat_v */
    double flat_v;
    int64_t release_ns; /* charging from 0 V since */
    double tau_s;
};

static double en_curve_v(const struct en_curve *cv, double vdd, int64_t t_ns)
{
    if (!cv->charging)
        return cv->flat_v;
    if (!(cv->tau_s > 0)) /* no capacitor: EN follows the pull-up at once */
        return vdd;
    return vdd * (1 - exp(-(double)(t_ns - cv->release_ns) / 1e9 / cv->tau_s));
}

/* The curve over [a, b] clipped to the window and after *last: dense over
 * the first 7τ of a charge (where it rises), two points where it is flat. */
static void put_en_segment(FILE *f, const struct en_curve *cv, int64_t a, int64_t b, const struct timing_ctx *c,
                           int64_t *last)
{
    double vdd = c->p->bm->vdd;
    a = a > *last ? a : *last;
    a = a > c->from_ns ? a : c->from_ns;
    b = b < c->to_ns ? b : c->to_ns;
    if (b < a)
        return;
    put_point(f, c, a, en_curve_v(cv, vdd, a));
    if (cv->charging && cv->tau_s > 0) {
        int64_t rise_end = cv->release_ns + (int64_t)(7 * cv->tau_s * 1e9);
        int64_t dense_end = rise_end < b ? rise_end : b;
        /* two points a pixel column of the lane (690 px for the window), at most 200:
         * a rise of a few px needs no more, and 7 attempts' rises made 43 KB */
        double px = TIMING_LANE_PX * (double)(dense_end - a) / (double)(c->to_ns - c->from_ns);
        int n = px * 2 < 2 ? 2 : px * 2 > 200 ? 200 : (int)(px * 2);
        for (int k = 1; k < n && dense_end > a; k++) {
            int64_t t = a + (dense_end - a) * k / n;
            put_point(f, c, t, en_curve_v(cv, vdd, t));
        }
    }
    put_point(f, c, b, en_curve_v(cv, vdd, b));
    *last = b;
}

static void put_en_model(FILE *f, const struct timing_ctx *c)
{
    const struct trace *tr = c->p->tr;
    double vdd = c->p->bm->vdd;
    int high_at_start = !trace_has(tr, CH_EN) || tr->initial[CH_EN];
    struct en_curve cv = {.charging = 0, .flat_v = high_at_start ? vdd : 0};
    int64_t cursor = INT64_MIN, last = INT64_MIN;
    int native = c->p->bm->circuit->kind != CIRCUIT_TRANSISTOR; /* native USB: the chip resets inside, EN stays */
    fprintf(f, "$%sENMODEL << EOD\n", c->prefix);
    for (int i = 0; i < (native ? 0 : c->n_pulses); i++) {
        const struct en_pulse *pl = &c->pulses[i];
        put_en_segment(f, &cv, cursor, pl->low_ns, c, &last);
        cv = (struct en_curve){.charging = 0, .flat_v = 0};
        put_en_segment(f, &cv, pl->low_ns, pl->release_ns, c, &last);
        cv = (struct en_curve){.charging = 1, .release_ns = pl->release_ns, .tau_s = pl->tau_s};
        cursor = pl->release_ns;
    }
    put_en_segment(f, &cv, cursor, INT64_MAX, c, &last);
    fputs("EOD\n", f);
}

/* Sampled EN inside the window, at most ~1400 points: beyond that each of
 * 700 buckets (about a pixel column of the lane, 690 px wide) gives its
 * minimum and maximum, as a scope's peak detect does, so no edge or dip
 * disappears and the SVG stays small (4,000 points made 140 KB). */
/* Points within half a pixel of the last one drawn are held back, the
 * last of them drawn before the next change: a flat, noisy EN costs two
 * points instead of 1,400 (a sampled diagram was 118 KB). */
struct held {
    int have, pending;
    double last, v, tol;
    int64_t t;
};

static void put_held(FILE *f, const struct timing_ctx *c, struct held *h, int64_t t, double v)
{
    if (h->have && fabs(v - h->last) < h->tol) {
        *h = (struct held){1, 1, h->last, v, h->tol, t};
        return;
    }
    if (h->pending)
        put_point(f, c, h->t, h->v);
    put_point(f, c, t, v);
    *h = (struct held){1, 0, v, v, h->tol, t};
}

static void put_en_samples(FILE *f, const struct timing_ctx *c)
{
    const struct analog *an = &c->p->tr->en_v;
    /* the EN lane is at least (top - bottom) of 560 px times 2.4 of 5.4 weights; its range VDD·1.3 + 0.25 V */
    struct held h = {.tol = (c->p->bm->vdd * 1.3 + 0.25) / (560 * (c->top - c->bottom) * 2.4 / 5.4) / 2};
    fprintf(f, "$%sENV << EOD\n", c->prefix);
    double per = an->period_ns > 0 ? an->period_ns : 1;
    double lo = ceil((double)(c->from_ns - an->t0_ns) / per), hi = floor((double)(c->to_ns - an->t0_ns) / per) + 1;
    size_t i0 = lo < 0 ? 0 : lo > (double)an->n ? an->n : (size_t)lo;
    size_t i1 = hi < 0 ? 0 : hi > (double)an->n ? an->n : (size_t)hi;
    size_t stride = i1 > i0 ? (i1 - i0 + 699) / 700 : 1;
    for (size_t b = i0; b < i1; b += stride) {
        size_t end = b + stride < i1 ? b + stride : i1, mn = b, mx = b;
        for (size_t i = b; i < end; i++) {
            mn = an->v[i] < an->v[mn] ? i : mn;
            mx = an->v[i] > an->v[mx] ? i : mx;
        }
        size_t first = mn < mx ? mn : mx, second = mn < mx ? mx : mn;
        put_held(f, c, &h, an->t0_ns + (int64_t)((double)first * per), an->v[first]);
        if (second != first)
            put_held(f, c, &h, an->t0_ns + (int64_t)((double)second * per), an->v[second]);
    }
    if (h.pending)
        put_point(f, c, h.t, h.v);
    fputs("EOD\n", f);
}

/* Lanes, top to bottom, as weights of the panel's band (c->top..c->bottom
 * of the screen): EN gets the most height (it carries the analog curve and
 * two thresholds); the zoom's IO0 lane has room above its high level for
 * the margin's label; the UART row and the op markers only when given. */
#define LANES_LEFT 0.13
#define LANES_RIGHT 0.82
enum lane { LANE_DTR, LANE_RTS, LANE_EN, LANE_IO0, LANE_RX, LANE_OPS, LANE_COUNT };

static double lane_weight(const struct timing_ctx *c, int l)
{
    static const double weight[LANE_COUNT] = {1, 1, 2.4, 1, 0.9, 0.75};
    if ((l == LANE_RX && !timing_has_uart(c)) || (l == LANE_OPS && !timing_has_ops(c)))
        return 0;
    return l == LANE_IO0 && c->zoom ? 1.5 : weight[l];
}

static void lane_bounds(const struct timing_ctx *c, enum lane l, double *bottom, double *top)
{
    double total = 0, above = 0;
    for (int i = 0; i < LANE_COUNT; i++) {
        total += lane_weight(c, i);
        above += i < (int)l ? lane_weight(c, i) : 0;
    }
    double unit = (c->top - c->bottom) / total;
    *top = c->top - above * unit;
    *bottom = *top - lane_weight(c, l) * unit;
}

/* The lane the panel's time axis is labelled under. */
static enum lane bottom_lane(const struct timing_ctx *c)
{
    int l = LANE_COUNT - 1;
    while (l > 0 && lane_weight(c, l) == 0)
        l--;
    return (enum lane)l;
}

/* The strap windows, shaded across every lane of the panel (objects and
 * arrows stay set for all its lanes), and a line where the chip leaves
 * reset. */
static void put_strap_windows(FILE *f, const struct timing_ctx *c)
{
    const struct chip_timing *chip = &c->p->bm->chip;
    double from = (double)c->from_ns, to = (double)c->to_ns;
    for (int i = 0; i < c->n_pulses; i++) {
        double t = c->pulses[i].t_chip_ns;
        if (!isfinite(t))
            continue;
        double ts = t + chip->sample_delay_ms * NS_PER_MS; /* the straps are sampled here */
        double a = fmax(ts - chip->setup_ms * NS_PER_MS, from), b = fmin(ts + chip->hold_ms * NS_PER_MS, to);
        /* native USB: no strap read; a window under a pixel wide is the zoom's to show */
        if (b > a && c->p->bm->circuit->kind == CIRCUIT_TRANSISTOR && (b - a) / (to - from) * TIMING_LANE_PX >= 0.5)
            fprintf(f,
                    "set object %d rect from first %.6f, graph 0 to first %.6f, graph 1 behind "
                    "fc rgb '#f5a623' fs transparent solid 0.25 noborder\n",
                    i + 1, timing_x(c, a), timing_x(c, b));
        if (t >= from && t <= to)
            fprintf(f, "set arrow %d from first %.6f, graph 0 to first %.6f, graph 1 nohead "
                    "lc rgb '#b22222' lw 1.2 dt 2 front\n", i + 1, timing_x(c, t), timing_x(c, t));
    }
}

/* USB-OTG: from each restart, the time its port is off the bus
 * (docs/physics.md#usb-otg), shaded grey across every lane; named at the
 * deciding restart. */
static void put_usb_off_bus(FILE *f, const struct timing_ctx *c)
{
    const struct analysis *a = c->p->a;
    const struct circuit *circ = c->p->bm->circuit;
    if (a == NULL || circ->kind != CIRCUIT_USB_OTG)
        return;
    double from = (double)c->from_ns, to = (double)c->to_ns;
    for (int i = 0; i < a->n_resets && i < ANALYSIS_MAX_RESETS; i++) {
        double t = a->resets[i].t_chip_ns;
        if (!isfinite(t))
            continue;
        double g = fmax(usb_otg_gone_ns(circ, t), from), b = fmin(usb_otg_back_ns(circ, t), to);
        if (b <= g)
            continue;
        fprintf(f, "set object %d rect from first %.6f, graph 0 to first %.6f, graph 1 behind "
                   "fc rgb '#9e9e9e' fs transparent solid 0.25 noborder\n", 40 + i, timing_x(c, g), timing_x(c, b));
        if (i == c->decider)
            fprintf(f, "set label %d 'USB port off the bus' at first %.6f, graph 0.5 offset char 0.4, 0 left "
                       "tc rgb '#555555' font ',9' front\n", 60 + i, timing_x(c, g));
    }
}

/* "chip leaves reset" at the deciding reset only: the others have their
 * line alone (seven attempts' labels piled up on each other). */
static void put_chip_labels(FILE *f, const struct timing_ctx *c)
{
    if (c->decider < 0)
        return;
    double t = c->pulses[c->decider].t_chip_ns;
    if (isfinite(t) && t >= (double)c->from_ns && t <= (double)c->to_ns)
        fprintf(f, "set label 20 'chip leaves reset' at first %.6f, graph 0.93 offset char 0.6, 0 left "
                "tc rgb '#b22222' font ',10' front\n", timing_x(c, t));
}

static void put_lane_frame(FILE *f, const struct timing_ctx *c, enum lane l, const char *name, const char *note)
{
    double bottom, top;
    lane_bounds(c, l, &bottom, &top);
    fprintf(f, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", top, bottom);
    note = c->zoom || l == LANE_EN ? note : NULL;
    fprintf(f, "set label 1 '%s' at screen 0.012, screen %.4f left noenhanced font ',%d'\n", name,
            (top + bottom) / 2 + (note ? 0.012 : 0), c->zoom || l == LANE_EN ? 11 : 10);
    if (note) /* the overview's lanes are narrow: names alone, but EN's τ */
        fprintf(f, "set label 2 '%s' at screen 0.012, screen %.4f left font ',8' tc rgb '#555555'\n", note,
                (top + bottom) / 2 - 0.016);
    int axis = l == bottom_lane(c);
    /* tics and grid on the axis' lane alone: each lane's cost 10 KB of SVG */
    fprintf(f, "unset xlabel\n%s\n", axis ? "set xtics nomirror format '%g'\nset mxtics 5" : "unset xtics");
    if (axis) /* the axis' name at its right end, beside the tic labels */
        fprintf(f, "set label 4 '%s' at screen %.3f, screen %.4f left font ',9' noenhanced\n",
                c->zoom ? c->axis_name : "time (ms)", LANES_RIGHT + 0.006, bottom - 0.028);
}

static void put_digital_lane(FILE *f, const struct timing_ctx *c, enum lane l, enum channel ch, const char *colour)
{
    /* The chip's names (GPIO9, CHIP_PU); a native-USB board has no DTR or RTS pin: its
     * lines are USB line-state requests (SET_CONTROL_LINE_STATE) the peripheral acts on. */
    const struct chip_timing *chip = &c->p->bm->chip;
    int usb = c->p->bm->circuit->kind != CIRCUIT_TRANSISTOR;
    char name[40];
    if (l == LANE_IO0)
        snprintf(name, sizeof name, "%s pin", chip_strap_name(chip));
    else
        snprintf(name, sizeof name, "%s%s", l == LANE_DTR ? "DTR" : "RTS", usb ? " (USB)" : " pin");
    put_lane_frame(f, c, l, name, ch == CH_IO0 ? "low = download" : usb ? "1 = asserted" : "low = asserted");
    fprintf(f, "set yrange [-0.25:%s]\nset ytics ('low' 0, 'high' 1)\nunset key\n",
            l == LANE_IO0 && c->zoom ? "1.9" : "1.35");
    if (trace_has(c->p->tr, ch))
        fprintf(f, "plot $%s%s with steps lw 2 lc rgb '%s' notitle\n", c->prefix, channel_name(ch), colour);
    else
        fputs("set label 3 'not captured' at graph 0.5, graph 0.5 center tc rgb '#777777'\nplot NaN notitle\n", f);
    fputs("unset label\n", f);
}

static void put_en_lane(FILE *f, const struct timing_ctx *c)
{
    const struct board_model *bm = c->p->bm;
    double vdd = bm->vdd, vih = bm->chip.vih_frac * vdd;
    char note[48] = "";
    int native = bm->circuit->kind != CIRCUIT_TRANSISTOR; /* EN stays high: no τ to speak of */
    double tau_s = c->n_pulses > 0 && !native ? c->pulses[c->n_pulses - 1].tau_s : 0;
    if (tau_s >= 1e-3) /* units follow magnitude: "0.00 ms" said nothing of a board without EN's capacitor */
        snprintf(note, sizeof note, "τ = %.2f ms", tau_s * 1e3);
    else if (tau_s > 0)
        snprintf(note, sizeof note, "τ = %.3g µs", tau_s * 1e6);
    char name[32];
    snprintf(name, sizeof name, "%s (V)", chip_en_name(&bm->chip));
    put_lane_frame(f, c, LANE_EN, name, *note && !c->zoom ? note : NULL);
    put_chip_labels(f, c);
    fprintf(f, "set yrange [-0.25:%.4f]\nset ytics %g format '%%g'\n", vdd * 1.3, c->zoom ? 1.0 : 2.0);
    if (c->zoom) /* one legend, the overview's */
        fputs("unset key\n", f);
    else
        fprintf(f, "set key at screen %.3f, screen %.4f left top Left reverse horizontal maxrows 1 samplen 2 "
                   "font ',9'\n", LANES_LEFT, c->top == 0.90 ? 0.07 : 0.535); /* between the panels */
    const char *en = chip_en_name(&bm->chip);
    fputs("plot ", f);
    if (c->p->tr->en_v.n > 0)
        fprintf(f, "$%sENV with lines lw 2 lc rgb '%s' title '%s sampled' noenhanced, ", c->prefix,
                plot_channel_colour(CH_EN), en);
    else
        fprintf(f, "$%sENMODEL with lines lw 2 lc rgb '%s' title '%s, RC model' noenhanced, ", c->prefix,
                plot_channel_colour(CH_EN), en);
    if (trace_has(c->p->tr, CH_EN))
        fprintf(f, "$%sENDIG with steps lw 1 lc rgb '#b8b8b8' title '%s, analyzer' noenhanced, ", c->prefix, en);
    fprintf(f, "%.4f with lines dt 2 lw 1.2 lc rgb '#b22222' title 'chip V_{IH} = %.4g V'", vih, vih);
    if (c->threshold_v > 0)
        fprintf(f, ", %.4f with lines dt 3 lw 1.2 lc rgb '#555555' title 'threshold %.4g V'", c->threshold_v,
                c->threshold_v);
    /* A legend entry for the shading, which is an object, not a plot. */
    fputs(", NaN with boxes fs transparent solid 0.25 noborder lc rgb '#f5a623' title 'strap window'", f);
    fputs("\nunset label\nunset key\n", f);
}

static void put_title(FILE *f, const char *title)
{
    if (title == NULL || *title == '\0')
        return;
    fputs("set label 10 ", f);
    plot_put_text(f, title);
    fputs(" at screen 0.5, screen 0.975 center noenhanced font ',12'\n", f);
}

/* The UART row and the op markers: lanes of their own under IO0. */
static void put_extra_lanes(FILE *f, const struct timing_ctx *c)
{
    double bottom, top;
    if (timing_has_uart(c)) {
        lane_bounds(c, LANE_RX, &bottom, &top);
        put_lane_frame(f, c, LANE_RX, "RX (UART)", "from the chip");
        timing_put_uart_lane(f, c, bottom, top);
        fputs("unset label\n", f);
    }
    if (timing_has_ops(c)) {
        put_lane_frame(f, c, LANE_OPS, "host ops", NULL);
        timing_put_ops(f, c);
        fputs("unset label\n", f);
    }
}

static void put_panel_data(FILE *f, const struct timing_ctx *c)
{
    put_digital(f, "DTR", c, CH_DTR, 1);
    put_digital(f, "RTS", c, CH_RTS, 1);
    put_digital(f, "IO0", c, CH_IO0, 1);
    put_digital(f, "ENDIG", c, CH_EN, c->p->bm->vdd);
    if (c->p->tr->en_v.n > 0)
        put_en_samples(f, c);
    else
        put_en_model(f, c);
}

static void put_panel(FILE *f, const struct timing_ctx *c)
{
    fprintf(f, "unset object\nunset arrow\nset xrange [%.6f:%.6f]\n", timing_x(c, (double)c->from_ns),
            timing_x(c, (double)c->to_ns));
    put_strap_windows(f, c);
    put_usb_off_bus(f, c);
    if (c->zoom)
        timing_put_zoom_heading(f, c);
    else {
        timing_put_zoom_band(f, c);
        put_title(f, c->p->title);
    }
    put_digital_lane(f, c, LANE_DTR, CH_DTR, plot_channel_colour(CH_DTR));
    put_digital_lane(f, c, LANE_RTS, CH_RTS, plot_channel_colour(CH_RTS));
    put_en_lane(f, c);
    if (c->zoom)
        timing_put_margin(f, c);
    put_digital_lane(f, c, LANE_IO0, CH_IO0, plot_channel_colour(CH_IO0));
    fputs("unset arrow\n", f); /* the margin's and the chip's lines: not on the UART and op rows */
    put_extra_lanes(f, c);
}

static int timing_body(FILE *f, const void *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    const struct timing_ctx *c = ctx;
    struct timing_ctx z = *c;
    int zoom = c->zoom_to > c->zoom_from;
    if (zoom)
        timing_zoom_panel(&z);
    put_panel_data(f, c);
    if (zoom)
        put_panel_data(f, &z);
    fprintf(f, "set lmargin at screen %.3f\nset rmargin at screen %.3f\n", LANES_LEFT, LANES_RIGHT);
    fputs("set grid xtics lc rgb '#e0e0e0' lw 1 dt 1\nset border 15 lc rgb '#404040'\nset tics nomirror\n"
          "set style textbox opaque noborder margins 1,1\nset multiplot\n", f);
    put_panel(f, c);
    if (zoom)
        put_panel(f, &z);
    fputs("unset multiplot\n", f);
    return 0;
}

const char *plot_channel_colour(enum channel ch)
{
    static const char *const colour[CH_COUNT] = {
        [CH_DTR] = "#1f5fbf", [CH_RTS] = "#1a8a3a", [CH_EN] = "#000000", [CH_IO0] = "#7b3fa0", [CH_RX] = "#b35900"};
    return ch >= 0 && ch < CH_COUNT ? colour[ch] : "#555555";
}

int plot_batch_timing(struct plot_batch *b, const char *out_path, const struct timing_plot *p, char *err,
                      size_t err_len)
{
    if (p == NULL || p->tr == NULL || p->bm == NULL)
        return plot_fail(err, err_len, "plot_timing: no trace or no board model");
    if (!(p->bm->vdd > 0))
        return plot_fail(err, err_len, "plot_timing: the board model has no VDD");
    if ((p->n_ops > 0 && p->ops == NULL) || (p->n_rx > 0 && p->rx == NULL))
        return plot_fail(err, err_len, "plot_timing: ops or UART bytes counted but not given");
    struct timing_ctx c = {.p = p, .origin_ns = 0, .unit_ns = NS_PER_MS, .prefix = ""};
    c.threshold_v = p->threshold_v > 0 ? p->threshold_v : p->tr->threshold_v;
    c.n_pulses = p->a ? pulses_from_analysis(p->a, p->bm, c.pulses)
                      : pulses_from_edges(p->tr, p->bm, c.threshold_v, c.pulses);
    if (p->t_from_ns == 0 && p->t_to_ns == 0) {
        auto_window(&c);
    } else {
        if (p->t_to_ns <= p->t_from_ns)
            return plot_fail(err, err_len, "plot_timing: empty time window (%lld..%lld ns)", (long long)p->t_from_ns,
                             (long long)p->t_to_ns);
        c.from_ns = p->t_from_ns;
        c.to_ns = p->t_to_ns;
    }
    timing_pick_zoom(&c);
    return plot_batch_add(b, out_path, timing_body, &c, err, err_len);
}

int plot_timing(const char *out_path, const struct timing_plot *p, char *err, size_t err_len)
{
    struct plot_batch *b = plot_batch_new(1, err, err_len);
    return plot_draw_alone(b, b ? plot_batch_timing(b, out_path, p, err, err_len) : -1, err, err_len);
}
