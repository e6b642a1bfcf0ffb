/*
 * x509.h — a bounded DER reader and the X.509 certificate fields konseki keeps.
 *
 * Only what an analyst hunts on is decoded (RFC 5280 §4.1): version, serial,
 * signature algorithm, issuer and subject names, validity, the public key's
 * algorithm/size/curve and the subjectAltName DNS names and IP addresses.
 * Every pointer in a parsed struct x509_cert points into the caller's DER bytes,
 * which must outlive it.  Nothing here allocates.
 */
#ifndef KONSEKI_PROTO_X509_H
#define KONSEKI_PROTO_X509_H

#include <stddef.h>
#include <stdint.h>

#include "core/rdr.h"
#include "proto/proto.h"

/* One DER tag-length-value (X.690 §8.1, definite lengths only as DER demands). */
struct der {
    uint8_t cls;  /* 0 universal, 1 application, 2 context-specific, 3 private */
    uint8_t cons; /* constructed */
    uint32_t tag;
    const uint8_t *v; /* the value bytes (inside the reader's memory) */
    size_t n;
    const uint8_t *raw; /* the whole TLV, header included */
    size_t raw_n;
};

/* Read one TLV at r's cursor.  0, or -1 with r's sticky error set. */
int der_get(struct rdr *r, struct der *t);
/* Dotted text of an OBJECT IDENTIFIER's value bytes ("2.5.4.3"); 0, or -1 when malformed. */
int der_oid_str(const uint8_t *p, size_t n, char *out, size_t cap);
/*
 * A directory string (UTF8String, PrintableString, IA5String, T61String as Latin-1,
 * BMPString, UniversalString …) as UTF-8 in out (NUL-terminated).  Length, or -1
 * when t is not a string type.
 */
int der_str_utf8(const struct der *t, char *out, size_t cap);

struct x509_cert {
    const uint8_t *der; /* the whole certificate */
    size_t der_len;
    int version;           /* 1, 2 or 3 */
    const uint8_t *serial; /* INTEGER bytes, a leading 00 removed */
    size_t serial_len;
    struct der issuer, subject;         /* Name SEQUENCEs */
    char not_before[24], not_after[24]; /* RFC 3339 ("2015-02-12T18:07:27Z"), "" if unreadable */
    char sig_alg[96];                   /* "SHA256-RSA", or the dotted OID */
    char key_alg[96];                   /* "rsa", "ec", "dsa", "ed25519" … or the dotted OID */
    char key_curve[96];                 /* "secp256r1" … for EC keys */
    int key_bits;                       /* 0 when unknown */
    struct der san;                     /* GeneralNames SEQUENCE; n == 0 when absent */
    int has_san;
};

/* Parse a DER certificate.  0, or KS_EFORMAT when it is not one. */
int x509_parse(struct x509_cert *c, const uint8_t *der, size_t n);
/*
 * RFC 4514 string of a Name: RDNs last to first, "CN=example.com,O=Org,C=US",
 * multi-valued RDNs joined by '+', specials escaped.  Writes at most cap-1 bytes
 * (a longer name is cut) and returns the length.
 */
size_t x509_name_str(const struct der *name, char *out, size_t cap);
/* Same subject and issuer bytes, and (when libcrypto can check it) a signature its own key
 * verifies. */
int x509_self_signed(const struct x509_cert *c);

/* The full dotted paths one certificate's fields are written under (ECS x509.*). */
struct x509_paths {
    const char *subject_cn, *subject_dn, *subject_o, *subject_ou, *subject_c, *subject_l,
        *subject_st;
    const char *issuer_cn, *issuer_dn, *issuer_o, *issuer_ou, *issuer_c, *issuer_l, *issuer_st;
    const char *serial, *not_before, *not_after, *alt_names, *key_alg, *key_size, *key_curve,
        *sig_alg, *version, *self_signed;
    const char *sha1, *sha256; /* <tls.server|tls.client>.hash.* */
};
extern const struct x509_paths x509_paths_server, x509_paths_client;

/* Write c's fields into the open record of o under the paths p. */
void x509_emit(struct proto_out *o, const struct x509_paths *p, const struct x509_cert *c);
/* SHA-1 (20 bytes) and SHA-256 (32 bytes) of n bytes; 0 or -1. */
int x509_digest(const uint8_t *p, size_t n, uint8_t sha1[20], uint8_t sha256[32]);

#endif
