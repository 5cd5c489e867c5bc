/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the ROM's files share (rom_frame.c: frames and replies; rom_regs.c: the
 * register file; rom_flash.c: MEM and FLASH transfers; rom_defl.c: compressed ones). Used only by
 * sim/rom*.c. */
#ifndef RESETLAB_SIM_ROM_INTERNAL_H
#define RESETLAB_SIM_ROM_INTERNAL_H

#include "rom.h"

static inline uint32_t rom_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where a reply goes: out[*k, cap). */
struct rom_out {
    uint8_t *buf;
    size_t cap, k;
    int full; /* a reply did not fit */
};

/* One response frame: `data` (dlen bytes, may be NULL when 0) then the
 * chip's status bytes (status, error, zeros). */
void rom_reply(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op, uint32_t value,
               const uint8_t *data, size_t dlen, uint8_t status, uint8_t error);

/* ---- rom_flash.c: MEM_BEGIN/DATA/END, FLASH_BEGIN/DATA/END, SPI_FLASH_MD5 ---- */
/* 1 when op is one of them (answered into o), 0 when not. */
int rom_flash_command(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op,
                      const uint8_t *data, size_t size, uint32_t checksum);

/* ---- rom_defl.c: FLASH_DEFL_BEGIN/DATA/END (zlib) ---- */
/* 1 when op is one of them (answered into o), 0 when not. */
int rom_defl_command(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op,
                     const uint8_t *data, size_t size);
void rom_defl_free(struct rom_state *s);
/* The shared parts of rom_flash.c that rom_defl.c uses. */
void rom_begin_transfer(struct rom_transfer *t, const uint8_t *data);
int rom_block_error(const struct rom_transfer *t, const uint8_t *data, size_t size);
/* Erases [offset, offset + size) rounded out to sectors: 0, or -1 (no flash, out of range). */
int rom_erase_region(const struct rom_ctx *c, uint32_t offset, uint32_t size);

#endif
