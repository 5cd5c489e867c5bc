/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Numbers on the command line are strict (issue 18, item 22): strtol and
 * strtod took `--iterations ' 5'` and `+5` (and strtoull "-1" as 2^64-1).
 * Every numeric option of every command now takes digits alone (decimals:
 * digits, '.', an exponent), within the range its --help states, or is
 * one line and exit 2 naming the command, the option and the range. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "helpers.h"

/* Each numeric option, with the rest of a command line that would get
 * past it, and the range its error and --help state. */
static const struct {
    const char *cmd, *before, *opt, *range, *help;
} numeric[] = {
    {"run", "", "--iterations", "from 1 to 10000000", "1 to 10000000"},
    {"run", "", "--seed", "from 0 to 18446744073709551615", "0 to 2^64-1"},
    {"probe", "--board devkitc", "--iterations", "from 1 to 100000", "1 to 100000"},
    {"probe", "--board devkitc", "--seed", "from 0 to 18446744073709551615", "0 to 2^64-1"},
    {"report", "", "--session", "from 1 to 1000000000000", "1 to 10^12"},
    {"report", "", "--last", "from 1 to 1000", "1 to 1000"},
    {"compare", "a b", "--alpha", "from 1e-09 to 0.5", "1e-9 to 0.5"},
    {"compare", "a b", "--min-shift", "from 0 to 1e+06", "0 to 1000000"},
    {"serve", "--board devkitc", "--seed", "from 0 to 18446744073709551615", "0 to 2^64-1"},
    {"serve", "--board devkitc", "--attempts", "from 1 to 1000000000", "1 to 10^9"},
    {"serve", "--board devkitc", "--grace-ms", "milliseconds from 0 to 60000", "0 to 60000"},
    {"serve", "--board devkitc", "--attempt-gap-ms", "milliseconds from 0 to 60000", "0 to 60000"},
    {"serve", "--board devkitc", "--keep-captures", "from 1 to 1000000", "1 to 1000000"},
    {"serve", "--board devkitc", "--captures-max-mb", "from 1 to 1000000", "1 to 1000000"},
    {"serve", "--board devkitc", "--idle-timeout", "seconds from 0 (never) to 86400", "at most 86400"},
    {"observe", "--board devkitc", "--seed", "from 0 to 18446744073709551615", "0 to 2^64-1"},
    {"tune", "--board devkitc", "--iterations", "from 1 to 1000000", "1 to\n1000000"},
    {"tune", "--board devkitc", "--seed", "from 0 to 18446744073709551615", "0 to 2^64-1"},
    {"tune", "--board devkitc", "--target", "from 0.5 to 0.99999", "0.5 to 0.99999"},
    {"tune", "--board devkitc", "--min-margin-ms", "from 0 to 1000", "0 to 1000"},
    {"analyze", "x.sr", "--samplerate", "a rate in Hz from 1 to 1000000000000", "1 to 10^12"},
};
#define N_NUMERIC (sizeof numeric / sizeof numeric[0])

/* What strtol, strtoull or strtod would have read as a number: none is
 * one now, for either parser. */
static const char *const loose[] = {" 5", "5 ", "+5", "-1", "-0", "0x5", "", " ", "5x", "inf", "nan",
                                     "1e3e", "\t5", ".5", "5.", "1e+3", "\xef\xbc\x95" /* a fullwidth 5 */};

Test(limits_cli, the_parsers_take_digits_alone, .init = cr_redirect_stderr)
{
    uint64_t u = 7;
    double d = 7;
    for (size_t k = 0; k < sizeof loose / sizeof loose[0]; k++) {
        cr_expect_eq(cli_parse_uint("t", "--n", loose[k], "a whole number", 0, UINT64_MAX, &u), -1, "'%s'", loose[k]);
        cr_expect_eq(cli_parse_decimal("t", "--x", loose[k], "a number", 0, 1e9, &d), -1, "'%s'", loose[k]);
    }
    cr_expect_eq(u, 7);
    cr_expect_eq(d, 7);
    cr_expect_eq(cli_parse_uint("t", "--n", "18446744073709551615", "a whole number", 0, UINT64_MAX, &u), 0);
    cr_expect_eq(u, UINT64_MAX);
    cr_expect_eq(cli_parse_uint("t", "--n", "18446744073709551616", "a whole number", 0, UINT64_MAX, &u), -1);
    cr_expect_eq(cli_parse_uint("t", "--n", "007", "a whole number", 1, 7, &u), 0);
    cr_expect_eq(u, 7);
    static const struct {
        const char *text;
        double value;
    } decimals[] = {{"0", 0}, {"0.05", 0.05}, {"300", 300}, {"1e-9", 1e-9}, {"2.5E3", 2500}, {"1e400", -1}};
    for (size_t k = 0; k < sizeof decimals / sizeof decimals[0]; k++) {
        int rc = cli_parse_decimal("t", "--x", decimals[k].text, "a number", 0, 1e9, &d);
        cr_expect_eq(rc, decimals[k].value < 0 ? -1 : 0, "'%s'", decimals[k].text); /* 1e400: out of range */
        if (rc == 0)
            cr_expect_eq(d, decimals[k].value, "'%s' gave %g", decimals[k].text, d);
    }
}

/* Every numeric option of every command goes through them: the issue's
 * two forms are one line each, naming the command, option and range. */
Test(limits_cli, every_numeric_option_takes_digits_alone)
{
    static const char *const forms[] = {"' 5'", "+5"};
    for (size_t i = 0; i < N_NUMERIC; i++)
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
            char args[256], want[160];
            snprintf(args, sizeof args, "%s %s %s %s", numeric[i].cmd, numeric[i].before, numeric[i].opt, forms[k]);
            snprintf(want, sizeof want, "resetlab: %s: %s needs ", numeric[i].cmd, numeric[i].opt);
            const char *err = expect_bad_input(args, want);
            cr_expect(strstr(err, numeric[i].range) != NULL, "`%s`: %s lacks '%s'", args, err, numeric[i].range);
        }
}

/* One past each end of the range. */
Test(limits_cli, one_past_each_range_is_refused)
{
    static const char *const past[] = {
        "run --iterations 10000001",  "run --iterations 0",          "run --seed 18446744073709551616",
        "probe --board devkitc --iterations 100001",                 "report --session 1000000000001",
        "report --last 1001",         "compare a b --alpha 0.50001", "compare a b --alpha 0",
        "compare a b --min-shift 1000000.1",                         "serve --board devkitc --attempts 1000000001",
        "serve --board devkitc --grace-ms 60000.001",                "tune --board devkitc --iterations 1000001",
        "tune --board devkitc --target 0.999991",                    "tune --board devkitc --min-margin-ms 1e4",
        "analyze x.sr --samplerate 1000000000001",                   "analyze x.sr --samplerate 0",
    };
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++)
        expect_bad_input(past[i], " needs ");
}

/* The forms that are numbers are taken, at the ends of the ranges: the
 * command then fails on what comes next (no such store, file or board),
 * not on the number. */
Test(limits_cli, the_ends_of_each_range_are_taken)
{
    static const struct {
        const char *args, *next;
    } ok[] = {
        {"run --seed 18446744073709551615 --iterations 10000000 --board nope", "unknown board 'nope'"},
        {"probe --board nope --iterations 100000 --seed 0", "unknown board 'nope'"},
        {"report --session 1000000000000 --last 1000 --out /nonexistent", "no results store"},
        {"compare /nonexistent b --alpha 1e-9 --min-shift 1000000", "no such results store"},
        {"compare /nonexistent b --alpha 0.5 --min-shift 0.5", "no such results store"},
        {"serve --board nope --seed 007 --attempts 1000000000 --grace-ms 60000 --attempt-gap-ms 0",
         "no board 'nope'"},
        {"tune --board nope --target 0.99999 --min-margin-ms 1000 --iterations 1", "no board 'nope'"},
        {"analyze /nonexistent.csv --samplerate 1000000000000", "/nonexistent.csv"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *err = expect_bad_input(ok[i].args, ok[i].next);
        cr_expect(strstr(err, " needs ") == NULL, "`%s`: %s", ok[i].args, err);
    }
}

/* Each command's --help states each range, and that numbers are digits. */
Test(limits_cli, each_help_states_the_ranges)
{
    static char out[1 << 16], err[1 << 12];
    for (size_t i = 0; i < N_NUMERIC; i++) {
        char args[64];
        snprintf(args, sizeof args, "help %s", numeric[i].cmd);
        cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
        cr_expect(strstr(out, numeric[i].help) != NULL, "`resetlab %s` lacks '%s' (for %s)", args, numeric[i].help,
                  numeric[i].opt);
        cr_expect(strstr(out, "digits alone") != NULL, "`resetlab %s` does not say numbers are digits", args);
    }
}
