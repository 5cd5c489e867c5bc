#include "matrix.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../reports/results.h"
#include "../sim/rng.h"
#include "../sim/world.h"
#include "backend.h"
#include "realrun.h"
#include "runmeta.h"
#include "runner.h"


uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration)
{
    uint64_t s = seed;
    s ^= splitmix64(&s) ^ hash_name(board);
    s ^= splitmix64(&s) ^ hash_name(host);
    s ^= splitmix64(&s) ^ hash_name(scenario);
    s ^= splitmix64(&s) ^ (uint64_t)iteration;
    return splitmix64(&s);
}

/* Boards, hosts and scenarios picked on the command line, or all of them. */
struct pick {
    const struct board_profile *boards[256];
    const struct host_profile *hosts[256];
    const struct scenario *scenarios[256];
    int n_boards, n_hosts, n_scenarios;
};

static int unknown(char *err, size_t len, const char *what, const char *name, const char *file)
{
    snprintf(err, len, "unknown %s '%s' (not in %s; `resetlab list` shows them)", what, name, file);
    return -1;
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
    return 0;
}

static int mkdir_p(const char *dir, char *err, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s", dir);
    for (char *q = path + 1;; q++) {
        int end = *q == '\0';
        if (*q == '/' || end) {
            *q = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                snprintf(err, len, "%s: cannot create the output folder: %s", path, strerror(errno));
                return -1;
            }
            if (end)
                return 0;
            *q = '/';
        }
    }
}

void matrix_infrastructure_error(struct analysis *a, const char *why)
{
    memset(a, 0, sizeof *a);
    a->margin_ms = a->gap_ms = a->en_release_ms = a->tau_ms = NAN;
    a->verdict = VERDICT_ERROR;
    a->sync = -1;
    a->n_findings = 1;
    snprintf(a->findings[0].kind, sizeof a->findings[0].kind, "infrastructure");
    a->findings[0].severity = SEV_ERROR;
    snprintf(a->findings[0].message, sizeof a->findings[0].message, "%.180s", why);
}

/* One run on the virtual lab, through the sim port and capture backends. */
void matrix_run_once(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, uint64_t seed, struct run_buffers *rb)
{
    char why[160];
    sim_world_reset(w, b, h, seed);
    if (s->after_power_on)
        sim_power_on(w);
    struct port port = {port_backend(b->port), w};
    struct capture cap = {capture_backend(b->analyzer.kind), w};
    rb->tr = (struct trace){.edges = rb->edges, .cap = MATRIX_MAX_EDGES, .en_v = {.v = rb->en_v, .cap = MATRIX_MAX_ANALOG}};
    struct trace *tr = &rb->tr;
    size_t n_log = 0, uart_len = 0;
    rb->n_log = 0;
    rb->uart_len = 0;
    if (cap.ops->start(&cap) != 0)
        return matrix_infrastructure_error(&rb->a, cap.ops->error(&cap));
    int ran = run_sequence(&port, s, h->os, rb->log, &n_log, why, sizeof why);
    rb->n_log = n_log;
    if (ran != 0)
        return matrix_infrastructure_error(&rb->a, why);
    if (cap.ops->stop(&cap, tr, rb->uart, MATRIX_MAX_UART, &uart_len) != 0)
        return matrix_infrastructure_error(&rb->a, cap.ops->error(&cap));
    rb->uart_len = uart_len;
    struct op_log log = {rb->log, n_log};
    struct board_model bm = board_model_of(b);
    if (analyze_run(tr, &log, &bm, rb->uart, uart_len, s->expected, &rb->a, why, sizeof why) != 0)
        matrix_infrastructure_error(&rb->a, why);
}

int matrix_write_capture(struct sigrok *sr, const struct sim_world *w, const struct board_profile *b,
                         const struct host_profile *h, const struct scenario *s, uint64_t rs, int iteration,
                         const struct run_buffers *rb, const char *path, char *err, size_t err_len)
{
    const double *t_ns = NULL;
    size_t n_t = w ? sim_uart_times(w, &t_ns) : 0, n = rb->uart_len < n_t ? rb->uart_len : n_t;
    struct uart_byte *rx = malloc((n ? n : 1) * sizeof *rx);
    if (rx == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        rx[i] = (struct uart_byte){t_ns[i], rb->uart[i]};
    /* the sim's UART is bytes with times; a real capture has its RX line */
    int rc = sigrok_write_sr(sr, path, &rb->tr, rx, n, w ? b->chip->baud : 0, err, err_len);
    free(rx);
    if (rc != 0)
        return -1;
    struct run_meta *m = calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    snprintf(m->board, sizeof m->board, "%s", b->name);
    snprintf(m->host, sizeof m->host, "%s", h->name);
    snprintf(m->scenario, sizeof m->scenario, "%s", s->name);
    m->seed = rs;
    m->iteration = iteration;
    m->expected = s->expected;
    m->n_ops = rb->n_log;
    memcpy(m->ops, rb->log, rb->n_log * sizeof rb->log[0]);
    char meta_path[700];
    run_meta_path(path, meta_path, sizeof meta_path);
    rc = run_meta_write(meta_path, m, err, err_len);
    free(m);
    return rc;
}

static int keep_capture(const struct cell_sink *sink, const struct analysis *a)
{
    return sink != NULL && (sink->keep == KEEP_ALL || (sink->keep == KEEP_FAILING && a->verdict != VERDICT_PASS));
}

/* A real board's port, claimed for the whole cell: its lock keeps other
 * jobs off the board between runs. NULL with the reason in `why`. */
static struct port *claim_real_port(const struct board_profile *b, const struct cell_sink *sink, char *why,
                                    size_t len)
{
    if (sink == NULL || sink->sigrok == NULL) {
        snprintf(why, len, "a real board needs libsigrok, which is not set up for this cell");
        return NULL;
    }
    return port_serial_new(b->port, sink->serial, why, len);
}

int matrix_cell(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                const struct scenario *s, int iterations, uint64_t seed, struct cell_stats *cell,
                const struct cell_sink *sink)
{
    struct run_buffers *rb = malloc(sizeof *rb);
    if (rb == NULL || cell_init(cell, b->name, h->name, s->name, s->expected, iterations) != 0) {
        free(rb);
        return -1;
    }
    int rc = 0;
    char claim_err[400] = "";
    struct port *port = board_is_real(b) ? claim_real_port(b, sink, claim_err, sizeof claim_err) : NULL;
    for (int it = 0; it < iterations && rc == 0; it++) {
        uint64_t rs = run_seed(seed, b->name, h->name, s->name, it);
        if (board_is_real(b) && port == NULL)
            matrix_infrastructure_error(&rb->a, claim_err);
        else if (board_is_real(b))
            real_run_once(sink->sigrok, b, s, port, rb);
        else
            matrix_run_once(w, b, h, s, rs, rb);
        cell_add(cell, &rb->a);
        if (sink != NULL && sink->runs != NULL) {
            struct run_record rec = {b->name, h->name, s->name, it, rs, s->expected, &rb->a};
            write_run_json(sink->runs, &rec);
        }
        if (keep_capture(sink, &rb->a) && rb->a.verdict != VERDICT_ERROR) {
            char path[700];
            snprintf(path, sizeof path, "%s/%s--%s--%s--%d.sr", sink->captures_dir, b->name, h->name, s->name, it);
            rc = matrix_write_capture(sink->sigrok, board_is_real(b) ? NULL : w, b, h, s, rs, it, rb, path, sink->err,
                                      sink->err_len);
        }
    }
    port_serial_free(port);
    free(rb);
    return rc;
}

/* A simulated board runs on every host picked; a real one on this machine. */
static const struct host_profile *host_of(const struct pick *p, const struct board_profile *b, int i)
{
    return board_is_real(b) ? (i == 0 ? &real_host : NULL) : (i < p->n_hosts ? p->hosts[i] : NULL);
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

static int any_real_board(const struct pick *p)
{
    for (int b = 0; b < p->n_boards; b++)
        if (board_is_real(p->boards[b]))
            return 1;
    return 0;
}

static void print_table(FILE *out, const struct pick *p, struct cell_stats *cells, int n_cells);

static int run_cells(const struct pick *p, const struct matrix_opts *o, struct cell_stats *cells, FILE *runs,
                     char *err, size_t len)
{
    char capture_err[400] = "", captures_dir[600];
    struct cell_sink sink = {runs, o->keep_captures, captures_dir, NULL, NULL, capture_err, sizeof capture_err};
    snprintf(captures_dir, sizeof captures_dir, "%s/captures", o->out_dir);
    if (o->keep_captures != KEEP_NONE && mkdir_p(captures_dir, err, len) != 0)
        return -1;
    if ((o->keep_captures != KEEP_NONE || any_real_board(p)) && (sink.sigrok = sigrok_new(err, len)) == NULL)
        return -1;
    struct sim_world *w = sim_world_new();
    int c = 0, rc = w ? 0 : -1;
    for (int bi = 0; bi < p->n_boards && rc == 0; bi++)
        for (int si = 0; si < p->n_scenarios && rc == 0; si++)
            for (int hi = 0; host_of(p, p->boards[bi], hi) != NULL && rc == 0; hi++) {
                const struct host_profile *h = host_of(p, p->boards[bi], hi);
                if (scenario_applies(p->scenarios[si], p->boards[bi], h))
                    rc = matrix_cell(w, p->boards[bi], h, p->scenarios[si], o->iterations, o->seed, &cells[c++],
                                     &sink);
            }
    if (rc != 0)
        snprintf(err, len, "%s", capture_err[0] ? capture_err : "out of memory");
    sim_world_free(w);
    sigrok_free(sink.sigrok);
    return rc;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t path_len, char *err, size_t len)
{
    snprintf(path, path_len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        snprintf(err, len, "%s: %s", path, strerror(errno));
    return f;
}

int matrix_run(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len)
{
    struct pick *p = malloc(sizeof *p);
    if (p == NULL || pick_from(lab, o, p, err, err_len) != 0) {
        free(p);
        return 2;
    }
    int n_cells = count_cells(p), rc = 2;
    struct cell_stats *cells = calloc(n_cells ? (size_t)n_cells : 1, sizeof *cells);
    char runs_path[600], summary_path[600];
    FILE *runs = NULL, *summary = NULL;
    if (n_cells == 0) {
        snprintf(err, err_len, "no scenario applies to the boards and hosts picked");
        goto out;
    }
    if (cells == NULL || mkdir_p(o->out_dir, err, err_len) != 0 ||
        !(runs = open_out(o->out_dir, "runs.jsonl", runs_path, sizeof runs_path, err, err_len)) ||
        run_cells(p, o, cells, runs, err, err_len) != 0)
        goto out;
    if (fclose(runs) != 0) {
        runs = NULL;
        snprintf(err, err_len, "%s: write failed", runs_path);
        goto out;
    }
    runs = NULL;
    if (!(summary = open_out(o->out_dir, "summary.json", summary_path, sizeof summary_path, err, err_len)))
        goto out;
    write_summary_json(summary, o->seed, o->iterations, cells, n_cells);
    if (fclose(summary) != 0) {
        summary = NULL;
        snprintf(err, err_len, "%s: write failed", summary_path);
        goto out;
    }
    summary = NULL;
    print_table(out, p, cells, n_cells);
    fprintf(out, "\nwrote %s and %s\n", summary_path, runs_path);
    rc = 0;
    for (int i = 0; i < n_cells; i++)
        if (!cell_met(&cells[i]))
            rc = 1;
out:
    if (runs)
        fclose(runs);
    if (summary)
        fclose(summary);
    for (int i = 0; cells && i < n_cells; i++)
        cell_free(&cells[i]);
    free(cells);
    free(p);
    return rc;
}

/* ------------------------------------------------------------- table -- */

static struct cell_stats *find_cell(struct cell_stats *cells, int n, const char *b, const char *h, const char *s)
{
    for (int i = 0; i < n; i++)
        if (cells[i].board == b && cells[i].host == h && cells[i].scenario == s)
            return &cells[i];
    return NULL;
}

static int col_width(const char *host)
{
    int n = (int)strlen(host);
    return n < 8 ? 8 : n;
}

/* The table's columns: the hosts picked, and this machine for real boards. */
static int table_hosts(const struct pick *p, const struct host_profile **out)
{
    int n = 0;
    for (int h = 0; h < p->n_hosts; h++)
        out[n++] = p->hosts[h];
    if (any_real_board(p))
        out[n++] = &real_host;
    return n;
}

static void print_rates(FILE *out, const struct pick *p, struct cell_stats *cells, int n_cells)
{
    const struct host_profile *hosts[257];
    int n_hosts = table_hosts(p, hosts);
    fprintf(out, "%-22s %-24s %-9s", "board", "scenario", "expect");
    for (int h = 0; h < n_hosts; h++)
        fprintf(out, " %*s", col_width(hosts[h]->name), hosts[h]->name);
    fputc('\n', out);
    for (int b = 0; b < p->n_boards; b++)
        for (int s = 0; s < p->n_scenarios; s++) {
            int any = 0;
            for (int h = 0; h < n_hosts; h++)
                any |= find_cell(cells, n_cells, p->boards[b]->name, hosts[h]->name, p->scenarios[s]->name) != NULL;
            if (!any)
                continue;
            fprintf(out, "%-22s %-24s %-9s", p->boards[b]->name, p->scenarios[s]->name,
                    boot_mode_name(p->scenarios[s]->expected));
            for (int h = 0; h < n_hosts; h++) {
                struct cell_stats *c = find_cell(cells, n_cells, p->boards[b]->name, hosts[h]->name,
                                                 p->scenarios[s]->name);
                int w = col_width(hosts[h]->name);
                if (c == NULL)
                    fprintf(out, " %*s ", w - 1, "-");
                else
                    fprintf(out, " %*.1f%%%c", w - 2, 100.0 * c->passed / c->runs, cell_met(c) ? ' ' : '*');
            }
            fputc('\n', out);
        }
}

static void print_failures(FILE *out, struct cell_stats *cells, int n_cells)
{
    int shown = 0;
    for (int i = 0; i < n_cells; i++) {
        struct cell_stats *c = &cells[i];
        if (cell_met(c))
            continue;
        if (!shown++)
            fprintf(out, "\n* cells that did not meet their expectation (outcomes; worst finding):\n");
        fprintf(out, "  %s / %s / %s: download %d, flash %d, no-reset %d, marginal %d, errors %d; %s\n", c->board,
                c->host, c->scenario, c->outcomes[BOOT_DOWNLOAD], c->outcomes[BOOT_FLASH], c->outcomes[BOOT_NONE],
                c->outcomes[BOOT_MARGINAL], c->errors, cell_worst(c) ? cell_worst(c)->message : "-");
    }
}

/* Per board, each distinct diagnosis with the runs that showed it. */
static void print_diagnoses(FILE *out, const struct pick *p, struct cell_stats *cells, int n_cells)
{
    int shown = 0;
    for (int b = 0; b < p->n_boards; b++) {
        const char *name = p->boards[b]->name;
        int runs = 0;
        for (int i = 0; i < n_cells; i++)
            runs += strcmp(cells[i].board, name) == 0 ? cells[i].runs : 0;
        struct board_diagnoses bd;
        board_diagnoses(cells, n_cells, name, &bd);
        for (int k = 0; k < bd.n; k++) {
            if (!shown++)
                fprintf(out, "\nboard diagnoses (truth table, EN RC), from every run, passing or not:\n");
            fprintf(out, "  %s: %s (%d of %d runs)\n", name, bd.diag[k].message, bd.runs[k], runs);
        }
    }
}

static void print_table(FILE *out, const struct pick *p, struct cell_stats *cells, int n_cells)
{
    int met = 0, runs = 0;
    for (int i = 0; i < n_cells; i++) {
        met += cell_met(&cells[i]);
        runs += cells[i].runs;
    }
    fprintf(out, "pass rate per cell (board x scenario x host); '*' = below its expectation, '-' = does not apply\n\n");
    print_rates(out, p, cells, n_cells);
    print_failures(out, cells, n_cells);
    print_diagnoses(out, p, cells, n_cells);
    fprintf(out, "\n%d of %d cells met their expectation (%d runs)\n", met, n_cells, runs);
}
