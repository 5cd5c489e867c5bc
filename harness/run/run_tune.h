/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resetlab tune: the shortest reset sequence that reaches download mode
 * reliably, found from measured runs (the virtual lab's, here).
 *
 * Families of esptool custom_reset_sequence strings with two waits, `hold`
 * (EN held low) and `boot` (IO0 held low after EN is let go):
 *   one call   U0,1|W<hold>|U1,0|W<boot>|U0,0      both lines in one TIOCMSET
 *                                                 (esptool's U; POSIX only)
 *   two calls  D0|R1|W<hold>|D1|R0|W<boot>|D0      esptool's ClassicReset shape
 *   usb-jtag   R0|D0|W<hold>|D1|R0|W<hold>|R1|D0|R1|W<hold>|D0|R0|W<boot>
 *                                                 USBJTAGSerialReset's shape
 * Each candidate runs N times (then SYNC, as esptool's connect); a run
 * passes when it boots in download mode, the ROM answers SYNC and the strap
 * margin is at least the one asked for. A candidate meets the target when
 * the 95 % Wilson lower bound of its pass rate does (it is dropped as soon
 * as it fails more often than that allows). For each family and hold the
 * shortest boot that meets the target is kept; the best is the candidate
 * with the shortest median reset time (first reset op to the last, with
 * the host's latencies).
 */
#ifndef RESETLAB_RUN_RUN_TUNE_H
#define RESETLAB_RUN_RUN_TUNE_H

#include <stdint.h>

#include "sim/lab.h"

struct sigrok;
struct port;
struct sim_world;

enum tune_family { TUNE_ONE_CALL, TUNE_TWO_CALLS, TUNE_USB_JTAG };

struct tune_opts {
    const struct board_profile *board;
    const struct host_profile *host;
    double target;        /* pass rate, e.g. 0.999 */
    double min_margin_ms; /* strap margin every passing run must have */
    int iterations;       /* runs per candidate */
    uint64_t seed;
    /* A real board: its claimed port and libsigrok (host: real_host); NULL:
     * the virtual lab. */
    struct sigrok *sr;
    struct port *port;
    int no_one_call; /* leave out the U family: for esptool on Windows or over rfc2217:// */
};

struct tune_result {
    enum tune_family family;
    double hold_ms, boot_ms;
    char reset[160]; /* esptool custom_reset_sequence */
    int runs, passed;
    double lo, hi;              /* 95 % Wilson interval of passed/runs */
    double reset_ms;            /* median reset time */
    double margin_min, margin_p1, margin_p50;
    int met;
};

struct run_buffers;
/* One run of `sc` on the board, simulated or real; rb->a holds the analysis. */
void tune_run_once(const struct tune_opts *o, struct sim_world *w, const struct scenario *sc, const char *seed_name,
                   int iteration, struct run_buffers *rb);

/* A run of a sequence shaped "O|reset…|S|W…": from its first reset op to
 * its last, on the host's clock (ms; NaN when shorter). */
double tune_reset_ms(const struct run_buffers *rb);

/* The reset part of a candidate's sequence. */
void tune_sequence(enum tune_family f, double hold_ms, double boot_ms, char *out, size_t len);
const char *tune_family_name(enum tune_family f);

/* Runs one candidate (or, with `reset` set by the caller and family
 * ignored, any sequence) N times. 0, or -1 with one line in err. */
int tune_evaluate(const struct tune_opts *o, struct tune_result *r, int stop_early, char *err, size_t err_len);

/* Whether esptool can use a U step on this host: its _setDTRandRTS is a
 * TIOCMSET, which Windows has not, nor pyserial's RFC 2217 client
 * (io.UnsupportedOperation: fileno). */
int tune_host_has_one_call(const struct host_profile *h);

/* Searches every family that applies. Returns the number of candidates
 * run, with the best in *best (best->met 0 when none met the target), or
 * -1 with one line in err. */
int tune_search(const struct tune_opts *o, struct tune_result *best, char *err, size_t err_len);

#endif
