/* `resetlab observe --board NAME --serve -- COMMAND ...`: a tool under the
 * analyzer. The board is served over RFC 2217 (serve.h) while the command
 * runs; every attempt it makes is collected (observe.h) and reported. */
#include "cmd_observe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "observe.h"
#include "serve.h"

const char observe_usage[] =
    "usage: resetlab observe --board NAME --serve [--host PROFILE] [--listen HOST:PORT]\n"
    "                        [--out DIR] [--seed S] [--boards FILE] [--scenarios DIR]\n"
    "                        -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND (esptool, mpremote, picocom, an IDE's uploader, a script) against\n"
    "the board and reports what it did to the lines:\n"
    "  - the sequence it used, in the scenario DSL, per connection (O connect,\n"
    "    D/R line changes, W waits between them as they arrived, S a SYNC, C close),\n"
    "  - each reset it caused, with the DTR/RTS gap, the EN release and the boot\n"
    "    mode, and whether the tool asked for it: a reset caused by the line\n"
    "    changes with which the tool closed the port (the burst of commands, each\n"
    "    within 200 ms of the next, that ends in its disconnect) is SPURIOUS,\n"
    "  - the analyzers' warnings (transients, gaps that outlasted EN).\n"
    "\n"
    "--serve serves the simulated board as `resetlab serve` does (the host profile,\n"
    "default native-linux, sets the bridge latencies) on --listen (default\n"
    "127.0.0.1:2217) while COMMAND runs; an argument {url} is replaced by\n"
    "rfc2217://HOST:PORT. The attempts are logged in DIR (default\n"
    "resetlab-observe): serve.jsonl and captures/attempt-NNNN.sr.\n"
    "\n"
    "example: resetlab observe --board devkitc --serve -- python3 my_tool.py {url}\n"
    "\n"
    "exit status: 0 no spurious reset, 1 spurious resets (or COMMAND could not run),\n"
    "2 bad input.\n";

struct observe_args {
    const char *board, *host, *listen, *out;
    int serve;
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
        if (strcmp(opt, "--serve") == 0) {
            a->serve = 1;
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
        else if (cli_parse_seed(argv[++i], &a->seed) != 0)
            return cli_bad_input("observe: --seed needs a whole number from 0 to 2^64-1, got '%s'%s", argv[i], "");
    }
    if (a->board == NULL)
        return cli_bad_input("observe: which board? give --board NAME%s%s", " (resetlab list shows them)", "");
    if (i + 1 >= argc)
        return cli_bad_input("observe: no command to observe: give it after --, e.g. -- python3 tool.py {url}%s%s",
                             "", "");
    a->command = argv + i + 1;
    return 0;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* COMMAND with {url} replaced; argv strings owned by `store`. */
static char **command_argv(char **command, const char *url, char *store, size_t len)
{
    int n = 0;
    while (command[n] != NULL)
        n++;
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    size_t k = 0;
    for (int i = 0; argv != NULL && i < n; i++) {
        const char *at = strstr(command[i], "{url}");
        if (at == NULL) {
            argv[i] = command[i];
            continue;
        }
        int w = snprintf(store + k, len - k, "%.*s%s%s", (int)(at - command[i]), command[i], url, at + 5);
        argv[i] = store + k;
        k += (size_t)w + 1;
        if (k >= len) {
            free(argv);
            return NULL;
        }
    }
    return argv;
}

/* Serves until the command exits and the board is at rest again. */
static int serve_command_run(struct serve *srv, char **argv, int *status, double *seconds)
{
    int64_t t0 = mono_ns();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "resetlab: observe: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    char err[512];
    int exited = 0;
    while (!exited) {
        if (serve_step(srv, 20, err, sizeof err) != 0) {
            fprintf(stderr, "resetlab: observe: %s\n", err);
            kill(pid, SIGTERM);
        }
        exited = waitpid(pid, status, WNOHANG) == pid;
    }
    *seconds = (double)(mono_ns() - t0) / 1e9;
    /* its last attempt ends once the board rests and the server is quiet */
    for (int64_t until = mono_ns() + 5000000000LL; !serve_idle(srv) && mono_ns() < until;)
        if (serve_step(srv, 50, err, sizeof err) != 0)
            break;
    return 0;
}

static int observe_served(const struct lab *lab, const struct board_profile *b, const struct host_profile *h,
                          const struct observe_args *a)
{
    struct observation *obs = calloc(1, sizeof *obs);
    if (obs == NULL)
        return 1;
    struct serve_opts o = {.lab = lab, .board = b, .host = h, .listen = a->listen, .out_dir = a->out,
                           .seed = a->seed, .grace_ms = 250, .attempt_gap_ms = 300, .human = NULL,
                           .on_attempt = observe_add, .ctx = obs};
    char err[512], url[128], store[8192];
    struct serve *srv = serve_new(&o, err, sizeof err);
    if (srv == NULL) {
        fprintf(stderr, "resetlab: observe: %s\n", err);
        free(obs);
        return strstr(err, "--listen") == err ? 2 : 1;
    }
    snprintf(url, sizeof url, "rfc2217://%s", serve_address(srv));
    char **argv = command_argv(a->command, url, store, sizeof store);
    int status = 0, rc = 1;
    double seconds = 0;
    int64_t t0 = mono_ns();
    if (argv == NULL) {
        fprintf(stderr, "resetlab: observe: the command line is too long\n");
        rc = 2;
    } else if (serve_command_run(srv, argv, &status, &seconds) != 0) {
        fprintf(stderr, "resetlab: observe: cannot start %s: %s\n", argv[0], strerror(errno));
    } else {
        serve_free(srv);
        srv = NULL;
        printf("observed: %s", a->command[0]);
        for (int i = 1; a->command[i] != NULL; i++)
            printf(" %s", a->command[i]);
        printf(" (%s %d, %.2f s)\n", WIFEXITED(status) ? "exit" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), seconds);
        printf("board %s (%s, %s) on %s, served at %s; times from the command's start\n", b->name, b->chip->name,
               b->circuit->name, h->name, url);
        int spurious = observe_print(stdout, obs, t0);
        printf("log: %s/serve.jsonl (%d attempts), captures in %s/captures/\n", a->out, obs->attempts, a->out);
        int ran = WIFEXITED(status) && WEXITSTATUS(status) != 127;
        rc = spurious > 0 || !ran ? 1 : 0;
    }
    serve_free(srv);
    free(argv);
    free(obs);
    return rc;
}

int observe_command(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(observe_usage, stdout), 0;
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
    else if (strcmp(b->port, "sim") != 0)
        cli_bad_input("observe: board '%s' is on port %s: observe watches a simulated board served with --serve; "
                      "on a real board capture with `resetlab analyze` (see README)",
                      a.board, b->port);
    else if (!a.serve)
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
