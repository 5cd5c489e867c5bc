/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two result sets compared (compare.h).
 * May call: reports/ (stats, the store's rows), libm, libc. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "junit.h"
#include "stats.h"

/* ------------------------------------------------------------- loading -- */

struct loader {
    struct compare_side *side;
    const char *host;
    int last; /* the cell the previous run went to: runs come cell by cell */
};

static struct compare_cell *find_cell(struct compare_side *s, const char *board, const char *host,
                                      const char *scenario, int hint)
{
    for (int k = 0; k < s->n; k++) {
        struct compare_cell *c = &s->cells[(hint + k) % s->n];
        if (strcmp(c->board, board) == 0 && strcmp(c->host, host) == 0 && strcmp(c->scenario, scenario) == 0)
            return c;
    }
    return NULL;
}

static struct compare_cell *new_cell(struct compare_side *s, const struct cell_stats *r)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        struct compare_cell *cells = realloc(s->cells, (size_t)cap * sizeof *cells);
        if (cells == NULL)
            return NULL;
        s->cells = cells, s->cap = cap;
    }
    struct compare_cell *c = &s->cells[s->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->board, sizeof c->board, "%s", r->board);
    snprintf(c->host, sizeof c->host, "%s", r->host);
    snprintf(c->scenario, sizeof c->scenario, "%s", r->scenario);
    snprintf(c->expected, sizeof c->expected, "%s", boot_mode_name(r->expected));
    return c;
}

static int add_margin(struct compare_cell *c, double m)
{
    if (isnan(m))
        return 0;
    if (c->n_margin == c->cap) {
        int cap = c->cap ? 2 * c->cap : 256;
        double *x = realloc(c->margin, (size_t)cap * sizeof *x);
        if (x == NULL)
            return -1;
        c->margin = x, c->cap = cap;
    }
    c->margin[c->n_margin++] = m;
    return 0;
}

/* A cell of the session: its runs, passes and margins (the row's floats;
 * an infrastructure error has no margin, a failing run's counts). */
static int load_cell(const struct stored_cell *sc, void *ctx)
{
    struct loader *l = ctx;
    const struct cell_stats *r = &sc->c;
    if (l->host && strcmp(r->host, l->host) != 0)
        return 0;
    struct compare_cell *c = find_cell(l->side, r->board, r->host, r->scenario, l->last);
    if (c == NULL && (c = new_cell(l->side, r)) == NULL)
        return 1; /* out of memory */
    l->last = (int)(c - l->side->cells);
    c->runs += r->runs;
    c->passed += r->passed;
    for (int i = 0; i < sc->n_margins; i++)
        if (add_margin(c, sc->margins[i]) != 0)
            return 1;
    return 0;
}

int compare_load(struct store *st, int64_t session, const char *host, struct compare_side *out, char *err,
                 size_t err_len)
{
    struct loader l = {out, host, 0};
    int rc = store_each_stored_cell(st, session, NULL, host, NULL, 0, load_cell, &l, err, err_len);
    if (rc > 0 || (rc == 0 && out->n == 0)) {
        if (rc > 0)
            snprintf(err, err_len, "out of memory");
        else if (host)
            snprintf(err, err_len, "session %lld has no runs on host '%s'", (long long)session, host);
        else
            snprintf(err, err_len, "session %lld has no runs", (long long)session);
        return -1;
    }
    return rc;
}

void compare_side_free(struct compare_side *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->cells[i].margin);
    free(s->cells);
    s->cells = NULL;
    s->n = s->cap = 0;
}

/* ----------------------------------------------------------- comparing -- */

static int same_cell(const struct compare_cell *x, const struct compare_cell *y, int by_host)
{
    return strcmp(x->board, y->board) == 0 && strcmp(x->scenario, y->scenario) == 0 &&
           (by_host || strcmp(x->host, y->host) == 0);
}

static double median(const double *x, int n)
{
    static const double half = 0.5;
    double m;
    percentiles_of(x, n, &half, &m, 1);
    return m;
}

/* The raw tests of one matched pair. */
static void test_pair(struct compare_row *r)
{
    const struct compare_cell *a = r->a, *b = r->b;
    r->pass_p = fisher_exact_two_sided(a->passed, a->runs - a->passed, b->passed, b->runs - b->passed);
    r->margin_a = median(a->margin, a->n_margin);
    r->margin_b = median(b->margin, b->n_margin);
    r->margin_p = a->n_margin > 0 && b->n_margin > 0 ? mann_whitney_p(a->margin, a->n_margin, b->margin, b->n_margin)
                                                      : NAN;
}

static int add_row(struct compare_result *r, int *cap, const struct compare_cell *a, const struct compare_cell *b)
{
    if (r->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        struct compare_row *rows = realloc(r->rows, (size_t)*cap * sizeof *rows);
        if (rows == NULL)
            return -1;
        r->rows = rows;
    }
    struct compare_row *row = &r->rows[r->n++];
    *row = (struct compare_row){a, b, NAN, NAN, NAN, NAN, CHANGE_NONE, CHANGE_NONE};
    if (a && b)
        test_pair(row);
    return 0;
}

/* Holm over every p-value made (two per matched pair at most); a change
 * counts only when rejected, and for margins when the medians moved by at
 * least the minimum shift. */
static int flag_changes(struct compare_result *r, const struct compare_opts *o)
{
    double *p = malloc((size_t)(2 * r->n + 1) * sizeof *p);
    int *reject = malloc((size_t)(2 * r->n + 1) * sizeof *reject);
    if (p == NULL || reject == NULL) {
        free(p), free(reject);
        return -1;
    }
    for (int i = 0; i < r->n; i++) {
        p[2 * i] = r->rows[i].pass_p;
        p[2 * i + 1] = r->rows[i].margin_p;
    }
    r->tests = 0;
    for (int i = 0; i < 2 * r->n; i++)
        r->tests += !isnan(p[i]);
    int rc = holm_reject(p, 2 * r->n, o->alpha, reject) < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < r->n; i++) {
        struct compare_row *row = &r->rows[i];
        if (reject[2 * i]) {
            double ra = (double)row->a->passed / row->a->runs, rb = (double)row->b->passed / row->b->runs;
            row->pass = rb < ra ? CHANGE_WORSE : CHANGE_BETTER;
        }
        double shift = row->margin_b - row->margin_a;
        if (reject[2 * i + 1] && fabs(shift) >= o->min_shift_ms)
            row->margin = shift < 0 ? CHANGE_WORSE : CHANGE_BETTER;
        r->regressions += row->pass == CHANGE_WORSE;
        r->improvements += row->pass == CHANGE_BETTER;
        r->margin_shifts += row->margin != CHANGE_NONE;
    }
    free(p), free(reject);
    return rc;
}

int compare_sides(const struct compare_side *a, const struct compare_side *b, const struct compare_opts *o,
                  struct compare_result *out)
{
    memset(out, 0, sizeof *out);
    int cap = 0;
    char *matched = calloc((size_t)b->n + 1, 1);
    if (matched == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < a->n && rc == 0; i++) {
        const struct compare_cell *pair = NULL;
        for (int j = 0; j < b->n && pair == NULL; j++)
            if (!matched[j] && same_cell(&a->cells[i], &b->cells[j], o->by_host)) {
                pair = &b->cells[j];
                matched[j] = 1;
            }
        rc = add_row(out, &cap, &a->cells[i], pair);
    }
    for (int j = 0; j < b->n && rc == 0; j++)
        if (!matched[j])
            rc = add_row(out, &cap, NULL, &b->cells[j]);
    free(matched);
    if (rc == 0)
        rc = flag_changes(out, o);
    return rc;
}

void compare_result_free(struct compare_result *r)
{
    free(r->rows);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------- writing -- */

/* A pass-rate change first; a margin shift as the median's move. */
static const char *change_word(const struct compare_row *r, char *buf, size_t len)
{
    const char *pass = r->pass == CHANGE_WORSE ? "REGRESSION" : r->pass == CHANGE_BETTER ? "improved" : "";
    if (r->a == NULL || r->b == NULL)
        snprintf(buf, len, "only in %s", r->a ? "A" : "B");
    else if (r->margin != CHANGE_NONE)
        snprintf(buf, len, "%s%smargin %+.2f ms", pass, pass[0] ? ", " : "", r->margin_b - r->margin_a);
    else
        snprintf(buf, len, "%s", pass);
    return buf;
}

static const struct compare_cell *either(const struct compare_row *r)
{
    return r->a ? r->a : r->b;
}

static void rate_text(char *buf, size_t len, const struct compare_cell *c)
{
    if (c == NULL)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%5.1f%% (%d/%d)", 100.0 * c->passed / c->runs, c->passed, c->runs);
}

static void figure_text(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%+.3f", v);
}

static void p_text(char *buf, size_t len, double p)
{
    if (isnan(p))
        snprintf(buf, len, "-");
    else if (p < 1e-4)
        snprintf(buf, len, "<1e-4");
    else
        snprintf(buf, len, "%.4f", p);
}

void compare_write_table(FILE *f, const struct compare_side *a, const struct compare_side *b,
                         const struct compare_result *r, const struct compare_opts *o)
{
    fprintf(f, "A: %s\nB: %s\n\n", a->label, b->label);
    fprintf(f, "%-22s %-24s %-22s %-20s %-20s %-8s %9s %9s %-8s %s\n", "board", "scenario",
            o->by_host ? "" : "host", "pass A", "pass B", "p", "margin A", "margin B", "p", "change");
    for (int i = 0; i < r->n; i++) {
        const struct compare_row *row = &r->rows[i];
        const struct compare_cell *c = either(row);
        char ra[32], rb[32], pp[16], ma[16], mb[16], mp[16], word[64];
        rate_text(ra, sizeof ra, row->a);
        rate_text(rb, sizeof rb, row->b);
        p_text(pp, sizeof pp, row->pass_p);
        figure_text(ma, sizeof ma, row->margin_a);
        figure_text(mb, sizeof mb, row->margin_b);
        p_text(mp, sizeof mp, row->margin_p);
        fprintf(f, "%-22s %-24s %-22s %-20s %-20s %-8s %9s %9s %-8s %s\n", c->board, c->scenario,
                o->by_host ? "" : c->host, ra, rb, pp, ma, mb, mp, change_word(row, word, sizeof word));
    }
    fprintf(f,
            "\n%d regressions, %d improvements (pass rates), %d margin shifts; %d tests (Fisher's exact on pass"
            " counts, Mann-Whitney on margins in ms), Holm-corrected at alpha %g; margin shifts under %g ms not"
            " flagged\n",
            r->regressions, r->improvements, r->margin_shifts, r->tests, o->alpha, o->min_shift_ms);
}

static void json_side_cell(FILE *f, const struct compare_cell *c, double median_margin)
{
    if (c == NULL) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"runs\": %d, \"passed\": %d, \"pass_rate\": ", c->runs, c->passed);
    json_num(f, (double)c->passed / c->runs);
    fputs(", \"host\": ", f);
    json_str(f, c->host);
    fputs(", \"margin_ms_p50\": ", f);
    json_num(f, median_margin);
    fputc('}', f);
}

void compare_write_json(FILE *f, const struct compare_side *a, const struct compare_side *b,
                        const struct compare_result *r, const struct compare_opts *o)
{
    fputs("{\"a\": ", f);
    json_str(f, a->label);
    fputs(", \"b\": ", f);
    json_str(f, b->label);
    fprintf(f,
            ", \"alpha\": %g, \"min_shift_ms\": %g, \"tests\": %d, \"regressions\": %d, \"improvements\": %d,"
            " \"margin_shifts\": %d,\n",
            o->alpha, o->min_shift_ms, r->tests, r->regressions, r->improvements, r->margin_shifts);
    fputs(" \"cells\": [\n", f);
    for (int i = 0; i < r->n; i++) {
        const struct compare_row *row = &r->rows[i];
        const struct compare_cell *c = either(row);
        fputs("  {\"board\": ", f);
        json_str(f, c->board);
        fputs(", \"scenario\": ", f);
        json_str(f, c->scenario);
        fputs(", \"expected\": ", f);
        json_str(f, c->expected);
        fputs(", \"a\": ", f);
        json_side_cell(f, row->a, row->margin_a);
        fputs(", \"b\": ", f);
        json_side_cell(f, row->b, row->margin_b);
        fputs(", \"pass_p\": ", f);
        json_num(f, row->pass_p);
        fputs(", \"margin_p\": ", f);
        json_num(f, row->margin_p);
        fputs(", \"pass_change\": ", f);
        json_str(f, row->pass == CHANGE_WORSE ? "worse" : row->pass == CHANGE_BETTER ? "better" : "none");
        fputs(", \"margin_change\": ", f);
        json_str(f, row->margin == CHANGE_WORSE ? "worse" : row->margin == CHANGE_BETTER ? "better" : "none");
        fputs(", \"margin_shift_ms\": ", f);
        json_num(f, row->margin_b - row->margin_a);
        fprintf(f, "}%s\n", i + 1 < r->n ? "," : "");
    }
    fputs(" ]}\n", f);
}

static void html_cell_text(FILE *f, const char *tag, const char *text)
{
    fprintf(f, "<%s>", tag);
    xml_escaped(f, text, 0);
    fprintf(f, "</%s>", tag);
}

void compare_write_html(FILE *f, const struct compare_side *a, const struct compare_side *b,
                        const struct compare_result *r, const struct compare_opts *o)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>resetlab compare</title>\n"
          "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
          "td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;"
          "font-variant-numeric:tabular-nums}tr.worse td{background:#fbe3e1}tr.better td{background:#e3f4e6}"
          "caption{text-align:left;margin-bottom:.5em}</style></head><body>\n<h1>resetlab compare</h1>\n<p>A: ",
          f);
    xml_escaped(f, a->label, 0);
    fputs("<br>B: ", f);
    xml_escaped(f, b->label, 0);
    fprintf(f, "</p>\n<p>%d regressions, %d improvements (pass rates), %d margin shifts. %d tests (Fisher's exact test on pass counts, "
               "Mann&ndash;Whitney on strap margins), Holm-corrected at &alpha; = %g; margin shifts under %g ms "
               "are not flagged.</p>\n<table>\n<tr><th>board</th><th>scenario</th><th>%s</th><th>pass A</th>"
               "<th>pass B</th><th>p</th><th>margin A (ms)</th><th>margin B (ms)</th><th>p</th><th>change</th></tr>\n",
            r->regressions, r->improvements, r->margin_shifts, r->tests, o->alpha, o->min_shift_ms,
            o->by_host ? "" : "host");
    for (int i = 0; i < r->n; i++) {
        const struct compare_row *row = &r->rows[i];
        const struct compare_cell *c = either(row);
        char ra[32], rb[32], pp[16], ma[16], mb[16], mp[16], word[64];
        const char *w = change_word(row, word, sizeof word);
        rate_text(ra, sizeof ra, row->a);
        rate_text(rb, sizeof rb, row->b);
        p_text(pp, sizeof pp, row->pass_p);
        figure_text(ma, sizeof ma, row->margin_a);
        figure_text(mb, sizeof mb, row->margin_b);
        p_text(mp, sizeof mp, row->margin_p);
        fprintf(f, "<tr class=\"%s\">", row->pass == CHANGE_WORSE ? "worse" : row->pass == CHANGE_BETTER ? "better" : "");
        html_cell_text(f, "td", c->board);
        html_cell_text(f, "td", c->scenario);
        html_cell_text(f, "td", o->by_host ? "" : c->host);
        fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
                ra, rb, pp, ma, mb, mp);
        xml_escaped(f, w, 0);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
}
