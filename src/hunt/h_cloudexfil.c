/*
 * h_cloudexfil.c — the `cloud-exfil` analysis: uploads to cloud storage and file-sharing
 * services.  Exfiltration without malware rides on services every firewall lets through
 * (Dropbox, OneDrive, Google Drive, MEGA, transfer.sh …): what gives it away is the direction
 * (bytes out, not in), the size, the hour, and a host that never used the service before.
 *
 * A session belongs to a service when its SNI (TLS, QUIC) or HTTP host is a name under one of
 * the `services` domains; a session without any name (TLS without SNI, ECH, an unparsed
 * protocol) belongs to it when its server's address was a DNS answer for such a name in the
 * range (sessions that name something else on a shared address are left out).
 *
 * Per day file: the distinct SNIs, HTTP hosts and DNS question names (from the `fields` index
 * alone) are matched against the services; only the matching names' sessions are then read
 * (summing the transport payload of their pieces), and the DNS records of matching questions
 * give the addresses; one query per such address finds the nameless sessions.  Uploads are grouped
 * per (internal client, service, local day), the service being the registered domain of the
 * matching name (dropboxapi.com, sharepoint.com …).
 *
 * Score of a group with at least min_out bytes out, in [0, 1]:
 *   size × (0.4 + 0.25·up + 0.25·night + 0.1·first)
 *   size  = bytes out squashed around `half` (0.5 at half)
 *   up    = bytes out / (out + in)  — a user browsing or downloading stays low
 *   night = share of the bytes out sent outside office hours (office_start–office_end local
 *           time, tz_offset from UTC; weekends too unless weekend = 0)
 *   first = 1 when this is the first time the host used the service in the data and there is
 *           data from before that day, 0 when it used it before, 0.5 when the data starts that day
 */
#include "hunt/hunt.h"
#include "hunt/netlib.h"
#include "hunt/tlsweb.h"

#include "core/err.h"

#include <ctype.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CX_MAX_SERVICES 64
#define CX_EV 8

struct svc_ip {
    char label[64], name[128];
};

struct upl {
    uint8_t src[16], dst[16];
    unsigned ndst;
    char label[64], name[128];
    int64_t day; /* local day number */
    uint64_t out, in, night_out, sessions, named;
    int64_t first_ns, last_ns;
    uint64_t ev[CX_EV], evout[CX_EV]; /* the sessions with the most bytes out, most first */
    unsigned nev;
};

struct cx {
    struct hunt_ctx *ctx;
    char svc_buf[512];
    const char *svc[CX_MAX_SERVICES];
    unsigned nsvc;
    struct hunt_map groups, firsts, ips, seen;
    double half, min_out, min_score, office_start, office_end, tz;
    int weekend;
    int64_t lo, hi, data_first;
};

/* The service of a name (the entry of `services` it falls under, "*." dropped), or NULL. */
static const char *cx_service(const struct cx *cx, const char *name, char *label, size_t n)
{
    for (unsigned i = 0; i < cx->nsvc; i++)
        if (hunt_name_under(name, cx->svc[i])) {
            const char *e = cx->svc[i];
            snprintf(label, n, "%s", strncmp(e, "*.", 2) == 0 ? e + 2 : e);
            return label;
        }
    return NULL;
}

static int64_t local_s(const struct cx *cx, int64_t ns)
{
    return ns / 1000000000 + (int64_t)cx->tz;
}

static int64_t local_day(const struct cx *cx, int64_t ns)
{
    int64_t s = local_s(cx, ns);
    return s >= 0 ? s / 86400 : (s - 86399) / 86400;
}

/* Outside office hours (local time), weekends included when asked. */
static int cx_night(const struct cx *cx, int64_t ns)
{
    int64_t s = local_s(cx, ns), d = local_day(cx, ns);
    double sod = (double)(s - d * 86400);
    int wday = (int)(((d % 7) + 11) % 7); /* 1970-01-01 was a Thursday: 4 */
    if (cx->weekend && (wday == 0 || wday == 6))
        return 1;
    return sod < cx->office_start || sod >= cx->office_end;
}

static int cx_add(struct cx *cx, const uint8_t *src, const uint8_t *dst, uint64_t id, uint64_t out,
                  uint64_t in, int64_t f, int64_t l, const char *label, const char *name, int named)
{
    /* A session counts once a day, whichever name found it first. */
    uint8_t *seen = hunt_map_get(&cx->seen, &id, sizeof id, 1);
    if (!seen)
        return 0;
    if (*seen)
        return 0;
    *seen = 1;
    char key[16 + 8 + 64];
    int64_t day = local_day(cx, f);
    size_t ll = strlen(label);
    memcpy(key, src, 16);
    memcpy(key + 16, &day, 8);
    memcpy(key + 24, label, ll);
    /* First use per (client, service), over every session whatever its size. */
    char fkey[16 + 64];
    memcpy(fkey, src, 16);
    memcpy(fkey + 16, label, ll);
    int64_t *fp = hunt_map_get(&cx->firsts, fkey, 16 + ll, 1);
    if (fp && (!*fp || f < *fp))
        *fp = f;
    struct upl *g = hunt_map_get(&cx->groups, key, 24 + ll, 1);
    if (!g)
        return 0;
    if (!g->sessions) {
        memcpy(g->src, src, 16);
        memcpy(g->dst, dst, 16);
        g->ndst = 1;
        g->day = day;
        snprintf(g->label, sizeof g->label, "%s", label);
    } else if (g->ndst == 1 && memcmp(g->dst, dst, 16) != 0) {
        g->ndst = 2;
    }
    g->sessions++;
    g->named += named != 0;
    g->out += out;
    g->in += in;
    if (cx_night(cx, f))
        g->night_out += out;
    if (!g->first_ns || f < g->first_ns)
        g->first_ns = f;
    if (l > g->last_ns)
        g->last_ns = l;
    /* Keep the CX_EV sessions with the most bytes out, in order. */
    unsigned pos = g->nev;
    while (pos > 0 && g->evout[pos - 1] < out)
        pos--;
    if (pos < CX_EV) {
        unsigned last = g->nev < CX_EV ? g->nev : CX_EV - 1;
        memmove(g->ev + pos + 1, g->ev + pos, (last - pos) * sizeof g->ev[0]);
        memmove(g->evout + pos + 1, g->evout + pos, (last - pos) * sizeof g->evout[0]);
        g->ev[pos] = id;
        g->evout[pos] = out;
        if (g->nev < CX_EV)
            g->nev++;
        if (pos == 0)
            snprintf(g->name, sizeof g->name, "%s", name);
    }
    return 0;
}

/*
 * For each distinct value of record path `path` in the day file that names a service, run `q`
 * (bound: ?1 ?2 the range, ?3 the pid, ?4 the value) and hand its rows to `row`.  The distinct
 * values come from the index alone, so only the services' sessions are joined.
 */
static int cx_each_service(struct cx *cx, sqlite3 *db, const char *path, sqlite3_stmt *q,
                           int (*row)(struct cx *cx, sqlite3_stmt *q, const char *label,
                                      const char *name))
{
    int64_t pid;
    int rc = hunt_path_id(db, path, &pid);
    if (rc)
        return rc > 0 ? 0 : hunt_fail(cx->ctx, rc, "cloud-exfil: %s", sqlite3_errmsg(db));
    sqlite3_stmt *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT value FROM fields WHERE pid = ?1", -1, &v, NULL) !=
        SQLITE_OK)
        return hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(v, 1, pid);
    int st;
    while (!rc && (st = sqlite3_step(v)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(v, 0);
        char label[64];
        if (!name || !cx_service(cx, name, label, sizeof label))
            continue;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, cx->lo);
        sqlite3_bind_int64(q, 2, cx->hi);
        sqlite3_bind_int64(q, 3, pid);
        sqlite3_bind_text(q, 4, name, -1, SQLITE_TRANSIENT);
        int sq;
        while (!rc && (sq = sqlite3_step(q)) == SQLITE_ROW)
            rc = row(cx, q, label, name);
        if (!rc && sq != SQLITE_DONE)
            rc = hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(db));
    }
    if (!rc && st != SQLITE_DONE)
        rc = hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(db));
    sqlite3_finalize(v);
    return rc;
}

/* A session named by SNI or HTTP host: id, src, dst, out, in, first, last. */
static int cx_named_row(struct cx *cx, sqlite3_stmt *q, const char *label, const char *name)
{
    if (sqlite3_column_bytes(q, 1) != 16 || sqlite3_column_bytes(q, 2) != 16)
        return 0;
    const uint8_t *src = sqlite3_column_blob(q, 1), *dst = sqlite3_column_blob(q, 2);
    if (!hunt_internal(cx->ctx, src) || hunt_internal(cx->ctx, dst))
        return 0;
    return cx_add(cx, src, dst, (uint64_t)sqlite3_column_int64(q, 0),
                  (uint64_t)sqlite3_column_int64(q, 3), (uint64_t)sqlite3_column_int64(q, 4),
                  sqlite3_column_int64(q, 5), sqlite3_column_int64(q, 6), label, name, 1);
}

/* An address a DNS answer gave for a service name. */
static int cx_dns_row(struct cx *cx, sqlite3_stmt *q, const char *label, const char *name)
{
    uint8_t ip[16];
    if (tw_ip16((const char *)sqlite3_column_text(q, 0), ip))
        return 0;
    struct svc_ip *v = hunt_map_get(&cx->ips, ip, 16, 1);
    if (v && !v->label[0]) {
        snprintf(v->label, sizeof v->label, "%s", label);
        snprintf(v->name, sizeof v->name, "%s", name);
    }
    return 0;
}

static int cx_named(struct cx *cx, sqlite3 *db)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.id, s.src_ip, s.dst_ip, sum(s.src_payload),"
                           " sum(s.dst_payload), min(s.first_ns), max(s.last_ns)"
                           " FROM fields f JOIN sessions s ON s.id = f.id"
                           " WHERE f.pid = ?3 AND f.value = ?4 AND s.first_ns BETWEEN ?1 AND ?2"
                           " GROUP BY s.id",
                           -1, &q, NULL) != SQLITE_OK)
        return hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(db));
    int rc = cx_each_service(cx, db, "tls.client.server_name", q, cx_named_row);
    if (!rc)
        rc = cx_each_service(cx, db, "http.host", q, cx_named_row);
    sqlite3_finalize(q);
    return rc;
}

/* DNS answers for service names: their addresses join cx->ips. */
static int cx_dns(struct cx *cx, sqlite3 *db)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            db,
            "SELECT DISTINCT j.value FROM fields f JOIN sessions s ON s.id = f.id"
            " JOIN records r ON r.id = s.id AND r.piece = s.piece,"
            " json_each(r.json, '$.dns.resolved_ip') j"
            " WHERE f.pid = ?3 AND f.value = ?4 AND s.first_ns BETWEEN ?1 AND ?2"
            " AND r.type = 'dns' AND json_extract(r.json, '$.dns.question.name') = ?4",
            -1, &q, NULL) != SQLITE_OK)
        return hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(db));
    int rc = cx_each_service(cx, db, "dns.question.name", q, cx_dns_row);
    sqlite3_finalize(q);
    return rc;
}

struct ipday {
    struct cx *cx;
    sqlite3 *db;
    sqlite3_stmt *q;
};

/* Nameless sessions to one service address. */
static int cx_ip(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct ipday *d = arg;
    struct cx *cx = d->cx;
    const struct svc_ip *v = value;
    sqlite3_stmt *q = d->q;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, cx->lo);
    sqlite3_bind_int64(q, 2, cx->hi);
    sqlite3_bind_blob(q, 3, key, 16, SQLITE_STATIC);
    int st, rc = 0;
    while (!rc && (st = sqlite3_step(q)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(q, 1) != 16)
            continue;
        const uint8_t *src = sqlite3_column_blob(q, 1);
        if (!hunt_internal(cx->ctx, src) || hunt_internal(cx->ctx, key))
            continue;
        char name[160];
        snprintf(name, sizeof name, "%s", v->name);
        rc = cx_add(cx, src, key, (uint64_t)sqlite3_column_int64(q, 0),
                    (uint64_t)sqlite3_column_int64(q, 2), (uint64_t)sqlite3_column_int64(q, 3),
                    sqlite3_column_int64(q, 4), sqlite3_column_int64(q, 5), v->label, name, 0);
    }
    if (!rc && st != SQLITE_DONE)
        rc = hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(d->db));
    return rc;
}

static int cx_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct cx *cx = arg;
    sqlite3 *db = dbp;
    hunt_map_release(&cx->seen);
    hunt_map_init(&cx->seen, 1, cx->groups.max);
    int rc = cx_named(cx, db);
    if (!rc)
        rc = cx_dns(cx, db);
    if (rc || !cx->ips.n)
        return rc;
    struct ipday d = {cx, db, NULL};
    if (sqlite3_prepare_v2(db,
                           "SELECT s.id, s.src_ip, sum(s.src_payload), sum(s.dst_payload),"
                           " min(s.first_ns), max(s.last_ns) FROM sessions s"
                           " WHERE s.dst_ip = ?3 AND s.first_ns BETWEEN ?1 AND ?2"
                           " AND s.proto IN (6, 17) AND NOT EXISTS (SELECT 1 FROM records r"
                           "  WHERE r.id = s.id AND r.piece = s.piece"
                           "  AND (json_extract(r.json, '$.tls.client.server_name') IS NOT NULL"
                           "   OR json_extract(r.json, '$.http.host') IS NOT NULL))"
                           " GROUP BY s.id",
                           -1, &d.q, NULL) != SQLITE_OK)
        return hunt_fail(cx->ctx, KS_ESQL, "cloud-exfil: %s", sqlite3_errmsg(db));
    rc = hunt_map_each(&cx->ips, cx_ip, &d);
    sqlite3_finalize(d.q);
    return rc;
}

static int cx_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct cx *cx = arg;
    struct upl *g = value;
    if ((double)g->out < cx->min_out)
        return 0;
    double up = (double)g->out / (double)(g->out + g->in);
    double night = (double)g->night_out / (double)g->out;
    char fkey[16 + 64];
    size_t ll = strlen(g->label);
    memcpy(fkey, g->src, 16);
    memcpy(fkey + 16, g->label, ll);
    const int64_t *fp = hunt_map_get(&cx->firsts, fkey, 16 + ll, 0);
    int64_t day_start = (g->day * 86400 - (int64_t)cx->tz) * 1000000000;
    double first;
    if (fp && *fp < g->first_ns)
        first = 0; /* used it earlier: on an earlier day, or earlier this day in small sessions */
    else if (cx->data_first && cx->data_first < day_start)
        first = 1;
    else
        first = 0.5;
    double score =
        hunt_squash((double)g->out, cx->half) * (0.4 + 0.25 * up + 0.25 * night + 0.1 * first);
    if (score < cx->min_score)
        return 0;

    struct hunt_result r = {0};
    r.score = score;
    hunt_addr(g->src, 16, r.src, sizeof r.src);
    if (g->ndst == 1)
        hunt_addr(g->dst, 16, r.dst, sizeof r.dst);
    snprintf(r.domain, sizeof r.domain, "%s", g->name);
    snprintf(r.detail, sizeof r.detail, "%s", g->label);
    char out[32], when[32], dst[64], firsts[120];
    hunt_fmt_bytes((double)g->out, out, sizeof out);
    hnet_fmt_time(g->first_ns, when, sizeof when);
    hunt_addr(g->dst, 16, dst, sizeof dst);
    if (first == 1)
        snprintf(firsts, sizeof firsts, "; the host's first use of %s in the data", g->label);
    else if (first == 0)
        snprintf(firsts, sizeof firsts, "; the host used %s before", g->label);
    else
        firsts[0] = '\0';
    hnet_text(r.explain, sizeof r.explain,
              "%s sent %s to %s (%s, %s%s) in %" PRIu64 " session%s from %s, %.0f%% of its bytes "
              "upstream, %.0f%% outside office hours%s",
              r.src, out, g->name, g->label, g->ndst == 1 ? dst : "several servers",
              g->named ? "" : ", by DNS answer", g->sessions, g->sessions == 1 ? "" : "s", when,
              100 * up, 100 * night, firsts);
    for (unsigned i = 0; i < g->nev; i++)
        hunt_result_event(&r, g->ev[i]);
    r.sessions = g->sessions;
    r.first_ns = g->first_ns;
    r.last_ns = g->last_ns;
    return hunt_emit(cx->ctx, &r);
}

static int cloudexfil_run(struct hunt_ctx *ctx)
{
    struct cx cx = {.ctx = ctx,
                    .half = hunt_num(ctx, "half"),
                    .min_out = hunt_num(ctx, "min_out"),
                    .min_score = hunt_num(ctx, "min_score"),
                    .office_start = hunt_num(ctx, "office_start"),
                    .office_end = hunt_num(ctx, "office_end"),
                    .tz = hunt_num(ctx, "tz_offset"),
                    .weekend = hunt_num(ctx, "weekend") != 0};
    if (!(cx.half > 0))
        return hunt_fail(ctx, KS_EINVAL, "half must be a positive size");
    if (!(cx.office_start >= 0 && cx.office_start < cx.office_end && cx.office_end <= 86400))
        return hunt_fail(ctx, KS_EINVAL,
                         "office hours: need 0 <= office_start < office_end <= 24h");
    if (!(cx.tz > -86400 && cx.tz < 86400))
        return hunt_fail(ctx, KS_EINVAL, "tz_offset must be within a day");
    snprintf(cx.svc_buf, sizeof cx.svc_buf, "%s", hunt_str(ctx, "services"));
    for (char *p = cx.svc_buf, *save = NULL, *t; (t = strtok_r(p, " ,\t\n", &save)); p = NULL) {
        if (cx.nsvc == CX_MAX_SERVICES)
            return hunt_fail(ctx, KS_EINVAL, "services: at most %d names", CX_MAX_SERVICES);
        for (char *c = t; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        cx.svc[cx.nsvc++] = t;
    }
    if (!cx.nsvc)
        return hunt_fail(ctx, KS_EINVAL, "services: no service domain given");
    hunt_range(ctx, &cx.lo, &cx.hi);
    cx.data_first = hunt_cov(ctx)->first_ns;
    double maxe = hunt_num(ctx, "max_entries");
    hunt_map_init(&cx.groups, sizeof(struct upl), (size_t)maxe);
    hunt_map_init(&cx.firsts, sizeof(int64_t), (size_t)maxe);
    hunt_map_init(&cx.ips, sizeof(struct svc_ip), (size_t)maxe);
    hunt_map_init(&cx.seen, 1, (size_t)maxe);
    int rc = hunt_days(ctx, cx_day, &cx);
    if (!rc && (cx.groups.refused || cx.firsts.refused || cx.ips.refused || cx.seen.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f cloud-service sessions, addresses or client/service "
                       "pairs: raise max_entries or narrow --since/--until",
                       maxe);
    if (!rc)
        rc = hunt_map_each(&cx.groups, cx_emit, &cx);
    hunt_map_release(&cx.groups);
    hunt_map_release(&cx.firsts);
    hunt_map_release(&cx.ips);
    hunt_map_release(&cx.seen);
    return rc;
}

const struct hunt_kind hunt_kind_cloudexfil = {"cloud-exfil", cloudexfil_run};
