/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab calibrate`: a host's own latencies measured through a real
 * serial port (docs/calibrate.md): how long each TIOCMSET, TIOCMBIS and
 * TIOCMBIC takes to return, the gap between two single-line calls, how
 * late absolute-deadline sleeps wake up; fitted (analyzers/latency_fit.h)
 * and written as a boards.yaml `hosts:` entry. */
#ifndef RESETLAB_CALIBRATE_CALIB_H
#define RESETLAB_CALIBRATE_CALIB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyzers/latency_fit.h"
#include "harness/port/port_serial.h"

#define CALIB_REQUESTS_DEFAULT 2000
#define CALIB_REQUESTS_MIN LATFIT_MIN_SAMPLES
#define CALIB_REQUESTS_MAX 100000 /* 3 requests each: 5 min at 1 ms, 2.4 MB of samples */
#define CALIB_SLEEPS 100          /* sleeps of each length: 6.1 s in all */
#define CALIB_SLEEP_LENGTHS 3     /* 1, 10 and 50 ms (calib_sleep_ms) */
extern const double calib_sleep_ms[CALIB_SLEEP_LENGTHS];

/* The clock calibrate reads and sleeps on: the real one is CLOCK_MONOTONIC
 * (serial_now_ns, serial_sleep_until_ns); a test's fake seam advances a
 * fake one by the latency it draws. */
struct calib_clock {
    int64_t (*now_ns)(void *ctx);
    int (*sleep_until_ns)(void *ctx, int64_t deadline_ns); /* 0, or -1 with errno */
    void *ctx;
};
extern const struct calib_clock calib_clock_real;

enum calib_series {
    CALIB_SET,   /* TIOCMSET changing both lines */
    CALIB_BIS,   /* TIOCMBIS of one line */
    CALIB_BIC,   /* TIOCMBIC of one line */
    CALIB_GAP,   /* from one single-line call's return to the next one's */
    CALIB_LATE_1, CALIB_LATE_10, CALIB_LATE_50, /* how late a 1/10/50 ms sleep woke */
    CALIB_WIRE_GAP,  /* at the pins (--board with an analyzer): DTR's fall to RTS's rise, two calls */
    CALIB_WIRE_SKEW, /* DTR's and RTS's edges of one TIOCMSET changing both */
    CALIB_SERIES
};
extern const char *const calib_series_name[CALIB_SERIES];

#define CALIB_WIRE_CYCLES_DEFAULT 50
#define CALIB_WIRE_CYCLES_MAX 1000       /* a capture each: about 0.3 s apiece on a USB analyzer */
#define CALIB_WIRE_SETTLE_MS 10          /* between the pair and the TIOCMSET, and after it: keeps their edges apart */
#define CALIB_WIRE_STREAM_TIMEOUT_MS 5000 /* the analyzer's first samples */
/* A TIOCMSET is taken as split into one request per line when its skew's
 * median is at least this share of the request latency's median. */
#define CALIB_WIRE_SPLIT_SHARE 0.5

/* The board's logic analyzer, for the measurement at the pins. */
struct calib_wire {
    char driver[96], config[256], channels[160]; /* as the board's analyzer (sim/lab.h) */
    double threshold_v;
    int cycles;
};

struct calib_opts {
    const char *port;                  /* a port spec (port_serial_new) */
    const struct calib_wire *wire;     /* NULL: no analyzer, the pins are not measured */
    int requests;                      /* cycles: one of each call per cycle */
    const struct serial_sys *sys;      /* NULL: the real seam */
    const struct calib_clock *clock;   /* NULL: calib_clock_real */
    const volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM; NULL: never */
};

/* Samples in ms, per series. */
struct calib_data {
    double *ms[CALIB_SERIES];
    size_t n[CALIB_SERIES];
    char path[SERIAL_PATH_MAX]; /* the device measured */
};

#define CALIB_STOPPED 1
/* Opens the port (refusing a pty, a port without modem lines, one in use),
 * measures, then releases RTS and then DTR and closes, whether it ended or
 * was stopped. 0 when done, CALIB_STOPPED when *stop was set (the data so
 * far kept), -1 with one line in err. */
int calib_measure(const struct calib_opts *o, struct calib_data *d, char *err, size_t err_len);
void calib_data_free(struct calib_data *d);

/* The pins' cycles (calib_wire.c), the port open and its lines in the
 * cycle's start state: a capture per cycle through libsigrok. 0,
 * CALIB_STOPPED, or -1 with one line in err. */
int calib_measure_wire(const struct calib_opts *o, const struct serial_sys *sys, void *h, int other_bits,
                       struct calib_data *d, char *err, size_t err_len);

/* The fits of one measurement: the request latency (TIOCMSET, TIOCMBIS
 * and TIOCMBIC pooled: each is one USB request) and the sleeps' lateness
 * (the three lengths pooled). Sorts the samples. -1 when too few. */
struct calib_fit {
    struct latency_fit request, overshoot;
    int wire;             /* the pins were measured */
    double skew_p50_ms;   /* then: TIOCMSET's skew, median */
    int split_both_lines; /* skew_p50_ms >= CALIB_WIRE_SPLIT_SHARE x the request median */
};
int calib_fit(struct calib_data *d, struct calib_fit *fit);

/* Where and when: the machine's facts (harness/run/run_session.c). */
struct calib_facts {
    char date[32], os[128], kernel[128], virtualization[512], hostname[64], version[64];
};
void calib_facts_gather(struct calib_facts *f);

/* The percentile table of every series, then both fits, for a person. */
void calib_print(FILE *out, const struct calib_data *d, const struct calib_fit *fit);
/* A file holding one `hosts:` entry `name` in boards.yaml's form, its fit
 * quality and the facts as comments; `resetlab run --hosts FILE` loads it. */
void calib_write_host(FILE *out, const char *name, const struct calib_data *d, const struct calib_fit *fit,
                      const struct calib_facts *facts);

#endif
