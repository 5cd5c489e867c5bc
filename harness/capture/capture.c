/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table of capture backends, by a board's analyzer `kind:` (each
 * backend's ops carry their name).
 * May call: the backends it lists, libc. */
#include "capture.h"

#include <string.h>

static const struct capture_ops *const backends[] = {&capture_sim_ops};

const struct capture_ops *capture_backend(const char *kind)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, kind) == 0)
            return backends[i];
    return NULL;
}
