/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report of a session (report.h): store → cells → plots → page. The
 * session is read into cells in report_cells.c, its diagrams made again in
 * report_redraw.c, the trends in report_trend.c; here: the steps of
 * writing a page, beside the old one and swapped in at the end
 * (reports/files.h), a stop asked for between them, the reproduce command.
 * May call: reports/ (the store, plots, the page, OpenMetrics, whole files), harness/lab (the gates), harness/run
 * (folders and their lock, resetlab's version), report_cells.c,
 * report_redraw.c, report_trend.c, libc. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/run/run.h"
#include "harness/run/run_session.h"
#include "reports/files.h"
#include "reports/metrics.h"
#include "reports/junit.h"
#include "report_group.h"
#include "report_internal.h"

/* --------------------------------------------------------------- files -- */

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

/* The page beside the old one, then the staged plots and the page swapped
 * in (reports/files.h): the old report is whole until the new one is. */
static int write_page(const char *dir, const struct html_report *page, char *path, size_t path_len, char *err,
                      size_t err_len)
{
    struct out_file f;
    if (files_begin(&f, dir, "index.html", err, err_len) == NULL)
        return -1;
    snprintf(path, path_len, "%s", f.path);
    errno = 0;
    if (html_write_report(f.f, page) != 0) {
        snprintf(err, err_len, "%s: write failed (%s)", f.path, strerror(errno ? errno : EIO));
        files_discard(&f);
        return -1;
    }
    return files_plots_swap(dir, &f, err, err_len);
}

/* -------------------------------------------------------------- report -- */

struct report {
    const struct report_request *rq;
    struct store *st;
    struct session_row session;
    struct session_row *group; /* --sessions / --date: the group, oldest first; `session` is its newest */
    int n_group;
    char title[64]; /* a group's: "3 sessions, #1 to #3" */
    struct session_cells cells;
    const char **hosts;
    int n_hosts;
    struct redraw redraw;
    struct pending_plots pending;
    struct plot_place place;
    char plots_dir[1024];
    int staged; /* plots_dir made: removed unless swapped in */
    int lock_fd; /* REPORT_DIR's lock, when taken here; -1: none */
    struct trend_data trends;
    struct lab_gates gates; /* the session's tolerances and known failures */
    int has_gates;
    char note[2][600];
    const char *notes[2];
    int n_notes;
    char reproduce[8192];
};

/* The session asked for, or the newest complete one. 2 (bad input) or -1
 * with one line in err. */
/* A group: its sessions, the newest standing for them in the page's facts. */
static int choose_group(struct report *x, char *err, size_t err_len)
{
    x->group = malloc(sizeof *x->group * REPORT_GROUP_MAX);
    if (x->group == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    int rc = report_group_pick(x->st, x->rq->sessions, x->rq->date, x->group, &x->n_group, err, err_len);
    if (rc == 0)
        x->session = x->group[x->n_group - 1];
    return rc;
}

static int choose_session(struct report *x, char *err, size_t err_len)
{
    const struct report_request *rq = x->rq;
    if (rq->sessions || rq->date)
        return choose_group(x, err, err_len);
    if (rq->session > 0) {
        int found = store_session_get(x->st, rq->session, &x->session, err, err_len);
        if (found == 0)
            snprintf(err, err_len, "session #%lld is not in %s", (long long)rq->session, rq->db_path);
        if (found > 0 && rq->finishing) { /* marked so by the caller once the page is written */
            snprintf(x->session.status, sizeof x->session.status, "complete");
            snprintf(x->session.finished, sizeof x->session.finished, "%s", rq->finishing);
        }
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

/* The folder made, a staging folder for the new plots beside plots/ (what
 * a killed report left put right first), the batch to queue on. */
static int prepare_plots(struct report *x, char *err, size_t err_len)
{
    if (run_mkdir_p(x->rq->report_dir, err, err_len) != 0 ||
        (x->rq->lock_folder && run_lock_folder(x->rq->report_dir, &x->lock_fd, err, err_len) != 0) ||
        files_plots_stage(x->rq->report_dir, x->plots_dir, sizeof x->plots_dir, err, err_len) != 0)
        return -1;
    x->staged = 1;
    x->place.batch = plot_batch_new(0, err, err_len);
    if (x->place.batch)
        plot_batch_stop_on(x->place.batch, x->rq->stop);
    x->place.dir = x->plots_dir;
    x->place.pending = &x->pending;
    return x->place.batch ? 0 : -1;
}

/* A group's cells, in one run's order, and a note naming its sessions. */
static int read_group(struct report *x, struct reading *rd, char *err, size_t err_len)
{
    struct group_cell *cells = NULL;
    int n = 0;
    if (report_group_cells(x->st, x->group, x->n_group, &cells, &n, err, err_len) != 0)
        return -1;
    int rc = report_cells_read_group(x->st, cells, n, rd);
    report_group_cells_free(cells, n);
    snprintf(x->title, sizeof x->title, "%d sessions, #%lld to #%lld", x->n_group, (long long)x->group[0].id,
             (long long)x->group[x->n_group - 1].id);
    char *note = x->note[x->n_notes];
    size_t len = sizeof x->note[0];
    int used = snprintf(note, len, "One matrix of %d sessions of this lab:", x->n_group);
    for (int i = 0; i < x->n_group && used > 0 && (size_t)used < len; i++)
        used += snprintf(note + used, len - (size_t)used, " #%lld (%s, %s)%s", (long long)x->group[i].id,
                         x->group[i].facts.hostname[0] ? x->group[i].facts.hostname : "?", x->group[i].facts.started,
                         i + 1 < x->n_group ? "," : "; the facts above are the newest's.");
    x->notes[x->n_notes] = note;
    x->n_notes++;
    return rc;
}

/* The cells read (their plots queued as they close), the matrix's
 * columns, the trends. */
static int queue_plots(struct report *x, char *err, size_t err_len)
{
    report_redraw_open(&x->redraw, &x->session, x->rq->db_path);
    if (x->redraw.why[0]) {
        snprintf(x->note[x->n_notes], sizeof x->note[0], "Timing diagrams not redrawn: %s.", x->redraw.why);
        x->notes[x->n_notes] = x->note[x->n_notes];
        x->n_notes++;
    }
    char why[520];
    x->has_gates = report_gates_load(x->session.facts.options, &x->gates, why, sizeof why);
    if (x->has_gates < 0) {
        snprintf(x->note[x->n_notes], sizeof x->note[0], "Known failures not marked: %s.", why);
        x->notes[x->n_notes] = x->note[x->n_notes];
        x->n_notes++;
    }
    struct reading rd = {&x->cells,  &x->redraw, &x->place, x->session.id, x->rq->stop,
                         err,        err_len,    x->has_gates > 0 ? &x->gates : NULL, x->rq->all_plots};
    if (x->n_group > 1 ? read_group(x, &rd, err, err_len) != 0 : report_cells_read(x->st, &x->session, &rd) != 0)
        return -1;
    x->hosts = calloc((size_t)(x->cells.n > 0 ? x->cells.n : 1), sizeof *x->hosts);
    if (x->hosts == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    x->n_hosts = report_cells_column_hosts(&x->cells, x->hosts);
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
        .notes = x->notes, .n_notes = x->n_notes, .reproduce = x->reproduce, .title = x->n_group > 1 ? x->title : NULL};
    return write_page(x->rq->report_dir, &r, page, page_len, err, err_len);
}

/* --metrics FILE: the session's cells as OpenMetrics text; its duration
 * from the store's start and finish times. */
static int write_metrics(const struct report *x, char *err, size_t err_len)
{
    const struct session_row *r = &x->session;
    double started = metrics_utc_seconds(r->facts.started), finished = metrics_utc_seconds(r->finished);
    struct metrics_session s = {started, finished - started, -1, r->facts.iterations};
    return metrics_write_file(x->rq->metrics_path, &s, x->cells.stats, x->cells.n, err, err_len);
}

/* REPORT_DIR/summary.json and junit.xml of what the page shows, as
 * `resetlab run` writes them (its seed, iterations and start; the time
 * from the store's start and finish). */
static int write_results(const struct report *x, char *err, size_t err_len)
{
    const struct session_row *r = &x->session, *first = x->n_group > 1 ? &x->group[0] : r;
    struct out_file f;
    if (files_begin(&f, x->rq->report_dir, "summary.json", err, err_len) == NULL)
        return -1;
    write_summary_json(f.f, r->facts.seed, r->facts.iterations, x->cells.stats, x->cells.n);
    if (files_commit(&f, err, err_len) != 0)
        return -1;
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%.*s", (int)strcspn(first->facts.started, "Z"), first->facts.started);
    double elapsed = metrics_utc_seconds(r->finished) - metrics_utc_seconds(first->facts.started);
    struct junit_run run = {"resetlab", stamp[0] ? stamp : NULL, elapsed > 0 ? elapsed : 0, r->facts.seed,
                            r->facts.iterations};
    if (files_begin(&f, x->rq->report_dir, "junit.xml", err, err_len) == NULL)
        return -1;
    errno = 0;
    if (write_junit_xml(f.f, &run, x->cells.stats, x->cells.n) != 0) {
        snprintf(err, err_len, "%s: write failed (%s)", f.path, strerror(errno ? errno : EIO));
        files_discard(&f);
        return -1;
    }
    return files_commit(&f, err, err_len);
}

static void report_free(struct report *x)
{
    free(x->group);
    plot_batch_free(x->place.batch);
    trends_free(&x->trends);
    report_redraw_close(&x->redraw);
    free(x->pending.plot);
    free(x->pending.index);
    free(x->hosts);
    report_cells_free(&x->cells);
    lab_gates_free(&x->gates);
    store_close(x->st);
    run_unlock_folder(x->lock_fd);
}

static int stop_asked(const struct report *x)
{
    return x->rq->stop && *x->rq->stop;
}

int report_write(const struct report_request *rq, char *page, size_t page_len, struct report_warnings *warn,
                 char *err, size_t err_len)
{
    struct report *x = calloc(1, sizeof *x);
    if (x == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    memset(warn, 0, sizeof *warn);
    x->rq = rq;
    x->lock_fd = -1;
    err[0] = '\0';
    int rc = open_store(x, err, err_len);
    if (rc == 0)
        rc = choose_session(x, err, err_len);
    if (rc == 0 && (prepare_plots(x, err, err_len) != 0 || queue_plots(x, err, err_len) != 0))
        rc = -1;
    if (rc == 0 && !stop_asked(x))
        draw_plots(x, warn);
    if (rc == 0 && !stop_asked(x))
        rc = write_report(x, page, page_len, err, err_len);
    else if (stop_asked(x))
        rc = REPORT_INTERRUPTED;
    if (rc == 0 && rq->metrics_path)
        rc = write_metrics(x, err, err_len);
    if (rc == 0 && rq->write_results)
        rc = write_results(x, err, err_len);
    if (rc != 0 && x->staged)
        files_plots_abandon(rq->report_dir);
    report_free(x); /* the folder's lock last */
    free(x);
    if (rc == REPORT_INTERRUPTED)
        snprintf(err, err_len, "interrupted: the report in %s is left as it was", rq->report_dir);
    return rc;
}
