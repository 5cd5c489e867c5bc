/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Claiming and opening a serial port (harness/port/port_serial.h) through a
 * fake seam (serial_fake.h): the port lock, ports without modem lines, the
 * open errors, port specs resolved (usb:VID:PID[:SERIAL], paths, by-id
 * links); and the real libserialport error path on a pty. Never opens
 * /dev/ttyS*. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serial_fake.h"

TestSuite(serial, .init = setup, .fini = teardown);

/* ---- the port lock -------------------------------------------------------- */

static char *lock_file_text(void)
{
    char file[512];
    serial_lock_path("/dev/ttyUSB0", file, sizeof file);
    char *text = slurp(file, NULL);
    cr_assert(text != NULL, "no lock file %s", file);
    return text;
}

/* The lock is the port object's, from port_serial_new to port_serial_free:
 * closing and reopening (a cell's runs) keeps it. */
Test(serial, second_claim_names_the_holder_until_free)
{
    struct port *a = cp210x_port();
    char *text = lock_file_text();
    char want[64];
    snprintf(want, sizeof want, "%ld ", (long)getpid()); /* then our command line */
    cr_expect(strncmp(text, want, strlen(want)) == 0, "lock file says '%s'", text);
    free(text);

    int calls = fake.n_calls;
    cr_assert_null(port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err), "the second claim must fail");
    snprintf(want, sizeof want, "/dev/ttyUSB0 is in use by pid %ld (", (long)getpid());
    cr_expect(strncmp(err, want, strlen(want)) == 0, "error: %s", err);
    cr_expect(one_line(err));
    cr_expect_eq(fake.n_calls, calls, "a locked port is not opened");

    cr_assert_eq(a->ops->open(a, 0), 0, "%s", a->ops->error(a));
    cr_assert_eq(a->ops->close(a), 0);
    cr_assert_null(port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err), "a close lets go of the lock");
    port_serial_free(a);
    text = lock_file_text();
    cr_expect_str_empty(text, "the lock file still names a holder after free");
    free(text);
    struct port *b = cp210x_port();
    cr_assert_eq(b->ops->open(b, 0), 0, "after free: %s", b->ops->error(b));
    port_serial_free(b);
}

Test(serial, lock_held_by_another_process)
{
    char file[512];
    serial_lock_path("/dev/ttyUSB0", file, sizeof file);
    int ready[2], done[2];
    cr_assert(pipe(ready) == 0 && pipe(done) == 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) { /* a CI job holding the board until the pipe closes */
        close(ready[0]);
        close(done[1]);
        int fd = open(file, O_RDWR | O_CREAT, 0666);
        char text[64];
        int n = snprintf(text, sizeof text, "%ld resetlab run --board devkitc\n", (long)getpid());
        char c = 0;
        if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(fd, text, (size_t)n) != n || write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(done[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(done[0]);
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1, "the child could not take the lock");

    cr_assert_null(port_serial_new("usb:10c4:ea60", &fake_sys, err, sizeof err));
    char want[128];
    snprintf(want, sizeof want, "/dev/ttyUSB0 is in use by pid %ld (resetlab run --board devkitc)", (long)child);
    cr_expect_str_eq(err, want);

    close(done[1]); /* the job ends; the kernel drops its lock */
    int status;
    waitpid(child, &status, 0);
    close(ready[0]);
    struct port *p = opened(0);
    port_serial_free(p);
}

Test(serial, stale_lock_file_does_not_block)
{
    char file[512];
    serial_lock_path("/dev/ttyUSB0", file, sizeof file);
    FILE *f = fopen(file, "w");
    cr_assert(f != NULL);
    fputs("999999 resetlab run --board crashed-job\n", f);
    fclose(f);
    struct port *p = opened(0);
    char *text = lock_file_text();
    char want[32];
    snprintf(want, sizeof want, "%ld ", (long)getpid());
    cr_expect(strncmp(text, want, strlen(want)) == 0, "the lock file still says '%s'", text);
    free(text);
    port_serial_free(p);
}

Test(serial, lock_path_is_per_device)
{
    char a[512], b[512];
    serial_lock_path("/dev/ttyUSB0", a, sizeof a);
    serial_lock_path("/dev/ttyUSB1", b, sizeof b);
    cr_expect_str_neq(a, b);
    cr_expect(strncmp(a, lock_dir, strlen(lock_dir)) == 0, "%s is not under RESETLAB_LOCK_DIR", a);
    cr_expect(strstr(a, "resetlab-ttyUSB0.lock") != NULL, "%s", a);
    serial_lock_path("/dev/pts/3", a, sizeof a);
    cr_expect(strstr(a, "resetlab-pts_3.lock") != NULL, "%s", a);
}

/* ---- ports without modem lines ------------------------------------------ */

Test(serial, no_modem_lines_is_one_clear_error)
{
    fake.get_errno = ENOTTY;
    struct port *p = cp210x_port();
    cr_assert_neq(p->ops->open(p, 0), 0);
    const char *e = p->ops->error(p);
    cr_expect(strstr(e, "/dev/ttyUSB0: not a serial port with modem lines (DTR/RTS)") != NULL, "%s", e);
    cr_expect(one_line(e), "%s", e);
    cr_assert_eq(fake.n_calls, 3);
    expect_call(0, CALL_OPEN, 0);
    expect_call(1, CALL_GET, 0);
    expect_call(2, CALL_CLOSE, 0);

    fake.get_errno = 0; /* a failed open leaves the port ready for the next */
    cr_assert_eq(p->ops->open(p, 0), 0, "%s", p->ops->error(p));
    port_serial_free(p);
    assert_no_leaks("a failed open");
}

Test(serial, open_failures_say_why)
{
    static const struct {
        int e;
        const char *want;
    } cases[] = {
        {ENODEV, "not a serial port with modem lines (DTR/RTS): the fake refuses"},
        {ENOENT, "no such port"},
        {EACCES, "dialout"},
        {EBUSY, "busy"},
        {EIO, "cannot open: the fake refuses"},
    };
    struct port *p = cp210x_port();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake.open_errno = cases[i].e;
        cr_assert_neq(p->ops->open(p, 0), 0);
        cr_expect(strstr(p->ops->error(p), cases[i].want) && one_line(p->ops->error(p)), "errno %d: %s", cases[i].e,
                  p->ops->error(p));
    }
    port_serial_free(p);
}

/* ---- port specs ---------------------------------------------------------- */

static int resolve(const char *spec, char *path, size_t len)
{
    return serial_resolve_with(&fake_sys, spec, path, len, err, sizeof err);
}

Test(serial, resolve_usb_match)
{
    char path[SERIAL_PATH_MAX];
    cr_assert_eq(resolve("usb:10c4:ea60", path, sizeof path), 0, "%s", err);
    cr_expect_str_eq(path, "/dev/ttyUSB0");
    cr_assert_eq(resolve("USB:10C4:EA60", path, sizeof path), 0, "%s", err);
    cr_assert_eq(resolve("usb:10c4:ea60:0001", path, sizeof path), 0, "%s", err);
    cr_expect_str_eq(path, "/dev/ttyUSB0");

    cr_assert_neq(resolve("usb:10c4:ea60:0002", path, sizeof path), 0);
    cr_expect(strstr(err, "no serial port matches usb:10c4:ea60:0002") && strstr(err, "/dev/ttyUSB0"), "%s", err);
    cr_assert_neq(resolve("usb:0403:6001", path, sizeof path), 0);
    cr_expect(one_line(err) && strstr(err, "/dev/ttyUSB1"), "zero matches lists what was found: %s", err);
}

Test(serial, resolve_two_matches_lists_both)
{
    char path[SERIAL_PATH_MAX];
    cr_assert_neq(resolve("usb:1a86:7523", path, sizeof path), 0);
    cr_expect(strstr(err, "matches 2 ports") && strstr(err, "/dev/ttyUSB1") && strstr(err, "/dev/ttyUSB2"), "%s", err);
    cr_expect(one_line(err), "%s", err);
}

Test(serial, resolve_bad_usb_match)
{
    static const char *const bad[] = {"usb:zz", "usb:10c4", "usb:10c4:", "usb:10c4:ea60x", "usb:12345:ea60",
                                      "usb:10c4:ea60:", "usb::ea60"};
    char path[SERIAL_PATH_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_neq(resolve(bad[i], path, sizeof path), 0, "%s resolved", bad[i]);
        cr_expect(strstr(err, "bad USB match") && one_line(err), "%s: %s", bad[i], err);
    }
}

Test(serial, resolve_paths_and_links)
{
    char path[SERIAL_PATH_MAX];
    cr_assert_neq(resolve("/dev/resetlab-no-such-port", path, sizeof path), 0);
    cr_expect(strstr(err, "/dev/resetlab-no-such-port: no such serial port") && one_line(err), "%s", err);
    cr_expect_null(port_serial_new("/dev/resetlab-no-such-port", &fake_sys, err, sizeof err));

    /* a by-id style link resolves to its device (/dev/null is a character device) */
    char link[128];
    snprintf(link, sizeof link, "%s/usb-Silicon_Labs_CP2102-if00-port0", lock_dir);
    cr_assert_eq(symlink("/dev/null", link), 0);
    cr_assert_eq(resolve(link, path, sizeof path), 0, "%s", err);
    cr_expect_str_eq(path, "/dev/null");

    char file[128];
    snprintf(file, sizeof file, "%s/plain-file", lock_dir);
    fclose(fopen(file, "w"));
    cr_assert_neq(resolve(file, path, sizeof path), 0);
    cr_expect(strstr(err, "not a character device"), "%s", err);
    cr_assert_neq(resolve("", path, sizeof path), 0);
}

/* ---- the real libserialport path ---------------------------------------- */

Test(serial, real_seam_on_a_pty_is_one_clear_error)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(master, 0);
    cr_assert(grantpt(master) == 0 && unlockpt(master) == 0);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(master));

    struct port *p = port_serial_new(name, NULL, err, sizeof err);
    cr_assert(p != NULL, "%s", err);
    cr_expect_str_eq(port_serial_path(p), name);
    cr_assert_neq(p->ops->open(p, 0), 0, "a pty opened as a serial port");
    const char *e = p->ops->error(p);
    char want[128];
    snprintf(want, sizeof want, "%s: not a serial port with modem lines (DTR/RTS): ", name);
    cr_expect(strncmp(e, want, strlen(want)) == 0, "%s", e);
    cr_expect(one_line(e), "%s", e);
    cr_assert_neq(p->ops->open(p, 1), 0, "lowered open fails the same way");
    port_serial_free(p);
    close(master);
    assert_no_leaks("the real seam's failed open");
}
