/*
 * test_proto_engine.c — the application layer as the pipeline drives it: decoded TCP/UDP
 * packets in, reassembly, detection by content and by port, hand-over (CONNECT → TLS),
 * records out per session.
 */
#include "proto/engine.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

struct sess {
    struct proto_engine *e;
    void *slot;
    uint32_t seq[2];
    uint16_t cport, sport;
};

static void sess_init(struct sess *s, uint16_t cport, uint16_t sport)
{
    memset(s, 0, sizeof *s);
    s->e = proto_engine_new(NULL);
    s->seq[0] = 1000;
    s->seq[1] = 90000;
    s->cport = cport;
    s->sport = sport;
}

/* One TCP segment of direction dir at offset rel of that direction's stream. */
static void tcp_at(struct sess *s, int dir, uint32_t rel, uint8_t flags, const void *p, size_t n)
{
    struct decoded d;
    memset(&d, 0, sizeof d);
    d.ipver = 4;
    d.proto = 6;
    d.src[0] = dir ? 10 : 192;
    d.dst[0] = dir ? 192 : 10;
    d.sport = dir ? s->sport : s->cport;
    d.dport = dir ? s->cport : s->sport;
    d.tcp_flags = flags;
    d.seq = s->seq[dir] + rel;
    d.payload_off = 0;
    d.payload_len = d.payload_wire = (uint32_t)n;
    proto_engine_packet(s->e, &s->slot, &d, p, dir, 1);
}

static void handshake(struct sess *s)
{
    tcp_at(s, 0, 0, TCPF_SYN, "", 0);
    tcp_at(s, 1, 0, TCPF_SYN | TCPF_ACK, "", 0);
}

static struct proto_out *finish(struct sess *s)
{
    return proto_engine_records(s->e, &s->slot, 1);
}

static void sess_free(struct sess *s)
{
    proto_engine_forget(s->e, &s->slot);
    proto_engine_free(s->e);
}

/* A minimal TLS 1.2 ClientHello record with SNI: RFC 8446 §4.1.2, RFC 6066 §3. */
static size_t client_hello(uint8_t *b, const char *sni)
{
    size_t hl = strlen(sni);
    uint8_t body[256];
    size_t n = 0;
    body[n++] = 0x03, body[n++] = 0x03;
    memset(body + n, 0x42, 32), n += 32;                              /* random */
    body[n++] = 0;                                                    /* session id */
    body[n++] = 0, body[n++] = 2, body[n++] = 0xc0, body[n++] = 0x2f; /* one cipher suite */
    body[n++] = 1, body[n++] = 0;                                     /* null compression */
    size_t ext = 2 + 2 + 2 + 1 + 2 + hl; /* one extension: server_name */
    body[n++] = 0, body[n++] = (uint8_t)ext;
    body[n++] = 0, body[n++] = 0;                  /* type server_name */
    body[n++] = 0, body[n++] = (uint8_t)(ext - 4); /* its length */
    body[n++] = 0, body[n++] = (uint8_t)(ext - 6); /* server name list */
    body[n++] = 0;                                 /* host_name */
    body[n++] = 0, body[n++] = (uint8_t)hl;
    memcpy(body + n, sni, hl), n += hl;
    size_t k = 0;
    b[k++] = 22, b[k++] = 3, b[k++] = 1, b[k++] = 0, b[k++] = (uint8_t)(n + 4); /* record */
    b[k++] = 1, b[k++] = 0, b[k++] = 0, b[k++] = (uint8_t)n;                    /* handshake */
    memcpy(b + k, body, n);
    return k + n;
}

TEST(engine_http_out_of_order_on_odd_port)
{
    struct sess s;
    sess_init(&s, 40000, 8081); /* no parser claims port 8081: detection by content */
    handshake(&s);
    const char *req = "GET /a/b?c=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t/1\r\n\r\n";
    size_t n = strlen(req);
    tcp_at(&s, 0, 1 + 10, TCPF_ACK, req + 10, n - 10); /* the tail first */
    tcp_at(&s, 0, 1, TCPF_ACK, req, 10);
    const char *resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
    tcp_at(&s, 1, 1, TCPF_ACK, resp, strlen(resp));
    ASSERT_STR_EQ(proto_engine_name(s.slot), "http");
    struct proto_out *o = finish(&s);
    ASSERT_TRUE(o != NULL);
    ASSERT_EQ(o->nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(o, 0, "url.original"), "/a/b?c=1");
    ASSERT_STR_EQ(proto_out_get(o, 0, "url.domain"), "example.org");
    ASSERT_STR_EQ(proto_out_get(o, 0, "http.response.status_code"), "404");
    sess_free(&s);
}

TEST(engine_connect_hands_over_to_tls)
{
    struct sess s;
    sess_init(&s, 40001, 3128);
    handshake(&s);
    const char *req =
        "CONNECT secure.example.net:443 HTTP/1.1\r\nHost: secure.example.net:443\r\n\r\n";
    tcp_at(&s, 0, 1, TCPF_ACK, req, strlen(req));
    const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    tcp_at(&s, 1, 1, TCPF_ACK, ok, strlen(ok));
    uint8_t ch[300];
    size_t chn = client_hello(ch, "tunnelled.example.com");
    tcp_at(&s, 0, 1 + (uint32_t)strlen(req), TCPF_ACK, ch, chn);
    struct proto_out *o = finish(&s);
    ASSERT_TRUE(o != NULL);
    long h = proto_out_find(o, "http", 0), t = proto_out_find(o, "tls", 0);
    ASSERT_GE(h, 0);
    ASSERT_GE(t, 0);
    ASSERT_STR_EQ(proto_out_get(o, (size_t)h, "http.request.method"), "CONNECT");
    ASSERT_STR_EQ(proto_out_get(o, (size_t)t, "tls.client.server_name"), "tunnelled.example.com");
    ASSERT_TRUE(proto_out_get(o, (size_t)t, "tls.client.ja3") != NULL);
    ASSERT_STR_EQ(proto_engine_name(s.slot), "http"); /* the first parser names the session */
    sess_free(&s);
}

TEST(engine_gap_marks_http_body_incomplete)
{
    struct sess s;
    sess_init(&s, 40002, 80);
    handshake(&s);
    const char *req = "GET /f HTTP/1.1\r\nHost: h\r\n\r\n";
    tcp_at(&s, 0, 1, TCPF_ACK, req, strlen(req));
    const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
    size_t hn = strlen(hdr);
    tcp_at(&s, 1, 1, TCPF_ACK, hdr, hn);
    tcp_at(&s, 1, 1 + (uint32_t)hn + 10, TCPF_ACK, "0123456789", 10); /* bytes 0..9 lost */
    struct proto_out *o = finish(&s);
    ASSERT_TRUE(o != NULL);
    ASSERT_EQ(o->nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(o, 0, "http.response.body.incomplete"), "true");
    ASSERT_TRUE(proto_out_get(o, 0, "file.hash.sha256") == NULL);
    ASSERT_EQ(proto_engine_stats(s.e)->reasm_gap_bytes, 10);
    sess_free(&s);
}

TEST(engine_unknown_protocol_is_left_alone)
{
    struct sess s;
    sess_init(&s, 40003, 9999);
    handshake(&s);
    uint8_t junk[64];
    for (int i = 0; i < 8; i++) {
        memset(junk, 0x80 + i, sizeof junk);
        tcp_at(&s, i & 1, 1 + (uint32_t)(i / 2) * sizeof junk, TCPF_ACK, junk, sizeof junk);
    }
    ASSERT_TRUE(proto_engine_name(s.slot) == NULL);
    ASSERT_TRUE(finish(&s) == NULL);
    ASSERT_EQ(proto_engine_stats(s.e)->parsed, 0);
    sess_free(&s);
}

TEST(engine_udp_dns_by_content_and_only_filter)
{
    static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0,   1, 0,   0,   0,   0, 0, 0, 7, 'e', 'x',
                                'a',  'm',  'p',  'l',  'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    for (int only = 0; only < 2; only++) {
        struct proto_engine_cfg cfg = {0};
        cfg.only = only ? "tls,http" : NULL;
        struct proto_engine *e = proto_engine_new(&cfg);
        void *slot = NULL;
        struct decoded d;
        memset(&d, 0, sizeof d);
        d.ipver = 4;
        d.proto = 17;
        d.sport = 5555;
        d.dport = 5300; /* not a DNS port */
        d.payload_len = d.payload_wire = sizeof q;
        proto_engine_packet(e, &slot, &d, q, 0, 1);
        struct proto_out *o = proto_engine_records(e, &slot, 1);
        if (only) {
            ASSERT_TRUE(o == NULL);
        } else {
            ASSERT_TRUE(o != NULL);
            ASSERT_STR_EQ(proto_out_get(o, 0, "dns.question.name"), "example.com");
            ASSERT_STR_EQ(proto_out_get(o, 0, "dns.unanswered"), "true");
        }
        proto_engine_forget(e, &slot);
        proto_engine_free(e);
    }
}
