/*
 * plugins/superspike/ss_mt19937.h — the Mersenne Twister MT19937
 * (Matsumoto & Nishimura 1998) with NumPy's legacy seeding and uniform
 * double, so that `numpy_seed` reproduces `np.random.seed(s);
 * np.random.random_sample(shape)` bit for bit. Header-only (used by the
 * superspike_input dataset and by tests/test_superspike.c).
 *
 *   seeding  init_genrand(s): mt[0] = s, mt[i] = 1812433253·(mt[i−1] ^
 *            (mt[i−1] >> 30)) + i (mod 2^32) — NumPy's mt19937_seed for an
 *            integer seed 0..2^32−1;
 *   double   a = next() >> 5, b = next() >> 6,
 *            (a·67108864 + b) / 9007199254740992  (53 bits, [0, 1)).
 * Known answers (tests): seed 5489 gives 3499211612 first and 4123659995
 * as its 10000th output (C++ std::mt19937's defined check value).
 */
#ifndef SS_MT19937_H
#define SS_MT19937_H

#include <math.h>
#include <stdint.h>

#define SS_MT_N 624
#define SS_MT_M 397

typedef struct ss_mt {
    uint32_t mt[SS_MT_N];
    int pos;
} ss_mt;

static inline void ss_mt_seed(ss_mt *s, uint32_t seed)
{
    s->mt[0] = seed;
    for (uint32_t i = 1; i < SS_MT_N; i++)
        s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + i;
    s->pos = SS_MT_N;
}

static inline void ss_mt_twist(ss_mt *s)
{
    static const uint32_t mag[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = s->mt;
    int k;
    for (k = 0; k < SS_MT_N - SS_MT_M; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + SS_MT_M] ^ (y >> 1) ^ mag[y & 1u];
    }
    for (; k < SS_MT_N - 1; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + (SS_MT_M - SS_MT_N)] ^ (y >> 1) ^ mag[y & 1u];
    }
    uint32_t y = (mt[SS_MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
    mt[SS_MT_N - 1] = mt[SS_MT_M - 1] ^ (y >> 1) ^ mag[y & 1u];
    s->pos = 0;
}

static inline uint32_t ss_mt_next(ss_mt *s)
{
    if (s->pos >= SS_MT_N)
        ss_mt_twist(s);
    uint32_t y = s->mt[s->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* NumPy legacy random_sample(): one double in [0, 1) from two outputs. */
static inline double ss_mt_double(ss_mt *s)
{
    uint32_t a = ss_mt_next(s) >> 5, b = ss_mt_next(s) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

/* NumPy legacy standard normal (RandomState.normal/standard_normal): the
 * polar Box–Muller method, each accepted pair giving two deviates, the
 * second (f·x1) cached for the next call. `cache`/`has` are the caller's
 * (start with has = 0). */
static inline double ss_mt_gauss(ss_mt *s, double *cache, int *has)
{
    if (*has) {
        *has = 0;
        return *cache;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * ss_mt_double(s) - 1.0;
        x2 = 2.0 * ss_mt_double(s) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    *cache = f * x1;
    *has = 1;
    return f * x2;
}

#endif
