/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real seam under the serial backend: one libserialport or ioctl call
 * per function, and nothing to decide (that is port_serial.c's job).
 * May call: libserialport, libc (ioctl). */
#include <dirent.h>
#include <errno.h>
#include <libserialport.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "port_serial.h"

static struct sp_port *sp_of(void *handle)
{
    return (struct sp_port *)handle;
}

static int fd_of(void *handle)
{
    int fd = -1;
    sp_get_port_handle(sp_of(handle), &fd);
    return fd;
}

/* After a failed sp_* call: the OS error as errno, libserialport's words in
 * `why` (when the caller wants them). */
static void take_sp_error(const char *what, char *why, size_t why_len)
{
    int code = sp_last_error_code();
    char *msg = sp_last_error_message();
    if (why)
        snprintf(why, why_len, "%s: %s", what, msg ? msg : "unknown error");
    if (msg)
        sp_free_error_message(msg);
    errno = code > 0 ? code : EIO;
}

/* 115200 8N1, no flow control, on a fresh config: its DTR and RTS stay -1
 * ("leave alone"). sp_set_baudrate and friends would re-write both lines. */
static enum sp_return configure_115200_8n1(struct sp_port *port)
{
    struct sp_port_config *cfg;
    if (sp_new_config(&cfg) != SP_OK)
        return SP_ERR_MEM;
    enum sp_return rc = SP_OK;
    if (sp_set_config_baudrate(cfg, 115200) != SP_OK || sp_set_config_bits(cfg, 8) != SP_OK ||
        sp_set_config_parity(cfg, SP_PARITY_NONE) != SP_OK || sp_set_config_stopbits(cfg, 1) != SP_OK ||
        sp_set_config_flowcontrol(cfg, SP_FLOWCONTROL_NONE) != SP_OK || sp_set_config(port, cfg) != SP_OK)
        rc = SP_ERR_FAIL;
    sp_free_config(cfg);
    return rc;
}

static int real_open(const char *path, void **handle, char *why, size_t why_len)
{
    struct sp_port *port = NULL;
    if (sp_get_port_by_name(path, &port) != SP_OK) {
        /* It knows only ttys with a device behind /sys/class/tty: no pty. */
        errno = access(path, F_OK) == 0 ? ENODEV : ENOENT;
        snprintf(why, why_len, "libserialport finds no serial device for it in /sys/class/tty");
        return -1;
    }
    if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
        take_sp_error("sp_open", why, why_len);
        int e = errno;
        sp_free_port(port);
        errno = e;
        return -1;
    }
    if (configure_115200_8n1(port) != SP_OK) {
        take_sp_error("setting 115200 8N1", why, why_len);
        int e = errno;
        sp_close(port);
        sp_free_port(port);
        errno = e;
        return -1;
    }
    *handle = port;
    return 0;
}

static int real_close(void *handle)
{
    int rc = 0;
    if (sp_close(sp_of(handle)) != SP_OK) {
        take_sp_error("sp_close", NULL, 0);
        rc = -1;
    }
    int e = errno;
    sp_free_port(sp_of(handle));
    errno = e;
    return rc;
}

static int real_exclusive(void *handle)
{
    return ioctl(fd_of(handle), TIOCEXCL) == 0 ? 0 : -1;
}

static int real_get_bits(void *handle, int *bits)
{
    return ioctl(fd_of(handle), TIOCMGET, bits) == 0 ? 0 : -1;
}

static int real_set_bits(void *handle, int bits)
{
    return ioctl(fd_of(handle), TIOCMSET, &bits) == 0 ? 0 : -1;
}

static int real_bis(void *handle, int bits)
{
    return ioctl(fd_of(handle), TIOCMBIS, &bits) == 0 ? 0 : -1;
}

static int real_bic(void *handle, int bits)
{
    return ioctl(fd_of(handle), TIOCMBIC, &bits) == 0 ? 0 : -1;
}

/* Blocks until the bytes have left the UART (sp_open leaves the fd
 * non-blocking, so sp_blocking_write waits with select; sp_drain is
 * tcdrain). Timeout: twice the time on the wire at 115200 baud, plus 1 s. */
/* sp_blocking_read waits up to timeout_ms for `cap` bytes; with cap 1 that
 * is the first byte. 0 ms: only what is waiting (sp_nonblocking_read). */
static long real_read(void *handle, uint8_t *buf, size_t cap, int timeout_ms)
{
    enum sp_return rc = timeout_ms > 0 ? sp_blocking_read(sp_of(handle), buf, cap, (unsigned)timeout_ms)
                                       : sp_nonblocking_read(sp_of(handle), buf, cap);
    if (rc < 0) {
        take_sp_error("read", NULL, 0);
        return -1;
    }
    return (long)rc;
}

static int real_write(void *handle, const uint8_t *bytes, size_t n)
{
    unsigned timeout_ms = 1000 + (unsigned)(n * 10 * 2 * 1000 / 115200);
    enum sp_return rc = sp_blocking_write(sp_of(handle), bytes, n, timeout_ms);
    if (rc < 0) {
        take_sp_error("write", NULL, 0);
        return -1;
    }
    if ((size_t)rc < n) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (sp_drain(sp_of(handle)) != SP_OK) {
        take_sp_error("drain", NULL, 0);
        return -1;
    }
    return 0;
}

/* ---- listing, without opening anything ---------------------------------- */

/* One line of /sys/class/tty/NAME/ATTR, newline stripped. */
static int read_attr(const char *name, const char *attr, char *buf, size_t len)
{
    char file[PATH_MAX];
    snprintf(file, sizeof file, "/sys/class/tty/%s/%s", name, attr);
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return -1;
    char *got = fgets(buf, (int)len, f);
    fclose(f);
    if (got == NULL)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* sp_list_ports is not used: for serial8250 ttys it opens each /dev/ttyS*
 * to ask whether a UART is there, and open(2) raises DTR/RTS (and ttyS0
 * may be the console). Serial-core ports answer the same question in
 * their `type` attribute: 0 (PORT_UNKNOWN) is an empty slot. */
static int is_serial_tty(const char *name)
{
    char link[PATH_MAX], target[PATH_MAX], type[16];
    snprintf(link, sizeof link, "/sys/class/tty/%s", name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    if (strstr(target, "/virtual/")) /* consoles, vts, ptys */
        return 0;
    return !(read_attr(name, "type", type, sizeof type) == 0 && atoi(type) == 0);
}

/* Copies what fits; NULL (libserialport's "unknown") becomes "". */
static void copy_or_empty(char *dst, size_t len, const char *src)
{
    size_t n = src ? strnlen(src, len - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The kernel driver's name: cp210x, ftdi_sio, ch341-uart, pl2303, cdc_acm. */
static void driver_of(const char *name, char *buf, size_t len)
{
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "/sys/class/tty/%s/device/driver", name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    buf[0] = '\0';
    if (n <= 0)
        return;
    target[n] = '\0';
    copy_or_empty(buf, len, strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/* sp_get_port_by_name reads sysfs only; it does not open the port. */
static int describe_tty(const char *name, struct serial_port_info *info)
{
    memset(info, 0, sizeof *info);
    info->vid = info->pid = -1;
    if ((size_t)snprintf(info->path, sizeof info->path, "/dev/%s", name) >= sizeof info->path)
        return -1;
    struct sp_port *port;
    if (sp_get_port_by_name(info->path, &port) != SP_OK)
        return -1;
    enum sp_transport t = sp_get_port_transport(port);
    info->transport = t == SP_TRANSPORT_USB ? SERIAL_USB : t == SP_TRANSPORT_BLUETOOTH ? SERIAL_BLUETOOTH : SERIAL_NATIVE;
    int vid, pid;
    if (t == SP_TRANSPORT_USB && sp_get_port_usb_vid_pid(port, &vid, &pid) == SP_OK) {
        info->vid = vid;
        info->pid = pid;
    }
    copy_or_empty(info->description, sizeof info->description, sp_get_port_description(port));
    copy_or_empty(info->manufacturer, sizeof info->manufacturer, sp_get_port_usb_manufacturer(port));
    copy_or_empty(info->product, sizeof info->product, sp_get_port_usb_product(port));
    copy_or_empty(info->serial, sizeof info->serial, sp_get_port_usb_serial(port));
    sp_free_port(port);
    driver_of(name, info->driver, sizeof info->driver);
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct serial_port_info *)a)->path, ((const struct serial_port_info *)b)->path);
}

static int real_list(struct serial_port_info *out, int max)
{
    DIR *dir = opendir("/sys/class/tty");
    if (dir == NULL)
        return errno == ENOENT ? 0 : -1; /* no tty class: no serial ports */
    int n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.' && is_serial_tty(e->d_name) && describe_tty(e->d_name, &out[n]) == 0)
            n++;
    closedir(dir);
    qsort(out, (size_t)n, sizeof *out, by_path);
    return n;
}

const struct serial_sys serial_sys_real = {
    .open = real_open,
    .close = real_close,
    .exclusive = real_exclusive,
    .get_bits = real_get_bits,
    .set_bits = real_set_bits,
    .bis = real_bis,
    .bic = real_bic,
    .write = real_write,
    .read = real_read,
    .list = real_list,
};
