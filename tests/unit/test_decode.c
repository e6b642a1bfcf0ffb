/*
 * test_decode.c — decode_packet()/decode_ip() on hand-built frames of every link
 * type, on every truncation of them, and on real captures from the corpus.
 *
 * Each decode runs on an exact-size heap copy of the frame so that ASan reports a
 * read of even one byte past the captured length.
 */
#include "t.h"
#include "t_pcap.h"

#include "decode/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ frame builder */

struct pb {
    uint8_t b[4096];
    uint32_t n;
};

static void pb_put(struct pb *p, const void *x, uint32_t n)
{
    memcpy(p->b + p->n, x, n);
    p->n += n;
}
static void pb_u8(struct pb *p, uint32_t v)
{
    p->b[p->n++] = (uint8_t)v;
}
static void pb_u16(struct pb *p, uint32_t v)
{
    pb_u8(p, v >> 8);
    pb_u8(p, v);
}
static void pb_u16le(struct pb *p, uint32_t v)
{
    pb_u8(p, v);
    pb_u8(p, v >> 8);
}
static void pb_u32(struct pb *p, uint32_t v)
{
    pb_u16(p, v >> 16);
    pb_u16(p, v);
}
static void pb_zero(struct pb *p, uint32_t n)
{
    memset(p->b + p->n, 0, n);
    p->n += n;
}

static const uint8_t SRC4[4] = {192, 0, 2, 1}, DST4[4] = {198, 51, 100, 7};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static void pb_eth(struct pb *p, uint32_t type)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    pb_put(p, macs, 12);
    pb_u16(p, type);
}
static void pb_tag(struct pb *p, uint32_t tci, uint32_t next)
{
    pb_u16(p, tci);
    pb_u16(p, next);
}
/* IPv4 header without options; returns its offset (total length set by ip4_done). */
static uint32_t pb_ip4(struct pb *p, uint32_t proto, uint32_t id, uint32_t flags_off)
{
    uint32_t at = p->n;
    pb_u8(p, 0x45);
    pb_u8(p, 0);
    pb_u16(p, 0);
    pb_u16(p, id);
    pb_u16(p, flags_off);
    pb_u8(p, 64);
    pb_u8(p, proto);
    pb_u16(p, 0);
    pb_put(p, SRC4, 4);
    pb_put(p, DST4, 4);
    return at;
}
static void ip4_done(struct pb *p, uint32_t at)
{
    uint32_t tot = p->n - at;
    p->b[at + 2] = (uint8_t)(tot >> 8);
    p->b[at + 3] = (uint8_t)tot;
}
static uint32_t pb_ip6(struct pb *p, uint32_t nh)
{
    uint32_t at = p->n;
    pb_u32(p, 0x60000000);
    pb_u16(p, 0);
    pb_u8(p, nh);
    pb_u8(p, 57);
    pb_put(p, SRC6, 16);
    pb_put(p, DST6, 16);
    return at;
}
static void ip6_done(struct pb *p, uint32_t at)
{
    uint32_t pl = p->n - at - 40;
    p->b[at + 4] = (uint8_t)(pl >> 8);
    p->b[at + 5] = (uint8_t)pl;
}
/* TCP header with optlen bytes of NOP options, then payload bytes 'a', 'b', … */
static void pb_tcp(struct pb *p, uint32_t flags, uint32_t optlen, uint32_t paylen)
{
    pb_u16(p, 40000);
    pb_u16(p, 443);
    pb_u32(p, 0x11223344);
    pb_u32(p, 0x55667788);
    pb_u8(p, ((20 + optlen) / 4) << 4);
    pb_u8(p, flags);
    pb_u16(p, 8192);
    pb_u32(p, 0);
    for (uint32_t i = 0; i < optlen; i++)
        pb_u8(p, 1);
    for (uint32_t i = 0; i < paylen; i++)
        pb_u8(p, 'a' + i % 26);
}
static void pb_udp(struct pb *p, uint32_t sport, uint32_t dport, uint32_t paylen)
{
    pb_u16(p, sport);
    pb_u16(p, dport);
    pb_u16(p, 8 + paylen);
    pb_u16(p, 0);
    for (uint32_t i = 0; i < paylen; i++)
        pb_u8(p, i);
}

/* Decode the first caplen bytes of p from an exact-size heap copy. */
static int dec(uint32_t lt, const struct pb *p, uint32_t caplen, struct decoded *d)
{
    uint8_t *c = malloc(caplen ? caplen : 1);
    if (!c)
        abort();
    memcpy(c, p->b, caplen);
    int v = decode_packet(lt, c, caplen, d);
    free(c);
    return v;
}

/* Ethernet / IPv4 / TCP with 12 option bytes and 10 payload bytes. */
static void frame_eth_tcp4(struct pb *p)
{
    memset(p, 0, sizeof(*p));
    pb_eth(p, 0x0800);
    uint32_t ip = pb_ip4(p, 6, 0x1234, 0x4000);
    pb_tcp(p, 0x18, 12, 10);
    ip4_done(p, ip);
}

/* ------------------------------------------------------------------ Ethernet */

TEST(decode_eth_ipv4_tcp)
{
    struct pb p;
    struct decoded d;
    frame_eth_tcp4(&p);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.nvlan, 0);
    ASSERT_EQ(d.ethertype, 0x0800);
    ASSERT_EQ(d.ipver, 4);
    ASSERT_EQ(d.proto, 6);
    ASSERT_EQ(d.ttl, 64);
    ASSERT_MEM_EQ(d.src, SRC4, 4);
    ASSERT_MEM_EQ(d.dst, DST4, 4);
    ASSERT_EQ(d.src[4], 0);
    ASSERT_EQ(d.l3_off, 14);
    ASSERT_EQ(d.l3_len, 20 + 32 + 10);
    ASSERT_EQ(d.l4_off, 34);
    ASSERT_EQ(d.sport, 40000);
    ASSERT_EQ(d.dport, 443);
    ASSERT_EQ(d.seq, 0x11223344);
    ASSERT_EQ(d.ack, 0x55667788);
    ASSERT_EQ(d.tcp_flags, TCPF_PSH | TCPF_ACK);
    ASSERT_EQ(d.win, 8192);
    ASSERT_EQ(d.payload_off, 34 + 32);
    ASSERT_EQ(d.payload_len, 10);
    ASSERT_EQ(d.payload_wire, 10);
    ASSERT_EQ(p.b[d.payload_off], 'a');
}

TEST(decode_eth_padding_and_snaplen)
{
    struct pb p;
    struct decoded d;
    /* 60-byte minimum frame: the IP total length says where the datagram ends. */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x0800);
    uint32_t ip = pb_ip4(&p, 17, 1, 0);
    pb_udp(&p, 53, 5353, 2);
    ip4_done(&p, ip);
    pb_zero(&p, 60 - p.n);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_len, 30);
    ASSERT_EQ(d.payload_len, 2);
    ASSERT_EQ(d.payload_wire, 2);
    ASSERT_EQ(d.sport, 53);
    ASSERT_EQ(d.dport, 5353);

    /* Snaplen cut: payload_len is what was captured, payload_wire what was sent. */
    frame_eth_tcp4(&p);
    ASSERT_EQ(dec(1, &p, p.n - 4, &d), DEC_OK);
    ASSERT_EQ(d.payload_len, 6);
    ASSERT_EQ(d.payload_wire, 10);
}

TEST(decode_eth_vlan_priority_tag)
{
    struct pb p;
    struct decoded d;
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x8100);
    pb_tag(&p, 0xa000, 0x0800); /* PCP 5, VID 0 */
    uint32_t ip = pb_ip4(&p, 6, 1, 0);
    pb_tcp(&p, TCPF_SYN, 0, 0);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.nvlan, 1);
    ASSERT_EQ(d.vlan[0], 0);
    ASSERT_EQ(d.ethertype, 0x0800);
    ASSERT_EQ(d.l3_off, 18);
    ASSERT_EQ(d.tcp_flags, TCPF_SYN);
}

TEST(decode_eth_qinq)
{
    static const uint32_t outer[] = {0x88a8, 0x9100, 0x8100};
    for (int i = 0; i < 3; i++) {
        struct pb p;
        struct decoded d;
        memset(&p, 0, sizeof(p));
        pb_eth(&p, outer[i]);
        pb_tag(&p, 10, 0x8100);
        pb_tag(&p, 0x2000 | 20, 0x86dd);
        uint32_t ip = pb_ip6(&p, 17);
        pb_udp(&p, 1000, 2000, 5);
        ip6_done(&p, ip);
        ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
        ASSERT_EQ(d.nvlan, 2);
        ASSERT_EQ(d.vlan[0], 10);
        ASSERT_EQ(d.vlan[1], 20);
        ASSERT_EQ(d.ethertype, 0x86dd);
        ASSERT_EQ(d.ipver, 6);
        ASSERT_EQ(d.l3_off, 22);
        ASSERT_EQ(d.ttl, 57);
        ASSERT_MEM_EQ(d.src, SRC6, 16);
        ASSERT_MEM_EQ(d.dst, DST6, 16);
        ASSERT_EQ(d.sport, 1000);
        ASSERT_EQ(d.dport, 2000);
        ASSERT_EQ(d.payload_len, 5);
    }
}

TEST(decode_eth_three_tags_too_deep)
{
    struct pb p;
    struct decoded d;
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x88a8);
    pb_tag(&p, 1, 0x8100);
    pb_tag(&p, 2, 0x8100);
    pb_tag(&p, 3, 0x0800);
    uint32_t ip = pb_ip4(&p, 6, 1, 0);
    pb_tcp(&p, TCPF_SYN, 0, 0);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_VLAN_TOO_DEEP);
    ASSERT_EQ(d.nvlan, 2);
    ASSERT_EQ(d.vlan[0], 1);
    ASSERT_EQ(d.vlan[1], 2);
}

TEST(decode_eth_not_ip)
{
    struct pb p;
    struct decoded d;
    /* ARP */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x0806);
    pb_zero(&p, 28);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_NOT_IP);
    ASSERT_EQ(d.ethertype, 0x0806);
    ASSERT_EQ(d.ipver, 0);
    /* ARP in a VLAN */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x8100);
    pb_tag(&p, 7, 0x0806);
    pb_zero(&p, 28);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_NOT_IP);
    ASSERT_EQ(d.ethertype, 0x0806);
    ASSERT_EQ(d.nvlan, 1);
    ASSERT_EQ(d.vlan[0], 7);
    /* 802.3 + LLC: spanning tree (DSAP/SSAP 0x42) */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 38);
    pb_u8(&p, 0x42);
    pb_u8(&p, 0x42);
    pb_u8(&p, 0x03);
    pb_zero(&p, 35);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_NOT_IP);
    /* 802.3 + SNAP with a non-zero OUI (Cisco CDP) */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 40);
    pb_u8(&p, 0xaa);
    pb_u8(&p, 0xaa);
    pb_u8(&p, 0x03);
    pb_u8(&p, 0x00);
    pb_u8(&p, 0x00);
    pb_u8(&p, 0x0c);
    pb_u16(&p, 0x2000);
    pb_zero(&p, 32);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_NOT_IP);
    /* LLDP, PPPoE discovery */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x88cc);
    pb_zero(&p, 46);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_NOT_IP);
    ASSERT_EQ(d.ethertype, 0x88cc);
}

TEST(decode_eth_snap_ip_and_pppoe)
{
    struct pb p;
    struct decoded d;
    /* RFC 1042: 802.3 length, LLC AA AA 03, OUI 00 00 00, type 0x0800 */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 8 + 40);
    pb_u8(&p, 0xaa);
    pb_u8(&p, 0xaa);
    pb_u8(&p, 0x03);
    pb_zero(&p, 3);
    pb_u16(&p, 0x0800);
    uint32_t ip = pb_ip4(&p, 6, 1, 0);
    pb_tcp(&p, TCPF_ACK, 0, 0);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_off, 22);
    ASSERT_EQ(d.ethertype, 0x0800);
    ASSERT_EQ(d.dport, 443);

    /* PPPoE session, PPP protocol 0x0057 = IPv6 */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x8864);
    pb_u8(&p, 0x11);
    pb_u8(&p, 0);
    pb_u16(&p, 0x1234);
    pb_u16(&p, 2 + 40 + 8);
    pb_u16(&p, 0x0057);
    ip = pb_ip6(&p, 17);
    pb_udp(&p, 1, 2, 0);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_off, 22);
    ASSERT_EQ(d.ipver, 6);
    ASSERT_EQ(d.ethertype, 0x86dd);
    /* PPP LCP is not IP */
    p.b[20] = 0xc0;
    p.b[21] = 0x21;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_NOT_IP);
}

/* ------------------------------------------------------------------ other link types */

TEST(decode_sll_and_sll2)
{
    struct pb p;
    struct decoded d;
    /* SLL: pkttype, hatype 1, halen 6, address 8, protocol */
    memset(&p, 0, sizeof(p));
    pb_u16(&p, 0);
    pb_u16(&p, 1);
    pb_u16(&p, 6);
    pb_zero(&p, 8);
    pb_u16(&p, 0x0800);
    uint32_t ip = pb_ip4(&p, 17, 1, 0);
    pb_udp(&p, 67, 68, 4);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(113, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_off, 16);
    ASSERT_EQ(d.ethertype, 0x0800);
    ASSERT_EQ(d.sport, 67);
    ASSERT_EQ(d.payload_len, 4);
    /* SLL protocol 0x0004 (802.2 frames) is not an Ethernet type */
    p.b[14] = 0;
    p.b[15] = 4;
    ASSERT_EQ(dec(113, &p, p.n, &d), DEC_NOT_IP);
    /* SLL carrying an 802.1Q tag (no VLAN offload) */
    memset(&p, 0, sizeof(p));
    pb_zero(&p, 14);
    pb_u16(&p, 0x8100);
    pb_tag(&p, 99, 0x0800);
    ip = pb_ip4(&p, 17, 1, 0);
    pb_udp(&p, 67, 68, 0);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(113, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.nvlan, 1);
    ASSERT_EQ(d.vlan[0], 99);
    ASSERT_EQ(d.l3_off, 20);

    /* SLL2: protocol, reserved, ifindex, hatype, pkttype, halen, address 8 */
    memset(&p, 0, sizeof(p));
    pb_u16(&p, 0x86dd);
    pb_u16(&p, 0);
    pb_u32(&p, 3);
    pb_u16(&p, 1);
    pb_u8(&p, 4);
    pb_u8(&p, 6);
    pb_zero(&p, 8);
    ip = pb_ip6(&p, 6);
    pb_tcp(&p, TCPF_SYN | TCPF_ECE | TCPF_CWR, 4, 0);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(276, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_off, 20);
    ASSERT_EQ(d.ipver, 6);
    ASSERT_EQ(d.ethertype, 0x86dd);
    ASSERT_EQ(d.l4_off, 60);
    ASSERT_EQ(d.payload_off, 84);
    ASSERT_EQ(d.tcp_flags, TCPF_SYN | TCPF_ECE | TCPF_CWR);
    /* SLL2 ARP */
    p.b[0] = 0x08;
    p.b[1] = 0x06;
    ASSERT_EQ(dec(276, &p, p.n, &d), DEC_NOT_IP);
    ASSERT_EQ(d.ethertype, 0x0806);
}

TEST(decode_raw_ipv4_ipv6_linktypes)
{
    struct pb p4, p6;
    struct decoded d;
    memset(&p4, 0, sizeof(p4));
    uint32_t ip = pb_ip4(&p4, 6, 1, 0);
    pb_tcp(&p4, TCPF_FIN | TCPF_ACK, 0, 3);
    ip4_done(&p4, ip);
    memset(&p6, 0, sizeof(p6));
    ip = pb_ip6(&p6, 17);
    pb_udp(&p6, 5, 6, 3);
    ip6_done(&p6, ip);

    static const uint32_t raw[] = {101, 12, 14};
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(dec(raw[i], &p4, p4.n, &d), DEC_OK);
        ASSERT_EQ(d.ipver, 4);
        ASSERT_EQ(d.l3_off, 0);
        ASSERT_EQ(d.ethertype, 0x0800);
        ASSERT_EQ(d.payload_len, 3);
        ASSERT_EQ(dec(raw[i], &p6, p6.n, &d), DEC_OK);
        ASSERT_EQ(d.ipver, 6);
        ASSERT_EQ(d.ethertype, 0x86dd);
        ASSERT_EQ(d.sport, 5);
    }
    ASSERT_EQ(dec(228, &p4, p4.n, &d), DEC_OK);
    ASSERT_EQ(dec(228, &p6, p6.n, &d), DEC_IP_BAD_VERSION);
    ASSERT_EQ(dec(229, &p6, p6.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 17);
    ASSERT_EQ(dec(229, &p4, p4.n, &d), DEC_IP_BAD_VERSION);
    /* raw with version 5 */
    p4.b[0] = 0x55;
    ASSERT_EQ(dec(101, &p4, p4.n, &d), DEC_IP_BAD_VERSION);
    ASSERT_EQ(dec(147, &p4, p4.n, &d), DEC_UNKNOWN_LINKTYPE);
    ASSERT_EQ(dec(105, &p4, p4.n, &d), DEC_UNKNOWN_LINKTYPE);
}

TEST(decode_null_and_loop)
{
    static const struct {
        uint32_t lt;
        uint8_t af[4];
        int want;
    } cases[] = {
        {0, {2, 0, 0, 0}, 4},                          /* little-endian host */
        {0, {0, 0, 0, 2}, 4},                          /* big-endian host */
        {0, {24, 0, 0, 0}, 6},                         /* NetBSD/OpenBSD AF_INET6 */
        {0, {0, 0, 0, 28}, 6},                         /* FreeBSD, big-endian */
        {0, {30, 0, 0, 0}, 6},                         /* macOS */
        {108, {0, 0, 0, 2}, 4},                        /* OpenBSD LOOP: network order */
        {108, {0, 0, 0, 24}, 6}, {0, {7, 0, 0, 0}, 0}, /* AF 7: not IP */
        {108, {0, 0, 0, 0}, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pb p;
        struct decoded d;
        memset(&p, 0, sizeof(p));
        pb_put(&p, cases[i].af, 4);
        uint32_t ip = cases[i].want == 6 ? pb_ip6(&p, 58) : pb_ip4(&p, 1, 1, 0);
        pb_u8(&p, cases[i].want == 6 ? 128 : 8);
        pb_u8(&p, 0);
        pb_zero(&p, 6 + 16);
        if (cases[i].want == 6)
            ip6_done(&p, ip);
        else
            ip4_done(&p, ip);
        int v = dec(cases[i].lt, &p, p.n, &d);
        if (!cases[i].want) {
            ASSERT_EQ(v, DEC_NOT_IP);
            continue;
        }
        ASSERT_EQ(v, DEC_OK);
        ASSERT_EQ(d.ipver, cases[i].want);
        ASSERT_EQ(d.l3_off, 4);
        ASSERT_EQ(d.icmp_type, cases[i].want == 6 ? 128 : 8);
        ASSERT_EQ(d.sport, d.icmp_type);
        ASSERT_EQ(d.dport, 0);
        ASSERT_EQ(d.payload_len, 16);
    }
}

/* NFLOG: header, then TLVs; returns the offset of the IP header. */
static uint32_t frame_nflog(struct pb *p, uint32_t family)
{
    memset(p, 0, sizeof(*p));
    pb_u8(p, family);
    pb_u8(p, 0);
    pb_u16(p, 42);
    /* NFULA_PACKET_HDR (1): hw_protocol, hook, pad */
    pb_u16le(p, 8);
    pb_u16le(p, 1);
    pb_u16(p, 0x0800);
    pb_u8(p, 3);
    pb_u8(p, 0);
    /* NFULA_PREFIX (10): "ab\0", 7 bytes + 1 byte of padding */
    pb_u16le(p, 7);
    pb_u16le(p, 10);
    pb_put(p, "ab", 3);
    pb_u8(p, 0);
    /* NFULA_UID (11) */
    pb_u16le(p, 8);
    pb_u16le(p, 11);
    pb_u32(p, 1000);
    /* NFULA_PAYLOAD (9): 20 + 8 + 5 = 33 bytes, so 3 bytes of padding follow */
    pb_u16le(p, 4 + 33);
    pb_u16le(p, 9);
    uint32_t ip = pb_ip4(p, 17, 9, 0);
    pb_udp(p, 4444, 53, 5);
    ip4_done(p, ip);
    pb_zero(p, 3);
    /* NFULA_GID (14) after the payload */
    pb_u16le(p, 8);
    pb_u16le(p, 14);
    pb_u32(p, 1000);
    return ip;
}

TEST(decode_nflog)
{
    struct pb p;
    struct decoded d;
    uint32_t ip = frame_nflog(&p, 2);
    ASSERT_EQ(ip, 32);
    ASSERT_EQ(dec(239, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_off, ip);
    ASSERT_EQ(d.ipver, 4);
    ASSERT_EQ(d.ethertype, 0x0800);
    ASSERT_EQ(d.sport, 4444);
    ASSERT_EQ(d.dport, 53);
    ASSERT_EQ(d.payload_len, 5);
    ASSERT_EQ(d.payload_off, ip + 28);

    /* family AF_UNSPEC: the version nibble decides; AF_INET6 with a v4 payload: bad */
    frame_nflog(&p, 0);
    ASSERT_EQ(dec(239, &p, p.n, &d), DEC_OK);
    frame_nflog(&p, 10);
    ASSERT_EQ(dec(239, &p, p.n, &d), DEC_IP_BAD_VERSION);

    /* the payload TLV claims more than was captured: decode what is there */
    frame_nflog(&p, 2);
    ASSERT_EQ(dec(239, &p, ip + 30, &d), DEC_OK);
    ASSERT_EQ(d.payload_len, 2);
    ASSERT_EQ(d.payload_wire, 5);

    /* a TLV with length < 4 is malformed */
    frame_nflog(&p, 2);
    p.b[4] = 3;
    ASSERT_EQ(dec(239, &p, p.n, &d), DEC_LINK_TRUNC);

    /* no payload TLV: only metadata */
    frame_nflog(&p, 2);
    ASSERT_EQ(dec(239, &p, 28, &d), DEC_NOT_IP);
    ASSERT_EQ(dec(239, &p, 19, &d), DEC_NOT_IP); /* only the prefix's padding is cut */
    ASSERT_EQ(dec(239, &p, 3, &d), DEC_LINK_TRUNC);
    ASSERT_EQ(dec(239, &p, 14, &d), DEC_LINK_TRUNC); /* inside a TLV header */
    ASSERT_EQ(dec(239, &p, 18, &d), DEC_LINK_TRUNC); /* inside the prefix's value */
}

/* ------------------------------------------------------------------ truncation everywhere */

struct trunc_case {
    const char *name;
    uint32_t lt;
    struct pb p;
    uint32_t l3, l4, pay; /* offsets of IP, transport and payload */
    uint32_t hdr_end;     /* where the payload starts when nothing is cut (0: = pay) */
    int ltrunc;           /* verdict when the link header is cut */
};

static void check_truncations(const struct trunc_case *c)
{
    struct decoded d;
    for (uint32_t n = 0; n <= c->p.n; n++) {
        int v = dec(c->lt, &c->p, n, &d);
        int want;
        if (n < c->l3)
            want = c->ltrunc;
        else if (n < c->l4)
            want = -1; /* IP_TRUNC or, for v6, IP6_EXT_TRUNC */
        else if (n < c->pay)
            want = DEC_L4_TRUNC;
        else
            want = DEC_OK;
        if (want == -1) {
            if (v != DEC_IP_TRUNC && v != DEC_IP6_EXT_TRUNC) {
                t_fail(__FILE__, __LINE__, "%s caplen %u: verdict %s, want ip truncation", c->name,
                       n, decode_verdict_name(v));
                return;
            }
            continue;
        }
        if (v != want) {
            t_fail(__FILE__, __LINE__, "%s caplen %u: verdict %s, want %s", c->name, n,
                   decode_verdict_name(v), decode_verdict_name(want));
            return;
        }
        uint32_t po = c->hdr_end && n < c->hdr_end ? n : c->hdr_end ? c->hdr_end : c->pay;
        if (v == DEC_OK && (d.payload_off != po || d.payload_len != n - po)) {
            t_fail(__FILE__, __LINE__, "%s caplen %u: payload %u+%u", c->name, n, d.payload_off,
                   d.payload_len);
            return;
        }
    }
}

TEST(decode_truncated_every_length)
{
    static struct trunc_case c;
    uint32_t ip;

    memset(&c, 0, sizeof(c));
    c.name = "eth/vlan/ip4/tcp";
    c.lt = 1;
    c.ltrunc = DEC_LINK_TRUNC;
    pb_eth(&c.p, 0x8100);
    pb_tag(&c.p, 5, 0x0800);
    ip = pb_ip4(&c.p, 6, 1, 0);
    pb_tcp(&c.p, TCPF_ACK, 8, 6);
    ip4_done(&c.p, ip);
    c.l3 = 18;
    c.l4 = 38;
    c.pay = 38 + 28;
    check_truncations(&c);
    T_STOP_IF_FAILED();

    memset(&c, 0, sizeof(c));
    c.name = "sll2/ip6/hbh/dst/udp";
    c.lt = 276;
    c.ltrunc = DEC_LINK_TRUNC;
    pb_u16(&c.p, 0x86dd);
    pb_zero(&c.p, 18);
    ip = pb_ip6(&c.p, 0);
    pb_u8(&c.p, 60);
    pb_u8(&c.p, 0);
    pb_zero(&c.p, 6);
    pb_u8(&c.p, 17);
    pb_u8(&c.p, 1);
    pb_zero(&c.p, 14);
    pb_udp(&c.p, 1, 2, 7);
    ip6_done(&c.p, ip);
    c.l3 = 20;
    c.l4 = 20 + 40 + 8 + 16;
    c.pay = c.l4 + 8;
    check_truncations(&c);
    T_STOP_IF_FAILED();

    memset(&c, 0, sizeof(c));
    c.name = "sll/ip4/icmp";
    c.lt = 113;
    c.ltrunc = DEC_LINK_TRUNC;
    pb_zero(&c.p, 14);
    pb_u16(&c.p, 0x0800);
    ip = pb_ip4(&c.p, 1, 1, 0);
    pb_u8(&c.p, 3);
    pb_u8(&c.p, 4);
    pb_zero(&c.p, 6 + 28);
    ip4_done(&c.p, ip);
    c.l3 = 16;
    c.l4 = 36;
    c.pay = 40; /* type, code and checksum are enough; the rest may be cut */
    c.hdr_end = 44;
    check_truncations(&c);
    T_STOP_IF_FAILED();

    memset(&c, 0, sizeof(c));
    c.name = "null/ip4/sctp";
    c.lt = 0;
    c.ltrunc = DEC_LINK_TRUNC;
    pb_u8(&c.p, 2);
    pb_zero(&c.p, 3);
    ip = pb_ip4(&c.p, 132, 1, 0);
    pb_u16(&c.p, 36412);
    pb_u16(&c.p, 2905);
    pb_zero(&c.p, 8 + 16);
    ip4_done(&c.p, ip);
    c.l3 = 4;
    c.l4 = 24;
    c.pay = 36;
    check_truncations(&c);
    T_STOP_IF_FAILED();

    memset(&c, 0, sizeof(c));
    c.name = "raw/ip6/tcp";
    c.lt = 101;
    c.ltrunc = DEC_IP_TRUNC;
    ip = pb_ip6(&c.p, 6);
    pb_tcp(&c.p, TCPF_RST, 0, 1);
    ip6_done(&c.p, ip);
    c.l3 = 1; /* an empty packet is an IP truncation too */
    c.l4 = 40;
    c.pay = 60;
    check_truncations(&c);
    T_STOP_IF_FAILED();

    /* NFLOG: anything cut before the payload TLV's value ends as a link problem */
    struct pb p;
    struct decoded d;
    ip = frame_nflog(&p, 2);
    for (uint32_t n = 0; n < p.n; n++) {
        int v = dec(239, &p, n, &d);
        if (n < ip)
            ASSERT_TRUE(v == DEC_LINK_TRUNC || v == DEC_NOT_IP);
        else if (n < ip + 20)
            ASSERT_EQ(v, DEC_IP_TRUNC);
        else if (n < ip + 28)
            ASSERT_EQ(v, DEC_L4_TRUNC);
        else
            ASSERT_EQ(v, DEC_OK);
    }
}

/* ------------------------------------------------------------------ IPv4 checks */

TEST(decode_ipv4_header_checks)
{
    struct pb p;
    struct decoded d;

    frame_eth_tcp4(&p);
    p.b[14] = 0x65; /* version 6 behind ethertype 0x0800 */
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_IP_BAD_VERSION);
    frame_eth_tcp4(&p);
    p.b[14] = 0x44; /* IHL 4 */
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_IP_BAD_HLEN);
    frame_eth_tcp4(&p);
    p.b[14] = 0x4f; /* IHL 15: 60 bytes of header, one more than captured */
    ASSERT_EQ(dec(1, &p, 14 + 59, &d), DEC_IP_TRUNC);
    frame_eth_tcp4(&p);
    p.b[16] = 0;
    p.b[17] = 19; /* total length < header */
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_IP_BAD_LEN);

    /* total length 0 (TSO capture): the captured length counts */
    frame_eth_tcp4(&p);
    p.b[16] = p.b[17] = 0;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l3_len, p.n - 14);
    ASSERT_EQ(d.payload_len, 10);
    ASSERT_EQ(d.payload_wire, 10);

    /* options: IHL 6 with a 4-byte NOP option */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x0800);
    uint32_t ip = pb_ip4(&p, 17, 1, 0);
    p.b[ip] = 0x46;
    pb_u32(&p, 0x01010101);
    pb_udp(&p, 7, 8, 1);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.l4_off, 14 + 24);
    ASSERT_EQ(d.sport, 7);

    /* total length cuts the TCP header: the datagram itself is short */
    frame_eth_tcp4(&p);
    p.b[16] = 0;
    p.b[17] = 30;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_L4_TRUNC);
    /* total length shorter than the data offset says */
    frame_eth_tcp4(&p);
    p.b[16] = 0;
    p.b[17] = 20 + 24;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_TCP_BAD_HLEN);
}

TEST(decode_ipv4_fragments)
{
    struct pb p;
    struct decoded d;
    static const struct {
        uint32_t fl;
        uint32_t off;
        int more;
    } cases[] = {
        {0x2000, 0, 1},          /* first: MF */
        {0x2000 | 185, 1480, 1}, /* middle */
        {0x0000 | 370, 2960, 0}, /* last */
        {0x6000 | 185, 1480, 1}, /* DF + MF: still a fragment */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&p, 0, sizeof(p));
        pb_eth(&p, 0x0800);
        uint32_t ip = pb_ip4(&p, 6, 0xbeef, cases[i].fl);
        pb_zero(&p, 24);
        ip4_done(&p, ip);
        ASSERT_EQ(dec(1, &p, p.n, &d), DEC_FRAGMENT);
        ASSERT_EQ(d.frag_id, 0xbeef);
        ASSERT_EQ(d.frag_offset, cases[i].off);
        ASSERT_EQ(d.frag_more, cases[i].more);
        ASSERT_EQ(d.frag_hdr_len, 20);
        ASSERT_EQ(d.proto, 6);
        ASSERT_EQ(d.l4_off, 34);
        ASSERT_EQ(d.payload_off, 34);
        ASSERT_EQ(d.payload_len, 24);
        ASSERT_EQ(d.payload_wire, 24);
        ASSERT_EQ(d.sport, 0);
    }
    /* DF alone is not a fragment */
    frame_eth_tcp4(&p);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
}

/* ------------------------------------------------------------------ IPv6 */

/* An extension header of the 8-byte-unit kind, total 8 * (units + 1) bytes. */
static void pb_ext(struct pb *p, uint32_t next, uint32_t units)
{
    pb_u8(p, next);
    pb_u8(p, units);
    pb_zero(p, 6 + 8 * units);
}

TEST(decode_ipv6_extension_chain)
{
    struct pb p;
    struct decoded d;

    /* hop-by-hop → routing → destination → AH → TCP */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    uint32_t ip = pb_ip6(&p, 0);
    pb_ext(&p, 43, 0);
    pb_ext(&p, 60, 2);
    pb_ext(&p, 51, 1);
    pb_u8(&p, 6); /* AH: next, len = 4 (24 bytes: (4+2)*4), rsvd, SPI, seq, ICV 12 */
    pb_u8(&p, 4);
    pb_zero(&p, 22);
    pb_tcp(&p, TCPF_SYN, 0, 4);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 6);
    ASSERT_EQ(d.l4_off, 14 + 40 + 8 + 24 + 16 + 24);
    ASSERT_EQ(d.dport, 443);
    ASSERT_EQ(d.payload_len, 4);
    ASSERT_EQ(d.l3_len, p.n - 14);

    /* ESP ends the walk: proto 50, no ports, the rest is payload */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    ip = pb_ip6(&p, 60);
    pb_ext(&p, 50, 0);
    pb_u32(&p, 0x1000); /* SPI */
    pb_u32(&p, 1);
    pb_zero(&p, 16);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 50);
    ASSERT_EQ(d.sport, 0);
    ASSERT_EQ(d.dport, 0);
    ASSERT_EQ(d.l4_off, 14 + 48);
    ASSERT_EQ(d.payload_off, 14 + 48);
    ASSERT_EQ(d.payload_len, 24);

    /* no next header */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    ip = pb_ip6(&p, 59);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 59);
    ASSERT_EQ(d.payload_len, 0);

    /* an extension header running past the payload length */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    ip = pb_ip6(&p, 60);
    pb_ext(&p, 17, 3);
    pb_udp(&p, 1, 2, 0);
    ip6_done(&p, ip);
    p.b[ip + 5] = 16;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_IP6_EXT_TRUNC);

    /* a long chain of empty destination options */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    ip = pb_ip6(&p, 60);
    for (int i = 0; i < 20; i++)
        pb_ext(&p, i == 19 ? 17 : 60, 0);
    pb_udp(&p, 1, 2, 0);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_IP6_EXT_TOO_MANY);
    /* eight are fine */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    ip = pb_ip6(&p, 60);
    for (int i = 0; i < 8; i++)
        pb_ext(&p, i == 7 ? 17 : 60, 0);
    pb_udp(&p, 1, 2, 0);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.sport, 1);
}

TEST(decode_ipv6_fragment_header)
{
    struct pb p;
    struct decoded d;

    /* destination options, then a fragment header (offset 1448, M=1) */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    uint32_t ip = pb_ip6(&p, 60);
    pb_ext(&p, 44, 0);
    pb_u8(&p, 17);
    pb_u8(&p, 0);
    pb_u16(&p, 1448 | 1);
    pb_u32(&p, 0xdeadbeef);
    pb_zero(&p, 64);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_FRAGMENT);
    ASSERT_EQ(d.frag_id, 0xdeadbeef);
    ASSERT_EQ(d.frag_offset, 1448);
    ASSERT_EQ(d.frag_more, 1);
    ASSERT_EQ(d.frag_hdr_len, 48);
    ASSERT_EQ(d.proto, 17);
    ASSERT_EQ(d.l4_off, 14 + 48 + 8);
    ASSERT_EQ(d.payload_len, 64);
    ASSERT_EQ(d.payload_wire, 64);

    /* offset 0, M=0: an atomic fragment (RFC 6946) is a normal packet */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    ip = pb_ip6(&p, 44);
    pb_u8(&p, 6);
    pb_u8(&p, 0);
    pb_u16(&p, 0);
    pb_u32(&p, 77);
    pb_tcp(&p, TCPF_ACK, 0, 2);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 6);
    ASSERT_EQ(d.l4_off, 14 + 48);
    ASSERT_EQ(d.sport, 40000);
    ASSERT_EQ(d.payload_len, 2);

    /* offset 0, M=1: first fragment */
    p.b[14 + 40 + 3] = 1;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_FRAGMENT);
    ASSERT_EQ(d.frag_offset, 0);
    ASSERT_EQ(d.frag_more, 1);
    ASSERT_EQ(d.frag_hdr_len, 40);
    ASSERT_EQ(d.frag_id, 77);

    /* truncated fragment header */
    ASSERT_EQ(dec(1, &p, 14 + 40 + 7, &d), DEC_IP6_EXT_TRUNC);
}

/* ------------------------------------------------------------------ transport */

TEST(decode_transport_protocols)
{
    struct pb p;
    struct decoded d;

    /* TCP data offset < 5 */
    frame_eth_tcp4(&p);
    p.b[34 + 12] = 0x40;
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_TCP_BAD_HLEN);
    /* TCP options cut by the snaplen */
    frame_eth_tcp4(&p);
    ASSERT_EQ(dec(1, &p, 34 + 25, &d), DEC_L4_TRUNC);

    /* ICMPv6 echo reply */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x86dd);
    uint32_t ip = pb_ip6(&p, 58);
    pb_u8(&p, 129);
    pb_u8(&p, 0);
    pb_zero(&p, 6 + 10);
    ip6_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 58);
    ASSERT_EQ(d.icmp_type, 129);
    ASSERT_EQ(d.icmp_code, 0);
    ASSERT_EQ(d.sport, 129);
    ASSERT_EQ(d.dport, 0);
    ASSERT_EQ(d.payload_off, 14 + 40 + 8);
    ASSERT_EQ(d.payload_len, 10);

    /* ICMP port unreachable */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x0800);
    ip = pb_ip4(&p, 1, 1, 0);
    pb_u8(&p, 3);
    pb_u8(&p, 3);
    pb_zero(&p, 6 + 28);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.icmp_type, 3);
    ASSERT_EQ(d.icmp_code, 3);
    ASSERT_EQ(d.sport, 3);
    ASSERT_EQ(d.dport, 3);
    ASSERT_EQ(d.payload_len, 28);

    /* SCTP */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x0800);
    ip = pb_ip4(&p, 132, 1, 0);
    pb_u16(&p, 2905);
    pb_u16(&p, 36412);
    pb_zero(&p, 8 + 16);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.sport, 2905);
    ASSERT_EQ(d.dport, 36412);
    ASSERT_EQ(d.payload_off, 34 + 12);
    ASSERT_EQ(d.payload_len, 16);

    /* GRE: no ports, everything after IP is payload */
    memset(&p, 0, sizeof(p));
    pb_eth(&p, 0x0800);
    ip = pb_ip4(&p, 47, 1, 0);
    pb_u16(&p, 0);
    pb_u16(&p, 0x0800);
    pb_zero(&p, 20);
    ip4_done(&p, ip);
    ASSERT_EQ(dec(1, &p, p.n, &d), DEC_OK);
    ASSERT_EQ(d.proto, 47);
    ASSERT_EQ(d.sport, 0);
    ASSERT_EQ(d.dport, 0);
    ASSERT_EQ(d.payload_off, 34);
    ASSERT_EQ(d.payload_len, 24);
}

TEST(decode_ip_keeps_link_fields)
{
    struct pb p;
    struct decoded d;
    memset(&p, 0, sizeof(p));
    uint32_t ip = pb_ip6(&p, 17);
    pb_udp(&p, 9, 10, 1);
    ip6_done(&p, ip);
    memset(&d, 0xff, sizeof(d));
    d.nvlan = 1;
    d.vlan[0] = 42;
    d.ethertype = 0x86dd;
    ASSERT_EQ(decode_ip(p.b, p.n, &d), DEC_OK);
    ASSERT_EQ(d.nvlan, 1);
    ASSERT_EQ(d.vlan[0], 42);
    ASSERT_EQ(d.ethertype, 0x86dd);
    ASSERT_EQ(d.l3_off, 0);
    ASSERT_EQ(d.frag_id, 0);
    ASSERT_EQ(d.tcp_flags, 0);
    ASSERT_EQ(d.sport, 9);
    ASSERT_EQ(decode_ip(p.b, 0, &d), DEC_IP_TRUNC);
    ASSERT_EQ(d.nvlan, 1);
}

TEST(decode_verdict_names)
{
    /* names are the enum names in lower case */
    static const char *const upper[] = {
#define DEC_UPPER(name, text) #name,
        DEC_VERDICTS(DEC_UPPER)
#undef DEC_UPPER
    };
    for (int v = 0; v < DEC__COUNT; v++) {
        char low[64];
        size_t i;
        for (i = 0; upper[v][i] && i < sizeof(low) - 1; i++)
            low[i] =
                (char)(upper[v][i] >= 'A' && upper[v][i] <= 'Z' ? upper[v][i] + 32 : upper[v][i]);
        low[i] = 0;
        ASSERT_STR_EQ(decode_verdict_name(v), low);
        ASSERT_TRUE(decode_verdict_text(v)[0] != 0);
    }
    ASSERT_STR_EQ(decode_verdict_name(DEC_IP_TRUNC), "ip_trunc");
    ASSERT_STR_EQ(decode_verdict_text(DEC_IP_TRUNC), "ip header truncated");
    ASSERT_STR_EQ(decode_verdict_name(-1), "unknown");
    ASSERT_STR_EQ(decode_verdict_name(DEC__COUNT), "unknown");
}

/* ------------------------------------------------------------------ corpus */

static int ip4_is(const uint8_t *a, int x, int y, int z, int w)
{
    return a[0] == x && a[1] == y && a[2] == z && a[3] == w;
}

TEST(decode_corpus_twovlan)
{
    static struct cap c;
    if (cap_load(&c, "arkime/tests/pcap/twovlan.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    /* tshark -T fields -e vlan.id -e ip.src -e ip.dst -e tcp.srcport -e tcp.len:
     * 6 frames, vlan 201,200, 10.0.0.1:54422 <-> 10.0.0.2:80, frame 6 carries 4344 bytes */
    int ok = c.lt == 1 && c.n == 6;
    for (int i = 0; ok && i < c.n; i++) {
        struct decoded d;
        ok = decode_packet(1, c.p[i], c.len[i], &d) == DEC_OK && d.nvlan == 2 && d.vlan[0] == 201 &&
             d.vlan[1] == 200 && d.proto == 6 && (d.sport == 54422 || d.dport == 54422) &&
             (d.sport == 80 || d.dport == 80) &&
             (ip4_is(d.src, 10, 0, 0, 1) || ip4_is(d.dst, 10, 0, 0, 1));
        if (ok && i == 0)
            ok = d.tcp_flags == TCPF_SYN && ip4_is(d.src, 10, 0, 0, 1) && d.l3_off == 22;
        if (ok && i == 5)
            ok = d.payload_len == 4344 && d.sport == 80;
    }
    cap_free(&c);
    ASSERT_TRUE(ok);
}

TEST(decode_corpus_vlans)
{
    static struct cap c;
    if (cap_load(&c, "zeek/testing/btest/Traces/vlan-collisions.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    /* tshark -e vlan.id | sort | uniq -c: 14 untagged, 14 in VLAN 42, 14 in QinQ 10,20;
     * every frame is 141.142.228.5:59856 <-> 192.150.187.43:80 */
    int counts[3] = {0, 0, 0}, ok = c.n == 42;
    for (int i = 0; ok && i < c.n; i++) {
        struct decoded d;
        ok = decode_packet((uint32_t)c.lt, c.p[i], c.len[i], &d) == DEC_OK && d.proto == 6 &&
             (d.sport == 59856 || d.dport == 59856);
        if (d.nvlan == 0)
            counts[0]++;
        else if (d.nvlan == 1 && d.vlan[0] == 42)
            counts[1]++;
        else if (d.nvlan == 2 && d.vlan[0] == 10 && d.vlan[1] == 20)
            counts[2]++;
    }
    cap_free(&c);
    ASSERT_TRUE(ok);
    ASSERT_EQ(counts[0], 14);
    ASSERT_EQ(counts[1], 14);
    ASSERT_EQ(counts[2], 14);

    /* http-vlan-0.pcap: 14 frames, all with a VLAN 0 priority tag (tshark vlan.id = 0) */
    if (cap_load(&c, "zeek/testing/btest/Traces/http-vlan-0.pcap") < 0) {
        t_skip("http-vlan-0.pcap absent");
        return;
    }
    ok = c.n == 14;
    for (int i = 0; ok && i < c.n; i++) {
        struct decoded d;
        ok = decode_packet((uint32_t)c.lt, c.p[i], c.len[i], &d) == DEC_OK && d.nvlan == 1 &&
             d.vlan[0] == 0 && (d.sport == 80 || d.dport == 80);
    }
    cap_free(&c);
    ASSERT_TRUE(ok);
}

TEST(decode_corpus_sll2)
{
    static struct cap c;
    if (cap_load(&c, "zeek/testing/btest/Traces/linux_dlt_sll2.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    /* tshark: 1-2 ICMP echo request/reply 192.0.2.1 -> 192.0.2.1; 3-4 ICMPv6 128/129
     * fe80::8c36:6ff:fe44:acaf; 5 ARP (0x0806); 6 RARP (0x8035) */
    static const uint8_t ll[16] = {0xfe, 0x80, 0,    0,    0,    0,    0,    0,
                                   0x8c, 0x36, 0x06, 0xff, 0xfe, 0x44, 0xac, 0xaf};
    struct decoded d[6];
    int v[6];
    ASSERT_EQ(c.lt, 276);
    ASSERT_EQ(c.n, 6);
    for (int i = 0; i < 6; i++)
        v[i] = decode_packet(276, c.p[i], c.len[i], &d[i]);
    cap_free(&c);
    ASSERT_EQ(v[0], DEC_OK);
    ASSERT_EQ(d[0].proto, 1);
    ASSERT_EQ(d[0].icmp_type, 8);
    ASSERT_TRUE(ip4_is(d[0].src, 192, 0, 2, 1) && ip4_is(d[0].dst, 192, 0, 2, 1));
    ASSERT_EQ(d[0].ttl, 64);
    ASSERT_EQ(v[1], DEC_OK);
    ASSERT_EQ(d[1].icmp_type, 0);
    ASSERT_EQ(v[2], DEC_OK);
    ASSERT_EQ(d[2].ipver, 6);
    ASSERT_EQ(d[2].proto, 58);
    ASSERT_EQ(d[2].sport, 128);
    ASSERT_MEM_EQ(d[2].src, ll, 16);
    ASSERT_EQ(v[3], DEC_OK);
    ASSERT_EQ(d[3].icmp_type, 129);
    ASSERT_EQ(v[4], DEC_NOT_IP);
    ASSERT_EQ(d[4].ethertype, 0x0806);
    ASSERT_EQ(v[5], DEC_NOT_IP);
    ASSERT_EQ(d[5].ethertype, 0x8035);
}

TEST(decode_corpus_nflog)
{
    static struct cap c;
    if (cap_load(&c, "zeek/testing/btest/Traces/nflog-http.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    /* tshark -e ip.src -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.len:
     * 13 frames between 10.0.2.15:49762 and 93.184.216.34:80; frame 4 is the SYN-ACK,
     * frame 6 the request (79 bytes), frame 8 the response (1603 bytes) */
    static const uint8_t flags[13] = {0x02, 0x02, 0x02, 0x12, 0x10, 0x18, 0x10,
                                      0x18, 0x10, 0x11, 0x10, 0x11, 0x10};
    int ok = c.lt == 239 && c.n == 13;
    for (int i = 0; ok && i < c.n; i++) {
        struct decoded d;
        ok = decode_packet(239, c.p[i], c.len[i], &d) == DEC_OK && d.ipver == 4 &&
             d.tcp_flags == flags[i];
        int server = ip4_is(d.src, 93, 184, 216, 34);
        ok = ok && (server ? ip4_is(d.dst, 10, 0, 2, 15) && d.sport == 80 && d.dport == 49762
                           : ip4_is(d.src, 10, 0, 2, 15) && ip4_is(d.dst, 93, 184, 216, 34) &&
                                 d.sport == 49762 && d.dport == 80);
        if (ok && i == 5)
            ok = d.payload_len == 79;
        if (ok && i == 7)
            ok = d.payload_len == 1603 && server;
        if (!ok)
            t_fail(__FILE__, __LINE__, "frame %d", i + 1);
    }
    cap_free(&c);
    ASSERT_TRUE(ok);
}

TEST(decode_corpus_linktype_228)
{
    static struct cap c;
    if (cap_load(&c, "suricata-verify/tests/linktype-228/flow-test-01.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    /* tshark: 7 TCP frames 192.168.0.2:15057 <-> 192.168.0.1:443, payloads 117 (4), 47 (6) */
    static const uint32_t pay[7] = {0, 0, 0, 117, 0, 47, 0};
    int ok = c.lt == 228 && c.n == 7;
    for (int i = 0; ok && i < c.n; i++) {
        struct decoded d;
        ok = decode_packet(228, c.p[i], c.len[i], &d) == DEC_OK && d.proto == 6 &&
             d.payload_len == pay[i] && (d.sport == 15057 || d.dport == 15057) &&
             (d.sport == 443 || d.dport == 443) && d.l3_off == 0;
    }
    cap_free(&c);
    ASSERT_TRUE(ok);
}

TEST(decode_corpus_fragments)
{
    static struct cap c;
    if (cap_load(&c, "suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv4-tcp-syn/"
                     "frag-eth-vlan-ip-tcp-syn.pcap") < 0) {
        t_skip("corpus absent");
        return;
    }
    /* tshark -e vlan.id -e ip.flags.mf -e ip.frag_offset: VLAN 6, offsets 0/1/2 (units
     * of 8), MF 1,1,0, id 1, 1.1.1.1 -> 2.2.2.2 */
    int ok = c.n == 3;
    for (int i = 0; ok && i < 3; i++) {
        struct decoded d;
        ok = decode_packet(1, c.p[i], c.len[i], &d) == DEC_FRAGMENT && d.nvlan == 1 &&
             d.vlan[0] == 6 && d.frag_id == 1 && d.frag_offset == (uint32_t)i * 8 &&
             d.frag_more == (i < 2) && d.payload_len == 8 && ip4_is(d.src, 1, 1, 1, 1) &&
             ip4_is(d.dst, 2, 2, 2, 2);
    }
    cap_free(&c);
    ASSERT_TRUE(ok);

    /* fragmented-3.pcap: 5 fragments with DF and MF, offsets 0,1480,…,5920 (tshark) */
    if (cap_load(&c, "zeek/testing/btest/Traces/ipv4/fragmented-3.pcap") < 0) {
        t_skip("fragmented-3.pcap absent");
        return;
    }
    ok = c.n == 5;
    for (int i = 0; ok && i < 5; i++) {
        struct decoded d;
        ok = decode_packet(1, c.p[i], c.len[i], &d) == DEC_FRAGMENT && d.frag_more &&
             d.frag_offset == (uint32_t)i * 1480 && d.frag_id == 0x4bc5 && d.payload_len == 1480 &&
             ip4_is(d.src, 210, 54, 213, 247);
    }
    cap_free(&c);
    ASSERT_TRUE(ok);
}
