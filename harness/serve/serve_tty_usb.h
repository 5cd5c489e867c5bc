/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local virtual port's USB identity in sysfs's shape
 * (harness/serve/serve_tty_usb.c), for serve_tty.c.
 * May call: sim/lab.h's types. */
#ifndef RESETLAB_SERVE_TTY_USB_H
#define RESETLAB_SERVE_TTY_USB_H

#include <stddef.h>

#include "sim/lab.h"

#define SERVE_TTY_USB_PATH_MAX 512 /* the server's folder plus the deepest sysfs path */

/* 1 when the board's port is the chip's own USB-Serial/JTAG with a known
 * vendor and product id: a tool may look them up. */
int serve_tty_usb_applies(const struct board_profile *b);
/* Makes ROOT/sys/... and names the port (/dev/ttyACM-resetlab); 0, or -1
 * with one line in err and nothing left behind. */
int serve_tty_usb_make(const struct board_profile *b, const char *root, char *name, size_t name_len, char *err,
                       size_t err_len);
/* Removes what serve_tty_usb_make made. */
void serve_tty_usb_remove(const char *root);

#endif
