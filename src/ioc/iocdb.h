/*
 * iocdb.h — the IOC store: STORE/ioc.db, indicators with every source that listed them, and the
 * findings of matching them against stored and new traffic (docs/store.md, "IOCs").
 *
 *   indicators   one row per (type, value); published = earliest any source says, valid_until =
 *                latest any source gives (0 = no end wins)
 *   ioc_sources  one row per (indicator, source): a value listed by three feeds keeps all three
 *   findings     one row per (indicator, session): where it matched first (record path or
 *                session field), the observed value, first/last time seen in that session
 *
 * A file of its own rather than tables in catalog.db: it is written by `ioc import` / `ioc match`
 * while an ingest may hold the catalog, and by ingest and capture right after their checkpoints.
 * Retention cuts the findings with the sessions they name (ioc_prune, ioc/match.h).
 */
#ifndef KONSEKI_IOC_IOCDB_H
#define KONSEKI_IOC_IOCDB_H

#include "ioc/ioc.h"

#include <stddef.h>
#include <stdint.h>

struct iocdb;

/* Open STORE/ioc.db (created 0600 unless readonly; readonly and absent: KS_ENOENT). */
int iocdb_open(struct iocdb **out, const char *store_dir, int readonly, char *msg, size_t msglen);
void iocdb_close(struct iocdb *db);
const char *iocdb_errmsg(const struct iocdb *db);

/* One transaction around many adds or finding puts (much faster than one per row). */
int iocdb_begin(struct iocdb *db);
int iocdb_commit(struct iocdb *db);
void iocdb_rollback(struct iocdb *db);

/*
 * Add one indicator as an importer emits it, or add its source to the one already there.
 * *id gets the indicator's id; *is_new is 1 when (type, value) was not stored before.
 */
int iocdb_add(struct iocdb *db, const struct ioc *x, int64_t now_ns, int64_t *id, int *is_new);

/* The highest indicator id so far (0 when none): ids only grow, so an import's new indicators
   are the ids above what this said before it. */
int64_t iocdb_max_id(struct iocdb *db);

/* Which indicators: every field optional (type -1, NULL strings = any). */
struct iocdb_filter {
    int type;
    const char *source;
    const char *value;
    int64_t min_id; /* ids >= this (0 = all): the ones an import just added */
};

struct iocdb_entry {
    int64_t id;
    int type;
    const char *value;
    int64_t published_ns, valid_until_ns, added_ns;
    const char *desc;    /* may be NULL */
    const char *sources; /* "feodo,urlhaus" (sorted) */
    uint64_t findings;
};
typedef int (*iocdb_entry_fn)(void *ctx, const struct iocdb_entry *e); /* non-zero stops */
int iocdb_each(struct iocdb *db, const struct iocdb_filter *f, iocdb_entry_fn cb, void *ctx);

/*
 * Remove what f selects.  With a source, only that source's listing goes; an indicator no source
 * lists any more is deleted with its findings.  *removed = indicators deleted.
 */
int iocdb_remove(struct iocdb *db, const struct iocdb_filter *f, uint64_t *removed);

/* A match as the matcher reports it, merged into the (ioc, session) row. */
struct iocdb_finding {
    int64_t ioc;
    uint64_t session;
    uint32_t piece;
    int day;              /* YYYYMMDD of the piece */
    const char *field;    /* "destination.ip", "dns.question.name" … */
    const char *observed; /* the value seen in the traffic */
    int64_t first_ns, last_ns;
};
/*
 * *is_new (may be NULL): 1 when (ioc, session) had no finding before.  now_ns becomes the row's
 * found_ns when new, and its seen_ns (last confirmed) always.
 */
int iocdb_finding_put(struct iocdb *db, const struct iocdb_finding *f, int64_t now_ns, int *is_new);

/*
 * Retention (ioc_prune): findings whose whole span [first_ns, last_ns] lies before cut_ns name
 * only deleted pieces and are deleted (*n of them).
 */
int iocdb_findings_drop_before(struct iocdb *db, int64_t cut_ns, uint64_t *n);
/* Each finding that starts before cut_ns (after the drop: those spanning it), by session. */
typedef int (*iocdb_span_fn)(void *ctx, int64_t ioc, uint64_t session, int64_t last_ns);
int iocdb_findings_spanning(struct iocdb *db, int64_t cut_ns, iocdb_span_fn cb, void *ctx);
/* Delete one finding, or make it start at a piece that is still stored (piece < 0: delete). */
int iocdb_finding_move(struct iocdb *db, int64_t ioc, uint64_t session, int64_t piece, int day,
                       int64_t first_ns);

/* What the sweep or live run stamped seen_ns (now_ns of its finding_put calls) confirmed. */
struct iocdb_summary {
    uint64_t findings, sessions, indicators;
    int64_t first_ns, last_ns;
};
int iocdb_summary(struct iocdb *db, int64_t seen_ns, struct iocdb_summary *out);

/* A finding with its indicator, for listing. */
struct iocdb_hit {
    struct iocdb_finding f;
    int type;
    const char *value;
    const char *sources;
    int64_t published_ns;
    int64_t found_ns;
};
struct iocdb_hit_filter {
    int64_t since_ns, until_ns; /* session time (INT64_MIN / INT64_MAX when open) */
    const char *source;         /* NULL = any */
    int64_t min_ioc;            /* ioc ids >= (0 = all) */
};
typedef int (*iocdb_hit_fn)(void *ctx, const struct iocdb_hit *h); /* non-zero stops */
/* In (first_ns, session, ioc) order. */
int iocdb_hits_each(struct iocdb *db, const struct iocdb_hit_filter *f, iocdb_hit_fn cb, void *ctx);

/* Counts for `ioc stats`: cb once per (what, key, n) row: what is "source", "type", "findings". */
typedef void (*iocdb_stat_fn)(void *ctx, const char *what, const char *key, uint64_t indicators,
                              uint64_t findings);
int iocdb_stats(struct iocdb *db, iocdb_stat_fn cb, void *ctx);

#endif
