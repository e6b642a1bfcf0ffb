/*
 * hunt.h — built-in and user hunts: a hypothesis, the analysis that tests it over the stored
 * sessions and protocol records, and ranked results an analyst can act on.
 *
 * A hunt is data plus an analysis.  The data is a hunt file (hunts/NAME.hunt, embedded in the
 * binary; users add their own under STORE/hunts/ or $KONSEKI_HUNTS), lines of `key = value`:
 *
 *   name       = beacon                      what `hunt run` takes
 *   id         = KH-0001                     stable identifier for reports
 *   kind       = beacon                      the analysis (hunt_kinds[]); default: the name
 *   title      = Periodic command-and-control beaconing
 *   hypothesis = An implant calls its C2 server at regular intervals …
 *   attack     = T1071.001 T1573 T1029        ATT&CK technique ids
 *   needs      = sessions tls dns http        the data it reads (network.protocol names)
 *   param.min_conns = 20                     a parameter and its default (--param k=v)
 *   help.min_conns  = fewest connections per host pair to score
 *
 * The analysis (a `kind`) is C: it reads the day files of the run's time range through
 * hunt_days() (SQL over the tables of docs/store.md; records are JSON, SQLite's json_extract
 * reads them), aggregates per entity in memory bounded by the number of entities, and emits
 * scored results with hunt_emit().  The `query` kind runs a query expression and groups the
 * matching sessions, so a user hunt needs no C at all.
 *
 * The runner (run.c) resolves parameters and zones, measures the data coverage, calls the
 * analysis, applies the allowlist (a suppressed result is kept in the run record, flagged),
 * ranks by score, and records the run and its results in the analysis database (adb.h).
 */
#ifndef KONSEKI_HUNT_HUNT_H
#define KONSEKI_HUNT_HUNT_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define HUNT_MAX_PARAMS 32
#define HUNT_MAX_EVIDENCE 32 /* event ids kept per result (the first / most telling) */
#define HUNT_MAX_RESULTS 10000
#define HUNT_MAX_ZONES 32
#define HUNT_MAX_ZONE_NETS 64

struct hunt_param {
    char name[48];
    char value[512];
    char help[200];
    int numeric; /* the default is a number (units allowed): values must be too */
};

struct hunt_def {
    char name[48];
    char id[48];
    char kind[48];
    char title[160];
    char hypothesis[1024];
    char attack[160]; /* space separated technique ids */
    char needs[160];  /* space separated: sessions, dns, tls, http, smb, dcerpc, krb, … */
    struct hunt_param params[HUNT_MAX_PARAMS];
    unsigned nparams;
    char origin[512]; /* "built-in" or the file it came from */
};

/* Parse one hunt file's text; origin names it in messages.  KS_EINVAL with msg on a bad line. */
int hunt_def_parse(const char *text, size_t len, const char *origin, struct hunt_def *out,
                   char *msg, size_t msglen);

/*
 * Every hunt: the built-in ones, then the files under store_dir/hunts/ and each directory of
 * $KONSEKI_HUNTS (colon separated); a file whose name equals an earlier hunt's replaces it.
 * *out is malloc'd (free it); bad files are reported through warn (may be NULL) and skipped.
 */
int hunt_defs_load(const char *store_dir, struct hunt_def **out, size_t *n,
                   void (*warn)(void *ctx, const char *msg), void *warn_ctx);
const struct hunt_def *hunt_def_find(const struct hunt_def *defs, size_t n, const char *name);
/* The hunt file text of a built-in hunt (for `hunt show`), or NULL. */
const char *hunt_builtin_text(const char *name);

/* ---------------------------------------------------------------- zones */

struct hunt_net {
    uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
    int bits;         /* prefix length over the 16 bytes */
};

struct hunt_zone {
    char name[32];
    struct hunt_net nets[HUNT_MAX_ZONE_NETS];
    unsigned nnets;
};

struct hunt_zones {
    struct hunt_zone z[HUNT_MAX_ZONES];
    unsigned n;
};

/* "NAME=CIDR[,CIDR…]" (also a bare address) added to zs; KS_EINVAL with msg. */
int hunt_zone_add(struct hunt_zones *zs, const char *spec, char *msg, size_t msglen);
/* STORE/zones.conf: one NAME=CIDR,… per line, # comments; absent file = nothing, 0. */
int hunt_zones_load(struct hunt_zones *zs, const char *store_dir, char *msg, size_t msglen);
/*
 * The zone of an address: the first user zone (longest prefix wins across zones) that holds
 * it, else "internal" for private, loopback, link-local, CGNAT and ULA space (RFC 1918, 6598,
 * 4193), else "external".
 */
const char *hunt_zone_of(const struct hunt_zones *zs, const uint8_t ip[16]);
int hunt_zone_internal(const struct hunt_zones *zs, const uint8_t ip[16]);

/* ---------------------------------------------------------------- results */

struct hunt_result {
    double score;      /* in [0, 1]: how strongly this is what the hunt looks for */
    char explain[512]; /* one line, in words, with the numbers behind the score */
    char src[64];      /* the host the hunt is about (client side), "" if none */
    char dst[64];      /* its peer / the server, "" if none */
    char domain[256];  /* domain, SNI or host name, "" if none */
    char fp[128];      /* fingerprint (JA3, JA4, JA3S, HASSH, certificate hash), "" if none */
    char detail[256];  /* other entity: user agent, share, file, URI, user, … */
    char attack[96];   /* technique ids of this result when narrower than the hunt's, or "" */
    uint64_t events[HUNT_MAX_EVIDENCE]; /* evidence session ids (event.id) */
    unsigned nevents;
    uint64_t sessions; /* evidence sessions in all */
    int64_t first_ns, last_ns;
    /* set by the runner */
    unsigned rank;
    int suppressed;
    char allow_reason[512];
};

/* Add an evidence session id (kept once, up to HUNT_MAX_EVIDENCE). */
void hunt_result_event(struct hunt_result *r, uint64_t id);
/* Extend [first_ns, last_ns] (0 = unset) with t. */
void hunt_result_time(struct hunt_result *r, int64_t t);

/* ---------------------------------------------------------------- running */

struct hunt_ctx;

/* What a run covered: the sessions of its range, by protocol. */
struct hunt_coverage {
    unsigned days;
    uint64_t sessions;
    int64_t first_ns, last_ns; /* 0 when no data */
    uint64_t bytes, packets;
    struct {
        char app[24]; /* "" for sessions no parser recognised */
        uint64_t sessions, bytes;
    } apps[32];
    unsigned napps;
    char missing[160]; /* needs the range has no data for, space separated */
};

struct hunt_allow {
    int64_t id;
    char kind[16];   /* host, domain, sni, ja3, ja4, ua */
    char value[256]; /* host: address or CIDR; domain: matches itself and subdomains */
    char hunt[48];   /* "" = every hunt */
    char reason[200];
};

struct hunt_opts {
    int64_t since_ns, until_ns; /* INT64_MIN / INT64_MAX when open */
    const char *const *params;  /* "k=v" overrides */
    size_t nparams;
    const struct hunt_zones *zones;
    const struct hunt_allow *allow; /* the allowlist */
    size_t nallow;
    /* The coverage of [since_ns, until_ns] when the caller measured it already
       (hunt_coverage_get; several hunts over one range), else NULL: each run measures it. */
    const struct hunt_coverage *cov;
};

/* The coverage of a range: days, sessions, bytes, packets, sessions and bytes per protocol. */
int hunt_coverage_get(struct store *st, int64_t since_ns, int64_t until_ns,
                      struct hunt_coverage *out);

struct hunt_run {
    int64_t id; /* in the analysis database, 0 when not recorded */
    const struct hunt_def *def;
    char params_json[4096]; /* the parameters the run used, {"k":"v",…} */
    int64_t since_ns, until_ns;
    int64_t started_ns;
    double seconds;
    struct hunt_coverage cov;
    struct hunt_result *results; /* ranked, suppressed ones after the others; malloc'd */
    size_t nresults;
    size_t nsuppressed;
    uint64_t dropped; /* results past HUNT_MAX_RESULTS (lowest scores) */
};

/*
 * Run one hunt over st.  KS_EINVAL with msg for bad parameters; other errors from the store.
 * The caller records it (adb_run_save) and frees it (hunt_run_release).
 */
int hunt_run(struct store *st, const struct hunt_def *def, const struct hunt_opts *o,
             struct hunt_run *out, char *msg, size_t msglen);
void hunt_run_release(struct hunt_run *r);

/* Does the allowlist entry a cover r (of hunt `hunt`)? */
int hunt_allow_matches(const struct hunt_allow *a, const char *hunt, const struct hunt_result *r);

/* ---------------------------------------------------------------- for analyses (kinds) */

struct hunt_kind {
    const char *name;
    int (*run)(struct hunt_ctx *ctx);
};
/* The analyses (registry.c), NULL-terminated.  Each hunt_kind_*.c file defines one. */
extern const struct hunt_kind *const hunt_kinds[];

struct store *hunt_store(const struct hunt_ctx *ctx);
const struct hunt_def *hunt_def_of(const struct hunt_ctx *ctx);
void hunt_range(const struct hunt_ctx *ctx, int64_t *since_ns, int64_t *until_ns);
/*
 * A numeric parameter's value: a plain number, or with a unit: K M G T (x1000), Ki Mi Gi Ti
 * (x1024), s m h d w (seconds), % (/100).  Declared and validated before the analysis runs.
 */
double hunt_num(const struct hunt_ctx *ctx, const char *name);
const char *hunt_str(const struct hunt_ctx *ctx, const char *name);
const struct hunt_zones *hunt_zones(const struct hunt_ctx *ctx);
const char *hunt_zone(const struct hunt_ctx *ctx, const uint8_t ip[16]);
int hunt_internal(const struct hunt_ctx *ctx, const uint8_t ip[16]);
/* The run's coverage (sessions in range …), measured before the analysis runs. */
const struct hunt_coverage *hunt_cov(const struct hunt_ctx *ctx);

/*
 * Each day file of the run's range, oldest first: cb(arg, day YYYYMMDD, sqlite3 *db).  Rows of
 * `sessions` whose first_ns lies in the range are the run's; filter with
 * "first_ns BETWEEN ?1 AND ?2" bound from hunt_range().  Non-zero from cb stops and is returned.
 */
int hunt_days(struct hunt_ctx *ctx, int (*cb)(void *arg, int day, void *db), void *arg);

/*
 * SQL on a day file (db is its sqlite3 *, stmt a sqlite3_stmt **): prepare sql, failing the run
 * with `who` and SQLite's message; hunt_prepare_range also binds ?1 and ?2 to the run's range
 * (hunt_range).  After the step loop, hunt_finish(…, st = the last step's result, …)
 * finalizes and fails the run unless st is SQLITE_DONE (the message is read before finalize).
 */
int hunt_prepare(struct hunt_ctx *ctx, void *db, const char *sql, void *stmt, const char *who);
int hunt_prepare_range(struct hunt_ctx *ctx, void *db, const char *sql, void *stmt,
                       const char *who);
int hunt_finish(struct hunt_ctx *ctx, void *db, void *stmt, int st, const char *who);
/* The number of a record path in a day file's `paths`: 0 with *pid, 1 when the day file has no
   such path, KS_ESQL. */
int hunt_path_id(void *db, const char *path, int64_t *pid);

/* Hand one result to the runner (copied).  KS_ENOMEM when it cannot keep it. */
int hunt_emit(struct hunt_ctx *ctx, const struct hunt_result *r);
/* For messages from an analysis (a bad parameter combination …): the run fails with it. */
int hunt_fail(struct hunt_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- helpers for analyses */

/* "10.1.2.3" / "2001:db8::1" of a 16-byte stored address (sqlite blob). */
void hunt_addr(const void *blob, int len, char *dst, size_t n);
/* The registered domain (public suffix + one label) of name, in dst; "" when name is a suffix or
   not a domain.  Uses the public suffix list (libpsl). */
void hunt_regdomain(const char *name, char *dst, size_t n);
/* Is name dom or a name under it?  Case-insensitive, one trailing dot ignored on either, a
   leading "*." on dom ignored; a longer label never matches ("notevil.com" is not under
   "evil.com"). */
int hunt_name_under(const char *name, const char *dom);
/* Shannon entropy of s in bits per character. */
double hunt_entropy(const char *s, size_t n);
/* Sorts v (n values) in place and returns its median / quantile q in [0,1]. */
double hunt_quantile(double *v, size_t n, double q);
/* Median absolute deviation around the median of v (sorts a copy in place of v). */
double hunt_mad(double *v, size_t n);
/* Bowley (quartile) skewness of v in [-1, 1]; 0 when the quartiles coincide. */
double hunt_bowley(double *v, size_t n);
/* Squash x >= 0 into [0, 1): x / (x + half) — score 0.5 at x = half. */
double hunt_squash(double x, double half);
/* Human text for a duration / a byte count. */
void hunt_fmt_dur(double seconds, char *dst, size_t n);
void hunt_fmt_bytes(double bytes, char *dst, size_t n);

/*
 * A hash map from byte-string keys to fixed-size values, for aggregating per entity (host pair,
 * domain, fingerprint …).  Values start zeroed.  Entries are capped (max_entries): past it
 * hunt_map_get(…, create) returns NULL and counts the refusal in m->refused, so an analysis
 * stays bounded by what it was given, and says so.
 */
struct hunt_map {
    void **slots;
    size_t nslots, n, max, vsize;
    uint64_t refused;
};
void hunt_map_init(struct hunt_map *m, size_t value_size, size_t max_entries);
/* The value for key, or NULL when absent (create 0) or refused (cap, memory). */
void *hunt_map_get(struct hunt_map *m, const void *key, size_t klen, int create);
/* Every entry, in no particular order; non-zero from cb stops and is returned. */
int hunt_map_each(struct hunt_map *m,
                  int (*cb)(void *arg, const void *key, size_t klen, void *value), void *arg);
void hunt_map_release(struct hunt_map *m);

/* A growable array of doubles capped at max values (later ones are counted, not kept). */
struct hunt_vec {
    double *v;
    size_t n, cap, max;
    uint64_t refused;
};
int hunt_vec_push(struct hunt_vec *v, double x);
void hunt_vec_release(struct hunt_vec *v);

#endif
