/*
 * source_int.h — what the capture-file source's files share (not for other modules).
 *
 * Layering inside a file source:
 *
 *   fd / caller memory ──▶ raw bytes ──▶ [gzip | zstd | none] ──▶ window ──▶ pcap / pcapng parser
 *
 * The window is a view of the decompressed stream: win[pos..end) are bytes not yet
 * parsed, win[0] sits at stream offset `base`.  src_fill() guarantees that a whole
 * record is contiguous in it before the parser looks at the record, so parsers
 * hand out pointers into the window and never copy packet bytes.  For an
 * uncompressed capture held in memory the window is the caller's memory itself.
 */
#ifndef KONSEKI_SOURCE_SOURCE_INT_H
#define KONSEKI_SOURCE_SOURCE_INT_H

#include "core/buf.h"
#include "source/source.h"

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

/*
 * Window size.  Large reads keep the syscall cost per byte negligible; a record
 * is moved only when it straddles the end of the window.  It also bounds the
 * largest pcapng block we accept (wiretap's own limit is far lower, ~384 KiB).
 */
#define SRC_WIN_SIZE ((size_t)4 << 20)
#define SRC_MAX_BLOCK SRC_WIN_SIZE
/* Compressed bytes read per read() call when decompressing. */
#define SRC_RAW_SIZE ((size_t)256 << 10)
/* A mapped file keeps about this much behind the cursor resident. */
#define SRC_MAP_DROP ((size_t)64 << 20)
/* Interfaces one pcapng section may describe (hostile files would otherwise grow the table freely).
 */
#define SRC_MAX_IFACES 65536u

enum src_fmt { SRC_FMT_PCAP, SRC_FMT_PCAP_NS, SRC_FMT_PCAP_MOD, SRC_FMT_PCAPNG };
enum src_comp { SRC_COMP_NONE, SRC_COMP_GZIP, SRC_COMP_ZSTD };

/* Why the window cannot grow any more. */
enum src_in_state {
    SRC_IN_MORE,  /* more input may come */
    SRC_IN_END,   /* the (decompressed) stream ended cleanly */
    SRC_IN_TRUNC, /* the compressed stream was cut short: in_msg says so */
    SRC_IN_ERR    /* read or decompression error: in_err, in_msg */
};

/* How an interface's timestamp units become nanoseconds (pcapng if_tsresol). */
enum src_ts_kind {
    SRC_TS_MUL, /* units divide a second into 10^n parts, n <= 9: ns = ts * mul */
    SRC_TS_GEN  /* anything else: ns = ts * 1e9 / units_per_sec, in 128 bits */
};

struct src_iface {
    uint32_t linktype;
    uint32_t snaplen; /* 0 = no limit */
    uint32_t kind;    /* src_ts_kind */
    uint32_t shift;   /* SRC_TS_GEN with a power-of-2 resolution: log2(units_per_sec) */
    uint64_t mul;     /* SRC_TS_MUL factor */
    uint64_t ups;     /* units per second (SRC_TS_GEN, power of 10) */
    int64_t offset_s; /* if_tsoffset: seconds added to every timestamp */
};

struct source {
    /* The window over the decompressed stream (see the top of this file). */
    const uint8_t *win;
    uint8_t *wbuf;            /* owned window memory; NULL when win is the caller's memory */
    void *map;                /* a plain capture file mapped whole: the window (munmap at close) */
    size_t map_len, unmapped; /* pages before `unmapped` were released (MADV_DONTNEED) */
    size_t pos, end, cap;
    uint64_t base;
    int in_state; /* src_in_state */
    int in_err;   /* KS_* behind SRC_IN_ERR */
    char in_msg[160];

    /* Raw input: a file descriptor or caller memory. */
    int fd, own_fd;
    const uint8_t *mem;
    size_t mem_len, mem_off;
    uint8_t *raw; /* compressed bytes read from fd */
    size_t raw_len;
    int raw_eof;
    uint64_t raw_read;
    int64_t file_size;

    /* Decompression. */
    int comp; /* src_comp */
    z_stream z;
    int z_live, gz_member_done;
    ZSTD_DCtx *zd;
    ZSTD_inBuffer zin;
    size_t zlast;

    /* Format state. */
    int fmt;      /* src_fmt */
    int be;       /* multi-byte fields are big-endian (pcap file / current pcapng section) */
    int hdr_done; /* pcap: file header consumed */
    int done;     /* clean end returned */
    uint32_t rec_hdr_len, frac_mul, linktype, snaplen;
    struct buf ifaces; /* struct src_iface[], this pcapng section's interfaces */
    uint32_t n_ifaces;

    uint64_t npkt;
    int err;
    char *name;
    char errmsg[512];
    uint8_t identity[32];
};

/*
 * Make at least n bytes (n <= s->cap) available at s->win + s->pos, reading and
 * decompressing as needed.  Returns the bytes available, fewer than n only when
 * input has stopped (s->in_state says why).  May move the window: pointers into
 * it are stale afterwards.
 */
size_t src_fill(struct source *s, size_t n);
/* Record an error for the record at stream offset off; returns code (sticky). */
int src_fail(struct source *s, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * Input stopped inside the record at off ("where" says inside what, e.g. "inside packet
 * data (3 of 60 bytes)").  Returns KS_ETRUNC or the read/decompression error.
 */
int src_short(struct source *s, uint64_t off, const char *where);
/* Input stopped exactly at a record boundary: 0 for a clean end, else the error. */
int src_at_end(struct source *s);

int src_pcap_next(struct source *s, struct packet *pkt);
int src_pcapng_next(struct source *s, struct packet *pkt);

#endif
