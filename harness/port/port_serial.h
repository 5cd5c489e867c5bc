/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real serial port backend (docs/real-hardware.md): a struct port_ops over
 * libserialport, with DTR and RTS as *asserted* booleans as pyserial names
 * them (setDTR(True) = asserted = TIOCM_DTR set = pin at 0 V).
 *
 * Everything the backend asks of the OS and of libserialport goes through
 * struct serial_sys, a thin seam: the real one (serial_sys_real) does one
 * call per function; the logic above it (which calls, in what order, both
 * lines in one TIOCMSET, the wait deadlines, the port lock, the error text)
 * lives in port_serial.c, where tests drive it through a fake seam. The seam
 * exists because libserialport cannot open a pty and a test machine has no
 * USB serial port (CONTRIBUTING.md#library-facts).
 *
 * Linux only: on Windows both lines would change in one SetCommState, which
 * this build does not implement. */
#ifndef RESETLAB_PORT_PORT_SERIAL_H
#define RESETLAB_PORT_PORT_SERIAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"

#define SERIAL_PATH_MAX 256
#define SERIAL_TEXT_MAX 128
#define SERIAL_MAX_PORTS 128

enum serial_transport { SERIAL_NATIVE, SERIAL_USB, SERIAL_BLUETOOTH };

/* One port as the system lists it; strings are "" when unknown. */
struct serial_port_info {
    char path[SERIAL_PATH_MAX];      /* /dev/ttyUSB0 */
    char description[SERIAL_TEXT_MAX];
    int transport;                   /* enum serial_transport */
    int vid, pid;                    /* USB ids; -1 when not USB */
    char manufacturer[SERIAL_TEXT_MAX], product[SERIAL_TEXT_MAX], serial[SERIAL_TEXT_MAX];
    char driver[32];                 /* kernel driver: cp210x, ftdi_sio, cdc_acm, serial */
    char by_id[SERIAL_PATH_MAX];     /* /dev/serial/by-id link to it (filled by ports.c) */
};

/* The seam. Modem bits are TIOCM_* bits. Every function but open and list
 * returns 0, or -1 with errno set. */
struct serial_sys {
    /* Opens `path` at 115200 8N1 without flow control and without touching
     * DTR/RTS beyond what open(2) does (Linux raises both). On failure: -1,
     * errno (ENOENT: gone; ENODEV/ENOTTY: not a serial port with modem
     * lines; EACCES, EBUSY, ...) and the lower layer's reason in `why`. */
    int (*open)(const char *path, void **handle, char *why, size_t why_len);
    int (*close)(void *handle);                 /* HUPCL drops DTR and RTS */
    int (*exclusive)(void *handle);             /* TIOCEXCL */
    int (*get_bits)(void *handle, int *bits);   /* TIOCMGET */
    int (*set_bits)(void *handle, int bits);    /* one TIOCMSET: both lines, one request */
    int (*bis)(void *handle, int bits);         /* TIOCMBIS: assert these lines */
    int (*bic)(void *handle, int bits);         /* TIOCMBIC: release these lines */
    int (*write)(void *handle, const uint8_t *bytes, size_t n); /* returns when sent */
    /* Up to `cap` bytes that arrived, waiting up to timeout_ms for the
     * first (0: none waits). Returns how many (0 at the timeout). NULL in a
     * seam that cannot read: reads then fail with a line saying so. */
    long (*read)(void *handle, uint8_t *buf, size_t cap, int timeout_ms);
    /* Fills up to `max` ports without opening any; returns how many, or -1. */
    int (*list)(struct serial_port_info *out, int max);
};

extern const struct serial_sys serial_sys_real;
extern const struct port_ops port_serial_ops;

/* A port spec to a device path: a path (/dev/ttyUSB0), a /dev/serial/by-id
 * or by-path link (resolved with realpath), or "usb:VID:PID[:SERIAL]" (hex,
 * any case) matched against the system's list. Returns 0, or -1 with one
 * line in `err` (no match or several: the line names what was found). */
int serial_resolve(const char *spec, char *path_out, size_t len, char *err, size_t err_len);
int serial_resolve_with(const struct serial_sys *sys, const char *spec, char *path_out, size_t len, char *err,
                        size_t err_len);

/* A closed serial port for `spec` (resolved now) through `sys` (NULL: the
 * real one), holding the port lock until port_serial_free, which also
 * closes the port if it is open: a caller keeps one port object for a whole
 * cell so no other resetlab job gets the board between its runs. Returns
 * NULL with one line in `err` ("/dev/ttyUSB0 is in use by pid 1234
 * (resetlab run ...)" when another job holds it). */
struct port *port_serial_new(const char *spec, const struct serial_sys *sys, char *err, size_t err_len);
void port_serial_free(struct port *p);
const char *port_serial_path(const struct port *p);
/* Closes the port if a scenario left it open; the lock stays. */
void port_serial_close_if_open(struct port *p);
/* The seam and its handle of an open port (NULL while closed), for
 * `resetlab calibrate`, which times the seam's calls one by one. */
void *port_serial_handle(const struct port *p, const struct serial_sys **sys);

/* The port lock's file for a device path, in $RESETLAB_LOCK_DIR, else
 * /run/lock when writable, else /tmp. */
void serial_lock_path(const char *device, char *buf, size_t len);

/* CLOCK_MONOTONIC in ns, and a sleep until an absolute deadline on it
 * (retried on EINTR with the same deadline). */
int64_t serial_now_ns(void);
int serial_sleep_until_ns(int64_t deadline_ns);

/* How often a wait with a stop flag looks at it. */
#define SERIAL_STOP_POLL_MS 20

/* The same, ending within SERIAL_STOP_POLL_MS once *stop is set (NULL:
 * never). The last slice sleeps to the deadline itself, so a wait that is
 * not stopped ends as precisely as one without a flag. Returns 0 at the
 * deadline, 1 when stopped first, -1 with errno. */
int serial_sleep_until_ns_or_stop(int64_t deadline_ns, const volatile sig_atomic_t *stop);

const char *serial_transport_name(int transport);

#endif
