/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report's tools card (html_internal.h): for every tool's
 * connect loop (esptool, espflash, esptool-js: docs/tools.md), per board
 * and host, how often it connected, on which attempt and after how many
 * ms, as its users would see it. The pass-rate matrix below it keeps the
 * verdicts; this card is the answer to "will it connect from here".
 * May call: html.c (text, pass rate figures and colours), reports/
 * (results), libc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "html_internal.h"

/* A row: one board × tool. */
struct tool_row {
    const char *board, *scenario;
};

static int tool_rows(const struct html_report *r, struct tool_row *rows)
{
    int n = 0;
    for (int i = 0; i < r->n_cells; i++) {
        const struct cell_stats *c = &r->stats[i];
        if (c->tool_runs == 0)
            continue;
        int k = 0;
        while (k < n && !(strcmp(rows[k].board, c->board) == 0 && strcmp(rows[k].scenario, c->scenario) == 0))
            k++;
        if (k == n)
            rows[n++] = (struct tool_row){c->board, c->scenario};
    }
    return n;
}

static const struct cell_stats *tool_cell(const struct html_report *r, const struct tool_row *w, const char *host)
{
    for (int i = 0; i < r->n_cells; i++) {
        const struct cell_stats *c = &r->stats[i];
        if (c->tool_runs && strcmp(c->board, w->board) == 0 && strcmp(c->scenario, w->scenario) == 0 &&
            strcmp(c->host, host) == 0)
            return c;
    }
    return NULL;
}

/* "100 %, attempt 1, 290 ms": the connect rate, the median attempt and time. */
static void put_tool_cell(FILE *f, const struct cell_stats *c)
{
    char colour[8], rate[16];
    html_rate_colour((double)c->connected / c->tool_runs, c->connected == c->tool_runs, colour);
    fprintf(f, "<td class=\"rate\" style=\"background:%s\" title=\"", colour);
    html_put_textf(f, "connected in %d of %d runs", c->connected, c->tool_runs);
    if (c->connected)
        html_put_textf(f, "; attempt p50 %g, p95 %g, max %g; ms to connect p50 %.0f, p95 %.0f, max %.0f",
                       c->attempts.p50, c->attempts.p95, c->attempts.max, c->connect_ms.p50, c->connect_ms.p95,
                       c->connect_ms.max);
    fprintf(f, "\"><span class=\"pct\">%s %%</span>", html_rate_text(c->connected, c->tool_runs, rate, sizeof rate));
    if (c->connected)
        fprintf(f, " <span class=\"ci\">#%g, %.0f ms</span>", c->attempts.p50, c->connect_ms.p50);
    fputs("</td>", f);
}

static void put_tool_row(FILE *f, const struct html_report *r, const struct tool_row *rows, int at)
{
    int first = at == 0 || strcmp(rows[at - 1].board, rows[at].board) != 0;
    fputs(first ? "<tr class=\"first\"><th class=\"board\" scope=\"row\">" : "<tr><th class=\"board\" scope=\"row\">", f);
    if (first)
        html_put_text(f, rows[at].board);
    fputs("</th><td class=\"scen\">", f);
    html_put_text(f, rows[at].scenario);
    fputs("</td>", f);
    for (int h = 0; h < r->n_hosts; h++) {
        const struct cell_stats *c = tool_cell(r, &rows[at], r->hosts[h]);
        if (c == NULL)
            fputs("<td class=\"na\" title=\"does not apply\"></td>", f);
        else
            put_tool_cell(f, c);
    }
    fputs("</tr>\n", f);
}

void html_put_tools(FILE *f, const struct html_report *r)
{
    struct tool_row *rows = malloc(sizeof *rows * (size_t)(r->n_cells > 0 ? r->n_cells : 1));
    if (rows == NULL)
        return;
    int n = tool_rows(r, rows);
    if (n > 0) {
        fputs("<section class=\"card\" id=\"tools\">\n<h2>Will the tool connect?</h2>\n<p class=\"muted\">Each tool's "
              "whole connect loop, as its own code runs it (reset strategies cycled per OS and port, SYNC tries): "
              "how often it connected, on which attempt (median, #) and after how many ms (median, from the "
              "open to the first SYNC reply). Hover a cell for p95 and the worst.</p>\n",
              f);
        fputs("<div class=\"scroll box\"><table class=\"matrix\">\n<thead><tr><th class=\"left\" scope=\"col\">board</th>"
              "<th class=\"left\" scope=\"col\">tool</th>", f);
        html_put_host_columns(f, r);
        for (int i = 0; i < n; i++)
            put_tool_row(f, r, rows, i);
        fputs("</tbody></table></div>\n</section>\n", f);
    }
    free(rows);
}
