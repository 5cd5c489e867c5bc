/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM loader's side of the serial protocol in download mode
 * (docs/physics.md#slip, #rom-banner): given the bytes the host wrote, the
 * exact bytes the ROM sends back. Protocol constants and their sources are
 * in analyzers/slip.h.
 */
#ifndef RESETLAB_ROM_H
#define RESETLAB_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/slip.h"

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
};



/* The ROM's answer to the bytes the host wrote (`stream`: SLIP frames,
 * possibly with junk between them). Frames are answered in order:
 *  - SYNC with the 36-byte payload: ESP_SYNC_RESPONSES (8) identical
 *    responses, value chip->sync_value, status 0.
 *  - READ_REG with a 4-byte address: one response, value = chip->magic for
 *    0x40001000, 0 for any other address (a simplification: the sim has no
 *    memory map).
 *  - MEM_DATA / FLASH_DATA / FLASH_DEFL_DATA whose checksum does not match
 *    the data: status 1, error 0x07 (invalid CRC).
 *  - anything else the ROM would reject, and every command the sim does not
 *    model (WRITE_REG, FLASH_BEGIN, ... , unknown ops, a size field that
 *    disagrees with the frame, a SYNC with another payload): one response,
 *    status 1, error 0x05 (invalid message).
 *  - frames shorter than a header, or whose direction byte is not 0x00,
 *    malformed SLIP, junk and a final unterminated frame: no answer.
 * The checksum field of SYNC and READ_REG is ignored, as the ROM does.
 * Responses other than READ_REG and SYNC carry the last value the ROM
 * reported (0 at first), as captures show (esptool issue #342: a MEM_BEGIN
 * reply repeats the preceding READ_REG value).
 * Returns the bytes written to out; a response that would not fit in `cap`
 * is dropped with everything after it (only whole frames are written). */
size_t rom_answer(const struct rom_chip *chip, const uint8_t *stream, size_t len, uint8_t *out,
                  size_t cap);

#endif
