/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The end-of-run table (run_table.h): one row per board and scenario, a
 * column per host; a cell prints its pass rate and its gate's mark, or
 * `error` when no board verdict was possible. Below it: the regressions
 * and errors with their figures, the known failures counted by reason,
 * the fixed ones to remove from the known failures, and the diagnoses.
 * May call: reports/ (cells, gates), harness/lab (known failures), libc. */
#include "run_table.h"

#include <string.h>

static struct cell_stats *find_cell(const struct run_table *t, const char *b, const char *h, const char *s)
{
    for (int i = 0; i < t->n_cells; i++)
        if (t->cells[i].board == b && t->cells[i].host == h && t->cells[i].scenario == s)
            return &t->cells[i];
    return NULL;
}

static int col_width(const char *host)
{
    int n = (int)strlen(host);
    return n < 8 ? 8 : n;
}

/* The mark after a pass rate: ' ' met, '*' a regression, 'k' known, '+' fixed. */
static char mark_of(enum gate_state g)
{
    return g == GATE_FAILED ? '*' : g == GATE_KNOWN ? 'k' : g == GATE_FIXED ? '+' : ' ';
}

static void print_header(FILE *out, const struct run_table *t)
{
    fprintf(out, "%-22s %-24s %-9s", "board", "scenario", "expect");
    for (int h = 0; h < t->n_hosts; h++)
        fprintf(out, " %*s", col_width(t->hosts[h]->name), t->hosts[h]->name);
    fputc('\n', out);
}

/* A row's cells: 0 when it has none, else 1 + whether one fails the job. */
static int row_kind(const struct run_table *t, int b, int s)
{
    int any = 0, failing = 0;
    for (int h = 0; h < t->n_hosts; h++) {
        struct cell_stats *c = find_cell(t, t->boards[b]->name, t->hosts[h]->name, t->scenarios[s]->name);
        if (c == NULL)
            continue;
        any = 1;
        enum gate_state g = cell_gate_state(c);
        failing |= g == GATE_FAILED || g == GATE_ERROR;
    }
    return any ? 1 + failing : 0;
}

static void print_row(FILE *out, const struct run_table *t, int b, int s)
{
    fprintf(out, "%-22s %-24s %-9s", t->boards[b]->name, t->scenarios[s]->name,
            boot_mode_name(t->scenarios[s]->expected));
    for (int h = 0; h < t->n_hosts; h++) {
        struct cell_stats *c = find_cell(t, t->boards[b]->name, t->hosts[h]->name, t->scenarios[s]->name);
        int w = col_width(t->hosts[h]->name);
        if (c == NULL)
            fprintf(out, " %*s ", w - 1, "-");
        else if (cell_gate_state(c) == GATE_ERROR)
            fprintf(out, " %*s ", w - 1, "error");
        else
            fprintf(out, " %*.1f%%%c", w - 2, 100.0 * c->passed / c->runs, mark_of(cell_gate_state(c)));
    }
    fputc('\n', out);
}

static void print_rates(FILE *out, const struct run_table *t)
{
    int header = 0;
    for (int b = 0; b < t->n_boards; b++)
        for (int s = 0; s < t->n_scenarios; s++) {
            int kind = row_kind(t, b, s);
            if (kind == 0 || (t->quiet && kind == 1))
                continue;
            if (!header++)
                print_header(out, t);
            print_row(out, t, b, s);
        }
}

static void print_failure(FILE *out, const struct cell_stats *c)
{
    const char *worst = cell_worst(c) ? cell_worst(c)->message : "-";
    if (c->tool_runs > 0 && c->connected > 0) /* a tool: what its users see first */
        fprintf(out, "  %s / %s / %s: connected %d of %d, attempt %g (median; at worst %g), %.0f ms (median); %s\n",
                c->board, c->host, c->scenario, c->connected, c->tool_runs, c->attempts.p50, c->attempts.max,
                c->connect_ms.p50, worst);
    else if (c->tool_runs > 0)
        fprintf(out, "  %s / %s / %s: connected 0 of %d; %s\n", c->board, c->host, c->scenario, c->tool_runs, worst);
    else
        fprintf(out, "  %s / %s / %s: download %d, flash %d, no-reset %d, marginal %d, errors %d; %s\n", c->board,
                c->host, c->scenario, c->outcomes[BOOT_DOWNLOAD], c->outcomes[BOOT_FLASH], c->outcomes[BOOT_NONE],
                c->outcomes[BOOT_MARGINAL], c->errors, worst);
}

/* The cells that fail the job, in full. */
static void print_failures(FILE *out, const struct run_table *t)
{
    int shown = 0;
    for (int i = 0; i < t->n_cells; i++) {
        enum gate_state g = cell_gate_state(&t->cells[i]);
        if (g != GATE_FAILED && g != GATE_ERROR)
            continue;
        if (!shown++)
            fprintf(out, "\n* cells that did not meet their expectation and are not known failures (outcomes; "
                         "worst finding):\n");
        print_failure(out, &t->cells[i]);
    }
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether an earlier entry has k's reason and link (counted with it). */
static int said_before(const struct lab_gates *g, int k)
{
    for (int j = 0; j < k; j++)
        if (same_text(g->known[j].reason, g->known[k].reason) && same_text(g->known[j].link, g->known[k].link))
            return 1;
    return 0;
}

/* The known failures that still fail, counted by reason; then the fixed. */
static void print_known(FILE *out, const struct run_table *t)
{
    int shown = 0;
    for (int k = 0; t->gates && k < t->gates->n_known; k++) {
        const struct known_entry *e = &t->gates->known[k];
        int n = 0;
        if (said_before(t->gates, k))
            continue;
        for (int i = 0; i < t->n_cells; i++)
            n += cell_gate_state(&t->cells[i]) == GATE_KNOWN && same_text(t->cells[i].gate.known_reason, e->reason) &&
                 same_text(t->cells[i].gate.known_link, e->link);
        if (n == 0)
            continue;
        if (!shown++)
            fprintf(out, "\nk known failures, cells by reason (%s):\n", t->gates->file);
        fprintf(out, "  %3d  %s%s%s%s\n", n, e->reason, e->link ? " (" : "", e->link ? e->link : "", e->link ? ")" : "");
    }
    shown = 0;
    for (int i = 0; i < t->n_cells; i++) {
        const struct cell_stats *c = &t->cells[i];
        if (cell_gate_state(c) != GATE_FIXED)
            continue;
        if (!shown++)
            fprintf(out, "\n+ known failures that now meet their expectation: fixed, remove from known:\n");
        fprintf(out, "  %s / %s / %s (%s)\n", c->board, c->host, c->scenario, c->gate.known_where);
    }
}

/* Per board, each distinct diagnosis with the runs that showed it. */
static void print_diagnoses(FILE *out, const struct run_table *t)
{
    int shown = 0;
    for (int b = 0; b < t->n_boards; b++) {
        const char *name = t->boards[b]->name;
        int runs = 0;
        for (int i = 0; i < t->n_cells; i++)
            runs += strcmp(t->cells[i].board, name) == 0 ? t->cells[i].runs : 0;
        struct board_diagnoses bd;
        board_diagnoses(t->cells, t->n_cells, name, &bd);
        for (int k = 0; k < bd.n; k++) {
            if (!shown++)
                fprintf(out, "\nboard diagnoses (truth table, EN RC), from every run, passing or not:\n");
            fprintf(out, "  %s: %s (%d of %d runs)\n", name, bd.diag[k].message, bd.runs[k], runs);
        }
    }
}

void run_table_summary(FILE *out, const struct cell_stats *cells, int n_cells)
{
    long long runs = 0;
    for (int i = 0; i < n_cells; i++)
        runs += cells[i].runs;
    struct gate_counts g = gate_count(cells, n_cells);
    fprintf(out, "%d of %d cells met their expectation (%lld runs); %d known failures, %d fixed, %d regressions, %d errors\n",
            g.n[GATE_MET] + g.n[GATE_FIXED], n_cells, runs, g.n[GATE_KNOWN], g.n[GATE_FIXED], g.n[GATE_FAILED],
            g.n[GATE_ERROR]);
}

void run_table_print(FILE *out, const struct run_table *t)
{
    if (t->quiet) {
        print_rates(out, t);
        run_table_summary(out, t->cells, t->n_cells);
        return;
    }
    fprintf(out, "pass rate per cell (board x scenario x host); '*' = below its expectation, 'k' = a known failure,\n"
                 "'+' = known but met (remove it from the known failures), error = no verdict (infrastructure),\n"
                 "'-' = does not apply\n\n");
    print_rates(out, t);
    print_failures(out, t);
    print_known(out, t);
    print_diagnoses(out, t);
    fputc('\n', out);
    run_table_summary(out, t->cells, t->n_cells);
}
