/*
 * pdu.c — frames out of a byte stream (pdu.h).
 *
 * The buffer only ever holds the start of one frame: when a frame completes in
 * it, the frame is handed over and whatever follows is moved to the front and
 * framed again, so no byte is looked at twice more than needed.
 */
#include "proto/pdu.h"

#include "core/err.h"

#include <string.h>

void pdu_init(struct pdu *a, size_t cap)
{
    buf_init(&a->b, cap);
    a->skip = 0;
}

void pdu_release(struct pdu *a)
{
    buf_release(&a->b);
    a->skip = 0;
}

void pdu_reset(struct pdu *a)
{
    a->b.len = 0;
    a->skip = 0;
}

void pdu_pair_use(struct pdu_pair *p, size_t cap)
{
    if (p->inited)
        return;
    pdu_init(&p->dir[0], cap);
    pdu_init(&p->dir[1], cap);
    p->inited = 1;
}

void pdu_pair_release(struct pdu_pair *p)
{
    if (!p->inited)
        return;
    pdu_release(&p->dir[0]);
    pdu_release(&p->dir[1]);
}

int pdu_feed(struct pdu *a, const uint8_t *d, size_t n, pdu_len_fn len, pdu_frame_fn fn, void *ctx)
{
    for (;;) {
        size_t k = a->skip < n ? (size_t)a->skip : n;
        a->skip -= k;
        d += k;
        n -= k;
        if (a->b.len == 0) {
            if (n == 0)
                return 0;
            size_t t = len(ctx, d, n);
            if (t == PDU_BAD)
                return KS_EFORMAT;
            if (t != 0 && t <= n) { /* whole frame in this piece: no copy */
                int rc = fn(ctx, d, t, t);
                d += t;
                n -= t;
                if (rc)
                    return rc;
                continue;
            }
        }
        size_t room = a->b.cap - a->b.len;
        size_t take = n < room ? n : room;
        if (take && buf_append(&a->b, d, take))
            return KS_ENOMEM;
        d += take;
        n -= take;
        size_t t = len(ctx, a->b.data, a->b.len);
        if (t == PDU_BAD)
            return KS_EFORMAT;
        if (t == 0) {
            if (a->b.len >= a->b.cap)
                return KS_EFORMAT; /* not even the header fits the cap */
            return 0;              /* n is 0: take < room */
        }
        if (t <= a->b.len) {
            int rc = fn(ctx, a->b.data, t, t);
            memmove(a->b.data, a->b.data + t, a->b.len - t);
            a->b.len -= t;
            if (rc)
                return rc;
            continue;
        }
        if (a->b.len >= a->b.cap) { /* larger than the cap: its head, then skip */
            size_t head = a->b.len;
            a->skip = t - head;
            a->b.len = 0;
            int rc = fn(ctx, a->b.data, head, t);
            if (rc)
                return rc;
            continue;
        }
        return 0;
    }
}
