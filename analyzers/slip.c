/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SLIP framing and the esptool serial protocol; sources are cited in slip.h.
 * May call: libc. */
#include "slip.h"

#include <string.h>

/* Escaped size of one byte. */
static size_t slip_width(uint8_t b)
{
    return (b == SLIP_END || b == SLIP_ESC) ? 2 : 1;
}

/* Appends the escaped form of b at out[*k]; the caller has checked room. */
static void slip_put(uint8_t b, uint8_t *out, size_t *k)
{
    if (b == SLIP_END) {
        out[(*k)++] = SLIP_ESC;
        out[(*k)++] = SLIP_ESC_END;
    } else if (b == SLIP_ESC) {
        out[(*k)++] = SLIP_ESC;
        out[(*k)++] = SLIP_ESC_ESC;
    } else {
        out[(*k)++] = b;
    }
}

/* One frame holding a then b (either may be empty), escaped. */
static size_t slip_encode2(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, uint8_t *out,
                           size_t cap)
{
    size_t need = 2;
    for (size_t i = 0; i < na; i++)
        need += slip_width(a[i]);
    for (size_t i = 0; i < nb; i++)
        need += slip_width(b[i]);
    if (out == NULL || need > cap)
        return 0;
    size_t k = 0;
    out[k++] = SLIP_END;
    for (size_t i = 0; i < na; i++)
        slip_put(a[i], out, &k);
    for (size_t i = 0; i < nb; i++)
        slip_put(b[i], out, &k);
    out[k++] = SLIP_END;
    return k;
}

size_t slip_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    if (in == NULL && n > 0)
        return 0;
    return slip_encode2(in, n, NULL, 0, out, cap);
}

/* Index of the next 0xC0 at or after i, or len. */
static size_t next_end(const uint8_t *buf, size_t len, size_t i)
{
    while (i < len && buf[i] != SLIP_END)
        i++;
    return i;
}

int slip_next_frame(const uint8_t *buf, size_t len, size_t *pos, uint8_t *frame, size_t cap,
                    size_t *frame_len)
{
    if (pos == NULL)
        return 0;
    if (buf == NULL || *pos >= len) {
        if (buf == NULL || *pos > len)
            *pos = len;
        return 0;
    }
    size_t i = *pos;
    for (;;) {
        /* Between frames: skip anything that is not a delimiter. */
        i = next_end(buf, len, i);
        if (i >= len) {
            *pos = len;
            return 0;
        }
        /* A run of delimiters opens one frame (C0 C0 is an empty frame). */
        size_t open = i;
        while (i < len && buf[i] == SLIP_END)
            open = i++;
        size_t n = 0;
        while (i < len && buf[i] != SLIP_END) {
            uint8_t b = buf[i];
            if (b == SLIP_ESC) {
                if (i + 1 >= len) { /* escape cut by the end of the capture */
                    *pos = open;
                    return 0;
                }
                uint8_t e = buf[i + 1];
                if (e == SLIP_ESC_END) {
                    b = SLIP_END;
                } else if (e == SLIP_ESC_ESC) {
                    b = SLIP_ESC;
                } else { /* bad escape: skip to the next delimiter, keep it */
                    *pos = next_end(buf, len, i + 1);
                    return -1;
                }
                i += 2;
            } else {
                i += 1;
            }
            if (n >= cap || frame == NULL) { /* too long for the caller's buffer */
                *pos = next_end(buf, len, i);
                return -1;
            }
            frame[n++] = b;
        }
        if (i >= len) { /* unterminated: wait for more bytes */
            *pos = open;
            return 0;
        }
        /* buf[i] is the closing delimiter. */
        if (n == 0) /* cannot happen: a run of C0 was consumed above */
            continue;
        *pos = i + 1;
        if (frame_len != NULL)
            *frame_len = n;
        return 1;
    }
}

uint32_t esp_checksum(const uint8_t *data, size_t n)
{
    uint8_t c = ESP_CHECKSUM_SEED;
    for (size_t i = 0; i < n && data != NULL; i++)
        c ^= data[i];
    return c;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t esp_request(uint8_t op, const uint8_t *data, size_t n, uint32_t checksum, uint8_t *out,
                   size_t cap)
{
    if (n > 0xFFFF || (data == NULL && n > 0))
        return 0;
    uint8_t hdr[ESP_HEADER_LEN];
    hdr[0] = ESP_DIR_REQUEST;
    hdr[1] = op;
    put_le16(hdr + 2, (uint16_t)n);
    put_le32(hdr + 4, checksum);
    return slip_encode2(hdr, sizeof hdr, data, n, out, cap);
}

size_t esp_sync_request(uint8_t *out, size_t cap)
{
    uint8_t payload[ESP_SYNC_PAYLOAD_LEN];
    payload[0] = 0x07;
    payload[1] = 0x07;
    payload[2] = 0x12;
    payload[3] = 0x20;
    memset(payload + 4, 0x55, ESP_SYNC_PAYLOAD_LEN - 4);
    return esp_request(ESP_SYNC, payload, sizeof payload, 0, out, cap);
}

size_t esp_read_reg_request(uint32_t addr, uint8_t *out, size_t cap)
{
    uint8_t data[4];
    put_le32(data, addr);
    return esp_request(ESP_READ_REG, data, sizeof data, 0, out, cap);
}

int esp_parse_response(const uint8_t *frame, size_t n, size_t status_len, struct esp_response *r)
{
    if (frame == NULL || r == NULL || status_len < 2 || n < ESP_HEADER_LEN)
        return -1;
    if (frame[0] != ESP_DIR_RESPONSE)
        return -1;
    size_t size = (size_t)frame[2] | (size_t)frame[3] << 8;
    if (size != n - ESP_HEADER_LEN || size < status_len)
        return -1;
    const uint8_t *st = frame + ESP_HEADER_LEN + size - status_len;
    *r = (struct esp_response){
        .op = frame[1],
        .size = (uint16_t)size,
        .value = get_le32(frame + 4),
        .status = st[0],
        .error = st[1],
    };
    return 0;
}

int esp_find_reply(const uint8_t *uart, size_t len, uint8_t op, size_t status_len,
                   struct esp_response *r)
{
    if (uart == NULL || r == NULL)
        return 0;
    uint8_t frame[ESP_MAX_PACKET];
    size_t pos = 0;
    for (;;) {
        size_t n = 0;
        int got = slip_next_frame(uart, len, &pos, frame, sizeof frame, &n);
        if (got == 0)
            return 0;
        if (got < 0)
            continue;
        struct esp_response cand;
        if (esp_parse_response(frame, n, status_len, &cand) == 0 && cand.op == op &&
            cand.status == 0) {
            *r = cand;
            return 1;
        }
    }
}
