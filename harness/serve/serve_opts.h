/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What `resetlab serve` is asked to serve (serve.h): the board, host and
 * lab, where to listen and log, the attempts' timing, how long an idle
 * owner keeps the board, how many captures are kept, and who hears of
 * each attempt. Its own header so the server (serve.h) and its attempt log
 * (serve_log.h) both take it without including each other. */
#ifndef RESETLAB_SERVE_SERVE_OPTS_H
#define RESETLAB_SERVE_SERVE_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "sim/lab.h"

/* The limits of what one client may cost the server (serve_budget.h), as
 * --help states them. */
/* A connection logs this many protocol errors (malformed telnet or RFC
 * 2217) at once, then one more every SERVE_PROTOCOL_REFILL_S seconds. */
#define SERVE_PROTOCOL_BURST 20
#define SERVE_PROTOCOL_REFILL_S 10
/* The server logs this many events of any kind (connected, refused, left
 * while waiting, protocol errors, ...) at once, then one more every
 * second: a flood of connections is bounded too. */
#define SERVE_EVENTS_BURST 500
#define SERVE_EVENTS_REFILL_S 1
/* While a flood lasts, its "N suppressed" line comes at most this often
 * (and once more when it ends). */
#define SERVE_SUPPRESSED_EVERY_S 10

/* The captures of this server's attempts: at most this many kept, and
 * this many bytes, the oldest deleted first (serve_opts: 0 = these). */
#define SERVE_KEEP_CAPTURES 1000
#define SERVE_KEEP_CAPTURES_MAX 1000000
#define SERVE_CAPTURES_MB 100
#define SERVE_CAPTURES_MB_MAX 1000000

/* --out's longest path, in bytes: the log's files are named under it. */
#define SERVE_OUT_MAX 400

/* --idle-timeout's default and its most, in seconds. */
#define SERVE_IDLE_TIMEOUT_S 300
#define SERVE_IDLE_TIMEOUT_MAX_S 86400

/* --tty (serve_tty.c): the control socket's path, $TMPDIR/resetlab-tty-XXXXXX/control,
 * fits a unix socket's 107 bytes; the board's UART bytes a tool leaves
 * unread in the pty wait up to 1 MiB, then are lost as on a wire; a port
 * speed is 1 to 12,000,000 bit/s; the library's path at most 4096 bytes. */
#define SERVE_TTY_SOCKET_MAX 107
#define SERVE_TTY_OUT_MAX (1u << 20)
#define SERVE_TTY_BAUD_MAX 12000000u
#define SERVE_TTY_LIBRARY_MAX 4096

struct attempt;

struct serve_opts {
    const struct lab *lab;
    const struct board_profile *board;
    const struct host_profile *host;
    /* --reset-replay: the SET-CONTROL that starts a reset (DTR on while RTS
     * is on) runs this scenario's line changes locally; NULL: off. */
    const struct scenario *replay;
    /* --bridge NAME: the board served as this network bridge (boards.yaml
     * net_bridges:) would serve it; NULL: resetlab's own RFC 2217 server.
     * program_port: every connection programs (esp-link's port 2323). */
    const struct net_bridge *bridge;
    int program_port;
    const char *listen;  /* HOST:PORT; port 0 picks a free one */
    int tty;             /* serve on a local virtual port (a pty and the preload library) instead */
    const char *out_dir; /* serve.jsonl and captures/ */
    uint64_t seed;
    double grace_ms;
    /* An attempt ends once the board is at rest, no reset sequence is held
     * open and nothing (a command, a frame, a UART byte) has happened for
     * this long; a line command after such a quiet starts a new attempt, as
     * does one after the client talked to the chip since the attempt's
     * reset (docs/serve.md#attempts). */
    double attempt_gap_ms;
    /* The owner is disconnected after this long without a DTR/RTS command
     * or an esptool request frame (serve.h); 0: never. */
    double idle_timeout_s;
    /* The captures kept, at most this many and this many bytes, the oldest
     * deleted first; 0: SERVE_KEEP_CAPTURES, SERVE_CAPTURES_MB. */
    int keep_captures;
    int64_t captures_max_bytes;
    FILE *human; /* one line per attempt; NULL: none */
    /* Called with each attempt once it is logged and analyzed (resetlab
     * observe collects them); NULL: none. */
    void (*on_attempt)(void *ctx, const struct attempt *a, const struct analysis *an);
    void *ctx;
};

#endif
