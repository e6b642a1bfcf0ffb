/*
 * test_flow.c — the flow table: sessions, TCP state, timeouts, pieces, bounds.
 *
 * Most tests build struct decoded by hand.  The corpus tests decode real
 * captures with a small Ethernet/VLAN/NULL/SLL → IPv4/IPv6 → TCP/UDP/ICMP decoder
 * of their own (so this module is tested independently of src/decode) and
 * compare the sessions with what Arkime and Zeek state about those captures.
 */
#include "t.h"

#include "core/pos.h"
#include "core/rdr.h"
#include "flow/flow.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC INT64_C(1000000000)
#define MS INT64_C(1000000)

/* ---- collecting emitted records --------------------------------------------------------- */

struct col_rec {
    struct session_rec r; /* pos cleared (see posv), state copied to the heap */
    uint64_t *posv;
    size_t npos;
    int pos_bad;
};

struct col {
    struct col_rec *v;
    size_t n, cap;
};

static void col_emit(void *ctx, const struct session_rec *s)
{
    struct col *c = ctx;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        struct col_rec *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv)
            abort();
        c->v = nv;
        c->cap = nc;
    }
    struct col_rec *cr = &c->v[c->n++];
    memset(cr, 0, sizeof *cr);
    cr->r = *s;
    cr->r.state = strdup(s->state ? s->state : "?");
    cr->r.pos = NULL;
    /* a position takes at least one byte, so pos_len bounds the count */
    cr->posv = malloc((s->pos_len + 1) * sizeof *cr->posv);
    if (!cr->posv || !cr->r.state)
        abort();
    struct pos_iter it;
    pos_iter_init(&it, s->pos, s->pos_len);
    uint64_t p;
    int rc;
    while ((rc = pos_next(&it, &p)) == 1)
        cr->posv[cr->npos++] = p;
    cr->pos_bad = rc < 0;
}

static void col_free(struct col *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].posv);
        free((char *)c->v[i].r.state);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* ---- hand-built packets ----------------------------------------------------------------- */

static uint64_t tf_pos; /* next frame position for hand-built packets */

static void tf_addr(const char *s, uint8_t out[16], uint8_t *ver)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1)
        *ver = 4;
    else if (inet_pton(AF_INET6, s, out) == 1)
        *ver = 6;
    else
        abort();
}

/* A decoded Ethernet + IP + L4 packet with len bytes of payload. */
static void tf_mk(struct decoded *d, uint8_t proto, const char *src, uint16_t sport,
                  const char *dst, uint16_t dport, uint32_t len)
{
    memset(d, 0, sizeof *d);
    tf_addr(src, d->src, &d->ipver);
    tf_addr(dst, d->dst, &d->ipver);
    d->ethertype = d->ipver == 6 ? 0x86dd : 0x0800;
    d->proto = proto;
    d->l3_off = 14;
    uint32_t ihl = d->ipver == 6 ? 40 : 20;
    uint32_t l4h = proto == 6 ? 20 : 8;
    d->l4_off = 14 + ihl;
    d->l3_len = ihl + l4h + len;
    d->sport = sport;
    d->dport = dport;
    if (proto == 1 || proto == 58) {
        d->icmp_type = (uint8_t)sport;
        d->icmp_code = (uint8_t)dport;
    }
    d->payload_off = d->l4_off + l4h;
    d->payload_len = d->payload_wire = len;
}

static int tf_feed(struct flow_table *ft, const struct decoded *d, int64_t ts)
{
    struct pkt_ref r = {ts, POS_MAKE(1, 24 + 100 * tf_pos), 14 + d->l3_len};
    tf_pos++;
    return flow_table_packet(ft, d, &r, 1, NULL);
}

/* TCP between C = 10.0.0.1:40000 and S = 10.0.0.2:80 (from_c: C sends). */
static int tcp(struct flow_table *ft, int from_c, uint8_t flags, uint32_t seq, uint32_t ack,
               uint32_t len, int64_t ts)
{
    struct decoded d;
    if (from_c)
        tf_mk(&d, 6, "10.0.0.1", 40000, "10.0.0.2", 80, len);
    else
        tf_mk(&d, 6, "10.0.0.2", 80, "10.0.0.1", 40000, len);
    d.tcp_flags = flags;
    d.seq = seq;
    d.ack = ack;
    return tf_feed(ft, &d, ts);
}

enum { F = TCPF_FIN, S = TCPF_SYN, R = TCPF_RST, P = TCPF_PSH, A = TCPF_ACK };

static struct flow_table *tf_new(const struct flow_cfg *cfg, struct col *c)
{
    memset(c, 0, sizeof *c);
    tf_pos = 0;
    return flow_table_new(cfg, 0, col_emit, c);
}

/* Handshake (ISN c=1000, s=5000) at t0 + 0..2 ms. */
static void tcp_hs(struct flow_table *ft, int64_t t0)
{
    tcp(ft, 1, S, 1000, 0, 0, t0);
    tcp(ft, 0, S | A, 5000, 1001, 0, t0 + 1 * MS);
    tcp(ft, 1, A, 1001, 5001, 0, t0 + 2 * MS);
}

/* ---- TCP -------------------------------------------------------------------------------- */

TEST(flow_tcp_full_connection)
{
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    ASSERT_TRUE(ft != NULL);
    tcp_hs(ft, 10 * SEC);
    tcp(ft, 1, A | P, 1001, 5001, 100, 10 * SEC + 3 * MS);
    tcp(ft, 0, A, 5001, 1101, 0, 10 * SEC + 4 * MS);
    tcp(ft, 0, A | P, 5001, 1101, 200, 10 * SEC + 5 * MS);
    tcp(ft, 1, A, 1101, 5201, 0, 10 * SEC + 6 * MS);
    tcp(ft, 1, F | A, 1101, 5201, 0, 10 * SEC + 7 * MS);
    tcp(ft, 0, F | A, 5201, 1102, 0, 10 * SEC + 8 * MS);
    /* closed: nothing before the linger has passed */
    flow_table_expire(ft, 10 * SEC + 8 * MS + 4 * SEC);
    ASSERT_EQ(c.n, 0);
    /* stragglers stay in it: the last ACK and a retransmitted FIN */
    tcp(ft, 1, A, 1102, 5202, 0, 10 * SEC + 9 * MS);
    tcp(ft, 0, F | A, 5201, 1102, 0, 11 * SEC);
    flow_table_expire(ft, 11 * SEC + 4 * SEC);
    ASSERT_EQ(c.n, 0);
    flow_table_expire(ft, 11 * SEC + 5 * SEC);
    ASSERT_EQ(c.n, 1);
    const struct session_rec *r = &c.v[0].r;
    ASSERT_EQ(r->id, 1);
    ASSERT_EQ(r->piece, 0);
    ASSERT_EQ(r->last_piece, 1);
    ASSERT_EQ(r->end, FLOW_END_FIN);
    ASSERT_STR_EQ(r->state, "SF");
    ASSERT_STR_EQ(r->history, "ShADadFf");
    ASSERT_EQ(r->ipver, 4);
    ASSERT_EQ(r->proto, 6);
    ASSERT_EQ(r->src[3], 1);
    ASSERT_EQ(r->dst[3], 2);
    ASSERT_EQ(r->sport, 40000);
    ASSERT_EQ(r->dport, 80);
    ASSERT_EQ(r->pkts[0], 6);
    ASSERT_EQ(r->pkts[1], 5);
    ASSERT_EQ(r->payload[0], 100);
    ASSERT_EQ(r->payload[1], 200);
    ASSERT_EQ(r->bytes[0], 6 * 54 + 100);
    ASSERT_EQ(r->bytes[1], 5 * 54 + 200);
    ASSERT_EQ(r->syn, 1);
    ASSERT_EQ(r->synack, 1);
    ASSERT_EQ(r->fin, 3);
    ASSERT_EQ(r->rst, 0);
    ASSERT_EQ(r->tcp_flags[0], S | A | P | F);
    ASSERT_EQ(r->tcp_flags[1], S | A | P | F);
    ASSERT_EQ(r->first_ns, 10 * SEC);
    ASSERT_EQ(r->last_ns, 11 * SEC);
    ASSERT_EQ(r->nvlan, 0);
    char cid[32];
    community_id_v1(0, 4, 6, r->src, r->dst, 40000, 80, cid);
    ASSERT_STR_EQ(r->community_id, cid);
    /* every frame's position, in order */
    ASSERT_EQ(c.v[0].npos, 11);
    ASSERT_EQ(c.v[0].pos_bad, 0);
    for (size_t i = 0; i < 11; i++)
        ASSERT_EQ(c.v[0].posv[i], POS_MAKE(1, 24 + 100 * i));
    const struct flow_stats *st = flow_table_stats(ft);
    ASSERT_EQ(st->created, 1);
    ASSERT_EQ(st->emitted, 1);
    ASSERT_EQ(st->live, 0);
    ASSERT_EQ(st->ended[FLOW_END_FIN], 1);
    flow_table_free(ft);
    col_free(&c);
}

/* Run a packet script and return the one record's state and history. */
struct tcp_step {
    int from_c;
    uint8_t flags;
    uint32_t seq, ack, len;
};

static int tcp_script(const struct tcp_step *s, size_t n, struct col *c)
{
    struct flow_table *ft = tf_new(NULL, c);
    if (!ft)
        return -1;
    for (size_t i = 0; i < n; i++)
        tcp(ft, s[i].from_c, s[i].flags, s[i].seq, s[i].ack, s[i].len, SEC + (int64_t)i * MS);
    flow_table_flush(ft);
    flow_table_free(ft);
    return (int)c->n;
}

#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

TEST(flow_tcp_rst_states)
{
    struct col c;
    /* established, then the originator aborts */
    static const struct tcp_step rsto[] = {{1, S, 1000, 0, 0},         {0, S | A, 5000, 1001, 0},
                                           {1, A, 1001, 5001, 0},      {1, A | P, 1001, 5001, 10},
                                           {0, A | P, 5001, 1011, 20}, {1, R | A, 1011, 5021, 0}};
    ASSERT_EQ(tcp_script(rsto, NSTEPS(rsto), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "RSTO");
    ASSERT_STR_EQ(c.v[0].r.history, "ShADdR");
    ASSERT_EQ(c.v[0].r.end, FLOW_END_RST);
    ASSERT_EQ(c.v[0].r.rst, 1);
    col_free(&c);

    /* established, then the responder resets */
    static const struct tcp_step rstr[] = {{1, S, 1000, 0, 0},
                                           {0, S | A, 5000, 1001, 0},
                                           {1, A, 1001, 5001, 0},
                                           {1, A | P, 1001, 5001, 10},
                                           {0, R, 5001, 0, 0}};
    ASSERT_EQ(tcp_script(rstr, NSTEPS(rstr), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "RSTR");
    ASSERT_STR_EQ(c.v[0].r.history, "ShADr");
    col_free(&c);

    /* rejected: SYN answered by RST+ACK */
    static const struct tcp_step rej[] = {{1, S, 1000, 0, 0}, {0, R | A, 0, 1001, 0}};
    ASSERT_EQ(tcp_script(rej, NSTEPS(rej), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "REJ");
    ASSERT_STR_EQ(c.v[0].r.history, "Sr");
    ASSERT_EQ(c.v[0].r.end, FLOW_END_RST);
    col_free(&c);

    /* SYN then the originator's own RST, no answer */
    static const struct tcp_step rstos0[] = {{1, S, 1000, 0, 0}, {1, R, 1001, 0, 0}};
    ASSERT_EQ(tcp_script(rstos0, NSTEPS(rstos0), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "RSTOS0");
    ASSERT_STR_EQ(c.v[0].r.history, "SR");
    col_free(&c);

    /* only a SYN+ACK and a RST from the responder */
    static const struct tcp_step rstrh[] = {{0, S | A, 5000, 1001, 0}, {0, R, 5001, 0, 0}};
    ASSERT_EQ(tcp_script(rstrh, NSTEPS(rstrh), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "RSTRH");
    ASSERT_STR_EQ(c.v[0].r.history, "^hr");
    ASSERT_EQ(c.v[0].r.sport, 40000); /* the SYN+ACK's receiver is the initiator */
    col_free(&c);
}

TEST(flow_tcp_other_states)
{
    struct col c;
    static const struct tcp_step s0[] = {{1, S, 1000, 0, 0}, {1, S, 1000, 0, 0}};
    ASSERT_EQ(tcp_script(s0, NSTEPS(s0), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "S0");
    ASSERT_STR_EQ(c.v[0].r.history, "S");
    ASSERT_EQ(c.v[0].r.syn, 2);
    ASSERT_EQ(c.v[0].r.end, FLOW_END_EOF);
    col_free(&c);

    static const struct tcp_step s1[] = {
        {1, S, 1000, 0, 0}, {0, S | A, 5000, 1001, 0}, {1, A, 1001, 5001, 0}};
    ASSERT_EQ(tcp_script(s1, NSTEPS(s1), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "S1");
    ASSERT_STR_EQ(c.v[0].r.history, "ShA");
    col_free(&c);

    static const struct tcp_step sh[] = {{1, S, 1000, 0, 0}, {1, F, 1001, 0, 0}};
    ASSERT_EQ(tcp_script(sh, NSTEPS(sh), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "SH");
    col_free(&c);

    static const struct tcp_step s2[] = {{1, S, 1000, 0, 0},
                                         {0, S | A, 5000, 1001, 0},
                                         {1, A, 1001, 5001, 0},
                                         {1, F | A, 1001, 5001, 0}};
    ASSERT_EQ(tcp_script(s2, NSTEPS(s2), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "S2");
    ASSERT_STR_EQ(c.v[0].r.history, "ShAF");
    ASSERT_EQ(c.v[0].r.end, FLOW_END_EOF); /* half closed is not closed */
    col_free(&c);

    static const struct tcp_step s3[] = {{1, S, 1000, 0, 0},
                                         {0, S | A, 5000, 1001, 0},
                                         {1, A, 1001, 5001, 0},
                                         {0, F | A, 5001, 1001, 0}};
    ASSERT_EQ(tcp_script(s3, NSTEPS(s3), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.state, "S3");
    col_free(&c);

    /* Zeek core.tcp.missing-syn: the capture starts at the SYN+ACK (Baseline: ^hADdFaf SF) */
    static const struct tcp_step missing[] = {{0, S | A, 5000, 1001, 0},  {1, A, 1001, 5001, 0},
                                              {1, A | P, 1001, 5001, 98}, {0, A, 5001, 1099, 1400},
                                              {1, F | A, 1099, 6401, 0},  {0, A, 6401, 1100, 0},
                                              {0, F | A, 6401, 1100, 0}};
    ASSERT_EQ(tcp_script(missing, NSTEPS(missing), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.history, "^hADdFaf");
    ASSERT_STR_EQ(c.v[0].r.state, "SF");
    ASSERT_EQ(c.v[0].r.sport, 40000);
    ASSERT_EQ(c.v[0].r.pkts[0], 3);
    ASSERT_EQ(c.v[0].r.pkts[1], 4);
    col_free(&c);
}

TEST(flow_tcp_midstream_pickup)
{
    struct col c;
    /* first seen: the server (port 80) sending data to the client: flipped */
    static const struct tcp_step flip[] = {{0, A | P, 5001, 1001, 500}, {1, A, 1001, 5501, 0}};
    ASSERT_EQ(tcp_script(flip, NSTEPS(flip), &c), 1);
    const struct session_rec *r = &c.v[0].r;
    ASSERT_EQ(r->src[3], 1);
    ASSERT_EQ(r->sport, 40000);
    ASSERT_EQ(r->dport, 80);
    ASSERT_STR_EQ(r->history, "^dA");
    ASSERT_EQ(r->pkts[0], 1);
    ASSERT_EQ(r->pkts[1], 1);
    ASSERT_EQ(r->payload[1], 500);
    ASSERT_STR_EQ(r->state, "OTH");
    col_free(&c);

    /* first seen: the client: no flip */
    static const struct tcp_step noflip[] = {{1, A | P, 1001, 5001, 50}, {0, A, 5001, 1051, 0}};
    ASSERT_EQ(tcp_script(noflip, NSTEPS(noflip), &c), 1);
    ASSERT_STR_EQ(c.v[0].r.history, "Da");
    ASSERT_EQ(c.v[0].r.sport, 40000);
    col_free(&c);

    /* both ports high: the first sender stays the initiator */
    struct flow_table *ft = tf_new(NULL, &c);
    struct decoded d;
    tf_mk(&d, 6, "10.0.0.9", 8080, "10.0.0.1", 50000, 10);
    d.tcp_flags = A;
    tf_feed(ft, &d, SEC);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.sport, 8080);
    ASSERT_EQ(c.v[0].r.src[3], 9);
    ASSERT_STR_EQ(c.v[0].r.history, "D");
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_tcp_port_reuse)
{
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    tcp_hs(ft, SEC);
    tcp(ft, 1, F | A, 1001, 5001, 0, SEC + 3 * MS);
    tcp(ft, 0, F | A, 5001, 1002, 0, SEC + 4 * MS);
    tcp(ft, 1, A, 1002, 5002, 0, SEC + 5 * MS);
    /* a retransmission of the old SYN after the close stays in the old session */
    tcp(ft, 1, S, 1000, 0, 0, SEC + 6 * MS);
    ASSERT_EQ(c.n, 0);
    /* a SYN with a new ISN: a new connection on the same ports */
    tcp(ft, 1, S, 9000, 0, 0, 2 * SEC);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.id, 1);
    ASSERT_EQ(c.v[0].r.end, FLOW_END_FIN);
    ASSERT_EQ(c.v[0].r.pkts[0], 5);
    ASSERT_EQ(c.v[0].r.syn, 2);
    tcp(ft, 0, S | A, 7000, 9001, 0, 2 * SEC + MS);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 2);
    ASSERT_EQ(c.v[1].r.id, 2);
    ASSERT_EQ(c.v[1].r.pkts[0], 1);
    ASSERT_EQ(c.v[1].r.pkts[1], 1);
    ASSERT_STR_EQ(c.v[1].r.history, "Sh");
    ASSERT_EQ(c.v[1].r.first_ns, 2 * SEC);
    ASSERT_STR_EQ(c.v[0].r.community_id, c.v[1].r.community_id);
    ASSERT_EQ(flow_table_stats(ft)->created, 2);
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_tcp_repeated_syns_one_session)
{
    /* Arkime wireshark-retrans: SYNs and SYN+ACKs repeated inside one connection */
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    tcp(ft, 1, S, 1000, 0, 0, SEC);
    tcp(ft, 1, S, 1000, 0, 0, SEC + 1);
    tcp(ft, 0, S | A, 5000, 1001, 0, SEC + 2);
    tcp(ft, 1, S, 1000, 0, 0, SEC + 3);
    tcp(ft, 0, S | A, 5000, 1001, 0, SEC + 4);
    tcp(ft, 1, A, 1001, 5001, 0, SEC + 5);
    tcp(ft, 1, F | A, 1001, 5001, 0, SEC + 6);
    tcp(ft, 1, F | A, 1001, 5001, 0, SEC + 7);
    tcp(ft, 0, F | A, 5001, 1002, 0, SEC + 8);
    tcp(ft, 0, F | A, 5001, 1002, 0, SEC + 9);
    flow_table_expire(ft, 100 * SEC);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.syn, 3);
    ASSERT_EQ(c.v[0].r.synack, 2);
    ASSERT_EQ(c.v[0].r.fin, 4);
    ASSERT_STR_EQ(c.v[0].r.state, "SF");
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_tcp_payload_counts_new_bytes_once)
{
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    tcp_hs(ft, SEC);
    /* client: 100 bytes, the same segment again (retransmission), then a partial overlap */
    tcp(ft, 1, A | P, 1001, 5001, 100, SEC + 10 * MS);
    tcp(ft, 1, A | P, 1001, 5001, 100, SEC + 11 * MS);
    tcp(ft, 1, A | P, 1051, 5001, 100, SEC + 12 * MS); /* 50 new */
    /* server: out of order — the second segment first, then the first fills the hole */
    tcp(ft, 0, A | P, 5101, 1151, 100, SEC + 13 * MS);
    tcp(ft, 0, A | P, 5001, 1151, 100, SEC + 14 * MS);
    /* a hole filled from its middle: 5201..5501 missing, 5301..5401 arrives */
    tcp(ft, 0, A | P, 5501, 1151, 10, SEC + 15 * MS);
    tcp(ft, 0, A | P, 5301, 1151, 100, SEC + 16 * MS);
    /* data on a RST is not part of the stream */
    tcp(ft, 1, R | A, 1151, 5511, 30, SEC + 17 * MS);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.payload[0], 150);
    ASSERT_EQ(c.v[0].r.payload[1], 310);
    ASSERT_EQ(c.v[0].r.pkts[0], 6);
    ASSERT_EQ(c.v[0].r.bytes[0], 6 * 54 + 330);
    flow_table_free(ft);
    col_free(&c);

    /* picked up mid-stream, with sequence numbers wrapping past 2^32 */
    ft = tf_new(NULL, &c);
    tcp(ft, 1, A, 0xffffff00u, 1, 0x80, SEC);
    tcp(ft, 1, A, 0xffffff80u, 1, 0x100, SEC + 1);
    tcp(ft, 1, A, 0xffffff80u, 1, 0x100, SEC + 2);
    tcp(ft, 1, A, 0x00000080u, 1, 0x10, SEC + 3);
    flow_table_flush(ft);
    ASSERT_EQ(c.v[0].r.payload[0], 0x80 + 0x100 + 0x10);
    flow_table_free(ft);
    col_free(&c);
}

/* ---- keys ------------------------------------------------------------------------------- */

TEST(flow_vlan_keys_separate_sessions)
{
    /* Zeek vlan-collisions: the same 5-tuple untagged, in VLAN 42 and in QinQ 10/20 */
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    static const uint16_t tags[3][2] = {{0, 0}, {42, 0}, {10, 20}};
    for (int rep = 0; rep < 2; rep++) {
        for (int v = 0; v < 3; v++) {
            struct decoded d;
            tf_mk(&d, 17, "10.0.0.1", 5000, "10.0.0.2", 53, 30);
            d.nvlan = (uint8_t)v;
            d.vlan[0] = tags[v][0];
            d.vlan[1] = tags[v][1];
            tf_feed(ft, &d, SEC + rep * MS + v);
            tf_mk(&d, 17, "10.0.0.2", 53, "10.0.0.1", 5000, 60);
            d.nvlan = (uint8_t)v;
            d.vlan[0] = tags[v][0];
            d.vlan[1] = tags[v][1];
            tf_feed(ft, &d, SEC + rep * MS + v);
        }
    }
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 3);
    for (int v = 0; v < 3; v++) {
        const struct session_rec *r = &c.v[v].r;
        ASSERT_EQ(r->id, v + 1);
        ASSERT_EQ(r->nvlan, v);
        ASSERT_EQ(r->vlan[0], tags[v][0]);
        ASSERT_EQ(r->vlan[1], tags[v][1]);
        ASSERT_EQ(r->pkts[0], 2);
        ASSERT_EQ(r->pkts[1], 2);
        ASSERT_EQ(r->payload[0], 60);
        ASSERT_EQ(r->payload[1], 120);
        ASSERT_STR_EQ(r->history, "Dd");
        ASSERT_STR_EQ(r->state, "SF");
    }
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_icmp_echo_pair_one_session)
{
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    struct decoded d;
    /* echo request (8/0) and reply (0/0), 56 bytes of data each */
    tf_mk(&d, 1, "192.168.0.89", 8, "192.168.0.1", 0, 56);
    tf_feed(ft, &d, SEC);
    tf_mk(&d, 1, "192.168.0.1", 0, "192.168.0.89", 0, 56);
    tf_feed(ft, &d, SEC + MS);
    tf_mk(&d, 1, "192.168.0.89", 8, "192.168.0.1", 0, 56);
    tf_feed(ft, &d, 2 * SEC);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 1);
    const struct session_rec *r = &c.v[0].r;
    ASSERT_EQ(r->sport, 8);
    ASSERT_EQ(r->dport, 0);
    ASSERT_EQ(r->src[3], 89);
    ASSERT_EQ(r->pkts[0], 2);
    ASSERT_EQ(r->pkts[1], 1);
    ASSERT_EQ(r->payload[0], 112);
    ASSERT_EQ(r->payload[1], 56);
    ASSERT_STR_EQ(r->state, "OTH");
    ASSERT_STR_EQ(r->history, "");
    /* community-id-spec baseline_deflt.json, icmp.pcap rows */
    ASSERT_STR_EQ(r->community_id, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_other_proto_and_ipv6)
{
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    struct decoded d;
    /* GRE (47): keyed by addresses; payload = bytes after the IP header */
    tf_mk(&d, 47, "10.1.12.2", 0, "10.1.12.1", 0, 92);
    d.l3_len = 20 + 100;
    tf_feed(ft, &d, SEC);
    tf_mk(&d, 47, "10.1.12.1", 0, "10.1.12.2", 0, 92);
    d.l3_len = 20 + 40;
    tf_feed(ft, &d, SEC);
    /* IPv6 UDP */
    tf_mk(&d, 17, "2001:db8::2", 5353, "2001:db8::1", 5353, 10);
    tf_feed(ft, &d, SEC);
    tf_mk(&d, 17, "2001:db8::1", 5353, "2001:db8::2", 5353, 20);
    tf_feed(ft, &d, SEC);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 2);
    ASSERT_EQ(c.v[0].r.proto, 47);
    ASSERT_EQ(c.v[0].r.src[3], 2);
    ASSERT_EQ(c.v[0].r.payload[0], 100);
    ASSERT_EQ(c.v[0].r.payload[1], 40);
    ASSERT_EQ(c.v[0].r.sport, 0);
    ASSERT_EQ(c.v[1].r.ipver, 6);
    ASSERT_EQ(c.v[1].r.src[15], 2);
    ASSERT_EQ(c.v[1].r.pkts[0], 1);
    ASSERT_EQ(c.v[1].r.pkts[1], 1);
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_datagram_with_several_frames)
{
    struct col c;
    struct flow_table *ft = tf_new(NULL, &c);
    struct decoded d;
    tf_mk(&d, 17, "10.0.0.1", 1000, "10.0.0.2", 2000, 3000);
    struct pkt_ref refs[3] = {{SEC, POS_MAKE(2, 100), 1514},
                              {SEC + 1, POS_MAKE(2, 1700), 1514},
                              {SEC + 2, POS_MAKE(2, 3300), 142}};
    ASSERT_EQ(flow_table_packet(ft, &d, refs, 3, NULL), 0);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.pkts[0], 3);
    ASSERT_EQ(c.v[0].r.bytes[0], 1514 + 1514 + 142);
    ASSERT_EQ(c.v[0].r.payload[0], 3000);
    ASSERT_EQ(c.v[0].r.first_ns, SEC);
    ASSERT_EQ(c.v[0].r.last_ns, SEC + 2);
    ASSERT_EQ(c.v[0].npos, 3);
    ASSERT_EQ(c.v[0].posv[2], POS_MAKE(2, 3300));
    flow_table_free(ft);
    col_free(&c);
}

/* ---- timeouts --------------------------------------------------------------------------- */

TEST(flow_idle_timeouts_per_class)
{
    struct col c;
    struct flow_cfg cfg = {.tcp_idle_ns = 100 * SEC,
                           .udp_idle_ns = 30 * SEC,
                           .other_idle_ns = 45 * SEC,
                           .tcp_closed_ns = 2 * SEC};
    struct flow_table *ft = tf_new(&cfg, &c);
    struct decoded d;
    tcp(ft, 1, S, 1000, 0, 0, 0); /* id 1 */
    tf_mk(&d, 17, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    tf_feed(ft, &d, 0); /* id 2 */
    tf_mk(&d, 1, "10.0.0.1", 8, "10.0.0.2", 0, 0);
    tf_feed(ft, &d, 0); /* id 3 */
    tf_mk(&d, 6, "10.0.0.7", 1, "10.0.0.8", 2, 0);
    d.tcp_flags = R;
    tf_feed(ft, &d, 0); /* id 4: closed by RST, lingers 2 s */
    flow_table_expire(ft, 1 * SEC);
    ASSERT_EQ(c.n, 0);
    flow_table_expire(ft, 2 * SEC);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.id, 4);
    ASSERT_EQ(c.v[0].r.end, FLOW_END_RST);
    flow_table_expire(ft, 30 * SEC - 1);
    ASSERT_EQ(c.n, 1);
    flow_table_expire(ft, 30 * SEC);
    ASSERT_EQ(c.n, 2);
    ASSERT_EQ(c.v[1].r.id, 2);
    ASSERT_EQ(c.v[1].r.end, FLOW_END_IDLE);
    ASSERT_STR_EQ(c.v[1].r.state, "S0");
    flow_table_expire(ft, 45 * SEC);
    ASSERT_EQ(c.n, 3);
    ASSERT_EQ(c.v[2].r.id, 3);
    flow_table_expire(ft, 99 * SEC);
    ASSERT_EQ(c.n, 3);
    flow_table_expire(ft, 100 * SEC);
    ASSERT_EQ(c.n, 4);
    ASSERT_EQ(c.v[3].r.id, 1);
    ASSERT_EQ(c.v[3].r.end, FLOW_END_IDLE);
    ASSERT_STR_EQ(c.v[3].r.state, "S0");
    /* activity pushes the deadline */
    tf_mk(&d, 17, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    tf_feed(ft, &d, 200 * SEC);
    tf_feed(ft, &d, 220 * SEC);
    flow_table_expire(ft, 249 * SEC);
    ASSERT_EQ(c.n, 4);
    flow_table_expire(ft, 250 * SEC);
    ASSERT_EQ(c.n, 5);
    ASSERT_EQ(c.v[4].r.id, 5);
    ASSERT_EQ(c.v[4].r.pkts[0], 2);
    ASSERT_EQ(flow_table_stats(ft)->ended[FLOW_END_IDLE], 4);
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_active_timeout_pieces)
{
    struct col c;
    struct flow_cfg cfg = {.active_ns = 10 * SEC, .udp_idle_ns = 1000 * SEC};
    struct flow_table *ft = tf_new(&cfg, &c);
    struct decoded d;
    for (int i = 0; i <= 35; i++) {
        if (i % 2)
            tf_mk(&d, 17, "10.0.0.2", 53, "10.0.0.1", 999, 7);
        else
            tf_mk(&d, 17, "10.0.0.1", 999, "10.0.0.2", 53, 5);
        ASSERT_EQ(tf_feed(ft, &d, i * SEC), 0);
        flow_table_expire(ft, i * SEC);
    }
    ASSERT_EQ(c.n, 3);
    flow_table_flush(ft);
    ASSERT_EQ(c.n, 4);
    uint64_t pk = 0, pl = 0;
    size_t npos = 0;
    for (size_t i = 0; i < 4; i++) {
        const struct session_rec *r = &c.v[i].r;
        ASSERT_EQ(r->id, 1);
        ASSERT_EQ(r->piece, i);
        ASSERT_EQ(r->last_piece, i == 3);
        ASSERT_EQ(r->end, i == 3 ? FLOW_END_EOF : FLOW_END_ACTIVE);
        ASSERT_EQ(r->first_ns, (int64_t)i * 10 * SEC);
        ASSERT_EQ(r->last_ns, i == 3 ? 35 * SEC : ((int64_t)i * 10 + 9) * SEC);
        ASSERT_EQ(r->sport, 999);
        ASSERT_STR_EQ(r->history, "Dd"); /* history and state run on across pieces */
        ASSERT_STR_EQ(r->state, "SF");
        pk += r->pkts[0] + r->pkts[1];
        pl += r->payload[0] + r->payload[1];
        for (size_t j = 0; j < c.v[i].npos; j++, npos++)
            ASSERT_EQ(c.v[i].posv[j], POS_MAKE(1, 24 + 100 * npos));
    }
    ASSERT_EQ(pk, 36);
    ASSERT_EQ(npos, 36);
    ASSERT_EQ(pl, 18 * 5 + 18 * 7);
    const struct flow_stats *st = flow_table_stats(ft);
    ASSERT_EQ(st->created, 1);
    ASSERT_EQ(st->emitted, 1);
    ASSERT_EQ(st->pieces, 4);
    ASSERT_EQ(st->ended[FLOW_END_ACTIVE], 3);
    flow_table_free(ft);
    col_free(&c);
}

static void pos_cap_run(size_t cap)
{
    struct col c;
    struct flow_cfg cfg = {.max_pos_bytes = cap};
    struct flow_table *ft = tf_new(&cfg, &c);
    struct decoded d;
    tf_mk(&d, 17, "10.0.0.1", 1, "10.0.0.2", 2, 100);
    /* positions 100 bytes apart: zig-zag delta 200 → a 2-byte varint; the first takes 6 */
    for (int i = 0; i < 40; i++)
        ASSERT_EQ(tf_feed(ft, &d, SEC + i), 0);
    flow_table_flush(ft);
    ASSERT_GT(c.n, 1);
    uint64_t pk = 0;
    size_t npos = 0;
    for (size_t i = 0; i < c.n; i++) {
        const struct session_rec *r = &c.v[i].r;
        ASSERT_EQ(r->id, 1);
        ASSERT_EQ(r->piece, i);
        ASSERT_LE(r->pos_len, cap);
        ASSERT_EQ(c.v[i].pos_bad, 0);
        ASSERT_EQ(c.v[i].npos, r->pkts[0]);
        ASSERT_EQ(r->end, i + 1 == c.n ? FLOW_END_EOF : FLOW_END_ACTIVE);
        ASSERT_EQ(r->last_piece, i + 1 == c.n);
        if (i + 1 < c.n) /* a piece is cut only when the next position would not fit */
            ASSERT_GT(r->pos_len + 2, cap);
        pk += r->pkts[0];
        for (size_t j = 0; j < c.v[i].npos; j++, npos++)
            ASSERT_EQ(c.v[i].posv[j], POS_MAKE(1, 24 + 100 * npos));
    }
    ASSERT_EQ(pk, 40);
    ASSERT_EQ(npos, 40);
    flow_table_free(ft);
    col_free(&c);
}

TEST(flow_position_cap_pieces)
{
    /* every cap size, so each growth step of the buffer meets the cap */
    for (size_t cap = 16; cap <= 70; cap++) {
        pos_cap_run(cap);
        T_STOP_IF_FAILED();
    }
}

/* ---- bounds ----------------------------------------------------------------------------- */

static void udp_flow(struct flow_table *ft, uint32_t n, int64_t ts)
{
    struct decoded d;
    tf_mk(&d, 17, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    d.src[2] = (uint8_t)(n >> 16);
    d.sport = (uint16_t)n;
    d.dst[2] = (uint8_t)(n >> 8);
    tf_feed(ft, &d, ts);
}

TEST(flow_eviction_at_max_flows)
{
    struct col c;
    struct flow_cfg cfg = {.max_flows = 3};
    struct flow_table *ft = tf_new(&cfg, &c);
    udp_flow(ft, 1, SEC);     /* id 1 */
    udp_flow(ft, 2, SEC + 1); /* id 2 */
    udp_flow(ft, 3, SEC + 2); /* id 3 */
    udp_flow(ft, 1, SEC + 3); /* id 1 is recent again */
    ASSERT_EQ(c.n, 0);
    udp_flow(ft, 4, SEC + 4); /* id 4 evicts id 2, the least recently active */
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.v[0].r.id, 2);
    ASSERT_EQ(c.v[0].r.end, FLOW_END_EVICTED);
    ASSERT_EQ(c.v[0].r.last_piece, 1);
    const struct flow_stats *st = flow_table_stats(ft);
    ASSERT_EQ(st->evicted, 1);
    ASSERT_EQ(st->live, 3);
    ASSERT_EQ(st->peak_live, 3);
    /* a lingering closed session goes first, with its own end, not counted as evicted */
    struct decoded d;
    tf_mk(&d, 6, "10.9.0.1", 1, "10.9.0.2", 2, 0);
    d.tcp_flags = R;
    tf_feed(ft, &d, SEC + 5); /* id 5 evicts id 3 */
    ASSERT_EQ(c.n, 2);
    ASSERT_EQ(c.v[1].r.id, 3);
    udp_flow(ft, 6, SEC + 6); /* id 6 takes the closed id 5's place */
    ASSERT_EQ(c.n, 3);
    ASSERT_EQ(c.v[2].r.id, 5);
    ASSERT_EQ(c.v[2].r.end, FLOW_END_RST);
    ASSERT_EQ(st->evicted, 2);
    ASSERT_EQ(st->ended[FLOW_END_EVICTED], 2);
    flow_table_flush(ft);
    ASSERT_EQ(st->created, 6);
    ASSERT_EQ(st->emitted, 6);
    ASSERT_EQ(st->live, 0);
    flow_table_free(ft);
    col_free(&c);
}

static void count_emit(void *ctx, const struct session_rec *s)
{
    uint64_t *n = ctx;
    (*n)++;
    (void)s;
}

TEST(flow_many_flows_created_and_expired)
{
    uint64_t n = 0;
    struct flow_cfg cfg = {.max_flows = 200000};
    struct flow_table *ft = flow_table_new(&cfg, 1000, count_emit, &n);
    ASSERT_TRUE(ft != NULL);
    size_t empty = flow_table_bytes(ft);
    for (uint32_t i = 0; i < 100000; i++)
        udp_flow(ft, i, SEC + i);
    const struct flow_stats *st = flow_table_stats(ft);
    ASSERT_EQ(st->live, 100000);
    ASSERT_GT(flow_table_bytes(ft), empty + 100000 * flow_session_bytes());
    ASSERT_GE(flow_session_bytes(), 100);
    flow_table_expire(ft, SEC + 100000 + 60 * SEC);
    ASSERT_EQ(n, 100000);
    ASSERT_EQ(st->live, 0);
    /* the pool is reused: a second round allocates no more sessions */
    size_t held = flow_table_bytes(ft);
    for (uint32_t i = 0; i < 100000; i++)
        udp_flow(ft, i + 7, 200 * SEC + i);
    ASSERT_LE(flow_table_bytes(ft), held);
    flow_table_flush(ft);
    ASSERT_EQ(n, 200000);
    ASSERT_EQ(st->created, 200000);
    flow_table_free(ft);

    /* a small table under pressure: evictions, bounded memory */
    n = 0;
    cfg.max_flows = 1000;
    ft = flow_table_new(&cfg, 0, count_emit, &n);
    ASSERT_TRUE(ft != NULL);
    for (uint32_t i = 0; i < 100000; i++)
        udp_flow(ft, i, SEC + i);
    st = flow_table_stats(ft);
    ASSERT_EQ(st->live, 1000);
    ASSERT_EQ(st->evicted, 99000);
    ASSERT_LT(flow_table_bytes(ft), 2000 * (flow_session_bytes() + 128) + 65536);
    flow_table_free(ft); /* live sessions are dropped without emission */
    ASSERT_EQ(n, 99000);
}

/* ---- determinism ------------------------------------------------------------------------ */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

static void random_traffic(struct flow_table *ft, uint64_t seed)
{
    struct decoded d;
    static const uint8_t protos[] = {6, 6, 6, 17, 17, 1, 58, 47};
    tf_pos = 0;
    for (int i = 0; i < 30000; i++) {
        uint64_t r = lcg(&seed);
        uint8_t proto = protos[r % sizeof protos];
        int v6 = proto == 58 || (r >> 8) % 5 == 0;
        int heavy = (r >> 12) % 4 == 0; /* a quarter of the packets on a few long sessions */
        char a[64], b[64];
        unsigned ha = (unsigned)(lcg(&seed) % 40), hb = (unsigned)(lcg(&seed) % 40);
        if (heavy)
            ha = hb = 1;
        snprintf(a, sizeof a, v6 ? "2001:db8::%x" : "10.0.0.%u", ha);
        snprintf(b, sizeof b, v6 ? "2001:db8::%x" : "10.0.1.%u", hb);
        uint16_t sp = (uint16_t)(lcg(&seed) % 6 + (proto == 1 || proto == 58 ? 0 : 1020));
        uint16_t dp = (uint16_t)(lcg(&seed) % 3);
        if (heavy)
            sp = dp = 1;
        tf_mk(&d, proto, a, sp, b, dp, (uint32_t)(lcg(&seed) % 300));
        d.tcp_flags = (uint8_t)lcg(&seed);
        d.seq = (uint32_t)(lcg(&seed) % 4);
        d.ack = (uint32_t)(lcg(&seed) % 4);
        d.nvlan = (uint8_t)(lcg(&seed) % 8 == 0);
        d.vlan[0] = d.nvlan ? 7 : 0;
        int64_t ts = (int64_t)i * 50 * MS;
        tf_feed(ft, &d, ts);
        if (i % 20 == 0)
            flow_table_expire(ft, ts);
    }
    flow_table_flush(ft);
}

static int rec_same(const struct col_rec *x, const struct col_rec *y)
{
    const struct session_rec *a = &x->r, *b = &y->r;
    return a->id == b->id && a->piece == b->piece && a->last_piece == b->last_piece &&
           a->first_ns == b->first_ns && a->last_ns == b->last_ns && a->ipver == b->ipver &&
           a->proto == b->proto && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
           a->sport == b->sport && a->dport == b->dport && a->nvlan == b->nvlan &&
           a->vlan[0] == b->vlan[0] && a->vlan[1] == b->vlan[1] &&
           !memcmp(a->pkts, b->pkts, sizeof a->pkts) &&
           !memcmp(a->bytes, b->bytes, sizeof a->bytes) &&
           !memcmp(a->payload, b->payload, sizeof a->payload) &&
           !memcmp(a->tcp_flags, b->tcp_flags, 2) && a->syn == b->syn && a->synack == b->synack &&
           a->fin == b->fin && a->rst == b->rst && !strcmp(a->history, b->history) &&
           !strcmp(a->state, b->state) && a->end == b->end &&
           !strcmp(a->community_id, b->community_id) && x->npos == y->npos &&
           !memcmp(x->posv, y->posv, x->npos * sizeof *x->posv);
}

TEST(flow_deterministic)
{
    struct col c1, c2;
    struct flow_cfg cfg = {.max_flows = 300,
                           .max_pos_bytes = 64,
                           .active_ns = 30 * SEC,
                           .udp_idle_ns = 20 * SEC,
                           .other_idle_ns = 10 * SEC,
                           .tcp_idle_ns = 40 * SEC};
    /* two tables: different hash seeds, same packets */
    struct flow_table *a = tf_new(&cfg, &c1);
    random_traffic(a, 42);
    struct flow_table *b = tf_new(&cfg, &c2);
    random_traffic(b, 42);
    ASSERT_GT(c1.n, 1000);
    ASSERT_EQ(c1.n, c2.n);
    for (size_t i = 0; i < c1.n; i++) {
        if (!rec_same(&c1.v[i], &c2.v[i])) {
            t_fail(__FILE__, __LINE__, "record %zu differs (id %" PRIu64 " vs %" PRIu64 ")", i,
                   c1.v[i].r.id, c2.v[i].r.id);
            break;
        }
    }
    /* invariants over the run */
    const struct flow_stats *st = flow_table_stats(a);
    ASSERT_EQ(st->created, st->emitted);
    ASSERT_EQ(st->pieces, c1.n);
    ASSERT_GT(st->evicted, 0);
    ASSERT_GT(st->ended[FLOW_END_ACTIVE], 0);
    uint64_t pk = 0;
    for (size_t i = 0; i < c1.n; i++) {
        pk += c1.v[i].r.pkts[0] + c1.v[i].r.pkts[1];
        ASSERT_EQ(c1.v[i].npos, c1.v[i].r.pkts[0] + c1.v[i].r.pkts[1]);
        ASSERT_EQ(c1.v[i].pos_bad, 0);
        ASSERT_LE(c1.v[i].r.pos_len, 64);
    }
    ASSERT_EQ(pk, 30000);
    flow_table_free(a);
    flow_table_free(b);
    col_free(&c1);
    col_free(&c2);
}

TEST(flow_id_base_and_defaults)
{
    struct col c;
    memset(&c, 0, sizeof c);
    struct flow_table *ft = flow_table_new(NULL, 5000, col_emit, &c);
    ASSERT_TRUE(ft != NULL);
    udp_flow(ft, 1, SEC);
    udp_flow(ft, 2, SEC);
    /* default udp idle: 60 s */
    flow_table_expire(ft, 61 * SEC - 1);
    ASSERT_EQ(c.n, 0);
    flow_table_expire(ft, 61 * SEC);
    ASSERT_EQ(c.n, 2);
    ASSERT_EQ(c.v[0].r.id, 5001);
    ASSERT_EQ(c.v[1].r.id, 5002);
    /* not IP, or no frames: ignored */
    struct decoded d;
    memset(&d, 0, sizeof d);
    struct pkt_ref ref = {SEC, 0, 60};
    ASSERT_EQ(flow_table_packet(ft, &d, &ref, 1, NULL), 0);
    tf_mk(&d, 17, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    ASSERT_EQ(flow_table_packet(ft, &d, &ref, 0, NULL), 0);
    ASSERT_EQ(flow_table_stats(ft)->created, 2);
    flow_table_free(ft);
    col_free(&c);
}

/* ---- corpus: real captures ---------------------------------------------------------------- */

/* A minimal decoder for the test captures: 0 when d is usable. */
static int tp_decode(int linktype, const uint8_t *p, uint32_t n, struct decoded *d)
{
    struct rdr r;
    rdr_init(&r, p, n);
    memset(d, 0, sizeof *d);
    uint16_t et = 0;
    if (linktype == DLT_EN10MB) {
        rdr_skip(&r, 12);
        et = rdr_u16be(&r);
        while (rdr_ok(&r) && (et == 0x8100 || et == 0x88a8 || et == 0x9100)) {
            if (d->nvlan == 2)
                return -1;
            d->vlan[d->nvlan++] = rdr_u16be(&r) & 0x0fff;
            et = rdr_u16be(&r);
        }
    } else if (linktype == DLT_NULL) {
        /* the address family in the writer's byte order */
        uint32_t fam = rdr_u32le(&r);
        if (fam > 0xffff)
            fam >>= 24;
        et = fam == 2 ? 0x0800 : (fam == 24 || fam == 28 || fam == 30) ? 0x86dd : 0;
    } else if (linktype == DLT_LINUX_SLL) {
        rdr_skip(&r, 14);
        et = rdr_u16be(&r);
    } else {
        return -1;
    }
    if (!rdr_ok(&r))
        return -1;
    d->ethertype = et;
    d->l3_off = (uint32_t)r.off;
    if (et == 0x0800) {
        uint32_t ihl = (uint32_t)(rdr_u8(&r) & 0x0f) * 4;
        rdr_skip(&r, 1);
        d->l3_len = rdr_u16be(&r);
        rdr_skip(&r, 2);
        uint16_t frag = rdr_u16be(&r);
        d->ttl = rdr_u8(&r);
        d->proto = rdr_u8(&r);
        rdr_skip(&r, 2);
        rdr_copy(&r, d->src, 4);
        rdr_copy(&r, d->dst, 4);
        if (ihl < 20 || (frag & 0x3fff))
            return -1; /* bad header or a fragment */
        rdr_skip(&r, ihl - 20);
        d->ipver = 4;
    } else if (et == 0x86dd) {
        rdr_skip(&r, 4);
        d->l3_len = 40u + rdr_u16be(&r);
        uint8_t nh = rdr_u8(&r);
        d->ttl = rdr_u8(&r);
        rdr_copy(&r, d->src, 16);
        rdr_copy(&r, d->dst, 16);
        while (rdr_ok(&r) && (nh == 0 || nh == 43 || nh == 60)) {
            nh = rdr_u8(&r);
            rdr_skip(&r, (size_t)rdr_u8(&r) * 8 + 6);
        }
        if (nh == 44)
            return -1;
        d->proto = nh;
        d->ipver = 6;
    } else {
        return -1;
    }
    if (!rdr_ok(&r))
        return -1;
    d->l4_off = (uint32_t)r.off;
    uint32_t iphdr = d->l4_off - d->l3_off;
    if (d->proto == 6) {
        d->sport = rdr_u16be(&r);
        d->dport = rdr_u16be(&r);
        d->seq = rdr_u32be(&r);
        d->ack = rdr_u32be(&r);
        uint16_t off_flags = rdr_u16be(&r);
        uint32_t doff = (uint32_t)(off_flags >> 12) * 4;
        d->tcp_flags = (uint8_t)off_flags;
        d->payload_wire = d->l3_len > iphdr + doff ? d->l3_len - iphdr - doff : 0;
    } else if (d->proto == 17) {
        d->sport = rdr_u16be(&r);
        d->dport = rdr_u16be(&r);
        d->payload_wire = d->l3_len > iphdr + 8 ? d->l3_len - iphdr - 8 : 0;
    } else if (d->proto == 1 || d->proto == 58) {
        d->icmp_type = rdr_u8(&r);
        d->icmp_code = rdr_u8(&r);
        d->sport = d->icmp_type;
        d->dport = d->icmp_code;
    }
    return rdr_ok(&r) ? 0 : -1;
}

static int tp_run(const char *path, const struct flow_cfg *cfg, struct col *c)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pc)
        return -1;
    int lt = pcap_datalink(pc);
    memset(c, 0, sizeof *c);
    struct flow_table *ft = flow_table_new(cfg, 0, col_emit, c);
    if (!ft) {
        pcap_close(pc);
        return -1;
    }
    struct pcap_pkthdr *h;
    const u_char *pk;
    uint64_t frame = 0;
    while (pcap_next_ex(pc, &h, &pk) == 1) {
        struct decoded d;
        int64_t ts = (int64_t)h->ts.tv_sec * SEC + h->ts.tv_usec;
        frame++;
        if (tp_decode(lt, pk, h->caplen, &d) == 0) {
            struct pkt_ref r = {ts, POS_MAKE(0, frame), h->len};
            flow_table_packet(ft, &d, &r, 1, NULL);
        }
        flow_table_expire(ft, ts);
    }
    flow_table_flush(ft);
    flow_table_free(ft);
    pcap_close(pc);
    return 0;
}

/* The record in the form of the generated Arkime lines below. */
static void tp_line(const struct session_rec *r, char *out, size_t n)
{
    char sa[64], da[64];
    int af = r->ipver == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, r->src, sa, sizeof sa);
    inet_ntop(af, r->dst, da, sizeof da);
    int icmp = r->proto == 1 || r->proto == 58;
    snprintf(out, n,
             "%u %s %u %s %u pk %" PRIu64 " %" PRIu64 " by %" PRIu64 " %" PRIu64 " pl %" PRIu64
             " %" PRIu64 " f %u %u %u %u %s %" PRId64 " %" PRId64,
             r->proto, sa, icmp ? 0 : r->sport, da, icmp ? 0 : r->dport, r->pkts[0], r->pkts[1],
             r->bytes[0], r->bytes[1], r->payload[0], r->payload[1], r->syn, r->synack, r->fin,
             r->rst, r->community_id, r->first_ns / MS, r->last_ns / MS);
}

static int tp_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct ark_case {
    const char *pcap;
    const char *const *lines;
};

/*
 * Expected sessions, generated from the corpus arkime/tests/pcap/<name>.test
 * files (sessions3 bodies): proto, source ip/port, destination ip/port,
 * packets and frame bytes per direction, client/server payload bytes,
 * SYN / SYN+ACK / FIN / RST counts, community_id, first and last packet (ms).
 * For ICMP the ports are left out (Arkime writes 0, we write type/code) and
 * 8 bytes per packet are taken off Arkime's payload (it counts the ICMP header).
 */
static const char *const ark_bigendian[] = {
    "1 192.168.177.160 0 10.64.11.49 0 pk 2 0 by 196 0 pl 112 0 f 0 0 0 0 "
    "1:u15ZSE/zwPPH+PdNHE0LOby1NF0= 1335958313152 1335958317529",
    NULL,
};
static const char *const ark_curl_enabled_tls13[] = {
    "17 192.168.65.3 42060 192.168.65.1 53 pk 2 2 by 154 242 pl 70 158 f 0 0 0 0 "
    "1:SB1sNGEQ5U+jmB3am3T8bnBNTKI= 1565212114674 1565212114677",
    "6 192.168.65.3 46638 104.16.125.34 443 pk 16 15 by 1729 5056 pl 845 4238 f 1 1 2 0 "
    "1:PpyBSRmS+2VJ1i6VN2xoHEI0ljc= 1565212114677 1565212114804",
    NULL,
};
static const char *const ark_dns_tcp[] = {
    "6 10.180.156.141 49342 10.2.95.39 53 pk 6 4 by 438 614 pl 30 342 f 1 1 2 0 "
    "1:aiyyBmnGUlby3uK/mWpMfvJm2U4= 1385482078892 1385482078899",
    "6 10.180.156.141 49343 10.2.95.39 53 pk 6 4 by 435 530 pl 27 258 f 1 1 2 0 "
    "1:Ni+vClyYvGtwxC4Wu5dkGjaQ8ts= 1385482080084 1385482080086",
    NULL,
};
static const char *const ark_http_post_upload[] = {
    "6 192.168.8.97 11371 192.168.57.14 8080 pk 20 14 by 5222 3834 pl 2029 1509 f 2 2 4 0 "
    "1:BM8tY6UHl8ahbGVWJK1yhn8kyQ4= 1553758814359 1553758844367",
    NULL,
};
static const char *const ark_http_simple_get[] = {
    "6 10.180.156.141 61450 10.180.156.249 80 pk 8 8 by 692 5773 pl 152 5237 f 1 1 2 0 "
    "1:5FhVg97ow4NPd5Q5nqaxA/Bx83A= 1385391358382 1385391358387",
    NULL,
};
static const char *const ark_openssl_tls1_2[] = {
    "6 10.0.0.1 57413 74.125.228.37 443 pk 12 8 by 1220 5014 pl 420 4478 f 1 1 2 0 "
    "1:Hfs5tYbyoB20l9oRNYWqL/gm/+M= 1413337896106 1413337896584",
    NULL,
};
static const char *const ark_smb_smbclient[] = {
    "6 127.0.0.1 41823 127.0.0.1 445 pk 21 13 by 2262 1667 pl 868 801 f 1 1 2 0 "
    "1:XipISkp35L7t47uOIP6tFb6wvUM= 1387494788141 1387494791811",
    NULL,
};
static const char *const ark_ssh2[] = {
    "6 10.0.0.1 61672 10.0.0.2 22 pk 11 11 by 1715 2037 pl 1109 1407 f 1 1 0 0 "
    "1:eCGZrs2oS78hdxeW5zAzN+gSTUc= 1387565111946 1387565112051",
    NULL,
};
static const char *const ark_tcp_reassembly_synthetic[] = {
    "6 10.180.156.1 40001 10.180.156.2 80 pk 6 5 by 364 302 pl 40 32 f 1 1 2 0 "
    "1:U7LuGOj1T4wuBRUpmmgHU+AdlQ4= 1700000000000 1700000001002",
    "6 10.180.156.1 40002 10.180.156.2 80 pk 6 6 by 369 372 pl 45 32 f 1 1 2 0 "
    "1:v/YytqKGhtnlPBAyQSafnBsLFrI= 1700000010000 1700000011002",
    "6 10.180.156.1 40003 10.180.156.2 80 pk 6 5 by 373 306 pl 49 32 f 1 1 2 0 "
    "1:ssItROuZFaQVSijEJ+ijLEnssus= 1700000020000 1700000021002",
    "6 10.180.156.1 40004 10.180.156.2 80 pk 6 5 by 368 302 pl 44 32 f 1 1 2 0 "
    "1:OBh8dJQK8zM1QSZ5WHchfG2zJy0= 1700000030000 1700000031002",
    /* Arkime: server 8 — it counts only bytes its reassembly delivered in order, and the
     * 16 bytes after the never-filled hole at 8009..8017 are not; we count them: 24 */
    "6 10.180.156.1 40005 10.180.156.2 80 pk 6 5 by 361 294 pl 37 24 f 1 1 2 0 "
    "1:fcDzAcZqO3ibmVwm81jbO6fnIW8= 1700000040000 1700000041002",
    "6 10.180.156.1 40006 10.180.156.2 80 pk 6 6 by 373 360 pl 49 32 f 1 1 2 0 "
    "1:PFqpuMzxKWVCREABQxF8HLsBi3s= 1700000050000 1700000051002",
    "6 10.180.156.1 40007 10.180.156.2 80 pk 6 7 by 371 422 pl 47 32 f 1 1 2 0 "
    "1:5yOdaREsf00sjm7K2a11F9aaUPU= 1700000060000 1700000061002",
    "6 10.180.156.1 40008 10.180.156.2 80 pk 3 1 by 201 54 pl 39 0 f 1 1 0 0 "
    "1:V/q2grDm28lsxYksP+kDFncECuY= 1700000070007 1700000070010",
    "6 10.180.156.1 40008 10.180.156.2 80 pk 5 3 by 309 185 pl 39 23 f 1 1 2 0 "
    "1:V/q2grDm28lsxYksP+kDFncECuY= 1700000070000 1700000070006",
    "6 10.180.156.1 40009 10.180.156.2 80 pk 5 3 by 309 185 pl 39 23 f 1 1 2 0 "
    "1:yfl2SI444B97BXyi6t2FmqoepDA= 1700000070011 1700000070018",
    "6 10.180.156.1 40010 10.180.156.2 80 pk 4 1 by 247 54 pl 31 0 f 1 1 1 0 "
    "1:W6Z20+NRjKM2IAajn6k3hplGoWo= 1700000080000 1700000080004",
    NULL,
};
static const char *const ark_tls_alpn_h2[] = {
    "6 2001:4998:ef83:14:8000::100d 64034 2606:4700::6811:d209 443 pk 4 5 by 517 3142 pl 237 2810 "
    "f 1 1 0 0 "
    "1:/wxqZ626SZRx3CanjPRZ6tl4iH8= 1593980608621 1593980608696",
    NULL,
};
static const char *const ark_tls13[] = {
    "6 2001:16d8:ffce:10:aca8:353c:291d:a9b3 62510 2400:cb00:2048:1::6813:c266 443 pk 3 3 by 751 "
    "1454 pl 517 1220 f 1 1 0 0 "
    "1:+howsemozCcnIdXPNBANfoSfiAw= 1483560476240 1483560476263",
    NULL,
};
static const char *const ark_twovlan[] = {
    "6 10.0.0.1 54422 10.0.0.2 80 pk 3 3 by 343 4574 pl 113 4344 f 1 1 0 0 "
    "1:SPYgVgvcW0g9bsfBLLnTtlWJezA= 1456042921641 1456042921761",
    NULL,
};
static const char *const ark_v6_http[] = {
    "17 2001:6f8:102d:0:1033:c4c:7e57:b19e 5353 ff02::fb 5353 pk 8 0 by 1782 0 pl 1286 0 f 0 0 0 0 "
    "1:TL4Y0+L3PjIimj1u3COHbMG1wIA= 1186341099605 1186341103455",
    "58 :: 0 ff02::1:ff98:6e1 0 pk 1 0 by 78 0 pl 16 0 f 0 0 0 0 "
    "1:eilndz0cTfzOL/w14PcBW0lsMzo= 1186341098474 1186341098474",
    "58 fe80::211:25ff:fe82:95b5 0 ff02::1 0 pk 1 0 by 110 0 pl 48 0 f 0 0 0 0 "
    "1:0MCR19cydrs2qJRBo+L/DglvPSE= 1186341269082 1186341269082",
    "58 fe80::211:25ff:fe82:95b5 0 ff02::1:ff82:95b5 0 pk 33 0 by 2838 0 pl 792 0 f 0 0 0 0 "
    "1:0fx8iuIOVuN5EqSAPlk7AsecuJg= 1186341079159 1186341381164",
    "58 fe80::2d0:9ff:fee3:e8de 0 ff02::16 0 pk 2 0 by 180 0 pl 40 0 f 0 0 0 0 "
    "1:N1pYzX56SZ4pCJrRuglkQ+2ylvE= 1186341098054 1186341103914",
    "6 2001:6f8:102d:0:2d0:9ff:fee3:e8de 59201 2001:6f8:900:7c0::2 80 pk 6 4 by 704 2563 pl 240 "
    "2259 f 1 1 2 0 "
    "1:P/VOGxllF9rkDpAV0qCij17Tlnw= 1186341404189 1186341404219",
    NULL,
};
static const char *const ark_v6[] = {
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2396 3ffe:501:4819::42 53 pk 1 1 by 90 510 pl 28 448 f 0 0 "
    "0 0 "
    "1:JBeyh8m0a90BZxNrl8qsXhtgfcQ= 921159902141 921159902215",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2397 3ffe:501:4819::42 53 pk 1 1 by 93 358 pl 31 296 f 0 0 "
    "0 0 "
    "1:TAfNmOf2SE9RgHaSxnnX6snX4Ww= 921159908759 921159908894",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2398 3ffe:501:4819::42 53 pk 1 1 by 95 282 pl 33 220 f 0 0 "
    "0 0 "
    "1:2og62ygpvkvOHHBzrbmT+iTofTM= 921159918251 921159918263",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2399 3ffe:501:4819::42 53 pk 1 1 by 95 282 pl 33 220 f 0 0 "
    "0 0 "
    "1:+n2Xm0RMkkAREj2667uE6/dobbM= 921159929568 921159929580",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2401 3ffe:501:4819::42 53 pk 1 1 by 151 240 pl 89 178 f 0 "
    "0 0 0 "
    "1:lJ2EpPqi0BT6qTU7EMhhJ+SUXVU= 921159929588 921159929600",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2402 3ffe:501:4819::42 53 pk 1 1 by 151 330 pl 89 268 f 0 "
    "0 0 0 "
    "1:6fW9tSY4vOSbkT1OommJEIbAgOs= 921159929612 921159929626",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2403 3ffe:501:4819::42 53 pk 1 1 by 151 325 pl 89 263 f 0 "
    "0 0 0 "
    "1:2cUeFYFpuMSs0fxGv+ak3hNZ/V8= 921159929692 921159929706",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2404 3ffe:501:4819::42 53 pk 1 1 by 151 246 pl 89 184 f 0 "
    "0 0 0 "
    "1:MxtfBMwM5+MDHy9yBdlSflxBHso= 921159929789 921159929803",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2405 3ffe:501:4819::42 53 pk 1 1 by 94 322 pl 32 260 f 0 0 "
    "0 0 "
    "1:PL+Hx3+dyZ2Y3rpTAH6dRtDSO30= 921159936681 921159937360",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2407 3ffe:501:4819::42 53 pk 1 1 by 151 323 pl 89 261 f 0 "
    "0 0 0 "
    "1:eqkepZjUXBd6FRCDWLx9UiqGwk8= 921159937432 921159937449",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2408 3ffe:501:4819::42 53 pk 1 1 by 151 323 pl 89 261 f 0 "
    "0 0 0 "
    "1:DDTJae3ti7Hy+J9ixs257S0tiAo= 921159938429 921159938443",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2409 3ffe:501:4819::42 53 pk 1 1 by 151 323 pl 89 261 f 0 "
    "0 0 0 "
    "1:/xPcVFFOsrfzUnBW7pMSIw/VZL8= 921159939424 921159939438",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2410 3ffe:501:4819::42 53 pk 1 1 by 94 252 pl 32 190 f 0 0 "
    "0 0 "
    "1:ROb1V7Hyin1yz+TVtdcyErmoHrA= 921159956705 921159961961",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2412 3ffe:501:4819::42 53 pk 1 1 by 151 268 pl 89 206 f 0 "
    "0 0 0 "
    "1:qZzFhHofOhwoToiR1LMEMG6Y/sA= 921159962652 921159962667",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2413 3ffe:501:4819::42 53 pk 1 1 by 151 268 pl 89 206 f 0 "
    "0 0 0 "
    "1:MceIKUK+lZ3tlzhY93h8oQCkcxI= 921159962782 921159962796",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2414 3ffe:501:4819::42 53 pk 1 1 by 151 268 pl 89 206 f 0 "
    "0 0 0 "
    "1:g33nkzkY8GSyKHxDGKBXBEpzqrY= 921159963775 921159963788",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2415 3ffe:501:4819::42 53 pk 1 1 by 151 268 pl 89 206 f 0 "
    "0 0 0 "
    "1:DblIC7Bw7gfCmEuAOolUPPBOsO8= 921159964777 921159964794",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 2416 3ffe:501:4819::42 53 pk 1 1 by 151 268 pl 89 206 f 0 "
    "0 0 0 "
    "1:LNV1UXbmJ7TWlJ6joUSCakDis2M= 921159965780 921159965808",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33435 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:Rrq8mpQOqi9txAgqnIKyTjBP65M= 921159929585 921159929585",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33436 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:jZbgHwfnj1bPaKBDiIRmffpeZk4= 921159929601 921159929601",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33437 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:VZWBbt3717+pOvzLkDY5NmKLsVw= 921159929603 921159929603",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33438 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:PrhM2bX7u4cS7xpN4UdVyWzRXZ4= 921159929604 921159929604",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33439 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:FuiRMncy2mhAkCJ4mYumMiRK0uw= 921159929627 921159929627",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33440 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:pzh5zVYL61xkF2XP5r6N4T4UZzs= 921159929635 921159929635",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33441 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:GCMi8ajuhuVeMeNiDHgP/XG0/Fo= 921159929679 921159929679",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33442 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:eXykMyBXKmtuhixXdk+pC1vq4Lg= 921159929708 921159929708",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33443 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:1/77V7ArBY5fw8OFEgnq0HRK4Io= 921159929718 921159929718",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33444 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:I5ZJdS8rgZWIL4cUqtQijFePD1U= 921159929730 921159929730",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33445 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:hu9f8vJP/peFHO9YZu3fQzSeA/k= 921159929805 921159929805",
    "17 3ffe:507:0:1:200:86ff:fe05:80da 41077 3ffe:501:410:0:2c0:dfff:fe47:33e 33446 pk 1 0 by 74 "
    "0 pl 12 0 f 0 0 0 0 "
    "1:hjcQwKOvkwTtfnBCXaDVU6u7WU4= 921159929873 921159929873",
    "17 fe80::260:97ff:fe07:69ea 521 ff02::9 521 pk 2 0 by 2412 0 pl 2288 0 f 0 0 0 0 "
    "1:rVJbatlZZnoXe+eex1w9w0qUxE8= 921159914439 921159941530",
    "58 3ffe:501:0:1802:260:97ff:feb6:7ff0 0 3ffe:507:0:1:200:86ff:fe05:80da 0 pk 3 0 by 366 0 pl "
    "180 0 f 0 0 0 0 "
    "1:bnQKq8A2r//dWnkRW2EYcMhShjc= 921159929611 921159929642",
    "58 3ffe:501:1800:2345::2 0 3ffe:507:0:1:200:86ff:fe05:80da 0 pk 3 0 by 366 0 pl 180 0 f 0 0 0 "
    "0 "
    "1:2ObVBgIn28oZvibYZhZMBgh7WdQ= 921159929691 921159929728",
    "58 3ffe:501:410:0:2c0:dfff:fe47:33e 0 3ffe:507:0:1:200:86ff:fe05:80da 0 pk 3 0 by 366 0 pl "
    "180 0 f 0 0 0 0 "
    "1:hLZd0XGWojozrvxqE0dWB1iM6R0= 921159929788 921159929931",
    "58 3ffe:507:0:1:200:86ff:fe05:80da 0 3ffe:501:0:1001::2 0 pk 3 3 by 210 210 pl 24 24 f 0 0 0 "
    "0 "
    "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg= 921159937408 921159939423",
    "58 3ffe:507:0:1:200:86ff:fe05:80da 0 3ffe:501:4819::42 0 pk 1 0 by 300 0 pl 238 0 f 0 0 0 0 "
    /* Arkime: 1:j7zcOSPeGfEJ9Tq6mxngJDnyVpU=, the hash of the reversed tuple: it orders the
     * endpoints of a one-way ICMPv6 message (destination unreachable), which the spec and
     * pycommunityid do not (README: "is_one_way or is_lt(...)" keeps the direction) */
    "1:jwuBy9UWZK1KUFqJV5cHdVpfrlY= 921159961962 921159961962",
    "58 3ffe:507:0:1:200:86ff:fe05:80da 0 ff02::1:ff07:69ea 0 pk 1 0 by 86 0 pl 24 0 f 0 0 0 0 "
    "1:MEixa66kuz0OMvlQqnAIzP3n2xg= 921159962650 921159962650",
    "58 3ffe:507:0:1:260:97ff:fe07:69ea 0 3ffe:507:0:1:200:86ff:fe05:80da 0 pk 12 8 by 1052 592 pl "
    "308 96 f 0 0 0 0 "
    "1:BtEUCMYecYjJ7spEkVZDiCFaMTY= 921159907620 921159965778",
    "58 fe80::200:86ff:fe05:80da 0 fe80::260:97ff:fe07:69ea 0 pk 5 5 by 414 406 pl 104 96 f 0 0 0 "
    "0 "
    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY= 921159907494 921159966755",
    "58 fe80::200:86ff:fe05:80da 0 ff02::2 0 pk 1 0 by 62 0 pl 0 0 f 0 0 0 0 "
    "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0= 921159951927 921159951927",
    "58 fe80::260:97ff:fe07:69ea 0 ff02::1 0 pk 1 0 by 118 0 pl 56 0 f 0 0 0 0 "
    "1:pkvHqCL88/tg1k4cPigmZXUtL00= 921159952222 921159952222",
    "6 3ffe:507:0:1:200:86ff:fe05:80da 1022 3ffe:501:410:0:2c0:dfff:fe47:33e 22 pk 32 30 by 3639 "
    "6335 pl 879 3747 f 1 1 4 0 "
    "1:KCHULnC2GCfanzHfU34Gr1Za/Zo= 921159918266 921159923604",
    NULL,
};
static const char *const ark_wireshark_retrans[] = {
    "6 172.17.96.143 59221 172.17.96.77 4000 pk 64 44 by 25144 5240 pl 5222 576 f 4 4 8 0 "
    "1:edLn61HrOoPJoKGLwmvOMdlNXWI= 1259023909119 1259023939991",
    NULL,
};
static const struct ark_case ark_cases[] = {
    {"bigendian.pcap", ark_bigendian},
    {"curl-enabled-tls13.pcap", ark_curl_enabled_tls13},
    {"dns-tcp.pcap", ark_dns_tcp},
    {"http-post-upload.pcap", ark_http_post_upload},
    {"http-simple-get.pcap", ark_http_simple_get},
    {"openssl-tls1_2.pcap", ark_openssl_tls1_2},
    {"smb-smbclient.pcap", ark_smb_smbclient},
    {"ssh2.pcap", ark_ssh2},
    {"tcp-reassembly-synthetic.pcap", ark_tcp_reassembly_synthetic},
    {"tls-alpn-h2.pcap", ark_tls_alpn_h2},
    {"tls13.pcap", ark_tls13},
    {"twovlan.pcap", ark_twovlan},
    {"v6-http.pcap", ark_v6_http},
    {"v6.pcap", ark_v6},
    {"wireshark-retrans.pcap", ark_wireshark_retrans},
};

static int ark_compare(const char *pcap, const char *const *want, int *nsessions)
{
    const char *corpus = t_corpus();
    char path[4096];
    snprintf(path, sizeof path, "%s/arkime/tests/pcap/%s", corpus, pcap);
    struct col c;
    if (tp_run(path, NULL, &c) != 0) {
        t_fail(__FILE__, __LINE__, "cannot read %s", path);
        return 1;
    }
    size_t nw = 0;
    while (want[nw])
        nw++;
    char **got = calloc(c.n + 1, sizeof *got);
    for (size_t i = 0; i < c.n; i++) {
        got[i] = malloc(512);
        tp_line(&c.v[i].r, got[i], 512);
    }
    qsort(got, c.n, sizeof *got, tp_strcmp);
    int bad = c.n != nw;
    for (size_t i = 0; i < c.n || i < nw; i++) {
        const char *g = i < c.n ? got[i] : "(none)", *w = i < nw ? want[i] : "(none)";
        if (strcmp(g, w) != 0) {
            fprintf(stderr, "  %s:\n    got  %s\n    want %s\n", pcap, g, w);
            bad = 1;
        }
    }
    *nsessions = (int)c.n;
    for (size_t i = 0; i < c.n; i++)
        free(got[i]);
    free(got);
    col_free(&c);
    return bad;
}

TEST(flow_corpus_arkime_sessions)
{
    if (!t_corpus()) {
        t_skip("no corpus");
        return;
    }
    int bad = 0, total = 0;
    for (size_t i = 0; i < sizeof ark_cases / sizeof ark_cases[0]; i++) {
        int n = 0;
        bad += ark_compare(ark_cases[i].pcap, ark_cases[i].lines, &n);
        total += n;
    }
    ASSERT_EQ(bad, 0);
    ASSERT_GE(total, 70);
}

TEST(flow_corpus_zeek_vlan_collisions)
{
    const char *corpus = t_corpus();
    if (!corpus) {
        t_skip("no corpus");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/zeek/testing/btest/Traces/vlan-collisions.pcap", corpus);
    struct col c;
    ASSERT_EQ(tp_run(path, NULL, &c), 0);
    /* Baseline scripts.policy.frameworks.conn_key.vlan_fivetuple: 3 conns, 7/7 packets each */
    ASSERT_EQ(c.n, 3);
    int seen = 0;
    for (size_t i = 0; i < 3; i++) {
        const struct session_rec *r = &c.v[i].r;
        ASSERT_EQ(r->pkts[0], 7);
        ASSERT_EQ(r->pkts[1], 7);
        ASSERT_EQ(r->sport, 59856);
        ASSERT_EQ(r->dport, 80);
        if (r->nvlan == 0)
            seen |= 1;
        else if (r->nvlan == 1 && r->vlan[0] == 42)
            seen |= 2;
        else if (r->nvlan == 2 && r->vlan[0] == 10 && r->vlan[1] == 20)
            seen |= 4;
    }
    ASSERT_EQ(seen, 7);
    col_free(&c);
}

/*
 * Zeek conn.log baselines (zeek/testing/btest/Baseline/…/conn.log): proto,
 * orig and resp endpoints, conn_state, history, orig/resp packets and
 * orig/resp bytes (Zeek's bytes are sequence-space payload; "-" = not logged).
 */
static const struct {
    const char *pcap;
    const char *const *lines;
} zeek_cases[] = {
    {"zeek/testing/btest/Traces/ssh/ssh.pcap",
     (const char *const[]){
         "tcp 10.0.0.18 40184 128.2.6.88 41644 SF ShADadFf pk 22 26 pl 3813 3633",
         "tcp 192.168.1.31 51476 192.168.1.32 8118 SF DaFfA pk 6 5 pl 76 0",
         "tcp 192.168.1.31 51489 192.168.1.32 22 SF ShAdDaFf pk 42 27 pl 4029 2497",
         "tcp 192.168.1.31 52294 192.168.1.32 22 SF ShADadFf pk 36 24 pl 3729 2229",
         "tcp 192.168.1.32 33910 128.2.13.133 22 SF ShADadFf pk 33 29 pl 6471 6037",
         "tcp 192.168.1.32 41164 128.2.10.238 22 SF ShADadFf pk 32 33 pl 6087 3015",
         "tcp 192.168.1.32 41268 128.2.10.238 22 SF ShADadFf pk 24 20 pl 5613 2487",
         "tcp 192.168.1.32 58641 131.103.20.168 22 SF ShADdaFf pk 16 13 pl 2885 2309",
         "tcp 192.168.1.32 58646 131.103.20.168 22 SF ShADadFf pk 179 226 pl 4477 535101",
         "tcp 192.168.1.32 58649 131.103.20.168 22 SF ShADadFf pk 183 236 pl 4477 534861",
         "tcp 192.168.1.79 51880 131.159.21.1 22 SF ShAdDaFf pk 25 20 pl 2669 2501",
         "tcp 192.168.2.1 55179 192.168.2.158 2200 RSTR ShADadFr pk 37 29 pl 2757 1721",
         "tcp 192.168.2.1 56594 192.168.2.158 22 SF ShAdDaFf pk 17 14 pl 480 537",
         "tcp 192.168.2.1 56821 192.168.2.158 22 SF ShAdDaFf pk 26 20 pl 820 1125",
         "tcp 192.168.2.1 56837 192.168.2.158 22 SF ShAdDaFf pk 25 19 pl 692 997",
         "tcp 192.168.2.1 56845 192.168.2.158 22 SF ShAdDaFf pk 26 20 pl 660 965",
         "tcp 192.168.2.1 56875 192.168.2.158 22 SF ShAdDaFf pk 19 16 pl 588 549",
         "tcp 192.168.2.1 56878 192.168.2.158 22 SF ShAdDaFf pk 25 19 pl 684 825",
         "tcp 192.168.2.1 56940 192.168.2.158 22 SF ShAdDaFf pk 14 10 pl 500 609",
         "tcp 192.168.2.1 57189 192.168.2.158 22 SF ShADadFf pk 38 29 pl 5253 3489",
         "tcp 192.168.2.1 57191 192.168.2.158 22 SF ShAdDaFf pk 23 16 pl 576 813",
         "tcp 192.168.2.1 57831 192.168.2.158 22 SF ShAdDaFf pk 23 18 pl 576 813",
         "tcp 192.168.2.1 59246 192.168.2.158 22 SF ShADadFf pk 32 23 pl 3049 4165",
         "udp 192.168.1.31 57621 192.168.1.255 57621 S0 D pk 1 0 pl - -",
         "udp 192.168.1.32 57621 192.168.1.31 57621 S0 D pk 1 0 pl - -",
         NULL}},
    {"zeek/testing/btest/Traces/ssh/server-pre-banner-data.pcap",
     (const char *const[]){"tcp 10.0.2.1 55343 10.0.2.10 22 S1 ShADad pk 21 15 pl 2869 4728",
                           NULL}},
    {"zeek/testing/btest/Traces/pcapng-multi-interface.pcapng",
     (const char *const[]){"udp 10.0.0.4 56351 1.1.1.1 53 SF Dd pk 1 1 pl 28 124",
                           "udp 10.0.0.4 56352 1.1.1.1 53 SF Dd pk 1 1 pl 28 140",
                           "udp 172.17.0.2 36343 1.1.1.1 53 SF Dd pk 1 1 pl 54 172", NULL}},
    {"zeek/testing/btest/Traces/tls/irc-starttls.pcap",
     (const char *const[]){
         "tcp 203.143.168.47 55123 185.18.76.170 6667 SF ShADadFRf pk 11 9 pl 913 1903", NULL}},
    {"zeek/testing/btest/Traces/tcp/missing-syn.pcap",
     (const char *const[]){
         "tcp 141.42.64.125 56730 125.190.109.199 80 SF ^hADdFaf pk 11 10 pl 98 9417", NULL}},
};

static void zeek_line(const struct session_rec *r, char *out, size_t n)
{
    char sa[64], da[64];
    int af = r->ipver == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, r->src, sa, sizeof sa);
    inet_ntop(af, r->dst, da, sizeof da);
    const char *proto = r->proto == 6 ? "tcp" : r->proto == 17 ? "udp" : "icmp";
    snprintf(out, n, "%s %s %u %s %u %s %s pk %" PRIu64 " %" PRIu64 " pl %" PRIu64 " %" PRIu64,
             proto, sa, r->sport, da, r->dport, r->state, r->history, r->pkts[0], r->pkts[1],
             r->payload[0], r->payload[1]);
}

/* Word by word; a "-" in the expected line matches any word. */
static int zeek_match(const char *got, const char *want)
{
    while (*got && *want) {
        size_t gl = strcspn(got, " "), wl = strcspn(want, " ");
        if (!(wl == 1 && *want == '-') && (gl != wl || strncmp(got, want, gl) != 0))
            return 0;
        got += gl + (got[gl] == ' ');
        want += wl + (want[wl] == ' ');
    }
    return !*got && !*want;
}

TEST(flow_corpus_zeek_conns)
{
    const char *corpus = t_corpus();
    if (!corpus) {
        t_skip("no corpus");
        return;
    }
    int bad = 0, total = 0;
    for (size_t i = 0; i < sizeof zeek_cases / sizeof zeek_cases[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", corpus, zeek_cases[i].pcap);
        struct col c;
        if (tp_run(path, NULL, &c) != 0) {
            t_fail(__FILE__, __LINE__, "cannot read %s", path);
            return;
        }
        char **got = calloc(c.n + 1, sizeof *got);
        for (size_t j = 0; j < c.n; j++) {
            got[j] = malloc(512);
            zeek_line(&c.v[j].r, got[j], 512);
        }
        qsort(got, c.n, sizeof *got, tp_strcmp);
        const char *const *want = zeek_cases[i].lines;
        size_t nw = 0;
        while (want[nw])
            nw++;
        for (size_t j = 0; j < c.n || j < nw; j++) {
            const char *g = j < c.n ? got[j] : "(none)", *w = j < nw ? want[j] : "(none)";
            if (!zeek_match(g, w)) {
                fprintf(stderr, "  %s:\n    got  %s\n    want %s\n", zeek_cases[i].pcap, g, w);
                bad++;
            }
        }
        total += (int)c.n;
        for (size_t j = 0; j < c.n; j++)
            free(got[j]);
        free(got);
        col_free(&c);
    }
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(total, 31);
}

/* The memory bound: many long-lived sessions with growing position lists stay under max_bytes. */
static void count_emit_mem(void *ctx, const struct session_rec *s)
{
    (void)s;
    (*(int *)ctx)++;
}

TEST(flow_memory_bound_evicts_lru)
{
    int emitted = 0;
    struct flow_cfg cfg = {.max_bytes = 256 * 1024, .max_pos_bytes = 64 * 1024};
    struct flow_table *ft = flow_table_new(&cfg, 0, count_emit_mem, &emitted);
    ASSERT_TRUE(ft != NULL);
    struct decoded d;
    memset(&d, 0, sizeof d);
    d.ipver = 4;
    d.proto = 17;
    d.src[0] = 10;
    d.dst[0] = 10;
    d.dst[3] = 1;
    d.dport = 53;
    uint64_t pos = 0;
    for (int i = 0; i < 200000; i++) {
        d.src[3] = (uint8_t)(i % 200);
        d.src[2] = (uint8_t)(i % 200 / 100);
        d.sport = (uint16_t)(1024 + i % 2000);
        pos += 70000 + (uint64_t)(i % 7) * 100000; /* far apart: 3-4 bytes per position */
        struct pkt_ref ref = {1000000000LL + i, pos, 100};
        ASSERT_EQ(flow_table_packet(ft, &d, &ref, 1, NULL), 0);
        ASSERT_LE(flow_table_stats(ft)->live * flow_session_bytes(), cfg.max_bytes);
    }
    ASSERT_GT(flow_table_stats(ft)->evicted, 0);
    ASSERT_LE(flow_table_bytes(ft), cfg.max_bytes + 256 * 1024);
    flow_table_flush(ft);
    ASSERT_EQ((uint64_t)emitted, flow_table_stats(ft)->pieces);
    flow_table_free(ft);
}
