/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Network serial bridges (netbridge.h, docs/bridges.md): the client's
 * waits, the link's latency and the server's handling of each command, in
 * the world's virtual time. Nothing here knows a bridge by name: what a
 * SET-CONTROL does, whether it is answered, the replays and the sniff
 * rules are boards.yaml's net_bridges:, the waits its net_clients:.
 *
 * The server's serial side does one thing at a time (a USB device's
 * control requests are serialized), so its line changes are appended in
 * time order even when a replay runs on while the client goes on.
 * May call: analyzers/ (the circuit), libc. */
#include "netbridge.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rng.h"
#include "world_internal.h"

static int64_t draw_ns(struct rng *r, const struct latency *l)
{
    double ms = l->floor_ms;
    if (l->median_ms > l->floor_ms)
        ms += (l->median_ms - l->floor_ms) * exp(l->sigma * rng_normal(r));
    if (l->spike_p > 0 && rng_uniform(r) < l->spike_p)
        ms += l->spike_ms * (0.5 + rng_uniform(r));
    return (int64_t)llround(ms * 1e6);
}

static const struct net_path *path(const struct sim_world *w)
{
    return &w->host->net;
}

/* -------------------------------------------------------- pure parts -- */

enum net_mode netbridge_sniff(const struct net_bridge *b, const uint8_t *seg, size_t n)
{
    if (b->n_sniff == 0)
        return NET_MODE_RFC2217;
    for (int i = 0; i < b->n_sniff; i++) {
        const struct net_sniff *r = &b->sniff[i];
        size_t k = (size_t)r->n;
        if ((r->prefix ? n >= k : n == k) && memcmp(seg, r->bytes, k) == 0)
            return r->mode;
    }
    return NET_MODE_TRANSPARENT;
}

int64_t netbridge_poll_return(int64_t t0, int64_t t_answer, double poll_ms, int64_t overshoot_ns)
{
    if (poll_ms <= 0)
        return t_answer > t0 ? t_answer : t0;
    int64_t step = (int64_t)llround(poll_ms * 1e6) + overshoot_ns, t = t0;
    do /* sleep first, then look (rfc2217.py TelnetSubnegotiation.wait) */
        t += step;
    while (t < t_answer);
    return t;
}

void netbridge_batches(const int64_t *t, size_t n, int fifo_full, double timeout_chars, double byte_ns, int64_t *out)
{
    int64_t timeout = (int64_t)llround(timeout_chars * byte_ns);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (fifo_full <= 0) {
            out[i] = t[i];
            continue;
        }
        int full = (int)(i - start + 1) >= fifo_full;
        int gap = i + 1 == n || t[i + 1] - t[i] > timeout;
        if (!full && !gap)
            continue;
        int64_t leave = full ? t[i] : t[i] + timeout;
        for (size_t k = start; k <= i; k++)
            out[k] = leave;
        start = i + 1;
    }
}

/* ------------------------------------------------------ the server -- */

/* One board-side line change by the server at t (after its serial
 * requests); returns when it is done. */
static int64_t server_line(struct sim_world *w, int64_t t, int line, int level, int requests)
{
    for (int i = 0; i < requests; i++)
        t += draw_ns(&w->rng, &w->host->request);
    if (line == 0)
        w->net.dtr = (uint8_t)level;
    else
        w->net.rts = (uint8_t)level;
    if (w->n_changes >= MAX_CHANGES)
        w->overflow = 1;
    else
        w->changes[w->n_changes++] = (struct line_change){t, w->net.dtr, w->net.rts};
    return t;
}

/* The server plays a sequence on its own port from t (its OS: both lines
 * of a U in one request). Returns when it ends. */
static int64_t server_play(struct sim_world *w, int64_t t, const struct op_seq *seq)
{
    int req = path(w)->bridge->requests_per_line;
    for (int i = 0; i < seq->n; i++) {
        const struct op *op = &seq->ops[i];
        if (op->kind == OP_DTR)
            t = server_line(w, t, 0, op->dtr, req);
        else if (op->kind == OP_RTS)
            t = server_line(w, t, 1, op->rts, req);
        else if (op->kind == OP_BOTH) {
            w->net.dtr = op->dtr; /* one TIOCMSET: both move together */
            t = server_line(w, t, 1, op->rts, req);
        } else if (op->kind == OP_WAIT)
            t += (int64_t)llround(op->wait_s * 1e9) + draw_ns(&w->rng, &w->host->overshoot);
    }
    return t;
}

static int64_t server_start(const struct sim_world *w, int64_t t_arrive)
{
    return t_arrive > w->net.srv_free_ns ? t_arrive : w->net.srv_free_ns;
}

/* A SET-CONTROL arrives at t: what the server does. Returns when its
 * answer leaves, or -1 when it answers nothing. */
static int64_t server_command(struct sim_world *w, enum net_cmd k, int64_t t_arrive)
{
    const struct net_bridge *b = path(w)->bridge;
    const struct net_command *c = &b->cmd[k];
    if (w->net.mode != NET_MODE_RFC2217 && w->net.mode != NET_MODE_TELNET)
        return -1; /* transparent or programming: the bytes are data for the UART */
    int64_t t = server_start(w, t_arrive);
    if (c->unless_armed && w->net.armed) {
        /* ignored (esp_rfc2217_server's "the rest of the reset sequence") */
    } else if (c->replay.n > 0) {
        w->net.srv_free_ns = server_play(w, t, &c->replay); /* a thread: the handler returns now */
        if (c->arms)
            w->net.armed = 1;
    } else if (c->drives >= 0) {
        t = server_line(w, t, c->drives, c->level, b->requests_per_line);
        w->net.srv_free_ns = t;
    }
    if (c->disarms)
        w->net.armed = 0;
    if (!c->answers)
        return -1;
    for (int i = 0; i < b->requests_per_answer; i++)
        t += draw_ns(&w->rng, &w->host->request);
    if (t > w->net.srv_free_ns)
        w->net.srv_free_ns = t;
    return t;
}

/* ------------------------------------------------------ the client -- */

static int give_up(struct sim_world *w, int64_t t0)
{
    w->t_ns = t0 + (int64_t)llround(w->net.client->timeout_ms * 1e6);
    w->net.dead = 1; /* the library raised: the tool stops using the port */
    return 0;
}

/* The client waits for an answer leaving the server at t_answer (-1:
 * none) to a request it sent at t0. */
static int client_wait(struct sim_world *w, int64_t t0, int64_t t_answer, int is_control)
{
    const struct net_client *c = w->net.client;
    int64_t over = draw_ns(&w->rng, &w->host->overshoot);
    if (is_control && path(w)->ign_set_control && c->no_answer_sleep_ms > 0) {
        w->t_ns = t0 + (int64_t)llround(c->no_answer_sleep_ms * 1e6) + over;
        return 0;
    }
    if (t_answer < 0)
        return give_up(w, t0);
    int64_t back = t_answer + draw_ns(&w->rng, &path(w)->link->one_way);
    if ((double)(back - t0) > c->timeout_ms * 1e6)
        return give_up(w, t0);
    w->t_ns = netbridge_poll_return(t0, back, c->poll_ms, over);
    return 0;
}

/* The first segment decides esp-link's mode; a programming connection
 * pulses the target's reset and holds its ISP pin. */
static void first_segment(struct sim_world *w, const uint8_t *seg, size_t n, int64_t t_arrive)
{
    const struct net_path *np = path(w);
    w->net.seen_data = 1;
    w->net.mode = np->program_port ? NET_MODE_PROGRAM : netbridge_sniff(np->bridge, seg, n);
    if (w->net.mode == NET_MODE_PROGRAM)
        w->net.srv_free_ns = server_play(w, server_start(w, t_arrive), &np->bridge->program_enter);
}

void netbridge_reset(struct sim_world *w)
{
    const struct net_path *np = &w->host->net;
    w->net = (struct net_state){.client = np->client ? np->client : np->default_client};
}

void netbridge_set_client(struct sim_world *w, const struct net_client *c)
{
    if (c != NULL && w->host->net.client == NULL)
        w->net.client = c;
}

const struct circuit *netbridge_circuit(const struct sim_world *w)
{
    const struct net_path *np = &w->host->net;
    return np->bridge && np->bridge->circuit ? np->bridge->circuit : w->board->real.circuit;
}

int netbridge_open(struct sim_world *w)
{
    const struct net_path *np = path(w);
    const struct net_client *c = w->net.client;
    int64_t t0 = w->t_ns, up = draw_ns(&w->rng, &np->link->one_way);
    w->net.connected = 1;
    w->net.dead = 0;
    w->net.seen_data = 0;
    w->net.mode = np->bridge->n_sniff > 0 ? NET_MODE_TRANSPARENT : NET_MODE_RFC2217; /* until the first segment */
    w->net.srv_free_ns = server_play(w, server_start(w, t0 + up), &np->bridge->on_connect);
    if (c->n_hello > 0)
        first_segment(w, c->hello, (size_t)c->n_hello, t0 + up);
    /* the negotiations: each a round trip, waited for as the client waits */
    for (int i = 0; i < c->open_round_trips && !w->net.dead; i++) {
        int64_t t = w->t_ns;
        client_wait(w, t, t + draw_ns(&w->rng, &np->link->one_way), 0);
    }
    if (c->open_settings && !w->net.dead) {
        int64_t t = w->t_ns;
        client_wait(w, t, np->bridge->answers_settings ? t + draw_ns(&w->rng, &np->link->one_way) : -1, 0);
    }
    if (c->open_control && !w->net.dead) {
        int64_t t = w->t_ns;
        client_wait(w, t, np->bridge->answers_other_control ? t + draw_ns(&w->rng, &np->link->one_way) : -1, 1);
    }
    return 0;
}

int netbridge_close(struct sim_world *w)
{
    const struct net_path *np = path(w);
    int64_t t = w->t_ns + draw_ns(&w->rng, &np->link->one_way);
    if (w->net.mode == NET_MODE_PROGRAM)
        t = server_play(w, server_start(w, t), &np->bridge->program_leave);
    w->net.srv_free_ns = server_play(w, server_start(w, t), &np->bridge->on_disconnect);
    w->net.connected = 0;
    w->t_ns += (int64_t)llround(w->net.client->close_sleep_ms * 1e6);
    return 0;
}

/* One SET-CONTROL: sent, handled, waited for. */
static void one_command(struct sim_world *w, enum net_cmd k)
{
    int64_t t0 = w->t_ns;
    int64_t answer = server_command(w, k, t0 + draw_ns(&w->rng, &path(w)->link->one_way));
    client_wait(w, t0, answer, 1);
}

int netbridge_set_lines(struct sim_world *w, int dtr, int rts)
{
    const struct net_client *c = w->net.client;
    if (dtr >= 0)
        w->dtr = (uint8_t)(dtr != 0);
    if (rts >= 0)
        w->rts = (uint8_t)(rts != 0);
    if (!c->has_lines || w->net.dead)
        return 0; /* socket:// ignores the lines; a failed client sends nothing */
    enum net_cmd kd = dtr > 0 ? NET_DTR_ON : NET_DTR_OFF, kr = rts > 0 ? NET_RTS_ON : NET_RTS_OFF;
    if (dtr >= 0 && rts >= 0 && c->pair_in_one_send) {
        /* both commands in one segment, then both answers waited for */
        int64_t t0 = w->t_ns, arrive = t0 + draw_ns(&w->rng, &path(w)->link->one_way);
        int64_t a1 = server_command(w, kd, arrive), a2 = server_command(w, kr, arrive);
        client_wait(w, t0, a1 < 0 || a2 < 0 ? -1 : (a1 > a2 ? a1 : a2), 1);
        return 0;
    }
    if (dtr >= 0)
        one_command(w, kd);
    if (rts >= 0 && !w->net.dead)
        one_command(w, kr);
    return 0;
}

int64_t netbridge_write(struct sim_world *w, const uint8_t *bytes, size_t n)
{
    if (w->net.dead)
        return -1;
    int64_t arrive = w->t_ns + draw_ns(&w->rng, &path(w)->link->one_way);
    if (!w->net.seen_data) {
        first_segment(w, bytes, n, arrive);
        if (w->net.mode == NET_MODE_PROGRAM)
            return -1; /* the sniffed segment is not passed on (serbridgeRecvCb returns) */
    }
    return arrive;
}

int64_t netbridge_arrival(const struct sim_world *w, int64_t t_ns)
{
    const struct net_path *np = &w->host->net;
    double byte_ns = board_byte_ns(w->board);
    double batch = np->bridge->uart_fifo_full > 0 ? np->bridge->uart_timeout_chars * byte_ns : 0;
    return t_ns + (int64_t)llround(np->link->one_way.median_ms * 1e6 + batch);
}
