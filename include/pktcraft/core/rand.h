/* A small seeded generator (SplitMix64): the same seed gives the same
 * packets on every host, which golden files and --seed rely on. */
#ifndef PKTCRAFT_RAND_H
#define PKTCRAFT_RAND_H

#include "common.h"

struct pc_rng { uint64_t s; };

static inline void pc_rng_seed(struct pc_rng *r, uint64_t seed) { r->s = seed; }
static inline uint64_t pc_rng_next(struct pc_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
/* Uniform in [0, n) for n > 0; the modulo bias for the small ranges used
 * here (ports, lengths) is far below anything a test could notice. */
static inline uint64_t pc_rng_below(struct pc_rng *r, uint64_t n) { return pc_rng_next(r) % n; }

#endif
