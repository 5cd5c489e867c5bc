/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze` refuses a .sr whose data disagrees with itself (issue
 * 25, item 3): 64 bytes flipped inside one deflated logic chunk (libsigrok
 * 0.5.2 ends that chunk quietly: the capture read one chunk short, every
 * later edge moved) and a chunk that is not whole samples of the unit
 * size. Sessions built here with libzip. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_fixture.h"

#define CHUNK (1u << 20)

static char dir[] = "/tmp/resetlab-integrity-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(analyze_integrity, .init = setup, .fini = teardown);

/* Three 1 MiB chunks at 1 MHz: DTR, RTS and RX (bits 0, 1, 4) high, noise
 * on the unmapped bits 5-7 (so the deflated stream is long), DTR low for
 * the last half second. `chunk2_len` bytes in the middle chunk. */
static void write_three_chunks(const char *path, size_t chunk2_len, int unitsize)
{
    char meta[1024], extra[32] = "";
    sr_metadata(meta, sizeof meta, 8, extra);
    if (unitsize != 1) {
        char *u = strstr(meta, "unitsize=1");
        cr_assert_not_null(u);
        u[9] = (char)('0' + unitsize);
    }
    uint8_t *data[3];
    size_t len[3] = {CHUNK, chunk2_len, CHUNK};
    uint32_t x = 12345;
    for (int c = 0; c < 3; c++) {
        data[c] = malloc(len[c]);
        cr_assert_not_null(data[c]);
        for (size_t i = 0; i < len[c]; i++) {
            x = x * 1103515245u + 12345u;
            data[c][i] = (uint8_t)(0x13 | ((x >> 24) & 0xe0));
            if (c == 2 && i >= CHUNK / 2)
                data[c][i] &= (uint8_t)~1u;
        }
    }
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    cr_assert_not_null(z);
    cr_assert(zip_file_add(z, "version", zip_source_buffer(z, "2", 1, 0), 0) >= 0);
    cr_assert(zip_file_add(z, "metadata", zip_source_buffer(z, meta, strlen(meta), 0), 0) >= 0);
    for (int c = 0; c < 3; c++) {
        char name[16];
        snprintf(name, sizeof name, "logic-1-%d", c + 1);
        cr_assert(zip_file_add(z, name, zip_source_buffer(z, data[c], len[c], 0), 0) >= 0);
    }
    cr_assert_eq(zip_close(z), 0);
    for (int c = 0; c < 3; c++)
        free(data[c]);
}

/* Flips 64 bytes in the middle of a member's compressed data, found by its
 * local file header (PK\3\4, 30 bytes, then name and extra field). */
static void flip_inside(const char *path, const char *member)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint8_t *b = malloc((size_t)size);
    rewind(f);
    cr_assert_eq(fread(b, 1, (size_t)size, f), (size_t)size);
    size_t nl = strlen(member);
    long at = -1;
    for (long i = 0; i + 30 + (long)nl < size && at < 0; i++)
        if (memcmp(b + i, "PK\3\4", 4) == 0 && b[i + 26] == nl && memcmp(b + i + 30, member, nl) == 0)
            at = i;
    cr_assert_geq(at, 0, "no local header for %s", member);
    uint32_t csize = b[at + 18] | b[at + 19] << 8 | b[at + 20] << 16 | (uint32_t)b[at + 21] << 24;
    long data = at + 30 + (long)nl + (b[at + 28] | b[at + 29] << 8);
    cr_assert_gt(csize, 4096u);
    for (long i = data + csize / 2; i < data + csize / 2 + 64; i++)
        b[i] ^= 0xff;
    rewind(f);
    cr_assert_eq(fwrite(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    free(b);
}

Test(analyze_integrity, a_flipped_chunk_is_refused_naming_it)
{
    char path[256];
    snprintf(path, sizeof path, "%s/flipped.sr", dir);
    write_three_chunks(path, CHUNK, 1);
    const char *ok[] = {"analyze", path, "--board", "devkitc", NULL};
    struct measured m = run_measured(ok);
    cr_assert_eq(m.status, 0, "%s", m.err); /* intact: reads (DTR and RTS, no reset) */
    flip_inside(path, "logic-1-2");
    m = run_measured(ok);
    cr_assert_eq(m.status, 2, "%s", m.err);
    cr_assert_eq(m.err_lines, 1, "%s", m.err);
    cr_assert(strstr(m.err, "corrupt chunk logic-1-2 (bytes 1048576 to 2097152 of the logic data: CRC error)") != NULL,
              "%s", m.err);
    /* what libsigrok 0.5.2 made of it: the chunk's garbage and 8 bytes short */
    cr_assert(strstr(m.err, "libsigrok delivered 3145720 of its 3145728 bytes of logic data") != NULL, "%s", m.err);
}

Test(analyze_integrity, a_chunk_of_partial_samples_is_refused)
{
    char path[256];
    snprintf(path, sizeof path, "%s/partial.sr", dir);
    write_three_chunks(path, CHUNK + 1, 2);
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    struct measured m = run_measured(args);
    cr_assert_eq(m.status, 2, "%s", m.err);
    cr_assert(strstr(m.err, "chunk logic-1-2 holds 1048577 bytes, not whole samples of unitsize=2") != NULL, "%s",
              m.err);
}
