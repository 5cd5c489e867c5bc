/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table of port backends, by a board's `port:` value (each backend's
 * ops carry their name).
 * May call: the backends it lists, libc. */
#include "port.h"

#include <stdint.h>
#include <string.h>

static const struct port_ops *const backends[] = {&port_sim_ops};

long port_read_bytewise(struct port *p, uint8_t *buf, size_t cap, double timeout_s, port_read_done done, void *ctx,
                        long (*read1)(struct port *p, uint8_t *byte, int timeout_ms))
{
    int64_t deadline = p->ops->now_ns(p) + (timeout_s > 0 ? (int64_t)(timeout_s * 1e9 + 0.5) : 0);
    size_t n = 0;
    while (n < cap && !port_stop_asked(p)) {
        int64_t left = deadline - p->ops->now_ns(p);
        long got = read1(p, buf + n, left > 0 ? (int)((left + 999999) / 1000000) : 0);
        if (got < 0)
            return -1;
        if (got == 0)
            break; /* quiet until the deadline */
        n++;
        if (done != NULL && done(buf, n, ctx))
            break;
    }
    return (long)n;
}

const struct port_ops *port_backend(const char *port_spec)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, port_spec) == 0)
            return backends[i];
    return NULL;
}
