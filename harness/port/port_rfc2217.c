/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The RFC 2217 client port backend (port_rfc2217.h): a TCP socket, the
 * codec of port_rfc2217_codec.h, and poll() with absolute CLOCK_MONOTONIC deadlines.
 * May call: port_rfc2217_codec.c, port_serial.h (its clock and waits), libc (sockets, poll). */
#include "port_rfc2217.h"

#include "port_rfc2217_codec.h"
#include "port_serial.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OPEN_BAUD 115200

struct r2217_port {
    struct port port; /* what callers hold; port.ctx points back here */
    char spec[300];
    char host[256], service[8];
    int fd; /* -1 while closed */
    struct r2217 codec;
    struct r2217_acks acks;
    int agreed, refused;
    uint8_t rx[4096]; /* serial data from the server, for port_rfc2217_read */
    size_t rx_len;
    size_t rx_want; /* WAIT_RX: how many bytes port_rfc2217_read waits for */
    const char *malformed; /* the last malformed sequence the server sent, for errors */
    int64_t step_end_ns;   /* when the last step ended: the next wait's base (0: no step yet) */
    char error[640]; /* the URL and what went wrong */
    char local[80];  /* our end of the last connection, as the server names it */
};

static struct r2217_port *rfc_of(struct port *p)
{
    return (struct r2217_port *)p->ctx;
}

/* Every error line starts with the port's URL. */
static int fail(struct r2217_port *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct r2217_port *rp, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(rp->error, sizeof rp->error, "%s: %s", rp->spec, what);
    return -1;
}

static void drop_connection(struct r2217_port *rp)
{
    if (rp->fd >= 0)
        close(rp->fd);
    rp->fd = -1;
}

static int ms_left(int64_t deadline_ns)
{
    int64_t left = deadline_ns - serial_now_ns();
    return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

static int64_t deadline_after_timeout(void)
{
    return serial_now_ns() + (int64_t)R2217_TIMEOUT_MS * 1000000;
}

/* ---- receiving ----------------------------------------------------------- */

static void on_event(struct r2217_port *rp, const struct r2217_event *ev)
{
    if (ev->kind == R2217_EV_AGREED)
        rp->agreed = 1;
    else if (ev->kind == R2217_EV_REFUSED)
        rp->refused = 1;
    else if (ev->kind == R2217_EV_MALFORMED)
        rp->malformed = ev->what;
    else if (ev->kind == R2217_EV_ANSWER)
        r2217_acks_match(&rp->acks, ev); /* unsolicited answers and notifications are dropped */
}

static void consume(struct r2217_port *rp, const uint8_t *in, size_t n)
{
    while (n > 0) {
        struct r2217_event ev;
        size_t k = r2217_feed(&rp->codec, in, n, rp->rx, sizeof rp->rx, &rp->rx_len, &ev);
        if (k == 0 && ev.kind == R2217_EV_NONE)
            rp->rx_len = 0; /* nobody read the UART: keep the newest bytes */
        on_event(rp, &ev);
        in += k;
        n -= k;
    }
}

static int send_all(struct r2217_port *rp, const uint8_t *bytes, size_t n);

/* One recv into the codec, then our negotiation answers out. 0, or -1. */
static int receive_once(struct r2217_port *rp)
{
    uint8_t buf[2048];
    ssize_t k = recv(rp->fd, buf, sizeof buf, 0);
    if (k == 0) {
        drop_connection(rp);
        return fail(rp, "the server closed the connection");
    }
    if (k < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        int e = errno;
        drop_connection(rp);
        return fail(rp, "receiving: %s", strerror(e));
    }
    consume(rp, buf, (size_t)k);
    if (rp->codec.reply_len == 0)
        return 0;
    size_t len = rp->codec.reply_len;
    rp->codec.reply_len = 0;
    return send_all(rp, rp->codec.reply, len);
}

enum wait_for { WAIT_AGREEMENT, WAIT_ANSWERS, WAIT_RX, WAIT_NOTHING };

static int waited_for(const struct r2217_port *rp, enum wait_for what)
{
    if (what == WAIT_AGREEMENT)
        return rp->agreed || rp->refused;
    if (what == WAIT_ANSWERS)
        return r2217_acks_all_done(&rp->acks);
    if (what == WAIT_RX)
        return rp->rx_len >= rp->rx_want || rp->rx_len == sizeof rp->rx;
    return 0;
}

/* Reads until `what` or the deadline: 0 when it came, 1 at the deadline,
 * -1 on a connection error (in rp->error). WAIT_NOTHING drains what has
 * arrived by the deadline. */
static int pump_until(struct r2217_port *rp, enum wait_for what, int64_t deadline_ns)
{
    while (!waited_for(rp, what)) {
        struct pollfd pf = {.fd = rp->fd, .events = POLLIN};
        int r = poll(&pf, 1, ms_left(deadline_ns));
        if (r < 0 && errno != EINTR)
            return fail(rp, "poll: %s", strerror(errno));
        if (r > 0 && receive_once(rp) != 0)
            return -1;
        if (r <= 0 && serial_now_ns() >= deadline_ns)
            return 1;
    }
    return 0;
}

/* Answers and echoes that came while we slept, so the socket never fills. */
static int drain(struct r2217_port *rp)
{
    return pump_until(rp, WAIT_NOTHING, 0) < 0 ? -1 : 0;
}

/* ---- sending ------------------------------------------------------------- */

/* MSG_NOSIGNAL: a server that went away is an error line, not SIGPIPE.
 * A stall (the server not reading) ends after R2217_TIMEOUT_MS. */
static int send_all(struct r2217_port *rp, const uint8_t *bytes, size_t n)
{
    int64_t deadline = deadline_after_timeout();
    while (n > 0) {
        ssize_t k = send(rp->fd, bytes, n, MSG_NOSIGNAL);
        if (k > 0) {
            bytes += k;
            n -= (size_t)k;
            deadline = deadline_after_timeout();
            continue;
        }
        if (k < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            int e = errno;
            drop_connection(rp);
            return fail(rp, e == EPIPE || e == ECONNRESET ? "the server closed the connection" : "sending: %s",
                        strerror(e));
        }
        struct pollfd pf = {.fd = rp->fd, .events = POLLOUT};
        if (poll(&pf, 1, ms_left(deadline)) == 0 && serial_now_ns() >= deadline)
            return fail(rp, "the server took no data for %d ms", R2217_TIMEOUT_MS);
    }
    return 0;
}

/* ---- requests and their answers ----------------------------------------- */

static int no_answer(struct r2217_port *rp)
{
    int i = r2217_acks_first_missing(&rp->acks);
    int command = rp->acks.want[i].command;
    uint32_t value = rp->acks.want[i].value;
    char what[64];
    if (command == R2217_SET_CONTROL)
        snprintf(what, sizeof what, "SET-CONTROL %s", r2217_control_name(value));
    else
        snprintf(what, sizeof what, "%s %u", r2217_command_name(command), value);
    if (rp->acks.mismatches > 0)
        return fail(rp, "no answer to %s within %d ms (the server answered %u instead)", what, R2217_TIMEOUT_MS,
                    rp->acks.last_mismatch);
    if (rp->malformed)
        return fail(rp, "no answer to %s within %d ms (the server sent a %s)", what, R2217_TIMEOUT_MS, rp->malformed);
    return fail(rp, "no answer to %s within %d ms", what, R2217_TIMEOUT_MS);
}

/* Sends `out` (the commands already expected in rp->acks) in ONE send()
 * and waits for every answer against one absolute deadline. */
static int transact(struct r2217_port *rp, const uint8_t *out, size_t n)
{
    if (drain(rp) != 0 || send_all(rp, out, n) != 0)
        return -1;
    int rc = pump_until(rp, WAIT_ANSWERS, deadline_after_timeout());
    return rc == 0 ? 0 : rc < 0 ? -1 : no_answer(rp);
}

static size_t add_control(struct r2217_port *rp, uint8_t value, uint8_t *out, size_t cap)
{
    r2217_acks_expect(&rp->acks, R2217_SET_CONTROL, value);
    return r2217_encode_control(value, out, cap);
}

/* dtr/rts: 1 asserted, 0 released, -1 left alone. */
static int send_lines(struct r2217_port *rp, int dtr, int rts)
{
    uint8_t out[2 * R2217_COMMAND_MAX];
    size_t n = 0;
    r2217_acks_reset(&rp->acks);
    rp->malformed = NULL;
    if (dtr >= 0)
        n += add_control(rp, dtr ? R2217_DTR_ON : R2217_DTR_OFF, out + n, sizeof out - n);
    if (rts >= 0)
        n += add_control(rp, rts ? R2217_RTS_ON : R2217_RTS_OFF, out + n, sizeof out - n);
    return n == 0 ? 0 : transact(rp, out, n);
}

/* ser2net 4.3 in front of another RFC 2217 server drops a COM-PORT command
 * that reaches it before its own connection has agreed COM-PORT-OPTION
 * (it answers DO at once); SET-BAUDRATE, sent right after, is sent again
 * once if unanswered after BAUD_RESEND_MS. A second answer is harmless:
 * answers are matched, not counted. */
#define BAUD_RESEND_MS 150

static int send_baud(struct r2217_port *rp, uint32_t baud)
{
    uint8_t out[R2217_COMMAND_MAX];
    r2217_acks_reset(&rp->acks);
    rp->malformed = NULL;
    r2217_acks_expect(&rp->acks, R2217_SET_BAUDRATE, baud);
    size_t n = r2217_encode_baud(baud, out, sizeof out);
    int64_t deadline = deadline_after_timeout();
    if (drain(rp) != 0 || send_all(rp, out, n) != 0)
        return -1;
    int rc = pump_until(rp, WAIT_ANSWERS, serial_now_ns() + (int64_t)BAUD_RESEND_MS * 1000000);
    if (rc == 1 && (send_all(rp, out, n) != 0 || (rc = pump_until(rp, WAIT_ANSWERS, deadline)) < 0))
        return -1;
    return rc == 0 ? 0 : rc < 0 ? -1 : no_answer(rp);
}

/* ---- connecting ---------------------------------------------------------- */

/* 0 connected, else errno (ETIMEDOUT at the deadline). */
static int connect_one(int fd, const struct addrinfo *ai, int64_t deadline_ns)
{
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return errno;
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    int r;
    while ((r = poll(&pf, 1, ms_left(deadline_ns))) < 0 && errno == EINTR)
        ;
    if (r == 0)
        return ETIMEDOUT;
    int e = 0;
    socklen_t len = sizeof e;
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        return errno;
    return e;
}

/* Each address the name has, until one answers, within one deadline. */
static int connect_tcp(struct r2217_port *rp)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *list;
    int rc = getaddrinfo(rp->host, rp->service, &hints, &list);
    if (rc != 0)
        return fail(rp, "%s: %s", rp->host, gai_strerror(rc));
    int64_t deadline = deadline_after_timeout();
    int e = ECONNREFUSED;
    for (struct addrinfo *ai = list; ai != NULL && rp->fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            continue;
        }
        e = connect_one(fd, ai, deadline);
        if (e == 0)
            rp->fd = fd;
        else
            close(fd);
    }
    freeaddrinfo(list);
    if (rp->fd < 0)
        return e == ETIMEDOUT ? fail(rp, "connect: no answer within %d ms", R2217_TIMEOUT_MS)
                              : fail(rp, "connect: %s", strerror(e));
    int one = 1; /* each SET-CONTROL must leave now, not after Nagle's wait */
    setsockopt(rp->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    if (getsockname(rp->fd, (struct sockaddr *)&sa, &sl) == 0)
        r2217_address_name(&sa, sl, rp->local, sizeof rp->local);
    else
        snprintf(rp->local, sizeof rp->local, "?:?");
    return 0;
}

void r2217_address_name(const struct sockaddr_storage *sa, socklen_t len, char *out, size_t out_len)
{
    char host[64] = "?", port[16] = "?";
    getnameinfo((const struct sockaddr *)sa, len, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, out_len, sa->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

const char *port_rfc2217_local_address(struct port *p)
{
    return p->ops == &port_rfc2217_ops ? rfc_of(p)->local : "";
}

/* Our hello, then the server's DO COM-PORT-OPTION. */
static int negotiate(struct r2217_port *rp)
{
    uint8_t hello[32];
    r2217_init(&rp->codec);
    rp->agreed = rp->refused = 0;
    rp->rx_len = 0;
    if (send_all(rp, hello, r2217_hello(&rp->codec, hello, sizeof hello)) != 0)
        return -1;
    int rc = pump_until(rp, WAIT_AGREEMENT, deadline_after_timeout());
    if (rc < 0)
        return -1;
    if (rc > 0)
        return fail(rp, "the server did not agree to RFC 2217 (COM-PORT-OPTION) within %d ms", R2217_TIMEOUT_MS);
    if (rp->refused)
        return fail(rp, "the server refused RFC 2217 (DONT COM-PORT-OPTION)");
    return 0;
}

static void step_done(struct r2217_port *rp)
{
    rp->step_end_ns = serial_now_ns();
}

static int require_open(struct r2217_port *rp, const char *doing)
{
    return rp->fd >= 0 ? 0 : fail(rp, "%s on a closed port", doing);
}

/* ---- port_ops ------------------------------------------------------------ */

/* As Linux opens a tty (DTR and RTS raised) and pyserial's rfc2217 open
 * sends them; O0 sends both released instead. */
static int rfc_open(struct port *p, int lowered)
{
    struct r2217_port *rp = rfc_of(p);
    if (rp->fd >= 0)
        return fail(rp, "open: the port is already open");
    int rc = connect_tcp(rp) != 0 || negotiate(rp) != 0 || send_baud(rp, OPEN_BAUD) != 0 ||
                     send_lines(rp, lowered ? 0 : 1, lowered ? 0 : 1) != 0
                 ? -1
                 : 0;
    if (rc != 0)
        drop_connection(rp);
    step_done(rp);
    return rc;
}

static int rfc_close(struct port *p)
{
    struct r2217_port *rp = rfc_of(p);
    if (require_open(rp, "close") != 0)
        return -1;
    drop_connection(rp);
    step_done(rp);
    return 0;
}

static int rfc_set_lines(struct port *p, int dtr, int rts)
{
    struct r2217_port *rp = rfc_of(p);
    if (require_open(rp, "setting DTR/RTS") != 0)
        return -1;
    int rc = send_lines(rp, dtr, rts);
    step_done(rp);
    return rc;
}

/* The same absolute-deadline waits as serial.c: W0.1 is 100 ms between
 * the changes the board sees, whatever our own overhead; a stop asked for
 * ends one as it does there. */
static int rfc_sleep(struct port *p, double seconds)
{
    struct r2217_port *rp = rfc_of(p);
    if (!(seconds >= 0 && seconds <= 1e6))
        return fail(rp, "bad wait of %g s", seconds);
    int64_t base = rp->step_end_ns ? rp->step_end_ns : serial_now_ns();
    int64_t deadline = base + (int64_t)(seconds * 1e9 + 0.5);
    int rc = serial_sleep_until_ns_or_stop(deadline, p->stop);
    if (rc < 0)
        return fail(rp, "waiting failed: %s", strerror(errno));
    /* stopped: cut short, which the runner sees in the flag */
    rp->step_end_ns = rc == 1 ? serial_now_ns() : deadline;
    return 0;
}

static int rfc_write(struct port *p, const uint8_t *bytes, size_t n)
{
    struct r2217_port *rp = rfc_of(p);
    if (require_open(rp, "write") != 0)
        return -1;
    uint8_t out[4096];
    int rc = drain(rp);
    while (rc == 0 && n > 0) {
        size_t used;
        size_t k = r2217_encode_data(bytes, n, &used, out, sizeof out);
        rc = send_all(rp, out, k);
        bytes += used;
        n -= used;
    }
    step_done(rp);
    return rc;
}

static int64_t rfc_now(struct port *p)
{
    (void)p; /* the op log's clock is the host's monotonic clock */
    return serial_now_ns();
}

static const char *rfc_error(struct port *p)
{
    struct r2217_port *rp = rfc_of(p);
    return rp->error[0] ? rp->error : "no error";
}

static long rfc_read1(struct port *p, uint8_t *byte, int timeout_ms)
{
    return port_rfc2217_read(p, byte, 1, 1, timeout_ms);
}

static long rfc_read(struct port *p, uint8_t *buf, size_t cap, double timeout_s, port_read_done done, void *ctx)
{
    return port_read_bytewise(p, buf, cap, timeout_s, done, ctx, rfc_read1);
}

const struct port_ops port_rfc2217_ops = {
    .name = "rfc2217",
    .open = rfc_open,
    .close = rfc_close,
    .set_lines = rfc_set_lines,
    .sleep = rfc_sleep,
    .write = rfc_write,
    .read = rfc_read,
    .now_ns = rfc_now,
    .error = rfc_error,
};

struct port *port_rfc2217_new(const char *spec, char *err, size_t err_len)
{
    struct r2217_port *rp = calloc(1, sizeof *rp);
    if (rp == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (r2217_parse_url(spec, rp->host, sizeof rp->host, rp->service, sizeof rp->service, err, err_len) != 0) {
        free(rp);
        return NULL;
    }
    snprintf(rp->spec, sizeof rp->spec, "%s", spec);
    rp->fd = -1;
    rp->port.ops = &port_rfc2217_ops;
    rp->port.ctx = rp;
    return &rp->port;
}

void port_rfc2217_free(struct port *p)
{
    if (p == NULL)
        return;
    drop_connection(rfc_of(p));
    free(rfc_of(p));
}

void port_rfc2217_close_if_open(struct port *p)
{
    drop_connection(rfc_of(p));
}

long port_rfc2217_read(struct port *p, uint8_t *buf, size_t cap, size_t want, int timeout_ms)
{
    struct r2217_port *rp = rfc_of(p);
    if (require_open(rp, "read") != 0)
        return -1;
    rp->rx_want = want;
    if (pump_until(rp, WAIT_RX, serial_now_ns() + (int64_t)timeout_ms * 1000000) < 0)
        return -1;
    size_t n = rp->rx_len < cap ? rp->rx_len : cap;
    memcpy(buf, rp->rx, n);
    memmove(rp->rx, rp->rx + n, rp->rx_len - n);
    rp->rx_len -= n;
    return (long)n;
}

/* ---- either real backend ------------------------------------------------- */

struct port *port_real_new(const char *spec, const struct serial_sys *sys, char *err, size_t err_len)
{
    return r2217_is_url(spec) ? port_rfc2217_new(spec, err, err_len) : port_serial_new(spec, sys, err, err_len);
}

void port_real_free(struct port *p)
{
    if (p != NULL && p->ops == &port_rfc2217_ops)
        port_rfc2217_free(p);
    else
        port_serial_free(p);
}

void port_real_close_if_open(struct port *p)
{
    if (p->ops == &port_rfc2217_ops)
        port_rfc2217_close_if_open(p);
    else
        port_serial_close_if_open(p);
}
