/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lab as data (lab.h): names of the enums boards.yaml spells, lookups
 * of a board, host or scenario by name, and freeing a loaded lab.
 * May call: analyzers/ (types), libc. */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

const char *host_os_name(enum host_os os)
{
    return os == OS_WINDOWS ? "windows" : "linux";
}

const char *port_kind_name(enum port_kind k)
{
    return k == PORT_RFC2217 ? "rfc2217" : "local";
}

static int when_matches(const struct tool_when *w, enum host_os os, enum port_kind port, int usb_pid)
{
    return (w->os_mask == 0 || ((w->os_mask >> os) & 1)) && (w->port_mask == 0 || ((w->port_mask >> port) & 1)) &&
           (w->usb_pid < 0 || (port == PORT_LOCAL && w->usb_pid == usb_pid));
}

const struct tool_rule *tool_rule_for(const struct tool_rule *rules, int n, enum host_os os, enum port_kind port,
                                      int usb_pid)
{
    for (int i = 0; i < n; i++)
        if (when_matches(&rules[i].when, os, port, usb_pid))
            return &rules[i];
    return NULL;
}

static void tool_rules_free(struct tool_rule *rules, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < rules[i].n_steps; k++)
            op_seq_free(&rules[i].steps[k].seq);
}

void tool_free(struct tool *t)
{
    if (t == NULL)
        return;
    tool_rules_free(t->cycle, t->n_cycle);
    tool_rules_free(t->after, t->n_after);
    free(t);
}

double board_byte_ns(const struct board_profile *b)
{
    if (b->bridge->usb_bytes_per_s > 0)
        return 1e9 / b->bridge->usb_bytes_per_s;
    return 10.0 / b->chip->baud * 1e9; /* 8N1: ten bits a byte */
}

void op_seq_free(struct op_seq *s)
{
    free(s->ops);
    s->ops = NULL;
    s->n = 0;
}

static void chip_free(struct chip_profile *c)
{
    free(c->rom_header);
    free(c->rst_pin);
    free(c->rst_usb);
    free(c->boot_download);
    free(c->boot_flash);
    free(c->boot_no_image);
}

void lab_free(struct lab *lab)
{
    for (int i = 0; i < lab->n_chips; i++)
        chip_free(&lab->chips[i]);
    for (int i = 0; i < lab->n_bridges; i++)
        for (int os = 0; os < OS_COUNT; os++) {
            op_seq_free(&lab->bridges[i].os[os].open);
            op_seq_free(&lab->bridges[i].os[os].open_lowered);
            op_seq_free(&lab->bridges[i].os[os].close);
            op_seq_free(&lab->bridges[i].os[os].first_open);
            op_seq_free(&lab->bridges[i].os[os].first_open_lowered);
        }
    for (int i = 0; i < lab->n_net_bridges; i++) {
        struct net_bridge *nb = &lab->net_bridges[i];
        for (int k = 0; k < NET_CMD_COUNT; k++)
            op_seq_free(&nb->cmd[k].replay);
        op_seq_free(&nb->on_connect);
        op_seq_free(&nb->on_disconnect);
        op_seq_free(&nb->program_enter);
        op_seq_free(&nb->program_leave);
    }
    free(lab->net_bridges);
    free(lab->net_links);
    free(lab->net_clients);
    for (int i = 0; i < lab->n_scenarios; i++)
        scenario_free(&lab->scenarios[i]);
    free(lab->circuits);
    free(lab->chips);
    free(lab->bridges);
    free(lab->hosts);
    free(lab->boards);
    free(lab->scenarios);
    memset(lab, 0, sizeof *lab);
}

void scenario_free(struct scenario *s)
{
    for (int os = 0; os < OS_COUNT; os++)
        op_seq_free(&s->seq[os]);
    tool_free(s->tool);
    s->tool = NULL;
}

const struct board_profile *lab_board(const struct lab *lab, const char *name)
{
    for (int i = 0; i < lab->n_boards; i++)
        if (strcmp(lab->boards[i].name, name) == 0)
            return &lab->boards[i];
    return NULL;
}

const struct host_profile *lab_host(const struct lab *lab, const char *name)
{
    for (int i = 0; i < lab->n_hosts; i++)
        if (strcmp(lab->hosts[i].name, name) == 0)
            return &lab->hosts[i];
    return NULL;
}

const struct scenario *lab_scenario(const struct lab *lab, const char *name)
{
    for (int i = 0; i < lab->n_scenarios; i++)
        if (strcmp(lab->scenarios[i].name, name) == 0)
            return &lab->scenarios[i];
    return NULL;
}

static int has_both_lines_step(const struct scenario *s, enum host_os os)
{
    for (int i = 0; i < s->seq[os].n; i++)
        if (s->seq[os].ops[i].kind == OP_BOTH)
            return 1;
    return 0;
}

int scenario_applies(const struct scenario *s, const struct board_profile *b, const struct host_profile *h)
{
    if (!((s->os_mask >> h->os) & 1))
        return 0;
    if (s->port_mask != 0 && !((s->port_mask >> h->port) & 1))
        return 0;
    if (h->port == PORT_RFC2217 && has_both_lines_step(s, h->os))
        return 0; /* pyserial's RFC 2217 client has no TIOCMSET: esptool's U fails there (io.UnsupportedOperation) */
    if (s->tool != NULL && tool_rule_for(s->tool->cycle, s->tool->n_cycle, h->os, h->port, b->bridge->usb_pid) == NULL)
        return 0; /* the tool's file has no strategy for this OS and port */
    if (h->net.bridge != NULL && b->fault[0] != '\0')
        return 0; /* the fault boards stay on the USB hosts */
    if (h->net.only_circuit[0] != '\0' && strcmp(h->net.only_circuit, b->circuit->name) != 0)
        return 0; /* a network bridge wired to boards of one design (boards.yaml hosts: network.boards_with_circuit) */
    if (s->n_only_bridges == 0)
        return 1;
    for (int i = 0; i < s->n_only_bridges; i++)
        if (strcmp(s->only_bridges[i], b->bridge->name) == 0)
            return 1;
    return 0;
}

struct board_model board_model_of(const struct board_profile *b)
{
    return (struct board_model){.circuit = b->circuit,
                                .en_r_ohms = b->en_r_ohms,
                                .en_c_farads = b->en_c_farads,
                                .vdd = b->vdd,
                                .en_c_tolerance = b->en_c_tolerance,
                                .io0_pullup_ohms = b->io0_pullup_ohms,
                                .io0_c_farads = b->io0_c_farads,
                                .chip = b->chip->timing,
                                .rom_status_len = b->chip->rom.status_len,
                                .settle_ms = b->analyzer.settle_ms,
                                .transient_max_ms = b->analyzer.transient_max_ms};
}

struct board_model board_model_on(const struct board_profile *b, const struct host_profile *h)
{
    struct board_model m = board_model_of(b);
    if (h != NULL && h->net.bridge != NULL && h->net.bridge->circuit != NULL)
        m.circuit = h->net.bridge->circuit; /* the bridge's own pins drive EN and IO0 */
    return m;
}
