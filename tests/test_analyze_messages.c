/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze`'s messages say the real cause (issue 25, item 6): a
 * --map file channel name past its limit names the limit, a CSV libsigrok
 * cannot parse gives libsigrok's own line and text (as sigrok-cli prints
 * them), two file channels of one of our names, a sample rate over 10^12
 * and a unit size the samples disagree with are refused in one line each.
 * Captures built here: sessions with libzip (limits_fixture.h), CSV text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-messages-XXXXXX";
static char out[1 << 14], err[4096];

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

TestSuite(analyze_messages, .init = setup, .fini = teardown);

static int analyze(const char *path, const char *extra)
{
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc %s", path, extra);
    return run_cli(args, out, sizeof out, err, sizeof err);
}

static void refused(int rc, const char *want)
{
    cr_assert_eq(rc, 2, "exit %d: %s%s", rc, out, err);
    cr_assert(strstr(err, want) != NULL, "want '%s' in: %s", want, err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
}

/* 8 channels named as given, at `rate`, unitsize `unit`: RTS (bit 1)
 * asserted for samples 1000 to 1999 of 3000 (EN low 1.000 to 2.000 ms at
 * 1 MHz on devkitc's circuit), the other lines high; each sample `unit` bytes, the bytes after
 * the first 0 unless `spill` (then a 1-byte sample's neighbours). */
static const char *session(const char *name, const char *const probes[8], const char *rate, int unit, int spill)
{
    char meta[2048];
    int n = snprintf(meta, sizeof meta, "[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\n"
                                        "total probes=8\nsamplerate=%s\ntotal analog=0\n", rate);
    for (int i = 0; i < 8; i++)
        n += snprintf(meta + n, sizeof meta - (size_t)n, "probe%d=%s\n", i + 1, probes[i]);
    snprintf(meta + n, sizeof meta - (size_t)n, "unitsize=%d\n", unit);
    size_t samples = 3000 * (size_t)unit;
    uint8_t *p = calloc(samples, 1);
    cr_assert_not_null(p);
    for (size_t i = 0; i < samples; i++) {
        size_t s = spill ? i : (i % (size_t)unit == 0 ? i / (size_t)unit : SIZE_MAX);
        if (s != SIZE_MAX)
            p[i] = s >= 1000 && s < 2000 ? 0xfd : 0xff;
    }
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.sr", dir, name);
    write_sr(path, meta, p, samples, samples);
    free(p);
    return path;
}

static const char *const ours[8] = {"DTR", "RTS", "D2", "D3", "RX", "D5", "D6", "D7"};

Test(analyze_messages, a_map_name_past_the_limit_names_it)
{
    const char *path = session("ok", ours, "1 MHz", 1, 0);
    char map[128];
    snprintf(map, sizeof map, "--map %040d=EN", 0); /* 40 characters */
    refused(analyze(path, map), "--map: the file channel name '0000000000000000000000000000000000000000' has "
                                       "40 characters: at most 31 (SIGROK_MAP_NAME_MAX)");
    snprintf(map, sizeof map, "--map %031d=EN", 0); /* 31: taken, and not a channel of the file */
    refused(analyze(path, map), "no logic channel '0000000000000000000000000000000'");
}

Test(analyze_messages, a_csv_libsigrok_cannot_parse_gives_its_line_and_text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("0,1\n1,1\n1,x\n", f);
    fclose(f);
    /* sigrok-cli -I csv:samplerate=1000 -i bad.csv says the same after "sr: " */
    refused(analyze(path, "--samplerate 1000 --map 0=DTR,1=RTS"),
                   "bad.csv: libsigrok could not parse it as csv: input/csv: Invalid text 'x' in binary type column 2 "
                   "in line 3.");
    cr_assert_null(strstr(err, "generic/unspecified"), "%s", err);
}

Test(analyze_messages, two_channels_of_one_name_are_refused_unless_mapped)
{
    static const char *const twice[8] = {"DTR", "RTS", "D2", "D3", "RX", "RX", "D6", "D7"};
    const char *path = session("twice", twice, "1 MHz", 1, 0);
    refused(analyze(path, ""), "two logic channels are named 'RX' (D4 and D5): say which with --map, e.g. "
                               "--map D5=RX");
    cr_assert_eq(analyze(path, "--map D4=RX"), 0, "%s%s", out, err);
    cr_assert(strstr(out, "  #1 EN low at 1.000 ms, released at 2.000 ms") != NULL, "%s", out);
}

Test(analyze_messages, a_sample_rate_over_1e12_is_refused)
{
    const char *path = session("fast", ours, "1000000000000000000", 1, 0);
    refused(analyze(path, ""), "a sample rate of 1000000000000000000 Hz: at most 10^12 (1 ps a sample, "
                                      "SIGROK_MAX_SAMPLERATE_HZ)");
    path = session("ps", ours, "1000000000000", 1, 0); /* 10^12: 3000 samples are 3 ns */
    cr_assert_eq(analyze(path, ""), 0, "%s%s", out, err);
    cr_assert(strstr(out, "ps.sr: 1e+06 MS/s, 0.000 ms, 2 edges on DTR RTS RX\n") != NULL, "%s", out);
}

Test(analyze_messages, a_unit_size_the_samples_disagree_with_is_refused)
{
    /* 1-byte samples of 8 channels read as 2 or 4 bytes: the next sample's
     * byte lands above the 8 channels */
    for (int unit = 2; unit <= 4; unit += 2) {
        char name[16];
        snprintf(name, sizeof name, "spill%d", unit);
        const char *path = session(name, ours, "1 MHz", unit, 1);
        char want[128];
        snprintf(want, sizeof want, "sample 0 has bits set above its 8 logic channels (unit size %d): the unit size or "
                                    "channel count disagrees with the data", unit);
        refused(analyze(path, ""), want);
    }
    /* the same channels padded to 2 bytes, as an analyzer sends them, read */
    const char *path = session("padded", ours, "1 MHz", 2, 0);
    cr_assert_eq(analyze(path, ""), 0, "%s%s", out, err);
    cr_assert(strstr(out, "  #1 EN low at 1.000 ms, released at 2.000 ms") != NULL, "%s", out);
}

/* An OLS saved its 32 channels with unitsize=1 and only RX named (sigrok's
 * public dump uart/cyrustek_es51978/es51978.sr): the samples hold the
 * named channels, and the file reads as sigrok-cli reads it. */
Test(analyze_messages, a_unitsize_enough_for_the_named_channels_reads)
{
    static const char meta[] = "[global]\nsigrok version=0.2.1\n\n[device 1]\ndriver=ols\ncapturefile=logic-1\n"
                               "unitsize=1\ntotal probes=32\nsamplerate=1 MHz\nprobe1=RX\n";
    uint8_t p[3000];
    memset(p, 1, sizeof p);
    memset(p + 1000, 0, 500); /* RX low 1.000 to 1.500 ms */
    char path[256];
    snprintf(path, sizeof path, "%s/ols.sr", dir);
    write_sr(path, meta, p, sizeof p, sizeof p);
    cr_assert_eq(analyze(path, ""), 0, "%s%s", out, err);
    cr_assert(strstr(out, "ols.sr: 1 MS/s, 2.999 ms, 2 edges on RX\n") != NULL, "%s", out);
}
