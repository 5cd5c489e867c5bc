/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual lab: host and bridge model (line changes in virtual time),
 * then board, chip and virtual analyzer over those changes. Every constant
 * comes from the profiles loaded from boards.yaml. Here: the world's
 * lifecycle, the host model, real time (serve's epochs) and sim_finish;
 * the board and chip are in world_physics.c, the analyzer in
 * world_analyzer.c.
 * May call: analyzers/ (the trace, the circuit), libc. A USB-OTG board's
 * port off the bus: world_usb.c. */
#include "world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netbridge.h"
#include "rng.h"
#include "world_internal.h"

/* A pool of `start` bytes, every page touched (see sim_world_new). */
static int pool_init(struct byte_pool *p, size_t start, size_t max)
{
    *p = (struct byte_pool){.b = calloc(1, start), .cap = start, .max = max};
    return p->b ? 0 : -1;
}

/* Room for n more bytes, growing up to the pool's max: 0, or -1. */
static int pool_reserve(struct byte_pool *p, size_t n)
{
    if (n > p->max || p->len > p->max - n)
        return -1;
    if (p->len + n <= p->cap)
        return 0;
    size_t cap = p->cap;
    while (cap < p->len + n)
        cap = cap * 2 < p->max ? cap * 2 : p->max;
    uint8_t *b = realloc(p->b, cap);
    if (b == NULL)
        return -1;
    p->b = b;
    p->cap = cap;
    return 0;
}

struct sim_world *sim_world_new(void)
{
    struct sim_world *w = calloc(1, sizeof(struct sim_world));
    if (w == NULL)
        return NULL;
    if ((w->stub = stub_new()) == NULL || pool_init(&w->wpool, POOL_START, WRITE_POOL_MAX) != 0 ||
        pool_init(&w->rpool, POOL_START, REPLY_POOL_MAX) != 0) {
        sim_world_free(w);
        return NULL;
    }
    /* every page touched now: the world's memory does not grow with the
     * first long run (a tool's attempts fill its UART and peek buffers) */
    volatile unsigned char *bytes = (volatile unsigned char *)w;
    for (size_t at = 0; at < sizeof *w; at += 4096)
        bytes[at] = 0;
    struct rng r;
    rng_seed(&r, 0x6e6f697365ull); /* "noise": the same table in every world */
    for (int i = 0; i < NOISE_TABLE; i++)
        w->normal[i] = (float)rng_normal(&r);
    return w;
}

void sim_world_free(struct sim_world *w)
{
    if (w == NULL)
        return;
    rom_state_reset(&w->rom); /* frees what the chip's state holds */
    stub_free(w->stub);
    free(w->wpool.b);
    free(w->rpool.b);
    free(w);
}

void sim_world_reset(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     uint64_t seed)
{
    w->board = b;
    w->host = h;
    rng_seed(&w->rng, seed);
    w->seed = seed;
    w->t_ns = 0;
    w->open = 0;
    w->powered_up = 0;
    w->dtr = w->rts = 0; /* a closed port leaves both lines deasserted (pins high) */
    w->start = (struct start_state){.chip = {.below_since = NAN}, .mode = BOOT_FLASH}; /* powered: its app runs */
    world_usb_start(w, NAN);
    w->n_changes = 0;
    w->n_writes = w->n_answered = 0;
    w->wpool.len = w->rpool.len = 0;
    w->host_baud = 0;
    rom_state_reset(&w->rom);
    stub_reset(w->stub);
    w->epoch = 1;
    w->rom_boot_epoch = 0; /* no boot yet: the first answer starts one */
    w->tx_free_ns = 0;
    w->overflow = 0;
    w->error[0] = '\0';
    w->peek.valid = 0;
    w->read_from_ns = 0;
    w->boot_memo.n = 0;
    if (h != NULL && h->net.bridge != NULL)
        netbridge_reset(w);
}

void sim_set_net_client(struct sim_world *w, const struct net_client *c)
{
    if (w->host->net.bridge != NULL)
        netbridge_set_client(w, c);
}

void sim_set_host_baud(struct sim_world *w, uint32_t baud)
{
    w->host_baud = baud;
}

void sim_attach_flash(struct sim_world *w, struct sim_flash *f)
{
    w->flash = f;
}

int64_t sim_now_ns(const struct sim_world *w)
{
    return w->t_ns;
}

const char *sim_error(const struct sim_world *w)
{
    return w->error;
}

/* ---------------------------------------------------------------- host -- */

static int64_t draw_latency_ns(struct rng *r, const struct latency *l)
{
    double ms = l->floor_ms;
    if (l->median_ms > l->floor_ms)
        ms += (l->median_ms - l->floor_ms) * exp(l->sigma * rng_normal(r));
    if (l->spike_p > 0 && rng_uniform(r) < l->spike_p)
        ms += l->spike_ms * (0.5 + rng_uniform(r));
    return (int64_t)llround(ms * 1e6);
}

/* One USB request: it takes its latency, the bridge applies the new line
 * state when it completes, and the call returns then; -1 when a USB-OTG
 * port left the bus meanwhile. */
static int bridge_request(struct sim_world *w, uint8_t dtr, uint8_t rts)
{
    w->t_ns += draw_latency_ns(&w->rng, &w->host->request);
    if (world_usb_dead(w, "set"))
        return -1;
    world_usb_packet(w, (double)w->t_ns, dtr, rts);
    w->dtr = dtr;
    w->rts = rts;
    if (w->n_changes >= MAX_CHANGES) {
        w->overflow = 1;
        return 0;
    }
    w->changes[w->n_changes++] = (struct line_change){w->t_ns, dtr, rts};
    return 0;
}

static int fail(struct sim_world *w, const char *why)
{
    snprintf(w->error, sizeof w->error, "%s", why);
    return -1;
}

int sim_set_lines(struct sim_world *w, int dtr, int rts)
{
    if (!w->open)
        return fail(w, "port is not open");
    if (w->host->net.bridge != NULL)
        return netbridge_set_lines(w, dtr, rts);
    if (world_usb_dead(w, "set"))
        return -1;
    uint8_t d = dtr < 0 ? w->dtr : (uint8_t)(dtr != 0);
    uint8_t r = rts < 0 ? w->rts : (uint8_t)(rts != 0);
    int one_request = w->board->bridge->both_lines_one_request && !w->host->split_both_lines;
    if (dtr >= 0 && rts >= 0 && !one_request && bridge_request(w, d, w->rts) != 0) /* DTR first, then RTS */
        return -1;
    return bridge_request(w, d, r);
}

int sim_sleep(struct sim_world *w, double seconds)
{
    w->usb.lost = 0;
    if (!(seconds >= 0))
        return fail(w, "negative wait");
    w->t_ns += (int64_t)llround(seconds * 1e9) + draw_latency_ns(&w->rng, &w->host->overshoot);
    return 0;
}

/* The host's write takes its bytes' time on the wire (8N1 at the host's
 * rate; a chip's own USB serial at its USB rate); the call returns when
 * they are out. */
static int64_t queue_write(struct sim_world *w, int64_t t_start_ns, const uint8_t *bytes, size_t n)
{
    if (n > WRITE_MAX || w->n_writes >= MAX_WRITES || pool_reserve(&w->wpool, n) != 0) {
        fail(w, "too many or too long writes for the virtual UART");
        return -1;
    }
    struct host_write *hw = &w->writes[w->n_writes++];
    double byte_ns = board_byte_ns(w->board);
    if (w->host_baud > 0 && w->board->bridge->usb_bytes_per_s <= 0)
        byte_ns = 10.0 / w->host_baud * 1e9; /* 8N1: ten bits a byte */
    *hw = (struct host_write){.t_arrive_ns = t_start_ns + (int64_t)llround((double)n * byte_ns),
                              .off = (uint32_t)w->wpool.len, .n = (uint32_t)n, .host_baud = w->host_baud};
    if (n > 0)
        memcpy(w->wpool.b + w->wpool.len, bytes, n);
    w->wpool.len += n;
    return hw->t_arrive_ns;
}

int sim_write(struct sim_world *w, const uint8_t *bytes, size_t n)
{
    if (!w->open)
        return fail(w, "port is not open");
    if (w->host->net.bridge != NULL) { /* a socket's send returns at once; the bytes go on over the network */
        int64_t at = netbridge_write(w, bytes, n);
        return at < 0 || queue_write(w, at, bytes, n) >= 0 ? 0 : -1;
    }
    if (world_usb_dead(w, "write"))
        return -1;
    int64_t t = queue_write(w, w->t_ns, bytes, n);
    if (t < 0)
        return -1;
    w->t_ns = t;
    return 0;
}

/* ------------------------------------------------------------ real time -- */

void sim_advance_to(struct sim_world *w, int64_t t_ns)
{
    if (t_ns > w->t_ns)
        w->t_ns = t_ns;
}

int64_t sim_receive(struct sim_world *w, int64_t t_start_ns, const uint8_t *bytes, size_t n)
{
    return queue_write(w, t_start_ns, bytes, n);
}

int sim_epoch_full(const struct sim_world *w)
{
    return w->n_changes > MAX_CH_EDGES / 2 || w->n_writes >= MAX_WRITES ||
           w->wpool.len > WRITE_POOL_MAX - WRITE_MAX ||
           w->rpool.len + (size_t)(w->n_writes - w->n_answered + 1) * REPLY_MAX > EPOCH_REPLY_MAX;
}

/* What the OS does inside open() or close(): line requests and fixed waits. */
static void run_os_sequence(struct sim_world *w, const struct op_seq *seq)
{
    for (int i = 0; i < seq->n; i++) {
        const struct op *op = &seq->ops[i];
        if (op->kind == OP_DTR)
            sim_set_lines(w, op->dtr, -1);
        else if (op->kind == OP_RTS)
            sim_set_lines(w, -1, op->rts);
        else if (op->kind == OP_BOTH)
            sim_set_lines(w, op->dtr, op->rts);
        else if (op->kind == OP_WAIT)
            w->t_ns += (int64_t)llround(op->wait_s * 1e9);
    }
}

void sim_power_on(struct sim_world *w)
{
    w->powered_up = 1;
}

int sim_open(struct sim_world *w, int lowered)
{
    if (w->open)
        return fail(w, "port is already open");
    if (world_usb_open(w) != 0)
        return -1;
    w->open = 1;
    if (w->host->net.bridge != NULL) { /* the client's open sets DTR, then RTS, over the network */
        w->powered_up = 0;
        netbridge_open(w);
        return sim_set_lines(w, !lowered, !lowered);
    }
    const struct os_behaviour *os = &w->board->bridge->os[w->host->os];
    const struct op_seq *seq = lowered ? &os->open_lowered : &os->open;
    const struct op_seq *first = lowered ? &os->first_open_lowered : &os->first_open;
    if (w->powered_up && first->n > 0)
        seq = first;
    w->powered_up = 0;
    run_os_sequence(w, seq);
    return 0;
}

int sim_close(struct sim_world *w)
{
    if (!w->open)
        return fail(w, "port is not open");
    if (world_usb_dead(w, "set")) { /* the handle died with the port: closing it sets no lines */
        w->usb.lost = 0;
        w->open = 0;
        return 0;
    }
    if (w->host->net.bridge != NULL)
        netbridge_close(w);
    else
        run_os_sequence(w, &w->board->bridge->os[w->host->os].close);
    w->open = 0;
    return 0;
}

/* -------------------------------------------------------------- finish -- */

/* The board and the chip over the epoch so far (no analyzer): the truth,
 * the banners and the ROM's answers in p->uart (storage `uart`), the
 * mode the chip ends in. Returns when the last banner byte is out. */
static double run_physics(struct sim_world *w, struct sim_truth *truth, uint8_t *uart, size_t uart_cap)
{
    const struct board_profile *b = w->board;
    static const struct sim_truth no_truth;
    *truth = no_truth;
    struct physics *p = &w->phys; /* reset field by field: the edge buffers are large */
    p->b = b;
    p->circuit = netbridge_circuit(w);
    p->flash = w->flash;
    p->memo = &w->boot_memo;
    p->n_boots = 0;
    p->truth = truth;
    p->chip = w->start.chip;
    for (int c = 0; c < CH_COUNT; c++)
        p->ce[c].n = 0;
    p->last_event = 0;
    p->n_reset_starts = 0;
    p->n_en_history = 0;
    p->overflow = 0;
    const struct circuit *circ = p->circuit;
    double en0 = circuit_en(circ, w->start.dtr, w->start.rts) == DRIVE_LOW ? 0.0 : b->vdd;
    double io00 = circuit_io0(circ, w->start.dtr, w->start.rts) == DRIVE_LOW ? 0.0 : b->vdd;
    if (circ->kind != CIRCUIT_TRANSISTOR)
        en0 = io00 = b->vdd; /* native USB: the pins do not move */
    p->en = p->en_start = (struct net){0, en0, en0, 0};
    p->io0 = (struct net){0, io00, io00, 0};
    p->io0_start_v = io00;
    p->uart = (struct uart_out){.buf = uart, .t = p->uart_t, .cap = uart_cap};
    if (circ->kind == CIRCUIT_USB_JTAG)
        world_physics_simulate_usb_jtag(p, w->changes, w->n_changes);
    else if (circ->kind == CIRCUIT_USB_OTG)
        world_physics_simulate_usb_otg(p, w->changes, w->n_changes);
    else
        world_physics_simulate_transistor(p, w->changes, w->n_changes);
    double banner_end = world_physics_uart_end(&p->uart);
    world_physics_uart_flush(&p->uart, INFINITY); /* no reset follows the last banner */
    p->end_mode = truth->n_resets > 0 ? truth->mode[truth->n_resets - 1] : w->start.mode;
    p->last_release_ns = truth->n_resets > 0 ? truth->release_ns[truth->n_resets - 1] : -INFINITY;
    return banner_end;
}

/* The UART as the wire carries it, in time order: the banners (in order)
 * and the ROM's answers (appended after them) merged by when each byte
 * starts. Bytes past UART_TIMES_MAX have no time and stay where they are. */
static void merge_by_time(struct sim_world *w, size_t n_banner)
{
    struct uart_out *u = &w->phys.uart;
    size_t len = u->len < UART_TIMES_MAX ? u->len : UART_TIMES_MAX;
    if (n_banner >= len || n_banner == 0 || u->t[n_banner - 1] <= u->t[n_banner])
        return; /* already in order: the answers all come after the last banner */
    size_t a = 0, r = n_banner;
    for (size_t k = 0; k < len; k++) {
        int take_a = a < n_banner && (r >= len || u->t[a] <= u->t[r]);
        size_t i = take_a ? a++ : r++;
        w->merge_byte[k] = u->buf[i];
        w->merge_t[k] = u->t[i];
    }
    memcpy(u->buf, w->merge_byte, len);
    memcpy(u->t, w->merge_t, len * sizeof u->t[0]);
}

int sim_finish(struct sim_world *w, struct trace *tr, uint8_t *uart, size_t uart_cap, size_t *uart_len,
               struct sim_truth *truth)
{
    const struct board_profile *b = w->board;
    struct sim_truth scratch;
    if (truth == NULL)
        truth = &scratch;
    w->peek.valid = 0; /* the physics' storage is the caller's from here */
    struct physics *p = &w->phys;
    double banner_end = run_physics(w, truth, uart, uart_cap);
    size_t n_banner = p->uart.len;
    double replies_end = world_physics_answer_writes(w, p, 0);
    merge_by_time(w, n_banner);
    double last = fmax(fmax((double)w->t_ns, p->last_event), fmax(banner_end, replies_end));
    double t_end = last + b->analyzer.tail_ms * 1e6;
    *uart_len = p->uart.len;
    /* At rest: 5 τ after the last line change EN and IO0 are within 1 % of
     * where they go. */
    double settled = w->n_changes ? (double)w->changes[w->n_changes - 1].t_ns + 5 * fmax(p->en.tau_ns, p->io0.tau_ns) : 0;
    p->quiet_ns = last;
    p->rest_ns = fmax(last, settled);

    double v_la = b->analyzer.threshold_v;
    int initial[CH_COUNT] = {!w->start.dtr, !w->start.rts, p->en_start.v0 > v_la, p->io0_start_v > v_la, 1};
    tr->n = 0;
    for (int c = 0; c < CH_COUNT; c++)
        tr->initial[c] = (uint8_t)initial[c];
    tr->present = (1u << CH_DTR) | (1u << CH_RTS) | (1u << CH_EN) | (1u << CH_IO0);
    tr->sample_rate_hz = b->analyzer.sample_rate_hz;
    tr->threshold_v = b->analyzer.threshold_v;
    double period = 1e9 / b->analyzer.sample_rate_hz;
    tr->t_end_ns = (int64_t)(ceil(t_end / period) * period);
    int rc = world_analyzer_merge_into_trace(tr, p->ce, initial, period);
    world_analyzer_sample_en(w, p, (double)tr->t_end_ns, &tr->en_v);
    return (p->overflow || p->uart.overflow || w->overflow || truth->overflow || rc != 0) ? -1 : 0;
}

/* ------------------------------------------------------------- reading -- */

/* The UART as the chip has sent it so far, kept while nothing changes: the
 * board's physics is re-run only after a line change, and the ROM's
 * answers only after a write (the chip's modes do not depend on what the
 * host writes). */
static void peek(struct sim_world *w)
{
    struct sim_peek *k = &w->peek;
    struct physics *p = &w->phys;
    if (!k->valid || k->n_changes != w->n_changes) {
        run_physics(w, &k->truth, k->uart, SIM_PEEK_UART);
        k->banner_len = p->uart.len;
        k->n_changes = w->n_changes;
        k->n_writes = -1;
        k->valid = 1;
    }
    if (k->n_writes != w->n_writes) {
        /* writes answered before keep their answers (the past does not
         * change); the new ones are appended */
        int from = k->n_writes < 0 || k->n_writes > w->n_writes ? 0 : k->n_writes;
        if (from == 0) {
            p->uart.len = k->banner_len;
            p->uart.overflow = 0;
        }
        world_physics_answer_writes(w, p, from);
        k->n_writes = w->n_writes;
    }
}

/* The first byte of [lo, hi) that arrives after t: each run is in time order. */
static size_t first_after(const double *start, size_t lo, size_t hi, double byte_ns, int64_t t)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((int64_t)ceil(start[mid] + byte_ns) <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t sim_read(struct sim_world *w, uint8_t *buf, size_t cap, double timeout_s, sim_read_done done, void *ctx)
{
    if (world_usb_dead(w, "read"))
        return 0;
    peek(w);
    const struct physics *p = &w->phys;
    const struct sim_peek *k = &w->peek;
    double byte_ns = board_byte_ns(w->board);
    if (w->host->net.bridge != NULL) /* the bytes cross the bridge's batching and the network too */
        byte_ns += (double)(netbridge_arrival(w, 0));
    int64_t deadline = world_usb_read_until(w, w->t_ns + (timeout_s > 0 ? (int64_t)llround(timeout_s * 1e9) : 0));
    size_t len = p->uart.len < UART_TIMES_MAX ? p->uart.len : UART_TIMES_MAX;
    size_t nb = k->banner_len < len ? k->banner_len : len, n = 0;
    /* banners [0, nb), the ROM's answers [nb, len): each in time order; what was read before is skipped */
    size_t a = first_after(p->uart_t, 0, nb, byte_ns, w->read_from_ns);
    size_t r = first_after(p->uart_t, nb, len, byte_ns, w->read_from_ns);
    int64_t end = deadline;
    while ((a < nb || r < len) && n < cap) {
        int take_a = a < nb && (r >= len || p->uart_t[a] <= p->uart_t[r]);
        size_t i = take_a ? a++ : r++;
        int64_t arrived = (int64_t)ceil(p->uart_t[i] + byte_ns);
        if (arrived <= w->read_from_ns)
            continue; /* read before */
        if (arrived > deadline)
            break; /* later bytes in this run are later still */
        buf[n++] = p->uart.buf[i];
        if (done != NULL && done(buf, n, ctx)) {
            end = arrived > w->t_ns ? arrived : w->t_ns;
            break;
        }
    }
    w->read_from_ns = end > w->read_from_ns ? end : w->read_from_ns;
    sim_advance_to(w, end);
    return n;
}

size_t sim_uart_times(const struct sim_world *w, const double **t_ns)
{
    *t_ns = w->phys.uart_t;
    return w->phys.uart.len < UART_TIMES_MAX ? w->phys.uart.len : UART_TIMES_MAX;
}

int64_t sim_rest_ns(const struct sim_world *w)
{
    return (int64_t)ceil(w->phys.rest_ns);
}

int64_t sim_quiet_ns(const struct sim_world *w)
{
    return (int64_t)ceil(w->phys.quiet_ns);
}

void sim_continue(struct sim_world *w)
{
    const struct physics *p = &w->phys;
    int net = w->host->net.bridge != NULL; /* the board-side lines are the server's, not the client's */
    w->start.dtr = net ? w->net.dtr : w->dtr;
    w->start.rts = net ? w->net.rts : w->rts;
    w->start.chip = (struct chip_state){.below_since = NAN};
    w->start.mode = p->end_mode;
    const struct circuit *c = netbridge_circuit(w);
    if (c->kind == CIRCUIT_USB_JTAG) {
        w->start.chip.in_reset = p->chip.in_reset;
        w->start.chip.usb_flag = p->chip.usb_flag;
        w->start.chip.usb_latched = p->chip.usb_latched;
    } else {
        /* EN at rest under the lines: held low, the chip is in reset. */
        w->start.chip.in_reset = circuit_en(c, w->start.dtr, w->start.rts) == DRIVE_LOW;
    }
    /* The chip's protocol state belongs to its boot: the one it runs now
     * goes on into the new epoch (as the boot before it began), any other
     * is over. */
    int carry = w->rom_boot_epoch == w->epoch && w->rom_boot_release == p->last_release_ns && !p->chip.in_reset;
    w->epoch++;
    if (carry) {
        w->rom_boot_epoch = w->epoch;
        w->rom_boot_release = -INFINITY;
    }
    if (c->kind == CIRCUIT_USB_OTG)
        world_usb_start(w, (double)w->t_ns); /* its times from the new epoch's 0 */
    w->t_ns = 0;
    w->n_changes = 0;
    w->n_writes = w->n_answered = 0;
    w->wpool.len = w->rpool.len = 0;
    w->tx_free_ns = 0;
    w->overflow = 0;
    w->error[0] = '\0';
    w->peek.valid = 0;
    w->read_from_ns = 0;
    w->boot_memo.n = 0;
    w->net.srv_free_ns = 0; /* at rest: a network bridge's server is idle too */
}

int sim_port_lost(const struct sim_world *w)
{
    return w->usb.lost;
}

int sim_usb_flag_at_start(const struct sim_world *w)
{
    return w->board != NULL && w->board->real.circuit->kind == CIRCUIT_USB_JTAG && w->start.chip.usb_flag;
}
