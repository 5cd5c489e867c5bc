/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual lab as a port: every call acts on one sim_world, whose
 * clock is virtual (capture_sim.c records the same world).
 * May call: sim/ (the world). */
#include "sim/world.h"
#include "port.h"

static struct sim_world *world(void *ctx)
{
    return (struct sim_world *)ctx;
}

/* -1 from the world: PORT_LOST when the port left the bus. */
static int lost_or(struct port *p, int rc)
{
    return rc != 0 && sim_port_lost(world(p->ctx)) ? PORT_LOST : rc;
}

static int sim_port_open(struct port *p, int lowered)
{
    return lost_or(p, sim_open(world(p->ctx), lowered));
}

static int sim_port_close(struct port *p)
{
    return sim_close(world(p->ctx));
}

static int sim_port_set_lines(struct port *p, int dtr, int rts)
{
    return lost_or(p, sim_set_lines(world(p->ctx), dtr, rts));
}

static int sim_port_sleep(struct port *p, double seconds)
{
    return sim_sleep(world(p->ctx), seconds);
}

static int sim_port_write(struct port *p, const uint8_t *bytes, size_t n)
{
    return lost_or(p, sim_write(world(p->ctx), bytes, n));
}

static long sim_port_read(struct port *p, uint8_t *buf, size_t cap, double timeout_s, port_read_done done, void *ctx)
{
    long n = (long)sim_read(world(p->ctx), buf, cap, timeout_s, done, ctx);
    return sim_port_lost(world(p->ctx)) ? PORT_LOST : n;
}

static int64_t sim_port_now(struct port *p)
{
    return sim_now_ns(world(p->ctx));
}

static const char *sim_port_error(struct port *p)
{
    return sim_error(world(p->ctx));
}

const struct port_ops port_sim_ops = {
    .name = "sim",
    .open = sim_port_open,
    .close = sim_port_close,
    .set_lines = sim_port_set_lines,
    .sleep = sim_port_sleep,
    .write = sim_port_write,
    .read = sim_port_read,
    .now_ns = sim_port_now,
    .error = sim_port_error,
};
