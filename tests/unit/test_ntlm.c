/* test_ntlm.c — NTLMSSP messages raw and inside SPNEGO, hostile offsets, UTF-16. */
#include "t.h"

#include "proto/ntlm.h"

#include <stdlib.h>
#include <string.h>

struct nb {
    uint8_t b[2048];
    size_t n;
};

static void nb_u16(struct nb *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
    m->b[m->n++] = (uint8_t)(v >> 8);
}
static void nb_u32(struct nb *m, uint32_t v)
{
    nb_u16(m, v & 0xffff);
    nb_u16(m, v >> 16);
}
static void nb_utf16(struct nb *m, const char *s)
{
    while (*s)
        nb_u16(m, (uint8_t)*s++);
}
static void nb_field(struct nb *m, size_t len, size_t off)
{
    nb_u16(m, (unsigned)len);
    nb_u16(m, (unsigned)len);
    nb_u32(m, (uint32_t)off);
}
static void nb_av(struct nb *m, unsigned id, const char *s)
{
    nb_u16(m, id);
    nb_u16(m, (unsigned)strlen(s) * 2);
    nb_utf16(m, s);
}

/* CHALLENGE with version 10.0.17763 and TargetInfo AV pairs. */
static void challenge(struct nb *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->b, "NTLMSSP", 8);
    m->n = 8;
    nb_u32(m, 2);
    nb_field(m, 0, 56);
    nb_u32(m, 0x02898215); /* UNICODE | VERSION | TARGET_INFO … */
    m->n += 16;            /* ServerChallenge, Reserved */
    size_t ti_len_at = m->n;
    nb_field(m, 0, 56);
    m->b[m->n++] = 10;
    m->b[m->n++] = 0;
    nb_u16(m, 17763);
    m->n += 4;
    size_t start = m->n;
    nb_av(m, 2, "CORP");
    nb_av(m, 1, "DC01");
    nb_av(m, 4, "corp.example");
    nb_av(m, 3, "dc01.corp.example");
    nb_u16(m, 7); /* MsvAvTimestamp, not a name */
    nb_u16(m, 8);
    m->n += 8;
    nb_u16(m, 0);
    nb_u16(m, 0);
    size_t len = m->n - start;
    m->b[ti_len_at] = m->b[ti_len_at + 2] = (uint8_t)len;
    m->b[ti_len_at + 1] = m->b[ti_len_at + 3] = (uint8_t)(len >> 8);
}

/* AUTHENTICATE; unicode or OEM; NT response of nt bytes. */
static void authenticate(struct nb *m, int unicode, size_t nt)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->b, "NTLMSSP", 8);
    m->n = 8;
    nb_u32(m, 3);
    const char *dom = "CORP", *user = "bob", *ws = "PC7";
    size_t w = unicode ? 2 : 1, at = 88;
    nb_field(m, 24, at);
    nb_field(m, nt, at + 24);
    nb_field(m, strlen(dom) * w, at + 24 + nt);
    nb_field(m, strlen(user) * w, at + 24 + nt + strlen(dom) * w);
    nb_field(m, strlen(ws) * w, at + 24 + nt + (strlen(dom) + strlen(user)) * w);
    nb_field(m, 0, at);
    nb_u32(m, unicode ? 0xa2888205 : 0xa2888206);
    m->n = at + 24 + nt;
    const char *s[3] = {dom, user, ws};
    for (int i = 0; i < 3; i++) {
        if (unicode) {
            nb_utf16(m, s[i]);
        } else {
            memcpy(m->b + m->n, s[i], strlen(s[i]));
            m->n += strlen(s[i]);
        }
    }
}

/* Wrap tok as SPNEGO: GSS [APPLICATION 0] + negTokenInit, or a bare negTokenResp. */
static size_t spnego(uint8_t *out, const uint8_t *tok, size_t n, int init)
{
    uint8_t inner[2048];
    size_t k = 0;
    /* SEQUENCE { [0] (mechTypes or negState), [2] OCTET STRING tok } with 2-byte lengths */
    uint8_t seq[2048];
    size_t q = 0;
    static const uint8_t mech[] = {0xa0, 0x0e, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06,
                                   0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
    static const uint8_t state[] = {0xa0, 0x03, 0x0a, 0x01, 0x01};
    memcpy(seq, init ? mech : state, init ? sizeof(mech) : sizeof(state));
    q = init ? sizeof(mech) : sizeof(state);
    seq[q++] = 0xa2;
    seq[q++] = 0x82;
    seq[q++] = (uint8_t)((n + 4) >> 8);
    seq[q++] = (uint8_t)(n + 4);
    seq[q++] = 0x04;
    seq[q++] = 0x82;
    seq[q++] = (uint8_t)(n >> 8);
    seq[q++] = (uint8_t)n;
    memcpy(seq + q, tok, n);
    q += n;
    inner[k++] = init ? 0xa0 : 0xa1;
    inner[k++] = 0x82;
    inner[k++] = (uint8_t)((q + 4) >> 8);
    inner[k++] = (uint8_t)(q + 4);
    inner[k++] = 0x30;
    inner[k++] = 0x82;
    inner[k++] = (uint8_t)(q >> 8);
    inner[k++] = (uint8_t)q;
    memcpy(inner + k, seq, q);
    k += q;
    if (!init) {
        memcpy(out, inner, k);
        return k;
    }
    static const uint8_t oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    size_t o = 0;
    out[o++] = 0x60;
    out[o++] = 0x82;
    out[o++] = (uint8_t)((k + sizeof(oid)) >> 8);
    out[o++] = (uint8_t)(k + sizeof(oid));
    memcpy(out + o, oid, sizeof(oid));
    o += sizeof(oid);
    memcpy(out + o, inner, k);
    return o + k;
}

static const char *one(struct proto_out *o, const char *path)
{
    return o->nrecs ? proto_out_get(o, o->nrecs - 1, path) : NULL;
}

TEST(ntlm_challenge_av_pairs)
{
    struct nb m;
    challenge(&m);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "t");
    ASSERT_EQ(ntlmssp_fields(&o, m.b, m.n), 2);
    proto_end(&o);
    ASSERT_STR_EQ(one(&o, "ntlm.server.nb_domain_name"), "CORP");
    ASSERT_STR_EQ(one(&o, "ntlm.server.nb_computer_name"), "DC01");
    ASSERT_STR_EQ(one(&o, "ntlm.server.dns_domain_name"), "corp.example");
    ASSERT_STR_EQ(one(&o, "ntlm.server.dns_computer_name"), "dc01.corp.example");
    ASSERT_STR_EQ(one(&o, "ntlm.server.version"), "10.0.17763");
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

TEST(ntlm_authenticate_unicode_oem_v1_v2)
{
    struct nb m;
    struct proto_out o;
    proto_out_init(&o, 0);
    authenticate(&m, 1, 300);
    proto_begin(&o, "t");
    ASSERT_EQ(ntlmssp_fields(&o, m.b, m.n), 3);
    proto_end(&o);
    ASSERT_STR_EQ(one(&o, "ntlm.user"), "bob");
    ASSERT_STR_EQ(one(&o, "ntlm.domain"), "CORP");
    ASSERT_STR_EQ(one(&o, "ntlm.workstation"), "PC7");
    ASSERT_STR_EQ(one(&o, "ntlm.version"), "v2");
    authenticate(&m, 0, 24);
    proto_begin(&o, "t");
    ASSERT_EQ(ntlmssp_fields(&o, m.b, m.n), 3);
    proto_end(&o);
    ASSERT_STR_EQ(one(&o, "ntlm.user"), "bob");
    ASSERT_STR_EQ(one(&o, "ntlm.workstation"), "PC7");
    ASSERT_STR_EQ(one(&o, "ntlm.version"), "v1");
    /* nothing of the responses is written */
    ASSERT_EQ(o.recs[1].nvals, 4);
    struct ntlm_names nm;
    ASSERT_EQ(ntlmssp_peek(m.b, m.n, &nm), 3);
    ASSERT_STR_EQ(nm.user, "bob");
    ASSERT_STR_EQ(nm.domain, "CORP");
    proto_out_release(&o);
}

TEST(ntlm_in_spnego_init_and_resp)
{
    struct nb m;
    uint8_t w[4096];
    struct proto_out o;
    proto_out_init(&o, 0);
    authenticate(&m, 1, 100);
    size_t n = spnego(w, m.b, m.n, 0);
    proto_begin(&o, "t");
    ASSERT_EQ(ntlmssp_fields(&o, w, n), 3);
    proto_end(&o);
    ASSERT_STR_EQ(one(&o, "ntlm.user"), "bob");
    challenge(&m);
    n = spnego(w, m.b, m.n, 1);
    ASSERT_EQ(w[0], 0x60);
    ASSERT_EQ(ntlmssp_peek(w, n, NULL), 2);
    /* NEGOTIATE inside a GSS token */
    uint8_t neg[32] = "NTLMSSP";
    neg[8] = 1;
    n = spnego(w, neg, sizeof(neg), 1);
    ASSERT_EQ(ntlmssp_peek(w, n, NULL), 1);
    /* a DER length lying about the size: found by the signature scan instead */
    w[1] = 0x84;
    ASSERT_EQ(ntlmssp_peek(w, n, NULL), 1);
    ASSERT_EQ(ntlmssp_peek((const uint8_t *)"\x60\x03\x06\x01", 4, NULL), -1);
    proto_out_release(&o);
}

TEST(ntlm_hostile_offsets_and_truncations)
{
    struct nb m;
    struct proto_out o;
    proto_out_init(&o, 0);
    authenticate(&m, 1, 100);
    m.b[40] = 0xff; /* UserNameFields.BufferOffset far away */
    m.b[41] = 0xff;
    proto_begin(&o, "t");
    ASSERT_EQ(ntlmssp_fields(&o, m.b, m.n), 3);
    proto_end(&o);
    ASSERT_TRUE(one(&o, "ntlm.user") == NULL);
    ASSERT_STR_EQ(one(&o, "ntlm.domain"), "CORP");
    ASSERT_EQ(proto_out_anomaly(&o, "ntlm.field_out_of_bounds"), 1);
    /* every prefix of both messages, on exact-size copies */
    for (int kind = 0; kind < 2; kind++) {
        if (kind)
            challenge(&m);
        else
            authenticate(&m, 1, 100);
        for (size_t n = 0; n <= m.n; n++) {
            uint8_t *c = malloc(n ? n : 1);
            memcpy(c, m.b, n);
            proto_begin(&o, "t");
            ntlmssp_fields(&o, c, n);
            proto_end(&o);
            free(c);
        }
    }
    ASSERT_EQ(ntlmssp_fields(&o, (const uint8_t *)"NTLMSSP\0\x09\0\0\0", 12), -1);
    ASSERT_EQ(proto_out_anomaly(&o, "ntlm.bad_message_type"), 1);
    proto_out_release(&o);
}

TEST(ntlm_utf16le)
{
    char out[16];
    /* "é" U+00E9, "€" U+20AC, U+1F600 as a surrogate pair, a lone low surrogate */
    const uint8_t s[] = {0xe9, 0x00, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc, 'a', 0};
    ASSERT_EQ(ntlm_utf16le(out, sizeof(out), s, sizeof(s)), 2 + 3 + 4 + 3 + 1);
    ASSERT_STR_EQ(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd"
                       "a");
    /* cut at a character boundary when full */
    ASSERT_EQ(ntlm_utf16le(out, 5, s, sizeof(s)), 2);
    ASSERT_STR_EQ(out, "\xc3\xa9");
    ASSERT_EQ(ntlm_utf16le(out, sizeof(out), s, 1), 0);
}
