/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Live capture through libsigrok (docs/real-hardware.md, CONTRIBUTING.md#library-facts): any
 * analyzer libsigrok drives (fx2lafw clones, ...; tests use the "demo"
 * driver). The session runs on a background thread while the caller drives
 * the serial port; packets stream into a trace through sigrok_reader, so
 * memory is O(edges).
 *
 * Trigger. `trigger = 1` means "t = 0 sits pretrigger_pct before the first
 * edge of DTR or RTS". libsigrok 0.5.2 cannot express that: the matches of
 * one sr_trigger stage are ANDed (two SR_TRIGGER_EDGE matches fire only
 * when DTR and RTS change in the same sample, i.e. one TIOCMSET; checked
 * with the demo driver), and stages are sequential, not alternatives. So
 * the trigger is resetlab's own, on the stream every streaming driver
 * delivers: the capture runs untriggered; when it ends, the first DTR/RTS
 * edge is the trigger and the trace is cut to start `pretrigger_pct` % of
 * the samples captured before it (never before sample 0). It never
 * extends the capture: the device still stops at its limit counted from
 * the start of acquisition. No DTR/RTS edge: the whole capture, not
 * triggered. It works on every driver, so "the device cannot trigger" is
 * never an error. An SR_DF_TRIGGER packet a driver sends on its own is
 * recorded too (sr_trigger_*), resetlab never asks for one.
 *
 * Aligning the trace with the op log (host CLOCK_MONOTONIC):
 *  - triggered: the trigger edge (trace time trigger_t_ns) is the first
 *    DTR/RTS pin change, made by the first op in the log that changed a
 *    line (an open counts: Linux raises both lines inside open(2)). That
 *    op's [t_before, t_after] brackets the edge, so
 *        host(t) = op.t_before + (t - trigger_t_ns)  ...  op.t_after + (t - trigger_t_ns);
 *    take the midpoint; the uncertainty is half the op's duration.
 *  - not triggered: host(t) ≈ t0_ns + t, coarse. Host time of sample 0
 *    lies in [t_start_ns, t0_ns]: t_start_ns is taken just before
 *    sr_session_start, t0_ns is the tightest bound the packets give (each
 *    LOGIC packet's arrival minus the samples so far at the sample rate),
 *    late by the driver's transfer latency and by resetlab's own work on
 *    packets delivered together (USB: ~1 ms; the demo driver,
 *    which sends its backlog every 100 ms, up to 100 ms when the limit
 *    is under 100 ms of samples).
 *
 * Implemented by capture_live_config.c, capture_live_device.c and
 * capture_live_session.c. May call: libsigrok, glib, capture_sigrok.h (the
 * context and the reader), analyzers/ (trace types).
 */
#ifndef RESETLAB_CAPTURE_CAPTURE_LIVE_H
#define RESETLAB_CAPTURE_CAPTURE_LIVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/trace.h"
#include "capture_sigrok.h"

struct live_config {
    char driver[64];       /* as sigrok-cli's -d: "demo", "fx2lafw", "fx2lafw:conn=1.5" (scan options after ':') */
    char config[256];      /* as sigrok-cli's --config: "samplerate=4M:limit_samples=100k:pattern=..." */
    struct channel_map map;/* which device channel is DTR, RTS, EN, IO0, RX */
    double pretrigger_pct; /* with trigger: share of the captured samples kept before the trigger edge, 0..100 */
    int trigger;           /* 1: t = 0 near the first DTR or RTS edge (see above); 0: t = 0 at the first sample */
    struct sigrok_read_opts read; /* EN's analog channel, when mapped: threshold and rate kept */
};

/* Checks the syntax and fills `out` (trigger 0, pretrigger_pct 20, as
 * libsigrok's own default capture ratio). Config keys are libsigrok's
 * names: samplerate (Hz; k/M/G suffix, "Hz" optional, decimals: 1.5M),
 * limit_samples (k/M/G allowed), limit_time (ms; "ms" or "s" suffix),
 * pattern (the demo's: on the logic channels' group), and any other key
 * libsigrok knows of type integer, string, bool or float. Whether the
 * driver takes a key, and a value's range, are checked by
 * live_capture_start. Returns 0, or -1 with one line in err. */
int live_config_parse(const char *driver_spec, const char *config, const char *map_spec, struct live_config *out,
                      char *err, size_t err_len);

struct live_capture;

/* Finds the driver (sr_driver_list; sr_driver_init once per libsigrok
 * context), scans (with the spec's scan options, e.g. conn), takes the
 * first device, opens it, checks the map against its logic channels,
 * disables its non-logic channels, applies the config (samplerate first;
 * a key the device does not take is set on the logic channel group that
 * does; limit_time becomes limit_samples on drivers without it), then
 * starts the session on a background thread. Returns NULL with one line
 * in err. `s` must outlive the capture; one live capture per driver and
 * libsigrok context at a time. */
struct live_capture *live_capture_start(struct sigrok *s, const struct live_config *cfg, char *err, size_t err_len);

/* Waits until samples stream in (the first LOGIC packet): call it before
 * driving the lines, or early ops fall before sample 0. 0 once streaming;
 * -1 on timeout or when the capture ended without samples. */
int live_capture_wait_streaming(struct live_capture *c, int timeout_ms);
/* The same, giving up within LIVE_STOP_POLL_MS once *stop is set (NULL:
 * never; SIGINT/SIGTERM): 0 streaming, 1 stopped, -1 as above. */
#define LIVE_STOP_POLL_MS 20
int live_capture_wait_streaming_or_stop(struct live_capture *c, int timeout_ms, const volatile sig_atomic_t *stop);

/* Host CLOCK_MONOTONIC upper bound (ns) on the time of sample 0 of the raw
 * capture so far, 0 before the first LOGIC packet (see above). */
int64_t live_capture_t0_ns(struct live_capture *c);

struct live_timing {
    int64_t t_start_ns;        /* host time just before sr_session_start */
    int64_t t_first_packet_ns; /* host time the first LOGIC packet arrived; 0: none */
    uint64_t first_packet_samples;
    int64_t t0_ns;             /* host-time upper bound on the trace's t = 0 (after the trigger cut) */
    uint64_t samples;          /* samples received from the device */
    uint64_t cut_samples;      /* samples dropped before the pretrigger window */
    int triggered;             /* 1: the trace holds the trigger edge */
    uint64_t trigger_sample;   /* its sample index in the trace (t = 0 is sample 0) */
    int64_t trigger_t_ns;      /* and its time in the trace */
    int sr_trigger;            /* 1: the driver sent an SR_DF_TRIGGER packet */
    uint64_t sr_trigger_sample;/* samples before it, raw capture numbering */
    int stopped;               /* 1: ended by stop_now rather than by its limit */
    uint64_t limit_samples;    /* the limit asked, in samples (limit_time at the samplerate; the smaller of
                                  the two when both are set); 0: none */
    int64_t t_end_ns;          /* host time the acquisition ended (sr_session_run returned) */
};

/* Waits until the capture ends (its limit), or stops it (sr_session_stop)
 * when `stop_now`, or when it has no limit (nothing else would end it);
 * then fills `tr` (edges malloc'd: free tr->edges) and frees everything.
 * Returns 0, or -1 with one line in err (tr zeroed). */
int live_capture_finish(struct live_capture *c, int stop_now, struct trace *tr, char *err, size_t err_len);
/* The same, also filling `timing` (may be NULL) for op-log alignment. */
int live_capture_finish_timed(struct live_capture *c, int stop_now, struct trace *tr, struct live_timing *timing,
                              char *err, size_t err_len);

#endif
