/*
 * query.h — konseki's Arkime-like expression language.
 *
 *   ip.dst == 10.1.0.0/16 && port.dst == [445, 3389] && !(proto == udp)
 *   community_id == "1:abc…"   tls.sni == *.dropbox.com   http.uri == /\.ps1$/
 *   vlan == EXISTS!            bytes > 10M                duration >= 1h
 *
 * query_parse() builds a typed, backend-neutral plan once (fields resolved,
 * values parsed: addresses, CIDRs, numbers with units, flag names, wildcards,
 * regexes).  Each store compiles the plan to its own SQL with parameters
 * (query_compile_sqlite): a query string never becomes SQL text.
 */
#ifndef KONSEKI_QUERY_QUERY_H
#define KONSEKI_QUERY_QUERY_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX_LEN 65536 /* bytes of expression text */
#define QUERY_MAX_DEPTH 64  /* nesting of ( ) and ! */
#define QUERY_MAX_NODES 4096

struct query_error {
    int col; /* 1-based column of the offending token (0 = whole query) */
    char msg[256];
};

struct query; /* opaque plan; owned by the caller, query_free() */

/* 0 or KS_EINVAL (err filled) / KS_ENOMEM.  An empty or all-blank text matches everything. */
int query_parse(const char *text, struct query **out, struct query_error *err);
void query_free(struct query *q);

enum qparam_type { QP_INT, QP_REAL, QP_TEXT, QP_BLOB };
struct qparam {
    enum qparam_type type;
    int64_t i;
    double d;
    const void *p; /* TEXT (NUL-terminated) or BLOB bytes; owned by the query */
    size_t len;
};

/*
 * SQLite: append a boolean SQL expression over the `sessions` table's columns
 * (docs/store.md) to *sql, using only '?' placeholders for values, and return
 * the values in order.  *params is owned by the query (valid until query_free).
 * Regexes compile to konseki_regexp(?, column); see query_sqlite_register().
 */
int query_compile_sqlite(const struct query *q, struct buf *sql, const struct qparam **params,
                         size_t *nparams);

/*
 * Register the SQL functions compiled queries call on a sqlite3 *: konseki_regexp(pattern,
 * value) (PCRE2, compiled once per pattern) and konseki_inranges(set, address) (long CIDR lists).
 */
int query_sqlite_register(void *sqlite3_db);

/*
 * Bind params[0..n) to a prepared sqlite3_stmt * from parameter index `first` on
 * (1-based).  Returns SQLITE_OK or the first bind error.
 */
int query_sqlite_bind(void *sqlite3_stmt, int first, const struct qparam *params, size_t n);

/*
 * IOC fields (ioc, ioc.source, ioc.type, ioc.field, ioc.observed) read the tables findings,
 * indicators and ioc_sources of the IOC store (STORE/ioc.db), attached to the day file's
 * connection.  query_uses_ioc() says whether a compiled query needs it; for a store without IOCs
 * query_ioc_schema() creates empty TEMP tables of those names (writable on a read-only
 * connection), so such queries match nothing rather than fail.
 */
int query_uses_ioc(const struct query *q);
const char *query_ioc_schema(void);

/* Names of every field the language knows with its aliases, for `konseki query --fields`. */
struct query_field_doc {
    const char *name;    /* canonical (ECS where ECS has one) */
    const char *aliases; /* space separated */
    const char *type;    /* ip, port, int, text, time, duration, flags, proto */
    const char *help;
};
const struct query_field_doc *query_fields(size_t *n);

/*
 * Whether a protocol record path is indexed for queries (store: `fields` rows).  Values that
 * identify nothing on their own (transaction ids, TTLs, classes, flag lists, cipher lists, the
 * strings fingerprints are hashed from) stay in the record JSON only, which keeps the metadata
 * small; their fingerprints (ja3, ja4, hassh) are indexed.
 */
int query_path_indexed(const char *path);

#endif
