/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab calibrate --port PORT`: this host's request latency and sleep
 * lateness measured through a real serial port, written as a boards.yaml
 * `hosts:` entry (harness/calibrate, docs/calibrate.md).
 * May call: harness/calibrate, harness/lab (lab_name_check, --board's lab), harness/run (board_is_real),
 * harness/port (the seam's type),
 * reports/ (files written whole), libc. */
#include "cli_commands.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "harness/calibrate/calib.h"
#include "harness/run/run_real.h"
#include "reports/files.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char usage[] =
    "usage: resetlab calibrate --port PORT [--requests N] [--out FILE] [--name NAME]\n"
    "       resetlab calibrate --board NAME [--boards FILE] [--wire-cycles N] [--requests N] ...\n"
    "\n"
    "Measures this host through a real serial port (any USB-serial adapter; no\n"
    "board or analyzer needed), N cycles of (TIOCMBIS DTR, TIOCMBIC RTS back to\n"
    "back as esptool's classic reset, then one TIOCMSET changing both as its\n"
    "UnixTightReset): how long each call takes to return (on cp210x, ftdi,\n"
    "ch341, pl2303 and cdc-acm it blocks until the USB control request\n"
    "completes), and the gap between the two single-line calls' returns; then\n"
    "how late absolute-deadline sleeps (clock_nanosleep TIMER_ABSTIME on\n"
    "CLOCK_MONOTONIC) of 1, 10 and 50 ms wake up, " STR(CALIB_SLEEPS) " of each.\n"
    "\n"
    "With --board NAME, a board of the lab on a real port whose analyzer (kind\n"
    "sigrok) probes DTR and RTS, the same is then measured at the pins, N cycles\n"
    "(--wire-cycles, default " STR(CALIB_WIRE_CYCLES_DEFAULT) ", 1 to " STR(CALIB_WIRE_CYCLES_MAX) "), a capture each: the DTR->RTS edge\n"
    "gap of the two single-line calls, and the skew between DTR's and RTS's\n"
    "edges of the TIOCMSET changing both, " STR(CALIB_WIRE_SETTLE_MS) " ms after the pair. A skew median of at\n"
    "least half the request median means the host splits a TIOCMSET into one\n"
    "request per line: the entry's split_both_lines is then measured, not\n"
    "assumed. The board is reset each cycle and left running (RTS, then DTR\n"
    "released).\n"
    "\n"
    "Prints each series' percentiles and the fits: floor + lognormal (median,\n"
    "sigma) + spikes, as boards.yaml's hosts have (docs/calibrate.md says how).\n"
    "--out FILE writes a `hosts:` entry NAME (default measured) with the fit's\n"
    "Kolmogorov-Smirnov distance and percentiles, the machine and the date as\n"
    "comments; without --out it is printed. Then `resetlab run --hosts FILE\n"
    "--host NAME` runs the virtual lab on this host.\n"
    "\n"
    "PORT: a device path, a /dev/serial/by-id link or usb:VID:PID[:SERIAL], as a\n"
    "board's port:. Refused with one line: a pty (no USB request behind its\n"
    "lines), a port without modem lines, one another resetlab job holds.\n"
    "--requests N: " STR(CALIB_REQUESTS_MIN) " to " STR(CALIB_REQUESTS_MAX) " (default " STR(CALIB_REQUESTS_DEFAULT)
    "), three calls each. NAME: 1 to 31\n"
    "letters, digits, '.', '_' and '-', not starting with '.' or '-'.\n"
    CLI_NUMBERS_HELP
    "Ctrl-C or SIGTERM stops it: RTS then DTR are released, the port closed,\n"
    "nothing written.\n"
    "\n"
    "exit status: 0 measured, 2 bad input or a port refused or failing, 130\n"
    "interrupted by Ctrl-C, 143 by SIGTERM.\n";

struct calib_args {
    const char *port, *out, *name, *board;
    int requests, wire_cycles;
    struct cli_common lab;
};

static const char *const value_opts[] = {"--port", "--requests", "--out", "--name", "--board", "--wire-cycles", NULL};

static int parse_args(int argc, char **argv, struct calib_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        int common = cli_common_opt(&a->lab, argc, argv, &i);
        if (common != 0) {
            if (common < 0)
                return cli_bad_input("calibrate: %s needs a value%s", opt, "");
            continue;
        }
        if (strncmp(opt, "--", 2) != 0)
            return cli_bad_input("calibrate: unexpected argument '%s'%s (resetlab help calibrate)", opt, "");
        if (!cli_is_one_of(opt, value_opts))
            return cli_bad_input("calibrate: unknown option '%s'%s (resetlab help calibrate)", opt, "");
        if (i + 1 >= argc)
            return cli_bad_input("calibrate: %s needs a value%s", opt, "");
        const char *v = argv[++i];
        uint64_t n;
        if (strcmp(opt, "--port") == 0)
            a->port = v;
        else if (strcmp(opt, "--board") == 0)
            a->board = v;
        else if (strcmp(opt, "--wire-cycles") == 0) {
            if (cli_parse_uint("calibrate", opt, v, "a whole number", 1, CALIB_WIRE_CYCLES_MAX, &n))
                return 2;
            a->wire_cycles = (int)n;
        }
        else if (strcmp(opt, "--out") == 0)
            a->out = v;
        else if (strcmp(opt, "--name") == 0) {
            char why[160];
            if (lab_name_check(v, LAB_NAME_MAX, why, sizeof why) != 0)
                return cli_bad_input("calibrate: --name: %s%s", why, "");
            a->name = v;
        } else {
            if (cli_parse_uint("calibrate", opt, v, "a whole number", CALIB_REQUESTS_MIN, CALIB_REQUESTS_MAX, &n))
                return 2;
            a->requests = (int)n;
        }
    }
    if (a->port && a->board)
        return cli_bad_input("calibrate: --port and --board: give one (the board's port is its port:)%s%s", "", "");
    if (a->port == NULL && a->board == NULL)
        return cli_bad_input("calibrate: which port? give --port PORT%s%s", " (resetlab ports lists them)", "");
    if (a->wire_cycles && a->board == NULL)
        return cli_bad_input("calibrate: --wire-cycles goes with --board%s%s", "", "");
    return 0;
}

/* --out FILE's folder and name, its temporary file opened now: an
 * unwritable FILE is refused before the minutes of measuring. */
static FILE *open_out(struct out_file *o, const char *path)
{
    char dir[FILES_MAX_PATH], err[FILES_MAX_PATH + 128];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (name[0] == '\0' || strlen(path) >= sizeof dir) {
        cli_bad_input("calibrate: --out %s: not a file name%s", path, "");
        return NULL;
    }
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
    FILE *f = files_begin(o, dir, name, err, sizeof err);
    if (f == NULL)
        cli_bad_input("calibrate: --out: %s%s", err, "");
    return f;
}

/* --board NAME: its port, and its analyzer for the pins. */
static int board_wire(struct calib_args *a, struct calib_wire *w)
{
    static char port[128];
    struct lab lab;
    if (cli_load_lab(&a->lab, &lab) != 0)
        return -1;
    const struct board_profile *b = lab_board(&lab, a->board);
    int rc = -1;
    if (b == NULL)
        cli_bad_input("calibrate: unknown board '%s'%s (resetlab list shows them)", a->board, "");
    else if (!board_is_real(b))
        cli_bad_input("calibrate: board '%s' is on the virtual lab (port: sim)%s: there is no host to measure",
                      a->board, "");
    else if (strcmp(b->analyzer.kind, "sigrok") != 0)
        cli_bad_input("calibrate: board '%s' has no logic analyzer on its pins (analyzer kind %s, not sigrok)",
                      a->board, b->analyzer.kind);
    else {
        snprintf(port, sizeof port, "%s", b->port);
        snprintf(w->driver, sizeof w->driver, "%s", b->analyzer.driver);
        snprintf(w->config, sizeof w->config, "%s", b->analyzer.config);
        snprintf(w->channels, sizeof w->channels, "%s", b->analyzer.channels);
        w->threshold_v = b->analyzer.threshold_v;
        w->cycles = a->wire_cycles ? a->wire_cycles : CALIB_WIRE_CYCLES_DEFAULT;
        a->port = port;
        rc = 0;
    }
    lab_free(&lab);
    return rc;
}

int cli_calibrate_with(int argc, char **argv, const struct serial_sys *sys, const struct calib_clock *clock,
                       const volatile sig_atomic_t *stop)
{
    struct calib_args a = {.name = "measured", .requests = CALIB_REQUESTS_DEFAULT};
    static struct calib_wire wire;
    if (parse_args(argc, argv, &a) != 0 || (a.board && board_wire(&a, &wire) != 0))
        return 2;
    struct out_file out = {0};
    if (a.out && open_out(&out, a.out) == NULL)
        return 2;
    struct calib_opts o = {.port = a.port, .wire = a.board ? &wire : NULL, .requests = a.requests, .sys = sys,
                           .clock = clock, .stop = stop};
    struct calib_data d;
    char err[512];
    int rc = calib_measure(&o, &d, err, sizeof err);
    if (rc != 0) {
        files_discard(&out);
        if (rc < 0)
            return cli_bad_input("calibrate: %s%s", err, "");
        calib_data_free(&d);
        fprintf(stderr, "resetlab: calibrate: stopped: DTR and RTS released, nothing written\n");
        return 128 + (stop && *stop ? (int)*stop : SIGINT);
    }
    struct calib_fit fit;
    struct calib_facts facts;
    calib_facts_gather(&facts);
    if (calib_fit(&d, &fit) != 0) {
        files_discard(&out);
        calib_data_free(&d);
        return cli_bad_input("calibrate: %s: too few samples to fit%s", a.port, "");
    }
    calib_print(stdout, &d, &fit);
    calib_write_host(a.out ? out.f : stdout, a.name, &d, &fit, &facts);
    calib_data_free(&d);
    if (a.out) {
        if (files_commit(&out, err, sizeof err) != 0)
            return cli_bad_input("calibrate: --out: %s%s", err, "");
        printf("wrote host %s to %s\n", a.name, a.out);
    }
    return 0;
}

static int cli_calibrate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    cli_catch_stop_signals();
    return cli_calibrate_with(argc, argv, NULL, NULL, &cli_stop_asked);
}

const struct cli_command cli_calibrate_command = {
    "calibrate", "measure this host's request latency and sleeps through a serial port; write a hosts: entry",
    usage, cli_calibrate};
