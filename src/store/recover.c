/*
 * recover.c — make an interrupted live-capture run whole (store.h, "live capture runs").
 *
 * An ingest of a file recovers by replaying its input; a live capture cannot,
 * so it relies on the order the checkpoint already keeps: packets are written
 * (handed to the kernel) before the sessions pointing at them are committed.
 * After a kill -9 every committed session therefore finds its packets in the
 * segment files, possibly past the size the catalog recorded last; only the
 * very last record of a segment may be torn.  Recovery walks each segment of
 * the run from its recorded size, record by record, keeps what is whole, cuts
 * the torn tail, records the new size, and re-reads the time span of every day
 * file written since the run's last checkpoint so that queries open them.
 *
 * Crash during recovery: the file cuts come first and are idempotent, the
 * catalog changes are one transaction, so running it again gives the same end.
 */
#include "store/store_int.h"

#include "core/err.h"
#include "core/ktime.h"
#include "core/rdr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sessions of a piece start at most this long before the piece is written (active timeout and
 * the idle timeouts are far below it), so day files older than the last checkpoint by more
 * than this cannot have changed after it. */
#define RECOVER_SPAN_MARGIN_NS (24 * 3600 * KT_NS_PER_SEC)

struct seg_fix {
    int64_t id;
    uint64_t size, packets; /* recorded, then as found */
    int64_t first_ns, last_ns;
    int gone; /* no usable file: drop the row */
};

/* Walk whole records from f->size; cut what follows the last one. */
static int seg_trim(struct store *st, struct seg_fix *f, struct store_recovery *out)
{
    char path[PATH_MAX + 32];
    seg_path(st, (uint32_t)f->id, path, sizeof path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            return store_set_err(st, KS_EIO, "open %s: %s", path, strerror(errno));
        f->gone = 1; /* created in the catalog, killed before the file was */
        return 0;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return store_set_err(st, KS_EIO, "stat %s: %s", path, strerror(errno));
    }
    uint64_t fsize = (uint64_t)sb.st_size, off = f->size < SEG_HDR_LEN ? SEG_HDR_LEN : f->size;
    if (fsize < SEG_HDR_LEN) {
        /* Header and first packets go out in one write: no packet can live here. */
        close(fd);
        unlink(path);
        f->gone = 1;
        return 0;
    }
    if (off > fsize)
        off = fsize; /* lost more than the checkpoint said (power cut without --durable) */
    uint8_t h[SEG_REC_HDR];
    while (off + SEG_REC_HDR <= fsize) {
        if (pread(fd, h, sizeof h, (off_t)off) != (ssize_t)sizeof h)
            break;
        struct rdr r;
        rdr_init(&r, h, sizeof h);
        uint32_t sec = rdr_u32le(&r), nsec = rdr_u32le(&r), caplen = rdr_u32le(&r);
        if (nsec >= 1000000000u || caplen > SRC_MAX_CAPLEN || off + SEG_REC_HDR + caplen > fsize)
            break;
        int64_t ts = (int64_t)sec * KT_NS_PER_SEC + nsec;
        if (ts < f->first_ns)
            f->first_ns = ts;
        if (ts > f->last_ns)
            f->last_ns = ts;
        off += SEG_REC_HDR + caplen;
        f->packets++;
        out->packets++;
    }
    int rc = 0;
    if (off < fsize) {
        out->bytes_cut += fsize - off;
        if (ftruncate(fd, (off_t)off) != 0)
            rc = store_set_err(st, KS_EIO, "truncate %s: %s", path, strerror(errno));
    }
    if (!rc && st->durable && fdatasync(fd) != 0)
        rc = store_set_err(st, KS_EIO, "sync %s: %s", path, strerror(errno));
    close(fd);
    f->size = off;
    return rc;
}

static int seg_fixes_load(struct store *st, int64_t run, struct seg_fix **out, size_t *n)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "SELECT id, size, packets, coalesce(first_ns, ?2), coalesce(last_ns, 0) "
                           "FROM segments "
                           /* compressed segments: readers trust the catalog's frame table,
                              which the last checkpoint wrote; nothing to cut (zseg.h) */
                           "WHERE ingest_id=?1 AND coalesce(codec, 0) = 0 ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "recover: segments");
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int64(s, 2, INT64_MAX);
    struct seg_fix *v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct seg_fix *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = KS_ENOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        v[len++] = (struct seg_fix){.id = sqlite3_column_int64(s, 0),
                                    .size = (uint64_t)sqlite3_column_int64(s, 1),
                                    .packets = (uint64_t)sqlite3_column_int64(s, 2),
                                    .first_ns = sqlite3_column_int64(s, 3),
                                    .last_ns = sqlite3_column_int64(s, 4)};
    }
    sqlite3_finalize(s);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

static int seg_fix_record(struct store *st, const struct seg_fix *f)
{
    sqlite3_stmt *s;
    const char *sql = f->gone ? "DELETE FROM segments WHERE id=?4"
                              : "UPDATE segments SET size=?1, packets=?2, first_ns=?3, "
                                "last_ns=?5 WHERE id=?4";
    if (sqlite3_prepare_v2(st->cat, sql, -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "recover: record segment");
    if (!f->gone) {
        sqlite3_bind_int64(s, 1, (sqlite3_int64)f->size);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)f->packets);
        /* a segment that holds no packet keeps NULL times, as a fresh one has */
        if (f->packets) {
            sqlite3_bind_int64(s, 3, f->first_ns);
            sqlite3_bind_int64(s, 5, f->last_ns);
        }
    }
    sqlite3_bind_int64(s, 4, f->id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "recover: segment");
    sqlite3_finalize(s);
    return rc;
}

static int day_known(struct store *st, int day)
{
    sqlite3_stmt *s;
    int known = 0;
    if (sqlite3_prepare_v2(st->cat, "SELECT 1 FROM partitions WHERE day=?", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int(s, 1, day);
        known = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    return known;
}

/* Set the catalog's span of one day file to what the file holds (inside the caller's txn). */
static int day_respan(struct store *st, int day)
{
    sqlite3 *db;
    int rc = meta_open_day(st, day, 0, &db); /* read-write: builds missing lookup indexes too */
    if (rc)
        return rc;
    sqlite3_stmt *q, *u = NULL;
    if (sqlite3_prepare_v2(db, "SELECT min(first_ns), max(last_ns) FROM sessions", -1, &q, NULL) !=
        SQLITE_OK) {
        rc = store_sql_err(st, db, "recover: day span");
        sqlite3_close(db);
        return rc;
    }
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
        if (sqlite3_prepare_v2(st->cat,
                               "INSERT INTO partitions(day, min_ns, max_ns) VALUES (?1, ?2, ?3) "
                               "ON CONFLICT(day) DO UPDATE SET min_ns=?2, max_ns=?3",
                               -1, &u, NULL) != SQLITE_OK) {
            rc = store_sql_err(st, st->cat, "recover: record day");
        } else {
            sqlite3_bind_int(u, 1, day);
            sqlite3_bind_int64(u, 2, sqlite3_column_int64(q, 0));
            sqlite3_bind_int64(u, 3, sqlite3_column_int64(q, 1));
            if (sqlite3_step(u) != SQLITE_DONE)
                rc = store_sql_err(st, st->cat, "recover: record day");
        }
    }
    sqlite3_finalize(u);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

/* Every day file at or after from_day, and every one the catalog does not know. */
static int days_respan(struct store *st, int from_day, struct store_recovery *out)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/meta", st->dir);
    DIR *d = opendir(path);
    if (!d)
        return store_set_err(st, KS_EIO, "open %s: %s", path, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        int day;
        char tail[8];
        if (strlen(e->d_name) != 11 || sscanf(e->d_name, "%8d.%2s", &day, tail) != 2 ||
            strcmp(tail, "db") || day < 19700101)
            continue;
        if (day < from_day && day_known(st, day))
            continue;
        rc = day_respan(st, day);
        out->days++;
    }
    closedir(d);
    return rc;
}

static int recover_run(struct store *st, int64_t run, int64_t last_ns, struct store_recovery *out)
{
    struct seg_fix *fx = NULL;
    size_t n = 0;
    uint64_t kept0 = out->packets, cut0 = out->bytes_cut;
    int rc = seg_fixes_load(st, run, &fx, &n);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < n; i++)
        rc = seg_trim(st, &fx[i], out);
    if (!rc)
        rc = store_exec(st, st->cat, "BEGIN IMMEDIATE");
    if (rc) {
        free(fx);
        return rc;
    }
    for (size_t i = 0; !rc && i < n; i++)
        rc = seg_fix_record(st, &fx[i]);
    free(fx);
    if (!rc)
        rc = days_respan(st, day_of_ns(last_ns - RECOVER_SPAN_MARGIN_NS), out);
    if (!rc) {
        char note[256];
        snprintf(note, sizeof note,
                 "capture stopped without a clean exit; recovered at the next start: "
                 "%llu packets written after the last checkpoint kept, %llu bytes of a torn "
                 "record cut",
                 (unsigned long long)(out->packets - kept0),
                 (unsigned long long)(out->bytes_cut - cut0));
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(st->cat,
                               "UPDATE ingests SET error=?, packets=packets+?, updated_ns=? "
                               "WHERE id=?",
                               -1, &s, NULL) != SQLITE_OK) {
            rc = store_sql_err(st, st->cat, "recover: mark run");
        } else {
            sqlite3_bind_text(s, 1, note, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 2, (sqlite3_int64)(out->packets - kept0));
            sqlite3_bind_int64(s, 3, ktime_now());
            sqlite3_bind_int64(s, 4, run);
            if (sqlite3_step(s) != SQLITE_DONE)
                rc = store_sql_err(st, st->cat, "recover: mark run");
            sqlite3_finalize(s);
        }
    }
    if (rc) {
        sqlite3_exec(st->cat, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return store_exec(st, st->cat, "COMMIT");
}

int store_live_recover(struct store *st, struct store_recovery *out)
{
    memset(out, 0, sizeof *out);
    if (st->readonly)
        return KS_EINVAL;
    for (;;) {
        /* One run at a time: marking it (error text) takes it out of this query. */
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(st->cat,
                               "SELECT id, max(coalesce(last_ns, 0), coalesce(started_ns, 0)) "
                               "FROM ingests WHERE format='" STORE_LIVE_FORMAT
                               "' AND status=? AND error IS NULL ORDER BY id LIMIT 1",
                               -1, &s, NULL) != SQLITE_OK)
            return store_sql_err(st, st->cat, "recover: runs");
        sqlite3_bind_int(s, 1, INGEST_PARTIAL);
        int64_t run = 0, last_ns = 0;
        if (sqlite3_step(s) == SQLITE_ROW) {
            run = sqlite3_column_int64(s, 0);
            last_ns = sqlite3_column_int64(s, 1);
        }
        sqlite3_finalize(s);
        if (!run)
            return 0;
        int rc = recover_run(st, run, last_ns, out);
        if (rc)
            return rc;
        out->runs++;
    }
}
