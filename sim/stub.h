/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub's protocol (iface20), after esptool or esptool-js
 * uploaded its stub with MEM_BEGIN/MEM_DATA and MEM_END jumped to it: the
 * answers of espressif/esptool-legacy-flasher-stub (the stub esptool 4.x
 * runs by default: esptool/loader.py StubFlasher.STUB_SUBDIRS = ["1", "2"])
 * over a board's in-memory flash (flash.h). docs/physics.md#flasher-stub.
 *
 * Replies (flasher_stub/stub_flasher.c cmd_loop): header 01, op, size 2,
 * value 0 (READ_REG: the register), then TWO status bytes, error first
 * (0 or one of STUB_ERR_*) and `status` (0 here), unlike the ROM's 4
 * (esptool/targets/esp32.py ESP32StubLoader.STATUS_BYTES_LENGTH = 2).
 * Data commands are acknowledged before their data is written; a failure
 * while writing is answered on the next FLASH_*DATA or FLASH_*END (the
 * stub's fs.last_error, flasher_stub/stub_write_flash.c).
 */
#ifndef RESETLAB_SIM_STUB_H
#define RESETLAB_SIM_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "rom.h"

/* Commands beyond analyzers/slip.h's (esptool/loader.py ESPLoader). */
#define STUB_FLASH_BEGIN 0x02
#define STUB_FLASH_END 0x04
#define STUB_MEM_BEGIN 0x05
#define STUB_MEM_END 0x06
#define STUB_SPI_SET_PARAMS 0x0B
#define STUB_SPI_ATTACH 0x0D
#define STUB_CHANGE_BAUDRATE 0x0F
#define STUB_FLASH_DEFL_BEGIN 0x10
#define STUB_FLASH_DEFL_END 0x12
#define STUB_SPI_FLASH_MD5 0x13
#define STUB_ERASE_FLASH 0xD0 /* stub only (loader.py: "supported by stub only") */
#define STUB_ERASE_REGION 0xD1
#define STUB_READ_FLASH 0xD2
#define STUB_RUN_USER_CODE 0xD3

/* The stub's error codes: esptool-legacy-flasher-stub
 * flasher_stub/include/stub_flasher.h esp_command_error; esptool
 * docs/en/advanced-topics/serial-protocol.rst ("0xC*, or 0xFF"). */
#define STUB_ERR_BAD_DATA_LEN 0xC0
#define STUB_ERR_BAD_DATA_CHECKSUM 0xC1
#define STUB_ERR_BAD_BLOCKSIZE 0xC2
#define STUB_ERR_FAILED_SPI_OP 0xC4
#define STUB_ERR_NOT_IN_FLASH_MODE 0xC6
#define STUB_ERR_INFLATE_ERROR 0xC7
#define STUB_ERR_NOT_ENOUGH_DATA 0xC8
#define STUB_ERR_TOO_MUCH_DATA 0xC9
#define STUB_ERR_CMD_NOT_IMPLEMENTED 0xFF
/* cmd_loop answers `error = verify_data_len(...) || handle_...(...)`: C's
 * || makes any failure of those commands (SPI_ATTACH, SPI_SET_PARAMS,
 * ERASE_FLASH, ERASE_REGION, SPI_FLASH_MD5, MEM_BEGIN, MEM_END) a plain 1. */
#define STUB_ERR_OR 0x01
/* A frame whose data passes MAX_WRITE_BLOCK + 16 is answered C0 EE
 * (cmd_loop). */
#define STUB_ERR_TOO_BIG_STATUS 0xEE

/* stub_flasher.h MAX_WRITE_BLOCK (= esptool's ESP32StubLoader
 * FLASH_WRITE_SIZE 0x4000) and FLASH_SECTOR_SIZE (the READ_FLASH block
 * limit: handle_flash_read's buffer; ERASE_REGION's alignment). */
#define STUB_MAX_WRITE_BLOCK 0x4000u
#define STUB_SECTOR 4096u
/* GET_SECURITY_INFO's data on the ESP32-S3 and later (flasher_stub/include/
 * soc_support.h SECURITY_INFO_BYTES; loader.py get_security_info "<IBBBBBBBBII"). */
#define STUB_SECURITY_INFO_LEN 20u
/* Replies owed and not yet handed out (stub_more): room for two READ_FLASH
 * blocks fully SLIP-escaped and the small replies around them. A limit on
 * memory: a host that writes frames without reading loses replies past it,
 * where the real stub would stall on its full UART FIFO. */
#define STUB_PEND_MAX (4u * (2u * STUB_SECTOR + 2u) + 1024u)

struct stub_session; /* FLASH_BEGIN/DEFL state, inflate stream, READ_FLASH flow */
struct stub_session *stub_new(void);
void stub_free(struct stub_session *s);
void stub_reset(struct stub_session *s); /* the chip was reset: stub gone, state cleared */
/* 1 once after FLASH_END asked to reboot (its reply still owed): the chip
 * software-resets into its ROM loader (esptool loader.py soft_reset: "will
 * re-load the ROM bootloader"), the stub is gone. */
int stub_take_reboot(struct stub_session *s);
/* "OHAI" greeting frame the stub sends when it starts; returns bytes written (SLIP-encoded). */
size_t stub_hello(uint8_t *out, size_t cap);
/* One SLIP-decoded frame from the host (a command: header + data; or, during READ_FLASH, the host's ACK frame).
 * Writes the SLIP-encoded replies to out and returns their length. Replies that do not fit in cap are kept
 * and handed out by stub_more() (READ_FLASH can owe up to 64 × 4 KiB before the next ACK).
 * *new_baud is set to the rate a CHANGE_BAUDRATE asked for (after its reply, which goes out at the old rate),
 * else left as is. `flash` may be NULL (a board without flash: flash commands fail as SPI errors). */
size_t stub_answer(struct stub_session *s, struct sim_flash *flash, const struct rom_chip *chip,
                   const uint8_t *frame, size_t n, uint8_t *out, size_t cap, uint32_t *new_baud);
size_t stub_more(struct stub_session *s, struct sim_flash *flash, uint8_t *out, size_t cap);

/* The chip's registers while the stub runs (an addition to iface20). The
 * stub reads and writes memory itself: cmd_loop answers READ_REG with
 * READ_REG(addr); handle_write_reg does, for each 16-byte (addr, value,
 * mask, delay) entry, value & mask, ORed with the old bits outside the mask
 * unless the mask is 0xFFFFFFFF. esptool's flash_id with the stub drives the
 * SPI controller through these. Without hooks (or with read NULL),
 * READ_REG answers chip->magic at 0x40001000 and 0 elsewhere, and WRITE_REG
 * is accepted and forgotten. The world that owns the register file sets
 * them (ctx is its own). */
struct stub_regs {
    uint32_t (*read)(void *ctx, uint32_t addr);
    void (*write)(void *ctx, uint32_t addr, uint32_t value); /* the whole word, mask applied */
    void *ctx;
};
void stub_set_regs(struct stub_session *s, const struct stub_regs *regs);

#endif
