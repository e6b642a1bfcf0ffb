/*
 * test_proto_dhcp.c — the DHCP parser on hand-built messages: DISCOVER / ACK fields, option
 * overload and RFC 3396 concatenation, FQDN forms, broken input, the probe and the cap.
 * (The shared corpus carries no DHCP.)
 */
#include "proto/dhcp.h"
#include "t.h"

#include <stdlib.h>

struct dm {
    uint8_t b[1024];
    size_t n;
};

/* The fixed part: op, Ethernet chaddr 00:0b:82:01:fc:42, xid 0x3d1d, the magic cookie. */
static void fixed(struct dm *m, unsigned op, const uint8_t yiaddr[4])
{
    memset(m, 0, sizeof *m);
    m->b[0] = (uint8_t)op;
    m->b[1] = 1;
    m->b[2] = 6;
    m->b[4] = 0x00;
    m->b[5] = 0x00;
    m->b[6] = 0x3d;
    m->b[7] = 0x1d;
    if (yiaddr)
        memcpy(m->b + 16, yiaddr, 4);
    memcpy(m->b + 28, "\x00\x0b\x82\x01\xfc\x42", 6);
    memcpy(m->b + 236, "\x63\x82\x53\x63", 4);
    m->n = 240;
}

static void opt(struct dm *m, unsigned code, const void *v, size_t n)
{
    m->b[m->n++] = (uint8_t)code;
    m->b[m->n++] = (uint8_t)n;
    memcpy(m->b + m->n, v, n);
    m->n += n;
}

static void end(struct dm *m)
{
    m->b[m->n++] = 255;
}

/* Run messages through one session; returns the sink (caller releases). */
static void run(struct proto_out *o, const struct dm *m, size_t nm)
{
    struct proto_ctx c = {0};
    c.ipver = 4;
    c.l4 = 17;
    c.cli_port = 68;
    c.srv_port = 67;
    proto_out_init(o, 0);
    void *st = calloc(1, proto_dhcp.state_size);
    for (size_t i = 0; i < nm; i++) {
        uint8_t *b = malloc(m[i].n); /* exact size for ASan */
        memcpy(b, m[i].b, m[i].n);
        proto_dhcp.data(st, o, &c, (int)(i & 1), b, m[i].n);
        free(b);
    }
    free(st);
}

TEST(dhcp_discover_fields)
{
    struct dm m;
    fixed(&m, 1, NULL);
    opt(&m, 53, "\x01", 1);
    opt(&m, 61, "\x01\x00\x0b\x82\x01\xfc\x42", 7);
    opt(&m, 50, "\xc0\xa8\x00\x0a", 4);
    opt(&m, 12, "laptop-7", 8);
    opt(&m, 60, "MSFT 5.0", 8);
    opt(&m, 81,
        "\x05\x00\x00\x08laptop-7\x07"
        "example\x03"
        "com\x00",
        24);
    opt(&m, 55, "\x01\x03\x06\x0f\x1f\x21\x2b\x2c\x2e\x2f\x77\x79\xf9\xfc", 14);
    m.b[m.n++] = 0; /* pad */
    end(&m);
    struct proto_out o;
    run(&o, &m, 1);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].type, "dhcp");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.message_type"), "DISCOVER");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.transaction_id"), "15645");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.client_mac"), "00:0b:82:01:fc:42");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.client_id"), "01:00:0b:82:01:fc:42");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.requested_address"), "192.168.0.10");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.hostname"), "laptop-7");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.vendor_class"), "MSFT 5.0");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.fqdn"), "laptop-7.example.com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.parameter_request_list"),
                  "1,3,6,15,31,33,43,44,46,47,119,121,249,252");
    ASSERT_TRUE(proto_out_get(&o, 0, "dhcp.assigned_address") == NULL);
    ASSERT_TRUE(proto_out_get(&o, 0, "dhcp.server_id") == NULL);
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

TEST(dhcp_offer_ack_nak)
{
    struct dm m[3];
    fixed(&m[0], 2, (const uint8_t *)"\xc0\xa8\x00\x0a");
    opt(&m[0], 53, "\x02", 1);
    opt(&m[0], 54, "\xc0\xa8\x00\x01", 4);
    opt(&m[0], 51, "\x00\x01\x51\x80", 4);
    end(&m[0]);
    fixed(&m[1], 2, (const uint8_t *)"\xc0\xa8\x00\x0a");
    opt(&m[1], 53, "\x05", 1);
    opt(&m[1], 54, "\xc0\xa8\x00\x01", 4);
    opt(&m[1], 51, "\xff\xff\xff\xff", 4); /* infinite */
    end(&m[1]);
    fixed(&m[2], 2, (const uint8_t *)"\xc0\xa8\x00\x0a"); /* yiaddr ignored in a NAK */
    opt(&m[2], 53, "\x06", 1);
    end(&m[2]);
    struct proto_out o;
    run(&o, m, 3);
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.message_type"), "OFFER");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.assigned_address"), "192.168.0.10");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.server_id"), "192.168.0.1");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.lease_time"), "86400");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dhcp.message_type"), "ACK");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dhcp.assigned_address"), "192.168.0.10");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dhcp.lease_time"), "4294967295");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dhcp.message_type"), "NAK");
    ASSERT_TRUE(proto_out_get(&o, 2, "dhcp.assigned_address") == NULL);
    proto_out_release(&o);
}

TEST(dhcp_overload_and_concatenation)
{
    struct dm m;
    fixed(&m, 1, NULL);
    opt(&m, 52, "\x03", 1);
    opt(&m, 12, "long-", 5); /* host name in three pieces: options, file, sname */
    end(&m);
    /* file (108..235): message type and the second piece */
    uint8_t *f = m.b + 108;
    memcpy(f, "\x35\x01\x03\x0c\x04host\x00\xff", 11);
    /* sname (44..107): the third piece and the requested address */
    uint8_t *s = m.b + 44;
    memcpy(s, "\x0c\x04name\x32\x04\x0a\x00\x00\x07\xff", 13);
    struct proto_out o;
    run(&o, &m, 1);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.message_type"), "REQUEST");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.hostname"), "long-hostname");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.requested_address"), "10.0.0.7");
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

TEST(dhcp_fqdn_forms)
{
    struct dm m[4];
    fixed(&m[0], 1, NULL);
    opt(&m[0], 53, "\x03", 1);
    opt(&m[0], 81,
        "\x01\x00\x00"
        "pc.example.net",
        17); /* ASCII */
    end(&m[0]);
    fixed(&m[1], 1, NULL);
    opt(&m[1], 53, "\x03", 1);
    opt(&m[1], 81, "\x04\x00\x00\x02pc", 6); /* partial wire name, no root label */
    end(&m[1]);
    fixed(&m[2], 1, NULL);
    opt(&m[2], 53, "\x03", 1);
    opt(&m[2], 81, "\x04\x00\x00\xc0\x00", 5); /* a pointer: refused */
    end(&m[2]);
    fixed(&m[3], 1, NULL);
    opt(&m[3], 53, "\x03", 1);
    opt(&m[3], 81, "\x04\x00\x00", 3); /* flags only */
    end(&m[3]);
    struct proto_out o;
    run(&o, m, 4);
    ASSERT_EQ(o.nrecs, 4);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.fqdn"), "pc.example.net");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dhcp.fqdn"), "pc");
    ASSERT_TRUE(proto_out_get(&o, 2, "dhcp.fqdn") == NULL);
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.bad_fqdn"), 1);
    ASSERT_TRUE(proto_out_get(&o, 3, "dhcp.fqdn") == NULL);
    proto_out_release(&o);
}

TEST(dhcp_broken_input)
{
    struct dm m[5];
    fixed(&m[0], 1, NULL);
    m[0].n = 100; /* shorter than the fixed part: no record */
    fixed(&m[1], 1, NULL);
    m[1].n = 236; /* plain BOOTP, no cookie */
    fixed(&m[2], 1, NULL);
    opt(&m[2], 53, "\x01", 1);
    m[2].b[m[2].n++] = 12;
    m[2].b[m[2].n++] = 40; /* runs past the end */
    m[2].b[m[2].n++] = 'x';
    fixed(&m[3], 1, NULL);
    opt(&m[3], 53, "\x01\x02", 2); /* wrong lengths */
    opt(&m[3], 50, "\x01\x02\x03", 3);
    opt(&m[3], 51, "\x01", 1);
    m[3].b[2] = 200; /* hlen */
    end(&m[3]);
    fixed(&m[4], 1, NULL);
    opt(&m[4], 52, "\x01", 1); /* overload into a file field of garbage */
    memset(m[4].b + 108, 0x33, 128);
    end(&m[4]);
    struct proto_out o;
    run(&o, m, 5);
    ASSERT_EQ(o.nrecs, 4);
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.truncated"), 1);
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.no_magic_cookie"), 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dhcp.client_mac"), "00:0b:82:01:fc:42");
    ASSERT_TRUE(proto_out_get(&o, 0, "dhcp.message_type") == NULL);
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.option_truncated"), 2);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dhcp.message_type"), "DISCOVER");
    ASSERT_TRUE(proto_out_get(&o, 1, "dhcp.hostname") == NULL);
    ASSERT_TRUE(proto_out_get(&o, 2, "dhcp.message_type") == NULL);
    ASSERT_TRUE(proto_out_get(&o, 2, "dhcp.client_mac") == NULL);
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.bad_hlen"), 1);
    /* 53, 50 and 51 in message 3, and 51 found in message 4's garbage file field */
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.bad_option_length"), 4);
    ASSERT_STR_EQ(proto_out_get(&o, 3, "dhcp.transaction_id"), "15645");
    proto_out_release(&o);
}

TEST(dhcp_probe_and_cap)
{
    struct dm m;
    fixed(&m, 1, NULL);
    opt(&m, 53, "\x01", 1);
    end(&m);
    struct proto_ctx c = {0};
    c.l4 = 17;
    c.cli_port = 5000;
    c.srv_port = 6000;
    ASSERT_EQ(proto_dhcp.probe(&c, 0, m.b, m.n), PROTO_CONTENT);
    ASSERT_EQ(proto_dhcp.probe(&c, 0, m.b, 200), PROTO_NO);
    c.srv_port = 67;
    ASSERT_EQ(proto_dhcp.probe(&c, 0, m.b, 200), PROTO_PORT);
    struct dm *many = malloc(1001 * sizeof *many);
    ASSERT_TRUE(many != NULL);
    for (int i = 0; i < 1001; i++)
        many[i] = m;
    struct proto_out o;
    run(&o, many, 1001);
    free(many);
    ASSERT_EQ(o.nrecs, 1000);
    ASSERT_EQ(proto_out_anomaly(&o, "dhcp.too_many_messages"), 1);
    proto_out_release(&o);
}
