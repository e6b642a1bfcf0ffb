/*
 * ldap.c — LDAP v3 over TCP (RFC 4511), one record per request and its response.
 *
 * Every PDU is a BER LDAPMessage (§4.1.1); the LDAP module uses IMPLICIT tags:
 *
 *   LDAPMessage ::= SEQUENCE { messageID INTEGER (0..2^31-1),
 *                              protocolOp CHOICE { [APPLICATION n] … },
 *                              controls [0] Controls OPTIONAL }
 *   BindRequest  [APP 0]  SEQUENCE { version INTEGER, name LDAPDN,
 *                          authentication CHOICE { simple [0] OCTET STRING,
 *                                                  sasl [3] SEQUENCE { mechanism, credentials } } }
 *                          (Active Directory adds sicily [9] [10] [11] for NTLM)
 *   BindResponse [APP 1]  SEQUENCE { COMPONENTS OF LDAPResult, serverSaslCreds [7] OPTIONAL }
 *   LDAPResult            resultCode ENUMERATED, matchedDN, diagnosticMessage, referral [3]
 *   UnbindRequest [APP 2] NULL                     AbandonRequest [APP 16] MessageID
 *   SearchRequest [APP 3] SEQUENCE { baseObject, scope ENUMERATED, derefAliases, sizeLimit,
 *                          timeLimit, typesOnly BOOLEAN, filter Filter, attributes }
 *   SearchResultEntry [APP 4], SearchResultReference [APP 19], SearchResultDone [APP 5]
 *   Modify [APP 6/7], Add [APP 8/9], Del [APP 10 = LDAPDN /11], ModifyDN [APP 12/13],
 *   Compare [APP 14/15], ExtendedRequest [APP 23] { requestName [0], requestValue [1] },
 *   ExtendedResponse [APP 24], IntermediateResponse [APP 25]
 *
 * Filters (§4.5.1.7) are written as RFC 4515 text, cut at 1 KiB.  Simple-bind
 * passwords are never stored: only that one was there.  After a successful SASL
 * bind the peers may wrap every PDU in a SASL security layer (RFC 4513 §5.2.1.3,
 * a 4-byte length and opaque bytes): when a PDU no longer starts with a SEQUENCE
 * the parser stops.  StartTLS (§4.14) hands the session to "tls".
 */
#include "proto/ldap.h"

#include "proto/ber.h"
#include "proto/pdu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LDAP_MSG_CAP (64 * 1024) /* a PDU kept whole; bigger entries are only counted */
#define LDAP_PENDING 256         /* requests waiting for their response */
#define LDAP_REQ_TEXT 4096       /* text kept per request (DN, filter, attributes …) */
#define LDAP_FILTER_MAX 1024
#define LDAP_ATTRS_MAX 32
#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"

enum {
    OP_BIND_REQ = 0,
    OP_BIND_RESP = 1,
    OP_UNBIND = 2,
    OP_SEARCH_REQ = 3,
    OP_SEARCH_ENTRY = 4,
    OP_SEARCH_DONE = 5,
    OP_DEL_REQ = 10,
    OP_ABANDON = 16,
    OP_SEARCH_REF = 19,
    OP_EXT_REQ = 23,
    OP_EXT_RESP = 24,
    OP_INTERMEDIATE = 25
};

enum { AUTH_NONE = 0, AUTH_SIMPLE, AUTH_SASL, AUTH_SICILY };

struct span {
    uint16_t off, len;
    uint8_t set;
};

struct ldap_req {
    int used;
    uint64_t seq; /* arrival order, for evicting the oldest */
    int64_t id;
    int op;
    int version, auth, pw_present, scope, has_scope;
    int64_t entries;
    struct span dn, mech, filter, ext;
    struct span attrs[LDAP_ATTRS_MAX];
    int nattrs;
    struct buf text; /* the spans point here */
};

struct ldap_state {
    struct pdu_pair pdu;
    int done[2], sasl_ok, stopped;
    struct ldap_req *pend; /* LDAP_PENDING entries, allocated with the first request */
    uint64_t seq;
};

struct ldap_call {
    struct ldap_state *st;
    struct proto_out *o;
    const struct proto_ctx *c;
    int dir;
};

/* ---------------------------------------------------------------- names */

static const char *op_name(int op)
{
    static const char *const n[] = {
        [0] = "bindRequest",      [1] = "bindResponse",    [2] = "unbindRequest",
        [3] = "searchRequest",    [4] = "searchResEntry",  [5] = "searchResDone",
        [6] = "modifyRequest",    [7] = "modifyResponse",  [8] = "addRequest",
        [9] = "addResponse",      [10] = "delRequest",     [11] = "delResponse",
        [12] = "modDNRequest",    [13] = "modDNResponse",  [14] = "compareRequest",
        [15] = "compareResponse", [16] = "abandonRequest", [19] = "searchResRef",
        [23] = "extendedReq",     [24] = "extendedResp",   [25] = "intermediateResponse"};
    return op >= 0 && op < (int)(sizeof n / sizeof n[0]) ? n[op] : NULL;
}

static int is_request(int op)
{
    return op == 0 || op == 2 || op == 3 || op == 6 || op == 8 || op == 10 || op == 12 ||
           op == 14 || op == 16 || op == 23;
}

const char *ldap_result_name(int64_t code)
{
    static const char *const n[] = {[0] = "success",
                                    [1] = "operationsError",
                                    [2] = "protocolError",
                                    [3] = "timeLimitExceeded",
                                    [4] = "sizeLimitExceeded",
                                    [5] = "compareFalse",
                                    [6] = "compareTrue",
                                    [7] = "authMethodNotSupported",
                                    [8] = "strongerAuthRequired",
                                    [10] = "referral",
                                    [11] = "adminLimitExceeded",
                                    [12] = "unavailableCriticalExtension",
                                    [13] = "confidentialityRequired",
                                    [14] = "saslBindInProgress",
                                    [16] = "noSuchAttribute",
                                    [17] = "undefinedAttributeType",
                                    [18] = "inappropriateMatching",
                                    [19] = "constraintViolation",
                                    [20] = "attributeOrValueExists",
                                    [21] = "invalidAttributeSyntax",
                                    [32] = "noSuchObject",
                                    [33] = "aliasProblem",
                                    [34] = "invalidDNSyntax",
                                    [36] = "aliasDereferencingProblem",
                                    [48] = "inappropriateAuthentication",
                                    [49] = "invalidCredentials",
                                    [50] = "insufficientAccessRights",
                                    [51] = "busy",
                                    [52] = "unavailable",
                                    [53] = "unwillingToPerform",
                                    [54] = "loopDetect",
                                    [64] = "namingViolation",
                                    [65] = "objectClassViolation",
                                    [66] = "notAllowedOnNonLeaf",
                                    [67] = "notAllowedOnRDN",
                                    [68] = "entryAlreadyExists",
                                    [69] = "objectClassModsProhibited",
                                    [71] = "affectsMultipleDSAs",
                                    [80] = "other"};
    return code >= 0 && code < (int64_t)(sizeof n / sizeof n[0]) ? n[code] : NULL;
}

/* ---------------------------------------------------------------- request text */

static void keep(struct ldap_req *q, struct span *s, const void *p, size_t n)
{
    size_t off = q->text.len;
    if (n > UINT16_MAX || buf_append(&q->text, p, n))
        return; /* past the per-request cap: the field is left out */
    s->off = (uint16_t)off;
    s->len = (uint16_t)n;
    s->set = 1;
}

static void put_span(struct proto_out *o, const char *path, const struct ldap_req *q,
                     const struct span *s)
{
    if (s->set) /* an empty value may have left the buffer unallocated */
        proto_str(o, path, s->len ? (const char *)q->text.data + s->off : "", s->len);
}

/* Filter text: once a write does not fit, nothing more is written (no holes). */
struct fbuf {
    struct buf b;
    int full;
};

static void fb_put(struct fbuf *f, const void *p, size_t n)
{
    if (!f->full && buf_append(&f->b, p, n))
        f->full = 1;
}

static void fb_putc(struct fbuf *f, char c)
{
    fb_put(f, &c, 1);
}

static void fb_str(struct fbuf *f, const char *s)
{
    fb_put(f, s, strlen(s));
}

static void fb_hex(struct fbuf *f, uint8_t c)
{
    static const char hx[] = "0123456789abcdef";
    char e[3] = {'\\', hx[c >> 4], hx[c & 15]};
    fb_put(f, e, 3);
}

/* RFC 4515 §3: escape what would break the filter syntax, and anything not printable. */
static void filter_value(struct fbuf *b, const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = v[i];
        if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f)
            fb_hex(b, c);
        else
            fb_putc(b, c);
    }
}

/* Two OCTET STRINGs of an AttributeValueAssertion: "(attr<op>value)". */
static int filter_ava(struct ber *in, struct fbuf *b, const char *op)
{
    struct ber_tlv a, v;
    if (ber_expect(in, BER_UNIVERSAL, BER_OCTET_STRING, &a) != 1 ||
        ber_expect(in, BER_UNIVERSAL, BER_OCTET_STRING, &v) != 1)
        return -1;
    fb_putc(b, '(');
    fb_put(b, a.val, a.len);
    fb_str(b, op);
    filter_value(b, v.val, v.len);
    fb_putc(b, ')');
    return 0;
}

/* One Filter (RFC 4511 §4.5.1.7) as RFC 4515 text.  Depth is bounded by ber_enter. */
static int filter_text(const struct ber *lvl, const struct ber_tlv *t, struct fbuf *b)
{
    struct ber in;
    struct ber_tlv k;
    int rc;
    if (t->cls != BER_CONTEXT)
        return -1;
    if (t->tag == 7) { /* present: the attribute description, primitive */
        if (t->constructed)
            return -1;
        fb_putc(b, '(');
        fb_put(b, t->val, t->len);
        fb_str(b, "=*)");
        return 0;
    }
    if (ber_enter(lvl, t, &in))
        return -1;
    switch (t->tag) {
    case 0:
    case 1:
    case 2:
        fb_putc(b, '(');
        fb_putc(b, t->tag == 0 ? '&' : t->tag == 1 ? '|' : '!');
        while ((rc = ber_next(&in, &k)) == 1)
            if (filter_text(&in, &k, b))
                return -1;
        if (rc < 0)
            return -1;
        fb_putc(b, ')');
        return 0;
    case 3:
        return filter_ava(&in, b, "=");
    case 5:
        return filter_ava(&in, b, ">=");
    case 6:
        return filter_ava(&in, b, "<=");
    case 8:
        return filter_ava(&in, b, "~=");
    case 4: { /* substrings: type, SEQUENCE OF [0] initial / [1] any / [2] final */
        struct ber_tlv a, seq;
        struct ber subs;
        if (ber_expect(&in, BER_UNIVERSAL, BER_OCTET_STRING, &a) != 1 ||
            ber_expect(&in, BER_UNIVERSAL, BER_SEQUENCE, &seq) != 1 || ber_enter(&in, &seq, &subs))
            return -1;
        fb_putc(b, '(');
        fb_put(b, a.val, a.len);
        fb_putc(b, '=');
        int last = -1;
        while ((rc = ber_next(&subs, &k)) == 1) {
            if (k.cls != BER_CONTEXT || k.tag > 2 || k.constructed)
                return -1;
            if (k.tag != 0)
                fb_putc(b, '*'); /* initial*any*any*final */
            filter_value(b, k.val, k.len);
            last = (int)k.tag;
        }
        if (rc < 0)
            return -1;
        if (last != 2)
            fb_putc(b, '*');
        fb_putc(b, ')');
        return 0;
    }
    case 9: { /* extensibleMatch: [1] rule, [2] type, [3] value, [4] dnAttributes */
        const uint8_t *rule = NULL, *type = NULL, *val = NULL;
        size_t rl = 0, tl = 0, vl = 0;
        int dn = 0;
        while ((rc = ber_next(&in, &k)) == 1) {
            if (k.cls != BER_CONTEXT)
                return -1;
            if (k.tag == 1)
                rule = k.val, rl = k.len;
            else if (k.tag == 2)
                type = k.val, tl = k.len;
            else if (k.tag == 3)
                val = k.val, vl = k.len;
            else if (k.tag == 4 && ber_bool(&k, &dn))
                return -1;
        }
        if (rc < 0 || !val)
            return -1;
        fb_putc(b, '(');
        if (type)
            fb_put(b, type, tl);
        if (dn)
            fb_str(b, ":dn");
        if (rule) {
            fb_putc(b, ':');
            fb_put(b, rule, rl);
        }
        fb_str(b, ":=");
        filter_value(b, val, vl);
        fb_putc(b, ')');
        return 0;
    }
    default:
        return -1;
    }
}

/* ---------------------------------------------------------------- requests */

static int parse_bind(struct ber *in, struct ldap_req *q)
{
    struct ber_tlv v, n, a;
    int64_t ver;
    if (ber_expect(in, BER_UNIVERSAL, BER_INTEGER, &v) != 1 || ber_int(&v, &ver) ||
        ber_expect(in, BER_UNIVERSAL, BER_OCTET_STRING, &n) != 1 || ber_next(in, &a) != 1 ||
        a.cls != BER_CONTEXT)
        return -1;
    q->version = (int)(ver & 0xff);
    keep(q, &q->dn, n.val, n.len);
    if (a.tag == 0) {
        q->auth = AUTH_SIMPLE;
        q->pw_present = a.len > 0; /* the password itself is never kept */
    } else if (a.tag == 3) {
        struct ber s;
        struct ber_tlv m;
        q->auth = AUTH_SASL;
        if (ber_enter(in, &a, &s) || ber_expect(&s, BER_UNIVERSAL, BER_OCTET_STRING, &m) != 1)
            return -1;
        keep(q, &q->mech, m.val, m.len);
    } else if (a.tag >= 9 && a.tag <= 11) {
        q->auth = AUTH_SICILY; /* [MS-ADTS] §5.1.1.1.3: NTLM inside LDAP bind */
    } else {
        return -1;
    }
    return 0;
}

static int parse_search(struct ber *in, struct ldap_req *q)
{
    struct ber_tlv base, sc, skip, f, attrs, a;
    int64_t scope;
    if (ber_expect(in, BER_UNIVERSAL, BER_OCTET_STRING, &base) != 1 ||
        ber_expect(in, BER_UNIVERSAL, BER_ENUMERATED, &sc) != 1 || ber_int(&sc, &scope))
        return -1;
    keep(q, &q->dn, base.val, base.len);
    q->scope = (int)scope;
    q->has_scope = 1;
    for (int i = 0; i < 4; i++) /* derefAliases, sizeLimit, timeLimit, typesOnly */
        if (ber_next(in, &skip) != 1)
            return -1;
    if (ber_next(in, &f) != 1)
        return -1;
    struct fbuf t = {.full = 0};
    buf_init(&t.b, LDAP_FILTER_MAX);
    int bad = filter_text(in, &f, &t) ? 2 : t.full ? 1 : 0;
    if (t.b.len)
        keep(q, &q->filter, t.b.data, t.b.len);
    buf_release(&t.b);
    if (bad)
        return bad; /* the base and scope stand; the filter is partial */
    struct ber al;
    if (ber_expect(in, BER_UNIVERSAL, BER_SEQUENCE, &attrs) == 1 && !ber_enter(in, &attrs, &al))
        while (q->nattrs < LDAP_ATTRS_MAX && ber_next(&al, &a) == 1 && !a.constructed)
            keep(q, &q->attrs[q->nattrs++], a.val, a.len);
    return 0;
}

/* The request part of message `op` into q: 0, -1 malformed, or for a search whose filter
 * text is partial 1 (cut at the cap) or 2 (malformed filter). */
static int parse_request(const struct ber *lvl, const struct ber_tlv *t, struct ldap_req *q)
{
    struct ber in;
    struct ber_tlv v;
    if (t->tag == OP_DEL_REQ && !t->constructed) {
        keep(q, &q->dn, t->val, t->len);
        return 0;
    }
    if (t->tag == OP_UNBIND || t->tag == OP_ABANDON)
        return 0;
    if (ber_enter(lvl, t, &in))
        return -1;
    switch (t->tag) {
    case OP_BIND_REQ:
        return parse_bind(&in, q);
    case OP_SEARCH_REQ:
        return parse_search(&in, q);
    case OP_EXT_REQ:
        if (ber_next(&in, &v) != 1 || v.cls != BER_CONTEXT || v.tag != 0)
            return -1;
        keep(q, &q->ext, v.val, v.len);
        return 0;
    default: /* modify, add, modDN, compare: the entry's DN comes first */
        if (ber_expect(&in, BER_UNIVERSAL, BER_OCTET_STRING, &v) != 1)
            return -1;
        keep(q, &q->dn, v.val, v.len);
        return 0;
    }
}

/* ---------------------------------------------------------------- records */

struct ldap_result {
    int have;
    int64_t code;
    const uint8_t *diag;
    size_t diag_len;
};

static void ldap_emit(struct proto_out *o, const struct ldap_req *q, int64_t id, int resp_op,
                      const struct ldap_result *r)
{
    static const char *const scopes[] = {"baseObject", "singleLevel", "wholeSubtree"};
    static const char *const auths[] = {NULL, "simple", "sasl", "sicily"};
    proto_begin(o, "ldap");
    proto_int(o, "ldap.message_id", id);
    const char *name = op_name(q ? q->op : resp_op);
    if (name)
        proto_cstr(o, "ldap.operation", name);
    if (q && q->op == OP_BIND_REQ) {
        proto_int(o, "ldap.version", q->version);
        put_span(o, "ldap.bind.name", q, &q->dn);
        if (auths[q->auth])
            proto_cstr(o, "ldap.bind.auth", auths[q->auth]);
        put_span(o, "ldap.bind.sasl_mechanism", q, &q->mech);
        if (q->auth == AUTH_SIMPLE)
            proto_bool(o, "ldap.bind.password_present", q->pw_present);
    } else if (q && q->op == OP_SEARCH_REQ) {
        put_span(o, "ldap.search.base_dn", q, &q->dn);
        if (q->has_scope && q->scope >= 0 && q->scope <= 2)
            proto_cstr(o, "ldap.search.scope", scopes[q->scope]);
        put_span(o, "ldap.search.filter", q, &q->filter);
        for (int i = 0; i < q->nattrs; i++)
            put_span(o, "ldap.search.attributes", q, &q->attrs[i]);
        if (r && r->have)
            proto_int(o, "ldap.search.entries", q->entries);
    } else if (q) {
        put_span(o, "ldap.object", q, &q->dn);
        put_span(o, "ldap.extended.name", q, &q->ext);
    }
    if (r && r->have) {
        const char *rn = ldap_result_name(r->code);
        if (rn)
            proto_cstr(o, "ldap.result_code", rn);
        else
            proto_int(o, "ldap.result_code", r->code);
        if (r->diag_len)
            proto_str(o, "ldap.diagnostic_message", (const char *)r->diag,
                      r->diag_len < 1024 ? r->diag_len : 1024);
    }
    proto_end(o);
}

static void req_free(struct ldap_req *q)
{
    buf_release(&q->text);
    memset(q, 0, sizeof *q);
}

static struct ldap_req *find(struct ldap_state *st, int64_t id)
{
    for (int i = 0; st->pend && i < LDAP_PENDING; i++)
        if (st->pend[i].used && st->pend[i].id == id)
            return &st->pend[i];
    return NULL;
}

/* A free slot, writing out the oldest request unanswered when all are taken. */
static struct ldap_req *slot(struct ldap_state *st, struct proto_out *o)
{
    if (!st->pend) {
        st->pend = calloc(LDAP_PENDING, sizeof *st->pend);
        if (!st->pend)
            return NULL;
    }
    struct ldap_req *old = NULL;
    for (int i = 0; i < LDAP_PENDING; i++) {
        if (!st->pend[i].used)
            return &st->pend[i];
        if (!old || st->pend[i].seq < old->seq)
            old = &st->pend[i];
    }
    proto_anomaly(o, "ldap.too_many_pending");
    ldap_emit(o, old, old->id, -1, NULL);
    req_free(old);
    return old;
}

static void flush_pending(struct ldap_state *st, struct proto_out *o)
{
    for (;;) { /* in arrival order */
        struct ldap_req *old = NULL;
        for (int i = 0; st->pend && i < LDAP_PENDING; i++)
            if (st->pend[i].used && (!old || st->pend[i].seq < old->seq))
                old = &st->pend[i];
        if (!old)
            break;
        ldap_emit(o, old, old->id, -1, NULL);
        req_free(old);
    }
}

/* ---------------------------------------------------------------- messages */

static int parse_result(const struct ber *lvl, const struct ber_tlv *t, struct ldap_result *r)
{
    struct ber in;
    struct ber_tlv c, m, d;
    if (ber_enter(lvl, t, &in) || ber_expect(&in, BER_UNIVERSAL, BER_ENUMERATED, &c) != 1 ||
        ber_int(&c, &r->code) || ber_expect(&in, BER_UNIVERSAL, BER_OCTET_STRING, &m) != 1 ||
        ber_expect(&in, BER_UNIVERSAL, BER_OCTET_STRING, &d) != 1)
        return -1;
    r->have = 1;
    r->diag = d.val;
    r->diag_len = d.len;
    return 0;
}

static void on_request(struct ldap_call *k, int64_t id, const struct ber *lvl,
                       const struct ber_tlv *op)
{
    struct ldap_state *st = k->st;
    struct ldap_req *q = find(st, id);
    if (q) { /* a reused id: the earlier request was never answered */
        proto_anomaly(k->o, "ldap.duplicate_message_id");
        ldap_emit(k->o, q, q->id, -1, NULL);
        req_free(q);
    }
    q = slot(st, k->o);
    if (!q)
        return;
    q->used = 1;
    q->seq = ++st->seq;
    q->id = id;
    q->op = (int)op->tag;
    buf_init(&q->text, LDAP_REQ_TEXT);
    int rc = parse_request(lvl, op, q);
    if (rc < 0)
        proto_anomaly(k->o, "ldap.malformed_request");
    else if (rc > 0)
        proto_anomaly(k->o, rc == 1 ? "ldap.filter_truncated" : "ldap.bad_filter");
    if (q->op == OP_UNBIND || q->op == OP_ABANDON) { /* no response comes */
        ldap_emit(k->o, q, id, -1, NULL);
        req_free(q);
    }
}

/* Returns 1 when the session is handed over (StartTLS). */
static int on_response(struct ldap_call *k, int64_t id, const struct ber *lvl,
                       const struct ber_tlv *op)
{
    struct ldap_state *st = k->st;
    struct ldap_req *q = find(st, id);
    if (op->tag == OP_SEARCH_ENTRY || op->tag == OP_SEARCH_REF || op->tag == OP_INTERMEDIATE) {
        if (q && op->tag == OP_SEARCH_ENTRY)
            q->entries++;
        return 0;
    }
    struct ldap_result r = {0};
    if (parse_result(lvl, op, &r))
        proto_anomaly(k->o, "ldap.malformed_response");
    ldap_emit(k->o, q, id, (int)op->tag, &r);
    int tls = 0;
    if (q && r.have && r.code == 0 && q->op == OP_BIND_REQ && q->auth == AUTH_SASL)
        st->sasl_ok = 1; /* a SASL security layer may wrap what follows */
    if (q && r.have && r.code == 0 && q->op == OP_EXT_REQ && q->ext.set &&
        q->ext.len == sizeof LDAP_STARTTLS_OID - 1 &&
        memcmp(q->text.data + q->ext.off, LDAP_STARTTLS_OID, q->ext.len) == 0)
        tls = 1;
    if (q)
        req_free(q);
    return tls;
}

static int ldap_msg(void *ctx, const uint8_t *p, size_t n, size_t total)
{
    struct ldap_call *k = ctx;
    struct ber in;
    struct ber_tlv seq, idt, op;
    int64_t id;
    /* A PDU cut at the cap keeps its head: enough for the id and the operation. */
    if (ber_header(p, n, &seq) || seq.tag != BER_SEQUENCE || !seq.constructed) {
        proto_anomaly(k->o, "ldap.malformed");
        return 0;
    }
    size_t body = n - seq.hdr < seq.len ? n - seq.hdr : seq.len;
    ber_init(&in, p + seq.hdr, body);
    in.depth = 1;
    int ok = ber_expect(&in, BER_UNIVERSAL, BER_INTEGER, &idt) == 1 && !ber_int(&idt, &id);
    struct rdr rest = in.r;
    size_t left = rdr_left(&rest);
    const uint8_t *opp = rdr_bytes(&rest, left);
    if (!ok || !opp || ber_header(opp, left, &op) || op.cls != BER_APPLICATION) {
        proto_anomaly(k->o, "ldap.malformed");
        return 0;
    }
    if (n < total) { /* only the head: count entries, note the rest */
        struct ldap_req *q = find(k->st, id);
        if (op.tag == OP_SEARCH_ENTRY && k->dir == PROTO_DIR_SERVER && q)
            q->entries++;
        else
            proto_anomaly(k->o, "ldap.message_too_big");
        return 0;
    }
    if (ber_next(&in, &op) != 1) {
        proto_anomaly(k->o, "ldap.malformed");
        return 0;
    }
    if (!op_name((int)op.tag)) {
        proto_anomaly(k->o, "ldap.unknown_operation");
        return 0;
    }
    if (k->dir == PROTO_DIR_CLIENT && is_request((int)op.tag)) {
        on_request(k, id, &in, &op);
        return 0;
    }
    if (k->dir == PROTO_DIR_SERVER && !is_request((int)op.tag))
        return on_response(k, id, &in, &op);
    proto_anomaly(k->o, "ldap.wrong_direction");
    return 0;
}

static size_t ldap_len(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n && p[0] != 0x30) /* not an LDAPMessage: SASL-wrapped, or not LDAP */
        return PDU_BAD;
    long t = ber_frame_len(p, n);
    return t < 0 ? PDU_BAD : (size_t)t;
}

/* ---------------------------------------------------------------- parser */

static int ldap_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    struct ber_tlv t;
    /* SEQUENCE { INTEGER messageID, [APPLICATION n] … } */
    if (n >= 7 && !ber_header(d, n, &t) && t.tag == BER_SEQUENCE && t.constructed &&
        t.cls == BER_UNIVERSAL) {
        size_t off = t.hdr;
        if (!ber_header(d + off, n - off, &t) && t.cls == BER_UNIVERSAL && t.tag == BER_INTEGER &&
            t.len >= 1 && t.len <= 4 && n - off - t.hdr > t.len) {
            off += t.hdr + t.len;
            if (!ber_header(d + off, n - off, &t) && t.cls == BER_APPLICATION &&
                op_name((int)t.tag))
                return PROTO_CONTENT;
        }
    }
    if (c->l4 == 6 && (c->srv_port == 389 || c->srv_port == 3268))
        return PROTO_PORT;
    return PROTO_NO;
}

static int ldap_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                     const uint8_t *d, size_t n)
{
    struct ldap_state *st = vst;
    if (st->stopped)
        return 1;
    if (dir != 0 && dir != 1)
        return 0;
    pdu_pair_use(&st->pdu, LDAP_MSG_CAP);
    if (!st->done[dir]) {
        struct ldap_call k = {st, o, c, dir};
        int rc = pdu_feed(&st->pdu.dir[dir], d, n, ldap_len, ldap_msg, &k);
        if (rc == 1) {
            proto_switch(o, "tls");
            st->done[0] = st->done[1] = 1;
        } else if (rc < 0) {
            if (!st->sasl_ok)
                proto_anomaly(o, "ldap.not_ber");
            st->done[dir] = 1;
            if (st->sasl_ok) /* the security layer covers both directions */
                st->done[!dir] = 1;
        }
    }
    if (st->done[0] && st->done[1]) {
        flush_pending(st, o);
        st->stopped = 1;
        return 1;
    }
    return 0;
}

static void ldap_gap(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct ldap_state *st = vst;
    (void)c;
    (void)n;
    if ((dir != 0 && dir != 1) || !st->pdu.inited || st->done[dir])
        return;
    proto_anomaly(o, "ldap.gap");
    st->done[dir] = 1; /* no way to find the next PDU boundary */
}

static void ldap_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    (void)c;
    flush_pending(vst, o);
}

static void ldap_release(void *vst)
{
    struct ldap_state *st = vst;
    if (st->pend) {
        for (int i = 0; i < LDAP_PENDING; i++)
            buf_release(&st->pend[i].text);
        free(st->pend);
        st->pend = NULL;
    }
    pdu_pair_release(&st->pdu);
}

const struct proto_parser proto_ldap = {
    .name = "ldap",
    .l4 = 6,
    .probe = ldap_probe,
    .state_size = sizeof(struct ldap_state),
    .data = ldap_data,
    .gap = ldap_gap,
    .end = ldap_end,
    .release = ldap_release,
};
