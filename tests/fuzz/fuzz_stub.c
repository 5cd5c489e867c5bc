/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub (sim/stub.c) over a 64 KiB flash: the bytes as the host's
 * stream of SLIP frames, every frame handed to stub_answer (commands, and
 * during READ_FLASH the ACKs), replies taken through a small buffer and
 * stub_more, so every command, the inflate stream and the READ_FLASH window
 * are reachable from one input. */
#include <stdlib.h>

#include "analyzers/slip.h"
#include "sim/stub.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[ESP_MAX_PACKET];
    uint8_t out[512];
    struct stub_session *s = stub_new();
    struct sim_flash *f = sim_flash_new(64u << 10);
    struct rom_chip chip = {0};
    chip.magic = 0x00f01d83;
    uint32_t baud = 115200;
    size_t pos = 0, fl;
    int rc, guard = 0;
    while ((rc = slip_next_frame(data, size, &pos, frame, sizeof frame, &fl)) != 0) {
        if (++guard > (int)size + 1)
            abort();
        if (rc != 1)
            continue;
        stub_answer(s, f, &chip, frame, fl, out, sizeof out, &baud);
        for (int k = 0; k < 64 && stub_more(s, f, out, sizeof out) > 0; k++)
            ;
    }
    stub_free(s);
    sim_flash_free(f);
    return 0;
}
