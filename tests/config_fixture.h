/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lab the boards.yaml suites break one thing at a time
 * (test_config_lab.c, test_config_ports.c): LAB_OK, a minimal valid lab
 * with its line numbers; edit(), one change to a text (the scenario suite
 * edits its own with it too); check_lab_error() and check_edit(), which hold
 * an error to one line, "<file>:<line>: <key path>: <reason>". */
#ifndef RESETLAB_CONFIG_FIXTURE_H
#define RESETLAB_CONFIG_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/lab/lab_load.h"
#include "helpers.h"

/* A minimal valid lab; the numbers on the left are line numbers. */
static const char LAB_OK[] =
    /*  1 */ "chips:\n"
    /*  2 */ "  c1:\n"
    /*  3 */ "    en_vih_frac: 0.75\n"
    /*  4 */ "    en_vil_v: 0.6\n"
    /*  5 */ "    min_reset_pulse_us: 50\n"
    /*  6 */ "    strap_setup_ms: 0\n"
    /*  7 */ "    strap_hold_ms: 1\n"
    /*  8 */ "    io0_switch_frac: 0.5\n"
    /*  9 */ "    boot_delay_ms: 1\n"
    /* 10 */ "    baud: 115200\n"
    /* 11 */ "    rom_header: \"ets\\r\\n\"\n"
    /* 12 */ "    rst_pin: \"rst:0x1 (POWERON_RESET)\"\n"
    /* 13 */ "    rst_usb: \"rst:0x1 (POWERON_RESET)\"\n"
    /* 14 */ "    boot_download: \"boot:0x3\\r\\nwaiting for download\\r\\n\"\n"
    /* 15 */ "    boot_flash: \"boot:0x13 (SPI_FAST_FLASH_BOOT)\\r\\n\"\n"
    /* 16 */ "    rom: {detect_magic: 0x00F01D83, status_bytes: 4, sync_value: 0x20120707}\n"
    /* 17 */ "circuits:\n"
    /* 18 */ "  tt:\n"
    /* 19 */ "    driver_ohms: 10\n"
    /* 20 */ "    table:\n"
    /* 21 */ "      - {dtr: 0, rts: 0, en: released, io0: released}\n"
    /* 22 */ "      - {dtr: 0, rts: 1, en: low, io0: released}\n"
    /* 23 */ "      - {dtr: 1, rts: 0, en: released, io0: low}\n"
    /* 24 */ "      - {dtr: 1, rts: 1, en: released, io0: released}\n"
    /* 25 */ "bridges:\n"
    /* 26 */ "  br:\n"
    /* 27 */ "    both_lines_one_request: true\n"
    /* 28 */ "    linux: {open: \"U1,1\", open_lowered: \"U1,1\", close: \"U0,0\"}\n"
    /* 29 */ "    windows: {open: \"U1,1\", open_lowered: \"\", close: \"D0|R0\"}\n"
    /* 30 */ "hosts:\n"
    /* 31 */ "  hh:\n"
    /* 32 */ "    os: linux\n"
    /* 33 */ "    request: {floor_ms: 0.2, median_ms: 1.0, sigma: 0.5, spike_p: 0.001, spike_ms: 5}\n"
    /* 34 */ "    overshoot: {floor_ms: 0.05, median_ms: 0.08, sigma: 0.3, spike_p: 0, spike_ms: 0}\n"
    /* 35 */ "    split_both_lines: false\n"
    /* 36 */ "boards:\n"
    /* 37 */ "  bb:\n"
    /* 38 */ "    chip: c1\n"
    /* 39 */ "    bridge: br\n"
    /* 40 */ "    circuit: tt\n"
    /* 41 */ "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"
    /* 42 */ "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n"
    /* 43 */ "    vdd: 3.3\n"
    /* 44 */ "    port: sim\n"
    /* 45 */ "    analyzer: {kind: sim, threshold_v: 1.5, sample_rate_hz: 4000000, tail_ms: 20, settle_ms: 0.1, "
             "transient_max_ms: 200}\n";

/* `base` with `old` (which must occur exactly once) replaced by `repl`. */
static inline char *edit(const char *base, const char *old, const char *repl)
{
    const char *at = strstr(base, old);
    cr_assert_not_null(at, "test bug: '%s' is not in the text", old);
    cr_assert_null(strstr(at + 1, old), "test bug: '%s' occurs more than once", old);
    size_t head = (size_t)(at - base), len = strlen(base) - strlen(old) + strlen(repl);
    char *out = malloc(len + 1);
    cr_assert_not_null(out);
    memcpy(out, base, head);
    strcpy(out + head, repl);
    strcat(out, at + strlen(old));
    return out;
}

/* Asserts that lab_load fails on `text` with exactly one line
 * "<file>:<line>: <key_path>: ..." (or "<file>:<line>: ..." when key_path
 * is NULL) that contains `reason`, and leaves the lab empty. */
/* An error is one line, "<path>:<line>: <key_path>: ..." (no key path:
 * "<path>:<line>: ..."), that contains `reason`. */
static inline void expect_error_line(const char *err, const char *path, int line, const char *key_path,
                                     const char *reason)
{
    char prefix[400];
    cr_assert_null(strchr(err, '\n'), "the error is more than one line: \"%s\"", err);
    if (key_path)
        snprintf(prefix, sizeof prefix, "%s:%d: %s: ", path, line, key_path);
    else
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "expected the error to start with \"%s\", got \"%s\"", prefix,
              err);
    cr_assert_not_null(strstr(err + strlen(prefix), reason), "expected \"%s\" in the error, got \"%s\"", reason, err);
}

static inline void check_lab_error(const char *text, int line, const char *key_path, const char *reason)
{
    char path[256], err[512] = "";
    write_temp(text, ".yaml", path, sizeof path);
    struct lab lab;
    int rc = lab_load(&lab, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, -1, "lab_load accepted the file; expected an error at line %d: %s", line, reason);
    expect_error_line(err, path, line, key_path, reason);
    cr_assert(lab.n_chips == 0 && lab.chips == NULL && lab.n_boards == 0 && lab.boards == NULL &&
                  lab.n_bridges == 0 && lab.bridges == NULL,
              "lab_load left a half-loaded lab after failing");
    assert_no_leaks("lab_load failed");
}

/* check_lab_error on LAB_OK with one edit. */
static inline void check_edit(const char *old, const char *repl, int line, const char *key_path, const char *reason)
{
    char *text = edit(LAB_OK, old, repl);
    char copy[sizeof LAB_OK + 256];
    snprintf(copy, sizeof copy, "%s", text);
    free(text);
    check_lab_error(copy, line, key_path, reason);
}

#endif
