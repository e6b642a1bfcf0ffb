/*
 * sweep.c — indicators against stored history (ioc_sweep) and against sessions as they are
 * stored (ioc_live_*); match.h says what matches what.
 *
 * A sweep reads each day file once:
 *   1. the session endpoints (src_ip, dst_ip of every piece in the time range), when address or
 *      network indicators are loaded;
 *   2. for each record path an indicator can appear under, that path's `fields` rows
 *      (pid, value, id) in index order: equal values are adjacent, so each distinct value is
 *      looked up once;
 *   3. the record hits (an id and a value) are placed in the pieces whose records hold the value
 *      (records.json contains it as a JSON string), which gives the piece and its time exactly
 *      as live matching sees it.  This costs one indexed lookup per hit, not per row.
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

/* Merge p into db in one transaction; counts into *findings / *fresh. */
static int pends_write(struct pends *p, struct iocdb *db, int64_t now_ns, uint64_t *findings,
                       uint64_t *fresh)
{
    if (!p->n)
        return 0;
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

static int scan_path(struct sweep *w, sqlite3 *db, int64_t pid, const char *path,
                     const struct idhost *hosts, size_t nhosts, sqlite3_stmt *port_q)
{
    int is_url = !strcmp(path, "url.original");
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT value, id FROM fields WHERE pid = ?", -1, &s, NULL) !=
        SQLITE_OK)
        return sweep_err(w, db, "scan fields");
    sqlite3_bind_int64(s, 1, pid);
    char last[4100] = "";
    int have_last = 0, rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        uint64_t id = (uint64_t)sqlite3_column_int64(s, 1);
        if (!v)
            continue;
        w->res->values_scanned++;
        if (is_url) {
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
        } else if (!have_last || strcmp(v, last) != 0) {
            /* rows come in (value, id) order: look each distinct value up once */
            w->nvh = 0;
            rc = ioc_match_value(w->m, path, v, on_value_hit, w);
            snprintf(last, sizeof last, "%s", v);
            have_last = strlen(v) < sizeof last;
        }
        for (size_t i = 0; !rc && i < w->nvh; i++)
            rc = rhit_add(w, id, &w->vh[i], v);
    }
    if (!rc && step != SQLITE_DONE)
        rc = sweep_err(w, db, "scan fields");
    sqlite3_finalize(s);
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
    if (ioc_matcher_count(w->m, IOC_IP) || ioc_matcher_count(w->m, IOC_CIDR))
        rc = scan_endpoints(w, db);

    /* the record paths this day file has, and which of them can hold a loaded indicator */
    sqlite3_stmt *ps;
    if (!rc && sqlite3_prepare_v2(db, "SELECT pid, path FROM paths", -1, &ps, NULL) != SQLITE_OK)
        rc = sweep_err(w, db, "read paths");
    int64_t url_pid = -1, host_pid = -1;
    struct {
        int64_t pid;
        const char *path;
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
        if (!strcmp(p, "url.original")) {
            url_pid = pid;
            continue;
        }
        for (size_t i = 0; paths[i] && nscan < 64; i++)
            if (!strcmp(paths[i], p))
                scan[nscan++].pid = pid, scan[nscan - 1].path = paths[i];
    }
    if (!rc)
        sqlite3_finalize(ps);
    for (size_t i = 0; !rc && i < nscan; i++)
        rc = scan_path(w, db, scan[i].pid, scan[i].path, NULL, 0, NULL);
    if (!rc && url_pid >= 0 && ioc_matcher_count(w->m, IOC_URL)) {
        struct idhost *hosts = NULL;
        size_t nhosts = 0;
        sqlite3_stmt *port_q = NULL;
        if (host_pid >= 0)
            rc = load_hosts(w, db, host_pid, &hosts, &nhosts);
        if (!rc && sqlite3_prepare_v2(db, "SELECT dst_port FROM sessions WHERE id = ? LIMIT 1", -1,
                                      &port_q, NULL) != SQLITE_OK)
            rc = sweep_err(w, db, "read ports");
        if (!rc)
            rc = scan_path(w, db, url_pid, "url.original", hosts, nhosts, port_q);
        sqlite3_finalize(port_q);
        free_hosts(hosts, nhosts);
    }
    if (!rc)
        rc = place_hits(w, db);
    rhits_clear(w);
    if (!rc)
        rc = pends_write(&w->pend, w->db, w->now_ns, &w->res->findings, &w->res->findings_new);
    if (rc && rc != KS_ESQL && !w->msg[0])
        snprintf(w->msg, w->msglen, "%s", rc == KS_ESQL ? iocdb_errmsg(w->db) : ks_strerror(rc));
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
    int rc = store_days_each(st, since_ns, until_ns, sweep_day, &w);
    if (rc && !msg[0])
        snprintf(msg, msglen, "%s", store_errmsg(st));
    pends_release(&w.pend);
    rhits_clear(&w);
    free(w.rh);
    free(w.vh);
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
