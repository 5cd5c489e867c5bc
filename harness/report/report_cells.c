/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's reading of a session (report.h): its runs read back from
 * the store cell by cell into each cell's figures, a failing cell's
 * typical and worst run handed to report_redraw.c as it closes, and each
 * failing board × scenario's DTR/RTS gap plots queued; the matrix's
 * columns.
 * May call: reports/ (the store, cell figures, plots), harness/lab (a cell's gate), report_redraw.c,
 * report_plots.c, libc. */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_group.h"
#include "report_internal.h"

/* ------------------------------------------------- the session's cells -- */

static void pair_gaps_clear(struct pair_gaps *g, int first)
{
    for (int k = 0; k < g->n; k++)
        free((double *)g->series[k].x);
    g->n = 0;
    g->first = first;
}

void report_cells_free(struct session_cells *sc)
{
    for (int i = 0; i < sc->n; i++) {
        cell_free(&sc->stats[i]);
        free(sc->runs[i].board);
        free(sc->runs[i].host);
        free(sc->runs[i].scenario);
    }
    pair_gaps_clear(&sc->gaps, 0);
    free(sc->gaps.series);
    free(sc->stats);
    free(sc->runs);
    free(sc->html);
    free(sc->groups);
    free(sc->known_drawn);
    free(sc->known_drawn_cell);
}

static int is_cell(const struct cell_runs *c, const char *board, const char *host, const char *scenario)
{
    return strcmp(c->board, board) == 0 && strcmp(c->host, host) == 0 && strcmp(c->scenario, scenario) == 0;
}

static int same_pair(const struct cell_runs *c, const char *board, const char *scenario)
{
    return strcmp(c->board, board) == 0 && strcmp(c->scenario, scenario) == 0;
}

/* Room for the session's n cells. The html entries do not move once
 * made: plots queued on the batch point into them. */
static int session_cells_alloc(struct session_cells *sc, int n)
{
    memset(sc, 0, sizeof *sc);
    size_t cap = n > 0 ? (size_t)n : 1;
    sc->stats = calloc(cap, sizeof *sc->stats);
    sc->runs = calloc(cap, sizeof *sc->runs);
    sc->html = calloc(cap, sizeof *sc->html);
    sc->groups = calloc(cap, sizeof *sc->groups);
    sc->cap = n;
    return sc->stats && sc->runs && sc->html && sc->groups ? 0 : -1;
}

/* A copy of a cell's gaps, for its pair's plots: a series of its own, or
 * (the same cell in another session of a group) added to the last. */
static int keep_gaps(struct pair_gaps *g, const float *gaps, int n, const char *host, int add)
{
    if (add && g->n > 0) {
        struct plot_series *s = &g->series[g->n - 1];
        double *x = realloc((double *)s->x, sizeof *x * (size_t)(s->n + n + 1));
        if (x == NULL)
            return -1;
        for (int i = 0; i < n; i++)
            x[s->n + i] = gaps[i];
        s->x = x;
        s->n += n;
        return 0;
    }
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 8;
        struct plot_series *p = realloc(g->series, sizeof *p * (size_t)cap);
        if (p == NULL)
            return -1;
        g->series = p;
        g->cap = cap;
    }
    double *x = malloc(sizeof *x * (size_t)(n ? n : 1));
    if (x == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        x[i] = gaps[i];
    g->series[g->n++] = (struct plot_series){host, x, n};
    return 0;
}

/* The matrix's columns: each host once, a host first seen in a row put
 * after the host before it in that row, so the lab's order survives rows
 * that skip a host. */
int report_cells_column_hosts(const struct session_cells *sc, const char **out)
{
    int n = 0;
    for (int i = 0; i < sc->n; i++) {
        const char *h = sc->runs[i].host;
        int k = 0;
        while (k < n && strcmp(out[k], h) != 0)
            k++;
        if (k < n)
            continue;
        int at = n;
        const struct cell_runs *prev = i > 0 ? &sc->runs[i - 1] : NULL;
        if (prev && strcmp(prev->board, sc->runs[i].board) == 0 && strcmp(prev->scenario, sc->runs[i].scenario) == 0)
            for (int j = 0; j < n; j++)
                if (strcmp(out[j], prev->host) == 0)
                    at = j + 1;
        memmove(&out[at + 1], &out[at], sizeof *out * (size_t)(n - at));
        out[at] = h;
        n++;
    }
    return n;
}

/* ------------------------------------------------------- distributions -- */

/* The DTR/RTS gap per host of one board × scenario: histogram and CDF. */
static int draw_group(const struct plot_place *pl, const struct pair_gaps *gaps, struct html_group *g, int gi,
                      double en_release_ms, const struct chip_timing *chip)
{
    char b_[64], s_[64], title[300], path[900], err[400] = "", unique[16] = "";
    if (report_file_name(b_, sizeof b_, g->board) | report_file_name(s_, sizeof s_, g->scenario))
        snprintf(unique, sizeof unique, "-g%d", gi);
    snprintf(title, sizeof title, "%s / %s " EM_DASH " DTR/RTS gap per host", g->board, g->scenario);
    /* Hosts without a gap sample stay out of the plots; none at all: a line, not two empty boxes. */
    struct plot_series *kept = malloc((size_t)(gaps->n ? gaps->n : 1) * sizeof *kept);
    int n_kept = 0;
    if (kept == NULL)
        return pending_add(pl->pending, &g->gap_hist, -1, "out of memory");
    for (int k = 0; k < gaps->n; k++) {
        int any = 0;
        for (int j = 0; j < gaps->series[k].n && !any; j++)
            any = !isnan(gaps->series[k].x[j]);
        if (any)
            kept[n_kept++] = gaps->series[k];
    }
    if (n_kept == 0) {
        snprintf(g->gap_hist.note, sizeof g->gap_hist.note,
                 "No DTR/RTS gap on any host: no run of this pair had a releasing transition to measure.");
        free(kept);
        return 0;
    }
    int rc = 0;
    for (int cdf = 0; cdf < 2 && rc == 0; cdf++) {
        struct html_plot *out = cdf ? &g->gap_cdf : &g->gap_hist;
        snprintf(out->src, sizeof out->src, "plots/%s--%s%s--gap-%s.svg", b_, s_, unique, cdf ? "cdf" : "hist");
        snprintf(out->caption, sizeof out->caption, "DTR/RTS gap of the releasing transition per host, %s%s",
                 cdf ? "cumulative (fraction of runs with a gap up to x)" : "histogram (fraction of each host's runs)",
                 n_kept < gaps->n ? "; hosts whose runs had no gap are left out" : "");
        snprintf(path, sizeof path, "%s/%s", pl->dir, out->src + strlen("plots/"));
        char mark[64], band[96];
        snprintf(mark, sizeof mark, "EN release %.3f ms (a longer gap misses the strap)", en_release_ms);
        struct plot_marks m = {en_release_ms, mark, NAN, NAN, band};
        if (chip) { /* IO0 falls a gap after EN's release: inside the window the boot mode is undefined */
            m.band_lo = en_release_ms + chip->sample_delay_ms - chip->setup_ms;
            m.band_hi = en_release_ms + chip->sample_delay_ms + chip->hold_ms;
            snprintf(band, sizeof band, "strap window %.3f" EN_DASH "%.3f ms (marginal)", m.band_lo, m.band_hi);
        }
        int index = plot_batch_distribution_marked(pl->batch, path, kept, n_kept, title, "DTR/RTS gap (ms)", cdf,
                                                   &m, err, sizeof err);
        rc = pending_add(pl->pending, out, index, err);
    }
    free(kept);
    return rc;
}

/* ------------------------------------------------- reading the session -- */

static int read_fail(struct reading *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int read_fail(struct reading *rd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->err, rd->err_len, fmt, ap);
    va_end(ap);
    return -1;
}

static int out_of_memory(struct reading *rd)
{
    return read_fail(rd, "out of memory reading session #%lld", (long long)rd->session);
}

/* Known failures are the lab's accepted ones: a reason in the known-
 * failures file is one mechanism, on every cell its entries name (the
 * shipped file gives 23 reasons to 70 entries). Its first cell is drawn,
 * the others are not (unless --plots all), which keeps the default
 * session's plots to a few MB instead of 129. Returns the index of the
 * reason's drawn cell when this one is not drawn; -2 when it is the
 * reason's first (noted; its worst run alone is drawn: the mechanism the
 * reason names); else -1. */
static int known_drawn_already(struct reading *rd, const struct cell_stats *c, int i)
{
    struct session_cells *sc = rd->sc;
    const char *reason = c->gate.known_reason;
    if (rd->all_plots || cell_gate_state(c) != GATE_KNOWN || reason == NULL)
        return -1;
    for (int k = 0; k < sc->n_known_drawn; k++)
        if (strcmp(sc->known_drawn[k], reason) == 0)
            return sc->known_drawn_cell[k];
    if (sc->n_known_drawn == sc->cap_known_drawn) {
        int cap = sc->cap_known_drawn ? 2 * sc->cap_known_drawn : 64;
        const char **w = realloc(sc->known_drawn, sizeof *w * (size_t)cap);
        if (w)
            sc->known_drawn = w;
        int *ci = realloc(sc->known_drawn_cell, sizeof *ci * (size_t)cap);
        if (ci)
            sc->known_drawn_cell = ci;
        if (!w || !ci)
            return -1; /* out of memory: drawn, as with --plots all */
        sc->cap_known_drawn = cap;
    }
    sc->known_drawn[sc->n_known_drawn] = reason;
    sc->known_drawn_cell[sc->n_known_drawn++] = i;
    return -2;
}

static int close_cell(struct reading *rd)
{
    struct session_cells *sc = rd->sc;
    int i = sc->n - 1;
    struct cell_stats *c = &sc->stats[i];
    int rc = 0, drawn = cell_met(c) ? -1 : known_drawn_already(rd, c, i);
    if (drawn >= 0) {
        const char *slash = strrchr(c->gate.known_where, '/'); /* known.yaml:320, not the whole path */
        snprintf(sc->html[i].typical.note, sizeof sc->html[i].typical.note,
                 "A known failure (%s): the diagram of its reason is drawn once, for %s / %s / %s; `resetlab "
                 "report --plots all` draws every cell's.",
                 slash ? slash + 1 : c->gate.known_where, sc->runs[drawn].board, sc->runs[drawn].host,
                 sc->runs[drawn].scenario);
        sc->html[i].brief = 1;
    }
    else if (!cell_met(c)) {
        sc->pair_drawn = 1;
        rc = report_redraw_cell(rd->redraw, rd->place, &sc->runs[i], c, i, &sc->html[i], drawn == -2);
    }
    return rc == 0 ? 0 : out_of_memory(rd);
}

/* The board × scenario whose cells end at the last one read. */
static int close_pair(struct reading *rd)
{
    struct session_cells *sc = rd->sc;
    int failing = 0, rc = 0;
    for (int i = sc->gaps.first; i < sc->n; i++)
        failing |= !cell_met(&sc->stats[i]);
    if (failing) {
        struct html_group *g = &sc->groups[sc->n_groups++];
        g->board = sc->runs[sc->gaps.first].board;
        g->scenario = sc->runs[sc->gaps.first].scenario;
        double en_release_ms = NAN; /* the board's, as its cells measured it: the boundary the gap plots mark */
        for (int i = sc->gaps.first; i < sc->n && isnan(en_release_ms); i++)
            en_release_ms = sc->stats[i].en_release.p50;
        const struct board_profile *b = rd->redraw && rd->redraw->loaded ? lab_board(&rd->redraw->lab, g->board) : NULL;
        if (sc->pair_drawn)
            rc = draw_group(rd->place, &sc->gaps, g, sc->n_groups - 1, en_release_ms,
                            b && b->chip ? &b->chip->timing : NULL);
        else
            snprintf(g->gap_hist.note, sizeof g->gap_hist.note,
                     "Every cell here is a known failure drawn elsewhere: the DTR/RTS gap plots of this pair are "
                     "drawn with `resetlab report --plots all`.");
    }
    pair_gaps_clear(&sc->gaps, sc->n);
    sc->pair_drawn = 0;
    return rc == 0 ? 0 : out_of_memory(rd);
}

/* resetlab makes a cell's runs one after another and a board × scenario's
 * cells one after another; a session otherwise would mix up the figures
 * read one cell at a time, so it is refused. */
static int out_of_order(const struct session_cells *sc, const char *board, const char *host, const char *scenario)
{
    for (int i = 0; i < sc->n; i++)
        if (is_cell(&sc->runs[i], board, host, scenario) ||
            (i < sc->gaps.first && same_pair(&sc->runs[i], board, scenario)))
            return 1;
    return 0;
}

static int open_cell(struct reading *rd, const struct stored_cell *cell)
{
    struct session_cells *sc = rd->sc;
    const struct cell_stats *from = &cell->c;
    if (sc->n > 0 && close_cell(rd) != 0)
        return -1;
    if (out_of_order(sc, from->board, from->host, from->scenario))
        return read_fail(rd, "session #%lld holds the cell %s / %s / %s apart from the others of its board and "
                         "scenario (resetlab makes them one after another)",
                         (long long)rd->session, from->board, from->host, from->scenario);
    if (sc->n == sc->cap)
        return read_fail(rd, "session #%lld gained cells while it was read", (long long)rd->session);
    if (sc->n > 0 && !same_pair(&sc->runs[sc->n - 1], from->board, from->scenario) && close_pair(rd) != 0)
        return -1;
    struct cell_runs *c = &sc->runs[sc->n];
    sc->n++; /* from here on report_cells_free frees what there is */
    c->board = strdup(from->board);
    c->host = strdup(from->host);
    c->scenario = strdup(from->scenario);
    if (!c->board || !c->host || !c->scenario)
        return out_of_memory(rd);
    struct cell_stats *s = &sc->stats[sc->n - 1];
    *s = *from;
    s->board = c->board;
    s->host = c->host;
    s->scenario = c->scenario;
    lab_gates_apply(rd->gates, s);
    return keep_gaps(&sc->gaps, cell->gaps, cell->n_gaps, c->host, 0) == 0 ? 0 : out_of_memory(rd);
}

static int collect_cell(const struct stored_cell *cell, void *ctx)
{
    struct reading *rd = ctx;
    struct session_cells *sc = rd->sc;
    if (rd->stop && *rd->stop)
        return read_fail(rd, "interrupted");
    const struct cell_stats *c = &cell->c;
    if (sc->n > 0 && is_cell(&sc->runs[sc->n - 1], c->board, c->host, c->scenario)) {
        /* the same cell in another session of a group: one cell of both sessions' runs */
        cell_pool(&sc->stats[sc->n - 1], c);
        return keep_gaps(&sc->gaps, cell->gaps, cell->n_gaps, c->host, 1) == 0 ? 0 : out_of_memory(rd);
    }
    return open_cell(rd, cell);
}

int report_cells_read(struct store *st, const struct session_row *s, struct reading *rd)
{
    int n_cells;
    if (store_count_cells(st, s->id, &n_cells, rd->err, rd->err_len) != 0)
        return -1;
    if (session_cells_alloc(rd->sc, n_cells) != 0)
        return out_of_memory(rd);
    rd->err[0] = '\0';
    int rc = store_each_stored_cell(st, s->id, NULL, NULL, NULL, 0, collect_cell, rd, rd->err, rd->err_len);
    if (rc == 0 && rd->sc->n > 0 && (close_cell(rd) != 0 || close_pair(rd) != 0))
        rc = -1;
    return rc == 0 ? 0 : -1;
}

int report_cells_read_group(struct store *st, const struct group_cell *cells, int n, struct reading *rd)
{
    int distinct = 0; /* a cell in two sessions comes twice, one after the other: one cell */
    for (int i = 0; i < n; i++)
        distinct += i == 0 || strcmp(cells[i].board, cells[i - 1].board) != 0 ||
                    strcmp(cells[i].host, cells[i - 1].host) != 0 ||
                    strcmp(cells[i].scenario, cells[i - 1].scenario) != 0;
    if (session_cells_alloc(rd->sc, distinct) != 0)
        return out_of_memory(rd);
    rd->err[0] = '\0';
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rd->session = cells[i].session;
        rc = store_each_stored_cell(st, cells[i].session, cells[i].board, cells[i].host, cells[i].scenario, 0,
                                    collect_cell, rd, rd->err, rd->err_len);
    }
    if (rc == 0 && rd->sc->n > 0 && (close_cell(rd) != 0 || close_pair(rd) != 0))
        rc = -1;
    return rc == 0 ? 0 : -1;
}
