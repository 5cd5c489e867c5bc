/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM loader's commands (sim/rom.h rom_frame) against hand-built
 * frames, on a chip and board made here (not boards.yaml): the register
 * file (MAC, UART_CLKDIV, the SPI controller's RDID, a WRITE_REG anywhere),
 * SPI_ATTACH, SPI_SET_PARAMS, GET_SECURITY_INFO with and without,
 * CHANGE_BAUDRATE, MEM_BEGIN/DATA/END (out of order; the stub starting),
 * FLASH_BEGIN/DATA/END, FLASH_DEFL_*, READ_FLASH_SLOW, SPI_FLASH_MD5, and
 * the status for commands the ROM does not have. Expected bytes are
 * worked out by hand in the comments. */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "analyzers/slip.h"
#include "sim/flash.h"
#include "sim/rom.h"

/* An ESP32-like chip: esptool/targets/esp32.py's addresses. */
static const struct rom_chip chip = {
    .magic = 0x00F01D83,
    .status_len = 4,
    .sync_value = 0x20120707,
    .mac_reg = 0x3FF5A004,
    .uart_clkdiv_reg = 0x3FF40014,
    .uart_clk_hz = 40000000,
    .spi = {.base = 0x3FF42000, .usr = 0x1C, .usr1 = 0x20, .usr2 = 0x24, .mosi_dlen = 0x28, .miso_dlen = 0x2C, .w0 = 0x80},
    .has_md5 = 1,
    .has_read_flash_slow = 1,
    .words = {{0x3FF5A00C, 0x8200}},
    .n_words = 1,
};
static const struct rom_board board = {.mac = {0x24, 0x0a, 0xc4, 0x00, 0x01, 0x10}, .flash_size = 1u << 20,
                                       .flash_jedec_id = 0x1640C8};

static struct rom_state st;
static struct sim_flash *flash;
static struct rom_ctx ctx;

static void setup(void)
{
    memset(&st, 0, sizeof st);
    rom_state_reset(&st);
    flash = sim_flash_new(1u << 20);
    ctx = (struct rom_ctx){.chip = &chip, .board = &board, .flash = flash, .boot_baud = 115200};
}

static void teardown(void)
{
    rom_state_reset(&st);
    sim_flash_free(flash);
}

TestSuite(rom_cmds, .init = setup, .fini = teardown);

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A request frame (decoded: no SLIP): 00 op size[2] checksum[4] data. */
static size_t frame_of(uint8_t op, const uint8_t *data, size_t n, uint32_t checksum, uint8_t *f)
{
    f[0] = 0, f[1] = op, f[2] = (uint8_t)n, f[3] = (uint8_t)(n >> 8);
    put32(f + 4, checksum);
    if (n)
        memcpy(f + 8, data, n);
    return 8 + n;
}

static uint8_t out[4096];

/* Sends one frame; the reply's raw bytes in out, parsed into *r. */
static size_t send(uint8_t op, const uint8_t *data, size_t n, uint32_t checksum, struct esp_response *r)
{
    static uint8_t f[0x10000];
    size_t len = frame_of(op, data, n, checksum, f);
    size_t w = rom_frame(&st, &ctx, f, len, out, sizeof out);
    if (r != NULL && w > 0) {
        uint8_t dec[4096];
        size_t pos = 0, dn = 0;
        cr_assert_eq(slip_next_frame(out, w, &pos, dec, sizeof dec, &dn), 1);
        cr_assert_eq(esp_parse_response(dec, dn, 4, r), 0);
    }
    return w;
}

static uint32_t read_reg(uint32_t addr)
{
    uint8_t d[4];
    struct esp_response r;
    put32(d, addr);
    cr_assert(send(ESP_READ_REG, d, 4, 0, &r) > 0);
    cr_assert_eq(r.status, 0);
    return r.value;
}

static void write_reg(uint32_t addr, uint32_t value)
{
    uint8_t d[16];
    struct esp_response r;
    put32(d, addr), put32(d + 4, value), put32(d + 8, 0xFFFFFFFFu), put32(d + 12, 0);
    cr_assert(send(ESP_WRITE_REG, d, 16, 0, &r) > 0);
    cr_assert_eq(r.status, 0);
}

/* MAC 24:0a:c4:00:01:10: the word at mac_reg holds bytes 2..5 big-endian,
 * 0xC4000110; the reply is C0, 01 0A 04 00, value LE 10 01 00 C4, status
 * 00 00 00 00, C0 (no byte needs escaping). The next word: 0x240A. */
Test(rom_cmds, read_reg_gives_the_mac_words)
{
    uint8_t d[4];
    put32(d, 0x3FF5A004);
    size_t w = send(ESP_READ_REG, d, 4, 0, NULL);
    static const uint8_t want[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0x10, 0x01, 0x00, 0xC4, 0, 0, 0, 0, 0xC0};
    cr_assert_eq(w, sizeof want);
    cr_assert(memcmp(out, want, w) == 0);
    cr_assert_eq(read_reg(0x3FF5A008), 0x240A);
    cr_assert_eq(read_reg(0x3FF5A00C), 0x8200, "a fixed word");
    cr_assert_eq(read_reg(ESP_CHIP_DETECT_MAGIC_REG), 0x00F01D83);
}

/* UART_CLKDIV = 40,000,000 / 115,200 = 347.2 → 347; after CHANGE_BAUDRATE
 * to 921,600: 43.4 → 43 (esptool get_crystal_freq: 921600 · 43 / 1e6 =
 * 39.6 MHz, normalized to 40). */
Test(rom_cmds, clkdiv_follows_the_uart_rate)
{
    cr_assert_eq(read_reg(0x3FF40014), 347);
    uint8_t d[8];
    struct esp_response r;
    put32(d, 921600), put32(d + 4, 0);
    cr_assert(send(ESP_CHANGE_BAUDRATE, d, 8, 0, &r) > 0);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(st.baud, 921600);
    cr_assert_eq(read_reg(0x3FF40014), 43);
    put32(d, 0);
    send(ESP_CHANGE_BAUDRATE, d, 8, 0, &r);
    cr_assert_eq(r.status, 1, "rate 0 is refused");
    cr_assert_eq(st.baud, 921600);
}

/* esptool's flash_id (loader.py run_spiflash_command): USR2 = 7 << 28 |
 * 0x9F, CMD = USR (bit 18), poll CMD until USR clears, read W0. */
Test(rom_cmds, spi_rdid_answers_the_jedec_id)
{
    write_reg(0x3FF42000 + 0x1C, 0x90000000u); /* USR: command + MISO */
    write_reg(0x3FF42000 + 0x24, 0x7000009Fu);
    write_reg(0x3FF42000 + 0x80, 0);
    write_reg(0x3FF42000, 1u << 18);
    cr_assert_eq(read_reg(0x3FF42000) & (1u << 18), 0, "the command is done");
    cr_assert_eq(read_reg(0x3FF42000 + 0x80), 0x1640C8);
    cr_assert_eq(read_reg(0x3FF42000 + 0x1C), 0x90000000u, "other controller registers read back");
}

/* The ROM writes where it is told (serial-protocol.rst WRITE_REG): an
 * address no register covers is acknowledged and reads back; once
 * ROM_REGS_MAX addresses are held, more are acknowledged and forgotten. */
Test(rom_cmds, write_reg_anywhere_is_acknowledged)
{
    write_reg(0x12345678, 0xA5A5A5A5u);
    cr_assert_eq(read_reg(0x12345678), 0xA5A5A5A5u);
    for (uint32_t i = 0; i < ROM_REGS_MAX + 4; i++)
        write_reg(0x50000000u + 4 * i, i + 1);
    cr_assert_eq(read_reg(0x50000000u), 1);
    cr_assert_eq(read_reg(0x50000000u + 4 * (ROM_REGS_MAX + 3)), 0, "forgotten past the limit");
    /* a mask keeps the other bits: (0xA5A5A5A5 & ~0xFF) | (0x11 & 0xFF) */
    uint8_t d[16];
    struct esp_response r;
    put32(d, 0x12345678), put32(d + 4, 0x11), put32(d + 8, 0xFF), put32(d + 12, 0);
    send(ESP_WRITE_REG, d, 16, 0, &r);
    cr_assert_eq(read_reg(0x12345678), 0xA5A5A511u);
}

Test(rom_cmds, spi_attach_and_set_params_are_acknowledged)
{
    uint8_t d[24] = {0};
    struct esp_response r;
    cr_assert(send(ESP_SPI_ATTACH, d, 8, 0, &r) > 0);
    cr_assert_eq(r.status, 0);
    put32(d + 4, 4u << 20), put32(d + 8, 0x10000), put32(d + 12, 0x1000), put32(d + 16, 0x100), put32(d + 20, 0xFFFF);
    cr_assert(send(ESP_SPI_SET_PARAMS, d, 24, 0, &r) > 0);
    cr_assert_eq(r.status, 0);
    cr_assert(send(ESP_SPI_SET_PARAMS, d, 20, 0, &r) > 0);
    cr_assert_eq(r.status, 1, "a short SPI_SET_PARAMS is invalid");
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
}

/* GET_SECURITY_INFO: the ESP32 ROM has none (status 1, 0x05: esptool's
 * UnsupportedCommandError, then the magic word); a C3-like chip answers 20
 * bytes, chip id 5 at data[12..15]: size 20 + 4 status = 24. */
Test(rom_cmds, get_security_info_where_the_chip_has_it)
{
    struct esp_response r;
    send(ESP_GET_SECURITY_INFO, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
    struct rom_chip c3 = chip;
    c3.has_security_info = 1, c3.chip_id = 5, c3.api_version = 0;
    ctx.chip = &c3;
    size_t w = send(ESP_GET_SECURITY_INFO, NULL, 0, 0, &r);
    cr_assert_eq(r.size, 24);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(w, 1 + 8 + 24 + 1);
    cr_assert_eq(out[1 + 8 + 12], 5, "chip_id 5, little-endian");
}

static uint32_t csum(const uint8_t *d, size_t n)
{
    return esp_checksum(d, n);
}

/* MEM_BEGIN (size, blocks, block size, offset), MEM_DATA seq 0 then a
 * repeated seq 0 (out of order: 0x05), MEM_END with entry: the stub runs,
 * and the ROM answers nothing after. */
Test(rom_cmds, mem_upload_in_order_then_the_stub_runs)
{
    uint8_t d[16 + 8] = {0};
    struct esp_response r;
    put32(d, 16), put32(d + 4, 2), put32(d + 8, 8), put32(d + 12, 0x40080000u);
    send(ESP_MEM_BEGIN, d, 16, 0, &r);
    cr_assert_eq(r.status, 0);
    put32(d, 8), put32(d + 4, 0), put32(d + 8, 0), put32(d + 12, 0);
    memset(d + 16, 0x11, 8); /* 0xEF ^ (0x11 ^ ... eight times) = 0xEF */
    send(ESP_MEM_DATA, d, 24, csum(d + 16, 8), &r);
    cr_assert_eq(r.status, 0);
    send(ESP_MEM_DATA, d, 24, csum(d + 16, 8), &r);
    cr_assert_eq(r.status, 1, "seq 0 again: out of order");
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
    send(ESP_MEM_DATA, d, 24, 0x00, &r);
    cr_assert_eq(r.error, ESP_ERR_INVALID_CRC, "a wrong checksum is 0x07");
    put32(d + 4, 1);
    send(ESP_MEM_DATA, d, 24, csum(d + 16, 8), &r);
    cr_assert_eq(r.status, 0, "seq 1 in order");
    put32(d, 0), put32(d + 4, 0x40080400u);
    send(ESP_MEM_END, d, 8, 0, &r);
    cr_assert_eq(r.status, 0, "MEM_END is answered before the jump");
    cr_assert(st.stub_running);
    uint8_t a[4];
    put32(a, ESP_CHIP_DETECT_MAGIC_REG);
    cr_assert_eq(send(ESP_READ_REG, a, 4, 0, NULL), 0, "the ROM is gone");
}

/* ERASE_FLASH (0xD0) is the stub's: the ROM says invalid message. So does
 * a frame whose size field disagrees with its length. */
Test(rom_cmds, stub_only_and_malformed_commands)
{
    struct esp_response r;
    send(ESP_ERASE_FLASH, NULL, 0, 0, &r);
    cr_assert_eq(r.op, ESP_ERASE_FLASH);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
    uint8_t f[16];
    frame_of(ESP_READ_REG, (const uint8_t *)"\0\x10\0\x40", 4, 0, f);
    f[2] = 9; /* says 9 bytes, carries 4 */
    size_t w = rom_frame(&st, &ctx, f, 12, out, sizeof out);
    cr_assert_eq(w, 14);
    cr_assert_eq(out[9], 1);
    cr_assert_eq(out[10], ESP_ERR_INVALID_MSG);
}

/* FLASH_BEGIN erases; FLASH_DATA "abc" at 0x1000; SPI_FLASH_MD5 of those
 * 3 bytes is MD5("abc") = 900150983cd24fb0d6963f7d28e17f72 as 32 hex
 * digits (loader.py flash_md5sum, ROM: resp_data_len 32); READ_FLASH_SLOW
 * gives 64 bytes: "abc" then erased 0xFF. */
Test(rom_cmds, flash_write_md5_and_slow_read)
{
    uint8_t d[16 + 3];
    struct esp_response r;
    put32(d, 3), put32(d + 4, 1), put32(d + 8, 0x400), put32(d + 12, 0x1000);
    send(ESP_FLASH_BEGIN, d, 16, 0, &r);
    cr_assert_eq(r.status, 0);
    put32(d, 3), put32(d + 4, 0), put32(d + 8, 0), put32(d + 12, 0);
    memcpy(d + 16, "abc", 3);
    send(ESP_FLASH_DATA, d, 19, csum(d + 16, 3), &r);
    cr_assert_eq(r.status, 0);
    put32(d, 0);
    send(ESP_FLASH_END, d, 4, 0, &r);
    cr_assert_eq(r.status, 0);
    uint8_t m[16] = {0};
    put32(m, 0x1000), put32(m + 4, 3);
    size_t w = send(ESP_SPI_FLASH_MD5, m, 16, 0, &r);
    cr_assert_eq(r.size, 32 + 4);
    cr_assert_eq(w, 1 + 8 + 36 + 1);
    cr_assert(memcmp(out + 9, "900150983cd24fb0d6963f7d28e17f72", 32) == 0);
    uint8_t q[8];
    put32(q, 0x1000), put32(q + 4, 64);
    w = send(ESP_READ_FLASH_SLOW, q, 8, 0, &r);
    cr_assert_eq(r.size, 64 + 4);
    cr_assert(memcmp(out + 9, "abc\xff\xff", 5) == 0);
}

Test(rom_cmds, flash_begin_without_flash_fails)
{
    ctx.flash = NULL;
    uint8_t d[16];
    struct esp_response r;
    put32(d, 0x1000), put32(d + 4, 1), put32(d + 8, 0x400), put32(d + 12, 0);
    send(ESP_FLASH_BEGIN, d, 16, 0, &r);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_FAILED);
}

/* FLASH_DEFL_*: a zlib stream of 5000 bytes (i & 0x7F) in two blocks,
 * inflated onto the flash at 0x8000. */
Test(rom_cmds, compressed_flashing_inflates_onto_the_flash)
{
    static uint8_t plain[5000], packed[6000], d[16 + 0x400];
    for (int i = 0; i < 5000; i++)
        plain[i] = (uint8_t)(i & 0x7F);
    uLongf plen = sizeof packed;
    cr_assert_eq(compress(packed, &plen, plain, sizeof plain), Z_OK);
    uint32_t blocks = (uint32_t)((plen + 0x3FF) / 0x400);
    struct esp_response r;
    put32(d, 0x2000), put32(d + 4, blocks), put32(d + 8, 0x400), put32(d + 12, 0x8000);
    send(ESP_FLASH_DEFL_BEGIN, d, 16, 0, &r);
    cr_assert_eq(r.status, 0);
    for (uint32_t b = 0; b < blocks; b++) {
        uint32_t n = (uint32_t)(plen - b * 0x400 < 0x400 ? plen - b * 0x400 : 0x400);
        put32(d, n), put32(d + 4, b), put32(d + 8, 0), put32(d + 12, 0);
        memcpy(d + 16, packed + b * 0x400, n);
        send(ESP_FLASH_DEFL_DATA, d, 16 + n, csum(d + 16, n), &r);
        cr_assert_eq(r.status, 0, "block %u: error 0x%02x", b, r.error);
    }
    put32(d, 1);
    send(ESP_FLASH_DEFL_END, d, 4, 0, &r);
    cr_assert_eq(r.status, 0);
    static uint8_t back[5000];
    cr_assert_eq(sim_flash_read(flash, 0x8000, back, sizeof back), 0);
    cr_assert(memcmp(back, plain, sizeof plain) == 0);
}

/* A reset clears the state: registers written, the rate, the stub. */
Test(rom_cmds, a_reset_clears_the_state)
{
    write_reg(0x12345678, 7);
    st.baud = 921600, st.stub_running = 1;
    rom_state_reset(&st);
    cr_assert_eq(read_reg(0x12345678), 0);
    cr_assert_eq(st.baud, 0);
    cr_assert_eq(st.stub_running, 0);
}
