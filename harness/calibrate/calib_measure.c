/* SPDX-License-Identifier: GPL-3.0-or-later */
/* calibrate's measurement (calib.h): the port opened through the serial
 * backend (its lock, its refusals), then each call of the seam timed one by
 * one on the clock, in the patterns the scenarios use.
 * May call: harness/port (port_serial.h: the port, its seam, its clock), libc. */
#include "calib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

const double calib_sleep_ms[CALIB_SLEEP_LENGTHS] = {1, 10, 50};

const char *const calib_series_name[CALIB_SERIES] = {
    "TIOCMSET (both lines)", "TIOCMBIS (one line)", "TIOCMBIC (one line)", "gap of two single-line calls",
    "sleep 1 ms: late by",   "sleep 10 ms: late by", "sleep 50 ms: late by",
    "pins: DTR->RTS gap",    "pins: TIOCMSET skew",
};

static int64_t real_now(void *ctx)
{
    (void)ctx;
    return serial_now_ns();
}

static int real_sleep_until(void *ctx, int64_t deadline_ns)
{
    (void)ctx;
    return serial_sleep_until_ns(deadline_ns);
}

const struct calib_clock calib_clock_real = {real_now, real_sleep_until, NULL};

void calib_data_free(struct calib_data *d)
{
    for (int s = 0; s < CALIB_SERIES; s++) {
        free(d->ms[s]);
        d->ms[s] = NULL;
        d->n[s] = 0;
    }
}

static int say(char *err, size_t err_len, const char *what, const char *why)
{
    snprintf(err, err_len, "%s%s", what, why);
    return -1;
}

/* Unix98 pty slaves are majors 136-143 (Documentation/admin-guide/devices.txt),
 * /dev/ptmx and BSD ptys major 5 minor 2 and majors 2-3. */
static int is_pty(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
        return 0;
    unsigned ma = major(st.st_rdev), mi = minor(st.st_rdev);
    return (ma >= 136 && ma <= 143) || (ma == 5 && mi == 2) || ma == 2 || ma == 3;
}

static void add(struct calib_data *d, enum calib_series s, int64_t ns)
{
    d->ms[s][d->n[s]++] = (double)ns / 1e6;
}

static int stopped(const struct calib_opts *o)
{
    return o->stop != NULL && *o->stop;
}

struct timed {
    const struct serial_sys *sys;
    void *h;
    const struct calib_clock *clk;
    int other_bits; /* TIOCMGET's bits but DTR and RTS, kept in each TIOCMSET */
};

/* One cycle, from DTR released and RTS asserted: DTR asserted and RTS
 * released by two single-line calls back to back (esptool's classic reset,
 * pyserial's setDTR then setRTS), then both back in one TIOCMSET (esptool's
 * UnixTightReset). Every call changes a line. */
static int cycle(struct timed *t, struct calib_data *d)
{
    int64_t t0 = t->clk->now_ns(t->clk->ctx);
    if (t->sys->bis(t->h, TIOCM_DTR) != 0)
        return -1;
    int64_t t1 = t->clk->now_ns(t->clk->ctx);
    int64_t t1b = t->clk->now_ns(t->clk->ctx);
    if (t->sys->bic(t->h, TIOCM_RTS) != 0)
        return -1;
    int64_t t2 = t->clk->now_ns(t->clk->ctx);
    if (t->sys->set_bits(t->h, t->other_bits | TIOCM_RTS) != 0)
        return -1;
    int64_t t3 = t->clk->now_ns(t->clk->ctx);
    add(d, CALIB_BIS, t1 - t0);
    add(d, CALIB_BIC, t2 - t1b);
    add(d, CALIB_GAP, t2 - t1);
    add(d, CALIB_SET, t3 - t2);
    return 0;
}

static int sleeps(const struct calib_opts *o, const struct calib_clock *clk, struct calib_data *d, char *err,
                  size_t err_len)
{
    for (int k = 0; k < CALIB_SLEEP_LENGTHS; k++)
        for (int i = 0; i < CALIB_SLEEPS; i++) {
            if (stopped(o))
                return CALIB_STOPPED;
            int64_t deadline = clk->now_ns(clk->ctx) + (int64_t)(calib_sleep_ms[k] * 1e6);
            if (clk->sleep_until_ns(clk->ctx, deadline) != 0)
                return say(err, err_len, "sleeping: ", strerror(errno));
            int64_t late = clk->now_ns(clk->ctx) - deadline;
            add(d, (enum calib_series)(CALIB_LATE_1 + k), late > 0 ? late : 0);
        }
    return 0;
}

static int measure_open(const struct calib_opts *o, struct port *p, struct calib_data *d, char *err, size_t err_len)
{
    struct timed t = {.clk = o->clock ? o->clock : &calib_clock_real};
    t.h = port_serial_handle(p, &t.sys);
    int bits;
    if (t.sys->get_bits(t.h, &bits) != 0)
        return say(err, err_len, "reading DTR/RTS: ", strerror(errno));
    t.other_bits = bits & ~(TIOCM_DTR | TIOCM_RTS);
    /* the cycle's start: DTR released, RTS asserted */
    if (t.sys->set_bits(t.h, t.other_bits | TIOCM_RTS) != 0)
        return say(err, err_len, "setting DTR/RTS: ", strerror(errno));
    for (int i = 0; i < o->requests; i++) {
        if (stopped(o))
            return CALIB_STOPPED;
        if (cycle(&t, d) != 0)
            return say(err, err_len, "a modem-line call failed: ", strerror(errno));
    }
    int rc = sleeps(o, t.clk, d, err, err_len);
    if (rc == 0 && o->wire)
        rc = calib_measure_wire(o, t.sys, t.h, t.other_bits, d, err, err_len);
    return rc;
}

/* Released RTS first (on the usual two-transistor circuit, EN's
 * side), then DTR: the board is left running, not in its ROM loader. */
static void release(struct port *p)
{
    const struct serial_sys *sys;
    void *h = port_serial_handle(p, &sys);
    if (h == NULL)
        return;
    sys->bic(h, TIOCM_RTS);
    sys->bic(h, TIOCM_DTR);
}

int calib_measure(const struct calib_opts *o, struct calib_data *d, char *err, size_t err_len)
{
    memset(d, 0, sizeof *d);
    if (o->requests < CALIB_REQUESTS_MIN || o->requests > CALIB_REQUESTS_MAX)
        return say(err, err_len, "--requests: ", "out of range");
    if (o->wire && (o->wire->cycles < 1 || o->wire->cycles > CALIB_WIRE_CYCLES_MAX))
        return say(err, err_len, "--wire-cycles: ", "out of range");
    for (int s = 0; s < CALIB_SERIES; s++) {
        size_t cap = s < CALIB_LATE_1 ? (size_t)o->requests : s < CALIB_WIRE_GAP ? CALIB_SLEEPS
                     : o->wire ? (size_t)o->wire->cycles : 1;
        if ((d->ms[s] = malloc(cap * sizeof *d->ms[s])) == NULL) {
            calib_data_free(d);
            return say(err, err_len, "out of memory", "");
        }
    }
    struct port *p = port_serial_new(o->port, o->sys, err, err_len);
    if (p == NULL)
        return calib_data_free(d), -1;
    snprintf(d->path, sizeof d->path, "%s", port_serial_path(p));
    int rc = -1;
    if (is_pty(d->path))
        snprintf(err, err_len, "%s is a pty: its modem lines reach no USB bridge, so there is no request to time",
                 d->path);
    else if (p->ops->open(p, 1) != 0)
        snprintf(err, err_len, "%s", p->ops->error(p));
    else {
        rc = measure_open(o, p, d, err, err_len);
        release(p);
    }
    port_serial_free(p);
    if (rc < 0)
        calib_data_free(d);
    return rc;
}
