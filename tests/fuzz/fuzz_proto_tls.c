/*
 * fuzz_proto_tls.c — the TLS stream parser and tls_client_hello_fields() on hostile bytes.
 *
 * Input layout:
 *   byte 0 == 'H': the rest is one handshake message for tls_client_hello_fields().
 *   otherwise, stream mode: a sequence of | ctl 1 | length 2 (big-endian) | bytes |
 *     chunks; ctl bit 0 is the direction, bit 1 announces a gap of `length` bytes
 *     instead of data.  Each chunk goes to the parser as an exact-size heap copy.
 * Every finished record must hold well-formed JSON text (checked loosely: braces).
 */
#include "fuzz_chunks.h"
#include "proto/proto.h"
#include "proto/tls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct proto_out *o)
{
    for (size_t i = 0; i < o->nrecs; i++) {
        const char *j = o->recs[i].json;
        if (!j || j[0] != '{' || j[strlen(j) - 1] != '}')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_out o;
    if (size < 1 || size > (1u << 20))
        return 0;
    proto_out_init(&o, 64);
    if (data[0] == 'H') {
        uint8_t *c = malloc(size - 1 ? size - 1 : 1);
        if (c) {
            memcpy(c, data + 1, size - 1);
            proto_begin(&o, "tls");
            (void)tls_client_hello_fields(&o, c, size - 1, (size & 1) ? 'q' : 't');
            proto_end(&o);
            free(c);
        }
        check(&o);
        proto_out_release(&o);
        return 0;
    }
    void *st = calloc(1, proto_tls.state_size);
    struct proto_ctx ctx = {4, 6, NULL, NULL, 50000, 443, 0};
    int done = 0;
    size_t off = 0, n;
    uint8_t ctl, *c;
    while (!done && fuzz_chunk(data, size, &off, 2, &ctl, &c, &n) == 0) {
        if (!c)
            proto_tls.gap(st, &o, &ctx, ctl & 1, n);
        else
            done = proto_tls.data(st, &o, &ctx, ctl & 1, c, n);
        free(c);
    }
    if (!done)
        proto_tls.end(st, &o, &ctx);
    proto_tls.release(st);
    free(st);
    check(&o);
    proto_out_release(&o);
    return 0;
}
