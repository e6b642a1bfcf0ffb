/*
 * flow.h — the flow table: bidirectional sessions keyed by 5-tuple + VLAN tags.
 *
 * The table owns every live session.  Each decoded packet (or reassembled IP
 * datagram with the refs of all its frames) updates one session: who initiated,
 * TCP state and flag history, per-direction packets / frame bytes / payload
 * bytes, first/last time, and the list of store positions of its frames.
 *
 * A session is emitted through the callback when it ends: TCP close (FIN both
 * ways or RST, after a short linger for stragglers), idle timeout, end of input,
 * or early eviction when the table is full (counted).  A long session is emitted
 * in pieces that share one id (active timeout, or its position list reaching its
 * cap).  A new SYN on the 5-tuple of a closed connection starts a new session.
 *
 * Memory is bounded: at most cfg.max_flows sessions, each with at most
 * cfg.max_pos_bytes of encoded positions, and at most cfg.max_bytes for all of
 * them together; past either bound the least recently active session is
 * emitted early and counted (stats.evicted).  All timing is packet time, so the
 * same input always gives the same sessions with the same ids.
 */
#ifndef KONSEKI_FLOW_FLOW_H
#define KONSEKI_FLOW_FLOW_H

#include "decode/decode.h"
#include "decode/defrag.h"

#include <stddef.h>
#include <stdint.h>

enum flow_end {
    FLOW_END_ACTIVE = 0, /* piece written by the active timeout / position cap; session goes on */
    FLOW_END_FIN,        /* TCP FIN seen both ways */
    FLOW_END_RST,        /* TCP reset */
    FLOW_END_IDLE,       /* idle timeout */
    FLOW_END_EOF,        /* end of input */
    FLOW_END_EVICTED,    /* table full: emitted early (counted) */
    FLOW_END__COUNT
};

#define FLOW_HISTORY_MAX 15

struct proto_rec;

struct session_rec {
    uint64_t id;        /* event.id: the same for every piece of one session */
    uint32_t piece;     /* 0, 1, 2 … */
    uint8_t last_piece; /* 1 when the session ended with this piece */
    int64_t first_ns, last_ns;
    uint8_t ipver, proto;
    uint8_t src[16], dst[16]; /* src = initiator (sent the SYN, else the first packet) */
    uint16_t sport, dport;    /* ICMP: type and code of the first packet */
    uint16_t vlan[2];
    uint8_t nvlan;
    /* [0] initiator → responder, [1] responder → initiator; counters are for this piece */
    uint64_t pkts[2], bytes[2], payload[2];
    uint8_t tcp_flags[2];               /* OR of the TCP flags seen per direction */
    uint32_t syn, synack, fin, rst;     /* TCP flag packet counts (both directions) */
    char history[FLOW_HISTORY_MAX + 1]; /* Zeek-style: ShADadFf, R/r, ^ = flipped */
    const char *state; /* Zeek conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH */
    int end;           /* enum flow_end */
    char community_id[32]; /* "1:" + base64 of SHA-1, seed 0 */
    const uint8_t *pos;    /* encoded positions (core/pos.h) of this piece's frames */
    size_t pos_len;
    void **app; /* the session's application-layer slot (see struct flow_hit) */
    /* set by the pipeline, not the flow table: the protocol and the records of this piece */
    const char *app_name;
    const struct proto_rec *recs;
    size_t nrecs;
};

struct flow_cfg {
    size_t max_flows;      /* default 1,000,000 */
    size_t max_bytes;      /* sessions + position lists held at most, default 1 GiB */
    size_t max_pos_bytes;  /* per session piece; default 64 KiB */
    int64_t tcp_idle_ns;   /* default 300 s */
    int64_t tcp_closed_ns; /* linger after FIN/RST, default 5 s */
    int64_t udp_idle_ns;   /* default 60 s */
    int64_t other_idle_ns; /* ICMP and other IP protocols, default 60 s */
    int64_t active_ns;     /* write a piece of a long session, default 600 s */
};

struct flow_stats {
    uint64_t created, emitted, pieces, evicted, ended[FLOW_END__COUNT];
    uint64_t live, peak_live;
};

typedef void (*flow_emit_fn)(void *ctx, const struct session_rec *s);
/* Frees a session's application-layer slot when the table is torn down with it still live. */
typedef void (*flow_app_free_fn)(void *ctx, void **app);

/* What flow_table_packet() tells its caller about the packet's session. */
struct flow_hit {
    void **app; /* a slot the caller may use for the session (NULL at first), valid until the
                   session's last piece has been emitted */
    int dir;    /* 0: the packet came from the initiator */
};

struct flow_table;
/* cfg NULL = defaults.  Session ids are id_base + 1, id_base + 2 … in order of creation. */
struct flow_table *flow_table_new(const struct flow_cfg *cfg, uint64_t id_base, flow_emit_fn emit,
                                  void *ctx);
void flow_table_free(struct flow_table *ft);
/*
 * One packet (nrefs = 1) or one reassembled datagram (nrefs = its frames) with
 * decode verdict DEC_OK.  refs[nrefs - 1].ts_ns is "now".  Returns 0 or KS_ENOMEM.
 * hit (may be NULL) gets the session's slot and the packet's direction.
 */
int flow_table_packet(struct flow_table *ft, const struct decoded *d, const struct pkt_ref *refs,
                      size_t nrefs, struct flow_hit *hit);
/* Called by flow_table_free() for every live session whose slot is not NULL. */
void flow_table_set_app_free(struct flow_table *ft, flow_app_free_fn fn);
/* Emit sessions whose timeouts have passed at packet time now_ns. */
void flow_table_expire(struct flow_table *ft, int64_t now_ns);
/* Emit every live session (FLOW_END_EOF). */
void flow_table_flush(struct flow_table *ft);
const struct flow_stats *flow_table_stats(const struct flow_table *ft);
/* First packet time of the oldest unwritten piece of a live session (INT64_MAX when none):
 * retention must not cut past it, its packets are still to be listed. */
int64_t flow_table_oldest_ns(const struct flow_table *ft);
/* Approximate bytes held by the table (sessions, position lists, buckets). */
size_t flow_table_bytes(const struct flow_table *ft);
/* Bytes of one session without its position list (for documentation and bounds). */
size_t flow_session_bytes(void);

/*
 * Community ID v1 (https://github.com/corelight/community-id-spec): seed 16-bit,
 * addresses (4 or 16 bytes by ipver), ports (ICMP: type/code are mapped per the
 * spec).  Writes "1:<base64>" into out (at least 32 bytes).
 */
void community_id_v1(uint16_t seed, uint8_t ipver, uint8_t proto, const uint8_t *src,
                     const uint8_t *dst, uint16_t sport, uint16_t dport, char *out);

#endif
