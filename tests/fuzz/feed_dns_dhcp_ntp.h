/*
 * feed_dns_dhcp_ntp.h — one way to drive a struct proto_parser from fuzz input, shared by
 * fuzz_proto_dns.c, fuzz_proto_dhcp.c and fuzz_proto_ntp.c.
 *
 * Input layout:
 *   byte 0: bit 0 = TCP (only where the parser takes TCP), bit 1 = announce a gap in
 *           direction 0 after the first record, bits 2..3 = index into the ports given
 *   then records | bit 15 direction, bits 0..14 length (big-endian) | bytes |
 *           each one data call (the probe sees the first); a short last record is cut.
 * Every call gets an exact-size heap copy so ASan sees reads past the bytes handed over.
 */
#ifndef KONSEKI_FUZZ_FEED_DNS_DHCP_NTP_H
#define KONSEKI_FUZZ_FEED_DNS_DHCP_NTP_H

#include "proto/proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void feed_run(const struct proto_parser *p, const uint16_t ports[4], const uint8_t *data,
                     size_t size)
{
    static const uint8_t cli[16] = {192, 0, 2, 1}, srv[16] = {192, 0, 2, 2};
    if (size < 1 || size > (1u << 20))
        return;
    struct proto_ctx c = {0};
    c.ipver = 4;
    c.l4 = (data[0] & 1) && p->l4 != 17 ? 6 : 17;
    c.cli_addr = cli;
    c.srv_addr = srv;
    c.cli_port = 40000;
    c.srv_port = ports[(data[0] >> 2) & 3];
    struct proto_out o;
    proto_out_init(&o, 0);
    void *st = calloc(1, p->state_size ? p->state_size : 1);
    if (!st)
        return;
    size_t off = 1;
    int first = 1, done = 0;
    while (off + 2 <= size && !done) {
        int dir = data[off] >> 7;
        size_t n = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off;
        uint8_t *b = malloc(n ? n : 1);
        if (!b)
            break;
        memcpy(b, data + off, n);
        off += n;
        if (first) {
            int v = p->probe(&c, dir, b, n);
            if (v != PROTO_NO && v != PROTO_PORT && v != PROTO_CONTENT)
                abort();
        }
        c.ts_ns += 1000;
        done = p->data(st, &o, &c, dir, b, n) != 0;
        free(b);
        if (first && (data[0] & 2) && c.l4 == 6 && p->gap)
            p->gap(st, &o, &c, 0, 10);
        first = 0;
        if (o.nrecs > 64) /* records are checked, then dropped, as the pipeline would */
            proto_out_clear(&o);
    }
    if (p->end)
        p->end(st, &o, &c);
    for (size_t i = 0; i < o.nrecs; i++)
        if (!o.recs[i].json || o.recs[i].json[0] != '{')
            abort();
    if (o.depth != 0)
        abort();
    if (p->release)
        p->release(st);
    free(st);
    proto_out_release(&o);
}

#endif
