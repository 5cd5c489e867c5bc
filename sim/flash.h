/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The in-memory SPI NOR flash of one board (iface20): erased bytes read
 * 0xFF, programming can only clear bits (new = old & data, as NOR flash
 * programs: a page program moves bits from 1 to 0 and only an erase sets
 * them back), every access bounds-checked. Memory is taken lazily, one
 * SIM_FLASH_CHUNK at a time on its first write, so a 16 MB board that was
 * never written costs a pointer table. The size comes from the caller
 * (boards.yaml's `flash: {size: ...}`, read by the rom helper's loader).
 */
#ifndef RESETLAB_SIM_FLASH_H
#define RESETLAB_SIM_FLASH_H

#include <stdint.h>

/* Largest flash sim_flash_new accepts: 128 MiB, 8× the 16 MB that the
 * ESP32's flash_size choices end at (esptool/targets/esp32.py
 * ESP32ROM.FLASH_SIZES); a limit on memory, not a chip fact. */
#define SIM_FLASH_MAX_BYTES (128u << 20)
/* Allocation unit: 64 KiB, the NOR block that esptool's stub erases at once
 * (esptool-legacy-flasher-stub flasher_stub/include/stub_flasher.h
 * FLASH_BLOCK_SIZE). */
#define SIM_FLASH_CHUNK (64u << 10)

struct sim_flash;
/* Erased (0xFF); no big allocation until the first write. NULL when
 * size_bytes is 0, over SIM_FLASH_MAX_BYTES, or memory ran out. */
struct sim_flash *sim_flash_new(uint32_t size_bytes);
void sim_flash_free(struct sim_flash *f);
uint32_t sim_flash_size(const struct sim_flash *f);
/* Bytes [offset, offset+len) to 0xFF; 0, or -1 when out of range (nothing changed). */
int sim_flash_erase(struct sim_flash *f, uint32_t offset, uint32_t len);
/* NOR programming: new = old & d; 0, or -1 out of range or out of memory (nothing changed). */
int sim_flash_write(struct sim_flash *f, uint32_t offset, const uint8_t *d, uint32_t n);
/* 0, or -1 out of range. */
int sim_flash_read(const struct sim_flash *f, uint32_t offset, uint8_t *out, uint32_t n);
/* MD5 of [offset, offset+len) (GLib's GChecksum); 0, or -1 out of range. */
int sim_flash_md5(const struct sim_flash *f, uint32_t offset, uint32_t len, uint8_t digest[16]);

#endif
