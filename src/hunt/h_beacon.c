/*
 * h_beacon.c — the `beacon` analysis: periodic command-and-control (RITA-style).
 *
 * An implant calls home on a timer: its connections start at nearly regular intervals, carry
 * nearly the same bytes each time, keep doing so hour after hour, and only the infected host
 * does it.  The analysis looks at two kinds of entity:
 *
 *   pair    a client and a server address (any port, any transport): the C2 on a fixed address;
 *   name    a client and a name: the TLS SNI (tls.client.server_name, QUIC too), the HTTP host
 *           (url.domain), or a DNS question (dns.question.name) — a C2 behind rotating CDN
 *           addresses still calls the same name, and a DNS C2 polls the same question.
 *
 * Two passes over the day files of the range keep memory bounded by the number of entities,
 * not of sessions:
 *
 *   1. one GROUP BY per day and sort counts the connections (session piece 0) of every entity;
 *      entities are merged across days in a map capped at `max_entities`.  From it come the
 *      prevalence of every destination (clients that talk to that address or name at all) and
 *      the number of clients in the range.  Entities with at least `min_conns` connections
 *      become candidates; the rest are dropped.
 *   2. the connections of the candidates, in time order per entity, feed a series each
 *      (h_beacon.h): count, first and last start, clock hours touched, and reservoirs of at
 *      most `samples` intervals and sizes; all reservoirs together hold at most `max_samples`
 *      values (the run fails beyond, and says which parameter to raise).
 *
 * Score of a candidate (beacon_score):
 *
 *   s_interval, s_size = sqrt((1 - |Bowley skew|) * max(0, 1 - 2 MAD/median)) over the
 *           intervals between starts and over the bytes per connection.  Uniform jitter of ±j
 *           gives MAD = j/2 · median, so the second factor is 1 - j: ±15 % scores about 0.92,
 *           ±50 % about 0.7, Poisson arrivals (MAD/median ≈ 0.69) and uniform noise 0;
 *   s_coverage = clock hours with a start / clock hours from the first to the last (at most one
 *           per connection): 1 for a steady beacon, low for bursts;
 *   s_duration = hours from the first start to the last / `full_duration`, capped at 1;
 *   score = s_interval * (s_size + s_coverage + s_duration) / 3 * prevalence * zone.
 *
 * RITA averages its parts; here the average of the other three is gated by the interval
 * regularity, because on generated enterprise traffic a plain average of four gave ~0.85 to a
 * workstation's Poisson-like DNS queries (steady sizes, every hour, all day) — periodicity is
 * the hypothesis, the other parts only strengthen it.  prevalence = half / (half + hosts - 1),
 * hosts = clients that talk to the destination at all, half = `prevalence_half` (NTP, update
 * and AV checks come from many hosts).  zone = 1 for an internal client calling an external
 * server or asking DNS, `internal_weight` else (monitoring, service polling, inbound clients).
 * Multicast and broadcast destinations are no entity; a median interval under `min_interval`
 * (scans, bursts) is no beacon.
 *
 * A name entity whose connections all went to one server address, and cover at least 90 % of
 * that pair's connections, absorbs the pair (one result with both); a DNS name absorbs nothing
 * and is dropped when the same client's TLS/HTTP entity for that name is a candidate (the
 * lookups only precede the connections).  Results below `min_score` are not emitted.
 */
#include "hunt/h_beacon.h"

#include "core/err.h"
#include "hunt/hunt.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- series and scores */

#define NS_PER_HOUR ((int64_t)3600 * 1000000000)
#define SERIES_FIRST_ALLOC 16u

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int series_grow(struct beacon_series *s, int64_t *budget)
{
    uint32_t na = s->alloc ? s->alloc * 2 : SERIES_FIRST_ALLOC;
    if (na > s->cap)
        na = s->cap;
    if (budget && *budget < (int64_t)(na - s->alloc))
        return KS_ELIMIT;
    float *iv = realloc(s->iv, na * sizeof *iv);
    if (!iv)
        return KS_ENOMEM;
    s->iv = iv;
    float *sz = realloc(s->sz, na * sizeof *sz);
    if (!sz)
        return KS_ENOMEM;
    s->sz = sz;
    if (budget)
        *budget -= (int64_t)(na - s->alloc);
    s->alloc = na;
    return 0;
}

int beacon_series_add(struct beacon_series *s, int64_t t_ns, double bytes, int64_t *budget)
{
    int64_t hour = t_ns / NS_PER_HOUR;
    if (!s->n) {
        s->first_ns = s->last_ns = t_ns;
        s->hour = hour;
        s->hours = 1;
        s->day_hours = 1u << (unsigned)(hour % 24);
        s->rng = 0x5eed ^ (uint64_t)t_ns;
        s->n = 1;
        return 0;
    }
    double dt = t_ns > s->last_ns ? (double)(t_ns - s->last_ns) / 1e9 : 0;
    if (t_ns > s->last_ns)
        s->last_ns = t_ns;
    if (hour > s->hour) {
        s->hour = hour;
        s->hours++;
        s->day_hours |= 1u << (unsigned)(hour % 24);
    }
    uint64_t i = s->n - 1; /* intervals offered before this one */
    s->n++;
    if (i < s->cap) {
        if (i >= s->alloc) {
            int rc = series_grow(s, budget);
            if (rc) {
                s->n--; /* not counted: the caller fails the run anyway */
                return rc;
            }
        }
        s->iv[i] = (float)dt;
        s->sz[i] = (float)bytes;
        s->kept = (uint32_t)i + 1;
        return 0;
    }
    uint64_t j = splitmix(&s->rng) % (i + 1);
    if (j < s->cap) {
        s->iv[j] = (float)dt;
        s->sz[j] = (float)bytes;
    }
    return 0;
}

void beacon_series_release(struct beacon_series *s)
{
    free(s->iv);
    free(s->sz);
    s->iv = s->sz = NULL;
    s->alloc = s->kept = 0;
}

void beacon_regularity(double *v, size_t n, struct beacon_reg *out)
{
    memset(out, 0, sizeof *out);
    if (n < 3)
        return;
    out->mad = hunt_mad(v, n); /* sorts v */
    out->median = hunt_quantile(v, n, 0.5);
    out->skew = hunt_bowley(v, n);
    if (!(out->median > 0))
        return;
    double s_mad = 1 - 2 * out->mad / out->median;
    if (s_mad < 0)
        s_mad = 0;
    out->score = sqrt((1 - fabs(out->skew)) * s_mad);
}

double beacon_coverage(const struct beacon_series *s)
{
    if (!s->n)
        return 0;
    uint64_t buckets = (uint64_t)(s->last_ns / NS_PER_HOUR - s->first_ns / NS_PER_HOUR) + 1;
    uint64_t expect = buckets < s->n ? buckets : s->n;
    return (double)s->hours / (double)expect;
}

double beacon_duration(const struct beacon_series *s, double full_hours)
{
    double h = (double)(s->last_ns - s->first_ns) / (double)NS_PER_HOUR;
    if (full_hours <= 0)
        return 1;
    return h >= full_hours ? 1 : h / full_hours;
}

double beacon_prevalence(double nsrc, double half)
{
    if (nsrc <= 1)
        return 1;
    if (half <= 0)
        return 0;
    return half / (half + nsrc - 1);
}

int beacon_score(const struct beacon_series *s, double full_hours, double nsrc, double half,
                 double weight, double *scratch, struct beacon_score *out)
{
    memset(out, 0, sizeof *out);
    if (s->kept < 3)
        return KS_EINVAL;
    for (uint32_t i = 0; i < s->kept; i++)
        scratch[i] = s->iv[i];
    beacon_regularity(scratch, s->kept, &out->iv);
    for (uint32_t i = 0; i < s->kept; i++)
        scratch[i] = s->sz[i];
    beacon_regularity(scratch, s->kept, &out->sz);
    out->coverage = beacon_coverage(s);
    out->duration = beacon_duration(s, full_hours);
    out->prevalence = beacon_prevalence(nsrc, half);
    out->score = weight * out->prevalence * out->iv.score *
                 (out->sz.score + out->coverage + out->duration) / 3;
    return 0;
}

/* ---------------------------------------------------------------- the analysis */

/*
 * Entity keys: kind | client address (16) | server address (16, pairs) or name (names).
 * Prevalence keys: kind | server address or name.
 */
enum { K_PAIR = 'P', K_TLS = 'T', K_HTTP = 'H', K_DNS = 'D' };
#define KEY_MAX (1 + 16 + 256)
#define EV_HEAD 8 /* evidence: the first connections … */
#define EV_TAIL 8 /* … and the last */

struct count {
    uint64_t n;
};

struct cand {
    struct beacon_series s;
    double nsrc; /* clients that talk to the destination */
    uint64_t bytes;
    uint8_t dst[16]; /* the first server address */
    int multi_dst;
    int port, proto, multi_port;
    uint64_t head[EV_HEAD], tail[EV_TAIL];
    unsigned nhead;
    uint64_t ntail;
    int folded;
};

struct bc {
    struct hunt_ctx *ctx;
    struct hunt_map ents;  /* pass 1: key -> struct count */
    struct hunt_map prev;  /* pass 1: prevalence key -> struct count (clients) */
    struct hunt_map hosts; /* pass 1: clients */
    struct hunt_map cands; /* pass 2: key -> struct cand */
    double min_conns, full_hours, half, internal_weight, min_score, min_interval;
    uint32_t samples;
    int64_t budget;
    double *scratch;
    uint64_t clients;
    uint64_t cand_pairs, cand_names; /* candidates of each sort: pass 2 skips a query */
};

static int is_multicast(const uint8_t ip[16])
{
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(ip, v4, 12) == 0)
        return (ip[12] & 0xf0) == 0xe0 ||
               (ip[12] == 255 && ip[13] == 255 && ip[14] == 255 && ip[15] == 255);
    return ip[0] == 0xff;
}

static int kind_of_path(const char *path)
{
    switch (path[0]) {
    case 't':
        return K_TLS;
    case 'u':
        return K_HTTP;
    case 'd':
        return K_DNS;
    }
    return 0;
}

/* The key of an entity; *klen its length.  0 when the name does not fit. */
static int key_make(uint8_t key[KEY_MAX], size_t *klen, int kind, const void *src,
                    const void *dst_or_name, size_t len)
{
    if (len > KEY_MAX - 17)
        return 0;
    key[0] = (uint8_t)kind;
    memcpy(key + 1, src, 16);
    memcpy(key + 17, dst_or_name, len);
    *klen = 17 + len;
    return 1;
}

/*
 * Every row of one kind of entity in a day file, with its key: pairs come from `sessions`
 * (columns src_ip, dst_ip, then `cols`), names from `fields` joined to the session's piece 0
 * (path, value, src_ip, then `cols`).  fn gets the key and the index of the first of `cols`.
 */
typedef int (*bc_row_fn)(struct bc *b, const uint8_t *key, size_t klen, sqlite3_stmt *s, int col);

static int bc_rows(struct bc *b, sqlite3 *db, int names, const char *cols, const char *tail,
                   bc_row_fn fn)
{
    char sql[1024];
    if (names)
        snprintf(sql, sizeof sql,
                 "SELECT p.path, f.value, s.src_ip, %s FROM paths p JOIN fields f ON f.pid = p.pid"
                 " JOIN sessions s ON s.id = f.id AND s.piece = 0"
                 " WHERE p.path IN ('tls.client.server_name', 'url.domain', 'dns.question.name')"
                 " AND s.first_ns BETWEEN ?1 AND ?2 %s",
                 cols, tail);
    else
        snprintf(sql, sizeof sql,
                 "SELECT src_ip, dst_ip, %s FROM sessions"
                 " WHERE first_ns BETWEEN ?1 AND ?2 AND piece = 0 %s",
                 cols, tail);
    sqlite3_stmt *s;
    int rc = hunt_prepare_range(b->ctx, db, sql, &s, "beacon");
    if (rc)
        return rc;
    int st;
    uint8_t key[KEY_MAX];
    size_t kl;
    while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW) {
        if (names) {
            int kind = kind_of_path((const char *)sqlite3_column_text(s, 0));
            const char *name = (const char *)sqlite3_column_text(s, 1);
            size_t nl = (size_t)sqlite3_column_bytes(s, 1);
            if (!kind || !name || !nl || sqlite3_column_bytes(s, 2) != 16 ||
                !key_make(key, &kl, kind, sqlite3_column_blob(s, 2), name, nl))
                continue;
            rc = fn(b, key, kl, s, 3);
        } else {
            if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
                continue;
            const uint8_t *dst = sqlite3_column_blob(s, 1);
            if (is_multicast(dst))
                continue; /* announcements, not calls home */
            key_make(key, &kl, K_PAIR, sqlite3_column_blob(s, 0), dst, 16);
            rc = fn(b, key, kl, s, 2);
        }
    }
    if (rc) {
        sqlite3_finalize(s);
        return rc;
    }
    return hunt_finish(b->ctx, db, s, st, "beacon");
}

/* Pass 1: count one entity's connections of a day; the first time, count its client. */
static int count_row(struct bc *b, const uint8_t *key, size_t klen, sqlite3_stmt *s, int col)
{
    struct count *c = hunt_map_get(&b->ents, key, klen, 1);
    if (!c)
        return 0; /* refused: reported after the pass */
    if (!c->n) {
        uint8_t pk[KEY_MAX];
        pk[0] = key[0];
        memcpy(pk + 1, key + 17, klen - 17);
        struct count *p = hunt_map_get(&b->prev, pk, klen - 16, 1);
        if (p)
            p->n++;
        struct count *h = hunt_map_get(&b->hosts, key + 1, 16, 1);
        if (h && !h->n++)
            b->clients++;
    }
    c->n += (uint64_t)sqlite3_column_int64(s, col);
    return 0;
}

static int count_day(void *arg, int day, void *db)
{
    (void)day;
    struct bc *b = arg;
    int rc = bc_rows(b, db, 0, "count(*)", "GROUP BY src_ip, dst_ip", count_row);
    if (!rc)
        rc = bc_rows(b, db, 1, "count(*)", "GROUP BY f.pid, f.value, s.src_ip", count_row);
    return rc;
}

/* Between the passes: every entity with min_conns connections becomes a candidate. */
static int cand_make(void *arg, const void *key, size_t klen, void *value)
{
    struct bc *b = arg;
    const struct count *c = value;
    if ((double)c->n < b->min_conns)
        return 0;
    struct cand *k = hunt_map_get(&b->cands, key, klen, 1);
    if (!k)
        return 0;
    uint8_t pk[KEY_MAX];
    pk[0] = ((const uint8_t *)key)[0];
    memcpy(pk + 1, (const uint8_t *)key + 17, klen - 17);
    const struct count *p = hunt_map_get(&b->prev, pk, klen - 16, 0);
    k->nsrc = p ? (double)p->n : 0;
    k->s.cap = b->samples;
    if (pk[0] == K_PAIR)
        b->cand_pairs++;
    else
        b->cand_names++;
    return 0;
}

/* Pass 2: a connection of a candidate (columns dst_ip, first_ns, bytes, id, dst_port, proto). */
static int series_row(struct bc *b, const uint8_t *key, size_t klen, sqlite3_stmt *s, int col)
{
    struct cand *k = hunt_map_get(&b->cands, key, klen, 0);
    if (!k || sqlite3_column_bytes(s, col) != 16)
        return 0;
    const uint8_t *dst = sqlite3_column_blob(s, col);
    int64_t t = sqlite3_column_int64(s, col + 1), bytes = sqlite3_column_int64(s, col + 2);
    uint64_t id = (uint64_t)sqlite3_column_int64(s, col + 3);
    int port = sqlite3_column_int(s, col + 4), proto = sqlite3_column_int(s, col + 5);
    int rc = beacon_series_add(&k->s, t, (double)bytes, &b->budget);
    if (rc == KS_ELIMIT)
        return hunt_fail(b->ctx, KS_ELIMIT,
                         "more than %.0f interval samples in all: raise max_samples, "
                         "lower samples or narrow --since/--until",
                         hunt_num(b->ctx, "max_samples"));
    if (rc)
        return hunt_fail(b->ctx, rc, "beacon: out of memory");
    if (k->s.n == 1) {
        memcpy(k->dst, dst, 16);
        k->port = port;
        k->proto = proto;
    } else {
        if (memcmp(k->dst, dst, 16) != 0)
            k->multi_dst = 1;
        if (port != k->port || proto != k->proto)
            k->multi_port = 1;
    }
    k->bytes += (uint64_t)(bytes > 0 ? bytes : 0);
    if (k->nhead < EV_HEAD)
        k->head[k->nhead++] = id;
    else
        k->tail[k->ntail++ % EV_TAIL] = id;
    return 0;
}

/*
 * Each entity's connections must come in time order: days come oldest first, pairs by the
 * first_ns index, names by (name, client, first_ns) — SQLite sorts only within each name of the
 * fields index, so no day's rows are sorted whole.
 */
static int series_day(void *arg, int day, void *db)
{
    (void)day;
    struct bc *b = arg;
    static const char cols[] = "dst_ip, first_ns, src_bytes + dst_bytes, id, dst_port, proto";
    static const char ncols[] =
        "s.dst_ip, s.first_ns, s.src_bytes + s.dst_bytes, s.id, s.dst_port, s.proto";
    int rc = 0;
    if (b->cand_pairs)
        rc = bc_rows(b, db, 0, cols, "ORDER BY first_ns", series_row);
    if (!rc && b->cand_names)
        rc = bc_rows(b, db, 1, ncols, "ORDER BY f.pid, f.value, s.src_ip, s.first_ns", series_row);
    return rc;
}

/* A name that went to one address and carries (nearly) all of that pair's connections absorbs
   the pair; a DNS name whose client also connected to it by TLS/HTTP is left to that entity. */
static int cand_fold(void *arg, const void *key, size_t klen, void *value)
{
    struct bc *b = arg;
    struct cand *k = value;
    const uint8_t *kb = key;
    uint8_t ok[KEY_MAX];
    size_t ol = 0;
    if (kb[0] == K_DNS) {
        for (int kind = K_TLS; kind; kind = kind == K_TLS ? K_HTTP : 0) {
            key_make(ok, &ol, kind, kb + 1, kb + 17, klen - 17);
            if (hunt_map_get(&b->cands, ok, ol, 0))
                k->folded = 1;
        }
        return 0;
    }
    if (kb[0] == K_PAIR || k->multi_dst || !k->s.n)
        return 0;
    key_make(ok, &ol, K_PAIR, kb + 1, k->dst, 16);
    struct cand *p = hunt_map_get(&b->cands, ok, ol, 0);
    if (p && (double)k->s.n >= 0.9 * (double)p->s.n)
        p->folded = 1;
    return 0;
}

static const char *proto_name(int proto)
{
    return proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 || proto == 58 ? "icmp" : "ip";
}

static int cand_emit(void *arg, const void *key, size_t klen, void *value)
{
    struct bc *b = arg;
    struct cand *k = value;
    const uint8_t *kb = key;
    if (k->folded)
        return 0;
    struct beacon_score sc;
    int src_in = hunt_internal(b->ctx, kb + 1);
    int out = src_in && (kb[0] == K_DNS || !hunt_internal(b->ctx, k->dst));
    if (beacon_score(&k->s, b->full_hours, k->nsrc, b->half, out ? 1.0 : b->internal_weight,
                     b->scratch, &sc))
        return 0;
    if (sc.score < b->min_score || sc.iv.median < b->min_interval)
        return 0;

    struct hunt_result r = {0};
    r.score = sc.score;
    hunt_addr(kb + 1, 16, r.src, sizeof r.src);
    if (kb[0] == K_PAIR)
        hunt_addr(kb + 17, 16, r.dst, sizeof r.dst);
    else if (!k->multi_dst)
        hunt_addr(k->dst, 16, r.dst, sizeof r.dst);
    if (kb[0] != K_PAIR) {
        size_t nl = klen - 17 < sizeof r.domain - 1 ? klen - 17 : sizeof r.domain - 1;
        memcpy(r.domain, kb + 17, nl);
        r.domain[nl] = '\0';
    }
    const char *via = kb[0] == K_TLS    ? "tls"
                      : kb[0] == K_HTTP ? "http"
                      : kb[0] == K_DNS  ? "dns"
                                        : "";
    if (k->multi_port)
        snprintf(r.detail, sizeof r.detail, "%s%sseveral ports", via, *via ? ", " : "");
    else
        snprintf(r.detail, sizeof r.detail, "%s%s%d/%s", via, *via ? ", " : "", k->port,
                 proto_name(k->proto));
    if (kb[0] == K_DNS)
        snprintf(r.attack, sizeof r.attack, "T1071.004 T1029");
    else if (kb[0] == K_HTTP)
        snprintf(r.attack, sizeof r.attack, "T1071.001 T1029");

    char every[32], mad[32], span[32], size[32], what[sizeof r.explain];
    hunt_fmt_dur(sc.iv.median, every, sizeof every);
    hunt_fmt_dur(sc.iv.mad, mad, sizeof mad);
    hunt_fmt_dur((double)(k->s.last_ns - k->s.first_ns) / 1e9, span, sizeof span);
    hunt_fmt_bytes(sc.sz.median, size, sizeof size);
    uint64_t buckets = (uint64_t)(k->s.last_ns / NS_PER_HOUR - k->s.first_ns / NS_PER_HOUR) + 1;
    /* Long names are cut: the explanation stays one line, the domain entity has the name. */
    int w;
    if (kb[0] == K_PAIR)
        w = snprintf(what, sizeof what, "%s to %s", r.src, r.dst);
    else if (kb[0] == K_DNS)
        w = snprintf(what, sizeof what, "%s asking DNS for %s", r.src, r.domain);
    else
        w = snprintf(what, sizeof what, "%s to %s%s%s", r.src, r.domain, r.dst[0] ? " at " : "",
                     r.dst[0] ? r.dst : " (several addresses)");
    if (w >= (int)sizeof what)
        what[sizeof what - 1] = '\0';
    w = snprintf(r.explain, sizeof r.explain,
                 "%s: %" PRIu64 " connections every %s (MAD %s, skew %.2f) for %s (%u of %" PRIu64
                 " hours active), sizes %s ±%.0f%%, %.0f of %" PRIu64 " hosts talk to it",
                 what, k->s.n, every, mad, sc.iv.skew, span, k->s.hours,
                 buckets < k->s.n ? buckets : k->s.n, size,
                 sc.sz.median > 0 ? 100 * sc.sz.mad / sc.sz.median : 0, k->nsrc > 0 ? k->nsrc : 1,
                 b->clients);
    if (w >= (int)sizeof r.explain)
        r.explain[sizeof r.explain - 1] = '\0';
    r.sessions = k->s.n;
    r.first_ns = k->s.first_ns;
    r.last_ns = k->s.last_ns;
    for (unsigned i = 0; i < k->nhead; i++)
        hunt_result_event(&r, k->head[i]);
    uint64_t nt = k->ntail < EV_TAIL ? k->ntail : EV_TAIL;
    for (uint64_t i = 0; i < nt; i++) /* oldest of the kept tail first */
        hunt_result_event(&r, k->tail[(k->ntail - nt + i) % EV_TAIL]);
    return hunt_emit(b->ctx, &r);
}

static int cand_release(void *arg, const void *key, size_t klen, void *value)
{
    (void)arg;
    (void)key;
    (void)klen;
    beacon_series_release(&((struct cand *)value)->s);
    return 0;
}

static int beacon_run(struct hunt_ctx *ctx)
{
    struct bc b = {.ctx = ctx,
                   .min_conns = hunt_num(ctx, "min_conns"),
                   .full_hours = hunt_num(ctx, "full_duration") / 3600,
                   .half = hunt_num(ctx, "prevalence_half"),
                   .internal_weight = hunt_num(ctx, "internal_weight"),
                   .min_score = hunt_num(ctx, "min_score"),
                   .min_interval = hunt_num(ctx, "min_interval"),
                   .budget = (int64_t)hunt_num(ctx, "max_samples")};
    double samples = hunt_num(ctx, "samples");
    double max_ent = hunt_num(ctx, "max_entities");
    if (samples < 3 || samples > 1e7)
        return hunt_fail(ctx, KS_EINVAL, "samples must be between 3 and 10000000");
    if (b.min_conns < 4)
        return hunt_fail(ctx, KS_EINVAL, "min_conns must be at least 4");
    if (max_ent < 1)
        return hunt_fail(ctx, KS_EINVAL, "max_entities must be at least 1");
    b.samples = (uint32_t)samples;
    hunt_map_init(&b.ents, sizeof(struct count), (size_t)max_ent);
    hunt_map_init(&b.prev, sizeof(struct count), (size_t)max_ent);
    hunt_map_init(&b.hosts, sizeof(struct count), (size_t)max_ent);
    hunt_map_init(&b.cands, sizeof(struct cand), (size_t)max_ent);

    int rc = hunt_days(ctx, count_day, &b);
    if (!rc && (b.ents.refused || b.prev.refused || b.hosts.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f host pairs and names: raise max_entities or "
                       "narrow --since/--until",
                       max_ent);
    if (!rc)
        rc = hunt_map_each(&b.ents, cand_make, &b);
    hunt_map_release(&b.ents);
    hunt_map_release(&b.prev);
    hunt_map_release(&b.hosts);
    if (!rc && b.cands.refused)
        rc = hunt_fail(ctx, KS_ENOMEM, "beacon: out of memory for candidates");
    if (!rc && b.cands.n) {
        rc = hunt_days(ctx, series_day, &b);
        if (!rc) {
            b.scratch = malloc(b.samples * sizeof *b.scratch);
            if (!b.scratch)
                rc = hunt_fail(ctx, KS_ENOMEM, "beacon: out of memory");
        }
        if (!rc)
            rc = hunt_map_each(&b.cands, cand_fold, &b);
        if (!rc)
            rc = hunt_map_each(&b.cands, cand_emit, &b);
    }
    hunt_map_each(&b.cands, cand_release, NULL);
    hunt_map_release(&b.cands);
    free(b.scratch);
    return rc;
}

const struct hunt_kind hunt_kind_beacon = {"beacon", beacon_run};
