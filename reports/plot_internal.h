/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the plot files share, used only inside reports/ (plot.h is the
 * public header): plot.c's batch, text quoting and series plots' frame,
 * which the drawing files (plot_timing.c, plot_dist.c, plot_trend.c) write
 * through, and plot_gnuplot.c's processes, which the batch runs. */
#ifndef RESETLAB_PLOT_INTERNAL_H
#define RESETLAB_PLOT_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* plot.h's; declared here, not included, so that plot.c including this
 * header makes no include circle. */
struct plot_batch;
struct plot_series;

/* How many series colours plot.c's palette has: series past it reuse them. */
#define PLOT_PALETTE_N 8

/* Formats one line into err; returns -1. */
int plot_fail(char *err, size_t err_len, const char *fmt, ...);

/* `s` as a gnuplot single-quoted string, where only '' is special (no
 * backslash escapes). Control characters are dropped: a newline would end
 * the command. Literal rendering of ^ _ @ & { } is the caller's
 * `noenhanced`. */
void plot_put_text(FILE *f, const char *s);
void plot_put_textf(FILE *f, const char *fmt, ...);

/* Writes one plot's commands, after the prologue plot.c gives every plot;
 * 0, or -1 with one line in err. */
typedef int (*plot_script_body)(FILE *f, const void *ctx, char *err, size_t err_len);

/* Writes one plot's commands and names them on a job's stdin; on failure
 * nothing is queued and the output is removed. Returns the plot's index. */
int plot_batch_add(struct plot_batch *b, const char *out_path, plot_script_body body, const void *ctx, char *err,
                   size_t err_len);
/* A single plot: a batch of one. */
int plot_draw_alone(struct plot_batch *b, int queued, char *err, size_t err_len);

/* The series plots (distributions, trends): the series' samples checked
 * (-1 with one line in err naming `who`), their finite samples counted,
 * and the frame they share: title, axis labels, key and grid. */
int plot_check_series(const char *who, const struct plot_series *series, int n_series, char *err, size_t err_len);
int plot_count_finite(const struct plot_series *s);
void plot_put_common(FILE *f, const char *title, const char *xlabel, const char *ylabel);

/* One gnuplot process of a batch: its stdin and what it printed. */
struct plot_job {
    FILE *script, *out, *errs;
    int n_plots;
    long bytes; /* of the plots' commands: the work it has */
    pid_t pid;
    int started;
};

/* An unlinked temporary file (gnuplot's stdin, stdout or stderr): nothing
 * to clean up on any path, and no pipe to deadlock on while gnuplot
 * writes. NULL with one line in err. */
FILE *plot_temp_open(char *err, size_t err_len);
/* Starts gnuplot on the job's script (stdin), stdout and stderr into the
 * job's temporary files. On Linux gnuplot is killed when resetlab dies
 * (PR_SET_PDEATHSIG), by whatever signal. */
int plot_spawn_gnuplot(struct plot_job *j, char *err, size_t err_len);
/* Waits for the job's gnuplot; -1 with one line in err when the process
 * itself failed (as opposed to one of its plots), or was killed because
 * *stop was set ("interrupted"; stop may be NULL). */
int plot_wait_gnuplot(struct plot_job *j, volatile sig_atomic_t *stop, char *err, size_t err_len);

#endif
