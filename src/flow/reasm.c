/*
 * reasm.c — TCP stream reassembly for one direction (reasm.h).
 *
 *   next ─┐           held (sorted, non-overlapping copies)
 *   ──────┴──[ hole ]──[seg]──[seg]─[ hole ]──[seg]──▶ sequence space
 *
 * A segment at `next` is delivered from the packet itself, then every held
 * segment that has become contiguous.  A segment ahead of `next` is copied
 * into the held list piece by piece, skipping what is already held (first
 * copy wins; a different second copy is counted).  A segment behind `next`
 * is a retransmission: its bytes are compared with the tail of what was
 * delivered, and only its new part (if any) is used.  RFC 793 §3.3 (sequence
 * space), RFC 9293 §3.10.7.4 (segment arrival).
 */
#include "flow/reasm.h"

#include "core/err.h"

#include <stdlib.h>
#include <string.h>

struct reasm_seg {
    struct reasm_seg *next;
    uint32_t seq, len;
    uint8_t data[];
};

static int32_t sdiff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

void reasm_init(struct reasm_dir *r)
{
    memset(r, 0, sizeof *r);
}

void reasm_release(struct reasm_dir *r)
{
    if (r->budget)
        r->budget->used -= r->held_bytes;
    struct reasm_seg *s = r->held;
    while (s) {
        struct reasm_seg *n = s->next;
        free(s);
        s = n;
    }
    free(r->tail);
    memset(r, 0, sizeof *r);
}

static void tail_push(struct reasm_dir *r, const uint8_t *d, size_t n)
{
    if (!r->tail) {
        r->tail = malloc(REASM_TAIL);
        if (!r->tail)
            return;
        r->tail_len = 0;
    }
    size_t m = n < REASM_TAIL ? n : REASM_TAIL;
    size_t keep = r->tail_len;
    if (keep > REASM_TAIL - m)
        keep = REASM_TAIL - m;
    memmove(r->tail, r->tail + r->tail_len - keep, keep);
    memcpy(r->tail + keep, d + n - m, m);
    r->tail_len = (uint32_t)(keep + m);
}

/* Bytes [seq, seq + n) lie before next: compare what the tail still holds. */
static void compare_old(struct reasm_dir *r, uint32_t seq, const uint8_t *d, size_t n)
{
    r->st.overlaps++;
    if (!r->tail || !r->tail_len)
        return;
    uint32_t tail_start = r->next - r->tail_len;
    int32_t off = sdiff(seq, tail_start);
    size_t skip = 0;
    if (off < 0) {
        skip = (size_t) - (int64_t)off;
        if (skip >= n)
            return;
        off = 0;
    }
    size_t avail = r->tail_len - (size_t)off;
    size_t len = n - skip < avail ? n - skip : avail;
    if (memcmp(r->tail + off, d + skip, len) != 0)
        r->st.overlaps_differ++;
}

static void deliver(struct reasm_dir *r, const uint8_t *d, size_t n, reasm_out_fn out, void *ctx)
{
    if (!n)
        return;
    out(ctx, d, n);
    r->next += (uint32_t)n;
    r->st.delivered += n;
    tail_push(r, d, n);
}

static void gap(struct reasm_dir *r, uint32_t n, reasm_out_fn out, void *ctx)
{
    if (!n)
        return;
    out(ctx, NULL, n);
    r->next += n;
    r->st.gaps++;
    r->st.gap_bytes += n;
    r->tail_len = 0; /* what follows is not contiguous with the tail */
}

/* Deliver held segments that reach next. */
static void drain(struct reasm_dir *r, reasm_out_fn out, void *ctx)
{
    while (r->held && sdiff(r->held->seq, r->next) <= 0) {
        struct reasm_seg *s = r->held;
        r->held = s->next;
        r->held_bytes -= s->len;
        if (r->budget)
            r->budget->used -= s->len;
        uint32_t skip = (uint32_t)sdiff(r->next, s->seq);
        if (skip < s->len)
            deliver(r, s->data + skip, s->len - skip, out, ctx);
        free(s);
    }
}

static struct reasm_seg *seg_new(uint32_t seq, const uint8_t *d, size_t n)
{
    struct reasm_seg *s = malloc(sizeof *s + n);
    if (!s)
        return NULL;
    s->next = NULL;
    s->seq = seq;
    s->len = (uint32_t)n;
    memcpy(s->data, d, n);
    return s;
}

/* Hold [seq, seq + n) ahead of next, skipping bytes already held. */
static int hold(struct reasm_dir *r, uint32_t seq, const uint8_t *d, size_t n)
{
    uint32_t cur = seq, end = seq + (uint32_t)n;
    struct reasm_seg **pp = &r->held;
    while (sdiff(end, cur) > 0) {
        struct reasm_seg *e = *pp;
        uint32_t stop = end;
        if (e && sdiff(e->seq, end) < 0) {
            uint32_t e_end = e->seq + e->len;
            if (sdiff(e_end, cur) <= 0) { /* e lies wholly before cur */
                pp = &e->next;
                continue;
            }
            if (sdiff(e->seq, cur) <= 0) { /* cur is inside e: compare the overlap */
                uint32_t ov_end = sdiff(e_end, end) < 0 ? e_end : end;
                size_t len = (size_t)sdiff(ov_end, cur);
                r->st.overlaps++;
                if (memcmp(e->data + (uint32_t)sdiff(cur, e->seq), d + (uint32_t)sdiff(cur, seq),
                           len) != 0)
                    r->st.overlaps_differ++;
                cur = ov_end;
                pp = &e->next;
                continue;
            }
            stop = e->seq; /* a piece before e */
        }
        size_t len = (size_t)sdiff(stop, cur);
        struct reasm_seg *s = seg_new(cur, d + (uint32_t)sdiff(cur, seq), len);
        if (!s)
            return KS_ENOMEM;
        s->next = *pp;
        *pp = s;
        pp = &s->next;
        r->held_bytes += len;
        if (r->budget)
            r->budget->used += len;
        r->st.held_segs++;
        cur = stop;
    }
    return 0;
}

int reasm_segment(struct reasm_dir *r, uint32_t seq, int syn, int fin, const uint8_t *d, size_t n,
                  reasm_out_fn out, void *ctx)
{
    if (syn) {
        if (!r->started) {
            r->next = seq + 1;
            r->started = 1;
        }
        seq += 1; /* data on a SYN (TCP Fast Open) follows the SYN's sequence number */
    }
    if (fin && !r->fin_seen) {
        r->fin_seen = 1;
        r->fin_seq = seq + (uint32_t)n;
    }
    if (!n)
        return 0;
    if (!r->started) { /* picked up mid-stream: start here */
        r->next = seq;
        r->started = 1;
    }
    int32_t off = sdiff(seq, r->next);
    if (off < 0) {
        size_t skip = (size_t) - (int64_t)off;
        if (skip >= n) {
            compare_old(r, seq, d, n);
            return 0;
        }
        compare_old(r, seq, d, skip);
        seq += (uint32_t)skip;
        d += skip;
        n -= skip;
        off = 0;
    }
    if (off == 0) {
        /* the part of it that is also held (rare) is compared when drained; deliver it now */
        deliver(r, d, n, out, ctx);
        drain(r, out, ctx);
        return 0;
    }
    int over_budget = r->budget && r->budget->used + n > r->budget->max;
    if (over_budget)
        r->budget->refused++;
    if ((uint32_t)off > REASM_MAX_AHEAD || r->held_bytes + n > REASM_MAX_HELD || over_budget) {
        /* Too far ahead or too much held: give the hole up and go on after it. */
        uint32_t to = r->held && sdiff(r->held->seq, seq) < 0 ? r->held->seq : seq;
        gap(r, (uint32_t)sdiff(to, r->next), out, ctx);
        drain(r, out, ctx);
        if (sdiff(seq, r->next) <= 0 || r->held_bytes + n > REASM_MAX_HELD || over_budget) {
            if (sdiff(seq, r->next) > 0) { /* still too much held: flush it all */
                reasm_flush(r, out, ctx);
                gap(r, (uint32_t)sdiff(seq, r->next), out, ctx);
            }
            return reasm_segment(r, seq, 0, 0, d, n, out, ctx);
        }
    }
    if (hold(r, seq, d, n)) {
        r->st.dropped_old++;
        return KS_ENOMEM;
    }
    return 0;
}

void reasm_flush(struct reasm_dir *r, reasm_out_fn out, void *ctx)
{
    while (r->held) {
        int32_t hole = sdiff(r->held->seq, r->next);
        if (hole > 0)
            gap(r, (uint32_t)hole, out, ctx);
        drain(r, out, ctx);
    }
}
