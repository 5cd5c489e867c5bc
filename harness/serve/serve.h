/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve`: one simulated board served over RFC 2217 in real time.
 *
 * The client's SET-CONTROL commands go through the host profile's bridge
 * model to the board as they arrive (each answered when the simulated
 * request completes); the board's UART (ROM banner, SLIP answers to SYNC
 * and READ_REG) goes back to the client when each byte is out. The world
 * runs in epochs (sim/world.h), and every epoch with line changes is an
 * attempt, analyzed and logged (serve.jsonl, one line per attempt, plus
 * its capture as a sigrok session): one reset and the session after it.
 * An epoch ends when the board is at rest with no reset sequence held open
 * by the lines, either at the client's first DTR/RTS command after it
 * talked to the chip since the reset, or after a quiet of
 * serve_opts.attempt_gap_ms (docs/serve.md#attempts).
 *
 * One client owns the board at a time; another that connects waits up to
 * a grace period (a tool reconnecting while its old connection closes)
 * and is then refused with one line of text. An owner that neither
 * changes a line nor sends an esptool request for serve_opts.idle_timeout_s
 * is disconnected.
 *
 * A peer's misbehaviour costs it, not the server: every command read is
 * answered (while MAX_ANSWERS wait, its input is not read), its malformed
 * input is logged at a bounded rate (serve_budget.h), the captures kept
 * are bounded in count and bytes, and a log the disk refuses stops while
 * the server goes on serving.
 */
#ifndef RESETLAB_SERVE_SERVE_H
#define RESETLAB_SERVE_SERVE_H

#include <stddef.h>

#include "serve_opts.h"

struct serve;

/* Binds, opens the log and the board's port (the server's own open).
 * NULL with one line in err. */
struct serve *serve_new(const struct serve_opts *o, char *err, size_t err_len);

/* HOST:PORT as bound (the port chosen when 0 was asked for). */
const char *serve_address(const struct serve *s);

/* --tty: the pty's path, the control socket's (NULL without --tty). */
const char *serve_tty_port(const struct serve *s);
const char *serve_tty_socket(const struct serve *s);
/* --tty: the path tools open: the port's USB name on a board whose bridge
 * is the chip's own USB-Serial/JTAG (/dev/ttyACM-resetlab, with its sysfs
 * entries in serve_tty_sysfs's folder), else the pty's path. */
const char *serve_tty_name(const struct serve *s);
const char *serve_tty_sysfs(const struct serve *s); /* NULL without a USB name */
/* The preload library's path: build/lib/resetlab/ beside a build tree's
 * binary, or PREFIX/lib/resetlab/ beside an installed one. 0, or -1 with
 * the path looked for in out. */
int serve_tty_library(char *out, size_t len);

/* Serves for up to max_wait_ms (less when something is due). Returns 0,
 * or -1 with one line in err when the server cannot go on (poll failed;
 * a log that cannot be written is not a reason). */
int serve_step(struct serve *s, int max_wait_ms, char *err, size_t err_len);

/* 1 when no client is connected or waiting and no attempt is in progress. */
int serve_idle(const struct serve *s);

/* Attempts logged so far. */
int serve_attempts(const struct serve *s);

/* Logs the attempt in progress, closes every connection and the log. */
void serve_free(struct serve *s);

#endif
