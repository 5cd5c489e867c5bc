/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The results store (reports/store.c) and what `resetlab run` does with it:
 * schema, runs round-tripped, readers beside a writer, malformed
 * databases; a run killed with SIGKILL or stopped with SIGINT and resumed
 * gives the uninterrupted run's totals byte for byte. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/run/run_session.h"
#include "reports/store.h"
#include "helpers.h"
#include "store_fixture.h"

static char dir[] = "/tmp/resetlab-store-XXXXXX";
static char err[1024], out[1 << 16], cerr[1 << 14];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 120);

static const char *in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static struct analysis failing_run(void)
{
    struct analysis a = {.verdict = VERDICT_FAIL, .outcome = BOOT_FLASH, .observed = BOOT_FLASH, .sync = 0,
                         .n_resets = 1, .margin_ms = -18.93211, .gap_ms = 32.795, .en_release_ms = 13.8627,
                         .tau_ms = NAN, .en_fit_samples = 0, .n_findings = 2};
    snprintf(a.findings[0].kind, sizeof a.findings[0].kind, "gap-outlasted-en");
    a.findings[0].severity = SEV_ERROR;
    a.findings[0].t_ns = 105339000;
    snprintf(a.findings[0].message, sizeof a.findings[0].message, "the gap (32.795 ms) outlasted τ's release 'µ'");
    snprintf(a.findings[1].kind, sizeof a.findings[1].kind, "transient");
    a.findings[1].severity = SEV_WARN;
    a.findings[1].t_ns = -5;
    snprintf(a.findings[1].message, sizeof a.findings[1].message, "(DTR1,RTS1) for 1.419 ms");
    return a;
}

static struct store *new_store(const char *name, int64_t *session)
{
    char path[512];
    struct store *st = store_open(in_dir(name, path, sizeof path), STORE_WRITE, err, sizeof err);
    cr_assert_not_null(st, "%s", err);
    struct session_facts f = {.seed = UINT64_MAX - 1, .iterations = 3};
    snprintf(f.started, sizeof f.started, "2026-11-23T10:00:00Z");
    snprintf(f.options, sizeof f.options, "--board\ndevkitc\n");
    cr_assert_eq(store_session_begin(st, &f, session, err, sizeof err), 0, "%s", err);
    return st;
}

struct collected {
    int n;
    struct stored_run first;
    char board[32];
};

static int collect(const struct stored_run *r, void *ctx)
{
    struct collected *c = ctx;
    if (c->n++ == 0) {
        c->first = *r;
        snprintf(c->board, sizeof c->board, "%s", r->board);
    }
    return 0;
}

/* What goes in comes back: names, a seed above 2^63, NaN as NULL, every
 * finding in order with its severity and time. */
Test(store, a_run_round_trips)
{
    int64_t session;
    struct store *st = new_store("a.db", &session);
    struct analysis a = failing_run();
    struct run_record rec = {"devkitc", "wsl-usbipd", "esptool-classic", 0, UINT64_MAX - 7, BOOT_DOWNLOAD, &a};
    cr_assert_eq(store_add_run(st, session, &rec, 0, err, sizeof err), 0, "%s", err);
    struct collected c = {0};
    cr_assert_eq(store_each_run(st, session, NULL, NULL, NULL, collect, &c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.n, 1);
    const struct stored_run *r = &c.first;
    cr_expect_str_eq(c.board, "devkitc");
    cr_expect_eq(r->seed, UINT64_MAX - 7);
    cr_expect_eq(r->expected, BOOT_DOWNLOAD);
    cr_expect_eq(r->a.verdict, VERDICT_FAIL);
    cr_expect_eq(r->a.outcome, BOOT_FLASH);
    cr_expect_eq(r->a.sync, 0);
    cr_expect(r->a.margin_ms == -18.93211, "margin %.17g", r->a.margin_ms);
    cr_expect(isnan(r->a.tau_ms));
    cr_expect_eq(r->a.n_findings, 2);
    cr_expect_str_eq(r->a.findings[0].message, "the gap (32.795 ms) outlasted τ's release 'µ'");
    cr_expect_eq(r->a.findings[0].severity, SEV_ERROR);
    cr_expect_eq(r->a.findings[1].severity, SEV_WARN);
    cr_expect_eq(r->a.findings[1].t_ns, -5);
    /* filtered by cell: another host has none */
    struct collected none = {0};
    cr_assert_eq(store_each_run(st, session, "devkitc", "native-linux", NULL, collect, &none, err, sizeof err), 0);
    cr_expect_eq(none.n, 0);
    /* the same run twice is refused, and the store stays usable */
    cr_expect_neq(store_add_run(st, session, &rec, 0, err, sizeof err), 0);
    cr_expect(strstr(err, "UNIQUE") != NULL, "%s", err);
    rec.iteration = 1;
    cr_expect_eq(store_add_run(st, session, &rec, 1, err, sizeof err), 0, "a durable run after a refused one: %s", err);
    struct session_row row;
    cr_assert_eq(store_session_get(st, 0, &row, err, sizeof err), 1, "%s", err);
    cr_expect_eq(row.runs, 2);
    /* a durable run is committed when store_add_run returns, with the ones before it */
    char path[512];
    struct store *reader = store_open(in_dir("a.db", path, sizeof path), STORE_READ, err, sizeof err);
    cr_assert_not_null(reader, "%s", err);
    cr_assert_eq(store_session_get(reader, 0, &row, err, sizeof err), 1, "%s", err);
    cr_expect_eq(row.runs, 2, "another connection sees %lld runs", (long long)row.runs);
    store_close(reader);
    cr_expect_eq(row.facts.seed, UINT64_MAX - 1);
    cr_expect_str_eq(row.status, "running");
    cr_expect_str_eq(row.facts.options, "--board\ndevkitc\n");
    cr_assert_eq(store_session_end(st, session, "complete", err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_session_get(st, session, &row, err, sizeof err), 1);
    cr_expect_str_eq(row.status, "complete");
    cr_expect_neq(row.finished[0], '\0');
    store_close(st);
    assert_no_leaks("the store");
}

/* The schema a user's sqlite3 sees: WAL, the three tables, the version. */
Test(store, schema_and_wal)
{
    int64_t session;
    store_close(new_store("s.db", &session));
    char path[512];
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(in_dir("s.db", path, sizeof path), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master"
                                    " WHERE type = 'table' ORDER BY name)",
                                    -1, &q, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(q, 0),
                     "cell_findings,cells,findings,meta,runs,session_uids,sessions,tool_runs");
    sqlite3_finalize(q);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(q, 0), "3");
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* Not ours, not a database, newer, empty: one line each, no crash. */
Test(store, malformed_databases_are_one_error_line)
{
    char path[512];
    FILE *f = fopen(in_dir("text.db", path, sizeof path), "w");
    cr_assert_not_null(f);
    fputs("this is not a database, just some text long enough to fill a header page....................\n", f);
    fclose(f);
    cr_expect_null(store_open(path, STORE_WRITE, err, sizeof err));
    cr_expect(strstr(err, "text.db") && strchr(err, '\n') == NULL, "%s", err);

    sqlite3 *db;
    cr_assert_eq(sqlite3_open(in_dir("other.db", path, sizeof path), &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE photos(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cr_expect_null(store_open(path, STORE_WRITE, err, sizeof err));
    cr_expect(strstr(err, "not a resetlab results database") != NULL, "%s", err);

    int64_t session;
    store_close(new_store("newer.db", &session));
    cr_assert_eq(sqlite3_open(in_dir("newer.db", path, sizeof path), &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "UPDATE meta SET value = '99'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cr_expect_null(store_open(path, STORE_READ, err, sizeof err));
    cr_expect(strstr(err, "results schema 99 is newer than this resetlab's (3)") != NULL, "%s", err);

    cr_assert_eq(sqlite3_open(in_dir("empty.db", path, sizeof path), &db), SQLITE_OK);
    sqlite3_close(db);
    cr_expect_null(store_open(path, STORE_READ, err, sizeof err));
    cr_expect(strstr(err, "not a resetlab results database (empty)") != NULL, "%s", err);
    cr_expect_null(store_open("/nonexistent/dir/r.db", STORE_WRITE, err, sizeof err));
    assert_no_leaks("failed opens");
}

/* WAL: a reader in another process counts committed runs while the writer
 * goes on adding them; it never sees a run half written, never waits
 * long, and its counts only grow. */
Test(store, readers_beside_a_writer)
{
    int64_t session;
    struct store *st = new_store("c.db", &session);
    char path[512];
    in_dir("c.db", path, sizeof path);
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        close(ready[1]);
        char c;
        if (read(ready[0], &c, 1) != 1)
            _exit(3);
        int64_t last = 0;
        for (int i = 0; i < 200; i++) {
            struct store *r = store_open(path, STORE_READ, err, sizeof err);
            struct session_row row;
            if (r == NULL || store_session_get(r, session, &row, err, sizeof err) != 1 || row.runs < last)
                _exit(1);
            last = row.runs;
            store_close(r);
        }
        _exit(last > 0 ? 0 : 2);
    }
    close(ready[0]);
    struct analysis a = failing_run();
    struct run_record rec = {"devkitc", "wsl-usbipd", "esptool-classic", 0, 1, BOOT_DOWNLOAD, &a};
    cr_assert_eq(store_add_run(st, session, &rec, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_flush(st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(write(ready[1], "g", 1), 1);
    int status = -1;
    for (int it = 1; waitpid(child, &status, WNOHANG) == 0; it++) {
        rec.iteration = it;
        cr_assert_eq(store_add_run(st, session, &rec, 0, err, sizeof err), 0, "%s", err);
    }
    close(ready[1]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader failed (status %d)", status);
    store_close(st);
}

Test(store, virtualization_from_the_machines_files)
{
    cr_expect_str_eq(session_virtualization("Linux version 5.15.90.1-microsoft-standard-WSL2", "", "", 1), "wsl");
    cr_expect_str_eq(session_virtualization("Linux version 6.1.0", "QEMU", "Standard PC (Q35 + ICH9, 2009)", 1), "kvm");
    cr_expect_str_eq(session_virtualization("Linux version 6.1.0", "VMware, Inc.", "VMware Virtual Platform", 1),
                     "vmware");
    cr_expect_str_eq(session_virtualization("Linux version 6.1.0", "innotek GmbH", "VirtualBox", 1), "virtualbox");
    cr_expect_str_eq(session_virtualization("Linux version 6.1.0", "Microsoft Corporation", "Virtual Machine", 1),
                     "hyper-v");
    cr_expect_str_eq(session_virtualization("Linux version 6.1.0", "Dell Inc.", "OptiPlex 7090", 0), "none");
    cr_expect_str_eq(session_virtualization("Linux version 6.1.0", "", "", 1), "vm");
    char sha[65];
    cr_expect_eq(session_sha256_file("/nonexistent", sha), -1);
    char path[512];
    FILE *f = fopen(in_dir("abc", path, sizeof path), "w");
    fputs("abc", f);
    fclose(f);
    cr_assert_eq(session_sha256_file(path, sha), 0);
    /* FIPS 180-2, appendix B.1: SHA-256("abc") */
    cr_expect_str_eq(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ------------------------------------------------------ the CLI, whole -- */

#define MATRIX "--jsonl --board devkitc --host native-linux --host wsl-usbipd --iterations 2000 --seed 7"
#define COMPACT "--board devkitc --host native-linux --host wsl-usbipd --iterations 2000 --seed 7"

static void run_ok(const char *args)
{
    int rc = run_cli(args, out, sizeof out, cerr, sizeof cerr);
    cr_assert(rc == 0 || rc == 1, "resetlab %s exited %d: %s", args, rc, cerr);
}

/* The acceptance test: SIGKILL halfway, no committed run lost,
 * --resume finishes with the same totals as an uninterrupted run. */
Test(store, killed_then_resumed_matches_an_uninterrupted_run)
{
    char args[1024], a[512], b[512], db[512];
    snprintf(args, sizeof args, "run " MATRIX " --out %s/whole", dir);
    run_ok(args);
    snprintf(args, sizeof args, MATRIX " --out %s/killed", dir);
    long kept = interrupt_run(args, in_dir("killed/results.db", db, sizeof db), SIGKILL, dir);
    cr_assert_gt(kept, 0);
    cr_assert_lt(kept, 17 * 2000, "the run finished before it was killed");
    snprintf(args, sizeof args, "run --resume --out %s/killed", dir);
    run_ok(args);
    cr_expect_eq(count_runs(db), count_runs(in_dir("whole/results.db", a, sizeof a)));
    expect_same_file(in_dir("whole/summary.json", a, sizeof a), in_dir("killed/summary.json", b, sizeof b));
    expect_same_file(in_dir("whole/runs.jsonl", a, sizeof a), in_dir("killed/runs.jsonl", b, sizeof b));
    /* nothing left to resume */
    snprintf(args, sizeof args, "run --resume --out %s/killed", dir);
    expect_bad_input(args, "is complete: nothing to resume");
}

/* SIGTERM (a CI job cancelled, a shutdown): as Ctrl-C, with 143. */
Test(store, sigterm_stops_cleanly_with_143)
{
    char args[1024], a[512], db[512];
    snprintf(args, sizeof args, MATRIX " --out %s/term", dir);
    long kept = interrupt_run(args, in_dir("term/results.db", db, sizeof db), SIGTERM, dir);
    cr_assert_gt(kept, 0);
    char *text = slurp(in_dir("interrupted.err", a, sizeof a), NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "resetlab: interrupted: ") && strstr(text, "run --resume --out"), "%s", text);
    free(text);
}

/* Ctrl-C: the run in hand finishes, the session says interrupted, exit
 * 130 with how to go on; --resume completes it. */
Test(store, sigint_stops_cleanly_and_resumes)
{
    char args[1024], a[512], b[512], db[512];
    snprintf(args, sizeof args, MATRIX " --out %s/int", dir);
    interrupt_run(args, in_dir("int/results.db", db, sizeof db), SIGINT, dir);
    char *text = slurp(in_dir("interrupted.err", a, sizeof a), NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "resetlab: interrupted: ") && strstr(text, "run --resume --out"), "%s", text);
    free(text);
    cr_expect_null(slurp(in_dir("int/summary.json", a, sizeof a), NULL), "an interrupted run wrote a summary");
    snprintf(args, sizeof args, "run --resume --out %s/int", dir);
    run_ok(args);
    snprintf(args, sizeof args, "run " MATRIX " --out %s/whole", dir);
    run_ok(args);
    expect_same_file(in_dir("whole/summary.json", a, sizeof a), in_dir("int/summary.json", b, sizeof b));
}

Test(store, resume_refuses_what_it_cannot_do)
{
    char args[1024], path[512];
    snprintf(args, sizeof args, "run --resume --out %s/none", dir);
    expect_bad_input(args, "no results store to resume");
    snprintf(args, sizeof args, "run --resume --board devkitc --out %s/x", dir);
    expect_bad_input(args, "--resume goes on as the session was started: give only --out and --db, not --board");
    /* a lab changed under an unfinished session */
    char *lab = slurp(src_path("boards.yaml", path, sizeof path), NULL);
    cr_assert_not_null(lab);
    FILE *f = fopen(in_dir("boards.yaml", path, sizeof path), "w");
    fputs(lab, f);
    fclose(f);
    snprintf(args, sizeof args, "--boards %s --board devkitc --host native-linux --iterations 3000 --out %s/lab", path,
             dir);
    char db[512];
    interrupt_run(args, in_dir("lab/results.db", db, sizeof db), SIGKILL, dir);
    f = fopen(path, "a");
    fputs("# edited\n", f);
    fclose(f);
    free(lab);
    snprintf(args, sizeof args, "run --resume --out %s/lab", dir);
    expect_bad_input(args, "has changed since session #1 started; resuming would mix two labs");
}

/* One writer per store: a second run on the same --out names the first. */
Test(store, a_second_writer_is_told_who_holds_the_store)
{
    char path[512], args[1024];
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 2 --out %s/held", dir);
    run_ok(args);
    in_dir("held/results.db.lock", path, sizeof path);
    int ready[2], done[2];
    cr_assert(pipe(ready) == 0 && pipe(done) == 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) { /* holds the store's lock as a running resetlab would, until the pipe closes */
        close(ready[0]);
        close(done[1]);
        int fd = open(path, O_RDWR | O_CREAT, 0666);
        char c = 0;
        if (fd < 0 || flock(fd, LOCK_EX) != 0 || ftruncate(fd, 0) != 0 ||
            write(fd, "4242 resetlab run --board x\n", 28) != 28 || write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(done[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(done[0]);
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1, "the holder could not take the lock");
    expect_bad_input(args, "results.db is in use by pid 4242 (resetlab run --board x)");
    close(done[1]);
    waitpid(child, NULL, 0);
    close(ready[0]);
    run_ok(args); /* free again: the kernel dropped the holder's lock */
}

/* The progress line: on a terminal (script(1) gives the run one) it shows
 * runs done, rate and ETA, then erases itself; with CI set, nothing. */
Test(store, progress_line_on_a_terminal_only)
{
    char cmd[2048], bin[512], path[512];
    const char *env = getenv("RESETLAB_BIN");
    snprintf(bin, sizeof bin, "%s", env ? env : "resetlab");
    in_dir("tty.txt", path, sizeof path);
    snprintf(cmd, sizeof cmd,
             "env -u CI script -qc '%s run --board devkitc --host native-linux --iterations 3000 --out %s/tty "
             ">/dev/null' /dev/null > %s",
             bin, dir, path);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char *text = slurp(path, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, " runs (") && strstr(text, "runs/s, ETA "), "no progress line: '%s'", text);
    cr_expect(strstr(text, "/51000 runs") != NULL, "17 cells x 3000 runs: '%s'", text);
    cr_expect(strstr(text, "\r\033[K") != NULL, "the line is not erased at the end");
    free(text);
    snprintf(cmd, sizeof cmd,
             "CI=true script -qc '%s run --board devkitc --host native-linux --iterations 3000 --out %s/ci "
             ">/dev/null' /dev/null > %s",
             bin, dir, path);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    text = slurp(path, NULL);
    cr_assert_not_null(text);
    /* issue 22: under CI with stdout not a terminal, whole lines every 10 s or 5 % */
    cr_expect(strstr(text, "resetlab: run: 2550/51000 runs (5.0 %)") != NULL && strstr(text, "\033[K") == NULL,
              "progress under CI: '%s'", text);
    free(text);
}

/* Findings are read by one cursor walked beside the runs: runs of two
 * sessions interleaved (a resumed session after another one), runs without
 * findings, and a host filter that skips runs must each get their own. */
struct findings_seen {
    int n, n_findings[8];
    int64_t t_first[8];
};

static int note_findings(const struct stored_run *r, void *ctx)
{
    struct findings_seen *s = ctx;
    if (s->n < 8) {
        s->n_findings[s->n] = r->a.n_findings;
        s->t_first[s->n] = r->a.n_findings ? r->a.findings[0].t_ns : -1;
    }
    s->n++;
    return 0;
}

Test(store, findings_follow_their_runs_across_interleaved_sessions)
{
    int64_t a_id, b_id;
    struct store *st = new_store("f.db", &a_id);
    struct session_facts f = {.seed = 2, .iterations = 3};
    snprintf(f.started, sizeof f.started, "2026-11-23T11:00:00Z");
    cr_assert_eq(store_session_begin(st, &f, &b_id, err, sizeof err), 0, "%s", err);
    struct analysis a = failing_run(), none = failing_run();
    none.n_findings = 0;
    /* ids in order: A0 (2 findings, t=100) B0 (2, t=200) A1 (none) B1 (2, t=400) A2 (2, t=500, other host) */
    const struct {
        int64_t session;
        const char *host;
        int iteration, findings;
        int64_t t;
    } rows[] = {{a_id, "native-linux", 0, 1, 100}, {b_id, "native-linux", 0, 1, 200}, {a_id, "native-linux", 1, 0, 0},
                {b_id, "native-linux", 1, 1, 400}, {a_id, "wsl-usbipd", 0, 1, 500}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        a.findings[0].t_ns = rows[i].t;
        struct run_record rec = {"devkitc",          rows[i].host, "esptool-classic", rows[i].iteration, 1, BOOT_DOWNLOAD,
                                 rows[i].findings ? &a : &none};
        cr_assert_eq(store_add_run(st, rows[i].session, &rec, 0, err, sizeof err), 0, "%s", err);
    }
    struct findings_seen all = {0}, linux_only = {0}, b = {0};
    cr_assert_eq(store_each_run(st, a_id, NULL, NULL, NULL, note_findings, &all, err, sizeof err), 0, "%s", err);
    cr_assert_eq(all.n, 3);
    cr_expect_eq(all.n_findings[0], 2);
    cr_expect_eq(all.t_first[0], 100);
    cr_expect_eq(all.n_findings[1], 0);
    cr_expect_eq(all.n_findings[2], 2);
    cr_expect_eq(all.t_first[2], 500);
    cr_assert_eq(store_each_run(st, a_id, NULL, "wsl-usbipd", NULL, note_findings, &linux_only, err, sizeof err), 0);
    cr_assert_eq(linux_only.n, 1);
    cr_expect_eq(linux_only.t_first[0], 500);
    cr_assert_eq(store_each_run(st, b_id, NULL, NULL, NULL, note_findings, &b, err, sizeof err), 0);
    cr_assert_eq(b.n, 2);
    cr_expect_eq(b.t_first[0], 200);
    cr_expect_eq(b.t_first[1], 400);
    cr_expect_eq(b.n_findings[1], 2);
    store_close(st);
}

/* A full disk (here a file-size limit: the same ENOSPC-like failure of a
 * write) stops the run with one line saying what failed and how to go on;
 * the committed runs are kept, and --resume, once there is room, gives the
 * uninterrupted run's results byte for byte. */
Test(store, a_full_disk_stops_with_one_line_and_resumes)
{
    char cmd[1024], args[1024], a[512], b[512], db[512];
    const char *env = getenv("RESETLAB_BIN");
    snprintf(cmd, sizeof cmd, "ulimit -f 2048; trap '' XFSZ; exec %s run " MATRIX " --out %s/full >/dev/null 2>%s/full.err",
             env ? env : "resetlab", dir, dir);
    int status = system(cmd);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "status %d", status);
    char *text = slurp(in_dir("full.err", a, sizeof a), NULL);
    cr_assert_not_null(text);
    /* whichever file reaches the limit first: runs.jsonl (write failed) or
     * the store (SQLite's I/O error on its commit) */
    cr_expect((strstr(text, "full/runs.jsonl: write failed (File too large)") ||
               (strstr(text, "full/results.db: ") && strstr(text, "disk I/O error"))) &&
                  strstr(text, "runs are in") && strstr(text, "run --resume --out"),
              "%s", text);
    cr_expect_eq(strchr(text, '\n'), strrchr(text, '\n'), "one line: %s", text);
    free(text);
    long kept = count_runs(in_dir("full/results.db", db, sizeof db));
    cr_assert_gt(kept, 0, "no run was kept");
    snprintf(args, sizeof args, "run --resume --out %s/full", dir);
    run_ok(args);
    snprintf(args, sizeof args, "run " MATRIX " --out %s/whole", dir);
    run_ok(args);
    expect_same_file(in_dir("whole/summary.json", a, sizeof a), in_dir("full/summary.json", b, sizeof b));
    expect_same_file(in_dir("whole/runs.jsonl", a, sizeof a), in_dir("full/runs.jsonl", b, sizeof b));
}
