/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table of port backends, by a board's `port:` value (each backend's
 * ops carry their name).
 * May call: the backends it lists, libc. */
#include "port.h"

#include <string.h>

static const struct port_ops *const backends[] = {&port_sim_ops};

const struct port_ops *port_backend(const char *port_spec)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, port_spec) == 0)
            return backends[i];
    return NULL;
}
