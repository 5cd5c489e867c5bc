/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile peers against `resetlab serve` (issue 18): what one client does
 * costs it, not the server. A megabyte of malformed telnet gives a log of
 * kilobytes; a disk that refuses the log stops the log, not the server;
 * every command read is answered; an owner that does not drive the board
 * is closed after --idle-timeout; a flood of line changes keeps at most
 * --keep-captures captures (and --captures-max-mb). The server runs as the
 * resetlab binary and must exit 0 on SIGTERM (ASan's leak check). */
#define _GNU_SOURCE /* memmem */
#include "harness/port/port_rfc2217.h"
#include "harness/port/port_rfc2217_codec.h"
#include "harness/serve/serve_budget.h"
#include "helpers.h"
#include "serve_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

TestSuite(serve_hostile, .init = make_dir, .fini = drop_dir, .timeout = 90);

/* serve_fixture's server, where no file it writes may grow past fsize
 * bytes (a full disk, as test_store makes one): the limit is inherited at
 * fork, and this process's own restored at once. */
static void start_limited_server(struct server *sv, const char *extra, long fsize)
{
    struct rlimit was;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &(struct rlimit){(rlim_t)fsize, was.rlim_max}), 0);
    start_server(sv, "devkitc", extra);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
}

static char *read_file(const char *name, size_t *len)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    char *text = slurp(path, len);
    cr_assert_not_null(text, "%s", path);
    return text;
}

/* ---- peers ------------------------------------------------------------------ */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    return fd;
}

/* Reads what comes within timeout_ms (until EOF, or cap); the bytes read,
 * and in *eof whether the server closed. */
static size_t read_for(int fd, uint8_t *buf, size_t cap, int timeout_ms, int *eof)
{
    size_t n = 0;
    *eof = 0;
    for (int64_t until = mono_ms() + timeout_ms; n < cap;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int left = (int)(until - mono_ms());
        if (left <= 0 || poll(&pf, 1, left) != 1)
            break;
        ssize_t k = read(fd, buf + n, cap - n);
        if (k <= 0) {
            *eof = 1;
            break;
        }
        n += (size_t)k;
    }
    return n;
}

/* The owner's greeting: IAC DO COM-PORT-OPTION first. */
static void expect_greeting(int fd)
{
    uint8_t b[64];
    int eof;
    size_t n = read_for(fd, b, 9, 2000, &eof);
    cr_assert(n >= 3 && memcmp(b, "\xff\xfd\x2c", 3) == 0, "greeted with DO COM-PORT-OPTION (%zu bytes: %.*s)", n,
              (int)n, (const char *)b);
}

static size_t put_control(uint8_t *out, uint8_t value)
{
    return r2217_encode_control(value, out, R2217_COMMAND_MAX);
}

/* Our client: EN low, then released with IO0 low; 1 when the banner says
 * DOWNLOAD_BOOT: the board is served. */
static int served_download(const char *url)
{
    char err[700], rx[1024] = "";
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
    for (int64_t until = mono_ms() + 2000; strstr(rx, "waiting for download") == NULL && mono_ms() < until;) {
        long k = port_rfc2217_read(p, (uint8_t *)rx + got, sizeof rx - 1 - (size_t)got, 1, 200);
        if (k > 0)
            got += k;
        rx[got] = '\0';
    }
    cr_assert_eq(o->close(p), 0);
    port_rfc2217_free(p);
    return strstr(rx, "DOWNLOAD_BOOT") != NULL;
}

/* The sum of the "count" of the log's "suppressed" lines of `of`. */
static long suppressed(const char *log, const char *of)
{
    char want[64];
    snprintf(want, sizeof want, "\"of\": \"%s\"", of);
    long sum = 0;
    for (const char *l = log; (l = strstr(l, "{\"event\": \"suppressed\", \"count\": ")) != NULL; l++) {
        const char *end = strchr(l, '\n');
        if (end && memmem(l, (size_t)(end - l), want, strlen(want)))
            sum += strtol(l + strlen("{\"event\": \"suppressed\", \"count\": "), NULL, 10);
    }
    return sum;
}

/* Sends cmds[0..len) while reading what comes back, until n SET-CONTROL
 * answers have come (or 20 s, or EOF); returns how many came, and in
 * *wrong the first whose value is not want[i] (want may be NULL). */
static int exchange(int fd, const uint8_t *cmds, size_t len, int n, const uint32_t *want, int *wrong)
{
    fcntl(fd, F_SETFL, O_NONBLOCK);
    struct r2217 codec;
    r2217_init(&codec);
    int answers = 0, eof = 0;
    size_t sent = 0;
    *wrong = -1;
    for (int64_t until = mono_ms() + 20000; answers < n && !eof && mono_ms() < until;) {
        struct pollfd pf = {.fd = fd, .events = (short)(POLLIN | (sent < len ? POLLOUT : 0))};
        if (poll(&pf, 1, 200) < 1)
            continue;
        if (pf.revents & POLLOUT) {
            ssize_t k = send(fd, cmds + sent, len - sent, MSG_NOSIGNAL);
            sent += k > 0 ? (size_t)k : 0;
        }
        uint8_t in[8192], data[8192];
        ssize_t got = (pf.revents & (POLLIN | POLLHUP)) ? read(fd, in, sizeof in) : -1;
        eof = got == 0;
        for (size_t off = 0; got > 0 && off < (size_t)got;) {
            struct r2217_event ev;
            size_t dlen = 0;
            off += r2217_feed(&codec, in + off, (size_t)got - off, data, sizeof data, &dlen, &ev);
            if (ev.kind == R2217_EV_ANSWER && ev.command == R2217_SET_CONTROL) {
                if (want != NULL && *wrong < 0 && answers < n && ev.value != want[answers])
                    *wrong = answers;
                answers++;
            }
        }
    }
    cr_assert_eq(sent, len, "the commands went out");
    return answers;
}

/* ---- a megabyte of IAC SE ------------------------------------------------- */

/* Issue 18, item 1: every IAC SE outside a subnegotiation was a JSON line
 * and a stderr line, flushed: 1 MB in gave 26 MB of serve.jsonl and 12 MB
 * of stderr. Now a connection logs 20 protocol errors and counts the rest
 * (524,288 - 20) in a "suppressed" line when it ends; the next client is
 * served. */
Test(serve_hostile, a_megabyte_of_iac_se_costs_the_log_kilobytes)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    int fd = connect_to(sv.port);
    expect_greeting(fd);
    enum { PAIRS = 512 * 1024 };
    uint8_t *flood = malloc(2 * PAIRS);
    for (size_t i = 0; i < PAIRS; i++)
        flood[2 * i] = TELNET_IAC, flood[2 * i + 1] = TELNET_SE;
    for (size_t sent = 0; sent < 2 * PAIRS;) {
        ssize_t k = send(fd, flood + sent, 2 * PAIRS - sent, MSG_NOSIGNAL);
        cr_assert_gt(k, 0, "send: %s", strerror(errno));
        sent += (size_t)k;
    }
    free(flood);
    shutdown(fd, SHUT_WR);
    uint8_t junk[4096];
    int eof = 0;
    read_for(fd, junk, sizeof junk, 20000, &eof);
    cr_assert(eof, "the server read the whole flood and closed within 20 s");
    close(fd);
    cr_assert(served_download(sv.url), "a well-behaved client is served after the flood");
    usleep(600 * 1000);
    stop_server(&sv);

    size_t log_len = 0, err_len = 0;
    char *log = read_file("serve.jsonl", &log_len), *err = read_file("stderr.txt", &err_len);
    cr_assert_lt(log_len, 16384, "serve.jsonl: %zu bytes for 1 MB of IAC SE", log_len);
    cr_assert_lt(err_len, 16384, "stderr: %zu bytes for 1 MB of IAC SE", err_len);
    cr_assert_eq(count_of(log, "{\"event\": \"IAC SE outside a subnegotiation\""), SERVE_PROTOCOL_BURST);
    cr_assert_eq(suppressed(log, "protocol errors") + suppressed(log, "events"), PAIRS - SERVE_PROTOCOL_BURST,
                 "every IAC SE is logged or counted: %s", log);
    cr_assert(strstr(err, " protocol errors suppressed") != NULL, "%s", err);
    cr_assert(strstr(log, "\"outcome\": \"download\"") != NULL, "the next client's attempt is logged");
    free(log);
    free(err);
}

/* ---- a full disk ------------------------------------------------------------ */

/* Connects, pulls EN low and lets it go (one attempt), leaves. */
static void reset_and_leave(int port)
{
    uint8_t b[4 * R2217_COMMAND_MAX];
    size_t n = put_control(b, R2217_RTS_ON);
    n += put_control(b + n, R2217_RTS_OFF);
    int fd = connect_to(port);
    cr_assert_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
    usleep(30 * 1000);
    close(fd);
    usleep(100 * 1000);
}

/* Issue 18, item 1: when serve.jsonl could not be written the server
 * exited 1 and the file ended in half a line. Here no file may pass 16 KiB
 * (RLIMIT_FSIZE: the write is cut short, then EFBIG, as on a full disk):
 * the log stops with one line on stderr and ends on a whole line, and the
 * server goes on serving and exits 0. */
Test(serve_hostile, a_full_disk_stops_the_log_and_serving_goes_on)
{
    enum { LIMIT = 16384 };
    struct server sv;
    start_limited_server(&sv, "--attempt-gap-ms 50", LIMIT);
    for (int i = 0; i < 24; i++)
        reset_and_leave(sv.port);
    cr_assert(served_download(sv.url), "still serving once the log stopped");
    usleep(300 * 1000);
    stop_server(&sv);

    size_t len = 0;
    char *log = read_file("serve.jsonl", &len), *err = read_file("stderr.txt", NULL);
    cr_assert(strstr(err, "serve.jsonl: write failed (File too large): logging stopped; still serving") != NULL,
              "%s", err);
    cr_assert_eq(count_of(err, "logging stopped"), 1, "said once: %s", err);
    cr_assert(len > LIMIT / 2 && len <= LIMIT, "the log was filled: %zu bytes", len);
    cr_assert_eq(log[len - 1], '\n', "the log ends on a whole line");
    int lines = 0;
    for (char *save = NULL, *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save), lines++)
        cr_assert(l[0] == '{' && l[strlen(l) - 1] == '}', "line %d is whole: %s", lines + 1, l);
    cr_assert_geq(lines, 5);
    free(log);
    free(err);
}

/* ---- every command answered -------------------------------------------------- */

/* Issue 18, item 13: 64 answers waited at most, and the rest were dropped
 * (of 30,000 commands in one write, 3,328 were answered). Now the client's
 * input waits while 64 do: 30,000 SET-CONTROLs, one in 50 a DTR change
 * and the rest DTR/RTS queries, get 30,000 answers, in order. */
Test(serve_hostile, thirty_thousand_commands_get_thirty_thousand_answers)
{
    enum { N = 30000 };
    struct server sv;
    start_server(&sv, "devkitc", "");
    uint8_t *cmds = malloc((size_t)N * R2217_COMMAND_MAX);
    uint32_t *want = malloc(N * sizeof *want);
    size_t len = 0;
    int dtr = 0, rts = 0;
    for (int i = 0; i < N; i++) {
        uint8_t v;
        if (i % 50 == 0)
            v = dtr ? R2217_DTR_OFF : R2217_DTR_ON, dtr = !dtr, want[i] = v;
        else if (i % 2)
            v = R2217_DTR_REQUEST, want[i] = dtr ? R2217_DTR_ON : R2217_DTR_OFF;
        else
            v = R2217_RTS_REQUEST, want[i] = rts ? R2217_RTS_ON : R2217_RTS_OFF;
        len += put_control(cmds + len, v);
    }
    int fd = connect_to(sv.port), wrong = -1;
    int answers = exchange(fd, cmds, len, N, want, &wrong);
    close(fd);
    cr_assert_eq(answers, N, "every command is answered: %d of %d", answers, N);
    cr_assert_eq(wrong, -1, "answer %d is not its command's", wrong);
    free(cmds);
    free(want);
    usleep(500 * 1000);
    stop_server(&sv);
}

/* ---- an idle owner ------------------------------------------------------------ */

/* Issue 18, item 20: a client trickling bytes held the board for ever
 * while others were refused. With --idle-timeout 1, one that sends only
 * NOPs, junk between frames, queries and malformed telnet, five times a
 * second, is closed after 1 s and the next client gets the board; one
 * that changes a line every 300 ms is not closed. */
Test(serve_hostile, an_idle_owner_is_closed_and_the_board_freed)
{
    struct server sv;
    start_server(&sv, "devkitc", "--idle-timeout 1");
    int a = connect_to(sv.port);
    expect_greeting(a);
    int64_t t0 = mono_ms(), closed_at = -1;
    uint8_t trickle[32] = {TELNET_IAC, TELNET_NOP, 'x', TELNET_IAC, TELNET_SE};
    size_t n = 5 + put_control(trickle + 5, R2217_DTR_REQUEST);
    while (closed_at < 0 && mono_ms() - t0 < 5000) {
        send(a, trickle, n, MSG_NOSIGNAL);
        uint8_t junk[512];
        int eof;
        read_for(a, junk, sizeof junk, 200, &eof);
        if (eof)
            closed_at = mono_ms();
    }
    close(a);
    cr_assert_geq(closed_at, 0, "the trickling client was not closed within 5 s");
    double held = (double)(closed_at - t0) / 1000;
    cr_assert(held >= 0.9 && held < 2.5, "closed after %.2f s of no driving (--idle-timeout 1)", held);

    int b = connect_to(sv.port);
    expect_greeting(b);
    for (int i = 0; i < 8; i++) { /* 2.4 s, a line change every 300 ms */
        uint8_t cmd[R2217_COMMAND_MAX], in[512];
        size_t k = put_control(cmd, i % 2 ? R2217_DTR_OFF : R2217_DTR_ON);
        cr_assert_eq(send(b, cmd, k, MSG_NOSIGNAL), (ssize_t)k, "the driving client is still served at %d", i);
        int eof;
        read_for(b, in, sizeof in, 300, &eof);
        cr_assert(!eof, "a client changing a line every 300 ms was closed at %.1f s", i * 0.3);
    }
    close(b);
    usleep(400 * 1000);
    stop_server(&sv);
    char *log = read_file("serve.jsonl", NULL);
    cr_assert_eq(count_of(log, "\"event\": \"closed: idle for 1 s"), 1, "%s", log);
    free(log);
}

/* ---- captures kept ---------------------------------------------------------------- */

static int count_captures(long *bytes)
{
    char path[160];
    snprintf(path, sizeof path, "%s/captures", out_dir);
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    int n = 0;
    *bytes = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strstr(e->d_name, ".sr") == NULL)
            continue;
        struct stat st;
        char file[512];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        if (stat(file, &st) == 0)
            *bytes += st.st_size, n++;
    }
    closedir(d);
    return n;
}

/* Issue 18, item 6: every attempt's capture was kept (10,000 line changes
 * a second for 10 s made 887 files). 2,000 DTR changes in one write make
 * about 18 attempts (each cut at the 112 ops an attempt holds); with
 * --keep-captures 5, 5 captures stay and each newer attempt's line names
 * the one it rotated out. */
Test(serve_hostile, a_line_flood_keeps_at_most_the_captures_asked)
{
    enum { N = 2000, KEEP = 5 };
    struct server sv;
    start_server(&sv, "devkitc", "--keep-captures 5 --attempt-gap-ms 50");
    uint8_t *cmds = malloc((size_t)N * R2217_COMMAND_MAX);
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += put_control(cmds + len, i % 2 ? R2217_DTR_OFF : R2217_DTR_ON);
    int fd = connect_to(sv.port), wrong;
    cr_assert_eq(exchange(fd, cmds, len, N, NULL, &wrong), N, "all applied");
    free(cmds);
    close(fd);
    usleep(400 * 1000);
    stop_server(&sv);

    long bytes = 0;
    int kept = count_captures(&bytes);
    char *log = read_file("serve.jsonl", NULL);
    int attempts = count_of(log, "{\"attempt\": ");
    cr_assert_geq(attempts, 15, "the flood made attempts: %d", attempts);
    cr_assert_eq(kept, KEEP, "%d captures kept of %d attempts", kept, attempts);
    cr_assert_eq(count_of(log, "\"rotated_out\": ["), attempts - KEEP, "each newer attempt names the one it rotated");
    cr_assert(strstr(log, "\"rotated_out\": [1]") != NULL, "attempt 1's capture went first");
    free(log);
}

/* The byte cap, on the rotation itself: ten 300 KiB captures against
 * 1 MiB keep the newest three, the oldest deleted first. */
Test(serve_hostile, captures_rotate_out_by_bytes_oldest_first)
{
    char path[200];
    snprintf(path, sizeof path, "%s/captures", out_dir);
    cr_assert_eq(mkdir(path, 0777), 0);
    struct serve_budget_captures c;
    serve_budget_captures_init(&c, out_dir, 1000, 1 << 20);
    static char blob[300 << 10];
    int order = 0, rotated[16];
    for (int i = 1; i <= 10; i++) {
        snprintf(path, sizeof path, "%s/captures/attempt-%04d.sr", out_dir, i);
        FILE *f = fopen(path, "wb");
        cr_assert_eq(fwrite(blob, 1, sizeof blob, f), sizeof blob);
        fclose(f);
        int n = serve_budget_captures_add(&c, i, rotated, 16);
        for (int k = 0; k < n; k++)
            cr_assert_eq(rotated[k], ++order, "oldest first");
        cr_assert_leq(c.bytes, 1 << 20);
    }
    serve_budget_captures_free(&c);
    long bytes = 0;
    cr_assert_eq(count_captures(&bytes), 3);
    cr_assert_eq(bytes, 3 * (long)sizeof blob);
    cr_assert_eq(order, 7);
}

/* ---- options ------------------------------------------------------------------------ */

/* `resetlab serve --board devkitc --listen 127.0.0.1:0 ARGS` exits 2 with
 * one line holding `want`, within 10 s (a server that took the option
 * would serve on). */
static void expect_refused(const char *args, const char *want)
{
    char cmd[1024], out[1024], err[1024];
    snprintf(cmd, sizeof cmd, "cd %s && exec timeout 10 %s serve --board devkitc --listen 127.0.0.1:0 %s",
             out_dir, getenv("RESETLAB_BIN"), args);
    int rc = run_shell(cmd, out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 2, "serve %s: exit %d, stderr %s", args, rc, err);
    cr_expect_eq(count_of(err, "\n"), 1, "serve %s: one line: %s", args, err);
    cr_expect(strstr(err, want) != NULL, "serve %s: '%s' lacks '%s'", args, err, want);
}

/* Issue 18, items 9 and 19: --out "" aimed at /captures and /serve.jsonl
 * and served; --out FILE exited 1. */
Test(serve_hostile, bad_options_are_one_line_and_status_2)
{
    cr_assert_not_null(getenv("RESETLAB_BIN"));
    char args[512], file[160], longer[600];
    expect_refused("--out ''", "resetlab: serve: --out is empty");
    snprintf(file, sizeof file, "%s/a-file", out_dir);
    fclose(fopen(file, "w"));
    snprintf(args, sizeof args, "--out %s", file);
    expect_refused(args, "is a file, not a folder");
    snprintf(args, sizeof args, "--out %s/sub", file);
    expect_refused(args, "a part of it is a file");
    memset(longer, 'a', sizeof longer);
    snprintf(args, sizeof args, "--out %.*s", SERVE_OUT_MAX + 1, longer);
    expect_refused(args, "longer than 400 bytes");
    expect_refused("--idle-timeout -1", "--idle-timeout needs seconds from 0 (never) to 86400");
    expect_refused("--idle-timeout 86401", "--idle-timeout needs seconds");
    expect_refused("--keep-captures 0", "--keep-captures needs a whole number from 1 to 1000000");
    expect_refused("--captures-max-mb x", "--captures-max-mb needs a whole number");
}

/* Each limit's figure is in --help. */
Test(serve_hostile, help_states_the_limits)
{
    static char out[16384], err[512];
    cr_assert_eq(run_cli("serve --help", out, sizeof out, err, sizeof err), 0);
    char want[8][96];
    snprintf(want[0], sizeof want[0], "(default %d; 0 never; at most %d)", SERVE_IDLE_TIMEOUT_S,
             SERVE_IDLE_TIMEOUT_MAX_S);
    snprintf(want[1], sizeof want[1], "(default %d,\n                       1 to %d)", SERVE_KEEP_CAPTURES,
             SERVE_KEEP_CAPTURES_MAX);
    snprintf(want[2], sizeof want[2], "MiB of them (default %d, 1 to %d)", SERVE_CAPTURES_MB, SERVE_CAPTURES_MB_MAX);
    snprintf(want[3], sizeof want[3], "logged %d times a connection", SERVE_PROTOCOL_BURST);
    snprintf(want[4], sizeof want[4], "once every %d s", SERVE_PROTOCOL_REFILL_S);
    snprintf(want[5], sizeof want[5], "logs %d events of any kind", SERVE_EVENTS_BURST);
    snprintf(want[6], sizeof want[6], "every %d s while", SERVE_SUPPRESSED_EVERY_S);
    snprintf(want[7], sizeof want[7], "at most %d\n", SERVE_OUT_MAX);
    for (int i = 0; i < 8; i++)
        cr_expect(strstr(out, want[i]) != NULL, "--help lacks '%s'", want[i]);
}
