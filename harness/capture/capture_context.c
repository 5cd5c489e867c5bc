/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The libsigrok context (sigrok_new, sigrok_free, sigrok_context,
 * capture_sigrok.h): one sr_init for many files and live captures, and the
 * user device instances capture_export.c keeps in it.
 * May call: libsigrok. */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <libsigrok/libsigrok.h>
#include <stdio.h>
#include <stdlib.h>

struct sigrok *sigrok_new(char *err, size_t err_len)
{
    struct sigrok *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    sr_log_loglevel_set(SR_LOG_NONE); /* its messages are not ours: errors are reported here */
    int rc = sr_init(&s->ctx);
    if (rc != SR_OK) {
        snprintf(err, err_len, "libsigrok: %s", sr_strerror(rc));
        free(s);
        return NULL;
    }
    return s;
}

void sigrok_free(struct sigrok *s)
{
    if (s == NULL)
        return;
    sr_exit(s->ctx);
    free(s);
}

struct sr_context *sigrok_context(struct sigrok *s)
{
    return s->ctx;
}
