/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A session's files (run_outputs.c), for run_matrix.c: the --out folder
 * and the store locked, the outputs an older session left removed,
 * runs.jsonl and the store opened; at the end runs.jsonl, summary.json,
 * junit.xml and the report written whole, and only then the session marked
 * complete. Used only inside harness/run/. */
#ifndef RESETLAB_RUN_RUN_OUTPUTS_H
#define RESETLAB_RUN_RUN_OUTPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "reports/results.h"
#include "reports/store.h"
#include "run.h"
#include "run_matrix_opts.h"
#include "run_recorder.h"

/* Room for a file name after a folder of RUN_MAX_PATH bytes. */
#define OUTPUTS_PATH (RUN_MAX_PATH + 64)

/* Everything a matrix run writes to, opened and closed together. */
struct outputs {
    char runs_path[OUTPUTS_PATH], db_path[OUTPUTS_PATH], lock_path[OUTPUTS_PATH + 8];
    struct store *store;
    int lock_fd, folder_fd;
    int64_t session;
    struct progress progress;
    struct recorder rec; /* runs.jsonl and the store, run by run */
};

/* The folder made and locked, the store locked and opened (refused when
 * damaged), what an older session left in the folder removed, runs.jsonl
 * created, and the session begun (or the resumed one taken up). 0, or -1
 * with one line in err; run_outputs_close in either case. */
int run_outputs_open(const struct matrix_opts *o, struct outputs *io, char *err, size_t len);

/* The end of the session. stopped (during its runs): marked interrupted.
 * Otherwise runs.jsonl is ended and fsync'd and every run committed, then
 * summary.json, junit.xml and the report are written whole (a temporary
 * name, fsync, rename) into the folder, the folder is fsync'd, and only then
 * is the session marked complete; the paths of summary.json and the page go
 * to summary_path and page. Returns 0, -1 with one line in err (the session
 * is not complete: --resume writes the outputs), or MATRIX_INTERRUPTED
 * when *o->stop was set meanwhile (the session is marked interrupted). */
int run_outputs_finish(const struct matrix_opts *o, struct cell_stats *cells, int n_cells, struct outputs *io,
                       int stopped, char *summary_path, char *page, size_t path_len, char *err, size_t len);

/* After a failure: "; N runs are in DB: `resetlab run --resume ...` goes
 * on" appended to err, N read back from the store (the writer closed
 * first, so N is what it holds, not what was handed to it). Nothing when
 * no session was begun. */
void run_outputs_kept(const struct matrix_opts *o, struct outputs *io, char *err, size_t len);

/* "--out DIR" and, when the store is elsewhere, " --db FILE": what
 * --resume needs to find the session. */
void run_outputs_resume_args(const struct matrix_opts *o, char *buf, size_t len);

/* Closes everything; 0, or -1 when runs.jsonl could not be written (err
 * then says so unless it already held a reason). */
int run_outputs_close(struct outputs *io, char *err, size_t len);

#endif
