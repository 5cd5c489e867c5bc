/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The gates a session ran with (report_internal.h), found again from its
 * recorded options: --no-known, --known FILE, or the scenarios folder's
 * gates/known.yaml, as `resetlab run` found them; so the page `resetlab
 * report` writes marks the same cells known as the run's own did.
 * May call: harness/lab (the gates file), libc. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report_internal.h"

int report_gates_load(const char *options, struct lab_gates *g, char *why, size_t why_len)
{
    char buf[4096], path[1200];
    const char *known = NULL, *scenarios = NULL, *prev = "";
    int none = 0;
    snprintf(buf, sizeof buf, "%s", options);
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line != NULL; prev = line, line = strtok_r(NULL, "\n", &save)) {
        none |= strcmp(line, "--no-known") == 0;
        if (strcmp(prev, "--known") == 0)
            known = line;
        if (strcmp(prev, "--scenarios") == 0)
            scenarios = line;
    }
    memset(g, 0, sizeof *g);
    if (none || (known == NULL && scenarios == NULL))
        return 0;
    if (known == NULL) {
        snprintf(path, sizeof path, "%s/gates/known.yaml", scenarios);
        if (access(path, F_OK) != 0)
            return 0;
    }
    return lab_gates_load(g, known ? known : path, why, why_len) == 0 ? 1 : -1;
}
