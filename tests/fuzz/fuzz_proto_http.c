/*
 * fuzz_proto_http.c — the HTTP/1.x parser on hostile byte streams.
 *
 * Input: a sequence of records
 *     | ctl 1 | len 2 (big-endian) | len bytes |
 *   ctl bit 0: direction (0 client → server, 1 server → client)
 *   ctl bit 1: a gap of len bytes in that direction instead of data (no bytes follow)
 *   ctl bit 2: probe the chunk first, as the dispatcher would for a new session
 * A record cut short by the end of the input takes what is left.  The session ends
 * after the last record (->end, ->release).  Each chunk is an exact-size heap copy,
 * so ASan sees a read one past it.
 */
#include "proto/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    struct proto_out o;
    proto_out_init(&o, 0);
    static const uint8_t cli[16] = {10, 0, 0, 1}, srv[16] = {10, 0, 0, 2};
    struct proto_ctx c = {4, 6, cli, srv, 40000, 80, 0};
    void *st = calloc(1, proto_http.state_size);
    if (!st)
        return 0;
    int done = 0;
    size_t off = 0;
    while (off < size && !done) {
        uint8_t ctl = data[off++];
        size_t n = 0;
        if (off + 2 <= size)
            n = (size_t)data[off] << 8 | data[off + 1];
        off += off + 2 <= size ? 2 : size - off;
        int dir = ctl & 1;
        if (ctl & 2) {
            proto_http.gap(st, &o, &c, dir, n);
            continue;
        }
        if (n > size - off)
            n = size - off;
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
            break;
        memcpy(p, data + off, n);
        off += n;
        if (ctl & 4) {
            int v = proto_http.probe(&c, dir, p, n);
            if (v != PROTO_NO && v != PROTO_PORT && v != PROTO_CONTENT)
                abort();
        }
        c.ts_ns += 1000;
        done = proto_http.data(st, &o, &c, dir, p, n);
        free(p);
        if (o.switch_to) {
            if (strcmp(o.switch_to, "tls") != 0)
                abort();
            done = 1; /* the dispatcher hands the session over */
        }
        if (o.nrecs > 256)
            proto_out_clear(&o);
    }
    proto_http.end(st, &o, &c);
    for (size_t i = 0; i < o.nrecs; i++)
        if (!o.recs[i].json || strcmp(o.recs[i].type, "http") != 0)
            abort();
    proto_http.release(st);
    free(st);
    proto_out_release(&o);
    return 0;
}
