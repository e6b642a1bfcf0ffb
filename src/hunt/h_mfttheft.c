/*
 * h_mfttheft.c — the `mft-theft` analysis: a file-transfer server (MFT: Accellion FTA,
 * MOVEit, GoAnywhere … serving HTTPS, SFTP or FTP to partners) drained by one external
 * client, the CL0P pattern: the client pulls far more in a day than the server's partners
 * ever do, often in many sessions, often a client never seen before.
 *
 * Servers are found, not configured: every internal server that serves a port of `ports` to
 * at least min_clients external clients in the range.  Per day file one GROUP BY per (server,
 * port, external client) gives the client's sessions and bytes server->client that day (a
 * client-day).  Per (server, port) the client-days' download volumes are the baseline; its
 * median (never below `floor`) is what a partner pulls on a normal day.  A client-day with at
 * least min_bytes and at least min_ratio times that median is a result (one per client: its
 * heaviest day).  A second pass over that day picks the largest sessions as evidence.
 *
 * A partner that always pulls much is measured against its own other days instead, when
 * their mean exceeds the median.
 *
 * Score = r / (r + half) * (first-time ? 1 : 0.8) * (0.8 + 0.2 * s / (s + 5)), with
 * r = the day's bytes / max(median, the client's mean other day, floor), s = the day's
 * sessions; first-time = the client had no session with the server before that day.
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

struct skey {
    uint8_t server[16];
    uint8_t port[2];
};

struct ckey {
    struct skey s;
    uint8_t client[16];
};

struct server {
    struct hunt_vec days; /* bytes server->client of every client-day */
    uint64_t clients;
};

struct client {
    double max_bytes, total_bytes;
    uint64_t max_sessions, sessions;
    unsigned days;
    int max_day, first_day;
    int64_t first_ns, last_ns, max_first_ns, max_last_ns;
};

struct cand {
    struct ckey k;
    struct client c;
    double median, score;
    struct hunt_result r;
};

struct mft {
    struct hunt_ctx *ctx;
    struct hunt_map servers, clients;
    char ports[HNET_MAX_PORTS * 6 + 4];
    double min_clients, min_bytes, min_ratio, floor, half;
    struct cand *cands;
    size_t ncands, cap;
};

static int mft_day(void *arg, int day, void *dbp)
{
    struct mft *m = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    int rc = hnet_sql_internal(m->ctx, db);
    if (rc)
        return rc;
    if ((rc = hunt_prepare_range(
             m->ctx, db,
             "SELECT dst_ip, dst_port, src_ip, count(DISTINCT id), sum(dst_bytes),"
             " min(first_ns), max(last_ns) FROM sessions"
             " WHERE first_ns BETWEEN ?1 AND ?2 AND proto = 6"
             " AND dst_port IN (SELECT value FROM json_each(?3))"
             " AND ks_internal(dst_ip) AND NOT ks_internal(src_ip)"
             " GROUP BY dst_ip, dst_port, src_ip",
             &s, "mft-theft")))
        return rc;
    sqlite3_bind_text(s, 3, m->ports, -1, SQLITE_STATIC);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 2) != 16)
            continue;
        struct ckey k = {0};
        memcpy(k.s.server, sqlite3_column_blob(s, 0), 16);
        int port = sqlite3_column_int(s, 1);
        k.s.port[0] = (uint8_t)(port >> 8);
        k.s.port[1] = (uint8_t)port;
        memcpy(k.client, sqlite3_column_blob(s, 2), 16);
        struct server *sv = hunt_map_get(&m->servers, &k.s, sizeof k.s, 1);
        struct client *c = hunt_map_get(&m->clients, &k, sizeof k, 1);
        if (!sv || !c)
            continue; /* refused: counted */
        uint64_t n = (uint64_t)sqlite3_column_int64(s, 3);
        double bytes = (double)sqlite3_column_int64(s, 4);
        int64_t f = sqlite3_column_int64(s, 5), l = sqlite3_column_int64(s, 6);
        if (!sv->days.max)
            sv->days.max = (size_t)hunt_num(m->ctx, "max_pairs");
        int prc = hunt_vec_push(&sv->days, bytes);
        if (prc)
            return prc;
        if (!c->days) {
            sv->clients++;
            c->first_day = day;
            c->first_ns = f;
        }
        c->days++;
        c->sessions += n;
        c->total_bytes += bytes;
        if (f < c->first_ns)
            c->first_ns = f;
        if (l > c->last_ns)
            c->last_ns = l;
        if (bytes > c->max_bytes) {
            c->max_bytes = bytes;
            c->max_sessions = n;
            c->max_day = day;
            c->max_first_ns = f;
            c->max_last_ns = l;
        }
    }
    return hunt_finish(m->ctx, db, s, st, "mft-theft");
}

/* The median client-day of each server, kept in days.v[0] once computed (days.n = 1). */
static int mft_median(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    (void)arg;
    struct server *sv = value;
    if (sv->days.n) {
        double med = hunt_quantile(sv->days.v, sv->days.n, 0.5);
        sv->days.v[0] = med;
        sv->days.n = 1;
    }
    return 0;
}

/* What the client's heaviest day is measured against: the server's median client-day, or the
   client's own other days when it is a partner that always pulls much, never below floor. */
static double mft_base(const struct mft *m, double median, const struct client *c)
{
    double own = c->days > 1 ? (c->total_bytes - c->max_bytes) / (c->days - 1) : 0;
    double b = median > own ? median : own;
    return b > m->floor ? b : m->floor;
}

static int mft_judge(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct mft *m = arg;
    const struct ckey *k = key;
    struct client *c = value;
    struct server *sv = hunt_map_get(&m->servers, &k->s, sizeof k->s, 0);
    if (!sv || (double)sv->clients < m->min_clients || !sv->days.n)
        return 0;
    double ratio = c->max_bytes / mft_base(m, sv->days.v[0], c);
    if (c->max_bytes < m->min_bytes || ratio < m->min_ratio)
        return 0;
    if (m->ncands == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        if (nc > HUNT_MAX_RESULTS)
            return hunt_fail(m->ctx, KS_ELIMIT,
                             "more than %d drained clients: raise min_bytes or min_ratio",
                             HUNT_MAX_RESULTS);
        struct cand *v = realloc(m->cands, nc * sizeof *v);
        if (!v)
            return KS_ENOMEM;
        m->cands = v;
        m->cap = nc;
    }
    struct cand *cd = &m->cands[m->ncands++];
    memset(cd, 0, sizeof *cd);
    cd->k = *k;
    cd->c = *c;
    cd->median = sv->days.v[0];
    int first = c->first_day == c->max_day;
    double s = (double)c->max_sessions;
    cd->score = ratio / (ratio + m->half) * (first ? 1.0 : 0.8) * (0.8 + 0.2 * s / (s + 5));
    return 0;
}

/* Pass 2: the heaviest sessions of each result's day. */
static int mft_evidence(void *arg, int day, void *dbp)
{
    int rc;
    struct mft *m = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    if ((rc = hunt_prepare_range(m->ctx, db,
                                 "SELECT id, sum(dst_bytes) FROM sessions WHERE dst_ip = ?3"
                                 " AND src_ip = ?4 AND dst_port = ?5 AND proto = 6"
                                 " AND first_ns BETWEEN ?1 AND ?2 GROUP BY id ORDER BY 2 DESC, 1"
                                 " LIMIT 32",
                                 &s, "mft-theft")))
        return rc;
    for (size_t i = 0; i < m->ncands; i++) {
        struct cand *cd = &m->cands[i];
        if (cd->c.max_day != day)
            continue;
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 3, cd->k.s.server, 16, SQLITE_STATIC);
        sqlite3_bind_blob(s, 4, cd->k.client, 16, SQLITE_STATIC);
        sqlite3_bind_int(s, 5, cd->k.s.port[0] << 8 | cd->k.s.port[1]);
        int st;
        while ((st = sqlite3_step(s)) == SQLITE_ROW)
            hunt_result_event(&cd->r, (uint64_t)sqlite3_column_int64(s, 0));
        if (st != SQLITE_DONE) {
            sqlite3_finalize(s);
            return hunt_fail(m->ctx, KS_ESQL, "mft-theft: %s", sqlite3_errmsg(db));
        }
    }
    sqlite3_finalize(s);
    return 0;
}

static int mft_emit(struct mft *m, struct cand *cd)
{
    struct hunt_result *r = &cd->r;
    const struct client *c = &cd->c;
    r->score = cd->score;
    hunt_addr(cd->k.client, 16, r->src, sizeof r->src);
    hunt_addr(cd->k.s.server, 16, r->dst, sizeof r->dst);
    int port = cd->k.s.port[0] << 8 | cd->k.s.port[1];
    char day[32], med[32], tot[32], when[32];
    hunt_fmt_bytes(c->max_bytes, day, sizeof day);
    hunt_fmt_bytes(cd->median, med, sizeof med);
    hunt_fmt_bytes(c->total_bytes, tot, sizeof tot);
    hnet_fmt_time(c->max_first_ns, when, sizeof when);
    double ratio = c->max_bytes / mft_base(m, cd->median, c);
    hnet_text(r->explain, sizeof r->explain,
              "%s downloaded %s from transfer server %s:%d in %" PRIu64 " session%s on "
              "%04d-%02d-%02d (from %s), %.0fx the server's median client-day of %s%s; %s; %s in "
              "all over %u day%s",
              r->src, day, r->dst, port, c->max_sessions, c->max_sessions == 1 ? "" : "s",
              c->max_day / 10000, c->max_day / 100 % 100, c->max_day % 100, when, ratio, med,
              c->days > 1 ? " or its own other days" : "",
              c->first_day == c->max_day ? "a client never seen before that day" : "a known client",
              tot, c->days, c->days == 1 ? "" : "s");
    hnet_text(r->detail, sizeof r->detail, "%d/tcp %s", port, day);
    r->sessions = c->max_sessions;
    r->first_ns = c->max_first_ns;
    r->last_ns = c->max_last_ns;
    return hunt_emit(m->ctx, r);
}

static int mft_release(void *arg, const void *key, size_t klen, void *value)
{
    (void)arg;
    (void)key;
    (void)klen;
    hunt_vec_release(&((struct server *)value)->days);
    return 0;
}

static int mfttheft_run(struct hunt_ctx *ctx)
{
    struct mft m = {
        .ctx = ctx,
        .min_clients = hunt_num(ctx, "min_clients"),
        .min_bytes = hunt_num(ctx, "min_bytes"),
        .min_ratio = hunt_num(ctx, "min_ratio"),
        .floor = hunt_num(ctx, "floor"),
        .half = hunt_num(ctx, "half"),
    };
    if (!(m.min_clients >= 1) || !(m.min_bytes >= 0) || !(m.min_ratio >= 0) || !(m.floor > 0) ||
        !(m.half > 0))
        return hunt_fail(ctx, KS_EINVAL,
                         "min_clients must be at least 1, floor and half positive, min_bytes "
                         "and min_ratio not negative");
    struct hnet_ports ports;
    int rc = hnet_ports_parse(ctx, "ports", &ports);
    if (rc)
        return rc;
    hnet_ports_json(&ports, m.ports, sizeof m.ports);
    size_t max = (size_t)hunt_num(ctx, "max_pairs");
    hunt_map_init(&m.servers, sizeof(struct server), max);
    hunt_map_init(&m.clients, sizeof(struct client), max);
    rc = hunt_days(ctx, mft_day, &m);
    if (!rc && (m.servers.refused || m.clients.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f server/client pairs: raise max_pairs or narrow "
                       "--since/--until",
                       hunt_num(ctx, "max_pairs"));
    if (!rc)
        rc = hunt_map_each(&m.servers, mft_median, &m);
    if (!rc)
        rc = hunt_map_each(&m.clients, mft_judge, &m);
    if (!rc && m.ncands)
        rc = hunt_days(ctx, mft_evidence, &m);
    for (size_t i = 0; !rc && i < m.ncands; i++)
        rc = mft_emit(&m, &m.cands[i]);
    free(m.cands);
    hunt_map_each(&m.servers, mft_release, NULL);
    hunt_map_release(&m.servers);
    hunt_map_release(&m.clients);
    return rc;
}

const struct hunt_kind hunt_kind_mfttheft = {"mft-theft", mfttheft_run};
