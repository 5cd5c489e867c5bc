/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's latencies fitted to floor + lognormal + spikes (latency_fit.h).
 * May call: libm, libc (qsort). */
#include "latency_fit.h"

#include <math.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double latfit_sample_quantile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double rank = ceil(p * (double)n);
    size_t i = rank < 1 ? 0 : (size_t)rank - 1;
    return sorted[i < n ? i : n - 1];
}

double latfit_normal_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* Bisection on the CDF: 80 halvings of [-40, 40] leave under 1e-22. */
double latfit_normal_quantile(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 80; i++) {
        double mid = 0.5 * (lo + hi);
        if (latfit_normal_cdf(mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double latfit_model_quantile(const struct latency_fit *f, double p)
{
    return f->floor_ms + exp(f->mu + f->sigma * latfit_normal_quantile(p));
}

/* The normal's maximum likelihood mean and sd of y when the n - k values
 * above c (the largest kept) are only known to be there (type II
 * censoring; the spikes and the top of the tail): EM, whose E step puts
 * in each censored value's conditional first and second moments. s1 and s2:
 * the sums of the k kept values and of their squares. Returns the log
 * likelihood (without the Jacobian). */
static double censored_normal(double s1, double s2, size_t k, size_t n, double c, double *mu, double *sd)
{
    double m = s1 / (double)k, v = fmax(s2 / (double)k - m * m, 1e-12);
    for (int it = 0; it < LATFIT_EM_ROUNDS && n > k; it++) {
        double s = sqrt(v), a = (c - m) / s, tail = 1 - latfit_normal_cdf(a);
        double lambda = tail > 1e-300 ? exp(-0.5 * a * a) / sqrt(2 * M_PI) / tail : a;
        double e1 = m + s * lambda, e2 = m * m + v + s * (c + m) * lambda;
        double nm = (s1 + (double)(n - k) * e1) / (double)n;
        v = fmax((s2 + (double)(n - k) * e2) / (double)n - nm * nm, 1e-12);
        m = nm;
    }
    *mu = m;
    *sd = sqrt(v);
    double ll = -(double)k * log(*sd) - (s2 - 2 * m * s1 + (double)k * m * m) / (2 * v);
    if (n > k)
        ll += (double)(n - k) * log(fmax(1 - latfit_normal_cdf((c - m) / *sd), 1e-300));
    return ll;
}

/* The profile likelihood of floor g: log(x - g) fitted as above, plus
 * the Jacobian of x -> log(x - g). */
static double profile(const double *x, size_t n, size_t k, double g, double *mu, double *sd)
{
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < k; i++) {
        double y = log(x[i] - g);
        s1 += y;
        s2 += y * y;
    }
    return censored_normal(s1, s2, k, n, log(x[k - 1] - g), mu, sd) - s1;
}

/* The floor of the largest profile likelihood in [0, min): a grid, then a
 * golden-section search around its best point. */
static double best_floor(const double *x, size_t n, size_t k)
{
    double top = x[0] - fmax(1e-9, LATFIT_FLOOR_GAP * (x[n / 2] - x[0])), mu, sd;
    if (top <= 0)
        return 0;
    int best = 0;
    double best_ll = -INFINITY;
    for (int j = 0; j <= LATFIT_FLOOR_GRID; j++) {
        double ll = profile(x, n, k, top * j / LATFIT_FLOOR_GRID, &mu, &sd);
        if (ll > best_ll)
            best_ll = ll, best = j;
    }
    double lo = top * (best > 0 ? best - 1 : 0) / LATFIT_FLOOR_GRID;
    double hi = top * (best < LATFIT_FLOOR_GRID ? best + 1 : best) / LATFIT_FLOOR_GRID;
    const double r = 0.6180339887498949;
    for (int it = 0; it < 60; it++) {
        double a = hi - r * (hi - lo), b = lo + r * (hi - lo);
        if (profile(x, n, k, a, &mu, &sd) >= profile(x, n, k, b, &mu, &sd))
            hi = b;
        else
            lo = a;
    }
    return 0.5 * (lo + hi);
}

static void constant_fit(const double *x, size_t n, struct latency_fit *f)
{
    f->floor_ms = f->median_ms = f->spike_threshold_ms = x[0];
    f->mu = -INFINITY;
    f->n = (int)n;
}

int latency_fit(double *x, size_t n, struct latency_fit *f)
{
    *f = (struct latency_fit){0};
    if (n < LATFIT_MIN_SAMPLES)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || x[i] < 0)
            return -1;
    qsort(x, n, sizeof *x, by_value);
    if (x[n - 1] == x[0])
        return constant_fit(x, n, f), 0;
    /* Fitted, the spikes it finds set aside, fitted again on the rest, so
     * that spikes far out do not count as the lognormal's censored tail. */
    size_t kept = n;
    double g = 0, mu = 0, sd = 0, limit = INFINITY;
    for (int pass = 0; pass < LATFIT_PASSES; pass++) {
        size_t k = (size_t)((double)kept * LATFIT_KEEP_Q);
        g = best_floor(x, kept, k);
        profile(x, kept, k, g, &mu, &sd);
        limit = g + exp(mu + LATFIT_SPIKE_Z * sd);
        size_t below = 0;
        while (below < n && x[below] <= limit)
            below++;
        if (below == kept)
            break;
        kept = below;
    }
    f->floor_ms = g;
    f->mu = mu;
    f->sigma = sd;
    f->median_ms = g + exp(mu);
    f->spike_threshold_ms = limit;
    f->n = (int)n;
    f->n_spikes = (int)(n - kept);
    f->spike_p = (double)(n - kept) / (double)n;
    double excess = 0;
    for (size_t i = kept; i < n; i++)
        excess += x[i] - f->median_ms;
    f->spike_ms = n > kept ? excess / (double)(n - kept) : 0;
    /* KS: the largest gap between the samples' step CDF and the model's. */
    double d = 0;
    for (size_t i = 0; i < kept; i++) {
        double F = f->sigma > 0 ? latfit_normal_cdf((log(x[i] - g) - mu) / f->sigma) : 1;
        d = fmax(d, fmax((double)(i + 1) / (double)kept - F, F - (double)i / (double)kept));
    }
    f->ks = d;
    return 0;
}
