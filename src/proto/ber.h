/*
 * ber.h — a bounded reader for BER/DER TLVs (ITU-T X.690), for LDAP and Kerberos.
 *
 * A struct ber is a cursor over one level of TLVs; ber_enter() opens a
 * constructed value as a new cursor one level deeper.  Only definite lengths of
 * up to 4 length octets are accepted (indefinite lengths are rejected: neither
 * LDAP nor Kerberos uses them), tag numbers up to 2^28, nesting up to BER_MAX_DEPTH.
 * Values point into the caller's bytes; nothing is allocated.
 */
#ifndef KONSEKI_PROTO_BER_H
#define KONSEKI_PROTO_BER_H

#include <stddef.h>
#include <stdint.h>

#include "core/rdr.h"

#define BER_MAX_DEPTH 32

enum { BER_UNIVERSAL = 0, BER_APPLICATION = 1, BER_CONTEXT = 2, BER_PRIVATE = 3 };

/* Universal tag numbers used by the parsers. */
enum {
    BER_BOOLEAN = 1,
    BER_INTEGER = 2,
    BER_BIT_STRING = 3,
    BER_OCTET_STRING = 4,
    BER_NULL = 5,
    BER_OID = 6,
    BER_ENUMERATED = 10,
    BER_SEQUENCE = 16,
    BER_SET = 17,
    BER_GENERAL_STRING = 27
};

/* Errors (negative), besides KS_* codes. */
enum {
    BER_ETRUNC = -1, /* header or value runs past the end */
    BER_EINDEF = -2, /* indefinite length */
    BER_ELEN = -3,   /* more than 4 length octets, or the reserved 0xff */
    BER_ETAG = -4,   /* high tag number too long or not minimal */
    BER_EDEPTH = -5, /* nested deeper than BER_MAX_DEPTH */
    BER_EPRIM = -6,  /* ber_enter on a primitive value */
    BER_EUNEXP = -7, /* ber_expect: another tag than the one asked for */
    BER_EVALUE = -8  /* a value that does not fit (integer too wide …) */
};

struct ber_tlv {
    uint8_t cls;         /* BER_UNIVERSAL … BER_PRIVATE */
    uint8_t constructed; /* 1 when the value holds TLVs */
    uint32_t tag;        /* tag number */
    const uint8_t *val;  /* value bytes (into the caller's buffer) */
    size_t len;          /* value length */
    size_t hdr;          /* identifier + length octets */
};

struct ber {
    struct rdr r;
    int depth;
};

void ber_init(struct ber *b, const uint8_t *p, size_t n);
/* Next TLV at this level: 1 read, 0 at the end, < 0 an error (the cursor stays put). */
int ber_next(struct ber *b, struct ber_tlv *t);
/* The next TLV without moving (same returns). */
int ber_peek(const struct ber *b, struct ber_tlv *t);
/* Read the next TLV and require class and tag: 1, 0 at the end, < 0 (BER_EUNEXP …). */
int ber_expect(struct ber *b, int cls, uint32_t tag, struct ber_tlv *t);
/* A cursor inside constructed t, one level below outer: 0 or BER_EPRIM / BER_EDEPTH. */
int ber_enter(const struct ber *outer, const struct ber_tlv *t, struct ber *inner);
/*
 * Only the identifier and length octets at p: 0 (t->val = p + t->hdr, t->len as
 * stated, which may run past n) or < 0 (BER_ETRUNC when the header is incomplete).
 * For probes that look at the first bytes of a message that has not all arrived.
 */
int ber_header(const uint8_t *p, size_t n, struct ber_tlv *t);
/*
 * From the first n bytes of a stream, the total size of the TLV starting there:
 * > 0, 0 when the header is not complete yet, < 0 an error.
 */
long ber_frame_len(const uint8_t *p, size_t n);
/* INTEGER / ENUMERATED value (1..8 octets, two's complement): 0 or BER_EVALUE. */
int ber_int(const struct ber_tlv *t, int64_t *v);
/* BOOLEAN (one octet, any non-zero is TRUE): 0 or BER_EVALUE. */
int ber_bool(const struct ber_tlv *t, int *v);
/* A static description of a BER_E* code. */
const char *ber_strerror(int err);

#endif
