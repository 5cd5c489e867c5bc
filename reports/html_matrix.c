/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report's matrix (pass rate per board × scenario row and host
 * column, with its colour legend) and its board diagnoses (html_internal.h).
 * May call: html.c (text, pass rate figures and colours), reports/
 * (results), libc. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

#include "html_internal.h"

/* -------------------------------------------------------------- matrix -- */

/* A row of the matrix: one board × scenario, its cells found by host. */
struct row {
    const char *board, *scenario;
    enum boot_mode expected;
};

static int same_row(const struct cell_stats *c, const struct row *w)
{
    return strcmp(c->board, w->board) == 0 && strcmp(c->scenario, w->scenario) == 0;
}

/* The rows in the order their first cell ran; returns how many. */
static int matrix_rows(const struct html_report *r, struct row *rows)
{
    int n = 0;
    for (int i = 0; i < r->n_cells; i++) {
        const struct cell_stats *c = &r->stats[i];
        int k = n;
        while (k > 0 && !same_row(c, &rows[k - 1]))
            k--;
        if (k == 0)
            rows[n++] = (struct row){c->board, c->scenario, c->expected};
    }
    return n;
}

static int find_cell(const struct html_report *r, const struct row *w, const char *host)
{
    for (int i = 0; i < r->n_cells; i++)
        if (same_row(&r->stats[i], w) && strcmp(r->stats[i].host, host) == 0)
            return i;
    return -1;
}

/* A cell's gate beside its rate: "known" (title: the reason), "fixed",
 * or, with no board verdict, "error" in place of the rate. */
static void put_rate_cell(FILE *f, const struct html_report *r, int i)
{
    const struct cell_stats *c = &r->stats[i];
    enum gate_state g = cell_gate_state(c);
    char colour[8], rate[16], ci[48];
    if (g == GATE_ERROR) {
        fputs("<td class=\"rate\" style=\"background:#d0d4da\" title=\"", f);
        html_put_textf(f, "%d of %d runs were infrastructure errors: no board verdict", c->errors, c->runs);
        fprintf(f, "\"><a href=\"#cell-%d\"><span class=\"pct\">error</span></a></td>", i);
        return;
    }
    html_rate_colour(c->runs ? (double)c->passed / c->runs : 0, cell_met(c), colour);
    fprintf(f, "<td class=\"rate\" style=\"background:%s\" title=\"", colour);
    /* the brackets are explained once, in the matrix's legend (2,567 cells' titles said it again: 100 KB) */
    html_put_textf(f, "%d of %d runs passed (%d failed, %d errors)", c->passed, c->runs, c->failed, c->errors);
    if (g == GATE_KNOWN || g == GATE_FIXED)
        html_put_textf(f, "; %s: %s", g == GATE_KNOWN ? "known failure" : "fixed, remove from known",
                       c->gate.known_reason);
    fputs("\">", f);
    int linked = !cell_met(c);
    if (linked)
        fprintf(f, "<a href=\"#cell-%d\">", i);
    fprintf(f, "<span class=\"pct\">%s %%</span> <span class=\"ci\">%s</span>",
            html_rate_text(c->passed, c->runs, rate, sizeof rate),
            html_interval_text(c->passed, c->runs, ci, sizeof ci));
    if (g == GATE_KNOWN || g == GATE_FIXED)
        fprintf(f, " <span class=\"ci\">%s</span>", g == GATE_KNOWN ? "known" : "fixed");
    fputs(linked ? "</a></td>" : "</td>", f);
}

static int board_span(const struct row *rows, int n, int at)
{
    int k = at;
    while (k < n && strcmp(rows[k].board, rows[at].board) == 0)
        k++;
    return k - at;
}

static void put_matrix_row(FILE *f, const struct html_report *r, const struct row *rows, int n, int at)
{
    const struct row *w = &rows[at];
    int first = at == 0 || strcmp(rows[at - 1].board, w->board) != 0;
    fputs(first ? "<tr class=\"first\">" : "<tr>", f);
    if (first) {
        fprintf(f, "<th class=\"board\" rowspan=\"%d\" scope=\"rowgroup\">", board_span(rows, n, at));
        html_put_text(f, w->board);
        fputs("</th>", f);
    }
    fputs("<td class=\"scen\">", f);
    html_put_text(f, w->scenario);
    fputs("</td><td class=\"exp\">", f);
    html_put_text(f, boot_mode_name(w->expected));
    fputs("</td>", f);
    for (int h = 0; h < r->n_hosts; h++) {
        int i = find_cell(r, w, r->hosts[h]);
        if (i < 0)
            fputs("<td class=\"na\" title=\"does not apply\"></td>", f);
        else
            put_rate_cell(f, r, i);
    }
    fputs("</tr>\n", f);
}

static void put_legend(FILE *f)
{
    static const double stops[] = {0, 0.25, 0.5, 0.75, 0.999};
    char colour[8];
    fputs("<div class=\"legend\"><span class=\"ramp\"><div class=\"bar\" style=\"background:linear-gradient(to right", f);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        html_rate_colour(stops[i], 0, colour);
        fprintf(f, ",%s", colour);
    }
    fputs(")\"></div><div class=\"ticks\"><span>0 %</span><span>50 %</span><span>99.9 %</span></div></span>", f);
    html_rate_colour(1, 1, colour);
    fprintf(f, "<span><span class=\"sw\" style=\"background:%s\"></span>100 %%: met its expectation</span>", colour);
    fputs("<span><span class=\"sw\" style=\"background:#e8ebef\"></span>does not apply</span>"
          "<span><span class=\"sw\" style=\"background:#d0d4da\"></span>error: no board verdict "
          "(infrastructure)</span>"
          "<span class=\"muted\">pass rate, and its 95 % Wilson interval in brackets; known: a known failure "
          "(the gates file), fixed: known but met; a cell below its expectation links to its details</span></div>\n",
          f);
}

void html_put_host_columns(FILE *f, const struct html_report *r)
{
    for (int h = 0; h < r->n_hosts; h++) {
        fputs("<th scope=\"col\">", f);
        html_put_text(f, r->hosts[h]);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
}

void html_put_matrix(FILE *f, const struct html_report *r)
{
    struct row *rows = malloc(sizeof *rows * (size_t)(r->n_cells > 0 ? r->n_cells : 1));
    if (rows == NULL)
        return;
    int n = matrix_rows(r, rows);
    fputs("<section class=\"card\" id=\"matrix\">\n<h2>Pass rate per cell</h2>\n", f);
    put_legend(f);
    fputs("<div class=\"scroll box\"><table class=\"matrix\">\n<thead><tr><th class=\"left\" scope=\"col\">board</th>"
          "<th class=\"left\" scope=\"col\">scenario</th><th class=\"left\" scope=\"col\">expect</th>", f);
    html_put_host_columns(f, r);
    for (int i = 0; i < n; i++)
        put_matrix_row(f, r, rows, n, i);
    fputs("</tbody></table></div>\n</section>\n", f);
    free(rows);
}

/* ----------------------------------------------------------- diagnoses -- */

static int board_seen_before(const struct html_report *r, int i)
{
    for (int k = 0; k < i; k++)
        if (strcmp(r->stats[k].board, r->stats[i].board) == 0)
            return 1;
    return 0;
}

static void put_board_diagnoses(FILE *f, const struct html_report *r, const char *board, int *shown)
{
    struct board_diagnoses bd;
    board_diagnoses(r->stats, r->n_cells, board, &bd);
    int runs = 0;
    for (int i = 0; i < r->n_cells; i++)
        runs += strcmp(r->stats[i].board, board) == 0 ? r->stats[i].runs : 0;
    for (int k = 0; k < bd.n; k++) {
        fputs(*shown ? "" : "<ul class=\"tight\">\n", f);
        *shown = 1;
        fputs("<li><b>", f);
        html_put_text(f, board);
        fputs("</b>: ", f);
        html_put_text(f, bd.diag[k].message);
        html_put_textf(f, " (%d of %d runs, %d cells)", bd.runs[k], runs, bd.cells[k]);
        fputs("</li>\n", f);
    }
}

void html_put_diagnoses(FILE *f, const struct html_report *r)
{
    fputs("<section class=\"card\" id=\"diagnoses\">\n<h2>Board diagnoses</h2>\n<p class=\"muted\">Truth-table "
          "and EN RC findings from every run, passing or not: a faulty board can still pass a reset.</p>\n", f);
    int shown = 0;
    for (int i = 0; i < r->n_cells; i++)
        if (!board_seen_before(r, i))
            put_board_diagnoses(f, r, r->stats[i].board, &shown);
    fputs(shown ? "</ul>\n" : "<p>None: every board followed its circuit table and its EN RC.</p>\n", f);
    fputs("</section>\n", f);
}
