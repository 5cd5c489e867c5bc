/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Which analyzers a trace can feed (analyzer_cannot_run, analyze.h): a
 * capture of a partial probe (RX alone, EN and IO0 without DTR and RTS,
 * DTR and RTS alone) is analysed with what exists, and each analyzer that
 * could not run says which channel it lacked.
 * May call: libc. */
#include "analyze.h"

#define HAS(ch) trace_has(tr, ch)

const char *analyzer_name(enum analyzer_id id)
{
    static const char *const names[AN_COUNT] = {"resets", "EN release and τ", "strap window", "truth table",
                                                "transients", "ROM banner", "SYNC"};
    return id < AN_COUNT ? names[id] : "?";
}

const char *analyzer_cannot_run(enum analyzer_id id, const struct trace *tr, const struct board_model *bm)
{
    int usb = bm->circuit->kind != CIRCUIT_TRANSISTOR, lines = HAS(CH_DTR) && HAS(CH_RTS);
    int otg = bm->circuit->kind == CIRCUIT_USB_OTG;
    switch (id) {
    case AN_RESETS:
        if (usb && !lines)
            return otg ? "USB-OTG resets are line states on DTR and RTS: needs both"
                       : "USB-Serial/JTAG resets are commands on DTR and RTS: needs both";
        return HAS(CH_EN) || lines ? NULL : "needs EN, or DTR and RTS";
    case AN_EN_RC:
        if (usb)
            return otg ? "USB-OTG: the chip restarts itself, no RC on EN"
                       : "USB-Serial/JTAG: the peripheral releases the core, no RC on EN";
        if (!lines && tr->en_v.n == 0)
            return "needs DTR and RTS (the instant EN was released), or EN's voltage on an analog channel";
        return NULL; /* without EN, the board's R·C stands in; without the lines, EN's curve says when */
    case AN_STRAP:
        if (usb)
            return otg ? "USB-OTG: the mode is set inside the chip" : "USB-Serial/JTAG: the mode is latched inside the chip";
        if (!HAS(CH_IO0) && !(HAS(CH_DTR) && HAS(CH_RTS))) /* with them, the IO0 the circuit makes */
            return "needs IO0, or DTR and RTS";
        return analyzer_cannot_run(AN_RESETS, tr, bm);
    case AN_TRUTH_TABLE:
        if (usb)
            return otg ? "USB-OTG: no EN/IO0 circuit" : "USB-Serial/JTAG: no EN/IO0 circuit";
        if (!lines)
            return "needs DTR and RTS";
        return HAS(CH_EN) || HAS(CH_IO0) ? NULL : "needs EN or IO0";
    case AN_TRANSIENTS:
        return lines ? NULL : "needs DTR and RTS";
    case AN_BANNER:
    case AN_SYNC:
        return HAS(CH_RX) ? NULL : "needs RX";
    case AN_COUNT:
        break;
    }
    return "unknown analyzer";
}
