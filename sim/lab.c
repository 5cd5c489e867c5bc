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
    for (int i = 0; i < lab->n_scenarios; i++)
        for (int os = 0; os < OS_COUNT; os++)
            op_seq_free(&lab->scenarios[i].seq[os]);
    free(lab->circuits);
    free(lab->chips);
    free(lab->bridges);
    free(lab->hosts);
    free(lab->boards);
    free(lab->scenarios);
    memset(lab, 0, sizeof *lab);
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

int scenario_applies(const struct scenario *s, const struct board_profile *b, const struct host_profile *h)
{
    if (!((s->os_mask >> h->os) & 1))
        return 0;
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
