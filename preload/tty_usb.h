/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local virtual port's USB identity, inside libresetlab-tty.so
 * (preload/tty_usb.c): the path rewriting the library's open wrappers
 * share. May call: libc only. */
#ifndef RESETLAB_PRELOAD_TTY_USB_H
#define RESETLAB_PRELOAD_TTY_USB_H

#include <stddef.h>

/* The path a call on `path` really goes to: the pty for the port's USB
 * name (RESETLAB_TTY_NAME), the server's folder for the port's sysfs
 * entries; else `path` itself. buf holds a rewritten path. */
const char *tty_usb_path(const char *path, char *buf, size_t len);

#endif
