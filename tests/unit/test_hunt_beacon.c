/* The beacon hunt's series and scores (src/hunt/h_beacon.h) and the egress hunt's score
   (src/hunt/h_egress.h): exact numbers on built series and hosts. */
#include "t.h"

#include "core/err.h"
#include "hunt/h_beacon.h"
#include "hunt/h_egress.h"

#include <math.h>
#include <stdlib.h>

#define SEC 1000000000LL
#define T0 (1709510400LL * SEC) /* 2024-03-04T00:00:00Z */

/* A fixed generator for the test's jitter: splitmix64 to a double in (0, 1). */
static double unif(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static int near(double a, double b, double eps)
{
    return fabs(a - b) <= eps;
}

/* n connections from T0: interval period * (1 + jitter * U(-1, 1)), or exponential with mean
   period when jitter < 0; sizes bytes * (1 + size_jitter * U(-1, 1)). */
static int build(struct beacon_series *s, unsigned n, double period, double jitter, double bytes,
                 double size_jitter, uint32_t cap)
{
    uint64_t rng = 42;
    memset(s, 0, sizeof *s);
    s->cap = cap;
    double t = 0;
    for (unsigned i = 0; i < n; i++) {
        double sz = bytes * (1 + size_jitter * (2 * unif(&rng) - 1));
        int rc = beacon_series_add(s, T0 + (int64_t)(t * SEC), sz, NULL);
        if (rc)
            return rc;
        t += jitter < 0 ? -log(unif(&rng)) * period : period * (1 + jitter * (2 * unif(&rng) - 1));
    }
    return 0;
}

TEST(beacon_regularity_exact)
{
    struct beacon_reg r;
    double same[] = {60, 60, 60, 60, 60};
    beacon_regularity(same, 5, &r);
    ASSERT_TRUE(r.median == 60 && r.mad == 0 && r.skew == 0 && r.score == 1);
    /* median 60, MAD 10: s_mad = 1 - 2 * 10/60 = 2/3; quartiles 55, 65: no skew. */
    double three[] = {70, 50, 60};
    beacon_regularity(three, 3, &r);
    ASSERT_TRUE(r.median == 60 && r.mad == 10 && r.skew == 0);
    ASSERT_TRUE(near(r.score, sqrt(2.0 / 3), 1e-12));
    /* Skewed: quartiles 2 and 30 around a median of 3; deviations 0 1 2 27 297, MAD 2. */
    double spread[] = {1, 2, 3, 30, 300};
    beacon_regularity(spread, 5, &r);
    ASSERT_TRUE(r.median == 3 && r.mad == 2);
    ASSERT_TRUE(near(r.skew, (30 + 2 - 2 * 3.0) / (30 - 2.0), 1e-12));
    ASSERT_TRUE(r.score == 0); /* 2 * MAD / median > 1 */
    /* Too few values, or a median of 0, score nothing. */
    double two[] = {60, 60};
    beacon_regularity(two, 2, &r);
    ASSERT_TRUE(r.score == 0);
    double zero[] = {0, 0, 0, 5};
    beacon_regularity(zero, 4, &r);
    ASSERT_TRUE(r.score == 0);
}

TEST(beacon_perfect_scores_one)
{
    struct beacon_series s;
    ASSERT_EQ(build(&s, 600, 60, 0, 1200, 0, 1000), 0);
    ASSERT_EQ(s.n, 600);
    ASSERT_EQ(s.kept, 599);
    ASSERT_EQ(s.hours, 10); /* 599 minutes from 00:00 */
    double scratch[1000];
    struct beacon_score sc;
    ASSERT_EQ(beacon_score(&s, 8, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(sc.iv.median == 60 && sc.iv.mad == 0 && sc.iv.score == 1);
    ASSERT_TRUE(sc.sz.median == 1200 && sc.sz.score == 1);
    ASSERT_TRUE(sc.coverage == 1 && sc.duration == 1 && sc.prevalence == 1);
    ASSERT_TRUE(sc.score == 1);
    /* Four hosts call it (prevalence 3/6) and the server is internal (weight 0.6). */
    ASSERT_EQ(beacon_score(&s, 8, 4, 3, 0.6, scratch, &sc), 0);
    ASSERT_TRUE(near(sc.score, 0.3, 1e-12));
    /* Full duration at 20 h: 599 min / 1200 min. */
    ASSERT_EQ(beacon_score(&s, 20, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(near(sc.duration, 599.0 / 1200, 1e-12));
    ASSERT_TRUE(near(sc.score, (1 + 1 + 599.0 / 1200) / 3, 1e-12));
    beacon_series_release(&s);
}

TEST(beacon_jitter_still_high)
{
    double scratch[1000];
    struct beacon_score sc;
    struct beacon_series s;
    /* ±15 % uniform jitter: MAD ≈ 7.5 % of the median, so s_mad ≈ 0.85; skew ≈ 0. */
    ASSERT_EQ(build(&s, 600, 60, 0.15, 1200, 0.02, 1000), 0);
    ASSERT_EQ(beacon_score(&s, 8, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(near(sc.iv.median, 60, 1.5));
    ASSERT_TRUE(near(sc.iv.mad / sc.iv.median, 0.075, 0.01));
    ASSERT_TRUE(fabs(sc.iv.skew) < 0.1);
    ASSERT_TRUE(sc.iv.score > 0.8);
    ASSERT_TRUE(sc.sz.score > 0.95);
    ASSERT_TRUE(sc.score > 0.8);
    beacon_series_release(&s);
    /* ±20 % still scores high. */
    ASSERT_EQ(build(&s, 600, 60, 0.20, 1200, 0.02, 1000), 0);
    ASSERT_EQ(beacon_score(&s, 8, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(sc.iv.score > 0.75);
    beacon_series_release(&s);
}

TEST(beacon_poisson_low)
{
    double scratch[1000];
    struct beacon_score sc;
    struct beacon_series s;
    /* Exponential intervals: MAD/median ≈ 0.48/0.69 ≈ 0.69, so 1 - 2 MAD/median < 0. */
    ASSERT_EQ(build(&s, 600, 60, -1, 1200, 0.02, 1000), 0);
    ASSERT_EQ(beacon_score(&s, 8, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(near(sc.iv.mad / sc.iv.median, 0.69, 0.08));
    ASSERT_TRUE(sc.iv.score == 0 && sc.score == 0);
    beacon_series_release(&s);
    /* Uniform on (0, 120 s): ±100 % jitter scores 0 too (up to sampling noise). */
    ASSERT_EQ(build(&s, 600, 60, 1.0, 1200, 0.02, 1000), 0);
    ASSERT_EQ(beacon_score(&s, 8, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(sc.iv.score < 0.2);
    beacon_series_release(&s);
}

TEST(beacon_coverage_duration_prevalence)
{
    struct beacon_series s = {.cap = 100};
    /* 30 connections a minute apart in hour 0, 30 more in hour 10: 2 of 11 hours. */
    for (int i = 0; i < 30; i++)
        ASSERT_EQ(beacon_series_add(&s, T0 + i * 60 * SEC, 100, NULL), 0);
    for (int i = 0; i < 30; i++)
        ASSERT_EQ(beacon_series_add(&s, T0 + (36000 + i * 60) * SEC, 100, NULL), 0);
    ASSERT_EQ(s.hours, 2);
    ASSERT_TRUE(near(beacon_coverage(&s), 2.0 / 11, 1e-12));
    ASSERT_TRUE(near(beacon_duration(&s, 20), (36000 + 29 * 60) / 3600.0 / 20, 1e-12));
    ASSERT_TRUE(beacon_duration(&s, 8) == 1);
    ASSERT_EQ(s.day_hours, (1u << 0) | (1u << 10));
    beacon_series_release(&s);
    /* Slow beacon (2 h): one start per touched hour is full coverage. */
    struct beacon_series slow = {.cap = 100};
    for (int i = 0; i < 24; i++)
        ASSERT_EQ(beacon_series_add(&slow, T0 + i * 7200 * SEC, 100, NULL), 0);
    ASSERT_TRUE(beacon_coverage(&slow) == 1);
    beacon_series_release(&slow);
    ASSERT_TRUE(beacon_prevalence(1, 3) == 1);
    ASSERT_TRUE(beacon_prevalence(0, 3) == 1);
    ASSERT_TRUE(beacon_prevalence(4, 3) == 0.5);
    ASSERT_TRUE(beacon_prevalence(10, 3) == 0.25);
}

TEST(beacon_reservoir_bounded)
{
    struct beacon_series s;
    ASSERT_EQ(build(&s, 5000, 60, 0.1, 500, 0, 100), 0);
    ASSERT_EQ(s.n, 5000);
    ASSERT_EQ(s.kept, 100);
    ASSERT_EQ(s.alloc, 100);
    /* The sample is of the whole series: its median interval is still about 60 s. */
    double scratch[100];
    struct beacon_score sc;
    ASSERT_EQ(beacon_score(&s, 8, 1, 3, 1, scratch, &sc), 0);
    ASSERT_TRUE(near(sc.iv.median, 60, 3));
    beacon_series_release(&s);

    /* A budget: 16 slots first, then doubling; 20 left refuses the second growth. */
    struct beacon_series b = {.cap = 1000};
    int64_t budget = 20;
    int rc = 0;
    unsigned i;
    for (i = 0; i < 100 && !rc; i++)
        rc = beacon_series_add(&b, T0 + (int64_t)i * 60 * SEC, 100, &budget);
    ASSERT_EQ(rc, KS_ELIMIT);
    ASSERT_EQ(b.alloc, 16);
    ASSERT_EQ(budget, 4);
    ASSERT_EQ(b.n, 17); /* the refused connection is not counted */
    beacon_series_release(&b);

    /* Out of order or equal starts count as a zero interval, never a negative one. */
    struct beacon_series o = {.cap = 10};
    ASSERT_EQ(beacon_series_add(&o, T0 + 100 * SEC, 1, NULL), 0);
    ASSERT_EQ(beacon_series_add(&o, T0 + 50 * SEC, 1, NULL), 0);
    ASSERT_TRUE(o.iv[0] == 0 && o.last_ns == T0 + 100 * SEC);
    double few[10];
    struct beacon_score fs;
    ASSERT_EQ(beacon_score(&o, 8, 1, 3, 1, few, &fs), KS_EINVAL);
    beacon_series_release(&o);
}

TEST(egress_pcr_and_score)
{
    ASSERT_TRUE(egress_pcr(0, 0) == 0 && egress_pcr(1, 0) == 1 && egress_pcr(0, 1) == -1);
    ASSERT_TRUE(egress_pcr(3, 1) == 0.5);
    /* A consumer (5 MB out, 50 MB in a day) now sends 200 MB and receives 10 MB. */
    struct egress_in in = {.now_out = 200e6,
                           .now_in = 10e6,
                           .base_out = 5e6,
                           .base_in = 50e6,
                           .has_base = 1,
                           .fleet_base = 2e6,
                           .fleet_jump = 1,
                           .floor = 1e6,
                           .jump_half = 10,
                           .vol_half = 100e6};
    struct egress_score sc;
    egress_score(&in, &sc);
    ASSERT_TRUE(sc.jump == 40 && sc.rel == 40);
    ASSERT_TRUE(near(sc.s_jump, 0.8, 1e-12));
    ASSERT_TRUE(near(sc.pcr_now, 190.0 / 210, 1e-12) && near(sc.pcr_base, -45.0 / 55, 1e-12));
    ASSERT_TRUE(near(sc.s_pcr, (190.0 / 210 + 45.0 / 55) / 2, 1e-12));
    ASSERT_TRUE(near(sc.s_vol, 2.0 / 3, 1e-12));
    ASSERT_TRUE(near(sc.score, 2.0 / 3 * (190.0 / 210 + 45.0 / 55) / 2, 1e-12));
    /* Every host sent 4x more today: the host's 40x is 10x relative, s_jump 0.5. */
    in.fleet_jump = 4;
    egress_score(&in, &sc);
    ASSERT_TRUE(sc.rel == 10 && sc.s_jump == 0.5);
    /* A producer that stays one (PCR 4/6 then 150/250): no PCR rise; the jump alone scores. */
    in.base_in = 1e6;
    in.now_in = 50e6;
    egress_score(&in, &sc);
    ASSERT_TRUE(sc.s_pcr == 0 && near(sc.score, 2.0 / 3 * 0.5, 1e-12));
    /* A tiny baseline counts as the floor: 10 KB -> 2 MB is 2x, not 200x. */
    struct egress_in tiny = in;
    tiny.base_out = 10e3;
    tiny.now_out = 2e6;
    tiny.fleet_jump = 1;
    egress_score(&tiny, &sc);
    ASSERT_TRUE(sc.jump == 2);
    /* A new talker is measured against the hosts' median baseline; no PCR change of its own. */
    struct egress_in fresh = in;
    fresh.has_base = 0;
    fresh.fleet_jump = 1;
    egress_score(&fresh, &sc);
    ASSERT_TRUE(sc.jump == 100 && sc.s_pcr == 0 && sc.pcr_base == sc.pcr_now);
    ASSERT_TRUE(near(sc.score, 2.0 / 3 * (100.0 / 110), 1e-12));
}
