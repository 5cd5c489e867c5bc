/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze` lists every reset and finding of a long capture
 * (issue 25, item 2: they grow as the capture needs), in the text and in
 * --json's reset_events and findings; past ANALYSIS_LISTS_MAX the output
 * says what it left out. Captures are VCDs built here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "vcd_fixture.h"

static char dir[] = "/tmp/resetlab-lists-XXXXXX";
static char out[1 << 16], err[4096];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(analyze_lists, .init = setup, .fini = teardown);

/* The case: 114 EN pulses in 100 s, each 5 ms low, 870 ms apart. */
static const char *hundred_seconds(void)
{
    struct vcd v = {.names = {"EN", "IO0"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e6};
    for (int i = 0; i < 114; i++)
        vcd_add(&v, 10.0 + 870.0 * i, 0, 0), vcd_add(&v, 15.0 + 870.0 * i, 0, 1);
    return vcd_write(&v, dir, "hundred", 100000.0);
}

Test(analyze_lists, every_reset_of_a_hundred_seconds_is_listed)
{
    const char *path = hundred_seconds();
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "resets: 114\n") != NULL, "%s", out);
    cr_assert_eq(count_of(out, " EN low at "), 114, "%s", out);
    cr_assert(strstr(out, "  #17 EN low at 13930.000 ms, EN high at 13935.000 ms") != NULL, "%s", out);
    cr_assert(strstr(out, "  #114 EN low at 98320.000 ms, EN high at 98325.000 ms, strap: flash") != NULL, "%s", out);
    cr_assert_null(strstr(out, "listed:"), "%s", out);
    snprintf(args, sizeof args, "analyze %s --board devkitc --json", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "\"resets\": 114, ") != NULL, "%s", out);
    cr_assert_eq(count_of(out, "\"en_low_ms\": "), 114, "%s", out);
    cr_assert(strstr(out, "{\"en_low_ms\": 98320.0000, \"en_high_ms\": 98325.0000, \"released_ms\": null") != NULL, "%s", out);
}

/* 60 classic resets on DTR and RTS alone, each with four line states in
 * turn: 239 transients (the last state is no transient), more than the 32
 * a run keeps; every one in the text and in --json. */
Test(analyze_lists, more_findings_than_a_run_keeps_are_all_listed)
{
    struct vcd v = {.names = {"DTR", "RTS"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e7};
    for (int i = 0; i < 60; i++) {
        double t = 100.0 + 200.0 * i; /* the lines are active low */
        vcd_add(&v, t, 1, 0), vcd_add(&v, t + 100.0, 0, 0), vcd_add(&v, t + 102.0, 1, 1), vcd_add(&v, t + 150.0, 0, 1);
    }
    const char *path = vcd_write(&v, dir, "classic", 12500.0);
    char args[512];
    snprintf(args, sizeof args, "analyze %s --board devkitc", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "resets: 60\n") != NULL, "%s", out);
    cr_assert(strstr(out, "\nfindings: 239\n") != NULL, "%s", out);
    cr_assert_eq(count_of(out, " transient "), 239, "%s", out);
    cr_assert(strstr(out, "12002.000 ms  (DTR1,RTS0) for 48.000 ms") != NULL, "%s", out);
    snprintf(args, sizeof args, "analyze %s --board devkitc --json", path);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "\"findings_cut\": false, ") != NULL, "%s", out);
    cr_assert_eq(count_of(out, "{\"kind\": \"transient\""), 239, "%.300s", out);
    cr_assert_eq(count_of(out, "\"en_low_ms\": "), 60);
}

/* Past ANALYSIS_LISTS_MAX (65536) resets: all counted, the first 65535 and
 * the last listed, and the output says so; the last decides the outcome. */
Test(analyze_lists, past_the_memory_cap_the_output_says_what_it_left_out)
{
    struct vcd v = {.names = {"EN", "IO0"}, .n_ch = 2, .initial = {1, 1}, .rate_hz = 1e6};
    for (int i = 0; i < 65540; i++)
        vcd_add(&v, 1.0 + 2.0 * i, 0, 0), vcd_add(&v, 1.5 + 2.0 * i, 0, 1);
    vcd_add(&v, 131075.0, 1, 0); /* IO0 low across the last release (131079.5 ms) only */
    const char *path = vcd_write(&v, dir, "cap", 131200.0);
    char cmd[768], txt[300];
    snprintf(txt, sizeof txt, "%s/out.txt", dir);
    snprintf(cmd, sizeof cmd, "%s analyze %s --board devkitc > %s 2>&1", getenv("RESETLAB_BIN"), path, txt);
    cr_assert_eq(system(cmd), 0);
    size_t len;
    char *text = slurp(txt, &len);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "resets: 65540 (listed: the first 65535 and the last; at most 65536 are kept in memory, "
                           "ANALYSIS_LISTS_MAX)\n") != NULL,
              "%.2000s", text);
    cr_assert_eq(count_of(text, " EN low at "), 65536);
    cr_assert(strstr(text, "  #65535 EN low at 131069.000 ms") != NULL);
    cr_assert_null(strstr(text, "  #65536 EN low"));
    cr_assert(strstr(text, "  #65540 EN low at 131079.000 ms, EN high at 131079.500 ms, strap: download") != NULL);
    cr_assert(strstr(text, "outcome: download\n") != NULL);
    free(text);
}
