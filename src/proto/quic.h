/*
 * quic.h — QUIC v1 (RFC 9000/9001) and v2 (RFC 9369) Initial packets.
 *
 * The parser (proto_quic) decrypts the client's Initial packets, reassembles the
 * CRYPTO stream and hands the ClientHello to tls_client_hello_fields().  The
 * steps are exported so tests (and the traffic generator) can check each one
 * against the RFCs' sample packets.
 */
#ifndef KONSEKI_PROTO_QUIC_H
#define KONSEKI_PROTO_QUIC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

extern const struct proto_parser proto_quic;

#define QUIC_VERSION_1 0x00000001u
#define QUIC_VERSION_2 0x6b3343cfu
#define QUIC_MAX_CID 20 /* RFC 9000 §17.2: v1 connection IDs are at most 20 bytes */
#define QUIC_TAG_LEN 16 /* AEAD_AES_128_GCM tag */

/* Long header packet types, in v1 numbering (v2's type bits are mapped onto these). */
enum quic_ptype { QUIC_PT_INITIAL = 0, QUIC_PT_0RTT = 1, QUIC_PT_HANDSHAKE = 2, QUIC_PT_RETRY = 3 };

/* Packet protection keys of one direction (AEAD_AES_128_GCM, RFC 9001 §5). */
struct quic_keys {
    uint8_t key[16], iv[12], hp[16];
};

/* A long header as found on the wire; pointers point into the datagram. */
struct quic_long {
    uint32_t version;
    uint8_t first; /* first byte, still header-protected */
    uint8_t type;  /* enum quic_ptype (v1/v2 only) */
    uint8_t dcid_len, scid_len;
    const uint8_t *dcid, *scid;
    const uint8_t *token; /* Initial only */
    size_t token_len;
    size_t pn_off; /* offset of the Packet Number field */
    size_t len;    /* bytes of this packet in the datagram (the next coalesced one starts here) */
};

/* Is v a version whose Initial packets we can decrypt (1 or 2)? */
int quic_version_known(uint32_t v);

/*
 * Parse the long header at d[0..n).  0: a v1/v2 packet whose Length fits in n
 * (Retry: len = n, pn_off = 0); 1: a long header of another version (version and
 * connection IDs filled, len = n); KS_EFORMAT: not a long header or a connection
 * ID over 20 bytes in v1/v2; KS_ETRUNC: cut short.
 */
int quic_parse_long(const uint8_t *d, size_t n, struct quic_long *h);

/*
 * Initial keys of one side (server = 0: the client's) derived from the
 * Destination Connection ID of the client's first Initial (RFC 9001 §5.2, RFC 9369
 * §3.3).  0, or KS_EINVAL for an unknown version, KS_ENOMEM when libcrypto fails.
 */
int quic_initial_keys(uint32_t version, const uint8_t *cid, size_t cid_len, int server,
                      struct quic_keys *k);

/* What quic_unprotect found in the protected header. */
struct quic_plain {
    uint8_t first;  /* first byte without header protection (0xc3 for the RFC 9001 client) */
    uint8_t pn_len; /* 1..4 */
    uint64_t pn;    /* full packet number (RFC 9000 §A.3) */
    size_t len;     /* plaintext (frames) bytes written to out */
};

/*
 * Remove header protection (AES-ECB mask, RFC 9001 §5.4) and packet protection
 * (AES-128-GCM, §5.3) from the packet h (parsed from pkt by quic_parse_long).
 * largest_pn: largest packet number seen so far in this space, -1 for none.  out
 * must hold h->len bytes.  0, KS_ETRUNC when the packet is too short for the
 * header protection sample, KS_ECORRUPT when authentication fails (wrong keys or
 * damaged packet), KS_ENOMEM.
 */
int quic_unprotect(const uint8_t *pkt, const struct quic_long *h, const struct quic_keys *k,
                   int64_t largest_pn, struct quic_plain *pl, uint8_t *out);

/*
 * The reverse, for tests, fuzzing and the traffic generator: build one protected
 * Initial packet of version into out (cap bytes) with the given connection IDs,
 * packet number (encoded on pn_len bytes) and frames.  The frames are padded with
 * PADDING so the header protection sample exists.  Returns the packet length, or
 * a negative KS_* code (KS_ELIMIT when it does not fit in cap).
 */
long quic_initial_protect(uint32_t version, const struct quic_keys *k, const uint8_t *dcid,
                          size_t dcid_len, const uint8_t *scid, size_t scid_len, uint64_t pn,
                          unsigned pn_len, const uint8_t *frames, size_t frames_len, uint8_t *out,
                          size_t cap);

/* QUIC variable-length integer (RFC 9000 §16) from a bounded reader. */
struct rdr;
uint64_t quic_varint(struct rdr *r);

#endif
