/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual lab's world for one run (CONTRIBUTING.md#data-flow), in virtual time.
 *
 * The host model turns each API call into bridge requests with latencies
 * drawn from the host profile; a call returns when its request completes
 * (Linux usb_control_msg is synchronous). sim_finish then runs the board
 * (circuit table, RC on EN and IO0), the chip (reset at its EN thresholds,
 * strap sampling, ROM banner on the UART) and the virtual logic analyzer
 * (its own threshold and sample rate) over the recorded line changes.
 */
#ifndef RESETLAB_WORLD_H
#define RESETLAB_WORLD_H

#include "lab.h"
#include "world_truth.h"

struct sim_world;


struct sim_world *sim_world_new(void);
void sim_world_free(struct sim_world *w);
void sim_world_reset(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     uint64_t seed);

/* A host with a network bridge: the tool's client library (a scenario's
 * rfc2217_client:), unless the host's URL names one; NULL: the lab's default. */
void sim_set_net_client(struct sim_world *w, const struct net_client *c);

/* The board and its bridge were just powered up (plugged in): the next
 * open gets the bridge's first-open behaviour, if boards.yaml gives one. */
void sim_power_on(struct sim_world *w);

/* Host API calls. Each returns 0, or -1 with a reason in sim_error(). */
int sim_open(struct sim_world *w, int lowered);
int sim_close(struct sim_world *w);
int sim_set_lines(struct sim_world *w, int dtr, int rts); /* -1 leaves a line as it is */
int sim_sleep(struct sim_world *w, double seconds);
int sim_write(struct sim_world *w, const uint8_t *bytes, size_t n);
int64_t sim_now_ns(const struct sim_world *w);
const char *sim_error(const struct sim_world *w);

/* The host's UART rate (bytes the host writes are sent at it; bytes the
 * chip sends are read at it): RFC 2217 SET-BAUDRATE, a tcsetattr on the
 * local virtual port, a tool's open. A chip running at another rate (its
 * boot rate, or what CHANGE_BAUDRATE set) receives garbage and its bytes
 * arrive as garbage. 0: the chip's boot rate. A chip's own USB serial has
 * no rate: there it changes nothing. */
void sim_set_host_baud(struct sim_world *w, uint32_t baud);

/* The board's flash, kept by whoever owns the world across runs, epochs
 * and attempts (serve: one per board, for its lifetime); NULL: none (the
 * matrix's runs, which never write flash). */
struct sim_flash;
void sim_attach_flash(struct sim_world *w, struct sim_flash *f);

/* Runs the board to rest and fills the analyzer's trace and the UART bytes
 * (storage owned by the caller). Returns 0, or -1 when a buffer overflowed. */
int sim_finish(struct sim_world *w, struct trace *tr, uint8_t *uart, size_t uart_cap, size_t *uart_len,
               struct sim_truth *truth);

/* ---- real time (resetlab serve): one world, epoch after epoch ----
 *
 * A server feeds the world as commands arrive, re-runs sim_finish on the
 * epoch so far to see what the board did up to now (later commands never
 * change the past), and starts a new epoch once the board is at rest. */

/* The host did nothing until t_ns: its clock moves there (never back). */
void sim_advance_to(struct sim_world *w, int64_t t_ns);

/* Bytes reach the chip's RX from t_start_ns on, back to back at its baud,
 * apart from the host's calls (a serial server's write() does not wait for
 * the wire). Returns when the last byte arrived, or -1 (sim_error) when the
 * epoch holds too many or the bytes are too long for one write. */
int64_t sim_receive(struct sim_world *w, int64_t t_start_ns, const uint8_t *bytes, size_t n);

/* 1 when the epoch is close to its limits (line changes, writes, the
 * bytes written and answered: WRITE_POOL_MAX, REPLY_POOL_MAX): start a
 * new one before going on, even if the board is not at rest. */
int sim_epoch_full(const struct sim_world *w);

/* After sim_finish: from when the board is at rest (nothing more happens,
 * the UART is quiet, EN and IO0 are within 1 % of their levels). */
int64_t sim_rest_ns(const struct sim_world *w);
/* After sim_finish: from when the chip is quiet (its last byte out, the
 * last line change acted on), EN and IO0 maybe still settling. */
int64_t sim_quiet_ns(const struct sim_world *w);

/* After sim_finish: a new epoch at t = 0 with no line changes or writes;
 * the port, the lines and the chip (in reset or not, a USB download
 * request) carry over, EN and IO0 at rest under the lines. */
void sim_continue(struct sim_world *w);

/* USB-Serial/JTAG: the download flag as the epoch began (an earlier
 * epoch's request, carried by sim_continue); 0 on other circuits. */
int sim_usb_flag_at_start(const struct sim_world *w);

/* USB-OTG boards (docs/physics.md#usb-otg): 1 when the last host call
 * failed because the port left the bus under the host's handle, or is off
 * the bus to open (sim_error words it as the OS and pyserial do); a read
 * then returns what it got, which the host never sees. */
int sim_port_lost(const struct sim_world *w);

/* ---- a tool's reads (a connect loop that waits for the ROM's answers) ----
 *
 * What the host reads: the bytes the chip sent (ROM banners, the ROM's
 * answers to what the host wrote) that arrived since the last read, up to
 * now + timeout_s; a byte arrives when its stop bit ends. `done` (NULL:
 * never) is asked after each byte whether the read has what it waits for:
 * the read then ends at that byte's arrival, else at the timeout; the
 * host's clock moves there. timeout_s 0: what is waiting now. Returns the
 * bytes read (at most cap). */
typedef int (*sim_read_done)(const uint8_t *bytes, size_t n, void *ctx);
size_t sim_read(struct sim_world *w, uint8_t *buf, size_t cap, double timeout_s, sim_read_done done, void *ctx);

/* After sim_finish: when each UART byte's start bit began (ns), for the
 * bytes sim_finish returned, in the same order. Returns how many. */
size_t sim_uart_times(const struct sim_world *w, const double **t_ns);

#endif
