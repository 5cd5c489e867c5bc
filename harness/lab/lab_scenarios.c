/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scenarios/ (one YAML file each) → struct scenario. A scenario opens the port before it
 * touches a line and never touches one after closing it; its name is
 * checked as every name from a file is (lab_name.c).
 * May call: lab_yaml.c, lab_dsl.c, lab_name.c, libc. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_load.h"
#include "lab_dsl.h"
#include "lab_tools.h"
#include "lab_yaml.h"

/* Line ops need an open port; a port is opened once and closed once. */
static int check_port_use(struct ydoc *y, yaml_node_t *at, const char *path, const struct op_seq *seq)
{
    int open = 0;
    if (seq->n == 0)
        return yfail(y, at, path, "the sequence is empty");
    for (int i = 0; i < seq->n; i++) {
        const struct op *op = &seq->ops[i];
        int opening = op->kind == OP_OPEN || op->kind == OP_OPEN_LOWERED;
        int closing = op->kind == OP_CLOSE || op->kind == OP_CLOSE_RTS_DTR;
        if (opening && open)
            return yfail(y, at, path, "column %d: the port is already open", op->pos);
        if ((closing || op->kind <= OP_BOTH || op->kind == OP_SYNC) && !open)
            return yfail(y, at, path, "column %d: the port is not open here (start with O or O0)", op->pos);
        open = opening ? 1 : closing ? 0 : open;
    }
    return 0;
}

static int parse_sequence(struct ydoc *y, yaml_node_t *n, const char *path, struct op_seq *out)
{
    char err[160];
    const char *text = yscalar(n);
    if (text == NULL)
        return yfail(y, n, path, "expected a sequence string like \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"");
    if (dsl_parse(text, out, err, sizeof err) != 0)
        return yfail(y, n, path, "%s", err);
    return check_port_use(y, n, path, out);
}

/* A tool's `sequence` is how it opens the port: it must leave it open. */
static int check_tool_open(struct ydoc *y, yaml_node_t *at, const struct scenario *s)
{
    for (int os = 0; os < OS_COUNT; os++) {
        const struct op_seq *q = &s->seq[os];
        for (int i = 0; i < q->n; i++)
            if (q->ops[i].kind == OP_CLOSE || q->ops[i].kind == OP_CLOSE_RTS_DTR || q->ops[i].kind == OP_SYNC)
                return yfail(y, at, "sequence", "column %d: a tool's sequence only opens the port (its connect loop "
                             "and after steps do the rest)", q->ops[i].pos);
    }
    return 0;
}

/* `sequence` is one string for every OS, or a mapping with linux/windows.
 * A tool without one opens the port as the OS does by default ("O"). */
static int load_sequences(struct ydoc *y, yaml_node_t *m, struct scenario *s)
{
    yaml_node_t *n = ymap_get(y, m, "sequence");
    if (n == NULL && ymap_get(y, m, "connect") != NULL) {
        char err[160];
        return dsl_parse("O", &s->seq[OS_LINUX], err, sizeof err) || dsl_parse("O", &s->seq[OS_WINDOWS], err, sizeof err);
    }
    if (n == NULL)
        return yfail(y, m, "", "missing key 'sequence'");
    if (n->type != YAML_MAPPING_NODE) {
        if (parse_sequence(y, n, "sequence", &s->seq[OS_LINUX]) != 0)
            return -1;
        char err[160];
        /* the same text parses the same way: copy by parsing again */
        return dsl_parse(yscalar(n), &s->seq[OS_WINDOWS], err, sizeof err) == 0 ? 0 : yfail(y, n, "sequence", "%s", err);
    }
    static const char *const keys[] = {"linux", "windows", NULL};
    if (ymap_only(y, n, "sequence", keys))
        return -1;
    for (int os = 0; os < OS_COUNT; os++) {
        yaml_node_t *v = ymap_get(y, n, host_os_name((enum host_os)os));
        char path[48];
        snprintf(path, sizeof path, "sequence.%s", host_os_name((enum host_os)os));
        if (v != NULL && parse_sequence(y, v, path, &s->seq[os]) != 0)
            return -1;
    }
    return 0;
}

/* Optional list of OS names; without it the scenario runs on every OS that
 * has a sequence. */
static int load_os_list(struct ydoc *y, yaml_node_t *m, struct scenario *s)
{
    for (int os = 0; os < OS_COUNT; os++)
        if (s->seq[os].n > 0)
            s->os_mask |= 1 << os;
    yaml_node_t *n = ymap_get(y, m, "os");
    if (n == NULL)
        return s->os_mask ? 0 : yfail(y, ymap_get(y, m, "sequence"), "sequence", "no sequence for linux or windows");
    if (yseq_require(y, n, "os") != 0)
        return -1;
    int mask = 0;
    YSEQ_FOREACH(y, n, item)
    {
        yaml_node_t *v = yaml_document_get_node(&y->doc, *item);
        const char *name = yscalar(v);
        if (name && strcmp(name, "linux") == 0)
            mask |= 1 << OS_LINUX;
        else if (name && strcmp(name, "windows") == 0)
            mask |= 1 << OS_WINDOWS;
        else
            return yfail(y, v, "os", "expected linux or windows, got '%s'", name ? name : "?");
    }
    s->os_mask &= mask;
    if (s->os_mask == 0)
        return yfail(y, n, "os", "the scenario has no sequence for any OS listed here");
    return 0;
}

/* Optional list of port kinds the tool can open (picocom: local only). */
static int load_ports(struct ydoc *y, yaml_node_t *m, struct scenario *s)
{
    yaml_node_t *n = ymap_get(y, m, "ports");
    if (n == NULL)
        return 0;
    if (yseq_require(y, n, "ports") != 0)
        return -1;
    YSEQ_FOREACH(y, n, item)
    {
        yaml_node_t *v = yaml_document_get_node(&y->doc, *item);
        const char *name = yscalar(v);
        if (name && strcmp(name, "local") == 0)
            s->port_mask |= 1 << PORT_LOCAL;
        else if (name && strcmp(name, "rfc2217") == 0)
            s->port_mask |= 1 << PORT_RFC2217;
        else
            return yfail(y, v, "ports", "expected local or rfc2217, got '%s'", name ? name : "?");
    }
    return s->port_mask ? 0 : yfail(y, n, "ports", "list at least one port kind");
}

static int load_bridges(struct ydoc *y, yaml_node_t *m, struct scenario *s)
{
    yaml_node_t *n = ymap_get(y, m, "bridges");
    if (n == NULL)
        return 0;
    if (yseq_require(y, n, "bridges") != 0)
        return -1;
    YSEQ_FOREACH(y, n, item)
    {
        yaml_node_t *v = yaml_document_get_node(&y->doc, *item);
        const char *name = yscalar(v);
        if (name == NULL || strlen(name) >= sizeof s->only_bridges[0])
            return yfail(y, v, "bridges", "expected a bridge name");
        if (s->n_only_bridges >= 4)
            return yfail(y, v, "bridges", "at most 4 bridges");
        snprintf(s->only_bridges[s->n_only_bridges++], sizeof s->only_bridges[0], "%s", name);
    }
    return 0;
}

/* A tool's connect loop (`connect:`), or the keys that only a tool has,
 * refused without it. */
static int load_tool(struct ydoc *y, yaml_node_t *m, struct scenario *s)
{
    static const char *const tool_keys[] = {"strategies", "after", "work_s", "esptool_cfg", "fail_message",
                                            "reads_esptool_cfg", NULL};
    if (ymap_get(y, m, "connect") == NULL) {
        for (int i = 0; tool_keys[i]; i++)
            if (ymap_get(y, m, tool_keys[i]) != NULL)
                return yfail(y, ymap_get(y, m, tool_keys[i]), tool_keys[i],
                             "only a tool has this key: add its 'connect' loop");
        return 0;
    }
    if (s->expected != BOOT_DOWNLOAD)
        return yfail(y, ymap_get(y, m, "expect"), "expect", "a tool's connect loop expects download");
    if (s->product[0] == '\0')
        return yfail(y, m, "", "a connect loop needs 'tool' (the tool and versions it describes)");
    return check_tool_open(y, ymap_get(y, m, "sequence") ? ymap_get(y, m, "sequence") : m, s) ||
           lab_tool_load(y, m, s->rewrite_dtr_after_rts, &s->tool);
}

int scenario_load_file(struct scenario *s, const char *file, char *err, size_t err_len)
{
    static const char *const keys[] = {"name",  "origin",   "expect",     "sequence", "dtr_rewrite_after_rts",
                                       "os",    "bridges",  "after_power_on", "tool", "used_by",
                                       "strategies", "connect", "after", "work_s", "esptool_cfg", "fail_message", "ports",
                                       "reads_esptool_cfg", "rfc2217_client", NULL};
    struct ydoc y;
    memset(s, 0, sizeof *s);
    snprintf(s->file, sizeof s->file, "%s", file);
    if (ydoc_load(&y, file, err, err_len) != 0)
        return -1;
    yaml_node_t *m = ydoc_root(&y);
    char expect[16];
    int rc = -1;
    if (ymap_require(&y, m, "") || ymap_only(&y, m, "", keys) || yget_string(&y, m, "", "name", s->name, sizeof s->name) ||
        yget_string(&y, m, "", "origin", s->origin, sizeof s->origin) ||
        yget_string(&y, m, "", "expect", expect, sizeof expect))
        goto out;
    char why[160];
    if (lab_name_check(s->name, LAB_SCENARIO_NAME_MAX, why, sizeof why) != 0) {
        yfail(&y, ymap_get(&y, m, "name"), "name", "%s", why);
        goto out;
    }
    int mode = boot_mode_parse(expect);
    if (mode < 0 || mode == BOOT_MARGINAL) {
        yfail(&y, ymap_get(&y, m, "expect"), "expect", "must be download, flash or no-reset, got '%s'", expect);
        goto out;
    }
    s->expected = (enum boot_mode)mode;
    if ((ymap_get(&y, m, "tool") && yget_string(&y, m, "", "tool", s->product, sizeof s->product)) ||
        (ymap_get(&y, m, "used_by") && yget_string(&y, m, "", "used_by", s->used_by, sizeof s->used_by)) ||
        (ymap_get(&y, m, "rfc2217_client") &&
         yget_string(&y, m, "", "rfc2217_client", s->rfc2217_client, sizeof s->rfc2217_client)) ||
        yopt_bool(&y, m, "", "dtr_rewrite_after_rts", &s->rewrite_dtr_after_rts) ||
        yopt_bool(&y, m, "", "after_power_on", &s->after_power_on) || load_sequences(&y, m, s) ||
        load_os_list(&y, m, s) || load_ports(&y, m, s) || load_bridges(&y, m, s) || load_tool(&y, m, s))
        goto out;
    rc = 0;
out:
    ydoc_free(&y);
    if (rc != 0)
        scenario_free(s);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int yaml_name(const char *n)
{
    size_t len = strlen(n);
    return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".yaml") == 0;
}

/* A scenario's rfc2217_client: names one of the lab's net_clients:. */
static int resolve_client(const struct lab *lab, struct scenario *s, const char *path, char *err, size_t err_len)
{
    if (s->rfc2217_client[0] == '\0')
        return 0;
    for (int i = 0; i < lab->n_net_clients; i++)
        if (strcmp(lab->net_clients[i].name, s->rfc2217_client) == 0)
            return s->net_client = &lab->net_clients[i], 0;
    snprintf(err, err_len, "%s: rfc2217_client: unknown client '%s' (boards.yaml net_clients:)", path, s->rfc2217_client);
    return -1;
}

int scenarios_load(struct lab *lab, const char *dir, char *err, size_t err_len)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, err_len, "%s: cannot open the scenarios folder", dir);
        return -1;
    }
    char *names[256];
    int n = 0, too_many = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (yaml_name(e->d_name) && !(too_many = n >= 256))
            names[n++] = strdup(e->d_name);
        else if (too_many)
            break;
    closedir(d);
    if (too_many) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        snprintf(err, err_len, "%s: more than 256 scenario files", dir);
        return -1;
    }
    qsort(names, (size_t)n, sizeof names[0], by_name);
    int rc = 0;
    lab->scenarios = calloc(n ? (size_t)n : 1, sizeof *lab->scenarios);
    lab->n_scenarios = 0;
    if (n == 0) {
        snprintf(err, err_len, "%s: no *.yaml scenario files", dir);
        rc = -1;
    }
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && scenario_load_file(&lab->scenarios[lab->n_scenarios], path, err, err_len) != 0)
            rc = -1;
        else if (rc == 0 && lab_scenario(lab, lab->scenarios[lab->n_scenarios].name) != NULL) {
            snprintf(err, err_len, "%s:1: name '%s' is already used by another scenario", path,
                     lab->scenarios[lab->n_scenarios].name);
            scenario_free(&lab->scenarios[lab->n_scenarios]);
            rc = -1;
        } else if (rc == 0 && resolve_client(lab, &lab->scenarios[lab->n_scenarios], path, err, err_len) != 0) {
            scenario_free(&lab->scenarios[lab->n_scenarios]);
            rc = -1;
        } else if (rc == 0)
            lab->n_scenarios++;
        free(names[i]);
    }
    return rc;
}
