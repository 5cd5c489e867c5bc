/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A board's port and analyzer in boards.yaml (harness/lab/lab_load.h): sim,
 * a device path, usb:VID:PID or rfc2217://HOST:PORT; a real (sigrok)
 * analyzer, a mixed-signal one, and a board served by `resetlab serve`.
 * What loads, and the one error line, "<file>:<line>: <key path>: <reason>",
 * for what does not; the expected line numbers are counted by hand against
 * LAB_OK (config_fixture.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_fixture.h"

Test(lab_errors, real_port_needs_a_real_analyzer)
{
    check_edit("    port: sim\n", "    port: /dev/ttyUSB0\n", 44, "boards.bb", "port '/dev/ttyUSB0' needs analyzer kind 'sigrok'");
}

Test(lab_errors, port_neither_sim_nor_a_device)
{
    check_edit("    port: sim\n", "    port: COM3\n", 44, "boards.bb",
               "port 'COM3': expected sim, a device path (/dev/serial/by-id/...), usb:VID:PID[:SERIAL] or "
               "rfc2217://HOST:PORT");
}

Test(lab_errors, rfc2217_port_without_a_port_number)
{
    check_edit("    port: sim\n", "    port: rfc2217://nohost\n", 44, "boards.bb",
               "port 'rfc2217://nohost': no :PORT after the host; expected rfc2217://HOST:PORT");
}

#define REAL_ANALYZER                                                                                              \
    "    analyzer: {kind: sigrok, driver: fx2lafw, config: \"samplerate=4M\", channels: \"D0=DTR,D1=RTS,D2=EN,D3=IO0\", " \
    "threshold_v: 1.5, tail_ms: 20, settle_ms: 0.1, transient_max_ms: 200}\n"

static const char *const SIM_ANALYZER =
    "    analyzer: {kind: sim, threshold_v: 1.5, sample_rate_hz: 4000000, tail_ms: 20, settle_ms: 0.1, "
    "transient_max_ms: 200}\n";

/* `text` as a lab that must load: written to a temp file, loaded, removed. */
static void load_lab_ok(const char *text, struct lab *lab)
{
    char path[256], err[512] = "";
    write_temp(text, ".yaml", path, sizeof path);
    int rc = lab_load(lab, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
}

/* A real board: a USB match and fx2lafw, as sigrok-cli spells it. */
Test(lab_errors, real_board_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: usb:10c4:ea60\n");
    char *text = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(text);
    const struct analyzer_cfg *an = &lab.boards[0].analyzer;
    cr_assert_str_eq(lab.boards[0].port, "usb:10c4:ea60");
    cr_assert_str_eq(an->kind, "sigrok");
    cr_assert_str_eq(an->driver, "fx2lafw");
    cr_assert_str_eq(an->channels, "D0=DTR,D1=RTS,D2=EN,D3=IO0");
    cr_assert_float_eq(an->pretrigger_pct, 20, 1e-9);
    lab_free(&lab);
}

/* A remote board: `port: rfc2217://HOST:PORT` with a real analyzer. */
Test(lab_errors, rfc2217_board_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: rfc2217://127.0.0.1:2217\n");
    char *text = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(text);
    cr_assert_str_eq(lab.boards[0].port, "rfc2217://127.0.0.1:2217");
    lab_free(&lab);
}

static void check_real_edit(const char *old, const char *repl, const char *key_path, const char *reason)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: /dev/serial/by-id/usb-x\n");
    char *b = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    char *text = edit(b, old, repl);
    char copy[sizeof LAB_OK + 512];
    snprintf(copy, sizeof copy, "%s", text);
    free(a), free(b), free(text);
    check_lab_error(copy, 45, key_path, reason);
}

Test(lab_errors, real_analyzer_malformed)
{
    check_real_edit("channels: \"D0=DTR,D1=RTS,D2=EN,D3=IO0\"", "channels: \"D0=DTR\"", "boards.bb.analyzer",
                    "DTR and RTS must be mapped");
    check_real_edit("channels: \"D0=DTR,", "channels: \"D0=CTS,", "boards.bb.analyzer", "unknown channel 'CTS'");
    check_real_edit("config: \"samplerate=4M\"", "config: \"samplerate=fast\"", "boards.bb.analyzer", "samplerate");
    check_real_edit("driver: fx2lafw, ", "", "boards.bb.analyzer", "missing key 'driver'");
    check_real_edit("kind: sigrok,", "kind: saleae,", "boards.bb.analyzer", "kind 'saleae': expected sim (the virtual lab), sigrok (a real analyzer) or serve");
    check_real_edit("tail_ms: 20,", "tail_ms: 20, analog_en_rate_hz: 10,", "boards.bb.analyzer.analog_en_rate_hz",
                    "10 is out of range [1000, 1e+08]");
    check_real_edit("D3=IO0\"", "D3=IO0,A0=EN_V,A1=EN_V\"", "boards.bb.analyzer", "EN_V is mapped twice");
}

/* A mixed-signal analyzer: EN_V mapped, its samples kept at a rate. */
Test(lab_errors, real_analyzer_with_analog_en_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: usb:10c4:ea60\n");
    char *b = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    char *text = edit(b, "D3=IO0\", threshold_v: 1.5,", "D3=IO0,A0=EN_V\", threshold_v: 1.5, analog_en_rate_hz: 100000,");
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(b), free(text);
    cr_assert_float_eq(lab.boards[0].analyzer.analog_en_rate_hz, 100000, 1e-9);
    lab_free(&lab);
}

#define SERVE_ANALYZER                                                                                             \
    "    analyzer: {kind: serve, log: /tmp/served, threshold_v: 1.5, tail_ms: 20, settle_ms: 0.1, "               \
    "transient_max_ms: 200}\n"

/* A board served by `resetlab serve`: rfc2217:// and the server's log. */
Test(lab_errors, served_board_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: rfc2217://127.0.0.1:2217\n");
    char *text = edit(a, SIM_ANALYZER, SERVE_ANALYZER);
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(text);
    cr_assert_str_eq(lab.boards[0].analyzer.kind, "serve");
    cr_assert_str_eq(lab.boards[0].analyzer.log_dir, "/tmp/served");
    lab_free(&lab);
}

Test(lab_errors, served_board_needs_an_rfc2217_port)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: /dev/ttyUSB0\n");
    char *text = edit(a, SIM_ANALYZER, SERVE_ANALYZER);
    char copy[sizeof LAB_OK + 512];
    snprintf(copy, sizeof copy, "%s", text);
    free(a), free(text);
    check_lab_error(copy, 44, "boards.bb",
                    "port '/dev/ttyUSB0': a board served by resetlab serve is reached at rfc2217://HOST:PORT");
}

Test(lab_errors, served_board_needs_its_log)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: rfc2217://127.0.0.1:2217\n");
    char *b = edit(a, SIM_ANALYZER, SERVE_ANALYZER);
    char *text = edit(b, "log: /tmp/served, ", "");
    char copy[sizeof LAB_OK + 512];
    snprintf(copy, sizeof copy, "%s", text);
    free(a), free(b), free(text);
    check_lab_error(copy, 45, "boards.bb.analyzer", "missing key 'log'");
}
