/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM loader in download mode, answering SLIP requests (see rom.h).
 * May call: analyzers/ (SLIP framing), libc. */
#include "rom.h"

#include <string.h>


static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Writes one response frame (no data besides the status bytes) at
 * out[*k]; returns -1 when it does not fit. */
static int put_response(const struct rom_chip *chip, uint8_t op, uint32_t value, uint8_t status,
                        uint8_t error, uint8_t *out, size_t cap, size_t *k)
{
    uint8_t pkt[ESP_HEADER_LEN + 8] = {0};
    size_t sl = chip->status_len;
    if (sl < 2 || sl > 8)
        return -1;
    pkt[0] = ESP_DIR_RESPONSE;
    pkt[1] = op;
    pkt[2] = (uint8_t)sl;
    pkt[3] = 0;
    for (int b = 0; b < 4; b++)
        pkt[4 + b] = (uint8_t)(value >> (8 * b));
    pkt[ESP_HEADER_LEN] = status;
    pkt[ESP_HEADER_LEN + 1] = error; /* further status bytes are reserved, zero */
    size_t w = slip_encode(pkt, ESP_HEADER_LEN + sl, out + *k, cap - *k);
    if (w == 0)
        return -1;
    *k += w;
    return 0;
}

/* MEM_DATA, FLASH_DATA, FLASH_DEFL_DATA: data = LE32 length, LE32 seq, two
 * zero words, then the bytes the checksum covers (serial-protocol.rst
 * "Checksum"). 1 when the checksum matches, 0 when not, -1 when the payload
 * itself is malformed. */
static int data_checksum_ok(const uint8_t *data, size_t size, uint32_t checksum)
{
    if (size < 16)
        return -1;
    uint32_t n = le32(data);
    if (n > size - 16)
        return -1;
    return esp_checksum(data + 16, n) == checksum ? 1 : 0;
}

size_t rom_answer(const struct rom_chip *chip, const uint8_t *stream, size_t len, uint8_t *out,
                  size_t cap)
{
    if (chip == NULL || stream == NULL || out == NULL)
        return 0;
    uint8_t frame[ESP_MAX_PACKET];
    size_t pos = 0, k = 0;
    uint32_t last_value = 0; /* what the ROM last reported in `value` */
    for (;;) {
        size_t n = 0;
        int got = slip_next_frame(stream, len, &pos, frame, sizeof frame, &n);
        if (got == 0)
            break;
        if (got < 0 || n < ESP_HEADER_LEN || frame[0] != ESP_DIR_REQUEST)
            continue; /* malformed SLIP, runt or not a request: the ROM stays silent */
        uint8_t op = frame[1];
        size_t size = (size_t)frame[2] | (size_t)frame[3] << 8;
        uint32_t checksum = le32(frame + 4);
        const uint8_t *data = frame + ESP_HEADER_LEN;
        int rc = 0;
        if (size != n - ESP_HEADER_LEN) {
            /* "0x05: Received message is invalid (parameters or length field
             * is invalid)", serial-protocol.rst "ROM Loader Errors". */
            rc = put_response(chip, op, last_value, 1, ESP_ERR_INVALID_MSG, out, cap, &k);
        } else if (op == ESP_SYNC) {
            static const uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
            int ok = size == ESP_SYNC_PAYLOAD_LEN && memcmp(data, head, 4) == 0;
            for (size_t i = 4; ok && i < size; i++)
                ok = data[i] == 0x55;
            if (ok) {
                /* Eight replies to one SYNC (ESP_SYNC_RESPONSES, slip.h). */
                last_value = chip->sync_value;
                for (int i = 0; i < ESP_SYNC_RESPONSES && rc == 0; i++)
                    rc = put_response(chip, op, last_value, 0, 0, out, cap, &k);
            } else {
                /* Our choice: a SYNC with another payload is an invalid message. */
                rc = put_response(chip, op, last_value, 1, ESP_ERR_INVALID_MSG, out, cap, &k);
            }
        } else if (op == ESP_READ_REG) {
            if (size == 4) {
                uint32_t addr = le32(data);
                /* Simplification: only the chip-detect word is modelled. */
                last_value = addr == ESP_CHIP_DETECT_MAGIC_REG ? chip->magic : 0;
                rc = put_response(chip, op, last_value, 0, 0, out, cap, &k);
            } else {
                rc = put_response(chip, op, last_value, 1, ESP_ERR_INVALID_MSG, out, cap, &k);
            }
        } else if ((op == ESP_MEM_DATA || op == ESP_FLASH_DATA || op == ESP_FLASH_DEFL_DATA) &&
                   data_checksum_ok(data, size, checksum) == 0) {
            /* "0x07: Invalid CRC in message", serial-protocol.rst. */
            rc = put_response(chip, op, last_value, 1, ESP_ERR_INVALID_CRC, out, cap, &k);
        } else {
            /* Unknown or unmodelled command: the ROM's "invalid message"
             * reply (loader.py ROM_INVALID_RECV_MSG). esptool's command()
             * notes the ROM may repeat this reply (it drains up to 8 × 14
             * bytes); the sim sends it once. */
            rc = put_response(chip, op, last_value, 1, ESP_ERR_INVALID_MSG, out, cap, &k);
        }
        if (rc != 0)
            break; /* out of room: whole frames only */
    }
    return k;
}
