/* Each finished run to runs.jsonl, the store and the progress line. */
#include "recorder.h"

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
    return isatty(STDERR_FILENO) && (ci == NULL || ci[0] == '\0');
}

void progress_start(struct progress *p, int64_t total, int64_t already_done, int enabled)
{
    *p = (struct progress){.enabled = enabled, .total = total, .done = already_done, .t_start_ns = progress_now_ns()};
    p->t_drawn_ns = p->t_start_ns;
    p->start_done = already_done;
}

static void draw(struct progress *p, int64_t t)
{
    double elapsed = (double)(t - p->t_start_ns) / 1e9;
    double rate = elapsed > 0 ? (double)(p->done - p->start_done) / elapsed : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    fprintf(stderr, "\r%lld/%lld runs (%.1f %%), %.0f runs/s, ETA %d:%02d ", (long long)p->done,
            (long long)p->total, p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, rate,
            (int)(eta / 60), (int)eta % 60);
    fflush(stderr);
    p->t_drawn_ns = t;
}

void progress_add(struct progress *p, int64_t runs)
{
    p->done += runs;
    if (!p->enabled)
        return;
    int64_t t = progress_now_ns();
    if (t - p->t_drawn_ns >= 100000000)
        draw(p, t);
}

void progress_end(struct progress *p)
{
    if (p->enabled)
        fputs("\r\033[K", stderr);
}

int recorder_add(struct recorder *r, const struct run_record *rec, int durable)
{
    if (r->store && store_add_run(r->store, r->session, rec, durable, r->err, r->err_len) != 0)
        return -1;
    if (r->runs) {
        write_run_json(r->runs, rec);
        if (ferror(r->runs)) {
            snprintf(r->err, r->err_len, "runs.jsonl: write failed");
            return -1;
        }
    }
    if (r->progress)
        progress_add(r->progress, 1);
    return r->stop && *r->stop ? 1 : 0;
}
