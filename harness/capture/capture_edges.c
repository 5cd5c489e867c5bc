/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stream of datafeed packets turned into a trace as it comes
 * (sigrok_reader, capture_sigrok.h), for files and live captures alike:
 * our channels resolved from the device's on the first LOGIC or ANALOG
 * packet, every level change an edge, EN's analog samples thinned to a
 * rate and a maximum, EN's edges from its voltage when it has no logic
 * channel. The session driver sends no META: the samplerate then comes
 * from sr_config_get (CONTRIBUTING.md#library-facts).
 * May call: libsigrok, glib, analyzers/ (trace types). */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE_CHANNELS 64

#define reader sigrok_reader

void sigrok_reader_fail(struct reader *r, const char *fmt, const char *a, const char *b)
{
    if (!r->failed)
        snprintf(r->err, sizeof r->err, fmt, r->path, a, b);
    r->failed = 1;
}

/* "D3" or "3": a channel by its position, for files whose channels have
 * no useful names (sigrok's CSV output names every column "logic"). */
static int index_spec(const char *spec)
{
    const char *p = spec[0] == 'D' || spec[0] == 'd' ? spec + 1 : spec;
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 2) /* digits alone: not " 3" or "+3" */
        return -1;
    long n = strtol(p, NULL, 10);
    return n < MAX_FILE_CHANNELS ? (int)n : -1;
}

/* Mapped channels not found by name, by position. */
static void resolve_by_index(struct reader *r, const struct sr_dev_inst *sdi)
{
    for (int c = 0; c < CH_COUNT; c++) {
        int want = r->map->file_name[c][0] && r->bit[c] < 0 ? index_spec(r->map->file_name[c]) : -1;
        for (GSList *l = sr_dev_inst_channels_get(sdi); want >= 0 && l != NULL; l = l->next) {
            const struct sr_channel *ch = l->data;
            if (ch->type == SR_CHANNEL_LOGIC && ch->index == want)
                r->bit[c] = ch->index;
        }
    }
}

static const struct sr_channel *analog_named(const struct sr_dev_inst *sdi, const char *name)
{
    for (GSList *l = sr_dev_inst_channels_get(sdi); name[0] && l != NULL; l = l->next) {
        const struct sr_channel *ch = l->data;
        if (ch->type == SR_CHANNEL_ANALOG && strcasecmp(ch->name, name) == 0)
            return ch;
    }
    return NULL;
}

/* EN's analog channel: mapped as EN_V, or EN mapped to an analog channel
 * (then EN's edges come from it), or by name: EN_V beside a logic EN, or
 * an analog EN with no logic one. Adds the analog names to `names`. */
static void resolve_analog_en(struct reader *r, const struct sr_dev_inst *sdi, char *names, size_t len)
{
    for (GSList *l = sr_dev_inst_channels_get(sdi); l != NULL; l = l->next) {
        const struct sr_channel *ch = l->data;
        size_t used = strlen(names);
        if (ch->type == SR_CHANNEL_ANALOG)
            snprintf(names + used, len - used, "%s%s (analog)", used ? ", " : "", ch->name);
    }
    const struct channel_map *m = r->map;
    const struct sr_channel *ch = NULL;
    if (m->en_analog[0])
        ch = analog_named(sdi, m->en_analog);
    else if (r->bit[CH_EN] < 0 && m->file_name[CH_EN][0])
        ch = analog_named(sdi, m->file_name[CH_EN]);
    else if (!m->given)
        ch = analog_named(sdi, "EN_V");
    if (ch == NULL && !m->given && r->bit[CH_EN] < 0)
        ch = analog_named(sdi, "EN");
    if (ch == NULL)
        return;
    snprintf(r->en_analog, sizeof r->en_analog, "%s", ch->name);
    r->en_from_analog = r->bit[CH_EN] < 0;
}

/* Our channels from the file's logic channels, by --map or by name. */
static void resolve_channels(struct reader *r, const struct sr_dev_inst *sdi)
{
    char names[256] = "";
    int n_logic = 0;
    for (int c = 0; c < CH_COUNT; c++)
        r->bit[c] = -1;
    for (GSList *l = sr_dev_inst_channels_get(sdi); l != NULL; l = l->next) {
        const struct sr_channel *ch = l->data;
        if (ch->type != SR_CHANNEL_LOGIC)
            continue;
        n_logic++;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", ch->name);
        for (int c = 0; c < CH_COUNT; c++) {
            const char *want = r->map->file_name[c][0] ? r->map->file_name[c] : channel_name((enum channel)c);
            if (want == NULL || strcasecmp(ch->name, want) != 0 || ch->index >= MAX_FILE_CHANNELS)
                continue;
            int by_index = r->map->file_name[c][0] ? index_spec(r->map->file_name[c]) : -1;
            if (r->bit[c] >= 0 && by_index >= 0) { /* "1" named twice (a CSV header of 1s): the position says */
                r->bit[c] = by_index;
                continue;
            }
            if (r->bit[c] >= 0) { /* two file channels of that name: which one is ours? */
                char which[96];
                snprintf(which, sizeof which, "D%d and D%d", r->bit[c], ch->index);
                snprintf(which + strlen(which), sizeof which - strlen(which), "): say which with --map, e.g. --map D%d=%s",
                         ch->index, channel_name((enum channel)c));
                sigrok_reader_fail(r, "%s: two logic channels are named '%s' (%s", ch->name, which);
            }
            r->bit[c] = ch->index;
        }
    }
    /* the bytes above those the logic channels fill: an analyzer saving 2 of
     * its 8 channels (total probes=2, unitsize=1) leaves the other 6 bits of
     * each byte as they were (sigrok-dumps' dmx512, ir, spi captures), but a
     * byte of its own above them is the next sample when the unit size is
     * larger than the data's (8 channels' 1-byte samples in unitsize=2) */
    int bytes = (n_logic + 7) / 8;
    r->n_logic = n_logic;
    r->beyond = n_logic > 0 && bytes < 8 ? ~0ull << 8 * bytes : 0;
    resolve_by_index(r, sdi);
    /* a channel found by its name alone yields to one --map gives that file channel */
    for (int c = 0; c < CH_COUNT; c++)
        for (int m = 0; m < CH_COUNT && !r->map->file_name[c][0] && r->bit[c] >= 0; m++)
            if (m != c && r->map->file_name[m][0] && r->bit[m] == r->bit[c])
                r->bit[c] = -1;
    resolve_analog_en(r, sdi, names, sizeof names);
    r->resolved = 1;
    int found = r->en_from_analog;
    for (int c = 0; c < CH_COUNT; c++) {
        found |= r->bit[c] >= 0;
        if (c == CH_EN && r->en_from_analog)
            continue;
        if (r->map->file_name[c][0] && r->bit[c] < 0)
            sigrok_reader_fail(r, "%s: no logic channel '%s' (the file has: %s)", r->map->file_name[c], names);
    }
    /* a partial probe is analysed with what it has (analyzer_cannot_run says what each lacks) */
    if (!found)
        sigrok_reader_fail(r, "%s: no channel for DTR, RTS, EN, IO0 or RX (the file has: %s)%s; name them with --map, "
                              "e.g. --map D0=DTR,D1=RTS",
                           names, "");
    if (r->map->en_analog[0] && !r->en_analog[0])
        sigrok_reader_fail(r, "%s: no analog channel '%s' for EN_V (the file has: %s)", r->map->en_analog, names);
    for (int c = 0; c < CH_COUNT; c++)
        if (r->bit[c] >= 0) {
            r->tr->present |= 1u << c;
            r->mask |= 1ull << r->bit[c];
        }
    if (r->en_from_analog)
        r->tr->present |= 1u << CH_EN;
}

static int grow_edges(struct trace *tr)
{
    size_t cap = tr->cap ? tr->cap * 2 : 4096;
    if (cap > SIGROK_MAX_EDGES)
        cap = SIGROK_MAX_EDGES;
    struct edge *e = realloc(tr->edges, cap * sizeof *e);
    if (e == NULL)
        return -1;
    tr->edges = e;
    tr->cap = cap;
    return 0;
}

/* A DTR/RTS change at t: a new line state unless at the instant of the
 * last one (as build_steps groups them). -1 past TRACE_MAX_LINE_STEPS,
 * when the reader has that limit (a file's). */
static int count_line_change(struct reader *r, int64_t t, uint64_t changed)
{
    /* a partial probe may lack either line: its bit is -1 */
    uint64_t lines = (r->bit[CH_DTR] >= 0 ? 1ull << r->bit[CH_DTR] : 0) | (r->bit[CH_RTS] >= 0 ? 1ull << r->bit[CH_RTS] : 0);
    if (!r->line_steps_limit || (changed & lines) == 0)
        return 0;
    if (r->n_line_changes > 0 && t == r->line_t_ns)
        return 0;
    r->line_t_ns = t;
    if (++r->n_line_changes < TRACE_MAX_LINE_STEPS) /* the state at t = 0 is one too */
        return 0;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", TRACE_MAX_LINE_STEPS);
    sigrok_reader_fail(r, "%s: more than %s DTR/RTS changes in one capture%s", limit, "");
    return -1;
}

/* The edges of one sample that differs from the one before, at t; -1
 * (the reader failed) past the limits, before the memory they bound. */
static int push_edges(struct reader *r, int64_t t, uint64_t bits)
{
    uint64_t changed = bits ^ r->prev;
    if (count_line_change(r, t, changed) != 0)
        return -1;
    for (int c = 0; c < CH_COUNT; c++) {
        if (r->bit[c] < 0 || (changed >> r->bit[c] & 1) == 0)
            continue;
        if (r->tr->n + r->n_en_edges >= SIGROK_MAX_EDGES) {
            char limit[16];
            snprintf(limit, sizeof limit, "%u", SIGROK_MAX_EDGES);
            sigrok_reader_fail(r, "%s: more than %s edges in one capture%s", limit, "");
            return -1;
        }
        if (r->tr->n >= r->tr->cap && grow_edges(r->tr) != 0) {
            sigrok_reader_fail(r, "%s: out of memory after %s%s edges", "many", "");
            return -1;
        }
        trace_push(r->tr, t, (enum channel)c, (int)((bits >> r->bit[c]) & 1));
    }
    return 0;
}

static void read_logic(struct reader *r, const struct sr_datafeed_logic *logic)
{
    const uint8_t *d = logic->data;
    unsigned unit = logic->unitsize;
    if (unit == 0 || unit > 8) {
        sigrok_reader_fail(r, "%s: %s%s", "unsupported logic unit size", "");
        return;
    }
    /* length is in bytes (a 16-channel analyzer sends 2 a sample); a
     * trailing partial sample is not one */
    uint64_t n = logic->length / unit;
    r->logic_unitsize = unit;
    double ns_per_sample = 1e9 / (double)r->samplerate;
    /* samples in a 64-bit word, and the multiplier that repeats one sample
     * across it (little-endian, as the samples lie in memory); 0: no skip */
    uint64_t per_word = unit == 1 || unit == 2 || unit == 4 || unit == 8 ? 8 / unit : 0;
    uint64_t rep = unit == 1   ? 0x0101010101010101ull
                   : unit == 2 ? 0x0001000100010001ull
                   : unit == 4 ? 0x0000000100000001ull
                               : 1;
    uint64_t unit_bits = unit < 8 ? (1ull << 8 * unit) - 1 : ~0ull;
    for (uint64_t i = 0; i < n; i++, d += unit) {
        /* Unit sizes 1, 2, 4 and 8 (8 to 64 channels: fx2lafw, DSLogic and
         * Logic16, Zeroplus): skip eight bytes of unchanged samples at a
         * time; captures are mostly steady lines. */
        if (per_word && r->n_samples + i > 0) {
            /* a bit above the channels' bytes ends the skip, so it is checked below */
            uint64_t same = r->prev * rep, mask8 = ((r->mask | r->beyond) & unit_bits) * rep, word;
            while (i + per_word <= n) {
                memcpy(&word, d, 8);
                if ((word & mask8) != same)
                    break;
                i += per_word, d += 8;
            }
            if (i >= n)
                break;
        }
        uint64_t bits = 0;
        memcpy(&bits, d, unit); /* little-endian: bit i = channel i */
        if (bits & r->beyond & unit_bits) {
            char what[96];
            snprintf(what, sizeof what, "sample %llu has bits set above its %d logic channels (unit size %u)",
                     (unsigned long long)(r->n_samples + i), r->n_logic, unit);
            sigrok_reader_fail(r, "%s: %s: the unit size or channel count disagrees with the data%s", what, "");
            return;
        }
        bits &= r->mask;
        if (r->n_samples + i == 0) {
            for (int c = 0; c < CH_COUNT; c++)
                if (!(c == CH_EN && r->en_from_analog)) /* that one is the analog channel's */
                    r->tr->initial[c] = r->bit[c] >= 0 ? (uint8_t)((bits >> r->bit[c]) & 1) : 1;
        } else if (bits != r->prev) {
            int64_t t = (int64_t)llround((double)(r->n_samples + i) * ns_per_sample);
            if (push_edges(r, t, bits) != 0)
                return;
        }
        r->prev = bits;
    }
    r->n_samples += n;
}

/* Keeps every other sample: the EN samples stay within their maximum
 * however long the capture runs, at half the rate each time. */
static void thin_analog(struct reader *r)
{
    struct analog *a = &r->tr->en_v;
    for (size_t i = 0; 2 * i < a->n; i++)
        a->v[i] = a->v[2 * i];
    a->n = (a->n + 1) / 2;
    a->period_ns *= 2;
    r->stride *= 2;
}

static int keep_analog_sample(struct reader *r, uint64_t index, float v)
{
    struct analog *a = &r->tr->en_v;
    if (a->v == NULL) {
        double rate = (double)r->samplerate, want = r->opts.analog_rate_hz;
        r->stride = want > 0 && want < rate ? (uint64_t)llround(rate / want) : 1;
        a->cap = SIGROK_MAX_ANALOG;
        a->v = malloc(a->cap * sizeof *a->v);
        a->period_ns = (double)r->stride * 1e9 / rate;
        a->t0_ns = 0;
        if (a->v == NULL)
            return -1;
    }
    if (index % r->stride != 0)
        return 0;
    if (a->n == a->cap) {
        thin_analog(r);
        if (index % r->stride != 0)
            return 0;
    }
    a->v[a->n++] = v;
    return 0;
}

/* EN's edges from its voltage, with 0.1 V of hysteresis around the
 * threshold so noise near it does not chatter. 1 past SIGROK_MAX_EDGES,
 * -1 out of memory. */
static int analog_edge(struct reader *r, uint64_t index, float v)
{
    double th = r->opts.threshold_v > 0 ? r->opts.threshold_v : 1.5;
    int level = r->en_level;
    if (index == 0) {
        r->en_level = r->tr->initial[CH_EN] = v >= th;
        return 0;
    }
    if (level ? v < th - 0.05 : v > th + 0.05) {
        if (r->tr->n + r->n_en_edges >= SIGROK_MAX_EDGES)
            return 1;
        if (r->n_en_edges == r->cap_en_edges) {
            size_t cap = r->cap_en_edges ? 2 * r->cap_en_edges : 64;
            struct edge *e = realloc(r->en_edges, cap * sizeof *e);
            if (e == NULL)
                return -1;
            r->en_edges = e, r->cap_en_edges = cap;
        }
        int64_t t = (int64_t)llround((double)index * 1e9 / (double)r->samplerate);
        r->en_edges[r->n_en_edges++] = (struct edge){.t_ns = t, .channel = CH_EN, .level = (uint8_t)!level};
        r->en_level = !level;
    }
    return 0;
}

static int is_en_analog(const struct reader *r, const struct sr_datafeed_analog *analog)
{
    const GSList *chans = analog->meaning ? analog->meaning->channels : NULL;
    return r->en_analog[0] && chans != NULL && strcmp(((const struct sr_channel *)chans->data)->name, r->en_analog) == 0;
}

static void read_analog(struct reader *r, const struct sr_datafeed_analog *analog)
{
    if (!is_en_analog(r, analog) || analog->num_samples == 0)
        return;
    if (analog->num_samples > r->scratch_cap) {
        free(r->scratch);
        r->scratch_cap = analog->num_samples;
        r->scratch = malloc(r->scratch_cap * sizeof *r->scratch);
    }
    if (r->scratch == NULL || sr_analog_to_float(analog, r->scratch) != SR_OK) {
        sigrok_reader_fail(r, "%s: cannot read the analog channel %s%s", r->en_analog, "");
        return;
    }
    for (uint32_t i = 0; i < analog->num_samples; i++) {
        uint64_t index = r->n_analog + i;
        int edge = 0;
        if (keep_analog_sample(r, index, r->scratch[i]) != 0 ||
            (r->en_from_analog && (edge = analog_edge(r, index, r->scratch[i])) < 0)) {
            sigrok_reader_fail(r, "%s: out of memory reading %s%s", r->en_analog, "");
            return;
        }
        if (edge > 0) {
            char limit[16];
            snprintf(limit, sizeof limit, "%u", SIGROK_MAX_EDGES);
            sigrok_reader_fail(r, "%s: more than %s edges in one capture%s", limit, "");
            return;
        }
    }
    r->n_analog += analog->num_samples;
}

/* EN's edges made from its voltage, merged in time order with the rest. */
static int merge_en_edges(struct reader *r)
{
    struct trace *tr = r->tr;
    size_t n = tr->n + r->n_en_edges;
    struct edge *all = n ? malloc(n * sizeof *all) : NULL;
    if (n && all == NULL)
        return -1;
    size_t i = 0, j = 0, k = 0;
    while (i < tr->n || j < r->n_en_edges)
        all[k++] = j == r->n_en_edges || (i < tr->n && tr->edges[i].t_ns <= r->en_edges[j].t_ns) ? tr->edges[i++]
                                                                                             : r->en_edges[j++];
    free(tr->edges);
    tr->edges = all;
    tr->n = tr->cap = n;
    return 0;
}

void sigrok_reader_init(struct sigrok_reader *r, const char *what, const struct channel_map *map, struct trace *tr)
{
    static const struct channel_map by_name;
    memset(tr, 0, sizeof *tr);
    *r = (struct sigrok_reader){.path = what, .map = map ? map : &by_name, .tr = tr};
}

void sigrok_trace_free(struct trace *tr)
{
    free(tr->edges);
    free(tr->en_v.v);
    tr->edges = NULL, tr->en_v.v = NULL;
    tr->n = tr->cap = tr->en_v.n = tr->en_v.cap = 0;
}

int sigrok_reader_finish(struct sigrok_reader *r, char *err, size_t err_len)
{
    if (!r->failed && !r->resolved)
        sigrok_reader_fail(r, "%s: no samples%s%s", "", "");
    if (!r->failed && r->en_from_analog && merge_en_edges(r) != 0)
        sigrok_reader_fail(r, "%s: out of memory merging EN's edges%s%s", "", "");
    free(r->scratch), free(r->en_edges);
    r->scratch = NULL, r->en_edges = NULL;
    r->scratch_cap = r->n_en_edges = r->cap_en_edges = 0;
    if (r->failed) {
        snprintf(err, err_len, "%s", r->err);
        sigrok_trace_free(r->tr);
        memset(r->tr, 0, sizeof *r->tr);
        return -1;
    }
    r->tr->sample_rate_hz = (double)r->samplerate;
    /* the longer of the logic and EN's analog samples: an analog-only
     * capture (a Hantek's) has no logic ones */
    uint64_t n = r->n_samples > r->n_analog ? r->n_samples : r->n_analog;
    r->tr->t_end_ns = n ? (int64_t)llround((double)(n - 1) * 1e9 / (double)r->samplerate) : 0;
    return 0;
}

void sigrok_reader_packet(const struct sr_dev_inst *sdi, const struct sr_datafeed_packet *pkt, void *data)
{
    struct reader *r = data;
    if (r->failed)
        return;
    if (pkt->type == SR_DF_META) {
        const struct sr_datafeed_meta *meta = pkt->payload;
        for (GSList *l = meta->config; l != NULL; l = l->next) {
            const struct sr_config *cfg = l->data;
            if (cfg->key == SR_CONF_SAMPLERATE)
                r->samplerate = g_variant_get_uint64(cfg->data);
        }
    } else if (pkt->type == SR_DF_LOGIC || pkt->type == SR_DF_ANALOG) {
        if (!r->resolved)
            resolve_channels(r, sdi);
        if (r->samplerate == 0) {
            GVariant *gv = NULL;
            if (sr_config_get(sr_dev_inst_driver_get(sdi), sdi, NULL, SR_CONF_SAMPLERATE, &gv) == SR_OK && gv) {
                r->samplerate = g_variant_get_uint64(gv);
                g_variant_unref(gv);
            }
        }
        if (r->samplerate == 0)
            sigrok_reader_fail(r, "%s: the capture gives no sample rate%s%s", "", "");
        else if (r->samplerate > SIGROK_MAX_SAMPLERATE_HZ) {
            char rate[32];
            snprintf(rate, sizeof rate, "%llu", (unsigned long long)r->samplerate);
            sigrok_reader_fail(r, "%s: a sample rate of %s Hz: at most 10^12 (1 ps a sample, "
                                  "SIGROK_MAX_SAMPLERATE_HZ)%s", rate, "");
        }
        if (!r->failed && pkt->type == SR_DF_LOGIC)
            read_logic(r, pkt->payload);
        else if (!r->failed)
            read_analog(r, pkt->payload);
    }
    if (r->failed && r->session != NULL) { /* in the session's own thread: it stops at once */
        sr_session_stop(r->session);
        r->session = NULL;
    }
}
