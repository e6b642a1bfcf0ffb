/*
 * import.c — feed import: format detection, the line formats, and what every importer shares
 * (counting, duplicate checks, problem messages).
 *
 * Detection looks at the content only:
 *   first byte '{' or '['            JSON: STIX bundle, MISP event (import_stix.c, import_misp.c)
 *   a "#fields<TAB>" line            Zeek Intel framework file (TSV)
 *   a header row naming columns      CSV: MISP CSV export, abuse.ch feeds (their header may be a
 *     (plain or as the last           "# " comment under a banner), ThreatFox, any CSV with
 *      comment line of a banner)      type/value or indicator-named columns
 *   a Suricata/Snort rule line       rules (import_suricata.c): header addresses, content of
 *     ("alert dns any any -> …")      dns.query, tls.sni, http.host/uri/user_agent, ja3/ja4…
 *   anything else                    a list, one value per line: plain lists, Suricata datasets
 *                                     (base64 "string" sets are decoded), datarep "value,rep"
 */
#include "ioc/import_int.h"

#include "core/err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- shared helpers */

/* Last c in s[0..n) (memrchr is a GNU extension). */
static const char *imp_memrchr(const char *s, int c, size_t n)
{
    while (n--)
        if (s[n] == (char)c)
            return s + n;
    return NULL;
}

size_t imp_line_of(struct imp *im, size_t offset)
{
    if (offset > im->len)
        offset = im->len;
    if (offset < im->line_off || im->line_no == 0) {
        im->line_off = 0;
        im->line_no = 1;
    }
    for (size_t i = im->line_off; i < offset; i++)
        if (im->data[i] == '\n')
            im->line_no++;
    im->line_off = offset;
    return im->line_no;
}

void imp_problem(struct imp *im, size_t line, const char *fmt, ...)
{
    struct ioc_import_report *r = im->rep;
    if (r->nproblems < IOC_REPORT_PROBLEMS) {
        char *p = r->problems[r->nproblems];
        int w = line ? snprintf(p, IOC_PROBLEM_LEN, "%s:%zu: ", im->file, line)
                     : snprintf(p, IOC_PROBLEM_LEN, "%s: ", im->file);
        if (w < 0 || w >= IOC_PROBLEM_LEN)
            w = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p + w, IOC_PROBLEM_LEN - (size_t)w, fmt, ap);
        va_end(ap);
        /* One line each: control characters from the feed become '?'. */
        for (char *q = p; *q; q++)
            if ((unsigned char)*q < ' ')
                *q = '?';
    }
    r->nproblems++;
}

static uint64_t imp_hash(int type, const char *v, const char *src)
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (uint64_t)type) * 1099511628211ULL;
    for (const char *p = v; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = src; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ? h : 1;
}

/* 1 when h was already there, 0 when added, -1 when the set is full or memory ran out (then
 * the value is emitted without a duplicate check). */
static int imp_seen_add(struct imp_seen *s, uint64_t h)
{
    if ((s->n + 1) * 2 > s->alloc) {
        size_t na = s->alloc ? s->alloc * 2 : 1024;
        if (na > (size_t)IMP_SEEN_MAX * 2)
            return -1;
        uint64_t *t = calloc(na, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < s->alloc; i++) {
            if (!s->hash[i])
                continue;
            size_t k = s->hash[i] & (na - 1);
            while (t[k])
                k = (k + 1) & (na - 1);
            t[k] = s->hash[i];
        }
        free(s->hash);
        s->hash = t;
        s->alloc = na;
    }
    size_t k = h & (s->alloc - 1);
    while (s->hash[k]) {
        if (s->hash[k] == h)
            return 1;
        k = (k + 1) & (s->alloc - 1);
    }
    s->hash[k] = h;
    s->n++;
    return 0;
}

int imp_value(struct imp *im, int type, const char *v, size_t n, const struct imp_meta *m,
              size_t line)
{
    char out[IOC_VALUE_MAX + 64];
    if (im->stop)
        return 0;
    /* An address with a prefix is a network; a network of one address is an address. */
    if ((type == IOC_IP || type == IOC_CIDR) && v) {
        int has_slash = memchr(v, '/', n) != NULL;
        type = has_slash ? IOC_CIDR : IOC_IP;
    }
    if (ioc_normalize(type, v, n, out, sizeof out) != 0) {
        im->rep->invalid++;
        imp_problem(im, line, "invalid %s value \"%.*s\"", ioc_type_name(type),
                    (int)(n > 80 ? 80 : n), v ? v : "");
        return -1;
    }
    if (type == IOC_CIDR) {
        const char *slash = strrchr(out, '/');
        int full = strchr(out, ':') ? strcmp(slash, "/128") == 0 : strcmp(slash, "/32") == 0;
        if (full) {
            type = IOC_IP;
            *(char *)slash = '\0';
        }
    }
    const char *src = im->o->source                  ? im->o->source
                      : m && m->source && *m->source ? m->source
                      : im->file_source              ? im->file_source
                                                     : im->base;
    im->rep->by_type[type]++;
    if (imp_seen_add(&im->seen, imp_hash(type, out, src)) == 1) {
        im->rep->duplicates++;
        return 0;
    }
    struct ioc ioc = {.type = type, .value = out, .source = src};
    if (m) {
        ioc.published_ns = m->published_ns;
        ioc.valid_until_ns = m->valid_until_ns;
        ioc.desc = m->desc && *m->desc ? m->desc : NULL;
        ioc.ref = m->ref && *m->ref ? m->ref : NULL;
    }
    if (im->o->expires_ns && (!ioc.valid_until_ns || im->o->expires_ns < ioc.valid_until_ns))
        ioc.valid_until_ns = im->o->expires_ns;
    im->rep->indicators++;
    int rc = im->emit ? im->emit(im->ctx, &ioc) : 0;
    if (rc)
        im->stop = rc;
    return 0;
}

void imp_typed(struct imp *im, const char *type_name, const char *v, size_t n,
               const struct imp_meta *m, size_t line)
{
    char tn[64];
    size_t tl = strlen(type_name);
    while (tl && isspace((unsigned char)type_name[tl - 1]))
        tl--;
    while (tl && isspace((unsigned char)*type_name))
        type_name++, tl--;
    if (tl == 0 || tl >= sizeof tn) {
        im->rep->unsupported++;
        imp_problem(im, line, "no usable indicator type");
        return;
    }
    for (size_t i = 0; i < tl; i++)
        tn[i] = (char)tolower((unsigned char)type_name[i]);
    tn[tl] = '\0';
    const char *bar = memchr(v, '|', n);
    if (strcmp(tn, "domain|ip") == 0 && bar) {
        imp_value(im, IOC_DOMAIN, v, (size_t)(bar - v), m, line);
        imp_value(im, IOC_IP, bar + 1, n - (size_t)(bar - v) - 1, m, line);
        return;
    }
    /* "ip-dst|port", "hostname|port": the port is dropped (konseki matches the address). */
    char *tbar = strchr(tn, '|');
    if (tbar && strcmp(tbar, "|port") == 0) {
        *tbar = '\0';
        if (bar)
            n = (size_t)(bar - v);
    } else if (tbar && strncmp(tn, "filename|", 9) == 0) {
        /* "filename|sha256": the hash identifies the file. */
        memmove(tn, tbar + 1, strlen(tbar + 1) + 1);
        if (bar) {
            n -= (size_t)(bar - v) + 1;
            v = bar + 1;
        }
    }
    /* ThreatFox "ip:port": "192.0.2.1:443", "[2001:db8::1]:443". */
    if (strcmp(tn, "ip:port") == 0) {
        const char *colon = imp_memrchr(v, ':', n);
        const char *rb = memchr(v, ']', n);
        if (n && v[0] == '[' && rb)
            v++, n = (size_t)(rb - v);
        else if (colon && memchr(v, '.', n))
            n = (size_t)(colon - v);
        imp_value(im, IOC_IP, v, n, m, line);
        return;
    }
    int type = ioc_type_parse(tn);
    if (type < 0) {
        im->rep->unsupported++;
        if (im->rep->unsupported <= 3)
            imp_problem(im, line, "type \"%s\" is not an indicator konseki matches", tn);
        return;
    }
    imp_value(im, type, v, n, m, line);
}

/* n (1..9) decimal digits; 0 or -1. */
static int imp_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t imp_days(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Seconds before 2262-01-01, the last that int64 nanoseconds hold. */
#define IMP_TIME_MAX_S 9214646400LL

int64_t imp_time(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (n >= 1 && n <= 11 && strspn(s, "0123456789") == n) {
        /* Epoch seconds ("1644131823"); MISP writes "0" for "never". */
        long long v = strtoll(s, NULL, 10);
        return v > 0 && v < IMP_TIME_MAX_S ? (int64_t)v * 1000000000LL : 0;
    }
    if (n < 10 || s[4] != '-' || s[7] != '-' || imp_digits(s, 4, &y) || imp_digits(s + 5, 2, &mo) ||
        imp_digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 2261)
        return 0; /* outside what int64 nanoseconds hold: unknown */
    const char *p = s + 10;
    int64_t frac = 0, off = 0;
    if ((*p == 'T' || *p == 't' || *p == ' ') && strlen(p) >= 9) {
        if (p[3] != ':' || p[6] != ':' || imp_digits(p + 1, 2, &h) || imp_digits(p + 4, 2, &mi) ||
            imp_digits(p + 7, 2, &se) || h > 23 || mi > 59 || se > 60)
            return 0;
        p += 9;
        if (*p == '.') {
            int64_t scale = 100000000;
            for (p++; *p >= '0' && *p <= '9'; p++) {
                frac += (*p - '0') * scale;
                scale /= 10;
            }
        }
        int oh, om;
        if ((*p == '+' || *p == '-') && strlen(p) >= 5) {
            /* "+02:00" and MISP's "+0000" */
            const char *q = p + 1;
            if (imp_digits(q, 2, &oh) == 0) {
                q += 2;
                if (*q == ':')
                    q++;
                if (imp_digits(q, 2, &om) == 0)
                    off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
            }
        }
    }
    int64_t secs = imp_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return secs > 0 && secs < IMP_TIME_MAX_S ? secs * 1000000000LL + frac : 0;
}

/* ---------------------------------------------------------------- lines */

int imp_next_line(const struct imp *im, size_t *pos, size_t *no, struct imp_line *l)
{
    if (*pos >= im->len)
        return 0;
    const char *s = (const char *)im->data + *pos;
    const char *nl = memchr(s, '\n', im->len - *pos);
    size_t n = nl ? (size_t)(nl - s) : im->len - *pos;
    l->p = s;
    l->offset = *pos;
    l->no = ++*no;
    *pos += n + (nl ? 1 : 0);
    while (n && (s[n - 1] == '\r'))
        n--;
    /* A UTF-8 byte order mark on the first line. */
    if (l->offset == 0 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        l->p += 3;
        n -= 3;
    }
    l->n = n;
    return 1;
}

void imp_trim(const char **p, size_t *n)
{
    while (*n && isspace((unsigned char)**p))
        (*p)++, (*n)--;
    while (*n && isspace((unsigned char)(*p)[*n - 1]))
        (*n)--;
}

/* ---------------------------------------------------------------- CSV */

#define CSV_MAX_COLS 64

/* Split one CSV line (RFC 4180 quoting, doubled quotes inside) into fields decoded in buf
 * (at least n + 1 bytes).  Returns the number of fields. */
static int csv_split(const char *s, size_t n, char sep, char *buf, const char **f, size_t *fl)
{
    int nf = 0;
    size_t i = 0, o = 0;
    for (;;) {
        if (nf == CSV_MAX_COLS)
            return nf;
        while (i < n && s[i] == ' ')
            i++;
        f[nf] = buf + o;
        size_t start = o;
        if (i < n && s[i] == '"') {
            i++;
            while (i < n) {
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[o++] = s[i++];
            }
            while (i < n && s[i] != sep)
                i++;
        } else {
            while (i < n && s[i] != sep)
                buf[o++] = s[i++];
        }
        fl[nf] = o - start;
        buf[o++] = '\0';
        nf++;
        if (i >= n)
            return nf;
        i++; /* the separator */
    }
}

enum col_role {
    COL_TYPE,
    COL_VALUE,
    COL_TYPED, /* the column's name says the indicator type */
    COL_DESC,
    COL_REF,
    COL_TIME,
    COL_TOIDS,
    COL_SOURCE,
    COL__COUNT
};

static const struct {
    const char *name;
    int role, type, prio; /* prio: among typed columns the lowest wins; among desc too */
} csv_names[] = {
    {"type", COL_TYPE, -1, 0},
    {"indicator_type", COL_TYPE, -1, 0},
    {"ioc_type", COL_TYPE, -1, 0},
    {"attribute_type", COL_TYPE, -1, 0},
    {"value", COL_VALUE, -1, 0},
    {"indicator", COL_VALUE, -1, 0},
    {"ioc", COL_VALUE, -1, 0},
    {"ioc_value", COL_VALUE, -1, 0},
    {"observable", COL_VALUE, -1, 0},
    {"url", COL_TYPED, IOC_URL, 1},
    {"sha256", COL_TYPED, IOC_SHA256, 2},
    {"sha256_hash", COL_TYPED, IOC_SHA256, 2},
    {"sha1", COL_TYPED, IOC_SHA1, 2},
    {"sha1_hash", COL_TYPED, IOC_SHA1, 2},
    {"md5", COL_TYPED, IOC_MD5, 2},
    {"md5_hash", COL_TYPED, IOC_MD5, 2},
    {"ja3_md5", COL_TYPED, IOC_JA3, 2},
    {"ja3", COL_TYPED, IOC_JA3, 2},
    {"ja3s", COL_TYPED, IOC_JA3S, 2},
    {"ja4", COL_TYPED, IOC_JA4, 2},
    {"cidr", COL_TYPED, IOC_CIDR, 3},
    {"subnet", COL_TYPED, IOC_CIDR, 3},
    {"dst_ip", COL_TYPED, IOC_IP, 3},
    {"ip", COL_TYPED, IOC_IP, 4},
    {"ip_address", COL_TYPED, IOC_IP, 4},
    {"ipaddress", COL_TYPED, IOC_IP, 4},
    {"domain", COL_TYPED, IOC_DOMAIN, 5},
    {"hostname", COL_TYPED, IOC_DOMAIN, 5},
    {"host", COL_TYPED, IOC_DOMAIN, 6},
    {"email", COL_TYPED, IOC_EMAIL, 6},
    {"user_agent", COL_TYPED, IOC_UA, 6},
    {"useragent", COL_TYPED, IOC_UA, 6},
    {"comment", COL_DESC, -1, 1},
    {"malware_printable", COL_DESC, -1, 2},
    {"malware", COL_DESC, -1, 3},
    {"threat", COL_DESC, -1, 4},
    {"listingreason", COL_DESC, -1, 4},
    {"reason", COL_DESC, -1, 4},
    {"tags", COL_DESC, -1, 5},
    {"description", COL_DESC, -1, 1},
    {"uuid", COL_REF, -1, 0},
    {"ioc_id", COL_REF, -1, 0},
    {"id", COL_REF, -1, 0},
    {"first_seen_utc", COL_TIME, -1, 0},
    {"first_seen", COL_TIME, -1, 0},
    {"firstseen", COL_TIME, -1, 0},
    {"dateadded", COL_TIME, -1, 0},
    {"listingdate", COL_TIME, -1, 0},
    {"date", COL_TIME, -1, 1},
    {"timestamp", COL_TIME, -1, 1},
    {"to_ids", COL_TOIDS, -1, 0},
    {"source", COL_SOURCE, -1, 0},
};

struct csv_map {
    char sep;
    int ncols;
    int col[COL__COUNT]; /* column of each role, -1 when absent */
    int typed_type;      /* the type named by col[COL_TYPED] */
    int misp;
};

static int csv_lookup(const char *name, size_t n)
{
    char lc[40];
    /* "Dateadded (UTC)" -> "dateadded"; "meta.source" -> "source" */
    const char *paren = memchr(name, '(', n);
    if (paren)
        n = (size_t)(paren - name);
    imp_trim(&name, &n);
    if (n > 5 && strncasecmp(name, "meta.", 5) == 0)
        name += 5, n -= 5;
    if (n == 0 || n >= sizeof lc)
        return -1;
    for (size_t i = 0; i < n; i++)
        lc[i] = (char)(name[i] == ' ' || name[i] == '-' ? '_' : tolower((unsigned char)name[i]));
    lc[n] = '\0';
    for (size_t i = 0; i < sizeof csv_names / sizeof csv_names[0]; i++)
        if (strcmp(lc, csv_names[i].name) == 0)
            return (int)i;
    return -1;
}

/* Map a header line; 0 when it names an indicator column, -1 when it is no header. */
static int csv_header(const char *s, size_t n, struct csv_map *m, int cert_list)
{
    char buf[4096];
    const char *f[CSV_MAX_COLS];
    size_t fl[CSV_MAX_COLS];
    if (n >= sizeof buf)
        return -1;
    memset(m, 0, sizeof *m);
    m->sep = memchr(s, ',', n) ? ',' : memchr(s, ';', n) ? ';' : memchr(s, '\t', n) ? '\t' : 0;
    if (!m->sep)
        return -1;
    int prio[COL__COUNT];
    for (int k = 0; k < COL__COUNT; k++) {
        m->col[k] = -1;
        prio[k] = 99;
    }
    int nf = csv_split(s, n, m->sep, buf, f, fl);
    int known = 0, misp = 0;
    for (int c = 0; c < nf; c++) {
        if (ioc_infer_type(f[c], fl[c]) >= 0)
            return -1; /* a data row, not a header */
        int k = csv_lookup(f[c], fl[c]);
        if (strcmp(f[c], "event_id") == 0 || strcmp(f[c], "category") == 0)
            misp++;
        if (k < 0)
            continue;
        known++;
        /* Per role the column with the lowest prio wins; the first one on a tie. */
        int role = csv_names[k].role;
        if (csv_names[k].prio < prio[role]) {
            m->col[role] = c;
            prio[role] = csv_names[k].prio;
            if (role == COL_TYPED)
                m->typed_type = csv_names[k].type;
        }
    }
    m->ncols = nf;
    m->misp = misp == 2 && m->col[COL_TYPE] >= 0 && m->col[COL_VALUE] >= 0;
    /* SSLBL's certificate list names its column "SHA1": certificate fingerprints. */
    if (cert_list && m->typed_type == IOC_SHA1)
        m->typed_type = IOC_CERT_SHA1;
    if (cert_list && m->typed_type == IOC_SHA256)
        m->typed_type = IOC_CERT_SHA256;
    if (!known || (m->col[COL_VALUE] < 0 && m->col[COL_TYPED] < 0))
        return -1;
    return 0;
}

static void csv_row(struct imp *im, const struct csv_map *m, const struct imp_line *l)
{
    char stackbuf[4096];
    char *buf = l->n < sizeof stackbuf ? stackbuf : malloc(l->n + 1);
    const char *f[CSV_MAX_COLS];
    size_t fl[CSV_MAX_COLS];
    if (!buf) {
        im->stop = KS_ENOMEM;
        return;
    }
    int nf = csv_split(l->p, l->n, m->sep, buf, f, fl);
#define CSV_F(c) ((c) >= 0 && (c) < nf ? f[c] : NULL)
    struct imp_meta meta = {
        .desc = CSV_F(m->col[COL_DESC]),
        .ref = CSV_F(m->col[COL_REF]),
        .source = CSV_F(m->col[COL_SOURCE]),
        .published_ns = imp_time(CSV_F(m->col[COL_TIME])),
    };
    const char *toids = CSV_F(m->col[COL_TOIDS]);
    if (toids && (strcmp(toids, "0") == 0 || strcasecmp(toids, "false") == 0)) {
        im->rep->skipped++;
    } else if (m->col[COL_VALUE] >= 0) {
        const char *v = CSV_F(m->col[COL_VALUE]);
        const char *t = CSV_F(m->col[COL_TYPE]);
        if (!v)
            imp_problem(im, l->no, "row has %d columns, the header %d", nf, m->ncols);
        else if (t && *t)
            imp_typed(im, t, v, fl[m->col[COL_VALUE]], &meta, l->no);
        else if (im->o->forced_type >= 0)
            imp_value(im, im->o->forced_type, v, fl[m->col[COL_VALUE]], &meta, l->no);
        else {
            int ty = ioc_infer_type(v, fl[m->col[COL_VALUE]]);
            if (ty < 0) {
                im->rep->invalid++;
                imp_problem(im, l->no, "\"%.60s\" is not a recognisable indicator", v);
            } else {
                imp_value(im, ty, v, fl[m->col[COL_VALUE]], &meta, l->no);
            }
        }
    } else {
        const char *v = CSV_F(m->col[COL_TYPED]);
        if (!v) {
            im->rep->invalid++;
            imp_problem(im, l->no, "row has %d columns, the header %d", nf, m->ncols);
        } else {
            imp_value(im, m->typed_type, v, fl[m->col[COL_TYPED]], &meta, l->no);
        }
    }
#undef CSV_F
    if (buf != stackbuf)
        free(buf);
}

/* ---------------------------------------------------------------- Zeek Intel */

/*
 * Zeek Intel framework input (base/frameworks/intel/input.zeek): tab-separated, a
 * "#fields\tindicator\tindicator_type\tmeta.source\t…" line names the columns, "-" is unset.
 */
static const struct {
    const char *name;
    int type; /* -2: hash, type by length */
} zeek_types[] = {
    {"Intel::ADDR", IOC_IP},
    {"Intel::SUBNET", IOC_CIDR},
    {"Intel::DOMAIN", IOC_DOMAIN},
    {"Intel::URL", IOC_URL},
    {"Intel::EMAIL", IOC_EMAIL},
    {"Intel::USER_AGENT", IOC_UA},
    /* Zeek matches SOFTWARE indicators against HTTP User-Agent headers
     * (policy/frameworks/intel/seen/http-user-agents.zeek).  A value shaped like a User-Agent
     * (a product/version token, RFC 9110 §10.1.5) is one for konseki; a bare software name
     * ("putty") is a software inventory entry, not something konseki sees: see zeek_row. */
    {"Intel::SOFTWARE", IOC_UA},
    {"Intel::CERT_HASH", -3},
    {"Intel::FILE_HASH", -2},
    {"Intel::JA3", IOC_JA3},
};

static void zeek_row(struct imp *im, const char *const *f, const size_t *fl, int nf, int ci, int ct,
                     int cs, int cd, const struct imp_line *l)
{
    if (ci < 0 || ct < 0 || ci >= nf || ct >= nf) {
        im->rep->invalid++;
        imp_problem(im, l->no, "expected the indicator and indicator_type columns");
        return;
    }
    struct imp_meta meta = {0};
    if (cs >= 0 && cs < nf && strcmp(f[cs], "-") != 0)
        meta.source = f[cs];
    if (cd >= 0 && cd < nf && strcmp(f[cd], "-") != 0)
        meta.desc = f[cd];
    int type = -1;
    size_t k;
    for (k = 0; k < sizeof zeek_types / sizeof zeek_types[0]; k++)
        if (strcmp(f[ct], zeek_types[k].name) == 0)
            break;
    if (k < sizeof zeek_types / sizeof zeek_types[0] && strcmp(f[ct], "Intel::SOFTWARE") == 0 &&
        !memchr(f[ci], '/', fl[ci]))
        k = sizeof zeek_types / sizeof zeek_types[0];
    if (k == sizeof zeek_types / sizeof zeek_types[0]) {
        /* Intel::USER_NAME, FILE_NAME, PUBKEY_HASH, SOFTWARE without a version: nothing
           konseki sees. */
        im->rep->unsupported++;
        imp_problem(im, l->no, "%.40s is not an indicator type konseki matches", f[ct]);
        return;
    }
    type = zeek_types[k].type;
    if (type < -1) {
        size_t n = fl[ci];
        int cert = type == -3;
        type = n == 32 && !cert ? IOC_MD5
               : n == 40        ? (cert ? IOC_CERT_SHA1 : IOC_SHA1)
               : n == 64        ? (cert ? IOC_CERT_SHA256 : IOC_SHA256)
                                : (cert ? IOC_CERT_SHA1 : IOC_SHA256);
    }
    imp_value(im, type, f[ci], fl[ci], &meta, l->no);
}

static int imp_zeek(struct imp *im)
{
    size_t pos = 0, no = 0;
    struct imp_line l;
    int ci = -1, ct = -1, cs = -1, cd = -1;
    char *buf = malloc(im->len + 1);
    if (!buf)
        return KS_ENOMEM;
    im->rep->format = "zeek-intel";
    while (!im->stop && imp_next_line(im, &pos, &no, &l)) {
        const char *f[CSV_MAX_COLS];
        size_t fl[CSV_MAX_COLS];
        if (l.n == 0)
            continue;
        int nf = csv_split(l.p, l.n, '\t', buf, f, fl);
        if (l.p[0] == '#') {
            if (strcmp(f[0], "#fields") == 0) {
                ci = ct = cs = cd = -1;
                for (int c = 1; c < nf; c++) {
                    if (strcmp(f[c], "indicator") == 0)
                        ci = c - 1;
                    else if (strcmp(f[c], "indicator_type") == 0)
                        ct = c - 1;
                    else if (strcmp(f[c], "meta.source") == 0)
                        cs = c - 1;
                    else if (strcmp(f[c], "meta.desc") == 0)
                        cd = c - 1;
                }
            }
            continue;
        }
        zeek_row(im, f, fl, nf, ci, ct, cs, cd, &l);
    }
    free(buf);
    return 0;
}

/* ---------------------------------------------------------------- lists */

static int b64v(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Strict RFC 4648 base64 decoding to printable text; length or -1. */
static int b64_text(const char *s, size_t n, char *out, size_t cap)
{
    if (n == 0 || n % 4 || n / 4 * 3 >= cap)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64v((unsigned char)s[i + k])) < 0) {
                return -1;
            }
        }
        uint32_t x =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (char)(x >> 16);
        if (pad < 2)
            out[o++] = (char)(x >> 8);
        if (pad < 1)
            out[o++] = (char)x;
    }
    for (size_t i = 0; i < o; i++)
        if ((unsigned char)out[i] < ' ' || out[i] == 0x7f)
            return -1;
    out[o] = '\0';
    return (int)o;
}

/* A list line without its comment: "value  # why" keeps "value". */
static void list_strip(struct imp_line *l)
{
    imp_trim(&l->p, &l->n);
    for (size_t i = 1; i < l->n; i++)
        if (l->p[i] == '#' && isspace((unsigned char)l->p[i - 1])) {
            l->n = i;
            break;
        }
    imp_trim(&l->p, &l->n);
}

static int imp_list(struct imp *im)
{
    size_t pos = 0, no = 0;
    struct imp_line l;
    char dec[IOC_VALUE_MAX + 8];
    /* Pass 1: is this a Suricata "string" dataset, every value base64 of text that is not an
     * indicator as written?  Then every value is decoded. */
    int all_b64 = 1, any = 0;
    while (imp_next_line(im, &pos, &no, &l)) {
        list_strip(&l);
        if (l.n == 0 || l.p[0] == '#')
            continue;
        any = 1;
        if (ioc_infer_type(l.p, l.n) >= 0 || b64_text(l.p, l.n, dec, sizeof dec) < 0) {
            all_b64 = 0;
            break;
        }
    }
    im->rep->format = any && all_b64 ? "suricata-dataset-string" : "list";
    pos = no = 0;
    while (!im->stop && imp_next_line(im, &pos, &no, &l)) {
        list_strip(&l);
        if (l.n == 0 || l.p[0] == '#')
            continue;
        const char *v = l.p;
        size_t n = l.n;
        struct imp_meta meta = {0};
        char desc[48];
        /* Suricata datarep: "value,reputation". */
        const char *comma = imp_memrchr(v, ',', n);
        int rep;
        if (comma && comma + 1 < v + n &&
            imp_digits(comma + 1, (size_t)(v + n - comma - 1), &rep) == 0 && rep >= 0) {
            snprintf(desc, sizeof desc, "reputation %d", rep);
            meta.desc = desc;
            n = (size_t)(comma - v);
            im->rep->format = "suricata-datarep";
        }
        if (all_b64) {
            int dl = b64_text(v, n, dec, sizeof dec);
            if (dl < 0) {
                im->rep->invalid++;
                imp_problem(im, l.no, "bad base64 \"%.60s\"", v);
                continue;
            }
            v = dec;
            n = (size_t)dl;
        }
        int type = im->o->forced_type >= 0 ? im->o->forced_type : ioc_infer_type(v, n);
        if (type < 0) {
            im->rep->invalid++;
            imp_problem(im, l.no, "\"%.*s\" is not a recognisable indicator (nor base64 text)",
                        (int)(n > 60 ? 60 : n), v);
            continue;
        }
        imp_value(im, type, v, n, &meta, l.no);
    }
    return 0;
}

/* ---------------------------------------------------------------- text formats */

static const struct {
    const char *needle, *source, *format;
    int cert;
} banners[] = {
    {"Feodo Tracker", "feodotracker", "abuse.ch-feodotracker", 0},
    {"JA3 Fingerprint", "sslbl-ja3", "abuse.ch-sslbl-ja3", 0},
    {"SSL Certificate", "sslbl", "abuse.ch-sslbl-cert", 1},
    {"URLhaus", "urlhaus", "abuse.ch-urlhaus", 0},
    {"ThreatFox", "threatfox", "abuse.ch-threatfox", 0},
};

static int imp_text(struct imp *im)
{
    size_t pos = 0, no = 0;
    struct imp_line l, hdr = {0};
    int banner = -1, have_hdr = 0;
    /* Up to the first data line: banner keywords, "#fields", a commented header row. */
    while (imp_next_line(im, &pos, &no, &l)) {
        const char *p = l.p;
        size_t n = l.n;
        imp_trim(&p, &n);
        if (n == 0)
            continue;
        if (p[0] != '#') {
            if (imp_suricata_rule_line(p, n))
                return imp_suricata(im);
            if (!have_hdr) {
                hdr = l;
                hdr.p = p;
                hdr.n = n;
                have_hdr = 2;
            }
            break;
        }
        if (n > 8 && strncmp(p, "#fields\t", 8) == 0)
            return imp_zeek(im);
        for (size_t b = 0; b < sizeof banners / sizeof banners[0]; b++) {
            size_t nl = strlen(banners[b].needle);
            for (size_t i = 0; banner < 0 && i + nl <= n; i++)
                if (strncasecmp(p + i, banners[b].needle, nl) == 0)
                    banner = (int)b;
        }
        /* The last comment line with separators may be the header ("# ja3_md5,Firstseen"). */
        p++, n--;
        imp_trim(&p, &n);
        if (memchr(p, ',', n)) {
            hdr = l;
            hdr.p = p;
            hdr.n = n;
            have_hdr = 1;
        }
    }
    struct csv_map map;
    int cert = banner >= 0 && banners[banner].cert;
    if (!have_hdr || csv_header(hdr.p, hdr.n, &map, cert) != 0)
        return imp_list(im);
    if (banner >= 0) {
        im->file_source = banners[banner].source;
        im->rep->format = banners[banner].format;
    } else {
        im->rep->format = map.misp ? "misp-csv" : "csv";
    }
    pos = no = 0;
    while (!im->stop && imp_next_line(im, &pos, &no, &l)) {
        const char *p = l.p;
        size_t n = l.n;
        imp_trim(&p, &n);
        if (l.offset <= hdr.offset || n == 0 || p[0] == '#')
            continue;
        csv_row(im, &map, &l);
    }
    return 0;
}

/* ---------------------------------------------------------------- entry */

int ioc_import_buf(const uint8_t *data, size_t len, const char *file_name,
                   const struct ioc_import_opts *o, ioc_emit_fn emit, void *ctx,
                   struct ioc_import_report *rep)
{
    static const struct ioc_import_opts no_opts = {.forced_type = -1};
    struct imp im = {
        .data = data,
        .len = data ? len : 0,
        .file = file_name ? file_name : "<input>",
        .o = o ? o : &no_opts,
        .emit = emit,
        .ctx = ctx,
        .rep = rep,
    };
    memset(rep, 0, sizeof *rep);
    rep->format = "empty";
    const char *slash = strrchr(im.file, '/');
    snprintf(im.base, sizeof im.base, "%s", slash ? slash + 1 : im.file);
    if (im.o->forced_type >= IOC__COUNT)
        return KS_EINVAL;
    size_t i = 0;
    if (im.len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < im.len && isspace(data[i]))
        i++;
    int rc;
    if (i < im.len && (data[i] == '{' || data[i] == '['))
        rc = imp_json(&im);
    else
        rc = imp_text(&im);
    free(im.seen.hash);
    if (rc)
        return rc;
    return im.stop;
}
