/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One run of a scenario on a real board: serial port + live capture. */
#ifndef RESETLAB_RUN_RUN_REAL_H
#define RESETLAB_RUN_RUN_REAL_H

#include <string.h>

#include "run.h"
#include "harness/port/port_host.h"
#include "harness/port/port_serial.h"
#include "harness/capture/capture_sigrok.h"

/* Captures with the board's analyzer (libsigrok, triggered on the first
 * DTR/RTS edge) while `port` (a claimed port_serial_new, closed) plays the
 * scenario, aligns the op log to the capture and analyzes; rb->a gets the
 * verdict, or an infrastructure error (port or analyzer missing, ...), and
 * it returns 0. When port->stop is set before the run ends (in the wait
 * for samples, a step of the sequence or the capture's tail) the run is
 * cut short: RTS is released, then DTR, the capture is discarded, and it
 * returns RUNNER_STOPPED with nothing in rb->a to record. The port is
 * closed again when it returns. */
int run_real_once(struct sigrok *sr, const struct board_profile *b, const struct scenario *s, struct port *port,
                  struct run_buffers *rb);

/* How a live capture ended, against the sequence it was to record. A USB
 * analyzer that is unplugged or whose transfers overflow makes libsigrok
 * (fx2lafw, ...) abort the acquisition and end the session on its own: a
 * truncated trace, which must not be judged as the board's failure. */
enum capture_end {
    CAPTURE_WHOLE,       /* stopped by resetlab after the run, or at its limit after the sequence ended */
    CAPTURE_LIMIT_SHORT, /* at its limit before the sequence ended: the limit is too short */
    CAPTURE_ABORTED,     /* ended on its own short of its limit, or with none: unplugged, overflowed */
};

struct capture_figures {
    int stopped;                     /* resetlab stopped it: it was still going when the run ended */
    uint64_t samples, limit_samples; /* received; asked (0: no limit) */
    double samplerate_hz;
    int64_t start_ns, end_ns;        /* host CLOCK_MONOTONIC: the acquisition started, it ended */
    int64_t sequence_end_ns;         /* and the sequence's last step ended */
};

/* Pure: which end the figures show; unless CAPTURE_WHOLE, one line in
 * `why` (starting with `driver`) that names them and what to do. */
enum capture_end capture_end_of(const struct capture_figures *f, const char *driver, char *why, size_t len);

/* The host a real board runs on: this machine ("local", the column of
 * probe and tune). */
extern const struct host_profile real_host;

/* The host a real board's runs are filed under in a session: `label`
 * (--host-label) when given, else the host mode of its port
 * (harness/port/port_host.h: native-linux, vm-usb-passthrough-kvm,
 * wsl-usbipd, rfc2217...) read from `root` ("/" when NULL), the port spec
 * resolved through `sys` (NULL: the OS's). `mode`, when not NULL, gets
 * what was found (whether or not a label overrides it). */
void run_real_host(const struct board_profile *b, const char *label, const char *root, const struct serial_sys *sys,
                   struct host_profile *out, struct port_host *mode);

/* The loader's rule: a port is "sim", or a device path, usb: match or rfc2217:// URL. */
static inline int board_is_real(const struct board_profile *b)
{
    return strcmp(b->port, "sim") != 0;
}

#endif
