/* Backends are small vtables, like libsigrok's drivers: a port drives DTR
 * and RTS, a capture records what the wires did. Adding a backend touches
 * its own file and the tables in backend.c. */
#ifndef RESETLAB_BACKEND_H
#define RESETLAB_BACKEND_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyzers/trace.h"
#include "../sim/lab.h"

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

struct capture;
struct capture_ops {
    const char *name;
    int (*start)(struct capture *c);
    /* Fills the trace (caller's edge storage) and the UART bytes. */
    int (*stop)(struct capture *c, struct trace *tr, uint8_t *uart, size_t uart_cap, size_t *uart_len);
    const char *(*error)(struct capture *c);
};
struct capture {
    const struct capture_ops *ops;
    void *ctx;
};

extern const struct port_ops port_sim_ops;
extern const struct capture_ops capture_sim_ops;

const struct port_ops *port_backend(const char *port_spec);
const struct capture_ops *capture_backend(const char *kind);

#endif
