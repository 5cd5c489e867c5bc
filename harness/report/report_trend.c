/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trends over the last sessions of a store (report_internal.h): pass rate
 * and median strap margin per cell, one point per session.
 * May call: reports/ (the store, plots), report_plots.c, libc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_internal.h"

#define SERIES_PER_PLOT 12 /* more lines than this on one plot are a tangle */
#define MAX_TREND_PLOTS 6  /* of each quantity */
#define MAX_SESSIONS_LOOKED_AT (REPORT_MAX_LAST * 2)

/* One cell across the sessions. */
struct trend_cell {
    char *board, *host, *scenario;
    double *rate, *median; /* per session, percent and ms; NaN: not in that session */
    double range;          /* max - min of rate */
    int met_some, unmet_some;
    /* the session being read */
    int passed, runs;
    int read_in; /* 1 + the session in which it was read; 0: none yet */
};

/* The cells of the sessions read so far. */
struct trend_read {
    const char *const *labels; /* a label per session: "#12 12-05" */
    struct trend_cell *cells;
    int n, cap, at, n_sessions;
    int session; /* the column being read */
};

static void trend_cells_free(struct trend_read *t)
{
    for (int i = 0; i < t->n; i++) {
        free(t->cells[i].board);
        free(t->cells[i].host);
        free(t->cells[i].scenario);
        free(t->cells[i].rate);
        free(t->cells[i].median);
    }
    free(t->cells);
}

static int is_trend_cell(const struct trend_cell *c, const struct cell_stats *r)
{
    return strcmp(c->board, r->board) == 0 && strcmp(c->host, r->host) == 0 && strcmp(c->scenario, r->scenario) == 0;
}

static int new_trend_cell(struct trend_read *t, const struct cell_stats *r)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        struct trend_cell *p = realloc(t->cells, sizeof *p * (size_t)cap);
        if (p == NULL)
            return -1;
        t->cells = p;
        t->cap = cap;
    }
    struct trend_cell *c = &t->cells[t->n++];
    memset(c, 0, sizeof *c);
    c->board = strdup(r->board);
    c->host = strdup(r->host);
    c->scenario = strdup(r->scenario);
    c->rate = malloc(sizeof *c->rate * (size_t)t->n_sessions);
    c->median = malloc(sizeof *c->median * (size_t)t->n_sessions);
    if (!c->board || !c->host || !c->scenario || !c->rate || !c->median)
        return -1;
    for (int k = 0; k < t->n_sessions; k++)
        c->rate[k] = c->median[k] = NAN;
    return t->n - 1;
}

/* Cells come in the matrix's order: the cell before, or the next one. */
static int trend_cell_of(struct trend_read *t, const struct cell_stats *r)
{
    for (int k = 0; k < 2 && t->at + k < t->n; k++)
        if (is_trend_cell(&t->cells[t->at + k], r))
            return t->at += k;
    for (int i = 0; i < t->n; i++)
        if (is_trend_cell(&t->cells[i], r))
            return t->at = i;
    int i = new_trend_cell(t, r);
    return i < 0 ? -1 : (t->at = i);
}

/* A cell of the session being read: its runs, and its median margin as
 * its row (or its runs) give it. */
static int add_cell(const struct stored_cell *sc, void *ctx)
{
    struct trend_read *t = ctx;
    int i = trend_cell_of(t, &sc->c);
    if (i < 0)
        return -1;
    struct trend_cell *c = &t->cells[i];
    if (c->read_in == t->session + 1) /* its runs apart: resetlab makes them one after another */
        return -2;
    c->read_in = t->session + 1;
    c->runs += sc->c.runs;
    c->passed += sc->c.passed;
    c->median[t->session] = sc->c.margin.p50;
    return 0;
}

/* The session just read becomes column k (its medians are in already). */
static void close_session(struct trend_read *t, int k, int *met, int *total)
{
    *met = *total = 0;
    for (int i = 0; i < t->n; i++) {
        struct trend_cell *c = &t->cells[i];
        if (c->runs == 0)
            continue;
        c->rate[k] = 100.0 * c->passed / c->runs;
        c->met_some |= c->passed == c->runs;
        c->unmet_some |= c->passed < c->runs;
        *met += c->passed == c->runs;
        (*total)++;
        c->passed = c->runs = 0;
    }
}

/* ------------------------------------------------------------ sessions -- */

/* `session` and the complete sessions before it, at most `last`, oldest
 * first; returns how many, or -1. *skipped: unfinished ones left out. */
static int window(struct store *st, const struct session_row *session, int last, struct session_row **out,
                  int *skipped, char *err, size_t err_len)
{
    struct session_row *rows = malloc(sizeof *rows * MAX_SESSIONS_LOOKED_AT);
    *out = malloc(sizeof **out * (size_t)(last > 0 ? last : 1));
    int n = rows && *out ? store_sessions(st, rows, MAX_SESSIONS_LOOKED_AT, err, err_len) : -1, taken = 0;
    *skipped = 0;
    for (int i = 0; i < n && taken < last; i++) {
        if (rows[i].id > session->id)
            continue;
        if (rows[i].id != session->id && strcmp(rows[i].status, "complete") != 0) {
            (*skipped)++;
            continue;
        }
        (*out)[taken++] = rows[i].id == session->id ? *session : rows[i]; /* as the page shows it */
    }
    for (int i = 0; i < taken / 2; i++) { /* oldest first */
        struct session_row tmp = (*out)[i];
        (*out)[i] = (*out)[taken - 1 - i];
        (*out)[taken - 1 - i] = tmp;
    }
    free(rows);
    if (n < 0 && err[0] == '\0')
        snprintf(err, err_len, "out of memory");
    return n < 0 ? -1 : taken;
}

/* Reads every session of the window; the reported one (the last) first,
 * so the cells come in its matrix order. */
static int read_sessions(struct store *st, struct trend_data *out, struct trend_read *t, char *err, size_t err_len)
{
    int n = out->view.n_sessions;
    for (int j = 0; j < n; j++) {
        int k = j == 0 ? n - 1 : j - 1;
        t->at = 0;
        t->session = k;
        int rc = store_each_stored_cell(st, out->sessions[k].id, NULL, NULL, NULL, 0, add_cell, t, err, err_len);
        if (rc == -2)
            snprintf(err, err_len, "session #%lld holds the runs of a cell apart from each other (resetlab makes "
                     "them one after another)", (long long)out->sessions[k].id);
        else if (rc != 0 && (rc > 0 || err[0] == '\0'))
            snprintf(err, err_len, "out of memory reading session #%lld", (long long)out->sessions[k].id);
        if (rc != 0)
            return -1;
        close_session(t, k, &out->cells_met[k], &out->cells_total[k]);
    }
    return 0;
}

/* ------------------------------------------------------------ plotting -- */

static double rate_range(const struct trend_cell *c, int n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < n; k++)
        if (isfinite(c->rate[k])) {
            lo = fmin(lo, c->rate[k]);
            hi = fmax(hi, c->rate[k]);
        }
    return hi > lo ? hi - lo : 0;
}

/* Worth a line: it changed, or it did not meet its expectation somewhere.
 * Class 0 (first): met in one session and not in another. */
static int trend_class(const struct trend_cell *c)
{
    return c->met_some && c->unmet_some ? 0 : (c->unmet_some || c->range > 0) ? 1 : -1;
}

/* A cell worth a line, with what orders it. */
struct pick {
    int cls;
    double range;
    int index; /* the matrix order, between equals */
};

/* Class 0 first, then by how much the pass rate moved. */
static int by_interest(const void *a, const void *b)
{
    const struct pick *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->range != y->range)
        return x->range > y->range ? -1 : 1;
    return x->index - y->index;
}

/* The cells worth plotting, most interesting first, into picked (cell
 * indexes); returns how many. */
static int pick_cells(struct trend_read *t, int *picked)
{
    struct pick *p = malloc(sizeof *p * (size_t)(t->n ? t->n : 1));
    if (p == NULL)
        return -1;
    int n = 0;
    for (int i = 0; i < t->n; i++) {
        t->cells[i].range = rate_range(&t->cells[i], t->n_sessions);
        int cls = trend_class(&t->cells[i]);
        if (cls >= 0)
            p[n++] = (struct pick){cls, t->cells[i].range, i};
    }
    qsort(p, (size_t)n, sizeof *p, by_interest);
    for (int k = 0; k < n; k++)
        picked[k] = p[k].index;
    free(p);
    return n;
}

static int queue_trend(const struct plot_place *pl, struct html_plot *out, const struct plot_series *s, int n,
                       const char *const *labels, const char *file, const char *title, const char *ylabel,
                       const char *caption)
{
    char path[1200], err[400] = "";
    snprintf(out->src, sizeof out->src, "plots/%s", file);
    snprintf(out->caption, sizeof out->caption, "%.300s", caption);
    snprintf(path, sizeof path, "%s/%s", pl->dir, file);
    int index = plot_batch_trend_labelled(pl->batch, path, s, n, labels, title, ylabel, err, sizeof err);
    return pending_add(pl->pending, out, index, err);
}

/* Plot k: cells picked[from .. from + n - 1], pass rate and margin. */
static int queue_chunk(const struct plot_place *pl, struct trend_read *t, const int *picked, int from, int n,
                       int n_picked, struct trend_data *out, int k)
{
    struct plot_series pass[SERIES_PER_PLOT], margin[SERIES_PER_PLOT];
    char names[SERIES_PER_PLOT][200], file[64], title[300], caption[200];
    for (int i = 0; i < n; i++) {
        const struct trend_cell *c = &t->cells[picked[from + i]];
        snprintf(names[i], sizeof names[i], "%s / %s / %s", c->board, c->host, c->scenario);
        pass[i] = (struct plot_series){names[i], c->rate, t->n_sessions};
        margin[i] = (struct plot_series){names[i], c->median, t->n_sessions};
    }
    snprintf(caption, sizeof caption, "cells %d\xE2\x80\x93%d of the %d plotted", from + 1, from + n, n_picked);
    snprintf(file, sizeof file, "trend-pass-%d.svg", k + 1);
    snprintf(title, sizeof title, "pass rate per session, %s", caption);
    if (queue_trend(pl, &out->pass[k], pass, n, t->labels, file, title, "pass rate (%)", title) != 0)
        return -1;
    snprintf(file, sizeof file, "trend-margin-%d.svg", k + 1);
    snprintf(title, sizeof title, "median strap margin per session, %s", caption);
    char note[400];
    snprintf(note, sizeof note, "%s; \"no data\": the cell's runs have no strap margin (no reset asked for)", title);
    return queue_trend(pl, &out->margin[k], margin, n, t->labels, file, title, "median strap margin (ms)", note);
}

static int queue_trend_plots(const struct plot_place *pl, struct trend_read *t, struct trend_data *out)
{
    int *picked = malloc(sizeof *picked * (size_t)(t->n ? t->n : 1));
    int n = picked ? pick_cells(t, picked) : -1, rc = n < 0 ? -1 : 0;
    int shown = n < SERIES_PER_PLOT * MAX_TREND_PLOTS ? n : SERIES_PER_PLOT * MAX_TREND_PLOTS;
    int plots = (shown + SERIES_PER_PLOT - 1) / SERIES_PER_PLOT;
    out->pass = calloc((size_t)(plots ? plots : 1), sizeof *out->pass);
    out->margin = calloc((size_t)(plots ? plots : 1), sizeof *out->margin);
    if (!out->pass || !out->margin)
        rc = -1;
    for (int k = 0; rc == 0 && k < plots; k++) {
        int from = k * SERIES_PER_PLOT, len = shown - from < SERIES_PER_PLOT ? shown - from : SERIES_PER_PLOT;
        rc = queue_chunk(pl, t, picked, from, len, shown, out, k);
    }
    out->view.pass = out->pass;
    out->view.margin = out->margin;
    out->view.n_plots = rc == 0 ? plots : 0;
    out->view.cells_plotted = rc == 0 ? shown : 0;
    out->view.cells_left_out = rc == 0 ? n - shown : 0;
    free(picked);
    return rc;
}

int trends_build(struct store *st, const struct session_row *session, int last, const struct plot_place *place,
                 struct trend_data *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (last < 2)
        return 0;
    int skipped = 0, n = window(st, session, last, &out->sessions, &skipped, err, err_len);
    if (n < 2)
        return n < 0 ? -1 : 0;
    out->cells_met = calloc((size_t)n, sizeof *out->cells_met);
    out->cells_total = calloc((size_t)n, sizeof *out->cells_total);
    if (!out->cells_met || !out->cells_total)
        return snprintf(err, err_len, "out of memory"), -1;
    out->view = (struct html_trends){.sessions = out->sessions, .cells_met = out->cells_met,
                                     .cells_total = out->cells_total, .n_sessions = n};
    if (skipped > 0)
        out->view.note = "Unfinished (interrupted or running) sessions before this one are left out.";
    /* each session on the x axis by its number and the UTC day it began ("#12 12-05") */
    char (*label)[32] = calloc((size_t)n, sizeof *label);
    const char **labels = calloc((size_t)n, sizeof *labels);
    if (label == NULL || labels == NULL) {
        free(label);
        free(labels);
        return snprintf(err, err_len, "out of memory"), -1;
    }
    for (int i = 0; i < n; i++) {
        const char *day = out->sessions[i].facts.started;
        snprintf(label[i], sizeof label[i], "#%lld %.5s", (long long)out->sessions[i].id, strlen(day) >= 10 ? day + 5 : "?");
        labels[i] = label[i];
    }
    struct trend_read t = {.n_sessions = n, .labels = labels};
    int rc = read_sessions(st, out, &t, err, err_len);
    if (rc == 0 && queue_trend_plots(place, &t, out) != 0) {
        snprintf(err, err_len, "out of memory");
        rc = -1;
    }
    trend_cells_free(&t);
    free(labels);
    free(label);
    return rc;
}

void trends_free(struct trend_data *t)
{
    free(t->sessions);
    free(t->cells_met);
    free(t->cells_total);
    free(t->pass);
    free(t->margin);
    memset(t, 0, sizeof *t);
}
