/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze` on a .sr whose logic chunks disagree with the zip
 * (issue 25, item 3), found on damaged copies of sigrok-dumps' captures:
 * a chunk whose bytes fail its CRC-32 but inflate whole (libsigrok 0.5.2
 * passed them on: exit 0 with moved edges), a first chunk that does not
 * inflate at all ("no samples"), a chunk after a missing one (libsigrok
 * stops at the gap), a capturefile naming no member; and an analog-only
 * session (a Hantek's: no capturefile) lasts as long as its samples (it
 * read 0 ms). Sessions built here with libzip. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-chunks-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(analyze_chunks, .init = setup, .fini = teardown);

#define SAMPLES 3000

/* 1 MHz, DTR (bit 0) low for samples 1000 to 1999, the rest high: as
 * members named `names` (NULL-terminated), the samples split evenly, each
 * stored (no compression) when `store`. */
static const char *session(const char *file, const char *capturefile, const char *const *names, int store)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.sr", dir, file);
    char meta[1024], extra[64];
    snprintf(extra, sizeof extra, "%s", "");
    sr_metadata(meta, sizeof meta, 8, extra);
    if (strcmp(capturefile, "logic-1") != 0) {
        char *c = strstr(meta, "capturefile=logic-1");
        cr_assert_not_null(c);
        char rest[1024];
        snprintf(rest, sizeof rest, "%s", c + strlen("capturefile=logic-1"));
        snprintf(c, sizeof meta - (size_t)(c - meta), "capturefile=%s%s", capturefile, rest);
    }
    static uint8_t p[SAMPLES];
    for (int i = 0; i < SAMPLES; i++)
        p[i] = (uint8_t)(i >= 1000 && i < 2000 ? 0xfe : 0xff);
    int n = 0;
    while (names[n])
        n++;
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    cr_assert_not_null(z);
    cr_assert(zip_file_add(z, "version", zip_source_buffer(z, "2", 1, 0), 0) >= 0);
    cr_assert(zip_file_add(z, "metadata", zip_source_buffer(z, meta, strlen(meta), 0), 0) >= 0);
    for (int k = 0; k < n; k++) {
        zip_int64_t i = zip_file_add(z, names[k], zip_source_buffer(z, p + k * SAMPLES / n, SAMPLES / n, 0), 0);
        cr_assert_geq(i, 0);
        if (store)
            cr_assert_eq(zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0), 0);
    }
    cr_assert_eq(zip_close(z), 0);
    return path;
}

/* Flips `n` bytes at `at` of a member's data (stored or deflated), found
 * by its local file header (PK\3\4, 30 bytes, then name and extra field). */
static void flip(const char *path, const char *member, long at, int n)
{
    size_t size;
    char *b = slurp(path, &size);
    cr_assert_not_null(b);
    size_t nl = strlen(member);
    long hdr = -1;
    for (long i = 0; i + 30 + (long)nl < (long)size && hdr < 0; i++)
        if (memcmp(b + i, "PK\3\4", 4) == 0 && (uint8_t)b[i + 26] == nl && memcmp(b + i + 30, member, nl) == 0)
            hdr = i;
    cr_assert_geq(hdr, 0);
    long data = hdr + 30 + (long)nl + ((uint8_t)b[hdr + 28] | (uint8_t)b[hdr + 29] << 8);
    for (int i = 0; i < n; i++)
        b[data + at + i] ^= 0x55;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, size, f), size);
    fclose(f);
    free(b);
}

static struct measured analyze(const char *path)
{
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    return run_measured(args);
}

static void refused(struct measured m, const char *want)
{
    cr_assert_eq(m.status, 2, "exit %d: %s", m.status, m.err);
    cr_assert_eq(m.err_lines, 1, "%s", m.err);
    cr_assert(strstr(m.err, want) != NULL, "want '%s' in: %s", want, m.err);
}

static const char *const three[] = {"logic-1-1", "logic-1-2", "logic-1-3", NULL};

/* One byte of the stored logic-1-2 flipped: libzip's CRC-32 check fails
 * on the read after its last byte, which libsigrok 0.5.2 takes for the
 * chunk's end; every byte was delivered (exit 0 before). */
Test(analyze_chunks, a_chunk_failing_its_crc_is_refused_naming_it)
{
    const char *path = session("crc", "logic-1", three, 1);
    struct measured m = analyze(path);
    cr_assert_eq(m.status, 0, "%s", m.err); /* intact */
    flip(path, "logic-1-2", 500, 1);        /* sample 1500: DTR high in the middle of its low */
    refused(analyze(path), "corrupt chunk logic-1-2 (bytes 1000 to 2000 of the logic data): its samples disagree with "
                           "its CRC-32 (libsigrok passes them on)");
}

/* The first chunk's deflated stream broken at its start: libsigrok sends
 * no packet at all ("no samples" before). */
Test(analyze_chunks, a_first_chunk_that_does_not_inflate_is_named)
{
    static const char *const one[] = {"logic-1-1", NULL};
    const char *path = session("inflate", "logic-1", one, 0);
    flip(path, "logic-1-1", 0, 8);
    refused(analyze(path), "corrupt chunk logic-1-1 (bytes 0 to 3000 of the logic data: ");
    struct measured m = analyze(path);
    cr_assert(strstr(m.err, "libsigrok delivered 0 of its 3000 bytes of logic data") != NULL, "%s", m.err);
}

/* logic-1-2 missing: libsigrok 0.5.2 stops at logic-1-1 (session_driver.c,
 * stream_session_data), logic-1-3's samples would be lost. */
Test(analyze_chunks, a_chunk_after_a_missing_one_is_refused)
{
    static const char *const gap[] = {"logic-1-1", "logic-1-3", NULL};
    refused(analyze(session("gap", "logic-1", gap, 0)),
            "chunk logic-1-3 is not read: logic-1-2 is missing (libsigrok stops there, the samples after it would be "
            "lost)");
    static const char *const both[] = {"logic-1", "logic-1-1", NULL};
    refused(analyze(session("both", "logic-1", both, 0)),
            "chunk logic-1-1 is not read: the logic data is the single member logic-1");
}

/* The metadata's capturefile names the chunks' base; one naming no member
 * gave "no samples". Another name that is there reads. */
Test(analyze_chunks, a_capturefile_naming_no_member_is_refused)
{
    refused(analyze(session("nothere", "nothere", three, 0)),
            "no logic data: the metadata's capturefile=nothere names no member (nothere nor nothere-1)");
    static const char *const other[] = {"data-1", "data-2", NULL};
    struct measured m = analyze(session("other", "data", other, 0));
    cr_assert_eq(m.status, 0, "%s", m.err);
}

/* An analog-only session (no capturefile, as a Hantek 6022BE's in
 * sigrok-dumps): EN from its voltage, 3000 samples at 1 MHz; the capture
 * lasts 2.999 ms (it said 0.000 ms: the end came from logic samples). */
Test(analyze_chunks, an_analog_only_session_lasts_as_long_as_its_samples)
{
    char path[256];
    snprintf(path, sizeof path, "%s/analog.sr", dir);
    static const char meta[] = "[global]\nsigrok version=0.5.0\n\n[device 1]\nsamplerate=1 MHz\ntotal analog=1\n"
                               "analog1=CH1\n";
    static float v[SAMPLES];
    for (int i = 0; i < SAMPLES; i++)
        v[i] = i >= 1000 && i < 2000 ? 0.0f : 3.3f;
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    cr_assert_not_null(z);
    cr_assert(zip_file_add(z, "version", zip_source_buffer(z, "2", 1, 0), 0) >= 0);
    cr_assert(zip_file_add(z, "metadata", zip_source_buffer(z, meta, strlen(meta), 0), 0) >= 0);
    cr_assert(zip_file_add(z, "analog-1-1-1", zip_source_buffer(z, v, sizeof v, 0), 0) >= 0);
    cr_assert_eq(zip_close(z), 0);
    char args[512], out[8192], err[1024];
    snprintf(args, sizeof args, "analyze %s --board devkitc --map CH1=EN", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "analog.sr: 1 MS/s, 2.999 ms, 2 edges on EN\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  #1 EN low at 1.000 ms, ") != NULL, "%s", out);
}
