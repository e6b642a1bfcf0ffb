/*
 * test_proto_dns.c — the DNS parser: names (compression, loops, limits), every decoded RDATA
 * type, transactions (paired, unanswered, response only, the pending cap), TCP framing
 * (split, pipelined, gaps), the probe, and the corpus captures against their oracles.
 */
#include "decode/decode.h"
#include "proto/dns.h"
#include "t.h"
#include "t_pcap.h"

#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- building messages */

struct mb {
    uint8_t b[8192];
    size_t n;
};

static void put8(struct mb *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
    put8(m, v >> 8);
    put8(m, v);
}

static void put32(struct mb *m, uint32_t v)
{
    put16(m, v >> 16);
    put16(m, v & 0xffff);
}

static void putbytes(struct mb *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* "www.example.com" as labels; with end = 0 the caller ends it (a pointer follows). */
static void putlabels(struct mb *m, const char *dotted, int end)
{
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        put8(m, (unsigned)l);
        putbytes(m, dotted, l);
        dotted += l + (dot ? 1 : 0);
    }
    if (end)
        put8(m, 0);
}

static void putname(struct mb *m, const char *dotted)
{
    putlabels(m, dotted, 1);
}

static void putptr(struct mb *m, size_t off)
{
    put16(m, 0xc000 | (unsigned)off);
}

static void hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                unsigned ar)
{
    m->n = 0;
    put16(m, id);
    put16(m, flags);
    put16(m, qd);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
}

/* Type, class, TTL and a placeholder RDLENGTH; returns where RDLENGTH goes. */
static size_t rr_begin(struct mb *m, unsigned type, unsigned cls, uint32_t ttl)
{
    put16(m, type);
    put16(m, cls);
    put32(m, ttl);
    size_t at = m->n;
    put16(m, 0);
    return at;
}

static void rr_end(struct mb *m, size_t at)
{
    size_t l = m->n - at - 2;
    m->b[at] = (uint8_t)(l >> 8);
    m->b[at + 1] = (uint8_t)l;
}

/* A query for name/type (IN) with the given ID. */
static void query(struct mb *m, unsigned id, const char *name, unsigned type)
{
    hdr(m, id, 0x0100, 1, 0, 0, 0);
    putname(m, name);
    put16(m, type);
    put16(m, 1);
}

/* ---------------------------------------------------------------- running the parser */

struct h {
    struct proto_out o;
    struct proto_ctx c;
    void *st;
};

static const uint8_t kCli[16] = {10, 0, 0, 1}, kSrv[16] = {10, 0, 0, 53};

static void h_open(struct h *h, uint8_t l4, uint16_t srv_port)
{
    proto_out_init(&h->o, 0);
    memset(&h->c, 0, sizeof h->c);
    h->c.ipver = 4;
    h->c.l4 = l4;
    h->c.cli_addr = kCli;
    h->c.srv_addr = kSrv;
    h->c.cli_port = 40000;
    h->c.srv_port = srv_port;
    h->st = calloc(1, proto_dns.state_size);
}

/* An exact-size copy, so ASan sees any read past the bytes handed over. */
static void h_feed(struct h *h, int dir, const void *d, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, d, n);
    proto_dns.data(h->st, &h->o, &h->c, dir, c, n);
    free(c);
}

/* Feed one message with its TCP length prefix. */
static void h_feed_tcp(struct h *h, int dir, const struct mb *m)
{
    uint8_t b[sizeof m->b + 2];
    b[0] = (uint8_t)(m->n >> 8);
    b[1] = (uint8_t)m->n;
    memcpy(b + 2, m->b, m->n);
    h_feed(h, dir, b, m->n + 2);
}

static void h_end(struct h *h)
{
    if (!h->st)
        return;
    proto_dns.end(h->st, &h->o, &h->c);
    proto_dns.release(h->st);
    free(h->st);
    h->st = NULL;
}

static void h_close(struct h *h)
{
    h_end(h);
    proto_out_release(&h->o);
}

/* ---------------------------------------------------------------- names */

static int read_name(const struct mb *m, size_t off, char *out, const char **why, size_t *end)
{
    size_t at = off;
    int r = dns_name_read(m->b, m->n, &at, 12, out, why);
    if (end)
        *end = at;
    return r;
}

TEST(dns_name_plain_compressed_root_escaped)
{
    struct mb m;
    char out[DNS_NAME_MAX];
    const char *why;
    size_t end;
    hdr(&m, 1, 0, 0, 0, 0, 0);
    putname(&m, "www.Example.com"); /* 12 */
    size_t p2 = m.n;
    putlabels(&m, "mail", 0);
    putptr(&m, 16); /* -> Example.com */
    size_t p3 = m.n;
    put8(&m, 0); /* root */
    size_t p4 = m.n;
    put8(&m, 3);
    putbytes(&m, "a.b", 3);
    put8(&m, 1);
    put8(&m, '\\');
    put8(&m, 0);
    ASSERT_EQ(read_name(&m, 12, out, &why, &end), 15);
    ASSERT_STR_EQ(out, "www.Example.com");
    ASSERT_EQ(end, p2);
    ASSERT_EQ(read_name(&m, p2, out, &why, &end), 16);
    ASSERT_STR_EQ(out, "mail.Example.com");
    ASSERT_EQ(end, p3); /* past the pointer, not where it led */
    ASSERT_EQ(read_name(&m, p3, out, &why, &end), 1);
    ASSERT_STR_EQ(out, ".");
    ASSERT_EQ(end, p3 + 1);
    ASSERT_TRUE(read_name(&m, p4, out, &why, NULL) > 0);
    ASSERT_STR_EQ(out, "a\\.b.\\\\");
}

TEST(dns_name_pointer_loops_and_forward)
{
    struct mb m;
    char out[DNS_NAME_MAX];
    const char *why;
    size_t end = 0;
    hdr(&m, 1, 0, 0, 0, 0, 0);
    putptr(&m, 12); /* points at itself */
    ASSERT_TRUE(read_name(&m, 12, out, &why, &end) < 0);
    ASSERT_STR_EQ(why, "dns.name_pointer_forward");
    ASSERT_EQ(end, 12); /* *off unchanged on failure */
    /* 14: label "a" then a pointer back to 14 + 2 = inside the same name: forward of its start */
    put8(&m, 1);
    put8(&m, 'a');
    putptr(&m, 15);
    ASSERT_TRUE(read_name(&m, 14, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_pointer_forward");
    /* a pointer to a later byte */
    hdr(&m, 1, 0, 0, 0, 0, 0);
    putptr(&m, 14);
    putname(&m, "x");
    ASSERT_TRUE(read_name(&m, 12, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_pointer_forward");
    /* into the header */
    hdr(&m, 1, 0, 0, 0, 0, 0);
    putptr(&m, 4);
    ASSERT_TRUE(read_name(&m, 12, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_pointer_forward");
    /* two pointers that point at each other: the second one is forward of the first's target */
    hdr(&m, 1, 0, 0, 0, 0, 0);
    putptr(&m, 14); /* 12 -> 14 (forward) */
    putptr(&m, 12); /* 14 -> 12 -> 14 … */
    ASSERT_TRUE(read_name(&m, 14, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_pointer_forward");
}

TEST(dns_name_jump_limit)
{
    /* a chain of 130 pointers, each to the one before it: 129 jumps > 128 */
    struct mb m;
    char out[DNS_NAME_MAX];
    const char *why;
    hdr(&m, 1, 0, 0, 0, 0, 0);
    put8(&m, 0); /* 12: root */
    size_t prev = 12;
    for (int i = 0; i < 130; i++) {
        size_t at = m.n;
        putptr(&m, prev);
        prev = at;
    }
    ASSERT_TRUE(read_name(&m, prev, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_loop");
    /* 128 jumps are fine */
    ASSERT_EQ(read_name(&m, 13 + 2 * 127, out, &why, NULL), 1);
    ASSERT_STR_EQ(out, ".");
}

TEST(dns_name_limits)
{
    struct mb m;
    char out[DNS_NAME_MAX];
    const char *why;
    hdr(&m, 1, 0, 0, 0, 0, 0);
    put8(&m, 64); /* 0x40: not a length */
    for (int i = 0; i < 64; i++)
        put8(&m, 'a');
    put8(&m, 0);
    ASSERT_TRUE(read_name(&m, 12, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_bad_label");
    /* 4 labels of 63 = 256 wire bytes with the root: too long; 3 labels + 61 = 255 is fine */
    for (int n = 61; n <= 62; n++) {
        hdr(&m, 1, 0, 0, 0, 0, 0);
        for (int l = 0; l < 4; l++) {
            int len = l < 3 ? 63 : n;
            put8(&m, (unsigned)len);
            for (int i = 0; i < len; i++)
                put8(&m, 'a' + l);
        }
        put8(&m, 0);
        int r = read_name(&m, 12, out, &why, NULL);
        if (n == 61) {
            ASSERT_EQ(r, 63 * 3 + 61 + 3);
        } else {
            ASSERT_TRUE(r < 0);
            ASSERT_STR_EQ(why, "dns.name_too_long");
        }
    }
    /* a name of 127 labels "\." each, all escaped: the longest text there is */
    hdr(&m, 1, 0, 0, 0, 0, 0);
    for (int l = 0; l < 127; l++) {
        put8(&m, 1);
        put8(&m, '.');
    }
    put8(&m, 0);
    ASSERT_EQ(read_name(&m, 12, out, &why, NULL), 127 * 2 + 126);
    /* cut in the middle of a label, and of a pointer */
    hdr(&m, 1, 0, 0, 0, 0, 0);
    put8(&m, 5);
    putbytes(&m, "abc", 3);
    ASSERT_TRUE(read_name(&m, 12, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_truncated");
    hdr(&m, 1, 0, 0, 0, 0, 0);
    put8(&m, 0xc0);
    ASSERT_TRUE(read_name(&m, 12, out, &why, NULL) < 0);
    ASSERT_STR_EQ(why, "dns.name_truncated");
}

/* ---------------------------------------------------------------- transactions */

TEST(dns_udp_query_and_response_pair)
{
    struct h h;
    struct mb m;
    h_open(&h, 17, 53);
    query(&m, 0x1234, "WWW.Example.com", 1);
    h_feed(&h, 0, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 0); /* waits for its response */
    hdr(&m, 0x1234, 0x8180, 1, 2, 0, 0);
    putname(&m, "WWW.Example.com");
    put16(&m, 1);
    put16(&m, 1);
    putptr(&m, 12);
    size_t at = rr_begin(&m, 5, 1, 300);
    putlabels(&m, "web", 0);
    putptr(&m, 16);
    rr_end(&m, at);
    putptr(&m, at + 2);
    at = rr_begin(&m, 1, 1, 60);
    putbytes(&m, "\x5d\xb8\xd8\x22", 4);
    rr_end(&m, at);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    const struct proto_out *o = &h.o;
    ASSERT_STR_EQ(o->recs[0].type, "dns");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.id"), "4660");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.op_code"), "QUERY");
    ASSERT_EQ(proto_out_count(o, 0, "dns.header_flags"), 2);
    ASSERT_STR_EQ(proto_out_get_nth(o, 0, "dns.header_flags", 0), "RD");
    ASSERT_STR_EQ(proto_out_get_nth(o, 0, "dns.header_flags", 1), "RA");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.response_code"), "NOERROR");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.question.name"), "www.example.com");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.question.name_raw"), "WWW.Example.com");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.question.type"), "A");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.question.class"), "IN");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.type"), "answer");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.unanswered"), "false");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.transport"), "udp");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.answer_count"), "2");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.resolved_ip"), "93.184.216.34");
    ASSERT_STR_EQ(o->recs[0].json,
                  "{\"dns\":{\"id\":4660,\"op_code\":\"QUERY\",\"header_flags\":[\"RD\",\"RA\"],"
                  "\"response_code\":\"NOERROR\",\"question\":{\"name\":\"www.example.com\","
                  "\"name_raw\":\"WWW.Example.com\",\"type\":\"A\",\"class\":\"IN\"},"
                  "\"type\":\"answer\",\"unanswered\":false,\"transport\":\"udp\","
                  "\"answer_count\":2,\"resolved_ip\":\"93.184.216.34\",\"answers\":["
                  "{\"name\":\"WWW.Example.com\",\"type\":\"CNAME\",\"class\":\"IN\",\"ttl\":300,"
                  "\"data\":\"web.Example.com\"},{\"name\":\"web.Example.com\",\"type\":\"A\","
                  "\"class\":\"IN\",\"ttl\":60,\"data\":\"93.184.216.34\"}]}}");
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 1); /* nothing left waiting */
    h_close(&h);
}

TEST(dns_every_rdata_type)
{
    struct h h;
    struct mb m;
    h_open(&h, 17, 53);
    hdr(&m, 7, 0x8580, 1, 9, 1, 2);
    putname(&m, "example.org"); /* 12 */
    put16(&m, 255);
    put16(&m, 1);
    size_t at;
#define OWNER() putptr(&m, 12)
    OWNER();
    at = rr_begin(&m, 28, 1, 1);
    putbytes(&m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 2, 1, 2);
    putlabels(&m, "ns1", 0);
    putptr(&m, 12);
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 12, 1, 3);
    putname(&m, "host.example.net");
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 15, 1, 4);
    put16(&m, 10);
    putlabels(&m, "mx", 0);
    putptr(&m, 12);
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 16, 1, 5);
    put8(&m, 5);
    putbytes(&m, "hello", 5);
    put8(&m, 0);
    put8(&m, 3);
    putbytes(&m, "a b", 3);
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 33, 1, 6);
    put16(&m, 1);
    put16(&m, 2);
    put16(&m, 5060);
    putlabels(&m, "sip", 0);
    putptr(&m, 12);
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 39, 1, 7);
    putname(&m, "example.com");
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 257, 1, 8); /* CAA: hex */
    putbytes(&m, "\x00\x05issue", 7);
    rr_end(&m, at);
    OWNER();
    at = rr_begin(&m, 4660, 1, 9); /* unknown type */
    putbytes(&m, "\xde\xad", 2);
    rr_end(&m, at);
    /* authority: SOA */
    OWNER();
    at = rr_begin(&m, 6, 1, 900);
    putlabels(&m, "ns1", 0);
    putptr(&m, 12);
    putname(&m, "hostmaster.example.org");
    put32(&m, 2024010101);
    put32(&m, 7200);
    put32(&m, 900);
    put32(&m, 1209600);
    put32(&m, 86400);
    rr_end(&m, at);
    /* additional: OPT (DO set) and an A record */
    put8(&m, 0);
    at = rr_begin(&m, 41, 1232, 0x00008000);
    rr_end(&m, at);
    putname(&m, "ns1.example.org");
    at = rr_begin(&m, 1, 1, 10);
    putbytes(&m, "\xc0\x00\x02\x01", 4);
    rr_end(&m, at);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    const struct proto_out *o = &h.o;
    static const char *const types[] = {"AAAA", "NS",    "PTR", "MX",      "TXT",
                                        "SRV",  "DNAME", "CAA", "TYPE4660"};
    ASSERT_EQ(proto_out_count(o, 0, "dns.answers.type"), 9);
    for (size_t i = 0; i < 9; i++) {
        ASSERT_STR_EQ(proto_out_get_nth(o, 0, "dns.answers.type", i), types[i]);
        ASSERT_STR_EQ(proto_out_get_nth(o, 0, "dns.answers.name", i), "example.org");
        ASSERT_EQ(atoi(proto_out_get_nth(o, 0, "dns.answers.ttl", i)), (int)i + 1);
    }
    static const char *const data[] = {"2001:db8::1",
                                       "ns1.example.org",
                                       "host.example.net",
                                       "10 mx.example.org",
                                       "hello",
                                       "",
                                       "a b",
                                       "1 2 5060 sip.example.org",
                                       "example.com",
                                       "00056973737565",
                                       "dead"};
    ASSERT_EQ(proto_out_count(o, 0, "dns.answers.data"), 11);
    for (size_t i = 0; i < 11; i++) {
        const char *v = proto_out_get_nth(o, 0, "dns.answers.data", i);
        ASSERT_STR_EQ(v, data[i]);
    }
    ASSERT_TRUE(strstr(o->recs[0].json, "\"data\":[\"hello\",\"\",\"a b\"]") != NULL);
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.resolved_ip"), "2001:db8::1");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.question.type"), "ANY");
    ASSERT_TRUE(proto_out_get(o, 0, "dns.question.name_raw") == NULL);
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.type"), "SOA");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.ttl"), "900");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.data"),
                  "ns1.example.org hostmaster.example.org 2024010101 7200 900 1209600 86400");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.mname"), "ns1.example.org");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.rname"), "hostmaster.example.org");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.serial"), "2024010101");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.refresh"), "7200");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.retry"), "900");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.expire"), "1209600");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.authorities.soa.minimum"), "86400");
    /* OPT is not an additional record; it adds DO to the flags */
    ASSERT_EQ(proto_out_count(o, 0, "dns.additionals.name"), 1);
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.additionals.data"), "192.0.2.1");
    ASSERT_EQ(proto_out_count(o, 0, "dns.header_flags"), 4);
    ASSERT_STR_EQ(proto_out_get_nth(o, 0, "dns.header_flags", 0), "AA");
    ASSERT_STR_EQ(proto_out_get_nth(o, 0, "dns.header_flags", 3), "DO");
    ASSERT_STR_EQ(proto_out_get(o, 0, "dns.type"), "answer"); /* response without a query */
    ASSERT_EQ(h.o.nanom, 0);
    h_close(&h);
#undef OWNER
}

TEST(dns_bad_rdata_and_ext_rcode)
{
    struct h h;
    struct mb m;
    h_open(&h, 17, 53);
    hdr(&m, 9, 0x8181, 1, 3, 0, 1);
    putname(&m, "x.test");
    put16(&m, 1);
    put16(&m, 1);
    putptr(&m, 12);
    size_t at = rr_begin(&m, 1, 1, 1); /* A with 3 bytes */
    putbytes(&m, "\1\2\3", 3);
    rr_end(&m, at);
    putptr(&m, 12);
    at = rr_begin(&m, 5, 1, 1); /* CNAME whose name runs past its RDATA */
    put8(&m, 9);
    putbytes(&m, "abc", 3);
    rr_end(&m, at);
    putptr(&m, 12);
    at = rr_begin(&m, 16, 1, 1); /* TXT string longer than the RDATA */
    put8(&m, 9);
    rr_end(&m, at);
    put8(&m, 0);
    at = rr_begin(&m, 41, 4096, 0x01000000); /* extended RCODE 1: 1 << 4 | 1 = 17 BADKEY */
    rr_end(&m, at);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.response_code"), "BADKEY");
    ASSERT_EQ(proto_out_count(&h.o, 0, "dns.answers.type"), 3);
    ASSERT_EQ(proto_out_count(&h.o, 0, "dns.answers.data"), 0);
    ASSERT_EQ(proto_out_count(&h.o, 0, "dns.resolved_ip"), 0);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.bad_rdata"), 2);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.name_truncated"), 1);
    h_close(&h);
}

TEST(dns_unanswered_and_pending_cap)
{
    struct h h;
    struct mb m;
    h_open(&h, 17, 53);
    query(&m, 1, "a.test", 28);
    h_feed(&h, 0, m.b, m.n);
    query(&m, 2, "b.test", 1);
    h_feed(&h, 0, m.b, m.n);
    /* a response with the right ID but another question does not answer query 2 */
    hdr(&m, 2, 0x8183, 1, 0, 0, 0);
    putname(&m, "c.test");
    put16(&m, 1);
    put16(&m, 1);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.question.name"), "c.test");
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.response_code"), "NXDOMAIN");
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 3); /* oldest first */
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.question.name"), "a.test");
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.question.type"), "AAAA");
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.unanswered"), "true");
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.type"), "query");
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.header_flags"), "RD");
    ASSERT_TRUE(proto_out_get(&h.o, 1, "dns.response_code") == NULL);
    ASSERT_TRUE(proto_out_get(&h.o, 1, "dns.answer_count") == NULL);
    ASSERT_STR_EQ(proto_out_get(&h.o, 2, "dns.id"), "2");
    h_close(&h);

    /* 1001 waiting queries: the first is written as soon as the 1001st comes */
    h_open(&h, 17, 53);
    for (unsigned i = 0; i < 1001; i++) {
        query(&m, i, "flood.test", 1);
        h_feed(&h, 0, m.b, m.n);
    }
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.id"), "0");
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.too_many_pending"), 1);
    /* the answer to query 500 pairs with it */
    hdr(&m, 500, 0x8180, 1, 0, 0, 0);
    putname(&m, "FLOOD.test");
    put16(&m, 1);
    put16(&m, 1);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.id"), "500");
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.unanswered"), "false");
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.question.name"), "flood.test"); /* the query's */
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 1001);
    ASSERT_STR_EQ(proto_out_get(&h.o, 1000, "dns.id"), "1000");
    h_close(&h);
}

/* Question names kept while waiting: short ones inline, long ones on the heap, both paired. */
TEST(dns_pending_long_and_short_names)
{
    struct h h;
    struct mb m;
    const char *lng =
        "a-label-of-some-length.another-fairly-long-label.and-a-third-one.example.test";
    h_open(&h, 17, 53);
    query(&m, 7, lng, 1);
    h_feed(&h, 0, m.b, m.n);
    query(&m, 8, "short.test", 1);
    h_feed(&h, 0, m.b, m.n);
    query(&m, 9, lng, 28); /* a third waiting query: past the inline pair */
    h_feed(&h, 0, m.b, m.n);
    hdr(&m, 7, 0x8180, 1, 0, 0, 0);
    putname(&m, lng);
    put16(&m, 1);
    put16(&m, 1);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.question.name"), lng);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.unanswered"), "false");
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.question.name"), "short.test");
    ASSERT_STR_EQ(proto_out_get(&h.o, 2, "dns.question.name"), lng);
    ASSERT_STR_EQ(proto_out_get(&h.o, 2, "dns.question.type"), "AAAA");
    h_close(&h);
}

TEST(dns_garbage_and_truncated)
{
    struct h h;
    struct mb m;
    h_open(&h, 17, 53);
    h_feed(&h, 0, "\x12\x34\x01", 3);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.truncated_header"), 1);
    query(&m, 5, "ok.test", 1);
    m.n -= 3; /* cut inside QTYPE/QCLASS */
    h_feed(&h, 0, m.b, m.n);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.question_truncated"), 1);
    /* ANCOUNT says 5, one RR present */
    hdr(&m, 6, 0x8180, 1, 5, 0, 0);
    putname(&m, "ok.test");
    put16(&m, 1);
    put16(&m, 1);
    putptr(&m, 12);
    size_t at = rr_begin(&m, 1, 1, 1);
    putbytes(&m, "\1\2\3\4", 4);
    rr_end(&m, at);
    putptr(&m, 12);
    put16(&m, 1);
    h_feed(&h, 1, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.answer_count"), "5");
    ASSERT_EQ(proto_out_count(&h.o, 0, "dns.answers.data"), 1);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.rr_truncated"), 1);
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 1);
    h_close(&h);
}

/* ---------------------------------------------------------------- TCP */

TEST(dns_tcp_split_and_pipelined)
{
    struct h h;
    struct mb q, r;
    h_open(&h, 6, 53);
    query(&q, 77, "split.test", 1);
    hdr(&r, 77, 0x8180, 1, 1, 0, 0);
    putname(&r, "split.test");
    put16(&r, 1);
    put16(&r, 1);
    putptr(&r, 12);
    size_t at = rr_begin(&r, 1, 1, 30);
    putbytes(&r, "\x0a\x01\x02\x03", 4);
    rr_end(&r, at);
    /* the query one byte per call, the response in two pieces cut inside the length */
    uint8_t b[600];
    b[0] = 0;
    b[1] = (uint8_t)q.n;
    memcpy(b + 2, q.b, q.n);
    for (size_t i = 0; i < q.n + 2; i++)
        h_feed(&h, 0, b + i, 1);
    b[0] = 0;
    b[1] = (uint8_t)r.n;
    memcpy(b + 2, r.b, r.n);
    h_feed(&h, 1, b, 1);
    ASSERT_EQ(h.o.nrecs, 0);
    h_feed(&h, 1, b + 1, r.n + 1);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.transport"), "tcp");
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.resolved_ip"), "10.1.2.3");
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.question.name"), "split.test");

    /* three queries in one call, then their responses in one call cut mid-message */
    size_t n = 0;
    for (unsigned id = 1; id <= 3; id++) {
        char name[16];
        snprintf(name, sizeof name, "p%u.test", id);
        query(&q, id, name, 1);
        b[n++] = 0;
        b[n++] = (uint8_t)q.n;
        memcpy(b + n, q.b, q.n);
        n += q.n;
    }
    h_feed(&h, 0, b, n);
    n = 0;
    for (unsigned id = 3; id >= 1; id--) { /* answered out of order (RFC 7766 §7) */
        char name[16];
        snprintf(name, sizeof name, "p%u.test", id);
        hdr(&r, id, 0x8180, 1, 0, 0, 0);
        putname(&r, name);
        put16(&r, 1);
        put16(&r, 1);
        b[n++] = 0;
        b[n++] = (uint8_t)r.n;
        memcpy(b + n, r.b, r.n);
        n += r.n;
    }
    h_feed(&h, 1, b, n - 5);
    ASSERT_EQ(h.o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&h.o, 1, "dns.question.name"), "p3.test");
    ASSERT_STR_EQ(proto_out_get(&h.o, 2, "dns.question.name"), "p2.test");
    h_feed(&h, 1, b + n - 5, 5);
    ASSERT_EQ(h.o.nrecs, 4);
    ASSERT_STR_EQ(proto_out_get(&h.o, 3, "dns.question.name"), "p1.test");
    ASSERT_STR_EQ(proto_out_get(&h.o, 3, "dns.unanswered"), "false");
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 4);
    ASSERT_EQ(h.o.nanom, 0);
    h_close(&h);
}

TEST(dns_tcp_big_message_gap_and_cut)
{
    struct h h;
    struct mb q;
    h_open(&h, 6, 53);
    /* a 65535-byte message (an answer full of TXT) arrives in 1000-byte pieces */
    uint8_t *b = calloc(1, 65537);
    ASSERT_TRUE(b != NULL);
    struct mb r;
    hdr(&r, 3, 0x8180, 1, 1, 0, 0);
    putname(&r, "big.test");
    put16(&r, 16);
    put16(&r, 1);
    putptr(&r, 12);
    put16(&r, 16);
    put16(&r, 1);
    put32(&r, 1);
    size_t rdlen = 65535 - r.n - 2;
    put16(&r, (unsigned)rdlen);
    b[0] = b[1] = 0xff;
    memcpy(b + 2, r.b, r.n);
    for (size_t at = 2 + r.n, left = rdlen; left > 0;) { /* TXT strings of "x" */
        size_t l = left - 1 > 255 ? 255 : left - 1;
        b[at] = (uint8_t)l;
        memset(b + at + 1, 'x', l);
        at += 1 + l;
        left -= 1 + l;
    }
    for (size_t at = 0; at < 65537; at += 1000)
        h_feed(&h, 1, b + at, 65537 - at < 1000 ? 65537 - at : 1000);
    free(b);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.answers.type"), "TXT");
    ASSERT_GT(proto_out_count(&h.o, 0, "dns.answers.data"), 100);
    /* a gap in the client direction: what follows there is ignored */
    query(&q, 4, "after.gap", 1);
    proto_dns.gap(h.st, &h.o, &h.c, 0, 100);
    h_feed_tcp(&h, 0, &q);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.tcp_gap"), 1);
    /* the server direction still works; a message cut by the end is counted */
    hdr(&r, 5, 0x8180, 1, 0, 0, 0);
    putname(&r, "srv.test");
    put16(&r, 1);
    put16(&r, 1);
    h_feed_tcp(&h, 1, &r);
    ASSERT_EQ(h.o.nrecs, 2);
    h_feed(&h, 1, "\x00\x40\x01\x02", 4);
    h_end(&h);
    ASSERT_EQ(h.o.nrecs, 2);
    ASSERT_EQ(proto_out_anomaly(&h.o, "dns.tcp_message_cut"), 1);
    h_close(&h);
}

/* ---------------------------------------------------------------- probe */

TEST(dns_probe)
{
    struct mb m;
    struct proto_ctx c = {0};
    c.ipver = 4;
    c.l4 = 17;
    c.cli_port = 40000;
    c.srv_port = 9999;
    query(&m, 1, "probe.test", 1);
    ASSERT_EQ(proto_dns.probe(&c, 0, m.b, m.n), PROTO_CONTENT);
    ASSERT_EQ(proto_dns.probe(&c, 0, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18), PROTO_NO);
    c.srv_port = 5355;
    ASSERT_EQ(proto_dns.probe(&c, 0, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18), PROTO_PORT);
    m.b[5] = 9; /* QDCOUNT 9 */
    ASSERT_EQ(proto_dns.probe(&c, 0, m.b, m.n), PROTO_PORT);
    m.b[5] = 1;
    m.b[m.n - 1] = 7; /* class 7 */
    ASSERT_EQ(proto_dns.probe(&c, 0, m.b, m.n), PROTO_PORT);
    m.b[m.n - 1] = 1;
    /* TCP: after the length */
    c.l4 = 6;
    c.srv_port = 8053;
    uint8_t b[128] = {0, (uint8_t)m.n};
    memcpy(b + 2, m.b, m.n);
    ASSERT_EQ(proto_dns.probe(&c, 0, b, m.n + 2), PROTO_CONTENT);
    ASSERT_EQ(proto_dns.probe(&c, 0, b, 1), PROTO_NO);
}

TEST(dns_mdns_class_bits)
{
    struct h h;
    struct mb m;
    h_open(&h, 17, 5353);
    hdr(&m, 0, 0x8400, 0, 1, 0, 0);
    putname(&m, "printer.local");
    size_t at = rr_begin(&m, 1, 0x8001, 120); /* cache-flush bit */
    putbytes(&m, "\xc0\xa8\x01\x05", 4);
    rr_end(&m, at);
    h_feed(&h, 0, m.b, m.n);
    ASSERT_EQ(h.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.answers.class"), "IN");
    ASSERT_STR_EQ(proto_out_get(&h.o, 0, "dns.resolved_ip"), "192.168.1.5");
    ASSERT_TRUE(proto_out_get(&h.o, 0, "dns.question.name") == NULL);
    h_close(&h);
}

/* ---------------------------------------------------------------- corpus */

#define MAXS 16

struct csess {
    uint8_t a[16], b[16]; /* a = client (sent the first packet) */
    uint16_t pa, pb;
    uint8_t l4;
    void *st;
    struct proto_ctx c;
};

/*
 * Feed every DNS packet (port 53/5353) of a corpus capture to the parser: UDP one datagram
 * per call, TCP each direction's payloads in capture order (the captures are clean).
 * Sessions end in the order they began.  Returns the number of sessions, -1 without corpus.
 */
static int corpus_run(const char *rel, struct proto_out *o)
{
    struct cap cap;
    if (cap_load(&cap, rel) < 0)
        return -1;
    struct csess s[MAXS];
    int ns = 0;
    proto_out_init(o, 0);
    for (int i = 0; i < cap.n; i++) {
        struct decoded d;
        if (decode_packet((uint32_t)cap.lt, cap.p[i], cap.len[i], &d) != DEC_OK)
            continue;
        if ((d.proto != 6 && d.proto != 17) || d.payload_len == 0)
            continue;
        int dns = d.sport == 53 || d.dport == 53 || d.sport == 5353 || d.dport == 5353;
        if (!dns)
            continue;
        int k, dir = 0;
        for (k = 0; k < ns; k++) {
            if (s[k].l4 != d.proto)
                continue;
            if (!memcmp(s[k].a, d.src, 16) && !memcmp(s[k].b, d.dst, 16) && s[k].pa == d.sport &&
                s[k].pb == d.dport) {
                dir = 0;
                break;
            }
            if (!memcmp(s[k].a, d.dst, 16) && !memcmp(s[k].b, d.src, 16) && s[k].pa == d.dport &&
                s[k].pb == d.sport) {
                dir = 1;
                break;
            }
        }
        if (k == ns) {
            if (ns == MAXS)
                continue;
            struct csess *n = &s[ns++];
            memset(n, 0, sizeof *n);
            memcpy(n->a, d.src, 16);
            memcpy(n->b, d.dst, 16);
            n->pa = d.sport;
            n->pb = d.dport;
            n->l4 = d.proto;
            n->st = calloc(1, proto_dns.state_size);
            n->c.ipver = d.ipver;
            n->c.l4 = d.proto;
            n->c.cli_addr = n->a;
            n->c.srv_addr = n->b;
            n->c.cli_port = d.sport;
            n->c.srv_port = d.dport;
        }
        s[k].c.ts_ns = cap.ts[i];
        proto_dns.data(s[k].st, o, &s[k].c, dir, cap.p[i] + d.payload_off, d.payload_len);
    }
    for (int k = 0; k < ns; k++) {
        proto_dns.end(s[k].st, o, &s[k].c);
        proto_dns.release(s[k].st);
        free(s[k].st);
    }
    cap_free(&cap);
    return ns;
}

#define CORPUS_OR_SKIP(rel, o)                                                                     \
    do {                                                                                           \
        if (!t_corpus() || corpus_run(rel, o) < 0) {                                               \
            t_skip("corpus absent");                                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Suricata eve: CNAME chain then 2 A records, TTLs 3544 / 244 (dns-udp-eve-dig test.yaml). */
TEST(dns_corpus_cond_log_dns_dig)
{
    struct proto_out o;
    CORPUS_OR_SKIP("suricata-verify/tests/cond-log-dns-dig/input.pcap", &o);
    ASSERT_EQ(o.nrecs, 1); /* suricata writes 2 events (request, response); we pair them */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.id"), "36146");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"), "www.suricata-ids.org");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.type"), "A");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.response_code"), "NOERROR");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.header_flags", 0), "RD"); /* flags 81a0 */
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.header_flags", 1), "RA");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.header_flags", 2), "AD");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.answers.name"), 3);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.name", 0), "www.suricata-ids.org");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.type", 0), "CNAME");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.ttl", 0), "3544");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.data", 0), "suricata-ids.org");
    for (size_t i = 1; i <= 2; i++) {
        ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.name", i), "suricata-ids.org");
        ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.type", i), "A");
        ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.ttl", i), "244");
    }
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.data", 1), "192.0.78.24");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.data", 2), "192.0.78.25");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.resolved_ip", 0), "192.0.78.24");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.resolved_ip", 1), "192.0.78.25");
    proto_out_release(&o);
}

/* Suricata eve: TXT google.com (ttl 3217) + A textsecure… 34.197.178.240 (ttl 5). */
TEST(dns_corpus_udp_eve_txt)
{
    struct proto_out o;
    CORPUS_OR_SKIP("suricata-verify/tests/dns/dns-udp-eve-txt/input.pcap", &o);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.id"), "28243");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"), "google.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.type"), "TXT");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answers.type"), "TXT");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answers.ttl"), "3217");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answers.data"), "v=spf1 include:_spf.google.com ~all");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.id"), "39372");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.question.name"),
                  "textsecure-service-ca.whispersystems.org");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.answers.ttl"), "5");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.answers.data"), "34.197.178.240");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.response_code"), "NOERROR");
    proto_out_release(&o);
}

/* Suricata: 3 transactions (A, AAAA with 1 answer, MX); values from tshark. */
TEST(dns_corpus_udp_google_a_aaaa_mx)
{
    struct proto_out o;
    CORPUS_OR_SKIP(
        "suricata-verify/tests/dns/dns-udp-eve-log-answer-only/dns-udp-google.com-a-aaaa-mx.pcap",
        &o);
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.type"), "A");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.resolved_ip"), 12);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.resolved_ip", 0), "216.197.242.244");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.resolved_ip", 11), "216.197.242.245");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answers.ttl"), "299");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.additionals.name"), 0); /* only OPT there */
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.question.type"), "AAAA");
    ASSERT_EQ(proto_out_count(&o, 1, "dns.answers.type"), 1);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.answers.type"), "AAAA");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.answers.data"), "2607:f8b0:400f:801::200e");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dns.question.type"), "MX");
    ASSERT_EQ(proto_out_count(&o, 2, "dns.answers.type"), 5);
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dns.answers.type"), "MX");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.data", 0), "10 aspmx.l.google.com");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.data", 4), "50 alt4.aspmx.l.google.com");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dns.answers.ttl"), "599");
    ASSERT_EQ(proto_out_count(&o, 2, "dns.resolved_ip"), 0);
    proto_out_release(&o);
}

/* Suricata: 20 requests and 20 responses pipelined on one TCP connection. */
TEST(dns_corpus_tcp_multirequest)
{
    struct proto_out o;
    CORPUS_OR_SKIP(
        "suricata-verify/tests/dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap",
        &o);
    ASSERT_EQ(o.nrecs, 20);
    for (size_t i = 0; i < 20; i++) {
        char want[32];
        snprintf(want, sizeof want, "%zu.google.com", i);
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.question.name"), want);
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.unanswered"), "false");
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.transport"), "tcp");
    }
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

/* Suricata eve v2: NXDOMAIN with the SOA in the authority section. */
TEST(dns_corpus_nxdomain_soa)
{
    struct proto_out o;
    CORPUS_OR_SKIP("suricata-verify/tests/dns-eve-v2-udp-nxdomain-soa/dns-udp-nxdomain-soa.pcap",
                   &o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"), "dne.oisf.net");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.response_code"), "NXDOMAIN");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answer_count"), "0");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.name"), "oisf.net");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.type"), "SOA");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.ttl"), "899");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.mname"), "ns-110.awsdns-13.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.rname"),
                  "awsdns-hostmaster.amazon.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.serial"), "1");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.refresh"), "7200");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.retry"), "900");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.expire"), "1209600");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.authorities.soa.minimum"), "86400");
    proto_out_release(&o);
}

/*
 * Zeek dns.log: 4 rows; the mixed-case query virgo.SAS.upenn.edu is logged lower-cased (we
 * do the same in dns.question.name and keep the wire form in name_raw); answers are the A
 * (or CNAME) and its RRSIG with TTL 30 (900 for the CNAME); trans_id 62809 has no answer.
 */
TEST(dns_corpus_zeek_rrsig)
{
    struct proto_out o;
    CORPUS_OR_SKIP("zeek/testing/btest/Traces/dnssec/rrsig.pcap", &o);
    ASSERT_EQ(o.nrecs, 4);
    /* the three answered ones come first (written at their response), 62809 at the end */
    static const char *const ids[] = {"17129", "26222", "27118", "62809"};
    for (size_t i = 0; i < 4; i++) {
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.id"), ids[i]);
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.op_code"), "QUERY");
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.question.type"), "A");
    }
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"), "virgo.sas.upenn.edu");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name_raw"), "virgo.SAS.upenn.edu");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.header_flags"), "AA"); /* AA=T RD=F RA=F */
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.header_flags", 1), "CD");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.response_code"), "NOERROR");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.answers.type"), 2);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.data", 0), "128.91.234.142");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.type", 1), "RRSIG");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.ttl", 0), "30");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.ttl", 1), "30");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dns.question.name"), "workfamily.sas.upenn.edu");
    ASSERT_EQ(proto_out_count(&o, 2, "dns.answers.type"), 4);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.type", 0), "CNAME");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.data", 0), "quasar.SAS.upenn.edu");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.ttl", 0), "900");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.type", 1), "RRSIG");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.data", 2), "128.91.234.145");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 2, "dns.answers.ttl", 2), "30");
    ASSERT_STR_EQ(proto_out_get(&o, 3, "dns.question.name"), "virgo.sas.upenn.edu");
    ASSERT_STR_EQ(proto_out_get(&o, 3, "dns.unanswered"), "true");
    ASSERT_TRUE(proto_out_get(&o, 3, "dns.response_code") == NULL);
    proto_out_release(&o);
}

/*
 * Arkime: two TCP sessions, google.com and aol.com.  Arkime lists the first 6 RRs of the
 * answer and authority sections together; we keep them all (tshark: 11 A answers for google,
 * 5 A answers + 4 NS authorities for aol), so its 6 are our first 6 and aol's NS
 * dns-01.ns.aol.com is our first authority.
 */
TEST(dns_corpus_arkime_dns_tcp)
{
    struct proto_out o;
    CORPUS_OR_SKIP("arkime/tests/pcap/dns-tcp.pcap", &o);
    ASSERT_EQ(o.nrecs, 2);
    static const char *const g[] = {"74.125.228.46", "74.125.228.32", "74.125.228.33",
                                    "74.125.228.34", "74.125.228.35", "74.125.228.36"};
    static const char *const a[] = {"205.188.100.58", "205.188.101.58", "207.200.74.38",
                                    "64.12.79.57", "64.12.89.186"};
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"), "google.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.type"), "A");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.response_code"), "NOERROR");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.transport"), "tcp");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.resolved_ip"), 11);
    for (size_t i = 0; i < 6; i++)
        ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.resolved_ip", i), g[i]);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.question.name"), "aol.com");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.question.type"), "A");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.response_code"), "NOERROR");
    ASSERT_EQ(proto_out_count(&o, 1, "dns.resolved_ip"), 5);
    for (size_t i = 0; i < 5; i++)
        ASSERT_STR_EQ(proto_out_get_nth(&o, 1, "dns.resolved_ip", i), a[i]);
    ASSERT_EQ(proto_out_count(&o, 1, "dns.authorities.type"), 4);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.authorities.name"), "aol.com");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.authorities.type"), "NS");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dns.authorities.data"), "dns-01.ns.aol.com");
    proto_out_release(&o);
}

/* Zeek: TKEY over TCP, trans_id 52640, no AA/TC/RD/RA, NOERROR. */
TEST(dns_corpus_zeek_tkey)
{
    struct proto_out o;
    CORPUS_OR_SKIP("zeek/testing/btest/Traces/dns/tkey.pcap", &o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.id"), "52640");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"),
                  "1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.type"), "TKEY");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.response_code"), "NOERROR");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.transport"), "tcp");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.header_flags"), 0);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answers.type"), "TKEY");
    proto_out_release(&o);
}

/*
 * Suricata: an UPDATE over TCP (DLT_NULL) whose RRs have RDLENGTH 0; Suricata logs 2 events
 * (request and response), we log one paired transaction.
 */
TEST(dns_corpus_answer_emptydata)
{
    struct proto_out o;
    CORPUS_OR_SKIP("suricata-verify/tests/dns/dns-answer-emptydata/input.pcap", &o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.op_code"), "UPDATE");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.response_code"), "REFUSED");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.name"), "ad.nwra.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.question.type"), "SOA");
    proto_out_release(&o);
}

/*
 * Arkime: one UDP session with an AAAA and an A lookup for enabled.tls13.com, two answers
 * each (two transactions on one 5-tuple, paired by ID).
 */
TEST(dns_corpus_arkime_curl_tls13)
{
    struct proto_out o;
    CORPUS_OR_SKIP("arkime/tests/pcap/curl-enabled-tls13.pcap", &o);
    ASSERT_EQ(o.nrecs, 2);
    long aaaa = strcmp(proto_out_get(&o, 0, "dns.question.type"), "AAAA") == 0 ? 0 : 1;
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)aaaa, "dns.question.name"), "enabled.tls13.com");
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)aaaa, "dns.question.type"), "AAAA");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)aaaa, "dns.resolved_ip", 0),
                  "2606:4700::6810:7d22");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)aaaa, "dns.resolved_ip", 1),
                  "2606:4700::6810:7e22");
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)!aaaa, "dns.question.type"), "A");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)!aaaa, "dns.resolved_ip", 0), "104.16.125.34");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)!aaaa, "dns.resolved_ip", 1), "104.16.126.34");
    for (size_t i = 0; i < 2; i++) {
        ASSERT_STR_EQ(proto_out_get(&o, i, "dns.response_code"), "NOERROR");
        ASSERT_EQ(proto_out_count(&o, i, "dns.resolved_ip"), 2);
    }
    proto_out_release(&o);
}
