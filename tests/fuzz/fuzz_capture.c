/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Capture import (harness/capture): a .vcd or .csv file through
 * libsigrok's input modules, a .sr session (its metadata pre-scanned
 * first), or the edge extraction behind them all fed logic packets
 * directly (any unitsize, any split, sample rate from a META packet or
 * none, with or without the DTR/RTS change limit). The first byte picks
 * which. */
#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <stdlib.h>
#include <string.h>

#include "harness/capture/capture_sigrok.h"
#include "fuzz.h"

static struct sigrok *context(void)
{
    static struct sigrok *s;
    char err[256];
    if (s == NULL && (s = sigrok_new(err, sizeof err)) == NULL)
        abort();
    return s;
}

static void read_file(const uint8_t *data, size_t size, const char *suffix)
{
    struct trace tr;
    memset(&tr, 0, sizeof tr);
    char err[512];
    /* VCDs up to 10^6 samples: the limit's check is what is under test, not
     * how long libsigrok takes to make 10^10 samples */
    struct sigrok_read_opts opts = {.samplerate = 1000000, .vcd_max_samples = 1000000};
    if (sigrok_read(context(), fuzz_file(data, size, suffix), NULL, &opts, &tr, err, sizeof err) == 0)
        sigrok_trace_free(&tr);
}

static void send(struct sigrok_reader *r, const struct sr_dev_inst *sdi, int type, const void *payload)
{
    struct sr_datafeed_packet pkt = {.type = (uint16_t)type, .payload = payload};
    sigrok_reader_packet(sdi, &pkt, r);
}

/* data[0]: channels (1-16); data[1]: sample rate (0: none), its low bit
 * the DTR/RTS change limit a file has; then chunks of (length byte,
 * samples). */
static void feed_packets(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"DTR", "RTS", "EN", "IO0", "RX", "D5", "D6", "D7",
                                        "D8",  "D9",  "D10", "D11", "D12", "D13", "D14", "D15"};
    if (size < 2)
        return;
    int n_ch = 1 + data[0] % 16, unitsize = (n_ch + 7) / 8;
    /* libsigrok has no public free for a user device: one per channel set, kept */
    static struct sr_dev_inst *devices[256];
    struct sr_dev_inst **sdi_slot = &devices[data[0]], *sdi = *sdi_slot;
    if (sdi == NULL) {
        sdi = *sdi_slot = sr_dev_inst_user_new("fuzz", "fuzz", "1");
        for (int i = 0; i < n_ch; i++)
            sr_dev_inst_channel_add(sdi, i, SR_CHANNEL_LOGIC, names[(i + data[0] / 16) % 16]);
    }
    struct trace tr;
    memset(&tr, 0, sizeof tr);
    struct sigrok_reader r;
    sigrok_reader_init(&r, "fuzz", NULL, &tr);
    r.line_steps_limit = data[1] & 1; /* a file's limit on DTR/RTS changes, or a live capture's none */
    if (data[1]) {
        struct sr_config cfg = {.key = SR_CONF_SAMPLERATE, .data = g_variant_ref_sink(g_variant_new_uint64(data[1] * 1000000ull))};
        struct sr_datafeed_meta meta = {.config = g_slist_append(NULL, &cfg)};
        send(&r, sdi, SR_DF_META, &meta);
        g_slist_free(meta.config);
        g_variant_unref(cfg.data);
    }
    for (size_t at = 2; at < size;) {
        size_t len = data[at++];
        if (len > size - at)
            len = size - at;
        len -= len % (size_t)unitsize;
        struct sr_datafeed_logic logic = {.length = len, .unitsize = (uint16_t)unitsize, .data = (void *)(data + at)};
        send(&r, sdi, SR_DF_LOGIC, &logic);
        at += len ? len : 1;
    }
    char err[512];
    if (sigrok_reader_finish(&r, err, sizeof err) == 0)
        sigrok_trace_free(&tr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0:
        read_file(data + 1, size - 1, ".vcd");
        break;
    case 1:
        read_file(data + 1, size - 1, ".csv");
        break;
    case 2:
        read_file(data + 1, size - 1, ".sr");
        break;
    default:
        feed_packets(data + 1, size - 1);
    }
    return 0;
}
