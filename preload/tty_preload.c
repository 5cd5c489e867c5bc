/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libresetlab-tty.so, the LD_PRELOAD half of the local virtual port
 * (`resetlab serve --tty`, docs/serve.md#tty): it lets an unmodified,
 * dynamically linked tool (esptool through pyserial, node's serialport,
 * picocom) drive a simulated board's DTR and RTS through a pty.
 *
 * A pty has no modem lines: Linux answers TIOCMGET/TIOCMSET/TIOCMBIS/
 * TIOCMBIC and TIOCGSERIAL on it with an error. For the one device named
 * by RESETLAB_TTY only (matched by device number, whatever path opened it),
 * this library
 *   - on open, connects to the server's control socket (RESETLAB_TTY_SOCKET)
 *     and tells it the port opened (the OS's open raises DTR and RTS);
 *   - turns each TIOCMSET, TIOCMBIS, TIOCMBIC into one request to the server,
 *     which applies it as one bridge request through the host model and
 *     answers when the simulated request completes (so the call takes as
 *     long as on that host); TIOCMGET asks for the lines as they are;
 *   - after tcsetattr and TCSETS/TCSETS2 (custom rates), tells the server
 *     the port's output speed: the chip sees the host's baud;
 *   - answers TIOCGSERIAL / TIOCSSERIAL (node serialport's and pyserial's
 *     low-latency switch) and TIOCSBRK / TIOCCBRK here: nothing to simulate;
 *   - on close, tells the server (with HUPCL, the OS's close drops the lines)
 *     before the pty is closed.
 * On a board with a USB identity, the port also goes by its USB name and
 * has sysfs entries (preload/tty_usb.c). Data goes through the pty untouched. Every other fd and call goes
 * straight to libc. When the server is gone or never answers, the call
 * fails with EIO after one line on stderr; a port another client owns
 * fails to open with EBUSY and the server's line. The wire is
 * preload/tty_wire.h. Built without the sanitizers (it runs inside other
 * programs); thread-safe (node calls ioctl from its worker threads).
 * May call: libc and libdl only (it is loaded into the tool's process). */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/serial.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tty_usb.h"
#include "tty_wire.h"

/* The kernel's struct termios2 (asm/termbits.h, which clashes with
 * <termios.h>): TCGETS2 reads the port's speed in bit/s, custom or not. */
struct termios2 {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_line;
    cc_t c_cc[19];
    speed_t c_ispeed, c_ospeed;
};

#define TTY_MAX_FDS 16 /* opens of the port at once in one process */
#define EXPORT __attribute__((visibility("default")))

struct tracked {
    int fd, sock;
    pid_t pid; /* the process that opened it: a child's close of the inherited fd is not the port's */
    int gone; /* the server is gone: said once */
    uint32_t baud;
    int serial_flags; /* TIOCSSERIAL's flags, handed back by TIOCGSERIAL */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked fds[TTY_MAX_FDS];
static int n_fds;

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*tcsetattr_fn)(int, int, const struct termios *);

static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static int real_close(int fd)
{
    static close_fn f;
    if (f == NULL)
        f = (close_fn)real("close");
    return f(fd);
}

static int real_ioctl(int fd, unsigned long req, void *arg)
{
    static ioctl_fn f;
    if (f == NULL)
        f = (ioctl_fn)real("ioctl");
    return f(fd, req, arg);
}

static void say(const char *what, const char *why)
{
    fprintf(stderr, "resetlab: tty: %s: %s\n", what, why);
}

/* ---- the tracked fds ------------------------------------------------------ */

static struct tracked *find(int fd)
{
    for (int i = 0; i < n_fds; i++)
        if (fds[i].fd == fd)
            return &fds[i];
    return NULL;
}

static void forget(struct tracked *t)
{
    *t = fds[--n_fds];
}

/* fd is the virtual port: the device RESETLAB_TTY names. */
static int is_port(int fd)
{
    const char *path = getenv(TTY_ENV_PORT);
    struct stat want, got;
    return path != NULL && stat(path, &want) == 0 && S_ISCHR(want.st_mode) && fstat(fd, &got) == 0 &&
           S_ISCHR(got.st_mode) && got.st_rdev == want.st_rdev;
}

/* ---- the control socket --------------------------------------------------- */

/* Reads n bytes within the reply timeout; 0, or -1 (EOF, error, timeout). */
static int read_full(int sock, void *buf, size_t n)
{
    size_t k = 0;
    time_t until = time(NULL) + TTY_REPLY_TIMEOUT_S;
    while (k < n) {
        struct pollfd pf = {.fd = sock, .events = POLLIN};
        int left = (int)(until - time(NULL));
        if (left < 0 || (poll(&pf, 1, left * 1000) <= 0 && errno != EINTR))
            return -1;
        ssize_t r = read(sock, (char *)buf + k, n - k);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
            return -1;
        if (r > 0)
            k += (size_t)r;
    }
    return 0;
}

/* One request and its answer; the bits in *bits. -1 with errno: EIO when
 * the server is gone (said once), else what the server answered. */
static int request(struct tracked *t, uint32_t op, uint32_t arg, uint32_t *bits)
{
    if (t->gone) {
        errno = EIO;
        return -1;
    }
    struct tty_wire_msg m = {TTY_WIRE_MAGIC, op, arg, 0};
    if (send(t->sock, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m || read_full(t->sock, &m, sizeof m) != 0 ||
        m.magic != TTY_WIRE_MAGIC || m.op != op) {
        t->gone = 1;
        say(getenv(TTY_ENV_SOCKET), "the resetlab server is gone, did not answer, or closed this port's "
                                    "connection (serve's --idle-timeout): DTR, RTS and the speed cannot reach the "
                                    "board");
        errno = EIO;
        return -1;
    }
    if (m.status != 0) {
        errno = (int)m.status;
        return -1;
    }
    if (bits != NULL)
        *bits = m.arg;
    return 0;
}

/* Connects and waits for the board; the socket, or -1 with errno (EIO,
 * EBUSY when another client has it) after one line on stderr. */
static int connect_server(void)
{
    const char *path = getenv(TTY_ENV_SOCKET);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (path == NULL || path[0] == '\0') {
        say(TTY_ENV_SOCKET, "not set: run the tool with the environment `resetlab serve --tty` prints");
        errno = EIO;
        return -1;
    }
    if (strlen(path) > TTY_SOCKET_PATH_MAX) {
        char why[96];
        snprintf(why, sizeof why, "%zu bytes long; a unix socket's path is at most %d", strlen(path),
                 TTY_SOCKET_PATH_MAX);
        say(TTY_ENV_SOCKET, why);
        errno = EIO;
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) != 0) {
        char why[160];
        snprintf(why, sizeof why, "cannot reach the resetlab server (%s): is `resetlab serve --tty` running?",
                 strerror(errno));
        say(path, why);
        if (sock >= 0)
            real_close(sock);
        errno = EIO;
        return -1;
    }
    struct tty_wire_msg m = {0};
    char text[256] = {0};
    int got = read_full(sock, &m, 4) == 0;
    if (got && m.magic != TTY_WIRE_MAGIC) { /* refused: one line of text */
        memcpy(text, &m, 4);
        for (size_t k = 4; k < sizeof text - 1 && read(sock, text + k, 1) == 1 && text[k] != '\n'; k++)
            ;
        text[strcspn(text, "\r\n")] = '\0';
        say(path, text);
        real_close(sock);
        errno = EBUSY;
        return -1;
    }
    if (!got || read_full(sock, (char *)&m + 4, sizeof m - 4) != 0 || m.op != TTY_OP_WELCOME) {
        say(path, "the resetlab server closed the connection without giving the board");
        real_close(sock);
        errno = EIO;
        return -1;
    }
    return sock;
}

/* A new fd of the port: the server is told of the open. Returns fd, or -1
 * (the fd closed) with errno. */
static int track(int fd)
{
    if (fd < 0 || !is_port(fd))
        return fd;
    pthread_mutex_lock(&lock);
    int err = 0;
    if (n_fds >= TTY_MAX_FDS) {
        say(getenv(TTY_ENV_PORT), "opened more than 16 times at once in one process");
        err = EMFILE;
    } else {
        int sock = connect_server();
        if (sock < 0) {
            err = errno;
        } else {
            struct tracked *t = &fds[n_fds++];
            *t = (struct tracked){.fd = fd, .sock = sock, .pid = getpid()};
            if (request(t, TTY_OP_OPEN, 0, NULL) != 0) {
                err = errno;
                real_close(sock);
                forget(t);
            }
        }
    }
    pthread_mutex_unlock(&lock);
    if (err != 0) {
        real_close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* The port's output speed after a settings call, to the server when it
 * changed. */
static void forward_speed(struct tracked *t)
{
    struct termios2 t2;
    if (real_ioctl(t->fd, TCGETS2, &t2) == 0 && t2.c_ospeed != 0 && t2.c_ospeed != t->baud &&
        request(t, TTY_OP_BAUD, t2.c_ospeed, NULL) == 0)
        t->baud = t2.c_ospeed;
}

/* ---- the intercepted calls ------------------------------------------------ */

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_WRAPPER(name)                                                                                           \
    EXPORT int name(const char *path, int flags, ...)                                                               \
    {                                                                                                                \
        static open_fn f;                                                                                            \
        if (f == NULL)                                                                                               \
            f = (open_fn)real(#name);                                                                                \
        va_list ap;                                                                                                  \
        va_start(ap, flags);                                                                                         \
        mode_t mode = mode_of(flags, ap);                                                                            \
        va_end(ap);                                                                                                  \
        char buf[PATH_MAX];                                                                                          \
        return track(f(tty_usb_path(path, buf, sizeof buf), flags, mode));                                           \
    }
#define OPENAT_WRAPPER(name)                                                                                         \
    EXPORT int name(int dir, const char *path, int flags, ...)                                                      \
    {                                                                                                                \
        static openat_fn f;                                                                                          \
        if (f == NULL)                                                                                               \
            f = (openat_fn)real(#name);                                                                              \
        va_list ap;                                                                                                  \
        va_start(ap, flags);                                                                                         \
        mode_t mode = mode_of(flags, ap);                                                                            \
        va_end(ap);                                                                                                  \
        char buf[PATH_MAX];                                                                                          \
        return track(f(dir, tty_usb_path(path, buf, sizeof buf), flags, mode));                                      \
    }

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* _FORTIFY_SOURCE's forms, without a mode */
EXPORT int __open_2(const char *path, int flags)
{
    return open(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
    return open(path, flags);
}

EXPORT int close(int fd)
{
    pthread_mutex_lock(&lock);
    struct tracked *t = find(fd);
    if (t != NULL) {
        struct termios tio;
        int hupcl = tcgetattr(fd, &tio) != 0 || (tio.c_cflag & HUPCL);
        if (t->pid == getpid()) /* the port stays open in the parent */
            request(t, TTY_OP_CLOSE, (uint32_t)hupcl, NULL);
        real_close(t->sock);
        forget(t);
    }
    pthread_mutex_unlock(&lock);
    return real_close(fd);
}

/* The modem-line and serial-info calls a pty refuses, answered here and by
 * the server; 1 when handled (*rc set), 0 to pass the call on. */
static int modem_call(struct tracked *t, unsigned long req, void *arg, int *rc)
{
    uint32_t bits = 0, op;
    switch (req) {
    case TIOCMGET: op = TTY_OP_MGET; break;
    case TIOCMSET: op = TTY_OP_MSET; break;
    case TIOCMBIS: op = TTY_OP_MBIS; break;
    case TIOCMBIC: op = TTY_OP_MBIC; break;
    case TIOCGSERIAL: {
        struct serial_struct ss;
        memset(&ss, 0, sizeof ss);
        ss.type = PORT_16550A;
        ss.flags = t->serial_flags;
        memcpy(arg, &ss, sizeof ss);
        *rc = 0;
        return 1;
    }
    case TIOCSSERIAL: {
        struct serial_struct ss;
        memcpy(&ss, arg, sizeof ss);
        t->serial_flags = ss.flags;
        *rc = 0;
        return 1;
    }
    case TIOCSBRK:
    case TIOCCBRK:
        *rc = 0;
        return 1;
    default:
        return 0;
    }
    if (arg == NULL) {
        errno = EFAULT;
        *rc = -1;
        return 1;
    }
    int in = 0;
    if (op != TTY_OP_MGET)
        memcpy(&in, arg, sizeof in);
    *rc = request(t, op, (uint32_t)in & (TIOCM_DTR | TIOCM_RTS), &bits);
    if (*rc == 0 && op == TTY_OP_MGET) {
        int out = (int)bits;
        memcpy(arg, &out, sizeof out);
    }
    return 1;
}

static int is_set_termios(unsigned long req)
{
    return req == TCSETS || req == TCSETSW || req == TCSETSF || req == TCSETS2 || req == TCSETSW2 ||
           req == TCSETSF2;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    pthread_mutex_lock(&lock);
    struct tracked *t = find(fd);
    int rc = 0;
    if (t != NULL && modem_call(t, req, arg, &rc)) {
        int e = errno;
        pthread_mutex_unlock(&lock);
        errno = e;
        return rc;
    }
    pthread_mutex_unlock(&lock);
    rc = real_ioctl(fd, req, arg);
    if (rc == 0 && t != NULL && is_set_termios(req)) {
        pthread_mutex_lock(&lock);
        if ((t = find(fd)) != NULL)
            forward_speed(t);
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

EXPORT int tcsetattr(int fd, int when, const struct termios *tio)
{
    static tcsetattr_fn f;
    if (f == NULL)
        f = (tcsetattr_fn)real("tcsetattr");
    int rc = f(fd, when, tio);
    if (rc == 0) {
        int e = errno;
        pthread_mutex_lock(&lock);
        struct tracked *t = find(fd);
        if (t != NULL)
            forward_speed(t);
        pthread_mutex_unlock(&lock);
        errno = e;
    }
    return rc;
}
