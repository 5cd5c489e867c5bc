/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One run: a scenario's ops through a port, each logged with the port's
 * clock before and after the call (CONTRIBUTING.md#data-flow). */
#ifndef RESETLAB_RUN_RUN_SEQUENCE_H
#define RESETLAB_RUN_RUN_SEQUENCE_H

#include "analyzers/analyze.h"
#include "harness/port/port.h"

/* Ops in one run's log: a tool's 14 attempts of a strategy and 16 SYNC
 * tries fit (the tool loader checks its own bound against this). */
#define RUNNER_MAX_OPS 1024

/* run_sequence's answer when p->stop was set: the sequence did not end. */
#define RUNNER_STOPPED 1

/* Runs `seq` on `p`. Fills `log` (RUNNER_MAX_OPS entries) and returns 0,
 * -1 with the port's reason in `err` (an infrastructure error), PORT_LOST
 * (err: the step and the OS's words) when the port left the bus, or
 * RUNNER_STOPPED when a stop was asked for (p->stop) before a step or
 * during one (a wait cut short): the steps made so far are in `log`. */
int run_sequence(struct port *p, const struct scenario *s, enum host_os os, struct op_record *log,
                 size_t *n_log, char *err, size_t err_len);

/* The same, a step at a time, for a runner that decides its next steps
 * as it goes (a tool's connect loop, run_tool.c). */
struct seq_state {
    struct port *port;
    struct op_record *log;
    size_t *n_log;
    char *err;
    size_t err_len;
    int after_power_on, opened;
    int dtr;        /* what the tool believes DTR is (pyserial's port.dtr): _setRTS writes it back */
    int next_index; /* the next op's position in the run, for the log */
    uint8_t sync_req[64]; /* esptool's SYNC request, SLIP-framed (made at the first S) */
    size_t sync_len;
};
void seq_state_init(struct seq_state *st, struct port *p, const struct scenario *s, struct op_record *log,
                    size_t *n_log, char *err, size_t err_len);
/* One op, logged; 0, -1 (err), RUNNER_STOPPED before it ran, or PORT_LOST
 * (err says how the OS failed it) when a USB-OTG port left the bus. */
int seq_run_op(struct seq_state *st, const struct op *op, int index, int rewrite);
/* Every op of `seq`, numbered on from st->next_index. */
int seq_run_ops(struct seq_state *st, const struct op_seq *seq, int rewrite);

#endif
