/* `resetlab serve` (serve.h): sockets and poll, the RFC 2217 server side,
 * and the virtual board driven in real time. The attempt log is in
 * serve_log.c. */
#define _GNU_SOURCE /* ppoll */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

#include "analyzers/slip.h"
#include "sim/world.h"
#include "harness/port/port_rfc2217.h"
#include "harness/port/port_rfc2217_codec.h"
#include "harness/port/port_serial.h"
#include "serve_log.h"

#define MAX_WAITING 64 /* a tool reconnecting in a loop queues behind its own closing connections */
#define OUT_LIMIT (1u << 20) /* a client that reads nothing for this long is dropped */
#define MAX_ANSWERS 64
#define SCHED_MAX 16384 /* UART bytes of one epoch */
#define FRAME_MAX 128   /* the sim's longest write: longer SLIP frames are cut (README) */
#define IDLE_REBASE_NS 1000000000LL

struct conn {
    int fd; /* -1: none */
    char peer[64];
    struct r2217 codec;
    uint8_t *out;
    size_t out_len, out_cap;
    int64_t since_ns;
};

struct answer {
    int64_t due_v; /* on the epoch's clock */
    uint8_t b[R2217_COMMAND_MAX];
    size_t n;
};

struct serve {
    struct serve_opts o;
    int listen_fd;
    char address[96];
    struct conn owner;
    struct conn waiting[MAX_WAITING];
    int n_waiting;
    struct sim_world *w;
    int64_t epoch0_ns; /* CLOCK_MONOTONIC of the epoch's t = 0 */
    struct attempt at; /* what the epoch did, for the log */
    struct serve_log *log;
    /* the UART as sim_finish last saw it, by time */
    struct uart_byte *sched;
    size_t n_sched;
    uint8_t *uart;
    int dirty, sim_failed;
    int64_t sent_until_v, rx_free_v, absorb_until_v;
    int64_t last_line_v, last_activity_v; /* the client's last line command, and last command or frame */
    struct answer answers[MAX_ANSWERS];
    int n_answers;
    uint8_t frame[FRAME_MAX];
    size_t frame_len;
    int in_frame;
    int client_dtr, client_rts; /* as the client last asked */
    int line_dtr, line_rts;     /* as the bridge holds them */
    uint32_t baud, datasize, parity, stopsize, linestate_mask, modemstate_mask;
};

static int64_t now_v(const struct serve *s)
{
    return serial_now_ns() - s->epoch0_ns;
}

/* ---- connections --------------------------------------------------------- */

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->out);
    *c = (struct conn){.fd = -1};
}

static int conn_queue(struct conn *c, const uint8_t *b, size_t n)
{
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

/* Sends what the socket takes now; -1 when the peer is gone. */
static int conn_flush(struct conn *c)
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

/* ---- the board ----------------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
    const struct uart_byte *x = a, *y = b;
    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

/* Runs the epoch so far; the UART's bytes sorted by when they start. */
static void resimulate(struct serve *s)
{
    size_t len = 0;
    s->sim_failed = sim_finish(s->w, &s->at.rb->tr, s->uart, SCHED_MAX, &len, &s->at.truth) != 0;
    const double *t = NULL;
    size_t n = sim_uart_times(s->w, &t);
    if (n > len)
        n = len;
    for (size_t i = 0; i < n; i++)
        s->sched[i] = (struct uart_byte){t[i], s->uart[i]};
    /* equal times keep their order: qsort is not stable, so break ties by index */
    for (size_t i = 0; i < n; i++)
        s->sched[i].t_ns += (double)i * 1e-6;
    qsort(s->sched, n, sizeof *s->sched, by_time);
    s->n_sched = n;
    s->dirty = 0;
}

static double byte_ns(const struct serve *s)
{
    return 10.0 / s->o.board->chip->baud * 1e9;
}

/* Bytes the board has finished sending by now go to the client. */
static void send_uart(struct serve *s, int64_t v)
{
    double done = byte_ns(s);
    for (size_t i = 0; i < s->n_sched; i++) {
        double t = s->sched[i].t_ns + done;
        if (t <= (double)s->sent_until_v || t > (double)v)
            continue;
        s->at.uart_sent++;
        if (s->owner.fd < 0)
            continue; /* nobody listening: the bytes are lost, as on a wire */
        uint8_t enc[2];
        size_t used = 0, k = r2217_encode_data(&s->sched[i].value, 1, &used, enc, sizeof enc);
        conn_queue(&s->owner, enc, k);
    }
    if (v > s->sent_until_v)
        s->sent_until_v = v;
}

/* The next moment something on the board's side is due, or INT64_MAX. */
static int64_t next_uart_v(const struct serve *s)
{
    double done = byte_ns(s);
    for (size_t i = 0; i < s->n_sched; i++) {
        double t = s->sched[i].t_ns + done;
        if (t > (double)s->sent_until_v)
            return (int64_t)ceil(t);
    }
    return INT64_MAX;
}

/* A new epoch at t = 0 = now: the previous one's board at rest. */
static void new_epoch(struct serve *s)
{
    resimulate(s);
    sim_continue(s->w);
    s->epoch0_ns = serial_now_ns();
    s->at.t0_monotonic_ns = s->epoch0_ns;
    s->sent_until_v = s->rx_free_v = s->absorb_until_v = 0;
    s->last_line_v = s->last_activity_v = 0;
    s->n_sched = 0;
    attempt_clear(&s->at);
    s->at.t0_monotonic_ns = s->epoch0_ns;
}

static int close_attempt(struct serve *s, const char *note, char *err, size_t err_len)
{
    resimulate(s);
    if (s->at.n_line_ops == 0) { /* data alone (a terminal, a flasher's traffic): not an attempt */
        new_epoch(s);
        return 0;
    }
    if (note != NULL)
        snprintf(s->at.note, sizeof s->at.note, "%s", note);
    int rc = serve_log_attempt(s->log, &s->at, s->sched, s->n_sched, s->sim_failed, err, err_len);
    if (s->o.on_attempt != NULL)
        s->o.on_attempt(s->o.ctx, &s->at, &s->at.rb->a);
    new_epoch(s);
    return rc;
}

/* The lines as the bridge now holds them; an attempt wants download when
 * they ever pull IO0 low (or ask the USB reset for download). */
static void track_lines(struct serve *s, int dtr, int rts)
{
    if (dtr >= 0)
        s->line_dtr = dtr;
    if (rts >= 0)
        s->line_rts = rts;
    const struct circuit *c = s->o.board->circuit;
    if (c->kind == CIRCUIT_USB_JTAG) {
        s->at.wants_download |= c->usb_action[s->line_dtr][s->line_rts] == USB_SET_FLAG;
        s->at.wants_reset |= c->usb_action[s->line_dtr][s->line_rts] == USB_RESET;
    } else {
        s->at.wants_download |= circuit_io0(c, s->line_dtr, s->line_rts) == DRIVE_LOW;
        s->at.wants_reset |= circuit_en(c, s->line_dtr, s->line_rts) == DRIVE_LOW;
    }
}

static void record_op(struct serve *s, const char *label, int64_t arrived, int64_t before, int64_t after,
                      int is_port_op)
{
    if (s->at.peer[0] == '\0' && s->owner.fd >= 0) {
        snprintf(s->at.peer, sizeof s->at.peer, "%s", s->owner.peer);
        s->at.connected_mono_ns = s->owner.since_ns;
    }
    attempt_add_op(&s->at, label, arrived, before, after, is_port_op);
    s->dirty = 1;
}

/* One line change as the server's host makes it: the request starts when
 * the host is free, and is answered when the bridge has applied it. */
static int64_t apply_change(struct serve *s, int dtr, int rts, const char *label, int is_port_op, int64_t v)
{
    sim_advance_to(s->w, v);
    int64_t before = sim_now_ns(s->w);
    sim_set_lines(s->w, dtr, rts);
    track_lines(s, dtr, rts);
    record_op(s, label, v, before, sim_now_ns(s->w), is_port_op);
    return sim_now_ns(s->w);
}

/* --reset-replay: the scenario's line changes and waits, run here. */
static int64_t replay_reset(struct serve *s, int64_t v)
{
    const struct op_seq *seq = &s->o.replay->seq[s->o.host->os];
    int last = -1;
    for (int i = 0; i < seq->n; i++)
        if (seq->ops[i].kind <= OP_BOTH)
            last = i;
    sim_advance_to(s->w, v);
    for (int i = 0; i <= last; i++) {
        const struct op *op = &seq->ops[i];
        char label[16];
        if (op->kind == OP_WAIT) {
            sim_sleep(s->w, op->wait_s);
            continue;
        }
        if (op->kind > OP_BOTH)
            continue;
        int d = op->kind == OP_RTS ? -1 : op->dtr, r = op->kind == OP_DTR ? -1 : op->rts;
        if (op->kind == OP_BOTH)
            snprintf(label, sizeof label, "U%d,%d", d, r);
        else
            snprintf(label, sizeof label, "%c%d", op->kind == OP_DTR ? 'D' : 'R', op->kind == OP_DTR ? d : r);
        int64_t before = sim_now_ns(s->w);
        sim_set_lines(s->w, d, r);
        track_lines(s, d, r);
        record_op(s, label, v, before, sim_now_ns(s->w), 0);
    }
    s->at.replays++;
    return sim_now_ns(s->w);
}

/* ---- answers ------------------------------------------------------------- */

static void answer_at(struct serve *s, int command, uint32_t value, size_t len, int64_t due_v)
{
    if (s->n_answers >= MAX_ANSWERS || s->owner.fd < 0)
        return;
    uint8_t v[4];
    for (size_t i = 0; i < len; i++)
        v[i] = (uint8_t)(value >> (8 * (len - 1 - i)));
    struct answer *a = &s->answers[s->n_answers++];
    /* in the order the commands came */
    int64_t prev = s->n_answers > 1 ? s->answers[s->n_answers - 2].due_v : INT64_MIN;
    a->due_v = due_v > prev ? due_v : prev;
    a->n = r2217_encode_answer(command, v, len, a->b, sizeof a->b);
}

static void send_due_answers(struct serve *s, int64_t v)
{
    int k = 0;
    while (k < s->n_answers && s->answers[k].due_v <= v) {
        conn_queue(&s->owner, s->answers[k].b, s->answers[k].n);
        k++;
    }
    memmove(s->answers, s->answers + k, (size_t)(s->n_answers - k) * sizeof *s->answers);
    s->n_answers -= k;
}

/* An epoch that cannot take more ends here, at rest or not (noted). */
static int make_room(struct serve *s, char *err, size_t err_len)
{
    if (!sim_epoch_full(s->w) && !attempt_full(&s->at))
        return 0;
    return close_attempt(s, "cut: too many line changes or writes before the board came to rest", err, err_len);
}

/* The lines hold the chip in reset: its reset is not over yet. */
static int lines_hold_reset(const struct serve *s)
{
    const struct circuit *c = s->o.board->circuit;
    if (c->kind == CIRCUIT_USB_JTAG)
        return c->usb_action[s->line_dtr][s->line_rts] == USB_RESET;
    return circuit_en(c, s->line_dtr, s->line_rts) == DRIVE_LOW;
}

/* The board at rest: nothing due, the chip not held in reset; the epoch
 * can end. */
static int at_rest(struct serve *s, int64_t v)
{
    if (s->dirty)
        resimulate(s);
    return s->n_answers == 0 && v >= sim_rest_ns(s->w) && v >= s->absorb_until_v && !lines_hold_reset(s);
}

/* A line command long after the last one, with the board at rest, starts
 * a new attempt: a tool's next reset. */
static int split_before_command(struct serve *s, char *err, size_t err_len)
{
    int64_t v = now_v(s);
    if (!s->at.n_line_ops || v - s->last_line_v < (int64_t)(s->o.attempt_gap_ms * 1e6) || !at_rest(s, v))
        return 0;
    return close_attempt(s, NULL, err, err_len);
}

static void on_line_command(struct serve *s, uint32_t value)
{
    int64_t v = now_v(s);
    s->last_line_v = v;
    int is_dtr = value == R2217_DTR_ON || value == R2217_DTR_OFF;
    int on = value == R2217_DTR_ON || value == R2217_RTS_ON;
    char label[16];
    snprintf(label, sizeof label, "%c%d", is_dtr ? 'D' : 'R', on);
    int starts_reset = s->o.replay && is_dtr && on && !s->client_dtr && s->client_rts && v >= s->absorb_until_v;
    if (is_dtr)
        s->client_dtr = on;
    else
        s->client_rts = on;
    if (starts_reset) {
        attempt_add_absorbed(&s->at, label, v, 1);
        s->absorb_until_v = replay_reset(s, v);
        answer_at(s, R2217_SET_CONTROL, value, 1, v);
    } else if (v < s->absorb_until_v) {
        attempt_add_absorbed(&s->at, label, v, 0);
        answer_at(s, R2217_SET_CONTROL, value, 1, v);
    } else {
        int64_t done = apply_change(s, is_dtr ? on : -1, is_dtr ? -1 : on, label, 0, v);
        answer_at(s, R2217_SET_CONTROL, value, 1, done);
    }
}

static void on_set_control(struct serve *s, uint32_t value)
{
    int64_t v = now_v(s);
    switch (value) {
    case R2217_DTR_ON:
    case R2217_DTR_OFF:
    case R2217_RTS_ON:
    case R2217_RTS_OFF:
        return on_line_command(s, value);
    case R2217_FLOW_REQUEST:
        return answer_at(s, R2217_SET_CONTROL, R2217_FLOW_NONE, 1, v);
    case R2217_DTR_REQUEST:
        return answer_at(s, R2217_SET_CONTROL, s->client_dtr ? R2217_DTR_ON : R2217_DTR_OFF, 1, v);
    case R2217_RTS_REQUEST:
        return answer_at(s, R2217_SET_CONTROL, s->client_rts ? R2217_RTS_ON : R2217_RTS_OFF, 1, v);
    default: /* flow control and BREAK: accepted; the board has no use for them */
        return answer_at(s, R2217_SET_CONTROL, value, 1, v);
    }
}

/* A setting: 0 asks for the current value, anything else sets it. */
static void on_setting(struct serve *s, int command, uint32_t *slot, uint32_t value, size_t len)
{
    if (value != 0)
        *slot = value;
    answer_at(s, command, *slot, len, now_v(s));
}

static void on_command(struct serve *s, const struct r2217_event *ev)
{
    int64_t v = now_v(s);
    switch (ev->command) {
    case R2217_SIGNATURE:
        if (ev->value_len == 0) { /* a request for ours */
            char text[160];
            int n = snprintf(text, sizeof text, "resetlab serve %s on %s", s->o.board->name, s->o.host->name);
            uint8_t b[200];
            size_t k = r2217_encode_command(R2217_SIGNATURE + R2217_SERVER_OFFSET, (const uint8_t *)text,
                                            (size_t)n, b, sizeof b);
            conn_queue(&s->owner, b, k);
        }
        return;
    case R2217_SET_BAUDRATE:
        return on_setting(s, ev->command, &s->baud, ev->value, 4);
    case R2217_SET_DATASIZE:
        return on_setting(s, ev->command, &s->datasize, ev->value, 1);
    case R2217_SET_PARITY:
        return on_setting(s, ev->command, &s->parity, ev->value, 1);
    case R2217_SET_STOPSIZE:
        return on_setting(s, ev->command, &s->stopsize, ev->value, 1);
    case R2217_SET_CONTROL:
        return on_set_control(s, ev->value);
    case R2217_SET_LINESTATE_MASK:
        s->linestate_mask = ev->value;
        return answer_at(s, ev->command, ev->value, 1, v);
    case R2217_SET_MODEMSTATE_MASK:
        s->modemstate_mask = ev->value;
        return answer_at(s, ev->command, ev->value, 1, v);
    case R2217_FLOWCONTROL_SUSPEND:
    case R2217_FLOWCONTROL_RESUME:
        return answer_at(s, ev->command, 0, 0, v);
    case R2217_PURGE_DATA:
        /* Nothing waits in our buffers: bytes go out as the board sends
         * them. A half-received frame from the client is dropped. */
        if (ev->value & R2217_PURGE_TX)
            s->frame_len = 0, s->in_frame = 0;
        return answer_at(s, ev->command, ev->value, 1, v);
    default: /* NOTIFY-LINESTATE / -MODEMSTATE are the server's to send */
        return;
    }
}

/* ---- data from the client: SLIP frames to the chip's RX ------------------- */

static int submit_frame(struct serve *s, char *err, size_t err_len)
{
    if (make_room(s, err, err_len) != 0)
        return -1;
    int64_t v = now_v(s), start = v > s->rx_free_v ? v : s->rx_free_v;
    int64_t arrived = sim_receive(s->w, start, s->frame, s->frame_len);
    if (arrived < 0)
        return 0;
    s->rx_free_v = arrived;
    s->at.frames++;
    s->dirty = 1;
    /* A SYNC is the attempt's probe, as an S op is a scenario's: the
     * analysis then says whether the ROM answered it. */
    int is_sync = s->frame_len > 3 && s->frame[1] == 0x00 && s->frame[2] == ESP_SYNC;
    size_t n = s->at.n_ops;
    if (is_sync && (n == 0 || strcmp(s->at.rb->log[n - 1].label, "S") != 0))
        record_op(s, "S", v, v, arrived, 0);
    return 0;
}

static int on_data(struct serve *s, const uint8_t *b, size_t n, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i] == SLIP_END) {
            if (s->in_frame && s->frame_len > 1) {
                s->frame[s->frame_len++] = SLIP_END;
                if (submit_frame(s, err, err_len) != 0)
                    return -1;
                s->in_frame = 0;
                s->frame_len = 0;
            } else {
                s->in_frame = 1;
                s->frame[0] = SLIP_END;
                s->frame_len = 1;
            }
        } else if (s->in_frame && s->frame_len < FRAME_MAX - 1) {
            s->frame[s->frame_len++] = b[i];
        } /* junk between frames, and the tail of an over-long frame, are dropped */
    }
    return 0;
}

static int epoch_active(const struct serve *s);

/* ---- owner lifecycle ----------------------------------------------------- */

static void take_board(struct serve *s, struct conn *c)
{
    s->owner = *c;
    s->owner.since_ns = serial_now_ns(); /* when it got the board */
    *c = (struct conn){.fd = -1};
    r2217_init_server(&s->owner.codec);
    uint8_t hello[16];
    size_t n = r2217_hello(&s->owner.codec, hello, sizeof hello);
    conn_queue(&s->owner, hello, n);
    s->n_answers = 0;
    s->frame_len = 0;
    s->in_frame = 0;
    s->baud = (uint32_t)s->o.board->chip->baud;
    s->datasize = 8;
    s->parity = 1; /* NONE */
    s->stopsize = 1;
    serve_log_event(s->log, "connected", s->owner.peer);
}

/* The owner left: lines back to deasserted, RTS first (the chip is let out
 * of reset before IO0 is released, never the reverse), as a port op so a
 * reset it causes counts as spurious. */
static void owner_gone(struct serve *s, const char *why)
{
    serve_log_event(s->log, why, s->owner.peer);
    /* The close is an op of the client's attempt (a run's C), and the
     * attempt says it ended the connection: a served run collects its
     * attempts up to that one (capture_serve.h). */
    int64_t now = now_v(s);
    record_op(s, "C", now, now, now, 1);
    s->at.closed = 1;
    conn_close(&s->owner);
    s->n_answers = 0;
    int64_t v = now > s->absorb_until_v ? now : s->absorb_until_v;
    if (s->client_rts)
        v = apply_change(s, -1, 0, "R0", 1, v);
    if (s->client_dtr)
        apply_change(s, 0, -1, "D0", 1, v);
    s->client_dtr = s->client_rts = 0;
    s->last_activity_v = now_v(s);
}

static void refuse(struct serve *s, struct conn *c)
{
    char line[256];
    int n = snprintf(line, sizeof line, "resetlab serve: %s is in use by %s; try again when it disconnects\r\n",
                     s->o.board->name, s->owner.peer);
    conn_queue(c, (const uint8_t *)line, (size_t)n);
    conn_flush(c);
    serve_log_event(s->log, "refused", c->peer);
    conn_close(c);
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
        r2217_address_name(&sa, sl, c.peer, sizeof c.peer);
        if (s->owner.fd < 0 && s->n_waiting == 0)
            take_board(s, &c);
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

static int read_owner(struct serve *s, char *err, size_t err_len)
{
    uint8_t in[4096], data[4096];
    ssize_t got = recv(s->owner.fd, in, sizeof in, MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        owner_gone(s, got == 0 ? "disconnected" : "connection lost");
        return 0;
    }
    if (got < 0)
        return 0;
    /* An idle epoch restarts at this command: the attempt's capture
     * begins with it. */
    if (!epoch_active(s) && s->n_answers == 0)
        new_epoch(s);
    size_t off = 0;
    while (off < (size_t)got) {
        struct r2217_event ev = {0};
        size_t dlen = 0;
        off += r2217_feed(&s->owner.codec, in + off, (size_t)got - off, data, sizeof data, &dlen, &ev);
        if (s->owner.codec.reply_len) {
            conn_queue(&s->owner, s->owner.codec.reply, s->owner.codec.reply_len);
            s->owner.codec.reply_len = 0;
        }
        if (dlen || ev.kind == R2217_EV_COMMAND)
            s->last_activity_v = now_v(s);
        if (dlen && on_data(s, data, dlen, err, err_len) != 0)
            return -1;
        int line_command = ev.kind == R2217_EV_COMMAND && ev.command == R2217_SET_CONTROL &&
                           ev.value >= R2217_DTR_ON && ev.value <= R2217_RTS_OFF && ev.value != R2217_RTS_REQUEST;
        if (line_command && (split_before_command(s, err, err_len) != 0 || make_room(s, err, err_len) != 0))
            return -1;
        if (ev.kind == R2217_EV_COMMAND) {
            on_command(s, &ev);
        }
        else if (ev.kind == R2217_EV_MALFORMED) {
            s->at.malformed++;
            serve_log_event(s->log, ev.what, s->owner.peer);
        }
    }
    return 0;
}

/* ---- the loop ------------------------------------------------------------ */

static int epoch_active(const struct serve *s)
{
    return s->at.n_ops > 0 || s->at.frames > 0 || s->at.n_absorbed > 0;
}

/* Idle epochs move their t = 0 to now, so an attempt's capture starts
 * near its first command. */
static void rebase_if_idle(struct serve *s)
{
    if (!epoch_active(s) && s->n_answers == 0 && now_v(s) > IDLE_REBASE_NS)
        new_epoch(s);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int serve_step(struct serve *s, int max_wait_ms, char *err, size_t err_len)
{
    rebase_if_idle(s);
    if (s->dirty)
        resimulate(s);
    int64_t v = now_v(s);
    int64_t due = (int64_t)max_wait_ms * 1000000LL + v;
    if (s->n_answers > 0)
        due = min64(due, s->answers[0].due_v);
    due = min64(due, next_uart_v(s));
    if (epoch_active(s)) {
        int64_t rest = sim_rest_ns(s->w) > s->absorb_until_v ? sim_rest_ns(s->w) : s->absorb_until_v;
        int64_t quiet = s->last_activity_v + (int64_t)(s->o.attempt_gap_ms * 1e6);
        due = min64(due, rest > quiet ? rest : quiet);
    }
    if (s->n_waiting > 0) {
        int64_t since = s->waiting[0].since_ns > s->owner.since_ns ? s->waiting[0].since_ns : s->owner.since_ns;
        due = min64(due, since + (int64_t)(s->o.grace_ms * 1e6) - s->epoch0_ns);
    }
    int64_t wait = due - v;
    if (wait < 0)
        wait = 0;

    struct pollfd pf[2 + MAX_WAITING];
    int n = 0;
    pf[n++] = (struct pollfd){.fd = s->listen_fd, .events = s->n_waiting < MAX_WAITING ? POLLIN : 0};
    int owner_at = -1;
    if (s->owner.fd >= 0) {
        owner_at = n;
        pf[n++] = (struct pollfd){.fd = s->owner.fd, .events = (short)(POLLIN | (s->owner.out_len ? POLLOUT : 0))};
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
                    serve_log_event(s->log, "left while waiting", s->waiting[i].peer);
                    conn_close(&s->waiting[i]);
                    s->waiting[i] = s->waiting[--s->n_waiting];
                }
            }
        if (owner_at >= 0 && (pf[owner_at].revents & (POLLIN | POLLHUP | POLLERR)) &&
            read_owner(s, err, err_len) != 0)
            return -1;
        if (pf[0].revents & POLLIN)
            accept_clients(s);
    }
    serve_waiting(s);

    v = now_v(s);
    if (s->dirty)
        resimulate(s);
    if (s->owner.fd >= 0)
        send_due_answers(s, v);
    send_uart(s, v);
    if (s->owner.fd >= 0 && (conn_flush(&s->owner) != 0 || s->owner.out_len > OUT_LIMIT))
        owner_gone(s, s->owner.out_len > OUT_LIMIT ? "dropped: not reading" : "connection lost");
    if (epoch_active(s) && v - s->last_activity_v >= (int64_t)(s->o.attempt_gap_ms * 1e6) && at_rest(s, v))
        return close_attempt(s, NULL, err, err_len);
    if (s->sim_failed && epoch_active(s))
        return close_attempt(s, "cut: the virtual analyzer's buffers filled before the board came to rest", err,
                             err_len);
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
    s->w = sim_world_new();
    s->sched = malloc(SCHED_MAX * sizeof *s->sched);
    s->uart = malloc(SCHED_MAX);
    if (s->w == NULL || s->sched == NULL || s->uart == NULL || attempt_init(&s->at, o->board, o->host) != 0) {
        snprintf(err, err_len, "out of memory");
        serve_free(s);
        return NULL;
    }
    if (listen_on(s, o->listen, err, err_len) != 0) {
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
    sim_power_on(s->w);
    sim_open(s->w, 1);
    sim_set_lines(s->w, 0, 0);
    s->epoch0_ns = serial_now_ns();
    attempt_clear(&s->at);
    new_epoch(s);
    return s;
}

const char *serve_address(const struct serve *s)
{
    return s->address;
}

int serve_idle(const struct serve *s)
{
    return s->owner.fd < 0 && s->n_waiting == 0 && !epoch_active(s);
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
    for (int i = 0; i < s->n_waiting; i++)
        conn_close(&s->waiting[i]);
    if (s->log != NULL && epoch_active(s)) {
        char err[256];
        close_attempt(s, "server stopped before the board came to rest", err, sizeof err);
    }
    serve_log_close(s->log);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    attempt_free(&s->at);
    sim_world_free(s->w);
    free(s->sched);
    free(s->uart);
    free(s);
}
