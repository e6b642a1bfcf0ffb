/* adb.c — STORE/analysis.db (adb.h). */
#include "hunt/adb.h"

#include "core/err.h"
#include "core/ktime.h"

#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct adb {
    sqlite3 *db;
    char err[512];
};

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, hunt TEXT NOT NULL, hunt_id TEXT,"
    " expr TEXT, case_id INTEGER, started_ns INTEGER NOT NULL, seconds REAL NOT NULL,"
    " since_ns INTEGER NOT NULL, until_ns INTEGER NOT NULL, params TEXT NOT NULL,"
    " coverage TEXT NOT NULL, results INTEGER NOT NULL, suppressed INTEGER NOT NULL,"
    " attack TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS runs_case ON runs(case_id);"
    "CREATE TABLE IF NOT EXISTS results("
    " run_id INTEGER NOT NULL, rank INTEGER NOT NULL, score REAL NOT NULL,"
    " explain TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, domain TEXT NOT NULL,"
    " fp TEXT NOT NULL, detail TEXT NOT NULL, attack TEXT NOT NULL, events TEXT NOT NULL,"
    " sessions INTEGER NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
    " suppressed INTEGER NOT NULL, allow_reason TEXT NOT NULL,"
    " PRIMARY KEY(run_id, rank)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS allow("
    " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, hunt TEXT NOT NULL,"
    " reason TEXT NOT NULL, added_ns INTEGER NOT NULL, UNIQUE(kind, value, hunt));"
    "CREATE TABLE IF NOT EXISTS cases("
    " id INTEGER PRIMARY KEY, hypothesis TEXT NOT NULL, attack TEXT NOT NULL,"
    " scope TEXT NOT NULL, since_ns INTEGER NOT NULL, until_ns INTEGER NOT NULL,"
    " created_ns INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open');"
    "CREATE TABLE IF NOT EXISTS findings("
    " id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, event_id INTEGER NOT NULL,"
    " verdict TEXT NOT NULL, note TEXT NOT NULL, created_ns INTEGER NOT NULL,"
    " session TEXT NOT NULL, updated_ns INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS findings_case ON findings(case_id);";

static int sql_err(struct adb *a, const char *what)
{
    snprintf(a->err, sizeof a->err, "analysis.db: %s: %s", what, sqlite3_errmsg(a->db));
    return KS_ESQL;
}

static int exec(struct adb *a, const char *sql)
{
    char *m = NULL;
    if (sqlite3_exec(a->db, sql, NULL, NULL, &m) == SQLITE_OK)
        return 0;
    snprintf(a->err, sizeof a->err, "analysis.db: %s", m ? m : "error");
    sqlite3_free(m);
    return KS_ESQL;
}

const char *adb_errmsg(struct adb *a)
{
    return a->err;
}

void *adb_sqlite(struct adb *a)
{
    return a->db;
}

/* Columns added after a table was first shipped. */
static int upgrade(struct adb *a)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(a->db, "SELECT updated_ns FROM findings LIMIT 0", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_finalize(s);
        return 0;
    }
    return exec(a, "ALTER TABLE findings ADD COLUMN updated_ns INTEGER NOT NULL DEFAULT 0");
}

int adb_open(struct adb **out, const char *store_dir, int readonly, char *msg, size_t msglen)
{
    char path[PATH_MAX];
    struct stat sb;
    *out = NULL;
    if (snprintf(path, sizeof path, "%s/analysis.db", store_dir) >= (int)sizeof path) {
        snprintf(msg, msglen, "%s: path too long", store_dir);
        return KS_EINVAL;
    }
    if (stat(store_dir, &sb) != 0) {
        snprintf(msg, msglen, "%s: no such store", store_dir);
        return KS_ENOENT;
    }
    if (readonly && stat(path, &sb) != 0) {
        snprintf(msg, msglen, "%s: no hunts or cases recorded yet", path);
        return KS_ENOENT;
    }
    struct adb *a = calloc(1, sizeof *a);
    if (!a)
        return KS_ENOMEM;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &a->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "%s: %s", path, a->db ? sqlite3_errmsg(a->db) : "out of memory");
        adb_close(a);
        return KS_ESQL;
    }
    sqlite3_busy_timeout(a->db, 30000);
    if (!readonly) {
        chmod(path, 0600);
        if (exec(a, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") || exec(a, schema) ||
            upgrade(a)) {
            snprintf(msg, msglen, "%s", a->err);
            adb_close(a);
            return KS_ESQL;
        }
    }
    *out = a;
    return 0;
}

void adb_close(struct adb *a)
{
    if (!a)
        return;
    sqlite3_close(a->db);
    free(a);
}

/* JSON string escaping for the small documents this file writes. */
static void jstr(char *dst, size_t cap, size_t *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = *o;
    if (k + 1 < cap)
        dst[k++] = '"';
    for (; *s && k + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[k++] = '\\';
            dst[k++] = (char)c;
        } else if (c < 0x20) {
            dst[k++] = '\\';
            dst[k++] = 'u';
            dst[k++] = '0';
            dst[k++] = '0';
            dst[k++] = hex[c >> 4];
            dst[k++] = hex[c & 15];
        } else {
            dst[k++] = (char)c;
        }
    }
    if (k + 1 < cap)
        dst[k++] = '"';
    dst[k < cap ? k : cap - 1] = '\0';
    *o = k;
}

static void coverage_json(const struct hunt_coverage *c, char *dst, size_t cap)
{
    size_t o = (size_t)snprintf(dst, cap,
                                "{\"days\":%u,\"sessions\":%" PRIu64 ",\"bytes\":%" PRIu64
                                ",\"first_ns\":%" PRId64 ",\"last_ns\":%" PRId64 ",\"apps\":{",
                                c->days, c->sessions, c->bytes, c->first_ns, c->last_ns);
    for (unsigned i = 0; i < c->napps && o + 64 < cap; i++) {
        if (i)
            dst[o++] = ',';
        jstr(dst, cap, &o, c->apps[i].app[0] ? c->apps[i].app : "-");
        o += (size_t)snprintf(dst + o, cap - o, ":%" PRIu64, c->apps[i].sessions);
    }
    if (o + 16 < cap) {
        o += (size_t)snprintf(dst + o, cap - o, "},\"missing\":");
        jstr(dst, cap, &o, c->missing);
        snprintf(dst + o, cap - o, "}");
    }
}

static void events_json(const struct hunt_result *r, char *dst, size_t cap)
{
    size_t o = 0;
    dst[o++] = '[';
    for (unsigned i = 0; i < r->nevents && o + 24 < cap; i++)
        o += (size_t)snprintf(dst + o, cap - o, "%s\"%016" PRIx64 "\"", i ? "," : "", r->events[i]);
    snprintf(dst + o, cap - o, "]");
}

int adb_run_save(struct adb *a, const struct hunt_run *r, int64_t case_id, int64_t *id)
{
    char cov[4096], ev[HUNT_MAX_EVIDENCE * 24 + 8];
    sqlite3_stmt *s = NULL, *rs = NULL;
    int rc = exec(a, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    coverage_json(&r->cov, cov, sizeof cov);
    if (sqlite3_prepare_v2(a->db,
                           "INSERT INTO runs(kind,hunt,hunt_id,expr,case_id,started_ns,seconds,"
                           "since_ns,until_ns,params,coverage,results,suppressed,attack)"
                           " VALUES('hunt',?,?,NULL,?,?,?,?,?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = sql_err(a, "prepare");
        goto rollback;
    }
    sqlite3_bind_text(s, 1, r->def->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, r->def->id, -1, SQLITE_STATIC);
    if (case_id)
        sqlite3_bind_int64(s, 3, case_id);
    sqlite3_bind_int64(s, 4, r->started_ns);
    sqlite3_bind_double(s, 5, r->seconds);
    sqlite3_bind_int64(s, 6, r->since_ns);
    sqlite3_bind_int64(s, 7, r->until_ns);
    sqlite3_bind_text(s, 8, r->params_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, cov, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, (int64_t)(r->nresults - r->nsuppressed));
    sqlite3_bind_int64(s, 11, (int64_t)r->nsuppressed);
    sqlite3_bind_text(s, 12, r->def->attack, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sql_err(a, "insert run");
        goto rollback;
    }
    *id = sqlite3_last_insert_rowid(a->db);
    if (sqlite3_prepare_v2(a->db,
                           "INSERT INTO results(run_id,rank,score,explain,src,dst,domain,fp,"
                           "detail,attack,events,sessions,first_ns,last_ns,suppressed,"
                           "allow_reason) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &rs, NULL) != SQLITE_OK) {
        rc = sql_err(a, "prepare");
        goto rollback;
    }
    for (size_t i = 0; i < r->nresults; i++) {
        const struct hunt_result *x = &r->results[i];
        events_json(x, ev, sizeof ev);
        sqlite3_reset(rs);
        sqlite3_bind_int64(rs, 1, *id);
        sqlite3_bind_int64(rs, 2, x->rank);
        sqlite3_bind_double(rs, 3, x->score);
        sqlite3_bind_text(rs, 4, x->explain, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 5, x->src, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 6, x->dst, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 7, x->domain, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 8, x->fp, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 9, x->detail, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 10, x->attack[0] ? x->attack : r->def->attack, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs, 11, ev, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(rs, 12, (int64_t)x->sessions);
        sqlite3_bind_int64(rs, 13, x->first_ns);
        sqlite3_bind_int64(rs, 14, x->last_ns);
        sqlite3_bind_int(rs, 15, x->suppressed);
        sqlite3_bind_text(rs, 16, x->allow_reason, -1, SQLITE_STATIC);
        if (sqlite3_step(rs) != SQLITE_DONE) {
            rc = sql_err(a, "insert result");
            goto rollback;
        }
    }
    sqlite3_finalize(s);
    sqlite3_finalize(rs);
    return exec(a, "COMMIT");
rollback:
    sqlite3_finalize(s);
    sqlite3_finalize(rs);
    exec(a, "ROLLBACK");
    return rc;
}

int adb_query_run_save(struct adb *a, const char *expr, int64_t since_ns, int64_t until_ns,
                       int64_t case_id, uint64_t nsessions, const uint64_t *ids, size_t nids,
                       int64_t *id)
{
    struct hunt_def def = {.name = "query", .id = "query"};
    struct hunt_result res = {.score = 1};
    struct hunt_run run = {
        .def = &def, .since_ns = since_ns, .until_ns = until_ns, .started_ns = ktime_now()};
    snprintf(run.params_json, sizeof run.params_json, "{}");
    snprintf(res.explain, sizeof res.explain, "%" PRIu64 " sessions match %s", nsessions, expr);
    for (size_t i = 0; i < nids; i++)
        hunt_result_event(&res, ids[i]);
    res.sessions = nsessions;
    res.rank = 1;
    run.results = &res;
    run.nresults = nsessions ? 1 : 0;
    int rc = adb_run_save(a, &run, case_id, id);
    if (rc)
        return rc;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(a->db, "UPDATE runs SET kind='query', expr=? WHERE id=?", -1, &s,
                           NULL) != SQLITE_OK)
        return sql_err(a, "prepare");
    sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, *id);
    rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(a, "update run");
    sqlite3_finalize(s);
    return rc;
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int adb_allow_list(struct adb *a, struct hunt_allow **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    struct hunt_allow *v = NULL;
    size_t cnt = 0, cap = 0;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(a->db, "SELECT id,kind,value,hunt,reason FROM allow ORDER BY id", -1, &s,
                           NULL) != SQLITE_OK)
        return sql_err(a, "prepare");
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            if (nc > 1000000) {
                free(v);
                sqlite3_finalize(s);
                return KS_ELIMIT;
            }
            struct hunt_allow *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                free(v);
                sqlite3_finalize(s);
                return KS_ENOMEM;
            }
            v = nv;
            cap = nc;
        }
        struct hunt_allow *e = &v[cnt++];
        e->id = sqlite3_column_int64(s, 0);
        copy_col(e->kind, sizeof e->kind, s, 1);
        copy_col(e->value, sizeof e->value, s, 2);
        copy_col(e->hunt, sizeof e->hunt, s, 3);
        copy_col(e->reason, sizeof e->reason, s, 4);
    }
    sqlite3_finalize(s);
    if (st != SQLITE_DONE) {
        free(v);
        return sql_err(a, "read allowlist");
    }
    *out = v;
    *n = cnt;
    return 0;
}

int adb_allow_add(struct adb *a, const struct hunt_allow *e, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(a->db,
                           "INSERT INTO allow(kind,value,hunt,reason,added_ns) VALUES(?,?,?,?,"
                           "CAST((julianday('now')-2440587.5)*86400000000000 AS INTEGER))"
                           " ON CONFLICT(kind,value,hunt) DO UPDATE SET reason=excluded.reason",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_err(a, "prepare");
    sqlite3_bind_text(s, 1, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e->value, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, e->hunt, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, e->reason, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(a, "add allowlist entry");
    sqlite3_finalize(s);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(a->db, "SELECT id FROM allow WHERE kind=? AND value=? AND hunt=?", -1,
                           &s, NULL) != SQLITE_OK)
        return sql_err(a, "prepare");
    sqlite3_bind_text(s, 1, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e->value, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, e->hunt, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_ROW ? 0 : sql_err(a, "read allowlist entry");
    if (!rc)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

int adb_allow_remove(struct adb *a, int64_t id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(a->db, "DELETE FROM allow WHERE id=?", -1, &s, NULL) != SQLITE_OK)
        return sql_err(a, "prepare");
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(a, "remove allowlist entry");
    sqlite3_finalize(s);
    if (!rc && sqlite3_changes(a->db) == 0)
        rc = KS_ENOENT;
    return rc;
}
