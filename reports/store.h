/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The results store (issue #5): one SQLite database per lab or run folder.
 * Sessions (one `resetlab run` each, with the facts of the host it ran on),
 * runs and their findings. Each run is its own transaction, committed when
 * the run finishes, in WAL mode: a crash or SIGKILL loses no finished run,
 * readers (report, compare) never block the writer, and `run --resume`
 * continues a session from what was committed.
 *
 * Seeds are 64-bit unsigned; SQLite's INTEGER is signed, so they are stored
 * as the same 64 bits (a seed above 2^63 reads back negative in sqlite3). */
#ifndef RESETLAB_STORE_H
#define RESETLAB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

struct store;

enum store_mode { STORE_READ, STORE_WRITE };

/* Opens (and for STORE_WRITE creates, with its schema) the database. NULL
 * with one line in err: not a resetlab database, a newer schema, I/O; for
 * STORE_WRITE also a read-only file, and a database PRAGMA quick_check
 * finds damaged (checked before anything is added to it). */
struct store *store_open(const char *path, enum store_mode mode, char *err, size_t err_len);
void store_close(struct store *st);

/* What a session records about where and how it ran. Strings may be "". */
struct session_facts {
    char started[32];          /* UTC, ISO 8601: 2026-11-23T14:30:00Z */
    char resetlab_version[64]; /* git describe at build time */
    char os[128];              /* PRETTY_NAME from /etc/os-release */
    char kernel[128];          /* uname -r */
    char virtualization[512];  /* none, wsl, kvm, vmware, virtualbox, hyper-v, ...; then
                                  "; BOARD: HOST-MODE (...)" per real board (resetlab run) */
    char hostname[64];
    char boards_file[256];
    char boards_sha256[65];
    uint64_t seed;
    int iterations;
    char options[4096];        /* the matrix options as given, one per line, for --resume */
};

struct session_row {
    int64_t id;
    char status[16]; /* running, complete, interrupted */
    char finished[32];
    int64_t runs;    /* committed */
    struct session_facts facts;
};

int store_session_begin(struct store *st, const struct session_facts *f, int64_t *id, char *err, size_t err_len);
/* status: "complete" or "interrupted"; sets the finish time (now). */
int store_session_end(struct store *st, int64_t id, const char *status, char *err, size_t err_len);
/* The same, with the finish time given (store_utc_now's form). */
int store_session_end_at(struct store *st, int64_t id, const char *status, const char *finished, char *err,
                         size_t err_len);
/* Now, UTC, ISO 8601, as the store records times: 2026-11-23T14:30:00Z. */
void store_utc_now(char *buf, size_t len);
/* The session with this id (id 0: the newest). 1 found, 0 none, -1 error. */
int store_session_get(struct store *st, int64_t id, struct session_row *out, char *err, size_t err_len);
/* Sessions, newest first, at most `max`; returns how many, or -1. */
int store_sessions(struct store *st, struct session_row *out, int max, char *err, size_t err_len);

/* Adds one finished run and its findings. `durable` (a real board's run):
 * committed and fsync'd before it returns. Otherwise (a simulated run) it
 * joins a transaction committed within 0.1 s, safe against a crash once
 * committed; a run not yet committed when the process dies is made again,
 * bit for bit, by --resume. */
int store_add_run(struct store *st, int64_t session, const struct run_record *rec, int durable, char *err,
                  size_t err_len);
/* Commits the runs added so far (store_session_end and store_close do). */
int store_flush(struct store *st, char *err, size_t err_len);

/* A cell as the store keeps it (schema 3): closed figures (counts,
 * spreads, findings by kind, diagnoses, the typical and worst run) and the
 * strap margins and DTR/RTS gaps of its runs as 32-bit floats. idx: its
 * place in the session's order. */
struct stored_cell {
    int idx;
    struct cell_stats c; /* closed; its names valid during a callback */
    const float *margins, *gaps;
    int n_margins, n_gaps;
};

/* Adds a cell whose runs are all made (replacing one of the same session
 * and names), in the writer's transaction as store_add_run. */
int store_add_cell(struct store *st, int64_t session, const struct stored_cell *sc, int durable, char *err,
                   size_t err_len);

/* Calls `each` for the cells of a session (board, host, scenario: NULL =
 * any) in the session's order, each closed; stops early when it returns
 * non-zero (which is returned). A session with cell rows is read from
 * them (a cell still being made when the session stopped has none, and is
 * left out); one from before (schema 2) by counting its runs into cells;
 * rows_only: none then. -1 on a database error. */
int store_each_stored_cell(struct store *st, int64_t session, const char *board, const char *host,
                           const char *scenario, int rows_only, int (*each)(const struct stored_cell *sc, void *ctx),
                           void *ctx, char *err, size_t err_len);

/* Takes out a cell's runs from iteration `from_iteration` on, with their
 * findings and tool outcomes (--resume makes them again). 0 or -1. */
int store_forget_runs(struct store *st, int64_t session, const char *board, const char *host, const char *scenario,
                      int from_iteration, char *err, size_t err_len);

/* One stored run, as cell_add and write_run_json need it: verdict,
 * outcome, figures and findings (resets and op timings are not kept). */
struct stored_run {
    const char *board, *host, *scenario; /* valid during the callback */
    int iteration;
    uint64_t seed;
    enum boot_mode expected;
    struct analysis a;
    struct run_record rec; /* the above, as write_run_json takes it */
};

/* Calls `each` for the runs of a session (board, host, scenario: NULL =
 * any) in the order they were added; stops early when it returns non-zero
 * (which is returned). -1 on a database error. */
int store_each_run(struct store *st, int64_t session, const char *board, const char *host, const char *scenario,
                   int (*each)(const struct stored_run *r, void *ctx), void *ctx, char *err, size_t err_len);

/* How many cells (board × host × scenario) the runs of a session fill:
 * 0, or -1 on a database error. */
int store_count_cells(struct store *st, int64_t session, int *n, char *err, size_t err_len);

/* Calls `each` for the cells of a session (board, host, scenario, valid
 * during the call) in the order their first runs were added; stops early
 * when it returns non-zero (which is returned). -1 on a database error. */
int store_each_cell(struct store *st, int64_t session,
                    int (*each)(const char *board, const char *host, const char *scenario, void *ctx), void *ctx,
                    char *err, size_t err_len);


#endif
