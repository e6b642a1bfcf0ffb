/*
 * buf.h — growable byte buffer with a hard cap.
 *
 * Owns its memory (buf_release frees it).  Growth past `cap` fails with
 * KS_ELIMIT instead of eating the machine: every buffer fed by input has a cap.
 */
#ifndef KONSEKI_CORE_BUF_H
#define KONSEKI_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len, alloc, cap;
};

void buf_init(struct buf *b, size_t cap);
void buf_release(struct buf *b);
/* Make room for n more bytes; 0 or KS_ENOMEM / KS_ELIMIT. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, int c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unsigned LEB128 varint. */
int buf_put_uvarint(struct buf *b, uint64_t v);
/* NUL-terminated view of the contents (appends a NUL not counted in len). */
const char *buf_cstr(struct buf *b);
static inline void buf_reset(struct buf *b)
{
    b->len = 0;
}

/* Decode a LEB128 varint from p[0..len); returns bytes used or 0 on error. */
size_t uvarint_get(const uint8_t *p, size_t len, uint64_t *out);

#endif
