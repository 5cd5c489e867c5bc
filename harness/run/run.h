/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The run room's base: what one run is made into, wherever it is made (a
 * matrix cell, probe, tune, a served board's attempt, a report's redrawn
 * diagram): the storage for its trace, UART bytes, op log and analysis,
 * the limits on them, the run's seed, and the verdict of a run that could
 * not be made. Every file that makes runs includes this one; it includes
 * nothing of the room's but the sequence runner. May call: analyzers/,
 * sim/ (types), libc. */
#ifndef RESETLAB_RUN_RUN_H
#define RESETLAB_RUN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/analyze.h"
#include "run_sequence.h"

#define RUN_MAX_EDGES 4096
#define RUN_MAX_UART 16384 /* a tool's 14 attempts of banners and SYNC answers */
#define RUN_MAX_ANALOG 262144 /* analog EN samples: 2.6 s at 100 kHz */

/* Storage for one run: the analyzer's edges, the UART bytes, the op log. */
struct run_buffers {
    struct edge edges[RUN_MAX_EDGES];
    float en_v[RUN_MAX_ANALOG];
    uint8_t uart[RUN_MAX_UART];
    size_t uart_len;
    struct op_record log[RUNNER_MAX_OPS];
    size_t n_log;
    struct tool_outcome tool; /* a tool's run (run_tool.h): what it saw */
    size_t connect_end;       /* ...and how many ops its connect phase took */
    struct trace tr; /* the last run's trace, over `edges` and `en_v` */
    struct analysis a;
};

/* A run that could not be made: verdict error, the reason as its finding. */
void run_infrastructure_error(struct analysis *a, const char *why);

/* The seed of one run: from the names, so adding a board changes no other run. */
uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration);

/* mkdir -p of an output folder; -1 with one line in err. */
int run_mkdir_p(const char *dir, char *err, size_t len);

#endif
