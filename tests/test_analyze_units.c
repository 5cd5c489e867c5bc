/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze` reads sessions of unit size 1, 2, 4 and 8 (8 to 64
 * channels: fx2lafw, DSLogic/Logic16, Zeroplus) to the same edges (issue
 * 25, item 4: the idle-sample skip works a word at a time for each). One
 * EN pulse made by RTS alone, at odd sample indices so the word skip must
 * stop inside a word. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-units-XXXXXX";

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

TestSuite(analyze_units, .init = setup, .fini = teardown);

static void one_unit(int probes, int unit)
{
    size_t bytes = 1u << 20;
    uint8_t *p = malloc(bytes);
    cr_assert_not_null(p);
    memset(p, 0xff, bytes);
    for (size_t s = 1001; s < 2003; s++)
        p[s * (size_t)unit] &= (uint8_t)~2u; /* RTS (bit 1) asserted: EN low on devkitc */
    for (size_t s = 0; s < bytes / (size_t)unit; s += 7)
        p[s * (size_t)unit + (size_t)unit - 1] ^= (uint8_t)(unit > 1 ? 0x80 : 0); /* noise on an unmapped channel */
    char meta[4096], path[256];
    sr_metadata(meta, sizeof meta, probes, "");
    snprintf(path, sizeof path, "%s/u%d.sr", dir, unit);
    write_sr(path, meta, p, bytes, bytes);
    free(p);
    char args[512], out[1 << 14], err[4096];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "unit %d: %s%s", unit, out, err);
    char want[64];
    snprintf(want, sizeof want, "%.3f ms, 2 edges on DTR RTS RX\n", (double)(bytes / (size_t)unit - 1) / 1e3);
    cr_assert(strstr(out, want) != NULL, "unit %d: %s", unit, out);
    cr_assert(strstr(out, "  #1 EN low at 1.001 ms, released at 2.003 ms") != NULL, "unit %d: %s", unit, out);
}

Test(analyze_units, unit_sizes_1_2_4_8_read_the_same_edges)
{
    one_unit(8, 1);
    one_unit(16, 2);
    one_unit(32, 4);
    one_unit(64, 8);
}
