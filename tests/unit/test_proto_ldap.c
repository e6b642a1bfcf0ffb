/* test_proto_ldap.c — LDAP: the zeek modify-request capture and hand-built messages. */
#include "proto/ldap.h"
#include "t.h"
#include "t_feed.h"

#include <stdlib.h>

TEST(proto_ldap_corpus_sasl_bind)
{
    struct proto_out o;
    struct t_feed res;
    proto_out_init(&o, 0);
    if (t_feed_run(&proto_ldap, "zeek/testing/btest/Traces/ldap/modify-request.pcapng", 389, &o,
                   &res) < 0) {
        proto_out_release(&o);
        t_skip("corpus absent");
        return;
    }
    /*
     * zeek ldap.log row 1: message_id=7 version=3 opcode=bind SASL result=success
     * argument=GSS-SPNEGO.  Zeek also logs message 8 (modify, success) and 9 (unbind): they
     * travel inside the SASL (GSS-API) security layer negotiated by that bind, where this
     * parser stops by design.  Message 5 is the rootDSE search that zeek writes to
     * ldap_search.log (not in the MANIFEST); tshark: searchRequest(5) baseObject, one
     * searchResEntry, searchResDone success.
     */
    ASSERT_EQ(res.sessions, 1);
    ASSERT_EQ(res.probe[0], PROTO_CONTENT);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.message_id"), "5");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.operation"), "searchRequest");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.base_dn"), "");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.scope"), "baseObject");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.filter"), "(objectclass=*)");
    ASSERT_EQ(proto_out_count(&o, 0, "ldap.search.attributes"), 15);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.entries"), "1");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.result_code"), "success");
    ASSERT_STR_EQ(o.recs[1].json,
                  "{\"ldap\":{\"message_id\":7,\"operation\":\"bindRequest\",\"version\":3,"
                  "\"bind\":{\"name\":\"\",\"auth\":\"sasl\",\"sasl_mechanism\":\"GSS-SPNEGO\"},"
                  "\"result_code\":\"success\"}}");
    ASSERT_EQ(o.nanom, 0); /* the wrapped PDUs end the parse quietly */
    proto_out_release(&o);
}

/* ---------------------------------------------------------------- hand-built */

/* LDAPMessage { messageID id, [op] content } */
static size_t msg(uint8_t *o, int id, uint8_t op, const void *c, size_t n)
{
    uint8_t body[2048];
    uint8_t idb[3] = {2, 1, (uint8_t)id};
    memcpy(body, idb, 3);
    size_t b = 3 + t_tlv(body + 3, op, c, n);
    return t_tlv(o, 0x30, body, b);
}

static size_t cat(uint8_t *o, const char *const *parts, const size_t *lens, int n)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        memcpy(o + k, parts[i], lens[i]);
        k += lens[i];
    }
    return k;
}

TEST(proto_ldap_simple_bind_never_keeps_the_password)
{
    static const char req[] = "\x02\x01\x03"
                              "\x04\x1a"
                              "cn=admin,dc=example,dc=com"
                              "\x80\x06"
                              "s3cr3t";
    static const char diag[] = "80090308: LdapErr: DSID-0C09044E, comment: "
                               "AcceptSecurityContext error, data 52e, v4563";
    uint8_t resp[200], c[256], s[256];
    size_t rn = 0;
    memcpy(resp, "\x0a\x01\x31\x04\x00", 5); /* invalidCredentials (49), matchedDN "" */
    rn = 5 + t_tlv(resp + 5, 0x04, diag, sizeof diag - 1);
    size_t cn = msg(c, 1, 0x60, req, sizeof req - 1), sn = msg(s, 1, 0x61, resp, rn);
    struct t_piece pc[] = {{0, c, cn}, {1, s, sn}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_ldap, 6, 389, pc, 2, &o), 0);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].json,
                  "{\"ldap\":{\"message_id\":1,\"operation\":\"bindRequest\",\"version\":3,"
                  "\"bind\":{\"name\":\"cn=admin,dc=example,dc=com\",\"auth\":\"simple\","
                  "\"password_present\":true},\"result_code\":\"invalidCredentials\","
                  "\"diagnostic_message\":\"80090308: LdapErr: DSID-0C09044E, comment: "
                  "AcceptSecurityContext error, data 52e, v4563\"}}");
    ASSERT_TRUE(strstr(o.recs[0].json, "s3cr3t") == NULL);
    for (size_t i = 0; i < o.recs[0].nvals; i++)
        ASSERT_TRUE(strstr(o.recs[0].vals[i].text, "s3cr3t") == NULL);
    proto_out_release(&o);
}

TEST(proto_ldap_search_filter_text_byte_by_byte)
{
    static const char eq1[] = "\xa3\x13\x04\x0bobjectClass\x04\x04user";
    static const char sub[] = "\xa4\x11\x04\x02"
                              "cn\x30\x0b\x80\x02jo\x81\x01h\x82\x02nn";
    static const char nt[] = "\xa2\x06\x87\x04mail";
    static const char eq2[] = "\xa3\x17\x04\x0esAMAccountName\x04\x05"
                              "a*(b)";
    static const char ge[] = "\xa5\x12\x04\x0b"
                             "badPwdCount\x04\x03\x31\x00\x32";
    static const char ext[] = "\xa9\x32\x81\x16"
                              "1.2.840.113556.1.4.803\x82\x12userAccountControl\x83\x01"
                              "2\x84\x01\xff";
    uint8_t orf[64], andf[256], req[512], c[600], s[600];
    const char *op[] = {sub, nt};
    const size_t ol[] = {sizeof sub - 1, sizeof nt - 1};
    uint8_t tmp[256];
    size_t n = cat(tmp, op, ol, 2);
    size_t orn = t_tlv(orf, 0xa1, tmp, n);
    const char *ap[] = {eq1, (const char *)orf, eq2, ge, ext};
    const size_t al[] = {sizeof eq1 - 1, orn, sizeof eq2 - 1, sizeof ge - 1, sizeof ext - 1};
    n = cat(tmp, ap, al, 5);
    size_t an = t_tlv(andf, 0xa0, tmp, n);
    static const char head[] = "\x04\x11"
                               "dc=example,dc=com"
                               "\x0a\x01\x02\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00";
    static const char attrs[] = "\x30\x0a\x04\x02"
                                "cn\x04\x04mail";
    const char *rp[] = {head, (const char *)andf, attrs};
    const size_t rl[] = {sizeof head - 1, an, sizeof attrs - 1};
    size_t reqn = cat(req, rp, rl, 3);
    size_t cn = msg(c, 2, 0x63, req, reqn);
    /* two entries and the done */
    static const char entry[] = "\x04\x04"
                                "cn=x\x30\x00";
    static const char done[] = "\x0a\x01\x00\x04\x00\x04\x00";
    size_t sn = msg(s, 2, 0x64, entry, sizeof entry - 1);
    sn += msg(s + sn, 2, 0x64, entry, sizeof entry - 1);
    sn += msg(s + sn, 2, 0x65, done, sizeof done - 1);
    struct t_piece pc[1200];
    size_t np = 0;
    for (size_t i = 0; i < cn; i++)
        pc[np++] = (struct t_piece){0, c + i, 1};
    for (size_t i = 0; i < sn; i++)
        pc[np++] = (struct t_piece){1, s + i, 1};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_ldap, 6, 389, pc, np, &o), 0);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.base_dn"), "dc=example,dc=com");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.scope"), "wholeSubtree");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.filter"),
                  "(&(objectClass=user)(|(cn=jo*h*nn)(!(mail=*)))(sAMAccountName=a\\2a\\28b\\29)"
                  "(badPwdCount>=1\\002)(userAccountControl:dn:1.2.840.113556.1.4.803:=2))");
    ASSERT_EQ(proto_out_count(&o, 0, "ldap.search.attributes"), 2);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "ldap.search.attributes", 1), "mail");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.entries"), "2");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.result_code"), "success");
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

TEST(proto_ldap_starttls_unbind_and_sasl_layer)
{
    static const char oid[] = "\x80\x16"
                              "1.3.6.1.4.1.1466.20037";
    static const char ok[] = "\x0a\x01\x00\x04\x00\x04\x00";
    uint8_t c[128], s[128];
    size_t cn = msg(c, 3, 0x77, oid, sizeof oid - 1), sn = msg(s, 3, 0x78, ok, sizeof ok - 1);
    struct t_piece pc[] = {{0, c, cn}, {1, s, sn}, {0, (const uint8_t *)"\x16\x03\x01", 3}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_ldap, 6, 389, pc, 3, &o), 2);
    ASSERT_TRUE(o.switch_to != NULL);
    ASSERT_STR_EQ(o.switch_to, "tls");
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.operation"), "extendedReq");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.extended.name"), "1.3.6.1.4.1.1466.20037");
    proto_out_release(&o);

    /* SASL bind, success, then wrapped PDUs (4-byte length first): the parse ends there;
     * an unbind is written at once; a delete with no answer at the end */
    static const char sasl[] = "\x02\x01\x03\x04\x00\xa3\x08\x04\x06GSSAPI";
    uint8_t c2[256], s2[64];
    cn = msg(c2, 1, 0x60, sasl, sizeof sasl - 1);
    cn += msg(c2 + cn, 2, 0x4a, "cn=gone", 7);
    cn += msg(c2 + cn, 4, 0x42, "", 0);
    sn = msg(s2, 1, 0x61, ok, sizeof ok - 1);
    static const uint8_t wrapped[] = {0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef};
    struct t_piece pc2[] = {{0, c2, cn}, {1, s2, sn}, {0, wrapped, sizeof wrapped}};
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_ldap, 6, 389, pc2, 3, &o), 3);
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.operation"), "unbindRequest");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "ldap.bind.sasl_mechanism"), "GSSAPI");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "ldap.operation"), "delRequest");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "ldap.object"), "cn=gone");
    ASSERT_TRUE(proto_out_get(&o, 2, "ldap.result_code") == NULL);
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

TEST(proto_ldap_caps_and_garbage)
{
    /* 300 unanswered deletes: 256 wait, the oldest 44 are written when room is needed */
    static uint8_t c[300 * 16];
    size_t cn = 0;
    for (int i = 0; i < 300; i++)
        cn += msg(c + cn, i % 120, 0x4a, "cn=x", 4);
    struct t_piece pc[] = {{0, c, cn}};
    struct proto_out o;
    proto_out_init(&o, 0);
    t_feed_pieces(&proto_ldap, 6, 389, pc, 1, &o);
    ASSERT_EQ(o.nrecs, 300);
    /* ids repeat every 120: each reuse writes the earlier request out */
    ASSERT_EQ(proto_out_anomaly(&o, "ldap.duplicate_message_id"), 180);
    proto_out_release(&o);

    /* not BER; and a response in the client's direction */
    struct t_piece junk[] = {{0, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18}};
    proto_out_init(&o, 0);
    t_feed_pieces(&proto_ldap, 6, 389, junk, 1, &o);
    ASSERT_EQ(proto_out_anomaly(&o, "ldap.not_ber"), 1);
    uint8_t m[64];
    size_t mn = msg(m, 9, 0x65, "\x0a\x01\x00\x04\x00\x04\x00", 7);
    struct t_piece wrong[] = {{0, m, mn}};
    t_feed_pieces(&proto_ldap, 6, 389, wrong, 1, &o);
    ASSERT_EQ(proto_out_anomaly(&o, "ldap.wrong_direction"), 1);
    ASSERT_EQ(o.nrecs, 0);
    /* an oversized entry is counted from its head, the rest skipped */
    static uint8_t big[70000 + 64];
    static const uint8_t hd[] = {0x30, 0x84, 0, 0, 0, 0, 2, 1, 2, 0x64, 0x84, 0, 0, 0, 0};
    size_t inner = 70000, total = sizeof hd + inner;
    memcpy(big, hd, sizeof hd);
    big[2] = (uint8_t)((total - 6) >> 24), big[3] = (uint8_t)((total - 6) >> 16);
    big[4] = (uint8_t)((total - 6) >> 8), big[5] = (uint8_t)(total - 6);
    big[11] = 0, big[12] = (uint8_t)(inner >> 16), big[13] = (uint8_t)(inner >> 8);
    big[14] = (uint8_t)inner;
    static const char req[] = "\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01"
                              "\x00\x87\x0bobjectClass\x30\x00";
    uint8_t q[128], d[64];
    size_t qn = msg(q, 2, 0x63, req, sizeof req - 1);
    size_t dn = msg(d, 2, 0x65, "\x0a\x01\x00\x04\x00\x04\x00", 7);
    struct t_piece pc3[] = {{0, q, qn}, {1, big, total}, {1, d, dn}};
    proto_out_release(&o);
    proto_out_init(&o, 0);
    t_feed_pieces(&proto_ldap, 6, 389, pc3, 3, &o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.filter"), "(objectClass=*)");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ldap.search.entries"), "1");
    ASSERT_STR_EQ(ldap_result_name(53), "unwillingToPerform");
    proto_out_release(&o);

    /* a filter past 1 KiB is cut at 1 KiB */
    static uint8_t val[1500], ava[1600], sreq[1700], sm[1800];
    memset(val, 'v', sizeof val);
    size_t vn = t_tlv(ava, 0x04, "cn", 2);
    vn += t_tlv(ava + vn, 0x04, val, sizeof val);
    static const char pre[] =
        "\x04\x00\x0a\x01\x02\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00";
    memcpy(sreq, pre, sizeof pre - 1);
    size_t srn = sizeof pre - 1 + t_tlv(sreq + sizeof pre - 1, 0xa3, ava, vn);
    srn += t_tlv(sreq + srn, 0x30, "", 0);
    size_t smn = msg(sm, 5, 0x63, sreq, srn);
    struct t_piece pc4[] = {{0, sm, smn}};
    proto_out_init(&o, 0);
    t_feed_pieces(&proto_ldap, 6, 389, pc4, 1, &o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_EQ(proto_out_anomaly(&o, "ldap.filter_truncated"), 1);
    const char *f = proto_out_get(&o, 0, "ldap.search.filter");
    ASSERT_TRUE(f != NULL && strncmp(f, "(cn=vvv", 7) == 0);
    ASSERT_EQ(strlen(f), 1024);
    proto_out_release(&o);
}
