/*
 * fuzz_proto.h — the shared body of the application-parser harnesses.
 *
 * Input layout:
 *   byte 0: bit 0 set = the session is UDP (else TCP)
 *   then records | ctl (1) | length (2, big-endian) | bytes |
 *     ctl bit 0: direction (0 client → server, 1 server → client)
 *     ctl bit 7: a gap of `length` bytes in that direction instead of data
 * Each record is one data call on a fresh exact-size copy (ASan sees reads past it).
 * After the parser is done (or handed the session over), end() and release() run and
 * every finished record must be well-formed.
 */
#ifndef KONSEKI_FUZZ_PROTO_H
#define KONSEKI_FUZZ_PROTO_H

#include "proto/proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void fuzz_proto_run(const struct proto_parser *p, uint16_t port, const uint8_t *data,
                                  size_t size)
{
    static const uint8_t a[16] = {192, 0, 2, 1}, b[16] = {192, 0, 2, 2};
    if (size < 1 || size > (1u << 20))
        return;
    struct proto_ctx ctx = {4, (data[0] & 1) ? 17 : 6, a, b, 49152, port, 0};
    struct proto_out o;
    proto_out_init(&o, 64);
    void *st = calloc(1, p->state_size ? p->state_size : 1);
    if (!st)
        return;
    size_t off = 1;
    int done = 0, probed[2] = {0, 0};
    while (!done && off + 3 <= size) {
        uint8_t ctl = data[off];
        size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        int dir = ctl & 1;
        ctx.ts_ns += 1000;
        if (ctl & 0x80) {
            if (p->gap && ctx.l4 == 6)
                p->gap(st, &o, &ctx, dir, n);
            continue;
        }
        if (n > size - off)
            n = size - off;
        if (n == 0)
            continue;
        uint8_t *c = malloc(n);
        if (!c)
            break;
        memcpy(c, data + off, n);
        off += n;
        if (!probed[dir]++)
            (void)p->probe(&ctx, dir, c, n);
        done = p->data(st, &o, &ctx, dir, c, n);
        free(c);
        if (o.switch_to) {
            if (strcmp(o.switch_to, "tls") != 0)
                abort();
            done = 1;
        }
    }
    if (p->end)
        p->end(st, &o, &ctx);
    if (p->release)
        p->release(st);
    free(st);
    if (o.depth != 0)
        abort(); /* a parser left a record open */
    for (size_t i = 0; i < o.nrecs; i++) {
        const struct proto_rec *r = &o.recs[i];
        if (!r->json || r->json[0] != '{' || strcmp(r->type, p->name) != 0)
            abort();
        for (size_t k = 0; k < r->nvals; k++)
            if (!r->vals[k].path || !r->vals[k].text)
                abort();
    }
    proto_out_release(&o);
}

#endif
