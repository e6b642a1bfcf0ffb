/*
 * fuzz_chunks.h — the stream-mode input layout shared by the protocol harnesses:
 * a sequence of | ctl 1 | length 2 (big-endian) | bytes | chunks.
 */
#ifndef KONSEKI_FUZZ_CHUNKS_H
#define KONSEKI_FUZZ_CHUNKS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The next chunk at *off: its control byte, and an exact-size heap copy of its bytes
 * (so ASan sees any read past them; the caller frees it) with their count in *n.
 * With ctl bit `gap_bit` set nothing is copied and *n is the length field itself.
 * 0, or -1 at the end of the input.
 */
static inline int fuzz_chunk(const uint8_t *data, size_t size, size_t *off, uint8_t gap_bit,
                             uint8_t *ctl, uint8_t **copy, size_t *n)
{
    if (*off + 3 > size)
        return -1;
    *ctl = data[*off];
    *n = (size_t)data[*off + 1] << 8 | data[*off + 2];
    *off += 3;
    *copy = NULL;
    if (*ctl & gap_bit)
        return 0;
    if (*n > size - *off)
        *n = size - *off;
    *copy = malloc(*n ? *n : 1);
    if (!*copy)
        return -1;
    memcpy(*copy, data + *off, *n);
    *off += *n;
    return 0;
}

#endif
