/*
 * pdu.h — cut one direction of a TCP byte stream into whole frames.
 *
 * Parsers of framed protocols (SSH packets, TPKT, LDAP's BER messages, Kerberos'
 * record marking) get bytes in arbitrary pieces.  struct pdu hands them whole
 * frames: a frame that lies inside one piece is passed without a copy, the rest
 * is collected in a buffer with a hard cap.  A frame larger than the cap is passed
 * as its first `cap` bytes (n < total) and the remainder is skipped unseen.
 */
#ifndef KONSEKI_PROTO_PDU_H
#define KONSEKI_PROTO_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define PDU_BAD ((size_t)-1)

/*
 * The total length of the frame that starts at p (n bytes available): > 0, 0 when
 * more bytes are needed to tell, or PDU_BAD when the bytes cannot start a frame.
 */
typedef size_t (*pdu_len_fn)(void *ctx, const uint8_t *p, size_t n);
/* One frame: p[0..n) of a frame of `total` bytes (n < total: cut at the cap).
 * Return 0 to go on, anything else stops pdu_feed, which returns it. */
typedef int (*pdu_frame_fn)(void *ctx, const uint8_t *p, size_t n, size_t total);

struct pdu {
    struct buf b;  /* a partial frame (never a whole one between calls) */
    uint64_t skip; /* bytes of an oversized frame still to drop */
};

void pdu_init(struct pdu *a, size_t cap);
void pdu_release(struct pdu *a);
/* Forget buffered bytes (after a gap the stream is out of step). */
void pdu_reset(struct pdu *a);
/*
 * Feed n bytes.  Returns 0 when all were used, the frame callback's non-zero
 * return, KS_EFORMAT when len said PDU_BAD (or a header does not fit the cap), or
 * KS_ENOMEM.
 */
int pdu_feed(struct pdu *a, const uint8_t *d, size_t n, pdu_len_fn len, pdu_frame_fn fn, void *ctx);

/* The two directions of a session, set up on first use (parser state starts zeroed). */
struct pdu_pair {
    struct pdu dir[2];
    int inited;
};

void pdu_pair_use(struct pdu_pair *p, size_t cap);
void pdu_pair_release(struct pdu_pair *p);

#endif
