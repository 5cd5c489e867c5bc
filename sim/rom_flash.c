/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM's transfers (rom.h): MEM_BEGIN/MEM_DATA/MEM_END (code to RAM,
 * the flasher stub; MEM_END with an entry point starts it) and
 * FLASH_BEGIN/FLASH_DATA/FLASH_END on the board's flash (sim/flash.h),
 * and SPI_FLASH_MD5 where the ROM has it. Formats: esptool
 * docs/en/advanced-topics/serial-protocol.rst command table; loader.py
 * mem_begin, mem_block, mem_finish, flash_begin, flash_block, flash_finish,
 * flash_md5sum.
 * May call: sim/flash (the board's flash), libc. */
#include <stdio.h>

#include "flash.h"
#include "rom_internal.h"

/* Flash erase granularity: 4 KiB sectors (loader.py FLASH_SECTOR_SIZE =
 * 0x1000; every SPI NOR datasheet's sector erase). */
#define FLASH_SECTOR 0x1000u
/* The MD5 the ROM returns: 32 hex digits (loader.py flash_md5sum
 * RESP_DATA_LEN = 32, "already hex formatted"). */
#define MD5_HEX_LEN 32

static void ok(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op)
{
    rom_reply(s, c, o, op, s->last_value, NULL, 0, 0, 0);
}

static void fail(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op, uint8_t error)
{
    rom_reply(s, c, o, op, s->last_value, NULL, 0, 1, error);
}

/* *_BEGIN: size, blocks, block size, offset (LE32 each). */
void rom_begin_transfer(struct rom_transfer *t, const uint8_t *data)
{
    *t = (struct rom_transfer){.active = 1, .size = rom_le32(data), .blocks = rom_le32(data + 4),
                               .block_size = rom_le32(data + 8), .offset = rom_le32(data + 12)};
}

/* *_DATA: LE32 length, LE32 sequence, two zero words, the bytes. 0 when
 * the block is the next one of an open transfer; else the error byte:
 * assumption, the ROM's "invalid message" (0x05) for a block out of order,
 * too long or outside a transfer (serial-protocol.rst does not say). */
int rom_block_error(const struct rom_transfer *t, const uint8_t *data, size_t size)
{
    uint32_t n = rom_le32(data), seq = rom_le32(data + 4);
    if (!t->active || seq != t->next_seq || seq >= t->blocks || n > t->block_size || n != size - 16)
        return ESP_ERR_INVALID_MSG;
    return 0;
}

static int checksum_ok(const uint8_t *data, size_t size, uint32_t checksum)
{
    uint32_t n = rom_le32(data);
    return n <= size - 16 && esp_checksum(data + 16, n) == checksum;
}

int rom_erase_region(const struct rom_ctx *c, uint32_t offset, uint32_t size)
{
    uint32_t start = offset & ~(FLASH_SECTOR - 1);
    uint64_t end = ((uint64_t)offset + size + FLASH_SECTOR - 1) & ~(uint64_t)(FLASH_SECTOR - 1);
    if (c->flash == NULL || end > sim_flash_size(c->flash))
        return -1;
    return sim_flash_erase(c->flash, start, (uint32_t)(end - start));
}

static void flash_begin(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, const uint8_t *data)
{
    struct rom_transfer t;
    rom_begin_transfer(&t, data);
    uint64_t written = (uint64_t)t.offset + (uint64_t)t.blocks * t.block_size;
    /* no flash attached, or a region past its end: "failed to act"
     * (assumption: the ROM checks against the size SPI_SET_PARAMS gave) */
    if (c->flash == NULL || written > sim_flash_size(c->flash) || rom_erase_region(c, t.offset, t.size) != 0) {
        s->flash.active = 0;
        return fail(s, c, o, ESP_FLASH_BEGIN, ESP_ERR_FAILED);
    }
    s->flash = t;
    s->defl = 0;
    ok(s, c, o, ESP_FLASH_BEGIN);
}

static void flash_data(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, const uint8_t *data,
                       size_t size)
{
    int e = s->defl ? ESP_ERR_INVALID_MSG : rom_block_error(&s->flash, data, size);
    if (e)
        return fail(s, c, o, ESP_FLASH_DATA, (uint8_t)e);
    uint32_t n = rom_le32(data);
    uint64_t at = (uint64_t)s->flash.offset + (uint64_t)s->flash.next_seq * s->flash.block_size;
    if (c->flash == NULL || at > UINT32_MAX || sim_flash_write(c->flash, (uint32_t)at, data + 16, n) != 0)
        return fail(s, c, o, ESP_FLASH_DATA, ESP_ERR_FLASH_WRITE);
    s->flash.next_seq++;
    ok(s, c, o, ESP_FLASH_DATA);
}

static void md5(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, const uint8_t *data)
{
    uint8_t d[16];
    if (c->flash == NULL || sim_flash_md5(c->flash, rom_le32(data), rom_le32(data + 4), d) != 0)
        return fail(s, c, o, ESP_SPI_FLASH_MD5, ESP_ERR_FAILED);
    char hex[MD5_HEX_LEN + 1];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    rom_reply(s, c, o, ESP_SPI_FLASH_MD5, s->last_value, (const uint8_t *)hex, MD5_HEX_LEN, 0, 0);
}

/* READ_FLASH_SLOW: offset, length (at most 64); the reply always carries
 * 64 bytes (esptool targets/esp32.py read_flash_slow: "command always
 * returns 64 byte buffer", BLOCK_LEN = 64, "ROM read limit per command"). */
#define READ_SLOW_LEN 64
static void read_slow(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, const uint8_t *data)
{
    uint8_t buf[READ_SLOW_LEN];
    uint32_t offset = rom_le32(data), n = rom_le32(data + 4);
    if (n > READ_SLOW_LEN)
        return fail(s, c, o, ESP_READ_FLASH_SLOW, ESP_ERR_INVALID_MSG); /* assumption: the ROM refuses more */
    if (c->flash == NULL || offset > sim_flash_size(c->flash) || READ_SLOW_LEN > sim_flash_size(c->flash) - offset ||
        sim_flash_read(c->flash, offset, buf, READ_SLOW_LEN) != 0)
        return fail(s, c, o, ESP_READ_FLASH_SLOW, ESP_ERR_FLASH_READ);
    rom_reply(s, c, o, ESP_READ_FLASH_SLOW, s->last_value, buf, READ_SLOW_LEN, 0, 0);
}

int rom_flash_command(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op,
                      const uint8_t *data, size_t size, uint32_t checksum)
{
    int is_data = op == ESP_MEM_DATA || op == ESP_FLASH_DATA || op == ESP_FLASH_DEFL_DATA;
    if (is_data && size >= 16 && !checksum_ok(data, size, checksum)) {
        fail(s, c, o, op, ESP_ERR_INVALID_CRC); /* "0x07: Invalid CRC in message", serial-protocol.rst */
        return 1;
    }
    if (op == ESP_MEM_BEGIN && size == 16) {
        rom_begin_transfer(&s->mem, data);
        ok(s, c, o, op);
    } else if (op == ESP_MEM_DATA && size >= 16) {
        int e = rom_block_error(&s->mem, data, size);
        if (e)
            fail(s, c, o, op, (uint8_t)e);
        else {
            s->mem.next_seq++; /* RAM is not modelled: the bytes are the stub's, which the sim knows */
            ok(s, c, o, op);
        }
    } else if (op == ESP_MEM_END && size == 8) {
        /* execute flag (0: jump), entry point (loader.py mem_finish packs
         * int(entrypoint == 0), entrypoint); the reply goes out first */
        ok(s, c, o, op);
        s->mem.active = 0;
        if (rom_le32(data) == 0)
            s->stub_running = 1;
    } else if (op == ESP_FLASH_BEGIN && (size == 16 || size == 20)) {
        flash_begin(s, c, o, data); /* 20: the C3 ROM's fifth word, "encrypted" (loader.py flash_begin) */
    } else if (op == ESP_FLASH_DATA && size >= 16) {
        flash_data(s, c, o, data, size);
    } else if (op == ESP_FLASH_END && size == 4) {
        s->flash.active = 0; /* reboot flag (0: run the app): the sim stays in the loader */
        ok(s, c, o, op);
    } else if (op == ESP_READ_FLASH_SLOW && size == 8 && c->chip->has_read_flash_slow) {
        read_slow(s, c, o, data);
    } else if (op == ESP_SPI_FLASH_MD5 && size == 16 && c->chip->has_md5) {
        md5(s, c, o, data);
    } else {
        return 0;
    }
    return 1;
}
