/* SPDX-License-Identifier: GPL-3.0-or-later */
/* esptool-js's whole session on the virtual boards, as a user flashes with
 * it (tests/js/esptool_js_check.mjs, every step): connect and detect the chip
 * (test_esptool_js.c holds that part on its own), read the MAC and compare it
 * with the board's `mac:` in boards.yaml, upload esptool-js's flasher stub,
 * CHANGE_BAUDRATE to 460800, write 64 KiB of random bytes with writeFlash
 * (compressed: FLASH_DEFL_*), SPI_FLASH_MD5 through the stub against the MD5
 * of the bytes, READ_FLASH them back, and after("hard_reset"). On devkitc
 * over RFC 2217 with --reset-replay, and esp32c3-usb over RFC 2217; and
 * both on the local virtual port (serve --tty: node's serialport opens the
 * pty, the LD_PRELOAD library carries its lines and rates to the server;
 * esptool-js closes and reopens the port to change its rate, as Web Serial
 * must, and the chip keeps running its stub at the new rate). A
 * failure is the script's line, `esptool-js check: BOARD: STEP: WHY`. */
#include "esptool_js_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(esptool_js_flash, .init = make_dir, .fini = drop_dir, .timeout = 120);

/* Every step, at esptool's own default rate after the stub (460800). */
#define FLASH_ARGS "--until after --baud 460800 --size 65536"

static void flashes(const char *board, const char *serve_args)
{
    struct server sv;
    start_server(&sv, board, serve_args);
    char where[96], out[4096];
    if (sv.tty[0])
        snprintf(where, sizeof where, "--port %s", sv.tty);
    else
        snprintf(where, sizeof where, "--url %s", sv.url);
    esptool_js_passes(board, sv.tty[0] ? sv.tty_env : "", where, FLASH_ARGS, out, sizeof out);
    cr_assert(strstr(out, "\"baud\":460800") && strstr(out, "\"bytes\":65536") && strstr(out, "\"md5\":\"") &&
                  strstr(out, "\"mac\":\""),
              "%s", out);
    usleep(600 * 1000);
    stop_server(&sv);
}

Test(esptool_js_flash, devkitc_over_rfc2217_with_reset_replay)
{
    flashes("devkitc", "--reset-replay");
}

Test(esptool_js_flash, esp32c3_usb_over_rfc2217)
{
    flashes("esp32c3-usb", "");
}

Test(esptool_js_flash, devkitc_on_the_local_virtual_port)
{
    flashes("devkitc", "--tty");
}

Test(esptool_js_flash, esp32c3_usb_on_the_local_virtual_port)
{
    flashes("esp32c3-usb", "--tty");
}
