/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reset circuits as data (docs/physics.md#truth-table). Tables are indexed
 * [dtr_asserted][rts_asserted] in the *asserted* convention: 1 = the host
 * called setDTR(True) / setRTS(True), i.e. the pin is at 0 V.
 */
#ifndef RESETLAB_CIRCUIT_H
#define RESETLAB_CIRCUIT_H

#include <stdint.h>

enum drive { DRIVE_RELEASED = 0, DRIVE_LOW = 1 };

enum circuit_kind {
    CIRCUIT_TRANSISTOR, /* lines drive EN/IO0 through transistors or wires */
    CIRCUIT_USB_JTAG,   /* native USB-Serial/JTAG: the line state is a command */
    CIRCUIT_USB_OTG,    /* native USB-OTG: the application's CDC (TinyUSB), then the ROM's (usb_otg.h) */
};

#define USB_OTG_PATTERN_MAX 8

/* A USB-OTG CDC device (usb_otg.h): the line states (asserted dtr, rts)
 * the application's CDC restarts into download mode after, the line coding
 * rate that does the same (0: none), and when the port leaves the bus and
 * comes back after a restart. */
struct usb_otg_cdc {
    uint8_t pattern[USB_OTG_PATTERN_MAX][2];
    int n_pattern;
    double detach_ms, reenumerate_ms;
};

/* USB-Serial/JTAG actions per line-state packet (ESP32-C3 TRM). */
enum usb_action { USB_NONE, USB_CLEAR_FLAG, USB_SET_FLAG, USB_RESET };

struct circuit {
    char name[48];
    enum circuit_kind kind;
    uint8_t en[2][2];         /* enum drive, [dtr][rts] */
    uint8_t io0[2][2];        /* enum drive, [dtr][rts] */
    uint8_t usb_action[2][2]; /* enum usb_action, [dtr][rts]; USB-OTG: the ROM's CDC, a reset a pulse */
    struct usb_otg_cdc otg;   /* CIRCUIT_USB_OTG */
    double driver_ohms;       /* on-resistance of whatever pulls EN/IO0 low */
};

static inline enum drive circuit_en(const struct circuit *c, int dtr, int rts)
{
    return (enum drive)c->en[dtr != 0][rts != 0];
}

static inline enum drive circuit_io0(const struct circuit *c, int dtr, int rts)
{
    return (enum drive)c->io0[dtr != 0][rts != 0];
}

#endif
