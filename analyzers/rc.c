/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RC delay on EN (docs/physics.md#en-rc).
 *
 * Released, EN charges as V(t) = VDD·(1 − e^(−t/τ)), τ = R·C, so it crosses
 * a fraction f of VDD at t = τ·ln(1/(1−f)): 1.386·τ at the ESP32's 0.75·VDD.
 * A logic analyzer sees the rise when V crosses *its* threshold V_la, so
 * τ = t_la / ln(VDD/(VDD−V_la)).
 *
 * With an analog EN channel the curve itself is fitted: ln(VDD − V) is a
 * straight line of slope −1/τ, whatever V was at the release. Only the
 * rise is fitted, up to the first sample past 97 % (the band is 10–90 %; a
 * noise spike near 90 % must not end it): a sample of the next reset's
 * fall, a second later, would weigh more than the whole curve.
 * May call: libm. */
#include <math.h>

#include "analyze.h"

double rc_time_to_fraction(double tau_s, double fraction)
{
    if (!(fraction > 0.0 && fraction < 1.0) || !(tau_s >= 0.0))
        return NAN;
    return tau_s * log(1.0 / (1.0 - fraction));
}

double rc_tau_from_analyzer(double t_la_s, double vdd, double v_la)
{
    if (!(v_la > 0.0 && v_la < vdd) || !(t_la_s >= 0.0))
        return NAN;
    return t_la_s / log(vdd / (vdd - v_la));
}

#define FIT_MIN_SAMPLES 8
#define FIT_LO 0.10 /* under 10 % of VDD: still being driven, or the edge itself */
#define FIT_HI 0.90 /* over 90 %: VDD − V is small and the noise dominates its log */
#define FIT_DONE 0.97 /* charged: past 97 % (no noise spike reaches it from 90 %) the curve is over */

int rc_fit_release(const struct analog *a, int64_t t_from_ns, int64_t t_to_ns, double vdd, double level,
                   double *tau_s, double *t_level_ns)
{
    if (a == NULL || a->n == 0 || !(a->period_ns > 0) || !(vdd > 0) || !(level > 0 && level < vdd))
        return 0;
    double first = ceil((double)(t_from_ns - a->t0_ns) / a->period_ns);
    size_t i0 = first < 0 ? 0 : (size_t)first;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (size_t i = i0; i < a->n; i++) {
        double t = (double)a->t0_ns + (double)i * a->period_ns;
        if (t >= (double)t_to_ns)
            break;
        double v = a->v[i];
        if (n > 0 && v >= FIT_DONE * vdd)
            break; /* charged: what follows (the next reset's fall, seconds later) is no part of this curve */
        if (!(v > FIT_LO * vdd && v < FIT_HI * vdd))
            continue;
        double x = (t - (double)t_from_ns) / 1e6, y = log(vdd - v); /* ms from the release, to stay well scaled */
        sx += x, sy += y, sxx += x * x, sxy += x * y;
        n++;
    }
    double det = n * sxx - sx * sx;
    if (n < FIT_MIN_SAMPLES || !(det > 0))
        return 0;
    double slope = (n * sxy - sx * sy) / det, icept = (sy - slope * sx) / n;
    if (!(slope < 0))
        return 0; /* not charging */
    *tau_s = -1.0 / slope / 1e3;
    *t_level_ns = (double)t_from_ns + (log(vdd - level) - icept) / slope * 1e6;
    return n;
}
