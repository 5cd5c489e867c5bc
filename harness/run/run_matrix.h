/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab run`: boards × hosts × scenarios × iterations on the lab. */
#ifndef RESETLAB_RUN_RUN_MATRIX_H
#define RESETLAB_RUN_RUN_MATRIX_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/results.h"
#include "reports/store.h"
#include "sim/lab.h"
#include "run_cell.h"

#define MATRIX_MAX_PICKS 64

/* Writes the report of `session` in the store at db_path (index.html and
 * plots/) into out_dir, and its page's path into `page`; 0, or -1 with one
 * line in err. `resetlab run` gives the report room's writer: the runner
 * calls it once the session is complete, and does not know how a page is
 * made (harness/report depends on this room, not the other way). */
typedef int (*matrix_report_fn)(const char *db_path, int64_t session, const char *out_dir, char *page,
                                size_t page_len, char *err, size_t err_len);

struct matrix_opts {
    const char *out_dir;
    const char *boards[MATRIX_MAX_PICKS], *hosts[MATRIX_MAX_PICKS], *scenarios[MATRIX_MAX_PICKS];
    int n_boards, n_hosts, n_scenarios; /* 0: all */
    int iterations;
    uint64_t seed;
    enum capture_keep keep_captures; /* --captures failing|all */
    const char *db_path;             /* the results store; NULL: OUT/results.db */
    const struct session_facts *facts; /* the new session's facts (resume_session 0) */
    int64_t resume_session;          /* continue this session of the store; 0: a new one */
    int progress;                    /* draw the progress line on stderr */
    matrix_report_fn write_report;   /* the HTML report at the end */
    volatile sig_atomic_t *stop;     /* set by SIGINT/SIGTERM: a simulated run in hand finishes; a real
                                        one stops at its next step and is not recorded */
};

#define MATRIX_INTERRUPTED 3

/* Returns 0 when every cell met its expectation, 1 when some did not, 2 for
 * bad input or an output error (reason in `err`), MATRIX_INTERRUPTED when
 * *o->stop was set (every finished run is in the store; `run --resume`
 * goes on). The table goes to `out`. */
int run_matrix(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len);

#endif
