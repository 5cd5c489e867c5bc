/* Capture files through libsigrok (DESIGN.md §7, ../shared/LIBS.md):
 * sigrok sessions (.sr, srzip) out and in, VCD and CSV in through
 * libsigrok's input modules. Everything is turned into a trace (edges) as
 * it streams in, so memory is O(edges), not O(samples).
 */
#ifndef RESETLAB_SIGROK_H
#define RESETLAB_SIGROK_H

#include <stddef.h>
#include <stdint.h>

#include "../analyzers/trace.h"
#include "../analyzers/uart.h"

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
 * to its end. Returns 0, or -1 with one line in err. */
int sigrok_write_sr(struct sigrok *s, const char *path, const struct trace *tr, const struct uart_byte *rx, size_t n_rx,
                    int baud, char *err, size_t err_len);

/* Which file channel feeds each of ours: a comma-separated list of
 * FILECHANNEL=OURS (D0=DTR,D1=RTS,D2=EN,D3=IO0,D4=RX). A file channel is
 * found by its name, else "D<n>" or "<n>" is the n-th logic channel.
 * NULL or "" maps file channels named DTR, RTS, EN, IO0, RX (any case). */
struct channel_map {
    char file_name[CH_COUNT][32]; /* "" = by our own name */
    int given;
};
int channel_map_parse(const char *spec, struct channel_map *m, char *err, size_t err_len);

/* Reads FILE (.sr, .vcd or .csv, by its extension) into `tr`: the edges
 * are malloc'd here (free tr->edges), sample rate and end from the file.
 * DTR and RTS must be present; EN, IO0 and RX are optional. `samplerate`
 * (Hz, 0 = unknown) is for CSV files, which may not say theirs; sigrok's
 * own CSV output says it in a comment, which is read. Returns 0, or -1
 * with one line in err. */
int sigrok_read(struct sigrok *s, const char *path, const struct channel_map *map, uint64_t samplerate,
                struct trace *tr, char *err, size_t err_len);

/* ---- streaming packets into a trace, for live captures too ---- */

struct sr_context;
struct sr_dev_inst;
struct sr_datafeed_packet;

struct sr_context *sigrok_context(struct sigrok *s);

/* A datafeed callback's state: channels resolved from the device on the
 * first LOGIC packet (by `map`, else by name), the samplerate from META
 * or the driver, every level change an edge (memory O(edges)). */
struct sigrok_reader {
    const char *path; /* what is being read, for errors */
    const struct channel_map *map;
    struct trace *tr;
    int resolved, failed;
    int bit[CH_COUNT]; /* logic bit of each of our channels; -1 absent */
    uint64_t mask;     /* the bits we read */
    uint64_t samplerate, n_samples, prev;
    uint64_t samplerate_hint; /* --samplerate, for CSV files */
    char err[320];
};

/* Starts reading into `tr` (its edges are malloc'd; free tr->edges). */
void sigrok_reader_init(struct sigrok_reader *r, const char *what, const struct channel_map *map, struct trace *tr);
/* The sr_datafeed_callback: pass the reader as its data. */
void sigrok_reader_packet(const struct sr_dev_inst *sdi, const struct sr_datafeed_packet *pkt, void *reader);
/* Sets the trace's rate and end; -1 with the reader's error otherwise. */
int sigrok_reader_finish(struct sigrok_reader *r, char *err, size_t err_len);

#endif
