/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A tool's session on a port, as the tool runs it (docs/tools.md): open,
 * then attempt after attempt a reset strategy from the rule that applies
 * to this OS, port kind and USB PID, the boot log read, SYNC tries, until
 * the ROM answers or the attempts run out; once connected, the tool's
 * work, its after-reset and a listen for the banner that follows; then
 * close. Every op is logged as run_sequence logs them.
 * May call: run_sequence.c, harness/port (the vtable and its read),
 * analyzers/ (SLIP, the ROM banner), libc. */
#ifndef RESETLAB_RUN_RUN_TOOL_H
#define RESETLAB_RUN_RUN_TOOL_H

#include "run_sequence.h"

/* How long resetlab listens for the ROM banner after the tool's
 * after-reset, as a serial monitor left open would (not the tool's own
 * behaviour: esptool closes the port). */
#define TOOL_AFTER_LISTEN_S 1.0

/* Where the tool runs: picks the rule of its cycle and of its after. */
struct tool_target {
    enum host_os os;
    enum port_kind port;
    int usb_pid; /* what the tool sees on a local port; -1 unknown */
    /* a USB-OTG port: the ROM prints its banner on UART0 before its USB is
     * up, so the after-reset's banner cannot be read there (not judged) */
    int banner_unseen;
};

/* Runs scenario s (s->tool set) on p. Fills the log and *out; *connect_end
 * is the number of logged ops of the connect phase (open, attempts): the
 * analyzers judge the wires up to the next op's start. Returns 0 (a tool
 * that did not connect is a finished run too), -1 with the port's reason
 * in err, or RUNNER_STOPPED when a stop was asked for. */
int run_tool(struct port *p, const struct scenario *s, const struct tool_target *where, struct op_record *log,
             size_t *n_log, size_t *connect_end, struct tool_outcome *out, char *err, size_t err_len);

/* A tool run's verdict, from what the tool saw (tool->connected, its
 * after-reset) over the analysis of its connect phase: pass when it
 * connected and, if it resets the chip afterwards, the chip booted its
 * application; a finding says what the user would see otherwise. */
void run_tool_judge(struct analysis *a, const struct tool_outcome *tool, const char *product);
/* A bare sequence stopped by a USB-OTG port leaving the bus (PORT_LOST,
 * `why` the step and the OS's words): an error finding. */
void run_tool_port_lost(struct analysis *a, const char *why);

/* The part of a trace before t_cut_ns (a view on the same edges and
 * analog samples), for judging a tool's connect phase alone. */
struct trace trace_until(const struct trace *tr, int64_t t_cut_ns);

#endif
