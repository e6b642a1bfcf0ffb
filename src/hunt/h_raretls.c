/*
 * h_raretls.c — the `rare-tls` analysis: stack counting of TLS fingerprints and server names.
 * An implant or attacker tool brings its own TLS stack and its own server, so its handshakes
 * carry a client fingerprint that the network's browsers and agents do not share, reach a
 * domain no other host uses, and often go from one client to one server only.
 *
 * What is counted, over the internal clients of the range (zones decide "internal"):
 *   JA4    client fingerprint (tls.client.ja4, also QUIC's); the JA3 of the same handshakes is
 *          looked up for the rare ones.  JA3 is not stacked on its own: Chrome and Firefox shuffle
 *          the order of their extensions per connection (2023 on), which makes nearly every
 *          browser JA3 unique while the JA4 (sorted) stays common.  A rare JA4 whose JA3 is
 *          common, or whose cipher and extension hashes (JA4's b_c parts) are a common JA4's, is
 *          a variant of a common client (another ALPN, no SNI): weight 0.5.
 *   JA3S   server fingerprint (tls.server.ja3s), weight 0.7.
 *   domain the registered domain (public suffix list) of the SNI, weight 0.6: a rare name on
 *          its own is a long-tail website as often as a C2 server.
 *
 * Per day file, one GROUP BY (value, client, server) per kind over `fields` joined to the
 * sessions of the range (indexes only, no JSON) feeds a map per (kind, value) that keeps up to
 * max_hosts + 1 clients, the server (one, or "several"), sessions and first/last time.  Values
 * seen from at most max_hosts internal hosts are candidates; a second pass over the days
 * fetches, for the candidates worth emitting only, their first sessions, SNI and JA3 (records
 * JSON, by id), and a third counts the hosts of those JA3s.
 *
 * Score of a candidate, in [0, 1]:
 *   w × rarity × (0.25 + 0.45·new + 0.3·single) × (0.5 if its server is internal)
 *   rarity = (1 / hosts) × (1 − hosts / all internal TLS clients)
 *   new    = 1 when first seen within `recent` of the end of the data and the data goes back
 *            further than that, 0 when seen before, 0.5 when the data is too short to say
 *   single = 1 when one server only
 *   w      = the kind's weight; for JA3S and domains × 0.5 with one session, × 0.75 with two (one
 *            visit to a rare website is the long tail of browsing; a C2 server is contacted
 *            again and again)
 * Candidates of one client to one server (JA4, JA3S and domain of the same implant) become one
 * result: the best score + 0.05 for each other rare kind that agrees.  Results under min_score
 * are not emitted.
 */
#include "hunt/hunt.h"
#include "hunt/netlib.h"
#include "hunt/tlsweb.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_HOSTS_MAX 5 /* largest max_hosts accepted */
#define RT_EV 16       /* evidence ids gathered per candidate */

enum { K_JA4, K_JA3S, K_DOM, K_N };
static const char *const kind_path[K_N] = {"tls.client.ja4", "tls.server.ja3s",
                                           "tls.client.server_name"};
static const double kind_weight[K_N] = {1.0, 0.7, 0.6};

struct fpstat {
    uint8_t hosts[RT_HOSTS_MAX + 1][16];
    unsigned nhosts; /* kept up to max_hosts + 1 (more = common) */
    uint8_t dst[16];
    unsigned ndst; /* 0, 1, or 2 = more than one */
    int dst_internal;
    uint64_t sessions, first_id;
    int64_t first_ns, last_ns;
    char sni[128]; /* K_DOM: the first SNI under the domain */
    int more_sni;
};

struct cand {
    int kind;
    const char *value; /* the map's key text (stable: entries are never freed before the end) */
    struct fpstat *st;
    double score;
    char ja3[40], sni[128];
    int more_ja3;
    uint8_t ja3_hosts[RT_HOSTS_MAX + 1][16];
    unsigned nja3_hosts;
    uint64_t ev[RT_EV];
    unsigned nev;
    int group;   /* index of the candidate that leads its (client, server) group, or -1 */
    int variant; /* K_JA4: same ciphers and extensions as a common JA4 */
    int done;
};

struct rt {
    struct hunt_ctx *ctx;
    struct hunt_map stats, clients, common_sfx;
    unsigned max_hosts;
    double min_score, recent;
    int64_t lo, hi, end_ns;
    int baseline;
    struct cand *c;
    size_t nc, cc;
};

static int add_host(uint8_t (*hosts)[16], unsigned *n, unsigned keep, const uint8_t *ip)
{
    for (unsigned i = 0; i < *n; i++)
        if (memcmp(hosts[i], ip, 16) == 0)
            return 0;
    if (*n < keep)
        memcpy(hosts[(*n)++], ip, 16);
    return 1;
}

static int rt_kind_day(struct rt *rt, sqlite3 *db, int kind)
{
    int64_t pid;
    int rc = hunt_path_id(db, kind_path[kind], &pid);
    if (rc)
        return rc > 0 ? 0 : hunt_fail(rt->ctx, rc, "rare-tls: %s", sqlite3_errmsg(db));
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT f.value, s.src_ip, s.dst_ip, count(DISTINCT s.id),"
                           " min(s.first_ns), max(s.last_ns), min(s.id)"
                           " FROM fields f JOIN sessions s ON s.id = f.id"
                           " WHERE f.pid = ?3 AND s.first_ns BETWEEN ?1 AND ?2"
                           " GROUP BY f.value, s.src_ip, s.dst_ip",
                           -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(rt->ctx, KS_ESQL, "rare-tls: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(s, 1, rt->lo);
    sqlite3_bind_int64(s, 2, rt->hi);
    sqlite3_bind_int64(s, 3, pid);
    int st;
    uint8_t one = 1;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        if (!v || !*v || sqlite3_column_bytes(s, 1) != 16 || sqlite3_column_bytes(s, 2) != 16)
            continue;
        const uint8_t *src = sqlite3_column_blob(s, 1), *dst = sqlite3_column_blob(s, 2);
        if (!hunt_internal(rt->ctx, src))
            continue;
        if (kind == K_JA4) {
            uint8_t *c = hunt_map_get(&rt->clients, src, 16, 1);
            if (c)
                *c = one;
        }
        char key[300];
        size_t kl;
        key[0] = (char)('0' + kind);
        if (kind == K_DOM) {
            char reg[256];
            hunt_regdomain(v, reg, sizeof reg);
            kl = 1 + (size_t)snprintf(key + 1, sizeof key - 1, "%s", reg[0] ? reg : v);
        } else {
            kl = 1 + (size_t)snprintf(key + 1, sizeof key - 1, "%s", v);
        }
        if (kl >= sizeof key)
            kl = sizeof key - 1;
        struct fpstat *p = hunt_map_get(&rt->stats, key, kl, 1);
        if (!p)
            continue; /* over the cap: counted in stats.refused */
        add_host(p->hosts, &p->nhosts, rt->max_hosts + 1, src);
        if (!p->ndst) {
            memcpy(p->dst, dst, 16);
            p->ndst = 1;
        } else if (p->ndst == 1 && memcmp(p->dst, dst, 16) != 0) {
            p->ndst = 2;
        }
        p->dst_internal |= hunt_internal(rt->ctx, dst);
        p->sessions += (uint64_t)sqlite3_column_int64(s, 3);
        int64_t f = sqlite3_column_int64(s, 4), l = sqlite3_column_int64(s, 5);
        if (!p->first_ns || f < p->first_ns) {
            p->first_ns = f;
            p->first_id = (uint64_t)sqlite3_column_int64(s, 6);
        }
        if (l > p->last_ns)
            p->last_ns = l;
        if (kind == K_DOM) {
            if (!p->sni[0])
                snprintf(p->sni, sizeof p->sni, "%s", v);
            else if (strcmp(p->sni, v) != 0)
                p->more_sni = 1;
        }
    }
    sqlite3_finalize(s);
    if (st != SQLITE_DONE)
        return hunt_fail(rt->ctx, KS_ESQL, "rare-tls: %s", sqlite3_errmsg(db));
    return 0;
}

static int rt_day(void *arg, int day, void *db)
{
    (void)day;
    struct rt *rt = arg;
    for (int k = 0; k < K_N; k++) {
        int rc = rt_kind_day(rt, db, k);
        if (rc)
            return rc;
    }
    return 0;
}

static double rt_score(const struct rt *rt, const struct cand *c)
{
    const struct fpstat *p = c->st;
    double total = (double)rt->clients.n, h = (double)p->nhosts;
    if (total <= h)
        return 0;
    double rarity = (1.0 / h) * (1.0 - h / total);
    double fresh = !rt->baseline ? 0.5 : p->first_ns >= rt->end_ns - (int64_t)(rt->recent * 1e9);
    double single = p->ndst == 1;
    double w = kind_weight[c->kind];
    if (c->kind == K_JA4 && (c->variant || c->nja3_hosts > rt->max_hosts))
        w *= 0.5;
    if (c->kind != K_JA4 && p->sessions < 3)
        w *= p->sessions == 2 ? 0.75 : 0.5;
    return w * rarity * (0.25 + 0.45 * fresh + 0.3 * single) * (p->dst_internal ? 0.5 : 1.0);
}

/* The "b_c" part (sorted ciphers, sorted extensions) of every common JA4. */
static int rt_common(void *arg, const void *key, size_t klen, void *value)
{
    struct rt *rt = arg;
    const struct fpstat *p = value;
    const char *k = key, *us = memchr(k, '_', klen);
    if (k[0] != '0' + K_JA4 || p->nhosts <= rt->max_hosts || !us)
        return 0;
    uint8_t *v = hunt_map_get(&rt->common_sfx, us, klen - (size_t)(us - k), 1);
    if (v)
        *v = 1;
    return 0;
}

static int rt_collect(void *arg, const void *key, size_t klen, void *value)
{
    struct rt *rt = arg;
    struct fpstat *p = value;
    if (!p->nhosts || p->nhosts > rt->max_hosts)
        return 0;
    if (rt->nc == rt->cc) {
        size_t nc = rt->cc ? rt->cc * 2 : 64;
        struct cand *v = realloc(rt->c, nc * sizeof *v);
        if (!v)
            return KS_ENOMEM;
        rt->c = v;
        rt->cc = nc;
    }
    struct cand *c = &rt->c[rt->nc];
    memset(c, 0, sizeof *c);
    c->kind = ((const char *)key)[0] - '0';
    c->value = (const char *)key + 1;
    c->st = p;
    c->group = -1;
    const char *us = c->kind == K_JA4 ? memchr(key, '_', klen) : NULL;
    c->variant =
        us && hunt_map_get(&rt->common_sfx, us, klen - (size_t)(us - (const char *)key), 0);
    c->score = rt_score(rt, c);
    if (c->score < rt->min_score)
        return 0; /* cannot reach min_score whatever the later passes find */
    if (c->kind == K_DOM)
        snprintf(c->sni, sizeof c->sni, "%s", p->sni);
    rt->nc++;
    return 0;
}

/* Pass 2, per candidate: its first sessions (evidence), SNI and JA3. */
static int rt_detail_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct rt *rt = arg;
    sqlite3 *db = dbp;
    int64_t pids[K_N];
    int have[K_N];
    for (int k = 0; k < K_N; k++) {
        int rc = hunt_path_id(db, kind_path[k], &pids[k]);
        if (rc < 0)
            return hunt_fail(rt->ctx, rc, "rare-tls: %s", sqlite3_errmsg(db));
        have[k] = rc == 0;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.id, s.src_ip, json_extract(r.json, '$.tls.client.ja3'),"
                           " json_extract(r.json, '$.tls.client.server_name')"
                           " FROM fields f JOIN sessions s ON s.id = f.id"
                           " JOIN records r ON r.id = s.id AND r.piece = s.piece"
                           " WHERE f.pid = ?3 AND f.value = ?4 AND s.first_ns BETWEEN ?1 AND ?2"
                           " AND r.type IN ('tls', 'quic') ORDER BY s.first_ns LIMIT 64",
                           -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(rt->ctx, KS_ESQL, "rare-tls: %s", sqlite3_errmsg(db));
    int rc = 0;
    for (size_t i = 0; i < rt->nc && !rc; i++) {
        struct cand *c = &rt->c[i];
        if (!have[c->kind])
            continue;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, rt->lo);
        sqlite3_bind_int64(s, 2, rt->hi);
        sqlite3_bind_int64(s, 3, pids[c->kind]);
        sqlite3_bind_text(s, 4, c->kind == K_DOM ? c->sni : c->value, -1, SQLITE_STATIC);
        int st;
        while ((st = sqlite3_step(s)) == SQLITE_ROW) {
            if (sqlite3_column_bytes(s, 1) != 16 ||
                !hunt_internal(rt->ctx, sqlite3_column_blob(s, 1)))
                continue;
            uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
            int seen = 0;
            for (unsigned e = 0; e < c->nev; e++)
                seen |= c->ev[e] == id;
            if (!seen && c->nev < RT_EV)
                c->ev[c->nev++] = id;
            const char *ja3 = (const char *)sqlite3_column_text(s, 2);
            const char *sni = (const char *)sqlite3_column_text(s, 3);
            if (ja3 && *ja3) {
                if (!c->ja3[0])
                    snprintf(c->ja3, sizeof c->ja3, "%s", ja3);
                else if (strcmp(c->ja3, ja3) != 0)
                    c->more_ja3 = 1;
            }
            if (sni && *sni && !c->sni[0])
                snprintf(c->sni, sizeof c->sni, "%s", sni);
        }
        if (st != SQLITE_DONE)
            rc = hunt_fail(rt->ctx, KS_ESQL, "rare-tls: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(s);
    return rc;
}

/* Pass 3: how many internal hosts use each JA4 candidate's JA3. */
static int rt_ja3_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct rt *rt = arg;
    sqlite3 *db = dbp;
    int64_t pid;
    int rc = hunt_path_id(db, "tls.client.ja3", &pid);
    if (rc)
        return rc > 0 ? 0 : hunt_fail(rt->ctx, rc, "rare-tls: %s", sqlite3_errmsg(db));
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT s.src_ip FROM fields f JOIN sessions s ON s.id = f.id"
                           " WHERE f.pid = ?3 AND f.value = ?4 AND s.first_ns BETWEEN ?1 AND ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(rt->ctx, KS_ESQL, "rare-tls: %s", sqlite3_errmsg(db));
    for (size_t i = 0; i < rt->nc && !rc; i++) {
        struct cand *c = &rt->c[i];
        if (c->kind != K_JA4 || !c->ja3[0] || c->nja3_hosts > rt->max_hosts)
            continue;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, rt->lo);
        sqlite3_bind_int64(s, 2, rt->hi);
        sqlite3_bind_int64(s, 3, pid);
        sqlite3_bind_text(s, 4, c->ja3, -1, SQLITE_STATIC);
        int st;
        while ((st = sqlite3_step(s)) == SQLITE_ROW && c->nja3_hosts <= rt->max_hosts)
            if (sqlite3_column_bytes(s, 0) == 16 &&
                hunt_internal(rt->ctx, sqlite3_column_blob(s, 0)))
                add_host(c->ja3_hosts, &c->nja3_hosts, rt->max_hosts + 1,
                         sqlite3_column_blob(s, 0));
        if (st != SQLITE_DONE && st != SQLITE_ROW)
            rc = hunt_fail(rt->ctx, KS_ESQL, "rare-tls: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(s);
    return rc;
}

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : x->kind - y->kind;
}

static void hosts_text(const struct fpstat *p, char *dst, size_t n)
{
    char a[64];
    size_t o = 0;
    dst[0] = '\0';
    for (unsigned i = 0; i < p->nhosts && o + 1 < n; i++) {
        hunt_addr(p->hosts[i], 16, a, sizeof a);
        o += (size_t)snprintf(dst + o, n - o, "%s%s", i ? ", " : "", a);
    }
}

/* One sentence about candidate c (the lead of its result). */
static void rt_explain(const struct rt *rt, const struct cand *c, char *dst, size_t n)
{
    const struct fpstat *p = c->st;
    char hosts[200], when[32], srv[64], ja3[160] = "";
    hosts_text(p, hosts, sizeof hosts);
    hnet_fmt_time(p->first_ns, when, sizeof when);
    hunt_addr(p->dst, 16, srv, sizeof srv);
    char recent[32] = "", fresh[80] = "";
    if (rt->baseline) {
        hunt_fmt_dur(rt->recent, recent, sizeof recent);
        hnet_text(fresh, sizeof fresh,
                  p->first_ns >= rt->end_ns - (int64_t)(rt->recent * 1e9)
                      ? " (new: within the last %s of data)"
                      : " (before the last %s of data)",
                  recent);
    }
    char where[256];
    if (p->ndst == 1)
        hnet_text(where, sizeof where, "only to %s%s%s%s", srv, c->sni[0] ? " (" : "", c->sni,
                  c->sni[0] ? ")" : "");
    else
        hnet_text(where, sizeof where, "to several servers%s%s%s", c->sni[0] ? " (" : "", c->sni,
                  c->sni[0] ? "…)" : "");
    if (c->kind == K_JA4 && c->ja3[0])
        hnet_text(ja3, sizeof ja3, " (JA3 %s%s%s%s)", c->ja3, c->more_ja3 ? " and others" : "",
                  c->nja3_hosts > rt->max_hosts ? ", itself common" : "",
                  c->variant ? "; same ciphers and extensions as a common client" : "");
    static const char *const what[K_N] = {"JA4", "JA3S", "domain"};
    hnet_text(dst, n,
              "%s %s%s used by %u of %zu internal TLS clients (%s), %s, %" PRIu64
              " session%s, first seen %s%s",
              what[c->kind], c->value, ja3, p->nhosts, rt->clients.n, hosts, where, p->sessions,
              p->sessions == 1 ? "" : "s", when, fresh);
}

static int rt_emit(struct rt *rt)
{
    /* Group the one-client-one-server candidates by (client, server); best first. */
    if (rt->nc) /* qsort(NULL, 0, …) is undefined */
        qsort(rt->c, rt->nc, sizeof *rt->c, cand_cmp);
    for (size_t i = 0; i < rt->nc; i++) {
        struct cand *c = &rt->c[i];
        if (c->st->nhosts != 1 || c->st->ndst != 1)
            continue;
        for (size_t j = 0; j < i; j++) {
            struct cand *l = &rt->c[j];
            if (l->group == -1 && l->st->nhosts == 1 && l->st->ndst == 1 &&
                memcmp(l->st->hosts[0], c->st->hosts[0], 16) == 0 &&
                memcmp(l->st->dst, c->st->dst, 16) == 0) {
                c->group = (int)j;
                break;
            }
        }
    }
    for (size_t i = 0; i < rt->nc; i++) {
        struct cand *c = &rt->c[i];
        if (c->group != -1)
            continue;
        struct hunt_result r = {0};
        rt_explain(rt, c, r.explain, sizeof r.explain);
        double score = c->score;
        size_t o = strlen(r.explain);
        int also = 0;
        for (size_t j = i + 1; j < rt->nc; j++) {
            struct cand *m = &rt->c[j];
            if (m->group != (int)i)
                continue;
            score += 0.05;
            static const char *const what[K_N] = {"JA4", "JA3S", "domain"};
            o += (size_t)snprintf(r.explain + o, o < sizeof r.explain ? sizeof r.explain - o : 0,
                                  "%s%s %s", also++ ? ", " : "; also rare: ", what[m->kind],
                                  m->value);
            if (m->kind == K_JA4 && !r.fp[0])
                snprintf(r.fp, sizeof r.fp, "%s", m->ja3);
            if (m->kind == K_JA4 && !r.detail[0])
                snprintf(r.detail, sizeof r.detail, "%s", m->value);
            if (!r.domain[0] && m->sni[0])
                snprintf(r.domain, sizeof r.domain, "%s", m->sni);
            for (unsigned e = 0; e < m->nev; e++)
                hunt_result_event(&r, m->ev[e]);
        }
        r.score = score > 1 ? 1 : score;
        hunt_addr(c->st->hosts[0], 16, r.src, sizeof r.src);
        if (c->st->ndst == 1)
            hunt_addr(c->st->dst, 16, r.dst, sizeof r.dst);
        if (c->kind == K_JA4) {
            snprintf(r.fp, sizeof r.fp, "%s", c->ja3[0] ? c->ja3 : c->value);
            snprintf(r.detail, sizeof r.detail, "%s", c->value);
        } else if (c->kind == K_JA3S) {
            snprintf(r.fp, sizeof r.fp, "%s", c->value);
        }
        if (c->sni[0])
            snprintf(r.domain, sizeof r.domain, "%s", c->sni);
        /* Most telling first: the lead's first sessions, then the others'. */
        struct hunt_result lead = {0};
        for (unsigned e = 0; e < c->nev; e++)
            hunt_result_event(&lead, c->ev[e]);
        hunt_result_event(&lead, c->st->first_id);
        for (unsigned e = 0; e < r.nevents; e++)
            hunt_result_event(&lead, r.events[e]);
        memcpy(r.events, lead.events, sizeof r.events);
        r.nevents = lead.nevents;
        r.sessions = c->st->sessions;
        r.first_ns = c->st->first_ns;
        r.last_ns = c->st->last_ns;
        int rc = hunt_emit(rt->ctx, &r);
        if (rc)
            return rc;
    }
    return 0;
}

static int raretls_run(struct hunt_ctx *ctx)
{
    struct rt rt = {
        .ctx = ctx, .min_score = hunt_num(ctx, "min_score"), .recent = hunt_num(ctx, "recent")};
    double mh = hunt_num(ctx, "max_hosts");
    if (!(mh >= 1 && mh <= RT_HOSTS_MAX))
        return hunt_fail(ctx, KS_EINVAL, "max_hosts must be 1 to %d", RT_HOSTS_MAX);
    if (!(rt.recent > 0))
        return hunt_fail(ctx, KS_EINVAL, "recent must be a positive duration");
    rt.max_hosts = (unsigned)mh;
    hunt_range(ctx, &rt.lo, &rt.hi);
    const struct hunt_coverage *cov = hunt_cov(ctx);
    rt.end_ns = cov->last_ns;
    rt.baseline = cov->first_ns && cov->first_ns < rt.end_ns - (int64_t)(rt.recent * 1e9);
    double maxv = hunt_num(ctx, "max_values");
    hunt_map_init(&rt.stats, sizeof(struct fpstat), (size_t)maxv);
    hunt_map_init(&rt.clients, 1, (size_t)maxv);
    int rc = hunt_days(ctx, rt_day, &rt);
    if (!rc && (rt.stats.refused || rt.clients.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f distinct fingerprints and domains: raise max_values or "
                       "narrow --since/--until",
                       maxv);
    hunt_map_init(&rt.common_sfx, 1, (size_t)maxv);
    if (!rc)
        rc = hunt_map_each(&rt.stats, rt_common, &rt);
    if (!rc)
        rc = hunt_map_each(&rt.stats, rt_collect, &rt);
    if (!rc && rt.nc)
        rc = hunt_days(ctx, rt_detail_day, &rt);
    if (!rc && rt.nc)
        rc = hunt_days(ctx, rt_ja3_day, &rt);
    if (!rc) {
        for (size_t i = 0; i < rt.nc; i++)
            rt.c[i].score = rt_score(&rt, &rt.c[i]);
        rc = rt_emit(&rt);
    }
    free(rt.c);
    hunt_map_release(&rt.stats);
    hunt_map_release(&rt.clients);
    hunt_map_release(&rt.common_sfx);
    return rc;
}

const struct hunt_kind hunt_kind_raretls = {"rare-tls", raretls_run};
