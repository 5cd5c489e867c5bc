/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lab's templates: section (boards.yaml): a commented board entry per
 * kind of board (two-transistor, direct, usb-serial-jtag ...) that
 * `resetlab list --template KIND` prints, to paste under a lab file's
 * boards: (docs/lab.md#include). Text, not a mapping, so its comments
 * (where each number comes from) survive.
 * May call: lab_yaml.c, lab_include.c (the lab with its includes), lab_name.c, libc. */
#include "lab_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_include.h"
#include "lab_load.h"

int lab_templates_check(struct ydoc *y)
{
    yaml_node_t *map = ymap_get(y, ydoc_root(y), "templates");
    if (map == NULL)
        return 0;
    if (ymap_require(y, map, "templates") != 0)
        return -1;
    YMAP_FOREACH(y, map, pair)
    {
        yaml_node_t *kn = yaml_document_get_node(&y->doc, pair->key), *vn = yaml_document_get_node(&y->doc, pair->value);
        const char *name = yscalar(kn);
        char why[160];
        if (name == NULL)
            return yfail(y, kn, "templates", "names must be strings");
        if (lab_name_check(name, LAB_NAME_MAX, why, sizeof why) != 0)
            return yfail(y, kn, "templates", "%s", why);
        if (yscalar(vn) == NULL)
            return yfail(y, vn, "templates", "%s: expected the entry's text (a block scalar, |), got a list or mapping",
                         name);
    }
    return 0;
}

int lab_template(const char *file, const char *kind, char **text, char *err, size_t err_len)
{
    struct ydoc y;
    *text = NULL;
    if (lab_doc_load(&y, file, NULL, err, err_len) != 0)
        return -1;
    int rc = -1;
    yaml_node_t *map = ymap_get(&y, ydoc_root(&y), "templates");
    if (lab_templates_check(&y) != 0)
        goto out;
    const char *found = yscalar(ymap_get(&y, map, kind));
    if (found != NULL) {
        if ((*text = strdup(found)) == NULL)
            snprintf(err, err_len, "%s: out of memory", file);
        rc = *text ? 0 : -1;
        goto out;
    }
    char kinds[256] = "";
    size_t used = 0;
    if (map != NULL)
        YMAP_FOREACH(&y, map, pair)
        {
            int w = snprintf(kinds + used, sizeof kinds - used, "%s%s", used ? ", " : "",
                             yscalar(yaml_document_get_node(&y.doc, pair->key)));
            if (w < 0 || (size_t)w >= sizeof kinds - used)
                break;
            used += (size_t)w;
        }
    snprintf(err, err_len, "%s: no template '%s' (%s%s)", file, kind, used ? "there are: " : "the lab has no templates:",
             kinds);
out:
    ydoc_free(&y);
    return rc;
}
