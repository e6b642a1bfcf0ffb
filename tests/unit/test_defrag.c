/*
 * test_defrag.c — IPv4/IPv6 reassembly: order, overlaps, duplicates, loss,
 * timeouts, memory and size bounds, and the corpus's fragmented captures.
 *
 * Fragments are built as whole Ethernet frames and go through decode_packet()
 * first, as in the pipeline; results go through decode_ip().
 */
#include "t.h"
#include "t_pcap.h"

#include "decode/decode.h"
#include "decode/defrag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ datagrams and fragments */

static const uint8_t A4[4] = {10, 1, 2, 3}, B4[4] = {10, 9, 8, 7};
static const uint8_t A6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa};
static const uint8_t B6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb};

/* The transport part of a datagram: a UDP header and n bytes of counting data. */
static void make_udp(uint8_t *out, uint32_t n)
{
    uint32_t len = 8 + n;
    out[0] = 0x30;
    out[1] = 0x39; /* 12345 */
    out[2] = 0x00;
    out[3] = 0x35; /* 53 */
    out[4] = (uint8_t)(len >> 8);
    out[5] = (uint8_t)len;
    out[6] = out[7] = 0;
    for (uint32_t i = 0; i < n; i++)
        out[8 + i] = (uint8_t)(i * 7 + 1);
}

struct frag_spec {
    uint8_t ver;
    uint32_t id;
    uint8_t proto;
    int vlan;    /* -1: untagged */
    int dstopts; /* v6: a destination options header before the fragment header */
    uint32_t off, len;
    int more;
};

/*
 * A frame carrying bytes [off, off + len) of `data` as one fragment.  Returns the
 * frame length.
 */
static uint32_t make_frag(uint8_t *f, const struct frag_spec *s, const uint8_t *data)
{
    uint32_t n = 0;
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    memcpy(f, macs, 12);
    n = 12;
    if (s->vlan >= 0) {
        f[n++] = 0x81;
        f[n++] = 0x00;
        f[n++] = (uint8_t)(s->vlan >> 8);
        f[n++] = (uint8_t)s->vlan;
    }
    if (s->ver == 4) {
        f[n++] = 0x08;
        f[n++] = 0x00;
        uint32_t ip = n, tot = 20 + s->len, fo = s->off / 8 | (s->more ? 0x2000 : 0);
        uint8_t h[20] = {0x45,
                         0,
                         (uint8_t)(tot >> 8),
                         (uint8_t)tot,
                         (uint8_t)(s->id >> 8),
                         (uint8_t)s->id,
                         (uint8_t)(fo >> 8),
                         (uint8_t)fo,
                         33,
                         s->proto,
                         0,
                         0};
        memcpy(h + 12, A4, 4);
        memcpy(h + 16, B4, 4);
        memcpy(f + ip, h, 20);
        n += 20;
    } else {
        f[n++] = 0x86;
        f[n++] = 0xdd;
        uint32_t ext = s->dstopts ? 8 : 0, pl = ext + 8 + s->len;
        uint8_t h[40] = {
            0x60, 0, 0, 0, (uint8_t)(pl >> 8), (uint8_t)pl, (uint8_t)(s->dstopts ? 60 : 44), 33};
        memcpy(h + 8, A6, 16);
        memcpy(h + 24, B6, 16);
        memcpy(f + n, h, 40);
        n += 40;
        if (s->dstopts) {
            /* next = fragment, len 0, PadN option of 4 bytes */
            static const uint8_t dst[8] = {44, 0, 1, 4, 0, 0, 0, 0};
            memcpy(f + n, dst, 8);
            n += 8;
        }
        uint32_t fo = s->off | (s->more ? 1 : 0);
        uint8_t fh[8] = {s->proto,
                         0,
                         (uint8_t)(fo >> 8),
                         (uint8_t)fo,
                         (uint8_t)(s->id >> 24),
                         (uint8_t)(s->id >> 16),
                         (uint8_t)(s->id >> 8),
                         (uint8_t)s->id};
        memcpy(f + n, fh, 8);
        n += 8;
    }
    memcpy(f + n, data + s->off, s->len);
    return n + s->len;
}

/* Drop-callback recorder. */
struct drops {
    int calls;
    size_t nrefs;
    struct pkt_ref refs[64];
};

static void on_drop(void *ctx, const struct pkt_ref *refs, size_t nrefs)
{
    struct drops *dr = ctx;
    dr->calls++;
    for (size_t i = 0; i < nrefs; i++)
        if (dr->nrefs < 64)
            dr->refs[dr->nrefs++] = refs[i];
}

/* Decode the frame (exact-size copy) and offer it; returns defrag_add's result. */
static int offer(struct defrag *df, const struct frag_spec *s, const uint8_t *data, uint64_t pos,
                 int64_t ts, struct defrag_result *res)
{
    static uint8_t f[70000];
    uint32_t n = make_frag(f, s, data);
    uint8_t *c = malloc(n);
    memcpy(c, f, n);
    struct decoded d;
    int v = decode_packet(1, c, n, &d);
    if (v != DEC_FRAGMENT) {
        free(c);
        return -1000 - v;
    }
    struct pkt_ref ref = {ts, pos, n};
    int r = defrag_add(df, c, n, &d, &ref, res);
    free(c);
    return r;
}

/* The expected v4 datagram: header as the fragments had it, but whole. */
static void check_v4_result(const struct defrag_result *res, const uint8_t *data, uint32_t len,
                            uint32_t id)
{
    ASSERT_EQ(res->ip_len, 20 + len);
    const uint8_t *ip = res->ip;
    ASSERT_EQ(ip[0], 0x45);
    ASSERT_EQ((ip[2] << 8) | ip[3], 20 + len);
    ASSERT_EQ((ip[4] << 8) | ip[5], id);
    ASSERT_EQ(ip[6], 0);
    ASSERT_EQ(ip[7], 0);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ASSERT_EQ(sum, 0xffff);
    ASSERT_MEM_EQ(ip + 20, data, len);

    struct decoded d;
    memset(&d, 0, sizeof(d));
    ASSERT_EQ(decode_ip(res->ip, res->ip_len, &d), DEC_OK);
    ASSERT_EQ(d.proto, 17);
    ASSERT_EQ(d.sport, 12345);
    ASSERT_EQ(d.dport, 53);
    ASSERT_EQ(d.payload_len, len - 8);
    ASSERT_EQ(d.payload_wire, len - 8);
}

#define DLEN 200

/* ------------------------------------------------------------------ IPv4 */

TEST(defrag_v4_in_order_and_reverse)
{
    static uint8_t data[DLEN + 8];
    make_udp(data, DLEN);
    const uint32_t len = DLEN + 8;
    for (int rev = 0; rev < 2; rev++) {
        struct drops dr = {0};
        struct defrag *df = defrag_new(NULL, on_drop, &dr);
        ASSERT_TRUE(df != NULL);
        struct frag_spec f[3] = {
            {4, 77, 17, -1, 0, 0, 80, 1},
            {4, 77, 17, -1, 0, 80, 80, 1},
            {4, 77, 17, -1, 0, 160, len - 160, 0},
        };
        struct defrag_result res;
        for (int i = 0; i < 3; i++) {
            int k = rev ? 2 - i : i;
            int r = offer(df, &f[k], data, 100 + (uint64_t)k, 1000 + i, &res);
            if (i < 2) {
                ASSERT_EQ(r, 0);
                ASSERT_GT(defrag_bytes_held(df), 0);
            } else {
                ASSERT_EQ(r, 1);
            }
        }
        check_v4_result(&res, data, len, 77);
        T_STOP_IF_FAILED();
        ASSERT_EQ(res.nrefs, 3);
        for (int i = 0; i < 3; i++) {
            ASSERT_EQ(res.refs[i].pos, 100 + (uint64_t)(rev ? 2 - i : i)); /* arrival order */
            ASSERT_EQ(res.refs[i].ts_ns, 1000 + i);
        }
        const struct defrag_stats *st = defrag_stats(df);
        ASSERT_EQ(st->fragments, 3);
        ASSERT_EQ(st->datagrams, 1);
        ASSERT_EQ(st->overlaps, 0);
        ASSERT_EQ(defrag_bytes_held(df), 0);
        ASSERT_EQ(dr.calls, 0);
        defrag_free(df);
    }
}

TEST(defrag_v4_overlap_first_wins)
{
    static uint8_t data[DLEN + 8], other[DLEN + 8];
    make_udp(data, DLEN);
    memset(other, 0xee, sizeof(other));
    const uint32_t len = DLEN + 8;
    struct defrag *df = defrag_new(NULL, NULL, NULL);
    struct defrag_result res;
    /* [48, 96) arrives first; then [0, 128) with different bytes fills around it */
    struct frag_spec a = {4, 5, 17, -1, 0, 48, 48, 1};
    struct frag_spec b = {4, 5, 17, -1, 0, 0, 128, 1};
    struct frag_spec c = {4, 5, 17, -1, 0, 128, len - 128, 0};
    static uint8_t mixed[DLEN + 8];
    memcpy(mixed, data, sizeof(mixed));
    memset(mixed + 48, 0xee, 48); /* a carries 0xee, b carries the real bytes */
    ASSERT_EQ(offer(df, &a, other, 1, 1, &res), 0);
    ASSERT_EQ(offer(df, &b, data, 2, 2, &res), 0);
    ASSERT_EQ(defrag_stats(df)->overlaps, 1);
    ASSERT_EQ(defrag_stats(df)->overlaps_differ, 1);
    ASSERT_EQ(offer(df, &c, data, 3, 3, &res), 1);
    ASSERT_EQ(res.ip_len, 20 + len);
    ASSERT_MEM_EQ(res.ip + 20, mixed, len);
    ASSERT_EQ(res.nrefs, 3);
    defrag_free(df);
}

TEST(defrag_v4_duplicate)
{
    static uint8_t data[DLEN + 8];
    make_udp(data, DLEN);
    const uint32_t len = DLEN + 8;
    struct defrag *df = defrag_new(NULL, NULL, NULL);
    struct defrag_result res;
    struct frag_spec a = {4, 9, 17, 3, 0, 0, 104, 1};
    struct frag_spec b = {4, 9, 17, 3, 0, 104, len - 104, 0};
    ASSERT_EQ(offer(df, &a, data, 1, 1, &res), 0);
    ASSERT_EQ(offer(df, &a, data, 2, 2, &res), 0);
    ASSERT_EQ(offer(df, &b, data, 3, 3, &res), 1);
    check_v4_result(&res, data, len, 9);
    T_STOP_IF_FAILED();
    ASSERT_EQ(res.nrefs, 3); /* the duplicate's frame belongs to the datagram too */
    ASSERT_EQ(defrag_stats(df)->overlaps, 1);
    ASSERT_EQ(defrag_stats(df)->overlaps_differ, 0);
    /* the same last fragment again starts a new datagram that never completes */
    ASSERT_EQ(offer(df, &b, data, 4, 4, &res), 0);
    defrag_free(df); /* frees it without calling back (ASan checks for leaks) */
}

TEST(defrag_v4_missing_times_out)
{
    static uint8_t data[DLEN + 8];
    make_udp(data, DLEN);
    const uint32_t len = DLEN + 8;
    struct drops dr = {0};
    struct defrag_cfg cfg = {0, 5000, 0};
    struct defrag *df = defrag_new(&cfg, on_drop, &dr);
    struct defrag_result res;
    struct frag_spec a = {4, 1, 17, -1, 0, 0, 64, 1};
    struct frag_spec c = {4, 1, 17, -1, 0, 128, len - 128, 0};
    ASSERT_EQ(offer(df, &a, data, 11, 1000, &res), 0);
    ASSERT_EQ(offer(df, &c, data, 12, 2000, &res), 0);
    defrag_expire(df, 6000); /* 1000 is not older than 6000 - 5000 */
    ASSERT_EQ(dr.calls, 0);
    defrag_expire(df, 6001);
    ASSERT_EQ(dr.calls, 1);
    ASSERT_EQ(dr.nrefs, 2);
    ASSERT_EQ(dr.refs[0].pos, 11);
    ASSERT_EQ(dr.refs[1].pos, 12);
    ASSERT_EQ(dr.refs[1].wirelen, 14 + 20 + len - 128);
    ASSERT_EQ(defrag_stats(df)->timeouts, 1);
    ASSERT_EQ(defrag_bytes_held(df), 0);

    /* the packet clock alone also expires: a later fragment of another datagram */
    struct frag_spec other = {4, 2, 17, -1, 0, 0, 64, 1};
    ASSERT_EQ(offer(df, &a, data, 21, 10000, &res), 0);
    ASSERT_EQ(offer(df, &other, data, 22, 20000, &res), 0);
    ASSERT_EQ(dr.calls, 2);
    ASSERT_EQ(dr.refs[2].pos, 21);
    defrag_flush(df);
    ASSERT_EQ(dr.calls, 3);
    ASSERT_EQ(dr.refs[3].pos, 22);
    ASSERT_EQ(defrag_stats(df)->timeouts, 2);
    defrag_free(df);
}

TEST(defrag_memory_bound)
{
    static uint8_t data[1024 + 8];
    make_udp(data, 1024);
    struct drops dr = {0};
    struct defrag_cfg cfg = {8000, 0, 0};
    struct defrag *df = defrag_new(&cfg, on_drop, &dr);
    struct defrag_result res;
    for (uint32_t id = 0; id < 20; id++) {
        struct frag_spec a = {4, id, 17, -1, 0, 0, 1000, 1};
        ASSERT_EQ(offer(df, &a, data, id, id, &res), 0);
        ASSERT_LE(defrag_bytes_held(df), 8000);
    }
    const struct defrag_stats *st = defrag_stats(df);
    ASSERT_GT(st->evicted_mem, 10);
    ASSERT_EQ((uint64_t)dr.calls, st->evicted_mem);
    /* oldest first */
    for (int i = 0; i < dr.calls; i++)
        ASSERT_EQ(dr.refs[i].pos, (uint64_t)i);
    /* the newest datagram is still there and can complete */
    {
        /* the datagram count is capped too (hash table size): 1 MiB gives 128 buckets,
         * 256 datagrams */
        struct drops dr2 = {0};
        struct defrag_cfg cfg2 = {1u << 20, 0, 0};
        struct defrag *df2 = defrag_new(&cfg2, on_drop, &dr2);
        for (uint32_t id = 0; id < 300; id++) {
            struct frag_spec a = {4, id, 17, -1, 0, 0, 8, 1};
            ASSERT_EQ(offer(df2, &a, data, id, id, &res), 0);
        }
        ASSERT_EQ(defrag_stats(df2)->evicted_mem, 44);
        ASSERT_EQ(dr2.calls, 44);
        ASSERT_EQ(dr2.refs[43].pos, 43);
        defrag_free(df2);
    }
    struct frag_spec last = {4, 19, 17, -1, 0, 1000, 32, 0};
    ASSERT_EQ(offer(df, &last, data, 99, 99, &res), 1);
    ASSERT_EQ(res.ip_len, 20 + 1032);
    ASSERT_EQ(res.nrefs, 2);
    defrag_free(df);
}

TEST(defrag_v4_tiny_first_fragment)
{
    /* A TCP segment whose first fragment holds only 8 bytes of its header (ports and
     * sequence number): the reassembled datagram must decode as the whole segment. */
    static uint8_t tcp[20 + 30];
    memset(tcp, 0, sizeof(tcp));
    tcp[0] = 0x30;
    tcp[1] = 0x39;
    tcp[2] = 0x1f;
    tcp[3] = 0x90;
    tcp[7] = 1;
    tcp[12] = 0x50;
    tcp[13] = TCPF_SYN;
    tcp[14] = 0x20;
    for (int i = 20; i < 50; i++)
        tcp[i] = (uint8_t)i;
    struct defrag *df = defrag_new(NULL, NULL, NULL);
    struct defrag_result res;
    struct frag_spec a = {4, 3, 6, -1, 0, 0, 8, 1};
    struct frag_spec b = {4, 3, 6, -1, 0, 8, 8, 1};
    struct frag_spec c = {4, 3, 6, -1, 0, 16, 34, 0};
    ASSERT_EQ(offer(df, &c, tcp, 3, 3, &res), 0);
    ASSERT_EQ(offer(df, &a, tcp, 1, 1, &res), 0);
    ASSERT_EQ(offer(df, &b, tcp, 2, 2, &res), 1);
    struct decoded d;
    memset(&d, 0, sizeof(d));
    ASSERT_EQ(decode_ip(res.ip, res.ip_len, &d), DEC_OK);
    ASSERT_EQ(d.proto, 6);
    ASSERT_EQ(d.sport, 12345);
    ASSERT_EQ(d.dport, 8080);
    ASSERT_EQ(d.seq, 1);
    ASSERT_EQ(d.tcp_flags, TCPF_SYN);
    ASSERT_EQ(d.win, 0x2000);
    ASSERT_EQ(d.payload_len, 30);
    ASSERT_MEM_EQ(res.ip + d.payload_off, tcp + 20, 30);
    defrag_free(df);
}

TEST(defrag_keys_do_not_mix)
{
    static uint8_t data[DLEN + 8];
    make_udp(data, DLEN);
    const uint32_t len = DLEN + 8;
    struct defrag *df = defrag_new(NULL, NULL, NULL);
    struct defrag_result res;
    /* same id and addresses, but another VLAN, another protocol, another id */
    struct frag_spec a = {4, 50, 17, 10, 0, 0, 104, 1};
    struct frag_spec b1 = {4, 50, 17, 11, 0, 104, len - 104, 0};
    struct frag_spec b2 = {4, 50, 6, 10, 0, 104, len - 104, 0};
    struct frag_spec b3 = {4, 51, 17, 10, 0, 104, len - 104, 0};
    struct frag_spec b4 = {6, 50, 17, 10, 0, 104, len - 104, 0};
    ASSERT_EQ(offer(df, &a, data, 1, 1, &res), 0);
    ASSERT_EQ(offer(df, &b1, data, 2, 2, &res), 0);
    ASSERT_EQ(offer(df, &b2, data, 3, 3, &res), 0);
    ASSERT_EQ(offer(df, &b3, data, 4, 4, &res), 0);
    ASSERT_EQ(offer(df, &b4, data, 5, 5, &res), 0);
    struct frag_spec b = {4, 50, 17, 10, 0, 104, len - 104, 0};
    ASSERT_EQ(offer(df, &b, data, 6, 6, &res), 1);
    ASSERT_EQ(res.nrefs, 2);
    ASSERT_EQ(res.refs[0].pos, 1);
    ASSERT_EQ(res.refs[1].pos, 6);
    defrag_free(df);
}

TEST(defrag_bounds_and_bad_fragments)
{
    static uint8_t data[70000];
    make_udp(data, 4000);
    struct drops dr = {0};
    struct defrag_cfg cfg = {0, 0, 4};
    struct defrag *df = defrag_new(&cfg, on_drop, &dr);
    struct defrag_result res;
    const struct defrag_stats *st = defrag_stats(df);

    /* max_frags: the fifth frame gives the datagram up */
    for (uint32_t i = 0; i < 4; i++) {
        struct frag_spec f = {4, 1, 17, -1, 0, i * 8, 8, 1};
        ASSERT_EQ(offer(df, &f, data, i, 0, &res), 0);
    }
    struct frag_spec f5 = {4, 1, 17, -1, 0, 32, 8, 1};
    ASSERT_LT(offer(df, &f5, data, 4, 0, &res), 0);
    ASSERT_EQ(st->too_many_frags, 1);
    ASSERT_EQ(dr.calls, 1);
    ASSERT_EQ(dr.nrefs, 4);
    ASSERT_EQ(defrag_bytes_held(df), 0);

    /* past 65535 bytes of datagram */
    struct frag_spec big = {4, 2, 17, -1, 0, 65520, 16, 0};
    ASSERT_LT(offer(df, &big, data, 5, 0, &res), 0);
    ASSERT_EQ(st->too_big, 1);
    struct frag_spec big6 = {6, 2, 17, -1, 1, 65520, 16, 1};
    ASSERT_LT(offer(df, &big6, data, 5, 0, &res), 0);
    ASSERT_EQ(st->too_big, 2);

    /* v6: the offset-0 fragment's extra headers push a datagram past 65535, in either
     * order of arrival (the 8-byte destination options count, the fixed 40 do not) */
    struct frag_spec h6 = {6, 3, 17, -1, 1, 0, 8, 1};
    struct frag_spec t6 = {6, 3, 17, -1, 0, 65520, 8, 0};
    ASSERT_EQ(offer(df, &h6, data, 5, 0, &res), 0);
    ASSERT_LT(offer(df, &t6, data, 5, 0, &res), 0);
    ASSERT_EQ(st->too_big, 3);
    struct frag_spec t7 = {6, 4, 17, -1, 0, 65520, 8, 0};
    struct frag_spec h7 = {6, 4, 17, -1, 1, 0, 8, 1};
    ASSERT_EQ(offer(df, &t7, data, 5, 0, &res), 0);
    ASSERT_LT(offer(df, &h7, data, 5, 0, &res), 0);
    ASSERT_EQ(st->too_big, 4);
    defrag_flush(df);
    dr.calls = 0;
    dr.nrefs = 0;

    /* a non-final fragment whose length is not a multiple of 8 */
    struct frag_spec odd = {4, 3, 17, -1, 0, 0, 12, 1};
    ASSERT_LT(offer(df, &odd, data, 6, 0, &res), 0);
    ASSERT_EQ(st->bad_fragments, 1);

    /* two different ends */
    struct frag_spec e1 = {4, 4, 17, -1, 0, 64, 16, 0};
    struct frag_spec e2 = {4, 4, 17, -1, 0, 64, 24, 0};
    struct frag_spec past = {4, 4, 17, -1, 0, 80, 8, 1};
    ASSERT_EQ(offer(df, &e1, data, 7, 0, &res), 0);
    ASSERT_LT(offer(df, &e2, data, 8, 0, &res), 0);
    ASSERT_LT(offer(df, &past, data, 9, 0, &res), 0);
    ASSERT_EQ(st->bad_fragments, 3);
    /* an end before data already held */
    struct frag_spec far = {4, 5, 17, -1, 0, 800, 16, 1};
    struct frag_spec early = {4, 5, 17, -1, 0, 400, 16, 0};
    ASSERT_EQ(offer(df, &far, data, 10, 0, &res), 0);
    ASSERT_LT(offer(df, &early, data, 11, 0, &res), 0);
    ASSERT_EQ(st->bad_fragments, 4);

    /* a fragment cut by the snaplen cannot be reassembled */
    {
        static uint8_t f[2000];
        struct frag_spec s = {4, 6, 17, -1, 0, 0, 800, 1};
        uint32_t n = make_frag(f, &s, data);
        struct decoded d;
        ASSERT_EQ(decode_packet(1, f, n - 1, &d), DEC_FRAGMENT);
        struct pkt_ref ref = {0, 12, n};
        ASSERT_LT(defrag_add(df, f, n - 1, &d, &ref, &res), 0);
        ASSERT_EQ(st->bad_fragments, 5);
        /* and a decoded struct that does not fit the frame is refused */
        ASSERT_EQ(decode_packet(1, f, n, &d), DEC_FRAGMENT);
        d.l4_off = 3;
        ASSERT_LT(defrag_add(df, f, n, &d, &ref, &res), 0);
        d.l4_off = 34;
        d.payload_wire = 100000;
        ASSERT_LT(defrag_add(df, f, n, &d, &ref, &res), 0);
        d.payload_wire = d.payload_len;
        d.ipver = 0;
        ASSERT_LT(defrag_add(df, f, n, &d, &ref, &res), 0);
        ASSERT_EQ(st->bad_fragments, 8);
    }
    defrag_flush(df);
    ASSERT_EQ(dr.nrefs, 2); /* e1, far */
    ASSERT_EQ(defrag_bytes_held(df), 0);
    defrag_free(df);
}

/* ------------------------------------------------------------------ IPv6 */

static void check_v6(int dstopts, const int *order, int nfrag, const struct frag_spec *fs,
                     const uint8_t *data, uint32_t len)
{
    struct defrag *df = defrag_new(NULL, NULL, NULL);
    struct defrag_result res;
    for (int i = 0; i < nfrag; i++) {
        int r = offer(df, &fs[order[i]], data, (uint64_t)order[i], i, &res);
        ASSERT_EQ(r, i == nfrag - 1 ? 1 : 0);
    }
    uint32_t ext = dstopts ? 8 : 0;
    ASSERT_EQ(res.ip_len, 40 + ext + len);
    ASSERT_EQ((res.ip[4] << 8) | res.ip[5], ext + len);
    ASSERT_EQ(res.ip[6], dstopts ? 60 : 17);
    if (dstopts)
        ASSERT_EQ(res.ip[40], 17); /* the destination options now point at UDP */
    ASSERT_MEM_EQ(res.ip + 8, A6, 16);
    ASSERT_MEM_EQ(res.ip + 40 + ext, data, len);
    ASSERT_EQ(res.nrefs, (size_t)nfrag);

    struct decoded d;
    memset(&d, 0, sizeof(d));
    ASSERT_EQ(decode_ip(res.ip, res.ip_len, &d), DEC_OK);
    ASSERT_EQ(d.ipver, 6);
    ASSERT_EQ(d.proto, 17);
    ASSERT_EQ(d.l4_off, 40 + ext);
    ASSERT_EQ(d.sport, 12345);
    ASSERT_EQ(d.payload_len, len - 8);
    ASSERT_EQ(defrag_bytes_held(df), 0);
    defrag_free(df);
}

TEST(defrag_v6_orders_and_chains)
{
    static uint8_t data[1500];
    make_udp(data, 1200);
    const uint32_t len = 1208;
    static const int fwd[4] = {0, 1, 2, 3}, rev[4] = {3, 2, 1, 0}, mix[4] = {2, 0, 3, 1};
    for (int ext = 0; ext < 2; ext++) {
        struct frag_spec fs[4] = {
            {6, 0x01020304, 17, -1, ext, 0, 400, 1},
            {6, 0x01020304, 17, -1, ext, 400, 400, 1},
            {6, 0x01020304, 17, -1, ext, 800, 400, 1},
            {6, 0x01020304, 17, -1, ext, 1200, 8, 0},
        };
        check_v6(ext, fwd, 4, fs, data, len);
        T_STOP_IF_FAILED();
        check_v6(ext, rev, 4, fs, data, len);
        T_STOP_IF_FAILED();
        check_v6(ext, mix, 4, fs, data, len);
        T_STOP_IF_FAILED();
    }
}

TEST(defrag_v6_overlap_and_timeout)
{
    static uint8_t data[600], other[600];
    make_udp(data, 500);
    memset(other, 0x5a, sizeof(other));
    struct drops dr = {0};
    struct defrag_cfg cfg = {0, 1000, 0};
    struct defrag *df = defrag_new(&cfg, on_drop, &dr);
    struct defrag_result res;
    struct frag_spec a = {6, 7, 17, 100, 1, 0, 256, 1};
    struct frag_spec b = {6, 7, 17, 100, 1, 248, 256, 1}; /* overlaps a by 8 bytes */
    ASSERT_EQ(offer(df, &a, data, 1, 0, &res), 0);
    ASSERT_EQ(offer(df, &b, other, 2, 10, &res), 0);
    ASSERT_EQ(defrag_stats(df)->overlaps, 1);
    ASSERT_EQ(defrag_stats(df)->overlaps_differ, 1);
    defrag_expire(df, 1001);
    ASSERT_EQ(dr.calls, 1);
    ASSERT_EQ(dr.nrefs, 2);
    ASSERT_EQ(defrag_stats(df)->timeouts, 1);
    defrag_free(df);
}

/* ------------------------------------------------------------------ corpus */

TEST(defrag_corpus_vlan_tcp_syn)
{
    /* suricata-verify bug-6887: three 8-byte fragments of a TCP SYN in VLAN 6.  The
     * test's MANIFEST entry gives Suricata's reassembled packet (base64); these are its
     * bytes: Ethernet, 802.1Q tag 6, then the 44-byte IPv4 datagram. */
    static const uint8_t want[62] = {
        0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x81,
        0x00, 0x00, 0x06, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00,
        0x40, 0x06, 0x74, 0xc6, 0x01, 0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02, 0x30,
        0x39, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02,
        0x20, 0x00, 0x19, 0x0c, 0x00, 0x00, 0x03, 0x03, 0x0e, 0x00};
    static struct cap c;
    if (cap_load(&c, "suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv4-tcp-syn/"
                     "frag-eth-vlan-ip-tcp-syn.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    struct defrag *df = defrag_new(NULL, NULL, NULL);
    struct defrag_result res;
    struct decoded d;
    int r = -99, vlan_ok = 1;
    for (int i = 0; i < c.n; i++) {
        struct pkt_ref ref = {c.ts[i], (uint64_t)i, c.len[i]};
        if (decode_packet(1, c.p[i], c.len[i], &d) != DEC_FRAGMENT)
            break;
        vlan_ok &= d.nvlan == 1 && d.vlan[0] == 6;
        r = defrag_add(df, c.p[i], c.len[i], &d, &ref, &res);
    }
    cap_free(&c);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(vlan_ok);
    ASSERT_EQ(res.nrefs, 3);
    ASSERT_EQ(res.ip_len, 44);
    ASSERT_MEM_EQ(res.ip, want + 18, 44); /* byte for byte, checksum 0x74c6 included */
    ASSERT_EQ(decode_ip(res.ip, res.ip_len, &d), DEC_OK);
    ASSERT_EQ(d.nvlan, 1);
    ASSERT_EQ(d.vlan[0], 6);
    ASSERT_EQ(d.proto, 6);
    ASSERT_EQ(d.sport, 12345);
    ASSERT_EQ(d.dport, 8080);
    ASSERT_EQ(d.tcp_flags, TCPF_SYN);
    ASSERT_EQ(d.src[0], 1);
    ASSERT_EQ(d.dst[3], 2);
    defrag_free(df);
}

TEST(defrag_corpus_fragmented_3)
{
    /* zeek ipv4/fragmented-3.pcap: five 1480-byte fragments of one datagram, each with
     * DF and MF set (tshark: offsets 0, 1480, 2960, 4440, 5920).  The last fragment
     * never came, so nothing completes; at the end all five frames are handed back. */
    static struct cap c;
    if (cap_load(&c, "zeek/testing/btest/Traces/ipv4/fragmented-3.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    struct drops dr = {0};
    struct defrag *df = defrag_new(NULL, on_drop, &dr);
    struct defrag_result res;
    int held = 0;
    for (int i = 0; i < c.n; i++) {
        struct decoded d;
        struct pkt_ref ref = {c.ts[i], (uint64_t)i, c.len[i]};
        if (decode_packet(1, c.p[i], c.len[i], &d) == DEC_FRAGMENT &&
            defrag_add(df, c.p[i], c.len[i], &d, &ref, &res) == 0)
            held++;
    }
    cap_free(&c);
    ASSERT_EQ(held, 5);
    ASSERT_EQ(defrag_stats(df)->overlaps, 0);
    ASSERT_GE(defrag_bytes_held(df), 5 * 1480);
    defrag_flush(df);
    ASSERT_EQ(dr.calls, 1);
    ASSERT_EQ(dr.nrefs, 5);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(dr.refs[i].pos, (uint64_t)i);
    defrag_free(df);
}
