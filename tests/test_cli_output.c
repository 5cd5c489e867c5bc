/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output for a log (issue 22, item 3): --quiet, --json on run, list, probe
 * and tune (one document on stdout, read back by Python's json), the
 * progress lines under CI, and --option=value for every command. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char out[1 << 17], err[1 << 14];

/* `resetlab ARGS | python3 -c SCRIPT`: the script reads the document from
 * stdin as `d` and prints what the test asserts. */
static int json_of(const char *args, const char *script, char *printed, size_t len)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s | %s -c 'import json,sys; d=json.load(sys.stdin); %s'",
             RESETLAB_SOURCE_DIR, getenv("RESETLAB_BIN"), args, test_python(), script);
    return run_shell(cmd, printed, len, err, sizeof err);
}

Test(cli_output, json_documents_of_run_list_probe_and_tune, .timeout = 60)
{
    char got[4096];
    cr_expect_eq(json_of("list --json", "print(len(d[\"boards\"]), d[\"hosts\"][0][\"name\"], d[\"scenarios\"][0][\"expect\"])",
                         got, sizeof got), 0, "%s", err);
    cr_expect_str_eq(got, "19 native-linux download\n");
    cr_expect_eq(json_of("run --board devkitc-early --host vm-usb-passthrough --scenario esptool-3 --scenario esptool-4 "
                         "--iterations 10 --out /tmp/resetlab-cli-output-json --json",
                         "c=d[\"cells\"]; print(d[\"cells_total\"], d[\"cells_known\"], d[\"exit_status\"], "
                         "[x[\"gate\"] for x in c], c[0][\"known\"][\"link\"])",
                         got, sizeof got), 0, "%s", err);
    cr_expect_str_eq(got, "2 1 0 ['known', 'met'] https://github.com/dorssel/usbipd-win/issues/469\n");
    cr_expect_eq(json_of("probe --board devkitc-swapped --iterations 5 --json",
                         "print(d[\"board\"], d[\"exit_status\"], len(d[\"cells\"]) > 10)", got, sizeof got), 0, "%s", err);
    cr_expect_str_eq(got, "devkitc-swapped 1 True\n");
    cr_expect_eq(json_of("tune --board devkitc --iterations 200 --target 0.9 --json",
                         "b=d[\"best\"]; print(d[\"exit_status\"], b[\"runs\"], b[\"passed\"] <= b[\"runs\"], "
                         "b[\"wilson_lo\"] >= 0.9)",
                         got, sizeof got), 0, "%s", err);
    cr_expect_str_eq(got, "0 200 True True\n");
}

/* --quiet: the rows that fail the job and the summary line, nothing else. */
Test(cli_output, quiet_prints_the_failing_rows_and_the_summary)
{
    int rc = run_cli("run --board devkitc-early --host vm-usb-passthrough --scenario esptool-3 --scenario esptool-4 "
                     "--iterations 10 --no-known --quiet --out /tmp/resetlab-cli-output-quiet",
                     out, sizeof out, err, sizeof err);
    cr_expect_eq(rc, 1);
    cr_expect_str_eq(out, "board                  scenario                 expect    vm-usb-passthrough\n"
                          "devkitc-early          esptool-3                download               0.0%*\n"
                          "1 of 2 cells met their expectation (20 runs); 0 known failures, 0 fixed, 1 regressions, "
                          "0 errors\n");
    cr_expect_str_empty(err);
    expect_bad_input("run --quiet --json", "run: --quiet and --json: give one");
    expect_bad_input("run --known x.yaml --no-known", "run: --known and --no-known: give one");
}

/* CI set and stdout not a terminal: whole progress lines on stderr, one
 * every 5 % of the runs (or 10 s), nothing redrawn in place. */
Test(cli_output, progress_lines_under_ci, .timeout = 60)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && CI=true %s run --board devkitc --host native-linux --iterations 400 "
             "--out /tmp/resetlab-cli-output-ci > /dev/null",
             RESETLAB_SOURCE_DIR, getenv("RESETLAB_BIN"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    int lines = count_of(err, "\n");
    cr_expect_geq(lines, 19, "%s", err);
    cr_expect_eq(count_of(err, "resetlab: run: "), lines, "%s", err);
    cr_expect(strstr(err, "resetlab: run: 340/6800 runs (5.0 %), ") != NULL, "17 cells x 400: %s", err);
    cr_expect(strchr(err, '\r') == NULL);
}

/* --option=value is --option value, for every command; a value may hold
 * '=' itself; an unknown --name=value is named as unknown. */
Test(cli_output, option_equals_value)
{
    static char out2[1 << 17];
    cr_assert_eq(run_cli("probe --board devkitc --iterations 5", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert_eq(run_cli("probe --board=devkitc --iterations=5", out2, sizeof out2, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(out, out2);
    cr_assert_eq(run_cli("list --boards=boards.yaml --scenarios=scenarios", out2, sizeof out2, err, sizeof err), 0);
    cr_expect(strstr(out2, "boards (boards.yaml):") != NULL, "%s", out2);
    expect_bad_input("run --bogus=1", "run: unknown option '--bogus'");
    expect_bad_input("run --iterations=", "run: --iterations needs a whole number from 1 to 10000000, got ''");
    expect_bad_input("run --out=/tmp/a=b --iterations=0", "--iterations needs a whole number");
    expect_bad_input("tune --board=devkitc --target=2", "tune: --target needs a number from 0.5 to 0.99999, got '2'");
}
