/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Traces: what the wires did, as a logic analyzer sees them (CONTRIBUTING.md#data-flow).
 *
 * A trace is a time-ordered list of edges on the channels DTR, RTS, EN,
 * IO0 (and optionally RX), in *pin levels* (1 = high). DTR and RTS are
 * active low on the pin: asserted (setDTR(True)) = pin at 0 V.
 * Everything downstream works on edges, so memory is O(edges).
 *
 * This header depends on nothing but libc: analyzers are pure functions.
 */
#ifndef RESETLAB_TRACE_H
#define RESETLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum channel { CH_DTR, CH_RTS, CH_EN, CH_IO0, CH_RX, CH_COUNT };

/* The analyzers judge at most this many DTR/RTS line states: the one at
 * t = 0, then one per instant either line changes. A capture with more is
 * refused ("more than 512 DTR/RTS changes in one capture"), so a reader may
 * stop there. */
#define TRACE_MAX_LINE_STEPS 512

struct edge {
    int64_t t_ns;
    uint8_t channel; /* enum channel */
    uint8_t level;   /* new pin level, 0 or 1 */
};

/* An analog channel sampled at a fixed rate (a mixed-signal analyzer's
 * probe on EN): v[i] volts at t0_ns + i·period_ns. Caller-owned storage of
 * `cap` samples; n == 0 when the capture has none. */
struct analog {
    float *v;
    size_t n, cap;
    int64_t t0_ns;
    double period_ns;
};

struct trace {
    struct edge *edges; /* caller-owned storage, `cap` entries */
    size_t n, cap;
    uint8_t initial[CH_COUNT]; /* pin level of each channel at t = 0 */
    uint32_t present;          /* bit (1 << channel) set when the channel was captured */
    int64_t t_end_ns;          /* end of the capture */
    double sample_rate_hz;
    double threshold_v; /* the analyzer's logic threshold */
    struct analog en_v; /* EN's voltage, when the capture has an analog EN channel */
};

const char *channel_name(enum channel ch);

/* Appends an edge; returns -1 when the storage is full. */
int trace_push(struct trace *tr, int64_t t_ns, enum channel ch, int level);

/* 0 when edges are sorted by time and each edge changes its channel's level;
 * otherwise -1 with a one-line reason in `why`. */
int trace_check(const struct trace *tr, char *why, size_t why_len);

/* Pin level of `ch` just after time t (edges at t included). */
int trace_level_at(const struct trace *tr, enum channel ch, int64_t t_ns);

static inline int trace_has(const struct trace *tr, enum channel ch)
{
    return (tr->present >> ch) & 1u;
}

#endif
