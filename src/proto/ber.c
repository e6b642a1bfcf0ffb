/*
 * ber.c — bounded BER/DER TLV reader (ber.h).
 *
 * ITU-T X.690 §8.1 encodes every value as identifier, length, contents:
 *
 *   identifier  8 7 | 6 | 5 4 3 2 1        class (00 univ, 01 app, 10 ctx, 11 priv),
 *               cls | C | number           C = constructed; number 31 = high tag:
 *               then 1xxxxxxx … 0xxxxxxx   base-128 tag number, first octet not 0x80
 *   length      0xxxxxxx                   short form, 0..127
 *               1nnnnnnn + n octets        long form, n = 1..4 here (§8.1.3.5)
 *               0x80                       indefinite (§8.1.3.6) — rejected
 *               0xff                       reserved (§8.1.3.5 c) — rejected
 *
 * Every read goes through struct rdr; a value's length is checked against what
 * is left at its level before anything points at it.
 */
#include "proto/ber.h"

/* Identifier and length octets at r; the value is checked against rdr_left(). */
static int read_hdr(struct rdr *r, struct ber_tlv *t)
{
    size_t start = r->off;
    uint8_t id = rdr_u8(r);
    if (!rdr_ok(r))
        return BER_ETRUNC;
    t->cls = id >> 6;
    t->constructed = (id >> 5) & 1;
    t->tag = id & 0x1f;
    if (t->tag == 0x1f) {
        uint32_t tag = 0;
        for (int i = 0;; i++) {
            uint8_t c = rdr_u8(r);
            if (!rdr_ok(r))
                return BER_ETRUNC;
            if ((i == 0 && c == 0x80) || i >= 4)
                return BER_ETAG; /* not minimal (§8.1.2.4.2 c), or past 28 bits */
            tag = tag << 7 | (c & 0x7f);
            if (!(c & 0x80))
                break;
        }
        t->tag = tag;
    }
    uint8_t l = rdr_u8(r);
    if (!rdr_ok(r))
        return BER_ETRUNC;
    size_t len = l;
    if (l == 0x80)
        return BER_EINDEF;
    if (l > 0x80) {
        int k = l & 0x7f;
        if (k > 4)
            return BER_ELEN;
        len = 0;
        for (int i = 0; i < k; i++)
            len = len << 8 | rdr_u8(r);
        if (!rdr_ok(r))
            return BER_ETRUNC;
    }
    t->hdr = r->off - start;
    t->len = len;
    return 0;
}

void ber_init(struct ber *b, const uint8_t *p, size_t n)
{
    rdr_init(&b->r, p, n);
    b->depth = 0;
}

int ber_next(struct ber *b, struct ber_tlv *t)
{
    if (rdr_left(&b->r) == 0)
        return b->r.err ? BER_ETRUNC : 0;
    struct rdr r = b->r;
    int rc = read_hdr(&r, t);
    if (rc)
        return rc;
    t->val = rdr_bytes(&r, t->len);
    if (!t->val)
        return BER_ETRUNC;
    b->r = r;
    return 1;
}

int ber_peek(const struct ber *b, struct ber_tlv *t)
{
    struct ber c = *b;
    return ber_next(&c, t);
}

int ber_expect(struct ber *b, int cls, uint32_t tag, struct ber_tlv *t)
{
    struct ber c = *b;
    int rc = ber_next(&c, t);
    if (rc <= 0)
        return rc;
    if (t->cls != cls || t->tag != tag)
        return BER_EUNEXP;
    *b = c;
    return 1;
}

int ber_enter(const struct ber *outer, const struct ber_tlv *t, struct ber *inner)
{
    if (!t->constructed)
        return BER_EPRIM;
    if (outer->depth + 1 > BER_MAX_DEPTH)
        return BER_EDEPTH;
    rdr_init(&inner->r, t->val, t->len);
    inner->depth = outer->depth + 1;
    return 0;
}

int ber_header(const uint8_t *p, size_t n, struct ber_tlv *t)
{
    struct rdr r;
    rdr_init(&r, p, n);
    int rc = read_hdr(&r, t);
    if (rc)
        return rc;
    t->val = p + t->hdr;
    return 0;
}

long ber_frame_len(const uint8_t *p, size_t n)
{
    struct ber_tlv t;
    int rc = ber_header(p, n, &t);
    if (rc == BER_ETRUNC)
        return 0;
    if (rc)
        return rc;
    if (t.len > (size_t)0x7fffffff - t.hdr)
        return BER_ELEN;
    return (long)(t.hdr + t.len);
}

int ber_int(const struct ber_tlv *t, int64_t *v)
{
    if (t->len < 1 || t->len > 8 || t->constructed)
        return BER_EVALUE;
    uint64_t u = (t->val[0] & 0x80) ? UINT64_MAX : 0; /* sign extension */
    for (size_t i = 0; i < t->len; i++)
        u = u << 8 | t->val[i];
    *v = (int64_t)u;
    return 0;
}

int ber_bool(const struct ber_tlv *t, int *v)
{
    if (t->len != 1 || t->constructed)
        return BER_EVALUE;
    *v = t->val[0] != 0;
    return 0;
}

const char *ber_strerror(int err)
{
    switch (err) {
    case BER_ETRUNC:
        return "truncated";
    case BER_EINDEF:
        return "indefinite length";
    case BER_ELEN:
        return "length too long";
    case BER_ETAG:
        return "bad high tag number";
    case BER_EDEPTH:
        return "nested too deep";
    case BER_EPRIM:
        return "primitive value where a constructed one was expected";
    case BER_EUNEXP:
        return "unexpected tag";
    case BER_EVALUE:
        return "value does not fit";
    default:
        return err >= 0 ? "ok" : "unknown error";
    }
}
