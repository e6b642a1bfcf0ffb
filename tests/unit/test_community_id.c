/*
 * test_community_id.c — Community ID v1 against the spec's own baselines.
 *
 * Expected values come from corelight/community-id-spec @ b1fe530faa0c:
 *   - baseline/README.md "Default settings" table (hand-picked tuples), and
 *   - baseline/baseline_deflt.json (every row, copied below; the corpus holds
 *     the file at community-id-spec/baseline/baseline_deflt.json),
 * plus the ICMP captures pcaps/icmp.pcap and pcaps/icmp6.pcap decoded here,
 * and Arkime's community_id values from the corpus MANIFEST.
 */
#include "t.h"

#include "core/rdr.h"
#include "flow/flow.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

struct cid_case {
    uint8_t proto;
    const char *saddr, *daddr;
    int sport, dport; /* -1: no ports in the tuple */
    const char *expect;
};

/* Parse a text address into 16 bytes; returns the IP version. */
static int cid_addr(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, out) == 1)
        return 6;
    return 0;
}

static int cid_check(const struct cid_case *c, char *got)
{
    uint8_t s[16], d[16];
    int v = cid_addr(c->saddr, s);
    if (!v || cid_addr(c->daddr, d) != v)
        return -1;
    /* For the ICMPs the baseline's sport is the type; its dport is either the
     * counterpart type (then the code does not matter) or the code. */
    community_id_v1(0, (uint8_t)v, c->proto, s, d, (uint16_t)(c->sport < 0 ? 0 : c->sport),
                    (uint16_t)(c->dport < 0 ? 0 : c->dport), got);
    return strcmp(got, c->expect) == 0 ? 0 : 1;
}

/* community-id-spec baseline/README.md, "Default settings". */
static const struct cid_case readme_cases[] = {
    {6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
    {6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
    {17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
    {17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
    {132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
    {132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
    {1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
    {1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
    {1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128,
     0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
    {58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129,
     0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146,
     0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="},
    {46, "1.2.3.4", "5.6.7.8", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768="},
    {46, "5.6.7.8", "1.2.3.4", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768="},
    {46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", -1,
     -1, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
    {46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", -1,
     -1, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
};

/* community-id-spec baseline/baseline_deflt.json, every row in file order. */
static const struct cid_case json_cases[] = {
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
     "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135,
     "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
    {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
     "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
    {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
    {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
    {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
    {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
    {46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
};

/* Arkime's network.community_id values (corpus MANIFEST, the arkime .test files). */
static const struct cid_case arkime_cases[] = {
    {6, "10.180.156.141", "10.2.95.39", 49342, 53, "1:aiyyBmnGUlby3uK/mWpMfvJm2U4="},
    {6, "10.180.156.141", "10.2.95.39", 49343, 53, "1:Ni+vClyYvGtwxC4Wu5dkGjaQ8ts="},
    {6, "10.180.156.141", "10.180.156.249", 61450, 80, "1:5FhVg97ow4NPd5Q5nqaxA/Bx83A="},
    {6, "127.0.0.1", "127.0.0.1", 41823, 445, "1:XipISkp35L7t47uOIP6tFb6wvUM="},
    {6, "2001:4998:ef83:14:8000::100d", "2606:4700::6811:d209", 64034, 443,
     "1:/wxqZ626SZRx3CanjPRZ6tl4iH8="},
    {17, "192.168.65.3", "192.168.65.1", 42060, 53, "1:SB1sNGEQ5U+jmB3am3T8bnBNTKI="},
    {1, "192.168.177.160", "10.64.11.49", 8, 0, "1:u15ZSE/zwPPH+PdNHE0LOby1NF0="},
    {58, "fe80::211:25ff:fe82:95b5", "ff02::1:ff82:95b5", 135, 0, "1:0fx8iuIOVuN5EqSAPlk7AsecuJg="},
    {58, "fe80::2d0:9ff:fee3:e8de", "ff02::16", 143, 0, "1:N1pYzX56SZ4pCJrRuglkQ+2ylvE="},
    {58, "::", "ff02::1:ff98:6e1", 135, 0, "1:eilndz0cTfzOL/w14PcBW0lsMzo="},
};

static int cid_run(const struct cid_case *cs, size_t n)
{
    char got[32];
    for (size_t i = 0; i < n; i++) {
        int rc = cid_check(&cs[i], got);
        if (rc) {
            t_fail(__FILE__, __LINE__, "row %zu (proto %u %s:%d > %s:%d): got %s, want %s", i,
                   cs[i].proto, cs[i].saddr, cs[i].sport, cs[i].daddr, cs[i].dport,
                   rc < 0 ? "(bad address)" : got, cs[i].expect);
            return 1;
        }
    }
    return 0;
}

TEST(community_id_spec_readme_table)
{
    ASSERT_EQ(cid_run(readme_cases, sizeof readme_cases / sizeof readme_cases[0]), 0);
}

TEST(community_id_spec_baseline_json)
{
    ASSERT_EQ(cid_run(json_cases, sizeof json_cases / sizeof json_cases[0]), 0);
}

TEST(community_id_arkime_values)
{
    ASSERT_EQ(cid_run(arkime_cases, sizeof arkime_cases / sizeof arkime_cases[0]), 0);
}

TEST(community_id_format)
{
    uint8_t a[16] = {1, 2, 3, 4}, b[16] = {5, 6, 7, 8};
    char out[32];
    memset(out, 'x', sizeof out);
    community_id_v1(0, 4, 6, a, b, 1122, 3344, out);
    ASSERT_EQ(strlen(out), 30); /* "1:" + 28 base64 characters */
    ASSERT_EQ(out[29], '=');
    /* the seed changes the hash (README "A custom seed=1 value") */
    community_id_v1(1, 4, 6, a, b, 1122, 3344, out);
    ASSERT_STR_EQ(out, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    community_id_v1(1, 4, 1, a, b, 8, 0, out);
    ASSERT_STR_EQ(out, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
}

/*
 * Read the spec's ICMP captures, compute each packet's ID from its type and
 * code, and check it against the baseline row for the same (src, dst, type).
 * Ethernet only; IPv4 or IPv6 without extension headers (which is what these
 * two captures hold).
 */
static int cid_pcap(const char *path, int *checked)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        return -1;
    struct pcap_pkthdr *h;
    const u_char *pk;
    int bad = 0;
    while (pcap_next_ex(p, &h, &pk) == 1) {
        struct rdr r;
        rdr_init(&r, pk, h->caplen);
        rdr_skip(&r, 12);
        uint16_t et = rdr_u16be(&r);
        uint8_t v, proto, src[16] = {0}, dst[16] = {0};
        if (et == 0x0800) {
            v = 4;
            size_t ihl = (size_t)(rdr_u8(&r) & 0x0f) * 4;
            rdr_skip(&r, 8);
            proto = rdr_u8(&r);
            rdr_skip(&r, 2);
            rdr_copy(&r, src, 4);
            rdr_copy(&r, dst, 4);
            rdr_skip(&r, ihl > 20 ? ihl - 20 : 0);
        } else if (et == 0x86dd) {
            v = 6;
            rdr_skip(&r, 6);
            proto = rdr_u8(&r);
            rdr_skip(&r, 1);
            rdr_copy(&r, src, 16);
            rdr_copy(&r, dst, 16);
        } else {
            continue;
        }
        uint8_t type = rdr_u8(&r), code = rdr_u8(&r);
        if (!rdr_ok(&r) || (proto != 1 && proto != 58))
            continue;
        char sa[64], da[64], got[32];
        inet_ntop(v == 4 ? AF_INET : AF_INET6, src, sa, sizeof sa);
        inet_ntop(v == 4 ? AF_INET : AF_INET6, dst, da, sizeof da);
        community_id_v1(0, v, proto, src, dst, type, code, got);
        for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
            const struct cid_case *c = &json_cases[i];
            if (c->proto == proto && c->sport == type && !strcmp(c->saddr, sa) &&
                !strcmp(c->daddr, da)) {
                (*checked)++;
                if (strcmp(got, c->expect) != 0) {
                    fprintf(stderr, "  %s: %s > %s type %u: %s, want %s\n", path, sa, da, type, got,
                            c->expect);
                    bad++;
                }
            }
        }
    }
    pcap_close(p);
    return bad;
}

TEST(community_id_spec_pcaps)
{
    const char *corpus = t_corpus();
    if (!corpus) {
        t_skip("no corpus");
        return;
    }
    char path[4096];
    int checked = 0;
    snprintf(path, sizeof path, "%s/community-id-spec/pcaps/icmp.pcap", corpus);
    ASSERT_EQ(cid_pcap(path, &checked), 0);
    /* MANIFEST row 53: 2 baseline entries match this capture (request and reply) */
    ASSERT_GE(checked, 2);
    int v4 = checked;
    snprintf(path, sizeof path, "%s/community-id-spec/pcaps/icmp6.pcap", corpus);
    ASSERT_EQ(cid_pcap(path, &checked), 0);
    /* MANIFEST row 54: 8 baseline entries match this capture */
    ASSERT_GE(checked - v4, 8);
}
