/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated board behind `resetlab serve`'s connection: the epoch
 * re-run as commands come (sim/world.h), the UART's bytes to the client
 * when each is out, epochs and the attempts they make, the lines as the
 * bridge holds them, line changes applied through the host model, and
 * --reset-replay's local reset and a bridge's own sequences, the UART's
 * batches as the bridge sends them.
 * May call: sim/ (the world, the circuit, the bridge's batching), harness/port (the RFC 2217
 * codec, the monotonic clock), serve_log.c (the attempt), libc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/port/port_rfc2217_codec.h"
#include "harness/port/port_serial.h"
#include "sim/netbridge.h"
#include "sim/world.h"
#include "serve_internal.h"

/* ---- the board ----------------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
    const struct uart_byte *x = a, *y = b;
    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

static double byte_ns(const struct serve *s);

/* Runs the epoch so far; the UART's bytes sorted by when they start. */
void serve_board_resimulate(struct serve *s)
{
    size_t len = 0;
    s->sim_failed = sim_finish(s->w, &s->at.rb->tr, s->uart, SCHED_MAX, &len, &s->at.truth) != 0;
    const double *t = NULL;
    size_t n = sim_uart_times(s->w, &t);
    if (n > len)
        n = len;
    for (size_t i = 0; i < n; i++)
        s->sched[i] = (struct uart_byte){t[i], s->uart[i]};
    /* equal times keep their order: qsort is not stable, so break ties by index */
    for (size_t i = 0; i < n; i++)
        s->sched[i].t_ns += (double)i * 1e-6;
    qsort(s->sched, n, sizeof *s->sched, by_time);
    s->n_sched = n;
    s->dirty = 0;
    /* when each byte leaves: once it is out, or in the bridge's UART
     * batches (sim/netbridge.c, the matrix's model) */
    const struct net_bridge *b = s->o.bridge;
    double done = byte_ns(s);
    for (size_t i = 0; i < n; i++)
        s->leave[i] = (int64_t)ceil(s->sched[i].t_ns + done);
    if (b != NULL && b->uart_fifo_full > 0 && n > 0)
        netbridge_batches(s->leave, n, b->uart_fifo_full, b->uart_timeout_chars, done, s->leave);
}

static double byte_ns(const struct serve *s)
{
    return board_byte_ns(s->o.board);
}

/* Bytes that have left the board (and the bridge's batching) by now go to
 * the client, or to every client of a bridge that fans out. */
static int batched(const struct serve *s)
{
    return s->o.bridge != NULL && s->o.bridge->uart_fifo_full > 0;
}

void serve_board_send_uart(struct serve *s, int64_t v)
{
    for (size_t i = batched(s) ? s->sent_n : 0; i < s->n_sched; i++) {
        int64_t t = s->leave[i];
        if (batched(s) && t > v)
            break; /* in order: a batch goes whole */
        if (batched(s))
            s->sent_n = i + 1;
        else if (t <= s->sent_until_v || t > v)
            continue;
        s->at.uart_sent++;
        if (t > s->last_traffic_v)
            s->last_traffic_v = t;
        if (serve_bridge_fans_out(s)) {
            serve_bridge_uart(s, s->sched[i].value);
            continue;
        }
        if (s->owner.fd < 0)
            continue; /* nobody listening: the bytes are lost, as on a wire */
        if (s->tty != NULL) {
            serve_tty_uart(s, s->sched[i].value);
            continue;
        }
        uint8_t enc[2];
        size_t used = 0, k = r2217_encode_data(&s->sched[i].value, 1, &used, enc, sizeof enc);
        serve_conn_queue(&s->owner, enc, k);
    }
    if (v > s->sent_until_v)
        s->sent_until_v = v;
}

/* The next moment something on the board's side is due, or INT64_MAX. */
int64_t serve_board_next_uart_v(const struct serve *s)
{
    if (batched(s))
        return s->sent_n < s->n_sched ? s->leave[s->sent_n] : INT64_MAX;
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < s->n_sched; i++)
        if (s->leave[i] > s->sent_until_v && s->leave[i] < next)
            next = s->leave[i];
    return next;
}

/* A new epoch at t = 0 = now: the previous one's board at rest. */
void serve_board_new_epoch(struct serve *s)
{
    serve_board_resimulate(s);
    sim_continue(s->w);
    int64_t was = s->epoch0_ns;
    s->epoch0_ns = serial_now_ns();
    /* answers still queued (an epoch cut while commands wait) keep their
     * moment: on the new clock it is this much earlier */
    for (int i = 0; i < s->n_answers; i++)
        s->answers[i].due_v -= s->epoch0_ns - was;
    s->at.t0_monotonic_ns = s->epoch0_ns;
    s->sent_until_v = s->rx_free_v = s->absorb_until_v = 0;
    s->sent_n = 0;
    s->last_line_v = s->last_activity_v = s->last_traffic_v = 0;
    s->n_sched = 0;
    attempt_clear(&s->at);
    s->at.t0_monotonic_ns = s->epoch0_ns;
    s->at.usb_flag_at_start = s->usb_flag = sim_usb_flag_at_start(s->w);
}

void serve_board_close_if_done(struct serve *s, int64_t v)
{
    if (serve_board_epoch_active(s) && v - serve_board_last_activity(s) >= (int64_t)(s->o.attempt_gap_ms * 1e6) &&
        serve_board_at_rest(s, v))
        serve_board_close_attempt(s, NULL);
    else if (s->sim_failed && serve_board_epoch_active(s))
        serve_board_close_attempt(s, "cut: the virtual analyzer's buffers filled before the board came to rest");
}

void serve_board_close_attempt(struct serve *s, const char *note)
{
    serve_board_resimulate(s);
    if (s->at.n_line_ops == 0) { /* data alone (a terminal, a flasher's traffic): not an attempt */
        serve_board_new_epoch(s);
        return;
    }
    if (note != NULL)
        snprintf(s->at.note, sizeof s->at.note, "%s", note);
    serve_log_attempt(s->log, &s->at, s->sched, s->n_sched, s->sim_failed);
    if (s->o.on_attempt != NULL)
        s->o.on_attempt(s->o.ctx, &s->at, &s->at.rb->a);
    serve_board_new_epoch(s);
}

/* The lines (dtr, rts) hold a reset sequence open: EN or IO0 pulled low
 * (the chip held in reset, or let out with IO0 still held for the strap:
 * esptool's reset delay, 0.05 or 0.55 s); on USB-Serial/JTAG, the reset
 * state or the download request (DTR on alone). */
static int mid_reset(const struct circuit *c, int dtr, int rts)
{
    if (c->kind == CIRCUIT_USB_JTAG)
        return c->usb_action[dtr][rts] == USB_RESET || c->usb_action[dtr][rts] == USB_SET_FLAG;
    return circuit_en(c, dtr, rts) == DRIVE_LOW || circuit_io0(c, dtr, rts) == DRIVE_LOW;
}

/* The lines as the bridge now holds them, and what the client asks of the
 * chip with them. A reset starts when the lines pull EN low (enter the
 * USB reset state) from a state that held no reset sequence open: what it
 * wants is judged from there on, not from the lines before (pyserial's
 * open raises DTR before RTS). It wants download when the lines pull IO0
 * low (on USB-Serial/JTAG: the download flag set when the chip enters
 * reset, carried from an earlier attempt or not, or set after it). */
static void track_lines(struct serve *s, int dtr, int rts)
{
    int was_dtr = s->line_dtr, was_rts = s->line_rts;
    if (dtr >= 0)
        s->line_dtr = dtr;
    if (rts >= 0)
        s->line_rts = rts;
    const struct circuit *c = s->o.board->circuit;
    int was_open = mid_reset(c, was_dtr, was_rts);
    if (c->kind == CIRCUIT_USB_JTAG) {
        enum usb_action a = (enum usb_action)c->usb_action[s->line_dtr][s->line_rts];
        if (a == USB_RESET && c->usb_action[was_dtr][was_rts] != USB_RESET && !was_open)
            s->at.wants_download = s->usb_flag;
        s->at.wants_download |= a == USB_SET_FLAG;
        s->at.wants_reset |= a == USB_RESET;
        if (a == USB_SET_FLAG || a == USB_CLEAR_FLAG)
            s->usb_flag = a == USB_SET_FLAG;
    } else {
        int en_low = circuit_en(c, s->line_dtr, s->line_rts) == DRIVE_LOW;
        if (en_low && !was_open)
            s->at.wants_download = 0;
        s->at.wants_download |= circuit_io0(c, s->line_dtr, s->line_rts) == DRIVE_LOW;
        s->at.wants_reset |= en_low;
    }
}

void serve_board_record_op(struct serve *s, const char *label, int64_t arrived, int64_t before, int64_t after,
                           int is_port_op)
{
    if (s->at.peer[0] == '\0' && s->owner.fd >= 0) {
        snprintf(s->at.peer, sizeof s->at.peer, "%s", s->owner.peer);
        s->at.connected_mono_ns = s->owner.since_ns;
    }
    attempt_add_op(&s->at, label, arrived, before, after, is_port_op);
    s->dirty = 1;
}

/* Quiet enough to end an attempt between two of a tool's steps: nothing
 * due, the chip's last bytes out, no reset held; EN may still be settling
 * towards VDD (a few τ after a release the chip has long been running:
 * the next epoch starts it at VDD, a difference of microseconds in when a
 * later reset pulls it under V_IL). */
static int chip_quiet(struct serve *s, int64_t v)
{
    if (s->dirty)
        serve_board_resimulate(s);
    return s->n_answers == 0 && v >= sim_quiet_ns(s->w) && v >= s->absorb_until_v &&
           !mid_reset(s->o.board->circuit, s->line_dtr, s->line_rts);
}

/* Another tool's session is another attempt, however soon it starts
 * (esptool's next command opens the port ~0.1-0.3 s after the last one
 * closed it, under --attempt-gap-ms): the last one's hard reset is judged
 * on its own. Decided at the new client's first change, not at its
 * connect: the last client's reset may still be settling then. */
static void split_at_new_clients_first_op(struct serve *s, int64_t v)
{
    if (!s->new_client)
        return;
    s->new_client = 0;
    if (s->at.n_ops > 0 && chip_quiet(s, v))
        serve_board_close_attempt(s, NULL);
}

/* One line change as the server's host makes it: the request starts when
 * the host is free, and is answered when the bridge has applied it. */
int64_t serve_board_apply_change(struct serve *s, int dtr, int rts, const char *label, int is_port_op, int64_t v)
{
    split_at_new_clients_first_op(s, v);
    sim_advance_to(s->w, v);
    int64_t before = sim_now_ns(s->w);
    sim_set_lines(s->w, dtr, rts);
    track_lines(s, dtr, rts);
    serve_board_record_op(s, label, v, before, sim_now_ns(s->w), is_port_op);
    return sim_now_ns(s->w);
}

int64_t serve_board_requests(struct serve *s, int n, int64_t v)
{
    sim_advance_to(s->w, v);
    for (int i = 0; i < n; i++)
        sim_set_lines(s->w, -1, -1); /* one request that moves no line (a TIOCMGET) */
    return sim_now_ns(s->w);
}

int64_t serve_board_port_open_close(struct serve *s, int open, int64_t v)
{
    split_at_new_clients_first_op(s, v);
    const struct os_behaviour *os = &s->o.board->bridge->os[s->o.host->os];
    const struct op_seq *seq = open ? &os->open : &os->close;
    if (open && !s->opened_before && os->first_open.n > 0)
        seq = &os->first_open;
    sim_advance_to(s->w, v);
    int64_t before = sim_now_ns(s->w);
    if ((open ? sim_open(s->w, 0) : sim_close(s->w)) != 0)
        return before;
    s->opened_before |= open;
    int d = s->line_dtr, r = s->line_rts;
    for (int i = 0; i < seq->n; i++) {
        if (seq->ops[i].kind == OP_DTR || seq->ops[i].kind == OP_BOTH)
            d = seq->ops[i].dtr;
        if (seq->ops[i].kind == OP_RTS || seq->ops[i].kind == OP_BOTH)
            r = seq->ops[i].rts;
    }
    track_lines(s, d, r);
    s->client_dtr = d;
    s->client_rts = r;
    serve_board_record_op(s, open ? "O" : "C", v, before, sim_now_ns(s->w), 1);
    return sim_now_ns(s->w);
}

int64_t serve_board_play(struct serve *s, const struct op_seq *seq, int64_t v)
{
    int last = -1;
    for (int i = 0; i < seq->n; i++)
        if (seq->ops[i].kind <= OP_BOTH)
            last = i;
    sim_advance_to(s->w, v);
    for (int i = 0; i <= last; i++) {
        const struct op *op = &seq->ops[i];
        char label[16];
        if (op->kind == OP_WAIT) {
            sim_sleep(s->w, op->wait_s);
            continue;
        }
        if (op->kind > OP_BOTH)
            continue;
        int d = op->kind == OP_RTS ? -1 : op->dtr, r = op->kind == OP_DTR ? -1 : op->rts;
        if (op->kind == OP_BOTH)
            snprintf(label, sizeof label, "U%d,%d", d, r);
        else
            snprintf(label, sizeof label, "%c%d", op->kind == OP_DTR ? 'D' : 'R', op->kind == OP_DTR ? d : r);
        int64_t before = sim_now_ns(s->w);
        sim_set_lines(s->w, d, r);
        track_lines(s, d, r);
        serve_board_record_op(s, label, v, before, sim_now_ns(s->w), 0);
    }
    return sim_now_ns(s->w);
}

/* --reset-replay: the scenario's line changes and waits, run here. */
int64_t serve_board_replay_reset(struct serve *s, int64_t v)
{
    s->at.replays++;
    return serve_board_play(s, &s->o.replay->seq[s->o.host->os], v);
}

/* An epoch that cannot take more ends here, at rest or not (noted). */
void serve_board_make_room(struct serve *s)
{
    if (sim_epoch_full(s->w) || attempt_full(&s->at))
        serve_board_close_attempt(s, "cut: too many line changes or writes before the board came to rest");
}

/* The board at rest: nothing due, no reset sequence held open by the
 * lines; the epoch can end. */
int serve_board_at_rest(struct serve *s, int64_t v)
{
    if (s->dirty)
        serve_board_resimulate(s);
    return s->n_answers == 0 && v >= sim_rest_ns(s->w) && v >= s->absorb_until_v &&
           !mid_reset(s->o.board->circuit, s->line_dtr, s->line_rts);
}

int serve_board_sequence_open(const struct serve *s)
{
    return mid_reset(s->o.board->circuit, s->line_dtr, s->line_rts);
}

int64_t serve_board_last_activity(const struct serve *s)
{
    int64_t t = s->last_activity_v > s->last_line_v ? s->last_activity_v : s->last_line_v;
    return t > s->last_traffic_v ? t : s->last_traffic_v;
}

void serve_board_split_before_command(struct serve *s)
{
    int64_t v = serve_now_v(s);
    /* a tool that talked to the chip since its reset is between two steps:
     * the reset is over although EN is still settling */
    if (s->at.n_line_ops == 0 || !(s->at.talked ? chip_quiet(s, v) : serve_board_at_rest(s, v)))
        return;
    /* last_activity_v already holds this command (serve.c): the quiet is
     * the lines' and the traffic's */
    int64_t last = s->last_line_v > s->last_traffic_v ? s->last_line_v : s->last_traffic_v;
    if (s->at.talked || v - last >= (int64_t)(s->o.attempt_gap_ms * 1e6))
        serve_board_close_attempt(s, NULL);
}

void serve_board_split_for_new_client(struct serve *s)
{
    s->new_client = 1;
}

int serve_board_epoch_active(const struct serve *s)
{
    return s->at.n_ops > 0 || s->at.frames > 0 || s->at.n_absorbed > 0;
}
