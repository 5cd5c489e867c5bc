/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report's cells below their expectation (per board and
 * scenario: the DTR/RTS gap plots, then each cell's finding, outcomes,
 * diagnoses, figures and timing diagrams) and its trends over sessions
 * (html_internal.h).
 * May call: html.c (text, pass rate figures and colours), reports/
 * (results), libc, libm. */
#include "html.h"

#include <math.h>
#include <string.h>

#include "html_internal.h"

/* ------------------------------------------------------------- numbers -- */

#define MINUS "\xE2\x88\x92" /* U+2212: a minus sign, not a hyphen */

/* A figure in ms with a real minus sign; "–" when there is none. */
static const char *ms(double v, int decimals, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "\xE2\x80\x93"); /* en dash */
    else if (v < 0 && fabs(v) >= 0.5 * pow(10, -decimals))
        snprintf(buf, len, MINUS "%.*f", decimals, -v);
    else
        snprintf(buf, len, "%.*f", decimals, fabs(v));
    return buf;
}

/* -------------------------------------------------------------- plots -- */

/* deferred: the image's address in data-src, set as its src when its
 * group is opened (html.c's script): a lazy image inside a closed
 * <details> is still fetched by Chromium, and the default session's 2,000
 * plots kept its page from painting for two minutes. */
static void put_plot(FILE *f, const struct html_plot *p, int deferred)
{
    if (p->src[0] == '\0') {
        if (p->note[0]) {
            fputs("<div class=\"note\">", f);
            html_put_text(f, p->note);
            fputs("</div>\n", f);
        }
        return;
    }
    fputs("<figure><a href=\"", f);
    html_put_text(f, p->src);
    fputs(deferred ? "\"><img loading=\"lazy\" width=\"1000\" height=\"560\" data-src=\""
                   : "\"><img loading=\"lazy\" width=\"1000\" height=\"560\" src=\"",
          f);
    html_put_text(f, p->src);
    fputs("\" alt=\"", f);
    html_put_text(f, p->caption);
    fputs("\"></a><figcaption>", f);
    html_put_text(f, p->caption);
    fputs("</figcaption></figure>\n", f);
}

static void put_plots(FILE *f, const struct html_plot *const *plots, int n, int deferred)
{
    fputs("<div class=\"plots\">\n", f);
    for (int i = 0; i < n; i++)
        put_plot(f, plots[i], deferred);
    fputs("</div>\n", f);
}

/* -------------------------------------------------------- cell details -- */

static void put_spread_row(FILE *f, const char *name, const struct spread *s)
{
    char b[5][32];
    fputs("<tr><td>", f);
    html_put_text(f, name);
    fprintf(f, "</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", s->n,
            ms(s->min, 3, b[0], 32), ms(s->p5, 3, b[1], 32), ms(s->p50, 3, b[2], 32), ms(s->p95, 3, b[3], 32),
            ms(s->max, 3, b[4], 32));
}

static void put_spreads(FILE *f, const struct cell_stats *c)
{
    fputs("<table class=\"nums\"><thead><tr><th>ms</th><th>runs</th><th>min</th><th>p5</th><th>p50</th><th>p95</th>"
          "<th>max</th></tr></thead><tbody>\n", f);
    put_spread_row(f, "strap margin", &c->margin);
    put_spread_row(f, "DTR/RTS gap", &c->gap);
    put_spread_row(f, "EN release", &c->en_release);
    fputs("</tbody></table>\n", f);
}

static void put_outcomes(FILE *f, const struct cell_stats *c)
{
    fputs("<table class=\"nums\"><thead><tr><th>outcome</th><th>runs</th></tr></thead><tbody>\n", f);
    static const enum boot_mode modes[] = {BOOT_DOWNLOAD, BOOT_FLASH, BOOT_NONE, BOOT_MARGINAL};
    for (int k = 0; k < 4; k++) {
        fputs("<tr><td>", f);
        html_put_text(f, boot_mode_name(modes[k]));
        fprintf(f, "%s</td><td>%d</td></tr>\n", modes[k] == c->expected ? " (expected)" : "", c->outcomes[modes[k]]);
    }
    fprintf(f, "<tr><td>error (infrastructure)</td><td>%d</td></tr>\n</tbody></table>\n", c->errors);
}

static void put_worst(FILE *f, const struct cell_stats *c)
{
    const struct finding *w = cell_worst(c);
    if (w == NULL) {
        fputs("<p class=\"muted\">No finding explains the failures.</p>\n", f);
        return;
    }
    int k = (int)(w - c->kinds);
    fputs("<div class=\"finding\"><b>Worst finding</b> <span class=\"kind\">", f);
    html_put_text(f, w->kind);
    fputs("</span> ", f);
    html_put_textf(f, "(%s, in %d of the %d runs that did not pass): ", severity_name(w->severity),
                   c->kind_count[k], c->runs - c->passed);
    html_put_text(f, w->message);
    fputs("</div>\n", f);
}

static void put_other_findings(FILE *f, const struct cell_stats *c)
{
    const struct finding *w = cell_worst(c);
    if (c->n_kinds < 2)
        return;
    fputs("<p style=\"margin:4px 0\">Other findings in the runs that did not pass:</p><ul class=\"tight\">\n", f);
    for (int k = 0; k < c->n_kinds; k++) {
        if (&c->kinds[k] == w)
            continue;
        fputs("<li><span class=\"kind\">", f);
        html_put_text(f, c->kinds[k].kind);
        fprintf(f, "</span> \xC3\x97%d: ", c->kind_count[k]);
        html_put_text(f, c->kinds[k].message);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

static void put_cell_diagnoses(FILE *f, const struct cell_stats *c)
{
    if (c->n_diag == 0)
        return;
    fputs("<p style=\"margin:4px 0\">Board diagnoses:</p><ul class=\"tight\">\n", f);
    for (int k = 0; k < c->n_diag; k++) {
        fputs("<li>", f);
        html_put_text(f, c->diag[k].message);
        html_put_textf(f, " (%d of %d runs)", c->diag_count[k], c->runs);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

static void put_cell_head(FILE *f, const struct cell_stats *c, int i)
{
    char colour[8], rate[16], ci[48];
    html_rate_colour(c->runs ? (double)c->passed / c->runs : 0, cell_met(c), colour);
    fprintf(f, "<article class=\"cell\" id=\"cell-%d\">\n<div class=\"cellhead\"><h4>", i);
    html_put_textf(f, "%s / %s / %s", c->board, c->host, c->scenario);
    fprintf(f, "</h4><span class=\"pill\" style=\"background:%s\">%s %% %s</span>", colour,
            html_rate_text(c->passed, c->runs, rate, sizeof rate),
            html_interval_text(c->passed, c->runs, ci, sizeof ci));
    fputs("<span class=\"muted\">", f);
    html_put_textf(f, "%d of %d runs passed; expected %s", c->passed, c->runs, boot_mode_name(c->expected));
    fputs("</span></div>\n", f);
}

/* A known failure drawn elsewhere: its outcomes and median figures in a
 * line (the page of the default run is a third lighter; summary.json and
 * junit.xml have them all). */
static void put_brief(FILE *f, const struct cell_stats *c)
{
    char m[64] = "no strap margin", g[64] = "no DTR/RTS gap", v[32];
    if (isfinite(c->margin.p50))
        snprintf(m, sizeof m, "strap margin p50 %s ms", ms(c->margin.p50, 3, v, sizeof v));
    if (isfinite(c->gap.p50))
        snprintf(g, sizeof g, "DTR/RTS gap p50 %s ms", ms(c->gap.p50, 3, v, sizeof v));
    fputs("<p class=\"muted\" style=\"margin:2px 0\">", f);
    html_put_textf(f, "Outcomes: download %d, flash %d, no-reset %d, marginal %d, errors %d; %s, %s.",
                   c->outcomes[BOOT_DOWNLOAD], c->outcomes[BOOT_FLASH], c->outcomes[BOOT_NONE],
                   c->outcomes[BOOT_MARGINAL], c->errors, m, g);
    fputs("</p>\n", f);
}

static void put_cell(FILE *f, const struct html_report *r, int i)
{
    const struct cell_stats *c = &r->stats[i];
    const struct html_cell *d = &r->cells[i];
    put_cell_head(f, c, i);
    put_worst(f, c);
    if (d->brief) {
        put_brief(f, c);
        put_plot(f, &d->typical, 1); /* its note */
        fputs("</article>\n", f);
        return;
    }
    fputs("<div class=\"cols\"><div>\n", f);
    put_outcomes(f, c);
    put_cell_diagnoses(f, c);
    fputs("</div><div>\n", f);
    put_spreads(f, c);
    put_other_findings(f, c);
    fputs("</div></div>\n", f);
    const struct html_plot *plots[2] = {&d->typical, &d->worst};
    put_plots(f, plots, d->same_run ? 1 : 2, 1);
    fputs("</article>\n", f);
}

static int in_group(const struct cell_stats *c, const struct html_group *g)
{
    return strcmp(c->board, g->board) == 0 && strcmp(c->scenario, g->scenario) == 0;
}

static int cells_below(const struct html_report *r, const struct html_group *g)
{
    int n = 0;
    for (int i = 0; i < r->n_cells; i++)
        n += in_group(&r->stats[i], g) && !cell_met(&r->stats[i]);
    return n;
}

static void put_group(FILE *f, const struct html_report *r, int gi)
{
    const struct html_group *g = &r->groups[gi];
    /* collapsed: the page opens at its matrix, and a group's plots load when it is opened */
    fprintf(f, "<details class=\"group\" id=\"group-%d\">\n<summary><h3>", gi);
    html_put_textf(f, "%s \xC2\xB7 %s", g->board, g->scenario);
    fprintf(f, "</h3> <span class=\"muted\">(%d cell%s below expectation)</span></summary>\n", cells_below(r, g),
            cells_below(r, g) == 1 ? "" : "s");
    fputs("<p class=\"muted\" style=\"margin:0\">Below expectation: ", f);
    int shown = 0;
    for (int i = 0; i < r->n_cells; i++)
        if (in_group(&r->stats[i], g) && !cell_met(&r->stats[i])) {
            fprintf(f, "%s<a href=\"#cell-%d\">", shown++ ? ", " : "", i);
            html_put_text(f, r->stats[i].host);
            fputs("</a>", f);
        }
    fputs(". The DTR/RTS gap on every host this pair ran on:</p>\n", f);
    const struct html_plot *plots[2] = {&g->gap_hist, &g->gap_cdf};
    put_plots(f, plots, 2, 1);
    for (int i = 0; i < r->n_cells; i++)
        if (in_group(&r->stats[i], g) && !cell_met(&r->stats[i]))
            put_cell(f, r, i);
    fputs("</details>\n", f);
}

/* One line per board: its scenarios with a cell below expectation. */
static void put_group_index(FILE *f, const struct html_report *r)
{
    fputs("<ul class=\"tight\">\n", f);
    for (int gi = 0; gi < r->n_groups; gi++) {
        const struct html_group *g = &r->groups[gi];
        int first = gi == 0 || strcmp(r->groups[gi - 1].board, g->board) != 0;
        int last = gi + 1 == r->n_groups || strcmp(r->groups[gi + 1].board, g->board) != 0;
        if (first) {
            fputs("<li><b>", f);
            html_put_text(f, g->board);
            fputs("</b>: ", f);
        }
        fprintf(f, "%s<a href=\"#group-%d\">", first ? "" : ", ", gi);
        html_put_text(f, g->scenario);
        fprintf(f, "</a> <span class=\"muted\">(%d)</span>", cells_below(r, g));
        fputs(last ? "</li>\n" : "", f);
    }
    fputs("</ul>\n", f);
}

void html_put_below(FILE *f, const struct html_report *r)
{
    if (r->n_groups == 0)
        return;
    fputs("<section class=\"card\" id=\"below\">\n<h2>Cells below their expectation</h2>\n<p class=\"muted\">Per "
          "board and scenario: the DTR/RTS gap per host, then each cell with its worst finding, outcomes, "
          "diagnoses, figures and the timing diagrams of its typical run (median strap margin) and its worst "
          "run (lowest margin among the failing runs), re-simulated from their seeds.</p>\n", f);
    fputs("<p style=\"margin:8px 0 2px\">Per board, the scenarios with cells below their expectation (how "
          "many):</p>\n", f);
    put_group_index(f, r);
    for (int gi = 0; gi < r->n_groups; gi++)
        put_group(f, r, gi);
    fputs("</section>\n", f);
}

/* -------------------------------------------------------------- trends -- */

static void put_trend_sessions(FILE *f, const struct html_trends *t)
{
    fputs("<table class=\"nums\"><thead><tr><th>x</th><th>session</th><th>started</th><th>status</th><th>seed</th>"
          "<th>iterations</th><th>runs</th><th>cells met</th></tr></thead><tbody>\n", f);
    for (int i = 0; i < t->n_sessions; i++) {
        const struct session_row *s = &t->sessions[i];
        fprintf(f, "<tr><td>%d</td><td>#%lld</td><td>", i, (long long)s->id);
        html_put_text(f, s->facts.started);
        fputs("</td><td>", f);
        html_put_text(f, s->status);
        fprintf(f, "</td><td>%llu</td><td>%d</td><td>%lld</td><td>%d of %d</td></tr>\n",
                (unsigned long long)s->facts.seed, s->facts.iterations, (long long)s->runs, t->cells_met[i],
                t->cells_total[i]);
    }
    fputs("</tbody></table>\n", f);
}

void html_put_trends(FILE *f, const struct html_trends *t)
{
    if (t->n_sessions < 2)
        return;
    fputs("<section class=\"card\" id=\"trends\">\n<h2>Trends</h2>\n<p class=\"muted\">", f);
    html_put_textf(f, "The last %d sessions of this store, oldest first (x = the session's index below). Plotted: "
                      "the %d cells whose pass rate changed or that did not meet their expectation in some session.",
                   t->n_sessions, t->cells_plotted);
    if (t->cells_left_out > 0)
        html_put_textf(f, " %d more such cells are left out to keep the plots readable.", t->cells_left_out);
    fputs("</p>\n", f);
    if (t->note) {
        fputs("<div class=\"note\">", f);
        html_put_text(f, t->note);
        fputs("</div>\n", f);
    }
    put_trend_sessions(f, t);
    if (t->cells_plotted == 0)
        fputs("<p>Every cell met its expectation with the same pass rate in every session.</p>\n", f);
    for (int k = 0; k < t->n_plots; k++) {
        const struct html_plot *plots[2] = {&t->pass[k], &t->margin[k]};
        put_plots(f, plots, 2, 0);
    }
    fputs("</section>\n", f);
}
