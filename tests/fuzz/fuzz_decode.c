/*
 * fuzz_decode.c — decode_packet(), defrag and decode_ip() on hostile bytes.
 *
 * Input layout:
 *   byte 0, low 4 bits: link type index into kLinkTypes
 *   byte 0, bit 7 clear: the rest is one packet.  Fragments go into one long-lived
 *                        reassembler (expired by a counter clock), as in the pipeline.
 *   byte 0, bit 7 set:   the rest is a sequence of | length 2 (big-endian) | packet |
 *                        records fed to a fresh reassembler, so fragment sequences
 *                        reproduce from a single input.
 * Every verdict's offsets are checked against the captured length; a violation aborts.
 */
#include "decode/decode.h"
#include "decode/defrag.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t kLinkTypes[] = {1, 113, 276, 101, 12, 14, 228, 229, 0, 108, 239, 147};
#define NLT (sizeof(kLinkTypes) / sizeof(kLinkTypes[0]))

static volatile uint32_t sink;

static void check(int v, const struct decoded *d, uint32_t caplen)
{
    if (v < 0 || v >= DEC__COUNT)
        abort();
    if (decode_verdict_name(v)[0] == 0 || decode_verdict_text(v)[0] == 0)
        abort();
    if (v != DEC_OK && v != DEC_FRAGMENT)
        return;
    if (d->ipver != 4 && d->ipver != 6)
        abort();
    if (d->l3_off > d->l4_off || d->l4_off > d->payload_off || d->payload_off > caplen)
        abort();
    if ((uint64_t)d->payload_off + d->payload_len > caplen)
        abort();
    if (d->payload_len > d->payload_wire)
        abort();
    if (d->nvlan > 2)
        abort();
}

static void drop_cb(void *ctx, const struct pkt_ref *refs, size_t nrefs)
{
    (void)ctx;
    for (size_t i = 0; i < nrefs; i++)
        sink += (uint32_t)refs[i].pos;
}

static void use_result(const struct defrag_result *res, const struct decoded *outer)
{
    if (!res->ip || res->ip_len < 20 || res->ip_len > 65535 + 40 || res->nrefs == 0)
        abort();
    uint32_t s = 0;
    for (uint32_t i = 0; i < res->ip_len; i++)
        s += res->ip[i];
    for (size_t i = 0; i < res->nrefs; i++)
        s += res->refs[i].wirelen;
    sink += s;
    /* the reassembled datagram goes through decode_ip() on a heap copy of exact size */
    uint8_t *c = malloc(res->ip_len);
    if (!c)
        return;
    memcpy(c, res->ip, res->ip_len);
    struct decoded d = *outer;
    int v = decode_ip(c, res->ip_len, &d);
    check(v, &d, res->ip_len);
#ifdef FUZZ_DECODE_VERBOSE
    fprintf(stderr, "reassembled %u bytes from %zu frames: %s, proto %u, ports %u > %u\n",
            res->ip_len, res->nrefs, decode_verdict_name(v), d.proto, d.sport, d.dport);
#endif
    if (d.nvlan != outer->nvlan)
        abort();
    free(c);
}

static void one(struct defrag *df, uint32_t lt, const uint8_t *p, uint32_t n, int64_t ts,
                uint64_t pos)
{
    struct decoded d;
    int v = decode_packet(lt, p, n, &d);
    check(v, &d, n);
#ifdef FUZZ_DECODE_VERBOSE
    fprintf(stderr, "linktype %u, %u bytes: %s\n", lt, n, decode_verdict_name(v));
#endif
    if (v != DEC_FRAGMENT || !df)
        return;
    struct pkt_ref ref = {ts, pos, n};
    struct defrag_result res;
    if (defrag_add(df, p, n, &d, &ref, &res) == 1)
        use_result(&res, &d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct defrag *lived;
    static int64_t clock;
    if (size < 1 || size > (1u << 20))
        return 0;
    uint32_t lt = kLinkTypes[(data[0] & 0x0f) % NLT];

    if (!(data[0] & 0x80)) {
        if (!lived) {
            struct defrag_cfg cfg = {1u << 20, 4096, 64};
            lived = defrag_new(&cfg, drop_cb, NULL);
        }
        clock += 16;
        one(lived, lt, data + 1, (uint32_t)(size - 1), clock, (uint64_t)clock);
        if ((clock & 0x3ff) == 0)
            defrag_expire(lived, clock);
        return 0;
    }

    struct defrag_cfg cfg = {1u << 16, 1000, 16};
    struct defrag *df = defrag_new(&cfg, drop_cb, NULL);
    size_t off = 1;
    int64_t ts = 0;
    while (off + 2 <= size) {
        size_t n = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off;
        /* exact-size copy: ASan sees any read past the record */
        uint8_t *c = malloc(n ? n : 1);
        if (!c)
            break;
        memcpy(c, data + off, n);
        ts += 100;
        one(df, lt, c, (uint32_t)n, ts, off);
        free(c);
        off += n;
        if ((ts & 0x1ff) == 0)
            defrag_expire(df, ts);
    }
    if (df) {
        defrag_flush(df);
        defrag_free(df);
    }
    return 0;
}
