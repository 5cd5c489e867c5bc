/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a tool reads from the virtual lab (sim_read, and the sim port's
 * read op): the ROM banner and the ROM's answers arrive when the UART
 * has sent them, a read waits for them in virtual time, and reading
 * changes nothing the board does. The times are computed by hand below:
 * devkitc (10 kΩ / 1 µF, ESP32 at 115200 baud, first ROM byte 1 ms after
 * the release) on a host whose requests take exactly 1 ms. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/slip.h"
#include "harness/port/port.h"
#include "sim/world.h"
#include "helpers.h"

#define BYTE_NS (10.0 / 115200 * 1e9) /* 86,805.6 ns: one 8N1 byte */
/* The release request completes at 103 ms (open 1 ms, R1 at 2 ms, W0.1,
 * U1,0 at 103 ms); EN crosses 0.75·VDD 13.863 ms later (1.3863·RC); the
 * ROM's first byte starts 1 ms after that. */
#define BANNER_T0_NS (103e6 + 13.8629e6 + 1e6)

TestSuite(sim_read, .init = suite_lab_setup, .fini = suite_lab_teardown);

static struct host_profile one_ms_host(void)
{
    struct host_profile h = {.os = OS_LINUX, .request = {.floor_ms = 1, .median_ms = 1}};
    snprintf(h.name, sizeof h.name, "fixed-1ms");
    return h;
}

/* ClassicReset's download transition in two calls: EN low, then EN
 * released with IO0 low. */
static void reset_into_download(struct sim_world *w, const struct host_profile *h)
{
    sim_world_reset(w, lab_board(&suite_lab, "devkitc"), h, 1);
    cr_assert_eq(sim_open(w, 0), 0);           /* U1,1 inside open(2): 1 ms */
    cr_assert_eq(sim_set_lines(w, 0, 1), 0);   /* 2 ms: EN low */
    cr_assert_eq(sim_sleep(w, 0.1), 0);        /* 102 ms */
    cr_assert_eq(sim_set_lines(w, 1, 0), 0);   /* 103 ms: one request, EN released, IO0 low */
    cr_assert_eq(sim_now_ns(w), 103000000);
}

static int first_newline(const uint8_t *b, size_t n, void *ctx)
{
    (void)ctx;
    return b[n - 1] == '\n';
}

/* A whole SLIP frame: two 0xC0 with something between them. */
static int one_frame(const uint8_t *b, size_t n, void *ctx)
{
    (void)ctx;
    return n >= 3 && b[0] == 0xC0 && b[n - 1] == 0xC0;
}

Test(sim_read, nothing_is_waiting_before_the_rom_speaks)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h);
    uint8_t buf[64];
    cr_assert_eq(sim_read(suite_world, buf, sizeof buf, 0, NULL, NULL), 0);
    cr_assert_eq(sim_now_ns(suite_world), 103000000, "a read of what is waiting takes no time");
    /* 10 ms later the chip is still in reset (it leaves at 116.863 ms) */
    cr_assert_eq(sim_read(suite_world, buf, sizeof buf, 0.010, NULL, NULL), 0);
    cr_assert_eq(sim_now_ns(suite_world), 113000000, "a quiet read ends at its timeout");
}

Test(sim_read, a_read_ends_at_the_byte_it_waits_for)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h);
    uint8_t buf[256];
    size_t n = sim_read(suite_world, buf, sizeof buf, 1.0, first_newline, NULL);
    /* "ets Jun  8 2016 00:22:57\r\n": the '\n' is the 26th byte; it has
     * arrived when its stop bit ends, 26 byte times after the first began */
    cr_assert_eq(n, 26);
    cr_assert(memcmp(buf, "ets Jun  8 2016 00:22:57\r\n", 26) == 0, "%.*s", (int)n, buf);
    double want = BANNER_T0_NS + 26 * BYTE_NS; /* 120.120 ms */
    cr_assert(fabs((double)sim_now_ns(suite_world) - want) < 2000, "now %.4f ms, want %.4f ms",
              sim_now_ns(suite_world) / 1e6, want / 1e6);
    /* the rest of the banner is still there for the next read */
    n = sim_read(suite_world, buf, sizeof buf, 0.1, NULL, NULL);
    buf[n < sizeof buf ? n : sizeof buf - 1] = '\0';
    cr_assert(strstr((char *)buf, "boot:0x3 (DOWNLOAD_BOOT") != NULL, "%s", buf);
    cr_assert(strstr((char *)buf, "waiting for download\r\n") != NULL, "%s", buf);
    cr_assert(buf[0] == '\r', "the read went on where the last one stopped");
}

Test(sim_read, the_rom_answers_a_sync_in_virtual_time)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h);
    uint8_t buf[512];
    sim_sleep(suite_world, 0.1); /* 203 ms: the banner is out (it ends near 129 ms) */
    size_t banner = sim_read(suite_world, buf, sizeof buf, 0, NULL, NULL);
    cr_assert(banner > 100, "%zu banner bytes waiting", banner);
    uint8_t req[64];
    size_t len = esp_sync_request(req, sizeof req);
    cr_assert_eq(len, 46);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    /* 46 bytes take 3.993 ms on the wire: the ROM has them at 206.993 ms */
    cr_assert(fabs(sim_now_ns(suite_world) / 1e6 - 206.9931) < 0.001, "%.4f ms", sim_now_ns(suite_world) / 1e6);
    size_t n = sim_read(suite_world, buf, sizeof buf, 0.1, one_frame, NULL);
    /* the first reply: C0, 8 header bytes, 4 status bytes, C0 = 14 bytes */
    cr_assert_eq(n, 14);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(buf, n, ESP_SYNC, 4, &r), 1);
    double want_ms = 206.9931 + 14 * BYTE_NS / 1e6; /* 208.2084 ms */
    cr_assert(fabs(sim_now_ns(suite_world) / 1e6 - want_ms) < 0.001, "%.4f ms, want %.4f",
              sim_now_ns(suite_world) / 1e6, want_ms);
    /* the seven more replies follow back to back */
    n = sim_read(suite_world, buf, sizeof buf, 0.1, NULL, NULL);
    cr_assert_eq(n, 7 * 14);
}

Test(sim_read, a_sync_before_the_reset_ends_is_not_answered)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h);
    uint8_t req[64], buf[512];
    size_t len = esp_sync_request(req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0); /* at 107 ms the chip is still in reset */
    size_t n = sim_read(suite_world, buf, sizeof buf, 0.1, one_frame, NULL);
    struct esp_response r;
    cr_assert_eq(esp_find_reply(buf, n, ESP_SYNC, 4, &r), 0, "no reply, only the banner");
    cr_assert(n > 100 && memmem(buf, n, "waiting for download", 20) != NULL);
}

/* Reads only look: the board's UART and trace are the same with or
 * without them, for the same line changes at the same times. */
Test(sim_read, reading_changes_nothing_the_board_does)
{
    struct host_profile h = one_ms_host();
    static struct edge e1[256], e2[256];
    static uint8_t u1[2048], u2[2048], buf[2048];
    size_t n1, n2;
    struct trace t1 = {.edges = e1, .cap = 256}, t2 = {.edges = e2, .cap = 256};
    for (int pass = 0; pass < 2; pass++) {
        reset_into_download(suite_world, &h);
        if (pass == 1)
            sim_read(suite_world, buf, sizeof buf, 0.020, NULL, NULL); /* 20 ms of reading... */
        else
            sim_sleep(suite_world, 0.020); /* ...or 20 ms of waiting */
        cr_assert_eq(sim_set_lines(suite_world, 0, 0), 0);
        cr_assert_eq(sim_finish(suite_world, pass ? &t2 : &t1, pass ? u2 : u1, 2048, pass ? &n2 : &n1, NULL), 0);
    }
    cr_assert_eq(n1, n2);
    cr_assert(memcmp(u1, u2, n1) == 0);
    cr_assert_eq(t1.n, t2.n);
    cr_assert(memcmp(e1, e2, t1.n * sizeof e1[0]) == 0);
}

/* The sim port's read op is sim_read: the same bytes through the vtable. */
Test(sim_read, the_sim_port_reads_through_its_ops)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h);
    struct port p = {.ops = port_backend("sim"), .ctx = suite_world};
    uint8_t buf[256];
    long n = p.ops->read(&p, buf, sizeof buf, 1.0, first_newline, NULL);
    cr_assert_eq(n, 26);
    cr_assert(fabs(p.ops->now_ns(&p) - (BANNER_T0_NS + 26 * BYTE_NS)) < 2000);
}
