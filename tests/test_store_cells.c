/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The results store's cell rows (schema 3, issue 22 item 4): a cell's
 * figures in a row of its own, only the first runs of a cell that did not
 * pass kept as runs (run --keep-runs), resumed cell by cell, and a store
 * from before (runs only) read as it always was. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "store_fixture.h"

static char dir[] = "/tmp/resetlab-cells-XXXXXX";
static char out[1 << 16], cerr[1 << 14];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(cells, .init = setup, .fini = teardown, .timeout = 180);

static const char *in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static void run_ok(const char *args)
{
    int rc = run_cli(args, out, sizeof out, cerr, sizeof cerr);
    cr_assert(rc == 0 || rc == 1, "resetlab %s exited %d: %s", args, rc, cerr);
}

#define COMPACT "--board devkitc --host native-linux --host wsl-usbipd --iterations 2000 --seed 7"
#define PICK "--board devkitc --host native-linux --host vm-usb-passthrough --iterations 50"

/* --keep-runs N: a row for the first N runs of each cell that did not
 * pass, none for those that passed; all: every run; 0: none. The cells'
 * rows are the same whatever N is, and so is every output. */
Test(cells, keep_runs_keeps_the_first_runs_that_did_not_pass)
{
    char args[600], db[300], all[300];
    snprintf(args, sizeof args, "run " PICK " --quiet --out %s/four", dir);
    run_ok(args);
    snprintf(args, sizeof args, "run " PICK " --keep-runs all --quiet --out %s/all", dir);
    run_ok(args);
    snprintf(args, sizeof args, "run " PICK " --keep-runs 0 --quiet --out %s/none", dir);
    run_ok(args);
    in_dir("four/results.db", db, sizeof db);
    in_dir("all/results.db", all, sizeof all);
    long cells = rows_of_count(db, "SELECT count(*) FROM cells"), made = rows_of_count(db, "SELECT sum(runs) FROM cells");
    cr_expect_gt(cells, 10);
    cr_expect_eq(made, 50 * cells);
    cr_expect_eq(rows_of_count(all, "SELECT count(*) FROM runs"), made, "--keep-runs all: a row a run");
    cr_expect_eq(rows_of_count(db, "SELECT count(*) FROM runs WHERE verdict = 'pass'"), 0, "a run that passed kept");
    cr_expect_eq(rows_of_count(db, "SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY board, host, scenario"
                                   " HAVING count(*) > 4)"), 0, "more than 4 runs of a cell kept");
    /* the first four of each cell's runs that did not pass: those of the store that keeps them all */
    const char *first = "SELECT board, host, scenario, iteration, margin_ms FROM runs r WHERE verdict != 'pass' AND"
                        " (SELECT count(*) FROM runs o WHERE o.session_id = r.session_id AND o.board = r.board AND"
                        " o.host = r.host AND o.scenario = r.scenario AND o.verdict != 'pass' AND o.iteration <"
                        " r.iteration) < 4 ORDER BY 1, 2, 3, 4";
    char *x = rows_of(all, first), *y = rows_of(db, "SELECT board, host, scenario, iteration, margin_ms FROM runs"
                                                    " ORDER BY 1, 2, 3, 4");
    cr_expect_gt(strlen(x), 0, "no cell with a failing run");
    cr_expect_str_eq(y, x);
    free(x), free(y);
    cr_expect_eq(rows_of_count(in_dir("none/results.db", db, sizeof db), "SELECT count(*) FROM runs"), 0);
    x = rows_of(all, "SELECT * FROM cells"), y = rows_of(db, "SELECT * FROM cells");
    cr_expect_str_eq(y, x, "the cells' rows depend on --keep-runs");
    free(x), free(y);
    char a[300], b[300];
    expect_same_file(in_dir("all/summary.json", a, sizeof a), in_dir("none/summary.json", b, sizeof b));
    expect_same_file(in_dir("all/summary.json", a, sizeof a), in_dir("four/summary.json", b, sizeof b));
    expect_bad_input("run --keep-runs -1", "--keep-runs needs a whole number or all");
    expect_bad_input("run --keep-runs some", "--keep-runs needs a whole number or all");
    expect_bad_input("run --keep-runs 10000001", "--keep-runs needs a whole number or all");
}

/* A store from before the cells' rows (schema 2: every run, no cells) is
 * read from its runs as it always was: the same summary, JUnit and
 * page figures as the rows give; opened to add a session it gains the
 * tables and its old session still reads from its runs. */
Test(cells, a_schema_2_store_reads_from_its_runs)
{
    char args[900], db[300], old[300], a[300], b[300];
    snprintf(args, sizeof args, "run " PICK " --keep-runs all --quiet --out %s/new", dir);
    run_ok(args);
    in_dir("new/results.db", db, sizeof db);
    in_dir("old.db", old, sizeof old);
    snprintf(args, sizeof args, "cp %s %s", db, old);
    cr_assert_eq(system(args), 0);
    sqlite3 *s;
    cr_assert_eq(sqlite3_open(old, &s), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(s, "DROP TABLE cells; DROP TABLE cell_findings;"
                                 " UPDATE meta SET value = '2' WHERE key = 'schema_version'",
                              NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    snprintf(args, sizeof args, "report --db %s --report %s/from-runs", old, dir);
    run_ok(args);
    snprintf(args, sizeof args, "report --db %s --report %s/from-rows", db, dir);
    run_ok(args);
    expect_same_file(in_dir("from-rows/summary.json", a, sizeof a), in_dir("from-runs/summary.json", b, sizeof b));
    expect_same_file(in_dir("new/summary.json", a, sizeof a), in_dir("from-runs/summary.json", b, sizeof b));
    /* a session added: the tables made, schema 3; the old session still reads */
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 2 --quiet --db %s --out %s/more",
             old, dir);
    run_ok(args);
    cr_expect_eq(rows_of_count(old, "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
    cr_expect_eq(rows_of_count(old, "SELECT count(DISTINCT session_id) FROM cells"), 1, "the new session's rows");
    snprintf(args, sizeof args, "report --db %s --session 1 --report %s/old-again", old, dir);
    run_ok(args);
    expect_same_file(in_dir("new/summary.json", a, sizeof a), in_dir("old-again/summary.json", b, sizeof b));
}

/* The same with the default store (issue 22 item 4): a row per cell and
 * only the first runs of a cell that did not pass. Killed, then resumed,
 * it holds the same cells (figures, samples) and the same kept runs as an
 * uninterrupted run: the cell being made when it was killed is made again
 * from its first run. */
Test(cells, a_compact_store_killed_then_resumed_holds_what_an_uninterrupted_run_does)
{
    char args[1024], a[512], b[512], db[512];
    snprintf(args, sizeof args, "run " COMPACT " --out %s/whole", dir);
    run_ok(args);
    snprintf(args, sizeof args, COMPACT " --out %s/killed", dir);
    long kept = interrupt_run(args, in_dir("killed/results.db", db, sizeof db), SIGKILL, dir);
    cr_assert_lt(kept, 17 * 2000, "the run finished before it was killed");
    snprintf(args, sizeof args, "run --resume --out %s/killed", dir);
    run_ok(args);
    in_dir("whole/results.db", a, sizeof a);
    cr_expect_eq(count_runs(db), count_runs(a));
    static const char *const what[] = {
        "SELECT * FROM cells ORDER BY idx",
        "SELECT board, host, scenario, diagnosis, slot, kind, message, runs, margin_ms FROM cell_findings"
        " ORDER BY 1, 2, 3, 4, 5",
        "SELECT board, host, scenario, iteration, seed, verdict, outcome, margin_ms FROM runs ORDER BY 1, 2, 3, 4",
        "SELECT r.board, r.host, r.scenario, r.iteration, f.idx, f.message FROM findings f JOIN runs r ON r.id ="
        " f.run_id ORDER BY 1, 2, 3, 4, 5"};
    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
        char *x = rows_of(a, what[i]), *y = rows_of(db, what[i]);
        cr_expect_str_eq(y, x, "%s", what[i]);
        free(x), free(y);
    }
    cr_expect_lt(rows_of_count(a, "SELECT count(*) FROM runs"), 17 * 2000 / 10, "every run was kept");
    cr_expect(rows_of_count(a, "SELECT count(*) FROM cells WHERE length(margins) > 0") > 0, "no margins kept");
    expect_same_file(in_dir("whole/summary.json", a, sizeof a), in_dir("killed/summary.json", b, sizeof b));
}
