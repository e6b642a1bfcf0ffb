/*
 * Hunt cases (src/case): the exporters' exact output for a fixed case and indicator set
 * (tests/unit/case_export/, one file per format), every export imported back through konseki's own
 * importers giving the same indicators, indicator extraction from session snapshots, scope,
 * ATT&CK ids, and the Suricata rule importer.
 */
#include "t.h"

#include "case/case.h"
#include "core/ktime.h"
#include "ioc/ioc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t ts(const char *s)
{
    int64_t ns = 0;
    ktime_parse(s, 0, &ns);
    return ns;
}

/* Case 3 and its indicators: one of each type konseki extracts, a repeat (merged), an
 * address that initiated its session, a URL with characters every format must escape. */
static void fixture(struct case_info *c, struct case_iocs *s)
{
    memset(c, 0, sizeof *c);
    c->id = 3;
    snprintf(c->hypothesis, sizeof c->hypothesis,
             "An affiliate's VPN account pivots into HQ; data leaves over TLS");
    snprintf(c->attack, sizeof c->attack, "T1199,T1567.002");
    c->created_ns = ts("2024-01-15T10:00:00Z");
    memset(s, 0, sizeof *s);
    int64_t t0 = ts("2024-01-15T09:00:04.25Z"), t1 = ts("2024-01-15T09:00:06Z");
    uint64_t e = 0x10000000eULL, f = 0x10000000fULL;
    case_iocs_add(s, IOC_IP, "203.0.113.80", "destination.ip", 0, t0, t1, e, 1);
    case_iocs_add(s, IOC_IP, "192.0.2.7", "source.ip", 1, t0, t1, e, 1);
    case_iocs_add(s, IOC_DOMAIN, "C2.Evil.example", "tls.client.server_name", 0, t1, t1, f, 2);
    case_iocs_add(s, IOC_DOMAIN, "evil.example", "dns.question.name", 0, t0, t0, 0x100000001ULL, 3);
    case_iocs_add(s, IOC_URL, "http://c2.evil.example:8080/a;b\"c?x=1", "url.original", 0, t0, t1,
                  e, 1);
    case_iocs_add(s, IOC_UA, "curl/8.4.0", "user_agent.original", 0, t0, t1, e, 1);
    case_iocs_add(s, IOC_JA3, "ddbd6dcac4a3a7624912e37036fef3c9", "tls.client.ja3", 0, t1, t1, f,
                  2);
    case_iocs_add(s, IOC_JA4, "t12d1210h2_d34a8e72043a_fae48490d0f6", "tls.client.ja4", 0, t1, t1,
                  f, 2);
    case_iocs_add(s, IOC_CERT_SHA1, "506b870bff352f27cb98e2a72cef0e15390ef395",
                  "tls.server.hash.sha1", 0, t1, t1, f, 2);
    case_iocs_add(s, IOC_CERT_SHA256,
                  "854d7cda252896a7c45f764a8c36a28bc7785711935eaf940d277979ac7b01ac",
                  "tls.server.hash.sha256", 0, t1, t1, f, 2);
    case_iocs_add(s, IOC_SHA256, "902167882301d337e02ee86f4bf1f6c509a760ced72394e549a11af89c9aca51",
                  "file.hash.sha256", 0, t0, t1, e, 1);
    /* the same address in a later finding: one indicator, two findings, the span grows */
    case_iocs_add(s, IOC_IP, "203.0.113.80", "destination.ip", 0, t0, t1 + 5 * KT_NS_PER_SEC,
                  0x100000010ULL, 4);
    case_iocs_finish(s);
}

/* Export in one format into a malloc'd string (dir: where side files go, NULL = none). */
static char *export_str(int format, const char *dir, struct case_export_report *rep)
{
    struct case_info c;
    struct case_iocs s;
    fixture(&c, &s);
    struct case_export_opts o = {.format = format,
                                 .now_ns = ts("2024-02-01T00:00:00Z"),
                                 .dir = dir,
                                 .stem = dir ? "c3" : NULL,
                                 .datasets = dir ? 1 : 0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = f ? case_export(f, &c, &s, &o, rep) : -1;
    if (f)
        fclose(f);
    case_iocs_free(&s);
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static void expect_file(const char *got, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/unit/case_export/%s", t_srcdir(), name);
    char *want = slurp(path);
    if (!want) {
        t_fail(__FILE__, __LINE__, "cannot read %s", path);
        return;
    }
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        t_fail(__FILE__, __LINE__, "%s differs at byte %zu: got \"%.60s\", want \"%.60s\"", name, i,
               got + i, want + i);
    }
    free(want);
}

TEST(case_export_exact_output)
{
    static const struct {
        int format;
        const char *file;
        uint64_t written, skipped;
    } f[] = {{CASE_FMT_STIX, "stix.expected", 8, 3},         /* no JA3 / JA4 / UA in STIX */
             {CASE_FMT_MISP, "misp.expected", 11, 0},        /* JA4 in a ja4-plus object */
             {CASE_FMT_SURICATA, "suricata.expected", 9, 2}, /* no cert SHA-256; no list files */
             {CASE_FMT_ZEEK, "zeek.expected", 9, 2},         /* no JA3 / JA4 type in Zeek */
             {CASE_FMT_CSV, "csv.expected", 11, 0}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        struct case_export_report rep;
        char *got = export_str(f[i].format, NULL, &rep);
        ASSERT_TRUE(got != NULL);
        expect_file(got, f[i].file);
        free(got);
        T_STOP_IF_FAILED();
        ASSERT_EQ(rep.written_total, f[i].written);
        ASSERT_EQ(rep.skipped_total, f[i].skipped);
    }
}

TEST(case_export_suricata_datasets_and_lists)
{
    struct case_export_report rep;
    const char *dir = t_tmpdir();
    char *got = export_str(CASE_FMT_SURICATA, dir, &rep);
    ASSERT_TRUE(got != NULL);
    expect_file(got, "suricata-datasets.expected");
    free(got);
    T_STOP_IF_FAILED();
    ASSERT_EQ(rep.nfiles, 2);
    /* a string dataset is base64 of each name, one per line; the hash list is plain hex */
    char path[512];
    snprintf(path, sizeof path, "%s/c3-names.lst", dir);
    char *names = slurp(path);
    ASSERT_TRUE(names != NULL);
    ASSERT_STR_EQ(names, "YzIuZXZpbC5leGFtcGxl\nZXZpbC5leGFtcGxl\n");
    free(names);
    snprintf(path, sizeof path, "%s/c3-sha256.lst", dir);
    char *hashes = slurp(path);
    ASSERT_TRUE(hashes != NULL);
    ASSERT_STR_EQ(hashes, "902167882301d337e02ee86f4bf1f6c509a760ced72394e549a11af89c9aca51\n");
    free(hashes);
    ASSERT_EQ(rep.written_total, 11 - 1); /* all but the certificate SHA-256 */
}

/* ---------------------------------------------------------------- round trip */

struct seen {
    char items[64][IOC_VALUE_MAX + 16];
    size_t n;
};

static int on_ioc(void *ctx, const struct ioc *i)
{
    struct seen *s = ctx;
    if (s->n < 64)
        snprintf(s->items[s->n++], sizeof s->items[0], "%s %s", ioc_type_name(i->type), i->value);
    return 0;
}

static int has(const struct seen *s, const char *item)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->items[i], item))
            return 1;
    return 0;
}

TEST(case_export_imports_back_the_same_indicators)
{
    struct case_info c;
    struct case_iocs iocs;
    fixture(&c, &iocs);
    for (int fmt = CASE_FMT_STIX; fmt <= CASE_FMT_CSV; fmt++) {
        struct case_export_report rep;
        char *text = export_str(fmt, NULL, &rep);
        ASSERT_TRUE(text != NULL);
        struct seen s = {.n = 0};
        struct ioc_import_report ir;
        int rc =
            ioc_import_buf((const uint8_t *)text, strlen(text), "export", NULL, on_ioc, &s, &ir);
        free(text);
        ASSERT_EQ(rc, 0);
        ASSERT_EQ(ir.invalid, 0);
        /* every indicator the format carries comes back, and nothing else */
        ASSERT_EQ(ir.indicators, rep.written_total);
        for (size_t i = 0; i < iocs.n; i++) {
            char item[IOC_VALUE_MAX + 16];
            snprintf(item, sizeof item, "%s %s", ioc_type_name(iocs.v[i].type), iocs.v[i].value);
            int carried = rep.skipped[iocs.v[i].type] == 0;
            if (carried != has(&s, item)) {
                t_fail(__FILE__, __LINE__, "format %d: %s %s", fmt, item,
                       carried ? "did not come back" : "came back but was left out");
                break;
            }
        }
        T_STOP_IF_FAILED();
    }
    case_iocs_free(&iocs);
}

/* ---------------------------------------------------------------- extraction */

static const char *const snapshot_http =
    "[{\"@timestamp\":\"2024-01-15T09:00:04Z\",\"event\":{\"id\":\"000000010000000e\","
    "\"start\":\"2024-01-15T09:00:04Z\",\"end\":\"2024-01-15T09:00:06.5Z\"},"
    "\"network\":{\"transport\":\"tcp\",\"protocol\":\"http\",\"bytes\":1000,\"packets\":10,"
    "\"community_id\":\"1:abc=\"},"
    "\"source\":{\"ip\":\"10.1.1.18\",\"port\":55512},"
    "\"destination\":{\"ip\":\"203.0.113.80\",\"port\":8080},"
    "\"records\":[{\"http\":{\"host\":\"Dl.Example.NET:8080\"},\"url\":{\"original\":\"/x.ps1\","
    "\"domain\":\"dl.example.net\"},\"user_agent\":{\"original\":\"WindowsPowerShell/5.1\"},"
    "\"file\":{\"hash\":{\"md5\":\"6730c94667055b69ef98e50c6df4ea50\"}}},"
    "{\"dns\":{\"question\":{\"name\":\"a.example.org\"}}}]},"
    "{\"event\":{\"id\":\"000000010000000e\",\"start\":\"2024-01-15T09:10:00Z\","
    "\"end\":\"2024-01-15T09:12:00Z\"},\"network\":{\"transport\":\"tcp\",\"bytes\":500,"
    "\"packets\":5},\"source\":{\"ip\":\"10.1.1.18\",\"port\":55512},"
    "\"destination\":{\"ip\":\"203.0.113.80\",\"port\":8080}}]";

/* an inbound session between two internal hosts: no address is an indicator */
static const char *const snapshot_internal =
    "[{\"event\":{\"id\":\"0000000100000012\",\"start\":\"2024-01-15T09:00:12Z\","
    "\"end\":\"2024-01-15T09:00:20Z\"},\"network\":{\"transport\":\"tcp\",\"protocol\":\"tls\"},"
    "\"source\":{\"ip\":\"10.1.1.19\",\"port\":65464},\"destination\":{\"ip\":\"192.168.5.5\","
    "\"port\":443},\"records\":[{\"tls\":{\"client\":{\"server_name\":\"intranet.corp\","
    "\"ja3\":\"DDBD6DCAC4A3A7624912E37036FEF3C9\"}}}]}]";

TEST(case_iocs_from_malicious_snapshots_only)
{
    struct case_finding f[3];
    memset(f, 0, sizeof f);
    f[0] = (struct case_finding){.id = 1,
                                 .event_id = 0x10000000eULL,
                                 .verdict = CASE_MALICIOUS,
                                 .snapshot = (char *)snapshot_http};
    f[1] = (struct case_finding){.id = 2,
                                 .event_id = 0x100000012ULL,
                                 .verdict = CASE_MALICIOUS,
                                 .snapshot = (char *)snapshot_internal};
    /* benign: nothing of it may appear */
    f[2] = (struct case_finding){.id = 3,
                                 .event_id = 0x10000000eULL,
                                 .verdict = CASE_BENIGN,
                                 .snapshot = (char *)snapshot_internal};
    struct case_iocs s;
    ASSERT_EQ(case_iocs_extract(f, 3, NULL, &s), 0);
    ASSERT_EQ(s.malicious, 2);
    struct seen got = {.n = 0};
    for (size_t i = 0; i < s.n; i++)
        snprintf(got.items[got.n++], sizeof got.items[0], "%s %s %s", ioc_type_name(s.v[i].type),
                 s.v[i].value, s.v[i].field);
    /* the external responder (once, though in two pieces), never the internal hosts */
    ASSERT_TRUE(has(&got, "ip 203.0.113.80 destination.ip"));
    ASSERT_TRUE(has(&got, "domain dl.example.net url.domain"));
    ASSERT_TRUE(has(&got, "domain a.example.org dns.question.name"));
    /* the port of the session goes into the URL, as konseki's matcher builds it */
    ASSERT_TRUE(has(&got, "url http://dl.example.net:8080/x.ps1 url.original"));
    ASSERT_TRUE(has(&got, "ua WindowsPowerShell/5.1 user_agent.original"));
    ASSERT_TRUE(has(&got, "md5 6730c94667055b69ef98e50c6df4ea50 file.hash.md5"));
    ASSERT_TRUE(has(&got, "domain intranet.corp tls.client.server_name"));
    ASSERT_TRUE(has(&got, "ja3 ddbd6dcac4a3a7624912e37036fef3c9 tls.client.ja3"));
    ASSERT_EQ(s.n, 8);
    /* the address spans both pieces */
    ASSERT_EQ(s.v[0].type, IOC_IP);
    ASSERT_EQ(s.v[0].first_ns, ts("2024-01-15T09:00:04Z"));
    ASSERT_EQ(s.v[0].last_ns, ts("2024-01-15T09:12:00Z"));
    ASSERT_EQ(s.v[0].event_id, 0x10000000eULL);
    case_iocs_free(&s);

    struct case_session sum;
    ASSERT_EQ(case_snapshot_summary(snapshot_http, &sum), 0);
    ASSERT_EQ(sum.pieces, 2);
    ASSERT_EQ(sum.bytes, 1500);
    ASSERT_EQ(sum.dport, 8080);
    ASSERT_STR_EQ(sum.app, "http");
    ASSERT_EQ(sum.last_ns, ts("2024-01-15T09:12:00Z"));
    ASSERT_EQ(case_snapshot_summary("{\"not\":\"an array\"}", &sum) != 0, 1);
    ASSERT_EQ(case_snapshot_summary("[]", &sum) != 0, 1);
    ASSERT_EQ(case_snapshot_summary("[{\"event\":{}}]", &sum) != 0, 1);
}

TEST(case_iocs_user_zones_are_internal)
{
    /* with a zone for 203.0.113.0/24 the responder is one of ours: no address indicator */
    struct hunt_zones z;
    char msg[128];
    memset(&z, 0, sizeof z);
    ASSERT_EQ(hunt_zone_add(&z, "dmz=203.0.113.0/24", msg, sizeof msg), 0);
    struct case_finding f = {.id = 1,
                             .event_id = 0x10000000eULL,
                             .verdict = CASE_MALICIOUS,
                             .snapshot = (char *)snapshot_http};
    struct case_iocs s;
    ASSERT_EQ(case_iocs_extract(&f, 1, &z, &s), 0);
    for (size_t i = 0; i < s.n; i++)
        ASSERT_NE(s.v[i].type, IOC_IP);
    case_iocs_free(&s);
}

/* ---------------------------------------------------------------- scope, ATT&CK */

static int in_scope(const struct case_scope *s, const char *ip)
{
    return case_scope_has_text(s, ip);
}

TEST(case_scope_addresses_networks_zones)
{
    struct hunt_zones z;
    struct case_scope *s = malloc(sizeof *s);
    char msg[256];
    memset(&z, 0, sizeof z);
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ(hunt_zone_add(&z, "affiliate=10.50.0.0/16", msg, sizeof msg), 0);
    ASSERT_EQ(case_scope_parse(s, "10.1.1.20, 2001:db8::/32,affiliate", &z, msg, sizeof msg), 0);
    ASSERT_EQ(in_scope(s, "10.1.1.20"), 1);
    ASSERT_EQ(in_scope(s, "10.1.1.21"), 0);
    ASSERT_EQ(in_scope(s, "2001:db8:5::1"), 1);
    ASSERT_EQ(in_scope(s, "10.50.3.4"), 1);
    ASSERT_EQ(in_scope(s, "not an address"), 0);
    /* "internal" covers private space and every user zone; "external" the rest */
    ASSERT_EQ(case_scope_parse(s, "internal", &z, msg, sizeof msg), 0);
    ASSERT_EQ(in_scope(s, "10.50.3.4"), 1);
    ASSERT_EQ(in_scope(s, "192.168.1.1"), 1);
    ASSERT_EQ(in_scope(s, "8.8.8.8"), 0);
    ASSERT_EQ(case_scope_parse(s, "external", &z, msg, sizeof msg), 0);
    ASSERT_EQ(in_scope(s, "8.8.8.8"), 1);
    ASSERT_EQ(in_scope(s, "10.1.1.1"), 0);
    ASSERT_EQ(case_scope_parse(s, "", &z, msg, sizeof msg), 0);
    ASSERT_EQ(s->any, 1);
    ASSERT_EQ(in_scope(s, "8.8.8.8"), 1);
    ASSERT_NE(case_scope_parse(s, "hq", &z, msg, sizeof msg), 0);
    ASSERT_TRUE(strstr(msg, "'hq'") != NULL);
    ASSERT_NE(case_scope_parse(s, "10.0.0.0/40", &z, msg, sizeof msg), 0);
    ASSERT_NE(case_scope_parse(s, "10.1.2.300", &z, msg, sizeof msg), 0);
    free(s);
}

TEST(case_scope_filters_hunt_results)
{
    struct case_scope *s = malloc(sizeof *s);
    char msg[256];
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ(case_scope_parse(s, "10.1.1.0/24", NULL, msg, sizeof msg), 0);
    struct hunt_result res[4];
    memset(res, 0, sizeof res);
    snprintf(res[0].src, sizeof res[0].src, "10.9.9.9");        /* out */
    snprintf(res[1].src, sizeof res[1].src, "10.1.1.5");        /* in */
    snprintf(res[2].domain, sizeof res[2].domain, "x.example"); /* no address: kept */
    snprintf(res[3].dst, sizeof res[3].dst, "10.1.1.7");        /* in, suppressed */
    res[3].suppressed = 1;
    struct hunt_run r = {.results = res, .nresults = 4, .nsuppressed = 1};
    size_t removed = 0;
    case_scope_filter(s, &r, &removed);
    ASSERT_EQ(removed, 1);
    ASSERT_EQ(r.nresults, 3);
    ASSERT_EQ(r.nsuppressed, 1);
    ASSERT_STR_EQ(res[0].src, "10.1.1.5");
    ASSERT_EQ(res[0].rank, 1);
    ASSERT_EQ(res[2].rank, 3);
    free(s);
}

TEST(case_attack_ids)
{
    char out[64], msg[128];
    ASSERT_EQ(case_attack_parse("t1199, T1567.002", out, sizeof out, msg, sizeof msg), 0);
    ASSERT_STR_EQ(out, "T1199,T1567.002");
    ASSERT_EQ(case_attack_parse("", out, sizeof out, msg, sizeof msg), 0);
    ASSERT_STR_EQ(out, "");
    ASSERT_NE(case_attack_parse("T119", out, sizeof out, msg, sizeof msg), 0);
    ASSERT_NE(case_attack_parse("T1567.02", out, sizeof out, msg, sizeof msg), 0);
    ASSERT_NE(case_attack_parse("TA0001", out, sizeof out, msg, sizeof msg), 0);
    ASSERT_EQ(case_verdict_parse("false-positive"), CASE_FALSE_POSITIVE);
    ASSERT_EQ(case_verdict_parse("evil"), -1);
}

/* ---------------------------------------------------------------- Suricata rules in */

TEST(ioc_import_suricata_rules)
{
    static const char rules[] =
        "# a feed of rules\n"
        "#alert dns any any -> any any (msg:\"disabled\"; dns.query; content:\"off.example\"; "
        "sid:1;)\n"
        "alert dns $HOME_NET any -> any any (msg:\"evil \\\"dns\\\"\"; dns.query; dotprefix; "
        "content:\".Evil.Example\"; endswith; nocase; sid:2; rev:1;)\n"
        "alert tls any any -> any any (msg:\"sni\"; tls_sni; content:\"c2.example.net\"; sid:3;)\n"
        "alert http any any -> any any (msg:\"legacy\"; content:\"dl.example.org\"; http_host; "
        "content:\"/p|3B|q\"; http_uri; sid:4;)\n"
        "alert http any any -> any 8080 (msg:\"url\"; http.host; content:\"x.example\"; "
        "http.uri.raw; content:\"/a.php\"; sid:5;)\n"
        "alert http any any -> any any (msg:\"ua\"; http.user_agent; content:\"Mozilla|2F|4.0 "
        "(x\\; y)\"; sid:6;)\n"
        "alert tls any any -> any any (msg:\"ja3\"; ja3.hash; content:\"DDBD6DCAC4A3A7624912E3703"
        "6FEF3C9\"; sid:7;)\n"
        "alert tls any any -> any any (msg:\"cert\"; tls.cert_fingerprint; \\\n"
        "    content:\"50:6b:87:0b:ff:35:2f:27:cb:98:e2:a7:2c:ef:0e:15:39:0e:f3:95\"; sid:8;)\n"
        "alert ip [198.51.100.7,!198.51.100.8,$EXTERNAL_NET,192.0.2.0/24] any -> any any "
        "(msg:\"ips\"; sid:9;)\n"
        "alert dns any any -> any any (msg:\"negated\"; dns.query; content:!\"good.example\"; "
        "sid:10;)\n"
        "alert dns any any -> any any (msg:\"set\"; dns.query; dataset:isset,n,type string,"
        "load n.lst; sid:11;)\n"
        "alert http any any -> 203.0.113.9 any (msg:\"body\"; http.request_body; "
        "content:\"secret\"; sid:12;)\n";
    struct seen s = {.n = 0};
    struct ioc_import_report r;
    ASSERT_EQ(
        ioc_import_buf((const uint8_t *)rules, strlen(rules), "x.rules", NULL, on_ioc, &s, &r), 0);
    ASSERT_STR_EQ(r.format, "suricata-rules");
    ASSERT_TRUE(has(&s, "domain evil.example"));
    ASSERT_TRUE(has(&s, "domain c2.example.net"));
    ASSERT_TRUE(has(&s, "url http://dl.example.org/p;q"));
    ASSERT_TRUE(has(&s, "url http://x.example:8080/a.php"));
    ASSERT_TRUE(has(&s, "ua Mozilla/4.0 (x; y)"));
    ASSERT_TRUE(has(&s, "ja3 ddbd6dcac4a3a7624912e37036fef3c9"));
    ASSERT_TRUE(has(&s, "cert-sha1 506b870bff352f27cb98e2a72cef0e15390ef395"));
    ASSERT_TRUE(has(&s, "ip 198.51.100.7"));
    ASSERT_TRUE(has(&s, "cidr 192.0.2.0/24"));
    ASSERT_EQ(s.n, 9);
    ASSERT_EQ(has(&s, "domain off.example") || has(&s, "domain good.example"), 0);
    ASSERT_EQ(has(&s, "ip 198.51.100.8") || has(&s, "ip 203.0.113.9"), 0);
    /* negated content, a dataset, a body match: nothing konseki can take from them */
    ASSERT_EQ(r.unsupported, 3);
    ASSERT_EQ(r.invalid, 0);
}
