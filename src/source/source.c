/*
 * source.c — opening capture files: raw input, decompression, the window, the
 * file identity and error reporting.  The formats live in pcap.c and pcapng.c.
 *
 * Everything is decided from the bytes, never from the name:
 *
 *   1f 8b             gzip (RFC 1952), possibly several members back to back
 *   28 b5 2f fd       zstd frame (RFC 8878); frames may follow each other
 *   then, in the decompressed stream:
 *   a1 b2 c3 d4       pcap, µs timestamps      (either byte order)
 *   a1 b2 3c 4d       pcap, ns timestamps      (either byte order)
 *   a1 b2 cd 34       Kuznetsov's modified pcap, 24-byte record headers
 *   0a 0d 0d 0a       pcapng Section Header Block
 */
#include "source/source_int.h"

#include "core/err.h"
#include "core/rdr.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- raw input ---------------------------------------------------------------- */

/* read() that retries on EINTR; returns bytes, 0 at end, -1 with errno. */
static ssize_t src_read(int fd, uint8_t *dst, size_t n)
{
    for (;;) {
        ssize_t got = read(fd, dst, n);
        if (got >= 0 || errno != EINTR)
            return got;
    }
}

static void src_in_error(struct source *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void src_in_error(struct source *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->in_msg, sizeof s->in_msg, fmt, ap);
    va_end(ap);
    s->in_state = code == KS_ETRUNC ? SRC_IN_TRUNC : SRC_IN_ERR;
    s->in_err = code;
}

static const char *src_comp_name(int comp)
{
    return comp == SRC_COMP_GZIP ? "gzip" : comp == SRC_COMP_ZSTD ? "zstd" : "none";
}

/*
 * Next chunk of compressed input: *p and *n describe it.  1 = got some, 0 = end of
 * input, <0 = read error (recorded in the input state).  Memory input is handed
 * out in slices that fit zlib's 32-bit counters.
 */
static int src_raw_next(struct source *s, const uint8_t **p, size_t *n)
{
    if (s->mem) {
        size_t left = s->mem_len - s->mem_off;
        if (left == 0)
            return 0;
        if (left > (size_t)1 << 30)
            left = (size_t)1 << 30;
        *p = s->mem + s->mem_off;
        *n = left;
        s->mem_off += left;
        s->raw_read += left;
        return 1;
    }
    if (s->raw_len) { /* bytes read while sniffing the compression magic */
        *p = s->raw;
        *n = s->raw_len;
        s->raw_len = 0;
        return 1;
    }
    ssize_t got = src_read(s->fd, s->raw, SRC_RAW_SIZE);
    if (got < 0) {
        src_in_error(s, KS_EIO, "read error: %s", strerror(errno));
        return KS_EIO;
    }
    s->raw_read += (uint64_t)got;
    *p = s->raw;
    *n = (size_t)got;
    return got > 0;
}

/* ---- producers: append decompressed bytes to dst ------------------------------- */

static size_t src_produce_plain(struct source *s, uint8_t *dst, size_t room)
{
    ssize_t got = src_read(s->fd, dst, room);
    if (got < 0) {
        src_in_error(s, KS_EIO, "read error: %s", strerror(errno));
        return 0;
    }
    if (got == 0)
        s->in_state = SRC_IN_END;
    s->raw_read += (uint64_t)got;
    return (size_t)got;
}

/*
 * gzip (RFC 1952) through zlib's inflate.  Members may be concatenated (gzip -c a b
 * > c.gz); like gzip(1) we ignore anything after a member that is not another
 * member.  Input that ends inside a member is a cut-short stream.
 */
static size_t src_produce_gzip(struct source *s, uint8_t *dst, size_t room)
{
    z_stream *z = &s->z;
    if (room > UINT32_MAX)
        room = UINT32_MAX;
    z->next_out = dst;
    z->avail_out = (uInt)room;
    while (z->avail_out > 0) {
        if (z->avail_in == 0 && !s->raw_eof) {
            const uint8_t *p;
            size_t n;
            int rc = src_raw_next(s, &p, &n);
            if (rc < 0)
                break;
            if (rc == 0) {
                s->raw_eof = 1;
                continue;
            }
            z->next_in = (Bytef *)(uintptr_t)p; /* zlib never writes through next_in */
            z->avail_in = (uInt)n;
            continue;
        }
        if (s->gz_member_done) {
            if (z->avail_in == 0 || z->next_in[0] != 0x1f) {
                s->in_state = SRC_IN_END;
                break;
            }
            inflateReset(z);
            s->gz_member_done = 0;
        }
        uInt in0 = z->avail_in, out0 = z->avail_out;
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            s->gz_member_done = 1;
            continue;
        }
        if (rc == Z_OK || rc == Z_BUF_ERROR) {
            if (z->avail_in != in0 || z->avail_out != out0)
                continue;
            if (s->raw_eof && z->avail_in == 0)
                src_in_error(s, KS_ETRUNC, "gzip stream is cut short");
            else
                src_in_error(s, KS_ECORRUPT, "gzip data error: no progress");
            break;
        }
        if (rc == Z_MEM_ERROR)
            src_in_error(s, KS_ENOMEM, "gzip: out of memory");
        else
            src_in_error(s, KS_ECORRUPT, "gzip data error: %s", z->msg ? z->msg : "bad data");
        break;
    }
    return room - z->avail_out;
}

/*
 * zstd (RFC 8878) through ZSTD_decompressStream, which returns 0 exactly when a
 * frame is complete and flushed.  Input ending with a frame open is cut short.
 */
static size_t src_produce_zstd(struct source *s, uint8_t *dst, size_t room)
{
    ZSTD_outBuffer out = {dst, room, 0};
    while (out.pos < out.size) {
        if (s->zin.pos == s->zin.size && !s->raw_eof) {
            const uint8_t *p;
            size_t n;
            int rc = src_raw_next(s, &p, &n);
            if (rc < 0)
                break;
            if (rc == 0) {
                s->raw_eof = 1;
                continue;
            }
            s->zin = (ZSTD_inBuffer){p, n, 0};
            continue;
        }
        int at_eof = s->zin.pos == s->zin.size;
        if (at_eof && s->zlast == 0) {
            s->in_state = SRC_IN_END;
            break;
        }
        size_t out0 = out.pos, in0 = s->zin.pos;
        size_t rc = ZSTD_decompressStream(s->zd, &out, &s->zin);
        if (ZSTD_isError(rc)) {
            src_in_error(s, KS_ECORRUPT, "zstd data error: %s", ZSTD_getErrorName(rc));
            break;
        }
        s->zlast = rc;
        if (out.pos == out0 && s->zin.pos == in0 && rc != 0) {
            if (at_eof)
                src_in_error(s, KS_ETRUNC, "zstd stream is cut short");
            else
                src_in_error(s, KS_ECORRUPT, "zstd data error: no progress");
            break;
        }
    }
    return out.pos;
}

/* ---- the window ------------------------------------------------------------------ */

size_t src_fill(struct source *s, size_t n)
{
    while (s->end - s->pos < n && s->in_state == SRC_IN_MORE) {
        if (s->pos > 0) {
            /* Only the unparsed tail of the window moves: at most one record. */
            size_t keep = s->end - s->pos;
            memmove(s->wbuf, s->wbuf + s->pos, keep);
            s->base += s->pos;
            s->pos = 0;
            s->end = keep;
        }
        uint8_t *dst = s->wbuf + s->end;
        size_t room = s->cap - s->end;
        if (room == 0)
            break; /* n > cap: callers never ask for that */
        switch (s->comp) {
        case SRC_COMP_GZIP:
            s->end += src_produce_gzip(s, dst, room);
            break;
        case SRC_COMP_ZSTD:
            s->end += src_produce_zstd(s, dst, room);
            break;
        default:
            s->end += src_produce_plain(s, dst, room);
            break;
        }
    }
    return s->end - s->pos;
}

/* ---- errors -------------------------------------------------------------------- */

int src_fail(struct source *s, int code, uint64_t off, const char *fmt, ...)
{
    int n = snprintf(s->errmsg, sizeof s->errmsg, "%s: offset %llu, packet %llu: ", s->name,
                     (unsigned long long)off, (unsigned long long)(s->npkt + 1));
    if (n > 0 && (size_t)n < sizeof s->errmsg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->errmsg + n, sizeof s->errmsg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    s->err = code;
    return code;
}

int src_short(struct source *s, uint64_t off, const char *where)
{
    switch (s->in_state) {
    case SRC_IN_TRUNC:
        return src_fail(s, KS_ETRUNC, off, "%s %s", s->in_msg, where);
    case SRC_IN_ERR:
        return src_fail(s, s->in_err, off, "%s (%s)", s->in_msg, where);
    default:
        return src_fail(s, KS_ETRUNC, off, "file ends %s", where);
    }
}

int src_at_end(struct source *s)
{
    uint64_t off = s->base + s->pos;
    switch (s->in_state) {
    case SRC_IN_TRUNC:
        return src_fail(s, KS_ETRUNC, off, "%s", s->in_msg);
    case SRC_IN_ERR:
        return src_fail(s, s->in_err, off, "%s", s->in_msg);
    default:
        s->done = 1;
        return 0;
    }
}

static void src_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void src_msg(char *msg, size_t msglen, const char *fmt, ...)
{
    if (!msg || !msglen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}

/* ---- open ---------------------------------------------------------------------- */

/*
 * Identity: SHA-256 over the first SRC_IDENTITY_BYTES of the decompressed stream,
 * then that count as 8 bytes big-endian.  The window holds them right after open.
 */
static int src_hash_identity(struct source *s)
{
    size_t n = s->end < SRC_IDENTITY_BYTES ? s->end : SRC_IDENTITY_BYTES;
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, s->win, n) == 1 && EVP_DigestUpdate(ctx, be, 8) == 1 &&
             EVP_DigestFinal_ex(ctx, s->identity, &len) == 1 && len == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : KS_ENOMEM;
}

/* "7f 45 4c 46" for the first (up to) four bytes. */
static void src_hex4(const uint8_t *p, size_t n, char *dst, size_t dstlen)
{
    size_t o = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < n && i < 4 && o + 4 < dstlen; i++)
        o += (size_t)snprintf(dst + o, dstlen - o, i ? " %02x" : "%02x", p[i]);
}

/* Pick the format from the first four decompressed bytes; KS_EFORMAT if none fits. */
static int src_sniff_format(struct source *s, char *msg, size_t msglen)
{
    size_t avail = s->end;
    const char *via = s->comp == SRC_COMP_GZIP   ? " after gzip decompression"
                      : s->comp == SRC_COMP_ZSTD ? " after zstd decompression"
                                                 : "";
    if (avail < 4) {
        if (s->in_state == SRC_IN_ERR || s->in_state == SRC_IN_TRUNC) {
            src_msg(msg, msglen, "%s: %s", s->name, s->in_msg);
            return s->in_err == KS_EIO ? KS_EIO : KS_EFORMAT;
        }
        if (avail == 0) {
            src_msg(msg, msglen, "%s: not a pcap or pcapng capture (empty file%s)", s->name, via);
        } else {
            char hex[16];
            src_hex4(s->win, avail, hex, sizeof hex);
            src_msg(msg, msglen, "%s: not a pcap or pcapng capture (only %zu bytes%s: %s)", s->name,
                    avail, via, hex);
        }
        return KS_EFORMAT;
    }
    /* The magic as a little-endian number: byte-swapped values mean a big-endian writer. */
    static const struct {
        uint32_t magic;
        int fmt, be;
    } magics[] = {
        {0xa1b2c3d4, SRC_FMT_PCAP, 0},     {0xd4c3b2a1, SRC_FMT_PCAP, 1},
        {0xa1b23c4d, SRC_FMT_PCAP_NS, 0},  {0x4d3cb2a1, SRC_FMT_PCAP_NS, 1},
        {0xa1b2cd34, SRC_FMT_PCAP_MOD, 0}, {0x34cdb2a1, SRC_FMT_PCAP_MOD, 1},
        {0x0a0d0d0a, SRC_FMT_PCAPNG, 0},
    };
    struct rdr r;
    rdr_init(&r, s->win, 4);
    uint32_t le = rdr_u32le(&r);
    size_t i = 0;
    while (i < sizeof magics / sizeof magics[0] && magics[i].magic != le)
        i++;
    if (i == sizeof magics / sizeof magics[0]) {
        char hex[16];
        src_hex4(s->win, 4, hex, sizeof hex);
        src_msg(msg, msglen, "%s: not a pcap or pcapng capture (starts with %s%s)", s->name, hex,
                via);
        return KS_EFORMAT;
    }
    s->fmt = magics[i].fmt;
    s->be = magics[i].be;
    s->rec_hdr_len = s->fmt == SRC_FMT_PCAP_MOD ? 24 : 16;
    s->frac_mul = s->fmt == SRC_FMT_PCAP_NS ? 1 : 1000;
    return 0;
}

static int src_setup_decoder(struct source *s, char *msg, size_t msglen)
{
    if (s->comp == SRC_COMP_GZIP) {
        /* 16 + MAX_WBITS: gzip wrapper only (RFC 1952), 32 KiB window. */
        if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
            src_msg(msg, msglen, "%s: cannot set up gzip decompression", s->name);
            return KS_ENOMEM;
        }
        s->z_live = 1;
    } else if (s->comp == SRC_COMP_ZSTD) {
        /*
         * 2^27 is zstd's default window limit (and what `zstd --long` uses): a frame
         * header asking for more is refused instead of allocating what it asks.
         */
        s->zd = ZSTD_createDCtx();
        if (!s->zd || ZSTD_isError(ZSTD_DCtx_setParameter(s->zd, ZSTD_d_windowLogMax, 27))) {
            src_msg(msg, msglen, "%s: cannot set up zstd decompression", s->name);
            return KS_ENOMEM;
        }
        s->zlast = 1; /* a frame has begun (we saw its magic) */
    }
    return 0;
}

static int src_comp_of(const uint8_t *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return SRC_COMP_GZIP;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        return SRC_COMP_ZSTD;
    return SRC_COMP_NONE;
}

/* Common tail of both opens: read ahead, hash, sniff. */
static int src_finish_open(struct source *s, char *msg, size_t msglen)
{
    int rc = src_setup_decoder(s, msg, msglen);
    if (rc)
        return rc;
    if (s->wbuf)
        src_fill(s, SRC_IDENTITY_BYTES);
    if (s->end == 0 && s->in_state == SRC_IN_ERR && s->in_err == KS_EIO) {
        src_msg(msg, msglen, "%s: %s", s->name, s->in_msg);
        return KS_EIO;
    }
    rc = src_hash_identity(s);
    if (rc) {
        src_msg(msg, msglen, "%s: cannot compute the file identity", s->name);
        return rc;
    }
    return src_sniff_format(s, msg, msglen);
}

static struct source *src_new(const char *name)
{
    struct source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = -1;
    s->file_size = -1;
    s->name = strdup(name && *name ? name : "(memory)");
    buf_init(&s->ifaces, (size_t)SRC_MAX_IFACES * sizeof(struct src_iface));
    if (!s->name) {
        free(s);
        return NULL;
    }
    return s;
}

/*
 * Uncompressed bytes already in memory (the caller's, or a mapped file) are the
 * window itself: nothing to read, copy or move, and packets stay valid.
 */
static void src_window_over(struct source *s, const uint8_t *data, size_t len)
{
    s->win = data;
    s->end = s->cap = len;
    s->in_state = SRC_IN_END;
}

int source_open_file(struct source **out, const char *path, char *msg, size_t msglen)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    struct source *s = src_new(is_stdin ? "stdin" : path);
    if (!s) {
        src_msg(msg, msglen, "%s: out of memory", path);
        return KS_ENOMEM;
    }
    int rc;
    if (is_stdin) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            src_msg(msg, msglen, "%s: %s", path, strerror(errno));
            rc = KS_EIO;
            goto fail;
        }
        s->own_fd = 1;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        s->file_size = (int64_t)st.st_size;
        (void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        /*
         * An uncompressed capture on disk is mapped whole and parsed in place: no
         * read(2) copy, no window moves, and packet pointers stay valid until
         * source_close (the packet store relies on that to write without copying).
         * Compressed files and pipes use the read window below.
         */
        if (st.st_size >= 4 && (uint64_t)st.st_size <= SIZE_MAX) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, s->fd, 0);
            if (m != MAP_FAILED) {
                if (src_comp_of(m, (size_t)st.st_size) == SRC_COMP_NONE) {
                    (void)madvise(m, (size_t)st.st_size, MADV_WILLNEED);
                    s->map = m;
                    s->map_len = (size_t)st.st_size;
                    src_window_over(s, m, s->map_len);
                    goto finish;
                }
                munmap(m, (size_t)st.st_size);
            }
        }
    }
    s->wbuf = malloc(SRC_WIN_SIZE);
    if (!s->wbuf) {
        src_msg(msg, msglen, "%s: out of memory", s->name);
        rc = KS_ENOMEM;
        goto fail;
    }
    s->win = s->wbuf;
    s->cap = SRC_WIN_SIZE;

    /*
     * Sniff the compression from the first bytes.  A pipe cannot be rewound, so
     * they are read into the window and, if compressed, handed to the decoder
     * as its first input.  Reading at most SRC_RAW_SIZE keeps that possible.
     */
    size_t got = 0;
    while (got < 4) {
        ssize_t n = src_read(s->fd, s->wbuf + got, SRC_RAW_SIZE - got);
        if (n < 0) {
            src_msg(msg, msglen, "%s: %s", s->name, strerror(errno));
            rc = KS_EIO;
            goto fail;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    s->raw_read = got;
    s->comp = src_comp_of(s->wbuf, got);
    if (s->comp == SRC_COMP_NONE) {
        s->end = got;
        if (got < 4)
            s->in_state = SRC_IN_END;
    } else {
        s->raw = malloc(SRC_RAW_SIZE);
        if (!s->raw) {
            src_msg(msg, msglen, "%s: out of memory", s->name);
            rc = KS_ENOMEM;
            goto fail;
        }
        memcpy(s->raw, s->wbuf, got);
        s->raw_len = got;
    }
finish:
    rc = src_finish_open(s, msg, msglen);
    if (rc)
        goto fail;
    *out = s;
    return 0;
fail:
    source_close(s);
    return rc;
}

int source_open_mem(struct source **out, const uint8_t *data, size_t len, const char *name,
                    char *msg, size_t msglen)
{
    *out = NULL;
    struct source *s = src_new(name);
    if (!s) {
        src_msg(msg, msglen, "%s: out of memory", name ? name : "(memory)");
        return KS_ENOMEM;
    }
    int rc;
    s->file_size = (int64_t)len;
    s->comp = src_comp_of(data, len);
    if (s->comp == SRC_COMP_NONE) {
        src_window_over(s, data, len);
    } else {
        s->mem = data;
        s->mem_len = len;
        s->wbuf = malloc(SRC_WIN_SIZE);
        if (!s->wbuf) {
            src_msg(msg, msglen, "%s: out of memory", s->name);
            rc = KS_ENOMEM;
            goto fail;
        }
        s->win = s->wbuf;
        s->cap = SRC_WIN_SIZE;
    }
    rc = src_finish_open(s, msg, msglen);
    if (rc)
        goto fail;
    *out = s;
    return 0;
fail:
    source_close(s);
    return rc;
}

/* ---- the rest of the contract ------------------------------------------------- */

int source_next(struct source *s, struct packet *pkt)
{
    if (s->err)
        return s->err;
    if (s->done)
        return 0;
    int rc = s->fmt == SRC_FMT_PCAPNG ? src_pcapng_next(s, pkt) : src_pcap_next(s, pkt);
    /* A mapped file or caller memory is the window itself: it never moves. */
    pkt->stable = s->wbuf == NULL;
    if (s->map && s->pos - s->unmapped >= SRC_MAP_DROP * 2) {
        /*
         * Let go of the pages far behind the cursor so resident memory stays
         * bounded whatever the file size.  Safe even if a writer still points
         * there: a private read-only file mapping refaults the same bytes.
         */
        size_t upto = (s->pos - SRC_MAP_DROP) & ~(size_t)4095;
        if (upto > s->unmapped) {
            (void)madvise((uint8_t *)s->map + s->unmapped, upto - s->unmapped, MADV_DONTNEED);
            s->unmapped = upto;
        }
    }
    return rc;
}

const char *source_error(const struct source *s)
{
    return s->err ? s->errmsg : "";
}

const char *source_format(const struct source *s)
{
    switch (s->fmt) {
    case SRC_FMT_PCAP_NS:
        return "pcap-ns";
    case SRC_FMT_PCAPNG:
        return "pcapng";
    default:
        return "pcap";
    }
}

const char *source_compression(const struct source *s)
{
    return src_comp_name(s->comp);
}

uint64_t source_bytes_read(const struct source *s)
{
    if ((s->fd < 0 || s->map) && s->comp == SRC_COMP_NONE)
        return s->base + s->pos; /* caller memory or a mapped file: what has been parsed */
    return s->raw_read;
}

int64_t source_file_size(const struct source *s)
{
    return s->file_size;
}

void source_identity(const struct source *s, uint8_t out[32])
{
    memcpy(out, s->identity, 32);
}

void source_close(struct source *s)
{
    if (!s)
        return;
    if (s->map)
        munmap(s->map, s->map_len);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    if (s->z_live)
        inflateEnd(&s->z);
    ZSTD_freeDCtx(s->zd);
    free(s->wbuf);
    free(s->raw);
    buf_release(&s->ifaces);
    free(s->name);
    free(s);
}
