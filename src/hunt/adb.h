/*
 * adb.h — the analysis database, STORE/analysis.db (SQLite, WAL, 0600): what analysts did with
 * the stored traffic.  It is separate from the day files so retention never drops a case, and
 * separate from ioc.db so feeds can be replaced without touching case work.
 *
 *   runs      one row per hunt or query run: hunt name (or "query"), expression, parameters,
 *             time range, coverage (JSON), result and suppressed counts, the case it belongs to
 *   results   the ranked results of each run: score, explanation, entities, evidence event ids
 *             (JSON array of 16-hex-digit ids), ATT&CK ids, suppression and its reason
 *   allow     the allowlist: kind (host, domain, sni, ja3, ja4, ua), value, hunt ("" = all), reason
 *   cases     hunt cases: hypothesis, ATT&CK ids, scope, time range, status
 *   findings  verdicts on sessions within a case, with a snapshot of the session (JSON) so the
 *             finding survives retention of the session itself
 *
 * docs/store.md lists the columns.
 */
#ifndef KONSEKI_HUNT_ADB_H
#define KONSEKI_HUNT_ADB_H

#include "hunt/hunt.h"

#include <stddef.h>
#include <stdint.h>

struct adb;

/* Open (creating it unless readonly) STORE/analysis.db.  KS_ENOENT when readonly and absent. */
int adb_open(struct adb **out, const char *store_dir, int readonly, char *msg, size_t msglen);
void adb_close(struct adb *a);
/* The sqlite3 * (for the case and report modules' own statements). */
void *adb_sqlite(struct adb *a);
const char *adb_errmsg(struct adb *a);

/* Record a run and its results; case_id 0 = none; kind "hunt" or "query"; expr for queries. */
int adb_run_save(struct adb *a, const struct hunt_run *r, int64_t case_id, int64_t *id);
/* A query run (case run ID 'EXPR'): its matching sessions as one result each. */
int adb_query_run_save(struct adb *a, const char *expr, int64_t since_ns, int64_t until_ns,
                       int64_t case_id, uint64_t nsessions, const uint64_t *ids, size_t nids,
                       int64_t *id);

/* The allowlist: all entries in *out (malloc'd). */
int adb_allow_list(struct adb *a, struct hunt_allow **out, size_t *n);
int adb_allow_add(struct adb *a, const struct hunt_allow *e, int64_t *id);
/* KS_ENOENT when there is no such entry. */
int adb_allow_remove(struct adb *a, int64_t id);

#endif
