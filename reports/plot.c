/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The plots' common ground (plot.h): the batch, which queues each plot's
 * gnuplot commands and has a few gnuplot processes draw them; the
 * prologue every plot starts from; gnuplot's text quoting; and the frame
 * and checks the series plots (distributions, trends) share. The drawing
 * itself is in plot_timing.c, plot_dist.c and plot_trend.c.
 * May call: plot_gnuplot.c (the processes), reports/utf8.h, libc, libm. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_internal.h"
#include "utf8.h"

/* Series colours, distinguishable on white and by most colour-blind
 * readers; gnuplot's own default cycle includes a pale yellow. */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
_Static_assert(sizeof palette / sizeof palette[0] == PLOT_PALETTE_N, "PLOT_PALETTE_N is the palette's size");

int plot_fail(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------------ text -- */

void plot_put_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('\'', f);
    while (*p) {
        int n = *p >= 0x80 ? utf8_char_len(p) : 1;
        if (n == 0)
            fputc('?', f);
        else if (*p == '\'')
            fputs("''", f);
        else if (*p >= 0x80 || (*p >= 0x20 && *p != 0x7F))
            fwrite(p, 1, (size_t)n, f);
        p += n ? n : 1;
    }
    fputc('\'', f);
}

void plot_put_textf(FILE *f, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    plot_put_text(f, buf);
}

/* A path gnuplot would write somewhere else after plot_put_text's clean-up. */
static int path_is_literal(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p >= 0x80 ? utf8_char_len(p) : (*p >= 0x20 && *p != 0x7F);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

/* -------------------------------------------------------------- gnuplot -- */

enum plot_format { FORMAT_SVG, FORMAT_PNG };

static int format_of(const char *path, enum plot_format *fmt)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".svg") == 0)
        *fmt = FORMAT_SVG;
    else if (dot && strcasecmp(dot, ".png") == 0)
        *fmt = FORMAT_PNG;
    else
        return -1;
    return 0;
}

/* Checks the output path and creates the file: gnuplot reports an
 * unwritable output as a warning and then plots to stdout. */
static int prepare_output(const char *path, enum plot_format *fmt, char *err, size_t err_len)
{
    if (path == NULL || *path == '\0')
        return plot_fail(err, err_len, "plot: no output path");
    if (!path_is_literal(path)) /* and it could not go into a one-line message */
        return plot_fail(err, err_len, "plot: output path has control characters or invalid UTF-8");
    if (format_of(path, fmt) < 0)
        return plot_fail(err, err_len, "plot: %s: unknown format (the name must end in .svg or .png)", path);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return plot_fail(err, err_len, "plot: cannot write %s: %s", path, strerror(errno));
    fclose(f);
    return 0;
}

/* Every plot starts from gnuplot's defaults, whatever the plot before it in
 * the same process set (labels, objects, log scales, a multiplot cut short
 * by an error), so a plot draws the same bytes alone or in a batch. */
static void put_prologue(FILE *f, enum plot_format fmt, const char *out_path)
{
    fputs("unset multiplot\nreset\nset encoding utf8\n", f);
    if (fmt == FORMAT_SVG)
        fputs("set terminal svg size 1000,560 dynamic enhanced font 'sans,11' background '#ffffff'\n", f);
    else
        fputs("set terminal pngcairo size 1000,560 enhanced font 'sans,11' background '#ffffff'\n", f);
    for (int i = 0; i < PLOT_PALETTE_N; i++)
        fprintf(f, "set linetype %d lc rgb '%s' lw 1.5\n", i + 1, palette[i]);
    fprintf(f, "set linetype cycle %d\n", PLOT_PALETTE_N);
    /* The SVG terminal opens a page with the stroke colour the page before
     * it ended with (the first page of a process: another one again); a
     * throwaway page first makes every page open alike. */
    fputs("set output '/dev/null'\nplot x notitle\nset output ", f);
    /* gnuplot expands a leading ~ in file names; the caller meant a file
     * here (prepare_output created it), so the name is concatenated to ./ */
    if (out_path[0] == '~')
        fputs("'./'.", f);
    plot_put_text(f, out_path);
    fputc('\n', f);
}

#define STATUS_TAG "resetlab-plot"

/* What gnuplot reads on stdin for plot `index`, whose commands are in
 * `file`. gnuplot reads stdin a byte at a time (a read(2) each: 3 s of
 * system time for the default matrix's report) and a loaded file through
 * stdio, so the plots' commands and data are loaded and stdin only names
 * them. An error inside a loaded file ends that file alone: gnuplot goes
 * on with stdin, where each plot reports on stdout whether it drew without
 * one. */
static void put_driver(FILE *f, const char *file, int index)
{
    fputs("reset errors\nload ", f);
    plot_put_text(f, file);
    fprintf(f, "\nunset multiplot\nunset output\nset print '-'\n"
               "print sprintf('" STATUS_TAG " %d %%d %%s', GPVAL_ERRNO, GPVAL_ERRMSG)\n", index);
}

/* ---------------------------------------------------------------- batch -- */

#define BATCH_MAX_JOBS 4

struct queued_plot {
    char *out_path;
    int job;
    int status;  /* gnuplot's GPVAL_ERRNO once it ran; -1: no status line */
    char *error; /* after plot_batch_run: NULL when written */
};

struct plot_batch {
    char dir[4096]; /* a temporary folder: each plot's commands, N.gp */
    volatile sig_atomic_t *stop; /* plot_batch_stop_on's */
    struct plot_job jobs[BATCH_MAX_JOBS];
    int n_jobs;
    struct queued_plot *plots;
    int n, cap;
    int ran;
};

static int default_jobs(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > BATCH_MAX_JOBS ? BATCH_MAX_JOBS : (int)cpus;
}

struct plot_batch *plot_batch_new(int jobs, char *err, size_t err_len)
{
    struct plot_batch *b = calloc(1, sizeof *b);
    if (b == NULL) {
        plot_fail(err, err_len, "plot: out of memory");
        return NULL;
    }
    b->n_jobs = jobs <= 0 ? default_jobs() : jobs > BATCH_MAX_JOBS ? BATCH_MAX_JOBS : jobs;
    const char *tmp = getenv("TMPDIR");
    snprintf(b->dir, sizeof b->dir, "%s/resetlab-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int ok = path_is_literal(b->dir) ? 1 : (plot_fail(err, err_len, "plot: TMPDIR has control characters"), 0);
    if (ok && mkdtemp(b->dir) == NULL) {
        plot_fail(err, err_len, "plot: cannot create a temporary folder %s: %s", b->dir, strerror(errno));
        ok = 0;
    }
    for (int i = 0; ok && i < b->n_jobs; i++)
        ok = (b->jobs[i].script = plot_temp_open(err, err_len)) != NULL;
    if (!ok) {
        plot_batch_free(b);
        return NULL;
    }
    return b;
}

/* The job with the least to draw: the jobs finish at about the same time,
 * and the same plots always land in the same places. */
static int lightest_job(const struct plot_batch *b)
{
    int best = 0;
    for (int i = 1; i < b->n_jobs; i++)
        if (b->jobs[i].bytes < b->jobs[best].bytes)
            best = i;
    return best;
}

static int grow(struct plot_batch *b)
{
    if (b->n < b->cap)
        return 0;
    int cap = b->cap ? 2 * b->cap : 16;
    struct queued_plot *p = realloc(b->plots, sizeof *p * (size_t)cap);
    if (p == NULL)
        return -1;
    b->plots = p;
    b->cap = cap;
    return 0;
}

static void plot_file(const struct plot_batch *b, int index, char *out, size_t len)
{
    snprintf(out, len, "%s/%d.gp", b->dir, index);
}

/* Writes the plot's commands (prologue, body) to its file; -1 with the
 * file removed on failure. Returns the file's size. */
static long write_plot_file(const char *file, enum plot_format fmt, const char *out_path, plot_script_body body,
                            const void *ctx, char *err, size_t err_len)
{
    FILE *f = fopen(file, "w");
    if (f == NULL)
        return plot_fail(err, err_len, "plot: cannot write %s: %s", file, strerror(errno));
    put_prologue(f, fmt, out_path);
    int rc = body(f, ctx, err, err_len);
    long size = ftell(f);
    if ((ferror(f) | fclose(f)) != 0 && rc == 0)
        rc = plot_fail(err, err_len, "plot: cannot write %s", file);
    if (rc < 0)
        unlink(file);
    return rc < 0 ? -1 : size;
}

int plot_batch_add(struct plot_batch *b, const char *out_path, plot_script_body body, const void *ctx, char *err,
                   size_t err_len)
{
    enum plot_format fmt = FORMAT_SVG;
    char file[4200];
    if (b->ran)
        return plot_fail(err, err_len, "plot: the batch has already been drawn");
    if (prepare_output(out_path, &fmt, err, err_len) < 0)
        return -1;
    char *path = strdup(out_path);
    if (path == NULL || grow(b) != 0) {
        free(path);
        unlink(out_path);
        return plot_fail(err, err_len, "plot: out of memory");
    }
    plot_file(b, b->n, file, sizeof file);
    long size = write_plot_file(file, fmt, out_path, body, ctx, err, err_len);
    if (size < 0) {
        free(path);
        unlink(out_path);
        return -1;
    }
    struct plot_job *j = &b->jobs[lightest_job(b)];
    put_driver(j->script, file, b->n);
    j->n_plots++;
    j->bytes += size;
    b->plots[b->n] = (struct queued_plot){.out_path = path, .job = (int)(j - b->jobs), .status = -1};
    return b->n++;
}

/* Reads the status lines a job's gnuplot printed. */
static void read_statuses(struct plot_batch *b, struct plot_job *j)
{
    char line[512];
    rewind(j->out);
    while (fgets(line, sizeof line, j->out)) {
        int index, errno_value, used = 0;
        if (sscanf(line, STATUS_TAG " %d %d %n", &index, &errno_value, &used) < 2 || index < 0 || index >= b->n)
            continue;
        struct queued_plot *q = &b->plots[index];
        q->status = errno_value;
        if (errno_value != 0 && q->error == NULL) {
            char why[600];
            line[strcspn(line, "\n")] = '\0';
            snprintf(why, sizeof why, "gnuplot failed on %s: %s", q->out_path, used ? line + used : "no message");
            q->error = strdup(why);
        }
    }
}

/* A plot without an error of its own: written, or the process's reason. */
static void settle_plot(struct queued_plot *q, const char *job_error)
{
    struct stat st;
    char why[600];
    if (q->error == NULL && q->status != 0)
        q->error = strdup(job_error && *job_error ? job_error : "gnuplot stopped before this plot");
    if (q->error == NULL && (stat(q->out_path, &st) < 0 || st.st_size == 0)) {
        snprintf(why, sizeof why, "gnuplot wrote nothing to %s", q->out_path);
        q->error = strdup(why);
    }
    if (q->error != NULL)
        unlink(q->out_path);
}

int plot_batch_run(struct plot_batch *b, char *err, size_t err_len)
{
    if (b->ran)
        return plot_fail(err, err_len, "plot: the batch has already been drawn");
    b->ran = 1;
    char job_error[BATCH_MAX_JOBS][600];
    for (int i = 0; i < b->n_jobs; i++) { /* all started before any is waited for: they run in parallel */
        job_error[i][0] = '\0';
        if (b->jobs[i].n_plots > 0)
            plot_spawn_gnuplot(&b->jobs[i], job_error[i], sizeof job_error[i]);
    }
    for (int i = 0; i < b->n_jobs; i++) {
        struct plot_job *j = &b->jobs[i];
        if (!j->started)
            continue;
        /* the reason of plots without a status line */
        plot_wait_gnuplot(j, b->stop, job_error[i], sizeof job_error[i]);
        read_statuses(b, j);
    }
    int failed = 0;
    for (int k = 0; k < b->n; k++) {
        struct queued_plot *q = &b->plots[k];
        settle_plot(q, job_error[q->job]);
        if (q->error != NULL && failed++ == 0)
            plot_fail(err, err_len, "%s", q->error);
    }
    return failed ? -1 : 0;
}

void plot_batch_stop_on(struct plot_batch *b, volatile sig_atomic_t *stop)
{
    b->stop = stop;
}

const char *plot_batch_error(const struct plot_batch *b, int index)
{
    if (index < 0 || index >= b->n)
        return "no such plot";
    if (!b->ran)
        return "not drawn yet";
    return b->plots[index].error;
}

void plot_batch_free(struct plot_batch *b)
{
    if (b == NULL)
        return;
    for (int k = 0; k < b->n; k++) {
        char file[4200];
        plot_file(b, k, file, sizeof file);
        unlink(file);
        if (!b->ran) /* queued, never drawn: no empty file left behind */
            unlink(b->plots[k].out_path);
        free(b->plots[k].out_path);
        free(b->plots[k].error);
    }
    if (b->dir[0] && strstr(b->dir, "XXXXXX") == NULL) /* mkdtemp made it */
        rmdir(b->dir);
    for (int i = 0; i < b->n_jobs; i++) {
        struct plot_job *j = &b->jobs[i];
        if (j->started && !b->ran)
            waitpid(j->pid, NULL, 0);
        FILE *files[] = {j->script, j->out, j->errs};
        for (int k = 0; k < 3; k++)
            if (files[k])
                fclose(files[k]);
    }
    free(b->plots);
    free(b);
}

int plot_draw_alone(struct plot_batch *b, int queued, char *err, size_t err_len)
{
    int rc = b != NULL && queued >= 0 ? plot_batch_run(b, err, err_len) : -1;
    plot_batch_free(b);
    return rc;
}

/* --------------------------------------------------------------- series -- */

int plot_count_finite(const struct plot_series *s)
{
    int n = 0;
    for (int i = 0; s->x && i < s->n; i++)
        n += isfinite(s->x[i]);
    return n;
}

int plot_check_series(const char *who, const struct plot_series *series, int n_series, char *err, size_t err_len)
{
    if (n_series < 0 || (n_series > 0 && series == NULL))
        return plot_fail(err, err_len, "%s: no series", who);
    for (int s = 0; s < n_series; s++)
        if (series[s].n < 0 || (series[s].n > 0 && series[s].x == NULL))
            return plot_fail(err, err_len, "%s: series %d has no samples array", who, s);
    return 0;
}

void plot_put_common(FILE *f, const char *title, const char *xlabel, const char *ylabel)
{
    if (title && *title) {
        fputs("set title ", f);
        plot_put_text(f, title);
        fputs(" noenhanced font ',12'\n", f);
    }
    fputs("set xlabel ", f);
    plot_put_text(f, xlabel);
    fputs(" noenhanced\nset ylabel ", f);
    plot_put_text(f, ylabel);
    /* The legend goes outside, to the right: it must never hide a tail. */
    fputs(" noenhanced\nset key outside right top Left reverse samplen 2 spacing 1.2\n"
          "set grid lc rgb '#e0e0e0' lw 1 dt 1\nset border 3 lc rgb '#404040'\nset tics nomirror\n", f);
}
