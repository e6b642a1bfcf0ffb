/*
 * feat.h — the pure parts of the DNS and Kerberos hunts (feat.c): features of query names,
 * DGA-likeness of a domain label, the most events inside a sliding window, and the score
 * formulas of dns-tunnel, nxdomain and krb-spray.  No I/O, no store: unit-tested on their own
 * (tests/unit/test_hunt_dns.c); the analyses (h_dnstunnel.c, h_nxdomain.c, h_krbspray.c) feed
 * them what they aggregate from the day files.
 */
#ifndef KONSEKI_HUNT_FEAT_H
#define KONSEKI_HUNT_FEAT_H

#include <stddef.h>
#include <stdint.h>

/* What a hunt learns from one name (or the part of it below the registered domain). */
struct feat_name {
    size_t len;     /* characters, dots excluded */
    size_t labels;  /* labels */
    size_t longest; /* characters of the longest label */
    double entropy; /* Shannon entropy of the characters (dots excluded), bits per character */
};

/*
 * The part of qname below its registered domain rd: "a.b" of "a.b.example.com" under
 * "example.com".  Returns its length (0 when qname is rd itself or does not end in "." rd);
 * *sub points into qname.  A trailing dot on qname is ignored.
 */
size_t feat_sub(const char *qname, const char *rd, const char **sub);
void feat_name(const char *s, size_t n, struct feat_name *out);

/*
 * DGA-likeness in [0, 1] of one label (the registrable label: "xjw8ak2lqp" of
 * "xjw8ak2lqp.com"), lowercase: 0 for labels shorter than 6 characters or without letters;
 * otherwise length-weighted (full weight from 12 characters) mix of
 *   0.45 rare letter pairs: share of adjacent letter pairs outside the ~240 most common English
 *        bigrams, 0 at 20 %, 1 at 60 % (words and brands sit below 20 %, random letters ~60 %),
 *   0.20 few vowels: a/e/i/o/u among letters, 0 at 35 % (English), 1 at 15 %,
 *   0.15 consonant runs: longest run, 0 at 3, 1 at 6,
 *   0.20 digits mixed with letters: 0 without, 1 at a quarter of the label.
 */
double feat_dga(const char *label, size_t n);

/* The largest number of values of t (n values, sorted in place) inside any window [x, x+w]. */
size_t feat_window_max(double *t, size_t n, double w);

/* The most telling evidence ids of one result: the FEAT_TOP with the highest weights. */
#define FEAT_TOP 16
struct feat_top {
    uint64_t id[FEAT_TOP];
    float w[FEAT_TOP];
    unsigned n;
};
/* Adds id with weight w (an id already held keeps the higher weight); kept sorted, best first. */
void feat_top_add(struct feat_top *t, uint64_t id, double w);

/* ---------------------------------------------------------------- scores */

static inline double feat_clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* dns-tunnel: one (client, registered domain). */
struct feat_tunnel {
    uint64_t queries;      /* DNS transactions */
    uint64_t names;        /* unique names (per day, summed over days) */
    uint64_t tunnel_types; /* TXT/NULL/KEY (policy TXT excluded), CNAME/MX with a long label */
    double avg_longest;    /* mean longest-label length over the unique names */
    double avg_entropy;    /* mean bits per character over the unique names */
    unsigned hosts;        /* clients (resolvers excluded) asking this registered domain */
    int resolver;          /* the client answers DNS itself: it forwards for others */
};
struct feat_tunnel_params {
    double half_names, half_types; /* unique names / tunnel-type queries that score 0.5 */
    double label_lo, label_hi;     /* mean longest label: 0 at lo, full at hi */
    double spread_hosts;           /* hosts past the first that halve the score */
};
/*
 *   shape  = clamp((avg_longest - label_lo) / (label_hi - label_lo))
 *            × (0.5 + 0.5 clamp((avg_entropy - 3) / 1.5))
 *   names  = shape × squash(names, half_names)          data carried in the names
 *   types  = squash(tunnel_types, half_types)            a TXT/NULL channel, polling included
 *   score  = (1 - (1 - names)(1 - types)) / (1 + (hosts - 1) / spread_hosts) × (½ if resolver)
 */
double feat_tunnel_score(const struct feat_tunnel *t, const struct feat_tunnel_params *p);

/* nxdomain: one client. */
struct feat_nx {
    uint64_t answered;   /* answered queries */
    uint64_t nx;         /* NXDOMAIN answers */
    uint64_t nx_domains; /* distinct registered domains among the NXDOMAIN names */
    double avg_dga;      /* mean feat_dga() of their registrable labels */
    int resolver;
};
struct feat_nx_params {
    double half_domains; /* NX registered domains that score 0.5 */
    double half_ratio;   /* NX share of answers that counts 0.5 */
};
/*
 *   score = squash(nx_domains, half_domains) × (0.2 + 0.8 avg_dga)
 *           × (0.6 + 0.4 squash(nx / answered, half_ratio)) × (½ if resolver)
 */
double feat_nx_score(const struct feat_nx *x, const struct feat_nx_params *p);

/* krb-spray: one (client, KDC). */
struct feat_krb {
    uint64_t users;        /* distinct client names in AS-REQs (per day, summed) */
    uint64_t window_users; /* most of them whose first AS-REQ fits one window */
    uint64_t failed_users; /* users answered PRINCIPAL_UNKNOWN, PREAUTH_FAILED or CLIENT_REVOKED */
    uint64_t max_bad;      /* most PREAUTH_FAILED answers for one user */
    int found; /* a user succeeded after this client's first failure, with at least 2 users
                  failed and at least half of all users failed (a spray, not a typo) */
};
struct feat_krb_params {
    double half_users;   /* users in one window that score 0.5 */
    double half_guesses; /* wrong passwords for one user that score 0.5 */
};
/*
 *   spray = squash(window_users, half_users) × (0.2 + 0.8 failed_users / users)
 *   guess = squash(max_bad, half_guesses)
 *   base  = 1 - (1 - spray)(1 - guess);   score = found ? base + (1 - base) / 2 : base
 */
double feat_krb_score(const struct feat_krb *k, const struct feat_krb_params *p);

#endif
