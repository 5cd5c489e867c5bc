/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A session's files (run_outputs.h): the folder and the store locked and
 * opened, an older session's outputs removed; at the end runs.jsonl,
 * summary.json, junit.xml and the report written whole before the session
 * is marked complete, so a kill or a full disk at any point leaves a
 * session --resume can finish, and never one marked complete whose files
 * are not all there.
 * May call: run_recorder.c, harness/port (the store's lock), reports/ (the
 * store, summary, JUnit, OpenMetrics, whole files), the report writer it is given, libc. */
#include "run_outputs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/port/port_lock.h"
#include "reports/files.h"
#include "reports/junit.h"
#include "reports/metrics.h"

/* One writer per database: a second resetlab on the same store waits for
 * nobody, it says who holds it. */
static int lock_store(struct outputs *io, char *err, size_t len)
{
    char why[400];
    snprintf(io->lock_path, sizeof io->lock_path, "%s.lock", io->db_path);
    int rc = lockfile_take(io->lock_path, &io->lock_fd, why, sizeof why);
    if (rc == LOCKFILE_HELD)
        snprintf(err, len, "%s is in use by %s", io->db_path, why);
    else if (rc != 0)
        snprintf(err, len, "%s: %s", io->db_path, why);
    return rc == 0 ? 0 : -1;
}

/* The outputs of an older session go before this one writes anything, so
 * nothing in the folder describes an older session than its runs.jsonl
 * (an interrupted run leaves no summary.json or junit.xml for a CI job to
 * mistake for its own). */
static void remove_stale(const char *dir)
{
    static const char *const names[] = {"summary.json", "junit.xml", "runs.jsonl", ".summary.json.tmp",
                                        ".junit.xml.tmp"};
    char path[OUTPUTS_PATH];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    files_report_remove(dir);
}

int run_outputs_open(const struct matrix_opts *o, struct outputs *io, char *err, size_t len)
{
    io->lock_fd = io->folder_fd = -1;
    if (o->db_path)
        snprintf(io->db_path, sizeof io->db_path, "%s", o->db_path);
    else
        snprintf(io->db_path, sizeof io->db_path, "%s/results.db", o->out_dir);
    if (run_mkdir_p(o->out_dir, err, len) != 0 || run_lock_folder(o->out_dir, &io->folder_fd, err, len) != 0 ||
        lock_store(io, err, len) != 0 || !(io->store = store_open(io->db_path, STORE_WRITE, err, len)))
        return -1;
    remove_stale(o->out_dir);
    /* runs.jsonl is written again from the store by --resume: every run has a row then */
    io->rec = (struct recorder){.store = io->store, .progress = &io->progress, .stop = o->stop, .err = err,
                                .err_len = len, .keep_runs = o->write_jsonl ? -1 : o->keep_runs};
    snprintf(io->runs_path, sizeof io->runs_path, "%s/runs.jsonl", o->out_dir);
    if (o->write_jsonl && recorder_runs_open(&io->rec, io->runs_path, err, len) != 0)
        return -1;
    if (o->resume_session)
        io->session = o->resume_session;
    else if (store_session_begin(io->store, o->facts, &io->session, err, len) != 0)
        return -1;
    io->rec.session = io->session;
    return 0;
}

int run_outputs_close(struct outputs *io, char *err, size_t len)
{
    char kept[800];
    snprintf(kept, sizeof kept, "%s", err);
    int rc = recorder_runs_close(&io->rec, 0);
    if (kept[0] != '\0') /* the first reason stays */
        snprintf(err, len, "%s", kept);
    store_close(io->store);
    io->store = NULL;
    lockfile_release(io->lock_fd);
    lockfile_release(io->folder_fd);
    io->lock_fd = io->folder_fd = -1;
    return rc;
}

void run_outputs_resume_args(const struct matrix_opts *o, char *buf, size_t len)
{
    if (o->db_path)
        snprintf(buf, len, "--out %s --db %s", o->out_dir, o->db_path);
    else
        snprintf(buf, len, "--out %s", o->out_dir);
}

void run_outputs_kept(const struct matrix_opts *o, struct outputs *io, char *err, size_t len)
{
    if (io->session == 0)
        return;
    /* the writer's transaction may have failed: closing it commits what
     * can be, and a reader sees what was */
    char reason[800];
    snprintf(reason, sizeof reason, "%s", err);
    recorder_runs_close(&io->rec, 0);
    snprintf(err, len, "%s", reason);
    store_close(io->store);
    io->store = NULL;
    char why[300], args[2 * OUTPUTS_PATH];
    static struct session_row row;
    struct store *st = store_open(io->db_path, STORE_READ, why, sizeof why);
    int found = st ? store_session_get(st, io->session, &row, why, sizeof why) : -1;
    store_close(st);
    run_outputs_resume_args(o, args, sizeof args);
    size_t used = strlen(err);
    if (found == 1)
        snprintf(err + used, len - used, "; %lld runs are in %s: `resetlab run --resume %s` goes on",
                 (long long)row.runs, io->db_path, args);
    else
        snprintf(err + used, len - used, "; the runs committed before it are in %s: `resetlab run --resume %s` goes on",
                 io->db_path, args);
}

/* ------------------------------------------------------------- the end -- */

static int write_summary(const struct matrix_opts *o, struct cell_stats *cells, int n_cells, char *path,
                         size_t path_len, char *err, size_t len)
{
    struct out_file f;
    if (files_begin(&f, o->out_dir, "summary.json", err, len) == NULL)
        return -1;
    write_summary_json(f.f, o->seed, o->iterations, cells, n_cells);
    snprintf(path, path_len, "%s", f.path);
    return files_commit(&f, err, len);
}

/* DIR/junit.xml for the CI server: a testcase per cell. */
static int write_junit(const struct matrix_opts *o, struct cell_stats *cells, int n_cells, double elapsed_s,
                       char *err, size_t len)
{
    char stamp[32] = "";
    if (o->facts) /* the schema's timestamp has no zone: the Z goes */
        snprintf(stamp, sizeof stamp, "%.*s", (int)strcspn(o->facts->started, "Z"), o->facts->started);
    struct out_file f;
    if (files_begin(&f, o->out_dir, "junit.xml", err, len) == NULL)
        return -1;
    struct junit_run run = {"resetlab", stamp[0] ? stamp : NULL, elapsed_s, o->seed, o->iterations};
    errno = 0;
    if (write_junit_xml(f.f, &run, cells, n_cells) != 0) {
        snprintf(err, len, "%s: write failed (%s)", f.path, strerror(errno ? errno : EIO));
        files_discard(&f);
        return -1;
    }
    return files_commit(&f, err, len);
}

/* --metrics FILE: OpenMetrics text for Prometheus (reports/metrics.h). */
static int write_metrics(const struct matrix_opts *o, const struct outputs *io, const struct cell_stats *cells,
                         int n_cells, double elapsed_s, char *err, size_t len)
{
    /* a resumed session: its start, and the rate of the runs made since the resume */
    struct metrics_session s = {o->facts ? metrics_utc_seconds(o->facts->started) : NAN, elapsed_s,
                                (long long)(io->progress.done - io->progress.start_done), o->iterations};
    return metrics_write_file(o->metrics_path, &s, cells, n_cells, err, len);
}

/* DIR/index.html and DIR/plots/, from the session's committed runs, by the
 * writer the caller gave (the report room's; gnuplot failing costs the
 * plots, not the run's results). */
static int write_html_report(const struct matrix_opts *o, const struct outputs *io, const char *finished, char *page,
                             size_t page_len, char *err, size_t len)
{
    if (o->write_report == NULL) {
        snprintf(err, len, "no report writer given");
        return -1;
    }
    return o->write_report(io->db_path, io->session, finished, o->out_dir, o->stop, page, page_len, err, len);
}

static int stop_asked(const struct matrix_opts *o)
{
    return o->stop && *o->stop;
}

/* The outputs, each written whole; a stop asked for is seen between them
 * (and inside the report, which is most of the time). */
static int write_outputs(const struct matrix_opts *o, struct cell_stats *cells, int n_cells, struct outputs *io,
                         const char *finished, char *summary_path, char *page, size_t path_len, char *err, size_t len)
{
    double elapsed_s = (double)(progress_now_ns() - io->progress.t_start_ns) / 1e9;
    if (stop_asked(o))
        return MATRIX_INTERRUPTED;
    if (write_summary(o, cells, n_cells, summary_path, path_len, err, len) != 0)
        return -1;
    if (stop_asked(o))
        return MATRIX_INTERRUPTED;
    if (write_junit(o, cells, n_cells, elapsed_s, err, len) != 0 ||
        (o->metrics_path && write_metrics(o, io, cells, n_cells, elapsed_s, err, len) != 0))
        return -1;
    if (stop_asked(o))
        return MATRIX_INTERRUPTED;
    int rc = write_html_report(o, io, finished, page, path_len, err, len);
    if (rc != 0)
        return rc == MATRIX_INTERRUPTED || stop_asked(o) ? MATRIX_INTERRUPTED : -1;
    return files_sync_dir(o->out_dir, err, len);
}

int run_outputs_finish(const struct matrix_opts *o, struct cell_stats *cells, int n_cells, struct outputs *io,
                       int stopped, char *summary_path, char *page, size_t path_len, char *err, size_t len)
{
    if (stopped)
        return store_session_end(io->store, io->session, "interrupted", err, len);
    if (recorder_runs_close(&io->rec, 1) != 0 || store_flush(io->store, err, len) != 0)
        return -1;
    char finished[32]; /* the page shows it, and the store records it */
    store_utc_now(finished, sizeof finished);
    int rc = write_outputs(o, cells, n_cells, io, finished, summary_path, page, path_len, err, len);
    if (rc == MATRIX_INTERRUPTED)
        return store_session_end(io->store, io->session, "interrupted", err, len) != 0 ? -1 : MATRIX_INTERRUPTED;
    if (rc != 0)
        return -1;
    return store_session_end_at(io->store, io->session, "complete", finished, err, len);
}
