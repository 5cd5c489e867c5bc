/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a tool did to the lines, from the served board's attempts
 * (resetlab observe --serve): its line commands in the sequence DSL, the
 * resets they caused, and which of them the tool did not ask for. */
#ifndef RESETLAB_SERVE_SERVE_OBSERVE_H
#define RESETLAB_SERVE_SERVE_OBSERVE_H

#include <stdint.h>
#include <stdio.h>

#include "analyzers/analyze.h"

#define OBS_MAX_OPS 2048
#define OBS_MAX_RESETS 128
#define OBS_MAX_FINDINGS 64
/* Line commands that only lower lines, each closer than this to the next
 * one (the last: to the close) with no frame between them, are one burst:
 * the burst that ends in the close is the tool closing the port (pyserial
 * answers each in >= 50 ms; a script's own waits are longer). */
#define OBS_TEARDOWN_MS 200

struct obs_op {
    char label[16];
    int64_t t_ns; /* arrival at the server, CLOCK_MONOTONIC */
    int by_server;
    int conn; /* which connection, from 0 */
};

struct obs_reset {
    int64_t t_ns; /* EN low (or the reset command), CLOCK_MONOTONIC */
    int cause;    /* index into ops; -1 unknown */
    enum boot_mode mode;
    double gap_ms, en_release_ms;
};

struct observation {
    struct obs_op ops[OBS_MAX_OPS];
    int n_ops;
    int64_t conn_t_ns[64]; /* when each connection got the board */
    int64_t conn_frame_ns[64]; /* its last SLIP frame to the chip, CLOCK_MONOTONIC; 0: none */
    char conn_peer[64][64];
    int n_conns;
    struct obs_reset resets[OBS_MAX_RESETS];
    int n_resets;
    struct finding findings[OBS_MAX_FINDINGS];
    int n_findings;
    int attempts;
    /* The observed command failed: "exit 2", "signal 9", "exit 127" (it
     * could not be run); "": it exited 0. The verdict says so. */
    char command_failed[32];
};

struct attempt;
/* serve_opts.on_attempt: adds one attempt. */
void observe_add(void *observation, const struct attempt *a, const struct analysis *an);

struct trace;
/* A real board's capture (no op log): each DTR/RTS edge becomes the line
 * command it was, one connection from the command's start to its exit (a
 * "C" there), and each reset is pinned on the last edge before EN fell.
 * host_t0_ns is the host time of the trace's t = 0. */
void observe_from_trace(struct observation *o, const struct trace *tr, const struct analysis *an, int64_t host_t0_ns,
                        int64_t start_ns, int64_t exit_ns);

/* Why a reset happened: "the tool's reset sequence" (every reset the tool
 * asked for with its lines: esptool's connect, its --after hard_reset, a
 * script's own), or one it did not ask for, spurious: "the tool closing the
 * port" (the burst of line changes that only lower lines, ending in its
 * close with no frame between), "the tool opening the port" (the first
 * command on each line: the state pyserial or the OS applies as it opens),
 * "the server clearing the lines after the client left". */
const char *observe_cause(const struct observation *o, const struct obs_reset *r, int *spurious);

/* The sequence in the DSL (O, D/R, W, C; S for a SYNC), per connection,
 * into out. */
void observe_dsl(const struct observation *o, int conn, char *out, size_t len);

/* The whole report, its verdict saying the spurious resets and whether the
 * command failed (command_failed); returns how many spurious resets it
 * found. */
int observe_print(FILE *f, const struct observation *o, int64_t t0_ns);

#endif
