/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hand-built traces for the analyzer suites. Times in ms, pin levels. */
#ifndef RESETLAB_TRACE_FIXTURE_H
#define RESETLAB_TRACE_FIXTURE_H

#include "analyzers/analyze.h"

#define FIX_MAX 64

struct fixture {
    struct edge storage[FIX_MAX];
    struct trace tr;
};

/* All four channels present, all pins high at t = 0, 4 MS/s, 1.5 V. */
static inline void fix_init(struct fixture *f, double t_end_ms)
{
    *f = (struct fixture){0};
    f->tr.edges = f->storage;
    f->tr.cap = FIX_MAX;
    for (int c = 0; c < CH_COUNT; c++)
        f->tr.initial[c] = 1;
    f->tr.present = (1u << CH_DTR) | (1u << CH_RTS) | (1u << CH_EN) | (1u << CH_IO0);
    f->tr.t_end_ns = (int64_t)(t_end_ms * 1e6);
    f->tr.sample_rate_hz = 4e6;
    f->tr.threshold_v = 1.5;
}

static inline void fix_edge(struct fixture *f, double t_ms, enum channel ch, int level)
{
    trace_push(&f->tr, (int64_t)(t_ms * 1e6 + 0.5), ch, level);
}

/* The two-transistor table in the asserted convention (docs/physics.md#truth-table). */
static inline struct circuit fix_two_transistor(void)
{
    struct circuit c = {.name = "two-transistor", .kind = CIRCUIT_TRANSISTOR, .driver_ohms = 10};
    c.en[0][1] = DRIVE_LOW;
    c.io0[1][0] = DRIVE_LOW;
    return c;
}

static inline struct board_model fix_board(const struct circuit *c, double r, double cap)
{
    return (struct board_model){.circuit = c, .en_r_ohms = r, .en_c_farads = cap, .vdd = 3.3,
                                .en_c_tolerance = 0.2, .io0_pullup_ohms = 10e3, .io0_c_farads = 10e-12,
                                .chip = {.vih_frac = 0.75, .setup_ms = 0, .hold_ms = 1, .min_reset_pulse_us = 50},
                                .settle_ms = 0.1, .transient_max_ms = 200};
}

#endif
