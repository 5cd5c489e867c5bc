/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JUnit report over hand-built cells: valid (through xmllint) against
 * tests/junit.xsd, resetlab's own hand-written schema of the JUnit format
 * as Jenkins and GitLab read it; the counts CI servers show, the failure and
 * error texts, escaping. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/junit.h"
#include "reports/results.h"
#include "helpers.h"

#define GAP_MESSAGE                                                                                                  \
    "the DTR/RTS gap (32.795 ms) outlasted the EN release (13.863 ms), so IO0 went low after the chip sampled it " \
    "(margin -18.932 ms)"
/* A finding that quotes arbitrary bytes: markup characters, a control byte,
 * a stray continuation byte and a "µ" cut in half at the end. */
#define HOSTILE_MESSAGE "banner <&>\"' then \x01 and \x80 and \xC2"
#define REPLACED "\xEF\xBF\xBD" /* U+FFFD */

static const struct junit_run run_facts = {"resetlab", "2024-05-01T12:00:00", 12.5, 7, 200};

/* One run's analysis: the figures that cell_add samples, and one finding. */
static struct analysis run_of(enum verdict v, enum boot_mode outcome, double margin_ms, const char *kind,
                              const char *message)
{
    struct analysis a;
    memset(&a, 0, sizeof a);
    a.verdict = v;
    a.outcome = outcome;
    a.margin_ms = margin_ms;
    a.gap_ms = v == VERDICT_ERROR ? NAN : 0.5 + fabs(margin_ms) / 10;
    a.en_release_ms = v == VERDICT_ERROR ? NAN : 13.863;
    a.tau_ms = NAN;
    if (kind) {
        a.n_findings = 1;
        snprintf(a.findings[0].kind, sizeof a.findings[0].kind, "%s", kind);
        a.findings[0].severity = SEV_ERROR;
        snprintf(a.findings[0].message, sizeof a.findings[0].message, "%s", message);
    }
    return a;
}

static void add_runs(struct cell_stats *c, int n, struct analysis a)
{
    for (int i = 0; i < n; i++)
        cell_add(c, &a);
}

/* Margins 1, 2, ..., n ms, in descending order (the writer must not sort them). */
static void add_passes(struct cell_stats *c, int n)
{
    for (int i = n; i >= 1; i--)
        add_runs(c, 1, run_of(VERDICT_PASS, c->expected, i, NULL, NULL));
}

/* The README's field failure: 131 of 200 pass; 62 flash boots from the gap,
 * 7 marginal. */
static void failing_cell(struct cell_stats *c)
{
    cell_init(c, "devkitc", "vm-usb-passthrough", "esptool-classic", BOOT_DOWNLOAD, 200);
    add_passes(c, 131);
    add_runs(c, 62, run_of(VERDICT_FAIL, BOOT_FLASH, -18.932, "gap-outlasted-en", GAP_MESSAGE));
    add_runs(c, 7, run_of(VERDICT_FAIL, BOOT_MARGINAL, -0.2, "strap-marginal", "IO0 fell 0.200 ms into the window"));
}

/* The lab could not carry out any of its runs. */
static void infrastructure_cell(struct cell_stats *c, const char *host)
{
    cell_init(c, "devkitc", host, "esptool-tight", BOOT_DOWNLOAD, 4);
    add_runs(c, 4, run_of(VERDICT_ERROR, BOOT_NONE, NAN, "infrastructure", "capture: no samples"));
}

/* Five cells on two boards: failing, passing, infrastructure-only, hostile
 * message (board 2), and no runs at all. */
struct matrix {
    struct cell_stats cells[5];
    int n;
};

static void build_matrix(struct matrix *m)
{
    m->n = 5;
    failing_cell(&m->cells[0]);
    cell_init(&m->cells[1], "devkitc", "native-linux", "esptool-classic", BOOT_DOWNLOAD, 10);
    add_passes(&m->cells[1], 10);
    infrastructure_cell(&m->cells[2], "wsl-usbipd");
    cell_init(&m->cells[3], "no-cap-board", "native-linux", "pyserial-open-close", BOOT_NONE, 3);
    add_runs(&m->cells[3], 3, run_of(VERDICT_FAIL, BOOT_FLASH, NAN, "spurious-reset", HOSTILE_MESSAGE));
    cell_init(&m->cells[4], "no-cap-board", "native-windows", "esptool-classic", BOOT_DOWNLOAD, 1);
    for (int i = 0; i < m->n; i++) /* complete: the writers read the closed cells' spreads */
        cell_close(&m->cells[i]);
}

static void free_matrix(struct matrix *m)
{
    for (int i = 0; i < m->n; i++)
        cell_free(&m->cells[i]);
}

/* Writes the report to a new temporary file; returns its text, path in `path`. */
static char *write_report(const struct cell_stats *cells, int n, char *path, size_t len)
{
    write_temp("", ".xml", path, len);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    cr_assert_eq(write_junit_xml(f, &run_facts, cells, n), 0);
    cr_assert_eq(fclose(f), 0);
    char *xml = slurp(path, NULL);
    cr_assert(xml != NULL);
    return xml;
}

/* xmllint's verdict on `path` against tests/junit.xsd: its exit status,
 * with what it said in `out`. */
static int validate(const char *path, char *out, size_t len)
{
    char schema[512], cmd[1200];
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema %s %s 2>&1",
             src_path("tests/junit.xsd", schema, sizeof schema), path);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The <testcase> element of `scenario` on `host` (a malloc'd copy). */
static char *testcase_of(const char *xml, const char *host, const char *scenario)
{
    char head[256];
    snprintf(head, sizeof head, ".%s\" name=\"%s\"", host, scenario);
    const char *at = strstr(xml, head);
    cr_assert(at != NULL, "no testcase %s in:\n%s", head, xml);
    while (at > xml && strncmp(at, "<testcase", 9) != 0)
        at--;
    const char *end = strstr(at, "</testcase>");
    cr_assert(end != NULL);
    return strndup(at, (size_t)(end - at) + strlen("</testcase>"));
}

static void expect_in(const char *haystack, const char *needle)
{
    cr_expect(strstr(haystack, needle) != NULL, "missing %s in:\n%s", needle, haystack);
}

static void expect_not_in(const char *haystack, const char *needle)
{
    cr_expect(strstr(haystack, needle) == NULL, "unexpected %s in:\n%s", needle, haystack);
}

Test(junit, valid_against_the_jenkins_schema)
{
    struct matrix m;
    build_matrix(&m);
    char path[64], said[4096];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    cr_expect_eq(validate(path, said, sizeof said), 0, "xmllint: %s\n%s", said, xml);
    free(xml);
    unlink(path);
    free_matrix(&m);
    assert_no_leaks("write_junit_xml");
}

/* Why a cell's figures are in <system-out>: the schema has no testcase
 * <properties>, and xmllint (the test's judge) says so. */
Test(junit, schema_rejects_testcase_properties)
{
    char path[64], said[4096];
    write_temp("<testsuites><testsuite name=\"s\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"c\">"
               "<properties><property name=\"runs\" value=\"1\"/></properties></testcase></testsuite></testsuites>\n",
               ".xml", path, sizeof path);
    cr_expect_neq(validate(path, said, sizeof said), 0, "xmllint accepted testcase properties: %s", said);
    unlink(path);
}

Test(junit, counts_per_run_and_per_board)
{
    struct matrix m;
    build_matrix(&m);
    char path[64];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    expect_in(xml, "<testsuites name=\"resetlab\" tests=\"5\" failures=\"2\" errors=\"1\" time=\"12.500\">");
    expect_in(xml, "<testsuite name=\"resetlab.devkitc\" tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"0\"");
    expect_in(xml, "<testsuite name=\"resetlab.no-cap-board\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\"");
    expect_in(xml, "timestamp=\"2024-05-01T12:00:00\"");
    expect_in(xml, "<property name=\"seed\" value=\"7\"/>");
    expect_in(xml, "<property name=\"iterations\" value=\"200\"/>");
    /* 12.5 s over 217 runs: the failing cell's 200 runs get 11.521 s. */
    expect_in(xml, "classname=\"resetlab.devkitc.vm-usb-passthrough\" name=\"esptool-classic\" time=\"11.521\"");
    free(xml);
    unlink(path);
    free_matrix(&m);
}

Test(junit, failure_is_the_worst_finding_with_counts_per_outcome)
{
    struct matrix m;
    build_matrix(&m);
    char path[64];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    char *tc = testcase_of(xml, "vm-usb-passthrough", "esptool-classic");
    expect_in(tc, "<failure message=\"" GAP_MESSAGE "\" type=\"gap-outlasted-en\">");
    expect_in(tc, "devkitc / vm-usb-passthrough / esptool-classic: expected download, passed 131 of 200 runs\n"
                  "download 131, flash 62, no-reset 0, marginal 7, errors 0\n");
    expect_in(tc, "  gap-outlasted-en, 62 runs: " GAP_MESSAGE "\n");
    expect_in(tc, "  strap-marginal, 7 runs: IO0 fell 0.200 ms into the window\n");
    expect_in(tc, "pass_rate=0.6550\n");
    expect_not_in(tc, "<error");
    free(tc);
    free(xml);
    unlink(path);
    free_matrix(&m);
}

Test(junit, markup_and_control_bytes_are_escaped)
{
    struct matrix m;
    build_matrix(&m);
    char path[64];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    char *tc = testcase_of(xml, "native-linux", "pyserial-open-close");
    expect_in(tc, "message=\"banner &lt;&amp;&gt;&quot;&apos; then " REPLACED " and " REPLACED " and " REPLACED "\"");
    expect_in(tc, "3 runs: banner &lt;&amp;&gt;&quot;&apos; then " REPLACED " and " REPLACED " and " REPLACED "\n");
    expect_not_in(xml, "\x01");
    expect_not_in(xml, "<&>");
    free(tc);
    free(xml);
    unlink(path);
    free_matrix(&m);
}

Test(junit, infrastructure_only_cells_are_errors)
{
    struct matrix m;
    build_matrix(&m);
    /* Passing runs and errors, no failed run: the lab's fault still. */
    cell_free(&m.cells[1]);
    infrastructure_cell(&m.cells[1], "native-linux");
    add_passes(&m.cells[1], 5);
    char path[64], said[4096];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    for (int i = 1; i <= 2; i++) {
        char *tc = testcase_of(xml, m.cells[i].host, "esptool-tight");
        expect_in(tc, "<error message=\"capture: no samples\" type=\"infrastructure\">");
        expect_in(tc, "errors 4\n");
        expect_not_in(tc, "<failure");
        free(tc);
    }
    expect_in(xml, "<testsuite name=\"resetlab.devkitc\" tests=\"3\" failures=\"1\" errors=\"2\"");
    cr_expect_eq(validate(path, said, sizeof said), 0, "xmllint: %s", said);
    free(xml);
    unlink(path);
    free_matrix(&m);
}

Test(junit, passing_cell_has_figures_and_no_failure)
{
    struct matrix m;
    build_matrix(&m);
    char path[64];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    char *tc = testcase_of(xml, "native-linux", "esptool-classic");
    expect_not_in(tc, "<failure");
    expect_not_in(tc, "<error");
    expect_not_in(tc, "<skipped");
    /* margins 1..10 ms: p50 the 5th, p5 the 1st; gaps 0.6..1.5 ms */
    expect_in(tc, "<system-out>runs=10\npassed=10\nfailed=0\nerrors=0\npass_rate=1.0000\nexpected=download\n"
                  "outcomes=download 10, flash 0, no-reset 0, marginal 0\n"
                  "margin_ms_p50=5.0000\nmargin_ms_p5=1.0000\ngap_ms_p50=1.0000\ngap_ms_p95=1.5000\n"
                  "en_release_ms_p50=13.8630\n</system-out>");
    cr_expect_eq(m.cells[1].margin.n, 10);
    free(tc);
    free(xml);
    unlink(path);
    free_matrix(&m);
}

Test(junit, cell_without_runs_is_skipped_without_figures)
{
    struct matrix m;
    build_matrix(&m);
    char path[64];
    char *xml = write_report(m.cells, m.n, path, sizeof path);
    char *tc = testcase_of(xml, "native-windows", "esptool-classic");
    expect_in(tc, "<skipped message=\"no runs\"/>");
    expect_not_in(tc, "pass_rate");
    expect_not_in(tc, "margin_ms");
    free(tc);
    free(xml);
    unlink(path);
    free_matrix(&m);
}

Test(junit, same_cells_give_the_same_bytes)
{
    struct matrix m;
    build_matrix(&m);
    char a_path[64], b_path[64];
    char *a = write_report(m.cells, m.n, a_path, sizeof a_path);
    char *b = write_report(m.cells, m.n, b_path, sizeof b_path);
    cr_expect_str_eq(a, b);
    free(a);
    free(b);
    unlink(a_path);
    unlink(b_path);
    free_matrix(&m);
}

/* ---- runs.jsonl's numbers: json_num is printf's "%.4f" ---- */

static void json_num_text(double v, char *out, size_t len)
{
    FILE *f = fmemopen(out, len, "w");
    cr_assert_not_null(f);
    json_num(f, v);
    fclose(f);
}

static void assert_like_printf(double v)
{
    char got[64], want[64];
    json_num_text(v, got, sizeof got);
    snprintf(want, sizeof want, "%.4f", v);
    cr_assert_str_eq(got, want, "json_num(%.17g)", v);
}

Test(json, numbers_are_printfs_4_decimals)
{
    /* ties in binary (0.00005 is not one; 0.03125 = 2^-5 is exact, so is
     * its half-unit neighbour 1.03125 → round-half-even on the exact value),
     * signs, zero of both signs, carries into the integer part, huge */
    const double fixed[] = {0,        -0.0,      1.03125,   -1.03125,   0.00005,  2.00015,     0.99995,
                            -0.99995, 9.99995,   13.8627,   -35.5744,   1e15,     -2.5e16,     123456789.12345,
                            1e-300,   -1e-300,   0.5e-4,    1.5e-4,     2.5e-4,   4503599627370495.5};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        assert_like_printf(fixed[i]);
    uint64_t x = 88172645463325252ULL; /* xorshift: values over many magnitudes */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double mant = (double)(x >> 11) / 9007199254740992.0;
        assert_like_printf((x & 1 ? -1 : 1) * mant * pow(10, (int)(x % 14) - 4));
    }
    char nan_text[16];
    json_num_text(NAN, nan_text, sizeof nan_text);
    cr_assert_str_eq(nan_text, "null");
}

Test(json, strings_escape_quotes_backslashes_and_controls)
{
    char out[128];
    FILE *f = fmemopen(out, sizeof out, "w");
    json_str(f, "a\"b\\c\x01\nd é");
    fclose(f);
    cr_assert_str_eq(out, "\"a\\\"b\\\\c\\u0001\\u000ad é\"");
}
