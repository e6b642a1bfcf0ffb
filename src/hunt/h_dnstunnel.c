/*
 * h_dnstunnel.c — the `dns-tunnel` analysis: data or commands carried in DNS (iodine, dnscat2,
 * dns2tcp, DNSExfiltrator, PowerShell TXT stagers and their command polls).
 *
 * A tunnel needs a domain whose name server the attacker runs, and every byte has to travel in
 * query names (encoded: long, high-entropy labels, each name new) or in answers (TXT, NULL,
 * KEY records, which clients otherwise hardly ask for).  So per (client, registered domain —
 * public-suffix aware, hunt_regdomain) it measures the queries, unique names, tunnel-type
 * queries (TXT/NULL/KEY except mail-policy lookups; CNAME/MX whose name has a label of at
 * least long_label characters), and over the unique names the mean longest label below the
 * registered domain and the mean Shannon entropy of that part.
 *
 * Per day file, SQL does the aggregation: the DNS transactions of the range (dnsq.h) grouped by
 * (client, name), and those of (client, domain) pairs that could score at all — some
 * tunnel-type query, or some label of at least label_lo characters that day — come back as one
 * row per name, plus one row per pair with its distinct sessions.  Short ordinary names never
 * reach C.  Unique names are counted per day and summed over days.  In C the pairs are merged
 * across days in a map bounded by max_pairs; then the clients per domain (resolvers left out)
 * are counted, so that a domain many hosts ask (a CDN, an antivirus reputation service) is
 * discounted.  A client that itself answers DNS (a resolver forwarding its clients' queries)
 * is halved, so the host behind it ranks first.
 *
 * Score (feat_tunnel_score, feat.h): the "names" part (encoded data in names, shape × volume of
 * unique names) and the "types" part (volume of TXT-like queries, which also catches a C2 that
 * polls one name) combined as 1 - (1 - names)(1 - types), divided by 1 + (hosts - 1) /
 * spread_hosts, halved for a resolver.  Results need min_queries queries and min_score.
 */
#include "hunt/dnsq.h"
#include "hunt/feat.h"
#include "hunt/hunt.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct tpair {
    uint64_t queries, names, types, sessions, max_repeat;
    double sum_longest, sum_entropy;
    int64_t first_ns, last_ns;
    uint8_t src[16];
    float best_w;
    char example[96]; /* the most telling name (truncated) */
    struct feat_top ev;
};

struct tn {
    struct hunt_ctx *ctx;
    struct hunt_map pairs, resolvers, hosts;
    struct feat_tunnel_params p;
    double min_queries, min_score, long_label;
};

/* key = 16-byte client address, then the registered domain */
static struct tpair *pair_get(struct tn *t, const void *src, const char *rd)
{
    uint8_t key[16 + 256];
    size_t rl = strlen(rd);
    if (rl > 255)
        return NULL;
    memcpy(key, src, 16);
    memcpy(key + 16, rd, rl);
    struct tpair *p = hunt_map_get(&t->pairs, key, 16 + rl, 1);
    if (p)
        memcpy(p->src, src, 16);
    return p;
}

static void name_row(struct tpair *p, sqlite3_stmt *s)
{
    const char *rd = (const char *)sqlite3_column_text(s, 2);
    const char *qn = (const char *)sqlite3_column_text(s, 3);
    uint64_t c = (uint64_t)sqlite3_column_int64(s, 4), ty = (uint64_t)sqlite3_column_int64(s, 5);
    const char *sub;
    size_t n = feat_sub(qn, rd, &sub);
    struct feat_name f;
    feat_name(sub, n, &f);
    p->queries += c;
    p->names++;
    p->types += ty;
    p->sum_longest += (double)f.longest;
    p->sum_entropy += f.entropy;
    if (c > p->max_repeat)
        p->max_repeat = c;
    int64_t t0 = sqlite3_column_int64(s, 6), t1 = sqlite3_column_int64(s, 7);
    if (!p->first_ns || t0 < p->first_ns)
        p->first_ns = t0;
    if (t1 > p->last_ns)
        p->last_ns = t1;
    /* Most telling: tunnel-type queries, then long labels, then high entropy. */
    double w = (ty ? 100.0 : 0) + (double)f.longest + f.entropy;
    feat_top_add(&p->ev, (uint64_t)sqlite3_column_int64(s, 8), w);
    if (w > p->best_w || !p->example[0]) {
        p->best_w = (float)w;
        snprintf(p->example, sizeof p->example, "%s", qn);
    }
}

static int tn_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct tn *t = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s;
    int rc = dnsq_prepare(
        t->ctx, db, &t->resolvers, "dns-tunnel",
        "WITH q AS MATERIALIZED (SELECT src, id, t, qn, ks_rd(qn) AS rd,"
        "  CASE WHEN qt IN ('TXT', 'NULL', 'KEY') THEN NOT ks_txt_policy(qn, j)"
        "   WHEN qt IN ('CNAME', 'MX') THEN ks_longest(qn) >= ?4 ELSE 0 END AS ty"
        "  FROM (" DNSQ_TXNS ") WHERE qn IS NOT NULL),"
        " n AS MATERIALIZED (SELECT src, rd, qn, count(*) AS c, sum(ty) AS ty,"
        "  min(t) AS t0, max(t) AS t1, max(id) AS eid FROM q WHERE rd <> '' GROUP BY src, qn),"
        " e AS MATERIALIZED (SELECT src, rd FROM n GROUP BY src, rd"
        "  HAVING sum(ty) > 0 OR max(ks_longest(qn, rd)) >= ?3)"
        " SELECT 0, n.src, n.rd, n.qn, n.c, n.ty, n.t0, n.t1, n.eid"
        "  FROM n JOIN e USING (src, rd)"
        " UNION ALL"
        " SELECT 1, q.src, q.rd, NULL, count(DISTINCT q.id), 0, 0, 0, 0"
        "  FROM q JOIN e USING (src, rd) GROUP BY q.src, q.rd",
        &s);
    if (rc)
        return rc;
    sqlite3_bind_double(s, 3, t->p.label_lo);
    sqlite3_bind_double(s, 4, t->long_label);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 1) != 16 || !sqlite3_column_text(s, 2))
            continue;
        struct tpair *p =
            pair_get(t, sqlite3_column_blob(s, 1), (const char *)sqlite3_column_text(s, 2));
        if (!p)
            continue; /* over the cap: counted in pairs.refused */
        if (sqlite3_column_int(s, 0) == 1)
            p->sessions += (uint64_t)sqlite3_column_int64(s, 4);
        else if (sqlite3_column_text(s, 3))
            name_row(p, s);
    }
    return hunt_finish(t->ctx, db, s, st, "dns-tunnel");
}

/* Clients per registered domain, resolvers left out. */
static int tn_count_hosts(void *arg, const void *key, size_t klen, void *value)
{
    struct tn *t = arg;
    (void)value;
    if (hunt_map_get(&t->resolvers, key, 16, 0))
        return 0;
    unsigned *h = hunt_map_get(&t->hosts, (const char *)key + 16, klen - 16, 1);
    if (h)
        (*h)++;
    return 0;
}

static int tn_emit(void *arg, const void *key, size_t klen, void *value)
{
    struct tn *t = arg;
    struct tpair *p = value;
    if ((double)p->queries < t->min_queries || !p->names)
        return 0;
    unsigned *h = hunt_map_get(&t->hosts, (const char *)key + 16, klen - 16, 0);
    struct feat_tunnel f = {
        .queries = p->queries,
        .names = p->names,
        .tunnel_types = p->types,
        .avg_longest = p->sum_longest / (double)p->names,
        .avg_entropy = p->sum_entropy / (double)p->names,
        .hosts = h ? *h : 1,
        .resolver = hunt_map_get(&t->resolvers, key, 16, 0) != NULL,
    };
    struct hunt_result r = {0};
    r.score = feat_tunnel_score(&f, &t->p);
    if (r.score < t->min_score)
        return 0;
    hunt_addr(p->src, 16, r.src, sizeof r.src);
    snprintf(r.domain, sizeof r.domain, "%.*s", (int)(klen - 16), (const char *)key + 16);
    snprintf(r.detail, sizeof r.detail, "%s", p->example);
    char extra[200] = "";
    size_t el = 0;
    if (p->max_repeat >= 5 && p->max_repeat * 2 >= p->queries)
        el += (size_t)snprintf(extra + el, sizeof extra - el, "; one name asked %" PRIu64 " times",
                               p->max_repeat);
    if (f.hosts > 1 && el < sizeof extra)
        el +=
            (size_t)snprintf(extra + el, sizeof extra - el, "; %u hosts ask this domain", f.hosts);
    if (f.resolver && el < sizeof extra)
        snprintf(extra + el, sizeof extra - el, "; %s answers DNS itself (forwarding?)", r.src);
    /* One line for a person to read: cut, if ever, at the end. */
    if (snprintf(
            r.explain, sizeof r.explain,
            "%s sent %" PRIu64 " queries (%" PRIu64 " TXT/NULL/KEY-like) for %" PRIu64
            " unique names under %s, longest label %.0f chars avg, %.1f bits/char%s; e.g. %.80s",
            r.src, p->queries, p->types, p->names, r.domain, f.avg_longest, f.avg_entropy, extra,
            p->example) >= (int)sizeof r.explain)
        r.explain[sizeof r.explain - 1] = '\0';
    /* Names carrying data are tunnelling/exfiltration; a TXT channel on short names is C2. */
    if (f.avg_longest < t->p.label_lo)
        snprintf(r.attack, sizeof r.attack, "T1071.004");
    for (unsigned i = 0; i < p->ev.n; i++)
        hunt_result_event(&r, p->ev.id[i]);
    r.sessions = p->sessions ? p->sessions : r.nevents;
    r.first_ns = p->first_ns;
    r.last_ns = p->last_ns;
    return hunt_emit(t->ctx, &r);
}

static int dnstunnel_run(struct hunt_ctx *ctx)
{
    struct tn t = {
        .ctx = ctx,
        .p = {.half_names = hunt_num(ctx, "half_names"),
              .half_types = hunt_num(ctx, "half_types"),
              .label_lo = hunt_num(ctx, "label_lo"),
              .label_hi = hunt_num(ctx, "label_hi"),
              .spread_hosts = hunt_num(ctx, "spread_hosts")},
        .min_queries = hunt_num(ctx, "min_queries"),
        .min_score = hunt_num(ctx, "min_score"),
        .long_label = hunt_num(ctx, "long_label"),
    };
    if (!(t.p.half_names > 0) || !(t.p.half_types > 0) || !(t.p.label_hi > t.p.label_lo) ||
        !(t.p.spread_hosts > 0))
        return hunt_fail(ctx, KS_EINVAL,
                         "half_names, half_types and spread_hosts must be positive and label_hi "
                         "above label_lo");
    hunt_map_init(&t.pairs, sizeof(struct tpair), (size_t)hunt_num(ctx, "max_pairs"));
    hunt_map_init(&t.resolvers, 1, 100000);
    hunt_map_init(&t.hosts, sizeof(unsigned), (size_t)hunt_num(ctx, "max_pairs"));
    int rc = hunt_days(ctx, tn_day, &t);
    if (!rc && t.pairs.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f (client, domain) pairs with long labels or TXT queries: "
                       "raise max_pairs or narrow --since/--until",
                       hunt_num(ctx, "max_pairs"));
    if (!rc)
        rc = hunt_map_each(&t.pairs, tn_count_hosts, &t);
    if (!rc)
        rc = hunt_map_each(&t.pairs, tn_emit, &t);
    hunt_map_release(&t.pairs);
    hunt_map_release(&t.resolvers);
    hunt_map_release(&t.hosts);
    return rc;
}

const struct hunt_kind hunt_kind_dnstunnel = {"dns-tunnel", dnstunnel_run};
