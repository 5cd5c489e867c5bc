/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Strap window and margin (docs/physics.md#strap-window).
 *
 * The chip samples its straps at t_s = t_chip + sample_delay (0 for most
 * chips; the ESP8266 latches later). IO0 must hold its level from
 * t_s − setup to t_s + hold. The margin
 * is signed and continuous: for the target level L it is the largest, over
 * the intervals where IO0 = L, of min(window_start − interval_start,
 * interval_end − window_end). Positive: the window sits inside a stretch of
 * L with that much to spare on the tighter side. Negative: L misses the
 * window by that much. Interval ends at the capture bounds count as edges
 * (the capture cannot say more), so the margin is never infinite.
 * May call: libm, libc (malloc: IO0's edges apart from the others). */
#include <math.h>
#include <stdlib.h>

#include "analyze.h"
#include "steps.h"

static double ns_to_ms(double ns)
{
    return ns / 1e6;
}

/* Edges of the line at or before t: a binary search (the edges are in time order). */
static size_t edges_until(const struct io0_line *l, double t)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)l->edges[mid].t_ns <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Interval j of the line: from edge j − 1 (the capture's start for j = 0)
 * to edge j (its end for j = n), at the level edge j − 1 set. */
static int interval_level(const struct io0_line *l, size_t j)
{
    return j == 0 ? l->initial : l->edges[j - 1].level;
}

static double interval_margin(const struct io0_line *l, size_t j, double a, double b)
{
    double start = j == 0 ? 0.0 : (double)l->edges[j - 1].t_ns;
    double end = j == l->n ? (double)l->t_end_ns : (double)l->edges[j].t_ns;
    return fmin(a - start, end - b);
}

/* The largest margin over the intervals at `level`. Only three kinds can
 * be the largest: of those ending by `a` the latest (its margin is
 * end − b), of those starting after `b` the earliest (a − start), and
 * those the window overlaps (intervals first..last). */
static double margin_for_level(const struct io0_line *l, int level, double a, double b, size_t first, size_t last)
{
    double best = -INFINITY;
    for (size_t j = first; j <= last; j++)
        if (interval_level(l, j) == level)
            best = fmax(best, interval_margin(l, j, a, b));
    for (size_t j = first; j-- > 0;)
        if (interval_level(l, j) == level) {
            best = fmax(best, interval_margin(l, j, a, b));
            break;
        }
    for (size_t j = last + 1; j <= l->n; j++)
        if (interval_level(l, j) == level) {
            best = fmax(best, interval_margin(l, j, a, b));
            break;
        }
    return isinf(best) ? NAN : ns_to_ms(best);
}

enum boot_mode strap_predict_line(const struct io0_line *l, double t_chip_ns, const struct chip_timing *chip,
                                  enum boot_mode target, double *margin_ms)
{
    *margin_ms = NAN;
    if (isnan(t_chip_ns))
        return BOOT_NONE;
    double t_s = t_chip_ns + chip->sample_delay_ms * 1e6;
    double a = t_s - chip->setup_ms * 1e6;
    double b = t_s + chip->hold_ms * 1e6;
    size_t first = edges_until(l, a), last = edges_until(l, b); /* the intervals holding a and b */
    if (target == BOOT_DOWNLOAD || target == BOOT_FLASH)
        *margin_ms = margin_for_level(l, target == BOOT_FLASH, a, b, first, last);
    if (last > first) /* an edge in (a, b] */
        return BOOT_MARGINAL;
    return interval_level(l, first) ? BOOT_FLASH : BOOT_DOWNLOAD;
}

int io0_line_of(const struct trace *tr, struct io0_line *l, struct edge *buf, size_t cap, struct edge **owned)
{
    size_t n = 0;
    *owned = NULL;
    for (size_t i = 0; i < tr->n; i++)
        n += tr->edges[i].channel == CH_IO0;
    if (n > cap && (buf = *owned = malloc(n * sizeof *buf)) == NULL)
        return -1;
    *l = (struct io0_line){buf, 0, tr->initial[CH_IO0], tr->t_end_ns};
    for (size_t i = 0; i < tr->n; i++)
        if (tr->edges[i].channel == CH_IO0)
            buf[l->n++] = tr->edges[i];
    return 0;
}

enum boot_mode strap_predict(const struct trace *tr, double t_chip_ns, const struct chip_timing *chip,
                             enum boot_mode target, double *margin_ms)
{
    *margin_ms = NAN;
    struct io0_line l;
    struct edge *owned;
    if (!trace_has(tr, CH_IO0) || isnan(t_chip_ns) || io0_line_of(tr, &l, NULL, 0, &owned) != 0)
        return BOOT_NONE;
    enum boot_mode mode = strap_predict_line(&l, t_chip_ns, chip, target, margin_ms);
    free(owned);
    return mode;
}
