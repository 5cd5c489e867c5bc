/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve`'s attempt log: what one epoch of the served board did
 * (the client's commands, the lines as applied, data), analyzed like a run
 * and written as one JSON line of DIR/serve.jsonl, one human line, and a
 * sigrok session DIR/captures/attempt-NNNN.sr. What that may cost the
 * disk is bounded (serve_budget.h): a full disk stops the log, never the
 * server. */
#ifndef RESETLAB_SERVE_SERVE_LOG_H
#define RESETLAB_SERVE_SERVE_LOG_H

#include <stdint.h>
#include <time.h>

#include "analyzers/uart.h"
#include "sim/world.h"
#include "harness/run/run.h"
#include "serve_budget.h"
#include "serve_opts.h"

/* UART bytes of one epoch: the sim's UART_TIMES_MAX (sim/world_internal.h),
 * which holds the stub's READ_FLASH blocks (two escaped 4 KiB blocks). */
#define SERVE_EPOCH_UART_MAX 32768

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
    /* The client sent the chip a frame after the attempt's reset began: the
     * tool has moved on, and its next DTR/RTS command starts a new attempt
     * (serve_board_split_before_command). */
    int talked;
    int64_t last_frame_v; /* when the client's last frame arrived, on the epoch's clock; -1: none */
    /* USB-Serial/JTAG: the download flag as the epoch began, set by an
     * earlier attempt (pyserial's open sets it: DTR on before RTS). */
    int usb_flag_at_start;
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
 * sequence) as a JSON line and a human line, within the server's rate of
 * events and, unless NULL, the connection's own (`conn`): the events held
 * back are counted, and said in a "suppressed" line. */
void serve_log_event(struct serve_log *l, struct serve_budget_rate *conn, const char *what, const char *peer);
/* The connection `conn` ends: how many of its events were held back. */
void serve_log_conn_end(struct serve_log *l, struct serve_budget_rate *conn, const char *peer);
/* Says how many events the server's rate held back, every
 * SERVE_SUPPRESSED_EVERY_S while a flood lasts. */
void serve_log_tick(struct serve_log *l);
/* Analyzes the attempt over its trace and the UART bytes (by time) and
 * writes it, with its capture; older captures are rotated out to keep
 * within serve_opts' count and bytes. A capture that fails is noted in the
 * attempt's line; a log the disk refuses stops (said once on the human
 * stream) and the server goes on. */
void serve_log_attempt(struct serve_log *l, struct attempt *a, const struct uart_byte *uart, size_t n_uart,
                       int truncated);
int serve_log_count(const struct serve_log *l);
void serve_log_close(struct serve_log *l);

#endif
