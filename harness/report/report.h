/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report of a session (issue #5): the store read back into cells,
 * the typical and worst run of each failing cell re-simulated from its
 * seed and drawn, the DTR/RTS gap per host, trends over the last
 * sessions; reports/html.c writes the page. `resetlab report` and the end
 * of `resetlab run` both call report_write. */
#ifndef RESETLAB_REPORT_REPORT_H
#define RESETLAB_REPORT_REPORT_H

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
};

/* Why a report has pieces missing (plots gnuplot could not draw), for a
 * warning line: how many, and the first reason. */
struct report_warnings {
    int plots_failed;
    char first[400];
};

/* Writes REPORT_DIR/index.html and its plots in REPORT_DIR/plots; the page's
 * path goes to `page`. Returns 0, 2 for bad input (no store, no such
 * session) and -1 for an output or database error, with one line in err.
 * Diagrams that cannot be redrawn (the lab changed, a real board) and
 * plots gnuplot failed on are notes on the page, not errors. */
int report_write(const struct report_request *rq, char *page, size_t page_len, struct report_warnings *warn,
                 char *err, size_t err_len);

#endif
