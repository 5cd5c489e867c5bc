/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What one run is made into (run.h): its seed, the verdict of a run that
 * could not be made, the output folder.
 * May call: sim/ (rng.h), libc. */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/rng.h"

uint64_t run_seed(uint64_t seed, const char *board, const char *host, const char *scenario, int iteration)
{
    uint64_t s = seed;
    s ^= splitmix64(&s) ^ hash_name(board);
    s ^= splitmix64(&s) ^ hash_name(host);
    s ^= splitmix64(&s) ^ hash_name(scenario);
    s ^= splitmix64(&s) ^ (uint64_t)iteration;
    return splitmix64(&s);
}

int run_mkdir_p(const char *dir, char *err, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s", dir);
    for (char *q = path + 1;; q++) {
        int end = *q == '\0';
        if (*q == '/' || end) {
            *q = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                snprintf(err, len, "%s: cannot create the output folder: %s", path, strerror(errno));
                return -1;
            }
            if (end)
                return 0;
            *q = '/';
        }
    }
}

void run_infrastructure_error(struct analysis *a, const char *why)
{
    memset(a, 0, sizeof *a);
    a->margin_ms = a->gap_ms = a->en_release_ms = a->tau_ms = NAN;
    a->verdict = VERDICT_ERROR;
    a->sync = -1;
    a->n_findings = 1;
    snprintf(a->findings[0].kind, sizeof a->findings[0].kind, "infrastructure");
    a->findings[0].severity = SEV_ERROR;
    snprintf(a->findings[0].message, sizeof a->findings[0].message, "%.180s", why);
}

/* One run on the virtual lab, through the sim port and capture backends. */
