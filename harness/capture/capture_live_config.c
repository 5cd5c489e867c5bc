/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A board's analyzer options parsed into a live_config (live_config_parse,
 * capture_live.h): the driver spec and its scan options, the config's
 * KEY=VALUE pairs checked against libsigrok's key names and value types,
 * the channel map. Whether the device takes them is capture_live_device.c's,
 * which sets the values these helpers read (capture_internal.h).
 * May call: libsigrok (key info, no device), glib (GVariant), capture_sigrok.h
 * (scaled values, channel map). */
#include "capture_internal.h"
#include "capture_live.h"

#include <ctype.h>
#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PRETRIGGER_PCT 20.0

/* "k1=v1:k2=v2" → pairs. */
int live_config_split_pairs(const char *spec, struct live_config_pair *out, int max, const char *what, char *err,
                            size_t err_len)
{
    int n = 0;
    const char *p = spec;
    while (p && *p) {
        const char *colon = strchr(p, ':'), *end = colon ? colon : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL || eq == p || eq + 1 == end) {
            snprintf(err, err_len, "%s: '%.*s' is not KEY=VALUE", what, (int)(end - p), p);
            return -1;
        }
        if (n == max || (size_t)(eq - p) >= sizeof out->key || (size_t)(end - eq - 1) >= sizeof out->val) {
            snprintf(err, err_len, "%s: '%.*s' is too long", what, (int)(end - p), p);
            return -1;
        }
        snprintf(out[n].key, sizeof out[n].key, "%.*s", (int)(eq - p), p);
        snprintf(out[n].val, sizeof out[n].val, "%.*s", (int)(end - eq - 1), eq + 1);
        n++;
        p = colon ? colon + 1 : end;
    }
    return n;
}

/* limit_time: milliseconds, "250", "250ms", "2s". */
int live_config_parse_ms(const char *s, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    double v = strtod(s, &end);
    double scale = strcmp(end, "s") == 0 ? 1000 : (strcmp(end, "ms") == 0 || *end == '\0') ? 1 : -1;
    double x = v * scale;
    if (scale < 0 || !(x >= 1) || x > 1e15 || x != floor(x))
        return -1;
    *out = (uint64_t)x;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"1", "on", "true", "yes"}, *no[] = {"0", "off", "false", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* A config or scan option value as the GVariant libsigrok wants for the
 * key (floating reference). NULL with one line in err. */
GVariant *live_config_value(const struct sr_key_info *ki, const char *val, const char *what, char *err, size_t err_len)
{
    uint64_t u;
    int b;
    char *end;
    switch (ki->datatype) {
    case SR_T_UINT64:
        if (ki->key == SR_CONF_SAMPLERATE) {
            if (sigrok_parse_scaled(val, 1, &u) != 0) {
                snprintf(err, err_len, "%s: samplerate '%s' is not a rate (e.g. 4M, 24MHz, 1000000)", what, val);
                return NULL;
            }
        } else if (ki->key == SR_CONF_LIMIT_MSEC) {
            if (live_config_parse_ms(val, &u) != 0) {
                snprintf(err, err_len, "%s: limit_time '%s' is not a time in ms (e.g. 250, 250ms, 2s)", what, val);
                return NULL;
            }
        } else if (sigrok_parse_scaled(val, 0, &u) != 0) {
            snprintf(err, err_len, "%s: %s '%s' is not a positive count (e.g. 100000, 100k, 4M)", what, ki->id, val);
            return NULL;
        }
        return g_variant_new_uint64(u);
    case SR_T_STRING:
        return g_variant_new_string(val);
    case SR_T_BOOL:
        if (parse_bool(val, &b) != 0) {
            snprintf(err, err_len, "%s: %s '%s' is not on/off", what, ki->id, val);
            return NULL;
        }
        return g_variant_new_boolean(b);
    case SR_T_FLOAT: {
        double d = strtod(val, &end);
        if (end == val || *end != '\0' || !isfinite(d)) {
            snprintf(err, err_len, "%s: %s '%s' is not a number", what, ki->id, val);
            return NULL;
        }
        return g_variant_new_double(d);
    }
    case SR_T_INT32: {
        long l = strtol(val, &end, 10);
        if (end == val || *end != '\0' || l < INT32_MIN || l > INT32_MAX) {
            snprintf(err, err_len, "%s: %s '%s' is not an integer", what, ki->id, val);
            return NULL;
        }
        return g_variant_new_int32((int32_t)l);
    }
    default:
        snprintf(err, err_len, "%s: resetlab cannot set %s (its value type is not supported here)", what, ki->id);
        return NULL;
    }
}

const struct sr_key_info *live_config_key(const char *name, const char *what, char *err, size_t err_len)
{
    const struct sr_key_info *ki = sr_key_info_name_get(SR_KEY_CONFIG, name);
    if (ki == NULL)
        snprintf(err, err_len, "%s: unknown key '%s' (e.g. samplerate, limit_samples, limit_time, pattern)", what, name);
    return ki;
}

/* Every pair names a libsigrok key and has a value of its type. */
static int check_pairs(const struct live_config_pair *pairs, int n, const char *what, char *err, size_t err_len)
{
    for (int i = 0; i < n; i++) {
        const struct sr_key_info *ki = live_config_key(pairs[i].key, what, err, err_len);
        GVariant *v = ki ? live_config_value(ki, pairs[i].val, what, err, err_len) : NULL;
        if (v == NULL)
            return -1;
        g_variant_unref(g_variant_ref_sink(v));
    }
    return 0;
}

int live_config_driver_name(const char *spec, char *name, size_t len)
{
    size_t n = strcspn(spec, ":");
    if (n == 0 || n >= len)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)spec[i]) || isdigit((unsigned char)spec[i]) || spec[i] == '-'))
            return -1;
    snprintf(name, len, "%.*s", (int)n, spec);
    return 0;
}

int live_config_parse(const char *driver_spec, const char *config, const char *map_spec, struct live_config *out,
                      char *err, size_t err_len)
{
    struct live_config_pair pairs[LIVE_CONFIG_MAX_PAIRS];
    char name[64];
    memset(out, 0, sizeof *out);
    out->pretrigger_pct = DEFAULT_PRETRIGGER_PCT;
    if (driver_spec == NULL || live_config_driver_name(driver_spec, name, sizeof name) != 0) {
        snprintf(err, err_len, "driver: '%s' is not a libsigrok driver name (e.g. demo, fx2lafw, fx2lafw:conn=1.5)",
                 driver_spec ? driver_spec : "");
        return -1;
    }
    if (strlen(driver_spec) >= sizeof out->driver || (config && strlen(config) >= sizeof out->config)) {
        snprintf(err, err_len, "driver or config: too long (at most %zu / %zu characters)", sizeof out->driver - 1,
                 sizeof out->config - 1);
        return -1;
    }
    const char *scan = driver_spec + strlen(name);
    int n = live_config_split_pairs(*scan == ':' ? scan + 1 : scan, pairs, LIVE_CONFIG_MAX_PAIRS, "driver options", err,
                                    err_len);
    if (n < 0 || check_pairs(pairs, n, "driver options", err, err_len) != 0)
        return -1;
    n = live_config_split_pairs(config, pairs, LIVE_CONFIG_MAX_PAIRS, "config", err, err_len);
    if (n < 0 || check_pairs(pairs, n, "config", err, err_len) != 0)
        return -1;
    if (channel_map_parse(map_spec, &out->map, err, err_len) != 0)
        return -1;
    snprintf(out->driver, sizeof out->driver, "%s", driver_spec);
    snprintf(out->config, sizeof out->config, "%s", config ? config : "");
    return 0;
}
