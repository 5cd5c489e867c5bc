/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's plots, wherever they are queued (report.h): file names made
 * from the store's names, and the plots pending on a batch.
 * May call: reports/ (the page's plot entries), libc. */
#include <stdio.h>
#include <stdlib.h>

#include "report_internal.h"

/* ------------------------------------------------------------ helpers -- */

int report_file_name(char *out, size_t len, const char *name)
{
    size_t i = 0;
    int changed = 0;
    for (const char *p = name; *p && i + 1 < len; p++, i++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                   *p == '-' || *p == '_';
        out[i] = keep ? *p : '_';
        changed |= !keep;
    }
    out[i] = '\0';
    return changed || name[i] != '\0';
}

int pending_add(struct pending_plots *p, struct html_plot *plot, int index, const char *why)
{
    if (index < 0) { /* not queued: the reason is the plot's note now */
        snprintf(plot->note, sizeof plot->note, "plot not drawn: %s", why);
        plot->src[0] = '\0';
        return 0;
    }
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        struct html_plot **pl = realloc(p->plot, sizeof *pl * (size_t)cap);
        if (pl == NULL)
            return -1;
        p->plot = pl;
        int *ix = realloc(p->index, sizeof *ix * (size_t)cap);
        if (ix == NULL)
            return -1;
        p->index = ix;
        p->cap = cap;
    }
    p->plot[p->n] = plot;
    p->index[p->n++] = index;
    return 0;
}
