/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real serial backend's logic through a fake seam (serial_fake.h):
 * which calls, in which order, change the lines, open and close the port;
 * the wait deadlines, through signals and until a stop. The lock, opening
 * and port specs: test_serial_open.c. Never opens /dev/ttyS*. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "serial_fake.h"

#define MS 1000000LL

TestSuite(serial, .init = setup, .fini = teardown);

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
