/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A USB-OTG board's port as the host sees it (world_internal.h,
 * docs/physics.md#usb-otg): the chip's restart takes its USB peripheral off
 * the bus detach_ms later and the port is back, a new device, after the
 * enumeration (reenumerate_ms). A handle the host opened before is dead
 * from the moment the port left: each call fails as Linux and pyserial fail
 * it (serialposix.py: an ioctl's OSError, "write failed: ...", a read that
 * "returned no data"), until the host closes it and opens the port again,
 * which fails while the port is off the bus. The device model itself is
 * analyzers/usb_otg.c, which the physics replays.
 * May call: analyzers/ (the USB-OTG model), libc. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "world.h"
#include "world_internal.h"

int world_usb_otg(const struct sim_world *w)
{
    return w->board != NULL && w->board->real.circuit->kind == CIRCUIT_USB_OTG &&
           (w->host == NULL || w->host->net.bridge == NULL);
}

void world_usb_start(struct sim_world *w, double shift_ns)
{
    struct usb_port *u = &w->usb;
    if (isnan(shift_ns)) { /* a new run: the board as powered, nothing left */
        w->start.chip.otg = usb_otg_booted(w->start.mode);
        *u = (struct usb_port){.dev = w->start.chip.otg, .gone_ns = -INFINITY, .back_ns = -INFINITY,
                               .opened_ns = -INFINITY};
        return;
    }
    w->start.chip.otg = u->dev; /* the packets so far moved it there, as the physics replays */
    u->gone_ns -= shift_ns, u->back_ns -= shift_ns, u->opened_ns -= shift_ns;
    u->lost = 0;
}

static int dead_at(const struct usb_port *u, double t)
{
    return u->gone_ns > u->opened_ns && t >= u->gone_ns;
}

int world_usb_dead(struct sim_world *w, const char *what)
{
    w->usb.lost = 0;
    if (!world_usb_otg(w) || !w->open || !dead_at(&w->usb, (double)w->t_ns))
        return 0;
    w->usb.lost = 1;
    if (strcmp(what, "write") == 0)
        snprintf(w->error, sizeof w->error, "write failed: [Errno 5] Input/output error");
    else if (strcmp(what, "read") == 0)
        snprintf(w->error, sizeof w->error,
                 "device reports readiness to read but returned no data (device disconnected or multiple access on "
                 "port?)");
    else
        snprintf(w->error, sizeof w->error, "[Errno 5] Input/output error");
    return 1;
}

void world_usb_packet(struct sim_world *w, double t_ns, int dtr, int rts)
{
    enum boot_mode mode;
    if (!world_usb_otg(w) || !usb_otg_packet(w->board->real.circuit, &w->usb.dev, dtr, rts, &mode))
        return;
    const struct circuit *c = w->board->real.circuit;
    w->usb.dev = usb_otg_booted(mode);
    w->usb.gone_ns = usb_otg_gone_ns(c, t_ns);
    w->usb.back_ns = usb_otg_back_ns(c, t_ns);
}

int world_usb_open(struct sim_world *w)
{
    struct usb_port *u = &w->usb;
    u->lost = 0;
    if (!world_usb_otg(w))
        return 0;
    double t = (double)w->t_ns;
    if (t >= u->gone_ns && t < u->back_ns) {
        u->lost = 1;
        snprintf(w->error, sizeof w->error,
                 "[Errno 2] could not open port: [Errno 2] No such file or directory (off the bus for %.1f ms more)",
                 (u->back_ns - t) / 1e6);
        return -1;
    }
    u->opened_ns = t;
    return 0;
}

int64_t world_usb_read_until(struct sim_world *w, int64_t deadline)
{
    struct usb_port *u = &w->usb;
    if (!world_usb_otg(w) || !w->open || !(u->gone_ns > u->opened_ns) || (double)deadline < u->gone_ns)
        return deadline;
    u->lost = 1; /* the read sees the hang-up when the port leaves */
    snprintf(w->error, sizeof w->error,
             "device reports readiness to read but returned no data (device disconnected or multiple access on "
             "port?)");
    return (int64_t)ceil(u->gone_ns);
}
