/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Live capture through libsigrok 0.5.2; see capture_live.h for the
 * trigger and the op-log alignment. The calls:
 *   sr_driver_list → sr_driver_init (once: a second init orphans the
 *   driver's devices) → sr_driver_scan → sr_dev_open → sr_config_set →
 *   sr_session_new / dev_add / datafeed_callback_add, then on a GThread
 *   with its own thread-default GMainContext: sr_session_start and
 *   sr_session_run. sr_session_stop from the caller's thread is safe: it
 *   hands the stop to the session's main context (g_main_context_invoke).
 * Devices a scan creates stay in the driver's list until sr_dev_clear; it
 * is called when the last capture on that driver ends, so repeated
 * captures do not pile up device instances.
 */
#include "capture_live.h"
#include "capture_internal.h"

#include <ctype.h>
#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct live_capture {
    struct live_config cfg; /* the reader's map points here */
    struct sr_dev_driver *drv;
    struct sr_dev_inst *sdi;
    struct sr_session *session;
    GThread *thread;
    GMutex lock;
    GCond cond;
    int started, start_rc, running, streaming, has_limit, stop_requested;
    /* written on the session thread; read by the caller after the join,
     * or under `lock` (t_first_packet_ns, first_packet_samples) */
    struct sigrok_reader reader;
    struct trace tr;
    char what[80];
    int64_t t_start_ns, t_first_packet_ns;
    int64_t t0_bound_ns; /* min over LOGIC packets of arrival - samples so far / rate; 0: none yet */
    uint64_t first_packet_samples, sr_trigger_sample;
    int sr_trigger;
    uint64_t samplerate; /* as configured, for the t0 estimate; 0: ask the reader */
    uint64_t limit_samples, limit_ms; /* as set on the device; 0: not set */
    int64_t t_end_ns;    /* when sr_session_run returned */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------ drivers in use (sr_dev_clear) -- */

static GMutex drivers_lock;
static struct {
    const struct sr_dev_driver *drv;
    int active;
} drivers_in_use[32];

static void driver_use(const struct sr_dev_driver *drv, int delta)
{
    g_mutex_lock(&drivers_lock);
    int slot = -1, clear = 0;
    for (int i = 0; i < (int)G_N_ELEMENTS(drivers_in_use); i++) {
        if (drivers_in_use[i].drv == drv) {
            slot = i;
            break;
        }
        if (slot < 0 && drivers_in_use[i].drv == NULL && delta > 0)
            slot = i;
    }
    if (slot >= 0) {
        drivers_in_use[slot].drv = drv;
        drivers_in_use[slot].active += delta;
        if (drivers_in_use[slot].active <= 0) {
            drivers_in_use[slot].drv = NULL;
            drivers_in_use[slot].active = 0;
            clear = 1;
        }
    }
    if (clear) /* the devices of the last capture on this driver: closed, freed */
        sr_dev_clear(drv);
    g_mutex_unlock(&drivers_lock);
}

/* ------------------------------------------------- device and config -- */

static int has_item(const char *list, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = list; (p = strstr(p, s)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static void append(char *buf, size_t len, const char *s)
{
    size_t used = strlen(buf);
    if (used < len)
        snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s);
}

static void logic_channel_names(const struct sr_dev_inst *sdi, char *buf, size_t len)
{
    buf[0] = '\0';
    for (GSList *l = sr_dev_inst_channels_get(sdi); l != NULL; l = l->next) {
        const struct sr_channel *ch = l->data;
        if (ch->type == SR_CHANNEL_LOGIC)
            append(buf, len, ch->name);
    }
}

/* As sigrok_reader resolves them: by name, else "D<n>" / "<n>". */
static const struct sr_channel *find_logic_channel(const struct sr_dev_inst *sdi, const char *want)
{
    const char *p = want[0] == 'D' || want[0] == 'd' ? want + 1 : want;
    char *end;
    long idx = strtol(p, &end, 10);
    if (*p == '\0' || *end != '\0')
        idx = -1;
    const struct sr_channel *by_index = NULL;
    for (GSList *l = sr_dev_inst_channels_get(sdi); l != NULL; l = l->next) {
        const struct sr_channel *ch = l->data;
        if (ch->type != SR_CHANNEL_LOGIC)
            continue;
        if (strcasecmp(ch->name, want) == 0)
            return ch;
        if (ch->index == idx)
            by_index = ch;
    }
    return by_index;
}

static struct sr_channel *find_analog_channel(const struct sr_dev_inst *sdi, const char *want)
{
    for (GSList *l = sr_dev_inst_channels_get(sdi); want[0] && l != NULL; l = l->next) {
        struct sr_channel *ch = l->data;
        if (ch->type == SR_CHANNEL_ANALOG && strcasecmp(ch->name, want) == 0)
            return ch;
    }
    return NULL;
}

/* The analog channel the map gives EN (A0=EN_V, or EN on an analog one). */
static struct sr_channel *en_analog_channel(const struct live_capture *c)
{
    const struct channel_map *m = &c->cfg.map;
    if (m->en_analog[0])
        return find_analog_channel(c->sdi, m->en_analog);
    if (m->file_name[CH_EN][0] && find_logic_channel(c->sdi, m->file_name[CH_EN]) == NULL)
        return find_analog_channel(c->sdi, m->file_name[CH_EN]);
    return NULL;
}

static int check_map(const struct live_capture *c, char *err, size_t err_len)
{
    char names[256];
    logic_channel_names(c->sdi, names, sizeof names);
    if (names[0] == '\0')
        snprintf(names, sizeof names, "no logic channels");
    if (c->cfg.map.en_analog[0] && en_analog_channel(c) == NULL) {
        snprintf(err, err_len, "%s: the device has no analog channel '%s' for EN_V", c->cfg.driver, c->cfg.map.en_analog);
        return -1;
    }
    for (int ch = 0; ch < CH_COUNT; ch++) {
        const char *want = c->cfg.map.file_name[ch];
        if (want[0] == '\0' && !c->cfg.map.given)
            want = channel_name((enum channel)ch);
        if (want[0] != '\0' && find_logic_channel(c->sdi, want) != NULL)
            continue;
        if (ch == CH_EN && en_analog_channel(c) != NULL)
            continue;
        if (want[0] != '\0' && c->cfg.map.file_name[ch][0]) {
            snprintf(err, err_len, "%s: the device has no logic channel '%s' for %s (it has: %s)", c->cfg.driver, want,
                     channel_name((enum channel)ch), names);
            return -1;
        }
        if (ch == CH_DTR || ch == CH_RTS) {
            snprintf(err, err_len, "%s: no channel for %s (the device has: %s); map them, e.g. D0=DTR,D1=RTS",
                     c->cfg.driver, channel_name((enum channel)ch), names);
            return -1;
        }
    }
    return 0;
}

static int caps(const struct sr_dev_inst *sdi, const struct sr_channel_group *cg, uint32_t key)
{
    return sr_dev_config_capabilities_list(sdi, cg, (int)key);
}

static int group_is_logic(const struct sr_channel_group *cg)
{
    for (GSList *l = cg->channels; l != NULL; l = l->next)
        if (((const struct sr_channel *)l->data)->type != SR_CHANNEL_LOGIC)
            return 0;
    return cg->channels != NULL;
}

/* Where `key` can be set: the device itself, else a group of logic
 * channels, else any group. -1 when nowhere. */
static int key_target(const struct sr_dev_inst *sdi, uint32_t key, struct sr_channel_group **cg)
{
    *cg = NULL;
    if (caps(sdi, NULL, key) & SR_CONF_SET)
        return 0;
    for (int pass = 0; pass < 2; pass++)
        for (GSList *l = sr_dev_inst_channel_groups_get(sdi); l != NULL; l = l->next) {
            struct sr_channel_group *g = l->data;
            if (group_is_logic(g) == (pass == 0) && (caps(sdi, g, key) & SR_CONF_SET)) {
                *cg = g;
                return 0;
            }
        }
    return -1;
}

/* The keys the device (or one of its channel groups) takes, for an error line. */
static void settable_keys_of(const struct sr_dev_inst *sdi, const struct sr_channel_group *cg, char *buf, size_t len)
{
    GArray *opts = sr_dev_options(sr_dev_inst_driver_get(sdi), sdi, cg);
    for (guint i = 0; opts != NULL && i < opts->len; i++) {
        uint32_t key = g_array_index(opts, uint32_t, i);
        const struct sr_key_info *ki = sr_key_info_get(SR_KEY_CONFIG, key);
        if ((caps(sdi, cg, key) & SR_CONF_SET) && ki && ki->id && !has_item(buf, ki->id))
            append(buf, len, ki->id);
    }
    if (opts)
        g_array_free(opts, TRUE);
}

static void settable_keys(const struct sr_dev_inst *sdi, char *buf, size_t len)
{
    buf[0] = '\0';
    settable_keys_of(sdi, NULL, buf, len);
    for (GSList *l = sr_dev_inst_channel_groups_get(sdi); l != NULL; l = l->next)
        settable_keys_of(sdi, l->data, buf, len);
}

static char *rate_string(uint64_t hz)
{
    return sr_samplerate_string(hz);
}

/* The samplerate against the driver's list or range, when it gives one. */
static int check_samplerate(const struct live_capture *c, uint64_t rate, char *err, size_t err_len)
{
    GVariant *gv = NULL, *list;
    if (sr_config_list(c->drv, c->sdi, NULL, SR_CONF_SAMPLERATE, &gv) != SR_OK || gv == NULL)
        return 0;
    int ok = 1;
    char have[512] = "";
    if ((list = g_variant_lookup_value(gv, "samplerate-steps", G_VARIANT_TYPE("at"))) != NULL) {
        gsize n = 0;
        const uint64_t *s = g_variant_get_fixed_array(list, &n, sizeof *s);
        if (n >= 2) {
            ok = rate >= s[0] && rate <= s[1] && (n < 3 || s[2] == 0 || (rate - s[0]) % s[2] == 0);
            char *lo = rate_string(s[0]), *hi = rate_string(s[1]);
            snprintf(have, sizeof have, "%s to %s", lo, hi);
            if (n >= 3 && s[2] > 1) {
                char *st = rate_string(s[2]);
                size_t used = strlen(have);
                snprintf(have + used, sizeof have - used, " in steps of %s", st);
                g_free(st);
            }
            g_free(lo), g_free(hi);
        }
        g_variant_unref(list);
    } else if ((list = g_variant_lookup_value(gv, "samplerates", G_VARIANT_TYPE("at"))) != NULL) {
        gsize n = 0;
        const uint64_t *s = g_variant_get_fixed_array(list, &n, sizeof *s);
        ok = n == 0;
        for (gsize i = 0; i < n; i++) {
            ok |= s[i] == rate;
            char *r = rate_string(s[i]);
            append(have, sizeof have, r);
            g_free(r);
        }
        g_variant_unref(list);
    }
    g_variant_unref(gv);
    if (!ok) {
        char *r = rate_string(rate);
        snprintf(err, err_len, "%s: samplerate %s is not one the device takes (%s)", c->cfg.driver, r, have);
        g_free(r);
        return -1;
    }
    return 0;
}

/* A string value against the values the driver lists for the key. */
static int check_listed_string(const struct live_capture *c, const struct sr_channel_group *cg,
                               const struct sr_key_info *ki, const char *val, char *err, size_t err_len)
{
    GVariant *gv = NULL;
    if (sr_config_list(c->drv, c->sdi, cg, ki->key, &gv) != SR_OK || gv == NULL)
        return 0;
    int ok = 1;
    char have[512] = "";
    if (g_variant_is_of_type(gv, G_VARIANT_TYPE("as"))) {
        gsize n = 0;
        const gchar **s = g_variant_get_strv(gv, &n);
        ok = n == 0;
        for (gsize i = 0; i < n; i++) {
            ok |= strcmp(s[i], val) == 0;
            append(have, sizeof have, s[i]);
        }
        g_free(s);
    }
    g_variant_unref(gv);
    if (!ok)
        snprintf(err, err_len, "%s: %s '%s' is not one the device has (%s)", c->cfg.driver, ki->id, val, have);
    return ok ? 0 : -1;
}

static int set_key(struct live_capture *c, const struct sr_key_info *ki, const char *val, char *err, size_t err_len)
{
    struct sr_channel_group *cg;
    if (key_target(c->sdi, ki->key, &cg) != 0) {
        char keys[512];
        settable_keys(c->sdi, keys, sizeof keys);
        snprintf(err, err_len, "%s: the device does not take config key '%s' (it takes: %s)", c->cfg.driver, ki->id,
                 keys);
        return -1;
    }
    GVariant *v = live_config_value(ki, val, "config", err, err_len);
    if (v == NULL)
        return -1;
    g_variant_ref_sink(v);
    int rc = 0;
    if (ki->key == SR_CONF_SAMPLERATE)
        rc = check_samplerate(c, g_variant_get_uint64(v), err, err_len);
    else if (ki->datatype == SR_T_STRING)
        rc = check_listed_string(c, cg, ki, val, err, err_len);
    if (rc == 0) {
        int src = sr_config_set(c->sdi, cg, ki->key, v);
        if (src != SR_OK) {
            snprintf(err, err_len, "%s: the device refused %s=%s (%s)", c->cfg.driver, ki->id, val, sr_strerror(src));
            rc = -1;
        }
    }
    if (rc == 0 && ki->key == SR_CONF_SAMPLERATE)
        c->samplerate = g_variant_get_uint64(v);
    if (rc == 0 && (ki->key == SR_CONF_LIMIT_SAMPLES || ki->key == SR_CONF_LIMIT_MSEC))
        c->has_limit = 1;
    if (rc == 0 && ki->key == SR_CONF_LIMIT_SAMPLES)
        c->limit_samples = g_variant_get_uint64(v);
    if (rc == 0 && ki->key == SR_CONF_LIMIT_MSEC)
        c->limit_ms = g_variant_get_uint64(v);
    g_variant_unref(v);
    return rc;
}

/* The device's current samplerate (for limit_time → limit_samples). */
static uint64_t device_samplerate(const struct live_capture *c)
{
    GVariant *gv = NULL;
    uint64_t rate = 0;
    if (sr_config_get(c->drv, c->sdi, NULL, SR_CONF_SAMPLERATE, &gv) == SR_OK && gv != NULL) {
        rate = g_variant_get_uint64(gv);
        g_variant_unref(gv);
    }
    return rate;
}

static int apply_config(struct live_capture *c, char *err, size_t err_len)
{
    struct live_config_pair pairs[LIVE_CONFIG_MAX_PAIRS];
    int n = live_config_split_pairs(c->cfg.config, pairs, LIVE_CONFIG_MAX_PAIRS, "config", err, err_len);
    if (n < 0)
        return -1;
    /* samplerate first: limits and triggers may depend on it */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const struct sr_key_info *ki = live_config_key(pairs[i].key, "config", err, err_len);
            if (ki == NULL)
                return -1;
            if ((ki->key == SR_CONF_SAMPLERATE) != (pass == 0))
                continue;
            if (ki->key == SR_CONF_LIMIT_MSEC && !(caps(c->sdi, NULL, SR_CONF_LIMIT_MSEC) & SR_CONF_SET) &&
                (caps(c->sdi, NULL, SR_CONF_LIMIT_SAMPLES) & SR_CONF_SET)) {
                /* as sigrok-cli's --time does on drivers without limit_time */
                uint64_t ms, rate = device_samplerate(c), samples;
                if (live_config_parse_ms(pairs[i].val, &ms) != 0 || rate == 0) {
                    snprintf(err, err_len, "%s: limit_time '%s' needs a samplerate on this device", c->cfg.driver,
                             pairs[i].val);
                    return -1;
                }
                samples = ms * rate / 1000;
                char val[32];
                snprintf(val, sizeof val, "%llu", (unsigned long long)(samples ? samples : 1));
                if (set_key(c, sr_key_info_get(SR_KEY_CONFIG, SR_CONF_LIMIT_SAMPLES), val, err, err_len) != 0)
                    return -1;
                continue;
            }
            if (set_key(c, ki, pairs[i].val, err, err_len) != 0)
                return -1;
        }
    return 0;
}

/* Scan options from the driver spec, checked against the driver's list. */
static GSList *scan_options(struct sr_dev_driver *drv, const char *spec, char *err, size_t err_len, int *failed)
{
    struct live_config_pair pairs[LIVE_CONFIG_MAX_PAIRS];
    const char *colon = strchr(spec, ':');
    GSList *opts = NULL;
    int n = live_config_split_pairs(colon ? colon + 1 : "", pairs, LIVE_CONFIG_MAX_PAIRS, "driver options", err, err_len);
    *failed = n < 0;
    GArray *allowed = n > 0 ? sr_driver_scan_options_list(drv) : NULL;
    for (int i = 0; i < n && !*failed; i++) {
        const struct sr_key_info *ki = live_config_key(pairs[i].key, "driver options", err, err_len);
        int ok = 0;
        for (guint j = 0; ki && allowed && j < allowed->len; j++)
            ok |= g_array_index(allowed, uint32_t, j) == ki->key;
        if (ki != NULL && !ok) {
            char have[256] = "";
            for (guint j = 0; allowed && j < allowed->len; j++) {
                const struct sr_key_info *k = sr_key_info_get(SR_KEY_CONFIG, g_array_index(allowed, uint32_t, j));
                if (k && k->id)
                    append(have, sizeof have, k->id);
            }
            snprintf(err, err_len, "%s: the %s driver takes no scan option '%s' (it takes: %s)", spec, drv->name,
                     pairs[i].key, have[0] ? have : "none");
        }
        GVariant *v = ki && ok ? live_config_value(ki, pairs[i].val, "driver options", err, err_len) : NULL;
        if (v == NULL) {
            *failed = 1;
            break;
        }
        struct sr_config *src = g_malloc0(sizeof *src);
        src->key = ki->key;
        src->data = g_variant_ref_sink(v);
        opts = g_slist_append(opts, src);
    }
    if (allowed)
        g_array_free(allowed, TRUE);
    return opts;
}

static void free_config(gpointer p)
{
    struct sr_config *src = p;
    g_variant_unref(src->data);
    g_free(src);
}

static int find_device(struct live_capture *c, struct sigrok *s, char *err, size_t err_len)
{
    char name[64];
    struct sr_context *ctx = sigrok_context(s);
    live_config_driver_name(c->cfg.driver, name, sizeof name);
    struct sr_dev_driver **list = sr_driver_list(ctx);
    for (int i = 0; list && list[i]; i++)
        if (strcmp(list[i]->name, name) == 0)
            c->drv = list[i];
    if (c->drv == NULL) {
        snprintf(err, err_len, "libsigrok has no driver '%s' (sigrok-cli --list-supported)", name);
        return -1;
    }
    /* Drivers are global; their context is made once (a second init would
     * orphan the devices of the first) and freed by sr_exit. */
    int rc = c->drv->context ? SR_OK : sr_driver_init(ctx, c->drv);
    if (rc != SR_OK) {
        snprintf(err, err_len, "libsigrok: the %s driver failed to start (%s)", name, sr_strerror(rc));
        c->drv = NULL;
        return -1;
    }
    int failed;
    GSList *opts = scan_options(c->drv, c->cfg.driver, err, err_len, &failed);
    if (failed) {
        g_slist_free_full(opts, free_config);
        c->drv = NULL;
        return -1;
    }
    driver_use(c->drv, +1);
    GSList *devs = sr_driver_scan(c->drv, opts);
    g_slist_free_full(opts, free_config);
    c->sdi = devs ? devs->data : NULL; /* the first device */
    g_slist_free(devs);
    if (c->sdi == NULL) {
        snprintf(err, err_len, "%s: libsigrok's %s driver found no device (plugged in? try sigrok-cli -d %s --scan)",
                 c->cfg.driver, name, c->cfg.driver);
        return -1;
    }
    rc = sr_dev_open(c->sdi);
    if (rc != SR_OK) {
        snprintf(err, err_len, "%s: cannot open the device (%s; permissions or udev rules?)", c->cfg.driver,
                 sr_strerror(rc));
        c->sdi = NULL;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------- the session -- */

static void on_packet(const struct sr_dev_inst *sdi, const struct sr_datafeed_packet *pkt, void *data)
{
    struct live_capture *c = data;
    if (pkt->type == SR_DF_TRIGGER && !c->sr_trigger) {
        c->sr_trigger = 1;
        c->sr_trigger_sample = c->reader.n_samples;
    }
    int64_t t = pkt->type == SR_DF_LOGIC ? now_ns() : 0; /* before our own work on it */
    sigrok_reader_packet(sdi, pkt, &c->reader);
    if (pkt->type != SR_DF_LOGIC)
        return;
    /* Every sample so far was taken before this packet arrived: each
     * packet bounds the host time of sample 0 from above. Drivers that
     * deliver a backlog at once (the demo, USB bulk buffers) make the
     * first packet's bound loose; a later packet's is tighter. */
    const struct sr_datafeed_logic *logic = pkt->payload;
    g_mutex_lock(&c->lock);
    if (c->samplerate == 0)
        c->samplerate = c->reader.samplerate;
    if (c->samplerate) {
        int64_t bound = t - (int64_t)llround((double)c->reader.n_samples * 1e9 / (double)c->samplerate);
        if (c->t0_bound_ns == 0 || bound < c->t0_bound_ns)
            c->t0_bound_ns = bound;
    }
    if (!c->streaming) {
        c->t_first_packet_ns = t;
        c->first_packet_samples = logic->unitsize ? logic->length / logic->unitsize : 0;
        c->streaming = 1;
        g_cond_broadcast(&c->cond);
    }
    g_mutex_unlock(&c->lock);
}

static gpointer session_thread(gpointer data)
{
    struct live_capture *c = data;
    GMainContext *mc = g_main_context_new();
    g_main_context_push_thread_default(mc); /* the session's sources go here, not to the default context */
    c->t_start_ns = now_ns();
    int rc = sr_session_start(c->session);
    g_mutex_lock(&c->lock);
    c->started = 1;
    c->start_rc = rc;
    c->running = rc == SR_OK;
    g_cond_broadcast(&c->cond);
    g_mutex_unlock(&c->lock);
    if (rc == SR_OK) {
        rc = sr_session_run(c->session);
        g_mutex_lock(&c->lock);
        c->t_end_ns = now_ns();
        c->running = 0;
        c->start_rc = rc;
        g_cond_broadcast(&c->cond);
        g_mutex_unlock(&c->lock);
    }
    g_main_context_pop_thread_default(mc);
    g_main_context_unref(mc);
    return NULL;
}

static void release(struct live_capture *c)
{
    if (c->session)
        sr_session_destroy(c->session);
    if (c->sdi)
        sr_dev_close(c->sdi);
    if (c->drv)
        driver_use(c->drv, -1);
    g_mutex_clear(&c->lock);
    g_cond_clear(&c->cond);
    sigrok_trace_free(&c->tr);
    free(c->reader.scratch);
    free(c->reader.en_edges);
    free(c);
}

struct live_capture *live_capture_start(struct sigrok *s, const struct live_config *cfg, char *err, size_t err_len)
{
    if (!(cfg->pretrigger_pct >= 0 && cfg->pretrigger_pct <= 100)) {
        snprintf(err, err_len, "pretrigger: %g%% is not between 0 and 100", cfg->pretrigger_pct);
        return NULL;
    }
    struct live_capture *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    g_mutex_init(&c->lock);
    g_cond_init(&c->cond);
    char name[64];
    if (live_config_driver_name(cfg->driver, name, sizeof name) != 0) {
        snprintf(err, err_len, "driver: '%s' is not a libsigrok driver name", cfg->driver);
        release(c);
        return NULL;
    }
    snprintf(c->what, sizeof c->what, "%s capture", name);
    if (find_device(c, s, err, err_len) != 0 || check_map(c, err, err_len) != 0) {
        release(c);
        return NULL;
    }
    struct sr_channel *en_analog = en_analog_channel(c);
    for (GSList *l = sr_dev_inst_channels_get(c->sdi); l != NULL; l = l->next) {
        struct sr_channel *ch = l->data;
        if (ch->type != SR_CHANNEL_LOGIC) /* not read: spare the driver the work */
            sr_dev_channel_enable(ch, ch == en_analog);
    }
    if (apply_config(c, err, err_len) != 0) {
        release(c);
        return NULL;
    }
    sigrok_reader_init(&c->reader, c->what, &c->cfg.map, &c->tr);
    c->reader.opts = cfg->read;
    int rc = sr_session_new(sigrok_context(s), &c->session);
    if (rc == SR_OK)
        rc = sr_session_dev_add(c->session, c->sdi);
    if (rc == SR_OK)
        rc = sr_session_datafeed_callback_add(c->session, on_packet, c);
    if (rc != SR_OK) {
        snprintf(err, err_len, "%s: cannot make a libsigrok session (%s)", c->cfg.driver, sr_strerror(rc));
        release(c);
        return NULL;
    }
    GError *gerr = NULL;
    c->thread = g_thread_try_new("resetlab-capture", session_thread, c, &gerr);
    if (c->thread == NULL) {
        snprintf(err, err_len, "%s: cannot start the capture thread (%s)", c->cfg.driver, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        release(c);
        return NULL;
    }
    g_mutex_lock(&c->lock);
    while (!c->started)
        g_cond_wait(&c->cond, &c->lock);
    rc = c->start_rc;
    g_mutex_unlock(&c->lock);
    if (rc != SR_OK) {
        g_thread_join(c->thread);
        snprintf(err, err_len, "%s: the acquisition did not start (%s)", c->cfg.driver, sr_strerror(rc));
        release(c);
        return NULL;
    }
    return c;
}

int live_capture_wait_streaming(struct live_capture *c, int timeout_ms)
{
    return live_capture_wait_streaming_or_stop(c, timeout_ms, NULL);
}

/* A signal handler cannot signal the condition, so with a stop flag the
 * wait wakes every LIVE_STOP_POLL_MS to look at it. */
int live_capture_wait_streaming_or_stop(struct live_capture *c, int timeout_ms, const volatile sig_atomic_t *stop)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_mutex_lock(&c->lock);
    while (!c->streaming && c->running && !(stop && *stop)) {
        gint64 now = g_get_monotonic_time(), slice = (gint64)LIVE_STOP_POLL_MS * 1000;
        if (now >= deadline)
            break;
        g_cond_wait_until(&c->cond, &c->lock, stop && deadline - now > slice ? now + slice : deadline);
    }
    int ok = c->streaming;
    g_mutex_unlock(&c->lock);
    return ok ? 0 : stop && *stop ? 1 : -1;
}

/* Host time of raw sample 0: the tightest packet bound, never before the
 * acquisition started. */
static int64_t t0_estimate(int64_t t_start, int64_t bound)
{
    if (bound == 0)
        return 0;
    return bound < t_start ? t_start : bound;
}

int64_t live_capture_t0_ns(struct live_capture *c)
{
    g_mutex_lock(&c->lock);
    int64_t t0 = t0_estimate(c->t_start_ns, c->t0_bound_ns);
    g_mutex_unlock(&c->lock);
    return t0;
}

/* EN's samples before the cut go; the rest move to the new t = 0. */
static void cut_analog(struct analog *a, int64_t cut_ns)
{
    if (a->n == 0)
        return;
    double first = ceil(((double)cut_ns - (double)a->t0_ns) / a->period_ns - 1e-9);
    size_t drop = first <= 0 ? 0 : first >= (double)a->n ? a->n : (size_t)first;
    memmove(a->v, a->v + drop, (a->n - drop) * sizeof *a->v);
    a->n -= drop;
    a->t0_ns = llround((double)a->t0_ns + (double)drop * a->period_ns) - cut_ns;
}

/* The software trigger (capture_live.h): cut the trace `pct` % of its
 * samples before its first DTR/RTS edge. */
static void apply_trigger(struct trace *tr, uint64_t n_samples, double pct, struct live_timing *t)
{
    const struct edge *first = NULL;
    for (size_t i = 0; i < tr->n && first == NULL; i++)
        if (tr->edges[i].channel == CH_DTR || tr->edges[i].channel == CH_RTS)
            first = &tr->edges[i];
    if (first == NULL)
        return;
    double rate = tr->sample_rate_hz, ns = 1e9 / rate;
    uint64_t trig = (uint64_t)llround((double)first->t_ns * rate / 1e9);
    uint64_t pre = (uint64_t)llround(pct / 100.0 * (double)n_samples);
    uint64_t cut = trig > pre ? trig - pre : 0;
    t->triggered = 1;
    t->cut_samples = cut;
    t->trigger_sample = trig - cut;
    t->trigger_t_ns = llround((double)(trig - cut) * ns);
    if (cut == 0)
        return;
    /* Edges up to the cut become the initial levels; the rest move. */
    int64_t cut_ns = llround((double)cut * ns);
    size_t k = 0;
    for (size_t i = 0; i < tr->n; i++) {
        struct edge e = tr->edges[i];
        if (e.t_ns <= cut_ns) {
            tr->initial[e.channel] = e.level;
            continue;
        }
        uint64_t s = (uint64_t)llround((double)e.t_ns * rate / 1e9);
        e.t_ns = llround((double)(s - cut) * ns);
        tr->edges[k++] = e;
    }
    tr->n = k;
    tr->t_end_ns = llround((double)(n_samples - cut - 1) * ns);
    cut_analog(&tr->en_v, cut_ns);
}

/* The device's limit in samples: whichever of limit_samples and
 * limit_time (at the samplerate) comes first; 0 when neither is set. */
static uint64_t limit_in_samples(const struct live_capture *c)
{
    uint64_t rate = c->samplerate ? c->samplerate : c->reader.samplerate;
    double by_time = (double)c->limit_ms * (double)rate / 1000.0;
    uint64_t t = c->limit_ms && rate ? (by_time >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)by_time) : 0;
    if (c->limit_samples && t)
        return c->limit_samples < t ? c->limit_samples : t;
    return c->limit_samples ? c->limit_samples : t;
}

int live_capture_finish_timed(struct live_capture *c, int stop_now, struct trace *tr, struct live_timing *timing,
                              char *err, size_t err_len)
{
    struct live_timing t = {0};
    memset(tr, 0, sizeof *tr);
    g_mutex_lock(&c->lock);
    int stop = c->running && (stop_now || !c->has_limit);
    g_mutex_unlock(&c->lock);
    if (stop) {
        c->stop_requested = 1;
        sr_session_stop(c->session);
    }
    g_thread_join(c->thread);
    int rc = c->start_rc;
    t.t_start_ns = c->t_start_ns;
    t.t_first_packet_ns = c->t_first_packet_ns;
    t.first_packet_samples = c->first_packet_samples;
    t.samples = c->reader.n_samples;
    t.sr_trigger = c->sr_trigger;
    t.sr_trigger_sample = c->sr_trigger_sample;
    t.stopped = c->stop_requested;
    t.limit_samples = limit_in_samples(c);
    t.t_end_ns = c->t_end_ns;
    int out = 0;
    if (rc != SR_OK) {
        snprintf(err, err_len, "%s: the capture failed (%s)", c->cfg.driver, sr_strerror(rc));
        out = -1;
    } else if (!c->reader.failed && !c->reader.resolved) {
        snprintf(err, err_len, "%s: %s before any samples arrived", c->cfg.driver,
                 c->stop_requested ? "stopped" : "the capture ended");
        out = -1;
    } else if (sigrok_reader_finish(&c->reader, err, err_len) != 0) {
        out = -1;
    } else {
        if (c->cfg.trigger)
            apply_trigger(&c->tr, c->reader.n_samples, c->cfg.pretrigger_pct, &t);
        int64_t t0 = t0_estimate(t.t_start_ns, c->t0_bound_ns);
        t.t0_ns = t0 ? t0 + llround((double)t.cut_samples * 1e9 / c->tr.sample_rate_hz) : 0;
        *tr = c->tr; /* the edges are the caller's now */
        memset(&c->tr, 0, sizeof c->tr);
    }
    if (timing)
        *timing = t;
    release(c);
    return out;
}

int live_capture_finish(struct live_capture *c, int stop_now, struct trace *tr, char *err, size_t err_len)
{
    return live_capture_finish_timed(c, stop_now, tr, NULL, err, err_len);
}
