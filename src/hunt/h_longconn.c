/*
 * h_longconn.c — the `long-conn` analysis: connections and host pairs with a long cumulative
 * duration (RITA's "long connections").  C2 channels, reverse shells and tunnels stay open for
 * hours; ordinary client traffic does not.
 *
 * Per day file, one GROUP BY over the sessions of the range gives, per (client, server, port,
 * transport), the summed duration of its session pieces (a session longer than the flow
 * table's active timeout is stored as several pieces, so summing pieces gives its real length),
 * the longest single piece and that piece's session id (SQLite returns the bare columns of the
 * max() row).  Pairs are merged across days in a map bounded by param max_pairs.
 *
 * Score: the cumulative duration squashed around `half` (score 0.5 at `half`), raised for an
 * internal client talking to an external server (the shape of a C2 channel) and lowered for
 * internal-to-internal pairs (backups, database links).
 */
#include "hunt/hunt.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct pair {
    double total_s, longest_s;
    uint64_t sessions, bytes_out, bytes_in;
    uint64_t longest_id;
    int64_t first_ns, last_ns;
    uint8_t src[16], dst[16];
    int port, proto;
    char app[24];
};

struct lc {
    struct hunt_ctx *ctx;
    struct hunt_map pairs;
    double min_total;
};

static int lc_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct lc *lc = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    int rc =
        hunt_prepare_range(lc->ctx, db,
                           "SELECT src_ip, dst_ip, dst_port, proto, count(*),"
                           " sum(last_ns - first_ns), max(last_ns - first_ns), id,"
                           " min(first_ns), max(last_ns), sum(src_bytes), sum(dst_bytes),"
                           " coalesce(app, '')"
                           " FROM sessions WHERE first_ns BETWEEN ?1 AND ?2 AND proto IN (6, 17)"
                           " GROUP BY src_ip, dst_ip, dst_port, proto"
                           " HAVING sum(last_ns - first_ns) >= ?3",
                           &s, "long-conn");
    if (rc)
        return rc;
    /* A pair needs at least a minute on one day to matter at all. */
    sqlite3_bind_int64(s, 3, (int64_t)60 * 1000000000);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        uint8_t key[36];
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
            continue;
        memcpy(key, sqlite3_column_blob(s, 0), 16);
        memcpy(key + 16, sqlite3_column_blob(s, 1), 16);
        int port = sqlite3_column_int(s, 2), proto = sqlite3_column_int(s, 3);
        key[32] = (uint8_t)(port >> 8);
        key[33] = (uint8_t)port;
        key[34] = (uint8_t)proto;
        struct pair *p = hunt_map_get(&lc->pairs, key, 35, 1);
        if (!p)
            continue; /* over the cap: counted in pairs.refused */
        if (!p->sessions) {
            memcpy(p->src, key, 16);
            memcpy(p->dst, key + 16, 16);
            p->port = port;
            p->proto = proto;
            snprintf(p->app, sizeof p->app, "%s", (const char *)sqlite3_column_text(s, 12));
        }
        double longest = (double)sqlite3_column_int64(s, 6) / 1e9;
        p->sessions += (uint64_t)sqlite3_column_int64(s, 4);
        p->total_s += (double)sqlite3_column_int64(s, 5) / 1e9;
        if (longest > p->longest_s) {
            p->longest_s = longest;
            p->longest_id = (uint64_t)sqlite3_column_int64(s, 7);
        }
        int64_t f = sqlite3_column_int64(s, 8), l = sqlite3_column_int64(s, 9);
        if (!p->first_ns || f < p->first_ns)
            p->first_ns = f;
        if (l > p->last_ns)
            p->last_ns = l;
        p->bytes_out += (uint64_t)sqlite3_column_int64(s, 10);
        p->bytes_in += (uint64_t)sqlite3_column_int64(s, 11);
    }
    return hunt_finish(lc->ctx, db, s, st, "long-conn");
}

static int lc_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct lc *lc = arg;
    struct pair *p = value;
    if (p->total_s < lc->min_total)
        return 0;
    struct hunt_result r = {0};
    int src_in = hunt_internal(lc->ctx, p->src), dst_in = hunt_internal(lc->ctx, p->dst);
    double w = src_in && !dst_in ? 1.0 : src_in && dst_in ? 0.6 : 0.8;
    r.score = w * hunt_squash(p->total_s, hunt_num(lc->ctx, "half"));
    hunt_addr(p->src, 16, r.src, sizeof r.src);
    hunt_addr(p->dst, 16, r.dst, sizeof r.dst);
    char tot[32], lon[32], out[32], in[32];
    hunt_fmt_dur(p->total_s, tot, sizeof tot);
    hunt_fmt_dur(p->longest_s, lon, sizeof lon);
    hunt_fmt_bytes((double)p->bytes_out, out, sizeof out);
    hunt_fmt_bytes((double)p->bytes_in, in, sizeof in);
    snprintf(r.explain, sizeof r.explain,
             "%s connected %s to %s:%d/%s (%s) for %s in all over %" PRIu64
             " session pieces, longest %s; %s out, %s in",
             r.src, src_in && !dst_in ? "out" : "", r.dst, p->port, p->proto == 6 ? "tcp" : "udp",
             p->app[0] ? p->app : "unparsed", tot, p->sessions, lon, out, in);
    /* "connected  to" when not outbound: tidy the double space. */
    char *dbl = strstr(r.explain, "  ");
    if (dbl)
        memmove(dbl, dbl + 1, strlen(dbl));
    snprintf(r.detail, sizeof r.detail, "%d/%s", p->port, p->proto == 6 ? "tcp" : "udp");
    r.sessions = p->sessions;
    r.first_ns = p->first_ns;
    r.last_ns = p->last_ns;
    hunt_result_event(&r, p->longest_id);
    return hunt_emit(lc->ctx, &r);
}

static int longconn_run(struct hunt_ctx *ctx)
{
    struct lc lc = {.ctx = ctx, .min_total = hunt_num(ctx, "min_total")};
    hunt_map_init(&lc.pairs, sizeof(struct pair), (size_t)hunt_num(ctx, "max_pairs"));
    int rc = hunt_days(ctx, lc_day, &lc);
    if (!rc)
        rc = hunt_map_each(&lc.pairs, lc_emit, &lc);
    if (!rc && lc.pairs.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f host pairs with long connections: raise max_pairs or narrow "
                       "--since/--until",
                       hunt_num(ctx, "max_pairs"));
    hunt_map_release(&lc.pairs);
    return rc;
}

const struct hunt_kind hunt_kind_longconn = {"long-conn", longconn_run};
