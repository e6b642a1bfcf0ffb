/*
 * case.h — hunt cases: a hypothesis, the runs that tested it, the verdicts on sessions, and
 * the indicators those verdicts yield.
 *
 * A case lives in the analysis database (hunt/adb.h, STORE/analysis.db):
 *
 *   cases     hypothesis, ATT&CK technique ids, scope, time range, created, status
 *   runs      hunt and query runs recorded with the case's id (runs.case_id)
 *   results   their ranked results (evidence event ids)
 *   findings  a verdict on one session (malicious, suspicious, benign, false-positive), a note,
 *             and a snapshot of the session: a JSON array with the ECS document of every
 *             stored piece of the session, each with its protocol records ("records":[…]),
 *             exactly what `konseki query --json` prints.  The snapshot survives retention of
 *             the session itself; everything below reads the snapshot, never the store.
 *
 * Scope: a comma-separated list of addresses, CIDRs and zone names (the names of
 * STORE/zones.conf, or "internal" / "external"): a session or hunt result is in scope when
 * one of its endpoints is.  An empty scope is everything.
 *
 * Indicators (case_iocs_extract): from the MALICIOUS findings only, read from their snapshots:
 *   - addresses: the remote end of the session, i.e. each endpoint that is external (not in
 *     a user zone nor private space): the responder of an outbound session, the initiator of an
 *     inbound one; internal hosts never become indicators;
 *   - domains: DNS question names, HTTP hosts (url.domain, unless it is an address), TLS SNI;
 *   - URLs: http://HOST[:PORT]TARGET of each HTTP request (the port when it is not 80), the form
 *     konseki's matcher builds;
 *   - user-agents: every one seen in a malicious finding (the analyst's verdict covers the
 *     session; a common browser string will also match benign traffic: review before sharing);
 *   - JA3 and JA4 of TLS clients; certificate SHA-1 / SHA-256 of TLS servers;
 *   - file MD5 / SHA-1 / SHA-256 of transferred files (HTTP bodies, …).
 * Values are canonical (ioc_normalize), de-duplicated per type, sorted by type then value.
 *
 * Readers for the report module: case_get, case_list, case_runs, case_results, case_findings,
 * case_iocs_extract.  Every array they return is malloc'd and freed with the matching _free.
 */
#ifndef KONSEKI_CASE_CASE_H
#define KONSEKI_CASE_CASE_H

#include "hunt/hunt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct adb;

#define CASE_TEXT_MAX 4096   /* hypothesis, note */
#define CASE_MAX_IOCS 100000 /* indicators one export holds (more are counted as dropped) */
#define CASE_MAX_ROWS 1000000

/* ---------------------------------------------------------------- cases */

struct case_info {
    int64_t id;
    char hypothesis[CASE_TEXT_MAX];
    char attack[256];           /* technique ids, comma separated as given: "T1199,T1567.002" */
    char scope[1024];           /* addresses, CIDRs, zone names, comma separated; "" = everything */
    int64_t since_ns, until_ns; /* INT64_MIN / INT64_MAX when open */
    int64_t created_ns;
    char status[16]; /* "open" */
};

/* Check an ATT&CK list ("T1199,T1567.002") and normalise it (upper case, comma separated,
 * no spaces) into out.  KS_EINVAL with msg. */
int case_attack_parse(const char *in, char *out, size_t cap, char *msg, size_t msglen);

/* Record a new case (c->id and c->created_ns are set).  c->status "" becomes "open". */
int case_new(struct adb *a, struct case_info *c);
/* KS_ENOENT when there is no case id. */
int case_get(struct adb *a, int64_t id, struct case_info *out);
/* Every case, oldest first. */
int case_list(struct adb *a, struct case_info **out, size_t *n);

/* ---------------------------------------------------------------- scope */

/* A parsed scope: the addresses and networks, and the zone names, with the zones they name. */
struct case_scope {
    int any;                /* empty scope: everything is in it */
    struct hunt_zones nets; /* one zone "scope" with the addresses and CIDRs */
    char names[16][32];     /* zone names */
    unsigned nnames;
    struct hunt_zones *zones; /* the store's zones (zone names are looked up there) */
};

/*
 * Parse spec (a case's scope) against zones (the store's zones.conf, may be NULL: only
 * "internal" and "external" are then known).  KS_EINVAL with msg when an item is neither an
 * address, a CIDR nor a zone name.  zones must outlive s.
 */
int case_scope_parse(struct case_scope *s, const char *spec, struct hunt_zones *zones, char *msg,
                     size_t msglen);
/* Is the address (16 bytes, IPv4 mapped) in scope? */
int case_scope_has(const struct case_scope *s, const uint8_t ip[16]);
/* Is an address in text form in scope?  Text that is no address is not. */
int case_scope_has_text(const struct case_scope *s, const char *ip);
/*
 * Keep the results of a run that have an endpoint (src or dst) in scope: results without
 * any address (a domain, a fingerprint) are kept too, the scope cannot judge them.  Ranks
 * are renumbered; the number removed goes to *removed.
 */
void case_scope_filter(const struct case_scope *s, struct hunt_run *r, size_t *removed);

/* ---------------------------------------------------------------- runs and results */

struct case_run {
    int64_t id;
    char kind[8];  /* "hunt" or "query" */
    char hunt[48]; /* hunt name, "query" for queries */
    char hunt_id[48];
    char expr[CASE_TEXT_MAX]; /* the query of a query run */
    int64_t started_ns, since_ns, until_ns;
    double seconds;
    uint64_t results, suppressed;
    char attack[160];
    char *params;   /* JSON, malloc'd (case_runs_free) */
    char *coverage; /* JSON, malloc'd */
};

struct case_result {
    int64_t run_id;
    unsigned rank;
    double score;
    char explain[512];
    char src[64], dst[64], domain[256], fp[128], detail[256], attack[96];
    uint64_t events[HUNT_MAX_EVIDENCE];
    unsigned nevents;
    uint64_t sessions;
    int64_t first_ns, last_ns;
    int suppressed;
};

/* The runs of case id, oldest first. */
int case_runs(struct adb *a, int64_t id, struct case_run **out, size_t *n);
void case_runs_free(struct case_run *v, size_t n);
/* The results of one run, by rank (suppressed ones included, flagged). */
int case_results(struct adb *a, int64_t run_id, struct case_result **out, size_t *n);

/* ---------------------------------------------------------------- findings */

enum case_verdict {
    CASE_MALICIOUS,
    CASE_SUSPICIOUS,
    CASE_BENIGN,
    CASE_FALSE_POSITIVE,
    CASE__VERDICTS
};
/* "malicious", "suspicious", "benign", "false-positive"; -1 when unknown. */
int case_verdict_parse(const char *s);
const char *case_verdict_name(int v);

/* What a finding's snapshot says about its session (its first piece, totals over all). */
struct case_session {
    int64_t first_ns, last_ns;
    char transport[16], app[24];
    char src[64], dst[64];
    int sport, dport; /* -1 when the transport has none */
    uint64_t bytes, packets;
    unsigned pieces;
    char community_id[40];
};

struct case_finding {
    int64_t id, case_id;
    uint64_t event_id;
    int verdict; /* enum case_verdict */
    char note[CASE_TEXT_MAX];
    int64_t created_ns, updated_ns;
    struct case_session s;
    char *snapshot; /* the JSON array (above), malloc'd (case_findings_free) */
};

/*
 * Record a verdict on session event_id in case case_id with the session's snapshot (see top).
 * A second verdict on the same session replaces the first (note and snapshot too); *id is
 * the finding's id, *replaced 1 when it existed.  KS_ENOENT when the case does not exist,
 * KS_EFORMAT when snapshot is not a non-empty JSON array of session documents.
 */
int case_finding_set(struct adb *a, int64_t case_id, uint64_t event_id, int verdict,
                     const char *note, const char *snapshot, int64_t *id, int *replaced);
/* The findings of a case, oldest first (each with its snapshot and summary). */
int case_findings(struct adb *a, int64_t case_id, struct case_finding **out, size_t *n);
void case_findings_free(struct case_finding *v, size_t n);
/* The session summary of a snapshot.  KS_EFORMAT when it is not one. */
int case_snapshot_summary(const char *snapshot, struct case_session *out);

/* ---------------------------------------------------------------- indicators */

struct case_ioc {
    int type;          /* enum ioc_type (ioc/ioc.h) */
    char *value;       /* canonical text, malloc'd */
    char field[40];    /* where it was seen: destination.ip, dns.question.name, … */
    int inbound;       /* an address that initiated the session (MISP ip-src, not ip-dst) */
    int64_t first_ns;  /* earliest start of the sessions it was seen in */
    int64_t last_ns;   /* latest end */
    uint64_t event_id; /* the session of the earliest finding it came from */
    int64_t finding_id;
    unsigned findings; /* malicious findings it was seen in */
};

struct case_iocs {
    struct case_ioc *v;
    size_t n, cap;
    uint64_t dropped;   /* past CASE_MAX_IOCS */
    unsigned malicious; /* malicious findings read */
};

/*
 * The indicators of the malicious findings (see the top of this file).  zones decides what is
 * internal (NULL: private address space only).  out is cleared first; case_iocs_free it.
 */
int case_iocs_extract(const struct case_finding *f, size_t nf, const struct hunt_zones *zones,
                      struct case_iocs *out);
void case_iocs_free(struct case_iocs *s);
/* Add one value (normalised with ioc_normalize; an invalid one is ignored, 0). */
int case_iocs_add(struct case_iocs *s, int type, const char *value, const char *field, int inbound,
                  int64_t first_ns, int64_t last_ns, uint64_t event_id, int64_t finding_id);
/* Sort by (type, value) and merge repeats. */
void case_iocs_finish(struct case_iocs *s);

/* ---------------------------------------------------------------- export (export.c) */

enum case_format { CASE_FMT_STIX, CASE_FMT_MISP, CASE_FMT_SURICATA, CASE_FMT_ZEEK, CASE_FMT_CSV };
/* "stix", "misp", "suricata", "zeek", "csv"; -1 when unknown. */
int case_format_parse(const char *s);

struct case_export_opts {
    int format;        /* enum case_format */
    int64_t now_ns;    /* the export's time (STIX modified, MISP timestamp) */
    const char *dir;   /* where Suricata datasets and hash lists go; NULL = inline only */
    const char *stem;  /* their file name prefix ("case3" -> case3-names.lst) */
    int datasets;      /* Suricata names: 1 = always a dataset, 0 = never, -1 = when many */
    uint32_t sid_base; /* first Suricata sid; 0 = CASE_SID_BASE + case id * 10000 */
};

/* Suricata sids: 1,000,000-1,999,999 is the range the Suricata project reserves for local
 * rules; konseki takes 1,600,000,000 + case id * 10,000 + n, its own documented range. */
#define CASE_SID_BASE 1600000000u

/* What an export wrote: indicators by type, and the ones the format cannot carry. */
struct case_export_report {
    uint64_t written[32];
    uint64_t skipped[32]; /* by type: no way to express it in the format */
    uint64_t written_total, skipped_total;
    char files[4][4096]; /* side files written (Suricata datasets, hash lists) */
    unsigned nfiles;
};

/*
 * Write the indicators of case c in one format to f.  Side files (Suricata) are created in
 * o->dir.  KS_EIO when writing fails.
 */
int case_export(FILE *f, const struct case_info *c, const struct case_iocs *iocs,
                const struct case_export_opts *o, struct case_export_report *rep);

#endif
