/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A timing diagram's zoom and what sits on its lanes (plot_timing_internal.h):
 * the event that decided the run, the zoom panel's window and unit around
 * it, the zoom's span on the overview, the strap margin's arrow and label,
 * the op markers on the time axis and the UART row.
 *
 * The deciding event is the reset whose strap margin is the run's
 * (analysis margin_ms), else the last reset, else (no reset at all) the
 * last transient the analyzers found, or the last line change: what a
 * no-reset scenario's close did. The zoom runs from a little before EN's
 * release to past the strap window and the IO0 edge the margin was
 * measured to, with t = 0 at the release, in µs when it spans under 2 ms.
 *
 * Text is placed where it covers no edge: the margin's label sits above
 * the IO0 lane's high level (edges run between low and high), and labels
 * along a time axis (ops, UART lines and frames) are left out where they
 * would run into the one before, their markers kept.
 * May call: plot.c (text quoting), the analyzers' SLIP helpers
 * (analyzers/slip.h), the USB-OTG model (analyzers/usb_otg.h), libc, libm. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"
#include "plot_timing_internal.h"
#include "analyzers/slip.h"
#include "analyzers/usb_otg.h"

#define NS_PER_MS 1e6
/* The overview's and the zoom's bands of the 560 px canvas, top to bottom. */
#define OVERVIEW_TOP 0.935
#define OVERVIEW_BOTTOM 0.585
#define ZOOM_TOP 0.455
#define ZOOM_BOTTOM 0.075
/* Without a zoom the overview has the whole canvas, as before. */
#define ALONE_TOP 0.90
#define ALONE_BOTTOM 0.10
/* A zoom spanning less than this is drawn in µs. */
#define ZOOM_US_BELOW_NS 2e6
/* Op markers and UART items a panel draws at most (a tool's loop makes
 * hundreds of calls): past it the rest are left out. */
#define TIMING_MAX_MARKS 400
/* A pause in the chip's output that ends a text line (a reset cut it). */
#define UART_PAUSE_NS 0.5e6
/* About how wide a character of a 8-9 pt label is, in px. */
#define CHAR_PX 6.0

/* ---------------------------------------------------- the deciding event -- */

static int deciding_pulse(const struct timing_ctx *c)
{
    const struct analysis *a = c->p->a;
    for (int i = c->n_pulses - 1; a && isfinite(a->margin_ms) && i >= 0; i--)
        if (c->pulses[i].margin_ms == a->margin_ms && isfinite(c->pulses[i].t_chip_ns))
            return i;
    for (int i = c->n_pulses - 1; i >= 0; i--)
        if (isfinite(c->pulses[i].t_chip_ns))
            return i;
    return -1;
}

/* Around the deciding reset: from its release (or EN's fall) to past its
 * strap window (a USB-OTG port's return) and the IO0 edge of its margin. */
static void zoom_on_reset(struct timing_ctx *c, const struct en_pulse *pl, double *lo, double *hi)
{
    const struct chip_timing *chip = &c->p->bm->chip;
    *lo = pl->release_ns != INT64_MAX ? (double)pl->release_ns : (double)pl->low_ns;
    *lo = fmin(*lo, pl->t_chip_ns);
    *hi = pl->t_chip_ns + (chip->sample_delay_ms + chip->hold_ms) * NS_PER_MS;
    if (c->p->bm->circuit->kind == CIRCUIT_USB_OTG)
        *hi = fmax(*hi, usb_otg_back_ns(c->p->bm->circuit, pl->t_chip_ns));
    double edge, bound;
    if (timing_margin_span(c, pl, &edge, &bound)) {
        *lo = fmin(*lo, edge);
        *hi = fmax(*hi, edge);
    }
    /* the call that caused it (a close), when it came shortly before */
    const struct analysis *a = c->p->a;
    int cause = a && c->decider < a->n_resets ? a->resets[c->decider].cause_op : -1;
    if (cause >= 0 && c->p->ops && (size_t)cause < c->p->n_ops) {
        double t = (double)c->p->ops[cause].t_before_ns;
        if (t < *lo && *lo - t < 0.5 * (*hi - *lo))
            *lo = t;
    }
}

/* No reset: the last transient (a close's), else the last line change,
 * with the line changes around it. 0 when the trace has none. */
static int zoom_on_lines(const struct timing_ctx *c, double *lo, double *hi)
{
    const struct trace *tr = c->p->tr;
    const struct analysis *a = c->p->a;
    double at = NAN;
    for (int i = 0; a && i < a->n_findings && i < ANALYSIS_MAX_FINDINGS; i++)
        if (strcmp(a->findings[i].kind, "transient") == 0)
            at = (double)a->findings[i].t_ns;
    for (size_t i = tr->n; isnan(at) && i > 0; i--)
        if (tr->edges[i - 1].channel == CH_DTR || tr->edges[i - 1].channel == CH_RTS)
            at = (double)tr->edges[i - 1].t_ns;
    if (isnan(at))
        return 0;
    *lo = *hi = at;
    for (size_t i = 0; i < tr->n; i++) { /* the edges within 20 ms of it */
        double t = (double)tr->edges[i].t_ns;
        if (fabs(t - at) <= 20 * NS_PER_MS) {
            *lo = fmin(*lo, t);
            *hi = fmax(*hi, t);
        }
    }
    return 1;
}

void timing_pick_zoom(struct timing_ctx *c)
{
    double lo = 0, hi = 0;
    c->decider = deciding_pulse(c);
    int have = c->decider >= 0 ? (zoom_on_reset(c, &c->pulses[c->decider], &lo, &hi), 1) : zoom_on_lines(c, &lo, &hi);
    double span = hi - lo, pad_min = 0.05 * NS_PER_MS;
    double before = fmax(0.15 * span, pad_min), after = fmax(0.2 * span, 2 * pad_min);
    c->zoom_origin = (int64_t)lo; /* the line changes' first; a reset's: its release (timing_zoom_panel) */
    c->zoom_from = (int64_t)(lo - before);
    c->zoom_to = (int64_t)(hi + after);
    if (c->zoom_from < 0)
        c->zoom_from = 0;
    if (c->p->tr->t_end_ns > 0 && c->zoom_to > c->p->tr->t_end_ns)
        c->zoom_to = c->p->tr->t_end_ns;
    if (!have || c->zoom_to <= c->zoom_from)
        c->zoom_from = c->zoom_to = 0;
    int zoom = c->zoom_to > c->zoom_from;
    c->top = zoom ? OVERVIEW_TOP : ALONE_TOP;
    c->bottom = zoom ? OVERVIEW_BOTTOM : ALONE_BOTTOM;
}

void timing_zoom_panel(struct timing_ctx *z)
{
    z->zoom = 1;
    z->prefix = "Z";
    z->from_ns = z->zoom_from;
    z->to_ns = z->zoom_to;
    z->top = ZOOM_TOP;
    z->bottom = ZOOM_BOTTOM;
    z->unit_ns = (double)(z->to_ns - z->from_ns) < ZOOM_US_BELOW_NS ? 1e3 : NS_PER_MS;
    const char *unit = z->unit_ns < NS_PER_MS ? "µs" : "ms";
    if (z->decider >= 0) {
        const struct en_pulse *pl = &z->pulses[z->decider];
        z->origin_ns = pl->release_ns != INT64_MAX ? pl->release_ns : pl->low_ns;
        if (z->p->bm->circuit->kind == CIRCUIT_TRANSISTOR)
            snprintf(z->axis_name, sizeof z->axis_name, "time (%s) from %s release", unit, chip_en_name(&z->p->bm->chip));
        else /* native USB: the reset is a request; EN stays high */
            snprintf(z->axis_name, sizeof z->axis_name, "time (%s) from the USB reset", unit);
    } else {
        z->origin_ns = z->zoom_origin;
        snprintf(z->axis_name, sizeof z->axis_name, "time (%s) from %.3f ms", unit, (double)z->origin_ns / NS_PER_MS);
    }
}

void timing_put_zoom_band(FILE *f, const struct timing_ctx *c)
{
    if (c->zoom_to <= c->zoom_from)
        return;
    double a = timing_x(c, (double)c->zoom_from), b = timing_x(c, (double)c->zoom_to);
    fprintf(f, "set object 70 rect from first %.6f, graph 0 to first %.6f, graph 1 behind "
               "fc rgb '#4a90d9' fs transparent solid 0.18 border lc rgb '#4a90d9'\n", a, b);
    fprintf(f, "set label 11 'zoom below' at first %.6f, graph 1 offset 0, 0.55 center font ',8' "
               "tc rgb '#2a6fb9' front\n", (a + b) / 2);
}

void timing_put_zoom_heading(FILE *f, const struct timing_ctx *c)
{
    const struct analysis *a = c->p->a;
    char what[160];
    if (c->decider >= 0) {
        int n = a ? (a->n_resets_seen > a->n_resets ? a->n_resets_seen : a->n_resets) : c->n_pulses;
        int k = c->decider + 1;
        if (a && a->n_resets_seen > a->n_resets && c->decider == c->n_pulses - 1)
            k = n; /* past the kept 15 the last one is kept */
        const struct reset_event *r = a && c->decider < a->n_resets ? &a->resets[c->decider] : NULL;
        const char *op = r && r->cause_op >= 0 && c->p->ops && (size_t)r->cause_op < c->p->n_ops
                             ? c->p->ops[r->cause_op].label : NULL;
        char cause[48] = "";
        if (r && r->spurious)
            snprintf(cause, sizeof cause, "; not asked for: caused by %s", op ? op : "a port op");
        snprintf(what, sizeof what, "zoom: reset %d of %d%s%s", k, n,
                 a && isfinite(a->margin_ms) && c->pulses[c->decider].margin_ms == a->margin_ms
                     ? ", the one whose strap margin decided the run" : ", the last", cause);
    } else {
        snprintf(what, sizeof what, "zoom: no reset; the last line change%s",
                 a && a->n_findings ? " and its transient" : "");
    }
    fputs("set label 12 ", f);
    plot_put_text(f, what);
    fprintf(f, " at screen 0.13, screen %.4f left font ',10' tc rgb '#2a6fb9' noenhanced\n", c->top + 0.022);
}

/* ------------------------------------------------------------ the margin -- */

int timing_margin_span(const struct timing_ctx *c, const struct en_pulse *pl, double *edge_ns, double *bound_ns)
{
    const struct chip_timing *chip = &c->p->bm->chip;
    const struct trace *tr = c->p->tr;
    double t = pl->t_chip_ns / NS_PER_MS + chip->sample_delay_ms;
    double bounds[2] = {t - chip->setup_ms, t + chip->hold_ms};
    double best = INFINITY;
    if (!isfinite(pl->t_chip_ns) || !isfinite(pl->margin_ms))
        return 0;
    for (size_t i = 0; i < tr->n; i++) {
        if (tr->edges[i].channel != CH_IO0)
            continue;
        double e = (double)tr->edges[i].t_ns / NS_PER_MS;
        for (int k = 0; k < 2; k++) {
            double miss = fabs(fabs(e - bounds[k]) - fabs(pl->margin_ms));
            if (miss < best) {
                best = miss;
                *edge_ns = e * NS_PER_MS;
                *bound_ns = bounds[k] * NS_PER_MS;
            }
        }
    }
    return best < 0.01;
}

void timing_put_margin(FILE *f, const struct timing_ctx *c)
{
    if (c->decider < 0)
        return;
    const struct en_pulse *pl = &c->pulses[c->decider];
    double edge = 0, bound = 0;
    if (!timing_margin_span(c, pl, &edge, &bound))
        return;
    if (fmin(edge, bound) < (double)c->from_ns || fmax(edge, bound) > (double)c->to_ns)
        return;
    const char *colour = pl->margin_ms < 0 ? "#c0392b" : "#1a7f37";
    double e = timing_x(c, edge), b = timing_x(c, bound);
    if (fabs(edge - bound) > 1)
        fprintf(f, "set arrow 90 from first %.6f, first 0.5 to first %.6f, first 0.5 heads size screen 0.006,30 "
                   "lc rgb '%s' lw 1.5 front\n", b, e, colour);
    /* Above the high level, where no IO0 edge runs, kept inside the panel. */
    char text[48];
    snprintf(text, sizeof text, "strap margin %+.2f ms", pl->margin_ms);
    double half = (double)strlen(text) * CHAR_PX / 2 / TIMING_LANE_PX * (timing_x(c, (double)c->to_ns) -
                                                                            timing_x(c, (double)c->from_ns));
    double x = fmin(fmax((e + b) / 2, timing_x(c, (double)c->from_ns) + half), timing_x(c, (double)c->to_ns) - half);
    fprintf(f, "set label 91 '%s' at first %.6f, first 1.45 center tc rgb '%s' font ',10' boxed front\n", text, x,
            colour);
}

/* ---------------------------------------------------------- op markers -- */

/* The ops a diagram marks: every call but the waits. */
static int marked(const struct op_record *op)
{
    return op->label[0] != 'W' && op->label[0] != '\0';
}

int timing_has_ops(const struct timing_ctx *c)
{
    for (size_t i = 0; c->p->ops && i < c->p->n_ops; i++)
        if (marked(&c->p->ops[i]))
            return 1;
    return 0;
}

/* Where a time is along the panel, in px from its left edge. */
static double px_of(const struct timing_ctx *c, double t_ns)
{
    return (t_ns - (double)c->from_ns) / (double)(c->to_ns - c->from_ns) * TIMING_LANE_PX;
}

/* A marker per op at its call's start, a bar to its end (both one path:
 * a tool's loop makes hundreds of calls), and its DSL label where it does
 * not run into the one before. */
void timing_put_ops(FILE *f, const struct timing_ctx *c)
{
    double free_px = -1e9;
    int n = 0;
    fprintf(f, "$%sOPS << EOD\n", c->prefix);
    for (size_t i = 0; c->p->ops && i < c->p->n_ops && n < TIMING_MAX_MARKS; i++) {
        const struct op_record *op = &c->p->ops[i];
        double t0 = (double)op->t_before_ns, t1 = fmin(fmax((double)op->t_after_ns, t0), (double)c->to_ns);
        if (!marked(op) || t0 < (double)c->from_ns || t0 > (double)c->to_ns)
            continue;
        n++;
        double x0 = timing_x(c, t0);
        fprintf(f, "%.6f 0\n%.6f 0.45\n\n", x0, x0);
        if (px_of(c, t1) - px_of(c, t0) >= 1)
            fprintf(f, "%.6f 0.22\n%.6f 0.22\n\n", x0, timing_x(c, t1));
    }
    fputs("EOD\n", f);
    n = 0;
    for (size_t i = 0; c->p->ops && i < c->p->n_ops && n < TIMING_MAX_MARKS; i++) {
        const struct op_record *op = &c->p->ops[i];
        double t0 = (double)op->t_before_ns;
        if (!marked(op) || t0 < (double)c->from_ns || t0 > (double)c->to_ns)
            continue;
        /* a run of the same op (a tool's SYNC tries) is one label, "S ×8" */
        size_t same = 1, k = i + 1;
        for (; k < c->p->n_ops && (!marked(&c->p->ops[k]) || strcmp(c->p->ops[k].label, op->label) == 0) &&
               (double)c->p->ops[k].t_before_ns <= (double)c->to_ns; k++)
            same += marked(&c->p->ops[k]);
        char text[32];
        snprintf(text, sizeof text, same > 1 ? "%s \xC3\x97%zu" : "%s", op->label, same);
        double px = px_of(c, t0), half = (double)strlen(text) * CHAR_PX / 2;
        if (px - half < free_px)
            continue;
        free_px = px + half + 4;
        fprintf(f, "set label %d ", 100 + n++);
        plot_put_text(f, text);
        fprintf(f, " at first %.6f, graph 0.72 center font ',8' noenhanced front\n", timing_x(c, t0));
        i = same > 1 ? k - 1 : i;
    }
    fprintf(f, "set yrange [0:1]\nunset ytics\nunset key\nplot $%sOPS with lines lw 1 lc rgb '#333333' notitle\n"
               "set ytics\n", c->prefix);
}

/* ------------------------------------------------------------ UART row -- */

int timing_has_uart(const struct timing_ctx *c)
{
    return c->p->rx != NULL && c->p->n_rx > 0;
}

/* A SLIP frame's name: the command of a request, "NAME reply" of a response. */
static void frame_name(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    uint8_t frame[16];
    size_t pos = 0, n = 0;
    snprintf(out, cap, "frame");
    uint8_t head[ESP_HEADER_LEN + 8];
    size_t take = len < sizeof head ? len : sizeof head;
    memcpy(head, buf, take);
    if (take < len && take > 0)
        head[take - 1] = SLIP_END; /* the header is all a name needs */
    if (slip_next_frame(head, take, &pos, frame, sizeof frame, &n) != 1 || n < 2)
        return;
    const char *op = frame[1] == ESP_SYNC ? "SYNC" : frame[1] == ESP_READ_REG ? "READ_REG" : NULL;
    char hex[8];
    snprintf(hex, sizeof hex, "0x%02X", frame[1]);
    snprintf(out, cap, "%s%s", op ? op : hex, frame[0] == ESP_DIR_RESPONSE ? " reply" : "");
}

/* One label in the UART row, unless it runs into the one before. */
static void put_uart_text(FILE *f, const struct timing_ctx *c, double t_ns, const char *text, int *n,
                          double *free_px)
{
    double px = px_of(c, t_ns);
    if (px < *free_px || *text == '\0')
        return;
    *free_px = px + (double)strlen(text) * CHAR_PX + 6;
    fprintf(f, "set label %d ", 500 + (*n)++);
    plot_put_text(f, text);
    fprintf(f, " at first %.6f, graph 0.5 left font ',8' tc rgb '%s' noenhanced front\n", timing_x(c, t_ns),
            plot_channel_colour(CH_RX));
}

/* The UART item that starts at rx[i]: a SLIP frame (0xC0 to 0xC0, named
 * into text) or a text line (printable bytes up to a line break or a
 * pause). Returns where the next one starts. */
static size_t uart_item(const struct uart_byte *rx, size_t n_rx, size_t i, char *text, size_t cap)
{
    size_t j = i + 1, len = 0;
    if (rx[i].value == SLIP_END) {
        while (j < n_rx && rx[j].value != SLIP_END)
            j++;
        j += j < n_rx; /* the closing 0xC0 */
        uint8_t buf[ESP_HEADER_LEN + 8];
        for (size_t k = i; k < j && len < sizeof buf; k++)
            buf[len++] = rx[k].value;
        frame_name(buf, len, text, cap);
        return j;
    }
    for (j = i; j < n_rx && rx[j].value != SLIP_END && rx[j].value != '\n' &&
                (j == i || rx[j].t_ns - rx[j - 1].t_ns < UART_PAUSE_NS);
         j++)
        if (rx[j].value >= 0x20 && rx[j].value < 0x7f && len + 1 < cap)
            text[len++] = (char)rx[j].value;
    text[len] = '\0';
    return j + (j < n_rx && rx[j].value == '\n');
}

/* The bytes as text lines and SLIP frames as boxes; frames of one name
 * in a row (the ROM's eight answers to a SYNC) are one box, "SYNC reply ×8". */
void timing_put_uart_lane(FILE *f, const struct timing_ctx *c, double bottom, double top)
{
    (void)bottom;
    (void)top;
    const struct uart_byte *rx = c->p->rx;
    size_t n_rx = c->p->n_rx;
    int n = 0, boxes = 0;
    double free_px = -1e9;
    for (size_t i = 0; i < n_rx && n < TIMING_MAX_MARKS;) {
        char text[64], next[64];
        size_t j = uart_item(rx, n_rx, i, text, sizeof text), same = 1;
        int frame = rx[i].value == SLIP_END;
        while (frame && j < n_rx && rx[j].value == SLIP_END && rx[j].t_ns - rx[j - 1].t_ns < UART_PAUSE_NS) {
            size_t k = uart_item(rx, n_rx, j, next, sizeof next);
            if (strcmp(next, text) != 0)
                break;
            same++;
            j = k;
        }
        double t0 = rx[i].t_ns, t1 = rx[j - 1].t_ns;
        if (t1 >= (double)c->from_ns && t0 <= (double)c->to_ns) {
            if (frame) {
                fprintf(f, "set object %d rect from first %.6f, graph 0.15 to first %.6f, graph 0.85 back "
                           "fc rgb '#fbe3cc' fs solid 1 border lc rgb '%s'\n", 200 + boxes++,
                        timing_x(c, fmax(t0, (double)c->from_ns)), timing_x(c, fmin(t1, (double)c->to_ns)),
                        plot_channel_colour(CH_RX));
                if (same > 1)
                    snprintf(text + strlen(text), sizeof text - strlen(text), " \xC3\x97%zu", same);
            }
            put_uart_text(f, c, fmax(t0, (double)c->from_ns), text, &n, &free_px);
            n += frame;
        }
        i = j > i ? j : i + 1;
    }
    fputs("set yrange [0:1]\nunset ytics\nunset key\nplot NaN notitle\nset ytics\n", f);
    for (int k = 0; k < boxes; k++)
        fprintf(f, "unset object %d\n", 200 + k);
}
