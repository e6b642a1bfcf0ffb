/*
 * ntlm.c — NTLMSSP messages inside SPNEGO ([MS-NLMP] §2.2, RFC 4178, RFC 2743 §3.1).
 *
 * Every NTLM message starts with the same 12 bytes ([MS-NLMP] §2.2.1):
 *
 *     0                   8          12
 *     | "NTLMSSP\0"       | MessageType (u32le: 1, 2, 3) | …
 *
 * Variable fields are "fields" of 8 bytes: Len u16le, MaxLen u16le, BufferOffset
 * u32le, the offset counted from the start of the message.
 *
 *   CHALLENGE_MESSAGE (§2.2.1.2)             AUTHENTICATE_MESSAGE (§2.2.1.3)
 *   12 TargetNameFields                      12 LmChallengeResponseFields
 *   20 NegotiateFlags u32le                  20 NtChallengeResponseFields
 *   24 ServerChallenge [8]                   28 DomainNameFields
 *   32 Reserved [8]                          36 UserNameFields
 *   40 TargetInfoFields                      44 WorkstationFields
 *   48 Version [8] (§2.2.2.10)               52 EncryptedRandomSessionKeyFields
 *                                            60 NegotiateFlags u32le
 *
 * TargetInfo is a list of AV_PAIRs (§2.2.2.1): AvId u16le, AvLen u16le, Value,
 * ended by MsvAvEOL (0).  Names in AV pairs are always UTF-16LE.  Strings in the
 * AUTHENTICATE message are UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE (0x1) is set,
 * else OEM code page bytes (kept as they are; the sink escapes non-UTF-8).
 * NTLMv1 NT responses are 24 bytes; NTLMv2 responses (NTLMv2_RESPONSE, §2.2.2.8)
 * are longer.  No challenge, response, key or MIC is ever written out.
 *
 * Finding the message: SMB and HTTP carry it inside SPNEGO.  A small bounded DER
 * walk follows
 *     [APPLICATION 0] { OID 1.3.6.1.5.5.2, NegotiationToken }        (RFC 2743 §3.1)
 *     NegotiationToken ::= negTokenInit [0] | negTokenResp [1]        (RFC 4178 §4.2)
 *     NegTokenInit ::= SEQUENCE { …, mechToken      [2] OCTET STRING, … }
 *     NegTokenResp ::= SEQUENCE { …, responseToken  [2] OCTET STRING, … }
 * to the [2] OCTET STRING.  When the blob is not shaped like that (other GSS
 * wrappers, raw NTLM), the first 64 KiB are scanned for the "NTLMSSP\0" signature.
 */
#include "proto/ntlm.h"

#include <stdio.h>
#include <string.h>

#include "core/rdr.h"

#define NTLM_SCAN_MAX (64 * 1024)
#define NTLM_NAME_MAX 1024 /* UTF-8 bytes kept of one name */
#define NTLM_DER_DEPTH 6

#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u

static const uint8_t ntlm_sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* u32le at b (the caller checked that 4 bytes are there) */
static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

size_t ntlm_utf16le(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i + 1 < n;) {
        uint32_t cp = (uint32_t)s[i] | (uint32_t)s[i + 1] << 8;
        i += 2;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo = i + 1 < n ? ((uint32_t)s[i] | (uint32_t)s[i + 1] << 8) : 0;
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            } else {
                cp = 0xfffd;
            }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            cp = 0xfffd;
        }
        uint8_t u[4];
        size_t k;
        if (cp < 0x80) {
            u[0] = (uint8_t)cp;
            k = 1;
        } else if (cp < 0x800) {
            u[0] = (uint8_t)(0xc0 | cp >> 6);
            u[1] = (uint8_t)(0x80 | (cp & 0x3f));
            k = 2;
        } else if (cp < 0x10000) {
            u[0] = (uint8_t)(0xe0 | cp >> 12);
            u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
            u[2] = (uint8_t)(0x80 | (cp & 0x3f));
            k = 3;
        } else {
            u[0] = (uint8_t)(0xf0 | cp >> 18);
            u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
            u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
            u[3] = (uint8_t)(0x80 | (cp & 0x3f));
            k = 4;
        }
        if (o + k + 1 > cap)
            break;
        memcpy(dst + o, u, k);
        o += k;
    }
    dst[o] = 0;
    return o;
}

/* ---------------------------------------------------------------- SPNEGO / DER */

/* One DER TLV header: tag (single byte tags only) and definite length. */
static int der_tlv(struct rdr *r, uint8_t *tag, size_t *len)
{
    *tag = rdr_u8(r);
    uint8_t l = rdr_u8(r);
    if (!rdr_ok(r))
        return -1;
    if ((*tag & 0x1f) == 0x1f)
        return -1; /* multi-byte tags never occur on this path */
    if (l < 0x80) {
        *len = l;
    } else {
        unsigned nb = l & 0x7f;
        if (nb == 0 || nb > 4)
            return -1; /* indefinite or absurd length */
        size_t v = 0;
        for (unsigned i = 0; i < nb; i++)
            v = v << 8 | rdr_u8(r);
        *len = v;
    }
    if (!rdr_ok(r) || *len > rdr_left(r))
        return -1;
    return 0;
}

/*
 * Walk r (one NegotiationToken or a GSS InitialContextToken) to the mechToken /
 * responseToken and return it in *tok.  depth bounds the recursion.
 */
static int spnego_token(struct rdr *r, int depth, const uint8_t **tok, size_t *tlen)
{
    uint8_t tag;
    size_t len;
    if (depth > NTLM_DER_DEPTH || der_tlv(r, &tag, &len) < 0)
        return -1;
    struct rdr in;
    rdr_init(&in, rdr_bytes(r, len), len);
    switch (tag) {
    case 0x60: /* [APPLICATION 0]: thisMech OID, then the inner token */
        if (der_tlv(&in, &tag, &len) < 0 || tag != 0x06)
            return -1;
        rdr_skip(&in, len);
        return spnego_token(&in, depth + 1, tok, tlen);
    case 0xa0: /* negTokenInit */
    case 0xa1: /* negTokenResp */
        return spnego_token(&in, depth + 1, tok, tlen);
    case 0x30: /* the SEQUENCE: look for [2] */
        while (rdr_left(&in) > 0) {
            if (der_tlv(&in, &tag, &len) < 0)
                return -1;
            const uint8_t *v = rdr_bytes(&in, len);
            if (tag != 0xa2)
                continue;
            struct rdr os;
            rdr_init(&os, v, len);
            if (der_tlv(&os, &tag, &len) < 0 || tag != 0x04)
                return -1;
            *tok = rdr_bytes(&os, len);
            *tlen = len;
            return 0;
        }
        return -1;
    default:
        return -1;
    }
}

static const uint8_t *find_sig(const uint8_t *b, size_t n, size_t *left)
{
    if (n > NTLM_SCAN_MAX)
        n = NTLM_SCAN_MAX;
    for (size_t i = 0; i + sizeof(ntlm_sig) <= n; i++) {
        if (b[i] == 'N' && memcmp(b + i, ntlm_sig, sizeof(ntlm_sig)) == 0) {
            *left = n - i;
            return b + i;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- messages */

/* A "fields" triple at off: the bytes it points to inside m, or NULL (anomaly counted). */
static const uint8_t *ntlm_field(struct proto_out *o, const uint8_t *m, size_t n, size_t off,
                                 size_t *flen)
{
    struct rdr r;
    rdr_init(&r, m, n);
    rdr_skip(&r, off);
    uint16_t len = rdr_u16le(&r);
    rdr_skip(&r, 2);
    uint32_t at = rdr_u32le(&r);
    *flen = 0;
    if (!rdr_ok(&r))
        return NULL;
    if (len == 0)
        return m; /* empty: any offset is fine */
    if (at > n || len > n - at) {
        proto_anomaly(o, "ntlm.field_out_of_bounds");
        return NULL;
    }
    *flen = len;
    return m + at;
}

static void put_utf16(struct proto_out *o, const char *name, const uint8_t *s, size_t n)
{
    char u[NTLM_NAME_MAX];
    size_t k = ntlm_utf16le(u, sizeof(u), s, n);
    if (k)
        proto_str(o, name, u, k);
}

/* A name as UTF-8 (UNICODE flag) or as the OEM bytes it is, cut at cap - 1. */
static size_t ntlm_name(char *dst, size_t cap, const uint8_t *s, size_t n, int unicode)
{
    if (unicode)
        return ntlm_utf16le(dst, cap, s, n);
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return n;
}

static void put_name(struct proto_out *o, const char *name, const uint8_t *s, size_t n, int unicode)
{
    char u[NTLM_NAME_MAX];
    size_t k = s ? ntlm_name(u, sizeof(u), s, n, unicode) : 0;
    if (k)
        proto_str(o, name, u, k);
}

/* Version (§2.2.2.10): major u8, minor u8, build u16le, reserved [3], revision u8. */
static void put_version(struct proto_out *o, const char *name, const uint8_t *v)
{
    char s[32];
    int k = snprintf(s, sizeof(s), "%u.%u.%u", v[0], v[1], (unsigned)(v[2] | v[3] << 8));
    if (k > 0 && (size_t)k < sizeof(s))
        proto_str(o, name, s, (size_t)k);
}

static void ntlm_challenge(struct proto_out *o, const uint8_t *m, size_t n)
{
    size_t tlen;
    const uint8_t *ti = ntlm_field(o, m, n, 40, &tlen);
    if (n >= 56) {
        uint32_t flags = le32(m + 20);
        /* NTLMSSP_NEGOTIATE_VERSION (0x02000000): the Version field is meaningful */
        if (flags & 0x02000000u)
            put_version(o, "ntlm.server.version", m + 48);
    }
    if (!ti || !tlen)
        return;
    struct rdr r;
    rdr_init(&r, ti, tlen);
    for (unsigned i = 0; i < 64 && rdr_left(&r) >= 4; i++) {
        uint16_t id = rdr_u16le(&r), len = rdr_u16le(&r);
        const uint8_t *v = rdr_bytes(&r, len);
        if (!v) {
            proto_anomaly(o, "ntlm.av_pair_truncated");
            return;
        }
        static const char *const names[] = {
            NULL,
            "ntlm.server.nb_computer_name",
            "ntlm.server.nb_domain_name",
            "ntlm.server.dns_computer_name",
            "ntlm.server.dns_domain_name",
            "ntlm.server.dns_tree_name",
        };
        if (id == 0) /* MsvAvEOL */
            return;
        if (id < sizeof(names) / sizeof(names[0]))
            put_utf16(o, names[id], v, len);
    }
}

static void ntlm_authenticate(struct proto_out *o, const uint8_t *m, size_t n)
{
    if (n < 64) {
        proto_anomaly(o, "ntlm.authenticate_truncated");
        return;
    }
    uint32_t flags = le32(m + 60);
    int uni = (flags & NTLMSSP_NEGOTIATE_UNICODE) != 0;
    size_t ntlen, dlen, ulen, wlen;
    /* only the length of the NT response is used, never its bytes */
    const uint8_t *nt = ntlm_field(o, m, n, 20, &ntlen);
    const uint8_t *dom = ntlm_field(o, m, n, 28, &dlen);
    const uint8_t *user = ntlm_field(o, m, n, 36, &ulen);
    const uint8_t *ws = ntlm_field(o, m, n, 44, &wlen);
    put_name(o, "ntlm.user", user, ulen, uni);
    put_name(o, "ntlm.domain", dom, dlen, uni);
    put_name(o, "ntlm.workstation", ws, wlen, uni);
    if (nt && ntlen)
        proto_cstr(o, "ntlm.version", ntlen > 24 ? "v2" : "v1");
}

/* The NTLM message inside blob (raw, SPNEGO-wrapped, or found by its signature). */
static const uint8_t *ntlm_locate(const uint8_t *blob, size_t n, size_t *mlen)
{
    const uint8_t *m = NULL;
    if (!blob || n < 12)
        return NULL;
    if (memcmp(blob, ntlm_sig, sizeof(ntlm_sig)) == 0) {
        *mlen = n;
        return blob;
    }
    struct rdr r;
    rdr_init(&r, blob, n);
    if (spnego_token(&r, 0, &m, mlen) == 0 && m && *mlen >= 12 &&
        memcmp(m, ntlm_sig, sizeof(ntlm_sig)) == 0)
        return m;
    m = find_sig(blob, n, mlen);
    return m && *mlen >= 12 ? m : NULL;
}

int ntlmssp_peek(const uint8_t *blob, size_t n, struct ntlm_names *nm)
{
    size_t mlen = 0;
    const uint8_t *m = ntlm_locate(blob, n, &mlen);
    if (!m)
        return -1;
    uint32_t type = le32(m + 8);
    if (type < 1 || type > 3)
        return -1;
    if (type != 3 || !nm)
        return (int)type;
    nm->user[0] = nm->domain[0] = 0;
    if (mlen < 64)
        return 3;
    int uni = (le32(m + 60) & NTLMSSP_NEGOTIATE_UNICODE) != 0;
    struct {
        size_t off;
        char *dst;
    } f[2] = {{36, nm->user}, {28, nm->domain}};
    for (int i = 0; i < 2; i++) {
        size_t len = (size_t)m[f[i].off] | (size_t)m[f[i].off + 1] << 8;
        size_t at = le32(m + f[i].off + 4);
        if (len && at <= mlen && len <= mlen - at)
            ntlm_name(f[i].dst, sizeof(nm->user), m + at, len, uni);
    }
    return 3;
}

int ntlmssp_fields(struct proto_out *o, const uint8_t *blob, size_t n)
{
    size_t mlen = 0;
    const uint8_t *m = ntlm_locate(blob, n, &mlen);
    if (!m)
        return -1;
    switch (le32(m + 8)) {
    case 1:
        return 1;
    case 2:
        ntlm_challenge(o, m, mlen);
        return 2;
    case 3:
        ntlm_authenticate(o, m, mlen);
        return 3;
    default:
        proto_anomaly(o, "ntlm.bad_message_type");
        return -1;
    }
}
