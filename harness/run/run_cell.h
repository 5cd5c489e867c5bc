/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One cell of the matrix: a scenario's runs on one board and host, made
 * on the virtual lab (run_sim_once) or on a real board (run_real.c), each sent
 * to the cell's sink (runs.jsonl, the store, a capture file when kept).
 * May call: sim/, the port and capture rooms, run_real.c, run_recorder.c. */
#ifndef RESETLAB_RUN_RUN_CELL_H
#define RESETLAB_RUN_RUN_CELL_H

#include "reports/results.h"
#include "sim/lab.h"
#include "sim/world.h"
#include "harness/capture/capture_sigrok.h"
#include "run.h"

enum capture_keep { KEEP_NONE, KEEP_FAILING, KEEP_ALL };

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
void run_sim_once(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, uint64_t seed, struct run_buffers *rb);

/* One cell: `iterations` runs, seeded from `seed` and the names; each
 * goes to the sink's recorder. cell is initialised here; the caller frees
 * it with cell_free. Returns 0, -1 on an error (reason in sink->err, or
 * out of memory), 1 when the recorder's stop flag was set: after the run
 * in hand on the virtual lab; on a real board the run in hand is cut
 * short (run_real_once) and neither added to the cell nor recorded. */
int run_cell(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                const struct scenario *s, int iterations, uint64_t seed, struct cell_stats *cell,
                const struct cell_sink *sink);
/* The same from iteration `first` on, into a cell already initialised
 * (holding the runs before `first`, as --resume replays them). */
int run_cell_from(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, int first, int iterations, uint64_t seed, struct cell_stats *cell,
                     const struct cell_sink *sink);


/* Writes the last run in rb (made on w) as DIR/<name>.sr + .yaml. */
int run_write_capture(struct sigrok *sr, const struct sim_world *w, const struct board_profile *b,
                         const struct host_profile *h, const struct scenario *s, uint64_t run_seed, int iteration,
                         const struct run_buffers *rb, const char *path, char *err, size_t err_len);

#endif
