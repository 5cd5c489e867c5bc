/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boards.yaml's network bridges → struct lab (lab_net.h; docs/bridges.md):
 * links (latency one way), clients (how a tool's library waits), bridges
 * (what each SET-CONTROL does, answers, replays, sniff rules, UART
 * batching) and a host's `network:` that puts them together. Every error
 * is one line naming file:line and the key path; no number lives here.
 * May call: lab_yaml.c, lab_dsl.c, lab_boards.c (its section walker and latency), sim/ (the lab's types), libc. */
#include "lab_net.h"

#include <stdio.h>
#include <string.h>

#include "lab_dsl.h"
#include "lab_section.h"

/* A byte list [0x30, 0x20] of 1 to NET_SNIFF_BYTES bytes. */
static int load_bytes(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, uint8_t *out, int *n)
{
    yaml_node_t *seq = ymap_get(y, m, key);
    char p[256];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (seq == NULL || yseq_require(y, seq, p) != 0)
        return seq == NULL ? yfail(y, m, path, "missing key '%s'", key) : -1;
    *n = 0;
    YSEQ_FOREACH(y, seq, item)
    {
        yaml_node_t *v = yaml_document_get_node(&y->doc, *item);
        const char *s = yscalar(v);
        char *end = NULL;
        unsigned long b = s ? strtoul(s, &end, 0) : 256;
        if (s == NULL || *s == '\0' || *end != '\0' || b > 255)
            return yfail(y, v, p, "expected a byte (0 to 255, or 0x00 to 0xFF)");
        if (*n >= NET_SNIFF_BYTES)
            return yfail(y, v, p, "at most %d bytes", NET_SNIFF_BYTES);
        out[(*n)++] = (uint8_t)b;
    }
    return *n == 0 ? yfail(y, seq, p, "is empty") : 0;
}

/* A sequence the server plays on its own port: line changes and waits. */
static int load_play(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, struct op_seq *out)
{
    char text[256], err[160];
    if (ymap_get(y, m, key) == NULL)
        return 0;
    if (yget_string(y, m, path, key, text, sizeof text) != 0)
        return -1;
    if (dsl_parse(text, out, err, sizeof err) != 0)
        return yfail(y, ymap_get(y, m, key), path, "%s: %s", key, err);
    for (int i = 0; i < out->n; i++)
        if (out->ops[i].kind != OP_DTR && out->ops[i].kind != OP_RTS && out->ops[i].kind != OP_BOTH &&
            out->ops[i].kind != OP_WAIT)
            return yfail(y, ymap_get(y, m, key), path, "%s: a bridge plays line changes and waits only", key);
    return 0;
}

/* ------------------------------------------------------------- links -- */

static int load_link(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"one_way", NULL};
    struct net_link *l = &lab->net_links[lab->n_net_links - 1];
    snprintf(l->name, sizeof l->name, "%s", name);
    return ymap_only(y, m, path, keys) || lab_latency_load(y, m, path, "one_way", &l->one_way) ? -1 : 0;
}

/* ----------------------------------------------------------- clients -- */

static int load_client(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"default",          "has_lines",     "poll_ms",      "timeout_ms",
                                       "no_answer_sleep_ms", "open_round_trips", "open_settings", "open_control",
                                       "close_sleep_ms",   "pair_in_one_send", "hello",       NULL};
    struct net_client *c = &lab->net_clients[lab->n_net_clients - 1];
    double trips = 0;
    snprintf(c->name, sizeof c->name, "%s", name);
    if (ymap_only(y, m, path, keys) || yopt_bool(y, m, path, "default", &c->is_default) ||
        yget_bool(y, m, path, "has_lines", &c->has_lines) || yget_range(y, m, path, "poll_ms", 0, 10000, &c->poll_ms) ||
        yget_range(y, m, path, "timeout_ms", 1, 600000, &c->timeout_ms) ||
        yopt_range(y, m, path, "no_answer_sleep_ms", 0, 10000, &c->no_answer_sleep_ms) ||
        yopt_range(y, m, path, "open_round_trips", 0, 16, &trips) ||
        yopt_bool(y, m, path, "open_settings", &c->open_settings) ||
        yopt_bool(y, m, path, "open_control", &c->open_control) ||
        yopt_range(y, m, path, "close_sleep_ms", 0, 10000, &c->close_sleep_ms) ||
        yopt_bool(y, m, path, "pair_in_one_send", &c->pair_in_one_send) ||
        (ymap_get(y, m, "hello") != NULL && load_bytes(y, m, path, "hello", c->hello, &c->n_hello)))
        return -1;
    c->open_round_trips = (int)trips;
    for (int i = 0; i < lab->n_net_clients - 1; i++)
        if (c->is_default && lab->net_clients[i].is_default)
            return yfail(y, ymap_get(y, m, "default"), path, "a second default client (%s is one)",
                         lab->net_clients[i].name);
    return 0;
}

/* ----------------------------------------------------------- bridges -- */

static int load_command(struct ydoc *y, yaml_node_t *sc, const char *path, const char *key, int level,
                        struct net_command *c)
{
    static const char *const keys[] = {"line", "replay", "unless_armed", "arms", "disarms", "answers", NULL};
    yaml_node_t *m = ymap_get(y, sc, key);
    char p[320], line[8] = "";
    snprintf(p, sizeof p, "%s.%s", path, key);
    c->drives = -1;
    c->level = level;
    if (m == NULL)
        return yfail(y, sc, path, "missing key '%s'", key);
    if (ymap_require(y, m, p) || ymap_only(y, m, p, keys) ||
        (ymap_get(y, m, "line") != NULL && yget_string(y, m, p, "line", line, sizeof line)) ||
        load_play(y, m, p, "replay", &c->replay) || yopt_bool(y, m, p, "unless_armed", &c->unless_armed) ||
        yopt_bool(y, m, p, "arms", &c->arms) || yopt_bool(y, m, p, "disarms", &c->disarms) ||
        yget_bool(y, m, p, "answers", &c->answers))
        return -1;
    if (line[0] != '\0' && strcmp(line, "dtr") != 0 && strcmp(line, "rts") != 0)
        return yfail(y, ymap_get(y, m, "line"), p, "line must be dtr or rts, got '%s'", line);
    if (line[0] != '\0' && c->replay.n > 0)
        return yfail(y, m, p, "a command sets a line or plays a replay, not both");
    if (line[0] != '\0')
        c->drives = strcmp(line, "rts") == 0;
    return 0;
}

static int load_sniff(struct ydoc *y, yaml_node_t *m, const char *path, struct net_bridge *b)
{
    static const char *const keys[] = {"exact", "prefix", "mode", NULL};
    static const char *const modes[] = {"rfc2217", "transparent", "telnet", "program", NULL};
    yaml_node_t *seq = ymap_get(y, m, "sniff");
    char p[256];
    snprintf(p, sizeof p, "%s.sniff", path);
    if (seq == NULL)
        return 0;
    if (yseq_require(y, seq, p) != 0)
        return -1;
    YSEQ_FOREACH(y, seq, item)
    {
        yaml_node_t *r = yaml_document_get_node(&y->doc, *item);
        char mode[16];
        if (b->n_sniff >= NET_MAX_SNIFF)
            return yfail(y, r, p, "at most %d rules", NET_MAX_SNIFF);
        struct net_sniff *s = &b->sniff[b->n_sniff++];
        if (ymap_require(y, r, p) || ymap_only(y, r, p, keys) || yget_string(y, r, p, "mode", mode, sizeof mode))
            return -1;
        s->prefix = ymap_get(y, r, "prefix") != NULL;
        if (s->prefix == (ymap_get(y, r, "exact") != NULL))
            return yfail(y, r, p, "a rule has exact: or prefix:, one of them");
        if (load_bytes(y, r, p, s->prefix ? "prefix" : "exact", s->bytes, &s->n) != 0)
            return -1;
        int k = 0;
        while (modes[k] && strcmp(modes[k], mode) != 0)
            k++;
        if (modes[k] == NULL)
            return yfail(y, ymap_get(y, r, "mode"), p, "mode must be rfc2217, transparent, telnet or program, got '%s'",
                         mode);
        s->mode = (enum net_mode)k;
    }
    return 0;
}

static int load_net_bridge(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"answers_settings", "answers_other_control", "requests_per_line",
                                       "requests_per_answer", "set_control", "on_connect", "on_disconnect",
                                       "program_enter", "program_leave", "sniff", "circuit", "uart_batch",
                                       "max_clients", "refuse_text", NULL};
    static const char *const cmds[NET_CMD_COUNT] = {"dtr_on", "dtr_off", "rts_on", "rts_off"};
    static const char *const sc_keys[] = {"dtr_on", "dtr_off", "rts_on", "rts_off", NULL};
    static const char *const batch_keys[] = {"fifo_full", "timeout_chars", NULL};
    struct net_bridge *b = &lab->net_bridges[lab->n_net_bridges - 1];
    double per_line = 0, per_answer = 0, fifo = 0, clients = 1;
    char p[256];
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(p, sizeof p, "%s.set_control", path);
    yaml_node_t *sc = ymap_get(y, m, "set_control");
    if (ymap_only(y, m, path, keys) || yget_bool(y, m, path, "answers_settings", &b->answers_settings) ||
        yget_bool(y, m, path, "answers_other_control", &b->answers_other_control) ||
        yget_range(y, m, path, "requests_per_line", 0, 8, &per_line) ||
        yopt_range(y, m, path, "requests_per_answer", 0, 8, &per_answer) ||
        yopt_range(y, m, path, "max_clients", 1, NET_MAX_CLIENTS, &clients))
        return -1;
    if (clients != (int)clients)
        return yfail(y, ymap_get(y, m, "max_clients"), path, "max_clients must be a whole number, got %g", clients);
    b->max_clients = (int)clients;
    if (ymap_get(y, m, "refuse_text") != NULL &&
        yget_string(y, m, path, "refuse_text", b->refuse_text, sizeof b->refuse_text) != 0)
        return -1;
    if (sc == NULL)
        return yfail(y, m, path, "missing key 'set_control'");
    if (ymap_require(y, sc, p) || ymap_only(y, sc, p, sc_keys))
        return -1;
    for (int k = 0; k < NET_CMD_COUNT; k++)
        if (load_command(y, sc, p, cmds[k], k == NET_DTR_ON || k == NET_RTS_ON, &b->cmd[k]) != 0)
            return -1;
    if (load_play(y, m, path, "on_connect", &b->on_connect) || load_play(y, m, path, "on_disconnect", &b->on_disconnect) ||
        load_play(y, m, path, "program_enter", &b->program_enter) ||
        load_play(y, m, path, "program_leave", &b->program_leave) || load_sniff(y, m, path, b))
        return -1;
    b->requests_per_line = (int)per_line;
    b->requests_per_answer = (int)per_answer;
    if (ymap_get(y, m, "circuit") != NULL) {
        char circ[48];
        if (yget_string(y, m, path, "circuit", circ, sizeof circ) != 0)
            return -1;
        for (int i = 0; i < lab->n_circuits && b->circuit == NULL; i++)
            if (strcmp(lab->circuits[i].name, circ) == 0)
                b->circuit = &lab->circuits[i];
        if (b->circuit == NULL)
            return yfail(y, ymap_get(y, m, "circuit"), path, "unknown circuit '%s'", circ);
    }
    yaml_node_t *bm = ymap_get(y, m, "uart_batch");
    if (bm != NULL) {
        snprintf(p, sizeof p, "%s.uart_batch", path);
        if (ymap_require(y, bm, p) || ymap_only(y, bm, p, batch_keys) || yget_range(y, bm, p, "fifo_full", 1, 4096, &fifo) ||
            yget_range(y, bm, p, "timeout_chars", 0, 1000, &b->uart_timeout_chars))
            return -1;
        b->uart_fifo_full = (int)fifo;
    }
    return 0;
}

int lab_net_load(struct ydoc *y, struct lab *lab)
{
#define OPT_SECTION(name, arr, cnt, fn)                                                                          \
    (ymap_get(y, ydoc_root(y), name) != NULL &&                                                                  \
     lab_section_load(y, lab, name, (void **)&lab->arr, &lab->cnt, sizeof *lab->arr, fn) != 0)
    if (OPT_SECTION("net_links", net_links, n_net_links, load_link) ||
        OPT_SECTION("net_clients", net_clients, n_net_clients, load_client) ||
        OPT_SECTION("net_bridges", net_bridges, n_net_bridges, load_net_bridge))
        return -1;
#undef OPT_SECTION
    return 0;
}

/* ------------------------------------------------------------- hosts -- */

static const void *named(const void *array, int count, size_t elem, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp((const char *)array + (size_t)i * elem, name) == 0) /* each profile starts with its name */
            return (const char *)array + (size_t)i * elem;
    return NULL;
}

int lab_net_host(struct ydoc *y, const struct lab *lab, yaml_node_t *host, const char *path, struct host_profile *h)
{
    static const char *const keys[] = {"bridge", "link", "client", "ign_set_control", "program_port",
                                       "boards_with_circuit", NULL};
    yaml_node_t *m = ymap_get(y, host, "network");
    char p[256], bridge[48], link[48], client[48] = "";
    if (m == NULL)
        return 0;
    snprintf(p, sizeof p, "%s.network", path);
    struct net_path *np = &h->net;
    if (ymap_require(y, m, p) || ymap_only(y, m, p, keys) || yget_string(y, m, p, "bridge", bridge, sizeof bridge) ||
        yget_string(y, m, p, "link", link, sizeof link) ||
        (ymap_get(y, m, "client") != NULL && yget_string(y, m, p, "client", client, sizeof client)) ||
        yopt_bool(y, m, p, "ign_set_control", &np->ign_set_control) ||
        yopt_bool(y, m, p, "program_port", &np->program_port) ||
        (ymap_get(y, m, "boards_with_circuit") != NULL &&
         yget_string(y, m, p, "boards_with_circuit", np->only_circuit, sizeof np->only_circuit)))
        return -1;
    if ((np->bridge = named(lab->net_bridges, lab->n_net_bridges, sizeof *lab->net_bridges, bridge)) == NULL)
        return yfail(y, ymap_get(y, m, "bridge"), p, "unknown net bridge '%s' (net_bridges:)", bridge);
    if ((np->link = named(lab->net_links, lab->n_net_links, sizeof *lab->net_links, link)) == NULL)
        return yfail(y, ymap_get(y, m, "link"), p, "unknown net link '%s' (net_links:)", link);
    if (client[0] != '\0' &&
        (np->client = named(lab->net_clients, lab->n_net_clients, sizeof *lab->net_clients, client)) == NULL)
        return yfail(y, ymap_get(y, m, "client"), p, "unknown net client '%s' (net_clients:)", client);
    for (int i = 0; i < lab->n_net_clients; i++)
        if (lab->net_clients[i].is_default)
            np->default_client = &lab->net_clients[i];
    if (np->client == NULL && np->default_client == NULL)
        return yfail(y, m, p, "no client: name one, or mark one of net_clients: default: true");
    if (np->only_circuit[0] != '\0' &&
        named(lab->circuits, lab->n_circuits, sizeof *lab->circuits, np->only_circuit) == NULL)
        return yfail(y, ymap_get(y, m, "boards_with_circuit"), p, "unknown circuit '%s'", np->only_circuit);
    return 0;
}
