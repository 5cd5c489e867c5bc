/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading scenarios (harness/lab/lab_load.h): one scenario file broken one
 * thing at a time, every error one line, "<file>:<line>: <key path>:
 * <reason>", its line numbers counted by hand against SCN_OK below; the os
 * and bridges lists; a folder of scenario files, loaded sorted, with a
 * duplicate name, a bad file, nothing in it, or not there. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_fixture.h"

/* ------------------------------------------------- scenario files -- */

/* A minimal valid scenario; line numbers on the left. */
static const char SCN_OK[] =
    /* 1 */ "name: t-one\n"
    /* 2 */ "origin: \"a test\"\n"
    /* 3 */ "expect: download\n"
    /* 4 */ "sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n";

/* Asserts that scenario_load_file fails on `text` with one line
 * "<file>:<line>: <key_path>: ..." containing `reason`, and frees its
 * sequences. */
static void check_scenario_error(const char *text, int line, const char *key_path, const char *reason)
{
    char path[256], err[512] = "";
    write_temp(text, ".yaml", path, sizeof path);
    struct scenario s;
    int rc = scenario_load_file(&s, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, -1, "scenario_load_file accepted it; expected an error at line %d: %s", line, reason);
    expect_error_line(err, path, line, key_path, reason);
    for (int os = 0; os < OS_COUNT; os++)
        cr_assert(s.seq[os].ops == NULL && s.seq[os].n == 0, "sequence %d left allocated", os);
    assert_no_leaks("scenario_load_file failed");
}

static void check_scenario_edit(const char *old, const char *repl, int line, const char *key_path,
                                const char *reason)
{
    char *text = edit(SCN_OK, old, repl);
    char copy[sizeof SCN_OK + 256];
    snprintf(copy, sizeof copy, "%s", text);
    free(text);
    check_scenario_error(copy, line, key_path, reason);
}

Test(scenario_errors, minimal_scenario_loads)
{
    char path[256], err[512] = "";
    write_temp(SCN_OK, ".yaml", path, sizeof path);
    struct scenario s;
    int rc = scenario_load_file(&s, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "the minimal scenario does not load: %s", err);
    cr_assert_str_eq(s.name, "t-one");
    cr_assert_str_eq(s.origin, "a test");
    cr_assert_str_eq(s.file, path);
    cr_assert_eq(s.expected, BOOT_DOWNLOAD);
    cr_assert_eq(s.rewrite_dtr_after_rts, 0, "dtr_rewrite_after_rts defaults to off");
    cr_assert_eq(s.after_power_on, 0, "after_power_on defaults to off");
    cr_assert_eq(s.os_mask, 3, "no os list: both OSes");
    cr_assert_eq(s.n_only_bridges, 0);
    cr_assert_eq(s.seq[OS_LINUX].n, 8);
    cr_assert_eq(s.seq[OS_WINDOWS].n, 8);
    for (int os = 0; os < OS_COUNT; os++)
        op_seq_free(&s.seq[os]);
}

/* the root mapping starts at line 1 and has no key path */
Test(scenario_errors, missing_expect)
{
    check_scenario_edit("expect: download\n", "", 1, NULL, "missing key 'expect'");
}

Test(scenario_errors, missing_sequence)
{
    check_scenario_edit("sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n", "", 1, NULL, "missing key 'sequence'");
}

Test(scenario_errors, expect_sometimes)
{
    check_scenario_edit("expect: download", "expect: sometimes", 3, "expect",
                        "must be download, flash or no-reset, got 'sometimes'");
}

Test(scenario_errors, expect_marginal_is_not_a_target)
{
    check_scenario_edit("expect: download", "expect: marginal", 3, "expect", "got 'marginal'");
}

Test(scenario_errors, after_power_on_not_a_boolean)
{
    check_scenario_edit("expect: download\n", "expect: download\nafter_power_on: sometimes\n", 4, "after_power_on",
                        "expected true or false, got 'sometimes'");
}

Test(scenario_errors, unknown_top_level_key)
{
    check_scenario_edit("expect: download\n", "expect: download\nexpected: flash\n", 4, NULL, "unknown key 'expected'");
}

/* "D1|O": D1 at column 1 touches a line before the port is open */
Test(scenario_errors, line_change_before_open)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"D1|O\"", 4, "sequence",
                        "column 1: the port is not open here");
}

/* "O|D1|C|R0": R0 at column 8 comes after the close */
Test(scenario_errors, line_change_after_close)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"O|D1|C|R0\"", 4, "sequence",
                        "column 8: the port is not open here");
}

/* "O|D1|O0": the second open is at column 6 */
Test(scenario_errors, opening_twice)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"O|D1|O0\"", 4, "sequence",
                        "column 6: the port is already open");
}

Test(scenario_errors, empty_sequence)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"\"", 4, "sequence", "the sequence is empty");
}

/* "O|D0|R1|W0,1": ',' after W0 is column 11 */
Test(scenario_errors, sequence_bad_dsl)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"O|D0|R1|W0,1\"", 4, "sequence",
                        "column 11: unexpected ',1' after a step");
}

Test(scenario_errors, sequence_as_a_list)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "[O, D0]", 4, "sequence",
                        "expected a sequence string");
}

/* lines 4-6: sequence: / linux: ... / macos: ...; the unknown key is on 6 */
Test(scenario_errors, per_os_sequence_unknown_os)
{
    check_scenario_edit("sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n",
                        "sequence:\n  linux: \"O|D1|W0.5|C\"\n  macos: \"O|D1|W0.5|C\"\n", 6, "sequence",
                        "unknown key 'macos'");
}

/* lines 4-6; the windows sequence on line 6 touches RTS (column 1) before opening */
Test(scenario_errors, per_os_sequence_error_names_the_os)
{
    check_scenario_edit("sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n",
                        "sequence:\n  linux: \"O|D1|W0.5|C\"\n  windows: \"R0|O|W0.5|C\"\n", 6, "sequence.windows",
                        "column 1: the port is not open here");
}

Test(scenario_errors, os_macos)
{
    check_scenario_edit("expect: download\n", "expect: download\nos: [macos]\n", 4, "os",
                        "expected linux or windows, got 'macos'");
}

Test(scenario_errors, os_not_a_list)
{
    check_scenario_edit("expect: download\n", "expect: download\nos: linux\n", 4, "os", "expected a list, got a scalar");
}

Test(scenario_errors, rewrite_flag_not_a_boolean)
{
    check_scenario_edit("expect: download\n", "expect: download\ndtr_rewrite_after_rts: sometimes\n", 4,
                        "dtr_rewrite_after_rts", "expected true or false, got 'sometimes'");
}

Test(scenario_errors, empty_file)
{
    check_scenario_error("", 1, NULL, "the file is empty");
}

Test(scenario_errors, yaml_syntax_unclosed_quote)
{
    /* the quote opened on line 4 runs to the end of the stream: line 5 */
    check_scenario_edit("|D0\"\n", "|D0\n", 5, NULL, "found unexpected end of stream");
}

Test(scenario_errors, nonexistent_file)
{
    char err[512] = "";
    struct scenario s;
    const char *path = "/tmp/resetlab-test-does-not-exist/x.yaml";
    cr_assert_eq(scenario_load_file(&s, path, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, path), "the error names the file: \"%s\"", err);
    cr_assert_not_null(strstr(err, "No such file"), "\"%s\"", err);
    assert_no_leaks("scenario_load_file on a missing file");
}

Test(scenario_errors, os_list_without_a_sequence_for_it)
{
    check_scenario_error("name: t\norigin: o\nexpect: no-reset\nsequence:\n  windows: \"O|C\"\nos: [linux]\n", 6, "os",
                         "no sequence for any OS listed here");
}

Test(scenario_errors, per_os_mapping_with_no_os)
{
    check_scenario_error("name: t\norigin: o\nexpect: no-reset\nsequence: {}\n", 4, "sequence",
                         "no sequence for linux or windows");
}

Test(scenario_os_list, os_list_restricts_the_mask)
{
    char *text = edit(SCN_OK, "expect: download\n", "expect: download\nos: [windows]\nbridges: [ftdi, ch340]\n");
    char path[256], err[512] = "";
    write_temp(text, ".yaml", path, sizeof path);
    free(text);
    struct scenario s;
    int rc = scenario_load_file(&s, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(s.os_mask, 1 << OS_WINDOWS);
    cr_assert_eq(s.n_only_bridges, 2);
    cr_assert_str_eq(s.only_bridges[1], "ch340");
    for (int os = 0; os < OS_COUNT; os++)
        op_seq_free(&s.seq[os]);
}

/* ------------------------------------------------- scenario folders -- */

static void write_in(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_in(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

Test(scenario_dir, duplicate_name_names_the_second_file)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "", want[600];
    cr_assert_not_null(mkdtemp(dir));
    /* a.yaml sorts first, so b.yaml is the duplicate */
    write_in(dir, "b.yaml", SCN_OK);
    write_in(dir, "a.yaml", SCN_OK);
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    int loaded = lab.n_scenarios;
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    remove_in(dir, "a.yaml");
    remove_in(dir, "b.yaml");
    rmdir(dir);
    cr_assert_eq(rc, -1, "two scenarios named t-one were accepted");
    snprintf(want, sizeof want, "%s/b.yaml:1: name 't-one' is already used by another scenario", dir);
    cr_assert_str_eq(err, want);
    cr_assert_eq(loaded, 1, "only a.yaml is kept");
}

Test(scenario_dir, loads_yaml_files_sorted_and_skips_others)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "";
    cr_assert_not_null(mkdtemp(dir));
    char *second = edit(SCN_OK, "name: t-one", "name: t-two");
    write_in(dir, "z.yaml", SCN_OK);
    write_in(dir, "m.yaml", second);
    write_in(dir, "notes.txt", "not a scenario");
    write_in(dir, ".hidden.yaml", "not: [valid");
    free(second);
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    int n = lab.n_scenarios;
    char first[64] = "", last[64] = "";
    if (n == 2) {
        snprintf(first, sizeof first, "%s", lab.scenarios[0].name);
        snprintf(last, sizeof last, "%s", lab.scenarios[1].name);
    }
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    remove_in(dir, "z.yaml");
    remove_in(dir, "m.yaml");
    remove_in(dir, "notes.txt");
    remove_in(dir, ".hidden.yaml");
    rmdir(dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(first, "t-two", "m.yaml sorts before z.yaml");
    cr_assert_str_eq(last, "t-one");
}

Test(scenario_dir, bad_file_stops_the_load)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "", want[600];
    cr_assert_not_null(mkdtemp(dir));
    char *bad = edit(SCN_OK, "expect: download", "expect: sometimes");
    write_in(dir, "a.yaml", SCN_OK);
    write_in(dir, "b.yaml", bad);
    write_in(dir, "c.yaml", SCN_OK);
    free(bad);
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    remove_in(dir, "a.yaml");
    remove_in(dir, "b.yaml");
    remove_in(dir, "c.yaml");
    rmdir(dir);
    cr_assert_eq(rc, -1);
    snprintf(want, sizeof want, "%s/b.yaml:3: expect: ", dir);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "expected \"%s...\", got \"%s\"", want, err);
}

Test(scenario_dir, empty_dir_is_an_error)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "", want[600];
    cr_assert_not_null(mkdtemp(dir));
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    rmdir(dir);
    cr_assert_eq(rc, -1, "an empty scenarios folder was accepted");
    snprintf(want, sizeof want, "%s: no *.yaml scenario files", dir);
    cr_assert_str_eq(err, want);
}

Test(scenario_dir, missing_dir_is_an_error)
{
    char err[512] = "";
    struct lab lab = {0};
    int rc = scenarios_load(&lab, "/tmp/resetlab-test-does-not-exist", err, sizeof err);
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    cr_assert_eq(rc, -1);
    cr_assert_str_eq(err, "/tmp/resetlab-test-does-not-exist: cannot open the scenarios folder");
}
