/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SLIP framing and the esptool serial protocol's requests and responses.
 * Expected bytes are written by hand from the protocol description
 * (espressif/esptool docs/en/advanced-topics/serial-protocol.rst, cited
 * field by field in analyzers/slip.h), not produced by the code under test.
 * The simulated ROM loader: test_slip_rom.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "analyzers/slip.h"
#include "slip_fixture.h"

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
