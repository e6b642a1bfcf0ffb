/* test_ber.c — the bounded BER/DER reader: tags, lengths, nesting, integers. */
#include "proto/ber.h"
#include "t.h"

TEST(ber_sequence_and_values)
{
    static const uint8_t m[] = {0x30, 0x09, 0x02, 0x01, 0x05, 0x04, 0x01,
                                'A',  0x01, 0x01, 0xff, 0x02, 0x01, 0x80};
    struct ber b, in;
    struct ber_tlv t;
    int64_t v = 0;
    int bv = 0;
    ber_init(&b, m, sizeof m - 3); /* the last INTEGER is outside the SEQUENCE */
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(t.cls, BER_UNIVERSAL);
    ASSERT_EQ(t.constructed, 1);
    ASSERT_EQ(t.tag, BER_SEQUENCE);
    ASSERT_EQ(t.len, 9);
    ASSERT_EQ(t.hdr, 2);
    ASSERT_EQ(ber_enter(&b, &t, &in), 0);
    ASSERT_EQ(in.depth, 1);
    ASSERT_EQ(ber_expect(&in, BER_UNIVERSAL, BER_INTEGER, &t), 1);
    ASSERT_EQ(ber_int(&t, &v), 0);
    ASSERT_EQ(v, 5);
    /* a wrong expectation leaves the cursor where it was */
    ASSERT_EQ(ber_expect(&in, BER_UNIVERSAL, BER_INTEGER, &t), BER_EUNEXP);
    ASSERT_EQ(ber_peek(&in, &t), 1);
    ASSERT_EQ(ber_expect(&in, BER_UNIVERSAL, BER_OCTET_STRING, &t), 1);
    ASSERT_EQ(t.len, 1);
    ASSERT_EQ(t.val[0], 'A');
    ASSERT_EQ(ber_enter(&in, &t, &b), BER_EPRIM);
    ASSERT_EQ(ber_next(&in, &t), 1);
    ASSERT_EQ(ber_bool(&t, &bv), 0);
    ASSERT_EQ(bv, 1);
    ASSERT_EQ(ber_next(&in, &t), 0); /* end of the SEQUENCE */
    ber_init(&b, m + 11, 3);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(ber_int(&t, &v), 0);
    ASSERT_EQ(v, -128);
}

TEST(ber_high_tags_and_lengths)
{
    struct ber b;
    struct ber_tlv t;
    /* [CONTEXT 128] primitive, one byte: 10 0 11111, 0x81 0x00 */
    static const uint8_t hi[] = {0x9f, 0x81, 0x00, 0x01, 0x2a};
    ber_init(&b, hi, sizeof hi);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(t.cls, BER_CONTEXT);
    ASSERT_EQ(t.tag, 128);
    ASSERT_EQ(t.hdr, 4);
    /* [APPLICATION 30] (KRB-ERROR) fits the low form: 0x7e */
    static const uint8_t app[] = {0x7e, 0x00};
    ber_init(&b, app, sizeof app);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(t.cls, BER_APPLICATION);
    ASSERT_EQ(t.tag, 30);
    ASSERT_EQ(t.len, 0);
    static const uint8_t notmin[] = {0x9f, 0x80, 0x01, 0x00};
    ber_init(&b, notmin, sizeof notmin);
    ASSERT_EQ(ber_next(&b, &t), BER_ETAG);
    static const uint8_t toolong[] = {0x9f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00};
    ber_init(&b, toolong, sizeof toolong);
    ASSERT_EQ(ber_next(&b, &t), BER_ETAG);
    static const uint8_t indef[] = {0x30, 0x80, 0x00, 0x00};
    ber_init(&b, indef, sizeof indef);
    ASSERT_EQ(ber_next(&b, &t), BER_EINDEF);
    static const uint8_t five[] = {0x04, 0x85, 0, 0, 0, 0, 1, 0};
    ber_init(&b, five, sizeof five);
    ASSERT_EQ(ber_next(&b, &t), BER_ELEN);
    static const uint8_t trunc[] = {0x04, 0x05, 'a', 'b'};
    ber_init(&b, trunc, sizeof trunc);
    ASSERT_EQ(ber_next(&b, &t), BER_ETRUNC);
    ASSERT_EQ(b.r.off, 0); /* nothing consumed */
    static uint8_t longf[4 + 256] = {0x04, 0x82, 0x01, 0x00};
    ber_init(&b, longf, sizeof longf);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(t.len, 256);
    ASSERT_EQ(t.hdr, 4);
}

TEST(ber_depth_cap)
{
    /* 40 nested SEQUENCEs of decreasing length: entering stops at level 32 */
    static uint8_t m[80];
    for (int i = 0; i < 40; i++) {
        m[2 * i] = 0x30;
        m[2 * i + 1] = (uint8_t)(78 - 2 * i);
    }
    struct ber lv[BER_MAX_DEPTH + 2];
    struct ber_tlv t;
    ber_init(&lv[0], m, sizeof m);
    int d = 0, rc = 0;
    while ((rc = ber_next(&lv[d], &t)) == 1 && (rc = ber_enter(&lv[d], &t, &lv[d + 1])) == 0)
        d++;
    ASSERT_EQ(rc, BER_EDEPTH);
    ASSERT_EQ(d, BER_MAX_DEPTH);
}

TEST(ber_frame_len_and_ints)
{
    static const uint8_t h1[] = {0x30}, h2[] = {0x30, 0x82, 0x01}, h3[] = {0x30, 0x82, 0x01, 0x00};
    ASSERT_EQ(ber_frame_len(h1, sizeof h1), 0);
    ASSERT_EQ(ber_frame_len(h2, sizeof h2), 0);
    ASSERT_EQ(ber_frame_len(h3, sizeof h3), 260);
    static const uint8_t ind[] = {0x30, 0x80};
    ASSERT_EQ(ber_frame_len(ind, sizeof ind), BER_EINDEF);
    static const uint8_t i9[] = {0x02, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct ber b;
    struct ber_tlv t;
    int64_t v;
    ber_init(&b, i9, sizeof i9);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(ber_int(&t, &v), BER_EVALUE);
    static const uint8_t i0[] = {0x02, 0x00};
    ber_init(&b, i0, sizeof i0);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(ber_int(&t, &v), BER_EVALUE);
    static const uint8_t big[] = {0x02, 0x04, 0x7f, 0xff, 0xff, 0xff};
    ber_init(&b, big, sizeof big);
    ASSERT_EQ(ber_next(&b, &t), 1);
    ASSERT_EQ(ber_int(&t, &v), 0);
    ASSERT_EQ(v, 2147483647);
    ASSERT_STR_EQ(ber_strerror(BER_EINDEF), "indefinite length");
}
