/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A .sr whose metadata disagrees with itself (issue 25, items 3 and 6),
 * found on damaged copies of sigrok-dumps' captures: a probeN past its
 * total probes (libsigrok fails to load it: "not a readable sigrok
 * session" said nothing of why) and logic data with no unitsize (libsigrok
 * ignores it: "corrupt chunk ... delivered 0 bytes" blamed the chunk).
 * Each refused in one line naming the key. Sessions built with libzip. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-metadata-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(analyze_metadata, .init = setup, .fini = teardown);

static void refused(const char *name, const char *meta, const char *want)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.sr", dir, name);
    static const uint8_t high[1] = {0xff};
    write_sr(path, meta, high, 1, 3000);
    const char *args[] = {"analyze", path, "--board", "devkitc", "--map", "D0=RX", NULL};
    struct measured m = run_measured(args);
    cr_assert_eq(m.status, 2, "exit %d: %s", m.status, m.err);
    cr_assert_eq(m.err_lines, 1, "%s", m.err);
    cr_assert(strstr(m.err, want) != NULL, "want '%s' in: %s", want, m.err);
}

Test(analyze_metadata, a_probe_past_total_probes_is_named)
{
    refused("tp0", "[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\ntotal probes=0\n"
                   "samplerate=1 MHz\nprobe1=D0\nunitsize=1\n",
            "probe1 names a channel past total probes=0: the metadata disagrees with itself");
}

Test(analyze_metadata, logic_data_without_a_unitsize_is_named)
{
    refused("nounit", "[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\ntotal probes=8\n"
                      "samplerate=1 MHz\nprobe1=D0\n",
            "its metadata gives no unitsize: libsigrok reads no logic data without one");
}
