/* test_proto_krb.c — Kerberos: the kerbrute password spray capture and hand-built DER. */
#include "proto/krb.h"
#include "t.h"
#include "t_feed.h"

#define SPRAY "../attacks/PCAP-ATTACK/CA_kerbrute_passwordspray_kerberos_AS-REQ.pcapng"

static int count_value(const struct proto_out *o, const char *path, const char *value)
{
    int n = 0;
    for (size_t i = 0; i < o->nrecs; i++)
        for (size_t k = 0; k < proto_out_count(o, i, path); k++)
            n += strcmp(proto_out_get_nth(o, i, path, k), value) == 0;
    return n;
}

TEST(proto_krb_attack_password_spray)
{
    struct proto_out o;
    struct t_feed res;
    proto_out_init(&o, 0);
    if (t_feed_run(&proto_kerberos, SPRAY, 88, &o, &res) < 0) {
        proto_out_release(&o);
        t_skip("attack capture absent");
        return;
    }
    /* attacks/MANIFEST.md 6e (tshark): 14 AS-REQs for 10 user names, realm THREEBEESCO.COM;
     * 7x KDC_ERR_C_PRINCIPAL_UNKNOWN, 3x PREAUTH_REQUIRED, 2x PREAUTH_FAILED,
     * 1x RESPONSE_TOO_BIG, and one AS-REP for "normal" (retried over TCP). */
    ASSERT_EQ(res.sessions, 14); /* 13 over UDP, 1 over TCP */
    ASSERT_EQ(res.probe[0], PROTO_CONTENT);
    ASSERT_EQ(o.nrecs, 14);
    ASSERT_EQ(count_value(&o, "krb.msg_type", "AS-REQ"), 14);
    ASSERT_EQ(count_value(&o, "krb.msg_type", "KRB-ERROR"), 13);
    ASSERT_EQ(count_value(&o, "krb.msg_type", "AS-REP"), 1);
    ASSERT_EQ(count_value(&o, "krb.error_code", "KDC_ERR_C_PRINCIPAL_UNKNOWN"), 7);
    ASSERT_EQ(count_value(&o, "krb.error_code", "KDC_ERR_PREAUTH_REQUIRED"), 3);
    ASSERT_EQ(count_value(&o, "krb.error_code", "KDC_ERR_PREAUTH_FAILED"), 2);
    ASSERT_EQ(count_value(&o, "krb.error_code", "KRB_ERR_RESPONSE_TOO_BIG"), 1);
    ASSERT_EQ(count_value(&o, "krb.realm", "THREEBEESCO.COM"), 14);
    ASSERT_EQ(count_value(&o, "krb.sname", "krbtgt/THREEBEESCO.COM"), 14);
    /* the user names, as the MANIFEST lists them */
    ASSERT_EQ(count_value(&o, "krb.cname", "normal"), 3);
    ASSERT_EQ(count_value(&o, "krb.cname", "administrator"), 2);
    ASSERT_EQ(count_value(&o, "krb.cname", "backdoor"), 2);
    static const char *once[] = {"HD01", "HD02", "admin", "admin02", "bob", "svc-01", "svc-02"};
    for (size_t i = 0; i < sizeof once / sizeof once[0]; i++)
        ASSERT_EQ(count_value(&o, "krb.cname", once[i]), 1);
    /* tshark padata-type 2 (PA-ENC-TIMESTAMP) in frames 25, 26, 29 and 31 */
    ASSERT_EQ(count_value(&o, "krb.preauth", "true"), 4);
    /* the pairs: bob's name is unknown; the successful "normal" over TCP */
    long i = -1;
    for (size_t k = 0; k < o.nrecs && i < 0; k++)
        if (strcmp(proto_out_get(&o, k, "krb.cname"), "bob") == 0)
            i = (long)k;
    ASSERT_TRUE(i >= 0);
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)i, "krb.error_code"), "KDC_ERR_C_PRINCIPAL_UNKNOWN");
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)i, "krb.success"), "false");
    i = -1;
    for (size_t k = 0; k < o.nrecs && i < 0; k++)
        if (proto_out_get(&o, k, "krb.ticket_etype"))
            i = (long)k;
    ASSERT_TRUE(i >= 0);
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)i, "krb.cname"), "normal");
    ASSERT_STR_EQ(proto_out_get_nth(&o, (size_t)i, "krb.msg_type", 1), "AS-REP");
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)i, "krb.success"), "true");
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)i, "krb.preauth"), "true");
    /* tshark frame 33: ticket enc-part etype 18 */
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)i, "krb.ticket_etype"), "aes256-cts-hmac-sha1-96");
    ASSERT_EQ(proto_out_anomaly(&o, "krb.malformed"), 0);
    proto_out_release(&o);
}

/* ---------------------------------------------------------------- hand-built DER */

/* [tag] { v } */
static size_t ctx(uint8_t *o, int tag, const void *v, size_t n)
{
    return t_tlv(o, (uint8_t)(0xa0 | tag), v, n);
}

static size_t principal(uint8_t *o, int type, const char *a, const char *b)
{
    uint8_t names[256], seq[320], t[8];
    size_t n = t_tlv(names, 0x1b, a, strlen(a));
    if (b)
        n += t_tlv(names + n, 0x1b, b, strlen(b));
    uint8_t list[300];
    size_t ln = t_tlv(list, 0x30, names, n);
    t[0] = 2, t[1] = 1, t[2] = (uint8_t)type;
    size_t s = ctx(seq, 0, t, 3);
    s += ctx(seq + s, 1, list, ln);
    return t_tlv(o, 0x30, seq, s);
}

static size_t as_req(uint8_t *o, int with_ts)
{
    static const uint8_t pvno[] = {2, 1, 5}, type[] = {2, 1, 10};
    static const uint8_t opts[] = {3, 5, 0, 0x40, 0x81, 0, 0x10};
    static const uint8_t etypes[] = {0x30, 9, 2, 1, 18, 2, 1, 23, 2, 1, 0x80};
    uint8_t body[400], b[400], tmp[200], seq[600], pa[64];
    size_t n = ctx(body, 0, opts, sizeof opts);
    size_t k = principal(tmp, 1, "alice", NULL);
    n += ctx(body + n, 1, tmp, k);
    k = t_tlv(tmp, 0x1b, "EXAMPLE.COM", 11);
    n += ctx(body + n, 2, tmp, k);
    k = principal(tmp, 2, "krbtgt", "EXAMPLE.COM");
    n += ctx(body + n, 3, tmp, k);
    n += ctx(body + n, 8, etypes, sizeof etypes);
    size_t bn = t_tlv(b, 0x30, body, n);
    size_t s = ctx(seq, 1, pvno, 3);
    s += ctx(seq + s, 2, type, 3);
    if (with_ts) { /* padata: SEQUENCE { SEQUENCE { [1] 2, [2] OCTET STRING } } */
        static const uint8_t one[] = {0x30, 10, 0xa1, 3, 2, 1, 2, 0xa2, 3, 4, 1, 0};
        size_t pn = t_tlv(pa, 0x30, one, sizeof one);
        s += ctx(seq + s, 3, pa, pn);
    }
    s += ctx(seq + s, 4, b, bn);
    size_t sn = t_tlv(tmp, 0x30, seq, s);
    return t_tlv(o, 0x6a, tmp, sn);
}

static size_t krb_error(uint8_t *o, int code)
{
    static const uint8_t pvno[] = {2, 1, 5}, type[] = {2, 1, 30}, z[] = {2, 1, 0};
    static const char stime[] = "\x18\x0f"
                                "20200722191600Z";
    uint8_t seq[300], tmp[300], ec[3] = {2, 1, (uint8_t)code};
    size_t s = ctx(seq, 0, pvno, 3);
    s += ctx(seq + s, 1, type, 3);
    s += ctx(seq + s, 4, stime, 17);
    s += ctx(seq + s, 5, z, 3);
    s += ctx(seq + s, 6, ec, 3);
    size_t k = t_tlv(tmp, 0x1b, "EXAMPLE.COM", 11);
    s += ctx(seq + s, 9, tmp, k);
    k = principal(tmp, 2, "krbtgt", "EXAMPLE.COM");
    s += ctx(seq + s, 10, tmp, k);
    size_t sn = t_tlv(tmp, 0x30, seq, s);
    return t_tlv(o, 0x7e, tmp, sn);
}

TEST(proto_krb_handbuilt_udp_pair)
{
    static uint8_t q[512], r[512];
    size_t qn = as_req(q, 0), rn = krb_error(r, 25);
    static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    struct proto_ctx c = {4, 17, a, b, 40000, 88, 0};
    ASSERT_EQ(proto_kerberos.probe(&c, 0, q, qn), PROTO_CONTENT);
    ASSERT_EQ(proto_kerberos.probe(&c, 1, r, rn), PROTO_CONTENT);
    c.srv_port = 8888;
    ASSERT_EQ(proto_kerberos.probe(&c, 0, (const uint8_t *)"hello", 5), PROTO_NO);
    struct t_piece pc[] = {{0, q, qn}, {1, r, rn}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_kerberos, 17, 88, pc, 2, &o), 0);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].json,
                  "{\"krb\":{\"msg_type\":[\"AS-REQ\",\"KRB-ERROR\"],\"cname\":\"alice\","
                  "\"realm\":\"EXAMPLE.COM\",\"sname\":\"krbtgt/EXAMPLE.COM\","
                  "\"etypes\":[\"aes256-cts-hmac-sha1-96\",\"rc4-hmac\",\"rc4-hmac-old-exp\"],"
                  "\"preauth\":false,\"error_code\":\"KDC_ERR_PREAUTH_REQUIRED\","
                  "\"success\":false}}");
    proto_out_release(&o);

    /* an error on its own (no request seen); an unknown code stays a number */
    struct t_piece one[] = {{1, r, krb_error(r, 99)}};
    proto_out_init(&o, 0);
    t_feed_pieces(&proto_kerberos, 17, 88, one, 1, &o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "krb.msg_type"), "KRB-ERROR");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "krb.error_code"), "99");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "krb.sname"), "krbtgt/EXAMPLE.COM");
    proto_out_release(&o);
}

TEST(proto_krb_handbuilt_tcp_framing)
{
    static uint8_t s[1024];
    /* two requests in one segment, then both replies a byte at a time */
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        size_t m = as_req(s + n + 4, i);
        s[n] = 0, s[n + 1] = 0, s[n + 2] = (uint8_t)(m >> 8), s[n + 3] = (uint8_t)m;
        n += 4 + m;
    }
    static uint8_t r[512];
    size_t rn = 0;
    for (int i = 0; i < 2; i++) {
        size_t m = krb_error(r + rn + 4, i ? 24 : 6);
        r[rn] = 0, r[rn + 1] = 0, r[rn + 2] = (uint8_t)(m >> 8), r[rn + 3] = (uint8_t)m;
        rn += 4 + m;
    }
    struct t_piece pc[600];
    size_t np = 0;
    pc[np++] = (struct t_piece){0, s, n};
    for (size_t i = 0; i < rn; i++)
        pc[np++] = (struct t_piece){1, r + i, 1};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_kerberos, 6, 88, pc, np, &o), 0);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "krb.error_code"), "KDC_ERR_C_PRINCIPAL_UNKNOWN");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "krb.preauth"), "false");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "krb.error_code"), "KDC_ERR_PREAUTH_FAILED");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "krb.preauth"), "true");
    proto_out_release(&o);

    /* a reserved high bit in the record mark: that side is given up; a request left alone
     * is written at the end */
    static const uint8_t bad[] = {0x80, 0, 0, 4, 1, 2, 3, 4};
    struct t_piece pc2[] = {{0, s, n}, {1, bad, sizeof bad}};
    proto_out_init(&o, 0);
    t_feed_pieces(&proto_kerberos, 6, 88, pc2, 2, &o);
    ASSERT_EQ(proto_out_anomaly(&o, "krb.bad_record_mark"), 1);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "krb.msg_type"), "AS-REQ");
    ASSERT_TRUE(proto_out_get(&o, 1, "krb.success") == NULL);
    proto_out_release(&o);
}

TEST(proto_krb_malformed)
{
    static uint8_t q[512];
    size_t qn = as_req(q, 1);
    struct proto_out o;
    proto_out_init(&o, 0);
    /* every truncation of a valid AS-REQ is refused without a record */
    for (size_t cut = 0; cut < qn; cut++) {
        struct t_piece pc[] = {{0, q, cut}};
        t_feed_pieces(&proto_kerberos, 17, 88, pc, 1, &o);
    }
    ASSERT_EQ(o.nrecs, 0);
    ASSERT_EQ(proto_out_anomaly(&o, "krb.malformed"), qn); /* the empty one too */
    /* indefinite length */
    static const uint8_t ind[] = {0x6a, 0x80, 0x30, 0x80, 0, 0, 0, 0};
    struct t_piece pc[] = {{0, ind, sizeof ind}};
    t_feed_pieces(&proto_kerberos, 17, 88, pc, 1, &o);
    ASSERT_EQ(o.nrecs, 0);
    ASSERT_STR_EQ(krb_etype_name(17), "aes128-cts-hmac-sha1-96");
    ASSERT_TRUE(krb_error_name(30) == NULL);
    ASSERT_STR_EQ(krb_error_name(68), "KDC_ERR_WRONG_REALM");
    proto_out_release(&o);
}
