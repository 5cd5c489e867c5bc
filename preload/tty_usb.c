/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local virtual port's USB identity, inside libresetlab-tty.so: a tool
 * that finds its port's USB vendor and product id the way pyserial's
 * list_ports_linux does (glob /dev/ttyACM*, then the sysfs walk from
 * /sys/class/tty/NAME/device to idVendor and idProduct) sees the board's
 * bridge. esptool's default reset depends on it: PID 0x1001 picks
 * USBJTAGSerialReset for the USB-Serial/JTAG (esptool loader.py _get_pid,
 * _construct_reset_strategy_sequence).
 *
 * With RESETLAB_TTY_NAME and RESETLAB_TTY_SYSFS set (serve --tty on such a
 * board), for this process only:
 *   - the port's name (/dev/ttyACM-resetlab) opens, stats and is accessed as
 *     the pty RESETLAB_TTY;
 *   - a listing of /dev has that name at its end;
 *   - /sys/class/tty/NAME/... and /sys/devices/resetlab-tty/... are looked
 *     up in the server's folder, where it made real files and symlinks in
 *     sysfs's shape (harness/serve/serve_tty_usb.c).
 * Every other path goes to libc untouched. Interposed: stat, lstat,
 * fstatat (and their 64 forms; glibc ≥ 2.33 exports them), access,
 * faccessat, readlink, readlinkat, opendir, readdir(64), closedir; the open
 * calls are tty_preload.c's, which rewrite with tty_usb_path.
 * May call: libc and libdl only (it is loaded into the tool's process). */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "tty_usb.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tty_wire.h"

#define EXPORT __attribute__((visibility("default")))

static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* path is prefix, or under it. */
static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *tty_usb_path(const char *path, char *buf, size_t len)
{
    const char *name = getenv(TTY_ENV_NAME), *root = getenv(TTY_ENV_SYSFS), *port = getenv(TTY_ENV_PORT);
    if (!path || name == NULL || root == NULL || port == NULL || path[0] != '/')
        return path;
    if (strcmp(path, name) == 0)
        return port;
    char class_dir[PATH_MAX];
    snprintf(class_dir, sizeof class_dir, "/sys/class/tty/%s", base_name(name));
    if (!under(path, class_dir) && !under(path, TTY_SYSFS_DEVICES))
        return path;
    int n = snprintf(buf, len, "%s%s", root, path);
    return n > 0 && (size_t)n < len ? buf : path;
}

/* ---- stat, access, readlink ------------------------------------------------ */

#define PATH_WRAPPER(ret, name, params, args)                                                                      \
    EXPORT ret name params                                                                                         \
    {                                                                                                              \
        static ret(*f) params;                                                                                     \
        if (f == NULL)                                                                                             \
            *(void **)&f = real(#name);                                                                            \
        char buf[PATH_MAX];                                                                                        \
        path = tty_usb_path(path, buf, sizeof buf);                                                                \
        return f args;                                                                                             \
    }

PATH_WRAPPER(int, stat, (const char *path, struct stat *st), (path, st))
PATH_WRAPPER(int, stat64, (const char *path, struct stat64 *st), (path, st))
PATH_WRAPPER(int, lstat, (const char *path, struct stat *st), (path, st))
PATH_WRAPPER(int, lstat64, (const char *path, struct stat64 *st), (path, st))
PATH_WRAPPER(int, fstatat, (int dir, const char *path, struct stat *st, int flags), (dir, path, st, flags))
PATH_WRAPPER(int, fstatat64, (int dir, const char *path, struct stat64 *st, int flags), (dir, path, st, flags))
PATH_WRAPPER(int, access, (const char *path, int mode), (path, mode))
PATH_WRAPPER(int, faccessat, (int dir, const char *path, int mode, int flags), (dir, path, mode, flags))
PATH_WRAPPER(ssize_t, readlink, (const char *path, char *out, size_t len), (path, out, len))
PATH_WRAPPER(ssize_t, readlinkat, (int dir, const char *path, char *out, size_t len), (dir, path, out, len))

/* ---- a listing of /dev ------------------------------------------------------ */

/* The listings of /dev open now, each owing the port's name once at its end. */
#define DEV_LISTINGS_MAX 8
static pthread_mutex_t listing_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    DIR *d;
    int given;
    struct dirent entry;
    struct dirent64 entry64;
} listings[DEV_LISTINGS_MAX];

EXPORT DIR *opendir(const char *path)
{
    static DIR *(*f)(const char *);
    if (f == NULL)
        *(void **)&f = real("opendir");
    DIR *d = f(path);
    const char *name = getenv(TTY_ENV_NAME);
    if (d == NULL || name == NULL || getenv(TTY_ENV_SYSFS) == NULL || (strcmp(path, "/dev") != 0 && strcmp(path, "/dev/") != 0))
        return d;
    pthread_mutex_lock(&listing_lock);
    for (int i = 0; i < DEV_LISTINGS_MAX; i++)
        if (listings[i].d == NULL) { /* more at once: those list /dev as it is */
            listings[i].d = d;
            listings[i].given = 0;
            break;
        }
    pthread_mutex_unlock(&listing_lock);
    return d;
}

/* The port's name as the next entry of d, once; NULL when d is not a
 * listing of /dev or had it. */
static void *name_entry(DIR *d, int wide)
{
    void *out = NULL;
    pthread_mutex_lock(&listing_lock);
    for (int i = 0; i < DEV_LISTINGS_MAX; i++) {
        if (listings[i].d != d || listings[i].given)
            continue;
        listings[i].given = 1;
        const char *name = base_name(getenv(TTY_ENV_NAME) ? getenv(TTY_ENV_NAME) : "");
        if (wide) {
            struct dirent64 *e = &listings[i].entry64;
            *e = (struct dirent64){.d_ino = 1, .d_reclen = sizeof *e, .d_type = DT_CHR};
            snprintf(e->d_name, sizeof e->d_name, "%s", name);
            out = e;
        } else {
            struct dirent *e = &listings[i].entry;
            *e = (struct dirent){.d_ino = 1, .d_reclen = sizeof *e, .d_type = DT_CHR};
            snprintf(e->d_name, sizeof e->d_name, "%s", name);
            out = e;
        }
    }
    pthread_mutex_unlock(&listing_lock);
    return out;
}

EXPORT struct dirent *readdir(DIR *d)
{
    static struct dirent *(*f)(DIR *);
    if (f == NULL)
        *(void **)&f = real("readdir");
    struct dirent *e = f(d);
    return e != NULL ? e : name_entry(d, 0);
}

EXPORT struct dirent64 *readdir64(DIR *d)
{
    static struct dirent64 *(*f)(DIR *);
    if (f == NULL)
        *(void **)&f = real("readdir64");
    struct dirent64 *e = f(d);
    return e != NULL ? e : name_entry(d, 1);
}

EXPORT int closedir(DIR *d)
{
    static int (*f)(DIR *);
    if (f == NULL)
        *(void **)&f = real("closedir");
    pthread_mutex_lock(&listing_lock);
    for (int i = 0; i < DEV_LISTINGS_MAX; i++)
        if (listings[i].d == d)
            listings[i].d = NULL;
    pthread_mutex_unlock(&listing_lock);
    return f(d);
}
