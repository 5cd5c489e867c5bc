/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The machine's serial ports as `resetlab ports` and the loader see them:
 * the bridge family a USB VID:PID means, and the stable /dev/serial/by-id
 * link of each port. Listing opens nothing (opening raises DTR and RTS).
 * May call: libc. */
#include "port_list.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the bridge a VID:PID means ----------------------------------------- */

#define ANY_PID (-1)

/* Names as boards.yaml's bridges use them. WCH parts (CH340 7523, CH341
 * 5523, CH343 55d3, CH9102 55d4, ...) are one family there: "ch340". */
static const struct {
    int vid, pid;
    const char *bridge;
} known_bridges[] = {
    {0x10c4, 0xea60, "cp210x"}, {0x10c4, 0xea70, "cp210x"}, {0x10c4, 0xea71, "cp210x"},
    {0x1a86, ANY_PID, "ch340"},
    {0x0403, 0x6001, "ftdi"},   {0x0403, 0x6010, "ftdi"},   {0x0403, 0x6011, "ftdi"},
    {0x0403, 0x6014, "ftdi"},   {0x0403, 0x6015, "ftdi"},
    {0x067b, 0x2303, "pl2303"}, {0x067b, 0x23a3, "pl2303"},
    {0x303a, 0x1001, "esp-usb-jtag"},
};

const char *port_list_bridge(const struct serial_port_info *p)
{
    if (p->vid < 0)
        return NULL;
    for (size_t i = 0; i < sizeof known_bridges / sizeof known_bridges[0]; i++)
        if (known_bridges[i].vid == p->vid && (known_bridges[i].pid == ANY_PID || known_bridges[i].pid == p->pid))
            return known_bridges[i].bridge;
    /* Any other USB CDC-ACM device (a native-USB MCU, a modem) */
    return strcmp(p->driver, "cdc_acm") == 0 ? "cdc-acm" : NULL;
}

/* ---- /dev/serial/by-id -------------------------------------------------- */

static int same_device(const char *resolved_link, const char *port_path)
{
    char real[PATH_MAX];
    const char *port = realpath(port_path, real) ? real : port_path;
    return strcmp(resolved_link, port) == 0;
}

static void consider_link(struct serial_port_info *p, int n, const char *link)
{
    char target[PATH_MAX];
    if (realpath(link, target) == NULL || strlen(link) >= sizeof p->by_id)
        return;
    for (int i = 0; i < n; i++)
        if (same_device(target, p[i].path) && (p[i].by_id[0] == '\0' || strcmp(link, p[i].by_id) < 0))
            snprintf(p[i].by_id, sizeof p[i].by_id, "%s", link);
}

void port_list_find_by_id(struct serial_port_info *p, int n, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char link[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(link, sizeof link, "%s/%s", dir, e->d_name) < sizeof link)
            consider_link(p, n, link);
    }
    closedir(d);
}
