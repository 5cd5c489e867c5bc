/* `resetlab run`: boards × hosts × scenarios × iterations on the lab. */
#ifndef RESETLAB_MATRIX_H
#define RESETLAB_MATRIX_H

#include <stdint.h>
#include <stdio.h>

#include "../reports/results.h"
#include "../sim/lab.h"
#include "../sim/world.h"
#include "runner.h"
#include "sigrok.h"

#define MATRIX_MAX_PICKS 64

enum capture_keep { KEEP_NONE, KEEP_FAILING, KEEP_ALL };

struct matrix_opts {
    const char *out_dir;
    const char *boards[MATRIX_MAX_PICKS], *hosts[MATRIX_MAX_PICKS], *scenarios[MATRIX_MAX_PICKS];
    int n_boards, n_hosts, n_scenarios; /* 0: all */
    int iterations;
    uint64_t seed;
    enum capture_keep keep_captures; /* --captures failing|all */
};

/* Returns 0 when every cell met its expectation, 1 when some did not, 2 for
 * bad input or an output error (reason in `err`). The table goes to `out`. */
int matrix_run(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len);

#define MATRIX_MAX_EDGES 4096
#define MATRIX_MAX_UART 4096
#define MATRIX_MAX_ANALOG 262144 /* analog EN samples: 2.6 s at 100 kHz */

/* Storage for one run: the analyzer's edges, the UART bytes, the op log. */
struct run_buffers {
    struct edge edges[MATRIX_MAX_EDGES];
    float en_v[MATRIX_MAX_ANALOG];
    uint8_t uart[MATRIX_MAX_UART];
    size_t uart_len;
    struct op_record log[RUNNER_MAX_OPS];
    size_t n_log;
    struct trace tr; /* the last run's trace, over `edges` and `en_v` */
    struct analysis a;
};

/* Where a cell's runs go: runs.jsonl and, per run kept, a sigrok session
 * (DIR/board--host--scenario--N.sr) with its op log beside it (.yaml). */
struct cell_sink {
    FILE *runs;
    enum capture_keep keep;
    const char *captures_dir;
    struct sigrok *sigrok;
    const struct serial_sys *serial; /* real boards' ports; NULL: the OS's */
    char *err; /* a failed capture write stops the matrix with this */
    size_t err_len;
};

/* One run of scenario s on board b and host h; the analysis lands in rb->a
 * (verdict error with an "infrastructure" finding when the run could not
 * be made). */
void matrix_run_once(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, uint64_t seed, struct run_buffers *rb);

/* One cell: `iterations` runs, seeded from `seed` and the names. `runs`, if
 * not NULL, gets one JSON line per run. cell is initialised here; the
 * caller frees it with cell_free. Returns -1 when out of memory. */
int matrix_cell(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                const struct scenario *s, int iterations, uint64_t seed, struct cell_stats *cell,
                const struct cell_sink *sink);

/* A run that could not be made: verdict error, the reason as its finding. */
void matrix_infrastructure_error(struct analysis *a, const char *why);

/* Writes the last run in rb (made on w) as DIR/<name>.sr + .yaml. */
int matrix_write_capture(struct sigrok *sr, const struct sim_world *w, const struct board_profile *b,
                         const struct host_profile *h, const struct scenario *s, uint64_t run_seed, int iteration,
                         const struct run_buffers *rb, const char *path, char *err, size_t err_len);

/* The seed of one run: from the names, so adding a board changes no other run. */
uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration);

#endif
