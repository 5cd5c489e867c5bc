/* The virtual lab as a port and a capture: both act on one sim_world,
 * whose clock is virtual. */
#include "../sim/world.h"
#include "backend.h"

static struct sim_world *world(void *ctx)
{
    return (struct sim_world *)ctx;
}

static int sim_port_open(struct port *p, int lowered)
{
    return sim_open(world(p->ctx), lowered);
}

static int sim_port_close(struct port *p)
{
    return sim_close(world(p->ctx));
}

static int sim_port_set_lines(struct port *p, int dtr, int rts)
{
    return sim_set_lines(world(p->ctx), dtr, rts);
}

static int sim_port_sleep(struct port *p, double seconds)
{
    return sim_sleep(world(p->ctx), seconds);
}

static int sim_port_write(struct port *p, const uint8_t *bytes, size_t n)
{
    return sim_write(world(p->ctx), bytes, n);
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
    .now_ns = sim_port_now,
    .error = sim_port_error,
};

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
