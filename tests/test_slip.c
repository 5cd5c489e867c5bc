/* SLIP framing, the esptool serial protocol and the simulated ROM loader.
 * Expected bytes are written by hand from the protocol description
 * (espressif/esptool docs/en/advanced-topics/serial-protocol.rst, cited
 * field by field in analyzers/slip.h), not produced by the code under test. */
#include <criterion/criterion.h>
#include <string.h>

#include "analyzers/slip.h"
#include "sim/rom.h"

/* Chip ROM facts, as boards.yaml gives them (sources there): the magic
 * word at 0x40001000 (esptool targets, one file per chip), 4 status bytes for the
 * ESP32-family ROMs and 2 for the ESP8266's (esptool loader.py). */
#define ROM_MAGIC_ESP32 0x00F01D83u
#define ROM_MAGIC_ESP32C3 0x6921506Fu
#define ROM_MAGIC_ESP32C3_ECO3 0x1B31506Fu
#define ROM_MAGIC_ESP32C3_REV_C 0x4881606Fu
#define ROM_MAGIC_ESP32C3_REV_D 0x4361606Fu
#define ROM_MAGIC_ESP32S3 0x00000009u
#define ROM_MAGIC_ESP8266 0xFFF0C101u
#define ROM_SYNC_VALUE_DEFAULT 0x20120707u

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

static const char banner[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 "
                             "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";

/* One ESP32 ROM SYNC response on the wire: C0, direction 01, command 08,
 * size 04 00 (only the 4 status bytes), value 07 07 12 20 (0x20120707, as in
 * the captures of esptool issue #570), status 00 error 00, two reserved 00,
 * C0. */
static const uint8_t esp32_sync_reply[] = {0xC0, 0x01, 0x08, 0x04, 0x00, 0x07, 0x07,
                                           0x12, 0x20, 0x00, 0x00, 0x00, 0x00, 0xC0};

/* Appends bytes to a test buffer. */
struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put(struct buf *s, const void *p, size_t n)
{
    cr_assert_leq(s->n + n, sizeof s->b);
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void put_str(struct buf *s, const char *str)
{
    put(s, str, strlen(str));
}

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

/* ---- SLIP ---- */

static void roundtrip(const uint8_t *in, size_t n)
{
    uint8_t enc[256], dec[128];
    size_t w = slip_encode(in, n, enc, sizeof enc);
    cr_assert_geq(w, n + 2);
    cr_assert_eq(enc[0], 0xC0);
    cr_assert_eq(enc[w - 1], 0xC0);
    for (size_t i = 1; i + 1 < w; i++)
        cr_assert_neq(enc[i], 0xC0, "unescaped delimiter at %zu", i);
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(enc, w, &pos, dec, sizeof dec, &fl), 1);
    cr_assert_eq(fl, n);
    cr_assert_eq(pos, w);
    cr_assert_arr_eq(dec, in, n);
    cr_assert_eq(slip_next_frame(enc, w, &pos, dec, sizeof dec, &fl), 0);
}

Test(slip, roundtrip_plain)
{
    const uint8_t a[] = {0x00, 0x01, 0x7F, 0xFF, 0xDC, 0xDD};
    roundtrip(a, sizeof a);
}

Test(slip, roundtrip_escapes)
{
    const uint8_t c0[] = {0xC0};
    const uint8_t db[] = {0xDB};
    const uint8_t both[] = {0xC0, 0xDB};
    const uint8_t both_rev[] = {0xDB, 0xC0};
    const uint8_t looks_escaped[] = {0xDB, 0xDC, 0xDB, 0xDD}; /* literal bytes, not escapes */
    const uint8_t at_ends[] = {0xC0, 0x11, 0x22, 0xDB};
    const uint8_t runs[] = {0xC0, 0xC0, 0xDB, 0xDB, 0xC0, 0xDB};
    roundtrip(c0, sizeof c0);
    roundtrip(db, sizeof db);
    roundtrip(both, sizeof both);
    roundtrip(both_rev, sizeof both_rev);
    roundtrip(looks_escaped, sizeof looks_escaped);
    roundtrip(at_ends, sizeof at_ends);
    roundtrip(runs, sizeof runs);
    uint8_t all[256];
    for (int i = 0; i < 64; i++)
        all[i] = (uint8_t)(i * 4 + 3); /* includes 0xC3.., not 0xC0/0xDB */
    all[10] = 0xC0;
    all[11] = 0xDB;
    roundtrip(all, 64);
}

Test(slip, encode_exact_bytes)
{
    /* C0 01 DB -> C0 | DB DC | 01 | DB DD | C0 */
    const uint8_t in[] = {0xC0, 0x01, 0xDB};
    const uint8_t want[] = {0xC0, 0xDB, 0xDC, 0x01, 0xDB, 0xDD, 0xC0};
    uint8_t out[16];
    cr_assert_eq(slip_encode(in, sizeof in, out, sizeof out), sizeof want);
    cr_assert_arr_eq(out, want, sizeof want);
}

Test(slip, encode_capacity)
{
    const uint8_t in[] = {0xC0, 0x01, 0xDB};
    uint8_t out[16];
    cr_assert_eq(slip_encode(in, sizeof in, out, 6), 0, "needs 7 bytes");
    cr_assert_eq(slip_encode(in, sizeof in, out, 7), 7);
    cr_assert_eq(slip_encode(NULL, 0, out, 2), 2, "empty payload: C0 C0");
    cr_assert_eq(out[0], 0xC0);
    cr_assert_eq(out[1], 0xC0);
    cr_assert_eq(slip_encode(NULL, 0, out, 1), 0);
    cr_assert_eq(slip_encode(NULL, 3, out, sizeof out), 0);
}

Test(slip, scanner_banner_frames_garbage)
{
    struct buf s = {0};
    put_str(&s, banner);
    put(&s, esp32_sync_reply, sizeof esp32_sync_reply);
    put(&s, esp32_sync_reply, sizeof esp32_sync_reply);
    put_str(&s, "\r\n~garbage\xff\x01");
    const uint8_t third[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0xDB, 0xDC, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0xC0};
    put(&s, third, sizeof third);
    put_str(&s, "tail noise");

    uint8_t frame[64];
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 12);
    cr_assert_arr_eq(frame, esp32_sync_reply + 1, 12);
    cr_assert_eq(pos, strlen(banner) + sizeof esp32_sync_reply);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_arr_eq(frame, esp32_sync_reply + 1, 12);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 12);
    cr_assert_eq(frame[4], 0xC0, "escaped value byte decoded");
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 0);
    cr_assert_eq(pos, s.n);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 0);
}

Test(slip, scanner_skips_empty_frames)
{
    const uint8_t s[] = {0xC0, 0xC0, 0xC0, 0xC0, 0x42, 0x43, 0xC0, 0xC0, 0xC0};
    uint8_t frame[8];
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(s, sizeof s, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 2);
    cr_assert_eq(frame[0], 0x42);
    cr_assert_eq(frame[1], 0x43);
    cr_assert_eq(slip_next_frame(s, sizeof s, &pos, frame, sizeof frame, &fl), 0);

    const uint8_t only_empty[] = {0xC0, 0xC0};
    pos = 0;
    cr_assert_eq(slip_next_frame(only_empty, sizeof only_empty, &pos, frame, sizeof frame, &fl), 0);
}

Test(slip, scanner_truncated_final_frame)
{
    struct buf s = {0};
    put(&s, esp32_sync_reply, sizeof esp32_sync_reply);
    size_t start = s.n;
    put(&s, esp32_sync_reply, sizeof esp32_sync_reply - 1); /* no closing C0 */
    uint8_t frame[64];
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 0);
    cr_assert_eq(pos, start, "left on the opening C0 of the unfinished frame");
    /* The rest arrives: the same position now yields the frame. */
    put(&s, "\xC0", 1);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_arr_eq(frame, esp32_sync_reply + 1, 12);

    /* An escape cut by the end of the capture is also just unfinished. */
    const uint8_t cut[] = {0xC0, 0x01, 0xDB};
    pos = 0;
    cr_assert_eq(slip_next_frame(cut, sizeof cut, &pos, frame, sizeof frame, &fl), 0);
    cr_assert_eq(pos, 0);
}

Test(slip, scanner_bad_escape_then_continues)
{
    /* Frame with DB 05 (bad escape), then a good frame. */
    const uint8_t s[] = {0xC0, 0x01, 0xDB, 0x05, 0x02, 0xC0, 0xC0, 0x33, 0xDB, 0xDD, 0xC0};
    uint8_t frame[16];
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(s, sizeof s, &pos, frame, sizeof frame, &fl), -1);
    cr_assert_eq(pos, 5, "on the bad frame's closing delimiter");
    cr_assert_eq(slip_next_frame(s, sizeof s, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 2);
    cr_assert_eq(frame[0], 0x33);
    cr_assert_eq(frame[1], 0xDB);
    cr_assert_eq(slip_next_frame(s, sizeof s, &pos, frame, sizeof frame, &fl), 0);

    /* DB directly before a delimiter; the delimiter is shared with the next
     * frame (no separate opener). */
    const uint8_t t[] = {0xC0, 0x01, 0xDB, 0xC0, 0x44, 0xC0};
    pos = 0;
    cr_assert_eq(slip_next_frame(t, sizeof t, &pos, frame, sizeof frame, &fl), -1);
    cr_assert_eq(slip_next_frame(t, sizeof t, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 1);
    cr_assert_eq(frame[0], 0x44);
}

Test(slip, scanner_oversize_frame)
{
    struct buf s = {0};
    uint8_t big[40];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    uint8_t enc[64];
    size_t w = slip_encode(big, sizeof big, enc, sizeof enc);
    put(&s, enc, w);
    const uint8_t small[] = {0x10, 0x20};
    w = slip_encode(small, sizeof small, enc, sizeof enc);
    put(&s, enc, w);

    uint8_t frame[8];
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), -1);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 2);
    cr_assert_eq(frame[0], 0x10);
    cr_assert_eq(slip_next_frame(s.b, s.n, &pos, frame, sizeof frame, &fl), 0);

    /* Exactly cap bytes fit. */
    w = slip_encode(big, 8, enc, sizeof enc);
    pos = 0;
    cr_assert_eq(slip_next_frame(enc, w, &pos, frame, sizeof frame, &fl), 1);
    cr_assert_eq(fl, 8);
}

/* ---- requests ---- */

Test(esp, sync_request_bytes)
{
    /* By hand from serial-protocol.rst: C0, direction 00, command 08, size 36
     * = 24 00, checksum 00 00 00 00 (esptool's sync() leaves chk at 0), data
     * 07 07 12 20 then 32 x 55, C0. 46 bytes, as esptool's --trace shows
     * ("Write 46 bytes: c000082400000000 0007071220555555 ..."). */
    uint8_t want[46] = {0xC0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, 0x12, 0x20};
    for (int i = 13; i < 45; i++)
        want[i] = 0x55;
    want[45] = 0xC0;
    uint8_t out[64];
    cr_assert_eq(esp_sync_request(out, sizeof out), sizeof want);
    cr_assert_arr_eq(out, want, sizeof want);
    cr_assert_eq(esp_sync_request(out, 45), 0);
}

Test(esp, read_reg_request_bytes)
{
    /* C0, 00, 0A, size 04 00, checksum 0, address 0x40001000 LE, C0
     * (the request in the trace of esptool issue #698). */
    const uint8_t want[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x10, 0x00, 0x40, 0xC0};
    uint8_t out[32];
    cr_assert_eq(esp_read_reg_request(0x40001000u, out, sizeof out), sizeof want);
    cr_assert_arr_eq(out, want, sizeof want);
}

Test(esp, request_escapes_header_and_data)
{
    /* Size 0xC0 and a checksum with 0xDB: header bytes are escaped too. */
    uint8_t data[0xC0];
    memset(data, 0xDB, sizeof data);
    uint8_t out[600], dec[300];
    size_t w = esp_request(0x07, data, sizeof data, 0xDB, out, sizeof out);
    cr_assert_eq(w, 2 + 8 + 1 /* size lo C0 */ + 1 /* checksum DB */ + 2 * sizeof data);
    size_t pos = 0, fl = 0;
    cr_assert_eq(slip_next_frame(out, w, &pos, dec, sizeof dec, &fl), 1);
    cr_assert_eq(fl, 8 + sizeof data);
    cr_assert_eq(dec[0], 0x00);
    cr_assert_eq(dec[1], 0x07);
    cr_assert_eq(dec[2], 0xC0);
    cr_assert_eq(dec[3], 0x00);
    cr_assert_eq(dec[4], 0xDB);
    cr_assert_eq(esp_request(0x07, data, 0x10000, 0, out, sizeof out), 0, "size field is 16-bit");
    cr_assert_eq(esp_checksum((const uint8_t *)"\x01\x02", 2), 0xEF ^ 0x01 ^ 0x02);
}

/* ---- responses ---- */

Test(esp, parse_esp32_sync_response)
{
    struct esp_response r;
    cr_assert_eq(esp_parse_response(esp32_sync_reply + 1, 12, ESP_STATUS_LEN_ROM, &r), 0);
    cr_assert_eq(r.op, 0x08);
    cr_assert_eq(r.size, 4);
    cr_assert_eq(r.value, 0x20120707u);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.error, 0);
}

Test(esp, parse_two_status_bytes)
{
    /* ESP8266 ROM READ_REG reply from serial-protocol.rst's trace example:
     * 01 0a 02 00 62 01 00 00 00 00 -> value 0x162, status 0. */
    const uint8_t f[] = {0x01, 0x0A, 0x02, 0x00, 0x62, 0x01, 0x00, 0x00, 0x00, 0x00};
    struct esp_response r;
    cr_assert_eq(esp_parse_response(f, sizeof f, ESP_STATUS_LEN_STUB, &r), 0);
    cr_assert_eq(r.value, 0x162u);
    cr_assert_eq(r.size, 2);
    cr_assert_eq(esp_parse_response(f, sizeof f, ESP_STATUS_LEN_ROM, &r), -1, "2 < 4 status bytes");
}

Test(esp, parse_error_status)
{
    /* "Error code 01050000" (esptool issue #352): status 1, error 5. */
    const uint8_t f[] = {0x01, 0x14, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00};
    struct esp_response r;
    cr_assert_eq(esp_parse_response(f, sizeof f, 4, &r), 0);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, 0x05);
}

Test(esp, parse_rejects_malformed)
{
    struct esp_response r;
    uint8_t f[12];
    memcpy(f, esp32_sync_reply + 1, 12);
    f[0] = 0x00; /* a request, not a response */
    cr_assert_eq(esp_parse_response(f, 12, 4, &r), -1);
    f[0] = 0x02;
    cr_assert_eq(esp_parse_response(f, 12, 4, &r), -1);
    memcpy(f, esp32_sync_reply + 1, 12);
    cr_assert_eq(esp_parse_response(f, 7, 4, &r), -1, "shorter than the header");
    cr_assert_eq(esp_parse_response(f, 0, 4, &r), -1);
    cr_assert_eq(esp_parse_response(f, 11, 4, &r), -1, "size says 4, 3 data bytes");
    f[2] = 0x05;
    cr_assert_eq(esp_parse_response(f, 12, 4, &r), -1, "size says 5, 4 data bytes");
    f[2] = 0x04;
    f[3] = 0x01;
    cr_assert_eq(esp_parse_response(f, 12, 4, &r), -1, "size 0x104");
    f[3] = 0x00;
    cr_assert_eq(esp_parse_response(f, 12, 1, &r), -1, "status_len < 2");
    cr_assert_eq(esp_parse_response(f, 12, 4, &r), 0);
}

Test(esp, find_reply_skips_noise_errors_and_other_ops)
{
    struct buf s = {0};
    put_str(&s, banner);
    /* READ_REG error reply: status 1. */
    const uint8_t err[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0x01, 0x05, 0x00, 0x00, 0xC0};
    put(&s, err, sizeof err);
    put(&s, "\xC0\x01\xDB\x07\xC0", 5); /* bad escape */
    put(&s, esp32_sync_reply, sizeof esp32_sync_reply);
    put_str(&s, "noise");
    const uint8_t ok[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D, 0xF0, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0xC0};
    put(&s, ok, sizeof ok);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(s.b, s.n, 0x0A, 4, &r), 1);
    cr_assert_eq(r.value, ROM_MAGIC_ESP32);
    cr_assert_eq(esp_find_reply(s.b, s.n, 0x08, 4, &r), 1);
    cr_assert_eq(r.value, 0x20120707u);
    cr_assert_eq(esp_find_reply(s.b, s.n, 0x09, 4, &r), 0);
    cr_assert_eq(esp_find_reply((const uint8_t *)banner, strlen(banner), 0x08, 4, &r), 0);
    cr_assert_eq(esp_find_reply(s.b, 0, 0x08, 4, &r), 0);
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
