/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boards.yaml's chips: section (the chip library, docs/chips.md) and what a
 * board needs of its chip: refused at load, one line naming what is missing. */
#ifndef RESETLAB_LAB_LAB_CHIPS_H
#define RESETLAB_LAB_LAB_CHIPS_H

#include "lab_yaml.h"
#include "sim/lab.h"

/* The fewest analyzer samples a UART bit may have for the ROM banner to be
 * read: the decoder reads each bit at its middle, found from the start
 * bit's edge; under 4 samples a bit one sample of edge jitter moves that
 * middle by more than a quarter bit (docs/chips.md#refusals). */
#define LAB_UART_MIN_SAMPLES_PER_BIT 4

/* The longest strap_sample_delay_ms a chip may give: how long after its
 * reset pin crosses VIH it latches its straps. Every chip known latches
 * within about a millisecond (docs/chips.md#esp8266); 100 ms is a typo,
 * not a chip. */
#define LAB_STRAP_SAMPLE_DELAY_MAX_MS 100.0

/* chips.<name> → lab->chips[lab->n_chips - 1]; the section loader's entry. */
int lab_chip_load(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path);

/* boards.<name>.straps, then what the board needs of its chip: USB-Serial/JTAG
 * for a native-USB circuit or bridge, every strap the chip leaves to the
 * board, straps at levels that boot download or flash, an analyzer fast
 * enough for the chip's ROM baud. */
int lab_chip_check_board(struct ydoc *y, struct board_profile *b, yaml_node_t *m, const char *path);

#endif
