/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve --bridge NAME` for a bridge that serves several clients
 * at once and decides what a connection is from its first segment
 * (esp-link, boards.yaml net_bridges:, docs/bridges.md): up to
 * max_clients connections, a connection past them refused (its text, if
 * the bridge sends one) and logged once; the board's UART, in the bridge's
 * batches, fanned out to every client; each connection's first read
 * sniffed with the matrix's rules (sim/netbridge.c netbridge_sniff):
 * programming plays the bridge's reset pulse (and its release when the
 * connection closes) and swallows the segment, telnet applies SET-CONTROL
 * as the bridge's table says and answers none of them, anything else is
 * data for the chip. A client that sends its sync again is logged once;
 * one that goes without a word (a reset, or silence past --idle-timeout:
 * esp-link's SER_BRIDGE_TIMEOUT) is logged once and its slot freed.
 * A bridge of one client (ser2net) keeps serve.c's owner; here are its
 * own open and close of the device and its refusal of a second client.
 * May call: sim/ (the bridge's sniff), harness/port (the RFC 2217 codec,
 * socket names, the monotonic clock), serve_board.c, serve_commands.c,
 * serve_log.c, libc. */
#define _GNU_SOURCE /* accept4, ppoll */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness/port/port_rfc2217.h"
#include "harness/port/port_rfc2217_codec.h"
#include "sim/netbridge.h"
#include "sim/world.h"
#include "serve_internal.h"

#define REBASE_NS 1000000000LL /* an idle epoch's t = 0 moves to now after this */

static const char *const mode_words[] = {
    "first segment: RFC 2217",
    "first segment: transparent (its bytes go to the chip)",
    "first segment: telnet (SET-CONTROL applied to the reset and ISP pins, not answered)",
    "first segment: programming sync (the bridge pulses reset, holds ISP; the segment is not passed on)",
};

int serve_bridge_connected(const struct serve *s)
{
    for (int i = 0; i < NET_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            return 1;
    return 0;
}

void serve_bridge_uart(struct serve *s, uint8_t b)
{
    for (int i = 0; i < NET_MAX_CLIENTS; i++) /* console_process: to each open connection, raw */
        if (s->clients[i].fd >= 0)
            serve_conn_queue(&s->clients[i], &b, 1);
}

/* The attempt's ops are this client's (its peer in the log). */
static void driven_by(struct serve *s, const struct conn *c)
{
    if (!serve_board_epoch_active(s))
        serve_board_new_epoch(s);
    if (s->at.peer[0] == '\0') {
        snprintf(s->at.peer, sizeof s->at.peer, "%s", c->peer);
        s->at.connected_mono_ns = c->since_ns;
    }
    s->last_activity_v = serve_now_v(s);
}

static void play(struct serve *s, const struct conn *c, const struct op_seq *seq)
{
    if (seq->n == 0)
        return;
    driven_by(s, c);
    serve_board_make_room(s);
    int64_t v = serve_now_v(s);
    if (v < s->absorb_until_v)
        v = s->absorb_until_v;
    s->at.replays++;
    s->absorb_until_v = serve_board_play(s, seq, v);
}

static void client_gone(struct serve *s, struct conn *c, const char *why)
{
    serve_log_conn_end(s->log, &c->protocol_errors, c->peer);
    serve_log_event(s->log, NULL, why, c->peer);
    if (c->mode == NET_MODE_PROGRAM && s->o.bridge->program_leave.n > 0) {
        /* serbridgeDisconCb in cmPGM (serbridgeResetCb too): its reset is
         * an attempt of its own, after the programming one */
        if (serve_board_epoch_active(s))
            serve_board_close_attempt(s, NULL);
        play(s, c, &s->o.bridge->program_leave);
    }
    serve_conn_close(c);
    s->last_activity_v = serve_now_v(s);
}

void serve_bridge_close_all(struct serve *s, const char *why)
{
    for (int i = 0; i < NET_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            client_gone(s, &s->clients[i], why);
}

/* A connection past max_clients: the bridge's text, if any, and closed. */
void serve_bridge_refuse(struct serve *s, struct conn *c)
{
    const char *text = s->o.bridge->refuse_text;
    serve_conn_queue(c, (const uint8_t *)text, strlen(text));
    serve_conn_flush(c);
    char what[160];
    snprintf(what, sizeof what, "refused: %s's %d connection%s in use (max_clients)", s->o.bridge->name,
             s->o.bridge->max_clients, s->o.bridge->max_clients == 1 ? " is" : "s are");
    serve_log_event(s->log, NULL, what, c->peer);
    serve_conn_close(c);
}

/* The lines as the bridge's own open or close left them are the client's
 * from then on. */
void serve_bridge_open(struct serve *s)
{
    if (s->o.bridge->on_connect.n == 0)
        return;
    if (!serve_board_epoch_active(s))
        serve_board_new_epoch(s);
    s->absorb_until_v = serve_board_play(s, &s->o.bridge->on_connect, serve_now_v(s));
    s->client_dtr = s->line_dtr;
    s->client_rts = s->line_rts;
}

void serve_bridge_close(struct serve *s, int64_t v)
{
    if (s->o.bridge->on_disconnect.n > 0)
        s->absorb_until_v = serve_board_play(s, &s->o.bridge->on_disconnect, v);
    s->client_dtr = s->line_dtr;
    s->client_rts = s->line_rts;
    s->last_activity_v = serve_now_v(s);
}

static void accept_clients(struct serve *s)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        char peer[64];
        r2217_address_name(&sa, sl, peer, sizeof peer);
        struct conn *c = NULL;
        for (int i = 0; i < s->o.bridge->max_clients && c == NULL; i++)
            if (s->clients[i].fd < 0)
                c = &s->clients[i];
        if (c == NULL) {
            struct conn gone = {.fd = fd};
            snprintf(gone.peer, sizeof gone.peer, "%s", peer);
            serve_bridge_refuse(s, &gone);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* espconn_set_opt ESPCONN_NODELAY */
        *c = (struct conn){.fd = fd, .since_ns = serial_now_ns(), .mode = -1};
        c->active_ns = c->since_ns;
        snprintf(c->peer, sizeof c->peer, "%s", peer);
        r2217_init_server(&c->codec);
        serve_budget_rate_init(&c->protocol_errors, SERVE_PROTOCOL_BURST, SERVE_PROTOCOL_REFILL_S, "protocol errors");
        serve_board_split_for_new_client(s);
        serve_log_event(s->log, NULL, "connected", c->peer);
    }
}

/* esp-link's telnetUnwrap answers a WILL (DO COM-PORT-OPTION, DONT
 * anything else) and nothing more: of the codec's negotiation answers,
 * those to a WILL go out, made the bridge's. */
static void telnet_replies(struct conn *c)
{
    for (size_t i = 0; i + 2 < c->codec.reply_len; i += 3) {
        uint8_t verb = c->codec.reply[i + 1], opt = c->codec.reply[i + 2];
        if (verb != TELNET_DO && verb != TELNET_DONT)
            continue;
        uint8_t b[3] = {TELNET_IAC, opt == TELNET_OPT_COM_PORT ? TELNET_DO : TELNET_DONT, opt};
        serve_conn_queue(c, b, sizeof b);
    }
    c->codec.reply_len = 0;
}

/* A SET-CONTROL in telnet mode: the line the bridge's table names, no
 * answer. */
static void telnet_command(struct serve *s, struct conn *c, const struct r2217_event *ev)
{
    if (ev->command == R2217_SET_BAUDRATE && ev->value != 0) {
        sim_set_host_baud(s->w, ev->value); /* the UART's rate (a query, 0, is not answered here) */
        return;
    }
    if (ev->command != R2217_SET_CONTROL || ev->value < R2217_DTR_ON || ev->value > R2217_RTS_OFF ||
        ev->value == R2217_RTS_REQUEST)
        return;
    static const enum net_cmd by_value[] = {NET_DTR_ON, NET_DTR_OFF, NET_CMD_COUNT, NET_RTS_ON, NET_RTS_OFF};
    const struct net_command *k = &s->o.bridge->cmd[by_value[ev->value - R2217_DTR_ON]];
    if (k->drives < 0)
        return;
    serve_board_split_before_command(s);
    serve_board_make_room(s);
    driven_by(s, c);
    int64_t v = serve_now_v(s);
    s->last_line_v = v;
    char label[16];
    snprintf(label, sizeof label, "%c%d", k->drives == 0 ? 'D' : 'R', k->level);
    serve_board_apply_change(s, k->drives == 0 ? k->level : -1, k->drives == 1 ? k->level : -1, label, 0, v);
}

static void telnet_input(struct serve *s, struct conn *c, const uint8_t *b, size_t n)
{
    uint8_t data[IN_MAX];
    for (size_t off = 0; off < n;) {
        struct r2217_event ev = {0};
        size_t dlen = 0;
        off += r2217_feed(&c->codec, b + off, n - off, data, sizeof data, &dlen, &ev);
        telnet_replies(c);
        if (dlen) {
            driven_by(s, c);
            serve_commands_on_data(s, data, dlen);
        }
        if (ev.kind == R2217_EV_COMMAND)
            telnet_command(s, c, &ev);
        else if (ev.kind == R2217_EV_MALFORMED)
            serve_log_event(s->log, &c->protocol_errors, ev.what, c->peer);
    }
}

/* The first segment decides (serbridgeRecvCb in cmInit); on the
 * programming port every connection programs (cmPGMInit). */
static int first_segment(struct serve *s, struct conn *c, const uint8_t *b, size_t n)
{
    c->mode = s->o.program_port ? NET_MODE_PROGRAM : (int)netbridge_sniff(s->o.bridge, b, n);
    c->first_len = n < sizeof c->first ? n : sizeof c->first;
    memcpy(c->first, b, c->first_len);
    serve_log_event(s->log, NULL, mode_words[c->mode], c->peer);
    if (c->mode != NET_MODE_PROGRAM)
        return 0;
    play(s, c, &s->o.bridge->program_enter);
    return 1; /* serbridgeRecvCb returns: the sync is not sent on */
}

static void client_input(struct serve *s, struct conn *c, const uint8_t *b, size_t n)
{
    if (c->mode < 0 && first_segment(s, c, b, n))
        return;
    if (c->mode == NET_MODE_TELNET) {
        telnet_input(s, c, b, n);
        return;
    }
    /* the sync again, alone or several read at once */
    if (c->mode == NET_MODE_PROGRAM && n >= c->first_len && memcmp(b, c->first, c->first_len) == 0 && ++c->resent == 1)
        serve_log_event(s->log, NULL,
                        "sent its programming sync again: data for the chip from now on (only a connection's first "
                        "segment is sniffed; logged once a connection)",
                        c->peer);
    driven_by(s, c);
    serve_commands_on_data(s, b, n);
}

static void read_client(struct serve *s, struct conn *c)
{
    uint8_t buf[IN_MAX];
    ssize_t got = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        client_gone(s, c, got == 0 ? "disconnected" : "connection lost (reset: the client vanished)");
        return;
    }
    if (got > 0) {
        c->active_ns = serial_now_ns(); /* any input: esp-link's inactivity timer counts from it */
        client_input(s, c, buf, (size_t)got);
    }
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t idle_deadline_ns(const struct serve *s, const struct conn *c)
{
    if (c->fd < 0 || !(s->o.idle_timeout_s > 0))
        return INT64_MAX;
    return c->active_ns + (int64_t)(s->o.idle_timeout_s * 1e9);
}

/* Sends, drops who cannot take more, closes the silent. */
static void tend_clients(struct serve *s)
{
    for (int i = 0; i < NET_MAX_CLIENTS; i++) {
        struct conn *c = &s->clients[i];
        if (c->fd < 0)
            continue;
        if (serve_conn_flush(c) != 0 || c->out_len > SERVE_OUT_LIMIT) {
            client_gone(s, c, c->out_len > SERVE_OUT_LIMIT ? "dropped: not reading" : "connection lost");
        } else if (serial_now_ns() >= idle_deadline_ns(s, c)) {
            char why[160];
            snprintf(why, sizeof why, "closed: no input for %g s (half-open or idle; --idle-timeout)",
                     s->o.idle_timeout_s);
            client_gone(s, c, why);
        }
    }
}

/* When the loop must look again: a byte leaving, the attempt's end, a
 * client's idle deadline. */
static int64_t next_due(struct serve *s, int max_wait_ms)
{
    int64_t v = serve_now_v(s), due = v + (int64_t)max_wait_ms * 1000000LL;
    due = min64(due, serve_board_next_uart_v(s));
    if (serve_board_epoch_active(s) && !serve_board_sequence_open(s)) {
        int64_t rest = sim_rest_ns(s->w) > s->absorb_until_v ? sim_rest_ns(s->w) : s->absorb_until_v;
        int64_t quiet = serve_board_last_activity(s) + (int64_t)(s->o.attempt_gap_ms * 1e6);
        due = min64(due, rest > quiet ? rest : quiet);
    }
    for (int i = 0; i < NET_MAX_CLIENTS; i++)
        if (idle_deadline_ns(s, &s->clients[i]) != INT64_MAX)
            due = min64(due, idle_deadline_ns(s, &s->clients[i]) - s->epoch0_ns);
    return due < v ? 0 : due - v;
}

int serve_bridge_step(struct serve *s, int max_wait_ms, char *err, size_t err_len)
{
    if (!serve_board_epoch_active(s) && serve_now_v(s) > REBASE_NS)
        serve_board_new_epoch(s);
    if (s->dirty)
        serve_board_resimulate(s);
    int64_t wait = next_due(s, max_wait_ms);
    struct pollfd pf[1 + NET_MAX_CLIENTS];
    pf[0] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (int i = 0; i < NET_MAX_CLIENTS; i++) {
        const struct conn *c = &s->clients[i];
        pf[1 + i] = (struct pollfd){.fd = c->fd, .events = (short)(POLLIN | (c->out_len ? POLLOUT : 0))};
    }
    struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
    int r = ppoll(pf, 1 + NET_MAX_CLIENTS, &ts, NULL);
    if (r < 0 && errno != EINTR) {
        snprintf(err, err_len, "poll: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; r > 0 && i < NET_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && (pf[1 + i].revents & (POLLIN | POLLHUP | POLLERR)))
            read_client(s, &s->clients[i]);
    if (r > 0 && (pf[0].revents & POLLIN))
        accept_clients(s);
    int64_t v = serve_now_v(s);
    if (s->dirty)
        serve_board_resimulate(s);
    serve_board_send_uart(s, v);
    tend_clients(s);
    serve_log_tick(s->log);
    serve_board_close_if_done(s, v);
    return 0;
}
