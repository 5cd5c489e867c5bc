/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resetlab's commands end to end, as a user runs them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char out[1 << 20], err[1 << 14];

Test(cli, help_and_version)
{
    cr_assert_eq(run_cli("--help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "run ") && strstr(out, "list "));
    cr_assert_eq(run_cli("run --help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "--iterations") && strstr(out, "summary.json") && strstr(out, "exit status"));
    cr_assert_eq(run_cli("help run", out, sizeof out, err, sizeof err), 0);
    cr_assert_eq(run_cli("list --help", out, sizeof out, err, sizeof err), 0);
    cr_assert_eq(run_cli("--version", out, sizeof out, err, sizeof err), 0);
    cr_assert(strncmp(out, "resetlab ", 9) == 0);
}

Test(cli, list_shows_the_lab)
{
    cr_assert_eq(run_cli("list", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(out, "devkitc") && strstr(out, "wsl-usbipd") && strstr(out, "esptool-tight"));
}

Test(cli, default_matrix_writes_results_and_reports_failing_cells)
{
    char dir[] = "/tmp/resetlab-cli-XXXXXX", path[256];
    cr_assert(mkdtemp(dir));
    char args[300];
    snprintf(args, sizeof args, "run --jsonl --iterations 20 --no-known --out %s/res", dir); /* issue 22: known failures exit 0 */
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "the default lab has failing cells: exit %d, stderr %s", rc, err);
    cr_assert(strstr(out, "pass rate per cell") && strstr(out, "native-linux") && strstr(out, "cells met"));
    snprintf(path, sizeof path, "%s/res/summary.json", dir);
    char *summary = slurp(path, NULL);
    cr_assert(summary != NULL);
    const char *keys[] = {"\"seed\": 1", "\"iterations\": 20", "\"cells\"", "\"pass_rate\"", "\"outcomes\"",
                          "\"margin_ms\"", "\"gap_ms\"", "\"en_release_ms\"", "\"p99\""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_expect(strstr(summary, keys[i]) != NULL, "summary.json lacks %s", keys[i]);
    free(summary);
    snprintf(path, sizeof path, "%s/res/runs.jsonl", dir);
    char *runs = slurp(path, NULL);
    cr_assert(runs != NULL);
    cr_expect(strstr(runs, "\"verdict\": \"pass\"") && strstr(runs, "\"findings\": ["));
    free(runs);
    /* without --jsonl there is none, and the older session's is gone (issue 22: artifacts of sane size) */
    snprintf(args, sizeof args, "run --board devkitc --host native-linux --iterations 2 --out %s/res", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(access(path, F_OK), -1, "runs.jsonl written without --jsonl, or an older session's left");
    cr_expect(strstr(out, "runs.jsonl") == NULL, "the end names a runs.jsonl: %s", out);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    cr_assert_eq(system(args), 0);
}

Test(cli, a_passing_selection_exits_zero)
{
    int rc = run_cli("run --jsonl --board devkitc --host native-linux --host wsl-usbipd --scenario esptool-tight "
                     "--iterations 100 --out /tmp/resetlab-cli-pass",
                     out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "exit %d: %s%s", rc, out, err);
    cr_assert(strstr(out, "2 of 2 cells met"), "%s", out);
    cr_assert_eq(system("rm -rf /tmp/resetlab-cli-pass"), 0);
}

Test(cli, same_seed_is_byte_identical_other_seed_is_not)
{
    const char *base = "run --jsonl --board devkitc --host vm-usb-passthrough --scenario esptool-classic --iterations 50";
    char args[400];
    size_t n1, n2, n3;
    snprintf(args, sizeof args, "%s --seed 7 --out /tmp/resetlab-seed-a", base);
    run_cli(args, out, sizeof out, err, sizeof err);
    snprintf(args, sizeof args, "%s --seed 7 --out /tmp/resetlab-seed-b", base);
    run_cli(args, out, sizeof out, err, sizeof err);
    snprintf(args, sizeof args, "%s --seed 8 --out /tmp/resetlab-seed-c", base);
    run_cli(args, out, sizeof out, err, sizeof err);
    char *a = slurp("/tmp/resetlab-seed-a/summary.json", &n1), *b = slurp("/tmp/resetlab-seed-b/summary.json", &n2);
    char *c = slurp("/tmp/resetlab-seed-c/runs.jsonl", &n3), *a_runs = slurp("/tmp/resetlab-seed-a/runs.jsonl", NULL);
    cr_assert(a && b && c && a_runs);
    cr_expect(n1 == n2 && memcmp(a, b, n1) == 0, "same seed, different summary.json");
    const char *ga = strstr(a_runs, "\"gap_ms\""), *gc = strstr(c, "\"gap_ms\"");
    cr_assert(ga && gc);
    cr_expect(strncmp(ga, gc, 20) != 0, "seed 8 drew the same first gap: %.20s", ga);
    free(a), free(b), free(c), free(a_runs);
    cr_assert_eq(system("rm -rf /tmp/resetlab-seed-a /tmp/resetlab-seed-b /tmp/resetlab-seed-c"), 0);
}

Test(cli, bad_options_are_one_line_and_exit_2)
{
    expect_bad_input("frobnicate", "unknown command 'frobnicate'");
    expect_bad_input("run --frobnicate", "unknown option '--frobnicate'");
    expect_bad_input("run --iterations 0", "--iterations needs a whole number");
    expect_bad_input("run --iterations ten", "got 'ten'");
    expect_bad_input("run --seed -3", "--seed needs a whole number");
    expect_bad_input("run --out", "--out needs a value");
    expect_bad_input("run --board no-such-board --iterations 1", "unknown board 'no-such-board'");
    expect_bad_input("run --host mars --iterations 1", "unknown host 'mars'");
    expect_bad_input("run --scenario nope --iterations 1", "unknown scenario 'nope'");
    expect_bad_input("run --board esp32c3-usb --scenario picocom-lower --host native-windows --iterations 1",
                     "no scenario applies");
    expect_bad_input("help nope", "unknown command 'nope'");
    expect_bad_input("list --nope", "unknown option '--nope'");
}

/* An option a command does not have is named as unknown, also when it is
 * last (no value after it), as `run` does; a known one without its value
 * still says it needs one. */
Test(cli, serve_and_tune_name_an_unknown_option_as_run_does)
{
    static const char *const cmds[] = {"serve", "tune"};
    for (int k = 0; k < 2; k++) {
        char args[64], want[128];
        const char *tails[] = {"", " --board devkitc"};
        for (int t = 0; t < 2; t++) {
            snprintf(args, sizeof args, "%s --bogus%s", cmds[k], tails[t]);
            snprintf(want, sizeof want, "resetlab: %s: unknown option '--bogus' (resetlab help %s)\n", cmds[k], cmds[k]);
            cr_expect_str_eq(expect_bad_input(args, "unknown option '--bogus'"), want, "`resetlab %s`", args);
        }
        snprintf(args, sizeof args, "%s --board", cmds[k]);
        expect_bad_input(args, "--board needs a value");
    }
}

Test(cli, bad_files_name_file_and_line)
{
    expect_bad_input("run --boards /nonexistent/boards.yaml", "/nonexistent/boards.yaml: No such file");
    char path[256], args[400];
    write_temp("chips:\n  esp32:\n    en_vih_frac: high\n", ".yaml", path, sizeof path);
    snprintf(args, sizeof args, "run --boards %s", path);
    expect_bad_input(args, ":3: chips.esp32.en_vih_frac: expected a number, got 'high'");
    unlink(path);
    expect_bad_input("run --scenarios /nonexistent-dir", "/nonexistent-dir: cannot open the scenarios folder");
    char dir[] = "/tmp/resetlab-scen-XXXXXX";
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("name: bad\norigin: test\nexpect: download\nsequence: \"O|D0|R1|W0.1|D1|Q0\"\n", f);
    fclose(f);
    snprintf(args, sizeof args, "run --scenarios %s", dir);
    expect_bad_input(args, "bad.yaml:4: sequence: column 17: unknown step 'Q0'");
    snprintf(args, sizeof args, "rm -rf %s", dir);
    cr_assert_eq(system(args), 0);
}

Test(cli, unwritable_output_is_a_clear_error)
{
    expect_bad_input("run --iterations 1 --out /proc/resetlab-cannot-write", "cannot create the output folder");
}

/* probe: bring-up advice from every scenario on one board. On USB
 * passthrough the classic reset loses the race (docs/physics.md#classic-vs-tight), the tight one
 * does not: probe must say so, and name the swapped board's fault. */
Test(cli, probe_recommends_and_diagnoses)
{
    cr_assert_eq(run_cli("probe --board devkitc --host vm-usb-passthrough", out, sizeof out, err, sizeof err), 0, "%s",
                 err);
    cr_assert(strstr(out, "follows the two-transistor table in all 340 runs") != NULL, "%s", out);
    /* per tool (issue #19): esptool >= 4.5 connects with UnixTightReset on its first attempt; 3.x cycles
     * ClassicResets, 35 % each, and runs out of attempts now and then (0.65^7 = 5 %) */
    cr_assert(strstr(out, "esptool 4.5-4.12           connects in 20 of 20 runs, attempt 1 (median; at worst 1)"),
              "%s", out);
    cr_assert(strstr(out, "esptool 3.2-4.4 connects in 19 of 20 runs: use one that always does: ") != NULL, "%s", out);
    cr_assert(strstr(out, "Wrong boot mode detected (0x13)! The chip needs to be in download mode.") != NULL, "%s", out);
    cr_assert(strstr(out, "the chip leaves reset 13.863 ms after EN is released") != NULL, "%s", out);
    cr_assert(strstr(out, "to enter the bootloader use esptool-tight: 20 of 20 runs") != NULL, "%s", out);
    cr_assert(strstr(out, "avoid esptool-classic here") != NULL && strstr(out, "outlasted the EN release") != NULL,
              "%s", out);
    cr_assert_eq(run_cli("probe --board devkitc-swapped --iterations 5", out, sizeof out, err, sizeof err), 1, "%s", err);
    cr_assert(strstr(out, "board: DTR and RTS swapped") != NULL, "%s", out);
    cr_assert(strstr(out, "fix the board first") != NULL, "%s", out);
    cr_assert_eq(run_cli("help probe", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "--board NAME") && strstr(out, "recommendation"), "%s", out);
    expect_bad_input("probe", "which board?");
    expect_bad_input("probe --board nope", "unknown board 'nope'");
    expect_bad_input("probe --board devkitc --host mars", "unknown host 'mars'");
    expect_bad_input("probe --board devkitc --iterations 0", "--iterations needs a whole number from 1 to 100000, got '0'");
    expect_bad_input("probe --board devkitc --iterations many", "--iterations needs a whole number");
    expect_bad_input("probe --board devkitc --frob", "unknown option '--frob'");
    expect_bad_input("probe --board", "--board needs a value");
}

/* ports lists without opening anything; its bad input is one line. */
Test(cli, ports_lists_and_rejects_bad_options)
{
    cr_assert_eq(run_cli("ports", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(out, "PATH") != NULL || strstr(out, "no serial ports found") != NULL, "%s", out);
    cr_assert_eq(run_cli("ports --json", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert_eq(out[0], '[', "%s", out);
    expect_bad_input("ports --frob", "unknown option '--frob'");
    cr_assert_eq(run_cli("help ports", out, sizeof out, err, sizeof err), 0);
}
