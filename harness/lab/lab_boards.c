/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boards.yaml → struct lab. Every error is one line naming file:line and
 * the key path; nothing here holds a number of its own.
 * May call: lab_yaml.c, lab_include.c, lab_template.c, lab_chips.c, lab_dsl.c, lab_name.c, lab_rom.c, lab_net.c, harness/capture (checking an analyzer's options), harness/port
 * (checking an rfc2217:// URL), sim/ (the lab's types), libc. */
#include "lab_load.h"

#include "harness/capture/capture_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_chips.h"
#include "lab_dsl.h"
#include "lab_include.h"
#include "lab_template.h"
#include "lab_rom.h"
#include "harness/port/port_rfc2217_codec.h"
#include "lab_net.h"
#include "lab_section.h"
#include "lab_yaml.h"


static const char *key_of(struct ydoc *y, yaml_node_pair_t *pair)
{
    return yscalar(yaml_document_get_node(&y->doc, pair->key));
}

/* Calls `fn` for each entry of the top-level mapping `section`, after
 * growing `*array` to hold them all. */
int lab_section_load(struct ydoc *y, struct lab *lab, const char *section, void **array, int *count, size_t elem,
                     lab_entry_fn fn)
{
    yaml_node_t *map = ymap_get(y, ydoc_root(y), section);
    if (map == NULL)
        return yfail(y, ydoc_root(y), "", "missing section '%s'", section);
    if (ymap_require(y, map, section) != 0)
        return -1;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n == 0)
        return yfail(y, map, section, "is empty");
    *array = calloc(n, elem);
    if (*array == NULL)
        return yfail(y, map, section, "out of memory");
    *count = 0;
    YMAP_FOREACH(y, map, pair)
    {
        const char *name = key_of(y, pair);
        char path[128], why[160];
        yaml_node_t *node = yaml_document_get_node(&y->doc, pair->value);
        if (name == NULL || strlen(name) > LAB_NAME_MAX)
            return yfail(y, node, section, "names must be strings shorter than %d characters", LAB_NAME_MAX + 1);
        if (lab_name_check(name, LAB_NAME_MAX, why, sizeof why) != 0)
            return yfail(y, yaml_document_get_node(&y->doc, pair->key), section, "%s", why);
        snprintf(path, sizeof path, "%s.%s", section, name);
        (*count)++; /* counted before loading, so lab_free frees a half-loaded entry */
        if (ymap_require(y, node, path) != 0 || fn(y, lab, name, node, path) != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- circuits -- */

static int line_value(struct ydoc *y, yaml_node_t *row, const char *path, const char *key, int *out)
{
    double v;
    if (yget_double(y, row, path, key, &v) != 0)
        return -1;
    if (v != 0 && v != 1)
        return yfail(y, ymap_get(y, row, key), path, "%s must be 0 or 1 (asserted convention)", key);
    *out = (int)v;
    return 0;
}

static int drive_value(struct ydoc *y, yaml_node_t *row, const char *path, const char *key, uint8_t *out)
{
    char s[16];
    if (yget_string(y, row, path, key, s, sizeof s) != 0)
        return -1;
    if (strcmp(s, "low") == 0 || strcmp(s, "released") == 0)
        return *out = strcmp(s, "low") == 0 ? DRIVE_LOW : DRIVE_RELEASED, 0;
    return yfail(y, ymap_get(y, row, key), path, "%s must be 'low' or 'released', got '%s'", key, s);
}

static int action_value(struct ydoc *y, yaml_node_t *row, const char *path, uint8_t *out)
{
    static const char *const names[] = {"none", "clear-download-flag", "set-download-flag", "reset"};
    char s[32];
    if (yget_string(y, row, path, "action", s, sizeof s) != 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return *out = (uint8_t)i, 0;
    return yfail(y, ymap_get(y, row, "action"), path,
                 "action must be none, clear-download-flag, set-download-flag or reset; got '%s'", s);
}

/* A table of four rows, one per (dtr, rts), each exactly once. */
static int load_rows(struct ydoc *y, struct circuit *c, yaml_node_t *rows, const char *path)
{
    if (yseq_require(y, rows, path) != 0)
        return -1;
    int seen[2][2] = {{0}};
    YSEQ_FOREACH(y, rows, item)
    {
        yaml_node_t *row = yaml_document_get_node(&y->doc, *item);
        int d = 0, r = 0;
        if (ymap_require(y, row, path) || line_value(y, row, path, "dtr", &d) || line_value(y, row, path, "rts", &r))
            return -1;
        if (seen[d][r]++)
            return yfail(y, row, path, "dtr %d, rts %d appears twice", d, r);
        if (c->kind != CIRCUIT_TRANSISTOR ? action_value(y, row, path, &c->usb_action[d][r])
                                        : (drive_value(y, row, path, "en", &c->en[d][r]) ||
                                           drive_value(y, row, path, "io0", &c->io0[d][r])))
            return -1;
    }
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < 2; r++)
            if (!seen[d][r])
                return yfail(y, rows, path, "no row for dtr %d, rts %d: a table needs all four", d, r);
    return 0;
}

/* usb_otg: the application's CDC pattern and the port's time off the bus
 * (usb_otg.h); the enumeration's parts are summed. */
static int load_usb_otg(struct ydoc *y, yaml_node_t *m, const char *path, struct usb_otg_cdc *o)
{
    static const char *const keys[] = {"pattern", "detach_ms", "reenumerate", NULL},
                             *const parts[] = {"boot_ms", "debounce_ms", "reset_ms", "recovery_ms", "bind_ms", NULL};
    char p[160], pp[192];
    snprintf(p, sizeof p, "%s.usb_otg", path);
    yaml_node_t *n = ymap_get(y, m, "usb_otg"), *pat = ymap_get(y, n, "pattern"), *re = ymap_get(y, n, "reenumerate");
    if (ymap_require(y, n, p) || ymap_only(y, n, p, keys) ||
        yget_range(y, n, p, "detach_ms", 0, 10000, &o->detach_ms))
        return -1;
    snprintf(pp, sizeof pp, "%s.pattern", p);
    if (pat == NULL)
        return yfail(y, n, p, "missing key 'pattern' (the line states that restart the application into download)");
    if (yseq_require(y, pat, pp) != 0)
        return -1;
    YSEQ_FOREACH(y, pat, item)
    {
        yaml_node_t *v = yaml_document_get_node(&y->doc, *item);
        const char *s = yscalar(v);
        if (o->n_pattern >= USB_OTG_PATTERN_MAX)
            return yfail(y, v, pp, "more than %d line states", USB_OTG_PATTERN_MAX);
        if (s == NULL || strlen(s) != 3 || (s[0] != '0' && s[0] != '1') || s[1] != ',' || (s[2] != '0' && s[2] != '1'))
            return yfail(y, v, pp, "expected a line state \"DTR,RTS\" of 0 and 1 (\"0,1\"), got '%s'", s ? s : "a list");
        o->pattern[o->n_pattern][0] = (uint8_t)(s[0] - '0');
        o->pattern[o->n_pattern++][1] = (uint8_t)(s[2] - '0');
    }
    if (o->n_pattern == 0)
        return yfail(y, pat, pp, "is empty");
    snprintf(pp, sizeof pp, "%s.reenumerate", p);
    if (re == NULL)
        return yfail(y, n, p, "missing key 'reenumerate' (restart to the port back: boot_ms, debounce_ms ...)");
    if (ymap_require(y, re, pp) || ymap_only(y, re, pp, parts))
        return -1;
    o->reenumerate_ms = 0;
    for (int i = 0; parts[i]; i++) {
        double v = 0;
        if (yget_range(y, re, pp, parts[i], 0, 10000, &v) != 0)
            return -1;
        o->reenumerate_ms += v;
    }
    if (o->reenumerate_ms < o->detach_ms)
        return yfail(y, re, pp, "the port is back (%g ms) before it left (detach_ms %g)", o->reenumerate_ms, o->detach_ms);
    return 0;
}

static int load_circuit(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"driver_ohms", "table", "actions", "usb_otg", NULL};
    struct circuit *c = &lab->circuits[lab->n_circuits - 1];
    snprintf(c->name, sizeof c->name, "%s", name);
    if (ymap_only(y, m, path, keys) || yget_range(y, m, path, "driver_ohms", 0.0, 1e6, &c->driver_ohms))
        return -1;
    yaml_node_t *table = ymap_get(y, m, "table"), *actions = ymap_get(y, m, "actions");
    if ((table == NULL) == (actions == NULL))
        return yfail(y, m, path, "needs exactly one of 'table' (transistor circuits) or 'actions' (USB-Serial/JTAG, "
                                 "or the ROM's CDC of usb_otg)");
    c->kind = table ? CIRCUIT_TRANSISTOR : ymap_get(y, m, "usb_otg") ? CIRCUIT_USB_OTG : CIRCUIT_USB_JTAG;
    if (table && ymap_get(y, m, "usb_otg"))
        return yfail(y, ymap_get(y, m, "usb_otg"), path, "usb_otg goes with 'actions' (the ROM's CDC), not 'table'");
    if (c->kind == CIRCUIT_USB_OTG && load_usb_otg(y, m, path, &c->otg) != 0)
        return -1;
    char rows_path[160];
    snprintf(rows_path, sizeof rows_path, "%s.%s", path, table ? "table" : "actions");
    return load_rows(y, c, table ? table : actions, rows_path);
}

/* ----------------------------------------------------------- bridges -- */

/* An OS's open/close sequence: line changes and waits, no port ops. */
static int load_os_seq(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, struct op_seq *out)
{
    char text[256], err[160];
    if (yget_string(y, m, path, key, text, sizeof text) != 0)
        return -1;
    if (dsl_parse(text, out, err, sizeof err) != 0)
        return yfail(y, ymap_get(y, m, key), path, "%s: %s", key, err);
    for (int i = 0; i < out->n; i++)
        if (op_is_port_op(out->ops[i].kind))
            return yfail(y, ymap_get(y, m, key), path, "%s: an OS sequence cannot open or close the port", key);
    return 0;
}

/* An optional one (the first-open quirks): absent leaves it empty. */
static int load_opt_os_seq(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, struct op_seq *out)
{
    if (ymap_get(y, m, key) == NULL)
        return 0;
    return load_os_seq(y, m, path, key, out);
}

static int load_bridge(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"both_lines_one_request", "usb_pid", "usb_vid", "usb_bytes_per_s", "linux",
                                       "windows", NULL};
    static const char *const os_keys[] = {"open", "open_lowered", "close", "first_open", "first_open_lowered",
                                          NULL};
    struct bridge_profile *b = &lab->bridges[lab->n_bridges - 1];
    snprintf(b->name, sizeof b->name, "%s", name);
    uint32_t pid = 0, vid = 0;
    if (ymap_only(y, m, path, keys) || yget_bool(y, m, path, "both_lines_one_request", &b->both_lines_one_request) ||
        (ymap_get(y, m, "usb_pid") != NULL && yget_u32(y, m, path, "usb_pid", &pid)) ||
        (ymap_get(y, m, "usb_vid") != NULL && yget_u32(y, m, path, "usb_vid", &vid)) ||
        yopt_range(y, m, path, "usb_bytes_per_s", 1000, 1e9, &b->usb_bytes_per_s))
        return -1;
    if (pid > 0xFFFF)
        return yfail(y, ymap_get(y, m, "usb_pid"), path, "usb_pid must be 0x0000 to 0xFFFF, got 0x%X", (unsigned)pid);
    if (vid > 0xFFFF)
        return yfail(y, ymap_get(y, m, "usb_vid"), path, "usb_vid must be 0x0000 to 0xFFFF, got 0x%X", (unsigned)vid);
    b->usb_pid = ymap_get(y, m, "usb_pid") != NULL ? (int)pid : -1; /* unknown: no tool's PID rule matches */
    b->usb_vid = ymap_get(y, m, "usb_vid") != NULL ? (int)vid : -1;
    for (int os = 0; os < OS_COUNT; os++) {
        char os_path[160];
        snprintf(os_path, sizeof os_path, "%s.%s", path, host_os_name((enum host_os)os));
        yaml_node_t *osm = ymap_get(y, m, host_os_name((enum host_os)os));
        if (osm == NULL)
            return yfail(y, m, path, "missing key '%s' (open/close behaviour)", host_os_name((enum host_os)os));
        if (yscalar(osm) != NULL) { /* by name: an entry of os_defaults: (linux: linux) */
            yaml_node_t *named = ymap_get(y, ymap_get(y, ydoc_root(y), "os_defaults"), yscalar(osm));
            if (named == NULL)
                return yfail(y, osm, os_path, "unknown entry '%s' of os_defaults:", yscalar(osm));
            osm = named;
        }
        struct os_behaviour *ob = &b->os[os];
        if (ymap_require(y, osm, os_path) || ymap_only(y, osm, os_path, os_keys) ||
            load_os_seq(y, osm, os_path, "open", &ob->open) ||
            load_os_seq(y, osm, os_path, "open_lowered", &ob->open_lowered) ||
            load_os_seq(y, osm, os_path, "close", &ob->close) ||
            load_opt_os_seq(y, osm, os_path, "first_open", &ob->first_open) ||
            load_opt_os_seq(y, osm, os_path, "first_open_lowered", &ob->first_open_lowered))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- hosts -- */

int lab_latency_load(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, struct latency *l)
{
    static const char *const keys[] = {"floor_ms", "median_ms", "sigma", "spike_p", "spike_ms", NULL};
    yaml_node_t *n = ymap_get(y, m, key);
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (n == NULL)
        return yfail(y, m, path, "missing key '%s'", key);
    if (ymap_require(y, n, p) || ymap_only(y, n, p, keys) || yget_range(y, n, p, "floor_ms", 0, 10000, &l->floor_ms) ||
        yget_range(y, n, p, "median_ms", 0, 10000, &l->median_ms) || yget_range(y, n, p, "sigma", 0, 5, &l->sigma) ||
        yget_range(y, n, p, "spike_p", 0, 1, &l->spike_p) || yget_range(y, n, p, "spike_ms", 0, 100000, &l->spike_ms))
        return -1;
    if (l->median_ms < l->floor_ms)
        return yfail(y, n, p, "median_ms (%g) is below floor_ms (%g)", l->median_ms, l->floor_ms);
    return 0;
}

static int load_host(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"os", "port", "request", "overshoot", "split_both_lines", "network", NULL};
    struct host_profile *h = &lab->hosts[lab->n_hosts - 1];
    snprintf(h->name, sizeof h->name, "%s", name);
    char os[16], port[16] = "local";
    if (ymap_only(y, m, path, keys) || yget_string(y, m, path, "os", os, sizeof os) ||
        (ymap_get(y, m, "port") != NULL && yget_string(y, m, path, "port", port, sizeof port)))
        return -1;
    if (strcmp(os, "linux") != 0 && strcmp(os, "windows") != 0)
        return yfail(y, ymap_get(y, m, "os"), path, "os must be linux or windows, got '%s'", os);
    h->os = strcmp(os, "windows") == 0 ? OS_WINDOWS : OS_LINUX;
    if (strcmp(port, "local") != 0 && strcmp(port, "rfc2217") != 0)
        return yfail(y, ymap_get(y, m, "port"), path, "port must be local or rfc2217, got '%s'", port);
    h->port = strcmp(port, "rfc2217") == 0 ? PORT_RFC2217 : PORT_LOCAL;
    return lab_latency_load(y, m, path, "request", &h->request) || lab_latency_load(y, m, path, "overshoot", &h->overshoot) ||
                   yget_bool(y, m, path, "split_both_lines", &h->split_both_lines) ||
                   lab_net_host(y, lab, m, path, h)
               ? -1
               : 0;
}

/* ------------------------------------------------------------ boards -- */

static int find_named(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, const char *what,
                      const void *array, int count, size_t elem, const void **out)
{
    char name[64];
    if (yget_string(y, m, path, key, name, sizeof name) != 0)
        return -1;
    for (int i = 0; i < count; i++) {
        const char *candidate = (const char *)array + (size_t)i * elem; /* every profile starts with its name */
        if (strcmp(candidate, name) == 0)
            return *out = candidate, 0;
    }
    return yfail(y, ymap_get(y, m, key), path, "unknown %s '%s'", what, name);
}

/* The virtual analyzer: rate and threshold here, the rest is physics. */
static int load_sim_analyzer(struct ydoc *y, yaml_node_t *n, const char *p, double vdd, struct analyzer_cfg *a)
{
    static const char *const keys[] = {"kind", "threshold_v", "sample_rate_hz", "tail_ms", "settle_ms",
                                       "transient_max_ms", "analog_en_rate_hz", "analog_noise_v", NULL};
    return ymap_only(y, n, p, keys) || yget_range(y, n, p, "threshold_v", 0.01, vdd * 0.99, &a->threshold_v) ||
                   yget_range(y, n, p, "sample_rate_hz", 1e3, 1e10, &a->sample_rate_hz) ||
                   yget_range(y, n, p, "tail_ms", 0, 60000, &a->tail_ms) ||
                   yget_range(y, n, p, "settle_ms", 0, 1000, &a->settle_ms) ||
                   yget_range(y, n, p, "transient_max_ms", 0, 60000, &a->transient_max_ms) ||
                   yopt_range(y, n, p, "analog_en_rate_hz", 1e3, 1e8, &a->analog_en_rate_hz) ||
                   yopt_range(y, n, p, "analog_noise_v", 0, vdd, &a->analog_noise_v)
               ? -1
               : 0;
}

/* A real logic analyzer through libsigrok: driver, config and channel map
 * as sigrok-cli spells them, checked here; the device is checked when a
 * run opens it. Its logic threshold is the τ correction's V_la. */
static int load_sigrok_analyzer(struct ydoc *y, yaml_node_t *n, const char *p, double vdd, struct analyzer_cfg *a)
{
    static const char *const keys[] = {"kind", "driver", "config", "channels", "threshold_v", "pretrigger_pct",
                                       "tail_ms", "settle_ms", "transient_max_ms", "analog_en_rate_hz", NULL};
    char err[320];
    struct live_config cfg;
    a->pretrigger_pct = 20; /* libsigrok's usual capture ratio */
    if (ymap_only(y, n, p, keys) || yget_string(y, n, p, "driver", a->driver, sizeof a->driver) ||
        yget_string(y, n, p, "config", a->config, sizeof a->config) ||
        yget_string(y, n, p, "channels", a->channels, sizeof a->channels) ||
        yget_range(y, n, p, "threshold_v", 0.01, vdd * 0.99, &a->threshold_v) ||
        yopt_range(y, n, p, "pretrigger_pct", 0, 99, &a->pretrigger_pct) ||
        yget_range(y, n, p, "tail_ms", 0, 60000, &a->tail_ms) || yget_range(y, n, p, "settle_ms", 0, 1000, &a->settle_ms) ||
        yget_range(y, n, p, "transient_max_ms", 0, 60000, &a->transient_max_ms) ||
        yopt_range(y, n, p, "analog_en_rate_hz", 1e3, 1e8, &a->analog_en_rate_hz))
        return -1;
    if (live_config_parse(a->driver, a->config, a->channels, &cfg, err, sizeof err) != 0)
        return yfail(y, n, p, "%s", err);
    if (!cfg.map.file_name[CH_DTR][0] || !cfg.map.file_name[CH_RTS][0])
        return yfail(y, ymap_get(y, n, "channels"), p, "channels: DTR and RTS must be mapped (e.g. D0=DTR,D1=RTS)");
    return 0;
}

/* A board served by `resetlab serve`: its virtual analyzer's captures are
 * read from the server's log folder; threshold and analysis settings as
 * the served board's analyzer has them. */
static int load_serve_analyzer(struct ydoc *y, yaml_node_t *n, const char *p, double vdd, struct analyzer_cfg *a)
{
    static const char *const keys[] = {"kind", "log", "threshold_v", "tail_ms", "settle_ms", "transient_max_ms",
                                       NULL};
    return ymap_only(y, n, p, keys) || yget_string(y, n, p, "log", a->log_dir, sizeof a->log_dir) ||
                   yget_range(y, n, p, "threshold_v", 0.01, vdd * 0.99, &a->threshold_v) ||
                   yget_range(y, n, p, "tail_ms", 0, 60000, &a->tail_ms) ||
                   yget_range(y, n, p, "settle_ms", 0, 1000, &a->settle_ms) ||
                   yget_range(y, n, p, "transient_max_ms", 0, 60000, &a->transient_max_ms)
               ? -1
               : 0;
}

static int load_analyzer(struct ydoc *y, yaml_node_t *m, const char *path, double vdd, struct analyzer_cfg *a)
{
    yaml_node_t *n = ymap_get(y, m, "analyzer");
    char p[160];
    snprintf(p, sizeof p, "%s.analyzer", path);
    if (n == NULL)
        return yfail(y, m, path, "missing key 'analyzer'");
    if (yscalar(n) != NULL) { /* by name: an entry of analyzers: (a file's *anchor cannot reach an included one) */
        yaml_node_t *named = ymap_get(y, ymap_get(y, ydoc_root(y), "analyzers"), yscalar(n));
        if (named == NULL)
            return yfail(y, n, p, "unknown analyzer '%s' (an entry of analyzers:)", yscalar(n));
        snprintf(p, sizeof p, "analyzers.%s", yscalar(n));
        n = named;
    }
    if (ymap_require(y, n, p) || yget_string(y, n, p, "kind", a->kind, sizeof a->kind))
        return -1;
    if (strcmp(a->kind, "sim") == 0)
        return load_sim_analyzer(y, n, p, vdd, a);
    if (strcmp(a->kind, "sigrok") == 0)
        return load_sigrok_analyzer(y, n, p, vdd, a);
    if (strcmp(a->kind, "serve") == 0)
        return load_serve_analyzer(y, n, p, vdd, a);
    return yfail(y, ymap_get(y, n, "kind"), p,
                 "kind '%s': expected sim (the virtual lab), sigrok (a real analyzer) or serve (a board served by "
                 "resetlab serve)",
                 a->kind);
}

static int load_rc(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, const char *r_key, double *r,
                   double *c, double *tolerance)
{
    static const char *const en_keys[] = {"r_ohms", "c_farads", "c_tolerance", NULL},
                             *const io0_keys[] = {"pullup_ohms", "c_farads", NULL};
    yaml_node_t *n = ymap_get(y, m, key);
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (n == NULL)
        return yfail(y, m, path, "missing key '%s'", key);
    return ymap_require(y, n, p) || ymap_only(y, n, p, strcmp(key, "en") == 0 ? en_keys : io0_keys) ||
                   yget_range(y, n, p, r_key, 1, 1e9, r) || yget_range(y, n, p, "c_farads", 0, 1, c) ||
                   (tolerance && yget_range(y, n, p, "c_tolerance", 0, 10, tolerance))
               ? -1
               : 0;
}

/* `fault:` — what the simulated board really has, where it differs from the
 * design: another circuit (an open or shorted transistor, swapped lines), a
 * wrong EN capacitor, a missing IO0 pull-up. The analyzers still check
 * against the design, so they must find the fault. */
static int load_fault(struct ydoc *y, struct lab *lab, yaml_node_t *m, const char *path, struct board_profile *b)
{
    static const char *const keys[] = {"description", "circuit", "en_c_farads", "io0_pullup_ohms", "io0_c_farads", NULL};
    b->real = (struct board_parts){b->circuit, b->en_r_ohms, b->en_c_farads, b->io0_pullup_ohms, b->io0_c_farads};
    yaml_node_t *f = ymap_get(y, m, "fault");
    if (f == NULL)
        return 0;
    char p[160];
    snprintf(p, sizeof p, "%s.fault", path);
    if (ymap_require(y, f, p) || ymap_only(y, f, p, keys) ||
        yget_string(y, f, p, "description", b->fault, sizeof b->fault))
        return -1;
    if (ymap_get(y, f, "circuit") &&
        find_named(y, f, p, "circuit", "circuit", lab->circuits, lab->n_circuits, sizeof *lab->circuits,
                   (const void **)&b->real.circuit))
        return -1;
    if ((ymap_get(y, f, "en_c_farads") && yget_range(y, f, p, "en_c_farads", 0, 1, &b->real.en_c_farads)) ||
        (ymap_get(y, f, "io0_pullup_ohms") && yget_range(y, f, p, "io0_pullup_ohms", 1, 1e12, &b->real.io0_pullup_ohms)) ||
        (ymap_get(y, f, "io0_c_farads") && yget_range(y, f, p, "io0_c_farads", 0, 1, &b->real.io0_c_farads)))
        return -1;
    if (b->real.circuit->kind != b->circuit->kind)
        return yfail(y, ymap_get(y, f, "circuit"), p,
                     "a fault cannot turn a transistor circuit into native USB (USB-Serial/JTAG, USB-OTG) or back");
    return 0;
}

static int load_board(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"chip",     "bridge", "circuit", "en",  "io0", "vdd",
                                       "port",     "analyzer", "fault", "mac", "flash", "straps", NULL};
    struct board_profile *b = &lab->boards[lab->n_boards - 1];
    snprintf(b->name, sizeof b->name, "%s", name);
    if (ymap_only(y, m, path, keys) ||
        find_named(y, m, path, "chip", "chip", lab->chips, lab->n_chips, sizeof *lab->chips, (const void **)&b->chip) ||
        find_named(y, m, path, "bridge", "bridge", lab->bridges, lab->n_bridges, sizeof *lab->bridges,
                   (const void **)&b->bridge) ||
        find_named(y, m, path, "circuit", "circuit", lab->circuits, lab->n_circuits, sizeof *lab->circuits,
                   (const void **)&b->circuit) ||
        load_rc(y, m, path, "en", "r_ohms", &b->en_r_ohms, &b->en_c_farads, &b->en_c_tolerance) ||
        load_rc(y, m, path, "io0", "pullup_ohms", &b->io0_pullup_ohms, &b->io0_c_farads, NULL) ||
        yget_range(y, m, path, "vdd", 0.5, 12, &b->vdd) || yget_string(y, m, path, "port", b->port, sizeof b->port) ||
        load_analyzer(y, m, path, b->vdd, &b->analyzer) || load_fault(y, lab, m, path, b) ||
        lab_rom_load_board(y, m, path, &b->rom))
        return -1;
    int sim_port = strcmp(b->port, "sim") == 0, real_port = b->port[0] == '/' || strncmp(b->port, "usb:", 4) == 0;
    if (r2217_is_url(b->port)) {
        char host[256], service[8], why[400];
        if (r2217_parse_url(b->port, host, sizeof host, service, sizeof service, why, sizeof why) != 0)
            return yfail(y, ymap_get(y, m, "port"), path, "%s", why);
        real_port = 1;
    }
    if (!sim_port && !real_port)
        return yfail(y, ymap_get(y, m, "port"), path,
                     "port '%s': expected sim, a device path (/dev/serial/by-id/...), usb:VID:PID[:SERIAL] or "
                     "rfc2217://HOST:PORT",
                     b->port);
    if (sim_port != (strcmp(b->analyzer.kind, "sim") == 0))
        return yfail(y, ymap_get(y, m, "port"), path, "port '%s' needs analyzer kind '%s'", b->port,
                     sim_port ? "sim" : "sigrok");
    if (strcmp(b->analyzer.kind, "serve") == 0 && !r2217_is_url(b->port))
        return yfail(y, ymap_get(y, m, "port"), path,
                     "port '%s': a board served by resetlab serve is reached at rfc2217://HOST:PORT", b->port);
    return lab_chip_check_board(y, b, m, path);
}

/* The analyzers: section holds anchors the boards refer to (*sim_la);
 * nothing loads it as a section, but its names are names all the same. */
static int check_analyzer_names(struct ydoc *y)
{
    yaml_node_t *map = ymap_get(y, ydoc_root(y), "analyzers");
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return 0;
    YMAP_FOREACH(y, map, pair)
    {
        yaml_node_t *kn = yaml_document_get_node(&y->doc, pair->key);
        const char *name = yscalar(kn);
        char why[160];
        if (name == NULL)
            return yfail(y, kn, "analyzers", "names must be strings");
        if (lab_name_check(name, LAB_NAME_MAX, why, sizeof why) != 0)
            return yfail(y, kn, "analyzers", "%s", why);
    }
    return 0;
}

int lab_load(struct lab *lab, const char *file, char *err, size_t err_len)
{
    static const char *const sections[] = {"chips",       "circuits",    "os_defaults", "bridges",
                                           "net_links",   "net_clients", "net_bridges", "hosts",
                                           "analyzers",   "boards",      "templates",   NULL};
    struct ydoc y;
    memset(lab, 0, sizeof *lab);
    snprintf(lab->path, sizeof lab->path, "%s", file);
    int rc = -1;
    if (lab_doc_load(&y, file, NULL, err, err_len) != 0)
        return lab_free(lab), -1;
    if (ymap_require(&y, ydoc_root(&y), "") || ymap_only(&y, ydoc_root(&y), "", sections) ||
        check_analyzer_names(&y) || lab_templates_check(&y))
        goto out;
#define SECTION(name, arr, cnt, fn) lab_section_load(&y, lab, name, (void **)&lab->arr, &lab->cnt, sizeof *lab->arr, fn)
    if (SECTION("chips", chips, n_chips, lab_chip_load) || SECTION("circuits", circuits, n_circuits, load_circuit) ||
        SECTION("bridges", bridges, n_bridges, load_bridge) || lab_net_load(&y, lab) ||
        SECTION("hosts", hosts, n_hosts, load_host) ||
        SECTION("boards", boards, n_boards, load_board))
        goto out;
#undef SECTION
    rc = 0;
out:
    ydoc_free(&y);
    if (rc != 0)
        lab_free(lab);
    return rc;
}

/* A hosts file (resetlab calibrate's): its hosts added to the lab's, one
 * of the same name replaced. Loaded into a lab of its own first, so a bad
 * file leaves `lab` as it was. */
int lab_load_hosts(struct lab *lab, const char *file, char *err, size_t err_len)
{
    static const char *const sections[] = {"hosts", NULL};
    struct ydoc y;
    struct lab extra = {0};
    if (ydoc_load(&y, file, err, err_len) != 0)
        return -1;
    int rc = -1;
    if (ymap_require(&y, ydoc_root(&y), "") || ymap_only(&y, ydoc_root(&y), "", sections) ||
        lab_section_load(&y, &extra, "hosts", (void **)&extra.hosts, &extra.n_hosts, sizeof *extra.hosts, load_host))
        goto out;
    struct host_profile *grown = realloc(lab->hosts, (size_t)(lab->n_hosts + extra.n_hosts) * sizeof *grown);
    if (grown == NULL) {
        snprintf(err, err_len, "%s: out of memory", file);
        goto out;
    }
    lab->hosts = grown;
    for (int i = 0; i < extra.n_hosts; i++) {
        struct host_profile *same = (struct host_profile *)lab_host(lab, extra.hosts[i].name);
        *(same ? same : &lab->hosts[lab->n_hosts++]) = extra.hosts[i];
    }
    rc = 0;
out:
    ydoc_free(&y);
    free(extra.hosts);
    return rc;
}
