/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The floor for reading a sigrok session: inflating its logic chunks with
 * libzip (what libsigrok's srzip input reads them with), into a buffer
 * thrown away. Nothing that analyses the samples can be faster.
 *   usage: bench_inflate FILE.sr
 * Prints the seconds and the bytes inflated. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zip.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_inflate FILE.sr\n");
        return 2;
    }
    double t0 = now_s();
    int zerr;
    zip_t *z = zip_open(argv[1], ZIP_RDONLY, &zerr);
    if (z == NULL) {
        fprintf(stderr, "bench_inflate: %s: cannot open (libzip error %d)\n", argv[1], zerr);
        return 2;
    }
    static unsigned char buf[1 << 20];
    unsigned long long bytes = 0;
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        if (name == NULL || strncmp(name, "logic-", 6) != 0)
            continue;
        zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
        zip_int64_t got;
        while (f != NULL && (got = zip_fread(f, buf, sizeof buf)) > 0)
            bytes += (unsigned long long)got;
        if (f != NULL)
            zip_fclose(f);
    }
    zip_close(z);
    printf("%.4f %llu\n", now_s() - t0, bytes);
    return 0;
}
