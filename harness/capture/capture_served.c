/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Captures of a served board, from `resetlab serve`'s log (capture_served.h).
 * May call: capture_sigrok.h (to read the attempts' .sr files), harness/port (the monotonic
 * clock), libc. */
#define _POSIX_C_SOURCE 200809L
#include "capture_served.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/port/port_serial.h"

#define POLL_MS 10

long serve_log_mark(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/serve.jsonl", dir);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* "key": "value" or "key": number from one JSON line written by serve_log.c. */
static int json_field(const char *line, const char *key, char *out, size_t len)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *p = strstr(line, k);
    if (p == NULL)
        return -1;
    p += strlen(k);
    int quoted = *p == '"';
    p += quoted;
    size_t n = 0;
    while (p[n] && n + 1 < len && (quoted ? p[n] != '"' : (p[n] != ',' && p[n] != '}')))
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

#define MAX_PARTS 16

struct part {
    char capture[256];
    int64_t t0;
};

/* The attempts of client `peer` (NULL: any) after `mark`: how many, and 1 in *closed once the
 * one that ended its connection is among them. */
static int collect(const char *path, long mark, const char *peer, struct part *parts, int *closed)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    *closed = 0;
    if (f == NULL)
        return 0;
    static char line[1 << 17];
    char client[96], value[256];
    if (fseek(f, mark, SEEK_SET) == 0)
        while (!*closed && n < MAX_PARTS && fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "{\"attempt\": ", 12) != 0 || strchr(line, '\n') == NULL ||
                json_field(line, "client", client, sizeof client) != 0 || (peer != NULL && strcmp(client, peer) != 0))
                continue;
            if (json_field(line, "capture", parts[n].capture, sizeof parts[n].capture) != 0 ||
                json_field(line, "t0_monotonic_ns", value, sizeof value) != 0)
                continue;
            parts[n++].t0 = strtoll(value, NULL, 10);
            *closed = json_field(line, "closed", value, sizeof value) == 0 && strcmp(value, "true") == 0;
        }
    fclose(f);
    return n;
}

/* Appends `b` (its t = 0 at `offset` on a's clock) to `a`: edges that do
 * not change a channel's level are dropped, so the result stays a trace. */
static int append(struct trace *a, const struct trace *b, int64_t offset)
{
    struct edge *e = realloc(a->edges, (a->n + b->n + CH_COUNT) * sizeof *e);
    if (e == NULL)
        return -1;
    a->edges = e;
    a->cap = a->n + b->n + CH_COUNT;
    uint8_t level[CH_COUNT];
    for (int c = 0; c < CH_COUNT; c++)
        level[c] = (uint8_t)trace_level_at(a, (enum channel)c, a->t_end_ns);
    for (int c = 0; c < CH_COUNT; c++)
        if (level[c] != b->initial[c] && trace_push(a, offset, (enum channel)c, b->initial[c]) == 0)
            level[c] = b->initial[c];
    for (size_t i = 0; i < b->n; i++) {
        const struct edge *x = &b->edges[i];
        if (level[x->channel] != x->level && trace_push(a, offset + x->t_ns, (enum channel)x->channel, x->level) == 0)
            level[x->channel] = x->level;
    }
    a->t_end_ns = offset + b->t_end_ns;
    a->present |= b->present;
    a->en_v.n = 0; /* EN's samples do not join across the gap between attempts */
    return 0;
}

int serve_capture_fetch(struct sigrok *sr, const char *dir, long mark, const char *peer, int timeout_ms,
                        double threshold_v, struct trace *tr, int64_t *t0_monotonic_ns, char *why, size_t why_len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/serve.jsonl", dir);
    struct part parts[MAX_PARTS];
    int closed = 0, n = 0;
    /* Ours by our address; through a proxy (ser2net) the server names the
     * proxy instead, and then whoever's attempts came after the mark are
     * ours: one client owns the board at a time. */
    for (int waited = 0;; waited += POLL_MS) {
        n = collect(path, mark, peer, parts, &closed);
        if (n == 0)
            n = collect(path, mark, NULL, parts, &closed);
        if (n >= MAX_PARTS || closed)
            break;
        if (waited >= timeout_ms) {
            snprintf(why, why_len, "%s: %s within %d ms of the run (is `resetlab serve --out %s` serving this board?)",
                     path, n ? "the attempt that closed our connection was not logged" : "no attempt of ours logged",
                     timeout_ms, dir);
            return -1;
        }
        serial_sleep_until_ns(serial_now_ns() + (int64_t)POLL_MS * 1000000);
    }
    struct channel_map map = {0};
    struct sigrok_read_opts opts = {0, threshold_v, 0, 0};
    *tr = (struct trace){0};
    for (int i = 0; i < n; i++) {
        char sr_path[900];
        struct trace part;
        if (strcmp(parts[i].capture, "null") == 0) {
            snprintf(why, why_len, "%s: attempt %d of the run has no capture", path, i + 1);
            sigrok_trace_free(tr);
            return -1;
        }
        int k = snprintf(sr_path, sizeof sr_path, "%s/%s", dir, parts[i].capture);
        if (k < 0 || (size_t)k >= sizeof sr_path) {
            snprintf(why, why_len, "%s: the capture's path is too long", path);
            sigrok_trace_free(tr);
            return -1;
        }
        if (sigrok_read(sr, sr_path, &map, &opts, i == 0 ? tr : &part, why, why_len) != 0) {
            sigrok_trace_free(tr);
            return -1;
        }
        if (i > 0) {
            int rc = append(tr, &part, parts[i].t0 - parts[0].t0);
            sigrok_trace_free(&part);
            if (rc != 0) {
                snprintf(why, why_len, "out of memory");
                sigrok_trace_free(tr);
                return -1;
            }
        }
    }
    *t0_monotonic_ns = parts[0].t0;
    return 0;
}
