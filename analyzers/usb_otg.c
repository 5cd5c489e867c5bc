/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The USB-OTG CDC model (usb_otg.h; docs/physics.md#usb-otg). The
 * application's CDC is arduino-esp32's (cores/esp32/USBCDC.cpp,
 * USBCDC::_onLineState): a packet that repeats the last line state is
 * skipped; one that is the pattern's next state moves on, any other starts
 * it over (without counting as its first: lineState = CDC_LINE_IDLE); the
 * last state restarts the chip into the ROM's download mode
 * (usb_persist_restart(RESTART_BOOTLOADER) sets RTC_CNTL_FORCE_DOWNLOAD_BOOT,
 * esp32-hal-tinyusb.c), no strap read. In download mode the ROM's own CDC
 * acts on each line state as the circuit's action table says, as
 * USB-Serial/JTAG does, except that its reset is a pulse: the chip restarts
 * at once, the USB peripheral with it. Pure.
 * May call: libc. */
#include "usb_otg.h"

struct usb_otg_state usb_otg_booted(enum boot_mode mode)
{
    return (struct usb_otg_state){.runner = mode == BOOT_DOWNLOAD ? USB_OTG_ROM : USB_OTG_APP};
}

int usb_otg_packet(const struct circuit *c, struct usb_otg_state *s, int dtr, int rts, enum boot_mode *mode)
{
    dtr = dtr != 0, rts = rts != 0;
    if (dtr == s->dtr && rts == s->rts)
        return 0; /* "Skip duplicate events" */
    s->dtr = (uint8_t)dtr, s->rts = (uint8_t)rts;
    if (s->runner == USB_OTG_APP) {
        const struct usb_otg_cdc *o = &c->otg;
        if (s->k < o->n_pattern && o->pattern[s->k][0] == dtr && o->pattern[s->k][1] == rts)
            s->k++;
        else
            s->k = 0;
        if (o->n_pattern == 0 || s->k < o->n_pattern)
            return 0;
        *mode = BOOT_DOWNLOAD;
        return 1;
    }
    enum usb_action a = (enum usb_action)c->usb_action[dtr][rts];
    if (a == USB_SET_FLAG)
        s->flag = 1;
    else if (a == USB_CLEAR_FLAG)
        s->flag = 0;
    if (a != USB_RESET)
        return 0;
    *mode = s->flag ? BOOT_DOWNLOAD : BOOT_FLASH;
    return 1;
}
