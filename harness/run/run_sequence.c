/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A scenario's ops through a port (run_sequence.h), each logged with the
 * port's clock before and after the call; a stop asked for ends it at the
 * next step. May call: harness/port (the vtable), harness/lab (an op's DSL token),
 * analyzers/ (SLIP), libc. */
#include "run_sequence.h"

#include <stdio.h>

#include "analyzers/slip.h"
#include "harness/lab/lab_dsl.h"

/* What the tool believes DTR is (pyserial's port.dtr): esptool's _setRTS
 * writes it back after every RTS change. */
struct tool_state {
    int dtr;
};

static int exec_op(struct port *p, const struct op *op, int rewrite, struct tool_state *ts)
{
    const struct port_ops *o = p->ops;
    switch (op->kind) {
    case OP_DTR:
        ts->dtr = op->dtr;
        return o->set_lines(p, op->dtr, -1);
    case OP_RTS:
        if (o->set_lines(p, -1, op->rts) != 0)
            return -1;
        return rewrite ? o->set_lines(p, ts->dtr, -1) : 0;
    case OP_BOTH:
        ts->dtr = op->dtr;
        return o->set_lines(p, op->dtr, op->rts);
    case OP_WAIT:
        return o->sleep(p, op->wait_s);
    case OP_SYNC: {
        uint8_t req[64];
        size_t n = esp_sync_request(req, sizeof req);
        return o->write(p, req, n);
    }
    case OP_OPEN:
    case OP_OPEN_LOWERED:
        ts->dtr = op->kind == OP_OPEN;
        return o->open(p, op->kind == OP_OPEN_LOWERED);
    case OP_CLOSE_RTS_DTR: /* mpremote: clear RTS, then DTR, then close */
        if (o->set_lines(p, -1, 0) != 0 || o->set_lines(p, 0, -1) != 0)
            return -1;
        return o->close(p);
    case OP_CLOSE:
        return o->close(p);
    }
    return -1;
}

int run_sequence(struct port *p, const struct scenario *s, enum host_os os, struct op_record *log,
                 size_t *n_log, char *err, size_t err_len)
{
    const struct op_seq *seq = &s->seq[os];
    struct tool_state ts = {0};
    int opened = 0;
    *n_log = 0;
    for (int i = 0; i < seq->n; i++) {
        if (port_stop_asked(p))
            return RUNNER_STOPPED;
        const struct op *op = &seq->ops[i];
        if (*n_log >= RUNNER_MAX_OPS) {
            snprintf(err, err_len, "more than %d steps in one sequence", RUNNER_MAX_OPS);
            return -1;
        }
        struct op_record *r = &log[(*n_log)++];
        r->index = i;
        r->is_port_op = op_is_port_op(op->kind);
        int is_open = op->kind == OP_OPEN || op->kind == OP_OPEN_LOWERED;
        r->first_open = is_open && s->after_power_on && !opened;
        opened |= is_open;
        dsl_format_op(op, r->label, sizeof r->label);
        r->t_before_ns = p->ops->now_ns(p);
        int rc = exec_op(p, op, s->rewrite_dtr_after_rts, &ts);
        r->t_after_ns = p->ops->now_ns(p);
        if (rc != 0) {
            snprintf(err, err_len, "step %d (%s): %s", i + 1, r->label, p->ops->error(p));
            return -1;
        }
    }
    /* a last wait cut short is no finished sequence either */
    return port_stop_asked(p) ? RUNNER_STOPPED : 0;
}
