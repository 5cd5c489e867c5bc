/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What `resetlab run` is asked for (struct matrix_opts), and the report
 * writer it is given: run_matrix.h's, apart so that the session's files
 * (run_outputs.c) can take them without including the matrix. */
#ifndef RESETLAB_RUN_RUN_MATRIX_OPTS_H
#define RESETLAB_RUN_RUN_MATRIX_OPTS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/store.h"
#include "harness/lab/lab_known.h"
#include "run_cell.h"

#define MATRIX_MAX_PICKS 64

/* Writes the report of `session` in the store at db_path (index.html and
 * plots/) into out_dir, and its page's path into `page`; 0, -1 with one
 * line in err, or MATRIX_INTERRUPTED when *stop (may be NULL) was set while
 * it wrote (the old report, if any, is then left as it was). `resetlab
 * run` gives the report room's writer: the runner calls it once every run
 * of the session is committed and summary.json and junit.xml are written,
 * and marks the session complete, finished at `finished`, only after it
 * returned 0, so the page shows the session as that. The runner does not know how a page is
 * made (harness/report depends on this room, not the other way). */
typedef int (*matrix_report_fn)(const char *db_path, int64_t session, const char *finished, const char *out_dir,
                                volatile sig_atomic_t *stop, char *page, size_t page_len, char *err, size_t err_len);

struct matrix_opts {
    const char *out_dir;
    const char *boards[MATRIX_MAX_PICKS], *hosts[MATRIX_MAX_PICKS], *scenarios[MATRIX_MAX_PICKS];
    int n_boards, n_hosts, n_scenarios; /* 0: all */
    int iterations;
    int shard_k, shard_n;            /* --shard K/N: the cells whose index in the run's order is K-1 mod N; 0/0: all */
    uint64_t seed;
    enum capture_keep keep_captures; /* --captures failing|all */
    int write_jsonl;                 /* --jsonl: OUT/runs.jsonl, a line per run */
    int keep_runs;                   /* --keep-runs: a cell's runs that did not pass given a row; < 0 all */
    const char *db_path;             /* the results store; NULL: OUT/results.db */
    const char *metrics_path;        /* --metrics FILE: OpenMetrics text at the end; NULL: none */
    const struct session_facts *facts; /* the new session's facts (resume_session 0) */
    int64_t resume_session;          /* continue this session of the store; 0: a new one */
    int progress;                    /* draw the progress line on stderr */
    matrix_report_fn write_report;   /* the HTML report at the end */
    const char *host_label;          /* --host-label: real boards' host column; NULL: their port's host mode */
    const char *host_root;           /* where host modes are read (/proc, /sys); NULL: "/" (tests: a fixture) */
    const struct serial_sys *serial; /* real boards' ports; NULL: the OS's (tests: a fake) */
    const struct lab_gates *gates;   /* tolerances and known failures; NULL: none (every run must pass) */
    int quiet;                       /* the table's failing rows and the summary line only */
    int json;                        /* summary.json's document on `out` instead of the table */
    volatile sig_atomic_t *stop;     /* set by SIGINT/SIGTERM: a simulated run in hand finishes; a real
                                        one stops at its next step and is not recorded; while the outputs
                                        are written, the one in hand is left unfinished */
};

/* Not an exit status: `resetlab run` exits 128 + the signal's number. */
#define MATRIX_INTERRUPTED 128

#endif
