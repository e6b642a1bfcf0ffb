/*
 * test_proto_tls.c — TLS records and handshake, JA3/JA3S/JA4, X.509 fields.
 *
 * Hand-built hellos check the fingerprint rules (the JA3 README example, GREASE,
 * JA4's ALPN and empty-list cases, hellos split across records and data calls);
 * certificates made with libcrypto at run time check the DER reader; corpus
 * captures check the values their origin oracles state (MANIFEST.md).
 */
#include "core/err.h"
#include "decode/decode.h"
#include "proto/proto.h"
#include "proto/tls.h"
#include "proto/x509.h"
#include "t.h"
#include "t_pcap.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- building bytes */

struct bb {
    uint8_t b[16384];
    size_t n;
};

static void put8(struct bb *b, unsigned v)
{
    b->b[b->n++] = (uint8_t)v;
}
static void put16(struct bb *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}
static void put24(struct bb *b, unsigned v)
{
    put8(b, v >> 16);
    put16(b, v & 0xffff);
}
static void putb(struct bb *b, const void *p, size_t n)
{
    if (n)
        memcpy(b->b + b->n, p, n);
    b->n += n;
}
/* Length fields written after their contents: mark, then close. */
static size_t mark(struct bb *b, int width)
{
    size_t m = b->n;
    b->n += (size_t)width;
    return m;
}
static void close_len(struct bb *b, size_t m, int width)
{
    size_t len = b->n - m - (size_t)width;
    for (int i = 0; i < width; i++)
        b->b[m + (size_t)i] = (uint8_t)(len >> (8 * (width - 1 - i)));
}

struct hello_spec {
    unsigned version;
    const unsigned *ciphers;
    size_t nciphers;
    const char *sni;        /* NULL: no server_name */
    const unsigned *groups; /* supported_groups (10) */
    size_t ngroups;
    int formats;             /* ec_point_formats (11) with one value 0 */
    const unsigned *sigalgs; /* signature_algorithms (13) */
    size_t nsigalgs;
    const char *const *alpn; /* ALPN (16) */
    size_t nalpn;
    const unsigned *versions; /* supported_versions (43) */
    size_t nversions;
    int grease_exts; /* a GREASE extension first and last */
};

/* An extension holding one list of 16-bit values with a 2-byte length. */
static void u16_ext(struct bb *b, unsigned type, const unsigned *v, size_t n)
{
    put16(b, type);
    put16(b, (unsigned)(2 + 2 * n));
    put16(b, (unsigned)(2 * n));
    for (size_t i = 0; i < n; i++)
        put16(b, v[i]);
}

/* A ClientHello handshake message (header included) into b. */
static void client_hello(struct bb *b, const struct hello_spec *s)
{
    put8(b, 1);
    size_t mlen = mark(b, 3);
    put16(b, s->version);
    for (int i = 0; i < 32; i++)
        put8(b, i);
    put8(b, 0); /* session id */
    put16(b, (unsigned)(2 * s->nciphers));
    for (size_t i = 0; i < s->nciphers; i++)
        put16(b, s->ciphers[i]);
    put8(b, 1);
    put8(b, 0);
    size_t elen = mark(b, 2);
    if (s->grease_exts) {
        put16(b, 0x1a1a);
        put16(b, 0);
    }
    if (s->sni) {
        put16(b, 0);
        size_t e = mark(b, 2), l = mark(b, 2);
        put8(b, 0);
        put16(b, (unsigned)strlen(s->sni));
        putb(b, s->sni, strlen(s->sni));
        close_len(b, l, 2);
        close_len(b, e, 2);
    }
    if (s->ngroups)
        u16_ext(b, 10, s->groups, s->ngroups);
    if (s->formats) {
        put16(b, 11);
        put16(b, 2);
        put8(b, 1);
        put8(b, 0);
    }
    if (s->nsigalgs)
        u16_ext(b, 13, s->sigalgs, s->nsigalgs);
    if (s->nalpn) {
        put16(b, 16);
        size_t e = mark(b, 2), l = mark(b, 2);
        for (size_t i = 0; i < s->nalpn; i++) {
            put8(b, (unsigned)strlen(s->alpn[i]));
            putb(b, s->alpn[i], strlen(s->alpn[i]));
        }
        close_len(b, l, 2);
        close_len(b, e, 2);
    }
    if (s->nversions) {
        put16(b, 43);
        put16(b, (unsigned)(1 + 2 * s->nversions));
        put8(b, (unsigned)(2 * s->nversions));
        for (size_t i = 0; i < s->nversions; i++)
            put16(b, s->versions[i]);
    }
    if (s->grease_exts) {
        put16(b, 0x4a4a);
        put16(b, 1);
        put8(b, 0);
    }
    close_len(b, elen, 2);
    close_len(b, mlen, 3);
}

/* Wrap msg into records of at most `chunk` bytes of content type `type`. */
static void records(struct bb *out, unsigned type, const uint8_t *msg, size_t n, size_t chunk)
{
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        put8(out, type);
        put16(out, 0x0301);
        put16(out, (unsigned)k);
        putb(out, msg + off, k);
    }
}

/* ---------------------------------------------------------------- running the parser */

struct run {
    struct proto_out o;
    void *st;
    struct proto_ctx c;
    int done;
};

static void run_init(struct run *r, const struct proto_parser *p)
{
    proto_out_init(&r->o, 0);
    r->st = calloc(1, p->state_size);
    memset(&r->c, 0, sizeof r->c);
    r->c.ipver = 4;
    r->c.l4 = 6;
    r->c.srv_port = 443;
    r->done = 0;
}

static void run_data(struct run *r, const struct proto_parser *p, int dir, const uint8_t *d,
                     size_t n)
{
    if (!r->done)
        r->done = p->data(r->st, &r->o, &r->c, dir, d, n);
}

static void run_end(struct run *r, const struct proto_parser *p)
{
    if (!r->done && p->end)
        p->end(r->st, &r->o, &r->c);
    r->done = 1;
}

static void run_free(struct run *r, const struct proto_parser *p)
{
    if (p->release)
        p->release(r->st);
    free(r->st);
    proto_out_release(&r->o);
}

/* The first record of `type` (asserted to exist by the caller through its index). */
static long rec(const struct run *r, const char *type)
{
    return proto_out_find(&r->o, type, 0);
}

#define GET(r, i, path) proto_out_get(&(r)->o, (size_t)(i), path)

/* ---------------------------------------------------------------- fingerprints */

static const unsigned ja3_ciphers[] = {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4};
static const unsigned ja3_groups[] = {23, 24, 25};

TEST(tls_ja3_readme_example)
{
    /* github.com/salesforce/ja3 README: "769,47-53-5-10-…,0-10-11,23-24-25,0"; its MD5 was
     * computed with md5sum over the string: ada70206e40642a3e4461f35503241d5 */
    struct hello_spec s = {0x0301, ja3_ciphers, 12, "example.com", ja3_groups, 3, 1, NULL,
                           0,      NULL,        0,  NULL,          0,          0};
    struct bb m = {.n = 0};
    client_hello(&m, &s);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "tls");
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, m.n, 't'), 0);
    proto_end(&o);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.ja3_string"),
                  "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.ja3"), "ada70206e40642a3e4461f35503241d5");
    /* JA4: no ALPN → "00"; no signature algorithms → no '_' before hashing the extensions;
     * sha256("0004,0005,000a,0013,002f,0032,0035,0038,c009,c00a,c013,c014") = d94e65cdb899…,
     * sha256("000a,000b") = 33a13ba74d1c… (python hashlib) */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.ja4"), "t10d120300_d94e65cdb899_33a13ba74d1c");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.server_name"), "example.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.version"), "1.0");
    ASSERT_EQ(proto_out_count(&o, 0, "tls.client.ciphers"), 12);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.client.ciphers", 4), "c009");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.client.extensions", 1), "10");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.client.supported_groups", 2), "25");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.grease"), "false");
    /* QUIC's caller picks the transport letter */
    proto_begin(&o, "quic");
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, m.n, 'q'), 0);
    proto_end(&o);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "tls.client.ja4"), "q10d120300_d94e65cdb899_33a13ba74d1c");
    /* not a ClientHello */
    m.b[0] = 2;
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, m.n, 't'), -1);
    m.b[0] = 1;
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, 20, 't'), -1);
    proto_out_release(&o);
}

TEST(tls_ja3_readme_no_extensions)
{
    static const unsigned c[] = {4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99};
    struct hello_spec s = {0x0301, c, 11, NULL, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, 0};
    struct bb m = {.n = 0};
    client_hello(&m, &s);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "tls");
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, m.n, 't'), 0);
    proto_end(&o);
    /* README: "If there are no SSL Extensions in the Client Hello, the fields are left empty" */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.ja3_string"),
                  "769,4-5-10-9-100-98-3-6-19-18-99,,,");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.ja3"), "de350869b8c85de67a350c8d186f11e6");
    /* JA4: no extensions → JA4_c is twelve zeros */
    const char *ja4 = proto_out_get(&o, 0, "tls.client.ja4");
    ASSERT_TRUE(ja4 != NULL);
    ASSERT_STR_EQ(strrchr(ja4, '_'), "_000000000000");
    ASSERT_TRUE(strncmp(ja4, "t10i1100", 8) == 0);
    proto_out_release(&o);
}

static const unsigned g_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0xc02b};
static const unsigned g_groups[] = {0x2a2a, 29, 23};
static const unsigned g_sigalgs[] = {0x0403, 0x0804};
static const char *const g_alpn[] = {"h2", "http/1.1"};
static const unsigned g_versions[] = {0x3a3a, 0x0304, 0x0303};

static void grease_hello(struct bb *m)
{
    struct hello_spec s = {0x0303, g_ciphers, 4, "example.com", g_groups, 3, 1, g_sigalgs,
                           2,      g_alpn,    2, g_versions,    3,        1};
    client_hello(m, &s);
}

static int check_grease_fields(const struct proto_out *o, size_t i)
{
    const char *v;
    /* GREASE (RFC 8701) is dropped from the JA3 string: md5 by python hashlib */
    v = proto_out_get(o, i, "tls.client.ja3_string");
    if (!v || strcmp(v, "771,4865-4866-49195,0-10-11-13-16-43,29-23,0") != 0)
        return 0;
    v = proto_out_get(o, i, "tls.client.ja3");
    if (!v || strcmp(v, "11138d9933242c3a03b6aad35a296476") != 0)
        return 0;
    /* JA4: highest supported_versions value (0x0304), 3 ciphers, 6 extensions, "h2";
     * sha256("1301,1302,c02b") = 5559582ccdc4…; sha256("000a,000b,000d,002b_0403,0804") =
     * fb71836bce29… */
    v = proto_out_get(o, i, "tls.client.ja4");
    if (!v || strcmp(v, "t13d0306h2_5559582ccdc4_fb71836bce29") != 0)
        return 0;
    v = proto_out_get(o, i, "tls.client.ja4_r");
    if (!v || strcmp(v, "t13d0306h2_1301,1302,c02b_000a,000b,000d,002b_0403,0804") != 0)
        return 0;
    return 1;
}

TEST(tls_grease_left_out)
{
    struct bb m = {.n = 0};
    grease_hello(&m);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "tls");
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, m.n, 't'), 0);
    proto_end(&o);
    ASSERT_TRUE(check_grease_fields(&o, 0));
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.grease"), "true");
    ASSERT_EQ(proto_out_count(&o, 0, "tls.client.ciphers"), 3);
    ASSERT_EQ(proto_out_count(&o, 0, "tls.client.extensions"), 6);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.client.version"), "1.3");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.client.supported_versions", 1), "1.2");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.client.alpn", 1), "http/1.1");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.client.signature_algorithms", 1), "0804");
    proto_out_release(&o);
}

/* JA4 §ALPN Extension Value: first/last alphanumeric character, else the hex rule. */
static const char *ja4_alpn_of(const char *alpn, char *out)
{
    const char *const a[] = {alpn};
    static const unsigned c[] = {0x1301};
    struct hello_spec s = {0x0303, c, 1, NULL, NULL, 0, 0, NULL, 0, a, alpn ? 1 : 0, NULL, 0, 0};
    struct bb m = {.n = 0};
    client_hello(&m, &s);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "tls");
    out[0] = 0;
    if (tls_client_hello_fields(&o, m.b, m.n, 't') == 0) {
        proto_end(&o);
        const char *j = proto_out_get(&o, 0, "tls.client.ja4");
        if (j && strlen(j) > 10) {
            memcpy(out, j + 8, 2);
            out[2] = 0;
        }
    }
    proto_out_release(&o);
    return out;
}

TEST(tls_ja4_alpn_rules)
{
    char t[3];
    ASSERT_STR_EQ(ja4_alpn_of("h2", t), "h2");
    ASSERT_STR_EQ(ja4_alpn_of("http/1.1", t), "h1");
    ASSERT_STR_EQ(ja4_alpn_of("x", t), "xx");
    ASSERT_STR_EQ(ja4_alpn_of(NULL, t), "00");
    ASSERT_STR_EQ(ja4_alpn_of("", t), "00");
    /* the spec's own examples */
    ASSERT_STR_EQ(ja4_alpn_of("\xab", t), "ab");
    ASSERT_STR_EQ(ja4_alpn_of("\xab\xcd", t), "ad");
    ASSERT_STR_EQ(ja4_alpn_of("0\xab", t), "3b");
    ASSERT_STR_EQ(ja4_alpn_of("01\xab\xcd", t), "3d");
    ASSERT_STR_EQ(ja4_alpn_of("0\xab\xcd"
                              "1",
                              t),
                  "01");
}

TEST(tls_ja4_no_ciphers)
{
    struct hello_spec s = {0x0303, NULL, 0, "a.example", NULL, 0, 1, NULL, 0, NULL, 0, NULL, 0, 0};
    struct bb m = {.n = 0};
    client_hello(&m, &s);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "tls");
    ASSERT_EQ(tls_client_hello_fields(&o, m.b, m.n, 't'), 0);
    proto_end(&o);
    /* JA4 §Cipher hash: no ciphers → twelve zeros; extensions SNI and ec_point_formats */
    const char *j = proto_out_get(&o, 0, "tls.client.ja4");
    ASSERT_TRUE(j != NULL);
    /* sha256("000b") = bcb145a8c2a7… (python hashlib) */
    ASSERT_STR_EQ(j, "t12d000200_000000000000_bcb145a8c2a7");
    proto_out_release(&o);
}

/* ---------------------------------------------------------------- the stream */

TEST(tls_client_hello_split_across_records_and_calls)
{
    struct bb m = {.n = 0}, recs = {.n = 0};
    grease_hello(&m);
    records(&recs, 22, m.b, m.n, 50); /* several records of 50 bytes */
    ASSERT_GT(recs.n, m.n + 2 * 5);
    struct run r;
    run_init(&r, &proto_tls);
    for (size_t i = 0; i < recs.n; i++) /* and one byte per data call */
        run_data(&r, &proto_tls, 0, recs.b + i, 1);
    run_end(&r, &proto_tls);
    long i = rec(&r, "tls");
    ASSERT_EQ(i, 0);
    ASSERT_TRUE(check_grease_fields(&r.o, 0));
    ASSERT_STR_EQ(GET(&r, 0, "tls.client.server_name"), "example.com");
    ASSERT_TRUE(GET(&r, 0, "tls.version") == NULL); /* no ServerHello */
    run_free(&r, &proto_tls);

    /* one record, cut at every position into two data calls */
    struct bb one = {.n = 0};
    records(&one, 22, m.b, m.n, m.n);
    for (size_t cut = 1; cut < one.n; cut += 7) {
        run_init(&r, &proto_tls);
        run_data(&r, &proto_tls, 0, one.b, cut);
        run_data(&r, &proto_tls, 0, one.b + cut, one.n - cut);
        run_end(&r, &proto_tls);
        ASSERT_EQ(r.o.nrecs, 1);
        ASSERT_TRUE(check_grease_fields(&r.o, 0));
        run_free(&r, &proto_tls);
    }
}

TEST(tls_sslv2_client_hello)
{
    /* RFC 5246 E.2: | 0x80|len | msg_type 1 | version 0x0301 | cipher_spec_length 3 |
     * session_id_length 0 | challenge_length 16 | cipher_specs | challenge | */
    struct bb b = {.n = 0};
    put8(&b, 0x80);
    put8(&b, 9 + 3 + 16);
    put8(&b, 1);
    put16(&b, 0x0301);
    put16(&b, 3);
    put16(&b, 0);
    put16(&b, 16);
    put8(&b, 0x00);
    put16(&b, 0x002f);
    for (int i = 0; i < 16; i++)
        put8(&b, i);
    struct run r;
    run_init(&r, &proto_tls);
    ASSERT_EQ(proto_tls.probe(&r.c, 0, b.b, b.n), PROTO_CONTENT);
    run_data(&r, &proto_tls, 0, b.b, b.n);
    run_end(&r, &proto_tls);
    ASSERT_EQ(proto_out_anomaly(&r.o, "tls.sslv2_client_hello"), 1);
    ASSERT_EQ(proto_out_anomaly(&r.o, "tls.bad_record"), 0);
    ASSERT_STR_EQ(GET(&r, 0, "tls.client.version"), "1.0");
    run_free(&r, &proto_tls);
}

TEST(tls_hostile_records)
{
    struct run r;
    /* a record longer than 2^14 + 2048 */
    static const uint8_t big[] = {22, 3, 1, 0x48, 0x01, 1, 0, 0, 4};
    run_init(&r, &proto_tls);
    run_data(&r, &proto_tls, 0, big, sizeof big);
    ASSERT_EQ(proto_out_anomaly(&r.o, "tls.record_too_long"), 1);
    run_end(&r, &proto_tls);
    ASSERT_EQ(r.o.nrecs, 0);
    run_free(&r, &proto_tls);
    /* a handshake message that claims 16 MiB */
    static const uint8_t huge[] = {22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff};
    run_init(&r, &proto_tls);
    run_data(&r, &proto_tls, 0, huge, sizeof huge);
    ASSERT_EQ(proto_out_anomaly(&r.o, "tls.handshake_too_long"), 1);
    run_free(&r, &proto_tls);
    /* not TLS at all */
    run_init(&r, &proto_tls);
    run_data(&r, &proto_tls, 0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16);
    ASSERT_EQ(proto_out_anomaly(&r.o, "tls.bad_record"), 1);
    ASSERT_EQ(proto_tls.probe(&r.c, 0, (const uint8_t *)"GET /", 5), PROTO_PORT);
    r.c.srv_port = 80;
    ASSERT_EQ(proto_tls.probe(&r.c, 0, (const uint8_t *)"GET /", 5), PROTO_NO);
    run_free(&r, &proto_tls);
}

/* ---------------------------------------------------------------- certificates */

static EVP_PKEY *ec_key(void)
{
    return EVP_EC_gen("P-256");
}

/* A DER certificate (caller frees with OPENSSL_free) signed by `signer`. */
static int make_cert(EVP_PKEY *key, EVP_PKEY *signer, const char *cn, const char *issuer_cn,
                     long serial, const char *san, uint8_t **der)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "200102030405Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20510102030405Z");
    X509_set_pubkey(x, key);
    for (int k = 0; k < 2; k++) {
        X509_NAME *nm = X509_NAME_new();
        X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
        X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"Org, Inc.", -1,
                                   -1, 0);
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                   (const unsigned char *)(k ? issuer_cn : cn), -1, -1, 0);
        if (k)
            X509_set_issuer_name(x, nm);
        else
            X509_set_subject_name(x, nm);
        X509_NAME_free(nm);
    }
    if (san) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_sign(x, signer, EVP_sha256());
    *der = NULL;
    int n = i2d_X509(x, der);
    X509_free(x);
    return n;
}

TEST(x509_fields_of_a_made_certificate)
{
    EVP_PKEY *ca = ec_key(), *leaf = ec_key();
    ASSERT_TRUE(ca && leaf);
    uint8_t *d1 = NULL, *d2 = NULL;
    int n1 =
        make_cert(leaf, ca, "leaf.example.com", "Test CA", 0x9abc,
                  "DNS:www.example.com,IP:192.0.2.1,DNS:example.com,IP:2001:db8:0:0:1:0:0:1", &d1);
    int n2 = make_cert(ca, ca, "Test CA", "Test CA", 1, NULL, &d2);
    ASSERT_GT(n1, 100);
    ASSERT_GT(n2, 100);
    struct x509_cert c;
    ASSERT_EQ(x509_parse(&c, d1, (size_t)n1), 0);
    char dn[512];
    x509_name_str(&c.subject, dn, sizeof dn);
    ASSERT_STR_EQ(dn, "CN=leaf.example.com,O=Org\\, Inc.,C=US"); /* RFC 4514 §2.4 escape */
    ASSERT_EQ(c.version, 3);
    ASSERT_EQ(c.serial_len, 2); /* DER 00 9a bc: the sign byte goes */
    ASSERT_STR_EQ(c.not_before, "2020-01-02T03:04:05Z");
    ASSERT_STR_EQ(c.not_after, "2051-01-02T03:04:05Z");
    ASSERT_STR_EQ(c.key_alg, "ec");
    ASSERT_STR_EQ(c.key_curve, "secp256r1");
    ASSERT_EQ(c.key_bits, 256);
    ASSERT_STR_EQ(c.sig_alg, "ECDSA-SHA256");
    ASSERT_EQ(x509_self_signed(&c), 0);

    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "tls");
    x509_emit(&o, &x509_paths_server, &c);
    proto_end(&o);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.serial_number"), "9abc");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.subject.common_name"), "leaf.example.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.subject.organization"), "Org, Inc.");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.subject.country"), "US");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.issuer.common_name"), "Test CA");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.issuer.distinguished_name"),
                  "CN=Test CA,O=Org\\, Inc.,C=US");
    ASSERT_EQ(proto_out_count(&o, 0, "tls.server.x509.alternative_names"), 4);
    /* RFC 5952 §4.2.3: of two equal zero runs the first becomes "::" */
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.server.x509.alternative_names", 3),
                  "2001:db8::1:0:0:1");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.server.x509.alternative_names", 1), "192.0.2.1");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "tls.server.x509.alternative_names", 2), "example.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.public_key_size"), "256");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.version_number"), "3");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.x509.self_signed"), "false");
    /* the digest libcrypto's own X509_digest gives */
    uint8_t md[20];
    unsigned mdl = 0;
    const unsigned char *p = d1;
    X509 *x = d2i_X509(NULL, &p, n1);
    ASSERT_TRUE(x && X509_digest(x, EVP_sha1(), md, &mdl) && mdl == 20);
    X509_free(x);
    char hex[41];
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "tls.server.hash.sha1"), hex);
    proto_out_release(&o);

    /* the CA: self-signed, and no longer once its signature is damaged */
    ASSERT_EQ(x509_parse(&c, d2, (size_t)n2), 0);
    ASSERT_EQ(x509_self_signed(&c), 1);
    d2[n2 - 3] ^= 0x55;
    ASSERT_EQ(x509_parse(&c, d2, (size_t)n2), 0);
    ASSERT_EQ(x509_self_signed(&c), 0);
    /* every truncation is refused or parsed without reading past the end */
    for (int k = 0; k < n1; k++)
        (void)x509_parse(&c, d1, (size_t)k);
    ASSERT_EQ(x509_parse(&c, d1, (size_t)n1 - 1), KS_EFORMAT);
    OPENSSL_free(d1);
    OPENSSL_free(d2);
    EVP_PKEY_free(ca);
    EVP_PKEY_free(leaf);
}

/* ServerHello: TLS 1.2, ECDHE-RSA-AES128-GCM, renegotiation_info, server_name, formats, ALPN h2 */
static void server_hello(struct bb *b, const uint8_t *sid, size_t sid_len)
{
    put8(b, 2);
    size_t m = mark(b, 3);
    put16(b, 0x0303);
    for (int i = 0; i < 32; i++)
        put8(b, 0x40 + i);
    put8(b, (unsigned)sid_len);
    putb(b, sid, sid_len);
    put16(b, 0xc02f);
    put8(b, 0);
    size_t e = mark(b, 2);
    put16(b, 65281);
    put16(b, 1);
    put8(b, 0);
    put16(b, 0);
    put16(b, 0);
    put16(b, 11);
    put16(b, 2);
    put8(b, 1);
    put8(b, 0);
    put16(b, 16);
    put16(b, 5);
    put16(b, 3);
    put8(b, 2);
    putb(b, "h2", 2);
    close_len(b, e, 2);
    close_len(b, m, 3);
}

TEST(tls_full_handshake_with_chain)
{
    EVP_PKEY *ca = ec_key(), *leaf = ec_key();
    ASSERT_TRUE(ca && leaf);
    uint8_t *d1 = NULL, *d2 = NULL;
    int n1 =
        make_cert(leaf, ca, "leaf.example.com", "Test CA", 0x1234, "DNS:leaf.example.com", &d1);
    int n2 = make_cert(ca, ca, "Test CA", "Test CA", 7, NULL, &d2);
    ASSERT_TRUE(n1 > 0 && n2 > 0);

    struct bb ch = {.n = 0}, srv = {.n = 0}, msgs = {.n = 0}, cli = {.n = 0};
    grease_hello(&ch);
    records(&cli, 22, ch.b, ch.n, ch.n);
    server_hello(&msgs, NULL, 0);
    put8(&msgs, 11); /* Certificate: | 3 | certificate_list 3 | (len 3 | DER)* | */
    size_t m = mark(&msgs, 3), l = mark(&msgs, 3);
    put24(&msgs, (unsigned)n1);
    putb(&msgs, d1, (size_t)n1);
    put24(&msgs, (unsigned)n2);
    putb(&msgs, d2, (size_t)n2);
    close_len(&msgs, l, 3);
    close_len(&msgs, m, 3);
    put8(&msgs, 14); /* ServerHelloDone */
    put24(&msgs, 0);
    records(&srv, 22, msgs.b, msgs.n, 300); /* the Certificate spans records */
    static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
    static const uint8_t fin[] = {22, 3, 3, 0, 4, 0xde, 0xad, 0xbe, 0xef};

    struct run r;
    run_init(&r, &proto_tls);
    ASSERT_EQ(proto_tls.probe(&r.c, 0, cli.b, cli.n), PROTO_CONTENT);
    ASSERT_EQ(proto_tls.probe(&r.c, 1, srv.b, srv.n), PROTO_CONTENT);
    run_data(&r, &proto_tls, 0, cli.b, cli.n);
    for (size_t off = 0; off < srv.n; off += 100) /* and across data calls */
        run_data(&r, &proto_tls, 1, srv.b + off, srv.n - off < 100 ? srv.n - off : 100);
    run_data(&r, &proto_tls, 0, ccs, sizeof ccs);
    run_data(&r, &proto_tls, 0, fin, sizeof fin);
    ASSERT_EQ(r.done, 0);
    ASSERT_EQ(r.o.nrecs, 0);
    run_data(&r, &proto_tls, 1, ccs, sizeof ccs);
    ASSERT_EQ(r.done, 1); /* both directions encrypted: done, record written */
    ASSERT_EQ(r.o.nrecs, 1);
    ASSERT_TRUE(check_grease_fields(&r.o, 0));
    ASSERT_STR_EQ(GET(&r, 0, "tls.version"), "1.2");
    ASSERT_STR_EQ(GET(&r, 0, "tls.version_protocol"), "tls");
    ASSERT_STR_EQ(GET(&r, 0, "tls.cipher"), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    ASSERT_STR_EQ(GET(&r, 0, "tls.next_protocol"), "h2");
    /* md5("771,49199,65281-0-11-16") by python hashlib */
    ASSERT_STR_EQ(GET(&r, 0, "tls.server.ja3s_string"), "771,49199,65281-0-11-16");
    ASSERT_STR_EQ(GET(&r, 0, "tls.server.ja3s"), "ae53107a2e47ea20c72ac44821a728bf");
    ASSERT_STR_EQ(GET(&r, 0, "tls.resumed"), "false");
    ASSERT_STR_EQ(GET(&r, 0, "tls.server.x509.subject.common_name"), "leaf.example.com");
    ASSERT_STR_EQ(GET(&r, 0, "tls.server.x509.serial_number"), "1234");
    ASSERT_STR_EQ(GET(&r, 0, "tls.server.x509.alternative_names"), "leaf.example.com");
    ASSERT_STR_EQ(GET(&r, 0, "tls.server.x509.self_signed"), "false");
    ASSERT_EQ(proto_out_count(&r.o, 0, "tls.server.chain.sha1"), 2);
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.subject", 1),
                  "CN=Test CA,O=Org\\, Inc.,C=US");
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.issuer", 0),
                  "CN=Test CA,O=Org\\, Inc.,C=US");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "tls.server.chain.sha1"),
                  GET(&r, 0, "tls.server.hash.sha1"));
    ASSERT_TRUE(strstr(r.o.recs[0].json, "\"chain\":[{\"subject\":\"CN=leaf.example.com") != NULL);
    run_free(&r, &proto_tls);

    /* an abbreviated handshake: the server echoes the session id and sends no Certificate */
    static const uint8_t sid[4] = {1, 2, 3, 4};
    struct bb ch2 = {.n = 0}, sh2 = {.n = 0}, c2 = {.n = 0}, s2 = {.n = 0};
    grease_hello(&ch2);
    ch2.b[4 + 2 + 32] = 4; /* give the ClientHello a session id: rebuild around it */
    ch2.n = 0;
    {
        struct hello_spec s = {0x0303, g_ciphers, 4,    NULL, NULL, 0, 0,
                               NULL,   0,         NULL, 0,    NULL, 0, 0};
        client_hello(&ch2, &s);
        /* splice 4 session id bytes in after the random */
        memmove(ch2.b + 39 + 4, ch2.b + 39, ch2.n - 39);
        memcpy(ch2.b + 39, sid, 4);
        ch2.b[38] = 4;
        ch2.n += 4;
        unsigned len = (unsigned)ch2.n - 4;
        ch2.b[1] = (uint8_t)(len >> 16);
        ch2.b[2] = (uint8_t)(len >> 8);
        ch2.b[3] = (uint8_t)len;
    }
    records(&c2, 22, ch2.b, ch2.n, ch2.n);
    server_hello(&sh2, sid, 4);
    records(&s2, 22, sh2.b, sh2.n, sh2.n);
    run_init(&r, &proto_tls);
    run_data(&r, &proto_tls, 0, c2.b, c2.n);
    run_data(&r, &proto_tls, 1, s2.b, s2.n);
    run_data(&r, &proto_tls, 1, ccs, sizeof ccs);
    run_data(&r, &proto_tls, 0, ccs, sizeof ccs);
    ASSERT_EQ(r.done, 1);
    ASSERT_STR_EQ(GET(&r, 0, "tls.resumed"), "true");
    ASSERT_TRUE(GET(&r, 0, "tls.server.hash.sha1") == NULL);
    run_free(&r, &proto_tls);
    OPENSSL_free(d1);
    OPENSSL_free(d2);
    EVP_PKEY_free(ca);
    EVP_PKEY_free(leaf);
}

/* ---------------------------------------------------------------- corpus */

/*
 * Feed one TCP connection of a corpus capture to a parser: the first connection to
 * srv_port (from cli_port when non-zero), each direction's payload in capture order,
 * retransmitted bytes (sequence numbers already seen) skipped.  Returns -1 without
 * the corpus.
 */
static int feed_capture(struct run *r, const struct proto_parser *p, const char *rel,
                        uint16_t srv_port, uint16_t cli_port)
{
    struct cap c;
    if (cap_load(&c, rel) < 0)
        return -1;
    run_init(r, p);
    r->c.srv_port = srv_port;
    uint32_t next[2] = {0, 0};
    int have[2] = {0, 0};
    for (int i = 0; i < c.n; i++) {
        struct decoded d;
        if (decode_packet((uint32_t)c.lt, c.p[i], c.len[i], &d) != DEC_OK || d.proto != 6)
            continue;
        int dir;
        if (d.dport == srv_port && (!cli_port || d.sport == cli_port))
            dir = 0;
        else if (d.sport == srv_port && (!cli_port || d.dport == cli_port))
            dir = 1;
        else
            continue;
        if (!cli_port)
            cli_port = dir == 0 ? d.sport : d.dport;
        if (d.payload_len == 0)
            continue;
        if (have[dir] && (int32_t)(d.seq - next[dir]) < 0)
            continue; /* retransmission */
        have[dir] = 1;
        next[dir] = d.seq + d.payload_len;
        r->c.ts_ns = c.ts[i];
        run_data(r, p, dir, c.p[i] + d.payload_off, d.payload_len);
    }
    run_end(r, p);
    cap_free(&c);
    return 0;
}

#define CORPUS(r, p, rel, sport, cport)                                                            \
    do {                                                                                           \
        if (feed_capture(r, p, rel, sport, cport) < 0) {                                           \
            t_skip("corpus absent");                                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_FIELD(r, path, want) ASSERT_STR_EQ(proto_out_get(&(r)->o, 0, path), want)

/* The facts most captures state: JA3, JA3S, JA4, cipher, version, SNI (NULL: not stated). */
struct facts {
    const char *ja3, *ja3s, *ja3s_string, *ja4, *cipher, *version, *sni;
};

static void assert_facts(const struct run *r, const struct facts *f)
{
    static const char *const path[7] = {
        "tls.client.ja3", "tls.server.ja3s", "tls.server.ja3s_string", "tls.client.ja4",
        "tls.cipher",     "tls.version",     "tls.client.server_name"};
    const char *const want[7] = {f->ja3,    f->ja3s,    f->ja3s_string, f->ja4,
                                 f->cipher, f->version, f->sni};
    for (int i = 0; i < 7; i++)
        if (want[i])
            ASSERT_STR_EQ(proto_out_get(&r->o, 0, path[i]), want[i]);
}

#define ASSERT_FACTS(r, ...)                                                                       \
    do {                                                                                           \
        assert_facts(r, &(const struct facts){__VA_ARGS__});                                       \
        T_STOP_IF_FAILED();                                                                        \
    } while (0)

/* The leaf certificate facts Suricata and Arkime state (NULL: not stated). */
struct cert_facts {
    const char *subject, *issuer, *serial, *sha1, *not_before, *not_after;
};

static void assert_cert(const struct run *r, const struct cert_facts *f)
{
    static const char *const path[6] = {"tls.server.x509.subject.distinguished_name",
                                        "tls.server.x509.issuer.distinguished_name",
                                        "tls.server.x509.serial_number",
                                        "tls.server.hash.sha1",
                                        "tls.server.x509.not_before",
                                        "tls.server.x509.not_after"};
    const char *const want[6] = {f->subject, f->issuer,     f->serial,
                                 f->sha1,    f->not_before, f->not_after};
    for (int i = 0; i < 6; i++)
        if (want[i])
            ASSERT_STR_EQ(proto_out_get(&r->o, 0, path[i]), want[i]);
}

#define ASSERT_CERT(r, ...)                                                                        \
    do {                                                                                           \
        assert_cert(r, &(const struct cert_facts){__VA_ARGS__});                                   \
        T_STOP_IF_FAILED();                                                                        \
    } while (0)

TEST(tls_corpus_suricata_ja4_tls)
{
    struct run r;
    CORPUS(&r, &proto_tls, "suricata-verify/tests/ja4-tls/input.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Suricata ja4-tls/test.yaml */
    ASSERT_FACTS(&r, .ja4 = "t12i1810s1_27d4652c4487_06a4338d0495",
                 .ja3 = "308b0bd904abbef5e0034a1ff7a78920",
                 .ja3s = "ccc514751b175866924439bdbb5bba34", .version = "1.2");
    /* tshark */
    /* Suricata bug-7286-tls-metadata-01: subject/issuer are OpenSSL's oneline order
     * ("C=FR, ST=IDF, …"); ours is RFC 4514 (reversed, ',' without space).  Serial
     * 00:97:E6:… is the DER bytes; we drop the sign byte and write lowercase. */
    ASSERT_CERT(&r, .subject = "CN=SELKS,O=Stamus,L=Paris,ST=IDF,C=FR",
                .issuer = "CN=SELKS,O=Stamus,L=Paris,ST=IDF,C=FR", .serial = "97e647098eeac9b4",
                .sha1 = "3a0b3b23152c445c27ac6a0c41d6fa74afb4095b",
                .not_before = "2015-02-12T18:07:27Z", .not_after = "2025-02-09T18:07:27Z");
    ASSERT_FIELD(&r, "tls.server.x509.self_signed", "true");
    ASSERT_FIELD(&r, "tls.server.x509.subject.common_name", "SELKS");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_suricata_certs_alert)
{
    struct run r;
    CORPUS(&r, &proto_tls, "suricata-verify/tests/tls/tls-certs-alert/input.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    ASSERT_EQ(r.done, 1);
    /* Suricata tls-ja3s/test.yaml; tshark for JA3 and SNI */
    ASSERT_FACTS(&r, .ja3s = "5d79edf64e03689ff559a54e9d9487bc",
                 .ja3s_string = "771,49199,65281-0-11-16-23",
                 .ja3 = "1fe4c7a3544eb27afec2adfb3a3dbf60", .sni = "example.com");
    ASSERT_EQ(proto_out_count(&r.o, 0, "tls.server.chain.sha1"), 3); /* "3-cert chain" */
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_suricata_client_auth)
{
    struct run r;
    CORPUS(&r, &proto_tls, "suricata-verify/tests/tls/tls-store-02/tls-client-auth.pcap", 8081, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Suricata tls-eve-custom-fields/test.yaml (DN order: see the ja4-tls test) */
    ASSERT_CERT(
        &r, .subject = "CN=SampleServer,O=TLSClientAuthSampleServer,L=Budapest,ST=Budapest,C=HU",
        .issuer = "CN=SampleRoot,O=TLSClientAuthSampleCA,L=Budapest,ST=Budapest,C=HU",
        .serial = "c7d4288b80e01e25", .sha1 = "0639f95dfe8153c49df0ac803e2d4207e896de09",
        .not_before = "2018-04-14T20:55:27Z", .not_after = "2018-05-14T20:55:27Z");
    ASSERT_FIELD(&r, "tls.server.x509.alternative_names", "localhost");
    /* tshark for JA3/JA3S */
    ASSERT_FACTS(&r, .sni = "localhost", .version = "1.2",
                 .ja3 = "2a26b1a62e40d25d4de3babc9d532f30",
                 .ja3s = "a9e3ed16ee3208291487c8d2aa2ad924");
    ASSERT_FIELD(&r, "tls.client.x509.serial_number", "c7d4288b80e01e27");
    ASSERT_FIELD(&r, "tls.client.x509.not_before", "2018-04-14T20:55:27Z");
    ASSERT_FIELD(&r, "tls.client.x509.not_after", "2018-05-14T20:55:27Z");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_arkime_tls13_draft)
{
    struct run r;
    CORPUS(&r, &proto_tls, "arkime/tests/pcap/tls13.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Arkime tls13.test (its version "TLSv1.3-draft-18" is our "1.3-draft-18") */
    ASSERT_FACTS(&r, .ja3 = "4826a90ec2daf4f7b4b64cc1c8bd343b",
                 .ja3s = "b8a8031b301aef7618403061e9f33065", .ja3s_string = "32530,4865,40",
                 .ja4 = "t00d1815h2_a30347de7a75_2a77702ff8e0", .cipher = "TLS_AES_128_GCM_SHA256",
                 .sni = "blog.cloudflare.com", .version = "1.3-draft-18");
    ASSERT_FIELD(&r, "tls.client.ja4_r",
                 "t00d1815h2_000a,002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,"
                 "c030,cc13,cc14,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,0023,0028,002b,002d,"
                 "7550,ff01_0403,0804,0401,0503,0805,0501,0806,0601,0201");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_arkime_openssl_tls12)
{
    struct run r;
    CORPUS(&r, &proto_tls, "arkime/tests/pcap/openssl-tls1_2.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Arkime openssl-tls1_2.test */
    ASSERT_FACTS(&r, .ja3 = "c1a36e1a870786cc75edddc0009eaf3a",
                 .ja3s = "ccc514751b175866924439bdbb5bba34", .ja3s_string = "771,49199,65281-11-35",
                 .ja4 = "t12i740500_c43983326036_3eafcbe19126",
                 .cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", .version = "1.2");
    ASSERT_TRUE(GET(&r, 0, "tls.client.server_name") == NULL);
    /* Arkime lists the chain in its own order; on the wire the leaf comes first */
    ASSERT_FIELD(&r, "tls.server.hash.sha1", "0ea3277ceb7fb28c2b5d7dd76be9ba1aec0dff91");
    ASSERT_FIELD(&r, "tls.server.x509.serial_number", "7a5b0bd895632f87");
    ASSERT_FIELD(&r, "tls.server.x509.subject.common_name", "*.google.com");
    ASSERT_FIELD(&r, "tls.server.x509.issuer.common_name", "Google Internet Authority G2");
    ASSERT_FIELD(&r, "tls.server.x509.public_key_algorithm", "rsa");
    ASSERT_EQ(proto_out_count(&r.o, 0, "tls.server.x509.alternative_names"), 49);
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.x509.alternative_names", 48),
                  "youtubeeducation.com");
    ASSERT_EQ(proto_out_count(&r.o, 0, "tls.server.chain.sha1"), 3);
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.sha1", 1),
                  "bbdce13e9d537a5229915cb123c7aab0a855e798");
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.sha1", 2),
                  "7359755c6df9a0abc3060bce369564c8ec4542a3");
    ASSERT_FIELD(&r, "tls.resumed", "false");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_arkime_alpn_h2)
{
    struct run r;
    CORPUS(&r, &proto_tls, "arkime/tests/pcap/tls-alpn-h2.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Arkime tls-alpn-h2.test (its curve "prime256v1" is our SEC name "secp256r1") */
    ASSERT_FACTS(
        &r, .ja3 = "3faa4ad39f690c4ef1c3160caa375465", .ja3s = "7f76f3e952a1bc7d407366fafe1db7ed",
        .ja4 = "t12d4605h2_85626a9a5f7f_aaf95bb78ec9",
        .cipher = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", .sni = "www.cloudflare.com");
    ASSERT_FIELD(&r, "tls.next_protocol", "h2");
    ASSERT_FIELD(&r, "tls.server.hash.sha1", "6a4cb249b71b6659dabb960115fd7a01bfc9968c");
    ASSERT_FIELD(&r, "tls.server.x509.serial_number", "0a68bb984a507399f4716e809a44a7b0");
    ASSERT_FIELD(&r, "tls.server.x509.public_key_algorithm", "ec");
    ASSERT_FIELD(&r, "tls.server.x509.public_key_curve", "secp256r1");
    ASSERT_FIELD(&r, "tls.server.x509.public_key_size", "256");
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.x509.alternative_names", 1),
                  "www.cloudflare.com");
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.sha1", 1),
                  "fc20b60cadac38d1ff40cf1b6eef290f10b57abd");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_arkime_curl_tls13)
{
    struct run r;
    CORPUS(&r, &proto_tls, "arkime/tests/pcap/curl-enabled-tls13.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    ASSERT_EQ(r.done, 1);
    /* Arkime curl-enabled-tls13.test */
    ASSERT_FACTS(&r, .ja3 = "eeadfd2f446a45ded96f804720a0c75b",
                 .ja3s = "907bf3ecef1c987c889946b737b43de8", .ja3s_string = "771,4866,51-43",
                 .ja4 = "t13d0413h2_16476d049b0b_ffceb19bae65", .cipher = "TLS_AES_256_GCM_SHA384",
                 .version = "1.3", .sni = "enabled.tls13.com");
    ASSERT_FIELD(&r, "tls.resumed", "false");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_zeek_tls10_extensions)
{
    struct run r;
    CORPUS(&r, &proto_tls, "zeek/testing/btest/Traces/tls/tls-conn-with-extensions.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Zeek ssl.log / x509.log (fingerprints there are SHA-256); tshark for JA3/JA3S */
    ASSERT_FACTS(&r, .version = "1.0", .cipher = "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
                 .sni = "ssl.gstatic.com", .ja3 = "62351d5ea3cd4f21f697965b10a9bbbe",
                 .ja3s = "e07f21892995126f4b539c02215c8456");
    ASSERT_FIELD(&r, "tls.resumed", "false");
    ASSERT_FIELD(&r, "tls.server.hash.sha256",
                 "a580247a25324adf4add5af648de4ac5798030dfd622f26a5f2280d7528ae244");
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.sha256", 1),
                  "250da2691be97c9a33ceef7e311c14fb01846e058a99cea9bd1125bd25a0cad5");
    /* not_valid_before 1334102677, not_valid_after 1365639277 (date -u -d @…) */
    ASSERT_CERT(&r, .serial = "36f5da5300000000505e",
                .subject = "CN=*.gstatic.com,O=Google Inc,L=Mountain View,ST=California,C=US",
                .issuer = "CN=Google Internet Authority,O=Google Inc,C=US",
                .not_before = "2012-04-11T00:04:37Z", .not_after = "2013-04-11T00:14:37Z");
    ASSERT_FIELD(&r, "tls.server.x509.public_key_algorithm", "rsa");
    ASSERT_FIELD(&r, "tls.server.x509.public_key_size", "1024");
    ASSERT_EQ(proto_out_count(&r.o, 0, "tls.server.x509.alternative_names"), 3);
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.x509.alternative_names", 2),
                  "*.metric.gstatic.com");
    ASSERT_STR_EQ(proto_out_get_nth(&r.o, 0, "tls.server.chain.issuer", 1),
                  "OU=Equifax Secure Certificate Authority,O=Equifax,C=US");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_zeek_ech)
{
    struct run r;
    CORPUS(&r, &proto_tls, "zeek/testing/btest/Traces/tls/tls13-ech.pcap", 443, 51066);
    ASSERT_EQ(r.o.nrecs, 1);
    /* Zeek ssl.log (outer SNI); tshark for JA3/JA3S */
    ASSERT_FACTS(&r, .version = "1.3", .cipher = "TLS_AES_128_GCM_SHA256",
                 .sni = "cloudflare-ech.com", .ja3 = "2fcbf8655473005933c5869b2b5d8044",
                 .ja3s = "f4febc55ea12b31ae17cfb7e614afda8");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_ja4_tls12_single_hello)
{
    struct run r;
    CORPUS(&r, &proto_tls, "ja4/pcap/tls12.pcap", 443, 0);
    ASSERT_EQ(r.o.nrecs, 1);
    /* FoxIO tls12.pcap.json and the rust snapshot; tshark for JA3 */
    ASSERT_FACTS(&r, .ja4 = "t13d1715h2_5b57614c22b0_3d5424432f57",
                 .sni = "contile.services.mozilla.com", .ja3 = "579ccef312d18482fc42e2b822ca2430");
    run_free(&r, &proto_tls);
}

TEST(tls_corpus_ja4_handshakes)
{
    /* FoxIO tls-handshake.pcapng.json (the first 64 frames); tshark for JA3/JA3S */
    static const struct {
        uint16_t sport, dport;
        const char *sni, *ja4, *ja3, *ja3s;
    } want[] = {
        {50112, 443, "clientservices.googleapis.com", "t13d1516h2_8daaf6152771_e5627efa2ab1",
         "1c258ebef8eee2dfa3df6d8d07285af9", "eb1d94daa7e0344597e756a1fb6e7054"},
        {50116, 443, "lastpass.com", "t13d1516h2_8daaf6152771_e5627efa2ab1",
         "13f182bd0d6a75502b8257b9b67903c8", "15af977ce25de452b96affa2addb1036"},
        {50122, 443, "lp-push-server-452.lastpass.com", "t13d1516h1_8daaf6152771_e5627efa2ab1",
         "bee6dc22161d532d945e0daa64213c43", "e35df3e00ca4ef31d42b34bebaa2f86e"},
        {50123, 5228, "mtalk.google.com", "t13d151400_8daaf6152771_de4a06bb82e3",
         "bfc66ad4d55e0c1a1847863d4d5c301a", "eb1d94daa7e0344597e756a1fb6e7054"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct run r;
        CORPUS(&r, &proto_tls, "ja4/pcap/tls-handshake.pcapng", want[i].dport, want[i].sport);
        ASSERT_EQ(r.o.nrecs, 1);
        ASSERT_FACTS(&r, .sni = want[i].sni, .ja4 = want[i].ja4, .ja3 = want[i].ja3,
                     .ja3s = want[i].ja3s);
        run_free(&r, &proto_tls);
    }
}

TEST(tls_corpus_incomplete_der)
{
    struct run r;
    CORPUS(&r, &proto_tls, "suricata-verify/tests/bug-1450-04/tls_DER-incomplete-header.pcap",
           10443, 0);
    /* the file breaks after 6 packets; tshark states JA3/JA3S for what is readable */
    ASSERT_EQ(r.o.nrecs, 1);
    ASSERT_FACTS(&r, .ja3 = "cee46fdd039bfaea42cc1a96e2288bed",
                 .ja3s = "8529fd8de0d7f73186ef5ea8b4531a76");
    ASSERT_EQ(proto_out_anomaly(&r.o, "x509.bad_certificate"), 1);
    ASSERT_TRUE(GET(&r, 0, "tls.server.hash.sha1") == NULL);
    ASSERT_EQ(proto_out_count(&r.o, 0, "tls.server.chain.sha1"), 1);
    run_free(&r, &proto_tls);
}
