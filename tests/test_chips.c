/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The chip library (issue 23): every shipped chip's numbers against their
 * sources (docs/chips.md), release times and strap windows computed by hand,
 * the ESP8266's banner at 74,880 baud read as download and flash (in the
 * virtual lab and from a --captures file through resetlab analyze), the
 * chip's pin names in findings, and each refusal at load. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/analyze.h"
#include "helpers.h"
#include "sim/lab.h"

static const struct chip_profile *chip(const struct lab *lab, const char *name)
{
    for (int i = 0; i < lab->n_chips; i++)
        if (strcmp(lab->chips[i].name, name) == 0)
            return &lab->chips[i];
    cr_assert_fail("no chip '%s'", name);
    return NULL;
}

/* esptool's targets (MAGIC_VALUE, IMAGE_CHIP_ID, MAC_EFUSE_REG, BOOTLOADER_FLASH_OFFSET) and the ROM rates. */
Test(chips, numbers_match_their_sources)
{
    struct lab lab;
    load_shipped_lab(&lab);
    static const struct {
        const char *name;
        uint32_t magic, chip_id, mac_reg, image_offset;
        int baud, usb;
        const char *en, *strap;
    } want[] = {
        {"esp32", 0x00F01D83, 0, 0x3FF5A004, 0x1000, 115200, 0, "EN", "IO0"},
        {"esp32c3", 0x6921506F, 5, 0x60008844, 0x0, 115200, CHIP_USB_SERIAL_JTAG, "CHIP_EN", "GPIO9"},
        {"esp32s2", 0x000007C6, 0, 0x3F41A044, 0x1000, 115200, CHIP_USB_OTG, "CHIP_PU", "GPIO0"},
        {"esp32s3", 0x00000009, 9, 0x60007044, 0x0, 115200, CHIP_USB_SERIAL_JTAG | CHIP_USB_OTG, "CHIP_PU", "GPIO0"},
        {"esp32c2", 0x6F51306F, 12, 0x60008840, 0, 74880, 0, "CHIP_EN", "GPIO9"},
        {"esp32c6", 0x2CE0806F, 13, 0x600B0844, 0x0, 115200, CHIP_USB_SERIAL_JTAG, "CHIP_PU", "GPIO9"},
        {"esp32h2", 0xD7B73E80, 16, 0x600B0844, 0x0, 115200, CHIP_USB_SERIAL_JTAG, "CHIP_PU", "GPIO9"},
        {"esp8266", 0xFFF0C101, 0, 0, 0, 74880, 0, "EXT_RSTB", "GPIO0"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct chip_profile *c = chip(&lab, want[i].name);
        cr_assert_eq(c->rom.magic, want[i].magic, "%s magic 0x%08X", c->name, c->rom.magic);
        cr_assert_eq(c->rom.chip_id, want[i].chip_id, "%s chip id %u", c->name, c->rom.chip_id);
        cr_assert_eq(c->rom.has_security_info, want[i].chip_id != 0, "%s security info", c->name);
        cr_assert_eq(c->rom.mac_reg, want[i].mac_reg, "%s mac_reg 0x%08X", c->name, c->rom.mac_reg);
        cr_assert_eq(c->image_offset, want[i].image_offset, "%s image_offset", c->name);
        cr_assert_eq(c->baud, want[i].baud, "%s baud %d", c->name, c->baud);
        cr_assert_eq(c->usb, want[i].usb, "%s usb %d", c->name, c->usb);
        cr_assert_str_eq(chip_en_name(&c->timing), want[i].en);
        cr_assert_str_eq(chip_strap_name(&c->timing), want[i].strap);
    }
    const struct chip_profile *e = chip(&lab, "esp8266");
    cr_assert_eq(e->rom.status_len, 2, "the ESP8266 ROM sends 2 status bytes");
    cr_assert_eq(e->rom.uart_clk_hz, 52000000u, "2 x 26 MHz (XTAL_CLK_DIVIDER = 2)");
    /* 74,880 = 115,200 x 26 / 40: the ROM divides for 40 MHz with a 26 MHz crystal */
    cr_assert_eq(115200 * 26 / 40, chip(&lab, "esp32c2")->baud);
    cr_assert_eq(e->n_straps, 2);
    cr_assert_str_eq(e->straps[0].pin, "GPIO15");
    cr_assert_eq(e->straps[0].download, STRAP_LOW);
    cr_assert_eq(e->straps[1].flash, STRAP_HIGH);
    lab_free(&lab);
}

/* Release time to 0.75·VDD = τ·ln 4 and the strap window [release − setup, release + hold]. */
Test(chips, release_times_and_strap_windows_by_hand)
{
    struct lab lab;
    load_shipped_lab(&lab);
    static const struct {
        const char *board;
        double release_ms, hold_ms;
    } want[] = {
        {"nodemcu-esp8266", 0.16636, 1}, /* 12 kΩ · 10 nF = 0.120 ms; · ln 4 */
        {"esp32s3-devkitc-1", 13.8629, 3}, /* 10 kΩ · 1 µF = 10 ms; · ln 4 */
        {"esp32c6-devkitc-1", 13.8629, 3},
        {"esp32h2-devkitm-1", 13.8629, 3},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct board_profile *b = lab_board(&lab, want[i].board);
        cr_assert_not_null(b, "%s", want[i].board);
        double t = rc_time_to_fraction(b->en_r_ohms * b->en_c_farads, b->chip->timing.vih_frac) * 1e3;
        cr_assert(fabs(t - want[i].release_ms) < 1e-4, "%s release %.5f ms", b->name, t);
        cr_assert(fabs(b->chip->timing.hold_ms - want[i].hold_ms) < 1e-12, "%s hold", b->name);
        cr_assert(b->chip->timing.setup_ms == 0, "%s setup", b->name);
    }
    lab_free(&lab);
}

Test(chips, esp8266_banners_are_download_and_flash)
{
    static const char *const dl = "\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n\r\n";
    static const char *const fl = " ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\nload 0x4010f000, len 1384";
    cr_assert_eq(outcome_from_uart((const uint8_t *)dl, strlen(dl)), BOOT_DOWNLOAD);
    cr_assert_eq(outcome_from_uart((const uint8_t *)fl, strlen(fl)), BOOT_FLASH);
    static const char *const sdio = " ets Jan  8 2013,rst cause:2, boot mode:(7,6)\r\n";
    cr_assert_eq(outcome_from_uart((const uint8_t *)sdio, strlen(sdio)), BOOT_NONE, "an SDIO boot is no outcome");
    static const char *const cut = " ets Jan  8 2013,rst cause:2, boot mode:(1";
    cr_assert_eq(outcome_from_uart((const uint8_t *)cut, strlen(cut)), BOOT_NONE, "cut off: no banner");
    /* the last banner decides, whichever form it has */
    static const char *const both = "boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)";
    cr_assert_eq(outcome_from_uart((const uint8_t *)both, strlen(both)), BOOT_DOWNLOAD);
}

/* The virtual NodeMCU at 74,880 baud: download and flash, and resetlab
 * analyze on its --captures file reads the same download. */
Test(chips, esp8266_runs_and_its_capture_give_download_and_flash, .timeout = 60)
{
    char dir[] = "/tmp/resetlab-chips-XXXXXX", args[512], out[16384], err[4096];
    cr_assert(mkdtemp(dir));
    snprintf(args, sizeof args,
             "run --out %s --board nodemcu-esp8266 --host native-linux --scenario esptool-tight --scenario "
             "esptool-hard-reset --iterations 3 --captures all --quiet", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *sum = slurp(path, NULL);
    cr_assert_not_null(sum);
    cr_assert(strstr(sum, "\"download\": 3") || strstr(sum, "\"download\":3"), "%s", sum);
    cr_assert(strstr(sum, "\"flash\": 3") || strstr(sum, "\"flash\":3"), "%s", sum);
    free(sum);
    snprintf(args, sizeof args, "analyze %s/captures/nodemcu-esp8266--native-linux--esptool-tight--0.sr", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(out, "at 74880 baud: \"\\r\\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)") != NULL, "%s", out);
    cr_assert(strstr(out, "#1 EXT_RSTB low at") != NULL, "%s", out);
    cr_assert(strstr(out, "outcome: download (expected download): pass") != NULL, "%s", out);
    remove_tree(dir);
}

/* The shipped boards.yaml with `from` replaced by `to`, written to a temp file. */
static const char *variant(const char *from, const char *to, char *path, size_t len)
{
    char src[512];
    char *text = slurp(src_path("boards.yaml", src, sizeof src), NULL);
    cr_assert_not_null(text);
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' not in boards.yaml", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    cr_assert_not_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    write_temp(out, ".yaml", path, len);
    free(text), free(out);
    return path;
}

/* A C3 on a transistor board with its strap transistor shorted: the finding says GPIO9. */
Test(chips, a_c3s_findings_say_gpio9, .timeout = 60)
{
    char path[256], dir[] = "/tmp/resetlab-chips-XXXXXX", args[600], out[8192], err[4096];
    variant("  devkitc-io0-shorted:\n    chip: esp32\n",
            "  devkitc-io0-shorted:\n    chip: esp32c3\n    straps: {GPIO8: high, GPIO2: high}\n", path, sizeof path);
    cr_assert(mkdtemp(dir));
    snprintf(args, sizeof args,
             "run --boards %s --out %s --board devkitc-io0-shorted --host native-linux --scenario esptool-classic "
             "--iterations 2 --no-known --quiet", path, dir);
    run_cli(args, out, sizeof out, err, sizeof err);
    char sp[600];
    snprintf(sp, sizeof sp, "%s/summary.json", dir);
    char *sum = slurp(sp, NULL);
    cr_assert_not_null(sum, "%s", err);
    cr_assert(strstr(sum, "GPIO9 low while DTR released: GPIO9 transistor shorted") != NULL, "%s", sum);
    cr_assert(strstr(sum, "IO0 low while") == NULL, "%s", sum);
    free(sum);
    remove_tree(dir);
    unlink(path);
}

static void refused(const char *from, const char *to, const char *want)
{
    char path[256], args[400];
    variant(from, to, path, sizeof path);
    snprintf(args, sizeof args, "list --boards %s", path);
    expect_bad_input(args, want);
    unlink(path);
}

Test(chips, a_banner_the_parser_cannot_read_is_refused)
{
    refused("boot_download: \"boot:0x0 (DOWNLOAD(USB/UART0))\\r\\nwaiting for download\\r\\n\"  # assumption: the S3's form\n"
            "    boot_flash: \"boot:0x1c",
            "boot_download: \"boot:0x0 (USB_BOOT)\\r\\nwait usb download\\r\\n\"\n    boot_flash: \"boot:0x1c",
            "chips.esp32h2.boot_download: no banner model for it: the outcome parser reads it as flash, not download");
}

Test(chips, a_strap_the_board_does_not_set_is_refused)
{
    /* GPIO8 has no pull of its own on the C6 (as the C3 book's "N/A"): the board must set it */
    refused("    straps: {GPIO8: high}    # assumption: the board holds GPIO8 high at reset", "    #",
            "boards.esp32c6-devkitc-1: chip 'esp32c6' needs GPIO8 high to boot download (any for flash): the board "
            "sets no level for it");
    /* without the board's pull-down, the ESP8266's own pull-up holds GPIO15 high: an SDIO boot */
    refused("    straps: {GPIO15: low}", "",
            "boards.nodemcu-esp8266: GPIO15 high: chip 'esp8266' boots neither download nor flash so (it needs low "
            "for download, low for flash): no banner model for that boot");
    refused("    straps: {GPIO15: low}", "    straps: {GPIO15: high}",
            "boards.nodemcu-esp8266: GPIO15 high: chip 'esp8266' boots neither download nor flash so");
    refused("    straps: {GPIO15: low}", "    straps: {GPIO15: maybe}",
            "boards.nodemcu-esp8266.straps: GPIO15 must be low or high\n");
    refused("    straps: {GPIO15: low}", "    straps: {GPIO5: low}",
            "boards.nodemcu-esp8266.straps: chip 'esp8266' has no strap 'GPIO5'");
}

Test(chips, a_native_usb_board_on_a_chip_without_it_is_refused)
{
    refused("    chip: esp32c3\n    bridge: esp-usb-jtag\n    circuit: usb-serial-jtag\n    straps: {GPIO8: high, GPIO2: high}",
            "    chip: esp32s2\n    bridge: esp-usb-jtag\n    circuit: usb-serial-jtag",
            "boards.esp32c3-usb: chip 'esp32s2' has no USB-Serial/JTAG (usb: usb-otg), which circuit "
            "'usb-serial-jtag' and bridge 'esp-usb-jtag' need");
}

Test(chips, a_baud_the_analyzer_cannot_carry_is_refused)
{
    refused("    analyzer: *sim_la\n\n  # Fault boards",
            "    analyzer: {kind: sim, threshold_v: 1.5, sample_rate_hz: 250000, tail_ms: 20, settle_ms: 0.1, "
            "transient_max_ms: 200}\n\n  # Fault boards",
            "the analyzer's 250000 Hz cannot carry chip 'esp8266''s ROM banner at 74880 baud: at least 4 samples a "
            "bit, 299520 Hz");
}

/* Each new chip's banner off a --captures file: sigrok-cli's own UART
 * decoder at the chip's ROM baud reads it, and resetlab analyze on the same
 * file gives the run's outcome. */
Test(chips, sigrok_decodes_each_new_chips_banner_from_its_capture, .timeout = 120)
{
    static const struct {
        const char *board, *baud, *line;
    } want[] = {
        {"esp32s3-devkitc-1", "115200", "rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))"},
        {"esp32c6-devkitc-1", "115200", "ESP-ROM:esp32c6-20220919"},
        {"esp32h2-devkitm-1", "115200", "rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))"},
        {"nodemcu-esp8266", "74880", "ets Jan  8 2013,rst cause:2, boot mode:(1,6)"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char dir[] = "/tmp/resetlab-chips-XXXXXX", args[800], out[16384], err[4096], cmd[1200];
        cr_assert(mkdtemp(dir));
        snprintf(args, sizeof args,
                 "run --out %s --board %s --host native-linux --scenario esptool-tight --iterations 1 --captures all "
                 "--quiet", dir, want[i].board);
        cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s: %s", want[i].board, err);
        char sr[700];
        snprintf(sr, sizeof sr, "%s/captures/%s--native-linux--esptool-tight--0.sr", dir, want[i].board);
        snprintf(cmd, sizeof cmd,
                 "sigrok-cli -i %s -P uart:rx=RX:baudrate=%s:format=ascii -A uart=rx-data 2>&1 | sed 's/^uart-1: //' "
                 "| tr -d '\\n' > %s/banner.txt", sr, want[i].baud, dir);
        cr_assert_eq(system(cmd), 0);
        char txt[700];
        snprintf(txt, sizeof txt, "%s/banner.txt", dir);
        char *text = slurp(txt, NULL);
        cr_assert_not_null(text);
        cr_assert(strstr(text, want[i].line) != NULL, "%s: sigrok-cli decoded %.300s", want[i].board, text);
        free(text);
        snprintf(args, sizeof args, "analyze %s", sr);
        cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s: %s%s", want[i].board, out, err);
        char baud[64];
        snprintf(baud, sizeof baud, "at %s baud", want[i].baud);
        cr_assert(strstr(out, baud) != NULL, "%s: %s", want[i].board, out);
        cr_assert(strstr(out, "outcome: download (expected download): pass") != NULL, "%s: %s", want[i].board, out);
        remove_tree(dir);
    }
}

/* list shows the chip library with each chip's own pin names and ROM rate. */
Test(chips, list_shows_the_chips)
{
    char out[32768], err[2048];
    cr_assert_eq(run_cli("list", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(out, "\nchips (docs/chips.md):\n") != NULL, "%s", out);
    cr_assert(strstr(out, "  esp32c3                reset CHIP_EN  strap GPIO9  ROM 115200 baud  USB usb-serial-jtag\n"),
              "%s", out);
    cr_assert(strstr(out, "  esp8266                reset EXT_RSTB strap GPIO0  ROM 74880 baud  USB none\n"), "%s", out);
}

/* A banner longer than the simulator prints would be cut: refused instead. */
Test(chips, a_banner_longer_than_the_simulator_prints_is_refused)
{
    char to[900] = "    boot_flash: \"";
    size_t n = strlen(to);
    for (int i = 0; i < 700; i++)
        to[n++] = 'x';
    snprintf(to + n, sizeof to - n, "%s", " boot mode:(3,6)\\r\\n\"\n    rom:\n      detect_magic: 0xFFF0C101");
    refused("    boot_flash: \" boot mode:(3,6)\\r\\n\\r\\nload 0x4010f000, len 1384, room 16 \\r\\ntail 8\\r\\nchksum "
            "0x2d\\r\\ncsum 0x2d\\r\\n\"\n    rom:\n      detect_magic: 0xFFF0C101",
            to, "chips.esp8266.boot_flash: the banner it makes is 749 bytes, over the 639 the simulator prints "
                "(SIM_BANNER_MAX)");
}
