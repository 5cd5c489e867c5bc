/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve`'s answers to the client: its RFC 2217 commands (line
 * changes to the board, settings, signature, purge), each answered when
 * due, and its data, SLIP frames to the chip's RX.
 * May call: harness/port (the RFC 2217 codec, the monotonic clock),
 * analyzers/ (SLIP), sim/ (the world's RX), serve_board.c, libc. */
#include <stdio.h>
#include <string.h>

#include "analyzers/slip.h"
#include "harness/port/port_rfc2217_codec.h"
#include "harness/port/port_serial.h"
#include "sim/world.h"
#include "serve_internal.h"

/* ---- answers ------------------------------------------------------------- */

void serve_commands_queue_answer(struct serve *s, const uint8_t *b, size_t n, int64_t due_v)
{
    /* a full queue never comes here: the owner's input waits while it is
     * full (serve.c, parse_owner) */
    if (s->n_answers >= MAX_ANSWERS || s->owner.fd < 0 || n > ANSWER_MAX)
        return;
    struct answer *a = &s->answers[s->n_answers++];
    /* in the order the commands came */
    int64_t prev = s->n_answers > 1 ? s->answers[s->n_answers - 2].due_v : INT64_MIN;
    a->due_v = due_v > prev ? due_v : prev;
    memcpy(a->b, b, n);
    a->n = n;
}

static void answer_at(struct serve *s, int command, uint32_t value, size_t len, int64_t due_v)
{
    uint8_t v[4], b[ANSWER_MAX];
    for (size_t i = 0; i < len; i++)
        v[i] = (uint8_t)(value >> (8 * (len - 1 - i)));
    serve_commands_queue_answer(s, b, r2217_encode_answer(command, v, len, b, sizeof b), due_v);
}

void serve_commands_send_due_answers(struct serve *s, int64_t v)
{
    int k = 0;
    while (k < s->n_answers && s->answers[k].due_v <= v) {
        serve_conn_queue(&s->owner, s->answers[k].b, s->answers[k].n);
        k++;
    }
    memmove(s->answers, s->answers + k, (size_t)(s->n_answers - k) * sizeof *s->answers);
    s->n_answers -= k;
}

/* --bridge (one client, ser2net): what the bridge's table says a
 * SET-CONTROL does, its serial requests before the line moves and before
 * the answer, and the answer only if the bridge sends one. */
static void bridge_line_command(struct serve *s, uint32_t value, int64_t v)
{
    const struct net_bridge *b = s->o.bridge;
    static const enum net_cmd by_value[] = {NET_DTR_ON, NET_DTR_OFF, NET_CMD_COUNT, NET_RTS_ON, NET_RTS_OFF};
    const struct net_command *c = &b->cmd[by_value[value - R2217_DTR_ON]];
    int64_t done = v;
    if (c->drives >= 0) {
        char label[16];
        snprintf(label, sizeof label, "%c%d", c->drives == 0 ? 'D' : 'R', c->level);
        int64_t t = serve_board_requests(s, b->requests_per_line > 0 ? b->requests_per_line - 1 : 0, v);
        done = serve_board_apply_change(s, c->drives == 0 ? c->level : -1, c->drives == 1 ? c->level : -1, label, 0, t);
        done = serve_board_requests(s, b->requests_per_answer, done);
    }
    if (c->answers)
        answer_at(s, R2217_SET_CONTROL, value, 1, done);
}

static void on_line_command(struct serve *s, uint32_t value)
{
    int64_t v = serve_now_v(s);
    s->last_line_v = v;
    s->owner.active_ns = serial_now_ns();
    int is_dtr = value == R2217_DTR_ON || value == R2217_DTR_OFF;
    int on = value == R2217_DTR_ON || value == R2217_RTS_ON;
    char label[16];
    snprintf(label, sizeof label, "%c%d", is_dtr ? 'D' : 'R', on);
    int starts_reset = s->o.replay && is_dtr && on && !s->client_dtr && s->client_rts && v >= s->absorb_until_v;
    if (is_dtr)
        s->client_dtr = on;
    else
        s->client_rts = on;
    if (s->o.bridge != NULL) {
        bridge_line_command(s, value, v);
    } else if (starts_reset) {
        attempt_add_absorbed(&s->at, label, v, 1);
        s->absorb_until_v = serve_board_replay_reset(s, v);
        answer_at(s, R2217_SET_CONTROL, value, 1, v);
    } else if (v < s->absorb_until_v) {
        attempt_add_absorbed(&s->at, label, v, 0);
        answer_at(s, R2217_SET_CONTROL, value, 1, v);
    } else {
        int64_t done = serve_board_apply_change(s, is_dtr ? on : -1, is_dtr ? -1 : on, label, 0, v);
        answer_at(s, R2217_SET_CONTROL, value, 1, done);
    }
}

static void on_set_control(struct serve *s, uint32_t value)
{
    int64_t v = serve_now_v(s);
    switch (value) {
    case R2217_DTR_ON:
    case R2217_DTR_OFF:
    case R2217_RTS_ON:
    case R2217_RTS_OFF:
        return on_line_command(s, value);
    case R2217_FLOW_REQUEST:
        return answer_at(s, R2217_SET_CONTROL, R2217_FLOW_NONE, 1, v);
    case R2217_DTR_REQUEST:
        return answer_at(s, R2217_SET_CONTROL, s->client_dtr ? R2217_DTR_ON : R2217_DTR_OFF, 1, v);
    case R2217_RTS_REQUEST:
        return answer_at(s, R2217_SET_CONTROL, s->client_rts ? R2217_RTS_ON : R2217_RTS_OFF, 1, v);
    default: /* flow control and BREAK: accepted; the board has no use for them */
        return answer_at(s, R2217_SET_CONTROL, value, 1, v);
    }
}

/* A setting: 0 asks for the current value, anything else sets it. */
static void on_setting(struct serve *s, int command, uint32_t *slot, uint32_t value, size_t len)
{
    if (value != 0)
        *slot = value;
    if (s->o.bridge != NULL && !s->o.bridge->answers_settings)
        return;
    answer_at(s, command, *slot, len, serve_now_v(s));
}

void serve_commands_on_command(struct serve *s, const struct r2217_event *ev)
{
    int64_t v = serve_now_v(s);
    switch (ev->command) {
    case R2217_SIGNATURE:
        if (ev->value_len == 0) { /* a request for ours */
            char text[160];
            int n = snprintf(text, sizeof text, "resetlab serve %s on %s", s->o.board->name, s->o.host->name);
            uint8_t b[200];
            size_t k = r2217_encode_command(R2217_SIGNATURE + R2217_SERVER_OFFSET, (const uint8_t *)text,
                                            (size_t)n, b, sizeof b);
            serve_conn_queue(&s->owner, b, k);
        }
        return;
    case R2217_SET_BAUDRATE:
        /* the host's UART now runs at this rate (a chip at another reads garbage) */
        if (ev->value != 0)
            sim_set_host_baud(s->w, ev->value);
        return on_setting(s, ev->command, &s->baud, ev->value, 4);
    case R2217_SET_DATASIZE:
        return on_setting(s, ev->command, &s->datasize, ev->value, 1);
    case R2217_SET_PARITY:
        return on_setting(s, ev->command, &s->parity, ev->value, 1);
    case R2217_SET_STOPSIZE:
        return on_setting(s, ev->command, &s->stopsize, ev->value, 1);
    case R2217_SET_CONTROL:
        return on_set_control(s, ev->value);
    case R2217_SET_LINESTATE_MASK:
        s->linestate_mask = ev->value;
        return answer_at(s, ev->command, ev->value, 1, v);
    case R2217_SET_MODEMSTATE_MASK:
        s->modemstate_mask = ev->value;
        return answer_at(s, ev->command, ev->value, 1, v);
    case R2217_FLOWCONTROL_SUSPEND:
    case R2217_FLOWCONTROL_RESUME:
        return answer_at(s, ev->command, 0, 0, v);
    case R2217_PURGE_DATA:
        /* Nothing waits in our buffers: bytes go out as the board sends
         * them. A half-received frame from the client is dropped. */
        if (ev->value & R2217_PURGE_TX)
            s->frame_len = 0, s->in_frame = 0;
        return answer_at(s, ev->command, ev->value, 1, v);
    default: /* NOTIFY-LINESTATE / -MODEMSTATE are the server's to send */
        return;
    }
}

/* ---- data from the client: SLIP frames to the chip's RX ------------------- */

/* A frame as esptool sends one: a request's direction byte and at least
 * its 8-byte header (frames past FRAME_MAX are cut, so not its length). */
static int is_request(const struct serve *s)
{
    return s->frame_len >= 2 + ESP_HEADER_LEN && s->frame[1] == ESP_DIR_REQUEST;
}

static void submit_frame(struct serve *s)
{
    serve_board_make_room(s);
    if (is_request(s))
        s->owner.active_ns = serial_now_ns();
    int64_t v = serve_now_v(s), start = v > s->rx_free_v ? v : s->rx_free_v;
    int64_t arrived = sim_receive(s->w, start, s->frame, s->frame_len);
    if (arrived < 0)
        return;
    s->rx_free_v = arrived;
    s->at.frames++;
    s->at.last_frame_v = s->last_traffic_v = v;
    s->at.talked |= s->at.wants_reset;
    s->dirty = 1;
    /* A SYNC is the attempt's probe, as an S op is a scenario's: the
     * analysis then says whether the ROM answered it. */
    int is_sync = s->frame_len > 3 && s->frame[1] == 0x00 && s->frame[2] == ESP_SYNC;
    size_t n = s->at.n_ops;
    if (is_sync && (n == 0 || strcmp(s->at.rb->log[n - 1].label, "S") != 0))
        serve_board_record_op(s, "S", v, v, arrived, 0);
}

void serve_commands_on_data(struct serve *s, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i] == SLIP_END) {
            if (s->in_frame && s->frame_len > 1) {
                s->frame[s->frame_len++] = SLIP_END;
                if (s->frame_cut && !s->cut_logged) {
                    char what[120];
                    snprintf(what, sizeof what, "a SLIP frame over %d bytes was cut there (the chip answers it as malformed)",
                             FRAME_MAX);
                    serve_log_event(s->log, NULL, what, s->owner.peer);
                    s->cut_logged = 1;
                }
                s->frame_cut = 0;
                submit_frame(s);
                s->in_frame = 0;
                s->frame_len = 0;
            } else {
                s->in_frame = 1;
                s->frame[0] = SLIP_END;
                s->frame_len = 1;
            }
        } else if (s->in_frame && s->frame_len < FRAME_MAX - 1) {
            s->frame[s->frame_len++] = b[i];
        } else if (s->in_frame) {
            s->frame_cut = 1; /* the tail of an over-long frame is dropped */
        } /* junk between frames is dropped */
    }
}
