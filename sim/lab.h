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
    char label[16]; /* the op in DSL form ("W0.05"), made once when parsed: the op log copies it */
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

/* How the tool reaches the port: a local device, or rfc2217:// (esptool
 * picks its reset strategies by it, and cannot do a `U` step there). */
enum port_kind { PORT_LOCAL, PORT_RFC2217, PORT_KIND_COUNT };
const char *port_kind_name(enum port_kind k);

struct board_profile;
/* How long one byte of the chip's serial output (or of the host's
 * writes) takes, in ns: 8N1 at the chip's baud rate, or the USB rate of a
 * chip's own USB serial. */
double board_byte_ns(const struct board_profile *b);

/* Time one bridge request (or one sleep's overshoot) takes, in ms:
 * floor + lognormal(median − floor, sigma), plus with probability spike_p a
 * spike of about spike_ms. */
struct latency {
    double floor_ms, median_ms, sigma, spike_p, spike_ms;
};

/* ---- network serial bridges (docs/bridges.md) ----
 *
 * A host can reach the board through a network bridge: a client library on
 * the tool's machine (pyserial's rfc2217:// or socket://, our own client),
 * a network link, and a server next to the board (ser2net, esptool's
 * esp_rfc2217_server, esp-link). What each does with the lines is data in
 * boards.yaml (net_clients:, net_links:, net_bridges:); sim/netbridge.c
 * plays it. */

#define NET_MAX_SNIFF 8      /* first-segment rules of one bridge */
#define NET_SNIFF_BYTES 4    /* bytes one rule compares */
#define NET_MAX_CLIENTS 16   /* connections one bridge serves at once (max_clients:) */
#define NET_REFUSE_MAX 64    /* the text a refused connection is sent (refuse_text:) */

/* What one SET-CONTROL (DTR on/off, RTS on/off) does at the server. */
struct net_command {
    int drives;          /* the board-side line it sets: 0 DTR, 1 RTS, -1 none */
    int level;           /* the level it sets that line to (asserted) */
    struct op_seq replay; /* n > 0: the server plays this on its own port instead */
    int unless_armed;    /* only when no replay is armed (esp_rfc2217_server's is_download_mode) */
    int arms, disarms;   /* sets / clears that flag */
    int answers;         /* the server answers it (RFC 2217 says it must) */
};
enum net_cmd { NET_DTR_ON, NET_DTR_OFF, NET_RTS_ON, NET_RTS_OFF, NET_CMD_COUNT };

/* What a connection becomes from its first TCP segment (esp-link's
 * serbridgeRecvCb). */
enum net_mode { NET_MODE_RFC2217, NET_MODE_TRANSPARENT, NET_MODE_TELNET, NET_MODE_PROGRAM };
struct net_sniff {
    uint8_t bytes[NET_SNIFF_BYTES];
    int n;
    int prefix;          /* 1: the segment starts with bytes[0..n); 0: it is exactly them */
    enum net_mode mode;
};

struct net_bridge {
    char name[32];
    int answers_other_control; /* answers a SET-CONTROL other than DTR/RTS (flow control) */
    int answers_settings;  /* answers SET-BAUDRATE/DATASIZE/PARITY/STOPSIZE */
    int requests_per_line; /* serial-side requests (the server host's `request` each) before a line moves */
    int requests_per_answer; /* then more before the answer goes out */
    struct net_command cmd[NET_CMD_COUNT];
    struct op_seq on_connect, on_disconnect;       /* what the server does to the lines itself */
    struct op_seq program_enter, program_leave;    /* a programming connection's reset pulses */
    struct net_sniff sniff[NET_MAX_SNIFF];
    int n_sniff;           /* 0: every connection speaks RFC 2217 */
    const struct circuit *circuit; /* the target wired to the bridge's own pins; NULL: the board's circuit */
    int uart_fifo_full;    /* UART→TCP: a batch goes when the RX FIFO holds this many bytes... */
    double uart_timeout_chars; /* ...or after this many character times of silence; 0: byte by byte */
    int max_clients;       /* connections served at once, the board's UART fanned out to each (1 to NET_MAX_CLIENTS) */
    char refuse_text[NET_REFUSE_MAX]; /* what a connection past them is sent before it is closed; "": nothing */
};

struct net_link {
    char name[32];
    struct latency one_way; /* one segment, one way */
};

/* The client side: the tool's library. */
struct net_client {
    char name[32];
    int has_lines;         /* 0: socket:// (pyserial ignores DTR and RTS there) */
    double poll_ms;        /* it looks for an answer every poll_ms (0: it wakes when the answer arrives) */
    double timeout_ms;     /* and gives up after this (the tool fails) */
    double no_answer_sleep_ms; /* with ?ign_set_control: it sleeps this instead of waiting */
    int open_round_trips;  /* negotiations before the settings, each waited for */
    int open_settings;     /* then waits for the settings' answers (pyserial's _reconfigure_port) */
    int open_control;      /* then one SET-CONTROL of flow control, waited for as a line command */
    double close_sleep_ms; /* its close sleeps this after the socket is shut */
    uint8_t hello[NET_SNIFF_BYTES]; /* its first segment (telnet negotiation); none: the tool's first write */
    int n_hello;
    int pair_in_one_send;  /* a both-lines change goes out as two commands in one segment */
    int is_default;        /* the client of tools that do not name one */
};

struct net_path {
    const struct net_bridge *bridge;
    const struct net_link *link;
    const struct net_client *client; /* the host's URL scheme's client; NULL: the tool's */
    const struct net_client *default_client; /* the lab's default, for tools that name none */
    int ign_set_control;             /* the URL's ?ign_set_control */
    int program_port;                /* esp-link's second port (2323): every connection programs */
    char only_circuit[48];           /* the boards it applies to: their circuit; "": all */
};

struct host_profile {
    char name[48];
    enum host_os os;
    struct latency request;  /* one USB control request, call to completion */
    struct latency overshoot; /* how late a sleep wakes up */
    int split_both_lines;    /* a both-lines change reaches the bridge as two requests */
    enum port_kind port;     /* how a tool on this host reaches the board's port */
    struct net_path net;     /* net.bridge != NULL: through a network bridge; request is then the server's */
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
    int usb_pid;                /* the USB product id a tool sees on a local port; -1 unknown */
    int usb_vid;                /* and its vendor id (esptool-js checks both); -1 unknown */
    double usb_bytes_per_s;     /* the chip's own USB serial: bytes at this rate, not at its UART's baud; 0: a UART */
    struct os_behaviour os[OS_COUNT];
};

/* The longest ROM banner the simulator prints (header, reset cause, ',',
 * boot text), NUL included: the lab refuses a chip whose banner is longer,
 * rather than cut it. */
#define SIM_BANNER_MAX 640

/* A chip's native USB (chips.<name>.usb): what a board may plug into. */
enum chip_usb_bits { CHIP_USB_SERIAL_JTAG = 1, CHIP_USB_OTG = 2 };

/* A strap pin besides the boot pin that the boot mode needs at a level
 * (chips.<name>.straps: the ESP8266's GPIO15 low and GPIO2 high, the C3's
 * GPIO8 high for download). */
#define CHIP_STRAPS_MAX 4
enum strap_level { STRAP_ANY, STRAP_LOW, STRAP_HIGH };
struct chip_strap {
    char pin[16];
    uint8_t download, flash; /* enum strap_level the mode needs */
    uint8_t deflt;           /* the chip's own pull; STRAP_ANY: none, the board must set it */
};

struct chip_profile {
    char name[32];
    int usb;                 /* CHIP_USB_* bits; 0: none */
    struct chip_strap straps[CHIP_STRAPS_MAX];
    int n_straps;
    struct chip_timing timing;
    double en_vil_v;      /* EN must stay under this (V_IL_nRST) for min_reset_pulse_us */
    double io0_switch_frac; /* IO0 read as high above this fraction of VDD */
    double boot_delay_ms; /* reset release to the first ROM byte */
    int baud;
    struct rom_chip rom; /* the ROM loader's answers in download mode */
    char *rom_header, *rst_pin, *rst_usb, *boot_download, *boot_flash;
    /* A flash boot with the board's flash attached (serve): the first
     * byte at image_offset is an image's magic, or the ROM prints
     * boot_no_image instead of boot_flash ("{header}" in it: the word
     * it read). NULL: not described; boot_flash is printed. */
    uint32_t image_offset;
    char *boot_no_image;
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
    struct rom_board rom; /* what the ROM reads of the board: its MAC, its flash (mac:, flash:) */
    uint8_t straps[CHIP_STRAPS_MAX]; /* the level the board holds each of its chip's straps at (enum strap_level) */
};

/* ---- tools: a connect loop as data (docs/tools.md) ----
 *
 * A tool does not run one reset sequence once: it cycles through reset
 * strategies over several attempts, reads the boot log after each reset,
 * tries SYNC a few times, and once connected resets the chip into its
 * application (--after hard_reset). Which strategies it cycles depends on
 * the host's OS, the port's kind and the USB PID it sees: a tool file
 * lists rules, and the first that matches applies, as the tool's own code
 * decides (esptool's _construct_reset_strategy_sequence). */

/* esptool's connect_attempts 0 ("forever") is capped here: 14 resets and an
 * after-reset stay within the 16 chip resets a run's analysis follows */
#define TOOL_MAX_ATTEMPTS 14
#define TOOL_MAX_STEPS 8     /* strategies in one rule's cycle */
#define TOOL_MAX_RULES 8
#define TOOL_MAX_STRATEGIES 16 /* named in one tool file */
#define TOOL_MAX_SYNC_TRIES 16
#define TOOL_MAX_RECONNECTS 8 /* tries of a reset strategy on a port that left the bus */

/* When a rule applies; a mask of 0 or a pid of -1 matches anything. */
struct tool_when {
    int os_mask;   /* 1 << enum host_os */
    int port_mask; /* 1 << enum port_kind */
    int usb_pid;   /* the port's USB PID as the tool sees it (local ports only) */
};

/* One strategy as a cycle uses it: a named sequence with its delay. */
struct tool_step {
    char label[48];   /* "UnixTightReset 0.05" */
    struct op_seq seq; /* line ops and waits only */
    int rewrite_dtr;   /* writes DTR again after each RTS change (esptool's _setRTS) */
};

struct tool_rule {
    struct tool_when when;
    struct tool_step steps[TOOL_MAX_STEPS];
    int n_steps;
};

/* How a tool waits for the ROM: `tries` SYNC requests per attempt, the
 * first reply within `timeout_s`, then `replies − 1` more within
 * `reply_timeout_s` each; `pause_s` after a failed try. */
struct tool_sync {
    int tries, replies;
    double timeout_s, reply_timeout_s, pause_s;
    int skip_junk; /* bytes before a frame are skipped (a plain SLIP decoder), not an "Invalid head of packet" */
};

/* A port that fails during a reset strategy (it left the bus): closed,
 * `pause_s` waited, opened again and the strategy run again, `tries` times
 * in all (esptool >= 4.8, reset.py ResetStrategy.__call__: 3, 0.5 s).
 * tries 0: the tool stops at the error. */
struct tool_reconnect {
    int tries;
    double pause_s;
};

struct tool {
    int attempts;
    struct tool_reconnect reconnect;
    int attempts_capped; /* the file asked for more, or 0 ("forever"): capped at TOOL_MAX_ATTEMPTS */
    struct tool_rule cycle[TOOL_MAX_RULES];
    int n_cycle;
    struct tool_rule after[TOOL_MAX_RULES]; /* its first step; none: it leaves the chip as it is */
    int n_after;
    int flush_before_reset; /* empties the input before each reset (esptool, local ports) */
    int boot_log;           /* reads what arrived after a reset and looks for "boot:0x.." */
    struct tool_sync sync;
    char fail_message[96]; /* what it prints when the attempts run out; "{error}" is the last attempt's error */
    int reads_esptool_cfg; /* a user's esptool.cfg can set its custom_reset_sequence (esptool >= 4.5) */
    double work_s; /* connected → after: what the tool does in between (flashing), in seconds */
};

/* The rule that applies, or NULL. */
const struct tool_rule *tool_rule_for(const struct tool_rule *rules, int n, enum host_os os, enum port_kind port,
                                      int usb_pid);

struct scenario {
    char name[64];
    char origin[160];
    char product[48];  /* the tool and versions a user runs ("esptool 4.5–4.12"); "": a bare strategy */
    char used_by[160]; /* who runs it for the user ("arduino-esp32 2.0.x uploads"); "" */
    char file[256];
    enum boot_mode expected;
    struct op_seq seq[OS_COUNT];
    int rewrite_dtr_after_rts; /* esptool's _setRTS re-writes DTR after every RTS change */
    int after_power_on;        /* the run starts right after power-on: its first open is the bridge's first */
    int os_mask;               /* bit (1 << enum host_os) set for the OSes the tool runs on */
    int port_mask;             /* bit (1 << enum port_kind) set for the ports it can open; 0: any */
    char only_bridges[4][32];  /* when set, the scenario applies to these bridges only */
    int n_only_bridges;
    struct tool *tool;         /* a tool's connect loop (seq: its open); NULL: a single sequence */
    char rfc2217_client[32];   /* its rfc2217:// library, a net_clients: name; "": the lab's default */
    const struct net_client *net_client; /* that client, resolved when the lab loads its scenarios */
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
    struct net_bridge *net_bridges;
    int n_net_bridges;
    struct net_link *net_links;
    int n_net_links;
    struct net_client *net_clients;
    int n_net_clients;
    struct board_profile *boards;
    int n_boards;
    struct scenario *scenarios;
    int n_scenarios;
};

void lab_free(struct lab *lab);
void op_seq_free(struct op_seq *s);
void tool_free(struct tool *t);
void scenario_free(struct scenario *s); /* its sequences and tool; the struct stays */

const struct board_profile *lab_board(const struct lab *lab, const char *name);
const struct host_profile *lab_host(const struct lab *lab, const char *name);
const struct scenario *lab_scenario(const struct lab *lab, const char *name);
int scenario_applies(const struct scenario *s, const struct board_profile *b, const struct host_profile *h);

/* The analyzer's view of a board. */
struct board_model board_model_of(const struct board_profile *b);
/* The same, as a host's network bridge wires it: esp-link's pins drive EN
 * and IO0 themselves (net_bridges: circuit:), so that is the design the
 * analyzers check. */
struct board_model board_model_on(const struct board_profile *b, const struct host_profile *h);

#endif
