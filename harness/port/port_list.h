/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Serial ports without opening them: the bridge a port's USB ids mean and
 * its /dev/serial/by-id link (port_list.c). */
#ifndef RESETLAB_PORT_PORT_LIST_H
#define RESETLAB_PORT_PORT_LIST_H

#include "port_serial.h"

/* The bridge family boards.yaml names (cp210x, ch340, ftdi, pl2303,
 * esp-usb-jtag, cdc-acm), or NULL when unknown. */
const char *port_list_bridge(const struct serial_port_info *p);

/* Fills each port's by_id with a link in `dir` that resolves to it (the
 * first by name when several do). A missing directory means no links. */
void port_list_find_by_id(struct serial_port_info *p, int n, const char *dir);

#endif
