/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The capture of a board served by `resetlab serve` (boards.yaml analyzer
 * kind `serve`, `log: DIR` = serve's --out): the server's virtual analyzer
 * records every attempt as DIR/captures/attempt-NNNN.sr with a line in
 * DIR/serve.jsonl naming the client's address. A run notes where
 * serve.jsonl ends, plays its scenario over rfc2217://, and collects the
 * attempts logged after that point for its own connection (any client's
 * when none names ours: a proxy such as ser2net connected for us), up to
 * the one its disconnect ended ("closed": true); a run whose waits let the board
 * rest between resets spans several, joined here into one trace. The log
 * is read from this machine's disk, so the server runs here, and its
 * CLOCK_MONOTONIC (t0_monotonic_ns) is ours: the op log aligns exactly. */
#ifndef RESETLAB_CAPTURE_CAPTURE_SERVED_H
#define RESETLAB_CAPTURE_CAPTURE_SERVED_H

#include <stddef.h>
#include <stdint.h>

#include "capture_sigrok.h"

/* Where DIR/serve.jsonl ends now (0 when it does not exist yet). */
long serve_log_mark(const char *dir);

/* Waits up to timeout_ms for the attempts of client `peer` (our local
 * address) logged after `mark`, up to the one that closed its connection;
 * reads their captures into one trace `tr` (sigrok_trace_free) whose t = 0
 * is the first attempt's, on CLOCK_MONOTONIC. 0, or -1 with one line in
 * why. */
int serve_capture_fetch(struct sigrok *sr, const char *dir, long mark, const char *peer, int timeout_ms,
                        double threshold_v, struct trace *tr, int64_t *t0_monotonic_ns, char *why, size_t why_len);

#endif
