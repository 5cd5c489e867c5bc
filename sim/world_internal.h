/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the world's files share (world.c: lifecycle, the host model, real
 * time, sim_finish; world_physics.c: the board's nets and the chip;
 * world_analyzer.c: the virtual analyzer): the world's state, the RC net,
 * and the calls sim_finish makes. The run's hot path: the small helpers
 * both sides use are static inline here. Used only inside sim/. */
#ifndef RESETLAB_SIM_WORLD_INTERNAL_H
#define RESETLAB_SIM_WORLD_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "lab.h"
#include "rng.h"
#include "rom.h"
#include "stub.h"
#include "world_truth.h"
#include "analyzers/usb_otg.h"


#define MAX_CHANGES 512
#define MAX_CH_EDGES 256
#define BANNER_MAX SIM_BANNER_MAX
#define MAX_WRITES 256 /* a tool's run: up to 14 attempts × 16 SYNC tries (TOOL_MAX_ATTEMPTS) */
/* The longest host write: one SLIP frame of esptool's largest command,
 * FLASH_DATA with the stub's 0x4000-byte blocks (loader.py
 * FLASH_WRITE_SIZE 0x4000; the ROM's 0x400, MEM blocks 0x1800,
 * ESP_RAM_BLOCK), 8-byte header and 16-byte block header, every byte
 * escaped (two on the wire), and the two 0xC0. */
#define WRITE_MAX (2 * (ESP_HEADER_LEN + 16 + 0x4000) + 2)
/* The host's bytes one epoch keeps: the epoch is full (sim_epoch_full)
 * once fewer than WRITE_MAX are left. */
#define WRITE_POOL_MAX (1u << 20)
/* The chip's answers one epoch keeps (its ROM's replies, SLIP-encoded),
 * and one write's at most: the stub's READ_FLASH reply with the first
 * 0x1000-byte block (esptool loader.py read_flash: FLASH_SECTOR_SIZE
 * blocks, 64 bytes in flight, so one block a host frame), every byte
 * escaped, plus the status frame and the digest frame. */
#define REPLY_MAX (2 * 0x1000 + 256)
#define REPLY_POOL_MAX (1u << 20)
/* The chip's answers one of serve's epochs holds (sim_epoch_full): half
 * the UART's timed bytes (UART_TIMES_MAX), the rest for banners, so a
 * long exchange (READ_FLASH_SLOW's 1,024 commands for 64 KiB) goes on in
 * the next epoch rather than past the UART's end. */
#define EPOCH_REPLY_MAX (UART_TIMES_MAX / 2)
/* What a world allocates for them when made (the matrix's runs never need
 * more: MAX_WRITES SYNC frames of 46 bytes and their replies); serve's
 * epochs grow them up to the limits above. */
#define POOL_START (64u * 1024)

/* Bytes the host wrote, as they arrive at the chip's UART, and the chip's
 * answer to them, made once (world_physics_answer_writes): replaying the
 * epoch gives the same bytes at the same times. */
struct host_write {
    int64_t t_arrive_ns;
    uint32_t off, n;        /* the bytes: wpool[off, off + n) */
    uint32_t host_baud;     /* the host's rate when it wrote them (0: the chip's boot rate) */
    int answered;           /* the chip has seen them (answer below, maybe none) */
    uint32_t roff, rlen;    /* the answer: rpool[roff, roff + rlen) */
    double reply_t0, reply_byte_ns; /* its first byte's start, each byte's time at the chip's rate then */
};

/* A growing byte store bounded by `max`. */
struct byte_pool {
    uint8_t *b;
    size_t len, cap, max;
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

#define UART_TIMES_MAX 32768

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
    /* Out of reset, straps not yet latched (the chip's sample_delay_ms):
     * they are read at sample_at for the release at released_at. */
    int sample_pending;
    double sample_at, released_at;
    int usb_flag, usb_latched; /* USB-Serial/JTAG: download requested; latched at the reset */
    struct usb_otg_state otg;  /* USB-OTG: who answers the line state, and how far it got */
};

/* A USB-OTG board's port as the host sees it (world_usb.c): off the bus in
 * [gone_ns, back_ns) after the chip's last restart; a handle opened before
 * gone_ns is dead from then on (the OS hung it up), whatever comes back. */
struct usb_port {
    struct usb_otg_state dev; /* the device as the host's packets have moved it */
    double gone_ns, back_ns;  /* -INFINITY: it never left */
    double opened_ns;         /* when the host's handle was opened */
    int lost;                 /* the last call failed because of it (sim_port_lost) */
};

/* How an epoch starts: the board at rest under these lines (sim_continue). */
struct start_state {
    uint8_t dtr, rts;
    struct chip_state chip;
    enum boot_mode mode; /* what the chip runs when not in reset: its ROM listens in download mode */
};

/* What each boot of the epoch found at the chip's image offset, read the
 * first time the boot is simulated: the physics is re-run after every line
 * change, and a banner already sent must not change when the flash is
 * written afterwards. */
#define BOOT_MEMO_MAX 64
struct boot_memo {
    int n;
    uint32_t word[BOOT_MEMO_MAX];
};

struct physics {
    const struct board_profile *b;
    const struct circuit *circuit; /* between the lines and EN/IO0: the board's, or a network bridge's wiring */
    const struct sim_flash *flash; /* the board's (serve), or NULL: banners as boards.yaml gives them */
    struct boot_memo *memo;
    int n_boots; /* resets released so far in this simulation of the epoch */
    struct net en, io0;
    struct net en_start; /* EN at rest when the epoch began */
    double io0_start_v;  /* IO0's voltage then */
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
    double quiet_ns; /* sim_quiet_ns */
    enum boot_mode end_mode; /* what the chip runs after the epoch's last reset */
    double last_release_ns;  /* the epoch's last reset release; -INFINITY: none */
    int overflow;
};

#define NOISE_TABLE 1024 /* 10 bits of an index */
#define FLAT_NOISE 8192  /* scaled noise for the flat stretches of the analog channel: 0.4 s at 20 kS/s */
#define SIM_PEEK_UART 16384 /* the UART a tool reads during its run: 14 attempts of banners and answers */

/* What the chip has sent so far in this epoch, for sim_read (world.c):
 * valid while no line change or write was added since. */
struct sim_peek {
    int valid, n_changes, n_writes;
    size_t banner_len; /* the banners' bytes come first in the buffer, the ROM's answers after */
    struct sim_truth truth;
    uint8_t uart[SIM_PEEK_UART];
};

/* A network bridge's connection (sim/netbridge.c): what the server knows
 * and when its serial side is free. */
struct net_state {
    const struct net_client *client; /* the tool's library on this connection */
    enum net_mode mode;
    int connected, seen_data; /* the first segment went (the sniff is decided) */
    int armed;                /* a replay is armed (esp_rfc2217_server's is_download_mode) */
    int dead;                 /* the client gave up: nothing more reaches the board */
    int64_t srv_free_ns;      /* the server's serial side is busy until then */
    uint8_t dtr, rts;         /* the board-side lines as the server last set them */
};

struct sim_world {
    struct physics phys; /* reused run after run: no allocation per run */
    float normal[NOISE_TABLE]; /* standard normal deviates: the analog channel's noise, cheaply */
    float flat_noise[FLAT_NOISE]; /* the same scaled by flat_noise_v, walked from a random start */
    double flat_noise_v;
    int flat_noise_ready;
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
    int n_writes, n_answered;
    struct byte_pool wpool, rpool;
    uint32_t host_baud; /* sim_set_host_baud; 0: the chip's boot rate */
    /* The chip's protocol state (sim/rom.h) and the boot it belongs to:
     * the epoch (counted from the world's reset) and the release that
     * started it (-INFINITY: before the epoch began). Another boot clears it. */
    struct rom_state rom;
    uint64_t epoch, rom_boot_epoch;
    double rom_boot_release;
    double tx_free_ns; /* the chip's UART sends nothing new before this (this epoch) */
    struct sim_flash *flash; /* the board's, owned by the caller (sim_attach_flash) */
    struct stub_session *stub; /* the flasher stub once MEM_END started it (w->rom.stub_running) */
    struct rom_ctx rom_ctx;    /* what the stub's register hooks reach the register file with */
    struct boot_memo boot_memo; /* this epoch's boots (cleared by sim_continue) */
    struct sim_peek peek;
    uint8_t merge_byte[UART_TIMES_MAX]; /* sim_finish's time-ordered UART, before it is copied back */
    double merge_t[UART_TIMES_MAX];
    int64_t read_from_ns; /* the host has read what arrived until then */
    struct net_state net;     /* the host's network bridge, when it has one */
    struct usb_port usb;      /* a USB-OTG board's port */
    int overflow;
    char error[160];
};

/* V(t) of one RC net. */
static inline double world_net_v(const struct net *n, double t)
{
    if (n->tau_ns <= 0 || t <= n->t0)
        return t <= n->t0 ? n->v0 : n->target;
    return n->target + (n->v0 - n->target) * exp(-(t - n->t0) / n->tau_ns);
}

/* ---- world_physics.c: the board and the chip ---- */

/* The board's nets and the chip over the epoch's line changes: through the
 * transistor circuit (RC on EN and IO0), or the USB-Serial/JTAG
 * peripheral's line-state packets. */
void world_physics_simulate_transistor(struct physics *p, const struct line_change *ch, int n);
void world_physics_simulate_usb_jtag(struct physics *p, const struct line_change *ch, int n);
/* USB-OTG (analyzers/usb_otg.h): each packet through the device model; a
 * restart is a pulse, and the banner goes to UART0, which the host does not
 * see over USB. */
void world_physics_simulate_usb_otg(struct physics *p, const struct line_change *ch, int n);

/* ---- world_usb.c: a USB-OTG board's port off the bus ---- */

/* Whether the board is one (its real circuit). */
int world_usb_otg(const struct sim_world *w);
/* The port as a new epoch or run begins: the device as `start` says. */
void world_usb_start(struct sim_world *w, double shift_ns);
/* Before a host call at w->t_ns: 1 (w->lost, the error set as the OS
 * words it, `what`: "set", "write", "read") when the host's handle died. */
int world_usb_dead(struct sim_world *w, const char *what);
/* A line-state packet that reached the device at t_ns: a restart takes
 * the port off the bus. */
void world_usb_packet(struct sim_world *w, double t_ns, int dtr, int rts);
/* Opening at w->t_ns: -1 (error set, w->lost) while the port is off the bus. */
int world_usb_open(struct sim_world *w);
/* A read's deadline, cut where the handle dies (lost set then). */
int64_t world_usb_read_until(struct sim_world *w, int64_t deadline);
/* When the pending banner's last byte is out; 0 when none is pending. */
double world_physics_uart_end(const struct uart_out *u);
/* Emits the pending banner's bytes that finish before `until`. */
void world_physics_uart_flush(struct uart_out *u, double until);
/* The ROM's answers to what the host wrote, from write `from` on
 * (appended to the UART); when the last is out. */
double world_physics_answer_writes(struct sim_world *w, struct physics *p, int from);

/* ---- world_analyzer.c: the virtual analyzer ---- */

/* The channels' edges as the analyzer samples them, merged into tr by
 * time. 0, or -1 when the trace is full. */
int world_analyzer_merge_into_trace(struct trace *tr, struct ch_edges ce[CH_COUNT], const int initial[CH_COUNT],
                                    double period_ns);
/* The analog EN channel up to t_end, with the analyzer's noise. */
void world_analyzer_sample_en(const struct sim_world *w, const struct physics *p, double t_end, struct analog *out);

#endif
