/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab merge` and `report --sessions`/`--date` (issue 21, item 3;
 * issue 22, item 5): three stores made as if on three machines, merged
 * twice (the second adds nothing), reported as one matrix with a column
 * per host; a run's shards merged report the unsharded run's summary.json
 * and junit.xml; bad stores and bad groups refused in one line. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-merge-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) { remove_tree(dir); }

static void cli_ok(const char *fmt, const char *a, const char *b, char *out, size_t out_len)
{
    char args[2048], err[8192];
    snprintf(args, sizeof args, fmt, a, b);
    int rc = run_cli(args, out, out_len, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "resetlab %s: exit %d: %s", args, rc, err);
}

/* A store "from a machine": one board, the hosts given, 4 runs a cell. */
static void machine(const char *name, const char *picks)
{
    char out[1 << 15], folder[128];
    snprintf(folder, sizeof folder, "%s/%s", dir, name);
    /* every run kept: the runs, findings and tool_runs tables are merged too */
    cli_ok("run %s --iterations 4 --keep-runs all --quiet --out %s", picks, folder, out, sizeof out);
}

static long long sql_count(const char *db, const char *sql)
{
    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    long long v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return v;
}

static void sql_exec(const char *db, const char *sql)
{
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    sqlite3_close(h);
}

static const char *at(const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, rel);
    return buf;
}

#define A "--board devkitc --host native-linux --scenario esptool-classic"
#define B "--board devkitc --host vm-usb-passthrough --scenario esptool-classic"
#define C "--board devkitc --host wsl-usbipd --scenario esptool-classic"

Test(merge, three_machines_merge_once_and_report_as_one_matrix, .init = setup, .fini = teardown, .timeout = 120)
{
    machine("a", A);
    machine("b", B);
    machine("c", C);
    char out[1 << 15], all[128], stores[600];
    snprintf(stores, sizeof stores, "%s/a/results.db %s/b/results.db %s/c/results.db", dir, dir, dir);
    at("all.db", all, sizeof all);
    cli_ok("merge %s --db %s", stores, all, out, sizeof out);
    cr_expect(strstr(out, ": 3 sessions added (12 runs), 0 already there; sessions 1,2,3"), "%s", out);
    long long runs = sql_count(all, "SELECT count(*) FROM runs"), finds = sql_count(all, "SELECT count(*) FROM findings");
    cr_expect_eq(runs, 12);
    cli_ok("merge %s --db %s", stores, all, out, sizeof out); /* again: nothing new */
    cr_expect(strstr(out, ": 0 sessions added (0 runs), 3 already there; sessions 1,2,3"), "%s", out);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM sessions"), 3);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM runs"), runs);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM findings"), finds);
    cr_expect_eq(sql_count(all, "SELECT count(DISTINCT uid) FROM session_uids"), 3);
    /* one matrix: a column per machine's host */
    char rep[128], path[256];
    at("rep", rep, sizeof rep);
    cli_ok("report --db %s --sessions merged --report %s", all, rep, out, sizeof out);
    char *page = slurp(at("rep/index.html", path, sizeof path), NULL), *sum = slurp(at("rep/summary.json", path, sizeof path), NULL);
    cr_assert(page && sum);
    const char *hosts[] = {"native-linux", "vm-usb-passthrough", "wsl-usbipd"};
    for (int i = 0; i < 3; i++) {
        char cell[200];
        snprintf(cell, sizeof cell, "\"board\": \"devkitc\", \"host\": \"%s\", \"scenario\": \"esptool-classic\"", hosts[i]);
        cr_expect(strstr(sum, cell), "no cell for %s in the group's summary", hosts[i]);
        cr_expect(strstr(page, hosts[i]), "no column %s on the page", hosts[i]);
    }
    cr_expect(strstr(sum, "\"cells_total\": 3,"), "%.200s", sum);
    cr_expect(strstr(page, "One matrix of 3 sessions of this lab: #1"), "the page does not name its sessions");
    free(page);
    free(sum);
}

/* Every line of a file but its time="..." and timestamp="..." attributes. */
static char *without_times(char *text)
{
    for (char *p = text; (p = strstr(p, "time")) != NULL;) {
        char *q = strchr(p, '"'), *e = q ? strchr(q + 1, '"') : NULL;
        if (p > text && p[-1] != ' ' && p[-1] != 's') { p++; continue; }
        if (q == NULL || e == NULL || q - p > 10) { p++; continue; }
        memmove(p, e + 1, strlen(e + 1) + 1);
    }
    return text;
}

Test(merge, a_runs_shards_merged_report_the_unsharded_run, .init = setup, .fini = teardown, .timeout = 120)
{
    char out[1 << 15], args[512], all[128], rep[128], path[256];
    for (int k = 1; k <= 3; k++) {
        char shard[32], name[16];
        snprintf(name, sizeof name, "s%d", k);
        snprintf(shard, sizeof shard, "--board devkitc --shard %d/3", k);
        machine(name, shard);
    }
    machine("whole", "--board devkitc");
    snprintf(args, sizeof args, "%s/s2/results.db %s/s3/results.db %s/s1/results.db", dir, dir, dir);
    cli_ok("merge %s --db %s", args, at("all.db", all, sizeof all), out, sizeof out);
    cli_ok("report --db %s --sessions merged --report %s", all, at("rep", rep, sizeof rep), out, sizeof out);
    char *whole = slurp(at("whole/summary.json", path, sizeof path), NULL);
    char *merged = slurp(at("rep/summary.json", path, sizeof path), NULL);
    cr_assert(whole && merged);
    cr_expect(strlen(whole) > 10000, "a small summary: %zu bytes", strlen(whole));
    cr_expect_str_eq(merged, whole, "the merged shards' summary.json differs from the unsharded run's");
    free(whole);
    free(merged);
    whole = without_times(slurp(at("whole/junit.xml", path, sizeof path), NULL));
    merged = without_times(slurp(at("rep/junit.xml", path, sizeof path), NULL));
    cr_expect_str_eq(merged, whole, "the merged shards' junit.xml differs from the unsharded run's, times aside");
    free(whole);
    free(merged);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    cr_assert_eq(system(cmd), 0);
}

Test(merge, bad_stores_are_refused_and_nothing_is_written, .init = setup, .fini = teardown, .timeout = 120)
{
    machine("a", A);
    char a[128], path[256], args[900], want[300];
    at("a/results.db", a, sizeof a);
    /* not a store at all */
    FILE *f = fopen(at("junk.db", path, sizeof path), "w");
    for (int i = 0; i < 500; i++)
        fputs("not sqlite ", f);
    fclose(f);
    snprintf(args, sizeof args, "merge %s --db %s/x.db", path, dir);
    expect_bad_input(args, "junk.db");
    cr_expect_neq(access(at("x.db", path, sizeof path), F_OK), 0, "a refused merge made its store");
    /* a damaged store: a page of the runs table overwritten */
    copy_file(a, at("damaged.db", path, sizeof path));
    snprintf(args, sizeof args, "dd if=/dev/urandom of=%s bs=4096 seek=3 count=2 conv=notrunc status=none", path);
    cr_assert_eq(system(args), 0);
    snprintf(args, sizeof args, "merge %s --db %s/x.db", path, dir);
    expect_bad_input(args, "damaged.db");
    /* a newer schema */
    copy_file(a, at("newer.db", path, sizeof path));
    sql_exec(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    snprintf(args, sizeof args, "merge %s --db %s/x.db", path, dir);
    snprintf(want, sizeof want, "schema 99 is newer than this resetlab's");
    expect_bad_input(args, want);
    /* one session id, two contents: a copy whose runs changed */
    copy_file(a, at("changed.db", path, sizeof path));
    sql_exec(path, "UPDATE runs SET margin_ms = margin_ms + 1 WHERE id = 1");
    snprintf(args, sizeof args, "merge %s %s --db %s/x.db", a, path, dir);
    expect_bad_input(args, "holds other runs than session #1 of");
    cr_expect_neq(access(at("x.db", path, sizeof path), F_OK), 0, "a refused merge made its store");
    snprintf(args, sizeof args, "merge %s --db %s", a, a);
    expect_bad_input(args, "is the store merged into (--db)");
    snprintf(args, sizeof args, "merge %s/none.db --db %s/x.db", dir, dir);
    expect_bad_input(args, "none.db: no such store");
    snprintf(args, sizeof args, "merge %s", a);
    expect_bad_input(args, "no --db ALL");
    snprintf(args, sizeof args, "merge --db %s/x.db", dir);
    expect_bad_input(args, "no stores to merge into");
    snprintf(args, sizeof args, "merge --frobnicate %s --db %s/x.db", a, dir);
    expect_bad_input(args, "unknown option '--frobnicate'");
    /* a table wider than merge takes (MERGE_COLS_MAX) */
    copy_file(a, at("wide.db", path, sizeof path));
    for (int i = 0; i < 80; i++) {
        snprintf(args, sizeof args, "ALTER TABLE runs ADD COLUMN extra%d INTEGER", i);
        sql_exec(path, args);
    }
    snprintf(args, sizeof args, "merge %s --db %s/x.db", path, dir);
    expect_bad_input(args, "wide.db: table runs: more than 96 columns (MERGE_COLS_MAX)");
    cr_expect_neq(access(at("x.db", path, sizeof path), F_OK), 0, "a refused merge made its store");
    char many[8192] = "merge";
    for (int i = 0; i < 65; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), " %s", a);
    snprintf(many + strlen(many), sizeof many - strlen(many), " --db %s/x.db", dir);
    expect_bad_input(many, "more than 64 stores in one merge");
}

Test(merge, a_store_from_before_session_ids_merges_once, .init = setup, .fini = teardown, .timeout = 120)
{
    machine("a", A);
    char a[128], old[128], all[128], out[4096];
    at("a/results.db", a, sizeof a);
    copy_file(a, at("old.db", old, sizeof old));
    sql_exec(old, "DROP TABLE session_uids");
    cli_ok("merge %s --db %s", old, at("all.db", all, sizeof all), out, sizeof out);
    cr_expect(strstr(out, "1 session added (4 runs)"), "%s", out);
    cli_ok("merge %s --db %s", old, all, out, sizeof out);
    cr_expect(strstr(out, "0 sessions added (0 runs), 1 already there"), "%s", out);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM session_uids WHERE uid LIKE 'sha256:%'"), 1);
}

Test(merge, bad_groups_are_refused, .init = setup, .fini = teardown, .timeout = 120)
{
    machine("a", A);
    char boards[300], lab[300], args[900], all[128], out[4096], path[256];
    snprintf(args, sizeof args, "cp '%s' '%s/lab.yaml' && echo '# another lab' >> '%s/lab.yaml'",
             src_path("boards.yaml", boards, sizeof boards), dir, dir);
    cr_assert_eq(system(args), 0);
    snprintf(lab, sizeof lab, "--boards %s/lab.yaml " B, dir);
    machine("b", lab);
    snprintf(args, sizeof args, "%s/a/results.db %s/b/results.db", dir, dir);
    cli_ok("merge %s --db %s", args, at("all.db", all, sizeof all), out, sizeof out);
    snprintf(args, sizeof args, "report --db %s --sessions merged --report %s/r", all, dir);
    expect_bad_input(args, "sessions #1 and #2 ran on different labs (boards.yaml SHA-256");
    snprintf(args, sizeof args, "report --db %s --sessions 1,7 --report %s/r", all, dir);
    expect_bad_input(args, "session #7 is not in the store");
    snprintf(args, sizeof args, "report --db %s --sessions 2-1 --report %s/r", all, dir);
    expect_bad_input(args, "a range is LOW-HIGH");
    snprintf(args, sizeof args, "report --db %s --sessions x --report %s/r", all, dir);
    expect_bad_input(args, "session ids (4,5,6 or 4-6) or 'merged'");
    snprintf(args, sizeof args, "report --db %s --date 2026-02-30x --report %s/r", all, dir);
    expect_bad_input(args, "a UTC day YYYY-MM-DD or days FROM..TO");
    snprintf(args, sizeof args, "report --db %s --date 1999-01-01 --report %s/r", all, dir);
    expect_bad_input(args, "no complete session began on 1999-01-01");
    snprintf(args, sizeof args, "report --db %s --session 1 --sessions 1,2 --report %s/r", all, dir);
    expect_bad_input(args, "give one of --session, --sessions and --date");
    snprintf(args, sizeof args, "report --db %s/a/results.db --sessions merged --report %s/r", dir, dir);
    expect_bad_input(args, "no `resetlab merge` into this store yet");
    cr_expect_neq(access(at("r/index.html", path, sizeof path), F_OK), 0);
}

/* A merge is one transaction: the second store's copy failing (a trigger
 * stands in for a full disk) leaves the destination as it was, the first
 * store's session not in it either, and `--sessions merged` the last
 * merge's. */
Test(merge, a_merge_cut_short_leaves_the_store_as_it_was, .init = setup, .fini = teardown, .timeout = 120)
{
    machine("a", A);
    machine("b", B);
    machine("c", C);
    char out[4096], all[128], args[900];
    at("all.db", all, sizeof all);
    snprintf(args, sizeof args, "%s/a/results.db", dir);
    cli_ok("merge %s --db %s", args, all, out, sizeof out);
    sql_exec(all, "CREATE TRIGGER full_disk BEFORE INSERT ON runs WHEN NEW.host = 'wsl-usbipd'"
                  " BEGIN SELECT RAISE(ABORT, 'database or disk is full (a test)'); END");
    snprintf(args, sizeof args, "merge %s/b/results.db %s/c/results.db --db %s", dir, dir, all);
    expect_bad_input(args, "copying: database or disk is full (a test)");
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM sessions"), 1, "the first store's session was kept");
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM runs"), 4);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM session_uids"), 1);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM meta WHERE key = 'last_merge' AND value = '1'"), 1);
    sql_exec(all, "DROP TRIGGER full_disk");
    cli_ok("merge %s%s", args + strlen("merge "), "", out, sizeof out);
    cr_expect(strstr(out, ": 2 sessions added (8 runs), 0 already there; sessions 2,3"), "%s", out);
}

/* merge takes a table's columns from the stores' schemas, not from a list
 * of its own: a store of schema 1 (no tool_runs) merges, a column the
 * destination has and a source lacks gets its default, and a column both
 * have (a newer schema's) is copied. */
Test(merge, columns_come_from_the_schemas, .init = setup, .fini = teardown, .timeout = 120)
{
    machine("a", B);
    char a[128], old[128], wide[128], all[128], out[4096], args[600];
    at("a/results.db", a, sizeof a);
    copy_file(a, at("v1.db", old, sizeof old));
    sql_exec(old, "DROP TABLE tool_runs; DROP TABLE cells; DROP TABLE cell_findings;"
                  " UPDATE meta SET value = '1' WHERE key = 'schema_version'; UPDATE session_uids SET uid = 'v1-copy'");
    copy_file(a, at("wide.db", wide, sizeof wide));
    sql_exec(wide, "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT 'from before'; UPDATE runs SET note = 'kept'");
    at("all.db", all, sizeof all);
    cli_ok("merge %s --db %s", a, all, out, sizeof out);
    sql_exec(all, "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT 'from before';"
                  " DELETE FROM session_uids; DELETE FROM tool_runs; DELETE FROM findings; DELETE FROM runs;"
                  " DELETE FROM cell_findings; DELETE FROM cells; DELETE FROM sessions");
    snprintf(args, sizeof args, "%s %s", old, wide);
    cli_ok("merge %s --db %s", args, all, out, sizeof out);
    cr_expect(strstr(out, ": 2 sessions added (8 runs), 0 already there"), "%s", out);
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM runs WHERE note = 'from before'"), 4, "schema 1's runs");
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM runs WHERE note = 'kept'"), 4, "the new column was not copied");
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM findings"), 2 * sql_count(a, "SELECT count(*) FROM findings"));
    cr_expect_gt(sql_count(all, "SELECT count(*) FROM findings"), 0, "vm-usb-passthrough's runs have findings");
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM tool_runs"), sql_count(a, "SELECT count(*) FROM tool_runs"));
    /* schema 3's cell rows: the wide store's (schema 1 had none; its session is read from its runs) */
    cr_expect_eq(sql_count(all, "SELECT count(*) FROM cells"), sql_count(a, "SELECT count(*) FROM cells"));
    cr_expect_gt(sql_count(all, "SELECT count(*) FROM cells"), 0);
    /* again: the same sessions, compared in the columns both stores have */
    cli_ok("merge %s --db %s", args, all, out, sizeof out);
    cr_expect(strstr(out, ": 0 sessions added (0 runs), 2 already there"), "%s", out);
}
