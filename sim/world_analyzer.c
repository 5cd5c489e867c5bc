/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual logic analyzer (world.h): the channels' edges quantized to
 * its sample rate and merged into the run's trace, and its analog EN
 * channel sampled with noise.
 * May call: analyzers/ (the trace), libc. */
#include <math.h>

#include "world_internal.h"

/* ---------------------------------------------------- virtual analyzer -- */

/* The analyzer sees a change at the first sample at or after it; two
 * changes inside one sample period cancel (a glitch it cannot see). */
static int quantize(const struct ch_edges *in, int initial, double period_ns, int64_t *t_out, uint8_t *lv_out)
{
    int n = 0, level = initial;
    for (int i = 0; i < in->n; i++) {
        int64_t ts = (int64_t)(ceil(in->t[i] / period_ns) * period_ns);
        if (n > 0 && t_out[n - 1] == ts) {
            n--;
            level = n > 0 ? lv_out[n - 1] : initial;
        }
        if (in->level[i] == level)
            continue;
        t_out[n] = ts;
        lv_out[n++] = in->level[i];
        level = in->level[i];
    }
    return n;
}

int world_analyzer_merge_into_trace(struct trace *tr, struct ch_edges ce[CH_COUNT], const int initial[CH_COUNT],
                                    double period_ns)
{
    int64_t t[CH_COUNT][MAX_CH_EDGES];
    uint8_t lv[CH_COUNT][MAX_CH_EDGES];
    int n[CH_COUNT], at[CH_COUNT] = {0};
    for (int c = 0; c < CH_COUNT; c++)
        n[c] = quantize(&ce[c], initial[c], period_ns, t[c], lv[c]);
    for (;;) {
        int best = -1;
        for (int c = 0; c < CH_COUNT; c++)
            if (at[c] < n[c] && (best < 0 || t[c][at[c]] < t[best][at[best]]))
                best = c;
        if (best < 0)
            return 0;
        if (trace_push(tr, t[best][at[best]], (enum channel)best, lv[best][at[best]]) != 0)
            return -1;
        at[best]++;
    }
}

/* The analyzer's analog EN channel: the EN net sampled at its own rate
 * with gaussian noise: the world's table of deviates scaled to the
 * analyzer's noise, walked from a start drawn per segment (seeded from the
 * run's seed, apart from the host's draws). Within a segment V − target
 * shrinks by e^(−period/τ) a sample. */

/* The world's noise table scaled to the analyzer's noise, made when the
 * noise level changes (a board with another analyzer). */
static const float *flat_noise(const struct sim_world *w, double noise_v)
{
    struct sim_world *mw = (struct sim_world *)w; /* a cache inside the world: no run sees it change */
    if (mw->flat_noise_v != noise_v || !mw->flat_noise_ready) {
        for (int i = 0; i < FLAT_NOISE; i++)
            mw->flat_noise[i] = (float)(noise_v * w->normal[(i * 7 + i / NOISE_TABLE) & (NOISE_TABLE - 1)]);
        mw->flat_noise_v = noise_v;
        mw->flat_noise_ready = 1;
    }
    return w->flat_noise;
}

void world_analyzer_sample_en(const struct sim_world *w, const struct physics *p, double t_end, struct analog *out)
{
    const struct analyzer_cfg *cfg = &w->board->analyzer;
    out->n = 0;
    if (!(cfg->analog_en_rate_hz > 0) || out->cap == 0 || out->v == NULL)
        return;
    struct rng nz;
    rng_seed(&nz, w->seed ^ 0x616e616c6f67ull); /* "analog" */
    out->t0_ns = 0;
    out->period_ns = 1e9 / cfg->analog_en_rate_hz;
    double period = out->period_ns, noise_v = cfg->analog_noise_v;
    size_t total = (size_t)(t_end / period) + 1;
    if (total > out->cap)
        total = out->cap;
    struct net seg = p->en_start;
    for (int k = -1; k < p->n_en_history && out->n < total; k++) {
        if (k >= 0)
            seg = p->en_history[k];
        /* this segment's samples: up to the next segment's start */
        size_t end = total;
        if (k + 1 < p->n_en_history) {
            double next = ceil(p->en_history[k + 1].t0 / period);
            end = next < (double)total ? (size_t)next : total;
        }
        if (end <= out->n)
            continue;
        double v = world_net_v(&seg, (double)out->n * period);
        double decay = seg.tau_ns > 0 ? exp(-period / seg.tau_ns) : 0.0;
        /* Moving until within a microvolt of its target (e^(−n·period/τ)
         * below 1 µV/|V − target|), then flat: most of a run EN just sits at
         * VDD, and the flat part needs no recurrence. The noise of both is
         * the scaled table, walked from a random start per segment. */
        double gap = fabs(v - seg.target);
        size_t moving = gap > 1e-6 && decay > 0 ? (size_t)ceil(log(1e-6 / gap) / log(decay)) : 0;
        size_t settle = end - out->n < moving ? end : out->n + moving;
        const float *noise = flat_noise(w, noise_v);
        double dev = v - seg.target;
        size_t at = rng_next(&nz) & (FLAT_NOISE - 1);
        for (size_t j = out->n; j < settle; j++) { /* the curve: a recurrence, sample by sample */
            out->v[j] = (float)(seg.target + dev) + noise[at];
            dev *= decay;
            at = (at + 1) & (FLAT_NOISE - 1);
        }
        /* flat: in one pass the compiler vectorizes */
        size_t from = rng_next(&nz) & (FLAT_NOISE - 1);
        for (size_t j = settle; j < end;) {
            size_t run = FLAT_NOISE - from < end - j ? FLAT_NOISE - from : end - j;
            float target = (float)seg.target;
            for (size_t i = 0; i < run; i++)
                out->v[j + i] = target + noise[from + i];
            j += run;
            from = 0;
        }
        out->n = end;
    }
}
