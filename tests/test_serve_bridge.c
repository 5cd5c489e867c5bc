/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve --bridge esp-link|ser2net` (issue 26, item 3): the board
 * served as those bridges serve it, on the model the matrix runs
 * (boards.yaml net_bridges:, sim/netbridge.c). With real peers: raw TCP
 * sending STK500's sync, pyserial's socket:// and rfc2217:// clients, our
 * own RFC 2217 client, esptool-js over RFC 2217; and what no client should
 * do: a fifth client, a sync sent forever, a connection that vanishes
 * without a FIN or falls silent. And `resetlab list`'s host column, which
 * the network hosts' long names overran. The server runs as the resetlab binary
 * and must exit 0 on SIGTERM (under ASan: no leak, no memory error). */
#define _GNU_SOURCE /* memmem */
#include "harness/port/port_rfc2217.h"
#include "esptool_js_fixture.h"
#include "serve_fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(serve_bridge, .init = make_dir, .fini = drop_dir, .timeout = 120);

/* ---- peers ------------------------------------------------------------------ */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* each send() its own segment */
    return fd;
}

static void send_all(int fd, const void *b, size_t n)
{
    cr_assert_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n, "%s", strerror(errno));
}

/* What comes within timeout_ms, or until EOF (*eof) or `want` bytes; the
 * offsets where each read ended in ends[] (the segments as they came). */
struct got {
    uint8_t b[4096];
    size_t n;
    size_t ends[256];
    int n_ends, eof;
};

static void read_for(int fd, struct got *g, size_t want, int timeout_ms)
{
    memset(g, 0, sizeof *g);
    for (int64_t until = mono_ms() + timeout_ms; g->n < want && g->n < sizeof g->b;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int left = (int)(until - mono_ms());
        if (left <= 0 || poll(&pf, 1, left) != 1)
            break;
        ssize_t k = recv(fd, g->b + g->n, sizeof g->b - g->n, 0);
        if (k <= 0) {
            g->eof = 1;
            break;
        }
        g->n += (size_t)k;
        if (g->n_ends < 256)
            g->ends[g->n_ends++] = g->n;
    }
}

static int has(const struct got *g, const char *text)
{
    return memmem(g->b, g->n, text, strlen(text)) != NULL;
}

/* Closes with a TCP reset instead of a FIN: the peer's view of a client
 * that vanished (SO_LINGER 0). */
static void vanish(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* The ESP32 ROM's download banner's last line, as the ROM sends it. */
#define DOWNLOAD_BANNER "boot:0x3 (DOWNLOAD_BOOT"
#define WAITING "waiting for download\r\n"

static const uint8_t stk500_sync[] = {0x30, 0x20}; /* "0 ": STK500's Cmnd_STK_GET_SYNC, Sync_CRC_EOP */

/* The op's applied_ms in an attempt line. */
static double applied_ms(const char *line, const char *op)
{
    char key[48];
    snprintf(key, sizeof key, "{\"op\": \"%s\", \"arrived_ms\": ", op);
    const char *p = strstr(line, key);
    cr_assert_not_null(p, "no %s in %s", op, line);
    p = strstr(p, "\"applied_ms\": ");
    return strtod(p + strlen("\"applied_ms\": "), NULL);
}

/* The log's attempt lines, in order. */
static int attempts(char *log, char **lines, int max)
{
    int n = 0;
    for (char *save = NULL, *l = strtok_r(log, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
        if (strncmp(l, "{\"attempt\": ", 12) == 0)
            lines[n++] = l;
    return n;
}

/* ---- esp-link: the sniffed programming reset ---------------------------------- */

/* avrdude's first bytes, "0 ", as a connection's first segment: esp-link
 * pulls reset (EN) low, then ISP (IO0) low, releases reset 2 ms later with
 * ISP still low (serbridge.c serbridgeRecvCb): on an ESP32 that is the
 * download strap, and the ROM says so. The sync is not passed on. On
 * close, ISP high and a 100 us reset pulse: the chip boots its flash. */
Test(serve_bridge, stk500_sync_resets_an_esp32_into_download_then_close_boots_flash)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link");
    cr_assert(strncmp(sv.url, "socket://", 9) == 0, "esp-link is served as a raw TCP port: %s", sv.url);
    int fd = connect_to(sv.port);
    send_all(fd, stk500_sync, sizeof stk500_sync);
    struct got g;
    read_for(fd, &g, 129, 3000);
    cr_assert(has(&g, DOWNLOAD_BANNER) && has(&g, WAITING), "the ROM's download banner: '%.*s'", (int)g.n, g.b);
    close(fd);
    usleep(800 * 1000);
    stop_server(&sv);

    char *log = read_log(), *lines[8];
    cr_assert_eq(count_of(log, "first segment: programming sync"), 1, "%s", log);
    int n = attempts(log, lines, 8);
    cr_assert_eq(n, 2, "the programming reset and the release's reset: %s", log);
    cr_assert(strstr(lines[0], "\"wanted\": \"download\", \"outcome\": \"download\"") != NULL, "%s", lines[0]);
    cr_assert(strstr(lines[0], "\"frames\": 0") != NULL, "the sync is not passed on to the chip: %s", lines[0]);
    /* reset low, 100 us, ISP low, 2 ms, reset released: EN low 2.1 ms and
     * the sleeps' overshoot (the host's), under 2.6 ms */
    double en_low = applied_ms(lines[0], "R0") - applied_ms(lines[0], "R1");
    cr_assert(en_low >= 2.1 && en_low < 2.6, "EN low %.3f ms", en_low);
    cr_assert(applied_ms(lines[0], "D1") - applied_ms(lines[0], "R1") >= 0.1, "ISP 100 us after reset");
    cr_assert(strstr(lines[1], "\"wanted\": \"flash\", \"outcome\": \"flash\"") != NULL, "%s", lines[1]);
    free(log);
}

/* The sniff rules on first segments: exactly "0 " and "?\r\n" program, a
 * telnet WILL is telnet mode (answered DO COM-PORT-OPTION), anything else
 * (esptool's SYNC frame, "0 0 ") is data for the chip and resets nothing. */
Test(serve_bridge, first_segments_that_match_and_do_not)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link --attempt-gap-ms 100");
    static const uint8_t esp_sync[] = {0xc0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, 0x12, 0x20,
                                       0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xc0};
    static const uint8_t twice[] = {0x30, 0x20, 0x30, 0x20};
    static const uint8_t arm_isp[] = {'?', '\r', '\n'};
    static const uint8_t will_com_port[] = {0xff, 0xfb, 0x2c};
    int a = connect_to(sv.port);
    send_all(a, esp_sync, sizeof esp_sync);
    int b = connect_to(sv.port);
    send_all(b, twice, sizeof twice);
    int c = connect_to(sv.port);
    send_all(c, will_com_port, sizeof will_com_port);
    struct got g;
    read_for(c, &g, 3, 2000);
    cr_assert(g.n == 3 && memcmp(g.b, "\xff\xfd\x2c", 3) == 0, "esp-link answers WILL COM-PORT with DO (%zu bytes)",
              g.n);
    usleep(300 * 1000);
    close(a), close(b), close(c);
    int d = connect_to(sv.port);
    send_all(d, arm_isp, sizeof arm_isp);
    read_for(d, &g, 129, 3000);
    cr_assert(has(&g, WAITING), "an ARM ISP's sync programs too");
    close(d);
    usleep(500 * 1000);
    stop_server(&sv);

    char *log = read_log(), *lines[8];
    cr_assert_eq(count_of(log, "first segment: transparent"), 2, "ESP SYNC and '0 0 ': %s", log);
    cr_assert_eq(count_of(log, "first segment: telnet"), 1);
    cr_assert_eq(count_of(log, "first segment: programming sync"), 1);
    int n = attempts(log, lines, 8);
    cr_assert_eq(n, 2, "only the ARM sync's connection reset the chip (and its close): %s", log);
    free(log);
}

/* Telnet mode (a first segment of IAC WILL): SET-CONTROL DTR on pulls the
 * reset pin (EN) low, RTS on the ISP pin (IO0), as serbridge.c's
 * telnetUnwrap does, and nothing is answered. DTR on, RTS on, DTR off
 * (EN released with IO0 low): download; RTS off. */
Test(serve_bridge, telnet_mode_drives_reset_and_isp_and_answers_nothing)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link --attempt-gap-ms 100");
    int fd = connect_to(sv.port);
    static const uint8_t will[] = {0xff, 0xfb, 0x2c};
    send_all(fd, will, sizeof will);
    struct got g;
    read_for(fd, &g, 3, 2000);
    cr_assert(g.n == 3 && memcmp(g.b, "\xff\xfd\x2c", 3) == 0, "DO COM-PORT-OPTION");
    static const uint8_t values[] = {8, 11, 9}; /* DTR on, RTS on, DTR off */
    for (int i = 0; i < 3; i++) {
        uint8_t cmd[7] = {0xff, 0xfa, 0x2c, 0x05, values[i], 0xff, 0xf0};
        send_all(fd, cmd, sizeof cmd);
        usleep(20 * 1000);
    }
    read_for(fd, &g, 129, 3000);
    cr_assert(has(&g, WAITING), "download: '%.*s'", (int)g.n, g.b);
    cr_assert(memmem(g.b, g.n, "\xff\xfa\x2c", 3) == NULL, "no SET-CONTROL answered");
    static const uint8_t rts_off[] = {0xff, 0xfa, 0x2c, 0x05, 12, 0xff, 0xf0};
    send_all(fd, rts_off, sizeof rts_off);
    usleep(300 * 1000);
    close(fd);
    usleep(300 * 1000);
    stop_server(&sv);
    char *log = read_log(), *lines[8];
    int n = attempts(log, lines, 8);
    cr_assert_geq(n, 1, "%s", log);
    /* esp-link's DTR moves the reset pin: RTS of the direct wiring (RTS -> EN) */
    cr_assert(strstr(lines[0], "\"ops\": [{\"op\": \"R1\"") != NULL, "%s", lines[0]);
    cr_assert(strstr(lines[0], "\"wanted\": \"download\", \"outcome\": \"download\"") != NULL, "%s", lines[0]);
    free(log);
}

/* Port 2323's semantics (--host esp-link-2323, program_port): every
 * connection programs, whatever its first segment (here esptool's SYNC
 * frame, which port 23 passes on as data). */
Test(serve_bridge, the_programming_port_programs_on_any_first_segment)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link --host esp-link-2323");
    int fd = connect_to(sv.port);
    send_all(fd, "\xc0\x00\x08", 3);
    struct got g;
    read_for(fd, &g, 129, 3000);
    cr_assert(has(&g, WAITING), "'%.*s'", (int)g.n, g.b);
    close(fd);
    usleep(500 * 1000);
    stop_server(&sv);
    char *log = read_log();
    cr_assert_eq(count_of(log, "first segment: programming sync"), 1, "%s", log);
    cr_assert_eq(count_of(log, "\"host\": \"esp-link-2323\""), 3, "started, and its two attempts: %s", log);
    free(log);
}

/* ---- esp-link: four clients, a fifth refused, the UART's batches -------------- */

Test(serve_bridge, four_clients_get_the_same_batches_and_a_fifth_is_refused_once)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link");
    int fd[4];
    for (int i = 0; i < 4; i++)
        fd[i] = connect_to(sv.port);
    usleep(100 * 1000);
    int fifth = connect_to(sv.port);
    struct got g5;
    read_for(fifth, &g5, 1, 2000);
    cr_assert(g5.eof && g5.n == 0, "esp-link closes a fifth connection, sending nothing (%zu bytes)", g5.n);
    close(fifth);

    send_all(fd[0], stk500_sync, sizeof stk500_sync);
    static struct got g[4];
    for (int i = 0; i < 4; i++)
        read_for(fd[i], &g[i], 129, 3000);
    cr_assert(has(&g[0], WAITING), "'%.*s'", (int)g[0].n, g[0].b);
    for (int i = 1; i < 4; i++)
        cr_assert(g[i].n == g[0].n && memcmp(g[i].b, g[0].b, g[0].n) == 0, "client %d got the same %zu bytes", i + 1,
                  g[0].n);
    /* the banner (129 bytes, sent without a pause) leaves in batches of 80
     * and the rest 4 character times after its last byte (uart.c): every
     * read ends on a batch's end, never inside one (byte by byte, a reader
     * this fast sees reads of a few bytes) */
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < g[i].n_ends; k++)
            cr_assert(g[i].ends[k] % 80 == 0 || g[i].ends[k] == g[i].n, "client %d: a read ended at byte %zu of %zu",
                      i + 1, g[i].ends[k], g[i].n);
    /* still serving: a slot freed is taken */
    close(fd[3]);
    usleep(200 * 1000);
    int again = connect_to(sv.port);
    read_for(again, &g5, 1, 500);
    cr_assert(!g5.eof, "the freed slot takes a new client");
    close(again);
    for (int i = 0; i < 3; i++)
        close(fd[i]);
    usleep(500 * 1000);
    stop_server(&sv);

    char *log = read_log();
    cr_assert_eq(count_of(log, "\"event\": \"refused: esp-link's 4 connections are in use (max_clients)\""), 1, "%s",
                 log);
    cr_assert_eq(count_of(log, "\"event\": \"connected\""), 5, "%s", log);
    free(log);
}

/* ---- esp-link: bad peers ----------------------------------------------------- */

/* A client that sends the sync forever (every 2 ms for 1.5 s): one
 * programming reset, the repetition logged once, and another client is
 * served meanwhile. */
Test(serve_bridge, a_client_sending_the_sync_forever_is_logged_once)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link");
    int loud = connect_to(sv.port);
    int64_t t0 = mono_ms();
    int sent = 0, other = -1;
    struct got g;
    while (mono_ms() - t0 < 1500) {
        send_all(loud, stk500_sync, sizeof stk500_sync);
        sent++;
        usleep(2000);
        if (other < 0 && mono_ms() - t0 > 500) {
            other = connect_to(sv.port);
            send_all(other, "hello", 5);
        }
    }
    read_for(other, &g, 1, 300); /* drains what came; the connection is alive */
    cr_assert(!g.eof, "the other client is still served");
    close(other);
    close(loud);
    usleep(600 * 1000);
    stop_server(&sv);

    char *log = read_log();
    cr_assert_gt(sent, 100);
    cr_assert_eq(count_of(log, "first segment: programming sync"), 1, "%s", log);
    cr_assert_eq(count_of(log, "sent its programming sync again"), 1, "%d syncs, logged once", sent);
    cr_assert_eq(count_of(log, "first segment: transparent"), 1, "the other client: %s", log);
    free(log);
}

/* A client gone without a FIN (a TCP reset) and one fallen silent (a
 * half-open connection: nothing more ever comes) are each logged once; the
 * reset one's programming is released; both slots are free again. */
Test(serve_bridge, half_open_and_reset_connections_are_logged_once_and_freed)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link --idle-timeout 1");
    int gone = connect_to(sv.port);
    send_all(gone, stk500_sync, sizeof stk500_sync);
    usleep(300 * 1000);
    vanish(gone);
    int silent = connect_to(sv.port);
    send_all(silent, "x", 1);
    usleep(1800 * 1000);
    struct got g;
    read_for(silent, &g, 4096, 500);
    cr_assert(g.eof, "the silent connection was closed after --idle-timeout 1");
    close(silent);
    int fd[4];
    for (int i = 0; i < 4; i++)
        fd[i] = connect_to(sv.port);
    usleep(200 * 1000);
    for (int i = 0; i < 4; i++)
        close(fd[i]);
    usleep(500 * 1000);
    stop_server(&sv);

    char *log = read_log(), *lines[8];
    cr_assert_eq(count_of(log, "connection lost (reset: the client vanished)"), 1, "%s", log);
    cr_assert_eq(count_of(log, "closed: no input for 1 s"), 1, "%s", log);
    cr_assert_eq(count_of(log, "refused"), 0, "both slots were freed: %s", log);
    int n = attempts(log, lines, 8);
    cr_assert_eq(n, 2, "the programming reset and its release: %s", log);
    cr_assert(strstr(lines[1], "\"outcome\": \"flash\"") != NULL, "released on the reset: %s", lines[1]);
    free(log);
}

/* ---- third-party clients ----------------------------------------------------- */

static void run_python(const char *code, char *out, size_t len)
{
    char path[128], cmd[512], err[2048];
    snprintf(path, sizeof path, "%s/client.py", out_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(code, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s %s", test_python(), path);
    cr_assert_eq(run_shell(cmd, out, len, err, sizeof err), 0, "%s", err);
}

/* pyserial: socket:// is esp-link's raw stream (its sync programs);
 * rfc2217:// cannot open esp-link, which never answers SET-BAUDRATE
 * (pyserial raises after its 3 s network timeout). */
Test(serve_bridge, pyserial_socket_programs_and_rfc2217_cannot_open_esp_link)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link");
    char code[1024], out[2048];
    snprintf(code, sizeof code,
             "import serial\n"
             "try:\n"
             "    serial.serial_for_url('rfc2217://127.0.0.1:%d?ign_set_control', timeout=1)\n"
             "    print('rfc2217 opened')\n"
             "except serial.SerialException as e:\n"
             "    print('rfc2217:', e)\n"
             "s = serial.serial_for_url('socket://127.0.0.1:%d', timeout=1)\n"
             "s.write(b'0 ')\n"
             "print('socket:', s.read(129))\n"
             "s.close()\n",
             sv.port, sv.port);
    run_python(code, out, sizeof out);
    stop_server(&sv);
    cr_assert(strstr(out, "rfc2217: Remote does not accept parameter change (RFC2217)") != NULL, "%s", out);
    cr_assert(strstr(out, "waiting for download") != NULL, "%s", out);
}

/* ser2net: pyserial's classic reset (esptool over rfc2217://) boots flash,
 * its DTR/RTS pair 50 ms apart; our own client's pair in one send() gives
 * download. Each SET-CONTROL waits for ser2net's TIOCMGET + TIOCMSET and
 * one more request before the answer. */
Test(serve_bridge, ser2net_keeps_pyserials_50_ms_and_our_clients_pair)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "--bridge ser2net --attempt-gap-ms 100");
    cr_assert(strncmp(sv.url, "rfc2217://", 10) == 0, "%s", sv.url);
    char script[512], cmd[1024], out[4096], err[2048];
    src_path("tests/esptool_classic_rfc2217.py", script, sizeof script);
    snprintf(cmd, sizeof cmd, "%s %s '%s' 1", test_python(), script, sv.url);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(out, "\"boot\": \"SPI_FAST_FLASH_BOOT\"") != NULL, "%s", out);
    usleep(400 * 1000);

    char e[700];
    struct port *p = port_rfc2217_new(sv.url, e, sizeof e);
    cr_assert_not_null(p, "%s", e);
    cr_assert_eq(p->ops->open(p, 1), 0, "%s", p->ops->error(p));
    cr_assert_eq(p->ops->set_lines(p, 0, 1), 0, "%s", p->ops->error(p)); /* EN low */
    usleep(100 * 1000);
    cr_assert_eq(p->ops->set_lines(p, 1, 0), 0, "%s", p->ops->error(p)); /* EN released, IO0 low: one send() */
    usleep(50 * 1000);
    cr_assert_eq(p->ops->set_lines(p, 0, 0), 0, "%s", p->ops->error(p));
    usleep(300 * 1000);
    cr_assert_eq(p->ops->close(p), 0);
    port_rfc2217_free(p);
    usleep(400 * 1000);
    stop_server(&sv);

    char *log = read_log(), *lines[16];
    cr_assert(strstr(log, "{\"op\": \"U1,1\"") != NULL, "ser2net opens the device per client");
    int n = attempts(log, lines, 16), flash = 0, download = 0;
    for (int i = 0; i < n; i++) {
        if (strstr(lines[i], "\"wanted\": \"download\", \"outcome\": \"flash\"") != NULL) {
            flash++;
            double gap = strtod(strstr(lines[i], "\"gap_ms\": ") + 10, NULL);
            double bridge = strtod(strstr(lines[i], "\"gap_bridge_ms\": ") + 17, NULL);
            cr_assert(gap >= 45, "pyserial's pair %.3f ms apart", gap);
            cr_assert(bridge > 0.4, "ser2net's three requests: %.3f ms in the bridge", bridge);
        }
        download += strstr(lines[i], "\"wanted\": \"download\", \"outcome\": \"download\"") != NULL;
    }
    cr_assert_eq(flash, 1, "pyserial's reset: %s", log);
    cr_assert_eq(download, 1, "our client's reset: %s", log);
    free(log);
}

/* ser2net's max-connections 1: a second client is refused at once with
 * its line, logged once, and the first is served on. */
Test(serve_bridge, ser2net_refuses_a_second_client_at_once)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge ser2net --grace-ms 5000");
    int a = connect_to(sv.port);
    usleep(100 * 1000);
    int64_t t0 = mono_ms();
    int b = connect_to(sv.port);
    struct got g;
    read_for(b, &g, 64, 3000);
    cr_assert(g.eof && g.n == strlen("Port already in use\r\n") && memcmp(g.b, "Port already in use\r\n", g.n) == 0,
              "'%.*s'", (int)g.n, g.b);
    cr_assert_lt(mono_ms() - t0, 2000, "at once, not after --grace-ms");
    close(b);
    read_for(a, &g, 4096, 200);
    cr_assert(!g.eof, "the first client is still served");
    close(a);
    usleep(300 * 1000);
    stop_server(&sv);
    char *log = read_log();
    cr_assert_eq(count_of(log, "\"event\": \"refused: ser2net's 1 connection is in use (max_clients)\""), 1, "%s", log);
    free(log);
}

/* Our own RFC 2217 client cannot open esp-link either: its open waits for
 * SET-BAUDRATE's answer. */
Test(serve_bridge, our_client_cannot_open_esp_link)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge esp-link");
    char url[96], e[700];
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d", sv.port);
    struct port *p = port_rfc2217_new(url, e, sizeof e);
    cr_assert_not_null(p, "%s", e);
    cr_assert_neq(p->ops->open(p, 1), 0, "esp-link answers no SET-BAUDRATE");
    cr_assert(strstr(p->ops->error(p), "SET-BAUDRATE") != NULL, "%s", p->ops->error(p));
    port_rfc2217_free(p);
    usleep(200 * 1000);
    stop_server(&sv);
    char *log = read_log();
    cr_assert_eq(count_of(log, "first segment: telnet"), 1, "our client's WILL COM-PORT: telnet mode: %s", log);
    free(log);
}

/* esptool-js (its ClassicReset through our Web Serial shim's RFC 2217
 * port) through ser2net: connects and reads the chip. */
Test(serve_bridge, esptool_js_connects_through_ser2net)
{
    struct server sv;
    start_server(&sv, "devkitc", "--bridge ser2net");
    char where[128], out[4096];
    snprintf(where, sizeof where, "--url %s", sv.url);
    esptool_js_passes("devkitc", "", where, "--until connect", out, sizeof out);
    usleep(500 * 1000);
    stop_server(&sv);
    char *log = read_log();
    cr_assert_geq(count_of(log, "\"wanted\": \"download\", \"outcome\": \"download\""), 1, "%s", log);
    cr_assert_eq(count_of(log, "\"event\": \"refused"), 0, "esptool-js reconnects after the last one left");
    free(log);
}

/* ---- the lab's new keys, malformed ----------------------------------------- */

/* boards.yaml with `from` replaced by `to`, loaded by `resetlab list`:
 * exit 2 and its one error line. */
static void lab_refused(const char *from, const char *to, const char *want)
{
    char boards[512], path[128], cmd[1024], out[65536], err[1024];
    src_path("boards.yaml", boards, sizeof boards);
    char *text = slurp(boards, NULL), *at = strstr(text, from);
    cr_assert_not_null(at, "%s in boards.yaml", from);
    snprintf(path, sizeof path, "%s/b.yaml", out_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    fclose(f);
    free(text);
    snprintf(cmd, sizeof cmd, "%s list --boards %s", getenv("RESETLAB_BIN"), path);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 2);
    cr_assert(strstr(err, want) != NULL && count_of(err, "\n") == 1, "one line with '%s': %s", want, err);
}

Test(serve_bridge, malformed_max_clients_and_refuse_text_are_one_error_line)
{
    lab_refused("max_clients: 4 ", "max_clients: 17 ", "net_bridges.esp-link.max_clients: 17 is out of range [1, 16]");
    lab_refused("max_clients: 4 ", "max_clients: 0 ", "max_clients: 0 is out of range [1, 16]");
    lab_refused("max_clients: 4 ", "max_clients: 2.5 ", "max_clients must be a whole number, got 2.5");
    lab_refused("refuse_text: \"Port already in use\\r\\n\"",
                "refuse_text: \"0123456789012345678901234567890123456789012345678901234567890123\"",
                "net_bridges.ser2net.refuse_text: longer than 63 characters");
    lab_refused("max_clients: 1 ", "max_clients: [1] ", "max_clients");
}

/* ---- resetlab list ----------------------------------------------------------- */

/* The hosts' column is as wide as the longest name
 * (esp-rfc2217-server-wifi-noign, 29 characters, overran a width of 22):
 * every host line's OS starts at the same column. */
Test(serve_bridge, list_lines_up_the_host_column)
{
    char cmd[1024], boards[512], out[32768], err[512];
    src_path("boards.yaml", boards, sizeof boards);
    snprintf(cmd, sizeof cmd, "%s list --boards %s", getenv("RESETLAB_BIN"), boards);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    char *hosts = strstr(out, "\nhosts:\n"), *end = strstr(out, "\nscenarios:");
    cr_assert(hosts && end);
    int column = -1, lines = 0, longest = 0;
    for (char *l = hosts + 8; l < end; l = strchr(l, '\n') + 1) {
        char *os = strstr(l, " linux ");
        char *win = strstr(l, " windows ");
        if (os == NULL || (win != NULL && win < os))
            os = win;
        cr_assert(os != NULL && os < strchr(l, '\n'), "a host line: %.60s", l);
        int at = (int)(os - l);
        cr_assert(column < 0 || at == column, "host line %d's OS at column %d, not %d: %.60s", lines + 1, at, column, l);
        column = at;
        lines++;
        longest += strncmp(l, "  esp-rfc2217-server-wifi-noign linux", 37) == 0;
    }
    cr_assert_geq(lines, 13);
    cr_assert_eq(longest, 1, "the longest name with one space before its OS");
}
