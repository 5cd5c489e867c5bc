/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `compare --predict`: a real session's cells made again on the virtual
 * lab (run_predict.c), each real board by its model twin. */
#ifndef RESETLAB_RUN_RUN_PREDICT_H
#define RESETLAB_RUN_RUN_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "reports/compare.h"
#include "sim/lab.h"

/* The simulated board a real one is modelled by: the same chip, bridge,
 * circuit and parts, port `sim`, the virtual analyzer with the real one's
 * threshold, timing settings and sample rate (its config's samplerate).
 * 0, or -1 with one line in err. */
int run_model_twin(const struct board_profile *real, struct board_profile *out, char *err, size_t err_len);

/* The lab's host profile that models a real host column: `profile` when
 * given, else the column's name when the lab has such a host, else the
 * longest lab host whose name starts the column's and a '-'
 * (vm-usb-passthrough-kvm → vm-usb-passthrough). NULL when none. */
const struct host_profile *run_predict_host(const struct lab *lab, const char *column, const char *profile);

/* For each cell of `measured`, `iterations` runs of its board's model twin
 * on the host run_predict_host picks, seeded by `seed` as `resetlab run`
 * seeds them, into `model` (the measured cell's host name kept, so the two
 * sides pair up). 0, or -1 with one line in err (a board, scenario or host
 * profile the lab lacks, or out of memory). */
int run_predict(const struct lab *lab, const struct compare_side *measured, const char *profile, int iterations,
                uint64_t seed, struct compare_side *model, char *err, size_t err_len);

#endif
