/* RC delay on EN (DESIGN.md §5).
 *
 * Released, EN charges as V(t) = VDD·(1 − e^(−t/τ)), τ = R·C, so it crosses
 * a fraction f of VDD at t = τ·ln(1/(1−f)): 1.386·τ at the ESP32's 0.75·VDD.
 * A logic analyzer sees the rise when V crosses *its* threshold V_la, so
 * τ = t_la / ln(VDD/(VDD−V_la)).
 */
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
