/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The chip's protocol state in the virtual lab's world (sim/rom.h,
 * world_physics.c answer_once): it lasts as long as the chip's boot does,
 * across writes, reads and serve's epochs, and a chip reset clears it;
 * each write is answered once, so replaying an epoch (sim_finish again)
 * neither applies a write twice nor changes an answer; CHANGE_BAUDRATE
 * moves the chip's UART, and a host left at the old rate gets garbage.
 * devkitc (ESP32 at 115200 baud) on a host whose requests take 1 ms, as
 * in test_sim_read.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/slip.h"
#include "sim/flash.h"
#include "sim/world.h"
#include "helpers.h"

TestSuite(rom_world, .init = suite_lab_setup, .fini = suite_lab_teardown);

static struct host_profile one_ms_host(void)
{
    struct host_profile h = {.os = OS_LINUX, .request = {.floor_ms = 1, .median_ms = 1}};
    snprintf(h.name, sizeof h.name, "fixed-1ms");
    return h;
}

/* EN low, then released with IO0 low; then 100 ms for the banner. */
static void reset_into_download(struct sim_world *w, const struct host_profile *h, int first)
{
    if (first) {
        sim_world_reset(w, lab_board(&suite_lab, "devkitc"), h, 1);
        cr_assert_eq(sim_open(w, 0), 0);
    }
    cr_assert_eq(sim_set_lines(w, 0, 1), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    cr_assert_eq(sim_set_lines(w, 1, 0), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    uint8_t junk[1024];
    sim_read(w, junk, sizeof junk, 0, NULL, NULL); /* the banner */
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Sends one request, reads its first reply; returns 1 and *r when one came. */
static int ask(struct sim_world *w, uint8_t op, const uint8_t *data, size_t n, uint32_t checksum,
               struct esp_response *r)
{
    uint8_t req[256], buf[512];
    size_t len = esp_request(op, data, n, checksum, req, sizeof req);
    cr_assert(len > 0);
    cr_assert_eq(sim_write(w, req, len), 0);
    size_t got = sim_read(w, buf, sizeof buf, 0.05, NULL, NULL);
    return esp_find_reply(buf, got, op, 4, r) || (got > 0 && (esp_parse_response(buf + 1, got - 2, 4, r) == 0));
}

static uint32_t read_reg(struct sim_world *w, uint32_t addr)
{
    uint8_t d[4];
    struct esp_response r;
    put32(d, addr);
    cr_assert(ask(w, ESP_READ_REG, d, 4, 0, &r), "READ_REG answered");
    return r.value;
}

static void write_reg(struct sim_world *w, uint32_t addr, uint32_t value)
{
    uint8_t d[16];
    struct esp_response r;
    put32(d, addr), put32(d + 4, value), put32(d + 8, 0xFFFFFFFFu), put32(d + 12, 0);
    cr_assert(ask(w, ESP_WRITE_REG, d, 16, 0, &r), "WRITE_REG answered");
    cr_assert_eq(r.status, 0);
}

/* A word of RAM no fixed register covers (an assumption of the test:
 * ESP32 internal SRAM, which the ROM lets the host poke). */
#define SCRATCH 0x3FFE0000u

Test(rom_world, a_written_register_reads_back_until_the_chip_is_reset)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    cr_assert_eq(read_reg(suite_world, SCRATCH), 0);
    write_reg(suite_world, SCRATCH, 0xCAFEF00Du);
    cr_assert_eq(read_reg(suite_world, SCRATCH), 0xCAFEF00Du, "the write lasted to the next command");
    reset_into_download(suite_world, &h, 0); /* the same world, a new boot */
    cr_assert_eq(read_reg(suite_world, SCRATCH), 0, "a chip reset clears what the host wrote");
}

/* MEM_BEGIN then MEM_DATA seq 0: replaying the epoch must not feed the
 * block twice (the second would be out of order, status 1). */
Test(rom_world, replaying_the_epoch_answers_nothing_twice)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    uint8_t begin[16], block[16 + 4] = {0};
    struct esp_response r;
    put32(begin, 4), put32(begin + 4, 1), put32(begin + 8, 0x1800), put32(begin + 12, 0x3FFB0000u);
    cr_assert(ask(suite_world, ESP_MEM_BEGIN, begin, 16, 0, &r));
    cr_assert_eq(r.status, 0);
    put32(block, 4), put32(block + 4, 0);
    block[16] = 1, block[17] = 2, block[18] = 3, block[19] = 4;
    /* checksum: 0xEF ^ 1 ^ 2 ^ 3 ^ 4 = 0xEF ^ 0x04 = 0xEB */
    cr_assert(ask(suite_world, ESP_MEM_DATA, block, 20, 0xEB, &r));
    cr_assert_eq(r.status, 0, "block 0 in order: error 0x%02x", r.error);
    static struct edge e[512];
    static uint8_t u1[8192], u2[8192];
    struct trace t = {.edges = e, .cap = 512};
    size_t n1 = 0, n2 = 0;
    cr_assert_eq(sim_finish(suite_world, &t, u1, sizeof u1, &n1, NULL), 0);
    cr_assert_eq(sim_finish(suite_world, &t, u2, sizeof u2, &n2, NULL), 0);
    cr_assert_eq(n1, n2);
    cr_assert(memcmp(u1, u2, n1) == 0, "the same bytes on every replay");
    /* the MEM_DATA reply in the UART: status 0 still */
    struct esp_response last;
    cr_assert_eq(esp_find_reply(u2, n2, ESP_MEM_DATA, 4, &last), 1, "MEM_DATA's status-0 reply is kept");
    /* a second block 0 now is out of order: status 1, invalid message */
    cr_assert(ask(suite_world, ESP_MEM_DATA, block, 20, 0xEB, &r));
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, ESP_ERR_INVALID_MSG);
}

/* serve starts a new epoch when the board is at rest: the chip's state
 * goes on (it was not reset). */
Test(rom_world, the_state_lasts_across_epochs)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    write_reg(suite_world, SCRATCH, 0x12345678u);
    static struct edge e[512];
    static uint8_t u[8192];
    struct trace t = {.edges = e, .cap = 512};
    size_t n = 0;
    cr_assert_eq(sim_finish(suite_world, &t, u, sizeof u, &n, NULL), 0);
    sim_continue(suite_world);
    cr_assert_eq(read_reg(suite_world, SCRATCH), 0x12345678u, "the next epoch's chip remembers");
    cr_assert_eq(sim_finish(suite_world, &t, u, sizeof u, &n, NULL), 0);
    sim_continue(suite_world);
    cr_assert_eq(sim_set_lines(suite_world, 0, 1), 0); /* EN low in the third epoch: a reset */
    cr_assert_eq(sim_sleep(suite_world, 0.1), 0);
    cr_assert_eq(sim_set_lines(suite_world, 1, 0), 0);
    cr_assert_eq(sim_sleep(suite_world, 0.1), 0);
    uint8_t junk[1024];
    sim_read(suite_world, junk, sizeof junk, 0, NULL, NULL);
    cr_assert_eq(read_reg(suite_world, SCRATCH), 0, "reset: gone");
}

static int all_112(const uint8_t *b, size_t n, void *ctx)
{
    (void)b, (void)ctx;
    return n == 112;
}

/* CHANGE_BAUDRATE to 460800: the reply at 115200; a SYNC at the old rate
 * is garbage to the chip (no answer); at the new rate it is answered and
 * its 8 × 14 reply bytes take 112 × 10 / 460800 s = 2.4306 ms. */
Test(rom_world, change_baudrate_moves_the_chip_uart)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    uint8_t d[8], req[64], buf[512];
    struct esp_response r;
    put32(d, 460800), put32(d + 4, 0);
    cr_assert(ask(suite_world, ESP_CHANGE_BAUDRATE, d, 8, 0, &r));
    cr_assert_eq(r.status, 0);
    size_t len = esp_sync_request(req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    cr_assert_eq(sim_read(suite_world, buf, sizeof buf, 0.05, NULL, NULL), 0, "old rate: no answer");
    sim_set_host_baud(suite_world, 460800);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    int64_t arrived = sim_now_ns(suite_world); /* 46 bytes at 460800: 0.9983 ms after the write began */
    size_t n = sim_read(suite_world, buf, sizeof buf, 0.05, all_112, NULL);
    cr_assert_eq(n, 8 * 14);
    cr_assert_eq(esp_find_reply(buf, n, ESP_SYNC, 4, &r), 1);
    double took_ms = (double)(sim_now_ns(suite_world) - arrived) / 1e6;
    cr_assert(fabs(took_ms - 2.4306) < 0.001, "112 bytes at 460800 took %.4f ms", took_ms);
}

/* The chip at 460800, the host back at 115200: the chip's answers arrive
 * as garbage (no frame in them). */
Test(rom_world, a_host_at_the_old_rate_reads_garbage)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    uint8_t d[8], buf[512];
    struct esp_response r;
    put32(d, 460800), put32(d + 4, 0);
    cr_assert(ask(suite_world, ESP_CHANGE_BAUDRATE, d, 8, 0, &r));
    sim_set_host_baud(suite_world, 460800);
    uint8_t a[4];
    put32(a, ESP_CHIP_DETECT_MAGIC_REG);
    cr_assert(ask(suite_world, ESP_READ_REG, a, 4, 0, &r));
    cr_assert_eq(r.value, 0x00F01D83u, "at the same rate the chip answers");
    uint8_t req[64];
    size_t len = esp_read_reg_request(ESP_CHIP_DETECT_MAGIC_REG, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0); /* sent at 460800: the chip reads it */
    sim_set_host_baud(suite_world, 0);                 /* then the host goes back to 115200 */
    size_t n = sim_read(suite_world, buf, sizeof buf, 0.05, NULL, NULL);
    cr_assert_eq(n, 14, "the reply's 14 bytes arrive...");
    cr_assert_eq(esp_find_reply(buf, n, ESP_READ_REG, 4, &r), 0, "...as garbage");
}

/* MEM_END with an entry point: its reply, then the stub's greeting, a SLIP
 * frame holding "OHAI" (C0 4F 48 41 49 C0, esptool loader.py run_stub);
 * from then on the stub answers, with its two status bytes. */
Test(rom_world, mem_end_starts_the_stub_which_greets)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    uint8_t d[16], req[64], buf[512];
    struct esp_response r;
    put32(d, 0), put32(d + 4, 0), put32(d + 8, 0x1800), put32(d + 12, 0x40080000u);
    cr_assert(ask(suite_world, ESP_MEM_BEGIN, d, 16, 0, &r));
    put32(d, 0), put32(d + 4, 0x40080400u);
    size_t len = esp_request(ESP_MEM_END, d, 8, 0, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    size_t n = sim_read(suite_world, buf, sizeof buf, 0.05, NULL, NULL);
    cr_assert_eq(n, 14 + 6, "MEM_END's 14 bytes, then OHAI's 6");
    static const uint8_t ohai[] = {0xC0, 'O', 'H', 'A', 'I', 0xC0};
    cr_assert(memcmp(buf + 14, ohai, 6) == 0);
    put32(d, ESP_CHIP_DETECT_MAGIC_REG);
    len = esp_request(ESP_READ_REG, d, 4, 0, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    n = sim_read(suite_world, buf, sizeof buf, 0.05, NULL, NULL);
    /* C0, 01 0A 02 00, value, two status bytes, C0: 12 bytes (whatever the
     * stub's answer, it has two status bytes, not the ROM's four) */
    cr_assert_eq(n, 12, "the stub answers, two status bytes");
    cr_assert_eq(buf[1], ESP_DIR_RESPONSE);
    cr_assert_eq(buf[2], ESP_READ_REG);
    cr_assert_eq(buf[3], 2);
}

/* Starts the stub (MEM_BEGIN, MEM_END with an entry point) and reads its
 * greeting. */
static void start_stub(struct sim_world *w)
{
    uint8_t d[16], req[64], buf[512];
    struct esp_response r;
    put32(d, 0), put32(d + 4, 0), put32(d + 8, 0x1800), put32(d + 12, 0x40080000u);
    cr_assert(ask(w, ESP_MEM_BEGIN, d, 16, 0, &r));
    put32(d, 0), put32(d + 4, 0x40080400u);
    size_t len = esp_request(ESP_MEM_END, d, 8, 0, req, sizeof req);
    cr_assert_eq(sim_write(w, req, len), 0);
    cr_assert_eq(sim_read(w, buf, sizeof buf, 0.05, NULL, NULL), 14 + 6);
}

/* The next SLIP frame in buf[*pos, n), decoded; its length. */
static size_t next_frame(const uint8_t *buf, size_t n, size_t *pos, uint8_t *frame, size_t cap)
{
    size_t len = 0;
    cr_assert_eq(slip_next_frame(buf, n, pos, frame, cap, &len), 1, "a whole frame at byte %zu of %zu", *pos, n);
    return len;
}

/* esptool's read_flash with the stub (loader.py read_flash): READ_FLASH
 * (offset, length, FLASH_SECTOR_SIZE 0x1000 a block, 64 bytes in flight),
 * so the stub sends one 4 KiB block, waits for the host's 4-byte ACK of
 * the bytes it has, sends the next, and after the last ACK the 16-byte
 * MD5. The first block is all 0xC0: SLIP escapes each to DB DC, 8,194
 * bytes on the wire, so a block must fit one write's answer whole (before
 * REPLY_MAX held one, esptool waited for the rest of the block forever). */
Test(rom_world, the_stubs_read_flash_sends_whole_blocks_through_the_world)
{
    struct host_profile h = one_ms_host();
    struct sim_flash *f = sim_flash_new(4u << 20);
    cr_assert_not_null(f);
    static uint8_t data[8192];
    memset(data, 0xC0, 4096);
    for (size_t i = 4096; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    cr_assert_eq(sim_flash_write(f, 0x10000, data, sizeof data), 0);
    reset_into_download(suite_world, &h, 1);
    sim_attach_flash(suite_world, f);
    start_stub(suite_world);
    uint8_t d[16], req[64], frame[8192];
    static uint8_t buf[20000];
    put32(d, 0x10000), put32(d + 4, sizeof data), put32(d + 8, 0x1000), put32(d + 12, 64);
    size_t len = esp_request(ESP_READ_FLASH, d, 16, 0, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    /* 115200 baud: 86.8 us a byte, 8,208 bytes take 0.71 s */
    size_t n = sim_read(suite_world, buf, sizeof buf, 1.0, NULL, NULL), pos = 0;
    cr_assert_eq(n, 12 + 2 + 2 * 4096, "the reply (12 bytes) and the escaped block");
    cr_assert_eq(next_frame(buf, n, &pos, frame, sizeof frame), 10, "header and two status bytes");
    cr_assert_eq(frame[1], ESP_READ_FLASH);
    cr_assert_eq(frame[8], 0, "status: success");
    cr_assert_eq(next_frame(buf, n, &pos, frame, sizeof frame), 4096);
    cr_assert(memcmp(frame, data, 4096) == 0);
    uint8_t ack[4];
    put32(ack, 4096);
    len = slip_encode(ack, 4, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    n = sim_read(suite_world, buf, sizeof buf, 1.0, NULL, NULL), pos = 0;
    cr_assert_eq(next_frame(buf, n, &pos, frame, sizeof frame), 4096, "the second block after the first ACK");
    cr_assert(memcmp(frame, data + 4096, 4096) == 0);
    put32(ack, 8192);
    len = slip_encode(ack, 4, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    n = sim_read(suite_world, buf, sizeof buf, 0.1, NULL, NULL), pos = 0;
    cr_assert_eq(next_frame(buf, n, &pos, frame, sizeof frame), 16, "the digest after the last ACK");
    uint8_t md5[16];
    cr_assert_eq(sim_flash_md5(f, 0x10000, sizeof data, md5), 0);
    cr_assert(memcmp(frame, md5, 16) == 0);
    sim_attach_flash(suite_world, NULL);
    sim_flash_free(f);
}

/* The stub reads and writes memory itself (stub_set_regs): a WRITE_REG
 * through the stub lands in the world's register file, and the ROM's
 * fixed words (the chip-detect magic, 0x00F01D83 for the ESP32 in
 * boards.yaml) read through it. esptool's flash_id with the stub drives
 * the SPI controller this way. */
Test(rom_world, the_stub_reaches_the_register_file)
{
    struct host_profile h = one_ms_host();
    reset_into_download(suite_world, &h, 1);
    write_reg(suite_world, SCRATCH, 0x12345678u);
    start_stub(suite_world);
    uint8_t d[16], req[64], buf[64];
    put32(d, SCRATCH), put32(d + 4, 0xCAFEF00Du), put32(d + 8, 0xFFFFFFFFu), put32(d + 12, 0);
    size_t len = esp_request(ESP_WRITE_REG, d, 16, 0, req, sizeof req);
    cr_assert_eq(sim_write(suite_world, req, len), 0);
    cr_assert_eq(sim_read(suite_world, buf, sizeof buf, 0.05, NULL, NULL), 12);
    const uint32_t addrs[2] = {SCRATCH, ESP_CHIP_DETECT_MAGIC_REG};
    const uint32_t want[2] = {0xCAFEF00Du, 0x00F01D83u};
    for (int i = 0; i < 2; i++) {
        put32(d, addrs[i]);
        len = esp_request(ESP_READ_REG, d, 4, 0, req, sizeof req);
        cr_assert_eq(sim_write(suite_world, req, len), 0);
        cr_assert_eq(sim_read(suite_world, buf, sizeof buf, 0.05, NULL, NULL), 12);
        uint32_t v = (uint32_t)buf[5] | (uint32_t)buf[6] << 8 | (uint32_t)buf[7] << 16 | (uint32_t)buf[8] << 24;
        cr_assert_eq(v, want[i], "READ_REG %08x through the stub: %08x", addrs[i], v);
    }
}
