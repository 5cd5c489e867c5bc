/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lab's gates file (docs/gates.md): the tolerance of an expectation
 * (a minimum pass rate judged on the Wilson lower bound at a confidence),
 * for the lab, a scenario or a cell, and the known failures the lab
 * accepts (board / host / scenario patterns, a reason, an optional link).
 * Errors are one line, "file:line: key.path: reason", for exit status 2. */
#ifndef RESETLAB_LAB_LAB_KNOWN_H
#define RESETLAB_LAB_LAB_KNOWN_H

#include <stddef.h>

#include "reports/results.h"
#include "sim/lab.h"

/* Past these the file is refused, with one line, before the work they
 * bound (and past lab_yaml.h's limits of every YAML file: 1 MiB, 64 deep,
 * 100,000 values): entries (known failures and tolerances together), the
 * patterns of one field, a pattern's, a reason's and a link's length. */
#define KNOWN_MAX_ENTRIES 1000
#define KNOWN_MAX_PATTERNS 64
#define KNOWN_PATTERN_MAX 63
#define KNOWN_REASON_MAX 300
#define KNOWN_LINK_MAX 200
/* The confidence of a tolerance, and its minimum pass rate. */
#define KNOWN_CONFIDENCE_MIN 0.5
#define KNOWN_CONFIDENCE_MAX 0.9999

/* Board, host and scenario patterns (fnmatch(3) globs: *, ?, [...]); a
 * field left out matches every name. */
struct known_match {
    char **pat[3]; /* board, host, scenario */
    int n[3];
    int line;
};

struct known_tolerance {
    struct known_match m;
    double min_rate, z;
};

struct known_entry {
    struct known_match m;
    char *reason, *link; /* link may be NULL */
    char where[560];     /* FILE:LINE */
    int cells;           /* cells of the run it covers (the caller counts) */
};

struct lab_gates {
    char file[512];
    double min_rate, z; /* the lab's tolerance: min_rate 1 (every run) unless the file says */
    struct known_tolerance *tol;
    struct known_entry *known;
    int n_tol, n_known;
};

/* Loads `file` into g (zeroed first); 0, or -1 with one line in err. */
int lab_gates_load(struct lab_gates *g, const char *file, char *err, size_t err_len);
void lab_gates_free(struct lab_gates *g);

/* Whether the cell (board, host, scenario) matches m. */
int known_matches(const struct known_match *m, const char *board, const char *host, const char *scenario);
/* The cell's tolerance: the last tolerances entry matching it, else the
 * lab's, else min_rate 1. */
void lab_gates_tolerance(const struct lab_gates *g, const char *board, const char *host, const char *scenario,
                         double *min_rate, double *z);
/* The first known failure matching the cell, or NULL. */
struct known_entry *lab_gates_known(const struct lab_gates *g, const char *board, const char *host,
                                    const char *scenario);
/* Sets c->gate from g (its board, host and scenario): the tolerance, and
 * the known failure's reason, link and FILE:LINE (g's strings, which must
 * outlive c). g NULL leaves cell_init's: every run, not known. */
void lab_gates_apply(const struct lab_gates *g, struct cell_stats *c);

/* A field of `m` with a pattern that matches no name of the lab (a typo):
 * 0 when none, else -1 with why ("board pattern 'devkit' matches no
 * board of the lab"). */
int known_check_names(const struct known_match *m, const struct lab *lab, char *why, size_t why_len);

/* z for a two-sided confidence c in (0, 1): erf(z / √2) = c, by bisection. */
double known_z_of(double confidence);

#endif
