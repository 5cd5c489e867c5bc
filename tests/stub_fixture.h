/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stub suites' shared helpers (test_stub_cmds.c, test_stub_read.c): a
 * session over a 1 MiB flash, hand-built request frames (header 00, op,
 * LE16 size, LE32 checksum, data; serial-protocol.rst "Command Packet"),
 * and the replies decoded back into frames. */
#ifndef RESETLAB_STUB_FIXTURE_H
#define RESETLAB_STUB_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/slip.h"
#include "sim/stub.h"

#define FIX_FLASH (1u << 20)
#define FIX_OUT (256u << 10)

struct fix {
    struct stub_session *s;
    struct sim_flash *f;
    struct rom_chip chip;
    uint8_t *out;  /* every reply byte so far, SLIP-encoded */
    size_t n, pos; /* bytes in out; next frame to decode */
    uint32_t baud;
    uint8_t frame[ESP_MAX_PACKET];
    size_t fl;
};

static inline void fix_open(struct fix *x)
{
    memset(x, 0, sizeof *x);
    x->s = stub_new();
    x->f = sim_flash_new(FIX_FLASH);
    x->chip.magic = 0x00F01D83u; /* ESP32 (esptool targets/esp32.py CHIP_DETECT_MAGIC_VALUE) */
    x->out = malloc(FIX_OUT);
    x->baud = 115200;
    cr_assert(x->s != NULL && x->f != NULL && x->out != NULL);
}

static inline void fix_close(struct fix *x)
{
    stub_free(x->s);
    sim_flash_free(x->f);
    free(x->out);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Sends one decoded frame; appends the replies (small `cap` pieces, then
 * stub_more until it has nothing) to x->out. */
static inline void fix_send_raw(struct fix *x, const uint8_t *frame, size_t n, size_t cap)
{
    cr_assert_leq(x->n + cap, FIX_OUT);
    size_t k = stub_answer(x->s, x->f, &x->chip, frame, n, x->out + x->n, cap, &x->baud);
    x->n += k;
    for (;;) {
        cr_assert_leq(x->n + cap, FIX_OUT);
        k = stub_more(x->s, x->f, x->out + x->n, cap);
        if (k == 0)
            break;
        x->n += k;
    }
}

/* A command: op, data, checksum. */
static inline void fix_cmd(struct fix *x, uint8_t op, const uint8_t *data, size_t dn, uint32_t chk)
{
    static uint8_t f[ESP_HEADER_LEN + 0x10000];
    f[0] = ESP_DIR_REQUEST;
    f[1] = op;
    f[2] = (uint8_t)dn;
    f[3] = (uint8_t)(dn >> 8);
    put_le32(f + 4, chk);
    if (dn > 0)
        memcpy(f + ESP_HEADER_LEN, data, dn);
    fix_send_raw(x, f, ESP_HEADER_LEN + dn, 4096);
}

/* The next reply frame, decoded into x->frame / x->fl. */
static inline void fix_next(struct fix *x)
{
    cr_assert_eq(slip_next_frame(x->out, x->n, &x->pos, x->frame, sizeof x->frame, &x->fl), 1,
                 "no further reply frame");
}

/* The next frame is the stub's reply to `op`: 01 op 02 00 value, error, 0. */
static inline void fix_reply(struct fix *x, uint8_t op, uint32_t value, uint8_t error)
{
    fix_next(x);
    cr_assert_eq(x->fl, 10u, "reply to 0x%02X is %zu bytes", op, x->fl);
    const uint8_t want[10] = {0x01, op, 0x02, 0x00, (uint8_t)value, (uint8_t)(value >> 8),
                              (uint8_t)(value >> 16), (uint8_t)(value >> 24), error, 0x00};
    cr_assert_arr_eq(x->frame, want, 10, "reply to 0x%02X: error %02X, wanted %02X", op, x->frame[8], error);
}

static inline void fix_no_more(struct fix *x)
{
    size_t fl;
    cr_assert_eq(slip_next_frame(x->out, x->n, &x->pos, x->frame, sizeof x->frame, &fl), 0, "a reply too many");
}

/* FLASH_(DEFL_)DATA: LE32 size, seq, 0, 0, then the block; checksum = XOR seeded 0xEF. */
static inline void fix_data(struct fix *x, uint8_t op, const uint8_t *b, size_t n, uint32_t seq)
{
    static uint8_t d[16 + 0x4000];
    cr_assert_leq(n, 0x4000u);
    memset(d, 0, 16);
    put_le32(d, (uint32_t)n);
    put_le32(d + 4, seq);
    memcpy(d + 16, b, n);
    fix_cmd(x, op, d, 16 + n, esp_checksum(b, n));
}

/* FLASH_(DEFL_)BEGIN: size, blocks, block size, offset. */
static inline void fix_begin(struct fix *x, uint8_t op, uint32_t size, uint32_t blocks, uint32_t bs, uint32_t off)
{
    uint8_t d[16];
    put_le32(d, size);
    put_le32(d + 4, blocks);
    put_le32(d + 8, bs);
    put_le32(d + 12, off);
    fix_cmd(x, op, d, 16, 0);
}

#endif
