/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The UART line (RX as the host sees it: the chip's TX) as edges: encoding
 * bytes into a line for a capture file, and decoding a captured line back
 * into bytes, 8N1, LSB first, idle high. Pure functions. */
#ifndef RESETLAB_UART_H
#define RESETLAB_UART_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* A byte on the wire: its start bit begins at t_ns. */
struct uart_byte {
    double t_ns;
    uint8_t value;
};

/* The line's level changes for `bytes` (sorted by time, not overlapping)
 * at `baud`, each time rounded up to the next multiple of period_ns (the
 * sample a logic analyzer sees it in). Returns the number of changes
 * written, or -1 when more than `max` would be needed. */
int uart_encode(const struct uart_byte *bytes, size_t n, int baud, double period_ns, int64_t *t_out,
                uint8_t *level_out, size_t max);

/* Decodes CH_RX of a trace: each falling edge on an idle line starts a
 * byte; bits are read at their centres. A byte whose stop bit is low (a
 * framing error: wrong baud rate, a glitch) is dropped and the decoder
 * waits for the line to go idle. A falling edge high again at the start
 * bit's middle is a glitch, not a frame. Returns the number of bytes stored. */
size_t uart_decode(const struct trace *tr, int baud, uint8_t *out, size_t cap);

struct uart_stats {
    size_t frames;         /* every frame, stored or not (past cap): the bytes, as sigrok's decoder gives them */
    size_t bytes;          /* good frames among them */
    size_t framing_errors; /* frames whose stop bit was low */
    size_t glitches;       /* falling edges high again at the start bit's middle */
};

/* uart_decode, counting: a falling edge whose line is high again at the
 * start bit's sample point is a glitch, not a byte; a frame with a low stop
 * bit is a framing error whose byte is kept (both as sigrok's uart
 * decoder); st->frames counts every frame, so st->frames > cap says how
 * much storage the whole line needs. */
size_t uart_decode_counted(const struct trace *tr, int baud, uint8_t *out, size_t cap, struct uart_stats *st);

/* uart_decode_counted's bytes (a framing error's kept), each with the
 * time its start bit fell: a diagram's UART row. */
size_t uart_decode_timed(const struct trace *tr, int baud, struct uart_byte *out, size_t cap);

/* The baud rate RX's edges show (1 / the common shortest interval between
 * them), 0 when they are too few: a hint when most frames fail. */
double uart_guess_baud(const struct trace *tr);

#endif
