/* `resetlab ports`: the machine's serial ports, listed without opening any
 * (opening raises DTR/RTS and resets a board; /dev/ttyS0 may be the
 * console), with the bridge type resetlab infers from the USB ids. */
#ifndef RESETLAB_PORTS_H
#define RESETLAB_PORTS_H

#include <stdio.h>

#include "serial.h"

extern const char ports_usage[];

/* argv[0] = "ports". Returns 0, 1 when the ports cannot be listed, 2 on
 * bad input (one line on stderr). */
int ports_command(int argc, char **argv);

/* The same through any seam, with by-id links looked up in `by_id_dir`. */
int ports_command_with(int argc, char **argv, const struct serial_sys *sys, const char *by_id_dir);

/* The bridge family boards.yaml names (cp210x, ch340, ftdi, pl2303,
 * esp-usb-jtag, cdc-acm), or NULL when unknown. */
const char *ports_bridge(const struct serial_port_info *p);

/* Fills each port's by_id with a link in `dir` that resolves to it (the
 * first by name when several do). A missing directory means no links. */
void ports_find_by_id(struct serial_port_info *p, int n, const char *dir);

/* An aligned table with a header (or "no serial ports found"), or a JSON
 * array. Returns 0, or -1 when writing failed. */
int ports_print(FILE *f, const struct serial_port_info *p, int n, int json);

#endif
