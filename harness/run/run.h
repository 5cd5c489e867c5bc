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

/* Storage for a matrix's runs, every page touched once now: a run's
 * memory is the buffers' size from the start, whichever cells come first
 * (a tool's eight-second run on an analog board fills far more of them
 * than a 300 ms one). NULL when out of memory; free() it. */
struct run_buffers *run_buffers_new(void);

/* A run that could not be made: verdict error, the reason as its finding. */
void run_infrastructure_error(struct analysis *a, const char *why);

/* The seed of one run: from the names, so adding a board changes no other run. */
uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration);

/* The longest path resetlab takes for a folder or file it writes (--out,
 * --db, --report), in bytes, made absolute: SQLite (3.40) opens no
 * database whose absolute path is longer than 504 bytes (its journal's
 * name, 8 longer, must fit in 512), and the store is DIR/results.db by
 * default, 11 more; the rest is room for SQLite's own resolving. */
#define RUN_MAX_PATH 480
/* The lock file in a folder resetlab writes into (run --out, report --report). */
#define RUN_FOLDER_LOCK ".lock"

/* 0 when `path` is one resetlab can write to (not empty, at most
 * RUN_MAX_PATH bytes once the current folder is put before a relative
 * one); else -1 with "WHAT: why" in err. */
int run_check_path(const char *what, const char *path, char *err, size_t len);

/* An output file resetlab writes whole at the end (--metrics FILE): a
 * path run_check_path takes, naming a file, in a folder that is made
 * when missing and is writable. -1 with "WHAT: why" in err. */
int run_check_file_path(const char *what, const char *path, char *err, size_t len);

/* mkdir -p of an output folder; -1 with one line in err. */
int run_mkdir_p(const char *dir, char *err, size_t len);

/* One resetlab writes into a folder at a time: DIR/.lock taken (the folder
 * must exist), its fd in *fd (lockfile_release lets go). -1 with one line
 * in err naming the holder: "DIR: the folder is in use by pid N (...)". */
int run_lock_folder(const char *dir, int *fd, char *err, size_t len);
/* Lets go of run_lock_folder's lock; fd < 0: no-op. */
void run_unlock_folder(int fd);

#endif
