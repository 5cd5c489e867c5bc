/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The libsigrok context (sigrok_new, sigrok_free, sigrok_context,
 * capture_sigrok.h): one sr_init for many files and live captures, and the
 * user device instances capture_export.c keeps in it.
 * May call: libsigrok. */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <libsigrok/libsigrok.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char log_first[256];

void sigrok_log_clear(void)
{
    log_first[0] = '\0';
}

const char *sigrok_log_first(void)
{
    return log_first;
}

/* libsigrok's errors are kept, not printed: the command reports them in
 * its one line (sigrok_log_first). */
static int keep_error(void *cb_data, int loglevel, const char *format, va_list args)
{
    (void)cb_data;
    if (loglevel <= SR_LOG_ERR && log_first[0] == '\0') {
        vsnprintf(log_first, sizeof log_first, format, args);
        log_first[strcspn(log_first, "\r\n")] = '\0';
    }
    return SR_OK;
}

struct sigrok *sigrok_new(char *err, size_t err_len)
{
    struct sigrok *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    /* its messages are not printed: its errors are kept for our one line */
    sr_log_callback_set(keep_error, NULL);
    sr_log_loglevel_set(SR_LOG_ERR);
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
