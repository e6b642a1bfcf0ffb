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

int seg_path(const struct store *st, uint32_t seg_id, char *dst, size_t n)
{
    int len = snprintf(dst, n, "%s/pcap/%010u.pcap", st->dir, seg_id);
    return len < 0 || (size_t)len >= n ? KS_EINVAL : 0;
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
    if (w->niov) {
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
        /*
         * Durable stores start writeback of every completed 32 MiB without waiting
         * for it, so the checkpoint's fdatasync finds little left to do.
         */
        uint64_t flushed = w->off & ~(uint64_t)(SEG_WRITEBACK - 1);
        if (st->durable && flushed > w->writeback) {
            sync_file_range(w->fd, (off_t)w->writeback, (off_t)(flushed - w->writeback),
                            SYNC_FILE_RANGE_WRITE);
            w->writeback = flushed;
        }
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

static int writer_record(struct store *st, const struct seg_writer *w)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(
            st->cat, "UPDATE segments SET size=?, packets=?, first_ns=?, last_ns=? WHERE id=?", -1,
            &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "record segment");
    sqlite3_bind_int64(s, 1, (sqlite3_int64)w->off);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)w->packets);
    sqlite3_bind_int64(s, 3, w->first_ns);
    sqlite3_bind_int64(s, 4, w->last_ns);
    sqlite3_bind_int64(s, 5, w->seg_id);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_sql_err(st, st->cat, "record segment");
    sqlite3_finalize(s);
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

/* Find the segment the interrupted run created as number `seq`. */
static int replay_lookup(struct store *st, int64_t ingest_id, uint32_t seq, uint32_t *seg_id)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat, "SELECT id FROM segments WHERE ingest_id=? AND seq=?", -1, &s,
                           NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "find segment");
    sqlite3_bind_int64(s, 1, ingest_id);
    sqlite3_bind_int64(s, 2, seq);
    int rc = KS_ECORRUPT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *seg_id = (uint32_t)sqlite3_column_int64(s, 0);
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
    if (st->replay)
        return replay_lookup(st, ingest_id, seq, &w->seg_id);

    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->cat,
                           "INSERT INTO segments(ingest_id, seq, linktype, size, packets) "
                           "VALUES (?, ?, ?, ?, 0)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_sql_err(st, st->cat, "new segment");
    sqlite3_bind_int64(s, 1, ingest_id);
    sqlite3_bind_int64(s, 2, seq);
    sqlite3_bind_int64(s, 3, w->linktype);
    sqlite3_bind_int64(s, 4, SEG_HDR_LEN);
    int ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    if (!ok)
        return store_sql_err(st, st->cat, "new segment");
    w->seg_id = (uint32_t)sqlite3_last_insert_rowid(st->cat);

    char path[PATH_MAX + 32];
    seg_path(st, w->seg_id, path, sizeof path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0)
        return store_set_err(st, KS_EIO, "create %s: %s", path, strerror(errno));
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
            int rc = writer_flush(st, w, !st->replay && st->durable);
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
    /* Room for a header, a copied packet, and two iovecs. */
    if (w->wlen + reclen > SEG_WBUF || w->niov + 2 > SEG_IOV || w->iov_bytes > SEG_WBUF * 8) {
        int rc = writer_flush(st, w, 0);
        if (rc)
            return rc;
    }
    uint8_t *h = w->wbuf + w->wlen;
    st_u32le(h, (uint32_t)sec);
    st_u32le(h + 4, (uint32_t)nsec);
    st_u32le(h + 8, caplen);
    st_u32le(h + 12, pkt->wirelen < caplen ? caplen : pkt->wirelen);
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
        sqlite3_stmt *q;
        int64_t recorded = -1;
        if (sqlite3_prepare_v2(st->cat, "SELECT size FROM segments WHERE id=?", -1, &q, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_int64(q, 1, w->seg_id);
            if (sqlite3_step(q) == SQLITE_ROW)
                recorded = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
        if (recorded != (int64_t)w->off)
            return store_set_err(st, KS_ECORRUPT,
                                 "input does not match the interrupted ingest (segment %u: "
                                 "replay reached %llu bytes, checkpoint recorded %lld)",
                                 w->seg_id, (unsigned long long)w->off, (long long)recorded);
        char path[PATH_MAX + 32];
        seg_path(st, w->seg_id, path, sizeof path);
        w->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (w->fd < 0)
            return store_set_err(st, KS_EIO, "reopen %s: %s", path, strerror(errno));
        struct stat sb;
        if (fstat(w->fd, &sb) != 0 || (uint64_t)sb.st_size < w->off)
            return store_set_err(st, KS_ECORRUPT,
                                 "%s is shorter (%lld bytes) than its committed size %llu", path,
                                 (long long)sb.st_size, (unsigned long long)w->off);
        if (ftruncate(w->fd, (off_t)w->off) != 0 || lseek(w->fd, 0, SEEK_END) < 0)
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
        seg_path(st, (uint32_t)sqlite3_column_int64(s, 0), path, sizeof path);
        unlink(path);
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
        if (st->writers[i].fd >= 0)
            close(st->writers[i].fd);
        free(st->writers[i].wbuf);
        free(st->writers[i].iov);
    }
    st->nwriters = 0;
}

void seg_close_readers(struct store *st)
{
    for (size_t i = 0; i < st->nreaders; i++)
        close(st->readers[i].fd);
    st->nreaders = 0;
}

static int reader_fd(struct store *st, uint32_t seg_id, struct seg_reader **out)
{
    for (size_t i = 0; i < st->nreaders; i++) {
        if (st->readers[i].seg_id == seg_id) {
            *out = &st->readers[i];
            return 0;
        }
    }
    char path[PATH_MAX + 32];
    seg_path(st, seg_id, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return store_set_err(st, KS_EIO, "open %s: %s", path, strerror(errno));
    uint8_t h[SEG_HDR_LEN];
    if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
        close(fd);
        return store_set_err(st, KS_ECORRUPT, "%s: no pcap header", path);
    }
    size_t slot = st->nreaders;
    if (slot == sizeof st->readers / sizeof st->readers[0]) {
        slot = seg_id % slot;
        close(st->readers[slot].fd);
    } else {
        st->nreaders++;
    }
    st->readers[slot] =
        (struct seg_reader){seg_id, fd, h[20] | h[21] << 8 | h[22] << 16 | (uint32_t)h[23] << 24};
    *out = &st->readers[slot];
    return 0;
}

int store_pkt_read(struct store *st, uint64_t pos, struct packet *pkt, struct buf *data)
{
    struct seg_reader *r;
    int rc = reader_fd(st, POS_SEG(pos), &r);
    if (rc)
        return rc;
    uint8_t h[SEG_REC_HDR];
    off_t off = (off_t)POS_OFF(pos);
    if (pread(r->fd, h, sizeof h, off) != (ssize_t)sizeof h)
        return store_set_err(st, KS_ECORRUPT, "segment %u: no packet at offset %lld", POS_SEG(pos),
                             (long long)off);
    uint32_t sec = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
    uint32_t nsec = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
    uint32_t caplen = h[8] | h[9] << 8 | h[10] << 16 | (uint32_t)h[11] << 24;
    uint32_t wirelen = h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24;
    if (caplen > SRC_MAX_CAPLEN || nsec >= 1000000000u)
        return store_set_err(st, KS_ECORRUPT, "segment %u offset %lld: bad record header",
                             POS_SEG(pos), (long long)off);
    buf_reset(data);
    if ((rc = buf_reserve(data, caplen)))
        return rc;
    if (pread(r->fd, data->data, caplen, off + SEG_REC_HDR) != (ssize_t)caplen)
        return store_set_err(st, KS_ECORRUPT, "segment %u offset %lld: packet cut short",
                             POS_SEG(pos), (long long)off);
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
    if (pread(r->fd, h, sizeof h, (off_t)POS_OFF(pos)) != (ssize_t)sizeof h)
        return store_set_err(st, KS_ECORRUPT, "segment %u: no packet at offset %llu", POS_SEG(pos),
                             (unsigned long long)POS_OFF(pos));
    uint32_t sec = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
    uint32_t nsec = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
    *ts_ns = (int64_t)sec * 1000000000 + nsec;
    *linktype = r->linktype;
    return 0;
}
