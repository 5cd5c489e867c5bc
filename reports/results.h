/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Results of a matrix: per-run records and per-cell statistics, written as
 * summary.json, runs.jsonl and a console table. Depends only on the
 * analyzers' result types. */
#ifndef RESETLAB_RESULTS_H
#define RESETLAB_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "analyzers/analyze.h"

struct run_record {
    const char *board, *host, *scenario;
    int iteration;
    uint64_t seed;
    enum boot_mode expected;
    const struct analysis *a; /* verdict error: a->findings holds the reason */
};

#define CELL_MAX_KINDS 16
#define CELL_MAX_DIAG 4

/* One quantity's samples in a cell as every export reports them: how
 * many, and exact nearest-rank percentiles (NaN when there are none). */
struct spread {
    int n;
    double min, p5, p50, p95, p99, max;
};

/* A run of a cell the report draws again, by what re-makes it (its
 * iteration and seed) and what it gave (checked against the re-made run). */
struct run_pick {
    int set; /* 0: none */
    int iteration;
    uint64_t seed;
    enum verdict verdict;
    enum boot_mode outcome;
    double margin_ms;
};

/* The samples of an open cell; cell_close turns them into spreads. */
struct cell_samples {
    double *margin, *gap, *en_release; /* the runs' figures that apply (NaN skipped) */
    double *attempts, *connect_ms;     /* a tool's runs: attempts made, time to connect (connected runs) */
    int n_margin, n_gap, n_en_release, n_attempts, n_connect, cap;
    /* beside margin[i]: the run it came from, for the typical run */
    int *margin_iteration;
    uint64_t *margin_seed;
    unsigned char *margin_vo; /* verdict << 4 | outcome */
    struct run_pick first_unpassed, worst_failing;
};

/* A cell holds its samples only while it is open (its runs being made or
 * read): memory goes with the largest cell, not with the session. */
/* A cell's gate (docs/gates.md). min_rate 1, cell_init's, is "every run
 * passes"; below 1 the cell meets its expectation when the Wilson lower
 * bound (at z) of passed / (passed + failed) is at least min_rate. known_*:
 * the lab accepts the cell's failure (a known-failures entry: its reason,
 * link or NULL, and FILE:LINE). */
struct cell_gate {
    double min_rate, z;
    const char *known_reason, *known_link, *known_where;
};

/* What a cell says to a CI job: met (or known) exits 0, a regression 1,
 * infrastructure errors alone (no board verdict was possible) 3. */
enum gate_state {
    GATE_MET,    /* met its expectation */
    GATE_FAILED, /* below it, and not known: a regression */
    GATE_KNOWN,  /* below it, as the known-failures file says */
    GATE_FIXED,  /* known, but met: fixed, remove it from the known failures */
    GATE_ERROR,  /* runs the lab could not carry out, and no failing verdict */
};

struct cell_stats {
    const char *board, *host, *scenario;
    enum boot_mode expected;
    struct cell_gate gate;
    int runs, passed, failed, errors;
    int outcomes[BOOT_MARGINAL + 1];
    struct cell_samples *samples; /* NULL before the first run and once closed */
    int expected_runs;            /* the samples' first allocation */
    int closed;                   /* cell_close was called: no more runs */
    struct spread margin, gap, en_release; /* set by cell_close */
    /* A tool's cell (docs/tools.md): runs of its connect loop, how many
     * connected, and the attempts and ms it took (connected runs only). */
    int tool_runs, connected;
    struct spread attempts, connect_ms; /* set by cell_close */
    /* Findings of runs that did not pass, by kind: the cell reports the most
     * severe (ties: the more frequent), with the message its worst run gave
     * (the failing run with the lowest strap margin, as the report's
     * worst-run diagram; else the first). */
    struct finding kinds[CELL_MAX_KINDS];
    double kind_margin[CELL_MAX_KINDS]; /* the margin of the run whose message is kept */
    int kind_count[CELL_MAX_KINDS], n_kinds;
    /* Findings about the board itself (truth table, EN RC), from every run,
     * passing or not: a faulty board can still pass a reset. By message. */
    struct finding diag[CELL_MAX_DIAG];
    int diag_count[CELL_MAX_DIAG], n_diag;
    /* Set by cell_close: the runs the report draws. typical: the first
     * whose strap margin is the cell's median (p50), else the first that
     * did not pass; worst: the failing run with the lowest margin, else the
     * first that did not pass. Unset when every run passed. */
    struct run_pick typical, worst;
};

/* A finding about the board rather than the run. */
int finding_is_diagnosis(const struct finding *f);
/* The same diagnosis, figures aside. */
int same_diagnosis(const struct finding *a, const struct finding *b);

/* One board's distinct diagnoses across cells: each once, with the runs
 * that showed it and how many cells did. */
#define BOARD_MAX_DIAG 16
struct board_diagnoses {
    struct finding diag[BOARD_MAX_DIAG];
    int runs[BOARD_MAX_DIAG], cells[BOARD_MAX_DIAG];
    int n;
};
void board_diagnoses(const struct cell_stats *cells, int n_cells, const char *board, struct board_diagnoses *out);

/* The finding that best explains the cell's failures; NULL when none. */
const struct finding *cell_worst(const struct cell_stats *c);

/* A cell with no runs; `iterations` sizes its samples (they grow past it).
 * Allocates nothing: returns 0. */
int cell_init(struct cell_stats *c, const char *board, const char *host, const char *scenario,
              enum boot_mode expected, int iterations);
/* Counts a run; 0, or -1 when out of memory for its samples (or closed).
 * cell_add_run also says which run it was (for the typical and worst
 * runs); cell_add counts runs from 0 with seed 0. */
int cell_add(struct cell_stats *c, const struct analysis *a);
int cell_add_run(struct cell_stats *c, const struct analysis *a, int iteration, uint64_t seed);
/* The spreads from the samples, which are freed: the cell is complete.
 * Reading margin, gap and en_release needs it; a second call does nothing. */
void cell_close(struct cell_stats *c);
void cell_free(struct cell_stats *c);
/* No infrastructure error, and the runs meet the gate's pass rate (every
 * run, by default). */
int cell_met(const struct cell_stats *c);
enum gate_state cell_gate_state(const struct cell_stats *c);
const char *gate_state_name(enum gate_state g); /* "met", "failed", "known", "fixed", "error" */
/* How many cells are in each gate_state; the exit status they make (0, 1 or 3). */
struct gate_counts {
    int n[GATE_ERROR + 1];
};
struct gate_counts gate_count(const struct cell_stats *cells, int n);
int gate_exit_status(const struct gate_counts *g);

/* The typical and worst run, followed as a cell's runs are counted
 * (results_pick.c; results.c calls the first two), and a cell's samples
 * as the store keeps them. */
/* Notes run `iteration` (seed) before its figures join the samples. */
void cell_pick_note(struct cell_stats *c, const struct analysis *a, int iteration, uint64_t seed);
/* Sets c->typical and c->worst from the samples, before they are sorted. */
void cell_pick_runs(struct cell_stats *c, const struct cell_samples *s);

/* The strap margins and DTR/RTS gaps of an open cell as 32-bit floats, in
 * the order of its runs (malloc'd; NULL when there are none): what the
 * store keeps of a cell's samples. 0, or -1 when out of memory. */
int cell_sample_floats(const struct cell_stats *c, float **margin, int *n_margin, float **gap, int *n_gap);

/* The same cell of another session (a group's report) counted into c, both
 * closed: counts, outcomes, findings and diagnoses exactly; n, min and
 * max of each spread exactly, its percentiles those of the cell with more
 * samples (the samples themselves are not kept); the worst run the worse
 * of the two, the typical run that of the cell with more runs. */
void cell_pool(struct cell_stats *c, const struct cell_stats *other);

/* The spread of x[0..n-1], which it sorts. */
struct spread spread_of(double *x, int n);

/* Nearest-rank percentile of `n` samples (sorted in place); NaN when n = 0. */
double percentile(double *x, int n, double p);
/* The same for samples that must stay as they are: out[i] is the p[i]
 * percentile of a sorted copy (p 0 = min, 1 = max); NaN when there are no
 * samples or no memory for the copy. */
void percentiles_of(const double *x, int n, const double *p, double *out, int n_p);

/* JSON values as every export writes them: numbers with 4 decimals (NaN
 * and infinities as null), strings escaped. */
void json_num(FILE *f, double v);
void json_str(FILE *f, const char *s);

void write_run_json(FILE *f, const struct run_record *r);
/* write_run_json's members before its findings, from "{" to the ", " after
 * the last (results_capture.c ends the line its own way). */
void write_run_json_fields(FILE *f, const struct run_record *r);
/* resetlab analyze's line: write_run_json's, with "resets" counting every
 * reset, "reset_events" listing each, every finding and findings_cut. */
void write_capture_json(FILE *f, const struct run_record *r, const struct analysis_lists *all);
/* A run's judgement as JSON members, each after ", ": outcome, verdict,
 * resets, sync, margin_ms and gap_ms (runs.jsonl and serve.jsonl). */
void write_verdict_json(FILE *f, const struct analysis *a);
/* What a tool's connect loop saw, as a JSON object: connected, attempts,
 * strategy, connect_ms, after (null: no after-reset), error (null). */
void write_tool_json(FILE *f, const struct tool_outcome *t);
/* Findings as a JSON array (kind, t_ms, severity, message): a list, the analysis's. */
void write_finding_list_json(FILE *f, const struct finding *list, int n);
void write_findings_json(FILE *f, const struct analysis *a);
void write_summary_json(FILE *f, uint64_t seed, int iterations, struct cell_stats *cells, int n);
/* summary.json's " \"cells\": [...]" member alone, for another document. */
void write_cells_json(FILE *f, struct cell_stats *cells, int n);

#endif
