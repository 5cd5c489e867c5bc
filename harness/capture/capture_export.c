/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing a sigrok session (.sr, srzip) from a trace and the UART bytes
 * (sigrok_write_sr, capture_sigrok.h). srzip needs a META packet and
 * ≥ 1 Mi-sample LOGIC packets (CONTRIBUTING.md#library-facts), and writes from a user
 * device instance, one per channel set, kept in the context.
 * PulseView's session setup goes beside it (capture_pvs.c).
 * May call: libsigrok, glib, analyzers/ (trace types, uart_encode), capture_pvs.c. */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITE_CHUNK (1u << 20) /* samples per LOGIC packet */

static struct sr_dev_inst *device_for(struct sigrok *s, const enum channel *chans, int n, int en_analog)
{
    unsigned mask = en_analog ? 1u << CH_COUNT : 0;
    for (int i = 0; i < n; i++)
        mask |= 1u << chans[i];
    if (s->sdi[mask] == NULL) {
        struct sr_dev_inst *sdi = sr_dev_inst_user_new("resetlab", "virtual lab", "1");
        for (int i = 0; sdi != NULL && i < n; i++)
            sr_dev_inst_channel_add(sdi, i, SR_CHANNEL_LOGIC, channel_name(chans[i]));
        if (sdi != NULL && en_analog)
            sr_dev_inst_channel_add(sdi, n, SR_CHANNEL_ANALOG, "EN_V");
        s->sdi[mask] = sdi;
    }
    return s->sdi[mask];
}

static struct sr_channel *analog_channel(const struct sr_dev_inst *sdi)
{
    for (GSList *l = sr_dev_inst_channels_get(sdi); l != NULL; l = l->next)
        if (((struct sr_channel *)l->data)->type == SR_CHANNEL_ANALOG)
            return l->data;
    return NULL;
}

static int send_packet(const struct sr_output *o, int type, const void *payload)
{
    struct sr_datafeed_packet pkt = {.type = (uint16_t)type, .payload = payload};
    GString *out = NULL;
    int rc = sr_output_send(o, &pkt, &out);
    if (out != NULL)
        g_string_free(out, TRUE);
    return rc;
}

static int send_samplerate(const struct sr_output *o, uint64_t rate)
{
    struct sr_config cfg = {.key = SR_CONF_SAMPLERATE, .data = g_variant_ref_sink(g_variant_new_uint64(rate))};
    struct sr_datafeed_meta meta = {.config = g_slist_append(NULL, &cfg)};
    int rc = send_packet(o, SR_DF_META, &meta);
    g_slist_free(meta.config);
    g_variant_unref(cfg.data);
    return rc;
}

/* One stream of level changes (a channel's, or the UART's), by sample. */
struct change_stream {
    const int64_t *sample;
    const uint8_t *level;
    const uint8_t *bit; /* NULL: all changes go to `one_bit` */
    int one_bit;
    size_t n, at;
};

static int64_t stream_next(const struct change_stream *c)
{
    return c->at < c->n ? c->sample[c->at] : INT64_MAX;
}

static void stream_apply(struct change_stream *c, uint8_t *cur)
{
    int b = c->bit ? c->bit[c->at] : c->one_bit;
    if (c->level[c->at])
        *cur |= (uint8_t)(1u << b);
    else
        *cur &= (uint8_t)~(1u << b);
    c->at++;
}

/* The trace's edges as sample indices and bit positions in the file. */
static int trace_changes(const struct trace *tr, const int *bit_of, double period_ns, int64_t **sample, uint8_t **level,
                         uint8_t **bit, size_t *n)
{
    *n = 0;
    *sample = malloc((tr->n + 1) * sizeof **sample);
    *level = malloc(tr->n + 1);
    *bit = malloc(tr->n + 1);
    if (*sample == NULL || *level == NULL || *bit == NULL)
        return -1;
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel >= CH_COUNT || bit_of[e->channel] < 0)
            continue;
        (*sample)[*n] = llround((double)e->t_ns / period_ns);
        (*level)[*n] = e->level;
        (*bit)[(*n)++] = (uint8_t)bit_of[e->channel];
    }
    return 0;
}

/* EN's voltage for logic samples [first, first + len): each analog sample
 * held until the next (before the first: the first). */
struct held_analog {
    const struct analog *en;
    double logic_period_ns;
    struct sr_channel *channel;
    float *buf;
};

static int send_held_analog(const struct sr_output *o, struct held_analog *h, uint64_t first, uint64_t len)
{
    const struct analog *a = h->en;
    for (uint64_t i = 0; i < len; i++) {
        double k = floor(((double)(first + i) * h->logic_period_ns - (double)a->t0_ns) / a->period_ns + 1e-9);
        size_t at = k < 0 ? 0 : k >= (double)a->n ? a->n - 1 : (size_t)k;
        h->buf[i] = a->v[at];
    }
    struct sr_analog_encoding enc = {.unitsize = sizeof(float), .is_signed = TRUE, .is_float = TRUE,
                                     .is_bigendian = G_BYTE_ORDER == G_BIG_ENDIAN, .digits = 3,
                                     .is_digits_decimal = TRUE, .scale = {1, 1}, .offset = {0, 1}};
    struct sr_analog_meaning meaning = {.mq = SR_MQ_VOLTAGE, .unit = SR_UNIT_VOLT, .mqflags = SR_MQFLAG_DC,
                                        .channels = g_slist_append(NULL, h->channel)};
    struct sr_analog_spec spec = {.spec_digits = 3};
    struct sr_datafeed_analog analog = {
        .data = h->buf, .num_samples = (uint32_t)len, .encoding = &enc, .meaning = &meaning, .spec = &spec};
    int rc = send_packet(o, SR_DF_ANALOG, &analog);
    g_slist_free(meaning.channels);
    return rc;
}

static int write_samples(const struct sr_output *o, uint8_t initial, struct change_stream *a, struct change_stream *b,
                         struct held_analog *en, uint64_t total)
{
    uint8_t *buf = malloc(WRITE_CHUNK), cur = initial;
    if (buf == NULL)
        return -1;
    int rc = 0;
    for (uint64_t base = 0; base < total && rc == 0; base += WRITE_CHUNK) {
        uint64_t len = total - base < WRITE_CHUNK ? total - base : WRITE_CHUNK;
        for (uint64_t i = 0; i < len;) {
            int64_t idx = (int64_t)(base + i);
            while (stream_next(a) <= idx)
                stream_apply(a, &cur);
            while (stream_next(b) <= idx)
                stream_apply(b, &cur);
            int64_t next = stream_next(a) < stream_next(b) ? stream_next(a) : stream_next(b);
            uint64_t run = next == INT64_MAX || (uint64_t)next > base + len ? len - i : (uint64_t)next - base - i;
            memset(buf + i, cur, run);
            i += run;
        }
        struct sr_datafeed_logic logic = {.length = len, .unitsize = 1, .data = buf};
        rc = send_packet(o, SR_DF_LOGIC, &logic);
        if (rc == 0 && en != NULL)
            rc = send_held_analog(o, en, base, len);
    }
    free(buf);
    return rc;
}

int sigrok_write_sr(struct sigrok *s, const char *path, const struct trace *tr, const struct uart_byte *rx, size_t n_rx,
                    int baud, char *err, size_t err_len)
{
    if (!(tr->sample_rate_hz >= 1)) {
        snprintf(err, err_len, "%s: the trace has no sample rate", path);
        return -1;
    }
    double period = 1e9 / tr->sample_rate_hz;
    enum channel chans[CH_COUNT];
    int bit_of[CH_COUNT], n_ch = 0;
    uint8_t initial = 0;
    for (int c = 0; c < CH_COUNT; c++) {
        /* RX: built from bytes at `baud`, or a captured line in the trace */
        int rx_from_bytes = c == CH_RX && baud > 0;
        int wanted = rx_from_bytes || trace_has(tr, (enum channel)c);
        bit_of[c] = wanted ? n_ch : -1;
        if (wanted) {
            initial |= (uint8_t)((rx_from_bytes ? 1 : tr->initial[c] != 0) << n_ch);
            chans[n_ch++] = (enum channel)c;
        }
    }
    size_t rx_max = n_rx * 10 + 1, n_tr = 0;
    int64_t *rx_t = malloc(rx_max * sizeof *rx_t), *tr_t = NULL;
    uint8_t *rx_l = malloc(rx_max), *tr_l = NULL, *tr_b = NULL;
    int n_rx_changes = rx_t && rx_l && baud > 0 ? uart_encode(rx, n_rx, baud, period, rx_t, rx_l, rx_max) : 0;
    int rc = -1;
    if (rx_t == NULL || rx_l == NULL || n_rx_changes < 0 ||
        trace_changes(tr, bit_of, period, &tr_t, &tr_l, &tr_b, &n_tr) != 0) {
        snprintf(err, err_len, "%s: out of memory", path);
        goto out;
    }
    for (int i = 0; i < n_rx_changes; i++)
        rx_t[i] = llround((double)rx_t[i] / period);
    int with_en_v = tr->en_v.n > 0 && tr->en_v.period_ns > 0;
    struct sr_dev_inst *sdi = device_for(s, chans, n_ch, with_en_v);
    const struct sr_output *o = sdi ? sr_output_new(sr_output_find("srzip"), NULL, sdi, path) : NULL;
    if (o == NULL) {
        snprintf(err, err_len, "%s: cannot write a sigrok session there", path);
        goto out;
    }
    struct held_analog held = {&tr->en_v, period, analog_channel(sdi), with_en_v ? malloc(WRITE_CHUNK * sizeof(float)) : NULL};
    struct sr_datafeed_header header = {.feed_version = 1};
    struct change_stream a = {tr_t, tr_l, tr_b, 0, n_tr, 0};
    struct change_stream b = {rx_t, rx_l, NULL, baud > 0 ? bit_of[CH_RX] : 0, (size_t)n_rx_changes, 0};
    uint64_t total = (uint64_t)llround((double)tr->t_end_ns / period) + 1;
    rc = send_packet(o, SR_DF_HEADER, &header) || send_samplerate(o, (uint64_t)llround(tr->sample_rate_hz)) ||
                 (with_en_v && held.buf == NULL) ||
                 write_samples(o, initial, &a, &b, with_en_v ? &held : NULL, total) || send_packet(o, SR_DF_END, NULL)
             ? -1
             : 0;
    free(held.buf);
    if (sr_output_free(o) != SR_OK)
        rc = -1;
    if (rc != 0)
        snprintf(err, err_len, "%s: writing the sigrok session failed", path);
    else if ((rc = sigrok_write_pvs(path, chans, n_ch, with_en_v, baud, err, err_len)) != 0)
        sigrok_remove_session(path); /* a capture with its setup, or neither */
out:
    free(rx_t), free(rx_l), free(tr_t), free(tr_l), free(tr_b);
    return rc;
}
