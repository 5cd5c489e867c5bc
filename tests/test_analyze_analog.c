/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze` on a partial probe with EN's voltage on an analog
 * channel (issue 25, item 1): no DTR and RTS to say when EN was released,
 * so the fitted curve does: V = VDD·(1 − e^(−(t − t0)/τ)) reaches 0 V at
 * t0. A session written here: EN pulled to 0 V from 1 ms, released at
 * 2 ms with τ = 10 ms, sampled at 100 kS/s; IO0 held high. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/capture/capture_sigrok.h"
#include "helpers.h"

#define N_V 4001
static char dir[] = "/tmp/resetlab-analog-XXXXXX";
static char out[1 << 16], err[4096];

static const char *write_session(double tau_ms)
{
    static struct edge e[4];
    static float v[N_V];
    static char path[128];
    struct trace tr = {.edges = e, .cap = 4, .sample_rate_hz = 1e6, .t_end_ns = 40000000,
                       .present = 1u << CH_IO0, .initial = {1, 1, 1, 1, 1}};
    tr.en_v = (struct analog){.v = v, .cap = N_V, .n = N_V, .t0_ns = 0, .period_ns = 10000};
    for (size_t k = 0; k < N_V; k++) {
        double t_ms = (double)k * 0.01;
        v[k] = (float)(t_ms < 1 ? 3.3 : t_ms < 2 ? 0.0 : 3.3 * (1 - exp(-(t_ms - 2) / tau_ms)));
    }
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/en-v.sr", dir);
    struct sigrok *sr = sigrok_new(err, sizeof err);
    cr_assert_not_null(sr, "%s", err);
    cr_assert_eq(sigrok_write_sr(sr, path, &tr, NULL, 0, 0, err, sizeof err), 0, "%s", err);
    sigrok_free(sr);
    return path;
}

/* Released at 2.000 ms (the curve's 0 V), τ 10.000 ms, and the chip out of
 * reset τ·ln(1/(1 − 0.75)) = 13.863 ms later, as with the lines probed. */
Test(analyze_analog, en_voltage_alone_says_when_en_was_released)
{
    const char *path = write_session(10.0);
    char args[256];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "exit %d: %s%s", rc, err, out);
    cr_expect(strstr(out, "analyzers run: resets, EN release and τ, strap window\n") != NULL, "%s", out);
    const char *at = strstr(out, "released at ");
    cr_assert_not_null(at, "%s", out);
    double rel = 0, later = 0, tau = 0;
    cr_assert_eq(sscanf(at, "released at %lf ms, chip out of reset %lf ms later (τ %lf ms)", &rel, &later, &tau), 3,
                 "%s", at);
    cr_expect(fabs(rel - 2.0) < 0.01, "released at %.4f ms, not 2.000", rel);
    cr_expect(fabs(tau - 10.0) < 0.05, "τ %.4f ms, not 10.000", tau);
    cr_expect(fabs(later - 10.0 * log(4.0)) < 0.05, "%.4f ms, not 13.863", later);
    cr_assert_null(strstr(out, "nan"), "%s", out);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
