/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A capture's sidecar (FILE.sr → FILE.yaml): what resetlab knew when it
 * recorded the run — board, host, scenario, seed, expectation and the op
 * log with its timestamps — so that `resetlab analyze FILE.sr` judges the
 * capture exactly as the run did. YAML, read with the lab's own loader. */
#ifndef RESETLAB_RUN_RUN_META_H
#define RESETLAB_RUN_RUN_META_H

#include <stddef.h>
#include <stdint.h>

#include "run_sequence.h"

struct run_meta {
    char board[48], host[48], scenario[64];
    uint64_t seed;
    int iteration;
    enum boot_mode expected;
    struct op_record ops[RUNNER_MAX_OPS];
    size_t n_ops;
};

int run_meta_write(const char *path, const struct run_meta *m, char *err, size_t err_len);

/* The largest op log read: 512 bytes an op, 3.5 times the longest line
 * resetlab writes (145 bytes), so 512 KiB for RUNNER_MAX_OPS (1024) ops,
 * and memory stays bounded by it before the op count is checked. */
#define RUN_META_MAX_BYTES (RUNNER_MAX_OPS * 512)

/* Returns 0, or -1 with one line `file:line: key: reason` in err (more
 * than RUN_META_MAX_BYTES, or than RUNNER_MAX_OPS ops, among them). */
int run_meta_read(const char *path, struct run_meta *m, char *err, size_t err_len);

/* FILE.sr → FILE.yaml (any extension is replaced). */
void run_meta_path(const char *capture, char *out, size_t len);

#endif
