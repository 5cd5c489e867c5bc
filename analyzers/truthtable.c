/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Truth table: for every interval in which DTR and RTS are stable longer
 * than the settle time, EN and IO0 are compared with the board's circuit
 * table (docs/physics.md#truth-table). A released net gets the time its RC needs to cross
 * the analyzer's threshold (with the capacitor's tolerance) before it is
 * judged; a net that rises later than that is slow, not stuck.
 *
 * Violations are then read as a bring-up engineer would: lines swapped, a
 * transistor open or shorted, the wrong circuit type, a missing pull-up.
 * May call: steps.c, libm, libc. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "steps.h"

enum seen { SEEN_NOTHING, SEEN_OK, SEEN_STUCK, SEEN_SLOW };

/* What each net did in each line state, and when it first went wrong. */
struct observed {
    uint8_t en[2][2], io0[2][2];           /* enum seen */
    int64_t en_t[2][2], io0_t[2][2];       /* first violation */
    double io0_late_ms;                    /* the slowest IO0 rise seen */
    int64_t io0_late_t;                    /* the first slow rise's release */
};

static double threshold_time_ns(double tau_s, double vdd, double v_la)
{
    return tau_s * log(vdd / (vdd - v_la)) * 1e9;
}

static void note(uint8_t *cell, int64_t *cell_t, enum seen what, int64_t t)
{
    if (what == SEEN_NOTHING)
        return;
    if (what == SEEN_OK) {
        if (*cell == SEEN_NOTHING)
            *cell = SEEN_OK;
        return;
    }
    if (*cell == SEEN_NOTHING || *cell == SEEN_OK) {
        *cell = (uint8_t)what;
        *cell_t = t;
    }
}

/* Judges one net over [t0, t1): `low` when it should be driven low, else
 * released at `t_release` with `allow_ns` to reach the analyzer threshold. */
static enum seen judge(const struct trace *tr, enum channel ch, int low, int64_t t0, int64_t t1, double settle_ns,
                       int64_t t_release, double allow_ns, double *late_ms)
{
    int64_t check = t0 + (int64_t)settle_ns;
    if (low)
        return trace_level_at(tr, ch, check) == 0 ? SEEN_OK : SEEN_STUCK;
    int64_t deadline = (int64_t)((double)(t_release > t0 ? t_release : t0) + settle_ns + allow_ns);
    if (trace_level_at(tr, ch, deadline < t1 ? deadline : t1) == 1)
        return SEEN_OK;
    int64_t rose = first_edge_to(tr, ch, 1, t0, t1 - 1); /* a rise at t1 is the next step's doing */
    if (rose >= 0 && rose > deadline) {
        *late_ms = fmax(*late_ms, (double)(rose - (t_release > t0 ? t_release : t0)) / 1e6);
        return SEEN_SLOW;
    }
    return deadline < t1 ? SEEN_STUCK : SEEN_NOTHING; /* too short for its RC: no verdict */
}

static void observe(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                    struct observed *o)
{
    const struct circuit *c = bm->circuit;
    double settle = bm->settle_ms * 1e6, v_la = tr->threshold_v, tol = 1.0 + bm->en_c_tolerance;
    double en_allow = threshold_time_ns(bm->en_r_ohms * bm->en_c_farads, bm->vdd, v_la) * tol;
    double io0_allow = threshold_time_ns(bm->io0_pullup_ohms * bm->io0_c_farads, bm->vdd, v_la) * tol;
    int64_t en_released = 0, io0_released = 0;
    memset(o, 0, sizeof *o);
    for (int i = 0; i < st->n; i++) {
        const struct step *s = &st->s[i];
        int64_t t0 = s->t_ns, t1 = step_end(st, tr, i);
        int en_low = circuit_en(c, s->dtr, s->rts) == DRIVE_LOW, io0_low = circuit_io0(c, s->dtr, s->rts) == DRIVE_LOW;
        int was_en_low = i > 0 && circuit_en(c, st->s[i - 1].dtr, st->s[i - 1].rts) == DRIVE_LOW;
        int was_io0_low = i > 0 && circuit_io0(c, st->s[i - 1].dtr, st->s[i - 1].rts) == DRIVE_LOW;
        if (!en_low && was_en_low)
            en_released = t0;
        if (!io0_low && was_io0_low)
            io0_released = t0;
        if ((double)(t1 - t0) < settle)
            continue; /* a transient: see transients.c */
        double unused = 0;
        if (trace_has(tr, CH_EN))
            note(&o->en[s->dtr][s->rts], &o->en_t[s->dtr][s->rts],
                 judge(tr, CH_EN, en_low, t0, t1, settle, en_released, en_allow, &unused), t0);
        if (trace_has(tr, CH_IO0)) {
            enum seen j = judge(tr, CH_IO0, io0_low, t0, t1, settle, io0_released, io0_allow, &o->io0_late_ms);
            if (j == SEEN_SLOW && o->io0_late_t == 0)
                o->io0_late_t = io0_released > t0 ? io0_released : t0;
            note(&o->io0[s->dtr][s->rts], &o->io0_t[s->dtr][s->rts], j, t0);
        }
    }
}

/* Every judged state wrong for the design and right with DTR and RTS
 * exchanged: the lines are crossed. */
static int looks_swapped(const struct observed *o, const struct circuit *c)
{
    int wrong = 0;
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < 2; r++) {
            int en_seen_low = -1, io0_seen_low = -1; /* -1: not judged */
            if (o->en[d][r] != SEEN_NOTHING && o->en[d][r] != SEEN_SLOW)
                en_seen_low = (o->en[d][r] == SEEN_OK) == (c->en[d][r] == DRIVE_LOW);
            if (o->io0[d][r] != SEEN_NOTHING && o->io0[d][r] != SEEN_SLOW)
                io0_seen_low = (o->io0[d][r] == SEEN_OK) == (c->io0[d][r] == DRIVE_LOW);
            if ((en_seen_low >= 0 && en_seen_low != (c->en[r][d] == DRIVE_LOW)) ||
                (io0_seen_low >= 0 && io0_seen_low != (c->io0[r][d] == DRIVE_LOW)))
                return 0;
            wrong += o->en[d][r] == SEEN_STUCK || o->io0[d][r] == SEEN_STUCK;
        }
    return wrong > 0;
}

struct sink {
    struct finding *out;
    int n, max;
    const char *en, *io0; /* the chip's names for them (chips.<name>.en_pin, strap_pin) */
};

static void emit(struct sink *k, int64_t t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void emit(struct sink *k, int64_t t, const char *fmt, ...)
{
    if (k->n >= k->max)
        return;
    struct finding *f = &k->out[k->n++];
    snprintf(f->kind, sizeof f->kind, "truth-table");
    f->t_ns = t;
    f->severity = SEV_ERROR;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

/* A net stuck low in every state where the design releases it is tied low
 * (a shorted transistor), not a wrong table entry. */
static int stuck_everywhere(const uint8_t seen[2][2], const uint8_t design[2][2])
{
    int judged = 0;
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < 2; r++)
            if (design[d][r] == DRIVE_RELEASED && seen[d][r] != SEEN_NOTHING && seen[d][r] != SEEN_SLOW) {
                if (seen[d][r] != SEEN_STUCK)
                    return 0;
                judged++;
            }
    return judged > 1;
}

static void diagnose_state(struct sink *k, const struct observed *o, const struct circuit *c, int d, int r,
                           int en_tied, int io0_tied)
{
    const char *words = line_state_words(d, r);
    int en_bad = o->en[d][r] == SEEN_STUCK, io0_bad = o->io0[d][r] == SEEN_STUCK;
    int en_held = en_bad && c->en[d][r] == DRIVE_RELEASED, io0_held = io0_bad && c->io0[d][r] == DRIVE_RELEASED;
    if (d && r && ((en_held && !en_tied) || (io0_held && !io0_tied)))
        emit(k, en_held ? o->en_t[d][r] : o->io0_t[d][r],
             "(1,1) holds %s or %s low: wrong circuit type (direct wiring?)", k->en, k->io0);
    if (en_bad && c->en[d][r] == DRIVE_LOW)
        emit(k, o->en_t[d][r], "%s never driven low while %s: reset transistor open or %s not wired", k->en, words,
             r ? "RTS" : "DTR");
    if (io0_bad && c->io0[d][r] == DRIVE_LOW)
        emit(k, o->io0_t[d][r], "%s never driven low while %s: %s transistor open or %s not wired", k->io0, words,
             k->io0, d ? "DTR" : "RTS");
}

static int64_t first_stuck(const uint8_t seen[2][2], const int64_t t[2][2])
{
    int64_t first = INT64_MAX;
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < 2; r++)
            if (seen[d][r] == SEEN_STUCK && t[d][r] < first)
                first = t[d][r];
    return first;
}

/* Held low in (0,0), (0,1) or (1,0) where the design releases, but not tied
 * low everywhere: a transistor conducting when it should not. */
static void held_elsewhere(struct sink *k, const struct observed *o, const struct circuit *c, int en_tied, int io0_tied)
{
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < 2; r++) {
            if (d && r)
                continue;
            if (!en_tied && o->en[d][r] == SEEN_STUCK && c->en[d][r] == DRIVE_RELEASED)
                emit(k, o->en_t[d][r], "%s held low while %s: reset transistor shorted or %s tied low", k->en,
                     line_state_words(d, r), k->en);
            if (!io0_tied && o->io0[d][r] == SEEN_STUCK && c->io0[d][r] == DRIVE_RELEASED)
                emit(k, o->io0_t[d][r], "%s held low while %s: %s transistor conducting", k->io0,
                     line_state_words(d, r), k->io0);
        }
}

int check_truth_table(const struct trace *tr, const struct board_model *bm, struct finding *out, int max)
{
    char why[128];
    struct steps st;
    if (checked_steps(tr, &st, why, sizeof why) != 0)
        return 0; /* analyze_run reports a malformed trace */
    return truth_table_from_steps(tr, &st, bm, out, max);
}

int truth_table_from_steps(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                           struct finding *out, int max)
{
    if (bm->circuit->kind != CIRCUIT_TRANSISTOR || st->n == 0)
        return 0;
    struct observed o;
    observe(tr, st, bm, &o);
    struct sink k = {out, 0, max, chip_en_name(&bm->chip), chip_strap_name(&bm->chip)};
    if (looks_swapped(&o, bm->circuit)) {
        int64_t t = INT64_MAX;
        for (int d = 0; d < 2; d++)
            for (int r = 0; r < 2; r++) {
                if (o.en[d][r] == SEEN_STUCK && o.en_t[d][r] < t)
                    t = o.en_t[d][r];
                if (o.io0[d][r] == SEEN_STUCK && o.io0_t[d][r] < t)
                    t = o.io0_t[d][r];
            }
        emit(&k, t, "DTR and RTS swapped: %s follows DTR and %s follows RTS (crossed at the bridge or the "
                    "transistors)", k.en, k.io0);
        return k.n;
    }
    int en_tied = stuck_everywhere(o.en, bm->circuit->en), io0_tied = stuck_everywhere(o.io0, bm->circuit->io0);
    if (en_tied)
        emit(&k, first_stuck(o.en, o.en_t), "%s low in every line state: reset transistor shorted or %s tied low", k.en,
             k.en);
    if (io0_tied)
        emit(&k, first_stuck(o.io0, o.io0_t), "%s low while DTR released: %s transistor shorted", k.io0, k.io0);
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < 2; r++)
            diagnose_state(&k, &o, bm->circuit, d, r, en_tied, io0_tied);
    held_elsewhere(&k, &o, bm->circuit, en_tied, io0_tied);
    if (o.io0_late_ms > 0 && k.n < max) {
        char late[48], expect[48];
        double allow = threshold_time_ns(bm->io0_pullup_ohms * bm->io0_c_farads, bm->vdd, tr->threshold_v) *
                       (1.0 + bm->en_c_tolerance) / 1e6 + bm->settle_ms;
        snprintf(late, sizeof late, "%.3f ms", o.io0_late_ms);
        snprintf(expect, sizeof expect, "%.3f ms", allow);
        emit(&k, o.io0_late_t, "%s rose %s after its release, expected within %s: missing or weak pull-up on %s", k.io0,
             late, expect, k.io0);
    }
    return k.n;
}
