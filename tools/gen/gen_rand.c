/*
 * gen_rand.c — the generator's only source of randomness.
 *
 * xoshiro256** 1.0 (D. Blackman, S. Vigna, "Scrambled linear pseudorandom
 * number generators", 2018; prng.di.unimi.it), state seeded by splitmix64 as
 * its authors recommend.  Everything is integer arithmetic, so a seed gives the
 * same stream on every machine and compiler.
 */
#include "gen.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void gen_rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t gen_rng_next(struct rng *r)
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

/* Lemire's multiply-shift: unbiased enough for traffic shapes (bias < n / 2^32). */
uint32_t gen_rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

uint64_t gen_rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = hi - lo + 1;
    if (span == 0) /* the whole 64-bit range */
        return gen_rng_next(r);
    return lo + gen_rng_next(r) % span;
}

int gen_rng_chance(struct rng *r, uint32_t permille)
{
    return gen_rng_below(r, 1000) < permille;
}

static int bitlen(uint64_t v)
{
    return v ? 64 - __builtin_clzll(v) : 0;
}

uint64_t gen_rng_logu(struct rng *r, uint64_t lo, uint64_t hi)
{
    if (lo < 1)
        lo = 1;
    if (hi <= lo)
        return lo;
    int b = (int)gen_rng_range(r, (uint64_t)bitlen(lo), (uint64_t)bitlen(hi));
    uint64_t a = b > 1 ? UINT64_C(1) << (b - 1) : 1;
    uint64_t z = b < 64 ? (UINT64_C(1) << b) - 1 : UINT64_MAX;
    if (a < lo)
        a = lo;
    if (z > hi)
        z = hi;
    return gen_rng_range(r, a, z);
}

void gen_rng_split(struct rng *parent, struct rng *child)
{
    gen_rng_seed(child, gen_rng_next(parent));
}

void gen_rng_fill(struct rng *r, uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v = gen_rng_next(r);
        for (int i = 0; i < 8; i++)
            p[i] = (uint8_t)(v >> (8 * i));
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = gen_rng_next(r);
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)(v >> (8 * i));
    }
}

uint32_t gen_rng_popular(struct rng *r, uint32_t n)
{
    uint32_t a = gen_rng_below(r, n), b = gen_rng_below(r, n), c = gen_rng_below(r, n);
    if (b < a)
        a = b;
    return c < a ? c : a;
}
