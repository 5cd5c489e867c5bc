/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Traces (trace.h): channel names and the checks every analyzer runs on a
 * trace before trusting it (ordered, on known channels). May call: libc. */
#include "trace.h"

#include <stdio.h>

const char *channel_name(enum channel ch)
{
    static const char *const names[CH_COUNT] = {"DTR", "RTS", "EN", "IO0", "RX"};
    return (unsigned)ch < CH_COUNT ? names[ch] : "?";
}

int trace_push(struct trace *tr, int64_t t_ns, enum channel ch, int level)
{
    if (tr->n >= tr->cap)
        return -1;
    tr->edges[tr->n++] = (struct edge){.t_ns = t_ns, .channel = (uint8_t)ch, .level = (uint8_t)(level != 0)};
    return 0;
}

int trace_check(const struct trace *tr, char *why, size_t why_len)
{
    uint8_t level[CH_COUNT];
    for (int c = 0; c < CH_COUNT; c++)
        level[c] = tr->initial[c];
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel >= CH_COUNT) {
            snprintf(why, why_len, "edge %zu: unknown channel %u", i, e->channel);
            return -1;
        }
        if (i > 0 && e->t_ns < tr->edges[i - 1].t_ns) {
            snprintf(why, why_len, "edge %zu at %lld ns is earlier than the edge before it", i,
                     (long long)e->t_ns);
            return -1;
        }
        if (e->level == level[e->channel]) {
            snprintf(why, why_len, "edge %zu at %lld ns does not change %s (duplicate edge)", i,
                     (long long)e->t_ns, channel_name(e->channel));
            return -1;
        }
        level[e->channel] = e->level;
    }
    return 0;
}

int trace_level_at(const struct trace *tr, enum channel ch, int64_t t_ns)
{
    int level = tr->initial[ch];
    for (size_t i = 0; i < tr->n && tr->edges[i].t_ns <= t_ns; i++)
        if (tr->edges[i].channel == ch)
            level = tr->edges[i].level;
    return level;
}
