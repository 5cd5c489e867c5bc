/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The RFC 2217 telnet parser (harness/rfc2217.c) in both roles, with the
 * stream cut into pieces of any size: the first byte seeds the cuts. */
#include <stdlib.h>
#include <string.h>

#include "harness/port/port_rfc2217_codec.h"
#include "fuzz.h"

static void feed_all(struct r2217 *c, const uint8_t *in, size_t n, uint8_t cut_seed)
{
    uint8_t data[64];
    size_t at = 0, step = 1 + cut_seed % 17;
    while (at < n) {
        size_t chunk = n - at < step ? n - at : step;
        size_t used = 0;
        while (used < chunk) {
            size_t data_len = 0;
            struct r2217_event ev;
            memset(&ev, 0, sizeof ev);
            size_t k = r2217_feed(c, in + at + used, chunk - used, data, sizeof data, &data_len, &ev);
            c->reply_len = 0; /* sent */
            if (k == 0 && data_len == 0 && ev.kind == R2217_EV_NONE)
                abort(); /* no progress on input left with room for data: a caller would spin */
            used += k;
        }
        at += chunk;
        step = 1 + (step * 7 + cut_seed) % 23;
    }
    (void)r2217_idle(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct r2217 client, server;
    r2217_init(&client);
    r2217_init_server(&server);
    feed_all(&client, data + 1, size - 1, data[0]);
    feed_all(&server, data + 1, size - 1, data[0]);
    return 0;
}
