#include "core/buf.h"
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t cap)
{
    b->data = NULL;
    b->len = b->alloc = 0;
    b->cap = cap ? cap : (size_t)1 << 30;
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
    if (n > b->cap || b->len > b->cap - n)
        return KS_ELIMIT;
    if (n <= b->alloc - b->len)
        return 0;
    size_t want = b->len + n, na = b->alloc ? b->alloc : 64;
    while (na < want)
        na = na > SIZE_MAX / 2 ? want : na * 2;
    if (na > b->cap + 1)
        na = b->cap + 1; /* room for buf_cstr's NUL */
    uint8_t *p = realloc(b->data, na);
    if (!p)
        return KS_ENOMEM;
    b->data = p;
    b->alloc = na;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int buf_putc(struct buf *b, int c)
{
    uint8_t ch = (uint8_t)c;
    return buf_append(b, &ch, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return KS_EINVAL;
    if ((size_t)n < sizeof small)
        return buf_append(b, small, (size_t)n);
    int rc = buf_reserve(b, (size_t)n + 1);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_put_uvarint(struct buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    return buf_append(b, tmp, n);
}

size_t uvarint_get(const uint8_t *p, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

const char *buf_cstr(struct buf *b)
{
    if (b->alloc <= b->len) {
        uint8_t *p = realloc(b->data, b->len + 1);
        if (!p)
            return "";
        b->data = p;
        b->alloc = b->len + 1;
    }
    b->data[b->len] = '\0';
    return (const char *)b->data;
}
