/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The capture room's promise: a capture records what the wires did during
 * a run, as a trace (edges and EN's voltage) and the UART bytes. Backends
 * are small vtables, like libsigrok's input and hardware drivers: the
 * virtual analyzer (capture_sim.c) is in the table of capture.c; libsigrok
 * files and live analyzers (capture_sigrok.h, capture_live.h) and a served
 * board's log (capture_served.c) are read through their own calls, because
 * they need the port's op log to align to. May call: sim/, analyzers/. */
#ifndef RESETLAB_CAPTURE_CAPTURE_H
#define RESETLAB_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/trace.h"

struct capture;
struct capture_ops {
    const char *name;
    int (*start)(struct capture *c);
    /* Fills the trace (caller's edge storage) and the UART bytes. */
    int (*stop)(struct capture *c, struct trace *tr, uint8_t *uart, size_t uart_cap, size_t *uart_len);
    const char *(*error)(struct capture *c);
};
struct capture {
    const struct capture_ops *ops;
    void *ctx;
};

extern const struct capture_ops capture_sim_ops;

/* The backend for a board's analyzer `kind:`, or NULL. */
const struct capture_ops *capture_backend(const char *kind);

#endif
