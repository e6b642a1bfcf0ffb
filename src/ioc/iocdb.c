/*
 * iocdb.c — STORE/ioc.db (iocdb.h).
 *
 * Types are stored by name ("domain"), so `sqlite3 ioc.db` reads naturally and queries
 * (`ioc.type == domain`) compare text.  IP and CIDR indicators also keep their range as two
 * 16-byte blobs (lo, hi; IPv4 as ::ffff:a.b.c.d like the sessions table) for `$ioc:` sets.
 */
#include "ioc/iocdb.h"

#include "core/err.h"
#include "ioc/match.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct iocdb {
    sqlite3 *db;
    sqlite3_stmt *find, *ins, *upd, *ins_src, *put, *seen; /* seen: a finding's first insert */
    char err[512];
};

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS indicators("
    " id INTEGER PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL,"
    " published_ns INTEGER NOT NULL, valid_until_ns INTEGER NOT NULL, desc TEXT,"
    " added_ns INTEGER NOT NULL, lo BLOB, hi BLOB, UNIQUE(type, value));"
    "CREATE TABLE IF NOT EXISTS ioc_sources("
    " ioc INTEGER NOT NULL, source TEXT NOT NULL, ref TEXT, published_ns INTEGER NOT NULL,"
    " valid_until_ns INTEGER NOT NULL, desc TEXT, added_ns INTEGER NOT NULL,"
    " PRIMARY KEY(ioc, source)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ioc_sources_source ON ioc_sources(source);"
    "CREATE TABLE IF NOT EXISTS findings("
    " ioc INTEGER NOT NULL, session INTEGER NOT NULL, piece INTEGER NOT NULL, day INTEGER NOT NULL,"
    " field TEXT NOT NULL, observed TEXT NOT NULL, first_ns INTEGER NOT NULL,"
    " last_ns INTEGER NOT NULL, found_ns INTEGER NOT NULL, seen_ns INTEGER NOT NULL,"
    " PRIMARY KEY(ioc, session)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS findings_session ON findings(session);"
    "CREATE INDEX IF NOT EXISTS findings_first ON findings(first_ns);"
    "CREATE INDEX IF NOT EXISTS findings_seen ON findings(seen_ns);";

static int sql_err(struct iocdb *db, const char *what)
{
    snprintf(db->err, sizeof db->err, "ioc.db: %s: %s", what, sqlite3_errmsg(db->db));
    return KS_ESQL;
}

static int exec(struct iocdb *db, const char *sql)
{
    char *m = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &m) == SQLITE_OK)
        return 0;
    snprintf(db->err, sizeof db->err, "ioc.db: %s", m ? m : "error");
    sqlite3_free(m);
    return KS_ESQL;
}

const char *iocdb_errmsg(const struct iocdb *db)
{
    return db->err;
}

int iocdb_open(struct iocdb **out, const char *store_dir, int readonly, char *msg, size_t msglen)
{
    char path[PATH_MAX];
    struct stat sb;
    *out = NULL;
    if (snprintf(path, sizeof path, "%s/ioc.db", store_dir) >= (int)sizeof path) {
        snprintf(msg, msglen, "%s: path too long", store_dir);
        return KS_EINVAL;
    }
    if (readonly && stat(path, &sb) != 0) {
        snprintf(msg, msglen, "%s: no indicators imported yet (konseki ioc import)", path);
        return KS_ENOENT;
    }
    if (!readonly && stat(store_dir, &sb) != 0) {
        snprintf(msg, msglen, "%s: no such store", store_dir);
        return KS_ENOENT;
    }
    struct iocdb *db = calloc(1, sizeof *db);
    if (!db)
        return KS_ENOMEM;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "%s: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
        iocdb_close(db);
        return KS_ESQL;
    }
    sqlite3_busy_timeout(db->db, 30000);
    if (!readonly) {
        chmod(path, 0600);
        if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") || exec(db, schema)) {
            snprintf(msg, msglen, "%s", db->err);
            iocdb_close(db);
            return KS_ESQL;
        }
    }
    *out = db;
    return 0;
}

void iocdb_close(struct iocdb *db)
{
    if (!db)
        return;
    sqlite3_finalize(db->find);
    sqlite3_finalize(db->ins);
    sqlite3_finalize(db->upd);
    sqlite3_finalize(db->ins_src);
    sqlite3_finalize(db->put);
    sqlite3_finalize(db->seen);
    sqlite3_close(db->db);
    free(db);
}

int iocdb_begin(struct iocdb *db)
{
    return exec(db, "BEGIN IMMEDIATE");
}

int iocdb_commit(struct iocdb *db)
{
    return exec(db, "COMMIT");
}

void iocdb_rollback(struct iocdb *db)
{
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

static int prep(struct iocdb *db, sqlite3_stmt **s, const char *sql)
{
    if (*s) {
        sqlite3_reset(*s);
        sqlite3_clear_bindings(*s);
        return 0;
    }
    return sqlite3_prepare_v2(db->db, sql, -1, s, NULL) == SQLITE_OK ? 0 : sql_err(db, "prepare");
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

int iocdb_add(struct iocdb *db, const struct ioc *x, int64_t now_ns, int64_t *id, int *is_new)
{
    const char *tname = ioc_type_name(x->type);
    if (!tname || !x->value || !*x->value) {
        snprintf(db->err, sizeof db->err, "indicator without a type or value");
        return KS_EINVAL;
    }
    const char *source = x->source && *x->source ? x->source : "unknown";
    int rc;
    *is_new = 0;
    if ((rc = prep(db, &db->find, "SELECT id FROM indicators WHERE type = ? AND value = ?")))
        return rc;
    sqlite3_bind_text(db->find, 1, tname, -1, SQLITE_STATIC);
    sqlite3_bind_text(db->find, 2, x->value, -1, SQLITE_STATIC);
    int step = sqlite3_step(db->find);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(db->find, 0);
        sqlite3_reset(db->find);
        /* earliest publication, latest end of life (0 = none, which outlives any date) */
        if ((rc = prep(db, &db->upd,
                       "UPDATE indicators SET"
                       " published_ns = CASE WHEN published_ns = 0 THEN ?2"
                       "   WHEN ?2 = 0 THEN published_ns ELSE min(published_ns, ?2) END,"
                       " valid_until_ns = CASE WHEN valid_until_ns = 0 OR ?3 = 0 THEN 0"
                       "   ELSE max(valid_until_ns, ?3) END,"
                       " desc = coalesce(desc, ?4) WHERE id = ?1")))
            return rc;
        sqlite3_bind_int64(db->upd, 1, *id);
        sqlite3_bind_int64(db->upd, 2, x->published_ns);
        sqlite3_bind_int64(db->upd, 3, x->valid_until_ns);
        bind_opt_text(db->upd, 4, x->desc);
        if (sqlite3_step(db->upd) != SQLITE_DONE)
            return sql_err(db, "update indicator");
    } else if (step == SQLITE_DONE) {
        sqlite3_reset(db->find);
        if ((rc = prep(db, &db->ins,
                       "INSERT INTO indicators(type, value, published_ns, valid_until_ns, desc,"
                       " added_ns, lo, hi) VALUES (?,?,?,?,?,?,?,?)")))
            return rc;
        uint8_t lo[16], hi[16];
        int ranged = ioc_value_range(x->type, x->value, lo, hi) == 0;
        sqlite3_bind_text(db->ins, 1, tname, -1, SQLITE_STATIC);
        sqlite3_bind_text(db->ins, 2, x->value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(db->ins, 3, x->published_ns);
        sqlite3_bind_int64(db->ins, 4, x->valid_until_ns);
        bind_opt_text(db->ins, 5, x->desc);
        sqlite3_bind_int64(db->ins, 6, now_ns);
        if (ranged) {
            sqlite3_bind_blob(db->ins, 7, lo, 16, SQLITE_TRANSIENT);
            sqlite3_bind_blob(db->ins, 8, hi, 16, SQLITE_TRANSIENT);
        }
        if (sqlite3_step(db->ins) != SQLITE_DONE)
            return sql_err(db, "insert indicator");
        *id = sqlite3_last_insert_rowid(db->db);
        *is_new = 1;
    } else {
        sqlite3_reset(db->find);
        return sql_err(db, "find indicator");
    }
    if ((rc = prep(db, &db->ins_src,
                   "INSERT INTO ioc_sources(ioc, source, ref, published_ns, valid_until_ns, desc,"
                   " added_ns) VALUES (?,?,?,?,?,?,?) ON CONFLICT(ioc, source) DO UPDATE SET"
                   " ref = coalesce(excluded.ref, ref), published_ns = excluded.published_ns,"
                   " valid_until_ns = excluded.valid_until_ns,"
                   " desc = coalesce(excluded.desc, desc)")))
        return rc;
    sqlite3_bind_int64(db->ins_src, 1, *id);
    sqlite3_bind_text(db->ins_src, 2, source, -1, SQLITE_STATIC);
    bind_opt_text(db->ins_src, 3, x->ref);
    sqlite3_bind_int64(db->ins_src, 4, x->published_ns);
    sqlite3_bind_int64(db->ins_src, 5, x->valid_until_ns);
    bind_opt_text(db->ins_src, 6, x->desc);
    sqlite3_bind_int64(db->ins_src, 7, now_ns);
    if (sqlite3_step(db->ins_src) != SQLITE_DONE)
        return sql_err(db, "insert source");
    return 0;
}

/* " AND …" conditions of a filter over indicators i, and their bindings from index 1. */
static void filter_sql(const struct iocdb_filter *f, char *dst, size_t n)
{
    snprintf(dst, n, "%s%s%s%s", f && f->type >= 0 ? " AND i.type = ?1" : "",
             f && f->source ? " AND i.id IN (SELECT ioc FROM ioc_sources WHERE source = ?2)" : "",
             f && f->value ? " AND i.value = ?3" : "", f && f->min_id > 0 ? " AND i.id >= ?4" : "");
}

static void filter_bind(sqlite3_stmt *s, const struct iocdb_filter *f)
{
    if (!f)
        return;
    if (f->type >= 0)
        sqlite3_bind_text(s, 1, ioc_type_name(f->type), -1, SQLITE_STATIC);
    if (f->source)
        sqlite3_bind_text(s, 2, f->source, -1, SQLITE_STATIC);
    if (f->value)
        sqlite3_bind_text(s, 3, f->value, -1, SQLITE_STATIC);
    if (f->min_id > 0)
        sqlite3_bind_int64(s, 4, f->min_id);
}

int iocdb_each(struct iocdb *db, const struct iocdb_filter *f, iocdb_entry_fn cb, void *ctx)
{
    char where[512], sql[1536];
    filter_sql(f, where, sizeof where);
    snprintf(sql, sizeof sql,
             "SELECT i.id, i.type, i.value, i.published_ns, i.valid_until_ns, i.added_ns, i.desc,"
             " (SELECT group_concat(source, ',') FROM (SELECT source FROM ioc_sources"
             "   WHERE ioc = i.id ORDER BY source)),"
             " (SELECT count(*) FROM findings WHERE ioc = i.id)"
             " FROM indicators i WHERE 1%s ORDER BY i.id",
             where);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK)
        return sql_err(db, "list indicators");
    filter_bind(s, f);
    int step, rc = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *tn = (const char *)sqlite3_column_text(s, 1);
        struct iocdb_entry e = {
            .id = sqlite3_column_int64(s, 0),
            .type = tn ? ioc_type_parse(tn) : -1,
            .value = (const char *)sqlite3_column_text(s, 2),
            .published_ns = sqlite3_column_int64(s, 3),
            .valid_until_ns = sqlite3_column_int64(s, 4),
            .added_ns = sqlite3_column_int64(s, 5),
            .desc = (const char *)sqlite3_column_text(s, 6),
            .sources = (const char *)sqlite3_column_text(s, 7),
            .findings = (uint64_t)sqlite3_column_int64(s, 8),
        };
        if (!e.value || e.type < 0)
            continue;
        if (!e.sources)
            e.sources = "";
        if (cb(ctx, &e))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sql_err(db, "list indicators");
    sqlite3_finalize(s);
    return rc;
}

static int exec_filtered(struct iocdb *db, const char *sql, const struct iocdb_filter *f)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK)
        return sql_err(db, "remove");
    filter_bind(s, f);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(db, "remove");
    sqlite3_finalize(s);
    return rc;
}

int iocdb_remove(struct iocdb *db, const struct iocdb_filter *f, uint64_t *removed)
{
    char where[512], sql[1536];
    filter_sql(f, where, sizeof where);
    *removed = 0;
    int rc = exec(db, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    /* the selected indicators' listings: one source's, or all of them */
    snprintf(sql, sizeof sql,
             "DELETE FROM ioc_sources WHERE ioc IN (SELECT i.id FROM indicators i WHERE 1%s)%s",
             where, f && f->source ? " AND source = ?2" : "");
    if (!rc)
        rc = exec_filtered(db, sql, f);
    if (!rc)
        rc = exec(db, "CREATE TEMP TABLE IF NOT EXISTS gone(id INTEGER PRIMARY KEY);"
                      "DELETE FROM gone;"
                      "INSERT INTO gone SELECT id FROM indicators WHERE id NOT IN"
                      " (SELECT ioc FROM ioc_sources);"
                      "DELETE FROM findings WHERE ioc IN (SELECT id FROM gone);"
                      "DELETE FROM indicators WHERE id IN (SELECT id FROM gone);");
    if (!rc)
        *removed = (uint64_t)sqlite3_changes(db->db);
    if (!rc)
        rc = exec(db, "COMMIT");
    else
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/*
 * Of two places, the better one: a certificate's own fields before the chain's (the chain lists
 * the leaf too), then the smaller path name.
 */
#define CHAIN(f) "(" f " LIKE 'tls.server.chain.%')"
#define BETTER                                                                                     \
    "(" CHAIN("excluded.field") " < " CHAIN("field") " OR (" CHAIN("excluded.field") " = " CHAIN(  \
        "field") " AND excluded.field < field))"

static void bind_finding(sqlite3_stmt *s, const struct iocdb_finding *f, int64_t now_ns)
{
    sqlite3_bind_int64(s, 1, f->ioc);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)f->session);
    sqlite3_bind_int64(s, 3, f->piece);
    sqlite3_bind_int(s, 4, f->day);
    sqlite3_bind_text(s, 5, f->field, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, f->observed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, f->first_ns);
    sqlite3_bind_int64(s, 8, f->last_ns);
    sqlite3_bind_int64(s, 9, now_ns);
}

int iocdb_finding_put(struct iocdb *db, const struct iocdb_finding *f, int64_t now_ns, int *is_new)
{
    /*
     * One row per (ioc, session): the earliest sighting gives piece and day, the span grows,
     * and of several places the better one (BETTER, then the smaller observed value) is kept, so
     * the row does not depend on the order matches arrive in (sweep and live agree).  A new pair
     * is one plain insert; only a pair already there takes the merging upsert.
     */
    int rc = prep(db, &db->seen,
                  "INSERT INTO findings(ioc, session, piece, day, field, observed, first_ns,"
                  " last_ns, found_ns, seen_ns) VALUES (?,?,?,?,?,?,?,?,?9,?9)"
                  " ON CONFLICT(ioc, session) DO NOTHING");
    if (rc)
        return rc;
    bind_finding(db->seen, f, now_ns);
    if (sqlite3_step(db->seen) != SQLITE_DONE)
        return sql_err(db, "record finding");
    int fresh = sqlite3_changes(db->db) > 0;
    if (is_new)
        *is_new = fresh;
    if (fresh)
        return 0;
    rc = prep(db, &db->put,
              "INSERT INTO findings(ioc, session, piece, day, field, observed, first_ns,"
              " last_ns, found_ns, seen_ns) VALUES (?,?,?,?,?,?,?,?,?9,?9)"
              " ON CONFLICT(ioc, session) DO UPDATE SET"
              " piece = CASE WHEN excluded.first_ns < first_ns OR (excluded.first_ns ="
              "   first_ns AND excluded.piece < piece) THEN excluded.piece ELSE piece END,"
              " day = CASE WHEN excluded.first_ns < first_ns THEN excluded.day ELSE day END,"
              " field = CASE WHEN " BETTER " THEN excluded.field ELSE field END,"
              " observed = CASE WHEN " BETTER " OR (excluded.field = field AND"
              "   excluded.observed < observed) THEN excluded.observed ELSE observed END,"
              " first_ns = min(first_ns, excluded.first_ns),"
              " last_ns = max(last_ns, excluded.last_ns), seen_ns = excluded.seen_ns");
    if (rc)
        return rc;
    bind_finding(db->put, f, now_ns);
    return sqlite3_step(db->put) == SQLITE_DONE ? 0 : sql_err(db, "record finding");
}

int iocdb_findings_drop_before(struct iocdb *db, int64_t cut_ns, uint64_t *n)
{
    sqlite3_stmt *s;
    *n = 0;
    if (sqlite3_prepare_v2(db->db, "DELETE FROM findings WHERE first_ns < ?1 AND last_ns < ?1", -1,
                           &s, NULL) != SQLITE_OK)
        return sql_err(db, "prune findings");
    sqlite3_bind_int64(s, 1, cut_ns);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(db, "prune findings");
    if (!rc)
        *n = (uint64_t)sqlite3_changes(db->db);
    sqlite3_finalize(s);
    return rc;
}

int iocdb_findings_spanning(struct iocdb *db, int64_t cut_ns, iocdb_span_fn cb, void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT ioc, session, last_ns FROM findings WHERE first_ns < ?"
                           " ORDER BY session, ioc",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_err(db, "prune findings");
    sqlite3_bind_int64(s, 1, cut_ns);
    int step, rc = 0;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = cb(ctx, sqlite3_column_int64(s, 0), (uint64_t)sqlite3_column_int64(s, 1),
                sqlite3_column_int64(s, 2));
    if (!rc && step != SQLITE_DONE)
        rc = sql_err(db, "prune findings");
    sqlite3_finalize(s);
    return rc;
}

int iocdb_finding_move(struct iocdb *db, int64_t ioc, uint64_t session, int64_t piece, int day,
                       int64_t first_ns)
{
    sqlite3_stmt *s;
    const char *sql = piece < 0 ? "DELETE FROM findings WHERE ioc = ?1 AND session = ?2"
                                : "UPDATE findings SET piece = ?3, day = ?4, first_ns = ?5"
                                  " WHERE ioc = ?1 AND session = ?2";
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK)
        return sql_err(db, "prune findings");
    sqlite3_bind_int64(s, 1, ioc);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)session);
    if (piece >= 0) {
        sqlite3_bind_int64(s, 3, piece);
        sqlite3_bind_int(s, 4, day);
        sqlite3_bind_int64(s, 5, first_ns);
    }
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_err(db, "prune findings");
    sqlite3_finalize(s);
    return rc;
}

int iocdb_hits_each(struct iocdb *db, const struct iocdb_hit_filter *f, iocdb_hit_fn cb, void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(
            db->db,
            "SELECT f.ioc, f.session, f.piece, f.day, f.field, f.observed, f.first_ns, f.last_ns,"
            " i.type, i.value, (SELECT group_concat(source, ',') FROM (SELECT source FROM"
            "   ioc_sources WHERE ioc = i.id ORDER BY source)), i.published_ns, f.found_ns"
            " FROM findings f JOIN indicators i ON i.id = f.ioc"
            " WHERE f.last_ns >= ?1 AND f.first_ns <= ?2 AND f.ioc >= ?4"
            " AND (?3 IS NULL OR f.ioc IN (SELECT ioc FROM ioc_sources WHERE source = ?3))"
            " ORDER BY f.first_ns, f.session, f.ioc",
            -1, &s, NULL) != SQLITE_OK)
        return sql_err(db, "list findings");
    sqlite3_bind_int64(s, 1, f ? f->since_ns : INT64_MIN);
    sqlite3_bind_int64(s, 2, f ? f->until_ns : INT64_MAX);
    bind_opt_text(s, 3, f ? f->source : NULL);
    sqlite3_bind_int64(s, 4, f ? f->min_ioc : 0);
    int step, rc = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *tn = (const char *)sqlite3_column_text(s, 8);
        struct iocdb_hit h = {
            .f = {sqlite3_column_int64(s, 0), (uint64_t)sqlite3_column_int64(s, 1),
                  (uint32_t)sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3),
                  (const char *)sqlite3_column_text(s, 4), (const char *)sqlite3_column_text(s, 5),
                  sqlite3_column_int64(s, 6), sqlite3_column_int64(s, 7)},
            .type = tn ? ioc_type_parse(tn) : -1,
            .value = (const char *)sqlite3_column_text(s, 9),
            .sources = (const char *)sqlite3_column_text(s, 10),
            .published_ns = sqlite3_column_int64(s, 11),
            .found_ns = sqlite3_column_int64(s, 12),
        };
        if (!h.f.field || !h.f.observed || !h.value || h.type < 0)
            continue;
        if (!h.sources)
            h.sources = "";
        if (cb(ctx, &h))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sql_err(db, "list findings");
    sqlite3_finalize(s);
    return rc;
}

int iocdb_stats(struct iocdb *db, iocdb_stat_fn cb, void *ctx)
{
    static const struct {
        const char *what, *sql;
    } q[] = {
        {"source", "SELECT s.source, count(*), (SELECT count(*) FROM findings f WHERE f.ioc IN"
                   " (SELECT ioc FROM ioc_sources WHERE source = s.source))"
                   " FROM ioc_sources s GROUP BY s.source ORDER BY s.source"},
        {"type", "SELECT i.type, count(*), (SELECT count(*) FROM findings f JOIN indicators j"
                 " ON j.id = f.ioc WHERE j.type = i.type) FROM indicators i GROUP BY i.type"
                 " ORDER BY i.type"},
        {"total", "SELECT 'all', (SELECT count(*) FROM indicators),"
                  " (SELECT count(*) FROM findings)"},
    };
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db->db, q[k].sql, -1, &s, NULL) != SQLITE_OK)
            return sql_err(db, "stats");
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *key = (const char *)sqlite3_column_text(s, 0);
            cb(ctx, q[k].what, key ? key : "", (uint64_t)sqlite3_column_int64(s, 1),
               (uint64_t)sqlite3_column_int64(s, 2));
        }
        sqlite3_finalize(s);
    }
    return 0;
}

int iocdb_summary(struct iocdb *db, int64_t seen_ns, struct iocdb_summary *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT count(*), count(DISTINCT session), count(DISTINCT ioc),"
                           " coalesce(min(first_ns), 0), coalesce(max(last_ns), 0)"
                           " FROM findings WHERE seen_ns = ?",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_err(db, "summary");
    sqlite3_bind_int64(s, 1, seen_ns);
    int rc = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->findings = (uint64_t)sqlite3_column_int64(s, 0);
        out->sessions = (uint64_t)sqlite3_column_int64(s, 1);
        out->indicators = (uint64_t)sqlite3_column_int64(s, 2);
        out->first_ns = sqlite3_column_int64(s, 3);
        out->last_ns = sqlite3_column_int64(s, 4);
    } else {
        rc = sql_err(db, "summary");
    }
    sqlite3_finalize(s);
    return rc;
}

int64_t iocdb_max_id(struct iocdb *db)
{
    sqlite3_stmt *s;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db->db, "SELECT coalesce(max(id), 0) FROM indicators", -1, &s, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    return v;
}
