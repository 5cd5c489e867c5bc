/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The in-memory SPI NOR flash (sim/flash.h): erased 0xFF, programming ANDs,
 * erase sets 0xFF again, every access bounds-checked, MD5 against digests
 * known by heart (RFC 1321's test suite: MD5("") and MD5("abc")). */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/flash.h"

Test(flash, new_is_erased_and_sized)
{
    struct sim_flash *f = sim_flash_new(4u << 20);
    cr_assert_not_null(f);
    cr_assert_eq(sim_flash_size(f), 4194304u);
    uint8_t b[8];
    cr_assert_eq(sim_flash_read(f, 4194304u - 8, b, 8), 0);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(b[i], 0xFF);
    sim_flash_free(f);
    cr_assert_null(sim_flash_new(0));
    cr_assert_null(sim_flash_new(SIM_FLASH_MAX_BYTES + 1));
}

Test(flash, program_ands_and_erase_sets)
{
    struct sim_flash *f = sim_flash_new(1u << 20);
    /* 0xF0 then 0x3C: 0xF0 & 0x3C = 0x30; across a chunk boundary */
    uint32_t at = SIM_FLASH_CHUNK - 1;
    const uint8_t a[2] = {0xF0, 0xF0}, c[2] = {0x3C, 0x3C};
    cr_assert_eq(sim_flash_write(f, at, a, 2), 0);
    cr_assert_eq(sim_flash_write(f, at, c, 2), 0);
    uint8_t b[4];
    cr_assert_eq(sim_flash_read(f, at - 1, b, 4), 0);
    cr_assert_eq(b[0], 0xFF);
    cr_assert_eq(b[1], 0x30);
    cr_assert_eq(b[2], 0x30);
    cr_assert_eq(b[3], 0xFF);
    /* erase the first byte only, then the second chunk whole */
    cr_assert_eq(sim_flash_erase(f, at, 1), 0);
    cr_assert_eq(sim_flash_erase(f, SIM_FLASH_CHUNK, SIM_FLASH_CHUNK), 0);
    cr_assert_eq(sim_flash_read(f, at, b, 2), 0);
    cr_assert_eq(b[0], 0xFF);
    cr_assert_eq(b[1], 0xFF);
    sim_flash_free(f);
}

Test(flash, out_of_range_is_refused_and_changes_nothing)
{
    struct sim_flash *f = sim_flash_new(4096);
    uint8_t d[8] = {0};
    cr_assert_eq(sim_flash_write(f, 4090, d, 8), -1);
    cr_assert_eq(sim_flash_write(f, 0xFFFFFFFFu, d, 2), -1); /* offset + n wraps 32 bits */
    cr_assert_eq(sim_flash_read(f, 4089, d, 8), -1);
    cr_assert_eq(sim_flash_erase(f, 1, 4096), -1);
    uint8_t md[16];
    cr_assert_eq(sim_flash_md5(f, 0, 4097, md), -1);
    cr_assert_eq(sim_flash_read(f, 4088, d, 8), 0);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(d[i], 0xFF);
    sim_flash_free(f);
}

Test(flash, md5_of_known_strings)
{
    struct sim_flash *f = sim_flash_new(2u << 20);
    uint8_t md[16];
    /* MD5("") = d41d8cd98f00b204e9800998ecf8427e (RFC 1321 A.5) */
    const uint8_t empty[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                               0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    cr_assert_eq(sim_flash_md5(f, 100, 0, md), 0);
    cr_assert_arr_eq(md, empty, 16);
    /* MD5("abc") = 900150983cd24fb0d6963f7d28e17f72, written across a chunk edge */
    const uint8_t abc[16] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
                             0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72};
    cr_assert_eq(sim_flash_write(f, SIM_FLASH_CHUNK - 2, (const uint8_t *)"abc", 3), 0);
    cr_assert_eq(sim_flash_md5(f, SIM_FLASH_CHUNK - 2, 3, md), 0);
    cr_assert_arr_eq(md, abc, 16);
    /* erased bytes hash as 0xFF: the MD5 of 1 MiB of never-written flash equals that of
     * 1 MiB written as 0xFF */
    uint8_t md_ff[16];
    cr_assert_eq(sim_flash_md5(f, 1u << 20, 1u << 20, md), 0);
    static uint8_t ff[1u << 20];
    memset(ff, 0xFF, sizeof ff);
    struct sim_flash *g = sim_flash_new(1u << 20);
    cr_assert_eq(sim_flash_write(g, 0, ff, sizeof ff), 0);
    cr_assert_eq(sim_flash_md5(g, 0, 1u << 20, md_ff), 0);
    cr_assert_arr_eq(md, md_ff, 16);
    sim_flash_free(g);
    sim_flash_free(f);
}
