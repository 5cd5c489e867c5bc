/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OpenMetrics text of a session's cells (metrics.h): one family after the
 * other, each with its HELP, TYPE and (where it has one) UNIT line, its
 * samples in the cells' order, then "# EOF"; and that text written whole
 * into a file.
 * May call: results.c (cell_met), files.c (whole files), libc, libm.
 * The format: https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md
 * (ABNF: label-value escapes \\ \" \n; number NaN, +Inf, -Inf; a family's
 * samples together; a UNIT's family name ends in _UNIT; EOF at the end). */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "files.h"

void metrics_label_value(FILE *f, const char *value)
{
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p == '"')
            fputs("\\\"", f);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
}

double metrics_utc_seconds(const char *iso)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z = 0;
    int used = 0;
    if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                              &tm.tm_min, &tm.tm_sec, &z, &used) != 7 ||
        z != 'Z' || iso[used] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return NAN;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

/* A number as OpenMetrics spells it: NaN, +Inf, -Inf, else the shortest
 * of 15 significant digits (0.995, not 0.99499999999999999). */
static void number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", f);
    else
        fprintf(f, "%.15g", v == 0 ? 0.0 : v); /* -0 as 0 */
}

static void family(FILE *f, const char *name, const char *type, const char *unit, const char *help)
{
    fprintf(f, "# TYPE %s %s\n", name, type);
    if (unit)
        fprintf(f, "# UNIT %s %s\n", name, unit);
    fprintf(f, "# HELP %s %s\n", name, help);
}

/* NAME{board="…",host="…",scenario="…"[,quantile="Q"]} */
static void cell_sample(FILE *f, const char *name, const struct cell_stats *c, const char *quantile)
{
    fprintf(f, "%s{board=\"", name);
    metrics_label_value(f, c->board);
    fputs("\",host=\"", f);
    metrics_label_value(f, c->host);
    fputs("\",scenario=\"", f);
    metrics_label_value(f, c->scenario);
    if (quantile)
        fprintf(f, "\",quantile=\"%s", quantile);
    fputs("\"} ", f);
}

enum cell_figure { FIG_PASS_RATIO, FIG_RUNS, FIG_PASSED, FIG_ERRORS, FIG_MET };

static double figure_of(const struct cell_stats *c, enum cell_figure k)
{
    switch (k) {
    case FIG_PASS_RATIO: return c->runs > 0 ? (double)c->passed / c->runs : NAN;
    case FIG_RUNS: return c->runs;
    case FIG_PASSED: return c->passed;
    case FIG_ERRORS: return c->errors;
    default: return cell_met(c);
    }
}

static void cell_gauges(FILE *f, const struct cell_stats *cells, int n)
{
    static const struct {
        const char *name, *unit, *help;
    } fams[] = {
        [FIG_PASS_RATIO] = {"resetlab_cell_pass_ratio", "ratio", "Runs of the cell that passed, over its runs."},
        [FIG_RUNS] = {"resetlab_cell_runs", NULL, "Runs the cell made."},
        [FIG_PASSED] = {"resetlab_cell_passed", NULL, "Runs of the cell that passed."},
        [FIG_ERRORS] = {"resetlab_cell_errors", NULL, "Runs of the cell that were infrastructure errors."},
        [FIG_MET] = {"resetlab_cell_met", NULL, "1 when the cell met its expectation, else 0."},
    };
    for (int k = 0; k < (int)(sizeof fams / sizeof fams[0]); k++) {
        family(f, fams[k].name, "gauge", fams[k].unit, fams[k].help);
        for (int i = 0; i < n; i++) {
            cell_sample(f, fams[k].name, &cells[i], NULL);
            number(f, figure_of(&cells[i], (enum cell_figure)k));
            fputc('\n', f);
        }
    }
}

/* A spread in ms as a summary in seconds: p5, p50, p95 and the count. */
static void cell_summary(FILE *f, const char *name, const char *help, const struct cell_stats *cells, int n,
                         size_t offset)
{
    char count[128];
    snprintf(count, sizeof count, "%s_count", name);
    family(f, name, "summary", "seconds", help);
    for (int i = 0; i < n; i++) {
        const struct spread *s = (const struct spread *)((const char *)&cells[i] + offset);
        if (s->n > 0) {
            const struct {
                const char *q;
                double ms;
            } qs[] = {{"0.05", s->p5}, {"0.5", s->p50}, {"0.95", s->p95}};
            for (int k = 0; k < 3; k++) {
                cell_sample(f, name, &cells[i], qs[k].q);
                number(f, qs[k].ms / 1000);
                fputc('\n', f);
            }
        }
        cell_sample(f, count, &cells[i], NULL);
        fprintf(f, "%d\n", s->n);
    }
}

static void session_gauge(FILE *f, const char *name, const char *unit, const char *help, double v)
{
    family(f, name, "gauge", unit, help);
    fprintf(f, "%s ", name);
    number(f, v);
    fputc('\n', f);
}

static void session_gauges(FILE *f, const struct metrics_session *s, const struct cell_stats *cells, int n)
{
    long long runs = 0;
    int met = 0;
    for (int i = 0; i < n; i++) {
        runs += cells[i].runs;
        met += cell_met(&cells[i]);
    }
    long long timed = s->timed_runs >= 0 ? s->timed_runs : runs;
    double rate = s->duration_s > 0 ? (double)timed / s->duration_s : NAN;
    session_gauge(f, "resetlab_session_start_time_seconds", "seconds",
                  "When the session started, in seconds since 1970 UTC.", s->started_s);
    session_gauge(f, "resetlab_session_duration_seconds", "seconds", "Wall time of the session's runs.",
                  s->duration_s);
    session_gauge(f, "resetlab_session_runs", NULL, "Runs the session made.", (double)runs);
    session_gauge(f, "resetlab_session_runs_per_second", NULL, "Runs the session made per second of its duration.",
                  rate);
    session_gauge(f, "resetlab_session_iterations", NULL, "Runs asked for per cell (--iterations).", s->iterations);
    session_gauge(f, "resetlab_session_cells", NULL, "Cells of the session.", n);
    session_gauge(f, "resetlab_session_cells_met", NULL, "Cells of the session that met their expectation.", met);
}

int write_openmetrics(FILE *f, const struct metrics_session *s, const struct cell_stats *cells, int n_cells)
{
    session_gauges(f, s, cells, n_cells);
    cell_gauges(f, cells, n_cells);
    cell_summary(f, "resetlab_cell_strap_margin_seconds",
                 "Signed strap margin of the cell's runs (docs/physics.md).", cells, n_cells, offsetof(struct cell_stats, margin));
    cell_summary(f, "resetlab_cell_dtr_rts_gap_seconds", "DTR/RTS gap of the cell's runs (docs/physics.md).",
                 cells, n_cells, offsetof(struct cell_stats, gap));
    fputs("# EOF\n", f);
    return ferror(f) ? -1 : 0;
}

int metrics_write_file(const char *path, const struct metrics_session *s, const struct cell_stats *cells, int n_cells,
                       char *err, size_t err_len)
{
    struct out_file f;
    if (files_begin_path(&f, path, err, err_len) == NULL)
        return -1;
    errno = 0;
    if (write_openmetrics(f.f, s, cells, n_cells) != 0) {
        snprintf(err, err_len, "%s: write failed (%s)", f.path, strerror(errno ? errno : EIO));
        files_discard(&f);
        return -1;
    }
    char dir[FILES_MAX_PATH];
    files_dir_of(path, dir, sizeof dir);
    return files_commit(&f, err, err_len) != 0 || files_sync_dir(dir, err, err_len) != 0 ? -1 : 0;
}
