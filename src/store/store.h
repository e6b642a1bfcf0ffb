/*
 * store.h — the one narrow door to what konseki keeps on disk.
 *
 *   packets   pcap/<segment>.pcap: standard nanosecond pcap files, one link type
 *             each, rotated by size; a packet's position is (segment << 40 | offset);
 *             or pcap/<segment>.pcap.zst, the same bytes in seekable zstd frames,
 *             where offset is still the plain offset
 *   metadata  meta/YYYYMMDD.db: one SQLite file (WAL) per UTC day of session start,
 *             so retention drops whole files and a query opens only the days its
 *             time range needs; catalog.db knows ingests, segments, partitions
 *
 * Writes are batched: store_checkpoint() commits everything written so far in a
 * fixed order (packets written, then sessions, then the catalog's progress
 * record), so a crash of the process at any moment leaves a store whose catalog
 * describes only what is really there.  With opts.durable the packets and
 * sessions are also fsync'd at each checkpoint, which extends that to power
 * loss at the cost of waiting for the disk.  Session rows are keyed by (id, piece) and written with
 * INSERT OR REPLACE, which makes replaying an interrupted ingest idempotent.
 *
 * The metadata half is what a ClickHouse backend will implement later; packets
 * always stay in local segment files.
 */
#ifndef KONSEKI_STORE_STORE_H
#define KONSEKI_STORE_STORE_H

#include "core/buf.h"
#include "flow/flow.h"
#include "query/query.h"
#include "source/source.h"

#include <stddef.h>
#include <stdint.h>

#define STORE_DEFAULT_SEGMENT_BYTES (UINT64_C(1) << 30)

struct store_opts {
    uint64_t segment_bytes; /* rotate packet files at this size (0 = default 1 GiB) */
    int readonly;           /* open for queries only; fails if the store does not exist */
    int durable;            /* fsync packets and sessions at every checkpoint (power-loss safe) */
    /*
     * How new packet segments are stored: "none", "zstd" or "zstd:LEVEL" (seekable
     * zstd frames, see store/zseg.h).  Recorded in the catalog, so every later
     * writer of the store uses it; NULL keeps what the catalog says (default none).
     */
    const char *compress;
};

struct store;

/* Open (and create unless readonly) the store in dir.  msg gets one line on failure. */
int store_open(struct store **out, const char *dir, const struct store_opts *opts, char *msg,
               size_t msglen);
/* Commits nothing: call store_checkpoint() first.  Uncommitted work is rolled back. */
void store_close(struct store *st);
const char *store_dir(const struct store *st);
/* Last SQLite / I/O error text (for messages). */
const char *store_errmsg(const struct store *st);

/* ---------------------------------------------------------------- ingest runs */

enum ingest_status { INGEST_PARTIAL, INGEST_COMPLETE, INGEST_TRUNCATED, INGEST_CORRUPT };

struct ingest_info {
    int64_t id;
    int status; /* enum ingest_status */
    char path[512];
    uint64_t packets; /* packets of the input fully processed and committed */
    uint64_t offset;  /* decompressed input offset after the last committed packet */
    uint64_t sessions;
    int64_t first_ns, last_ns;
    char error[256]; /* damage description for TRUNCATED / CORRUPT */
};

/* Look up an earlier run of the same capture (source identity).  0, KS_ENOENT or error. */
int store_ingest_find(struct store *st, const uint8_t identity[32], struct ingest_info *out);
/* Start a new run; *id is its ingest id (also the high bits of its session ids). */
int store_ingest_begin(struct store *st, const uint8_t identity[32], const char *path,
                       const char *format, const char *compression, int64_t *id);

/* Counters kept per ingest run (decode reasons, flow stats …), replaced at each checkpoint. */
struct store_counter {
    const char *name;
    uint64_t value;
};

struct ingest_progress {
    int status; /* enum ingest_status */
    uint64_t packets, offset, sessions;
    int64_t first_ns, last_ns;
    const char *error; /* NULL or the damage description */
    const struct store_counter *counters;
    size_t ncounters;
};

/*
 * Make all packets and sessions written so far durable and record the run's
 * progress.  After it returns, a crash loses nothing up to `p->packets`.
 */
int store_checkpoint(struct store *st, int64_t ingest_id, const struct ingest_progress *p);

/* ---------------------------------------------------------------- live capture runs */

/*
 * A live capture run is an ingest run with format STORE_LIVE_FORMAT and a
 * random identity (nothing can replay it).  A crash leaves it PARTIAL with no
 * error text; store_live_recover() (run by the next capture, under its lock, so
 * never on a run that is still writing) makes such a run whole again:
 *   - each of its segments is cut after its last complete packet record (the
 *     checkpoint wrote packets before committing the sessions that point at
 *     them, so no committed session loses a packet; only a torn record goes);
 *   - what the segments hold past their last recorded size is recorded;
 *   - day files it may have written after its last checkpoint get their real
 *     time span in the catalog (and their lookup indexes);
 *   - the run keeps status PARTIAL ("interrupted") with an error text saying so.
 * Sessions still live in memory at the crash are lost; their packets stay in
 * the segment files.
 */
#define STORE_LIVE_FORMAT "live"

struct store_recovery {
    uint64_t runs;      /* interrupted capture runs recovered */
    uint64_t packets;   /* packets found past the runs' last checkpoints (kept) */
    uint64_t bytes_cut; /* bytes of torn records cut off */
    uint64_t days;      /* day files whose span was re-read */
};
int store_live_recover(struct store *st, struct store_recovery *out);

/* ---------------------------------------------------------------- packets */

/*
 * Append one packet to the open segment for its link type; *pos is where it went.
 * In replay mode (store_replay_begin) nothing is written: the same positions are
 * computed as the interrupted run had, so the flow table can be rebuilt.
 */
int store_pkt_write(struct store *st, int64_t ingest_id, const struct packet *pkt, uint64_t *pos);
/* Replay the first `packets` packets of an interrupted run (see store_pkt_write). */
int store_replay_begin(struct store *st, int64_t ingest_id);
void store_replay_end(struct store *st);

/* Read the packet at pos: header fields into *pkt, data into *data (caller's buf). */
int store_pkt_read(struct store *st, uint64_t pos, struct packet *pkt, struct buf *data);
/* Timestamp and link type of the packet at pos without reading its bytes. */
int store_pkt_stat(struct store *st, uint64_t pos, int64_t *ts_ns, uint32_t *linktype);
/* Compressed frames decompressed by reads so far (what extraction really read). */
uint64_t store_frames_read(const struct store *st);

/* ---------------------------------------------------------------- sessions */

/*
 * Queue one session piece for the metadata store (a writer thread inserts it; the
 * next checkpoint waits for it).  The piece's position list is copied; its
 * protocol records (s->recs) are taken over, the caller must not free them
 * (even when this fails).  0, or the writer's sticky error.
 */
int store_session_add(struct store *st, int64_t ingest_id, const struct session_rec *s);

/* A stored session as queries return it (all strings owned by the row). */
struct session_row {
    uint64_t id;
    uint32_t piece;
    int last_piece;
    int64_t first_ns, last_ns;
    int ipver, proto;
    uint8_t src[16], dst[16]; /* IPv4 as ::ffff:a.b.c.d */
    int sport, dport;
    int vlan, vlan2; /* -1 when absent */
    uint64_t pkts[2], bytes[2], payload[2];
    int tcp_flags; /* -1 for non-TCP */
    char history[FLOW_HISTORY_MAX + 1];
    char state[8];
    char end_reason[12];
    char community_id[32];
    int64_t ingest_id;
    uint8_t *pos; /* owned by the store; valid during the row callback only */
    size_t pos_len;
    char app[24]; /* network.protocol: the parser that read the session ("dns"), or "" */
    /* with want_records: the piece's protocol records as one JSON array ("[{…},{…}]"), or
       NULL when it has none; owned by the store, valid during the row callback only */
    char *records;
};

enum store_sort {
    SORT_TIME,
    SORT_TIME_DESC,
    SORT_BYTES_DESC,
    SORT_PACKETS_DESC,
    SORT_DURATION_DESC
};

struct store_query {
    const struct query *expr;   /* NULL = everything */
    int64_t since_ns, until_ns; /* INT64_MIN / INT64_MAX when open */
    uint64_t limit;             /* 0 = no limit */
    int sort;                   /* enum store_sort */
    int want_pos;               /* fetch the position lists (for pcap extraction) */
    int want_records;           /* fetch each row's protocol records (session_row.records) */
};

/*
 * Run q over the partitions its time range touches; cb gets each row in order
 * (return non-zero from cb to stop).  *partitions_opened says how many day files
 * were opened (for tests and --explain).
 */
typedef int (*store_row_fn)(void *ctx, const struct session_row *r);
int store_query_run(struct store *st, const struct store_query *q, store_row_fn cb, void *ctx,
                    unsigned *partitions_opened);

/* ---------------------------------------------------------------- day files (IOC sweeps) */

/*
 * Each day file whose sessions overlap [since_ns, until_ns], oldest first, opened read-only:
 * cb gets the day (YYYYMMDD) and its sqlite3 * (tables: docs/store.md), valid during the call
 * only.  A non-zero return from cb stops the walk and is returned.  For readers that scan a
 * whole day's rows once (ioc/match.c) rather than asking a query.
 */
typedef int (*store_day_fn)(void *ctx, int day, void *sqlite3_db);
int store_days_each(struct store *st, int64_t since_ns, int64_t until_ns, store_day_fn cb,
                    void *ctx);

/* ---------------------------------------------------------------- statistics */

struct store_stats {
    uint64_t ingests, ingests_complete, ingests_partial, ingests_damaged;
    uint64_t input_packets, input_bytes;
    uint64_t segments, segment_bytes, partitions, sessions, meta_bytes;
    uint64_t segments_compressed, segment_disk_bytes; /* disk: compressed sizes counted */
    int64_t first_ns, last_ns;
    uint64_t disk_bytes;                        /* everything on disk (store_usage) */
    int64_t oldest_packet_ns, newest_packet_ns; /* over the stored segments (0 when none) */
    int64_t retention_cut_ns;                   /* the last prune's cut (0 = never pruned) */
};
int store_stats_get(struct store *st, struct store_stats *out);
/* Sum of every run's counter of each name, in name order; cb per counter. */
int store_counters_each(struct store *st, void (*cb)(void *ctx, const char *name, uint64_t v),
                        void *ctx);
/* Each ingest run, newest first. */
int store_ingests_each(struct store *st, void (*cb)(void *ctx, const struct ingest_info *i),
                       void *ctx);

/* ---------------------------------------------------------------- retention */

/*
 * What to keep.  The store drops its oldest data, packets and metadata together, at one
 * time cut: every session piece that starts before the cut is deleted with its records,
 * and a packet segment is deleted only when its newest packet is older than the cut.  A
 * piece's packets all lie within [first_ns, last_ns] (fragments included), so no piece
 * that survives the cut can point into a deleted segment.
 */
struct store_retain {
    uint64_t max_bytes;   /* packets + metadata + catalog on disk; 0 = no size limit */
    int64_t max_age_ns;   /* keep this much time; 0 = no age limit */
    int age_from_clock;   /* age counts back from the wall clock (live capture) instead of
                             from the newest stored packet (ingested history) */
    int64_t keep_from_ns; /* never cut past this time: a live capture passes the first
                             packet time of its oldest unfinished session; 0 = no floor */
};

struct store_prune_result {
    int64_t cut_ns; /* pieces that start before this are gone; 0 when nothing was cut */
    uint64_t bytes_before, bytes_after; /* on disk: packets + metadata + catalog */
    uint64_t segments, segment_bytes;   /* packet files deleted and their bytes */
    uint64_t days, sessions;            /* whole day files deleted; session pieces deleted */
    uint64_t meta_bytes;                /* metadata bytes freed (day files, vacuum) */
    uint64_t pinned_bytes; /* segments kept because another process is still writing them */
    int within_budget;     /* 1 when bytes_after <= max_bytes (or no size limit) */
};

/*
 * Delete the oldest data until the store satisfies r (see store_retain).  Crash-safe in
 * this order: (1) the pieces of the day the cut falls in are deleted in that day file's
 * transaction; (2) one catalog transaction forgets the whole days and the segments
 * before the cut and records the cut; (3) the files are unlinked.  Whatever instant a
 * crash hits, no remaining session points at a deleted packet, and the next prune
 * (which first unlinks what step 3 left behind) finishes the job.  A process that
 * writes into this store calls it between checkpoints (right after store_checkpoint).
 */
int store_prune(struct store *st, const struct store_retain *r, struct store_prune_result *out);

/*
 * The highest cut any prune has applied (0 = never pruned): no session piece that starts before
 * it is stored.  What refers to sessions from outside the store (IOC findings) is cut with it.
 */
int64_t store_retention_cut(struct store *st);

/* Bytes on disk: packet segments, and metadata (day files, catalog, their WAL files). */
int store_usage(struct store *st, uint64_t *packet_bytes, uint64_t *meta_bytes);

/*
 * Is there room for more packets?  1 when the filesystem of the store has at least
 * min_free_bytes available to this user (statvfs f_bavail), 0 when not, or a negative
 * error.  Policy for live capture when it says 0 (the disk filled up from other causes):
 * stop writing packets, keep writing sessions and records (metadata is ~2% of packets,
 * and it is what hunts need), say so once on stderr and in the counters, and ask again
 * every few seconds; packets are written again once it says 1.
 */
int store_disk_ok(struct store *st, uint64_t min_free_bytes);

/* The tables of a day file (SQL), for tests that build one in memory. */
const char *store_meta_schema(void);

#endif
