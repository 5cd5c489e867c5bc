/* `resetlab run`: boards × hosts × scenarios × iterations on the lab. */
#ifndef RESETLAB_MATRIX_H
#define RESETLAB_MATRIX_H

#include <stdint.h>
#include <stdio.h>

#include "../sim/lab.h"

#define MATRIX_MAX_PICKS 64

struct matrix_opts {
    const char *out_dir;
    const char *boards[MATRIX_MAX_PICKS], *hosts[MATRIX_MAX_PICKS], *scenarios[MATRIX_MAX_PICKS];
    int n_boards, n_hosts, n_scenarios; /* 0: all */
    int iterations;
    uint64_t seed;
};

/* Returns 0 when every cell met its expectation, 1 when some did not, 2 for
 * bad input or an output error (reason in `err`). The table goes to `out`. */
int matrix_run(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len);

/* The seed of one run: from the names, so adding a board changes no other run. */
uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration);

#endif
