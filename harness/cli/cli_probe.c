/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab probe --board NAME`: board bring-up in one command. Every
 * scenario that applies to the board runs a few times; the report says
 * whether the board follows its circuit table, what EN's RC is, how much
 * strap margin each strategy leaves, and which strategy to use.
 * May call: harness/run (cells on the virtual lab or a real board), harness/lab, cli_json.c, libc. */
#include "cli_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_json.h"
#include "harness/lab/lab_dsl.h"
#include "harness/lab/lab_load.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_real.h"

#define PROBE_ITERATIONS_MAX 100000 /* --iterations N */

static const char usage[] =
    "usage: resetlab probe --board NAME [--host NAME] [--iterations N] [--seed S]\n"
    "                      [--boards FILE] [--scenarios DIR] [--json]\n"
    "\n"
    "Board bring-up in one command: runs every scenario that applies to the board\n"
    "N times (default 20) and prints\n"
    "  - the truth-table verdict: does EN/IO0 follow the circuit in boards.yaml, or\n"
    "    the diagnosis (transistor open or shorted, lines swapped, direct wiring,\n"
    "    IO0 pull-up missing),\n"
    "  - the EN RC estimate: the chip's reset release after EN is let go, against\n"
    "    the design's R·C,\n"
    "  - per scenario: pass rate, outcomes, strap margin (worst and median) and the\n"
    "    DTR/RTS gap,\n"
    "  - per tool (esptool 3/4/5, espflash, esptool-js, idf-monitor, mpremote,\n"
    "    picocom: scenarios with `tool:`): how often its whole connect loop connects,\n"
    "    on which attempt and after how many ms, or what it would print,\n"
    "  - a recommendation: the reset strategy with the best pass rate and the widest\n"
    "    worst-case margin, and what fails and why; per tool that does not connect\n"
    "    every time, the esptool.cfg custom_reset_sequence that did (esptool >= 4.5\n"
    "    reads one; none with a U step on a Windows or rfc2217:// host), or the\n"
    "    tools that do.\n"
    "On the virtual lab the host profile (default native-linux) sets the latencies;\n"
    "a board on a real port runs on this machine, through its serial port and\n"
    "logic analyzer (boards.yaml: port, analyzer kind sigrok).\n"
    "--iterations N: 1 to 100000; --seed S: 0 to 2^64-1 (default 1).\n"
    "--json: one JSON document on stdout instead (board, host, iterations, seed,\n"
    "exit_status, and each scenario's cell as summary.json has it).\n"
    CLI_NUMBERS_HELP CLI_LAB_LIMITS_HELP
    "\n"
    "exit status: 0 the board is sound and some download strategy always works,\n"
    "1 it is not, 2 bad input.\n";

struct probe_opts {
    const char *board, *host;
    int iterations, json;
    uint64_t seed;
};

static int probe_error(const char *fmt, const char *a)
{
    fputs("resetlab: probe: ", stderr);
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 2;
}

/* --board NAME [--host NAME] [--iterations N] [--seed S], and the lab's
 * files as every lab command takes them. */
static int parse_opts(int argc, char **argv, struct probe_opts *o, struct cli_common *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        int used = cli_common_opt(c, argc, argv, &i);
        if (used != 0) {
            if (used < 0)
                return probe_error("%s needs a value", a);
            continue;
        }
        const char **slot = strcmp(a, "--board") == 0 ? &o->board : strcmp(a, "--host") == 0 ? &o->host : NULL;
        int numeric = strcmp(a, "--iterations") == 0 || strcmp(a, "--seed") == 0;
        if (slot == NULL && !numeric)
            return probe_error("unknown option '%s' (resetlab help probe)", a);
        if (i + 1 >= argc)
            return probe_error("%s needs a value", a);
        const char *v = argv[++i];
        uint64_t n;
        if (slot != NULL)
            *slot = v;
        else if (a[2] == 'i' && cli_parse_uint("probe", a, v, "a whole number", 1, PROBE_ITERATIONS_MAX, &n) == 0)
            o->iterations = (int)n;
        else if (a[2] == 'i')
            return 2;
        else if (cli_parse_uint("probe", a, v, "a whole number", 0, CLI_SEED_MAX, &o->seed) != 0)
            return 2;
    }
    if (o->board == NULL)
        return probe_error("%s", "which board? give --board NAME (resetlab list shows them)");
    return 0;
}

/* The chip's release after EN across every scenario's resets (the first
 * 4096): read before the cells close, as it pools their samples. */
struct en_release_pool {
    double median;
    int n;
};

static struct en_release_pool pool_en_release(const struct cell_stats *cells, int n)
{
    double rel[4096];
    int n_rel = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; cells[i].samples && k < cells[i].samples->n_en_release && n_rel < 4096; k++)
            rel[n_rel++] = cells[i].samples->en_release[k];
    return (struct en_release_pool){percentile(rel, n_rel, 0.5), n_rel};
}

static void print_truth_and_rc(const struct board_profile *b, struct cell_stats *cells, int n,
                               const struct en_release_pool *rel, int *sound)
{
    int runs = 0, shown = 0;
    for (int i = 0; i < n; i++)
        runs += cells[i].runs - cells[i].errors; /* runs that could not be made say nothing of the board */
    if (runs == 0) {
        const struct finding *why = n > 0 ? cell_worst(&cells[0]) : NULL;
        printf("  board: no run could be made%s%s\n", why ? ": " : "", why ? why->message : "");
        *sound = 0;
        return;
    }
    struct board_diagnoses bd;
    board_diagnoses(cells, n, b->name, &bd);
    for (int k = 0; k < bd.n; k++, shown++)
        printf("  %s %s (%d of %d runs, in %d of %d scenarios)\n", shown ? "      " : "board:", bd.diag[k].message,
               bd.runs[k], runs, bd.cells[k], n);
    if (shown == 0)
        printf("  board: follows the %s table in all %d runs; EN RC as designed\n", b->circuit->name, runs);
    *sound = shown == 0;
    double design = rc_time_to_fraction(b->en_r_ohms * b->en_c_farads, b->chip->timing.vih_frac) * 1e3;
    if (rel->n > 0)
        printf("  EN: the chip leaves reset %.3f ms after EN is released (median of %d resets; "
               "design %.3f ms: %.3g kOhm, %.3g uF at %.2f VDD)\n",
               rel->median, rel->n, design, b->en_r_ohms / 1e3, b->en_c_farads * 1e6,
               b->chip->timing.vih_frac);
    else if (b->circuit->kind == CIRCUIT_USB_JTAG)
        printf("  EN: no reset released EN (USB-Serial/JTAG resets inside the chip)\n");
    else
        printf("  EN: no reset released EN in these runs\n");
}

static void print_scenarios(struct cell_stats *cells, int n)
{
    printf("\n  %-24s %-9s %6s  %-34s %-19s %s\n", "scenario", "expect", "pass", "outcomes (dl/flash/none/marginal)",
           "margin min / p50", "gap p50");
    for (int i = 0; i < n; i++) {
        struct cell_stats *c = &cells[i];
        char outcomes[48], margin[32] = "-", gap[16] = "-";
        snprintf(outcomes, sizeof outcomes, "%d/%d/%d/%d", c->outcomes[BOOT_DOWNLOAD], c->outcomes[BOOT_FLASH],
                 c->outcomes[BOOT_NONE], c->outcomes[BOOT_MARGINAL]);
        if (c->margin.n > 0)
            snprintf(margin, sizeof margin, "%+.3f / %+.3f ms", c->margin.min, c->margin.p50);
        if (c->gap.n > 0)
            snprintf(gap, sizeof gap, "%.3f ms", c->gap.p50);
        printf("  %-24s %-9s %5.1f%%  %-34s %-19s %s\n", c->scenario, boot_mode_name(c->expected),
               100.0 * c->passed / c->runs, outcomes, margin, gap);
    }
}

/* The download strategy to use: best pass rate, then widest worst margin. */
static const struct cell_stats *best_download(struct cell_stats *cells, int n)
{
    const struct cell_stats *best = NULL;
    double best_rate = -1, best_margin = -INFINITY;
    for (int i = 0; i < n; i++) {
        struct cell_stats *c = &cells[i];
        if (c->expected != BOOT_DOWNLOAD || c->tool_runs > 0)
            continue; /* a single strategy: a tool's connect loop is reported on its own */
        double rate = (double)c->passed / c->runs;
        double margin = c->margin.n ? c->margin.min : -INFINITY;
        if (rate > best_rate || (rate == best_rate && margin > best_margin)) {
            best = c;
            best_rate = rate;
            best_margin = margin;
        }
    }
    return best;
}

/* ---- tools: what a user who runs one sees ---- */

static void print_tools(const struct lab *lab, struct cell_stats *cells, int n)
{
    int shown = 0;
    for (int i = 0; i < n; i++) {
        const struct cell_stats *c = &cells[i];
        const struct scenario *s = lab_scenario(lab, c->scenario);
        if (s == NULL || s->product[0] == '\0')
            continue;
        if (!shown++)
            printf("\ntools (the whole session, as the tool's own code runs it):\n");
        if (c->tool_runs == 0) {
            printf("  %-26s %s as it should in %d of %d runs\n", s->product,
                   c->expected == BOOT_NONE ? "leaves the chip running" : "resets it", c->passed, c->runs);
            continue;
        }
        printf("  %-26s connects in %d of %d runs", s->product, c->connected, c->tool_runs);
        if (c->connected)
            printf(", attempt %g (median; at worst %g), %.0f ms (median)", c->attempts.p50, c->attempts.max,
                   c->connect_ms.p50);
        const struct finding *w = cell_met(c) ? NULL : cell_worst(c);
        const char *msg = w ? w->message : "";
        size_t len = strlen(s->product);
        if (strncmp(msg, s->product, len) == 0 && msg[len] == ':')
            msg += len + 2; /* "esptool 4.5-4.12: no connection ..." under its own name */
        printf("%s%s\n", w ? "; " : "", msg);
    }
}

/* A strategy the tool can be given on this host: no U step where esptool
 * has no TIOCMSET (Windows, rfc2217://). */
static int usable_by(const struct scenario *bare, const struct host_profile *h)
{
    for (int i = 0; i < bare->seq[h->os].n; i++)
        if (bare->seq[h->os].ops[i].kind == OP_BOTH && (h->os == OS_WINDOWS || h->port == PORT_RFC2217))
            return 0;
    return bare->seq[h->os].n > 0;
}

/* For a tool that does not connect every time: a custom_reset_sequence
 * that did, where the tool reads esptool.cfg; else the tools that do. */
static void advise_tools(const struct lab *lab, const struct host_profile *h, struct cell_stats *cells, int n)
{
    const struct scenario *fix = NULL;
    char good[512] = "";
    for (int i = 0; i < n; i++) {
        const struct scenario *s = lab_scenario(lab, cells[i].scenario);
        if (s && s->tool == NULL && s->expected == BOOT_DOWNLOAD && cell_met(&cells[i]) && usable_by(s, h) &&
            (fix == NULL || strcmp(s->name, "esptool-tight") == 0))
            fix = s; /* the tight reset first: esptool's own, where it can be used */
        if (s && s->tool && cell_met(&cells[i]))
            snprintf(good + strlen(good), sizeof good - strlen(good), "%s%s", good[0] ? ", " : "", s->product);
    }
    for (int i = 0; i < n; i++) {
        const struct scenario *s = lab_scenario(lab, cells[i].scenario);
        if (s == NULL || s->tool == NULL || cell_met(&cells[i]))
            continue;
        if (cells[i].connected == cells[i].tool_runs) { /* connects; its after-reset is what fails */
            printf("  %s connects, but leaves the chip %s: press reset after flashing\n", s->product,
                   "in the ROM loader");
            continue;
        }
        char seq[200];
        if (s->tool->reads_esptool_cfg && fix != NULL) {
            dsl_format_reset(&fix->seq[h->os], seq, sizeof seq);
            printf("  %s connects in %d of %d runs: in esptool.cfg, [esptool] custom_reset_sequence = %s (%s, "
                   "which always reached download mode here)\n",
                   s->product, cells[i].connected, cells[i].tool_runs, seq, fix->name);
        } else if (s->tool->reads_esptool_cfg) {
            printf("  %s connects in %d of %d runs: `resetlab tune` finds a custom_reset_sequence for esptool.cfg\n",
                   s->product, cells[i].connected, cells[i].tool_runs);
        } else {
            printf("  %s connects in %d of %d runs%s%s\n", s->product, cells[i].connected, cells[i].tool_runs,
                   good[0] ? ": use one that always does: " : "", good);
        }
    }
    if (good[0])
        printf("  connect every time here: %s\n", good);
}

static int recommend(struct cell_stats *cells, int n, int sound)
{
    const struct cell_stats *best = best_download(cells, n);
    printf("\nrecommendation:\n");
    if (!sound)
        printf("  fix the board first: the diagnosis above holds whatever the host does\n");
    if (best != NULL && best->passed == best->runs) {
        printf("  to enter the bootloader use %s: %d of %d runs, worst strap margin %+.3f ms\n", best->scenario,
               best->passed, best->runs, best->margin.n ? best->margin.min : NAN);
    } else if (best != NULL) {
        printf("  no strategy reached download mode every time; the best, %s, did in %d of %d runs\n", best->scenario,
               best->passed, best->runs);
    }
    for (int i = 0; i < n; i++) {
        const struct finding *w = cell_met(&cells[i]) || cells[i].tool_runs ? NULL : cell_worst(&cells[i]);
        if (w != NULL) /* a tool's connect loop gets its own advice */
            printf("  avoid %s here (%d of %d runs failed): %s\n", cells[i].scenario, cells[i].runs - cells[i].passed,
                   cells[i].runs, w->message);
    }
    return sound && best != NULL && best->passed == best->runs ? 0 : 1;
}

static int probe_board(const struct lab *lab, const struct probe_opts *o)
{
    const struct board_profile *b = lab_board(lab, o->board);
    if (b == NULL)
        return probe_error("unknown board '%s' (resetlab list shows them)", o->board);
    /* a real board runs on this machine; a simulated one on a host profile */
    const struct host_profile *h = board_is_real(b) ? &real_host : lab_host(lab, o->host ? o->host : "native-linux");
    if (h == NULL)
        return probe_error("unknown host '%s' (resetlab list shows them)", o->host);
    char err[320] = "";
    struct cell_sink sink = {.err = err, .err_len = sizeof err};
    struct cell_stats *cells = calloc((size_t)lab->n_scenarios, sizeof *cells);
    struct sim_world *w = sim_world_new();
    int n = 0, rc = 2;
    if (cells == NULL || w == NULL || (board_is_real(b) && (sink.sigrok = sigrok_new(err, sizeof err)) == NULL)) {
        fprintf(stderr, "resetlab: %s\n", err[0] ? err : "out of memory");
        goto out;
    }
    for (int s = 0; s < lab->n_scenarios; s++)
        if (scenario_applies(&lab->scenarios[s], b, h) &&
            run_cell(w, b, h, &lab->scenarios[s], o->iterations, o->seed, &cells[n++], &sink) != 0) {
            fprintf(stderr, "resetlab: %s\n", err[0] ? err : "out of memory");
            goto out;
        }
    /* --json: the text goes nowhere (stdout is pointed at /dev/null while it
     * is printed), then the document */
    int saved = -1;
    if (o->json) {
        fflush(stdout);
        int null = open("/dev/null", O_WRONLY);
        saved = null >= 0 ? dup(STDOUT_FILENO) : -1;
        if (saved >= 0)
            dup2(null, STDOUT_FILENO);
        if (null >= 0)
            close(null);
    }
    printf("probe %s (%s, %s bridge, %s, %s %.3g kOhm / %.3g uF) on %s, %d runs per scenario\n", b->name,
           b->chip->name, b->bridge->name, b->circuit->name, chip_en_name(&b->chip->timing), b->en_r_ohms / 1e3,
           b->en_c_farads * 1e6, h->name, o->iterations);
    struct en_release_pool rel = pool_en_release(cells, n);
    for (int i = 0; i < n; i++)
        cell_close(&cells[i]);
    int sound;
    print_truth_and_rc(b, cells, n, &rel, &sound);
    print_scenarios(cells, n);
    print_tools(lab, cells, n);
    rc = recommend(cells, n, sound);
    advise_tools(lab, h, cells, n);
    if (saved >= 0) {
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    if (o->json)
        cli_probe_json(stdout, b, h, o->iterations, o->seed, cells, n, rc);
out:
    for (int i = 0; i < n; i++)
        cell_free(&cells[i]);
    free(cells);
    sim_world_free(w);
    sigrok_free(sink.sigrok);
    return rc;
}

static int cli_probe(int argc, char **argv)
{
    struct probe_opts o = {.iterations = 20, .seed = 1};
    struct cli_common c = {0};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    if (parse_opts(argc, argv, &o, &c) != 0)
        return 2;
    struct lab lab;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    int rc = probe_board(&lab, &o);
    lab_free(&lab);
    return rc;
}

const struct cli_command cli_probe_command = {"probe", "bring-up: every scenario on one board; truth table, EN RC, margins, advice", usage, cli_probe};
