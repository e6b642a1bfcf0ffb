/*
 * defrag.h — IPv4 and IPv6 fragment reassembly with memory and time bounds.
 *
 * Fragments are keyed by (ip version, src, dst, id, protocol for v4, vlan).  Each
 * held fragment carries the caller's packet reference, so the session that the
 * reassembled datagram belongs to gets every frame of it.  Overlaps follow the
 * first-copy-wins rule and are counted; incomplete datagrams are dropped after
 * `timeout_ns` of packet time or when `max_bytes` of fragment data is held
 * (oldest first) and reported through the expire callback with their refs.
 */
#ifndef KONSEKI_DECODE_DEFRAG_H
#define KONSEKI_DECODE_DEFRAG_H

#include "decode/decode.h"

#include <stddef.h>
#include <stdint.h>

struct pkt_ref {
    int64_t ts_ns;
    uint64_t pos;     /* store position of the frame */
    uint32_t wirelen; /* frame length on the wire */
};

struct defrag_cfg {
    size_t max_bytes;   /* bytes held at most, fragment data plus bookkeeping
                           (default 64 MiB) */
    int64_t timeout_ns; /* default 30 s */
    uint32_t max_frags; /* fragments per datagram at most (default 256) */
};

struct defrag_stats {
    uint64_t fragments, datagrams, timeouts, evicted_mem, overlaps, overlaps_differ, too_many_frags,
        too_big, bad_fragments;
};

struct defrag_result {
    const uint8_t *ip; /* reassembled datagram from its IP header; valid until next call */
    uint32_t ip_len;
    const struct pkt_ref *refs; /* every frame of the datagram, arrival order */
    size_t nrefs;
};

/* Called for each datagram given up on (timeout, memory) with the refs of its frames. */
typedef void (*defrag_drop_fn)(void *ctx, const struct pkt_ref *refs, size_t nrefs);

struct defrag;
/* cfg may be NULL for defaults.  Returns NULL on allocation failure. */
struct defrag *defrag_new(const struct defrag_cfg *cfg, defrag_drop_fn drop, void *ctx);
void defrag_free(struct defrag *df);
/*
 * Offer a fragment: pkt/caplen is the whole frame, d is what decode_packet said
 * (DEC_FRAGMENT).  Returns 1 and fills *res when this fragment completes a
 * datagram, 0 when held, <0 when dropped (bad fragment; counted).
 * After 0 the frame's ref always comes back, in a result or through the drop
 * callback (possibly at once, when memory is short); after <0 it never does, the
 * caller keeps the frame as a lone packet (defrag_free without defrag_flush drops
 * held refs silently).  The callback must not call back into df.
 * Packet time in ref also expires old datagrams (as defrag_expire would).
 */
int defrag_add(struct defrag *df, const uint8_t *pkt, uint32_t caplen, const struct decoded *d,
               const struct pkt_ref *ref, struct defrag_result *res);
/* Arrival time of the oldest fragment held (INT64_MAX when none). */
int64_t defrag_oldest_ns(const struct defrag *df);
/* Give up on datagrams older than now - timeout (packet time). */
void defrag_expire(struct defrag *df, int64_t now_ns);
/* Give up on everything held (end of input). */
void defrag_flush(struct defrag *df);
const struct defrag_stats *defrag_stats(const struct defrag *df);
/* Bytes charged against max_bytes: fragment data, kept headers and bookkeeping. */
size_t defrag_bytes_held(const struct defrag *df);

#endif
