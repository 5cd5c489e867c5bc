/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TEMPORARY (rom branch, issue 20): a placeholder behind sim/stub.h until
 * the stub branch's flasher stub lands: it greets ("OHAI", esptool
 * loader.py run_stub) and answers every command as failed (the stub's two
 * status bytes: 1, 0x05), so esptool stops with an error instead of
 * waiting.
 * May call: analyzers/ (SLIP), libc. */
#include "stub.h"

#include <stdlib.h>

struct stub_session {
    int started;
};

struct stub_session *stub_new(void)
{
    return calloc(1, sizeof(struct stub_session));
}

void stub_free(struct stub_session *s)
{
    free(s);
}

void stub_reset(struct stub_session *s)
{
    s->started = 0;
}

size_t stub_hello(uint8_t *out, size_t cap)
{
    return slip_encode((const uint8_t *)"OHAI", 4, out, cap);
}

size_t stub_answer(struct stub_session *s, struct sim_flash *flash, const struct rom_chip *chip, const uint8_t *frame,
                   size_t n, uint8_t *out, size_t cap, uint32_t *new_baud)
{
    (void)s, (void)flash, (void)chip, (void)new_baud;
    if (n < ESP_HEADER_LEN || frame[0] != ESP_DIR_REQUEST)
        return 0;
    uint8_t pkt[ESP_HEADER_LEN + ESP_STATUS_LEN_STUB] = {ESP_DIR_RESPONSE, frame[1], ESP_STATUS_LEN_STUB, 0, 0, 0, 0, 0,
                                                         1, ESP_ERR_INVALID_MSG};
    return slip_encode(pkt, sizeof pkt, out, cap);
}

size_t stub_more(struct stub_session *s, struct sim_flash *flash, uint8_t *out, size_t cap)
{
    (void)s, (void)flash, (void)out, (void)cap;
    return 0;
}
