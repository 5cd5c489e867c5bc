/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resetlab observe's reading of a served board's attempts (serve_observe.h).
 * May call: analyzers/ (traces, findings, boot modes), serve_log.h (the
 * attempt), libc. */
#include "serve_observe.h"

#include <math.h>
#include <string.h>

#include "analyzers/trace.h"
#include "serve_log.h"

/* The analyzers' warnings and errors, but "no-reset": a tool need not
 * reset the board every time it opens the port. */
static void add_findings(struct observation *o, const struct analysis *an)
{
    for (int i = 0; i < an->n_findings && o->n_findings < OBS_MAX_FINDINGS; i++)
        if (an->findings[i].severity != SEV_INFO && strcmp(an->findings[i].kind, "no-reset") != 0)
            o->findings[o->n_findings++] = an->findings[i];
}

static int connection_of(struct observation *o, const struct attempt *a)
{
    for (int i = o->n_conns - 1; i >= 0; i--)
        if (o->conn_t_ns[i] == a->connected_mono_ns && strcmp(o->conn_peer[i], a->peer) == 0)
            return i;
    if (o->n_conns >= 64)
        return 63;
    o->conn_t_ns[o->n_conns] = a->connected_mono_ns;
    snprintf(o->conn_peer[o->n_conns], sizeof o->conn_peer[0], "%s", a->peer);
    return o->n_conns++;
}

void observe_add(void *observation, const struct attempt *a, const struct analysis *an)
{
    struct observation *o = observation;
    int first = o->n_ops, conn = connection_of(o, a);
    o->attempts++;
    if (a->last_frame_v >= 0 && a->t0_monotonic_ns + a->last_frame_v > o->conn_frame_ns[conn])
        o->conn_frame_ns[conn] = a->t0_monotonic_ns + a->last_frame_v;
    for (size_t i = 0; i < a->n_ops && o->n_ops < OBS_MAX_OPS; i++) {
        struct obs_op *op = &o->ops[o->n_ops++];
        snprintf(op->label, sizeof op->label, "%s", a->rb->log[i].label);
        op->t_ns = a->t0_monotonic_ns + a->arrived[i];
        op->by_server = a->rb->log[i].is_port_op;
        op->conn = conn;
    }
    for (int i = 0; i < an->n_resets && o->n_resets < OBS_MAX_RESETS; i++) {
        const struct reset_event *r = &an->resets[i];
        o->resets[o->n_resets++] = (struct obs_reset){
            .t_ns = a->t0_monotonic_ns + r->en_low_ns,
            .cause = r->cause_op >= 0 && first + r->cause_op < o->n_ops ? first + r->cause_op : -1,
            .mode = r->predicted,
            .gap_ms = r->gap_ms,
            .en_release_ms = r->en_release_ms,
        };
    }
    add_findings(o, an);
}

static void add_op(struct observation *o, const char *label, int64_t t_ns)
{
    if (o->n_ops >= OBS_MAX_OPS)
        return;
    struct obs_op *op = &o->ops[o->n_ops++];
    snprintf(op->label, sizeof op->label, "%s", label);
    op->t_ns = t_ns;
    op->by_server = 0;
    op->conn = 0;
}

void observe_from_trace(struct observation *o, const struct trace *tr, const struct analysis *an, int64_t host_t0_ns,
                        int64_t start_ns, int64_t exit_ns)
{
    o->n_conns = 1;
    o->conn_t_ns[0] = start_ns;
    snprintf(o->conn_peer[0], sizeof o->conn_peer[0], "the command");
    o->attempts = 1;
    int close_added = 0;
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel != CH_DTR && e->channel != CH_RTS)
            continue;
        int64_t t = host_t0_ns + e->t_ns;
        if (!close_added && t > exit_ns) {
            add_op(o, "C", exit_ns);
            close_added = 1;
        }
        char label[4] = {e->channel == CH_DTR ? 'D' : 'R', e->level ? '0' : '1', '\0'}; /* a low pin is asserted */
        add_op(o, label, t);
    }
    if (!close_added)
        add_op(o, "C", exit_ns);
    for (int i = 0; i < an->n_resets && o->n_resets < OBS_MAX_RESETS; i++) {
        const struct reset_event *r = &an->resets[i];
        int64_t low = host_t0_ns + r->en_low_ns;
        int cause = -1;
        for (int k = 0; k < o->n_ops && o->ops[k].t_ns <= low; k++)
            if (strcmp(o->ops[k].label, "C") != 0)
                cause = k;
        o->resets[o->n_resets++] = (struct obs_reset){.t_ns = low, .cause = cause, .mode = r->predicted,
                                                      .gap_ms = r->gap_ms, .en_release_ms = r->en_release_ms};
    }
    add_findings(o, an);
}

static int is_line_op(const struct obs_op *op)
{
    return op->label[0] == 'D' || op->label[0] == 'R' || op->label[0] == 'U';
}

/* A line command that raises no line (D0, R0, U0,0): what a port's close
 * does; a tool asks for a reset by raising one (RTS on: EN low). */
static int only_lowers(const struct obs_op *op)
{
    if (op->label[0] == 'U')
        return strcmp(op->label, "U0,0") == 0;
    return (op->label[0] == 'D' || op->label[0] == 'R') && op->label[1] == '0';
}

/* 1 when op k is in the burst of line commands that ends in its
 * connection's close: each only lowers lines, each within
 * OBS_TEARDOWN_MS of the next, and no frame (a SYNC, any request) went to
 * the chip between op k and the close. */
static int in_teardown(const struct observation *o, int k)
{
    const struct obs_op *op = &o->ops[k];
    if (!only_lowers(op) || (o->conn_frame_ns[op->conn] != 0 && o->conn_frame_ns[op->conn] >= op->t_ns))
        return 0;
    int close = -1;
    for (int i = k + 1; i < o->n_ops && close < 0; i++)
        if (o->ops[i].conn == op->conn && strcmp(o->ops[i].label, "C") == 0)
            close = i;
    if (close < 0)
        return 0;
    int64_t next = o->ops[close].t_ns, window = (int64_t)OBS_TEARDOWN_MS * 1000000;
    for (int i = close - 1; i >= k; i--) {
        if (o->ops[i].conn != op->conn || o->ops[i].by_server)
            continue;
        if (!is_line_op(&o->ops[i]))
            return 0; /* a SYNC between: the tool still talked to the chip */
        if (!only_lowers(&o->ops[i]) || next - o->ops[i].t_ns >= window)
            return 0;
        if (i == k)
            return 1;
        next = o->ops[i].t_ns;
    }
    return 0;
}

static int touches(const struct obs_op *op, char line)
{
    return op->label[0] == line || op->label[0] == 'U';
}

/* 1 when op k is the first command of its connection on a line it sets:
 * the state a client library (pyserial) or the OS applies as the port
 * opens, not a step the tool chose. */
static int in_open(const struct observation *o, int k)
{
    const struct obs_op *op = &o->ops[k];
    if (!is_line_op(op))
        return 0;
    for (int i = 0; i < k; i++) {
        const struct obs_op *p = &o->ops[i];
        if (p->conn == op->conn && !p->by_server && ((touches(op, 'D') && touches(p, 'D')) ||
                                                      (touches(op, 'R') && touches(p, 'R'))))
            return 0;
    }
    return 1;
}

const char *observe_cause(const struct observation *o, const struct obs_reset *r, int *spurious)
{
    *spurious = 0;
    if (r->cause < 0)
        return "no command of the tool's (the board reset itself)";
    const struct obs_op *op = &o->ops[r->cause];
    *spurious = 1;
    if (op->by_server)
        return "the server clearing the lines after the client left";
    if (in_teardown(o, r->cause))
        return "the tool closing the port";
    if (in_open(o, r->cause))
        return "the tool opening the port";
    *spurious = 0;
    return "the tool's reset sequence";
}

void observe_dsl(const struct observation *o, int conn, char *out, size_t len)
{
    size_t k = 0;
    int64_t last = o->conn_t_ns[conn];
    k += (size_t)snprintf(out + k, len - k, "O");
    for (int i = 0; i < o->n_ops && k + 24 < len; i++) {
        const struct obs_op *op = &o->ops[i];
        /* the close is the client's; the server's clearing after it is not */
        if (op->conn != conn || (op->by_server && strcmp(op->label, "C") != 0))
            continue;
        double wait_s = (double)(op->t_ns - last) / 1e9;
        if (wait_s >= 0.0005)
            k += (size_t)snprintf(out + k, len - k, "|W%.3f", wait_s);
        k += (size_t)snprintf(out + k, len - k, "|%s", op->label);
        last = op->t_ns;
    }
}

static const char *mode_name(enum boot_mode m)
{
    return m == BOOT_DOWNLOAD ? "download" : m == BOOT_FLASH ? "flash" : m == BOOT_MARGINAL ? "marginal" : "none";
}

int observe_print(FILE *f, const struct observation *o, int64_t t0_ns)
{
    char dsl[4096];
    for (int c = 0; c < o->n_conns; c++) {
        observe_dsl(o, c, dsl, sizeof dsl);
        fprintf(f, "connection %d (%s, at %.1f ms): %s\n", c + 1, o->conn_peer[c],
                (double)(o->conn_t_ns[c] - t0_ns) / 1e6, dsl);
    }
    if (o->n_conns == 0)
        fputs("the tool never changed DTR or RTS (no attempt on the board)\n", f);
    int spurious = 0;
    fprintf(f, "resets: %d\n", o->n_resets);
    for (int i = 0; i < o->n_resets; i++) {
        const struct obs_reset *r = &o->resets[i];
        int sp;
        const char *why = observe_cause(o, r, &sp);
        spurious += sp;
        fprintf(f, "  #%d at %.1f ms", i + 1, (double)(r->t_ns - t0_ns) / 1e6);
        if (r->cause >= 0)
            fprintf(f, " by %s", o->ops[r->cause].label);
        fprintf(f, ": %s%s; booted %s", why, sp ? " — SPURIOUS" : "", mode_name(r->mode));
        if (isfinite(r->en_release_ms))
            fprintf(f, ", EN released %.2f ms", r->en_release_ms);
        if (isfinite(r->gap_ms))
            fprintf(f, ", DTR/RTS gap %.2f ms", r->gap_ms);
        fputc('\n', f);
    }
    if (o->n_findings > 0) {
        fputs("findings:\n", f);
        for (int i = 0; i < o->n_findings; i++)
            fprintf(f, "  %s %s: %s\n", severity_name(o->findings[i].severity), o->findings[i].kind,
                    o->findings[i].message);
    }
    if (spurious)
        fprintf(f, "verdict: %d spurious reset%s: the tool reset the board without asking for it", spurious,
                spurious > 1 ? "s" : "");
    else
        fputs("verdict: no spurious reset", f);
    if (o->command_failed[0])
        fprintf(f, "; the command failed (%s)", o->command_failed);
    fputc('\n', f);
    return spurious;
}
