/* `resetlab serve`: one simulated board served over RFC 2217 in real time.
 *
 * The client's SET-CONTROL commands go through the host profile's bridge
 * model to the board as they arrive (each answered when the simulated
 * request completes); the board's UART (ROM banner, SLIP answers to SYNC
 * and READ_REG) goes back to the client when each byte is out. The world
 * runs in epochs (sim/world.h): an epoch ends when the board is at rest,
 * and every epoch with line changes or data is an attempt, analyzed and
 * logged (serve.jsonl, one line per attempt, plus its capture as a
 * sigrok session).
 *
 * One client owns the board at a time; another that connects waits up to
 * a grace period (a tool reconnecting while its old connection closes)
 * and is then refused with one line of text.
 */
#ifndef RESETLAB_SERVE_SERVE_H
#define RESETLAB_SERVE_SERVE_H

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

struct serve;

/* Binds, opens the log and the board's port (the server's own open).
 * NULL with one line in err. */
struct serve *serve_new(const struct serve_opts *o, char *err, size_t err_len);

/* HOST:PORT as bound (the port chosen when 0 was asked for). */
const char *serve_address(const struct serve *s);

/* Serves for up to max_wait_ms (less when something is due). Returns 0,
 * or -1 with one line in err when the server cannot go on (the log could
 * not be written). */
int serve_step(struct serve *s, int max_wait_ms, char *err, size_t err_len);

/* 1 when no client is connected or waiting and no attempt is in progress. */
int serve_idle(const struct serve *s);

/* Attempts logged so far. */
int serve_attempts(const struct serve *s);

/* Logs the attempt in progress, closes every connection and the log. */
void serve_free(struct serve *s);

#endif
