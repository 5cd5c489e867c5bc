/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve` (serve.h): sockets and poll, the owner's lifecycle and
 * the loop; setup. The simulated board behind the connection is in
 * serve_board.c, the RFC 2217 commands and the client's data in
 * serve_commands.c, the attempt log in serve_log.c.
 * May call: harness/port (sockets' names, the RFC 2217 codec, the
 * monotonic clock), sim/ (the world), serve_tty.c (--tty), libc. */
#define _GNU_SOURCE /* ppoll */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness/port/port_rfc2217.h"
#include "harness/port/port_rfc2217_codec.h"
#include "sim/flash.h"
#include "sim/world.h"
#include "serve_internal.h"

#define OUT_LIMIT SERVE_OUT_LIMIT
#define OUT_PAUSE (1u << 18) /* its commands wait while this much of our output does */
#define IDLE_REBASE_NS 1000000000LL

/* ---- connections --------------------------------------------------------- */

void serve_conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->out);
    *c = (struct conn){.fd = -1};
}

int serve_conn_queue(struct conn *c, const uint8_t *b, size_t n)
{
    if (n == 0)
        return 0;
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (p == NULL)
            return -1;
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, b, n);
    c->out_len += n;
    return 0;
}

int serve_conn_flush(struct conn *c)
{
    while (c->out_len > 0) {
        ssize_t k = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        memmove(c->out, c->out + k, c->out_len - (size_t)k);
        c->out_len -= (size_t)k;
    }
    return 0;
}

/* ---- owner lifecycle ----------------------------------------------------- */

static void take_board(struct serve *s, struct conn *c)
{
    serve_board_split_for_new_client(s);
    s->owner = *c;
    s->owner.since_ns = s->owner.active_ns = serial_now_ns(); /* when it got the board */
    serve_budget_rate_init(&s->owner.protocol_errors, SERVE_PROTOCOL_BURST, SERVE_PROTOCOL_REFILL_S,
                           "protocol errors");
    *c = (struct conn){.fd = -1};
    r2217_init_server(&s->owner.codec);
    uint8_t hello[16];
    size_t n = r2217_hello(&s->owner.codec, hello, sizeof hello);
    if (s->tty != NULL)
        serve_tty_welcome(s);
    else
        serve_conn_queue(&s->owner, hello, n);
    s->n_answers = 0;
    s->frame_len = 0;
    s->in_frame = s->frame_cut = s->cut_logged = 0;
    s->baud = (uint32_t)s->o.board->chip->baud;
    sim_set_host_baud(s->w, 0); /* the port's rate until the client sets its own */
    s->datasize = 8;
    s->parity = 1; /* NONE */
    s->stopsize = 1;
    serve_log_event(s->log, NULL, "connected", s->owner.peer);
    if (s->o.bridge != NULL)
        serve_bridge_open(s);
}

/* The owner left: lines back to deasserted, RTS first (the chip is let out
 * of reset before IO0 is released, never the reverse), as a port op so a
 * reset it causes counts as spurious. */
static void owner_gone(struct serve *s, const char *why)
{
    serve_log_conn_end(s->log, &s->owner.protocol_errors, s->owner.peer);
    serve_log_event(s->log, NULL, why, s->owner.peer);
    /* The close is an op of the client's attempt (a run's C), and the
     * attempt says it ended the connection: a served run collects its
     * attempts up to that one (capture_serve.h). */
    int64_t now = serve_now_v(s);
    if (s->tty != NULL) { /* the tool's close (or its exit) is the close of its port */
        serve_tty_owner_gone(s);
        serve_conn_close(&s->owner);
        s->n_answers = 0;
        s->last_activity_v = serve_now_v(s);
        return;
    }
    serve_board_record_op(s, "C", now, now, now, 1);
    s->at.closed = 1;
    serve_conn_close(&s->owner);
    s->n_answers = 0;
    int64_t v = now > s->absorb_until_v ? now : s->absorb_until_v;
    if (s->o.bridge != NULL) {
        serve_bridge_close(s, v);
        return;
    }
    if (s->client_rts)
        v = serve_board_apply_change(s, -1, 0, "R0", 1, v);
    if (s->client_dtr)
        serve_board_apply_change(s, 0, -1, "D0", 1, v);
    s->client_dtr = s->client_rts = 0;
    s->last_activity_v = serve_now_v(s);
}

void serve_drop_owner(struct serve *s, const char *why)
{
    owner_gone(s, why);
}

static void refuse(struct serve *s, struct conn *c)
{
    char line[256];
    int n = snprintf(line, sizeof line, "resetlab serve: %s is in use by %s; try again when it disconnects\r\n",
                     s->o.board->name, s->owner.peer);
    serve_conn_queue(c, (const uint8_t *)line, (size_t)n);
    serve_conn_flush(c);
    serve_log_event(s->log, NULL, "refused", c->peer);
    serve_conn_close(c);
}

/* Accepts while the queue has room; the rest stay in the kernel's backlog
 * until it has (a full queue is no reason to refuse: those who wait get
 * the grace period like everyone else). */
static void accept_clients(struct serve *s)
{
    while (s->n_waiting < MAX_WAITING) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn c = {.fd = fd, .since_ns = serial_now_ns()};
        if (s->tty != NULL)
            serve_tty_peer(fd, c.peer, sizeof c.peer);
        else
            r2217_address_name(&sa, sl, c.peer, sizeof c.peer);
        if (s->owner.fd < 0 && s->n_waiting == 0)
            take_board(s, &c);
        else if (s->o.bridge != NULL) /* a bridge refuses at once (ser2net: max-connections) */
            serve_bridge_refuse(s, &c);
        else
            s->waiting[s->n_waiting++] = c;
    }
}

/* Waiting clients: the first gets the board when it is free. One is
 * refused once both it has waited and the owner has held the board for the
 * grace period: a new owner may be a connection already closing (a tool
 * reconnecting in a loop), found out at the next read. */
static void serve_waiting(struct serve *s)
{
    int64_t now = serial_now_ns(), grace = (int64_t)(s->o.grace_ms * 1e6);
    int k = 0;
    for (int i = 0; i < s->n_waiting; i++) {
        struct conn *c = &s->waiting[i];
        int64_t since = c->since_ns > s->owner.since_ns ? c->since_ns : s->owner.since_ns;
        if (s->owner.fd < 0)
            take_board(s, c);
        else if (now - since >= grace)
            refuse(s, c);
        else
            s->waiting[k++] = *c;
    }
    s->n_waiting = k;
}

static void parse_rfc2217(struct serve *s);

/* Parses the owner's input while the answers' queue has room and our
 * output is not piling up: a command is read only when it can be answered
 * (the rest waits in `in`, then in the socket: backpressure). A full queue
 * holds the input until half of it has gone out. */
static void parse_owner(struct serve *s)
{
    struct conn *c = &s->owner;
    if (c->held && s->n_answers <= MAX_ANSWERS / 2)
        c->held = 0;
    if (c->fd < 0 || c->in_off >= c->in_len || c->held)
        return;
    /* An idle epoch restarts at this command: the attempt's capture
     * begins with it. */
    if (!serve_board_epoch_active(s) && s->n_answers == 0)
        serve_board_new_epoch(s);
    if (s->tty != NULL) {
        serve_tty_parse(s);
    } else {
        parse_rfc2217(s);
    }
    c->held = s->n_answers >= MAX_ANSWERS;
    if (c->in_off >= c->in_len)
        c->in_off = c->in_len = 0;
}

static void parse_rfc2217(struct serve *s)
{
    struct conn *c = &s->owner;
    uint8_t data[IN_MAX];
    while (c->in_off < c->in_len && s->n_answers < MAX_ANSWERS && c->out_len < OUT_PAUSE) {
        struct r2217_event ev = {0};
        size_t dlen = 0;
        c->in_off += r2217_feed(&c->codec, c->in + c->in_off, c->in_len - c->in_off, data, sizeof data, &dlen, &ev);
        if (c->codec.reply_len) {
            serve_conn_queue(c, c->codec.reply, c->codec.reply_len);
            c->codec.reply_len = 0;
        }
        if (dlen || ev.kind == R2217_EV_COMMAND)
            s->last_activity_v = serve_now_v(s);
        if (dlen)
            serve_commands_on_data(s, data, dlen);
        int line_command = ev.kind == R2217_EV_COMMAND && ev.command == R2217_SET_CONTROL &&
                           ev.value >= R2217_DTR_ON && ev.value <= R2217_RTS_OFF && ev.value != R2217_RTS_REQUEST;
        if (line_command) {
            serve_board_split_before_command(s);
            serve_board_make_room(s);
        }
        if (ev.kind == R2217_EV_COMMAND) {
            serve_commands_on_command(s, &ev);
        } else if (ev.kind == R2217_EV_MALFORMED) {
            s->at.malformed++;
            serve_log_event(s->log, &c->protocol_errors, ev.what, c->peer);
        }
    }
}

/* Reads more of the owner's input once what it sent before is parsed. */
static void read_owner(struct serve *s)
{
    if (s->owner.in_len == 0) {
        ssize_t got = recv(s->owner.fd, s->owner.in, sizeof s->owner.in, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            owner_gone(s, got == 0 ? "disconnected" : "connection lost");
            return;
        }
        if (got < 0)
            return;
        s->owner.in_off = 0;
        s->owner.in_len = (size_t)got;
    }
    parse_owner(s);
}

/* The owner has not driven the board for --idle-timeout: it goes, and the
 * board is free for the next client. */
static int64_t idle_deadline_ns(const struct serve *s)
{
    if (s->owner.fd < 0 || !(s->o.idle_timeout_s > 0))
        return INT64_MAX;
    return s->owner.active_ns + (int64_t)(s->o.idle_timeout_s * 1e9);
}

static void close_if_idle(struct serve *s)
{
    if (serial_now_ns() < idle_deadline_ns(s))
        return;
    char why[160];
    snprintf(why, sizeof why, "closed: idle for %g s (no DTR/RTS command or esptool request; --idle-timeout)",
             s->o.idle_timeout_s);
    owner_gone(s, why);
}

/* ---- the loop ------------------------------------------------------------ */

/* Idle epochs move their t = 0 to now, so an attempt's capture starts
 * near its first command. */
static void rebase_if_idle(struct serve *s)
{
    if (!serve_board_epoch_active(s) && s->n_answers == 0 && serve_now_v(s) > IDLE_REBASE_NS)
        serve_board_new_epoch(s);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int serve_bridge_fans_out(const struct serve *s)
{
    return s->o.bridge != NULL && (s->o.bridge->max_clients > 1 || s->o.bridge->n_sniff > 0 || s->o.program_port);
}

int serve_step(struct serve *s, int max_wait_ms, char *err, size_t err_len)
{
    if (serve_bridge_fans_out(s))
        return serve_bridge_step(s, max_wait_ms, err, err_len);
    rebase_if_idle(s);
    if (s->dirty)
        serve_board_resimulate(s);
    int64_t v = serve_now_v(s);
    int64_t due = (int64_t)max_wait_ms * 1000000LL + v;
    if (s->n_answers > 0)
        due = min64(due, s->answers[0].due_v);
    due = min64(due, serve_board_next_uart_v(s));
    if (serve_board_epoch_active(s) && !serve_board_sequence_open(s)) {
        int64_t rest = sim_rest_ns(s->w) > s->absorb_until_v ? sim_rest_ns(s->w) : s->absorb_until_v;
        int64_t quiet = serve_board_last_activity(s) + (int64_t)(s->o.attempt_gap_ms * 1e6);
        due = min64(due, rest > quiet ? rest : quiet);
    }
    if (s->n_waiting > 0) {
        int64_t since = s->waiting[0].since_ns > s->owner.since_ns ? s->waiting[0].since_ns : s->owner.since_ns;
        due = min64(due, since + (int64_t)(s->o.grace_ms * 1e6) - s->epoch0_ns);
    }
    if (idle_deadline_ns(s) != INT64_MAX)
        due = min64(due, idle_deadline_ns(s) - s->epoch0_ns);
    int64_t wait = due - v;
    if (wait < 0)
        wait = 0;

    struct pollfd pf[3 + MAX_WAITING];
    int n = 0;
    pf[n++] = (struct pollfd){.fd = s->listen_fd, .events = s->n_waiting < MAX_WAITING ? POLLIN : 0};
    int owner_at = -1;
    if (s->owner.fd >= 0) {
        /* input still to parse: the socket is not read (and not polled,
         * unless output waits) until it is */
        short ev = (short)((s->owner.in_len == 0 ? POLLIN : 0) | (s->owner.out_len ? POLLOUT : 0));
        owner_at = n;
        pf[n++] = (struct pollfd){.fd = ev ? s->owner.fd : -1, .events = ev};
    }
    int tty_at = -1;
    if (s->tty != NULL) {
        short ev;
        int fd = serve_tty_fd(s, &ev);
        tty_at = n;
        pf[n++] = (struct pollfd){.fd = fd, .events = ev};
    }
    int waiting_at = n;
    for (int i = 0; i < s->n_waiting; i++)
        pf[n++] = (struct pollfd){.fd = s->waiting[i].fd, .events = POLLIN};
    struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
    int r = ppoll(pf, (nfds_t)n, &ts, NULL);
    if (r < 0 && errno != EINTR) {
        snprintf(err, err_len, "poll: %s", strerror(errno));
        return -1;
    }
    if (r > 0) {
        /* A waiting client that hung up leaves the queue. */
        for (int i = s->n_waiting - 1; i >= 0; i--)
            if (pf[waiting_at + i].revents & (POLLHUP | POLLERR | POLLIN)) {
                uint8_t junk[512];
                ssize_t k = recv(s->waiting[i].fd, junk, sizeof junk, MSG_DONTWAIT);
                if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    serve_log_event(s->log, NULL, "left while waiting", s->waiting[i].peer);
                    serve_conn_close(&s->waiting[i]);
                    s->waiting[i] = s->waiting[--s->n_waiting];
                }
            }
        if (owner_at >= 0 && (pf[owner_at].revents & (POLLIN | POLLHUP | POLLERR)))
            read_owner(s);
        if (tty_at >= 0 && (pf[tty_at].revents & POLLIN))
            serve_tty_read(s);
        if (pf[0].revents & POLLIN)
            accept_clients(s);
    }
    serve_waiting(s);

    v = serve_now_v(s);
    if (s->dirty)
        serve_board_resimulate(s);
    if (s->owner.fd >= 0) {
        serve_commands_send_due_answers(s, v);
        serve_conn_flush(&s->owner);
        parse_owner(s); /* the input that waited for room */
        if (s->dirty)
            serve_board_resimulate(s);
        serve_commands_send_due_answers(s, serve_now_v(s));
    }
    serve_board_send_uart(s, v);
    if (s->tty != NULL)
        serve_tty_flush(s);
    if (s->owner.fd >= 0 && (serve_conn_flush(&s->owner) != 0 || s->owner.out_len > OUT_LIMIT))
        owner_gone(s, s->owner.out_len > OUT_LIMIT ? "dropped: not reading" : "connection lost");
    close_if_idle(s);
    serve_log_tick(s->log);
    serve_board_close_if_done(s, v);
    return 0;
}

/* ---- setup --------------------------------------------------------------- */

static int listen_on(struct serve *s, const char *spec, char *err, size_t err_len)
{
    char host[128], port[16];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof host || strlen(colon + 1) == 0 ||
        strlen(colon + 1) >= sizeof port || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
        snprintf(err, err_len, "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:2217", spec);
        return -1;
    }
    if (strtol(colon + 1, NULL, 10) > 65535) {
        snprintf(err, err_len, "--listen %s: a port is 0 to 65535", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, err_len, "--listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, err_len, "--listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    r2217_address_name(&sa, sl, s->address, sizeof s->address);
    s->listen_fd = fd;
    return 0;
}

struct serve *serve_new(const struct serve_opts *o, char *err, size_t err_len)
{
    struct serve *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    s->o = *o;
    s->listen_fd = -1;
    s->owner.fd = -1;
    for (int i = 0; i < NET_MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    if (o->bridge != NULL) { /* the board on the bridge's pins; the server's machine without its network path */
        s->wired = *o->board;
        if (o->bridge->circuit != NULL)
            s->wired.circuit = s->wired.real.circuit = o->bridge->circuit;
        s->server_host = *o->host;
        s->server_host.net = (struct net_path){0};
        s->server_host.split_both_lines = 0; /* the server's own U is one TIOCMSET (sim/netbridge.c server_play) */
        if (o->bridge->requests_per_line == 0) /* a GPIO moves when written (the matrix's server_line: no request) */
            s->server_host.request = (struct latency){0};
        s->o.board = &s->wired;
        s->o.host = &s->server_host;
        o = &s->o;
    }
    s->w = sim_world_new();
    s->sched = malloc(SCHED_MAX * sizeof *s->sched);
    s->uart = malloc(SCHED_MAX);
    s->leave = malloc(SCHED_MAX * sizeof *s->leave);
    if (s->w == NULL || s->sched == NULL || s->uart == NULL || s->leave == NULL || attempt_init(&s->at, o->board, o->host) != 0) {
        snprintf(err, err_len, "out of memory");
        serve_free(s);
        return NULL;
    }
    if (o->tty ? serve_tty_open(s, err, err_len) != 0 : listen_on(s, o->listen, err, err_len) != 0) {
        serve_free(s);
        return NULL;
    }
    s->log = serve_log_open(o, s->address, err, err_len);
    if (s->log == NULL) {
        serve_free(s);
        return NULL;
    }
    /* The server's own port, from power-on: opened asking for the lines
     * lowered, then lowered (pyserial with dtr = rts = False, as
     * esp_rfc2217_server opens it: Linux raises both inside open(2)). */
    sim_world_reset(s->w, o->board, o->host, o->seed);
    if (o->board->rom.flash_size > 0) { /* erased; memory only once written */
        s->flash = sim_flash_new(o->board->rom.flash_size);
        if (s->flash == NULL) {
            snprintf(err, err_len, "out of memory");
            serve_free(s);
            return NULL;
        }
        sim_attach_flash(s->w, s->flash);
    }
    sim_power_on(s->w);
    if (!o->tty) { /* --tty: the port stays closed until the tool opens it */
        sim_open(s->w, 1);
        sim_set_lines(s->w, 0, 0);
    }
    s->epoch0_ns = serial_now_ns();
    attempt_clear(&s->at);
    serve_board_new_epoch(s);
    return s;
}

const char *serve_address(const struct serve *s)
{
    return s->address;
}

int serve_idle(const struct serve *s)
{
    return s->owner.fd < 0 && s->n_waiting == 0 && !serve_bridge_connected(s) && !serve_board_epoch_active(s);
}

int serve_attempts(const struct serve *s)
{
    return serve_log_count(s->log);
}

void serve_free(struct serve *s)
{
    if (s == NULL)
        return;
    if (s->owner.fd >= 0)
        owner_gone(s, "server stopped");
    serve_bridge_close_all(s, "server stopped");
    for (int i = 0; i < s->n_waiting; i++)
        serve_conn_close(&s->waiting[i]);
    if (s->log != NULL && serve_board_epoch_active(s))
        serve_board_close_attempt(s, "server stopped before the board came to rest");
    serve_log_close(s->log);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    serve_tty_close(s);
    attempt_free(&s->at);
    sim_world_free(s->w);
    sim_flash_free(s->flash);
    free(s->sched);
    free(s->uart);
    free(s->leave);
    free(s);
}
