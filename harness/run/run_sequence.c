/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A scenario's ops through a port (run_sequence.h), each logged with the
 * port's clock before and after the call; a stop asked for ends it at the
 * next step. May call: harness/port (the vtable), harness/lab (an op's DSL token),
 * analyzers/ (SLIP), libc. */
#include "run_sequence.h"

#include <stdio.h>
#include <string.h>

#include "analyzers/slip.h"
#include "harness/lab/lab_dsl.h"

static int exec_op(struct port *p, const struct op *op, int rewrite, struct seq_state *ts)
{
    const struct port_ops *o = p->ops;
    switch (op->kind) {
    case OP_DTR:
        ts->dtr = op->dtr;
        return o->set_lines(p, op->dtr, -1);
    case OP_RTS: {
        int rc = o->set_lines(p, -1, op->rts);
        if (rc != 0)
            return rc;
        return rewrite ? o->set_lines(p, ts->dtr, -1) : 0;
    }
    case OP_BOTH:
        ts->dtr = op->dtr;
        return o->set_lines(p, op->dtr, op->rts);
    case OP_WAIT:
        return o->sleep(p, op->wait_s);
    case OP_SYNC:
        if (ts->sync_len == 0) /* made once a run: a tool writes it up to 70 times */
            ts->sync_len = esp_sync_request(ts->sync_req, sizeof ts->sync_req);
        return o->write(p, ts->sync_req, ts->sync_len);
    case OP_OPEN:
    case OP_OPEN_LOWERED:
        ts->dtr = op->kind == OP_OPEN;
        return o->open(p, op->kind == OP_OPEN_LOWERED);
    case OP_CLOSE_RTS_DTR: { /* mpremote: clear RTS, then DTR, then close */
        int rc = o->set_lines(p, -1, 0);
        if (rc == 0)
            rc = o->set_lines(p, 0, -1);
        return rc == 0 ? o->close(p) : rc;
    }
    case OP_CLOSE:
        return o->close(p);
    }
    return -1;
}

int seq_run_op(struct seq_state *st, const struct op *op, int index, int rewrite)
{
    struct port *p = st->port;
    if (port_stop_asked(p))
        return RUNNER_STOPPED;
    if (*st->n_log >= RUNNER_MAX_OPS) {
        snprintf(st->err, st->err_len, "more than %d steps in one run", RUNNER_MAX_OPS);
        return -1;
    }
    struct op_record *r = &st->log[(*st->n_log)++];
    r->index = index;
    r->is_port_op = op_is_port_op(op->kind);
    int is_open = op->kind == OP_OPEN || op->kind == OP_OPEN_LOWERED;
    r->first_open = is_open && st->after_power_on && !st->opened;
    st->opened |= is_open;
    if (op->label[0])
        memcpy(r->label, op->label, sizeof r->label);
    else
        dsl_format_op(op, r->label, sizeof r->label);
    r->t_before_ns = p->ops->now_ns(p);
    int rc = exec_op(p, op, rewrite, st);
    r->t_after_ns = p->ops->now_ns(p);
    if (rc != 0) {
        snprintf(st->err, st->err_len, "step %d (%s): %s", index + 1, r->label, p->ops->error(p));
        return rc == PORT_LOST ? PORT_LOST : -1;
    }
    return 0;
}

int seq_run_ops(struct seq_state *st, const struct op_seq *seq, int rewrite)
{
    for (int i = 0; i < seq->n; i++) {
        int rc = seq_run_op(st, &seq->ops[i], st->next_index++, rewrite);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void seq_state_init(struct seq_state *st, struct port *p, const struct scenario *s, struct op_record *log,
                    size_t *n_log, char *err, size_t err_len)
{
    *st = (struct seq_state){.port = p, .log = log, .n_log = n_log, .err = err, .err_len = err_len,
                             .after_power_on = s->after_power_on};
    *n_log = 0;
}

int run_sequence(struct port *p, const struct scenario *s, enum host_os os, struct op_record *log,
                 size_t *n_log, char *err, size_t err_len)
{
    struct seq_state st;
    seq_state_init(&st, p, s, log, n_log, err, err_len);
    int rc = seq_run_ops(&st, &s->seq[os], s->rewrite_dtr_after_rts);
    if (rc != 0)
        return rc;
    /* a last wait cut short is no finished sequence either */
    return port_stop_asked(p) ? RUNNER_STOPPED : 0;
}
