/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Seeded, portable random numbers for the virtual lab: splitmix64 to seed,
 * xoshiro256** to draw. Same seed, same numbers, on every machine. */
#ifndef RESETLAB_RNG_H
#define RESETLAB_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

uint64_t splitmix64(uint64_t *state);
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r); /* [0, 1) */
double rng_normal(struct rng *r);  /* mean 0, sd 1 */

/* FNV-1a of a string: names, not positions, seed the runs. */
uint64_t hash_name(const char *s);

#endif
