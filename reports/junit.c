/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JUnit XML (junit.h): a testsuite per board, a testcase per cell, a
 * failure or error with the cell's worst finding. May call: reports/
 * (results, stats), libc. */
#include "junit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* ------------------------------------------------------------ escaping -- */

#define REPLACEMENT_CHARACTER "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

static const char *xml_entity(unsigned char ch)
{
    switch (ch) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&apos;";
    default:
        return NULL;
    }
}

/* One ASCII byte. In an attribute, tabs and line ends are written as
 * references: a parser would otherwise turn them into spaces. */
static void xml_ascii(FILE *f, unsigned char ch, int in_attribute)
{
    const char *entity = xml_entity(ch);
    int white = ch == '\t' || ch == '\n' || ch == '\r';
    if (entity)
        fputs(entity, f);
    else if (white && in_attribute)
        fprintf(f, "&#%d;", ch);
    else if (ch < 0x20 && !white)
        fputs(REPLACEMENT_CHARACTER, f); /* XML 1.0 has no form for these, escaped or not */
    else
        fputc(ch, f);
}

void xml_escaped(FILE *f, const char *text, int in_attribute)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        if (*s < 0x80) {
            xml_ascii(f, *s++, in_attribute);
            continue;
        }
        int n = utf8_char_len(s);
        if (n > 0) {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        } else {
            fputs(REPLACEMENT_CHARACTER, f);
            s++;
        }
    }
}

static void xml_text(FILE *f, const char *text)
{
    xml_escaped(f, text, 0);
}

/* ` name="value"` */
static void xml_attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    xml_escaped(f, value, 1);
    fputc('"', f);
}

static void xml_attr_int(FILE *f, const char *name, long long value)
{
    fprintf(f, " %s=\"%lld\"", name, value);
}

/* Seconds as a plain decimal, never negative (the schema's SecondsType). */
static void xml_attr_time(FILE *f, const char *name, double seconds)
{
    fprintf(f, " %s=\"%.3f\"", name, isfinite(seconds) && seconds > 0 ? seconds : 0.0);
}

/* "resetlab.devkitc" or "resetlab.devkitc.native-linux": Jenkins splits a
 * classname at its last dot into package and class, so the tree it shows
 * is board, then host, then scenario. */
static void xml_attr_dotted(FILE *f, const char *name, const char *a, const char *b, const char *c)
{
    fprintf(f, " %s=\"", name);
    xml_escaped(f, a, 1);
    fputc('.', f);
    xml_escaped(f, b, 1);
    if (c) {
        fputc('.', f);
        xml_escaped(f, c, 1);
    }
    fputc('"', f);
}

/* --------------------------------------------------------------- cells -- */

enum cell_result { CELL_PASSED, CELL_FAILED, CELL_ERROR, CELL_SKIPPED };

static enum cell_result result_of(const struct cell_stats *c)
{
    if (c->runs == 0)
        return CELL_SKIPPED;
    /* Only a wrong boot mode says something about the circuit; runs the lab
     * could not carry out say nothing, so they are the CI's "error". A known
     * failure is skipped, with its reason. */
    switch (cell_gate_state(c)) {
    case GATE_MET:
    case GATE_FIXED: return CELL_PASSED;
    case GATE_KNOWN: return CELL_SKIPPED;
    case GATE_FAILED: return CELL_FAILED;
    default: return CELL_ERROR;
    }
}

/* The headline: the worst finding; when a cell has none, its counts. */
static void write_problem_attrs(FILE *f, const struct cell_stats *c, enum cell_result r)
{
    const struct finding *worst = cell_worst(c);
    if (worst) {
        xml_attr(f, "message", worst->message);
        xml_attr(f, "type", worst->kind);
        return;
    }
    char message[96];
    if (r == CELL_FAILED)
        snprintf(message, sizeof message, "%d of %d runs did not boot %s", c->failed, c->runs,
                 boot_mode_name(c->expected));
    else
        snprintf(message, sizeof message, "%d of %d runs were infrastructure errors", c->errors, c->runs);
    xml_attr(f, "message", message);
    xml_attr(f, "type", r == CELL_FAILED ? "wrong-boot-mode" : "infrastructure");
}

/* The counts per outcome, worded as the console table words them, then every
 * kind of finding in the runs that did not pass. */
static void write_problem_body(FILE *f, const struct cell_stats *c)
{
    xml_text(f, c->board);
    fputs(" / ", f);
    xml_text(f, c->host);
    fputs(" / ", f);
    xml_text(f, c->scenario);
    fprintf(f, ": expected %s, passed %d of %d runs\n", boot_mode_name(c->expected), c->passed, c->runs);
    fprintf(f, "download %d, flash %d, no-reset %d, marginal %d, errors %d\n", c->outcomes[BOOT_DOWNLOAD],
            c->outcomes[BOOT_FLASH], c->outcomes[BOOT_NONE], c->outcomes[BOOT_MARGINAL], c->errors);
    if (c->n_kinds > 0)
        fputs("findings in the runs that did not pass (kind, runs: first message):\n", f);
    for (int k = 0; k < c->n_kinds; k++) {
        fputs("  ", f);
        xml_text(f, c->kinds[k].kind);
        fprintf(f, ", %d runs: ", c->kind_count[k]);
        xml_text(f, c->kinds[k].message);
        fputc('\n', f);
    }
}

static void write_problem(FILE *f, const struct cell_stats *c, enum cell_result r)
{
    const char *element = r == CELL_FAILED ? "failure" : "error";
    fprintf(f, "      <%s", element);
    write_problem_attrs(f, c, r);
    fputs(">", f);
    write_problem_body(f, c);
    fprintf(f, "</%s>\n", element);
}

static void write_figure(FILE *f, const char *name, double v)
{
    if (!isnan(v))
        fprintf(f, "%s=%.4f\n", name, v);
}

/* margin: its low tail is the risk; gap: its high tail. */
static void write_timing_figures(FILE *f, const struct cell_stats *c)
{
    write_figure(f, "margin_ms_p50", c->margin.p50);
    write_figure(f, "margin_ms_p5", c->margin.p5);
    write_figure(f, "gap_ms_p50", c->gap.p50);
    write_figure(f, "gap_ms_p95", c->gap.p95);
    write_figure(f, "en_release_ms_p50", c->en_release.p50);
}

/* The gate: its state, tolerance and known failure, when it has them. */
static void write_gate_figures(FILE *f, const struct cell_stats *c)
{
    enum gate_state g = cell_gate_state(c);
    if (g == GATE_MET && c->gate.min_rate >= 1)
        return; /* the default: nothing to add */
    fprintf(f, "gate=%s\n", g == GATE_FIXED ? "fixed, remove from known" : gate_state_name(g));
    if (c->gate.min_rate < 1)
        fprintf(f, "min_rate=%.4f\nz=%.4f\n", c->gate.min_rate, c->gate.z);
    if (c->gate.known_reason == NULL)
        return;
    fputs("known=", f);
    xml_text(f, c->gate.known_reason);
    if (c->gate.known_link) {
        fputs(" (", f);
        xml_text(f, c->gate.known_link);
        fputc(')', f);
    }
    if (c->gate.known_where) {
        fputs(", ", f);
        xml_text(f, c->gate.known_where);
    }
    fputc('\n', f);
}

/* The cell's figures as name=value lines: the schema allows no testcase
 * <properties>, and CI servers show <system-out> with the test. */
static void write_cell_figures(FILE *f, const struct cell_stats *c)
{
    fputs("      <system-out>", f);
    fprintf(f, "runs=%d\npassed=%d\nfailed=%d\nerrors=%d\n", c->runs, c->passed, c->failed, c->errors);
    if (c->runs > 0)
        fprintf(f, "pass_rate=%.4f\n", (double)c->passed / c->runs);
    fprintf(f, "expected=%s\n", boot_mode_name(c->expected));
    fprintf(f, "outcomes=download %d, flash %d, no-reset %d, marginal %d\n", c->outcomes[BOOT_DOWNLOAD],
            c->outcomes[BOOT_FLASH], c->outcomes[BOOT_NONE], c->outcomes[BOOT_MARGINAL]);
    write_timing_figures(f, c);
    write_gate_figures(f, c);
    if (c->tool_runs > 0) { /* a tool's connect loop: what its users see */
        fprintf(f, "connected=%d of %d\n", c->connected, c->tool_runs);
        write_figure(f, "attempts_p50", c->attempts.p50);
        write_figure(f, "attempts_p95", c->attempts.p95);
        write_figure(f, "attempts_max", c->attempts.max);
        write_figure(f, "connect_ms_p50", c->connect_ms.p50);
        write_figure(f, "connect_ms_p95", c->connect_ms.p95);
        write_figure(f, "connect_ms_max", c->connect_ms.max);
    }
    for (int i = 0; i < c->n_diag; i++) { /* a faulty board can still pass a reset */
        fputs("board_diagnosis=", f);
        xml_text(f, c->diag[i].message);
        fprintf(f, " (%d of %d runs)\n", c->diag_count[i], c->runs);
    }
    fputs("</system-out>\n", f);
}

static void write_testcase(FILE *f, const char *prefix, const struct cell_stats *c, double seconds)
{
    enum cell_result r = result_of(c);
    fputs("    <testcase", f);
    xml_attr_dotted(f, "classname", prefix, c->board, c->host);
    xml_attr(f, "name", c->scenario);
    xml_attr_time(f, "time", seconds);
    fputs(">\n", f);
    if (r == CELL_FAILED || r == CELL_ERROR)
        write_problem(f, c, r);
    else if (r == CELL_SKIPPED && c->runs > 0) {
        fputs("      <skipped", f);
        char message[300];
        snprintf(message, sizeof message, "known: %s", c->gate.known_reason);
        xml_attr(f, "message", message);
        fputs("/>\n", f);
    } else if (r == CELL_SKIPPED)
        fputs("      <skipped message=\"no runs\"/>\n", f);
    write_cell_figures(f, c);
    fputs("    </testcase>\n", f);
}

/* -------------------------------------------------------------- suites -- */

struct tally {
    int tests, failures, errors, skipped;
    long long runs;
};

static void tally_cell(struct tally *t, const struct cell_stats *c)
{
    enum cell_result r = result_of(c);
    t->tests++;
    t->failures += r == CELL_FAILED;
    t->errors += r == CELL_ERROR;
    t->skipped += r == CELL_SKIPPED;
    t->runs += c->runs;
}

/* The matrix times the whole run, not each cell: a cell's share of the
 * wall time is its share of the runs. */
static double share_of(const struct junit_run *run, long long runs, long long total_runs)
{
    return total_runs > 0 ? run->elapsed_s * (double)runs / (double)total_runs : 0.0;
}

static int first_of_board(const struct cell_stats *cells, int i)
{
    for (int j = 0; j < i; j++)
        if (strcmp(cells[j].board, cells[i].board) == 0)
            return 0;
    return 1;
}

static void write_suite_properties(FILE *f, const struct junit_run *run)
{
    fputs("    <properties>\n", f);
    fprintf(f, "      <property name=\"seed\" value=\"%llu\"/>\n", (unsigned long long)run->seed);
    fprintf(f, "      <property name=\"iterations\" value=\"%d\"/>\n", run->iterations);
    fputs("    </properties>\n", f);
}

/* The suite of cells[first]'s board: every cell of that board. */
static void write_suite(FILE *f, const struct junit_run *run, const struct cell_stats *cells, int n_cells, int first,
                        long long total_runs)
{
    const char *board = cells[first].board;
    struct tally t = {0};
    for (int i = first; i < n_cells; i++)
        if (strcmp(cells[i].board, board) == 0)
            tally_cell(&t, &cells[i]);
    fputs("  <testsuite", f);
    xml_attr_dotted(f, "name", run->name, board, NULL);
    xml_attr_int(f, "tests", t.tests);
    xml_attr_int(f, "failures", t.failures);
    xml_attr_int(f, "errors", t.errors);
    xml_attr_int(f, "skipped", t.skipped);
    xml_attr_time(f, "time", share_of(run, t.runs, total_runs));
    if (run->timestamp)
        xml_attr(f, "timestamp", run->timestamp);
    fputs(">\n", f);
    write_suite_properties(f, run);
    for (int i = first; i < n_cells; i++)
        if (strcmp(cells[i].board, board) == 0)
            write_testcase(f, run->name, &cells[i], share_of(run, cells[i].runs, total_runs));
    fputs("  </testsuite>\n", f);
}

int write_junit_xml(FILE *f, const struct junit_run *run, const struct cell_stats *cells, int n_cells)
{
    struct tally all = {0};
    for (int i = 0; i < n_cells; i++)
        tally_cell(&all, &cells[i]);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
    xml_attr(f, "name", run->name);
    xml_attr_int(f, "tests", all.tests);
    xml_attr_int(f, "failures", all.failures);
    xml_attr_int(f, "errors", all.errors);
    xml_attr_time(f, "time", run->elapsed_s);
    fputs(">\n", f);
    for (int i = 0; i < n_cells; i++)
        if (first_of_board(cells, i))
            write_suite(f, run, cells, n_cells, i, all.runs);
    fputs("</testsuites>\n", f);
    return ferror(f) ? -1 : 0;
}
