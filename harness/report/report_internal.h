/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the report's files share (report.c: the page's steps; report_cells.c:
 * the session read into cells; report_redraw.c: the session's lab and the
 * typical and worst runs made again; report_plots.c: pending plots and file
 * names; report_trend.c: the trends): the plots' place, the session's
 * cells, the lab to redraw on, and the calls between them. Used only
 * inside harness/report/. */
#ifndef RESETLAB_REPORT_REPORT_INTERNAL_H
#define RESETLAB_REPORT_REPORT_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/html.h"
#include "reports/plot.h"
#include "reports/results.h"
#include "reports/store.h"
#include "sim/lab.h"
#include "sim/world.h"
#include "harness/capture/capture_sigrok.h"
#include "harness/lab/lab_known.h"
#include "harness/run/run.h"

#define EM_DASH "\xE2\x80\x94"
#define EN_DASH "\xE2\x80\x93"

/* ---- plots (report_plots.c) ---- */

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

/* A file name from names that came from the store: letters, digits, '.',
 * '-' and '_' kept, anything else '_'. 1 when that changed the name (two
 * names may now be one), else 0. */
int report_file_name(char *out, size_t len, const char *name);

/* ---- trends (report_trend.c) ---- */

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

/* ---- the session's cells (report_cells.c) ---- */

/* A cell's names (the cell_stats beside it points at these; its typical
 * and worst run are in the cell_stats). */
struct cell_runs {
    char *board, *host, *scenario;
};

/* The DTR/RTS gaps of the board × scenario being read, one array a cell:
 * its histogram and CDF are drawn once its last host's cell is read. */
struct pair_gaps {
    int first; /* the pair's first cell */
    struct plot_series *series;
    int n, cap;
};

/* The session's cells, in the order they ran (board, scenario, host), read
 * one at a time: a cell's runs are kept while it is read, its figures
 * once it is closed, so memory goes with the largest cell, not the
 * session. */
struct session_cells {
    struct cell_stats *stats;
    struct cell_runs *runs;
    struct html_cell *html; /* beside them: a failing cell's typical and worst run */
    int n, cap;             /* cap: the cells the session holds, counted first */
    struct html_group *groups; /* the pairs with a failing cell */
    int n_groups;
    struct pair_gaps gaps;
    /* The known failures' reasons whose first cell's diagram is drawn,
     * and that cell: the others of a reason are not (--plots lean). */
    const char **known_drawn;
    int *known_drawn_cell;
    int n_known_drawn, cap_known_drawn;
    int pair_drawn; /* a cell of the pair being read has its diagrams drawn: its gap plots are too */
};

/* The session's runs, cell by cell: each cell closed (and, failing, its
 * typical and worst run drawn) when the next begins, each board ×
 * scenario's gaps drawn when its last cell closes. */
struct reading {
    struct session_cells *sc;
    struct redraw *redraw;
    const struct plot_place *place;
    int64_t session;
    volatile sig_atomic_t *stop; /* set: the reading stops (NULL: never) */
    char *err;
    size_t err_len;
    const struct lab_gates *gates; /* each cell's tolerance and known failure; NULL: none */
    int all_plots;                 /* report_request's */
};

/* The gates of a session from its recorded options (report_gates.c): 1
 * loaded into g, 0 none (--no-known, or no gates/known.yaml), -1 with
 * why (the file changed since, or is gone). */
int report_gates_load(const char *options, struct lab_gates *g, char *why, size_t why_len);

/* Reads session s into rd->sc: cells, their failing cells' diagrams and
 * their pairs' gap plots queued. 0, or -1 with one line in rd->err (also
 * when *rd->stop was set: "interrupted"). */
int report_cells_read(struct store *st, const struct session_row *s, struct reading *rd);
/* The same for a group's cells (report_group.h), in their order; a cell
 * in several sessions is one (cell_pool). */
struct group_cell;
int report_cells_read_group(struct store *st, const struct group_cell *cells, int n, struct reading *rd);
void report_cells_free(struct session_cells *sc);
/* The matrix's columns: each host once, in the lab's order. */
int report_cells_column_hosts(const struct session_cells *sc, const char **out);

/* ---- the session's lab (report_redraw.c) ---- */

/* The lab the session ran on, when the diagrams can be redrawn on it. */
struct redraw {
    struct lab lab;
    int loaded;
    char why[400]; /* why not; "" when they can */
    struct sim_world *world;
    struct run_buffers *rb;
    /* a real board's runs: read back from the captures `run --captures` kept beside the store */
    char captures[600];
    struct sigrok *sr;       /* opened at the first capture read */
    struct trace capture;    /* the run read back (sigrok_trace_free) */
    const struct trace *now; /* the trace of the run in hand: rb's or capture */
};

/* The session's lab loaded, when its boards.yaml is the one it ran on;
 * else d->why says why the diagrams cannot be redrawn. */
void report_redraw_open(struct redraw *d, const struct session_row *s, const char *db_path);
void report_redraw_close(struct redraw *d);
/* Cell i, closed: a failing cell's typical and worst run (c->typical,
 * c->worst) re-simulated and their timing diagrams queued (worst_only:
 * the worst alone, a known failure's). -1 when out of memory. */
int report_redraw_cell(struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr,
                       const struct cell_stats *c, int i, struct html_cell *out, int worst_only);

#endif
