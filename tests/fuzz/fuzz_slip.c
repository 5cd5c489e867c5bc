/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM's side of esptool's protocol: SLIP framing (analyzers/slip.c) of
 * whatever a UART carries, the responses parsed from each frame, and the
 * simulated ROM (sim/rom_*.c) answering the bytes: statelessly as a
 * request stream (rom_answer), and frame by frame against one chip state
 * with a register file, an SPI controller, a small flash and every command
 * (rom_frame), so MEM/FLASH/FLASH_DEFL sequences, WRITE_REG and
 * CHANGE_BAUDRATE are reached. */
#include <stdlib.h>

#include "analyzers/slip.h"
#include "sim/flash.h"
#include "sim/rom.h"
#include "fuzz.h"

/* A chip with everything the ROM can have (addresses as in
 * esptool/targets/esp32c3.py). */
static const struct rom_chip full_chip = {
    .magic = 0x6921506f,
    .status_len = 4,
    .sync_value = 0x20120707,
    .mac_reg = 0x60008844,
    .uart_clkdiv_reg = 0x60000014,
    .uart_clk_hz = 40000000,
    .spi = {.base = 0x60002000, .usr = 0x18, .usr1 = 0x1C, .usr2 = 0x20, .mosi_dlen = 0x24, .miso_dlen = 0x28, .w0 = 0x58},
    .has_security_info = 1,
    .chip_id = 5,
    .has_md5 = 1,
    .has_read_flash_slow = 1,
};
static const struct rom_board full_board = {.mac = {1, 2, 3, 4, 5, 6}, .flash_size = 1u << 16, .flash_jedec_id = 0x164020};

static void stateful(const uint8_t *data, size_t size)
{
    static uint8_t frame[ESP_MAX_PACKET];
    uint8_t out[4096];
    struct sim_flash *flash = sim_flash_new(full_board.flash_size); /* 64 KiB: small enough to fuzz */
    if (flash == NULL)
        return;
    struct rom_state st = {0};
    struct rom_ctx c = {.chip = &full_chip, .board = &full_board, .flash = flash, .boot_baud = 115200};
    size_t pos = 0, n = 0;
    int rc;
    while ((rc = slip_next_frame(data, size, &pos, frame, sizeof frame, &n)) != 0)
        if (rc == 1) {
            rom_frame(&st, &c, frame, n, out, sizeof out);
            if (st.stub_running)
                st.stub_running = 0; /* no stub here: keep the ROM answering */
        }
    rom_state_reset(&st);
    sim_flash_free(flash);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t frame[256], out[4096];
    size_t pos = 0, frame_len;
    int rc, guard = 0;
    while ((rc = slip_next_frame(data, size, &pos, frame, sizeof frame, &frame_len)) != 0) {
        if (++guard > (int)size + 1)
            abort(); /* no progress: a streaming caller would spin */
        if (rc == 1) {
            struct esp_response r;
            esp_parse_response(frame, frame_len, 2, &r);
            esp_parse_response(frame, frame_len, 4, &r);
        }
    }
    struct esp_response found;
    esp_find_reply(data, size, 0x08, 4, &found);
    static const struct rom_chip chip = {.magic = 0x00f01d83, .status_len = 4, .sync_value = 0x20120707};
    rom_answer(&chip, data, size, out, sizeof out);
    rom_answer(&chip, data, size, out, 40); /* replies that do not fit are dropped whole */
    stateful(data, size);
    return 0;
}
