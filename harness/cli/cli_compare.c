/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab compare`: two sessions (in one store or two) or two hosts of
 * one session, cell by cell (reports/compare.h); or a real session against
 * the virtual lab's prediction for it (--predict: reports/compare_predict.h).
 * May call: reports/ (compare.h, compare_predict.h, the store), harness/run (the prediction, the lab's
 * SHA-256), harness/lab (--hosts: calibrate's hosts file), libc. */
#include "cli_commands.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/compare.h"
#include "reports/compare_predict.h"
#include "harness/lab/lab_load.h"
#include "harness/run/run_predict.h"
#include "harness/run/run_session.h"
#include "cli.h"

#define COMPARE_MIN_SHIFT_MAX 1e6 /* --min-shift MS */

static const char usage[] =
    "usage: resetlab compare A B [--host NAME] [--json] [--html FILE] [--alpha P] [--min-shift MS]\n"
    "       resetlab compare A --host NAME --host NAME [--json] [--html FILE] ...\n"
    "       resetlab compare --predict REAL [--hosts FILE] [--profile NAME] [--json] [--alpha P]\n"
    "\n"
    "Compares two result sets cell by cell: two sessions (A and B), or two hosts of\n"
    "one session (the first --host is A). A side is a results store (results.db), a\n"
    "run folder holding one, or STORE:N for its session N; without :N, the store's\n"
    "newest complete session. A change is flagged only when it is statistically\n"
    "real: Fisher's exact test on the pass counts, the Mann-Whitney rank test on the\n"
    "strap margins, Holm-corrected over every test made (so comparing hundreds of\n"
    "cells does not flag noise), and for margins a shift of at least --min-shift.\n"
    "B worse than A is a regression.\n"
    "\n"
    "--predict REAL sets the virtual lab's prediction beside a session of real\n"
    "boards (REAL: a store, a run folder or STORE:N, as A): each of its cells is\n"
    "run again on the virtual lab, with the session's boards.yaml as it was\n"
    "recorded (refused when its SHA-256 changed) and scenarios, its seed and\n"
    "iterations, each real board by its model twin (port sim, the virtual\n"
    "analyzer at the real one's sample rate), on the host profile --profile NAME\n"
    "names, else the one named like the cell's host column (vm-usb-passthrough-kvm\n"
    "is modelled by vm-usb-passthrough; docs/compare.md). --hosts FILE adds the\n"
    "hosts `resetlab calibrate` measured: calibrate --name my-vm on the machine,\n"
    "run --host-label my-vm there, and the column my-vm is modelled by the\n"
    "profile measured on it. Per cell: both pass\n"
    "rates with Wilson 95 % intervals, and agree or disagree by Fisher's exact\n"
    "test, Holm-corrected over the cells at --alpha (p shown Holm-adjusted):\n"
    "  devkitc / vm-usb-passthrough-kvm / esptool-4x: model 100.0 % [98.1-100],\n"
    "  measured 97.5 % [94.3-98.9], disagree (p = 0.03)\n"
    "exit status then: 0 every cell agrees, 1 one disagrees, 2 bad input.\n"
    "\n"
    "options:\n"
    "  --host NAME     with one side: the two hosts to compare; with two: only this host\n"
    "  --json          one JSON document instead of the table\n"
    "  --html FILE     also write the comparison as an HTML page\n"
    "  --alpha P       family-wise error rate, 1e-9 to 0.5 (default 0.05)\n"
    "  --min-shift MS  smallest margin change worth flagging, 0 to 1000000 (default\n"
    "                  0.5 ms)\n"
    "  --predict REAL  the model against this session of real boards (above)\n"
    "  --profile NAME  with --predict: the lab's host profile the model runs on\n"
    "  --hosts FILE    with --predict: hosts added to the session's lab (one of the same\n"
    "                  name replaced), a file whose only section is hosts:, as\n"
    "                  `resetlab calibrate --out` writes it\n"
    "\n" CLI_NUMBERS_HELP
    "\n"
    "exit status: 0 no regression, 1 a regression, 2 bad input.\n";

struct compare_args {
    const char *side[2];
    const char *host[2];
    int n_sides, n_hosts, json;
    const char *html, *predict, *profile, *hosts;
    struct compare_opts o;
};

static int parse_option(struct compare_args *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--json") == 0)
        return c->json = 1, 0;
    static const char *const valued[] = {"--host", "--html", "--alpha", "--min-shift", "--predict", "--profile", "--hosts", NULL};
    int k = 0;
    while (valued[k] && strcmp(valued[k], a) != 0)
        k++;
    if (valued[k] == NULL)
        return cli_bad_input("compare: unknown option '%s'%s (resetlab help compare)", a, ""), -1;
    if (*i + 1 >= argc)
        return cli_bad_input("%s needs a value%s", a, ""), -1;
    const char *v = argv[++*i];
    switch (k) {
    case 0:
        if (c->n_hosts == 2)
            return cli_bad_input("compare: at most two --host options%s%s", "", ""), -1;
        c->host[c->n_hosts++] = v;
        return 0;
    case 1:
        c->html = v;
        return 0;
    case 2:
        return cli_parse_decimal("compare", a, v, "a number", 1e-9, 0.5, &c->o.alpha);
    case 4:
        c->predict = v;
        return 0;
    case 5:
        c->profile = v;
        return 0;
    case 6:
        c->hosts = v;
        return 0;
    default:
        return cli_parse_decimal("compare", a, v, "a number", 0, COMPARE_MIN_SHIFT_MAX, &c->o.min_shift_ms);
    }
}

static int parse_args(int argc, char **argv, struct compare_args *c)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            if (parse_option(c, argc, argv, &i) != 0)
                return -1;
        } else if (c->n_sides == 2) {
            return cli_bad_input("compare: more than two result sets ('%s')%s", argv[i], ""), -1;
        } else {
            c->side[c->n_sides++] = argv[i];
        }
    }
    if (c->predict && (c->n_sides || c->n_hosts || c->html))
        return cli_bad_input("compare: --predict takes one session and no A, B, --host or --html%s%s", "", ""), -1;
    if ((c->profile || c->hosts) && !c->predict)
        return cli_bad_input("compare: %s goes with --predict%s", c->profile ? "--profile" : "--hosts", ""), -1;
    if (c->predict)
        return 0;
    if (c->n_sides == 0)
        return cli_bad_input("compare: which results? (resetlab help compare)%s%s", "", ""), -1;
    if (c->n_sides == 1 && c->n_hosts != 2)
        return cli_bad_input("compare: one result set needs two --host options to compare%s%s", "", ""), -1;
    if (c->n_sides == 2 && c->n_hosts == 2)
        return cli_bad_input("compare: two result sets take at most one --host%s%s", "", ""), -1;
    return 0;
}

/* "DIR", "FILE" or "FILE:N" → the store's path and the session (0: newest complete). */
static int split_side(const char *spec, char *path, size_t len, long *session)
{
    *session = 0;
    snprintf(path, len, "%s", spec);
    char *colon = strrchr(path, ':');
    if (colon && colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        errno = 0;
        *session = strtol(colon + 1, NULL, 10); /* digits alone, as every number of the command line */
        *colon = '\0';
        if (*session <= 0 || errno != 0)
            return cli_bad_input("compare: '%s': sessions are numbered from 1 to 2^63-1%s", spec, ""), -1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        snprintf(path + n, len - n, "/results.db");
    }
    if (stat(path, &st) != 0)
        return cli_bad_input("compare: %s: no such results store%s", path, ""), -1;
    return 0;
}

/* The session asked for, or the newest complete one. */
static int pick_session(struct store *st, const char *path, long wanted, struct session_row *row)
{
    char err[600];
    if (wanted) {
        int found = store_session_get(st, wanted, row, err, sizeof err);
        if (found == 1)
            return 0;
        if (found < 0)
            fprintf(stderr, "resetlab: %s\n", err);
        else
            fprintf(stderr, "resetlab: compare: %s has no session %ld\n", path, wanted);
        return -1;
    }
    static struct session_row rows[64];
    int n = store_sessions(st, rows, 64, err, sizeof err);
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].status, "complete") == 0) {
            *row = rows[i];
            return 0;
        }
    if (n < 0)
        return cli_bad_input("%s%s", err, ""), -1;
    return cli_bad_input("compare: %s holds no complete session (name one with :N)%s", path, ""), -1;
}

static int load_side(const char *spec, const char *host, struct compare_side *side)
{
    char path[600], err[700];
    long wanted;
    if (split_side(spec, path, sizeof path, &wanted) != 0)
        return -1;
    struct store *st = store_open(path, STORE_READ, err, sizeof err);
    if (st == NULL)
        return cli_bad_input("%s%s", err, ""), -1;
    static struct session_row row;
    int rc = pick_session(st, path, wanted, &row);
    if (rc == 0 && compare_load(st, row.id, host, side, err, sizeof err) != 0) {
        cli_bad_input("compare: %s: %s", path, err);
        rc = -1;
    }
    if (rc == 0)
        snprintf(side->label, sizeof side->label, "%.80s session %lld (%s)%s%.40s", path, (long long)row.id,
                 row.facts.started, host ? ", host " : "", host ? host : "");
    store_close(st);
    return rc;
}

static int write_html(const char *path, const struct compare_side *a, const struct compare_side *b,
                      const struct compare_result *r, const struct compare_opts *o)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return cli_bad_input("compare: cannot write %s%s", path, ""), -1;
    compare_write_html(f, a, b, r, o);
    if (fclose(f) != 0)
        return cli_bad_input("compare: %s: write failed%s", path, ""), -1;
    return 0;
}

/* ---- --predict ------------------------------------------------------------ */

/* The value after `key`'s line in a session's recorded options; NULL. */
static const char *recorded(const char *options, const char *key, char *buf, size_t len)
{
    size_t k = strlen(key);
    for (const char *line = options; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, k) == 0 && line[k] == '\n') {
            const char *v = line + k + 1;
            snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
            return buf;
        }
    return NULL;
}

/* The lab the session ran on, as recorded: its boards.yaml unchanged. */
static int session_lab(const struct session_row *row, struct lab *lab)
{
    static char scenarios[600], boards[600]; /* recorded absolute; boards_file as it was given */
    struct cli_common c = {.boards = recorded(row->facts.options, "--boards", boards, sizeof boards),
                           .scenarios = recorded(row->facts.options, "--scenarios", scenarios, sizeof scenarios)};
    if (c.boards == NULL)
        c.boards = row->facts.boards_file;
    char sha[65], err[512];
    if (lab_sha256(c.boards, sha, err, sizeof err) != 0 || strcmp(sha, row->facts.boards_sha256) != 0)
        return cli_bad_input("compare: --predict: %s is not the boards.yaml the session ran on (missing, or changed "
                             "since: its SHA-256 differs)%s", c.boards, ""), -1;
    return cli_load_lab(&c, lab);
}

static int compare_predict(const struct compare_args *c)
{
    char path[600], err[700];
    long wanted;
    if (split_side(c->predict, path, sizeof path, &wanted) != 0)
        return 2;
    struct store *st = store_open(path, STORE_READ, err, sizeof err);
    if (st == NULL)
        return cli_bad_input("%s%s", err, ""), 2;
    static struct session_row row;
    struct compare_side measured = {0}, model = {0};
    struct predict_result r = {0};
    struct lab lab;
    int rc = pick_session(st, path, wanted, &row) == 0 ? 0 : 2;
    if (rc == 0 && compare_load(st, row.id, NULL, &measured, err, sizeof err) != 0)
        rc = 2, cli_bad_input("compare: %s: %s", path, err);
    store_close(st);
    if (rc != 0 || session_lab(&row, &lab) != 0) {
        compare_side_free(&measured);
        return 2;
    }
    if (c->hosts && lab_load_hosts(&lab, c->hosts, err, sizeof err) != 0) {
        cli_bad_input("compare: --hosts: %s%s", err, "");
        compare_side_free(&measured);
        lab_free(&lab);
        return 2;
    }
    if (run_predict(&lab, &measured, c->profile, row.facts.iterations, row.facts.seed, &model, err, sizeof err) != 0)
        rc = 2, cli_bad_input("compare: --predict: %s%s", err, "");
    else if (predict_compare(&model, &measured, c->o.alpha, &r) != 0)
        rc = 2, fputs("resetlab: out of memory\n", stderr);
    if (rc == 0) {
        char ml[400], xl[400];
        snprintf(ml, sizeof ml, "virtual lab %.150s%s%.100s, host %.40s, %d runs a cell, seed %llu", lab.path,
                 c->hosts ? " + " : "", c->hosts ? c->hosts : "", c->profile ? c->profile : "profile named like each column",
                 row.facts.iterations, (unsigned long long)row.facts.seed);
        snprintf(xl, sizeof xl, "%.200s session %lld (%s, %.100s)", path, (long long)row.id, row.facts.started,
                 row.facts.hostname);
        (c->json ? predict_write_json : predict_write_table)(stdout, ml, xl, &r);
        rc = r.disagreements > 0;
    }
    predict_result_free(&r);
    compare_side_free(&model);
    compare_side_free(&measured);
    lab_free(&lab);
    return rc;
}

static int cli_compare(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    struct compare_args c = {.o = {.alpha = 0.05, .min_shift_ms = 0.5}};
    if (parse_args(argc, argv, &c) != 0)
        return 2;
    if (c.predict)
        return compare_predict(&c);
    struct compare_side a = {0}, b = {0};
    struct compare_result r = {0};
    int rc = 2;
    c.o.by_host = c.n_sides == 1;
    const char *host_a = c.n_hosts ? c.host[0] : NULL, *host_b = c.n_hosts == 2 ? c.host[1] : host_a;
    if (load_side(c.side[0], host_a, &a) != 0 || load_side(c.side[c.n_sides - 1], host_b, &b) != 0)
        goto out;
    if (compare_sides(&a, &b, &c.o, &r) != 0) {
        fprintf(stderr, "resetlab: out of memory\n");
        goto out;
    }
    if (c.json)
        compare_write_json(stdout, &a, &b, &r, &c.o);
    else
        compare_write_table(stdout, &a, &b, &r, &c.o);
    if (c.html && write_html(c.html, &a, &b, &r, &c.o) != 0)
        goto out;
    rc = r.regressions > 0 ? 1 : 0;
out:
    compare_result_free(&r);
    compare_side_free(&a);
    compare_side_free(&b);
    return rc;
}

const struct cli_command cli_compare_command = {"compare", "two sessions or two hosts cell by cell; flags statistically real changes", usage, cli_compare};
