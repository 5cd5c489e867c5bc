/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RC on EN against hand-computed values (docs/physics.md#en-rc). */
#include <criterion/criterion.h>
#include <math.h>

#include "analyzers/analyze.h"

/* t = RC·ln(1/(1−0.75)) = 1.3863·RC */
Test(rc, seed_board_12k_1u_is_16_6_ms)
{
    double t = rc_time_to_fraction(12e3 * 1e-6, 0.75);
    cr_assert(fabs(t * 1e3 - 16.636) < 0.001, "got %.4f ms", t * 1e3);
}

Test(rc, devkitc_10k_1u_is_13_9_ms)
{
    double t = rc_time_to_fraction(10e3 * 1e-6, 0.75);
    cr_assert(fabs(t * 1e3 - 13.863) < 0.001, "got %.4f ms", t * 1e3);
}

Test(rc, early_devkitc_10k_100n_is_1_39_ms)
{
    double t = rc_time_to_fraction(10e3 * 0.1e-6, 0.75);
    cr_assert(fabs(t * 1e3 - 1.3863) < 0.0001, "got %.5f ms", t * 1e3);
}

/* A 1.5 V analyzer on 3.3 V sees 12 kΩ/1 µF rise at τ·ln(3.3/1.8) = 7.274 ms. */
Test(rc, analyzer_threshold_correction_recovers_tau)
{
    double t_la = 12e-3 * log(3.3 / 1.8);
    cr_assert(fabs(t_la * 1e3 - 7.2737) < 0.001, "t_la %.4f ms", t_la * 1e3);
    double tau = rc_tau_from_analyzer(t_la, 3.3, 1.5);
    cr_assert(fabs(tau - 12e-3) < 1e-9);
}

Test(rc, bad_parameters_give_nan)
{
    cr_assert(isnan(rc_time_to_fraction(1e-3, 1.0)));
    cr_assert(isnan(rc_time_to_fraction(-1.0, 0.5)));
    cr_assert(isnan(rc_tau_from_analyzer(1e-3, 3.3, 3.3)));
    cr_assert(isnan(rc_tau_from_analyzer(1e-3, 3.3, 0.0)));
}

/* ---- fitting an analog EN channel ---- */

#define N_ANALOG 6000 /* 60 ms at 100 kS/s */
static float samples[N_ANALOG];

/* EN at 0 V (or v0 at the release) until release_ms, then charging to 3.3 V
 * with τ; optional gaussian noise from a fixed LCG (Box–Muller). */
static struct analog en_curve(double release_ms, double v0, double tau_ms, double noise_v)
{
    uint64_t lcg = 12345;
    for (int i = 0; i < N_ANALOG; i++) {
        double t_ms = i * 0.01, v = t_ms < release_ms ? v0 : 3.3 - (3.3 - v0) * exp(-(t_ms - release_ms) / tau_ms);
        if (noise_v > 0) {
            lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
            double u1 = ((lcg >> 11) + 1.0) / 9007199254740993.0;
            lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
            double u2 = (lcg >> 11) / 9007199254740992.0;
            v += noise_v * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        }
        samples[i] = (float)v;
    }
    return (struct analog){.v = samples, .n = N_ANALOG, .cap = N_ANALOG, .t0_ns = 0, .period_ns = 10000};
}

/* 12 kΩ/1 µF released at 10 ms: τ 12 ms, 0.75·VDD at 10 + 12·ln 4 = 26.636 ms. */
Test(rc_fit, seed_board_curve_gives_tau_and_release)
{
    struct analog a = en_curve(10.0, 0.0, 12.0, 0.0);
    double tau, t_level;
    int n = rc_fit_release(&a, 10000000, 60000000, 3.3, 0.75 * 3.3, &tau, &t_level);
    /* 10 % to 90 % of VDD: t from 12·ln(1/0.9) = 1.26 ms to 12·ln 10 = 27.6 ms: ~2637 samples */
    cr_assert(n > 2600 && n < 2660, "%d samples", n);
    cr_assert_float_eq(tau * 1e3, 12.0, 1e-3, "τ %.5f ms", tau * 1e3);
    cr_assert_float_eq(t_level / 1e6, 26.636, 1e-3, "0.75·VDD at %.4f ms", t_level / 1e6);
}

/* EN only pulled down to 1.2 V before the release (a weak or short pulse):
 * V = 3.3 − 2.1·e^(−t/τ) crosses 2.475 V at τ·ln(2.1/0.825) = 11.211 ms
 * (τ 12 ms). The edge method, which assumes 0 V, would see the 1.5 V
 * crossing at τ·ln(2.1/1.8) = 1.850 ms and call τ 3.05 ms. */
Test(rc_fit, partial_discharge_does_not_fool_the_fit)
{
    struct analog a = en_curve(10.0, 1.2, 12.0, 0.0);
    double tau, t_level;
    cr_assert_gt(rc_fit_release(&a, 10000000, 60000000, 3.3, 2.475, &tau, &t_level), 0);
    cr_assert_float_eq(tau * 1e3, 12.0, 1e-3, "τ %.5f ms", tau * 1e3);
    cr_assert_float_eq(t_level / 1e6 - 10.0, 11.211, 1e-3, "%.4f ms after the release", t_level / 1e6 - 10.0);
    double edge_tau = rc_tau_from_analyzer(12e-3 * log(2.1 / 1.8), 3.3, 1.5);
    cr_assert_float_eq(edge_tau * 1e3, 3.05, 0.01, "the edge method: %.3f ms", edge_tau * 1e3);
}

/* 10 mV RMS noise (an 8-bit scope channel): τ within 1 %. */
Test(rc_fit, noisy_curve_within_one_percent)
{
    struct analog a = en_curve(5.0, 0.0, 10.0, 0.01);
    double tau, t_level;
    cr_assert_gt(rc_fit_release(&a, 5000000, 60000000, 3.3, 0.75 * 3.3, &tau, &t_level), 1000);
    cr_assert(fabs(tau * 1e3 - 10.0) < 0.1, "τ %.4f ms", tau * 1e3);
    cr_assert(fabs(t_level / 1e6 - (5.0 + 13.863)) < 0.15, "release %.4f ms", t_level / 1e6);
}

/* Only [t_from, t_to): EN pulled low again at 20 ms is not part of the fit. */
Test(rc_fit, window_ends_at_the_next_pull_down)
{
    struct analog a = en_curve(10.0, 0.0, 12.0, 0.0);
    for (int i = 2000; i < N_ANALOG; i++)
        samples[i] = 1.0f; /* held at 1 V from 20 ms */
    double tau, t_level;
    cr_assert_gt(rc_fit_release(&a, 10000000, 20000000, 3.3, 0.75 * 3.3, &tau, &t_level), 0);
    cr_assert_float_eq(tau * 1e3, 12.0, 1e-3, "τ %.5f ms", tau * 1e3);
}

/* A tool's next attempt pulls EN down a second later: the one sample the
 * analyzer catches mid-fall (1.0 V at 58 ms, 30 ms past the curve's 90 %)
 * is no part of this release's curve. Fitted with the rise, that one
 * point turned τ 12 ms into hundreds (issue #19: rc-mismatch on healthy
 * boards in multi-attempt runs). */
Test(rc_fit, a_later_fall_is_not_part_of_the_curve)
{
    struct analog a = en_curve(10.0, 0.0, 12.0, 0.0);
    samples[5800] = 1.0f;
    double tau, t_level;
    int n = rc_fit_release(&a, 10000000, 59000000, 3.3, 0.75 * 3.3, &tau, &t_level);
    cr_assert(n > 2600 && n < 2660, "%d samples", n);
    cr_assert_float_eq(tau * 1e3, 12.0, 1e-3, "τ %.5f ms", tau * 1e3);
}

Test(rc_fit, nothing_to_fit_returns_zero)
{
    double tau = -1, t_level = -1;
    struct analog a = en_curve(10.0, 0.0, 12.0, 0.0);
    struct analog empty = {0};
    cr_assert_eq(rc_fit_release(NULL, 0, 60000000, 3.3, 2.475, &tau, &t_level), 0);
    cr_assert_eq(rc_fit_release(&empty, 0, 60000000, 3.3, 2.475, &tau, &t_level), 0);
    /* 10 µs of curve: one sample between 10 % and 90 % */
    cr_assert_eq(rc_fit_release(&a, 10000000, 10010000, 3.3, 2.475, &tau, &t_level), 0);
    /* the level must lie strictly between 0 and VDD, the rail be positive */
    cr_assert_eq(rc_fit_release(&a, 10000000, 60000000, 3.3, 3.3, &tau, &t_level), 0);
    cr_assert_eq(rc_fit_release(&a, 10000000, 60000000, 0.0, 1.0, &tau, &t_level), 0);
    struct analog no_rate = a;
    no_rate.period_ns = 0;
    cr_assert_eq(rc_fit_release(&no_rate, 10000000, 60000000, 3.3, 2.475, &tau, &t_level), 0);
    /* a discharging curve is not a release */
    for (int i = 0; i < N_ANALOG; i++)
        samples[i] = (float)(3.3 * exp(-i * 0.01 / 12.0));
    cr_assert_eq(rc_fit_release(&a, 0, 60000000, 3.3, 2.475, &tau, &t_level), 0);
    cr_assert(tau == -1 && t_level == -1, "outputs untouched when nothing was fitted");
}
