/*
 * engine.h — the application layer of every session: which protocol it
 * speaks, the ordered bytes its parser sees, and the records it writes.
 *
 * The pipeline hands each packet of a session to proto_engine_packet() with
 * the session's slot (a pointer the flow table keeps for it).  The engine
 * reassembles TCP (flow/reasm.h), probes the first bytes with every parser
 * that fits the transport (best verdict wins: content before port; ties go to
 * the earlier parser in the registry), replays what it held while probing to
 * the chosen parser, and stops looking at a session as soon as no parser wants
 * it or its parser is done, so most packets cost one branch.
 *
 * When the flow table writes a piece of the session, proto_engine_records()
 * gives the records finished so far (ending the parser first when it is the
 * last piece); proto_engine_forget() frees the slot.
 *
 * Bounds: at most cfg.max_sessions sessions parsed at once (newer ones are
 * not parsed and are counted), probe buffers of PROTO_PROBE_MAX bytes per
 * direction, reassembly as in reasm.h per stream and cfg.max_reasm_bytes held
 * out of order by all of them together (past it, holes become gaps at once:
 * counted as tcp.reasm.budget_refused), records as in proto.h.
 */
#ifndef KONSEKI_PROTO_ENGINE_H
#define KONSEKI_PROTO_ENGINE_H

#include "decode/decode.h"
#include "proto/proto.h"

#include <stddef.h>
#include <stdint.h>

#define PROTO_PROBE_MAX 4096
#define PROTO_PROBE_CHUNKS 4 /* data chunks looked at before giving up on a session */

struct proto_engine_cfg {
    size_t max_sessions;    /* parsed at once; default 200,000 */
    size_t max_recs;        /* records per session piece; default 10,000 */
    size_t max_reasm_bytes; /* out-of-order TCP bytes held by all sessions; default 256 MiB */
    const char *only;       /* comma-separated parser names to enable; NULL = all */
    int disabled;           /* 1: no parsing at all */
};

struct proto_engine;

/* The registry: every parser konseki has, in probe order (NULL-terminated). */
extern const struct proto_parser *const proto_registry[];
const struct proto_parser *proto_find(const char *name);

struct proto_engine *proto_engine_new(const struct proto_engine_cfg *cfg);
void proto_engine_free(struct proto_engine *e);

/*
 * One decoded packet (DEC_OK) of a session; base is the buffer d's offsets
 * refer to.  dir: 0 = from the session's initiator.  *slot is NULL for a new
 * session and is kept by the caller until proto_engine_forget().
 */
void proto_engine_packet(struct proto_engine *e, void **slot, const struct decoded *d,
                         const uint8_t *base, int dir, int64_t ts_ns);
/*
 * Records finished so far for the piece being written (last = the session
 * ends with it: the parser is told and writes what is pending).  NULL when
 * there are none.  The caller reads them and then calls proto_out_clear().
 */
struct proto_out *proto_engine_records(struct proto_engine *e, void **slot, int last);
/* The protocol name of the session ("dns"), or NULL. */
const char *proto_engine_name(void *slot);
/* Free the session's state (after its last piece, or when the table is torn down). */
void proto_engine_forget(struct proto_engine *e, void **slot);

struct proto_engine_stats {
    uint64_t probed, parsed, skipped_full, switched;
    uint64_t reasm_gaps, reasm_gap_bytes, reasm_overlaps_differ;
};
const struct proto_engine_stats *proto_engine_stats(const struct proto_engine *e);
/* Per-parser session counts and anomaly totals, as (name, value) for the run's counters. */
typedef void (*proto_counter_fn)(void *ctx, const char *name, uint64_t v);
void proto_engine_counters(const struct proto_engine *e, proto_counter_fn fn, void *ctx);

#endif
