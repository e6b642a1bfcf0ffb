/*
 * store.c — the catalog and the store's lifecycle.
 *
 * catalog.db (SQLite, WAL, synchronous=FULL) holds:
 *   ingests(id, identity, path, format, compression, status, packets, offset, sessions, …)
 *   segments(id, ingest_id, seq, linktype, size, packets, first_ns, last_ns)
 *   partitions(day, min_ns, max_ns)
 *   counters(ingest_id, name, value)
 *   retention(id = 1, cut_ns, updated_ns)   the last prune's cut (retain.c)
 *
 * Checkpoint order (what makes a crash at any moment recoverable):
 *   1. segment buffers written and fdatasync'ed (a compressed segment's open
 *      frame is closed; a run's last checkpoint also writes its seek table)
 *   2. every open partition committed (sessions)
 *   3. one catalog transaction: segment sizes, partition spans, progress, counters
 * If we die between 2 and 3 the partitions hold sessions the catalog does not
 * count yet; the resumed ingest replays to the previous checkpoint and writes
 * the same (id, piece) rows again, replacing them.
 */
#include "store/store_int.h"

#include "core/err.h"
#include "proto/proto.h"
#include "core/ktime.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const catalog_schema =
    "CREATE TABLE IF NOT EXISTS ingests("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, identity BLOB NOT NULL UNIQUE, path TEXT,"
    " format TEXT, compression TEXT, status INTEGER NOT NULL, started_ns INTEGER,"
    " updated_ns INTEGER, packets INTEGER NOT NULL DEFAULT 0, offset INTEGER NOT NULL DEFAULT 0,"
    " sessions INTEGER NOT NULL DEFAULT 0, first_ns INTEGER, last_ns INTEGER, error TEXT);"
    "CREATE TABLE IF NOT EXISTS segments("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, ingest_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " linktype INTEGER NOT NULL, size INTEGER NOT NULL, packets INTEGER NOT NULL,"
    " first_ns INTEGER, last_ns INTEGER, UNIQUE(ingest_id, seq));"
    "CREATE TABLE IF NOT EXISTS partitions("
    " day INTEGER PRIMARY KEY, min_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS counters("
    " ingest_id INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,"
    " PRIMARY KEY(ingest_id, name));"
    "CREATE TABLE IF NOT EXISTS retention("
    " id INTEGER PRIMARY KEY CHECK(id = 1), cut_ns INTEGER NOT NULL, updated_ns INTEGER);";

int store_set_err(struct store *st, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* the writer thread has its own message; writer.c hands it over */
    if (writer_is_self())
        vsnprintf(st->werr, sizeof st->werr, fmt, ap);
    else
        vsnprintf(st->err, sizeof st->err, fmt, ap);
    va_end(ap);
    return rc;
}

int store_sql_err(struct store *st, sqlite3 *db, const char *what)
{
    return store_set_err(st, KS_ESQL, "%s: %s", what, sqlite3_errmsg(db));
}

int store_exec(struct store *st, sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    store_set_err(st, KS_ESQL, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return KS_ESQL;
}

const char *store_errmsg(const struct store *st)
{
    return st->err;
}

const char *store_dir(const struct store *st)
{
    return st->dir;
}

static int mkdir_private(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return KS_EIO;
}

int store_open(struct store **out, const char *dir, const struct store_opts *opts, char *msg,
               size_t msglen)
{
    struct store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(msg, msglen, "out of memory");
        return KS_ENOMEM;
    }
    st->run_lock_fd = -1;
    st->readonly = opts && opts->readonly;
    st->durable = opts && opts->durable;
    st->segment_bytes =
        opts && opts->segment_bytes ? opts->segment_bytes : STORE_DEFAULT_SEGMENT_BYTES;
    if (st->segment_bytes < 4096)
        st->segment_bytes = 4096;
    if (snprintf(st->dir, sizeof st->dir, "%s", dir) >= (int)sizeof st->dir - 64) {
        snprintf(msg, msglen, "%s: store path too long", dir);
        free(st);
        return KS_EINVAL;
    }
    char path[PATH_MAX + 32];
    struct stat sb;
    if (st->readonly) {
        snprintf(path, sizeof path, "%s/catalog.db", dir);
        if (stat(path, &sb) != 0) {
            snprintf(msg, msglen, "%s: no konseki store here (run `konseki ingest` first)", dir);
            free(st);
            return KS_ENOENT;
        }
    } else {
        int rc = mkdir_private(dir);
        snprintf(path, sizeof path, "%s/pcap", dir);
        rc = rc ? rc : mkdir_private(path);
        snprintf(path, sizeof path, "%s/meta", dir);
        rc = rc ? rc : mkdir_private(path);
        snprintf(path, sizeof path, "%s/runs", dir);
        rc = rc ? rc : mkdir_private(path);
        if (rc) {
            snprintf(msg, msglen, "%s: cannot create store: %s", dir, strerror(errno));
            free(st);
            return rc;
        }
        snprintf(path, sizeof path, "%s/catalog.db", dir);
    }
    int flags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &st->cat, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "%s: %s", path, st->cat ? sqlite3_errmsg(st->cat) : "out of memory");
        sqlite3_close(st->cat);
        free(st);
        return KS_ESQL;
    }
    sqlite3_busy_timeout(st->cat, 10000);
    if (!st->readonly) {
        chmod(path, 0600);
        if (store_exec(st, st->cat, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") ||
            store_exec(st, st->cat, catalog_schema)) {
            snprintf(msg, msglen, "%s: %s", path, st->err);
            sqlite3_close(st->cat);
            free(st);
            return KS_ESQL;
        }
        int rc = seg_settings(st, opts ? opts->compress : NULL, msg, msglen);
        if (rc) {
            sqlite3_close(st->cat);
            free(st);
            return rc;
        }
    } else {
        /* A store written by a newer or older konseki: fail clearly, not in the middle. */
        if (sqlite3_exec(st->cat, "SELECT 1 FROM ingests, partitions LIMIT 0", NULL, NULL, NULL) !=
            SQLITE_OK) {
            snprintf(msg, msglen, "%s: not a konseki catalog: %s", path, sqlite3_errmsg(st->cat));
            sqlite3_close(st->cat);
            free(st);
            return KS_EFORMAT;
        }
    }
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    writer_stop(st);
    seg_close_writers(st);
    seg_close_readers(st);
    meta_close_all(st);
    retain_unlock_run(st);
    sqlite3_close(st->cat);
    free(st->spans);
    free(st);
}

static void info_read(sqlite3_stmt *s, struct ingest_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    out->status = sqlite3_column_int(s, 1);
    snprintf(out->path, sizeof out->path, "%s",
             sqlite3_column_text(s, 2) ? (const char *)sqlite3_column_text(s, 2) : "");
    out->packets = (uint64_t)sqlite3_column_int64(s, 3);
    out->offset = (uint64_t)sqlite3_column_int64(s, 4);
    out->sessions = (uint64_t)sqlite3_column_int64(s, 5);
    out->first_ns = sqlite3_column_int64(s, 6);
    out->last_ns = sqlite3_column_int64(s, 7);
    snprintf(out->error, sizeof out->error, "%s",
             sqlite3_column_text(s, 8) ? (const char *)sqlite3_column_text(s, 8) : "");
}

#define INFO_COLS "id, status, path, packets, offset, sessions, first_ns, last_ns, error"

int store_ingest_find(struct store *st, const uint8_t identity[32], struct ingest_info *out)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT " INFO_COLS " FROM ingests WHERE identity=?", -1, &s,
                           NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "find ingest");
    sqlite3_bind_blob(s, 1, identity, 32, SQLITE_STATIC);
    int rc = KS_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        info_read(s, out);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

int store_ingest_begin(struct store *st, const uint8_t identity[32], const char *path,
                       const char *format, const char *compression, int64_t *id)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "INSERT INTO ingests(identity, path, format, compression, status, "
                           "started_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "begin ingest");
    int64_t now = ktime_now();
    sqlite3_bind_blob(s, 1, identity, 32, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, format, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, compression, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, INGEST_PARTIAL);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, now);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "begin ingest");
    sqlite3_finalize(s);
    if (rc)
        return rc;
    *id = sqlite3_last_insert_rowid(st->cat);
    /* Each run writes its own segments: replaying a run must not depend on another. */
    seg_close_writers(st);
    if ((rc = retain_lock_run(st, *id)))
        return rc;
    st->cur_ingest = *id;
    st->next_seq = 0;
    st->replay = 0;
    return 0;
}

int store_replay_begin(struct store *st, int64_t ingest_id)
{
    seg_close_writers(st);
    int rc = retain_lock_run(st, ingest_id);
    if (rc)
        return rc;
    st->cur_ingest = ingest_id;
    st->next_seq = 0;
    st->replay = 1;
    return 0;
}

void store_replay_end(struct store *st)
{
    st->replay = 0;
    if (seg_replay_end(st))
        st->replay = -1; /* store_pkt_write reports the error */
}

int store_pkt_write(struct store *st, int64_t ingest_id, const struct packet *pkt, uint64_t *pos)
{
    if (st->replay < 0)
        return KS_ECORRUPT;
    return seg_write(st, ingest_id, pkt, pos);
}

int store_session_add(struct store *st, int64_t ingest_id, const struct session_rec *s)
{
    if (st->replay) { /* committed by the interrupted run before its last checkpoint */
        for (size_t i = 0; i < s->nrecs; i++)
            proto_rec_free((struct proto_rec *)&s->recs[i]);
        return 0;
    }
    return writer_add(st, ingest_id, s);
}

int store_checkpoint(struct store *st, int64_t ingest_id, const struct ingest_progress *p)
{
    /* A run that ends seals its compressed segments (seek table); see segment.c. */
    int rc = p->status != INGEST_PARTIAL ? seg_seal_all(st) : 0;
    if (!rc)
        rc = seg_flush_all(st, st->durable);
    if (!rc)
        rc = writer_drain(st);
    if (!rc && p->status != INGEST_PARTIAL)
        rc = meta_build_indexes(st);
    if (!rc)
        rc = meta_commit_all(st);
    if (rc)
        return rc;
    if ((rc = store_exec(st, st->cat, "BEGIN IMMEDIATE")))
        return rc;
    if ((rc = seg_record_all(st)))
        goto rollback;
    if ((rc = meta_record_all(st)))
        goto rollback;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "UPDATE ingests SET status=?, packets=?, offset=?, sessions=?, "
                           "first_ns=?, last_ns=?, error=?, updated_ns=? WHERE id=?",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = store_sql_err(st, st->cat, "record progress");
        goto rollback;
    }
    sqlite3_bind_int(s, 1, p->status);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)p->packets);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)p->offset);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)p->sessions);
    sqlite3_bind_int64(s, 5, p->first_ns);
    sqlite3_bind_int64(s, 6, p->last_ns);
    if (p->error)
        sqlite3_bind_text(s, 7, p->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 7);
    sqlite3_bind_int64(s, 8, ktime_now());
    sqlite3_bind_int64(s, 9, ingest_id);
    rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "record progress");
    sqlite3_finalize(s);
    if (rc)
        goto rollback;
    if (sqlite3_prepare_v2(st->cat,
                           "INSERT OR REPLACE INTO counters(ingest_id, name, value) VALUES (?,?,?)",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = store_sql_err(st, st->cat, "record counters");
        goto rollback;
    }
    for (size_t i = 0; !rc && i < p->ncounters; i++) {
        sqlite3_bind_int64(s, 1, ingest_id);
        sqlite3_bind_text(s, 2, p->counters[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)p->counters[i].value);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "record counters");
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (rc)
        goto rollback;
    return store_exec(st, st->cat, "COMMIT");
rollback:
    sqlite3_exec(st->cat, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---------------------------------------------------------------- statistics */

int64_t store_scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int store_stats_get(struct store *st, struct store_stats *o)
{
    memset(o, 0, sizeof *o);
    o->ingests = (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM ingests");
    o->ingests_complete =
        (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM ingests WHERE status=1");
    o->ingests_partial =
        (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM ingests WHERE status=0");
    o->ingests_damaged =
        (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM ingests WHERE status IN (2,3)");
    o->input_packets = (uint64_t)store_scalar(st->cat, "SELECT total(packets) FROM ingests");
    o->input_bytes = (uint64_t)store_scalar(st->cat, "SELECT total(offset) FROM ingests");
    o->segments = (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM segments");
    o->segment_bytes = (uint64_t)store_scalar(st->cat, "SELECT total(size) FROM segments");
    /* (a catalog from before compressed segments has no codec column: all plain) */
    o->segments_compressed =
        (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM segments WHERE codec=1");
    o->segment_disk_bytes =
        o->segments_compressed
            ? (uint64_t)store_scalar(st->cat, "SELECT total(CASE WHEN codec=1 THEN disk_size "
                                              "ELSE size END) FROM segments")
            : o->segment_bytes;
    o->partitions = (uint64_t)store_scalar(st->cat, "SELECT count(*) FROM partitions");
    o->first_ns = store_scalar(st->cat, "SELECT min(min_ns) FROM partitions");
    o->last_ns = store_scalar(st->cat, "SELECT max(max_ns) FROM partitions");
    o->oldest_packet_ns = store_scalar(st->cat, "SELECT min(first_ns) FROM segments");
    o->newest_packet_ns = store_scalar(st->cat, "SELECT max(last_ns) FROM segments");
    /* absent in a store no prune has touched since an older konseki made it: 0 */
    o->retention_cut_ns = store_retention_cut(st);
    uint64_t pk = 0, meta = 0;
    if (store_usage(st, &pk, &meta) == 0)
        o->disk_bytes = pk + meta;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT day FROM partitions ORDER BY day", -1, &s, NULL) !=
        SQLITE_OK)
        return store_sql_err(st, st->cat, "stats");
    while (sqlite3_step(s) == SQLITE_ROW) {
        int day = sqlite3_column_int(s, 0);
        char path[PATH_MAX + 32];
        struct stat sb;
        const char *sfx[] = {"", "-wal"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/meta/%08d.db%s", st->dir, day, sfx[i]);
            if (stat(path, &sb) == 0)
                o->meta_bytes += (uint64_t)sb.st_size;
        }
        sqlite3 *db;
        if (meta_open_day(st, day, 1, &db) == 0) {
            o->sessions += (uint64_t)store_scalar(db, "SELECT count(*) FROM sessions");
            sqlite3_close(db);
        }
    }
    sqlite3_finalize(s);
    return 0;
}

int store_counters_each(struct store *st, void (*cb)(void *ctx, const char *name, uint64_t v),
                        void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "SELECT name, sum(value) FROM counters GROUP BY name ORDER BY name", -1,
                           &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "counters");
    while (sqlite3_step(s) == SQLITE_ROW)
        cb(ctx, (const char *)sqlite3_column_text(s, 0), (uint64_t)sqlite3_column_int64(s, 1));
    sqlite3_finalize(s);
    return 0;
}

int store_ingests_each(struct store *st, void (*cb)(void *ctx, const struct ingest_info *i),
                       void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT " INFO_COLS " FROM ingests ORDER BY id DESC", -1, &s,
                           NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "ingests");
    while (sqlite3_step(s) == SQLITE_ROW) {
        struct ingest_info info;
        info_read(s, &info);
        cb(ctx, &info);
    }
    sqlite3_finalize(s);
    return 0;
}
