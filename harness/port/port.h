/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The port room's promise: a port drives DTR and RTS, writes bytes and
 * keeps the op log's clock. Backends are small vtables, like libsigrok's
 * drivers (struct sr_dev_driver): one file each (port_sim.c, port_serial.c,
 * port_rfc2217.c); adding one touches its file and the table in port.c.
 * May call: sim/ (the virtual lab's port), libc. */
#ifndef RESETLAB_PORT_PORT_H
#define RESETLAB_PORT_PORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/lab.h"

struct port;
struct port_ops {
    const char *name;
    int (*open)(struct port *p, int lowered);      /* O / O0 */
    int (*close)(struct port *p);                  /* C: as the host OS closes */
    int (*set_lines)(struct port *p, int dtr, int rts); /* -1 leaves a line; both set = one call */
    int (*sleep)(struct port *p, double seconds);
    int (*write)(struct port *p, const uint8_t *bytes, size_t n); /* returns when sent */
    int64_t (*now_ns)(struct port *p);             /* the op log's clock */
    const char *(*error)(struct port *p);
};
struct port {
    const struct port_ops *ops;
    void *ctx;
    /* A real board's port in a matrix cell: once set (SIGINT, SIGTERM) a
     * wait ends early and the sequence stops at its next step, where a
     * W0.55 would otherwise run on. NULL: never (the sim's runs take
     * microseconds and finish). */
    const volatile sig_atomic_t *stop;
};

/* A stop was asked for on this port (never on one without a flag). */
static inline int port_stop_asked(const struct port *p)
{
    return p->stop != NULL && *p->stop;
}

extern const struct port_ops port_sim_ops;

const struct port_ops *port_backend(const char *port_spec);

#endif
