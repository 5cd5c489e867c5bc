/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fitting a host's measured latencies to the lab's latency model
 * (sim/lab.h struct latency: floor + lognormal + rare spikes; docs/calibrate.md).
 * Pure functions over an array of samples in ms: no I/O, no globals. */
#ifndef RESETLAB_ANALYZERS_LATENCY_FIT_H
#define RESETLAB_ANALYZERS_LATENCY_FIT_H

#include <stddef.h>

/* The fit keeps the lowest LATFIT_KEEP_Q of the samples and counts the
 * rest only as "above the largest kept" (censored), so spikes and a heavy
 * top barely move the lognormal; up to 1 - LATFIT_KEEP_Q of spikes. */
#define LATFIT_KEEP_Q 0.9
/* A sample is a spike when it lies beyond the fitted lognormal's median by
 * this many sigma (log scale): 3e-5 of its own draws, 0.2 of 6,000. */
#define LATFIT_SPIKE_Z 4.0
/* The floor is searched in [0, min - LATFIT_FLOOR_GAP x (median - min)]
 * on a grid of this many steps, then refined by golden section. */
#define LATFIT_FLOOR_GAP 1e-3
#define LATFIT_FLOOR_GRID 64
#define LATFIT_EM_ROUNDS 200
/* Fits, each after setting aside the spikes the last one found. */
#define LATFIT_PASSES 4
/* The fewest samples a fit takes. */
#define LATFIT_MIN_SAMPLES 20

struct latency_fit {
    /* The model, in boards.yaml's terms: x = floor + (median - floor) *
     * exp(sigma * N(0,1)), plus with probability spike_p a spike of
     * spike_ms * (0.5 + U(0,1)) (sim/world.c draw_latency_ns). */
    double floor_ms, median_ms, sigma, spike_p, spike_ms;
    double mu;                 /* mean of log(x - floor), ms */
    double spike_threshold_ms; /* samples above it are spikes */
    int n, n_spikes;
    /* Kolmogorov-Smirnov distance of the non-spike samples against
     * floor + lognormal(mu, sigma). */
    double ks;
};

/* Fits `n` samples (ms, any order; sorted in place) by maximum
 * likelihood: log(x - floor) is normal (mu, sigma), fitted on the lowest
 * LATFIT_KEEP_Q of the samples with the rest censored (EM), and the floor
 * is the one of the largest profile likelihood (the three-parameter
 * lognormal's threshold; Cohen, "Estimating the parameters of a modified
 * lognormal population", 1951). Spikes are the samples beyond
 * LATFIT_SPIKE_Z sigma; spike_p their share and spike_ms their mean excess
 * over the median (the model's spike_ms * (0.5 + U) has mean spike_ms).
 * Spikes within LATFIT_SPIKE_Z sigma of the median are not told apart
 * from the lognormal's tail: they count in neither. Returns 0, or -1
 * when n < LATFIT_MIN_SAMPLES or a sample is negative or not finite. */
int latency_fit(double *x, size_t n, struct latency_fit *out);

/* The p-quantile (0 < p < 1) of sorted samples, nearest rank. */
double latfit_sample_quantile(const double *sorted, size_t n, double p);

/* The p-quantile of the fitted floor + lognormal (spikes left out). */
double latfit_model_quantile(const struct latency_fit *f, double p);

/* The standard normal's CDF and its inverse (0 < p < 1). */
double latfit_normal_cdf(double z);
double latfit_normal_quantile(double p);

#endif
