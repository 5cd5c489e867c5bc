/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local virtual port (`resetlab serve --tty`, docs/serve.md#tty):
 * pyserial (Debian's python3-serial) under the preload library drives the
 * served board through a pty: one TIOCMSET is one bridge request,
 * TIOCMBIS + TIOCMBIC two, TIOCMGET gives back what was set, esptool's
 * UnixTightReset puts the DevKitC in download mode and its SYNC is
 * answered, the port's speed reaches the server; bad input: a socket path
 * too long, the server gone, a second client, garbage on the socket. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "serve_fixture.h"
#include "preload/tty_wire.h"

/* `resetlab serve --board devkitc --tty` (serve_fixture.h), and the control
 * socket its environment names. */
struct tty_server {
    struct server s;
    char socket[256];
};

static void start_tty_server(struct tty_server *sv, const char *extra)
{
    char args[512];
    snprintf(args, sizeof args, "--tty %s", extra);
    start_server(&sv->s, "devkitc", args);
    cr_assert_not_null(strstr(sv->s.tty_env, "/lib/resetlab/libresetlab-tty.so RESETLAB_TTY="), "%s", sv->s.tty_env);
    const char *s = strstr(sv->s.tty_env, "RESETLAB_TTY_SOCKET=");
    cr_assert_not_null(s);
    snprintf(sv->socket, sizeof sv->socket, "%s", s + strlen("RESETLAB_TTY_SOCKET="));
}

static int wait_server(struct tty_server *sv)
{
    int st = 0;
    cr_assert_eq(waitpid(sv->s.pid, &st, 0), sv->s.pid);
    close(sv->s.out_fd);
    return st;
}

/* SIGTERM; it must stop cleanly (exit 0: no leak, no ASan error). */
static char *stop_tty_server(struct tty_server *sv)
{
    kill(sv->s.pid, SIGTERM);
    int st = wait_server(sv);
    char *err = slurp(sv->s.err_path, NULL);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "serve ended with status %d; stderr:\n%s", st,
              err ? err : "");
    return err;
}

/* tests/tty_client.py MODE under the server's environment; its exit status. */
static int client(const struct tty_server *sv, const char *mode, const char *arg, char *out, size_t out_len,
                  char *err, size_t err_len)
{
    char script[512], cmd[4096];
    src_path("tests/tty_client.py", script, sizeof script);
    snprintf(cmd, sizeof cmd, "env %s %s %s %s %s %s", sv->s.tty_env, test_python(), script, mode, sv->s.tty,
             arg ? arg : "");
    return run_shell(cmd, out, out_len, err, err_len);
}

TestSuite(tty, .init = make_dir, .fini = drop_dir, .timeout = 30);

Test(tty, one_tiocmset_is_one_bridge_request)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "lines", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    /* TIOCMGET: both raised by the open (Linux) and pyserial, then DTR alone, then RTS alone */
    cr_assert_not_null(strstr(out, "open 6\nmset 2\nbis-bic 4\n"), "%s", out);
    usleep(600 * 1000); /* the attempt ends at rest after 300 ms of quiet */
    char *log = stop_tty_server(&sv);
    /* the OS's open (one request raising both), pyserial's two TIOCMBIS, the
     * TIOCMSET as one op, TIOCMBIS and TIOCMBIC as two, the close */
    cr_assert_not_null(strstr(log, "attempt 1  pid "), "%s", log);
    cr_assert_not_null(strstr(log, "(python3)  O D1 R1 U1,0 R1 D0 C  "), "%s", log);
    free(log);
    char path[128];
    snprintf(path, sizeof path, "%s/serve.jsonl", out_dir);
    char *jsonl = slurp(path, NULL);
    cr_assert_eq(count_of(jsonl, "{\"op\": \"U1,0\""), 1, "%s", jsonl);
    cr_assert_eq(count_of(jsonl, "{\"op\": \"O\""), 1);
    cr_assert_eq(count_of(jsonl, "{\"op\": \"C\""), 1);
    free(jsonl);
}

Test(tty, esptool_tight_reset_enters_download_and_sync_is_answered)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "tight", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    /* the ROM's SYNC answer: direction 1, command 0x08, 4 bytes of value, status 0 0 */
    cr_assert_not_null(strstr(out, "answer c00108040007071220000000"), "%s", out);
    usleep(600 * 1000);
    char *log = stop_tty_server(&sv);
    cr_assert_not_null(strstr(log, "O D1 R1 U0,0 U1,1 U0,1 U1,0 U0,0 D0 S C  → download (wanted download), SYNC answered"),
                       "%s", log);
    free(log);
}

Test(tty, the_port_speed_reaches_the_server)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "baud", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    char *log = stop_tty_server(&sv);
    cr_assert_eq(count_of(log, ": speed 921600 bit/s"), 1, "%s", log);
    cr_assert_eq(count_of(log, ": speed "), 1, "115200 is the chip's own: no change, %s", log);
    free(log);
}

Test(tty, a_socket_path_too_long_fails_the_open_in_one_line)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char longpath[160];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    char *at = strstr(sv.s.tty_env, "RESETLAB_TTY_SOCKET=");
    snprintf(at, sizeof sv.s.tty_env - (size_t)(at - sv.s.tty_env), "RESETLAB_TTY_SOCKET=%s", longpath);
    char out[1024], err[2048];
    cr_assert_neq(client(&sv, "lines", NULL, out, sizeof out, err, sizeof err), 0);
    cr_assert_not_null(strstr(err, "resetlab: tty: RESETLAB_TTY_SOCKET: 159 bytes long; a unix socket's path is at "
                                   "most 107\n"), "%s", err);
    cr_assert_not_null(strstr(err, "[Errno 5]"), "the open fails with EIO: %s", err);
    free(stop_tty_server(&sv));
}

Test(tty, the_server_gone_fails_the_ioctl_with_eio_and_one_line)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char pid[16], out[1024], err[1024];
    snprintf(pid, sizeof pid, "%d", (int)sv.s.pid);
    cr_assert_eq(client(&sv, "gone", pid, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(strstr(out, "mset errno 5\nagain errno 5\n"), "%s", out);
    cr_assert_eq(count_of(err, "resetlab: tty: "), 1, "one line however many calls fail: %s", err);
    cr_assert_not_null(strstr(err, "the resetlab server is gone"), "%s", err);
    int st = wait_server(&sv);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(tty, a_second_client_is_refused_and_the_first_keeps_the_board)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "twice", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(strstr(out, "second errno 16\nfirst still 4\n"), "EBUSY, then the owner goes on: %s", out);
    cr_assert_not_null(strstr(err, "resetlab serve: devkitc is in use by pid "), "%s", err);
    cr_assert_eq(count_of(err, "resetlab: tty: "), 1, "%s", err);
    char *log = stop_tty_server(&sv);
    cr_assert_eq(count_of(log, ": refused"), 1, "%s", log);
    free(log);
}

Test(tty, garbage_on_the_control_socket_closes_that_connection_only)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    cr_assert_lt(strlen(sv.socket), sizeof sa.sun_path);
    memcpy(sa.sun_path, sv.socket, strlen(sv.socket) + 1);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s: %s", sv.socket, strerror(errno));
    struct tty_wire_msg m;
    cr_assert_eq(recv(fd, &m, sizeof m, MSG_WAITALL), (ssize_t)sizeof m);
    cr_assert_eq(m.magic, TTY_WIRE_MAGIC);
    cr_assert_eq(m.op, TTY_OP_WELCOME);
    char junk[40] = "GET / HTTP/1.0\r\n\r\nnot the tty library";
    cr_assert_eq(send(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    char b[64];
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&pf, 1, 5000), 1);
    cr_assert_eq(recv(fd, b, sizeof b, 0), 0, "the server closes the connection");
    close(fd);
    /* and serves the next client */
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "lines", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(strstr(out, "mset 2\n"), "%s", out);
    char *log = stop_tty_server(&sv);
    cr_assert_eq(count_of(log, "closed: not a message of the tty library on the control socket"), 1, "%s", log);
    free(log);
}

Test(tty, observe_sets_up_the_port_and_the_environment_itself)
{
    skip_without_pyserial();
    char script[512], args[2048], out[8192], err[4096];
    src_path("tests/tty_client.py", script, sizeof script);
    snprintf(args, sizeof args, "observe --board devkitc --tty --out %s -- %s %s tight {port}", out_dir, test_python(),
             script);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "rc %d: %s", rc, err);
    /* the command got the pty and the library: the ROM answered its SYNC */
    cr_assert_not_null(strstr(out, "answer c00108040007071220000000"), "%s\n%s", out, err);
    cr_assert_not_null(strstr(out, "served at /dev/pts/"), "%s", out);
    /* its open, pyserial's DTR and RTS, then esptool's tight reset, each TIOCMSET one command */
    cr_assert_not_null(strstr(out, "): O|"), "%s", out);
    cr_assert_not_null(strstr(out, "|U0,0|"), "%s", out);
    cr_assert_not_null(strstr(out, "|U0,1|W0.1"), "%s", out);
    cr_assert_not_null(strstr(out, "booted download"), "%s", out);
    cr_assert_eq(count_of(out, "resets: 1\n"), 1, "%s", out);
}

/* On the USB-Serial/JTAG board the port goes by a USB name with the
 * bridge's ids in sysfs's shape: pyserial's list_ports finds 303a:1001 for
 * it, as esptool's _get_pid does, and esptool's USBJTAGSerialReset then
 * boots the chip into download mode (SYNC answered). On a UART board the
 * port stays the pty, which no listing names. */
Test(tty, a_native_usb_board_shows_its_usb_ids)
{
    skip_without_pyserial();
    char script[512], args[2048], out[8192], err[4096];
    src_path("tests/tty_client.py", script, sizeof script);
    snprintf(args, sizeof args, "observe --board esp32c3-usb --tty --out %s -- %s %s usb {port}", out_dir,
             test_python(), script);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "rc %d: %s %s", rc, out, err);
    cr_assert_not_null(strstr(out, "served at /dev/ttyACM-resetlab"), "%s", out);
    cr_assert_not_null(strstr(out, "usb 303a:1001"), "%s", out);
    cr_assert_not_null(strstr(out, "answer c00108040007071220"), "the ROM answered the SYNC: %s", out);
    char sysfs[512] = "";
    const char *at = strstr(out, "sysfs ");
    cr_assert_not_null(at, "%s", out);
    sscanf(at + 6, "%511s", sysfs);
    cr_assert_neq(access(sysfs, F_OK), 0, "serve removed its folder %s when it stopped", sysfs);
    snprintf(args, sizeof args, "observe --board devkitc --tty --out %s -- %s %s usb {port}", out_dir, test_python(),
             script);
    rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "rc %d: %s %s", rc, out, err);
    cr_assert_not_null(strstr(out, "served at /dev/pts/"), "%s", out);
    cr_assert_not_null(strstr(out, "usb none"), "%s", out);
}

Test(tty, bad_options_and_a_tmpdir_too_long_are_one_line)
{
    char args[1024], tmp[200];
    expect_bad_input("serve --board devkitc --tty --reset-replay", "resetlab: serve: --tty with --reset-replay: ");
    expect_bad_input("serve --board devkitc --tty --listen 127.0.0.1:0",
                     "resetlab: serve: --tty with --listen 127.0.0.1:0: the local port is a pty, with no address");
    /* 95 bytes of TMPDIR + /resetlab-tty-XXXXXX/control (28) > 107 */
    memset(tmp, 'x', 95);
    tmp[0] = '/';
    tmp[95] = '\0';
    snprintf(args, sizeof args, "serve --board devkitc --tty --out %s", out_dir);
    char cmd[2048], out[1024], err[1024];
    snprintf(cmd, sizeof cmd, "cd %s && TMPDIR=%s %s %s", RESETLAB_SOURCE_DIR, tmp, getenv("RESETLAB_BIN"), args);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 2, "%s", err);
    cr_assert_eq(count_of(err, "\n"), 1, "%s", err);
    cr_assert_not_null(strstr(err, "resetlab: serve: --tty: TMPDIR /xxx"), "%s", err);
    cr_assert_not_null(strstr(err, "too long for the control socket's path (at most 107 bytes"), "%s", err);
    snprintf(cmd, sizeof cmd, "cd %s && TMPDIR=%s %s observe --board devkitc --tty --out %s -- true", RESETLAB_SOURCE_DIR,
             tmp, getenv("RESETLAB_BIN"), out_dir);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 2, "%s", err);
    cr_assert_not_null(strstr(err, "resetlab: observe: --tty: TMPDIR /xxx"), "%s", err);
}

Test(tty, an_idle_owner_loses_the_board_and_its_next_call_fails_with_eio)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "--idle-timeout 0.5");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "idle", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(strstr(out, "mset errno 5\n"), "%s", out);
    cr_assert_not_null(strstr(err, "closed this port's connection (serve's --idle-timeout)"), "%s", err);
    char *log = stop_tty_server(&sv);
    cr_assert_eq(count_of(log, ": closed: idle for 0.5 s"), 1, "%s", log);
    /* the port's close as the OS makes it, when the server let the tool go
     * (an attempt of its own: 300 ms of quiet came first) */
    cr_assert_not_null(strstr(log, "(python3)  O D1 R1  → "), "%s", log);
    cr_assert_not_null(strstr(log, "attempt 2  pid "), "%s", log);
    cr_assert_not_null(strstr(log, "(python3)  C  → "), "%s", log);
    free(log);
}

Test(tty, a_tool_that_dies_with_the_port_open_closes_it_as_the_os_would)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "die", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    usleep(600 * 1000);
    char *log = stop_tty_server(&sv);
    /* the kernel closes its fds at exit: the socket's end is the port's close, HUPCL's U0,0 on Linux */
    cr_assert_not_null(strstr(log, "(python3)  O D1 R1 U1,0 C  → "), "%s", log);
    cr_assert_eq(count_of(log, "attempt "), 1, "%s", log);
    free(log);
}

Test(tty, another_pty_is_left_to_linux)
{
    skip_without_pyserial();
    struct tty_server sv;
    start_tty_server(&sv, "");
    char out[1024], err[1024];
    cr_assert_eq(client(&sv, "other", NULL, out, sizeof out, err, sizeof err), 0, "%s", err);
    /* pyserial's open applies DTR with TIOCMBIS: a pty says ENOTTY (25), as without the library */
    cr_assert_not_null(strstr(out, "other errno 25\n"), "%s", out);
    cr_assert_eq(count_of(err, "resetlab"), 0, "%s", err);
    char *log = stop_tty_server(&sv);
    cr_assert_eq(count_of(log, "connected"), 0, "the server never heard of it: %s", log);
    free(log);
}
