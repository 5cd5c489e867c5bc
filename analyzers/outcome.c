/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Boot outcome from the ROM's UART output, read as esptool reads it: the
 * regex `boot:(0x[0-9a-fA-F]+)(.*waiting for download)?` on the last banner.
 * The ESP8266's ROM prints `boot mode:(M,N)` instead (its SDK's boot
 * messages, docs/chips.md#esp8266): M is the strap value (GPIO15, GPIO0,
 * GPIO2 as bits 2..0), 1 the UART download, 3 the flash boot; other values
 * (SDIO boots) are no outcome this parser models.
 * May call: libc. */
#include <string.h>

#include "analyze.h"

static const char *names[] = {"no-reset", "download", "flash", "marginal"};

const char *boot_mode_name(enum boot_mode m)
{
    return (unsigned)m <= BOOT_MARGINAL ? names[m] : m == BOOT_ANY ? "any" : "?";
}

int boot_mode_parse(const char *name)
{
    for (int m = BOOT_NONE; m <= BOOT_MARGINAL; m++)
        if (strcmp(name, names[m]) == 0)
            return m;
    return -1;
}

const char *verdict_name(enum verdict v)
{
    static const char *const v_names[] = {"pass", "fail", "error"};
    return (unsigned)v <= VERDICT_ERROR ? v_names[v] : "?";
}

const char *severity_name(enum severity s)
{
    static const char *const s_names[] = {"info", "warning", "error"};
    return (unsigned)s <= SEV_ERROR ? s_names[s] : "?";
}

/* Last occurrence of `needle` in [hay, hay+len), or NULL. */
static const uint8_t *find_last(const uint8_t *hay, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = len >= nl ? len - nl + 1 : 0; i-- > 0;)
        if (memcmp(hay + i, needle, nl) == 0)
            return hay + i;
    return NULL;
}

static int contains(const uint8_t *hay, size_t len, const char *needle)
{
    return find_last(hay, len, needle) != NULL;
}

static int is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* `boot mode:(M,` at p, with `rest` bytes from p: M's outcome. */
static enum boot_mode esp8266_mode(const uint8_t *p, size_t rest)
{
    size_t n = strlen("boot mode:(");
    if (rest < n + 2 || p[n + 1] != ',')
        return BOOT_NONE; /* cut off: no complete banner */
    return p[n] == '1' ? BOOT_DOWNLOAD : p[n] == '3' ? BOOT_FLASH : BOOT_NONE;
}

enum boot_mode outcome_from_uart(const uint8_t *bytes, size_t len)
{
    if (bytes == NULL)
        return BOOT_NONE;
    const uint8_t *boot = find_last(bytes, len, "boot:0x");
    const uint8_t *mode = find_last(bytes, len, "boot mode:(");
    if (mode != NULL && (boot == NULL || mode > boot))
        return esp8266_mode(mode, len - (size_t)(mode - bytes));
    if (boot == NULL)
        return BOOT_NONE;
    size_t rest = len - (size_t)(boot - bytes);
    if (rest < 8 || !is_hex(boot[7]))
        return BOOT_NONE; /* cut off inside the number: no complete banner */
    const uint8_t *eol = memchr(boot, '\n', rest);
    size_t line_len = eol ? (size_t)(eol - boot) : rest;
    if (contains(boot, rest, "waiting for download") || contains(boot, line_len, "DOWNLOAD"))
        return BOOT_DOWNLOAD;
    return BOOT_FLASH;
}
