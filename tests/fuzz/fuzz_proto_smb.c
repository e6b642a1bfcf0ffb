/*
 * fuzz_proto_smb.c — the SMB parser (and through it NTLM and the DCE-RPC pipe
 * hand-over) on hostile streams.
 *
 * Input layout: a sequence of chunks, each
 *     | control u8 | length u16be | bytes … |
 * control bit 0 = direction (0 client → server, 1 server → client); bit 1 set =
 * announce a gap of `length` bytes in that direction instead (no bytes follow).
 * The first chunk of each direction also goes through the probe.  Every chunk is
 * an exact-size heap copy so ASan sees any read past it.
 */
#include "proto/proto.h"
#include "proto/smb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    void *st = calloc(1, proto_smb.state_size);
    if (!st)
        return 0;
    struct proto_out o;
    proto_out_init(&o, 0);
    static const uint8_t cli[16] = {10, 0, 0, 1}, srv[16] = {10, 0, 0, 2};
    struct proto_ctx c = {4, 6, cli, srv, 49152, 445, 0};
    int probed[2] = {0, 0}, done = 0;
    size_t off = 0;
    while (!done && off + 3 <= size) {
        uint8_t ctl = data[off];
        size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        int dir = ctl & 1;
        if (ctl & 2) {
            proto_smb.gap(st, &o, &c, dir, n);
            continue;
        }
        if (n > size - off)
            n = size - off;
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
            break;
        memcpy(p, data + off, n);
        off += n;
        if (!probed[dir]) {
            int v = proto_smb.probe(&c, dir, p, n);
            if (v < PROTO_NO || v > PROTO_CONTENT)
                abort();
            probed[dir] = 1;
        }
        done = proto_smb.data(st, &o, &c, dir, p, n);
        free(p);
        if (o.nrecs > 64)
            proto_out_clear(&o); /* as the engine does after each batch */
    }
    proto_smb.end(st, &o, &c);
    proto_smb.release(st);
    free(st);
    proto_out_release(&o);
    return 0;
}
