/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A tool's session on a port (run_tool.h), step by step as the tool's own
 * code runs it: esptool's ESPLoader.connect / _connect_attempt / sync
 * (esptool/loader.py), espflash's Connection::begin (connection/mod.rs),
 * esptool-js's ESPLoader.connect (src/esploader.ts). What differs between
 * them is data (the tool file); what they share is here:
 *  - an attempt: the input emptied (flush_before_reset), the strategy's
 *    ops, the boot log that arrived by then searched for "boot:0x..";
 *  - a SYNC try: input emptied, the SYNC request written, a SLIP reader
 *    that fails at the first byte outside a frame ("Invalid head of
 *    packet"), at silence ("No serial data received.") or mid-frame, and
 *    skips frames that are not a SYNC response; then the remaining
 *    replies, each within reply_timeout_s; a pause after a failed try;
 *  - the message the tool prints when the attempts run out.
 * May call: run_sequence.c, harness/port (the vtable and its read),
 * harness/lab (an op's DSL label), analyzers/ (SLIP, the ROM banner), libc. */
#include "run_tool.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/slip.h"
#include "harness/lab/lab_dsl.h"

#define READ_MAX 4096     /* one read of the boot log or of a reply */
#define MAX_FRAMES 100    /* frames a reply wait skips (esptool: `for retry in range(100)`) */
#define TOOL_ABORTED 2    /* the tool stopped with an exception: no more attempts */

struct session {
    struct seq_state st;
    const struct tool *t;
    struct tool_outcome *out;
    int64_t t_open_ns;
    int64_t t_reply_ns;
    char error[160]; /* the current attempt's error */
    struct op sync_op, pause_op, close_op, open_op;
    int closed; /* the tool closed the port after it left the bus (reconnect) */
};

/* A port error: PORT_LOST as it is (the tool sees it), else -1. */
static int port_rc(long rc)
{
    return rc == PORT_LOST ? PORT_LOST : -1;
}

/* ---- reading as the tool's SLIP reader does ---- */

/* A read ends at the first byte outside a frame, or at a frame's end. */
static int frame_or_bad_head(const uint8_t *b, size_t n, void *ctx)
{
    (void)ctx;
    return b[0] != SLIP_END || (n >= 2 && b[n - 1] == SLIP_END);
}

/* A read that skips what comes before a frame ends at a frame's end. */
static int frame_after_junk(const uint8_t *b, size_t n, void *ctx)
{
    (void)ctx;
    const uint8_t *start = memchr(b, SLIP_END, n);
    return start != NULL && start < b + n - 1 && b[n - 1] == SLIP_END;
}

/* Whatever is waiting, thrown away (flushInput / reset_input_buffer). */
static int drain_input(struct port *p)
{
    uint8_t junk[READ_MAX];
    long n;
    while ((n = p->ops->read(p, junk, sizeof junk, 0, NULL, NULL)) == (long)sizeof junk)
        ;
    return n < 0 ? port_rc(n) : 0;
}

/* One packet: 1 with a SYNC response in hand, 0 with the reader's error
 * in s->error, -1 on a port error. */
static int read_sync_response(struct session *s, double timeout_s)
{
    struct port *p = s->st.port;
    for (int frame = 0; frame < MAX_FRAMES; frame++) {
        uint8_t buf[READ_MAX], dec[READ_MAX];
        long n = p->ops->read(p, buf, sizeof buf, timeout_s,
                              s->t->sync.skip_junk ? frame_after_junk : frame_or_bad_head, NULL);
        if (n < 0)
            return port_rc(n);
        if (s->t->sync.skip_junk && n > 0) { /* a plain SLIP decoder: what came before the frame is dropped */
            const uint8_t *start = memchr(buf, SLIP_END, (size_t)n);
            size_t skip = start ? (size_t)(start - buf) : (size_t)n;
            memmove(buf, buf + skip, (size_t)n - skip);
            n -= (long)skip;
        }
        if (n == 0) {
            snprintf(s->error, sizeof s->error, "No serial data received.");
            return 0;
        }
        if (buf[0] != SLIP_END) {
            snprintf(s->error, sizeof s->error, "Invalid head of packet (0x%02X): Possible serial noise or corruption.",
                     buf[0]);
            return 0;
        }
        if (n < 2 || buf[n - 1] != SLIP_END) {
            snprintf(s->error, sizeof s->error, "Packet content transfer stopped (received %ld bytes)", n);
            return 0;
        }
        size_t pos = 0, len = 0;
        if (slip_next_frame(buf, (size_t)n, &pos, dec, sizeof dec, &len) == 1 && len >= ESP_HEADER_LEN &&
            dec[0] == ESP_DIR_RESPONSE && dec[1] == ESP_SYNC)
            return 1;
        /* shorter than a header, a request, another command's answer: esptool reads on */
    }
    snprintf(s->error, sizeof s->error, "Response doesn't match request");
    return 0;
}

/* ---- one attempt ---- */

/* The session's own steps (S, a pause, the close): labelled once each. */
static int run_op(struct session *s, enum op_kind kind, double wait_s)
{
    struct op *op = kind == OP_SYNC    ? &s->sync_op
                    : kind == OP_CLOSE ? &s->close_op
                    : kind == OP_OPEN  ? &s->open_op
                                       : &s->pause_op;
    if (kind == OP_WAIT && op->wait_s != wait_s)
        op->label[0] = '\0';
    op->kind = kind;
    op->wait_s = wait_s;
    if (op->label[0] == '\0')
        dsl_format_op(op, op->label, sizeof op->label);
    return seq_run_op(&s->st, op, s->st.next_index++, 0);
}

/* One SYNC try: 1 connected, 0 not, or an error / stop from the port. */
static int sync_try(struct session *s)
{
    const struct tool_sync *y = &s->t->sync;
    int rc = drain_input(s->st.port);
    if (rc != 0)
        return rc;
    rc = run_op(s, OP_SYNC, 0);
    if (rc != 0)
        return rc == RUNNER_STOPPED || rc == PORT_LOST ? rc : -1;
    rc = read_sync_response(s, y->timeout_s);
    if (rc <= 0)
        return rc;
    s->t_reply_ns = s->st.port->ops->now_ns(s->st.port);
    for (int k = 1; k < y->replies; k++) {
        rc = read_sync_response(s, y->reply_timeout_s);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/* "boot:0x13" in what arrived after the reset: esptool's regex
 * boot:(0x[0-9a-fA-F]+)(.*waiting for download)? */
static int read_boot_log(struct session *s, char *code, size_t code_len, int *download)
{
    uint8_t buf[READ_MAX + 1];
    long n = s->st.port->ops->read(s->st.port, buf, READ_MAX, 0, NULL, NULL);
    code[0] = '\0';
    *download = 0;
    if (n <= 0)
        return n < 0 ? port_rc(n) : 0;
    buf[n] = '\0';
    for (long i = 0; i + 7 < n; i++) {
        if (memcmp(buf + i, "boot:0x", 7) != 0)
            continue;
        size_t hex = strspn((const char *)buf + i + 7, "0123456789abcdefABCDEF");
        if (hex == 0)
            continue;
        snprintf(code, code_len, "0x%.*s", (int)(hex < 8 ? hex : 8), (const char *)buf + i + 7);
        for (long k = i; k + 20 <= n && !*download; k++)
            *download = memcmp(buf + k, "waiting for download", 20) == 0;
        return 0;
    }
    return 0;
}

static int has_both_lines_step(const struct op_seq *q)
{
    for (int i = 0; i < q->n; i++)
        if (q->ops[i].kind == OP_BOTH)
            return 1;
    return 0;
}

/* The port left the bus under the tool: it stops with the OS's words
 * (pyserial's exception), as esptool does outside a reset strategy. */
static int port_lost(struct session *s)
{
    snprintf(s->error, sizeof s->error, "%s", s->st.port->ops->error(s->st.port));
    return TOOL_ABORTED;
}

/* A reset strategy; on a port that left the bus, as the tool's reconnect
 * says: closed, a pause, opened again (pyserial's open(): the OS's open),
 * the strategy again from its start; the last failure stops the tool. */
static int run_strategy(struct session *s, const struct tool_step *step)
{
    const struct tool_reconnect *r = &s->t->reconnect;
    for (int k = 1;; k++) {
        int rc = s->closed ? run_op(s, OP_OPEN, 0) : 0;
        if (rc == 0) {
            s->closed = 0;
            rc = seq_run_ops(&s->st, &step->seq, step->rewrite_dtr);
        }
        if (rc != PORT_LOST)
            return rc;
        if (k >= r->tries)
            return port_lost(s);
        if (!s->closed && (rc = run_op(s, OP_CLOSE, 0)) != 0)
            return rc;
        s->closed = 1;
        if ((rc = run_op(s, OP_WAIT, r->pause_s)) != 0)
            return rc;
    }
}

/* One attempt: 1 connected, 0 not (s->error says why), <0 / STOPPED. */
static int attempt(struct session *s, const struct tool_step *step, const struct tool_target *where)
{
    struct port *p = s->st.port;
    if (where->port == PORT_RFC2217 && has_both_lines_step(&step->seq)) {
        /* esptool's _setDTRandRTS calls fileno(): pyserial's RFC 2217 port has none, the tool stops */
        if (snprintf(s->error, sizeof s->error, "io.UnsupportedOperation: fileno (%s has a U step, which needs a "
                     "local port: RFC 2217 sets one line per command)", step->label) >= (int)sizeof s->error)
            s->error[sizeof s->error - 1] = '\0'; /* an error line has its size */
        return TOOL_ABORTED;
    }
    int rc = s->t->flush_before_reset && where->port == PORT_LOCAL && !s->closed ? drain_input(p) : 0;
    if (rc == 0)
        rc = run_strategy(s, step);
    char code[16] = "";
    int download = 0;
    if (rc == 0 && s->t->boot_log)
        rc = read_boot_log(s, code, sizeof code, &download);
    for (int k = 0; rc == 0 && k < s->t->sync.tries; k++) {
        rc = sync_try(s);
        if (rc == PORT_LOST)
            return port_lost(s);
        if (rc != 0)
            return rc;
        if (port_stop_asked(p))
            return RUNNER_STOPPED;
        if (s->t->sync.pause_s > 0 && (rc = run_op(s, OP_WAIT, s->t->sync.pause_s)) != 0)
            return rc;
    }
    if (rc == PORT_LOST)
        return port_lost(s);
    if (rc != 0)
        return rc;
    if (code[0] && download)
        snprintf(s->error, sizeof s->error,
                 "Download mode successfully detected, but getting no sync reply: The serial TX path seems to be down.");
    else if (code[0])
        snprintf(s->error, sizeof s->error, "Wrong boot mode detected (%s)! The chip needs to be in download mode.",
                 code);
    return 0;
}

/* ---- after connecting ---- */

/* The banner after the after-reset, as a monitor would see it: done at
 * the end of the line that holds "boot:0x". Called once per byte, so it
 * looks only at the newest bytes. */
static int banner_line_done(const uint8_t *b, size_t n, void *ctx)
{
    int *seen = ctx;
    if (!*seen && n >= 7 && memcmp(b + n - 7, "boot:0x", 7) == 0)
        *seen = 1;
    return *seen && b[n - 1] == '\n';
}

static int after_phase(struct session *s, const struct tool_target *where)
{
    const struct tool *t = s->t;
    const struct tool_rule *r = tool_rule_for(t->after, t->n_after, where->os, where->port, where->usb_pid);
    s->out->after = BOOT_ANY;
    if (r == NULL)
        return 0;
    int rc = drain_input(s->st.port);
    if (rc != 0 || (t->work_s > 0 && (rc = run_op(s, OP_WAIT, t->work_s)) != 0) ||
        (rc = seq_run_ops(&s->st, &r->steps[0].seq, r->steps[0].rewrite_dtr)) != 0)
        return rc == PORT_LOST ? 0 : rc; /* a USB-OTG port restarting under it: nothing more to see there */
    if (where->banner_unseen)
        return 0; /* USB-OTG: the banner goes to UART0 (docs/physics.md#usb-otg) */
    uint8_t buf[READ_MAX];
    int seen_boot = 0;
    long n = s->st.port->ops->read(s->st.port, buf, sizeof buf, TOOL_AFTER_LISTEN_S, banner_line_done, &seen_boot);
    if (n == PORT_LOST)
        return 0; /* the port left with the restart: the banner went to UART0 (docs/physics.md#usb-otg) */
    if (n < 0)
        return -1;
    s->out->after = outcome_from_uart(buf, (size_t)n);
    return 0;
}

/* ---- the verdict ---- */

/* The tool's own words come first: a cell names its worst finding by
 * severity, then count, then order, and what the user saw is the point. */
static void add_finding(struct analysis *a, const char *kind, const char *msg)
{
    if (a->n_findings >= ANALYSIS_MAX_FINDINGS)
        a->n_findings = ANALYSIS_MAX_FINDINGS - 1; /* the last one makes room */
    memmove(&a->findings[1], &a->findings[0], (size_t)a->n_findings * sizeof a->findings[0]);
    a->n_findings++;
    struct finding *f = &a->findings[0];
    *f = (struct finding){.severity = SEV_ERROR};
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    snprintf(f->message, sizeof f->message, "%s", msg);
}

/* A tool's attempts repeat the same warning (a (1,1) transient per
 * ClassicReset): the first of each kind stays, with how many more there
 * were, so seven attempts do not make seven rows in every export. */
static void fold_repeated_warnings(struct analysis *a)
{
    int kept = 0, more[ANALYSIS_MAX_FINDINGS] = {0};
    for (int i = 0; i < a->n_findings; i++) {
        int k = 0;
        while (k < kept && !(a->findings[i].severity == SEV_WARN && a->findings[k].severity == SEV_WARN &&
                             strcmp(a->findings[k].kind, a->findings[i].kind) == 0))
            k++;
        if (k < kept) {
            more[k]++;
            continue;
        }
        a->findings[kept++] = a->findings[i];
    }
    a->n_findings = kept;
    for (int k = 0; k < kept; k++) {
        struct finding *f = &a->findings[k];
        size_t len = strlen(f->message);
        if (more[k] > 0 && len < sizeof f->message)
            snprintf(f->message + len, sizeof f->message - len, " (and %d more in this run)", more[k]);
    }
}

void run_tool_port_lost(struct analysis *a, const char *why)
{
    char msg[sizeof a->findings[0].message];
    if (snprintf(msg, sizeof msg, "the port left the bus under the sequence, which stopped at %s", why) >= (int)sizeof msg)
        msg[sizeof msg - 1] = '\0';
    add_finding(a, "port-lost", msg);
}

void run_tool_judge(struct analysis *a, const struct tool_outcome *tool, const char *product)
{
    char msg[sizeof a->findings[0].message];
    fold_repeated_warnings(a);
    a->tool = *tool;
    int after_ok = tool->after == BOOT_ANY || tool->after == BOOT_FLASH;
    a->verdict = tool->connected && after_ok ? VERDICT_PASS : VERDICT_FAIL;
    if (tool->connected) {
        a->outcome = BOOT_DOWNLOAD;
        if (!after_ok) {
            snprintf(msg, sizeof msg, "%s connected, but after its reset into the application the chip %s%s", product,
                     tool->after == BOOT_NONE ? "printed no boot banner" : "booted ",
                     tool->after == BOOT_NONE ? "" : boot_mode_name(tool->after));
            add_finding(a, "after-reset", msg);
        }
        return;
    }
    if (snprintf(msg, sizeof msg, "%s: no connection in %d attempt%s (last: %s): %s", product, tool->attempts,
                 tool->attempts == 1 ? "" : "s", tool->strategy, tool->error) >= (int)sizeof msg)
        msg[sizeof msg - 1] = '\0'; /* a finding's message has its size */
    add_finding(a, "tool-failed", msg);
}

struct trace trace_until(const struct trace *tr, int64_t t_cut_ns)
{
    struct trace cut = *tr;
    if (t_cut_ns >= tr->t_end_ns)
        return cut;
    while (cut.n > 0 && cut.edges[cut.n - 1].t_ns >= t_cut_ns)
        cut.n--;
    cut.t_end_ns = t_cut_ns > 0 ? t_cut_ns : 0;
    if (cut.en_v.n > 0 && cut.en_v.period_ns > 0) {
        double span = (double)(cut.t_end_ns - cut.en_v.t0_ns);
        size_t keep = span < 0 ? 0 : (size_t)(span / cut.en_v.period_ns) + 1;
        cut.en_v.n = keep < cut.en_v.n ? keep : cut.en_v.n;
    }
    return cut;
}

/* ---- the session ---- */

/* The tool's last words: its fail_message with "{error}" replaced. */
static void format_failure(const char *msg, const char *error, char *out, size_t len)
{
    const char *at = strstr(msg, "{error}");
    if (at == NULL)
        snprintf(out, len, "%s", msg);
    else
        if (snprintf(out, len, "%.*s%s%s", (int)(at - msg), msg, error, at + 7) >= (int)len)
            out[len - 1] = '\0'; /* cut at the field's size, as every message is */
}

static void start_outcome(struct tool_outcome *o)
{
    *o = (struct tool_outcome){.ran = 1, .connect_ms = NAN, .after = BOOT_ANY};
}

int run_tool(struct port *p, const struct scenario *sc, const struct tool_target *where, struct op_record *log,
             size_t *n_log, size_t *connect_end, struct tool_outcome *out, char *err, size_t err_len)
{
    const struct tool *t = sc->tool;
    struct session s = {.t = t, .out = out};
    seq_state_init(&s.st, p, sc, log, n_log, err, err_len);
    start_outcome(out);
    *connect_end = 0;
    const struct tool_rule *rule = tool_rule_for(t->cycle, t->n_cycle, where->os, where->port, where->usb_pid);
    if (rule == NULL) {
        snprintf(err, err_len, "the tool has no reset strategy for %s on a %s port", host_os_name(where->os),
                 port_kind_name(where->port));
        return -1;
    }
    s.t_open_ns = p->ops->now_ns(p);
    int rc = seq_run_ops(&s.st, &sc->seq[where->os], sc->rewrite_dtr_after_rts);
    for (int a = 0; rc == 0 && a < t->attempts && !out->connected; a++) {
        const struct tool_step *step = &rule->steps[a % rule->n_steps];
        snprintf(out->strategy, sizeof out->strategy, "%s", step->label);
        out->attempts = a + 1;
        rc = attempt(&s, step, where);
        if (rc == 1) {
            out->connected = 1;
            out->connect_ms = (double)(s.t_reply_ns - s.t_open_ns) / 1e6;
            rc = 0;
        } else if (rc == TOOL_ABORTED) {
            snprintf(out->error, sizeof out->error, "%s", s.error);
            *connect_end = *n_log;
            return run_op(&s, OP_CLOSE, 0);
        }
    }
    if (rc != 0)
        return rc;
    *connect_end = *n_log;
    if (out->connected)
        rc = after_phase(&s, where);
    else
        format_failure(t->fail_message, s.error, out->error, sizeof out->error);
    return rc != 0 ? rc : run_op(&s, OP_CLOSE, 0);
}
