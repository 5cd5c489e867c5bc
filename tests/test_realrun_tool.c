/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A tool's connect loop on "real hardware" (issue #19): the serial port
 * through a fake OS layer that behaves as a DevKitC's chip at the line
 * level (EN let go with IO0 low: the download banner, and SYNC answered by
 * the ROM's own bytes; with IO0 high: the flash banner), the analyzer as
 * libsigrok's demo driver. The tool's reads, the boot log, the SYNC reader
 * and its hard reset run through the real serial backend. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "analyzers/slip.h"
#include "harness/port/port_serial.h"
#include "harness/run/run_cell.h"
#include "harness/run/run_real.h"
#include "sim/rom.h"
#include "helpers.h"

static struct run_buffers rb;

/* ---- a chip behind the fake port ---- */

static struct {
    int bits;              /* TIOCM_* as the driver holds them */
    int in_reset, download;
    uint8_t rx[4096];      /* what the chip sent and the host has not read */
    size_t rx_len;
    int syncs_seen;
    int io0_open; /* IO0's transistor open: the chip always boots from flash */
} chip;

static void chip_says(const void *bytes, size_t n)
{
    if (chip.rx_len + n <= sizeof chip.rx) {
        memcpy(chip.rx + chip.rx_len, bytes, n);
        chip.rx_len += n;
    }
}

/* The two-transistor table with no RC: EN low while RTS is asserted and DTR
 * is not; when EN is let go the chip boots by IO0 (low while DTR alone). */
static void lines_changed(void)
{
    int dtr = !!(chip.bits & TIOCM_DTR), rts = !!(chip.bits & TIOCM_RTS);
    int en_low = rts && !dtr, io0_low = dtr && !rts && !chip.io0_open;
    if (en_low) {
        chip.in_reset = 1;
        return;
    }
    if (!chip.in_reset)
        return;
    chip.in_reset = 0;
    chip.download = io0_low;
    static const char dl[] = "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
                             "waiting for download\r\n";
    static const char fl[] = "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n";
    if (io0_low)
        chip_says(dl, sizeof dl - 1);
    else
        chip_says(fl, sizeof fl - 1);
}

static int c_open(const char *p, void **h, char *w, size_t l)
{
    (void)p, (void)w, (void)l;
    *h = &chip;
    chip.bits = TIOCM_DTR | TIOCM_RTS; /* Linux raises both in open(2) */
    lines_changed();
    return 0;
}
static int c_close(void *h) { (void)h; chip.bits = 0; lines_changed(); return 0; }
static int c_excl(void *h) { (void)h; return 0; }
static int c_get(void *h, int *b) { (void)h; *b = chip.bits; return 0; }
static int c_set(void *h, int b) { (void)h; chip.bits = b; lines_changed(); return 0; }
static int c_bis(void *h, int b) { (void)h; chip.bits |= b; lines_changed(); return 0; }
static int c_bic(void *h, int b) { (void)h; chip.bits &= ~b; lines_changed(); return 0; }

/* The ROM answers what the host wrote while in download mode, as the
 * virtual lab's ROM does (sim/rom.c). */
static int c_write(void *h, const uint8_t *b, size_t n)
{
    (void)h;
    if (!chip.download || chip.in_reset)
        return 0;
    static const struct rom_chip esp32 = {.magic = 0x00F01D83, .status_len = 4, .sync_value = 0x20120707};
    uint8_t out[1024];
    size_t m = rom_answer(&esp32, b, n, out, sizeof out);
    chip.syncs_seen += m > 0;
    chip_says(out, m);
    return 0;
}

static long c_read(void *h, uint8_t *buf, size_t cap, int timeout_ms)
{
    (void)h, (void)timeout_ms; /* what it will ever say is there already */
    size_t n = chip.rx_len < cap ? chip.rx_len : cap;
    memcpy(buf, chip.rx, n);
    memmove(chip.rx, chip.rx + n, chip.rx_len - n);
    chip.rx_len -= n;
    return (long)n;
}

static int c_list(struct serial_port_info *out, int max)
{
    if (max < 1)
        return 0;
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "/dev/ttyUSB9");
    out->transport = SERIAL_USB;
    out->vid = 0x10c4, out->pid = 0xea60;
    return 1;
}

static const struct serial_sys chip_sys = {.open = c_open, .close = c_close, .exclusive = c_excl, .get_bits = c_get,
    .set_bits = c_set, .bis = c_bis, .bic = c_bic, .write = c_write, .read = c_read, .list = c_list};

TestSuite(realrun_tool, .init = suite_lab_setup, .fini = suite_lab_teardown);

static struct board_profile demo_devkitc(void)
{
    struct board_profile b = *lab_board(&suite_lab, "devkitc");
    snprintf(b.port, sizeof b.port, "usb:10c4:ea60");
    static char lock_dir[64];
    snprintf(lock_dir, sizeof lock_dir, "/tmp/resetlab-locks-XXXXXX");
    cr_assert_not_null(mkdtemp(lock_dir));
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
    snprintf(b.analyzer.kind, sizeof b.analyzer.kind, "sigrok");
    snprintf(b.analyzer.driver, sizeof b.analyzer.driver, "demo");
    snprintf(b.analyzer.config, sizeof b.analyzer.config, "samplerate=1M:pattern=all-high");
    snprintf(b.analyzer.channels, sizeof b.analyzer.channels, "D0=DTR,D1=RTS,D2=EN,D3=IO0");
    b.analyzer.pretrigger_pct = 20;
    b.analyzer.tail_ms = 150;
    return b;
}

/* esptool 4.x on a real Linux port: UnixTightReset (one TIOCMSET per step)
 * puts the chip in download mode, the boot log says so, the first SYNC
 * gets the ROM's eight replies, and the hard reset boots the app. */
Test(realrun_tool, esptool4_connects_through_the_serial_backend)
{
    struct board_profile b = demo_devkitc();
    memset(&chip, 0, sizeof chip);
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    char err[400];
    struct port *port = port_serial_new(b.port, &chip_sys, err, sizeof err);
    cr_assert_not_null(port, "%s", err);
    run_real_once(sr, &b, lab_scenario(&suite_lab, "esptool-4"), port, &rb);
    port_serial_free(port);
    sigrok_free(sr);
    cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
    cr_assert(rb.a.tool.ran && rb.a.tool.connected, "%s", rb.a.tool.error);
    cr_assert_eq(rb.a.tool.attempts, 1);
    cr_assert_str_eq(rb.a.tool.strategy, "UnixTightReset 0.05");
    cr_assert_eq(chip.syncs_seen, 1, "the first SYNC was answered");
    cr_assert_eq(rb.a.tool.after, BOOT_FLASH, "the hard reset booted the app");
    /* UnixTightReset's W0.1 and W0.05, on the host's clock */
    cr_assert(rb.a.tool.connect_ms > 150 && rb.a.tool.connect_ms < 1000, "%.1f ms", rb.a.tool.connect_ms);
    cr_assert_eq(rb.a.verdict, VERDICT_PASS);
}

/* The same chip with IO0's transistor open: every attempt reads the
 * flash-boot banner, no SYNC is answered (each try waits out its 0.1 s on
 * the real clock), and esptool gives up with what it saw. */
Test(realrun_tool, a_board_that_never_enters_download_mode_fails_with_esptools_words)
{
    struct board_profile b = demo_devkitc();
    memset(&chip, 0, sizeof chip);
    chip.io0_open = 1;
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    char err[400];
    struct port *port = port_serial_new(b.port, &chip_sys, err, sizeof err);
    cr_assert_not_null(port, "%s", err);
    struct scenario s = *lab_scenario(&suite_lab, "esptool-4");
    struct tool t = *s.tool;
    t.attempts = 2; /* two attempts of 5 tries × 0.1 s: a second of real time */
    s.tool = &t;
    run_real_once(sr, &b, &s, port, &rb);
    port_serial_free(port);
    sigrok_free(sr);
    cr_assert(rb.a.tool.ran && !rb.a.tool.connected);
    cr_assert_eq(rb.a.tool.attempts, 2);
    cr_assert_eq(chip.syncs_seen, 0);
    cr_assert_str_eq(rb.a.tool.error, "Failed to connect to Espressif device: Wrong boot mode detected (0x13)! The "
                                      "chip needs to be in download mode.");
    cr_assert_eq(rb.a.verdict, VERDICT_FAIL);
    cr_assert_str_eq(rb.a.findings[0].kind, "tool-failed");
}
