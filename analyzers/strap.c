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
 * May call: libm. */
#include <math.h>

#include "analyze.h"

static double ns_to_ms(double ns)
{
    return ns / 1e6;
}

static int io0_changes_inside(const struct trace *tr, double a, double b)
{
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel == CH_IO0 && (double)e->t_ns > a && (double)e->t_ns <= b)
            return 1;
    }
    return 0;
}

static double margin_for_level(const struct trace *tr, int level, double a, double b)
{
    double best = -INFINITY;
    double start = 0.0;
    int cur = tr->initial[CH_IO0];
    for (size_t i = 0; i <= tr->n; i++) {
        int at_end = (i == tr->n);
        if (!at_end && tr->edges[i].channel != CH_IO0)
            continue;
        double end = at_end ? (double)tr->t_end_ns : (double)tr->edges[i].t_ns;
        if (cur == level) {
            double m = fmin(a - start, end - b);
            if (m > best)
                best = m;
        }
        if (!at_end) {
            cur = tr->edges[i].level;
            start = end;
        }
    }
    return isinf(best) ? NAN : ns_to_ms(best);
}

enum boot_mode strap_predict(const struct trace *tr, double t_chip_ns, const struct chip_timing *chip,
                             enum boot_mode target, double *margin_ms)
{
    *margin_ms = NAN;
    if (!trace_has(tr, CH_IO0) || isnan(t_chip_ns))
        return BOOT_NONE;
    double t_s = t_chip_ns + chip->sample_delay_ms * 1e6;
    double a = t_s - chip->setup_ms * 1e6;
    double b = t_s + chip->hold_ms * 1e6;
    if (target == BOOT_DOWNLOAD || target == BOOT_FLASH)
        *margin_ms = margin_for_level(tr, target == BOOT_FLASH, a, b);
    if (io0_changes_inside(tr, a, b))
        return BOOT_MARGINAL;
    return trace_level_at(tr, CH_IO0, (int64_t)a) ? BOOT_FLASH : BOOT_DOWNLOAD;
}
