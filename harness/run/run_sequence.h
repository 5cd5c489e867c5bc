/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One run: a scenario's ops through a port, each logged with the port's
 * clock before and after the call (CONTRIBUTING.md#data-flow). */
#ifndef RESETLAB_RUN_RUN_SEQUENCE_H
#define RESETLAB_RUN_RUN_SEQUENCE_H

#include "analyzers/analyze.h"
#include "harness/port/port.h"

#define RUNNER_MAX_OPS 128

/* run_sequence's answer when p->stop was set: the sequence did not end. */
#define RUNNER_STOPPED 1

/* Runs `seq` on `p`. Fills `log` (RUNNER_MAX_OPS entries) and returns 0,
 * -1 with the port's reason in `err` (an infrastructure error), or
 * RUNNER_STOPPED when a stop was asked for (p->stop) before a step or
 * during one (a wait cut short): the steps made so far are in `log`. */
int run_sequence(struct port *p, const struct scenario *s, enum host_os os, struct op_record *log,
                 size_t *n_log, char *err, size_t err_len);

#endif
