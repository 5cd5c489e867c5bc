/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab tune --board NAME --host PROFILE`: the shortest reliable reset
 * sequence (run_tune.h), as an esptool.cfg snippet and, with --write, a
 * scenario.
 * May call: harness/run (run_tune.h, real runs), harness/port, harness/capture, harness/lab, sim/,
 * reports/ (stats), cli_json.c, libc. */
#include "cli_commands.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/stats.h"
#include "sim/world.h"
#include "cli.h"
#include "cli_json.h"
#include "harness/lab/lab_load.h"
#include "harness/run/run_matrix.h"
#include "harness/port/port_rfc2217.h"
#include "harness/run/run_real.h"
#include "harness/capture/capture_sigrok.h"
#include "harness/run/run_tune.h"

#define TUNE_ITERATIONS_MAX 1000000 /* --iterations N */
#define TUNE_MARGIN_MS_MAX 1000.0  /* --min-margin-ms M */

static const char usage[] =
    "usage: resetlab tune --board NAME [--host PROFILE] [--target P] [--min-margin-ms M]\n"
    "                     [--iterations N] [--seed S] [--write FILE] [--json]\n"
    "                     [--boards FILE] [--scenarios DIR]\n"
    "\n"
    "Searches the waits of a reset sequence, and one call per change (esptool's U:\n"
    "both lines in one TIOCMSET; only on a local port of a Linux or macOS host:\n"
    "on Windows and over rfc2217:// esptool fails with io.UnsupportedOperation)\n"
    "against two (D then R, as esptool's ClassicReset; its custom sequences do\n"
    "not write DTR again after R), for the shortest reset whose pass rate meets the target on\n"
    "this board and host: a simulated board on a host profile (default\n"
    "native-linux), a board on a real port on this machine, through its port and\n"
    "logic analyzer (each candidate's runs take real time: lower --iterations and\n"
    "--target to match; a candidate stops at its first failures too many).\n"
    "A run passes when the chip boots in download mode, the ROM answers SYNC and\n"
    "the strap margin is at least M ms (default 1). A candidate meets the target\n"
    "when the 95 % Wilson lower bound of its pass rate over N runs (default 5000)\n"
    "does (default P 0.999).\n"
    "\n"
    "Prints the best sequence as an esptool.cfg snippet ([esptool]\n"
    "custom_reset_sequence = ..., read by esptool 4.5 and later), its pass rate\n"
    "with the interval and the margin distribution; when it has U steps, the best\n"
    "sequence of separate calls too, for esptool on Windows or over rfc2217://.\n"
    "Then what the tools a user runs do on the same board and host (every\n"
    "scenario with a connect loop: esptool 3.x/4.x/5.x, espflash, esptool-js):\n"
    "how often they connect, on which attempt and after how many ms, N runs each;\n"
    "and esptool's bare ClassicReset. --write FILE saves the sequence as a\n"
    "scenario (its name: FILE's base name, which must be a name as below) for\n"
    "`resetlab run`. --json: one JSON document on stdout instead (the search, and\n"
    "the best sequence with its pass rate, Wilson interval and margins, or null).\n"
    "\n"
    "--target P: 0.5 to 0.99999; --min-margin-ms M: 0 to 1000; --iterations N: 1 to\n"
    "1000000; --seed S: 0 to 2^64-1 (default 1).\n"
    CLI_NUMBERS_HELP CLI_LAB_LIMITS_HELP
    "\n"
    "exit status: 0 a sequence met the target, 1 none did, 2 bad input.\n";

struct tune_args {
    const char *board, *host, *write;
    double target, min_margin_ms;
    long iterations;
    uint64_t seed;
    int json;
};

/* --json: stdout holds the document alone; --write's line goes to stderr. */
static int json_out;

/* FILE's base name without .yaml, as the scenario's name. */
static void scenario_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    snprintf(out, len, "%.*s", (int)n, base);
}

/* --write FILE: its base name will be the scenario's name, which the
 * scenario loader checks as every name from a file (lab_name_check). */
static int check_write_name(const char *path)
{
    char name[LAB_SCENARIO_NAME_MAX + 2], why[160];
    scenario_name(path, name, sizeof name);
    if (lab_name_check(name, LAB_SCENARIO_NAME_MAX, why, sizeof why) == 0)
        return 0;
    return cli_bad_input("tune: --write %s: its base name is the scenario's: %s", path, why);
}

/* The options parse_args takes, each with a value. */
static const char *const value_opts[] = {"--board",      "--host", "--write", "--target", "--min-margin-ms",
                                         "--iterations", "--seed", NULL};

static int parse_args(int argc, char **argv, struct tune_args *a, struct cli_common *c)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--json") == 0) {
            a->json = json_out = 1;
            continue;
        }
        int used = cli_common_opt(c, argc, argv, &i);
        if (used < 0)
            return cli_bad_input("tune: %s needs a value%s", opt, "");
        if (used > 0)
            continue;
        if (strncmp(opt, "--", 2) != 0)
            return cli_bad_input("tune: unexpected argument '%s'%s (resetlab help tune)", opt, "");
        if (!cli_is_one_of(opt, value_opts))
            return cli_bad_input("tune: unknown option '%s'%s (resetlab help tune)", opt, "");
        if (i + 1 >= argc)
            return cli_bad_input("tune: %s needs a value%s", opt, "");
        const char *v = argv[++i];
        uint64_t n;
        if (strcmp(opt, "--board") == 0)
            a->board = v;
        else if (strcmp(opt, "--host") == 0)
            a->host = v;
        else if (strcmp(opt, "--write") == 0) {
            if (check_write_name(v) != 0)
                return 2;
            a->write = v;
        } else if (strcmp(opt, "--target") == 0) {
            if (cli_parse_decimal("tune", opt, v, "a number", 0.5, 0.99999, &a->target) != 0)
                return 2;
        } else if (strcmp(opt, "--min-margin-ms") == 0) {
            if (cli_parse_decimal("tune", opt, v, "a number", 0, TUNE_MARGIN_MS_MAX, &a->min_margin_ms) != 0)
                return 2;
        } else if (strcmp(opt, "--iterations") == 0) {
            if (cli_parse_uint("tune", opt, v, "a whole number", 1, TUNE_ITERATIONS_MAX, &n) != 0)
                return 2;
            a->iterations = (long)n;
        } else if (strcmp(opt, "--seed") == 0) {
            if (cli_parse_uint("tune", opt, v, "a whole number", 0, CLI_SEED_MAX, &a->seed) != 0)
                return 2;
        } else {
            return cli_bad_input("tune: unknown option '%s'%s (resetlab help tune)", opt, "");
        }
    }
    if (a->board == NULL)
        return cli_bad_input("tune: which board? give --board NAME%s%s", " (resetlab list shows them)", "");
    return 0;
}

/* The tools a user runs, as they run on this board and host: how often
 * their whole connect loop connects, on which attempt, how fast. */
static void compare_tools(const struct lab *lab, const struct tune_opts *o)
{
    for (int i = 0; i < lab->n_scenarios; i++) {
        const struct scenario *s = &lab->scenarios[i];
        if (s->tool == NULL || !scenario_applies(s, o->board, o->host))
            continue;
        struct cell_stats c;
        struct cell_sink sink = {.sigrok = o->sr};
        struct sim_world *w = o->port ? NULL : sim_world_new();
        if ((o->port == NULL && w == NULL) || run_cell(w, o->board, o->host, s, o->iterations, o->seed, &c, &sink) != 0) {
            sim_world_free(w);
            continue;
        }
        cell_close(&c);
        printf("%s on this board and host: connects in %.1f %% of %d runs", s->product,
               100.0 * c.connected / c.tool_runs, c.tool_runs);
        if (c.connected)
            printf(", on attempt %g (median; at worst %g), %.0f ms (median)", c.attempts.p50, c.attempts.max,
                   c.connect_ms.p50);
        printf("\n");
        cell_free(&c);
        sim_world_free(w);
    }
}

/* A bare strategy for the board, as the shipped scenario runs it. */
static void reference(const struct lab *lab, const struct tune_opts *o, const char *name)
{
    const struct scenario *s = lab_scenario(lab, name);
    if (s == NULL || !scenario_applies(s, o->board, o->host))
        return;
    struct run_buffers *rb = calloc(1, sizeof *rb);
    struct sim_world *w = sim_world_new();
    double *t = malloc((size_t)o->iterations * sizeof *t);
    int passed = 0, n_t = 0;
    for (int it = 0; rb && w && t && it < o->iterations; it++) {
        tune_run_once(o, w, s, s->name, it, rb);
        passed += rb->a.verdict == VERDICT_PASS;
        double ms = tune_reset_ms(rb);
        if (isfinite(ms))
            t[n_t++] = ms;
    }
    if (rb && w && t) {
        double lo, hi;
        wilson_interval(passed, o->iterations, 1.96, &lo, &hi);
        printf("%s on the same board and host: %.1f %% [%.2f–%.2f] of %d runs pass, %.1f ms per reset (median)\n",
               name, 100.0 * passed / o->iterations, 100 * lo, 100 * hi, o->iterations, percentile(t, n_t, 0.5));
    }
    free(rb), free(t), sim_world_free(w);
}

static void print_result(const struct tune_opts *o, const struct tune_result *r)
{
    if (r->family == TUNE_USB_JTAG)
        printf("best: %s (USBJTAGSerialReset's order), waits of %g ms, then %g ms before SYNC: %.2f ms per reset "
               "(median)\n",
               tune_family_name(r->family), r->hold_ms, r->boot_ms, r->reset_ms);
    else
        printf("best: %s, %s held low %g ms, %s held low %g ms after: %.2f ms per reset (median)\n",
               tune_family_name(r->family), chip_en_name(&o->board->chip->timing), r->hold_ms,
               chip_strap_name(&o->board->chip->timing), r->boot_ms, r->reset_ms);
    printf("  pass rate %d/%d = %.2f %% [%.3f–%.3f] (95 %% Wilson): meets %.3g %%\n", r->passed, r->runs,
           100.0 * r->passed / r->runs, 100 * r->lo, 100 * r->hi, 100 * o->target);
    if (isnan(r->margin_min))
        printf("  strap margin: none (the USB-Serial/JTAG reset acts inside the chip)\n");
    else
        printf("  strap margin: min %.3f ms, p1 %.3f ms, median %.3f ms (asked: >= %g ms)\n", r->margin_min,
               r->margin_p1, r->margin_p50, o->min_margin_ms);
    printf("\nesptool.cfg (in the directory esptool runs in, or ~/.config/esptool/):\n"
           "[esptool]\ncustom_reset_sequence = %s\n",
           r->reset);
}

/* A U sequence is for esptool on a local POSIX port only: elsewhere its
 * _setDTRandRTS fails (io.UnsupportedOperation: fileno over rfc2217://,
 * no TIOCMSET on Windows). The best sequence of separate calls, for those. */
static void two_call_alternative(const struct tune_opts *o)
{
    struct tune_opts two = *o;
    two.no_one_call = 1;
    struct tune_result r;
    char err[256];
    printf("\n  the U steps need a local port on Linux or macOS: esptool on Windows or over rfc2217:// fails with\n"
           "  io.UnsupportedOperation there.");
    if (tune_search(&two, &r, err, sizeof err) >= 0 && r.met)
        printf(" For those, the best sequence of separate calls:\n  custom_reset_sequence = %s (%.2f ms per reset, "
               "pass rate %.2f %%, strap margin min %.3f ms)\n",
               r.reset, r.reset_ms, 100.0 * r.passed / r.runs, r.margin_min);
    else
        printf(" No sequence of separate calls met the target on this board and host.\n");
}

static int write_scenario(const char *path, const struct tune_opts *o, const struct tune_result *r)
{
    char name[64];
    scenario_name(path, name, sizeof name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return cli_bad_input("tune: --write %s: %s", path, strerror(errno));
    time_t now = time(NULL);
    char day[16];
    strftime(day, sizeof day, "%Y-%m-%d", gmtime(&now));
    fprintf(f,
            "# Written by resetlab tune on %s: the shortest reset found for %s on %s with\n"
            "# %.2f %% of %d runs in download mode, SYNC answered and strap margin >= %g ms\n"
            "# (95 %% Wilson lower bound %.3f %%, target %.3g %%).\n",
            day, o->board->name, o->host->name, 100.0 * r->passed / r->runs, r->runs, o->min_margin_ms,
            100 * r->lo, 100 * o->target);
    fprintf(f, "name: %s\n", name);
    fprintf(f, "origin: \"resetlab tune --board %s --host %s --target %g --min-margin-ms %g\"\n", o->board->name,
            o->host->name, o->target, o->min_margin_ms);
    fprintf(f, "expect: download\n");
    fprintf(f, "dtr_rewrite_after_rts: false  # esptool's CustomReset sets RTS with port.setRTS alone (reset.py)\n");
    if (r->family == TUNE_ONE_CALL)
        fprintf(f, "os: [linux]   # U is esptool's _setDTRandRTS: TIOCMSET, POSIX only\n");
    if (r->family == TUNE_USB_JTAG)
        fprintf(f, "bridges: [%s]\n", o->board->bridge->name);
    fprintf(f, "sequence: \"O|%s|S|W0.1\"\n", r->reset);
    if (fclose(f) != 0)
        return cli_bad_input("tune: --write %s: %s", path, strerror(errno));
    fprintf(json_out ? stderr : stdout, "%swrote %s (scenario %s)\n", json_out ? "resetlab: tune: " : "\n", path, name);
    return 0;
}

static int cli_tune(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    struct tune_args a = {.target = 0.999, .min_margin_ms = 1.0, .iterations = 5000, .seed = 1};
    struct cli_common c = {0};
    if (parse_args(argc, argv, &a, &c) != 0)
        return 2;
    struct lab lab;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    int rc = 2;
    const struct board_profile *b = lab_board(&lab, a.board);
    const struct host_profile *h = b && board_is_real(b) ? &real_host : lab_host(&lab, a.host ? a.host : "native-linux");
    struct sigrok *sr = NULL;
    struct port *port = NULL;
    char claim[512] = "";
    if (b != NULL && board_is_real(b) && ((sr = sigrok_new(claim, sizeof claim)) == NULL ||
                                          (port = port_real_new(b->port, NULL, claim, sizeof claim)) == NULL))
        rc = 1;
    if (b == NULL)
        cli_bad_input("tune: no board '%s' in %s (resetlab list shows them)", a.board, lab.path);
    else if (h == NULL)
        cli_bad_input("tune: no host profile '%s' in %s (resetlab list shows them)", a.host, lab.path);
    else if (board_is_real(b) && a.host != NULL)
        cli_bad_input("tune: board '%s' is on port %s: it runs on this machine, not on a host profile", a.board,
                      b->port);
    else if (rc == 1)
        fprintf(stderr, "resetlab: tune: %s\n", claim);
    else {
        struct tune_opts o = {b, h, a.target, a.min_margin_ms, (int)a.iterations, a.seed, sr, port, 0};
        struct tune_result best;
        char err[512];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int tried = tune_search(&o, &best, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (tried < 0) {
            fprintf(stderr, "resetlab: tune: %s\n", err);
            rc = 1;
        } else {
            if (a.json) {
                rc = best.met ? (a.write ? (write_scenario(a.write, &o, &best) != 0 ? 2 : 0) : 0) : 1;
                cli_tune_json(stdout, &o, tried, secs, best.met ? &best : NULL, rc);
                goto done;
            }
            printf("tune %s on %s: %.3g %% of runs in download mode with SYNC answered and strap margin >= %g ms\n"
                   "(%d candidates, up to %d runs each, %.1f s)\n\n",
                   b->name, h->name, 100 * a.target, a.min_margin_ms, tried, o.iterations, secs);
            if (best.met) {
                print_result(&o, &best);
                if (best.family == TUNE_ONE_CALL)
                    two_call_alternative(&o);
                printf("\n");
                compare_tools(&lab, &o);
                reference(&lab, &o, b->circuit->kind == CIRCUIT_USB_JTAG ? "esptool-usb-jtag" : "esptool-classic");
                rc = a.write ? (write_scenario(a.write, &o, &best) != 0 ? 2 : 0) : 0;
            } else {
                printf("no sequence met the target on this board and host\n");
                compare_tools(&lab, &o);
                reference(&lab, &o, b->circuit->kind == CIRCUIT_USB_JTAG ? "esptool-usb-jtag" : "esptool-classic");
                rc = 1;
            }
        }
    }
done:
    port_real_free(port);
    sigrok_free(sr);
    lab_free(&lab);
    return rc;
}

const struct cli_command cli_tune_command = {"tune", "the shortest reset sequence that meets a pass-rate target (esptool.cfg)", usage, cli_tune};
