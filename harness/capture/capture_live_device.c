/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live capture's device, found and configured (capture_internal.h): the
 * calls are sr_driver_list → sr_driver_init (once: a second init orphans
 * the driver's devices) → sr_driver_scan with the spec's scan options →
 * sr_dev_open; the map is checked against the device's channels; then
 * sr_config_set key by key, samplerate first, each value checked against
 * what the driver lists. Devices a scan creates stay in the driver's list
 * until sr_dev_clear; it is called when the last capture on that driver
 * ends, so repeated captures do not pile up device instances.
 * May call: libsigrok, glib, capture_live_config.c (values, keys),
 * capture_sigrok.h (the context). */
#include "capture_internal.h"
#include "capture_live.h"

#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------ drivers in use (sr_dev_clear) -- */

static GMutex drivers_lock;
static struct {
    const struct sr_dev_driver *drv;
    int active;
} drivers_in_use[32];

void live_device_use(const struct sr_dev_driver *drv, int delta)
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
struct sr_channel *live_device_en_analog(const struct live_capture *c)
{
    const struct channel_map *m = &c->cfg.map;
    if (m->en_analog[0])
        return find_analog_channel(c->sdi, m->en_analog);
    if (m->file_name[CH_EN][0] && find_logic_channel(c->sdi, m->file_name[CH_EN]) == NULL)
        return find_analog_channel(c->sdi, m->file_name[CH_EN]);
    return NULL;
}

int live_device_check_map(const struct live_capture *c, char *err, size_t err_len)
{
    char names[256];
    logic_channel_names(c->sdi, names, sizeof names);
    if (names[0] == '\0')
        snprintf(names, sizeof names, "no logic channels");
    if (c->cfg.map.en_analog[0] && live_device_en_analog(c) == NULL) {
        snprintf(err, err_len, "%s: the device has no analog channel '%s' for EN_V", c->cfg.driver, c->cfg.map.en_analog);
        return -1;
    }
    for (int ch = 0; ch < CH_COUNT; ch++) {
        const char *want = c->cfg.map.file_name[ch];
        if (want[0] == '\0' && !c->cfg.map.given)
            want = channel_name((enum channel)ch);
        if (want[0] != '\0' && find_logic_channel(c->sdi, want) != NULL)
            continue;
        if (ch == CH_EN && live_device_en_analog(c) != NULL)
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

int live_device_apply_config(struct live_capture *c, char *err, size_t err_len)
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

int live_device_find(struct live_capture *c, struct sigrok *s, char *err, size_t err_len)
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
    live_device_use(c->drv, +1);
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
