/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The DTR->RTS gap and the TIOCMSET skew of one calibrate cycle at the pins
 * (wire_cycle.h). Pure: no I/O, no globals. May call: trace.h, libc. */
#include "wire_cycle.h"

#include <stdio.h>

/* The first edge of `ch` to `level` at or after `from`; -1 when none. */
static long first_edge(const struct trace *tr, enum channel ch, int level, int64_t from)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->edges[i].channel == ch && tr->edges[i].level == level && tr->edges[i].t_ns >= from)
            return (long)i;
    return -1;
}

static int line_edges(const struct trace *tr)
{
    int n = 0;
    for (size_t i = 0; i < tr->n; i++)
        n += tr->edges[i].channel == CH_DTR || tr->edges[i].channel == CH_RTS;
    return n;
}

static int missing(const struct trace *tr, const char *what, char *why, size_t why_len)
{
    snprintf(why, why_len, "no %s in the capture (it holds %d DTR/RTS edges; each cycle makes 4): are DTR and RTS "
             "mapped to the channels probing the bridge's DTR and RTS pins?", what, line_edges(tr));
    return -1;
}

int wire_cycle_times(const struct trace *tr, struct wire_cycle *out, char *why, size_t why_len)
{
    if (!trace_has(tr, CH_DTR) || !trace_has(tr, CH_RTS))
        return snprintf(why, why_len, "the capture has no DTR or no RTS channel"), -1;
    long dtr_fall = first_edge(tr, CH_DTR, 0, INT64_MIN);
    if (dtr_fall < 0)
        return missing(tr, "falling DTR edge (TIOCMBIS DTR)", why, why_len);
    long rts_rise = first_edge(tr, CH_RTS, 1, tr->edges[dtr_fall].t_ns);
    if (rts_rise < 0)
        return missing(tr, "rising RTS edge after DTR fell (TIOCMBIC RTS)", why, why_len);
    int64_t t_rise = tr->edges[rts_rise].t_ns;
    long dtr_rise = first_edge(tr, CH_DTR, 1, t_rise), rts_fall = first_edge(tr, CH_RTS, 0, t_rise);
    if (dtr_rise < 0 || rts_fall < 0)
        return missing(tr, dtr_rise < 0 ? "rising DTR edge of the TIOCMSET" : "falling RTS edge of the TIOCMSET",
                       why, why_len);
    int64_t skew = tr->edges[dtr_rise].t_ns - tr->edges[rts_fall].t_ns;
    out->gap_ms = (double)(t_rise - tr->edges[dtr_fall].t_ns) / 1e6;
    out->skew_ms = (double)(skew < 0 ? -skew : skew) / 1e6;
    return 0;
}
