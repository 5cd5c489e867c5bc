/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab calibrate` through a fake seam whose calls take a latency drawn
 * from a known host profile (the shipped lab's), on a fake clock the calls
 * advance: the fit recovers the profile, the written hosts file loads and
 * runs the virtual lab at the profile's own pass rates; the refusals (a pty,
 * no modem lines, a port in use, bad options) and a stop that releases RTS
 * then DTR. No wall-clock timing: the fake clock is the only clock. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "analyzers/latency_fit.h"
#include "harness/calibrate/calib.h"
#include "harness/cli/cli_commands.h"
#include "harness/lab/lab_load.h"
#include "harness/port/port_lock.h"
#include "helpers.h"
#include "reports/stats.h"
#include "sim/rng.h"

#define LINES (TIOCM_DTR | TIOCM_RTS)

/* ---- the fake: a host profile's latency on a fake clock ----------------- */

static struct {
    int64_t now_ns;
    struct rng rng;
    struct latency request, overshoot;
    int lines, get_errno;
    long requests;          /* BIS, BIC and SET calls so far */
    long stop_after;        /* > 0: set *stop to SIGINT after this many */
    volatile sig_atomic_t stop;
    int log[8][2];          /* the last calls: 'b' BIS, 'c' BIC, 's' SET, 'x' close; bits */
    int n_log;
} lf;

/* As sim/world.c draws a host's latency (draw_latency_ns). */
static int64_t draw(const struct latency *l)
{
    double ms = l->floor_ms;
    if (l->median_ms > l->floor_ms)
        ms += (l->median_ms - l->floor_ms) * exp(l->sigma * rng_normal(&lf.rng));
    if (l->spike_p > 0 && rng_uniform(&lf.rng) < l->spike_p)
        ms += l->spike_ms * (0.5 + rng_uniform(&lf.rng));
    return (int64_t)llround(ms * 1e6);
}

static void logged(int kind, int bits)
{
    memmove(lf.log[1], lf.log[0], sizeof lf.log - sizeof lf.log[0]);
    lf.log[0][0] = kind;
    lf.log[0][1] = bits;
    lf.n_log++;
}

/* A modem request blocks for its latency: the fake clock moves by it. */
static int request(int kind, int bits)
{
    lf.now_ns += draw(&lf.request);
    logged(kind, bits);
    if (++lf.requests == lf.stop_after)
        lf.stop = SIGINT;
    return 0;
}

static int f_open(const char *path, void **h, char *why, size_t len)
{
    (void)path, (void)why, (void)len;
    lf.lines = LINES;
    *h = &lf;
    return 0;
}
static int f_close(void *h) { (void)h; logged('x', 0); lf.lines = 0; return 0; }
static int f_excl(void *h) { (void)h; return 0; }
static int f_get(void *h, int *bits)
{
    (void)h;
    if (lf.get_errno)
        return errno = lf.get_errno, -1;
    *bits = lf.lines | TIOCM_CTS;
    return 0;
}
static int f_set(void *h, int bits) { (void)h; lf.lines = bits & LINES; return request('s', bits & LINES); }
static int f_bis(void *h, int bits) { (void)h; lf.lines |= bits; return request('b', bits); }
static int f_bic(void *h, int bits) { (void)h; lf.lines &= ~bits; return request('c', bits); }
static int f_write(void *h, const uint8_t *b, size_t n) { (void)h, (void)b, (void)n; return 0; }
static int f_list(struct serial_port_info *out, int max)
{
    if (max < 1)
        return 0;
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "/dev/ttyUSB7");
    out->transport = SERIAL_USB;
    out->vid = 0x10c4, out->pid = 0xea60;
    return 1;
}

static const struct serial_sys fake_sys = {
    .open = f_open, .close = f_close, .exclusive = f_excl, .get_bits = f_get, .set_bits = f_set,
    .bis = f_bis, .bic = f_bic, .write = f_write, .list = f_list,
};

static int64_t fake_now(void *ctx) { (void)ctx; return lf.now_ns; }
/* A sleep wakes at its deadline, late by the profile's overshoot. */
static int fake_sleep_until(void *ctx, int64_t deadline)
{
    (void)ctx;
    if (deadline > lf.now_ns)
        lf.now_ns = deadline;
    lf.now_ns += draw(&lf.overshoot);
    return 0;
}
static const struct calib_clock fake_clock = {fake_now, fake_sleep_until, NULL};

static char lock_dir[64], work[64];

static void setup(void)
{
    memset(&lf, 0, sizeof lf);
    lf.now_ns = 1000000000;
    snprintf(lock_dir, sizeof lock_dir, "/tmp/resetlab-calib-locks-XXXXXX");
    snprintf(work, sizeof work, "/tmp/resetlab-calib-XXXXXX");
    cr_assert(mkdtemp(lock_dir) && mkdtemp(work));
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
}

static void teardown(void)
{
    remove_tree(lock_dir);
    remove_tree(work);
}

/* The truth: a host profile of the shipped lab, seeded. */
static void use_host(const char *name, uint64_t seed)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct host_profile *h = lab_host(&lab, name);
    cr_assert(h != NULL, "no host %s in boards.yaml", name);
    lf.request = h->request;
    lf.overshoot = h->overshoot;
    rng_seed(&lf.rng, seed);
    lab_free(&lab);
}

__attribute__((unused)) static int calibrate(const char *args)
{
    char line[512], *argv[16];
    snprintf(line, sizeof line, "calibrate %s", args);
    int argc = 0;
    for (char *t = strtok(line, " "); t && argc < 15; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    fflush(stdout);
    return cli_calibrate_with(argc, argv, &fake_sys, &fake_clock, &lf.stop);
}

static void measure_and_fit(int requests, struct calib_data *d, struct calib_fit *fit)
{
    struct calib_opts o = {.port = "usb:10c4:ea60", .requests = requests, .sys = &fake_sys, .clock = &fake_clock,
                           .stop = &lf.stop};
    char err[512];
    cr_assert_eq(calib_measure(&o, d, err, sizeof err), 0, "%s", err);
    cr_assert_eq(calib_fit(d, fit), 0);
}

static void expect_within(double got, double want, double rel, const char *what)
{
    cr_expect(fabs(got - want) <= rel * want, "%s: fitted %.4f, true %.4f (%.2f %%, allowed %.0f %%)", what, got, want,
              100 * (got - want) / want, 100 * rel);
    printf("%s: fitted %.4f, true %.4f (%+.2f %%)\n", what, got, want, 100 * (got - want) / want);
}

TestSuite(calibrate, .init = setup, .fini = teardown);

/* ---- the fit recovers the profile ---------------------------------------- */

static void recovers(const char *host)
{
    use_host(host, 21);
    struct calib_data d;
    struct calib_fit fit;
    measure_and_fit(CALIB_REQUESTS_DEFAULT, &d, &fit);
    cr_assert_eq(d.n[CALIB_SET], CALIB_REQUESTS_DEFAULT);
    cr_assert_eq(d.n[CALIB_BIS] + d.n[CALIB_BIC], 2 * CALIB_REQUESTS_DEFAULT);
    cr_assert_eq(d.n[CALIB_LATE_50], CALIB_SLEEPS);
    printf("%s: KS %.4f, %d spikes of %d (floor %.3f, spike_p %.4f, spike %.2f ms)\n", host, fit.request.ks,
           fit.request.n_spikes, fit.request.n, fit.request.floor_ms, fit.request.spike_p, fit.request.spike_ms);
    expect_within(fit.request.median_ms, lf.request.median_ms, 0.05, "request median_ms");
    expect_within(fit.request.sigma, lf.request.sigma, 0.05, "request sigma");
    cr_expect_lt(fit.request.ks, 0.03);
    calib_data_free(&d);
}

Test(calibrate, recovers_native_linux_median_and_sigma_within_5_percent) { recovers("native-linux"); }
Test(calibrate, recovers_vm_usb_passthrough_median_and_sigma_within_5_percent) { recovers("vm-usb-passthrough"); }
Test(calibrate, recovers_wsl_usbipd_median_and_sigma_within_5_percent) { recovers("wsl-usbipd"); }
