/* test_proto_rdp.c — RDP X.224 Connection Request / Confirm, hand-built and from the spec. */
#include "proto/rdp.h"
#include "t.h"
#include "t_feed.h"

#include <stdio.h>

/* [MS-RDPBCGR] §4.1.1: Client X.224 Connection Request, cookie "eltons", PROTOCOL_RDP */
static const uint8_t spec_cr[] = {0x03, 0x00, 0x00, 0x2c, 0x27, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  'C',  'o',  'o',  'k',  'i',  'e',  ':',  ' ',  'm',  's',  't',
                                  's',  'h',  'a',  's',  'h',  '=',  'e',  'l',  't',  'o',  'n',
                                  's',  '\r', '\n', 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
/* §4.1.2: Server X.224 Connection Confirm selecting PROTOCOL_RDP */
static const uint8_t spec_cc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
                                  0x00, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};

TEST(proto_rdp_spec_example)
{
    struct t_piece pc[] = {{0, spec_cr, sizeof spec_cr}, {1, spec_cc, sizeof spec_cc}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_rdp, 6, 3389, pc, 2, &o), 2);
    ASSERT_TRUE(o.switch_to == NULL); /* standard RDP security: no TLS follows */
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].json, "{\"rdp\":{\"cookie\":\"eltons\",\"requested_protocols\":\"RDP\","
                                  "\"selected_protocol\":\"RDP\"}}");
    proto_out_release(&o);
}

/* A CR with cookie user and requestedProtocols req (no rdpNegReq when req < 0). */
static size_t make_cr(uint8_t *p, const char *user, long req)
{
    size_t n = 11;
    if (user)
        n += (size_t)sprintf((char *)p + n, "Cookie: mstshash=%s\r\n", user);
    if (req >= 0) {
        const uint8_t neg[8] = {1, 0, 8, 0, (uint8_t)req, (uint8_t)(req >> 8), 0, 0};
        memcpy(p + n, neg, 8);
        n += 8;
    }
    const uint8_t hdr[11] = {3, 0, (uint8_t)(n >> 8), (uint8_t)n, (uint8_t)(n - 5), 0xe0, 0, 0, 0,
                             0, 0};
    memcpy(p, hdr, 11);
    return n;
}

static size_t make_cc(uint8_t *p, uint8_t type, uint32_t v)
{
    const uint8_t cc[19] = {
        3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, type, 0, 8, 0, (uint8_t)v, (uint8_t)(v >> 8),
        0, 0};
    memcpy(p, cc, sizeof cc);
    return sizeof cc;
}

TEST(proto_rdp_tls_switch)
{
    static uint8_t cr[128], cc[32];
    size_t crn = make_cr(cr, "administr", 0x0b), ccn = make_cc(cc, 2, 2);
    /* the CR split in three, the CC whole */
    struct t_piece pc[] = {
        {0, cr, 3}, {0, cr + 3, 10}, {0, cr + 13, crn - 13}, {1, cc, ccn}, {0, cr, 4}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_rdp, 6, 3389, pc, 5, &o), 4);
    ASSERT_TRUE(o.switch_to != NULL);
    ASSERT_STR_EQ(o.switch_to, "tls");
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "rdp.cookie"), "administr");
    ASSERT_EQ(proto_out_count(&o, 0, "rdp.requested_protocols"), 3);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "rdp.requested_protocols", 0), "SSL");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "rdp.requested_protocols", 1), "HYBRID");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "rdp.requested_protocols", 2), "HYBRID_EX");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "rdp.selected_protocol"), "HYBRID");
    proto_out_release(&o);
}

TEST(proto_rdp_failure_and_oddities)
{
    static uint8_t cr[600], cc[32];
    /* no cookie, SSL only; the server says it wants CredSSP */
    size_t crn = make_cr(cr, NULL, 1), ccn = make_cc(cc, 3, 5);
    struct t_piece pc[] = {{0, cr, crn}, {1, cc, ccn}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_rdp, 6, 3389, pc, 2, &o), 2);
    ASSERT_TRUE(o.switch_to == NULL);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].json, "{\"rdp\":{\"requested_protocols\":\"SSL\","
                                  "\"failure_code\":\"HYBRID_REQUIRED_BY_SERVER\"}}");
    proto_out_release(&o);

    /* a CR and then the session ends: the request alone, from end() */
    char user[300];
    memset(user, 'u', sizeof user - 1);
    user[sizeof user - 1] = 0;
    crn = make_cr(cr, user, -1);
    struct t_piece one[] = {{0, cr, crn}};
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_rdp, 6, 3389, one, 1, &o), 0);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_EQ(strlen(proto_out_get(&o, 0, "rdp.cookie")), 255);
    ASSERT_EQ(proto_out_anomaly(&o, "rdp.cookie_too_long"), 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "rdp.requested_protocols"), "RDP");
    ASSERT_TRUE(proto_out_get(&o, 0, "rdp.selected_protocol") == NULL);
    proto_out_release(&o);

    /* not TPKT at all */
    struct t_piece junk[] = {{0, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18}};
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_rdp, 6, 3389, junk, 1, &o), 1);
    ASSERT_EQ(o.nrecs, 0);
    ASSERT_EQ(proto_out_anomaly(&o, "rdp.not_tpkt"), 1);
    proto_out_release(&o);
}

TEST(proto_rdp_probe)
{
    static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    struct proto_ctx c = {4, 6, a, b, 40000, 13389, 0};
    ASSERT_EQ(proto_rdp.probe(&c, 0, spec_cr, sizeof spec_cr), PROTO_CONTENT);
    ASSERT_EQ(proto_rdp.probe(&c, 1, spec_cc, sizeof spec_cc), PROTO_NO);
    ASSERT_EQ(proto_rdp.probe(&c, 0, spec_cr, 8), PROTO_NO);
    c.srv_port = 3389;
    ASSERT_EQ(proto_rdp.probe(&c, 0, (const uint8_t *)"\x16\x03\x01", 3), PROTO_PORT);
}
