/* SPDX-License-Identifier: GPL-3.0-or-later */
/* calibrate at the pins (calib.h, docs/calibrate.md#at-the-wire): with the
 * board's logic analyzer on DTR and RTS, each cycle is captured on its own
 * (libsigrok, live) and read by analyzers/wire_cycle.h: the DTR->RTS edge
 * gap of two single-line calls, and the skew of one TIOCMSET changing both,
 * which says whether the host's TIOCMSET reaches the bridge as one request.
 * May call: harness/capture (live capture), harness/port (the seam), analyzers/, libc. */
#include "calib.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "analyzers/wire_cycle.h"
#include "harness/capture/capture_live.h"

static int say(char *err, size_t err_len, const char *what, const char *why)
{
    snprintf(err, err_len, "%s%s", what, why);
    return -1;
}

static int settle(const struct calib_clock *clk)
{
    return clk->sleep_until_ns(clk->ctx, clk->now_ns(clk->ctx) + (int64_t)CALIB_WIRE_SETTLE_MS * 1000000);
}

/* The cycle's calls, each line changed: DTR asserted and RTS released back
 * to back (the gap), a pause, then both back in one TIOCMSET (the skew). */
static int drive(const struct serial_sys *sys, void *h, int other_bits, const struct calib_clock *clk)
{
    if (sys->bis(h, TIOCM_DTR) != 0 || sys->bic(h, TIOCM_RTS) != 0 || settle(clk) != 0)
        return -1;
    if (sys->set_bits(h, other_bits | TIOCM_RTS) != 0)
        return -1;
    return settle(clk);
}

/* One captured cycle into the two series. 0, CALIB_STOPPED, -1. */
static int one_cycle(struct sigrok *sr, const struct live_config *cfg, const struct calib_opts *o,
                     const struct serial_sys *sys, void *h, int other_bits, struct calib_data *d, char *err,
                     size_t err_len)
{
    const struct calib_clock *clk = o->clock ? o->clock : &calib_clock_real;
    struct live_capture *cap = live_capture_start(sr, cfg, err, err_len);
    if (cap == NULL)
        return -1;
    int rc = live_capture_wait_streaming_or_stop(cap, CALIB_WIRE_STREAM_TIMEOUT_MS, o->stop);
    if (rc < 0)
        snprintf(err, err_len, "%s: no samples within %d ms", o->wire->driver, CALIB_WIRE_STREAM_TIMEOUT_MS);
    if (rc == 0 && drive(sys, h, other_bits, clk) != 0)
        rc = say(err, err_len, "a modem-line call failed: ", strerror(errno));
    struct trace tr;
    char why[400];
    if (live_capture_finish(cap, 1, &tr, why, sizeof why) != 0)
        return rc != 0 ? rc : say(err, err_len, why, "");
    struct wire_cycle w;
    if (rc == 0 && wire_cycle_times(&tr, &w, why, sizeof why) != 0)
        rc = say(err, err_len, "at the pins: ", why);
    if (rc == 0) {
        d->ms[CALIB_WIRE_GAP][d->n[CALIB_WIRE_GAP]++] = w.gap_ms;
        d->ms[CALIB_WIRE_SKEW][d->n[CALIB_WIRE_SKEW]++] = w.skew_ms;
    }
    sigrok_trace_free(&tr);
    return rc;
}

int calib_measure_wire(const struct calib_opts *o, const struct serial_sys *sys, void *h, int other_bits,
                       struct calib_data *d, char *err, size_t err_len)
{
    struct live_config cfg;
    if (live_config_parse(o->wire->driver, o->wire->config, o->wire->channels, &cfg, err, err_len) != 0)
        return -1;
    cfg.read.threshold_v = o->wire->threshold_v;
    struct sigrok *sr = sigrok_new(err, err_len);
    if (sr == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < o->wire->cycles && rc == 0; i++) {
        if (o->stop != NULL && *o->stop)
            rc = CALIB_STOPPED;
        else if (sys->set_bits(h, other_bits | TIOCM_RTS) != 0) /* the start: DTR released, RTS asserted */
            rc = say(err, err_len, "setting DTR/RTS: ", strerror(errno));
        else
            rc = one_cycle(sr, &cfg, o, sys, h, other_bits, d, err, err_len);
    }
    sigrok_free(sr);
    return rc;
}
