/* test_reasm.c — TCP reassembly: order, holes, overlaps, bounds, wraparound. */
#include "flow/reasm.h"
#include "t.h"

#include <stdlib.h>

struct sink {
    char out[4096];
    size_t len;
    uint64_t gaps;
};

static void collect(void *ctx, const uint8_t *d, size_t n)
{
    struct sink *s = ctx;
    if (!d) {
        s->gaps += n;
        for (size_t i = 0; i < n && s->len < sizeof s->out; i++)
            s->out[s->len++] = '_';
        return;
    }
    for (size_t i = 0; i < n && s->len < sizeof s->out; i++)
        s->out[s->len++] = (char)d[i];
}

static void seg(struct reasm_dir *r, struct sink *s, uint32_t seq, const char *txt)
{
    reasm_segment(r, seq, 0, 0, (const uint8_t *)txt, strlen(txt), collect, s);
}

TEST(reasm_in_order_and_out_of_order)
{
    struct reasm_dir r;
    struct sink s = {0};
    reasm_init(&r);
    reasm_segment(&r, 999, 1, 0, NULL, 0, collect, &s);
    seg(&r, &s, 1000, "GET ");
    seg(&r, &s, 1010, "HTTP/1.1"); /* early */
    seg(&r, &s, 1007, "x/ ");      /* early, before the other */
    seg(&r, &s, 1004, "/in");      /* fills the hole */
    ASSERT_EQ(s.len, 18);
    ASSERT_MEM_EQ(s.out, "GET /inx/ HTTP/1.1", 18);
    ASSERT_EQ(r.held_bytes, 0);
    ASSERT_EQ(r.st.delivered, 18);
    reasm_release(&r);
}

TEST(reasm_overlap_first_copy_wins)
{
    struct reasm_dir r;
    struct sink s = {0};
    reasm_init(&r);
    seg(&r, &s, 100, "abcd");   /* mid-stream pickup */
    seg(&r, &s, 110, "klmn");   /* held */
    seg(&r, &s, 108, "XXkl");   /* overlaps the held one: same bytes at 110..111 */
    seg(&r, &s, 112, "ZZop");   /* 112..113 differ from held "mn" */
    seg(&r, &s, 102, "cdefgh"); /* partial retransmission, same data */
    ASSERT_EQ(s.len, 16);
    ASSERT_MEM_EQ(s.out, "abcdefghXXklmnop", 16);
    ASSERT_EQ(r.st.overlaps_differ, 1);
    seg(&r, &s, 100, "abQd"); /* full retransmission that differs */
    ASSERT_EQ(r.st.overlaps_differ, 2);
    ASSERT_EQ(s.len, 16);
    reasm_release(&r);
}

TEST(reasm_gap_at_end_and_when_too_far)
{
    struct reasm_dir r;
    struct sink s = {0};
    reasm_init(&r);
    seg(&r, &s, 0, "ab");
    seg(&r, &s, 5, "fg");
    reasm_flush(&r, collect, &s);
    ASSERT_EQ(s.gaps, 3);
    ASSERT_MEM_EQ(s.out, "ab___fg", 7);
    reasm_release(&r);

    struct sink s2 = {0};
    reasm_init(&r);
    seg(&r, &s2, 0, "ab");
    seg(&r, &s2, 2 + REASM_MAX_AHEAD + 10, "zz"); /* beyond the window: the hole is given up */
    ASSERT_EQ(s2.gaps, REASM_MAX_AHEAD + 10);
    ASSERT_EQ(r.next, 2 + REASM_MAX_AHEAD + 12);
    reasm_release(&r);
}

TEST(reasm_held_memory_is_bounded)
{
    struct reasm_dir r;
    struct sink s = {0};
    reasm_init(&r);
    seg(&r, &s, 0, "a");
    static uint8_t chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (uint32_t i = 0; i < 600; i++) /* 600 KB ahead of a 1-byte hole */
        reasm_segment(&r, 2 + i * 1000, 0, 0, chunk, sizeof chunk, collect, &s);
    ASSERT_LE(r.held_bytes, REASM_MAX_HELD);
    ASSERT_GE(r.st.gaps, 1);
    reasm_flush(&r, collect, &s);
    ASSERT_EQ(r.st.delivered + r.st.gap_bytes, 2 + 600 * 1000);
    reasm_release(&r);
}

TEST(reasm_sequence_wraps)
{
    struct reasm_dir r;
    struct sink s = {0};
    reasm_init(&r);
    reasm_segment(&r, 0xfffffffd, 1, 0, NULL, 0, collect, &s);
    seg(&r, &s, 0x00000001, "cd"); /* after the wrap, early */
    seg(&r, &s, 0xfffffffe, "ab"); /* 0xfffffffe, 0xffffffff */
    seg(&r, &s, 0x00000000, "Z");  /* 0x0 */
    ASSERT_EQ(s.len, 5);
    ASSERT_MEM_EQ(s.out, "abZcd", 5);
    reasm_release(&r);
}

TEST(reasm_shared_budget_turns_holes_into_gaps)
{
    struct reasm_budget b = {0, 3000, 0};
    struct reasm_dir r1, r2;
    struct sink s1 = {0}, s2 = {0};
    reasm_init(&r1);
    reasm_init(&r2);
    r1.budget = r2.budget = &b;
    static uint8_t chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    seg(&r1, &s1, 0, "a");
    seg(&r2, &s2, 0, "b");
    /* stream 1 holds 2000 bytes ahead of a hole; stream 2 may hold only 1000 more */
    reasm_segment(&r1, 10, 0, 0, chunk, sizeof chunk, collect, &s1);
    reasm_segment(&r1, 1010, 0, 0, chunk, sizeof chunk, collect, &s1);
    ASSERT_EQ(b.used, 2000);
    reasm_segment(&r2, 10, 0, 0, chunk, sizeof chunk, collect, &s2);
    ASSERT_EQ(b.used, 3000);
    reasm_segment(&r2, 1010, 0, 0, chunk, sizeof chunk, collect, &s2); /* over: no holding */
    ASSERT_EQ(b.refused, 1);
    ASSERT_LE(b.used, 3000);
    ASSERT_GE(r2.st.gaps, 1); /* its hole was given up, its data delivered */
    ASSERT_EQ(r2.st.delivered, 1 + 2000);
    reasm_release(&r1);
    reasm_release(&r2);
    ASSERT_EQ(b.used, 0);
}
