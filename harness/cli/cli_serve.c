/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve --board NAME --host PROFILE [--listen HOST:PORT]`.
 * May call: harness/serve, harness/lab, libc (signals). */
#include "cli_commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "harness/lab/lab_load.h"
#include "harness/serve/serve.h"

#define SERVE_ATTEMPTS_MAX 1000000000 /* --attempts N */
#define SERVE_WAIT_MS_MAX 60000 /* --grace-ms, --attempt-gap-ms */

static const char usage[] =
    "usage: resetlab serve --board NAME [--host PROFILE] [--listen HOST:PORT | --tty]\n"
    "                      [--reset-replay[=SCENARIO] | --bridge NAME] [--out DIR]\n"
    "                      [--seed S] [--grace-ms MS]\n"
    "                      [--attempt-gap-ms MS] [--attempts N] [--idle-timeout S]\n"
    "                      [--keep-captures N] [--captures-max-mb MB] [--boards FILE]\n"
    "                      [--scenarios DIR]\n"
    "\n"
    "Serves a simulated board over RFC 2217 (telnet COM-PORT-OPTION) in real time,\n"
    "so real tools reach the virtual lab: esptool --port rfc2217://127.0.0.1:2217,\n"
    "pyserial's serial_for_url(\"rfc2217://...\"), `resetlab run` on a board whose\n"
    "port is rfc2217://HOST:PORT. With --tty, on a local virtual port instead (a\n"
    "pty), for tools that only open a device: esptool with its Linux default reset.\n"
    "  - SET-CONTROL DTR/RTS goes through the host profile's bridge model (default\n"
    "    native-linux) to the board; each is answered when the simulated request\n"
    "    completes. A host that reaches its board through a network bridge\n"
    "    (boards.yaml network:, docs/bridges.md) is refused without --bridge:\n"
    "    serve is the server.\n"
    "  - The board's UART carries the ROM banner and, in download mode, the ROM's\n"
    "    SLIP answers: the ROM loader's commands on the chip's registers (MAC,\n"
    "    crystal, SPI flash ID), CHANGE_BAUDRATE, MEM and FLASH transfers on the\n"
    "    board's flash (kept while the server runs): enough for esptool\n"
    "    --no-stub chip_id, read_mac, flash_id, write_flash, verify_flash and\n"
    "    read_flash. SLIP frames over 32818 bytes are cut (logged once).\n"
    "  - Every attempt (a reset and the session after it: docs/serve.md#attempts)\n"
    "    is analyzed like a run: one line on stderr, one JSON line in\n"
    "    DIR/serve.jsonl (ops as they arrived and as applied, what the client\n"
    "    wanted, outcome, the deciding gap split into waiting for the client and\n"
    "    the bridge, findings), and DIR/captures/attempt-NNNN.sr.\n"
    "  - One client owns the board; another waits up to --grace-ms (0 to 60000,\n"
    "    default 250)\n"
    "    for it to leave, then is refused with one line of text. When the owner\n"
    "    disconnects, RTS and then DTR are cleared.\n"
    "\n"
    "  --listen HOST:PORT   default 127.0.0.1:2217 (loopback); port 0 picks one;\n"
    "                       the first line on stdout says where it listens\n"
    "  --tty                serve on a local virtual port instead, for unmodified\n"
    "                       tools (esptool, pyserial, node serialport, picocom):\n"
    "                       prints the port (a pty) and, on the next line, the\n"
    "                       environment to run the tool with (LD_PRELOAD=the\n"
    "                       library in lib/resetlab/ beside the binary's folder,\n"
    "                       RESETLAB_TTY=the pty, RESETLAB_TTY_SOCKET=its control\n"
    "                       socket in $TMPDIR). On a USB-Serial/JTAG board the\n"
    "                       port goes by /dev/ttyACM-resetlab with the chip's USB\n"
    "                       ids in sysfs's shape (RESETLAB_TTY_NAME,\n"
    "                       RESETLAB_TTY_SYSFS), so esptool's default reset is\n"
    "                       the one it picks on the real port. The library sends\n"
    "                       the tool's TIOCMSET, TIOCMBIS, TIOCMBIC (each one\n"
    "                       bridge request, answered when it completes),\n"
    "                       TIOCMGET, its port speed\n"
    "                       (tcsetattr, TCSETS2), its open (the host OS's: Linux\n"
    "                       raises DTR and RTS) and its close (HUPCL drops them) to\n"
    "                       the server; data goes through the pty. Limits: the\n"
    "                       socket's path at most 107 bytes; one tool at a time\n"
    "                       (another is refused after --grace-ms: its open fails,\n"
    "                       EBUSY); 16 opens at once in one process; 1 MiB of the\n"
    "                       board's output left unread in the pty (then lost, as\n"
    "                       on a wire); speeds 1 to 12000000 bit/s; a call waits\n"
    "                       30 s for its answer, then fails (EIO) as when the\n"
    "                       server is gone. Not with --reset-replay\n"
    "  --reset-replay       the SET-CONTROL that starts a reset (DTR on while RTS\n"
    "                       is on) runs a whole reset here, through the bridge model:\n"
    "                       esptool-tight (esptool-classic on Windows hosts), or\n"
    "                       SCENARIO; line commands during it are acknowledged and\n"
    "                       not applied (as esptool's esp_rfc2217_server, which\n"
    "                       does not acknowledge them)\n"
    "  --bridge NAME        serve the board as the network bridge NAME of\n"
    "                       boards.yaml's net_bridges: would, on the matrix's model\n"
    "                       (docs/bridges.md#serve); the default host is the lab's\n"
    "                       first host through NAME (the server's own serial\n"
    "                       requests; --host may name another, or one without a\n"
    "                       network path). Not with --tty or --reset-replay.\n"
    "                       esp-link (socket://): up to its max_clients, 4\n"
    "                       (serbridge.h MAX_CONN), at once, each sent the board's\n"
    "                       UART raw in its batches (80 bytes, or 4 character\n"
    "                       times of silence); a fifth is closed with nothing sent\n"
    "                       and logged once. A connection's first read decides\n"
    "                       what it is: \"0 \" (STK500's sync) or \"?\" and a line end\n"
    "                       (an ARM ISP's) program (the bridge pulses reset with\n"
    "                       ISP held low,\n"
    "                       the sync is not passed on; on close ISP goes high and\n"
    "                       reset is pulsed), IAC WILL or DO is telnet (SET-CONTROL\n"
    "                       DTR drives reset, RTS ISP, none answered), anything\n"
    "                       else is data for the chip. A programming sync sent\n"
    "                       again is data, logged once a connection. A client\n"
    "                       with no input for --idle-timeout (esp-link's\n"
    "                       SER_BRIDGE_TIMEOUT is 300 s, as the default) is closed,\n"
    "                       a reset connection dropped, each logged once.\n"
    "                       ser2net (rfc2217://): one client (max-connections 1);\n"
    "                       another is refused at once with \"Port already in\n"
    "                       use\", logged once; the device opened (U1,1) when a\n"
    "                       client comes and closed (U0,0) when it goes; each\n"
    "                       SET-CONTROL takes TIOCMGET + TIOCMSET, and one more\n"
    "                       request before its answer. At most 16 clients a bridge\n"
    "                       (max_clients)\n"
    "  --out DIR            the log's folder (default resetlab-serve; at most 400\n"
    "                       bytes, not a file)\n"
    "  --seed S             the host model's random draws, 0 to 2^64-1 (default 1)\n"
    "  --attempt-gap-ms MS  an attempt ends when the board is at rest, no reset\n"
    "                       sequence is held open (EN or IO0 pulled low) and\n"
    "                       nothing (a command, a SLIP frame, a UART byte) has\n"
    "                       happened for this long (0 to 60000, default 300); a\n"
    "                       DTR/RTS command after the client talked to the chip\n"
    "                       since the attempt's reset starts the next one\n"
    "  --attempts N         stop after N attempts, 1 to 10^9 (default: until\n"
    "                       Ctrl-C/SIGTERM)\n"
    "  --idle-timeout S     the owner is disconnected, and the board freed for the\n"
    "                       next client, after S seconds without driving it\n"
    "                       (default 300; 0 never; at most 86400): driving is a\n"
    "                       DTR/RTS command (SET-CONTROL DTR or RTS on/off) or an\n"
    "                       esptool request (a SLIP frame, direction 0, with its\n"
    "                       8-byte header). Telnet negotiation and NOPs, other\n"
    "                       settings and queries, bytes outside frames and\n"
    "                       malformed input are not: a trickle of them is closed,\n"
    "                       and so is a terminal left open on the UART (0 for one)\n"
    "  --keep-captures N    keep the captures of the last N attempts (default 1000,\n"
    "                       1 to 1000000): an older one is deleted, and the line of\n"
    "                       the attempt that rotated it out names it (rotated_out)\n"
    "  --captures-max-mb MB and at most MB MiB of them (default 100, 1 to 1000000)\n"
    "\n"
    "A client's misbehaviour costs it, not the server:\n"
    "  - every command read is answered: while 64 answers wait, the client's input\n"
    "    is not read (TCP holds the rest); a client that leaves 1 MiB of our\n"
    "    output unread is dropped\n"
    "  - malformed telnet or RFC 2217 input is logged 20 times a connection, then\n"
    "    once every 10 s; the server logs 500 events of any kind (connections,\n"
    "    refusals, malformed input) at once, then one a second. The rest are\n"
    "    counted in a \"suppressed\" line: when the flood ends, and every 10 s while\n"
    "    it lasts\n"
    "  - a disk that refuses serve.jsonl (full, an I/O error, a file-size limit)\n"
    "    stops the log with one line on stderr; the file ends on a whole line, and\n"
    "    serving goes on\n"
    "\n" CLI_NUMBERS_HELP CLI_LAB_LIMITS_HELP    "\n"
    "exit status: 0 stopped, 1 serving failed, 2 bad input.\n";

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
    (void)sig;
    stop_asked = 1;
}

struct serve_args {
    const char *board, *host, *listen, *out, *replay, *bridge;
    int replay_on, tty;
    long attempts, keep_captures, captures_max_mb;
    double grace_ms, attempt_gap_ms, idle_timeout_s;
    uint64_t seed;
};

static int parse_value(struct serve_args *a, const char *opt, const char *v)
{
    uint64_t n;
    if (strcmp(opt, "--board") == 0)
        a->board = v;
    else if (strcmp(opt, "--host") == 0)
        a->host = v;
    else if (strcmp(opt, "--bridge") == 0)
        a->bridge = v;
    else if (strcmp(opt, "--listen") == 0)
        a->listen = v;
    else if (strcmp(opt, "--out") == 0)
        a->out = v;
    else if (strcmp(opt, "--seed") == 0) {
        if (cli_parse_uint("serve", opt, v, "a whole number", 0, CLI_SEED_MAX, &a->seed) != 0)
            return 2;
    } else if (strcmp(opt, "--attempts") == 0) {
        if (cli_parse_uint("serve", opt, v, "a whole number", 1, SERVE_ATTEMPTS_MAX, &n) != 0)
            return 2;
        a->attempts = (long)n;
    } else if (strcmp(opt, "--keep-captures") == 0) {
        if (cli_parse_uint("serve", opt, v, "a whole number", 1, SERVE_KEEP_CAPTURES_MAX, &n) != 0)
            return 2;
        a->keep_captures = (long)n;
    } else if (strcmp(opt, "--captures-max-mb") == 0) {
        if (cli_parse_uint("serve", opt, v, "a whole number", 1, SERVE_CAPTURES_MB_MAX, &n) != 0)
            return 2;
        a->captures_max_mb = (long)n;
    } else if (strcmp(opt, "--idle-timeout") == 0) {
        if (cli_decimal(v, 0, SERVE_IDLE_TIMEOUT_MAX_S, &a->idle_timeout_s) != 0)
            return cli_bad_input("serve: --idle-timeout needs seconds from 0 (never) to 86400, got '%s'%s", v, "");
    } else if (strcmp(opt, "--grace-ms") == 0 || strcmp(opt, "--attempt-gap-ms") == 0) {
        double *slot = opt[2] == 'g' ? &a->grace_ms : &a->attempt_gap_ms;
        if (cli_parse_decimal("serve", opt, v, "milliseconds", 0, SERVE_WAIT_MS_MAX, slot) != 0)
            return 2;
    } else {
        return cli_bad_input("serve: unknown option '%s'%s (resetlab help serve)", opt, "");
    }
    return 0;
}

/* The options parse_value takes, each with a value. */
static const char *const value_opts[] = {"--board",         "--host",         "--listen",        "--out",
                                         "--seed",          "--attempts",     "--grace-ms",      "--attempt-gap-ms",
                                         "--idle-timeout",  "--keep-captures", "--captures-max-mb", "--bridge", NULL};

/* --out names a folder, existing or not: not empty (which would be /),
 * not a file, not longer than its files' names allow. */
static int check_out(const char *out)
{
    struct stat st;
    if (out[0] == '\0')
        return cli_bad_input("serve: --out is empty: give a folder for the log (default resetlab-serve)%s%s", "", "");
    if (strlen(out) > SERVE_OUT_MAX)
        return cli_bad_input("serve: --out %.60s...: longer than 400 bytes%s", out, "");
    if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode))
        return cli_bad_input("serve: --out %s: %s", out, "is a file, not a folder");
    if (stat(out, &st) != 0 && errno == ENOTDIR)
        return cli_bad_input("serve: --out %s: %s", out, "a part of it is a file, not a folder");
    return 0;
}

static int parse_args(int argc, char **argv, struct serve_args *a, struct cli_common *c)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        int used = cli_common_opt(c, argc, argv, &i);
        if (used < 0)
            return cli_bad_input("serve: %s needs a value%s", opt, "");
        if (used > 0)
            continue;
        if (strcmp(opt, "--reset-replay") == 0) {
            a->replay_on = 1;
            continue;
        }
        if (strcmp(opt, "--tty") == 0) {
            a->tty = 1;
            continue;
        }
        if (strncmp(opt, "--reset-replay=", 15) == 0) {
            a->replay_on = 1;
            a->replay = opt + 15;
            continue;
        }
        if (strncmp(opt, "--", 2) != 0)
            return cli_bad_input("serve: unexpected argument '%s'%s (resetlab help serve)", opt, "");
        if (!cli_is_one_of(opt, value_opts))
            return cli_bad_input("serve: unknown option '%s'%s (resetlab help serve)", opt, "");
        if (i + 1 >= argc)
            return cli_bad_input("serve: %s needs a value%s", opt, "");
        if (parse_value(a, opt, argv[++i]) != 0)
            return 2;
    }
    if (a->board == NULL)
        return cli_bad_input("serve: which board? give --board NAME%s%s", " (resetlab list shows them)", "");
    if (a->tty && strcmp(a->listen, "127.0.0.1:2217") != 0)
        return cli_bad_input("serve: --tty with --listen %s: the local port is a pty, with no address%s", a->listen,
                             "");
    if (a->tty && a->replay_on)
        return cli_bad_input("serve: --tty with --reset-replay: %s%s",
                             "the local port gives the tool its own reset (one TIOCMSET is one request)", "");
    if (a->bridge != NULL && a->tty)
        return cli_bad_input("serve: --bridge with --tty: %s%s", "a network bridge is served on a TCP port (--listen)", "");
    if (a->bridge != NULL && a->replay_on)
        return cli_bad_input("serve: --bridge with --reset-replay: %s%s",
                             "the bridge does what its net_bridges: entry says (esp_rfc2217_server's replay is "
                             "--reset-replay alone)", "");
    return check_out(a->out);
}

/* --bridge NAME: the bridge, and the host profile of its server's machine:
 * --host (a host without a network path, or one through this bridge), else
 * the lab's first host through it (its request: is the server's own, e.g.
 * esp-link's 100 us GPIO delay), else native-linux. */
static const struct net_bridge *pick_bridge(const struct lab *lab, const struct serve_args *a,
                                            const struct host_profile **h)
{
    const struct net_bridge *b = NULL;
    for (int i = 0; i < lab->n_net_bridges && b == NULL; i++)
        if (strcmp(lab->net_bridges[i].name, a->bridge) == 0)
            b = &lab->net_bridges[i];
    if (b == NULL) {
        char names[256] = "";
        for (int i = 0; i < lab->n_net_bridges; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     lab->net_bridges[i].name);
        cli_bad_input("serve: --bridge %s: the lab's net_bridges: are %s", a->bridge, names[0] ? names : "none");
        return NULL;
    }
    for (int k = 0; k < NET_CMD_COUNT; k++)
        if (b->cmd[k].replay.n > 0) {
            cli_bad_input("serve: --bridge %s: its SET-CONTROL replays a reset: that is --reset-replay%s", a->bridge,
                          " (esp_rfc2217_server's behaviour, docs/serve.md)");
            return NULL;
        }
    if (a->host != NULL) {
        if ((*h)->net.bridge != NULL && (*h)->net.bridge != b) {
            cli_bad_input("serve: --bridge %s with --host %s: that host goes through another bridge", a->bridge,
                          a->host);
            return NULL;
        }
        return b;
    }
    for (int i = 0; i < lab->n_hosts; i++)
        if (lab->hosts[i].net.bridge == b && !lab->hosts[i].net.program_port) {
            *h = &lab->hosts[i];
            break;
        }
    return b;
}

/* The replay scenario: named, or esptool's default for the host's OS. */
static const struct scenario *pick_replay(const struct lab *lab, const struct serve_args *a,
                                          const struct host_profile *h)
{
    const char *name = a->replay ? a->replay : h->os == OS_WINDOWS ? "esptool-classic" : "esptool-tight";
    const struct scenario *s = lab_scenario(lab, name);
    if (s == NULL) {
        cli_bad_input("serve: --reset-replay: no scenario '%s' in the lab%s", name, " (resetlab list shows them)");
        return NULL;
    }
    if (!(s->os_mask & (1 << h->os))) {
        cli_bad_input("serve: --reset-replay: scenario '%s' does not run on %s hosts", name, host_os_name(h->os));
        return NULL;
    }
    int lines = 0;
    for (int i = 0; i < s->seq[h->os].n; i++)
        lines += s->seq[h->os].ops[i].kind <= OP_BOTH && s->seq[h->os].ops[i].kind != OP_WAIT;
    if (lines == 0) {
        cli_bad_input("serve: --reset-replay: scenario '%s' changes no line on %s hosts", name,
                      host_os_name(h->os));
        return NULL;
    }
    return s;
}

static int serve_loop(struct serve *srv, long attempts)
{
    char err[512];
    while (!stop_asked && (attempts == 0 || serve_attempts(srv) < attempts)) {
        if (serve_step(srv, 200, err, sizeof err) != 0) {
            fprintf(stderr, "resetlab: serve: %s\n", err);
            return 1;
        }
    }
    return 0;
}

static int cli_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    struct serve_args a = {.listen = "127.0.0.1:2217", .out = "resetlab-serve", .grace_ms = 250,
                           .attempt_gap_ms = 300, .seed = 1, .idle_timeout_s = SERVE_IDLE_TIMEOUT_S,
                           .keep_captures = SERVE_KEEP_CAPTURES, .captures_max_mb = SERVE_CAPTURES_MB};
    struct cli_common c = {0};
    if (parse_args(argc, argv, &a, &c) != 0)
        return 2;
    struct lab lab;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    int rc = 2;
    const struct board_profile *b = lab_board(&lab, a.board);
    const struct host_profile *h = lab_host(&lab, a.host ? a.host : "native-linux");
    const struct scenario *replay = NULL;
    const struct net_bridge *nb = NULL;
    if (b != NULL && h != NULL && a.bridge != NULL && (nb = pick_bridge(&lab, &a, &h)) == NULL)
        ; /* said */
    else if (b == NULL)
        cli_bad_input("serve: no board '%s' in %s (resetlab list shows them)", a.board, lab.path);
    else if (h == NULL)
        cli_bad_input("serve: no host profile '%s' in %s (resetlab list shows them)", a.host, lab.path);
    else if (h->net.bridge != NULL && nb == NULL)
        cli_bad_input("serve: host '%s' reaches its board through a network bridge (%s): serve is the server itself; "
                      "give it the server's machine (native-linux) (docs/bridges.md)", h->name, h->net.bridge->name);
    else if (strcmp(b->port, "sim") != 0)
        cli_bad_input("serve: board '%s' is on port %s: serve simulates boards of the virtual lab (port: sim)",
                      a.board, b->port);
    else if (!a.replay_on || (replay = pick_replay(&lab, &a, h)) != NULL) {
        struct serve_opts o = {.lab = &lab, .board = b, .host = h, .replay = replay, .bridge = nb,
                               .program_port = nb != NULL && h->net.program_port, .listen = a.listen, .tty = a.tty,
                               .out_dir = a.out, .seed = a.seed, .grace_ms = a.grace_ms,
                               .attempt_gap_ms = a.attempt_gap_ms, .idle_timeout_s = a.idle_timeout_s,
                               .keep_captures = (int)a.keep_captures,
                               .captures_max_bytes = (int64_t)a.captures_max_mb << 20, .human = stderr};
        char err[512], lib[SERVE_TTY_LIBRARY_MAX];
        struct serve *srv = NULL;
        if (a.tty && serve_tty_library(lib, sizeof lib) != 0)
            snprintf(err, sizeof err, "--tty: the preload library is missing: %.400s", lib);
        else
            srv = serve_new(&o, err, sizeof err);
        if (srv == NULL) {
            fprintf(stderr, "resetlab: serve: %s\n", err);
            rc = strstr(err, "--listen") == err || strstr(err, "--tty: TMPDIR") == err ? 2 : 1;
        } else if (a.tty) {
            printf("serving %s on %s at %s (log: %s/serve.jsonl)\n", b->name, h->name, serve_tty_name(srv), a.out);
            printf("LD_PRELOAD=%s RESETLAB_TTY=%s RESETLAB_TTY_SOCKET=%s", lib, serve_tty_port(srv),
                   serve_tty_socket(srv));
            if (serve_tty_sysfs(srv) != NULL) /* the port's USB name and its sysfs entries */
                printf(" RESETLAB_TTY_NAME=%s RESETLAB_TTY_SYSFS=%s", serve_tty_name(srv), serve_tty_sysfs(srv));
            putchar('\n');
        } else if (nb != NULL) {
            printf("serving %s through %s (%s) at %s://%s (log: %s/serve.jsonl)\n", b->name, nb->name, h->name,
                   nb->n_sniff > 0 || o.program_port ? "socket" : "rfc2217", serve_address(srv), a.out);
        } else {
            printf("serving %s on %s at rfc2217://%s (log: %s/serve.jsonl)\n", b->name, h->name, serve_address(srv),
                   a.out);
        }
        if (srv != NULL) {
            fflush(stdout);
            struct sigaction sa = {.sa_handler = on_stop};
            sigaction(SIGINT, &sa, NULL);
            sigaction(SIGTERM, &sa, NULL);
            signal(SIGPIPE, SIG_IGN);
            signal(SIGXFSZ, SIG_IGN); /* a file-size limit: the log stops, as on a full disk */
            rc = serve_loop(srv, a.attempts);
            serve_free(srv);
        }
    }
    lab_free(&lab);
    return rc;
}

const struct cli_command cli_serve_command = {"serve", "serve a simulated board over RFC 2217 or a local virtual port in real time (esptool, pyserial)", usage, cli_serve};
