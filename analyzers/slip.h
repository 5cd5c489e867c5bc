/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SLIP framing and the esptool serial protocol (docs/physics.md#slip).
 *
 * Pure functions: libc only, no I/O, no globals, no allocation. Every
 * constant below names its public source (repository/path).
 *
 * Framing (espressif/esptool docs/en/advanced-topics/serial-protocol.rst,
 * "Low Level Protocol"; esptool/loader.py ESPLoader.write): each packet
 * starts and ends with 0xC0; inside it 0xC0 is sent as 0xDB 0xDC and 0xDB as
 * 0xDB 0xDD, escaping applied after sizes and checksum are computed.
 *
 * Request (same rst, "Command Packet"; loader.py ESPLoader.command packs
 * "<BBHI"): direction 0x00, command, 16-bit LE size of data, 32-bit LE
 * checksum, data. Response ("Response Packet"): direction 0x01, command,
 * 16-bit LE size, 32-bit LE value, data whose final status bytes are
 * status (0 ok, 1 failed) and error; 2 status bytes for the stub and the
 * ESP8266 ROM, 4 for the ESP32-family ROM (the last two reserved, zero).
 */
#ifndef RESETLAB_SLIP_H
#define RESETLAB_SLIP_H

#include <stddef.h>
#include <stdint.h>

/* SLIP bytes: esptool docs/en/advanced-topics/serial-protocol.rst. */
#define SLIP_END 0xC0
#define SLIP_ESC 0xDB
#define SLIP_ESC_END 0xDC /* 0xDB 0xDC stands for 0xC0 */
#define SLIP_ESC_ESC 0xDD /* 0xDB 0xDD stands for 0xDB */

/* Direction bytes: serial-protocol.rst "Command Packet" / "Response Packet";
 * esp-serial-flasher private_include/protocol.h WRITE_DIRECTION/READ_DIRECTION. */
#define ESP_DIR_REQUEST 0x00
#define ESP_DIR_RESPONSE 0x01
#define ESP_HEADER_LEN 8 /* dir, op, size[2], checksum-or-value[4] */
/* Largest packet the 16-bit size field allows. */
#define ESP_MAX_PACKET (ESP_HEADER_LEN + 0xFFFF)

/* Command bytes: esptool/loader.py ESPLoader.ESP_CMDS. */
#define ESP_FLASH_DATA 0x03
#define ESP_MEM_DATA 0x07
#define ESP_SYNC 0x08
#define ESP_WRITE_REG 0x09
#define ESP_READ_REG 0x0A
#define ESP_FLASH_DEFL_DATA 0x11
/* The rest of the ROM loader's and the stub's commands (same source:
 * loader.py ESPLoader ESP_FLASH_BEGIN ... ESP_RUN_USER_CODE;
 * serial-protocol.rst "Supported by stub loader and ROM loader" and
 * "Supported by stub loader only"). */
#define ESP_FLASH_BEGIN 0x02
#define ESP_FLASH_END 0x04
#define ESP_MEM_BEGIN 0x05
#define ESP_MEM_END 0x06
#define ESP_SPI_SET_PARAMS 0x0B
#define ESP_SPI_ATTACH 0x0D
#define ESP_READ_FLASH_SLOW 0x0E
#define ESP_CHANGE_BAUDRATE 0x0F
#define ESP_FLASH_DEFL_BEGIN 0x10
#define ESP_FLASH_DEFL_END 0x12
#define ESP_SPI_FLASH_MD5 0x13
#define ESP_GET_SECURITY_INFO 0x14
#define ESP_ERASE_FLASH 0xD0 /* stub only */
#define ESP_ERASE_REGION 0xD1
#define ESP_READ_FLASH 0xD2
#define ESP_RUN_USER_CODE 0xD3

/* SYNC payload 07 07 12 20 + 32 x 0x55 (36 bytes): loader.py ESPLoader.sync;
 * serial-protocol.rst command table; esp-serial-flasher
 * src/protocol_serial.c loader_sync_cmd. */
#define ESP_SYNC_PAYLOAD_LEN 36
/* Responses the ROM sends to one SYNC: loader.py ESPLoader.sync reads the
 * first one and then 7 more; esp-serial-flasher src/protocol_uart.c
 * uart_send_cmd: `response_cnt = command == SYNC ? 8 : 1`. */
#define ESP_SYNC_RESPONSES 8

/* Checksum seed (XOR of "data to write" bytes): loader.py
 * ESP_CHECKSUM_MAGIC = 0xEF; serial-protocol.rst "Checksum". Only
 * MEM_DATA, FLASH_DATA and FLASH_DEFL_DATA use it; the rst says the field is
 * ignored (may be zero) for every other command. */
#define ESP_CHECKSUM_SEED 0xEF

/* Status bytes (serial-protocol.rst "Status bytes"; esptool
 * esptool/targets/esp32.py ESP32ROM.STATUS_BYTES_LENGTH = 4 and
 * ESP32StubLoader.STATUS_BYTES_LENGTH = 2; ESP32C3ROM in
 * esptool/targets/esp32c3.py inherits ESP32ROM's 4 and only its stub loader
 * sets 2). */
#define ESP_STATUS_LEN_ROM 4  /* ESP32, ESP32-C3 (and later) ROM loaders */
#define ESP_STATUS_LEN_STUB 2 /* flasher stub, ESP8266 ROM */

/* ROM loader error codes: serial-protocol.rst "ROM Loader Errors";
 * loader.py ROM_INVALID_RECV_MSG = 0x05. */
#define ESP_ERR_INVALID_MSG 0x05 /* parameters or length field invalid */
#define ESP_ERR_FAILED 0x06      /* failed to act on received message */
#define ESP_ERR_INVALID_CRC 0x07 /* invalid CRC (checksum) in message */
#define ESP_ERR_FLASH_WRITE 0x08 /* flash write error */
#define ESP_ERR_FLASH_READ 0x09  /* flash read error */
#define ESP_ERR_DEFLATE 0x0B     /* deflate failed (compressed uploads only) */

/* The ROM address that holds a per-model magic value: loader.py
 * CHIP_DETECT_MAGIC_REG_ADDR; esp-serial-flasher src/esp_targets.c. */
#define ESP_CHIP_DETECT_MAGIC_REG 0x40001000u

/* ---- SLIP ---- */

/* Encodes `n` bytes as one frame: 0xC0, escaped bytes, 0xC0. Returns the
 * bytes written (>= 2), or 0 when `cap` is too small (nothing useful is
 * written then). `in` may be NULL when n == 0. */
size_t slip_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);

/* Finds and decodes the next frame in buf[*pos, len). Bytes outside frames
 * (the ROM's text banner, line noise) are skipped; an empty frame (C0 C0) is
 * skipped, not returned; a run of 0xC0 acts as one delimiter.
 *   1: a frame was decoded into frame[0, *frame_len); *pos is past its
 *      closing 0xC0.
 *   0: no further complete frame. *pos is left on the opening 0xC0 of an
 *      unterminated frame (so a streaming caller can append and retry), or
 *      at len.
 *  -1: a malformed frame (0xDB followed by anything but 0xDC/0xDD, or more
 *      decoded bytes than `cap`); *pos is moved to the next 0xC0 (not
 *      consumed: it may open the next frame) or to len, so calling again
 *      continues with the next frame. */
int slip_next_frame(const uint8_t *buf, size_t len, size_t *pos, uint8_t *frame, size_t cap,
                    size_t *frame_len);

/* ---- esptool serial protocol ---- */

/* XOR checksum of `n` bytes seeded with ESP_CHECKSUM_SEED. */
uint32_t esp_checksum(const uint8_t *data, size_t n);

/* A SLIP-framed request: 00, op, LE16 n, LE32 checksum, data. Returns the
 * bytes written, 0 when n > 0xFFFF or `cap` is too small. */
size_t esp_request(uint8_t op, const uint8_t *data, size_t n, uint32_t checksum, uint8_t *out,
                   size_t cap);

/* SYNC exactly as esptool sends it: op 0x08, the 36-byte payload, checksum 0
 * (loader.py sync() calls command() whose chk defaults to 0; esp-serial-flasher
 * loader_sync_cmd sets .checksum = 0). 46 bytes on the wire. */
size_t esp_sync_request(uint8_t *out, size_t cap);

/* READ_REG: op 0x0A, data = LE32 address, checksum 0 (loader.py read_reg).
 * The ROM answers with the register's value in the response's `value`
 * field (serial-protocol.rst command table). */
size_t esp_read_reg_request(uint32_t addr, uint8_t *out, size_t cap);

struct esp_response {
    uint8_t op;
    uint16_t size;  /* length of the data field */
    uint32_t value; /* READ_REG result; other commands: whatever the ROM left there */
    uint8_t status; /* 0 success, 1 failure */
    uint8_t error;  /* reason when status != 0 */
};

/* Parses a decoded response frame whose data ends with `status_len` status
 * bytes (2 or 4, see above; status at size - status_len, error next).
 * Returns 0, or -1 when the frame is shorter than the header, the direction
 * is not 0x01, the size field does not match the frame, the data is shorter
 * than the status bytes, or status_len < 2. */
int esp_parse_response(const uint8_t *frame, size_t n, size_t status_len, struct esp_response *r);

/* Scans a captured UART stream (banner text, frames, garbage) for the first
 * valid response to `op` with status 0. Returns 1 and fills *r when found,
 * 0 otherwise. Frames longer than ESP_MAX_PACKET are skipped. */
int esp_find_reply(const uint8_t *uart, size_t len, uint8_t op, size_t status_len,
                   struct esp_response *r);

#endif
