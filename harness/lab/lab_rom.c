/* SPDX-License-Identifier: GPL-3.0-or-later */
/* chips.<name>.rom and boards.<name>.mac / .flash → struct rom_chip and
 * struct rom_board (lab_rom.h). Every number is boards.yaml's.
 * May call: lab_yaml.c, sim/ (the ROM's types), libc. */
#include "lab_rom.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An optional whole number: 0 and *out untouched when the key is absent. */
static int opt_u32(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, uint32_t *out)
{
    return ymap_get(y, m, key) == NULL ? 0 : yget_u32(y, m, path, key, out);
}

static int load_spi(struct ydoc *y, yaml_node_t *rom, const char *path, struct rom_spi_regs *s)
{
    static const char *const keys[] = {"base", "usr", "usr1", "usr2", "mosi_dlen", "miso_dlen", "w0", NULL};
    yaml_node_t *n = ymap_get(y, rom, "spi");
    char p[200];
    snprintf(p, sizeof p, "%s.spi", path);
    if (n == NULL)
        return 0;
    if (ymap_require(y, n, p) || ymap_only(y, n, p, keys) || yget_u32(y, n, p, "base", &s->base) ||
        yget_u32(y, n, p, "usr", &s->usr) || yget_u32(y, n, p, "usr1", &s->usr1) ||
        yget_u32(y, n, p, "usr2", &s->usr2) || yget_u32(y, n, p, "mosi_dlen", &s->mosi_dlen) ||
        yget_u32(y, n, p, "miso_dlen", &s->miso_dlen) || yget_u32(y, n, p, "w0", &s->w0))
        return -1;
    if (s->base == 0)
        return yfail(y, n, p, "base must not be 0");
    return 0;
}

/* words: {ADDRESS: VALUE, ...}, at most ROM_WORDS_MAX. */
static int load_words(struct ydoc *y, yaml_node_t *rom, const char *path, struct rom_chip *c)
{
    yaml_node_t *n = ymap_get(y, rom, "words");
    char p[200];
    snprintf(p, sizeof p, "%s.words", path);
    if (n == NULL)
        return 0;
    if (ymap_require(y, n, p))
        return -1;
    YMAP_FOREACH(y, n, pair)
    {
        const char *k = yscalar(yaml_document_get_node(&y->doc, pair->key));
        if (c->n_words >= ROM_WORDS_MAX)
            return yfail(y, n, p, "more than %d words", ROM_WORDS_MAX);
        char *end;
        unsigned long long a = k ? strtoull(k, &end, 0) : 0;
        if (k == NULL || *k == '\0' || *k == '-' || *end != '\0' || a > 0xFFFFFFFFull)
            return yfail(y, n, p, "addresses are whole numbers from 0 to 0xFFFFFFFF");
        char kp[220];
        snprintf(kp, sizeof kp, "%s", k);
        c->words[c->n_words].addr = (uint32_t)a;
        if (yget_u32(y, n, p, kp, &c->words[c->n_words].value))
            return -1;
        c->n_words++;
    }
    return 0;
}

int lab_rom_load_chip(struct ydoc *y, yaml_node_t *m, const char *path, struct rom_chip *rom)
{
    static const char *const keys[] = {"detect_magic", "status_bytes", "sync_value", "mac_reg", "uart_clkdiv_reg",
                                       "uart_clk_hz", "spi", "security_info", "md5", "read_flash_slow", "words", NULL};
    yaml_node_t *n = ymap_get(y, m, "rom");
    char p[160];
    snprintf(p, sizeof p, "%s.rom", path);
    double status;
    if (n == NULL)
        return yfail(y, m, path, "missing key 'rom'");
    if (ymap_require(y, n, p) || ymap_only(y, n, p, keys) || yget_u32(y, n, p, "detect_magic", &rom->magic) ||
        yget_range(y, n, p, "status_bytes", 2, 4, &status) || yget_u32(y, n, p, "sync_value", &rom->sync_value) ||
        opt_u32(y, n, p, "mac_reg", &rom->mac_reg) || opt_u32(y, n, p, "uart_clkdiv_reg", &rom->uart_clkdiv_reg) ||
        opt_u32(y, n, p, "uart_clk_hz", &rom->uart_clk_hz) || load_spi(y, n, p, &rom->spi) ||
        yopt_bool(y, n, p, "md5", &rom->has_md5) || yopt_bool(y, n, p, "read_flash_slow", &rom->has_read_flash_slow) || load_words(y, n, p, rom))
        return -1;
    if (status != 2 && status != 4)
        return yfail(y, ymap_get(y, n, "status_bytes"), p, "status_bytes must be 2 or 4, got %g", status);
    rom->status_len = (size_t)status;
    if (rom->uart_clkdiv_reg != 0 && rom->uart_clk_hz == 0)
        return yfail(y, n, p, "uart_clkdiv_reg needs uart_clk_hz");
    yaml_node_t *si = ymap_get(y, n, "security_info");
    if (si != NULL) {
        static const char *const si_keys[] = {"chip_id", "api_version", NULL};
        char sp[200];
        snprintf(sp, sizeof sp, "%s.security_info", p);
        if (ymap_require(y, si, sp) || ymap_only(y, si, sp, si_keys) || yget_u32(y, si, sp, "chip_id", &rom->chip_id) ||
            yget_u32(y, si, sp, "api_version", &rom->api_version))
            return -1;
        rom->has_security_info = 1;
    }
    return 0;
}

/* "aa:bb:cc:dd:ee:ff": six pairs of hex digits. */
static int parse_mac(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17)
        return -1;
    for (int i = 0; i < 6; i++) {
        const char *h = s + 3 * i;
        if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) || (i < 5 && h[2] != ':'))
            return -1;
        char pair[3] = {h[0], h[1], 0};
        mac[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return 0;
}

int lab_rom_load_board(struct ydoc *y, yaml_node_t *m, const char *path, struct rom_board *rom)
{
    char text[64], p[200];
    *rom = (struct rom_board){0};
    if (ymap_get(y, m, "mac") != NULL) {
        if (yget_string(y, m, path, "mac", text, sizeof text))
            return -1;
        if (parse_mac(text, rom->mac) != 0)
            return yfail(y, ymap_get(y, m, "mac"), path, "mac '%s': expected six hex pairs, aa:bb:cc:dd:ee:ff", text);
    }
    yaml_node_t *f = ymap_get(y, m, "flash");
    if (f == NULL)
        return 0;
    static const char *const keys[] = {"size", "jedec_id", NULL};
    snprintf(p, sizeof p, "%s.flash", path);
    if (ymap_require(y, f, p) || ymap_only(y, f, p, keys) || yget_string(y, f, p, "size", text, sizeof text) ||
        yget_u32(y, f, p, "jedec_id", &rom->flash_jedec_id))
        return -1;
    char *end;
    unsigned long mb = strtoul(text, &end, 10);
    if (!isdigit((unsigned char)text[0]) || strcmp(end, "MB") != 0 || mb == 0 || mb > LAB_FLASH_MAX_MB ||
        (mb & (mb - 1)) != 0)
        return yfail(y, ymap_get(y, f, "size"), p, "size '%s': expected 1MB, 2MB, 4MB, 8MB or %dMB", text,
                     LAB_FLASH_MAX_MB);
    if (rom->flash_jedec_id > 0xFFFFFFu)
        return yfail(y, ymap_get(y, f, "jedec_id"), p, "jedec_id 0x%X: three bytes at most", rom->flash_jedec_id);
    rom->flash_size = (uint32_t)mb << 20;
    return 0;
}
