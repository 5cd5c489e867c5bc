/* SPDX-License-Identifier: GPL-3.0-or-later */
/* chips.<name> → struct chip_profile, and the checks of a board against its
 * chip (docs/chips.md). A chip is taken only when the outcome parser reads
 * its download and flash banners as download and flash: a banner it cannot
 * read would make every run "no-reset", so it is refused here, naming the
 * key. Nothing here holds a chip's number: they are all boards.yaml's.
 * May call: lab_yaml.c, lab_rom.c, analyzers/ (the outcome parser), sim/ (the lab's types), libc. */
#include "lab_chips.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/analyze.h"
#include "lab_rom.h"

/* image_offset and boot_no_image come together, or neither; "{header}"
 * at most once, the only brace in the text. */
static int load_no_image(struct ydoc *y, yaml_node_t *m, const char *path, struct chip_profile *c)
{
    int has_offset = ymap_get(y, m, "image_offset") != NULL, has_text = ymap_get(y, m, "boot_no_image") != NULL;
    if (!has_offset && !has_text)
        return 0;
    if (has_offset != has_text)
        return yfail(y, m, path, "image_offset and boot_no_image go together (the flash boot without an image)");
    if (yget_u32(y, m, path, "image_offset", &c->image_offset) || !(c->boot_no_image = yget_strdup(y, m, path, "boot_no_image")))
        return -1;
    const char *h = strstr(c->boot_no_image, "{header}");
    size_t braces = 0;
    for (const char *s = c->boot_no_image; *s; s++)
        braces += *s == '{' || *s == '}';
    char key_path[320];
    snprintf(key_path, sizeof key_path, "%s.boot_no_image", path);
    if (braces != (h ? 2u : 0u) || (h && strstr(h + 1, "{header}")))
        return yfail(y, ymap_get(y, m, "boot_no_image"), key_path, "may hold '{header}' once and no other brace");
    return 0;
}

/* An optional pin name: 1 to 15 letters, digits or '_'. */
static int load_pin_name(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, char *out, size_t cap)
{
    if (ymap_get(y, m, key) == NULL)
        return 0;
    if (yget_string(y, m, path, key, out, cap) != 0)
        return -1;
    size_t n = strlen(out);
    if (n == 0 || n >= cap || strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return yfail(y, ymap_get(y, m, key), path, "%s '%s': 1 to %zu letters, digits or '_'", key, out, cap - 1);
    return 0;
}

/* usb: none, usb-serial-jtag, usb-otg, or a list of the last two. */
static int usb_kind(const char *s)
{
    return !s ? -1 : strcmp(s, "none") == 0 ? 0 : strcmp(s, "usb-serial-jtag") == 0 ? CHIP_USB_SERIAL_JTAG
           : strcmp(s, "usb-otg") == 0 ? CHIP_USB_OTG : -1;
}

static int load_usb(struct ydoc *y, yaml_node_t *m, const char *path, struct chip_profile *c)
{
    yaml_node_t *n = ymap_get(y, m, "usb");
    if (n == NULL)
        return 0;
    static const char why[] = "usb must be none, usb-serial-jtag, usb-otg or a list of the last two";
    if (n->type == YAML_SCALAR_NODE) {
        int k = usb_kind(yscalar(n));
        return k < 0 ? yfail(y, n, path, why) : (c->usb = k, 0);
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return yfail(y, n, path, why);
    YSEQ_FOREACH(y, n, it)
    {
        int k = usb_kind(yscalar(yaml_document_get_node(&y->doc, *it)));
        if (k <= 0)
            return yfail(y, n, path, why);
        c->usb |= k;
    }
    return 0;
}

/* `key`'s level in `row`: low or high, `any` too when allow_any; absent:
 * STRAP_ANY when optional. */
static int level_of(struct ydoc *y, yaml_node_t *row, const char *path, const char *key, int optional, int allow_any,
                    uint8_t *out)
{
    yaml_node_t *n = ymap_get(y, row, key);
    const char *s = yscalar(n);
    if (n == NULL && optional)
        return *out = STRAP_ANY, 0;
    if (s && strcmp(s, "low") == 0)
        return *out = STRAP_LOW, 0;
    if (s && strcmp(s, "high") == 0)
        return *out = STRAP_HIGH, 0;
    if (s && strcmp(s, "any") == 0 && allow_any)
        return *out = STRAP_ANY, 0;
    return yfail(y, n ? n : row, path, "%s must be low or high%s", key, allow_any ? " or any" : "");
}

/* straps: [{pin: GPIO15, download: low, flash: low, default: low}, ...] */
static int load_straps(struct ydoc *y, yaml_node_t *m, const char *path, struct chip_profile *c)
{
    static const char *const keys[] = {"pin", "download", "flash", "default", NULL};
    yaml_node_t *n = ymap_get(y, m, "straps");
    char p[200];
    snprintf(p, sizeof p, "%s.straps", path);
    if (n == NULL)
        return 0;
    if (yseq_require(y, n, p) != 0)
        return -1;
    YSEQ_FOREACH(y, n, it)
    {
        yaml_node_t *row = yaml_document_get_node(&y->doc, *it);
        if (c->n_straps >= CHIP_STRAPS_MAX)
            return yfail(y, row, p, "more than %d straps", CHIP_STRAPS_MAX);
        struct chip_strap *s = &c->straps[c->n_straps];
        if (ymap_require(y, row, p) || ymap_only(y, row, p, keys) || load_pin_name(y, row, p, "pin", s->pin, sizeof s->pin) ||
            level_of(y, row, p, "download", 0, 1, &s->download) || level_of(y, row, p, "flash", 0, 1, &s->flash) ||
            level_of(y, row, p, "default", 1, 0, &s->deflt))
            return -1;
        if (s->pin[0] == '\0')
            return yfail(y, row, p, "missing key 'pin'");
        c->n_straps++;
    }
    return 0;
}

/* The banner the simulator prints for `boot` (sim/world_physics.c:
 * header, reset cause, ',', boot text) must read as `want`. */
static int check_banner(struct ydoc *y, yaml_node_t *m, const char *path, const struct chip_profile *c,
                        const char *rst, const char *key, const char *boot, enum boot_mode want)
{
    size_t n = strlen(c->rom_header) + strlen(rst) + strlen(boot) + 2;
    char *text = malloc(n);
    if (text == NULL)
        return yfail(y, m, path, "out of memory");
    snprintf(text, n, "%s%s,%s", c->rom_header, rst, boot);
    enum boot_mode got = outcome_from_uart((const uint8_t *)text, strlen(text));
    free(text);
    char kp[200];
    snprintf(kp, sizeof kp, "%s.%s", path, key);
    if (n - 1 >= SIM_BANNER_MAX)
        return yfail(y, ymap_get(y, m, key), kp,
                     "the banner it makes is %zu bytes, over the %d the simulator prints (SIM_BANNER_MAX)", n - 1,
                     SIM_BANNER_MAX - 1);
    if (got == want)
        return 0;
    return yfail(y, ymap_get(y, m, key), kp,
                 "no banner model for it: the outcome parser reads it as %s, not %s (it knows 'boot:0x..' banners, "
                 "download with DOWNLOAD or 'waiting for download', and the ESP8266's 'boot mode:(1,..)' and '(3,..)')",
                 boot_mode_name(got), boot_mode_name(want));
}

static int check_banners(struct ydoc *y, yaml_node_t *m, const char *path, const struct chip_profile *c)
{
    if (check_banner(y, m, path, c, c->rst_pin, "boot_download", c->boot_download, BOOT_DOWNLOAD) ||
        check_banner(y, m, path, c, c->rst_pin, "boot_flash", c->boot_flash, BOOT_FLASH))
        return -1;
    if (c->rst_usb && (check_banner(y, m, path, c, c->rst_usb, "boot_download", c->boot_download, BOOT_DOWNLOAD) ||
                       check_banner(y, m, path, c, c->rst_usb, "boot_flash", c->boot_flash, BOOT_FLASH)))
        return -1;
    if (c->boot_no_image == NULL)
        return 0;
    /* the no-image banner with an erased flash's word, as the ROM prints it */
    size_t cap = strlen(c->boot_no_image) + sizeof "0xffffffff";
    char *erased = malloc(cap);
    if (erased == NULL)
        return yfail(y, m, path, "out of memory");
    const char *h = strstr(c->boot_no_image, "{header}");
    if (h)
        snprintf(erased, cap, "%.*s0xffffffff%s", (int)(h - c->boot_no_image), c->boot_no_image, h + 8);
    else
        snprintf(erased, cap, "%s", c->boot_no_image);
    int rc = check_banner(y, m, path, c, c->rst_pin, "boot_no_image", erased, BOOT_FLASH);
    free(erased);
    return rc;
}

int lab_chip_load(struct ydoc *y, struct lab *lab, const char *name, yaml_node_t *m, const char *path)
{
    static const char *const keys[] = {"en_vih_frac", "en_vil_v", "min_reset_pulse_us", "strap_setup_ms",
                                       "strap_hold_ms", "strap_sample_delay_ms", "io0_switch_frac", "boot_delay_ms", "baud", "rom", "rom_header",
                                       "rst_pin", "rst_usb", "boot_download", "boot_flash", "image_offset",
                                       "boot_no_image", "en_pin", "strap_pin", "usb", "straps", NULL};
    struct chip_profile *c = &lab->chips[lab->n_chips - 1];
    snprintf(c->name, sizeof c->name, "%s", name);
    double baud;
    if (ymap_only(y, m, path, keys) || yget_range(y, m, path, "en_vih_frac", 0.01, 0.99, &c->timing.vih_frac) ||
        yget_range(y, m, path, "en_vil_v", 0.0, 10.0, &c->en_vil_v) ||
        yget_range(y, m, path, "min_reset_pulse_us", 0.0, 1e6, &c->timing.min_reset_pulse_us) ||
        yget_range(y, m, path, "strap_setup_ms", 0.0, 1000.0, &c->timing.setup_ms) ||
        yget_range(y, m, path, "strap_hold_ms", 0.0, 1000.0, &c->timing.hold_ms) ||
        yopt_range(y, m, path, "strap_sample_delay_ms", 0.0, LAB_STRAP_SAMPLE_DELAY_MAX_MS,
                   &c->timing.sample_delay_ms) ||
        yget_range(y, m, path, "io0_switch_frac", 0.01, 0.99, &c->io0_switch_frac) ||
        yget_range(y, m, path, "boot_delay_ms", 0.0, 10000.0, &c->boot_delay_ms) ||
        yget_range(y, m, path, "baud", 300, 20e6, &baud) ||
        load_pin_name(y, m, path, "en_pin", c->timing.en_name, sizeof c->timing.en_name) ||
        load_pin_name(y, m, path, "strap_pin", c->timing.strap_name, sizeof c->timing.strap_name) ||
        load_usb(y, m, path, c) || load_straps(y, m, path, c))
        return -1;
    c->baud = (int)baud;
    if (c->timing.sample_delay_ms > c->boot_delay_ms)
        return yfail(y, ymap_get(y, m, "strap_sample_delay_ms"), path,
                     "strap_sample_delay_ms %g is after boot_delay_ms %g: the ROM reads its straps before it prints",
                     c->timing.sample_delay_ms, c->boot_delay_ms);
    if (lab_rom_load_chip(y, m, path, &c->rom) != 0)
        return -1;
    if (!(c->rom_header = yget_strdup(y, m, path, "rom_header")) || !(c->rst_pin = yget_strdup(y, m, path, "rst_pin")) ||
        (ymap_get(y, m, "rst_usb") && !(c->rst_usb = yget_strdup(y, m, path, "rst_usb"))) ||
        !(c->boot_download = yget_strdup(y, m, path, "boot_download")) ||
        !(c->boot_flash = yget_strdup(y, m, path, "boot_flash")))
        return -1;
    if ((c->usb & CHIP_USB_SERIAL_JTAG) && c->rst_usb == NULL)
        return yfail(y, m, path, "usb-serial-jtag needs rst_usb: the reset cause its ROM prints after a USB reset");
    return load_no_image(y, m, path, c) || check_banners(y, m, path, c);
}

/* ------------------------------------------------------- board × chip -- */

static const char *level_name(int l)
{
    return l == STRAP_LOW ? "low" : l == STRAP_HIGH ? "high" : "any";
}

/* boards.<name>.straps: {GPIO15: low, GPIO2: high}: only the chip's straps. */
static int load_board_straps(struct ydoc *y, struct board_profile *b, yaml_node_t *m, const char *path)
{
    const struct chip_profile *c = b->chip;
    for (int i = 0; i < c->n_straps; i++)
        b->straps[i] = c->straps[i].deflt;
    yaml_node_t *n = ymap_get(y, m, "straps");
    char p[200];
    snprintf(p, sizeof p, "%s.straps", path);
    if (n == NULL)
        return 0;
    if (ymap_require(y, n, p) != 0)
        return -1;
    YMAP_FOREACH(y, n, pair)
    {
        const char *pin = yscalar(yaml_document_get_node(&y->doc, pair->key));
        int i = 0;
        while (pin && i < c->n_straps && strcmp(c->straps[i].pin, pin) != 0)
            i++;
        if (pin == NULL || i == c->n_straps)
            return yfail(y, n, p, "chip '%s' has no strap '%s' (its straps are in chips.%s.straps)", c->name,
                         pin ? pin : "?", c->name);
        if (level_of(y, n, p, pin, 0, 0, &b->straps[i]) != 0)
            return -1;
    }
    return 0;
}

static int check_straps(struct ydoc *y, const struct board_profile *b, yaml_node_t *m, const char *path)
{
    const struct chip_profile *c = b->chip;
    for (int i = 0; i < c->n_straps; i++) {
        const struct chip_strap *s = &c->straps[i];
        if (b->straps[i] == STRAP_ANY)
            return yfail(y, m, path, "chip '%s' needs %s %s to boot download (%s for flash): the board sets no level "
                         "for it (straps: {%s: low|high})", c->name, s->pin, level_name(s->download),
                         level_name(s->flash), s->pin);
        int dl = s->download == STRAP_ANY || s->download == b->straps[i];
        int fl = s->flash == STRAP_ANY || s->flash == b->straps[i];
        if (!dl || !fl)
            return yfail(y, ymap_get(y, m, "straps") ? ymap_get(y, m, "straps") : m, path,
                         "%s %s: chip '%s' boots neither download nor flash so (it needs %s for download, %s for "
                         "flash): no banner model for that boot", s->pin, level_name(b->straps[i]), c->name,
                         level_name(s->download), level_name(s->flash));
    }
    return 0;
}

int lab_chip_check_board(struct ydoc *y, struct board_profile *b, yaml_node_t *m, const char *path)
{
    const struct chip_profile *c = b->chip;
    if (load_board_straps(y, b, m, path) || check_straps(y, b, m, path))
        return -1;
    int otg = b->circuit->kind == CIRCUIT_USB_OTG;
    int native = otg || b->circuit->kind == CIRCUIT_USB_JTAG || b->bridge->usb_bytes_per_s > 0;
    if (otg && !(c->usb & CHIP_USB_OTG))
        return yfail(y, ymap_get(y, m, "chip"), path, "chip '%s' has no USB-OTG (usb: %s), which circuit '%s' needs",
                     c->name, c->usb & CHIP_USB_SERIAL_JTAG ? "usb-serial-jtag" : "none", b->circuit->name);
    if (native && !otg && !(c->usb & CHIP_USB_SERIAL_JTAG))
        return yfail(y, ymap_get(y, m, "chip"), path,
                     "chip '%s' has no USB-Serial/JTAG (usb: %s), which circuit '%s' and bridge '%s' need", c->name,
                     c->usb & CHIP_USB_OTG ? "usb-otg" : "none", b->circuit->name, b->bridge->name);
    double need = (double)LAB_UART_MIN_SAMPLES_PER_BIT * c->baud;
    if (!native && strcmp(b->analyzer.kind, "serve") != 0 && b->analyzer.sample_rate_hz > 0 &&
        b->analyzer.sample_rate_hz < need)
        return yfail(y, ymap_get(y, m, "analyzer"), path,
                     "the analyzer's %g Hz cannot carry chip '%s''s ROM banner at %d baud: at least %d samples a bit, "
                     "%g Hz (LAB_UART_MIN_SAMPLES_PER_BIT)", b->analyzer.sample_rate_hz, c->name, c->baud,
                     LAB_UART_MIN_SAMPLES_PER_BIT, need);
    return 0;
}
