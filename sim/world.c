/* The virtual lab: host and bridge model (line changes in virtual time),
 * then board, chip and virtual analyzer over those changes. Every constant
 * comes from the profiles loaded from boards.yaml.
 */
#include "world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define MAX_CHANGES 512
#define MAX_CH_EDGES 256
#define BANNER_MAX 640
#define MAX_WRITES 64 /* a serve epoch: esptool's connect writes up to 7 × 5 SYNCs */
#define WRITE_MAX 128
#define REPLY_MAX 1024

/* Bytes the host wrote, as they arrive at the chip's UART. */
struct host_write {
    int64_t t_arrive_ns;
    uint8_t data[WRITE_MAX];
    size_t n;
};

struct line_change {
    int64_t t_ns;
    uint8_t dtr, rts; /* asserted, after this request */
};

/* One RC net: V(t) = target + (v0 − target)·e^(−(t − t0)/τ). */
struct net {
    double t0, v0, target, tau_ns;
};

struct ch_edges {
    double t[MAX_CH_EDGES];
    uint8_t level[MAX_CH_EDGES];
    int n;
};

#define UART_TIMES_MAX 16384

struct uart_out {
    uint8_t *buf;
    double *t; /* when each byte's start bit began: UART_TIMES_MAX entries */
    size_t cap, len;
    char banner[BANNER_MAX];
    size_t banner_len;
    double banner_t0, byte_ns;
    int overflow;
};

struct chip_state {
    double below_since; /* EN under VIL since; NAN when above */
    int in_reset;
    int usb_flag, usb_latched; /* USB-Serial/JTAG: download requested; latched at the reset */
};

/* How an epoch starts: the board at rest under these lines (sim_continue). */
struct start_state {
    uint8_t dtr, rts;
    struct chip_state chip;
    enum boot_mode mode; /* what the chip runs when not in reset: its ROM listens in download mode */
};

struct physics {
    const struct board_profile *b;
    struct net en, io0;
    struct net en_start; /* EN at rest when the epoch began */
    struct net en_history[MAX_CHANGES + 1]; /* EN's segments, for the analog channel */
    int n_en_history;
    struct chip_state chip;
    struct ch_edges ce[CH_COUNT];
    struct uart_out uart;
    double uart_t[UART_TIMES_MAX];
    struct sim_truth *truth;
    double reset_start[ANALYSIS_MAX_RESETS]; /* when the chip went into reset */
    int n_reset_starts;
    double last_event;
    double rest_ns; /* sim_rest_ns */
    enum boot_mode end_mode; /* what the chip runs after the epoch's last reset */
    int overflow;
};

#define NOISE_TABLE 1024 /* 10 bits of an index */

struct sim_world {
    struct physics phys; /* reused run after run: no allocation per run */
    float normal[NOISE_TABLE]; /* standard normal deviates: the analog channel's noise, cheaply */
    const struct board_profile *board;
    const struct host_profile *host;
    struct rng rng;
    int64_t t_ns;
    uint64_t seed;
    int open;
    int powered_up; /* no open since power-on: the bridge's first-open behaviour applies */
    uint8_t dtr, rts;
    struct start_state start;
    struct line_change changes[MAX_CHANGES];
    int n_changes;
    struct host_write writes[MAX_WRITES];
    int n_writes;
    int overflow;
    char error[160];
};

struct sim_world *sim_world_new(void)
{
    struct sim_world *w = calloc(1, sizeof(struct sim_world));
    if (w == NULL)
        return NULL;
    struct rng r;
    rng_seed(&r, 0x6e6f697365ull); /* "noise": the same table in every world */
    for (int i = 0; i < NOISE_TABLE; i++)
        w->normal[i] = (float)rng_normal(&r);
    return w;
}

void sim_world_free(struct sim_world *w)
{
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
    w->n_changes = 0;
    w->n_writes = 0;
    w->overflow = 0;
    w->error[0] = '\0';
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
 * state when it completes, and the call returns then. */
static void bridge_request(struct sim_world *w, uint8_t dtr, uint8_t rts)
{
    w->t_ns += draw_latency_ns(&w->rng, &w->host->request);
    w->dtr = dtr;
    w->rts = rts;
    if (w->n_changes >= MAX_CHANGES) {
        w->overflow = 1;
        return;
    }
    w->changes[w->n_changes++] = (struct line_change){w->t_ns, dtr, rts};
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
    uint8_t d = dtr < 0 ? w->dtr : (uint8_t)(dtr != 0);
    uint8_t r = rts < 0 ? w->rts : (uint8_t)(rts != 0);
    int one_request = w->board->bridge->both_lines_one_request && !w->host->split_both_lines;
    if (dtr >= 0 && rts >= 0 && !one_request)
        bridge_request(w, d, w->rts); /* DTR first, then RTS, as two requests */
    bridge_request(w, d, r);
    return 0;
}

int sim_sleep(struct sim_world *w, double seconds)
{
    if (!(seconds >= 0))
        return fail(w, "negative wait");
    w->t_ns += (int64_t)llround(seconds * 1e9) + draw_latency_ns(&w->rng, &w->host->overshoot);
    return 0;
}

/* The host's write takes its bytes' time on the wire (8N1 at the chip's
 * baud rate); the call returns when they are out. */
static int64_t queue_write(struct sim_world *w, int64_t t_start_ns, const uint8_t *bytes, size_t n)
{
    if (n > WRITE_MAX || w->n_writes >= MAX_WRITES) {
        fail(w, "too many or too long writes for the virtual UART");
        return -1;
    }
    struct host_write *hw = &w->writes[w->n_writes++];
    hw->t_arrive_ns = t_start_ns + (int64_t)llround((double)n * 10.0 / w->board->chip->baud * 1e9);
    memcpy(hw->data, bytes, n);
    hw->n = n;
    return hw->t_arrive_ns;
}

int sim_write(struct sim_world *w, const uint8_t *bytes, size_t n)
{
    if (!w->open)
        return fail(w, "port is not open");
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
    return w->n_changes > MAX_CH_EDGES / 2 || w->n_writes >= MAX_WRITES;
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
    w->open = 1;
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
    run_os_sequence(w, &w->board->bridge->os[w->host->os].close);
    w->open = 0;
    return 0;
}

/* --------------------------------------------------------------- board -- */

static double net_v(const struct net *n, double t)
{
    if (n->tau_ns <= 0 || t <= n->t0)
        return t <= n->t0 ? n->v0 : n->target;
    return n->target + (n->v0 - n->target) * exp(-(t - n->t0) / n->tau_ns);
}

/* When the net crosses `level` (strictly), or INFINITY if it never does. */
static double net_cross(const struct net *n, double level)
{
    if ((n->v0 - level) * (n->target - level) >= 0 || n->v0 == level)
        return INFINITY;
    if (n->tau_ns <= 0)
        return n->t0;
    return n->t0 + n->tau_ns * log((n->v0 - n->target) / (level - n->target));
}

static void net_drive(struct net *n, double t, int driven_low, double vdd, double r_up, double r_down,
                      double c)
{
    double v = net_v(n, t);
    double r = driven_low ? r_down : r_up;
    *n = (struct net){.t0 = t, .v0 = v, .target = driven_low ? 0.0 : vdd, .tau_ns = r * c * 1e9};
}

/* ---------------------------------------------------- virtual analyzer -- */

static void ch_push(struct ch_edges *ce, double t, int level, int *overflow)
{
    if (ce->n > 0 && ce->level[ce->n - 1] == level)
        return;
    if (ce->n >= MAX_CH_EDGES) {
        *overflow = 1;
        return;
    }
    ce->t[ce->n] = t;
    ce->level[ce->n++] = (uint8_t)level;
}

/* The analyzer sees a change at the first sample at or after it; two
 * changes inside one sample period cancel (a glitch it cannot see). */
static int quantize(const struct ch_edges *in, int initial, double period_ns, int64_t *t_out, uint8_t *lv_out)
{
    int n = 0, level = initial;
    for (int i = 0; i < in->n; i++) {
        int64_t ts = (int64_t)(ceil(in->t[i] / period_ns) * period_ns);
        if (n > 0 && t_out[n - 1] == ts) {
            n--;
            level = n > 0 ? lv_out[n - 1] : initial;
        }
        if (in->level[i] == level)
            continue;
        t_out[n] = ts;
        lv_out[n++] = in->level[i];
        level = in->level[i];
    }
    return n;
}

static int merge_into_trace(struct trace *tr, struct ch_edges ce[CH_COUNT], const int initial[CH_COUNT],
                            double period_ns)
{
    int64_t t[CH_COUNT][MAX_CH_EDGES];
    uint8_t lv[CH_COUNT][MAX_CH_EDGES];
    int n[CH_COUNT], at[CH_COUNT] = {0};
    for (int c = 0; c < CH_COUNT; c++)
        n[c] = quantize(&ce[c], initial[c], period_ns, t[c], lv[c]);
    for (;;) {
        int best = -1;
        for (int c = 0; c < CH_COUNT; c++)
            if (at[c] < n[c] && (best < 0 || t[c][at[c]] < t[best][at[best]]))
                best = c;
        if (best < 0)
            return 0;
        if (trace_push(tr, t[best][at[best]], (enum channel)best, lv[best][at[best]]) != 0)
            return -1;
        at[best]++;
    }
}

/* ---------------------------------------------------------------- chip -- */

/* Emits the pending banner's bytes that finish before `until`. */
static void uart_flush(struct uart_out *u, double until)
{
    for (size_t i = 0; i < u->banner_len; i++) {
        if (u->banner_t0 + (double)(i + 1) * u->byte_ns > until)
            break;
        if (u->len >= u->cap) {
            u->overflow = 1;
            break;
        }
        if (u->len < UART_TIMES_MAX)
            u->t[u->len] = u->banner_t0 + (double)i * u->byte_ns;
        u->buf[u->len++] = (uint8_t)u->banner[i];
    }
    u->banner_len = 0;
}

static void uart_banner(struct uart_out *u, const struct chip_profile *chip, double t_release, int via_usb,
                        enum boot_mode mode)
{
    int n = snprintf(u->banner, sizeof u->banner, "%s%s,%s", chip->rom_header, via_usb ? chip->rst_usb : chip->rst_pin,
                     mode == BOOT_DOWNLOAD ? chip->boot_download : chip->boot_flash);
    u->banner_len = n < 0 ? 0 : (size_t)n < sizeof u->banner ? (size_t)n : sizeof u->banner - 1;
    u->banner_t0 = t_release + chip->boot_delay_ms * 1e6;
    u->byte_ns = 10.0 / chip->baud * 1e9; /* 8N1: ten bits a byte */
}

static double uart_end(const struct uart_out *u)
{
    return u->banner_len ? u->banner_t0 + (double)u->banner_len * u->byte_ns : 0.0;
}

static void record_truth(struct sim_truth *truth, double t, enum boot_mode mode)
{
    if (truth->n_resets < ANALYSIS_MAX_RESETS) {
        truth->release_ns[truth->n_resets] = t;
        truth->mode[truth->n_resets++] = mode;
    }
}

/* The chip goes into reset: the UART stops mid-banner. */
static void enter_reset(struct physics *p, double t)
{
    p->chip.in_reset = 1;
    uart_flush(&p->uart, t);
    if (p->n_reset_starts < ANALYSIS_MAX_RESETS)
        p->reset_start[p->n_reset_starts++] = t;
}

struct net_event {
    double t;
    int what; /* 0: EN at the analyzer threshold, 1: EN at VIL, 2: EN at VIH, 3: IO0 at the analyzer threshold */
};

/* Chip and analyzer events on EN and IO0 inside [ta, tb). */
static void run_segment(struct physics *p, double ta, double tb)
{
    const struct board_profile *b = p->b;
    double vdd = b->vdd, v_la = b->analyzer.threshold_v;
    double vil = b->chip->en_vil_v, vih = b->chip->timing.vih_frac * vdd;
    double min_pulse = b->chip->timing.min_reset_pulse_us * 1e3;
    struct net_event ev[4] = {
        {net_cross(&p->en, v_la), 0}, {net_cross(&p->en, vil), 1},
        {net_cross(&p->en, vih), 2}, {net_cross(&p->io0, v_la), 3}};
    for (int i = 1; i < 4; i++) /* at most four events: insertion sort */
        for (int j = i; j > 0 && ev[j].t < ev[j - 1].t; j--) {
            struct net_event tmp = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = tmp;
        }
    for (int i = 0; i < 4; i++) {
        double t = ev[i].t;
        if (!(t >= ta && t < tb))
            continue;
        p->last_event = fmax(p->last_event, t);
        int rising = ev[i].what == 3 ? p->io0.target > v_la : p->en.target > p->en.v0;
        if (ev[i].what == 0)
            ch_push(&p->ce[CH_EN], t, rising, &p->overflow);
        else if (ev[i].what == 3)
            ch_push(&p->ce[CH_IO0], t, rising, &p->overflow);
        else if (ev[i].what == 1 && !rising)
            p->chip.below_since = t;
        else if (ev[i].what == 1 && rising) {
            if (!isnan(p->chip.below_since) && t - p->chip.below_since >= min_pulse && !p->chip.in_reset)
                enter_reset(p, p->chip.below_since);
            p->chip.below_since = NAN;
        } else if (ev[i].what == 2 && rising && p->chip.in_reset) {
            p->chip.in_reset = 0;
            int io0_high = net_v(&p->io0, t) > b->chip->io0_switch_frac * vdd;
            enum boot_mode mode = io0_high ? BOOT_FLASH : BOOT_DOWNLOAD;
            record_truth(p->truth, t, mode);
            uart_banner(&p->uart, b->chip, t, 0, mode);
        }
    }
    /* Held under VIL past the minimum pulse: the chip is in reset by now. */
    if (!isnan(p->chip.below_since) && !p->chip.in_reset && tb - p->chip.below_since >= min_pulse &&
        isfinite(tb))
        enter_reset(p, p->chip.below_since);
}

static void apply_lines(struct physics *p, double t, uint8_t dtr, uint8_t rts)
{
    const struct board_profile *b = p->b;
    const struct board_parts *r = &b->real;
    const struct circuit *c = r->circuit;
    ch_push(&p->ce[CH_DTR], t, !dtr, &p->overflow);
    ch_push(&p->ce[CH_RTS], t, !rts, &p->overflow);
    net_drive(&p->en, t, circuit_en(c, dtr, rts) == DRIVE_LOW, b->vdd, r->en_r_ohms, c->driver_ohms, r->en_c_farads);
    if (p->n_en_history < MAX_CHANGES + 1)
        p->en_history[p->n_en_history++] = p->en;
    net_drive(&p->io0, t, circuit_io0(c, dtr, rts) == DRIVE_LOW, b->vdd, r->io0_pullup_ohms, c->driver_ohms,
              r->io0_c_farads);
}

static void simulate_transistor(struct physics *p, const struct line_change *ch, int n)
{
    double t = 0;
    for (int i = 0; i < n; i++) {
        run_segment(p, t, (double)ch[i].t_ns);
        t = (double)ch[i].t_ns;
        apply_lines(p, t, ch[i].dtr, ch[i].rts);
    }
    run_segment(p, t, INFINITY);
}

/* USB-Serial/JTAG: each request is a line-state packet acted on by the
 * peripheral; EN and IO0 pins do not move. */
static void simulate_usb_jtag(struct physics *p, const struct line_change *ch, int n)
{
    int flag = p->chip.usb_flag, latched = p->chip.usb_latched;
    for (int i = 0; i < n; i++) {
        double t = (double)ch[i].t_ns;
        ch_push(&p->ce[CH_DTR], t, !ch[i].dtr, &p->overflow);
        ch_push(&p->ce[CH_RTS], t, !ch[i].rts, &p->overflow);
        enum usb_action a = (enum usb_action)p->b->real.circuit->usb_action[ch[i].dtr][ch[i].rts];
        if (a == USB_RESET && !p->chip.in_reset) {
            latched = flag;
            enter_reset(p, t);
        } else if (a != USB_RESET && p->chip.in_reset) {
            p->chip.in_reset = 0;
            enum boot_mode mode = latched ? BOOT_DOWNLOAD : BOOT_FLASH;
            record_truth(p->truth, t, mode);
            uart_banner(&p->uart, p->b->chip, t, 1, mode);
        }
        if (a == USB_SET_FLAG)
            flag = 1;
        else if (a == USB_CLEAR_FLAG)
            flag = 0;
        p->last_event = t;
    }
    p->chip.usb_flag = flag;
    p->chip.usb_latched = latched;
}

static size_t banner_length(const struct chip_profile *c, enum boot_mode mode, int via_usb)
{
    size_t n = strlen(c->rom_header) + strlen(via_usb ? c->rst_usb : c->rst_pin) + 1 +
               strlen(mode == BOOT_DOWNLOAD ? c->boot_download : c->boot_flash);
    return n < BANNER_MAX ? n : BANNER_MAX - 1;
}

/* The ROM answers what the host wrote if, when it arrived, the chip was out
 * of reset in download mode and had printed its banner (it is listening
 * from "waiting for download" on). Replies go out at the UART's pace. */
static double answer_writes(const struct sim_world *w, struct physics *p)
{
    const struct chip_profile *chip = w->board->chip;
    int via_usb = w->board->real.circuit->kind == CIRCUIT_USB_JTAG;
    double byte_ns = 10.0 / chip->baud * 1e9, end = 0;
    for (int i = 0; i < w->n_writes; i++) {
        double t = (double)w->writes[i].t_arrive_ns;
        int r = -1;
        for (int k = 0; k < p->truth->n_resets; k++)
            if (p->truth->release_ns[k] <= t)
                r = k;
        /* no release yet this epoch: the chip runs what it ran at its start */
        enum boot_mode mode = r >= 0 ? p->truth->mode[r] : w->start.chip.in_reset ? BOOT_NONE : w->start.mode;
        if (mode != BOOT_DOWNLOAD)
            continue;
        double release = r >= 0 ? p->truth->release_ns[r] : -INFINITY;
        int reset_since = 0;
        for (int k = 0; k < p->n_reset_starts; k++)
            reset_since |= p->reset_start[k] > release && p->reset_start[k] <= t;
        double listening = release + chip->boot_delay_ms * 1e6 + (double)banner_length(chip, BOOT_DOWNLOAD, via_usb) * byte_ns;
        if (reset_since || t < listening)
            continue;
        uint8_t reply[REPLY_MAX];
        size_t n = rom_answer(&chip->rom, w->writes[i].data, w->writes[i].n, reply, sizeof reply);
        for (size_t k = 0; k < n; k++) {
            if (p->uart.len >= p->uart.cap) {
                p->uart.overflow = 1;
                break;
            }
            if (p->uart.len < UART_TIMES_MAX)
                p->uart.t[p->uart.len] = t + (double)k * byte_ns;
            p->uart.buf[p->uart.len++] = reply[k];
        }
        end = fmax(end, t + (double)n * byte_ns);
    }
    return end;
}

/* The analyzer's analog EN channel: the EN net sampled at its own rate
 * with gaussian noise (seeded from the run's seed, apart from the host's
 * draws; each 64-bit draw picks six deviates from the world's table).
 * Within a segment V − target shrinks by e^(−period/τ) a sample. */
/* Noise deviates: each 64-bit draw picks six from the world's table. */
struct noise {
    struct rng rng;
    uint64_t bits;
    int left;
};

static inline double next_deviate(struct noise *n, const float *table)
{
    if (n->left == 0) {
        n->bits = rng_next(&n->rng);
        n->left = 6;
    }
    double d = table[n->bits & (NOISE_TABLE - 1)];
    n->bits >>= 10;
    n->left--;
    return d;
}

static void sample_en(const struct sim_world *w, const struct physics *p, double t_end, struct analog *out)
{
    const struct analyzer_cfg *cfg = &w->board->analyzer;
    out->n = 0;
    if (!(cfg->analog_en_rate_hz > 0) || out->cap == 0 || out->v == NULL)
        return;
    struct noise nz = {.left = 0};
    rng_seed(&nz.rng, w->seed ^ 0x616e616c6f67ull); /* "analog" */
    out->t0_ns = 0;
    out->period_ns = 1e9 / cfg->analog_en_rate_hz;
    double period = out->period_ns, noise_v = cfg->analog_noise_v;
    size_t total = (size_t)(t_end / period) + 1;
    if (total > out->cap)
        total = out->cap;
    struct net seg = p->en_start;
    for (int k = -1; k < p->n_en_history && out->n < total; k++) {
        if (k >= 0)
            seg = p->en_history[k];
        /* this segment's samples: up to the next segment's start */
        size_t end = total;
        if (k + 1 < p->n_en_history) {
            double next = ceil(p->en_history[k + 1].t0 / period);
            end = next < (double)total ? (size_t)next : total;
        }
        if (end <= out->n)
            continue;
        double v = net_v(&seg, (double)out->n * period);
        double decay = seg.tau_ns > 0 ? exp(-period / seg.tau_ns) : 0.0;
        /* Moving until within a microvolt of its target (e^(−n·period/τ)
         * below 1 µV/|V − target|), then flat: most of a run EN just sits at
         * VDD, and the flat part needs no recurrence. */
        double gap = fabs(v - seg.target);
        size_t moving = gap > 1e-6 && decay > 0 ? (size_t)ceil(log(1e-6 / gap) / log(decay)) : 0;
        size_t settle = end - out->n < moving ? end : out->n + moving;
        for (size_t j = out->n; j < settle; j++) { /* the curve: a recurrence, sample by sample */
            out->v[j] = (float)(v + noise_v * next_deviate(&nz, w->normal));
            v = seg.target + (v - seg.target) * decay;
        }
        for (size_t j = settle; j < end; j++) /* flat: independent samples */
            out->v[j] = (float)(seg.target + noise_v * next_deviate(&nz, w->normal));
        out->n = end;
    }
}

int sim_finish(struct sim_world *w, struct trace *tr, uint8_t *uart, size_t uart_cap, size_t *uart_len,
               struct sim_truth *truth)
{
    const struct board_profile *b = w->board;
    static const struct sim_truth no_truth;
    struct sim_truth scratch;
    if (truth == NULL)
        truth = &scratch;
    *truth = no_truth;
    struct physics *p = &w->phys; /* reset field by field: the edge buffers are large */
    p->b = b;
    p->truth = truth;
    p->chip = w->start.chip;
    for (int c = 0; c < CH_COUNT; c++)
        p->ce[c].n = 0;
    p->last_event = 0;
    p->n_reset_starts = 0;
    p->n_en_history = 0;
    p->overflow = 0;
    const struct circuit *circ = b->real.circuit;
    double en0 = circuit_en(circ, w->start.dtr, w->start.rts) == DRIVE_LOW ? 0.0 : b->vdd;
    double io00 = circuit_io0(circ, w->start.dtr, w->start.rts) == DRIVE_LOW ? 0.0 : b->vdd;
    if (circ->kind == CIRCUIT_USB_JTAG)
        en0 = io00 = b->vdd; /* the pins do not move */
    p->en = p->en_start = (struct net){0, en0, en0, 0};
    p->io0 = (struct net){0, io00, io00, 0};
    p->uart = (struct uart_out){.buf = uart, .t = p->uart_t, .cap = uart_cap};
    if (b->real.circuit->kind == CIRCUIT_USB_JTAG)
        simulate_usb_jtag(p, w->changes, w->n_changes);
    else
        simulate_transistor(p, w->changes, w->n_changes);

    double banner_end = uart_end(&p->uart);
    uart_flush(&p->uart, INFINITY); /* no reset follows the last banner */
    double replies_end = answer_writes(w, p);
    p->end_mode = truth->n_resets > 0 ? truth->mode[truth->n_resets - 1] : w->start.mode;
    double last = fmax(fmax((double)w->t_ns, p->last_event), fmax(banner_end, replies_end));
    double t_end = last + b->analyzer.tail_ms * 1e6;
    *uart_len = p->uart.len;
    /* At rest: 5 τ after the last line change EN and IO0 are within 1 % of
     * where they go. */
    double settled = w->n_changes ? (double)w->changes[w->n_changes - 1].t_ns + 5 * fmax(p->en.tau_ns, p->io0.tau_ns) : 0;
    p->rest_ns = fmax(last, settled);

    double v_la = b->analyzer.threshold_v;
    int initial[CH_COUNT] = {!w->start.dtr, !w->start.rts, en0 > v_la, io00 > v_la, 1};
    tr->n = 0;
    for (int c = 0; c < CH_COUNT; c++)
        tr->initial[c] = (uint8_t)initial[c];
    tr->present = (1u << CH_DTR) | (1u << CH_RTS) | (1u << CH_EN) | (1u << CH_IO0);
    tr->sample_rate_hz = b->analyzer.sample_rate_hz;
    tr->threshold_v = b->analyzer.threshold_v;
    double period = 1e9 / b->analyzer.sample_rate_hz;
    tr->t_end_ns = (int64_t)(ceil(t_end / period) * period);
    int rc = merge_into_trace(tr, p->ce, initial, period);
    sample_en(w, p, (double)tr->t_end_ns, &tr->en_v);
    return (p->overflow || p->uart.overflow || w->overflow || rc != 0) ? -1 : 0;
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

void sim_continue(struct sim_world *w)
{
    const struct physics *p = &w->phys;
    w->start.dtr = w->dtr;
    w->start.rts = w->rts;
    w->start.chip = (struct chip_state){.below_since = NAN};
    w->start.mode = p->end_mode;
    const struct circuit *c = w->board->real.circuit;
    if (c->kind == CIRCUIT_USB_JTAG) {
        w->start.chip.in_reset = p->chip.in_reset;
        w->start.chip.usb_flag = p->chip.usb_flag;
        w->start.chip.usb_latched = p->chip.usb_latched;
    } else {
        /* EN at rest under the lines: held low, the chip is in reset. */
        w->start.chip.in_reset = circuit_en(c, w->dtr, w->rts) == DRIVE_LOW;
    }
    w->t_ns = 0;
    w->n_changes = 0;
    w->n_writes = 0;
    w->overflow = 0;
    w->error[0] = '\0';
}
