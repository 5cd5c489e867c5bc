/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A capture file cannot make `resetlab analyze` spin or swell (issue 18,
 * items 3 and 4): a .sr's metadata is read before libsigrok loads it, so a
 * count of channels no analyzer has is one line at once (libsigrok 0.5.2
 * took 11 s for 100,000 and hung on 10^9); and edges are counted as they
 * are read, so a file of toggling samples stops at the limit with memory
 * bounded by it (a 1 MB .sr reached 4.2 GB before its refusal). Each file
 * is built here with libzip; each run is a child whose peak RSS and time
 * are measured. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness/capture/capture_sigrok.h"
#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-limits-sr-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(limits_sr, .init = setup, .fini = teardown);

static const uint8_t quiet[] = {0x03}; /* DTR and RTS high: released */

/* FILE.sr with `metadata` and a few quiet samples, analyzed on devkitc. */
static struct measured analyze_meta(const char *name, const char *metadata)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.sr", dir, name);
    write_sr(path, metadata, quiet, 1, 64);
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    return run_measured(args);
}

static const char head[] = "[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\n";

/* The 1.5 KB files: "total probes=1000000000" kept libsigrok (and
 * sigrok-cli) busy past 120 s, "total analog=1000000" past 30 s, "total
 * probes=100000" 11 s. Each is one line now, in well under a second. */
Test(limits_sr, channel_counts_no_analyzer_has_are_refused_before_libsigrok_loads_them)
{
    static const struct {
        const char *keys, *want;
    } cases[] = {
        {"total probes=1000000000\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=1 MHz\n",
         "total probes=1000000000: not 0 to 64 logic channels"},
        {"total probes=100000\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=1 MHz\n",
         "total probes=100000: not 0 to 64 logic channels"},
        {"total probes=2\ntotal analog=1000000\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=1 MHz\n",
         "total analog=1000000: not 0 to 32 analog channels"},
        /* the last of two values is the one libsigrok's GKeyFile keeps */
        {"total probes=2\ntotal probes=100000\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=1 MHz\n",
         "total probes=100000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char meta[512], name[16];
        snprintf(meta, sizeof meta, "%s%s", head, cases[i].keys);
        snprintf(name, sizeof name, "count-%zu", i);
        struct measured m = analyze_meta(name, meta);
        expect_refused(&m, cases[i].want);
        cr_expect_lt(m.seconds, 5.0, "%s took %.1f s", cases[i].want, m.seconds);
    }
}

/* What no analyzer writes, each one line: a rate of 0, a unit size that
 * does not hold the channels or is over 8 bytes, counts that are not
 * whole numbers, two devices, metadata larger than any sigrok writes. */
Test(limits_sr, metadata_no_analyzer_writes_is_one_line_each)
{
    static const struct {
        const char *keys, *want;
    } cases[] = {
        {"total probes=2\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=0\n", "samplerate=0: not a rate above 0 Hz"},
        {"total probes=2\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=fast\n", "samplerate=fast"},
        {"total probes=20\nprobe1=DTR\nprobe2=RTS\nprobe20=D19\nunitsize=1\nsamplerate=1 MHz\n",
         "unitsize=1: not 1 to 8 bytes a sample, enough for its 20 logic channels"},
        {"total probes=2\nprobe1=DTR\nprobe2=RTS\nunitsize=9\nsamplerate=1 MHz\n", "unitsize=9"},
        {"total probes=2\nprobe1=DTR\nprobe2=RTS\nunitsize=0\nsamplerate=1 MHz\n", "unitsize=0"},
        {"total probes=-1\nprobe1=DTR\nunitsize=1\nsamplerate=1 MHz\n", "total probes=-1"},
        {"total probes=two\nprobe1=DTR\nunitsize=1\nsamplerate=1 MHz\n", "total probes=two"},
        {"total probes=2\nprobe1=DTR\nprobe2=RTS\nunitsize=1\nsamplerate=1 MHz\n[device 2]\ncapturefile=logic-1\n",
         "more than one device in the session"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char meta[512], name[16];
        snprintf(meta, sizeof meta, "%s%s", head, cases[i].keys);
        snprintf(name, sizeof name, "meta-%zu", i);
        struct measured m = analyze_meta(name, meta);
        expect_refused(&m, cases[i].want);
    }
    /* 70,000 bytes of metadata: sigrok writes under 1 KiB */
    size_t big = 70000;
    char *meta = malloc(big + 1);
    cr_assert_not_null(meta);
    memset(meta, '#', big);
    memcpy(meta, head, strlen(head));
    meta[big - 1] = '\n';
    meta[big] = '\0';
    struct measured m = analyze_meta("meta-big", meta);
    free(meta);
    expect_refused(&m, "its metadata is 70000 bytes, more than the 65536 a sigrok session's has");
}

/* The limits are the analyzers', not narrower: 64 logic channels in
 * 8-byte samples (bits 0 and 1 DTR and RTS) are read and analyzed. */
Test(limits_sr, sixty_four_channels_in_eight_byte_samples_are_read)
{
    char meta[4096], path[256];
    sr_metadata(meta, sizeof meta, SIGROK_SR_MAX_LOGIC, "");
    cr_assert(strstr(meta, "unitsize=8\n") && strstr(meta, "total probes=64\n"), "%s", meta);
    snprintf(path, sizeof path, "%s/wide.sr", dir);
    static const uint8_t sample[8] = {0x03};
    write_sr(path, meta, sample, sizeof sample, 8 * 1000);
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    struct measured m = run_measured(args);
    cr_expect_eq(m.status, 0, "exit %d: %s", m.status, m.err);
}

/* 32 Mi samples of DTR and RTS toggling together (a 32 KB file): 2^25
 * line changes. Before, every one became two edges first (64 Mi edges,
 * over 1 GB) and the analysis refused them after; now the reader stops at
 * the 512th change, as the analysis would, and libsigrok stops reading. */
Test(limits_sr, toggling_dtr_and_rts_stop_at_the_limit_with_memory_bounded_by_it)
{
    char meta[1024], path[256];
    sr_metadata(meta, sizeof meta, 2, "");
    snprintf(path, sizeof path, "%s/toggle.sr", dir);
    static const uint8_t toggle[] = {0x00, 0x03};
    write_sr(path, meta, toggle, sizeof toggle, (size_t)32 << 20);
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    struct measured m = run_measured(args);
    expect_refused(&m, "more than 512 DTR/RTS changes in one capture");
    cr_expect_lt(m.maxrss_kb, 100 * 1024, "peak RSS %ld KB", m.maxrss_kb);
    cr_expect_lt(m.seconds, 5.0, "took %.1f s", m.seconds);
}

/* The UART line toggling every sample: no DTR/RTS limit meets it, the
 * edge limit does (1,048,576 edges, 16 MiB), before 16 Mi edges. */
Test(limits_sr, a_toggling_line_stops_at_the_edge_limit_with_memory_bounded_by_it)
{
    char meta[1024], path[256];
    sr_metadata(meta, sizeof meta, 5, "");
    snprintf(path, sizeof path, "%s/rx.sr", dir);
    static const uint8_t toggle[] = {0x03, 0x13}; /* RX is bit 4 */
    write_sr(path, meta, toggle, sizeof toggle, (size_t)32 << 20);
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    struct measured m = run_measured(args);
    expect_refused(&m, "more than 1048576 edges in one capture");
    cr_expect_lt(m.maxrss_kb, 100 * 1024, "peak RSS %ld KB", m.maxrss_kb);
    cr_expect_lt(m.seconds, 5.0, "took %.1f s", m.seconds);
}

/* The reader counts as the analyzers' steps do: the state at t = 0, then
 * one per instant DTR or RTS changes (both at once are one). 511 changes
 * make 512 states and are analyzed; 512 are refused. */
Test(limits_sr, the_reader_counts_line_changes_as_the_analysis_does)
{
    char meta[1024];
    sr_metadata(meta, sizeof meta, 2, "");
    uint8_t pattern[2000];
    memset(pattern, 0x03, 1000);
    memset(pattern + 1000, 0x00, 1000); /* both lines change every 1000 samples */
    for (int changes = 511; changes <= 512; changes++) {
        char path[256];
        snprintf(path, sizeof path, "%s/changes-%d.sr", dir, changes);
        write_sr(path, meta, pattern, sizeof pattern, (size_t)changes * 1000 + 1);
        const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
        struct measured m = run_measured(args);
        if (changes == 511)
            cr_expect(m.status != 2 && strstr(m.err, "DTR/RTS changes") == NULL, "511: exit %d: %s", m.status, m.err);
        else
            expect_refused(&m, "more than 512 DTR/RTS changes in one capture");
    }
}

/* More sample data than 10^10 bytes (10^10 samples, as the VCD limit):
 * refused from the zip's directory, before a byte is inflated. Three
 * members each declared 4,294,967,294 bytes (their sizes patched in the
 * central directory; nothing reads them). */
Test(limits_sr, more_than_1e10_bytes_of_samples_are_refused_from_the_directory)
{
    char meta[1024], path[256];
    sr_metadata(meta, sizeof meta, 2, "");
    snprintf(path, sizeof path, "%s/huge.sr", dir);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    cr_assert_not_null(z);
    static const char *const members[] = {"logic-1-1", "logic-1-2", "logic-1-3"};
    cr_assert(zip_file_add(z, "version", zip_source_buffer(z, "2", 1, 0), 0) >= 0);
    cr_assert(zip_file_add(z, "metadata", zip_source_buffer(z, meta, strlen(meta), 0), 0) >= 0);
    for (int i = 0; i < 3; i++) {
        zip_int64_t at = zip_file_add(z, members[i], zip_source_buffer(z, "\x03\x03", 2, 0), 0);
        cr_assert(at >= 0 && zip_set_file_compression(z, (zip_uint64_t)at, ZIP_CM_STORE, 0) == 0);
    }
    cr_assert_eq(zip_close(z), 0);
    size_t len;
    uint8_t *bytes = (uint8_t *)slurp(path, &len);
    cr_assert_not_null(bytes);
    int patched = 0;
    for (size_t i = 0; i + 46 < len; i++) /* a central directory entry: PK\1\2, its uncompressed size at +24 */
        if (memcmp(bytes + i, "PK\x01\x02", 4) == 0 && memcmp(bytes + i + 46, "logic-1-", 8) == 0) {
            memcpy(bytes + i + 24, "\xfe\xff\xff\xff", 4);
            patched++;
        }
    cr_assert_eq(patched, 3);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    free(bytes);
    const char *args[] = {"analyze", path, "--board", "devkitc", NULL};
    struct measured m = run_measured(args);
    expect_refused(&m, "more than 10000000000 bytes of samples (libsigrok inflates them all)");
}
