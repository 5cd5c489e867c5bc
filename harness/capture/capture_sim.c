/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual analyzer as a capture: it records the sim_world the port
 * of port_sim.c acts on, from t = 0 of its virtual clock.
 * May call: sim/ (the world's virtual analyzer). */
#include "capture.h"

#include "sim/world.h"

static struct sim_world *world(void *ctx)
{
    return (struct sim_world *)ctx;
}

static int sim_cap_start(struct capture *c)
{
    (void)c; /* the virtual analyzer records from t = 0 of the world */
    return 0;
}

static int sim_cap_stop(struct capture *c, struct trace *tr, uint8_t *uart, size_t uart_cap, size_t *uart_len)
{
    return sim_finish(world(c->ctx), tr, uart, uart_cap, uart_len, NULL);
}

static const char *sim_cap_error(struct capture *c)
{
    (void)c;
    return "the virtual analyzer's buffers overflowed (more than 256 edges on a channel)";
}

const struct capture_ops capture_sim_ops = {
    .name = "sim",
    .start = sim_cap_start,
    .stop = sim_cap_stop,
    .error = sim_cap_error,
};
