/*
 * fuzz_proto_quic.c — the QUIC parser and its exported steps on hostile bytes.
 *
 * Input layout:
 *   byte 0, bit 0 clear: the rest is a sequence of | dir:1 len:15 (big-endian) | datagram |
 *                        records, fed as they are to one session (dir 1 = server);
 *                        each datagram also goes through quic_parse_long and
 *                        quic_unprotect with the RFC 9001 sample keys.
 *   byte 0, bit 0 set:   the rest is a sequence of | len 2 (big-endian) | frames | records;
 *                        each is sealed by quic_initial_protect into a client
 *                        Initial (v2 when bit 1 is set) with the RFC DCID, so the
 *                        fuzzer reaches frame parsing and CRYPTO reassembly.
 * Every record the parser writes must be a "quic" record with a version.
 */
#include "proto/proto.h"
#include "proto/quic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t kDcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void feed(void *st, struct proto_out *o, const struct proto_ctx *c, int dir,
                 const uint8_t *d, size_t n)
{
    /* exact-size copy: ASan sees any read past the datagram */
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        return;
    if (n)
        memcpy(p, d, n);
    (void)proto_quic.probe(c, dir, p, n);
    if (dir == PROTO_DIR_CLIENT) {
        struct quic_long h;
        struct quic_keys k;
        if (quic_parse_long(p, n, &h) == 0 && h.len <= n &&
            quic_initial_keys(h.version, kDcid, sizeof kDcid, 0, &k) == 0) {
            uint8_t *out = malloc(h.len ? h.len : 1);
            struct quic_plain pl;
            if (out && quic_unprotect(p, &h, &k, -1, &pl, out) == 0 && pl.len > h.len)
                abort();
            free(out);
        }
    }
    (void)proto_quic.data(st, o, c, dir, p, n);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    static const uint8_t a[16] = {192, 0, 2, 1}, b[16] = {192, 0, 2, 2};
    struct proto_ctx c = {4, 17, a, b, 50000, 443, 0};
    struct proto_out o;
    proto_out_init(&o, 0);
    void *st = calloc(1, proto_quic.state_size);
    if (!st)
        return 0;
    uint8_t mode = data[0];
    size_t off = 1;
    struct quic_keys k;
    uint32_t version = mode & 2 ? QUIC_VERSION_2 : QUIC_VERSION_1;
    int have_keys = (mode & 1) && quic_initial_keys(version, kDcid, sizeof kDcid, 0, &k) == 0;
    uint64_t pn = 0;
    while (off + 2 <= size) {
        size_t hdr = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        int dir = mode & 1 ? PROTO_DIR_CLIENT : (int)(hdr >> 15);
        size_t n = mode & 1 ? hdr : hdr & 0x7fff;
        if (n > size - off)
            n = size - off;
        if (!(mode & 1)) {
            feed(st, &o, &c, dir, data + off, n);
        } else if (have_keys) {
            size_t cap = n + 128;
            uint8_t *pkt = malloc(cap);
            unsigned pn_len = 1 + (unsigned)(pn % 4);
            long len = pkt ? quic_initial_protect(version, &k, kDcid, sizeof kDcid, NULL, 0, pn,
                                                  pn_len, data + off, n, pkt, cap)
                           : -1;
            pn++;
            if (len > 0)
                feed(st, &o, &c, dir, pkt, (size_t)len);
            free(pkt);
        }
        off += n;
    }
    proto_quic.end(st, &o, &c);
    for (size_t i = 0; i < o.nrecs; i++)
        if (strcmp(o.recs[i].type, "quic") != 0 || !proto_out_get(&o, i, "quic.version"))
            abort();
    proto_quic.release(st);
    free(st);
    proto_out_release(&o);
    return 0;
}
