/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve` end to end, with real peers: Debian's python3-serial
 * (pyserial's RFC 2217 client, driven by tests/esptool_classic_rfc2217.py
 * as esptool drives it), our own client backend, `resetlab run` on the
 * served board, and ser2net in front of it; the command's bad input. The
 * server runs as the resetlab binary (the ASan build's in the sanitizer
 * job: it must exit 0 after SIGTERM, so a leak or a memory error fails the
 * test). Raw sockets sending what no client should: test_serve_sockets.c. */
#define _GNU_SOURCE /* memmem */
#include "harness/port/port_rfc2217.h"
#include "serve_fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(serve, .init = make_dir, .fini = drop_dir, .timeout = 120);

/* Runs the esptool-classic script; its stdout (one JSON line per attempt). */
static void run_script(const char *url, int attempts, char *out, size_t len)
{
    char script[512], cmd[1024];
    src_path("tests/esptool_classic_rfc2217.py", script, sizeof script);
    snprintf(cmd, sizeof cmd, "%s %s '%s' %d", test_python(), script, url, attempts);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "the script failed: %s", out);
}

/* The serve log's attempts at a reset (not the client's close alone), in
 * order. */
static int attempt_lines(char *log, char **lines, int max)
{
    int n = 0;
    for (char *save = NULL, *l = strtok_r(log, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
        if (strncmp(l, "{\"attempt\": ", 12) == 0 && strstr(l, "\"wanted\": \"any\"") == NULL)
            lines[n++] = l;
    return n;
}

static double field(const char *line, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *p = strstr(line, key);
    cr_assert_not_null(p, "no %s in %s", name, line);
    return strtod(p + strlen(key), NULL);
}

/* esptool issue #383: pyserial waits >= 50 ms for each SET-CONTROL answer,
 * so the board sits in (DTR1,RTS1) far longer than its 13.9 ms EN release
 * and boots from flash, every time. */
Test(serve, pyserial_classic_reset_boots_from_flash_as_in_esptool_383)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "");
    char out[4096];
    run_script(sv.url, 3, out, sizeof out);
    cr_assert_eq(count_of(out, "\"boot\": \"SPI_FAST_FLASH_BOOT\""), 3, "%s", out);
    cr_assert_eq(count_of(out, "\"sync\": false"), 3, "%s", out);
    usleep(600 * 1000); /* the last attempt ends once the board rests and the client is quiet */
    stop_server(&sv);

    char *log = read_log(), *lines[16];
    int n = attempt_lines(log, lines, 16);
    cr_assert_eq(n, 3, "one attempt per reset");
    for (int i = 0; i < n; i++) {
        cr_assert(strstr(lines[i], "\"wanted\": \"download\", \"outcome\": \"flash\"") != NULL, "%s", lines[i]);
        cr_assert(strstr(lines[i], "\"kind\": \"gap-outlasted-en\"") != NULL, "%s", lines[i]);
        double gap = field(lines[i], "gap_ms"), waiting = field(lines[i], "gap_waiting_ms");
        double bridge = field(lines[i], "gap_bridge_ms");
        cr_assert(gap >= 45 && gap < 1000, "pyserial's 50 ms ack poll: gap %.3f ms", gap);
        cr_assert(waiting > 40 && bridge < 10, "the client's wait (%.3f ms), not the bridge (%.3f ms)", waiting, bridge);
        cr_assert_float_eq(field(lines[i], "en_release_ms"), 13.863, 0.01, "10 kOhm x 1 uF to 0.75 VDD");
        cr_assert(strstr(lines[i], "\"capture\": \"captures/attempt-000") != NULL, "%s", lines[i]);
    }
    char cap[160];
    snprintf(cap, sizeof cap, "%s/captures/attempt-0003.sr", out_dir);
    struct stat st;
    cr_assert(stat(cap, &st) == 0 && st.st_size > 1000, "the attempt's capture");
    free(log);
}

/* --reset-replay with ?ign_set_control: the tight reset runs at the server,
 * the download banner and a SYNC answer every time. */
Test(serve, reset_replay_gives_download_and_sync_every_attempt)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "--reset-replay");
    char out[4096], url[96];
    snprintf(url, sizeof url, "%s?ign_set_control", sv.url);
    run_script(url, 3, out, sizeof out);
    cr_assert_eq(count_of(out, "\"boot\": \"DOWNLOAD_BOOT\""), 3, "%s", out);
    cr_assert_eq(count_of(out, "\"sync\": true"), 3, "%s", out);
    struct lab lab;
    load_shipped_lab(&lab);
    char magic[48];
    snprintf(magic, sizeof magic, "\"magic\": \"0x%08x\"", lab_board(&lab, "devkitc")->chip->rom.magic);
    lab_free(&lab);
    cr_assert_eq(count_of(out, magic), 3, "esptool's chip detection reads %s: %s", magic, out);
    usleep(600 * 1000);
    stop_server(&sv);

    char *log = read_log(), *lines[16];
    int n = attempt_lines(log, lines, 16);
    cr_assert_eq(n, 3);
    for (int i = 0; i < n; i++) {
        cr_assert(strstr(lines[i], "\"replays\": 1") != NULL, "%s", lines[i]);
        cr_assert(strstr(lines[i], "\"outcome\": \"download\", \"verdict\": \"pass\"") != NULL, "%s", lines[i]);
        cr_assert(strstr(lines[i], "\"sync\": true") != NULL, "%s", lines[i]);
        cr_assert(strstr(lines[i], "{\"op\": \"R0\"") != NULL, "the client's RTS off was absorbed: %s", lines[i]);
        cr_assert(strstr(lines[i], "\"started_replay\": true") != NULL, "%s", lines[i]);
    }
    free(log);
}

/* Our own client: U0,1 then U1,0 reach the board one bridge request apart. */
/* Our client at `url`: EN low, then EN released with IO0 low in one U each,
 * and the banner read until the ROM waits for download (or 2 s). */
static void reset_into_download(const char *url, char *rx, size_t len)
{
    char err[700];
    struct port *p = port_rfc2217_new(url, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    const struct port_ops *o = p->ops;
    cr_assert_eq(o->open(p, 1), 0, "%s", o->error(p));
    cr_assert_eq(o->set_lines(p, 0, 1), 0, "%s", o->error(p));
    cr_assert_eq(o->sleep(p, 0.1), 0);
    cr_assert_eq(o->set_lines(p, 1, 0), 0, "%s", o->error(p));
    cr_assert_eq(o->sleep(p, 0.05), 0);
    cr_assert_eq(o->set_lines(p, 0, 0), 0, "%s", o->error(p));
    long got = 0;
    rx[0] = '\0';
    for (int64_t until = mono_ms() + 2000; strstr(rx, "waiting for download") == NULL && mono_ms() < until;) {
        long k = port_rfc2217_read(p, (uint8_t *)rx + got, len - 1 - (size_t)got, 1, 200);
        if (k > 0)
            got += k;
        rx[got] = '\0';
    }
    cr_assert_eq(o->close(p), 0);
    port_rfc2217_free(p);
}

Test(serve, our_client_resets_into_download_mode)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    char rx[1024];
    reset_into_download(sv.url, rx, sizeof rx);
    cr_assert(strstr(rx, "DOWNLOAD_BOOT") != NULL, "banner: %s", rx);
    usleep(600 * 1000);
    stop_server(&sv);
    char *log = read_log(), *lines[16];
    int n = attempt_lines(log, lines, 16);
    cr_assert_eq(n, 1, "open, reset, close: one attempt");
    cr_assert(strstr(lines[0], "\"outcome\": \"download\", \"verdict\": \"pass\"") != NULL, "%s", lines[0]);
    free(log);
}

Test(serve, bad_input_is_one_line_and_status_2)
{
    expect_bad_input("serve", "which board?");
    expect_bad_input("serve --board nosuch", "no board 'nosuch'");
    expect_bad_input("serve --board devkitc --host nosuch", "no host profile 'nosuch'");
    expect_bad_input("serve --board devkitc --listen nonsense", "--listen nonsense: expected HOST:PORT");
    expect_bad_input("serve --board devkitc --listen 127.0.0.1:99999", "--listen 127.0.0.1:99999: a port is 0 to 65535");
    expect_bad_input("serve --board devkitc --reset-replay=nosuch", "no scenario 'nosuch'");
    expect_bad_input("serve --board devkitc --host native-windows --reset-replay=esptool-tight",
                     "scenario 'esptool-tight' does not run on windows hosts");
    expect_bad_input("serve --board devkitc --grace-ms -1", "--grace-ms needs milliseconds");
    expect_bad_input("serve --board devkitc --attempts 0", "--attempts");
    expect_bad_input("serve --board devkitc --frobnicate 1", "unknown option '--frobnicate'");
    expect_bad_input("serve --board devkitc --listen", "--listen needs a value");
    expect_bad_input("serve --board devkitc extra", "unexpected argument 'extra'");
}

Test(serve, a_busy_port_is_one_line)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    char args[128];
    snprintf(args, sizeof args, "serve --board devkitc --listen 127.0.0.1:%d --out %s/second", sv.port, out_dir);
    expect_bad_input(args, "Address already in use");
    stop_server(&sv);
}

/* `resetlab run` on a board whose port is the served board's URL: the
 * matrix completes, each run's trace comes from the server's captures,
 * and the DTR/RTS gap is the server's: two SET-CONTROL commands for a U
 * step are two bridge requests there. */
static void run_matrix_on(const char *url, struct server *sv);

Test(serve, resetlab_run_against_the_served_board)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    run_matrix_on(sv.url, &sv);
}

/* Runs three scenarios, 3 iterations each, on a board at `url` whose
 * captures are sv's; stops sv. */
static void run_matrix_on(const char *url, struct server *sv)
{
    char *shipped = slurp(src_path("boards.yaml", (char[512]){0}, 512), NULL);
    cr_assert_not_null(shipped);
    char lab[160], run_dir[160], args[1024], out[8192], err[4096];
    snprintf(lab, sizeof lab, "%s/served.yaml", out_dir);
    snprintf(run_dir, sizeof run_dir, "%s/run", out_dir);
    FILE *f = fopen(lab, "w");
    fprintf(f, "%s\n  devkitc-served:\n    chip: esp32\n    bridge: cp210x\n    circuit: two-transistor\n"
               "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"
               "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n    vdd: 3.3\n    port: %s\n"
               "    analyzer: {kind: serve, log: %s, threshold_v: 1.5, tail_ms: 20, settle_ms: 0.1, "
               "transient_max_ms: 200}\n",
            shipped, url, out_dir);
    fclose(f);
    free(shipped);
    snprintf(args, sizeof args,
             "run --jsonl --boards %s --board devkitc-served --scenario esptool-tight --scenario esptool-hard-reset "
             "--scenario esptool-classic-slow --iterations 3 --out %s",
             lab, run_dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    stop_server(sv);
    cr_assert(rc == 0 || rc == 1, "the matrix completed:\n%s\n%s", out, err);
    char path[256];
    snprintf(path, sizeof path, "%s/runs.jsonl", run_dir);
    char *runs = slurp(path, NULL);
    cr_assert_not_null(runs);
    /* classic-slow's D1 to R0 is a network round trip here: on a loaded
     * machine it can outlast EN's 13.9 ms, so only its completion is asked */
    cr_assert_eq(count_of(runs, "\"scenario\": \"esptool-classic-slow\""), 3, "%s", runs);
    cr_assert_eq(count_of(runs, "\"verdict\": \"error\""), 0, "%s", runs);
    int tight_pass = 0, hard_pass = 0;
    for (char *l = runs; (l = strstr(l, "{\"board\"")) != NULL; l++) {
        char *end = strchr(l, '\n');
        int pass = end && memmem(l, (size_t)(end - l), "\"verdict\": \"pass\"", 17) != NULL;
        const char *name = strstr(l, "\"scenario\": ") + strlen("\"scenario\": ");
        tight_pass += pass && strncmp(name, "\"esptool-tight\"", strlen("\"esptool-tight\"")) == 0;
        hard_pass += pass && strncmp(name, "\"esptool-hard-reset\"", strlen("\"esptool-hard-reset\"")) == 0;
    }
    cr_assert_eq(tight_pass, 3, "tight: both lines in one send, one bridge request apart: %s", runs);
    cr_assert_eq(hard_pass, 3, "%s", runs);
    char *lines[16];
    int n = 0;
    for (char *save = NULL, *l = strtok_r(runs, "\n", &save); l && n < 16; l = strtok_r(NULL, "\n", &save))
        if (strstr(l, "\"scenario\": \"esptool-tight\""))
            lines[n++] = l;
    cr_assert_eq(n, 3);
    for (int i = 0; i < n; i++) {
        double gap = field(lines[i], "gap_ms");
        cr_assert(gap >= 0.2 && gap < 10, "one native-linux request between DTR and RTS: %.3f ms", gap);
    }
    free(runs);
}

/* ---- ser2net in front of the served board --------------------------------- */

/* ser2net 4.3 (gensio's RFC 2217 server) as the client's peer, its
 * connector telnet(rfc2217) to `resetlab serve`: it passes SET-BAUDRATE
 * and SET-CONTROL on and relays the answers and the data. Skipped when
 * ser2net is not installed. */
struct ser2net {
    pid_t pid;
    int port;
    char url[64];
};

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t sl = sizeof sa;
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Listening on 127.0.0.1:port, from /proc/net/tcp: a probe connection would
 * take ser2net's only connection. */
static int listening(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[256], want[32];
    snprintf(want, sizeof want, "0100007F:%04X 00000000:0000 0A", port);
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, want) != NULL;
    if (f)
        fclose(f);
    return found;
}

static void start_ser2net(struct ser2net *sn, int board_port)
{
    const char *bin = access("/usr/sbin/ser2net", X_OK) == 0 ? "/usr/sbin/ser2net" : NULL;
    if (bin == NULL)
        cr_skip_test("ser2net is not installed (apt-get install ser2net)");
    sn->port = free_port();
    char conf[160], pidfile[160];
    snprintf(conf, sizeof conf, "%s/ser2net.yaml", out_dir);
    snprintf(pidfile, sizeof pidfile, "%s/ser2net.pid", out_dir);
    FILE *f = fopen(conf, "w");
    fprintf(f, "%%YAML 1.1\n---\nconnection: &board\n    accepter: telnet(rfc2217),tcp,127.0.0.1,%d\n"
               "    connector: telnet(rfc2217),tcp,127.0.0.1,%d\n    options:\n      max-connections: 1\n",
            sn->port, board_port);
    fclose(f);
    sn->pid = fork();
    cr_assert_geq(sn->pid, 0);
    if (sn->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(bin, bin, "-d", "-u", "-c", conf, "-P", pidfile, (char *)NULL);
        _exit(127);
    }
    int64_t until = mono_ms() + 5000;
    while (!listening(sn->port) && mono_ms() < until)
        usleep(10 * 1000);
    cr_assert(listening(sn->port), "ser2net did not listen on %d", sn->port);
    snprintf(sn->url, sizeof sn->url, "rfc2217://127.0.0.1:%d", sn->port);
}

static void stop_ser2net(struct ser2net *sn)
{
    kill(sn->pid, SIGTERM);
    waitpid(sn->pid, NULL, 0);
}

Test(serve, our_client_through_ser2net_gets_the_download_banner)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    struct ser2net sn;
    start_ser2net(&sn, sv.port);
    char rx[1024];
    reset_into_download(sn.url, rx, sizeof rx);
    cr_assert(strstr(rx, "DOWNLOAD_BOOT") != NULL, "banner through ser2net: '%s'", rx);
    stop_ser2net(&sn);
    usleep(500 * 1000);
    stop_server(&sv);
}

/* The same matrix with ser2net between resetlab run and the served board:
 * the server names ser2net as its client, and the runs still find their
 * attempts. */
Test(serve, resetlab_run_through_ser2net)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    struct ser2net sn;
    start_ser2net(&sn, sv.port);
    run_matrix_on(sn.url, &sv);
    stop_ser2net(&sn);
}

Test(serve, help_says_what_it_serves)
{
    char out[8192], err[512];
    cr_assert_eq(run_cli("help serve", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "--reset-replay") && strstr(out, "serve.jsonl") && strstr(out, "127.0.0.1:2217"));
    cr_assert_eq(run_cli("serve --help", out, sizeof out, err, sizeof err), 0);
    cr_assert_eq(run_cli("--help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "serve     serve a simulated board over RFC 2217") != NULL);
}
