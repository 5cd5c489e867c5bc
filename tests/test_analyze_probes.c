/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A session that saved some of its analyzer's channels (issue 25, items 1
 * and 3): sigrok-dumps' dmx512, ir and spi captures say total probes=2 or
 * 3 with unitsize=1, and the other bits of each byte keep what the
 * analyzer's unsaved channels did. They are read, as sigrok-cli reads
 * them; a byte of its own above the channels' is still refused (the unit
 * size larger than the data's: test_analyze_messages.c). Sessions built
 * here with libzip (limits_fixture.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-probes-XXXXXX";
static char out[1 << 14], err[4096];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(analyze_probes, .init = setup, .fini = teardown);

/* total probes=2 (EN, RX), unitsize=1, 1 MHz, 3000 samples: EN low for
 * samples 1000 to 1999, RX high; bits 2 to 7 (channels not saved) count
 * up every sample, as a busy bus on the analyzer's other inputs. */
Test(analyze_probes, a_session_of_two_of_eight_channels_is_read)
{
    static const char meta[] = "[global]\nsigrok version=0.5.0\n\n[device 1]\ncapturefile=logic-1\ntotal probes=2\n"
                               "samplerate=1 MHz\ntotal analog=0\nprobe1=EN\nprobe2=RX\nunitsize=1\n";
    uint8_t p[3000];
    for (int i = 0; i < 3000; i++)
        p[i] = (uint8_t)((i << 2) | (i >= 1000 && i < 2000 ? 0 : 1) | 2);
    char path[256];
    snprintf(path, sizeof path, "%s/two.sr", dir);
    write_sr(path, meta, p, sizeof p, sizeof p);
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "two.sr: 1 MS/s, 2.999 ms, 2 edges on EN RX\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  #1 EN low at 1.000 ms, EN high at 2.000 ms") != NULL, "%s", out);
}
