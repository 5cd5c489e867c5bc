/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub's READ_FLASH flow (esptool-legacy-flasher-stub
 * stub_commands.c handle_flash_read; esptool loader.py read_flash): the
 * reply, then data frames of the block size while fewer than max_in_flight
 * bytes are unacknowledged, the host's 4-byte ACKs (bytes received so far),
 * then the 16-byte MD5 of what was sent. And bad input to every command. */
#include <glib.h>
#include <zlib.h>

#include "stub_fixture.h"

enum { LEN = 65536, BLK = 4096 };

static void fill(struct fix *x, uint8_t *data)
{
    for (size_t i = 0; i < LEN; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 8)); /* includes 0xC0 and 0xDB: escaped on the wire */
    cr_assert_eq(sim_flash_write(x->f, 0x10000, data, LEN), 0);
}

static void read_cmd(struct fix *x, uint32_t off, uint32_t len, uint32_t bs, uint32_t window)
{
    uint8_t d[16];
    put_le32(d, off);
    put_le32(d + 4, len);
    put_le32(d + 8, bs);
    put_le32(d + 12, window);
    fix_cmd(x, STUB_READ_FLASH, d, 16, 0);
}

static void ack(struct fix *x, uint32_t n)
{
    uint8_t a[4];
    put_le32(a, n);
    fix_send_raw(x, a, 4, 4096);
}

/* Frames waiting in x->out (not yet decoded). */
static int frames_waiting(struct fix *x)
{
    size_t pos = x->pos, fl;
    int k = 0;
    while (slip_next_frame(x->out, x->n, &pos, x->frame, sizeof x->frame, &fl) == 1)
        k++;
    return k;
}

Test(stub_read, sixty_four_kib_round_trip_with_acks)
{
    struct fix x;
    fix_open(&x);
    static uint8_t data[LEN], got[LEN];
    fill(&x, data);
    /* window 8192 bytes: two 4 KiB blocks out before the first ACK (esptool sends 64,
     * esptool-js 1024: one block at a time) */
    read_cmd(&x, 0x10000, LEN, BLK, 2 * BLK);
    fix_reply(&x, STUB_READ_FLASH, 0, 0);
    cr_assert_eq(frames_waiting(&x), 2);
    size_t got_n = 0;
    while (got_n < LEN) {
        fix_next(&x);
        cr_assert_eq(x.fl, (size_t)BLK);
        memcpy(got + got_n, x.frame, BLK);
        got_n += BLK;
        ack(&x, (uint32_t)got_n);
    }
    cr_assert_arr_eq(got, data, LEN);
    fix_next(&x); /* the digest, once all 65,536 bytes are acknowledged */
    cr_assert_eq(x.fl, 16u);
    uint8_t want[16];
    GChecksum *c = g_checksum_new(G_CHECKSUM_MD5);
    g_checksum_update(c, data, LEN);
    gsize dl = 16;
    g_checksum_get_digest(c, want, &dl);
    g_checksum_free(c);
    cr_assert_arr_eq(x.frame, want, 16);
    fix_no_more(&x);
    /* back to commands */
    uint8_t a[4];
    put_le32(a, 0x40001000u);
    fix_cmd(&x, ESP_READ_REG, a, 4, 0);
    fix_reply(&x, ESP_READ_REG, 0x00F01D83u, 0);
    fix_close(&x);
}

Test(stub_read, small_output_buffer_gets_everything_through_stub_more)
{
    struct fix x;
    fix_open(&x);
    static uint8_t data[LEN];
    fill(&x, data);
    uint8_t d[16];
    put_le32(d, 0x10000);
    put_le32(d + 4, 2 * BLK);
    put_le32(d + 8, BLK);
    put_le32(d + 12, 2 * BLK);
    uint8_t f[ESP_HEADER_LEN + 16] = {0x00, STUB_READ_FLASH, 16, 0};
    memcpy(f + ESP_HEADER_LEN, d, 16);
    fix_send_raw(&x, f, sizeof f, 7); /* 7 bytes at a time */
    fix_reply(&x, STUB_READ_FLASH, 0, 0);
    fix_next(&x);
    cr_assert_arr_eq(x.frame, data, BLK);
    fix_next(&x);
    cr_assert_arr_eq(x.frame, data + BLK, BLK);
    fix_close(&x);
}

Test(stub_read, acks_out_of_order_short_or_too_far)
{
    struct fix x;
    fix_open(&x);
    static uint8_t data[LEN];
    fill(&x, data);
    read_cmd(&x, 0x10000, LEN, BLK, BLK);
    fix_reply(&x, STUB_READ_FLASH, 0, 0);
    fix_next(&x);
    ack(&x, BLK);
    fix_next(&x);
    /* an ACK going backwards: sent - acked = 8192 ≥ window, nothing more goes */
    ack(&x, 0);
    cr_assert_eq(frames_waiting(&x), 0);
    /* an ACK beyond what was sent ends the loop: the digest of the 8192 bytes sent */
    ack(&x, 3 * BLK);
    fix_next(&x);
    cr_assert_eq(x.fl, 16u);
    fix_no_more(&x);
    /* a second read ended by a 2-byte frame (SLIP_recv gives < 4 bytes) */
    read_cmd(&x, 0, LEN, BLK, BLK);
    fix_reply(&x, STUB_READ_FLASH, 0, 0);
    fix_next(&x);
    uint8_t two[2] = {0, 0x10};
    fix_send_raw(&x, two, 2, 4096);
    fix_next(&x);
    cr_assert_eq(x.fl, 16u);
    /* block size over 4096: the reply, then nothing (handle_flash_read returns) */
    read_cmd(&x, 0, LEN, 2 * BLK, BLK);
    fix_reply(&x, STUB_READ_FLASH, 0, 0);
    fix_no_more(&x);
    /* past the flash's end: the SPI read fails, the digest of nothing */
    read_cmd(&x, FIX_FLASH - BLK, 2 * BLK, BLK, 2 * BLK);
    fix_reply(&x, STUB_READ_FLASH, 0, 0);
    fix_next(&x);
    cr_assert_eq(x.fl, (size_t)BLK);
    fix_next(&x);
    cr_assert_eq(x.fl, 16u);
    fix_no_more(&x);
    fix_close(&x);
}

/* ---- bad input ---- */

Test(stub_bad, data_without_begin_bad_checksum_bad_length_any_sequence)
{
    struct fix x;
    fix_open(&x);
    uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    fix_data(&x, ESP_FLASH_DATA, b, 8, 0);
    fix_reply(&x, ESP_FLASH_DATA, 0, STUB_ERR_NOT_IN_FLASH_MODE);
    fix_cmd(&x, STUB_FLASH_END, (const uint8_t[4]){1}, 4, 0);
    fix_reply(&x, STUB_FLASH_END, 0, STUB_ERR_NOT_IN_FLASH_MODE);
    fix_begin(&x, STUB_FLASH_BEGIN, 16, 2, 8, 0);
    fix_reply(&x, STUB_FLASH_BEGIN, 0, 0);
    /* checksum: 0xEF ^ 1^2^...^8 = 0xEF ^ 0x08 = 0xE7; send 0xE6 */
    uint8_t d[24] = {8, 0, 0, 0, 0};
    memcpy(d + 16, b, 8);
    fix_cmd(&x, ESP_FLASH_DATA, d, 24, 0xE6);
    fix_reply(&x, ESP_FLASH_DATA, 0, STUB_ERR_BAD_DATA_CHECKSUM);
    fix_cmd(&x, ESP_FLASH_DATA, d, 24, 0x1E7); /* high bits set: the stub compares all 32 */
    fix_reply(&x, ESP_FLASH_DATA, 0, STUB_ERR_BAD_DATA_CHECKSUM);
    d[0] = 9; /* length word 9, 8 bytes follow */
    fix_cmd(&x, ESP_FLASH_DATA, d, 24, 0xE7);
    fix_reply(&x, ESP_FLASH_DATA, 0, STUB_ERR_BAD_DATA_LEN);
    fix_cmd(&x, ESP_FLASH_DATA, d, 10, 0); /* shorter than its 16-byte header */
    fix_reply(&x, ESP_FLASH_DATA, 0, STUB_ERR_BAD_DATA_LEN);
    /* sequence numbers are not checked by the stub: 5 then 3 both land in order of arrival */
    fix_data(&x, ESP_FLASH_DATA, b, 8, 5);
    fix_reply(&x, ESP_FLASH_DATA, 0, 0);
    fix_data(&x, ESP_FLASH_DATA, b, 8, 3);
    fix_reply(&x, ESP_FLASH_DATA, 0, 0);
    uint8_t back[16];
    cr_assert_eq(sim_flash_read(x.f, 0, back, 16), 0);
    cr_assert_arr_eq(back, b, 8);
    cr_assert_arr_eq(back + 8, b, 8);
    fix_begin(&x, STUB_FLASH_BEGIN, 16, 1, 0x4001, 0); /* block over MAX_WRITE_BLOCK */
    fix_reply(&x, STUB_FLASH_BEGIN, 0, STUB_ERR_BAD_BLOCKSIZE);
    fix_close(&x);
}

Test(stub_bad, write_past_the_end_fails_on_the_next_command)
{
    struct fix x;
    fix_open(&x);
    static uint8_t b[0x2000];
    memset(b, 0x11, sizeof b);
    fix_begin(&x, STUB_FLASH_BEGIN, 0x4000, 2, 0x2000, FIX_FLASH - 0x2000);
    fix_reply(&x, STUB_FLASH_BEGIN, 0, 0);
    fix_data(&x, ESP_FLASH_DATA, b, 0x2000, 0); /* the last 8 KiB: fine */
    fix_reply(&x, ESP_FLASH_DATA, 0, 0);
    fix_data(&x, ESP_FLASH_DATA, b, 0x2000, 1); /* acknowledged, then its write fails */
    fix_reply(&x, ESP_FLASH_DATA, 0, 0);
    fix_data(&x, ESP_FLASH_DATA, b, 0x2000, 2);
    fix_reply(&x, ESP_FLASH_DATA, 0, STUB_ERR_FAILED_SPI_OP);
    fix_cmd(&x, STUB_FLASH_END, (const uint8_t[4]){1}, 4, 0); /* 8 KiB never written */
    fix_reply(&x, STUB_FLASH_END, 0, STUB_ERR_NOT_ENOUGH_DATA);
    uint8_t md[16] = {0};
    put_le32(md, FIX_FLASH - 16);
    put_le32(md + 4, 32);
    fix_cmd(&x, STUB_SPI_FLASH_MD5, md, 16, 0);
    /* size says 18, the digest never comes: handle_flash_get_md5sum's 0x63, `||` → 1 */
    fix_next(&x);
    const uint8_t want[10] = {0x01, 0x13, 0x12, 0x00, 0, 0, 0, 0, 0x01, 0x00};
    cr_assert_eq(x.fl, 10u);
    cr_assert_arr_eq(x.frame, want, 10);
    fix_close(&x);
}

Test(stub_bad, corrupt_deflate_stream)
{
    struct fix x;
    fix_open(&x);
    uint8_t junk[64];
    for (int i = 0; i < 64; i++)
        junk[i] = (uint8_t)(0x55 ^ i * 31);
    junk[0] = 0x78; /* a zlib header, then garbage */
    junk[1] = 0x9C;
    fix_begin(&x, STUB_FLASH_DEFL_BEGIN, 4096, 2, 64, 0);
    fix_reply(&x, STUB_FLASH_DEFL_BEGIN, 0, 0);
    fix_data(&x, ESP_FLASH_DEFL_DATA, junk, 64, 0);
    fix_reply(&x, ESP_FLASH_DEFL_DATA, 0, 0); /* acknowledged before it is inflated */
    fix_data(&x, ESP_FLASH_DEFL_DATA, junk, 64, 1);
    fix_reply(&x, ESP_FLASH_DEFL_DATA, 0, STUB_ERR_INFLATE_ERROR);
    fix_cmd(&x, STUB_FLASH_DEFL_END, (const uint8_t[4]){1}, 4, 0);
    fix_reply(&x, STUB_FLASH_DEFL_END, 0, STUB_ERR_NOT_ENOUGH_DATA);
    fix_close(&x);
}

Test(stub_bad, one_mib_frame_and_short_frames)
{
    struct fix x;
    fix_open(&x);
    uint8_t *big = calloc(1, 1u << 20);
    big[1] = ESP_FLASH_DATA;
    big[2] = 0xFF; /* size field 0xFFFF > MAX_WRITE_BLOCK + 16 */
    big[3] = 0xFF;
    fix_send_raw(&x, big, 1u << 20, 4096);
    free(big);
    fix_next(&x); /* 01 03 02 00 00000000 C0 EE */
    const uint8_t want[10] = {0x01, 0x03, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0xEE};
    cr_assert_eq(x.fl, 10u);
    cr_assert_arr_eq(x.frame, want, 10);
    fix_no_more(&x);
    uint8_t tiny[1] = {0};
    fix_send_raw(&x, tiny, 1, 4096); /* op 0: not implemented */
    fix_reply(&x, 0x00, 0, STUB_ERR_CMD_NOT_IMPLEMENTED);
    fix_send_raw(&x, tiny, 0, 4096);
    fix_reply(&x, 0x00, 0, STUB_ERR_CMD_NOT_IMPLEMENTED);
    fix_close(&x);
}

Test(stub_bad, deflate_bomb_is_bounded_by_the_declared_size)
{
    struct fix x;
    fix_open(&x);
    /* 1 MiB of zeros compresses to about 1 KiB; declare 4 KiB: the rest is TOO_MUCH/trimmed */
    static uint8_t zeros[1u << 20], z[8192];
    uLongf zn = sizeof z;
    cr_assert_eq(compress2(z, &zn, zeros, sizeof zeros, 9), Z_OK);
    cr_assert_leq(zn, 0x4000u);
    fix_begin(&x, STUB_FLASH_DEFL_BEGIN, 4096, 1, 0x4000, 0);
    fix_reply(&x, STUB_FLASH_DEFL_BEGIN, 0, 0);
    fix_data(&x, ESP_FLASH_DEFL_DATA, z, zn, 0);
    fix_reply(&x, ESP_FLASH_DEFL_DATA, 0, 0);
    uint8_t b[2];
    cr_assert_eq(sim_flash_read(x.f, 4095, b, 2), 0);
    cr_assert_eq(b[0], 0x00);
    cr_assert_eq(b[1], 0xFF); /* nothing past the declared 4096 bytes */
    fix_data(&x, ESP_FLASH_DEFL_DATA, z, 16, 1); /* more after the end */
    fix_reply(&x, ESP_FLASH_DEFL_DATA, 0, 0);
    fix_data(&x, ESP_FLASH_DEFL_DATA, z, 16, 2);
    fix_reply(&x, ESP_FLASH_DEFL_DATA, 0, STUB_ERR_TOO_MUCH_DATA);
    fix_close(&x);
}
