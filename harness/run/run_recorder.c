/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Each finished run to runs.jsonl, the store and the progress line.
 * May call: reports/ (the store, JSON lines), pthreads, libc. */
#include "run_recorder.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t progress_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int progress_wanted(void)
{
    const char *ci = getenv("CI");
    int in_ci = ci != NULL && ci[0] != '\0';
    if (in_ci && !isatty(STDOUT_FILENO))
        return PROGRESS_LOG;
    return isatty(STDERR_FILENO) && !in_ci ? PROGRESS_TERMINAL : 0;
}

void progress_start(struct progress *p, int64_t total, int64_t already_done, int enabled)
{
    *p = (struct progress){.enabled = enabled, .total = total, .done = already_done, .t_start_ns = progress_now_ns()};
    p->t_drawn_ns = p->t_start_ns;
    p->start_done = p->drawn_done = already_done;
}

static void draw(struct progress *p, int64_t t)
{
    double elapsed = (double)(t - p->t_start_ns) / 1e9;
    double rate = elapsed > 0 ? (double)(p->done - p->start_done) / elapsed : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    fprintf(stderr, "%s%lld/%lld runs (%.1f %%), %.0f runs/s, ETA %d:%02d%s",
            p->enabled == PROGRESS_LOG ? "resetlab: run: " : "\r", (long long)p->done, (long long)p->total,
            p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, rate, (int)(eta / 60), (int)eta % 60,
            p->enabled == PROGRESS_LOG ? "\n" : " ");
    fflush(stderr);
    p->t_drawn_ns = t;
    p->drawn_done = p->done;
}

void progress_add(struct progress *p, int64_t runs)
{
    p->done += runs;
    if (!p->enabled)
        return;
    int64_t t = progress_now_ns();
    if (p->enabled == PROGRESS_LOG ? t - p->t_drawn_ns >= PROGRESS_LOG_NS || 20 * (p->done - p->drawn_done) >= p->total
                                   : t - p->t_drawn_ns >= 100000000)
        draw(p, t);
}

void progress_end(struct progress *p)
{
    if (p->enabled == PROGRESS_TERMINAL)
        fputs("\r\033[K", stderr);
}

/* ---------------------------------------------------------- runs.jsonl --
 * Written in whole lines: stdio gets a buffer of RUNS_BUFFER bytes and is
 * flushed here once RUNS_FLUSH_AT bytes wait, at the end of a line, so it
 * never has to flush by itself in the middle of one. A write that fails
 * (a full disk) is cut back to the last whole line, and what was buffered
 * is dropped: runs.jsonl ends with a whole line whatever happens, but for a
 * kill inside the write(2) itself; --resume writes it again. */

#define RUNS_BUFFER (1 << 20)
#define RUNS_FLUSH_AT (RUNS_BUFFER / 2)
/* The longest line a run makes: names, figures, ANALYSIS_MAX_FINDINGS
 * findings and a tool's outcome, every character escaped as \u00XX (6
 * bytes). */
#define RUNS_LINE_MAX                                                                                              \
    (6 * (3 * 64 + ANALYSIS_MAX_FINDINGS * (int)sizeof(struct finding) + (int)sizeof(struct tool_outcome)) + 1024)
_Static_assert(RUNS_LINE_MAX < RUNS_BUFFER - RUNS_FLUSH_AT, "a line fits in the buffer after RUNS_FLUSH_AT bytes");

int recorder_runs_open(struct recorder *r, const char *path, char *err, size_t err_len)
{
    r->runs_path = path;
    r->runs_kept = 0;
    r->runs_failed = 0;
    r->runs_buf = malloc(RUNS_BUFFER);
    r->runs = r->runs_buf ? fopen(path, "w") : NULL;
    if (r->runs == NULL) {
        snprintf(err, err_len, "%s: %s", path, r->runs_buf ? strerror(errno) : "out of memory");
        free(r->runs_buf);
        r->runs_buf = NULL;
        return -1;
    }
    setvbuf(r->runs, r->runs_buf, _IOFBF, RUNS_BUFFER);
    return 0;
}

static int runs_failed(struct recorder *r, int e)
{
    if (!r->runs_failed) {
        __fpurge(r->runs);
        if (ftruncate(fileno(r->runs), r->runs_kept) != 0) {
            /* it stays cut; --resume writes it again */
        }
        snprintf(r->err, r->err_len, "%s: write failed (%s)", r->runs_path ? r->runs_path : "runs.jsonl",
                 strerror(e ? e : EIO));
    }
    r->runs_failed = 1;
    return -1;
}

static int flush_lines(struct recorder *r)
{
    if (r->runs_failed)
        return -1;
    size_t waiting = __fpending(r->runs);
    errno = 0;
    if (ferror(r->runs) || fflush(r->runs) != 0) /* a full disk, a file-size limit */
        return runs_failed(r, errno);
    r->runs_kept += (off_t)waiting;
    return 0;
}

int recorder_put_line(struct recorder *r, const struct run_record *rec)
{
    if (r->runs == NULL)
        return 0;
    if (r->runs_failed)
        return -1;
    write_run_json(r->runs, rec);
    return ferror(r->runs) || __fpending(r->runs) >= RUNS_FLUSH_AT ? flush_lines(r) : 0;
}

int recorder_runs_close(struct recorder *r, int durable)
{
    if (r->runs == NULL)
        return 0;
    int rc = flush_lines(r);
    if (rc == 0 && durable && fsync(fileno(r->runs)) != 0 && errno != EINVAL)
        rc = runs_failed(r, errno);
    if (fclose(r->runs) != 0 && rc == 0) {
        snprintf(r->err, r->err_len, "%s: write failed (%s)", r->runs_path, strerror(errno));
        rc = -1;
    }
    r->runs = NULL;
    free(r->runs_buf);
    r->runs_buf = NULL;
    return rc;
}

static int is_kept_cell(const struct recorder *r, const char *board, const char *host, const char *scenario)
{
    return strcmp(r->kept_cell[0], board) == 0 && strcmp(r->kept_cell[1], host) == 0 &&
           strcmp(r->kept_cell[2], scenario) == 0;
}

void recorder_resume_cell(struct recorder *r, const char *board, const char *host, const char *scenario, int kept)
{
    snprintf(r->kept_cell[0], sizeof r->kept_cell[0], "%s", board);
    snprintf(r->kept_cell[1], sizeof r->kept_cell[1], "%s", host);
    snprintf(r->kept_cell[2], sizeof r->kept_cell[2], "%s", scenario);
    r->kept = kept;
}

/* Whether run rec gets a row: runs come cell by cell, so the count starts
 * again at each new cell. */
static int keep_run(struct recorder *r, const struct run_record *rec, int durable)
{
    if (r->keep_runs < 0 || durable)
        return 1;
    if (!is_kept_cell(r, rec->board, rec->host, rec->scenario))
        recorder_resume_cell(r, rec->board, rec->host, rec->scenario, 0);
    if (rec->a->verdict == VERDICT_PASS || r->kept >= r->keep_runs)
        return 0;
    r->kept++;
    return 1;
}

/* The store's row (for the runs kept) and the progress line. */
static int store_run(struct recorder *r, const struct run_record *rec, int durable, char *err, size_t err_len)
{
    if (r->store && keep_run(r, rec, durable) && store_add_run(r->store, r->session, rec, durable, err, err_len) != 0)
        return -1;
    if (r->progress)
        progress_add(r->progress, 1);
    return 0;
}

/* ------------------------------------------------------ writer thread --
 * A simulated run takes a few microseconds and storing it about twice as
 * many (SQLite's inserts): on two cores the two overlap. A ring of copied
 * runs between one producer (the matrix, which also writes runs.jsonl) and
 * one writer keeps their order, so the outputs are those of recording
 * inline. */

#define QUEUE_SLOTS 512
/* The writer is woken once this many runs wait (a wake-up per run cost the
 * producer a futex call each), or at once for a durable run. */
#define QUEUE_WAKE 64

struct queued_run {
    struct stored_cell *cell; /* not NULL: a cell's row (recorder_add_cell), not a run */
    struct run_record rec; /* rec.a points at a below */
    int durable;
    struct analysis a;     /* what the writers read; resets[] is not copied */
};

struct recorder_queue {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint64_t head, tail; /* added, recorded: slot i % QUEUE_SLOTS */
    int closing, failed, producer_waits, writer_waits;
    char err[400];
    struct queued_run slot[QUEUE_SLOTS];
};

static void copy_analysis(struct analysis *to, const struct analysis *from)
{
    to->n_resets = from->n_resets;
    to->n_findings = from->n_findings;
    memcpy(to->findings, from->findings, (size_t)from->n_findings * sizeof from->findings[0]);
    to->observed = from->observed;
    to->outcome = from->outcome;
    to->verdict = from->verdict;
    to->sync = from->sync;
    to->margin_ms = from->margin_ms;
    to->gap_ms = from->gap_ms;
    to->en_release_ms = from->en_release_ms;
    to->tau_ms = from->tau_ms;
    to->en_fit_samples = from->en_fit_samples;
    to->tool = from->tool;
}

static void free_cell(struct stored_cell *sc)
{
    if (sc == NULL)
        return;
    free((float *)sc->margins);
    free((float *)sc->gaps);
    free(sc);
}

static int store_cell(struct recorder *r, const struct stored_cell *sc, int durable, char *err, size_t err_len)
{
    return r->store ? store_add_cell(r->store, r->session, sc, durable, err, err_len) : 0;
}

static void *writer_main(void *arg)
{
    struct recorder *r = arg;
    struct recorder_queue *q = r->queue;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->tail == q->head && !q->closing) {
            q->writer_waits = 1;
            pthread_cond_wait(&q->changed, &q->lock);
            q->writer_waits = 0;
        }
        if (q->tail == q->head)
            break;
        uint64_t from = q->tail, to = q->head;
        int failed = q->failed;
        pthread_mutex_unlock(&q->lock);
        /* runs [from, to) are the writer's until tail moves past them */
        for (uint64_t i = from; i < to; i++) {
            struct queued_run *s = &q->slot[i % QUEUE_SLOTS];
            if (!failed)
                failed = s->cell ? store_cell(r, s->cell, s->durable, q->err, sizeof q->err) != 0
                                 : store_run(r, &s->rec, s->durable, q->err, sizeof q->err) != 0;
            free_cell(s->cell);
            s->cell = NULL;
        }
        pthread_mutex_lock(&q->lock);
        q->failed = failed;
        q->tail = to;
        if (q->producer_waits)
            pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

void recorder_start(struct recorder *r)
{
    struct recorder_queue *q = calloc(1, sizeof *q);
    if (q == NULL)
        return;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    r->queue = q;
    /* signals stay with the main thread: its handlers ask for the stop */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&q->thread, NULL, writer_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        r->queue = NULL;
        pthread_cond_destroy(&q->changed);
        pthread_mutex_destroy(&q->lock);
        free(q);
    }
}

/* Under the lock: waits until fewer than `most` runs are queued. */
static void wait_below(struct recorder_queue *q, uint64_t most)
{
    while (q->head - q->tail >= most && !q->failed) {
        q->producer_waits = 1;
        pthread_cond_wait(&q->changed, &q->lock);
        q->producer_waits = 0;
    }
}

static int writer_failure(struct recorder *r)
{
    snprintf(r->err, r->err_len, "%s", r->queue->err);
    return -1;
}

/* A run (rec), or a cell's row (cell, which the writer frees). */
static int enqueue(struct recorder *r, const struct run_record *rec, struct stored_cell *cell, int durable)
{
    struct recorder_queue *q = r->queue;
    pthread_mutex_lock(&q->lock);
    wait_below(q, QUEUE_SLOTS);
    int failed = q->failed;
    uint64_t at = q->head;
    pthread_mutex_unlock(&q->lock);
    if (failed) {
        free_cell(cell);
        return writer_failure(r);
    }
    /* slot `at` is free: the writer reads only below head */
    struct queued_run *s = &q->slot[at % QUEUE_SLOTS];
    s->durable = durable;
    if (cell) {
        s->cell = cell;
    } else {
        s->cell = NULL;
        s->rec = *rec;
        s->rec.a = &s->a;
        copy_analysis(&s->a, rec->a);
    }
    pthread_mutex_lock(&q->lock);
    q->head = at + 1;
    if (q->writer_waits && (durable || q->head - q->tail >= QUEUE_WAKE))
        pthread_cond_signal(&q->changed);
    if (durable) /* committed before the caller goes on */
        wait_below(q, 1);
    failed = q->failed;
    pthread_mutex_unlock(&q->lock);
    return failed ? writer_failure(r) : 0;
}

int recorder_add(struct recorder *r, const struct run_record *rec, int durable)
{
    /* the store first: a run that cannot be stored is not in runs.jsonl either */
    int rc = r->queue ? enqueue(r, rec, NULL, durable) : store_run(r, rec, durable, r->err, r->err_len);
    if (rc != 0 || recorder_put_line(r, rec) != 0)
        return -1;
    return r->stop && *r->stop ? 1 : 0;
}

int recorder_add_cell(struct recorder *r, struct stored_cell *sc, int durable)
{
    if (r->queue)
        return enqueue(r, NULL, sc, durable);
    int rc = store_cell(r, sc, durable, r->err, r->err_len);
    free_cell(sc);
    return rc;
}

int recorder_finish(struct recorder *r)
{
    struct recorder_queue *q = r->queue;
    if (q == NULL)
        return 0;
    pthread_mutex_lock(&q->lock);
    q->closing = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    int failed = q->failed;
    if (failed)
        writer_failure(r);
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->lock);
    free(q);
    r->queue = NULL;
    return failed ? -1 : 0;
}
