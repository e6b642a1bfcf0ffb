/*
 * community_id.c — Community ID v1 flow hashing.
 *
 * Spec: https://github.com/corelight/community-id-spec (README, "Pseudo code"
 * and "Technical details"); the ICMP type mapping follows the reference
 * implementation pycommunityid (communityid/icmp.py, icmp6.py), which in turn
 * mirrors Zeek's ICMP4_counterpart / ICMP6_counterpart.
 *
 * The SHA-1 input, all fields in network byte order:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |             seed              |  src address (4 or 16 bytes)  ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~                 dst address (4 or 16 bytes)                   ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~               |     proto     |    pad (0)    |   src port    ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~               |           dst port            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The ports are present only for TCP, UDP, SCTP, ICMP and ICMPv6 (for the
 * ICMPs they are the type and its counterpart type, or the type and the code
 * for one-way messages).  Endpoints are swapped so that the smaller
 * (address, port) comes first, except for one-way ICMP messages, which keep
 * their direction.  The result is "1:" + base64 of the 20-byte digest.
 */
#include "flow/flow.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

enum {
    CID_ICMP = 1,
    CID_TCP = 6,
    CID_UDP = 17,
    CID_ICMP6 = 58,
    CID_SCTP = 132,
};

/*
 * Request/reply pairs: a message of type t is "port" t talking to "port"
 * counterpart(t), so a request and its reply land on the same ordered tuple.
 * Types in no pair are one-way.
 */
static const uint8_t icmp4_pairs[][2] = {
    {8, 0},   /* echo, echo reply (RFC 792) */
    {13, 14}, /* timestamp, timestamp reply */
    {15, 16}, /* information request, reply */
    {10, 9},  /* router solicitation, advertisement (RFC 1256) */
    {17, 18}, /* address mask request, reply (RFC 950) */
};

static const uint8_t icmp6_pairs[][2] = {
    {128, 129}, /* echo request, reply (RFC 4443) */
    {130, 131}, /* multicast listener query, report (RFC 2710) */
    {133, 134}, /* router solicitation, advertisement (RFC 4861) */
    {135, 136}, /* neighbour solicitation, advertisement */
    {139, 140}, /* node information query, reply (RFC 4620) */
    {144, 145}, /* home agent address discovery request, reply (RFC 6275) */
};

/* The counterpart of type t, or -1 for a one-way message. */
static int icmp_counterpart(const uint8_t (*pairs)[2], size_t n, uint8_t t)
{
    for (size_t i = 0; i < n; i++) {
        if (pairs[i][0] == t)
            return pairs[i][1];
        if (pairs[i][1] == t)
            return pairs[i][0];
    }
    return -1;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void community_id_v1(uint16_t seed, uint8_t ipver, uint8_t proto, const uint8_t *src,
                     const uint8_t *dst, uint16_t sport, uint16_t dport, char *out)
{
    size_t alen = ipver == 6 ? 16 : 4;
    int has_ports = proto == CID_TCP || proto == CID_UDP || proto == CID_SCTP ||
                    proto == CID_ICMP || proto == CID_ICMP6;
    int one_way = 0;

    if (proto == CID_ICMP || proto == CID_ICMP6) {
        /* sport = type, dport = code on input. */
        int peer = proto == CID_ICMP
                       ? icmp_counterpart(icmp4_pairs, sizeof icmp4_pairs / 2, (uint8_t)sport)
                       : icmp_counterpart(icmp6_pairs, sizeof icmp6_pairs / 2, (uint8_t)sport);
        if (peer >= 0)
            dport = (uint16_t)peer;
        else
            one_way = 1;
    }

    /* Order the endpoints: smaller (address, port) first; addresses compare as bytes. */
    if (!one_way) {
        int c = memcmp(src, dst, alen);
        int ordered = c < 0 || (c == 0 && has_ports && sport < dport);
        if (!ordered) {
            const uint8_t *ta = src;
            src = dst;
            dst = ta;
            uint16_t tp = sport;
            sport = dport;
            dport = tp;
        }
    }

    uint8_t in[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    put_be16(in + n, seed);
    n += 2;
    memcpy(in + n, src, alen);
    n += alen;
    memcpy(in + n, dst, alen);
    n += alen;
    in[n++] = proto;
    in[n++] = 0;
    if (has_ports) {
        put_be16(in + n, sport);
        n += 2;
        put_be16(in + n, dport);
        n += 2;
    }

    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(in, n, md);
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes → 28 base64 characters + NUL: 31 bytes in all. */
    EVP_EncodeBlock((unsigned char *)out + 2, md, SHA_DIGEST_LENGTH);
}
