/*
 * fuzz_flow.c — drives the flow table with arbitrary packet sequences under tiny limits
 * (flows, position caps, timeouts) and checks every emitted record: position list
 * within its cap and matching the packet count, a state, a Community ID, a valid end.
 */
#include "core/pos.h"
#include "flow/flow.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static size_t cap;
static void em(void *ctx, const struct session_rec *s)
{
    (void)ctx;
    if (s->pos_len > cap) {
        fprintf(stderr, "pos_len %zu cap %zu piece %u end %d\n", s->pos_len, cap, s->piece, s->end);
        abort();
    }
    struct pos_iter it;
    pos_iter_init(&it, s->pos, s->pos_len);
    uint64_t p, n = 0;
    int rc;
    while ((rc = pos_next(&it, &p)) == 1)
        n++;
    if (rc < 0)
        abort();
    if (n != s->pkts[0] + s->pkts[1])
        abort();
    if (!s->state || strlen(s->history) > FLOW_HISTORY_MAX || strlen(s->community_id) != 30)
        abort();
    if (s->end < 0 || s->end >= FLOW_END__COUNT)
        abort();
    if ((s->end == FLOW_END_ACTIVE) == (s->last_piece != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct flow_cfg cfg = {.max_flows = 1 + data[0] % 16,
                           .max_pos_bytes = 16 + data[1] % 64,
                           .tcp_idle_ns = 1000 + data[2] * 10,
                           .udp_idle_ns = 500,
                           .other_idle_ns = 700,
                           .tcp_closed_ns = 50 + data[3],
                           .active_ns = data[3] & 1 ? -1 : 3000};
    cap = cfg.max_pos_bytes < 16 ? 16 : cfg.max_pos_bytes;
    struct flow_table *ft = flow_table_new(&cfg, 0, em, NULL);
    if (!ft)
        return 0;
    int64_t ts = 0;
    uint64_t pos = 0;
    for (size_t i = 4; i + 12 <= size; i += 12) {
        const uint8_t *b = data + i;
        uint8_t op = b[0] % 16;
        if (op == 14) {
            flow_table_expire(ft, ts);
            continue;
        }
        if (op == 15) {
            flow_table_flush(ft);
            continue;
        }
        struct decoded d;
        memset(&d, 0, sizeof d);
        d.ipver = b[1] & 1 ? 6 : 4;
        static const uint8_t protos[] = {6, 6, 6, 17, 1, 58, 132, 47};
        d.proto = protos[b[1] >> 5];
        d.src[d.ipver == 6 ? 15 : 3] = b[2] & 3;
        d.dst[d.ipver == 6 ? 15 : 3] = (b[2] >> 2) & 3;
        d.sport = (uint16_t)((b[2] >> 4) & 3) * 1000;
        d.dport = (uint16_t)((b[2] >> 6) & 3) * 1000;
        d.icmp_type = b[3];
        d.icmp_code = b[4];
        d.tcp_flags = b[5];
        d.seq = (uint32_t)b[6] << (b[7] & 31);
        d.ack = (uint32_t)b[7] * 77u;
        d.payload_wire = b[8] * 7u;
        d.l3_off = 14;
        d.l4_off = 14 + (b[9] & 63);
        d.l3_len = b[10] * 5u;
        d.nvlan = b[11] % 4;
        d.vlan[0] = b[11] >> 4;
        d.vlan[1] = 3;
        ts += (int64_t)(b[3] % 4 == 0 ? -(int64_t)b[4] : b[4]);
        struct pkt_ref refs[3];
        size_t n = 1 + b[9] % 3;
        for (size_t j = 0; j < n; j++) {
            pos += (b[10] & 1) ? (uint64_t)b[8] << 30 : b[8];
            refs[j] = (struct pkt_ref){ts - (int64_t)(n - 1 - j), pos, 60u + b[10]};
        }
        if (flow_table_packet(ft, &d, refs, n, NULL) != 0)
            abort();
        const struct flow_stats *st = flow_table_stats(ft);
        if (st->created != st->emitted + st->live || st->live > cfg.max_flows)
            abort();
    }
    flow_table_flush(ft);
    const struct flow_stats *st = flow_table_stats(ft);
    if (st->live || st->created != st->emitted)
        abort();
    flow_table_free(ft);
    return 0;
}
