#include "core/pos.h"
#include "core/err.h"

int pos_append(struct buf *b, uint64_t *prev, uint64_t pos)
{
    int64_t d = (int64_t)(pos - *prev);
    uint64_t zz = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
    *prev = pos;
    return buf_put_uvarint(b, zz);
}

void pos_iter_init(struct pos_iter *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->off = 0;
    it->prev = 0;
}

int pos_next(struct pos_iter *it, uint64_t *pos)
{
    if (it->off >= it->len)
        return 0;
    uint64_t zz;
    size_t n = uvarint_get(it->p + it->off, it->len - it->off, &zz);
    if (!n)
        return KS_ECORRUPT;
    it->off += n;
    int64_t d = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
    it->prev += (uint64_t)d;
    *pos = it->prev;
    return 1;
}
