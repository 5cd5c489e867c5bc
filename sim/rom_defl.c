/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM's compressed flashing (rom.h): FLASH_DEFL_BEGIN erases the
 * region, FLASH_DEFL_DATA's blocks are one zlib stream the ROM inflates
 * onto the flash from the offset on, FLASH_DEFL_END closes it. Formats:
 * esptool loader.py flash_defl_begin (the ROM takes the erase size
 * rounded up to FLASH_WRITE_SIZE, then blocks, block size, offset, and on
 * the ESP32-C3 an "encrypted" word), flash_defl_block, flash_defl_finish;
 * serial-protocol.rst. The inflating is zlib's.
 * May call: sim/flash (the board's flash), zlib, libc. */
#include <stdlib.h>
#include <zlib.h>

#include "flash.h"
#include "rom_internal.h"

struct rom_inflate {
    z_stream z;
    int done; /* the stream's end was seen */
};

void rom_defl_free(struct rom_state *s)
{
    if (s->z != NULL) {
        inflateEnd(&s->z->z);
        free(s->z);
        s->z = NULL;
    }
}

static void reply(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op, uint8_t error)
{
    rom_reply(s, c, o, op, s->last_value, NULL, 0, error != 0, error);
}

static void defl_begin(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, const uint8_t *data)
{
    struct rom_transfer t;
    rom_begin_transfer(&t, data);
    rom_defl_free(s);
    s->flash.active = 0;
    if (rom_erase_region(c, t.offset, t.size) != 0)
        return reply(s, c, o, ESP_FLASH_DEFL_BEGIN, ESP_ERR_FAILED); /* as FLASH_BEGIN (rom_flash.c) */
    s->z = calloc(1, sizeof *s->z);
    if (s->z == NULL || inflateInit(&s->z->z) != Z_OK) {
        free(s->z);
        s->z = NULL;
        return reply(s, c, o, ESP_FLASH_DEFL_BEGIN, ESP_ERR_FAILED);
    }
    s->flash = t;
    s->defl = 1;
    s->defl_written = 0;
    reply(s, c, o, ESP_FLASH_DEFL_BEGIN, 0);
}

/* Inflates one block onto the flash: 0, or the error byte. The erase
 * region (the BEGIN's size) bounds what the stream may write. */
static int inflate_block(struct rom_state *s, const struct rom_ctx *c, const uint8_t *in, uint32_t n)
{
    enum { CHUNK = 4096 };
    uint8_t out[CHUNK];
    z_stream *z = &s->z->z;
    z->next_in = (Bytef *)in;
    z->avail_in = n;
    while (z->avail_in > 0 && !s->z->done) {
        z->next_out = out;
        z->avail_out = CHUNK;
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            return ESP_ERR_DEFLATE;
        uint32_t got = CHUNK - z->avail_out;
        if (got > s->flash.size - s->defl_written)
            return ESP_ERR_DEFLATE; /* more than the region it erased */
        if (got && sim_flash_write(c->flash, s->flash.offset + s->defl_written, out, got) != 0)
            return ESP_ERR_FLASH_WRITE;
        s->defl_written += got;
        s->z->done = rc == Z_STREAM_END;
        if (rc == Z_BUF_ERROR && got == 0)
            break;
    }
    return 0;
}

int rom_defl_command(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op,
                     const uint8_t *data, size_t size)
{
    if (op == ESP_FLASH_DEFL_BEGIN && (size == 16 || size == 20)) {
        defl_begin(s, c, o, data);
    } else if (op == ESP_FLASH_DEFL_DATA && size >= 16) {
        int e = !s->defl || s->z == NULL ? ESP_ERR_INVALID_MSG : rom_block_error(&s->flash, data, size);
        if (e == 0)
            e = inflate_block(s, c, data + 16, rom_le32(data));
        if (e == 0)
            s->flash.next_seq++;
        reply(s, c, o, op, (uint8_t)e);
    } else if (op == ESP_FLASH_DEFL_END && size == 4) {
        /* reboot flag (0: run the app): the sim stays in the loader */
        rom_defl_free(s);
        s->flash.active = 0;
        s->defl = 0;
        reply(s, c, o, op, 0);
    } else {
        return 0;
    }
    return 1;
}
