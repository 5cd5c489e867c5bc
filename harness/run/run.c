/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What one run is made into (run.h): its seed, the verdict of a run that
 * could not be made, the output folder (its paths, made, locked).
 * May call: sim/ (rng.h), harness/port (the lock file), libc. */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/port/port_lock.h"
#include "sim/rng.h"

uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration)
{
    uint64_t s = seed;
    s ^= splitmix64(&s) ^ hash_name(board);
    s ^= splitmix64(&s) ^ hash_name(host);
    s ^= splitmix64(&s) ^ hash_name(scenario);
    s ^= splitmix64(&s) ^ (uint64_t)iteration;
    return splitmix64(&s);
}

int run_check_path(const char *what, const char *path, char *err, size_t len)
{
    char cwd[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0) {
        snprintf(err, len, "%s: an empty path", what);
        return -1;
    }
    if (path[0] != '/') /* SQLite makes it absolute, from the current folder */
        n += getcwd(cwd, sizeof cwd) ? strlen(cwd) + 1 : sizeof cwd;
    if (n <= RUN_MAX_PATH)
        return 0;
    snprintf(err, len, "%s: a path of %zu bytes%s, longer than the %d resetlab takes", what, n,
             path[0] == '/' ? "" : " from /", RUN_MAX_PATH);
    return -1;
}

int run_check_file_path(const char *what, const char *path, char *err, size_t len)
{
    if (run_check_path(what, path, err, len) != 0)
        return -1;
    const char *slash = strrchr(path, '/');
    if (slash && slash[1] == '\0') {
        snprintf(err, len, "%s: %s: a folder, not a file name", what, path);
        return -1;
    }
    char dir[RUN_MAX_PATH + 1];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
    struct stat st;
    if (stat(dir, &st) != 0 && run_mkdir_p(dir, err, len) != 0)
        return -1;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(err, len, "%s: %s is not a folder", what, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, len, "%s: cannot write into %s: %s", what, dir, strerror(errno));
        return -1;
    }
    return 0;
}

int run_mkdir_p(const char *dir, char *err, size_t len)
{
    char path[RUN_MAX_PATH + 1];
    if (run_check_path("the output folder", dir, err, len) != 0)
        return -1;
    snprintf(path, sizeof path, "%s", dir);
    for (char *q = path + 1;; q++) {
        int end = *q == '\0';
        if (*q == '/' || end) {
            *q = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                snprintf(err, len, "%s: cannot create the output folder: %s", path, strerror(errno));
                return -1;
            }
            if (end)
                return 0;
            *q = '/';
        }
    }
}

int run_lock_folder(const char *dir, int *fd, char *err, size_t len)
{
    char path[RUN_MAX_PATH + sizeof "/" RUN_FOLDER_LOCK], why[400];
    snprintf(path, sizeof path, "%s/" RUN_FOLDER_LOCK, dir);
    int rc = lockfile_take(path, fd, why, sizeof why);
    if (rc == LOCKFILE_HELD)
        snprintf(err, len, "%s: the folder is in use by %s", dir, why);
    else if (rc != 0)
        snprintf(err, len, "%s: %s", dir, why);
    return rc == 0 ? 0 : -1;
}

void run_unlock_folder(int fd)
{
    lockfile_release(fd);
}

struct run_buffers *run_buffers_new(void)
{
    struct run_buffers *rb = malloc(sizeof *rb);
    if (rb == NULL)
        return NULL;
    volatile unsigned char *bytes = (volatile unsigned char *)rb;
    for (size_t at = 0; at < sizeof *rb; at += 4096)
        bytes[at] = 0;
    return rb;
}

void run_infrastructure_error(struct analysis *a, const char *why)
{
    memset(a, 0, sizeof *a);
    a->margin_ms = a->gap_ms = a->en_release_ms = a->tau_ms = NAN;
    a->verdict = VERDICT_ERROR;
    a->sync = -1;
    a->n_findings = 1;
    snprintf(a->findings[0].kind, sizeof a->findings[0].kind, "infrastructure");
    a->findings[0].severity = SEV_ERROR;
    snprintf(a->findings[0].message, sizeof a->findings[0].message, "%.180s", why);
}

/* One run on the virtual lab, through the sim port and capture backends. */
