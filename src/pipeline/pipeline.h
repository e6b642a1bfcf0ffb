/*
 * pipeline.h — packets in, sessions and stored packets out.
 *
 * The one path every packet takes, whatever its source (file ingest today, live
 * capture later): decode → (fragment reassembly) → store the frame → flow table
 * → application layer (proto/engine.h) → finished sessions and their protocol
 * records into the store.  Malformed packets are counted by reason
 * and skipped; frames that are not IP are counted and not stored (no session
 * could ever point at them).  All timing is packet time, so one input always
 * gives the same sessions, ids and packet positions — resuming an interrupted
 * ingest replays the input up to its last checkpoint to rebuild this state.
 */
#ifndef KONSEKI_PIPELINE_PIPELINE_H
#define KONSEKI_PIPELINE_PIPELINE_H

#include "decode/decode.h"
#include "decode/defrag.h"
#include "flow/flow.h"
#include "proto/engine.h"
#include "source/source.h"
#include "store/store.h"

#include <stdint.h>

struct pipeline_cfg {
    struct flow_cfg flow;     /* zero fields take the flow table's defaults */
    struct defrag_cfg defrag; /* likewise */
    struct proto_engine_cfg proto;
};

#define PIPELINE_MAX_COUNTERS (DEC__COUNT + 256)

struct pipeline {
    struct store *st;
    int64_t ingest_id;
    struct defrag *df;
    struct flow_table *ft;
    struct proto_engine *pe;
    int err;             /* first store error from a callback (sticky) */
    int no_packets;      /* set by the caller: sessions go on, packets are not stored (disk full) */
    uint64_t not_stored; /* packets counted in sessions but not stored because of no_packets */
    /*
     * Set by the caller after pipeline_init (NULL = none): sees every session piece with its
     * protocol records just before the store takes them (IOC live matching, ioc/match.h).
     */
    void (*session_hook)(void *ctx, const struct session_rec *s);
    void *session_hook_ctx;

    uint64_t packets, wire_bytes, stored, orphan_frames, ts_backwards;
    uint64_t sessions, records; /* sessions (first pieces) and rows written (all pieces) */
    uint64_t verdicts[DEC__COUNT];
    int64_t first_ns, last_ns, max_ns, next_tick;

    struct store_counter counters[PIPELINE_MAX_COUNTERS];
    char names[PIPELINE_MAX_COUNTERS][64];
};

/* Session ids of an ingest run are (ingest_id << 32) + 1, + 2 … */
int pipeline_init(struct pipeline *pl, struct store *st, int64_t ingest_id,
                  const struct pipeline_cfg *cfg);
/* 0, or a store error (fatal for the run: the store message says why). */
int pipeline_packet(struct pipeline *pl, const struct packet *pkt);
/*
 * No packet for a while (live capture): let timeouts run on the wall clock
 * now_ns, so a session on a quiet link still ends and is written.  Only moves
 * time forward (a now_ns behind the last packet changes nothing).
 */
int pipeline_idle(struct pipeline *pl, int64_t now_ns);
/*
 * The oldest packet time the store must keep for what is still in memory: live sessions'
 * unwritten pieces and fragments waiting for reassembly (retention's floor).
 */
int64_t pipeline_oldest_ns(const struct pipeline *pl);
/* End of input: give up on held fragments, emit every live session. */
int pipeline_finish(struct pipeline *pl);
/* The run's counters (decode reasons, defrag, flow table) for the catalog and `stats`. */
size_t pipeline_counters(struct pipeline *pl, const struct store_counter **out);
void pipeline_release(struct pipeline *pl);

#endif
