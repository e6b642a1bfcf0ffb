/* test_ioc_match.c — indicator sets (ioc/match.h) and the IOC store (ioc/iocdb.h). */
#include "t.h"

#include "core/err.h"
#include "ioc/iocdb.h"
#include "ioc/match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every hit as "ioc@field=observed;" in order. */
struct hits {
    char s[2048];
};

static int on_hit(void *ctx, int64_t ioc, int64_t until, const char *field, const char *observed)
{
    struct hits *h = ctx;
    size_t n = strlen(h->s);
    (void)until;
    snprintf(h->s + n, sizeof h->s - n, "%lld@%s=%s;", (long long)ioc, field, observed);
    return 0;
}

static const char *val(const struct ioc_matcher *m, const char *path, const char *v)
{
    static struct hits h;
    h.s[0] = '\0';
    if (ioc_match_value(m, path, v, on_hit, &h))
        return "ERR";
    return h.s;
}

static const char *addr(const struct ioc_matcher *m, const char *text)
{
    static struct hits h;
    uint8_t lo[16], hi[16];
    h.s[0] = '\0';
    if (ioc_value_range(IOC_IP, text, lo, hi))
        return "BAD";
    if (ioc_match_addr(m, lo, "destination.ip", on_hit, &h))
        return "ERR";
    return h.s;
}

static struct ioc_matcher *matcher(void)
{
    struct ioc_matcher *m;
    if (ioc_matcher_new(&m))
        return NULL;
    static const struct {
        int type;
        const char *v;
    } set[] = {
        {IOC_DOMAIN, "evil.com"},                                                         /* 1 */
        {IOC_DOMAIN, "cdn.example.org.edge.example.net"},                                 /* 2 */
        {IOC_IP, "203.0.113.80"},                                                         /* 3 */
        {IOC_CIDR, "198.51.100.0/24"},                                                    /* 4 */
        {IOC_CIDR, "198.51.0.0/16"},                                                      /* 5 */
        {IOC_IP, "2001:db8::1"},                                                          /* 6 */
        {IOC_CIDR, "2001:db8:10::/48"},                                                   /* 7 */
        {IOC_JA3, "ddbd6dcac4a3a7624912e37036fef3c9"},                                    /* 8 */
        {IOC_CERT_SERIAL, "08bb00ee"},                                                    /* 9 */
        {IOC_SHA256, "26096646d224850b078facf7656baf2c8df9f7fcdd1daba47505a5e7054b1964"}, /* 10 */
        {IOC_URL, "http://downloads.example.com/files/a.pdf"},                            /* 11 */
        {IOC_URL, "http://alt.example.com:8080/x"},                                       /* 12 */
        {IOC_UA, "BadBot/1.0"},                                                           /* 13 */
        {IOC_CERT_SHA1, "506b870bff352f27cb98e2a72cef0e15390ef395"},                      /* 14 */
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (ioc_matcher_add(m, (int64_t)i + 1, set[i].type, set[i].v, 0)) {
            ioc_matcher_free(m);
            return NULL;
        }
    return m;
}

TEST(ioc_match_domain_suffixes_never_longer_labels)
{
    struct ioc_matcher *m = matcher();
    ASSERT_TRUE(m != NULL);
    ASSERT_STR_EQ(val(m, "dns.question.name", "evil.com"), "1@dns.question.name=evil.com;");
    ASSERT_STR_EQ(val(m, "dns.question.name", "a.b.EVIL.com."),
                  "1@dns.question.name=a.b.evil.com;");
    ASSERT_STR_EQ(val(m, "dns.question.name", "notevil.com"), "");
    ASSERT_STR_EQ(val(m, "dns.question.name", "evil.com.au"), "");
    ASSERT_STR_EQ(val(m, "dns.question.name", "com"), "");
    ASSERT_STR_EQ(val(m, "tls.client.server_name", "x.evil.com"),
                  "1@tls.client.server_name=x.evil.com;");
    ASSERT_STR_EQ(val(m, "tls.server.x509.alternative_names", "*.evil.com"),
                  "1@tls.server.x509.alternative_names=evil.com;");
    /* answers: CNAME targets whole, MX/SRV data by their last word */
    ASSERT_STR_EQ(val(m, "dns.answers.data", "10 mx.evil.com"), "1@dns.answers.data=mx.evil.com;");
    ASSERT_STR_EQ(val(m, "dns.answers.data", "cdn.example.org.edge.example.net"),
                  "2@dns.answers.data=cdn.example.org.edge.example.net;");
    ASSERT_STR_EQ(val(m, "dns.answers.data", "example.org.edge.example.net"), "");
    /* a path no indicator lives under */
    ASSERT_STR_EQ(val(m, "http.request.method", "evil.com"), "");
    ioc_matcher_free(m);
}

TEST(ioc_match_addresses_and_networks)
{
    struct ioc_matcher *m = matcher();
    ASSERT_TRUE(m != NULL);
    ASSERT_STR_EQ(addr(m, "203.0.113.80"), "3@destination.ip=203.0.113.80;");
    ASSERT_STR_EQ(addr(m, "203.0.113.81"), ""); /* the neighbour */
    ASSERT_STR_EQ(addr(m, "203.0.113.79"), "");
    /* nested networks: both match, the most specific first */
    ASSERT_STR_EQ(addr(m, "198.51.100.43"),
                  "4@destination.ip=198.51.100.43;5@destination.ip=198.51.100.43;");
    ASSERT_STR_EQ(addr(m, "198.51.101.1"), "5@destination.ip=198.51.101.1;");
    ASSERT_STR_EQ(addr(m, "198.52.0.1"), "");
    ASSERT_STR_EQ(addr(m, "2001:db8::1"), "6@destination.ip=2001:db8::1;");
    ASSERT_STR_EQ(addr(m, "2001:db8::2"), "");
    ASSERT_STR_EQ(addr(m, "2001:db8:10:ffff::1"), "7@destination.ip=2001:db8:10:ffff::1;");
    ASSERT_STR_EQ(addr(m, "2001:db8:11::1"), "");
    /* an IPv4 network never covers IPv6 addresses with the same low bits */
    ASSERT_STR_EQ(addr(m, "::c633:642b"), "");
    ASSERT_STR_EQ(val(m, "dns.resolved_ip", "198.51.100.77"),
                  "4@dns.resolved_ip=198.51.100.77;5@dns.resolved_ip=198.51.100.77;");
    ASSERT_STR_EQ(val(m, "dns.resolved_ip", "not an address"), "");
    ASSERT_EQ(ioc_matcher_add(m, 99, IOC_CIDR, "10.0.0.0/33", 0), KS_EINVAL);
    ASSERT_EQ(ioc_matcher_add(m, 99, IOC_IP, "10.0.0.256", 0), KS_EINVAL);
    ioc_matcher_free(m);
}

TEST(ioc_match_exact_values)
{
    struct ioc_matcher *m = matcher();
    ASSERT_TRUE(m != NULL);
    ASSERT_STR_EQ(val(m, "tls.client.ja3", "DDBD6DCAC4A3A7624912E37036FEF3C9"),
                  "8@tls.client.ja3=DDBD6DCAC4A3A7624912E37036FEF3C9;");
    ASSERT_STR_EQ(val(m, "tls.client.ja3", "ddbd6dcac4a3a7624912e37036fef3c8"), "");
    /* a JA3 value under the JA3S path is not a JA3S indicator */
    ASSERT_STR_EQ(val(m, "tls.server.ja3s", "ddbd6dcac4a3a7624912e37036fef3c9"), "");
    ASSERT_STR_EQ(val(m, "tls.server.x509.serial_number", "00:08:BB:00:EE"),
                  "9@tls.server.x509.serial_number=00:08:BB:00:EE;");
    ASSERT_STR_EQ(val(m, "tls.server.x509.serial_number", "08bb00ef"), "");
    ASSERT_STR_EQ(
        val(m, "file.hash.sha256",
            "26096646d224850b078facf7656baf2c8df9f7fcdd1daba47505a5e7054b1964"),
        "10@file.hash.sha256=26096646d224850b078facf7656baf2c8df9f7fcdd1daba47505a5e7054b1964;");
    ASSERT_STR_EQ(val(m, "file.hash.sha256",
                      "26096646d224850b078facf7656baf2c8df9f7fcdd1daba47505a5e7054b1965"),
                  "");
    ASSERT_STR_EQ(val(m, "tls.server.hash.sha1", "506b870bff352f27cb98e2a72cef0e15390ef395"),
                  "14@tls.server.hash.sha1=506b870bff352f27cb98e2a72cef0e15390ef395;");
    ASSERT_STR_EQ(val(m, "user_agent.original", "BadBot/1.0"),
                  "13@user_agent.original=BadBot/1.0;");
    ASSERT_STR_EQ(val(m, "user_agent.original", "badbot/1.0"), ""); /* a UA is exact */
    ioc_matcher_free(m);
}

TEST(ioc_match_urls)
{
    struct ioc_matcher *m = matcher();
    ASSERT_TRUE(m != NULL);
    struct hits h = {""};
    ASSERT_EQ(ioc_match_url(m, "Downloads.Example.com", 80, "/files/a.pdf", on_hit, &h), 0);
    ASSERT_STR_EQ(h.s, "11@url.original=http://downloads.example.com/files/a.pdf;");
    h.s[0] = '\0';
    ASSERT_EQ(ioc_match_url(m, "downloads.example.com", 80, "/files/A.pdf", on_hit, &h), 0);
    ASSERT_STR_EQ(h.s, ""); /* the path is case-sensitive */
    ASSERT_EQ(ioc_match_url(m, "downloads.example.com", 8000, "/files/a.pdf", on_hit, &h), 0);
    ASSERT_STR_EQ(h.s, "");
    ASSERT_EQ(ioc_match_url(m, "alt.example.com", 8080, "/x", on_hit, &h), 0);
    ASSERT_STR_EQ(h.s, "12@url.original=http://alt.example.com:8080/x;");
    h.s[0] = '\0';
    /* absolute-form request target (through a proxy) */
    ASSERT_EQ(
        ioc_match_url(m, "proxy", 3128, "HTTP://Downloads.example.com:80/files/a.pdf", on_hit, &h),
        0);
    ASSERT_STR_EQ(h.s, "11@url.original=http://downloads.example.com/files/a.pdf;");
    ioc_matcher_free(m);
}

/* "a-b c-d …": ranges as their last address bytes (hex), for short expectations */
static const char *ranges(const struct ioc_matcher *m)
{
    static char out[512];
    uint8_t *r;
    size_t n, o = 0;
    out[0] = '\0';
    if (ioc_matcher_ranges(m, &r, &n))
        return "ERR";
    for (size_t i = 0; i < n; i++) {
        const uint8_t *lo = r + 32 * i, *hi = lo + 16;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%02x%02x%02x%02x-%02x%02x%02x%02x",
                              i ? " " : "", lo[12], lo[13], lo[14], lo[15], hi[12], hi[13], hi[14],
                              hi[15]);
    }
    free(r);
    return out;
}

TEST(ioc_matcher_walk_orders)
{
    /* what a sweep walks: ranges sorted and merged, keys in SQLite's BINARY order */
    struct ioc_matcher *m;
    ASSERT_EQ(ioc_matcher_new(&m), 0);
    ASSERT_STR_EQ(ranges(m), "");
    ASSERT_EQ(ioc_matcher_add(m, 1, IOC_CIDR, "198.51.100.0/24", 0), 0);
    ASSERT_EQ(ioc_matcher_add(m, 2, IOC_IP, "198.51.100.7", 0), 0);        /* inside the /24 */
    ASSERT_EQ(ioc_matcher_add(m, 3, IOC_CIDR, "198.51.100.128/25", 0), 0); /* nested */
    ASSERT_EQ(ioc_matcher_add(m, 4, IOC_IP, "10.0.0.1", 0), 0);
    ASSERT_EQ(ioc_matcher_add(m, 5, IOC_IP, "10.0.0.2", 0), 0); /* adjacent: kept apart */
    ASSERT_EQ(ioc_matcher_add(m, 6, IOC_CIDR, "198.51.101.0/24", 0), 0);
    ASSERT_STR_EQ(ranges(m), "0a000001-0a000001 0a000002-0a000002 c6336400-c63364ff "
                             "c6336500-c63365ff");
    ASSERT_EQ(ioc_matcher_add(m, 7, IOC_CIDR, "198.51.100.0/23", 0), 0); /* covers both */
    ASSERT_STR_EQ(ranges(m), "0a000001-0a000001 0a000002-0a000002 c6336400-c63365ff");
    /* IPv6 after IPv4 (::ffff:0:0/96 sorts below 2001::) */
    ASSERT_EQ(ioc_matcher_add(m, 8, IOC_IP, "2001:db8::1", 0), 0);
    uint8_t *r;
    size_t n;
    ASSERT_EQ(ioc_matcher_ranges(m, &r, &n), 0);
    ASSERT_EQ(n, 4);
    ASSERT_EQ(r[32 * 3], 0x20);
    free(r);

    ASSERT_EQ(ioc_matcher_add(m, 9, IOC_MD5, "abc", 0), 0);
    ASSERT_EQ(ioc_matcher_add(m, 10, IOC_MD5, "b", 0), 0);
    ASSERT_EQ(ioc_matcher_add(m, 11, IOC_MD5, "ab", 0), 0);
    ASSERT_EQ(ioc_matcher_add(m, 12, IOC_SHA1, "aa", 0), 0); /* another type */
    struct ioc_key *k;
    ASSERT_EQ(ioc_matcher_keys(m, IOC_MD5, &k, &n), 0);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(k[0].len, 2);
    ASSERT_TRUE(memcmp(k[0].p, "ab", 2) == 0);
    ASSERT_EQ(k[1].len, 3);
    ASSERT_TRUE(memcmp(k[2].p, "b", 1) == 0);
    free(k);
    ASSERT_EQ(ioc_matcher_keys(m, IOC_JA3, &k, &n), 0); /* none loaded */
    ASSERT_EQ(n, 0);
    ASSERT_TRUE(k == NULL);
    ASSERT_TRUE(ioc_key_cmp("ab", 2, "abc", 3) < 0);
    ASSERT_TRUE(ioc_key_cmp("b", 1, "abc", 3) > 0);
    ASSERT_EQ(ioc_key_cmp("ab", 2, "ab", 2), 0);

    /* which paths a sweep reads, and how */
    int type;
    ASSERT_EQ(ioc_match_path_scan(m, "file.hash.md5", &type), IOC_SCAN_KEYS);
    ASSERT_EQ(type, IOC_MD5);
    ASSERT_EQ(ioc_match_path_scan(m, "dns.resolved_ip", &type), IOC_SCAN_DISTINCT);
    ASSERT_EQ(ioc_match_path_scan(m, "dns.question.name", &type), IOC_SCAN_NONE); /* no domain */
    ASSERT_EQ(ioc_match_path_scan(m, "url.original", &type), IOC_SCAN_NONE);
    ASSERT_EQ(ioc_match_path_scan(m, "http.request.method", &type), IOC_SCAN_NONE);
    ASSERT_EQ(ioc_matcher_add(m, 13, IOC_JA4, "t13d1516h2_8daaf6152771_b186095e22b6", 0), 0);
    ASSERT_EQ(ioc_match_path_scan(m, "tls.client.ja4", &type), IOC_SCAN_DISTINCT); /* case */
    ASSERT_EQ(ioc_matcher_add(m, 14, IOC_URL, "http://a.example/x", 0), 0);
    ASSERT_EQ(ioc_match_path_scan(m, "url.original", &type), IOC_SCAN_ROWS);
    ioc_matcher_free(m);
}

TEST(ioc_value_range_forms)
{
    uint8_t lo[16], hi[16];
    ASSERT_EQ(ioc_value_range(IOC_CIDR, "10.1.0.0/16", lo, hi), 0);
    ASSERT_EQ(lo[10], 0xff);
    ASSERT_EQ(lo[12], 10);
    ASSERT_EQ(lo[13], 1);
    ASSERT_EQ(hi[14], 0xff);
    ASSERT_EQ(hi[15], 0xff);
    ASSERT_EQ(ioc_value_range(IOC_CIDR, "10.1.2.3/16", lo, hi), 0); /* host bits dropped */
    ASSERT_EQ(lo[14], 0);
    ASSERT_EQ(ioc_value_range(IOC_DOMAIN, "evil.com", lo, hi), KS_EINVAL);
    ASSERT_EQ(ioc_value_range(IOC_CIDR, "/8", lo, hi), KS_EINVAL);
    ASSERT_EQ(ioc_value_range(IOC_CIDR, "1.2.3.4/-1", lo, hi), KS_EINVAL);
}

/* ---- the store --------------------------------------------------------------------------------
 */

static int count_entry(void *ctx, const struct iocdb_entry *e)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s:%s[%s];", ioc_type_name(e->type), e->value, e->sources);
    return 0;
}

static const char *entries(struct iocdb *db, const struct iocdb_filter *f)
{
    static char out[512];
    out[0] = '\0';
    if (iocdb_each(db, f, count_entry, out))
        return "ERR";
    return out;
}

TEST(iocdb_sources_merge_and_remove)
{
    struct iocdb *db;
    char msg[256];
    ASSERT_EQ(iocdb_open(&db, t_tmpdir(), 0, msg, sizeof msg), 0);
    struct ioc a = {IOC_DOMAIN, "evil.com", "feodo", 0, 0, NULL, NULL};
    struct ioc b = {IOC_DOMAIN, "evil.com", "urlhaus", 1000, 0, "c2", "id-1"};
    struct ioc c = {IOC_IP, "192.0.2.1", "feodo", 0, 0, NULL, NULL};
    int64_t id1, id2, id3;
    int fresh;
    ASSERT_EQ(iocdb_add(db, &a, 1, &id1, &fresh), 0);
    ASSERT_EQ(fresh, 1);
    ASSERT_EQ(iocdb_add(db, &b, 2, &id2, &fresh), 0);
    ASSERT_EQ(fresh, 0);
    ASSERT_EQ(id1, id2);
    ASSERT_EQ(iocdb_add(db, &c, 3, &id3, &fresh), 0);
    ASSERT_EQ(iocdb_max_id(db), id3);
    ASSERT_STR_EQ(entries(db, NULL), "domain:evil.com[feodo,urlhaus];ip:192.0.2.1[feodo];");
    struct iocdb_filter f = {.type = -1, .source = "urlhaus"};
    ASSERT_STR_EQ(entries(db, &f), "domain:evil.com[feodo,urlhaus];");

    /* a finding, merged from two sightings in either order */
    struct iocdb_finding f1 = {id1, 77, 1, 20240115, "url.domain", "x.evil.com", 500, 600};
    struct iocdb_finding f2 = {id1, 77, 0, 20240115, "dns.question.name", "evil.com", 100, 200};
    ASSERT_EQ(iocdb_finding_put(db, &f1, 9, &fresh), 0);
    ASSERT_EQ(fresh, 1);
    ASSERT_EQ(iocdb_finding_put(db, &f2, 9, &fresh), 0);
    ASSERT_EQ(fresh, 0);
    struct iocdb_summary s;
    ASSERT_EQ(iocdb_summary(db, 9, &s), 0);
    ASSERT_EQ(s.findings, 1);
    ASSERT_EQ(s.sessions, 1);
    ASSERT_EQ(s.first_ns, 100);
    ASSERT_EQ(s.last_ns, 600);

    /* removing one source keeps the indicator the other still lists */
    uint64_t removed;
    ASSERT_EQ(iocdb_remove(db, &f, &removed), 0);
    ASSERT_EQ(removed, 0);
    ASSERT_STR_EQ(entries(db, NULL), "domain:evil.com[feodo];ip:192.0.2.1[feodo];");
    struct iocdb_filter feodo = {.type = -1, .source = "feodo"};
    ASSERT_EQ(iocdb_remove(db, &feodo, &removed), 0);
    ASSERT_EQ(removed, 2);
    ASSERT_STR_EQ(entries(db, NULL), "");
    ASSERT_EQ(iocdb_summary(db, 9, &s), 0);
    ASSERT_EQ(s.findings, 0); /* findings went with their indicator */
    iocdb_close(db);
}

static int hit_text(void *ctx, const struct iocdb_hit *h)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%llu/%u/%d %s=%s %lld-%lld;", (unsigned long long)h->f.session,
             h->f.piece, h->f.day, h->f.field, h->f.observed, (long long)h->f.first_ns,
             (long long)h->f.last_ns);
    return 0;
}

TEST(iocdb_finding_merge_is_order_independent)
{
    struct iocdb_finding v[] = {
        {1, 5, 2, 20240116, "url.domain", "x.example", 900, 950},
        {1, 5, 0, 20240115, "tls.server.chain.sha1", "ab", 100, 150},
        {1, 5, 1, 20240115, "tls.server.hash.sha1", "ab", 300, 350},
    };
    char got[2][256];
    for (int order = 0; order < 2; order++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%d", t_tmpdir(), order);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
        struct iocdb *db;
        char msg[256];
        ASSERT_EQ(iocdb_open(&db, dir, 0, msg, sizeof msg), 0);
        struct ioc x = {IOC_IP, "192.0.2.1", "s", 0, 0, NULL, NULL};
        int64_t id;
        int fresh;
        ASSERT_EQ(iocdb_add(db, &x, 1, &id, &fresh), 0);
        for (int i = 0; i < 3; i++)
            ASSERT_EQ(iocdb_finding_put(db, &v[order ? 2 - i : i], 7, NULL), 0);
        struct iocdb_hit_filter hf = {INT64_MIN, INT64_MAX, NULL, 0};
        got[order][0] = '\0';
        ASSERT_EQ(iocdb_hits_each(db, &hf, hit_text, got[order]), 0);
        iocdb_close(db);
    }
    ASSERT_STR_EQ(got[0], got[1]);
    /* the certificate's own field wins over the chain's; earliest piece and span */
    ASSERT_STR_EQ(got[0], "5/0/20240115 tls.server.hash.sha1=ab 100-950;");
}
