/* The HTML report (reports/html.c, harness/report.c, `resetlab report`):
 * what `resetlab run` writes at its end and `resetlab report` writes again,
 * byte for byte; the matrix's figures against summary.json; the failing
 * cell's timing diagrams; trends over sessions; a lab that is gone; a
 * partial session with hostile findings; a real browser loading it all. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/run/run_matrix.h"
#include "harness/run/run_session.h"
#include "reports/html.h"
#include "reports/stats.h"
#include "reports/store.h"
#include "helpers.h"

static char dir[] = "/tmp/resetlab-report-XXXXXX";
static char out[1 << 16], err[1 << 14];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 240);

static const char *in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

/* The brief's matrix: devkitc on native Linux and through USB passthrough,
 * esptool's classic and tight reset, 100 runs per cell, seed 1. */
static const char small_matrix[] = "run --board devkitc --host native-linux --host vm-usb-passthrough "
                                   "--scenario esptool-classic --scenario esptool-tight --iterations 100";

static void run_small_matrix(const char *extra)
{
    char args[600];
    snprintf(args, sizeof args, "%s %s", small_matrix, extra);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "the classic reset fails through passthrough: exit %d, %s", rc, err);
}

static char *read_file(const char *path)
{
    char *s = slurp(path, NULL);
    cr_assert_not_null(s, "%s was not written", path);
    return s;
}

static void assert_valid_svg(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    cr_assert_eq(system(cmd), 0, "%s is not valid XML", path);
}

/* ---- the page's structure ---- */

/* The value of the attribute at `p` (just after `name="`), into buf. */
static const char *attr_value(const char *p, char *buf, size_t len)
{
    size_t n = strcspn(p, "\"");
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

/* Every <img> names a plot that exists in the page's folder, as a valid
 * SVG; returns how many there are. */
static int check_images(const char *html, const char *page_dir)
{
    int n = 0;
    for (const char *p = strstr(html, "<img "); p; p = strstr(p + 1, "<img ")) {
        const char *src = strstr(p, "src=\"");
        cr_assert(src != NULL && src < strchr(p, '>'), "an <img> without src");
        char rel[300], path[900];
        attr_value(src + 5, rel, sizeof rel);
        cr_expect(strncmp(rel, "plots/", 6) == 0 && strstr(rel, "..") == NULL, "image %s is not in plots/", rel);
        snprintf(path, sizeof path, "%s/%s", page_dir, rel);
        cr_assert_eq(access(path, R_OK), 0, "image %s does not exist", path);
        assert_valid_svg(path);
        n++;
    }
    return n;
}

/* Ids are unique, and every in-page link lands on one. */
static void check_ids_and_links(const char *html)
{
    enum { MAX_IDS = 4096 };
    static char ids[MAX_IDS][64];
    int n = 0;
    for (const char *p = strstr(html, " id=\""); p; p = strstr(p + 1, " id=\"")) {
        cr_assert(n < MAX_IDS);
        attr_value(p + 5, ids[n], sizeof ids[n]);
        for (int k = 0; k < n; k++)
            cr_assert(strcmp(ids[k], ids[n]) != 0, "id %s twice", ids[n]);
        n++;
    }
    for (const char *p = strstr(html, "href=\"#"); p; p = strstr(p + 1, "href=\"#")) {
        char target[64];
        attr_value(p + 7, target, sizeof target);
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = strcmp(ids[k], target) == 0;
        cr_expect(found, "link to #%s, which is not on the page", target);
    }
}

/* libxml2's HTML parser knows HTML 4: it names the HTML 5 elements
 * (section, nav, figure, ...) as unknown tags, and nothing else may be
 * wrong: no unclosed or mismatched tags, no bad entities. */
static void check_html_parses(const char *path)
{
    char cmd[1200], report[4096] = "";
    snprintf(cmd, sizeof cmd, "xmllint --html --noout '%s' 2>&1 | grep 'error :' | grep -v 'Tag [a-z]* invalid'",
             path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(report, 1, sizeof report - 1, p);
    report[got] = '\0';
    pclose(p);
    cr_expect_eq(got, 0, "%s: %s", path, report);
}

/* Self-contained: nothing is fetched from anywhere. */
static void check_no_network(const char *html)
{
    cr_expect_null(strstr(html, "http://"), "the page refers to http://");
    cr_expect_null(strstr(html, "https://"), "the page refers to https://");
    cr_expect_null(strstr(html, "<link"), "the page links a stylesheet");
    cr_expect_null(strstr(html, "<script src"), "the page loads a script");
    cr_expect_null(strstr(html, "@import"), "the page imports CSS");
}

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

/* ---- a partial session with hostile findings, made through the API ---- */

static void partial_session(const char *db)
{
    char boards[512], scen[512], e[512];
    struct session_facts facts = {.seed = 1, .iterations = 10};
    snprintf(facts.started, sizeof facts.started, "2026-11-23T14:30:00Z");
    snprintf(facts.hostname, sizeof facts.hostname, "<bench & \"rig\">");
    src_path("boards.yaml", boards, sizeof boards);
    src_path("scenarios", scen, sizeof scen);
    snprintf(facts.boards_file, sizeof facts.boards_file, "%.200s", boards);
    cr_assert_eq(session_sha256_file(boards, facts.boards_sha256), 0);
    snprintf(facts.options, sizeof facts.options, "--board\ndevkitc\n--boards\n%s\n--scenarios\n%s\n", boards, scen);
    struct store *st = store_open(db, STORE_WRITE, e, sizeof e);
    cr_assert_not_null(st, "%s", e);
    int64_t id;
    cr_assert_eq(store_session_begin(st, &facts, &id, e, sizeof e), 0, "%s", e);
    const struct board_profile *b = lab_board(&suite_lab, "devkitc");
    const struct host_profile *h = lab_host(&suite_lab, "wsl-usbipd");
    const struct scenario *s = lab_scenario(&suite_lab, "esptool-classic");
    struct run_buffers *rb = malloc(sizeof *rb);
    cr_assert_not_null(rb);
    for (int it = 0; it < 4; it++) { /* killed after 4 of 10 */
        uint64_t seed = run_seed(1, b->name, h->name, s->name, it);
        run_sim_once(suite_world, b, h, s, seed, rb);
        cr_assert_eq(rb->a.verdict, VERDICT_FAIL, "the classic reset over usbipd fails");
        /* what a port could put in a message: markup, quotes, bytes that
         * are not UTF-8, a control character */
        snprintf(rb->a.findings[0].message, sizeof rb->a.findings[0].message,
                 "<script>alert('x')</script> & \"q\" \xff\xfe bad \x01 end");
        struct run_record rec = {b->name, h->name, s->name, it, seed, s->expected, &rb->a};
        cr_assert_eq(store_add_run(st, id, &rec, 0, e, sizeof e), 0, "%s", e);
    }
    free(rb);
    cr_assert_eq(store_session_end(st, id, "interrupted", e, sizeof e), 0, "%s", e);
    store_close(st);
}

/* The suite's folder is made as well: Criterion runs both fixtures. */
Test(report, partial_session_only_when_named_and_every_text_escaped, .init = suite_lab_setup,
     .fini = suite_lab_teardown)
{
    char db[300], args[800], path[600];
    in_dir("partial.db", db, sizeof db);
    partial_session(db);
    snprintf(args, sizeof args, "report --db %s", db);
    expect_bad_input(args, "holds no complete session (name an unfinished one with --session N)");
    snprintf(args, sizeof args, "report --db %s --session 1 --report %s/page", db, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/page/index.html", dir);
    char *html = read_file(path);
    cr_expect(strstr(html, "<b>Partial session.</b>") && strstr(html, "is interrupted"), "not marked partial");
    cr_expect_null(strstr(html, "<script>alert"), "a finding's markup reached the page");
    cr_expect(strstr(html, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot; "
                           "\xEF\xBF\xBD\xEF\xBF\xBD bad \xEF\xBF\xBD end") != NULL,
              "the finding is not escaped as expected");
    cr_expect(strstr(html, "&lt;bench &amp; &quot;rig&quot;&gt;") != NULL, "the hostname is not escaped");
    /* the diagrams are redrawn: the messages differ, the physics does not */
    cr_expect(strstr(html, "src=\"plots/devkitc--wsl-usbipd--esptool-classic--worst.svg\"") != NULL,
              "no diagram for the partial session");
    check_html_parses(path);
    check_ids_and_links(html);
    free(html);
}

/* ---- a session not in resetlab's order ---- */

/* Session `id` gets one passing run per (host, iteration) pair, in that
 * order, of devkitc / esptool-classic. */
static void add_runs_in_order(struct store *st, int64_t id, const char *const *hosts, const int *iterations, int n)
{
    char e[512];
    struct analysis a = {.verdict = VERDICT_PASS, .outcome = BOOT_DOWNLOAD, .observed = BOOT_DOWNLOAD, .sync = 1,
                         .n_resets = 1, .margin_ms = 2.5, .gap_ms = 0.3, .en_release_ms = 13.86, .tau_ms = NAN};
    for (int i = 0; i < n; i++) {
        struct run_record rec = {"devkitc", hosts[i], "esptool-classic", iterations[i], 1, BOOT_DOWNLOAD, &a};
        cr_assert_eq(store_add_run(st, id, &rec, 0, e, sizeof e), 0, "%s", e);
    }
    cr_assert_eq(store_session_end(st, id, "complete", e, sizeof e), 0, "%s", e);
}

/* The report reads a session one cell at a time; a session whose cell's
 * runs are apart (not something resetlab writes) is refused with one line,
 * as the session reported and as an earlier one of its trends. */
Test(report, a_session_with_a_cell_apart_is_refused)
{
    char db[300], args[800], e[512];
    in_dir("apart.db", db, sizeof db);
    struct store *st = store_open(db, STORE_WRITE, e, sizeof e);
    cr_assert_not_null(st, "%s", e);
    struct session_facts facts = {.seed = 1, .iterations = 2};
    snprintf(facts.started, sizeof facts.started, "2026-11-23T14:30:00Z");
    int64_t apart, together;
    cr_assert_eq(store_session_begin(st, &facts, &apart, e, sizeof e), 0, "%s", e);
    const char *mixed[] = {"native-linux", "wsl-usbipd", "native-linux", "wsl-usbipd"};
    const int mixed_it[] = {0, 0, 1, 1};
    add_runs_in_order(st, apart, mixed, mixed_it, 4);
    cr_assert_eq(store_session_begin(st, &facts, &together, e, sizeof e), 0, "%s", e);
    const char *in_order[] = {"native-linux", "native-linux", "wsl-usbipd", "wsl-usbipd"};
    const int in_order_it[] = {0, 1, 0, 1};
    add_runs_in_order(st, together, in_order, in_order_it, 4);
    store_close(st);

    snprintf(args, sizeof args, "report --db %s --session %lld --report %s/apart", db, (long long)apart, dir);
    expect_bad_input(args, "session #1 holds the runs of devkitc / native-linux / esptool-classic apart from the "
                           "others of their cell");
    snprintf(args, sizeof args, "report --db %s --session %lld --last 2 --report %s/trend", db, (long long)together,
             dir);
    expect_bad_input(args, "session #1 holds the runs of a cell apart from each other");
    snprintf(args, sizeof args, "report --db %s --session %lld --last 1 --report %s/alone", db, (long long)together,
             dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "the session in order alone: %s", err);
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
