/* The HTML report (html.h). */
#include "html.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "junit.h"
#include "stats.h"

/* ----------------------------------------------------------------- text -- */

void html_put_text(FILE *f, const char *s)
{
    xml_escaped(f, s ? s : "", 0);
}

static void put_textf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_textf(FILE *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    html_put_text(f, buf);
}

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

/* A pass rate in percent, one decimal. A cell below its expectation never
 * shows "100.0" (1999 of 2000), nor one with passing runs "0.0". */
static const char *rate_text(int passed, int runs, char *buf, size_t len)
{
    double pct = runs > 0 ? 100.0 * passed / runs : 0;
    if (passed < runs && pct > 99.9)
        pct = 99.9;
    if (passed > 0 && pct < 0.1)
        pct = 0.1;
    snprintf(buf, len, "%.1f", pct);
    return buf;
}

/* "[29.9–35.7]": the 95 % Wilson interval in percent. */
static const char *interval_text(int passed, int runs, char *buf, size_t len)
{
    double lo, hi;
    if (wilson_interval(passed, runs, STATS_Z95, &lo, &hi) != 0)
        snprintf(buf, len, "[\xE2\x80\x93]");
    else
        snprintf(buf, len, "[%.1f\xE2\x80\x93%.1f]", 100 * lo, 100 * hi);
    return buf;
}

static double channel(double p, double q, double t)
{
    t = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    return t < 1.0 / 6 ? p + (q - p) * 6 * t : t < 0.5 ? q : t < 2.0 / 3 ? p + (q - p) * (2.0 / 3 - t) * 6 : p;
}

static void hsl_hex(double hue, double sat, double light, char out[8])
{
    double h = hue / 360, q = light < 0.5 ? light * (1 + sat) : light + sat - light * sat, p = 2 * light - q;
    int r = (int)lround(255 * channel(p, q, h + 1.0 / 3)), g = (int)lround(255 * channel(p, q, h)),
        b = (int)lround(255 * channel(p, q, h - 1.0 / 3));
    snprintf(out, 8, "#%02x%02x%02x", r & 0xFF, g & 0xFF, b & 0xFF);
}

/* Light tints, so the dark text on them keeps a contrast of 7:1 or more.
 * Below the expectation the hue runs from red (0 %) through orange to
 * amber-yellow (just under 100 %); green is kept for the cells that met
 * theirs, so a 99.5 % cell does not pass for a good one at a glance. */
void html_rate_colour(double rate, int met, char out[8])
{
    if (met) {
        hsl_hex(135, 0.45, 0.78, out);
        return;
    }
    rate = rate < 0 ? 0 : rate > 1 ? 1 : rate;
    hsl_hex(50 * rate, 0.85, 0.74, out);
}

/* --------------------------------------------------------------- style -- */

static const char css[] =
    ":root{--ink:#1b2230;--muted:#5a6473;--line:#d8dde4;--bg:#f3f5f8;--card:#fff;--head:#1f2a37}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI','DejaVu Sans',Roboto,Helvetica,Arial,sans-serif}\n"
    "a{color:#1d4f91}\n"
    "header.top{background:var(--head);color:#fff;padding:18px 32px 16px}\n"
    "header.top h1{margin:0;font-size:22px;font-weight:600;letter-spacing:.2px}\n"
    "header.top .sub{color:#c5d0dd;margin-top:3px}\n"
    "nav.toc{display:flex;flex-wrap:wrap;gap:6px 18px;margin-top:10px}\n"
    "nav.toc a{color:#dbe6f3;text-decoration:none;border-bottom:1px solid #5d708a}\n"
    "main{max-width:1480px;margin:0 auto;padding:20px 28px 40px}\n"
    "section.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px 22px;"
    "margin:0 0 20px}\n"
    "h2{font-size:18px;margin:0 0 12px}h3{font-size:16px;margin:0 0 8px}h4{font-size:15px;margin:0}\n"
    ".muted{color:var(--muted)}\n"
    ".banner{border-left:5px solid #d9822b;background:#fff3e0;padding:10px 14px;margin:0 0 18px;"
    "border-radius:4px}\n"
    ".note{border-left:4px solid #d9822b;background:#fff6e8;padding:8px 12px;border-radius:4px;margin:8px 0;"
    "overflow-wrap:anywhere}\n"
    "dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,1fr);"
    "gap:4px 18px;margin:0}\n"
    "dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}\n"
    "code,pre,.mono{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px}\n"
    ".scroll{overflow-x:auto}\n"
    "table.matrix{border-collapse:separate;border-spacing:0;font-variant-numeric:tabular-nums;font-size:13px}\n"
    "table.matrix th,table.matrix td{padding:5px 9px;border-right:2px solid #fff;border-bottom:2px solid #fff}\n"
    "table.matrix thead th{position:sticky;top:0;z-index:1;background:#fff;border-bottom:2px solid var(--ink);"
    "vertical-align:bottom;text-align:center;white-space:nowrap}\n"
    "table.matrix thead th.left{text-align:left}\n"
    "table.matrix th.board{text-align:left;vertical-align:top;white-space:nowrap;background:#f7f8fa}\n"
    "table.matrix td.scen{white-space:nowrap}table.matrix td.exp{color:var(--muted);white-space:nowrap}\n"
    "table.matrix tr.first>*{border-top:2px solid #aab4c2}\n"
    "td.rate{text-align:center;white-space:nowrap;color:#12161d;padding:4px 8px}\n"
    "td.rate a{color:inherit;text-decoration:none;display:block}\n"
    "td.rate a:hover .pct{text-decoration:underline}\n"
    "td.rate .pct{font-weight:600}\n"
    "td.rate .ci{font-size:10.5px;color:#2b323d}\n"
    "td.na{background:#e8ebef}\n"
    ".legend{display:flex;flex-wrap:wrap;align-items:center;gap:8px 22px;margin:12px 0 4px;font-size:13px}\n"
    ".ramp{display:inline-block;width:260px}\n"
    ".ramp .bar{height:14px;border-radius:3px;border:1px solid #b9c1cc}\n"
    ".ramp .ticks{display:flex;justify-content:space-between;font-size:11.5px;color:var(--muted)}\n"
    ".sw{display:inline-block;width:28px;height:14px;border-radius:3px;border:1px solid #b9c1cc;"
    "vertical-align:middle;margin-right:6px}\n"
    "ul.tight{margin:4px 0;padding-left:20px}ul.tight li{margin:2px 0}\n"
    "section.group{border-top:3px solid var(--line);padding-top:16px;margin-top:22px}\n"
    "section.group:first-of-type{border-top:0;margin-top:8px}\n"
    "article.cell{border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:16px 0;background:#fcfcfd}\n"
    ".cellhead{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:baseline;margin-bottom:10px}\n"
    ".pill{padding:2px 10px;border-radius:12px;font-weight:600;color:#12161d;border:1px solid #c3cad3}\n"
    ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:10px 28px}\n"
    ".finding{border-left:4px solid #c0392b;background:#fbefee;padding:8px 12px;border-radius:4px;"
    "margin:0 0 10px;overflow-wrap:anywhere}\n"
    ".kind{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px;"
    "background:#eef1f5;padding:1px 5px;border-radius:3px;white-space:nowrap}\n"
    "table.nums{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}\n"
    "table.nums th,table.nums td{padding:3px 10px;border-bottom:1px solid #e6e9ee;text-align:right}\n"
    "table.nums th:first-child,table.nums td:first-child{text-align:left}\n"
    "table.nums thead th{color:var(--muted);font-weight:600}\n"
    ".plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,860px),1fr));gap:16px;"
    "margin-top:12px}\n"
    "figure{margin:0}\n"
    "figure img{display:block;width:100%;max-width:1000px;height:auto;border:1px solid var(--line);"
    "border-radius:4px;background:#fff}\n"
    "figcaption{color:var(--muted);font-size:12.5px;margin-top:4px;overflow-wrap:anywhere}\n"
    "pre.cmd{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--head);color:#e8eef5;padding:12px 14px;"
    "border-radius:6px;margin:6px 0 0}\n"
    "footer{color:var(--muted);font-size:13px}\n";

/* On load, body gets data-plots-loaded (images that loaded) and
 * data-plots-total, for a headless browser to check; with ?eager in the
 * address the lazy images are switched to eager first, so all of them
 * load without scrolling. */
static const char count_script[] =
    "<script>\n"
    "(function () {\n"
    "  var images = document.querySelectorAll('img');\n"
    "  if (/[?&]eager\\b/.test(location.search))\n"
    "    images.forEach(function (img) { img.loading = 'eager'; });\n"
    "  window.addEventListener('load', function () {\n"
    "    var loaded = 0;\n"
    "    images.forEach(function (img) { if (img.complete && img.naturalWidth > 0) loaded++; });\n"
    "    document.body.dataset.plotsLoaded = loaded;\n"
    "    document.body.dataset.plotsTotal = images.length;\n"
    "  });\n"
    "})();\n"
    "</script>\n";

/* ---------------------------------------------------------------- head -- */

static int is_partial(const struct session_row *s)
{
    return strcmp(s->status, "complete") != 0;
}

static void count_cells(const struct html_report *r, int *met, long long *runs)
{
    *met = 0;
    *runs = 0;
    for (int i = 0; i < r->n_cells; i++) {
        *met += cell_met(&r->stats[i]);
        *runs += r->stats[i].runs;
    }
}

static void put_head(FILE *f, const struct html_report *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    put_textf(f, "resetlab report \xE2\x80\x94 session #%lld", (long long)r->session->id);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void put_top(FILE *f, const struct html_report *r)
{
    int met;
    long long runs;
    count_cells(r, &met, &runs);
    fputs("<header class=\"top\">\n<h1>", f);
    put_textf(f, "resetlab report \xE2\x80\x94 session #%lld", (long long)r->session->id);
    fputs("</h1>\n<div class=\"sub\">", f);
    put_textf(f, "%d of %d cells met their expectation \xC2\xB7 %lld runs \xC2\xB7 started %s", met, r->n_cells, runs,
              r->session->facts.started);
    fputs("</div>\n<nav class=\"toc\"><a href=\"#session\">Session</a><a href=\"#matrix\">Matrix</a>"
          "<a href=\"#diagnoses\">Board diagnoses</a>", f);
    if (r->n_groups > 0)
        fprintf(f, "<a href=\"#below\">Below expectation (%d cell%s)</a>", r->n_cells - met,
                r->n_cells - met == 1 ? "" : "s");
    if (r->trends.n_sessions >= 2)
        fputs("<a href=\"#trends\">Trends</a>", f);
    fputs("<a href=\"#reproduce\">Reproduce</a></nav>\n</header>\n<main>\n", f);
}

static void put_fact_as(FILE *f, const char *name, const char *value, const char *cls)
{
    fputs("<dt>", f);
    html_put_text(f, name);
    fprintf(f, "</dt><dd%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    html_put_text(f, value && *value ? value : "\xE2\x80\x93");
    fputs("</dd>\n", f);
}

static void put_fact(FILE *f, const char *name, const char *value)
{
    put_fact_as(f, name, value, NULL);
}

static void put_partial_banner(FILE *f, const struct session_row *s)
{
    if (!is_partial(s))
        return;
    fputs("<div class=\"banner\"><b>Partial session.</b> ", f);
    put_textf(f, "This session is %s: the page shows the %lld runs it committed, not the whole matrix; "
                 "`resetlab run --resume` goes on with it.", s->status, (long long)s->runs);
    fputs("</div>\n", f);
}

static void put_notes(FILE *f, const struct html_report *r)
{
    put_partial_banner(f, r->session);
    for (int i = 0; i < r->n_notes; i++) {
        fputs("<div class=\"note\">", f);
        html_put_text(f, r->notes[i]);
        fputs("</div>\n", f);
    }
}

/* Where and how the session ran. */
static void put_host_facts(FILE *f, const struct session_row *s)
{
    const struct session_facts *x = &s->facts;
    char buf[160];
    snprintf(buf, sizeof buf, "#%lld, %s", (long long)s->id, s->status);
    put_fact(f, "session", buf);
    put_fact(f, "started", x->started);
    put_fact(f, "finished", s->finished);
    put_fact(f, "resetlab", x->resetlab_version);
    put_fact(f, "OS", x->os);
    put_fact(f, "kernel", x->kernel);
    put_fact(f, "virtualization", x->virtualization);
    put_fact(f, "hostname", x->hostname);
    put_fact(f, "boards file", x->boards_file);
    put_fact_as(f, "boards SHA-256", x->boards_sha256, "mono");
}

/* What it ran and what came of it. */
static void put_run_facts(FILE *f, const struct html_report *r)
{
    char buf[160];
    int met;
    long long runs;
    count_cells(r, &met, &runs);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->session->facts.seed);
    put_fact(f, "seed", buf);
    snprintf(buf, sizeof buf, "%d per cell", r->session->facts.iterations);
    put_fact(f, "iterations", buf);
    snprintf(buf, sizeof buf, "%lld in %d cell%s", runs, r->n_cells, r->n_cells == 1 ? "" : "s");
    put_fact(f, "runs", buf);
    snprintf(buf, sizeof buf, "%d of %d met their expectation", met, r->n_cells);
    put_fact(f, "cells", buf);
}

static void put_session(FILE *f, const struct html_report *r)
{
    put_notes(f, r);
    fputs("<section class=\"card\" id=\"session\">\n<h2>Session</h2>\n<dl class=\"facts\">\n", f);
    put_host_facts(f, r->session);
    put_run_facts(f, r);
    fputs("</dl>\n<p class=\"muted\" style=\"margin:10px 0 0\">Results store: <span class=\"mono\">", f);
    html_put_text(f, r->db_path);
    fputs("</span></p>\n</section>\n", f);
}

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

static void put_rate_cell(FILE *f, const struct html_report *r, int i)
{
    const struct cell_stats *c = &r->stats[i];
    char colour[8], rate[16], ci[48];
    html_rate_colour(c->runs ? (double)c->passed / c->runs : 0, cell_met(c), colour);
    fprintf(f, "<td class=\"rate\" style=\"background:%s\" title=\"", colour);
    put_textf(f, "%d of %d runs passed (%d failed, %d errors); 95 %% Wilson interval in brackets", c->passed, c->runs,
              c->failed, c->errors);
    fputs("\">", f);
    int linked = !cell_met(c);
    if (linked)
        fprintf(f, "<a href=\"#cell-%d\">", i);
    fprintf(f, "<span class=\"pct\">%s %%</span> <span class=\"ci\">%s</span>",
            rate_text(c->passed, c->runs, rate, sizeof rate), interval_text(c->passed, c->runs, ci, sizeof ci));
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
          "<span class=\"muted\">pass rate, and its 95 % Wilson interval in brackets; a cell below its "
          "expectation links to its details</span></div>\n", f);
}

static void put_matrix(FILE *f, const struct html_report *r)
{
    struct row *rows = malloc(sizeof *rows * (size_t)(r->n_cells > 0 ? r->n_cells : 1));
    if (rows == NULL)
        return;
    int n = matrix_rows(r, rows);
    fputs("<section class=\"card\" id=\"matrix\">\n<h2>Pass rate per cell</h2>\n", f);
    put_legend(f);
    fputs("<div class=\"scroll\"><table class=\"matrix\">\n<thead><tr><th class=\"left\" scope=\"col\">board</th>"
          "<th class=\"left\" scope=\"col\">scenario</th><th class=\"left\" scope=\"col\">expect</th>", f);
    for (int h = 0; h < r->n_hosts; h++) {
        fputs("<th scope=\"col\">", f);
        html_put_text(f, r->hosts[h]);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
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
        put_textf(f, " (%d of %d runs, %d cells)", bd.runs[k], runs, bd.cells[k]);
        fputs("</li>\n", f);
    }
}

static void put_diagnoses(FILE *f, const struct html_report *r)
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

/* -------------------------------------------------------------- plots -- */

static void put_plot(FILE *f, const struct html_plot *p)
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
    fputs("\"><img loading=\"lazy\" width=\"1000\" height=\"560\" src=\"", f);
    html_put_text(f, p->src);
    fputs("\" alt=\"", f);
    html_put_text(f, p->caption);
    fputs("\"></a><figcaption>", f);
    html_put_text(f, p->caption);
    fputs("</figcaption></figure>\n", f);
}

static void put_plots(FILE *f, const struct html_plot *const *plots, int n)
{
    fputs("<div class=\"plots\">\n", f);
    for (int i = 0; i < n; i++)
        put_plot(f, plots[i]);
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
    put_textf(f, "(%s, in %d of the %d runs that did not pass): ", severity_name(w->severity), c->kind_count[k],
              c->runs - c->passed);
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
        put_textf(f, " (%d of %d runs)", c->diag_count[k], c->runs);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

static void put_cell_head(FILE *f, const struct cell_stats *c, int i)
{
    char colour[8], rate[16], ci[48];
    html_rate_colour(c->runs ? (double)c->passed / c->runs : 0, cell_met(c), colour);
    fprintf(f, "<article class=\"cell\" id=\"cell-%d\">\n<div class=\"cellhead\"><h4>", i);
    put_textf(f, "%s / %s / %s", c->board, c->host, c->scenario);
    fprintf(f, "</h4><span class=\"pill\" style=\"background:%s\">%s %% %s</span>", colour,
            rate_text(c->passed, c->runs, rate, sizeof rate), interval_text(c->passed, c->runs, ci, sizeof ci));
    fputs("<span class=\"muted\">", f);
    put_textf(f, "%d of %d runs passed; expected %s", c->passed, c->runs, boot_mode_name(c->expected));
    fputs("</span></div>\n", f);
}

static void put_cell(FILE *f, const struct html_report *r, int i)
{
    const struct cell_stats *c = &r->stats[i];
    const struct html_cell *d = &r->cells[i];
    put_cell_head(f, c, i);
    put_worst(f, c);
    fputs("<div class=\"cols\"><div>\n", f);
    put_outcomes(f, c);
    put_cell_diagnoses(f, c);
    fputs("</div><div>\n", f);
    put_spreads(f, c);
    put_other_findings(f, c);
    fputs("</div></div>\n", f);
    const struct html_plot *plots[2] = {&d->typical, &d->worst};
    put_plots(f, plots, d->same_run ? 1 : 2);
    fputs("</article>\n", f);
}

static int in_group(const struct cell_stats *c, const struct html_group *g)
{
    return strcmp(c->board, g->board) == 0 && strcmp(c->scenario, g->scenario) == 0;
}

static void put_group(FILE *f, const struct html_report *r, int gi)
{
    const struct html_group *g = &r->groups[gi];
    fprintf(f, "<section class=\"group\" id=\"group-%d\">\n<h3>", gi);
    put_textf(f, "%s \xC2\xB7 %s", g->board, g->scenario);
    fputs("</h3>\n<p class=\"muted\" style=\"margin:0\">Below expectation: ", f);
    int shown = 0;
    for (int i = 0; i < r->n_cells; i++)
        if (in_group(&r->stats[i], g) && !cell_met(&r->stats[i])) {
            fprintf(f, "%s<a href=\"#cell-%d\">", shown++ ? ", " : "", i);
            html_put_text(f, r->stats[i].host);
            fputs("</a>", f);
        }
    fputs(". The DTR/RTS gap on every host this pair ran on:</p>\n", f);
    const struct html_plot *plots[2] = {&g->gap_hist, &g->gap_cdf};
    put_plots(f, plots, 2);
    for (int i = 0; i < r->n_cells; i++)
        if (in_group(&r->stats[i], g) && !cell_met(&r->stats[i]))
            put_cell(f, r, i);
    fputs("</section>\n", f);
}

static int cells_below(const struct html_report *r, const struct html_group *g)
{
    int n = 0;
    for (int i = 0; i < r->n_cells; i++)
        n += in_group(&r->stats[i], g) && !cell_met(&r->stats[i]);
    return n;
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

static void put_below(FILE *f, const struct html_report *r)
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

static void put_trends(FILE *f, const struct html_trends *t)
{
    if (t->n_sessions < 2)
        return;
    fputs("<section class=\"card\" id=\"trends\">\n<h2>Trends</h2>\n<p class=\"muted\">", f);
    put_textf(f, "The last %d sessions of this store, oldest first (x = the session's index below). Plotted: the %d "
                 "cells whose pass rate changed or that did not meet their expectation in some session.",
              t->n_sessions, t->cells_plotted);
    if (t->cells_left_out > 0)
        put_textf(f, " %d more such cells are left out to keep the plots readable.", t->cells_left_out);
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
        put_plots(f, plots, 2);
    }
    fputs("</section>\n", f);
}

/* -------------------------------------------------------------- footer -- */

static void put_footer(FILE *f, const struct html_report *r)
{
    fputs("<section class=\"card\" id=\"reproduce\">\n<h2>Reproduce</h2>\n<p class=\"muted\">The session's runs "
          "again, bit for bit (same lab, same seed):</p>\n<pre class=\"cmd\">", f);
    html_put_text(f, r->reproduce);
    fputs("</pre>\n</section>\n<footer>", f);
    put_textf(f, "Written by resetlab %s from %s, session #%lld.", r->version, r->db_path, (long long)r->session->id);
    fputs("</footer>\n</main>\n", f);
    fputs(count_script, f);
    fputs("</body>\n</html>\n", f);
}

int html_write_report(FILE *f, const struct html_report *r)
{
    put_head(f, r);
    put_top(f, r);
    put_session(f, r);
    put_matrix(f, r);
    put_diagnoses(f, r);
    put_below(f, r);
    put_trends(f, &r->trends);
    put_footer(f, r);
    return ferror(f) ? -1 : 0;
}
