/*
 * rdr.h — bounded cursor over wire bytes.
 *
 * Every read is checked against the end; a read past it sets a sticky error and
 * returns 0, so a parser reads a whole header and checks rdr_ok() once.  No
 * pointer arithmetic on packet memory happens outside this file.
 */
#ifndef KONSEKI_CORE_RDR_H
#define KONSEKI_CORE_RDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rdr {
    const uint8_t *p;
    size_t len, off;
    int err;
};

static inline void rdr_init(struct rdr *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = 0;
}
static inline int rdr_ok(const struct rdr *r)
{
    return !r->err;
}
static inline size_t rdr_left(const struct rdr *r)
{
    return r->err ? 0 : r->len - r->off;
}
static inline int rdr_need(struct rdr *r, size_t n)
{
    if (r->err || r->len - r->off < n) {
        r->err = 1;
        return 0;
    }
    return 1;
}
static inline uint8_t rdr_u8(struct rdr *r)
{
    if (!rdr_need(r, 1))
        return 0;
    return r->p[r->off++];
}
static inline uint16_t rdr_u16be(struct rdr *r)
{
    if (!rdr_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
    r->off += 2;
    return v;
}
static inline uint16_t rdr_u16le(struct rdr *r)
{
    if (!rdr_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)(r->p[r->off] | r->p[r->off + 1] << 8);
    r->off += 2;
    return v;
}
static inline uint32_t rdr_u32be(struct rdr *r)
{
    if (!rdr_need(r, 4))
        return 0;
    const uint8_t *b = r->p + r->off;
    r->off += 4;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline uint32_t rdr_u32le(struct rdr *r)
{
    if (!rdr_need(r, 4))
        return 0;
    const uint8_t *b = r->p + r->off;
    r->off += 4;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}
/* Pointer to the next n bytes (and skip them), or NULL with the sticky error set. */
static inline const uint8_t *rdr_bytes(struct rdr *r, size_t n)
{
    if (!rdr_need(r, n))
        return NULL;
    const uint8_t *b = r->p + r->off;
    r->off += n;
    return b;
}
static inline void rdr_skip(struct rdr *r, size_t n)
{
    (void)rdr_bytes(r, n);
}
static inline void rdr_copy(struct rdr *r, void *dst, size_t n)
{
    const uint8_t *b = rdr_bytes(r, n);
    if (b)
        memcpy(dst, b, n);
    else
        memset(dst, 0, n);
}

/* Little helpers for fixed-position reads where the caller already checked the length. */
static inline uint16_t ld_u16be(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t ld_u32be(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline void st_u16le(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}
static inline void st_u32le(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

#endif
