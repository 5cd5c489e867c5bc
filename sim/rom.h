/* The ROM loader's side of the serial protocol in download mode (DESIGN.md
 * §5 "ROM outcome", §6 chip model): given the bytes the host wrote, the
 * exact bytes the ROM sends back. Protocol constants and their sources are
 * in analyzers/slip.h.
 */
#ifndef RESETLAB_ROM_H
#define RESETLAB_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "../analyzers/slip.h"

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

/* ESP32: magic 0x00F01D83 (esptool/targets/esp32.py CHIP_DETECT_MAGIC_VALUE;
 * esp-serial-flasher src/esp_targets.c; READ_REG reply
 * 010a0400831df00000000000 in esptool issue #698), 4 status bytes. */
#define ROM_MAGIC_ESP32 0x00F01D83u
/* ESP32-C3: 0x6921506F (eco 1+2) and 0x1B31506F (eco 3) per
 * esptool/targets/esp32c3.py CHIP_DETECT_MAGIC_VALUE; esp-serial-flasher
 * src/esp_targets.c also lists 0x4881606F and 0x4361606F (later revisions). */
#define ROM_MAGIC_ESP32C3 0x6921506Fu
#define ROM_MAGIC_ESP32C3_ECO3 0x1B31506Fu
#define ROM_MAGIC_ESP32C3_REV_C 0x4881606Fu
#define ROM_MAGIC_ESP32C3_REV_D 0x4361606Fu
/* ESP32-S3: 0x00000009 (esp-serial-flasher src/esp_targets.c). */
#define ROM_MAGIC_ESP32S3 0x00000009u
/* ESP8266: 0xFFF0C101 (esp-serial-flasher src/esp_targets.c), 2 status bytes
 * (serial-protocol.rst; READ_REG replies 010a0200... in esptool issue #397). */
#define ROM_MAGIC_ESP8266 0xFFF0C101u
/* Default SYNC value: the most common capture (see struct rom_chip). */
#define ROM_SYNC_VALUE_DEFAULT 0x20120707u

/* Fills *chip for "esp32", "esp32c3", "esp32s3" or "esp8266"; returns 0, or
 * -1 for an unknown name (chip untouched). */
int rom_chip_preset(const char *name, struct rom_chip *chip);

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
