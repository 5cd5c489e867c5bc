/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub's commands (sim/stub.h) against hand-built frames: each
 * expected reply is written out byte by byte from
 * esptool-legacy-flasher-stub's cmd_loop (01, op, size 02 00, value, then
 * the error byte and a 0), the writes checked in the flash itself. READ_FLASH:
 * test_stub_read.c. */
#include <glib.h>
#include <zlib.h>

#include "stub_fixture.h"

Test(stub, hello_is_ohai_in_one_frame)
{
    uint8_t b[16];
    /* C0 'O' 'H' 'A' 'I' C0 (serial-protocol.rst: 0xC0 0x4F 0x48 0x41 0x49 0xC0) */
    const uint8_t want[] = {0xC0, 0x4F, 0x48, 0x41, 0x49, 0xC0};
    cr_assert_eq(stub_hello(b, sizeof b), 6u);
    cr_assert_arr_eq(b, want, 6);
    cr_assert_eq(stub_hello(b, 5), 0u);
}

Test(stub, sync_read_reg_write_reg_attach_params)
{
    struct fix x;
    fix_open(&x);
    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    fix_cmd(&x, ESP_SYNC, sync, 36, 0);
    for (int i = 0; i < 8; i++) /* eight replies, value 0 ("the flasher stub sends 0") */
        fix_reply(&x, ESP_SYNC, 0, 0);
    fix_no_more(&x);
    uint8_t a[4];
    put_le32(a, 0x40001000u);
    fix_cmd(&x, ESP_READ_REG, a, 4, 0);
    fix_reply(&x, ESP_READ_REG, 0x00F01D83u, 0);
    fix_cmd(&x, ESP_READ_REG, a, 3, 0);
    fix_reply(&x, ESP_READ_REG, 0, STUB_ERR_BAD_DATA_LEN);
    uint8_t w[32] = {0};
    fix_cmd(&x, ESP_WRITE_REG, w, 32, 0); /* two writes of 16 bytes each */
    fix_reply(&x, ESP_WRITE_REG, 0, 0);
    fix_cmd(&x, ESP_WRITE_REG, w, 12, 0);
    fix_reply(&x, ESP_WRITE_REG, 0, STUB_ERR_BAD_DATA_LEN);
    fix_cmd(&x, STUB_SPI_ATTACH, w, 4, 0); /* esptool sends 4 bytes to the stub (flash_spi_attach) */
    fix_reply(&x, STUB_SPI_ATTACH, 0, 0);
    fix_cmd(&x, STUB_SPI_ATTACH, w, 8, 0); /* the ROM's 8: verify_data_len || ... = 1 */
    fix_reply(&x, STUB_SPI_ATTACH, 0, 0x01);
    fix_cmd(&x, STUB_SPI_SET_PARAMS, w, 24, 0);
    fix_reply(&x, STUB_SPI_SET_PARAMS, 0, 0);
    fix_cmd(&x, 0x42, NULL, 0, 0); /* no such command */
    fix_reply(&x, 0x42, 0, STUB_ERR_CMD_NOT_IMPLEMENTED);
    fix_no_more(&x);
    fix_close(&x);
}

Test(stub, change_baudrate_after_its_reply)
{
    struct fix x;
    fix_open(&x);
    uint8_t d[8];
    put_le32(d, 921600);
    put_le32(d + 4, 115200);
    fix_cmd(&x, STUB_CHANGE_BAUDRATE, d, 8, 0);
    fix_reply(&x, STUB_CHANGE_BAUDRATE, 0, 0);
    cr_assert_eq(x.baud, 921600u);
    put_le32(d, 460800);
    fix_cmd(&x, STUB_CHANGE_BAUDRATE, d, 4, 0);
    fix_reply(&x, STUB_CHANGE_BAUDRATE, 0, STUB_ERR_BAD_DATA_LEN);
    cr_assert_eq(x.baud, 921600u);
    fix_close(&x);
}

/* 6 KiB of text-like bytes: compressible, not trivially so. */
static void make_data(uint8_t *d, size_t n)
{
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        d[i] = (uint8_t)('a' + (r >> 16) % 8);
    }
}

static void md5_of(const uint8_t *d, size_t n, uint8_t out[16])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_MD5);
    g_checksum_update(c, d, n);
    gsize dl = 16;
    g_checksum_get_digest(c, out, &dl);
    g_checksum_free(c);
}

Test(stub, write_flash_deflated_then_md5)
{
    struct fix x;
    fix_open(&x);
    enum { N = 6144, OFF = 0x10000, BS = 1024 };
    static uint8_t data[N], z[2 * N];
    make_data(data, N);
    uLongf zn = sizeof z;
    cr_assert_eq(compress2(z, &zn, data, N, 9), Z_OK);
    uint32_t blocks = (uint32_t)((zn + BS - 1) / BS);
    cr_assert_geq(blocks, 2u, "the stream must span blocks (%lu bytes)", (unsigned long)zn);
    /* esptool's flash_defl_begin for the stub: uncompressed size, blocks, block size, offset */
    fix_begin(&x, STUB_FLASH_DEFL_BEGIN, N, blocks, BS, OFF);
    fix_reply(&x, STUB_FLASH_DEFL_BEGIN, 0, 0);
    for (uint32_t i = 0; i < blocks; i++) {
        size_t n = zn - i * BS < BS ? zn - i * BS : BS;
        fix_data(&x, ESP_FLASH_DEFL_DATA, z + i * BS, n, i);
        fix_reply(&x, ESP_FLASH_DEFL_DATA, 0, 0);
    }
    uint8_t md[16] = {0};
    put_le32(md, OFF);
    put_le32(md + 4, N);
    fix_cmd(&x, STUB_SPI_FLASH_MD5, md, 16, 0);
    /* 01 13 12 00 | 00000000 | 16 raw digest bytes | 00 00 (the ROM sends 32 hex characters) */
    fix_next(&x);
    cr_assert_eq(x.fl, 8u + 18u);
    const uint8_t head[8] = {0x01, 0x13, 0x12, 0x00, 0, 0, 0, 0};
    cr_assert_arr_eq(x.frame, head, 8);
    uint8_t want[16];
    md5_of(data, N, want);
    cr_assert_arr_eq(x.frame + 8, want, 16);
    cr_assert_eq(x.frame[24], 0);
    cr_assert_eq(x.frame[25], 0);
    /* the bytes themselves, and the erased bytes around them */
    static uint8_t back[N + 2];
    cr_assert_eq(sim_flash_read(x.f, OFF - 1, back, N + 2), 0);
    cr_assert_eq(back[0], 0xFF);
    cr_assert_arr_eq(back + 1, data, N);
    cr_assert_eq(back[N + 1], 0xFF);
    uint8_t end[4] = {1, 0, 0, 0}; /* flash_defl_finish(reboot=False): 1 */
    fix_cmd(&x, STUB_FLASH_DEFL_END, end, 4, 0);
    fix_reply(&x, STUB_FLASH_DEFL_END, 0, 0);
    fix_close(&x);
}

Test(stub, flash_begin_erases_what_it_writes_and_erase_region)
{
    struct fix x;
    fix_open(&x);
    uint8_t zero[8] = {0};
    cr_assert_eq(sim_flash_write(x.f, 0x3000, zero, 8), 0); /* old bytes 0x00 */
    uint8_t blk[4] = {0xA5, 0x5A, 0xFF, 0x0F};
    fix_begin(&x, STUB_FLASH_BEGIN, 4, 1, 0x4000, 0x3000);
    fix_reply(&x, STUB_FLASH_BEGIN, 0, 0);
    fix_data(&x, ESP_FLASH_DATA, blk, 4, 0);
    fix_reply(&x, ESP_FLASH_DATA, 0, 0);
    uint8_t b[8];
    cr_assert_eq(sim_flash_read(x.f, 0x3000, b, 8), 0);
    cr_assert_arr_eq(b, blk, 4); /* sector erased first: not 0x00 & blk */
    cr_assert_eq(b[4], 0xFF);
    uint8_t end[4] = {1, 0, 0, 0};
    fix_cmd(&x, STUB_FLASH_END, end, 4, 0);
    fix_reply(&x, STUB_FLASH_END, 0, 0);
    /* ERASE_REGION 0x3000 + 4096: 0xFF again; unaligned: handle_flash_erase 0x32 → `||` → 1 */
    uint8_t er[8];
    put_le32(er, 0x3000);
    put_le32(er + 4, 4096);
    fix_cmd(&x, STUB_ERASE_REGION, er, 8, 0);
    fix_reply(&x, STUB_ERASE_REGION, 0, 0);
    cr_assert_eq(sim_flash_read(x.f, 0x3000, b, 4), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(b[i], 0xFF);
    put_le32(er, 0x3001);
    fix_cmd(&x, STUB_ERASE_REGION, er, 8, 0);
    fix_reply(&x, STUB_ERASE_REGION, 0, 0x01);
    put_le32(er, FIX_FLASH);
    fix_cmd(&x, STUB_ERASE_REGION, er, 8, 0); /* past the end */
    fix_reply(&x, STUB_ERASE_REGION, 0, 0x01);
    /* ERASE_FLASH: everything 0xFF */
    cr_assert_eq(sim_flash_write(x.f, FIX_FLASH - 1, zero, 1), 0);
    fix_cmd(&x, STUB_ERASE_FLASH, NULL, 0, 0);
    fix_reply(&x, STUB_ERASE_FLASH, 0, 0);
    cr_assert_eq(sim_flash_read(x.f, FIX_FLASH - 1, b, 1), 0);
    cr_assert_eq(b[0], 0xFF);
    fix_close(&x);
}

/* A register file of one word at 0x3FF42000, for the hooks. */
struct one_reg {
    uint32_t addr, value;
    int writes;
};

static uint32_t one_read(void *ctx, uint32_t addr)
{
    struct one_reg *r = ctx;
    return addr == r->addr ? r->value : 0xDEAD0000u;
}

static void one_write(void *ctx, uint32_t addr, uint32_t value)
{
    struct one_reg *r = ctx;
    if (addr == r->addr)
        r->value = value;
    r->writes++;
}

Test(stub, read_reg_and_write_reg_reach_the_register_hooks)
{
    struct fix x;
    fix_open(&x);
    struct one_reg r = {0x3FF42000u, 0x12345678u, 0};
    const struct stub_regs regs = {one_read, one_write, &r};
    stub_set_regs(x.s, &regs);
    uint8_t a[4];
    put_le32(a, 0x3FF42000u);
    fix_cmd(&x, ESP_READ_REG, a, 4, 0);
    fix_reply(&x, ESP_READ_REG, 0x12345678u, 0);
    /* value 0x0000AB00 under mask 0x0000FF00: (0x12345678 & ~0xFF00) | 0xAB00 = 0x1234AB78;
     * then the whole word (mask 0xFFFFFFFF) 0xCAFEF00D */
    uint8_t w[32];
    put_le32(w, 0x3FF42000u);
    put_le32(w + 4, 0x0000AB00u);
    put_le32(w + 8, 0x0000FF00u);
    put_le32(w + 12, 0);
    fix_cmd(&x, ESP_WRITE_REG, w, 16, 0);
    fix_reply(&x, ESP_WRITE_REG, 0, 0);
    cr_assert_eq(r.value, 0x1234AB78u);
    put_le32(w + 16, 0x3FF42000u);
    put_le32(w + 20, 0xCAFEF00Du);
    put_le32(w + 24, 0xFFFFFFFFu);
    put_le32(w + 28, 0);
    fix_cmd(&x, ESP_WRITE_REG, w + 16, 16, 0);
    fix_reply(&x, ESP_WRITE_REG, 0, 0);
    cr_assert_eq(r.value, 0xCAFEF00Du);
    cr_assert_eq(r.writes, 2);
    fix_close(&x);
}
