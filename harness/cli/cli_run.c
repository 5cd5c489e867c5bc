/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab run`: options, the session's facts, Ctrl-C, --resume.
 * May call: harness/run (the matrix, the session's facts), harness/lab (the gates file, the name rules of
 * --host-label), harness/report (the page at the end),
 * libc (signals). */
#include "cli_commands.h"

#include <limits.h>
#include <ctype.h>
#include <fnmatch.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "harness/lab/lab_load.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "harness/lab/lab_known.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_real.h"
#include "harness/run/run_recorder.h"
#include "harness/run/run_session.h"

#define RUN_ITERATIONS_MAX 10000000 /* --iterations N */
#define RUN_SHARDS_MAX 1000          /* --shard K/N */
#define RUN_KEEP_RUNS_DEFAULT 4      /* --keep-runs N */
#define STR_(x) #x
#define STR(x) STR_(x)

static const char usage[] =
    "usage: resetlab run [--boards FILE] [--scenarios DIR] [--hosts FILE] [--board NAME]... [--host NAME]...\n"
    "                    [--scenario NAME]... [--iterations N] [--seed S] [--out DIR]\n"
    "                    [--captures failing|all] [--db FILE] [--host-label NAME] [--metrics FILE]\n"
    "                    [--known FILE | --no-known] [--quiet | --json] [--shard K/N] [--jsonl]\n"
    "                    [--keep-runs N|all]\n"
    "       resetlab run --resume [--out DIR] [--db FILE] [--metrics FILE] [--quiet | --json]\n"
    "\n"
    "Runs every scenario on every board and host it applies to, N times each, on\n"
    "the virtual lab (boards whose port is `sim`): the host model draws each USB\n"
    "request's latency, the board model charges EN through its RC, the chip samples\n"
    "IO0 and prints its ROM banner, the virtual logic analyzer records the wires (and\n"
    "EN's voltage, where the board's analyzer has an analog channel), and the\n"
    "analyzers decide each run's outcome and verdict. Scenarios marked\n"
    "after_power_on start with the bridge's first open after power-on.\n"
    "A tool's scenario (a connect: loop: esptool 3.x/4.x/5.x, espflash, esptool-js;\n"
    "docs/tools.md) runs the tool's whole session as its code does: reset\n"
    "strategies cycled by OS, port kind (host `port:`) and USB PID, the boot log,\n"
    "SYNC tries, then its reset into the application; the run passes when it\n"
    "connects (and the application boots), and reports the attempt and the ms it\n"
    "took, or the error the tool prints. Tools come first in the table, at most\n"
    "14 attempts a run.\n"
    "Boards on a real port run on this machine: a serial device with a libsigrok\n"
    "analyzer (analyzer kind sigrok), or rfc2217://HOST:PORT; a board served by\n"
    "`resetlab serve` (analyzer kind serve, log: its --out folder) gets each run's\n"
    "capture from the server's log. Their runs land in the host column of the\n"
    "port's host mode, as `resetlab ports` shows it (docs/hosts.md): native-linux,\n"
    "vm-usb-passthrough-HYPERVISOR (kvm, vmware, virtualbox, hyper-v...),\n"
    "vm-serial-virtualized, wsl-usbipd, usbip, rfc2217; the session's facts record it.\n"
    "\n"
    "options:\n"
    "  --boards FILE     the lab description (default: ./boards.yaml, else the one installed\n"
    "                    with resetlab, share/resetlab/boards.yaml, else the source tree's)\n"
    "  --scenarios DIR   one YAML file per reset strategy (default: ./scenarios, else the\n"
    "                    installed share/resetlab/scenarios, else the source tree's)\n"
    "  --hosts FILE      hosts added to the lab's (one of the same name replaced): a file whose\n"
    "                    only section is hosts:, as `resetlab calibrate --out` writes\n"
    "  --board NAME      only this board; repeat for more (default: all)\n"
    "  --host NAME       only this host profile; repeat for more (default: all)\n"
    "  --scenario NAME   only this scenario; repeat for more (default: all)\n"
    "  --iterations N    runs per cell, 1 to 10000000 (default 200)\n"
    "  --seed S          seed of the virtual lab, 0 to 2^64-1 (default 1); the same seed gives\n"
    "                    the same results\n"
    "  --out DIR         results folder (default: results); one resetlab writes into a\n"
    "                    folder at a time (DIR/.lock names it to a second one)\n"
    "  --captures WHICH  keep the virtual analyzer's capture of the failing runs, or of\n"
    "                    all, as sigrok sessions: DIR/captures/BOARD--HOST--SCENARIO--N.sr\n"
    "                    (DTR, RTS, EN, IO0 and the UART line RX; open them in PulseView\n"
    "                    or sigrok-cli) with the run's op log beside each (.yaml), which\n"
    "                    `resetlab analyze` reads back\n"
    "\n"
    "  --db FILE         the results store (SQLite; default DIR/results.db): a session\n"
    "                    per run with this host's facts (OS, kernel, virtualization,\n"
    "                    resetlab version, boards.yaml SHA-256), each run committed as it\n"
    "                    finishes; several runs may share one store. A store that\n"
    "                    SQLite's quick_check finds damaged is refused before anything\n"
    "                    is added to it (0.34 s for 146 MB)\n"
    "  --host-label NAME real boards' runs land in host column NAME instead of their\n"
    "                    port's detected host mode (1 to 31 letters, digits, '.', '_', '-',\n"
    "                    not starting with '.' or '-')\n"
    "  --resume          go on with the store's last session where it stopped (killed,\n"
    "                    Ctrl-C, a full disk, a power cut, also while the outputs were\n"
    "                    written), with the options it was started with: the outputs\n"
    "                    are those of an uninterrupted run with the same seed\n"
    "  --metrics FILE    also write the session's figures as OpenMetrics text (per cell\n"
    "                    pass ratio, runs, passed, errors, met, strap margin and DTR/RTS\n"
    "                    gap p5/p50/p95; the session's start, duration, runs/s) for\n"
    "                    Prometheus' node_exporter textfile collector or a push gateway,\n"
    "                    written whole like the other files (docs/ci.md)\n"
    "  --shard K/N       run only shard K of N (1 <= K <= N <= " STR(RUN_SHARDS_MAX) "): the cells, in the run's\n"
    "                    order (board, scenario, host), whose index is K-1 modulo N, each\n"
    "                    with the seeds it has in the whole run, so the N shards' stores\n"
    "                    hold the runs one unsharded run makes. Virtual-lab cells only: a\n"
    "                    real board runs on the machine it is attached to, in a job of its\n"
    "                    own without --shard (docs/ci.md#pipelines)\n"
    "  --known FILE      the gates file: tolerances and known failures (docs/gates.md;\n"
    "                    default: SCENARIOS/gates/known.yaml when it exists). A cell\n"
    "                    meets its expectation when every run passes, or, with a\n"
    "                    tolerance, when the Wilson lower bound of its pass rate at the\n"
    "                    stated confidence is at least min_rate. A known failure that\n"
    "                    still fails is marked 'k' and does not fail the job; one that\n"
    "                    now passes is marked '+' (fixed: remove it from the file). A\n"
    "                    pattern that matches no cell of the lab is a warning. At most\n"
    "                    1000 entries, 64 patterns a field, patterns of 63 characters,\n"
    "                    reasons of 300, links of 200\n"
    "  --no-known        no gates file: every run of every cell must pass\n"
    "  --jsonl           also write DIR/runs.jsonl, one line per run (off by default: the\n"
    "                    default run's is 367 MB), and keep every run in the store\n"
    "  --keep-runs N|all the runs of a cell that get a row of their own in the store\n"
    "                    (runs, findings, tool_runs tables): the first N that did not pass,\n"
    "                    0 to 10000000 (default " STR(RUN_KEEP_RUNS_DEFAULT) "), or all. Every cell's figures\n"
    "                    are in its row of the cells table whatever N is (the default run's\n"
    "                    store: 7.1 MB, 250 MB with all); a real board's runs are all kept\n"
    "  --quiet           print only the table's rows that fail the job and the summary line\n"
    "  --json            print summary.json's document on stdout instead of the table\n"
    "DIR and FILE: at most 480 bytes once made absolute (SQLite opens no store\n"
    "whose path is longer than 504).\n"
    "\n" CLI_NUMBERS_HELP CLI_LAB_LIMITS_HELP
    "\n"
    "writes DIR/summary.json (one entry per\n"
    "cell: pass rate, outcomes, margin, gap, EN release; for a tool its connect\n"
    "rate and attempts and ms to connect, p50, p95, max), DIR/junit.xml, the report\n"
    "(DIR/index.html, DIR/plots/) and the store; with --jsonl DIR/runs.jsonl (a\n"
    "line per run: outcome, margin, gap, EN release, τ and how many analog samples\n"
    "it was fitted on, findings; a tool's connected, attempts, strategy, connect_ms,\n"
    "after, error). A new session first removes the summary.json, junit.xml,\n"
    "runs.jsonl and report an older one left in DIR. runs.jsonl holds whole lines\n"
    "only; the other files are written whole (a temporary name, fsync,\n"
    "rename), and the session is marked complete only once they all are, so\n"
    "--resume finishes a session stopped while writing them.\n"
    "A progress line (runs, rate, ETA) goes to stderr when it is a terminal and\n"
    "CI is unset; with CI set and stdout not a terminal, a line every 10 s or 5 %. Ctrl-C or SIGTERM stops after the run in hand (while the outputs\n"
    "are written: at once, gnuplot too); a second one stops at once. On a real\n"
    "board the run in hand stops at its next step instead (a wait\n"
    "within 20 ms): RTS is released, then DTR, the port closes, and the run is not\n"
    "recorded (--resume makes it again). A real run whose capture ends early (the\n"
    "analyzer unplugged or overflowed, or a limit_samples/limit_time shorter than\n"
    "the sequence) is an error, not a fail.\n"
    "\n"
    "exit status: 0 every cell met its expectation or is a known failure, 1 some\n"
    "cell did not and is not known (a regression), 2 bad input, 3 infrastructure\n"
    "errors only (cells shown as `error`: no board verdict was possible, e.g. a\n"
    "missing port or analyzer), 130 interrupted by Ctrl-C, 143 by SIGTERM (resume\n"
    "with --resume).\n";

static int add_pick(const char **list, int *n, const char *opt, const char *v)
{
    if (*n >= MATRIX_MAX_PICKS) {
        fprintf(stderr, "resetlab: too many %s options (at most %d)\n", opt, MATRIX_MAX_PICKS);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

/* --known FILE and --no-known: the gates file, loaded with the lab. */
static const char *known_file;
static int no_known;

/* --shard K/N: 1 <= K <= N <= RUN_SHARDS_MAX, both whole numbers. */
static int parse_shard(const char *v, struct matrix_opts *o)
{
    char *end;
    errno = 0;
    long k = strtol(v, &end, 10), n = 0;
    int ok = end != v && *end == '/' && isdigit((unsigned char)v[0]);
    if (ok) {
        const char *nv = end + 1;
        n = strtol(nv, &end, 10);
        ok = end != nv && *end == '\0' && isdigit((unsigned char)nv[0]) && errno == 0;
    }
    if (!ok)
        return cli_bad_input("run: --shard '%s': not K/N (this shard's number K of N shards, e.g. 2/8)%s", v, ""), -1;
    if (n < 1 || n > RUN_SHARDS_MAX)
        return cli_bad_input("run: --shard %s: N must be 1 to " STR(RUN_SHARDS_MAX) "%s", v, ""), -1;
    if (k < 1 || k > n)
        return cli_bad_input("run: --shard %s: K must be 1 to N (shards are numbered from 1, as GitLab's "
                             "CI_NODE_INDEX)%s", v, ""), -1;
    o->shard_k = (int)k, o->shard_n = (int)n;
    return 0;
}

static int parse_run_opt(struct matrix_opts *o, int argc, char **argv, int *i)
{
    static const char *const known[] = {"--board", "--host", "--scenario", "--iterations", "--seed", "--out",
                                        "--captures", "--db", "--host-label", "--metrics", "--known", "--shard", "--keep-runs", NULL};
    const char *a = argv[*i];
    int k = 0;
    while (known[k] && strcmp(known[k], a) != 0)
        k++;
    if (known[k] == NULL)
        return cli_bad_input("run: unknown option '%s'%s (resetlab help run)", a, ""), -1;
    if (*i + 1 >= argc)
        return cli_bad_input("%s needs a value%s", a, ""), -1;
    const char *v = argv[++*i];
    uint64_t n;
    switch (k) {
    case 0: return add_pick(o->boards, &o->n_boards, a, v);
    case 1: return add_pick(o->hosts, &o->n_hosts, a, v);
    case 2: return add_pick(o->scenarios, &o->n_scenarios, a, v);
    case 3:
        if (cli_parse_uint("run", a, v, "a whole number", 1, RUN_ITERATIONS_MAX, &n) != 0)
            return -1;
        o->iterations = (int)n;
        return 0;
    case 4:
        return cli_parse_uint("run", a, v, "a whole number", 0, CLI_SEED_MAX, &o->seed);
    case 5:
        o->out_dir = v;
        return 0;
    case 7:
        o->db_path = v;
        return 0;
    case 8: {
        char why[200];
        if (lab_name_check(v, LAB_NAME_MAX, why, sizeof why) != 0)
            return cli_bad_input("run: --host-label: %s%s", why, ""), -1;
        o->host_label = v;
        return 0;
    }
    case 9:
        o->metrics_path = v;
        return 0;
    case 10:
        known_file = v;
        return 0;
    case 11:
        return parse_shard(v, o);
    case 12:
        if (strcmp(v, "all") == 0)
            return o->keep_runs = -1, 0;
        if (cli_parse_uint("run", a, v, "a whole number or all", 0, RUN_ITERATIONS_MAX, &n) != 0)
            return -1;
        o->keep_runs = (int)n;
        return 0;
    default: /* --captures */
        if (strcmp(v, "failing") != 0 && strcmp(v, "all") != 0 && strcmp(v, "none") != 0)
            return cli_bad_input("--captures must be failing, all or none, got '%s'%s", v, ""), -1;
        o->keep_captures = v[0] == 'a' ? KEEP_ALL : v[0] == 'f' ? KEEP_FAILING : KEEP_NONE;
        return 0;
    }
}


/* Where the run's results go, and whether to go on with the last session:
 * not part of the matrix, so not recorded for --resume. */
static int is_output_opt(const char *a)
{
    return strcmp(a, "--out") == 0 || strcmp(a, "--db") == 0 || strcmp(a, "--metrics") == 0;
}

/* How the end is printed: not part of the matrix either, and no value. */
static int is_print_opt(const char *a)
{
    return strcmp(a, "--quiet") == 0 || strcmp(a, "--json") == 0;
}

static int is_lab_opt(const char *a)
{
    return strcmp(a, "--boards") == 0 || strcmp(a, "--scenarios") == 0 || strcmp(a, "--hosts") == 0;
}

/* --hosts FILE: hosts (resetlab calibrate's) added to the lab's. */
static const char *hosts_file;

static int append_line(char *buf, size_t len, const char *s)
{
    size_t used = strlen(buf);
    int n = snprintf(buf + used, len - used, "%s\n", s);
    return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/* The matrix options as given, one per line, with the lab's files as
 * absolute paths: what --resume parses again. */
static int record_options(int argc, char **argv, const struct cli_common *c, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--resume") == 0 || is_print_opt(argv[i]))
            continue;
        if (is_output_opt(argv[i]) || is_lab_opt(argv[i])) {
            i++;
            continue;
        }
        if (strcmp(argv[i], "--known") == 0 && i + 1 < argc) { /* absolute, as the lab's files: the report finds it */
            char real[PATH_MAX];
            if (append_line(buf, len, argv[i]) != 0 ||
                append_line(buf, len, realpath(argv[i + 1], real) ? real : argv[i + 1]) != 0)
                return -1;
            i++;
            continue;
        }
        if (append_line(buf, len, argv[i]) != 0)
            return -1;
    }
    char path[PATH_MAX];
    const char *files[][2] = {{"--boards", c->boards}, {"--scenarios", c->scenarios}, {"--hosts", hosts_file}};
    for (int k = 0; k < 2 + (hosts_file != NULL); k++)
        if (append_line(buf, len, files[k][0]) != 0 ||
            append_line(buf, len, realpath(files[k][1], path) ? path : files[k][1]) != 0)
            return -1;
    return 0;
}

/* --out and --db checked before anything is made: not empty, and short
 * enough for the names resetlab puts after them. */
static int check_output_paths(const struct matrix_opts *o)
{
    char err[RUN_MAX_PATH + 200];
    if (run_check_path("--out", o->out_dir, err, sizeof err) != 0 ||
        (o->db_path && run_check_path("--db", o->db_path, err, sizeof err) != 0) ||
        (o->metrics_path && run_check_file_path("--metrics", o->metrics_path, err, sizeof err) != 0))
        return cli_bad_input("run: %s%s", err, "");
    return 0;
}


/* Parses every option; -1 after one error line. */
static int parse_args(int argc, char **argv, struct cli_common *c, struct matrix_opts *o, int *resume)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--jsonl") == 0) { /* recorded: --resume writes it on */
            o->write_jsonl = 1;
            continue;
        }
        if (strcmp(argv[i], "--resume") == 0 || strcmp(argv[i], "--no-known") == 0 || is_print_opt(argv[i])) {
            *resume |= argv[i][2] == 'r';
            no_known |= argv[i][2] == 'n';
            o->quiet |= argv[i][2] == 'q';
            o->json |= argv[i][2] == 'j';
            continue;
        }
        if (strcmp(argv[i], "--hosts") == 0) {
            if (i + 1 >= argc)
                return cli_bad_input("%s needs a value%s", argv[i], ""), -1;
            hosts_file = argv[++i];
            continue;
        }
        int used = cli_common_opt(c, argc, argv, &i);
        if (used < 0)
            return cli_bad_input("%s needs a value%s", argv[i], ""), -1;
        if (used == 0 && parse_run_opt(o, argc, argv, &i) != 0)
            return -1;
    }
    return 0;
}

/* Splits the recorded options (one per line, in place) into argv[1..]. */
static int split_lines(char *text, char **argv, int max)
{
    int n = 1;
    argv[0] = "run";
    for (char *line = strtok(text, "\n"); line != NULL && n < max; line = strtok(NULL, "\n"))
        argv[n++] = line;
    return n;
}

/* --resume: the store's last session, unfinished, its options parsed
 * again (the output options of this command kept), the lab unchanged. */
static int resume_options(int argc, char **argv, struct cli_common *c, struct matrix_opts *o,
                          struct session_row *last)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--resume") != 0 && !is_output_opt(argv[i]) && !is_print_opt(argv[i]))
            return cli_bad_input("--resume goes on as the session was started: give only --out and --db, not %s%s",
                                 argv[i], ""), -1;
        else if (is_output_opt(argv[i]))
            i++;
    char db[600], err[600];
    snprintf(db, sizeof db, "%s/results.db", o->out_dir);
    const char *path = o->db_path ? o->db_path : db;
    struct store *st = access(path, F_OK) == 0 ? store_open(path, STORE_READ, err, sizeof err) : NULL;
    if (st == NULL)
        return cli_bad_input("--resume: %s%s", access(path, F_OK) == 0 ? err : path,
                             access(path, F_OK) == 0 ? "" : ": no results store to resume"), -1;
    int found = store_session_get(st, 0, last, err, sizeof err);
    store_close(st);
    if (found <= 0)
        return cli_bad_input("--resume: %s%s", found < 0 ? err : path, found < 0 ? "" : " holds no session"), -1;
    if (strcmp(last->status, "complete") == 0) {
        fprintf(stderr, "resetlab: --resume: the last session in %s (#%lld, started %s) is complete: nothing to resume\n",
                path, (long long)last->id, last->facts.started);
        return -1;
    }
    static char *args[2 * MATRIX_MAX_PICKS * 3 + 32];
    int n = split_lines(last->facts.options, args, (int)(sizeof args / sizeof args[0]));
    int resume = 0;
    if (parse_args(n, args, c, o, &resume) != 0)
        return -1;
    o->resume_session = last->id;
    return 0;
}

/* A resumed session must run on the lab it started on. */
static int same_lab(const struct cli_common *c, const struct session_row *last)
{
    char sha[65], err[512];
    if (lab_sha256(c->boards, sha, err, sizeof err) == 0 && strcmp(sha, last->facts.boards_sha256) == 0)
        return 0;
    fprintf(stderr, "resetlab: --resume: %s has changed since session #%lld started; resuming would mix two labs\n",
            c->boards, (long long)last->id);
    return -1;
}

/* The report at the end of a run (run_matrix.h's matrix_report_fn): the
 * page `resetlab report` writes, over the last REPORT_DEFAULT_LAST
 * sessions; plots gnuplot could not draw are a warning. */
static int write_report(const char *db_path, int64_t session, const char *finished, const char *out_dir,
                        volatile sig_atomic_t *stop, char *page, size_t page_len, char *err, size_t err_len)
{
    /* the runner holds out_dir's lock, and marks the session complete once this returns 0 */
    struct report_request rq = {.db_path = db_path, .session = session, .report_dir = out_dir,
                                .last = REPORT_DEFAULT_LAST, .stop = stop, .finishing = finished};
    struct report_warnings warn;
    int rc = report_write(&rq, page, page_len, &warn, err, err_len);
    if (rc == REPORT_INTERRUPTED)
        return MATRIX_INTERRUPTED;
    if (rc != 0)
        return -1;
    if (warn.plots_failed > 0)
        fprintf(stderr, "resetlab: warning: %d plots of the report not drawn: %s\n", warn.plots_failed, warn.first);
    return 0;
}

/* Whether an applicable cell of the whole lab matches m. */
static int matches_a_cell(const struct lab *lab, const struct known_match *m)
{
    for (int b = 0; b < lab->n_boards; b++)
        for (int s = 0; s < lab->n_scenarios; s++)
            for (int h = 0; h < (board_is_real(&lab->boards[b]) ? 1 : lab->n_hosts); h++) {
                const struct host_profile *host = board_is_real(&lab->boards[b]) ? &real_host : &lab->hosts[h];
                if (scenario_applies(&lab->scenarios[s], &lab->boards[b], host) &&
                    known_matches(m, lab->boards[b].name, host->name, lab->scenarios[s].name))
                    return 1;
            }
    return 0;
}

/* One warning line for an entry with a pattern that matches no name of the
 * lab, or that matches no cell of it (of the whole lab, not only the cells
 * picked: a run of one board is not a reason to warn). */
static void warn_unmatched(const struct lab *lab, const struct lab_gates *g, const struct known_match *m)
{
    char why[200] = "";
    if (known_check_names(m, lab, why, sizeof why) == 0 && !matches_a_cell(lab, m))
        snprintf(why, sizeof why, "matches no cell of the lab");
    else if (why[0] == '\0')
        return;
    fprintf(stderr, "resetlab: run: warning: %s:%d: %s\n", g->file, m->line, why);
}

/* Whether every board pattern of `m` misses the lab's boards: a shipped
 * known failure of a shipped board, in a lab that includes the library
 * without its boards (docs/lab.md#include). */
static int names_absent_boards(const struct lab *lab, const struct known_match *m)
{
    for (int i = 0; i < m->n[0]; i++)
        for (int b = 0; b < lab->n_boards; b++)
            if (fnmatch(m->pat[0][i], lab->boards[b].name, 0) == 0)
                return 0;
    return m->n[0] > 0;
}

/* --known FILE, else SCENARIOS/gates/known.yaml when it exists, unless
 * --no-known; -1 after one error line. */
static int load_gates(const struct cli_common *c, const struct lab *lab, struct lab_gates *g)
{
    char path[600], err[700];
    memset(g, 0, sizeof *g);
    if (no_known)
        return 0;
    if (known_file == NULL) {
        snprintf(path, sizeof path, "%s/gates/known.yaml", c->scenarios);
        if (access(path, F_OK) != 0)
            return 0;
    }
    char real[PATH_MAX]; /* absolute, as --resume records the lab's files: the outputs name it alike */
    const char *file = known_file ? known_file : path;
    if (realpath(file, real) != NULL)
        file = real;
    if (lab_gates_load(g, file, err, sizeof err) != 0) {
        fprintf(stderr, "resetlab: run: %s\n", err);
        return -1;
    }
    int absent = 0; /* the default file's entries for boards the lab does not have: one line, not one each */
    for (int i = 0; i < g->n_tol + g->n_known; i++) {
        const struct known_match *m = i < g->n_tol ? &g->tol[i].m : &g->known[i - g->n_tol].m;
        if (known_file == NULL && names_absent_boards(lab, m))
            absent++;
        else
            warn_unmatched(lab, g, m);
    }
    if (absent > 0)
        fprintf(stderr, "resetlab: run: %s: %d entries name only boards this lab does not have: not applied\n", file,
                absent);
    return 0;
}

static int cli_run(int argc, char **argv)
{
    struct cli_common c = {0};
    struct matrix_opts o = {.out_dir = "results", .iterations = 200, .seed = 1, .keep_runs = RUN_KEEP_RUNS_DEFAULT};
    static struct session_row last;
    static struct session_facts facts;
    int resume = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    if (parse_args(argc, argv, &c, &o, &resume) != 0 || check_output_paths(&o) != 0 ||
        (resume && resume_options(argc, argv, &c, &o, &last) != 0))
        return 2;
    if (o.quiet && o.json)
        return cli_bad_input("run: --quiet and --json: give one%s%s", "", "");
    if (known_file && no_known)
        return cli_bad_input("run: --known and --no-known: give one%s%s", "", "");
    struct lab lab;
    static struct lab_gates gates;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    char herr[600];
    if (hosts_file && lab_load_hosts(&lab, hosts_file, herr, sizeof herr) != 0) {
        lab_free(&lab);
        return cli_bad_input("run: --hosts: %s%s", herr, "");
    }
    if (load_gates(&c, &lab, &gates) != 0) {
        lab_free(&lab);
        return 2;
    }
    o.gates = gates.file[0] ? &gates : NULL;
    if (resume ? same_lab(&c, &last) != 0 : record_options(argc, argv, &c, facts.options, sizeof facts.options) != 0) {
        if (!resume)
            fprintf(stderr, "resetlab: too many options to record for --resume\n");
        lab_free(&lab);
        return 2;
    }
    session_facts_gather(&facts, c.boards);
    run_matrix_host_facts(&lab, &o, &facts);
    facts.seed = o.seed;
    facts.iterations = o.iterations;
    o.facts = &facts;
    o.progress = progress_wanted();
    o.stop = &cli_stop_asked;
    o.write_report = write_report;
    cli_catch_stop_signals();
    char err[700] = "";
    int rc = run_matrix(&lab, &o, stdout, err, sizeof err);
    if (rc == 2 || rc == MATRIX_INTERRUPTED)
        fprintf(stderr, "resetlab: %s\n", err);
    lab_free(&lab);
    lab_gates_free(&gates);
    return rc == MATRIX_INTERRUPTED ? 128 + (cli_stop_asked ? (int)cli_stop_asked : SIGINT) : rc;
}

const struct cli_command cli_run_command = {"run", "run scenarios x boards x hosts on the lab; print pass rates, write results", usage, cli_run};
