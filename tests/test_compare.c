/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab compare` (reports/compare.c, harness/cmd_compare.c): what is
 * flagged and what is not, against hand-computed tests, and the command
 * end to end on the virtual lab: USB passthrough against serial
 * virtualization flags the classic-reset cells; two seeds on the same
 * hosts flag nothing. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/compare.h"
#include "helpers.h"

static char dir[] = "/tmp/resetlab-compare-XXXXXX";
static char out[1 << 17], err[1 << 14];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(compare, .init = setup, .fini = teardown, .timeout = 120);

/* A cell with `passed` of `runs` and margins base + k·step (k = 0..n-1). */
static struct compare_cell cell(const char *host, const char *scenario, int runs, int passed, int n, double base,
                                double step)
{
    struct compare_cell c = {.runs = runs, .passed = passed, .n_margin = n, .cap = n};
    snprintf(c.board, sizeof c.board, "devkitc");
    snprintf(c.host, sizeof c.host, "%s", host);
    snprintf(c.scenario, sizeof c.scenario, "%s", scenario);
    snprintf(c.expected, sizeof c.expected, "download");
    c.margin = n ? malloc((size_t)n * sizeof *c.margin) : NULL;
    for (int k = 0; k < n; k++)
        c.margin[k] = base + k * step;
    return c;
}

static struct compare_side side_of(struct compare_cell *cells, int n)
{
    struct compare_side s = {.cells = malloc((size_t)n * sizeof *cells), .n = n, .cap = n};
    memcpy(s.cells, cells, (size_t)n * sizeof *cells);
    return s;
}

static const struct compare_opts defaults = {.alpha = 0.05, .min_shift_ms = 0.5};

/* Pass counts. [[10,0],[0,10]]: p = 2/C(20,10) = 1.0825e-5 (test_stats),
 * far below Holm's 0.05/2 for the two tests made: a regression. The tea
 * table [[3,1],[1,3]], p = 0.4857: nothing. No margins: no margin test. */
Test(compare, pass_counts_flagged_only_when_real)
{
    struct compare_cell a[] = {cell("h", "classic", 10, 10, 0, 0, 0), cell("h", "tight", 4, 3, 0, 0, 0)};
    struct compare_cell b[] = {cell("h", "classic", 10, 0, 0, 0, 0), cell("h", "tight", 4, 1, 0, 0, 0)};
    struct compare_side sa = side_of(a, 2), sb = side_of(b, 2);
    struct compare_result r;
    cr_assert_eq(compare_sides(&sa, &sb, &defaults, &r), 0);
    cr_assert_eq(r.n, 2);
    cr_expect_eq(r.tests, 2);
    cr_expect_float_eq(r.rows[0].pass_p, 2.0 / 184756, 1e-12);
    cr_expect_eq(r.rows[0].pass, CHANGE_WORSE);
    cr_expect_float_eq(r.rows[1].pass_p, 34.0 / 70, 1e-12);
    cr_expect_eq(r.rows[1].pass, CHANGE_NONE);
    cr_expect_eq(r.regressions, 1);
    cr_expect_eq(r.improvements, 0);
    /* the other way round it is an improvement */
    compare_result_free(&r);
    cr_assert_eq(compare_sides(&sb, &sa, &defaults, &r), 0);
    cr_expect_eq(r.rows[0].pass, CHANGE_BETTER);
    cr_expect_eq(r.regressions, 0);
    cr_expect_eq(r.improvements, 1);
    compare_result_free(&r);
    compare_side_free(&sa);
    compare_side_free(&sb);
}

/* Holm. [[10,0],[4,6]]: 14 passes and 6 fails among 20 runs, 10 per side.
 * The tables with these margins have x = 4..10 passes in A, weight
 * C(14,x)·C(6,10−x): x = 10 and x = 4 both weigh 1001 (the least), x = 5
 * already 2002·6 = 12012, so p = 2·1001/C(20,10) = 2002/184756 = 0.01084.
 * Alone that is below 0.05: a regression. Among 40 tests Holm asks the
 * smallest p to be below 0.05/40 = 0.00125: noise. */
Test(compare, holm_keeps_many_cells_from_flagging_noise)
{
    struct compare_cell a[40], b[40];
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        a[i] = cell("h", name, 10, 10, 0, 0, 0);
        b[i] = cell("h", name, 10, i == 0 ? 4 : 10, 0, 0, 0);
    }
    struct compare_side sa = side_of(a, 1), sb = side_of(b, 1);
    struct compare_result r;
    cr_assert_eq(compare_sides(&sa, &sb, &defaults, &r), 0);
    cr_expect_float_eq(r.rows[0].pass_p, 2002.0 / 184756, 1e-12);
    cr_expect_eq(r.regressions, 1, "alone, p = 0.0108 is a regression");
    compare_result_free(&r);
    compare_side_free(&sa);
    compare_side_free(&sb);
    sa = side_of(a, 40), sb = side_of(b, 40);
    cr_assert_eq(compare_sides(&sa, &sb, &defaults, &r), 0);
    cr_expect_eq(r.tests, 40);
    cr_expect_eq(r.regressions, 0, "among 40 tests it is not");
    compare_result_free(&r);
    compare_side_free(&sa);
    compare_side_free(&sb);
}

/* Margins: 200 runs each spread over 0.2 ms, B shifted by 0.3 ms (no
 * overlap: significant, but under the 0.5 ms minimum) or by 2 ms (flagged,
 * a shift, not a regression: every run still passed). */
Test(compare, margin_shifts_need_size_and_significance)
{
    struct compare_cell a[] = {cell("h", "s", 200, 200, 200, 10, 0.001)};
    struct compare_cell small[] = {cell("h", "s", 200, 200, 200, 9.7, 0.001)};
    struct compare_cell big[] = {cell("h", "s", 200, 200, 200, 8, 0.001)};
    struct compare_side sa = side_of(a, 1), ss = side_of(small, 1), sbig = side_of(big, 1);
    struct compare_result r;
    cr_assert_eq(compare_sides(&sa, &ss, &defaults, &r), 0);
    cr_expect_lt(r.rows[0].margin_p, 1e-6);
    cr_expect_float_eq(r.rows[0].margin_b - r.rows[0].margin_a, -0.3, 1e-9);
    cr_expect_eq(r.rows[0].margin, CHANGE_NONE);
    cr_expect_eq(r.margin_shifts, 0);
    compare_result_free(&r);
    cr_assert_eq(compare_sides(&sa, &sbig, &defaults, &r), 0);
    cr_expect_eq(r.rows[0].margin, CHANGE_WORSE);
    cr_expect_eq(r.margin_shifts, 1);
    cr_expect_eq(r.regressions, 0);
    compare_result_free(&r);
    compare_side_free(&sa);
    compare_side_free(&ss);
    compare_side_free(&sbig);
}

/* Two hosts: matched by board and scenario; a cell on one side only is
 * listed, not tested. */
Test(compare, by_host_matching_and_cells_on_one_side)
{
    struct compare_cell a[] = {cell("vm-usb", "classic", 10, 3, 0, 0, 0), cell("vm-usb", "usb-jtag", 5, 5, 0, 0, 0)};
    struct compare_cell b[] = {cell("vm-serial", "classic", 10, 10, 0, 0, 0), cell("vm-serial", "tight", 5, 5, 0, 0, 0)};
    struct compare_side sa = side_of(a, 2), sb = side_of(b, 2);
    struct compare_opts o = defaults;
    o.by_host = 1;
    struct compare_result r;
    cr_assert_eq(compare_sides(&sa, &sb, &o, &r), 0);
    cr_assert_eq(r.n, 3);
    cr_expect(r.rows[0].a && r.rows[0].b, "classic matched across hosts");
    cr_expect_eq(r.rows[1].b, NULL);
    cr_expect_eq(r.rows[2].a, NULL);
    cr_expect_eq(r.tests, 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    compare_write_table(f, &sa, &sb, &r, &o);
    fclose(f);
    cr_expect(strstr(buf, "only in A") && strstr(buf, "only in B"), "%s", buf);
    free(buf);
    compare_result_free(&r);
    o.by_host = 0; /* by full name nothing matches */
    cr_assert_eq(compare_sides(&sa, &sb, &o, &r), 0);
    cr_expect_eq(r.n, 4);
    cr_expect_eq(r.tests, 0);
    compare_result_free(&r);
    compare_side_free(&sa);
    compare_side_free(&sb);
}

/* ------------------------------------------------------------ the CLI -- */

#define LAB_CELLS "--board devkitc --board devkitc-early --host vm-usb-passthrough --host vm-serial-virtualized"

static void make_store(void)
{
    char args[1024];
    for (int seed = 1; seed <= 2; seed++) {
        snprintf(args, sizeof args, "run " LAB_CELLS " --iterations 200 --seed %d --out %s/s%d --db %s/r.db", seed,
                 dir, seed, dir);
        int rc = run_cli(args, out, sizeof out, err, sizeof err);
        cr_assert(rc == 0 || rc == 1, "run exited %d: %s", rc, err);
    }
}

/* Count lines of the table whose change column says `word`. */
static int rows_saying(const char *text, const char *word, const char *scenario_prefix, int *other)
{
    int n = 0;
    *other = 0;
    for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char row[512];
        snprintf(row, sizeof row, "%.*s", (int)len, line);
        if (strstr(row, word) == NULL || strncmp(row, "devkitc", 7) != 0)
            continue;
        if (strstr(row, scenario_prefix) != NULL)
            n++;
        else
            (*other)++;
    }
    return n;
}

Test(compare, passthrough_against_serial_virtualization_flags_the_classic_cells)
{
    make_store();
    char args[1024];
    /* the same hosts, another seed: nothing */
    snprintf(args, sizeof args, "compare %s/r.db:1 %s/r.db:2", dir, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_expect(strstr(out, "0 regressions, 0 improvements (pass rates), 0 margin shifts") != NULL, "%s", out);
    /* passthrough (A) against serial virtualization (B): the classic resets improve */
    snprintf(args, sizeof args, "compare %s/r.db:1 --host vm-usb-passthrough --host vm-serial-virtualized", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    int other, other3;
    int classic = rows_saying(out, "improved", "esptool-classic", &other);
    /* esptool 3.x's connect loop is ClassicReset alone (issue #19): it improves with them */
    int esptool3 = rows_saying(out, "improved", "esptool-3", &other3);
    cr_expect_eq(classic, 4, "classic and classic-slow on both boards:\n%s", out);
    cr_expect_eq(esptool3, 2, "esptool 3.x on both boards:\n%s", out);
    cr_expect_eq(other, 2, "a cell other than the classic ones and esptool 3.x improved:\n%s", out);
    /* the other way round those are regressions: exit 1 */
    snprintf(args, sizeof args, "compare %s/r.db:1 --host vm-serial-virtualized --host vm-usb-passthrough --html %s/c.html",
             dir, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 1, "%s%s", out, err);
    cr_expect_eq(rows_saying(out, "REGRESSION", "esptool-classic", &other), 4, "%s", out);
    cr_expect_eq(other, 2, "esptool 3.x regresses with the classic resets, nothing else:\n%s", out);
    char path[512];
    snprintf(path, sizeof path, "%s/c.html", dir);
    char *html = slurp(path, NULL);
    cr_assert_not_null(html);
    cr_expect(strstr(html, "<tr class=\"worse\">") && strstr(html, "esptool-classic"), "no flagged row in the HTML");
    free(html);
    /* JSON: the same verdicts */
    snprintf(args, sizeof args, "compare %s/r.db --host vm-serial-virtualized --host vm-usb-passthrough --json", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 1, "%s", err);
    cr_expect(strstr(out, "\"regressions\": 6") && strstr(out, "\"pass_change\": \"worse\""), "%.2000s", out);
}

Test(compare, bad_input_is_one_error_line)
{
    char args[1024];
    expect_bad_input("compare", "which results?");
    expect_bad_input("compare /nonexistent.db /nonexistent2.db", "/nonexistent.db: no such results store");
    snprintf(args, sizeof args, "compare %s", dir);
    expect_bad_input(args, "one result set needs two --host options");
    expect_bad_input("compare a b c", "more than two result sets ('c')");
    expect_bad_input("compare a b --frob", "unknown option '--frob'");
    expect_bad_input("compare a b --alpha 2", "--alpha needs a number from 1e-09 to 0.5, got '2'");
    expect_bad_input("compare a b --host x --host y", "two result sets take at most one --host");
    expect_bad_input("compare a:0 b", "sessions are numbered from 1");
    make_store();
    snprintf(args, sizeof args, "compare %s/r.db:1 %s/r.db:9", dir, dir);
    expect_bad_input(args, "has no session 9");
    snprintf(args, sizeof args, "compare %s/r.db --host nowhere --host vm-usb-passthrough", dir);
    expect_bad_input(args, "has no runs on host 'nowhere'");
    char path[512];
    snprintf(path, sizeof path, "%s/plain.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("not a database, not at all, just text that fills more than a header would need...........\n", f);
    fclose(f);
    snprintf(args, sizeof args, "compare %s %s/r.db", path, dir);
    expect_bad_input(args, "plain.txt");
    cr_assert_eq(run_cli("compare --help", out, sizeof out, err, sizeof err), 0);
    cr_expect(strstr(out, "Holm") && strstr(out, "exit status"), "%s", out);
    cr_assert_eq(run_cli("help compare", out, sizeof out, err, sizeof err), 0);
}
