/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual board and chip (world.h) over an epoch's line changes: the
 * RC nets on EN and IO0 driven by the circuit, the chip's reset at its EN
 * thresholds, strap sampling, its ROM banner on the UART and the ROM's
 * answers in download mode, and the edges the analyzer's channels see.
 * May call: analyzers/ (the circuit), sim/rom (the ROM's answers, its state), libc. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "world.h"
#include "world_internal.h"

/* --------------------------------------------------------------- board -- */

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
    double v = world_net_v(n, t);
    double r = driven_low ? r_down : r_up;
    *n = (struct net){.t0 = t, .v0 = v, .target = driven_low ? 0.0 : vdd, .tau_ns = r * c * 1e9};
}

/* ---- the analyzer's channels: edges as the lines and nets move them -- */

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

/* ---------------------------------------------------------------- chip -- */

/* Emits the pending banner's bytes that finish before `until`. */
void world_physics_uart_flush(struct uart_out *u, double until)
{
    size_t n = u->banner_len; /* the bytes whose stop bit ends by `until` */
    if (isfinite(until)) {
        double done = floor((until - u->banner_t0) / u->byte_ns);
        n = done <= 0 ? 0 : done < (double)n ? (size_t)done : n;
    }
    if (n > u->cap - u->len) {
        u->overflow = 1;
        n = u->cap - u->len;
    }
    memcpy(u->buf + u->len, u->banner, n);
    size_t timed = u->len >= UART_TIMES_MAX ? 0 : UART_TIMES_MAX - u->len < n ? UART_TIMES_MAX - u->len : n;
    for (size_t i = 0; i < timed; i++)
        u->t[u->len + i] = u->banner_t0 + (double)i * u->byte_ns;
    u->len += n;
    u->banner_len = 0;
}

/* An image starts with this byte (esptool loader.py, ESPLoader.ESP_IMAGE_MAGIC). */
#define IMAGE_MAGIC 0xE9

/* The word at the chip's image offset for this boot, as the flash held it
 * when the boot was first simulated. */
static uint32_t image_word(struct physics *p)
{
    int k = p->n_boots - 1;
    if (k < p->memo->n)
        return p->memo->word[k];
    uint8_t b[4] = {0xFF, 0xFF, 0xFF, 0xFF}; /* past the flash's end: nothing there */
    (void)sim_flash_read(p->flash, p->b->chip->image_offset, b, sizeof b);
    uint32_t word = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (k == p->memo->n && k < BOOT_MEMO_MAX)
        p->memo->word[p->memo->n++] = word;
    return word;
}

/* What a flash boot prints after "boot:…": with the board's flash attached
 * (serve), whether an image header is where the chip looks for it
 * (docs/physics.md#flash-boot); without, boot_flash as boards.yaml gives it. */
static const char *flash_boot_text(struct physics *p, char *buf, size_t cap)
{
    const struct chip_profile *chip = p->b->chip;
    if (p->flash == NULL || chip->boot_no_image == NULL)
        return chip->boot_flash;
    uint32_t word = image_word(p);
    if ((word & 0xFF) == IMAGE_MAGIC)
        return chip->boot_flash;
    const char *h = strstr(chip->boot_no_image, "{header}");
    if (h == NULL)
        return chip->boot_no_image;
    snprintf(buf, cap, "%.*s0x%08x%s", (int)(h - chip->boot_no_image), chip->boot_no_image, (unsigned)word,
             h + strlen("{header}"));
    return buf;
}

static void uart_banner(struct physics *p, double t_release, int via_usb, enum boot_mode mode)
{
    struct uart_out *u = &p->uart;
    const struct board_profile *b = p->b;
    const struct chip_profile *chip = b->chip;
    char no_image[BANNER_MAX];
    p->n_boots++;
    const char *boot = mode == BOOT_DOWNLOAD ? chip->boot_download : flash_boot_text(p, no_image, sizeof no_image);
    int n = snprintf(u->banner, sizeof u->banner, "%s%s,%s", chip->rom_header, via_usb ? chip->rst_usb : chip->rst_pin,
                     boot);
    u->banner_len = n < 0 ? 0 : (size_t)n < sizeof u->banner ? (size_t)n : sizeof u->banner - 1;
    u->banner_t0 = t_release + chip->boot_delay_ms * 1e6;
    u->byte_ns = board_byte_ns(b);
}

double world_physics_uart_end(const struct uart_out *u)
{
    return u->banner_len ? u->banner_t0 + (double)u->banner_len * u->byte_ns : 0.0;
}

static void record_truth(struct sim_truth *truth, double t, enum boot_mode mode)
{
    if (truth->n_resets < ANALYSIS_MAX_RESETS) {
        truth->release_ns[truth->n_resets] = t;
        truth->mode[truth->n_resets++] = mode;
    } else {
        truth->overflow = 1; /* the ROM's answers after this reset would be judged on an older one */
    }
}

/* The chip goes into reset: the UART stops mid-banner. */
static void enter_reset(struct physics *p, double t)
{
    p->chip.in_reset = 1;
    p->chip.sample_pending = 0; /* back in reset before it latched its straps: that boot never was */
    world_physics_uart_flush(&p->uart, t);
    if (p->n_reset_starts < ANALYSIS_MAX_RESETS)
        p->reset_start[p->n_reset_starts++] = t;
}

struct net_event {
    double t;
    /* 0: EN at the analyzer threshold, 1: EN at VIL, 2: EN at VIH, 3: IO0 at the analyzer threshold,
     * 4: the chip latches its straps (sample_delay_ms after 2) */
    int what;
};

/* The chip latches its straps at t for the release at t_release: IO0's
 * level then picks the boot, which the ROM's banner reports. */
static void latch_straps(struct physics *p, double t_release, double t)
{
    const struct board_profile *b = p->b;
    int io0_high = world_net_v(&p->io0, t) > b->chip->io0_switch_frac * b->vdd;
    enum boot_mode mode = io0_high ? BOOT_FLASH : BOOT_DOWNLOAD;
    record_truth(p->truth, t_release, mode);
    uart_banner(p, t_release, 0, mode);
}

/* Chip and analyzer events on EN and IO0 inside [ta, tb). */
static void run_segment(struct physics *p, double ta, double tb)
{
    const struct board_profile *b = p->b;
    double vdd = b->vdd, v_la = b->analyzer.threshold_v;
    double vil = b->chip->en_vil_v, vih = b->chip->timing.vih_frac * vdd;
    double min_pulse = b->chip->timing.min_reset_pulse_us * 1e3;
    double delay = b->chip->timing.sample_delay_ms * 1e6;
    struct net_event ev[5] = {
        {net_cross(&p->en, v_la), 0}, {net_cross(&p->en, vil), 1},
        {net_cross(&p->en, vih), 2}, {net_cross(&p->io0, v_la), 3},
        {p->chip.sample_pending ? p->chip.sample_at : INFINITY, 4}};
    for (int i = 1; i < 5; i++) /* at most five events: insertion sort */
        for (int j = i; j > 0 && ev[j].t < ev[j - 1].t; j--) {
            struct net_event tmp = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = tmp;
        }
    for (int i = 0; i < 5; i++) {
        double t = ev[i].t;
        if (!(t >= ta && t < tb))
            continue;
        if (ev[i].what == 4) { /* a sample made moot by a reset in between was cancelled there */
            if (p->chip.sample_pending) {
                p->chip.sample_pending = 0;
                p->last_event = fmax(p->last_event, t);
                latch_straps(p, p->chip.released_at, t);
            }
            continue;
        }
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
            if (delay > 0) { /* the straps are latched later (docs/physics.md#strap-window) */
                p->chip.sample_pending = 1;
                p->chip.sample_at = t + delay;
                p->chip.released_at = t;
            } else {
                latch_straps(p, t, t);
            }
        }
    }
    /* Released in this segment, latched in it too: EN only rises after
     * crossing VIH here, so no EN event lies between. */
    if (p->chip.sample_pending && p->chip.sample_at >= ta && p->chip.sample_at < tb) {
        p->chip.sample_pending = 0;
        p->last_event = fmax(p->last_event, p->chip.sample_at);
        latch_straps(p, p->chip.released_at, p->chip.sample_at);
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
    const struct circuit *c = p->circuit;
    ch_push(&p->ce[CH_DTR], t, !dtr, &p->overflow);
    ch_push(&p->ce[CH_RTS], t, !rts, &p->overflow);
    net_drive(&p->en, t, circuit_en(c, dtr, rts) == DRIVE_LOW, b->vdd, r->en_r_ohms, c->driver_ohms, r->en_c_farads);
    if (p->n_en_history < MAX_CHANGES + 1)
        p->en_history[p->n_en_history++] = p->en;
    net_drive(&p->io0, t, circuit_io0(c, dtr, rts) == DRIVE_LOW, b->vdd, r->io0_pullup_ohms, c->driver_ohms,
              r->io0_c_farads);
}

void world_physics_simulate_transistor(struct physics *p, const struct line_change *ch, int n)
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
void world_physics_simulate_usb_jtag(struct physics *p, const struct line_change *ch, int n)
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
            uart_banner(p, t, 1, mode);
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

/* USB-OTG: each packet that reached the device through its model
 * (analyzers/usb_otg.c); a restart is a pulse. The ROM prints its banner
 * on UART0 before its USB is up: nothing of it reaches the host. */
void world_physics_simulate_usb_otg(struct physics *p, const struct line_change *ch, int n)
{
    const struct circuit *c = p->b->real.circuit;
    for (int i = 0; i < n; i++) {
        double t = (double)ch[i].t_ns;
        ch_push(&p->ce[CH_DTR], t, !ch[i].dtr, &p->overflow);
        ch_push(&p->ce[CH_RTS], t, !ch[i].rts, &p->overflow);
        enum boot_mode mode;
        if (usb_otg_packet(c, &p->chip.otg, ch[i].dtr, ch[i].rts, &mode)) {
            enter_reset(p, t);
            p->chip.in_reset = 0;
            record_truth(p->truth, t, mode);
            p->chip.otg = usb_otg_booted(mode);
        }
        p->last_event = t;
    }
}

static size_t banner_length(const struct chip_profile *c, enum boot_mode mode, int via_usb)
{
    size_t n = strlen(c->rom_header) + strlen(via_usb ? c->rst_usb : c->rst_pin) + 1 +
               strlen(mode == BOOT_DOWNLOAD ? c->boot_download : c->boot_flash);
    return n < BANNER_MAX ? n : BANNER_MAX - 1;
}

/* Whether the chip listens to a write arriving at t: out of reset in
 * download mode, its banner printed (it listens from "waiting for
 * download" on). The release that started its boot in *release. */
static int listening(const struct sim_world *w, const struct physics *p, double t, double *release)
{
    const struct chip_profile *chip = w->board->chip;
    int via_usb = w->board->real.circuit->kind == CIRCUIT_USB_JTAG;
    int r = -1;
    for (int k = 0; k < p->truth->n_resets; k++)
        if (p->truth->release_ns[k] <= t)
            r = k;
    /* no release yet this epoch: the chip runs what it ran at its start */
    enum boot_mode mode = r >= 0 ? p->truth->mode[r] : w->start.chip.in_reset ? BOOT_NONE : w->start.mode;
    if (mode != BOOT_DOWNLOAD)
        return 0;
    *release = r >= 0 ? p->truth->release_ns[r] : -INFINITY;
    for (int k = 0; k < p->n_reset_starts; k++)
        if (p->reset_start[k] > *release && p->reset_start[k] <= t)
            return 0;
    if (w->board->real.circuit->kind == CIRCUIT_USB_OTG) /* the ROM's CDC, once the port is back */
        return t >= usb_otg_back_ns(w->board->real.circuit, *release);
    double banner = (double)banner_length(chip, BOOT_DOWNLOAD, via_usb) * board_byte_ns(w->board);
    return t >= *release + chip->boot_delay_ms * 1e6 + banner;
}

/* What a byte sent at one rate and read at another looks like: the
 * receiver sees a framing error or a wrong byte. Our choice: 0x00 (a
 * break-like byte), which never forms a SLIP frame. */
#define GARBAGE_BYTE 0x00

/* The flasher stub reads and writes the chip's memory itself: its
 * READ_REG and WRITE_REG reach the world's register file (stub_set_regs). */
static uint32_t stub_reg_read(void *ctx, uint32_t addr)
{
    struct sim_world *w = ctx;
    return rom_regs_read(&w->rom, &w->rom_ctx, addr);
}

static void stub_reg_write(void *ctx, uint32_t addr, uint32_t value)
{
    struct sim_world *w = ctx;
    rom_regs_write(&w->rom, &w->rom_ctx, addr, value, 0xFFFFFFFFu);
}

/* The chip's answer to write i, made once, in time order: the chip's
 * protocol state moves on here and nowhere else. A write that reaches no
 * listening chip gets none. */
static void answer_once(struct sim_world *w, const struct physics *p, struct host_write *hw)
{
    const struct board_profile *b = w->board;
    hw->answered = 1;
    w->n_answered++;
    hw->rlen = 0;
    double release, t = (double)hw->t_arrive_ns;
    if (!listening(w, p, t, &release))
        return;
    if (w->rom_boot_epoch != w->epoch || w->rom_boot_release != release) {
        rom_state_reset(&w->rom); /* a new boot: the chip was reset since */
        stub_reset(w->stub);
        w->rom_boot_epoch = w->epoch;
        w->rom_boot_release = release;
    }
    int usb = b->bridge->usb_bytes_per_s > 0;
    uint32_t boot_baud = (uint32_t)b->chip->baud, chip_baud = w->rom.baud ? w->rom.baud : boot_baud;
    uint32_t host_baud = hw->host_baud ? hw->host_baud : boot_baud;
    if (!usb && host_baud != chip_baud)
        return; /* the chip's UART reads garbage: no frame, no answer */
    hw->reply_byte_ns = usb ? board_byte_ns(b) : 10.0 / chip_baud * 1e9;
    hw->reply_t0 = fmax(t, w->tx_free_ns);
    if (w->rpool.cap - w->rpool.len < REPLY_MAX) {
        w->overflow = 1; /* sim_epoch_full keeps this from happening */
        return;
    }
    hw->roff = (uint32_t)w->rpool.len;
    struct rom_ctx c = {.chip = &b->chip->rom, .board = &b->rom, .flash = w->flash, .boot_baud = boot_baud};
    w->rom_ctx = c;
    uint8_t frame[WRITE_MAX];
    const uint8_t *in = w->wpool.b + hw->off;
    uint8_t *out = w->rpool.b + hw->roff;
    size_t pos = 0, k = 0, n = 0;
    int got;
    while ((got = slip_next_frame(in, hw->n, &pos, frame, sizeof frame, &n)) != 0) {
        if (got <= 0)
            continue;
        if (w->rom.stub_running) { /* the uploaded flasher stub answers (sim/stub.h) */
            uint32_t baud = 0;
            stub_set_regs(w->stub, &(struct stub_regs){.read = stub_reg_read, .write = stub_reg_write, .ctx = w});
            k += stub_answer(w->stub, w->flash, c.chip, frame, n, out + k, REPLY_MAX - k, &baud);
            k += stub_more(w->stub, w->flash, out + k, REPLY_MAX - k);
            if (stub_take_reboot(w->stub)) /* back in the ROM loader at its boot rate */
                rom_state_reset(&w->rom);
            if (baud != 0)
                w->rom.baud = baud; /* after its reply, which went out at the old rate */
            continue;
        }
        k += rom_frame(&w->rom, &c, frame, n, out + k, REPLY_MAX - k);
        if (w->rom.stub_running) /* MEM_END jumped to it: it greets */
            k += stub_hello(out + k, REPLY_MAX - k);
    }
    uint32_t read_baud = w->host_baud ? w->host_baud : boot_baud;
    if (!usb && read_baud != chip_baud)
        memset(out, GARBAGE_BYTE, k); /* the host reads at another rate */
    hw->rlen = (uint32_t)k;
    w->rpool.len += k;
    w->tx_free_ns = hw->reply_t0 + (double)k * hw->reply_byte_ns;
}

/* The chip's answers to what the host wrote, from write `from` on,
 * appended to the UART at the pace its rate gives. A byte's time in
 * p->uart.t is when it has arrived less one byte at the board's boot rate
 * (what the readers add), so bytes at another rate arrive when they do. */
double world_physics_answer_writes(struct sim_world *w, struct physics *p, int from)
{
    double byte_ns = board_byte_ns(w->board), end = 0;
    for (int i = from; i < w->n_writes; i++) {
        struct host_write *hw = &w->writes[i];
        if (!hw->answered)
            answer_once(w, p, hw);
        const uint8_t *reply = w->rpool.b + hw->roff;
        for (uint32_t k = 0; k < hw->rlen; k++) {
            if (p->uart.len >= p->uart.cap) {
                p->uart.overflow = 1;
                break;
            }
            if (p->uart.len < UART_TIMES_MAX)
                p->uart.t[p->uart.len] = hw->reply_t0 + (double)(k + 1) * hw->reply_byte_ns - byte_ns;
            p->uart.buf[p->uart.len++] = reply[k];
        }
        if (hw->rlen)
            end = fmax(end, hw->reply_t0 + (double)hw->rlen * hw->reply_byte_ns);
    }
    return end;
}
