/* core/engine/rng.c — xoshiro256** streams, seeded through splitmix64.
 *
 * Derivation: the 64-bit seed is mixed with FNV-1a hashes of the component
 * name and the purpose, so a stream depends only on (seed, component,
 * purpose) — never on how many other streams exist or in which order they
 * were made. That is what keeps runs bit-identical when the network grows
 * an unrelated part. Normal deviates use the Marsaglia polar method without
 * caching the second value (a cache would make a stream's output depend on
 * call history across purposes). */
#include <math.h>

#include "engine/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sl__hash64(const char *s, uint64_t h)
{
    h ^= 0xcbf29ce484222325ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return splitmix64(&h);
}

static void seed_state(sl_rng *r, uint64_t x)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void sl__rng_seed(sl_rng *r, uint64_t seed, const char *purpose)
{
    seed_state(r, sl__hash64(purpose, seed));
}

void sl__rng_derive(sl_rng *r, uint64_t seed, const char *component,
                    const char *purpose)
{
    seed_state(r, sl__hash64(purpose, sl__hash64(component, seed)));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sl__rng_next(sl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sl__rng_uniform(sl_rng *r)
{
    return (double)(sl__rng_next(r) >> 11) * 0x1.0p-53;
}

double sl__rng_normal(sl_rng *r)
{
    double u, v, s;
    do {
        u = 2.0 * sl__rng_uniform(r) - 1.0;
        v = 2.0 * sl__rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

/* Knuth's multiplication method for small means (exact, O(mean) draws);
 * for large means the PTRS transformed rejection of Hörmann (1993). */
uint32_t sl__rng_poisson(sl_rng *r, double mean)
{
    if (!(mean > 0.0))
        return 0;
    if (mean < 10.0) {
        double limit = exp(-mean), p = 1.0;
        uint32_t k = 0;
        for (;;) {
            p *= sl__rng_uniform(r);
            if (p <= limit)
                return k;
            k++;
        }
    }
    double slam = sqrt(mean), loglam = log(mean);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = sl__rng_uniform(r) - 0.5, v = sl__rng_uniform(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr)
            return (uint32_t)k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
            -mean + k * loglam - lgamma(k + 1))
            return (uint32_t)k;
    }
}
