/* SPDX-License-Identifier: GPL-3.0-or-later */
/* For the input-limit suites (test_limits*.c): a sigrok session built
 * byte by byte with libzip (metadata as the test writes it, samples from a
 * pattern), and `resetlab` run as a child whose exit status, stderr, peak
 * RSS and wall time are measured. */
#ifndef RESETLAB_LIMITS_FIXTURE_H
#define RESETLAB_LIMITS_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "helpers.h"

/* A session of one device: `metadata` as given, and `samples` bytes in
 * logic-1-1 repeating `pattern` (`period` bytes), deflated in 1 MiB
 * blocks through a temporary file. */
static inline void write_sr(const char *path, const char *metadata, const uint8_t *pattern, size_t period,
                            size_t samples)
{
    char raw[] = "/tmp/resetlab-limits-raw-XXXXXX";
    int fd = mkstemp(raw);
    cr_assert(fd >= 0);
    uint8_t *block = malloc(1u << 20);
    cr_assert_not_null(block);
    for (size_t i = 0; i < (1u << 20); i++)
        block[i] = period ? pattern[i % period] : 0;
    for (size_t done = 0; done < samples;) { /* (1 << 20) is a multiple of every period used */
        size_t n = samples - done < (1u << 20) ? samples - done : (1u << 20);
        cr_assert_eq(write(fd, block, n), (ssize_t)n);
        done += n;
    }
    close(fd);
    free(block);
    unlink(path);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    cr_assert_not_null(z, "zip_open %s: %d", path, zerr);
    zip_source_t *v = zip_source_buffer(z, "2", 1, 0), *m = zip_source_buffer(z, metadata, strlen(metadata), 0);
    cr_assert(zip_file_add(z, "version", v, 0) >= 0 && zip_file_add(z, "metadata", m, 0) >= 0);
    if (samples > 0) {
        zip_source_t *d = zip_source_file(z, raw, 0, -1);
        cr_assert(zip_file_add(z, "logic-1-1", d, 0) >= 0);
    }
    cr_assert_eq(zip_close(z), 0, "zip_close %s", path);
    unlink(raw);
}

/* sigrok's own metadata for `probes` logic channels: DTR, RTS, D2, D3,
 * RX, D5... (bit i is channel i), unitsize as sigrok writes it, and
 * `extra` lines after them. */
static inline void sr_metadata(char *out, size_t len, int probes, const char *extra)
{
    int n = snprintf(out, len, "[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\n"
                               "total probes=%d\nsamplerate=1 MHz\ntotal analog=0\n", probes);
    for (int i = 0; i < probes && (size_t)n < len; i++) {
        char name[16];
        snprintf(name, sizeof name, "D%d", i);
        n += snprintf(out + n, len - (size_t)n, "probe%d=%s\n", i + 1,
                      i == 0 ? "DTR" : i == 1 ? "RTS" : i == 4 ? "RX" : name);
    }
    if ((size_t)n < len)
        snprintf(out + n, len - (size_t)n, "unitsize=%d\n%s", probes > 8 ? (probes + 7) / 8 : 1, extra);
}

struct measured {
    int status;       /* exit status; -1 when it did not exit */
    long maxrss_kb;   /* its peak resident set */
    double seconds;   /* wall time */
    char err[4096];   /* its stderr */
    int err_lines;
};

/* `resetlab` with argv (NULL-terminated, without the program) as a child
 * of its own, in the source tree, stdout to /dev/null. */
static inline struct measured run_measured(const char *const *args)
{
    const char *bin = getenv("RESETLAB_BIN");
    cr_assert(bin != NULL, "RESETLAB_BIN is not set (run the tests through ctest)");
    char errpath[] = "/tmp/resetlab-limits-err-XXXXXX";
    int efd = mkstemp(errpath);
    cr_assert(efd >= 0);
    const char *argv[32] = {bin};
    int n = 1;
    while (args[n - 1] != NULL && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        struct rlimit cpu = {30, 30}; /* a hang fails the test, not the suite */
        setrlimit(RLIMIT_CPU, &cpu);
        int out = open("/dev/null", O_WRONLY);
        if (chdir(RESETLAB_SOURCE_DIR) != 0 || out < 0)
            _exit(127);
        dup2(out, 1);
        dup2(efd, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct measured m = {.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                         .maxrss_kb = ru.ru_maxrss,
                         .seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9};
    ssize_t got = pread(efd, m.err, sizeof m.err - 1, 0);
    m.err[got > 0 ? got : 0] = '\0';
    close(efd);
    unlink(errpath);
    for (const char *p = m.err; *p; p++)
        m.err_lines += *p == '\n';
    return m;
}

/* Bad input, measured: exit 2 with one line holding `want`. */
static inline void expect_refused(const struct measured *m, const char *want)
{
    cr_expect_eq(m->status, 2, "exit %d: %s", m->status, m->err);
    cr_expect_eq(m->err_lines, 1, "stderr: %s", m->err);
    cr_expect(strstr(m->err, want) != NULL, "stderr lacks '%s': %s", want, m->err);
}

#endif
