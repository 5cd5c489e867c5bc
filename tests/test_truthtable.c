/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The truth-table and transient analyzers on hand-built traces
 * (two-transistor board, 10 kΩ/1 µF: EN reaches 1.5 V 6.06 ms after release). */
#include <criterion/criterion.h>
#include <string.h>

#include "trace_fixture.h"

/* (dtr, rts) asserted → pins; EN and IO0 follow `en_low`/`io0_low`. */
static void state(struct fixture *f, double t, int dtr, int rts, int en_low, int io0_low, double en_rise_after)
{
    if (trace_level_at(&f->tr, CH_DTR, INT64_MAX) != !dtr)
        fix_edge(f, t, CH_DTR, !dtr);
    if (trace_level_at(&f->tr, CH_RTS, INT64_MAX) != !rts)
        fix_edge(f, t, CH_RTS, !rts);
    /* in time order: IO0 at +1 µs, EN falls at +5 µs or rises later */
    if (io0_low && trace_level_at(&f->tr, CH_IO0, INT64_MAX))
        fix_edge(f, t + 0.001, CH_IO0, 0);
    if (!io0_low && !trace_level_at(&f->tr, CH_IO0, INT64_MAX))
        fix_edge(f, t + 0.001, CH_IO0, 1);
    if (en_low && trace_level_at(&f->tr, CH_EN, INT64_MAX))
        fix_edge(f, t + 0.005, CH_EN, 0);
    if (!en_low && !trace_level_at(&f->tr, CH_EN, INT64_MAX))
        fix_edge(f, t + en_rise_after, CH_EN, 1);
}

static int check(struct fixture *f, struct finding *out)
{
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    return check_truth_table(&f->tr, &bm, out, 8);
}

/* Every state held 100 ms: (1,1), (0,1), (1,1), (1,0), (0,0). */
static void walk(struct fixture *f, int en_low_01, int io0_low_10, int en_low_11, int io0_low_00)
{
    fix_init(f, 600);
    state(f, 1, 1, 1, en_low_11, 0, 6.06);
    state(f, 101, 0, 1, en_low_01, 0, 6.06);
    state(f, 201, 1, 1, en_low_11, 0, 6.06);
    state(f, 301, 1, 0, 0, io0_low_10, 6.06);
    state(f, 401, 0, 0, 0, io0_low_00, 6.06);
}

Test(truthtable, healthy_board_has_no_finding)
{
    struct fixture f;
    walk(&f, 1, 1, 0, 0);
    struct finding out[8];
    cr_assert_eq(check(&f, out), 0, "%s", out[0].message);
}

Test(truthtable, open_reset_transistor)
{
    struct fixture f;
    walk(&f, 0, 1, 0, 0);
    struct finding out[8];
    cr_assert_eq(check(&f, out), 1);
    cr_assert_str_eq(out[0].message,
                     "EN never driven low while RTS asserted and DTR released: reset transistor open or RTS not wired");
    cr_assert_eq(out[0].t_ns, 101000000);
}

Test(truthtable, open_io0_transistor)
{
    struct fixture f;
    walk(&f, 1, 0, 0, 0);
    struct finding out[8];
    cr_assert_eq(check(&f, out), 1);
    cr_assert(strstr(out[0].message, "IO0 never driven low while DTR asserted and RTS released"), "%s", out[0].message);
}

Test(truthtable, en_held_low_in_both_asserted_is_direct_wiring)
{
    struct fixture f;
    walk(&f, 1, 1, 1, 0);
    struct finding out[8];
    int n = check(&f, out);
    cr_assert_eq(n, 1, "%d: %s | %s", n, out[0].message, n > 1 ? out[1].message : "");
    cr_assert_str_eq(out[0].message, "(1,1) holds EN or IO0 low: wrong circuit type (direct wiring?)");
}

/* IO0 rises 2 ms after its release instead of within 0.1 ms. */
Test(truthtable, slow_io0_is_a_missing_pull_up)
{
    struct fixture f;
    fix_init(&f, 600);
    state(&f, 1, 1, 0, 0, 1, 6.06);
    fix_edge(&f, 101, CH_DTR, 1); /* (0,0): IO0 released */
    fix_edge(&f, 103, CH_IO0, 1);
    struct finding out[8];
    cr_assert_eq(check(&f, out), 1);
    cr_assert_str_eq(out[0].message,
                     "IO0 rose 2.000 ms after its release, expected within 0.100 ms: missing or weak pull-up on IO0");
}

Test(truthtable, traces_without_lines_or_nets_give_nothing)
{
    struct fixture f;
    walk(&f, 0, 0, 0, 0);
    f.tr.present = 1u << CH_EN; /* no DTR/RTS: no line states to judge */
    struct finding out[8];
    cr_assert_eq(check(&f, out), 0);
    walk(&f, 0, 0, 0, 0);
    f.tr.present = (1u << CH_DTR) | (1u << CH_RTS); /* no EN, no IO0 */
    cr_assert_eq(check(&f, out), 0);
}

/* Windows' close: (1,1) → (0,1) for 1 ms → (0,0): EN driven low long enough. */
Test(transients, windows_close_transient_is_named)
{
    struct fixture f;
    fix_init(&f, 100);
    state(&f, 1, 1, 1, 0, 0, 6.06);
    state(&f, 50, 0, 1, 1, 0, 6.06);
    state(&f, 51, 0, 0, 0, 0, 6.06);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct op_record ops[2] = {{0, (int64_t)1e6, 0, 1, "O", 0}, {(int64_t)49.9e6, (int64_t)51e6, 1, 1, "C", 0}};
    struct op_log log = {ops, 2};
    struct finding out[4];
    cr_assert_eq(find_transients(&f.tr, &bm, &log, out, 4), 1);
    cr_assert_eq(out[0].severity, SEV_WARN);
    cr_assert_str_eq(out[0].message,
                     "(DTR0,RTS1) for 1.000 ms between C (op 1) and C (op 1): EN driven low for 1.000 ms: long enough to reset");
}

/* A wait between the two calls: a deliberate state, not a transient. */
Test(transients, a_wait_between_the_calls_is_not_a_transient)
{
    struct fixture f;
    fix_init(&f, 300);
    state(&f, 1, 1, 0, 0, 1, 6.06);
    state(&f, 51, 0, 0, 0, 0, 6.06);
    state(&f, 52, 0, 1, 1, 0, 6.06);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct op_record ops[3] = {{0, (int64_t)1e6, 0, 0, "U1,0", 0}, {(int64_t)1e6, (int64_t)51e6, 1, 0, "W0.05", 0},
                               {(int64_t)51e6, (int64_t)52e6, 2, 0, "U0,1", 0}};
    struct op_log log = {ops, 3};
    struct finding out[4];
    cr_assert_eq(find_transients(&f.tr, &bm, &log, out, 4), 0, "%s", out[0].message);
}

Test(truthtable, an_unsorted_trace_gives_nothing_rather_than_nonsense)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 10, CH_DTR, 0);
    fix_edge(&f, 5, CH_RTS, 0);
    struct finding out[8];
    cr_assert_eq(check(&f, out), 0);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    cr_assert_eq(find_transients(&f.tr, &bm, NULL, out, 8), 0);
}
