/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The served board's attempt log (serve_log.h). Each JSON line is made in
 * memory and written whole (serve_budget.h), events within their rates.
 * May call: analyzers/ (the attempt's analysis), reports/ (JSON),
 * harness/capture (the sigrok session), harness/run (run storage, folders,
 * the infrastructure error), serve_budget.c, libc. */
#include "serve_log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/results.h"
#include "harness/capture/capture_sigrok.h"

struct serve_log {
    struct serve_budget_file jsonl;
    FILE *human;
    struct sigrok *sr;
    char dir[512];
    int count;
    struct serve_budget_rate events; /* every event line of the server */
    struct serve_budget_captures captures;
    uint8_t uart[SERVE_EPOCH_UART_MAX]; /* an epoch's UART bytes, as the analysis reads them */
};

/* ---- the attempt --------------------------------------------------------- */

int attempt_init(struct attempt *a, const struct board_profile *b, const struct host_profile *h)
{
    memset(a, 0, sizeof *a);
    a->board = b;
    a->host = h;
    a->rb = calloc(1, sizeof *a->rb);
    if (a->rb == NULL)
        return -1;
    a->rb->tr = (struct trace){.edges = a->rb->edges, .cap = RUN_MAX_EDGES};
    a->rb->tr.en_v = (struct analog){.v = a->rb->en_v, .cap = RUN_MAX_ANALOG};
    return 0;
}

void attempt_clear(struct attempt *a)
{
    a->n_ops = 0;
    a->n_absorbed = 0;
    a->replays = a->frames = a->malformed = a->wants_download = a->wants_reset = a->n_line_ops = a->closed = 0;
    a->talked = a->usb_flag_at_start = 0;
    a->last_frame_v = -1;
    a->uart_sent = 0;
    a->peer[0] = a->note[0] = '\0';
    a->connected_mono_ns = 0;
    a->started = (struct timespec){0};
}

void attempt_free(struct attempt *a)
{
    free(a->rb);
    a->rb = NULL;
}

int attempt_full(const struct attempt *a)
{
    return a->n_ops + 16 > RUNNER_MAX_OPS || a->n_absorbed >= ATTEMPT_MAX_ABSORBED;
}

static void mark_start(struct attempt *a)
{
    if (a->started.tv_sec == 0)
        clock_gettime(CLOCK_REALTIME, &a->started);
}

void attempt_add_op(struct attempt *a, const char *label, int64_t arrived, int64_t before, int64_t after,
                    int is_port_op)
{
    mark_start(a);
    if (a->n_ops >= RUNNER_MAX_OPS)
        return;
    struct op_record *r = &a->rb->log[a->n_ops];
    *r = (struct op_record){.t_before_ns = before, .t_after_ns = after, .index = (int)a->n_ops,
                            .is_port_op = is_port_op};
    snprintf(r->label, sizeof r->label, "%s", label);
    a->arrived[a->n_ops++] = arrived;
    a->n_line_ops += strcmp(label, "S") != 0;
}

void attempt_add_absorbed(struct attempt *a, const char *label, int64_t t, int trigger)
{
    mark_start(a);
    if (a->n_absorbed >= ATTEMPT_MAX_ABSORBED)
        return;
    snprintf(a->absorbed[a->n_absorbed].label, sizeof a->absorbed[0].label, "%s", label);
    a->absorbed[a->n_absorbed].t_ns = t;
    a->absorbed[a->n_absorbed++].trigger = trigger;
}

/* ---- the log ------------------------------------------------------------- */

static void iso_time(const struct timespec *ts, char *out, size_t len)
{
    struct tm tm;
    time_t t = ts->tv_sec;
    gmtime_r(&t, &tm);
    size_t k = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, len - k, ".%03ldZ", ts->tv_nsec / 1000000);
}

/* A line in the making: JSON is written to memory, then to the file whole. */
struct line {
    char *text;
    size_t len;
    FILE *f;
};

static FILE *line_begin(struct line *ln)
{
    *ln = (struct line){0};
    ln->f = open_memstream(&ln->text, &ln->len);
    return ln->f;
}

/* Writes the line; the first failure says on the human stream that
 * logging stopped (the server goes on). */
static void line_end(struct serve_log *l, struct line *ln)
{
    if (ln->f == NULL)
        return;
    char err[800];
    if (fclose(ln->f) == 0 && serve_budget_file_put(&l->jsonl, ln->text, ln->len, err, sizeof err) != 0 &&
        l->human != NULL)
        fprintf(l->human, "resetlab: serve: %s\n", err), fflush(l->human);
    free(ln->text);
}

struct serve_log *serve_log_open(const struct serve_opts *o, const char *address, char *err, size_t err_len)
{
    struct serve_log *l = calloc(1, sizeof *l);
    if (l == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    snprintf(l->dir, sizeof l->dir, "%s", o->out_dir);
    char path[600];
    snprintf(path, sizeof path, "%s/captures", o->out_dir);
    if (run_mkdir_p(path, err, err_len) != 0) {
        free(l);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/serve.jsonl", o->out_dir);
    if (serve_budget_file_open(&l->jsonl, path, err, err_len) != 0) {
        free(l);
        return NULL;
    }
    l->sr = sigrok_new(err, err_len);
    if (l->sr == NULL) {
        serve_budget_file_close(&l->jsonl);
        free(l);
        return NULL;
    }
    l->human = o->human;
    serve_budget_rate_init(&l->events, SERVE_EVENTS_BURST, SERVE_EVENTS_REFILL_S, "events");
    serve_budget_captures_init(&l->captures, o->out_dir, o->keep_captures, o->captures_max_bytes);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char when[40];
    iso_time(&now, when, sizeof when);
    struct line ln;
    FILE *f = line_begin(&ln);
    if (f == NULL)
        return l;
    fprintf(f, "{\"event\": \"started\", \"time\": \"%s\", \"address\": ", when);
    json_str(f, address);
    fputs(", \"board\": ", f);
    json_str(f, o->board->name);
    fputs(", \"host\": ", f);
    json_str(f, o->host->name);
    fputs(", \"reset_replay\": ", f);
    if (o->replay != NULL)
        json_str(f, o->replay->name);
    else
        fputs("null", f);
    fprintf(f, ", \"seed\": %llu}\n", (unsigned long long)o->seed);
    line_end(l, &ln);
    return l;
}

/* An event line as it is, and its human line. */
static void put_event(struct serve_log *l, const char *what, const char *peer, long suppressed, const char *of)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char when[40];
    iso_time(&now, when, sizeof when);
    struct line ln;
    FILE *f = line_begin(&ln);
    if (f == NULL)
        return;
    fputs("{\"event\": ", f);
    json_str(f, what);
    if (suppressed > 0) {
        fprintf(f, ", \"count\": %ld, \"of\": ", suppressed);
        json_str(f, of);
    }
    fprintf(f, ", \"time\": \"%s\", \"client\": ", when);
    if (peer != NULL)
        json_str(f, peer);
    else
        fputs("null", f);
    fputs("}\n", f);
    line_end(l, &ln);
    if (l->human == NULL)
        return;
    if (suppressed > 0)
        fprintf(l->human, "%s: %ld %s suppressed\n", peer ? peer : "server", suppressed, of);
    else
        fprintf(l->human, "%s: %s\n", peer, what);
    fflush(l->human);
}

/* An event line within the server's rate; a line held back counts the
 * events it stood for, said later by serve_log_tick. */
static void put_limited(struct serve_log *l, const char *what, const char *peer, long suppressed, const char *of)
{
    if (!serve_budget_rate_take(&l->events)) {
        l->events.suppressed += suppressed > 0 ? suppressed - 1 : 0;
        return;
    }
    long n = serve_budget_rate_due(&l->events, 1);
    if (n > 0)
        put_event(l, "suppressed", NULL, n, l->events.what);
    put_event(l, what, peer, suppressed, of);
}

void serve_log_event(struct serve_log *l, struct serve_budget_rate *conn, const char *what, const char *peer)
{
    if (conn != NULL && !serve_budget_rate_take(conn)) {
        long n = serve_budget_rate_due(conn, 0);
        if (n > 0)
            put_limited(l, "suppressed", peer, n, conn->what);
        return;
    }
    long n = conn != NULL ? serve_budget_rate_due(conn, 1) : 0;
    if (n > 0)
        put_limited(l, "suppressed", peer, n, conn->what);
    put_limited(l, what, peer, 0, NULL);
}

void serve_log_conn_end(struct serve_log *l, struct serve_budget_rate *conn, const char *peer)
{
    long n = serve_budget_rate_due(conn, 1);
    if (n > 0)
        put_limited(l, "suppressed", peer, n, conn->what);
}

void serve_log_tick(struct serve_log *l)
{
    long n = serve_budget_rate_due(&l->events, 0);
    if (n > 0)
        put_event(l, "suppressed", NULL, n, l->events.what);
}

int serve_log_count(const struct serve_log *l)
{
    return l->count;
}

/* The deciding reset's gap, split: how long the host waited for the
 * client's next command, and how long the bridge took to apply it. */
struct gap_split {
    int known;
    double gap_ms, waiting_ms, bridge_ms;
    int first, second; /* ops */
};

static int is_probe(const struct op_record *r)
{
    return strcmp(r->label, "S") == 0;
}

/* The releasing transition is the op that released EN and the next line
 * op, the one the analyzer's gap ends at; split only when the ops agree
 * with the analyzer's gap (within a few samples). */
static struct gap_split split_gap(const struct attempt *a, const struct analysis *an)
{
    struct gap_split g = {0};
    if (an->n_resets == 0 || !isfinite(an->gap_ms) || an->gap_ms <= 0)
        return g;
    const struct reset_event *r = &an->resets[an->n_resets - 1];
    const struct op_record *ops = a->rb->log;
    int first = -1, second = -1;
    for (size_t i = 0; i < a->n_ops; i++)
        if (ops[i].t_after_ns <= r->release_ns && !is_probe(&ops[i]))
            first = (int)i;
    for (int i = first + 1; first >= 0 && i < (int)a->n_ops && second < 0; i++)
        if (!is_probe(&ops[i]))
            second = i;
    if (first < 0 || second < 0)
        return g;
    double gap = (double)(ops[second].t_after_ns - ops[first].t_after_ns) / 1e6;
    double slack_ms = 0.05 + 3e3 / a->board->analyzer.sample_rate_hz;
    if (fabs(gap - an->gap_ms) > slack_ms)
        return g;
    g.known = 1;
    g.first = first;
    g.second = second;
    g.gap_ms = gap;
    g.waiting_ms = (double)(ops[second].t_before_ns - ops[first].t_after_ns) / 1e6;
    g.bridge_ms = (double)(ops[second].t_after_ns - ops[second].t_before_ns) / 1e6;
    return g;
}

static void write_ops(FILE *f, const struct attempt *a)
{
    fputs("[", f);
    for (size_t i = 0; i < a->n_ops; i++) {
        const struct op_record *r = &a->rb->log[i];
        fputs(i ? ", {\"op\": " : "{\"op\": ", f);
        json_str(f, r->label);
        fputs(", \"arrived_ms\": ", f);
        json_num(f, (double)a->arrived[i] / 1e6);
        fputs(", \"applied_ms\": ", f);
        json_num(f, (double)r->t_after_ns / 1e6);
        fprintf(f, ", \"by\": \"%s\"}", r->is_port_op ? "server" : "client");
    }
    fputs("]", f);
}

static void write_absorbed(FILE *f, const struct attempt *a)
{
    fputs("[", f);
    for (int i = 0; i < a->n_absorbed; i++) {
        fputs(i ? ", {\"op\": " : "{\"op\": ", f);
        json_str(f, a->absorbed[i].label);
        fputs(", \"arrived_ms\": ", f);
        json_num(f, (double)a->absorbed[i].t_ns / 1e6);
        fprintf(f, ", \"started_replay\": %s}", a->absorbed[i].trigger ? "true" : "false");
    }
    fputs("]", f);
}

/* What became of the attempt's capture, and of older ones to make room. */
#define ROTATED_LISTED 64
struct capture_note {
    const char *rel, *err; /* the capture, or why there is none */
    int rotated[ROTATED_LISTED], n_rotated; /* captures deleted for it (n may be more than listed) */
};

static void write_rotated(FILE *f, const struct capture_note *c)
{
    if (c->n_rotated == 0)
        return;
    fputs(", \"rotated_out\": [", f);
    for (int i = 0; i < c->n_rotated && i < ROTATED_LISTED; i++)
        fprintf(f, i ? ", %d" : "%d", c->rotated[i]);
    fputs("]", f);
    if (c->n_rotated > ROTATED_LISTED)
        fprintf(f, ", \"rotated_out_count\": %d", c->n_rotated);
}

static void write_json(FILE *f, int n, const struct attempt *a, enum boot_mode wanted, const struct analysis *an,
                       const struct gap_split *g, const struct capture_note *c)
{
    char when[40];
    iso_time(&a->started, when, sizeof when);
    fprintf(f, "{\"attempt\": %d, \"time\": \"%s\", \"t0_monotonic_ns\": %lld, \"client\": ", n, when,
            (long long)a->t0_monotonic_ns);
    json_str(f, a->peer);
    fputs(", \"board\": ", f);
    json_str(f, a->board->name);
    fputs(", \"host\": ", f);
    json_str(f, a->host->name);
    fputs(", \"ops\": ", f);
    write_ops(f, a);
    fputs(", \"absorbed\": ", f);
    write_absorbed(f, a);
    fprintf(f, ", \"replays\": %d, \"frames\": %d, \"uart_bytes\": %ld, \"malformed\": %d, \"closed\": %s, \"wanted\": ",
            a->replays, a->frames, a->uart_sent, a->malformed, a->closed ? "true" : "false");
    json_str(f, boot_mode_name(wanted));
    if (a->board->circuit->kind == CIRCUIT_USB_JTAG)
        fprintf(f, ", \"usb_flag_at_start\": %s", a->usb_flag_at_start ? "true" : "false");
    write_verdict_json(f, an);
    fputs(", \"gap_waiting_ms\": ", f);
    json_num(f, g->known ? g->waiting_ms : NAN);
    fputs(", \"gap_bridge_ms\": ", f);
    json_num(f, g->known ? g->bridge_ms : NAN);
    fputs(", \"en_release_ms\": ", f);
    json_num(f, an->en_release_ms);
    fputs(", \"note\": ", f);
    json_str(f, a->note);
    fputs(", \"capture\": ", f);
    if (c->rel != NULL)
        json_str(f, c->rel);
    else
        fputs("null", f);
    if (c->err != NULL) {
        fputs(", \"capture_error\": ", f);
        json_str(f, c->err);
    }
    write_rotated(f, c);
    fputs(", \"findings\": ", f);
    write_findings_json(f, an);
    fputs("}\n", f);
}

static void write_human(FILE *f, int n, const struct attempt *a, enum boot_mode wanted, const struct analysis *an,
                        const struct gap_split *g, const struct capture_note *c)
{
    fprintf(f, "attempt %d  %s ", n, a->peer[0] ? a->peer : "-");
    for (size_t i = 0; i < a->n_ops && i < 24; i++)
        fprintf(f, " %s", a->rb->log[i].label);
    if (a->n_ops > 24)
        fprintf(f, " …(%zu ops)", a->n_ops);
    int absorbed = a->n_absorbed - a->replays;
    if (a->replays && a->n_absorbed > 0)
        fprintf(f, "  [%d reset replay%s, %d command%s absorbed]", a->replays, a->replays > 1 ? "s" : "", absorbed,
                absorbed == 1 ? "" : "s");
    else if (a->replays) /* a bridge's own pulses (--bridge): nothing absorbed */
        fprintf(f, "  [%d reset%s played by the bridge]", a->replays, a->replays > 1 ? "s" : "");
    fprintf(f, "  → %s", an->verdict == VERDICT_ERROR ? "error" : boot_mode_name(an->outcome));
    if (wanted == BOOT_ANY)
        fputs(" (no reset asked for)", f);
    else
        fprintf(f, " (wanted %s)", boot_mode_name(wanted));
    if (an->sync >= 0)
        fprintf(f, ", SYNC %s", an->sync ? "answered" : "unanswered");
    if (g->known)
        fprintf(f, "; gap %.2f ms between %s and %s: %.2f ms waiting for the %s, %.2f ms in the bridge", g->gap_ms,
                a->rb->log[g->first].label, a->rb->log[g->second].label, g->waiting_ms,
                a->rb->log[g->second].is_port_op ? "server (client gone)" : "client's next command", g->bridge_ms);
    else if (an->gap_ms == 0)
        fputs("; both lines changed in one request", f);
    else if (isfinite(an->gap_ms))
        fprintf(f, "; gap %.2f ms", an->gap_ms);
    if (isfinite(an->margin_ms))
        fprintf(f, "; margin %.2f ms", an->margin_ms);
    if (a->note[0])
        fprintf(f, "; %s", a->note);
    if (c->n_rotated == 1)
        fprintf(f, "; attempt %d's capture rotated out", c->rotated[0]);
    else if (c->n_rotated > 1)
        fprintf(f, "; %d older captures rotated out (attempts %d to %d)", c->n_rotated, c->rotated[0],
                c->rotated[(c->n_rotated < ROTATED_LISTED ? c->n_rotated : ROTATED_LISTED) - 1]);
    fputc('\n', f);
    for (int i = 0; i < an->n_findings; i++)
        if (an->findings[i].severity != SEV_INFO)
            fprintf(f, "    %s: %s\n", an->findings[i].kind, an->findings[i].message);
    fflush(f);
}

void serve_log_attempt(struct serve_log *l, struct attempt *a, const struct uart_byte *uart, size_t n_uart,
                       int truncated)
{
    int n = ++l->count;
    if (n_uart > sizeof l->uart)
        n_uart = sizeof l->uart;
    for (size_t i = 0; i < n_uart; i++)
        l->uart[i] = uart[i].value;
    /* What the client wanted, from what its lines did: no reset asked for
     * (a tool opening the port) passes with any outcome. */
    enum boot_mode wanted = !a->wants_reset ? BOOT_ANY : a->wants_download ? BOOT_DOWNLOAD : BOOT_FLASH;
    struct board_model bm = board_model_of(a->board);
    bm.usb_flag_at_start = a->usb_flag_at_start;
    struct op_log log = {a->rb->log, a->n_ops};
    struct analysis *an = &a->rb->a;
    char why[256];
    if (analyze_run(&a->rb->tr, &log, &bm, l->uart, n_uart, wanted, an, why, sizeof why) != 0)
        run_infrastructure_error(an, why);
    if (truncated && a->note[0] == '\0')
        snprintf(a->note, sizeof a->note, "the virtual analyzer's buffers filled: the capture is cut short");
    struct gap_split g = split_gap(a, an);

    char rel[64], path[700], cap_err[256];
    snprintf(rel, sizeof rel, SERVE_CAPTURE_NAME, n);
    snprintf(path, sizeof path, "%s/%s", l->dir, rel);
    struct capture_note c = {.rel = rel};
    if (sigrok_write_sr(l->sr, path, &a->rb->tr, uart, n_uart, a->board->chip->baud, cap_err, sizeof cap_err) != 0) {
        sigrok_remove_session(path); /* what was written of it and its .pvs, if anything */
        c = (struct capture_note){.err = cap_err};
    } else {
        c.n_rotated = serve_budget_captures_add(&l->captures, n, c.rotated, ROTATED_LISTED);
        if (c.n_rotated > 0 && c.rotated[0] == n) /* it could not be kept itself */
            c.rel = NULL, c.err = "not kept: out of memory";
    }
    struct line ln;
    if (line_begin(&ln) != NULL) {
        write_json(ln.f, n, a, wanted, an, &g, &c);
        line_end(l, &ln);
    }
    if (l->human != NULL)
        write_human(l->human, n, a, wanted, an, &g, &c);
}

void serve_log_close(struct serve_log *l)
{
    if (l == NULL)
        return;
    long n = serve_budget_rate_due(&l->events, 1);
    if (n > 0)
        put_event(l, "suppressed", NULL, n, l->events.what);
    serve_budget_file_close(&l->jsonl);
    serve_budget_captures_free(&l->captures);
    sigrok_free(l->sr);
    free(l);
}
