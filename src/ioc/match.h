/*
 * match.h — matching indicators against traffic: stored history (a sweep) and new sessions as
 * they are stored (live).
 *
 * The indicators are loaded once into in-memory hash sets (ioc_matcher); every observed value
 * then costs a few hash lookups whatever the number of indicators:
 *   address     one lookup, plus one per distinct CIDR prefix length loaded (at most 129)
 *   name        one lookup per label suffix: a.b.evil.com asks a.b.evil.com, b.evil.com,
 *               evil.com, com — so a domain matches itself and its subdomains and never a
 *               longer label (evil.com does not match notevil.com)
 *   hash, JA3 … one lookup of the exact (type, value)
 * A sweep reads each day file's session endpoints and the `fields` rows of the paths that can
 * hold an indicator once (time grows with the data, not with indicators × data).
 */
#ifndef KONSEKI_IOC_MATCH_H
#define KONSEKI_IOC_MATCH_H

#include "ioc/ioc.h"

#include <stddef.h>
#include <stdint.h>

#define IOC_MATCH_MAX_INDICATORS 50000000 /* hard cap of one matcher */

struct ioc_matcher;
struct iocdb;
struct iocdb_filter;
struct store;
struct session_rec;

/* IP / CIDR text into the 16-byte range it covers (IPv4 as ::ffff:a.b.c.d); 0 or KS_EINVAL. */
int ioc_value_range(int type, const char *value, uint8_t lo[16], uint8_t hi[16]);

int ioc_matcher_new(struct ioc_matcher **out);
void ioc_matcher_free(struct ioc_matcher *m);
/*
 * Add one indicator (canonical value, ioc.h).  valid_until_ns 0 = no end.  KS_EINVAL when the
 * value cannot be an indicator of its type (a bad address), KS_ELIMIT past the cap.
 * Email indicators are kept but nothing konseki stores can match them yet.
 */
int ioc_matcher_add(struct ioc_matcher *m, int64_t id, int type, const char *value,
                    int64_t valid_until_ns);
/* Indicators loaded, in all and of one type. */
size_t ioc_matcher_count(const struct ioc_matcher *m, int type);
/* Load what f selects from the IOC store (NULL = everything). */
int ioc_matcher_load(struct ioc_matcher *m, struct iocdb *db, const struct iocdb_filter *f);

/*
 * A match: indicator `ioc` (whose life ends at valid_until_ns, 0 = never) matched `observed` at
 * `field` (a record path, or "source.ip" / "destination.ip").  Non-zero stops.
 */
typedef int (*ioc_hit_fn)(void *ctx, int64_t ioc, int64_t valid_until_ns, const char *field,
                          const char *observed);
/* A session endpoint (16 bytes) seen as field. */
int ioc_match_addr(const struct ioc_matcher *m, const uint8_t a[16], const char *field,
                   ioc_hit_fn cb, void *ctx);
/* One record value under path (paths no indicator can appear under are ignored). */
int ioc_match_value(const struct ioc_matcher *m, const char *path, const char *value, ioc_hit_fn cb,
                    void *ctx);
/* An HTTP request target with its host (url.domain) and the server port, against URL indicators. */
int ioc_match_url(const struct ioc_matcher *m, const char *host, int port, const char *target,
                  ioc_hit_fn cb, void *ctx);
/* Record paths an indicator can appear under (for a sweep), NULL-terminated. */
const char *const *ioc_match_paths(void);

/*
 * How a sweep reads the stored values of a record path (*type: the indicator type that path
 * holds, -1 for none):
 *   IOC_SCAN_NONE      no loaded indicator can match a value there: skip the path
 *   IOC_SCAN_KEYS      values match an indicator byte for byte (hex digests konseki writes in
 *                      lowercase, user agents): only the values equal to a key of *type
 *                      (ioc_matcher_keys) need reading
 *   IOC_SCAN_DISTINCT  each distinct value needs a lookup (names by label suffix, addresses
 *                      against networks, values compared case-insensitively)
 *   IOC_SCAN_ROWS      every row (URLs: built from each session's host and port)
 * Whatever it says, ioc_match_value on the values read gives the findings.
 */
enum { IOC_SCAN_NONE, IOC_SCAN_KEYS, IOC_SCAN_DISTINCT, IOC_SCAN_ROWS };
int ioc_match_path_scan(const struct ioc_matcher *m, const char *path, int *type);

/* A loaded value (bytes inside the matcher: valid while it is unchanged). */
struct ioc_key {
    const uint8_t *p;
    size_t len;
};
/* SQLite's BINARY order of text and blobs (bytes, then length): <0, 0, >0. */
int ioc_key_cmp(const void *a, size_t na, const void *b, size_t nb);
/*
 * The loaded values of a text type (not ip/cidr) in that order: *out malloc'd (the caller
 * frees it), NULL when none.  0 or KS_ENOMEM.
 */
int ioc_matcher_keys(const struct ioc_matcher *m, int type, struct ioc_key **out, size_t *n);
/*
 * Every loaded address and network as sorted, disjoint 16-byte ranges (nested and overlapping
 * ones merged): *out malloc'd, n x (lo[16], hi[16]).  An address inside one may match several
 * indicators: ioc_match_addr says which.  0 or KS_ENOMEM.
 */
int ioc_matcher_ranges(const struct ioc_matcher *m, uint8_t **out, size_t *n);

/* ---- sweeping stored history ---------------------------------------------------------------- */

struct ioc_sweep_result {
    uint64_t days, sessions_scanned, values_scanned; /* work done: session index entries (rows
                                                        where a day has no indexes) and
                                                        record values read */
    uint64_t findings, findings_new;                 /* (indicator, session) pairs */
    uint64_t sessions;                               /* distinct sessions with a finding */
    uint64_t indicators;                             /* distinct indicators that matched */
    int64_t first_ns, last_ns;                       /* of the findings (0 when none) */
};

/*
 * Match every indicator of m against the sessions of st that overlap [since_ns, until_ns] and
 * record the findings in db (one transaction per day file).  An indicator matches traffic from
 * before its publication too (that is the point of retro-hunting) but not after its
 * valid_until.  now_ns is recorded as the findings' found time.
 */
int ioc_sweep(const struct ioc_matcher *m, struct store *st, struct iocdb *db, int64_t since_ns,
              int64_t until_ns, int64_t now_ns, struct ioc_sweep_result *out, char *msg,
              size_t msglen);

/* ---- retention (ioc/prune.c) ----------------------------------------------------------------- */

struct ioc_prune_result {
    uint64_t removed; /* findings deleted: none of the pieces they name is stored any more */
    uint64_t moved;   /* findings of sessions the cut runs through, now at a piece still stored */
};
/*
 * Cut db's findings with the store's retention (store_retention_cut): those naming only pieces
 * the cut deleted go, those of a session the cut runs through start at its earliest piece still
 * stored (prune.c).  Idempotent; one transaction.  0 or a negative KS_* error with msg.
 */
int ioc_prune(struct iocdb *db, struct store *st, struct ioc_prune_result *out, char *msg,
              size_t msglen);
/* The same for STORE/ioc.db (opened and closed here); nothing to do without one. */
int ioc_prune_store(const char *store_dir, struct store *st, struct ioc_prune_result *out,
                    char *msg, size_t msglen);

/* ---- matching new traffic as it is stored ---------------------------------------------------- */

struct ioc_live;
/*
 * Load the store's indicators (all of them: expiry is measured against each session's packet
 * time).  *out is NULL, and 0 returned, when the store has no indicators (nothing to do).
 */
int ioc_live_open(struct ioc_live **out, const char *store_dir, char *msg, size_t msglen);
/* The pipeline's session hook (pipeline.h): match one session piece with its records. */
void ioc_live_session(void *live, const struct session_rec *s);
/* Write the findings gathered so far (call right after each store checkpoint). */
int ioc_live_flush(struct ioc_live *l, char *msg, size_t msglen);
/* Findings written so far, new (indicator, session) pairs among them. */
void ioc_live_counts(const struct ioc_live *l, uint64_t *findings, uint64_t *findings_new);
void ioc_live_close(struct ioc_live *l);

#endif
