/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated ROM loader (sim/rom.h): its answers to SYNC and READ_REG,
 * what it stays silent on, unknown ops and bad sizes, its output capacity,
 * the chip presets, and noise through every entry point. Expected bytes are
 * written by hand from the protocol description
 * (espressif/esptool docs/en/advanced-topics/serial-protocol.rst, cited
 * field by field in analyzers/slip.h), not produced by the code under test. */
#include <criterion/criterion.h>
#include <string.h>

#include "analyzers/slip.h"
#include "sim/rom.h"
#include "slip_fixture.h"

static int rom_chip_preset(const char *name, struct rom_chip *chip)
{
    if (name == NULL || chip == NULL)
        return -1;
    struct rom_chip c = {.status_len = 4, .sync_value = 0x20120707u};
    if (strcmp(name, "esp32") == 0) {
        c.magic = ROM_MAGIC_ESP32;
    } else if (strcmp(name, "esp32c3") == 0) {
        c.magic = ROM_MAGIC_ESP32C3;
    } else if (strcmp(name, "esp32s3") == 0) {
        c.magic = ROM_MAGIC_ESP32S3;
    } else if (strcmp(name, "esp8266") == 0) {
        c.magic = ROM_MAGIC_ESP8266;
        c.status_len = 2; /* the ESP8266 ROM sends 2 */
    } else {
        return -1;
    }
    *chip = c;
    return 0;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct rom_chip chip_named(const char *name)
{
    struct rom_chip c;
    cr_assert_eq(rom_chip_preset(name, &c), 0, "preset %s", name);
    return c;
}

/* Decodes every frame of a stream; returns how many, asserts no malformed ones. */
static int count_frames(const uint8_t *s, size_t n)
{
    uint8_t frame[512];
    size_t pos = 0, fl = 0;
    int count = 0, got;
    while ((got = slip_next_frame(s, n, &pos, frame, sizeof frame, &fl)) != 0) {
        cr_assert_eq(got, 1);
        count++;
    }
    return count;
}

/* ---- the ROM ---- */

static void check_sync_answer(const struct rom_chip *c)
{
    uint8_t req[64], out[512];
    size_t n = esp_sync_request(req, sizeof req);
    size_t w = rom_answer(c, req, n, out, sizeof out);
    size_t frame_len = 2 + 8 + c->status_len; /* no bytes to escape here */
    cr_assert_eq(w, ESP_SYNC_RESPONSES * frame_len, "8 responses");
    cr_assert_eq(count_frames(out, w), 8);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(out, w, ESP_SYNC, c->status_len, &r), 1);
    cr_assert_eq(r.value, c->sync_value);
    cr_assert_eq(r.size, c->status_len);
    cr_assert_eq(r.status, 0);
}

Test(rom, sync_esp32_exact_bytes)
{
    struct rom_chip c = chip_named("esp32");
    cr_assert_eq(c.status_len, 4);
    check_sync_answer(&c);
    uint8_t req[64], out[512];
    size_t n = esp_sync_request(req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    for (size_t i = 0; i < 8; i++)
        cr_assert_arr_eq(out + i * sizeof esp32_sync_reply, esp32_sync_reply, sizeof esp32_sync_reply,
                         "response %zu", i);
    cr_assert_eq(w, 8 * sizeof esp32_sync_reply);
}

Test(rom, sync_esp32c3)
{
    struct rom_chip c = chip_named("esp32c3");
    cr_assert_eq(c.status_len, 4, "ESP32C3ROM inherits ESP32ROM.STATUS_BYTES_LENGTH");
    check_sync_answer(&c);
    /* Another captured value, and a value whose bytes need escaping. */
    c.sync_value = 0x55552007u;
    check_sync_answer(&c);
    c.sync_value = 0xC0DB0707u;
    uint8_t req[64], out[512];
    size_t n = esp_sync_request(req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    cr_assert_eq(count_frames(out, w), 8);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(out, w, ESP_SYNC, 4, &r), 1);
    cr_assert_eq(r.value, 0xC0DB0707u);
}

Test(rom, sync_two_status_bytes)
{
    struct rom_chip c = chip_named("esp8266");
    cr_assert_eq(c.status_len, 2);
    check_sync_answer(&c);
}

Test(rom, sync_checksum_field_ignored)
{
    /* serial-protocol.rst: the checksum is ignored except for *_DATA. */
    uint8_t payload[36] = {0x07, 0x07, 0x12, 0x20};
    memset(payload + 4, 0x55, 32);
    uint8_t req[64], out[512];
    size_t n = esp_request(ESP_SYNC, payload, sizeof payload, 0x12345678u, req, sizeof req);
    struct rom_chip c = chip_named("esp32");
    cr_assert_eq(rom_answer(&c, req, n, out, sizeof out), 8 * sizeof esp32_sync_reply);
}

static void check_magic(const char *name, uint32_t magic, const uint8_t want[14])
{
    struct rom_chip c = chip_named(name);
    cr_assert_eq(c.magic, magic);
    uint8_t req[32], out[64];
    size_t n = esp_read_reg_request(ESP_CHIP_DETECT_MAGIC_REG, req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    cr_assert_eq(w, 14);
    cr_assert_arr_eq(out, want, 14);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(out, w, ESP_READ_REG, c.status_len, &r), 1);
    cr_assert_eq(r.value, magic);
}

Test(rom, read_reg_magic_esp32)
{
    /* 01 0a 04 00 | 83 1d f0 00 | 00 00 00 00 (esptool issue #698 trace). */
    const uint8_t want[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D,
                            0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0};
    check_magic("esp32", 0x00F01D83u, want);
}

Test(rom, read_reg_magic_esp32c3)
{
    const uint8_t want[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0x6F, 0x50,
                            0x21, 0x69, 0x00, 0x00, 0x00, 0x00, 0xC0};
    check_magic("esp32c3", 0x6921506Fu, want);
    /* Later ESP32-C3 revisions answer with their own magic. */
    struct rom_chip c = chip_named("esp32c3");
    c.magic = ROM_MAGIC_ESP32C3_ECO3;
    uint8_t req[32], out[64];
    size_t n = esp_read_reg_request(ESP_CHIP_DETECT_MAGIC_REG, req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(out, w, ESP_READ_REG, 4, &r), 1);
    cr_assert_eq(r.value, 0x1B31506Fu);
}

Test(rom, read_reg_other_address_is_zero)
{
    struct rom_chip c = chip_named("esp32");
    uint8_t req[32], out[64];
    size_t n = esp_read_reg_request(0x3FF5A00Cu, req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(out, w, ESP_READ_REG, 4, &r), 1);
    cr_assert_eq(r.value, 0);
}

Test(rom, silent_on_empty_junk_truncated)
{
    struct rom_chip c = chip_named("esp32");
    uint8_t out[512];
    cr_assert_eq(rom_answer(&c, (const uint8_t *)"", 0, out, sizeof out), 0);
    cr_assert_eq(rom_answer(&c, (const uint8_t *)banner, strlen(banner), out, sizeof out), 0);
    const uint8_t runt[] = {0xC0, 0x00, 0x08, 0x24, 0xC0};
    cr_assert_eq(rom_answer(&c, runt, sizeof runt, out, sizeof out), 0);
    const uint8_t resp[] = {0xC0, 0x01, 0x08, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0};
    cr_assert_eq(rom_answer(&c, resp, sizeof resp, out, sizeof out), 0, "direction 01 ignored");
    uint8_t req[64];
    size_t n = esp_sync_request(req, sizeof req);
    cr_assert_eq(rom_answer(&c, req, n - 1, out, sizeof out), 0, "no closing C0");
    cr_assert_eq(rom_answer(&c, req, 20, out, sizeof out), 0, "cut mid-frame");
    cr_assert_eq(rom_answer(&c, req, 1, out, sizeof out), 0);
    cr_assert_eq(rom_answer(&c, NULL, 10, out, sizeof out), 0);
    cr_assert_eq(rom_answer(NULL, req, n, out, sizeof out), 0);
    cr_assert_eq(rom_answer(&c, req, n, NULL, 100), 0);
}

Test(rom, bad_escape_request_is_skipped)
{
    struct rom_chip c = chip_named("esp32");
    struct buf s = {0};
    put(&s, "\xC0\x00\x0A\xDB\x01\xC0", 6);
    uint8_t req[32];
    size_t n = esp_read_reg_request(ESP_CHIP_DETECT_MAGIC_REG, req, sizeof req);
    put(&s, req, n);
    uint8_t out[64];
    size_t w = rom_answer(&c, s.b, s.n, out, sizeof out);
    cr_assert_eq(w, 14);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(out, w, ESP_READ_REG, 4, &r), 1);
}

Test(rom, stream_of_requests_with_junk)
{
    struct rom_chip c = chip_named("esp32c3");
    struct buf s = {0};
    uint8_t req[64];
    put_str(&s, "\r\nnoise");
    put(&s, req, esp_sync_request(req, sizeof req));
    put_str(&s, "more noise");
    put(&s, req, esp_read_reg_request(ESP_CHIP_DETECT_MAGIC_REG, req, sizeof req));
    put(&s, req, esp_request(0x5A, NULL, 0, 0, req, sizeof req)); /* unknown op */
    uint8_t out[512];
    size_t w = rom_answer(&c, s.b, s.n, out, sizeof out);
    cr_assert_eq(count_frames(out, w), 8 + 1 + 1);
    cr_assert_eq(w, 10 * 14);
    /* The last frame: the error reply, carrying the last value reported. */
    struct esp_response r;
    cr_assert_eq(esp_parse_response(out + 9 * 14 + 1, 12, 4, &r), 0);
    cr_assert_eq(r.op, 0x5A);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
    cr_assert_eq(r.value, ROM_MAGIC_ESP32C3);
    cr_assert_eq(esp_find_reply(out, w, 0x5A, 4, &r), 0, "status 1 is not a reply");
}

Test(rom, unknown_op_and_bad_size)
{
    struct rom_chip c = chip_named("esp32");
    uint8_t req[64], out[64];
    size_t n = esp_request(0x77, (const uint8_t *)"\x01\x02", 2, 0, req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    /* 01 77 04 00 | 00000000 | 01 05 00 00 */
    const uint8_t want[] = {0xC0, 0x01, 0x77, 0x04, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0xC0};
    cr_assert_eq(w, sizeof want);
    cr_assert_arr_eq(out, want, sizeof want);

    /* READ_REG whose size field says 4 but carries 3 bytes. */
    const uint8_t bad[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0xC0};
    w = rom_answer(&c, bad, sizeof bad, out, sizeof out);
    struct esp_response r;
    cr_assert_eq(w, 14);
    cr_assert_eq(esp_parse_response(out + 1, 12, 4, &r), 0);
    cr_assert_eq(r.op, 0x0A);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, 0x05);

    /* READ_REG with 2 data bytes (size consistent, parameters invalid). */
    n = esp_request(ESP_READ_REG, (const uint8_t *)"\x00\x10", 2, 0, req, sizeof req);
    w = rom_answer(&c, req, n, out, sizeof out);
    cr_assert_eq(esp_parse_response(out + 1, 12, 4, &r), 0);
    cr_assert_eq(r.status, 1);

    /* SYNC with a wrong payload: one error reply, not eight answers. */
    uint8_t payload[36] = {0x07, 0x07, 0x12, 0x21};
    memset(payload + 4, 0x55, 32);
    n = esp_request(ESP_SYNC, payload, sizeof payload, 0, req, sizeof req);
    w = rom_answer(&c, req, n, out, sizeof out);
    cr_assert_eq(w, 14);
    cr_assert_eq(esp_find_reply(out, w, ESP_SYNC, 4, &r), 0);
}

Test(rom, data_command_checksum)
{
    struct rom_chip c = chip_named("esp32");
    /* MEM_DATA payload: LE32 length 4, seq 0, 0, 0, then 4 data bytes. */
    uint8_t payload[20] = {4, 0, 0, 0};
    payload[16] = 0x11;
    payload[17] = 0x22;
    payload[18] = 0x33;
    payload[19] = 0x44;
    uint32_t good = 0xEF ^ 0x11 ^ 0x22 ^ 0x33 ^ 0x44;
    cr_assert_eq(esp_checksum(payload + 16, 4), good);
    uint8_t req[64], out[64];
    struct esp_response r;
    size_t n = esp_request(ESP_MEM_DATA, payload, sizeof payload, good ^ 1, req, sizeof req);
    size_t w = rom_answer(&c, req, n, out, sizeof out);
    cr_assert_eq(w, 14);
    cr_assert_eq(esp_parse_response(out + 1, 12, 4, &r), 0);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_CRC);
    /* Checksum right: not modelled, the ROM's invalid-message reply. */
    n = esp_request(ESP_MEM_DATA, payload, sizeof payload, good, req, sizeof req);
    w = rom_answer(&c, req, n, out, sizeof out);
    cr_assert_eq(esp_parse_response(out + 1, 12, 4, &r), 0);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
}

Test(rom, output_capacity_whole_frames)
{
    struct rom_chip c = chip_named("esp32");
    uint8_t req[64], out[64];
    size_t n = esp_sync_request(req, sizeof req);
    cr_assert_eq(rom_answer(&c, req, n, out, 13), 0);
    cr_assert_eq(rom_answer(&c, req, n, out, 14), 14);
    cr_assert_eq(rom_answer(&c, req, n, out, 41), 28);
    cr_assert_eq(count_frames(out, 28), 2);
}

Test(rom, presets)
{
    struct rom_chip c = {.magic = 1, .status_len = 3, .sync_value = 5};
    cr_assert_eq(rom_chip_preset("esp32s2-nope", &c), -1);
    cr_assert_eq(c.magic, 1, "untouched");
    cr_assert_eq(rom_chip_preset(NULL, &c), -1);
    cr_assert_eq(rom_chip_preset("esp32", NULL), -1);
    c = chip_named("esp32s3");
    cr_assert_eq(c.magic, 0x9u);
    c = chip_named("esp32");
    cr_assert_eq(c.sync_value, 0x20120707u);
}

/* Deterministic noise through every entry point: no crash, and whatever the
 * ROM says is made of well-formed response frames. */
Test(rom, noise_never_crashes)
{
    uint32_t x = 12345;
    struct rom_chip c = chip_named("esp32");
    static uint8_t s[2048], out[8192], frame[64];
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)(round * 10 % 2048);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            uint8_t b = (uint8_t)(x >> 16);
            /* Bias toward protocol bytes so frames actually form. */
            static const uint8_t pick[] = {0xC0, 0xDB, 0xDC, 0xDD, 0x00, 0x08, 0x0A, 0x04};
            s[i] = (b & 1) ? pick[(b >> 1) % ARRAY_LEN(pick)] : b;
        }
        size_t w = rom_answer(&c, s, n, out, sizeof out);
        size_t pos = 0, fl = 0;
        int got;
        while ((got = slip_next_frame(out, w, &pos, frame, sizeof frame, &fl)) != 0) {
            cr_assert_eq(got, 1);
            struct esp_response r;
            cr_assert_eq(esp_parse_response(frame, fl, 4, &r), 0);
        }
        cr_assert_eq(pos, w);
        struct esp_response r;
        (void)esp_find_reply(s, n, 0x08, 4, &r);
        pos = 0;
        while (slip_next_frame(s, n, &pos, frame, 8, &fl) != 0)
            cr_assert_leq(pos, n);
    }
}
