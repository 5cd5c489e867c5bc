/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What boards.yaml says of a chip's ROM loader (chips.<name>.rom) and of
 * what it reads of its board (boards.<name>.mac, .flash): docs/lab.md. */
#ifndef RESETLAB_LAB_LAB_ROM_H
#define RESETLAB_LAB_LAB_ROM_H

#include "lab_yaml.h"
#include "sim/rom.h"

/* The largest flash a board may declare: 16 MiB, the most the ESP32's
 * cache maps (ESP32 TRM, "External Memory"; esptool's --flash_size choices
 * for the ESP32 end at 16MB), and what serve allocates for it at most. */
#define LAB_FLASH_MAX_MB 16

int lab_rom_load_chip(struct ydoc *y, yaml_node_t *chip, const char *path, struct rom_chip *rom);
int lab_rom_load_board(struct ydoc *y, yaml_node_t *board, const char *path, struct rom_board *rom);

#endif
