/* The real serial backend's logic through a fake seam (which calls, in
 * which order, the lock, the wait deadlines, the error text), and its
 * real libserialport error path on a pty. Never opens /dev/ttyS*. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/port/port_serial.h"
#include "helpers.h"

#define LINES (TIOCM_DTR | TIOCM_RTS)
#define MS 1000000LL

/* ---- the fake seam: records every call, models the driver's lines ------- */

enum call_kind { CALL_OPEN, CALL_CLOSE, CALL_EXCL, CALL_GET, CALL_SET, CALL_BIS, CALL_BIC, CALL_WRITE };
struct call {
    enum call_kind kind;
    int arg; /* bits for SET/BIS/BIC, byte count for WRITE */
};

static struct {
    struct call calls[64];
    int n_calls;
    int lines;      /* TIOCM_* output bits as the driver holds them */
    int get_errno;  /* nonzero: TIOCMGET fails with it (a pty, an SPP link) */
    int open_errno; /* nonzero: open fails with it */
    struct serial_port_info ports[4];
    int n_ports;
} fake;

static void record(enum call_kind kind, int arg)
{
    cr_assert_lt(fake.n_calls, 64, "the fake's call log overflowed");
    fake.calls[fake.n_calls++] = (struct call){kind, arg};
}

static int fake_open(const char *path, void **handle, char *why, size_t why_len)
{
    (void)path;
    if (fake.open_errno) {
        snprintf(why, why_len, "the fake refuses");
        errno = fake.open_errno;
        return -1;
    }
    record(CALL_OPEN, 0);
    fake.lines |= LINES; /* Linux raises DTR and RTS inside open(2) */
    *handle = &fake;
    return 0;
}

static int fake_close(void *handle)
{
    (void)handle;
    record(CALL_CLOSE, 0);
    fake.lines &= ~LINES; /* HUPCL */
    return 0;
}

static int fake_exclusive(void *handle)
{
    (void)handle;
    record(CALL_EXCL, 0);
    return 0;
}

static int fake_get_bits(void *handle, int *bits)
{
    (void)handle;
    record(CALL_GET, 0);
    if (fake.get_errno) {
        errno = fake.get_errno;
        return -1;
    }
    *bits = fake.lines | TIOCM_CTS | TIOCM_DSR; /* inputs come back too */
    return 0;
}

static int fake_set_bits(void *handle, int bits)
{
    (void)handle;
    record(CALL_SET, bits);
    fake.lines = bits & LINES;
    return 0;
}

static int fake_bis(void *handle, int bits)
{
    (void)handle;
    record(CALL_BIS, bits);
    fake.lines |= bits;
    return 0;
}

static int fake_bic(void *handle, int bits)
{
    (void)handle;
    record(CALL_BIC, bits);
    fake.lines &= ~bits;
    return 0;
}

static int fake_write(void *handle, const uint8_t *bytes, size_t n)
{
    (void)handle;
    (void)bytes;
    record(CALL_WRITE, (int)n);
    return 0;
}

static int fake_list(struct serial_port_info *out, int max)
{
    int n = fake.n_ports < max ? fake.n_ports : max;
    memcpy(out, fake.ports, (size_t)n * sizeof *out);
    return n;
}

static const struct serial_sys fake_sys = {
    .open = fake_open,
    .close = fake_close,
    .exclusive = fake_exclusive,
    .get_bits = fake_get_bits,
    .set_bits = fake_set_bits,
    .bis = fake_bis,
    .bic = fake_bic,
    .write = fake_write,
    .list = fake_list,
};

static void add_usb_port(const char *path, int vid, int pid, const char *serial)
{
    struct serial_port_info *p = &fake.ports[fake.n_ports++];
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    p->transport = SERIAL_USB;
    p->vid = vid;
    p->pid = pid;
    snprintf(p->serial, sizeof p->serial, "%s", serial);
}

/* ---- the suite: a fresh fake and a private lock directory per test ------ */

static char lock_dir[64];

static void setup(void)
{
    memset(&fake, 0, sizeof fake);
    add_usb_port("/dev/ttyUSB0", 0x10c4, 0xea60, "0001");
    add_usb_port("/dev/ttyUSB1", 0x1a86, 0x7523, "");
    add_usb_port("/dev/ttyUSB2", 0x1a86, 0x7523, "");
    snprintf(lock_dir, sizeof lock_dir, "/tmp/resetlab-locks-XXXXXX");
    cr_assert(mkdtemp(lock_dir) != NULL);
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
}

static void teardown(void)
{
    remove_tree(lock_dir);
}

TestSuite(serial, .init = setup, .fini = teardown);

static char err[512];

static struct port *cp210x_port(void)
{
    struct port *p = port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err);
    cr_assert(p != NULL, "%s", err);
    return p;
}

static struct port *opened(int lowered)
{
    struct port *p = cp210x_port();
    cr_assert_eq(p->ops->open(p, lowered), 0, "%s", p->ops->error(p));
    return p;
}

static void expect_call(int index, enum call_kind kind, int arg)
{
    cr_assert_lt(index, fake.n_calls, "call %d missing (%d calls)", index, fake.n_calls);
    cr_expect_eq(fake.calls[index].kind, kind, "call %d is kind %d, want %d", index, fake.calls[index].kind, kind);
    cr_expect_eq(fake.calls[index].arg, arg, "call %d has arg %#x, want %#x", index, fake.calls[index].arg, arg);
}

static int count_calls(int from, enum call_kind kind)
{
    int n = 0;
    for (int i = from; i < fake.n_calls; i++)
        n += fake.calls[i].kind == kind;
    return n;
}

static int one_line(const char *s)
{
    return s[0] != '\0' && strchr(s, '\n') == NULL;
}

/* ---- line changes --------------------------------------------------------- */

Test(serial, both_lines_are_one_tiocmset)
{
    struct port *p = opened(0);
    static const struct {
        int dtr, rts;
    } steps[] = {{1, 0}, {0, 0}, {1, 1}, {0, 1}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int mark = fake.n_calls;
        cr_assert_eq(p->ops->set_lines(p, steps[i].dtr, steps[i].rts), 0, "%s", p->ops->error(p));
        cr_expect_eq(count_calls(mark, CALL_SET), 1, "U%d,%d: not exactly one TIOCMSET", steps[i].dtr, steps[i].rts);
        cr_expect_eq(count_calls(mark, CALL_BIS) + count_calls(mark, CALL_BIC), 0, "U%d,%d used a one-line ioctl",
                     steps[i].dtr, steps[i].rts);
        int bits = fake.calls[fake.n_calls - 1].arg;
        cr_expect_eq(fake.calls[fake.n_calls - 1].kind, CALL_SET);
        cr_expect_eq(!!(bits & TIOCM_DTR), steps[i].dtr, "U%d,%d: DTR bit", steps[i].dtr, steps[i].rts);
        cr_expect_eq(!!(bits & TIOCM_RTS), steps[i].rts, "U%d,%d: RTS bit", steps[i].dtr, steps[i].rts);
    }
    port_serial_free(p);
}

Test(serial, both_lines_read_then_set_once)
{
    struct port *p = opened(0);
    int mark = fake.n_calls;
    cr_assert_eq(p->ops->set_lines(p, 1, 0), 0);
    cr_assert_eq(fake.n_calls - mark, 2, "U1,0 made %d calls, want TIOCMGET then TIOCMSET", fake.n_calls - mark);
    expect_call(mark, CALL_GET, 0);
    expect_call(mark + 1, CALL_SET, TIOCM_DTR | TIOCM_CTS | TIOCM_DSR);
    port_serial_free(p);
}

Test(serial, one_line_leaves_the_other)
{
    struct port *p = opened(0);
    int mark = fake.n_calls;
    cr_assert_eq(p->ops->set_lines(p, -1, 0), 0);
    cr_assert_eq(fake.n_calls - mark, 1);
    expect_call(mark, CALL_BIC, TIOCM_RTS);
    cr_expect_eq(fake.lines, TIOCM_DTR, "RTS cleared, DTR still asserted");

    cr_assert_eq(p->ops->set_lines(p, 0, -1), 0);
    expect_call(mark + 1, CALL_BIC, TIOCM_DTR);
    cr_assert_eq(p->ops->set_lines(p, 1, -1), 0);
    expect_call(mark + 2, CALL_BIS, TIOCM_DTR);
    cr_expect_eq(fake.lines, TIOCM_DTR, "DTR asserted, RTS left cleared");
    cr_assert_eq(p->ops->set_lines(p, -1, 1), 0);
    expect_call(mark + 3, CALL_BIS, TIOCM_RTS);
    cr_expect_eq(fake.lines, LINES);

    cr_assert_eq(p->ops->set_lines(p, -1, -1), 0);
    cr_expect_eq(fake.n_calls, mark + 4, "leaving both lines makes no call");
    port_serial_free(p);
}

Test(serial, open_leaves_the_lines_linux_raised)
{
    struct port *p = opened(0);
    cr_assert_eq(fake.n_calls, 3);
    expect_call(0, CALL_OPEN, 0);
    expect_call(1, CALL_GET, 0);
    expect_call(2, CALL_EXCL, 0);
    cr_expect_eq(fake.lines, LINES, "open(2) raised both; O leaves them");
    port_serial_free(p);
}

Test(serial, open_lowered_clears_both_in_one_call_right_after_open)
{
    struct port *p = opened(1);
    expect_call(0, CALL_OPEN, 0);
    expect_call(1, CALL_GET, 0);
    expect_call(2, CALL_SET, TIOCM_CTS | TIOCM_DSR); /* DTR and RTS cleared, the rest as read */
    expect_call(3, CALL_EXCL, 0);
    cr_expect_eq(count_calls(0, CALL_SET), 1);
    cr_expect_eq(fake.lines, 0);
    port_serial_free(p);
}

Test(serial, mpremote_close_clears_rts_then_dtr_then_closes)
{
    struct port *p = opened(0);
    int mark = fake.n_calls;
    /* what the runner does for C0 */
    cr_assert_eq(p->ops->set_lines(p, -1, 0), 0);
    cr_assert_eq(p->ops->set_lines(p, 0, -1), 0);
    cr_assert_eq(p->ops->close(p), 0, "%s", p->ops->error(p));
    cr_assert_eq(fake.n_calls - mark, 3);
    expect_call(mark, CALL_BIC, TIOCM_RTS);
    expect_call(mark + 1, CALL_BIC, TIOCM_DTR);
    expect_call(mark + 2, CALL_CLOSE, 0);
    port_serial_free(p);
}

Test(serial, write_and_closed_port_errors)
{
    struct port *p = cp210x_port();
    cr_expect_neq(p->ops->set_lines(p, 1, 0), 0);
    cr_expect(strstr(p->ops->error(p), "closed port") && one_line(p->ops->error(p)), "%s", p->ops->error(p));
    cr_expect_neq(p->ops->close(p), 0);
    cr_expect_eq(fake.n_calls, 0, "nothing reached the seam");
    cr_assert_eq(p->ops->open(p, 0), 0);
    cr_expect_neq(p->ops->open(p, 0), 0, "opening twice is an error");
    const uint8_t sync[] = {0xc0, 0x00, 0xc0};
    cr_assert_eq(p->ops->write(p, sync, sizeof sync), 0);
    expect_call(fake.n_calls - 1, CALL_WRITE, 3);
    port_serial_free(p);
    expect_call(fake.n_calls - 1, CALL_CLOSE, 0); /* freeing an open port closes it */
}

/* ---- timing --------------------------------------------------------------- */

Test(serial, now_is_monotonic)
{
    struct port *p = cp210x_port();
    int64_t prev = p->ops->now_ns(p);
    for (int i = 0; i < 1000; i++) {
        int64_t t = p->ops->now_ns(p);
        cr_assert_geq(t, prev);
        prev = t;
    }
    port_serial_free(p);
}

/* Waits are measured from the previous step's end; t0 is taken before that
 * step, so it is never later than the deadline's base. */
Test(serial, sleep_reaches_its_deadline)
{
    struct port *p = opened(0);
    int64_t t0 = serial_now_ns();
    cr_assert_eq(p->ops->set_lines(p, 1, -1), 0);
    cr_assert_eq(p->ops->sleep(p, 0.01), 0, "%s", p->ops->error(p));
    int64_t t1 = serial_now_ns();
    cr_expect_geq(t1 - t0, 10 * MS, "slept %lld ns", (long long)(t1 - t0));
    cr_assert_eq(p->ops->sleep(p, 0.01), 0);
    cr_assert_eq(p->ops->sleep(p, 0.0), 0);
    cr_expect_geq(serial_now_ns() - t0, 20 * MS, "chained waits end at base + 20 ms");
    cr_expect_neq(p->ops->sleep(p, -1), 0, "a negative wait is an error");
    port_serial_free(p);
}

Test(serial, first_sleep_counts_from_now)
{
    struct port *p = cp210x_port();
    int64_t t0 = p->ops->now_ns(p);
    cr_assert_eq(p->ops->sleep(p, 0.01), 0);
    cr_expect_geq(p->ops->now_ns(p) - t0, 10 * MS);
    port_serial_free(p);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

Test(serial, sleep_survives_signals)
{
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: the sleep sees EINTR */
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval every_2ms = {.it_interval = {0, 2000}, .it_value = {0, 2000}};
    cr_assert_eq(setitimer(ITIMER_REAL, &every_2ms, NULL), 0);
    struct port *p = cp210x_port();
    int64_t t0 = serial_now_ns();
    int rc = p->ops->sleep(p, 0.03);
    int64_t t1 = serial_now_ns();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    cr_assert_eq(rc, 0, "%s", p->ops->error(p));
    cr_expect_geq(alarms, 1, "no signal arrived during the sleep");
    cr_expect_geq(t1 - t0, 30 * MS, "a signal cut the sleep short: %lld ns", (long long)(t1 - t0));
    port_serial_free(p);
}

/* A stop asked for (SIGINT/SIGTERM sets the flag, here another thread)
 * ends a long wait within a few slices of SERIAL_STOP_POLL_MS; with the
 * flag given but never set, a wait still ends at its deadline. */
static volatile sig_atomic_t wait_stop;
static int64_t stop_set_ns;

static void *stop_after_100ms(void *arg)
{
    (void)arg;
    usleep(100 * 1000);
    stop_set_ns = serial_now_ns();
    wait_stop = SIGINT;
    return NULL;
}

Test(serial, a_stop_ends_a_wait_early_and_only_then)
{
    struct port *p = cp210x_port();
    p->stop = &wait_stop;
    int64_t t0 = serial_now_ns();
    cr_assert_eq(p->ops->sleep(p, 0.03), 0, "%s", p->ops->error(p));
    cr_expect_geq(serial_now_ns() - t0, 30 * MS, "a flag never set cut the wait short");
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, stop_after_100ms, NULL), 0);
    t0 = serial_now_ns();
    cr_assert_eq(p->ops->sleep(p, 5.0), 0, "%s", p->ops->error(p));
    int64_t t1 = serial_now_ns();
    pthread_join(th, NULL);
    double late_ms = (double)(t1 - stop_set_ns) / 1e6;
    fprintf(stderr, "serial: a 5 s wait ended %.1f ms after the stop\n", late_ms);
    /* 20 ms slices; the margin is for a loaded machine */
    cr_expect_lt(t1 - t0, 1000 * MS, "the 5 s wait went on for %lld ms", (long long)((t1 - t0) / MS));
    cr_expect_lt(late_ms, 500.0, "the wait ended %.1f ms after the stop", late_ms);
    port_serial_free(p);
}

/* ---- the port lock -------------------------------------------------------- */

static char *lock_file_text(void)
{
    char file[512];
    serial_lock_path("/dev/ttyUSB0", file, sizeof file);
    char *text = slurp(file, NULL);
    cr_assert(text != NULL, "no lock file %s", file);
    return text;
}

/* The lock is the port object's, from port_serial_new to port_serial_free:
 * closing and reopening (a cell's runs) keeps it. */
Test(serial, second_claim_names_the_holder_until_free)
{
    struct port *a = cp210x_port();
    char *text = lock_file_text();
    char want[64];
    snprintf(want, sizeof want, "%ld ", (long)getpid()); /* then our command line */
    cr_expect(strncmp(text, want, strlen(want)) == 0, "lock file says '%s'", text);
    free(text);

    int calls = fake.n_calls;
    cr_assert_null(port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err), "the second claim must fail");
    snprintf(want, sizeof want, "/dev/ttyUSB0 is in use by pid %ld (", (long)getpid());
    cr_expect(strncmp(err, want, strlen(want)) == 0, "error: %s", err);
    cr_expect(one_line(err));
    cr_expect_eq(fake.n_calls, calls, "a locked port is not opened");

    cr_assert_eq(a->ops->open(a, 0), 0, "%s", a->ops->error(a));
    cr_assert_eq(a->ops->close(a), 0);
    cr_assert_null(port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err), "a close lets go of the lock");
    port_serial_free(a);
    text = lock_file_text();
    cr_expect_str_empty(text, "the lock file still names a holder after free");
    free(text);
    struct port *b = cp210x_port();
    cr_assert_eq(b->ops->open(b, 0), 0, "after free: %s", b->ops->error(b));
    port_serial_free(b);
}

Test(serial, lock_held_by_another_process)
{
    char file[512];
    serial_lock_path("/dev/ttyUSB0", file, sizeof file);
    int ready[2], done[2];
    cr_assert(pipe(ready) == 0 && pipe(done) == 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) { /* a CI job holding the board until the pipe closes */
        close(ready[0]);
        close(done[1]);
        int fd = open(file, O_RDWR | O_CREAT, 0666);
        char text[64];
        int n = snprintf(text, sizeof text, "%ld resetlab run --board devkitc\n", (long)getpid());
        char c = 0;
        if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(fd, text, (size_t)n) != n || write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(done[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(done[0]);
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1, "the child could not take the lock");

    cr_assert_null(port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err));
    char want[128];
    snprintf(want, sizeof want, "/dev/ttyUSB0 is in use by pid %ld (resetlab run --board devkitc)", (long)child);
    cr_expect_str_eq(err, want);

    close(done[1]); /* the job ends; the kernel drops its lock */
    int status;
    waitpid(child, &status, 0);
    close(ready[0]);
    struct port *p = opened(0);
    port_serial_free(p);
}

Test(serial, stale_lock_file_does_not_block)
{
    char file[512];
    serial_lock_path("/dev/ttyUSB0", file, sizeof file);
    FILE *f = fopen(file, "w");
    cr_assert(f != NULL);
    fputs("999999 resetlab run --board crashed-job\n", f);
    fclose(f);
    struct port *p = opened(0);
    char *text = lock_file_text();
    char want[32];
    snprintf(want, sizeof want, "%ld ", (long)getpid());
    cr_expect(strncmp(text, want, strlen(want)) == 0, "the lock file still says '%s'", text);
    free(text);
    port_serial_free(p);
}

Test(serial, lock_path_is_per_device)
{
    char a[512], b[512];
    serial_lock_path("/dev/ttyUSB0", a, sizeof a);
    serial_lock_path("/dev/ttyUSB1", b, sizeof b);
    cr_expect_str_neq(a, b);
    cr_expect(strncmp(a, lock_dir, strlen(lock_dir)) == 0, "%s is not under RESETLAB_LOCK_DIR", a);
    cr_expect(strstr(a, "resetlab-ttyUSB0.lock") != NULL, "%s", a);
    serial_lock_path("/dev/pts/3", a, sizeof a);
    cr_expect(strstr(a, "resetlab-pts_3.lock") != NULL, "%s", a);
}

/* ---- ports without modem lines ------------------------------------------ */

Test(serial, no_modem_lines_is_one_clear_error)
{
    fake.get_errno = ENOTTY;
    struct port *p = cp210x_port();
    cr_assert_neq(p->ops->open(p, 0), 0);
    const char *e = p->ops->error(p);
    cr_expect(strstr(e, "/dev/ttyUSB0: not a serial port with modem lines (DTR/RTS)") != NULL, "%s", e);
    cr_expect(one_line(e), "%s", e);
    cr_assert_eq(fake.n_calls, 3);
    expect_call(0, CALL_OPEN, 0);
    expect_call(1, CALL_GET, 0);
    expect_call(2, CALL_CLOSE, 0);

    fake.get_errno = 0; /* a failed open leaves the port ready for the next */
    cr_assert_eq(p->ops->open(p, 0), 0, "%s", p->ops->error(p));
    port_serial_free(p);
    assert_no_leaks("a failed open");
}

Test(serial, open_failures_say_why)
{
    static const struct {
        int e;
        const char *want;
    } cases[] = {
        {ENODEV, "not a serial port with modem lines (DTR/RTS): the fake refuses"},
        {ENOENT, "no such port"},
        {EACCES, "dialout"},
        {EBUSY, "busy"},
        {EIO, "cannot open: the fake refuses"},
    };
    struct port *p = cp210x_port();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake.open_errno = cases[i].e;
        cr_assert_neq(p->ops->open(p, 0), 0);
        cr_expect(strstr(p->ops->error(p), cases[i].want) && one_line(p->ops->error(p)), "errno %d: %s", cases[i].e,
                  p->ops->error(p));
    }
    port_serial_free(p);
}

/* ---- port specs ---------------------------------------------------------- */

static int resolve(const char *spec, char *path, size_t len)
{
    return serial_resolve_with(&fake_sys, spec, path, len, err, sizeof err);
}

Test(serial, resolve_usb_match)
{
    char path[SERIAL_PATH_MAX];
    cr_assert_eq(resolve("usb:10c4:ea60", path, sizeof path), 0, "%s", err);
    cr_expect_str_eq(path, "/dev/ttyUSB0");
    cr_assert_eq(resolve("USB:10C4:EA60", path, sizeof path), 0, "%s", err);
    cr_assert_eq(resolve("usb:10c4:ea60:0001", path, sizeof path), 0, "%s", err);
    cr_expect_str_eq(path, "/dev/ttyUSB0");

    cr_assert_neq(resolve("usb:10c4:ea60:0002", path, sizeof path), 0);
    cr_expect(strstr(err, "no serial port matches usb:10c4:ea60:0002") && strstr(err, "/dev/ttyUSB0"), "%s", err);
    cr_assert_neq(resolve("usb:0403:6001", path, sizeof path), 0);
    cr_expect(one_line(err) && strstr(err, "/dev/ttyUSB1"), "zero matches lists what was found: %s", err);
}

Test(serial, resolve_two_matches_lists_both)
{
    char path[SERIAL_PATH_MAX];
    cr_assert_neq(resolve("usb:1a86:7523", path, sizeof path), 0);
    cr_expect(strstr(err, "matches 2 ports") && strstr(err, "/dev/ttyUSB1") && strstr(err, "/dev/ttyUSB2"), "%s", err);
    cr_expect(one_line(err), "%s", err);
}

Test(serial, resolve_bad_usb_match)
{
    static const char *const bad[] = {"usb:zz", "usb:10c4", "usb:10c4:", "usb:10c4:ea60x", "usb:12345:ea60",
                                      "usb:10c4:ea60:", "usb::ea60"};
    char path[SERIAL_PATH_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_neq(resolve(bad[i], path, sizeof path), 0, "%s resolved", bad[i]);
        cr_expect(strstr(err, "bad USB match") && one_line(err), "%s: %s", bad[i], err);
    }
}

Test(serial, resolve_paths_and_links)
{
    char path[SERIAL_PATH_MAX];
    cr_assert_neq(resolve("/dev/resetlab-no-such-port", path, sizeof path), 0);
    cr_expect(strstr(err, "/dev/resetlab-no-such-port: no such serial port") && one_line(err), "%s", err);
    cr_expect_null(port_serial_new("/dev/resetlab-no-such-port", &fake_sys, err, sizeof err));

    /* a by-id style link resolves to its device (/dev/null is a character device) */
    char link[128];
    snprintf(link, sizeof link, "%s/usb-Silicon_Labs_CP2102-if00-port0", lock_dir);
    cr_assert_eq(symlink("/dev/null", link), 0);
    cr_assert_eq(resolve(link, path, sizeof path), 0, "%s", err);
    cr_expect_str_eq(path, "/dev/null");

    char file[128];
    snprintf(file, sizeof file, "%s/plain-file", lock_dir);
    fclose(fopen(file, "w"));
    cr_assert_neq(resolve(file, path, sizeof path), 0);
    cr_expect(strstr(err, "not a character device"), "%s", err);
    cr_assert_neq(resolve("", path, sizeof path), 0);
}

/* ---- the real libserialport path ---------------------------------------- */

Test(serial, real_seam_on_a_pty_is_one_clear_error)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(master, 0);
    cr_assert(grantpt(master) == 0 && unlockpt(master) == 0);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(master));

    struct port *p = port_serial_new(name, NULL, err, sizeof err);
    cr_assert(p != NULL, "%s", err);
    cr_expect_str_eq(port_serial_path(p), name);
    cr_assert_neq(p->ops->open(p, 0), 0, "a pty opened as a serial port");
    const char *e = p->ops->error(p);
    char want[128];
    snprintf(want, sizeof want, "%s: not a serial port with modem lines (DTR/RTS): ", name);
    cr_expect(strncmp(e, want, strlen(want)) == 0, "%s", e);
    cr_expect(one_line(e), "%s", e);
    cr_assert_neq(p->ops->open(p, 1), 0, "lowered open fails the same way");
    port_serial_free(p);
    close(master);
    assert_no_leaks("the real seam's failed open");
}
