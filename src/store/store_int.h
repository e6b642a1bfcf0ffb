/* store_int.h — shared by the store's own files only. */
#ifndef KONSEKI_STORE_STORE_INT_H
#define KONSEKI_STORE_STORE_INT_H

#include "store/store.h"
#include "store/zseg.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/uio.h>

#define SEG_MAX_LINKTYPES 64
#define SEG_WBUF (1u << 20)
#define SEG_IOV 1024
#define SEG_WRITEBACK (UINT64_C(32) << 20)
#define SEG_HDR_LEN 24
#define SEG_REC_HDR 16
#define PART_MAX_OPEN 64

/* segments.codec in the catalog: how a segment file stores its pcap stream */
enum { SEG_PLAIN = 0, SEG_ZSTD = 1 };

/* The open segment of one link type for the current ingest run. */
struct seg_writer {
    uint32_t linktype;
    uint32_t seg_id;    /* 0 = none open yet */
    uint32_t seq;       /* this run's segment counter (replay matches segments by it) */
    int fd;             /* -1 in replay mode */
    uint64_t off;       /* logical size including buffered bytes */
    uint64_t writeback; /* bytes handed to the kernel's writeback so far */
    uint64_t packets;
    int64_t first_ns, last_ns;
    /*
     * Pending output: iov[0..niov) in file order.  Entries point into wbuf (record
     * headers, the file header, copies of packets whose bytes will not outlive
     * the call) or straight at the source's packet bytes when the source keeps
     * them valid (a mapped capture file), so those are copied once, by write.
     */
    uint8_t *wbuf;
    size_t wlen;
    struct iovec *iov;
    int niov;
    size_t iov_bytes;
    /*
     * Compressed segments (codec SEG_ZSTD, zseg.h): records gather in fbuf, the
     * plain bytes of the frame being filled, which is compressed and written at
     * zoff when it is full and at every checkpoint, so a checkpoint always ends
     * on a frame boundary.  `off` stays the plain offset (packet positions).
     */
    int codec;
    uint8_t *fbuf, *zbuf;
    size_t flen, zcap;
    void *cctx;    /* ZSTD_CCtx */
    uint64_t zoff; /* file bytes of the complete frames */
    struct zseg_table frames;
    int sealed; /* the seek table follows the frames at zoff */
};

/* One day's metadata file, open for writing during an ingest. */
struct partition {
    int day; /* YYYYMMDD */
    sqlite3 *db;
    sqlite3_stmt *ins;
    sqlite3_stmt *ins_rec, *ins_field; /* protocol records and their indexed values */
    sqlite3_stmt *ins_fields;          /* FIELD_ROWS values at once (meta.c) */
    sqlite3_stmt *ins_path, *get_path; /* the day file's path numbers */
    struct path_ent {
        char *path;
        int64_t pid;
        uint32_t hash;
    } * paths; /* open addressing, paths_alloc slots (a power of two) */
    size_t npaths, paths_alloc;
    /*
     * The `fields` rows of the writer's current batch, inserted sorted by the primary key
     * (meta_flush): values point into the batch's records, so they go in before it is
     * cleared.
     */
    struct pend_field {
        int64_t pid;
        uint64_t prefix; /* the value's first bytes, for the sort */
        const char *value;
        uint64_t id;
    } * pend;
    size_t npend, pend_alloc;
    int in_txn;
    int deferred; /* created by this run: lookup indexes built when it ends */
    int64_t min_ns, max_ns;
    uint64_t last_use;
};

/* Read side cache of segment file descriptors. */
struct seg_reader {
    uint32_t seg_id;
    int fd;
    uint32_t linktype;
    struct zseg_reader *z; /* compressed segments only */
};

struct store {
    char dir[PATH_MAX];
    int readonly, durable;
    uint64_t segment_bytes;
    int codec, zlevel; /* how new segments are written (the catalog's settings) */
    sqlite3 *cat;
    char err[512];

    /* ingest-side state */
    int64_t cur_ingest;
    uint32_t next_seq;
    int replay;
    struct seg_writer writers[SEG_MAX_LINKTYPES];
    size_t nwriters, last_writer;
    struct partition parts[PART_MAX_OPEN];
    size_t nparts;
    uint64_t use_clock;
    /* spans of partitions the writer closed early, for the next checkpoint to record */
    struct part_span {
        int day;
        int64_t min_ns, max_ns;
    } * spans;
    size_t nspans, spans_alloc;
    /* the metadata writer thread (writer.c) and the error text it sets */
    struct meta_writer *w;
    int writer_on;
    char werr[512];

    /* read side */
    struct seg_reader readers[16];
    size_t nreaders;

    /* runs/<id>.lock of the run this handle writes, held while it does (retain.c) */
    int run_lock_fd;
    int64_t run_lock_id;
    uint64_t frames_read; /* compressed frames decompressed by readers already closed */
};

/* segment.c */
int seg_write(struct store *st, int64_t ingest_id, const struct packet *pkt, uint64_t *pos);
int seg_flush_all(struct store *st, int do_sync);
int seg_record_all(struct store *st);
int seg_replay_end(struct store *st);
void seg_close_writers(struct store *st);
void seg_close_readers(struct store *st);
int seg_path(const struct store *st, uint32_t seg_id, char *dst, size_t n);
int seg_path_codec(const struct store *st, uint32_t seg_id, int codec, char *dst, size_t n);
int seg_settings(struct store *st, const char *compress, char *msg, size_t msglen);
int seg_seal_all(struct store *st);

/* meta.c */
int meta_add(struct store *st, int64_t ingest_id, const struct session_rec *s);
int meta_flush(struct store *st, int failed);
int meta_commit_all(struct store *st);
int meta_record_all(struct store *st);
void meta_close_all(struct store *st);
int meta_open_day(struct store *st, int day, int readonly, sqlite3 **out);
int meta_open_day_ex(struct store *st, int day, int readonly, sqlite3 **out, int *created);
int meta_build_indexes(struct store *st);

/* writer.c: session rows through the writer thread (takes the rows' records) */
int writer_add(struct store *st, int64_t ingest_id, const struct session_rec *s);
int writer_drain(struct store *st);
void writer_stop(struct store *st);
int writer_is_self(void);

/* retain.c */
int retain_lock_run(struct store *st, int64_t ingest_id);
void retain_unlock_run(struct store *st);

/* store.c */
int store_set_err(struct store *st, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int store_sql_err(struct store *st, sqlite3 *db, const char *what);
int store_exec(struct store *st, sqlite3 *db, const char *sql);
int day_of_ns(int64_t ns);
int64_t store_scalar(sqlite3 *db, const char *sql);

#endif
