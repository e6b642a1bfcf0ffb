/*
 * x509.c — bounded DER reader and X.509 field extractor (RFC 5280, X.690).
 *
 * DER TLV (X.690 §8.1.2-8.1.3):
 *
 *     | tag: class(2) constructed(1) number(5) [0x1f: more base-128 bytes] |
 *     | length: 0..0x7f, or 0x80|k then k big-endian bytes (k <= 4 here)  |
 *     | value: length bytes                                                |
 *
 * Certificate (RFC 5280 §4.1):
 *
 *     Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 *     TBSCertificate ::= SEQUENCE {
 *         [0] EXPLICIT version INTEGER DEFAULT v1,  serialNumber INTEGER,
 *         signature AlgorithmIdentifier,  issuer Name,
 *         validity SEQUENCE { notBefore Time, notAfter Time },  subject Name,
 *         subjectPublicKeyInfo SEQUENCE { AlgorithmIdentifier, BIT STRING },
 *         [1] issuerUniqueID, [2] subjectUniqueID,  [3] EXPLICIT Extensions }
 *     Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }      (§4.1.2.4)
 *     Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 *     subjectAltName (2.5.29.17, §4.2.1.6) ::= SEQUENCE OF GeneralName;
 *         dNSName [2] IA5String, iPAddress [7] OCTET STRING (4 or 16 bytes)
 *
 * Fields are read with our own reader; libcrypto is used only for digests and
 * to verify a self-signed certificate's signature.
 */
#include "proto/x509.h"

#include "core/err.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- DER */

int der_get(struct rdr *r, struct der *t)
{
    memset(t, 0, sizeof *t);
    size_t start = r->off;
    uint8_t b = rdr_u8(r);
    t->cls = b >> 6;
    t->cons = (b >> 5) & 1;
    t->tag = b & 0x1f;
    if (t->tag == 0x1f) { /* high tag number form, at most 4 bytes of 7 bits */
        t->tag = 0;
        for (int i = 0;; i++) {
            uint8_t c = rdr_u8(r);
            if (i == 4 || !rdr_ok(r)) {
                r->err = 1;
                return -1;
            }
            t->tag = t->tag << 7 | (c & 0x7f);
            if (!(c & 0x80))
                break;
        }
    }
    uint8_t l = rdr_u8(r);
    size_t len = l;
    if (l & 0x80) {
        int k = l & 0x7f;
        if (k == 0 || k > 4) { /* indefinite length is not DER; > 4 GiB is not a certificate */
            r->err = 1;
            return -1;
        }
        len = 0;
        for (int i = 0; i < k; i++)
            len = len << 8 | rdr_u8(r);
    }
    t->v = rdr_bytes(r, len);
    if (!rdr_ok(r))
        return -1;
    t->n = len;
    t->raw = r->p + start;
    t->raw_n = r->off - start;
    return 0;
}

/* Read a TLV and insist on its universal tag. */
static int der_expect(struct rdr *r, struct der *t, uint32_t tag)
{
    if (der_get(r, t) != 0)
        return -1;
    if (t->cls != 0 || t->tag != tag) {
        r->err = 1;
        return -1;
    }
    return 0;
}

int der_oid_str(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    uint64_t v = 0;
    int first = 1, digits = 0;
    if (cap == 0)
        return -1;
    out[0] = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (digits == 0 && p[i] == 0x80)
            return -1; /* non-minimal encoding */
        if (++digits > 9)
            return -1; /* > 63 bits: not an OID we name */
        v = v << 7 | (p[i] & 0x7f);
        if (p[i] & 0x80)
            continue;
        int w;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            w = snprintf(out + len, cap - len, "%u.%llu", a, (unsigned long long)(v - 40 * a));
            first = 0;
        } else {
            w = snprintf(out + len, cap - len, ".%llu", (unsigned long long)v);
        }
        if (w < 0 || (size_t)w >= cap - len)
            return -1;
        len += (size_t)w;
        v = 0;
        digits = 0;
    }
    return digits == 0 ? 0 : -1;
}

/* Append code point cp as UTF-8. */
static size_t put_utf8(char *out, size_t len, size_t cap, uint32_t cp)
{
    uint8_t b[4];
    size_t k;
    if (cp >= 0xd800 && cp <= 0xdfff)
        cp = 0xfffd;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        k = 3;
    } else if (cp < 0x110000) {
        b[0] = (uint8_t)(0xf0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (uint8_t)(0x80 | (cp & 0x3f));
        k = 4;
    } else {
        return put_utf8(out, len, cap, 0xfffd);
    }
    if (len + k >= cap)
        return len;
    memcpy(out + len, b, k);
    return len + k;
}

int der_str_utf8(const struct der *t, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return -1;
    out[0] = 0;
    if (t->cls != 0)
        return -1;
    switch (t->tag) {
    case 12: /* UTF8String: bytes as they are (the sink escapes what is not UTF-8) */
    case 18: /* NumericString */
    case 19: /* PrintableString */
    case 22: /* IA5String */
    case 26: /* VisibleString */
        len = t->n < cap - 1 ? t->n : cap - 1;
        memcpy(out, t->v, len);
        break;
    case 20: /* T61String: in practice Latin-1 */
        for (size_t i = 0; i < t->n; i++)
            len = put_utf8(out, len, cap, t->v[i]);
        break;
    case 30: /* BMPString: UCS-2 big-endian */
        for (size_t i = 0; i + 1 < t->n; i += 2)
            len = put_utf8(out, len, cap, (uint32_t)t->v[i] << 8 | t->v[i + 1]);
        break;
    case 28: /* UniversalString: UCS-4 big-endian */
        for (size_t i = 0; i + 3 < t->n; i += 4)
            len = put_utf8(out, len, cap, ld_u32be(t->v + i));
        break;
    default:
        return -1;
    }
    out[len] = 0;
    return (int)len;
}

/* ---------------------------------------------------------------- names */

struct oid_name {
    const char *oid, *name;
};

/* RFC 4514 §3 short names, plus the few others certificates use every day. */
static const struct oid_name attr_names[] = {
    {"2.5.4.3", "CN"},
    {"2.5.4.7", "L"},
    {"2.5.4.8", "ST"},
    {"2.5.4.10", "O"},
    {"2.5.4.11", "OU"},
    {"2.5.4.6", "C"},
    {"2.5.4.9", "STREET"},
    {"0.9.2342.19200300.100.1.25", "DC"},
    {"0.9.2342.19200300.100.1.1", "UID"},
    {"2.5.4.5", "serialNumber"},
    {"2.5.4.4", "SN"},
    {"2.5.4.42", "GN"},
    {"2.5.4.12", "title"},
    {"2.5.4.15", "businessCategory"},
    {"2.5.4.17", "postalCode"},
    {"1.2.840.113549.1.9.1", "emailAddress"},
};

static const char *oid_lookup(const struct oid_name *t, size_t n, const char *oid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].oid, oid) == 0)
            return t[i].name;
    return NULL;
}

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_put(struct sbuf *s, const char *p, size_t n)
{
    if (s->cap == 0)
        return;
    size_t room = s->cap - 1 - s->len;
    if (n > room)
        n = room;
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = 0;
}

static void sb_cstr(struct sbuf *s, const char *p)
{
    sb_put(s, p, strlen(p));
}

/* One AttributeTypeAndValue as "TYPE=value" (RFC 4514 §2.3-2.4). */
static void put_atv(struct sbuf *s, const struct der *atv)
{
    struct rdr r;
    struct der oid, val;
    char ostr[96], v[1024];
    rdr_init(&r, atv->v, atv->n);
    if (der_expect(&r, &oid, 6) || der_get(&r, &val) ||
        der_oid_str(oid.v, oid.n, ostr, sizeof ostr))
        return;
    const char *nm = oid_lookup(attr_names, sizeof attr_names / sizeof attr_names[0], ostr);
    sb_cstr(s, nm ? nm : ostr);
    sb_put(s, "=", 1);
    int n = nm ? der_str_utf8(&val, v, sizeof v) : -1;
    if (n < 0) { /* unknown type or value: '#' and the hex of its BER encoding (§2.4) */
        static const char hx[] = "0123456789abcdef";
        sb_put(s, "#", 1);
        for (size_t i = 0; i < val.raw_n && i < 256; i++) {
            char h[2] = {hx[val.raw[i] >> 4], hx[val.raw[i] & 15]};
            sb_put(s, h, 2);
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        char c = v[i];
        int esc = strchr("\"+,;<>\\", c) != NULL || (i == 0 && (c == ' ' || c == '#')) ||
                  (i == n - 1 && c == ' ');
        if (c == 0) {
            sb_put(s, "\\00", 3);
            continue;
        }
        if (esc)
            sb_put(s, "\\", 1);
        sb_put(s, &c, 1);
    }
}

#define X509_MAX_RDNS 64

size_t x509_name_str(const struct der *name, char *out, size_t cap)
{
    struct sbuf s = {out, 0, cap};
    struct der rdn[X509_MAX_RDNS];
    int nrdn = 0;
    struct rdr r;
    if (cap)
        out[0] = 0;
    rdr_init(&r, name->v, name->n);
    while (rdr_left(&r) > 0 && nrdn < X509_MAX_RDNS) {
        if (der_expect(&r, &rdn[nrdn], 17))
            break;
        nrdn++;
    }
    for (int i = nrdn - 1; i >= 0; i--) { /* RFC 4514 §2.1: last RDN first */
        if (i != nrdn - 1)
            sb_put(&s, ",", 1);
        struct rdr ar;
        struct der atv;
        int first = 1;
        rdr_init(&ar, rdn[i].v, rdn[i].n);
        while (rdr_left(&ar) > 0 && der_expect(&ar, &atv, 16) == 0) {
            if (!first)
                sb_put(&s, "+", 1);
            first = 0;
            put_atv(&s, &atv);
        }
    }
    return s.len;
}

/* ---------------------------------------------------------------- certificate */

/* "YYMMDDHHMMSSZ" (UTCTime, RFC 5280 §4.1.2.5.1) or "YYYYMMDDHHMMSSZ" (GeneralizedTime). */
static void parse_time(const struct der *t, char out[24])
{
    char d[16];
    size_t k = 0;
    out[0] = 0;
    if (t->cls != 0 || (t->tag != 23 && t->tag != 24))
        return;
    size_t want = t->tag == 23 ? 12 : 14;
    if (t->n < want)
        return;
    for (size_t i = 0; i < want; i++) {
        if (t->v[i] < '0' || t->v[i] > '9')
            return;
        d[k++] = (char)t->v[i];
    }
    char y[5];
    if (t->tag == 23) {
        y[0] = d[0] >= '5' ? '1' : '2'; /* YY >= 50 is 19YY */
        y[1] = d[0] >= '5' ? '9' : '0';
        y[2] = d[0];
        y[3] = d[1];
        memmove(d, d + 2, 10);
    } else {
        memcpy(y, d, 4);
        memmove(d, d + 4, 10);
    }
    y[4] = 0;
    snprintf(out, 24, "%s-%.2s-%.2sT%.2s:%.2s:%.2sZ", y, d, d + 2, d + 4, d + 6, d + 8);
}

static const struct oid_name sig_names[] = {
    {"1.2.840.113549.1.1.4", "MD5-RSA"},
    {"1.2.840.113549.1.1.5", "SHA1-RSA"},
    {"1.2.840.113549.1.1.14", "SHA224-RSA"},
    {"1.2.840.113549.1.1.11", "SHA256-RSA"},
    {"1.2.840.113549.1.1.12", "SHA384-RSA"},
    {"1.2.840.113549.1.1.13", "SHA512-RSA"},
    {"1.2.840.113549.1.1.10", "RSASSA-PSS"},
    {"1.2.840.10045.4.1", "ECDSA-SHA1"},
    {"1.2.840.10045.4.3.2", "ECDSA-SHA256"},
    {"1.2.840.10045.4.3.3", "ECDSA-SHA384"},
    {"1.2.840.10045.4.3.4", "ECDSA-SHA512"},
    {"1.2.840.10040.4.3", "DSA-SHA1"},
    {"2.16.840.1.101.3.4.3.2", "DSA-SHA256"},
    {"1.3.101.112", "Ed25519"},
    {"1.3.101.113", "Ed448"},
};

static const struct oid_name key_names[] = {
    {"1.2.840.113549.1.1.1", "rsa"}, {"1.2.840.113549.1.1.10", "rsa"}, {"1.2.840.10045.2.1", "ec"},
    {"1.2.840.10040.4.1", "dsa"},    {"1.2.840.10046.2.1", "dh"},      {"1.3.101.112", "ed25519"},
    {"1.3.101.113", "ed448"},        {"1.3.101.110", "x25519"},        {"1.3.101.111", "x448"},
};

static const struct {
    const char *oid, *name;
    int bits;
} curves[] = {
    {"1.2.840.10045.3.1.7", "secp256r1", 256},
    {"1.3.132.0.34", "secp384r1", 384},
    {"1.3.132.0.35", "secp521r1", 521},
    {"1.3.132.0.10", "secp256k1", 256},
    {"1.2.840.10045.3.1.1", "secp192r1", 192},
    {"1.3.132.0.33", "secp224r1", 224},
    {"1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256},
    {"1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384},
    {"1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512},
};

/* Bits of a positive big-endian INTEGER value. */
static int int_bits(const struct der *t)
{
    size_t i = 0;
    while (i < t->n && t->v[i] == 0)
        i++;
    if (i == t->n)
        return 0;
    int b = 8;
    for (uint8_t c = t->v[i]; !(c & 0x80); c <<= 1)
        b--;
    return (int)(8 * (t->n - i - 1)) + b;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static int read_alg(struct rdr *r, char *oid, size_t cap, struct der *params)
{
    struct der seq, o;
    if (der_expect(r, &seq, 16))
        return -1;
    struct rdr a;
    rdr_init(&a, seq.v, seq.n);
    if (der_expect(&a, &o, 6) || der_oid_str(o.v, o.n, oid, cap))
        return -1;
    memset(params, 0, sizeof *params);
    if (rdr_left(&a) > 0)
        der_get(&a, params);
    return 0;
}

static void parse_spki(struct x509_cert *c, const struct der *spki)
{
    struct rdr r;
    struct der params, bits;
    char oid[96];
    rdr_init(&r, spki->v, spki->n);
    if (read_alg(&r, oid, sizeof oid, &params) || der_expect(&r, &bits, 3) || bits.n < 1)
        return;
    const char *nm = oid_lookup(key_names, sizeof key_names / sizeof key_names[0], oid);
    snprintf(c->key_alg, sizeof c->key_alg, "%s", nm ? nm : oid);
    if (!nm)
        return;
    struct rdr k;
    struct der seq, n;
    if (strcmp(nm, "rsa") == 0) { /* RSAPublicKey ::= SEQUENCE { modulus, publicExponent } */
        rdr_init(&k, bits.v + 1, bits.n - 1);
        if (der_expect(&k, &seq, 16) == 0) {
            rdr_init(&k, seq.v, seq.n);
            if (der_expect(&k, &n, 2) == 0)
                c->key_bits = int_bits(&n);
        }
    } else if (strcmp(nm, "ec") == 0) { /* namedCurve OID (RFC 5480 §2.1.1) */
        char coid[96];
        if (params.cls == 0 && params.tag == 6 && !der_oid_str(params.v, params.n, coid, 96)) {
            for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
                if (strcmp(curves[i].oid, coid) == 0) {
                    snprintf(c->key_curve, sizeof c->key_curve, "%s", curves[i].name);
                    c->key_bits = curves[i].bits;
                }
            }
            if (!c->key_curve[0])
                snprintf(c->key_curve, sizeof c->key_curve, "%s", coid);
        }
    } else if (strcmp(nm, "dsa") == 0) { /* Dss-Parms ::= SEQUENCE { p, q, g } */
        if (params.cls == 0 && params.tag == 16) {
            rdr_init(&k, params.v, params.n);
            if (der_expect(&k, &n, 2) == 0)
                c->key_bits = int_bits(&n);
        }
    } else if (strcmp(nm, "ed25519") == 0 || strcmp(nm, "x25519") == 0) {
        c->key_bits = 256;
    } else if (strcmp(nm, "ed448") == 0) {
        c->key_bits = 456;
    } else if (strcmp(nm, "x448") == 0) {
        c->key_bits = 448;
    }
}

static void parse_extensions(struct x509_cert *c, const struct der *exts)
{
    struct rdr r, e;
    struct der seq, list, oid, val;
    char ostr[96];
    rdr_init(&r, exts->v, exts->n); /* [3] EXPLICIT: the SEQUENCE OF Extension inside */
    if (der_expect(&r, &list, 16))
        return;
    rdr_init(&r, list.v, list.n);
    while (rdr_left(&r) > 0 && der_expect(&r, &seq, 16) == 0) {
        rdr_init(&e, seq.v, seq.n);
        if (der_expect(&e, &oid, 6) || der_oid_str(oid.v, oid.n, ostr, sizeof ostr))
            continue;
        if (der_get(&e, &val) == 0 && val.cls == 0 && val.tag == 1) /* critical */
            der_get(&e, &val);
        if (!rdr_ok(&e) || val.cls != 0 || val.tag != 4)
            continue;
        if (strcmp(ostr, "2.5.29.17") == 0 && !c->has_san) {
            struct rdr s;
            rdr_init(&s, val.v, val.n);
            if (der_expect(&s, &c->san, 16) == 0)
                c->has_san = 1;
        }
    }
}

int x509_parse(struct x509_cert *c, const uint8_t *der, size_t n)
{
    struct rdr r, t;
    struct der cert, tbs, f, params;
    memset(c, 0, sizeof *c);
    c->der = der;
    c->der_len = n;
    rdr_init(&r, der, n);
    if (der_expect(&r, &cert, 16))
        return KS_EFORMAT;
    c->der_len = cert.raw_n; /* bytes after the certificate are not part of it */
    rdr_init(&r, cert.v, cert.n);
    if (der_expect(&r, &tbs, 16))
        return KS_EFORMAT;
    /* the outer signatureAlgorithm names what signed it */
    char oid[96];
    if (read_alg(&r, oid, sizeof oid, &params) == 0) {
        const char *nm = oid_lookup(sig_names, sizeof sig_names / sizeof sig_names[0], oid);
        snprintf(c->sig_alg, sizeof c->sig_alg, "%s", nm ? nm : oid);
    }

    rdr_init(&t, tbs.v, tbs.n);
    if (der_get(&t, &f))
        return KS_EFORMAT;
    c->version = 1;
    if (f.cls == 2 && f.tag == 0) { /* [0] EXPLICIT Version */
        struct rdr v;
        struct der vi;
        rdr_init(&v, f.v, f.n);
        if (der_expect(&v, &vi, 2) == 0 && vi.n == 1 && vi.v[0] <= 2)
            c->version = vi.v[0] + 1;
        if (der_get(&t, &f))
            return KS_EFORMAT;
    }
    if (f.cls != 0 || f.tag != 2)
        return KS_EFORMAT;
    c->serial = f.v;
    c->serial_len = f.n;
    if (c->serial_len > 1 && c->serial[0] == 0) {
        c->serial++;
        c->serial_len--;
    }
    if (read_alg(&t, oid, sizeof oid, &params) || der_expect(&t, &c->issuer, 16))
        return KS_EFORMAT;
    struct der validity;
    if (der_expect(&t, &validity, 16))
        return KS_EFORMAT;
    struct rdr v;
    struct der tm;
    rdr_init(&v, validity.v, validity.n);
    if (der_get(&v, &tm) == 0)
        parse_time(&tm, c->not_before);
    if (der_get(&v, &tm) == 0)
        parse_time(&tm, c->not_after);
    if (der_expect(&t, &c->subject, 16) || der_expect(&t, &f, 16))
        return KS_EFORMAT;
    parse_spki(c, &f);
    while (rdr_left(&t) > 0 && der_get(&t, &f) == 0)
        if (f.cls == 2 && f.tag == 3)
            parse_extensions(c, &f);
    return 0;
}

int x509_self_signed(const struct x509_cert *c)
{
    if (c->subject.raw_n != c->issuer.raw_n ||
        memcmp(c->subject.raw, c->issuer.raw, c->subject.raw_n) != 0)
        return 0;
    const unsigned char *p = c->der;
    X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
    if (!x)
        return 1; /* libcrypto cannot read it: the names alone say so */
    EVP_PKEY *k = X509_get0_pubkey(x);
    int rc = k ? X509_verify(x, k) : -1;
    X509_free(x);
    return rc == 0 ? 0 : 1; /* 0: a signature that does not verify; <0: cannot check */
}

int x509_digest(const uint8_t *p, size_t n, uint8_t sha1[20], uint8_t sha256[32])
{
    if (!EVP_Digest(p, n, sha1, NULL, EVP_sha1(), NULL) ||
        !EVP_Digest(p, n, sha256, NULL, EVP_sha256(), NULL))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- writing */

const struct x509_paths x509_paths_server = {
    "tls.server.x509.subject.common_name",
    "tls.server.x509.subject.distinguished_name",
    "tls.server.x509.subject.organization",
    "tls.server.x509.subject.organizational_unit",
    "tls.server.x509.subject.country",
    "tls.server.x509.subject.locality",
    "tls.server.x509.subject.state_or_province",
    "tls.server.x509.issuer.common_name",
    "tls.server.x509.issuer.distinguished_name",
    "tls.server.x509.issuer.organization",
    "tls.server.x509.issuer.organizational_unit",
    "tls.server.x509.issuer.country",
    "tls.server.x509.issuer.locality",
    "tls.server.x509.issuer.state_or_province",
    "tls.server.x509.serial_number",
    "tls.server.x509.not_before",
    "tls.server.x509.not_after",
    "tls.server.x509.alternative_names",
    "tls.server.x509.public_key_algorithm",
    "tls.server.x509.public_key_size",
    "tls.server.x509.public_key_curve",
    "tls.server.x509.signature_algorithm",
    "tls.server.x509.version_number",
    "tls.server.x509.self_signed",
    "tls.server.hash.sha1",
    "tls.server.hash.sha256",
};

const struct x509_paths x509_paths_client = {
    "tls.client.x509.subject.common_name",
    "tls.client.x509.subject.distinguished_name",
    "tls.client.x509.subject.organization",
    "tls.client.x509.subject.organizational_unit",
    "tls.client.x509.subject.country",
    "tls.client.x509.subject.locality",
    "tls.client.x509.subject.state_or_province",
    "tls.client.x509.issuer.common_name",
    "tls.client.x509.issuer.distinguished_name",
    "tls.client.x509.issuer.organization",
    "tls.client.x509.issuer.organizational_unit",
    "tls.client.x509.issuer.country",
    "tls.client.x509.issuer.locality",
    "tls.client.x509.issuer.state_or_province",
    "tls.client.x509.serial_number",
    "tls.client.x509.not_before",
    "tls.client.x509.not_after",
    "tls.client.x509.alternative_names",
    "tls.client.x509.public_key_algorithm",
    "tls.client.x509.public_key_size",
    "tls.client.x509.public_key_curve",
    "tls.client.x509.signature_algorithm",
    "tls.client.x509.version_number",
    "tls.client.x509.self_signed",
    "tls.client.hash.sha1",
    "tls.client.hash.sha256",
};

/* Each attribute of a Name we keep as its own field (CN, O, OU, C, L, ST), in wire order. */
static void emit_attrs(struct proto_out *o, const struct der *name, const char *const paths[6])
{
    static const char *const oids[6] = {"2.5.4.3", "2.5.4.10", "2.5.4.11",
                                        "2.5.4.6", "2.5.4.7",  "2.5.4.8"};
    struct rdr r, s, a;
    struct der rdn, atv, oid, val;
    char ostr[96], v[1024];
    rdr_init(&r, name->v, name->n);
    while (rdr_left(&r) > 0 && der_expect(&r, &rdn, 17) == 0) {
        rdr_init(&s, rdn.v, rdn.n);
        while (rdr_left(&s) > 0 && der_expect(&s, &atv, 16) == 0) {
            rdr_init(&a, atv.v, atv.n);
            if (der_expect(&a, &oid, 6) || der_get(&a, &val) ||
                der_oid_str(oid.v, oid.n, ostr, sizeof ostr))
                continue;
            for (int i = 0; i < 6; i++) {
                int n;
                if (strcmp(ostr, oids[i]) == 0 && (n = der_str_utf8(&val, v, sizeof v)) >= 0)
                    proto_str(o, paths[i], v, (size_t)n);
            }
        }
    }
}

/* RFC 5952 §4: lowercase, no leading zeros, the longest run (>= 2) of zero groups as "::". */
static void ip6_str(const uint8_t *a, char *out, size_t cap)
{
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && ld_u16be(a + 2 * j) == 0)
            j++;
        if (j - i > bestlen && j - i >= 2) {
            best = i;
            bestlen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t l = 0;
    out[0] = 0;
    for (int i = 0; i < 8 && l < cap; i++) {
        if (i == best) {
            l += (size_t)snprintf(out + l, cap - l, "::");
            i += bestlen - 1;
            continue;
        }
        int sep = i > 0 && i != best + bestlen;
        l += (size_t)snprintf(out + l, cap - l, "%s%x", sep ? ":" : "",
                              (unsigned)ld_u16be(a + 2 * i));
    }
}

static void emit_san(struct proto_out *o, const char *path, const struct x509_cert *c)
{
    struct rdr r;
    struct der g;
    char ip[64];
    rdr_init(&r, c->san.v, c->san.n);
    for (int k = 0; k < 512 && rdr_left(&r) > 0 && der_get(&r, &g) == 0; k++) {
        if (g.cls != 2)
            continue;
        if (g.tag == 2) { /* dNSName */
            proto_str(o, path, (const char *)g.v, g.n);
        } else if (g.tag == 7 && g.n == 4) { /* iPAddress */
            snprintf(ip, sizeof ip, "%u.%u.%u.%u", g.v[0], g.v[1], g.v[2], g.v[3]);
            proto_cstr(o, path, ip);
        } else if (g.tag == 7 && g.n == 16) {
            ip6_str(g.v, ip, sizeof ip);
            proto_cstr(o, path, ip);
        }
    }
}

void x509_emit(struct proto_out *o, const struct x509_paths *p, const struct x509_cert *c)
{
    char s[2048];
    const char *const subj[6] = {p->subject_cn, p->subject_o, p->subject_ou,
                                 p->subject_c,  p->subject_l, p->subject_st};
    const char *const iss[6] = {p->issuer_cn, p->issuer_o, p->issuer_ou,
                                p->issuer_c,  p->issuer_l, p->issuer_st};
    emit_attrs(o, &c->subject, subj);
    x509_name_str(&c->subject, s, sizeof s);
    proto_cstr(o, p->subject_dn, s);
    emit_attrs(o, &c->issuer, iss);
    x509_name_str(&c->issuer, s, sizeof s);
    proto_cstr(o, p->issuer_dn, s);
    proto_hex(o, p->serial, c->serial, c->serial_len);
    if (c->not_before[0])
        proto_cstr(o, p->not_before, c->not_before);
    if (c->not_after[0])
        proto_cstr(o, p->not_after, c->not_after);
    if (c->has_san)
        emit_san(o, p->alt_names, c);
    if (c->key_alg[0])
        proto_cstr(o, p->key_alg, c->key_alg);
    if (c->key_bits)
        proto_int(o, p->key_size, c->key_bits);
    if (c->key_curve[0])
        proto_cstr(o, p->key_curve, c->key_curve);
    if (c->sig_alg[0])
        proto_cstr(o, p->sig_alg, c->sig_alg);
    snprintf(s, sizeof s, "%d", c->version);
    proto_cstr(o, p->version, s);
    proto_bool(o, p->self_signed, x509_self_signed(c));
    uint8_t h1[20], h2[32];
    if (x509_digest(c->der, c->der_len, h1, h2) == 0) {
        proto_hex(o, p->sha1, h1, sizeof h1);
        proto_hex(o, p->sha256, h2, sizeof h2);
    }
}
