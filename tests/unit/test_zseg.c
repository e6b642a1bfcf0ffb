/*
 * Unit tests for compressed packet segments (src/store/zseg.c and the zstd path
 * of segment.c): round trip, random access of every packet, the same plain bytes
 * as a plain store, reads that decompress only the frame they need, a crash with
 * a half-written last frame followed by a resume, damaged frames and tables.
 */
#include "t.h"

#include "core/err.h"
#include "core/pos.h"
#include "store/store.h"
#include "store/zseg.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 (1700000000LL * 1000000000LL)
#define NPKT 3000

static const uint8_t ident_z[32] = {0x7a}, ident_p[32] = {0x70};

static struct store *zopen(const char *dir, const char *compress, int readonly)
{
    struct store *st = NULL;
    char msg[256];
    struct store_opts o = {
        .segment_bytes = UINT64_C(1) << 30, .compress = compress, .readonly = readonly};
    if (store_open(&st, dir, &o, msg, sizeof msg) != 0) {
        fprintf(stderr, "store_open: %s\n", msg);
        return NULL;
    }
    return st;
}

/* Packet i: a size and bytes that depend on i and on a generation (so rewrites differ). */
static struct packet zpkt(uint8_t *data, int i, int gen)
{
    uint32_t len = 60 + (uint32_t)(i * 7919 % 1400);
    uint32_t x = (uint32_t)i * 2654435761u + (uint32_t)gen;
    for (uint32_t k = 0; k < len; k++) {
        /* half compressible headers, half noise: like real traffic */
        x = x * 1103515245u + 12345u;
        data[k] = k < len / 2 ? (uint8_t)(k + i + gen) : (uint8_t)(x >> 24);
    }
    struct packet p = {.ts_ns = T0 + (int64_t)i * 1000,
                       .linktype = 1,
                       .caplen = len,
                       .wirelen = len,
                       .data = data};
    return p;
}

static int check_pkt(struct store *st, uint64_t pos, int i, int gen)
{
    uint8_t want[1500];
    struct packet w = zpkt(want, i, gen), got;
    struct buf b;
    buf_init(&b, 1 << 20);
    int ok = store_pkt_read(st, pos, &got, &b) == 0 && got.caplen == w.caplen &&
             got.ts_ns == w.ts_ns && got.linktype == 1 && memcmp(got.data, want, w.caplen) == 0;
    buf_release(&b);
    return ok;
}

/* Write NPKT packets into a fresh store, one run, complete. */
static int fill(const char *dir, const char *compress, const uint8_t *ident, uint64_t *pos)
{
    struct store *st = zopen(dir, compress, 0);
    if (!st)
        return -1;
    int64_t id;
    uint8_t data[1500];
    int rc = store_ingest_begin(st, ident, "z.pcap", "pcap", "none", &id);
    for (int i = 0; !rc && i < NPKT; i++) {
        struct packet p = zpkt(data, i, 0);
        rc = store_pkt_write(st, id, &p, &pos[i]);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE, .packets = NPKT};
    if (!rc)
        rc = store_checkpoint(st, id, &pr);
    store_close(st);
    return rc;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* The seek table of a sealed segment file, into *t (0 or the loader's error). */
static int file_table(const char *path, struct zseg_table *t)
{
    size_t zn;
    uint8_t *z = slurp(path, &zn);
    if (!z)
        return KS_EIO;
    struct zseg_mem m = {z, zn};
    struct zseg_reader r;
    zseg_reader_init(&r, zseg_mem_pread, &m);
    int rc = zseg_reader_load_footer(&r, zn);
    *t = r.t; /* the table moves out of the reader */
    zseg_table_init(&r.t);
    zseg_reader_release(&r);
    free(z);
    return rc;
}

TEST(zseg_every_packet_random_access_and_one_frame_per_read)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/z", t_tmpdir());
    static uint64_t pos[NPKT];
    ASSERT_EQ(fill(dir, "zstd", ident_z, pos), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/pcap/0000000001.pcap.zst", dir);
    struct stat sb;
    ASSERT_EQ(stat(path, &sb), 0);
    ASSERT_EQ(sb.st_mode & 0777, 0600);

    /* One packet in the middle: exactly one frame decompressed. */
    struct store *st = zopen(dir, NULL, 1);
    ASSERT_TRUE(st != NULL);
    ASSERT_TRUE(check_pkt(st, pos[NPKT / 2], NPKT / 2, 0));
    ASSERT_EQ(store_frames_read(st), 1);
    /* Every packet, in a scattered order (stride coprime with NPKT). */
    for (int k = 0, i = 0; k < NPKT; k++, i = (i + 1013) % NPKT)
        if (!check_pkt(st, pos[i], i, 0)) {
            t_fail(__FILE__, __LINE__, "packet %d differs", i);
            break;
        }
    store_close(st);
    /* In order: each frame once (the writer cuts frames at record boundaries). */
    st = zopen(dir, NULL, 1);
    ASSERT_TRUE(st != NULL);
    for (int i = 0; i < NPKT; i++)
        ASSERT_TRUE(check_pkt(st, pos[i], i, 0));
    struct store_stats ss;
    ASSERT_EQ(store_stats_get(st, &ss), 0);
    ASSERT_EQ(ss.segments_compressed, 1);
    ASSERT_LT(ss.segment_disk_bytes, ss.segment_bytes);
    uint64_t frames = (ss.segment_bytes + ZSEG_FRAME_BYTES - 1) / ZSEG_FRAME_BYTES;
    ASSERT_GE(frames, 3);
    ASSERT_EQ(store_frames_read(st), frames);
    store_close(st);
}

TEST(zseg_plain_stream_equals_plain_segment)
{
    char zdir[512], pdir[512], zpath[600], ppath[600];
    snprintf(zdir, sizeof zdir, "%s/z", t_tmpdir());
    snprintf(pdir, sizeof pdir, "%s/p", t_tmpdir());
    static uint64_t zpos[NPKT], ppos[NPKT];
    ASSERT_EQ(fill(zdir, "zstd:3", ident_z, zpos), 0);
    ASSERT_EQ(fill(pdir, NULL, ident_p, ppos), 0);
    for (int i = 0; i < NPKT; i++)
        ASSERT_EQ(zpos[i], ppos[i]); /* positions are plain offsets in both */
    snprintf(zpath, sizeof zpath, "%s/pcap/0000000001.pcap.zst", zdir);
    snprintf(ppath, sizeof ppath, "%s/pcap/0000000001.pcap", pdir);
    size_t zn, pn;
    uint8_t *z = slurp(zpath, &zn), *p = slurp(ppath, &pn);
    ASSERT_TRUE(z && p);
    struct zseg_mem m = {z, zn};
    struct zseg_reader r;
    zseg_reader_init(&r, zseg_mem_pread, &m);
    uint8_t *plain = malloc(pn);
    int rc = zseg_reader_load_footer(&r, zn);
    if (!rc)
        rc = zseg_read(&r, plain, pn, 0);
    uint64_t end = r.t.plain_end;
    zseg_reader_release(&r);
    int same = rc == 0 && end == pn && memcmp(plain, p, pn) == 0;
    free(plain);
    free(z);
    free(p);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(end, pn);
    ASSERT_TRUE(same);
}

TEST(zseg_crash_with_partial_last_frame_then_resume)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/c", t_tmpdir());
    snprintf(path, sizeof path, "%s/pcap/0000000001.pcap.zst", dir);
    struct store *st = zopen(dir, "zstd", 0);
    ASSERT_TRUE(st != NULL);
    int64_t id;
    ASSERT_EQ(store_ingest_begin(st, ident_z, "c.pcap", "pcap", "none", &id), 0);
    static uint64_t pos[NPKT], again[NPKT];
    uint8_t data[1500];
    int ckpt = 1234;
    for (int i = 0; i < NPKT; i++) {
        struct packet p = zpkt(data, i, 0);
        ASSERT_EQ(store_pkt_write(st, id, &p, &pos[i]), 0);
        if (i == ckpt - 1) {
            struct ingest_progress pr = {.status = INGEST_PARTIAL, .packets = (uint64_t)ckpt};
            ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
        }
    }
    /* Crash: frames after the checkpoint are on disk, plus half of one more. */
    store_close(st);
    int fd = open(path, O_WRONLY | O_APPEND);
    ASSERT_TRUE(fd >= 0);
    static const uint8_t half[] = {0x28, 0xb5, 0x2f, 0xfd, 0x64, 0x00, 0x10, 0x01, 0x02};
    ASSERT_EQ(write(fd, half, sizeof half), (ssize_t)sizeof half);
    close(fd);

    /* Any reader finds every committed packet (catalog frame table: no seek table yet). */
    st = zopen(dir, NULL, 1);
    ASSERT_TRUE(st != NULL);
    for (int i = 0; i < ckpt; i++)
        ASSERT_TRUE(check_pkt(st, pos[i], i, 0));
    store_close(st);

    /* Resume: replay to the checkpoint, then write generation-1 packets after it. */
    st = zopen(dir, NULL, 0);
    ASSERT_TRUE(st != NULL);
    ASSERT_EQ(store_replay_begin(st, id), 0);
    for (int i = 0; i < NPKT; i++) {
        if (i == ckpt)
            store_replay_end(st);
        struct packet p = zpkt(data, i, i < ckpt ? 0 : 1);
        ASSERT_EQ(store_pkt_write(st, id, &p, &again[i]), 0);
        ASSERT_EQ(again[i], pos[i]);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE, .packets = NPKT};
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
    store_close(st);

    st = zopen(dir, NULL, 1);
    ASSERT_TRUE(st != NULL);
    for (int i = 0; i < NPKT; i++)
        ASSERT_TRUE(check_pkt(st, pos[i], i, i < ckpt ? 0 : 1));
    store_close(st);
    /* Sealed again: the file's own seek table describes all of it. */
    struct zseg_table t;
    int rc = file_table(path, &t);
    uint64_t end = t.plain_end;
    zseg_table_release(&t);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(end, POS_OFF(pos[NPKT - 1]) + 16 + zpkt(data, NPKT - 1, 1).caplen);
}

TEST(zseg_corrupt_frame_is_a_clear_error)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/d", t_tmpdir());
    snprintf(path, sizeof path, "%s/pcap/0000000001.pcap.zst", dir);
    static uint64_t pos[NPKT];
    ASSERT_EQ(fill(dir, "zstd", ident_z, pos), 0);
    /* Damage the middle of the second frame (its offset from the seek table). */
    struct zseg_table t;
    int rc = file_table(path, &t);
    uint64_t f1 = 0, p1 = 0, p2 = 0;
    if (rc == 0 && t.n >= 3) {
        f1 = t.f[1].file_off + t.f[1].comp_len / 2;
        p1 = t.f[1].plain_off;
        p2 = t.f[2].plain_off;
    }
    zseg_table_release(&t);
    ASSERT_EQ(rc, 0);
    ASSERT_GT(p2, p1);
    int fd = open(path, O_WRONLY);
    ASSERT_TRUE(fd >= 0);
    uint8_t junk[64];
    memset(junk, 0xa5, sizeof junk);
    ASSERT_EQ(pwrite(fd, junk, sizeof junk, (off_t)f1), (ssize_t)sizeof junk);
    close(fd);

    struct store *st = zopen(dir, NULL, 1);
    ASSERT_TRUE(st != NULL);
    struct buf b;
    buf_init(&b, 1 << 20);
    int bad = 0, good = 0;
    for (int i = 0; i < NPKT; i++) {
        struct packet p;
        uint64_t off = POS_OFF(pos[i]);
        int r = store_pkt_read(st, pos[i], &p, &b);
        if (off >= p1 && off < p2) {
            bad += r == KS_ECORRUPT && strstr(store_errmsg(st), "frame 1 at file offset");
        } else {
            good += r == 0 && check_pkt(st, pos[i], i, 0);
        }
    }
    buf_release(&b);
    store_close(st);
    ASSERT_GT(bad, 10);
    ASSERT_EQ(bad + good, NPKT);
}

TEST(zseg_seek_tables_that_lie_are_rejected)
{
    struct zseg_table t;
    zseg_table_init(&t);
    uint8_t e[16] = {0};
    /* plain size over the cap */
    e[0] = 100;
    e[4] = 0, e[5] = 0, e[6] = 0x20; /* 2 MiB */
    ASSERT_EQ(zseg_table_parse(&t, e, 8, 8), KS_ECORRUPT);
    /* a length that is not a whole number of entries */
    ASSERT_EQ(zseg_table_parse(&t, e, 7, 8), KS_ECORRUPT);
    /* two good entries */
    memset(e, 0, sizeof e);
    e[0] = 100, e[4] = 50, e[8] = 20, e[12] = 70;
    ASSERT_EQ(zseg_table_parse(&t, e, 16, 8), 0);
    ASSERT_EQ(t.n, 2);
    ASSERT_EQ(t.plain_end, 120);
    ASSERT_EQ(t.file_end, 120);
    ASSERT_EQ(t.f[1].file_off, 100);

    /* A seek table whose frames do not end where it starts. */
    uint8_t file[200];
    memset(file, 0, sizeof file);
    size_t tl = zseg_seektable_len(t.n);
    zseg_seektable(&t, file + 200 - tl);
    struct zseg_mem m = {file, sizeof file};
    struct zseg_reader r;
    zseg_reader_init(&r, zseg_mem_pread, &m);
    ASSERT_EQ(zseg_reader_load_footer(&r, sizeof file), KS_ECORRUPT);
    ASSERT_TRUE(strstr(r.err, "frames end at 120") != NULL);
    /* No seek table at all. */
    memset(file, 0, sizeof file);
    ASSERT_EQ(zseg_reader_load_footer(&r, sizeof file), KS_ENOENT);
    /* Reads past the end and over garbage frames fail cleanly. */
    ASSERT_EQ(zseg_table_parse(&r.t, e, 16, 8), 0);
    uint8_t out[8];
    ASSERT_EQ(zseg_read(&r, out, 8, 500), KS_ECORRUPT);
    ASSERT_EQ(zseg_read(&r, out, 8, 0), KS_ECORRUPT);
    ASSERT_TRUE(strstr(r.err, "frame 0 at file offset 0") != NULL);
    zseg_reader_release(&r);
    zseg_table_release(&t);
}

TEST(zseg_compress_setting_is_kept_by_the_store)
{
    char dir[512], msg[256];
    snprintf(dir, sizeof dir, "%s/s", t_tmpdir());
    struct store *st;
    struct store_opts bad = {.compress = "lz4"};
    ASSERT_EQ(store_open(&st, dir, &bad, msg, sizeof msg), KS_EINVAL);
    ASSERT_TRUE(strstr(msg, "bad compression 'lz4'") != NULL);
    bad.compress = "zstd:99";
    ASSERT_EQ(store_open(&st, dir, &bad, msg, sizeof msg), KS_EINVAL);
    st = zopen(dir, "zstd:5", 0);
    ASSERT_TRUE(st != NULL);
    store_close(st);
    /* A later writer that says nothing compresses too. */
    static uint64_t pos[NPKT];
    ASSERT_EQ(fill(dir, NULL, ident_z, pos), 0);
    char path[600];
    struct stat sb;
    snprintf(path, sizeof path, "%s/pcap/0000000001.pcap.zst", dir);
    ASSERT_EQ(stat(path, &sb), 0);
    /* And "none" switches new segments back to plain pcap. */
    ASSERT_EQ(fill(dir, "none", ident_p, pos), 0);
    snprintf(path, sizeof path, "%s/pcap/0000000002.pcap", dir);
    ASSERT_EQ(stat(path, &sb), 0);
}
