/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The RFC 2217 client port against real peers: pyserial's own server
 * (serial.rfc2217.PortManager over loop://, tests/rfc2217_peer.py) and
 * scripted servers that never agree, never answer SET-CONTROL, answer the
 * wrong value or hang up. The peer logs each DTR/RTS change with
 * time.monotonic_ns(), the same clock as ours, so the gap between the two
 * changes of one U step is measured where they are applied. Skipped when
 * Debian's python3-serial is not installed. */
#include "harness/port/port_rfc2217.h"
#include "harness/port/port_serial.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct peer {
    pid_t pid;
    int out_fd;
    int port;
    char log[256];
    char url[64];
};

static int read_port_line(int fd)
{
    char line[64] = "";
    size_t n = 0;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    while (n + 1 < sizeof line && poll(&pf, 1, 10000) == 1) {
        if (read(fd, line + n, 1) != 1 || line[n] == '\n')
            break;
        n++;
    }
    int port = 0;
    return sscanf(line, "port %d", &port) == 1 ? port : -1;
}

static void start_peer(struct peer *pe, const char *mode)
{
    skip_without_pyserial();
    char script[512];
    src_path("tests/rfc2217_peer.py", script, sizeof script);
    snprintf(pe->log, sizeof pe->log, "/tmp/resetlab-rfc2217-peer-XXXXXX");
    int lfd = mkstemp(pe->log);
    cr_assert_geq(lfd, 0);
    close(lfd);
    int out[2];
    cr_assert_eq(pipe(out), 0);
    pe->pid = fork();
    cr_assert_geq(pe->pid, 0);
    if (pe->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed assertion ends the worker: the peer goes too */
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execlp(test_python(), test_python(), script, mode, pe->log, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    pe->out_fd = out[0];
    pe->port = read_port_line(pe->out_fd);
    cr_assert_gt(pe->port, 0, "the peer (%s %s) printed no port", test_python(), script);
    snprintf(pe->url, sizeof pe->url, "rfc2217://127.0.0.1:%d", pe->port);
}

static void stop_peer(struct peer *pe)
{
    kill(pe->pid, SIGTERM);
    waitpid(pe->pid, NULL, 0);
    close(pe->out_fd);
    unlink(pe->log);
}

/* ---- the peer's log: "<ns> WHAT" lines ---------------------------------- */

#define MAX_LINES 256
struct log_line {
    long long ns;
    char what[200];
};

static int read_log(const struct peer *pe, struct log_line *lines)
{
    FILE *f = fopen(pe->log, "r");
    cr_assert_not_null(f);
    int n = 0;
    while (n < MAX_LINES && fscanf(f, "%lld %199[^\n]", &lines[n].ns, lines[n].what) == 2)
        n++;
    fclose(f);
    return n;
}

/* The index of the first line from `from` on that says `what`, or -1. */
static int find_line(const struct log_line *lines, int n, int from, const char *what)
{
    for (int i = from; i < n; i++)
        if (strcmp(lines[i].what, what) == 0)
            return i;
    return -1;
}

/* Waits (up to 2 s) until the log has a line `what` after `from`. */
static int wait_line(const struct peer *pe, struct log_line *lines, int from, const char *what)
{
    for (int tries = 0; tries < 200; tries++) {
        int n = read_log(pe, lines);
        int at = find_line(lines, n, from, what);
        if (at >= 0)
            return at;
        usleep(10000);
    }
    cr_assert_fail("the peer never logged '%s'", what);
    return -1;
}

static struct port *new_port(const struct peer *pe)
{
    char err[300];
    struct port *p = port_rfc2217_new(pe->url, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    return p;
}

/* ---- against pyserial's PortManager ------------------------------------- */

Test(port_rfc2217, portmanager_lines_and_data)
{
    struct peer pe;
    start_peer(&pe, "portmanager");
    struct port *p = new_port(&pe);
    struct log_line *lines = calloc(MAX_LINES, sizeof *lines);

    int64_t t0 = serial_now_ns();
    cr_assert_eq(p->ops->open(p, 0), 0, "%s", p->ops->error(p));
    double open_ms = (double)(serial_now_ns() - t0) / 1e6;
    int at = wait_line(&pe, lines, 0, "BAUD 115200");
    at = wait_line(&pe, lines, at, "DTR 1");
    wait_line(&pe, lines, at, "RTS 1");

    cr_assert_eq(p->ops->set_lines(p, 0, 1), 0, "%s", p->ops->error(p));
    int d0 = wait_line(&pe, lines, at, "DTR 0");
    int r1 = wait_line(&pe, lines, d0, "RTS 1");

    int64_t u_sent = serial_now_ns();
    cr_assert_eq(p->ops->set_lines(p, 1, 0), 0, "%s", p->ops->error(p));
    double u_call_ms = (double)(serial_now_ns() - u_sent) / 1e6;
    int d1 = wait_line(&pe, lines, r1, "DTR 1");
    int r0 = wait_line(&pe, lines, d1, "RTS 0");
    double gap_ms = (double)(lines[r0].ns - lines[d1].ns) / 1e6;
    double latency_ms = (double)(lines[d1].ns - u_sent) / 1e6;
    cr_log_info("rfc2217 vs PortManager: open %.2f ms; U(1,0) call %.2f ms, DTR applied %.2f ms after the send, "
                "RTS %.3f ms after DTR",
                open_ms, u_call_ms, latency_ms, gap_ms);
    fprintf(stderr,
            "rfc2217 vs PortManager: open %.2f ms; U(1,0) call %.2f ms, DTR applied %.2f ms after the send, "
            "RTS %.3f ms after DTR\n",
            open_ms, u_call_ms, latency_ms, gap_ms);
    /* pyserial's own client takes >= 50 ms per change; one send keeps
     * both within the server's processing time of one command. */
    cr_assert_lt(gap_ms, 5.0, "the two changes of U arrived %.3f ms apart", gap_ms);

    cr_assert_eq(p->ops->set_lines(p, -1, 1), 0, "%s", p->ops->error(p));
    int r_only = wait_line(&pe, lines, r0, "RTS 1");
    cr_assert_eq(find_line(lines, read_log(&pe, lines), r0, "DTR 1"), -1, "a single line leaves the other alone");
    (void)r_only;

    static const uint8_t bytes[] = {'a', 0xFF, 'b', 0xFF, 0xFF, 0x00};
    cr_assert_eq(p->ops->write(p, bytes, sizeof bytes), 0, "%s", p->ops->error(p));
    wait_line(&pe, lines, r0, "DATA 61ff62ffff00");
    uint8_t back[16];
    long n = port_rfc2217_read(p, back, sizeof back, sizeof bytes, 2000);
    cr_assert_eq(n, (long)sizeof bytes, "read back %ld bytes: %s", n, p->ops->error(p));
    cr_assert_arr_eq(back, bytes, sizeof bytes, "the echo differs: 0xFF not intact");

    cr_assert_eq(p->ops->close(p), 0);
    cr_assert_neq(p->ops->set_lines(p, 1, 1), 0);
    cr_assert_not_null(strstr(p->ops->error(p), "on a closed port"), "%s", p->ops->error(p));
    port_rfc2217_free(p);
    free(lines);
    stop_peer(&pe);
}

Test(port_rfc2217, open_lowered_sends_both_released_and_reopens)
{
    struct peer pe;
    start_peer(&pe, "portmanager");
    struct port *p = new_port(&pe);
    struct log_line *lines = calloc(MAX_LINES, sizeof *lines);
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(p->ops->open(p, 1), 0, "round %d: %s", round, p->ops->error(p));
        cr_assert_eq(p->ops->close(p), 0);
        wait_line(&pe, lines, 0, "DISCONNECT");
        int n = read_log(&pe, lines);
        /* loop:// raises its own DTR when the server opens it; our commands follow the baud */
        int baud = find_line(lines, n, 0, "BAUD 115200");
        cr_assert_geq(baud, 0);
        cr_assert_geq(find_line(lines, n, baud, "DTR 0"), 0);
        cr_assert_geq(find_line(lines, n, baud, "RTS 0"), 0);
        cr_assert_eq(find_line(lines, n, baud, "DTR 1"), -1, "O0 never asserts DTR");
        cr_assert_eq(truncate(pe.log, 0), 0);
    }
    port_rfc2217_free(p);
    free(lines);
    stop_peer(&pe);
}

/* ---- failures: one line each, and no hang ------------------------------- */

static void assert_one_line(const char *err)
{
    cr_assert_null(strchr(err, '\n'), "more than one line: \"%s\"", err);
}

Test(port_rfc2217, connection_refused)
{
    char err[300];
    struct port *p = port_rfc2217_new("rfc2217://127.0.0.1:1", err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(p->ops->open(p, 0), -1);
    cr_assert_str_eq(p->ops->error(p), "rfc2217://127.0.0.1:1: connect: Connection refused");
    cr_assert_eq(p->ops->set_lines(p, 1, 1), -1, "a failed open leaves the port closed");
    port_rfc2217_free(p);
}

Test(port_rfc2217, bad_url_is_refused_at_creation)
{
    char err[300];
    cr_assert_null(port_rfc2217_new("rfc2217://nohost", err, sizeof err));
    cr_assert_str_eq(err, "port 'rfc2217://nohost': no :PORT after the host; expected rfc2217://HOST:PORT");
}

/* Opens against a scripted peer, expecting failure with `want` after about
 * one timeout. */
static void expect_open_error(const char *mode, const char *want_suffix)
{
    struct peer pe;
    start_peer(&pe, mode);
    struct port *p = new_port(&pe);
    int64_t t0 = serial_now_ns();
    cr_assert_eq(p->ops->open(p, 0), -1, "open succeeded against '%s'", mode);
    double ms = (double)(serial_now_ns() - t0) / 1e6;
    char want[300];
    snprintf(want, sizeof want, "%s: %s", pe.url, want_suffix);
    cr_assert_str_eq(p->ops->error(p), want);
    assert_one_line(p->ops->error(p));
    cr_assert_lt(ms, R2217_TIMEOUT_MS + 1000.0, "took %.0f ms", ms);
    port_rfc2217_free(p);
    stop_peer(&pe);
}

Test(port_rfc2217, server_that_never_agrees)
{
    expect_open_error("no-agree", "the server did not agree to RFC 2217 (COM-PORT-OPTION) within 1000 ms");
}

Test(port_rfc2217, server_that_ignores_set_control)
{
    expect_open_error("no-control", "no answer to SET-CONTROL DTR on within 1000 ms");
}

Test(port_rfc2217, answer_with_the_wrong_value_is_not_success)
{
    expect_open_error("wrong-value", "no answer to SET-CONTROL RTS on within 1000 ms (the server answered 8 instead)");
}

Test(port_rfc2217, server_that_hangs_up)
{
    expect_open_error("hang-up", "the server closed the connection");
}

Test(port_rfc2217, real_port_helpers_choose_the_backend)
{
    char err[300];
    struct port *p = port_real_new("rfc2217://127.0.0.1:2217", NULL, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(p->ops, &port_rfc2217_ops);
    port_real_close_if_open(p);
    port_real_free(p);
}

/* ---- `resetlab run` on an rfc2217:// board, stopped by SIGTERM ----------
 * A board behind pyserial's server with the demo driver as its analyzer,
 * 3 runs of a scenario with a 2 s wait. SIGTERM 200 ms into run 2's wait:
 * the run stops there, RTS then DTR are released over the connection
 * before it closes, resetlab exits 143 at once with run 1 kept and run 2
 * not recorded; `run --resume` then makes runs 2 and 3. */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* A lab of the shipped boards plus `remote` at `url`, and a scenarios
 * folder holding only `long-wait`. */
static void write_remote_lab(const char *dir, const char *url)
{
    char path[512], *text = shipped_lab_with_real_board("remote", url);
    snprintf(path, sizeof path, "%s/boards.yaml", dir);
    write_text(path, text);
    free(text);
    snprintf(path, sizeof path, "%s/scenarios", dir);
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/scenarios/long-wait.yaml", dir);
    write_text(path, "name: long-wait\norigin: \"a test: EN held low for 2 s\"\nexpect: flash\nos: [linux]\n"
                     "sequence: \"O|U0,1|W2|U1,0|C\"\n");
}

/* Waits (up to 20 s) for the peer's log to show run 2 in its wait: the
 * second open's BAUD line, then U0,1's DTR 0. Returns that line's index. */
static int wait_for_run2s_wait(const struct peer *pe, struct log_line *lines)
{
    for (int tries = 0; tries < 2000; tries++) {
        int n = read_log(pe, lines);
        int first = find_line(lines, n, 0, "BAUD 115200");
        int second = first < 0 ? -1 : find_line(lines, n, first + 1, "BAUD 115200");
        int dtr0 = second < 0 ? -1 : find_line(lines, n, second, "DTR 0");
        if (dtr0 >= 0)
            return dtr0;
        usleep(10000);
    }
    cr_assert_fail("run 2 never reached its wait");
    return -1;
}

Test(port_rfc2217, sigterm_mid_wait_exits_143_without_the_cut_run_and_resume_makes_it, .timeout = 60)
{
    struct peer pe;
    start_peer(&pe, "portmanager");
    char dir[] = "/tmp/resetlab-r2217-stop-XXXXXX", cmd[2048], args[1024], out[8192], err[4096];
    cr_assert_not_null(mkdtemp(dir));
    write_remote_lab(dir, pe.url);
    snprintf(args, sizeof args, "--boards %s/boards.yaml --scenarios %s/scenarios --board remote --iterations 3 --jsonl --out %s/out",
             dir, dir, dir);
    snprintf(cmd, sizeof cmd, "exec %s run %s >/dev/null 2>%s/run.err", getenv("RESETLAB_BIN"), args, dir);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    struct log_line *lines = calloc(MAX_LINES, sizeof *lines);
    int in_wait = wait_for_run2s_wait(&pe, lines);
    usleep(200 * 1000);
    int64_t t_signal = serial_now_ns();
    kill(child, SIGTERM);
    int status;
    waitpid(child, &status, 0);
    double exit_ms = (double)(serial_now_ns() - t_signal) / 1e6;
    fprintf(stderr, "rfc2217: resetlab run exited %.1f ms after SIGTERM\n", exit_ms);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 143, "status %#x", status);
    cr_expect_lt(exit_ms, 1500.0, "exited %.1f ms after SIGTERM, the wait was 2000 ms", exit_ms);
    /* run 2 after its U0,1: RTS released, then DTR, then the connection closed; never U1,0 */
    int rts0 = wait_line(&pe, lines, in_wait, "RTS 0");
    int dtr0 = wait_line(&pe, lines, rts0, "DTR 0");
    wait_line(&pe, lines, dtr0, "DISCONNECT");
    cr_expect_eq(find_line(lines, read_log(&pe, lines), in_wait, "DTR 1"), -1, "run 2 went on past its wait");
    char path[600];
    snprintf(path, sizeof path, "%s/run.err", dir);
    char *text = slurp(path, NULL);
    cr_expect(text && strstr(text, "resetlab: interrupted: 1 runs are in "), "stderr: %s", text ? text : "(none)");
    free(text);
    snprintf(path, sizeof path, "%s/out/runs.jsonl", dir);
    text = slurp(path, NULL);
    cr_assert_not_null(text);
    cr_expect_eq(count_of(text, "\n"), 1, "runs.jsonl after the stop:\n%s", text);
    free(text);
    snprintf(args, sizeof args, "run --resume --out %s/out", dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    stop_peer(&pe);
    cr_assert_eq(rc, 1, "--resume exited %d: %s", rc, err); /* the demo's lines never move: the cell fails */
    text = slurp(path, NULL);
    cr_assert_not_null(text);
    cr_expect(count_of(text, "\n") == 3 && strstr(text, "\"iteration\": 1") && strstr(text, "\"iteration\": 2"),
              "runs.jsonl after --resume:\n%s", text);
    free(text);
    free(lines);
    remove_tree(dir);
}
