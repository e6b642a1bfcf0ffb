/*
 * decode.h — packet bytes to layer offsets and a verdict.
 *
 * A pure function: no allocation, no state, reads only through struct rdr.  It
 * walks link → (VLAN tags) → IPv4/IPv6 (extension headers) → TCP/UDP/ICMP and
 * fills struct decoded.  Anything it cannot use gets a DEC_* reason that the
 * pipeline counts; nothing here fails the pipeline.
 */
#ifndef KONSEKI_DECODE_DECODE_H
#define KONSEKI_DECODE_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Verdicts: DEC_OK and DEC_FRAGMENT are usable; the rest are counted reasons. */
#define DEC_VERDICTS(X)                                                                            \
    X(OK, "ok")                                                                                    \
    X(FRAGMENT, "ip fragment (sent to reassembly)")                                                \
    X(NOT_IP, "not ip (arp, lldp, stp, …)")                                                        \
    X(UNKNOWN_LINKTYPE, "unsupported link type")                                                   \
    X(LINK_TRUNC, "link header truncated")                                                         \
    X(VLAN_TOO_DEEP, "more than 2 vlan tags")                                                      \
    X(IP_TRUNC, "ip header truncated")                                                             \
    X(IP_BAD_VERSION, "ip version mismatch")                                                       \
    X(IP_BAD_HLEN, "ipv4 header length invalid")                                                   \
    X(IP_BAD_LEN, "ip total length invalid")                                                       \
    X(IP6_EXT_TRUNC, "ipv6 extension header truncated")                                            \
    X(IP6_EXT_TOO_MANY, "too many ipv6 extension headers")                                         \
    X(L4_TRUNC, "transport header truncated")                                                      \
    X(TCP_BAD_HLEN, "tcp data offset invalid")                                                     \
    X(PAYLOAD_TRUNC, "payload shorter than ip length (snaplen)")

enum dec_verdict {
#define DEC_ENUM(name, text) DEC_##name,
    DEC_VERDICTS(DEC_ENUM)
#undef DEC_ENUM
        DEC__COUNT
};

/* TCP flag bits as on the wire. */
enum {
    TCPF_FIN = 0x01,
    TCPF_SYN = 0x02,
    TCPF_RST = 0x04,
    TCPF_PSH = 0x08,
    TCPF_ACK = 0x10,
    TCPF_URG = 0x20,
    TCPF_ECE = 0x40,
    TCPF_CWR = 0x80
};

struct decoded {
    /* link */
    uint16_t vlan[2]; /* outer first */
    uint8_t nvlan;
    uint16_t ethertype; /* ethertype of the network layer (after tags) */
    /* network */
    uint8_t ipver;            /* 4 or 6; 0 = not IP */
    uint8_t proto;            /* transport protocol after IPv6 extension headers */
    uint8_t ttl;              /* TTL / hop limit */
    uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes, rest zero */
    uint32_t l3_off;          /* offset of the IP header in the packet */
    uint32_t l3_len; /* IP datagram length from its header (may exceed what was captured) */
    uint32_t l4_off; /* offset of the transport header (after extension headers) */
    /*
     * fragments (DEC_FRAGMENT): IPv4 id or IPv6 Fragment header id.  For a fragment,
     * proto is the IPv4 protocol / the Fragment header's Next Header, no transport
     * header is parsed, and l4_off = payload_off = the first byte of fragment data
     * (payload_len / payload_wire its captured / on-the-wire size).
     */
    uint32_t frag_id;
    uint32_t frag_offset; /* bytes */
    uint8_t frag_more;
    uint32_t frag_hdr_len; /* bytes of IP header (+ext headers up to the fragment header for v6) */
    /* transport */
    uint16_t sport, dport; /* ICMP/ICMPv6: type and code go to sport/dport as well as below */
    uint8_t icmp_type, icmp_code;
    uint8_t tcp_flags;
    uint32_t seq, ack;
    uint16_t win;
    uint32_t payload_off;  /* application payload in the packet */
    uint32_t payload_len;  /* captured payload bytes (bounded by caplen) */
    uint32_t payload_wire; /* payload bytes per the IP length (what was on the wire) */
};

/*
 * Decode one packet.  Returns an enum dec_verdict; *d is filled as far as decoding got.
 * A datagram cut by the snaplen is still DEC_OK (payload_len < payload_wire):
 * DEC_PAYLOAD_TRUNC is never returned here, it is for the caller to count such packets.
 */
int decode_packet(uint32_t linktype, const uint8_t *p, uint32_t caplen, struct decoded *d);
/*
 * Decode from the IP header on (after reassembly: p is a whole IP datagram).
 * d's link fields are left as they are.
 */
int decode_ip(const uint8_t *p, uint32_t len, struct decoded *d);
const char *decode_verdict_name(int v); /* "ip_trunc" */
const char *decode_verdict_text(int v); /* "ip header truncated" */

#endif
