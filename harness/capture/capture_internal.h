/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the capture room's files share and no other room sees: the insides
 * of the libsigrok context, the stream reader's error, and a live
 * capture's state and the calls between its config, device and session
 * files. Included only by the .c files of harness/capture/.
 * May call: libsigrok (its types), glib, analyzers/ (trace types),
 * capture_live.h and capture_sigrok.h (their types). */
#ifndef RESETLAB_CAPTURE_CAPTURE_INTERNAL_H
#define RESETLAB_CAPTURE_CAPTURE_INTERNAL_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/trace.h"
#include "capture_live.h"

struct sr_channel;
struct sr_context;
struct sr_dev_driver;
struct sr_dev_inst;
struct sr_key_info;
struct sr_session;

/* ---- the libsigrok context (capture_context.c, capture_export.c) and the reader (capture_edges.c) ---- */

struct sigrok {
    struct sr_context *ctx;
    /* srzip writes from a user device instance, which the public API cannot
     * free: one per channel set, kept for the context's life. */
    struct sr_dev_inst *sdi[1u << (CH_COUNT + 1)]; /* + EN_V */
};

/* libsigrok's own first error text since sigrok_log_clear (its log
 * callback, capture_context.c, per thread), "" when it said none: a CSV or
 * VCD it cannot parse says the line and the text there, as sigrok-cli
 * prints them, where sr_strerror says only "generic/unspecified error". */
void sigrok_log_clear(void);
const char *sigrok_log_first(void);

/* The reader's first error, printf'd from `fmt` with its three %s: the
 * path read, a and b; later ones are dropped (capture_edges.c). */
void sigrok_reader_fail(struct sigrok_reader *r, const char *fmt, const char *a, const char *b);

/* A .sr file's metadata and sizes against the SIGROK_SR_MAX_* limits
 * (capture_srzip.c): 0, or -1 with one line in err. A file it cannot read
 * as a session passes, for libsigrok to report. */
/* The metadata's capturefile (the logic chunks' base name, "logic-1") is
 * written into `base`: at most SIGROK_SR_BASE_MAX characters. */
#define SIGROK_SR_BASE_MAX 31
int sigrok_sr_prescan(const char *path, uint64_t *logic_bytes, int *unitsize, char *base, size_t base_len, char *err,
                      size_t err_len);
/* libsigrok 0.5.2 passes on the bytes of a chunk whose CRC-32 fails (libzip
 * reports it on the read after the last, which the session driver takes
 * for the chunk's end). So the logic bytes it delivers are checked here,
 * chunk by chunk in its order, against the zip's CRC-32 of each: open on
 * the file (the prescan's base), feed every LOGIC packet's bytes, close.
 * A feed returns -1 with the chunk named in `bad` at its first mismatch.
 * Memory O(1): the zip stays open, each chunk's entry is looked up when
 * the bytes reach it. */
struct sigrok_sr_chunks {
    struct zip *zip;
    char base[SIGROK_SR_BASE_MAX + 1], name[64];
    int single, k, open, checked;
    uint64_t size, done, at; /* the chunk's size, its bytes fed, where it starts in the logic data */
    unsigned long crc, want;
};
int sigrok_sr_chunks_open(struct sigrok_sr_chunks *c, const char *path, const char *base);
int sigrok_sr_chunks_feed(struct sigrok_sr_chunks *c, const uint8_t *p, uint64_t n, char *bad, size_t len);
void sigrok_sr_chunks_close(struct sigrok_sr_chunks *c);
/* Its logic chunks' sizes (*logic_bytes) are what the session must deliver:
 * libsigrok 0.5.2 ends a chunk it cannot inflate quietly. Then the chunk
 * libzip cannot inflate (else the one holding byte `offset`), named with
 * the reason for an error line. */
void sigrok_sr_bad_chunk(const char *path, uint64_t offset, char *name, size_t len);

/* ---- live capture: the analyzer's options (capture_live_config.c) ---- */

#define LIVE_CONFIG_MAX_PAIRS 16

struct live_config_pair {
    char key[40];
    char val[160];
};

/* "k1=v1:k2=v2" (`spec`, may be NULL) into at most `max` pairs: their
 * count, or -1 with one line in err naming `what`. */
int live_config_split_pairs(const char *spec, struct live_config_pair *out, int max, const char *what, char *err,
                            size_t err_len);
/* limit_time's value in ms ("250", "250ms", "2s"): 0, or -1. */
int live_config_parse_ms(const char *s, uint64_t *out);
/* A config or scan option value as the GVariant libsigrok wants for the
 * key (floating reference). NULL with one line in err. */
GVariant *live_config_value(const struct sr_key_info *ki, const char *val, const char *what, char *err, size_t err_len);
/* libsigrok's config key of that name; NULL with one line in err. */
const struct sr_key_info *live_config_key(const char *name, const char *what, char *err, size_t err_len);
/* The driver's name, before any ':' of a driver spec ("fx2lafw:conn=1.5"),
 * into name: 0, or -1 when it is empty, too long or not all lower case
 * letters, digits and '-'. */
int live_config_driver_name(const char *spec, char *name, size_t len);

/* ---- live capture: its state and its device (capture_live_device.c) ---- */

struct live_capture {
    struct live_config cfg; /* the reader's map points here */
    struct sr_dev_driver *drv;
    struct sr_dev_inst *sdi;
    struct sr_session *session;
    GThread *thread;
    GMutex lock;
    GCond cond;
    int started, start_rc, running, streaming, has_limit, stop_requested;
    /* written on the session thread; read by the caller after the join,
     * or under `lock` (t_first_packet_ns, first_packet_samples) */
    struct sigrok_reader reader;
    struct trace tr;
    char what[80];
    int64_t t_start_ns, t_first_packet_ns;
    int64_t t0_bound_ns; /* min over LOGIC packets of arrival - samples so far / rate; 0: none yet */
    uint64_t first_packet_samples, sr_trigger_sample;
    int sr_trigger;
    uint64_t samplerate; /* as configured, for the t0 estimate; 0: ask the reader */
    uint64_t limit_samples, limit_ms; /* as set on the device; 0: not set */
    int64_t t_end_ns;    /* when sr_session_run returned */
};

/* One more (delta +1) or one fewer (-1) capture on the driver; when the
 * last one ends, the devices its scans made are closed and freed
 * (sr_dev_clear). */
void live_device_use(const struct sr_dev_driver *drv, int delta);
/* The driver of c->cfg.driver (initialised once per context), scanned
 * with the spec's scan options; its first device opened (c->drv, c->sdi,
 * counted by live_device_use). 0, or -1 with one line in err. */
int live_device_find(struct live_capture *c, struct sigrok *s, char *err, size_t err_len);
/* The map against the device's channels: every mapped one there, DTR and
 * RTS found. 0, or -1 with one line in err. */
int live_device_check_map(const struct live_capture *c, char *err, size_t err_len);
/* The analog channel the map gives EN (A0=EN_V, or EN on an analog one);
 * NULL: none. */
struct sr_channel *live_device_en_analog(const struct live_capture *c);
/* c->cfg.config set on the device, samplerate first; limit_time becomes
 * limit_samples on drivers without it. Records the samplerate and limits
 * in c. 0, or -1 with one line in err. */
int live_device_apply_config(struct live_capture *c, char *err, size_t err_len);

#endif
