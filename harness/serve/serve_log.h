/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve`'s attempt log: what one epoch of the served board did
 * (the client's commands, the lines as applied, data), analyzed like a run
 * and written as one JSON line of DIR/serve.jsonl, one human line, and a
 * sigrok session DIR/captures/attempt-NNNN.sr. */
#ifndef RESETLAB_SERVE_SERVE_LOG_H
#define RESETLAB_SERVE_SERVE_LOG_H

#include <stdint.h>
#include <time.h>

#include "analyzers/uart.h"
#include "sim/world.h"
#include "harness/run/run.h"
#include "serve_opts.h"

#define ATTEMPT_MAX_ABSORBED 64

/* One epoch's record. Times (ns) are on the epoch's clock, the trace's. */
struct attempt {
    const struct board_profile *board;
    const struct host_profile *host;
    struct run_buffers *rb; /* trace, op log (t_before: the host started the request; t_after: applied) */
    int64_t arrived[RUNNER_MAX_OPS]; /* when each op's command reached the server */
    size_t n_ops;
    struct {
        char label[16];
        int64_t t_ns;
        int trigger; /* started a --reset-replay */
    } absorbed[ATTEMPT_MAX_ABSORBED];
    int n_absorbed;
    int replays, frames, malformed;
    /* The lines were in a state that pulls EN low (a reset asked for), and
     * one that pulls IO0 low (download asked for); the USB-Serial/JTAG
     * reset's commands on such boards. */
    int wants_reset, wants_download;
    int n_line_ops; /* DTR/RTS changes and the close (ops but the S probes) */
    int closed;     /* the client disconnected in this attempt */
    int64_t connected_mono_ns; /* when `peer` got the board, on CLOCK_MONOTONIC */
    long uart_sent;
    struct sim_truth truth;
    char peer[64];
    char note[160];
    struct timespec started; /* wall clock of the first command */
    int64_t t0_monotonic_ns; /* the epoch's t = 0 on CLOCK_MONOTONIC */
};

int attempt_init(struct attempt *a, const struct board_profile *b, const struct host_profile *h);
void attempt_clear(struct attempt *a);
void attempt_free(struct attempt *a);
/* 1 when another op may not fit: the epoch must end first. */
int attempt_full(const struct attempt *a);
void attempt_add_op(struct attempt *a, const char *label, int64_t arrived, int64_t before, int64_t after,
                    int is_port_op);
void attempt_add_absorbed(struct attempt *a, const char *label, int64_t t, int trigger);

struct serve_log;
struct serve_log *serve_log_open(const struct serve_opts *o, const char *address, char *err, size_t err_len);
/* A connection event (connected, disconnected, refused, a malformed
 * sequence) as a JSON line and a human line. */
void serve_log_event(struct serve_log *l, const char *what, const char *peer);
/* Analyzes the attempt over its trace and the UART bytes (by time) and
 * writes it. -1 with one line in err when the log cannot be written (a
 * capture that fails is noted in the attempt's line instead). */
int serve_log_attempt(struct serve_log *l, struct attempt *a, const struct uart_byte *uart, size_t n_uart,
                      int truncated, char *err, size_t err_len);
int serve_log_count(const struct serve_log *l);
void serve_log_close(struct serve_log *l);

#endif
