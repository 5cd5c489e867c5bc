/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab observe --board NAME --serve -- COMMAND ...`: a tool under the
 * analyzer. The board is served over RFC 2217 (serve.h) while the command
 * runs; every attempt it makes is collected (serve_observe.h) and reported.
 * May call: harness/serve (serving and observing), harness/capture (a real board's analyzer),
 * harness/port, harness/lab, analyzers/, libc (fork, exec, signals). */
#include "cli_commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyzers/uart.h"
#include "harness/capture/capture_live.h"
#include "cli.h"
#include "harness/lab/lab_load.h"
#include "harness/serve/serve_observe.h"
#include "harness/port/port_serial.h"
#include "harness/serve/serve.h"
#include "harness/capture/capture_sigrok.h"

static const char usage[] =
    "usage: resetlab observe --board NAME [--serve | --tty] [--host PROFILE] [--listen HOST:PORT]\n"
    "                        [--out DIR] [--seed S] [--boards FILE] [--scenarios DIR]\n"
    "                        -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND (esptool, mpremote, picocom, an IDE's uploader, a script) against\n"
    "the board and reports what it did to the lines:\n"
    "  - the sequence it used, in the scenario DSL (O the connection or the\n"
    "    command's start, D/R line changes, W the waits between them, S a SYNC,\n"
    "    C its close or exit),\n"
    "  - each reset it caused, with the DTR/RTS gap, the EN release and the boot\n"
    "    mode, and whether the tool asked for it. A reset the tool asked for with\n"
    "    its lines (esptool's connect, its --after hard_reset, a script's own\n"
    "    sequence) is never spurious. One it did not ask for is SPURIOUS: caused\n"
    "    by the line changes with which the tool closed the port (the burst of\n"
    "    changes that only lower lines, each within 200 ms of the next, ending in\n"
    "    its close with no frame sent to the chip between), by the first command\n"
    "    on a line after it opened the port (the state pyserial or the OS applies\n"
    "    on open), or by the server clearing the lines after the client left,\n"
    "  - the analyzers' warnings (transients, gaps that outlasted EN),\n"
    "  - a verdict: the spurious resets, and whether COMMAND failed (\"the command\n"
    "    failed (exit 2)\").\n"
    "\n"
    "A simulated board needs --serve: it is served as `resetlab serve` serves it\n"
    "(the host profile, default native-linux, sets the bridge latencies) on\n"
    "--listen (default 127.0.0.1:2217) while COMMAND runs; an argument {url} is\n"
    "replaced by rfc2217://HOST:PORT; the attempts are logged in DIR (default\n"
    "resetlab-observe): serve.jsonl and captures/attempt-NNNN.sr.\n"
    "With --tty instead, the board is served on a local virtual port, as\n"
    "`resetlab serve --tty` does: {port} (or {url}) is replaced by the pty's path,\n"
    "and COMMAND runs with LD_PRELOAD (the library in lib/resetlab/ beside the\n"
    "binary's folder, before any LD_PRELOAD of yours), RESETLAB_TTY and\n"
    "RESETLAB_TTY_SOCKET set for it alone; its TIOCMSET, TIOCMBIS, TIOCMBIC, open,\n"
    "close and port speed go to the board through the host model, so a tool's own\n"
    "reset (esptool's UnixTightReset on Linux) is observed unchanged. The limits\n"
    "are serve's (resetlab help serve, --tty).\n"
    "A board on a real port is recorded by its own logic analyzer (boards.yaml:\n"
    "analyzer kind sigrok) from before COMMAND starts until tail_ms after it\n"
    "exits; {port} (or {url}) is replaced by the board's port; the DTR/RTS edges\n"
    "stand for the commands.\n"
    "\n"
    "examples: resetlab observe --board devkitc --serve -- python3 my_tool.py {url}\n"
    "          resetlab observe --board devkitc --tty -- esptool --port {port} read_mac\n"
    "          resetlab observe --board my-board -- esptool --port {port} chip_id\n"
    "\n"
    "--seed S: 0 to 2^64-1 (default 1).\n" CLI_NUMBERS_HELP CLI_LAB_LIMITS_HELP
    "\n"
    "exit status: 0 COMMAND exited 0 and no reset was spurious, 1 a spurious reset\n"
    "(whatever COMMAND's status; or observe could not serve or start it), 2 bad\n"
    "input, 3 COMMAND failed (a non-zero exit status, 127 when it could not be\n"
    "executed, or a signal) and no reset was spurious.\n";

struct observe_args {
    const char *board, *host, *listen, *out;
    int serve, tty;
    uint64_t seed;
    char **command;
};

static int parse_args(int argc, char **argv, struct observe_args *a, struct cli_common *c)
{
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *opt = argv[i];
        int used = cli_common_opt(c, argc, argv, &i);
        if (used < 0)
            return cli_bad_input("observe: %s needs a value%s", opt, "");
        if (used > 0)
            continue;
        if (strcmp(opt, "--serve") == 0 || strcmp(opt, "--tty") == 0) {
            a->serve = 1;
            a->tty |= opt[2] == 't';
            continue;
        }
        const char **slot = strcmp(opt, "--board") == 0    ? &a->board
                            : strcmp(opt, "--host") == 0   ? &a->host
                            : strcmp(opt, "--listen") == 0 ? &a->listen
                            : strcmp(opt, "--out") == 0    ? &a->out
                                                           : NULL;
        int is_seed = strcmp(opt, "--seed") == 0;
        if (slot == NULL && !is_seed)
            return cli_bad_input("observe: unknown option '%s'%s (resetlab help observe)", opt, "");
        if (i + 1 >= argc || strcmp(argv[i + 1], "--") == 0)
            return cli_bad_input("observe: %s needs a value%s", opt, "");
        if (slot != NULL)
            *slot = argv[++i];
        else if (cli_parse_uint("observe", opt, argv[++i], "a whole number", 0, CLI_SEED_MAX, &a->seed) != 0)
            return 2;
    }
    if (a->board == NULL)
        return cli_bad_input("observe: which board? give --board NAME%s%s", " (resetlab list shows them)", "");
    if (i + 1 >= argc)
        return cli_bad_input("observe: no command to observe: give it after --, e.g. -- python3 tool.py {url}%s%s",
                             "", "");
    a->command = argv + i + 1;
    return 0;
}

/* COMMAND with {url} and {port} (both name the board's address) replaced
 * by `url`; argv strings owned by `store`. */
static char **command_argv(char **command, const char *url, char *store, size_t len)
{
    int n = 0;
    while (command[n] != NULL)
        n++;
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    size_t k = 0;
    for (int i = 0; argv != NULL && i < n; i++) {
        const char *at = strstr(command[i], "{url}"), *port = strstr(command[i], "{port}");
        size_t skip = 5;
        if (at == NULL || (port != NULL && port < at))
            at = port, skip = 6;
        if (at == NULL) {
            argv[i] = command[i];
            continue;
        }
        int w = snprintf(store + k, len - k, "%.*s%s%s", (int)(at - command[i]), command[i], url, at + skip);
        argv[i] = store + k;
        k += (size_t)w + 1;
        if (k >= len) {
            free(argv);
            return NULL;
        }
    }
    return argv;
}

/* Starts the command; its pid, or -1 when it could not be forked. A
 * command that cannot be executed exits 127 after one error line. env:
 * NULL, or NAME=VALUE strings set for the command alone (--tty). */
static pid_t spawn(char **argv, char *const *env)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; env != NULL && env[i] != NULL; i++)
            putenv(env[i]);
        execvp(argv[0], argv);
        fprintf(stderr, "resetlab: observe: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Runs the command and waits for it; -1 when it could not be started. */
static int run_and_wait(char **argv, int *status)
{
    pid_t pid = spawn(argv, NULL);
    if (pid < 0)
        return -1;
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

static void print_header(const struct observe_args *a, int status, double seconds)
{
    printf("observed: %s", a->command[0]);
    for (int i = 1; a->command[i] != NULL; i++)
        printf(" %s", a->command[i]);
    printf(" (%s %d, %.2f s)\n", WIFEXITED(status) ? "exit" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), seconds);
}

/* observe's exit status after the report (usage: exit status). */
#define OBSERVE_SPURIOUS 1
#define OBSERVE_COMMAND_FAILED 3

/* How the command failed, for the verdict ("exit 2", "signal 9"); "" when
 * it exited 0. */
static void command_failed(int status, char *out, size_t len)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        snprintf(out, len, "%s", "");
    else if (WIFEXITED(status))
        snprintf(out, len, "exit %d", WEXITSTATUS(status));
    else
        snprintf(out, len, "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* 0 when the command exited 0 and no reset was spurious; 1 a spurious
 * reset; 3 the command failed. */
static int observed_status(int spurious, int status)
{
    if (spurious > 0)
        return OBSERVE_SPURIOUS;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : OBSERVE_COMMAND_FAILED;
}

/* Serves until the command exits and the board is at rest again. */
static int serve_command_run(struct serve *srv, char **argv, char *const *env, int *status, double *seconds)
{
    int64_t t0 = serial_now_ns();
    pid_t pid = spawn(argv, env);
    if (pid < 0)
        return -1;
    char err[512];
    int exited = 0;
    while (!exited) {
        if (serve_step(srv, 20, err, sizeof err) != 0) {
            fprintf(stderr, "resetlab: observe: %s\n", err);
            kill(pid, SIGTERM);
        }
        exited = waitpid(pid, status, WNOHANG) == pid;
    }
    *seconds = (double)(serial_now_ns() - t0) / 1e9;
    /* its last attempt ends once the board rests and the server is quiet */
    for (int64_t until = serial_now_ns() + 5000000000LL; !serve_idle(srv) && serial_now_ns() < until;)
        if (serve_step(srv, 50, err, sizeof err) != 0)
            break;
    return 0;
}

/* --tty: the command's environment, LD_PRELOAD first (yours after it). */
static void tty_environment(const struct serve *srv, const char *lib, char store[5][SERVE_TTY_LIBRARY_MAX + 128],
                            char *env[6])
{
    const char *mine = getenv("LD_PRELOAD");
    snprintf(store[0], sizeof store[0], "LD_PRELOAD=%s%s%.*s", lib, mine && mine[0] ? ":" : "", SERVE_TTY_LIBRARY_MAX,
             mine ? mine : "");
    snprintf(store[1], sizeof store[1], "RESETLAB_TTY=%s", serve_tty_port(srv));
    snprintf(store[2], sizeof store[2], "RESETLAB_TTY_SOCKET=%s", serve_tty_socket(srv));
    int n = 3;
    if (serve_tty_sysfs(srv) != NULL) { /* the port's USB name and its sysfs entries */
        snprintf(store[3], sizeof store[3], "RESETLAB_TTY_NAME=%s", serve_tty_name(srv));
        snprintf(store[4], sizeof store[4], "RESETLAB_TTY_SYSFS=%s", serve_tty_sysfs(srv));
        n = 5;
    }
    for (int i = 0; i < n; i++)
        env[i] = store[i];
    env[n] = NULL;
}

static int observe_served(const struct lab *lab, const struct board_profile *b, const struct host_profile *h,
                          const struct observe_args *a)
{
    struct observation *obs = calloc(1, sizeof *obs);
    if (obs == NULL)
        return 1;
    struct serve_opts o = {.lab = lab, .board = b, .host = h, .listen = a->listen, .tty = a->tty, .out_dir = a->out,
                           .seed = a->seed, .grace_ms = 250, .attempt_gap_ms = 300, .human = NULL,
                           .on_attempt = observe_add, .ctx = obs};
    char err[512], url[128], store[8192], lib[SERVE_TTY_LIBRARY_MAX];
    struct serve *srv = NULL;
    if (a->tty && serve_tty_library(lib, sizeof lib) != 0)
        snprintf(err, sizeof err, "--tty: the preload library is missing: %.400s", lib);
    else
        srv = serve_new(&o, err, sizeof err);
    if (srv == NULL) {
        fprintf(stderr, "resetlab: observe: %s\n", err);
        free(obs);
        return strstr(err, "--listen") == err || strstr(err, "--tty: TMPDIR") == err ? 2 : 1;
    }
    snprintf(url, sizeof url, "rfc2217://%s", serve_address(srv));
    char env_store[5][SERVE_TTY_LIBRARY_MAX + 128], *env[6] = {NULL};
    if (a->tty) {
        snprintf(url, sizeof url, "%s", serve_tty_name(srv));
        tty_environment(srv, lib, env_store, env);
    }
    char **argv = command_argv(a->command, url, store, sizeof store);
    int status = 0, rc = 1;
    double seconds = 0;
    int64_t t0 = serial_now_ns();
    if (argv == NULL) {
        fprintf(stderr, "resetlab: observe: the command line is too long\n");
        rc = 2;
    } else if (serve_command_run(srv, argv, a->tty ? env : NULL, &status, &seconds) != 0) {
        fprintf(stderr, "resetlab: observe: cannot start %s: %s\n", argv[0], strerror(errno));
    } else {
        serve_free(srv);
        srv = NULL;
        print_header(a, status, seconds);
        printf("board %s (%s, %s) on %s, served at %s; times from the command's start\n", b->name, b->chip->name,
               b->circuit->name, h->name, url);
        command_failed(status, obs->command_failed, sizeof obs->command_failed);
        int spurious = observe_print(stdout, obs, t0);
        printf("log: %s/serve.jsonl (%d attempts), captures in %s/captures/\n", a->out, obs->attempts, a->out);
        rc = observed_status(spurious, status);
    }
    serve_free(srv);
    free(argv);
    free(obs);
    return rc;
}

/* A real board: the board's logic analyzer records from before the
 * command starts until after it exits (tail_ms), then every analyzer runs
 * on the capture with no op log; the DTR/RTS edges stand for the
 * commands. {port} and {url} in the command become the board's port. */
static int observe_live(const struct board_profile *b, const struct observe_args *a)
{
    char err[512], store[8192];
    struct live_config cfg;
    if (live_config_parse(b->analyzer.driver, b->analyzer.config, b->analyzer.channels, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "resetlab: observe: %s\n", err);
        return 2;
    }
    cfg.trigger = 0; /* the whole run: t = 0 is the first sample */
    cfg.read = (struct sigrok_read_opts){0, b->analyzer.threshold_v, b->analyzer.analog_en_rate_hz, 0};
    char **argv = command_argv(a->command, b->port, store, sizeof store);
    struct sigrok *sr = argv ? sigrok_new(err, sizeof err) : NULL;
    struct live_capture *cap = sr ? live_capture_start(sr, &cfg, err, sizeof err) : NULL;
    if (cap == NULL || live_capture_wait_streaming(cap, 5000) != 0) {
        fprintf(stderr, "resetlab: observe: %s\n", argv == NULL ? "the command line is too long"
                                                  : cap == NULL ? err
                                                                : "the analyzer sent no samples within 5 s");
        if (cap != NULL) {
            struct trace junk;
            if (live_capture_finish(cap, 1, &junk, err, sizeof err) == 0)
                free(junk.edges), free(junk.en_v.v);
        }
        sigrok_free(sr);
        free(argv);
        return 1;
    }
    int status = 0;
    int64_t start = serial_now_ns();
    int started = run_and_wait(argv, &status) == 0;
    int64_t exited = serial_now_ns();
    serial_sleep_until_ns(serial_now_ns() + (int64_t)(b->analyzer.tail_ms * 1e6));
    struct trace tr;
    struct live_timing timing;
    int rc = 1;
    if (live_capture_finish_timed(cap, 1, &tr, &timing, err, sizeof err) != 0) {
        fprintf(stderr, "resetlab: observe: %s\n", err);
    } else if (!started) {
        fprintf(stderr, "resetlab: observe: cannot start %s: %s\n", argv[0], strerror(errno));
        sigrok_trace_free(&tr);
    } else {
        tr.threshold_v = b->analyzer.threshold_v;
        static uint8_t uart[65536];
        size_t n_uart = trace_has(&tr, CH_RX) ? uart_decode(&tr, b->chip->baud, uart, sizeof uart) : 0;
        struct board_model bm = board_model_of(b);
        struct analysis *an = calloc(1, sizeof *an);
        struct observation *obs = calloc(1, sizeof *obs);
        char why[256];
        if (an == NULL || obs == NULL ||
            analyze_run(&tr, NULL, &bm, n_uart ? uart : NULL, n_uart, BOOT_ANY, an, why, sizeof why) != 0) {
            fprintf(stderr, "resetlab: observe: %s\n", an && obs ? why : "out of memory");
        } else {
            observe_from_trace(obs, &tr, an, timing.t0_ns, start, exited);
            print_header(a, status, (double)(exited - start) / 1e9);
            printf("board %s (%s, %s) on %s, captured by %s: %zu edges over %.1f ms; times from the command's start\n",
                   b->name, b->chip->name, b->circuit->name, b->port, b->analyzer.driver, tr.n,
                   (double)tr.t_end_ns / 1e6);
            command_failed(status, obs->command_failed, sizeof obs->command_failed);
            int spurious = observe_print(stdout, obs, start);
            rc = observed_status(spurious, status);
        }
        free(an);
        free(obs);
        sigrok_trace_free(&tr);
    }
    sigrok_free(sr);
    free(argv);
    return rc;
}

static int cli_observe(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    struct observe_args a = {.listen = "127.0.0.1:2217", .out = "resetlab-observe", .seed = 1};
    struct cli_common c = {0};
    if (parse_args(argc, argv, &a, &c) != 0)
        return 2;
    struct lab lab;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    int rc = 2;
    const struct board_profile *b = lab_board(&lab, a.board);
    const struct host_profile *h = lab_host(&lab, a.host ? a.host : "native-linux");
    if (b == NULL)
        cli_bad_input("observe: no board '%s' in %s (resetlab list shows them)", a.board, lab.path);
    else if (h == NULL)
        cli_bad_input("observe: no host profile '%s' in %s (resetlab list shows them)", a.host, lab.path);
    else if (strcmp(b->port, "sim") != 0 && a.serve)
        cli_bad_input("observe: board '%s' is on port %s: --serve serves simulated boards (port: sim)", a.board,
                      b->port);
    else if (strcmp(b->port, "sim") != 0 && strcmp(b->analyzer.kind, "sigrok") != 0)
        cli_bad_input("observe: board '%s' has no logic analyzer of its own (analyzer kind %s): observe records "
                      "with a sigrok one",
                      a.board, b->analyzer.kind);
    else if (strcmp(b->port, "sim") != 0) {
        signal(SIGPIPE, SIG_IGN);
        rc = observe_live(b, &a);
    } else if (!a.serve)
        cli_bad_input("observe: board '%s' is simulated: add --serve to serve it over RFC 2217 while the command "
                      "runs%s",
                      a.board, "");
    else {
        signal(SIGPIPE, SIG_IGN);
        rc = observe_served(&lab, b, h, &a);
    }
    lab_free(&lab);
    return rc;
}

const struct cli_command cli_observe_command = {"observe", "run a tool against a served board; its sequence, resets, spurious ones", usage, cli_observe};
