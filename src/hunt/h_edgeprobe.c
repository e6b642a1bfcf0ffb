/*
 * h_edgeprobe.c — the `edge-probe` analysis: exploit probes against VPN and edge appliances,
 * and appliances that then open connections into the network they never opened before.
 *
 * Pass 1, per day file:
 *   - every `url.original` of the day (the fields index) is matched, lowercased, against two
 *     parameter lists: exploit_paths (strings only an exploit or a traversal sends: Fortinet's
 *     fgt_lang traversal, Citrix /vpns/cfg, Cisco's translation-table, `../`, `%2e%2e`, `..;/`
 *     …) and product_paths (vendor:prefix pairs that fingerprint an appliance: /remote/,
 *     /dana-na/, /+CSCOE+/, /global-protect/, /tmui/ …).  Each hit is placed in its session;
 *     hits are aggregated per (client, server): distinct exploit paths, distinct product
 *     paths, vendors probed, whether an exploit path got a 2xx answer;
 *   - internal servers that serve appliance_ports (443 …) to at least min_clients external
 *     clients in a day are appliances too (the VPN portal nobody probed yet).
 * Pass 2, per appliance (probed servers and detected ones), its own connections to internal
 * hosts (TCP, UDP; quiet_ports aside) split at the appliance's cut: for a probed server the
 * first probe, else the start of the recent window (last `recent` of the data).  A (host,
 * port) it reaches after the cut and never before is new.
 *
 * Results:
 *   probe  (client -> appliance) score = zone_w * x / (x + 2), with
 *          x = exploit paths + 0.25 * product paths + 0.5 * (vendors - 1)
 *              + 1 when an exploit path was answered 2xx + 2 when the server then opened new
 *              internal connections;
 *          zone_w = 1 for an external client and an internal server, 0.8 otherwise.  A
 *          result needs x >= min_x (one stray traversal request is internet noise).
 *   pivot  (appliance -> internal host) score = (probed ? 0.85 : 0.5)
 *              * (0.6 + 0.4 * n / (n + 1)) * (0.7 + 0.3 * a / n),
 *          n new (host, port) pairs, a of them answered.
 */
#include "hunt/hunt.h"
#include "hunt/h_smbrpc.h"
#include "hunt/netlib.h"

#include "core/err.h"

#include <ctype.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EP_MAX_PAT 48
#define EP_MAX_DISTINCT 64
#define EP_MAX_VENDORS 16

struct pat {
    char s[64];
    int vendor; /* product paths: index into vendors */
};

struct probe {
    uint8_t src[16], dst[16];
    uint64_t strong_hash[EP_MAX_DISTINCT], prod_hash[EP_MAX_DISTINCT];
    unsigned nstrong, nprod, answered2xx;
    uint32_t vendors; /* bit per vendor */
    uint64_t requests;
    uint64_t strong_ids[HUNT_MAX_EVIDENCE], prod_ids[HUNT_MAX_EVIDENCE];
    unsigned nstrong_ids, nprod_ids;
    int64_t first_ns, last_ns;
    int port;
    char sample[160];
};

struct appl {
    uint8_t ip[16];
    int probed;
    int64_t first_probe_ns;
    uint64_t max_clients; /* external clients on appliance ports in one day */
    char prober[64];
    /* pass 2 */
    int64_t cut;
    unsigned nnew, nanswered;
    uint64_t sessions;
    int64_t first_ns, last_ns;
    char first_dst[64];
    struct hnet_items items; /* the new pairs */
    char list[200];
    struct hunt_result r;
};

struct npkey {
    uint8_t appl[16], dst[16];
    uint8_t port[2], proto;
};

struct np {
    uint64_t before, after, answered, id;
    int64_t first_ns, last_ns;
};

struct ep {
    struct hunt_ctx *ctx;
    struct pat strong[EP_MAX_PAT], prod[EP_MAX_PAT];
    unsigned nstrong, nprod;
    char vendors[EP_MAX_VENDORS][24];
    unsigned nvendors;
    struct hunt_map probes, appls, pairs;
    char appl_ports[HNET_MAX_PORTS * 6 + 4], quiet_ports[HNET_MAX_PORTS * 6 + 4];
    double min_clients, min_x;
    int64_t cut;
};

/* Lowercased words of a parameter; "vendor:prefix" words name their vendor. */
static int ep_patterns(struct ep *ep, const char *param, struct pat *out, unsigned *n, int vend)
{
    const char *s = hunt_str(ep->ctx, param);
    *n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strcspn(s, " \t");
        if (!l)
            break;
        if (*n == EP_MAX_PAT || l >= sizeof out->s)
            return hunt_fail(ep->ctx, KS_EINVAL,
                             "parameter %s: at most %d words of at most %zu characters", param,
                             EP_MAX_PAT, sizeof out->s - 1);
        struct pat *p = &out[(*n)++];
        const char *w = s;
        size_t wl = l;
        p->vendor = -1;
        const char *colon = vend ? memchr(s, ':', l) : NULL;
        if (colon && colon > s && (size_t)(colon - s) < sizeof ep->vendors[0]) {
            char v[sizeof ep->vendors[0]];
            memcpy(v, s, (size_t)(colon - s));
            v[colon - s] = '\0';
            unsigned k;
            for (k = 0; k < ep->nvendors; k++)
                if (strcmp(ep->vendors[k], v) == 0)
                    break;
            if (k == ep->nvendors) {
                if (k == EP_MAX_VENDORS)
                    return hunt_fail(ep->ctx, KS_EINVAL, "parameter %s: more than %d vendors",
                                     param, EP_MAX_VENDORS);
                snprintf(ep->vendors[ep->nvendors++], sizeof ep->vendors[0], "%s", v);
            }
            p->vendor = (int)k;
            w = colon + 1;
            wl = l - (size_t)(colon + 1 - s);
        }
        for (size_t i = 0; i < wl; i++)
            p->s[i] = (char)tolower((unsigned char)w[i]);
        p->s[wl] = '\0';
        s += l;
    }
    return 0;
}

static uint64_t ep_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void ep_distinct(uint64_t *set, unsigned *n, uint64_t h)
{
    for (unsigned i = 0; i < *n; i++)
        if (set[i] == h)
            return;
    if (*n < EP_MAX_DISTINCT)
        set[(*n)++] = h;
}

static void ep_id(uint64_t *ids, unsigned *n, uint64_t id)
{
    for (unsigned i = 0; i < *n; i++)
        if (ids[i] == id)
            return;
    if (*n < HUNT_MAX_EVIDENCE)
        ids[(*n)++] = id;
}

/* One url.original of session id that matched: place it and count it. */
static int ep_hit(struct ep *ep, sqlite3_stmt *ses, sqlite3_stmt *st, const char *url, uint64_t id,
                  int strong, int vendor)
{
    sqlite3_reset(ses);
    sqlite3_bind_int64(ses, 3, (int64_t)id);
    if (sqlite3_step(ses) != SQLITE_ROW || sqlite3_column_bytes(ses, 0) != 16 ||
        sqlite3_column_bytes(ses, 1) != 16)
        return 0; /* outside the range */
    uint8_t key[32];
    memcpy(key, sqlite3_column_blob(ses, 0), 16);
    memcpy(key + 16, sqlite3_column_blob(ses, 1), 16);
    struct probe *p = hunt_map_get(&ep->probes, key, sizeof key, 1);
    if (!p)
        return 0; /* refused: counted */
    int64_t f = sqlite3_column_int64(ses, 3), l = sqlite3_column_int64(ses, 4);
    if (!p->requests) {
        memcpy(p->src, key, 16);
        memcpy(p->dst, key + 16, 16);
        p->port = sqlite3_column_int(ses, 2);
        p->first_ns = f;
    }
    p->requests++;
    if (f < p->first_ns)
        p->first_ns = f;
    if (l > p->last_ns)
        p->last_ns = l;
    uint64_t h = ep_hash(url);
    if (vendor >= 0 && vendor < 32)
        p->vendors |= 1u << vendor;
    if (strong) {
        ep_distinct(p->strong_hash, &p->nstrong, h);
        ep_id(p->strong_ids, &p->nstrong_ids, id);
        if (!p->sample[0] || strlen(url) > strlen(p->sample))
            hnet_text(p->sample, sizeof p->sample, "%s", url);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t)id);
        sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int code = sqlite3_column_int(st, 0);
            p->answered2xx += code >= 200 && code < 300;
        }
    } else {
        ep_distinct(p->prod_hash, &p->nprod, h);
        ep_id(p->prod_ids, &p->nprod_ids, id);
        if (!p->sample[0])
            hnet_text(p->sample, sizeof p->sample, "%s", url);
    }
    return 0;
}

static int ep_urls(struct ep *ep, sqlite3 *db)
{
    sqlite3_stmt *u = NULL, *ses = NULL, *st = NULL;
    int rc = hunt_prepare(ep->ctx, db,
                          "SELECT f.value, f.id FROM fields f JOIN paths p ON p.pid = f.pid"
                          " WHERE p.path = 'url.original'",
                          &u, "edge-probe");
    if (!rc)
        rc = hunt_prepare_range(
            ep->ctx, db,
            "SELECT src_ip, dst_ip, dst_port, first_ns, last_ns FROM sessions"
            " WHERE id = ?3 AND first_ns BETWEEN ?1 AND ?2 ORDER BY piece LIMIT 1",
            &ses, "edge-probe");
    if (!rc)
        rc = hunt_prepare(ep->ctx, db,
                          "SELECT json_extract(json, '$.http.response.status_code') FROM records"
                          " WHERE id = ?1 AND type = 'http'"
                          " AND json_extract(json, '$.url.original') = ?2 LIMIT 1",
                          &st, "edge-probe");
    if (rc)
        goto out;
    char low[2048];
    int s;
    while (!rc && (s = sqlite3_step(u)) == SQLITE_ROW) {
        const char *url = (const char *)sqlite3_column_text(u, 0);
        if (!url)
            continue;
        size_t n = strlen(url);
        if (n >= sizeof low)
            n = sizeof low - 1; /* the head of a huge URL is where the paths are */
        for (size_t i = 0; i < n; i++)
            low[i] = (char)tolower((unsigned char)url[i]);
        low[n] = '\0';
        uint64_t id = (uint64_t)sqlite3_column_int64(u, 1);
        int strong = 0, vendor = -1, prod = 0;
        for (unsigned i = 0; !strong && i < ep->nstrong; i++)
            strong = strstr(low, ep->strong[i].s) != NULL;
        for (unsigned i = 0; !prod && i < ep->nprod; i++)
            if (strncmp(low, ep->prod[i].s, strlen(ep->prod[i].s)) == 0) {
                prod = 1;
                vendor = ep->prod[i].vendor;
            }
        if (strong || prod)
            rc = ep_hit(ep, ses, st, url, id, strong, vendor);
    }
    if (!rc && s != SQLITE_DONE)
        rc = hunt_fail(ep->ctx, KS_ESQL, "edge-probe: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(u);
    sqlite3_finalize(ses);
    sqlite3_finalize(st);
    return rc;
}

/* Internal servers that many external clients reach on appliance ports. */
static int ep_portals(struct ep *ep, sqlite3 *db)
{
    int rc;
    sqlite3_stmt *s = NULL;
    if ((rc = hunt_prepare_range(ep->ctx, db,
                                 "SELECT dst_ip, count(DISTINCT src_ip) FROM sessions"
                                 " WHERE first_ns BETWEEN ?1 AND ?2 AND proto = 6 AND piece = 0"
                                 " AND dst_port IN (SELECT value FROM json_each(?3))"
                                 " AND ks_internal(dst_ip) AND NOT ks_internal(src_ip)"
                                 " GROUP BY dst_ip HAVING count(DISTINCT src_ip) >= ?4",
                                 &s, "edge-probe")))
        return rc;
    sqlite3_bind_text(s, 3, ep->appl_ports, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, ep->min_clients);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16)
            continue;
        struct appl *a = hunt_map_get(&ep->appls, sqlite3_column_blob(s, 0), 16, 1);
        if (!a)
            continue;
        memcpy(a->ip, sqlite3_column_blob(s, 0), 16);
        uint64_t n = (uint64_t)sqlite3_column_int64(s, 1);
        if (n > a->max_clients)
            a->max_clients = n;
    }
    return hunt_finish(ep->ctx, db, s, st, "edge-probe");
}

static int ep_day(void *arg, int day, void *db)
{
    (void)day;
    struct ep *ep = arg;
    int rc = hnet_sql_internal(ep->ctx, db);
    if (!rc)
        rc = ep_urls(ep, db);
    if (!rc)
        rc = ep_portals(ep, db);
    return rc;
}

static double ep_x(const struct probe *p)
{
    unsigned v = 0;
    for (uint32_t b = p->vendors; b; b &= b - 1)
        v++;
    return p->nstrong + 0.25 * p->nprod + (v > 1 ? 0.5 * (v - 1) : 0) + (p->answered2xx ? 1 : 0);
}

static int ep_finish(void *arg, const void *key, size_t klen, void *value)
{
    (void)arg;
    (void)key;
    (void)klen;
    struct appl *a = value;
    hnet_items_finish(&a->items, a->list, sizeof a->list, &a->r);
    return 0;
}

/* Every probed server is an appliance; its first probe starts its "after". */
static int ep_mark(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct ep *ep = arg;
    struct probe *p = value;
    if (!p->nstrong && ep_x(p) < ep->min_x)
        return 0; /* a lone product path (a user of the portal) probes nothing */
    if (hunt_internal(ep->ctx, p->src) && !hunt_internal(ep->ctx, p->dst))
        return 0; /* an odd URL of ours to the internet: not our appliance */
    struct appl *a = hunt_map_get(&ep->appls, p->dst, 16, 1);
    if (!a)
        return 0;
    memcpy(a->ip, p->dst, 16);
    if (!a->probed || p->first_ns < a->first_probe_ns) {
        a->first_probe_ns = p->first_ns;
        hunt_addr(p->src, 16, a->prober, sizeof a->prober);
    }
    a->probed = 1;
    return 0;
}

struct p2 {
    struct ep *ep;
    sqlite3 *db;
    sqlite3_stmt *s;
};

static int ep_outbound(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct p2 *p2 = arg;
    struct ep *ep = p2->ep;
    struct appl *a = value;
    sqlite3_stmt *s = p2->s;
    sqlite3_reset(s);
    sqlite3_bind_blob(s, 3, a->ip, 16, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, a->cut);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16)
            continue;
        struct npkey k = {0};
        memcpy(k.appl, a->ip, 16);
        memcpy(k.dst, sqlite3_column_blob(s, 0), 16);
        int port = sqlite3_column_int(s, 1);
        k.port[0] = (uint8_t)(port >> 8);
        k.port[1] = (uint8_t)port;
        k.proto = (uint8_t)sqlite3_column_int(s, 2);
        struct np *n = hunt_map_get(&ep->pairs, &k, sizeof k, 1);
        if (!n)
            continue;
        uint64_t c = (uint64_t)sqlite3_column_int64(s, 4);
        if (!sqlite3_column_int(s, 3)) {
            n->before += c;
            continue;
        }
        int64_t f = sqlite3_column_int64(s, 6), l = sqlite3_column_int64(s, 7);
        if (!n->after || f < n->first_ns) {
            n->first_ns = f;
            n->id = (uint64_t)sqlite3_column_int64(s, 8);
        }
        if (l > n->last_ns)
            n->last_ns = l;
        n->after += c;
        n->answered += (uint64_t)sqlite3_column_int64(s, 5);
    }
    if (st != SQLITE_DONE)
        return hunt_fail(ep->ctx, KS_ESQL, "edge-probe: %s", sqlite3_errmsg(p2->db));
    return 0;
}

static int ep_day2(void *arg, int day, void *dbp)
{
    (void)day;
    struct ep *ep = arg;
    sqlite3 *db = dbp;
    int rc = hnet_sql_internal(ep->ctx, db);
    if (rc)
        return rc;
    struct p2 p2 = {ep, db, NULL};
    if ((rc =
             hunt_prepare_range(ep->ctx, db,
                                "SELECT dst_ip, dst_port, proto, first_ns >= ?4 AS aft,"
                                " count(DISTINCT id), count(DISTINCT CASE WHEN dst_payload > 0"
                                " THEN id END), min(first_ns), max(last_ns), min(id)"
                                " FROM sessions WHERE src_ip = ?3 AND first_ns BETWEEN ?1 AND ?2"
                                " AND proto IN (6, 17) AND ks_internal(dst_ip) AND dst_ip <> src_ip"
                                " AND dst_port NOT IN (SELECT value FROM json_each(?5))"
                                " GROUP BY dst_ip, dst_port, proto, aft",
                                &p2.s, "edge-probe")))
        return rc;
    sqlite3_bind_text(p2.s, 5, ep->quiet_ports, -1, SQLITE_STATIC);
    rc = hunt_map_each(&ep->appls, ep_outbound, &p2);
    sqlite3_finalize(p2.s);
    return rc;
}

static int ep_cut(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct ep *ep = arg;
    struct appl *a = value;
    a->cut = a->probed ? a->first_probe_ns : ep->cut;
    return 0;
}

/* A new (host, port) of an appliance: into the appliance's pivot result. */
static int ep_newpair(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct ep *ep = arg;
    const struct npkey *k = key;
    const struct np *n = value;
    if (n->before || !n->after)
        return 0;
    struct appl *a = hunt_map_get(&ep->appls, k->appl, 16, 0);
    if (!a)
        return 0;
    int port = k->port[0] << 8 | k->port[1];
    char dst[64], item[96];
    hunt_addr(k->dst, 16, dst, sizeof dst);
    if (!a->nnew || n->first_ns < a->first_ns) {
        snprintf(a->first_dst, sizeof a->first_dst, "%s", dst);
        a->first_ns = n->first_ns;
    }
    if (n->last_ns > a->last_ns)
        a->last_ns = n->last_ns;
    a->nnew++;
    a->nanswered += n->answered > 0;
    a->sessions += n->after;
    const char *name = hnet_port_name(port);
    snprintf(item, sizeof item, "%s:%d%s%s%s%s", dst, port, k->proto == 17 ? "/udp" : "",
             name[0] ? " (" : "", name, name[0] ? ")" : "");
    hnet_items_add(&a->items, n->first_ns, n->id, item);
    return 0;
}

static int ep_emit_probe(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct ep *ep = arg;
    struct probe *p = value;
    struct appl *a = hunt_map_get(&ep->appls, p->dst, 16, 0);
    /* The pivot raises a probe, never a portal user's request. */
    int pivot = a && a->nnew > 0 && (p->nstrong || ep_x(p) >= ep->min_x);
    double x = ep_x(p) + (pivot ? 2 : 0);
    if (x < ep->min_x)
        return 0;
    int inbound = !hunt_internal(ep->ctx, p->src) && hunt_internal(ep->ctx, p->dst);
    struct hunt_result r = {0};
    r.score = (inbound ? 1.0 : 0.8) * x / (x + 2);
    hunt_addr(p->src, 16, r.src, sizeof r.src);
    hunt_addr(p->dst, 16, r.dst, sizeof r.dst);
    char vend[128] = "";
    for (unsigned i = 0; i < ep->nvendors && i < 32; i++)
        if (p->vendors & (1u << i))
            hnet_list_add(vend, sizeof vend, ep->vendors[i]);
    char when[32], piv[160] = "";
    hnet_fmt_time(p->first_ns, when, sizeof when);
    if (pivot)
        hnet_text(piv, sizeof piv, "; the server then opened %u new internal connection%s (%s)",
                  a->nnew, a->nnew == 1 ? "" : "s", a->list);
    hnet_text(r.explain, sizeof r.explain,
              "%s sent %" PRIu64 " request%s to %s:%d from %s with %u exploit path%s and %u "
              "appliance path%s%s%s%s, e.g. %s%s%s",
              r.src, p->requests, p->requests == 1 ? "" : "s", r.dst, p->port, when, p->nstrong,
              p->nstrong == 1 ? "" : "s", p->nprod, p->nprod == 1 ? "" : "s", vend[0] ? " (" : "",
              vend, vend[0] ? ")" : "", p->sample,
              p->answered2xx ? "; an exploit path was answered 2xx" : "", piv);
    hnet_text(r.detail, sizeof r.detail, "%s", p->sample);
    snprintf(r.attack, sizeof r.attack, "%s", p->nstrong ? "T1190 T1595.002" : "T1595.002");
    for (unsigned i = 0; i < p->nstrong_ids; i++)
        hunt_result_event(&r, p->strong_ids[i]);
    for (unsigned i = 0; i < p->nprod_ids; i++)
        hunt_result_event(&r, p->prod_ids[i]);
    r.sessions = p->requests;
    r.first_ns = p->first_ns;
    r.last_ns = p->last_ns;
    return hunt_emit(ep->ctx, &r);
}

static int ep_emit_pivot(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct ep *ep = arg;
    struct appl *a = value;
    if (!a->nnew)
        return 0;
    struct hunt_result *r = &a->r;
    double n = a->nnew;
    r->score =
        (a->probed ? 0.85 : 0.5) * (0.6 + 0.4 * n / (n + 1)) * (0.7 + 0.3 * a->nanswered / n);
    hunt_addr(a->ip, 16, r->src, sizeof r->src);
    snprintf(r->dst, sizeof r->dst, "%s", a->first_dst);
    char why[160], since[32], when[32];
    hnet_fmt_time(a->cut, since, sizeof since);
    hnet_fmt_time(a->first_ns, when, sizeof when);
    if (a->probed)
        hnet_text(why, sizeof why, "probed with exploit paths by %s from %s", a->prober, since);
    else
        hnet_text(why, sizeof why, "serving %" PRIu64 " external clients a day", a->max_clients);
    hnet_text(r->explain, sizeof r->explain,
              "edge appliance %s (%s) opened %u connection%s to internal hosts it never "
              "opened before %s, from %s: %s; %u answered, %" PRIu64 " session%s",
              r->src, why, a->nnew, a->nnew == 1 ? "" : "s", since, when, a->list, a->nanswered,
              a->sessions, a->sessions == 1 ? "" : "s");
    hnet_text(r->detail, sizeof r->detail, "new: %s", a->list);
    snprintf(r->attack, sizeof r->attack, "T1133 T1190 T1021");
    r->sessions = a->sessions;
    r->first_ns = a->first_ns;
    r->last_ns = a->last_ns;
    return hunt_emit(ep->ctx, r);
}

static int edgeprobe_run(struct hunt_ctx *ctx)
{
    struct ep *ep = calloc(1, sizeof *ep);
    if (!ep)
        return KS_ENOMEM;
    ep->ctx = ctx;
    ep->min_clients = hunt_num(ctx, "min_clients");
    ep->min_x = hunt_num(ctx, "min_x");
    double recent = hunt_num(ctx, "recent");
    size_t max = (size_t)hunt_num(ctx, "max_pairs");
    struct hnet_ports ap, qp;
    int rc = 0;
    if (!(recent > 0) || !(ep->min_clients >= 1) || !(ep->min_x >= 0))
        rc = hunt_fail(ctx, KS_EINVAL,
                       "recent must be positive, min_clients at least 1, min_x "
                       "not negative");
    if (!rc)
        rc = ep_patterns(ep, "exploit_paths", ep->strong, &ep->nstrong, 0);
    if (!rc)
        rc = ep_patterns(ep, "product_paths", ep->prod, &ep->nprod, 1);
    if (!rc)
        rc = hnet_ports_parse(ctx, "appliance_ports", &ap);
    if (!rc)
        rc = hnet_ports_parse(ctx, "quiet_ports", &qp);
    if (rc)
        goto out;
    hnet_ports_json(&ap, ep->appl_ports, sizeof ep->appl_ports);
    hnet_ports_json(&qp, ep->quiet_ports, sizeof ep->quiet_ports);
    ep->cut = hnet_cut(ctx, recent);
    hunt_map_init(&ep->probes, sizeof(struct probe), max);
    hunt_map_init(&ep->appls, sizeof(struct appl), (size_t)hunt_num(ctx, "max_appliances"));
    hunt_map_init(&ep->pairs, sizeof(struct np), max);
    rc = hunt_days(ctx, ep_day, ep);
    if (!rc)
        rc = hunt_map_each(&ep->probes, ep_mark, ep);
    if (!rc && (ep->probes.refused || ep->appls.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f probing pairs or %.0f appliances: raise max_pairs, "
                       "max_appliances or min_clients, or narrow --since/--until",
                       hunt_num(ctx, "max_pairs"), hunt_num(ctx, "max_appliances"));
    if (!rc)
        rc = hunt_map_each(&ep->appls, ep_cut, ep);
    if (!rc && ep->appls.n)
        rc = hunt_days(ctx, ep_day2, ep);
    if (!rc && ep->pairs.refused)
        rc = hunt_fail(ctx, KS_ELIMIT, "more than %.0f appliance connections: raise max_pairs",
                       hunt_num(ctx, "max_pairs"));
    if (!rc)
        rc = hunt_map_each(&ep->pairs, ep_newpair, ep);
    if (!rc)
        rc = hunt_map_each(&ep->appls, ep_finish, ep);
    if (!rc)
        rc = hunt_map_each(&ep->probes, ep_emit_probe, ep);
    if (!rc)
        rc = hunt_map_each(&ep->appls, ep_emit_pivot, ep);
    hunt_map_release(&ep->probes);
    hunt_map_release(&ep->appls);
    hunt_map_release(&ep->pairs);
out:
    free(ep);
    return rc;
}

const struct hunt_kind hunt_kind_edgeprobe = {"edge-probe", edgeprobe_run};
