/* SPDX-License-Identifier: GPL-3.0-or-later */
/* calibrate's results (calib.h): the fits, the percentile table, the
 * machine's facts and the `hosts:` entry.
 * May call: analyzers/ (latency_fit), harness/run (run_session.h: the
 * machine's facts), libc. */
#include "calib.h"

#include <stdlib.h>
#include <string.h>

#include "harness/run/run_session.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The series [from, to] in one new array, fitted. */
static int fit_pooled(const struct calib_data *d, int from, int to, struct latency_fit *out)
{
    size_t n = 0;
    for (int s = from; s <= to; s++)
        n += d->n[s];
    double *all = malloc((n ? n : 1) * sizeof *all);
    if (all == NULL)
        return -1;
    size_t k = 0;
    for (int s = from; s <= to; s++) {
        memcpy(all + k, d->ms[s], d->n[s] * sizeof *all);
        k += d->n[s];
    }
    int rc = latency_fit(all, n, out);
    free(all);
    return rc;
}

int calib_fit(struct calib_data *d, struct calib_fit *fit)
{
    for (int s = 0; s < CALIB_SERIES; s++)
        qsort(d->ms[s], d->n[s], sizeof *d->ms[s], by_value);
    if (fit_pooled(d, CALIB_SET, CALIB_BIC, &fit->request) != 0 ||
        fit_pooled(d, CALIB_LATE_1, CALIB_LATE_50, &fit->overshoot) != 0)
        return -1;
    fit->wire = d->n[CALIB_WIRE_SKEW] > 0;
    fit->skew_p50_ms = latfit_sample_quantile(d->ms[CALIB_WIRE_SKEW], d->n[CALIB_WIRE_SKEW], 0.5);
    fit->split_both_lines = fit->wire && fit->skew_p50_ms >= CALIB_WIRE_SPLIT_SHARE * fit->request.median_ms;
    return 0;
}

void calib_facts_gather(struct calib_facts *f)
{
    struct session_facts *s = calloc(1, sizeof *s);
    memset(f, 0, sizeof *f);
    if (s == NULL)
        return;
    session_facts_gather(s, "");
    snprintf(f->date, sizeof f->date, "%s", s->started);
    snprintf(f->os, sizeof f->os, "%s", s->os);
    snprintf(f->kernel, sizeof f->kernel, "%s", s->kernel);
    snprintf(f->virtualization, sizeof f->virtualization, "%s", s->virtualization);
    snprintf(f->hostname, sizeof f->hostname, "%s", s->hostname);
    snprintf(f->version, sizeof f->version, "%s", s->resetlab_version);
    free(s);
}

static const double shown_p[] = {0.5, 0.9, 0.99, 0.999};
#define N_SHOWN (sizeof shown_p / sizeof shown_p[0])

void calib_print(FILE *out, const struct calib_data *d, const struct calib_fit *fit)
{
    fprintf(out, "%-30s %6s %9s %9s %9s %9s %9s  (ms)\n", d->path, "n", "p50", "p90", "p99", "p99.9", "max");
    for (int s = 0; s < CALIB_SERIES; s++) {
        if (s >= CALIB_WIRE_GAP && d->n[s] == 0) /* no analyzer */
            continue;
        fprintf(out, "%-30s %6zu", calib_series_name[s], d->n[s]);
        for (size_t i = 0; i < N_SHOWN; i++)
            fprintf(out, " %9.3f", latfit_sample_quantile(d->ms[s], d->n[s], shown_p[i]));
        fprintf(out, " %9.3f\n", d->n[s] ? d->ms[s][d->n[s] - 1] : 0.0);
    }
    const struct latency_fit *f[2] = {&fit->request, &fit->overshoot};
    static const char *const what[2] = {"request", "overshoot"};
    for (int i = 0; i < 2; i++)
        fprintf(out,
                "fit %-9s floor %.4g ms, median %.4g ms, sigma %.4g, spike_p %.4g, spike %.4g ms"
                " (KS %.4f, %d of %d beyond %.4g ms)\n",
                what[i], f[i]->floor_ms, f[i]->median_ms, f[i]->sigma, f[i]->spike_p, f[i]->spike_ms, f[i]->ks,
                f[i]->n_spikes, f[i]->n, f[i]->spike_threshold_ms);
}

/* The fit's quality as comments: KS and the percentiles of the pooled data
 * against the model's (floor + lognormal, spikes left out). */
static void quality(FILE *out, const char *what, const struct calib_data *d, int from, int to,
                    const struct latency_fit *f)
{
    size_t n = 0;
    for (int s = from; s <= to; s++)
        n += d->n[s];
    double *all = malloc((n ? n : 1) * sizeof *all);
    fprintf(out, "# %s: n %d, Kolmogorov-Smirnov distance %.4f (non-spike samples against floor + lognormal),\n",
            what, f->n, f->ks);
    fprintf(out, "#   %d spikes beyond %.6g ms (%.0f sigma over the median, log scale)\n", f->n_spikes,
            f->spike_threshold_ms, LATFIT_SPIKE_Z);
    if (all == NULL)
        return;
    size_t k = 0;
    for (int s = from; s <= to; s++) {
        memcpy(all + k, d->ms[s], d->n[s] * sizeof *all);
        k += d->n[s];
    }
    qsort(all, n, sizeof *all, by_value);
    fprintf(out, "#   percentile   data ms    fit ms (floor + lognormal, spikes left out)\n");
    for (size_t i = 0; i < N_SHOWN; i++)
        fprintf(out, "#   p%-9g %9.4f %9.4f\n", shown_p[i] * 100, latfit_sample_quantile(all, n, shown_p[i]),
                latfit_model_quantile(f, shown_p[i]));
    free(all);
}

static void latency_line(FILE *out, const struct latency_fit *f)
{
    fprintf(out, "{floor_ms: %.6g, median_ms: %.6g, sigma: %.6g, spike_p: %.6g, spike_ms: %.6g}", f->floor_ms,
            f->median_ms, f->sigma > 5 ? 5 : f->sigma, f->spike_p, f->spike_ms);
}

void calib_write_host(FILE *out, const char *name, const struct calib_data *d, const struct calib_fit *fit,
                      const struct calib_facts *facts)
{
    fprintf(out, "# A host measured by resetlab calibrate (docs/calibrate.md), %s.\n", facts->date);
    fprintf(out, "# machine: %s, kernel %s, virtualization %s, hostname %s; resetlab %s\n", facts->os,
            facts->kernel, facts->virtualization, facts->hostname, facts->version);
    fprintf(out, "# port %s; %zu cycles of TIOCMBIS, TIOCMBIC, TIOCMSET; %d sleeps each of 1, 10 and 50 ms\n",
            d->path, d->n[CALIB_SET], CALIB_SLEEPS);
    quality(out, "request (TIOCMSET, TIOCMBIS, TIOCMBIC pooled)", d, CALIB_SET, CALIB_BIC, &fit->request);
    quality(out, "overshoot (1, 10 and 50 ms sleeps pooled)", d, CALIB_LATE_1, CALIB_LATE_50, &fit->overshoot);
    fprintf(out, "# Load with: resetlab run --hosts FILE --host %s\n", name);
    fprintf(out, "hosts:\n  %s:\n    os: linux\n", name);
    fprintf(out, "    request:   # ms per USB request: measured (above)\n      ");
    latency_line(out, &fit->request);
    fprintf(out, "\n    overshoot: ");
    latency_line(out, &fit->overshoot);
    fprintf(out, "  # measured (above)\n");
    if (!fit->wire) {
        fprintf(out, "    split_both_lines: false  # not measured: it takes a logic analyzer on the lines (--board)\n");
        return;
    }
    fprintf(out, "    split_both_lines: %s  # measured at the pins: a TIOCMSET's DTR/RTS skew p50 %.4g ms over %zu "
                 "cycles, %s %.0f %% of the request median; two calls' DTR->RTS gap p50 %.4g ms\n",
            fit->split_both_lines ? "true" : "false", fit->skew_p50_ms, d->n[CALIB_WIRE_SKEW],
            fit->split_both_lines ? "at least" : "under", CALIB_WIRE_SPLIT_SHARE * 100,
            latfit_sample_quantile(d->ms[CALIB_WIRE_GAP], d->n[CALIB_WIRE_GAP], 0.5));
}
