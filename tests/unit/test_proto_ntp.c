/*
 * test_proto_ntp.c — the NTP parser on hand-built datagrams: client/server fields, reference
 * IDs, timestamps (both eras), control and private (monlist) modes, the 100-record cap.
 * (The shared corpus carries no NTP.)
 */
#include "proto/ntp.h"
#include "t.h"

#include <stdlib.h>

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A 48-byte mode 1..5 packet. */
static void pkt(uint8_t b[48], unsigned vn, unsigned mode, unsigned stratum, const char *refid)
{
    memset(b, 0, 48);
    b[0] = (uint8_t)(vn << 3 | mode);
    b[1] = (uint8_t)stratum;
    b[2] = 6;
    b[3] = 0xe9; /* 2^-23 s */
    memcpy(b + 12, refid, 4);
}

struct run {
    struct proto_out o;
    struct proto_ctx c;
    void *st;
};

static void r_open(struct run *r)
{
    proto_out_init(&r->o, 0);
    memset(&r->c, 0, sizeof r->c);
    r->c.ipver = 4;
    r->c.l4 = 17;
    r->c.cli_port = 50123;
    r->c.srv_port = 123;
    r->st = calloc(1, proto_ntp.state_size);
}

static void r_feed(struct run *r, int dir, const uint8_t *d, size_t n)
{
    uint8_t *b = malloc(n ? n : 1); /* exact size for ASan */
    memcpy(b, d, n);
    proto_ntp.data(r->st, &r->o, &r->c, dir, b, n);
    free(b);
}

static void r_end(struct run *r)
{
    proto_ntp.end(r->st, &r->o, &r->c);
    free(r->st);
}

TEST(ntp_client_server)
{
    struct run r;
    r_open(&r);
    uint8_t b[48];
    pkt(b, 4, 3, 0, "\0\0\0\0");
    be32(b + 40, 0xe93c7f00); /* transmit 2024-01-01T00:00:00.5Z */
    be32(b + 44, 0x80000000);
    r_feed(&r, 0, b, 48);
    pkt(b, 4, 4, 2, "\xc0\xa8\x01\x01");
    be32(b + 16, 0xe93c7f00 - 64); /* reference */
    be32(b + 40, 0x00000010);      /* transmit in era 1 */
    be32(b + 44, 0x40000000);
    r_feed(&r, 1, b, 48);
    r_end(&r);
    ASSERT_EQ(r.o.nrecs, 2);
    ASSERT_STR_EQ(r.o.recs[0].type, "ntp");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.version"), "4");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.mode"), "3");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.mode_name"), "client");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.stratum"), "0");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.poll"), "6");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.precision"), "-23");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.reference_id"), "");
    ASSERT_TRUE(proto_out_get(&r.o, 0, "ntp.reference_time") == NULL);
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.transmit_time"), "2024-01-01T00:00:00.5Z");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.mode_name"), "server");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.stratum"), "2");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.reference_id"), "192.168.1.1");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.reference_time"), "2023-12-31T23:58:56Z");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.transmit_time"), "2036-02-07T06:28:32.25Z");
    ASSERT_EQ(r.o.nanom, 0);
    proto_out_release(&r.o);
}

TEST(ntp_reference_ids_and_short)
{
    struct run r;
    r_open(&r);
    uint8_t b[48];
    pkt(b, 3, 4, 1, "GPS\0");
    r_feed(&r, 1, b, 48);
    pkt(b, 4, 4, 0, "RATE"); /* kiss-o'-death */
    r_feed(&r, 1, b, 48);
    pkt(b, 4, 4, 16, "INIT");
    r_feed(&r, 1, b, 48);
    pkt(b, 4, 5, 3, "\x0a\x00\x00\x01");
    r_feed(&r, 1, b, 40);                /* cut */
    pkt(b, 0, 3, 3, "\x0a\x00\x00\x01"); /* version 0 */
    r_feed(&r, 0, b, 48);
    r_feed(&r, 0, b, 0);
    r_end(&r);
    ASSERT_EQ(r.o.nrecs, 5);
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.reference_id"), "GPS");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.version"), "3");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.reference_id"), "RATE");
    ASSERT_STR_EQ(proto_out_get(&r.o, 2, "ntp.reference_id"), "INIT");
    ASSERT_STR_EQ(proto_out_get(&r.o, 3, "ntp.mode_name"), "broadcast");
    ASSERT_TRUE(proto_out_get(&r.o, 3, "ntp.stratum") == NULL);
    ASSERT_EQ(proto_out_anomaly(&r.o, "ntp.truncated"), 2);
    ASSERT_EQ(proto_out_anomaly(&r.o, "ntp.bad_version"), 1);
    proto_out_release(&r.o);
}

TEST(ntp_control_private_monlist_and_cap)
{
    struct run r;
    r_open(&r);
    /* mode 6 READVAR (opcode 2) request, sequence 7 */
    static const uint8_t ctl[12] = {0x16, 0x02, 0x00, 0x07, 0, 0, 0, 0, 0, 0, 0, 0};
    r_feed(&r, 0, ctl, sizeof ctl);
    /* mode 7 MON_GETLIST_1 request, implementation 3 (XNTPD) */
    static const uint8_t mon[8] = {0x17, 0x00, 0x03, 0x2a, 0x00, 0x00, 0x00, 0x00};
    r_feed(&r, 0, mon, sizeof mon);
    /* and its responses: 200 of them, 6 items each */
    uint8_t resp[8] = {0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48};
    for (int i = 0; i < 200; i++)
        r_feed(&r, 1, resp, sizeof resp);
    r_end(&r);
    ASSERT_EQ(r.o.nrecs, 101);
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.mode"), "6");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.mode_name"), "control");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.control.opcode"), "2");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.control.response"), "false");
    ASSERT_STR_EQ(proto_out_get(&r.o, 0, "ntp.control.sequence"), "7");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.mode_name"), "private");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.version"), "2");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.private.request_code"), "42");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.private.request_name"), "MON_GETLIST_1");
    ASSERT_STR_EQ(proto_out_get(&r.o, 1, "ntp.private.implementation"), "3");
    ASSERT_STR_EQ(proto_out_get(&r.o, 2, "ntp.private.response"), "true");
    ASSERT_STR_EQ(proto_out_get(&r.o, 2, "ntp.private.items"), "6");
    ASSERT_STR_EQ(proto_out_get(&r.o, 100, "ntp.records_skipped"), "102");
    ASSERT_EQ(proto_out_count(&r.o, 100, "ntp.mode"), 0);
    ASSERT_EQ(proto_out_anomaly(&r.o, "ntp.mode_control"), 1);
    ASSERT_EQ(proto_out_anomaly(&r.o, "ntp.mode_private"), 201);
    ASSERT_EQ(proto_out_anomaly(&r.o, "ntp.monlist"), 201);
    proto_out_release(&r.o);
}

TEST(ntp_probe)
{
    struct proto_ctx c = {0};
    c.l4 = 17;
    c.cli_port = 40000;
    c.srv_port = 123;
    uint8_t b[48];
    pkt(b, 4, 3, 0, "\0\0\0\0");
    ASSERT_EQ(proto_ntp.probe(&c, 0, b, 48), PROTO_CONTENT);
    ASSERT_EQ(proto_ntp.probe(&c, 0, b, 20), PROTO_PORT);
    static const uint8_t mon[8] = {0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0};
    ASSERT_EQ(proto_ntp.probe(&c, 0, mon, 8), PROTO_CONTENT);
    c.srv_port = 124;
    ASSERT_EQ(proto_ntp.probe(&c, 0, b, 48), PROTO_NO);
}
