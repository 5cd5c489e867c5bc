/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real serial port backend's logic, above the seam (port_serial.h): which
 * calls happen and in what order, both lines in one TIOCMSET, the wait
 * deadlines, the port lock and the error text. The OS and libserialport are
 * reached only through struct serial_sys.
 * May call: struct serial_sys (the seam), port_lock.c, libc. */
#include "port_serial.h"

#include "port_lock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct serial_port {
    struct port port; /* what callers hold; port.ctx points back here */
    const struct serial_sys *sys;
    char path[SERIAL_PATH_MAX]; /* the resolved device */
    void *handle;               /* NULL while closed */
    int lock_fd;                /* the port lock, held from port_serial_new to port_serial_free */
    int64_t step_end_ns;        /* when the last step ended: the next wait's base (0: no step yet) */
    char error[384];
};

static int say(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail(struct serial_port *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct serial_port *sp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sp->error, sizeof sp->error, fmt, ap);
    va_end(ap);
    return -1;
}

static void copy_text(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

const char *serial_transport_name(int transport)
{
    switch (transport) {
    case SERIAL_USB:
        return "usb";
    case SERIAL_BLUETOOTH:
        return "bluetooth";
    default:
        return "native";
    }
}

/* ---- the host's clock ---------------------------------------------------- */

int64_t serial_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One clock_nanosleep to an absolute deadline: 0, EINTR or an error. */
static int sleep_once_until(int64_t deadline_ns)
{
    if (deadline_ns < 0)
        deadline_ns = 0;
    struct timespec at = {.tv_sec = (time_t)(deadline_ns / 1000000000), .tv_nsec = (long)(deadline_ns % 1000000000)};
    return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
}

int serial_sleep_until_ns(int64_t deadline_ns)
{
    int rc;
    /* A signal ends the sleep early; sleeping again to the same absolute
     * deadline loses nothing, where a relative sleep would restart. */
    while ((rc = sleep_once_until(deadline_ns)) == EINTR)
        ;
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

/* Short slices toward the same deadline: the signal handler only sets the
 * flag, and it may run on another thread (the capture's), so the flag is
 * looked at after every slice, and at once after an EINTR. */
int serial_sleep_until_ns_or_stop(int64_t deadline_ns, const volatile sig_atomic_t *stop)
{
    if (stop == NULL)
        return serial_sleep_until_ns(deadline_ns);
    const int64_t slice_ns = (int64_t)SERIAL_STOP_POLL_MS * 1000000;
    for (;;) {
        if (*stop)
            return 1;
        int64_t now = serial_now_ns();
        if (now >= deadline_ns)
            return 0;
        int rc = sleep_once_until(deadline_ns - now > slice_ns ? now + slice_ns : deadline_ns);
        if (rc != 0 && rc != EINTR) {
            errno = rc;
            return -1;
        }
    }
}

/* ---- the port lock: two CI jobs never share a board ---------------------- */

static void sanitize_name(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] && i + 1 < len; i++)
        out[i] = isalnum((unsigned char)in[i]) || in[i] == '.' || in[i] == '-' ? in[i] : '_';
    out[i] = '\0';
}

void serial_lock_path(const char *device, char *buf, size_t len)
{
    const char *dir = getenv("RESETLAB_LOCK_DIR");
    if (dir == NULL || dir[0] == '\0')
        dir = access("/run/lock", W_OK | X_OK) == 0 ? "/run/lock" : "/tmp";
    char name[128];
    sanitize_name(strncmp(device, "/dev/", 5) == 0 ? device + 5 : device, name, sizeof name);
    snprintf(buf, len, "%s/resetlab-%s.lock", dir, name);
}

/* flock, not the file's existence (lockfile.h): a lock left by a crashed
 * job is released by the kernel, so a stale file never blocks. */
static int lock_acquire(struct serial_port *sp)
{
    char file[PATH_MAX], why[300];
    serial_lock_path(sp->path, file, sizeof file);
    int rc = lockfile_take(file, &sp->lock_fd, why, sizeof why);
    if (rc == LOCKFILE_HELD)
        return fail(sp, "%s is in use by %s", sp->path, why);
    if (rc != 0)
        return fail(sp, "%s: %s", sp->path, why);
    return 0;
}

static void lock_release(struct serial_port *sp)
{
    lockfile_release(sp->lock_fd);
    sp->lock_fd = -1;
}

/* ---- port specs ---------------------------------------------------------- */

struct usb_match {
    int vid, pid;
    char serial[SERIAL_TEXT_MAX]; /* "" matches any */
};

/* 1 to 4 hex digits; returns how many were read, 0 when not a VID/PID. */
static int parse_hex16(const char *s, int *out)
{
    int n = 0, v = 0;
    while (isxdigit((unsigned char)s[n]) && n < 5) {
        char c = (char)tolower((unsigned char)s[n]);
        v = v * 16 + (isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
        n++;
    }
    if (n == 0 || n > 4)
        return 0;
    *out = v;
    return n;
}

static int parse_usb_match(const char *spec, struct usb_match *m)
{
    const char *s = spec + 4; /* after "usb:" */
    int n = parse_hex16(s, &m->vid);
    if (n == 0 || s[n] != ':')
        return -1;
    s += n + 1;
    if ((n = parse_hex16(s, &m->pid)) == 0)
        return -1;
    s += n;
    m->serial[0] = '\0';
    if (*s == '\0')
        return 0;
    if (*s != ':' || s[1] == '\0' || strlen(s + 1) >= sizeof m->serial)
        return -1;
    copy_text(m->serial, sizeof m->serial, s + 1);
    return 0;
}

static int usb_matches(const struct serial_port_info *p, const struct usb_match *m)
{
    return p->vid == m->vid && p->pid == m->pid && (m->serial[0] == '\0' || strcmp(p->serial, m->serial) == 0);
}

/* Appends ", /dev/ttyUSB0 (10c4:ea60 serial 0001)" to `buf`. */
static void append_port(char *buf, size_t len, const struct serial_port_info *p)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    snprintf(buf + used, len - used, "%s%s (%04x:%04x, serial %s)", used ? ", " : "", p->path, (unsigned)p->vid,
             (unsigned)p->pid, p->serial[0] ? p->serial : "none");
}

static int pick_usb_port(const struct serial_port_info *ports, int n, const char *spec, const struct usb_match *m,
                         char *path_out, size_t len, char *err, size_t err_len)
{
    char found[512] = "";
    int hits = 0, hit = -1;
    for (int i = 0; i < n; i++) {
        if (!usb_matches(&ports[i], m))
            continue;
        hits++;
        hit = hit < 0 ? i : hit;
        append_port(found, sizeof found, &ports[i]);
    }
    if (hits > 1)
        return say(err, err_len, "%s matches %d ports: %s; add :SERIAL to choose one", spec, hits, found);
    if (hits == 1) {
        if (strlen(ports[hit].path) >= len)
            return say(err, err_len, "%s: device path too long", spec);
        copy_text(path_out, len, ports[hit].path);
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (ports[i].vid >= 0)
            append_port(found, sizeof found, &ports[i]);
    return say(err, err_len, "no serial port matches %s (USB serial ports found: %s)", spec, found[0] ? found : "none");
}

static int resolve_usb(const struct serial_sys *sys, const char *spec, char *path_out, size_t len, char *err,
                       size_t err_len)
{
    struct usb_match m;
    if (parse_usb_match(spec, &m) != 0)
        return say(err, err_len, "bad USB match '%s': want usb:VID:PID or usb:VID:PID:SERIAL with hex ids, e.g. usb:10c4:ea60",
                   spec);
    struct serial_port_info *ports = calloc(SERIAL_MAX_PORTS, sizeof *ports);
    if (ports == NULL)
        return say(err, err_len, "out of memory");
    int n = sys->list(ports, SERIAL_MAX_PORTS);
    int rc = n < 0 ? say(err, err_len, "%s: cannot list serial ports: %s", spec, strerror(errno))
                   : pick_usb_port(ports, n, spec, &m, path_out, len, err, err_len);
    free(ports);
    return rc;
}

/* realpath turns a /dev/serial/by-id or by-path link into the device, so a
 * port has one lock whichever name a board uses. */
static int resolve_path(const char *spec, char *path_out, size_t len, char *err, size_t err_len)
{
    char real[PATH_MAX];
    struct stat st;
    if (realpath(spec, real) == NULL)
        return say(err, err_len, "%s: no such serial port (%s); `resetlab ports` lists them", spec, strerror(errno));
    if (stat(real, &st) != 0 || !S_ISCHR(st.st_mode))
        return say(err, err_len, "%s: not a serial port (%s is not a character device)", spec, real);
    if (strlen(real) >= len)
        return say(err, err_len, "%s: device path too long", spec);
    copy_text(path_out, len, real);
    return 0;
}

int serial_resolve_with(const struct serial_sys *sys, const char *spec, char *path_out, size_t len, char *err,
                        size_t err_len)
{
    if (sys == NULL)
        sys = &serial_sys_real;
    if (spec == NULL || spec[0] == '\0')
        return say(err, err_len, "empty port spec");
    if (strncasecmp(spec, "usb:", 4) == 0)
        return resolve_usb(sys, spec, path_out, len, err, err_len);
    return resolve_path(spec, path_out, len, err, err_len);
}

int serial_resolve(const char *spec, char *path_out, size_t len, char *err, size_t err_len)
{
    return serial_resolve_with(&serial_sys_real, spec, path_out, len, err, err_len);
}

/* ---- errors -------------------------------------------------------------- */

/* Why open failed, in the words a lab engineer acts on. ENODEV/ENOTTY/EINVAL
 * from open mean the device is no serial port with modem lines (a pty, a
 * Bluetooth SPP link): libserialport does not know it or TIOCMGET failed. */
static int open_failure(struct serial_port *sp, int e, const char *why)
{
    const char *reason = why[0] ? why : strerror(e);
    switch (e) {
    case ENOENT:
        return fail(sp, "%s: no such port (unplugged?)", sp->path);
    case ENODEV:
    case ENOTTY:
    case EINVAL:
        return fail(sp, "%s: not a serial port with modem lines (DTR/RTS): %s", sp->path, reason);
    case EACCES:
        return fail(sp, "%s: permission denied (is the user in the dialout group?)", sp->path);
    case EBUSY:
        return fail(sp, "%s: busy: another program opened it exclusively", sp->path);
    default:
        return fail(sp, "%s: cannot open: %s", sp->path, reason);
    }
}

/* A modem ioctl failed on an open port: ENOTTY/EINVAL mean the device has
 * no modem lines; anything else (EIO, ENODEV) is a port that went away. */
static int modem_failure(struct serial_port *sp, const char *doing, int e)
{
    if (e == ENOTTY || e == EINVAL)
        return fail(sp, "%s: not a serial port with modem lines (DTR/RTS): %s", sp->path, strerror(e));
    return fail(sp, "%s: %s DTR/RTS failed: %s", sp->path, doing, strerror(e));
}

/* ---- the port ops -------------------------------------------------------- */

static struct serial_port *serial_of(struct port *p)
{
    return (struct serial_port *)p->ctx;
}

static void step_done(struct serial_port *sp)
{
    sp->step_end_ns = serial_now_ns();
}

static int require_open(struct serial_port *sp, const char *doing)
{
    return sp->handle ? 0 : fail(sp, "%s: %s on a closed port", sp->path, doing);
}

static int with_line(int bits, int line, int asserted)
{
    return asserted ? bits | line : bits & ~line;
}

/* Linux has raised DTR and RTS inside open(2) already (pyserial's default,
 * and what O means); O0 lowers both at once in one TIOCMSET, though the
 * board has seen them raised for the few ms open took. The TIOCMGET first
 * also proves the device carries modem lines at all. */
static int after_open(struct serial_port *sp, int lowered)
{
    int bits;
    if (sp->sys->get_bits(sp->handle, &bits) != 0)
        return modem_failure(sp, "reading", errno);
    if (lowered && sp->sys->set_bits(sp->handle, with_line(with_line(bits, TIOCM_DTR, 0), TIOCM_RTS, 0)) != 0)
        return modem_failure(sp, "lowering", errno);
    /* Keeps other programs (a serial monitor) out during the run. Best
     * effort: the lock file is what keeps resetlab jobs apart. */
    if (sp->sys->exclusive(sp->handle) != 0) {
        /* not every tty driver supports TIOCEXCL */
    }
    return 0;
}

static int serial_open(struct port *p, int lowered)
{
    struct serial_port *sp = serial_of(p);
    if (sp->handle)
        return fail(sp, "%s: already open", sp->path);
    char why[256] = "";
    if (sp->sys->open(sp->path, &sp->handle, why, sizeof why) != 0) {
        sp->handle = NULL;
        open_failure(sp, errno, why);
        return -1;
    }
    if (after_open(sp, lowered) != 0) {
        sp->sys->close(sp->handle);
        sp->handle = NULL;
        return -1;
    }
    step_done(sp);
    return 0;
}

/* sp_close: the kernel's HUPCL drops DTR and RTS together, in one request. */
static int serial_close(struct port *p)
{
    struct serial_port *sp = serial_of(p);
    if (require_open(sp, "close") != 0)
        return -1;
    int rc = sp->sys->close(sp->handle);
    int e = errno;
    sp->handle = NULL;
    step_done(sp);
    return rc == 0 ? 0 : fail(sp, "%s: close failed: %s", sp->path, strerror(e));
}

/* Both lines in one TIOCMSET after a TIOCMGET for the other bits, as
 * esptool's UnixTightReset does. The kernel sends it as one USB request
 * (cp210x SET_MHS, ftdi SET_MODEM_CTRL, ch341 0xA4, pl2303/cdc-acm
 * SET_CONTROL_LINE_STATE), so the board sees both edges at once: the
 * point of the U op. On Windows the equivalent is one SetCommState; this
 * Linux-only build does not implement it. */
static int set_both_lines(struct serial_port *sp, int dtr, int rts)
{
    int bits;
    if (sp->sys->get_bits(sp->handle, &bits) != 0)
        return modem_failure(sp, "reading", errno);
    if (sp->sys->set_bits(sp->handle, with_line(with_line(bits, TIOCM_DTR, dtr), TIOCM_RTS, rts)) != 0)
        return modem_failure(sp, "setting", errno);
    return 0;
}

/* One line, one TIOCMBIS/TIOCMBIC, as pyserial does. Not sp_set_dtr /
 * sp_set_rts: libserialport re-applies its whole config there (tcsetattr
 * and both lines), more requests than the one the scenario asked for. */
static int set_one_line(struct serial_port *sp, int line, int asserted)
{
    int rc = asserted ? sp->sys->bis(sp->handle, line) : sp->sys->bic(sp->handle, line);
    return rc == 0 ? 0 : modem_failure(sp, "setting", errno);
}

static int serial_set_lines(struct port *p, int dtr, int rts)
{
    struct serial_port *sp = serial_of(p);
    if (require_open(sp, "setting DTR/RTS") != 0)
        return -1;
    int rc = 0;
    if (dtr >= 0 && rts >= 0)
        rc = set_both_lines(sp, dtr, rts);
    else if (dtr >= 0)
        rc = set_one_line(sp, TIOCM_DTR, dtr);
    else if (rts >= 0)
        rc = set_one_line(sp, TIOCM_RTS, rts);
    step_done(sp);
    return rc;
}

/* A wait ends at an absolute deadline: the end of the previous step (or the
 * previous wait's deadline) plus the wait. So W0.1 is 100 ms between the
 * line changes the board sees, not 100 ms plus our own overhead, and a run
 * of waits does not add up wake-up latencies. A stop asked for (p->stop)
 * ends it within SERIAL_STOP_POLL_MS. */
static int serial_sleep(struct port *p, double seconds)
{
    struct serial_port *sp = serial_of(p);
    if (!(seconds >= 0 && seconds <= 1e6))
        return fail(sp, "bad wait of %g s", seconds);
    int64_t base = sp->step_end_ns ? sp->step_end_ns : serial_now_ns();
    int64_t deadline = base + (int64_t)(seconds * 1e9 + 0.5);
    int rc = serial_sleep_until_ns_or_stop(deadline, p->stop);
    if (rc < 0)
        return fail(sp, "waiting failed: %s", strerror(errno));
    /* stopped: cut short, which the runner sees in the flag */
    sp->step_end_ns = rc == 1 ? serial_now_ns() : deadline;
    return 0;
}

static int serial_write(struct port *p, const uint8_t *bytes, size_t n)
{
    struct serial_port *sp = serial_of(p);
    if (require_open(sp, "write") != 0)
        return -1;
    int rc = sp->sys->write(sp->handle, bytes, n);
    int e = errno;
    step_done(sp);
    return rc == 0 ? 0 : fail(sp, "%s: writing %zu bytes failed: %s", sp->path, n, strerror(e));
}

static long serial_read1(struct port *p, uint8_t *byte, int timeout_ms)
{
    struct serial_port *sp = serial_of(p);
    long got = sp->sys->read(sp->handle, byte, 1, timeout_ms);
    return got >= 0 ? got : fail(sp, "%s: reading failed: %s", sp->path, strerror(errno));
}

static long serial_read(struct port *p, uint8_t *buf, size_t cap, double timeout_s, port_read_done done, void *ctx)
{
    struct serial_port *sp = serial_of(p);
    if (require_open(sp, "read") != 0)
        return -1;
    if (sp->sys->read == NULL)
        return fail(sp, "%s: this port cannot be read", sp->path);
    long n = port_read_bytewise(p, buf, cap, timeout_s, done, ctx, serial_read1);
    step_done(sp);
    return n;
}

static int64_t serial_port_now(struct port *p)
{
    (void)p; /* the op log's clock is the host's monotonic clock */
    return serial_now_ns();
}

static const char *serial_error(struct port *p)
{
    struct serial_port *sp = serial_of(p);
    return sp->error[0] ? sp->error : "no error";
}

/* Only for ports made by port_serial_new: the ops need its ctx. */
const struct port_ops port_serial_ops = {
    .name = "serial",
    .open = serial_open,
    .close = serial_close,
    .set_lines = serial_set_lines,
    .sleep = serial_sleep,
    .write = serial_write,
    .read = serial_read,
    .now_ns = serial_port_now,
    .error = serial_error,
};

struct port *port_serial_new(const char *spec, const struct serial_sys *sys, char *err, size_t err_len)
{
    if (sys == NULL)
        sys = &serial_sys_real;
    struct serial_port *sp = calloc(1, sizeof *sp);
    if (sp == NULL) {
        say(err, err_len, "out of memory");
        return NULL;
    }
    if (serial_resolve_with(sys, spec, sp->path, sizeof sp->path, err, err_len) != 0) {
        free(sp);
        return NULL;
    }
    sp->sys = sys;
    sp->lock_fd = -1;
    sp->port.ops = &port_serial_ops;
    sp->port.ctx = sp;
    /* Locked for the port object's life, not per open: a cell's runs
     * close and reopen the port, and another job must not slip in
     * between them. */
    if (lock_acquire(sp) != 0) {
        say(err, err_len, "%s", sp->error);
        free(sp);
        return NULL;
    }
    return &sp->port;
}

void port_serial_free(struct port *p)
{
    if (p == NULL)
        return;
    struct serial_port *sp = serial_of(p);
    if (sp->handle)
        serial_close(p);
    lock_release(sp);
    free(sp);
}

void port_serial_close_if_open(struct port *p)
{
    if (serial_of(p)->handle)
        serial_close(p);
}

const char *port_serial_path(const struct port *p)
{
    return ((const struct serial_port *)p->ctx)->path;
}

void *port_serial_handle(const struct port *p, const struct serial_sys **sys)
{
    const struct serial_port *sp = p->ctx;
    *sys = sp->sys;
    return sp->handle;
}
