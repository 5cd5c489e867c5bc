/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab merge`: the sessions of stores made on other machines copied
 * into one store, each session once. A session is known by the id it was
 * given when it began (store.c's session_uids) or, in a store made before
 * those ids, by a digest of its content. */
#ifndef RESETLAB_STORE_MERGE_H
#define RESETLAB_STORE_MERGE_H

#include <stddef.h>
#include <stdint.h>

/* Limits, checked before anything is read. */
#define MERGE_MAX_STORES 64       /* source stores in one merge */
#define MERGE_MAX_SESSIONS 100000 /* sessions in the destination and the sources together */

struct merge_result {
    int added, present;  /* sessions copied; sessions the destination already had */
    int64_t runs_added;
    char ids[2048];      /* the destination's ids of every source session, "4,5,6" (cut at 2047 bytes) */
};

/* Checks every source (a resetlab store, not damaged, its schema not
 * newer than this resetlab's) and that no session id stands for two
 * different contents, in the sources or against dest, before anything is
 * written; then copies into dest (made when missing) each session it
 * lacks, all in one transaction (an error leaves dest as it was). The ids of the sources' sessions in
 * dest are kept in dest's meta ('last_merge') for `report --sessions
 * merged`. 0, or -1 with "FILE: WHY" in err. */
int store_merge(const char *dest, const char *const *srcs, int n, struct merge_result *r, char *err, size_t len);

/* The ids `resetlab merge` last named in this store (meta 'last_merge'),
 * "4,5,6", into out; 1 found, 0 none, -1 error. */
struct store;
int store_last_merge(struct store *st, char *out, size_t len, char *err, size_t err_len);

#endif
