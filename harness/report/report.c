/* The report of a session (report.h): store → cells → plots → page. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/lab/lab_load.h"
#include "harness/run/run_cell.h"
#include "harness/run/run_real.h"
#include "harness/run/run_session.h"

#define MINUS "\xE2\x88\x92"
#define EM_DASH "\xE2\x80\x94"

/* ------------------------------------------------------------ helpers -- */

int report_file_name(char *out, size_t len, const char *name)
{
    size_t i = 0;
    int changed = 0;
    for (const char *p = name; *p && i + 1 < len; p++, i++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                   *p == '-' || *p == '_';
        out[i] = keep ? *p : '_';
        changed |= !keep;
    }
    out[i] = '\0';
    return changed || name[i] != '\0';
}

int pending_add(struct pending_plots *p, struct html_plot *plot, int index, const char *why)
{
    if (index < 0) { /* not queued: the reason is the plot's note now */
        snprintf(plot->note, sizeof plot->note, "plot not drawn: %s", why);
        plot->src[0] = '\0';
        return 0;
    }
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        struct html_plot **pl = realloc(p->plot, sizeof *pl * (size_t)cap);
        if (pl == NULL)
            return -1;
        p->plot = pl;
        int *ix = realloc(p->index, sizeof *ix * (size_t)cap);
        if (ix == NULL)
            return -1;
        p->index = ix;
        p->cap = cap;
    }
    p->plot[p->n] = plot;
    p->index[p->n++] = index;
    return 0;
}

/* A margin for a title: "−18.93 ms". */
static const char *margin_text(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "no strap margin");
    else
        snprintf(buf, len, "margin %s%.2f ms", v < 0 ? MINUS : "+", fabs(v));
    return buf;
}

/* ------------------------------------------------- the session's cells -- */

/* What the report keeps of each run of the cell being read: enough to
 * pick its typical and worst run and to make them again. */
struct run_ref {
    int iteration;
    uint64_t seed;
    enum verdict verdict;
    enum boot_mode outcome;
    double margin_ms;
};

/* A cell's names (the cell_stats beside it points at these) and, while it
 * is being read, its runs. */
struct cell_runs {
    char *board, *host, *scenario;
    struct run_ref *runs;
    int n, cap;
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
    int samples_cap;        /* the session's iterations: samples per cell */
    struct html_group *groups; /* the pairs with a failing cell */
    int n_groups;
    struct pair_gaps gaps;
};

static void pair_gaps_clear(struct pair_gaps *g, int first)
{
    for (int k = 0; k < g->n; k++)
        free((double *)g->series[k].x);
    g->n = 0;
    g->first = first;
}

static void session_cells_free(struct session_cells *sc)
{
    for (int i = 0; i < sc->n; i++) {
        cell_free(&sc->stats[i]);
        free(sc->runs[i].board);
        free(sc->runs[i].host);
        free(sc->runs[i].scenario);
        free(sc->runs[i].runs);
    }
    pair_gaps_clear(&sc->gaps, 0);
    free(sc->gaps.series);
    free(sc->stats);
    free(sc->runs);
    free(sc->html);
    free(sc->groups);
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
static int session_cells_alloc(struct session_cells *sc, int n, int samples_cap)
{
    memset(sc, 0, sizeof *sc);
    size_t cap = n > 0 ? (size_t)n : 1;
    sc->stats = calloc(cap, sizeof *sc->stats);
    sc->runs = calloc(cap, sizeof *sc->runs);
    sc->html = calloc(cap, sizeof *sc->html);
    sc->groups = calloc(cap, sizeof *sc->groups);
    sc->cap = n;
    sc->samples_cap = samples_cap;
    return sc->stats && sc->runs && sc->html && sc->groups ? 0 : -1;
}

static int add_run_ref(struct cell_runs *c, const struct stored_run *r)
{
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 32;
        struct run_ref *p = realloc(c->runs, sizeof *p * (size_t)cap);
        if (p == NULL)
            return -1;
        c->runs = p;
        c->cap = cap;
    }
    c->runs[c->n++] = (struct run_ref){r->iteration, r->seed, r->a.verdict, r->a.outcome, r->a.margin_ms};
    return 0;
}

/* A copy of the closing cell's gaps, for its pair's plots. */
static int keep_gaps(struct pair_gaps *g, const struct cell_stats *c, const char *host)
{
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 8;
        struct plot_series *p = realloc(g->series, sizeof *p * (size_t)cap);
        if (p == NULL)
            return -1;
        g->series = p;
        g->cap = cap;
    }
    int n = c->samples ? c->samples->n_gap : 0;
    double *x = malloc(sizeof *x * (size_t)(n ? n : 1));
    if (x == NULL)
        return -1;
    if (n > 0)
        memcpy(x, c->samples->gap, sizeof *x * (size_t)n);
    g->series[g->n++] = (struct plot_series){host, x, n};
    return 0;
}

/* The matrix's columns: each host once, a host first seen in a row put
 * after the host before it in that row, so the lab's order survives rows
 * that skip a host. */
static int column_hosts(const struct session_cells *sc, const char **out)
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

/* --------------------------------------------------- the session's lab -- */

/* The lab the session ran on, when the diagrams can be redrawn on it. */
struct redraw {
    struct lab lab;
    int loaded;
    char why[400]; /* why not; "" when they can */
    struct sim_world *world;
    struct run_buffers *rb;
};

/* The value after `opt` in the session's options (one per line). */
static int option_value(const char *options, const char *opt, char *out, size_t len)
{
    size_t n = strlen(opt);
    for (const char *p = options; *p;) {
        const char *end = strchr(p, '\n');
        size_t line = end ? (size_t)(end - p) : strlen(p);
        if (line == n && strncmp(p, opt, n) == 0 && end) {
            const char *v = end + 1, *v_end = strchr(v, '\n');
            snprintf(out, len, "%.*s", (int)(v_end ? (size_t)(v_end - v) : strlen(v)), v);
            return 0;
        }
        p += line + (end ? 1 : 0);
    }
    return -1;
}

static void redraw_open(struct redraw *d, const struct session_row *s)
{
    char boards[1024], scenarios[1024], err[512], sha[65];
    memset(d, 0, sizeof *d);
    if (option_value(s->facts.options, "--boards", boards, sizeof boards) != 0 ||
        option_value(s->facts.options, "--scenarios", scenarios, sizeof scenarios) != 0) {
        snprintf(d->why, sizeof d->why, "the session does not name its lab (no --boards and --scenarios in its options)");
        return;
    }
    if (session_sha256_file(boards, sha) != 0) {
        snprintf(d->why, sizeof d->why, "the session's lab %.340s cannot be read", boards);
        return;
    }
    if (strcmp(sha, s->facts.boards_sha256) != 0) {
        snprintf(d->why, sizeof d->why, "%.280s has changed since the session ran (SHA-256 %.12s..., the session's %.12s...)",
                 boards, sha, s->facts.boards_sha256[0] ? s->facts.boards_sha256 : "unknown");
        return;
    }
    if (lab_load(&d->lab, boards, err, sizeof err) != 0 || scenarios_load(&d->lab, scenarios, err, sizeof err) != 0) {
        lab_free(&d->lab);
        snprintf(d->why, sizeof d->why, "the session's lab cannot be loaded: %.340s", err);
        return;
    }
    d->loaded = 1;
    d->world = sim_world_new();
    d->rb = malloc(sizeof *d->rb);
    if (d->world == NULL || d->rb == NULL)
        snprintf(d->why, sizeof d->why, "out of memory");
}

static void redraw_close(struct redraw *d)
{
    if (d->loaded)
        lab_free(&d->lab);
    sim_world_free(d->world);
    free(d->rb);
}

/* ------------------------------------------------ typical and worst run -- */

/* The run whose margin is the cell's median; without margins, the first
 * run that did not pass. -1 when there is none. */
static int typical_run(const struct cell_runs *cr, const struct cell_stats *c)
{
    double median = c->margin.p50;
    for (int k = 0; !isnan(median) && k < cr->n; k++)
        if (cr->runs[k].verdict != VERDICT_ERROR && cr->runs[k].margin_ms == median)
            return k;
    for (int k = 0; k < cr->n; k++)
        if (cr->runs[k].verdict != VERDICT_PASS)
            return k;
    return -1;
}

/* The failing run with the lowest margin; without margins, the first run
 * that did not pass (an error or a failure). */
static int worst_run(const struct cell_runs *cr)
{
    int best = -1;
    for (int k = 0; k < cr->n; k++) {
        const struct run_ref *r = &cr->runs[k];
        if (r->verdict == VERDICT_FAIL && isfinite(r->margin_ms) && (best < 0 || r->margin_ms < cr->runs[best].margin_ms))
            best = k;
    }
    for (int k = 0; best < 0 && k < cr->n; k++)
        if (cr->runs[k].verdict != VERDICT_PASS)
            best = k;
    return best;
}

static int same_figure(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* The re-simulated run is the stored one: same verdict, outcome, margin. */
static int remade(const struct analysis *a, const struct run_ref *r)
{
    return a->verdict == r->verdict && (r->verdict == VERDICT_ERROR || a->outcome == r->outcome) &&
           same_figure(a->margin_ms, r->margin_ms);
}

static const char *outcome_text(enum verdict v, enum boot_mode o)
{
    return v == VERDICT_ERROR ? "error" : boot_mode_name(o);
}

/* The board, host and scenario to re-simulate a cell's run on; NULL with
 * the reason in why. */
static const struct board_profile *lab_parts(const struct redraw *d, const struct cell_runs *cr,
                                             const struct host_profile **h, const struct scenario **s, char *why,
                                             size_t len)
{
    const struct board_profile *b = lab_board(&d->lab, cr->board);
    *h = lab_host(&d->lab, cr->host);
    *s = lab_scenario(&d->lab, cr->scenario);
    if (b != NULL && board_is_real(b))
        snprintf(why, len, "%s is a real board (port %s): its runs cannot be re-simulated "
                 "(`resetlab run --captures failing` keeps their captures)", b->name, b->port);
    else if (b == NULL || *h == NULL || *s == NULL)
        snprintf(why, len, "the session's lab no longer has %s '%s'", b == NULL ? "board" : *h == NULL ? "host" : "scenario",
                 b == NULL ? cr->board : *h == NULL ? cr->host : cr->scenario);
    else
        return b;
    return NULL;
}

/* Run r made again on the session's lab: its board when it is the stored
 * run bit for bit (d->rb holds it), else NULL with the reason in why. */
static const struct board_profile *remake_run(struct redraw *d, const struct cell_runs *cr, const struct run_ref *r,
                                              char *why, size_t len)
{
    const struct host_profile *h = NULL;
    const struct scenario *s = NULL;
    if (d->why[0]) {
        snprintf(why, len, "%s", d->why);
        return NULL;
    }
    const struct board_profile *b = lab_parts(d, cr, &h, &s, why, len);
    if (b == NULL)
        return NULL;
    run_sim_once(d->world, b, h, s, r->seed, d->rb);
    char stored[48], again[48];
    if (r->verdict == VERDICT_ERROR)
        snprintf(why, len, "run #%d was an infrastructure error: %s", r->iteration,
                 d->rb->a.n_findings ? d->rb->a.findings[0].message : "no reason");
    else if (!remade(&d->rb->a, r))
        snprintf(why, len, "run #%d made again from its seed is not the stored run bit for bit (stored: %s, %s; "
                 "now: %s, %s): the scenarios or resetlab changed since the session ran", r->iteration,
                 outcome_text(r->verdict, r->outcome), margin_text(r->margin_ms, stored, sizeof stored),
                 outcome_text(d->rb->a.verdict, d->rb->a.outcome), margin_text(d->rb->a.margin_ms, again, sizeof again));
    else
        return b;
    return NULL;
}

/* Queues the timing diagram of the run in d->rb, made on board b. */
static int queue_timing(const struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr,
                        int cell_index, const struct run_ref *r, const char *which, const char *tag,
                        const struct board_profile *b, struct html_plot *out)
{
    char name[232], b_[64], h_[64], s_[64], m[48], unique[16] = "";
    /* names the file name had to change could now be another cell's */
    if (report_file_name(b_, sizeof b_, cr->board) | report_file_name(h_, sizeof h_, cr->host) |
        report_file_name(s_, sizeof s_, cr->scenario))
        snprintf(unique, sizeof unique, "-c%d", cell_index);
    snprintf(name, sizeof name, "%s--%s--%s%s--%.8s.svg", b_, h_, s_, unique, tag);
    snprintf(out->src, sizeof out->src, "plots/%s", name);
    char path[900], title[400], err[400] = "";
    snprintf(path, sizeof path, "%s/%s", pl->dir, name);
    snprintf(title, sizeof title, "%s / %s / %s " EM_DASH " %s run (#%d, %s)", cr->board, cr->host, cr->scenario,
             which, r->iteration, margin_text(r->margin_ms, m, sizeof m));
    struct board_model bm = board_model_of(b);
    struct timing_plot tp = {.tr = &d->rb->tr, .a = &d->rb->a, .bm = &bm, .threshold_v = b->analyzer.threshold_v,
                             .title = title};
    int index = plot_batch_timing(pl->batch, path, &tp, err, sizeof err);
    return pending_add(pl->pending, out, index, err);
}

/* Run k of the cell: its caption, and its timing diagram re-simulated
 * from its seed, or the reason it cannot be. */
static int draw_run(struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr, int cell_index, int k,
                    const char *which, const char *tag, struct html_plot *out)
{
    const struct run_ref *r = &cr->runs[k];
    char m[48], why[400] = "";
    snprintf(out->caption, sizeof out->caption, "%s run: #%d, %s, outcome %s (%s), seed %llu", which, r->iteration,
             margin_text(r->margin_ms, m, sizeof m), outcome_text(r->verdict, r->outcome), verdict_name(r->verdict),
             (unsigned long long)r->seed);
    const struct board_profile *b = remake_run(d, cr, r, why, sizeof why);
    if (b == NULL) {
        snprintf(out->note, sizeof out->note, "timing diagram not redrawn: %s", why);
        return 0;
    }
    return queue_timing(d, pl, cr, cell_index, r, which, tag, b, out);
}

/* Cell i, closed, its runs still in cr. */
static int draw_cell(struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr,
                     const struct cell_stats *c, int i, struct html_cell *out)
{
    int typical = typical_run(cr, c), worst = worst_run(cr);
    if (typical < 0 || worst < 0) /* every run passed: nothing to show */
        return 0;
    out->same_run = typical == worst;
    if (draw_run(d, pl, cr, i, typical, out->same_run ? "typical and worst" : "typical", "typical", &out->typical) != 0)
        return -1;
    return out->same_run ? 0 : draw_run(d, pl, cr, i, worst, "worst", "worst", &out->worst);
}

/* ------------------------------------------------------- distributions -- */

/* The DTR/RTS gap per host of one board × scenario: histogram and CDF. */
static int draw_group(const struct plot_place *pl, const struct pair_gaps *gaps, struct html_group *g, int gi)
{
    char b_[64], s_[64], title[300], path[900], err[400] = "", unique[16] = "";
    if (report_file_name(b_, sizeof b_, g->board) | report_file_name(s_, sizeof s_, g->scenario))
        snprintf(unique, sizeof unique, "-g%d", gi);
    snprintf(title, sizeof title, "%s / %s " EM_DASH " DTR/RTS gap per host", g->board, g->scenario);
    int rc = 0;
    for (int cdf = 0; cdf < 2 && rc == 0; cdf++) {
        struct html_plot *out = cdf ? &g->gap_cdf : &g->gap_hist;
        snprintf(out->src, sizeof out->src, "plots/%s--%s%s--gap-%s.svg", b_, s_, unique, cdf ? "cdf" : "hist");
        snprintf(out->caption, sizeof out->caption, "DTR/RTS gap of the releasing transition per host, %s",
                 cdf ? "cumulative (fraction of runs with a gap up to x)" : "histogram (fraction of each host's runs)");
        snprintf(path, sizeof path, "%s/%s", pl->dir, out->src + strlen("plots/"));
        int index = plot_batch_distribution(pl->batch, path, gaps->series, gaps->n, title, "DTR/RTS gap (ms)", cdf,
                                            err, sizeof err);
        rc = pending_add(pl->pending, out, index, err);
    }
    return rc;
}

/* ------------------------------------------------- reading the session -- */

/* The session's runs, cell by cell: each cell closed (and, failing, its
 * typical and worst run drawn) when the next begins, each board ×
 * scenario's gaps drawn when its last cell closes. */
struct reading {
    struct session_cells *sc;
    struct redraw *redraw;
    const struct plot_place *place;
    int64_t session;
    char *err;
    size_t err_len;
};

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

static int close_cell(struct reading *rd)
{
    struct session_cells *sc = rd->sc;
    int i = sc->n - 1;
    struct cell_stats *c = &sc->stats[i];
    if (keep_gaps(&sc->gaps, c, sc->runs[i].host) != 0)
        return out_of_memory(rd);
    cell_close(c);
    int rc = cell_met(c) ? 0 : draw_cell(rd->redraw, rd->place, &sc->runs[i], c, i, &sc->html[i]);
    free(sc->runs[i].runs);
    sc->runs[i].runs = NULL;
    sc->runs[i].n = sc->runs[i].cap = 0;
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
        rc = draw_group(rd->place, &sc->gaps, g, sc->n_groups - 1);
    }
    pair_gaps_clear(&sc->gaps, sc->n);
    return rc == 0 ? 0 : out_of_memory(rd);
}

/* resetlab makes a cell's runs one after another and a board × scenario's
 * cells one after another; a session otherwise would mix up the figures
 * read one cell at a time, so it is refused. */
static int out_of_order(const struct session_cells *sc, const struct stored_run *r)
{
    for (int i = 0; i < sc->n; i++)
        if (is_cell(&sc->runs[i], r->board, r->host, r->scenario) ||
            (i < sc->gaps.first && same_pair(&sc->runs[i], r->board, r->scenario)))
            return 1;
    return 0;
}

static int open_cell(struct reading *rd, const struct stored_run *r)
{
    struct session_cells *sc = rd->sc;
    if (sc->n > 0 && close_cell(rd) != 0)
        return -1;
    if (out_of_order(sc, r))
        return read_fail(rd, "session #%lld holds the runs of %s / %s / %s apart from the others of their cell or of "
                         "their board and scenario (resetlab makes them one after another)",
                         (long long)rd->session, r->board, r->host, r->scenario);
    if (sc->n == sc->cap)
        return read_fail(rd, "session #%lld gained cells while it was read", (long long)rd->session);
    if (sc->n > 0 && !same_pair(&sc->runs[sc->n - 1], r->board, r->scenario) && close_pair(rd) != 0)
        return -1;
    struct cell_runs *c = &sc->runs[sc->n];
    sc->n++; /* from here on session_cells_free frees what there is */
    c->board = strdup(r->board);
    c->host = strdup(r->host);
    c->scenario = strdup(r->scenario);
    if (!c->board || !c->host || !c->scenario)
        return out_of_memory(rd);
    cell_init(&sc->stats[sc->n - 1], c->board, c->host, c->scenario, r->expected, sc->samples_cap);
    return 0;
}

static int collect_run(const struct stored_run *r, void *ctx)
{
    struct reading *rd = ctx;
    struct session_cells *sc = rd->sc;
    if ((sc->n == 0 || !is_cell(&sc->runs[sc->n - 1], r->board, r->host, r->scenario)) && open_cell(rd, r) != 0)
        return -1;
    int i = sc->n - 1;
    if (add_run_ref(&sc->runs[i], r) != 0 || cell_add(&sc->stats[i], &r->a) != 0)
        return out_of_memory(rd);
    return 0;
}

static int read_cells(struct store *st, const struct session_row *s, struct reading *rd)
{
    int n_cells;
    if (store_count_cells(st, s->id, &n_cells, rd->err, rd->err_len) != 0)
        return -1;
    int64_t cap = s->facts.iterations > 0 && s->facts.iterations < s->runs ? s->facts.iterations : s->runs;
    if (session_cells_alloc(rd->sc, n_cells, cap > 0 ? (int)cap : 1) != 0)
        return out_of_memory(rd);
    rd->err[0] = '\0';
    int rc = store_each_run(st, s->id, NULL, NULL, NULL, collect_run, rd, rd->err, rd->err_len);
    if (rc == 0 && rd->sc->n > 0 && (close_cell(rd) != 0 || close_pair(rd) != 0))
        rc = -1;
    return rc == 0 ? 0 : -1;
}

/* --------------------------------------------------------------- files -- */

/* The plots of an earlier report in the same folder would linger beside
 * the new ones in a CI artifact; plots/ is ours. */
static void clear_old_plots(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (dp && (e = readdir(dp)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".svg") == 0) {
            char path[1200];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (dp)
        closedir(dp);
}

/* A word as the shell reads it back: as it is when it is plain, else in
 * single quotes. */
static void shell_word(char *out, size_t len, const char *w)
{
    size_t used = strlen(out);
    int plain = *w != '\0';
    for (const char *p = w; *p; p++)
        plain &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 strchr("-_./=:,+@%", *p) != NULL;
    if (plain) {
        snprintf(out + used, len - used, " %s", w);
        return;
    }
    snprintf(out + used, len - used, " '");
    for (const char *p = w; *p; p++) {
        used = strlen(out);
        snprintf(out + used, len - used, *p == '\'' ? "'\\''" : "%c", *p);
    }
    used = strlen(out);
    snprintf(out + used, len - used, "'");
}

static void reproduce_command(const struct session_row *s, char *out, size_t len)
{
    char options[sizeof s->facts.options];
    snprintf(out, len, "resetlab run");
    snprintf(options, sizeof options, "%s", s->facts.options);
    for (char *save = NULL, *w = strtok_r(options, "\n", &save); w; w = strtok_r(NULL, "\n", &save))
        shell_word(out, len, w);
}

static int write_page(const char *dir, const struct html_report *page, char *path, size_t path_len, char *err,
                      size_t err_len)
{
    char tmp[1100];
    snprintf(path, path_len, "%s/index.html", dir);
    snprintf(tmp, sizeof tmp, "%s/.index.html.tmp", dir);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = html_write_report(f, page);
    if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, err_len, "%s: %s", path, errno ? strerror(errno) : "write failed");
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------- report -- */

struct report {
    const struct report_request *rq;
    struct store *st;
    struct session_row session;
    struct session_cells cells;
    const char **hosts;
    int n_hosts;
    struct redraw redraw;
    struct pending_plots pending;
    struct plot_place place;
    char plots_dir[1024];
    struct trend_data trends;
    char note[2][600];
    const char *notes[2];
    int n_notes;
    char reproduce[8192];
};

/* The session asked for, or the newest complete one. 2 (bad input) or -1
 * with one line in err. */
static int choose_session(struct report *x, char *err, size_t err_len)
{
    const struct report_request *rq = x->rq;
    if (rq->session > 0) {
        int found = store_session_get(x->st, rq->session, &x->session, err, err_len);
        if (found == 0)
            snprintf(err, err_len, "session #%lld is not in %s", (long long)rq->session, rq->db_path);
        return found > 0 ? 0 : found == 0 ? 2 : -1;
    }
    enum { MAX_LOOKED_AT = 1000 };
    struct session_row *rows = malloc(sizeof *rows * MAX_LOOKED_AT);
    if (rows == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    int n = store_sessions(x->st, rows, MAX_LOOKED_AT, err, err_len), k = 0;
    while (k < n && strcmp(rows[k].status, "complete") != 0)
        k++;
    if (k < n)
        x->session = rows[k];
    else if (n >= 0)
        snprintf(err, err_len, "%s holds no complete session%s", rq->db_path,
                 n > 0 ? " (name an unfinished one with --session N)" : "");
    free(rows);
    return n < 0 ? -1 : k < n ? 0 : 2;
}

static int open_store(struct report *x, char *err, size_t err_len)
{
    if (access(x->rq->db_path, F_OK) != 0) {
        snprintf(err, err_len, "no results store at %s (`resetlab run` writes one; --db FILE names another)",
                 x->rq->db_path);
        return 2;
    }
    x->st = store_open(x->rq->db_path, STORE_READ, err, err_len);
    return x->st ? 0 : 2;
}

/* plots/ made and emptied, the batch to queue on. */
static int prepare_plots(struct report *x, char *err, size_t err_len)
{
    snprintf(x->plots_dir, sizeof x->plots_dir, "%s/plots", x->rq->report_dir);
    if (run_mkdir_p(x->plots_dir, err, err_len) != 0)
        return -1;
    clear_old_plots(x->plots_dir);
    x->place.batch = plot_batch_new(0, err, err_len);
    x->place.dir = x->plots_dir;
    x->place.pending = &x->pending;
    return x->place.batch ? 0 : -1;
}

/* The cells read (their plots queued as they close), the matrix's
 * columns, the trends. */
static int queue_plots(struct report *x, char *err, size_t err_len)
{
    redraw_open(&x->redraw, &x->session);
    if (x->redraw.why[0]) {
        snprintf(x->note[x->n_notes], sizeof x->note[0], "Timing diagrams not redrawn: %s.", x->redraw.why);
        x->notes[x->n_notes] = x->note[x->n_notes];
        x->n_notes++;
    }
    struct reading rd = {&x->cells, &x->redraw, &x->place, x->session.id, err, err_len};
    if (read_cells(x->st, &x->session, &rd) != 0)
        return -1;
    x->hosts = calloc((size_t)(x->cells.n > 0 ? x->cells.n : 1), sizeof *x->hosts);
    if (x->hosts == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    x->n_hosts = column_hosts(&x->cells, x->hosts);
    return trends_build(x->st, &x->session, x->rq->last, &x->place, &x->trends, err, err_len);
}

/* Draws what was queued; a plot gnuplot failed on keeps its reason. */
static void draw_plots(struct report *x, struct report_warnings *warn)
{
    char err[400] = "";
    plot_batch_run(x->place.batch, err, sizeof err);
    for (int k = 0; k < x->pending.n; k++) {
        const char *why = plot_batch_error(x->place.batch, x->pending.index[k]);
        struct html_plot *p = x->pending.plot[k];
        if (why == NULL)
            continue;
        if (warn->plots_failed++ == 0)
            snprintf(warn->first, sizeof warn->first, "%s", why);
        snprintf(p->note, sizeof p->note, "plot not drawn: %s", why);
        p->src[0] = '\0';
    }
    if (warn->plots_failed > 0) {
        snprintf(x->note[x->n_notes], sizeof x->note[0], "%d plots not drawn: %s", warn->plots_failed, warn->first);
        x->notes[x->n_notes] = x->note[x->n_notes];
        x->n_notes++;
    }
}

static int write_report(struct report *x, char *page, size_t page_len, char *err, size_t err_len)
{
    reproduce_command(&x->session, x->reproduce, sizeof x->reproduce);
    struct html_report r = {
        .session = &x->session, .db_path = x->rq->db_path, .version = session_resetlab_version(),
        .stats = x->cells.stats, .cells = x->cells.html, .n_cells = x->cells.n, .hosts = x->hosts,
        .n_hosts = x->n_hosts, .groups = x->cells.groups, .n_groups = x->cells.n_groups, .trends = x->trends.view,
        .notes = x->notes, .n_notes = x->n_notes, .reproduce = x->reproduce};
    return write_page(x->rq->report_dir, &r, page, page_len, err, err_len);
}

static void report_free(struct report *x)
{
    plot_batch_free(x->place.batch);
    trends_free(&x->trends);
    redraw_close(&x->redraw);
    free(x->pending.plot);
    free(x->pending.index);
    free(x->hosts);
    session_cells_free(&x->cells);
    store_close(x->st);
}

int report_write(const struct report_request *rq, char *page, size_t page_len, struct report_warnings *warn,
                 char *err, size_t err_len)
{
    struct report *x = calloc(1, sizeof *x);
    if (x == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    memset(warn, 0, sizeof *warn);
    x->rq = rq;
    err[0] = '\0';
    int rc = open_store(x, err, err_len);
    if (rc == 0)
        rc = choose_session(x, err, err_len);
    if (rc == 0 && (prepare_plots(x, err, err_len) != 0 || queue_plots(x, err, err_len) != 0))
        rc = -1;
    if (rc == 0) {
        draw_plots(x, warn);
        rc = write_report(x, page, page_len, err, err_len);
    }
    report_free(x);
    free(x);
    return rc;
}
