/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resetlab tune's search (run_tune.h).
 * May call: run_cell.c, run_real.c, harness/lab (lab_dsl.h), sim/, reports/ (stats), libc. */
#include "run_tune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"
#include "reports/stats.h"
#include "sim/world.h"
#include "harness/lab/lab_dsl.h"
#include "run_matrix.h"
#include "run_real.h"

/* Candidate waits, ms: fine where EN networks put their release (1.4 ms
 * for 0.1 µF, 13.9 ms for 1 µF at 10 kΩ), coarser beyond. */
static const double HOLDS_MS[] = {0.5, 1, 2, 5, 10, 20, 50, 100};
static const double BOOTS_MS[] = {1,  2,  3,  4,  5,  6,  8,  10, 12, 14, 15, 16, 17,  18,  19,  20,
                                  22, 24, 26, 28, 30, 35, 40, 45, 50, 60, 70, 80, 100, 120, 150, 200};
#define N_HOLDS (sizeof HOLDS_MS / sizeof HOLDS_MS[0])
#define N_BOOTS (sizeof BOOTS_MS / sizeof BOOTS_MS[0])

const char *tune_family_name(enum tune_family f)
{
    return f == TUNE_ONE_CALL ? "one call per change (U)" : f == TUNE_TWO_CALLS ? "two calls (D, R)" : "USB-JTAG";
}

void tune_sequence(enum tune_family f, double hold_ms, double boot_ms, char *out, size_t len)
{
    double h = hold_ms / 1e3, b = boot_ms / 1e3;
    if (f == TUNE_ONE_CALL)
        snprintf(out, len, "U0,1|W%g|U1,0|W%g|U0,0", h, b);
    else if (f == TUNE_TWO_CALLS)
        snprintf(out, len, "D0|R1|W%g|D1|R0|W%g|D0", h, b);
    else
        snprintf(out, len, "R0|D0|W%g|D1|R0|W%g|R1|D0|R1|W%g|D0|R0|W%g", h, h, h, b);
}

/* The largest number of failures in n runs that still leaves the 95 %
 * Wilson lower bound at or above the target. */
static int failures_allowed(int n, double target)
{
    int f = 0;
    double lo, hi;
    while (f < n && wilson_interval(n - (f + 1), n, 1.96, &lo, &hi) == 0 && lo >= target)
        f++;
    wilson_interval(n - f, n, 1.96, &lo, &hi);
    return lo >= target ? f : -1;
}

/* A scenario for the sequence: open as esptool does, reset, SYNC. esptool's
 * CustomReset (esptool/reset.py, v4.5 to v5.3.1) sets RTS with
 * port.setRTS: unlike its own strategies it does not write DTR again. */
static int make_scenario(const struct tune_opts *o, const char *reset, struct scenario *sc, char *err, size_t len)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "tune");
    sc->expected = BOOT_DOWNLOAD;
    sc->rewrite_dtr_after_rts = 0;
    sc->os_mask = 1 << o->host->os;
    char text[256], why[160];
    snprintf(text, sizeof text, "O|%s|S|W0.1", reset);
    if (dsl_parse(text, &sc->seq[o->host->os], why, sizeof why) != 0) {
        snprintf(err, len, "%s: %s", text, why);
        return -1;
    }
    return 0;
}

void tune_run_once(const struct tune_opts *o, struct sim_world *w, const struct scenario *sc, const char *seed_name,
                   int iteration, struct run_buffers *rb)
{
    if (o->port != NULL)
        run_real_once(o->sr, o->board, sc, o->port, rb);
    else
        run_sim_once(w, o->board, o->host, sc, run_seed(o->seed, o->board->name, o->host->name, seed_name, iteration),
                        rb);
}

double tune_reset_ms(const struct run_buffers *rb)
{
    if (rb->n_log < 4)
        return NAN;
    return (double)(rb->log[rb->n_log - 3].t_after_ns - rb->log[1].t_before_ns) / 1e6; /* O ... S W */
}

int tune_evaluate(const struct tune_opts *o, struct tune_result *r, int stop_early, char *err, size_t err_len)
{
    struct scenario sc;
    if (make_scenario(o, r->reset, &sc, err, err_len) != 0)
        return -1;
    struct run_buffers *rb = calloc(1, sizeof *rb);
    double *margins = malloc((size_t)o->iterations * sizeof *margins);
    double *times = malloc((size_t)o->iterations * sizeof *times);
    struct sim_world *w = sim_world_new();
    if (rb == NULL || margins == NULL || times == NULL || w == NULL) {
        snprintf(err, err_len, "out of memory");
        free(rb), free(margins), free(times), sim_world_free(w), op_seq_free(&sc.seq[o->host->os]);
        return -1;
    }
    int allowed = stop_early ? failures_allowed(o->iterations, o->target) : o->iterations;
    int n_margin = 0, n_time = 0;
    r->runs = r->passed = 0;
    for (int it = 0; it < o->iterations && (allowed < 0 ? r->runs == 0 : r->runs - r->passed <= allowed); it++) {
        tune_run_once(o, w, &sc, r->reset, it, rb);
        const struct analysis *a = &rb->a;
        r->runs++;
        int download = a->verdict == VERDICT_PASS && a->outcome == BOOT_DOWNLOAD && a->sync == 1;
        if (download && isfinite(a->margin_ms))
            margins[n_margin++] = a->margin_ms;
        /* USB-Serial/JTAG resets inside the chip: no strap window, no margin */
        int margin_ok = isnan(a->margin_ms) ? o->board->circuit->kind == CIRCUIT_USB_JTAG
                                            : a->margin_ms >= o->min_margin_ms;
        r->passed += download && margin_ok;
        double t = tune_reset_ms(rb);
        if (isfinite(t))
            times[n_time++] = t;
    }
    wilson_interval(r->passed, r->runs, 1.96, &r->lo, &r->hi);
    r->met = r->runs == o->iterations && r->lo >= o->target;
    r->reset_ms = n_time ? percentile(times, n_time, 0.5) : NAN;
    r->margin_min = n_margin ? percentile(margins, n_margin, 0) : NAN;
    r->margin_p1 = n_margin ? percentile(margins, n_margin, 0.01) : NAN;
    r->margin_p50 = n_margin ? percentile(margins, n_margin, 0.5) : NAN;
    free(rb), free(margins), free(times), sim_world_free(w);
    op_seq_free(&sc.seq[o->host->os]);
    return 0;
}

int tune_host_has_one_call(const struct host_profile *h)
{
    return h->os != OS_WINDOWS && h->port == PORT_LOCAL;
}

int tune_search(const struct tune_opts *o, struct tune_result *best, char *err, size_t err_len)
{
    enum tune_family families[3];
    int n_fam = 0;
    if (o->board->circuit->kind == CIRCUIT_USB_JTAG) {
        families[n_fam++] = TUNE_USB_JTAG;
    } else {
        if (tune_host_has_one_call(o->host) && !o->no_one_call)
            families[n_fam++] = TUNE_ONE_CALL;
        families[n_fam++] = TUNE_TWO_CALLS;
    }
    memset(best, 0, sizeof *best);
    best->reset_ms = INFINITY;
    int tried = 0;
    for (int f = 0; f < n_fam; f++)
        for (size_t h = 0; h < N_HOLDS; h++)
            for (size_t b = 0; b < N_BOOTS; b++) {
                double waits = (families[f] == TUNE_USB_JTAG ? 3 : 1) * HOLDS_MS[h] + BOOTS_MS[b];
                if (best->met && waits >= best->reset_ms)
                    break; /* cannot beat the best: the waits alone are longer */
                struct tune_result r = {.family = families[f], .hold_ms = HOLDS_MS[h], .boot_ms = BOOTS_MS[b]};
                tune_sequence(r.family, r.hold_ms, r.boot_ms, r.reset, sizeof r.reset);
                if (tune_evaluate(o, &r, 1, err, err_len) != 0)
                    return -1;
                tried++;
                if (r.met && (!best->met || r.reset_ms < best->reset_ms))
                    *best = r;
                if (r.met)
                    break; /* longer boots only take longer */
            }
    return tried;
}
