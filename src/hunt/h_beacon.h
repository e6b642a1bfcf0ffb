/*
 * h_beacon.h — the pure parts of the `beacon` analysis (h_beacon.c), apart so that the unit tests
 * (tests/unit/test_hunt_beacon.c) check them with exact numbers.
 *
 * A series is what the analysis keeps of one entity (a host pair, or a host and a name): the
 * starts of its connections arrive in time order; it counts them, remembers the first and the
 * last, counts the distinct clock hours they fall in, and keeps a bounded, uniformly sampled
 * reservoir (Vitter's algorithm R, with its own deterministic generator) of the intervals
 * between consecutive starts and of the connection sizes.  Memory per series is at most
 * 2 * cap floats however many connections it has.
 */
#ifndef KONSEKI_HUNT_H_BEACON_H
#define KONSEKI_HUNT_H_BEACON_H

#include <stddef.h>
#include <stdint.h>

struct beacon_series {
    uint64_t n; /* connections added */
    int64_t first_ns, last_ns;
    int64_t hour;         /* clock hour (since the epoch) of the last start */
    uint32_t hours;       /* distinct clock hours with a start */
    uint32_t day_hours;   /* bit h: a start in hour h of the UTC day */
    float *iv, *sz;       /* reservoirs: seconds between starts, bytes of a connection */
    uint32_t kept, alloc; /* samples in the reservoirs, room allocated */
    uint32_t cap;         /* most samples kept */
    uint64_t rng;         /* reservoir's generator state */
};

/*
 * Add a connection that started at t_ns (not before the previous one) and moved `bytes`.
 * *budget (may be NULL) is decremented for every sample slot allocated; KS_ELIMIT when it
 * would go below zero, KS_ENOMEM when allocation fails (the series stays valid either way).
 */
int beacon_series_add(struct beacon_series *s, int64_t t_ns, double bytes, int64_t *budget);
void beacon_series_release(struct beacon_series *s);

/* Regularity of a set of values (intervals or sizes). */
struct beacon_reg {
    double median, mad, skew; /* median, median absolute deviation, Bowley skewness */
    double score;             /* in [0, 1] */
};

/*
 * score = sqrt(s_skew * s_mad), s_skew = 1 - |Bowley skewness|, s_mad = max(0, 1 - 2 MAD/median)
 * (uniform jitter of ±j gives MAD = j/2 · median, so s_mad = 1 - j).  v (n values) is sorted in
 * place.  Fewer than 3 values or a median of 0 score 0.
 */
void beacon_regularity(double *v, size_t n, struct beacon_reg *out);

/*
 * Coverage: of the clock hours from the first start to the last (at most one per connection),
 * the share with a start.  1 for a steady beacon, low for bursts with long silences between.
 */
double beacon_coverage(const struct beacon_series *s);

/* Duration: hours from the first start to the last over `full_hours`, capped at 1. */
double beacon_duration(const struct beacon_series *s, double full_hours);

/* Prevalence factor: half / (half + nsrc - 1) — 1 for one host, 0.5 for half + 1 hosts. */
double beacon_prevalence(double nsrc, double half);

/* The four sub-scores of one series and its final score. */
struct beacon_score {
    struct beacon_reg iv, sz;
    double coverage, duration, prevalence;
    double score;
};

/*
 * score = weight * prevalence * iv.score * (sz.score + coverage + duration) / 3.  scratch holds
 * at least s->kept doubles.  Returns 0, or KS_EINVAL when the series has fewer than 3 intervals.
 */
int beacon_score(const struct beacon_series *s, double full_hours, double nsrc, double half,
                 double weight, double *scratch, struct beacon_score *out);

#endif
