/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exclusive locks between resetlab processes (port_lock.h).
 * May call: libc (flock). */
#include "port_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "resetlab run --board devkitc": argv[0]'s base name, then the arguments,
 * so a blocked job can say who holds the port. */
static void own_command_line(char *buf, size_t len)
{
    char raw[256];
    size_t n = 0;
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (f) {
        n = fread(raw, 1, sizeof raw - 1, f);
        fclose(f);
    }
    raw[n] = '\0';
    const char *argv0 = strrchr(raw, '/') ? strrchr(raw, '/') + 1 : raw;
    size_t used = (size_t)snprintf(buf, len, "%s", argv0);
    for (size_t i = strlen(raw) + 1; i < n && used + 1 < len; i += strlen(raw + i) + 1)
        used += (size_t)snprintf(buf + used, len - used, " %s", raw + i);
}

/* "1234 resetlab run ...\n": made before the lock is taken, so the file
 * names its holder as soon after as can be. */
static size_t holder_text(char *text, size_t len)
{
    char cmd[200];
    own_command_line(cmd, sizeof cmd);
    snprintf(text, len, "%ld %s\n", (long)getpid(), cmd);
    return strlen(text);
}

static void record_holder(int fd, const char *text, size_t n)
{
    if (pwrite(fd, text, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) != 0) {
        /* a read-only lock file (another user's) cannot say who holds it;
         * the lock itself still holds */
    }
}

/* "pid 1234 (resetlab run ...)" from the lock file into `buf`: 0 when it
 * names a live process, 1 when the process it names is gone (a holder
 * killed before it let go, whose successor has not written its own pid
 * yet), -1 when it names none (its holder has just taken it). */
static int describe_holder(int fd, char *buf, size_t len)
{
    char text[256];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    text[strcspn(text, "\n")] = '\0';
    char *rest;
    long pid = strtol(text, &rest, 10);
    if (pid <= 0 || rest == text)
        return -1;
    rest += strspn(rest, " ");
    snprintf(buf, len, "pid %ld (%s)", pid, rest[0] ? rest : "?");
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH ? 1 : 0;
}

/* Opens without O_CREAT first: a sticky /tmp (protected_regular) refuses
 * O_CREAT on another user's file. Read-only still locks when the file
 * belongs to someone else. errno is the reason it could not be opened at
 * all (creating it in a folder we may not write: EACCES, not ENOENT). */
static int open_lock_file(const char *file)
{
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd >= 0 && fchmod(fd, 0666) != 0) {
            /* other users' jobs will lock read-only */
        }
        return fd;
    }
    if (fd < 0 && errno == EACCES)
        fd = open(file, O_RDONLY | O_CLOEXEC);
    return fd;
}

int lockfile_take(const char *file, int *fd_out, char *why, size_t why_len)
{
    char text[256];
    size_t n = holder_text(text, sizeof text);
    *fd_out = -1;
    int fd = open_lock_file(file);
    if (fd < 0) {
        snprintf(why, why_len, "cannot open its lock file %s: %s", file, strerror(errno));
        return -1;
    }
    /* Held: the holder is named once its pid is in the file. It writes
     * it right after taking the lock, so an empty file (or a dead
     * holder's pid) means it is being taken at this moment: look again,
     * and take it if it was let go meanwhile. A dead pid that stays is
     * named as it is (a holder that wrote another pid than its own). */
    for (int look = 0;; look++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        int e = errno;
        if (e != EWOULDBLOCK) {
            snprintf(why, why_len, "cannot lock %s: %s", file, strerror(e));
            close(fd);
            return -1;
        }
        int named = describe_holder(fd, why, why_len);
        if (named == 0 || (named == 1 && look >= LOCKFILE_STALE_WAIT_MS) || look >= LOCKFILE_NAME_WAIT_MS) {
            if (named < 0)
                snprintf(why, why_len, "a process that took it and has not written its pid in %d ms",
                         LOCKFILE_NAME_WAIT_MS);
            close(fd);
            return LOCKFILE_HELD;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    record_holder(fd, text, n);
    *fd_out = fd;
    return 0;
}

/* Emptied, not unlinked: unlinking a lock file races with a process that
 * has just opened it and would lock a file nobody else sees. */
void lockfile_release(int fd)
{
    if (fd < 0)
        return;
    if (ftruncate(fd, 0) != 0) {
        /* a read-only lock recorded nothing */
    }
    close(fd);
}
