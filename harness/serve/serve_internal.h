/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the server's files share (serve.c: sockets, the owner and the
 * loop; serve_board.c: the simulated board behind the connection;
 * serve_commands.c: the client's RFC 2217 commands and data): the server's
 * state, one connection, and the calls between them. Used only inside
 * harness/serve/. */
#ifndef RESETLAB_SERVE_SERVE_INTERNAL_H
#define RESETLAB_SERVE_SERVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "harness/port/port_rfc2217_codec.h"
#include "harness/port/port_serial.h"
#include "serve_log.h"
#include "serve_opts.h"

#define MAX_WAITING 64 /* a tool reconnecting in a loop queues behind its own closing connections */
/* Answers queued at once. When it is full the owner's input is not read
 * further until half have gone out (backpressure: every command applied
 * is answered, none dropped; by halves, so the board is re-simulated once
 * per 32 commands, not once per command). */
#define MAX_ANSWERS 64
#define SERVE_OUT_LIMIT (1u << 20) /* a client that leaves this much of our output unread is dropped */
#define IN_MAX 4096 /* the owner's input read at once, parsed as the answers' queue has room */
#define SCHED_MAX SERVE_EPOCH_UART_MAX /* UART bytes of one epoch (serve_log.h) */
/* The longest SLIP frame passed to the board: esptool's largest, a
 * FLASH_DATA of 0x4000 bytes (loader.py FLASH_WRITE_SIZE, the stub's
 * block) with its 8 + 16 header bytes, every byte escaped, and the two
 * 0xC0. A longer frame is cut here (its tail dropped, logged once a
 * connection) and the chip answers the cut frame as malformed. */
#define FRAME_MAX (2 * (8 + 16 + 0x4000) + 2)

struct conn {
    int fd; /* -1: none */
    char peer[64];
    struct r2217 codec;
    uint8_t *out;
    size_t out_len, out_cap;
    int64_t since_ns;
    int64_t active_ns; /* CLOCK_MONOTONIC of the last DTR/RTS command or esptool request (--idle-timeout) */
    struct serve_budget_rate protocol_errors; /* the rate at which its malformed input is logged */
    uint8_t in[IN_MAX]; /* read from the socket, not yet parsed: in[in_off..in_len) */
    size_t in_off, in_len;
    int held; /* its input waits until half the answers' queue is free */
    /* --bridge: what its first segment made it (enum net_mode; -1 not yet),
     * that segment, and how often it sent it again */
    int mode;
    uint8_t first[NET_SNIFF_BYTES];
    size_t first_len;
    long resent;
};

#define ANSWER_MAX 16 /* an RFC 2217 answer, or a --tty wire message (preload/tty_wire.h) */
_Static_assert(R2217_COMMAND_MAX <= ANSWER_MAX, "an RFC 2217 answer fits");

struct answer {
    int64_t due_v; /* on the epoch's clock */
    uint8_t b[ANSWER_MAX];
    size_t n;
};

struct serve_tty;

struct serve {
    struct serve_opts o;
    struct serve_tty *tty; /* --tty: the pty and its control socket (listen_fd); NULL: RFC 2217 */
    int listen_fd;
    char address[96];
    struct conn owner;
    struct conn waiting[MAX_WAITING];
    int n_waiting;
    struct sim_world *w;
    int64_t epoch0_ns; /* CLOCK_MONOTONIC of the epoch's t = 0 */
    struct attempt at; /* what the epoch did, for the log */
    struct serve_log *log;
    /* the UART as sim_finish last saw it, by time */
    struct uart_byte *sched;
    size_t n_sched;
    uint8_t *uart;
    int dirty, sim_failed;
    int64_t sent_until_v, rx_free_v, absorb_until_v;
    size_t sent_n; /* --bridge with UART batches: the bytes sent so far, in order (a batch's
                      leave time moves while it fills: by time a byte could go twice) */
    int64_t last_line_v, last_activity_v; /* the client's last line command, and last command or frame */
    int64_t last_traffic_v; /* the last SLIP frame from the client or UART byte to it */
    int usb_flag; /* USB-Serial/JTAG: the download flag as the bridge's lines left it */
    struct answer answers[MAX_ANSWERS];
    int n_answers;
    uint8_t frame[FRAME_MAX];
    size_t frame_len;
    int in_frame, frame_cut; /* the frame being read lost its tail; a cut was logged this connection */
    int cut_logged;
    struct sim_flash *flash; /* the board's, for the server's lifetime (boards.<name>.flash) */
    int client_dtr, client_rts; /* as the client last asked */
    int line_dtr, line_rts;     /* as the bridge holds them */
    int opened_before;          /* the tool's port was opened once: a later open is not the first */
    int new_client;             /* a client took the board and has made no line change or open yet */
    uint32_t baud, datasize, parity, stopsize, linestate_mask, modemstate_mask;
    /* --bridge: the board wired to the bridge's pins, the server machine's
     * host profile (the bridge's host without its network path), the
     * clients of a bridge that serves several (serve_bridge.c) and when
     * each UART byte leaves in the bridge's batches */
    struct board_profile wired;
    struct host_profile server_host;
    struct conn clients[NET_MAX_CLIENTS];
    int64_t *leave;
};

static inline int64_t serve_now_v(const struct serve *s)
{
    return serial_now_ns() - s->epoch0_ns;
}

/* ---- serve.c ---- */

void serve_conn_close(struct conn *c);
/* Sends what the socket takes now; -1 when the peer is gone. */
int serve_conn_flush(struct conn *c);
/* The connections a bridge serves at once are its clients[] (esp-link),
 * not one owner. */
int serve_bridge_fans_out(const struct serve *s);

int serve_conn_queue(struct conn *c, const uint8_t *b, size_t n);
/* The owner goes (why: the log's word), its lines released. */
void serve_drop_owner(struct serve *s, const char *why);

/* ---- serve_board.c: the board ---- */

/* Runs the epoch so far; the UART's bytes sorted by when they start. */
void serve_board_resimulate(struct serve *s);
/* Bytes the board has finished sending by now go to the client. */
void serve_board_send_uart(struct serve *s, int64_t v);
/* The next moment something on the board's side is due, or INT64_MAX. */
int64_t serve_board_next_uart_v(const struct serve *s);
/* A new epoch at t = 0 = now: the previous one's board at rest. */
void serve_board_new_epoch(struct serve *s);
/* Logs the epoch as an attempt (when it had line changes; note: NULL or
 * why it was cut) and starts a new one. */
void serve_board_close_attempt(struct serve *s, const char *note);
/* At virtual time v: closes the attempt once the lines were quiet for
 * --attempt-gap-ms and the board is at rest, or at once (noted as cut)
 * when the simulation failed; the one rule of serve and serve --bridge. */
void serve_board_close_if_done(struct serve *s, int64_t v);
void serve_board_record_op(struct serve *s, const char *label, int64_t arrived, int64_t before, int64_t after,
                           int is_port_op);
/* One line change as the server's host makes it; returns when the bridge
 * has applied it. */
int64_t serve_board_apply_change(struct serve *s, int dtr, int rts, const char *label, int is_port_op, int64_t v);
/* n serial requests by the server's host that move no line (a bridge's
 * TIOCMGET before and after its TIOCMSET), from v; returns when done. */
int64_t serve_board_requests(struct serve *s, int n, int64_t v);
/* --tty: the tool's own open (1) or close (0) of the port, the OS's
 * sequence (boards.yaml: the bridge's os open / first_open / close) as a
 * port op "O" or "C"; returns when it is done. */
int64_t serve_board_port_open_close(struct serve *s, int open, int64_t v);
/* A sequence the server plays itself (a replay, a bridge's reset pulse),
 * its trailing waits left out; returns when its last change is done. */
int64_t serve_board_play(struct serve *s, const struct op_seq *seq, int64_t v);
/* --reset-replay: the scenario's line changes and waits, run here. */
int64_t serve_board_replay_reset(struct serve *s, int64_t v);
/* An epoch that cannot take more ends here, at rest or not (noted). */
void serve_board_make_room(struct serve *s);
/* The board at rest: nothing due, the chip not held in reset; the epoch
 * can end. */
int serve_board_at_rest(struct serve *s, int64_t v);
/* Before a DTR/RTS command: with the board at rest and no reset sequence
 * in progress, a new attempt starts when the client has talked to the chip
 * since the attempt's reset (the tool's next reset: a connect retry, a
 * hard reset, the close), or when everything has been quiet for
 * --attempt-gap-ms. */
void serve_board_split_before_command(struct serve *s);
/* A new client took the board: its first line change or open ends the
 * last client's attempt, when the board is at rest by then. */
void serve_board_split_for_new_client(struct serve *s);
/* The lines hold a reset sequence open (EN or IO0 pulled low; the USB
 * reset state or download request): the attempt goes on however quiet. */
int serve_board_sequence_open(const struct serve *s);
/* The last activity: a command, a SLIP frame or a UART byte. */
int64_t serve_board_last_activity(const struct serve *s);
/* The epoch has line changes, data or absorbed commands. */
int serve_board_epoch_active(const struct serve *s);

/* ---- serve_commands.c: the client's commands and data ---- */

/* One RFC 2217 command: applied, and its answer queued for when it is due. */
void serve_commands_on_command(struct serve *s, const struct r2217_event *ev);
/* The client's data: SLIP frames to the chip's RX. */
void serve_commands_on_data(struct serve *s, const uint8_t *b, size_t n);
/* Answers due by v go to the owner. */
void serve_commands_send_due_answers(struct serve *s, int64_t v);
/* An answer of any form (--tty: a wire message), due at due_v. */
void serve_commands_queue_answer(struct serve *s, const uint8_t *b, size_t n, int64_t due_v);

/* ---- serve_bridge.c: --bridge with several clients (esp-link) ---- */

int serve_bridge_step(struct serve *s, int max_wait_ms, char *err, size_t err_len);
/* One UART byte, as it leaves the bridge, to every client. */
void serve_bridge_uart(struct serve *s, uint8_t b);
int serve_bridge_connected(const struct serve *s);
/* One client (ser2net): the bridge's own open of the device when the
 * client comes, its close from v when it goes, and a connection past
 * max_clients refused at once with the bridge's text, logged once. */
void serve_bridge_open(struct serve *s);
void serve_bridge_close(struct serve *s, int64_t v);
void serve_bridge_refuse(struct serve *s, struct conn *c);
void serve_bridge_close_all(struct serve *s, const char *why);

/* ---- serve_tty.c: the local virtual port (--tty) ---- */

/* The pty and the control socket (s->listen_fd). -1 with one line. */
int serve_tty_open(struct serve *s, char *err, size_t err_len);
void serve_tty_close(struct serve *s);
/* A control connection's name: "pid N (COMM)". */
void serve_tty_peer(int fd, char *out, size_t len);
/* The first message of a connection that got the board. */
void serve_tty_welcome(struct serve *s);
/* The owner's input: the library's messages, each applied and answered. */
void serve_tty_parse(struct serve *s);
/* The owner left: a port still open is closed as the OS would. */
void serve_tty_owner_gone(struct serve *s);
/* One byte of the board's UART, into the pty. */
void serve_tty_uart(struct serve *s, uint8_t b);
/* The pty's master fd and the events to poll it for. */
int serve_tty_fd(const struct serve *s, short *events);
void serve_tty_flush(struct serve *s);
void serve_tty_read(struct serve *s);

#endif
