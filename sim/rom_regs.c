/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM's register file (rom.h): what READ_REG reads and WRITE_REG
 * writes. The chip-detect word, the eFuse words with the board's MAC,
 * UART_CLKDIV at the UART's current rate, the chip's fixed words
 * (chips.<name>.rom.words), the SPI flash controller that esptool's
 * run_spiflash_command drives (RDID answers the board's JEDEC ID), and the
 * words the host wrote anywhere else.
 * May call: libc. */
#include "rom_internal.h"

/* SPI_CMD_REG's USR bit: set to run the user command, clear when done
 * (esptool loader.py run_spiflash_command SPI_CMD_USR = 1 << 18). */
#define SPI_CMD_USR (1u << 18)
/* SPI flash commands (loader.py flash_id SPIFLASH_RDID = 0x9F;
 * read_status RDSR = 0x05; JEDEC JESD216 / every SPI NOR datasheet). */
#define SPIFLASH_RDID 0x9F
#define SPIFLASH_RDSR 0x05
/* What a read returns from a bus no flash chip drives: assumption, the
 * data line's pull-up (all ones). */
#define SPI_NO_FLASH 0xFFFFFFu

static struct rom_word *written(struct rom_state *s, uint32_t addr)
{
    for (int i = 0; i < s->n_regs; i++)
        if (s->regs[i].addr == addr)
            return &s->regs[i];
    return NULL;
}

static uint32_t stored(const struct rom_state *s, uint32_t addr)
{
    for (int i = 0; i < s->n_regs; i++)
        if (s->regs[i].addr == addr)
            return s->regs[i].value;
    return 0;
}

uint32_t rom_regs_read(const struct rom_state *s, const struct rom_ctx *c, uint32_t addr)
{
    const struct rom_chip *k = c->chip;
    const uint8_t *mac = c->board ? c->board->mac : (const uint8_t[6]){0};
    if (addr == ESP_CHIP_DETECT_MAGIC_REG)
        return k->magic;
    if (k->mac_reg != 0 && addr == k->mac_reg) /* bytes 2..5, big-endian (esptool read_mac) */
        return (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
    if (k->mac_reg != 0 && addr == k->mac_reg + 4) /* bytes 0..1 in the low half; the ESP32's CRC byte: 0 */
        return (uint32_t)mac[0] << 8 | mac[1];
    if (k->uart_clkdiv_reg != 0 && addr == k->uart_clkdiv_reg) {
        uint32_t baud = s->baud ? s->baud : c->boot_baud;
        return baud ? (uint32_t)(((uint64_t)k->uart_clk_hz + baud / 2) / baud) : 0;
    }
    for (int i = 0; i < k->n_words; i++)
        if (k->words[i].addr == addr)
            return k->words[i].value;
    return stored(s, addr); /* the SPI controller's and any other word: what was written, else 0 */
}

/* The SPI controller runs the command in USR2's low byte (loader.py
 * run_spiflash_command writes (7 << 28) | command there) at once; its
 * answer lands in W0. */
static void spi_run(struct rom_state *s, const struct rom_ctx *c)
{
    const struct rom_spi_regs *r = &c->chip->spi;
    uint8_t cmd = (uint8_t)stored(s, r->base + r->usr2);
    uint32_t size = c->board ? c->board->flash_size : 0;
    uint32_t w0;
    if (cmd == SPIFLASH_RDID)
        w0 = size ? c->board->flash_jedec_id & 0xFFFFFFu : SPI_NO_FLASH;
    else if (cmd == SPIFLASH_RDSR)
        w0 = size ? 0 : SPI_NO_FLASH; /* not busy, not write-enabled */
    else
        return; /* other commands leave W0 as it was */
    rom_regs_write(s, c, r->base + r->w0, w0, 0xFFFFFFFFu);
}

void rom_regs_write(struct rom_state *s, const struct rom_ctx *c, uint32_t addr, uint32_t value, uint32_t mask)
{
    const struct rom_spi_regs *r = &c->chip->spi;
    int run = r->base != 0 && addr == r->base && (value & mask & SPI_CMD_USR);
    if (run)
        value &= ~SPI_CMD_USR; /* the command completes before the next READ_REG */
    struct rom_word *w = written(s, addr);
    if (w == NULL) {
        if (s->n_regs >= ROM_REGS_MAX)
            return; /* acknowledged, forgotten: reads give 0 */
        w = &s->regs[s->n_regs++];
        *w = (struct rom_word){addr, 0};
    }
    w->value = (w->value & ~mask) | (value & mask);
    if (run)
        spi_run(s, c);
}
