/*
 * query_int.h — internals shared by the files of src/query/ (not part of the contract).
 *
 *   text ──lexer.c──▶ tokens ──parser.c──▶ plan (AST: AND / OR / NOT / leaf comparisons,
 *                                         values already typed by values.c, fields by fields.c)
 *        ──parser.c (nnf)──▶ negation normal form ──sqlite.c──▶ SQL text + parameters
 *
 * The SQL is produced once, at the end of query_parse(), so that query_compile_sqlite() can take
 * a const plan and hand out parameters that live as long as the plan (see sqlite.c for why the
 * SQL's shape is bounded, not just its length).
 */
#ifndef KONSEKI_QUERY_QUERY_INT_H
#define KONSEKI_QUERY_QUERY_INT_H

#include "query/query.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX_LIST 10000   /* values in one [ … ] list */
#define QUERY_MAX_PARAMS 32000 /* '?' in the SQL: SQLite's default limit is 32766 */

/* ---- lexer.c ---------------------------------------------------------------------------- */

enum qtok_kind {
    QT_END,
    QT_LPAREN,
    QT_RPAREN,
    QT_LBRACK,
    QT_RBRACK,
    QT_COMMA,
    QT_EQ,
    QT_NE,
    QT_LT,
    QT_LE,
    QT_GT,
    QT_GE,
    QT_AND,
    QT_OR,
    QT_NOT,
    QT_WORD,   /* unquoted run; text is verbatim */
    QT_STRING, /* "…"; text is the body with its escapes still in (values.c decodes them) */
    QT_REGEX,  /* /…/; text is the PCRE2 pattern (\/ already turned into /) */
    QT_EXISTS  /* EXISTS! */
};

struct qtok {
    enum qtok_kind kind;
    int col;          /* 1-based, in characters (UTF-8 code points) */
    const char *text; /* NUL-terminated, in the lexer's pool; "" for punctuation */
    size_t len;       /* bytes of text */
};

struct qlex {
    struct qtok *toks; /* toks[n - 1].kind == QT_END */
    size_t n;
    char *pool;
};

int qlex_run(const char *text, size_t len, struct qlex *lx, struct query_error *err);
void qlex_release(struct qlex *lx);
/* 1-based character column of byte offset off in text. */
int qlex_col(const char *text, size_t off);
/* Printable name of a token for messages ("'=='", "end of query", "'ip.dst'"), into dst. */
void qlex_describe(const struct qtok *t, char *dst, size_t n);

/* ---- fields.c --------------------------------------------------------------------------- */

enum qfkind {
    QF_IP,       /* 16-byte blob, IPv4 as ::ffff:a.b.c.d */
    QF_PORT,     /* 0..65535 */
    QF_INT,      /* counts with k/M/G/T */
    QF_VLAN,     /* 0..4095 */
    QF_TEXT,     /* exact, wildcard, regex */
    QF_TIME,     /* ns since the epoch; values through ktime_parse */
    QF_DURATION, /* ns; values with units */
    QF_FLAGS,    /* TCP flag bits */
    QF_PROTO,    /* IP protocol number or name */
    QF_IPVER,    /* 4 or 6 */
    QF_ID        /* event.id: 16 hex digits or decimal */
};

struct qfield {
    const char *name; /* canonical */
    enum qfkind kind;
    const char *cols[2];   /* SQL column expressions: fixed text from the table, never input */
    int ncols;             /* 2: the field matches when either column does (ip, port, vlan) */
    int nullable;          /* a column may be NULL (untagged vlan, non-TCP flags …) */
    int64_t unit_ns;       /* QF_DURATION: unit of a bare number under the canonical name */
    int64_t alias_unit_ns; /* … and under an alias ("duration" counts seconds) */
    /* a protocol record field: the path its values are indexed under (`fields` table), and the
       comparison runs on column `value` of that table; NULL for a column of `sessions` */
    const char *path;
    /* an IOC finding field: the comparison selects sessions `id IN (<sub> <atoms>)`, over the
       IOC store attached as `iocdb` (query.h, query_ioc_schema); NULL otherwise */
    const char *sub;
};

/* Case-insensitive lookup of a name or alias; NULL when unknown.  *is_alias tells which. */
const struct qfield *qfield_find(const char *name, int *is_alias);
/* The known name (canonical or alias) closest to name into dst: 1, or 0 when nothing is close. */
int qfield_suggest(const char *name, char *dst, size_t n);
/* "ip", "port" … as in query_fields(). */
const char *qfield_type(const struct qfield *f);

/*
 * How a field compares with a named IOC set ($ioc:TYPE, values.c): which indicators it can hold
 * and how they match (the paths and rules of ioc/match.c, whose sweep fills the findings).
 */
enum qioc_style {
    QI_NONE,      /* no indicator lives here: a set is an error */
    QI_ENDPOINT,  /* a session address column (16-byte blob): ip and cidr indicators */
    QI_ADDRTEXT,  /* a record path holding addresses as text (dns.resolved_ip): ip and cidr */
    QI_NAME,      /* a record path holding names: domain indicators, themselves and subdomains */
    QI_NAME_LAST, /* the same, on the last word of the value (DNS MX/SRV answer data) */
    QI_EXACT,     /* a record path whose values equal an indicator byte for byte (hashes, UA) */
    QI_LOWER      /* the same after lowercasing (JA4: its ALPN characters keep their case) */
};
/* The style of f and, for QI_EXACT / QI_LOWER, the indicator type it holds ("md5" …). */
enum qioc_style qfield_ioc(const struct qfield *f, const char **type);

/* ---- values.c --------------------------------------------------------------------------- */

enum qop { QOP_EQ, QOP_NE, QOP_LT, QOP_LE, QOP_GT, QOP_GE };

enum qvkind {
    QV_INT,       /* i */
    QV_IP,        /* lo */
    QV_RANGE,     /* lo..hi inclusive (a CIDR) */
    QV_TEXT,      /* s, exact */
    QV_GLOB,      /* s, an SQLite GLOB pattern (metacharacters of the value escaped) */
    QV_REGEX,     /* s, a PCRE2 pattern, validated */
    QV_FLAGS_ANY, /* i: some bit of the mask is set */
    QV_FLAGS_ALL, /* i: every bit of the mask is set (i == 0: no flag at all) */
    QV_EXISTS,
    QV_IOCSET /* $ioc:TYPE[@SOURCE]: i = its type (qset_type_get), s = its source (NULL: any),
                 i2 = the query's `now` (active indicators: no end, or a later one) */
};

struct qval {
    enum qvkind kind;
    int64_t i, i2;
    uint8_t lo[16], hi[16];
    char *s; /* malloc'd, owned by the plan */
};

/*
 * Parse the value token t for field f (reached as an alias when is_alias) and append what it
 * means to vals (one token may stand for several values: proto icmp = 1 and 58).  0 or
 * KS_EINVAL with err set / KS_ENOMEM.
 */
struct qvals {
    struct qval *v;
    size_t n, alloc;
};
int qval_parse(const struct qfield *f, int is_alias, enum qop op, int in_list, const struct qtok *t,
               int64_t now, struct qvals *vals, struct query_error *err);
void qvals_release(struct qvals *vals);

/* An IOC set's type: what follows $ioc: and the indicators.type it selects (values.c). */
struct qset_type {
    const char *name;   /* ip ipv4 ipv6 cidr domain ja3 … */
    const char *stored; /* indicators.type: ip cidr domain ja3 … */
    int family;         /* 4 or 6: only addresses of that family; 0: any */
};
const struct qset_type *qset_type_get(int64_t i);
/* The one way patterns are compiled (parse-time check and konseki_regexp alike); NULL on error. */
pcre2_code *qre_compile(const char *pattern, size_t len, int *errcode, PCRE2_SIZE *erroff);
/* Fill err (col, printf-style one-line message); returns KS_EINVAL. */
int qerr(struct query_error *err, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- parser.c: the plan ------------------------------------------------------------------ */

enum qnkind { QN_AND, QN_OR, QN_NOT, QN_CMP };

struct qnode {
    enum qnkind kind;
    int first, last, next; /* children / next sibling as node indices, -1 = none */
    /* QN_CMP */
    int neg; /* set by the negation-normal-form pass: the comparison is negated */
    const struct qfield *f;
    enum qop op; /* never QOP_NE after parsing: != is a negated == */
    struct qvals vals;
    int col;
    /* filled by sqlite.c */
    int cost, height;
    uint8_t *rangeset; /* many CIDRs: sorted, merged lo|hi pairs (32 bytes each), malloc'd */
    size_t rangeset_len;
};

struct query {
    struct qnode *nodes;
    size_t nnodes;
    int root; /* -1: empty query, matches everything */
    /* SQLite form, built by qsql_build() at the end of query_parse() */
    struct buf sql;
    struct qparam *params;
    size_t nparams, params_alloc;
};

/* sqlite.c: build q->sql / q->params from the plan.  0, KS_EINVAL (too complex) or KS_ENOMEM. */
int qsql_build(struct query *q, struct query_error *err);

#endif
