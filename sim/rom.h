/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM loader's side of the serial protocol in download mode
 * (docs/physics.md#slip, #rom-banner, #rom-commands): the chip's protocol
 * state (registers the host wrote, its UART rate, MEM/FLASH progress), and
 * for each frame the host sends, the exact bytes the ROM sends back.
 * Protocol constants and their sources are in analyzers/slip.h; the chip's
 * and the board's numbers come from boards.yaml (struct rom_chip,
 * struct rom_board).
 */
#ifndef RESETLAB_ROM_H
#define RESETLAB_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/slip.h"

struct sim_flash;
struct rom_inflate;

/* Fixed words a chip's ROM reads back (chips.<name>.rom.words: eFuse
 * words giving the chip revision, a date register): at most this many. */
#define ROM_WORDS_MAX 16

struct rom_word {
    uint32_t addr, value;
};

/* The SPI flash controller registers esptool's run_spiflash_command drives
 * (esptool/targets/<chip>.py SPI_REG_BASE and SPI_*_OFFS): addresses. */
struct rom_spi_regs {
    uint32_t base; /* SPI_CMD_REG is at the base (loader.py SPI_CMD_REG = base + 0x00) */
    uint32_t usr, usr1, usr2, mosi_dlen, miso_dlen, w0;
};

/* A chip's ROM as boards.yaml describes it (chips.<name>.rom). */
struct rom_chip {
    /* Value of the ROM word at ESP_CHIP_DETECT_MAGIC_REG (0x40001000). */
    uint32_t magic;
    /* Status bytes at the end of every response's data: 4 for the ESP32 and
     * ESP32-C3 ROMs, 2 for the ESP8266 ROM (ESP_STATUS_LEN_*). */
    size_t status_len;
    /* `value` of the SYNC responses. esptool only requires it non-zero
     * (loader.py sync(): "ROM bootloaders send some non-zero 'val' response.
     * The flasher stub sends 0."). Captures show it varies with the chip and
     * the moment: 0x20120707 (espressif/esptool issue #570, ESP32;
     * espressif/esptool-js issue #175, ESP32-CAM), 0x55552007 (esptool
     * issues #352 and #698, ESP32), 0x55201207 (esptool
     * docs/en/advanced-topics/serial-protocol.rst trace example). */
    uint32_t sync_value;
    /* ---- the register file (all optional: 0 / none when boards.yaml gives none) ---- */
    struct rom_word words[ROM_WORDS_MAX];
    int n_words;
    /* The eFuse word holding MAC bytes 2..5 (big-endian in the word); the
     * next word's low 16 bits hold bytes 0..1 (esptool read_mac). 0: none. */
    uint32_t mac_reg;
    /* UART_CLKDIV_REG and the clock the UART divides (its value is
     * uart_clk_hz / baud, esptool get_crystal_freq). 0: none. */
    uint32_t uart_clkdiv_reg, uart_clk_hz;
    struct rom_spi_regs spi; /* base 0: no SPI controller modelled */
    /* GET_SECURITY_INFO (0x14): 1 when the ROM has it, with the chip id and
     * API version it reports (esptool loader.py get_security_info). */
    int has_security_info;
    uint32_t chip_id, api_version;
    /* SPI_FLASH_MD5 (0x13) in the ROM loader (esptool loader.py
     * flash_md5sum; the ESP8266 ROM has none). */
    int has_md5;
    /* READ_FLASH_SLOW (0x0E), 64 bytes a command (esptool
     * targets/esp32.py ESP32ROM.read_flash_slow). */
    int has_read_flash_slow;
};

/* What the ROM reads of its board (boards.<name>: mac, flash). */
struct rom_board {
    uint8_t mac[6];
    uint32_t flash_size;     /* bytes; 0: no flash chip */
    uint32_t flash_jedec_id; /* what RDID (0x9F) returns: manufacturer, type, capacity (low byte first) */
};

/* Registers the host wrote that the chip remembers (WRITE_REG to an
 * address no fixed word or controller register covers): at most this
 * many; further new addresses are acknowledged and forgotten. */
#define ROM_REGS_MAX 32

/* A MEM_BEGIN or FLASH_BEGIN transfer under way. */
struct rom_transfer {
    int active;
    uint32_t size, blocks, block_size, offset, next_seq;
};

/* The chip's protocol state: cleared by a chip reset (rom_state_reset),
 * kept otherwise. The flash is the board's and is not part of it. */
struct rom_state {
    uint32_t last_value; /* what the ROM last reported in `value` */
    uint32_t baud;       /* the UART's rate now; 0: the rate it booted at */
    int stub_running;    /* MEM_END jumped to uploaded code (the flasher stub) */
    struct rom_transfer mem, flash;
    int defl;                /* the flash transfer is FLASH_DEFL_BEGIN's: its blocks are a zlib stream */
    uint32_t defl_written;   /* bytes inflated to the flash so far */
    struct rom_inflate *z;   /* zlib's stream while a compressed transfer runs (rom_defl.c); NULL otherwise */
    int n_regs;
    struct rom_word regs[ROM_REGS_MAX];
};

/* The chip was reset: everything the ROM knew is gone (and what it held
 * freed). A state starts zeroed, then goes through this; reset it once
 * more when done with it. */
void rom_state_reset(struct rom_state *s);

/* What a frame needs besides the state: the chip, its board (NULL: no MAC,
 * no flash chip) and the board's flash (NULL: none attached). */
struct rom_ctx {
    const struct rom_chip *chip;
    const struct rom_board *board;
    struct sim_flash *flash;
    uint32_t boot_baud; /* the rate the chip booted at (chips.<name>.baud) */
};

/* The chip's register file (rom_regs.c), as READ_REG and WRITE_REG reach
 * it, and as the flasher stub reads and writes memory (stub_set_regs). */
uint32_t rom_regs_read(const struct rom_state *s, const struct rom_ctx *c, uint32_t addr);
/* (old & ~mask) | (value & mask) at addr; the SPI controller runs a
 * command when its CMD register's USR bit is set. */
void rom_regs_write(struct rom_state *s, const struct rom_ctx *c, uint32_t addr, uint32_t value, uint32_t mask);

/* One SLIP-decoded frame from the host (header + data): the ROM's replies,
 * SLIP-encoded, to out (at most cap; a reply that does not fit is dropped
 * whole). The state moves on (registers, transfers, the rate: a
 * CHANGE_BAUDRATE's reply still goes out at the old rate, s->baud is the
 * new one afterwards). Frames shorter than a header or whose direction
 * byte is not 0x00 get no answer. Returns the bytes written. */
size_t rom_frame(struct rom_state *s, const struct rom_ctx *c, const uint8_t *frame, size_t n, uint8_t *out,
                 size_t cap);

/* The ROM's answer to a stream of bytes (SLIP frames, possibly with junk
 * between them) from a freshly reset chip with no board data and no flash:
 * rom_frame on each frame in order, malformed SLIP and a final unterminated
 * frame ignored. Returns the bytes written (whole replies only). */
size_t rom_answer(const struct rom_chip *chip, const uint8_t *stream, size_t len, uint8_t *out,
                  size_t cap);

#endif
