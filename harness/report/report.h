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

/* ---- trends (report_trend.c) ---- */

/* Plots queued on a batch, to be told apart after it ran. */
struct pending_plots {
    struct html_plot **plot;
    int *index; /* in the batch */
    int n, cap;
};

/* Where the plots of a report go. */
struct plot_place {
    struct plot_batch *batch;
    const char *dir; /* REPORT_DIR/plots */
    struct pending_plots *pending;
};

/* Queues `plot` as drawn by the batch plot `index` (-1: it failed to queue,
 * `why` says why). -1 when out of memory. */
int pending_add(struct pending_plots *p, struct html_plot *plot, int index, const char *why);

struct trend_data {
    struct session_row *sessions; /* oldest first */
    int *cells_met, *cells_total;
    struct html_plot *pass, *margin;
    struct html_trends view; /* what the page shows, over the above */
};

/* Reads the `last` sessions up to `session` (the complete ones, and
 * `session` itself) and queues the trend plots. A store with one such
 * session has no trends (view.n_sessions < 2). 0, or -1 with one line in
 * err. */
int trends_build(struct store *st, const struct session_row *session, int last, const struct plot_place *place,
                 struct trend_data *out, char *err, size_t err_len);
void trends_free(struct trend_data *t);

/* A file name from names that came from the store: letters, digits, '.',
 * '-' and '_' kept, anything else '_'. 1 when that changed the name (two
 * names may now be one), else 0. */
int report_file_name(char *out, size_t len, const char *name);

#endif
