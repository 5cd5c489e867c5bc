/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report (html.h): the page, its head, inline style, session
 * facts and footer, and how a pass rate is shown (its figure, interval and
 * colour), which the matrix and the cells share. The matrix and board
 * diagnoses are html_matrix.c's, the cells below expectation and the
 * trends html_cells.c's.
 * May call: html_matrix.c, html_cells.c, reports/ (junit.h's XML escaping,
 * stats, results), libc, libm. */
#include "html.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "html_internal.h"
#include "junit.h"
#include "stats.h"

/* ----------------------------------------------------------------- text -- */

void html_put_text(FILE *f, const char *s)
{
    xml_escaped(f, s ? s : "", 0);
}

void html_put_textf(FILE *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    html_put_text(f, buf);
}

/* ------------------------------------------------------------- numbers -- */

const char *html_rate_text(int passed, int runs, char *buf, size_t len)
{
    double pct = runs > 0 ? 100.0 * passed / runs : 0;
    if (passed < runs && pct > 99.9)
        pct = 99.9;
    if (passed > 0 && pct < 0.1)
        pct = 0.1;
    snprintf(buf, len, "%.1f", pct);
    return buf;
}

const char *html_interval_text(int passed, int runs, char *buf, size_t len)
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
    /* the matrices scroll in a box of their own: their header row and board
     * column stay in view both ways (a sticky header inside a box that only
     * scrolls sideways would not stick to the page) */
    ".scroll.box{overflow:auto;max-height:82vh;border:1px solid var(--line);border-radius:4px}\n"
    "table.matrix th.board{position:sticky;left:0;z-index:1}\n"
    "table.matrix thead th.left:first-child{left:0;z-index:3}\n"
    "table.matrix{border-collapse:separate;border-spacing:0;font-variant-numeric:tabular-nums;font-size:13px}\n"
    "table.matrix th,table.matrix td{padding:5px 9px;border-right:2px solid #fff;border-bottom:2px solid #fff}\n"
    "table.matrix thead th{position:sticky;top:0;z-index:2;background:#fff;border-bottom:2px solid var(--ink);"
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
    "details.group{border-top:3px solid var(--line);padding-top:12px;margin-top:16px}\n"
    "details.group>summary{cursor:pointer}details.group>summary h3{display:inline}\n"
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
    "footer{color:var(--muted);font-size:13px}\n"
    /* printed for a review meeting: black on white, every group open (the
     * script opens them before printing), no scroll boxes, a group a page;
     * plots of groups never opened are left out (index.html?eager opens and
     * loads them all first) */
    "@media print{body{background:#fff;font-size:11px}header.top{background:#fff;color:#000;padding:0 0 8px;"
    "border-bottom:2px solid #000}header.top .sub{color:#000}nav.toc{display:none}main{max-width:none;padding:0}"
    "section.card{border:0;padding:0;margin:0 0 14px}.scroll,.scroll.box{overflow:visible;max-height:none;border:0}"
    "table.matrix thead th,table.matrix th.board{position:static}table.matrix{font-size:8px}"
    "table.matrix th,table.matrix td{padding:2px 3px}td.rate .ci{display:none}details.group{break-before:page;border-top:0}"
    "article.cell,figure,tr{break-inside:avoid}img[data-src]{display:none}a{color:#000;text-decoration:none}"
    "td.rate,.pill,.sw,.ramp .bar{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* On load, body gets data-plots-loaded (images that loaded) and
 * data-plots-total, for a headless browser to check; with ?eager in the
 * address every group is opened and the lazy images are switched to eager
 * first, so all of them load without scrolling. A group's images get their
 * src from data-src when it opens; a link to a cell opens its group;
 * printing opens them all (their plots print once loaded: ?eager). */
static const char count_script[] =
    "<script>\n"
    "(function () {\n"
    "  var images = document.querySelectorAll('img');\n"
    "  var groups = document.querySelectorAll('details');\n"
    "  function load(d) {\n"
    "    d.querySelectorAll('img[data-src]').forEach(function (img) {\n"
    "      img.src = img.dataset.src; img.removeAttribute('data-src');\n"
    "    });\n"
    "  }\n"
    "  groups.forEach(function (d) { d.addEventListener('toggle', function () { if (d.open) load(d); }); });\n"
    "  function openAll() { groups.forEach(function (d) { d.open = true; load(d); }); }\n"
    "  if (/[?&]eager\\b/.test(location.search)) {\n"
    "    openAll();\n"
    "    images.forEach(function (img) { img.loading = 'eager'; });\n"
    "  }\n"
    "  window.addEventListener('beforeprint', function () { groups.forEach(function (d) { d.open = true; }); });\n"
    "  function reveal() {\n"
    "    var t = location.hash && document.getElementById(location.hash.slice(1));\n"
    "    for (var e = t; e; e = e.parentElement) if (e.tagName === 'DETAILS') { e.open = true; load(e); }\n"
    "    if (t) t.scrollIntoView();\n"
    "  }\n"
    "  window.addEventListener('hashchange', reveal);\n"
    "  reveal();\n"
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

static void put_title(FILE *f, const struct html_report *r)
{
    if (r->title)
        html_put_textf(f, "resetlab report \xE2\x80\x94 %s", r->title);
    else
        html_put_textf(f, "resetlab report \xE2\x80\x94 session #%lld", (long long)r->session->id);
}

static void put_head(FILE *f, const struct html_report *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    put_title(f, r);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void put_top(FILE *f, const struct html_report *r)
{
    int met;
    long long runs;
    count_cells(r, &met, &runs);
    fputs("<header class=\"top\">\n<h1>", f);
    put_title(f, r);
    fputs("</h1>\n<div class=\"sub\">", f);
    html_put_textf(f, "%d of %d cells met their expectation \xC2\xB7 %lld runs \xC2\xB7 started %s", met, r->n_cells,
                   runs, r->session->facts.started);
    fputs("</div>\n<nav class=\"toc\"><a href=\"#session\">Session</a>", f);
    for (int i = 0; i < r->n_cells; i++)
        if (r->stats[i].tool_runs > 0) {
            fputs("<a href=\"#tools\">Tools</a>", f);
            break;
        }
    fputs("<a href=\"#matrix\">Matrix</a><a href=\"#diagnoses\">Board diagnoses</a>", f);
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
    html_put_textf(f, "This session is %s: the page shows the %lld runs it committed, not the whole matrix; "
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
/* -------------------------------------------------------------- footer -- */

static void put_footer(FILE *f, const struct html_report *r)
{
    fputs("<section class=\"card\" id=\"reproduce\">\n<h2>Reproduce</h2>\n<p class=\"muted\">The session's runs "
          "again, bit for bit (same lab, same seed):</p>\n<pre class=\"cmd\">", f);
    html_put_text(f, r->reproduce);
    fputs("</pre>\n</section>\n<footer>", f);
    html_put_textf(f, "Written by resetlab %s from %s, session #%lld.", r->version, r->db_path,
                   (long long)r->session->id);
    fputs("</footer>\n</main>\n", f);
    fputs(count_script, f);
    fputs("</body>\n</html>\n", f);
}

int html_write_report(FILE *f, const struct html_report *r)
{
    put_head(f, r);
    put_top(f, r);
    put_session(f, r);
    html_put_tools(f, r);
    html_put_matrix(f, r);
    html_put_diagnoses(f, r);
    html_put_below(f, r);
    html_put_trends(f, &r->trends);
    put_footer(f, r);
    return ferror(f) ? -1 : 0;
}
