/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A kept capture read back (run_readback.c): a real run's .sr and its op
 * log sidecar, analyzed as the run was, for the report's diagrams. */
#ifndef RESETLAB_RUN_RUN_READBACK_H
#define RESETLAB_RUN_RUN_READBACK_H

#include <stddef.h>

#include "analyzers/analysis.h"
#include "harness/capture/capture_sigrok.h"
#include "sim/lab.h"

/* The most UART bytes decoded from a capture read back. */
#define READBACK_UART_MAX 65536

/* CAPTURES/BOARD--HOST--SCENARIO--N.sr, as `run --captures` names it. */
void run_readback_path(const char *captures_dir, const char *board, const char *host, const char *scenario,
                       int iteration, char *out, size_t len);

/* Reads `path` (channels by name, as run --captures writes them) with
 * board b's threshold and its sidecar's op log, and analyzes it against
 * `expected`: the trace into tr (sigrok_trace_free it), the verdict into
 * a. 0, or -1 with one line in err (no file, no sidecar, unreadable). */
int run_readback(struct sigrok *sr, const char *path, const struct board_profile *b, enum boot_mode expected,
                 struct trace *tr, struct analysis *a, char *err, size_t err_len);

#endif
