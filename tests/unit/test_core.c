/* Unit tests for src/core: buffers, varints, positions, time parsing, addresses. */
#include "t.h"

#include "core/addr.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/ktime.h"
#include "core/pos.h"

#include <stdio.h>
#include <string.h>

TEST(core_buf_cap)
{
    struct buf b;
    buf_init(&b, 8);
    ASSERT_EQ(buf_append(&b, "12345678", 8), 0);
    ASSERT_EQ(buf_append(&b, "9", 1), KS_ELIMIT);
    ASSERT_EQ(b.len, 8);
    ASSERT_STR_EQ(buf_cstr(&b), "12345678");
    buf_release(&b);
}

TEST(core_buf_printf_long)
{
    struct buf b;
    buf_init(&b, 0);
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT_EQ(buf_printf(&b, "<%s>", big), 0);
    ASSERT_EQ(b.len, 1001);
    ASSERT_EQ(buf_cstr(&b)[1000], '>');
    buf_release(&b);
}

TEST(core_pos_roundtrip)
{
    /* Positions go up and down (two link types interleave): zig-zag keeps both small. */
    uint64_t in[] = {
        POS_MAKE(1, 24),   POS_MAKE(1, 100), POS_MAKE(1, 1500),         POS_MAKE(2, 24),
        POS_MAKE(1, 3000), POS_MAKE(7, 0),   POS_MAKE(7, POS_OFF_MASK), 0};
    struct buf b;
    buf_init(&b, 1024);
    uint64_t prev = 0;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        ASSERT_EQ(pos_append(&b, &prev, in[i]), 0);
    struct pos_iter it;
    pos_iter_init(&it, b.data, b.len);
    uint64_t p;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        ASSERT_EQ(pos_next(&it, &p), 1);
        ASSERT_EQ(p, in[i]);
    }
    ASSERT_EQ(pos_next(&it, &p), 0);
    /* A cut varint is an error, not a read past the end. */
    pos_iter_init(&it, (const uint8_t *)"\xff\xff", 2);
    ASSERT_EQ(pos_next(&it, &p), KS_ECORRUPT);
    buf_release(&b);
}

TEST(core_pos_small_deltas)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    uint64_t prev = 0;
    pos_append(&b, &prev, POS_MAKE(3, 24));
    size_t first = b.len;
    for (int i = 1; i <= 100; i++)
        pos_append(&b, &prev, POS_MAKE(3, 24 + (uint64_t)i * 90));
    /* 90-byte steps encode as one byte each (zig-zag 180 needs two: 7 bits per byte). */
    ASSERT_EQ(b.len - first, 200);
    buf_release(&b);
}

TEST(core_ktime_parse)
{
    int64_t v, now = 1700000000LL * KT_NS_PER_SEC;
    ASSERT_EQ(ktime_parse("1700000000", now, &v), 0);
    ASSERT_EQ(v, 1700000000LL * KT_NS_PER_SEC);
    ASSERT_EQ(ktime_parse("1700000000.25", now, &v), 0);
    ASSERT_EQ(v, 1700000000LL * KT_NS_PER_SEC + 250000000);
    ASSERT_EQ(ktime_parse("7d", now, &v), 0);
    ASSERT_EQ(v, now - 7 * 86400LL * KT_NS_PER_SEC);
    ASSERT_EQ(ktime_parse("90m", now, &v), 0);
    ASSERT_EQ(v, now - 5400LL * KT_NS_PER_SEC);
    ASSERT_EQ(ktime_parse("2023-11-14T22:13:20Z", now, &v), 0);
    ASSERT_EQ(v, 1700000000LL * KT_NS_PER_SEC);
    ASSERT_EQ(ktime_parse("2023-11-15T00:13:20.5+02:00", now, &v), 0);
    ASSERT_EQ(v, 1700000000LL * KT_NS_PER_SEC + 500000000);
    ASSERT_EQ(ktime_parse("2023-11-14", now, &v), 0);
    ASSERT_EQ(v, 1699920000LL * KT_NS_PER_SEC);
    ASSERT_EQ(ktime_parse("2023-13-01", now, &v), KS_EINVAL);
    ASSERT_EQ(ktime_parse("yesterday", now, &v), KS_EINVAL);
    ASSERT_EQ(ktime_parse("", now, &v), KS_EINVAL);
    ASSERT_EQ(ktime_parse("2023-11-14T22:13:20Zjunk", now, &v), KS_EINVAL);
    /* Values past what int64 nanoseconds hold are refused, not wrapped. */
    ASSERT_EQ(ktime_parse("99999999999w", now, &v), KS_EINVAL);
    ASSERT_EQ(ktime_parse("999999999999", now, &v), KS_EINVAL);
    ASSERT_EQ(ktime_parse("9999-01-01", now, &v), KS_EINVAL);
}

TEST(core_ktime_format)
{
    char s[64];
    ktime_format(1700000000LL * KT_NS_PER_SEC, s, sizeof s);
    ASSERT_STR_EQ(s, "2023-11-14T22:13:20Z");
    ktime_format(1700000000LL * KT_NS_PER_SEC + 1500, s, sizeof s);
    ASSERT_STR_EQ(s, "2023-11-14T22:13:20.0000015Z");
    ktime_format(-1, s, sizeof s);
    ASSERT_STR_EQ(s, "1969-12-31T23:59:59.999999999Z");
    ktime_format_short(1700000000LL * KT_NS_PER_SEC + 123456789, s, sizeof s);
    ASSERT_STR_EQ(s, "2023-11-14 22:13:20.123456");
}

TEST(core_addr_format)
{
    uint8_t v4[4] = {10, 1, 2, 3}, a[16];
    char s[ADDR_STRLEN];
    addr_to16(4, v4, a);
    ASSERT_TRUE(addr_is_v4mapped(a));
    addr_format16(a, s, sizeof s);
    ASSERT_STR_EQ(s, "10.1.2.3");
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    addr_format(6, v6, s, sizeof s);
    ASSERT_STR_EQ(s, "2001:db8::1");
    /* the dotted quad without printf: every digit count, compared with snprintf */
    const uint8_t quads[][4] = {
        {0, 0, 0, 0}, {9, 10, 99, 100}, {255, 254, 200, 109}, {1, 20, 7, 250}};
    for (size_t i = 0; i < sizeof quads / sizeof quads[0]; i++) {
        char want[16], got[16];
        snprintf(want, sizeof want, "%u.%u.%u.%u", quads[i][0], quads[i][1], quads[i][2],
                 quads[i][3]);
        ASSERT_EQ(addr_format4(quads[i], got), strlen(want));
        ASSERT_STR_EQ(got, want);
    }
    addr_format16(a, s, 5); /* cut like snprintf */
    ASSERT_STR_EQ(s, "10.1");
}
