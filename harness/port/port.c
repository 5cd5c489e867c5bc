/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table of port backends, by a board's `port:` value.
 * May call: the backends it lists, libc. */
#include "port.h"

#include <string.h>

static const struct {
    const char *name;
    const struct port_ops *ops;
} ports[] = {
    {"sim", &port_sim_ops},
};

const struct port_ops *port_backend(const char *port_spec)
{
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (strcmp(ports[i].name, port_spec) == 0)
            return ports[i].ops;
    return NULL;
}
