/*
 * h_egress.c — the `egress` analysis: hosts whose outbound volume, or producer/consumer ratio,
 * jumps.  Exfiltration over any channel moves bytes *out*: a workstation that sends a few MB a
 * day to the internet suddenly sends hundreds, or a host that always consumed starts producing.
 *
 * One GROUP BY per day file sums, per host pair and UTC day, the bytes each side sent (every
 * session piece in the range counts on the day its piece starts).  Pairs with one internal and
 * one external side (zones: --zone, else RFC 1918 and friends are internal) add to the internal
 * host's outbound and inbound bytes of that day.  Only the days that matter are kept per host:
 *
 *   recent    the latest `recent_days` days of the data in the range ("now");
 *   baseline  the `baseline_days` days before them.
 *
 * Per host: now_out/now_in = mean bytes per recent day; base_out/base_in = median over its
 * baseline days that had external traffic at all (a day the laptop stayed home is no baseline).
 * Then (egress_score):
 *
 *   jump   = now_out / max(base_out, min_baseline)    a host without a baseline day is measured
 *            against the median baseline of all hosts (a new talker is compared with its peers);
 *   rel    = jump / max(1, fleet jump), fleet jump = the median of now_out / base_out over the
 *            hosts that sent something then and now, so a day when every host sends more
 *            (patch day) lifts no one;
 *   s_jump = rel / (rel + jump_half);  s_pcr = max(0, PCR_now - PCR_base) / 2;
 *   s_vol  = now_out / (now_out + vol_half);
 *   score  = s_vol * max(s_jump, s_pcr).
 *
 * A host is a result when now_out >= min_bytes and rel >= min_jump or the PCR rose by at least
 * min_pcr_shift.  For the results only, a last pass over the recent days reads the host's
 * sessions with external peers (indexed by address): its largest outbound sessions are the
 * evidence, its biggest receiver is the destination entity, and their span is the result's time.
 */
#include "hunt/h_egress.h"

#include "core/err.h"
#include "hunt/hunt.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_DAY ((int64_t)86400 * 1000000000)
#define EG_MAX_WINDOW 400 /* recent + baseline days at most */
#define EG_PEERS 4        /* external receivers remembered per host (recent days) */
#define EG_EVIDENCE 16

/* ---------------------------------------------------------------- scoring */

double egress_pcr(double out, double in)
{
    return out + in > 0 ? (out - in) / (out + in) : 0;
}

void egress_score(const struct egress_in *in, struct egress_score *o)
{
    memset(o, 0, sizeof *o);
    double base = in->has_base ? in->base_out : in->fleet_base;
    if (base < in->floor)
        base = in->floor;
    o->jump = base > 0 ? in->now_out / base : 0;
    o->rel = in->fleet_jump > 1 ? o->jump / in->fleet_jump : o->jump;
    o->pcr_now = egress_pcr(in->now_out, in->now_in);
    o->pcr_base = in->has_base ? egress_pcr(in->base_out, in->base_in) : o->pcr_now;
    o->s_jump = in->jump_half > 0 ? o->rel / (o->rel + in->jump_half) : 1;
    o->s_pcr = o->pcr_now > o->pcr_base ? (o->pcr_now - o->pcr_base) / 2 : 0;
    o->s_vol = hunt_squash(in->now_out, in->vol_half);
    o->score = o->s_vol * (o->s_jump > o->s_pcr ? o->s_jump : o->s_pcr);
}

/* ---------------------------------------------------------------- the analysis */

struct peer {
    uint8_t ip[16];
    double out;
};

struct host {
    struct peer peers[EG_PEERS];
    double v[]; /* out[window], then in[window]: bytes per day, day 0 = the window's first */
};

struct ev {
    uint64_t id;
    double out; /* bytes the host sent in it */
};

struct cand {
    uint8_t ip[16];
    double score;
    struct egress_in in;
    struct egress_score sc;
    unsigned base_days;
    struct peer top;
    /* filled by the evidence pass */
    uint64_t sessions;
    int64_t first_ns, last_ns;
    struct ev ev[EG_EVIDENCE];
    unsigned nev;
};

struct eg {
    struct hunt_ctx *ctx;
    struct hunt_map hosts;
    int64_t first_day, recent_day, last_day; /* days since the epoch */
    unsigned window, recent, baseline;
    double min_bytes, min_jump, min_pcr_shift;
    struct egress_in tmpl; /* floor, halves, fleet figures */
    struct cand *cands;
    size_t ncands;
    size_t evidence_for; /* candidates whose evidence is being read */
};

static void peer_add(struct host *h, const uint8_t ip[16], double out)
{
    int min = 0;
    for (int i = 0; i < EG_PEERS; i++) {
        if (memcmp(h->peers[i].ip, ip, 16) == 0 && h->peers[i].out > 0) {
            h->peers[i].out += out;
            return;
        }
        if (h->peers[i].out < h->peers[min].out)
            min = i;
    }
    if (out > h->peers[min].out) {
        memcpy(h->peers[min].ip, ip, 16);
        h->peers[min].out = out;
    }
}

/*
 * A statement over the sessions of the range from day from_day on (days since the epoch), with
 * ?1 ?2 bound to that span; *s = NULL when the span is empty.
 */
static int eg_prepare(struct eg *e, sqlite3 *db, const char *sql, int64_t from_day,
                      sqlite3_stmt **s)
{
    int64_t lo, hi;
    hunt_range(e->ctx, &lo, &hi);
    if (from_day != INT64_MIN && lo < from_day * NS_PER_DAY)
        lo = from_day * NS_PER_DAY;
    *s = NULL;
    if (lo > hi)
        return 0;
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK)
        return hunt_fail(e->ctx, KS_ESQL, "egress: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(*s, 1, lo);
    sqlite3_bind_int64(*s, 2, hi);
    return 0;
}

static int eg_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct eg *e = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s;
    int rc = eg_prepare(e, db,
                        "SELECT src_ip, dst_ip, first_ns / 86400000000000, sum(src_bytes),"
                        " sum(dst_bytes) FROM sessions WHERE first_ns BETWEEN ?1 AND ?2"
                        " GROUP BY src_ip, dst_ip, first_ns / 86400000000000",
                        e->first_day, &s);
    if (rc || !s)
        return rc;
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
            continue;
        const uint8_t *src = sqlite3_column_blob(s, 0), *dst = sqlite3_column_blob(s, 1);
        int src_in = hunt_internal(e->ctx, src), dst_in = hunt_internal(e->ctx, dst);
        if (src_in == dst_in)
            continue;
        int64_t d = sqlite3_column_int64(s, 2) - e->first_day;
        if (d < 0 || d >= e->window)
            continue;
        double sb = (double)sqlite3_column_int64(s, 3), db_ = (double)sqlite3_column_int64(s, 4);
        const uint8_t *h_ip = src_in ? src : dst, *peer = src_in ? dst : src;
        double out = src_in ? sb : db_, in = src_in ? db_ : sb;
        struct host *h = hunt_map_get(&e->hosts, h_ip, 16, 1);
        if (!h)
            continue; /* counted in hosts.refused */
        h->v[d] += out;
        h->v[e->window + d] += in;
        if (d >= e->recent_day - e->first_day)
            peer_add(h, peer, out);
    }
    sqlite3_finalize(s);
    if (st != SQLITE_DONE)
        return hunt_fail(e->ctx, KS_ESQL, "egress: %s", sqlite3_errmsg(db));
    return 0;
}

/* A host's figures: now (mean of the recent days), baseline (median of its days with traffic). */
static void host_figures(const struct eg *e, const struct host *h, struct egress_in *in,
                         unsigned *base_days)
{
    *in = e->tmpl;
    unsigned nr = e->recent;
    for (unsigned i = e->baseline; i < e->window; i++) {
        in->now_out += h->v[i] / nr;
        in->now_in += h->v[e->window + i] / nr;
    }
    double bo[EG_MAX_WINDOW], bi[EG_MAX_WINDOW];
    unsigned n = 0;
    for (unsigned i = 0; i < e->baseline; i++)
        if (h->v[i] > 0 || h->v[e->window + i] > 0) {
            bo[n] = h->v[i];
            bi[n] = h->v[e->window + i];
            n++;
        }
    *base_days = n;
    in->has_base = n > 0;
    if (n) {
        in->base_out = hunt_quantile(bo, n, 0.5);
        in->base_in = hunt_quantile(bi, n, 0.5);
    }
}

/* Fleet figures: the median baseline of the hosts with one, and their median change. */
struct fleet {
    struct eg *e;
    struct hunt_vec base, jump;
};

static int fleet_each(void *arg, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct fleet *f = arg;
    struct egress_in in;
    unsigned nb;
    host_figures(f->e, value, &in, &nb);
    if (!in.has_base)
        return 0;
    if (hunt_vec_push(&f->base, in.base_out))
        return KS_ENOMEM;
    /* The typical change: hosts that sent something both then and now, their own ratio. */
    if (in.now_out > 0 && in.base_out > 0 && hunt_vec_push(&f->jump, in.now_out / in.base_out))
        return KS_ENOMEM;
    return 0;
}

static int cand_each(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct eg *e = arg;
    const struct host *h = value;
    struct cand c = {0};
    host_figures(e, h, &c.in, &c.base_days);
    if (c.in.now_out < e->min_bytes)
        return 0;
    egress_score(&c.in, &c.sc);
    if (c.sc.rel < e->min_jump && c.sc.pcr_now - c.sc.pcr_base < e->min_pcr_shift)
        return 0;
    if (e->ncands >= HUNT_MAX_RESULTS)
        return hunt_fail(e->ctx, KS_ELIMIT,
                         "more than %d hosts jumped: raise min_bytes or min_jump",
                         HUNT_MAX_RESULTS);
    memcpy(c.ip, key, 16);
    c.score = c.sc.score;
    for (int i = 0; i < EG_PEERS; i++)
        if (h->peers[i].out > c.top.out)
            c.top = h->peers[i];
    e->cands[e->ncands++] = c;
    return 0;
}

static void ev_add(struct cand *c, uint64_t id, double out)
{
    for (unsigned i = 0; i < c->nev; i++)
        if (c->ev[i].id == id) {
            if (out > c->ev[i].out)
                c->ev[i].out = out;
            return;
        }
    unsigned at = c->nev;
    if (c->nev == EG_EVIDENCE) {
        at = 0;
        for (unsigned i = 1; i < c->nev; i++)
            if (c->ev[i].out < c->ev[at].out)
                at = i;
        if (out <= c->ev[at].out)
            return;
    } else {
        c->nev++;
    }
    c->ev[at].id = id;
    c->ev[at].out = out;
}

/* Last pass, recent days only: each result's sessions with external peers. */
static int ev_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct eg *e = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s;
    int rc = eg_prepare(e, db,
                        "SELECT id, src_ip, dst_ip, src_bytes, dst_bytes, first_ns, last_ns"
                        " FROM sessions WHERE src_ip = ?3 AND first_ns BETWEEN ?1 AND ?2"
                        " UNION ALL "
                        "SELECT id, src_ip, dst_ip, src_bytes, dst_bytes, first_ns, last_ns"
                        " FROM sessions WHERE dst_ip = ?3 AND first_ns BETWEEN ?1 AND ?2",
                        e->recent_day, &s);
    if (rc || !s)
        return rc;
    int st = SQLITE_DONE;
    for (size_t i = 0; i < e->ncands; i++) {
        struct cand *c = &e->cands[i];
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 3, c->ip, 16, SQLITE_STATIC);
        while ((st = sqlite3_step(s)) == SQLITE_ROW) {
            if (sqlite3_column_bytes(s, 1) != 16 || sqlite3_column_bytes(s, 2) != 16)
                continue;
            int is_src = memcmp(sqlite3_column_blob(s, 1), c->ip, 16) == 0;
            const uint8_t *peer = sqlite3_column_blob(s, is_src ? 2 : 1);
            if (hunt_internal(e->ctx, peer))
                continue;
            double out = (double)sqlite3_column_int64(s, is_src ? 3 : 4);
            int64_t f = sqlite3_column_int64(s, 5), l = sqlite3_column_int64(s, 6);
            c->sessions++;
            if (!c->first_ns || f < c->first_ns)
                c->first_ns = f;
            if (l > c->last_ns)
                c->last_ns = l;
            if (out > 0)
                ev_add(c, (uint64_t)sqlite3_column_int64(s, 0), out);
        }
        if (st != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(s);
    if (st != SQLITE_DONE)
        return hunt_fail(e->ctx, KS_ESQL, "egress: %s", sqlite3_errmsg(db));
    return 0;
}

static int ev_cmp(const void *a, const void *b)
{
    double x = ((const struct ev *)a)->out, y = ((const struct ev *)b)->out;
    return (x < y) - (x > y); /* largest first */
}

static void fmt_day(int64_t day, char *dst, size_t n)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(dst, n, "%Y-%m-%d", &tm);
}

static int cand_emit(struct eg *e, struct cand *c)
{
    struct hunt_result r = {0};
    r.score = c->score;
    hunt_addr(c->ip, 16, r.src, sizeof r.src);
    if (c->top.out > 0)
        hunt_addr(c->top.ip, 16, r.dst, sizeof r.dst);
    qsort(c->ev, c->nev, sizeof c->ev[0], ev_cmp);
    for (unsigned i = 0; i < c->nev; i++)
        hunt_result_event(&r, c->ev[i].id);
    r.sessions = c->sessions;
    r.first_ns = c->first_ns;
    r.last_ns = c->last_ns;
    char now[32], base[32], top[32], d0[16], d1[16], basis[128];
    hunt_fmt_bytes(c->in.now_out, now, sizeof now);
    hunt_fmt_bytes(c->in.has_base ? c->in.base_out : c->in.fleet_base, base, sizeof base);
    hunt_fmt_bytes(c->top.out, top, sizeof top);
    fmt_day(e->recent_day, d0, sizeof d0);
    fmt_day(e->last_day, d1, sizeof d1);
    double used = c->in.has_base ? c->in.base_out : c->in.fleet_base;
    char floor_txt[48] = "";
    if (used < c->in.floor) {
        char fl[32];
        hunt_fmt_bytes(c->in.floor, fl, sizeof fl);
        snprintf(floor_txt, sizeof floor_txt, ", counted as %s", fl);
    }
    if (c->in.has_base)
        snprintf(basis, sizeof basis, "its baseline of %s/day (median of %u day%s%s)", base,
                 c->base_days, c->base_days == 1 ? "" : "s", floor_txt);
    else
        snprintf(basis, sizeof basis, "no baseline of its own; hosts' median %s/day%s", base,
                 floor_txt);
    int w = snprintf(r.explain, sizeof r.explain,
                     "%s sent %s/day to external hosts on %s%s%s vs %s: %.0fx (hosts typically "
                     "%.1fx); PCR %+.2f -> %+.2f; most to %s (%s)",
                     r.src, now, d0, e->recent > 1 ? ".." : "", e->recent > 1 ? d1 : "", basis,
                     c->sc.jump, c->in.fleet_jump, c->sc.pcr_base, c->sc.pcr_now,
                     r.dst[0] ? r.dst : "?", top);
    if (w >= (int)sizeof r.explain)
        r.explain[sizeof r.explain - 1] = '\0';
    snprintf(r.detail, sizeof r.detail, "%s out/day, baseline %s/day", now, base);
    return hunt_emit(e->ctx, &r);
}

/* The day of the last session start in the range: "now" ends there. */
static int last_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct eg *e = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s;
    int rc =
        eg_prepare(e, db, "SELECT max(first_ns) FROM sessions WHERE first_ns BETWEEN ?1 AND ?2",
                   INT64_MIN, &s);
    if (rc || !s)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        int64_t d = sqlite3_column_int64(s, 0) / NS_PER_DAY;
        if (d > e->last_day)
            e->last_day = d;
    }
    sqlite3_finalize(s);
    return 0;
}

static int egress_run(struct hunt_ctx *ctx)
{
    double recent = hunt_num(ctx, "recent_days"), baseline = hunt_num(ctx, "baseline_days");
    if (recent < 1 || baseline < 0 || recent + baseline > EG_MAX_WINDOW ||
        recent != floor(recent) || baseline != floor(baseline))
        return hunt_fail(ctx, KS_EINVAL,
                         "recent_days (>= 1) and baseline_days (>= 0) are whole days, "
                         "%d in all at most",
                         EG_MAX_WINDOW);
    struct eg e = {.ctx = ctx,
                   .recent = (unsigned)recent,
                   .baseline = (unsigned)baseline,
                   .min_bytes = hunt_num(ctx, "min_bytes"),
                   .min_jump = hunt_num(ctx, "min_jump"),
                   .min_pcr_shift = hunt_num(ctx, "min_pcr_shift")};
    e.tmpl.floor = hunt_num(ctx, "min_baseline");
    e.tmpl.jump_half = hunt_num(ctx, "jump_half");
    e.tmpl.vol_half = hunt_num(ctx, "vol_half");
    e.window = e.recent + e.baseline;
    e.last_day = INT64_MIN;
    int rc = hunt_days(ctx, last_day, &e);
    if (rc || e.last_day == INT64_MIN)
        return rc; /* no data in the range */
    e.recent_day = e.last_day - e.recent + 1;
    e.first_day = e.recent_day - e.baseline;
    hunt_map_init(&e.hosts, sizeof(struct host) + 2 * e.window * sizeof(double),
                  (size_t)hunt_num(ctx, "max_hosts"));
    struct fleet f = {.e = &e, .base = {.max = SIZE_MAX}, .jump = {.max = SIZE_MAX}};
    rc = hunt_days(ctx, eg_day, &e);
    if (!rc && e.hosts.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f internal hosts talk to external ones: raise "
                       "max_hosts or narrow --since/--until",
                       hunt_num(ctx, "max_hosts"));
    if (!rc)
        rc = hunt_map_each(&e.hosts, fleet_each, &f);
    if (!rc) {
        e.tmpl.fleet_base = hunt_quantile(f.base.v, f.base.n, 0.5);
        e.tmpl.fleet_jump = f.jump.n ? hunt_quantile(f.jump.v, f.jump.n, 0.5) : 1;
        e.cands = calloc(HUNT_MAX_RESULTS, sizeof *e.cands);
        if (!e.cands)
            rc = hunt_fail(ctx, KS_ENOMEM, "egress: out of memory");
    }
    if (!rc)
        rc = hunt_map_each(&e.hosts, cand_each, &e);
    hunt_map_release(&e.hosts);
    if (!rc && e.ncands)
        rc = hunt_days(ctx, ev_day, &e);
    for (size_t i = 0; !rc && i < e.ncands; i++)
        rc = cand_emit(&e, &e.cands[i]);
    hunt_vec_release(&f.base);
    hunt_vec_release(&f.jump);
    free(e.cands);
    return rc;
}

const struct hunt_kind hunt_kind_egress = {"egress", egress_run};
