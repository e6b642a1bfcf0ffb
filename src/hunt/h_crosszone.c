/*
 * h_crosszone.c — the `cross-zone` analysis: a host of one internal zone reaches servers of
 * another zone on admin and file protocols (SMB, RDP, WinRM, SSH, RPC, LDAP, SQL …) where
 * nobody of its zone ever did before: an affiliate or a branch pivoting into headquarters.
 *
 * Zones (hnet_zone): the user's (--zone, STORE/zones.conf), else every /16 of private IPv4
 * space is a zone, so 10.50.0.0/16 and 10.1.0.0/16 differ without configuration.  Only
 * internal-to-internal access is read (the `ports` list, TCP); external sources are the
 * business of edge-probe and scan.
 *
 * "First seen": the run's data is cut in two, the baseline and the recent window (the last
 * `recent` of the data; everything before it is baseline).  A (source zone, server, port) is
 * new when no host of the source zone used it in the baseline.  Per day file one GROUP BY per
 * (client, server, port, side of the cut) gives sessions, answered sessions and times; maps
 * bounded by max_pairs hold the baseline's (zone, server, port) and (zone, zone) pairs and
 * the recent window's (client, server, port).  Each client with new pairs is one result.
 *
 * Score = (0.4 + 0.6 * n / (n + half)) * (0.6 + 0.4 * a / n) * z, with n new (server, port)
 * pairs of the client, a of them answered (the server sent payload), and z = 1 when its zone
 * had no admin access to that zone at all in the baseline, 0.8 when it had some (to other
 * servers or ports).  With no baseline (data shorter than `recent`) every cross-zone access
 * is new; the explanation says so.
 */
#include "hunt/hunt.h"
#include "hunt/h_smbrpc.h"
#include "hunt/netlib.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZNAME 48

struct zkey {
    char zone[ZNAME];
    uint8_t dst[16];
    uint8_t port[2];
};

struct zzkey {
    char from[ZNAME], to[ZNAME];
};

struct rkey {
    uint8_t src[16], dst[16];
    uint8_t port[2];
};

struct rpair {
    uint64_t sessions, answered, id;
    int64_t first_ns, last_ns;
};

struct client {
    unsigned n, answered, zone_new;
    uint64_t sessions;
    int64_t first_ns, last_ns;
    char zone[ZNAME], to[ZNAME];
    char first_dst[64];
    struct hnet_items items; /* the new pairs */
    char list[256];
    char attack[96];
    struct hunt_result r;
};

struct cz {
    struct hunt_ctx *ctx;
    struct hunt_map base, zbase, recent, clients;
    int64_t cut;
    double half;
    char ports[HNET_MAX_PORTS * 6 + 4];
};

static int cz_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct cz *cz = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    int rc = hnet_sql_internal(cz->ctx, db);
    if (rc)
        return rc;
    if ((rc = hunt_prepare_range(cz->ctx, db,
                                 "SELECT src_ip, dst_ip, dst_port, first_ns >= ?3 AS rec,"
                                 " count(DISTINCT id), count(DISTINCT CASE WHEN dst_payload > 0"
                                 " THEN id END), min(first_ns), max(last_ns), min(id)"
                                 " FROM sessions WHERE first_ns BETWEEN ?1 AND ?2 AND proto = 6"
                                 " AND dst_port IN (SELECT value FROM json_each(?4))"
                                 " AND ks_internal(src_ip) AND ks_internal(dst_ip)"
                                 " GROUP BY src_ip, dst_ip, dst_port, rec",
                                 &s, "cross-zone")))
        return rc;
    sqlite3_bind_int64(s, 3, cz->cut);
    sqlite3_bind_text(s, 4, cz->ports, -1, SQLITE_STATIC);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
            continue;
        const uint8_t *src = sqlite3_column_blob(s, 0), *dst = sqlite3_column_blob(s, 1);
        char zs[ZNAME] = {0}, zd[ZNAME] = {0};
        hnet_zone(cz->ctx, src, zs, sizeof zs);
        hnet_zone(cz->ctx, dst, zd, sizeof zd);
        if (strcmp(zs, zd) == 0)
            continue;
        int port = sqlite3_column_int(s, 2);
        uint64_t n = (uint64_t)sqlite3_column_int64(s, 4);
        if (!sqlite3_column_int(s, 3)) {
            struct zkey k = {0};
            memcpy(k.zone, zs, sizeof zs);
            memcpy(k.dst, dst, 16);
            k.port[0] = (uint8_t)(port >> 8);
            k.port[1] = (uint8_t)port;
            uint64_t *b = hunt_map_get(&cz->base, &k, sizeof k, 1);
            struct zzkey zk = {0};
            memcpy(zk.from, zs, sizeof zs);
            memcpy(zk.to, zd, sizeof zd);
            uint64_t *zb = hunt_map_get(&cz->zbase, &zk, sizeof zk, 1);
            if (b)
                *b += n;
            if (zb)
                *zb += n;
            continue;
        }
        struct rkey k = {0};
        memcpy(k.src, src, 16);
        memcpy(k.dst, dst, 16);
        k.port[0] = (uint8_t)(port >> 8);
        k.port[1] = (uint8_t)port;
        struct rpair *p = hunt_map_get(&cz->recent, &k, sizeof k, 1);
        if (!p)
            continue;
        int64_t f = sqlite3_column_int64(s, 6), l = sqlite3_column_int64(s, 7);
        if (!p->sessions || f < p->first_ns) {
            p->first_ns = f;
            p->id = (uint64_t)sqlite3_column_int64(s, 8);
        }
        if (l > p->last_ns)
            p->last_ns = l;
        p->sessions += n;
        p->answered += (uint64_t)sqlite3_column_int64(s, 5);
    }
    return hunt_finish(cz->ctx, db, s, st, "cross-zone");
}

/* A recent (client, server, port) nobody of the client's zone used in the baseline. */
static int cz_pair(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct cz *cz = arg;
    const struct rkey *k = key;
    const struct rpair *p = value;
    struct zkey bk = {0};
    hnet_zone(cz->ctx, k->src, bk.zone, sizeof bk.zone);
    memcpy(bk.dst, k->dst, 16);
    memcpy(bk.port, k->port, 2);
    if (hunt_map_get(&cz->base, &bk, sizeof bk, 0))
        return 0;
    struct zzkey zk = {0};
    memcpy(zk.from, bk.zone, sizeof bk.zone);
    hnet_zone(cz->ctx, k->dst, zk.to, sizeof zk.to);
    int zone_new = hunt_map_get(&cz->zbase, &zk, sizeof zk, 0) == NULL;

    struct client *c = hunt_map_get(&cz->clients, k->src, 16, 1);
    if (!c)
        return 0; /* refused: counted */
    int port = k->port[0] << 8 | k->port[1];
    char dst[64], item[96];
    hunt_addr(k->dst, 16, dst, sizeof dst);
    if (!c->n) {
        memcpy(c->zone, bk.zone, sizeof c->zone);
        memcpy(c->to, zk.to, sizeof c->to);
        hunt_addr(k->src, 16, c->r.src, sizeof c->r.src);
    }
    if (!c->n || p->first_ns < c->first_ns) {
        snprintf(c->first_dst, sizeof c->first_dst, "%s", dst);
        c->first_ns = p->first_ns;
    }
    if (p->last_ns > c->last_ns)
        c->last_ns = p->last_ns;
    c->n++;
    c->answered += p->answered > 0;
    c->zone_new |= zone_new;
    c->sessions += p->sessions;
    const char *name = hnet_port_name(port), *att = hnet_port_attack(port);
    snprintf(item, sizeof item, "%s:%d%s%s%s%s", dst, port, name[0] ? " (" : "", name,
             name[0] ? ")" : "", p->answered ? "" : " unanswered");
    hnet_items_add(&c->items, p->first_ns, p->id, item);
    if (att[0] && !strstr(c->attack, att))
        hnet_list_add(c->attack, sizeof c->attack, att);
    return 0;
}

static int cz_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct cz *cz = arg;
    struct client *c = value;
    struct hunt_result *r = &c->r;
    hnet_items_finish(&c->items, c->list, sizeof c->list, r);
    double n = c->n;
    r->score = (0.4 + 0.6 * n / (n + cz->half)) * (0.6 + 0.4 * c->answered / n) *
               (c->zone_new ? 1.0 : 0.8);
    snprintf(r->dst, sizeof r->dst, "%s", c->first_dst);
    hnet_text(r->detail, sizeof r->detail, "%s -> %s: %s", c->zone, c->to, c->list);
    const struct hunt_coverage *cov = hunt_cov(cz->ctx);
    char base[48] = "no baseline (the data is shorter than `recent`)";
    if (cz->cut > cov->first_ns) {
        char d[24];
        hunt_fmt_dur((double)(cz->cut - cov->first_ns) / 1e9, d, sizeof d);
        snprintf(base, sizeof base, "%s of baseline", d);
    }
    char when[32];
    hnet_fmt_time(c->first_ns, when, sizeof when);
    hnet_text(r->explain, sizeof r->explain,
              "%s (zone %s) reached %u admin/file service%s in zone %s first seen from its zone, "
              "from %s: %s; %u answered, %" PRIu64 " sessions; %s%s",
              r->src, c->zone, c->n, c->n == 1 ? "" : "s", c->to, when, c->list, c->answered,
              c->sessions, base, c->zone_new ? ", no admin access between these zones before" : "");
    /* the attack list: T1021.x of the ports, T1199 (trusted relationship) */
    char att[96];
    snprintf(att, sizeof att, "%s", c->attack);
    for (char *p = att; (p = strstr(p, ", ")); p++)
        memmove(p, p + 1, strlen(p + 1) + 1);
    hnet_text(r->attack, sizeof r->attack, "T1199%s%s", att[0] ? " " : "", att);
    r->sessions = c->sessions;
    r->first_ns = c->first_ns;
    r->last_ns = c->last_ns;
    return hunt_emit(cz->ctx, r);
}

static int crosszone_run(struct hunt_ctx *ctx)
{
    struct cz cz = {.ctx = ctx, .half = hunt_num(ctx, "half")};
    double recent = hunt_num(ctx, "recent");
    if (!(recent > 0) || !(cz.half > 0))
        return hunt_fail(ctx, KS_EINVAL, "recent and half must be positive");
    struct hnet_ports ports;
    int rc = hnet_ports_parse(ctx, "ports", &ports);
    if (rc)
        return rc;
    hnet_ports_json(&ports, cz.ports, sizeof cz.ports);
    cz.cut = hnet_cut(ctx, recent);
    size_t max = (size_t)hunt_num(ctx, "max_pairs");
    hunt_map_init(&cz.base, sizeof(uint64_t), max);
    hunt_map_init(&cz.zbase, sizeof(uint64_t), max);
    hunt_map_init(&cz.recent, sizeof(struct rpair), max);
    hunt_map_init(&cz.clients, sizeof(struct client), max);
    rc = hunt_days(ctx, cz_day, &cz);
    if (!rc)
        rc = hunt_map_each(&cz.recent, cz_pair, &cz);
    if (!rc && (cz.base.refused || cz.zbase.refused || cz.recent.refused || cz.clients.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f cross-zone pairs: raise max_pairs or narrow --since/--until",
                       hunt_num(ctx, "max_pairs"));
    if (!rc)
        rc = hunt_map_each(&cz.clients, cz_emit, &cz);
    hunt_map_release(&cz.base);
    hunt_map_release(&cz.zbase);
    hunt_map_release(&cz.recent);
    hunt_map_release(&cz.clients);
    return rc;
}

const struct hunt_kind hunt_kind_crosszone = {"cross-zone", crosszone_run};
