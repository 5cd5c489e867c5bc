/* One run of a scenario on a real board: serial port + live capture. */
#ifndef RESETLAB_REALRUN_H
#define RESETLAB_REALRUN_H

#include <string.h>

#include "matrix.h"
#include "serial.h"
#include "sigrok.h"

/* Captures with the board's analyzer (libsigrok, triggered on the first
 * DTR/RTS edge) while `port` (a claimed port_serial_new, closed) plays the
 * scenario, aligns the op log to the capture and analyzes; rb->a gets the
 * verdict, or an infrastructure error (port or analyzer missing, ...), and
 * it returns 0. When port->stop is set before the run ends (in the wait
 * for samples, a step of the sequence or the capture's tail) the run is
 * cut short: RTS is released, then DTR, the capture is discarded, and it
 * returns RUNNER_STOPPED with nothing in rb->a to record. The port is
 * closed again when it returns. */
int real_run_once(struct sigrok *sr, const struct board_profile *b, const struct scenario *s, struct port *port,
                  struct run_buffers *rb);

/* The host a real board runs on: this machine. */
extern const struct host_profile real_host;

/* The loader's rule: a port is "sim", or a device path, usb: match or rfc2217:// URL. */
static inline int board_is_real(const struct board_profile *b)
{
    return strcmp(b->port, "sim") != 0;
}

#endif
