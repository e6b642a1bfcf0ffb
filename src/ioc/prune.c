/*
 * prune.c — retention for findings: when `konseki prune` or a capture's --retain deletes the
 * session pieces that start before a cut (store_prune), the findings that name them go too, so
 * that `ioc match` never lists a session the store no longer has.
 *
 * A finding spans [first_ns, last_ns], the pieces of its session where the indicator matched.
 *   - It ends before the cut: every piece it names is gone; it is deleted (one indexed DELETE).
 *   - It starts before the cut and ends at or after it (a long session, written in pieces, that
 *     the cut runs through): it stays while a piece of its session that starts inside its span,
 *     at or after the cut, is still stored, and then starts at the earliest such piece (piece,
 *     day, first_ns); otherwise it is deleted.  Such findings are few: each is looked up by
 *     session id in the day files from the cut's day to its last_ns.
 * The cut applied is the store's recorded one (store_retention_cut), so running this again
 * changes nothing and a crash between the store's prune and this one is made good by the next
 * call (prune, capture and `ioc match` all call it).
 */
#include "ioc/iocdb.h"
#include "ioc/match.h"

#include "core/err.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRUNE_BATCH 100000 /* spanning findings resolved per round */

struct span {
    int64_t ioc;
    uint64_t session;
    int64_t last_ns;
    int64_t piece, first_ns; /* the earliest piece still stored (piece -1: none yet) */
    int day;
};

struct prune {
    struct span *v;
    size_t n, cap;
    int64_t cut, max_last;
    char *msg;
    size_t msglen;
};

static int on_span(void *ctx, int64_t ioc, uint64_t session, int64_t last_ns)
{
    struct prune *p = ctx;
    if (p->n == PRUNE_BATCH)
        return 1; /* the rest in the next round */
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        struct span *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv)
            return KS_ENOMEM;
        p->v = nv;
        p->cap = nc;
    }
    p->v[p->n++] = (struct span){ioc, session, last_ns, -1, 0, 0};
    if (last_ns > p->max_last)
        p->max_last = last_ns;
    return 0;
}

/* Days oldest first: the first piece found for a finding is its earliest still stored. */
static int on_day(void *ctx, int day, void *dbp)
{
    struct prune *p = ctx;
    sqlite3 *db = dbp;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT piece, first_ns FROM sessions WHERE id = ?1 AND first_ns >= ?2"
                           " AND first_ns <= ?3 ORDER BY first_ns, piece LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK) {
        snprintf(p->msg, p->msglen, "day %08d: %s", day, sqlite3_errmsg(db));
        return KS_ESQL;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct span *x = &p->v[i];
        if (x->piece >= 0)
            continue;
        sqlite3_bind_int64(s, 1, (sqlite3_int64)x->session);
        sqlite3_bind_int64(s, 2, p->cut);
        sqlite3_bind_int64(s, 3, x->last_ns);
        if (sqlite3_step(s) == SQLITE_ROW) {
            x->piece = sqlite3_column_int64(s, 0);
            x->first_ns = sqlite3_column_int64(s, 1);
            x->day = day;
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return 0;
}

int ioc_prune(struct iocdb *db, struct store *st, struct ioc_prune_result *out, char *msg,
              size_t msglen)
{
    memset(out, 0, sizeof *out);
    msg[0] = '\0';
    struct prune p = {.cut = store_retention_cut(st), .msg = msg, .msglen = msglen};
    if (p.cut <= 0)
        return 0; /* never pruned */
    int rc = iocdb_begin(db);
    if (!rc)
        rc = iocdb_findings_drop_before(db, p.cut, &out->removed);
    while (!rc) {
        p.n = 0;
        p.max_last = p.cut;
        int more = iocdb_findings_spanning(db, p.cut, on_span, &p); /* 1: a full batch */
        if (more < 0)
            rc = more;
        if (rc || !p.n)
            break;
        rc = store_days_each(st, p.cut, p.max_last, on_day, &p);
        if (rc && !msg[0])
            snprintf(msg, msglen, "%s", store_errmsg(st));
        for (size_t i = 0; !rc && i < p.n; i++) {
            const struct span *x = &p.v[i];
            rc = iocdb_finding_move(db, x->ioc, x->session, x->piece, x->day, x->first_ns);
            if (x->piece < 0)
                out->removed++;
            else
                out->moved++;
        }
    }
    free(p.v);
    if (rc) {
        if (!msg[0])
            snprintf(msg, msglen, "%s", rc == KS_ESQL ? iocdb_errmsg(db) : ks_strerror(rc));
        iocdb_rollback(db);
        return rc;
    }
    if ((rc = iocdb_commit(db)))
        snprintf(msg, msglen, "%s", iocdb_errmsg(db));
    return rc;
}

int ioc_prune_store(const char *store_dir, struct store *st, struct ioc_prune_result *out,
                    char *msg, size_t msglen)
{
    struct iocdb *db;
    memset(out, 0, sizeof *out);
    if (store_retention_cut(st) <= 0)
        return 0;
    int rc = iocdb_open(&db, store_dir, 1, msg, msglen);
    if (rc == KS_ENOENT) {
        msg[0] = '\0';
        return 0; /* no indicators, no findings */
    }
    if (!rc) {
        iocdb_close(db);
        rc = iocdb_open(&db, store_dir, 0, msg, msglen);
    }
    if (rc)
        return rc;
    rc = ioc_prune(db, st, out, msg, msglen);
    iocdb_close(db);
    return rc;
}
