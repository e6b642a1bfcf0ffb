/*
 * match.c — the indicator sets and the value lookups (match.h).
 *
 * One open-addressing hash table holds every indicator under a key that says what it is:
 *   [type][canonical text]                 domain, URL, UA, JA3, hashes, serial …
 *   [IOC_IP][16 bytes]                     an address
 *   [IOC_CIDR][prefix length][16 bytes]    a network, masked (IPv4 prefixes counted from
 * ::ffff:0:0/96) (type, value) is unique in the IOC store, so a key names exactly one indicator.
 * Keys live in one growing pool (offsets, not pointers); the table is kept at most half full.
 */
#include "ioc/match.h"

#include "core/addr.h"
#include "core/err.h"
#include "ioc/iocdb.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 255   /* longest DNS name we look up (RFC 1035 §2.3.4: 255 octets) */
#define VALUE_MAX_LEN 4096 /* longest URL / UA we look up; longer values cannot match */

struct slot {
    uint64_t hash;
    size_t off; /* key bytes in pool; 0 = empty slot (the pool starts with one unused byte) */
    uint32_t len;
    int64_t ioc, until;
};

struct ioc_matcher {
    struct slot *slots;
    size_t cap, n;
    uint8_t *pool;
    size_t pool_len, pool_cap;
    size_t by_type[IOC__COUNT];
    uint8_t plen_seen[129]; /* CIDR prefix lengths loaded (over the 16-byte form) */
    uint8_t plens[129];
    int nplens;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h | 1; /* never 0 */
}

int ioc_matcher_new(struct ioc_matcher **out)
{
    struct ioc_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return KS_ENOMEM;
    m->cap = 1024;
    m->slots = calloc(m->cap, sizeof *m->slots);
    m->pool_cap = 4096;
    m->pool = malloc(m->pool_cap);
    if (!m->slots || !m->pool) {
        ioc_matcher_free(m);
        return KS_ENOMEM;
    }
    m->pool_len = 1;
    *out = m;
    return 0;
}

void ioc_matcher_free(struct ioc_matcher *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m->pool);
    free(m);
}

size_t ioc_matcher_count(const struct ioc_matcher *m, int type)
{
    if (type < 0)
        return m->n;
    return type < IOC__COUNT ? m->by_type[type] : 0;
}

static const struct slot *lookup(const struct ioc_matcher *m, const uint8_t *key, size_t len)
{
    uint64_t h = fnv(key, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const struct slot *s = &m->slots[i];
        if (!s->off)
            return NULL;
        if (s->hash == h && s->len == len && memcmp(m->pool + s->off, key, len) == 0)
            return s;
    }
}

static int grow(struct ioc_matcher *m)
{
    size_t nc = m->cap * 2;
    struct slot *ns = calloc(nc, sizeof *ns);
    if (!ns)
        return KS_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].off)
            continue;
        size_t j = m->slots[i].hash & (nc - 1);
        while (ns[j].off)
            j = (j + 1) & (nc - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return 0;
}

static int put(struct ioc_matcher *m, const uint8_t *key, size_t len, int64_t ioc, int64_t until)
{
    if (lookup(m, key, len))
        return 0; /* the same indicator twice: the store makes (type, value) unique */
    if (m->n >= IOC_MATCH_MAX_INDICATORS)
        return KS_ELIMIT;
    int rc;
    if ((m->n + 1) * 2 > m->cap && (rc = grow(m)))
        return rc;
    if (m->pool_len + len > m->pool_cap) {
        size_t nc = m->pool_cap;
        while (m->pool_len + len > nc)
            nc *= 2;
        uint8_t *np = realloc(m->pool, nc);
        if (!np)
            return KS_ENOMEM;
        m->pool = np;
        m->pool_cap = nc;
    }
    memcpy(m->pool + m->pool_len, key, len);
    uint64_t h = fnv(key, len);
    size_t i = h & (m->cap - 1);
    while (m->slots[i].off)
        i = (i + 1) & (m->cap - 1);
    m->slots[i] = (struct slot){h, m->pool_len, (uint32_t)len, ioc, until};
    m->pool_len += len;
    m->n++;
    return 0;
}

/* ---- values ---------------------------------------------------------------------------------- */

static int parse_addr(const char *s, uint8_t a[16])
{
    uint8_t v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        memset(a, 0, 10);
        a[10] = a[11] = 0xff;
        memcpy(a + 12, v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, s, a) == 1 ? 0 : KS_EINVAL;
}

static void mask(uint8_t a[16], int plen)
{
    for (int i = 0; i < 16; i++) {
        int bits = plen - 8 * i;
        a[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
    }
}

/* "a.b.c.d/n" or "v6/n" into the masked 16-byte network and the prefix length over 16 bytes. */
static int parse_cidr(const char *s, uint8_t net[16], int *plen)
{
    char tmp[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof tmp)
        return KS_EINVAL;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    int v4 = strchr(tmp, ':') == NULL;
    if (parse_addr(tmp, net))
        return KS_EINVAL;
    int max = v4 ? 32 : 128, p = max;
    if (slash) {
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || v < 0 || v > max)
            return KS_EINVAL;
        p = (int)v;
    }
    *plen = v4 ? 96 + p : p;
    mask(net, *plen);
    return 0;
}

int ioc_value_range(int type, const char *value, uint8_t lo[16], uint8_t hi[16])
{
    int plen = 128;
    if (type == IOC_IP) {
        if (parse_addr(value, lo))
            return KS_EINVAL;
    } else if (type != IOC_CIDR || parse_cidr(value, lo, &plen)) {
        return KS_EINVAL;
    }
    memcpy(hi, lo, 16);
    for (int i = 0; i < 16; i++) {
        int bits = plen - 8 * i;
        if (bits < 8)
            hi[i] |= bits <= 0 ? 0xff : (uint8_t)(0xff >> bits);
    }
    return 0;
}

/* Lowercase hex without colons or leading zero bytes (ioc.h's serial form); 0 or -1. */
static int serial_form(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in; in++) {
        if (*in == ':' || *in == ' ')
            continue;
        if (!isxdigit((unsigned char)*in) || o + 1 >= cap)
            return -1;
        out[o++] = (char)tolower((unsigned char)*in);
    }
    out[o] = '\0';
    size_t skip = 0;
    while (skip + 2 < o + (o & 1) && out[skip] == '0' && out[skip + 1] == '0')
        skip += 2;
    if (skip)
        memmove(out, out + skip, o - skip + 1);
    return o ? 0 : -1;
}

static int text_key(uint8_t *key, size_t cap, int type, const char *v, size_t n)
{
    if (n + 1 > cap)
        return -1;
    key[0] = (uint8_t)type;
    memcpy(key + 1, v, n);
    return (int)(n + 1);
}

int ioc_matcher_add(struct ioc_matcher *m, int64_t id, int type, const char *value,
                    int64_t valid_until_ns)
{
    uint8_t key[VALUE_MAX_LEN + 2];
    int len;
    if (type < 0 || type >= IOC__COUNT || !value)
        return KS_EINVAL;
    if (type == IOC_IP) {
        key[0] = IOC_IP;
        if (parse_addr(value, key + 1))
            return KS_EINVAL;
        len = 17;
    } else if (type == IOC_CIDR) {
        int plen;
        key[0] = IOC_CIDR;
        if (parse_cidr(value, key + 2, &plen))
            return KS_EINVAL;
        key[1] = (uint8_t)plen;
        len = 18;
        if (!m->plen_seen[plen]) {
            m->plen_seen[plen] = 1;
            /* longest prefixes first: a lookup reports the most specific network first */
            int i = m->nplens++;
            while (i > 0 && m->plens[i - 1] < plen) {
                m->plens[i] = m->plens[i - 1];
                i--;
            }
            m->plens[i] = (uint8_t)plen;
        }
    } else if (type == IOC_CERT_SERIAL) {
        char s[VALUE_MAX_LEN];
        if (serial_form(value, s, sizeof s))
            return KS_EINVAL;
        len = text_key(key, sizeof key, type, s, strlen(s));
    } else {
        len = text_key(key, sizeof key, type, value, strlen(value));
    }
    if (len < 0)
        return KS_EINVAL;
    int rc = put(m, key, (size_t)len, id, valid_until_ns);
    if (!rc)
        m->by_type[type]++;
    return rc;
}

struct load_ctx {
    struct ioc_matcher *m;
    int rc;
};

static int load_one(void *ctx, const struct iocdb_entry *e)
{
    struct load_ctx *l = ctx;
    int rc = ioc_matcher_add(l->m, e->id, e->type, e->value, e->valid_until_ns);
    if (rc == KS_EINVAL)
        return 0; /* cannot match anything: skip it */
    l->rc = rc;
    return rc;
}

int ioc_matcher_load(struct ioc_matcher *m, struct iocdb *db, const struct iocdb_filter *f)
{
    struct load_ctx l = {m, 0};
    int rc = iocdb_each(db, f, load_one, &l);
    return rc ? rc : l.rc;
}

/* ---- lookups --------------------------------------------------------------------------------- */

static void addr_text(const uint8_t a[16], char *dst, size_t n)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int v4 = memcmp(a, mapped, 12) == 0;
    if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? a + 12 : a, dst, (socklen_t)n))
        snprintf(dst, n, "?");
}

int ioc_match_addr(const struct ioc_matcher *m, const uint8_t a[16], const char *field,
                   ioc_hit_fn cb, void *ctx)
{
    if (!m->by_type[IOC_IP] && !m->by_type[IOC_CIDR])
        return 0;
    uint8_t key[18];
    char text[64];
    int have_text = 0, rc;
    key[0] = IOC_IP;
    memcpy(key + 1, a, 16);
    const struct slot *s = m->by_type[IOC_IP] ? lookup(m, key, 17) : NULL;
    if (s) {
        addr_text(a, text, sizeof text);
        have_text = 1;
        if ((rc = cb(ctx, s->ioc, s->until, field, text)))
            return rc;
    }
    for (int i = 0; i < m->nplens; i++) {
        key[0] = IOC_CIDR;
        key[1] = m->plens[i];
        memcpy(key + 2, a, 16);
        mask(key + 2, m->plens[i]);
        if (!(s = lookup(m, key, 18)))
            continue;
        if (!have_text) {
            addr_text(a, text, sizeof text);
            have_text = 1;
        }
        if ((rc = cb(ctx, s->ioc, s->until, field, text)))
            return rc;
    }
    return 0;
}

/* Every label suffix of name (lowercased, trailing dot and a leading "*." dropped). */
static int match_name(const struct ioc_matcher *m, const char *field, const char *name,
                      ioc_hit_fn cb, void *ctx)
{
    uint8_t key[NAME_MAX_LEN + 2];
    size_t n = strlen(name);
    if (n > 2 && name[0] == '*' && name[1] == '.')
        name += 2, n -= 2;
    while (n && name[n - 1] == '.')
        n--;
    if (!n || n > NAME_MAX_LEN)
        return 0;
    char obs[NAME_MAX_LEN + 1]; /* the name as matched, for the finding */
    key[0] = IOC_DOMAIN;
    for (size_t i = 0; i < n; i++)
        key[1 + i] = (uint8_t)(obs[i] = (char)tolower((unsigned char)name[i]));
    obs[n] = '\0';
    for (size_t start = 0; start < n;) {
        const struct slot *s = lookup(m, key + start, n - start + 1);
        if (s) {
            int rc = cb(ctx, s->ioc, s->until, field, obs);
            if (rc)
                return rc;
        }
        const uint8_t *dot = memchr(key + 1 + start, '.', n - start);
        if (!dot)
            break;
        start = (size_t)(dot - (key + 1)) + 1;
        key[start] = IOC_DOMAIN; /* the byte before the suffix becomes its type tag */
    }
    return 0;
}

static int match_exact(const struct ioc_matcher *m, int type, const char *field, const char *v,
                       int lower, ioc_hit_fn cb, void *ctx)
{
    uint8_t key[VALUE_MAX_LEN + 2];
    size_t n = strlen(v);
    if (!m->by_type[type] || n == 0 || n > VALUE_MAX_LEN)
        return 0;
    key[0] = (uint8_t)type;
    for (size_t i = 0; i < n; i++)
        key[1 + i] = lower ? (uint8_t)tolower((unsigned char)v[i]) : (uint8_t)v[i];
    const struct slot *s = lookup(m, key, n + 1);
    return s ? cb(ctx, s->ioc, s->until, field, v) : 0;
}

/*
 * MK_HEX: a digest konseki itself writes as lowercase hex (JA3/JA3S, certificate and file
 * hashes), so a stored value equals the canonical indicator byte for byte and a sweep may look
 * the indicators up instead of reading every value (ioc_match_path_scan).  MK_EXACT is
 * compared lowercased too, but its stored form may have capitals (JA4's ALPN characters).
 */
enum mkind { MK_NAME, MK_NAME_LAST, MK_ADDR, MK_HEX, MK_EXACT, MK_EXACT_CASE, MK_SERIAL };

static const struct match_path {
    const char *path;
    enum mkind kind;
    int type;
} match_paths[] = {
    {"dns.question.name", MK_NAME, IOC_DOMAIN},
    {"dns.answers.data", MK_NAME_LAST, IOC_DOMAIN}, /* CNAME/NS/PTR targets, MX/SRV last word */
    {"dns.resolved_ip", MK_ADDR, IOC_IP},
    {"tls.client.server_name", MK_NAME, IOC_DOMAIN},
    {"tls.server.x509.subject.common_name", MK_NAME, IOC_DOMAIN},
    {"tls.server.x509.alternative_names", MK_NAME, IOC_DOMAIN},
    {"url.domain", MK_NAME, IOC_DOMAIN},
    {"user_agent.original", MK_EXACT_CASE, IOC_UA},
    {"tls.client.ja3", MK_HEX, IOC_JA3},
    {"tls.server.ja3s", MK_HEX, IOC_JA3S},
    {"tls.client.ja4", MK_EXACT, IOC_JA4},
    {"tls.server.hash.sha1", MK_HEX, IOC_CERT_SHA1},
    {"tls.server.hash.sha256", MK_HEX, IOC_CERT_SHA256},
    {"tls.server.chain.sha1", MK_HEX, IOC_CERT_SHA1},
    {"tls.server.chain.sha256", MK_HEX, IOC_CERT_SHA256},
    {"tls.server.x509.serial_number", MK_SERIAL, IOC_CERT_SERIAL},
    {"file.hash.md5", MK_HEX, IOC_MD5},
    {"file.hash.sha1", MK_HEX, IOC_SHA1},
    {"file.hash.sha256", MK_HEX, IOC_SHA256},
};
#define NPATHS (sizeof match_paths / sizeof match_paths[0])

const char *const *ioc_match_paths(void)
{
    static const char *list[NPATHS + 2];
    if (!list[0]) {
        for (size_t i = 0; i < NPATHS; i++)
            list[i] = match_paths[i].path;
        list[NPATHS] = "url.original";
    }
    return list;
}

static const struct match_path *find_path(const char *path)
{
    for (size_t i = 0; i < NPATHS; i++)
        if (!strcmp(match_paths[i].path, path))
            return &match_paths[i];
    return NULL;
}

int ioc_match_value(const struct ioc_matcher *m, const char *path, const char *value, ioc_hit_fn cb,
                    void *ctx)
{
    const struct match_path *p = find_path(path);
    if (!p || !value || !m->n)
        return 0;
    switch (p->kind) {
    case MK_NAME:
        return m->by_type[IOC_DOMAIN] ? match_name(m, p->path, value, cb, ctx) : 0;
    case MK_NAME_LAST: {
        if (!m->by_type[IOC_DOMAIN])
            return 0;
        const char *sp = strrchr(value, ' ');
        return match_name(m, p->path, sp ? sp + 1 : value, cb, ctx);
    }
    case MK_ADDR: {
        uint8_t a[16];
        char tmp[64];
        size_t n = strlen(value);
        if (n >= sizeof tmp)
            return 0;
        memcpy(tmp, value, n + 1);
        if (parse_addr(tmp, a))
            return 0;
        return ioc_match_addr(m, a, p->path, cb, ctx);
    }
    case MK_HEX:
    case MK_EXACT:
        return match_exact(m, p->type, p->path, value, 1, cb, ctx);
    case MK_EXACT_CASE:
        return match_exact(m, p->type, p->path, value, 0, cb, ctx);
    case MK_SERIAL: {
        char s[VALUE_MAX_LEN];
        if (!m->by_type[IOC_CERT_SERIAL] || serial_form(value, s, sizeof s))
            return 0;
        uint8_t key[VALUE_MAX_LEN + 2];
        int len = text_key(key, sizeof key, IOC_CERT_SERIAL, s, strlen(s));
        const struct slot *hit = len > 0 ? lookup(m, key, (size_t)len) : NULL;
        return hit ? cb(ctx, hit->ioc, hit->until, p->path, value) : 0;
    }
    }
    return 0;
}

int ioc_match_url(const struct ioc_matcher *m, const char *host, int port, const char *target,
                  ioc_hit_fn cb, void *ctx)
{
    if (!m->by_type[IOC_URL] || !target || !*target)
        return 0;
    /* canonical form (ioc.h): lowercase scheme and host, default port dropped */
    char url[VALUE_MAX_LEN + 1];
    size_t o = 0;
    if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8)) {
        /* absolute-form (a proxy request): lowercase up to the path */
        size_t i = 0;
        int slashes = 0;
        for (; target[i] && o < VALUE_MAX_LEN; i++) {
            if (target[i] == '/' && ++slashes == 3)
                break;
            url[o++] = (char)tolower((unsigned char)target[i]);
        }
        size_t rest = strlen(target + i);
        if (o + rest > VALUE_MAX_LEN)
            return 0;
        memcpy(url + o, target + i, rest);
        o += rest;
        url[o] = '\0';
        size_t hl = strlen("http://");
        if (o > hl + 3 && !strncmp(url, "http://", hl)) {
            char *colon = strstr(url + hl, ":80");
            if (colon && (colon[3] == '/' || colon[3] == '\0') && colon < strchr(url + hl, '/'))
                memmove(colon, colon + 3, strlen(colon + 3) + 1);
        }
    } else {
        if (!host || !*host || target[0] != '/')
            return 0;
        int n = port && port != 80 ? snprintf(url, sizeof url, "http://%s:%d", host, port)
                                   : snprintf(url, sizeof url, "http://%s", host);
        if (n < 0 || (size_t)n >= sizeof url)
            return 0;
        for (int i = 7; i < n; i++)
            url[i] = (char)tolower((unsigned char)url[i]);
        size_t rest = strlen(target);
        if ((size_t)n + rest > VALUE_MAX_LEN)
            return 0;
        memcpy(url + n, target, rest + 1);
    }
    return match_exact(m, IOC_URL, "url.original", url, 0, cb, ctx);
}

/* ---- what a sweep reads -------------------------------------------------------------------- */

int ioc_match_path_scan(const struct ioc_matcher *m, const char *path, int *type)
{
    *type = -1;
    if (!strcmp(path, "url.original")) {
        *type = IOC_URL;
        return m->by_type[IOC_URL] ? IOC_SCAN_ROWS : IOC_SCAN_NONE;
    }
    const struct match_path *p = find_path(path);
    if (!p)
        return IOC_SCAN_NONE;
    *type = p->type;
    if (p->kind == MK_ADDR)
        return m->by_type[IOC_IP] || m->by_type[IOC_CIDR] ? IOC_SCAN_DISTINCT : IOC_SCAN_NONE;
    if (!m->by_type[p->type])
        return IOC_SCAN_NONE;
    return p->kind == MK_HEX || p->kind == MK_EXACT_CASE ? IOC_SCAN_KEYS : IOC_SCAN_DISTINCT;
}

/* SQLite's BINARY order of text and blobs: the bytes, then the length. */
int ioc_key_cmp(const void *a, size_t na, const void *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int cmp_key(const void *a, const void *b)
{
    const struct ioc_key *x = a, *y = b;
    return ioc_key_cmp(x->p, x->len, y->p, y->len);
}

int ioc_matcher_keys(const struct ioc_matcher *m, int type, struct ioc_key **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (type < 0 || type >= IOC__COUNT || type == IOC_IP || type == IOC_CIDR || !m->by_type[type])
        return 0;
    struct ioc_key *k = malloc(m->by_type[type] * sizeof *k);
    if (!k)
        return KS_ENOMEM;
    size_t c = 0;
    for (size_t i = 0; i < m->cap && c < m->by_type[type]; i++) {
        const struct slot *s = &m->slots[i];
        if (s->off && m->pool[s->off] == (uint8_t)type)
            k[c++] = (struct ioc_key){m->pool + s->off + 1, s->len - 1};
    }
    qsort(k, c, sizeof *k, cmp_key);
    *out = k;
    *n = c;
    return 0;
}

int ioc_matcher_ranges(const struct ioc_matcher *m, uint8_t **out, size_t *n)
{
    size_t want = m->by_type[IOC_IP] + m->by_type[IOC_CIDR], c = 0;
    *out = NULL;
    *n = 0;
    if (!want)
        return 0;
    uint8_t *r = malloc(want * 32);
    if (!r)
        return KS_ENOMEM;
    for (size_t i = 0; i < m->cap && c < want; i++) {
        const struct slot *s = &m->slots[i];
        const uint8_t *key = m->pool + s->off;
        if (!s->off || (key[0] != IOC_IP && key[0] != IOC_CIDR))
            continue;
        uint8_t *lo = r + 32 * c, *hi = lo + 16;
        int plen = key[0] == IOC_IP ? 128 : key[1];
        memcpy(lo, key[0] == IOC_IP ? key + 1 : key + 2, 16);
        memcpy(hi, lo, 16);
        for (int b = 0; b < 16; b++) {
            int bits = plen - 8 * b;
            if (bits < 8)
                hi[b] |= bits <= 0 ? 0xff : (uint8_t)(0xff >> bits);
        }
        c++;
    }
    /* sorted by lo, nested and overlapping ranges merged: disjoint, in order */
    size_t o = addr_ranges_merge(r, c);
    *out = r;
    *n = o;
    return 0;
}
