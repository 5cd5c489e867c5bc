/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report of a session (report.h): store → cells → plots → page. The
 * session is read into cells in report_cells.c, its diagrams made again in
 * report_redraw.c, the trends in report_trend.c; here: the steps of
 * writing a page, the old plots cleared, the reproduce command.
 * May call: reports/ (the store, plots, the page), harness/run (folders,
 * resetlab's version), report_cells.c, report_redraw.c, report_trend.c,
 * libc. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/run/run.h"
#include "harness/run/run_session.h"
#include "report_internal.h"

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
    report_redraw_open(&x->redraw, &x->session);
    if (x->redraw.why[0]) {
        snprintf(x->note[x->n_notes], sizeof x->note[0], "Timing diagrams not redrawn: %s.", x->redraw.why);
        x->notes[x->n_notes] = x->note[x->n_notes];
        x->n_notes++;
    }
    struct reading rd = {&x->cells, &x->redraw, &x->place, x->session.id, err, err_len};
    if (report_cells_read(x->st, &x->session, &rd) != 0)
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
        .notes = x->notes, .n_notes = x->n_notes, .reproduce = x->reproduce};
    return write_page(x->rq->report_dir, &r, page, page_len, err, err_len);
}

static void report_free(struct report *x)
{
    plot_batch_free(x->place.batch);
    trends_free(&x->trends);
    report_redraw_close(&x->redraw);
    free(x->pending.plot);
    free(x->pending.index);
    free(x->hosts);
    report_cells_free(&x->cells);
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
