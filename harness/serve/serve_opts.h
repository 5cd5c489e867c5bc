/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What `resetlab serve` is asked to serve (serve.h): the board, host and
 * lab, where to listen and log, the attempts' timing, and who hears of
 * each attempt. Its own header so the server (serve.h) and its attempt log
 * (serve_log.h) both take it without including each other. */
#ifndef RESETLAB_SERVE_SERVE_OPTS_H
#define RESETLAB_SERVE_SERVE_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "sim/lab.h"

struct attempt;

struct serve_opts {
    const struct lab *lab;
    const struct board_profile *board;
    const struct host_profile *host;
    /* --reset-replay: the SET-CONTROL that starts a reset (DTR on while RTS
     * is on) runs this scenario's line changes locally; NULL: off. */
    const struct scenario *replay;
    const char *listen;  /* HOST:PORT; port 0 picks a free one */
    const char *out_dir; /* serve.jsonl and captures/ */
    uint64_t seed;
    double grace_ms;
    /* An attempt ends once the board is at rest and the client has been
     * quiet this long; a line command this long after the last one starts
     * a new attempt. */
    double attempt_gap_ms;
    FILE *human; /* one line per attempt; NULL: none */
    /* Called with each attempt once it is logged and analyzed (resetlab
     * observe collects them); NULL: none. */
    void (*on_attempt)(void *ctx, const struct attempt *a, const struct analysis *an);
    void *ctx;
};

#endif
