/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TEMPORARY (rom branch, issue 20): the flasher stub's protocol after
 * esptool uploaded and started it, exactly the interface agreed with the
 * stub branch (iface20), which owns this file; its version replaces this
 * one when it lands.
 */
#ifndef RESETLAB_SIM_STUB_H
#define RESETLAB_SIM_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"
#include "rom.h"

struct stub_session;
struct stub_session *stub_new(void);
void stub_free(struct stub_session *s);
void stub_reset(struct stub_session *s); /* the chip was reset: stub gone, state cleared */
/* "OHAI" greeting frame the stub sends when it starts; returns bytes written (SLIP-encoded). */
size_t stub_hello(uint8_t *out, size_t cap);
/* One SLIP-decoded frame from the host: the SLIP-encoded replies to out;
 * replies that do not fit are handed out by stub_more(). *new_baud is set to
 * the rate a CHANGE_BAUDRATE asked for, else left as is. */
size_t stub_answer(struct stub_session *s, struct sim_flash *flash, const struct rom_chip *chip, const uint8_t *frame,
                   size_t n, uint8_t *out, size_t cap, uint32_t *new_baud);
size_t stub_more(struct stub_session *s, struct sim_flash *flash, uint8_t *out, size_t cap);

#endif
