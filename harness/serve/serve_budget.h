/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a client may cost the server's disk (serve_budget.c), so that a
 * peer's misbehaviour costs it and not the server: serve.jsonl written a
 * whole line at a time and stopped cleanly when the disk refuses one (the
 * server goes on serving); the rate of logged events, with one line
 * saying how many were suppressed; and the captures kept, the oldest
 * rotated out past a count or a size. Used only inside harness/serve/. */
#ifndef RESETLAB_SERVE_SERVE_BUDGET_H
#define RESETLAB_SERVE_SERVE_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "serve_opts.h"

/* Under DIR: attempt n's capture. */
#define SERVE_CAPTURE_NAME "captures/attempt-%04d.sr"

/* ---- serve.jsonl, a whole line at a time ---------------------------------- */

struct serve_budget_file {
    int fd; /* -1: closed */
    off_t size; /* where the last whole line ends */
    int stopped; /* the disk refused a line: nothing more is written */
    char path[600];
};

/* Opens path for appending. 0, or -1 with one line in err. */
int serve_budget_file_open(struct serve_budget_file *f, const char *path, char *err, size_t err_len);
/* Appends line[0..n) (ending in '\n') whole. When the disk refuses it
 * (ENOSPC, EIO, a file-size limit), the file is cut back to its last whole
 * line, logging stops, and -1 comes back with why in err (once: a stopped
 * file takes nothing more and returns 0). */
int serve_budget_file_put(struct serve_budget_file *f, const char *line, size_t n, char *err, size_t err_len);
void serve_budget_file_close(struct serve_budget_file *f);

/* ---- event rates ----------------------------------------------------------- */

/* A token bucket: `burst` events at once, then one more every refill_s. */
struct serve_budget_rate {
    int burst, refill_s;
    const char *what; /* what is counted: "protocol errors", "connection events" */
    double tokens;
    int64_t last_ns, said_ns; /* CLOCK_MONOTONIC: last refill, last "suppressed" line */
    long suppressed; /* since the last "suppressed" line */
    int primed;
};

void serve_budget_rate_init(struct serve_budget_rate *r, int burst, int refill_s, const char *what);
/* 1 when one more event may be logged now; else it is counted as
 * suppressed and 0 comes back. */
int serve_budget_rate_take(struct serve_budget_rate *r);
/* How many were suppressed and not yet said, when it is time to say so:
 * always when `now` is set (the flood ended: an event was let through
 * again, or its connection closed), else at most every
 * SERVE_SUPPRESSED_EVERY_S. The count restarts. 0: nothing to say. */
long serve_budget_rate_due(struct serve_budget_rate *r, int now);

/* ---- captures kept --------------------------------------------------------- */

struct serve_budget_captures {
    char dir[512];
    int keep;
    int64_t max_bytes, bytes;
    struct kept {
        int attempt;
        int64_t bytes;
    } *ring; /* oldest first from head; at most keep entries */
    size_t head, len, cap;
};

/* keep, max_bytes: 0 = the defaults above. */
void serve_budget_captures_init(struct serve_budget_captures *c, const char *dir, int keep, int64_t max_bytes);
/* Attempt `attempt`'s capture was written (its size read from disk). The
 * oldest are deleted while more than `keep` or `max_bytes` are kept (the
 * newest always stays); their attempt numbers go to rotated[0..max), and
 * how many were deleted comes back. */
int serve_budget_captures_add(struct serve_budget_captures *c, int attempt, int *rotated, int max);
void serve_budget_captures_free(struct serve_budget_captures *c);

#endif
