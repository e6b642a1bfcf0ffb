/*
 * values.c — what a value token means for a given field.
 *
 *   ip       10.1.2.3   2001:db8::1   10.1.0.0/16   2001:db8::/32          (RFC 4291 §2.2, §2.3)
 *   port     0..65535                 vlan   0..4095 (IEEE 802.1Q VID)
 *   int      1500   10k   1.5M   2G   3T          (powers of 1000: k M G T, any case)
 *   duration 250ms   1.5s   90m   1h30m   2d       (ns us ms s m h d w; bare number: the field's
 * unit) time     2024-01-15T10:00:00Z   1700000000   7d   now     (core/ktime.h) flags    syn ack
 * fin rst psh urg ece cwr (one bit: set)  |  18, 0x12 (all bits set; 0 = none) proto    tcp udp
 * icmp(1 and 58) icmp6 sctp gre esp ah igmp | 0..255  (IANA protocol numbers) ipver    ipv4 ipv6 4
 * 6             id   16 hex digits (as printed) | decimal text     word, "quoted", wildcard (* ?),
 * /regex/ any      EXISTS!   (not in a list)           $ioc:TYPE[@SOURCE], $ioc:@SOURCE (IOC sets)
 *
 * IPv4 values become the 16-byte IPv4-mapped form ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), as the
 * store keeps them, so one byte order covers both families and an IPv4 /n is a /(96+n).
 *
 * Quoted strings: \" and \\ stand for " and \; \* and \? for a literal * and ?; any other
 * backslash is itself.  An unescaped * or ? makes a text value a wildcard, quoted or not (as in
 * Arkime), so "a b*" works; every other GLOB metacharacter of the value is escaped.
 */
#include "query/query_int.h"

#include "core/err.h"
#include "core/ktime.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int qerr(struct query_error *err, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* One line, printable: values may carry control bytes. */
    for (char *p = err->msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    err->col = col;
    return KS_EINVAL;
}

void qvals_release(struct qvals *vals)
{
    for (size_t i = 0; i < vals->n; i++)
        free(vals->v[i].s);
    free(vals->v);
    vals->v = NULL;
    vals->n = vals->alloc = 0;
}

static struct qval *qvals_add(struct qvals *vals, enum qvkind kind)
{
    if (vals->n == vals->alloc) {
        size_t na = vals->alloc ? vals->alloc * 2 : 4;
        struct qval *v = realloc(vals->v, na * sizeof *v);
        if (!v)
            return NULL;
        vals->v = v;
        vals->alloc = na;
    }
    struct qval *v = &vals->v[vals->n++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    return v;
}

static int add_int(struct qvals *vals, int64_t i)
{
    struct qval *v = qvals_add(vals, QV_INT);
    if (!v)
        return KS_ENOMEM;
    v->i = i;
    return 0;
}

/* ---- numbers -------------------------------------------------------------------------------- */

/* Unsigned decimal, digits only, <= max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_hex(const char *s, size_t maxdigits, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    for (; *s; s++, n++) {
        if (!isxdigit((unsigned char)*s) || n == maxdigits)
            return -1;
        int c = tolower((unsigned char)*s);
        v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (!n)
        return -1;
    *out = v;
    return 0;
}

/*
 * "12", "1.5": digits with an optional fraction, as mantissa / 10^scale; *end is where the
 * number stops.  At most 18 digits so the mantissa fits with room for a unit.
 */
static int parse_decimal(const char *s, uint64_t *mant, int *scale, const char **end)
{
    uint64_t m = 0;
    int digits = 0, sc = 0, dot = 0;
    const char *p = s;
    for (;; p++) {
        if (isdigit((unsigned char)*p)) {
            if (++digits > 18)
                return -1;
            m = m * 10 + (uint64_t)(*p - '0');
            sc += dot;
        } else if (*p == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    if (!digits || (dot && p[-1] == '.'))
        return -1;
    *mant = m;
    *scale = sc;
    *end = p;
    return 0;
}

/* mant / 10^scale * mult as a whole number <= INT64_MAX; -1 on overflow or a fraction left. */
static int scale_value(uint64_t mant, int scale, uint64_t mult, int64_t *out)
{
    uint64_t p10 = 1, v;
    for (int i = 0; i < scale; i++)
        p10 *= 10;
    if (mult % p10 == 0) {
        if (__builtin_mul_overflow(mant, mult / p10, &v))
            return -1;
    } else {
        if (__builtin_mul_overflow(mant, mult, &v) || v % p10)
            return -1;
        v /= p10;
    }
    if (v > INT64_MAX)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Byte and packet counts: 1500, 10k, 1.5M, 2G, 3T (SI, powers of 1000). */
static int parse_count(const char *s, int64_t *out)
{
    uint64_t mant, mult = 1;
    int scale;
    const char *end;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        uint64_t v;
        if (parse_hex(s + 2, 15, &v))
            return -1;
        *out = (int64_t)v;
        return 0;
    }
    if (parse_decimal(s, &mant, &scale, &end))
        return -1;
    if (*end) {
        if (end[1])
            return -1;
        switch (tolower((unsigned char)*end)) {
        case 'k':
            mult = 1000ULL;
            break;
        case 'm':
            mult = 1000000ULL;
            break;
        case 'g':
            mult = 1000000000ULL;
            break;
        case 't':
            mult = 1000000000000ULL;
            break;
        default:
            return -1;
        }
    }
    return scale_value(mant, scale, mult, out);
}

static uint64_t duration_unit(const char **p)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000ULL},
        {"ms", 1000000ULL},
        {"s", 1000000000ULL},
        {"m", 60000000000ULL},
        {"h", 3600000000000ULL},
        {"d", 86400000000000ULL},
        {"w", 604800000000000ULL},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].name);
        if (strncasecmp(*p, units[i].name, n) == 0 && !isalpha((unsigned char)(*p)[n])) {
            *p += n;
            return units[i].ns;
        }
    }
    return 0;
}

/* "250ms", "1.5s", "1h30m"; a bare number counts bare_unit nanoseconds. */
static int parse_duration(const char *s, uint64_t bare_unit, int64_t *out)
{
    uint64_t mant, unit;
    int scale;
    int64_t total = 0, v;
    const char *p = s;
    if (!parse_decimal(s, &mant, &scale, &p) && !*p)
        return scale_value(mant, scale, bare_unit, out);
    p = s;
    do {
        /* Every part of a compound duration carries its unit. */
        if (parse_decimal(p, &mant, &scale, &p) || !(unit = duration_unit(&p)))
            return -1;
        if (scale_value(mant, scale, unit, &v) || __builtin_add_overflow(total, v, &total))
            return -1;
    } while (*p);
    *out = total;
    return 0;
}

/*
 * Times through ktime_parse(), after checks that keep its arithmetic inside int64 nanoseconds
 * (1678..2261): relative spans up to 200 years, epoch seconds up to 2^63 ns.
 */
static int parse_time(const char *s, int64_t now, int64_t *out)
{
    size_t n = strlen(s);
    if (strcasecmp(s, "now") == 0) {
        *out = now;
        return 0;
    }
    if (n >= 2 && n <= 12 && strchr("smhdw", s[n - 1])) {
        size_t digits = strspn(s, "0123456789");
        if (digits == n - 1) {
            static const char units[] = "smhdw";
            static const uint64_t secs[] = {1, 60, 3600, 86400, 604800};
            uint64_t v = strtoull(s, NULL, 10);
            if (v * secs[strchr(units, s[n - 1]) - units] > 200ULL * 366 * 86400)
                return -2;
            return ktime_parse(s, now, out) ? -1 : 0;
        }
    }
    size_t digits = strspn(s, "0123456789");
    if (digits && (s[digits] == '\0' || s[digits] == '.')) {
        uint64_t v;
        char head[16];
        if (digits > 12)
            return -2;
        memcpy(head, s, digits);
        head[digits] = '\0';
        if (parse_uint(head, INT64_MAX / KT_NS_PER_SEC - 1, &v))
            return -2;
    } else if (digits == 4 && s[4] == '-') {
        int year = atoi(s);
        if (year < 1678 || year > 2261)
            return -2;
    }
    return ktime_parse(s, now, out) ? -1 : 0;
}

/* ---- addresses ------------------------------------------------------------------------------ */

/* An address or a CIDR into v (QV_IP or QV_RANGE); -1 when it is neither, -2: bad prefix. */
static int parse_ip(const char *s, struct qval *v)
{
    char host[64];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';

    uint8_t a[16];
    int maxbits, off = 0;
    if (inet_pton(AF_INET, host, a + 12) == 1) {
        /* IPv4-mapped (RFC 4291 §2.5.5.2): ten zero bytes, two 0xff, the address. */
        memset(a, 0, 10);
        a[10] = a[11] = 0xff;
        maxbits = 32;
        off = 96;
    } else if (inet_pton(AF_INET6, host, a) == 1) {
        maxbits = 128;
    } else {
        return -1;
    }
    memcpy(v->lo, a, 16);
    if (!slash) {
        v->kind = QV_IP;
        return 0;
    }
    uint64_t bits;
    if (strlen(slash + 1) > 3 || parse_uint(slash + 1, (uint64_t)maxbits, &bits))
        return -2;
    /* Host bits may be set (10.1.2.3/16): the network is what counts. */
    int plen = off + (int)bits;
    for (int i = 0; i < 16; i++) {
        int keep = plen - 8 * i; /* bits of this byte inside the prefix */
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        v->lo[i] = a[i] & mask;
        v->hi[i] = (uint8_t)(a[i] | (uint8_t)~mask);
    }
    v->kind = QV_RANGE;
    return 0;
}

/* ---- text ----------------------------------------------------------------------------------- */

/*
 * Decode a value into its literal text and, when it has an unescaped * or ?, an SQLite GLOB
 * pattern (sqlite3 func.c patternCompare: * ? [...] are special; [x] matches x literally).
 */
static int decode_text(const struct qtok *t, char **lit, char **glob)
{
    size_t n = t->len;
    char *l = malloc(n + 1), *g = malloc(3 * n + 1);
    size_t li = 0, gi = 0;
    int wild = 0;
    if (!l || !g) {
        free(l);
        free(g);
        return KS_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        char c = t->text[i];
        int literal = 1;
        if (t->kind == QT_STRING && c == '\\' && i + 1 < n && strchr("\"\\*?", t->text[i + 1])) {
            c = t->text[++i];
        } else if (c == '*' || c == '?') {
            literal = 0;
            wild = 1;
        }
        l[li++] = c;
        if (literal && strchr("*?[]", c)) {
            g[gi++] = '[';
            g[gi++] = c;
            g[gi++] = ']';
        } else {
            g[gi++] = c;
        }
    }
    l[li] = g[gi] = '\0';
    *lit = l;
    if (wild) {
        *glob = g;
    } else {
        free(g);
        *glob = NULL;
    }
    return 0;
}

pcre2_code *qre_compile(const char *pattern, size_t len, int *errcode, PCRE2_SIZE *erroff)
{
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) {
        *errcode = PCRE2_ERROR_NOMEMORY;
        *erroff = 0;
        return NULL;
    }
    /* Bounded nesting: patterns come from users and fuzzers. */
    pcre2_set_parens_nest_limit(cc, 64);
    /* Stored text is UTF-8; a value that is not should not match rather than fail. */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   errcode, erroff, cc);
    pcre2_compile_context_free(cc);
    return re;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int64_t bits;
} tcp_flag_names[] = {
    /* RFC 9293 §3.1 and RFC 3168 §6.1 (ECE, CWR) */
    {"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08},
    {"ack", 0x10}, {"urg", 0x20}, {"ece", 0x40}, {"cwr", 0x80},
};

static const struct {
    const char *name;
    int p1, p2;
} proto_names[] = {
    /* IANA Assigned Internet Protocol Numbers; "icmp" means ICMP of either IP version */
    {"tcp", 6, -1},     {"udp", 17, -1},       {"icmp", 1, 58},   {"icmp6", 58, -1},
    {"icmpv6", 58, -1}, {"ipv6-icmp", 58, -1}, {"sctp", 132, -1}, {"gre", 47, -1},
    {"esp", 50, -1},    {"ah", 51, -1},        {"igmp", 2, -1},
};

static int value_error(const struct qfield *f, const struct qtok *t, const char *lit,
                       struct query_error *err)
{
    char what[64];
    qlex_describe(t, what, sizeof what);
    const char *hint =
        strpbrk(lit, "*?") && f->kind != QF_TEXT ? " (wildcards work on text fields only)" : "";
    switch (f->kind) {
    case QF_IP:
        return qerr(err, t->col, "%s is not an IP address%s", what, hint);
    case QF_PORT:
        return qerr(err, t->col, "%s is not a port (0-65535)%s", what, hint);
    case QF_VLAN:
        return qerr(err, t->col, "%s is not a VLAN id (0-4095)%s", what, hint);
    case QF_INT:
        return qerr(err, t->col, "%s is not a count (whole number, k M G T suffixes)%s", what,
                    hint);
    case QF_DURATION:
        return qerr(err, t->col, "%s is not a duration (e.g. 250ms, 1.5s, 1h30m)%s", what, hint);
    case QF_TIME:
        return qerr(err, t->col, "%s is not a time (RFC 3339, epoch seconds, or 7d, 3h ...)%s",
                    what, hint);
    case QF_FLAGS:
        return qerr(err, t->col,
                    "%s is not a TCP flag (fin syn rst psh ack urg ece cwr, or a mask 0-4095)",
                    what);
    case QF_PROTO:
        return qerr(err, t->col,
                    "%s is not an IP protocol (tcp udp icmp icmp6 sctp gre esp ah igmp, or "
                    "0-255)",
                    what);
    case QF_IPVER:
        return qerr(err, t->col, "%s is not an IP version (ipv4, ipv6)", what);
    case QF_ID:
        return qerr(err, t->col, "%s is not a session id (16 hex digits or a decimal)", what);
    case QF_TEXT:
        break;
    }
    return qerr(err, t->col, "bad value %s", what);
}

static int parse_id(const char *s, int64_t *out)
{
    uint64_t v;
    size_t n = strlen(s);
    if (n == 16 && strspn(s, "0123456789abcdefABCDEF") == 16)
        return parse_hex(s, 16, &v) ? -1 : (*out = (int64_t)v, 0);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_hex(s + 2, 16, &v) ? -1 : (*out = (int64_t)v, 0);
    if (s[0] == '-') {
        if (parse_uint(s + 1, (uint64_t)INT64_MAX + 1, &v))
            return -1;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        return 0;
    }
    if (parse_uint(s, UINT64_MAX, &v))
        return -1;
    *out = (int64_t)v; /* ids are 64 bits; SQLite keeps them signed */
    return 0;
}

static int parse_typed(const struct qfield *f, int is_alias, enum qop op, const struct qtok *t,
                       const char *lit, int64_t now, struct qvals *vals, struct query_error *err)
{
    uint64_t u;
    int64_t i;
    int rc;
    switch (f->kind) {
    case QF_IP: {
        struct qval tmp;
        memset(&tmp, 0, sizeof tmp);
        rc = parse_ip(lit, &tmp);
        if (rc == -2) {
            char what[64];
            qlex_describe(t, what, sizeof what);
            return qerr(err, t->col, "%s has a bad prefix length (0-32 for IPv4, 0-128 for IPv6)",
                        what);
        }
        if (rc)
            return value_error(f, t, lit, err);
        if (tmp.kind == QV_RANGE && op != QOP_EQ && op != QOP_NE)
            return qerr(err, t->col, "ordering compares with one address, not a CIDR");
        struct qval *v = qvals_add(vals, tmp.kind);
        if (!v)
            return KS_ENOMEM;
        *v = tmp;
        return 0;
    }
    case QF_PORT:
        if (parse_uint(lit, 65535, &u))
            return value_error(f, t, lit, err);
        return add_int(vals, (int64_t)u);
    case QF_VLAN:
        if (parse_uint(lit, 4095, &u))
            return value_error(f, t, lit, err);
        return add_int(vals, (int64_t)u);
    case QF_INT:
        if (parse_count(lit, &i))
            return value_error(f, t, lit, err);
        return add_int(vals, i);
    case QF_DURATION:
        if (parse_duration(lit, (uint64_t)(is_alias ? f->alias_unit_ns : f->unit_ns), &i))
            return value_error(f, t, lit, err);
        return add_int(vals, i);
    case QF_TIME:
        if ((rc = parse_time(lit, now, &i)) == -2)
            return qerr(err, t->col,
                        "'%.40s' is out of range (years 1678-2261, at most 200 "
                        "years back)",
                        lit);
        if (rc)
            return value_error(f, t, lit, err);
        return add_int(vals, i);
    case QF_ID:
        if (parse_id(lit, &i))
            return value_error(f, t, lit, err);
        return add_int(vals, i);
    case QF_IPVER:
        if (!strcasecmp(lit, "ipv4") || !strcasecmp(lit, "v4") || !strcmp(lit, "4"))
            return add_int(vals, 4);
        if (!strcasecmp(lit, "ipv6") || !strcasecmp(lit, "v6") || !strcmp(lit, "6"))
            return add_int(vals, 6);
        return value_error(f, t, lit, err);
    case QF_PROTO:
        for (size_t k = 0; k < sizeof proto_names / sizeof proto_names[0]; k++) {
            if (strcasecmp(lit, proto_names[k].name))
                continue;
            if ((rc = add_int(vals, proto_names[k].p1)))
                return rc;
            return proto_names[k].p2 < 0 ? 0 : add_int(vals, proto_names[k].p2);
        }
        if (parse_uint(lit, 255, &u))
            return value_error(f, t, lit, err);
        return add_int(vals, (int64_t)u);
    case QF_FLAGS: {
        struct qval *v;
        for (size_t k = 0; k < sizeof tcp_flag_names / sizeof tcp_flag_names[0]; k++) {
            if (strcasecmp(lit, tcp_flag_names[k].name))
                continue;
            if (!(v = qvals_add(vals, QV_FLAGS_ANY)))
                return KS_ENOMEM;
            v->i = tcp_flag_names[k].bits;
            return 0;
        }
        /* A mask: 12 bits, the flags field of RFC 9293 §3.1 with the reserved bits. */
        if (lit[0] == '0' && (lit[1] == 'x' || lit[1] == 'X') ? parse_hex(lit + 2, 3, &u)
                                                              : parse_uint(lit, 4095, &u))
            return value_error(f, t, lit, err);
        if (u > 4095)
            return value_error(f, t, lit, err);
        if (!(v = qvals_add(vals, QV_FLAGS_ALL)))
            return KS_ENOMEM;
        v->i = (int64_t)u;
        return 0;
    }
    case QF_TEXT:
        break;
    }
    return value_error(f, t, lit, err);
}

/* ---- IOC sets ------------------------------------------------------------------------------- */

/*
 * $ioc:TYPE, $ioc:TYPE@SOURCE, $ioc:@SOURCE: the active indicators of the IOC store (ioc.db) of
 * one type, optionally listed by one source; a bare @SOURCE means every type that fits the
 * field.  TYPE is an indicator type (ioc/ioc.h) or ipv4 / ipv6 (addresses of one family).
 */
static const struct qset_type qset_types[] = {
    {"ip", "ip", 0},
    {"ipv4", "ip", 4},
    {"ipv6", "ip", 6},
    {"cidr", "cidr", 0},
    {"domain", "domain", 0},
    {"url", "url", 0},
    {"ua", "ua", 0},
    {"ja3", "ja3", 0},
    {"ja3s", "ja3s", 0},
    {"ja4", "ja4", 0},
    {"cert-sha1", "cert-sha1", 0},
    {"cert-sha256", "cert-sha256", 0},
    {"cert-serial", "cert-serial", 0},
    {"md5", "md5", 0},
    {"sha1", "sha1", 0},
    {"sha256", "sha256", 0},
    {"email", "email", 0},
};
#define NSETS (sizeof qset_types / sizeof qset_types[0])

const struct qset_type *qset_type_get(int64_t i)
{
    return i >= 0 && (size_t)i < NSETS ? &qset_types[i] : NULL;
}

/* Does set type k fit a field of this style (holding `held`, for exact styles)? */
static int set_fits(enum qioc_style style, const char *held, size_t k)
{
    const char *stored = qset_types[k].stored;
    switch (style) {
    case QI_ENDPOINT:
    case QI_ADDRTEXT:
        return !strcmp(stored, "ip") || !strcmp(stored, "cidr");
    case QI_NAME:
    case QI_NAME_LAST:
        return !strcmp(stored, "domain");
    case QI_EXACT:
    case QI_LOWER:
        return !strcmp(stored, held);
    case QI_NONE:
        break;
    }
    return 0;
}

/* "$ioc:domain", "$ioc:ip, $ioc:ipv4, $ioc:ipv6 or $ioc:cidr": the sets a field takes. */
static void sets_fitting(enum qioc_style style, const char *held, char *dst, size_t n)
{
    size_t o = 0, count = 0, total = 0;
    dst[0] = '\0';
    for (size_t k = 0; k < NSETS; k++)
        total += (size_t)set_fits(style, held, k);
    for (size_t k = 0; k < NSETS && o < n; k++) {
        if (!set_fits(style, held, k))
            continue;
        count++;
        o += (size_t)snprintf(dst + o, n - o, "%s$ioc:%s",
                              count == 1       ? ""
                              : count == total ? " or "
                                               : ", ",
                              qset_types[k].name);
    }
}

static int add_set(struct qvals *vals, size_t k, const char *source, size_t srclen, int64_t now)
{
    struct qval *v = qvals_add(vals, QV_IOCSET);
    if (!v)
        return KS_ENOMEM;
    v->i = (int64_t)k;
    v->i2 = now;
    if (source && !(v->s = strndup(source, srclen)))
        return KS_ENOMEM;
    return 0;
}

static int parse_ioc_set(const struct qfield *f, enum qop op, const struct qtok *t, int64_t now,
                         struct qvals *vals, struct query_error *err)
{
    const char *name = t->text + 5, *at = strchr(name, '@');
    size_t tlen = at ? (size_t)(at - name) : strlen(name);
    const char *held;
    enum qioc_style style = qfield_ioc(f, &held);
    size_t k = NSETS;
    if (op != QOP_EQ && op != QOP_NE)
        return qerr(err, t->col, "an IOC set needs == or !=");
    if (at && !at[1])
        return qerr(err, t->col, "'%.60s' names no source after '@'", t->text);
    if (!tlen && !at)
        return qerr(err, t->col,
                    "'%.60s' names no set (write $ioc:TYPE, $ioc:TYPE@SOURCE or $ioc:@SOURCE)",
                    t->text);
    if (tlen) {
        for (k = 0; k < NSETS; k++)
            if (strlen(qset_types[k].name) == tlen && !strncasecmp(qset_types[k].name, name, tlen))
                break;
        if (k == NSETS)
            return qerr(err, t->col,
                        "unknown indicator type '%.*s' in %.60s (ip ipv4 ipv6 cidr domain ua ja3 "
                        "ja3s ja4 cert-sha1 cert-sha256 md5 sha1 sha256; a source alone: "
                        "$ioc:@NAME)",
                        (int)(tlen > 40 ? 40 : tlen), name, t->text);
        /* no field holds these as they are stored (query/fields.c ioc_paths) */
        const char *s = qset_types[k].stored;
        if (!strcmp(s, "url") || !strcmp(s, "cert-serial") || !strcmp(s, "email"))
            return qerr(err, t->col,
                        "$ioc:%s cannot be compared in a query (such indicators need the sweep's "
                        "normalisation): select the sessions they matched with ioc.type == %s",
                        qset_types[k].name, s);
    }
    if (style == QI_NONE)
        return qerr(err, t->col,
                    "'%s' holds no indicators: IOC sets fit addresses, DNS/TLS/HTTP names, "
                    "user agents, JA3/JA4 and certificate and file hashes",
                    f->name);
    if (!tlen) {
        /* every type that fits the field, from that source */
        for (k = 0; k < NSETS; k++) {
            if (qset_types[k].family || !set_fits(style, held, k))
                continue;
            int rc = add_set(vals, k, at + 1, strlen(at + 1), now);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (!set_fits(style, held, k)) {
        char fit[160];
        sets_fitting(style, held, fit, sizeof fit);
        return qerr(err, t->col, "$ioc:%s does not fit '%s', which takes %s", qset_types[k].name,
                    f->name, fit);
    }
    return add_set(vals, k, at ? at + 1 : NULL, at ? strlen(at + 1) : 0, now);
}

int qval_parse(const struct qfield *f, int is_alias, enum qop op, int in_list, const struct qtok *t,
               int64_t now, struct qvals *vals, struct query_error *err)
{
    int eq = op == QOP_EQ || op == QOP_NE;
    struct qval *v;
    if (t->kind == QT_EXISTS) {
        if (in_list)
            return qerr(err, t->col, "EXISTS! cannot be in a list");
        if (!eq)
            return qerr(err, t->col, "EXISTS! needs == or !=");
        return qvals_add(vals, QV_EXISTS) ? 0 : KS_ENOMEM;
    }
    if (t->kind == QT_REGEX) {
        if (f->kind != QF_TEXT)
            return qerr(err, t->col, "a regex needs a text field; '%s' is %s", f->name,
                        qfield_type(f));
        if (!eq)
            return qerr(err, t->col, "a regex needs == or !=");
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = qre_compile(t->text, t->len, &code, &off);
        if (!re) {
            PCRE2_UCHAR msg[160];
            if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
                snprintf((char *)msg, sizeof msg, "error %d", code);
            return qerr(err, t->col, "bad regex: %s (at offset %zu of the pattern)",
                        (const char *)msg, (size_t)off);
        }
        pcre2_code_free(re);
        if (!(v = qvals_add(vals, QV_REGEX)) || !(v->s = strdup(t->text)))
            return KS_ENOMEM;
        return 0;
    }
    if (t->kind == QT_WORD && t->text[0] == '$') {
        if (strncasecmp(t->text, "$ioc:", 5) == 0)
            return parse_ioc_set(f, op, t, now, vals, err);
        return qerr(err, t->col,
                    "unknown named set '%.40s' (IOC sets are written $ioc:TYPE, $ioc:TYPE@SOURCE "
                    "or $ioc:@SOURCE)",
                    t->text);
    }
    if (t->kind != QT_WORD && t->kind != QT_STRING) {
        char what[64];
        qlex_describe(t, what, sizeof what);
        return qerr(err, t->col, "expected a value, found %s", what);
    }

    char *lit, *glob;
    int rc = decode_text(t, &lit, &glob);
    if (rc)
        return rc;
    if (f->kind == QF_TEXT) {
        if (!(v = qvals_add(vals, glob ? QV_GLOB : QV_TEXT))) {
            rc = KS_ENOMEM;
        } else if (glob) {
            v->s = glob;
            glob = NULL;
        } else {
            v->s = lit;
            lit = NULL;
        }
    } else {
        rc = parse_typed(f, is_alias, op, t, lit, now, vals, err);
    }
    free(lit);
    free(glob);
    return rc;
}
