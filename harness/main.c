/* resetlab: one binary, subcommands. Bad input: one error line, exit 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_analyze.h"
#include "cmd_probe.h"
#include "config.h"
#include "matrix.h"
#include "ports.h"

#ifndef RESETLAB_DATADIR
#define RESETLAB_DATADIR "."
#endif
#ifndef RESETLAB_VERSION
#define RESETLAB_VERSION "0.1.0"
#endif

static const char usage_main[] =
    "usage: resetlab <command> [options]\n"
    "\n"
    "Test harness and timing analyzer for DTR/RTS auto-download reset circuits\n"
    "(ESP32-family) and the native USB-Serial/JTAG reset, on real boards or the\n"
    "virtual lab.\n"
    "\n"
    "commands:\n"
    "  run     run scenarios x boards x hosts on the lab; print pass rates, write results\n"
    "  list    list the boards, hosts and scenarios the lab describes\n"
    "  analyze run every analyzer on a capture file (.sr, VCD, CSV)\n"
    "  probe   bring-up: every scenario on one board; truth table, EN RC, margins, advice\n"
    "  ports   list the serial ports (USB ids, bridge type, by-id link) without opening them\n"
    "  help    show help for a command (resetlab help run)\n"
    "\n"
    "resetlab --version prints the version.\n";

static const char usage_run[] =
    "usage: resetlab run [--boards FILE] [--scenarios DIR] [--board NAME]... [--host NAME]...\n"
    "                    [--scenario NAME]... [--iterations N] [--seed S] [--out DIR]\n"
    "                    [--captures failing|all]\n"
    "\n"
    "Runs every scenario on every board and host it applies to, N times each, on\n"
    "the virtual lab (boards whose port is `sim`): the host model draws each USB\n"
    "request's latency, the board model charges EN through its RC, the chip samples\n"
    "IO0 and prints its ROM banner, the virtual logic analyzer records the wires (and\n"
    "EN's voltage, where the board's analyzer has an analog channel), and the\n"
    "analyzers decide each run's outcome and verdict. Scenarios marked\n"
    "after_power_on start with the bridge's first open after power-on.\n"
    "\n"
    "options:\n"
    "  --boards FILE     the lab description (default: ./boards.yaml, else the installed one)\n"
    "  --scenarios DIR   one YAML file per reset strategy (default: ./scenarios)\n"
    "  --board NAME      only this board; repeat for more (default: all)\n"
    "  --host NAME       only this host profile; repeat for more (default: all)\n"
    "  --scenario NAME   only this scenario; repeat for more (default: all)\n"
    "  --iterations N    runs per cell (default 200)\n"
    "  --seed S          seed of the virtual lab (default 1); the same seed gives the same results\n"
    "  --out DIR         results folder (default: results)\n"
    "  --captures WHICH  keep the virtual analyzer's capture of the failing runs, or of\n"
    "                    all, as sigrok sessions: DIR/captures/BOARD--HOST--SCENARIO--N.sr\n"
    "                    (DTR, RTS, EN, IO0 and the UART line RX; open them in PulseView\n"
    "                    or sigrok-cli) with the run's op log beside each (.yaml), which\n"
    "                    `resetlab analyze` reads back\n"
    "\n"
    "writes DIR/summary.json (one entry per cell: pass rate, outcomes, margin, gap,\n"
    "EN release) and DIR/runs.jsonl (one line per run: outcome, margin, gap, EN\n"
    "release, τ and how many analog samples it was fitted on, findings).\n"
    "\n"
    "exit status: 0 every cell met its expectation, 1 some did not, 2 bad input.\n";

static const char usage_list[] =
    "usage: resetlab list [--boards FILE] [--scenarios DIR]\n"
    "\n"
    "Lists the boards (chip, bridge, circuit, EN R·C), host profiles and scenarios\n"
    "(origin, expected outcome) that `resetlab run` would use.\n";

static int bad_input(const char *fmt, const char *a, const char *b)
{
    fputs("resetlab: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* ./NAME when it exists, else the copy beside the sources. */
static const char *default_path(const char *name, char *buf, size_t len)
{
    if (access(name, F_OK) == 0)
        return name;
    snprintf(buf, len, "%s/%s", RESETLAB_DATADIR, name);
    return buf;
}

static int parse_count(const char *opt, const char *v, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0 || n < 1 || n > max) {
        char range[32];
        snprintf(range, sizeof range, "1 to %ld", max);
        fprintf(stderr, "resetlab: %s needs a whole number from %s, got '%s'\n", opt, range, v);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse_seed(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0)
        return -1;
    *out = n;
    return 0;
}

struct common {
    const char *boards, *scenarios;
    char boards_buf[512], scenarios_buf[512];
};

/* Options every lab command takes; returns 1 when consumed (with *i moved). */
static int common_opt(struct common *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--boards") != 0 && strcmp(a, "--scenarios") != 0)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    if (strcmp(a, "--boards") == 0)
        c->boards = argv[++*i];
    else
        c->scenarios = argv[++*i];
    return 1;
}

static int load_lab(struct common *c, struct lab *lab)
{
    char err[512];
    if (c->boards == NULL)
        c->boards = default_path("boards.yaml", c->boards_buf, sizeof c->boards_buf);
    if (c->scenarios == NULL)
        c->scenarios = default_path("scenarios", c->scenarios_buf, sizeof c->scenarios_buf);
    if (lab_load(lab, c->boards, err, sizeof err) != 0 || scenarios_load(lab, c->scenarios, err, sizeof err) != 0) {
        lab_free(lab);
        fprintf(stderr, "resetlab: %s\n", err);
        return -1;
    }
    return 0;
}

static int add_pick(const char **list, int *n, const char *opt, const char *v)
{
    if (*n >= MATRIX_MAX_PICKS) {
        fprintf(stderr, "resetlab: too many %s options (at most %d)\n", opt, MATRIX_MAX_PICKS);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

static int parse_run_opt(struct matrix_opts *o, int argc, char **argv, int *i)
{
    static const char *const known[] = {"--board", "--host", "--scenario", "--iterations", "--seed", "--out",
                                        "--captures", NULL};
    const char *a = argv[*i];
    int k = 0;
    while (known[k] && strcmp(known[k], a) != 0)
        k++;
    if (known[k] == NULL)
        return bad_input("run: unknown option '%s'%s (resetlab help run)", a, ""), -1;
    if (*i + 1 >= argc)
        return bad_input("%s needs a value%s", a, ""), -1;
    const char *v = argv[++*i];
    long n;
    switch (k) {
    case 0: return add_pick(o->boards, &o->n_boards, a, v);
    case 1: return add_pick(o->hosts, &o->n_hosts, a, v);
    case 2: return add_pick(o->scenarios, &o->n_scenarios, a, v);
    case 3:
        if (parse_count(a, v, 10000000, &n) != 0)
            return -1;
        o->iterations = (int)n;
        return 0;
    case 4:
        if (parse_seed(v, &o->seed) != 0)
            return bad_input("--seed needs a whole number from 0 to 2^64-1, got '%s'%s", v, ""), -1;
        return 0;
    case 5:
        o->out_dir = v;
        return 0;
    default:
        if (strcmp(v, "failing") != 0 && strcmp(v, "all") != 0 && strcmp(v, "none") != 0)
            return bad_input("--captures must be failing, all or none, got '%s'%s", v, ""), -1;
        o->keep_captures = v[0] == 'a' ? KEEP_ALL : v[0] == 'f' ? KEEP_FAILING : KEEP_NONE;
        return 0;
    }
}

static int cmd_run(int argc, char **argv)
{
    struct common c = {0};
    struct matrix_opts o = {.out_dir = "results", .iterations = 200, .seed = 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage_run, stdout), 0;
        int used = common_opt(&c, argc, argv, &i);
        if (used < 0)
            return bad_input("%s needs a value%s", argv[i], "");
        if (used == 0 && parse_run_opt(&o, argc, argv, &i) != 0)
            return 2;
    }
    struct lab lab;
    if (load_lab(&c, &lab) != 0)
        return 2;
    char err[512] = "";
    int rc = matrix_run(&lab, &o, stdout, err, sizeof err);
    if (rc == 2)
        fprintf(stderr, "resetlab: %s\n", err);
    lab_free(&lab);
    return rc;
}

static void list_lab(const struct lab *lab)
{
    printf("boards (%s):\n", lab->path);
    for (int i = 0; i < lab->n_boards; i++) {
        const struct board_profile *b = &lab->boards[i];
        printf("  %-22s %-8s %-13s %-16s EN %g kOhm / %g uF  port %s%s%s\n", b->name, b->chip->name, b->bridge->name,
               b->circuit->name, b->en_r_ohms / 1e3, b->en_c_farads * 1e6, b->port, b->fault[0] ? "  fault: " : "",
               b->fault);
    }
    printf("hosts:\n");
    for (int i = 0; i < lab->n_hosts; i++) {
        const struct host_profile *h = &lab->hosts[i];
        printf("  %-22s %-8s request median %g ms (floor %g)%s\n", h->name, host_os_name(h->os), h->request.median_ms,
               h->request.floor_ms, h->split_both_lines ? ", both-lines change split in two" : "");
    }
    printf("scenarios:\n");
    for (int i = 0; i < lab->n_scenarios; i++) {
        const struct scenario *s = &lab->scenarios[i];
        printf("  %-24s expect %-9s %s\n", s->name, boot_mode_name(s->expected), s->origin);
    }
}

static int cmd_list(int argc, char **argv)
{
    struct common c = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage_list, stdout), 0;
        int used = common_opt(&c, argc, argv, &i);
        if (used < 0)
            return bad_input("%s needs a value%s", argv[i], "");
        if (used == 0)
            return bad_input("list: unknown option '%s'%s (resetlab help list)", argv[i], "");
    }
    struct lab lab;
    if (load_lab(&c, &lab) != 0)
        return 2;
    list_lab(&lab);
    lab_free(&lab);
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2)
        return fputs(usage_main, stdout), 0;
    if (strcmp(argv[1], "run") == 0)
        return fputs(usage_run, stdout), 0;
    if (strcmp(argv[1], "list") == 0)
        return fputs(usage_list, stdout), 0;
    if (strcmp(argv[1], "analyze") == 0)
        return fputs(analyze_usage, stdout), 0;
    if (strcmp(argv[1], "ports") == 0)
        return fputs(ports_usage, stdout), 0;
    if (strcmp(argv[1], "probe") == 0)
        return fputs(probe_usage, stdout), 0;
    if (strcmp(argv[1], "help") == 0)
        return fputs(usage_main, stdout), 0;
    return bad_input("help: unknown command '%s'%s", argv[1], "");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return fputs(usage_main, stdout), 0;
    if (strcmp(cmd, "--version") == 0)
        return printf("resetlab %s\n", RESETLAB_VERSION), 0;
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "list") == 0)
        return cmd_list(argc - 1, argv + 1);
    if (strcmp(cmd, "ports") == 0)
        return ports_command(argc - 1, argv + 1);
    if (strcmp(cmd, "probe") == 0) {
        char boards[512], scenarios[512];
        return probe_command(argc - 1, argv + 1, default_path("boards.yaml", boards, sizeof boards),
                             default_path("scenarios", scenarios, sizeof scenarios));
    }
    if (strcmp(cmd, "analyze") == 0) {
        char buf[512];
        return analyze_command(argc - 1, argv + 1, default_path("boards.yaml", buf, sizeof buf));
    }
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc - 1, argv + 1);
    return bad_input("unknown command '%s'%s (resetlab --help lists them)", cmd, "");
}
