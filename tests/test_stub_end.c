/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub's GET_SECURITY_INFO and FLASH_END's reboot (sim/stub.c),
 * against hand-built frames as in test_stub_cmds.c: the ESP32-C3 stub
 * answers GET_SECURITY_INFO with the ROM's 20 bytes and a size field of 20
 * (esptool-legacy-flasher-stub stub_flasher.c: resp.len_ret =
 * SECURITY_INFO_BYTES), the ESP32 stub does not have it; FLASH_END with
 * "reboot" (data 0) sends its reply, then the chip software-resets into its
 * ROM loader: in the world the next SYNC is the ROM's (value 0x20120707,
 * not the stub's 0), at the boot rate again. */
#include <stdio.h>

#include "sim/world.h"
#include "helpers.h"
#include "stub_fixture.h"

Test(stub_end, esp32c3_stub_has_get_security_info)
{
    struct fix x;
    fix_open(&x);
    x.chip.has_security_info = 1;
    x.chip.chip_id = 5; /* ESP32C3ROM.IMAGE_CHIP_ID */
    fix_cmd(&x, ESP_GET_SECURITY_INFO, NULL, 0, 0);
    fix_next(&x);
    cr_assert_eq(x.fl, 8u + 20u + 2u, "header, 20 bytes, error and status: %zu", x.fl);
    const uint8_t head[8] = {0x01, ESP_GET_SECURITY_INFO, 20, 0, 0, 0, 0, 0};
    cr_assert_arr_eq(x.frame, head, 8, "size field 20 (SECURITY_INFO_BYTES), value 0");
    cr_assert_eq(x.frame[8 + 12], 5, "chip_id at data bytes 12..15");
    cr_assert_eq(x.frame[8 + 20], 0, "no error");
    cr_assert_eq(x.frame[8 + 21], 0);
    fix_cmd(&x, ESP_GET_SECURITY_INFO, (const uint8_t *)"xxxx", 4, 0);
    fix_reply(&x, ESP_GET_SECURITY_INFO, 0, STUB_ERR_BAD_DATA_LEN);
    fix_no_more(&x);
    fix_close(&x);
}

Test(stub_end, esp32_stub_has_no_get_security_info)
{
    struct fix x;
    fix_open(&x);
    fix_cmd(&x, ESP_GET_SECURITY_INFO, NULL, 0, 0);
    fix_reply(&x, ESP_GET_SECURITY_INFO, 0, STUB_ERR_CMD_NOT_IMPLEMENTED);
    fix_no_more(&x);
    fix_close(&x);
}

Test(stub_end, flash_end_reboot_replies_then_reboots)
{
    struct fix x;
    fix_open(&x);
    fix_begin(&x, STUB_FLASH_BEGIN, 0, 0, 0x4000, 0);
    fix_reply(&x, STUB_FLASH_BEGIN, 0, 0);
    uint8_t stay[4];
    put_le32(stay, 1); /* run user code later: the stub stays */
    fix_cmd(&x, STUB_FLASH_END, stay, 4, 0);
    fix_reply(&x, STUB_FLASH_END, 0, 0);
    cr_assert_eq(stub_take_reboot(x.s), 0);
    fix_begin(&x, STUB_FLASH_BEGIN, 0, 0, 0x4000, 0);
    fix_reply(&x, STUB_FLASH_BEGIN, 0, 0);
    uint8_t reboot[4] = {0};
    fix_cmd(&x, STUB_FLASH_END, reboot, 4, 0);
    fix_reply(&x, STUB_FLASH_END, 0, 0); /* flushed before software_reset() */
    cr_assert_eq(stub_take_reboot(x.s), 1);
    cr_assert_eq(stub_take_reboot(x.s), 0, "once");
    fix_close(&x);
}

/* ---- in the world: back in the ROM loader ---- */

TestSuite(stub_end_world, .init = suite_lab_setup, .fini = suite_lab_teardown);

static size_t request(uint8_t op, const uint8_t *d, size_t n, uint32_t chk, uint8_t *out, size_t cap)
{
    size_t len = esp_request(op, d, n, chk, out, cap);
    cr_assert(len > 0);
    return len;
}

/* Sends a request; the value of the first reply to `op` (-1 when none). */
static int64_t ask(struct sim_world *w, uint8_t op, const uint8_t *d, size_t n, uint32_t chk)
{
    uint8_t req[512], buf[4096];
    cr_assert_eq(sim_write(w, req, request(op, d, n, chk, req, sizeof req)), 0);
    size_t got = sim_read(w, buf, sizeof buf, 0.1, NULL, NULL);
    struct esp_response r;
    if (!esp_find_reply(buf, got, op, 2, &r) && !esp_find_reply(buf, got, op, 4, &r))
        return -1;
    return r.value;
}

Test(stub_end_world, after_flash_end_reboot_the_rom_answers)
{
    struct host_profile h = {.os = OS_LINUX, .request = {.floor_ms = 1, .median_ms = 1}};
    snprintf(h.name, sizeof h.name, "fixed-1ms");
    sim_world_reset(suite_world, lab_board(&suite_lab, "devkitc"), &h, 1);
    cr_assert_eq(sim_open(suite_world, 0), 0);
    cr_assert_eq(sim_set_lines(suite_world, 0, 1), 0);
    cr_assert_eq(sim_sleep(suite_world, 0.1), 0);
    cr_assert_eq(sim_set_lines(suite_world, 1, 0), 0);
    cr_assert_eq(sim_sleep(suite_world, 0.1), 0);
    uint8_t junk[1024];
    sim_read(suite_world, junk, sizeof junk, 0, NULL, NULL);
    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    cr_assert_eq(ask(suite_world, ESP_SYNC, sync, 36, 0), 0x20120707, "the ROM's SYNC value");
    /* MEM_BEGIN, one MEM_DATA of 4 bytes, MEM_END with an entry: the stub runs */
    uint8_t b[16] = {0};
    put_le32(b, 4), put_le32(b + 4, 1), put_le32(b + 8, 0x1800), put_le32(b + 12, 0x40080000);
    cr_assert_neq(ask(suite_world, STUB_MEM_BEGIN, b, 16, 0), -1);
    uint8_t md[20] = {0};
    put_le32(md, 4);
    cr_assert_neq(ask(suite_world, ESP_MEM_DATA, md, 20, esp_checksum(md + 16, 4)), -1);
    uint8_t e[8] = {0};
    put_le32(e + 4, 0x40080000);
    cr_assert_neq(ask(suite_world, STUB_MEM_END, e, 8, 0), -1);
    cr_assert_eq(ask(suite_world, ESP_SYNC, sync, 36, 0), 0, "the stub's SYNC value");
    uint8_t fb[16] = {0};
    put_le32(fb + 8, 0x4000);
    cr_assert_eq(ask(suite_world, STUB_FLASH_BEGIN, fb, 16, 0), 0);
    uint8_t reboot[4] = {0};
    cr_assert_eq(ask(suite_world, STUB_FLASH_END, reboot, 4, 0), 0, "the reply comes before the reboot");
    cr_assert_eq(ask(suite_world, ESP_SYNC, sync, 36, 0), 0x20120707, "the ROM loader again");
}
