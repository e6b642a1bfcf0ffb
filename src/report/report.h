/*
 * report.h — the retrospective analysis deliverable (`konseki report`) and the pieces case
 * reports share with it.
 *
 * A store report covers a time range of the store: data coverage (time, days, hosts, protocols,
 * bytes), traffic over time and top talkers (inline SVG), the IOC findings in the range, every
 * hunt run now over the range (recorded in analysis.db like any run) with its top results and
 * their explanations, a chart of each hunt's top score, and recommended next hunts derived from
 * what was found and what data was missing.
 */
#ifndef KONSEKI_REPORT_REPORT_H
#define KONSEKI_REPORT_REPORT_H

#include "hunt/hunt.h"
#include "report/doc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;
struct adb;

struct report_opts {
    int64_t since_ns, until_ns;  /* INT64_MIN / INT64_MAX when open */
    const struct hunt_def *defs; /* the hunts to run (all of them for a store report) */
    size_t ndefs;
    const struct hunt_opts *hopts; /* zones, allowlist (range is taken from above) */
    unsigned top;                  /* results shown per hunt (default 5) */
    const char *store_dir;
    int64_t now_ns; /* "generated at" (tests pass a fixed value) */
};

struct report_summary {
    uint64_t sessions, ioc_findings;
    unsigned hunts_run, hunts_with_results;
    size_t results;
    char failed[512]; /* hunts that could not run, with why (first ones) */
};

/* The coverage of a range: what hunts and reports print first. */
struct report_cov {
    struct hunt_coverage hunt; /* days, sessions, bytes, packets, time span (hunt_coverage_get) */
    uint64_t internal_hosts, external_hosts;
    struct {
        char app[24]; /* "(none)" for sessions no parser recognised */
        uint64_t sessions, bytes;
    } apps[32]; /* most sessions first */
    unsigned napps;
};

/* Coverage of [since, until] (two passes over the day files: the hunts' and the hosts'). */
int report_coverage(struct store *st, int64_t since_ns, int64_t until_ns,
                    const struct hunt_zones *zones, struct report_cov *out);
/* Write the coverage section (key figures, protocols table). */
void report_coverage_write(struct doc *d, const struct report_cov *c);
/* Traffic over time and top talkers charts for [since, until], whose coverage is c. */
int report_traffic_write(struct doc *d, struct store *st, int64_t since_ns, int64_t until_ns,
                         const struct hunt_zones *zones, const struct report_cov *c);
/* A hunt run's top results as a table (rank, score, entities, explanation, evidence, ATT&CK). */
void report_run_write(struct doc *d, const struct hunt_run *r, unsigned top);

/* The store report.  a records the hunt runs (may be NULL: not recorded). */
int report_store(struct store *st, struct adb *a, const struct report_opts *o, FILE *f, int format,
                 struct report_summary *out, char *msg, size_t msglen);

/* ---------------------------------------------------------------- case reports */

struct case_info;
/* A finding's packet extract: where the report links it, or why there is none. */
struct report_evidence {
    uint64_t event_id;
    const char *pcap; /* path relative to the report, or NULL */
    const char *why;  /* when pcap is NULL: why there is no extract */
};
struct case_report_opts {
    int64_t now_ns;
    const char *store_dir;
    const struct report_evidence *ev;
    size_t nev;
};
/*
 * The report of one hunt case: hypothesis, scope, coverage, timeline, runs, findings with
 * evidence, negative results, ATT&CK techniques, IOC appendix.  st may be NULL (store gone):
 * the case is still reported from analysis.db.
 */
int report_case(struct store *st, struct adb *a, const struct case_info *c,
                const struct hunt_zones *zones, const struct case_report_opts *o, FILE *f,
                int format, char *msg, size_t msglen);

#endif
