/*
 * fuzz_dcerpc.c — the DCE-RPC parser on hostile byte streams.
 *
 * Input layout:
 *   byte 0, bit 0 set: a pipe connection (dcerpc_conn_new("svcctl"));
 *           clear: the TCP parser through proto_dcerpc on zeroed state, as the dispatcher does.
 *   then records | ctl 1 | length 2 (big-endian) | bytes |:
 *     ctl bit 0: direction; ctl bit 1: announce a gap in that direction before the bytes.
 * Each record is an exact-size heap copy, so ASan sees reads past it.  Every record the
 * parser writes must be a "dcerpc" or "dcerpc.bind" record with JSON.
 */
#include "proto/dcerpc.h"
#include "proto/proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct proto_ctx x = {.ipver = 4, .l4 = 6, .cli_port = 50000, .srv_port = 135};
    int pipe = data[0] & 1;
    struct dcerpc_conn *c = NULL;
    void *st = NULL;
    if (pipe)
        c = dcerpc_conn_new("svcctl");
    else
        st = calloc(1, proto_dcerpc.state_size);
    if (!c && !st)
        goto out;
    size_t off = 1;
    while (off + 3 <= size) {
        uint8_t ctl = data[off];
        size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (n > size - off)
            n = size - off;
        uint8_t *b = malloc(n ? n : 1);
        if (!b)
            break;
        memcpy(b, data + off, n);
        int dir = ctl & 1;
        if (pipe) {
            dcerpc_conn_data(c, &o, dir, b, n);
        } else {
            (void)proto_dcerpc.probe(&x, dir, b, n);
            if (ctl & 2)
                proto_dcerpc.gap(st, &o, &x, dir, 1000);
            proto_dcerpc.data(st, &o, &x, dir, b, n);
        }
        free(b);
        off += n;
    }
    if (pipe) {
        dcerpc_conn_end(c, &o);
        dcerpc_conn_free(c);
    } else {
        proto_dcerpc.end(st, &o, &x);
        proto_dcerpc.release(st);
        free(st);
    }
    for (size_t i = 0; i < o.nrecs; i++) {
        const char *t = o.recs[i].type;
        if (!o.recs[i].json || (strcmp(t, "dcerpc") != 0 && strcmp(t, "dcerpc.bind") != 0))
            abort();
    }
out:
    proto_out_release(&o);
    return 0;
}
