/*
 * meta.c — session metadata in SQLite, one file per UTC day (a partition).
 *
 * A session goes to the partition of the day its piece starts.  The catalog's
 * `partitions` table keeps each day's earliest start and latest end, so a query
 * opens only the days whose [min, max] overlaps its time range; retention
 * (retain.c) removes a whole day by deleting one file.
 */
#include "store/store_int.h"

#include "core/addr.h"
#include "core/err.h"
#include "proto/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const table_sql =
    "CREATE TABLE IF NOT EXISTS sessions("
    " id INTEGER NOT NULL, piece INTEGER NOT NULL, last_piece INTEGER NOT NULL,"
    " first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
    " ipver INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " src_ip BLOB NOT NULL, dst_ip BLOB NOT NULL,"
    " src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL, vlan INTEGER, vlan2 INTEGER,"
    " src_pkts INTEGER NOT NULL, dst_pkts INTEGER NOT NULL,"
    " src_bytes INTEGER NOT NULL, dst_bytes INTEGER NOT NULL,"
    " src_payload INTEGER NOT NULL, dst_payload INTEGER NOT NULL,"
    " tcp_flags INTEGER, tcp_history TEXT, tcp_state TEXT, end_reason TEXT NOT NULL,"
    " community_id TEXT NOT NULL, ingest_id INTEGER NOT NULL, pos BLOB NOT NULL, app TEXT);"
    /*
     * Protocol records (proto/proto.h) of each session piece, as JSON, and every value in
     * them under its full path for lookups.  `fields` may hold a row twice after a resumed
     * run wrote a piece again; lookups ask "is there a row", so that changes no answer.
     */
    "CREATE TABLE IF NOT EXISTS records("
    " id INTEGER NOT NULL, piece INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,"
    " json TEXT NOT NULL, PRIMARY KEY(id, piece, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS paths(pid INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS fields(pid INTEGER NOT NULL, value NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY(pid, value, id)) WITHOUT ROWID;";

/*
 * (id, piece) is unique: INSERT OR REPLACE relies on it when a resumed run
 * writes rows again.  A run writes each (id, piece) once, so a day file the run
 * creates gets this index with the others when the run completes; a day file
 * that already exists (a resumed run's included) has it before the first insert.
 */
static const char *const unique_sql =
    "CREATE UNIQUE INDEX IF NOT EXISTS sessions_id ON sessions(id, piece);";

/*
 * The lookup indexes.  A day file that a run creates gets them when the run
 * completes: building an index from sorted data once costs a fraction of
 * maintaining it row by row, and ingest is the hot path.  Until then queries on
 * that day still give the right answer, by scanning.
 */
static const char *const index_sql =
    "CREATE INDEX IF NOT EXISTS sessions_first ON sessions(first_ns);"
    "CREATE INDEX IF NOT EXISTS sessions_src ON sessions(src_ip);"
    "CREATE INDEX IF NOT EXISTS sessions_dst ON sessions(dst_ip);"
    "CREATE INDEX IF NOT EXISTS sessions_dport ON sessions(dst_port);"
    "CREATE INDEX IF NOT EXISTS sessions_cid ON sessions(community_id);"
    "CREATE INDEX IF NOT EXISTS sessions_app ON sessions(app);";

/*
 * At most this many `fields` rows (32 bytes each: 2 MiB) wait for a partition's flush; a writer
 * batch of the bench mix leaves ~20,000.
 */
#define PEND_MAX ((size_t)1 << 16)
#define FIELD_ROWS 32

static const char *const end_names[FLOW_END__COUNT] = {"active", "fin", "rst",
                                                       "idle",   "eof", "evicted"};

const char *store_meta_schema(void)
{
    return table_sql;
}

int day_of_ns(int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000 - (ns < 0 && ns % 1000000000 ? 1 : 0));
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 19700101;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int table_exists(sqlite3 *db)
{
    sqlite3_stmt *s;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name='sessions'", -1, &s, NULL) ==
        SQLITE_OK) {
        found = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    return found;
}

int meta_open_day(struct store *st, int day, int readonly, sqlite3 **out)
{
    return meta_open_day_ex(st, day, readonly, out, NULL);
}

/* A day file from before protocol records lacks sessions.app; 1 when it does. */
static int lacks_app(sqlite3 *db)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT app FROM sessions LIMIT 0", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_finalize(s);
        return 0;
    }
    return table_exists(db);
}

int meta_open_day_ex(struct store *st, int day, int readonly, sqlite3 **out, int *created)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/meta/%08d.db", st->dir, day);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = store_set_err(st, KS_ESQL, "open %s: %s", path,
                               db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    if (!readonly) {
        chmod(path, 0600);
        int fresh = !table_exists(db);
        /*
         * Both settable only before the first table exists (page_size first).  16 KiB pages:
         * a `records` row (a TLS record's JSON is up to ~1.3 KB) stays on its leaf page
         * instead of spilling its tail onto an overflow page of its own (a WITHOUT ROWID row
         * over ~1 KB does with 4 KiB pages), and the B-trees are shallower: the day file of
         * the 1 GB bench mix is 63 MB instead of 75 MB.  Day files written before keep their
         * 4 KiB pages.  Incremental auto-vacuum lets retention give back the pages of the
         * sessions it deletes from the day the cut falls in, without rewriting the whole
         * file (retain.c).
         */
        if ((!fresh && lacks_app(db) &&
             store_exec(st, db, "ALTER TABLE sessions ADD COLUMN app TEXT")) ||
            (fresh &&
             store_exec(st, db, "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL;")) ||
            store_exec(st, db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536;") ||
            store_exec(st, db,
                       st->durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") ||
            store_exec(st, db, table_sql) ||
            (!fresh && (store_exec(st, db, unique_sql) || store_exec(st, db, index_sql)))) {
            sqlite3_close(db);
            return KS_ESQL;
        }
        if (created)
            *created = fresh;
    } else if (lacks_app(db)) {
        /* written by an older konseki: upgrade it once (new column and tables), then read */
        sqlite3_close(db);
        int rc = meta_open_day_ex(st, day, 0, &db, NULL);
        if (rc)
            return rc;
        sqlite3_close(db);
        return meta_open_day_ex(st, day, 1, out, created);
    }
    *out = db;
    return 0;
}

static int part_close(struct store *st, struct partition *p, int commit)
{
    int rc = 0;
    if (p->in_txn)
        rc = store_exec(st, p->db, commit ? "COMMIT" : "ROLLBACK");
    p->in_txn = 0;
    sqlite3_finalize(p->ins);
    sqlite3_finalize(p->ins_rec);
    sqlite3_finalize(p->ins_field);
    sqlite3_finalize(p->ins_fields);
    sqlite3_finalize(p->ins_path);
    sqlite3_finalize(p->get_path);
    for (size_t i = 0; i < p->paths_alloc; i++)
        free(p->paths[i].path);
    free(p->paths);
    p->paths = NULL;
    p->npaths = p->paths_alloc = 0;
    p->ins_path = p->get_path = NULL;
    free(p->pend);
    p->pend = NULL;
    p->npend = p->pend_alloc = 0;
    sqlite3_close(p->db);
    p->ins = NULL;
    p->ins_rec = NULL;
    p->ins_field = p->ins_fields = NULL;
    p->db = NULL;
    return rc;
}

static int part_record(struct store *st, const struct partition *p)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "INSERT INTO partitions(day, min_ns, max_ns) VALUES (?, ?, ?) "
                           "ON CONFLICT(day) DO UPDATE SET min_ns=min(min_ns, excluded.min_ns), "
                           "max_ns=max(max_ns, excluded.max_ns)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "record partition");
    sqlite3_bind_int(s, 1, p->day);
    sqlite3_bind_int64(s, 2, p->min_ns);
    sqlite3_bind_int64(s, 3, p->max_ns);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "record partition");
    sqlite3_finalize(s);
    return rc;
}

/* The writer thread may not touch the catalog: the span waits for the next checkpoint. */
static int span_defer(struct store *st, const struct partition *p)
{
    if (p->min_ns > p->max_ns)
        return 0;
    for (size_t i = 0; i < st->nspans; i++) {
        struct part_span *s = &st->spans[i];
        if (s->day == p->day) {
            s->min_ns = p->min_ns < s->min_ns ? p->min_ns : s->min_ns;
            s->max_ns = p->max_ns > s->max_ns ? p->max_ns : s->max_ns;
            return 0;
        }
    }
    if (st->nspans == st->spans_alloc) {
        size_t na = st->spans_alloc ? st->spans_alloc * 2 : 16;
        struct part_span *n = realloc(st->spans, na * sizeof *n);
        if (!n)
            return KS_ENOMEM;
        st->spans = n;
        st->spans_alloc = na;
    }
    st->spans[st->nspans++] = (struct part_span){p->day, p->min_ns, p->max_ns};
    return 0;
}

/* A value's first 8 bytes, big-endian and zero-padded: compares as strcmp does on them. */
static uint64_t value_prefix(const char *v)
{
    uint64_t k = 0;
    for (int i = 0; i < 8 && v[i]; i++)
        k |= (uint64_t)(uint8_t)v[i] << (56 - 8 * i);
    return k;
}

/*
 * qsort order of pending `fields` rows: the table's primary key (pid, value, id), except that
 * values sharing their first 8 bytes (one DNS name in many sessions …) go by id before the rest
 * of the value, so that a comparison rarely reads the strings.  Still a total order in which
 * equal rows are neighbours, and close enough to the key's for the inserts' locality.
 */
static int cmp_pend(const void *a, const void *b)
{
    const struct pend_field *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    /* equal prefixes: both values end inside them, or both go on past 8 bytes */
    return (x->prefix & 0xff) ? strcmp(x->value + 8, y->value + 8) : 0;
}

/*
 * Insert the partition's pending `fields` rows nearly in key order, each distinct row once (the
 * same name in every answer of a DNS record, a value in several records of a session): each
 * insert lands near the one before, on B-tree pages already in the cache.
 */
static int part_flush(struct store *st, struct partition *p)
{
    if (!p->npend)
        return 0;
    qsort(p->pend, p->npend, sizeof *p->pend, cmp_pend);
    size_t n = 0;
    for (size_t i = 0; i < p->npend; i++)
        if (!n || cmp_pend(&p->pend[n - 1], &p->pend[i]) != 0)
            p->pend[n++] = p->pend[i];
    p->npend = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < n;) {
        /* FIELD_ROWS rows a step while there are as many, then one */
        sqlite3_stmt *q = n - i >= FIELD_ROWS ? p->ins_fields : p->ins_field;
        int rows = q == p->ins_fields ? FIELD_ROWS : 1;
        for (int k = 0; k < rows; k++, i++) {
            /* as text, whatever its kind: numeric fields compare through CAST (query/fields.c) */
            sqlite3_bind_int64(q, 3 * k + 1, p->pend[i].pid);
            sqlite3_bind_text(q, 3 * k + 2, p->pend[i].value, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 3 * k + 3, (sqlite3_int64)p->pend[i].id);
        }
        rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_sql_err(st, p->db, "insert field");
        sqlite3_reset(q);
    }
    return rc;
}

/*
 * Insert what the writer's batch left pending in every open partition, before the batch is
 * cleared; after an error the rest is dropped (nothing may point into a cleared batch).
 */
int meta_flush(struct store *st, int failed)
{
    int rc = 0;
    for (size_t i = 0; i < st->nparts; i++) {
        if (!failed && !rc)
            rc = part_flush(st, &st->parts[i]);
        st->parts[i].npend = 0;
    }
    return rc;
}

/* A `fields` row to insert at the next flush; a full run is flushed first (bounded memory). */
static int part_pend(struct store *st, struct partition *p, int64_t pid, const char *value,
                     uint64_t id)
{
    if (p->npend == p->pend_alloc) {
        int rc;
        if (p->pend_alloc >= PEND_MAX && (rc = part_flush(st, p)))
            return rc;
        if (p->npend == p->pend_alloc) {
            size_t na = p->pend_alloc ? p->pend_alloc * 2 : 4096;
            struct pend_field *n = realloc(p->pend, na * sizeof *n);
            if (!n)
                return KS_ENOMEM;
            p->pend = n;
            p->pend_alloc = na;
        }
    }
    p->pend[p->npend++] = (struct pend_field){pid, value_prefix(value), value, id};
    return 0;
}

/* The lookup indexes of a day file this run created, once its rows are in. */
static int part_index(struct store *st, struct partition *p)
{
    if (!p->deferred)
        return 0;
    int rc = store_exec(st, p->db, unique_sql);
    if (!rc)
        rc = store_exec(st, p->db, index_sql);
    if (!rc)
        p->deferred = 0;
    return rc;
}

/* INSERT of FIELD_ROWS `fields` rows in one step (the per-statement cost paid once). */
static int prepare_fields(sqlite3 *db, sqlite3_stmt **out)
{
    char sql[64 + 10 * FIELD_ROWS];
    int n = snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO fields VALUES (?,?,?)");
    for (int i = 1; i < FIELD_ROWS; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ",(?,?,?)");
    return sqlite3_prepare_v2(db, sql, n, out, NULL);
}

static int part_get(struct store *st, int day, struct partition **out)
{
    struct partition *lru = NULL;
    for (size_t i = 0; i < st->nparts; i++) {
        struct partition *p = &st->parts[i];
        if (p->day == day) {
            p->last_use = ++st->use_clock;
            *out = p;
            return 0;
        }
        if (!lru || p->last_use < lru->last_use)
            lru = p;
    }
    struct partition *p;
    if (st->nparts < PART_MAX_OPEN) {
        p = &st->parts[st->nparts++];
    } else {
        /*
         * Committing a partition ahead of the checkpoint is safe: its sessions are
         * keyed by (id, piece), so a replay after a crash rewrites the same rows.
         */
        int rc = span_defer(st, lru);
        if (!rc)
            rc = part_flush(st, lru);
        if (!rc)
            rc = part_index(st, lru);
        if (!rc && lru->in_txn) {
            rc = store_exec(st, lru->db, "COMMIT");
            lru->in_txn = 0;
        }
        if (!rc)
            rc = part_close(st, lru, 1);
        if (rc)
            return rc;
        p = lru;
    }
    memset(p, 0, sizeof *p);
    p->day = day;
    p->min_ns = INT64_MAX;
    p->max_ns = INT64_MIN;
    p->last_use = ++st->use_clock;
    int rc = meta_open_day_ex(st, day, 0, &p->db, &p->deferred);
    if (!rc &&
        (sqlite3_prepare_v2(p->db,
                            "INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,"
                            "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            -1, &p->ins, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(p->db, "INSERT OR REPLACE INTO records VALUES (?,?,?,?,?)", -1,
                            &p->ins_rec, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(p->db, "INSERT OR IGNORE INTO paths(path) VALUES (?)", -1, &p->ins_path,
                            NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(p->db, "SELECT pid FROM paths WHERE path = ?", -1, &p->get_path,
                            NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(p->db, "INSERT OR IGNORE INTO fields VALUES (?,?,?)", -1, &p->ins_field,
                            NULL) != SQLITE_OK ||
         prepare_fields(p->db, &p->ins_fields) != SQLITE_OK))
        rc = store_sql_err(st, p->db, "prepare insert");
    if (rc) {
        sqlite3_finalize(p->ins);
        sqlite3_finalize(p->ins_rec);
        sqlite3_finalize(p->ins_field);
        sqlite3_finalize(p->ins_fields);
        sqlite3_finalize(p->ins_path);
        sqlite3_finalize(p->get_path);
        sqlite3_close(p->db);
        st->nparts--;
        if (p != &st->parts[st->nparts])
            *p = st->parts[st->nparts];
        return rc;
    }
    *out = p;
    return 0;
}

/* A hash of a path (n bytes) for the partition's path cache, 8 bytes a step. */
static uint32_t path_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xff51afd7ed558ccdu;
    return (uint32_t)(h ^ h >> 32);
}

/*
 * The day file's number for a path (paths table), or -1 for a path that is not indexed
 * (query_path_indexed; such paths get no row).  Paths are few (a few hundred at most), so the
 * cache is an open-addressing table that only grows; a miss decides once per day file.
 */
static int path_id(struct store *st, struct partition *p, const char *path, int64_t *out)
{
    size_t len = strlen(path);
    uint32_t h = path_hash(path, len);
    if (p->paths_alloc) {
        for (size_t i = h & (p->paths_alloc - 1);; i = (i + 1) & (p->paths_alloc - 1)) {
            struct path_ent *e = &p->paths[i];
            if (!e->path)
                break;
            if (e->hash == h && strcmp(e->path, path) == 0) {
                *out = e->pid;
                return 0;
            }
        }
    }
    int rc = 0;
    int64_t pid = -1;
    if (query_path_indexed(path)) {
        sqlite3_bind_text(p->ins_path, 1, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(p->ins_path) == SQLITE_DONE ? 0 : store_sql_err(st, p->db, "add path");
        sqlite3_reset(p->ins_path);
        if (rc)
            return rc;
        sqlite3_bind_text(p->get_path, 1, path, -1, SQLITE_STATIC);
        if (sqlite3_step(p->get_path) != SQLITE_ROW)
            rc = store_sql_err(st, p->db, "find path");
        pid = sqlite3_column_int64(p->get_path, 0);
        sqlite3_reset(p->get_path);
        if (rc)
            return rc;
    }
    if ((p->npaths + 1) * 2 > p->paths_alloc) { /* keep it at most half full */
        size_t na = p->paths_alloc ? p->paths_alloc * 2 : 256;
        struct path_ent *n = calloc(na, sizeof *n);
        if (!n)
            return KS_ENOMEM;
        for (size_t i = 0; i < p->paths_alloc; i++) {
            struct path_ent *e = &p->paths[i];
            if (!e->path)
                continue;
            size_t j = e->hash & (na - 1);
            while (n[j].path)
                j = (j + 1) & (na - 1);
            n[j] = *e;
        }
        free(p->paths);
        p->paths = n;
        p->paths_alloc = na;
    }
    char *copy = strdup(path);
    if (!copy)
        return KS_ENOMEM;
    size_t j = h & (p->paths_alloc - 1);
    while (p->paths[j].path)
        j = (j + 1) & (p->paths_alloc - 1);
    p->paths[j] = (struct path_ent){copy, pid, h};
    p->npaths++;
    *out = pid;
    return 0;
}

/* Record k of the piece s: its JSON and each of its values. */
static int meta_add_record(struct store *st, struct partition *p, const struct session_rec *s,
                           size_t k)
{
    const struct proto_rec *r = &s->recs[k];
    sqlite3_stmt *q = p->ins_rec;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)s->id);
    sqlite3_bind_int64(q, 2, s->piece);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)k);
    sqlite3_bind_text(q, 4, r->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, r->json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_sql_err(st, p->db, "insert record");
    sqlite3_reset(q);
    for (size_t j = 0; !rc && j < r->nvals; j++) {
        const struct proto_val *v = &r->vals[j];
        int64_t pid;
        if (!(rc = path_id(st, p, v->path, &pid)) && pid >= 0)
            rc = part_pend(st, p, pid, v->text, s->id);
    }
    return rc;
}

int meta_add(struct store *st, int64_t ingest_id, const struct session_rec *s)
{
    struct partition *p;
    int rc = part_get(st, day_of_ns(s->first_ns), &p);
    if (rc)
        return rc;
    if (!p->in_txn) {
        if ((rc = store_exec(st, p->db, "BEGIN")))
            return rc;
        p->in_txn = 1;
    }
    uint8_t src[16], dst[16];
    addr_to16(s->ipver, s->src, src);
    addr_to16(s->ipver, s->dst, dst);
    /* Every bound value outlives the step below: bind without copies. */
    sqlite3_stmt *q = p->ins;
    int i = 1;
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->id);
    sqlite3_bind_int64(q, i++, s->piece);
    sqlite3_bind_int(q, i++, s->last_piece);
    sqlite3_bind_int64(q, i++, s->first_ns);
    sqlite3_bind_int64(q, i++, s->last_ns);
    sqlite3_bind_int(q, i++, s->ipver);
    sqlite3_bind_int(q, i++, s->proto);
    sqlite3_bind_blob(q, i++, src, 16, SQLITE_STATIC);
    sqlite3_bind_blob(q, i++, dst, 16, SQLITE_STATIC);
    sqlite3_bind_int(q, i++, s->sport);
    sqlite3_bind_int(q, i++, s->dport);
    if (s->nvlan >= 1)
        sqlite3_bind_int(q, i++, s->vlan[0]);
    else
        sqlite3_bind_null(q, i++);
    if (s->nvlan >= 2)
        sqlite3_bind_int(q, i++, s->vlan[1]);
    else
        sqlite3_bind_null(q, i++);
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->pkts[0]);
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->pkts[1]);
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->bytes[0]);
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->bytes[1]);
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->payload[0]);
    sqlite3_bind_int64(q, i++, (sqlite3_int64)s->payload[1]);
    if (s->proto == 6) {
        sqlite3_bind_int(q, i++, s->tcp_flags[0] | s->tcp_flags[1]);
        sqlite3_bind_text(q, i++, s->history, -1, SQLITE_STATIC);
        if (s->state)
            sqlite3_bind_text(q, i++, s->state, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, i++);
    } else {
        sqlite3_bind_null(q, i++);
        sqlite3_bind_null(q, i++);
        sqlite3_bind_null(q, i++);
    }
    sqlite3_bind_text(q, i++, s->end >= 0 && s->end < FLOW_END__COUNT ? end_names[s->end] : "?", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(q, i++, s->community_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, i++, ingest_id);
    sqlite3_bind_blob(q, i++, s->pos_len ? (const void *)s->pos : "", (int)s->pos_len,
                      SQLITE_STATIC);
    if (s->app_name)
        sqlite3_bind_text(q, i++, s->app_name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i++);
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_sql_err(st, p->db, "insert session");
    sqlite3_reset(q);
    for (size_t k = 0; !rc && k < s->nrecs; k++)
        rc = meta_add_record(st, p, s, k);
    if (s->first_ns < p->min_ns)
        p->min_ns = s->first_ns;
    if (s->last_ns > p->max_ns)
        p->max_ns = s->last_ns;
    return rc;
}

/* Commit every open partition. */
int meta_commit_all(struct store *st)
{
    for (size_t i = 0; i < st->nparts; i++) {
        struct partition *p = &st->parts[i];
        if (!p->in_txn)
            continue;
        int rc = store_exec(st, p->db, "COMMIT");
        if (rc)
            return rc;
        p->in_txn = 0;
    }
    return 0;
}

/*
 * Build the lookup indexes of the day files this run created (at the end of a run), inside
 * their open transactions: the COMMIT that follows writes the index pages to the WAL with the
 * rest, instead of one commit (and WAL checkpoint) per CREATE INDEX.
 */
int meta_build_indexes(struct store *st)
{
    for (size_t i = 0; i < st->nparts; i++) {
        int rc = part_index(st, &st->parts[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Record each open partition's time span (inside the checkpoint's catalog transaction). */
int meta_record_all(struct store *st)
{
    for (size_t i = 0; i < st->nspans; i++) {
        struct partition p = {
            .day = st->spans[i].day, .min_ns = st->spans[i].min_ns, .max_ns = st->spans[i].max_ns};
        int rc = part_record(st, &p);
        if (rc)
            return rc;
    }
    st->nspans = 0;
    for (size_t i = 0; i < st->nparts; i++) {
        if (st->parts[i].min_ns > st->parts[i].max_ns)
            continue;
        int rc = part_record(st, &st->parts[i]);
        if (rc)
            return rc;
    }
    return 0;
}

void meta_close_all(struct store *st)
{
    for (size_t i = 0; i < st->nparts; i++)
        part_close(st, &st->parts[i], 0);
    st->nparts = 0;
}

/* ---------------------------------------------------------------- queries */

#define ROW_COLS                                                                                   \
    "id, piece, last_piece, first_ns, last_ns, ipver, proto, src_ip, dst_ip, src_port, "           \
    "dst_port, vlan, vlan2, src_pkts, dst_pkts, src_bytes, dst_bytes, src_payload, "               \
    "dst_payload, tcp_flags, tcp_history, tcp_state, end_reason, community_id, ingest_id, app"

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

static int row_read(sqlite3_stmt *s, struct session_row *r, int want_pos)
{
    memset(r, 0, sizeof *r);
    int i = 0;
    r->id = (uint64_t)sqlite3_column_int64(s, i++);
    r->piece = (uint32_t)sqlite3_column_int64(s, i++);
    r->last_piece = sqlite3_column_int(s, i++);
    r->first_ns = sqlite3_column_int64(s, i++);
    r->last_ns = sqlite3_column_int64(s, i++);
    r->ipver = sqlite3_column_int(s, i++);
    r->proto = sqlite3_column_int(s, i++);
    for (int k = 0; k < 2; k++, i++) {
        const void *b = sqlite3_column_blob(s, i);
        if (b && sqlite3_column_bytes(s, i) == 16)
            memcpy(k ? r->dst : r->src, b, 16);
    }
    r->sport = sqlite3_column_int(s, i++);
    r->dport = sqlite3_column_int(s, i++);
    r->vlan = sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i);
    i++;
    r->vlan2 = sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i);
    i++;
    r->pkts[0] = (uint64_t)sqlite3_column_int64(s, i++);
    r->pkts[1] = (uint64_t)sqlite3_column_int64(s, i++);
    r->bytes[0] = (uint64_t)sqlite3_column_int64(s, i++);
    r->bytes[1] = (uint64_t)sqlite3_column_int64(s, i++);
    r->payload[0] = (uint64_t)sqlite3_column_int64(s, i++);
    r->payload[1] = (uint64_t)sqlite3_column_int64(s, i++);
    r->tcp_flags = sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i);
    i++;
    copy_text(r->history, sizeof r->history, sqlite3_column_text(s, i++));
    copy_text(r->state, sizeof r->state, sqlite3_column_text(s, i++));
    copy_text(r->end_reason, sizeof r->end_reason, sqlite3_column_text(s, i++));
    copy_text(r->community_id, sizeof r->community_id, sqlite3_column_text(s, i++));
    r->ingest_id = sqlite3_column_int64(s, i++);
    copy_text(r->app, sizeof r->app, sqlite3_column_text(s, i++));
    if (want_pos) {
        int n = sqlite3_column_bytes(s, i);
        const void *b = sqlite3_column_blob(s, i);
        if (n > 0 && b) {
            r->pos = malloc((size_t)n);
            if (!r->pos)
                return KS_ENOMEM;
            memcpy(r->pos, b, (size_t)n);
            r->pos_len = (size_t)n;
        }
    }
    return 0;
}

/* The piece's records as one JSON array into r->records (NULL when it has none). */
static int row_records(struct store *st, sqlite3_stmt *rs, struct session_row *r)
{
    sqlite3_bind_int64(rs, 1, (sqlite3_int64)r->id);
    sqlite3_bind_int64(rs, 2, r->piece);
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    int rc = 0, step;
    while ((step = sqlite3_step(rs)) == SQLITE_ROW) {
        const unsigned char *j = sqlite3_column_text(rs, 0);
        if (!j)
            continue;
        if ((rc = buf_putc(&b, b.len ? ',' : '[')) ||
            (rc = buf_append(&b, j, (size_t)sqlite3_column_bytes(rs, 0))))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = store_sql_err(st, sqlite3_db_handle(rs), "read records");
    sqlite3_reset(rs);
    if (!rc && b.len && !(rc = buf_putc(&b, ']')) && !(rc = buf_putc(&b, 0))) {
        r->records = (char *)b.data;
        return 0;
    }
    buf_release(&b);
    return rc;
}

static void session_row_release(struct session_row *r)
{
    free(r->records);
    r->records = NULL;
    free(r->pos);
    r->pos = NULL;
    r->pos_len = 0;
}

static const char *order_sql(int sort)
{
    switch (sort) {
    case SORT_TIME_DESC:
        return " ORDER BY first_ns DESC, id DESC, piece DESC";
    case SORT_BYTES_DESC:
        return " ORDER BY src_bytes + dst_bytes DESC, first_ns, id, piece";
    case SORT_PACKETS_DESC:
        return " ORDER BY src_pkts + dst_pkts DESC, first_ns, id, piece";
    case SORT_DURATION_DESC:
        return " ORDER BY last_ns - first_ns DESC, first_ns, id, piece";
    }
    return " ORDER BY first_ns, id, piece";
}

static int64_t sort_key(int sort, const struct session_row *r)
{
    switch (sort) {
    case SORT_BYTES_DESC:
        return (int64_t)(r->bytes[0] + r->bytes[1]);
    case SORT_PACKETS_DESC:
        return (int64_t)(r->pkts[0] + r->pkts[1]);
    case SORT_DURATION_DESC:
        return r->last_ns - r->first_ns;
    }
    return 0;
}

static int g_sort; /* qsort has no context argument; queries run one at a time */

static int cmp_rows(const void *a, const void *b)
{
    const struct session_row *x = a, *y = b;
    int64_t kx = sort_key(g_sort, x), ky = sort_key(g_sort, y);
    if (kx != ky)
        return kx > ky ? -1 : 1;
    if (x->first_ns != y->first_ns)
        return x->first_ns < y->first_ns ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->piece < y->piece ? -1 : x->piece > y->piece;
}

/*
 * The IOC store (STORE/ioc.db) attached to a day file's connection, for queries on IOC findings
 * (query.h); without one, empty TEMP tables of the names they read.
 */
static int attach_ioc(struct store *st, sqlite3 *db)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/ioc.db", st->dir);
    if (access(path, F_OK) != 0)
        return store_exec(st, db, query_ioc_schema());
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS iocdb", -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, db, "attach ioc.db");
    sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, db, "attach ioc.db");
    sqlite3_finalize(s);
    return rc;
}

int store_query_run(struct store *st, const struct store_query *q, store_row_fn cb, void *ctx,
                    unsigned *partitions_opened)
{
    int rc = 0;
    unsigned opened = 0;
    struct buf sql;
    buf_init(&sql, 1 << 24);
    const struct qparam *params = NULL;
    size_t nparams = 0;
    buf_printf(&sql, "SELECT " ROW_COLS "%s FROM sessions WHERE last_ns >= ? AND first_ns <= ?",
               q->want_pos ? ", pos" : "");
    if (q->expr) {
        buf_printf(&sql, " AND ");
        if ((rc = query_compile_sqlite(q->expr, &sql, &params, &nparams)))
            goto out_sql;
    }
    buf_printf(&sql, "%s", order_sql(q->sort));
    if (q->limit)
        buf_printf(&sql, " LIMIT %llu", (unsigned long long)q->limit);
    const char *sqltext = buf_cstr(&sql);

    /* The days whose sessions overlap the range, in the order the sort needs. */
    int days_cap = 0, ndays = 0, *days = NULL;
    sqlite3_stmt *ds;
    if (sqlite3_prepare_v2(st->cat,
                           q->sort == SORT_TIME_DESC
                               ? "SELECT day FROM partitions WHERE max_ns >= ? AND min_ns <= ? "
                                 "ORDER BY day DESC"
                               : "SELECT day FROM partitions WHERE max_ns >= ? AND min_ns <= ? "
                                 "ORDER BY day",
                           -1, &ds, NULL) != SQLITE_OK) {
        rc = store_sql_err(st, st->cat, "list partitions");
        goto out_sql;
    }
    sqlite3_bind_int64(ds, 1, q->since_ns);
    sqlite3_bind_int64(ds, 2, q->until_ns);
    while (sqlite3_step(ds) == SQLITE_ROW) {
        if (ndays == days_cap) {
            days_cap = days_cap ? days_cap * 2 : 64;
            int *n = realloc(days, sizeof *days * (size_t)days_cap);
            if (!n) {
                rc = KS_ENOMEM;
                break;
            }
            days = n;
        }
        days[ndays++] = sqlite3_column_int(ds, 0);
    }
    sqlite3_finalize(ds);

    int streaming = q->sort == SORT_TIME || q->sort == SORT_TIME_DESC;
    struct session_row *rows = NULL;
    size_t nrows = 0, rows_cap = 0;
    uint64_t emitted = 0;
    int stop = 0;
    for (int d = 0; !rc && !stop && d < ndays; d++) {
        sqlite3 *db;
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/meta/%08d.db", st->dir, days[d]);
        if (access(path, F_OK) != 0)
            continue; /* dropped by retention between listing and now */
        if ((rc = meta_open_day(st, days[d], 1, &db)))
            break;
        opened++;
        if (query_sqlite_register(db) != 0) {
            rc = store_sql_err(st, db, "register query functions");
            sqlite3_close(db);
            break;
        }
        if (q->expr && query_uses_ioc(q->expr) && (rc = attach_ioc(st, db))) {
            sqlite3_close(db);
            break;
        }
        sqlite3_stmt *s, *rs = NULL;
        if (sqlite3_prepare_v2(db, sqltext, -1, &s, NULL) != SQLITE_OK) {
            rc = store_sql_err(st, db, "prepare query");
            sqlite3_close(db);
            break;
        }
        if (q->want_records &&
            sqlite3_prepare_v2(db,
                               "SELECT json FROM records WHERE id = ? AND piece = ? ORDER BY seq",
                               -1, &rs, NULL) != SQLITE_OK) {
            rc = store_sql_err(st, db, "prepare records");
            sqlite3_finalize(s);
            sqlite3_close(db);
            break;
        }
        sqlite3_bind_int64(s, 1, q->since_ns);
        sqlite3_bind_int64(s, 2, q->until_ns);
        if (query_sqlite_bind(s, 3, params, nparams) != SQLITE_OK) {
            rc = store_sql_err(st, db, "bind query");
            sqlite3_finalize(s);
            sqlite3_close(db);
            break;
        }
        int step;
        while (!stop && (step = sqlite3_step(s)) == SQLITE_ROW) {
            struct session_row r;
            if ((rc = row_read(s, &r, q->want_pos)))
                break;
            if (rs && (rc = row_records(st, rs, &r))) {
                session_row_release(&r);
                break;
            }
            if (streaming) {
                stop = cb(ctx, &r);
                session_row_release(&r);
                if (q->limit && ++emitted >= q->limit)
                    stop = 1;
                continue;
            }
            if (nrows == rows_cap) {
                rows_cap = rows_cap ? rows_cap * 2 : 256;
                struct session_row *n = realloc(rows, sizeof *rows * rows_cap);
                if (!n) {
                    session_row_release(&r);
                    rc = KS_ENOMEM;
                    break;
                }
                rows = n;
            }
            rows[nrows++] = r;
        }
        if (!rc && !stop && step != SQLITE_DONE)
            rc = store_sql_err(st, db, "run query");
        sqlite3_finalize(s);
        sqlite3_finalize(rs);
        sqlite3_close(db);
    }
    if (!streaming) {
        if (!rc) {
            g_sort = q->sort;
            if (nrows)
                qsort(rows, nrows, sizeof *rows, cmp_rows);
            for (size_t i = 0; i < nrows && (!q->limit || i < q->limit); i++)
                if (cb(ctx, &rows[i]))
                    break;
        }
        for (size_t i = 0; i < nrows; i++)
            session_row_release(&rows[i]);
        free(rows);
    }
    free(days);
out_sql:
    buf_release(&sql);
    if (partitions_opened)
        *partitions_opened = opened;
    return rc;
}

int store_days_each(struct store *st, int64_t since_ns, int64_t until_ns, store_day_fn cb,
                    void *ctx)
{
    sqlite3_stmt *ds;
    if (sqlite3_prepare_v2(st->cat,
                           "SELECT day FROM partitions WHERE max_ns >= ? AND min_ns <= ? "
                           "ORDER BY day",
                           -1, &ds, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "list partitions");
    sqlite3_bind_int64(ds, 1, since_ns);
    sqlite3_bind_int64(ds, 2, until_ns);
    int *days = NULL, rc = 0;
    size_t ndays = 0, cap = 0;
    while (sqlite3_step(ds) == SQLITE_ROW) {
        if (ndays == cap) {
            cap = cap ? cap * 2 : 64;
            int *n = realloc(days, sizeof *days * cap);
            if (!n) {
                rc = KS_ENOMEM;
                break;
            }
            days = n;
        }
        days[ndays++] = sqlite3_column_int(ds, 0);
    }
    sqlite3_finalize(ds);
    for (size_t d = 0; !rc && d < ndays; d++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/meta/%08d.db", st->dir, days[d]);
        if (access(path, F_OK) != 0)
            continue; /* dropped by retention between listing and now */
        sqlite3 *db;
        if ((rc = meta_open_day(st, days[d], 1, &db)))
            break;
        rc = cb(ctx, days[d], db);
        sqlite3_close(db);
    }
    free(days);
    return rc;
}
