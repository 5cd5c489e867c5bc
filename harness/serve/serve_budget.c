/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a client may cost the server's disk (serve_budget.h): whole lines
 * or none, token buckets for the events, and the captures rotated out.
 * May call: harness/capture (a capture and its PulseView setup removed), libc. */
#include "serve_budget.h"

#include "harness/capture/capture_sigrok.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- serve.jsonl ----------------------------------------------------------- */

int serve_budget_file_open(struct serve_budget_file *f, const char *path, char *err, size_t err_len)
{
    *f = (struct serve_budget_file){.fd = -1};
    snprintf(f->path, sizeof f->path, "%s", path);
    f->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        serve_budget_file_close(f);
        return -1;
    }
    f->size = st.st_size;
    return 0;
}

int serve_budget_file_put(struct serve_budget_file *f, const char *line, size_t n, char *err, size_t err_len)
{
    if (f->stopped || f->fd < 0)
        return 0;
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(f->fd, line + done, n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            /* what went out of the line is taken back: the file ends on
             * its last whole line */
            int cut = ftruncate(f->fd, f->size);
            f->stopped = 1;
            snprintf(err, err_len, "%s: write failed (%s)%s: logging stopped; still serving", f->path, strerror(e),
                     cut != 0 ? ", and the part written could not be cut back" : "");
            return -1;
        }
        done += (size_t)k;
    }
    f->size += (off_t)n;
    return 0;
}

void serve_budget_file_close(struct serve_budget_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* ---- event rates ----------------------------------------------------------- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void serve_budget_rate_init(struct serve_budget_rate *r, int burst, int refill_s, const char *what)
{
    *r = (struct serve_budget_rate){.burst = burst, .refill_s = refill_s, .what = what};
}

static void refill(struct serve_budget_rate *r, int64_t now)
{
    if (!r->primed) {
        r->primed = 1;
        r->tokens = r->burst;
        r->last_ns = r->said_ns = now;
        return;
    }
    r->tokens += (double)(now - r->last_ns) / ((double)r->refill_s * 1e9);
    if (r->tokens > r->burst)
        r->tokens = r->burst;
    r->last_ns = now;
}

int serve_budget_rate_take(struct serve_budget_rate *r)
{
    refill(r, mono_ns());
    if (r->tokens >= 1) {
        r->tokens -= 1;
        return 1;
    }
    r->suppressed++;
    return 0;
}

long serve_budget_rate_due(struct serve_budget_rate *r, int now)
{
    if (r->suppressed == 0)
        return 0;
    int64_t t = mono_ns();
    if (!now && t - r->said_ns < (int64_t)SERVE_SUPPRESSED_EVERY_S * 1000000000LL)
        return 0;
    long n = r->suppressed;
    r->suppressed = 0;
    r->said_ns = t;
    return n;
}

/* ---- captures kept --------------------------------------------------------- */

void serve_budget_captures_init(struct serve_budget_captures *c, const char *dir, int keep, int64_t max_bytes)
{
    *c = (struct serve_budget_captures){0};
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->keep = keep > 0 ? keep : SERVE_KEEP_CAPTURES;
    c->max_bytes = max_bytes > 0 ? max_bytes : (int64_t)SERVE_CAPTURES_MB << 20;
}

static void capture_path(const struct serve_budget_captures *c, int attempt, char *out, size_t len)
{
    int k = snprintf(out, len, "%s/", c->dir);
    if (k >= 0 && (size_t)k < len)
        snprintf(out + k, len - (size_t)k, SERVE_CAPTURE_NAME, attempt);
}

/* Room for one more in the ring, which grows to keep entries and never
 * past; 0 when it could not grow (then it holds what it can). */
static int ring_grow(struct serve_budget_captures *c)
{
    if (c->len < c->cap)
        return 1;
    size_t cap = c->cap ? c->cap * 2 : 64;
    if (cap > (size_t)c->keep)
        cap = (size_t)c->keep;
    struct kept *r = cap > c->cap ? malloc(cap * sizeof *r) : NULL;
    if (r == NULL)
        return 0;
    for (size_t i = 0; i < c->len; i++)
        r[i] = c->ring[(c->head + i) % c->cap];
    free(c->ring);
    c->ring = r;
    c->cap = cap;
    c->head = 0;
    return 1;
}

static struct kept ring_pop(struct serve_budget_captures *c)
{
    struct kept k = c->ring[c->head];
    c->head = (c->head + 1) % c->cap;
    c->len--;
    c->bytes -= k.bytes;
    return k;
}

static void note_rotated(int attempt, int *rotated, int max, int *n)
{
    if (*n < max)
        rotated[*n] = attempt;
    (*n)++;
}

int serve_budget_captures_add(struct serve_budget_captures *c, int attempt, int *rotated, int max)
{
    char path[700];
    capture_path(c, attempt, path, sizeof path);
    struct stat st;
    struct kept k = {attempt, stat(path, &st) == 0 ? (int64_t)st.st_size : 0};
    int n = 0, grown = ring_grow(c);
    /* the oldest go first, so the newest fits */
    while (c->len > 0 && (c->len >= (size_t)c->keep || !grown || c->bytes + k.bytes > c->max_bytes)) {
        struct kept old = ring_pop(c);
        capture_path(c, old.attempt, path, sizeof path);
        sigrok_remove_session(path); /* and its PulseView setup */
        note_rotated(old.attempt, rotated, max, &n);
        grown = 1;
    }
    if (c->cap == 0) { /* no ring at all (out of memory): nothing can be kept */
        capture_path(c, attempt, path, sizeof path);
        sigrok_remove_session(path); /* and its PulseView setup */
        note_rotated(attempt, rotated, max, &n);
        return n;
    }
    c->ring[(c->head + c->len++) % c->cap] = k;
    c->bytes += k.bytes;
    return n;
}

void serve_budget_captures_free(struct serve_budget_captures *c)
{
    free(c->ring);
    c->ring = NULL;
    c->len = c->cap = 0;
}
