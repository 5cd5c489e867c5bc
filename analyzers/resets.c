/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Chip resets found in a trace, with their cause and their RC delay.
 *
 * DTR and RTS edges are first grouped into line *steps* (edges at the same
 * instant are one change, as one TIOCMSET makes them). For transistor
 * circuits a reset is an EN low pulse long enough to reset the chip; the
 * step that released it and the analyzer's EN rising edge give the RC delay
 * (analyzer-threshold corrected). Without an EN channel the circuit table
 * and the board's R·C stand in. For USB-Serial/JTAG the steps are replayed
 * through the peripheral's action table, for USB-OTG through the device
 * model of usb_otg.c.
 * May call: steps.c, usb_otg.c, libm, libc. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "steps.h"
#include "usb_otg.h"

/* Latest step at or before t whose EN drive is `want`, optionally also
 * requiring the step before it to drive EN the other way. -1 if none. */
static int step_driving_en(const struct steps *st, const struct circuit *c, int64_t t, enum drive want,
                           int must_change)
{
    for (int i = st->n - 1; i >= 0; i--) {
        const struct step *s = &st->s[i];
        if (s->t_ns > t || circuit_en(c, s->dtr, s->rts) != want)
            continue;
        if (!must_change)
            return i;
        if (i > 0 && circuit_en(c, st->s[i - 1].dtr, st->s[i - 1].rts) != want)
            return i;
    }
    return -1;
}

static int last_step_before(const struct steps *st, int64_t t)
{
    int last = -1;
    for (int i = 1; i < st->n && st->s[i].t_ns <= t; i++)
        last = i;
    return last;
}

/* Gap of the transition that released EN: 0 when both lines changed in one
 * step, else the time until the other line's next change, as long as the
 * releasing line did not change again first. NaN when no such change. */
static double transition_gap_ms(const struct steps *st, int r)
{
    if (r < 0)
        return NAN;
    uint8_t mine = st->s[r].changed;
    if (mine == 3)
        return 0.0;
    uint8_t other = (uint8_t)(3 & ~mine);
    for (int i = r + 1; i < st->n; i++) {
        if (st->s[i].changed & other)
            return (double)(st->s[i].t_ns - st->s[r].t_ns) / 1e6;
        if (st->s[i].changed & mine)
            return NAN;
    }
    return NAN;
}

/* Stores a pulse in the event it becomes (en_low_ns, en_rise_ns; rise -1
 * when EN stays low) and counts it: past `max`, the last slot holds the
 * latest pulse, so the reset that decides the outcome (the last) is always kept. */
static int keep_pulse(struct reset_event *out, int n, int max, int64_t low, int64_t rise)
{
    if (max > 0) {
        struct reset_event *ev = &out[n < max ? n : max - 1];
        ev->en_low_ns = low, ev->en_rise_ns = rise;
    }
    return n + 1;
}

/* EN low pulses at least min_pulse_ns long (or still low at the end): how
 * many there are; the first max − 1 and the last stored. From the EN channel or, without one, from the circuit table. */
static int en_pulses(const struct trace *tr, const struct steps *st, const struct circuit *c, double min_pulse_ns,
                     struct reset_event *out, int max)
{
    int n = 0;
    int64_t low = -1;
    if (trace_has(tr, CH_EN)) {
        if (tr->initial[CH_EN] == 0)
            low = 0;
        for (size_t i = 0; i < tr->n; i++) {
            const struct edge *e = &tr->edges[i];
            if (e->channel != CH_EN)
                continue;
            if (e->level == 0)
                low = e->t_ns;
            else if (low >= 0) {
                if ((double)(e->t_ns - low) >= min_pulse_ns) /* shorter: a glitch too short to reset the chip */
                    n = keep_pulse(out, n, max, low, e->t_ns);
                low = -1;
            }
        }
    } else {
        for (int i = 0; i < st->n; i++) {
            int driven = circuit_en(c, st->s[i].dtr, st->s[i].rts) == DRIVE_LOW;
            if (driven && low < 0)
                low = st->s[i].t_ns;
            else if (!driven && low >= 0) {
                if ((double)(st->s[i].t_ns - low) >= min_pulse_ns)
                    n = keep_pulse(out, n, max, low, st->s[i].t_ns);
                low = -1;
            }
        }
    }
    if (low >= 0)
        n = keep_pulse(out, n, max, low, -1);
    return n;
}

static void init_event(struct reset_event *ev)
{
    *ev = (struct reset_event){.release_ns = -1, .en_rise_ns = -1, .t_chip_ns = NAN, .en_release_ms = NAN,
                               .tau_ms = NAN, .predicted = BOOT_NONE, .margin_ms = NAN, .gap_ms = NAN,
                               .cause_op = -1};
}

static void set_cause(struct reset_event *ev, const struct op_log *log, const struct trace *tr, int64_t t)
{
    ev->cause_op = op_for_edge(log, tr, t);
    ev->spurious = ev->cause_op >= 0 && log->ops[ev->cause_op].is_port_op;
}

/* The first EN fall after t, or the end of the capture: a binary search to
 * t (the edges are in time order), then EN's next fall. */
static int64_t next_en_fall(const struct trace *tr, int64_t t)
{
    size_t lo = 0, hi = tr->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->edges[mid].t_ns <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < tr->n; i++)
        if (tr->edges[i].channel == CH_EN && tr->edges[i].level == 0)
            return tr->edges[i].t_ns;
    return tr->t_end_ns;
}

/* With an analog EN channel: τ and the chip's release from the curve. */
static int fit_release(struct reset_event *ev, const struct trace *tr, const struct board_model *bm)
{
    double tau, t_chip;
    if (tr->en_v.n == 0)
        return 0;
    int n = rc_fit_release(&tr->en_v, ev->release_ns, next_en_fall(tr, ev->release_ns), bm->vdd,
                           bm->chip.vih_frac * bm->vdd, &tau, &t_chip);
    if (n == 0)
        return 0;
    ev->tau_ms = tau * 1e3;
    ev->t_chip_ns = t_chip;
    ev->fit_samples = n;
    return 1;
}

/* Without DTR and RTS (a partial probe), an analog EN says when it was
 * released: the fitted curve V = VDD·(1 − e^(−(t − t0)/τ)) reaches 0 V at
 * t0, the instant the driver let go (it held EN near 0 V: a saturated
 * transistor). 1 when fitted; release_ns, τ and the chip's release set. */
static int release_from_curve(struct reset_event *ev, const struct trace *tr, const struct board_model *bm,
                              int64_t low_ns)
{
    if (trace_has(tr, CH_DTR) && trace_has(tr, CH_RTS))
        return 0; /* the lines say when: the curve only fits τ */
    double tau, t_chip, level = bm->chip.vih_frac * bm->vdd;
    if (tr->en_v.n == 0 ||
        rc_fit_release(&tr->en_v, low_ns, next_en_fall(tr, ev->en_rise_ns), bm->vdd, level, &tau, &t_chip) == 0)
        return 0;
    double t0 = t_chip - tau * log(bm->vdd / (bm->vdd - level)) * 1e9;
    if (!(t0 >= (double)low_ns && t0 <= (double)ev->en_rise_ns))
        return 0; /* not a charge from 0 V inside this pulse */
    ev->release_ns = (int64_t)llround(t0);
    ev->tau_ms = tau * 1e3;
    ev->t_chip_ns = t_chip;
    ev->en_release_ms = (t_chip - t0) / 1e6;
    return 1;
}

/* Reset release estimated from the releasing step and the EN rise. */
static void estimate_release(struct reset_event *ev, const struct trace *tr, const struct board_model *bm,
                             int r)
{
    double to_chip = log(1.0 / (1.0 - bm->chip.vih_frac));
    if (r >= 0 && ev->en_rise_ns >= 0 && fit_release(ev, tr, bm)) {
        /* fitted on the analog curve */
    } else if (r >= 0 && ev->en_rise_ns >= 0 && trace_has(tr, CH_EN)) {
        double t_la = (double)(ev->en_rise_ns - ev->release_ns) / 1e9;
        double tau = rc_tau_from_analyzer(t_la, bm->vdd, tr->threshold_v);
        ev->tau_ms = tau * 1e3;
        ev->t_chip_ns = (double)ev->release_ns + tau * to_chip * 1e9;
    } else if (r >= 0) { /* no EN channel: the board's R·C stands in */
        double tau = bm->en_r_ohms * bm->en_c_farads;
        ev->tau_ms = tau * 1e3;
        ev->t_chip_ns = (double)ev->release_ns + tau * to_chip * 1e9;
    } else { /* EN rose with no line cause: take the analyzer's edge as is */
        ev->t_chip_ns = (double)ev->en_rise_ns;
    }
    if (ev->release_ns >= 0)
        ev->en_release_ms = (ev->t_chip_ns - (double)ev->release_ns) / 1e6;
}

static int transistor_resets(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                             const struct op_log *log, struct reset_event *out, int max, int *total)
{
    *total = en_pulses(tr, st, bm->circuit, bm->chip.min_reset_pulse_us * 1e3, out, max);
    int n = *total < max ? *total : max;
    for (int i = 0; i < n; i++) {
        struct reset_event *ev = &out[i];
        int64_t low_ns = ev->en_low_ns, rise_ns = ev->en_rise_ns; /* the pulse, as en_pulses kept it */
        init_event(ev);
        ev->en_low_ns = low_ns;
        int cause = step_driving_en(st, bm->circuit, low_ns, DRIVE_LOW, 0);
        if (cause < 0) /* the board does not follow its table: blame the last line change */
            cause = last_step_before(st, low_ns);
        if (cause >= 0)
            set_cause(ev, log, tr, st->s[cause].t_ns);
        if (rise_ns < 0)
            continue; /* still held in reset at the end of the capture */
        ev->en_rise_ns = trace_has(tr, CH_EN) ? rise_ns : -1;
        int r = step_driving_en(st, bm->circuit, rise_ns, DRIVE_RELEASED, 1);
        if (r >= 0)
            ev->release_ns = st->s[r].t_ns;
        else if (!trace_has(tr, CH_EN))
            ev->release_ns = rise_ns;
        if (r >= 0 || !release_from_curve(ev, tr, bm, low_ns))
            estimate_release(ev, tr, bm, r);
        ev->gap_ms = transition_gap_ms(st, r);
    }
    return n;
}

/* USB-Serial/JTAG: each line state is a command; the chip is held in reset
 * while the state says reset and boots in the mode latched when it entered.
 * The download flag starts as the board model says (a request before the
 * trace may have set it). */
static int usb_jtag_resets(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                           const struct op_log *log, struct reset_event *out, int max, int *total)
{
    const struct circuit *c = bm->circuit;
    int n = 0, flag = bm->usb_flag_at_start != 0, in_reset = 0, latched = 0;
    struct reset_event *ev = NULL;
    for (int i = 1; i < st->n; i++) {
        const struct step *s = &st->s[i];
        enum usb_action a = (enum usb_action)c->usb_action[s->dtr][s->rts];
        if (a == USB_RESET && !in_reset && max > 0) { /* past max, the last slot holds the latest */
            in_reset = 1, latched = flag, ++*total;
            ev = &out[n < max ? n++ : max - 1];
            init_event(ev);
            ev->en_low_ns = s->t_ns;
            set_cause(ev, log, tr, s->t_ns);
        } else if (a != USB_RESET && in_reset && ev != NULL) {
            in_reset = 0;
            ev->release_ns = s->t_ns;
            ev->t_chip_ns = (double)s->t_ns; /* no RC: the peripheral releases the core itself */
            ev->predicted = latched ? BOOT_DOWNLOAD : BOOT_FLASH;
        }
        if (a == USB_SET_FLAG)
            flag = 1;
        else if (a == USB_CLEAR_FLAG)
            flag = 0;
    }
    return n;
}

/* USB-OTG: the steps through the device model (usb_otg.c); each restart
 * a pulse, its mode decided inside the chip. */
static int usb_otg_resets(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                          const struct op_log *log, struct reset_event *out, int max, int *total)
{
    struct usb_otg_state dev = usb_otg_booted(bm->usb_otg_rom_at_start ? BOOT_DOWNLOAD : BOOT_FLASH);
    int n = 0;
    for (int i = 1; i < st->n && max > 0; i++) {
        enum boot_mode mode;
        if (!usb_otg_packet(bm->circuit, &dev, st->s[i].dtr, st->s[i].rts, &mode))
            continue;
        dev = usb_otg_booted(mode);
        ++*total;
        struct reset_event *ev = &out[n < max ? n++ : max - 1]; /* past max, the last slot holds the latest */
        init_event(ev);
        ev->en_low_ns = ev->release_ns = st->s[i].t_ns;
        ev->t_chip_ns = (double)st->s[i].t_ns;
        ev->predicted = mode;
        set_cause(ev, log, tr, st->s[i].t_ns);
    }
    return n;
}

int checked_steps(const struct trace *tr, struct steps *st, char *why, size_t why_len)
{
    if (trace_check(tr, why, why_len) != 0)
        return -1;
    if (build_steps(tr, st) != 0) {
        snprintf(why, why_len, "more than %d DTR/RTS changes in one capture", MAX_STEPS);
        return -1;
    }
    return 0;
}

int resets_from_steps(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                      const struct op_log *log, struct reset_event *out, int max, int *total, char *why, size_t why_len)
{
    *total = 0;
    if (bm->circuit->kind != CIRCUIT_TRANSISTOR) {
        if (st->n == 0) {
            snprintf(why, why_len, "%s analysis needs the DTR and RTS line states",
                     bm->circuit->kind == CIRCUIT_USB_OTG ? "USB-OTG" : "USB-Serial/JTAG");
            return -1;
        }
        return bm->circuit->kind == CIRCUIT_USB_OTG ? usb_otg_resets(tr, st, bm, log, out, max, total)
                                                    : usb_jtag_resets(tr, st, bm, log, out, max, total);
    }
    if (!trace_has(tr, CH_EN) && st->n == 0) {
        snprintf(why, why_len, "the trace has neither EN nor DTR and RTS: nothing to find resets in");
        return -1;
    }
    return transistor_resets(tr, st, bm, log, out, max, total);
}

int find_resets(const struct trace *tr, const struct board_model *bm, const struct op_log *log,
                struct reset_event *out, int max, char *why, size_t why_len)
{
    struct steps st;
    if (checked_steps(tr, &st, why, why_len) != 0)
        return -1;
    int total;
    return resets_from_steps(tr, &st, bm, log, out, max, &total, why, why_len);
}
