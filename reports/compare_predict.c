/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model against the measurement (compare_predict.h). A cell's two pass
 * counts form a 2×2 table; Fisher's exact test asks whether one pass
 * probability could have made both. Over many cells some would disagree by
 * chance, so the p-values are Holm-adjusted (p_(i) · (m − i + 1), made
 * monotone): a cell "disagrees" when its adjusted p is at most alpha,
 * which is exactly Holm's rejection at that level.
 * May call: stats.h, results.h (JSON helpers), libc. */
#include "compare_predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "stats.h"

static const struct compare_cell *find(const struct compare_side *s, const struct compare_cell *c)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->cells[i].board, c->board) == 0 && strcmp(s->cells[i].host, c->host) == 0 &&
            strcmp(s->cells[i].scenario, c->scenario) == 0)
            return &s->cells[i];
    return NULL;
}

static int by_p(const void *a, const void *b)
{
    const struct predict_row *x = *(const struct predict_row *const *)a, *y = *(const struct predict_row *const *)b;
    return (x->p > y->p) - (x->p < y->p);
}

/* Holm's step-down adjusted p-values, in place. */
static int holm_adjust(struct predict_row *rows, int n)
{
    struct predict_row **order = malloc((size_t)(n ? n : 1) * sizeof *order);
    if (order == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        order[i] = &rows[i];
    qsort(order, (size_t)n, sizeof *order, by_p);
    double running = 0;
    for (int i = 0; i < n; i++) {
        double adj = fmin(1.0, order[i]->p * (double)(n - i));
        running = fmax(running, adj);
        order[i]->p_holm = running;
    }
    free(order);
    return 0;
}

int predict_compare(const struct compare_side *model, const struct compare_side *measured, double alpha,
                    struct predict_result *out)
{
    memset(out, 0, sizeof *out);
    out->alpha = alpha;
    out->rows = calloc((size_t)(measured->n ? measured->n : 1), sizeof *out->rows);
    if (out->rows == NULL)
        return -1;
    for (int i = 0; i < measured->n; i++) {
        const struct compare_cell *r = &measured->cells[i], *m = find(model, r);
        if (m == NULL || m->runs <= 0 || r->runs <= 0)
            continue;
        struct predict_row *row = &out->rows[out->n++];
        row->model = m, row->measured = r;
        wilson_interval(m->passed, m->runs, STATS_Z95, &row->model_lo, &row->model_hi);
        wilson_interval(r->passed, r->runs, STATS_Z95, &row->measured_lo, &row->measured_hi);
        row->p = fisher_exact_two_sided(m->passed, m->runs - m->passed, r->passed, r->runs - r->passed);
    }
    if (holm_adjust(out->rows, out->n) != 0) {
        predict_result_free(out);
        return -1;
    }
    for (int i = 0; i < out->n; i++) {
        out->rows[i].disagree = out->rows[i].p_holm <= alpha;
        out->disagreements += out->rows[i].disagree;
    }
    return 0;
}

void predict_result_free(struct predict_result *r)
{
    free(r->rows);
    memset(r, 0, sizeof *r);
}

/* A percentage as the line shows it: 100 and 0 without decimals. */
static void pct(char *buf, size_t len, double frac)
{
    double v = 100.0 * frac;
    if (v >= 99.95 || v < 0.05)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.1f", v);
}

static void rate(char *buf, size_t len, int passed, int runs, double lo, double hi)
{
    char l[16], h[16];
    pct(l, sizeof l, lo);
    pct(h, sizeof h, hi);
    snprintf(buf, len, "%.1f %% [%s\u2013%s]", 100.0 * passed / runs, l, h);
}

void predict_write_table(FILE *f, const char *model_label, const char *measured_label, const struct predict_result *r)
{
    fprintf(f, "model:    %s\nmeasured: %s\n\n", model_label, measured_label);
    for (int i = 0; i < r->n; i++) {
        const struct predict_row *row = &r->rows[i];
        char m[64], x[64];
        rate(m, sizeof m, row->model->passed, row->model->runs, row->model_lo, row->model_hi);
        rate(x, sizeof x, row->measured->passed, row->measured->runs, row->measured_lo, row->measured_hi);
        fprintf(f, "%s / %s / %s: model %s, measured %s, %s (p = %.2g)\n", row->measured->board, row->measured->host,
                row->measured->scenario, m, x, row->disagree ? "disagree" : "agree", row->p_holm);
    }
    fprintf(f,
            "\n%d of %d cells disagree (Fisher's exact test on the pass counts, Holm-corrected over the cells at "
            "alpha %g; p is Holm-adjusted; [..]: Wilson 95 %% intervals)\n",
            r->disagreements, r->n, r->alpha);
}

static void json_side(FILE *f, const struct compare_cell *c, double lo, double hi)
{
    fprintf(f, "{\"runs\": %d, \"passed\": %d, \"pass_rate\": ", c->runs, c->passed);
    json_num(f, (double)c->passed / c->runs);
    fputs(", \"wilson95\": [", f);
    json_num(f, lo);
    fputs(", ", f);
    json_num(f, hi);
    fputs("]}", f);
}

void predict_write_json(FILE *f, const char *model_label, const char *measured_label, const struct predict_result *r)
{
    fputs("{\"model\": ", f);
    json_str(f, model_label);
    fputs(", \"measured\": ", f);
    json_str(f, measured_label);
    fprintf(f, ", \"alpha\": %g, \"cells_compared\": %d, \"disagreements\": %d,\n \"cells\": [", r->alpha, r->n,
            r->disagreements);
    for (int i = 0; i < r->n; i++) {
        const struct predict_row *row = &r->rows[i];
        fputs(i ? ",\n  {\"board\": " : "\n  {\"board\": ", f);
        json_str(f, row->measured->board);
        fputs(", \"host\": ", f);
        json_str(f, row->measured->host);
        fputs(", \"scenario\": ", f);
        json_str(f, row->measured->scenario);
        fputs(", \"model\": ", f);
        json_side(f, row->model, row->model_lo, row->model_hi);
        fputs(", \"measured\": ", f);
        json_side(f, row->measured, row->measured_lo, row->measured_hi);
        fputs(", \"p\": ", f);
        json_num(f, row->p);
        fputs(", \"p_holm\": ", f);
        json_num(f, row->p_holm);
        fprintf(f, ", \"agree\": %s}", row->disagree ? "false" : "true");
    }
    fputs(r->n ? "\n ]}\n" : "]}\n", f);
}
