/*
 * Unit tests for the IOC importers (src/ioc/import*.c, normalize.c, json.c): every feed in
 * ../shared/feeds imports with the counts its MANIFEST.md states, the cross-format set (one
 * MISP event as MISP JSON, MISP CSV and STIX 2.0) gives one indicator set, and small files
 * written here from the formats' specs cover what those feeds lack (defanged values, IDN,
 * IPv6, CIDRs, bad lines, expiry, other CSV layouts, broken JSON).
 */
#include "t.h"

#include "core/err.h"
#include "ioc/ioc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- helpers */

/* Feed root: $KONSEKI_FEEDS, ../shared/feeds next to the repository, or the feeds folder
 * beside $KONSEKI_CORPUS (a worktree uses that); NULL when none exists. */
static const char *t_feeds(void)
{
    static char path[PATH_MAX + 64];
    struct stat st;
    const char *env = getenv("KONSEKI_FEEDS");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/../../shared/feeds", t_srcdir());
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return path;
    const char *corpus = t_corpus();
    if (corpus) {
        snprintf(path, sizeof path, "%s/../feeds", corpus);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return path;
    }
    return NULL;
}

#define T_MAX_IOCS 256

struct got {
    size_t n;
    char item[T_MAX_IOCS][160]; /* "type value" */
    char source[T_MAX_IOCS][48];
    int64_t until[T_MAX_IOCS], published[T_MAX_IOCS];
    int stop_after;
};

static int got_emit(void *ctx, const struct ioc *i)
{
    struct got *g = ctx;
    if (g->n < T_MAX_IOCS) {
        snprintf(g->item[g->n], sizeof g->item[0], "%s %s", ioc_type_name(i->type), i->value);
        snprintf(g->source[g->n], sizeof g->source[0], "%s", i->source);
        g->until[g->n] = i->valid_until_ns;
        g->published[g->n] = i->published_ns;
    }
    g->n++;
    return g->stop_after && g->n >= (size_t)g->stop_after ? 42 : 0;
}

static int got_has(const struct got *g, const char *item)
{
    for (size_t i = 0; i < g->n && i < T_MAX_IOCS; i++)
        if (strcmp(g->item[i], item) == 0)
            return (int)i + 1;
    return 0;
}

static int imp_str(const char *text, struct got *g, struct ioc_import_report *r, int type)
{
    struct ioc_import_opts o = {.forced_type = type};
    memset(g, 0, sizeof *g);
    return ioc_import_buf((const uint8_t *)text, strlen(text), "t.txt", &o, got_emit, g, r);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Import feeds/<rel>; 0 when done, -1 when the feeds are absent (the test then skips). */
static int imp_feed(const char *rel, struct got *g, struct ioc_import_report *r)
{
    const char *root = t_feeds();
    char path[PATH_MAX + 256];
    if (!root) {
        t_skip("no feeds: set KONSEKI_FEEDS or KONSEKI_CORPUS (../shared/feeds)");
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", root, rel);
    size_t len;
    uint8_t *data = slurp(path, &len);
    if (!data) {
        t_fail(__FILE__, __LINE__, "cannot read %s", path);
        return -1;
    }
    struct ioc_import_opts o = {.forced_type = -1};
    memset(g, 0, sizeof *g);
    int rc = ioc_import_buf(data, len, path, &o, got_emit, g, r);
    free(data);
    if (rc) {
        t_fail(__FILE__, __LINE__, "%s: import returned %d", rel, rc);
        return -1;
    }
    return 0;
}

static uint64_t total(const struct ioc_import_report *r)
{
    uint64_t s = 0;
    for (int t = 0; t < IOC__COUNT; t++)
        s += r->by_type[t];
    return s;
}

static struct got g;
static struct ioc_import_report r;

/* ---------------------------------------------------------------- STIX feeds */

TEST(ioc_feed_stix_apt1)
{
    if (imp_feed("cti-stix2-json-schemas/examples/threat-reports/apt1.json", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "stix-2.1");
    /* ipv4 4 (all /15 networks), domain 3, md5 3; 2 issuer AND serial: nothing to match */
    ASSERT_EQ(r.by_type[IOC_CIDR], 4);
    ASSERT_EQ(r.by_type[IOC_DOMAIN], 3);
    ASSERT_EQ(r.by_type[IOC_MD5], 3);
    ASSERT_EQ(total(&r), 10);
    ASSERT_EQ(r.indicators, 10);
    ASSERT_EQ(r.unsupported, 2);
    ASSERT_EQ(r.partial, 0);
    ASSERT_EQ(r.invalid, 0);
    ASSERT_TRUE(got_has(&g, "cidr 223.166.0.0/15"));
    ASSERT_TRUE(got_has(&g, "md5 001dd76872d80801692ff942308c64e6"));
}

TEST(ioc_feed_stix_email_negative)
{
    if (imp_feed("cti-stix2-json-schemas/examples/malicious-email-indicator-with-attachment.json",
                 &g, &r))
        return;
    ASSERT_EQ(total(&r), 0);
    ASSERT_EQ(r.indicators, 0);
    ASSERT_EQ(r.unsupported, 2);
    ASSERT_EQ(r.nproblems, 2);
    ASSERT_TRUE(strstr(r.problems[0], "malicious-email-indicator-with-attachment.json:29:"));
}

TEST(ioc_feed_stix_misp_objects)
{
    if (imp_feed("misp-stix/tests/test_objects_collection_stix21.json", &g, &r))
        return;
    /* file object: MD5 AND SHA-1 AND SHA-256 AND name -> the 3 hashes (partial); domain-ip:
     * the domain (partial); the email object: unsupported.  Observed-data SCOs: not IOCs. */
    ASSERT_EQ(r.by_type[IOC_DOMAIN], 1);
    ASSERT_EQ(r.by_type[IOC_MD5], 1);
    ASSERT_EQ(r.by_type[IOC_SHA1], 1);
    ASSERT_EQ(r.by_type[IOC_SHA256], 1);
    ASSERT_EQ(total(&r), 4);
    ASSERT_EQ(r.partial, 2);
    ASSERT_EQ(r.unsupported, 1);
    ASSERT_TRUE(got_has(&g, "domain circl.lu"));
    ASSERT_TRUE(!got_has(&g, "ip 149.13.33.14"));
}

TEST(ioc_feed_stix_misp_mapping)
{
    if (imp_feed("misp-stix/documentation/mapping/misp_attributes_to_stix21.json", &g, &r))
        return;
    /* Not a bundle: the indicator objects inside the mapping tables are found anyway. */
    ASSERT_STR_EQ(r.format, "stix-embedded");
    ASSERT_EQ(r.by_type[IOC_DOMAIN], 4);
    ASSERT_EQ(r.by_type[IOC_URL], 3);
    ASSERT_EQ(r.by_type[IOC_MD5], 3);
    ASSERT_EQ(r.by_type[IOC_SHA1], 2);
    ASSERT_EQ(r.by_type[IOC_SHA256], 4);
    ASSERT_EQ(r.by_type[IOC_CERT_SHA1], 1);
    ASSERT_EQ(r.by_type[IOC_CERT_SHA256], 1);
    /* The 4 MISP-style network-traffic src_ref/dst_ref atoms, imported as addresses. */
    ASSERT_EQ(r.by_type[IOC_IP], 4);
    /* http-request-ext is not imported (the feeds' MANIFEST counts it as unsupported). */
    ASSERT_EQ(r.by_type[IOC_UA], 0);
    /* x509 MD5 has no konseki type: that indicator is unsupported. */
    ASSERT_EQ(total(&r), 22);
    /* Of the 70 indicators, 56 have nothing konseki matches (email, registry, x509 MD5 …);
     * 9 of the rest AND a hash or domain with file:name, ports or resolutions. */
    ASSERT_EQ(r.unsupported, 56);
    ASSERT_EQ(r.partial, 9);
}

TEST(ioc_feed_stix_pikabot)
{
    if (imp_feed("playbook_viewer/playbook_json/2024-02-08-Pikabot.json", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "stix-2.0");
    ASSERT_EQ(r.by_type[IOC_URL], 7);
    ASSERT_EQ(r.by_type[IOC_SHA256], 3);
    ASSERT_EQ(total(&r), 10);
    ASSERT_EQ(r.indicators, 10);
    ASSERT_EQ(r.unsupported + r.invalid + r.partial, 0);
}

/* ---------------------------------------------------------------- MISP JSON */

TEST(ioc_feed_misp_existing_event)
{
    if (imp_feed("PyMISP/tests/mispevent_testfiles/existing_event.json", &g, &r))
        return;
    /* bare event body; to_ids: domain 7 + objects sha1 37, filename 15, domain 12, ip-dst 12 */
    ASSERT_STR_EQ(r.format, "misp-json");
    ASSERT_EQ(r.by_type[IOC_DOMAIN], 19);
    ASSERT_EQ(r.by_type[IOC_SHA1], 37);
    ASSERT_EQ(r.by_type[IOC_IP], 12);
    ASSERT_EQ(total(&r), 68);
    ASSERT_EQ(r.unsupported, 15); /* filename */
    ASSERT_EQ(r.skipped, 2 + 37); /* link, text; text in the file objects */
    ASSERT_EQ(r.indicators, 68 - r.duplicates);
    ASSERT_TRUE(g.n > 0);
    ASSERT_STR_EQ(g.source[0], "CIRCL");
}

TEST(ioc_feed_misp_to_delete2)
{
    if (imp_feed("PyMISP/tests/reportlab_testfiles/to_delete2.json", &g, &r))
        return;
    /* ip-dst 87 + ip-dst|port 3 + ip-port objects 3; md5 14 + 2; sha1 2; sha256 2 */
    ASSERT_EQ(r.by_type[IOC_IP], 93);
    ASSERT_EQ(r.by_type[IOC_MD5], 16);
    ASSERT_EQ(r.by_type[IOC_SHA1], 2);
    ASSERT_EQ(r.by_type[IOC_SHA256], 2);
    ASSERT_EQ(total(&r), 113);
    ASSERT_EQ(r.unsupported, 4); /* filename 2, ssdeep 2 */
    ASSERT_EQ(r.skipped, 11);    /* link 3, attachment, comment, port 3, float 2, size */
    ASSERT_EQ(r.invalid, 0);
    ASSERT_TRUE(got_has(&g, "ip 125.212.132.222"));
    ASSERT_TRUE(got_has(&g, "ip 10.10.30.110"));
}

/* ---------------------------------------------------------------- cross-format set */

static int cmp_item(const void *a, const void *b)
{
    return strcmp(a, b);
}

TEST(ioc_feed_cross_format_same_set)
{
    static const char *const files[] = {
        "Threat-Intel/digitalside-misp-feed/00004634-5e05-4546-9b89-77e601b50b3a.json",
        "Threat-Intel/csv/00004634-5e05-4546-9b89-77e601b50b3a.csv",
        "Threat-Intel/stix2/00004634-5e05-4546-9b89-77e601b50b3a.json",
    };
    static const char *const formats[] = {"misp-json", "misp-csv", "stix-2.0"};
    static char first[T_MAX_IOCS][160];
    size_t nfirst = 0;
    for (size_t f = 0; f < 3; f++) {
        if (imp_feed(files[f], &g, &r))
            return;
        ASSERT_STR_EQ(r.format, formats[f]);
        ASSERT_EQ(g.n, 5);
        ASSERT_EQ(r.invalid + r.unsupported, 0);
        qsort(g.item, g.n, sizeof g.item[0], cmp_item);
        if (f == 0) {
            memcpy(first, g.item, sizeof first);
            nfirst = g.n;
            continue;
        }
        ASSERT_EQ(g.n, nfirst);
        for (size_t i = 0; i < g.n; i++)
            ASSERT_STR_EQ(g.item[i], first[i]);
    }
    ASSERT_STR_EQ(first[0], "ip 212.192.246.164");
    ASSERT_STR_EQ(first[1], "md5 fd2bdfee0c18b802bb19a844e7445be9");
    ASSERT_STR_EQ(first[2], "sha1 10ba5ea5b292efbee527e6d7fecc4960928cbb1b");
    ASSERT_STR_EQ(first[3],
                  "sha256 d3f5d77b7b24d2529f6c8ddcb8e2f9e65a911a7430ec476d7ca56e896c2b9489");
    ASSERT_STR_EQ(first[4], "url http://212.192.246.164/bins/phantom.m68k");
}

/* ---------------------------------------------------------------- Zeek, Suricata, abuse.ch */

TEST(ioc_feed_zeek)
{
    const char *base = "zeek/testing/btest/scripts/";
    char p[256];
    snprintf(p, sizeof p, "%sbase/frameworks/intel/match-subnet.zeek/intel.dat", base);
    if (imp_feed(p, &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "zeek-intel");
    ASSERT_EQ(r.by_type[IOC_CIDR], 4);
    ASSERT_EQ(r.by_type[IOC_IP], 2);
    ASSERT_EQ(r.indicators, 6);
    ASSERT_TRUE(got_has(&g, "cidr 192.168.142.0/26"));
    ASSERT_STR_EQ(g.source[0], "source1");

    /* the same address from two sources: both kept; SOFTWARE names without a version
     * ("putty") are not user agents: unsupported, as the feeds' MANIFEST counts them */
    snprintf(p, sizeof p,
             "%sbase/frameworks/intel/cluster-indicator-inserted-new-min-store.zeek/"
             "intel.dat",
             base);
    if (imp_feed(p, &g, &r))
        return;
    ASSERT_EQ(r.by_type[IOC_IP], 3);
    ASSERT_EQ(r.by_type[IOC_CIDR], 1);
    ASSERT_EQ(r.by_type[IOC_UA], 0);
    ASSERT_EQ(r.unsupported, 3);
    ASSERT_EQ(r.duplicates, 0);
    ASSERT_EQ(r.indicators, 4);

    snprintf(p, sizeof p, "%sbase/frameworks/intel/input-and-match.zeek/intel.dat", base);
    if (imp_feed(p, &g, &r))
        return;
    ASSERT_EQ(r.by_type[IOC_IP], 2);
    ASSERT_EQ(r.by_type[IOC_EMAIL], 1);
    ASSERT_EQ(r.duplicates, 1);
    ASSERT_EQ(r.indicators, 2);

    snprintf(p, sizeof p, "%spolicy/frameworks/intel/seen/certs.zeek/intel.dat", base);
    if (imp_feed(p, &g, &r))
        return;
    ASSERT_EQ(r.by_type[IOC_DOMAIN], 2);
    ASSERT_EQ(r.by_type[IOC_CERT_SHA1], 1);
    ASSERT_TRUE(got_has(&g, "cert-sha1 2c322ae2b7fe91391345e070b63668978bb1c9da"));

    if (imp_feed("Zeek-Intelligence-Feeds/abuse-ch-ipblocklist.intel", &g, &r))
        return;
    ASSERT_EQ(r.by_type[IOC_IP], 3);
    ASSERT_EQ(r.indicators, 3);
    ASSERT_STR_EQ(g.source[0], "ABUSE-CH");
}

TEST(ioc_feed_suricata)
{
    if (imp_feed("suricata-verify/tests/datasets-09-load/datasets-ip.csv", &g, &r))
        return;
    ASSERT_EQ(r.by_type[IOC_IP], 1);
    ASSERT_STR_EQ(g.item[0], "ip 82.165.177.154"); /* v4-mapped IPv6 is the IPv4 address */

    if (imp_feed("suricata-verify/tests/datarep-02/dns_sha256.rep", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "suricata-datarep");
    ASSERT_EQ(r.by_type[IOC_SHA256], 2);

    if (imp_feed("suricata-verify/tests/datasets-match-subdomain/domains.lst", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "suricata-dataset-string");
    ASSERT_EQ(r.by_type[IOC_DOMAIN], 1);
    ASSERT_STR_EQ(g.item[0], "domain evil.com"); /* base64 ".evil.com" */

    if (imp_feed("suricata-verify/tests/datasets-invalid-encoding/datasets.csv", &g, &r))
        return;
    ASSERT_EQ(r.indicators, 0);
    ASSERT_EQ(r.invalid, 1);
    ASSERT_TRUE(strstr(r.problems[0], "datasets.csv:1: \"Y3VybC83Lj!QzLjA=\""));
}

TEST(ioc_feed_abusech)
{
    if (imp_feed("abuse.chC2Feeds/ipblocklist.csv", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "abuse.ch-feodotracker");
    ASSERT_EQ(r.by_type[IOC_IP], 28);
    ASSERT_EQ(r.indicators, 28);
    ASSERT_EQ(r.invalid, 0);
    ASSERT_STR_EQ(g.source[0], "feodotracker");
    ASSERT_STR_EQ(g.item[0], "ip 192.9.135.73");
    ASSERT_EQ(g.published[0], 1684864304LL * 1000000000LL); /* 2023-05-23 17:51:44 UTC */

    if (imp_feed("intelmq/intelmq/tests/bots/parsers/abusech/feodoips.txt", &g, &r))
        return;
    ASSERT_EQ(r.by_type[IOC_IP], 2);
    ASSERT_TRUE(got_has(&g, "ip 10.213.75.205"));

    if (imp_feed("Analyza-skodlivej-sifrovaneho-sietovej-prevadzky/ja3_fingerprints.csv", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "abuse.ch-sslbl-ja3");
    ASSERT_EQ(r.by_type[IOC_JA3], 98);
    ASSERT_EQ(r.indicators, 98);
    ASSERT_EQ(total(&r), 98);

    if (imp_feed("intelmq/intelmq/tests/bots/parsers/abusech/urlhaus.txt", &g, &r))
        return;
    ASSERT_STR_EQ(r.format, "abuse.ch-urlhaus");
    ASSERT_EQ(r.by_type[IOC_URL], 2);
    ASSERT_EQ(total(&r), 2);
    ASSERT_TRUE(got_has(&g, "url http://marconuenlist.ch/verif.accounts.docs.net/"));
    ASSERT_TRUE(got_has(&g, "url http://cbd-planet.ch/sec.myacc.send.com/"));
}

/* ---------------------------------------------------------------- our own files */

TEST(ioc_normalize_values)
{
    char out[IOC_VALUE_MAX + 64];
    static const struct {
        int type;
        const char *in, *want;
    } ok[] = {
        {IOC_DOMAIN, "  Evil[.]Example(dot)COM. ", "evil.example.com"},
        {IOC_DOMAIN, "*.cdn.example.net", "cdn.example.net"},
        {IOC_DOMAIN,
         "b\xc3\xbc"
         "cher.example",
         "xn--bcher-kva.example"},
        {IOC_DOMAIN,
         "M\xc3\x9c"
         "NCHEN.de",
         "xn--mnchen-3ya.de"},
        {IOC_DOMAIN, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
         "xn--e1afmkfd.xn--p1ai"},
        {IOC_DOMAIN, "\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82jp", "xn--r8jz45g.jp"},
        {IOC_URL, "hxxps://Evil[.]COM:443/a/B?x=1#frag", "https://evil.com/a/B?x=1"},
        {IOC_URL, "HTTP://evil.com:8080", "http://evil.com:8080/"},
        {IOC_URL, "hxxp[://]evil[.]com/x", "http://evil.com/x"},
        {IOC_URL, "evil.com/gate.php", "http://evil.com/gate.php"},
        {IOC_URL, "http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"},
        {IOC_URL, "fxp://files.example.org:21/a", "ftp://files.example.org/a"},
        {IOC_IP, "192.0.2[.]1", "192.0.2.1"},
        {IOC_IP, "2001:0DB8:0000::0001", "2001:db8::1"},
        {IOC_IP, "::ffff:10.1.2.3", "10.1.2.3"},
        {IOC_CIDR, "192.0.2.77/24", "192.0.2.0/24"},
        {IOC_CIDR, "2001:db8:ffff::/32", "2001:db8::/32"},
        {IOC_EMAIL, "Bad.Guy[at]Example[.]ORG", "bad.guy@example.org"},
        {IOC_MD5, " FD2BDFEE0C18B802BB19A844E7445BE9 ", "fd2bdfee0c18b802bb19a844e7445be9"},
        {IOC_CERT_SHA1, "2C:32:2A:E2:B7:FE:91:39:13:45:E0:70:B6:36:89:78:8B:B1:C9:DA",
         "2c322ae2b7fe91391345e070b63689788bb1c9da"},
        {IOC_CERT_SERIAL, "0x08BB00EE", "08bb00ee"},
        {IOC_CERT_SERIAL, "00:00:4c:0b:1d", "4c0b1d"},
        {IOC_JA4, "T13D1516H2_8DAAF6152771_B186095E22B6", "t13d1516h2_8daaf6152771_b186095e22b6"},
        {IOC_UA, "  Mozilla/4.0 (compatible; MSIE 6.0)  ", "Mozilla/4.0 (compatible; MSIE 6.0)"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ASSERT_EQ(ioc_normalize(ok[i].type, ok[i].in, strlen(ok[i].in), out, sizeof out), 0);
        ASSERT_STR_EQ(out, ok[i].want);
    }
    static const struct {
        int type;
        const char *in;
    } bad[] = {
        {IOC_DOMAIN, "autuo .xicp.net"},
        {IOC_DOMAIN, "a..b"},
        {IOC_DOMAIN, ""},
        {IOC_IP, "300.1.1.1"},
        {IOC_CIDR, "10.0.0.0/33"},
        {IOC_MD5, "abc"},
        {IOC_SHA256, "zz"},
        {IOC_URL, "/just/a/path"},
        {IOC_URL, "http://a b/"},
        {IOC_URL, "http://x.com:99999/"},
        {IOC_EMAIL, "nobody"},
        {IOC_DOMAIN, "\xff\xfe.com"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT_EQ(ioc_normalize(bad[i].type, bad[i].in, strlen(bad[i].in), out, sizeof out), -1);
    ASSERT_EQ(ioc_normalize(IOC_DOMAIN, "example.com", 11, out, 5), -1);
}

TEST(ioc_infer_and_names)
{
    static const struct {
        const char *v;
        int type;
    } c[] = {
        {"10.0.0.1", IOC_IP},
        {"2001:db8::1", IOC_IP},
        {"10.0.0.0/8", IOC_CIDR},
        {"evil[.]com", IOC_DOMAIN},
        {"hxxp://evil.com/a", IOC_URL},
        {"evil.com/a.php", IOC_URL},
        {"d41d8cd98f00b204e9800998ecf8427e", IOC_MD5},
        {"da39a3ee5e6b4b0d3255bfef95601890afd80709", IOC_SHA1},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", IOC_SHA256},
        {"t13d1516h2_8daaf6152771_b186095e22b6", IOC_JA4},
        {"a@b.example", IOC_EMAIL},
        {"putty", -1},
        {"1.2.3", -1},
        {"", -1},
        {"LmV2aWwuY29t", -1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        ASSERT_EQ(ioc_infer_type(c[i].v, strlen(c[i].v)), c[i].type);
    for (int t = 0; t < IOC__COUNT; t++)
        ASSERT_EQ(ioc_type_parse(ioc_type_name(t)), t);
    ASSERT_EQ(ioc_type_parse("ip-dst"), IOC_IP);
    ASSERT_EQ(ioc_type_parse("Intel::SUBNET"), IOC_CIDR);
    ASSERT_EQ(ioc_type_parse("hostname"), IOC_DOMAIN);
    ASSERT_EQ(ioc_type_parse("x509-fingerprint-sha256"), IOC_CERT_SHA256);
    ASSERT_EQ(ioc_type_parse("sha256_hash"), IOC_SHA256);
    ASSERT_EQ(ioc_type_parse("filename"), -1);
    ASSERT_TRUE(ioc_type_name(IOC__COUNT) == NULL);
}

TEST(ioc_import_plain_list_defanged_and_bad_lines)
{
    const char *text = "# my list\r\n"
                       "hxxp://bad[.]example[.]com/dl.exe\r\n"
                       "\r\n"
                       "198.51.100.7   # C2\r\n"
                       "2001:db8:0:0::42\r\n"
                       "203.0.113.0/24\r\n"
                       "xn--bcher-kva.example\r\n"
                       "this is not an indicator\r\n"
                       "198.51.100[.]7\r\n"
                       "999.1.1.1\r\n"
                       "d41d8cd98f00b204e9800998ecf8427e";
    ASSERT_EQ(imp_str(text, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "list");
    ASSERT_EQ(r.indicators, 6);
    ASSERT_EQ(r.duplicates, 1);
    ASSERT_EQ(r.invalid, 2);
    ASSERT_EQ(r.by_type[IOC_IP], 3);
    ASSERT_STR_EQ(g.item[0], "url http://bad.example.com/dl.exe");
    ASSERT_STR_EQ(g.item[1], "ip 198.51.100.7");
    ASSERT_STR_EQ(g.item[2], "ip 2001:db8::42");
    ASSERT_STR_EQ(g.item[3], "cidr 203.0.113.0/24");
    ASSERT_STR_EQ(g.item[4], "domain xn--bcher-kva.example");
    ASSERT_STR_EQ(g.item[5], "md5 d41d8cd98f00b204e9800998ecf8427e");
    ASSERT_STR_EQ(g.source[0], "t.txt");
    ASSERT_EQ(r.nproblems, 2);
    ASSERT_STR_EQ(r.problems[0],
                  "t.txt:8: \"this is not an indicator\" is not a recognisable indicator (nor "
                  "base64 text)");
    ASSERT_TRUE(strncmp(r.problems[1], "t.txt:10: ", 10) == 0);

    /* --type: every line is that type */
    ASSERT_EQ(imp_str("Mozilla/5.0 evil\ncurl/7.43.0\n", &g, &r, IOC_UA), 0);
    ASSERT_EQ(r.by_type[IOC_UA], 2);
    ASSERT_STR_EQ(g.item[1], "ua curl/7.43.0");
    /* a Suricata string dataset with --type ua: base64 decoded */
    ASSERT_EQ(imp_str("Y3VybC83LjQzLjA=\n", &g, &r, IOC_UA), 0);
    ASSERT_STR_EQ(g.item[0], "ua curl/7.43.0");
}

TEST(ioc_import_csv_layouts)
{
    /* generic CSV, header found by name, type column with MISP and ThreatFox spellings */
    const char *csv = "\xef\xbb\xbfValue;Type;Comment\n"
                      "evil.example;hostname;one\n"
                      "198.51.100.9|8080;ip-dst|port;two\n"
                      "a.txt|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;"
                      "filename|sha256;\n"
                      "mutex1;mutex;\n";
    ASSERT_EQ(imp_str(csv, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "csv");
    ASSERT_EQ(r.indicators, 3);
    ASSERT_EQ(r.unsupported, 1);
    ASSERT_STR_EQ(g.item[0], "domain evil.example");
    ASSERT_STR_EQ(g.item[1], "ip 198.51.100.9");
    ASSERT_STR_EQ(g.item[2],
                  "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* MISP CSV, old 8-column layout */
    const char *misp = "uuid,event_id,category,type,value,comment,to_ids,date\n"
                       "5a1,12,Network activity,ip-src,203.0.113.5,,1,20170704\n"
                       "5a2,12,Network activity,domain,bad.example.org,,1,20170704\n"
                       "5a3,12,External analysis,link,https://ref.example/,,0,20170704\n";
    ASSERT_EQ(imp_str(misp, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "misp-csv");
    ASSERT_EQ(r.indicators, 2);
    ASSERT_EQ(r.skipped, 1);

    /* ThreatFox CSV export (header commented, quoted, "ip:port" and "*_hash" types) */
    const char *tf =
        "################################################################\n"
        "# ThreatFox IOCs: CSV export                                   #\n"
        "################################################################\n"
        "#\n"
        "# "
        "\"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"fk_malware\"\n"
        "\"2024-01-02 03:04:05\", \"1\", \"192.0.2.10:4443\", \"ip:port\", \"botnet_cc\", \"a\"\n"
        "\"2024-01-02 03:04:05\", \"2\", \"c2.example.net\", \"domain\", \"botnet_cc\", \"a\"\n"
        "\"2024-01-02 03:04:05\", \"3\", \"d41d8cd98f00b204e9800998ecf8427e\", \"md5_hash\", "
        "\"p\", "
        "\"a\"\n"
        "\"2024-01-02 03:04:05\", \"4\", \"http://c2.example.net/gate\", \"url\", \"p\", \"a\"\n"
        "# Number of entries: 4\n";
    ASSERT_EQ(imp_str(tf, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "abuse.ch-threatfox");
    ASSERT_EQ(r.indicators, 4);
    ASSERT_STR_EQ(g.item[0], "ip 192.0.2.10");
    ASSERT_STR_EQ(g.source[0], "threatfox");
    ASSERT_EQ(g.published[0], 1704164645LL * 1000000000LL);

    /* URLhaus today: quoted, commented header, id first */
    const char *uh =
        "# URLhaus Database Dump (CSV - recent URLs only)\n"
        "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
        "\"3000001\",\"2024-05-01 10:00:00\",\"http://198.51.100.20:8080/i\",\"online\","
        "\"2024-05-01 10:00:00\",\"malware_download\",\"elf\",\"https://u/\",\"r\"\r\n";
    ASSERT_EQ(imp_str(uh, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "abuse.ch-urlhaus");
    ASSERT_EQ(r.indicators, 1);
    ASSERT_STR_EQ(g.item[0], "url http://198.51.100.20:8080/i");

    /* SSLBL certificate list: its SHA1 column holds certificate fingerprints */
    const char *ssl = "################################################################\r\n"
                      "# abuse.ch SSLBL SSL Certificate Blacklist (SHA1 Fingerprints) #\r\n"
                      "################################################################\r\n"
                      "#\r\n"
                      "# Listingdate,SHA1,Listingreason\r\n"
                      "2023-01-01 00:00:00,b8c7e8da4e5f5b7a4ee04c4ec20bde4b01a5d76c,C&C\r\n";
    ASSERT_EQ(imp_str(ssl, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "abuse.ch-sslbl-cert");
    ASSERT_STR_EQ(g.item[0], "cert-sha1 b8c7e8da4e5f5b7a4ee04c4ec20bde4b01a5d76c");
}

TEST(ioc_import_stix_patterns_and_expiry)
{
    const char *stix =
        "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
        "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--1\",\"name\":\"ACME "
        "CERT\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1\","
        "\"created_by_ref\":\"identity--1\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2020-01-01T00:00:00Z\",\"valid_until\":\"2021-01-01T00:00:00.5Z\","
        "\"pattern\":\"[ipv6-addr:value = '2001:DB8::7'] OR [ipv4-addr:value ISSUBSET "
        "'198.51.100.0/24'] OR [domain-name:value = 'xn--mnchen-3ya.de' OR domain-name:value = "
        "'m\\u00fcnchen.example']\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--2\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[x509-certificate:serial_number = "
        "'08:bb:00:ee']\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--3\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[url:value = 'hxxp://a[.]example/x\\\\'y'] "
        "FOLLOWEDBY [file:hashes.'SHA-256' = "
        "'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'] WITHIN 60 "
        "SECONDS\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--4\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[NOT domain-name:value = 'good.example']\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--5\","
        "\"pattern_type\":\"sigma\",\"pattern\":\"title: x\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--6\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[domain-name:value = 'broken]\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--7\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[domain-name:value = 'bad label.example']\"}"
        "]}";
    ASSERT_EQ(imp_str(stix, &g, &r, -1), 0);
    ASSERT_STR_EQ(r.format, "stix-2.1");
    ASSERT_EQ(r.indicators, 7);
    ASSERT_STR_EQ(g.item[0], "ip 2001:db8::7");
    ASSERT_STR_EQ(g.item[1], "cidr 198.51.100.0/24");
    ASSERT_STR_EQ(g.item[2], "domain xn--mnchen-3ya.de");
    ASSERT_STR_EQ(g.item[3], "domain xn--mnchen-3ya.example");
    ASSERT_STR_EQ(g.item[4], "cert-serial 08bb00ee");
    ASSERT_STR_EQ(g.item[5], "url http://a.example/x'y");
    ASSERT_STR_EQ(g.item[6],
                  "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ASSERT_STR_EQ(g.source[0], "ACME CERT");
    ASSERT_EQ(g.published[0], 1577836800LL * 1000000000LL);
    ASSERT_EQ(g.until[0], 1609459200LL * 1000000000LL + 500000000LL);
    ASSERT_EQ(g.until[4], 0);
    ASSERT_EQ(r.partial, 1);     /* indicator--3: FOLLOWEDBY / WITHIN not evaluated */
    ASSERT_EQ(r.unsupported, 3); /* NOT, sigma, unterminated quote */
    ASSERT_EQ(r.invalid, 1);     /* a space inside a domain */

    /* --expires caps valid_until */
    struct ioc_import_opts o = {
        .forced_type = -1, .expires_ns = 1600000000LL * 1000000000LL, .source = "mine"};
    memset(&g, 0, sizeof g);
    ASSERT_EQ(ioc_import_buf((const uint8_t *)stix, strlen(stix), "s.json", &o, got_emit, &g, &r),
              0);
    ASSERT_EQ(g.until[0], 1600000000LL * 1000000000LL);
    ASSERT_EQ(g.until[4], 1600000000LL * 1000000000LL);
    ASSERT_STR_EQ(g.source[0], "mine");
}

TEST(ioc_import_misp_wrappers_and_expiry)
{
    const char *ev =
        "{\"Orgc\":{\"name\":\"ORG\"},\"info\":\"test\",\"Attribute\":["
        "{\"type\":\"ip-dst\",\"value\":\"2001:db8::9\",\"to_ids\":true,"
        "\"uuid\":\"u1\",\"first_seen\":\"2022-02-02T08:14:37.000000+0000\","
        "\"last_seen\":\"2022-03-01T00:00:00+01:00\"},"
        "{\"type\":\"domain|ip\",\"value\":\"b\\u00fccher.example|192.0.2.3\","
        "\"to_ids\":true},"
        "{\"type\":\"url\",\"value\":\"not a url\",\"to_ids\":true},"
        "{\"type\":\"ja3-fingerprint-md5\",\"value\":\"B386946A5A44D1DDCC843BC75336DFCE\","
        "\"to_ids\":true},"
        "{\"type\":\"x509-fingerprint-sha256\",\"value\":\"e3b0c44298fc1c149afbf4c8996fb9"
        "2427ae41e4649b934ca495991b7852b855\",\"to_ids\":true,\"deleted\":true}"
        "]}";
    char wrapped[2048];
    static const char *const pre[] = {"", "{\"Event\":", "{\"response\":[{\"Event\":", "["};
    static const char *const post[] = {"", "}", "}]}", "]"};
    for (size_t f = 0; f < 4; f++) {
        snprintf(wrapped, sizeof wrapped, "%s%s%s", pre[f], ev, post[f]);
        ASSERT_EQ(imp_str(wrapped, &g, &r, -1), 0);
        ASSERT_STR_EQ(r.format, "misp-json");
        ASSERT_EQ(r.indicators, 4);
        ASSERT_EQ(r.invalid, 1);
        ASSERT_STR_EQ(g.item[0], "ip 2001:db8::9");
        ASSERT_STR_EQ(g.item[1], "domain xn--bcher-kva.example");
        ASSERT_STR_EQ(g.item[2], "ip 192.0.2.3");
        ASSERT_STR_EQ(g.item[3], "ja3 b386946a5a44d1ddcc843bc75336dfce");
        ASSERT_STR_EQ(g.source[0], "ORG");
        ASSERT_EQ(g.published[0], 1643789677LL * 1000000000LL);
        ASSERT_EQ(g.until[0], 1646089200LL * 1000000000LL);
    }
}

TEST(ioc_import_errors_and_stop)
{
    ASSERT_EQ(imp_str("{\"type\":\"bundle\",\"objects\":[\n{\"a\":1,}]}", &g, &r, -1), KS_EFORMAT);
    ASSERT_EQ(r.nproblems, 1);
    ASSERT_TRUE(strstr(r.problems[0], "t.txt:2: bad JSON at byte"));
    ASSERT_EQ(imp_str("{\"hello\":[1,2,3]}", &g, &r, -1), KS_EFORMAT);
    ASSERT_EQ(imp_str("", &g, &r, -1), 0);
    ASSERT_EQ(r.indicators, 0);
    /* deep nesting is refused, not a stack overflow */
    static char deep[5000];
    memset(deep, '[', sizeof deep - 1);
    ASSERT_EQ(imp_str(deep, &g, &r, -1), KS_EFORMAT);
    /* times past what int64 nanoseconds hold are unknown (0), not an overflow */
    ASSERT_EQ(imp_str("# ja3_md5,Firstseen\nb386946a5a44d1ddcc843bc75336dfce,4046-05-23 17:51:44\n"
                      "8991a387e4cc841740f25d6f5139f92d,101644131823\n",
                      &g, &r, -1),
              0);
    ASSERT_EQ(g.n, 2);
    ASSERT_EQ(g.published[0], 0);
    ASSERT_EQ(g.published[1], 0);
    /* the emitter stops the import */
    memset(&g, 0, sizeof g);
    g.stop_after = 2;
    struct ioc_import_opts o = {.forced_type = -1};
    const char *list = "10.0.0.1\n10.0.0.2\n10.0.0.3\n";
    ASSERT_EQ(ioc_import_buf((const uint8_t *)list, strlen(list), NULL, &o, got_emit, &g, &r), 42);
    ASSERT_EQ(g.n, 2);
}
