/* One run: a scenario's ops through a port, each logged with the port's
 * clock before and after the call (DESIGN.md §4). */
#ifndef RESETLAB_RUNNER_H
#define RESETLAB_RUNNER_H

#include "../analyzers/analyze.h"
#include "backend.h"

#define RUNNER_MAX_OPS 128

/* Runs `seq` on `p`. Fills `log` (RUNNER_MAX_OPS entries) and returns 0,
 * or -1 with the port's reason in `err` (an infrastructure error). */
int run_sequence(struct port *p, const struct scenario *s, enum host_os os, struct op_record *log,
                 size_t *n_log, char *err, size_t err_len);

#endif
