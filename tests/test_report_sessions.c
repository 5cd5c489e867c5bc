/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report (harness/report.c, `resetlab report`) on sessions made
 * through the store API, as `resetlab run` would not make them: a partial
 * session with hostile findings, shown only when named and every text
 * escaped; a session whose cell's runs are apart, refused with one line. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/run_matrix.h"
#include "harness/run/run_session.h"
#include "reports/store.h"
#include "report_fixture.h"

TestSuite(report, .init = setup, .fini = teardown, .timeout = 240);

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
    expect_bad_input(args, "session #1 holds the cell devkitc / native-linux / esptool-classic apart from the "
                           "others of its board and scenario");
    snprintf(args, sizeof args, "report --db %s --session %lld --last 2 --report %s/trend", db, (long long)together,
             dir);
    expect_bad_input(args, "session #1 holds the runs of a cell apart from each other");
    snprintf(args, sizeof args, "report --db %s --session %lld --last 1 --report %s/alone", db, (long long)together,
             dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "the session in order alone: %s", err);
}
