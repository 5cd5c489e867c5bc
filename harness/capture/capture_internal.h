/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the capture room's files share and no other room sees: the insides
 * of the libsigrok context and the stream reader's error. Included only
 * by the .c files of harness/capture/.
 * May call: libsigrok (its types), analyzers/ (trace types). */
#ifndef RESETLAB_CAPTURE_CAPTURE_INTERNAL_H
#define RESETLAB_CAPTURE_CAPTURE_INTERNAL_H

#include "analyzers/trace.h"

struct sr_context;
struct sr_dev_inst;
struct sigrok_reader;

struct sigrok {
    struct sr_context *ctx;
    /* srzip writes from a user device instance, which the public API cannot
     * free: one per channel set, kept for the context's life. */
    struct sr_dev_inst *sdi[1u << (CH_COUNT + 1)]; /* + EN_V */
};

/* The reader's first error, printf'd from `fmt` with its three %s: the
 * path read, a and b; later ones are dropped (capture_edges.c). */
void sigrok_reader_fail(struct sigrok_reader *r, const char *fmt, const char *a, const char *b);

#endif
