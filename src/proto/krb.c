/*
 * krb.c — Kerberos V5 between clients and the KDC (RFC 4120).
 *
 * Transport (§7.2): over UDP one message per datagram; over TCP each message is
 * preceded by a 4-byte big-endian length whose high bit is reserved (0).
 * Messages are DER (§5), every field an explicit context tag [n]:
 *
 *   AS-REQ [APPLICATION 10] / TGS-REQ [APPLICATION 12]   KDC-REQ ::= SEQUENCE {
 *       pvno [1] INTEGER (5), msg-type [2] INTEGER,
 *       padata [3] SEQUENCE OF PA-DATA OPTIONAL,   PA-DATA ::= SEQUENCE {
 *       req-body [4] KDC-REQ-BODY }                    padata-type [1] Int32 (2 =
 * PA-ENC-TIMESTAMP), padata-value [2] OCTET STRING } KDC-REQ-BODY ::= SEQUENCE { kdc-options [0],
 * cname [1] PrincipalName OPTIONAL, realm [2] Realm, sname [3] PrincipalName OPTIONAL, from [4],
 * till [5], rtime [6], nonce [7], etype [8] SEQUENCE OF Int32, … } AS-REP [APPLICATION 11] /
 * TGS-REP [APPLICATION 13]   KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL,
 * crealm [3] Realm, cname [4] PrincipalName, ticket [5] Ticket, enc-part [6] EncryptedData } Ticket
 * ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] } EncryptedData
 * ::= SEQUENCE { etype [0] Int32, kvno [1] OPTIONAL, cipher [2] } AP-REQ [APPLICATION 14] ::=
 * SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3] Ticket, authenticator [4] } AP-REP
 * [APPLICATION 15] KRB-ERROR [APPLICATION 30] ::= SEQUENCE { pvno [0], msg-type [1], ctime [2],
 * cusec [3], stime [4], susec [5], error-code [6] Int32, crealm [7], cname [8], realm [9] Realm,
 * sname [10] PrincipalName, e-text [11], e-data [12] } PrincipalName ::= SEQUENCE { name-type [0]
 * Int32, name-string [1] SEQUENCE OF KerberosString }   written "a/b" (§6.2)
 *
 * Requests (client side) wait in a small queue; a reply takes the oldest and the
 * pair becomes one record.  Error codes: §7.5.9, RFC 4556 §3.1.3 (PKINIT);
 * encryption types: RFC 3961 §8, RFC 4757, RFC 8009.
 */
#include "proto/krb.h"

#include "proto/ber.h"
#include "proto/pdu.h"

#include <stdio.h>
#include <string.h>

#define KRB_NAME_MAX 256        /* principal / realm text kept */
#define KRB_ETYPES_MAX 16       /* requested etypes kept */
#define KRB_PENDING 8           /* requests waiting for a reply */
#define KRB_MSG_CAP (64 * 1024) /* a TCP message kept whole (PACs make big tickets) */

enum {
    KRB_AS_REQ = 10,
    KRB_AS_REP = 11,
    KRB_TGS_REQ = 12,
    KRB_TGS_REP = 13,
    KRB_AP_REQ = 14,
    KRB_AP_REP = 15,
    KRB_ERROR = 30
};

struct krb_msg {
    int type; /* application tag = msg-type */
    char cname[KRB_NAME_MAX], realm[KRB_NAME_MAX], sname[KRB_NAME_MAX];
    int32_t etypes[KRB_ETYPES_MAX];
    int netypes;
    int preauth; /* PA-ENC-TIMESTAMP present (requests) */
    int has_tkt_etype;
    int32_t tkt_etype;
    int has_error;
    int32_t error;
};

struct krb_state {
    struct pdu_pair pdu;
    int dead[2];
    struct krb_msg pend[KRB_PENDING];
    int npend;
};

struct krb_call {
    struct krb_state *st;
    struct proto_out *o;
    int dir;
};

/* ---------------------------------------------------------------- names */

const char *krb_etype_name(int64_t e)
{
    switch (e) {
    case 1:
        return "des-cbc-crc";
    case 2:
        return "des-cbc-md4";
    case 3:
        return "des-cbc-md5";
    case 5:
        return "des3-cbc-md5";
    case 7:
        return "des3-cbc-sha1";
    case 16:
        return "des3-cbc-sha1-kd";
    case 17:
        return "aes128-cts-hmac-sha1-96";
    case 18:
        return "aes256-cts-hmac-sha1-96";
    case 19:
        return "aes128-cts-hmac-sha256-128";
    case 20:
        return "aes256-cts-hmac-sha384-192";
    case 23:
        return "rc4-hmac";
    case 24:
        return "rc4-hmac-exp";
    case 25:
        return "camellia128-cts-cmac";
    case 26:
        return "camellia256-cts-cmac";
    case -128:
        return "rc4-hmac-old-exp";
    default:
        return NULL;
    }
}

static const char *const krb_errors[] = {
    [0] = "KDC_ERR_NONE",
    [1] = "KDC_ERR_NAME_EXP",
    [2] = "KDC_ERR_SERVICE_EXP",
    [3] = "KDC_ERR_BAD_PVNO",
    [4] = "KDC_ERR_C_OLD_MAST_KVNO",
    [5] = "KDC_ERR_S_OLD_MAST_KVNO",
    [6] = "KDC_ERR_C_PRINCIPAL_UNKNOWN",
    [7] = "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    [8] = "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
    [9] = "KDC_ERR_NULL_KEY",
    [10] = "KDC_ERR_CANNOT_POSTDATE",
    [11] = "KDC_ERR_NEVER_VALID",
    [12] = "KDC_ERR_POLICY",
    [13] = "KDC_ERR_BADOPTION",
    [14] = "KDC_ERR_ETYPE_NOSUPP",
    [15] = "KDC_ERR_SUMTYPE_NOSUPP",
    [16] = "KDC_ERR_PADATA_TYPE_NOSUPP",
    [17] = "KDC_ERR_TRTYPE_NOSUPP",
    [18] = "KDC_ERR_CLIENT_REVOKED",
    [19] = "KDC_ERR_SERVICE_REVOKED",
    [20] = "KDC_ERR_TGT_REVOKED",
    [21] = "KDC_ERR_CLIENT_NOTYET",
    [22] = "KDC_ERR_SERVICE_NOTYET",
    [23] = "KDC_ERR_KEY_EXPIRED",
    [24] = "KDC_ERR_PREAUTH_FAILED",
    [25] = "KDC_ERR_PREAUTH_REQUIRED",
    [26] = "KDC_ERR_SERVER_NOMATCH",
    [27] = "KDC_ERR_MUST_USE_USER2USER",
    [28] = "KDC_ERR_PATH_NOT_ACCEPTED",
    [29] = "KDC_ERR_SVC_UNAVAILABLE",
    [31] = "KRB_AP_ERR_BAD_INTEGRITY",
    [32] = "KRB_AP_ERR_TKT_EXPIRED",
    [33] = "KRB_AP_ERR_TKT_NYV",
    [34] = "KRB_AP_ERR_REPEAT",
    [35] = "KRB_AP_ERR_NOT_US",
    [36] = "KRB_AP_ERR_BADMATCH",
    [37] = "KRB_AP_ERR_SKEW",
    [38] = "KRB_AP_ERR_BADADDR",
    [39] = "KRB_AP_ERR_BADVERSION",
    [40] = "KRB_AP_ERR_MSG_TYPE",
    [41] = "KRB_AP_ERR_MODIFIED",
    [42] = "KRB_AP_ERR_BADORDER",
    [44] = "KRB_AP_ERR_BADKEYVER",
    [45] = "KRB_AP_ERR_NOKEY",
    [46] = "KRB_AP_ERR_MUT_FAIL",
    [47] = "KRB_AP_ERR_BADDIRECTION",
    [48] = "KRB_AP_ERR_METHOD",
    [49] = "KRB_AP_ERR_BADSEQ",
    [50] = "KRB_AP_ERR_INAPP_CKSUM",
    [51] = "KRB_AP_PATH_NOT_ACCEPTED",
    [52] = "KRB_ERR_RESPONSE_TOO_BIG",
    [60] = "KRB_ERR_GENERIC",
    [61] = "KRB_ERR_FIELD_TOOLONG",
    [62] = "KDC_ERR_CLIENT_NOT_TRUSTED",
    [63] = "KDC_ERR_KDC_NOT_TRUSTED",
    [64] = "KDC_ERR_INVALID_SIG",
    [65] = "KDC_ERR_KEY_TOO_WEAK",
    [66] = "KDC_ERR_CERTIFICATE_MISMATCH",
    [67] = "KRB_AP_ERR_NO_TGT",
    [68] = "KDC_ERR_WRONG_REALM",
    [69] = "KRB_AP_ERR_USER_TO_USER_REQUIRED",
    [70] = "KDC_ERR_CANT_VERIFY_CERTIFICATE",
    [71] = "KDC_ERR_INVALID_CERTIFICATE",
    [72] = "KDC_ERR_REVOKED_CERTIFICATE",
    [73] = "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
    [74] = "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE",
    [75] = "KDC_ERR_CLIENT_NAME_MISMATCH",
    [76] = "KDC_ERR_KDC_NAME_MISMATCH",
};

const char *krb_error_name(int64_t code)
{
    if (code < 0 || code >= (int64_t)(sizeof krb_errors / sizeof krb_errors[0]))
        return NULL;
    return krb_errors[code];
}

static const char *msg_name(int t)
{
    switch (t) {
    case KRB_AS_REQ:
        return "AS-REQ";
    case KRB_AS_REP:
        return "AS-REP";
    case KRB_TGS_REQ:
        return "TGS-REQ";
    case KRB_TGS_REP:
        return "TGS-REP";
    case KRB_AP_REQ:
        return "AP-REQ";
    case KRB_AP_REP:
        return "AP-REP";
    case 20:
        return "KRB-SAFE";
    case 21:
        return "KRB-PRIV";
    case 22:
        return "KRB-CRED";
    case KRB_ERROR:
        return "KRB-ERROR";
    default:
        return NULL;
    }
}

/* ---------------------------------------------------------------- DER fields */

/* The value inside explicit tag t ([n] { value }). */
static int inner(const struct ber *lvl, const struct ber_tlv *t, struct ber_tlv *v)
{
    struct ber in;
    if (ber_enter(lvl, t, &in) || ber_next(&in, v) != 1)
        return -1;
    return 0;
}

/* A cursor inside the constructed value inside explicit tag t. */
static int open_inner(const struct ber *lvl, const struct ber_tlv *t, struct ber *out)
{
    struct ber x;
    struct ber_tlv v;
    if (ber_enter(lvl, t, &x) || ber_next(&x, &v) != 1 || ber_enter(&x, &v, out))
        return -1;
    return 0;
}

static int field_int(const struct ber *lvl, const struct ber_tlv *t, int32_t *out)
{
    struct ber_tlv v;
    int64_t x;
    if (inner(lvl, t, &v) || v.cls != BER_UNIVERSAL || v.tag != BER_INTEGER || ber_int(&v, &x) ||
        x < INT32_MIN || x > INT32_MAX)
        return -1;
    *out = (int32_t)x;
    return 0;
}

/* Copy a string value, NUL-terminated and cut to KRB_NAME_MAX - 1. */
static int copy_str(const struct ber_tlv *v, char *dst)
{
    if (v->constructed)
        return -1;
    size_t n = v->len < KRB_NAME_MAX - 1 ? v->len : KRB_NAME_MAX - 1;
    memcpy(dst, v->val, n);
    dst[n] = 0;
    return 0;
}

static int field_str(const struct ber *lvl, const struct ber_tlv *t, char *dst)
{
    struct ber_tlv v;
    if (inner(lvl, t, &v))
        return -1;
    return copy_str(&v, dst);
}

/* PrincipalName as "a/b/c" (RFC 4120 §6.2: components joined by '/'). */
static int field_principal(const struct ber *lvl, const struct ber_tlv *t, char *dst)
{
    struct ber_tlv f, s;
    struct ber in, ns;
    dst[0] = 0;
    if (open_inner(lvl, t, &in))
        return -1;
    size_t len = 0;
    int rc;
    while ((rc = ber_next(&in, &f)) == 1) {
        if (f.cls != BER_CONTEXT || f.tag != 1)
            continue;
        if (open_inner(&in, &f, &ns))
            return -1;
        while ((rc = ber_next(&ns, &s)) == 1) {
            if (s.constructed)
                return -1;
            if (len && len < KRB_NAME_MAX - 1)
                dst[len++] = '/';
            size_t k = s.len < KRB_NAME_MAX - 1 - len ? s.len : KRB_NAME_MAX - 1 - len;
            memcpy(dst + len, s.val, k);
            len += k;
        }
        if (rc < 0)
            return -1;
    }
    dst[len] = 0;
    return rc < 0 ? -1 : 0;
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] } */
static int field_ticket(const struct ber *lvl, const struct ber_tlv *t, struct krb_msg *m,
                        int want_names)
{
    struct ber_tlv app, seq, f;
    struct ber a, in;
    if (inner(lvl, t, &app) || app.cls != BER_APPLICATION || app.tag != 1 ||
        open_inner(lvl, t, &a) || ber_next(&a, &seq) != 1 || ber_enter(&a, &seq, &in))
        return -1; /* in: inside the SEQUENCE inside [APPLICATION 1] inside [n] */
    int rc;
    while ((rc = ber_next(&in, &f)) == 1) {
        if (f.cls != BER_CONTEXT)
            continue;
        if (f.tag == 1 && want_names && !m->realm[0])
            rc = field_str(&in, &f, m->realm);
        else if (f.tag == 2 && want_names && !m->sname[0])
            rc = field_principal(&in, &f, m->sname);
        else if (f.tag == 3) {
            struct ber_tlv e;
            struct ber ein;
            rc = open_inner(&in, &f, &ein);
            while (!rc && ber_next(&ein, &e) == 1)
                if (e.cls == BER_CONTEXT && e.tag == 0 && !field_int(&ein, &e, &m->tkt_etype))
                    m->has_tkt_etype = 1;
        } else
            rc = 0;
        if (rc)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* padata: SEQUENCE OF PA-DATA; notes PA-ENC-TIMESTAMP (2). */
static int field_padata(const struct ber *lvl, const struct ber_tlv *t, struct krb_msg *m)
{
    struct ber_tlv pa, f;
    struct ber in, pin;
    if (open_inner(lvl, t, &in))
        return -1;
    int rc;
    while ((rc = ber_next(&in, &pa)) == 1) {
        if (ber_enter(&in, &pa, &pin))
            return -1;
        while ((rc = ber_next(&pin, &f)) == 1) {
            int32_t type;
            if (f.cls == BER_CONTEXT && f.tag == 1 && !field_int(&pin, &f, &type) && type == 2)
                m->preauth = 1;
        }
        if (rc < 0)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

static int req_body(const struct ber *lvl, const struct ber_tlv *t, struct krb_msg *m)
{
    struct ber_tlv f, e;
    struct ber in, el;
    if (open_inner(lvl, t, &in))
        return -1;
    int rc;
    while ((rc = ber_next(&in, &f)) == 1) {
        if (f.cls != BER_CONTEXT)
            continue;
        int bad = 0;
        if (f.tag == 1)
            bad = field_principal(&in, &f, m->cname);
        else if (f.tag == 2)
            bad = field_str(&in, &f, m->realm);
        else if (f.tag == 3)
            bad = field_principal(&in, &f, m->sname);
        else if (f.tag == 8) {
            bad = open_inner(&in, &f, &el);
            while (!bad && ber_next(&el, &e) == 1) {
                int64_t x;
                if (e.tag != BER_INTEGER || ber_int(&e, &x) || x < INT32_MIN || x > INT32_MAX)
                    bad = 1;
                else if (m->netypes < KRB_ETYPES_MAX)
                    m->etypes[m->netypes++] = (int32_t)x;
            }
        }
        if (bad)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* One message into m: 0, or -1 when it is not well-formed Kerberos. */
static int krb_parse(const uint8_t *p, size_t n, struct krb_msg *m)
{
    struct ber top, in;
    struct ber_tlv app, seq, f;
    memset(m, 0, sizeof *m);
    ber_init(&top, p, n);
    if (ber_next(&top, &app) != 1 || app.cls != BER_APPLICATION || !msg_name((int)app.tag))
        return -1;
    m->type = (int)app.tag;
    struct ber a;
    if (ber_enter(&top, &app, &a) || ber_expect(&a, BER_UNIVERSAL, BER_SEQUENCE, &seq) != 1 ||
        ber_enter(&a, &seq, &in))
        return -1;
    const int req = m->type == KRB_AS_REQ || m->type == KRB_TGS_REQ;
    const int rep = m->type == KRB_AS_REP || m->type == KRB_TGS_REP;
    int rc;
    while ((rc = ber_next(&in, &f)) == 1) {
        if (f.cls != BER_CONTEXT)
            continue;
        int bad = 0;
        if (req && f.tag == 3)
            bad = field_padata(&in, &f, m);
        else if (req && f.tag == 4)
            bad = req_body(&in, &f, m);
        else if (rep && f.tag == 3)
            bad = field_str(&in, &f, m->realm);
        else if (rep && f.tag == 4)
            bad = field_principal(&in, &f, m->cname);
        else if (rep && f.tag == 5)
            bad = field_ticket(&in, &f, m, 0);
        else if (m->type == KRB_AP_REQ && f.tag == 3)
            bad = field_ticket(&in, &f, m, 1);
        else if (m->type == KRB_ERROR) {
            if (f.tag == 6) {
                bad = field_int(&in, &f, &m->error);
                m->has_error = !bad;
            } else if (f.tag == 8)
                bad = field_principal(&in, &f, m->cname);
            else if (f.tag == 9)
                bad = field_str(&in, &f, m->realm);
            else if (f.tag == 10)
                bad = field_principal(&in, &f, m->sname);
        }
        if (bad)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- records */

static void put_int_name(struct proto_out *o, const char *path, const char *name, int64_t v)
{
    if (name) {
        proto_cstr(o, path, name);
        return;
    }
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)v);
    proto_cstr(o, path, t);
}

/* One record for a request and its reply (either may be NULL). */
static void krb_emit(struct proto_out *o, const struct krb_msg *q, const struct krb_msg *r)
{
    proto_begin(o, "krb");
    if (q)
        proto_cstr(o, "krb.msg_type", msg_name(q->type));
    if (r)
        proto_cstr(o, "krb.msg_type", msg_name(r->type));
    const struct krb_msg *first = q ? q : r, *second = q ? r : NULL;
    const char *cname = first->cname[0] || !second ? first->cname : second->cname;
    const char *realm = first->realm[0] || !second ? first->realm : second->realm;
    const char *sname = first->sname[0] || !second ? first->sname : second->sname;
    if (cname[0])
        proto_cstr(o, "krb.cname", cname);
    if (realm[0])
        proto_cstr(o, "krb.realm", realm);
    if (sname[0])
        proto_cstr(o, "krb.sname", sname);
    if (q && (q->type == KRB_AS_REQ || q->type == KRB_TGS_REQ)) {
        for (int i = 0; i < q->netypes; i++)
            put_int_name(o, "krb.etypes", krb_etype_name(q->etypes[i]), q->etypes[i]);
        proto_bool(o, "krb.preauth", q->preauth);
    }
    const struct krb_msg *t = r && r->has_tkt_etype ? r : q && q->has_tkt_etype ? q : NULL;
    if (t)
        put_int_name(o, "krb.ticket_etype", krb_etype_name(t->tkt_etype), t->tkt_etype);
    if (r && r->has_error)
        put_int_name(o, "krb.error_code", krb_error_name(r->error), r->error);
    if (r)
        proto_bool(o, "krb.success", r->type != KRB_ERROR);
    proto_end(o);
}

static void krb_message(struct krb_call *k, const uint8_t *p, size_t n)
{
    struct krb_state *st = k->st;
    struct krb_msg m;
    if (krb_parse(p, n, &m)) {
        proto_anomaly(k->o, "krb.malformed");
        return;
    }
    const int is_req = m.type == KRB_AS_REQ || m.type == KRB_TGS_REQ || m.type == KRB_AP_REQ;
    const int is_rep = m.type == KRB_AS_REP || m.type == KRB_TGS_REP || m.type == KRB_AP_REP ||
                       m.type == KRB_ERROR;
    if (is_req && k->dir == PROTO_DIR_CLIENT) {
        if (st->npend == KRB_PENDING) { /* unanswered: on its own */
            krb_emit(k->o, &st->pend[0], NULL);
            memmove(&st->pend[0], &st->pend[1], (KRB_PENDING - 1) * sizeof st->pend[0]);
            st->npend--;
        }
        st->pend[st->npend++] = m;
        return;
    }
    if (is_rep && k->dir == PROTO_DIR_SERVER && st->npend > 0) {
        krb_emit(k->o, &st->pend[0], &m);
        st->npend--;
        memmove(&st->pend[0], &st->pend[1], (size_t)st->npend * sizeof st->pend[0]);
        return;
    }
    krb_emit(k->o, is_rep ? NULL : &m, is_rep ? &m : NULL);
}

/* ---------------------------------------------------------------- framing */

static size_t krb_len(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n < 4)
        return 0;
    uint32_t len = ld_u32be(p);
    if (len == 0 || (len & 0x80000000u)) /* §7.2.2: the high bit is reserved */
        return PDU_BAD;
    return (size_t)len + 4;
}

static int krb_frame(void *ctx, const uint8_t *p, size_t n, size_t total)
{
    struct krb_call *k = ctx;
    if (n < total) {
        proto_anomaly(k->o, "krb.message_too_big");
        return 0;
    }
    krb_message(k, p + 4, n - 4);
    return 0;
}

/* Does p start like a Kerberos message: [APPLICATION n] { SEQUENCE { [0|1] INTEGER 5 … */
static int looks_krb(const uint8_t *p, size_t n)
{
    struct ber_tlv t;
    if (ber_header(p, n, &t) || t.cls != BER_APPLICATION || !t.constructed || !msg_name((int)t.tag))
        return 0;
    size_t off = t.hdr;
    if (ber_header(p + off, n - off, &t) || t.cls != BER_UNIVERSAL || t.tag != BER_SEQUENCE)
        return 0;
    off += t.hdr;
    if (ber_header(p + off, n - off, &t) || t.cls != BER_CONTEXT || t.tag > 1)
        return 0;
    off += t.hdr;
    return n - off >= 3 && p[off] == BER_INTEGER && p[off + 1] == 1 && p[off + 2] == 5;
}

static int krb_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    if (c->l4 == 17 && looks_krb(d, n))
        return PROTO_CONTENT;
    if (c->l4 == 6 && n > 4 && !(d[0] & 0x80) && looks_krb(d + 4, n - 4))
        return PROTO_CONTENT;
    if (c->srv_port == 88 || c->cli_port == 88)
        return PROTO_PORT;
    return PROTO_NO;
}

static void krb_end(void *vst, struct proto_out *o, const struct proto_ctx *c);

static int krb_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *d, size_t n)
{
    struct krb_state *st = vst;
    if (dir != 0 && dir != 1)
        return 0;
    struct krb_call k = {st, o, dir};
    if (c->l4 != 6) {
        krb_message(&k, d, n);
        return 0;
    }
    pdu_pair_use(&st->pdu, KRB_MSG_CAP);
    if (st->dead[dir])
        return 0;
    if (pdu_feed(&st->pdu.dir[dir], d, n, krb_len, krb_frame, &k) < 0) {
        proto_anomaly(o, "krb.bad_record_mark");
        st->dead[dir] = 1;
        pdu_release(&st->pdu.dir[dir]);
    }
    if (st->dead[0] && st->dead[1]) {
        krb_end(st, o, c); /* done: what waits for a reply is written now */
        return 1;
    }
    return 0;
}

static void krb_gap(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct krb_state *st = vst;
    (void)c;
    (void)n;
    if ((dir != 0 && dir != 1) || !st->pdu.inited)
        return;
    proto_anomaly(o, "krb.gap");
    st->dead[dir] = 1; /* the next bytes are not a length */
    pdu_release(&st->pdu.dir[dir]);
}

static void krb_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    struct krb_state *st = vst;
    (void)c;
    for (int i = 0; i < st->npend; i++)
        krb_emit(o, &st->pend[i], NULL);
    st->npend = 0;
}

static void krb_release(void *vst)
{
    struct krb_state *st = vst;
    pdu_pair_release(&st->pdu);
}

const struct proto_parser proto_kerberos = {
    .name = "krb",
    .l4 = 0,
    .probe = krb_probe,
    .state_size = sizeof(struct krb_state),
    .data = krb_data,
    .gap = krb_gap,
    .end = krb_end,
    .release = krb_release,
};
