/*
 * decode.c — link layer → (VLAN tags) → IPv4/IPv6 → TCP/UDP/ICMP/SCTP.
 *
 * One pass, no allocation, no state.  Every header is fetched with one bounded
 * rdr_bytes() call and its fields are then loaded from the checked pointer, so the
 * common path (Ethernet → IPv4 → TCP) costs three length checks.
 *
 * Link headers (LINKTYPE_* numbers from tcpdump.org/linktypes.html):
 *
 *   Ethernet (1)       | dst 6 | src 6 | type 2 |            type < 0x0600 = 802.3 length
 *     802.1Q/802.1ad   | TCI 2 (PCP 3, DEI 1, VID 12) | type 2 |   after 0x8100, 0x88a8, 0x9100
 *     802.2 LLC/SNAP   | AA | AA | 03 | OUI 3 | type 2 |     (RFC 1042) after an 802.3 length
 *     PPPoE session    | ver/type 1 | code 1 | session 2 | len 2 | PPP proto 2 |   (RFC 2516)
 *   Linux SLL (113)    | pkttype 2 | hatype 2 | halen 2 | addr 8 | protocol 2 |          16 bytes
 *   Linux SLL2 (276)   | protocol 2 | rsvd 2 | ifindex 4 | hatype 2 | pkttype 1 | halen 1 | addr 8
 * | NULL (0), LOOP (108)  | address family 4 |   host order for NULL, network order for LOOP NFLOG
 * (239)        | family 1 | version 1 | resource id 2 | TLV... | TLV              | length 2 (host
 * order, incl. these 4) | type 2 (host order) | value, pad to 4 | RAW (101, 12, 14), IPV4 (228),
 * IPV6 (229): the IP header itself.
 *
 * Network and transport layouts are drawn above their decoders below.
 */
#include "decode/decode.h"

#include "core/rdr.h"
#include "source/source.h"

#include <stddef.h>
#include <string.h>

/* DLT_RAW as some BSDs number it in capture files (libpcap maps both to 101). */
enum { LT_RAW_BSD12 = 12, LT_RAW_BSD14 = 14 };

enum {
    ETH_IPV4 = 0x0800,
    ETH_IPV6 = 0x86dd,
    ETH_8021Q = 0x8100,
    ETH_8021AD = 0x88a8,
    ETH_QINQ_OLD = 0x9100, /* pre-standard QinQ outer tag, still seen */
    ETH_PPPOE_SESS = 0x8864,
    ETH_MIN_TYPE = 0x0600 /* IEEE 802.3: smaller values are a length field */
};

enum {
    IPP_HOPOPTS = 0,
    IPP_ICMP = 1,
    IPP_TCP = 6,
    IPP_UDP = 17,
    IPP_ROUTING = 43,
    IPP_FRAGMENT = 44,
    IPP_ESP = 50,
    IPP_AH = 51,
    IPP_ICMPV6 = 58,
    IPP_NONE = 59,
    IPP_DSTOPTS = 60,
    IPP_MOBILITY = 135,
    IPP_HIP = 139,
    IPP_SHIM6 = 140,
    IPP_UDPLITE = 136,
    IPP_SCTP = 132
};

/*
 * Extension headers walked per IPv6 packet.  RFC 8200 §4.1 allows each type once
 * (destination options twice); 8 covers every legitimate chain with room to spare
 * and stops a chain of thousands of empty headers from costing time.
 */
#define IP6_MAX_EXT 8

/* Link-layer walks (VLAN tags, LLC/SNAP, PPPoE) per frame: each one consumes bytes. */
#define LINK_MAX_HOPS 6

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Clear everything decode_ip() is responsible for (all but the link fields). */
static inline void clear_from_ip(struct decoded *d)
{
    memset(&d->ipver, 0, sizeof(*d) - offsetof(struct decoded, ipver));
}

/* ------------------------------------------------------------------ transport */

/*
 * TCP (RFC 9293 §3.1)                 UDP (RFC 768)          ICMP (RFC 792/4443)
 *  0       2       4       8      12     0      2      4      6    0    1    2     4
 *  | sport | dport | seq   | ack  |...   | sport| dport| len  | ck | type|code| cksum| rest 4 |
 *  12: data offset (4 bits) | 13: flags | 14: window | 16: cksum | 18: urgent
 * SCTP (RFC 9260 §3.1): | sport 2 | dport 2 | verification tag 4 | checksum 4 |
 *
 * `cap_end` is the end of the captured bytes of this datagram, `wire_end` where the
 * datagram ends according to its IP length (>= cap_end when the snaplen cut it).
 */
static int decode_l4(const uint8_t *p, uint32_t l4, uint32_t cap_end, uint32_t wire_end,
                     struct decoded *d)
{
    struct rdr r;
    const uint8_t *h;
    uint32_t hl = 0;

    rdr_init(&r, p, cap_end);
    rdr_skip(&r, l4);
    d->l4_off = l4;

    switch (d->proto) {
    case IPP_TCP:
        h = rdr_bytes(&r, 20);
        if (!h)
            return DEC_L4_TRUNC;
        hl = (uint32_t)(h[12] >> 4) * 4;
        /* A data offset below 5 words, or past the datagram's own end, is malformed;
         * past only the captured bytes it is the snaplen's doing. */
        if (hl < 20 || (uint64_t)l4 + hl > wire_end)
            return DEC_TCP_BAD_HLEN;
        if (l4 + hl > cap_end)
            return DEC_L4_TRUNC;
        d->sport = ld_u16be(h);
        d->dport = ld_u16be(h + 2);
        d->seq = ld_u32be(h + 4);
        d->ack = ld_u32be(h + 8);
        d->tcp_flags = h[13];
        d->win = ld_u16be(h + 14);
        break;
    case IPP_UDP:
    case IPP_UDPLITE:
        h = rdr_bytes(&r, 8);
        if (!h)
            return DEC_L4_TRUNC;
        hl = 8;
        d->sport = ld_u16be(h);
        d->dport = ld_u16be(h + 2);
        break;
    case IPP_ICMP:
    case IPP_ICMPV6:
        h = rdr_bytes(&r, 4);
        if (!h)
            return DEC_L4_TRUNC;
        /* Every ICMP message has 4 more header bytes (echo id/seq, MTU, unused);
         * the payload (echo data, quoted datagram) starts after them. */
        hl = min_u32(8, cap_end - l4);
        d->icmp_type = h[0];
        d->icmp_code = h[1];
        d->sport = h[0];
        d->dport = h[1];
        break;
    case IPP_SCTP:
        h = rdr_bytes(&r, 12);
        if (!h)
            return DEC_L4_TRUNC;
        hl = 12;
        d->sport = ld_u16be(h);
        d->dport = ld_u16be(h + 2);
        break;
    default:
        /* ESP, no-next-header, GRE, …: no ports; the payload is everything after IP. */
        break;
    }
    d->payload_off = l4 + hl;
    d->payload_len = cap_end - d->payload_off;
    d->payload_wire = wire_end - d->payload_off;
    return DEC_OK;
}

/* ------------------------------------------------------------------ IPv4 */

/*
 * IPv4 header (RFC 791 §3.1)
 *  0      1      2            4            6                      8     9       10
 *  |ver|ihl| tos | total len  | id         |flags 3| frag off 13  | ttl | proto | cksum |
 *  12: source address | 16: destination address | 20: options (ihl*4 - 20 bytes)
 * flags: reserved, DF (0x4000), MF (0x2000); fragment offset counts 8-byte units.
 */
static int decode_ip4(const uint8_t *p, uint32_t off, uint32_t end, struct decoded *d)
{
    struct rdr r;
    const uint8_t *h;

    rdr_init(&r, p, end);
    rdr_skip(&r, off);
    h = rdr_bytes(&r, 20);
    if (!h)
        return DEC_IP_TRUNC;
    d->ipver = 4; /* decode_l3() checked the version nibble */
    uint32_t hl = (uint32_t)(h[0] & 0x0f) * 4;
    if (hl < 20)
        return DEC_IP_BAD_HLEN;
    if (!rdr_bytes(&r, hl - 20))
        return DEC_IP_TRUNC;

    uint32_t avail = end - off;
    uint32_t tot = ld_u16be(h + 2);
    /* A zero total length comes from captures taken before TCP segmentation offload
     * split the packet (the NIC fills the length in): trust the captured bytes. */
    if (tot == 0)
        tot = avail;
    if (tot < hl)
        return DEC_IP_BAD_LEN;

    d->ttl = h[8];
    d->proto = h[9];
    memcpy(d->src, h + 12, 4);
    memcpy(d->dst, h + 16, 4);
    d->l3_off = off;
    d->l3_len = tot;

    /* Bytes past the total length are link padding (Ethernet's 60-byte minimum). */
    uint32_t cap_end = off + min_u32(tot, avail);
    uint32_t wire_end = off + tot;
    uint32_t fl = ld_u16be(h + 6);
    if (fl & 0x3fff) {
        /* MF set or a non-zero offset.  DF may be set too (seen in the wild; RFC 791
         * makes it meaningless here): still a fragment. */
        d->frag_id = ld_u16be(h + 4);
        d->frag_offset = (fl & 0x1fff) * 8;
        d->frag_more = (fl & 0x2000) != 0;
        d->frag_hdr_len = hl;
        d->l4_off = off + hl;
        d->payload_off = off + hl;
        d->payload_len = cap_end - d->payload_off;
        d->payload_wire = wire_end - d->payload_off;
        return DEC_FRAGMENT;
    }
    return decode_l4(p, off + hl, cap_end, wire_end, d);
}

/* ------------------------------------------------------------------ IPv6 */

/*
 * IPv6 header (RFC 8200 §3)
 *  0                4               6          7           8        24       40
 *  |ver 4|class 8|flow label 20| payload len | next hdr | hop limit | src 16 | dst 16 |
 *
 * Extension headers (RFC 8200 §4) chained through "next header":
 *  hop-by-hop 0, routing 43, destination 60, mobility 135, HIP 139, shim6 140:
 *      | next 1 | len 1 (8-byte units, not counting the first 8) | ...
 *  AH 51 (RFC 4302 §2): | next 1 | len 1 (4-byte units, minus 2) | ...
 *  fragment 44 (§4.5): | next 1 | rsvd 1 | offset 13 | rsvd 2 | M 1 | identification 4 |
 *  ESP 50 and no-next-header 59 end the walk: what follows is opaque.
 */
static int decode_ip6(const uint8_t *p, uint32_t off, uint32_t end, struct decoded *d)
{
    struct rdr r;
    const uint8_t *h;

    rdr_init(&r, p, end);
    rdr_skip(&r, off);
    h = rdr_bytes(&r, 40);
    if (!h)
        return DEC_IP_TRUNC;
    d->ipver = 6; /* decode_l3() checked the version nibble */

    uint32_t avail = end - off;
    uint32_t plen = ld_u16be(h + 4);
    /* Zero: a jumbogram (RFC 2675) or a pre-offload capture; use what was captured. */
    uint32_t tot = plen ? 40 + plen : avail;
    uint32_t nh = h[6];
    d->ttl = h[7];
    memcpy(d->src, h + 8, 16);
    memcpy(d->dst, h + 24, 16);
    d->l3_off = off;
    d->l3_len = tot;
    d->proto = (uint8_t)nh;

    uint32_t cap_end = off + min_u32(tot, avail);
    uint32_t wire_end = off + tot;
    /* Extension headers must lie inside the payload length, so read them within it. */
    rdr_init(&r, p, cap_end);
    rdr_skip(&r, off + 40);

    for (int n = 0;; n++) {
        const uint8_t *e;
        uint32_t len;

        switch (nh) {
        case IPP_HOPOPTS:
        case IPP_ROUTING:
        case IPP_DSTOPTS:
        case IPP_MOBILITY:
        case IPP_HIP:
        case IPP_SHIM6:
        case IPP_AH:
            if (n >= IP6_MAX_EXT)
                return DEC_IP6_EXT_TOO_MANY;
            e = rdr_bytes(&r, 2);
            if (!e)
                return DEC_IP6_EXT_TRUNC;
            len = nh == IPP_AH ? ((uint32_t)e[1] + 2) * 4 : ((uint32_t)e[1] + 1) * 8;
            rdr_skip(&r, len - 2);
            if (!rdr_ok(&r))
                return DEC_IP6_EXT_TRUNC;
            nh = e[0];
            d->proto = (uint8_t)nh;
            continue;
        case IPP_FRAGMENT: {
            if (n >= IP6_MAX_EXT)
                return DEC_IP6_EXT_TOO_MANY;
            uint32_t at = (uint32_t)r.off;
            e = rdr_bytes(&r, 8);
            if (!e)
                return DEC_IP6_EXT_TRUNC;
            uint32_t fl = ld_u16be(e + 2);
            nh = e[0];
            d->proto = (uint8_t)nh;
            /* An atomic fragment (offset 0, M clear) is a whole packet: RFC 6946 says
             * to process it as such, not to send it through reassembly. */
            if ((fl & 0xfff9) == 0)
                continue;
            d->frag_id = ld_u32be(e + 4);
            d->frag_offset = fl & 0xfff8;
            d->frag_more = fl & 1;
            d->frag_hdr_len = at - off;
            d->l4_off = (uint32_t)r.off;
            d->payload_off = d->l4_off;
            d->payload_len = cap_end - d->l4_off;
            d->payload_wire = wire_end - d->l4_off;
            return DEC_FRAGMENT;
        }
        default:
            return decode_l4(p, (uint32_t)r.off, cap_end, wire_end, d);
        }
    }
}

/* IP from p[off] to p[end); want = 4 or 6 when the link layer said so, 0 to use the nibble. */
static int decode_l3(const uint8_t *p, uint32_t off, uint32_t end, int want, struct decoded *d)
{
    struct rdr r;
    rdr_init(&r, p, end);
    rdr_skip(&r, off);
    /* The version nibble is checked first, so a v6 packet behind a v4 link type is
     * a version mismatch even when it is too short for either header. */
    int ver = rdr_u8(&r) >> 4;
    if (!rdr_ok(&r))
        return DEC_IP_TRUNC;
    if (want && ver != want)
        return DEC_IP_BAD_VERSION;
    if (ver == 4)
        return decode_ip4(p, off, end, d);
    if (ver == 6)
        return decode_ip6(p, off, end, d);
    return DEC_IP_BAD_VERSION;
}

/* ------------------------------------------------------------------ link layers */

/*
 * Follow an Ethernet type through VLAN tags, LLC/SNAP and PPPoE to IP.  Sets
 * *want to 4 or 6 and leaves r at the IP header on DEC_OK.
 */
static int link_ethertype(struct rdr *r, uint32_t type, struct decoded *d, int *want)
{
    const uint8_t *h;

    for (int hop = 0; hop < LINK_MAX_HOPS; hop++) {
        if (type == ETH_IPV4) {
            d->ethertype = ETH_IPV4;
            *want = 4;
            return DEC_OK;
        }
        if (type == ETH_IPV6) {
            d->ethertype = ETH_IPV6;
            *want = 6;
            return DEC_OK;
        }
        d->ethertype = (uint16_t)type;
        switch (type) {
        case ETH_8021Q:
        case ETH_8021AD:
        case ETH_QINQ_OLD:
            /* IEEE 802.1Q §9.6: the 12-bit VID; 0 means "priority tag only". */
            if (d->nvlan == 2)
                return DEC_VLAN_TOO_DEEP;
            h = rdr_bytes(r, 4);
            if (!h)
                return DEC_LINK_TRUNC;
            d->vlan[d->nvlan++] = ld_u16be(h) & 0x0fff;
            type = ld_u16be(h + 2);
            continue;
        case ETH_PPPOE_SESS:
            /* RFC 2516 §4 session stage; PPP protocol 0x0021 = IPv4, 0x0057 = IPv6. */
            h = rdr_bytes(r, 8);
            if (!h)
                return DEC_LINK_TRUNC;
            if (ld_u16be(h + 6) == 0x0021)
                type = ETH_IPV4;
            else if (ld_u16be(h + 6) == 0x0057)
                type = ETH_IPV6;
            else
                return DEC_NOT_IP;
            continue;
        default:
            break;
        }
        if (type >= ETH_MIN_TYPE)
            return DEC_NOT_IP;
        /* IEEE 802.3 length field: an 802.2 LLC header follows.  Only SNAP with the
         * RFC 1042 OUI 00-00-00 carries an Ethernet type (and so maybe IP); STP, IPX,
         * NetBIOS and the like are not IP. */
        h = rdr_bytes(r, 3);
        if (!h)
            return DEC_LINK_TRUNC;
        if (h[0] != 0xaa || h[1] != 0xaa || h[2] != 0x03)
            return DEC_NOT_IP;
        h = rdr_bytes(r, 5);
        if (!h)
            return DEC_LINK_TRUNC;
        if (h[0] || h[1] || h[2])
            return DEC_NOT_IP;
        type = ld_u16be(h + 3);
    }
    return DEC_NOT_IP;
}

/* BSD NULL/LOOP address family values that mean IPv6 (NetBSD/OpenBSD, FreeBSD, macOS). */
static int af_to_ver(uint32_t af)
{
    switch (af) {
    case 2:
        return 4;
    case 24:
    case 28:
    case 30:
        return 6;
    default:
        return 0;
    }
}

/*
 * NFLOG TLVs are in the capturing host's byte order; libpcap converts files
 * from the other order when it reads them, so "host" is this machine's.
 */
static inline uint16_t nflog_u16(struct rdr *r)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return rdr_u16be(r);
#else
    return rdr_u16le(r);
#endif
}

enum { NFULA_PAYLOAD = 9, NFLOG_AF_INET = 2, NFLOG_AF_INET6 = 10 };

static int link_nflog(const uint8_t *p, uint32_t caplen, struct decoded *d)
{
    struct rdr r;
    rdr_init(&r, p, caplen);
    uint8_t family = rdr_u8(&r);
    rdr_skip(&r, 3);
    if (!rdr_ok(&r))
        return DEC_LINK_TRUNC;
    int want = family == NFLOG_AF_INET ? 4 : family == NFLOG_AF_INET6 ? 6 : 0;

    /* Each TLV is at least 4 bytes, so the loop ends within caplen / 4 rounds. */
    while (rdr_left(&r) >= 4) {
        uint32_t len = nflog_u16(&r);
        uint32_t type = nflog_u16(&r) & 0x3fff; /* strip NLA_F_NESTED / NET_BYTEORDER */
        if (len < 4)
            return DEC_LINK_TRUNC;
        if (type == NFULA_PAYLOAD) {
            uint32_t start = (uint32_t)r.off;
            uint32_t end = min_u32(caplen, start + (len - 4));
            int v = decode_l3(p, start, end, want, d);
            if (d->ipver && !d->ethertype)
                d->ethertype = d->ipver == 4 ? ETH_IPV4 : ETH_IPV6;
            return v;
        }
        /* Skip the value and its padding to a 4-byte boundary (the last TLV's padding
         * may be cut by the snaplen, which is harmless). */
        uint32_t skip = ((len + 3) & ~3u) - 4;
        if (rdr_left(&r) < skip)
            return rdr_left(&r) + 4 >= len ? DEC_NOT_IP : DEC_LINK_TRUNC;
        rdr_skip(&r, skip);
    }
    /* Ended between TLVs: no payload logged.  Inside a TLV header: cut. */
    return rdr_left(&r) ? DEC_LINK_TRUNC : DEC_NOT_IP;
}

int decode_packet(uint32_t linktype, const uint8_t *p, uint32_t caplen, struct decoded *d)
{
    struct rdr r;
    const uint8_t *h;
    int want = 0, v;

    memset(d, 0, sizeof(*d));
    rdr_init(&r, p, caplen);

    switch (linktype) {
    case LT_ETHERNET:
        h = rdr_bytes(&r, 14);
        if (!h)
            return DEC_LINK_TRUNC;
        v = link_ethertype(&r, ld_u16be(h + 12), d, &want);
        break;
    case LT_LINUX_SLL:
    case LT_LINUX_SLL2:
        h = rdr_bytes(&r, linktype == LT_LINUX_SLL ? 16 : 20);
        if (!h)
            return DEC_LINK_TRUNC;
        {
            uint32_t type = ld_u16be(linktype == LT_LINUX_SLL ? h + 14 : h);
            /* Below 0x0600 the field is not an Ethernet type but a Linux pseudo
             * protocol (ETH_P_802_3 = 1, ETH_P_802_2 = 4, CAN, …): not IP. */
            if (type < ETH_MIN_TYPE) {
                d->ethertype = (uint16_t)type;
                return DEC_NOT_IP;
            }
            v = link_ethertype(&r, type, d, &want);
        }
        break;
    case LT_RAW:
    case LT_RAW_BSD12:
    case LT_RAW_BSD14:
        v = DEC_OK;
        break;
    case LT_IPV4:
        want = 4;
        v = DEC_OK;
        break;
    case LT_IPV6:
        want = 6;
        v = DEC_OK;
        break;
    case LT_NULL:
    case LT_LOOP: {
        /* NULL writes the family in the capturing host's order, LOOP in network
         * order; families are small, so whichever half is non-zero tells. */
        uint32_t af = rdr_u32le(&r);
        if (!rdr_ok(&r))
            return DEC_LINK_TRUNC;
        if (af & 0xffff0000u)
            af = __builtin_bswap32(af);
        want = af_to_ver(af);
        if (!want)
            return DEC_NOT_IP;
        v = DEC_OK;
        break;
    }
    case LT_NFLOG:
        return link_nflog(p, caplen, d);
    default:
        return DEC_UNKNOWN_LINKTYPE;
    }
    if (v != DEC_OK)
        return v;
    v = decode_l3(p, (uint32_t)r.off, caplen, want, d);
    if (d->ipver && !d->ethertype)
        d->ethertype = d->ipver == 4 ? ETH_IPV4 : ETH_IPV6;
    return v;
}

int decode_ip(const uint8_t *p, uint32_t len, struct decoded *d)
{
    clear_from_ip(d);
    return decode_l3(p, 0, len, 0, d);
}

static const char *const verdict_names[] = {
    "ok",          "fragment",      "not_ip",        "unknown_linktype",
    "link_trunc",  "vlan_too_deep", "ip_trunc",      "ip_bad_version",
    "ip_bad_hlen", "ip_bad_len",    "ip6_ext_trunc", "ip6_ext_too_many",
    "l4_trunc",    "tcp_bad_hlen",  "payload_trunc",
};
_Static_assert(sizeof(verdict_names) / sizeof(verdict_names[0]) == DEC__COUNT,
               "verdict_names must follow DEC_VERDICTS");

static const char *const verdict_texts[] = {
#define DEC_TEXT(name, text) text,
    DEC_VERDICTS(DEC_TEXT)
#undef DEC_TEXT
};

const char *decode_verdict_name(int v)
{
    return v >= 0 && v < DEC__COUNT ? verdict_names[v] : "unknown";
}

const char *decode_verdict_text(int v)
{
    return v >= 0 && v < DEC__COUNT ? verdict_texts[v] : "unknown verdict";
}
