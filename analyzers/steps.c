/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Line steps (steps.h): DTR and RTS edges grouped by instant, built once
 * for every analyzer of a run; and the helpers the analyzers share over
 * them (first edge, the op behind an edge). May call: libc. */
#include "steps.h"

int build_steps(const struct trace *tr, struct steps *st)
{
    st->n = 0;
    if (!trace_has(tr, CH_DTR) || !trace_has(tr, CH_RTS))
        return 0;
    struct step cur = {0, (uint8_t)!tr->initial[CH_DTR], (uint8_t)!tr->initial[CH_RTS], 0};
    st->s[st->n++] = cur;
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel != CH_DTR && e->channel != CH_RTS)
            continue;
        if (e->t_ns != cur.t_ns || st->n == 1) {
            if (st->n >= MAX_STEPS)
                return -1;
            cur.t_ns = e->t_ns;
            cur.changed = 0;
            st->n++;
        }
        if (e->channel == CH_DTR)
            cur.dtr = !e->level, cur.changed |= 1;
        else
            cur.rts = !e->level, cur.changed |= 2;
        st->s[st->n - 1] = cur;
    }
    return 0;
}

const char *line_state_words(int dtr, int rts)
{
    static const char *const words[2][2] = {
        {"both lines released", "RTS asserted and DTR released"},
        {"DTR asserted and RTS released", "both lines asserted"},
    };
    return words[dtr != 0][rts != 0];
}

int64_t first_edge_to(const struct trace *tr, enum channel ch, int level, int64_t from, int64_t to)
{
    for (size_t i = 0; i < tr->n && tr->edges[i].t_ns <= to; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel == ch && e->level == level && e->t_ns > from)
            return e->t_ns;
    }
    return -1;
}

static double sample_period_ns(const struct trace *tr)
{
    return tr->sample_rate_hz > 0 ? 1e9 / tr->sample_rate_hz : 0.0;
}

int op_for_edge(const struct op_log *log, const struct trace *tr, int64_t t_edge)
{
    if (log == NULL)
        return -1;
    double lo = (double)t_edge - sample_period_ns(tr);
    for (size_t i = 0; i < log->n; i++)
        if (log->ops[i].t_before_ns <= t_edge && (double)log->ops[i].t_after_ns >= lo)
            return (int)i;
    int last = -1;
    for (size_t i = 0; i < log->n && log->ops[i].t_before_ns <= t_edge; i++)
        last = (int)i;
    return last;
}

const char *op_label(const struct op_log *log, int op)
{
    return (log != NULL && op >= 0 && (size_t)op < log->n) ? log->ops[op].label : "?";
}
