/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab run --shard K/N`: the N shards of a matrix make, between them,
 * exactly the runs one unsharded run makes (each cell in one shard, with
 * its own seeds); bad K/N, a real board and an empty shard are refused in
 * one line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define SHARDS 3
#define PICK "--board devkitc --board esp32c3-usb --iterations 10 --no-known --quiet"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-shards-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) { remove_tree(dir); }

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* runs.jsonl's lines of a run folder, appended to lines[]. */
static int read_runs(const char *out, char **lines, int n, int cap, char **keep)
{
    char path[256];
    snprintf(path, sizeof path, "%s/runs.jsonl", out);
    char *text = slurp(path, NULL);
    cr_assert_not_null(text, "no %s", path);
    *keep = text;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_lt(n, cap);
        lines[n++] = line;
    }
    return n;
}

static int run_into(const char *out, const char *shard)
{
    char args[512], o[1 << 14], e[4096];
    snprintf(args, sizeof args, "run --jsonl " PICK " %s --out %s", shard, out);
    int rc = run_cli(args, o, sizeof o, e, sizeof e);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, e);
    return rc;
}

Test(shards, the_shards_make_the_unsharded_runs, .init = setup, .fini = teardown, .timeout = 60)
{
    enum { CAP = 8192 };
    static char *whole[CAP], *parts[CAP];
    char out[128], *keep[SHARDS + 1];
    snprintf(out, sizeof out, "%s/all", dir);
    run_into(out, "");
    int n_whole = read_runs(out, whole, 0, CAP, &keep[0]), n_parts = 0;
    for (int k = 1; k <= SHARDS; k++) {
        char shard[32];
        snprintf(out, sizeof out, "%s/shard%d", dir, k);
        snprintf(shard, sizeof shard, "--shard %d/%d", k, SHARDS);
        run_into(out, shard);
        int before = n_parts;
        n_parts = read_runs(out, parts, n_parts, CAP, &keep[k]);
        cr_expect_gt(n_parts - before, 0, "shard %d ran nothing", k);
    }
    /* 279 cells of 10 runs: every run once, none twice, each equal to its unsharded self (seed, outcome, margin...) */
    cr_assert_eq(n_parts, n_whole, "%d runs in the shards, %d in the whole run", n_parts, n_whole);
    qsort(whole, (size_t)n_whole, sizeof *whole, by_text);
    qsort(parts, (size_t)n_parts, sizeof *parts, by_text);
    for (int i = 0; i < n_whole; i++)
        cr_assert_str_eq(parts[i], whole[i], "run %d differs", i);
    cr_expect_eq(n_whole, 2790, "the matrix changed: %d runs", n_whole);
    for (int k = 0; k <= SHARDS; k++)
        free(keep[k]);
}

Test(shards, bad_shards_are_refused)
{
    expect_bad_input("run --shard 0/3", "--shard 0/3: K must be 1 to N");
    expect_bad_input("run --shard 4/3", "--shard 4/3: K must be 1 to N");
    expect_bad_input("run --shard 1/0", "--shard 1/0: N must be 1 to 1000");
    expect_bad_input("run --shard 1/1001", "N must be 1 to 1000");
    expect_bad_input("run --shard two/3", "--shard 'two/3': not K/N");
    expect_bad_input("run --shard 1/3x", "not K/N");
    expect_bad_input("run --shard -1/3", "not K/N");
    expect_bad_input("run --shard", "--shard needs a value");
}

/* One cell, two shards: the second has nothing to run. */
Test(shards, an_empty_shard_is_refused, .init = setup, .fini = teardown)
{
    char args[256];
    snprintf(args, sizeof args,
             "run --board devkitc --host native-linux --scenario esptool-tight --iterations 2 --shard 2/2 --out %s/o",
             dir);
    expect_bad_input(args, "shard 2/2 has no cells: the matrix picked has 1, fewer than the shards");
}

Test(shards, a_real_board_runs_on_its_own_machine, .init = setup, .fini = teardown)
{
    char *text = shipped_lab_with_real_board("bench-devkitc", "/dev/ttyUSB0");
    char lab[128], args[512];
    snprintf(lab, sizeof lab, "%s/boards.yaml", dir);
    FILE *f = fopen(lab, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    snprintf(args, sizeof args, "run --boards %s --board devkitc --board bench-devkitc --shard 1/2 --out %s/o", lab, dir);
    expect_bad_input(args, "bench-devkitc is a real board: run it on the machine it is attached to");
}
