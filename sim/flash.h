/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TEMPORARY (rom branch, issue 20): the in-memory SPI NOR flash of one
 * board, exactly the interface agreed with the stub branch, which owns
 * this file; its version replaces this one when it lands.
 */
#ifndef RESETLAB_SIM_FLASH_H
#define RESETLAB_SIM_FLASH_H

#include <stdint.h>

struct sim_flash;
struct sim_flash *sim_flash_new(uint32_t size_bytes); /* erased (0xFF); no big allocation until the first write */
void sim_flash_free(struct sim_flash *f);
uint32_t sim_flash_size(const struct sim_flash *f);
int sim_flash_erase(struct sim_flash *f, uint32_t offset, uint32_t len);               /* -1 out of range */
int sim_flash_write(struct sim_flash *f, uint32_t offset, const uint8_t *d, uint32_t n); /* new = old & d */
int sim_flash_read(const struct sim_flash *f, uint32_t offset, uint8_t *out, uint32_t n);
int sim_flash_md5(const struct sim_flash *f, uint32_t offset, uint32_t len, uint8_t digest[16]);

#endif
