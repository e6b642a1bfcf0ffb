/*
 * sweep.c — indicators against stored history (ioc_sweep) and against sessions as they are
 * stored (ioc_live_*); match.h says what matches what.
 *
 * A sweep reads each day file once, and only what can match:
 *   1. session endpoints, when address or network indicators are loaded: the src_ip and dst_ip
 *      indexes are walked in address order against the loaded addresses and networks as sorted
 *      ranges (a "leapfrog" walk, below), so the entries read are those inside a range plus a
 *      few per range; a day file without those indexes (its run has not completed) is scanned;
 *   2. for each record path an indicator can appear under (ioc_match_path_scan), the `fields`
 *      rows (pid, value, id) of that path in value order:
 *        - hex digests and user agents (IOC_SCAN_KEYS): leapfrog against the loaded values of
 *          that type, so the rows read are the equal ones plus a few per indicator;
 *        - names, addresses, JA4, serials (IOC_SCAN_DISTINCT): one lookup per distinct value,
 *          whose repeats are skipped by a jump;
 *        - URLs: every row (the URL is built from each session's host and port);
 *   3. the record hits (an id and a value) are placed in the pieces whose records hold the value
 *      (records.json contains it as a JSON string), which gives the piece and its time exactly
 *      as live matching sees it.  This costs one indexed lookup per hit, not per row.
 * A walk reads its index in key order and, when the next key it needs is more than WALK_STEPS
 * rows ahead, jumps there with a new B-tree descent (`key >= ?`); so a walk costs about the
 * lesser of "every row" and "a descent per indicator", plus the hits: with few indicators it
 * reads next to nothing, with many it degrades into the plain scan it replaces.  Every value a
 * walk hands on goes through the same ioc_match_value / ioc_match_addr as live matching.
 * Both ways end in the same (indicator, session) rows: iocdb_finding_put merges sightings in an
 * order-independent way, and expiry is judged against the piece's first packet in both.
 */
#include "ioc/iocdb.h"
#include "ioc/match.h"

#include "core/addr.h"
#include "core/err.h"
#include "flow/flow.h"
#include "proto/proto.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIVE_MAX_PENDING                                                                           \
    1000000 /* findings held between checkpoints; more are counted, dropped                        \
             */

/* One sighting, before it is merged into the store. */
struct pend {
    int64_t ioc;
    uint64_t session;
    uint32_t piece;
    int64_t first_ns, last_ns;
    const char *field; /* static (match.c's path table) */
    char *observed;
};

struct pends {
    struct pend *v;
    size_t n, cap;
};

static void pends_clear(struct pends *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].observed);
    p->n = 0;
}

static void pends_release(struct pends *p)
{
    pends_clear(p);
    free(p->v);
    p->v = NULL;
    p->cap = 0;
}

static int pends_add(struct pends *p, const struct pend *x)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        struct pend *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv)
            return KS_ENOMEM;
        p->v = nv;
        p->cap = nc;
    }
    char *obs = strdup(x->observed);
    if (!obs)
        return KS_ENOMEM;
    p->v[p->n] = *x;
    p->v[p->n++].observed = obs;
    return 0;
}

static int day_of(int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000 - (ns < 0 && ns % 1000000000 ? 1 : 0));
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 19700101;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int active_at(int64_t until, int64_t at_ns)
{
    return until == 0 || at_ns < until;
}

static int cmp_pend(const void *a, const void *b)
{
    const struct pend *x = a, *y = b;
    if (x->ioc != y->ioc)
        return x->ioc < y->ioc ? -1 : 1;
    return x->session < y->session ? -1 : x->session > y->session;
}

/*
 * Merge p into db in one transaction; counts into *findings / *fresh.  In the findings' key
 * order, so that the B-tree is written page by page (the merge does not depend on the order).
 */
static int pends_write(struct pends *p, struct iocdb *db, int64_t now_ns, uint64_t *findings,
                       uint64_t *fresh)
{
    if (!p->n)
        return 0;
    qsort(p->v, p->n, sizeof *p->v, cmp_pend);
    int rc = iocdb_begin(db);
    for (size_t i = 0; !rc && i < p->n; i++) {
        const struct pend *x = &p->v[i];
        struct iocdb_finding f = {x->ioc,   x->session,  x->piece,    day_of(x->first_ns),
                                  x->field, x->observed, x->first_ns, x->last_ns};
        int is_new = 0;
        rc = iocdb_finding_put(db, &f, now_ns, &is_new);
        *fresh += (uint64_t)is_new;
        (*findings)++;
    }
    if (!rc)
        rc = iocdb_commit(db);
    pends_clear(p);
    return rc;
}

/* ---- the sweep --------------------------------------------------------------------------- */

/* A value of a session's records that matched, not yet placed in a piece. */
struct rhit {
    uint64_t id;
    int64_t ioc, until;
    const char *field;
    char *observed, *raw;
};

struct vhit {
    int64_t ioc, until;
    const char *field;
    char observed[4100];
};

struct sweep {
    const struct ioc_matcher *m;
    struct iocdb *db;
    int64_t since_ns, until_ns, now_ns;
    struct ioc_sweep_result *res;
    struct pends pend;
    /* the loaded indicators in walking order, built once per sweep */
    struct ioc_key *keys[IOC__COUNT];
    size_t nkeys[IOC__COUNT];
    uint8_t *ranges; /* n x (lo[16], hi[16]) */
    size_t nranges;
    /* the day file being swept: a session piece by rowid (endpoint walks) */
    sqlite3_stmt *fetch;
    /* hits of the value being scanned */
    struct vhit *vh;
    size_t nvh, vh_cap;
    /* hits to place in pieces */
    struct rhit *rh;
    size_t nrh, rh_cap;
    /* the session piece being scanned (endpoints) */
    uint64_t id;
    uint32_t piece;
    int64_t first_ns, last_ns;
    char *msg;
    size_t msglen;
};

static int on_endpoint_hit(void *ctx, int64_t ioc, int64_t until, const char *field,
                           const char *observed)
{
    struct sweep *w = ctx;
    if (!active_at(until, w->first_ns))
        return 0;
    struct pend p = {ioc, w->id, w->piece, w->first_ns, w->last_ns, field, (char *)observed};
    return pends_add(&w->pend, &p);
}

static int on_value_hit(void *ctx, int64_t ioc, int64_t until, const char *field,
                        const char *observed)
{
    struct sweep *w = ctx;
    if (w->nvh == w->vh_cap) {
        size_t nc = w->vh_cap ? w->vh_cap * 2 : 8;
        struct vhit *n = realloc(w->vh, nc * sizeof *n);
        if (!n)
            return KS_ENOMEM;
        w->vh = n;
        w->vh_cap = nc;
    }
    struct vhit *h = &w->vh[w->nvh++];
    h->ioc = ioc;
    h->until = until;
    h->field = field;
    snprintf(h->observed, sizeof h->observed, "%s", observed);
    return 0;
}

static int rhit_add(struct sweep *w, uint64_t id, const struct vhit *h, const char *raw)
{
    if (w->nrh == w->rh_cap) {
        size_t nc = w->rh_cap ? w->rh_cap * 2 : 64;
        struct rhit *n = realloc(w->rh, nc * sizeof *n);
        if (!n)
            return KS_ENOMEM;
        w->rh = n;
        w->rh_cap = nc;
    }
    struct rhit *r = &w->rh[w->nrh];
    r->id = id;
    r->ioc = h->ioc;
    r->until = h->until;
    r->field = h->field;
    r->observed = strdup(h->observed);
    r->raw = strdup(raw);
    if (!r->observed || !r->raw) {
        free(r->observed);
        free(r->raw);
        return KS_ENOMEM;
    }
    w->nrh++;
    return 0;
}

static int sweep_err(struct sweep *w, sqlite3 *db, const char *what)
{
    snprintf(w->msg, w->msglen, "%s: %s", what, sqlite3_errmsg(db));
    return KS_ESQL;
}

static int scan_endpoints(struct sweep *w, sqlite3 *db)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, piece, first_ns, last_ns, src_ip, dst_ip FROM sessions"
                           " WHERE last_ns >= ? AND first_ns <= ?",
                           -1, &s, NULL) != SQLITE_OK)
        return sweep_err(w, db, "scan sessions");
    sqlite3_bind_int64(s, 1, w->since_ns);
    sqlite3_bind_int64(s, 2, w->until_ns);
    int step, rc = 0;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        w->res->sessions_scanned++;
        if (sqlite3_column_bytes(s, 4) != 16 || sqlite3_column_bytes(s, 5) != 16)
            continue;
        w->id = (uint64_t)sqlite3_column_int64(s, 0);
        w->piece = (uint32_t)sqlite3_column_int64(s, 1);
        w->first_ns = sqlite3_column_int64(s, 2);
        w->last_ns = sqlite3_column_int64(s, 3);
        rc = ioc_match_addr(w->m, sqlite3_column_blob(s, 4), "source.ip", on_endpoint_hit, w);
        if (!rc)
            rc = ioc_match_addr(w->m, sqlite3_column_blob(s, 5), "destination.ip", on_endpoint_hit,
                                w);
    }
    if (!rc && step != SQLITE_DONE)
        rc = sweep_err(w, db, "scan sessions");
    sqlite3_finalize(s);
    return rc;
}

/* url.domain of each session (first one), for URL indicators: sorted by id. */
struct idhost {
    uint64_t id;
    char *host;
};

static int cmp_idhost(const void *a, const void *b)
{
    const struct idhost *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int load_hosts(struct sweep *w, sqlite3 *db, int64_t pid, struct idhost **out, size_t *n)
{
    sqlite3_stmt *s;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, min(value) FROM fields WHERE pid = ? GROUP BY id", -1,
                           &s, NULL) != SQLITE_OK)
        return sweep_err(w, db, "read hosts");
    sqlite3_bind_int64(s, 1, pid);
    size_t cap = 0;
    int rc = 0;
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(s, 1);
        if (!h)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            struct idhost *nv = realloc(*out, cap * sizeof *nv);
            if (!nv) {
                rc = KS_ENOMEM;
                break;
            }
            *out = nv;
        }
        (*out)[*n].id = (uint64_t)sqlite3_column_int64(s, 0);
        if (!((*out)[*n].host = strdup(h)))
            rc = KS_ENOMEM;
        else
            (*n)++;
    }
    sqlite3_finalize(s);
    if (!rc && *n)
        qsort(*out, *n, sizeof **out, cmp_idhost);
    return rc;
}

static void free_hosts(struct idhost *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(h[i].host);
    free(h);
}

/* URL indicators: every url.original row, with its session's host and server port. */
static int scan_urls(struct sweep *w, sqlite3 *db, int64_t pid, const struct idhost *hosts,
                     size_t nhosts, sqlite3_stmt *port_q)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT value, id FROM fields WHERE pid = ?", -1, &s, NULL) !=
        SQLITE_OK)
        return sweep_err(w, db, "scan fields");
    sqlite3_bind_int64(s, 1, pid);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        uint64_t id = (uint64_t)sqlite3_column_int64(s, 1);
        if (!v)
            continue;
        w->res->values_scanned++;
        struct idhost key = {id, NULL};
        const struct idhost *h =
            nhosts ? bsearch(&key, hosts, nhosts, sizeof *hosts, cmp_idhost) : NULL;
        int port = 80;
        sqlite3_bind_int64(port_q, 1, (sqlite3_int64)id);
        if (sqlite3_step(port_q) == SQLITE_ROW)
            port = sqlite3_column_int(port_q, 0);
        sqlite3_reset(port_q);
        w->nvh = 0;
        rc = ioc_match_url(w->m, h ? h->host : NULL, port, v, on_value_hit, w);
        for (size_t i = 0; !rc && i < w->nvh; i++)
            rc = rhit_add(w, id, &w->vh[i], v);
    }
    if (!rc && step != SQLITE_DONE)
        rc = sweep_err(w, db, "scan fields");
    sqlite3_finalize(s);
    return rc;
}

/* ---- walks: an index read in key order, with jumps ------------------------------------------ */

#define WALK_STEPS 2      /* rows stepped over before a jump (a B-tree descent) pays */
#define WALK_KEY_MAX 8192 /* longest value a walk copies to jump past (longer: stepped) */

/*
 * A statement `SELECT key, … WHERE … key >= ?N ORDER BY key` over an index, and its current
 * row.  Keys are text (fields.value, always written as text) or blobs (session addresses),
 * compared in SQLite's BINARY order (ioc_key_cmp).
 */
struct cur {
    struct sweep *w;
    sqlite3 *db;
    sqlite3_stmt *s;
    int kparam, text;
    uint64_t *count; /* rows read */
    int have;        /* a row is current */
    const uint8_t *k;
    size_t kn;
    uint8_t buf[WALK_KEY_MAX + 1]; /* the key jumped to: it must outlive the reset */
};

static int cur_step(struct cur *c)
{
    int st = sqlite3_step(c->s);
    c->have = st == SQLITE_ROW;
    if (!c->have)
        return st == SQLITE_DONE ? 0 : sweep_err(c->w, c->db, "walk");
    (*c->count)++;
    c->k = c->text ? sqlite3_column_text(c->s, 0) : sqlite3_column_blob(c->s, 0);
    c->kn = (size_t)sqlite3_column_bytes(c->s, 0);
    if (!c->k)
        c->k = (const uint8_t *)"";
    return 0;
}

/* To the first row whose key is >= key[0..n) (key may be the current row's). */
static int cur_seek(struct cur *c, const void *key, size_t n)
{
    if (n > WALK_KEY_MAX)
        return cur_step(c);
    memmove(c->buf, key, n);
    sqlite3_reset(c->s);
    if (c->text)
        sqlite3_bind_text(c->s, c->kparam, (const char *)c->buf, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_blob(c->s, c->kparam, c->buf, (int)n, SQLITE_STATIC);
    return cur_step(c);
}

static int cur_cmp(const struct cur *c, const void *key, size_t n)
{
    return ioc_key_cmp(c->k, c->kn, key, n);
}

/* Called for a row whose key lies in one of the ranges walked; non-zero stops. */
typedef int (*walk_fn)(struct cur *c, void *arg);

/*
 * Every row whose key lies in one of n sorted, disjoint ranges [lo[i], hi[i]] (both lens[i]
 * bytes long; an exact value v is the range [v, v]).
 */
static int walk_ranges(struct cur *c, const uint8_t *const *lo, const uint8_t *const *hi,
                       const size_t *lens, size_t n, walk_fn fn, void *arg)
{
    size_t i = 0;
    int rc = n ? cur_seek(c, lo[0], lens[0]) : 0;
    while (!rc && c->have) {
        /* the first range that does not end before the key */
        size_t a = i, b = n;
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (cur_cmp(c, hi[mid], lens[mid]) > 0)
                a = mid + 1;
            else
                b = mid;
        }
        if ((i = a) == n)
            break;
        if (cur_cmp(c, lo[i], lens[i]) >= 0) {
            if (!(rc = fn(c, arg)))
                rc = cur_step(c);
            continue;
        }
        /* before the range: a few steps, else a jump */
        for (int k = 0; !rc && c->have && k < WALK_STEPS && cur_cmp(c, lo[i], lens[i]) < 0; k++)
            rc = cur_step(c);
        if (!rc && c->have && cur_cmp(c, lo[i], lens[i]) < 0)
            rc = cur_seek(c, lo[i], lens[i]);
    }
    return rc;
}

/* fields rows of one path whose value equals a loaded key: each value is looked up once */
struct value_walk {
    const char *path;
    char last[WALK_KEY_MAX + 1];
    int have_last;
};

static int on_value_row(struct cur *c, void *arg)
{
    struct value_walk *vw = arg;
    struct sweep *w = c->w;
    const char *v = (const char *)c->k;
    uint64_t id = (uint64_t)sqlite3_column_int64(c->s, 1);
    int rc = 0;
    if (!vw->have_last || strcmp(v, vw->last) != 0) {
        w->nvh = 0;
        rc = ioc_match_value(w->m, vw->path, v, on_value_hit, w);
        vw->have_last = c->kn <= WALK_KEY_MAX;
        if (vw->have_last)
            memcpy(vw->last, v, c->kn + 1);
    }
    for (size_t i = 0; !rc && i < w->nvh; i++)
        rc = rhit_add(w, id, &w->vh[i], v);
    return rc;
}

static int prepare_walk(struct sweep *w, sqlite3 *db, struct cur *c, const char *sql, int kparam,
                        int text, uint64_t *count)
{
    memset(c, 0, offsetof(struct cur, buf));
    c->w = w;
    c->db = db;
    c->kparam = kparam;
    c->text = text;
    c->count = count;
    if (sqlite3_prepare_v2(db, sql, -1, &c->s, NULL) != SQLITE_OK)
        return sweep_err(w, db, "prepare walk");
    return 0;
}

static const char fields_walk_sql[] =
    "SELECT value, id FROM fields WHERE pid = ?1 AND value >= ?2 ORDER BY value";

/* IOC_SCAN_KEYS: the rows equal to one of the loaded keys of the path's type. */
static int walk_keys(struct sweep *w, sqlite3 *db, int64_t pid, const char *path, int type,
                     struct cur *c)
{
    size_t n = w->nkeys[type];
    const uint8_t **ends = malloc(n * sizeof *ends + 1);
    size_t *lens = malloc(n * sizeof *lens + 1);
    struct value_walk *vw = malloc(sizeof *vw);
    int rc = ends && lens && vw ? 0 : KS_ENOMEM;
    if (!rc)
        rc = prepare_walk(w, db, c, fields_walk_sql, 2, 1, &w->res->values_scanned);
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            ends[i] = w->keys[type][i].p;
            lens[i] = w->keys[type][i].len;
        }
        vw->path = path;
        vw->have_last = 0;
        sqlite3_bind_int64(c->s, 1, pid);
        rc = walk_ranges(c, ends, ends, lens, n, on_value_row, vw);
    }
    sqlite3_finalize(c->s);
    free(ends);
    free(lens);
    free(vw);
    return rc;
}

/* IOC_SCAN_DISTINCT: each distinct value of the path looked up once, its repeats jumped over. */
static int walk_distinct(struct sweep *w, sqlite3 *db, int64_t pid, const char *path, struct cur *c)
{
    struct value_walk *vw = malloc(sizeof *vw);
    int rc =
        vw ? prepare_walk(w, db, c, fields_walk_sql, 2, 1, &w->res->values_scanned) : KS_ENOMEM;
    if (!rc) {
        vw->path = path;
        vw->have_last = 0;
        sqlite3_bind_int64(c->s, 1, pid);
        rc = cur_seek(c, "", 0);
    }
    while (!rc && c->have) {
        if ((rc = on_value_row(c, vw)))
            break;
        int hits = w->nvh > 0, same = vw->have_last;
        size_t n = c->kn;
        /* a value that matched: every row of it; else a few steps, then a jump past it */
        for (int k = 0; !rc && (hits || k < WALK_STEPS); k++) {
            if ((rc = cur_step(c)) || !c->have || !same || cur_cmp(c, vw->last, n) != 0)
                break;
            if (hits)
                rc = on_value_row(c, vw);
        }
        if (!rc && c->have && same && !hits && cur_cmp(c, vw->last, n) == 0) {
            vw->last[n] = '\0'; /* the least value above it: the same bytes and a NUL */
            rc = cur_seek(c, vw->last, n + 1);
            vw->have_last = 0;
        }
    }
    sqlite3_finalize(c->s);
    free(vw);
    return rc;
}

/* An endpoint index entry inside a loaded range: its piece, then the addresses' indicators. */
static int on_endpoint_row(struct cur *c, void *arg)
{
    struct sweep *w = c->w;
    if (c->kn != 16)
        return 0;
    uint8_t a[16];
    memcpy(a, c->k, 16);
    sqlite3_bind_int64(w->fetch, 1, sqlite3_column_int64(c->s, 1));
    int rc = 0;
    if (sqlite3_step(w->fetch) == SQLITE_ROW) {
        w->id = (uint64_t)sqlite3_column_int64(w->fetch, 0);
        w->piece = (uint32_t)sqlite3_column_int64(w->fetch, 1);
        w->first_ns = sqlite3_column_int64(w->fetch, 2);
        w->last_ns = sqlite3_column_int64(w->fetch, 3);
        if (w->last_ns >= w->since_ns && w->first_ns <= w->until_ns)
            rc = ioc_match_addr(w->m, a, arg, on_endpoint_hit, w);
    }
    sqlite3_reset(w->fetch);
    return rc;
}

static int has_index(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", -1,
                           &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return yes;
}

static int walk_endpoints(struct sweep *w, sqlite3 *db, struct cur *c)
{
    static const struct {
        const char *sql, *field;
    } ends[] = {
        {"SELECT src_ip, rowid FROM sessions INDEXED BY sessions_src WHERE src_ip >= ?1"
         " ORDER BY src_ip",
         "source.ip"},
        {"SELECT dst_ip, rowid FROM sessions INDEXED BY sessions_dst WHERE dst_ip >= ?1"
         " ORDER BY dst_ip",
         "destination.ip"},
    };
    if (!has_index(db, "sessions_src") || !has_index(db, "sessions_dst"))
        return scan_endpoints(w, db); /* a run still writing this day: no indexes yet */
    size_t n = w->nranges;
    const uint8_t **lo = malloc(n * sizeof *lo + 1), **hi = malloc(n * sizeof *hi + 1);
    size_t *lens = malloc(n * sizeof *lens + 1);
    int rc = lo && hi && lens ? 0 : KS_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        lo[i] = w->ranges + 32 * i;
        hi[i] = lo[i] + 16;
        lens[i] = 16;
    }
    if (!rc && sqlite3_prepare_v2(db,
                                  "SELECT id, piece, first_ns, last_ns FROM sessions"
                                  " WHERE rowid = ?",
                                  -1, &w->fetch, NULL) != SQLITE_OK)
        rc = sweep_err(w, db, "prepare walk");
    for (size_t e = 0; !rc && e < 2; e++) {
        if ((rc = prepare_walk(w, db, c, ends[e].sql, 1, 0, &w->res->sessions_scanned)))
            break;
        rc = walk_ranges(c, lo, hi, lens, n, on_endpoint_row, (void *)ends[e].field);
        sqlite3_finalize(c->s);
    }
    sqlite3_finalize(w->fetch);
    w->fetch = NULL;
    free(lo);
    free(hi);
    free(lens);
    return rc;
}

/* `"value"` as the record writer escapes it (proto/out.c json_str), for instr() on records.json */
static char *json_quoted(const char *v)
{
    size_t n = strlen(v), o = 0;
    char *q = malloc(6 * n + 3);
    if (!q)
        return NULL;
    q[o++] = '"';
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (c < 0x20) {
            o += (size_t)sprintf(q + o, "\\u%04x", c);
        } else {
            if (c == '"' || c == '\\')
                q[o++] = '\\';
            q[o++] = (char)c;
        }
    }
    q[o++] = '"';
    q[o] = '\0';
    return q;
}

static int place_hits(struct sweep *w, sqlite3 *db)
{
    if (!w->nrh)
        return 0;
    sqlite3_stmt *s, *any;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT s.piece, s.first_ns, s.last_ns FROM records r"
                           " JOIN sessions s ON s.id = r.id AND s.piece = r.piece"
                           " WHERE r.id = ? AND instr(r.json, ?) > 0"
                           " AND s.last_ns >= ? AND s.first_ns <= ?",
                           -1, &s, NULL) != SQLITE_OK)
        return sweep_err(w, db, "place hits");
    if (sqlite3_prepare_v2(db,
                           "SELECT piece, first_ns, last_ns FROM sessions WHERE id = ?"
                           " AND piece IN (SELECT piece FROM records WHERE id = ?)"
                           " AND last_ns >= ? AND first_ns <= ?",
                           -1, &any, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return sweep_err(w, db, "place hits");
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < w->nrh; i++) {
        const struct rhit *r = &w->rh[i];
        char *q = json_quoted(r->raw);
        if (!q) {
            rc = KS_ENOMEM;
            break;
        }
        int found = 0;
        for (int pass = 0; !rc && pass < 2 && !found; pass++) {
            /* the pieces whose records hold the value; if none does (escaping we did not
               foresee), every piece of the session that has records */
            sqlite3_stmt *x = pass ? any : s;
            sqlite3_bind_int64(x, 1, (sqlite3_int64)r->id);
            if (pass)
                sqlite3_bind_int64(x, 2, (sqlite3_int64)r->id);
            else
                sqlite3_bind_text(x, 2, q, -1, SQLITE_STATIC);
            sqlite3_bind_int64(x, 3, w->since_ns);
            sqlite3_bind_int64(x, 4, w->until_ns);
            while (!rc && sqlite3_step(x) == SQLITE_ROW) {
                found = 1;
                int64_t first = sqlite3_column_int64(x, 1);
                if (!active_at(r->until, first))
                    continue;
                struct pend p = {r->ioc,
                                 r->id,
                                 (uint32_t)sqlite3_column_int64(x, 0),
                                 first,
                                 sqlite3_column_int64(x, 2),
                                 r->field,
                                 r->observed};
                rc = pends_add(&w->pend, &p);
            }
            sqlite3_reset(x);
        }
        free(q);
    }
    sqlite3_finalize(s);
    sqlite3_finalize(any);
    return rc;
}

static void rhits_clear(struct sweep *w)
{
    for (size_t i = 0; i < w->nrh; i++) {
        free(w->rh[i].observed);
        free(w->rh[i].raw);
    }
    w->nrh = 0;
}

static int sweep_day(void *ctx, int day, void *dbp)
{
    struct sweep *w = ctx;
    sqlite3 *db = dbp;
    (void)day;
    w->res->days++;
    int rc = 0;
    struct cur *c = malloc(sizeof *c); /* its jump buffer is large */
    if (!c)
        return KS_ENOMEM;
    /*
     * One read transaction for the whole day, so that the many short index reads of the walks
     * neither take and drop the file's locks each time nor lose SQLite's page cache in between.
     */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        rc = sweep_err(w, db, "begin");
    if (!rc && w->nranges)
        rc = walk_endpoints(w, db, c);

    /* the record paths this day file has, and how each can hold a loaded indicator */
    sqlite3_stmt *ps = NULL;
    if (!rc && sqlite3_prepare_v2(db, "SELECT pid, path FROM paths", -1, &ps, NULL) != SQLITE_OK)
        rc = sweep_err(w, db, "read paths");
    int64_t url_pid = -1, host_pid = -1;
    struct {
        int64_t pid;
        const char *path; /* static: match.c's table */
        int how, type;
    } scan[64];
    size_t nscan = 0;
    const char *const *paths = ioc_match_paths();
    while (!rc && sqlite3_step(ps) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(ps, 1);
        int64_t pid = sqlite3_column_int64(ps, 0);
        if (!p)
            continue;
        if (!strcmp(p, "url.domain"))
            host_pid = pid;
        for (size_t i = 0; paths[i] && nscan < 64; i++) {
            int type, how = strcmp(paths[i], p) ? IOC_SCAN_NONE
                                                : ioc_match_path_scan(w->m, paths[i], &type);
            if (how == IOC_SCAN_ROWS) {
                url_pid = pid;
            } else if (how != IOC_SCAN_NONE) {
                scan[nscan].pid = pid;
                scan[nscan].path = paths[i];
                scan[nscan].how = how;
                scan[nscan++].type = type;
            }
        }
    }
    sqlite3_finalize(ps);
    for (size_t i = 0; !rc && i < nscan; i++)
        rc = scan[i].how == IOC_SCAN_KEYS
                 ? walk_keys(w, db, scan[i].pid, scan[i].path, scan[i].type, c)
                 : walk_distinct(w, db, scan[i].pid, scan[i].path, c);
    free(c);
    if (!rc && url_pid >= 0) {
        struct idhost *hosts = NULL;
        size_t nhosts = 0;
        sqlite3_stmt *port_q = NULL;
        if (host_pid >= 0)
            rc = load_hosts(w, db, host_pid, &hosts, &nhosts);
        if (!rc && sqlite3_prepare_v2(db, "SELECT dst_port FROM sessions WHERE id = ? LIMIT 1", -1,
                                      &port_q, NULL) != SQLITE_OK)
            rc = sweep_err(w, db, "read ports");
        if (!rc)
            rc = scan_urls(w, db, url_pid, hosts, nhosts, port_q);
        sqlite3_finalize(port_q);
        free_hosts(hosts, nhosts);
    }
    if (!rc)
        rc = place_hits(w, db);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    rhits_clear(w);
    if (!rc)
        rc = pends_write(&w->pend, w->db, w->now_ns, &w->res->findings, &w->res->findings_new);
    if (rc && rc != KS_ESQL && !w->msg[0])
        snprintf(w->msg, w->msglen, "%s", ks_strerror(rc));
    if (rc == KS_ESQL && !w->msg[0])
        snprintf(w->msg, w->msglen, "%s", iocdb_errmsg(w->db));
    return rc;
}

int ioc_sweep(const struct ioc_matcher *m, struct store *st, struct iocdb *db, int64_t since_ns,
              int64_t until_ns, int64_t now_ns, struct ioc_sweep_result *out, char *msg,
              size_t msglen)
{
    memset(out, 0, sizeof *out);
    msg[0] = '\0';
    if (!ioc_matcher_count(m, -1))
        return 0;
    struct sweep w = {.m = m,
                      .db = db,
                      .since_ns = since_ns,
                      .until_ns = until_ns,
                      .now_ns = now_ns,
                      .res = out,
                      .msg = msg,
                      .msglen = msglen};
    int rc = ioc_matcher_ranges(m, &w.ranges, &w.nranges);
    for (int t = 0; !rc && t < IOC__COUNT; t++)
        rc = ioc_matcher_keys(m, t, &w.keys[t], &w.nkeys[t]);
    if (!rc)
        rc = store_days_each(st, since_ns, until_ns, sweep_day, &w);
    if (rc && !msg[0])
        snprintf(msg, msglen, "%s", store_errmsg(st));
    pends_release(&w.pend);
    rhits_clear(&w);
    free(w.rh);
    free(w.vh);
    free(w.ranges);
    for (int t = 0; t < IOC__COUNT; t++)
        free(w.keys[t]);
    if (!rc) {
        struct iocdb_summary s;
        if ((rc = iocdb_summary(db, now_ns, &s)) != 0) {
            snprintf(msg, msglen, "%s", iocdb_errmsg(db));
            return rc;
        }
        out->findings = s.findings;
        out->sessions = s.sessions;
        out->indicators = s.indicators;
        out->first_ns = s.first_ns;
        out->last_ns = s.last_ns;
    }
    return rc;
}

/* ---- live ------------------------------------------------------------------------------------ */

struct ioc_live {
    struct ioc_matcher *m;
    struct iocdb *db;
    struct pends pend;
    const struct session_rec *cur;
    uint64_t findings, fresh, dropped;
    int err;
};

int ioc_live_open(struct ioc_live **out, const char *store_dir, char *msg, size_t msglen)
{
    *out = NULL;
    struct iocdb *db;
    int rc = iocdb_open(&db, store_dir, 1, msg, msglen);
    if (rc == KS_ENOENT)
        return 0; /* no indicators were ever imported */
    if (rc)
        return rc;
    iocdb_close(db);
    /* read-write from here: the flushes write findings */
    if ((rc = iocdb_open(&db, store_dir, 0, msg, msglen)))
        return rc;
    struct ioc_matcher *m;
    if ((rc = ioc_matcher_new(&m))) {
        iocdb_close(db);
        return rc;
    }
    if ((rc = ioc_matcher_load(m, db, NULL))) {
        snprintf(msg, msglen, "%s", iocdb_errmsg(db));
        goto fail;
    }
    if (!ioc_matcher_count(m, -1))
        goto fail; /* rc 0: nothing to match */
    struct ioc_live *l = calloc(1, sizeof *l);
    if (!l) {
        rc = KS_ENOMEM;
        goto fail;
    }
    l->m = m;
    l->db = db;
    *out = l;
    return 0;
fail:
    ioc_matcher_free(m);
    iocdb_close(db);
    return rc;
}

static int on_live_hit(void *ctx, int64_t ioc, int64_t until, const char *field,
                       const char *observed)
{
    struct ioc_live *l = ctx;
    const struct session_rec *s = l->cur;
    if (!active_at(until, s->first_ns))
        return 0;
    if (l->pend.n >= LIVE_MAX_PENDING) {
        l->dropped++;
        return 0;
    }
    struct pend p = {ioc, s->id, s->piece, s->first_ns, s->last_ns, field, (char *)observed};
    return pends_add(&l->pend, &p);
}

void ioc_live_session(void *live, const struct session_rec *s)
{
    struct ioc_live *l = live;
    if (!l || l->err)
        return;
    l->cur = s;
    uint8_t a[16];
    int rc;
    addr_to16(s->ipver, s->src, a);
    rc = ioc_match_addr(l->m, a, "source.ip", on_live_hit, l);
    addr_to16(s->ipver, s->dst, a);
    if (!rc)
        rc = ioc_match_addr(l->m, a, "destination.ip", on_live_hit, l);
    for (size_t k = 0; !rc && k < s->nrecs; k++) {
        const struct proto_rec *r = &s->recs[k];
        const char *host = NULL;
        for (size_t j = 0; j < r->nvals && !host; j++)
            if (!strcmp(r->vals[j].path, "url.domain"))
                host = r->vals[j].text;
        for (size_t j = 0; !rc && j < r->nvals; j++) {
            const struct proto_val *v = &r->vals[j];
            if (!strcmp(v->path, "url.original"))
                rc = ioc_match_url(l->m, host, s->dport, v->text, on_live_hit, l);
            else
                rc = ioc_match_value(l->m, v->path, v->text, on_live_hit, l);
        }
    }
    if (rc)
        l->err = rc;
}

int ioc_live_flush(struct ioc_live *l, char *msg, size_t msglen)
{
    if (!l)
        return 0;
    if (l->err) {
        snprintf(msg, msglen, "IOC matching: %s", ks_strerror(l->err));
        return l->err;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    int rc = pends_write(&l->pend, l->db, now, &l->findings, &l->fresh);
    if (rc)
        snprintf(msg, msglen, "%s", iocdb_errmsg(l->db));
    return rc;
}

void ioc_live_counts(const struct ioc_live *l, uint64_t *findings, uint64_t *findings_new)
{
    *findings = l ? l->findings : 0;
    *findings_new = l ? l->fresh : 0;
}

void ioc_live_close(struct ioc_live *l)
{
    if (!l)
        return;
    pends_release(&l->pend);
    ioc_matcher_free(l->m);
    iocdb_close(l->db);
    free(l);
}
