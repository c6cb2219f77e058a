/*
 * spikelab/slaux_mt19937.h — NumPy's legacy random stream, bit for bit: the
 * Mersenne Twister MT19937 (Matsumoto & Nishimura 1998) as
 * numpy.random.RandomState draws from it, so a `numpy_seed` setting
 * reproduces `np.random.seed(s); np.random.random_sample(shape)` and
 * `np.random.normal(mean, std, shape)` exactly.
 *
 * A helper, not part of the plugin ABI: header-only (static inline), no
 * symbol of the core, C and C++. Not in the umbrella spikelab.h; include
 * <spikelab/slaux_mt19937.h> where it is needed. The core (teacher
 * numpy_seed), superspike.so (superspike_input) and datasets.so
 * (frozen_noise numpy_seed) all draw from this one copy.
 *
 *   seeding  init_genrand(s): mt[0] = s, mt[i] = 1812433253·(mt[i−1] ^
 *            (mt[i−1] >> 30)) + i (mod 2^32) — NumPy's mt19937_seed for an
 *            integer seed 0..2^32−1;
 *   next     the 32-bit tempered output (genrand_int32);
 *   double   a = next() >> 5, b = next() >> 6,
 *            (a·67108864 + b) / 9007199254740992: 53 bits in [0, 1)
 *            (random_sample);
 *   gauss    the polar Box–Muller method of legacy_gauss: pairs (x1, x2)
 *            = 2·double − 1 until 0 < r² = x1² + x2² < 1, f =
 *            sqrt(−2·ln r² / r²); returns f·x2 and keeps f·x1 for the
 *            next call (standard_normal; normal = mean + std·gauss).
 * Known answers (tests/test_superspike.c): seed 5489 gives 3499211612
 * first and 4123659995 as its 10000th output (C++ std::mt19937's defined
 * check value).
 *
 * State: a plain struct the caller owns (copy it to fork the stream); no
 * allocation, no global state.
 */
#ifndef SPIKELAB_SLAUX_MT19937_H
#define SPIKELAB_SLAUX_MT19937_H

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLAUX_MT_N 624
#define SLAUX_MT_M 397

typedef struct slaux_mt {
    uint32_t mt[SLAUX_MT_N];
    int pos; /* next word of mt; SLAUX_MT_N: twist first */
} slaux_mt;

/* Seed as np.random.seed(seed) with an integer seed. */
static inline void slaux_mt_seed(slaux_mt *s, uint32_t seed)
{
    s->mt[0] = seed;
    for (uint32_t i = 1; i < SLAUX_MT_N; i++)
        s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + i;
    s->pos = SLAUX_MT_N;
}

static inline void slaux_mt_twist(slaux_mt *s)
{
    static const uint32_t mag[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = s->mt;
    int k;
    for (k = 0; k < SLAUX_MT_N - SLAUX_MT_M; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + SLAUX_MT_M] ^ (y >> 1) ^ mag[y & 1u];
    }
    for (; k < SLAUX_MT_N - 1; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + (SLAUX_MT_M - SLAUX_MT_N)] ^ (y >> 1) ^ mag[y & 1u];
    }
    uint32_t y = (mt[SLAUX_MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
    mt[SLAUX_MT_N - 1] = mt[SLAUX_MT_M - 1] ^ (y >> 1) ^ mag[y & 1u];
    s->pos = 0;
}

/* The next 32-bit output. */
static inline uint32_t slaux_mt_next(slaux_mt *s)
{
    if (s->pos >= SLAUX_MT_N)
        slaux_mt_twist(s);
    uint32_t y = s->mt[s->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* NumPy legacy random_sample(): one double in [0, 1) from two outputs. */
static inline double slaux_mt_double(slaux_mt *s)
{
    uint32_t a = slaux_mt_next(s) >> 5, b = slaux_mt_next(s) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

/* NumPy legacy standard normal (RandomState.normal/standard_normal): the
 * polar Box–Muller method, each accepted pair giving two deviates, the
 * second (f·x1) cached for the next call. `cache`/`has` are the caller's
 * (start with has = 0; keep them with the stream they came from). */
static inline double slaux_mt_gauss(slaux_mt *s, double *cache, int *has)
{
    if (*has) {
        *has = 0;
        return *cache;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * slaux_mt_double(s) - 1.0;
        x2 = 2.0 * slaux_mt_double(s) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    *cache = f * x1;
    *has = 1;
    return f * x2;
}

#ifdef __cplusplus
}
#endif

#endif
