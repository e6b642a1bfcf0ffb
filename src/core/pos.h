/*
 * pos.h — where a session's packets are: a list of 64-bit packet positions,
 * encoded as zig-zag deltas in LEB128 varints.  Positions of one session are
 * nearly sorted and close together, so most take 1–3 bytes.
 *
 * A position is (segment id << POS_SEG_SHIFT) | byte offset of the packet's
 * record header inside that segment file.
 */
#ifndef KONSEKI_CORE_POS_H
#define KONSEKI_CORE_POS_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

#define POS_SEG_SHIFT 40
/* A frame that was not stored (live capture with the disk full): sessions count it, list no
 * position. */
#define POS_NONE UINT64_MAX
#define POS_OFF_MASK ((UINT64_C(1) << POS_SEG_SHIFT) - 1)
#define POS_MAKE(seg, off) (((uint64_t)(seg) << POS_SEG_SHIFT) | ((uint64_t)(off)&POS_OFF_MASK))
#define POS_SEG(p) ((uint32_t)((p) >> POS_SEG_SHIFT))
#define POS_OFF(p) ((p)&POS_OFF_MASK)

/* Append pos to an encoded list whose last position was *prev (start with *prev = 0). */
int pos_append(struct buf *b, uint64_t *prev, uint64_t pos);

struct pos_iter {
    const uint8_t *p;
    size_t len, off;
    uint64_t prev;
};
void pos_iter_init(struct pos_iter *it, const uint8_t *p, size_t len);
/* 1 = *pos set, 0 = end, <0 = KS_ECORRUPT */
int pos_next(struct pos_iter *it, uint64_t *pos);

#endif
