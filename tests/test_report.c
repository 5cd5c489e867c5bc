/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report (reports/html.c, harness/report.c, `resetlab report`):
 * what `resetlab run` writes at its end and `resetlab report` writes again,
 * byte for byte; the matrix's figures against summary.json; the failing
 * cell's timing diagrams; trends over sessions; a lab that is gone; a real
 * browser loading it all. Sessions made through the store API:
 * test_report_sessions.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/html.h"
#include "reports/stats.h"
#include "report_fixture.h"

TestSuite(report, .init = setup, .fini = teardown, .timeout = 240);

/* ---- figures from summary.json ---- */

struct cell_counts {
    int runs, passed;
};

/* runs and passed of one cell, read from summary.json's text. */
static struct cell_counts summary_cell(const char *summary, const char *host, const char *scenario)
{
    char key[200];
    snprintf(key, sizeof key, "\"host\": \"%s\", \"scenario\": \"%s\"", host, scenario);
    const char *p = strstr(summary, key);
    cr_assert_not_null(p, "summary.json has no cell %s / %s", host, scenario);
    struct cell_counts c;
    cr_assert_not_null(strstr(p, "\"runs\": "));
    cr_assert_eq(sscanf(strstr(p, "\"runs\": "), "\"runs\": %d, \"passed\": %d", &c.runs, &c.passed), 2);
    return c;
}

/* The matrix cell's text: "32.0 %</span> <span class="ci">[23.7–41.7]",
 * the Wilson interval computed here from its formula, not stats.c:
 *   p = passed/runs, z = 1.959964 (the normal's 0.975 quantile),
 *   centre = (p + z²/2n) / (1 + z²/n),
 *   half = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
 * The classic cell through passthrough at seed 1: 32 of 100, p = 0.32,
 * z² = 3.84146, 1 + z²/n = 1.0384146, centre = (0.32 + 0.0192073) /
 * 1.0384146 = 0.32666, half = 1.959964 · √(0.002176 + 0.00009604) /
 * 1.0384146 = 0.08997: [23.7–41.7]. */
static void expected_cell_text(struct cell_counts c, char *buf, size_t len)
{
    double n = c.runs, p = c.passed / n, z = 1.959963984540054, z2 = z * z;
    double denom = 1 + z2 / n, centre = (p + z2 / (2 * n)) / denom;
    double half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
    snprintf(buf, len, "%.1f %%</span> <span class=\"ci\">[%.1f\xE2\x80\x93%.1f]", 100 * p, 100 * (centre - half),
             100 * (centre + half));
}

/* The matrix row of `scenario` holds `text` in the column of `host`. */
static void expect_matrix_cell(const char *html, const char *host, const char *scenario, const char *text)
{
    char key[200];
    snprintf(key, sizeof key, "<td class=\"scen\">%s</td>", scenario);
    const char *row = strstr(html, key);
    cr_assert_not_null(row, "no matrix row for %s", scenario);
    const char *end = strstr(row, "</tr>");
    int column = strcmp(host, "native-linux") == 0 ? 0 : 1; /* the hosts in the order given */
    const char *cell = row;
    for (int k = 0; k <= column; k++)
        cell = strstr(cell + 1, "<td class=\"rate\"");
    cr_assert(cell != NULL && cell < end, "no %s cell in the %s row", host, scenario);
    const char *cell_end = strstr(cell, "</td>");
    const char *found = strstr(cell, text);
    cr_expect(found != NULL && found < cell_end, "%s / %s: '%s' not in %.*s", host, scenario, text,
              (int)(cell_end - cell), cell);
}

/* ---- end to end ---- */

Test(report, run_writes_the_report_with_matrix_failing_cell_and_diagrams)
{
    char res[300], args[400], path[400];
    in_dir("res", res, sizeof res);
    snprintf(args, sizeof args, "--out %s", res);
    run_small_matrix(args);
    snprintf(path, sizeof path, "%s/index.html", res);
    cr_expect(strstr(out, path) != NULL, "run does not say it wrote %s: %s", path, out);
    char *html = read_file(path);
    snprintf(path, sizeof path, "%s/summary.json", res);
    char *summary = read_file(path);

    /* every cell's pass rate and interval, as summary.json counts them */
    const char *hosts[] = {"native-linux", "vm-usb-passthrough"}, *scens[] = {"esptool-classic", "esptool-tight"};
    for (int h = 0; h < 2; h++)
        for (int s = 0; s < 2; s++) {
            char text[200];
            expected_cell_text(summary_cell(summary, hosts[h], scens[s]), text, sizeof text);
            expect_matrix_cell(html, hosts[h], scens[s], text);
        }
    struct cell_counts classic = summary_cell(summary, "vm-usb-passthrough", "esptool-classic");
    cr_assert(classic.passed < classic.runs, "the classic reset through passthrough should fail sometimes");

    /* the failing cell's section: worst finding, two diagrams */
    const char *cell = strstr(html, "<h4>devkitc / vm-usb-passthrough / esptool-classic</h4>");
    cr_assert_not_null(cell, "no section for the failing cell");
    cr_expect(strstr(cell, "gap-outlasted-en") != NULL, "the worst finding is not shown");
    const char *diagrams[] = {"plots/devkitc--vm-usb-passthrough--esptool-classic--typical.svg",
                              "plots/devkitc--vm-usb-passthrough--esptool-classic--worst.svg"};
    for (int k = 0; k < 2; k++) {
        char img[200];
        snprintf(img, sizeof img, "src=\"%s\"", diagrams[k]);
        cr_expect(strstr(cell, img) != NULL, "the failing cell does not show %s", diagrams[k]);
        snprintf(path, sizeof path, "%s/%s", res, diagrams[k]);
        assert_valid_svg(path);
        char *svg = read_file(path);
        cr_expect(strstr(svg, k ? "esptool-classic \xE2\x80\x94 worst run (#" : "esptool-classic \xE2\x80\x94 typical run (#"),
                  "%s has no title", diagrams[k]);
        cr_expect(strstr(svg, ">strap margin") != NULL, "%s shows no margin", diagrams[k]);
        free(svg);
    }
    cr_expect(strstr(html, "src=\"plots/devkitc--esptool-classic--gap-hist.svg\"") &&
              strstr(html, "src=\"plots/devkitc--esptool-classic--gap-cdf.svg\""), "no gap distribution");
    cr_expect_null(strstr(html, "<h4>devkitc / native-linux / esptool-classic</h4>"), "a passing cell has a section");

    /* the header's facts and the footer's command */
    const char *facts[] = {">seed</dt><dd>1<", ">iterations</dt><dd>100 per cell<", ">boards SHA-256</dt>",
                           ">virtualization</dt>", ">kernel</dt>", "3 of 4 met their expectation",
                           "resetlab run --board devkitc --host native-linux"};
    for (size_t k = 0; k < sizeof facts / sizeof facts[0]; k++)
        cr_expect(strstr(html, facts[k]) != NULL, "the page lacks %s", facts[k]);

    cr_expect_eq(check_images(html, res), 4, "2 timing diagrams and 2 distributions");
    check_ids_and_links(html);
    check_no_network(html);
    snprintf(path, sizeof path, "%s/index.html", res);
    check_html_parses(path);
    free(html);
    free(summary);
}

static void assert_same_files(const char *a, const char *b)
{
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    cr_assert(x && y, "%s or %s missing", a, b);
    cr_expect(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

Test(report, report_command_writes_the_same_page_and_diagrams_again)
{
    char res[300], again[300], args[800], a[600], b[600];
    in_dir("res", res, sizeof res);
    in_dir("again", again, sizeof again);
    snprintf(args, sizeof args, "--out %s", res);
    run_small_matrix(args);
    snprintf(args, sizeof args, "report --db %s/results.db --report %s", res, again);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(a, sizeof a, "wrote %s/index.html\n", again);
    cr_expect_str_eq(out, a);
    const char *files[] = {"index.html", "plots/devkitc--vm-usb-passthrough--esptool-classic--typical.svg",
                           "plots/devkitc--vm-usb-passthrough--esptool-classic--worst.svg",
                           "plots/devkitc--esptool-classic--gap-hist.svg", "plots/devkitc--esptool-classic--gap-cdf.svg"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        snprintf(a, sizeof a, "%s/%s", res, files[k]);
        snprintf(b, sizeof b, "%s/%s", again, files[k]);
        assert_same_files(a, b);
    }
    /* --out DIR reads DIR/results.db and writes beside it */
    snprintf(args, sizeof args, "report --out %s", res);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(a, sizeof a, "wrote %s/index.html\n", res);
    cr_expect_str_eq(out, a);
}

Test(report, trends_over_sessions_of_one_store)
{
    char db[300], args[900], path[600];
    in_dir("lab.db", db, sizeof db);
    for (int seed = 1; seed <= 2; seed++) {
        snprintf(args, sizeof args, "--seed %d --db %s --out %s/run%d", seed, db, dir, seed);
        run_small_matrix(args);
    }
    /* the second run's own page already has them: 30 sessions by default */
    snprintf(path, sizeof path, "%s/run2/index.html", dir);
    char *html = read_file(path);
    cr_expect(strstr(html, "id=\"trends\"") != NULL, "run's page has no trends over the store's 2 sessions");
    free(html);

    snprintf(args, sizeof args, "report --db %s --last 2 --report %s/page", db, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/page/index.html", dir);
    html = read_file(path);
    const char *trends = strstr(html, "<h2>Trends</h2>");
    cr_assert_not_null(trends, "no Trends section");
    cr_expect(strstr(trends, "<td>#1</td>") && strstr(trends, "<td>#2</td>"), "the sessions are not listed");
    cr_expect(strstr(trends, "src=\"plots/trend-pass-1.svg\"") && strstr(trends, "src=\"plots/trend-margin-1.svg\""),
              "no trend plots");
    snprintf(path, sizeof path, "%s/page/plots/trend-pass-1.svg", dir);
    assert_valid_svg(path);
    char *svg = read_file(path);
    cr_expect(strstr(svg, ">devkitc / vm-usb-passthrough / esptool-classic<") != NULL, "the failing cell is not plotted");
    cr_expect_null(strstr(svg, ">devkitc / native-linux / esptool-tight<"), "a cell that always met is plotted");
    free(svg);
    free(html);

    snprintf(args, sizeof args, "report --db %s --last 1 --report %s/one", db, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/one/index.html", dir);
    html = read_file(path);
    cr_expect_null(strstr(html, "id=\"trends\""), "--last 1 has trends");
    free(html);
}

/* ---- bad input ---- */

Test(report, bad_input_is_one_error_line)
{
    char args[600], res[300];
    in_dir("res", res, sizeof res);
    snprintf(args, sizeof args, "report --db %s/none.db", dir);
    expect_bad_input(args, "no results store at");
    snprintf(args, sizeof args, "report --out %s/nothing-here", dir);
    expect_bad_input(args, "no results store at");
    expect_bad_input("report --last 0", "--last needs a whole number from 1 to 1000, got '0'");
    expect_bad_input("report --session x", "--session needs a whole number");
    expect_bad_input("report --frobnicate", "unknown option '--frobnicate'");
    expect_bad_input("report --db a.db --out b", "not both");
    expect_bad_input("report --report", "--report needs a value");
    snprintf(args, sizeof args, "--out %s", res);
    run_small_matrix(args);
    snprintf(args, sizeof args, "report --db %s/results.db --session 7", res);
    expect_bad_input(args, "session #7 is not in");
    char junk[400];
    snprintf(junk, sizeof junk, "%s/junk.db", dir);
    FILE *f = fopen(junk, "w");
    cr_assert_not_null(f);
    fputs("not a database", f);
    fclose(f);
    snprintf(args, sizeof args, "report --db %s", junk);
    expect_bad_input(args, "junk.db");
}

Test(report, help)
{
    cr_assert_eq(run_cli("report --help", out, sizeof out, err, sizeof err), 0);
    cr_expect(strstr(out, "--last N") && strstr(out, "index.html") && strstr(out, "exit status"), "%s", out);
    cr_assert_eq(run_cli("help report", out, sizeof out, err, sizeof err), 0);
    cr_expect(strstr(out, "usage: resetlab report") != NULL);
    cr_assert_eq(run_cli("--help", out, sizeof out, err, sizeof err), 0);
    cr_expect(strstr(out, "  report ") != NULL, "the command list lacks report");
}

/* The session's boards.yaml is gone, or another one now: the page still
 * renders, with notes where the diagrams would be, never another lab's. */
Test(report, a_lab_that_changed_or_went_leaves_notes_not_diagrams)
{
    char lab[300], boards[300], args[1200], path[600];
    in_dir("lab.yaml", lab, sizeof lab);
    char *text = read_file(src_path("boards.yaml", boards, sizeof boards));
    FILE *f = fopen(lab, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(args, sizeof args, "--boards %s --out %s/res", lab, dir);
    run_small_matrix(args);
    cr_assert_eq(unlink(lab), 0);
    snprintf(args, sizeof args, "report --db %s/res/results.db --report %s/gone", dir, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/gone/index.html", dir);
    char *html = read_file(path);
    cr_expect(strstr(html, "timing diagram not redrawn: the session&apos;s lab") != NULL, "no note");
    cr_expect_null(strstr(html, "--typical.svg"), "a diagram drawn without the lab");
    cr_expect(strstr(html, "gap-hist.svg") != NULL, "the distributions need no lab");
    free(html);

    f = fopen(lab, "w"); /* the same lab, one comment more */
    fprintf(f, "# edited\n%s", text);
    fclose(f);
    snprintf(args, sizeof args, "report --db %s/res/results.db --report %s/changed", dir, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/changed/index.html", dir);
    html = read_file(path);
    cr_expect(strstr(html, "lab.yaml has changed since the session ran") != NULL, "no note on the changed lab");
    cr_expect_null(strstr(html, "--worst.svg"), "a diagram drawn on another lab");
    free(html);
    free(text);
}

/* boards.yaml is the same but a scenario is not: the run made again from
 * its seed is not the stored one, and the page says so. */
Test(report, a_scenario_that_changed_leaves_notes_not_diagrams)
{
    char scen[300], args[1200], path[600];
    in_dir("scenarios", scen, sizeof scen);
    snprintf(args, sizeof args, "cp -r '%s/scenarios' '%s'", RESETLAB_SOURCE_DIR, scen);
    cr_assert_eq(system(args), 0);
    snprintf(args, sizeof args, "--scenarios %s --out %s/res", scen, dir);
    run_small_matrix(args);
    /* 5 ms more between releasing EN and pulling IO0 low: every margin moves */
    snprintf(args, sizeof args, "sed -i 's/|D1|R0|/|D1|W0.005|R0|/' '%s/esptool-classic.yaml'", scen);
    cr_assert_eq(system(args), 0);
    snprintf(args, sizeof args, "report --db %s/res/results.db --report %s/page", dir, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/page/index.html", dir);
    char *html = read_file(path);
    cr_expect(strstr(html, "made again from its seed is not the stored run bit for bit") != NULL, "no note");
    cr_expect_null(strstr(html, "--typical.svg"), "a diagram of another scenario");
    free(html);
}

/* ---- a real browser ---- */

static int have_chromium(void)
{
    return access("/usr/bin/chromium", X_OK) == 0;
}

/* Runs headless Chromium on the page with a throwaway profile; its stdout
 * into `dump` when given. */
static int chromium(const char *how, const char *url, const char *dump)
{
    char profile[400], cmd[2000];
    snprintf(profile, sizeof profile, "%s/chromium-profile", dir);
    snprintf(cmd, sizeof cmd,
             "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
             "--user-data-dir='%s' %s '%s' >'%s' 2>/dev/null",
             profile, how, url, dump ? dump : "/dev/null");
    int rc = system(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", profile);
    cr_expect_eq(system(cmd), 0);
    return rc;
}

/* The page renders, and every plot on it loads: the page's own script
 * counts the <img> elements whose image decoded (naturalWidth > 0) into
 * body's data-plots-loaded; ?eager makes the lazy ones load too. */
Test(report, chromium_renders_the_page_and_loads_every_plot)
{
    if (!have_chromium())
        cr_skip_test("chromium is not installed (apt-get install chromium): the page was not rendered");
    char res[300], args[400], url[600], png[400], dump[400];
    in_dir("res", res, sizeof res);
    snprintf(args, sizeof args, "--out %s", res);
    run_small_matrix(args);
    snprintf(png, sizeof png, "%s/page.png", dir);
    snprintf(url, sizeof url, "file://%s/index.html", res);
    char how[600];
    snprintf(how, sizeof how, "--hide-scrollbars --screenshot='%s' --window-size=1400,2400", png);
    chromium(how, url, NULL);
    struct stat st;
    cr_assert_eq(stat(png, &st), 0, "chromium wrote no screenshot");
    cr_expect_gt(st.st_size, 50000, "the screenshot (%lld bytes) looks empty", (long long)st.st_size);

    snprintf(dump, sizeof dump, "%s/dom.html", dir);
    snprintf(url, sizeof url, "file://%s/index.html?eager", res);
    chromium("--virtual-time-budget=5000 --dump-dom", url, dump);
    char *dom = read_file(dump);
    int loaded = -1, total = -1;
    const char *body = strstr(dom, "<body ");
    cr_assert_not_null(body, "no body in the dumped DOM");
    const char *l = strstr(body, "data-plots-loaded=\""), *t = strstr(body, "data-plots-total=\"");
    cr_assert(l && t, "the page's script did not count the plots: %.200s", body);
    sscanf(l, "data-plots-loaded=\"%d\"", &loaded);
    sscanf(t, "data-plots-total=\"%d\"", &total);
    cr_expect_eq(total, 4, "4 plots on the page, got %d", total);
    cr_expect_eq(loaded, total, "%d of %d plots loaded", loaded, total);
    free(dom);
}

/* ---- the writer alone ---- */

Test(report, rate_colours_run_red_to_amber_and_green_only_when_met)
{
    char c0[8], c50[8], c99[8], met[8];
    html_rate_colour(0, 0, c0);
    html_rate_colour(0.5, 0, c50);
    html_rate_colour(0.999, 0, c99);
    html_rate_colour(1, 1, met);
    unsigned r, g, b;
    cr_assert_eq(sscanf(c0 + 1, "%2x%2x%2x", &r, &g, &b), 3);
    cr_expect(r > g && r > b, "0 %% is not red: %s", c0);
    cr_assert_eq(sscanf(c99 + 1, "%2x%2x%2x", &r, &g, &b), 3);
    cr_expect(r > b && g > b, "99.9 %% is not amber-yellow: %s", c99);
    cr_assert_eq(sscanf(met + 1, "%2x%2x%2x", &r, &g, &b), 3);
    cr_expect(g > r && g > b, "a met cell is not green: %s", met);
    cr_expect(strcmp(c50, c0) != 0 && strcmp(c50, c99) != 0);
}
