/*
 * retain.c — retention: the oldest packets and their metadata leave together.
 *
 * One time cut decides everything.  A session piece that starts before the cut is
 * deleted (with its records and indexed fields); a packet segment is deleted only
 * when its newest packet is older than the cut.  Every packet a piece points at
 * has a time inside the piece's [first_ns, last_ns] (the flow table widens the span
 * for each frame it is given, fragments included), so a piece that survives has
 * first_ns >= cut and all its packets are >= cut: none of them is in a deleted
 * segment.  Packets of deleted pieces may stay behind in segments that are kept;
 * they go with the next cut.
 *
 * Day files are named after the UTC day their pieces start in, so every day before
 * day_of(cut) is deleted whole and only the cut's own day loses some rows.
 *
 * Crash safety (kill -9 at any instant) comes from the order of the three steps:
 *   1. the cut's day file: its pieces before the cut go, in one SQLite transaction;
 *   2. one catalog transaction: the segments and whole days before the cut are
 *      forgotten and the cut is recorded (retention table);
 *   3. files the catalog no longer knows (segments, days before the recorded cut)
 *      are unlinked — the same sweep starts every prune, finishing a crashed one.
 * Before 2 commits, every segment is still listed and on disk; after it, queries
 * cannot reach a deleted day (they open only listed days) and no kept piece points
 * into an unlisted segment, whether or not its file is already gone.
 *
 * Runs being written by another process are protected: each writer holds an
 * exclusive flock on runs/<id>.lock, and the segments of such a run are kept
 * (counted in pinned_bytes), since that process may still append to them and will
 * write pieces that point into them.  The segments a writer in this process has
 * open are kept too.  An interrupted run whose segments were pruned can no longer be
 * resumed (its replay needs them): the resume says the segment is missing.
 */
#include "store/store_int.h"

#include "core/err.h"
#include "core/ktime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define PRUNE_MAX_ROUNDS 64
#define PRUNE_MAX_SEGMENTS (UINT64_C(1) << 24)
#define DAY_SECS 86400

/* Test hook: KONSEKI_TEST_CRASH_AT=<point> dies there exactly as kill -9 would. */
static void crash_point(const char *name)
{
    const char *at = getenv("KONSEKI_TEST_CRASH_AT");
    if (at && strcmp(at, name) == 0)
        raise(SIGKILL);
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
}

/* ---------------------------------------------------------------- run locks */

static void run_lock_path(const struct store *st, int64_t id, char *dst, size_t n)
{
    snprintf(dst, n, "%s/runs/%lld.lock", st->dir, (long long)id);
}

int retain_lock_run(struct store *st, int64_t ingest_id)
{
    if (st->run_lock_fd >= 0 && st->run_lock_id == ingest_id)
        return 0;
    retain_unlock_run(st);
    char path[PATH_MAX + 32];
    run_lock_path(st, ingest_id, path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return store_set_err(st, KS_EIO, "create %s: %s", path, strerror(errno));
    /* A prune probing the lock holds it for microseconds: retry briefly before giving up. */
    for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
        if (errno != EWOULDBLOCK || i == 50) {
            int busy = errno == EWOULDBLOCK;
            close(fd);
            if (busy)
                return store_set_err(st, KS_EEXIST,
                                     "ingest %lld is being written by another konseki process",
                                     (long long)ingest_id);
            return store_set_err(st, KS_EIO, "lock %s: %s", path, strerror(errno));
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    st->run_lock_fd = fd;
    st->run_lock_id = ingest_id;
    return 0;
}

void retain_unlock_run(struct store *st)
{
    if (st->run_lock_fd >= 0)
        close(st->run_lock_fd); /* the file stays: unlinking it would race a new locker */
    st->run_lock_fd = -1;
    st->run_lock_id = 0;
}

/* Is run id being written by another process right now (it holds its lock)? */
static int run_alive_elsewhere(struct store *st, int64_t id)
{
    if (st->run_lock_fd >= 0 && st->run_lock_id == id)
        return 0;
    char path[PATH_MAX + 32];
    run_lock_path(st, id, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* never locked: nobody writes it */
    int alive = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* also drops our probe */
    return alive;
}

/* ---------------------------------------------------------------- usage */

static uint64_t dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    char path[PATH_MAX + 300];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        total += file_size(path);
    }
    closedir(d);
    return total;
}

int store_usage(struct store *st, uint64_t *packet_bytes, uint64_t *meta_bytes)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/pcap", st->dir);
    *packet_bytes = dir_bytes(path);
    snprintf(path, sizeof path, "%s/meta", st->dir);
    *meta_bytes = dir_bytes(path);
    static const char *const cat[] = {"catalog.db", "catalog.db-wal", "catalog.db-shm"};
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", st->dir, cat[i]);
        *meta_bytes += file_size(path);
    }
    return 0;
}

static uint64_t usage_total(struct store *st)
{
    uint64_t pk = 0, meta = 0;
    store_usage(st, &pk, &meta);
    return pk + meta;
}

int store_disk_ok(struct store *st, uint64_t min_free_bytes)
{
    struct statvfs v;
    if (statvfs(st->dir, &v) != 0)
        return store_set_err(st, KS_EIO, "statvfs %s: %s", st->dir, strerror(errno));
    uint64_t avail = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
    return avail >= min_free_bytes;
}

static void day_path(const struct store *st, int day, const char *sfx, char *dst, size_t n)
{
    snprintf(dst, n, "%s/meta/%08d.db%s", st->dir, day, sfx);
}

static const char *const day_sfx[] = {"", "-wal", "-shm"};

static uint64_t day_bytes(const struct store *st, int day)
{
    char path[PATH_MAX + 32];
    uint64_t total = 0;
    for (size_t i = 0; i < 3; i++) {
        day_path(st, day, day_sfx[i], path, sizeof path);
        total += file_size(path);
    }
    return total;
}

/* Midnight UTC starting day YYYYMMDD, in ns. */
static int64_t day_start_ns(int day)
{
    struct tm tm = {
        .tm_year = day / 10000 - 1900, .tm_mon = day / 100 % 100 - 1, .tm_mday = day % 100};
    return (int64_t)timegm(&tm) * KT_NS_PER_SEC;
}

/* ---------------------------------------------------------------- the plan */

struct seg_ent {
    uint32_t id;
    int64_t last_ns;
    uint64_t bytes;
};

struct day_ent {
    int day;
    uint64_t bytes;
};

struct plan {
    struct seg_ent *segs; /* prunable segments, oldest newest-packet first */
    size_t nsegs;
    struct day_ent *days; /* listed day files, in day order */
    size_t ndays;
    uint64_t pinned_bytes;
    int64_t newest_ns; /* newest packet of the store (INT64_MIN when none) */
};

static void plan_free(struct plan *p)
{
    free(p->segs);
    free(p->days);
    memset(p, 0, sizeof *p);
}

static int writer_has_open(const struct store *st, uint32_t seg_id)
{
    for (size_t i = 0; i < st->nwriters; i++)
        if (st->writers[i].seg_id == seg_id && st->writers[i].fd >= 0)
            return 1;
    return 0;
}

static int plan_load(struct store *st, struct plan *p)
{
    memset(p, 0, sizeof *p);
    p->newest_ns = INT64_MIN;
    /* Runs other processes are writing: their segments stay. */
    int64_t alive[256];
    size_t nalive = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT id FROM ingests WHERE status = 0", -1, &s, NULL) !=
        SQLITE_OK)
        return store_sql_err(st, st->cat, "list runs");
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (run_alive_elsewhere(st, id) && nalive < sizeof alive / sizeof alive[0])
            alive[nalive++] = id;
    }
    sqlite3_finalize(s);

    if (sqlite3_prepare_v2(st->cat,
                           "SELECT id, ingest_id, last_ns, coalesce(codec, 0) FROM segments "
                           "WHERE packets > 0 "
                           "AND last_ns IS NOT NULL ORDER BY last_ns, id",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "list segments");
    size_t cap = 0;
    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        uint32_t id = (uint32_t)sqlite3_column_int64(s, 0);
        int64_t run = sqlite3_column_int64(s, 1), last = sqlite3_column_int64(s, 2);
        char path[PATH_MAX + 32];
        seg_path_codec(st, id, sqlite3_column_int(s, 3), path, sizeof path);
        uint64_t bytes = file_size(path);
        if (last > p->newest_ns)
            p->newest_ns = last;
        int pinned = writer_has_open(st, id);
        for (size_t i = 0; !pinned && i < nalive; i++)
            pinned = alive[i] == run;
        if (pinned) {
            p->pinned_bytes += bytes;
            continue;
        }
        if (p->nsegs == cap) {
            cap = cap ? cap * 2 : 256;
            struct seg_ent *n = cap > PRUNE_MAX_SEGMENTS ? NULL : realloc(p->segs, cap * sizeof *n);
            if (!n) {
                rc = KS_ENOMEM;
                break;
            }
            p->segs = n;
        }
        p->segs[p->nsegs++] = (struct seg_ent){id, last, bytes};
    }
    sqlite3_finalize(s);
    if (rc)
        return rc;

    if (sqlite3_prepare_v2(st->cat, "SELECT day FROM partitions ORDER BY day", -1, &s, NULL) !=
        SQLITE_OK)
        return store_sql_err(st, st->cat, "list days");
    cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (p->ndays == cap) {
            cap = cap ? cap * 2 : 64;
            struct day_ent *n = realloc(p->days, cap * sizeof *n);
            if (!n) {
                rc = KS_ENOMEM;
                break;
            }
            p->days = n;
        }
        int day = sqlite3_column_int(s, 0);
        p->days[p->ndays++] = (struct day_ent){day, day_bytes(st, day)};
    }
    sqlite3_finalize(s);
    return rc;
}

/* Bytes a cut at c would free, as far as it can be told beforehand. */
static uint64_t plan_estimate(const struct plan *p, int64_t c)
{
    uint64_t freed = 0;
    for (size_t i = 0; i < p->nsegs && p->segs[i].last_ns < c; i++)
        freed += p->segs[i].bytes;
    int cday = day_of_ns(c);
    for (size_t i = 0; i < p->ndays; i++) {
        if (p->days[i].day < cday) {
            freed += p->days[i].bytes;
        } else if (p->days[i].day == cday) {
            /* the cut's day loses about the share of the day before the cut */
            double frac = (double)(c - day_start_ns(cday)) / ((double)DAY_SECS * KT_NS_PER_SEC);
            freed += (uint64_t)(frac * (double)p->days[i].bytes);
        }
    }
    return freed;
}

/*
 * The earliest segment boundary after `after` whose cut frees `need` bytes, or the one
 * that frees everything prunable.
 */
static int64_t plan_size_cut(const struct plan *p, uint64_t need, int64_t after)
{
    for (size_t i = 0; i < p->nsegs; i++) {
        if (i + 1 < p->nsegs && p->segs[i + 1].last_ns == p->segs[i].last_ns)
            continue; /* segments ending at the same instant go together */
        int64_t c = p->segs[i].last_ns + 1;
        if (c > after && plan_estimate(p, c) >= need)
            return c;
    }
    return p->nsegs ? p->segs[p->nsegs - 1].last_ns + 1 : INT64_MIN;
}

/* ---------------------------------------------------------------- applying a cut */

int64_t store_retention_cut(struct store *st)
{
    return store_scalar(st->cat, "SELECT cut_ns FROM retention WHERE id = 1");
}

static int sql_step_done(struct store *st, sqlite3 *db, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, db, what);
    sqlite3_reset(s);
    return rc;
}

/* Step 1: the pieces of the cut's day that start before the cut, with their records. */
static int prune_day_rows(struct store *st, int day, int64_t cut, struct store_prune_result *out)
{
    char path[PATH_MAX + 32];
    day_path(st, day, "", path, sizeof path);
    if (access(path, F_OK) != 0)
        return 0;
    uint64_t before = day_bytes(st, day);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = store_set_err(st, KS_ESQL, "open %s: %s", path,
                               db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    static const char *const steps[] = {
        "INSERT INTO temp.gone SELECT id, piece FROM sessions WHERE first_ns < ?1",
        "DELETE FROM records WHERE (id, piece) IN (SELECT id, piece FROM temp.gone)",
        "DELETE FROM sessions WHERE first_ns < ?1",
        /* fields are per session id: keep them while another piece of the id stays */
        "DELETE FROM fields WHERE id IN (SELECT id FROM temp.gone) "
        "AND id NOT IN (SELECT id FROM sessions)",
    };
    int rc = store_exec(st, db,
                        "PRAGMA journal_mode=WAL; CREATE TEMP TABLE gone(id, piece); "
                        "BEGIN IMMEDIATE");
    int64_t deleted = 0;
    for (size_t i = 0; !rc && i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, steps[i], -1, &s, NULL) != SQLITE_OK) {
            rc = store_sql_err(st, db, "prune day");
            break;
        }
        if (sqlite3_bind_parameter_count(s))
            sqlite3_bind_int64(s, 1, cut);
        rc = sql_step_done(st, db, s, "prune day");
        if (i == 0)
            deleted = sqlite3_changes(db);
        sqlite3_finalize(s);
        if (!rc && deleted == 0)
            break; /* nothing before the cut in this day */
    }
    rc = rc ? rc : store_exec(st, db, "COMMIT");
    if (rc) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db);
        return rc;
    }
    crash_point("prune-day");
    if (deleted > 0) {
        /* Give the freed pages back: cheap with incremental auto-vacuum (day files made
           since retention exists), a rewrite of the day for older files. */
        int av = (int)store_scalar(db, "PRAGMA auto_vacuum");
        rc = store_exec(st, db, av == 2 ? "PRAGMA incremental_vacuum" : "VACUUM");
        if (!rc)
            rc = store_exec(st, db, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    sqlite3_close(db);
    uint64_t after = day_bytes(st, day);
    out->sessions += (uint64_t)deleted;
    out->meta_bytes += before > after ? before - after : 0;
    return rc;
}

/* Step 3: unlink the files the catalog no longer lists.  Also finishes a crashed prune. */
static int prune_sweep(struct store *st, struct store_prune_result *out)
{
    /* Directory first, catalog second: a writer lists a segment before creating its file,
       so any file seen here that belongs to a live segment is in the catalog read after. */
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/pcap", st->dir);
    uint32_t *ids = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char *end;
            unsigned long id = strtoul(e->d_name, &end, 10);
            char want[PATH_MAX + 32], wantz[PATH_MAX + 32], have[PATH_MAX + 300];
            if (end == e->d_name || id == 0 || id > UINT32_MAX ||
                seg_path(st, (uint32_t)id, want, sizeof want) ||
                seg_path_codec(st, (uint32_t)id, SEG_ZSTD, wantz, sizeof wantz))
                continue;
            snprintf(have, sizeof have, "%s/%s", dir, e->d_name);
            if (strcmp(want, have) != 0 && strcmp(wantz, have) != 0)
                continue; /* not a segment file name (plain or compressed) */
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                uint32_t *nn = cap > PRUNE_MAX_SEGMENTS ? NULL : realloc(ids, cap * sizeof *nn);
                if (!nn) {
                    closedir(d);
                    free(ids);
                    return KS_ENOMEM;
                }
                ids = nn;
            }
            ids[n++] = (uint32_t)id;
        }
        closedir(d);
    }
    sqlite3_stmt *s;
    int rc = 0;
    if (sqlite3_prepare_v2(st->cat, "SELECT 1 FROM segments WHERE id = ?", -1, &s, NULL) !=
        SQLITE_OK) {
        free(ids);
        return store_sql_err(st, st->cat, "sweep");
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(s, 1, ids[i]);
        int listed = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_reset(s);
        if (listed)
            continue;
        for (int codec = SEG_PLAIN; codec <= SEG_ZSTD && !rc; codec++) {
            char path[PATH_MAX + 32];
            seg_path_codec(st, ids[i], codec, path, sizeof path);
            uint64_t bytes = file_size(path);
            if (unlink(path) == 0) {
                out->segment_bytes += bytes;
                crash_point("prune-unlink");
            } else if (errno != ENOENT) {
                rc = store_set_err(st, KS_EIO, "unlink %s: %s", path, strerror(errno));
            }
        }
    }
    sqlite3_finalize(s);
    free(ids);
    if (rc)
        return rc;

    /* Day files before the recorded cut that the catalog does not list. */
    int64_t cut = store_retention_cut(st);
    if (!cut)
        return 0;
    int cday = day_of_ns(cut);
    snprintf(dir, sizeof dir, "%s/meta", st->dir);
    if (!(d = opendir(dir)))
        return 0;
    if (sqlite3_prepare_v2(st->cat, "SELECT 1 FROM partitions WHERE day = ?", -1, &s, NULL) !=
        SQLITE_OK) {
        closedir(d);
        return store_sql_err(st, st->cat, "sweep");
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int day;
        char tail[8];
        if (strlen(e->d_name) != 11 || sscanf(e->d_name, "%8d.%2s", &day, tail) != 2 ||
            strcmp(tail, "db") != 0 || day >= cday)
            continue;
        sqlite3_bind_int(s, 1, day);
        int listed = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_reset(s);
        if (listed)
            continue;
        uint64_t bytes = day_bytes(st, day);
        /* the -wal and -shm first: a main file without its WAL is still a valid database */
        for (int i = 2; i >= 0; i--) {
            char path[PATH_MAX + 32];
            day_path(st, day, day_sfx[i], path, sizeof path);
            if (unlink(path) != 0 && errno != ENOENT && !rc)
                rc = store_set_err(st, KS_EIO, "unlink %s: %s", path, strerror(errno));
        }
        out->meta_bytes += bytes;
    }
    sqlite3_finalize(s);
    closedir(d);
    return rc;
}

/* Sessions in a day file that is about to go (for the report). */
static uint64_t day_sessions(struct store *st, int day)
{
    char path[PATH_MAX + 32];
    day_path(st, day, "", path, sizeof path);
    if (access(path, F_OK) != 0)
        return 0;
    sqlite3 *db;
    if (meta_open_day(st, day, 1, &db))
        return 0;
    uint64_t n = (uint64_t)store_scalar(db, "SELECT count(*) FROM sessions");
    sqlite3_close(db);
    return n;
}

/* One catalog statement with up to two integer parameters; *changes += rows changed. */
static int cat_run(struct store *st, const char *sql, int64_t a, int64_t b, uint64_t *changes)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, sql, -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "prune catalog");
    sqlite3_bind_int64(s, 1, a);
    if (sqlite3_bind_parameter_count(s) > 1)
        sqlite3_bind_int64(s, 2, b);
    int rc = sql_step_done(st, st->cat, s, "prune catalog");
    if (changes)
        *changes += (uint64_t)sqlite3_changes(st->cat);
    sqlite3_finalize(s);
    return rc;
}

/* Step 2: forget segments and whole days before the cut, record the cut. */
static int prune_catalog(struct store *st, const struct plan *p, int64_t cut,
                         struct store_prune_result *out)
{
    int cday = day_of_ns(cut);
    for (size_t i = 0; i < p->ndays && p->days[i].day < cday; i++)
        out->sessions += day_sessions(st, p->days[i].day);
    int rc = store_exec(st, st->cat, "BEGIN IMMEDIATE");
    for (size_t i = 0; !rc && i < p->nsegs && p->segs[i].last_ns < cut; i++)
        rc = cat_run(st, "DELETE FROM segments WHERE id = ?1 AND last_ns < ?2", p->segs[i].id, cut,
                     &out->segments);
    if (!rc)
        rc = cat_run(st, "DELETE FROM partitions WHERE day < ?1", cday, 0, &out->days);
    /* The cut's day now starts at the cut or later (queries open fewer days). */
    if (!rc)
        rc = cat_run(st, "UPDATE partitions SET min_ns = max(min_ns, ?1) WHERE day = ?2", cut, cday,
                     NULL);
    if (!rc)
        rc = cat_run(st,
                     "INSERT INTO retention(id, cut_ns, updated_ns) VALUES (1, ?1, ?2) "
                     "ON CONFLICT(id) DO UPDATE SET cut_ns = max(cut_ns, ?1), updated_ns = ?2",
                     cut, ktime_now(), NULL);
    if (!rc)
        rc = store_exec(st, st->cat, "COMMIT");
    if (rc) {
        sqlite3_exec(st->cat, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    crash_point("prune-catalog");
    return 0;
}

static int prune_apply(struct store *st, const struct plan *p, int64_t cut,
                       struct store_prune_result *out)
{
    int rc = prune_day_rows(st, day_of_ns(cut), cut, out);
    if (!rc)
        rc = prune_catalog(st, p, cut, out);
    if (!rc)
        rc = prune_sweep(st, out);
    return rc;
}

int store_prune(struct store *st, const struct store_retain *r, struct store_prune_result *out)
{
    memset(out, 0, sizeof *out);
    if (st->readonly)
        return store_set_err(st, KS_EINVAL, "the store is open read-only");
    int rc = prune_sweep(st, out); /* what a crashed prune left */
    if (rc)
        return rc;
    out->bytes_before = usage_total(st) + out->segment_bytes + out->meta_bytes;
    int64_t cut = INT64_MIN;
    for (int round = 0; round < PRUNE_MAX_ROUNDS; round++) {
        struct plan p;
        if ((rc = plan_load(st, &p))) {
            plan_free(&p);
            return rc;
        }
        out->pinned_bytes = p.pinned_bytes;
        int64_t want = cut;
        if (r->max_age_ns > 0) {
            int64_t ref = r->age_from_clock ? ktime_now() : p.newest_ns;
            if (ref != INT64_MIN && ref - r->max_age_ns > want)
                want = ref - r->max_age_ns;
        }
        uint64_t used = usage_total(st);
        if (r->max_bytes && used > r->max_bytes) {
            int64_t c = plan_size_cut(&p, used - r->max_bytes, cut);
            if (c > want)
                want = c;
        }
        if (r->keep_from_ns > 0 && want > r->keep_from_ns)
            want = r->keep_from_ns;
        uint64_t segs_before = out->segments, sess_before = out->sessions, days_before = out->days;
        if (want > cut && want != INT64_MIN)
            rc = prune_apply(st, &p, want, out);
        plan_free(&p);
        if (rc)
            return rc;
        int progressed = want > cut && (out->segments != segs_before ||
                                        out->sessions != sess_before || out->days != days_before);
        if (want > cut && want != INT64_MIN)
            cut = want;
        /* Size estimates can fall short (a day's rows are not spread evenly): go on
           to the next segment boundary while that still frees something. */
        if (!progressed || !r->max_bytes || usage_total(st) <= r->max_bytes)
            break;
    }
    seg_close_readers(st); /* a cached descriptor would keep a deleted file's blocks */
    out->cut_ns = cut == INT64_MIN ? 0 : cut;
    out->bytes_after = usage_total(st);
    out->within_budget = !r->max_bytes || out->bytes_after <= r->max_bytes;
    return 0;
}
