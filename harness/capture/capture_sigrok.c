/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The text forms capture options come in (capture_sigrok.h): scaled values
 * ("4M", "1.5 MHz") for rates and counts, and the channel map
 * (D0=DTR,D1=RTS,A0=EN_V). The rest of capture_sigrok.h is implemented by
 * capture_context.c (the libsigrok context), capture_export.c (writing a
 * .sr), capture_import.c (reading files) and capture_edges.c (packets into
 * edges).
 * May call: analyzers/ (channel names), libc. */
#include "capture_sigrok.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "4M", "1.5 MHz", "24000000", "1k": a positive whole number of units.
 * (sr_parse_sizestring reads "1.5k" as 1.) `hz`: "Hz" may follow. */
int sigrok_parse_scaled(const char *s, int hz, uint64_t *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    while (*end == ' ')
        end++;
    double scale = 1;
    if (*end == 'k' || *end == 'K')
        scale = 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        scale = 1e6, end++;
    else if (*end == 'G' || *end == 'g')
        scale = 1e9, end++;
    if (hz && strncasecmp(end, "hz", 2) == 0)
        end += 2;
    double x = v * scale;
    if (*end != '\0' || !(x >= 1) || x > 1e18 || x != floor(x))
        return -1;
    *out = (uint64_t)x;
    return 0;
}

/* ------------------------------------------------------------ mapping -- */

static int our_channel(const char *name)
{
    for (int c = 0; c < CH_COUNT; c++)
        if (strcasecmp(name, channel_name((enum channel)c)) == 0)
            return c;
    return -1;
}

int channel_map_parse(const char *spec, struct channel_map *m, char *err, size_t err_len)
{
    memset(m, 0, sizeof *m);
    if (spec == NULL || spec[0] == '\0')
        return 0;
    m->given = 1;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char file[SIGROK_MAP_NAME_MAX + 1], ours[16];
        if (eq == NULL || eq == p || eq + 1 == end) {
            snprintf(err, err_len, "--map: '%.*s' is not FILECHANNEL=CHANNEL (e.g. D0=DTR)", (int)(end - p), p);
            return -1;
        }
        if ((size_t)(eq - p) >= sizeof file) {
            snprintf(err, err_len, "--map: the file channel name '%.*s' has %d characters: at most %d (SIGROK_MAP_NAME_MAX)",
                     (int)(eq - p), p, (int)(eq - p), SIGROK_MAP_NAME_MAX);
            return -1;
        }
        if ((size_t)(end - eq - 1) >= sizeof ours) {
            snprintf(err, err_len, "--map: unknown channel '%.*s' (DTR, RTS, EN, EN_V, IO0 or RX)", (int)(end - eq - 1), eq + 1);
            return -1;
        }
        snprintf(file, sizeof file, "%.*s", (int)(eq - p), p);
        snprintf(ours, sizeof ours, "%.*s", (int)(end - eq - 1), eq + 1);
        if (strcasecmp(ours, "EN_V") == 0) {
            if (m->en_analog[0]) {
                snprintf(err, err_len, "--map: EN_V is mapped twice");
                return -1;
            }
            snprintf(m->en_analog, sizeof m->en_analog, "%s", file);
            p = comma ? comma + 1 : end;
            continue;
        }
        int c = our_channel(ours);
        if (c < 0) {
            snprintf(err, err_len, "--map: unknown channel '%s' (DTR, RTS, EN, EN_V, IO0 or RX)", ours);
            return -1;
        }
        if (m->file_name[c][0]) {
            snprintf(err, err_len, "--map: %s is mapped twice", channel_name((enum channel)c));
            return -1;
        }
        snprintf(m->file_name[c], sizeof m->file_name[c], "%s", file);
        p = comma ? comma + 1 : end;
    }
    return 0;
}
