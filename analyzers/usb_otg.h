/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The native USB-OTG CDC of an ESP32-S2 or -S3 (usb_otg.c): which line-state
 * packets restart the chip, into which mode, and when the port is off the
 * bus because of it. The simulator and the analyzers replay the same model. */
#ifndef RESETLAB_ANALYZERS_USB_OTG_H
#define RESETLAB_ANALYZERS_USB_OTG_H

#include <stdint.h>

#include "analysis.h"
#include "circuit.h"

/* Who answers the line state: the application's CDC (flash boot) or the
 * ROM's (download mode). */
enum usb_otg_runner { USB_OTG_APP, USB_OTG_ROM };

struct usb_otg_state {
    uint8_t runner;   /* enum usb_otg_runner */
    uint8_t k;        /* the application's progress through the pattern */
    uint8_t dtr, rts; /* the last line state the device acted on (a repeat is skipped) */
    uint8_t flag;     /* the ROM's download flag (usb_action's set / clear) */
};

/* The device as it enumerates after booting into `mode`. */
struct usb_otg_state usb_otg_booted(enum boot_mode mode);

/* One line-state packet: 1 when the chip restarts on it, into *mode
 * (USB-OTG restarts are pulses: out of reset at once), else 0. */
int usb_otg_packet(const struct circuit *c, struct usb_otg_state *s, int dtr, int rts, enum boot_mode *mode);

/* When the port is off the bus after a restart at t_ns: [gone, back). */
static inline double usb_otg_gone_ns(const struct circuit *c, double t_ns)
{
    return t_ns + c->otg.detach_ms * 1e6;
}
static inline double usb_otg_back_ns(const struct circuit *c, double t_ns)
{
    return t_ns + c->otg.reenumerate_ms * 1e6;
}

#endif
