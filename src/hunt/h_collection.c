/*
 * h_collection.c — the `collection` analysis: a client reading unusual numbers of files or
 * bytes from a file server's share within one window (param bucket, an hour by default).
 *
 * What is counted: SMB file records (one per opened file, written at CLOSE) on disk shares
 * with bytes read > 0 — files actually read, not directories listed or attributes queried —
 * per (client, server, share, window): distinct file paths F and bytes read B.  A file record
 * lands in the session piece during which the file was closed; pieces are at most ten minutes
 * long, so windows of an hour or more place it well enough.
 *
 * Baselines, from every window in the range:
 *   own   the median F (and B) of the client's other windows, on any server, when it has at
 *         least min_history of them (a client whose only SMB activity is the spike has none)
 *   peers the median F (and B) of every window on that server (all clients; the whole
 *         range's windows when the server has fewer than three)
 *   base  max(own, peers, 1 file / 64 KiB): a client that reads a lot every day (a backup or
 *         indexing host) is measured against itself, everyone else at least against the
 *         ordinary user of that server.
 * Medians come from log-binned histograms (h_smbrpc.h, within 10 %), so memory grows with the
 * number of clients and servers, not with the windows.
 *
 * A window is a result when F >= min_files and F >= min_ratio x base, or B >= min_bytes and
 * B >= min_ratio x base.  Score: with rF = F / base_F and rB = B / base_B,
 *   sF = rF / (rF + half_ratio), sB likewise, score = 0.65 max(sF, sB) + 0.35 min(sF, sB)
 * so many files and many bytes together outrank either alone.  A client that read as much
 * before is doing something routine (a nightly backup, an indexer): the score is divided by
 * 1 + the number of its other windows with at least half the files (or bytes, whichever ratio
 * is larger) of this one.
 *
 * Per day file: one GROUP BY over the file records of disk-share sessions (found through the
 * `fields` index of smb.share_type) gives the windows; windows above the floors are kept as
 * candidates, with their heaviest sessions as evidence (one indexed query each).
 */
#include "hunt/h_smbrpc.h"
#include "hunt/hunt.h"

#include "core/err.h"
#include "core/ktime.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct co_hist {
    struct hsr_hist files, bytes;
};

struct co_cand {
    uint8_t src[16], dst[16];
    char share[128], user[64];
    int64_t bucket;
    double files, bytes;
    uint64_t sessions;
    int64_t first_ns, last_ns;
    uint64_t ids[HUNT_MAX_EVIDENCE];
    unsigned nids;
};

struct co {
    struct hunt_ctx *ctx;
    struct hunt_map clients, servers; /* address → struct co_hist */
    struct co_hist all;
    struct co_cand *cands;
    size_t ncands, cap, max;
    int64_t bucket_ns;
    double min_files, min_bytes;
};

double hsr_collection_score(double rf, double rb, double half)
{
    double sf = hunt_squash(rf, half), sb = hunt_squash(rb, half);
    double hi = sf > sb ? sf : sb, lo = sf > sb ? sb : sf;
    return 0.65 * hi + 0.35 * lo;
}

static void hist_add(struct co_hist *h, double f, double b, int delta)
{
    hsr_hist_add(&h->files, f, delta);
    hsr_hist_add(&h->bytes, b, delta);
}

/* The heaviest sessions of one candidate window, as evidence. */
static int co_evidence(struct co *co, sqlite3 *db, struct co_cand *c, int64_t lo, int64_t hi)
{
    static const char sql[] =
        "SELECT s.id, sum(json_extract(r.json, '$.smb.file.bytes_read')) AS br"
        " FROM sessions s JOIN records r ON r.id = s.id AND r.piece = s.piece"
        " WHERE s.src_ip = ?1 AND s.dst_ip = ?2 AND s.first_ns BETWEEN ?3 AND ?4"
        "  AND r.type = 'smb' AND json_extract(r.json, '$.smb.share') = ?5"
        "  AND json_extract(r.json, '$.smb.share_type') = 'disk'"
        "  AND json_extract(r.json, '$.smb.file.bytes_read') > 0"
        " GROUP BY s.id ORDER BY br DESC, s.id LIMIT ?6";
    sqlite3_stmt *s;
    int rc = hunt_prepare(co->ctx, db, sql, &s, "collection");
    if (rc)
        return rc;
    int64_t w0 = c->bucket * co->bucket_ns, w1 = w0 + co->bucket_ns - 1;
    sqlite3_bind_blob(s, 1, c->src, 16, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, c->dst, 16, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, w0 > lo ? w0 : lo);
    sqlite3_bind_int64(s, 4, w1 < hi ? w1 : hi);
    sqlite3_bind_text(s, 5, c->share, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, HUNT_MAX_EVIDENCE);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW)
        if (c->nids < HUNT_MAX_EVIDENCE)
            c->ids[c->nids++] = (uint64_t)sqlite3_column_int64(s, 0);
    return hunt_finish(co->ctx, db, s, st, "collection");
}

static int co_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct co *co = arg;
    sqlite3 *db = dbp;
    int64_t pid = hsr_pid(db, "smb.share_type");
    if (pid < 0)
        return 0;
    static const char sql[] =
        "WITH cand(id) AS (SELECT DISTINCT id FROM fields WHERE pid = ?3 AND value = 'disk')"
        " SELECT s.src_ip, s.dst_ip, json_extract(r.json, '$.smb.share') AS share,"
        "  s.first_ns / ?4 AS b, count(DISTINCT json_extract(r.json, '$.file.path')),"
        "  sum(json_extract(r.json, '$.smb.file.bytes_read')), count(DISTINCT s.id),"
        "  min(s.first_ns), max(s.last_ns), max(json_extract(r.json, '$.smb.user')),"
        "  max(json_extract(r.json, '$.smb.domain'))"
        " FROM cand JOIN sessions s ON s.id = cand.id"
        " JOIN records r ON r.id = s.id AND r.piece = s.piece"
        " WHERE s.first_ns BETWEEN ?1 AND ?2 AND r.type = 'smb'"
        "  AND json_extract(r.json, '$.smb.share_type') = 'disk'"
        "  AND json_extract(r.json, '$.smb.file.bytes_read') > 0"
        " GROUP BY s.src_ip, s.dst_ip, share, b";
    sqlite3_stmt *s;
    int rc = hunt_prepare(co->ctx, db, sql, &s, "collection");
    if (rc)
        return rc;
    int64_t lo, hi;
    hunt_range(co->ctx, &lo, &hi);
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    sqlite3_bind_int64(s, 3, pid);
    sqlite3_bind_int64(s, 4, co->bucket_ns);
    size_t first_new = co->ncands;
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
            continue;
        const void *src = sqlite3_column_blob(s, 0), *dst = sqlite3_column_blob(s, 1);
        double f = (double)sqlite3_column_int64(s, 4), b = (double)sqlite3_column_int64(s, 5);
        struct co_hist *ch = hunt_map_get(&co->clients, src, 16, 1);
        struct co_hist *sh = hunt_map_get(&co->servers, dst, 16, 1);
        if (!ch || !sh)
            continue; /* over the cap: counted in refused */
        hist_add(ch, f, b, 1);
        hist_add(sh, f, b, 1);
        hist_add(&co->all, f, b, 1);
        if (f < co->min_files && b < co->min_bytes)
            continue;
        if (co->ncands == co->max) {
            co->clients.refused++;
            continue;
        }
        if (co->ncands == co->cap) {
            size_t nc = co->cap ? co->cap * 2 : 64;
            struct co_cand *nv = realloc(co->cands, nc * sizeof *nv);
            if (!nv) {
                rc = KS_ENOMEM;
                break;
            }
            co->cands = nv;
            co->cap = nc;
        }
        struct co_cand *c = &co->cands[co->ncands++];
        memset(c, 0, sizeof *c);
        memcpy(c->src, src, 16);
        memcpy(c->dst, dst, 16);
        const unsigned char *share = sqlite3_column_text(s, 2);
        snprintf(c->share, sizeof c->share, "%s", share ? (const char *)share : "");
        c->bucket = sqlite3_column_int64(s, 3);
        c->files = f;
        c->bytes = b;
        c->sessions = (uint64_t)sqlite3_column_int64(s, 6);
        c->first_ns = sqlite3_column_int64(s, 7);
        c->last_ns = sqlite3_column_int64(s, 8);
        const unsigned char *u = sqlite3_column_text(s, 9), *d = sqlite3_column_text(s, 10);
        if (u)
            snprintf(c->user, sizeof c->user, "%s%s%s", d ? (const char *)d : "", d ? "\\" : "",
                     (const char *)u);
    }
    if (rc) {
        sqlite3_finalize(s);
        return rc;
    }
    rc = hunt_finish(co->ctx, db, s, st, "collection");
    for (size_t i = first_new; i < co->ncands && !rc; i++)
        rc = co_evidence(co, db, &co->cands[i], lo, hi);
    return rc;
}

/* The median of h without the value v (put back before returning). */
static double median_without(struct hsr_hist *h, double v)
{
    hsr_hist_add(h, v, -1);
    double m = hsr_hist_median(h);
    hsr_hist_add(h, v, 1);
    return m;
}

static int co_emit(struct co *co, struct co_cand *c)
{
    struct co_hist *ch = hunt_map_get(&co->clients, c->src, 16, 0);
    struct co_hist *sh = hunt_map_get(&co->servers, c->dst, 16, 0);
    if (!ch || !sh)
        return 0;
    double own_f = 0, own_b = 0;
    int own = ch->files.total > (uint64_t)hunt_num(co->ctx, "min_history");
    if (own) {
        own_f = median_without(&ch->files, c->files);
        own_b = median_without(&ch->bytes, c->bytes);
    }
    struct co_hist *ph = sh->files.total >= 3 ? sh : &co->all;
    double peer_f = median_without(&ph->files, c->files);
    double peer_b = median_without(&ph->bytes, c->bytes);
    double base_f = own_f > peer_f ? own_f : peer_f, base_b = own_b > peer_b ? own_b : peer_b;
    if (base_f < 1)
        base_f = 1;
    if (base_b < 65536)
        base_b = 65536;
    double rf = c->files / base_f, rb = c->bytes / base_b;
    double min_ratio = hunt_num(co->ctx, "min_ratio");
    if (!((c->files >= co->min_files && rf >= min_ratio) ||
          (c->bytes >= co->min_bytes && rb >= min_ratio)))
        return 0;
    /* Routine: other windows of this client with at least half of this one's volume. */
    struct hsr_hist *rh = rf >= rb ? &ch->files : &ch->bytes;
    double v = rf >= rb ? c->files : c->bytes;
    uint64_t repeats = hsr_hist_count_ge(rh, v / 2);
    repeats = repeats ? repeats - 1 : 0; /* this window itself */
    struct hunt_result r = {0};
    r.score = hsr_collection_score(rf, rb, hunt_num(co->ctx, "half_ratio")) / (1 + (double)repeats);
    hunt_addr(c->src, 16, r.src, sizeof r.src);
    hunt_addr(c->dst, 16, r.dst, sizeof r.dst);
    char when[40], bytes[32], win[32], ob[32], pb[32];
    ktime_format(c->bucket * co->bucket_ns, when, sizeof when);
    hunt_fmt_bytes(c->bytes, bytes, sizeof bytes);
    hunt_fmt_dur((double)co->bucket_ns / 1e9, win, sizeof win);
    hunt_fmt_bytes(own_b, ob, sizeof ob);
    hunt_fmt_bytes(peer_b, pb, sizeof pb);
    size_t o = 0;
    hsr_put(r.explain, sizeof r.explain, &o,
            "%s read %.0f files (%s) from %s on %s in the %s from %s: %.0fx the baseline in "
            "files, %.0fx in bytes (",
            r.src, c->files, bytes, c->share, r.dst,
            co->bucket_ns == 3600000000000    ? "hour"
            : co->bucket_ns == 86400000000000 ? "day"
                                              : win,
            when, rf, rb);
    if (own)
        hsr_put(r.explain, sizeof r.explain, &o, "its own median %.0f files / %s, ", own_f, ob);
    else
        hsr_put(r.explain, sizeof r.explain, &o, "no history of its own, ");
    hsr_put(r.explain, sizeof r.explain, &o, "%s median %.0f files / %s); %" PRIu64 " session%s",
            ph == sh ? "the server's" : "all servers'", peer_f, pb, c->sessions,
            c->sessions == 1 ? "" : "s");
    if (c->user[0])
        hsr_put(r.explain, sizeof r.explain, &o, ", user %s", c->user);
    if (repeats)
        hsr_put(r.explain, sizeof r.explain, &o, "; routine: %" PRIu64 " other window%s as large",
                repeats, repeats == 1 ? "" : "s");
    size_t d = 0;
    hsr_put(r.detail, sizeof r.detail, &d, "%s", c->share);
    if (c->user[0])
        hsr_put(r.detail, sizeof r.detail, &d, "; user %s", c->user);
    for (unsigned i = 0; i < c->nids; i++)
        hunt_result_event(&r, c->ids[i]);
    r.sessions = c->sessions;
    r.first_ns = c->first_ns;
    r.last_ns = c->last_ns;
    return hunt_emit(co->ctx, &r);
}

static int collection_run(struct hunt_ctx *ctx)
{
    double bucket = hunt_num(ctx, "bucket");
    if (!(bucket >= 3600 && bucket <= 86400) || 86400 % (int64_t)bucket ||
        bucket != (int64_t)bucket)
        return hunt_fail(ctx, KS_EINVAL, "bucket: a divisor of a day from 1h to 1d (got %gs)",
                         bucket);
    struct co *co = calloc(1, sizeof *co);
    if (!co)
        return KS_ENOMEM;
    co->ctx = ctx;
    co->bucket_ns = (int64_t)bucket * 1000000000;
    co->min_files = hunt_num(ctx, "min_files");
    co->min_bytes = hunt_num(ctx, "min_bytes");
    co->max = (size_t)hunt_num(ctx, "max_groups");
    hunt_map_init(&co->clients, sizeof(struct co_hist), co->max);
    hunt_map_init(&co->servers, sizeof(struct co_hist), co->max);
    int rc = hunt_days(ctx, co_day, co);
    if (!rc && (co->clients.refused || co->servers.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f clients, servers or windows above the floors: raise "
                       "max_groups or narrow --since/--until",
                       hunt_num(ctx, "max_groups"));
    for (size_t i = 0; !rc && i < co->ncands; i++)
        rc = co_emit(co, &co->cands[i]);
    hunt_map_release(&co->clients);
    hunt_map_release(&co->servers);
    free(co->cands);
    free(co);
    return rc;
}

const struct hunt_kind hunt_kind_collection = {"collection", collection_run};
