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

/* A read's reader: 1 once the bytes read so far are what it waits for
 * (a whole SLIP frame, say), which ends the read there. */
typedef int (*port_read_done)(const uint8_t *bytes, size_t n, void *ctx);

struct port_ops {
    const char *name;
    int (*open)(struct port *p, int lowered);      /* O / O0 */
    int (*close)(struct port *p);                  /* C: as the host OS closes */
    int (*set_lines)(struct port *p, int dtr, int rts); /* -1 leaves a line; both set = one call */
    int (*sleep)(struct port *p, double seconds);
    int (*write)(struct port *p, const uint8_t *bytes, size_t n); /* returns when sent */
    /* What the board sent: waits up to timeout_s, ending early once done()
     * says so (NULL: at the timeout); 0 s reads what is waiting now, as a
     * tool's read(in_waiting) does. Returns the bytes read (0 at a quiet
     * timeout), or -1. */
    long (*read)(struct port *p, uint8_t *buf, size_t cap, double timeout_s, port_read_done done, void *ctx);
    int64_t (*now_ns)(struct port *p);             /* the op log's clock */
    const char *(*error)(struct port *p);
};
/* What open, set_lines, write and read return when the device left the bus
 * under the host's handle (EIO), or is not there to open (ENOENT): a
 * native USB-OTG board restarting (docs/physics.md#usb-otg). Not an
 * infrastructure error: the tool sees it, and a tool may reopen the port
 * (run_tool.c). The error text is the OS's and pyserial's. */
#define PORT_LOST (-2)

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

/* A read for the real backends, one byte at a time from `read1` (which
 * waits up to its timeout for one byte: 1, 0 at the timeout, -1), so done()
 * sees each byte and nothing past what it waits for is taken from the
 * port. `now_ns` is the backend's clock. */
long port_read_bytewise(struct port *p, uint8_t *buf, size_t cap, double timeout_s, port_read_done done, void *ctx,
                        long (*read1)(struct port *p, uint8_t *byte, int timeout_ms));

const struct port_ops *port_backend(const char *port_spec);

#endif
