/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table of capture backends, by a board's analyzer `kind:`.
 * May call: the backends it lists, libc. */
#include "capture.h"

#include <string.h>

static const struct {
    const char *name;
    const struct capture_ops *ops;
} captures[] = {
    {"sim", &capture_sim_ops},
};

const struct capture_ops *capture_backend(const char *kind)
{
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++)
        if (strcmp(captures[i].name, kind) == 0)
            return captures[i].ops;
    return NULL;
}
