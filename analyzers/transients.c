/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Skew and glitches: a transition the host meant as one change (one line,
 * then the other with no wait between the calls, or within transient_max_ms
 * when there is no op log) passes through an intermediate
 * line state. Each such transient is reported with its duration and what EN
 * did inside it: charging past the analyzer threshold in (1,1) is the
 * classic-reset race; being driven low in (0,1) is Windows' close. With
 * no EN channel (DTR and RTS alone) EN is the board's R·C from the last
 * step that drove it low, and the text says so.
 * May call: steps.c, rc.c, libm, libc. */
#include <math.h>
#include <stdio.h>

#include "analyze.h"
#include "steps.h"

static int single_line(uint8_t changed)
{
    return changed == 1 || changed == 2;
}

static void describe(struct finding *f, const struct trace *tr, const struct board_model *bm, const struct op_log *log,
                     const struct step *mid, const struct step *next)
{
    double ms = (double)(next->t_ns - mid->t_ns) / 1e6;
    int en_driven = circuit_en(bm->circuit, mid->dtr, mid->rts) == DRIVE_LOW;
    int64_t rose = trace_has(tr, CH_EN) ? first_edge_to(tr, CH_EN, 1, mid->t_ns, next->t_ns) : -1;
    int op_a = op_for_edge(log, tr, mid->t_ns), op_b = op_for_edge(log, tr, next->t_ns);
    char what[112];
    f->severity = SEV_INFO;
    if (en_driven && ms * 1e3 >= bm->chip.min_reset_pulse_us) {
        snprintf(what, sizeof what, "%s driven low for %.3f ms: long enough to reset", chip_en_name(&bm->chip), ms);
        f->severity = SEV_WARN;
    } else if (en_driven) {
        snprintf(what, sizeof what, "%s driven low, too briefly to reset", chip_en_name(&bm->chip));
    } else if (!trace_has(tr, CH_EN)) { /* not captured: the board's R·C from the last time the circuit drove it */
        double tau_s = bm->en_r_ohms * bm->en_c_farads, frac = bm->vdd > 0 ? tr->threshold_v / bm->vdd : 0;
        double at_ms = rc_time_to_fraction(tau_s, frac) * 1e3;
        if (circuit_en(bm->circuit, mid[-1].dtr, mid[-1].rts) != DRIVE_LOW)
            snprintf(what, sizeof what, "%s not captured, high before it by the circuit", chip_en_name(&bm->chip));
        else if (isfinite(at_ms) && at_ms < ms) {
            snprintf(what, sizeof what, "%s would cross the analyzer threshold %.3f ms into it (board R·C; not captured)",
                     chip_en_name(&bm->chip), at_ms);
            f->severity = SEV_WARN;
        } else
            snprintf(what, sizeof what, "%s would stay under the analyzer threshold (board R·C; not captured)",
                     chip_en_name(&bm->chip));
    } else if (rose >= 0) {
        snprintf(what, sizeof what, "%s crossed the analyzer threshold %.3f ms into it", chip_en_name(&bm->chip),
                 (double)(rose - mid->t_ns) / 1e6);
        f->severity = SEV_WARN;
    } else {
        snprintf(what, sizeof what, "%s did not cross the analyzer threshold", chip_en_name(&bm->chip));
    }
    snprintf(f->kind, sizeof f->kind, "transient");
    f->t_ns = mid->t_ns;
    if (op_a < 0 || op_b < 0)
        snprintf(f->message, sizeof f->message, "(DTR%d,RTS%d) for %.3f ms: %s", mid->dtr, mid->rts, ms, what);
    else
        snprintf(f->message, sizeof f->message, "(DTR%d,RTS%d) for %.3f ms between %s (op %d) and %s (op %d): %s",
                 mid->dtr, mid->rts, ms, op_label(log, op_a), op_a, op_label(log, op_b), op_b, what);
}

/* Did the scenario mean the two changes as one? With an op log: no wait
 * between the ops that made them. Without one: they came close together. */
static int meant_as_one(const struct op_log *log, const struct trace *tr, const struct board_model *bm,
                        const struct step *mid, const struct step *next)
{
    int a = op_for_edge(log, tr, mid->t_ns), b = op_for_edge(log, tr, next->t_ns);
    if (a < 0 || b < 0)
        return (double)(next->t_ns - mid->t_ns) <= bm->transient_max_ms * 1e6;
    for (int i = a; i <= b; i++)
        if (log->ops[i].label[0] == 'W')
            return 0;
    return 1;
}

int find_transients(const struct trace *tr, const struct board_model *bm, const struct op_log *log,
                    struct finding *out, int max)
{
    char why[128];
    struct steps st;
    if (checked_steps(tr, &st, why, sizeof why) != 0)
        return 0; /* analyze_run reports a malformed trace */
    return transients_from_steps(tr, &st, bm, log, out, max);
}

int transients_from_steps(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                          const struct op_log *log, struct finding *out, int max)
{
    if (bm->circuit->kind != CIRCUIT_TRANSISTOR)
        return 0;
    int n = 0;
    for (int i = 1; i + 1 < st->n && n < max; i++) {
        const struct step *mid = &st->s[i], *next = &st->s[i + 1];
        int other_line = single_line(mid->changed) && single_line(next->changed) && mid->changed != next->changed;
        if (!other_line || !meant_as_one(log, tr, bm, mid, next))
            continue;
        describe(&out[n++], tr, bm, log, mid, next);
    }
    return n;
}
