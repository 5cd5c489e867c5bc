/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report of a session (issue #5): the store read back into cells,
 * the typical and worst run of each failing cell re-simulated from its
 * seed and drawn, the DTR/RTS gap per host, trends over the last
 * sessions; reports/html.c writes the page. `resetlab report` and the end
 * of `resetlab run` both call report_write. */
#ifndef RESETLAB_REPORT_REPORT_H
#define RESETLAB_REPORT_REPORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/html.h"
#include "reports/plot.h"
#include "reports/store.h"

#define REPORT_DEFAULT_LAST 30
#define REPORT_MAX_LAST 1000

struct report_request {
    const char *db_path;    /* the results store */
    int64_t session;        /* 0: the newest complete session */
    const char *report_dir; /* index.html and plots/ go here */
    int last;               /* trends over the last N sessions (< 2: none) */
    volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: the report stops (its gnuplot processes killed
                                    and waited for) and the old one stays; NULL: never */
    const char *finishing;  /* the caller marks the session complete, finished at this time (store.h's
                               form), once the page is written (the end of `resetlab run`): the page shows it
                               so; NULL: as the store has it */
    int lock_folder;        /* take REPORT_DIR's lock (run_lock_folder) while writing; 0: the caller holds it */
    const char *metrics_path; /* also the session's OpenMetrics text (reports/metrics.h) here; NULL: none */
    const char *sessions;   /* a group as one matrix (report_group.h): "4,5,6", "4-6" or "merged"; NULL: none */
    const char *date;       /* a group: the complete sessions begun on this UTC day or FROM..TO; NULL: none */
    int write_results;      /* also REPORT_DIR/summary.json and junit.xml, as `resetlab run` writes them */
    int all_plots;          /* --plots all: every failing cell's diagrams; 0: a known failure's only for
                               the first known cell of its board x scenario (the page stays light) */
};

#define REPORT_INTERRUPTED 3

/* Why a report has pieces missing (plots gnuplot could not draw), for a
 * warning line: how many, and the first reason. */
struct report_warnings {
    int plots_failed;
    char first[400];
};

/* Writes REPORT_DIR/index.html and its plots in REPORT_DIR/plots; the page's
 * path goes to `page`. Returns 0, 2 for bad input (no store, no such
 * session), -1 for an output or database error, with one line in err, and
 * REPORT_INTERRUPTED when *rq->stop was set. Diagrams that cannot be
 * redrawn (the lab changed, a real board) and plots gnuplot failed on are
 * notes on the page, not errors.
 *
 * The new report is made beside the old one (reports/files.h: the plots in
 * REPORT_DIR/.plots.new, the page as .index.html.tmp, fsync'd) and swapped
 * in at the end: until then the old page and its plots are whole, and
 * whatever stops it (an error, a signal, a kill) leaves them so. Only the
 * files resetlab made are removed from plots/. One writer at a time in
 * REPORT_DIR: rq->lock_folder, or the caller's lock. */
int report_write(const struct report_request *rq, char *page, size_t page_len, struct report_warnings *warn,
                 char *err, size_t err_len);

#endif
