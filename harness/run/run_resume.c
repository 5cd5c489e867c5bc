/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --resume (run_plan.h): a session's cells put back as the store holds
 * them. A cell whose row is there is complete; the others go on from the
 * runs stored of them. The store keeps a row for only some runs of a cell
 * (the first that did not pass: recorder keep_runs), so a cell's runs are
 * counted back in while they follow one another from run 0, and the cell
 * goes on after the last of those: a simulated run is the same bit for bit
 * when made again from its seed, and a real board's runs are all kept.
 * May call: run_recorder.c, reports/ (the store, cells), libc. */
#include "run_plan.h"

#include <stdio.h>
#include <string.h>

#include "run_recorder.h"

static int plan_of(const struct plan *plan, int n_cells, int at, const char *board, const char *host,
                   const char *scenario)
{
    for (int k = 0; k < n_cells; k++) {
        int c = (at + k) % n_cells; /* runs come cell by cell: the last cell found first */
        if (strcmp(plan[c].b->name, board) == 0 && strcmp(plan[c].h->name, host) == 0 &&
            strcmp(plan[c].s->name, scenario) == 0)
            return c;
    }
    return -1;
}

struct resume {
    struct plan *plan;
    struct cell_stats *cells;
    int n_cells, at, iterations;
    struct recorder *rec; /* runs.jsonl */
    char *err;
    size_t err_len;
};

static int restore_cell(const struct stored_cell *sc, void *ctx)
{
    struct resume *rs = ctx;
    int c = plan_of(rs->plan, rs->n_cells, rs->at, sc->c.board, sc->c.host, sc->c.scenario);
    if (c < 0) {
        snprintf(rs->err, rs->err_len, "the session holds the cell %s / %s / %s, which this matrix does not have",
                 sc->c.board, sc->c.host, sc->c.scenario);
        return -1;
    }
    struct cell_stats *cell = &rs->cells[c];
    struct cell_gate gate = cell->gate; /* this matrix's, as cell_init and the gates file set it */
    cell_free(cell);
    *cell = sc->c;
    cell->board = rs->plan[c].b->name; /* the row's names live only during the call */
    cell->host = rs->plan[c].h->name;
    cell->scenario = rs->plan[c].s->name;
    cell->gate = gate;
    rs->plan[c].done = rs->iterations;
    rs->plan[c].restored = 1;
    rs->at = c;
    return 0;
}

static int replay_run(const struct stored_run *r, void *ctx)
{
    struct resume *rs = ctx;
    int c = plan_of(rs->plan, rs->n_cells, rs->at, r->board, r->host, r->scenario);
    if (c < 0) {
        snprintf(rs->err, rs->err_len, "the session holds runs of %s / %s / %s, which this matrix does not have",
                 r->board, r->host, r->scenario);
        return -1;
    }
    struct plan *pl = &rs->plan[c];
    if (c != rs->at && !rs->plan[rs->at].restored && rs->plan[rs->at].done == rs->iterations)
        cell_close(&rs->cells[rs->at]); /* complete: its samples can go */
    rs->at = c;
    if (pl->restored) /* its figures are its row's; its runs only go back into runs.jsonl */
        return recorder_put_line(rs->rec, &r->rec);
    if (pl->gap || r->iteration != pl->done) {
        pl->gap = 1;
        return 0;
    }
    if (pl->done >= rs->iterations) {
        snprintf(rs->err, rs->err_len, "the session holds more than its %d runs of %s / %s / %s", rs->iterations,
                 r->board, r->host, r->scenario);
        return -1;
    }
    pl->done++;
    pl->kept += r->a.verdict != VERDICT_PASS;
    if (cell_add_run(&rs->cells[c], &r->a, r->iteration, r->seed) != 0) {
        snprintf(rs->err, rs->err_len, "out of memory");
        return -1;
    }
    return recorder_put_line(rs->rec, &r->rec);
}

int run_resume_cells(const struct matrix_opts *o, struct plan *plan, int n_cells, struct cell_stats *cells,
                     struct outputs *io, char *err, size_t len)
{
    struct resume rs = {plan, cells, n_cells, 0, o->iterations, &io->rec, err, len};
    if (store_each_stored_cell(io->store, io->session, NULL, NULL, NULL, 1, restore_cell, &rs, err, len) != 0)
        return -1;
    rs.at = 0;
    if (store_each_run(io->store, io->session, NULL, NULL, NULL, replay_run, &rs, err, len) != 0)
        return -1;
    for (int c = 0; c < n_cells; c++)
        if (plan[c].gap && store_forget_runs(io->store, io->session, plan[c].b->name, plan[c].h->name,
                                             plan[c].s->name, plan[c].done, err, len) != 0)
            return -1;
    for (int c = 0; c < n_cells; c++) /* the cell the run goes on with keeps counting its kept runs */
        if (!plan[c].restored && plan[c].done < o->iterations) {
            recorder_resume_cell(&io->rec, plan[c].b->name, plan[c].h->name, plan[c].s->name, plan[c].kept);
            break;
        }
    return 0;
}
