/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bad input to the ROM through `resetlab serve` (issue 20): a SLIP frame
 * of 1 MiB, a WRITE_REG outside any register, MEM_DATA out of order and a
 * stub-only command before the stub runs, each answered as the ROM
 * answers it, the cut frame logged once, and the server still serving
 * (a READ_REG of the chip-detect word answered after them all). Our own
 * RFC 2217 client (harness/port) drives it. */
#define _GNU_SOURCE /* memmem */
#include "harness/port/port_rfc2217.h"
#include "serve_fixture.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyzers/slip.h"

TestSuite(serve_rom, .init = make_dir, .fini = drop_dir, .timeout = 120);

/* Reads until a response frame for `op` with the ROM's 4 status bytes
 * arrives (or wait_ms); 1 and *r when one did. */
static int reply_within(struct port *p, uint8_t op, struct esp_response *r, int wait_ms)
{
    static uint8_t rx[8192];
    size_t got = 0;
    for (int64_t until = mono_ms() + wait_ms; mono_ms() < until && got < sizeof rx;) {
        long k = port_rfc2217_read(p, rx + got, sizeof rx - got, 1, 100);
        if (k > 0)
            got += (size_t)k;
        size_t pos = 0, n = 0;
        uint8_t f[512];
        int rc;
        while ((rc = slip_next_frame(rx, got, &pos, f, sizeof f, &n)) != 0)
            if (rc == 1 && esp_parse_response(f, n, 4, r) == 0 && r->op == op)
                return 1;
    }
    return 0;
}

static int reply_for(struct port *p, uint8_t op, struct esp_response *r)
{
    return reply_within(p, op, r, 2000);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void send_request(struct port *p, uint8_t op, const uint8_t *data, size_t n, uint32_t checksum)
{
    uint8_t req[256];
    size_t len = esp_request(op, data, n, checksum, req, sizeof req);
    cr_assert(len > 0);
    cr_assert_eq(p->ops->write(p, req, len), 0, "%s", p->ops->error(p));
}

Test(serve_rom, bad_frames_are_answered_and_the_server_goes_on)
{
    struct server sv;
    start_server(&sv, "devkitc", "");
    char err[700];
    struct port *p = port_rfc2217_new(sv.url, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    const struct port_ops *o = p->ops;
    cr_assert_eq(o->open(p, 1), 0, "%s", o->error(p));
    cr_assert_eq(o->set_lines(p, 0, 1), 0); /* EN low */
    cr_assert_eq(o->sleep(p, 0.1), 0);
    cr_assert_eq(o->set_lines(p, 1, 0), 0); /* EN released, IO0 low: download */
    cr_assert_eq(o->sleep(p, 0.2), 0);
    cr_assert_eq(o->set_lines(p, 0, 0), 0);
    struct esp_response r;

    /* 1 MiB in one frame: a MEM_DATA header saying 0x1000 bytes, then
     * 1 MiB of 0x55. serve cuts it at FRAME_MAX; the ROM sees a size field
     * that disagrees with the frame: status 1, 0x05. */
    size_t big = (1u << 20) + 10;
    uint8_t *f = malloc(big);
    cr_assert_not_null(f);
    memset(f, 0x55, big);
    f[0] = SLIP_END, f[1] = 0x00, f[2] = ESP_MEM_DATA, f[3] = 0x00, f[4] = 0x10, f[5] = f[6] = f[7] = f[8] = 0;
    f[big - 1] = SLIP_END;
    for (size_t at = 0; at < big; at += 4096)
        cr_assert_eq(o->write(p, f + at, big - at < 4096 ? big - at : 4096), 0, "%s", o->error(p));
    free(f);
    /* the 32,818 bytes kept take 2.85 s at 115200 baud to reach the chip */
    cr_assert(reply_within(p, ESP_MEM_DATA, &r, 8000), "the cut frame is answered");
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);

    uint8_t d[16];
    put32(d, 0x3FF00000u), put32(d + 4, 1), put32(d + 8, 0xFFFFFFFFu), put32(d + 12, 0);
    send_request(p, ESP_WRITE_REG, d, 16, 0);
    cr_assert(reply_for(p, ESP_WRITE_REG, &r));
    cr_assert_eq(r.status, 0, "the ROM writes where it is told");

    uint8_t m[16 + 4] = {0};
    put32(m, 4), put32(m + 4, 3); /* block 3, no MEM_BEGIN before */
    send_request(p, ESP_MEM_DATA, m, 20, ESP_CHECKSUM_SEED);
    cr_assert(reply_for(p, ESP_MEM_DATA, &r));
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);

    send_request(p, ESP_ERASE_FLASH, NULL, 0, 0);
    cr_assert(reply_for(p, ESP_ERASE_FLASH, &r));
    cr_assert_eq(r.status, 1, "ERASE_FLASH is the stub's");
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);

    put32(d, ESP_CHIP_DETECT_MAGIC_REG);
    send_request(p, ESP_READ_REG, d, 4, 0);
    cr_assert(reply_for(p, ESP_READ_REG, &r), "still serving");
    cr_assert_eq(r.value, 0x00F01D83u);
    cr_assert_eq(o->close(p), 0);
    port_rfc2217_free(p);
    usleep(300 * 1000);
    stop_server(&sv);
    char *log = read_log();
    const char *cut = strstr(log, "was cut there");
    cr_assert_not_null(cut, "the cut is logged: %s", log);
    cr_assert_null(strstr(cut + 1, "was cut there"), "once");
    free(log);
}
