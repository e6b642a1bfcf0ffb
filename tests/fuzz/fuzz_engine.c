/*
 * fuzz_engine.c — the whole application layer on hostile segments: TCP reassembly, probing of
 * every parser, hand-overs between parsers, records, on one session.
 *
 * Input layout:
 *   byte 0:     transport (even: TCP, odd: UDP)
 *   bytes 1-4:  client port, server port (big-endian), so port-based detection is reached too
 *   then records | ctl 1 | rel 2 (big-endian) | len 1 | len bytes of payload |
 *     ctl bit 0: direction; bits 1-3: TCP flags SYN, FIN, RST; rel: offset of the segment in its
 *     direction's stream (so overlaps, holes and retransmissions are all reachable).
 * Every record JSON must be one well-formed object (checked lightly: balanced braces and quotes).
 */
#include "proto/engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_json(const char *j)
{
    int depth = 0, in_str = 0;
    for (const char *p = j; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = 0;
            continue;
        }
        if (*p == '"')
            in_str = 1;
        else if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']')
            depth--;
        if (depth < 0)
            abort();
    }
    if (depth != 0 || in_str || j[0] != '{')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    struct proto_engine *e = proto_engine_new(NULL);
    if (!e)
        return 0;
    void *slot = NULL;
    struct decoded d;
    memset(&d, 0, sizeof d);
    d.ipver = 4;
    d.proto = (data[0] & 1) ? 17 : 6;
    uint16_t cport = (uint16_t)(data[1] << 8 | data[2]), sport = (uint16_t)(data[3] << 8 | data[4]);
    size_t off = 5;
    while (off + 4 <= size) {
        uint8_t ctl = data[off];
        uint32_t rel = (uint32_t)data[off + 1] << 8 | data[off + 2];
        size_t len = data[off + 3];
        off += 4;
        if (len > size - off)
            len = size - off;
        /* a heap copy of exact size, so reads past the segment are caught */
        uint8_t *seg = malloc(len ? len : 1);
        if (!seg)
            break;
        memcpy(seg, data + off, len);
        off += len;
        int dir = ctl & 1;
        d.src[0] = dir ? 10 : 192;
        d.dst[0] = dir ? 192 : 10;
        d.sport = dir ? sport : cport;
        d.dport = dir ? cport : sport;
        d.tcp_flags = (uint8_t)(TCPF_ACK | ((ctl & 2) ? TCPF_SYN : 0) | ((ctl & 4) ? TCPF_FIN : 0) |
                                ((ctl & 8) ? TCPF_RST : 0));
        d.seq = (dir ? 500000u : 1000u) + rel;
        d.payload_off = 0;
        d.payload_len = d.payload_wire = (uint32_t)len;
        proto_engine_packet(e, &slot, &d, seg, dir, (int64_t)off);
        free(seg);
    }
    struct proto_out *o = proto_engine_records(e, &slot, 1);
    if (o)
        for (size_t i = 0; i < o->nrecs; i++)
            check_json(o->recs[i].json);
    proto_engine_forget(e, &slot);
    proto_engine_free(e);
    return 0;
}
