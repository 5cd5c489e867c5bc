/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab run` (run_matrix.h): the cells picked, run in order; each run
 * recorded as it finishes (runs.jsonl, the results store); --resume
 * replays a session's committed runs and goes on; then the outputs
 * (run_outputs.c) and the table.
 * May call: run_cell.c, run_recorder.c, run_outputs.c, reports/ (the store, cells), libc. */
#include "run_matrix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run_outputs.h"
#include "run_plan.h"
#include "run_real.h"
#include "run_recorder.h"
#include "run_table.h"

/* Boards, hosts and scenarios picked on the command line, or all of them. */
struct pick {
    const struct board_profile *boards[256];
    const struct host_profile *hosts[256];
    const struct scenario *scenarios[256];
    int n_boards, n_hosts, n_scenarios;
    /* real boards' hosts (run_real_host), each name once: real[real_of[board]] */
    struct host_profile real[256];
    int real_of[256], n_real;
};

/* Each real board's host column: its port's host mode, or --host-label;
 * boards that share one share its profile (the table finds cells by it). */
static void pick_real_hosts(const struct matrix_opts *o, struct pick *p)
{
    for (int b = 0; b < p->n_boards; b++) {
        if (!board_is_real(p->boards[b]))
            continue;
        struct host_profile h;
        run_real_host(p->boards[b], o->host_label, o->host_root, o->serial, &h, NULL);
        int k = 0;
        while (k < p->n_real && strcmp(p->real[k].name, h.name) != 0)
            k++;
        if (k == p->n_real)
            p->real[p->n_real++] = h;
        p->real_of[b] = k;
    }
}

static int unknown(char *err, size_t len, const char *what, const char *name, const char *file)
{
    snprintf(err, len, "unknown %s '%s' (not in %s; `resetlab list` shows them)", what, name, file);
    return -1;
}

/* The tools a user runs (scenarios with `tool:`) before the bare
 * strategies, each group in its own order: the matrix's headline rows. */
static void tools_first(struct pick *p)
{
    const struct scenario *sorted[256];
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < p->n_scenarios; i++)
            if ((p->scenarios[i]->product[0] != '\0') == (pass == 0))
                sorted[n++] = p->scenarios[i];
    memcpy(p->scenarios, sorted, (size_t)n * sizeof sorted[0]);
}

static int pick_from(const struct lab *lab, const struct matrix_opts *o, struct pick *p, char *err, size_t len)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < (o->n_boards ? o->n_boards : lab->n_boards) && i < 256; i++) {
        const struct board_profile *b = o->n_boards ? lab_board(lab, o->boards[i]) : &lab->boards[i];
        if (b == NULL)
            return unknown(err, len, "board", o->boards[i], lab->path);
        p->boards[p->n_boards++] = b;
    }
    for (int i = 0; i < (o->n_hosts ? o->n_hosts : lab->n_hosts) && i < 256; i++) {
        const struct host_profile *h = o->n_hosts ? lab_host(lab, o->hosts[i]) : &lab->hosts[i];
        if (h == NULL)
            return unknown(err, len, "host", o->hosts[i], lab->path);
        p->hosts[p->n_hosts++] = h;
    }
    for (int i = 0; i < (o->n_scenarios ? o->n_scenarios : lab->n_scenarios) && i < 256; i++) {
        const struct scenario *s = o->n_scenarios ? lab_scenario(lab, o->scenarios[i]) : &lab->scenarios[i];
        if (s == NULL)
            return unknown(err, len, "scenario", o->scenarios[i], "the scenarios folder");
        p->scenarios[p->n_scenarios++] = s;
    }
    tools_first(p);
    pick_real_hosts(o, p);
    return 0;
}

/* The session's facts say where its real boards ran: "; BOARD: COLUMN
 * (detected MODE, via CONTROLLER-OR-DRIVER)" after the machine's virtualization, for each real board
 * picked (what is cut at the field's size is only a fact's text). */
void run_matrix_host_facts(const struct lab *lab, const struct matrix_opts *o, struct session_facts *f)
{
    for (int i = 0; i < (o->n_boards ? o->n_boards : lab->n_boards); i++) {
        const struct board_profile *b = o->n_boards ? lab_board(lab, o->boards[i]) : &lab->boards[i];
        if (b == NULL || !board_is_real(b))
            continue;
        struct host_profile h;
        struct port_host m;
        run_real_host(b, o->host_label, o->host_root, o->serial, &h, &m);
        size_t used = strlen(f->virtualization);
        const char *via = m.controller[0] ? m.controller : m.port_driver[0] ? m.port_driver : "-";
        snprintf(f->virtualization + used, sizeof f->virtualization - used, "; %s: %s (detected %s, via %s)", b->name,
                 h.name, m.mode, via);
    }
}

static int board_index(const struct pick *p, const struct board_profile *b)
{
    int i = 0;
    while (i < p->n_boards - 1 && p->boards[i] != b)
        i++;
    return i;
}

/* A simulated board runs on every host picked; a real one on this machine,
 * in the column of its host mode. */
static const struct host_profile *host_of(const struct pick *p, const struct board_profile *b, int i)
{
    if (board_is_real(b))
        return i == 0 ? &p->real[p->real_of[board_index(p, b)]] : NULL;
    return i < p->n_hosts ? p->hosts[i] : NULL;
}

static int count_cells(const struct pick *p)
{
    int n = 0;
    for (int b = 0; b < p->n_boards; b++)
        for (int s = 0; s < p->n_scenarios; s++)
            for (int h = 0; host_of(p, p->boards[b], h) != NULL; h++)
                n += scenario_applies(p->scenarios[s], p->boards[b], host_of(p, p->boards[b], h));
    return n;
}

/* The cells in the order they run: board, scenario, host. */

static int plan_cells(const struct pick *p, struct plan *plan)
{
    int n = 0;
    for (int bi = 0; bi < p->n_boards; bi++)
        for (int si = 0; si < p->n_scenarios; si++)
            for (int hi = 0; host_of(p, p->boards[bi], hi) != NULL; hi++) {
                const struct host_profile *h = host_of(p, p->boards[bi], hi);
                if (scenario_applies(p->scenarios[si], p->boards[bi], h))
                    plan[n++] = (struct plan){.b = p->boards[bi], .h = h, .s = p->scenarios[si]};
            }
    return n;
}

/* --shard K/N: the plan's cells whose index is K-1 modulo N, in order;
 * a cell's seeds come from its names (run_seed), not its index, so each
 * runs as in the whole run. Returns the cells kept. */
static int keep_shard(const struct matrix_opts *o, struct plan *plan, int n)
{
    if (o->shard_n <= 0)
        return n;
    int kept = 0;
    for (int i = o->shard_k - 1; i < n; i += o->shard_n)
        plan[kept++] = plan[i];
    return kept;
}

/* Real boards are sharded by the machine they are attached to: a job of
 * their own there, not a share of --shard's cells. */
static int shard_has_real_board(const struct matrix_opts *o, const struct pick *p, char *err, size_t len)
{
    for (int b = 0; o->shard_n > 0 && b < p->n_boards; b++)
        if (board_is_real(p->boards[b])) {
            snprintf(err, len,
                     "--shard splits the virtual lab's cells; %s is a real board: run it on the machine it is "
                     "attached to, in a job without --shard (--board %s)",
                     p->boards[b]->name, p->boards[b]->name);
            return -1;
        }
    return 0;
}

/* A cell whose runs are all made: its row goes to the store after its
 * runs, and it is closed. */
static int record_cell(struct recorder *rec, int idx, struct cell_stats *c, int durable)
{
    struct stored_cell *sc = calloc(1, sizeof *sc);
    float *margins = NULL, *gaps = NULL;
    if (sc == NULL || cell_sample_floats(c, &margins, &sc->n_margins, &gaps, &sc->n_gaps) != 0) {
        free(sc);
        return -1;
    }
    cell_close(c);
    sc->idx = idx;
    sc->c = *c;
    sc->margins = margins;
    sc->gaps = gaps;
    return recorder_add_cell(rec, sc, durable) == 0 ? 0 : -1; /* its reason in err */
}

static int run_cells(const struct matrix_opts *o, struct plan *plan, int n_cells, struct cell_stats *cells,
                     struct outputs *io, char *err, size_t len)
{
    char captures_dir[600];
    struct cell_sink sink = {.recorder = &io->rec, .keep = o->keep_captures, .captures_dir = captures_dir, .err = err,
                             .err_len = len, .serial = o->serial};
    snprintf(captures_dir, sizeof captures_dir, "%s/captures", o->out_dir);
    int any_real = 0;
    for (int c = 0; c < n_cells; c++)
        any_real |= board_is_real(plan[c].b);
    if (o->keep_captures != KEEP_NONE && run_mkdir_p(captures_dir, err, len) != 0)
        return -1;
    if ((o->keep_captures != KEEP_NONE || any_real) && (sink.sigrok = sigrok_new(err, len)) == NULL)
        return -1;
    struct sim_world *w = sim_world_new();
    sink.rb = run_buffers_new();
    int rc = w && sink.rb ? 0 : -1;
    recorder_start(&io->rec);
    for (int c = 0; c < n_cells && rc == 0; c++) {
        if (plan[c].restored) /* complete, its row in the store */
            continue;
        rc = run_cell_from(w, plan[c].b, plan[c].h, plan[c].s, plan[c].done, o->iterations, o->seed, &cells[c],
                              &sink);
        if (rc == 0) /* complete: its row, and its samples can go, one cell's at a time */
            rc = record_cell(&io->rec, c, &cells[c], board_is_real(plan[c].b));
    }
    if (recorder_finish(&io->rec) != 0)
        rc = -1;
    if (rc < 0 && err[0] == '\0')
        snprintf(err, len, "out of memory");
    sim_world_free(w);
    free(sink.rb);
    sigrok_free(sink.sigrok);
    return rc;
}

/* Every cell initialised, then what the resumed session already holds. */
static int prepare_cells(const struct matrix_opts *o, struct plan *plan, int n_cells, struct cell_stats *cells,
                         struct outputs *io, char *err, size_t len)
{
    for (int c = 0; c < n_cells; c++)
        if (cell_init(&cells[c], plan[c].b->name, plan[c].h->name, plan[c].s->name, plan[c].s->expected,
                      o->iterations) != 0) {
            snprintf(err, len, "out of memory");
            return -1;
        } else
            lab_gates_apply(o->gates, &cells[c]);
    return o->resume_session ? run_resume_cells(o, plan, n_cells, cells, io, err, len) : 0;
}

static int64_t runs_done(const struct plan *plan, int n_cells)
{
    int64_t n = 0;
    for (int c = 0; c < n_cells; c++)
        n += plan[c].done;
    return n;
}

/* The table, or with --json summary.json's document. */
static void print_end(FILE *out, const struct matrix_opts *o, const struct pick *p, struct cell_stats *cells,
                      int n_cells)
{
    if (o->json) {
        write_summary_json(out, o->seed, o->iterations, cells, n_cells);
        return;
    }
    const struct host_profile *hosts[512]; /* the hosts picked, then real boards' host modes */
    int n_hosts = 0;
    for (int h = 0; h < p->n_hosts; h++)
        hosts[n_hosts++] = p->hosts[h];
    for (int h = 0; h < p->n_real; h++)
        hosts[n_hosts++] = &p->real[h];
    struct run_table t = {p->boards,  hosts, p->scenarios, p->n_boards, n_hosts, p->n_scenarios,
                          cells,      n_cells, o->gates, o->quiet};
    run_table_print(out, &t);
}

int run_matrix(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len)
{
    struct pick *p = malloc(sizeof *p);
    if (p == NULL || pick_from(lab, o, p, err, err_len) != 0 || shard_has_real_board(o, p, err, err_len) != 0) {
        free(p);
        return 2;
    }
    int n_cells = count_cells(p), rc = 2;
    struct cell_stats *cells = calloc(n_cells ? (size_t)n_cells : 1, sizeof *cells);
    struct plan *plan = calloc(n_cells ? (size_t)n_cells : 1, sizeof *plan);
    struct outputs io = {.lock_fd = -1, .folder_fd = -1};
    char summary_path[OUTPUTS_PATH + 32], page[OUTPUTS_PATH + 32]; /* the end fills both, to sizeof page */
    char args[2 * OUTPUTS_PATH];
    if (n_cells == 0) {
        snprintf(err, err_len, "no scenario applies to the boards and hosts picked");
        goto out;
    }
    if (cells == NULL || plan == NULL) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    plan_cells(p, plan);
    int all_cells = n_cells;
    n_cells = keep_shard(o, plan, n_cells);
    if (n_cells == 0) {
        snprintf(err, err_len, "shard %d/%d has no cells: the matrix picked has %d, fewer than the shards", o->shard_k,
                 o->shard_n, all_cells);
        goto out;
    }
    if (run_outputs_open(o, &io, err, err_len) != 0)
        goto out;
    if (prepare_cells(o, plan, n_cells, cells, &io, err, err_len) != 0) {
        if (io.rec.runs_failed) /* a full disk; not a session that does not fit the matrix */
            run_outputs_kept(o, &io, err, err_len);
        goto out;
    }
    progress_start(&io.progress, (int64_t)n_cells * o->iterations, runs_done(plan, n_cells), o->progress);
    int ran = run_cells(o, plan, n_cells, cells, &io, err, err_len);
    progress_end(&io.progress);
    int end = ran < 0 ? -1
                      : run_outputs_finish(o, cells, n_cells, &io, ran == 1, summary_path, page, sizeof page, err,
                                           err_len);
    if (end < 0) { /* what was committed is kept: say how much, and how to go on */
        run_outputs_kept(o, &io, err, err_len);
        goto out;
    }
    run_outputs_resume_args(o, args, sizeof args);
    if (ran == 1 || end == MATRIX_INTERRUPTED) {
        snprintf(err, err_len,
                 ran == 1 ? "interrupted: %lld runs are in %s; `resetlab run --resume %s` goes on"
                          : "interrupted while writing the outputs: all %lld runs are in %s; `resetlab run --resume "
                            "%s` writes them",
                 (long long)io.progress.done, io.db_path, args);
        rc = MATRIX_INTERRUPTED;
        goto out;
    }
    print_end(out, o, p, cells, n_cells);
    if (!o->quiet)
        fprintf(o->json ? stderr : out, "%swrote %s, %s%s%s/junit.xml, %s and %s\n", o->json ? "" : "\n",
                summary_path, o->write_jsonl ? io.runs_path : "", o->write_jsonl ? ", " : "", o->out_dir, io.db_path,
                page);
    struct gate_counts g = gate_count(cells, n_cells);
    rc = gate_exit_status(&g);
out:
    if (run_outputs_close(&io, err, err_len) != 0)
        rc = 2;
    for (int i = 0; cells && i < n_cells; i++)
        cell_free(&cells[i]);
    free(cells);
    free(plan);
    free(p);
    return rc;
}
