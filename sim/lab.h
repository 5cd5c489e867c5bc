/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lab as data: what boards.yaml and scenarios/ describe (docs/lab.md;
 * CONTRIBUTING.md#data-flow). The simulator reads these; the harness loads them. No numbers live
 * here: every constant comes from boards.yaml.
 */
#ifndef RESETLAB_LAB_H
#define RESETLAB_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/analyze.h"
#include "rom.h"

/* ---- sequences (esptool's custom_reset_sequence DSL, extended) ---- */

enum op_kind {
    OP_DTR,             /* D0 / D1 */
    OP_RTS,             /* R0 / R1 */
    OP_BOTH,            /* U<dtr>,<rts>: both lines in one call (one TIOCMSET) */
    OP_WAIT,            /* W<seconds> */
    OP_SYNC,            /* S: write esptool's SYNC request (the ROM answers in download mode) */
    OP_OPEN,            /* O: open, the OS raises the lines as it does by default */
    OP_OPEN_LOWERED,    /* O0: open asking for DTR and RTS lowered */
    OP_CLOSE,           /* C: close as the host OS does */
    OP_CLOSE_RTS_DTR,   /* C0: clear RTS, then DTR, then close (mpremote) */
};

struct op {
    enum op_kind kind;
    uint8_t dtr, rts; /* asserted values for line ops */
    double wait_s;
    int pos; /* 1-based character position in the source text */
};

struct op_seq {
    struct op *ops;
    int n;
};

static inline int op_is_port_op(enum op_kind k)
{
    return k >= OP_OPEN;
}

/* ---- hosts, bridges, chips, boards ---- */

enum host_os { OS_LINUX, OS_WINDOWS, OS_COUNT };
const char *host_os_name(enum host_os os);

/* Time one bridge request (or one sleep's overshoot) takes, in ms:
 * floor + lognormal(median − floor, sigma), plus with probability spike_p a
 * spike of about spike_ms. */
struct latency {
    double floor_ms, median_ms, sigma, spike_p, spike_ms;
};

struct host_profile {
    char name[48];
    enum host_os os;
    struct latency request;  /* one USB control request, call to completion */
    struct latency overshoot; /* how late a sleep wakes up */
    int split_both_lines;    /* a both-lines change reaches the bridge as two requests */
};

struct os_behaviour {
    struct op_seq open, open_lowered, close;
    /* The first open after the board (and its bridge) powered up, when the
     * driver does something else then (CP210x on Windows, some CH340s);
     * empty: the same as open / open_lowered. */
    struct op_seq first_open, first_open_lowered;
};

struct bridge_profile {
    char name[32];
    int both_lines_one_request; /* the driver turns one TIOCMSET into one USB request */
    struct os_behaviour os[OS_COUNT];
};

struct chip_profile {
    char name[32];
    struct chip_timing timing;
    double en_vil_v;      /* EN must stay under this (V_IL_nRST) for min_reset_pulse_us */
    double io0_switch_frac; /* IO0 read as high above this fraction of VDD */
    double boot_delay_ms; /* reset release to the first ROM byte */
    int baud;
    struct rom_chip rom; /* the ROM loader's answers in download mode */
    char *rom_header, *rst_pin, *rst_usb, *boot_download, *boot_flash;
};

struct analyzer_cfg {
    char kind[16]; /* "sim" (the virtual analyzer) or "sigrok" (a real one, live) */
    /* sigrok: as sigrok-cli spells them, and which device channel is ours */
    char driver[96];    /* "fx2lafw", "fx2lafw:conn=1.5", "demo" */
    char config[256];   /* "samplerate=4M:limit_time=2000" */
    char channels[160]; /* "D0=DTR,D1=RTS,D2=EN,D3=IO0,D4=RX" */
    double pretrigger_pct; /* capture kept before the first DTR/RTS edge, percent */
    double threshold_v, sample_rate_hz;
    double tail_ms;          /* capture kept running after the last event */
    double settle_ms;        /* lines stable this long before the truth table is checked */
    double transient_max_ms; /* one line, then the other within this: one transition */
    double analog_en_rate_hz; /* an analog channel on EN at this rate; 0: none */
    double analog_noise_v;    /* its noise, RMS volts */
    char log_dir[256];        /* kind "serve": the `resetlab serve --out` folder its captures are in */
};

/* What a board's parts are. */
struct board_parts {
    const struct circuit *circuit;
    double en_r_ohms, en_c_farads;
    double io0_pullup_ohms, io0_c_farads;
};

struct board_profile {
    char name[48];
    const struct chip_profile *chip;
    const struct bridge_profile *bridge;
    /* The design, which the analyzers check against... */
    const struct circuit *circuit;
    double en_r_ohms, en_c_farads, en_c_tolerance;
    double io0_pullup_ohms, io0_c_farads;
    /* ...and what the simulated board really has: the design, unless
     * boards.yaml injects a `fault:` (an open transistor, a wrong part). */
    struct board_parts real;
    char fault[128]; /* the fault's description, empty when none */
    double vdd;
    char port[128];
    struct analyzer_cfg analyzer;
};

struct scenario {
    char name[64];
    char origin[160];
    char file[256];
    enum boot_mode expected;
    struct op_seq seq[OS_COUNT];
    int rewrite_dtr_after_rts; /* esptool's _setRTS re-writes DTR after every RTS change */
    int after_power_on;        /* the run starts right after power-on: its first open is the bridge's first */
    int os_mask;               /* bit (1 << enum host_os) set for the OSes the tool runs on */
    char only_bridges[4][32];  /* when set, the scenario applies to these bridges only */
    int n_only_bridges;
};

struct lab {
    char path[256];
    struct circuit *circuits;
    int n_circuits;
    struct chip_profile *chips;
    int n_chips;
    struct bridge_profile *bridges;
    int n_bridges;
    struct host_profile *hosts;
    int n_hosts;
    struct board_profile *boards;
    int n_boards;
    struct scenario *scenarios;
    int n_scenarios;
};

void lab_free(struct lab *lab);
void op_seq_free(struct op_seq *s);

const struct board_profile *lab_board(const struct lab *lab, const char *name);
const struct host_profile *lab_host(const struct lab *lab, const char *name);
const struct scenario *lab_scenario(const struct lab *lab, const char *name);
int scenario_applies(const struct scenario *s, const struct board_profile *b, const struct host_profile *h);

/* The analyzer's view of a board. */
struct board_model board_model_of(const struct board_profile *b);

#endif
