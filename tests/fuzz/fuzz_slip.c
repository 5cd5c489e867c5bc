/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROM's side of esptool's protocol: SLIP framing (analyzers/slip.c) of
 * whatever a UART carries, the responses parsed from each frame, and the
 * simulated ROM (sim/rom.c) answering the bytes as a request stream. */
#include <stdlib.h>

#include "analyzers/slip.h"
#include "sim/rom.h"
#include "fuzz.h"

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
    return 0;
}
