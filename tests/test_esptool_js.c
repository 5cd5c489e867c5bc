/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A real third-party client in CI: esptool-js (Espressif's JavaScript
 * esptool, from the npm registry) run by node against `resetlab serve`,
 * through tests/js/esptool_js_check.mjs and our Web Serial shim
 * (tests/js/webserial_shim.mjs): devkitc over RFC 2217 with --reset-replay,
 * esp32c3-usb over RFC 2217. Here esptool-js resets the board with its own
 * sequence and detects the chip, checked against boards.yaml (the script's
 * `connect` step); test_esptool_js_flash.c goes on to the MAC, the stub, a
 * 64 KiB compressed write, the stub's MD5 and a read back. The script's
 * failure lines and the USB IDs it reports. node, npm and the packages are
 * installed by ci/bootstrap (Debian's nodejs and npm; npm ci into
 * BUILD/js): when they are missing the test fails and says so. The shim's
 * RFC 2217 port on its own against pyserial's server (tests/shim_check.mjs
 * on tests/rfc2217_peer.py), skipped without python3-serial as the other
 * pyserial tests are. */
#include "esptool_js_fixture.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

TestSuite(esptool_js, .init = make_dir, .fini = drop_dir, .timeout = 120);

/* devkitc over RFC 2217: esptool-js's ClassicReset cannot reset it through
 * a network port (esptool #383), so the server replays a tight reset when
 * DTR comes on while RTS is on (the esp_rfc2217_server way). */
Test(esptool_js, devkitc_over_rfc2217_with_reset_replay)
{
    struct server sv;
    start_server(&sv, "devkitc", "--reset-replay");
    char where[96], out[4096];
    snprintf(where, sizeof where, "--url %s", sv.url);
    esptool_js_passes("devkitc", "", where, "--until connect", out, sizeof out);
    cr_assert(strstr(out, "\"chip\":\"ESP32\"") && strstr(out, "\"reset\":\"classic\""), "%s", out);
    usleep(600 * 1000); /* the last attempt ends once the board rests */
    stop_server(&sv);
    char *log = read_log();
    cr_assert_geq(replays(log), 1, "the server replayed esptool-js's reset");
    cr_assert_geq(synced_attempts(log), 1, "the ROM answered esptool-js's SYNC");
    free(log);
}

/* esp32c3-usb over RFC 2217: its USB-Serial/JTAG acts on each line state,
 * so esptool-js's UsbJtagSerialReset (VID 0x303A, PID 0x1001 from
 * boards.yaml) works without a replay. */
Test(esptool_js, esp32c3_usb_over_rfc2217)
{
    struct server sv;
    start_server(&sv, "esp32c3-usb", "");
    char where[96], out[4096];
    snprintf(where, sizeof where, "--url %s", sv.url);
    esptool_js_passes("esp32c3-usb", "", where, "--until connect", out, sizeof out);
    cr_assert(strstr(out, "\"chip\":\"ESP32-C3\"") && strstr(out, "\"reset\":\"usb-jtag-serial\""), "%s", out);
    usleep(600 * 1000);
    stop_server(&sv);
    char *log = read_log();
    cr_assert_eq(replays(log), 0);
    cr_assert_geq(synced_attempts(log), 1, "the ROM answered esptool-js's SYNC");
    free(log);
}

/* Without the packages the check fails in one line that says what to run. */
Test(esptool_js, missing_packages_fail_in_one_line)
{
    require_node_and_packages();
    char out[1024], err[1024], missing[128];
    snprintf(missing, sizeof missing, "%s/no-such-folder", out_dir);
    int status =
        run_check("devkitc", "", "--url rfc2217://127.0.0.1:2217", missing, "", out, sizeof out, err, sizeof err);
    cr_assert_eq(status, 1, "%s", err);
    cr_assert_eq(count_of(err, "\n"), 1, "one line: %s", err);
    cr_assert(strstr(err, "esptool-js check: devkitc: install: no ") && strstr(err, "ci/bootstrap runs npm ci there"),
              "%s", err);
}

/* Bad arguments: exit 2, the usage after the one line. */
Test(esptool_js, bad_arguments_exit_2)
{
    require_node_and_packages();
    char out[1024], err[4096];
    const char *url = "--url rfc2217://127.0.0.1:2217";
    int status = run_check("devkitc", "", url, js_dir(), "--size 99999999", out, sizeof out, err, sizeof err);
    cr_assert_eq(status, 2, "%s", err);
    const char *want = "esptool-js check: devkitc: arguments: --size 99999999: expected a number from 4 to 1048576\n";
    cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
    status = run_check("no-such-board", "", url, js_dir(), "", out, sizeof out, err, sizeof err);
    cr_assert_eq(status, 2, "%s", err);
    cr_assert(strstr(err, "lab: ") && strstr(err, "has no board 'no-such-board'"), "%s", err);
}

/* The USB IDs the shim reports come from boards.yaml: esptool-js takes its
 * USB-Serial/JTAG reset only for Espressif's VID 0x303A with PID 0x1001
 * (src/esploader.ts isUsbJtagSerialPort). */
Test(esptool_js, bridges_carry_the_usb_ids_esptool_js_reads)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct bridge_profile *jtag = lab_board(&lab, "esp32c3-usb")->bridge;
    cr_assert_eq(jtag->usb_vid, 0x303A);
    cr_assert_eq(jtag->usb_pid, 0x1001);
    cr_assert_eq(lab_board(&lab, "devkitc")->bridge->usb_vid, 0x10C4, "Silicon Labs' CP210x");
    lab_free(&lab);
}

/* ---- the shim on its own, against pyserial's RFC 2217 server ------------ */

struct peer {
    pid_t pid;
    int out_fd;
    char log[160];
    char url[64];
};

static void start_peer(struct peer *pe, const char *mode)
{
    skip_without_pyserial();
    char script[512];
    src_path("tests/rfc2217_peer.py", script, sizeof script);
    snprintf(pe->log, sizeof pe->log, "%s/peer.log", out_dir);
    int out[2];
    cr_assert_eq(pipe(out), 0);
    pe->pid = fork();
    cr_assert_geq(pe->pid, 0);
    if (pe->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execlp(test_python(), test_python(), script, mode, pe->log, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    pe->out_fd = out[0];
    char line[64] = "";
    size_t n = 0;
    struct pollfd pf = {.fd = pe->out_fd, .events = POLLIN};
    while (n + 1 < sizeof line && poll(&pf, 1, 10000) == 1 && read(pe->out_fd, line + n, 1) == 1 && line[n] != '\n')
        n++;
    line[n] = '\0';
    int port = 0;
    cr_assert(sscanf(line, "port %d", &port) == 1 && port > 0, "the peer said '%s'", line);
    snprintf(pe->url, sizeof pe->url, "rfc2217://127.0.0.1:%d", port);
}

static void stop_peer(struct peer *pe)
{
    kill(pe->pid, SIGTERM);
    waitpid(pe->pid, NULL, 0);
    close(pe->out_fd);
}

/* The peer's log without its times: "CONNECT;DTR 1;...;". */
static void peer_ops(const struct peer *pe, char *ops, size_t len)
{
    FILE *f = fopen(pe->log, "r");
    cr_assert_not_null(f);
    char what[200];
    long long ns;
    size_t n = 0;
    ops[0] = '\0';
    while (fscanf(f, "%lld %199[^\n]", &ns, what) == 2 && n + strlen(what) + 2 < len)
        n += (size_t)snprintf(ops + n, len - n, "%s;", what);
    fclose(f);
}

static int shim_check(const char *url, char *out, size_t out_len, char *err, size_t err_len)
{
    char script[512], cmd[1024];
    src_path("tests/js/shim_check.mjs", script, sizeof script);
    snprintf(cmd, sizeof cmd, "exec %s %s %s", node_bin(), script, url);
    return run_shell(cmd, out, out_len, err, err_len);
}

/* pyserial's PortManager applies, in order: our open's rate and DTR, RTS on
 * (as Linux opens a tty), each setSignals() member, the data with its IAC
 * doubled on the wire (loop:// echoes it back whole), the new rate. */
Test(esptool_js, shim_against_pyserials_rfc2217_server)
{
    require_node_and_packages();
    struct peer pe;
    start_peer(&pe, "portmanager");
    char out[256], err[512], ops[2048];
    int status = shim_check(pe.url, out, sizeof out, err, sizeof err);
    usleep(200 * 1000); /* the server logs the last rate as it applies it */
    stop_peer(&pe);
    cr_assert_eq(status, 0, "%s", err);
    cr_assert_str_eq(out, "echo 00ff0d0ac0\n");
    peer_ops(&pe, ops, sizeof ops);
    cr_assert(strstr(ops, "BAUD 115200;DTR 1;RTS 1;DTR 0;RTS 0;DTR 1;RTS 1;DATA 00ff0d0ac0;BAUD 460800;") != NULL,
              "%s", ops);
}

/* A wrong answer is no answer (matched by command and value), and a server
 * that hangs up ends the wait at once: one line each. */
Test(esptool_js, shim_waits_for_the_right_answer_and_no_longer)
{
    require_node_and_packages();
    struct peer pe;
    char out[256], err[512];
    start_peer(&pe, "wrong-value"); /* answers every SET-CONTROL with 8, DTR on */
    int status = shim_check(pe.url, out, sizeof out, err, sizeof err);
    stop_peer(&pe);
    cr_assert_eq(status, 1, "%s", err);
    cr_assert(strstr(err, "shim check: rfc2217://127.0.0.1:") && count_of(err, "\n") == 1, "%s", err);
    cr_assert(strstr(err, ": no answer to SET-CONTROL RTS on within 3000 ms (the last answer to that command was [8])"),
              "%s", err);

    start_peer(&pe, "hang-up");
    int64_t t0 = mono_ms();
    status = shim_check(pe.url, out, sizeof out, err, sizeof err);
    int64_t took = mono_ms() - t0;
    stop_peer(&pe);
    cr_assert_eq(status, 1, "%s", err);
    cr_assert(strstr(err, ": the server closed the connection\n") && count_of(err, "\n") == 1, "%s", err);
    cr_assert_lt(took, 2500, "no wait for an answer that cannot come: %lld ms", (long long)took);
}
