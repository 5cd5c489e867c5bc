/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's diagrams made again (report.h): the lab a session ran on
 * reloaded when it has not changed, and a failing cell's typical and worst
 * run re-simulated from its seed (a real board's: read back from the
 * capture `run --captures` kept), checked against the stored run and its
 * timing diagram queued.
 * May call: harness/lab (loading the lab), harness/run (re-making a run,
 * reading a capture back, the session's files), harness/capture (the
 * libsigrok context captures are read with), sim/ (the world), reports/
 * (plots), report_plots.c, libc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_load.h"
#include "harness/run/run_cell.h"
#include "harness/run/run_meta.h"
#include "harness/run/run_readback.h"
#include "harness/run/run_real.h"
#include "harness/run/run_session.h"
#include "report_internal.h"

#define MINUS "\xE2\x88\x92"

/* A margin for a title: "−18.93 ms". */
static const char *margin_text(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "no strap margin");
    else
        snprintf(buf, len, "margin %s%.2f ms", v < 0 ? MINUS : "+", fabs(v));
    return buf;
}

/* --------------------------------------------------- the session's lab -- */

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

void report_redraw_open(struct redraw *d, const struct session_row *s, const char *db_path)
{
    char boards[1024], scenarios[1024], err[512], sha[65];
    memset(d, 0, sizeof *d);
    const char *slash = strrchr(db_path, '/'); /* run --captures keeps them in the store's folder */
    snprintf(d->captures, sizeof d->captures, "%.*s/captures", slash ? (int)(slash - db_path) : 1,
             slash ? db_path : ".");
    if (option_value(s->facts.options, "--boards", boards, sizeof boards) != 0 ||
        option_value(s->facts.options, "--scenarios", scenarios, sizeof scenarios) != 0) {
        snprintf(d->why, sizeof d->why, "the session does not name its lab (no --boards and --scenarios in its options)");
        return;
    }
    if (lab_sha256(boards, sha, err, sizeof err) != 0) { /* the lab with what it includes */
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

void report_redraw_close(struct redraw *d)
{
    if (d->loaded)
        lab_free(&d->lab);
    sim_world_free(d->world);
    free(d->rb);
    sigrok_trace_free(&d->capture);
    sigrok_free(d->sr);
}

static int same_figure(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* The re-simulated run is the stored one: same verdict, outcome, margin. */
static int remade(const struct analysis *a, const struct run_pick *r)
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
    if (b == NULL || *h == NULL || *s == NULL)
        snprintf(why, len, "the session's lab no longer has %s '%s'", b == NULL ? "board" : *h == NULL ? "host" : "scenario",
                 b == NULL ? cr->board : *h == NULL ? cr->host : cr->scenario);
    else
        return b;
    return NULL;
}

/* A real board's run r read back from its kept capture: its board when the
 * capture analyzes as the stored run (d->capture and d->rb->a hold it),
 * else NULL with the reason in why. */
static const struct board_profile *read_capture(struct redraw *d, const struct cell_runs *cr, const struct run_pick *r,
                                                const struct board_profile *b, char *why, size_t len)
{
    char path[900], err[400], stored[48], again[48];
    const struct scenario *s = lab_scenario(&d->lab, cr->scenario);
    run_readback_path(d->captures, cr->board, cr->host, cr->scenario, r->iteration, path, sizeof path);
    sigrok_trace_free(&d->capture);
    if (d->sr == NULL && (d->sr = sigrok_new(err, sizeof err)) == NULL)
        snprintf(why, len, "%s is a real board: %.300s", b->name, err);
    else if (run_readback(d->sr, path, b, s ? s->expected : BOOT_ANY, &d->capture, &d->rb->a, err, sizeof err) != 0)
        snprintf(why, len, "%s is a real board, run #%d: %.300s", b->name, r->iteration, err);
    else if (!remade(&d->rb->a, r))
        snprintf(why, len, "run #%d's capture read back is not the stored run (stored: %s, %s; now: %s, %s)",
                 r->iteration, outcome_text(r->verdict, r->outcome), margin_text(r->margin_ms, stored, sizeof stored),
                 outcome_text(d->rb->a.verdict, d->rb->a.outcome), margin_text(d->rb->a.margin_ms, again, sizeof again));
    else
        return d->now = &d->capture, b;
    return NULL;
}

/* Run r made again on the session's lab: its board when it is the stored
 * run bit for bit (d->rb holds it), else NULL with the reason in why. A
 * real board's run is read back from its capture instead. */
static const struct board_profile *remake_run(struct redraw *d, const struct cell_runs *cr, const struct run_pick *r,
                                              char *why, size_t len)
{
    const struct host_profile *h = NULL;
    const struct scenario *s = NULL;
    if (d->why[0]) {
        snprintf(why, len, "%s", d->why);
        return NULL;
    }
    const struct board_profile *real = lab_board(&d->lab, cr->board);
    if (real != NULL && board_is_real(real))
        return read_capture(d, cr, r, real, why, len);
    const struct board_profile *b = lab_parts(d, cr, &h, &s, why, len);
    if (b == NULL)
        return NULL;
    run_sim_once(d->world, b, h, s, r->seed, d->rb);
    d->now = &d->rb->tr;
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

/* A capture read back: its op log, from the sidecar run --captures wrote
 * beside it; NULL when it cannot be read (the diagram has no op markers). */
static struct run_meta *capture_ops(const struct redraw *d, const struct cell_runs *cr, const struct run_pick *r)
{
    char path[900], meta_path[920], err[300];
    run_readback_path(d->captures, cr->board, cr->host, cr->scenario, r->iteration, path, sizeof path);
    run_meta_path(path, meta_path, sizeof meta_path);
    struct run_meta *m = calloc(1, sizeof *m);
    if (m != NULL && run_meta_read(meta_path, m, err, sizeof err) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}

/* Queues the timing diagram of the run in d->rb, made on board b. */
static int queue_timing(const struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr,
                        int cell_index, const struct run_pick *r, const char *which, const char *tag,
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
    struct board_model bm = board_model_on(b, lab_host(&d->lab, cr->host));
    struct timing_plot tp = {.tr = d->now, .a = &d->rb->a, .bm = &bm, .threshold_v = b->analyzer.threshold_v,
                             .title = title};
    /* A re-simulated run: its op log and the chip's bytes with their times
     * (op markers, the UART row); a capture read back: its sidecar's op log
     * and its RX line decoded. */
    const double *t_ns = NULL;
    int sim = d->now == &d->rb->tr;
    size_t n_t = sim ? sim_uart_times(d->world, &t_ns) : trace_has(d->now, CH_RX) ? READBACK_UART_MAX : 0;
    struct uart_byte *rx = n_t ? malloc(n_t * sizeof *rx) : NULL;
    for (size_t i = 0; sim && rx && i < n_t && i < d->rb->uart_len; i++)
        rx[tp.n_rx++] = (struct uart_byte){t_ns[i], d->rb->uart[i]};
    if (!sim && rx) /* a capture's RX line, decoded again with its times */
        tp.n_rx = uart_decode_timed(d->now, b->chip->baud, rx, n_t);
    tp.rx = rx;
    struct run_meta *meta = d->now == &d->rb->tr ? NULL : capture_ops(d, cr, r);
    tp.ops = meta ? meta->ops : d->now == &d->rb->tr ? d->rb->log : NULL;
    tp.n_ops = meta ? meta->n_ops : d->now == &d->rb->tr ? d->rb->n_log : 0;
    int index = plot_batch_timing(pl->batch, path, &tp, err, sizeof err);
    free(rx);
    free(meta);
    return pending_add(pl->pending, out, index, err);
}

/* Run k of the cell: its caption, and its timing diagram re-simulated
 * from its seed, or the reason it cannot be. */
static int draw_run(struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr, int cell_index,
                    const struct run_pick *r, const char *which, const char *tag, struct html_plot *out)
{
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

/* Cell i, closed: its typical and worst run (cell_close chose them). */
int report_redraw_cell(struct redraw *d, const struct plot_place *pl, const struct cell_runs *cr,
                       const struct cell_stats *c, int i, struct html_cell *out, int worst_only)
{
    if (!c->typical.set || !c->worst.set) /* every run passed: nothing to show */
        return 0;
    if (worst_only) {
        out->same_run = 1;
        return draw_run(d, pl, cr, i, &c->worst, "worst", "worst", &out->typical);
    }
    out->same_run = c->typical.iteration == c->worst.iteration && c->typical.seed == c->worst.seed;
    if (draw_run(d, pl, cr, i, &c->typical, out->same_run ? "typical and worst" : "typical", "typical",
                 &out->typical) != 0)
        return -1;
    return out->same_run ? 0 : draw_run(d, pl, cr, i, &c->worst, "worst", "worst", &out->worst);
}
