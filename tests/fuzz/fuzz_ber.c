/*
 * fuzz_ber.c — the BER reader on hostile bytes: walk every TLV of the input (entering
 * each constructed value) and check that every value lies inside the input, that the
 * depth never passes BER_MAX_DEPTH and that ber_frame_len agrees with ber_next.
 */
#include "proto/ber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *lo, *hi;
static volatile uint64_t sink;

static void walk(struct ber *b)
{
    struct ber_tlv t;
    int rc;
    if (b->depth > BER_MAX_DEPTH)
        abort();
    while ((rc = ber_next(b, &t)) == 1) {
        if (t.val < lo || t.val > hi || t.len > (size_t)(hi - t.val))
            abort();
        int64_t v;
        int bv;
        if (!ber_int(&t, &v))
            sink ^= (uint64_t)v;
        if (!ber_bool(&t, &bv))
            sink ^= (uint64_t)bv;
        struct ber in;
        if (t.constructed && ber_enter(b, &t, &in) == 0)
            walk(&in);
    }
    if (rc > 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    uint8_t *c = malloc(size ? size : 1);
    if (!c)
        return 0;
    if (size)
        memcpy(c, data, size);
    lo = c;
    hi = c + size;
    struct ber b;
    ber_init(&b, c, size);
    struct ber_tlv t;
    long fl = ber_frame_len(c, size);
    int rc = ber_peek(&b, &t);
    if (rc == 1 && fl != (long)(t.hdr + t.len))
        abort();
    if (fl > 0 && (size_t)fl <= size && rc != 1)
        abort();
    if (!ber_header(c, size, &t) && t.val != c + t.hdr)
        abort();
    walk(&b);
    free(c);
    return 0;
}
