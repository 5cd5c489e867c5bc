/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The serial suites' fake seam (test_serial.c, test_serial_open.c): a
 * struct serial_sys that records every call and models the driver's lines,
 * three USB ports to resolve against, and a fresh fake and a private lock
 * directory per test. Never opens /dev/ttyS*. */
#ifndef RESETLAB_SERIAL_FAKE_H
#define RESETLAB_SERIAL_FAKE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "harness/port/port_serial.h"
#include "helpers.h"

#define LINES (TIOCM_DTR | TIOCM_RTS)

/* ---- the fake seam: records every call, models the driver's lines ------- */

enum call_kind { CALL_OPEN, CALL_CLOSE, CALL_EXCL, CALL_GET, CALL_SET, CALL_BIS, CALL_BIC, CALL_WRITE };
struct call {
    enum call_kind kind;
    int arg; /* bits for SET/BIS/BIC, byte count for WRITE */
};

static struct {
    struct call calls[64];
    int n_calls;
    int lines;      /* TIOCM_* output bits as the driver holds them */
    int get_errno;  /* nonzero: TIOCMGET fails with it (a pty, an SPP link) */
    int open_errno; /* nonzero: open fails with it */
    struct serial_port_info ports[4];
    int n_ports;
} fake;

static inline void record(enum call_kind kind, int arg)
{
    cr_assert_lt(fake.n_calls, 64, "the fake's call log overflowed");
    fake.calls[fake.n_calls++] = (struct call){kind, arg};
}

static inline int fake_open(const char *path, void **handle, char *why, size_t why_len)
{
    (void)path;
    if (fake.open_errno) {
        snprintf(why, why_len, "the fake refuses");
        errno = fake.open_errno;
        return -1;
    }
    record(CALL_OPEN, 0);
    fake.lines |= LINES; /* Linux raises DTR and RTS inside open(2) */
    *handle = &fake;
    return 0;
}

static inline int fake_close(void *handle)
{
    (void)handle;
    record(CALL_CLOSE, 0);
    fake.lines &= ~LINES; /* HUPCL */
    return 0;
}

static inline int fake_exclusive(void *handle)
{
    (void)handle;
    record(CALL_EXCL, 0);
    return 0;
}

static inline int fake_get_bits(void *handle, int *bits)
{
    (void)handle;
    record(CALL_GET, 0);
    if (fake.get_errno) {
        errno = fake.get_errno;
        return -1;
    }
    *bits = fake.lines | TIOCM_CTS | TIOCM_DSR; /* inputs come back too */
    return 0;
}

static inline int fake_set_bits(void *handle, int bits)
{
    (void)handle;
    record(CALL_SET, bits);
    fake.lines = bits & LINES;
    return 0;
}

static inline int fake_bis(void *handle, int bits)
{
    (void)handle;
    record(CALL_BIS, bits);
    fake.lines |= bits;
    return 0;
}

static inline int fake_bic(void *handle, int bits)
{
    (void)handle;
    record(CALL_BIC, bits);
    fake.lines &= ~bits;
    return 0;
}

static inline int fake_write(void *handle, const uint8_t *bytes, size_t n)
{
    (void)handle;
    (void)bytes;
    record(CALL_WRITE, (int)n);
    return 0;
}

static inline int fake_list(struct serial_port_info *out, int max)
{
    int n = fake.n_ports < max ? fake.n_ports : max;
    memcpy(out, fake.ports, (size_t)n * sizeof *out);
    return n;
}

static const struct serial_sys fake_sys = {
    .open = fake_open,
    .close = fake_close,
    .exclusive = fake_exclusive,
    .get_bits = fake_get_bits,
    .set_bits = fake_set_bits,
    .bis = fake_bis,
    .bic = fake_bic,
    .write = fake_write,
    .list = fake_list,
};

static inline void add_usb_port(const char *path, int vid, int pid, const char *serial)
{
    struct serial_port_info *p = &fake.ports[fake.n_ports++];
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    p->transport = SERIAL_USB;
    p->vid = vid;
    p->pid = pid;
    snprintf(p->serial, sizeof p->serial, "%s", serial);
}

/* ---- the suite: a fresh fake and a private lock directory per test ------ */

static char lock_dir[64];

static inline void setup(void)
{
    memset(&fake, 0, sizeof fake);
    add_usb_port("/dev/ttyUSB0", 0x10c4, 0xea60, "0001");
    add_usb_port("/dev/ttyUSB1", 0x1a86, 0x7523, "");
    add_usb_port("/dev/ttyUSB2", 0x1a86, 0x7523, "");
    snprintf(lock_dir, sizeof lock_dir, "/tmp/resetlab-locks-XXXXXX");
    cr_assert(mkdtemp(lock_dir) != NULL);
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
}

static inline void teardown(void)
{
    remove_tree(lock_dir);
}

static char err[512];

static inline struct port *cp210x_port(void)
{
    struct port *p = port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err);
    cr_assert(p != NULL, "%s", err);
    return p;
}

static inline struct port *opened(int lowered)
{
    struct port *p = cp210x_port();
    cr_assert_eq(p->ops->open(p, lowered), 0, "%s", p->ops->error(p));
    return p;
}

static inline void expect_call(int index, enum call_kind kind, int arg)
{
    cr_assert_lt(index, fake.n_calls, "call %d missing (%d calls)", index, fake.n_calls);
    cr_expect_eq(fake.calls[index].kind, kind, "call %d is kind %d, want %d", index, fake.calls[index].kind, kind);
    cr_expect_eq(fake.calls[index].arg, arg, "call %d has arg %#x, want %#x", index, fake.calls[index].arg, arg);
}

static inline int count_calls(int from, enum call_kind kind)
{
    int n = 0;
    for (int i = from; i < fake.n_calls; i++)
        n += fake.calls[i].kind == kind;
    return n;
}

static inline int one_line(const char *s)
{
    return s[0] != '\0' && strchr(s, '\n') == NULL;
}

#endif
