/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sequence DSL: esptool's custom_reset_sequence ("D0|R1|W0.1|D1|R0|W0.05|D0",
 * U<dtr>,<rts> for both lines in one call) extended with port ops:
 *   O   open; the OS raises the lines as it does by default
 *   O0  open asking for DTR and RTS lowered (Windows honours it; Linux
 *       still raises both inside open(2))
 *   C   close as the host OS does
 *   C0  clear RTS, then DTR, then close (mpremote's fix, PR #18001)
 *   S   write esptool's SYNC request; the ROM answers it in download mode
 */
#ifndef RESETLAB_LAB_LAB_DSL_H
#define RESETLAB_LAB_LAB_DSL_H

#include <stddef.h>

#include "sim/lab.h"

/* Parses `text` into `out` (which the caller frees with op_seq_free).
 * Returns 0, or -1 with "column N: reason" in `err`. An empty text is an
 * empty sequence. */
int dsl_parse(const char *text, struct op_seq *out, char *err, size_t err_len);

/* Writes one op back in DSL form ("D1", "U1,0", "W0.05", "O0"). */
void dsl_format_op(const struct op *op, char *buf, size_t len);

/* The reset part of a scenario's sequence, as esptool's
 * custom_reset_sequence takes it: without the opening O/O0 and without the
 * S (and what follows it). "" when nothing is left. */
void dsl_format_reset(const struct op_seq *seq, char *buf, size_t len);

#endif
