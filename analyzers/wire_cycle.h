/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One `resetlab calibrate` cycle as the logic analyzer saw it at the pins
 * (docs/calibrate.md#at-the-wire): the DTR->RTS edge gap of two
 * single-line calls, and the skew between DTR's and RTS's edges of one
 * TIOCMSET that changes both. Pure functions over a trace: no I/O, no globals. */
#ifndef RESETLAB_ANALYZERS_WIRE_CYCLE_H
#define RESETLAB_ANALYZERS_WIRE_CYCLE_H

#include <stddef.h>

#include "trace.h"

/* The cycle, in pin levels (DTR and RTS are active low, trace.h): it starts
 * with DTR released (pin high) and RTS asserted (pin low); TIOCMBIS DTR
 * pulls DTR's pin low, TIOCMBIC RTS lets RTS's pin go high, and one
 * TIOCMSET puts both back (DTR high, RTS low), in either order at the pins. */
struct wire_cycle {
    double gap_ms;  /* RTS's rise after DTR's fall: the two single-line calls */
    double skew_ms; /* |DTR's rise - RTS's fall|: one TIOCMSET changing both */
};

/* Finds the cycle's four edges in order (DTR falls; then RTS rises; then
 * DTR rises and RTS falls, each after RTS's rise). 0, or -1 with one line
 * in `why` naming the edge that is missing and how many DTR/RTS edges the
 * trace held. */
int wire_cycle_times(const struct trace *tr, struct wire_cycle *out, char *why, size_t why_len);

#endif
