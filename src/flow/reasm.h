/*
 * reasm.h — TCP stream reassembly, one direction at a time.
 *
 * Segments go in as they arrive (sequence number, SYN/FIN flags, payload);
 * ordered bytes come out through a callback, exactly once each.  In-order data
 * is passed straight from the packet (no copy).  Segments that arrive early
 * are copied and held, sorted, until the hole before them fills; where held or
 * retransmitted data overlaps bytes already taken the first copy wins, and a
 * different second copy is counted (overlaps_differ: an evasion attempt or a
 * broken stack).  Retransmissions are compared against a small window of the
 * most recently delivered bytes.
 *
 * Memory is bounded per direction: at most REASM_MAX_HELD bytes held out of
 * order, and nothing further ahead than REASM_MAX_AHEAD; and across streams by an
 * optional shared struct reasm_budget.  When a bound is hit,
 * or the session ends with holes, the missing bytes are announced as a gap
 * (the parser resynchronises or gives up) and delivery goes on after it.
 * A stream picked up without its SYN starts at the first payload seen.
 * Sequence numbers wrap (all comparisons are modulo 2^32).
 */
#ifndef KONSEKI_FLOW_REASM_H
#define KONSEKI_FLOW_REASM_H

#include <stddef.h>
#include <stdint.h>

#define REASM_MAX_HELD (256 * 1024)
#define REASM_MAX_AHEAD (1024 * 1024)
#define REASM_TAIL 2048 /* delivered bytes kept to compare retransmissions */

struct reasm_seg;

/* Held bytes shared by many streams (the engine's global bound); NULL = per-stream bound only. */
struct reasm_budget {
    size_t used, max;
    uint64_t refused; /* segments turned into gaps because the budget was spent */
};

struct reasm_stats {
    uint64_t delivered, gap_bytes, gaps, held_segs, overlaps, overlaps_differ, dropped_old;
};

struct reasm_dir {
    uint32_t next; /* next sequence number to deliver */
    uint8_t started;
    uint8_t fin_seen;
    uint32_t fin_seq;
    struct reasm_seg *held; /* sorted by seq */
    size_t held_bytes;
    struct reasm_budget *budget; /* set by the owner after reasm_init, may be NULL */
    uint8_t *tail; /* last delivered bytes (ring of REASM_TAIL, allocated on first need) */
    uint32_t tail_len;
    struct reasm_stats st;
};

/* Ordered bytes (d, n) of the stream, or a gap of n missing bytes (d == NULL). */
typedef void (*reasm_out_fn)(void *ctx, const uint8_t *d, size_t n);

void reasm_init(struct reasm_dir *r);
void reasm_release(struct reasm_dir *r);
/*
 * One segment.  syn/fin: its flags.  Data that can be delivered is given to
 * out before this returns.  0, or KS_ENOMEM (the segment was skipped and will
 * surface as a gap).
 */
int reasm_segment(struct reasm_dir *r, uint32_t seq, int syn, int fin, const uint8_t *d, size_t n,
                  reasm_out_fn out, void *ctx);
/* End of the session: deliver what is held, with gaps for the holes. */
void reasm_flush(struct reasm_dir *r, reasm_out_fn out, void *ctx);

#endif
