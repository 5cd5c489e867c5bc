/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where each finished run goes: its line in runs.jsonl, its row in the
 * results store (committed before the next run starts), and the progress
 * line. A stop asked for (SIGINT, SIGTERM) is seen here, after the run is
 * safe. */
#ifndef RESETLAB_RUN_RUN_RECORDER_H
#define RESETLAB_RUN_RUN_RECORDER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "reports/results.h"
#include "reports/store.h"

/* A progress line on stderr while a terminal watches (not under CI):
 * runs done of the total, rate, ETA, redrawn at most 10 times a second. */
#define PROGRESS_TERMINAL 1 /* one line redrawn in place */
#define PROGRESS_LOG 2      /* CI: a line every PROGRESS_LOG_NS or 5 % of the runs */
#define PROGRESS_LOG_NS 10000000000LL
struct progress {
    int enabled; /* 0, PROGRESS_TERMINAL or PROGRESS_LOG */
    int64_t drawn_done;
    int64_t total, done, start_done; /* start_done: resumed runs, not counted in the rate */
    int64_t t_start_ns, t_drawn_ns;
};

void progress_start(struct progress *p, int64_t total, int64_t already_done, int enabled);
void progress_add(struct progress *p, int64_t runs);
/* Erases the line (the table follows on stdout). */
void progress_end(struct progress *p);
/* CLOCK_MONOTONIC, ns: the progress line's clock. */
int64_t progress_now_ns(void);
/* Which progress this run gets: PROGRESS_TERMINAL when stderr is a
 * terminal and CI is unset; PROGRESS_LOG when CI is set and stdout is not
 * a terminal (a job's log); else 0. */
int progress_wanted(void);

struct recorder_queue;

struct recorder {
    FILE *runs;           /* runs.jsonl (recorder_runs_open); NULL: not written */
    const char *runs_path; /* its name, for errors */
    char *runs_buf;       /* its stdio buffer */
    off_t runs_kept;      /* bytes of whole lines written */
    int runs_failed;      /* a write failed: nothing more goes to it */
    struct store *store;  /* NULL: no store */
    int64_t session;
    struct progress *progress;
    volatile sig_atomic_t *stop; /* set by a signal handler; NULL: never */
    char *err;
    size_t err_len;
    struct recorder_queue *queue; /* recorder_start's writer thread; NULL: runs recorded in the caller */
    /* Which runs get a row in the store (issue 22 item 4; the cell's row
     * holds its figures): the first keep_runs that did not pass of each
     * cell; every run with keep_runs < 0, and every durable (real) one. */
    int keep_runs;
    char kept_cell[3][64]; /* the cell being recorded: board, host, scenario */
    int kept;              /* its runs kept so far */
};

/* A resumed cell goes on with `kept` of its runs already kept. */
void recorder_resume_cell(struct recorder *r, const char *board, const char *host, const char *scenario, int kept);
/* Records a cell whose runs are all made (store_add_cell), after its runs:
 * takes sc (malloc'd, its margins and gaps too) and frees it. 0, or -1
 * with the reason in r->err. */
int recorder_add_cell(struct recorder *r, struct stored_cell *sc, int durable);

/* Records one finished run (durable: fsync'd, for real boards). Returns 0,
 * 1 when a stop has been asked for (the run is recorded), -1 with the
 * reason in r->err. With a writer thread the run is copied and queued;
 * a durable run is waited for, so it is committed before this returns. */
int recorder_add(struct recorder *r, const struct run_record *rec, int durable);

/* runs.jsonl at `path` (kept, not copied), created empty, written in whole
 * lines: after a failed write it ends with the last whole line. 0, or -1
 * with one line in err. */
int recorder_runs_open(struct recorder *r, const char *path, char *err, size_t err_len);
/* A run's line in runs.jsonl (a resumed session's stored runs go in this
 * way). 0, or -1 with the reason in r->err. */
int recorder_put_line(struct recorder *r, const struct run_record *rec);
/* Writes what is buffered, fsyncs it when `durable`, closes it. 0, or -1
 * with the reason in r->err. NULL runs: 0. */
int recorder_runs_close(struct recorder *r, int durable);

/* A writer thread from here on: the store's rows, runs.jsonl's lines and
 * the progress line are written beside the next runs' simulation, in the
 * order the runs were added. Without a thread (it could not be made) runs
 * are recorded in the caller, as before. */
void recorder_start(struct recorder *r);
/* Waits until every queued run is recorded and ends the thread. 0, or -1
 * with the writer's first failure in r->err. */
int recorder_finish(struct recorder *r);

#endif
