/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve --tty`: the board served on a local virtual port, for
 * unmodified tools (docs/serve.md#tty). A pty carries the data; the tool
 * runs with the preload library (preload/tty_preload.c), which sends its
 * modem-line calls, speed, open and close over a unix socket (the wire:
 * preload/tty_wire.h). Here: the pty and the socket, the library's
 * messages applied to the board (one TIOCMSET = one bridge request, answered
 * when the simulated request completes; the tool's open and close as the
 * host's OS makes them), the board's UART into the pty, and where the
 * library is. The control connection is the owner of serve.c: one at a
 * time, a second waits the grace period and is refused.
 * May call: harness/port (the monotonic clock), preload/ (the wire), sim/,
 * serve_board.c, serve_log.c, libc. */
#define _GNU_SOURCE /* ptsname_r, SO_PEERCRED */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "harness/port/port_serial.h"
#include "preload/tty_wire.h"
#include "sim/world.h"
#include "serve.h"
#include "serve_internal.h"
#include "serve_tty_usb.h"

#ifndef RESETLAB_BIN_TO_TTY
#define RESETLAB_BIN_TO_TTY "../lib/resetlab"
#endif
#define TTY_LIBRARY "libresetlab-tty.so"

struct serve_tty {
    int master, slave; /* the slave held open: the master never hangs up, and stays raw between tools */
    char port[64];
    char dir[SERVE_TTY_SOCKET_MAX + 1], socket[SERVE_TTY_SOCKET_MAX + 1];
    uint8_t *out; /* the board's UART, waiting for the pty to take it */
    size_t out_len;
    int port_open; /* the tool has the port open (its OPEN came, its CLOSE not) */
    char usb_name[64]; /* the port's USB name (serve_tty_usb.h); empty: none, tools use the pty's path */
};

/* ---- setup ---------------------------------------------------------------- */

static int make_pty(struct serve_tty *t, char *err, size_t err_len)
{
    t->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (t->master < 0 || grantpt(t->master) != 0 || unlockpt(t->master) != 0 ||
        ptsname_r(t->master, t->port, sizeof t->port) != 0) {
        snprintf(err, err_len, "--tty: cannot make a pty: %s", strerror(errno));
        return -1;
    }
    t->slave = open(t->port, O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios tio;
    if (t->slave < 0 || tcgetattr(t->slave, &tio) != 0) {
        snprintf(err, err_len, "--tty: cannot open %s: %s", t->port, strerror(errno));
        return -1;
    }
    cfmakeraw(&tio); /* no echo of the board's bytes back to us, before a tool sets its own */
    cfsetspeed(&tio, B115200);
    tcsetattr(t->slave, TCSANOW, &tio);
    return 0;
}

static int make_socket(struct serve *s, struct serve_tty *t, char *err, size_t err_len)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    int n = snprintf(t->dir, sizeof t->dir, "%s/resetlab-tty-XXXXXX", tmp);
    if (n < 0 || (size_t)n + strlen("/control") > SERVE_TTY_SOCKET_MAX) {
        snprintf(err, err_len, "--tty: TMPDIR %.60s: too long for the control socket's path (at most %d bytes "
                 "with /resetlab-tty-XXXXXX/control)", tmp, SERVE_TTY_SOCKET_MAX);
        t->dir[0] = '\0';
        return -1;
    }
    if (mkdtemp(t->dir) == NULL) {
        snprintf(err, err_len, "--tty: cannot make a folder in %s: %s", tmp, strerror(errno));
        t->dir[0] = '\0';
        return -1;
    }
    memcpy(t->socket, t->dir, strlen(t->dir)); /* fits: checked above */
    memcpy(t->socket + strlen(t->dir), "/control", sizeof "/control");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, t->socket, strlen(t->socket) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, MAX_WAITING) != 0) {
        snprintf(err, err_len, "--tty: %s: %s", t->socket, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->listen_fd = fd;
    snprintf(s->address, sizeof s->address, "%s", t->port);
    return 0;
}

int serve_tty_open(struct serve *s, char *err, size_t err_len)
{
    struct serve_tty *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    t->master = t->slave = -1;
    s->tty = t;
    t->out = malloc(SERVE_TTY_OUT_MAX);
    if (t->out == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (make_pty(t, err, err_len) != 0 || make_socket(s, t, err, err_len) != 0)
        return -1;
    if (serve_tty_usb_applies(s->o.board) &&
        serve_tty_usb_make(s->o.board, t->dir, t->usb_name, sizeof t->usb_name, err, err_len) != 0)
        return -1;
    return 0;
}

void serve_tty_close(struct serve *s)
{
    struct serve_tty *t = s->tty;
    if (t == NULL)
        return;
    if (t->socket[0])
        unlink(t->socket);
    if (t->usb_name[0])
        serve_tty_usb_remove(t->dir);
    if (t->dir[0])
        rmdir(t->dir);
    if (t->master >= 0)
        close(t->master);
    if (t->slave >= 0)
        close(t->slave);
    free(t->out);
    free(t);
    s->tty = NULL;
}

const char *serve_tty_port(const struct serve *s)
{
    return s->tty ? s->tty->port : NULL;
}

const char *serve_tty_socket(const struct serve *s)
{
    return s->tty ? s->tty->socket : NULL;
}

const char *serve_tty_name(const struct serve *s)
{
    if (s->tty == NULL)
        return NULL;
    return s->tty->usb_name[0] ? s->tty->usb_name : s->tty->port;
}

const char *serve_tty_sysfs(const struct serve *s)
{
    return s->tty != NULL && s->tty->usb_name[0] ? s->tty->dir : NULL;
}

int serve_tty_library(char *out, size_t len)
{
    char exe[SERVE_TTY_LIBRARY_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || (size_t)n >= sizeof exe - 1)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    /* the build tree's lib/resetlab beside the binary, then the installed one */
    const char *const under[] = {"lib/resetlab", RESETLAB_BIN_TO_TTY};
    for (size_t i = 0; i < sizeof under / sizeof under[0]; i++) {
        char path[SERVE_TTY_LIBRARY_MAX + 64], real[PATH_MAX];
        int w = snprintf(path, sizeof path, "%s/%s/%s", exe, under[i], TTY_LIBRARY);
        if (w > 0 && (size_t)w < sizeof path && access(path, R_OK) == 0 && realpath(path, real) != NULL &&
            strlen(real) < len) {
            memcpy(out, real, strlen(real) + 1); /* bin/../lib/... said plainly */
            return 0;
        }
    }
    snprintf(out, len, "%s/%s/%s", exe, RESETLAB_BIN_TO_TTY, TTY_LIBRARY);
    return -1;
}

/* "pid N (COMM)" of the library's process. */
void serve_tty_peer(int fd, char *out, size_t len)
{
    struct ucred cr;
    socklen_t sl = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) != 0) {
        snprintf(out, len, "tty client");
        return;
    }
    char path[64], comm[32] = "?";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)cr.pid);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fgets(comm, sizeof comm, f) != NULL)
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    snprintf(out, len, "pid %d (%s)", (int)cr.pid, comm);
}

/* ---- the library's messages ----------------------------------------------- */

static void queue_msg(struct serve *s, uint32_t op, uint32_t arg, uint32_t status, int64_t due_v)
{
    struct tty_wire_msg m = {TTY_WIRE_MAGIC, op, arg, status};
    serve_commands_queue_answer(s, (const uint8_t *)&m, sizeof m, due_v);
}

void serve_tty_welcome(struct serve *s)
{
    struct tty_wire_msg m = {TTY_WIRE_MAGIC, TTY_OP_WELCOME, 0, 0};
    serve_conn_queue(&s->owner, (const uint8_t *)&m, sizeof m);
}

static uint32_t bits_of(const struct serve *s)
{
    return (s->client_dtr ? TIOCM_DTR : 0u) | (s->client_rts ? TIOCM_RTS : 0u);
}

/* The port's speed as the tool set it: the host's UART rate. */
static void set_host_baud(struct serve *s, uint32_t baud)
{
    if (baud == s->baud)
        return;
    s->baud = baud;
    if (baud != 0)
        sim_set_host_baud(s->w, baud); /* a chip at another rate reads garbage, and sends it */
    char what[64];
    snprintf(what, sizeof what, "speed %u bit/s", (unsigned)baud);
    serve_log_event(s->log, NULL, what, s->owner.peer); /* the server's event budget bounds a tool that loops */
}

/* The tool's open or close: the host OS's sequence on this bridge. */
static void open_close(struct serve *s, const struct tty_wire_msg *m)
{
    int open = m->op == TTY_OP_OPEN;
    if (open == s->tty->port_open) {
        queue_msg(s, m->op, bits_of(s), open ? EBUSY : EBADF, serve_now_v(s));
        return;
    }
    serve_board_make_room(s);
    int64_t v = serve_now_v(s), done = serve_board_port_open_close(s, open, v);
    s->tty->port_open = open;
    s->last_line_v = v;
    s->owner.active_ns = serial_now_ns();
    queue_msg(s, m->op, bits_of(s), 0, done);
}

/* TIOCMSET, TIOCMBIS, TIOCMBIC: one bridge request each. */
static void set_lines(struct serve *s, const struct tty_wire_msg *m)
{
    if (!s->tty->port_open) {
        queue_msg(s, m->op, bits_of(s), EIO, serve_now_v(s));
        return;
    }
    uint32_t want = m->op == TTY_OP_MSET ? m->arg : m->op == TTY_OP_MBIS ? bits_of(s) | m->arg : bits_of(s) & ~m->arg;
    int both = m->op == TTY_OP_MSET || (m->arg & (TIOCM_DTR | TIOCM_RTS)) == (TIOCM_DTR | TIOCM_RTS);
    int d = (want & TIOCM_DTR) != 0, r = (want & TIOCM_RTS) != 0;
    int only_dtr = !both && (m->arg & TIOCM_DTR);
    char label[16];
    if (both)
        snprintf(label, sizeof label, "U%d,%d", d, r);
    else
        snprintf(label, sizeof label, "%c%d", only_dtr ? 'D' : 'R', only_dtr ? d : r);
    serve_board_split_before_command(s);
    serve_board_make_room(s);
    int64_t v = serve_now_v(s);
    s->last_line_v = v;
    s->owner.active_ns = serial_now_ns();
    s->client_dtr = d;
    s->client_rts = r;
    int64_t done = serve_board_apply_change(s, both || only_dtr ? d : -1, both || !only_dtr ? r : -1, label, 0, v);
    queue_msg(s, m->op, bits_of(s), 0, done);
}

/* One message; -1 when it is not one of the wire's. */
static int on_message(struct serve *s, const struct tty_wire_msg *m)
{
    if (m->magic != TTY_WIRE_MAGIC || m->op <= TTY_OP_WELCOME || m->op > TTY_OP_LAST)
        return -1;
    s->last_activity_v = serve_now_v(s);
    switch (m->op) {
    case TTY_OP_OPEN:
    case TTY_OP_CLOSE:
        open_close(s, m);
        break;
    case TTY_OP_MGET:
        queue_msg(s, m->op, bits_of(s), 0, serve_now_v(s));
        break;
    case TTY_OP_BAUD:
        if (m->arg == 0 || m->arg > SERVE_TTY_BAUD_MAX) {
            queue_msg(s, m->op, bits_of(s), EINVAL, serve_now_v(s));
            break;
        }
        set_host_baud(s, m->arg);
        queue_msg(s, m->op, bits_of(s), 0, serve_now_v(s));
        break;
    default:
        set_lines(s, m);
    }
    return 0;
}

void serve_tty_parse(struct serve *s)
{
    struct conn *c = &s->owner;
    for (;;) {
        while (c->fd >= 0 && c->in_len - c->in_off >= sizeof(struct tty_wire_msg) && s->n_answers < MAX_ANSWERS) {
            struct tty_wire_msg m;
            memcpy(&m, c->in + c->in_off, sizeof m);
            c->in_off += sizeof m;
            if (on_message(s, &m) != 0) {
                s->at.malformed++;
                serve_drop_owner(s, "closed: not a message of the tty library on the control socket");
                return;
            }
        }
        size_t left = c->in_len - c->in_off;
        if (c->fd < 0 || left == 0 || left >= sizeof(struct tty_wire_msg))
            return;
        /* a message cut by the socket: the rest is read now or at the next step */
        memmove(c->in, c->in + c->in_off, left);
        c->in_off = 0;
        c->in_len = left;
        ssize_t k = recv(c->fd, c->in + left, sizeof c->in - left, MSG_DONTWAIT);
        if (k == 0) {
            serve_drop_owner(s, "disconnected");
            return;
        }
        if (k < 0)
            return;
        c->in_len += (size_t)k;
    }
}

/* The connection went: a port still open is closed as the OS closes it
 * when the tool dies (its fds closed at exit). */
void serve_tty_owner_gone(struct serve *s)
{
    if (s->tty->port_open) {
        int64_t v = serve_now_v(s);
        serve_board_port_open_close(s, 0, v > s->absorb_until_v ? v : s->absorb_until_v);
        s->tty->port_open = 0;
    }
    s->at.closed = 1;
    s->client_dtr = s->client_rts = 0;
}

/* ---- data through the pty ------------------------------------------------- */

void serve_tty_uart(struct serve *s, uint8_t b)
{
    struct serve_tty *t = s->tty;
    if (t->out_len < SERVE_TTY_OUT_MAX) /* a tool that reads nothing: the rest is lost, as on a wire */
        t->out[t->out_len++] = b;
}

int serve_tty_fd(const struct serve *s, short *events)
{
    *events = (short)(POLLIN | (s->tty->out_len ? POLLOUT : 0));
    return s->tty->master;
}

void serve_tty_flush(struct serve *s)
{
    struct serve_tty *t = s->tty;
    while (t->out_len > 0) {
        ssize_t k = write(t->master, t->out, t->out_len);
        if (k <= 0)
            return;
        memmove(t->out, t->out + k, t->out_len - (size_t)k);
        t->out_len -= (size_t)k;
    }
}

/* What the tool wrote: SLIP frames to the chip's RX; nobody's bytes (no
 * owner) are dropped. */
void serve_tty_read(struct serve *s)
{
    uint8_t b[IN_MAX];
    ssize_t k = read(s->tty->master, b, sizeof b);
    if (k <= 0 || s->owner.fd < 0)
        return;
    if (!serve_board_epoch_active(s) && s->n_answers == 0)
        serve_board_new_epoch(s);
    s->last_activity_v = serve_now_v(s);
    serve_commands_on_data(s, b, (size_t)k);
}

