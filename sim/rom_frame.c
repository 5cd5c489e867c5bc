/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM loader in download mode, answering SLIP frames (see rom.h): the
 * frame's header, the commands that only read or set the state (SYNC,
 * READ_REG, WRITE_REG, SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE,
 * GET_SECURITY_INFO) and the status the ROM gives for the rest.
 * May call: analyzers/ (SLIP framing), libc. */
#include <string.h>

#include "rom_internal.h"

void rom_state_reset(struct rom_state *s)
{
    rom_defl_free(s);
    memset(s, 0, sizeof *s);
}

void rom_reply(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o, uint8_t op, uint32_t value,
               const uint8_t *data, size_t dlen, uint8_t status, uint8_t error)
{
    enum { DATA_MAX = 64 }; /* the longest reply data here: SPI_FLASH_MD5's 32 hex digits */
    uint8_t pkt[ESP_HEADER_LEN + DATA_MAX + 8] = {0};
    size_t sl = c->chip->status_len;
    if (sl < 2 || sl > 8 || dlen > DATA_MAX || o->full)
        return;
    size_t size = dlen + sl;
    pkt[0] = ESP_DIR_RESPONSE;
    pkt[1] = op;
    pkt[2] = (uint8_t)size;
    pkt[3] = (uint8_t)(size >> 8);
    for (int b = 0; b < 4; b++)
        pkt[4 + b] = (uint8_t)(value >> (8 * b));
    if (dlen)
        memcpy(pkt + ESP_HEADER_LEN, data, dlen);
    pkt[ESP_HEADER_LEN + dlen] = status;
    pkt[ESP_HEADER_LEN + dlen + 1] = error; /* further status bytes are reserved, zero */
    size_t w = slip_encode(pkt, ESP_HEADER_LEN + size, o->buf + o->k, o->cap - o->k);
    if (w == 0) {
        o->full = 1; /* whole frames only: nothing after this one either */
        return;
    }
    o->k += w;
    s->last_value = value;
}

static int sync_payload_ok(const uint8_t *data, size_t size)
{
    static const uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
    int ok = size == ESP_SYNC_PAYLOAD_LEN && memcmp(data, head, 4) == 0;
    for (size_t i = 4; ok && i < size; i++)
        ok = data[i] == 0x55;
    return ok;
}

/* GET_SECURITY_INFO's 20 data bytes (loader.py get_security_info: "<IBBBBBBBBII":
 * flags, flash_crypt_cnt, 7 key purposes, chip_id, api_version): no
 * security feature enabled, as on a fresh chip. */
static void security_info(struct rom_state *s, const struct rom_ctx *c, struct rom_out *o)
{
    uint8_t d[20] = {0};
    for (int b = 0; b < 4; b++) {
        d[12 + b] = (uint8_t)(c->chip->chip_id >> (8 * b));
        d[16 + b] = (uint8_t)(c->chip->api_version >> (8 * b));
    }
    rom_reply(s, c, o, ESP_GET_SECURITY_INFO, s->last_value, d, sizeof d, 0, 0);
}

size_t rom_frame(struct rom_state *s, const struct rom_ctx *c, const uint8_t *frame, size_t n, uint8_t *out,
                 size_t cap)
{
    struct rom_out o = {out, cap, 0, 0};
    if (s == NULL || c == NULL || c->chip == NULL || frame == NULL || out == NULL)
        return 0;
    if (n < ESP_HEADER_LEN || frame[0] != ESP_DIR_REQUEST || s->stub_running)
        return 0; /* a runt or not a request: the ROM stays silent; the stub answers once it runs */
    uint8_t op = frame[1];
    size_t size = (size_t)frame[2] | (size_t)frame[3] << 8;
    uint32_t checksum = rom_le32(frame + 4);
    const uint8_t *data = frame + ESP_HEADER_LEN;
    const uint32_t v = s->last_value; /* replies other than SYNC and READ_REG repeat it (esptool #342) */
    if (size != n - ESP_HEADER_LEN) {
        /* "0x05: Received message is invalid (parameters or length field
         * is invalid)", serial-protocol.rst "ROM Loader Errors". */
        rom_reply(s, c, &o, op, v, NULL, 0, 1, ESP_ERR_INVALID_MSG);
    } else if (op == ESP_SYNC) {
        if (sync_payload_ok(data, size)) {
            /* Eight replies to one SYNC (ESP_SYNC_RESPONSES, slip.h). */
            for (int i = 0; i < ESP_SYNC_RESPONSES; i++)
                rom_reply(s, c, &o, op, c->chip->sync_value, NULL, 0, 0, 0);
        } else {
            /* Our choice: a SYNC with another payload is an invalid message. */
            rom_reply(s, c, &o, op, v, NULL, 0, 1, ESP_ERR_INVALID_MSG);
        }
    } else if (op == ESP_READ_REG && size == 4) {
        rom_reply(s, c, &o, op, rom_regs_read(s, c, rom_le32(data)), NULL, 0, 0, 0);
    } else if (op == ESP_WRITE_REG && size == 16) {
        /* address, value, mask, delay in µs (serial-protocol.rst WRITE_REG;
         * loader.py write_reg): the ROM stores where it is told and does
         * not check the address. The delay is not modelled. */
        rom_regs_write(s, c, rom_le32(data), rom_le32(data + 4), rom_le32(data + 8));
        rom_reply(s, c, &o, op, v, NULL, 0, 0, 0);
    } else if (op == ESP_SPI_SET_PARAMS && size == 24) {
        /* id, total size, block, sector, page, status mask (loader.py
         * flash_set_parameters): accepted; the sim's flash keeps its size. */
        rom_reply(s, c, &o, op, v, NULL, 0, 0, 0);
    } else if (op == ESP_SPI_ATTACH && (size == 8 || size == 4)) {
        /* the ROM takes 8 bytes (loader.py flash_spi_attach: hspi_arg and,
         * for the ROM, is_legacy + 3 zeros) */
        rom_reply(s, c, &o, op, v, NULL, 0, 0, 0);
    } else if (op == ESP_CHANGE_BAUDRATE && size == 8 && rom_le32(data) != 0) {
        /* new rate, old rate (0 from esptool to the ROM: loader.py
         * change_baud). The reply goes out at the old rate. */
        rom_reply(s, c, &o, op, v, NULL, 0, 0, 0);
        s->baud = rom_le32(data);
    } else if (op == ESP_GET_SECURITY_INFO && size == 0 && c->chip->has_security_info) {
        security_info(s, c, &o);
    } else if (rom_flash_command(s, c, &o, op, data, size, checksum) || rom_defl_command(s, c, &o, op, data, size)) {
        /* MEM_*, FLASH_*, SPI_FLASH_MD5: answered there */
    } else {
        /* Unknown, stub-only or malformed command: the ROM's "invalid
         * message" reply (loader.py ROM_INVALID_RECV_MSG; esptool's
         * UnsupportedCommandError comes from it, and detect_chip then
         * falls back to the magic word). esptool's command() notes the ROM
         * may repeat this reply (it drains up to 8 × 14 bytes); the sim
         * sends it once. */
        rom_reply(s, c, &o, op, v, NULL, 0, 1, ESP_ERR_INVALID_MSG);
    }
    return o.k;
}

size_t rom_answer(const struct rom_chip *chip, const uint8_t *stream, size_t len, uint8_t *out,
                  size_t cap)
{
    if (chip == NULL || stream == NULL || out == NULL)
        return 0;
    uint8_t frame[ESP_MAX_PACKET];
    struct rom_state s = {0};
    struct rom_ctx c = {.chip = chip};
    size_t pos = 0, k = 0;
    for (;;) {
        size_t n = 0;
        int got = slip_next_frame(stream, len, &pos, frame, sizeof frame, &n);
        if (got == 0)
            break;
        if (got < 0)
            continue; /* malformed SLIP: the ROM stays silent */
        size_t before = k;
        k += rom_frame(&s, &c, frame, n, out + k, cap - k);
        if (k == before && n >= ESP_HEADER_LEN && frame[0] == ESP_DIR_REQUEST && !s.stub_running)
            break; /* out of room: whole frames only, nothing after */
    }
    rom_state_reset(&s);
    return k;
}
