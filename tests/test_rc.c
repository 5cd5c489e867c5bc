/* RC on EN against hand-computed values (DESIGN.md §5). */
#include <criterion/criterion.h>
#include <math.h>

#include "../analyzers/analyze.h"

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
