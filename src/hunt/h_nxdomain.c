/*
 * h_nxdomain.c — the `nxdomain` analysis: NXDOMAIN storms and DGA-like names per host.
 *
 * Malware that finds its C2 through a domain generation algorithm asks for hundreds of
 * generated domains a day and only the few its operator registered resolve: its host collects
 * NXDOMAIN answers for many distinct, random-looking registered domains.  Ordinary hosts get a
 * few NXDOMAINs (typos, stale links) and search-suffix misses (wpad.corp.example, a short name
 * with the DNS suffix appended), which pile up under one or two registered domains with
 * ordinary labels.
 *
 * Per day file SQL groups the range's NXDOMAIN answers (dnsq.h) by (client, registered domain)
 * and counts each such client's answered queries.  In C the (client, domain) pairs are kept in
 * a set across days (bounded by max_domains, so a domain seen on three days counts once) and
 * each new one adds its label's DGA-likeness (feat_dga, feat.h: rare letter pairs, few vowels,
 * consonant runs, digits among letters, length) to its client.  Names without a registered
 * domain (single labels) count as NXDOMAIN answers but not as domains.  A client that answers
 * DNS itself (a resolver, whose NXDOMAINs are its clients') is halved.
 *
 * Score (feat_nx_score): squash(NX domains, half_domains) × (0.2 + 0.8 mean DGA-likeness) ×
 * (0.6 + 0.4 squash(NX share of answers, half_ratio)), halved for a resolver.  Results need
 * min_domains NX registered domains and min_score.
 */
#include "hunt/dnsq.h"
#include "hunt/feat.h"
#include "hunt/hunt.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define NX_EXAMPLES 3

struct nxhost {
    uint64_t queries, answered, nx, nx_names, nx_domains, sessions;
    double sum_dga;
    int64_t first_ns, last_ns;
    struct feat_top ev;
    float ex_w[NX_EXAMPLES];
    char ex[NX_EXAMPLES][64]; /* the most DGA-like NX names, best first */
};

struct nx {
    struct hunt_ctx *ctx;
    struct hunt_map hosts, domains, resolvers;
    struct feat_nx_params p;
    double min_domains, min_score;
};

static void nx_example(struct nxhost *h, const char *name, double w)
{
    for (unsigned i = 0; i < NX_EXAMPLES; i++) {
        if (h->ex[i][0] && !(w > h->ex_w[i]))
            continue;
        memmove(&h->ex[i + 1], &h->ex[i], (NX_EXAMPLES - 1 - i) * sizeof h->ex[0]);
        memmove(&h->ex_w[i + 1], &h->ex_w[i], (NX_EXAMPLES - 1 - i) * sizeof h->ex_w[0]);
        snprintf(h->ex[i], sizeof h->ex[i], "%s", name);
        h->ex_w[i] = (float)w;
        return;
    }
}

/* One (client, NX registered domain) row of a day. */
static void nx_domain_row(struct nx *x, struct nxhost *h, const void *src, sqlite3_stmt *s)
{
    const char *rd = (const char *)sqlite3_column_text(s, 2);
    const char *ex = (const char *)sqlite3_column_text(s, 8);
    h->nx += (uint64_t)sqlite3_column_int64(s, 3);
    int64_t t0 = sqlite3_column_int64(s, 5), t1 = sqlite3_column_int64(s, 6);
    if (!h->first_ns || t0 < h->first_ns)
        h->first_ns = t0;
    if (t1 > h->last_ns)
        h->last_ns = t1;
    if (!rd || !*rd) /* single labels: answers, not domains */
        return;
    size_t rl = strlen(rd);
    uint8_t key[16 + 256];
    if (rl > 255)
        return;
    memcpy(key, src, 16);
    memcpy(key + 16, rd, rl);
    int *seen = hunt_map_get(&x->domains, key, 16 + rl, 1);
    if (!seen || *seen)
        return; /* refused (counted) or already counted on an earlier day */
    *seen = 1;
    const char *dot = strchr(rd, '.');
    double dga = feat_dga(rd, dot ? (size_t)(dot - rd) : rl);
    h->nx_domains++;
    h->nx_names += (uint64_t)sqlite3_column_int64(s, 4);
    h->sum_dga += dga;
    feat_top_add(&h->ev, (uint64_t)sqlite3_column_int64(s, 7), dga);
    nx_example(h, ex ? ex : rd, dga);
}

static int nx_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct nx *x = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s;
    int rc = dnsq_prepare(
        x->ctx, db, &x->resolvers, "nxdomain",
        "WITH q AS MATERIALIZED (SELECT src, id, t, qn, rc FROM (" DNSQ_TXNS ")"
        "  WHERE qn IS NOT NULL),"
        " x AS MATERIALIZED (SELECT src, ks_rd(qn) AS rd, count(*) AS c,"
        "  count(DISTINCT qn) AS u, min(t) AS t0, max(t) AS t1, max(id) AS eid, max(qn) AS ex"
        "  FROM q WHERE rc = 'NXDOMAIN' GROUP BY src, rd)"
        " SELECT 0, src, rd, c, u, t0, t1, eid, ex FROM x"
        " UNION ALL"
        " SELECT 1, src, NULL, count(*), sum(rc IS NOT NULL),"
        "  count(DISTINCT CASE WHEN rc = 'NXDOMAIN' THEN id END), 0, 0, NULL"
        "  FROM q WHERE src IN (SELECT src FROM x) GROUP BY src",
        &s);
    if (rc)
        return rc;
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 1) != 16)
            continue;
        const void *src = sqlite3_column_blob(s, 1);
        struct nxhost *h = hunt_map_get(&x->hosts, src, 16, 1);
        if (!h)
            continue; /* over the cap: counted in hosts.refused */
        if (sqlite3_column_int(s, 0) == 0) {
            nx_domain_row(x, h, src, s);
        } else {
            h->queries += (uint64_t)sqlite3_column_int64(s, 3);
            h->answered += (uint64_t)sqlite3_column_int64(s, 4);
            h->sessions += (uint64_t)sqlite3_column_int64(s, 5);
        }
    }
    return hunt_finish(x->ctx, db, s, st, "nxdomain");
}

static int nx_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct nx *x = arg;
    struct nxhost *h = value;
    if ((double)h->nx_domains < x->min_domains || !h->nx_domains)
        return 0;
    struct feat_nx f = {
        .answered = h->answered,
        .nx = h->nx,
        .nx_domains = h->nx_domains,
        .avg_dga = h->sum_dga / (double)h->nx_domains,
        .resolver = hunt_map_get(&x->resolvers, key, 16, 0) != NULL,
    };
    struct hunt_result r = {0};
    r.score = feat_nx_score(&f, &x->p);
    if (r.score < x->min_score)
        return 0;
    hunt_addr(key, 16, r.src, sizeof r.src);
    snprintf(r.domain, sizeof r.domain, "%s", h->ex[0]);
    char ex[3 * 66] = "";
    for (size_t i = 0, el = 0; i < NX_EXAMPLES && h->ex[i][0] && el < sizeof ex; i++)
        el += (size_t)snprintf(ex + el, sizeof ex - el, "%s%s", i ? ", " : "", h->ex[i]);
    /* One line for a person to read: cut, if ever, at the end. */
    if (snprintf(r.explain, sizeof r.explain,
                 "%s got %" PRIu64 " NXDOMAIN answers (%.0f%% of %" PRIu64 " answered) for %" PRIu64
                 " names under %" PRIu64 " registered domains, DGA-likeness %.2f%s; e.g. %s",
                 r.src, h->nx, h->answered ? 100.0 * (double)h->nx / (double)h->answered : 0.0,
                 h->answered, h->nx_names, h->nx_domains, f.avg_dga,
                 f.resolver ? "; it answers DNS itself (a resolver forwarding its clients?)" : "",
                 ex) >= (int)sizeof r.explain)
        r.explain[sizeof r.explain - 1] = '\0';
    snprintf(r.detail, sizeof r.detail, "%" PRIu64 " NX domains", h->nx_domains);
    for (unsigned i = 0; i < h->ev.n; i++)
        hunt_result_event(&r, h->ev.id[i]);
    r.sessions = h->sessions ? h->sessions : r.nevents;
    r.first_ns = h->first_ns;
    r.last_ns = h->last_ns;
    return hunt_emit(x->ctx, &r);
}

static int nxdomain_run(struct hunt_ctx *ctx)
{
    struct nx x = {
        .ctx = ctx,
        .p = {.half_domains = hunt_num(ctx, "half_domains"),
              .half_ratio = hunt_num(ctx, "half_ratio")},
        .min_domains = hunt_num(ctx, "min_domains"),
        .min_score = hunt_num(ctx, "min_score"),
    };
    if (!(x.p.half_domains > 0) || !(x.p.half_ratio > 0))
        return hunt_fail(ctx, KS_EINVAL, "half_domains and half_ratio must be positive");
    hunt_map_init(&x.hosts, sizeof(struct nxhost), (size_t)hunt_num(ctx, "max_hosts"));
    hunt_map_init(&x.domains, sizeof(int), (size_t)hunt_num(ctx, "max_domains"));
    hunt_map_init(&x.resolvers, 1, 100000);
    int rc = hunt_days(ctx, nx_day, &x);
    if (!rc && (x.hosts.refused || x.domains.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f hosts or %.0f (host, NX domain) pairs: raise max_hosts / "
                       "max_domains or narrow --since/--until",
                       hunt_num(ctx, "max_hosts"), hunt_num(ctx, "max_domains"));
    if (!rc)
        rc = hunt_map_each(&x.hosts, nx_emit, &x);
    hunt_map_release(&x.hosts);
    hunt_map_release(&x.domains);
    hunt_map_release(&x.resolvers);
    return rc;
}

const struct hunt_kind hunt_kind_nxdomain = {"nxdomain", nxdomain_run};
