/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading the lab (harness/lab/lab_load.h) with one broken thing at a time
 * in boards.yaml: a key missing, misspelt, out of range or of the wrong
 * kind, a reference to nothing, bad YAML, an empty or missing file. Every
 * error must be one line, "<file>:<line>: <key path>: <reason>"; the
 * expected line numbers are counted by hand against LAB_OK
 * (config_fixture.h). A board's port and analyzer: test_config_ports.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_fixture.h"

/* ------------------------------------------------ malformed boards.yaml -- */

Test(lab_errors, minimal_lab_loads)
{
    char path[256], err[512] = "";
    write_temp(LAB_OK, ".yaml", path, sizeof path);
    struct lab lab;
    int rc = lab_load(&lab, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "the minimal lab in this test does not load: %s", err);
    cr_assert(lab.n_chips == 1 && lab.n_circuits == 1 && lab.n_bridges == 1 && lab.n_hosts == 1 && lab.n_boards == 1);
    cr_assert_str_eq(lab.chips[0].rom_header, "ets\r\n");
    cr_assert_eq(lab.bridges[0].os[OS_WINDOWS].close.n, 2);
    cr_assert_str_eq(lab.path, path);
    lab_free(&lab);
    cr_assert_eq(lab.n_boards, 0, "lab_free leaves an empty lab");
    assert_no_leaks("lab_free");
}

/* The board mapping begins at its first key, "chip: c1" on line 37, so a
 * key missing from it is reported there. */
Test(lab_errors, board_missing_vdd)
{
    check_edit("    vdd: 3.3\n", "", 38, "boards.bb", "missing key 'vdd'");
}

/* en is a flow mapping on line 40 */
Test(lab_errors, board_missing_en)
{
    check_edit("    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n", "", 38, "boards.bb", "missing key 'en'");
}

Test(lab_errors, resistance_not_a_number)
{
    check_edit("r_ohms: 10000", "r_ohms: ten", 41, "boards.bb.en.r_ohms", "expected a number, got 'ten'");
}

Test(lab_errors, number_given_as_a_list)
{
    check_edit("    vdd: 3.3\n", "    vdd: [3.3]\n", 43, "boards.bb.vdd", "expected a number, got a list");
}

Test(lab_errors, negative_capacitance)
{
    check_edit("c_farads: 1.0e-6", "c_farads: -1.0e-6", 41, "boards.bb.en.c_farads", "-1e-06 is out of range [0, 1]");
}

Test(lab_errors, analyzer_threshold_above_vdd)
{
    check_edit("threshold_v: 1.5", "threshold_v: 3.3", 45, "boards.bb.analyzer.threshold_v", "is out of range");
}

Test(lab_errors, analog_rate_too_low)
{
    check_edit("transient_max_ms: 200}", "transient_max_ms: 200, analog_en_rate_hz: 10}", 45,
               "boards.bb.analyzer.analog_en_rate_hz", "10 is out of range [1000, 1e+08]");
}

Test(lab_errors, analog_noise_negative)
{
    check_edit("transient_max_ms: 200}", "transient_max_ms: 200, analog_noise_v: -0.1}", 45,
               "boards.bb.analyzer.analog_noise_v", "is out of range");
}

Test(lab_errors, unknown_board_key_typo)
{
    check_edit("    vdd: 3.3\n", "    vddd: 3.3\n", 43, "boards.bb", "unknown key 'vddd'");
}

Test(lab_errors, unknown_chip_key_typo)
{
    check_edit("    baud: 115200\n", "    baud_rate: 115200\n", 10, "chips.c1", "unknown key 'baud_rate'");
}

Test(lab_errors, unknown_top_level_section)
{
    /* the root mapping starts at line 1; the bad key is on line 45 */
    char text[sizeof LAB_OK + 64];
    snprintf(text, sizeof text, "%sboard:\n  x: {}\n", LAB_OK);
    check_lab_error(text, 46, NULL, "unknown key 'board'");
}

Test(lab_errors, board_references_unknown_chip)
{
    check_edit("    chip: c1\n", "    chip: esp99\n", 38, "boards.bb", "unknown chip 'esp99'");
}

Test(lab_errors, board_references_unknown_bridge)
{
    check_edit("    bridge: br\n", "    bridge: cp2102\n", 39, "boards.bb", "unknown bridge 'cp2102'");
}

Test(lab_errors, board_references_unknown_circuit)
{
    check_edit("    circuit: tt\n", "    circuit: three-transistor\n", 40, "boards.bb",
               "unknown circuit 'three-transistor'");
}

/* The table is a block sequence starting at its first "-" (line 20); the
 * (1,1) row of line 23 is gone. */
Test(lab_errors, circuit_table_missing_a_row)
{
    check_edit("      - {dtr: 1, rts: 1, en: released, io0: released}\n", "", 21, "circuits.tt.table",
               "no row for dtr 1, rts 1: a table needs all four");
}

/* line 23 repeats line 20's (0,0) */
Test(lab_errors, circuit_table_duplicate_row)
{
    check_edit("{dtr: 1, rts: 1,", "{dtr: 0, rts: 0,", 24, "circuits.tt.table", "dtr 0, rts 0 appears twice");
}

Test(lab_errors, circuit_table_line_value_not_a_bit)
{
    check_edit("{dtr: 1, rts: 1,", "{dtr: 2, rts: 1,", 24, "circuits.tt.table", "dtr must be 0 or 1");
}

Test(lab_errors, circuit_drive_lowish)
{
    check_edit("en: low,", "en: lowish,", 22, "circuits.tt.table", "en must be 'low' or 'released', got 'lowish'");
}

Test(lab_errors, circuit_with_table_and_actions)
{
    /* the circuit mapping starts at "driver_ohms" on line 18 */
    check_edit("    table:\n", "    actions: []\n    table:\n", 19, "circuits.tt", "needs exactly one of 'table'");
}

Test(lab_errors, host_os_macos)
{
    check_edit("    os: linux\n", "    os: macos\n", 32, "hosts.hh", "os must be linux or windows, got 'macos'");
}

Test(lab_errors, latency_median_below_floor)
{
    check_edit("median_ms: 1.0,", "median_ms: 0.1,", 33, "hosts.hh.request", "median_ms (0.1) is below floor_ms (0.2)");
}

Test(lab_errors, host_missing_overshoot)
{
    /* the host mapping starts at "os: linux" on line 31 */
    check_edit("    overshoot: {floor_ms: 0.05, median_ms: 0.08, sigma: 0.3, spike_p: 0, spike_ms: 0}\n", "", 32,
               "hosts.hh", "missing key 'overshoot'");
}

/* "D0|X1": 'X' is column 4 of the sequence */
Test(lab_errors, bridge_close_sequence_bad_dsl)
{
    check_edit("close: \"D0|R0\"", "close: \"D0|X1\"", 29, "bridges.br.windows", "close: column 4: unknown step 'X1'");
}

Test(lab_errors, bridge_os_sequence_opens_the_port)
{
    check_edit("{open: \"U1,1\", open_lowered: \"U1,1\"", "{open: \"O|U1,1\", open_lowered: \"U1,1\"", 28,
               "bridges.br.linux", "open: an OS sequence cannot open or close the port");
}

Test(lab_errors, bridge_first_open_opens_the_port)
{
    check_edit("close: \"D0|R0\"}", "close: \"D0|R0\", first_open: \"R1|O\"}", 29, "bridges.br.windows",
               "first_open: an OS sequence cannot open or close the port");
}

Test(lab_errors, bridge_first_open_lowered_bad_dsl)
{
    check_edit("close: \"D0|R0\"}", "close: \"D0|R0\", first_open_lowered: \"U1,1|X\"}", 29, "bridges.br.windows",
               "first_open_lowered: column 6");
}

Test(lab_errors, bridge_os_sequence_closes_the_port)
{
    check_edit("close: \"D0|R0\"", "close: \"D0|R0|C\"", 29, "bridges.br.windows",
               "close: an OS sequence cannot open or close the port");
}

Test(lab_errors, bridge_missing_windows)
{
    /* the bridge mapping starts at "both_lines_one_request" on line 26 */
    check_edit("    windows: {open: \"U1,1\", open_lowered: \"\", close: \"D0|R0\"}\n", "", 27, "bridges.br",
               "missing key 'windows'");
}

Test(lab_errors, bridge_flag_not_a_boolean)
{
    check_edit("both_lines_one_request: true", "both_lines_one_request: maybe", 27,
               "bridges.br.both_lines_one_request", "expected true or false, got 'maybe'");
}

Test(lab_errors, missing_boards_section)
{
    /* cut everything from line 35 on: the root mapping starts on line 1 */
    char text[sizeof LAB_OK];
    snprintf(text, sizeof text, "%s", LAB_OK);
    *strstr(text, "boards:\n") = '\0';
    check_lab_error(text, 1, NULL, "missing section 'boards'");
}

Test(lab_errors, empty_section)
{
    /* lines 29-34 (the hosts) become "hosts: {}" on line 29 */
    char text[sizeof LAB_OK];
    snprintf(text, sizeof text, "%s", LAB_OK);
    char *hosts = strstr(text, "hosts:\n"), *boards = strstr(text, "boards:\n");
    memmove(hosts + strlen("hosts: {}\n"), boards, strlen(boards) + 1);
    memcpy(hosts, "hosts: {}\n", strlen("hosts: {}\n"));
    check_lab_error(text, 30, "hosts", "is empty");
}

/* An unclosed flow mapping: "{" opened on line 44 is never closed; libyaml
 * notices at the end of the stream (line 45, after the last newline). */
Test(lab_errors, yaml_syntax_unclosed_bracket)
{
    check_edit("transient_max_ms: 200}\n", "transient_max_ms: 200\n", 46, NULL, "did not find expected ',' or '}'");
}

/* An unclosed flow sequence in the middle of the file: "[" on line 42;
 * libyaml reports it on line 43, where "port: sim" cannot continue the
 * list. */
Test(lab_errors, yaml_syntax_unclosed_list)
{
    check_edit("    vdd: 3.3\n", "    vdd: [3.3\n", 44, NULL,
               "did not find expected ',' or ']' while parsing a flow sequence");
}

/* An unclosed quote on line 43 runs to the end of the stream (line 45). */
Test(lab_errors, yaml_syntax_unclosed_quote)
{
    check_edit("    port: sim\n", "    port: \"sim\n", 46, NULL, "found unexpected end of stream");
}

Test(lab_errors, yaml_syntax_bad_indentation)
{
    /* line 42 indented deeper than its siblings: not a key of the board */
    check_edit("    vdd: 3.3\n", "      vdd: 3.3\n", 43, NULL, "did not find expected key while parsing a block mapping");
}

Test(lab_errors, empty_file)
{
    check_lab_error("", 1, NULL, "the file is empty");
}

Test(lab_errors, comments_only_file)
{
    check_lab_error("# nothing here\n\n", 1, NULL, "the file is empty");
}

Test(lab_errors, root_is_a_list)
{
    check_lab_error("- chips\n- boards\n", 1, NULL, "expected a mapping, got a list");
}

Test(lab_errors, nonexistent_file)
{
    char err[512] = "";
    struct lab lab;
    const char *path = "/tmp/resetlab-test-does-not-exist/boards.yaml";
    cr_assert_eq(lab_load(&lab, path, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, path), "the error names the file: \"%s\"", err);
    cr_assert_not_null(strstr(err, "No such file"), "the error says why: \"%s\"", err);
    cr_assert_null(strchr(err, '\n'));
    cr_assert_null(lab.chips);
    assert_no_leaks("lab_load on a missing file");
}

/* ------------------------------------------ silent-acceptance holes -- */

Test(lab_errors, duplicate_key_is_refused)
{
    /* a second `vdd:` in the board would silently lose one value */
    char *text = edit(LAB_OK, "    vdd: 3.3\n", "    vdd: 3.3\n    vdd: 5.0\n");
    char copy[sizeof LAB_OK + 256];
    snprintf(copy, sizeof copy, "%s", text);
    free(text);
    char path[256], err[512] = "";
    write_temp(copy, ".yaml", path, sizeof path);
    struct lab lab;
    cr_assert_eq(lab_load(&lab, path, err, sizeof err), -1, "a duplicate key was accepted");
    unlink(path);
    cr_assert_not_null(strstr(err, "key 'vdd' appears twice"), "%s", err);
    assert_no_leaks("duplicate key");
}

Test(lab_errors, fault_with_unknown_circuit)
{
    check_edit("    port: sim\n", "    port: sim\n    fault: {description: broken, circuit: nope}\n", 45, "boards.bb.fault",
               "unknown circuit 'nope'");
}

Test(lab_errors, fault_without_description)
{
    check_edit("    port: sim\n", "    port: sim\n    fault: {en_c_farads: 1.0e-7}\n", 45, "boards.bb.fault",
               "missing key 'description'");
}

Test(lab_errors, chip_rom_magic_not_a_number)
{
    check_edit("detect_magic: 0x00F01D83", "detect_magic: magic", 16, "chips.c1.rom.detect_magic",
               "expected a whole number from 0 to 0xFFFFFFFF, got 'magic'");
}

Test(lab_errors, chip_rom_status_bytes_3)
{
    check_edit("status_bytes: 4", "status_bytes: 3", 16, "chips.c1.rom", "status_bytes must be 2 or 4, got 3");
}
