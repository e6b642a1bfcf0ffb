/*
 * segment.c — packet segments: append-only standard pcap files.
 *
 * File layout (the classic libpcap format with the nanosecond magic, so
 * Wireshark, tcpdump and libpcap open segments directly):
 *
 *   0      4      6      8          12        16        20        24
 *   +------+------+------+----------+---------+---------+---------+
 *   |a1b23c4d (LE)|v2 .4 | thiszone | sigfigs | snaplen | linktype|   global header
 *   +------+------+------+----------+---------+---------+---------+
 *   | ts sec | ts nsec | caplen | wirelen | caplen bytes ...      |   one per packet
 *
 * One writer per link type for the current ingest run; a writer rotates to a new
 * segment when the next record would pass the size limit.  A packet's position
 * is (segment id << 40 | offset of its record header).  Records are buffered
 * (1 MiB) and written with write(2); durability comes from store_checkpoint.
 *
 * With the store's `compress` setting (ingest --compress zstd[:LEVEL]) new
 * segments are pcap/<id>.pcap.zst instead: the same plain byte stream in
 * independently compressed zstd frames plus a seek table (zseg.h).  Positions
 * stay plain offsets, so nothing outside this file knows the difference.  A
 * checkpoint closes the frame being filled, and the catalog records the frame
 * table next to the committed size, so a crash leaves every committed packet
 * readable and a resumed run truncates the file to the last committed frame.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "store/store_int.h"

#include "core/err.h"
#include "core/pos.h"
#include "core/rdr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

int seg_path(const struct store *st, uint32_t seg_id, char *dst, size_t n)
{
    return seg_path_codec(st, seg_id, SEG_PLAIN, dst, n);
}

int seg_path_codec(const struct store *st, uint32_t seg_id, int codec, char *dst, size_t n)
{
    int len =
        snprintf(dst, n, "%s/pcap/%010u.pcap%s", st->dir, seg_id, codec == SEG_ZSTD ? ".zst" : "");
    return len < 0 || (size_t)len >= n ? KS_EINVAL : 0;
}

/* zstd[:LEVEL] or none; 0 or KS_EINVAL. */
static int parse_compress(const char *v, int *codec, int *level)
{
    if (strcmp(v, "none") == 0) {
        *codec = SEG_PLAIN;
        *level = 0;
        return 0;
    }
    if (strncmp(v, "zstd", 4) != 0 || (v[4] && v[4] != ':'))
        return KS_EINVAL;
    *codec = SEG_ZSTD;
    /* Level 1 by default: ingest speed matters more than the last few percent (README). */
    *level = 1;
    if (!v[4])
        return 0;
    char *end;
    long l = strtol(v + 5, &end, 10);
    if (end == v + 5 || *end || l < ZSTD_minCLevel() || l > ZSTD_maxCLevel() || l == 0)
        return KS_EINVAL;
    *level = (int)l;
    return 0;
}

/*
 * The store's compression setting lives in the catalog, so every writer (ingest,
 * capture) of the store uses it; compress (NULL = keep) changes it.  Catalogs
 * from before compressed segments get the segment columns it needs.
 */
int seg_settings(struct store *st, const char *compress, char *msg, size_t msglen)
{
    sqlite3_stmt *s;
    int have_codec = 0;
    if (sqlite3_prepare_v2(st->cat,
                           "SELECT 1 FROM pragma_table_info('segments') WHERE name='codec'", -1, &s,
                           NULL) != SQLITE_OK)
        goto sql;
    have_codec = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!have_codec &&
        store_exec(st, st->cat,
                   "ALTER TABLE segments ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;"
                   "ALTER TABLE segments ADD COLUMN disk_size INTEGER;"
                   "ALTER TABLE segments ADD COLUMN frames BLOB;"))
        goto fail;
    if (store_exec(
            st, st->cat,
            "CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL)"))
        goto fail;
    if (compress) {
        if (parse_compress(compress, &st->codec, &st->zlevel)) {
            snprintf(msg, msglen,
                     "bad compression '%s' (want zstd, zstd:LEVEL with LEVEL %d..%d, "
                     "or none)",
                     compress, ZSTD_minCLevel(), ZSTD_maxCLevel());
            return KS_EINVAL;
        }
        if (sqlite3_prepare_v2(st->cat,
                               "INSERT OR REPLACE INTO settings(key, value) VALUES ('compress', ?)",
                               -1, &s, NULL) != SQLITE_OK)
            goto sql;
        sqlite3_bind_text(s, 1, compress, -1, SQLITE_STATIC);
        int ok = sqlite3_step(s) == SQLITE_DONE;
        sqlite3_finalize(s);
        if (!ok)
            goto sql;
        return 0;
    }
    if (sqlite3_prepare_v2(st->cat, "SELECT value FROM settings WHERE key='compress'", -1, &s,
                           NULL) != SQLITE_OK)
        goto sql;
    int rc = 0;
    if (sqlite3_step(s) == SQLITE_ROW &&
        parse_compress((const char *)sqlite3_column_text(s, 0), &st->codec, &st->zlevel)) {
        snprintf(msg, msglen, "catalog.db: bad compress setting '%s'",
                 (const char *)sqlite3_column_text(s, 0));
        rc = KS_ECORRUPT;
    }
    sqlite3_finalize(s);
    return rc;
sql:
    store_sql_err(st, st->cat, "catalog settings");
fail:
    snprintf(msg, msglen, "%s/catalog.db: %s", st->dir, st->err);
    return KS_ESQL;
}

/* Write all n bytes at off. */
static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return KS_EIO;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/*
 * Start writeback of every completed 32 MiB without waiting for it: the disk
 * writes while ingest goes on, instead of the kernel's dirty-page limits
 * stalling us later or a durable checkpoint's fdatasync finding it all to do.
 */
static void writeback_hint(struct seg_writer *w, uint64_t end)
{
    uint64_t flushed = end & ~(uint64_t)(SEG_WRITEBACK - 1);
    if (flushed > w->writeback) {
        sync_file_range(w->fd, (off_t)w->writeback, (off_t)(flushed - w->writeback),
                        SYNC_FILE_RANGE_WRITE);
        w->writeback = flushed;
    }
}

/* Buffers and the compressor of a zstd writer (kept across its segments). */
static int zw_prepare(struct store *st, struct seg_writer *w)
{
    if (!w->cctx) {
        w->cctx = ZSTD_createCCtx();
        w->zcap = ZSTD_compressBound(ZSEG_FRAME_MAX);
        w->fbuf = malloc(ZSEG_FRAME_MAX);
        w->zbuf = malloc(w->zcap);
        if (!w->cctx || !w->fbuf || !w->zbuf)
            return store_set_err(st, KS_ENOMEM, "out of memory for a compressed segment");
        /* Content checksums make a damaged frame an error instead of wrong packets. */
        ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, st->zlevel);
    zseg_table_reset(&w->frames);
    w->flen = 0;
    w->zoff = 0;
    w->sealed = 0;
    return 0;
}

/* Compress the frame being filled and append it at zoff. */
static int zw_frame(struct store *st, struct seg_writer *w)
{
    if (!w->flen)
        return 0;
    size_t c = ZSTD_compress2(w->cctx, w->zbuf, w->zcap, w->fbuf, w->flen);
    if (ZSTD_isError(c))
        return store_set_err(st, KS_EIO, "compress segment %u: %s", w->seg_id,
                             ZSTD_getErrorName(c));
    if (pwrite_all(w->fd, w->zbuf, c, w->zoff))
        return store_set_err(st, KS_EIO, "write segment %u: %s", w->seg_id, strerror(errno));
    int rc = zseg_table_add(&w->frames, (uint32_t)c, (uint32_t)w->flen);
    if (rc)
        return store_set_err(st, rc, "segment %u: too many frames", w->seg_id);
    w->zoff += c;
    w->flen = 0;
    writeback_hint(w, w->zoff);
    return 0;
}

/* Close the last frame and write the seek table after the frames. */
static int zw_seal(struct store *st, struct seg_writer *w)
{
    int rc = zw_frame(st, w);
    if (rc || w->sealed)
        return rc;
    size_t n = zseg_seektable_len(w->frames.n);
    uint8_t *b = malloc(n);
    if (!b)
        return store_set_err(st, KS_ENOMEM, "out of memory for a seek table");
    zseg_seektable(&w->frames, b);
    rc = pwrite_all(w->fd, b, n, w->zoff);
    free(b);
    if (rc)
        return store_set_err(st, KS_EIO, "write segment %u: %s", w->seg_id, strerror(errno));
    w->sealed = 1;
    return 0;
}

/* More packets for a sealed segment: the seek table goes until it is sealed again. */
static int zw_unseal(struct store *st, struct seg_writer *w)
{
    if (ftruncate(w->fd, (off_t)w->zoff) != 0)
        return store_set_err(st, KS_EIO, "truncate segment %u: %s", w->seg_id, strerror(errno));
    w->sealed = 0;
    return 0;
}

int seg_seal_all(struct store *st)
{
    for (size_t i = 0; i < st->nwriters; i++) {
        struct seg_writer *w = &st->writers[i];
        int rc = w->codec == SEG_ZSTD && w->fd >= 0 ? zw_seal(st, w) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* Write every pending iovec, resuming after partial writes. */
static int writev_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n > IOV_MAX ? IOV_MAX : n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return KS_EIO;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0 && w > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int writer_flush(struct store *st, struct seg_writer *w, int do_sync)
{
    if (w->fd < 0)
        return 0;
    if (w->codec == SEG_ZSTD) {
        int rc = zw_frame(st, w);
        if (rc)
            return rc;
    } else if (w->niov) {
        if (writev_all(w->fd, w->iov, w->niov)) {
            /* EFAULT: bytes of a mapped input vanished under us (the file was truncated). */
            if (errno == EFAULT)
                return store_set_err(st, KS_EIO,
                                     "packet bytes vanished: the input file shrank "
                                     "while it was being read");
            return store_set_err(st, KS_EIO, "write segment %u: %s", w->seg_id, strerror(errno));
        }
        w->niov = 0;
        w->wlen = 0;
        w->iov_bytes = 0;
        writeback_hint(w, w->off);
    }
    if (do_sync && fdatasync(w->fd) != 0)
        return store_set_err(st, KS_EIO, "sync segment %u: %s", w->seg_id, strerror(errno));
    return 0;
}

/* Queue n bytes at p; consecutive bytes of wbuf share one iovec. */
static void writer_queue(struct seg_writer *w, const void *p, size_t n)
{
    struct iovec *last = w->niov ? &w->iov[w->niov - 1] : NULL;
    if (last && (const uint8_t *)last->iov_base + last->iov_len == (const uint8_t *)p) {
        last->iov_len += n;
    } else {
        w->iov[w->niov].iov_base = (void *)(uintptr_t)p;
        w->iov[w->niov].iov_len = n;
        w->niov++;
    }
    w->iov_bytes += n;
}

/*
 * Record what the segment holds after a flush.  A compressed segment also
 * records its frames (the seek table's entries) and their file size: what a
 * reader needs before the segment is sealed, and where a resumed run cuts it.
 */
static int writer_record(struct store *st, const struct seg_writer *w)
{
    uint8_t *frames = NULL;
    size_t flen = (size_t)w->frames.n * ZSEG_ENTRY;
    if (w->codec == SEG_ZSTD) {
        if (w->flen || w->frames.plain_end != w->off)
            return store_set_err(st, KS_EIO, "segment %u: frames hold %llu of %llu bytes",
                                 w->seg_id, (unsigned long long)w->frames.plain_end,
                                 (unsigned long long)w->off);
        if (!(frames = malloc(flen ? flen : 1)))
            return store_set_err(st, KS_ENOMEM, "out of memory for a frame table");
        zseg_table_entries(&w->frames, frames);
    }
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "UPDATE segments SET size=?, packets=?, first_ns=?, last_ns=?, "
                           "disk_size=?, frames=? WHERE id=?",
                           -1, &s, NULL) != SQLITE_OK) {
        free(frames);
        return store_sql_err(st, st->cat, "record segment");
    }
    sqlite3_bind_int64(s, 1, (sqlite3_int64)w->off);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)w->packets);
    sqlite3_bind_int64(s, 3, w->first_ns);
    sqlite3_bind_int64(s, 4, w->last_ns);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)(w->codec == SEG_ZSTD ? w->zoff : w->off));
    if (frames)
        sqlite3_bind_blob(s, 6, frames, (int)flen, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 6);
    sqlite3_bind_int64(s, 7, w->seg_id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "record segment");
    sqlite3_finalize(s);
    free(frames);
    return rc;
}

static void pcap_header(uint8_t h[SEG_HDR_LEN], uint32_t linktype)
{
    st_u32le(h, 0xa1b23c4d); /* nanosecond-resolution magic */
    st_u16le(h + 4, 2);
    st_u16le(h + 6, 4);
    st_u32le(h + 8, 0);
    st_u32le(h + 12, 0);
    st_u32le(h + 16, SRC_MAX_CAPLEN);
    st_u32le(h + 20, linktype);
}

static void rec_header(uint8_t h[SEG_REC_HDR], int64_t sec, int64_t nsec, const struct packet *pkt)
{
    st_u32le(h, (uint32_t)sec);
    st_u32le(h + 4, (uint32_t)nsec);
    st_u32le(h + 8, pkt->caplen);
    st_u32le(h + 12, pkt->wirelen < pkt->caplen ? pkt->caplen : pkt->wirelen);
}

_Static_assert(ZSEG_FRAME_BYTES + SEG_REC_HDR + SRC_MAX_CAPLEN <= ZSEG_FRAME_MAX,
               "a frame buffer holds one more record past the frame size");

/* Find the segment the interrupted run created as number `seq`. */
static int replay_lookup(struct store *st, int64_t ingest_id, uint32_t seq, uint32_t *seg_id,
                         int *codec)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT id, codec FROM segments WHERE ingest_id=? AND seq=?",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "find segment");
    sqlite3_bind_int64(s, 1, ingest_id);
    sqlite3_bind_int64(s, 2, seq);
    int rc = KS_ECORRUPT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *seg_id = (uint32_t)sqlite3_column_int64(s, 0);
        *codec = sqlite3_column_int(s, 1) == SEG_ZSTD ? SEG_ZSTD : SEG_PLAIN;
        rc = 0;
    }
    sqlite3_finalize(s);
    if (rc)
        store_set_err(st, rc, "segment %u of ingest %lld is missing from the catalog", seq,
                      (long long)ingest_id);
    return rc;
}

static int writer_open_new(struct store *st, int64_t ingest_id, struct seg_writer *w)
{
    uint32_t seq = st->next_seq++;
    w->seq = seq;
    w->off = SEG_HDR_LEN;
    w->writeback = 0;
    w->packets = 0;
    w->first_ns = INT64_MAX;
    w->last_ns = INT64_MIN;
    w->wlen = 0;
    /* A resumed run continues each segment in the format the interrupted run chose. */
    int rc = st->replay ? replay_lookup(st, ingest_id, seq, &w->seg_id, &w->codec) : 0;
    if (!st->replay)
        w->codec = st->codec;
    if (!rc && w->codec == SEG_ZSTD)
        rc = zw_prepare(st, w);
    if (rc || st->replay)
        return rc;

    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "INSERT INTO segments(ingest_id, seq, linktype, size, packets, codec) "
                           "VALUES (?, ?, ?, ?, 0, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "new segment");
    sqlite3_bind_int64(s, 1, ingest_id);
    sqlite3_bind_int64(s, 2, seq);
    sqlite3_bind_int64(s, 3, w->linktype);
    sqlite3_bind_int64(s, 4, SEG_HDR_LEN);
    sqlite3_bind_int(s, 5, w->codec);
    int ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    if (!ok)
        return store_sql_err(st, st->cat, "new segment");
    w->seg_id = (uint32_t)sqlite3_last_insert_rowid(st->cat);

    char path[PATH_MAX + 32];
    seg_path_codec(st, w->seg_id, w->codec, path, sizeof path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0)
        return store_set_err(st, KS_EIO, "create %s: %s", path, strerror(errno));
    if (w->codec == SEG_ZSTD) {
        pcap_header(w->fbuf, w->linktype);
        w->flen = SEG_HDR_LEN;
        return 0;
    }
    pcap_header(w->wbuf, w->linktype);
    w->wlen = SEG_HDR_LEN;
    writer_queue(w, w->wbuf, SEG_HDR_LEN);
    return 0;
}

static struct seg_writer *writer_for(struct store *st, uint32_t linktype)
{
    for (size_t i = 0; i < st->nwriters; i++)
        if (st->writers[i].linktype == linktype)
            return &st->writers[i];
    if (st->nwriters == SEG_MAX_LINKTYPES)
        return NULL;
    struct seg_writer *w = &st->writers[st->nwriters];
    memset(w, 0, sizeof *w);
    w->linktype = linktype;
    w->fd = -1;
    w->wbuf = malloc(SEG_WBUF);
    w->iov = malloc(SEG_IOV * sizeof *w->iov);
    if (!w->wbuf || !w->iov)
        return NULL;
    st->nwriters++;
    return w;
}

int seg_write(struct store *st, int64_t ingest_id, const struct packet *pkt, uint64_t *pos)
{
    size_t last = st->last_writer;
    struct seg_writer *w = last < st->nwriters && st->writers[last].linktype == pkt->linktype
                               ? &st->writers[last]
                               : writer_for(st, pkt->linktype);
    if (!w)
        return store_set_err(st, KS_ELIMIT, "more than %d link types in one ingest",
                             SEG_MAX_LINKTYPES);
    st->last_writer = (size_t)(w - st->writers);
    uint32_t caplen = pkt->caplen;
    uint64_t reclen = SEG_REC_HDR + (uint64_t)caplen;
    if (!w->seg_id || (w->off + reclen > st->segment_bytes && w->off > SEG_HDR_LEN)) {
        if (w->seg_id) {
            int rc = w->codec == SEG_ZSTD && w->fd >= 0 ? zw_seal(st, w) : 0;
            if (!rc)
                rc = writer_flush(st, w, !st->replay && st->durable);
            if (!rc && !st->replay)
                rc = writer_record(st, w);
            if (rc)
                return rc;
            if (w->fd >= 0)
                close(w->fd);
            w->fd = -1;
        }
        int rc = writer_open_new(st, ingest_id, w);
        if (rc)
            return rc;
    }
    *pos = POS_MAKE(w->seg_id, w->off);
    w->off += reclen;
    w->packets++;
    if (pkt->ts_ns < w->first_ns)
        w->first_ns = pkt->ts_ns;
    if (pkt->ts_ns > w->last_ns)
        w->last_ns = pkt->ts_ns;
    if (st->replay)
        return 0;

    int64_t sec = pkt->ts_ns / 1000000000, nsec = pkt->ts_ns % 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        sec--;
    }
    if (w->codec == SEG_ZSTD) {
        /* The frame is cut after whole records only, so a packet never spans two frames. */
        int rc = w->sealed ? zw_unseal(st, w) : 0;
        if (rc)
            return rc;
        uint8_t *h = w->fbuf + w->flen;
        rec_header(h, sec, nsec, pkt);
        memcpy(h + SEG_REC_HDR, pkt->data, caplen);
        w->flen += reclen;
        return w->flen >= ZSEG_FRAME_BYTES ? zw_frame(st, w) : 0;
    }
    /* Room for a header, a copied packet, and two iovecs. */
    if (w->wlen + reclen > SEG_WBUF || w->niov + 2 > SEG_IOV || w->iov_bytes > SEG_WBUF * 8) {
        int rc = writer_flush(st, w, 0);
        if (rc)
            return rc;
    }
    uint8_t *h = w->wbuf + w->wlen;
    rec_header(h, sec, nsec, pkt);
    w->wlen += SEG_REC_HDR;
    writer_queue(w, h, SEG_REC_HDR);
    if (pkt->stable) {
        writer_queue(w, pkt->data, caplen);
    } else {
        memcpy(w->wbuf + w->wlen, pkt->data, caplen);
        writer_queue(w, w->wbuf + w->wlen, caplen);
        w->wlen += caplen;
    }
    return 0;
}

int seg_flush_all(struct store *st, int do_sync)
{
    for (size_t i = 0; i < st->nwriters; i++) {
        int rc = writer_flush(st, &st->writers[i], do_sync);
        if (rc)
            return rc;
    }
    return 0;
}

int seg_record_all(struct store *st)
{
    for (size_t i = 0; i < st->nwriters; i++) {
        if (!st->writers[i].seg_id)
            continue;
        int rc = writer_record(st, &st->writers[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * The replay reached the interrupted run's last checkpoint: reopen each
 * writer's segment at the position the replay computed, cut off whatever the
 * interrupted run wrote after the checkpoint, and forget segments it started
 * after the checkpoint.
 */
int seg_replay_end(struct store *st)
{
    for (size_t i = 0; i < st->nwriters; i++) {
        struct seg_writer *w = &st->writers[i];
        if (!w->seg_id)
            continue;
        /*
         * The checkpoint recorded this segment's size; a replay of the same input
         * ends exactly there.  Anything else means the input is not the capture
         * the interrupted run read (same first MiB, different rest).
         */
        int64_t recorded = -1, disk = -1;
        struct zseg_table recorded_frames;
        zseg_table_init(&recorded_frames);
        int frames_ok = 0;
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(st->cat, "SELECT size, disk_size, frames FROM segments WHERE id=?",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, w->seg_id);
            if (sqlite3_step(q) == SQLITE_ROW) {
                recorded = sqlite3_column_int64(q, 0);
                disk = sqlite3_column_type(q, 1) == SQLITE_NULL ? recorded
                                                                : sqlite3_column_int64(q, 1);
                frames_ok = w->codec == SEG_ZSTD &&
                            zseg_table_parse(&recorded_frames, sqlite3_column_blob(q, 2),
                                             (size_t)sqlite3_column_bytes(q, 2), ZSEG_ENTRY) == 0;
            }
            sqlite3_finalize(q);
        }
        if (recorded != (int64_t)w->off) {
            zseg_table_release(&recorded_frames);
            return store_set_err(st, KS_ECORRUPT,
                                 "input does not match the interrupted ingest (segment %u: "
                                 "replay reached %llu bytes, checkpoint recorded %lld)",
                                 w->seg_id, (unsigned long long)w->off, (long long)recorded);
        }
        if (w->codec == SEG_ZSTD) {
            /* The checkpoint closed a frame: the recorded frames end exactly there. */
            int good = frames_ok && recorded_frames.plain_end == w->off &&
                       (int64_t)recorded_frames.file_end == disk;
            zseg_table_release(&w->frames);
            w->frames = recorded_frames;
            if (!good)
                return store_set_err(st, KS_ECORRUPT,
                                     "segment %u: the catalog's frame table does not match its "
                                     "committed size",
                                     w->seg_id);
            w->zoff = (uint64_t)disk;
            w->flen = 0;
            w->sealed = 0;
        }
        char path[PATH_MAX + 32];
        seg_path_codec(st, w->seg_id, w->codec, path, sizeof path);
        w->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (w->fd < 0)
            return store_set_err(st, KS_EIO, "reopen %s: %s", path, strerror(errno));
        struct stat sb;
        if (fstat(w->fd, &sb) != 0 || sb.st_size < disk)
            return store_set_err(st, KS_ECORRUPT,
                                 "%s is shorter (%lld bytes) than its committed size %lld", path,
                                 (long long)sb.st_size, (long long)disk);
        /* Cut what was written after the checkpoint (and a compressed segment's seek table). */
        if (ftruncate(w->fd, (off_t)disk) != 0 || lseek(w->fd, 0, SEEK_END) < 0)
            return store_set_err(st, KS_EIO, "truncate %s: %s", path, strerror(errno));
    }
    /* Segments numbered past the replay's counter were started after the checkpoint. */
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT id FROM segments WHERE ingest_id=? AND seq>=?", -1, &s,
                           NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "replay");
    sqlite3_bind_int64(s, 1, st->cur_ingest);
    sqlite3_bind_int64(s, 2, st->next_seq);
    while (sqlite3_step(s) == SQLITE_ROW) {
        char path[PATH_MAX + 32];
        for (int codec = SEG_PLAIN; codec <= SEG_ZSTD; codec++) {
            seg_path_codec(st, (uint32_t)sqlite3_column_int64(s, 0), codec, path, sizeof path);
            unlink(path);
        }
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(st->cat, "DELETE FROM segments WHERE ingest_id=? AND seq>=?", -1, &s,
                           NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "replay");
    sqlite3_bind_int64(s, 1, st->cur_ingest);
    sqlite3_bind_int64(s, 2, st->next_seq);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "replay");
    sqlite3_finalize(s);
    return rc;
}

void seg_close_writers(struct store *st)
{
    for (size_t i = 0; i < st->nwriters; i++) {
        struct seg_writer *w = &st->writers[i];
        if (w->fd >= 0)
            close(w->fd);
        free(w->wbuf);
        free(w->iov);
        free(w->fbuf);
        free(w->zbuf);
        ZSTD_freeCCtx(w->cctx);
        zseg_table_release(&w->frames);
    }
    st->nwriters = 0;
}

static void reader_drop(struct store *st, struct seg_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    if (r->z) {
        st->frames_read += r->z->frames_read;
        zseg_reader_release(r->z);
        free(r->z);
    }
    *r = (struct seg_reader){0, -1, 0, NULL};
}

void seg_close_readers(struct store *st)
{
    for (size_t i = 0; i < st->nreaders; i++)
        reader_drop(st, &st->readers[i]);
    st->nreaders = 0;
}

uint64_t store_frames_read(const struct store *st)
{
    uint64_t n = st->frames_read;
    for (size_t i = 0; i < st->nreaders; i++)
        if (st->readers[i].z)
            n += st->readers[i].z->frames_read;
    return n;
}

static int reader_pread(void *ctx, void *dst, size_t n, uint64_t off)
{
    const struct seg_reader *r = ctx;
    uint8_t *d = dst;
    while (n > 0) {
        ssize_t got = pread(r->fd, d, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return KS_EIO;
        if (got == 0)
            return KS_ECORRUPT;
        d += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return 0;
}

/*
 * Open a compressed segment: its own seek table when it is sealed, else the
 * frames the catalog recorded at the last checkpoint (a segment still being
 * written, or left by a killed writer).
 */
static int reader_open_zstd(struct store *st, struct seg_reader *r, const char *path,
                            const void *frames, size_t frames_len)
{
    struct stat sb;
    if (!(r->z = malloc(sizeof *r->z)))
        return store_set_err(st, KS_ENOMEM, "out of memory");
    zseg_reader_init(r->z, reader_pread, r);
    if (fstat(r->fd, &sb) != 0)
        return store_set_err(st, KS_EIO, "%s: %s", path, strerror(errno));
    int rc = zseg_reader_load_footer(r->z, (uint64_t)sb.st_size);
    if (rc == 0 || rc == KS_EIO || rc == KS_ENOMEM)
        return rc ? store_set_err(st, rc, "%s: cannot read its seek table", path) : 0;
    if (zseg_table_parse(&r->z->t, frames, frames_len, ZSEG_ENTRY) != 0 || !r->z->t.n)
        return store_set_err(st, KS_ECORRUPT, "%s: %s, and the catalog has no frame table", path,
                             rc == KS_ENOENT ? "no seek table" : r->z->err);
    if (r->z->t.file_end > (uint64_t)sb.st_size)
        return store_set_err(st, KS_ECORRUPT, "%s is shorter (%lld bytes) than its frames (%llu)",
                             path, (long long)sb.st_size, (unsigned long long)r->z->t.file_end);
    return 0;
}

static int reader_fd(struct store *st, uint32_t seg_id, struct seg_reader **out)
{
    for (size_t i = 0; i < st->nreaders; i++) {
        if (st->readers[i].seg_id == seg_id) {
            *out = &st->readers[i];
            return 0;
        }
    }
    size_t slot, nslots = sizeof st->readers / sizeof st->readers[0];
    int fresh = st->nreaders < nslots;
    if (fresh) {
        slot = st->nreaders++;
    } else {
        slot = seg_id % nslots;
        reader_drop(st, &st->readers[slot]);
    }
    struct seg_reader *r = &st->readers[slot];
    *r = (struct seg_reader){0, -1, 0, NULL};

    /* Catalogs from before compressed segments have no codec column: all plain. */
    int codec = SEG_PLAIN, rc = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->cat, "SELECT codec, linktype, frames FROM segments WHERE id=?", -1,
                           &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, seg_id);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == SEG_ZSTD) {
            codec = SEG_ZSTD;
            r->linktype = (uint32_t)sqlite3_column_int64(s, 1);
        }
    }
    char path[PATH_MAX + 32];
    seg_path_codec(st, seg_id, codec, path, sizeof path);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = store_set_err(st, KS_EIO, "open %s: %s", path, strerror(errno));
    } else if (codec == SEG_ZSTD) {
        rc = reader_open_zstd(st, r, path, sqlite3_column_blob(s, 2),
                              (size_t)sqlite3_column_bytes(s, 2));
    } else {
        uint8_t h[SEG_HDR_LEN];
        if (pread(r->fd, h, sizeof h, 0) != (ssize_t)sizeof h)
            rc = store_set_err(st, KS_ECORRUPT, "%s: no pcap header", path);
        else
            r->linktype = h[20] | h[21] << 8 | h[22] << 16 | (uint32_t)h[23] << 24;
    }
    sqlite3_finalize(s);
    if (rc) {
        reader_drop(st, r);
        if (fresh)
            st->nreaders--;
        return rc;
    }
    r->seg_id = seg_id;
    *out = r;
    return 0;
}

/* n bytes at plain offset off of the reader's segment; what names the failure. */
static int seg_read(struct store *st, struct seg_reader *r, void *dst, size_t n, uint64_t off,
                    const char *what)
{
    if (!r->z) {
        if (pread(r->fd, dst, n, (off_t)off) == (ssize_t)n)
            return 0;
        return store_set_err(st, KS_ECORRUPT, "segment %u offset %llu: %s", r->seg_id,
                             (unsigned long long)off, what);
    }
    int rc = zseg_read(r->z, dst, n, off);
    if (rc)
        store_set_err(st, rc, "segment %u offset %llu: %s: %s", r->seg_id, (unsigned long long)off,
                      what, r->z->err);
    return rc;
}

int store_pkt_read(struct store *st, uint64_t pos, struct packet *pkt, struct buf *data)
{
    struct seg_reader *r;
    int rc = reader_fd(st, POS_SEG(pos), &r);
    if (rc)
        return rc;
    uint8_t h[SEG_REC_HDR];
    uint64_t off = POS_OFF(pos);
    if ((rc = seg_read(st, r, h, sizeof h, off, "no packet there")))
        return rc;
    uint32_t sec = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
    uint32_t nsec = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
    uint32_t caplen = h[8] | h[9] << 8 | h[10] << 16 | (uint32_t)h[11] << 24;
    uint32_t wirelen = h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24;
    if (caplen > SRC_MAX_CAPLEN || nsec >= 1000000000u)
        return store_set_err(st, KS_ECORRUPT, "segment %u offset %llu: bad record header",
                             POS_SEG(pos), (unsigned long long)off);
    buf_reset(data);
    if ((rc = buf_reserve(data, caplen)))
        return rc;
    if ((rc = seg_read(st, r, data->data, caplen, off + SEG_REC_HDR, "packet cut short")))
        return rc;
    data->len = caplen;
    memset(pkt, 0, sizeof *pkt);
    pkt->ts_ns = (int64_t)sec * 1000000000 + nsec;
    pkt->linktype = r->linktype;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    pkt->data = data->data;
    return 0;
}

int store_pkt_stat(struct store *st, uint64_t pos, int64_t *ts_ns, uint32_t *linktype)
{
    struct seg_reader *r;
    int rc = reader_fd(st, POS_SEG(pos), &r);
    if (rc)
        return rc;
    uint8_t h[8];
    if ((rc = seg_read(st, r, h, sizeof h, POS_OFF(pos), "no packet there")))
        return rc;
    uint32_t sec = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
    uint32_t nsec = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
    *ts_ns = (int64_t)sec * 1000000000 + nsec;
    *linktype = r->linktype;
    return 0;
}
