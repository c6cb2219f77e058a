/* core/engine/rng.h — seeded random streams (xoshiro256** seeded by splitmix64).
 * A stream is derived from (seed, component, purpose) by hashing the two
 * strings into the seed, so streams are independent of creation order. */
#ifndef SL_CORE_RNG_H
#define SL_CORE_RNG_H

#include <stdint.h>
#include "spikelab/abi.h"

void sl__rng_seed(sl_rng *r, uint64_t seed, const char *purpose);
void sl__rng_derive(sl_rng *r, uint64_t seed, const char *component,
                    const char *purpose);
uint64_t sl__rng_next(sl_rng *r);
double sl__rng_uniform(sl_rng *r);          /* [0,1), 53 bits */
double sl__rng_normal(sl_rng *r);           /* N(0,1), polar method */
uint32_t sl__rng_poisson(sl_rng *r, double mean);
uint64_t sl__hash64(const char *s, uint64_t h); /* FNV-1a then mixed */

#endif
