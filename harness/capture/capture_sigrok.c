/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Capture files through libsigrok. The calls and their pitfalls are the
 * ones checked in ../shared/LIBS.md: the session driver sends no META (the
 * samplerate comes from sr_config_get), a non-zip .sr gives SR_ERR with no
 * message, srzip needs a META packet and ≥ 1 Mi-sample LOGIC packets, input
 * modules hand over their device instance only after the first chunk.
 */
#include "capture_sigrok.h"
#include "capture_internal.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_CHUNK (1u << 20)  /* bytes per sr_input_send */
#define MAX_FILE_CHANNELS 64

struct sigrok *sigrok_new(char *err, size_t err_len)
{
    struct sigrok *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    sr_log_loglevel_set(SR_LOG_NONE); /* its messages are not ours: errors are reported here */
    int rc = sr_init(&s->ctx);
    if (rc != SR_OK) {
        snprintf(err, err_len, "libsigrok: %s", sr_strerror(rc));
        free(s);
        return NULL;
    }
    return s;
}

void sigrok_free(struct sigrok *s)
{
    if (s == NULL)
        return;
    sr_exit(s->ctx);
    free(s);
}

/* "4M", "1.5 MHz", "24000000", "1k": a positive whole number of units.
 * (sr_parse_sizestring reads "1.5k" as 1.) `hz`: "Hz" may follow. */
int sigrok_parse_scaled(const char *s, int hz, uint64_t *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    while (*end == ' ')
        end++;
    double scale = 1;
    if (*end == 'k' || *end == 'K')
        scale = 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        scale = 1e6, end++;
    else if (*end == 'G' || *end == 'g')
        scale = 1e9, end++;
    if (hz && strncasecmp(end, "hz", 2) == 0)
        end += 2;
    double x = v * scale;
    if (*end != '\0' || !(x >= 1) || x > 1e18 || x != floor(x))
        return -1;
    *out = (uint64_t)x;
    return 0;
}

/* ------------------------------------------------------------ mapping -- */

static int our_channel(const char *name)
{
    for (int c = 0; c < CH_COUNT; c++)
        if (strcasecmp(name, channel_name((enum channel)c)) == 0)
            return c;
    return -1;
}

int channel_map_parse(const char *spec, struct channel_map *m, char *err, size_t err_len)
{
    memset(m, 0, sizeof *m);
    if (spec == NULL || spec[0] == '\0')
        return 0;
    m->given = 1;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char file[32], ours[16];
        if (eq == NULL || eq == p || eq + 1 == end || (size_t)(eq - p) >= sizeof file ||
            (size_t)(end - eq - 1) >= sizeof ours) {
            snprintf(err, err_len, "--map: '%.*s' is not FILECHANNEL=CHANNEL (e.g. D0=DTR)", (int)(end - p), p);
            return -1;
        }
        snprintf(file, sizeof file, "%.*s", (int)(eq - p), p);
        snprintf(ours, sizeof ours, "%.*s", (int)(end - eq - 1), eq + 1);
        if (strcasecmp(ours, "EN_V") == 0) {
            if (m->en_analog[0]) {
                snprintf(err, err_len, "--map: EN_V is mapped twice");
                return -1;
            }
            snprintf(m->en_analog, sizeof m->en_analog, "%s", file);
            p = comma ? comma + 1 : end;
            continue;
        }
        int c = our_channel(ours);
        if (c < 0) {
            snprintf(err, err_len, "--map: unknown channel '%s' (DTR, RTS, EN, EN_V, IO0 or RX)", ours);
            return -1;
        }
        if (m->file_name[c][0]) {
            snprintf(err, err_len, "--map: %s is mapped twice", channel_name((enum channel)c));
            return -1;
        }
        snprintf(m->file_name[c], sizeof m->file_name[c], "%s", file);
        p = comma ? comma + 1 : end;
    }
    return 0;
}

/* ------------------------------------------------------------ reading -- */

#define reader sigrok_reader

static void reader_fail(struct reader *r, const char *fmt, const char *a, const char *b)
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
    char *end;
    long n = strtol(p, &end, 10);
    return *p != '\0' && *end == '\0' && n >= 0 && n < MAX_FILE_CHANNELS ? (int)n : -1;
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
    for (int c = 0; c < CH_COUNT; c++)
        r->bit[c] = -1;
    for (GSList *l = sr_dev_inst_channels_get(sdi); l != NULL; l = l->next) {
        const struct sr_channel *ch = l->data;
        if (ch->type != SR_CHANNEL_LOGIC)
            continue;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", ch->name);
        for (int c = 0; c < CH_COUNT; c++) {
            const char *want = r->map->file_name[c][0] ? r->map->file_name[c] : (r->map->given ? NULL : channel_name((enum channel)c));
            if (want != NULL && strcasecmp(ch->name, want) == 0 && ch->index < MAX_FILE_CHANNELS)
                r->bit[c] = ch->index;
        }
    }
    resolve_by_index(r, sdi);
    resolve_analog_en(r, sdi, names, sizeof names);
    r->resolved = 1;
    for (int c = 0; c < CH_COUNT; c++) {
        if (c == CH_EN && r->en_from_analog)
            continue;
        if (r->map->file_name[c][0] && r->bit[c] < 0)
            reader_fail(r, "%s: no logic channel '%s' (the file has: %s)", r->map->file_name[c], names);
        else if ((c == CH_DTR || c == CH_RTS) && r->bit[c] < 0)
            reader_fail(r, "%s: no channel for %s (the file has: %s); name them with --map, e.g. --map D0=DTR,D1=RTS",
                        channel_name((enum channel)c), names);
    }
    if (r->map->en_analog[0] && !r->en_analog[0])
        reader_fail(r, "%s: no analog channel '%s' for EN_V (the file has: %s)", r->map->en_analog, names);
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
    struct edge *e = realloc(tr->edges, cap * sizeof *e);
    if (e == NULL)
        return -1;
    tr->edges = e;
    tr->cap = cap;
    return 0;
}

static void read_logic(struct reader *r, const struct sr_datafeed_logic *logic)
{
    const uint8_t *d = logic->data;
    unsigned unit = logic->unitsize;
    if (unit == 0 || unit > 8) {
        reader_fail(r, "%s: %s%s", "unsupported logic unit size", "");
        return;
    }
    /* length is in bytes (a 16-channel analyzer sends 2 a sample); a
     * trailing partial sample is not one */
    uint64_t n = logic->length / unit;
    double ns_per_sample = 1e9 / (double)r->samplerate;
    for (uint64_t i = 0; i < n; i++, d += unit) {
        /* One-byte samples (≤ 8 channels, the common case): skip eight
         * unchanged samples at a time; captures are mostly steady lines. */
        if (unit == 1 && r->n_samples + i > 0) {
            uint64_t same = r->prev * 0x0101010101010101ull, mask8 = r->mask * 0x0101010101010101ull, word;
            while (i + 8 <= n) {
                memcpy(&word, d, 8);
                if ((word & mask8) != same)
                    break;
                i += 8, d += 8;
            }
            if (i >= n)
                break;
        }
        uint64_t bits = 0;
        memcpy(&bits, d, unit); /* little-endian: bit i = channel i */
        bits &= r->mask;
        if (r->n_samples + i == 0) {
            for (int c = 0; c < CH_COUNT; c++)
                if (!(c == CH_EN && r->en_from_analog)) /* that one is the analog channel's */
                    r->tr->initial[c] = r->bit[c] >= 0 ? (uint8_t)((bits >> r->bit[c]) & 1) : 1;
        } else if (bits != r->prev) {
            int64_t t = (int64_t)llround((double)(r->n_samples + i) * ns_per_sample);
            for (int c = 0; c < CH_COUNT; c++) {
                if (r->bit[c] < 0 || ((bits ^ r->prev) >> r->bit[c] & 1) == 0)
                    continue;
                if (r->tr->n >= r->tr->cap && grow_edges(r->tr) != 0) {
                    reader_fail(r, "%s: out of memory after %s%s edges", "many", "");
                    return;
                }
                trace_push(r->tr, t, (enum channel)c, (int)((bits >> r->bit[c]) & 1));
            }
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
 * threshold so noise near it does not chatter. */
static int analog_edge(struct reader *r, uint64_t index, float v)
{
    double th = r->opts.threshold_v > 0 ? r->opts.threshold_v : 1.5;
    int level = r->en_level;
    if (index == 0) {
        r->en_level = r->tr->initial[CH_EN] = v >= th;
        return 0;
    }
    if (level ? v < th - 0.05 : v > th + 0.05) {
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
        reader_fail(r, "%s: cannot read the analog channel %s%s", r->en_analog, "");
        return;
    }
    for (uint32_t i = 0; i < analog->num_samples; i++) {
        uint64_t index = r->n_analog + i;
        if (keep_analog_sample(r, index, r->scratch[i]) != 0 ||
            (r->en_from_analog && analog_edge(r, index, r->scratch[i]) != 0)) {
            reader_fail(r, "%s: out of memory reading %s%s", r->en_analog, "");
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
        reader_fail(r, "%s: no samples%s%s", "", "");
    if (!r->failed && r->en_from_analog && merge_en_edges(r) != 0)
        reader_fail(r, "%s: out of memory merging EN's edges%s%s", "", "");
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
    r->tr->t_end_ns = r->n_samples ? (int64_t)llround((double)(r->n_samples - 1) * 1e9 / (double)r->samplerate) : 0;
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
            reader_fail(r, "%s: the capture gives no sample rate%s%s", "", "");
        if (!r->failed && pkt->type == SR_DF_LOGIC)
            read_logic(r, pkt->payload);
        else if (!r->failed)
            read_analog(r, pkt->payload);
    }
}

static int read_session(struct sigrok *s, struct reader *r)
{
    struct sr_session *session = NULL;
    if (sr_session_load(s->ctx, r->path, &session) != SR_OK) {
        snprintf(r->err, sizeof r->err, "%s: not a readable sigrok session (.sr): missing, truncated or not a srzip file",
                 r->path);
        return -1;
    }
    GSList *devs = NULL;
    int rc = sr_session_dev_list(session, &devs);
    if (rc != SR_OK || devs == NULL) {
        snprintf(r->err, sizeof r->err, "%s: the sigrok session holds no device", r->path);
        g_slist_free(devs);
        sr_session_destroy(session);
        return -1;
    }
    g_slist_free(devs);
    sr_session_datafeed_callback_add(session, sigrok_reader_packet, r);
    rc = sr_session_start(session);
    if (rc == SR_OK)
        rc = sr_session_run(session);
    sr_session_stop(session);
    sr_session_destroy(session);
    if (rc != SR_OK && !r->failed)
        reader_fail(r, "%s: reading the session failed (%s)%s", sr_strerror(rc), "");
    return r->failed ? -1 : 0;
}

/* sigrok's own CSV output says "; Samplerate: 4 MHz" in its first lines;
 * its CSV input does not read that back. */
static uint64_t csv_comment_samplerate(FILE *f)
{
    char line[256];
    uint64_t rate = 0;
    for (int i = 0; i < 16 && rate == 0 && fgets(line, sizeof line, f); i++) {
        const char *p = strstr(line, "Samplerate:");
        if (line[0] != ';' || p == NULL)
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        if (sigrok_parse_scaled(p + strlen("Samplerate:"), 1, &rate) != 0)
            rate = 0;
    }
    rewind(f);
    return rate;
}

static GHashTable *csv_options(uint64_t samplerate)
{
    GHashTable *opts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    g_hash_table_insert(opts, "samplerate", g_variant_ref_sink(g_variant_new_uint64(samplerate)));
    return opts;
}

/* What libsigrok 0.5.2's VCD input would crash or hang on, read in one
 * pass over the file's whitespace-separated tokens (found by fuzz_capture):
 *  - it divides by the $timescale's number, read with strtoull (blanks,
 *    then a sign, then digits): "$timescale 0 ns", "+0 ns" or "\f0 ns" is
 *    SIGFPE. VCD allows 1, 10 and 100; 1 to 10^6 is let through (an
 *    unparsable one libsigrok reports itself), a negative one is refused;
 *  - it makes every sample up to the last timestamp (#N at a token's
 *    start): a stray #2505555… keeps it busy for hours;
 *  - the header ends past the $end after $enddefinitions (the file's size
 *    when there is none): it is sent alone, see vcd_has_channels. */
struct vcd_prescan {
    long header_end;
    uint64_t last_stamp; /* UINT64_MAX: more digits than fit */
    char timescale[21];  /* the number's token (20 bytes of it), when it is out of range */
    int in_defs_end, after_timescale;
};

/* A token of `len` bytes starting at `at`, its first `kept` bytes in tok. */
static void vcd_token(struct vcd_prescan *v, const char *tok, size_t kept, size_t len, long at)
{
    if (tok[0] == '#') { /* the digits after it; more than 19, or cut off, overflow */
        size_t d = 1;
        uint64_t x = 0;
        while (d < kept && tok[d] >= '0' && tok[d] <= '9')
            x = x * 10 + (uint64_t)(tok[d++] - '0');
        if (d - 1 > 19 || (d == kept && len > kept))
            x = UINT64_MAX;
        if (x > v->last_stamp)
            v->last_stamp = x;
    }
    if (v->header_end >= 0)
        return;
    if (v->after_timescale) { /* as libsigrok's sr_parse_period reads it: strtoull, so a sign too */
        v->after_timescale = 0;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(tok, &end, 10);
        if (end != tok && (errno != 0 || n == 0 || n > 1000000 || tok[0] == '-' || len > kept))
            snprintf(v->timescale, sizeof v->timescale, "%.*s", (int)strcspn(tok, "$"), tok);
    }
    if (strcmp(tok, "$timescale") == 0)
        v->after_timescale = 1;
    else if (strcmp(tok, "$enddefinitions") == 0)
        v->in_defs_end = 1;
    else if (v->in_defs_end && strncmp(tok, "$end", 4) == 0)
        v->header_end = at + 4;
}

static void vcd_prescan(FILE *f, struct vcd_prescan *v)
{
    static char buf[1 << 16];
    char tok[32];
    size_t kept = 0, len = 0, got;
    long pos = 0, at = 0;
    *v = (struct vcd_prescan){.header_end = -1};
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++, pos++) {
            char c = buf[i];
            if (!isspace((unsigned char)c)) { /* C's six, as libsigrok's g_strstrip and strtoull skip */
                if (len++ == 0)
                    at = pos;
                if (kept < sizeof tok - 1)
                    tok[kept++] = c;
                continue;
            }
            if (len > 0) {
                tok[kept] = '\0';
                vcd_token(v, tok, kept, len, at);
            }
            kept = len = 0;
        }
    if (len > 0) {
        tok[kept] = '\0';
        vcd_token(v, tok, kept, len, at);
    }
    if (v->header_end < 0)
        v->header_end = pos;
    rewind(f);
}

/* libsigrok 0.5.2's VCD input divides by its channel count on the first
 * value change: a header that declares no $var (or none it could read)
 * kills the process with SIGFPE (sigrok-cli too; found by fuzz_capture).
 * So the header goes first, alone, and its channels are looked at. */
static int vcd_has_channels(const struct sr_input *in)
{
    struct sr_dev_inst *sdi = sr_input_dev_inst_get(in);
    return sdi != NULL && sr_dev_inst_channels_get(sdi) != NULL;
}

static int read_with_input(struct sigrok *s, struct reader *r, const char *module)
{
    FILE *f = fopen(r->path, "rb");
    if (f == NULL) {
        snprintf(r->err, sizeof r->err, "%s: %s", r->path, strerror(errno));
        return -1;
    }
    GHashTable *opts = NULL;
    if (strcmp(module, "csv") == 0) {
        uint64_t rate = r->opts.samplerate ? r->opts.samplerate : csv_comment_samplerate(f);
        if (rate == 0) {
            snprintf(r->err, sizeof r->err, "%s: a CSV file does not say its sample rate: give --samplerate HZ", r->path);
            fclose(f);
            return -1;
        }
        opts = csv_options(rate);
    }
    const struct sr_input *in = sr_input_new(sr_input_find((char *)module), opts);
    if (opts)
        g_hash_table_destroy(opts);
    struct sr_session *session = NULL;
    if (in == NULL || sr_session_new(s->ctx, &session) != SR_OK) {
        snprintf(r->err, sizeof r->err, "%s: libsigrok's %s input is not available", r->path, module);
        if (in)
            sr_input_free(in);
        fclose(f);
        return -1;
    }
    sr_session_datafeed_callback_add(session, sigrok_reader_packet, r);
    char *chunk = malloc(READ_CHUNK);
    int added = 0, rc = chunk ? SR_OK : SR_ERR_MALLOC;
    long header = -1, sent = 0;
    if (strcmp(module, "vcd") == 0) {
        struct vcd_prescan v;
        vcd_prescan(f, &v);
        header = v.header_end;
        uint64_t most = r->opts.vcd_max_samples ? r->opts.vcd_max_samples : SIGROK_VCD_MAX_SAMPLES;
        if (v.timescale[0]) {
            reader_fail(r, "%s: $timescale %s: not 1, 10 or 100 of s, ms, us, ns, ps or fs%s", v.timescale, "");
        } else if (v.last_stamp > most) {
            char limit[32];
            snprintf(limit, sizeof limit, "%llu", (unsigned long long)most);
            reader_fail(r, "%s: a timestamp beyond %s samples (libsigrok makes every sample up to the last one)%s",
                        limit, "");
        }
    }
    size_t got, want;
    while (rc == SR_OK && !r->failed) {
        want = READ_CHUNK;
        if (header > sent && (long)want > header - sent)
            want = (size_t)(header - sent); /* the header alone */
        if ((got = fread(chunk, 1, want, f)) == 0)
            break;
        GString *buf = g_string_new_len(chunk, (gssize)got);
        int header_done = header >= 0 && sent < header && sent + (long)got >= header;
        if (header_done) /* libsigrok takes whole lines: end the header's (VCD is free-form) */
            g_string_append_c(buf, '\n');
        rc = sr_input_send(in, buf);
        g_string_free(buf, TRUE);
        sent += (long)got;
        if (rc == SR_OK && header_done && !vcd_has_channels(in)) {
            reader_fail(r, "%s: no channels: the VCD header declares no $var that libsigrok reads%s%s", "", "");
            break;
        }
        struct sr_dev_inst *sdi = added ? NULL : sr_input_dev_inst_get(in);
        if (sdi != NULL)
            added = sr_session_dev_add(session, sdi) == SR_OK;
    }
    if (rc == SR_OK && !r->failed)
        rc = sr_input_end(in);
    free(chunk);
    fclose(f);
    sr_input_free(in);
    sr_session_destroy(session);
    if (rc != SR_OK)
        reader_fail(r, "%s: libsigrok could not parse it as %s (%s)", module, sr_strerror(rc));
    else if (!r->resolved && !r->failed)
        reader_fail(r, "%s: no samples in it%s%s", "", "");
    return r->failed ? -1 : 0;
}

static const char *extension(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

struct sr_context *sigrok_context(struct sigrok *s)
{
    return s->ctx;
}

int sigrok_read(struct sigrok *s, const char *path, const struct channel_map *map, const struct sigrok_read_opts *opts,
                struct trace *tr, char *err, size_t err_len)
{
    struct reader r;
    sigrok_reader_init(&r, path, map, tr);
    if (opts != NULL)
        r.opts = *opts;
    const char *ext = extension(path);
    int rc;
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    fclose(probe);
    if (strcasecmp(ext, "sr") == 0)
        rc = read_session(s, &r);
    else if (strcasecmp(ext, "vcd") == 0 || strcasecmp(ext, "csv") == 0)
        rc = read_with_input(s, &r, strcasecmp(ext, "vcd") == 0 ? "vcd" : "csv");
    else {
        snprintf(r.err, sizeof r.err, "%s: unknown capture format '.%s' (use .sr, .vcd or .csv)", path, ext);
        rc = -1;
    }
    if (rc != 0 && !r.failed) { /* failed before any packet: the reason is in r.err */
        snprintf(err, err_len, "%s", r.err);
        free(r.scratch), free(r.en_edges);
        sigrok_trace_free(tr);
        memset(tr, 0, sizeof *tr);
        return -1;
    }
    return sigrok_reader_finish(&r, err, err_len);
}
