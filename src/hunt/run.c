/*
 * run.c — running one hunt (hunt.h): parameters, coverage, the analysis, allowlist, ranking.
 */
#include "hunt/hunt.h"

#include "core/err.h"
#include "store/store.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int hunt_num_parse(const char *s, double *out); /* def.c */

struct hunt_ctx {
    struct store *st;
    const struct hunt_def *def;
    struct hunt_param params[HUNT_MAX_PARAMS]; /* the def's, with overrides */
    double nums[HUNT_MAX_PARAMS];
    unsigned nparams;
    int64_t since_ns, until_ns;
    const struct hunt_zones *zones;
    struct hunt_coverage cov;
    struct hunt_result *res;
    size_t nres, cap;
    uint64_t dropped;
    int err;
    char msg[512];
};

void hunt_result_event(struct hunt_result *r, uint64_t id)
{
    for (unsigned i = 0; i < r->nevents; i++)
        if (r->events[i] == id)
            return;
    if (r->nevents < HUNT_MAX_EVIDENCE)
        r->events[r->nevents++] = id;
}

void hunt_result_time(struct hunt_result *r, int64_t t)
{
    if (!r->first_ns || t < r->first_ns)
        r->first_ns = t;
    if (!r->last_ns || t > r->last_ns)
        r->last_ns = t;
}

struct store *hunt_store(const struct hunt_ctx *ctx)
{
    return ctx->st;
}

const struct hunt_def *hunt_def_of(const struct hunt_ctx *ctx)
{
    return ctx->def;
}

void hunt_range(const struct hunt_ctx *ctx, int64_t *since_ns, int64_t *until_ns)
{
    *since_ns = ctx->since_ns;
    *until_ns = ctx->until_ns;
}

static const struct hunt_param *param_find(const struct hunt_ctx *ctx, const char *name,
                                           unsigned *idx)
{
    for (unsigned i = 0; i < ctx->nparams; i++)
        if (strcmp(ctx->params[i].name, name) == 0) {
            if (idx)
                *idx = i;
            return &ctx->params[i];
        }
    return NULL;
}

double hunt_num(const struct hunt_ctx *ctx, const char *name)
{
    unsigned i;
    if (!param_find(ctx, name, &i) || !ctx->params[i].numeric)
        return NAN; /* a bug in the analysis or its hunt file: the run fails (see hunt_run) */
    return ctx->nums[i];
}

const char *hunt_str(const struct hunt_ctx *ctx, const char *name)
{
    const struct hunt_param *p = param_find(ctx, name, NULL);
    return p ? p->value : "";
}

const struct hunt_zones *hunt_zones(const struct hunt_ctx *ctx)
{
    return ctx->zones;
}

const char *hunt_zone(const struct hunt_ctx *ctx, const uint8_t ip[16])
{
    return hunt_zone_of(ctx->zones, ip);
}

int hunt_internal(const struct hunt_ctx *ctx, const uint8_t ip[16])
{
    return hunt_zone_internal(ctx->zones, ip);
}

const struct hunt_coverage *hunt_cov(const struct hunt_ctx *ctx)
{
    return &ctx->cov;
}

struct days_arg {
    struct hunt_ctx *ctx;
    int (*cb)(void *arg, int day, void *db);
    void *arg;
};

static int day_thunk(void *a, int day, void *db)
{
    struct days_arg *d = a;
    return d->cb(d->arg, day, db);
}

int hunt_days(struct hunt_ctx *ctx, int (*cb)(void *arg, int day, void *db), void *arg)
{
    struct days_arg d = {ctx, cb, arg};
    return store_days_each(ctx->st, ctx->since_ns, ctx->until_ns, day_thunk, &d);
}

int hunt_prepare(struct hunt_ctx *ctx, void *dbp, const char *sql, void *stmt, const char *who)
{
    sqlite3 *db = dbp;
    sqlite3_stmt **s = stmt;
    *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK)
        return hunt_fail(ctx, KS_ESQL, "%s: %s", who, sqlite3_errmsg(db));
    return 0;
}

int hunt_prepare_range(struct hunt_ctx *ctx, void *db, const char *sql, void *stmt, const char *who)
{
    int rc = hunt_prepare(ctx, db, sql, stmt, who);
    if (rc)
        return rc;
    sqlite3_stmt *s = *(sqlite3_stmt **)stmt;
    sqlite3_bind_int64(s, 1, ctx->since_ns);
    sqlite3_bind_int64(s, 2, ctx->until_ns);
    return 0;
}

int hunt_finish(struct hunt_ctx *ctx, void *db, void *stmt, int st, const char *who)
{
    int rc = 0;
    if (st != SQLITE_DONE) /* the message is the connection's: read it before finalize */
        rc = hunt_fail(ctx, KS_ESQL, "%s: %s", who, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rc;
}

int hunt_path_id(void *dbp, const char *path, int64_t *pid)
{
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT pid FROM paths WHERE path = ?1", -1, &s, NULL) != SQLITE_OK)
        return KS_ESQL;
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    int st = sqlite3_step(s), rc;
    if (st == SQLITE_ROW) {
        *pid = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = st == SQLITE_DONE ? 1 : KS_ESQL;
    }
    sqlite3_finalize(s);
    return rc;
}

int hunt_emit(struct hunt_ctx *ctx, const struct hunt_result *r)
{
    struct hunt_result *x;
    if (ctx->nres >= HUNT_MAX_RESULTS) {
        /* Keep the best HUNT_MAX_RESULTS: the new one replaces the lowest score held. */
        ctx->dropped++;
        size_t worst = 0;
        for (size_t i = 1; i < ctx->nres; i++)
            if (ctx->res[i].score < ctx->res[worst].score)
                worst = i;
        if (!(r->score > ctx->res[worst].score))
            return 0;
        x = &ctx->res[worst];
        goto put;
    }
    if (ctx->nres == ctx->cap) {
        size_t nc = ctx->cap ? ctx->cap * 2 : 64;
        struct hunt_result *nv = realloc(ctx->res, nc * sizeof *nv);
        if (!nv)
            return KS_ENOMEM;
        ctx->res = nv;
        ctx->cap = nc;
    }
    x = &ctx->res[ctx->nres++];
put:
    *x = *r;
    if (!(x->score >= 0)) /* NaN too */
        x->score = 0;
    if (x->score > 1)
        x->score = 1;
    x->rank = 0;
    x->suppressed = 0;
    x->allow_reason[0] = '\0';
    if (!x->sessions)
        x->sessions = x->nevents;
    return 0;
}

int hunt_fail(struct hunt_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
    ctx->err = code;
    return code;
}

/* ---------------------------------------------------------------- allowlist */

static int host_match(const char *value, const char *host)
{
    struct hunt_zones z = {0};
    char spec[300], msg[128];
    uint8_t ip[16] = {0};
    if (!host[0])
        return 0;
    snprintf(spec, sizeof spec, "x=%s", value);
    if (hunt_zone_add(&z, spec, msg, sizeof msg))
        return strcasecmp(value, host) == 0;
    /* host text back into 16 bytes */
    struct hunt_zones one = {0};
    snprintf(spec, sizeof spec, "h=%s", host);
    if (hunt_zone_add(&one, spec, msg, sizeof msg))
        return 0;
    memcpy(ip, one.z[0].nets[0].addr, 16);
    return strcmp(hunt_zone_of(&z, ip), "x") == 0;
}

int hunt_allow_matches(const struct hunt_allow *a, const char *hunt, const struct hunt_result *r)
{
    if (a->hunt[0] && strcmp(a->hunt, hunt) != 0)
        return 0;
    if (strcmp(a->kind, "host") == 0)
        return host_match(a->value, r->src) || host_match(a->value, r->dst);
    if (strcmp(a->kind, "domain") == 0)
        return r->domain[0] && hunt_name_under(r->domain, a->value);
    if (strcmp(a->kind, "sni") == 0)
        return r->domain[0] && (a->value[0] == '*' ? hunt_name_under(r->domain, a->value)
                                                   : strcasecmp(r->domain, a->value) == 0);
    if (strcmp(a->kind, "ja3") == 0 || strcmp(a->kind, "ja4") == 0 || strcmp(a->kind, "fp") == 0)
        return r->fp[0] && strcasecmp(r->fp, a->value) == 0;
    if (strcmp(a->kind, "ua") == 0)
        return r->detail[0] && strcmp(r->detail, a->value) == 0;
    return 0;
}

/* ---------------------------------------------------------------- coverage */

static int cov_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct hunt_ctx *ctx = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(app,''), count(*), min(first_ns), max(last_ns),"
                           " sum(src_bytes+dst_bytes), sum(src_pkts+dst_pkts) FROM sessions"
                           " WHERE first_ns BETWEEN ? AND ? GROUP BY 1",
                           -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(ctx, KS_ESQL, "coverage: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(s, 1, ctx->since_ns);
    sqlite3_bind_int64(s, 2, ctx->until_ns);
    int any = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *app = (const char *)sqlite3_column_text(s, 0);
        uint64_t n = (uint64_t)sqlite3_column_int64(s, 1);
        int64_t f = sqlite3_column_int64(s, 2), l = sqlite3_column_int64(s, 3);
        uint64_t by = (uint64_t)sqlite3_column_int64(s, 4);
        any = 1;
        ctx->cov.sessions += n;
        ctx->cov.bytes += by;
        ctx->cov.packets += (uint64_t)sqlite3_column_int64(s, 5);
        if (!ctx->cov.first_ns || f < ctx->cov.first_ns)
            ctx->cov.first_ns = f;
        if (l > ctx->cov.last_ns)
            ctx->cov.last_ns = l;
        unsigned i;
        for (i = 0; i < ctx->cov.napps; i++)
            if (strcmp(ctx->cov.apps[i].app, app ? app : "") == 0)
                break;
        if (i == ctx->cov.napps && i < sizeof ctx->cov.apps / sizeof ctx->cov.apps[0]) {
            snprintf(ctx->cov.apps[i].app, sizeof ctx->cov.apps[i].app, "%s", app ? app : "");
            ctx->cov.napps++;
        }
        if (i < ctx->cov.napps) {
            ctx->cov.apps[i].sessions += n;
            ctx->cov.apps[i].bytes += by;
        }
    }
    sqlite3_finalize(s);
    ctx->cov.days += any;
    return 0;
}

static void cov_missing(struct hunt_ctx *ctx)
{
    char needs[sizeof ctx->def->needs];
    snprintf(needs, sizeof needs, "%s", ctx->def->needs);
    char *save = NULL;
    size_t o = 0;
    for (char *t = strtok_r(needs, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
        int have = strcmp(t, "sessions") == 0 ? ctx->cov.sessions > 0 : 0;
        for (unsigned i = 0; !have && i < ctx->cov.napps; i++)
            have = strcmp(ctx->cov.apps[i].app, t) == 0 ||
                   /* dcerpc rides on smb pipes; starttls sessions end up as tls */
                   (strcmp(t, "dcerpc") == 0 && strcmp(ctx->cov.apps[i].app, "smb") == 0);
        if (!have && o + strlen(t) + 2 < sizeof ctx->cov.missing)
            o += (size_t)snprintf(ctx->cov.missing + o, sizeof ctx->cov.missing - o, "%s%s",
                                  o ? " " : "", t);
    }
}

int hunt_coverage_get(struct store *st, int64_t since_ns, int64_t until_ns,
                      struct hunt_coverage *out)
{
    struct hunt_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return KS_ENOMEM;
    ctx->st = st;
    ctx->since_ns = since_ns;
    ctx->until_ns = until_ns;
    int rc = hunt_days(ctx, cov_day, ctx);
    if (!rc)
        rc = ctx->err;
    *out = ctx->cov;
    free(ctx);
    return rc;
}

/* ---------------------------------------------------------------- the run */

static int res_cmp(const void *a, const void *b)
{
    const struct hunt_result *x = a, *y = b;
    if (x->suppressed != y->suppressed)
        return x->suppressed - y->suppressed;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->sessions != y->sessions)
        return x->sessions < y->sessions ? 1 : -1;
    int c = strcmp(x->src, y->src);
    if (c)
        return c;
    c = strcmp(x->dst, y->dst);
    if (c)
        return c;
    c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->detail, y->detail);
}

static void json_kv(char *dst, size_t cap, size_t *o, const char *k, const char *v)
{
    size_t k0 = *o;
    k0 += (size_t)snprintf(dst + k0, k0 < cap ? cap - k0 : 0, "%s\"%s\":\"", k0 > 1 ? "," : "", k);
    for (const char *p = v; *p && k0 + 8 < cap; p++) {
        if (*p == '"' || *p == '\\')
            dst[k0++] = '\\';
        if ((unsigned char)*p >= 0x20)
            dst[k0++] = *p;
    }
    if (k0 + 2 < cap) {
        dst[k0++] = '"';
        dst[k0] = '\0';
    }
    *o = k0;
}

int hunt_run(struct store *st, const struct hunt_def *def, const struct hunt_opts *o,
             struct hunt_run *out, char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    const struct hunt_kind *kind = NULL;
    for (const struct hunt_kind *const *k = hunt_kinds; *k; k++)
        if (strcmp((*k)->name, def->kind) == 0)
            kind = *k;
    if (!kind) {
        snprintf(msg, msglen, "hunt %s: unknown kind '%s'", def->name, def->kind);
        return KS_EINVAL;
    }
    struct hunt_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return KS_ENOMEM;
    ctx->st = st;
    ctx->def = def;
    ctx->since_ns = o->since_ns;
    ctx->until_ns = o->until_ns;
    ctx->zones = o->zones;
    ctx->nparams = def->nparams;
    memcpy(ctx->params, def->params, sizeof def->params);
    int rc = 0;
    for (size_t i = 0; i < o->nparams; i++) {
        const char *eq = strchr(o->params[i], '=');
        char name[48];
        size_t nl = eq ? (size_t)(eq - o->params[i]) : 0;
        if (!eq || nl == 0 || nl >= sizeof name) {
            snprintf(msg, msglen, "--param '%s': expected NAME=VALUE", o->params[i]);
            rc = KS_EINVAL;
            goto out;
        }
        memcpy(name, o->params[i], nl);
        name[nl] = '\0';
        unsigned k;
        if (!param_find(ctx, name, &k)) {
            snprintf(msg, msglen, "hunt %s has no parameter '%s' (konseki hunt show %s)", def->name,
                     name, def->name);
            rc = KS_EINVAL;
            goto out;
        }
        if (strlen(eq + 1) >= sizeof ctx->params[k].value) {
            snprintf(msg, msglen, "--param %s: value too long", name);
            rc = KS_EINVAL;
            goto out;
        }
        snprintf(ctx->params[k].value, sizeof ctx->params[k].value, "%s", eq + 1);
    }
    size_t po = 0;
    out->params_json[po++] = '{';
    out->params_json[po] = '\0';
    for (unsigned i = 0; i < ctx->nparams; i++) {
        if (ctx->params[i].numeric && hunt_num_parse(ctx->params[i].value, &ctx->nums[i])) {
            snprintf(msg, msglen, "hunt %s: parameter %s: '%s' is not a number", def->name,
                     ctx->params[i].name, ctx->params[i].value);
            rc = KS_EINVAL;
            goto out;
        }
        json_kv(out->params_json, sizeof out->params_json - 2, &po, ctx->params[i].name,
                ctx->params[i].value);
    }
    snprintf(out->params_json + po, sizeof out->params_json - po, "}");

    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    out->started_ns = (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (o->cov) {
        ctx->cov = *o->cov; /* measured once for several runs over the same range */
        ctx->cov.missing[0] = '\0';
    } else {
        rc = hunt_days(ctx, cov_day, ctx);
    }
    if (!rc && !ctx->err)
        cov_missing(ctx);
    if (!rc && !ctx->err)
        rc = kind->run(ctx);
    if (ctx->err) {
        snprintf(msg, msglen, "hunt %s: %s", def->name, ctx->msg);
        rc = ctx->err;
        goto out;
    }
    if (rc) {
        snprintf(msg, msglen, "hunt %s: %s%s%s", def->name, ks_strerror(rc),
                 store_errmsg(st)[0] ? ": " : "", store_errmsg(st));
        goto out;
    }
    for (unsigned i = 0; i < ctx->nparams; i++) {
        if (ctx->params[i].numeric && !(ctx->nums[i] == ctx->nums[i])) {
            snprintf(msg, msglen, "hunt %s: parameter %s is not a number", def->name,
                     ctx->params[i].name);
            rc = KS_EINVAL;
            goto out;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (size_t i = 0; i < ctx->nres; i++) {
        for (size_t k = 0; k < o->nallow; k++) {
            if (hunt_allow_matches(&o->allow[k], def->name, &ctx->res[i])) {
                ctx->res[i].suppressed = 1;
                snprintf(ctx->res[i].allow_reason, sizeof ctx->res[i].allow_reason,
                         "allowlist #%" PRId64 " (%s %s): %s", o->allow[k].id, o->allow[k].kind,
                         o->allow[k].value, o->allow[k].reason);
                out->nsuppressed++;
                break;
            }
        }
    }
    if (ctx->nres) /* qsort(NULL, 0, …) is undefined */
        qsort(ctx->res, ctx->nres, sizeof ctx->res[0], res_cmp);
    for (size_t i = 0; i < ctx->nres; i++)
        ctx->res[i].rank = (unsigned)i + 1;
    out->def = def;
    out->since_ns = o->since_ns;
    out->until_ns = o->until_ns;
    out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    out->cov = ctx->cov;
    out->results = ctx->res;
    out->nresults = ctx->nres;
    out->dropped = ctx->dropped;
    ctx->res = NULL;
out:
    free(ctx->res);
    free(ctx);
    return rc;
}

void hunt_run_release(struct hunt_run *r)
{
    free(r->results);
    r->results = NULL;
    r->nresults = 0;
}
