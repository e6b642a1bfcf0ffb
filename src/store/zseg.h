/*
 * zseg.h — compressed packet segments (pcap/<id>.pcap.zst): the format.
 *
 * A compressed segment holds the same plain pcap byte stream as a plain segment,
 * cut into independently compressed zstd frames, followed (once the segment is
 * sealed) by a seek table in a skippable frame, after the idea of zstd's
 * seekable format (contrib/seekable_format/zstd_seekable_compression_format.md):
 *
 *   | zstd frame 0 | zstd frame 1 | ... | zstd frame n-1 | seek table (skippable frame) |
 *
 *   seek table:  u32le 0x184D2A5E        skippable frame magic
 *                u32le 8*n + 9           bytes that follow in this frame
 *                n x { u32le compressed size, u32le plain size }   (12 bytes with checksums)
 *                u32le n
 *                u8    descriptor        bit 7: entries carry a checksum; bits 2-6 zero
 *                u32le 0x8F92EAB1        seekable magic
 *
 * `zstd -d` decompresses the frames one after the other and skips the skippable
 * frame, so it restores the plain pcap file.  Packet positions stay plain
 * offsets; a reader finds the frame holding a plain offset in the table and
 * decompresses only that frame.  The writer cuts frames at packet record
 * boundaries, so a packet never needs two frames (the reader copes if it does).
 *
 * A segment that is still being written (or whose writer was killed) has no
 * seek table yet: the catalog keeps the same entries (without the skippable
 * frame around them) for every committed frame, see docs/store.md.
 */
#ifndef KONSEKI_STORE_ZSEG_H
#define KONSEKI_STORE_ZSEG_H

#include <stddef.h>
#include <stdint.h>

#define ZSEG_FRAME_BYTES (256u << 10) /* the writer closes a frame once it holds this much */
#define ZSEG_FRAME_MAX (1u << 20)     /* largest plain frame a reader accepts */
#define ZSEG_MAX_FRAMES (1u << 22)    /* 1 TiB of 256 KiB frames: the position limit */
#define ZSEG_SKIP_MAGIC 0x184D2A5Eu
#define ZSEG_SEEK_MAGIC 0x8F92EAB1u
#define ZSEG_FOOTER 9   /* frame count, descriptor, seekable magic */
#define ZSEG_SKIP_HDR 8 /* skippable magic, frame size */
#define ZSEG_ENTRY 8    /* compressed size, plain size */

struct zseg_frame {
    uint64_t plain_off, file_off;
    uint32_t plain_len, comp_len;
};

/* Where every frame is.  Frames are contiguous in both the file and the plain stream. */
struct zseg_table {
    struct zseg_frame *f; /* owned; n used of cap */
    uint32_t n, cap;
    uint64_t plain_end, file_end;
};

void zseg_table_init(struct zseg_table *t);
void zseg_table_release(struct zseg_table *t);
void zseg_table_reset(struct zseg_table *t);
/* Append one frame.  0, KS_ENOMEM, or KS_ELIMIT past ZSEG_MAX_FRAMES. */
int zseg_table_add(struct zseg_table *t, uint32_t comp_len, uint32_t plain_len);
/* The entries alone (the catalog's copy): 8*n bytes into dst (caller sizes it). */
void zseg_table_entries(const struct zseg_table *t, uint8_t *dst);
/* The whole seek table frame: zseg_seektable_len(n) bytes into dst. */
size_t zseg_seektable_len(uint32_t n);
void zseg_seektable(const struct zseg_table *t, uint8_t *dst);
/*
 * Rebuild t from len bytes of entries of esz (8 or 12) bytes each.  Rejects
 * frames larger than the caps.  0 or KS_ECORRUPT (t is then empty).
 */
int zseg_table_parse(struct zseg_table *t, const uint8_t *p, size_t len, size_t esz);

/* Read n bytes at off of the file; 0, KS_EIO, or KS_ECORRUPT when the file is shorter. */
typedef int (*zseg_pread_fn)(void *ctx, void *dst, size_t n, uint64_t off);

/* A segment held in memory (tests, fuzzing): ctx is a struct zseg_mem. */
struct zseg_mem {
    const uint8_t *p;
    size_t n;
};
int zseg_mem_pread(void *ctx, void *dst, size_t n, uint64_t off);

struct zseg_reader {
    struct zseg_table t;
    zseg_pread_fn pread;
    void *ctx;
    void *dctx;    /* ZSTD_DCtx */
    uint8_t *cbuf; /* one frame's compressed bytes */
    size_t ccap;
    uint8_t *pbuf; /* the cached frame, plain */
    size_t pcap;
    int64_t cached;       /* frame index in pbuf, -1 none */
    uint64_t frames_read; /* frames decompressed so far */
    char err[160];        /* what went wrong, for messages */
};

void zseg_reader_init(struct zseg_reader *r, zseg_pread_fn fn, void *ctx);
void zseg_reader_release(struct zseg_reader *r);
/*
 * Load the seek table from the end of a file of file_size bytes (a sealed
 * segment).  0; KS_ENOENT when the file ends in no seek table (a segment still
 * being written); KS_ECORRUPT when the table does not describe the file; KS_EIO.
 */
int zseg_reader_load_footer(struct zseg_reader *r, uint64_t file_size);
/* Read n plain bytes at plain offset off.  0, KS_ECORRUPT (r->err says why), KS_EIO, KS_ENOMEM. */
int zseg_read(struct zseg_reader *r, void *dst, size_t n, uint64_t off);

#endif
