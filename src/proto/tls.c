/*
 * tls.c — TLS handshake parser: ClientHello, ServerHello, Certificate; JA3, JA3S, JA4.
 *
 * Record layer (RFC 5246 §6.2.1, RFC 8446 §5.1), per direction:
 *
 *     | type 1 | version 2 | length 2 (<= 2^14 + 2048, RFC 5246 §6.2.3) | fragment |
 *       20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat
 *
 * Handshake messages (RFC 5246 §7.4, RFC 8446 §4) may span records (and TCP segments):
 *
 *     | msg_type 1 | length 3 | body |
 *
 *     ClientHello (1): legacy_version 2 | random 32 | session_id <0..32> |
 *                      cipher_suites <2..2^16-2> | compression_methods <1..2^8-1> |
 *                      extensions <0..2^16-1>: | type 2 | length 2 | data |
 *     ServerHello (2): legacy_version 2 | random 32 | session_id <0..32> | cipher_suite 2 |
 *                      compression_method 1 | extensions <0..2^16-1>
 *                      (TLS 1.3 drafts before 22 carry neither session_id nor compression)
 *     Certificate (11, TLS <= 1.2 only in the clear): certificate_list <0..2^24-1>,
 *                      each ASN.1Cert <1..2^24-1> (DER, see x509.c)
 *
 * Extensions read: server_name 0 (RFC 6066 §3), supported_groups 10 and ec_point_formats 11
 * (RFC 8422 §5.1), signature_algorithms 13 (RFC 8446 §4.2.3), ALPN 16 (RFC 7301 §3.1),
 * supported_versions 43 (RFC 8446 §4.2.1), pre_shared_key 41.  GREASE values (RFC 8701 §2,
 * 0x?a?a with both bytes equal) are left out of the lists and of every fingerprint.
 *
 * SSLv2-compatible ClientHello (RFC 5246 Appendix E.2): | 1 msb + 15-bit length | msg_type 1 |
 * version 2 | … — counted and its version kept; nothing else is read from it.
 *
 * The session's one "tls" record is written when both directions have turned to
 * encrypted records (ChangeCipherSpec or application data), or at the end.
 * Fingerprints: JA3/JA3S (github.com/salesforce/ja3), JA4 (FoxIO JA4.md, TLS client only).
 */
#include "proto/tls.h"

#include "core/err.h"
#include "core/rdr.h"
#include "proto/x509.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_MAX_RECORD (16384 + 2048) /* RFC 5246 §6.2.3 TLSCiphertext */
#define TLS_MAX_MSG (64 * 1024)       /* one handshake message */
#define TLS_MAX_CERTS 10              /* certificates of one chain we look at */
#define TLS_MAX_LIST 1024             /* ciphers / extensions / groups … kept per hello */

enum { REC_CCS = 20, REC_ALERT = 21, REC_HANDSHAKE = 22, REC_APPDATA = 23, REC_HEARTBEAT = 24 };
enum { REC_SSLV2 = 0x80 }; /* internal: the rest of an SSLv2 ClientHello, skipped */

struct tls_dir {
    uint8_t hdr[5], hdr_len;
    uint8_t rec_type, done, started;
    size_t rec_left;
    struct buf hs; /* handshake bytes not yet a whole message */
};

struct tls_state {
    struct tls_dir d[2];
    struct buf ch, sh, cert[2]; /* copies of the first ClientHello, ServerHello, Certificates */
    struct buf ch2;             /* the second ClientHello, after a HelloRetryRequest */
    int init, emitted;
    int sslv2;
    uint16_t sslv2_version;
    int hrr;          /* the stored ServerHello was a HelloRetryRequest */
    int nch;          /* ClientHellos seen */
    int srv_ccs_bare; /* the server changed cipher spec without sending a Certificate */
};

static int is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* "1.2" and the protocol ("tls"/"ssl") of a wire version. */
static const char *version_name(uint16_t v, char *out, size_t cap)
{
    switch (v) {
    case 0x0002:
        snprintf(out, cap, "2.0");
        return "ssl";
    case 0x0300:
        snprintf(out, cap, "3.0");
        return "ssl";
    case 0x0301:
    case 0x0302:
    case 0x0303:
    case 0x0304:
        snprintf(out, cap, "1.%u", (unsigned)(v & 0xff) - 1);
        return "tls";
    }
    if ((v >> 8) == 0x7f) /* draft-ietf-tls-tls13-NN */
        snprintf(out, cap, "1.3-draft-%u", (unsigned)(v & 0xff));
    else
        snprintf(out, cap, "0x%04x", (unsigned)v);
    return "tls";
}

/* JA4 §TLS and DTLS Version. */
static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    }
    return "00";
}

/* IANA TLS Cipher Suites registry names of the suites seen day to day. */
static const struct {
    uint16_t id;
    const char *name;
} cipher_names[] = {
    {0x0000, "TLS_NULL_WITH_NULL_NULL"},
    {0x0001, "TLS_RSA_WITH_NULL_MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA"},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003b, "TLS_RSA_WITH_NULL_SHA256"},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0x5600, "TLS_FALLBACK_SCSV"},
    {0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
};

static void hex4(char out[5], uint16_t v)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 4; i++)
        out[i] = hx[(v >> (12 - 4 * i)) & 15];
    out[4] = 0;
}

/* Lowercase hex of a digest, first `chars` characters. */
static void digest_hex(const EVP_MD *md, const char *s, size_t n, char *out, size_t chars)
{
    static const char hx[] = "0123456789abcdef";
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;
    if (!EVP_Digest(s, n, h, &hl, md, NULL))
        hl = 0;
    size_t k = 0;
    for (unsigned i = 0; i < hl && k < chars; i++) {
        out[k++] = hx[h[i] >> 4];
        if (k < chars)
            out[k++] = hx[h[i] & 15];
    }
    out[k] = 0;
}

/* ---------------------------------------------------------------- ClientHello */

struct u16list {
    uint16_t v[TLS_MAX_LIST];
    size_t n;
};

struct hello {
    uint16_t legacy_version;
    const uint8_t *sid;
    size_t sid_len;
    struct u16list ciphers, exts, groups, sigalgs, versions;
    uint8_t formats[256];
    size_t nformats;
    const uint8_t *sni;
    size_t sni_len;
    int has_sni, grease;
    const uint8_t *alpn; /* the ALPN extension's protocol_name_list */
    size_t alpn_len;
};

/* Append v unless it is GREASE; 0, or -1 when the list is full. */
static int push(struct hello *h, struct u16list *l, uint16_t v)
{
    if (is_grease(v)) {
        h->grease = 1;
        return 0;
    }
    if (l->n == TLS_MAX_LIST)
        return -1;
    l->v[l->n++] = v;
    return 0;
}

/* A list of 16-bit values with a 16-bit byte length in front (RFC 8446 §3.4 vectors). */
static int read_u16_vec(struct hello *h, struct u16list *l, const uint8_t *p, size_t n)
{
    struct rdr r;
    rdr_init(&r, p, n);
    size_t len = rdr_u16be(&r);
    if (!rdr_ok(&r) || len != rdr_left(&r) || len % 2)
        return -1;
    while (rdr_left(&r) >= 2)
        if (push(h, l, rdr_u16be(&r)))
            return -1;
    return 0;
}

/* A vector with a 1- or 2-byte length in front (RFC 8446 §3.4): its bytes, or NULL. */
static const uint8_t *read_vec(struct rdr *r, int width, size_t *len)
{
    *len = width == 1 ? rdr_u8(r) : rdr_u16be(r);
    const uint8_t *p = rdr_bytes(r, *len);
    if (!p)
        *len = 0; /* a vector longer than its extension: nothing of it is used */
    return p;
}

static int parse_client_exts(struct proto_out *o, struct hello *h, struct rdr *r)
{
    while (rdr_left(r) >= 4) {
        uint16_t type = rdr_u16be(r), len = rdr_u16be(r);
        const uint8_t *d = rdr_bytes(r, len);
        if (!d)
            return -1;
        if (push(h, &h->exts, type))
            proto_anomaly(o, "tls.too_many_extensions");
        struct rdr e;
        rdr_init(&e, d, len);
        switch (type) {
        case 0: { /* server_name_list: | type 1 | length 2 | name | … (RFC 6066 §3) */
            h->has_sni = 1;
            size_t ll = rdr_u16be(&e);
            while (rdr_ok(&e) && ll >= 3 && rdr_left(&e) >= 3) {
                uint8_t nt = rdr_u8(&e);
                uint16_t nl = rdr_u16be(&e);
                const uint8_t *nm = rdr_bytes(&e, nl);
                if (nm && nt == 0 && !h->sni) {
                    h->sni = nm;
                    h->sni_len = nl;
                }
            }
            if (!rdr_ok(&e))
                proto_anomaly(o, "tls.bad_server_name");
            break;
        }
        case 10:
            if (read_u16_vec(h, &h->groups, d, len))
                proto_anomaly(o, "tls.bad_supported_groups");
            break;
        case 11: { /* ec_point_format_list <1..2^8-1> */
            size_t fl;
            const uint8_t *f = read_vec(&e, 1, &fl);
            if (f) {
                memcpy(h->formats, f, fl);
                h->nformats = fl;
            } else {
                proto_anomaly(o, "tls.bad_ec_point_formats");
            }
            break;
        }
        case 13:
            if (read_u16_vec(h, &h->sigalgs, d, len))
                proto_anomaly(o, "tls.bad_signature_algorithms");
            break;
        case 16: /* protocol_name_list <2..2^16-1> */
            h->alpn = read_vec(&e, 2, &h->alpn_len);
            if (!h->alpn)
                proto_anomaly(o, "tls.bad_alpn");
            break;
        case 43: { /* ClientHello supported_versions <2..254> */
            uint8_t vl = rdr_u8(&e);
            if (vl % 2 || vl != rdr_left(&e)) {
                proto_anomaly(o, "tls.bad_supported_versions");
                break;
            }
            while (rdr_left(&e) >= 2)
                if (push(h, &h->versions, rdr_u16be(&e)))
                    break;
            break;
        }
        }
    }
    if (rdr_left(r) != 0)
        proto_anomaly(o, "tls.trailing_extension_bytes");
    return 0;
}

static uint32_t rdr_u24be(struct rdr *r)
{
    uint32_t v = (uint32_t)rdr_u8(r) << 16;
    return v | rdr_u16be(r);
}

/* Point r at the body of handshake message msg when its type is `type` (RFC 8446 §4). */
static int hs_body(struct rdr *r, const uint8_t *msg, size_t n, uint8_t type)
{
    rdr_init(r, msg, n);
    uint8_t t = rdr_u8(r);
    uint32_t len = rdr_u24be(r);
    if (!rdr_ok(r) || t != type || len > rdr_left(r))
        return -1;
    rdr_init(r, msg + 4, len);
    return 0;
}

static int parse_client_hello(struct proto_out *o, struct hello *h, const uint8_t *msg, size_t n)
{
    struct rdr r;
    memset(h, 0, sizeof *h);
    if (hs_body(&r, msg, n, 1) != 0)
        return -1;
    h->legacy_version = rdr_u16be(&r);
    rdr_skip(&r, 32);
    h->sid_len = rdr_u8(&r);
    h->sid = rdr_bytes(&r, h->sid_len);
    uint16_t cl = rdr_u16be(&r);
    const uint8_t *cs = rdr_bytes(&r, cl);
    uint8_t ml = rdr_u8(&r);
    rdr_skip(&r, ml);
    if (!rdr_ok(&r) || h->sid_len > 32 || cl % 2)
        return -1;
    for (size_t i = 0; i + 1 < cl; i += 2) {
        if (push(h, &h->ciphers, ld_u16be(cs + i))) {
            proto_anomaly(o, "tls.too_many_ciphers");
            break;
        }
    }
    if (rdr_left(&r) >= 2) {
        uint16_t el = rdr_u16be(&r);
        const uint8_t *e = rdr_bytes(&r, el);
        if (!e)
            return -1;
        struct rdr er;
        rdr_init(&er, e, el);
        parse_client_exts(o, h, &er);
    }
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* "v1-v2-…" in decimal (JA3). */
static void join_dec(struct buf *b, const struct u16list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char t[8], *end = t + sizeof t, *p = end;
        unsigned v = l->v[i];
        do
            *--p = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        if (i)
            *--p = '-';
        buf_append(b, p, (size_t)(end - p));
    }
}

/* "hhhh,hhhh,…" in 4-digit hex, optionally sorted, skipping SNI and ALPN when asked (JA4). */
static void join_hex(struct buf *b, const struct u16list *l, int sorted, int skip_sni_alpn)
{
    uint16_t tmp[TLS_MAX_LIST];
    memcpy(tmp, l->v, l->n * sizeof tmp[0]);
    if (sorted)
        qsort(tmp, l->n, sizeof tmp[0], cmp_u16);
    int first = 1;
    for (size_t i = 0; i < l->n; i++) {
        if (skip_sni_alpn && (tmp[i] == 0x0000 || tmp[i] == 0x0010))
            continue;
        char t[6];
        t[0] = ',';
        hex4(t + 1, tmp[i]);
        buf_append(b, t + first, 5 - (size_t)first);
        first = 0;
    }
}

static int is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4 §ALPN Extension Value: first and last character of the first ALPN value. */
static void ja4_alpn(const struct hello *h, char out[3])
{
    static const char hx[] = "0123456789abcdef";
    struct rdr r;
    out[0] = out[1] = '0';
    out[2] = 0;
    rdr_init(&r, h->alpn, h->alpn_len);
    uint8_t l = rdr_u8(&r);
    const uint8_t *a = rdr_bytes(&r, l);
    if (!a || l == 0)
        return;
    if (is_alnum(a[0]) && is_alnum(a[l - 1])) {
        out[0] = (char)a[0];
        out[1] = (char)a[l - 1];
    } else { /* first and last characters of its hex representation */
        out[0] = hx[a[0] >> 4];
        out[1] = hx[a[l - 1] & 15];
    }
}

static void write_fingerprints(struct proto_out *o, const struct hello *h, char transport)
{
    struct buf b;
    char hash[65];
    buf_init(&b, 256 * 1024);

    /* JA3: SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats */
    buf_printf(&b, "%u,", (unsigned)h->legacy_version);
    join_dec(&b, &h->ciphers);
    buf_putc(&b, ',');
    join_dec(&b, &h->exts);
    buf_putc(&b, ',');
    join_dec(&b, &h->groups);
    buf_putc(&b, ',');
    for (size_t i = 0; i < h->nformats; i++)
        buf_printf(&b, "%s%u", i ? "-" : "", h->formats[i]);
    proto_str(o, "tls.client.ja3_string", (const char *)b.data, b.len);
    digest_hex(EVP_md5(), (const char *)b.data, b.len, hash, 32);
    proto_cstr(o, "tls.client.ja3", hash);

    /* JA4_a: transport, version, SNI, cipher count, extension count, ALPN */
    uint16_t v = h->legacy_version;
    if (h->versions.n) {
        v = 0;
        for (size_t i = 0; i < h->versions.n; i++)
            if (h->versions.v[i] > v)
                v = h->versions.v[i];
    }
    char a[16], alpn[3];
    ja4_alpn(h, alpn);
    snprintf(a, sizeof a, "%c%s%c%02u%02u%s", transport, ja4_version(v), h->has_sni ? 'd' : 'i',
             (unsigned)(h->ciphers.n > 99 ? 99 : h->ciphers.n),
             (unsigned)(h->exts.n > 99 ? 99 : h->exts.n), alpn);
    /* JA4_b: sorted ciphers; JA4_c: sorted extensions without SNI/ALPN, '_', signature algs */
    struct buf c, e;
    buf_init(&c, 64 * 1024);
    buf_init(&e, 64 * 1024);
    join_hex(&c, &h->ciphers, 1, 0);
    join_hex(&e, &h->exts, 1, 1);
    int no_exts = e.len == 0;
    if (h->sigalgs.n) {
        buf_putc(&e, '_');
        join_hex(&e, &h->sigalgs, 0, 0);
    }
    char hb[13], hc[13];
    if (c.len)
        digest_hex(EVP_sha256(), (const char *)c.data, c.len, hb, 12);
    else
        strcpy(hb, "000000000000");
    if (!no_exts)
        digest_hex(EVP_sha256(), (const char *)e.data, e.len, hc, 12);
    else
        strcpy(hc, "000000000000");
    buf_reset(&b);
    buf_printf(&b, "%s_%s_%s", a, hb, hc);
    proto_str(o, "tls.client.ja4", (const char *)b.data, b.len);
    buf_reset(&b);
    buf_printf(&b, "%s_", a);
    buf_append(&b, c.data, c.len);
    buf_putc(&b, '_');
    buf_append(&b, e.data, e.len);
    proto_str(o, "tls.client.ja4_r", (const char *)b.data, b.len);
    buf_release(&c);
    buf_release(&e);
    buf_release(&b);
}

int tls_client_hello_fields(struct proto_out *o, const uint8_t *msg, size_t n, char transport)
{
    struct hello *h = malloc(sizeof *h); /* ~10 KiB of lists: not on the stack */
    char t[32];
    if (!h)
        return -1;
    if (parse_client_hello(o, h, msg, n) != 0) {
        free(h);
        return -1;
    }
    uint16_t maxv = h->legacy_version;
    for (size_t i = 0; i < h->versions.n; i++)
        if (h->versions.v[i] > maxv && (h->versions.v[i] >> 8) != 0x7f)
            maxv = h->versions.v[i];
    version_name(maxv, t, sizeof t);
    proto_cstr(o, "tls.client.version", t);
    if (h->sni)
        proto_str(o, "tls.client.server_name", (const char *)h->sni, h->sni_len);
    struct rdr r;
    rdr_init(&r, h->alpn, h->alpn_len);
    while (rdr_left(&r) > 0) {
        uint8_t l = rdr_u8(&r);
        const uint8_t *a = rdr_bytes(&r, l);
        if (a)
            proto_str(o, "tls.client.alpn", (const char *)a, l);
    }
    for (size_t i = 0; i < h->versions.n; i++) {
        version_name(h->versions.v[i], t, sizeof t);
        proto_cstr(o, "tls.client.supported_versions", t);
    }
    for (size_t i = 0; i < h->ciphers.n; i++) {
        hex4(t, h->ciphers.v[i]);
        proto_cstr(o, "tls.client.ciphers", t);
    }
    for (size_t i = 0; i < h->exts.n; i++)
        proto_int(o, "tls.client.extensions", h->exts.v[i]);
    for (size_t i = 0; i < h->groups.n; i++)
        proto_int(o, "tls.client.supported_groups", h->groups.v[i]);
    for (size_t i = 0; i < h->sigalgs.n; i++) {
        hex4(t, h->sigalgs.v[i]);
        proto_cstr(o, "tls.client.signature_algorithms", t);
    }
    proto_bool(o, "tls.client.grease", h->grease);
    write_fingerprints(o, h, transport);
    free(h);
    return 0;
}

/* ---------------------------------------------------------------- ServerHello */

/* RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

struct server_hello {
    uint16_t legacy_version, version, cipher;
    const uint8_t *sid;
    size_t sid_len;
    int hrr, psk;
    const uint8_t *alpn;
    size_t alpn_len;
    struct u16list exts;
};

static int parse_server_hello(struct server_hello *s, const uint8_t *msg, size_t n)
{
    struct rdr r;
    memset(s, 0, sizeof *s);
    if (hs_body(&r, msg, n, 2) != 0)
        return -1;
    s->legacy_version = s->version = rdr_u16be(&r);
    const uint8_t *rnd = rdr_bytes(&r, 32);
    s->hrr = rnd && memcmp(rnd, hrr_random, 32) == 0;
    /* drafts of TLS 1.3 before -22 dropped session_id and compression_method */
    int draft = (s->legacy_version >> 8) == 0x7f && (s->legacy_version & 0xff) < 22;
    if (!draft) {
        s->sid_len = rdr_u8(&r);
        s->sid = rdr_bytes(&r, s->sid_len);
    }
    s->cipher = rdr_u16be(&r);
    if (!draft)
        rdr_skip(&r, 1);
    if (!rdr_ok(&r) || s->sid_len > 32)
        return -1;
    if (rdr_left(&r) < 2)
        return 0;
    uint16_t el = rdr_u16be(&r);
    const uint8_t *e = rdr_bytes(&r, el);
    if (!e)
        return -1;
    struct rdr er;
    rdr_init(&er, e, el);
    while (rdr_left(&er) >= 4) {
        uint16_t t = rdr_u16be(&er), l = rdr_u16be(&er);
        const uint8_t *d = rdr_bytes(&er, l);
        if (!d)
            return -1;
        if (!is_grease(t) && s->exts.n < TLS_MAX_LIST)
            s->exts.v[s->exts.n++] = t;
        if (t == 43 && l == 2) /* selected_version */
            s->version = ld_u16be(d);
        else if (t == 41)
            s->psk = 1;
        else if (t == 16 && l >= 3 && ld_u16be(d) == l - 2 && d[2] == l - 3) {
            s->alpn = d + 3; /* exactly one ProtocolName (RFC 7301 §3.1) */
            s->alpn_len = d[2];
        }
    }
    return 0;
}

static int is_tls13(uint16_t v)
{
    return v == 0x0304 || (v >> 8) == 0x7f;
}

static void write_server_hello(struct proto_out *o, struct tls_state *st)
{
    struct server_hello *s = malloc(sizeof *s);
    struct hello *h = NULL;
    char t[32];
    if (!s)
        return;
    if (parse_server_hello(s, st->sh.data, st->sh.len) != 0) {
        proto_anomaly(o, "tls.bad_server_hello");
        free(s);
        return;
    }
    const char *proto = version_name(s->version, t, sizeof t);
    proto_cstr(o, "tls.version", t);
    proto_cstr(o, "tls.version_protocol", proto);
    const char *cn = NULL;
    for (size_t i = 0; i < sizeof cipher_names / sizeof cipher_names[0]; i++)
        if (cipher_names[i].id == s->cipher)
            cn = cipher_names[i].name;
    hex4(t, s->cipher);
    proto_cstr(o, "tls.cipher", cn ? cn : t);
    if (s->alpn)
        proto_str(o, "tls.next_protocol", (const char *)s->alpn, s->alpn_len);

    /* JA3S: SSLVersion,Cipher,SSLExtension */
    struct buf b;
    char hash[33];
    buf_init(&b, 16 * 1024);
    buf_printf(&b, "%u,%u,", (unsigned)s->legacy_version, (unsigned)s->cipher);
    join_dec(&b, &s->exts);
    proto_str(o, "tls.server.ja3s_string", (const char *)b.data, b.len);
    digest_hex(EVP_md5(), (const char *)b.data, b.len, hash, 32);
    proto_cstr(o, "tls.server.ja3s", hash);
    buf_release(&b);

    /* Resumption: TLS 1.3 accepts a PSK; before, the server echoes the client's session id
     * (RFC 5246 §7.4.1.3, also for tickets RFC 5077 §3.4) or skips its Certificate. */
    int resumed;
    if (is_tls13(s->version)) {
        resumed = s->psk;
    } else {
        resumed = st->srv_ccs_bare;
        h = st->ch.len ? malloc(sizeof *h) : NULL;
        if (h && s->sid_len > 0 && parse_client_hello(o, h, st->ch.data, st->ch.len) == 0 &&
            h->sid_len == s->sid_len && memcmp(h->sid, s->sid, s->sid_len) == 0)
            resumed = 1;
    }
    proto_bool(o, "tls.resumed", resumed);
    free(h);
    free(s);
}

/* ---------------------------------------------------------------- Certificate */

static void write_certificates(struct proto_out *o, const struct buf *m, int server)
{
    struct rdr r;
    rdr_init(&r, m->data, m->len);
    rdr_skip(&r, 4);
    uint32_t total = rdr_u24be(&r);
    if (!rdr_ok(&r) || total != rdr_left(&r)) {
        proto_anomaly(o, "tls.bad_certificate_message");
        if (!rdr_ok(&r))
            return;
    }
    for (int i = 0; rdr_left(&r) >= 3; i++) {
        uint32_t len = rdr_u24be(&r);
        const uint8_t *der = rdr_bytes(&r, len);
        if (!der) {
            proto_anomaly(o, "tls.bad_certificate_message");
            return;
        }
        if (i == TLS_MAX_CERTS) {
            proto_anomaly(o, "tls.too_many_certificates");
            return;
        }
        struct x509_cert c;
        int ok = x509_parse(&c, der, len) == 0;
        if (!ok)
            proto_anomaly(o, "x509.bad_certificate");
        if (i == 0 && ok)
            x509_emit(o, server ? &x509_paths_server : &x509_paths_client, &c);
        if (!server)
            return; /* a client's chain: its own certificate is enough */
        char dn[2048];
        uint8_t h1[20], h2[32];
        proto_item_begin(o, "tls.server.chain");
        if (ok) {
            x509_name_str(&c.subject, dn, sizeof dn);
            proto_cstr(o, "tls.server.chain.subject", dn);
            x509_name_str(&c.issuer, dn, sizeof dn);
            proto_cstr(o, "tls.server.chain.issuer", dn);
        }
        if (x509_digest(der, len, h1, h2) == 0) {
            proto_hex(o, "tls.server.chain.sha1", h1, sizeof h1);
            proto_hex(o, "tls.server.chain.sha256", h2, sizeof h2);
        }
        proto_item_end(o);
    }
}

/* ---------------------------------------------------------------- the stream */

static void emit(struct tls_state *st, struct proto_out *o)
{
    if (st->emitted)
        return;
    st->emitted = 1;
    if (!st->ch.len && !st->sh.len && !st->sslv2 && !st->cert[0].len && !st->cert[1].len)
        return;
    proto_begin(o, "tls");
    if (st->ch.len) {
        if (tls_client_hello_fields(o, st->ch.data, st->ch.len, 't') != 0)
            proto_anomaly(o, "tls.bad_client_hello");
        /* after a HelloRetryRequest the client says hello again, often with other extensions:
         * its fingerprints join the first ones (tshark and Zeek fingerprint both too) */
        struct hello *h2 = st->ch2.len ? malloc(sizeof *h2) : NULL;
        if (h2 && parse_client_hello(o, h2, st->ch2.data, st->ch2.len) == 0)
            write_fingerprints(o, h2, 't');
        free(h2);
    } else if (st->sslv2) {
        char t[32];
        version_name(st->sslv2_version, t, sizeof t);
        proto_cstr(o, "tls.client.version", t);
    }
    if (st->sh.len)
        write_server_hello(o, st);
    if (st->cert[1].len)
        write_certificates(o, &st->cert[1], 1);
    if (st->cert[0].len)
        write_certificates(o, &st->cert[0], 0);
    proto_end(o);
}

static void keep(struct proto_out *o, struct buf *dst, const uint8_t *m, size_t n)
{
    buf_reset(dst);
    if (buf_append(dst, m, n))
        proto_anomaly(o, "tls.out_of_memory");
}

/* One whole handshake message of direction dir. */
static void on_message(struct tls_state *st, struct proto_out *o, int dir, const uint8_t *m,
                       size_t n)
{
    struct tls_dir *d = &st->d[dir];
    uint8_t type = m[0];
    if (dir == PROTO_DIR_CLIENT) {
        if (type == 1) {
            if (st->nch++ == 0)
                keep(o, &st->ch, m, n);
            else if (st->nch == 2 && st->hrr)
                keep(o, &st->ch2, m, n);
        } else if (type == 11 && !st->cert[0].len) {
            keep(o, &st->cert[0], m, n);
        }
        return;
    }
    if (type == 2) {
        if (st->sh.len && !st->hrr)
            return;
        keep(o, &st->sh, m, n);
        struct server_hello *s = malloc(sizeof *s);
        if (s && parse_server_hello(s, m, n) == 0) {
            st->hrr = s->hrr;
            if (!s->hrr && is_tls13(s->version))
                d->done = 1; /* everything after ServerHello is encrypted (RFC 8446 §2) */
        }
        free(s);
    } else if (type == 11 && !st->cert[1].len) {
        keep(o, &st->cert[1], m, n);
    }
}

/* Whole messages out of d->hs. */
static void drain_handshake(struct tls_state *st, struct proto_out *o, int dir)
{
    struct tls_dir *d = &st->d[dir];
    size_t off = 0;
    while (!d->done && d->hs.len - off >= 4) {
        const uint8_t *p = d->hs.data + off;
        size_t mlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (mlen > TLS_MAX_MSG) {
            proto_anomaly(o, "tls.handshake_too_long");
            d->done = 1;
            break;
        }
        if (d->hs.len - off < 4 + mlen)
            break;
        on_message(st, o, dir, p, 4 + mlen);
        off += 4 + mlen;
    }
    memmove(d->hs.data, d->hs.data + off, d->hs.len - off);
    d->hs.len -= off;
}

/* A record header is complete: check it and set up the body. */
static void on_header(struct tls_state *st, struct proto_out *o, int dir)
{
    struct tls_dir *d = &st->d[dir];
    const uint8_t *h = d->hdr;
    int first = !d->started;
    d->started = 1;
    d->hdr_len = 0;
    if (first && dir == PROTO_DIR_CLIENT && (h[0] & 0x80) && h[2] == 1) {
        /* SSLv2-compatible ClientHello: | 1 + 15-bit length | msg_type 1 | version 2 | … */
        size_t len = (size_t)(h[0] & 0x7f) << 8 | h[1];
        proto_anomaly(o, "tls.sslv2_client_hello");
        st->sslv2 = 1;
        st->sslv2_version = ld_u16be(h + 3);
        st->nch++;
        d->rec_type = REC_SSLV2;
        d->rec_left = len >= 3 ? len - 3 : 0;
        return;
    }
    d->rec_type = h[0];
    d->rec_left = ld_u16be(h + 3);
    if (h[0] < REC_CCS || h[0] > REC_HEARTBEAT || h[1] != 3) {
        proto_anomaly(o, "tls.bad_record");
        d->done = 1;
    } else if (d->rec_left > TLS_MAX_RECORD) {
        proto_anomaly(o, "tls.record_too_long");
        d->done = 1;
    } else if (h[0] == REC_APPDATA) {
        d->done = 1;
    } else if (h[0] == REC_CCS) {
        /* TLS 1.3 middlebox compatibility (RFC 8446 D.4) sends CCS around a
         * HelloRetryRequest, before the second ClientHello: not the end yet */
        if (st->hrr && (dir == PROTO_DIR_SERVER || st->nch < 2))
            return;
        if (dir == PROTO_DIR_SERVER && st->sh.len && !st->cert[1].len)
            st->srv_ccs_bare = 1;
        d->done = 1;
    }
}

static int tls_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *p, size_t n)
{
    struct tls_state *st = vst;
    (void)c;
    if (!st->init) {
        st->init = 1;
        for (int i = 0; i < 2; i++)
            buf_init(&st->d[i].hs, TLS_MAX_MSG + 4 + TLS_MAX_RECORD);
        buf_init(&st->ch, TLS_MAX_MSG + 4);
        buf_init(&st->ch2, TLS_MAX_MSG + 4);
        buf_init(&st->sh, TLS_MAX_MSG + 4);
        buf_init(&st->cert[0], TLS_MAX_MSG + 4);
        buf_init(&st->cert[1], TLS_MAX_MSG + 4);
    }
    if (dir != 0 && dir != 1)
        return 0;
    struct tls_dir *d = &st->d[dir];
    struct rdr r;
    rdr_init(&r, p, n);
    while (!d->done && rdr_left(&r) > 0) {
        if (d->hdr_len < 5 && d->rec_left == 0) {
            d->hdr[d->hdr_len++] = rdr_u8(&r);
            if (d->hdr_len == 5)
                on_header(st, o, dir);
            continue;
        }
        size_t take = rdr_left(&r) < d->rec_left ? rdr_left(&r) : d->rec_left;
        const uint8_t *b = rdr_bytes(&r, take);
        d->rec_left -= take;
        if (d->rec_type == REC_HANDSHAKE) {
            if (buf_append(&d->hs, b, take)) {
                proto_anomaly(o, "tls.handshake_too_long");
                d->done = 1;
                break;
            }
            drain_handshake(st, o, dir);
        }
    }
    if (st->d[0].done && st->d[1].done) {
        emit(st, o);
        return 1;
    }
    return 0;
}

static void tls_gap(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct tls_state *st = vst;
    (void)c;
    (void)n;
    if (dir == 0 || dir == 1) {
        if (!st->d[dir].done)
            proto_anomaly(o, "tls.gap");
        st->d[dir].done = 1; /* record boundaries are lost */
    }
}

static void tls_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    (void)c;
    emit(vst, o);
}

static void tls_release(void *vst)
{
    struct tls_state *st = vst;
    for (int i = 0; i < 2; i++) {
        buf_release(&st->d[i].hs);
        buf_release(&st->cert[i]);
    }
    buf_release(&st->ch);
    buf_release(&st->ch2);
    buf_release(&st->sh);
}

static int tls_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == REC_HANDSHAKE && d[1] == 3 && d[2] <= 4) {
        if (n < 6 || d[5] == (dir == PROTO_DIR_CLIENT ? 1 : 2))
            return PROTO_CONTENT;
    }
    if (dir == PROTO_DIR_CLIENT && n >= 5 && (d[0] & 0x80) && d[2] == 1 && d[3] <= 3)
        return PROTO_CONTENT; /* SSLv2-compatible ClientHello */
    static const uint16_t ports[] = {443, 465, 563, 636, 853,  989, 990,
                                     992, 993, 994, 995, 5061, 8443};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (c->srv_port == ports[i])
            return PROTO_PORT;
    return PROTO_NO;
}

const struct proto_parser proto_tls = {
    .name = "tls",
    .l4 = 6,
    .probe = tls_probe,
    .state_size = sizeof(struct tls_state),
    .data = tls_data,
    .gap = tls_gap,
    .end = tls_end,
    .release = tls_release,
};
