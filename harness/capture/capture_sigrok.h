/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Capture files through libsigrok (docs/real-hardware.md, CONTRIBUTING.md#library-facts):
 * sigrok sessions (.sr, srzip) out and in, VCD and CSV in through
 * libsigrok's input modules. Everything is turned into a trace (edges) as
 * it streams in, so memory is O(edges), not O(samples). Implemented by
 * capture_context.c, capture_sigrok.c, capture_export.c, capture_import.c
 * and capture_edges.c. May call: libsigrok, glib, analyzers/ (trace and
 * UART types).
 */
#ifndef RESETLAB_CAPTURE_CAPTURE_SIGROK_H
#define RESETLAB_CAPTURE_CAPTURE_SIGROK_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/trace.h"
#include "analyzers/uart.h"

struct sigrok; /* one libsigrok context, reused for many files */

/* "4M", "1.5 MHz", "24000000", "1k": a positive whole number of units, as
 * sigrok-cli's configs and sigrok's CSV comments write rates; "Hz" may
 * follow when `hz`. (sr_parse_sizestring reads "1.5k" as 1.) 0 or -1. */
int sigrok_parse_scaled(const char *s, int hz, uint64_t *out);

struct sigrok *sigrok_new(char *err, size_t err_len);
void sigrok_free(struct sigrok *s);

/* Writes a sigrok session: one logic channel per channel the trace has
 * (named DTR, RTS, EN, IO0) plus RX, the UART line built from `rx` at
 * `baud` (omitted when baud is 0), at the trace's sample rate, from t = 0
 * to its end. EN's analog samples, when the trace has them, become an
 * analog channel EN_V at the same rate (a session has one), each sample
 * held until the next, as a mixed-signal analyzer's file would hold them.
 * Returns 0, or -1 with one line in err. */
int sigrok_write_sr(struct sigrok *s, const char *path, const struct trace *tr, const struct uart_byte *rx, size_t n_rx,
                    int baud, char *err, size_t err_len);

/* PATH.pvs beside PATH.sr (sigrok_write_sr writes it): a PulseView session
 * setup naming and colouring the file's logic channels `chans` (and EN_V
 * when en_analog) as the report's diagrams do, with the UART decoder on RX
 * at `baud` (none when baud is 0). `pulseview -s PATH.pvs PATH.sr` opens
 * both (capture_pvs.c). 0, or -1 with one line in err. */
int sigrok_write_pvs(const char *sr_path, const enum channel *chans, int n, int en_analog, int baud, char *err,
                     size_t err_len);
/* Removes PATH.sr and the PATH.pvs beside it (what of them there is). */
void sigrok_remove_session(const char *sr_path);

/* Which file channel feeds each of ours: a comma-separated list of
 * FILECHANNEL=OURS (D0=DTR,D1=RTS,D2=EN,D3=IO0,D4=RX). A file channel is
 * found by its name, else "D<n>" or "<n>" is the n-th logic channel.
 * EN_V names an analog channel with EN's voltage (A0=EN_V), fitted by the
 * RC analyzer; EN mapped to an analog channel (A0=EN) also makes EN's
 * edges from it, at the analyzer's threshold. NULL or "" maps file
 * channels named DTR, RTS, EN, IO0, RX (any case) and an analog EN_V (or
 * an analog EN when there is no logic one). */
/* The longest file channel name --map takes (a sigrok channel name is free
 * length; PulseView's and the analyzers' are short). */
#define SIGROK_MAP_NAME_MAX 31
struct channel_map {
    char file_name[CH_COUNT][SIGROK_MAP_NAME_MAX + 1]; /* "" = by our own name */
    char en_analog[SIGROK_MAP_NAME_MAX + 1];           /* EN_V's file channel; "" = by name */
    int given;
};
int channel_map_parse(const char *spec, struct channel_map *m, char *err, size_t err_len);

/* Reads FILE (.sr, .vcd or .csv, by its extension) into `tr`: the edges
 * and EN samples are malloc'd here (sigrok_trace_free), sample rate and
 * end from the file. EN's analog samples are kept at `analog_rate_hz`
 * (every n-th sample; 0 = all), at most SIGROK_MAX_ANALOG of them (then
 * every other one is dropped, as often as needed).
 * Any of DTR, RTS, EN, IO0 and RX may be missing, not all. `samplerate`
 * (Hz, 0 = unknown) is for CSV files, which may not say theirs; sigrok's
 * own CSV output says it in a comment, which is read. Returns 0, or -1
 * with one line in err. */
struct sigrok_read_opts {
    uint64_t samplerate;     /* Hz, for CSV files that do not say; 0 = unknown */
    double threshold_v;      /* EN's edges from an analog EN; 0 = 1.5 V */
    double analog_rate_hz;   /* EN samples kept per second; 0 = all */
    uint64_t vcd_max_samples; /* a VCD longer than this is refused; 0 = SIGROK_VCD_MAX_SAMPLES */
};
#define SIGROK_MAX_ANALOG (1u << 20)
/* Edges a capture may have, all channels together, counted as they are
 * read, so memory is bounded by the limit (16 MiB of edges), not by the
 * file: a UART of 65,536 bytes (all analyze decodes) is at most 655,360
 * edges, and DTR/RTS stop at TRACE_MAX_LINE_STEPS instants. */
#define SIGROK_MAX_EDGES (1u << 20)
/* libsigrok expands a VCD into every sample its timestamps span (one per
 * $timescale unit): 10^10 is 7 minutes at 24 MS/s, about 25 s to read. */
#define SIGROK_VCD_MAX_SAMPLES 10000000000ull
/* A sigrok session (.sr) is refused before libsigrok loads it when its
 * metadata says what no analyzer writes (libsigrok 0.5.2 makes each
 * channel it names, in quadratic time: "total probes=100000" takes 11 s,
 * 10^9 hangs it): more than 64 logic channels (8 bytes a sample, as the
 * reader takes; libsigrok's largest analyzer, the LWLA1034, has 34) or 32
 * analog ones, a unit size that does not hold its logic channels, a
 * sample rate of 0, more than one device, metadata over 64 KiB (sigrok's
 * own is under 1 KiB) or more sample data than 10^10 bytes (10^10 samples
 * of up to 8 channels, as the VCD limit). */
#define SIGROK_SR_MAX_LOGIC 64
#define SIGROK_SR_MAX_ANALOG 32
#define SIGROK_SR_MAX_METADATA 65536
#define SIGROK_SR_MAX_DATA_BYTES 10000000000ull
int sigrok_read(struct sigrok *s, const char *path, const struct channel_map *map, const struct sigrok_read_opts *opts,
                struct trace *tr, char *err, size_t err_len);
/* Frees what sigrok_read and the live capture allocate in a trace. */
void sigrok_trace_free(struct trace *tr);

/* ---- streaming packets into a trace, for live captures too ---- */

struct sr_context;
struct sr_dev_inst;
struct sr_datafeed_packet;
struct sr_session;

struct sr_context *sigrok_context(struct sigrok *s);

/* A datafeed callback's state: channels resolved from the device on the
 * first LOGIC or ANALOG packet (by `map`, else by name), the samplerate
 * from META or the driver, every level change an edge (memory O(edges));
 * EN's analog samples thinned to a rate and a maximum. */
/* The fastest sample rate a capture may have: 1 ps a sample (times are
 * kept in ns; libsigrok takes any rate, 1e18 Hz put every edge at 0). */
#define SIGROK_MAX_SAMPLERATE_HZ 1000000000000ull

struct sigrok_reader {
    const char *path; /* what is being read, for errors */
    const struct channel_map *map;
    struct trace *tr;
    int resolved, failed;
    int bit[CH_COUNT]; /* logic bit of each of our channels; -1 absent */
    uint64_t mask;     /* the bits we read */
    uint64_t beyond;   /* the bytes above those the device's logic channels fill: a sample with a bit set there
                          disagrees with them (the unit size is larger than the data's) */
    int n_logic;       /* the device's logic channels */
    uint64_t samplerate, n_samples, prev;
    unsigned logic_unitsize; /* bytes a sample of the logic packets seen; 0 before the first */
    /* instants DTR or RTS changed (as the analyzers' steps count them), the
     * last one; a file is refused past TRACE_MAX_LINE_STEPS, which its
     * analysis would refuse (a live capture is cut or refused by its run) */
    int n_line_changes, line_steps_limit;
    int64_t line_t_ns;
    /* a file's session, stopped at the first failure so libsigrok does
     * not read the rest of the file for nothing; NULL for live captures */
    struct sr_session *session;
    struct sigrok_read_opts opts;
    /* EN's analog channel: its name ("" = none), samples seen, every
     * `stride`-th kept; with no logic EN its edges come from it. */
    char en_analog[32];
    int en_from_analog, en_level;
    uint64_t n_analog, stride;
    float *scratch;
    size_t scratch_cap;
    struct edge *en_edges;
    size_t n_en_edges, cap_en_edges;
    char err[320];
};

/* Starts reading into `tr` (its edges are malloc'd; free tr->edges). */
void sigrok_reader_init(struct sigrok_reader *r, const char *what, const struct channel_map *map, struct trace *tr);
/* The sr_datafeed_callback: pass the reader as its data. */
void sigrok_reader_packet(const struct sr_dev_inst *sdi, const struct sr_datafeed_packet *pkt, void *reader);
/* Sets the trace's rate and end; -1 with the reader's error otherwise. */
int sigrok_reader_finish(struct sigrok_reader *r, char *err, size_t err_len);

#endif
