/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The control channel of the local virtual port (`resetlab serve --tty`):
 * the messages between the preload library (preload/tty_preload.c, inside
 * the tool) and the server (harness/serve/serve_tty.c), over a unix stream
 * socket whose path the server gives in RESETLAB_TTY_SOCKET.
 *
 * Every message, both ways, is one struct tty_wire_msg of 16 bytes in the
 * machine's byte order (both ends run on the same machine). The server
 * sends TTY_OP_WELCOME when the connection gets the board; a connection
 * it refuses gets one line of text instead ("resetlab serve: ... is in
 * use by ..."). Then the library sends requests, one at a time, and the
 * server answers each with a message of the same op: status 0 and the
 * modem bits (TIOCM_DTR | TIOCM_RTS as the bridge holds them) in arg, or
 * an errno value in status. A line change is answered when the simulated
 * bridge request completes. Anything else on the socket (a wrong magic, an
 * unknown op) ends the connection. Only libc types: both sides include it. */
#ifndef RESETLAB_PRELOAD_TTY_WIRE_H
#define RESETLAB_PRELOAD_TTY_WIRE_H

#include <stdint.h>

#define TTY_WIRE_MAGIC 0x59544c52u /* "RLTY" in little-endian memory */
#define TTY_ENV_PORT "RESETLAB_TTY"          /* the pty's path: the library intercepts that device only */
#define TTY_ENV_SOCKET "RESETLAB_TTY_SOCKET" /* the control socket's path */
/* A board whose bridge is a USB device the tool may look up (esptool reads
 * the port's USB PID through pyserial's sysfs walk to pick its reset): the
 * name the port goes by, which matches the kernel's (/dev/ttyACM-resetlab),
 * and the folder holding the sysfs entries the server made for it
 * (FOLDER/sys/class/tty/NAME, FOLDER/sys/devices/resetlab-tty/...). */
#define TTY_ENV_NAME "RESETLAB_TTY_NAME"
#define TTY_ENV_SYSFS "RESETLAB_TTY_SYSFS"
#define TTY_SYSFS_DEVICES "/sys/devices/resetlab-tty" /* the device's fake place in sysfs */
/* sun_path holds 108 bytes with its NUL: the longest socket path. */
#define TTY_SOCKET_PATH_MAX 107
/* A request's answer waits this long at most (a line change is answered
 * within the host model's latency, milliseconds); then the call fails with
 * EIO. A refused connection is told within the server's grace period. */
#define TTY_REPLY_TIMEOUT_S 30

enum tty_wire_op {
    TTY_OP_WELCOME = 1, /* server → library: the board is this connection's */
    TTY_OP_OPEN,  /* the tool opened the port: the OS's open (Linux raises DTR and RTS) */
    TTY_OP_CLOSE, /* the tool closed it: arg 1 when HUPCL is set (the OS's close drops the lines) */
    TTY_OP_MSET,  /* TIOCMSET: arg the bits; both lines in one bridge request */
    TTY_OP_MBIS,  /* TIOCMBIS: arg the bits to set */
    TTY_OP_MBIC,  /* TIOCMBIC: arg the bits to clear */
    TTY_OP_MGET,  /* TIOCMGET: the bits, now */
    TTY_OP_BAUD,  /* tcsetattr / TCSETS2: arg the output speed in bit/s */
    TTY_OP_LAST = TTY_OP_BAUD
};

struct tty_wire_msg {
    uint32_t magic;
    uint32_t op;
    uint32_t arg;
    uint32_t status; /* answers: 0, or an errno value */
};

#endif
