/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A flash boot reads the board's flash (sim/world_physics.c
 * flash_boot_text; docs/physics.md#flash-boot): with the flash serve keeps
 * attached, the ROM prints boards.yaml's boot_flash only when an image's
 * first byte (0xE9) is at the chip's image_offset (ESP32 0x1000, ESP32-C3
 * 0x0), else boot_no_image with the word it read; without a flash (the
 * matrix) the banner is boot_flash as before. A boot's banner is read once:
 * writing the flash later in the epoch does not rewrite what was sent. And
 * the two keys' bad input in boards.yaml. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/flash.h"
#include "sim/world.h"
#include "config_fixture.h"
#include "helpers.h"

TestSuite(flash_boot, .init = suite_lab_setup, .fini = suite_lab_teardown);

static struct host_profile one_ms_host(void)
{
    struct host_profile h = {.os = OS_LINUX, .request = {.floor_ms = 1, .median_ms = 1}};
    snprintf(h.name, sizeof h.name, "fixed-1ms");
    return h;
}

/* A reset with the strap released: the transistor board's EN low (RTS),
 * then both lines off; the USB-Serial/JTAG board's flag cleared, reset,
 * released. Returns what the chip printed, as a string. */
static const char *flash_boot(struct sim_world *w, int usb, char *out, size_t cap)
{
    if (usb) {
        cr_assert_eq(sim_set_lines(w, 0, 0), 0);
        cr_assert_eq(sim_sleep(w, 0.01), 0);
    }
    cr_assert_eq(sim_set_lines(w, 0, 1), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    cr_assert_eq(sim_set_lines(w, 0, 0), 0);
    cr_assert_eq(sim_sleep(w, 0.2), 0);
    size_t n = sim_read(w, (uint8_t *)out, cap - 1, 0, NULL, NULL);
    out[n] = '\0';
    return out;
}

static void start(struct sim_world *w, const struct host_profile *h, const char *board, struct sim_flash *f)
{
    sim_world_reset(w, lab_board(&suite_lab, board), h, 1);
    sim_attach_flash(w, f);
    cr_assert_eq(sim_open(w, 0), 0);
}

Test(flash_boot, without_a_flash_the_banner_is_boot_flash)
{
    struct host_profile h = one_ms_host();
    char text[2048];
    start(suite_world, &h, "devkitc", NULL);
    cr_assert_not_null(strstr(flash_boot(suite_world, 0, text, sizeof text), "SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0"),
                       "got: %s", text);
    cr_assert_null(strstr(text, "flash read err"));
}

Test(flash_boot, esp32_erased_flash_has_no_image_at_0x1000)
{
    struct host_profile h = one_ms_host();
    struct sim_flash *f = sim_flash_new(4u << 20);
    char text[2048];
    start(suite_world, &h, "devkitc", f);
    flash_boot(suite_world, 0, text, sizeof text);
    cr_assert_not_null(strstr(text, "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nflash read err, 1000\r\n"
                                    "ets_main.c 371 \r\n"),
                       "got: %s", text);
    cr_assert_null(strstr(text, "configsip"));

    /* An image's first byte at 0x0 is not where the ESP32 looks. */
    const uint8_t magic = 0xE9;
    cr_assert_eq(sim_flash_write(f, 0x0, &magic, 1), 0);
    sim_continue(suite_world);
    cr_assert_not_null(strstr(flash_boot(suite_world, 0, text, sizeof text), "flash read err, 1000"), "got: %s", text);

    cr_assert_eq(sim_flash_write(f, 0x1000, &magic, 1), 0);
    sim_continue(suite_world);
    flash_boot(suite_world, 0, text, sizeof text);
    cr_assert_not_null(strstr(text, "SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0, SPIWP:0xee\r\n"), "got: %s", text);
    cr_assert_null(strstr(text, "flash read err"));
    sim_attach_flash(suite_world, NULL);
    sim_flash_free(f);
}

Test(flash_boot, esp32c3_prints_the_word_it_read_at_0x0)
{
    struct host_profile h = one_ms_host();
    struct sim_flash *f = sim_flash_new(4u << 20);
    char text[2048];
    start(suite_world, &h, "esp32c3-usb", f);
    flash_boot(suite_world, 1, text, sizeof text);
    cr_assert_not_null(strstr(text, "boot:0xc (SPI_FAST_FLASH_BOOT)\r\ninvalid header: 0xffffffff\r\n"), "got: %s",
                       text);

    const uint8_t word[4] = {0x12, 0x34, 0x56, 0x78}; /* NOR programming only clears bits of 0xFF */
    cr_assert_eq(sim_flash_write(f, 0x0, word, 4), 0);
    sim_continue(suite_world);
    cr_assert_not_null(strstr(flash_boot(suite_world, 1, text, sizeof text), "invalid header: 0x78563412\r\n"),
                       "got: %s", text);

    const uint8_t image[4] = {0xE9, 0x03, 0x02, 0x20};
    cr_assert_eq(sim_flash_erase(f, 0, 0x1000), 0);
    cr_assert_eq(sim_flash_write(f, 0x0, image, 4), 0);
    sim_continue(suite_world);
    flash_boot(suite_world, 1, text, sizeof text);
    cr_assert_not_null(strstr(text, "boot:0xc (SPI_FAST_FLASH_BOOT)\r\nSPIWP:0xee\r\n"), "got: %s", text);
    cr_assert_null(strstr(text, "invalid header"));
    sim_attach_flash(suite_world, NULL);
    sim_flash_free(f);
}

/* The epoch is re-simulated after each line change: the first boot's banner
 * stays what the chip printed then, the next boot sees the new image. */
Test(flash_boot, a_sent_banner_does_not_change_when_the_flash_is_written)
{
    struct host_profile h = one_ms_host();
    struct sim_flash *f = sim_flash_new(4u << 20);
    char text[4096];
    start(suite_world, &h, "devkitc", f);
    flash_boot(suite_world, 0, text, sizeof text);
    const uint8_t magic = 0xE9;
    cr_assert_eq(sim_flash_write(f, 0x1000, &magic, 1), 0);
    flash_boot(suite_world, 0, text, sizeof text); /* same epoch */

    static struct trace tr;
    uint8_t uart[8192];
    size_t len = 0;
    sim_finish(suite_world, &tr, uart, sizeof uart - 1, &len, NULL);
    uart[len] = '\0';
    const char *first = strstr((char *)uart, "flash read err, 1000");
    cr_assert_not_null(first, "the first boot's banner changed: %s", uart);
    cr_assert_null(strstr(first + 1, "flash read err"), "one boot without an image, not two: %s", uart);
    cr_assert_not_null(strstr(first, "configsip: 0"), "the second boot found the image: %s", uart);
    sim_attach_flash(suite_world, NULL);
    sim_flash_free(f);
}

Test(flash_boot, image_offset_without_boot_no_image_is_refused)
{
    check_edit("    baud: 115200\n", "    baud: 115200\n    image_offset: 0x1000\n", 3, "chips.c1",
               "image_offset and boot_no_image go together");
}

Test(flash_boot, a_second_placeholder_is_refused)
{
    check_edit("    baud: 115200\n",
               "    baud: 115200\n    image_offset: 0\n    boot_no_image: \"invalid {header} {header}\"\n", 12,
               "chips.c1.boot_no_image", "'{header}' once and no other brace");
}

Test(flash_boot, another_brace_is_refused)
{
    check_edit("    baud: 115200\n", "    baud: 115200\n    image_offset: 0\n    boot_no_image: \"invalid {word}\"\n", 12,
               "chips.c1.boot_no_image", "no other brace");
}

Test(flash_boot, an_offset_out_of_range_is_refused)
{
    check_edit("    baud: 115200\n", "    baud: 115200\n    image_offset: -1\n    boot_no_image: \"x\"\n", 11,
               "chips.c1.image_offset", "");
}
