/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A tool's connect loop in a scenario file (docs/tools.md) → struct tool:
 * its named reset strategies, the rules that pick which ones it cycles
 * (per OS, port kind and USB PID, first match wins), attempts, the SYNC
 * tries, what it does after connecting, and the esptool.cfg overrides a
 * user sets. A strategy is a DSL text of line ops and waits; "$delay" in
 * it is the delay a cycle entry gives ("ClassicReset 0.55").
 * May call: lab_yaml.c, lab_dsl.c, sim/ (lab types), libc. */
#include "lab_tools.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_dsl.h"

#define STRATEGY_TEXT_MAX 256

/* The strategies a tool file names, as their text (before $delay). */
struct named {
    const char *name[TOOL_MAX_STRATEGIES];
    const char *text[TOOL_MAX_STRATEGIES];
    yaml_node_t *at[TOOL_MAX_STRATEGIES];
    int n;
};

/* esptool.cfg's [esptool] keys that change the connect loop. */
struct esptool_cfg {
    const char *custom_reset_sequence; /* NULL: none */
    double reset_delay;                /* NaN: none */
};

static int load_named(struct ydoc *y, yaml_node_t *m, struct named *out)
{
    yaml_node_t *n = ymap_get(y, m, "strategies");
    out->n = 0;
    if (n == NULL)
        return yfail(y, m, "", "a tool needs 'strategies' (name: \"D0|R1|W0.1|...\")");
    if (ymap_require(y, n, "strategies"))
        return -1;
    YMAP_FOREACH(y, n, pair)
    {
        yaml_node_t *k = yaml_document_get_node(&y->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&y->doc, pair->value);
        const char *name = yscalar(k), *text = yscalar(v);
        if (out->n >= TOOL_MAX_STRATEGIES)
            return yfail(y, k, "strategies", "at most %d strategies", TOOL_MAX_STRATEGIES);
        if (name == NULL || text == NULL || strlen(text) >= STRATEGY_TEXT_MAX)
            return yfail(y, v, "strategies", "expected name: \"sequence\" (at most %d characters)",
                         STRATEGY_TEXT_MAX - 1);
        out->name[out->n] = name;
        out->text[out->n] = text;
        out->at[out->n++] = v;
    }
    return out->n ? 0 : yfail(y, n, "strategies", "no strategies");
}

/* `text` with every "$delay" replaced by the delay (NaN: none may appear). */
static int expand_delay(const char *text, double delay, char *out, size_t len)
{
    size_t o = 0;
    int used = 0;
    for (const char *p = text; *p; p++) {
        if (strncmp(p, "$delay", 6) == 0) {
            if (isnan(delay))
                return -1;
            o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%g", delay);
            p += 5;
            used = 1;
        } else if (o + 1 < len) {
            out[o++] = *p;
        }
    }
    out[o < len ? o : len - 1] = '\0';
    return used || isnan(delay) ? 0 : -2;
}

/* A strategy's ops: line changes and waits, nothing that opens, closes or
 * writes (those are the tool's own steps). */
static int check_line_ops(struct ydoc *y, yaml_node_t *at, const char *path, const struct op_seq *seq)
{
    if (seq->n == 0)
        return yfail(y, at, path, "the strategy is empty");
    for (int i = 0; i < seq->n; i++)
        if (seq->ops[i].kind > OP_WAIT)
            return yfail(y, at, path, "column %d: a strategy has only D, R, U and W steps", seq->ops[i].pos);
    return 0;
}

static int make_step(struct ydoc *y, yaml_node_t *at, const char *path, const char *label, const char *text,
                     double delay, int rewrite, struct tool_step *out)
{
    char expanded[STRATEGY_TEXT_MAX + 64], err[160];
    int rc = expand_delay(text, delay, expanded, sizeof expanded);
    if (rc == -1)
        return yfail(y, at, path, "'%s' has $delay: give it one (\"%s 0.05\")", label, label);
    if (rc == -2)
        return yfail(y, at, path, "'%s' has no $delay to take %g", label, delay);
    if (dsl_parse(expanded, &out->seq, err, sizeof err) != 0)
        return yfail(y, at, path, "%s: %s", label, err);
    if (check_line_ops(y, at, path, &out->seq) != 0)
        return -1;
    if (isnan(delay))
        snprintf(out->label, sizeof out->label, "%s", label);
    else
        snprintf(out->label, sizeof out->label, "%s %g", label, delay);
    out->rewrite_dtr = rewrite;
    return 0;
}

/* "ClassicReset" or "ClassicReset 0.55": a strategy the file names, and
 * its delay (the esptool.cfg reset_delay, when set, replaces it). */
static int parse_ref(struct ydoc *y, yaml_node_t *v, const char *path, const struct named *nm,
                     const struct esptool_cfg *cfg, int rewrite, struct tool_step *out)
{
    const char *ref = yscalar(v);
    char name[64];
    double delay = NAN;
    if (ref == NULL || sscanf(ref, "%63s", name) != 1)
        return yfail(y, v, path, "expected a strategy name, optionally with its delay (\"ClassicReset 0.05\")");
    const char *rest = ref + strspn(ref, " ") + strlen(name);
    if (*rest != '\0') {
        char *end;
        delay = strtod(rest, &end);
        if (end == rest || *end != '\0' || !(delay >= 0 && delay <= 3600))
            return yfail(y, v, path, "'%s': the delay after the name must be 0 to 3600 s", ref);
    }
    for (int i = 0; i < nm->n; i++)
        if (strcmp(nm->name[i], name) == 0) {
            if (!isnan(delay) && !isnan(cfg->reset_delay))
                delay = cfg->reset_delay; /* esptool: delay = extra_delay = cfg reset_delay */
            return make_step(y, v, path, name, nm->text[i], delay, rewrite, out);
        }
    return yfail(y, v, path, "unknown strategy '%s' (not in this file's strategies)", name);
}

/* when: {os: [linux], port: [local], usb_pid: 0x1001}, all optional. */
static int load_when(struct ydoc *y, yaml_node_t *rule, const char *path, struct tool_when *w)
{
    static const char *const keys[] = {"os", "port", "usb_pid", NULL};
    *w = (struct tool_when){.usb_pid = -1};
    yaml_node_t *m = ymap_get(y, rule, "when");
    char p[96];
    snprintf(p, sizeof p, "%s.when", path);
    if (m == NULL)
        return 0;
    if (ymap_require(y, m, p) || ymap_only(y, m, p, keys))
        return -1;
    static const char *const names[2][3] = {{"linux", "windows", NULL}, {"local", "rfc2217", NULL}};
    const char *list_keys[2] = {"os", "port"};
    int *masks[2] = {&w->os_mask, &w->port_mask};
    for (int k = 0; k < 2; k++) {
        yaml_node_t *n = ymap_get(y, m, list_keys[k]);
        if (n == NULL)
            continue;
        if (yseq_require(y, n, p))
            return -1;
        YSEQ_FOREACH(y, n, item)
        {
            yaml_node_t *v = yaml_document_get_node(&y->doc, *item);
            const char *s = yscalar(v);
            int bit = -1;
            for (int i = 0; s && names[k][i]; i++)
                if (strcmp(s, names[k][i]) == 0)
                    bit = i;
            if (bit < 0)
                return yfail(y, v, p, "%s: expected %s or %s, got '%s'", list_keys[k], names[k][0], names[k][1],
                             s ? s : "?");
            *masks[k] |= 1 << bit;
        }
    }
    uint32_t pid;
    if (ymap_get(y, m, "usb_pid") != NULL) {
        if (yget_u32(y, m, p, "usb_pid", &pid))
            return -1;
        if (pid > 0xFFFF)
            return yfail(y, ymap_get(y, m, "usb_pid"), p, "usb_pid must be 0x0000 to 0xFFFF");
        w->usb_pid = (int)pid;
    }
    return 0;
}

/* A list of rules: each `when` (optional) and `use` (strategies). */
static int load_rules(struct ydoc *y, yaml_node_t *list, const char *key, const struct named *nm,
                      const struct esptool_cfg *cfg, int rewrite, int max_steps, struct tool_rule *out, int *n_out)
{
    static const char *const keys[] = {"when", "use", NULL};
    *n_out = 0;
    if (yseq_require(y, list, key))
        return -1;
    YSEQ_FOREACH(y, list, item)
    {
        yaml_node_t *r = yaml_document_get_node(&y->doc, *item);
        char path[64];
        snprintf(path, sizeof path, "%s[%d]", key, *n_out);
        if (*n_out >= TOOL_MAX_RULES)
            return yfail(y, r, key, "at most %d rules", TOOL_MAX_RULES);
        struct tool_rule *rule = &out[(*n_out)++];
        yaml_node_t *use = ymap_get(y, r, "use");
        if (ymap_require(y, r, path) || ymap_only(y, r, path, keys) || load_when(y, r, path, &rule->when))
            return -1;
        if (use == NULL || use->type != YAML_SEQUENCE_NODE || use->data.sequence.items.top == use->data.sequence.items.start)
            return yfail(y, use ? use : r, path, "'use' must list at least one strategy");
        YSEQ_FOREACH(y, use, s)
        {
            if (rule->n_steps >= max_steps)
                return yfail(y, use, path, "at most %d strategies here", max_steps);
            yaml_node_t *v = yaml_document_get_node(&y->doc, *s);
            if (parse_ref(y, v, path, nm, cfg, rewrite, &rule->steps[rule->n_steps++]) != 0)
                return -1;
        }
    }
    return *n_out ? 0 : yfail(y, list, key, "no rules: list at least one");
}

static int load_sync(struct ydoc *y, yaml_node_t *connect, struct tool_sync *s)
{
    static const char *const keys[] = {"tries", "timeout_s", "replies", "reply_timeout_s", "pause_s", "junk", NULL};
    yaml_node_t *m = ymap_get(y, connect, "sync");
    double tries, replies;
    if (m == NULL)
        return yfail(y, connect, "connect", "missing key 'sync' (tries, timeout_s, replies, reply_timeout_s, pause_s)");
    if (ymap_require(y, m, "connect.sync") || ymap_only(y, m, "connect.sync", keys) ||
        yget_range(y, m, "connect.sync", "tries", 1, TOOL_MAX_SYNC_TRIES, &tries) ||
        yget_range(y, m, "connect.sync", "timeout_s", 0.001, 60, &s->timeout_s) ||
        yget_range(y, m, "connect.sync", "replies", 1, 8, &replies) ||
        yget_range(y, m, "connect.sync", "reply_timeout_s", 0.001, 60, &s->reply_timeout_s) ||
        yget_range(y, m, "connect.sync", "pause_s", 0, 60, &s->pause_s))
        return -1;
    if (tries != (int)tries || replies != (int)replies)
        return yfail(y, m, "connect.sync", "tries and replies are whole numbers");
    char junk[8] = "fail";
    if (ymap_get(y, m, "junk") && yget_string(y, m, "connect.sync", "junk", junk, sizeof junk))
        return -1;
    if (strcmp(junk, "fail") != 0 && strcmp(junk, "skip") != 0)
        return yfail(y, ymap_get(y, m, "junk"), "connect.sync", "junk is fail (esptool's \"Invalid head of packet\") "
                     "or skip (a SLIP decoder that waits for the next frame), got '%s'", junk);
    s->skip_junk = strcmp(junk, "skip") == 0;
    s->tries = (int)tries;
    s->replies = (int)replies;
    return 0;
}

/* esptool_cfg: the [esptool] section of a user's esptool.cfg, as data. */
static int load_cfg(struct ydoc *y, yaml_node_t *root, struct esptool_cfg *cfg, yaml_node_t **node)
{
    static const char *const keys[] = {"custom_reset_sequence", "reset_delay", "connect_attempts", "sync_timeout",
                                       NULL};
    *cfg = (struct esptool_cfg){.reset_delay = NAN};
    yaml_node_t *m = *node = ymap_get(y, root, "esptool_cfg");
    if (m == NULL)
        return 0;
    if (ymap_require(y, m, "esptool_cfg") || ymap_only(y, m, "esptool_cfg", keys) ||
        yopt_range(y, m, "esptool_cfg", "reset_delay", 0, 3600, &cfg->reset_delay))
        return -1;
    yaml_node_t *c = ymap_get(y, m, "custom_reset_sequence");
    if (c != NULL && (cfg->custom_reset_sequence = yscalar(c)) == NULL)
        return yfail(y, c, "esptool_cfg.custom_reset_sequence", "expected a sequence like \"D0|R1|W0.1|D1|R0|W0.05|D0\"");
    return 0;
}

/* connect.reconnect: a port that fails during a reset strategy is closed,
 * waited for and opened again, the strategy run again (esptool >= 4.8,
 * reset.py ResetStrategy.__call__). Absent: the tool stops at the error. */
static int load_reconnect(struct ydoc *y, yaml_node_t *connect, struct tool_reconnect *r)
{
    static const char *const keys[] = {"tries", "pause_s", NULL};
    yaml_node_t *m = ymap_get(y, connect, "reconnect");
    double tries = 0;
    if (m == NULL)
        return 0;
    if (ymap_require(y, m, "connect.reconnect") || ymap_only(y, m, "connect.reconnect", keys) ||
        yget_range(y, m, "connect.reconnect", "tries", 1, TOOL_MAX_RECONNECTS, &tries) ||
        yget_range(y, m, "connect.reconnect", "pause_s", 0, 60, &r->pause_s))
        return -1;
    if (tries != (int)tries)
        return yfail(y, ymap_get(y, m, "tries"), "connect.reconnect", "tries is a whole number");
    r->tries = (int)tries;
    return 0;
}

static int load_connect(struct ydoc *y, yaml_node_t *root, const struct named *nm, const struct esptool_cfg *cfg,
                        yaml_node_t *cfg_node, int rewrite, struct tool *t)
{
    static const char *const keys[] = {"attempts", "flush_before_reset", "boot_log", "sync", "cycle", "reconnect", NULL};
    yaml_node_t *m = ymap_get(y, root, "connect");
    double attempts;
    if (ymap_require(y, m, "connect") || ymap_only(y, m, "connect", keys) ||
        yget_range(y, m, "connect", "attempts", 0, 1e6, &attempts) ||
        yopt_bool(y, m, "connect", "flush_before_reset", &t->flush_before_reset) ||
        yopt_bool(y, m, "connect", "boot_log", &t->boot_log) || load_sync(y, m, &t->sync) ||
        load_reconnect(y, m, &t->reconnect))
        return -1;
    yaml_node_t *cfg_attempts = cfg_node ? ymap_get(y, cfg_node, "connect_attempts") : NULL;
    if (cfg_attempts && yget_range(y, cfg_node, "esptool_cfg", "connect_attempts", -1e6, 1e6, &attempts))
        return -1;
    if (attempts != (int)attempts)
        return yfail(y, cfg_attempts ? cfg_attempts : ymap_get(y, m, "attempts"), "connect",
                     "attempts is a whole number");
    /* esptool: attempts <= 0 means forever; a run has to end */
    t->attempts_capped = attempts <= 0 || attempts > TOOL_MAX_ATTEMPTS;
    t->attempts = t->attempts_capped ? TOOL_MAX_ATTEMPTS : (int)attempts;
    if (cfg_node && yopt_range(y, cfg_node, "esptool_cfg", "sync_timeout", 0.001, 60, &t->sync.timeout_s))
        return -1;
    yaml_node_t *cycle = ymap_get(y, m, "cycle");
    if (cycle == NULL)
        return yfail(y, m, "connect", "missing key 'cycle' (the rules that pick the reset strategies)");
    if (cfg->custom_reset_sequence == NULL)
        return load_rules(y, cycle, "connect.cycle", nm, cfg, rewrite, TOOL_MAX_STEPS, t->cycle, &t->n_cycle);
    /* custom_reset_sequence replaces every strategy (esptool's CustomReset,
     * whose R step does not re-write DTR) */
    t->n_cycle = 1;
    t->cycle[0].when = (struct tool_when){.usb_pid = -1};
    t->cycle[0].n_steps = 1;
    return make_step(y, ymap_get(y, cfg_node, "custom_reset_sequence"), "esptool_cfg.custom_reset_sequence",
                     "custom_reset_sequence", cfg->custom_reset_sequence, NAN, 0, &t->cycle[0].steps[0]);
}

int lab_tool_load(struct ydoc *y, yaml_node_t *root, int rewrite_dtr, struct tool **out)
{
    struct named nm;
    struct esptool_cfg cfg;
    yaml_node_t *cfg_node;
    struct tool *t = calloc(1, sizeof *t);
    *out = t;
    if (t == NULL)
        return yfail(y, root, "", "out of memory");
    t->work_s = 0;
    if (yget_string(y, root, "", "fail_message", t->fail_message, sizeof t->fail_message) ||
        yopt_range(y, root, "", "work_s", 0, 3600, &t->work_s) ||
        yopt_bool(y, root, "", "reads_esptool_cfg", &t->reads_esptool_cfg) || load_named(y, root, &nm) ||
        load_cfg(y, root, &cfg, &cfg_node) || load_connect(y, root, &nm, &cfg, cfg_node, rewrite_dtr, t))
        return -1;
    yaml_node_t *after = ymap_get(y, root, "after");
    return after ? load_rules(y, after, "after", &nm, &cfg, rewrite_dtr, 1, t->after, &t->n_after) : 0;
}
