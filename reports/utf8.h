/* SPDX-License-Identifier: GPL-3.0-or-later */
/* UTF-8 validation shared by the writers that copy text from the store or
 * the lab into other formats (gnuplot scripts, JUnit XML, HTML): findings
 * are cut to a fixed size by snprintf, which can split a "µ" or "τ", and
 * may quote bytes from a port; one bad byte makes an SVG or a JUnit file
 * unparsable. */
#ifndef RESETLAB_UTF8_H
#define RESETLAB_UTF8_H

#include <stdint.h>

/* Length (2 to 4) of the well-formed, shortest-form UTF-8 sequence of a
 * character at `s` that is not a surrogate or U+FFFE/U+FFFF; 0 when there
 * is none there (a name cut mid-character by snprintf, bytes quoted from a
 * port, an ASCII byte). Stops at a terminating NUL. */
static inline int utf8_char_len(const unsigned char *s)
{
    static const uint32_t shortest[5] = {0, 0, 0x80, 0x800, 0x10000};
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4)
        return 0;
    uint32_t cp = s[0] & (0x7Fu >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < shortest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

#endif
