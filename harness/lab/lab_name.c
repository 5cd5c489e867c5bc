/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names from files (lab_name_check, lab_load.h): a board's, a scenario's,
 * a host's name... becomes part of output paths (run --captures writes
 * captures/BOARD--HOST--SCENARIO--N.sr), so each is checked when it is
 * loaded: a board named "../../evil" would write two folders above them.
 * May call: libc. */
#include "lab_load.h"

#include <stdio.h>
#include <string.h>

int lab_name_check(const char *name, size_t max, char *why, size_t why_len)
{
    size_t n = strlen(name);
    int bad = n == 0 || n > max || name[0] == '.' || name[0] == '-' ||
              strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n;
    if (!bad)
        return 0;
    char shown[44]; /* printable, cut: the error stays one line */
    snprintf(shown, sizeof shown, "%.40s%s", name, n > 40 ? "..." : "");
    for (char *p = shown; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    snprintf(why, why_len, "'%s' is not a name: 1 to %zu of %s, not starting with '.' or '-'", shown, max,
             LAB_NAME_CHARS);
    return -1;
}
