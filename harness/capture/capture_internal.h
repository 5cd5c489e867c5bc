/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the capture room's files share and no other room sees: the insides
 * of the libsigrok context, the stream reader's error, and the parsing the
 * live capture's config and device files both do. Included only by the .c
 * files of harness/capture/.
 * May call: libsigrok (its types), glib (GVariant), analyzers/ (trace types). */
#ifndef RESETLAB_CAPTURE_CAPTURE_INTERNAL_H
#define RESETLAB_CAPTURE_CAPTURE_INTERNAL_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/trace.h"

struct sr_context;
struct sr_dev_inst;
struct sr_key_info;
struct sigrok_reader;

/* ---- the libsigrok context and the reader (capture_sigrok.c, capture_edges.c) ---- */

struct sigrok {
    struct sr_context *ctx;
    /* srzip writes from a user device instance, which the public API cannot
     * free: one per channel set, kept for the context's life. */
    struct sr_dev_inst *sdi[1u << (CH_COUNT + 1)]; /* + EN_V */
};

/* The reader's first error, printf'd from `fmt` with its three %s: the
 * path read, a and b; later ones are dropped (capture_edges.c). */
void sigrok_reader_fail(struct sigrok_reader *r, const char *fmt, const char *a, const char *b);

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

#endif
