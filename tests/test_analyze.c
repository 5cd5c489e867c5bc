/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The analyzers over hand-built traces (12 kΩ/1 µF, 3.3 V, 1.5 V analyzer):
 * EN released at 102 ms rises past 1.5 V at 102 + 12·ln(3.3/1.8) = 109.2737 ms;
 * τ = 12 ms; the chip leaves reset at 102 + 1.3863·12 = 118.636 ms. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace_fixture.h"

static const char esp32_download[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 "
                                     "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";
static const char esp32_flash[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 "
                                  "(SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0, SPIWP:0xee\r\n";

static const double t_la_12k = 12.0 * 0.60613580; /* 12 ms · ln(3.3/1.8) */

/* esptool's classic sequence as the wires show it (pin levels: asserted = 0). */
static void classic_trace(struct fixture *f, double gap_ms)
{
    fix_init(f, 200);
    fix_edge(f, 1, CH_DTR, 0); /* open: (1,1) */
    fix_edge(f, 1, CH_RTS, 0);
    fix_edge(f, 2, CH_DTR, 1); /* D0: (0,1), EN driven low */
    fix_edge(f, 2.001, CH_EN, 0);
    fix_edge(f, 102, CH_DTR, 0); /* D1: (1,1), EN released */
    if (102 + gap_ms < 102 + t_la_12k) {
        fix_edge(f, 102 + gap_ms, CH_RTS, 1); /* R0: (1,0), IO0 low */
        fix_edge(f, 102 + gap_ms, CH_IO0, 0);
        fix_edge(f, 102 + t_la_12k, CH_EN, 1);
    } else {
        fix_edge(f, 102 + t_la_12k, CH_EN, 1);
        fix_edge(f, 102 + gap_ms, CH_RTS, 1);
        fix_edge(f, 102 + gap_ms, CH_IO0, 0);
    }
    fix_edge(f, 153, CH_DTR, 1); /* D0: (0,0), IO0 released */
    fix_edge(f, 153, CH_IO0, 1);
}

static struct op_record op(double before, double after, int index, int port, const char *label)
{
    struct op_record r = {(int64_t)(before * 1e6), (int64_t)(after * 1e6), index, port, "", 0};
    snprintf(r.label, sizeof r.label, "%s", label);
    return r;
}

static void classic_log(struct op_record ops[6], const char *first_port_op)
{
    ops[0] = op(0.9, 1.0, 0, 1, "O");
    ops[1] = op(1.9, 2.0, 1, first_port_op != NULL, first_port_op ? first_port_op : "D0");
    ops[2] = op(101.9, 102.0, 2, 0, "D1");
    ops[3] = op(102.0, 103.0, 3, 0, "R0");
    ops[4] = op(103.0, 152.9, 4, 0, "W0.05");
    ops[5] = op(152.9, 153.0, 5, 0, "D0");
}

Test(analyze, classic_reset_on_12k_1u_board)
{
    struct fixture f;
    classic_trace(&f, 1.0);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 12e3, 1e-6);
    struct op_record ops[6];
    classic_log(ops, NULL);
    struct op_log log = {ops, 6};
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, &log, &bm, (const uint8_t *)esp32_download, strlen(esp32_download),
                             BOOT_DOWNLOAD, &a, why, sizeof why), 0, "%s", why);
    cr_assert_eq(a.n_resets, 1);
    const struct reset_event *ev = &a.resets[0];
    cr_assert_eq(ev->release_ns, 102000000);
    cr_assert(fabs(ev->tau_ms - 12.0) < 0.001, "tau %f", ev->tau_ms);
    cr_assert(fabs(a.en_release_ms - 16.636) < 0.001, "en_release %f", a.en_release_ms);
    cr_assert(fabs(a.gap_ms - 1.0) < 1e-6, "gap %f", a.gap_ms);
    /* window [118.636, 119.636]: min(118.636 − 103, 153 − 119.636) */
    cr_assert(fabs(a.margin_ms - 15.636) < 0.001, "margin %f", a.margin_ms);
    cr_assert_eq(ev->predicted, BOOT_DOWNLOAD);
    cr_assert_eq(ev->cause_op, 1);
    cr_assert_eq(ev->spurious, 0);
    cr_assert_eq(a.outcome, BOOT_DOWNLOAD);
    cr_assert_eq(a.verdict, VERDICT_PASS);
    /* the one finding: the (1,1) transient between D1 and R0, harmless */
    cr_assert_eq(a.n_findings, 1);
    cr_assert_str_eq(a.findings[0].kind, "transient");
    cr_assert_eq(a.findings[0].severity, SEV_INFO);
    cr_assert(strstr(a.findings[0].message, "(DTR1,RTS1) for 1.000 ms between D1 (op 2) and R0 (op 3)"), "%s",
              a.findings[0].message);
}

/* A 20 ms gap outlasts the 16.6 ms EN release: flash, explained by the gap. */
Test(analyze, long_gap_boots_flash_and_says_why)
{
    struct fixture f;
    classic_trace(&f, 20.0);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 12e3, 1e-6);
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, NULL, &bm, (const uint8_t *)esp32_flash, strlen(esp32_flash), BOOT_DOWNLOAD,
                             &a, why, sizeof why), 0, "%s", why);
    cr_assert_eq(a.outcome, BOOT_FLASH);
    cr_assert_eq(a.verdict, VERDICT_FAIL);
    cr_assert(fabs(a.margin_ms - (118.636 - 122.0)) < 0.001, "margin %f", a.margin_ms);
    /* No op log: any one-line-then-the-other within transient_max_ms (200)
     * counts, so the deliberate 31 ms IO0 hold is listed too (info). */
    cr_assert_eq(a.n_findings, 3, "%d findings", a.n_findings);
    cr_assert_str_eq(a.findings[0].kind, "transient");
    cr_assert_eq(a.findings[0].severity, SEV_WARN);
    cr_assert_str_eq(a.findings[0].message, "(DTR1,RTS1) for 20.000 ms: EN crossed the analyzer threshold 7.274 ms into it");
    cr_assert_str_eq(a.findings[1].message, "(DTR1,RTS0) for 31.000 ms: EN did not cross the analyzer threshold");
    cr_assert_str_eq(a.findings[2].kind, "gap-outlasted-en");
    cr_assert(strstr(a.findings[2].message, "20.000 ms") != NULL, "%s", a.findings[2].message);
}

/* The reset that drove EN low came from a close: spurious, named after it. */
Test(analyze, reset_by_a_port_op_is_spurious)
{
    struct fixture f;
    classic_trace(&f, 1.0);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 12e3, 1e-6);
    struct op_record ops[6];
    classic_log(ops, "C");
    struct op_log log = {ops, 6};
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, &log, &bm, (const uint8_t *)esp32_download, strlen(esp32_download), BOOT_NONE,
                             &a, why, sizeof why), 0, "%s", why);
    cr_assert_eq(a.resets[0].spurious, 1);
    cr_assert_str_eq(a.findings[0].kind, "spurious-reset");
    cr_assert(strstr(a.findings[0].message, "port op C (op 1)") != NULL, "%s", a.findings[0].message);
    cr_assert_eq(a.verdict, VERDICT_FAIL);
}

/* Without an EN channel the circuit table and R·C stand in. */
Test(analyze, without_en_the_rc_model_gives_the_release)
{
    struct fixture f;
    classic_trace(&f, 1.0);
    f.tr.present &= ~(1u << CH_EN);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 12e3, 1e-6);
    struct reset_event ev[4];
    char why[160];
    cr_assert_eq(find_resets(&f.tr, &bm, NULL, ev, 4, why, sizeof why), 1, "%s", why);
    cr_assert(fabs(ev[0].en_release_ms - 16.636) < 0.001, "en_release %f", ev[0].en_release_ms);
    cr_assert_eq(ev[0].en_rise_ns, -1);
}

/* EN alone: the reset is seen, its release is the analyzer's edge, uncorrected. */
Test(analyze, en_only_trace_finds_the_reset_without_correction)
{
    struct fixture f;
    fix_init(&f, 200);
    f.tr.present = 1u << CH_EN;
    fix_edge(&f, 2, CH_EN, 0);
    fix_edge(&f, 50, CH_EN, 1);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 12e3, 1e-6);
    struct reset_event ev[4];
    char why[160];
    cr_assert_eq(find_resets(&f.tr, &bm, NULL, ev, 4, why, sizeof why), 1, "%s", why);
    cr_assert(fabs(ev[0].t_chip_ns - 50e6) < 1);
    cr_assert(isnan(ev[0].en_release_ms));
    cr_assert(isnan(ev[0].gap_ms));
}

Test(analyze, empty_trace_is_no_reset)
{
    struct fixture f;
    fix_init(&f, 100);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, NULL, &bm, NULL, 0, BOOT_NONE, &a, why, sizeof why), 0, "%s", why);
    cr_assert_eq(a.n_resets, 0);
    cr_assert_eq(a.outcome, BOOT_NONE);
    cr_assert_eq(a.verdict, VERDICT_PASS);
    cr_assert(isnan(a.margin_ms) && isnan(a.gap_ms) && isnan(a.en_release_ms));
}

Test(analyze, trace_with_nothing_to_analyze_is_an_error)
{
    struct fixture f;
    fix_init(&f, 100);
    f.tr.present = 1u << CH_IO0;
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, NULL, &bm, NULL, 0, BOOT_DOWNLOAD, &a, why, sizeof why), -1);
    cr_assert(strstr(why, "neither EN nor DTR") != NULL, "%s", why);
    cr_assert_eq(a.verdict, VERDICT_ERROR);
}

Test(analyze, unsorted_edges_are_a_clear_error)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 10, CH_EN, 0);
    fix_edge(&f, 5, CH_DTR, 0);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, NULL, &bm, NULL, 0, BOOT_DOWNLOAD, &a, why, sizeof why), -1);
    cr_assert(strstr(why, "earlier than the edge before it") != NULL, "%s", why);
}

Test(analyze, duplicate_edges_are_a_clear_error)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 10, CH_EN, 0);
    fix_edge(&f, 12, CH_EN, 0);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, NULL, &bm, NULL, 0, BOOT_DOWNLOAD, &a, why, sizeof why), -1);
    cr_assert(strstr(why, "duplicate edge") != NULL, "%s", why);
}

/* EN low for 20 µs: shorter than the chip's 50 µs minimum, not a reset. */
Test(analyze, short_en_glitch_is_not_a_reset)
{
    struct fixture f;
    fix_init(&f, 100);
    fix_edge(&f, 10, CH_EN, 0);
    fix_edge(&f, 10.02, CH_EN, 1);
    struct circuit c = fix_two_transistor();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct reset_event ev[4];
    char why[160];
    cr_assert_eq(find_resets(&f.tr, &bm, NULL, ev, 4, why, sizeof why), 0, "%s", why);
}

static struct circuit usb_jtag(void)
{
    struct circuit c = {.name = "usb-serial-jtag", .kind = CIRCUIT_USB_JTAG};
    c.usb_action[0][0] = USB_CLEAR_FLAG;
    c.usb_action[1][0] = USB_SET_FLAG;
    c.usb_action[0][1] = USB_RESET;
    c.usb_action[1][1] = USB_NONE;
    return c;
}

/* Line state (dtr, rts) asserted at each time, as pins. */
static void lines(struct fixture *f, double t, int dtr, int rts)
{
    int cur_d = trace_level_at(&f->tr, CH_DTR, INT64_MAX), cur_r = trace_level_at(&f->tr, CH_RTS, INT64_MAX);
    if (cur_d != !dtr)
        fix_edge(f, t, CH_DTR, !dtr);
    if (cur_r != !rts)
        fix_edge(f, t, CH_RTS, !rts);
}

/* esptool's USB-JTAG sequence: flag set by (1,0), kept through (1,1), reset at (0,1). */
Test(analyze, usb_jtag_sequence_resets_into_download)
{
    struct fixture f;
    fix_init(&f, 500);
    lines(&f, 1, 1, 1);   /* open */
    lines(&f, 2, 1, 0);   /* R0: set flag */
    lines(&f, 3, 0, 0);   /* D0: clear */
    lines(&f, 103, 1, 0); /* D1: set */
    lines(&f, 204, 1, 1); /* R1: none */
    lines(&f, 205, 0, 1); /* D0: reset, flag latched */
    lines(&f, 306, 0, 0); /* R0: out of reset */
    struct circuit c = usb_jtag();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct reset_event ev[4];
    char why[160];
    cr_assert_eq(find_resets(&f.tr, &bm, NULL, ev, 4, why, sizeof why), 1, "%s", why);
    cr_assert_eq(ev[0].predicted, BOOT_DOWNLOAD);
    cr_assert_eq(ev[0].release_ns, 306000000);
    cr_assert(isnan(ev[0].en_release_ms));
}

/* The classic sequence on USB-Serial/JTAG resets with the flag clear. */
Test(analyze, classic_sequence_on_usb_jtag_boots_flash)
{
    struct fixture f;
    fix_init(&f, 500);
    lines(&f, 1, 1, 1);   /* open */
    lines(&f, 2, 0, 1);   /* D0: reset, flag clear */
    lines(&f, 102, 1, 1); /* D1: release → flash */
    lines(&f, 103, 1, 0); /* R0: sets the flag, too late */
    lines(&f, 153, 0, 0);
    struct circuit c = usb_jtag();
    struct board_model bm = fix_board(&c, 10e3, 1e-6);
    struct analysis a;
    char why[160];
    cr_assert_eq(analyze_run(&f.tr, NULL, &bm, NULL, 0, BOOT_DOWNLOAD, &a, why, sizeof why), 0, "%s", why);
    cr_assert_eq(a.outcome, BOOT_FLASH);
    cr_assert_str_eq(a.findings[0].kind, "usb-jtag-flag");
}

/* ---- outcome from the ROM banner, as esptool reads it ---- */

static enum boot_mode from(const char *s)
{
    return outcome_from_uart((const uint8_t *)s, strlen(s));
}

Test(outcome, esp32_banners)
{
    cr_assert_eq(from(esp32_download), BOOT_DOWNLOAD);
    cr_assert_eq(from(esp32_flash), BOOT_FLASH);
}

Test(outcome, esp32c3_banners)
{
    cr_assert_eq(from("ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\nrst:0x15 (USB_UART_CHIP_RESET),"
                      "boot:0x4 (DOWNLOAD(USB/UART0/1))\r\nwaiting for download\r\n"),
                 BOOT_DOWNLOAD);
    cr_assert_eq(from("ESP-ROM:esp32c3-api1-20210207\r\nrst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)\r\n"),
                 BOOT_FLASH);
}

Test(outcome, the_last_banner_decides)
{
    char both[512];
    snprintf(both, sizeof both, "%s%s", esp32_flash, esp32_download);
    cr_assert_eq(from(both), BOOT_DOWNLOAD);
    snprintf(both, sizeof both, "%s%s", esp32_download, esp32_flash);
    cr_assert_eq(from(both), BOOT_FLASH);
}

Test(outcome, no_or_cut_banner_is_no_reset)
{
    cr_assert_eq(from(""), BOOT_NONE);
    cr_assert_eq(from("hello world\r\n"), BOOT_NONE);
    cr_assert_eq(from("rst:0x1 (POWERON_RESET),boot:0x"), BOOT_NONE);
    cr_assert_eq(outcome_from_uart(NULL, 0), BOOT_NONE);
}

Test(outcome, names_round_trip)
{
    for (int m = BOOT_NONE; m <= BOOT_MARGINAL; m++)
        cr_assert_eq(boot_mode_parse(boot_mode_name((enum boot_mode)m)), m);
    cr_assert_eq(boot_mode_parse("sometimes"), -1);
}
