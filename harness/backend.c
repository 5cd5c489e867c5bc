#include "backend.h"

#include <string.h>

/* Ports by the board's `port:` value; captures by its analyzer `kind:`. */
static const struct {
    const char *name;
    const struct port_ops *ops;
} ports[] = {
    {"sim", &port_sim_ops},
};

static const struct {
    const char *name;
    const struct capture_ops *ops;
} captures[] = {
    {"sim", &capture_sim_ops},
};

const struct port_ops *port_backend(const char *port_spec)
{
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (strcmp(ports[i].name, port_spec) == 0)
            return ports[i].ops;
    return NULL;
}

const struct capture_ops *capture_backend(const char *kind)
{
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++)
        if (strcmp(captures[i].name, kind) == 0)
            return captures[i].ops;
    return NULL;
}
