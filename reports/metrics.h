/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A session's figures as OpenMetrics text (`resetlab run --metrics FILE`,
 * `resetlab report --metrics FILE`), for Prometheus' node_exporter textfile
 * collector or a push gateway (docs/ci.md#metrics).
 *
 * Per cell, labelled board, host and scenario: the pass ratio, runs,
 * passed, errors, whether it met its expectation, and the strap margin's
 * and the DTR/RTS gap's 5th, 50th and 95th percentiles as summaries (in
 * seconds, Prometheus' base unit, with their sample count). Per session:
 * its duration, runs per second, start time, runs and cells. Every family
 * is a gauge or a summary: the figures are tonight's, not counts that grow
 * across sessions. The text ends with "# EOF"; label values are escaped as
 * the OpenMetrics specification says (\\, \" and \n). */
#ifndef RESETLAB_METRICS_H
#define RESETLAB_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "results.h"

/* The session's facts the metrics carry. */
struct metrics_session {
    double started_s;  /* its start, seconds since 1970 UTC; NaN: unknown */
    double duration_s; /* wall time of its runs; NaN: unknown */
    long long timed_runs; /* the runs made in that time (a resumed session's later part); < 0: all */
    int iterations;
};

/* A label value as OpenMetrics writes it, between the quotes: backslash,
 * double quote and line feed escaped, every other byte as it is. */
void metrics_label_value(FILE *f, const char *value);

/* Seconds since 1970 of a UTC time "YYYY-MM-DDTHH:MM:SSZ" (the store's
 * `started`); NaN when it is not one. */
double metrics_utc_seconds(const char *iso);

/* The whole text, closed cells only (their spreads are read); 0, or -1
 * when writing to `f` failed. */
int write_openmetrics(FILE *f, const struct metrics_session *s, const struct cell_stats *cells, int n_cells);

/* The text written whole to PATH (files.h: a temporary name beside it,
 * fsync, rename, the folder fsync'd). 0, or -1 with one line in err. */
int metrics_write_file(const char *path, const struct metrics_session *s, const struct cell_stats *cells, int n_cells,
                       char *err, size_t err_len);

#endif
