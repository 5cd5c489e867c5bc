/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `serve --tty` on a board whose bridge is the chip's own USB-Serial/JTAG:
 * the port's USB identity, as real files in the server's folder in the
 * shape of Linux's sysfs, which the preload library shows the tool in
 * place of /sys (preload/tty_usb.c). A tool that walks sysfs as pyserial's
 * list_ports_linux does finds the port under its USB name
 * (/dev/ttyACM-resetlab: cdc_acm names the C3's port ttyACM*) with the
 * bridge's vendor and product id from boards.yaml, so esptool's default
 * reset is the one it picks on the real port (PID 0x1001:
 * USBJTAGSerialReset; esptool loader.py _get_pid).
 * May call: preload/tty_wire.h (the names the library shares), libc. */
#include "serve_tty_usb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/tty_wire.h"

#define USB_NAME "ttyACM-resetlab"
/* Under TTY_SYSFS_DEVICES: a bus, a device, its first interface, as sysfs
 * names them (drivers/usb/core: "usbB", "B-P", "B-P:C.I"). */
#define USB_DEVICE "/usb1/1-1"
#define USB_INTERFACE USB_DEVICE "/1-1:1.0"

/* The folders, parents first; removed in the reverse order. */
static const char *const folders[] = {"/sys",
                                      "/sys/class",
                                      "/sys/class/tty",
                                      "/sys/class/tty/" USB_NAME,
                                      "/sys/devices",
                                      TTY_SYSFS_DEVICES,
                                      TTY_SYSFS_DEVICES "/usb1",
                                      TTY_SYSFS_DEVICES USB_DEVICE,
                                      TTY_SYSFS_DEVICES USB_INTERFACE};
#define N_FOLDERS (sizeof folders / sizeof folders[0])

/* What pyserial reads (list_ports_linux.SysFS): the device's ids and
 * descriptors, how many interfaces it has (for the location string), the
 * interface's subsystem. */
static const char *const files[] = {TTY_SYSFS_DEVICES USB_DEVICE "/idVendor",
                                    TTY_SYSFS_DEVICES USB_DEVICE "/idProduct",
                                    TTY_SYSFS_DEVICES USB_DEVICE "/bNumInterfaces",
                                    TTY_SYSFS_DEVICES USB_DEVICE "/manufacturer",
                                    TTY_SYSFS_DEVICES USB_DEVICE "/product"};
#define N_FILES (sizeof files / sizeof files[0])
static const char *const links[] = {"/sys/class/tty/" USB_NAME "/device", TTY_SYSFS_DEVICES USB_INTERFACE "/subsystem"};
/* Relative, as sysfs's own: the kernel resolves them inside the folder,
 * pyserial's realpath joins them onto the /sys path it asked for. */
static const char *const link_targets[] = {"../../../devices/resetlab-tty" USB_INTERFACE, "../../../../../bus/usb"};
#define N_LINKS (sizeof links / sizeof links[0])

int serve_tty_usb_applies(const struct board_profile *b)
{
    return b->real.circuit->kind == CIRCUIT_USB_JTAG && b->bridge->usb_vid >= 0 && b->bridge->usb_pid >= 0;
}

static int in_root(const char *root, const char *path, char *out, size_t len)
{
    int n = snprintf(out, len, "%s%s", root, path);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int bad = fputs(text, f) < 0;
    return fclose(f) != 0 || bad ? -1 : 0;
}

int serve_tty_usb_make(const struct board_profile *b, const char *root, char *name, size_t name_len, char *err,
                       size_t err_len)
{
    char path[SERVE_TTY_USB_PATH_MAX], text[4][32];
    /* sysfs's formats: "%04x\n" for the ids, "%2d\n" for bNumInterfaces
     * (drivers/usb/core/sysfs.c). One interface: assumption, pyserial
     * uses the count only to name the location. The descriptors are the
     * ones Linux shows for the USB-Serial/JTAG (lsusb: "Espressif USB
     * JTAG/serial debug unit"). */
    snprintf(text[0], sizeof text[0], "%04x\n", (unsigned)b->bridge->usb_vid);
    snprintf(text[1], sizeof text[1], "%04x\n", (unsigned)b->bridge->usb_pid);
    snprintf(text[2], sizeof text[2], "%2d\n", 1);
    snprintf(text[3], sizeof text[3], "Espressif\n");
    const char *contents[N_FILES] = {text[0], text[1], text[2], text[3], "USB JTAG/serial debug unit\n"};
    for (size_t i = 0; i < N_FOLDERS; i++)
        if (in_root(root, folders[i], path, sizeof path) != 0 || (mkdir(path, 0700) != 0 && errno != EEXIST))
            goto fail;
    for (size_t i = 0; i < N_FILES; i++)
        if (in_root(root, files[i], path, sizeof path) != 0 || write_file(path, contents[i]) != 0)
            goto fail;
    for (size_t i = 0; i < N_LINKS; i++)
        if (in_root(root, links[i], path, sizeof path) != 0 || symlink(link_targets[i], path) != 0)
            goto fail;
    snprintf(name, name_len, "/dev/%s", USB_NAME);
    return 0;
fail:
    snprintf(err, err_len, "--tty: cannot make the port's USB entries in %s: %s", root, strerror(errno));
    serve_tty_usb_remove(root);
    return -1;
}

void serve_tty_usb_remove(const char *root)
{
    char path[SERVE_TTY_USB_PATH_MAX];
    for (size_t i = 0; i < N_LINKS; i++)
        if (in_root(root, links[i], path, sizeof path) == 0)
            unlink(path);
    for (size_t i = 0; i < N_FILES; i++)
        if (in_root(root, files[i], path, sizeof path) == 0)
            unlink(path);
    for (size_t i = N_FOLDERS; i-- > 0;)
        if (in_root(root, folders[i], path, sizeof path) == 0)
            rmdir(path);
}
