/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Results of a matrix (results.h): a cell's counts and spreads, the runs
 * and cells as JSON (runs.jsonl, summary.json) and the console table.
 * May call: analyzers/ (types), reports/stats.c, libc. */
#include "results.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int cell_init(struct cell_stats *c, const char *board, const char *host, const char *scenario,
              enum boot_mode expected, int iterations)
{
    memset(c, 0, sizeof *c);
    c->board = board;
    c->host = host;
    c->scenario = scenario;
    c->expected = expected;
    c->gate.min_rate = 1;
    c->gate.z = STATS_Z95;
    c->expected_runs = iterations > 0 ? iterations : 1;
    return 0;
}

static void samples_free(struct cell_samples *s)
{
    if (s == NULL)
        return;
    free(s->margin);
    free(s->gap);
    free(s->en_release);
    free(s->attempts);
    free(s->connect_ms);
    free(s->margin_iteration);
    free(s->margin_seed);
    free(s->margin_vo);
    free(s);
}

void cell_free(struct cell_stats *c)
{
    samples_free(c->samples);
    c->samples = NULL;
}

static int samples_grow(struct cell_samples *s, int cap)
{
    double **arrays[] = {&s->margin, &s->gap, &s->en_release, &s->attempts, &s->connect_ms};
    for (int k = 0; k < 5; k++) {
        double *x = realloc(*arrays[k], sizeof(double) * (size_t)cap);
        if (x == NULL)
            return -1;
        *arrays[k] = x;
    }
    int *it = realloc(s->margin_iteration, sizeof *it * (size_t)cap);
    if (it)
        s->margin_iteration = it;
    uint64_t *seed = realloc(s->margin_seed, sizeof *seed * (size_t)cap);
    if (seed)
        s->margin_seed = seed;
    unsigned char *vo = realloc(s->margin_vo, (size_t)cap);
    if (vo)
        s->margin_vo = vo;
    if (!it || !seed || !vo)
        return -1;
    s->cap = cap;
    return 0;
}

/* Room for one more run's figures. */
static int samples_room(struct cell_stats *c)
{
    if (c->closed)
        return -1;
    if (c->samples == NULL && (c->samples = calloc(1, sizeof *c->samples)) == NULL)
        return -1;
    struct cell_samples *s = c->samples;
    if (s->n_margin < s->cap && s->n_gap < s->cap && s->n_en_release < s->cap && s->n_attempts < s->cap &&
        s->n_connect < s->cap)
        return 0;
    if (s->cap > INT_MAX / 2)
        return -1;
    return samples_grow(s, s->cap ? 2 * s->cap : c->expected_runs);
}

static void add_sample(double *x, int *n, double v)
{
    if (!isnan(v))
        x[(*n)++] = v;
}

int finding_is_diagnosis(const struct finding *f)
{
    return strcmp(f->kind, "truth-table") == 0 || strcmp(f->kind, "rc-mismatch") == 0;
}

int same_diagnosis(const struct finding *a, const struct finding *b)
{
    if (strcmp(a->kind, b->kind) != 0)
        return 0;
    if (strcmp(a->kind, "rc-mismatch") == 0) /* its figures vary from run to run */
        return 1;
    const char *figures = strstr(a->message, " after its release"); /* "IO0 rose X ms after its release" */
    if (figures && strstr(b->message, " after its release"))
        return 1;
    return strcmp(a->message, b->message) == 0;
}

/* Each distinct diagnosis once per run; its first message stands for all. */
void board_diagnoses(const struct cell_stats *cells, int n_cells, const char *board, struct board_diagnoses *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n_cells; i++) {
        if (strcmp(cells[i].board, board) != 0)
            continue;
        for (int d = 0; d < cells[i].n_diag; d++) {
            int k = 0;
            while (k < out->n && !same_diagnosis(&out->diag[k], &cells[i].diag[d]))
                k++;
            if (k == out->n && out->n < BOARD_MAX_DIAG)
                out->diag[out->n++] = cells[i].diag[d];
            if (k < BOARD_MAX_DIAG) {
                out->runs[k] += cells[i].diag_count[d];
                out->cells[k]++;
            }
        }
    }
}

static void add_diagnoses(struct cell_stats *c, const struct analysis *a)
{
    int counted[CELL_MAX_DIAG] = {0};
    for (int i = 0; i < a->n_findings; i++) {
        const struct finding *f = &a->findings[i];
        if (!finding_is_diagnosis(f))
            continue;
        int k = 0;
        while (k < c->n_diag && !same_diagnosis(&c->diag[k], f))
            k++;
        if (k == c->n_diag) {
            if (k == CELL_MAX_DIAG)
                continue;
            c->diag[c->n_diag++] = *f;
        }
        if (!counted[k]++)
            c->diag_count[k]++;
    }
}

int cell_add(struct cell_stats *c, const struct analysis *a)
{
    return cell_add_run(c, a, c->runs, 0);
}

int cell_add_run(struct cell_stats *c, const struct analysis *a, int iteration, uint64_t seed)
{
    if (samples_room(c) != 0)
        return -1;
    cell_pick_note(c, a, iteration, seed);
    add_diagnoses(c, a);
    c->runs++;
    if (a->verdict == VERDICT_ERROR) {
        c->errors++;
    } else {
        struct cell_samples *s = c->samples;
        c->passed += a->verdict == VERDICT_PASS;
        c->failed += a->verdict == VERDICT_FAIL;
        c->outcomes[a->outcome]++;
        add_sample(s->margin, &s->n_margin, a->margin_ms);
        add_sample(s->gap, &s->n_gap, a->gap_ms);
        add_sample(s->en_release, &s->n_en_release, a->en_release_ms);
        if (a->tool.ran) {
            c->tool_runs++;
            c->connected += a->tool.connected;
            if (a->tool.connected) {
                add_sample(s->attempts, &s->n_attempts, a->tool.attempts);
                add_sample(s->connect_ms, &s->n_connect, a->tool.connect_ms);
            }
        }
    }
    if (a->verdict == VERDICT_PASS)
        return 0;
    for (int i = 0; i < a->n_findings; i++) {
        int k = 0;
        while (k < c->n_kinds && strcmp(c->kinds[k].kind, a->findings[i].kind) != 0)
            k++;
        if (k == c->n_kinds) {
            if (k == CELL_MAX_KINDS)
                continue;
            c->kinds[c->n_kinds++] = a->findings[i];
            c->kind_margin[k] = a->verdict == VERDICT_FAIL ? a->margin_ms : NAN;
        } else if (a->verdict == VERDICT_FAIL && isfinite(a->margin_ms) &&
                   !(isfinite(c->kind_margin[k]) && c->kind_margin[k] <= a->margin_ms)) {
            c->kinds[k] = a->findings[i]; /* a worse run: its words go with the worst-run diagram */
            c->kind_margin[k] = a->margin_ms;
        }
        c->kind_count[k]++;
    }
    return 0;
}

void cell_close(struct cell_stats *c)
{
    if (c->closed)
        return;
    struct cell_samples none = {0}, *s = c->samples ? c->samples : &none;
    cell_pick_runs(c, s); /* before spread_of sorts the margins */
    c->margin = spread_of(s->margin, s->n_margin);
    c->gap = spread_of(s->gap, s->n_gap);
    c->en_release = spread_of(s->en_release, s->n_en_release);
    c->attempts = spread_of(s->attempts, s->n_attempts);
    c->connect_ms = spread_of(s->connect_ms, s->n_connect);
    cell_free(c);
    c->closed = 1;
}

const struct finding *cell_worst(const struct cell_stats *c)
{
    int best = -1;
    for (int k = 0; k < c->n_kinds; k++)
        if (best < 0 || c->kinds[k].severity > c->kinds[best].severity ||
            (c->kinds[k].severity == c->kinds[best].severity && c->kind_count[k] > c->kind_count[best]))
            best = k;
    return best < 0 ? NULL : &c->kinds[best];
}

/* The runs with a verdict meet the gate's pass rate. */
static int rate_met(const struct cell_stats *c)
{
    int n = c->passed + c->failed;
    double lo, hi;
    if (n <= 0)
        return 0;
    if (c->gate.min_rate >= 1)
        return c->passed == n;
    return wilson_interval(c->passed, n, c->gate.z, &lo, &hi) == 0 && lo >= c->gate.min_rate;
}

int cell_met(const struct cell_stats *c)
{
    return c->runs > 0 && c->errors == 0 && rate_met(c);
}

enum gate_state cell_gate_state(const struct cell_stats *c)
{
    if (c->runs == 0 || (c->errors > 0 && (c->passed + c->failed == 0 || rate_met(c))))
        return GATE_ERROR;
    if (cell_met(c))
        return c->gate.known_reason ? GATE_FIXED : GATE_MET;
    return c->gate.known_reason ? GATE_KNOWN : GATE_FAILED;
}

const char *gate_state_name(enum gate_state g)
{
    static const char *const names[] = {"met", "failed", "known", "fixed", "error"};
    return g <= GATE_ERROR ? names[g] : "?";
}

struct gate_counts gate_count(const struct cell_stats *cells, int n)
{
    struct gate_counts g = {{0}};
    for (int i = 0; i < n; i++)
        g.n[cell_gate_state(&cells[i])]++;
    return g;
}

int gate_exit_status(const struct gate_counts *g)
{
    return g->n[GATE_FAILED] ? 1 : g->n[GATE_ERROR] ? 3 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The nearest rank (1-based) of percentile p among n samples. */
static int nearest_rank(double p, int n)
{
    int rank = (int)ceil(p * n);
    return rank < 1 ? 1 : rank;
}

double percentile(double *x, int n, double p)
{
    if (n <= 0)
        return NAN;
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return x[nearest_rank(p, n) - 1];
}

struct spread spread_of(double *x, int n)
{
    if (n <= 0)
        return (struct spread){0, NAN, NAN, NAN, NAN, NAN, NAN};
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    static const double p[] = {0.05, 0.5, 0.95, 0.99};
    double q[4];
    for (int i = 0; i < 4; i++)
        q[i] = x[nearest_rank(p[i], n) - 1];
    return (struct spread){n, x[0], q[0], q[1], q[2], q[3], x[n - 1]};
}

void percentiles_of(const double *x, int n, const double *p, double *out, int n_p)
{
    double *copy = n > 0 ? malloc(sizeof *copy * (size_t)n) : NULL;
    if (copy)
        memcpy(copy, x, sizeof *copy * (size_t)n);
    for (int i = 0; i < n_p; i++)
        out[i] = copy ? percentile(copy, n, p[i]) : NAN;
    free(copy);
}

/* JSON numbers: NaN has no JSON form, so it is null. Otherwise printf's "%.4f" for the figures of every run (printf's float formatting
 * was 7 % of a simulated run): the value scaled to 1e-4 units and rounded,
 * printed as an integer. Where the scaling could land on the other side of
 * a rounding tie, and for huge values, printf itself. */
void json_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v)) {
        fputs("null", f);
        return;
    }
    double scaled = fabs(v) * 1e4, units = nearbyint(scaled);
    if (scaled > 1e15 || fabs(fabs(scaled - units) - 0.5) < 1e-6) {
        fprintf(f, "%.4f", v);
        return;
    }
    uint64_t u = (uint64_t)units;
    fprintf(f, "%s%llu.%04u", signbit(v) ? "-" : "", (unsigned long long)(u / 10000), (unsigned)(u % 10000));
}

/* Spans without anything to escape go out in one fwrite. */
void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (;;) {
        size_t span = 0;
        while (s[span] && s[span] != '"' && s[span] != '\\' && (unsigned char)s[span] >= 0x20)
            span++;
        fwrite(s, 1, span, f);
        s += span;
        unsigned char ch = (unsigned char)*s;
        if (ch == '\0')
            break;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else
            fprintf(f, "\\u%04x", ch);
        s++;
    }
    fputc('"', f);
}

void write_finding_list_json(FILE *f, const struct finding *list, int n)
{
    fputs("[", f);
    for (int i = 0; i < n; i++) {
        const struct finding *x = &list[i];
        fputs(i ? ", {\"kind\": " : "{\"kind\": ", f);
        json_str(f, x->kind);
        fputs(", \"t_ms\": ", f);
        json_num(f, (double)x->t_ns / 1e6);
        fputs(", \"severity\": ", f);
        json_str(f, severity_name(x->severity));
        fputs(", \"message\": ", f);
        json_str(f, x->message);
        fputs("}", f);
    }
    fputs("]", f);
}

void write_findings_json(FILE *f, const struct analysis *a)
{
    write_finding_list_json(f, a->findings, a->n_findings);
}

void write_verdict_json(FILE *f, const struct analysis *a)
{
    fputs(", \"outcome\": ", f);
    json_str(f, a->verdict == VERDICT_ERROR ? "error" : boot_mode_name(a->outcome));
    fputs(", \"verdict\": ", f);
    json_str(f, verdict_name(a->verdict));
    fprintf(f, ", \"resets\": %d, \"sync\": %s, \"margin_ms\": ", a->n_resets_seen > a->n_resets ? a->n_resets_seen : a->n_resets,
            a->sync < 0 ? "null" : a->sync ? "true" : "false");
    json_num(f, a->margin_ms);
    fputs(", \"gap_ms\": ", f);
    json_num(f, a->gap_ms);
}

void write_tool_json(FILE *f, const struct tool_outcome *t)
{
    fprintf(f, "{\"connected\": %s, \"attempts\": %d, \"strategy\": ", t->connected ? "true" : "false", t->attempts);
    json_str(f, t->strategy);
    fputs(", \"connect_ms\": ", f);
    json_num(f, t->connect_ms);
    fputs(", \"after\": ", f);
    if (t->after == BOOT_ANY)
        fputs("null", f);
    else
        json_str(f, boot_mode_name(t->after));
    fputs(", \"error\": ", f);
    if (t->error[0])
        json_str(f, t->error);
    else
        fputs("null", f);
    fputc('}', f);
}

void write_run_json_fields(FILE *f, const struct run_record *r)
{
    const struct analysis *a = r->a;
    fputs("{\"board\": ", f);
    json_str(f, r->board);
    fputs(", \"host\": ", f);
    json_str(f, r->host);
    fputs(", \"scenario\": ", f);
    json_str(f, r->scenario);
    fprintf(f, ", \"iteration\": %d, \"seed\": %llu, \"expected\": ", r->iteration, (unsigned long long)r->seed);
    json_str(f, boot_mode_name(r->expected));
    write_verdict_json(f, a);
    fputs(", \"en_release_ms\": ", f);
    json_num(f, a->en_release_ms);
    fputs(", \"tau_ms\": ", f);
    json_num(f, a->tau_ms);
    fprintf(f, ", \"en_fit_samples\": %d, ", a->en_fit_samples);
    if (a->tool.ran) {
        fputs("\"tool\": ", f);
        write_tool_json(f, &a->tool);
        fputs(", ", f);
    }
}

/* flockfile: one lock for the line, not one per fputc. */
void write_run_json(FILE *f, const struct run_record *r)
{
    flockfile(f);
    write_run_json_fields(f, r);
    fputs("\"findings\": ", f);
    write_findings_json(f, r->a);
    fputs("}\n", f);
    funlockfile(f);
}

static void write_spread3(FILE *f, const struct spread *s)
{
    fputs("{\"p50\": ", f);
    json_num(f, s->p50);
    fputs(", \"p95\": ", f);
    json_num(f, s->p95);
    fputs(", \"max\": ", f);
    json_num(f, s->max);
    fputc('}', f);
}

/* A tool's cell: how often it connected, on which attempt, how fast. */
static void write_tool_cell(FILE *f, const struct cell_stats *c)
{
    fprintf(f, ",\n     \"tool\": {\"runs\": %d, \"connected\": %d, \"connect_rate\": ", c->tool_runs, c->connected);
    json_num(f, (double)c->connected / c->tool_runs);
    fputs(", \"attempts\": ", f);
    write_spread3(f, &c->attempts);
    fputs(", \"connect_ms\": ", f);
    write_spread3(f, &c->connect_ms);
    fputc('}', f);
}

/* The cell's gate: its state, the tolerance when it has one (confidence
 * from z: erf(z/√2)), and the known failure that covers it. */
static void write_gate_json(FILE *f, const struct cell_stats *c)
{
    fputs(",\n     \"gate\": ", f);
    json_str(f, gate_state_name(cell_gate_state(c)));
    if (c->gate.min_rate < 1) {
        fputs(", \"min_rate\": ", f);
        json_num(f, c->gate.min_rate);
        fputs(", \"confidence\": ", f);
        json_num(f, erf(c->gate.z / sqrt(2.0)));
    }
    if (c->gate.known_reason == NULL)
        return;
    fputs(", \"known\": {\"reason\": ", f);
    json_str(f, c->gate.known_reason);
    fputs(", \"link\": ", f);
    if (c->gate.known_link)
        json_str(f, c->gate.known_link);
    else
        fputs("null", f);
    fputs(", \"where\": ", f);
    json_str(f, c->gate.known_where ? c->gate.known_where : "");
    fputc('}', f);
}

static void write_cell(FILE *f, struct cell_stats *c)
{
    fputs("    {\"board\": ", f);
    json_str(f, c->board);
    fputs(", \"host\": ", f);
    json_str(f, c->host);
    fputs(", \"scenario\": ", f);
    json_str(f, c->scenario);
    fputs(", \"expected\": ", f);
    json_str(f, boot_mode_name(c->expected));
    fprintf(f, ",\n     \"runs\": %d, \"passed\": %d, \"failed\": %d, \"errors\": %d, \"pass_rate\": ", c->runs,
            c->passed, c->failed, c->errors);
    json_num(f, c->runs ? (double)c->passed / c->runs : NAN);
    fprintf(f, ",\n     \"outcomes\": {\"download\": %d, \"flash\": %d, \"no-reset\": %d, \"marginal\": %d}",
            c->outcomes[BOOT_DOWNLOAD], c->outcomes[BOOT_FLASH], c->outcomes[BOOT_NONE], c->outcomes[BOOT_MARGINAL]);
    fputs(",\n     \"margin_ms\": {\"min\": ", f);
    json_num(f, c->margin.min);
    fputs(", \"p50\": ", f);
    json_num(f, c->margin.p50);
    fputs("}, \"gap_ms\": {\"p50\": ", f);
    json_num(f, c->gap.p50);
    fputs(", \"p99\": ", f);
    json_num(f, c->gap.p99);
    fputs("}, \"en_release_ms\": {\"p50\": ", f);
    json_num(f, c->en_release.p50);
    fputs("}", f);
    if (c->tool_runs > 0)
        write_tool_cell(f, c);
    fputs(",\n     \"diagnoses\": [", f);
    for (int i = 0; i < c->n_diag; i++) {
        fprintf(f, "%s{\"runs\": %d, \"message\": ", i ? ", " : "", c->diag_count[i]);
        json_str(f, c->diag[i].message);
        fputs("}", f);
    }
    fputs("],\n     \"worst_finding\": ", f);
    if (cell_worst(c))
        json_str(f, cell_worst(c)->message);
    else
        fputs("null", f);
    write_gate_json(f, c);
    fputs("}", f);
}

void write_summary_json(FILE *f, uint64_t seed, int iterations, struct cell_stats *cells, int n)
{
    int met = 0;
    for (int i = 0; i < n; i++)
        met += cell_met(&cells[i]);
    struct gate_counts g = gate_count(cells, n);
    fprintf(f, "{\"seed\": %llu, \"iterations\": %d, \"cells_total\": %d, \"cells_met\": %d,\n", (unsigned long long)seed,
            iterations, n, met);
    fprintf(f, " \"cells_known\": %d, \"cells_fixed\": %d, \"cells_failed\": %d, \"cells_error\": %d, \"exit_status\": %d,\n",
            g.n[GATE_KNOWN], g.n[GATE_FIXED], g.n[GATE_FAILED], g.n[GATE_ERROR], gate_exit_status(&g));
    write_cells_json(f, cells, n);
    fputs("}\n", f);
}

void write_cells_json(FILE *f, struct cell_stats *cells, int n)
{
    fputs(" \"cells\": [\n", f);
    for (int i = 0; i < n; i++) {
        write_cell(f, &cells[i]);
        fputs(i + 1 < n ? ",\n" : "\n", f);
    }
    fputs(" ]", f);
}
