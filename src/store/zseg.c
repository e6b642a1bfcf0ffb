/*
 * zseg.c — compressed packet segments: seek table and random-access reader.
 *
 * The format is described in zseg.h.  Everything read from a file or from the
 * catalog is hostile: the table must describe frames that fill the file's data
 * part exactly, no frame may exceed ZSEG_FRAME_MAX plain bytes, and a frame
 * must decompress to exactly the size its entry claims, else the read fails
 * with a message naming the frame and its file offset.
 */
#include "store/zseg.h"

#include "core/err.h"
#include "core/rdr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

void zseg_table_init(struct zseg_table *t)
{
    memset(t, 0, sizeof *t);
}

void zseg_table_release(struct zseg_table *t)
{
    free(t->f);
    zseg_table_init(t);
}

void zseg_table_reset(struct zseg_table *t)
{
    t->n = 0;
    t->plain_end = t->file_end = 0;
}

int zseg_table_add(struct zseg_table *t, uint32_t comp_len, uint32_t plain_len)
{
    if (t->n == ZSEG_MAX_FRAMES)
        return KS_ELIMIT;
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 64;
        struct zseg_frame *nf = realloc(t->f, (size_t)nc * sizeof *nf);
        if (!nf)
            return KS_ENOMEM;
        t->f = nf;
        t->cap = nc;
    }
    t->f[t->n++] = (struct zseg_frame){t->plain_end, t->file_end, plain_len, comp_len};
    t->plain_end += plain_len;
    t->file_end += comp_len;
    return 0;
}

void zseg_table_entries(const struct zseg_table *t, uint8_t *dst)
{
    for (uint32_t i = 0; i < t->n; i++, dst += ZSEG_ENTRY) {
        st_u32le(dst, t->f[i].comp_len);
        st_u32le(dst + 4, t->f[i].plain_len);
    }
}

size_t zseg_seektable_len(uint32_t n)
{
    return ZSEG_SKIP_HDR + (size_t)n * ZSEG_ENTRY + ZSEG_FOOTER;
}

void zseg_seektable(const struct zseg_table *t, uint8_t *dst)
{
    size_t body = (size_t)t->n * ZSEG_ENTRY;
    st_u32le(dst, ZSEG_SKIP_MAGIC);
    st_u32le(dst + 4, (uint32_t)(body + ZSEG_FOOTER));
    zseg_table_entries(t, dst + ZSEG_SKIP_HDR);
    uint8_t *f = dst + ZSEG_SKIP_HDR + body;
    st_u32le(f, t->n);
    f[4] = 0; /* no checksums: every zstd frame carries its own content checksum */
    st_u32le(f + 5, ZSEG_SEEK_MAGIC);
}

static uint32_t ld_u32le(const uint8_t *b)
{
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

int zseg_table_parse(struct zseg_table *t, const uint8_t *p, size_t len, size_t esz)
{
    zseg_table_reset(t);
    if ((esz != 8 && esz != 12) || len % esz || len / esz > ZSEG_MAX_FRAMES)
        return KS_ECORRUPT;
    size_t max_comp = ZSTD_compressBound(ZSEG_FRAME_MAX);
    for (size_t off = 0; off < len; off += esz) {
        uint32_t comp = ld_u32le(p + off), plain = ld_u32le(p + off + 4);
        /* A zstd frame is at least a magic and a header; an empty frame is useless. */
        if (comp < 8 || comp > max_comp || plain == 0 || plain > ZSEG_FRAME_MAX) {
            zseg_table_reset(t);
            return KS_ECORRUPT;
        }
        int rc = zseg_table_add(t, comp, plain);
        if (rc) {
            zseg_table_reset(t);
            return rc == KS_ENOMEM ? rc : KS_ECORRUPT;
        }
    }
    return 0;
}

int zseg_mem_pread(void *ctx, void *dst, size_t n, uint64_t off)
{
    const struct zseg_mem *m = ctx;
    if (off > m->n || n > m->n - off)
        return KS_ECORRUPT;
    memcpy(dst, m->p + off, n);
    return 0;
}

void zseg_reader_init(struct zseg_reader *r, zseg_pread_fn fn, void *ctx)
{
    memset(r, 0, sizeof *r);
    zseg_table_init(&r->t);
    r->pread = fn;
    r->ctx = ctx;
    r->cached = -1;
}

void zseg_reader_release(struct zseg_reader *r)
{
    zseg_table_release(&r->t);
    ZSTD_freeDCtx(r->dctx);
    free(r->cbuf);
    free(r->pbuf);
    r->dctx = NULL;
    r->cbuf = r->pbuf = NULL;
}

static int reader_err(struct zseg_reader *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reader_err(struct zseg_reader *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return rc;
}

int zseg_reader_load_footer(struct zseg_reader *r, uint64_t file_size)
{
    uint8_t foot[ZSEG_FOOTER], hdr[ZSEG_SKIP_HDR];
    r->cached = -1;
    zseg_table_reset(&r->t);
    if (file_size < ZSEG_SKIP_HDR + ZSEG_FOOTER)
        return KS_ENOENT;
    int rc = r->pread(r->ctx, foot, sizeof foot, file_size - ZSEG_FOOTER);
    if (rc)
        return rc;
    if (ld_u32le(foot + 5) != ZSEG_SEEK_MAGIC)
        return KS_ENOENT;
    uint32_t n = ld_u32le(foot);
    uint8_t desc = foot[4];
    size_t esz = desc & 0x80 ? 12 : 8;
    if (desc & 0x7c)
        return reader_err(r, KS_ECORRUPT, "seek table: reserved descriptor bits set (0x%02x)",
                          desc);
    uint64_t body = (uint64_t)n * esz;
    uint64_t tlen = ZSEG_SKIP_HDR + body + ZSEG_FOOTER;
    if (n > ZSEG_MAX_FRAMES || tlen > file_size)
        return reader_err(r, KS_ECORRUPT, "seek table: %u frames do not fit a %llu-byte file", n,
                          (unsigned long long)file_size);
    uint64_t at = file_size - tlen;
    if ((rc = r->pread(r->ctx, hdr, sizeof hdr, at)))
        return rc;
    if (ld_u32le(hdr) != ZSEG_SKIP_MAGIC || ld_u32le(hdr + 4) != body + ZSEG_FOOTER)
        return reader_err(r, KS_ECORRUPT, "seek table at offset %llu: bad skippable frame",
                          (unsigned long long)at);
    uint8_t *entries = malloc(body ? body : 1);
    if (!entries)
        return KS_ENOMEM;
    rc = r->pread(r->ctx, entries, body, at + ZSEG_SKIP_HDR);
    if (!rc)
        rc = zseg_table_parse(&r->t, entries, body, esz);
    free(entries);
    if (rc == KS_ECORRUPT)
        return reader_err(r, rc, "seek table at offset %llu: a bad entry among %u",
                          (unsigned long long)at, n);
    if (rc)
        return rc;
    /* The frames fill the data part exactly: nothing hides between them and the table. */
    if (r->t.file_end != at) {
        unsigned long long end = r->t.file_end;
        zseg_table_reset(&r->t);
        return reader_err(r, KS_ECORRUPT, "seek table: frames end at %llu, table starts at %llu",
                          end, (unsigned long long)at);
    }
    return 0;
}

/* The frame holding plain offset off (binary search), or -1. */
static int64_t find_frame(const struct zseg_table *t, uint64_t off)
{
    if (off >= t->plain_end)
        return -1;
    uint32_t lo = 0, hi = t->n;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->f[mid].plain_off <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Make *b hold at least need bytes (bounded by the table's per-frame caps). */
static int grow(uint8_t **b, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    uint8_t *nb = realloc(*b, need);
    if (!nb)
        return KS_ENOMEM;
    *b = nb;
    *cap = need;
    return 0;
}

static int load_frame(struct zseg_reader *r, uint32_t i)
{
    const struct zseg_frame *f = &r->t.f[i];
    if (!r->dctx && !(r->dctx = ZSTD_createDCtx()))
        return KS_ENOMEM;
    if (grow(&r->cbuf, &r->ccap, f->comp_len) || grow(&r->pbuf, &r->pcap, f->plain_len))
        return KS_ENOMEM;
    r->cached = -1;
    int rc = r->pread(r->ctx, r->cbuf, f->comp_len, f->file_off);
    if (rc)
        return reader_err(r, rc, "frame %u at file offset %llu: cannot read it", i,
                          (unsigned long long)f->file_off);
    r->frames_read++;
    size_t got = ZSTD_decompressDCtx(r->dctx, r->pbuf, f->plain_len, r->cbuf, f->comp_len);
    if (ZSTD_isError(got))
        return reader_err(r, KS_ECORRUPT, "frame %u at file offset %llu: %s", i,
                          (unsigned long long)f->file_off, ZSTD_getErrorName(got));
    if (got != f->plain_len)
        return reader_err(r, KS_ECORRUPT, "frame %u: %zu plain bytes, the table says %u", i, got,
                          f->plain_len);
    r->cached = i;
    return 0;
}

int zseg_read(struct zseg_reader *r, void *dst, size_t n, uint64_t off)
{
    uint8_t *d = dst;
    while (n > 0) {
        int64_t i = r->cached >= 0 && off >= r->t.f[r->cached].plain_off &&
                            off - r->t.f[r->cached].plain_off < r->t.f[r->cached].plain_len
                        ? r->cached
                        : find_frame(&r->t, off);
        if (i < 0)
            return reader_err(r, KS_ECORRUPT, "plain offset %llu is past the end (%llu)",
                              (unsigned long long)off, (unsigned long long)r->t.plain_end);
        if (i != r->cached) {
            int rc = load_frame(r, (uint32_t)i);
            if (rc)
                return rc;
        }
        const struct zseg_frame *f = &r->t.f[i];
        size_t at = (size_t)(off - f->plain_off), take = f->plain_len - at;
        if (take > n)
            take = n;
        memcpy(d, r->pbuf + at, take);
        d += take;
        off += take;
        n -= take;
    }
    return 0;
}
