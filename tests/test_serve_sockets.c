/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve` against raw sockets sending what no client should: a
 * second client refused after the grace period, a waiting one given the
 * board when the owner leaves, malformed telnet, a client vanishing
 * mid-sequence and 100 connect/disconnect cycles, after which the server
 * still serves and exits 0 on SIGTERM (a leak check under ASan). */
#include "harness/port/port_rfc2217.h"
#include "serve_fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(serve, .init = make_dir, .fini = drop_dir, .timeout = 120);

/* ---- raw sockets -------------------------------------------------------- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    return fd;
}

/* Reads until EOF or timeout; returns the bytes read. */
static size_t read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    int64_t until = mono_ms() + timeout_ms;
    while (n + 1 < cap) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int left = (int)(until - mono_ms());
        if (left <= 0 || poll(&pf, 1, left) != 1)
            break;
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    return n;
}

static const char hello_do_com_port[] = "\xff\xfd\x2c";

Test(serve, second_client_is_refused_after_the_grace_period)
{
    struct server sv;
    start_server(&sv, "devkitc", "--grace-ms 200");
    int a = connect_to(sv.port);
    char buf[512];
    cr_assert_geq(read_all(a, buf, 4, 1000), 3);
    cr_assert(memcmp(buf, hello_do_com_port, 3) == 0, "the owner is greeted with DO COM-PORT-OPTION");
    int64_t t0 = mono_ms();
    int b = connect_to(sv.port);
    read_all(b, buf, sizeof buf, 3000);
    int64_t waited = mono_ms() - t0;
    cr_assert(strstr(buf, "devkitc is in use by 127.0.0.1:") != NULL, "refusal: '%s'", buf);
    cr_assert(waited >= 180 && waited < 2000, "refused after the grace period: %lld ms", (long long)waited);
    close(b);
    close(a);
    stop_server(&sv);
}

Test(serve, a_waiting_client_gets_the_board_when_the_owner_leaves)
{
    struct server sv;
    start_server(&sv, "devkitc", "--grace-ms 1000");
    int a = connect_to(sv.port);
    char buf[512];
    read_all(a, buf, 4, 1000);
    int b = connect_to(sv.port);
    usleep(100 * 1000);
    close(a);
    size_t n = read_all(b, buf, 4, 2000);
    cr_assert(n >= 3 && memcmp(buf, hello_do_com_port, 3) == 0, "b took the board");
    close(b);
    stop_server(&sv);
}

static void send_bytes(int port, const void *b, size_t n)
{
    int fd = connect_to(port);
    cr_assert_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
    usleep(20 * 1000);
    close(fd);
}

/* Malformed telnet, a client vanishing mid-sequence (holding the chip in
 * reset) and 100 connect/disconnect cycles: the server goes on serving, and
 * clears RTS then DTR for the vanished client. */
Test(serve, survives_malformed_input_disconnects_and_100_cycles)
{
    struct server sv;
    start_server(&sv, "devkitc", "--attempt-gap-ms 100");
    static const uint8_t unterminated_sb[] = {0xff, 0xfa, 0x2c, 0x05, 0x08, 0x01, 0x02, 0x03, 0xff, 0xfb, 0x00};
    static const uint8_t se_alone[] = {0xff, 0xf0, 0xff, 0x01, 0xff};
    static const uint8_t unknown_command[] = {0xff, 0xfa, 0x2c, 0x63, 0x01, 0xff, 0xf0};
    static const uint8_t wrong_length[] = {0xff, 0xfa, 0x2c, 0x01, 0x00, 0x01, 0xff, 0xf0};
    send_bytes(sv.port, unterminated_sb, sizeof unterminated_sb);
    send_bytes(sv.port, se_alone, sizeof se_alone);
    send_bytes(sv.port, unknown_command, sizeof unknown_command);
    send_bytes(sv.port, wrong_length, sizeof wrong_length);
    uint8_t longsb[300] = {0xff, 0xfa, 0x2c, 0x05};
    memset(longsb + 4, 0x08, sizeof longsb - 6);
    longsb[298] = 0xff, longsb[299] = 0xf0;
    send_bytes(sv.port, longsb, sizeof longsb);
    uint8_t junk[4096];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rand();
    send_bytes(sv.port, junk, sizeof junk);
    /* DTR off, RTS on (EN held low) and gone: the server lets the chip go. */
    static const uint8_t hold_in_reset[] = {0xff, 0xfa, 0x2c, 0x05, 0x09, 0xff, 0xf0,
                                            0xff, 0xfa, 0x2c, 0x05, 0x0b, 0xff, 0xf0};
    send_bytes(sv.port, hold_in_reset, sizeof hold_in_reset);
    for (int i = 0; i < 100; i++)
        close(connect_to(sv.port));
    usleep(300 * 1000);

    /* still serving: our client resets the board */
    char err[700];
    struct port *p = port_rfc2217_new(sv.url, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(p->ops->open(p, 1), 0, "%s", p->ops->error(p));
    cr_assert_eq(p->ops->set_lines(p, 0, 1), 0, "%s", p->ops->error(p));
    cr_assert_eq(p->ops->set_lines(p, 0, 0), 0, "%s", p->ops->error(p));
    cr_assert_eq(p->ops->close(p), 0);
    port_rfc2217_free(p);
    usleep(300 * 1000);
    stop_server(&sv);

    char *log = read_log();
    cr_assert_geq(count_of(log, "\"event\": \"subnegotiation ended without IAC SE\""), 1, "%s", log);
    cr_assert_geq(count_of(log, "\"event\": \"unknown COM-PORT-OPTION command\""), 1);
    cr_assert_geq(count_of(log, "\"event\": \"COM-PORT-OPTION command with the wrong number of value bytes\""), 1);
    cr_assert_geq(count_of(log, "\"event\": \"subnegotiation longer than 64 bytes\""), 1);
    int seen = count_of(log, "\"event\": \"connected\"") + count_of(log, "\"event\": \"left while waiting\"");
    cr_assert_eq(count_of(log, "\"event\": \"refused\""), 0, "nobody waited past the grace period");
    cr_assert_geq(seen, 108, "every connection was served or left while waiting");
    cr_assert(strstr(log, "{\"op\": \"R0\", \"arrived_ms\": ") != NULL);
    cr_assert(strstr(log, "\"by\": \"server\"") != NULL, "RTS cleared for the vanished client");
    free(log);
}
