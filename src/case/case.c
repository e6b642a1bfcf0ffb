/* case.c — hunt cases, their runs, findings and indicators (case.h). */
#include "case/case.h"

#include "core/err.h"
#include "core/ktime.h"
#include "hunt/adb.h"
#include "ioc/ioc.h"
#include "ioc/json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- small helpers */

static int sql_fail(struct adb *a)
{
    (void)a;
    return KS_ESQL;
}

static void col_copy(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static char *col_dup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return strdup(t ? (const char *)t : "");
}

/* Grow *v (elements of size sz) to hold one more; capped at CASE_MAX_ROWS. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    if (nc > CASE_MAX_ROWS)
        return KS_ELIMIT;
    void *nv = realloc(*v, nc * sz);
    if (!nv)
        return KS_ENOMEM;
    *v = nv;
    *cap = nc;
    return 0;
}

/*
 * Every row of sql (with ?1 bound to id when bind) into a malloc'd array of elements of size
 * sz, each filled by fill (0, or an error that stops the read).  On failure release (may be
 * NULL) gets the rows read so far, and the array is freed.
 */
static int read_rows(struct adb *a, const char *sql, int bind, int64_t id, size_t sz,
                     int (*fill)(sqlite3_stmt *s, void *elem, int64_t id),
                     void (*release)(void *v, size_t n), void **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    void *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0, st = SQLITE_DONE;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(adb_sqlite(a), sql, -1, &s, NULL) != SQLITE_OK)
        return sql_fail(a);
    if (bind)
        sqlite3_bind_int64(s, 1, id);
    while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW) {
        rc = grow(&v, &cap, cnt, sz);
        if (rc)
            break;
        char *e = (char *)v + cnt * sz;
        memset(e, 0, sz);
        cnt++;
        rc = fill(s, e, id);
    }
    if (!rc && st != SQLITE_DONE)
        rc = KS_ESQL;
    sqlite3_finalize(s);
    if (rc) {
        if (release)
            release(v, cnt);
        else
            free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* ---------------------------------------------------------------- cases */

int case_attack_parse(const char *in, char *out, size_t cap, char *msg, size_t msglen)
{
    size_t o = 0;
    out[0] = '\0';
    const char *p = in ? in : "";
    while (*p) {
        size_t l = strcspn(p, ", ");
        if (l) {
            /* T + 4 digits, optionally . + 3 digits (a sub-technique) */
            int okay = (l == 5 || l == 9) && (p[0] == 'T' || p[0] == 't');
            for (size_t i = 1; okay && i < l; i++)
                okay = i == 5 ? p[i] == '.' : isdigit((unsigned char)p[i]) != 0;
            if (!okay) {
                snprintf(msg, msglen, "'%.*s' is not an ATT&CK technique id (T1199, T1567.002)",
                         (int)(l > 40 ? 40 : l), p);
                return KS_EINVAL;
            }
            if (o + l + 2 > cap) {
                snprintf(msg, msglen, "too many technique ids");
                return KS_EINVAL;
            }
            if (o)
                out[o++] = ',';
            for (size_t i = 0; i < l; i++)
                out[o++] = (char)toupper((unsigned char)p[i]);
            out[o] = '\0';
        }
        p += l;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

int case_new(struct adb *a, struct case_info *c)
{
    sqlite3 *db = adb_sqlite(a);
    sqlite3_stmt *s = NULL;
    if (!c->status[0])
        snprintf(c->status, sizeof c->status, "open");
    c->created_ns = ktime_now();
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO cases(hypothesis,attack,scope,since_ns,until_ns,"
                           "created_ns,status) VALUES(?,?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_fail(a);
    sqlite3_bind_text(s, 1, c->hypothesis, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, c->attack, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, c->scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, c->since_ns);
    sqlite3_bind_int64(s, 5, c->until_ns);
    sqlite3_bind_int64(s, 6, c->created_ns);
    sqlite3_bind_text(s, 7, c->status, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : KS_ESQL;
    sqlite3_finalize(s);
    if (!rc)
        c->id = sqlite3_last_insert_rowid(db);
    return rc;
}

#define CASE_COLS "id,hypothesis,attack,scope,since_ns,until_ns,created_ns,status"

static void case_row(sqlite3_stmt *s, struct case_info *c)
{
    c->id = sqlite3_column_int64(s, 0);
    col_copy(c->hypothesis, sizeof c->hypothesis, s, 1);
    col_copy(c->attack, sizeof c->attack, s, 2);
    col_copy(c->scope, sizeof c->scope, s, 3);
    c->since_ns = sqlite3_column_int64(s, 4);
    c->until_ns = sqlite3_column_int64(s, 5);
    c->created_ns = sqlite3_column_int64(s, 6);
    col_copy(c->status, sizeof c->status, s, 7);
}

int case_get(struct adb *a, int64_t id, struct case_info *out)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(adb_sqlite(a), "SELECT " CASE_COLS " FROM cases WHERE id=?", -1, &s,
                           NULL) != SQLITE_OK)
        return sql_fail(a);
    sqlite3_bind_int64(s, 1, id);
    int st = sqlite3_step(s), rc = 0;
    if (st == SQLITE_ROW)
        case_row(s, out);
    else
        rc = st == SQLITE_DONE ? KS_ENOENT : KS_ESQL;
    sqlite3_finalize(s);
    return rc;
}

static int case_fill(sqlite3_stmt *s, void *e, int64_t id)
{
    (void)id;
    case_row(s, e);
    return 0;
}

int case_list(struct adb *a, struct case_info **out, size_t *n)
{
    return read_rows(a, "SELECT " CASE_COLS " FROM cases ORDER BY id", 0, 0, sizeof **out,
                     case_fill, NULL, (void **)out, n);
}

/* ---------------------------------------------------------------- scope */

static int text_to16(const char *ip, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, ip, out + 12) == 1) {
        out[10] = out[11] = 0xff;
        return 0;
    }
    return inet_pton(AF_INET6, ip, out) == 1 ? 0 : -1;
}

int case_scope_parse(struct case_scope *s, const char *spec, struct hunt_zones *zones, char *msg,
                     size_t msglen)
{
    memset(s, 0, sizeof *s);
    s->zones = zones;
    const char *p = spec ? spec : "";
    while (*p) {
        char item[128], one[160], m[256];
        size_t l = strcspn(p, ", ");
        if (l >= sizeof item) {
            snprintf(msg, msglen, "scope: '%.40s…' is too long", p);
            return KS_EINVAL;
        }
        memcpy(item, p, l);
        item[l] = '\0';
        p += l;
        while (*p == ',' || *p == ' ')
            p++;
        if (!l)
            continue;
        snprintf(one, sizeof one, "scope=%s", item);
        uint8_t probe[16];
        int looks_addr = strchr(item, '/') || strchr(item, ':') || text_to16(item, probe) == 0;
        if (looks_addr) {
            if (hunt_zone_add(&s->nets, one, m, sizeof m)) {
                snprintf(msg, msglen, "scope: '%s' is not an address or CIDR (%s)", item, m);
                return KS_EINVAL;
            }
            continue;
        }
        int known = !strcmp(item, "internal") || !strcmp(item, "external");
        for (unsigned i = 0; zones && !known && i < zones->n; i++)
            known = !strcmp(zones->z[i].name, item);
        if (!known) {
            snprintf(msg, msglen,
                     "scope: '%s' is neither an address, a CIDR nor a zone (internal, external, "
                     "or a name from zones.conf)",
                     item);
            return KS_EINVAL;
        }
        if (s->nnames >= sizeof s->names / sizeof s->names[0] || l >= sizeof s->names[0]) {
            snprintf(msg, msglen, "scope: too many zone names");
            return KS_EINVAL;
        }
        memcpy(s->names[s->nnames++], item, l + 1);
    }
    s->any = s->nets.n == 0 && s->nnames == 0;
    return 0;
}

int case_scope_has(const struct case_scope *s, const uint8_t ip[16])
{
    if (s->any)
        return 1;
    if (s->nets.n && strcmp(hunt_zone_of(&s->nets, ip), "scope") == 0)
        return 1;
    if (s->nnames) {
        const char *z = hunt_zone_of(s->zones, ip);
        for (unsigned i = 0; i < s->nnames; i++)
            if (!strcmp(z, s->names[i]) ||
                (!strcmp(s->names[i], "internal") && strcmp(z, "external") != 0))
                return 1;
    }
    return 0;
}

int case_scope_has_text(const struct case_scope *s, const char *ip)
{
    uint8_t a[16];
    return ip && text_to16(ip, a) == 0 && case_scope_has(s, a);
}

void case_scope_filter(const struct case_scope *s, struct hunt_run *r, size_t *removed)
{
    size_t o = 0, gone = 0, sup = 0;
    for (size_t i = 0; i < r->nresults; i++) {
        struct hunt_result *x = &r->results[i];
        int addr = x->src[0] || x->dst[0];
        if (s->any || !addr || case_scope_has_text(s, x->src) || case_scope_has_text(s, x->dst)) {
            if (o != i)
                r->results[o] = *x;
            sup += r->results[o].suppressed != 0;
            r->results[o].rank = (unsigned)(o + 1);
            o++;
        } else {
            gone++;
        }
    }
    r->nresults = o;
    r->nsuppressed = sup;
    if (removed)
        *removed = gone;
}

/* ---------------------------------------------------------------- runs and results */

static int run_fill(sqlite3_stmt *s, void *e, int64_t id)
{
    struct case_run *r = e;
    (void)id;
    r->id = sqlite3_column_int64(s, 0);
    col_copy(r->kind, sizeof r->kind, s, 1);
    col_copy(r->hunt, sizeof r->hunt, s, 2);
    col_copy(r->hunt_id, sizeof r->hunt_id, s, 3);
    col_copy(r->expr, sizeof r->expr, s, 4);
    r->started_ns = sqlite3_column_int64(s, 5);
    r->since_ns = sqlite3_column_int64(s, 6);
    r->until_ns = sqlite3_column_int64(s, 7);
    r->seconds = sqlite3_column_double(s, 8);
    r->results = (uint64_t)sqlite3_column_int64(s, 9);
    r->suppressed = (uint64_t)sqlite3_column_int64(s, 10);
    col_copy(r->attack, sizeof r->attack, s, 11);
    r->params = col_dup(s, 12);
    r->coverage = col_dup(s, 13);
    return r->params && r->coverage ? 0 : KS_ENOMEM;
}

static void runs_release(void *v, size_t n)
{
    case_runs_free(v, n);
}

int case_runs(struct adb *a, int64_t id, struct case_run **out, size_t *n)
{
    return read_rows(a,
                     "SELECT id,kind,hunt,coalesce(hunt_id,''),coalesce(expr,''),started_ns,"
                     "since_ns,until_ns,seconds,results,suppressed,attack,params,coverage"
                     " FROM runs WHERE case_id=?1 ORDER BY id",
                     1, id, sizeof **out, run_fill, runs_release, (void **)out, n);
}

void case_runs_free(struct case_run *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].params);
        free(v[i].coverage);
    }
    free(v);
}

/* "[\"0000000100000001\",…]" into ids. */
static unsigned events_parse(const char *txt, uint64_t *ids, unsigned max)
{
    unsigned n = 0;
    for (const char *p = txt ? txt : ""; *p && n < max;) {
        if (!isxdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        char *end;
        ids[n++] = strtoull(p, &end, 16);
        p = end;
    }
    return n;
}

static int result_fill(sqlite3_stmt *s, void *e, int64_t run_id)
{
    struct case_result *r = e;
    r->run_id = run_id;
    r->rank = (unsigned)sqlite3_column_int(s, 0);
    r->score = sqlite3_column_double(s, 1);
    col_copy(r->explain, sizeof r->explain, s, 2);
    col_copy(r->src, sizeof r->src, s, 3);
    col_copy(r->dst, sizeof r->dst, s, 4);
    col_copy(r->domain, sizeof r->domain, s, 5);
    col_copy(r->fp, sizeof r->fp, s, 6);
    col_copy(r->detail, sizeof r->detail, s, 7);
    col_copy(r->attack, sizeof r->attack, s, 8);
    r->nevents =
        events_parse((const char *)sqlite3_column_text(s, 9), r->events, HUNT_MAX_EVIDENCE);
    r->sessions = (uint64_t)sqlite3_column_int64(s, 10);
    r->first_ns = sqlite3_column_int64(s, 11);
    r->last_ns = sqlite3_column_int64(s, 12);
    r->suppressed = sqlite3_column_int(s, 13);
    return 0;
}

int case_results(struct adb *a, int64_t run_id, struct case_result **out, size_t *n)
{
    return read_rows(a,
                     "SELECT rank,score,explain,src,dst,domain,fp,detail,attack,events,"
                     "sessions,first_ns,last_ns,suppressed FROM results WHERE run_id=?1"
                     " ORDER BY rank",
                     1, run_id, sizeof **out, result_fill, NULL, (void **)out, n);
}

/* ---------------------------------------------------------------- findings */

static const char *const verdicts[CASE__VERDICTS] = {"malicious", "suspicious", "benign",
                                                     "false-positive"};

int case_verdict_parse(const char *s)
{
    for (int i = 0; s && i < CASE__VERDICTS; i++)
        if (!strcmp(s, verdicts[i]))
            return i;
    return -1;
}

const char *case_verdict_name(int v)
{
    return v >= 0 && v < CASE__VERDICTS ? verdicts[v] : "?";
}

/* The node at a dotted path under obj ("event.start"), or -1. */
static int jpath(const struct json *j, int obj, const char *path)
{
    char key[64];
    while (obj >= 0 && *path) {
        size_t l = strcspn(path, ".");
        if (l >= sizeof key || json_kind(j, obj) != JSON_OBJECT)
            return -1;
        memcpy(key, path, l);
        key[l] = '\0';
        obj = json_get(j, obj, key);
        path += l + (path[l] == '.');
    }
    return obj;
}

static const char *jpath_str(const struct json *j, int obj, const char *path)
{
    int k = jpath(j, obj, path);
    return json_kind(j, k) == JSON_STRING || json_kind(j, k) == JSON_NUMBER ? json_str(j, k, NULL)
                                                                            : NULL;
}

static int64_t jpath_time(const struct json *j, int obj, const char *path)
{
    const char *t = jpath_str(j, obj, path);
    int64_t ns = 0;
    if (!t || ktime_parse(t, 0, &ns))
        return 0;
    return ns;
}

static uint64_t jpath_u64(const struct json *j, int obj, const char *path)
{
    const char *t = jpath_str(j, obj, path);
    return t ? strtoull(t, NULL, 10) : 0;
}

static void summary_piece(const struct json *j, int d, struct case_session *o)
{
    int64_t t0 = jpath_time(j, d, "event.start"), t1 = jpath_time(j, d, "event.end");
    if (o->pieces == 0) {
        const char *v;
        o->first_ns = t0;
        snprintf(o->transport, sizeof o->transport, "%s",
                 (v = jpath_str(j, d, "network.transport")) ? v : "");
        snprintf(o->app, sizeof o->app, "%s", (v = jpath_str(j, d, "network.protocol")) ? v : "");
        snprintf(o->community_id, sizeof o->community_id, "%s",
                 (v = jpath_str(j, d, "network.community_id")) ? v : "");
        snprintf(o->src, sizeof o->src, "%s", (v = jpath_str(j, d, "source.ip")) ? v : "");
        snprintf(o->dst, sizeof o->dst, "%s", (v = jpath_str(j, d, "destination.ip")) ? v : "");
        o->sport = (v = jpath_str(j, d, "source.port")) ? atoi(v) : -1;
        o->dport = (v = jpath_str(j, d, "destination.port")) ? atoi(v) : -1;
    }
    if (t0 && (!o->first_ns || t0 < o->first_ns))
        o->first_ns = t0;
    if (t1 > o->last_ns)
        o->last_ns = t1;
    o->bytes += jpath_u64(j, d, "network.bytes");
    o->packets += jpath_u64(j, d, "network.packets");
    o->pieces++;
}

/* Parse a snapshot: a non-empty array of objects that have event.id.  0 or KS_EFORMAT. */
static int snapshot_parse(struct json *j, const char *snapshot)
{
    memset(j, 0, sizeof *j);
    int rc = json_parse(j, (const uint8_t *)snapshot, strlen(snapshot));
    if (rc)
        return rc;
    if (json_kind(j, 0) != JSON_ARRAY || json_child(j, 0) < 0)
        return KS_EFORMAT;
    for (int d = json_child(j, 0); d >= 0; d = json_next(j, d))
        if (json_kind(j, d) != JSON_OBJECT || !jpath_str(j, d, "event.id"))
            return KS_EFORMAT;
    return 0;
}

int case_snapshot_summary(const char *snapshot, struct case_session *out)
{
    struct json j;
    memset(out, 0, sizeof *out);
    out->sport = out->dport = -1;
    int rc = snapshot_parse(&j, snapshot ? snapshot : "");
    for (int d = rc ? -1 : json_child(&j, 0); d >= 0; d = json_next(&j, d))
        summary_piece(&j, d, out);
    json_release(&j);
    return rc ? KS_EFORMAT : 0;
}

int case_finding_set(struct adb *a, int64_t case_id, uint64_t event_id, int verdict,
                     const char *note, const char *snapshot, int64_t *id, int *replaced)
{
    sqlite3 *db = adb_sqlite(a);
    sqlite3_stmt *s = NULL;
    struct case_info c;
    struct case_session sum;
    int rc = case_get(a, case_id, &c);
    if (rc)
        return rc;
    if (verdict < 0 || verdict >= CASE__VERDICTS || case_snapshot_summary(snapshot, &sum))
        return verdict < 0 || verdict >= CASE__VERDICTS ? KS_EINVAL : KS_EFORMAT;
    int64_t now = ktime_now();
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return KS_ESQL;
    *replaced = 0;
    if (sqlite3_prepare_v2(db, "SELECT id FROM findings WHERE case_id=? AND event_id=?", -1, &s,
                           NULL) != SQLITE_OK) {
        rc = KS_ESQL;
        goto rollback;
    }
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, (int64_t)event_id);
    int st = sqlite3_step(s);
    if (st == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        *replaced = 1;
    } else if (st != SQLITE_DONE) {
        rc = KS_ESQL;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc)
        goto rollback;
    const char *sql = *replaced ? "UPDATE findings SET verdict=?1, note=?2, session=?3,"
                                  " updated_ns=?4 WHERE id=?5"
                                : "INSERT INTO findings(verdict,note,session,updated_ns,"
                                  "created_ns,case_id,event_id) VALUES(?1,?2,?3,?4,?4,?6,?7)";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        rc = KS_ESQL;
        goto rollback;
    }
    sqlite3_bind_text(s, 1, verdicts[verdict], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, note ? note : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, snapshot, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    if (*replaced)
        sqlite3_bind_int64(s, 5, *id);
    sqlite3_bind_int64(s, 6, case_id);
    sqlite3_bind_int64(s, 7, (int64_t)event_id);
    rc = sqlite3_step(s) == SQLITE_DONE ? 0 : KS_ESQL;
    sqlite3_finalize(s);
    if (rc)
        goto rollback;
    if (!*replaced)
        *id = sqlite3_last_insert_rowid(db);
    return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : KS_ESQL;
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int finding_fill(sqlite3_stmt *s, void *e, int64_t case_id)
{
    struct case_finding *f = e;
    f->id = sqlite3_column_int64(s, 0);
    f->case_id = case_id;
    f->event_id = (uint64_t)sqlite3_column_int64(s, 1);
    f->verdict = case_verdict_parse((const char *)sqlite3_column_text(s, 2));
    col_copy(f->note, sizeof f->note, s, 3);
    f->created_ns = sqlite3_column_int64(s, 4);
    f->updated_ns = sqlite3_column_int64(s, 5);
    f->snapshot = col_dup(s, 6);
    if (!f->snapshot)
        return KS_ENOMEM;
    case_snapshot_summary(f->snapshot, &f->s);
    return 0;
}

static void findings_release(void *v, size_t n)
{
    case_findings_free(v, n);
}

int case_findings(struct adb *a, int64_t case_id, struct case_finding **out, size_t *n)
{
    return read_rows(a,
                     "SELECT id,event_id,verdict,note,created_ns,updated_ns,session"
                     " FROM findings WHERE case_id=?1 ORDER BY id",
                     1, case_id, sizeof **out, finding_fill, findings_release, (void **)out, n);
}

void case_findings_free(struct case_finding *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].snapshot);
    free(v);
}

/* ---------------------------------------------------------------- indicators */

int case_iocs_add(struct case_iocs *s, int type, const char *value, const char *field, int inbound,
                  int64_t first_ns, int64_t last_ns, uint64_t event_id, int64_t finding_id)
{
    char canon[IOC_VALUE_MAX + 1];
    if (!value || !*value || ioc_normalize(type, value, strlen(value), canon, sizeof canon))
        return 0;
    if (s->n >= CASE_MAX_IOCS) {
        s->dropped++;
        return 0;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        struct case_ioc *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return KS_ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    struct case_ioc *x = &s->v[s->n];
    memset(x, 0, sizeof *x);
    x->value = strdup(canon);
    if (!x->value)
        return KS_ENOMEM;
    x->type = type;
    snprintf(x->field, sizeof x->field, "%s", field);
    x->inbound = inbound;
    x->first_ns = first_ns;
    x->last_ns = last_ns;
    x->event_id = event_id;
    x->finding_id = finding_id;
    x->findings = 1;
    s->n++;
    return 0;
}

static int ioc_cmp(const void *pa, const void *pb)
{
    const struct case_ioc *a = pa, *b = pb;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    int c = strcmp(a->value, b->value);
    if (c)
        return c;
    /* the earliest sighting first: it gives the merged entry its session and finding */
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->finding_id < b->finding_id ? -1 : a->finding_id > b->finding_id;
}

void case_iocs_finish(struct case_iocs *s)
{
    if (!s->n)
        return;
    qsort(s->v, s->n, sizeof *s->v, ioc_cmp);
    size_t o = 0;
    for (size_t i = 1; i < s->n; i++) {
        struct case_ioc *k = &s->v[o], *x = &s->v[i];
        if (x->type == k->type && strcmp(x->value, k->value) == 0) {
            if (x->last_ns > k->last_ns)
                k->last_ns = x->last_ns;
            if (x->finding_id != k->finding_id)
                k->findings++;
            k->inbound = k->inbound && x->inbound;
            free(x->value);
            continue;
        }
        s->v[++o] = *x;
    }
    s->n = o + 1;
}

void case_iocs_free(struct case_iocs *s)
{
    for (size_t i = 0; s->v && i < s->n; i++)
        free(s->v[i].value);
    free(s->v);
    memset(s, 0, sizeof *s);
}

struct extract {
    struct case_iocs *out;
    const struct case_finding *f;
    int64_t t0, t1;
    int rc;
};

static void ex_add(struct extract *e, int type, const char *v, const char *field, int inbound)
{
    if (!e->rc && v)
        e->rc =
            case_iocs_add(e->out, type, v, field, inbound, e->t0, e->t1, e->f->event_id, e->f->id);
}

/* A string, or each string of an array, at path under rec. */
static void ex_path(struct extract *e, const struct json *j, int rec, const char *path, int type)
{
    int k = jpath(j, rec, path);
    if (json_kind(j, k) == JSON_ARRAY) {
        for (int c = json_child(j, k); c >= 0; c = json_next(j, c))
            if (json_kind(j, c) == JSON_STRING)
                ex_add(e, type, json_str(j, c, NULL), path, 0);
    } else if (json_kind(j, k) == JSON_STRING) {
        ex_add(e, type, json_str(j, k, NULL), path, 0);
    }
}

static void ex_http(struct extract *e, const struct json *j, int rec, int dport)
{
    const char *host = jpath_str(j, rec, "url.domain");
    const char *target = jpath_str(j, rec, "url.original");
    uint8_t probe[16];
    int host_is_addr = host && text_to16(host, probe) == 0;
    if (host && !host_is_addr)
        ex_add(e, IOC_DOMAIN, host, "url.domain", 0);
    if (!target || !*target)
        return;
    char url[IOC_VALUE_MAX + 1];
    int n;
    if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8))
        n = snprintf(url, sizeof url, "%s", target);
    else if (host && target[0] == '/')
        n = dport > 0 && dport != 80
                ? snprintf(url, sizeof url, "http://%s:%d%s", host, dport, target)
                : snprintf(url, sizeof url, "http://%s%s", host, target);
    else
        return;
    if (n > 0 && (size_t)n < sizeof url)
        ex_add(e, IOC_URL, url, "url.original", 0);
}

static const struct {
    const char *path;
    int type;
} record_paths[] = {
    {"dns.question.name", IOC_DOMAIN},
    {"tls.client.server_name", IOC_DOMAIN},
    {"user_agent.original", IOC_UA},
    {"tls.client.ja3", IOC_JA3},
    {"tls.client.ja4", IOC_JA4},
    {"tls.server.hash.sha1", IOC_CERT_SHA1},
    {"tls.server.hash.sha256", IOC_CERT_SHA256},
    {"file.hash.md5", IOC_MD5},
    {"file.hash.sha1", IOC_SHA1},
    {"file.hash.sha256", IOC_SHA256},
};

static void ex_piece(struct extract *e, const struct json *j, int d, const struct hunt_zones *zones)
{
    static const char *const ends[2] = {"source.ip", "destination.ip"};
    for (int k = 0; k < 2; k++) {
        const char *ip = jpath_str(j, d, ends[k]);
        uint8_t a[16];
        if (ip && text_to16(ip, a) == 0 && !hunt_zone_internal(zones, a))
            ex_add(e, IOC_IP, ip, ends[k], k == 0);
    }
    const char *dp = jpath_str(j, d, "destination.port");
    int dport = dp ? atoi(dp) : 0;
    int recs = jpath(j, d, "records");
    for (int r = json_child(j, recs); r >= 0 && !e->rc; r = json_next(j, r)) {
        if (json_kind(j, r) != JSON_OBJECT)
            continue;
        for (size_t p = 0; p < sizeof record_paths / sizeof record_paths[0]; p++)
            ex_path(e, j, r, record_paths[p].path, record_paths[p].type);
        if (jpath(j, r, "url") >= 0)
            ex_http(e, j, r, dport);
    }
}

int case_iocs_extract(const struct case_finding *f, size_t nf, const struct hunt_zones *zones,
                      struct case_iocs *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < nf; i++) {
        if (f[i].verdict != CASE_MALICIOUS)
            continue;
        out->malicious++;
        struct json j;
        if (snapshot_parse(&j, f[i].snapshot ? f[i].snapshot : "")) {
            json_release(&j);
            continue;
        }
        struct extract e = {.out = out, .f = &f[i]};
        for (int d = json_child(&j, 0); d >= 0 && !e.rc; d = json_next(&j, d)) {
            e.t0 = jpath_time(&j, d, "event.start");
            e.t1 = jpath_time(&j, d, "event.end");
            ex_piece(&e, &j, d, zones);
        }
        json_release(&j);
        if (e.rc) {
            case_iocs_free(out);
            return e.rc;
        }
    }
    case_iocs_finish(out);
    return 0;
}
