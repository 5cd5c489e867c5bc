/* `resetlab run`: boards × hosts × scenarios × iterations on the lab. */
#ifndef RESETLAB_MATRIX_H
#define RESETLAB_MATRIX_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "../reports/results.h"
#include "../reports/store.h"
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
    const char *db_path;             /* the results store; NULL: OUT/results.db */
    const struct session_facts *facts; /* the new session's facts (resume_session 0) */
    int64_t resume_session;          /* continue this session of the store; 0: a new one */
    int progress;                    /* draw the progress line on stderr */
    volatile sig_atomic_t *stop;     /* set by SIGINT/SIGTERM: a simulated run in hand finishes; a real
                                        one stops at its next step and is not recorded */
};

#define MATRIX_INTERRUPTED 3

/* Returns 0 when every cell met its expectation, 1 when some did not, 2 for
 * bad input or an output error (reason in `err`), MATRIX_INTERRUPTED when
 * *o->stop was set (every finished run is in the store; `run --resume`
 * goes on). The table goes to `out`. */
int matrix_run(const struct lab *lab, const struct matrix_opts *o, FILE *out, char *err, size_t err_len);

/* mkdir -p; -1 with one line in err. */
int matrix_mkdir_p(const char *dir, char *err, size_t len);

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
struct recorder;
struct cell_sink {
    struct recorder *recorder; /* each finished run's line and row; NULL: none */
    enum capture_keep keep;
    const char *captures_dir;
    struct sigrok *sigrok;
    const struct serial_sys *serial; /* real boards' ports; NULL: the OS's */
    struct run_buffers *rb; /* where the runs are made (1 MB and more): one for
                               every cell of a matrix; NULL: each cell its own */
    char *err; /* a failed capture write stops the matrix with this */
    size_t err_len;
};

/* One run of scenario s on board b and host h; the analysis lands in rb->a
 * (verdict error with an "infrastructure" finding when the run could not
 * be made). */
void matrix_run_once(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, uint64_t seed, struct run_buffers *rb);

/* One cell: `iterations` runs, seeded from `seed` and the names; each
 * goes to the sink's recorder. cell is initialised here; the caller frees
 * it with cell_free. Returns 0, -1 on an error (reason in sink->err, or
 * out of memory), 1 when the recorder's stop flag was set: after the run
 * in hand on the virtual lab; on a real board the run in hand is cut
 * short (real_run_once) and neither added to the cell nor recorded. */
int matrix_cell(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                const struct scenario *s, int iterations, uint64_t seed, struct cell_stats *cell,
                const struct cell_sink *sink);
/* The same from iteration `first` on, into a cell already initialised
 * (holding the runs before `first`, as --resume replays them). */
int matrix_cell_from(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, int first, int iterations, uint64_t seed, struct cell_stats *cell,
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
