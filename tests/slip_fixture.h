/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SLIP and ROM suites' shared bytes (test_slip.c, test_slip_rom.c): the
 * chips' ROM facts, a ROM banner, one ESP32 SYNC reply on the wire, and a
 * buffer to append bytes to. */
#ifndef RESETLAB_SLIP_FIXTURE_H
#define RESETLAB_SLIP_FIXTURE_H

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static inline void put(struct buf *s, const void *p, size_t n)
{
    cr_assert_leq(s->n + n, sizeof s->b);
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static inline void put_str(struct buf *s, const char *str)
{
    put(s, str, strlen(str));
}

#endif
