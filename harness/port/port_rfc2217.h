/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A remote serial port over RFC 2217 (`port: rfc2217://HOST:PORT`), the
 * client side of ser2net, pyserial's PortManager or esp_rfc2217_server.
 *
 * Same struct port_ops as the serial backend. Both lines of a U step go
 * out in ONE send() as two SET-CONTROL commands back to back, and the call
 * returns when both answers, matched by (command, value), are in: no sleep
 * between commands (pyserial waits >= 50 ms per change, which breaks
 * esptool's tight reset).
 *
 * Every network wait (connect, the server's DO COM-PORT-OPTION, each
 * answer) has an absolute deadline R2217_TIMEOUT_MS after it starts: 1 s
 * is ~1000x a LAN round trip and short enough that a dead server fails a
 * run quickly. There is no port lock: the server refuses a second client. */
#ifndef RESETLAB_PORT_PORT_RFC2217_H
#define RESETLAB_PORT_PORT_RFC2217_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "port.h"

#define R2217_TIMEOUT_MS 1000

struct serial_sys;

extern const struct port_ops port_rfc2217_ops;

/* A closed port for "rfc2217://HOST:PORT" (checked now, connected by
 * open). NULL with one line in `err`. */
struct port *port_rfc2217_new(const char *spec, char *err, size_t err_len);
void port_rfc2217_free(struct port *p);
void port_rfc2217_close_if_open(struct port *p);

/* Up to `cap` serial bytes the server sent (the board's UART), waiting up to
 * `timeout_ms` for at least `want`. Returns how many, or -1 (see error). */
long port_rfc2217_read(struct port *p, uint8_t *buf, size_t cap, size_t want, int timeout_ms);

/* Our end of the last connection ("127.0.0.1:51234", "[::1]:51234"): how
 * the server names us in its log. "" before the first open, or for a port
 * of another backend. */
const char *port_rfc2217_local_address(struct port *p);

/* A socket address as "127.0.0.1:51234" or "[::1]:51234", as client and
 * server name each other in errors and logs. */
void r2217_address_name(const struct sockaddr_storage *sa, socklen_t len, char *out, size_t out_len);

/* The real-board helpers for either backend: an rfc2217:// spec gets this
 * one, anything else the serial one (serial.h). */
struct port *port_real_new(const char *spec, const struct serial_sys *sys, char *err, size_t err_len);
void port_real_free(struct port *p);
void port_real_close_if_open(struct port *p);

#endif
