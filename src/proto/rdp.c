/*
 * rdp.c — RDP connection initiation: X.224 Connection Request / Confirm.
 *
 * [MS-RDPBCGR] §2.2.1.1 (Client X.224 Connection Request PDU) and §2.2.1.2
 * (Server X.224 Connection Confirm PDU), carried in TPKT (RFC 1006 §6) and an
 * X.224 class-0 TPDU (ITU-T X.224 §13.3 / §13.4):
 *
 *   TPKT   version=3  reserved=0  length (u16 BE, the whole PDU)
 *   X.224  LI (header length after this byte)  code (0xE0 CR / 0xD0 CC)
 *          DST-REF (u16)  SRC-REF (u16)  class option (u8)
 *   CR:    [routingToken or cookie "Cookie: mstshash=IDENTIFIER\r\n"]
 *          [rdpNegReq:     type=0x01 flags length=8 (u16 LE) requestedProtocols (u32 LE)]
 *          [rdpCorrelationInfo]
 *   CC:    [rdpNegRsp:     type=0x02 flags length=8 selectedProtocol (u32 LE)]
 *          [rdpNegFailure: type=0x03 flags length=8 failureCode (u32 LE)]
 *
 * Protocol flags (§2.2.1.1.1): 0 RDP (standard security), 1 SSL, 2 HYBRID (CredSSP),
 * 4 RDSTLS, 8 HYBRID_EX, 0x10 RDSAAD.  With anything but standard RDP security the
 * TLS handshake follows directly on the TCP stream after the Connection Confirm
 * (§1.3.1.1, §5.4.5), so the session is handed to the "tls" parser there.
 */
#include "proto/rdp.h"

#include "proto/pdu.h"

#include "core/rdr.h"

#include <stdio.h>
#include <string.h>

#define RDP_PDU_CAP 4096 /* a CR or CC is tens of bytes */
#define RDP_COOKIE_MAX 255
#define X224_CR 0xe0
#define X224_CC 0xd0

struct rdp_state {
    struct pdu_pair pdu;
    int emitted, done;
    int have_cr, have_cc, has_cookie, has_neg_req, has_neg_rsp, has_failure;
    uint32_t requested, selected, failure;
    char cookie[RDP_COOKIE_MAX + 1];
};

struct rdp_call {
    struct rdp_state *st;
    struct proto_out *o;
    int dir;
};

static const char *const rdp_protos[] = {"SSL", "HYBRID", "RDSTLS", "HYBRID_EX", "RDSAAD"};

static const char *failure_name(uint32_t c)
{
    static const char *const n[] = {NULL,
                                    "SSL_REQUIRED_BY_SERVER",
                                    "SSL_NOT_ALLOWED_BY_SERVER",
                                    "SSL_CERT_NOT_ON_SERVER",
                                    "INCONSISTENT_FLAGS",
                                    "HYBRID_REQUIRED_BY_SERVER",
                                    "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"};
    return c < sizeof n / sizeof n[0] ? n[c] : NULL;
}

static void put_code(struct proto_out *o, const char *path, const char *name, uint32_t v)
{
    char t[16];
    if (!name) {
        snprintf(t, sizeof t, "0x%x", v);
        name = t;
    }
    proto_cstr(o, path, name);
}

static void rdp_emit(struct rdp_state *st, struct proto_out *o)
{
    if (st->emitted || !(st->have_cr || st->have_cc))
        return;
    st->emitted = 1;
    proto_begin(o, "rdp");
    if (st->has_cookie)
        proto_cstr(o, "rdp.cookie", st->cookie);
    if (st->have_cr) {
        /* no rdpNegReq: the client knows standard RDP security only (§2.2.1.1) */
        uint32_t r = st->has_neg_req ? st->requested : 0;
        if (r == 0)
            proto_cstr(o, "rdp.requested_protocols", "RDP");
        for (size_t i = 0; i < sizeof rdp_protos / sizeof rdp_protos[0]; i++)
            if (r & (1u << i))
                proto_cstr(o, "rdp.requested_protocols", rdp_protos[i]);
        if (r >> 5)
            put_code(o, "rdp.requested_protocols", NULL, r & ~0x1fu);
    }
    if (st->has_neg_rsp) {
        const char *name = st->selected == 0 ? "RDP" : NULL;
        for (size_t i = 0; i < sizeof rdp_protos / sizeof rdp_protos[0]; i++)
            if (st->selected == 1u << i)
                name = rdp_protos[i];
        put_code(o, "rdp.selected_protocol", name, st->selected);
    } else if (st->have_cc && !st->has_failure) {
        proto_cstr(o, "rdp.selected_protocol", "RDP");
    }
    if (st->has_failure)
        put_code(o, "rdp.failure_code", failure_name(st->failure), st->failure);
    proto_end(o);
}

static size_t tpkt_len(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n < 4)
        return 0;
    if (p[0] != 3 || p[1] != 0)
        return PDU_BAD;
    uint16_t len = ld_u16be(p + 2);
    return len < 11 ? PDU_BAD : len; /* TPKT 4 + the 7-byte fixed CR/CC header */
}

/* The cookie line of a CR: "Cookie: mstshash=USER\r\n" (a routing token is skipped). */
static void cr_token(struct rdp_state *st, struct proto_out *o, struct rdr *r)
{
    static const char ck[] = "Cookie: mstshash=";
    struct rdr peek = *r;
    size_t left = rdr_left(r);
    const uint8_t *p = rdr_bytes(&peek, left);
    if (!p || left < 8 || memcmp(p, "Cookie: ", 8) != 0)
        return;
    size_t end = 0;
    while (end + 1 < left && !(p[end] == '\r' && p[end + 1] == '\n'))
        end++;
    if (end + 1 >= left) {
        proto_anomaly(o, "rdp.cookie_unterminated");
        rdr_skip(r, left);
        return;
    }
    if (end >= sizeof ck - 1 && memcmp(p, ck, sizeof ck - 1) == 0) {
        size_t n = end - (sizeof ck - 1);
        if (n > RDP_COOKIE_MAX) {
            proto_anomaly(o, "rdp.cookie_too_long");
            n = RDP_COOKIE_MAX;
        }
        memcpy(st->cookie, p + sizeof ck - 1, n);
        st->cookie[n] = 0;
        st->has_cookie = 1;
    }
    rdr_skip(r, end + 2);
}

static int rdp_frame(void *ctx, const uint8_t *p, size_t n, size_t total)
{
    struct rdp_call *k = ctx;
    struct rdp_state *st = k->st;
    struct rdr r;
    rdr_init(&r, p, n);
    rdr_skip(&r, 4);
    uint8_t li = rdr_u8(&r);
    uint8_t code = rdr_u8(&r) & 0xf0;
    rdr_skip(&r, 5); /* DST-REF, SRC-REF, class option */
    if (!rdr_ok(&r) || li < 6) {
        proto_anomaly(k->o, "rdp.bad_x224_length");
        return 1;
    }
    /* The variable part runs to the end of the TPKT; LI should say the same (RDP puts no
     * user data after it) but a long cookie overflows the one-byte LI, so trust TPKT. */
    if ((size_t)li + 5 != total)
        proto_anomaly(k->o, "rdp.x224_li_mismatch");
    struct rdr v;
    rdr_init(&v, rdr_bytes(&r, rdr_left(&r)), n - 11);
    if (k->dir == PROTO_DIR_CLIENT && code == X224_CR && !st->have_cr) {
        st->have_cr = 1;
        cr_token(st, k->o, &v);
        struct rdr peek = v;
        if (rdr_left(&v) >= 8 && rdr_u8(&peek) == 0x01) {
            rdr_skip(&v, 4); /* type, flags, length */
            st->requested = rdr_u32le(&v);
            st->has_neg_req = 1;
        }
        return 0;
    }
    if (k->dir == PROTO_DIR_SERVER && code == X224_CC) {
        st->have_cc = 1;
        if (rdr_left(&v) >= 8) {
            uint8_t type = rdr_u8(&v);
            rdr_skip(&v, 3);
            uint32_t val = rdr_u32le(&v);
            if (type == 0x02) {
                st->selected = val;
                st->has_neg_rsp = 1;
            } else if (type == 0x03) {
                st->failure = val;
                st->has_failure = 1;
            }
        }
        rdp_emit(st, k->o);
        if (st->has_neg_rsp && st->selected != 0)
            proto_switch(k->o, "tls"); /* TLS starts with the next bytes */
        st->done = 1;
        return 1;
    }
    proto_anomaly(k->o, "rdp.unexpected_tpdu");
    return 1;
}

static int rdp_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    if (dir == PROTO_DIR_CLIENT && n >= 11 && d[0] == 3 && d[1] == 0 && (d[5] & 0xf0) == X224_CR &&
        (size_t)d[4] + 5 == ld_u16be(d + 2))
        return PROTO_CONTENT;
    if (c->l4 == 6 && (c->srv_port == 3389 || c->cli_port == 3389))
        return PROTO_PORT;
    return PROTO_NO;
}

static int rdp_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *d, size_t n)
{
    struct rdp_state *st = vst;
    (void)c;
    if (st->done || (dir != 0 && dir != 1))
        return 1;
    pdu_pair_use(&st->pdu, RDP_PDU_CAP);
    struct rdp_call k = {st, o, dir};
    int rc = pdu_feed(&st->pdu.dir[dir], d, n, tpkt_len, rdp_frame, &k);
    if (rc < 0) {
        proto_anomaly(o, "rdp.not_tpkt");
        st->done = 1;
    } else if (rc > 0) {
        st->done = 1;
    }
    if (st->done)
        rdp_emit(st, o);
    return st->done;
}

static void rdp_gap(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct rdp_state *st = vst;
    (void)c;
    (void)dir;
    (void)n;
    if (!st->done)
        proto_anomaly(o, "rdp.gap");
    st->done = 1; /* the next byte is no TPKT header */
    rdp_emit(st, o);
}

static void rdp_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    (void)c;
    rdp_emit(vst, o);
}

static void rdp_release(void *vst)
{
    struct rdp_state *st = vst;
    pdu_pair_release(&st->pdu);
}

const struct proto_parser proto_rdp = {
    .name = "rdp",
    .l4 = 6,
    .probe = rdp_probe,
    .state_size = sizeof(struct rdp_state),
    .data = rdp_data,
    .gap = rdp_gap,
    .end = rdp_end,
    .release = rdp_release,
};
