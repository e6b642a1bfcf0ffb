/*
 * test_dcerpc.c — DCE-RPC over TCP and SMB pipes: hand-built PDUs in both byte
 * orders (bind, bind_ack, request, response, fault, fragments, auth trailers), NDR
 * stub decoding (svcctl CreateService*, atsvc NetrJobAdd, SchRpcRegisterTask), caps,
 * and real captures (Zeek's drsuapi trace, PCAP-ATTACK's EPM scan and PsExec,
 * suricata-verify's PsExec over SMB2).
 */
#include "decode/decode.h"
#include "proto/dcerpc.h"
#include "proto/proto.h"
#include "t.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SVCCTL "367abb81-9844-35f1-ad32-98f038001003"
#define NDR "8a885d04-1ceb-11c9-9fe8-08002b104860"
#define BTFN "6cb71c2c-9812-4540-0300-000000000000"
#define ATSVC "1ff70682-0a51-30e8-076d-740be8cee98b"
#define TSCH "86d35949-83c9-4044-b424-db363231fd0c"

/* ---------------------------------------------------------------- PDU builder */

struct pb {
    uint8_t b[1 << 17];
    size_t n;
    int le;
};

static void pb_u8(struct pb *p, uint8_t v)
{
    p->b[p->n++] = v;
}

static void pb_u16(struct pb *p, uint16_t v)
{
    pb_u8(p, (uint8_t)(p->le ? v : v >> 8));
    pb_u8(p, (uint8_t)(p->le ? v >> 8 : v));
}

static void pb_u32(struct pb *p, uint32_t v)
{
    if (p->le) {
        pb_u16(p, (uint16_t)v);
        pb_u16(p, (uint16_t)(v >> 16));
    } else {
        pb_u16(p, (uint16_t)(v >> 16));
        pb_u16(p, (uint16_t)v);
    }
}

static void pb_bytes(struct pb *p, const void *d, size_t n)
{
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void pb_align(struct pb *p, size_t a)
{
    while (p->n % a)
        pb_u8(p, 0);
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in wire order for p's byte order. */
static void pb_uuid(struct pb *p, const char *s)
{
    unsigned a, b, c, d[8];
    sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c, &d[0], &d[1], &d[2], &d[3],
           &d[4], &d[5], &d[6], &d[7]);
    pb_u32(p, a);
    pb_u16(p, (uint16_t)b);
    pb_u16(p, (uint16_t)c);
    for (int i = 0; i < 8; i++)
        pb_u8(p, (uint8_t)d[i]);
}

static void pb_hdr(struct pb *p, int le, uint8_t ptype, uint8_t flags, uint32_t call_id)
{
    p->n = 0;
    p->le = le;
    uint8_t h[8] = {5, 0, ptype, flags, le ? 0x10 : 0x00, 0, 0, 0};
    pb_bytes(p, h, sizeof h);
    pb_u16(p, 0); /* frag_length, set by pb_done */
    pb_u16(p, 0); /* auth_length */
    pb_u32(p, call_id);
}

/* Optional auth verifier, then frag_length/auth_length into the header. */
static void pb_done_auth(struct pb *p, uint8_t type, uint8_t level, uint16_t auth_len)
{
    size_t pad = (4 - p->n % 4) % 4;
    for (size_t i = 0; i < pad; i++)
        pb_u8(p, 0xaa);
    uint8_t t[4] = {type, level, (uint8_t)pad, 0};
    pb_bytes(p, t, 4);
    pb_u32(p, 0);
    for (uint16_t i = 0; i < auth_len; i++)
        pb_u8(p, 0x55);
    size_t n = p->n;
    p->n = 8;
    pb_u16(p, (uint16_t)n);
    pb_u16(p, auth_len);
    p->n = n;
}

static void pb_done(struct pb *p)
{
    size_t n = p->n;
    p->n = 8;
    pb_u16(p, (uint16_t)n);
    p->n = n;
}

struct ctxdef {
    uint16_t id;
    const char *uuid;
    uint16_t vmaj, vmin;
    const char *xfer;
};

static void pb_bind(struct pb *p, int le, uint8_t ptype, uint32_t call_id, const struct ctxdef *c,
                    size_t n)
{
    pb_hdr(p, le, ptype, 3, call_id);
    pb_u16(p, 4280);
    pb_u16(p, 4280);
    pb_u32(p, 0);
    pb_u8(p, (uint8_t)n);
    pb_u8(p, 0);
    pb_u16(p, 0);
    for (size_t i = 0; i < n; i++) {
        pb_u16(p, c[i].id);
        pb_u8(p, 1);
        pb_u8(p, 0);
        pb_uuid(p, c[i].uuid);
        pb_u32(p, (uint32_t)c[i].vmin << 16 | c[i].vmaj);
        pb_uuid(p, c[i].xfer);
        pb_u32(p, 2);
    }
}

static void pb_bind_ack(struct pb *p, int le, uint32_t call_id, const char *sec,
                        const uint16_t *res, size_t n)
{
    pb_hdr(p, le, 12, 3, call_id);
    pb_u16(p, 4280);
    pb_u16(p, 4280);
    pb_u32(p, 0x1234);
    pb_u16(p, (uint16_t)(strlen(sec) + 1));
    pb_bytes(p, sec, strlen(sec) + 1);
    pb_align(p, 4);
    pb_u8(p, (uint8_t)n);
    pb_u8(p, 0);
    pb_u16(p, 0);
    for (size_t i = 0; i < n; i++) {
        pb_u16(p, res[i]);
        pb_u16(p, 0);
        pb_uuid(p, NDR);
        pb_u32(p, 2);
    }
}

static void pb_request(struct pb *p, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
                       uint16_t opnum, const uint8_t *stub, size_t n)
{
    pb_hdr(p, le, 0, flags, call_id);
    pb_u32(p, (uint32_t)n);
    pb_u16(p, ctx);
    pb_u16(p, opnum);
    pb_bytes(p, stub, n);
}

static void pb_response(struct pb *p, int le, uint8_t flags, uint32_t call_id, uint16_t ctx,
                        size_t stub_len)
{
    pb_hdr(p, le, 2, flags, call_id);
    pb_u32(p, (uint32_t)stub_len);
    pb_u16(p, ctx);
    pb_u16(p, 0);
    for (size_t i = 0; i < stub_len; i++)
        pb_u8(p, (uint8_t)i);
}

static void pb_fault(struct pb *p, int le, uint32_t call_id, uint16_t ctx, uint32_t status)
{
    pb_hdr(p, le, 3, 3, call_id);
    pb_u32(p, 0);
    pb_u16(p, ctx);
    pb_u16(p, 0);
    pb_u32(p, status);
    pb_u32(p, 0);
    pb_done(p);
}

/* NDR conformant varying string of wchar_t (wide; s is UTF-8 of the BMP) or char, with NUL. */
static void ndr_str(struct pb *p, const char *s, int wide)
{
    uint16_t u[4096];
    uint32_t n = 0;
    for (const uint8_t *q = (const uint8_t *)s;; q++) {
        uint16_t ch = *q;
        if (wide && *q >= 0xe0) {
            ch = (uint16_t)((q[0] & 0x0f) << 12 | (q[1] & 0x3f) << 6 | (q[2] & 0x3f));
            q += 2;
        } else if (wide && *q >= 0xc0) {
            ch = (uint16_t)((q[0] & 0x1f) << 6 | (q[1] & 0x3f));
            q += 1;
        }
        u[n++] = ch;
        if (!*q)
            break;
    }
    pb_align(p, 4);
    pb_u32(p, n);
    pb_u32(p, 0);
    pb_u32(p, n);
    for (uint32_t i = 0; i < n; i++) {
        if (wide)
            pb_u16(p, u[i]);
        else
            pb_u8(p, (uint8_t)u[i]);
    }
}

static void ndr_unique_str(struct pb *p, const char *s, int wide)
{
    pb_align(p, 4);
    pb_u32(p, s ? 0x00020000 : 0);
    if (s)
        ndr_str(p, s, wide);
}

/* RCreateServiceW/A stub ([MS-SCMR] 3.1.4.12), from the handle to lpBinaryPathName and on. */
static void stub_create_service(struct pb *s, int le, int wide, const char *name,
                                const char *display, uint32_t start, const char *path)
{
    s->n = 0;
    s->le = le;
    for (int i = 0; i < 20; i++)
        pb_u8(s, (uint8_t)(0xc0 + i)); /* hSCManager */
    ndr_str(s, name, wide);
    ndr_unique_str(s, display, wide);
    pb_align(s, 4);
    pb_u32(s, 0x000f01ff); /* SERVICE_ALL_ACCESS */
    pb_u32(s, 0x10);       /* SERVICE_WIN32_OWN_PROCESS */
    pb_u32(s, start);
    pb_u32(s, 0); /* dwErrorControl */
    ndr_str(s, path, wide);
    for (int i = 0; i < 6; i++)
        pb_u32(s, 0); /* lpLoadOrderGroup … dwPwSize: NULLs and zero sizes */
}

/* ---------------------------------------------------------------- helpers */

static void feed(struct dcerpc_conn *c, struct proto_out *o, int dir, const struct pb *p)
{
    dcerpc_conn_data(c, o, dir, p->b, p->n);
}

/* A bind for svcctl (ctx 0, NDR) + bind-time feature negotiation (ctx 1), accepted. */
static void bind_svcctl(struct dcerpc_conn *c, struct proto_out *o, int le, struct pb *p)
{
    const struct ctxdef cx[] = {{0, SVCCTL, 2, 0, NDR}, {1, SVCCTL, 2, 0, BTFN}};
    const uint16_t res[] = {0, 3};
    pb_bind(p, le, 11, 1, cx, 2);
    pb_done(p);
    feed(c, o, 0, p);
    pb_bind_ack(p, le, 1, "\\PIPE\\svcctl", res, 2);
    pb_done(p);
    feed(c, o, 1, p);
}

/* ---------------------------------------------------------------- tests */

static void bind_call_roundtrip(int le)
{
    static struct pb p;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    ASSERT_TRUE(c != NULL);
    bind_svcctl(c, &o, le, &p);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].type, "dcerpc.bind");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.type"), "bind");
    ASSERT_EQ(proto_out_count(&o, 0, "dcerpc.bind.contexts.uuid"), 2);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.name"), "svcctl");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.uuid"), SVCCTL);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.version"), "2.0");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.result", 0), "accepted");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.result", 1), "negotiate_ack");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.accepted", 0), "true");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.accepted", 1), "false");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.transfer_syntax", 0), "ndr");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.transfer_syntax", 1),
                  "bind_time_feature_negotiation");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.secondary_address"), "\\PIPE\\svcctl");
    ASSERT_TRUE(proto_out_get(&o, 0, "dcerpc.pipe") == NULL);

    uint8_t stub[28] = {0};
    pb_request(&p, le, 3, 2, 0, 15, stub, sizeof stub); /* ROpenSCManagerW */
    pb_done(&p);
    feed(c, &o, 0, &p);
    ASSERT_EQ(o.nrecs, 1); /* waits for its response */
    pb_response(&p, le, 3, 2, 0, 24);
    pb_done(&p);
    feed(c, &o, 1, &p);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(o.recs[1].type, "dcerpc");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.interface.uuid"), SVCCTL);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.interface.name"), "svcctl");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.interface.version"), "2.0");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.opnum"), "15");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.operation"), "OpenSCManagerW");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.call_id"), "2");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.request.stub_bytes"), "28");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.response.stub_bytes"), "24");
    ASSERT_TRUE(proto_out_get(&o, 1, "dcerpc.status") == NULL);
    ASSERT_TRUE(proto_out_get(&o, 1, "dcerpc.auth.type") == NULL);
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_bind_request_response_little_endian)
{
    bind_call_roundtrip(1);
}

TEST(dcerpc_bind_request_response_big_endian)
{
    bind_call_roundtrip(0);
}

static void create_service_case(int le, int wide, uint16_t opnum, const char *pipe)
{
    static struct pb p, s;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(pipe);
    bind_svcctl(c, &o, le, &p);
    stub_create_service(&s, le, wide, "evilsvc", wide ? "Évil Service" : NULL, 2,
                        "C:\\Windows\\evil.exe -k");
    pb_request(&p, le, 3, 7, 0, opnum, s.b, s.n);
    pb_done(&p);
    feed(c, &o, 0, &p);
    pb_response(&p, le, 3, 7, 0, 28);
    pb_done(&p);
    feed(c, &o, 1, &p);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.service_name"), "evilsvc");
    if (wide)
        ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.display_name"), "Évil Service");
    else
        ASSERT_TRUE(proto_out_get(&o, 1, "dcerpc.svcctl.display_name") == NULL);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.binary_path"), "C:\\Windows\\evil.exe -k");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.start_type"), "auto_start");
    if (pipe)
        ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.pipe"), pipe);
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_create_service_w_stub)
{
    /* "É" is U+00C9 in UTF-16 on the wire and comes back as UTF-8 */
    create_service_case(1, 1, 12, "svcctl");
}

TEST(dcerpc_create_service_w_big_endian_stub)
{
    create_service_case(0, 1, 12, NULL);
}

TEST(dcerpc_create_service_a_and_wow64_stub)
{
    create_service_case(1, 0, 24, "svcctl");
    T_STOP_IF_FAILED();
    create_service_case(1, 1, 45, "svcctl");
}

TEST(dcerpc_fragmented_request_byte_by_byte)
{
    static struct pb p, s, all;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new("svcctl");
    bind_svcctl(c, &o, 1, &p);
    stub_create_service(&s, 1, 1, "fragsvc", "Frag", 3, "cmd.exe /c whoami");
    /* three fragments: first (0x01), middle (0x00), last (0x02), delivered one byte at a time */
    size_t cut[4] = {0, 17, 60, s.n};
    all.n = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t fl = (uint8_t)((i == 0 ? 1 : 0) | (i == 2 ? 2 : 0));
        pb_request(&p, 1, fl, 9, 0, 12, s.b + cut[i], cut[i + 1] - cut[i]);
        pb_done(&p);
        memcpy(all.b + all.n, p.b, p.n);
        all.n += p.n;
    }
    for (size_t i = 0; i < all.n; i++)
        dcerpc_conn_data(c, &o, 0, all.b + i, 1);
    pb_response(&p, 1, 1, 9, 0, 10); /* a response in two fragments too */
    pb_done(&p);
    feed(c, &o, 1, &p);
    ASSERT_EQ(o.nrecs, 1);
    pb_response(&p, 1, 2, 9, 0, 18);
    pb_done(&p);
    feed(c, &o, 1, &p);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.operation"), "CreateServiceW");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.service_name"), "fragsvc");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.display_name"), "Frag");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.binary_path"), "cmd.exe /c whoami");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.start_type"), "demand_start");
    char want[16];
    snprintf(want, sizeof want, "%zu", s.n);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.request.stub_bytes"), want);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.response.stub_bytes"), "28");
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_fault_status)
{
    static struct pb p;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    bind_svcctl(c, &o, 1, &p);
    uint8_t stub[8] = {0};
    pb_request(&p, 1, 3, 4, 0, 99, stub, sizeof stub); /* no such opnum */
    pb_done(&p);
    feed(c, &o, 0, &p);
    pb_fault(&p, 1, 4, 0, 0x1c010002);
    feed(c, &o, 1, &p);
    pb_request(&p, 1, 3, 5, 0, 2, stub, sizeof stub); /* RDeleteService */
    pb_done(&p);
    feed(c, &o, 0, &p);
    pb_fault(&p, 1, 5, 0, 0xdeadbeef);
    feed(c, &o, 1, &p);
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.operation"), "opnum 99");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.status"), "nca_s_op_rng_error");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.status_code"), "469827586");
    ASSERT_TRUE(proto_out_get(&o, 1, "dcerpc.response.stub_bytes") != NULL);
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.operation"), "DeleteService");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.status"), "0xdeadbeef");
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_auth_verifier_sealed_and_signed)
{
    static struct pb p, s;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    bind_svcctl(c, &o, 1, &p);
    /* packet integrity (5): the stub is plain, the 16-byte NTLM signature and pad are cut off */
    stub_create_service(&s, 1, 1, "signed", NULL, 4, "x.exe");
    s.n -= 1; /* make the stub end unaligned so the verifier needs padding */
    pb_request(&p, 1, 3, 2, 0, 12, s.b, s.n);
    pb_done_auth(&p, 10, 5, 16);
    feed(c, &o, 0, &p);
    /* packet privacy (6): the stub is sealed, nothing is decoded */
    stub_create_service(&s, 1, 1, "sealed", NULL, 4, "y.exe");
    pb_request(&p, 1, 3, 3, 0, 12, s.b, s.n);
    pb_done_auth(&p, 9, 6, 76);
    feed(c, &o, 0, &p);
    dcerpc_conn_end(c, &o); /* neither call was answered */
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.service_name"), "signed");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.binary_path"), "x.exe");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.start_type"), "disabled");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.auth.type"), "ntlmssp");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.auth.level"), "integrity");
    char want[16];
    snprintf(want, sizeof want, "%zu", s.n - 1);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.request.stub_bytes"), want);
    ASSERT_TRUE(proto_out_get(&o, 1, "dcerpc.response.stub_bytes") == NULL);
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.operation"), "CreateServiceW");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.auth.type"), "spnego");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.auth.level"), "privacy");
    ASSERT_TRUE(proto_out_get(&o, 2, "dcerpc.svcctl.service_name") == NULL);
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_atsvc_job_add_and_task_register)
{
    static struct pb p, s;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new("atsvc");
    const struct ctxdef cx[] = {{0, ATSVC, 1, 0, NDR}, {1, TSCH, 1, 0, NDR}};
    const uint16_t res[] = {0, 0};
    pb_bind(&p, 1, 11, 1, cx, 2);
    pb_done(&p);
    feed(c, &o, 0, &p);
    pb_bind_ack(&p, 1, 1, "\\PIPE\\atsvc", res, 2);
    pb_done(&p);
    feed(c, &o, 1, &p);
    /* NetrJobAdd: ServerName (unique), AT_INFO {JobTime, DaysOfMonth, DaysOfWeek, Flags, Command}
     */
    s.n = 0;
    s.le = 1;
    ndr_unique_str(&s, "\\\\dc01", 1);
    pb_align(&s, 4);
    pb_u32(&s, 36000000);
    pb_u32(&s, 0);
    pb_u8(&s, 0x7f);
    pb_u8(&s, 0x10);
    ndr_unique_str(&s, "cmd /c net user x /add", 1);
    pb_request(&p, 1, 3, 2, 0, 0, s.b, s.n);
    pb_done(&p);
    feed(c, &o, 0, &p);
    /* SchRpcRegisterTask: path (unique), xml, flags … ; the XML is kept to 1 KiB */
    char xml[3000];
    memset(xml, 'x', sizeof xml - 1);
    memcpy(xml, "<Task>", 6);
    xml[sizeof xml - 1] = 0;
    s.n = 0;
    ndr_unique_str(&s, "\\Microsoft\\evil", 1);
    ndr_str(&s, xml, 1);
    pb_align(&s, 4);
    pb_u32(&s, 6);
    pb_request(&p, 1, 3, 3, 1, 1, s.b, s.n);
    pb_done(&p);
    feed(c, &o, 0, &p);
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.interface.name"), "atsvc");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.operation"), "NetrJobAdd");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.atsvc.command"), "cmd /c net user x /add");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.pipe"), "atsvc");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.interface.name"), "ITaskSchedulerService");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.operation"), "SchRpcRegisterTask");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.task.path"), "\\Microsoft\\evil");
    const char *x = proto_out_get(&o, 2, "dcerpc.task.xml");
    ASSERT_TRUE(x != NULL);
    ASSERT_EQ(strlen(x), 1024);
    ASSERT_TRUE(strncmp(x, "<Task>xxx", 9) == 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_caps_calls_and_contexts)
{
    static struct pb p;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    struct ctxdef cx[70];
    for (int i = 0; i < 70; i++)
        cx[i] = (struct ctxdef){(uint16_t)i, SVCCTL, 2, 0, NDR};
    pb_bind(&p, 1, 11, 1, cx, 70);
    pb_done(&p);
    feed(c, &o, 0, &p);
    ASSERT_EQ(proto_out_anomaly(&o, "dcerpc.too_many_contexts"), 6);
    uint8_t stub[4] = {0};
    for (uint32_t id = 1; id <= 300; id++) {
        pb_request(&p, 1, 3, id, 0, 6, stub, sizeof stub);
        pb_done(&p);
        feed(c, &o, 0, &p);
    }
    ASSERT_EQ(proto_out_anomaly(&o, "dcerpc.too_many_calls"), 44);
    ASSERT_EQ(o.nrecs, 44);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.call_id"), "1"); /* the oldest went first */
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 44 + 256 + 1);
    long b = proto_out_find(&o, "dcerpc.bind", 0);
    ASSERT_GE(b, 0);
    ASSERT_EQ(proto_out_count(&o, (size_t)b, "dcerpc.bind.contexts.id"), 64);
    ASSERT_STR_EQ(proto_out_get(&o, (size_t)b, "dcerpc.bind.contexts.result"), "no_result");
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_stub_cap_one_mib)
{
    static struct pb p, s;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    bind_svcctl(c, &o, 1, &p);
    stub_create_service(&s, 1, 1, "big", NULL, 2, "p.exe");
    pb_request(&p, 1, 1, 2, 0, 12, s.b, s.n);
    pb_done(&p);
    feed(c, &o, 0, &p);
    static uint8_t junk[60000];
    for (int i = 0; i < 20; i++) { /* 1.2 MB of middle fragments */
        pb_request(&p, 1, 0, 2, 0, 12, junk, sizeof junk);
        pb_done(&p);
        feed(c, &o, 0, &p);
    }
    pb_request(&p, 1, 2, 2, 0, 12, junk, 10);
    pb_done(&p);
    feed(c, &o, 0, &p);
    ASSERT_EQ(proto_out_anomaly(&o, "dcerpc.stub_too_big"), 1);
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.svcctl.service_name"), "big"); /* the prefix */
    char want[16];
    snprintf(want, sizeof want, "%zu", s.n + 20 * sizeof junk + 10);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.request.stub_bytes"), want);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

/* Many CreateServiceW calls growing at once share a 4 MiB budget per connection. */
TEST(dcerpc_stub_budget_per_connection)
{
    static struct pb p, s;
    static uint8_t junk[60000];
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    bind_svcctl(c, &o, 1, &p);
    stub_create_service(&s, 1, 1, "many", NULL, 2, "m.exe");
    for (uint32_t id = 10; id < 20; id++) {
        pb_request(&p, 1, 1, id, 0, 12, s.b, s.n);
        pb_done(&p);
        feed(c, &o, 0, &p);
    }
    for (int round = 0; round < 10; round++) /* 10 calls x 10 x 60 kB = 6 MB offered */
        for (uint32_t id = 10; id < 20; id++) {
            pb_request(&p, 1, 0, id, 0, 12, junk, sizeof junk);
            pb_done(&p);
            feed(c, &o, 0, &p);
        }
    ASSERT_GE(proto_out_anomaly(&o, "dcerpc.stub_too_big"), 1);
    for (uint32_t id = 10; id < 20; id++) {
        pb_request(&p, 1, 2, id, 0, 12, junk, 4);
        pb_done(&p);
        feed(c, &o, 0, &p);
    }
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 11);
    for (size_t i = 1; i < 11; i++) /* every call kept its prefix */
        ASSERT_STR_EQ(proto_out_get(&o, i, "dcerpc.svcctl.service_name"), "many");
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_garbage_resync_and_truncated_stub)
{
    static struct pb p, s;
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    bind_svcctl(c, &o, 1, &p);
    const uint8_t junk[40] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    dcerpc_conn_data(c, &o, 0, junk, sizeof junk);
    ASSERT_EQ(proto_out_anomaly(&o, "dcerpc.bad_header"), 1);
    /* a CreateServiceW whose stub stops inside the binary path string */
    stub_create_service(&s, 1, 1, "cut", NULL, 2, "C:\\a\\very\\long\\path.exe");
    pb_request(&p, 1, 3, 2, 0, 12, s.b, s.n - 40);
    pb_done(&p);
    feed(c, &o, 0, &p);
    ASSERT_EQ(proto_out_anomaly(&o, "dcerpc.stub_truncated"), 1);
    /* a response with an impossible auth_length, and one nobody asked for */
    pb_response(&p, 1, 3, 2, 0, 4);
    pb_done(&p);
    p.b[10] = 0xf0; /* auth_len 240 > frag_len … not plausible: skipped as garbage */
    feed(c, &o, 1, &p);
    pb_response(&p, 1, 3, 77, 0, 4);
    pb_done(&p);
    feed(c, &o, 1, &p);
    ASSERT_EQ(proto_out_anomaly(&o, "dcerpc.unmatched_response"), 1);
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 3);
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.call_id"), "77");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.interface.name"), "svcctl");
    ASSERT_TRUE(proto_out_get(&o, 1, "dcerpc.opnum") == NULL);
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.svcctl.service_name"), "cut");
    ASSERT_TRUE(proto_out_get(&o, 2, "dcerpc.svcctl.binary_path") == NULL);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

TEST(dcerpc_tcp_parser_probe_and_state)
{
    static struct pb p;
    struct proto_ctx x = {.ipver = 4, .l4 = 6, .cli_port = 50000, .srv_port = 49688};
    const struct ctxdef cx[] = {{0, SVCCTL, 2, 0, NDR}};
    pb_bind(&p, 1, 11, 1, cx, 1);
    pb_done(&p);
    ASSERT_EQ(proto_dcerpc.probe(&x, 0, p.b, p.n), PROTO_CONTENT);
    pb_bind(&p, 0, 11, 1, cx, 1);
    pb_done(&p);
    ASSERT_EQ(proto_dcerpc.probe(&x, 0, p.b, p.n), PROTO_CONTENT);
    const uint8_t junk[] = "SSH-2.0-OpenSSH_9.6\r\n";
    ASSERT_EQ(proto_dcerpc.probe(&x, 0, junk, sizeof junk - 1), PROTO_NO);
    p.b[0] = 4; /* version 4 is connectionless (UDP), not ours */
    ASSERT_EQ(proto_dcerpc.probe(&x, 0, p.b, p.n), PROTO_NO);
    x.srv_port = 135;
    ASSERT_EQ(proto_dcerpc.probe(&x, 0, junk, 3), PROTO_PORT);
    ASSERT_EQ(proto_dcerpc.l4, 6);
    ASSERT_STR_EQ(proto_dcerpc.name, "dcerpc");

    /* the dispatcher's way: zeroed state, data, gap, end, release */
    struct proto_out o;
    proto_out_init(&o, 0);
    void *st = calloc(1, proto_dcerpc.state_size);
    ASSERT_TRUE(st != NULL);
    pb_bind(&p, 1, 11, 1, cx, 1);
    pb_done(&p);
    proto_dcerpc.data(st, &o, &x, 0, p.b, p.n);
    proto_dcerpc.gap(st, &o, &x, 1, 100);
    const uint16_t res[] = {0};
    pb_bind_ack(&p, 1, 1, "49688", res, 1);
    pb_done(&p);
    /* after the gap, the stream picks up again at the next header */
    uint8_t tail[7] = {1, 2, 3, 4, 5, 6, 7};
    proto_dcerpc.data(st, &o, &x, 1, tail, sizeof tail);
    proto_dcerpc.data(st, &o, &x, 1, p.b, p.n);
    proto_dcerpc.end(st, &o, &x);
    proto_dcerpc.release(st);
    free(st);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.secondary_address"), "49688");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.result"), "accepted");
    proto_out_release(&o);
}

/* ---------------------------------------------------------------- captures */

/*
 * Feed the TCP payloads to or from `port` in capture order (dir 0 = towards port).
 * Frames outside [first, last] (1-based, 0 = no bound) are skipped.  With smb set, each
 * payload is one NetBIOS-framed SMB2 message and only the named-pipe bytes go on: WRITE
 * request data, READ response data, IOCTL (FSCTL_PIPE_TRANSCEIVE) input and output.
 * That tiny SMB2 reading is for this test only; the SMB parser is written elsewhere.
 * Returns the number of payloads fed, or -1 when the capture is absent.
 */
static int feed_capture(const char *rel, uint16_t port, int smb, int first, int last,
                        struct dcerpc_conn *c, struct proto_out *o)
{
    char path[4096], err[PCAP_ERRBUF_SIZE];
    if (!t_corpus())
        return -1;
    snprintf(path, sizeof path, "%s/%s", t_corpus(), rel);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    struct pcap_pkthdr *h;
    const u_char *pkt;
    int frame = 0, fed = 0;
    while (pcap_next_ex(pc, &h, &pkt) == 1) {
        frame++;
        if ((first && frame < first) || (last && frame > last))
            continue;
        struct decoded d;
        int v = decode_packet((uint32_t)pcap_datalink(pc), pkt, h->caplen, &d);
        if (v != DEC_OK || d.proto != 6 || d.payload_len == 0 ||
            (d.sport != port && d.dport != port))
            continue;
        int dir = d.dport == port ? 0 : 1;
        const uint8_t *p = pkt + d.payload_off;
        size_t n = d.payload_len;
        if (smb) {
            if (n < 4 + 64 + 40 || memcmp(p + 4, "\xfeSMB", 4) != 0)
                continue;
            const uint8_t *s = p + 4, *b = s + 64;
            size_t sn = n - 4;
            uint16_t cmd = (uint16_t)(s[12] | s[13] << 8);
            int resp = s[16] & 1;
            uint32_t off = 0, len = 0;
            if (cmd == 9 && !resp) { /* WRITE request */
                off = (uint32_t)(b[2] | b[3] << 8);
                len = (uint32_t)(b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24);
            } else if (cmd == 8 && resp) { /* READ response */
                off = b[2];
                len = (uint32_t)(b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24);
            } else if (cmd == 11) { /* IOCTL: input going in, output coming back */
                const uint8_t *q = b + (resp ? 32 : 24);
                off = (uint32_t)(q[0] | q[1] << 8 | q[2] << 16 | (uint32_t)q[3] << 24);
                len = (uint32_t)(q[4] | q[5] << 8 | q[6] << 16 | (uint32_t)q[7] << 24);
            }
            if (!len || off > sn || len > sn - off)
                continue;
            p = s + off;
            n = len;
        }
        dcerpc_conn_data(c, o, dir, p, n);
        fed++;
    }
    pcap_close(pc);
    return fed;
}

/* Operations of the "dcerpc" records in order, joined by spaces. */
static void ops_of(const struct proto_out *o, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (long i = proto_out_find(o, "dcerpc", 0); i >= 0;
         i = proto_out_find(o, "dcerpc", (size_t)i + 1)) {
        const char *op = proto_out_get(o, (size_t)i, "dcerpc.operation");
        int w = snprintf(out + k, cap - k, "%s%s", k ? " " : "", op ? op : "?");
        if (w < 0 || (size_t)w >= cap - k)
            break;
        k += (size_t)w;
    }
}

#define CORPUS_OR_SKIP(n, c, o)                                                                    \
    do {                                                                                           \
        if ((n) < 0) {                                                                             \
            dcerpc_conn_free(c);                                                                   \
            proto_out_release(&(o));                                                               \
            t_skip("capture absent");                                                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/*
 * Zeek's dce_rpc.log (scripts.base.protocols.dce-rpc.context) has three rows, endpoint
 * drsuapi, named_pipe \PIPE\drsuapi: DRSBind, DRSCrackNames, DRSUnbind.  Accepted
 * differences: Zeek repeats the bind_ack's secondary address in every call row as
 * named_pipe; here it is on the bind record (dcerpc.bind.secondary_address).  tshark shows
 * the bind offering three contexts (NDR, NDR64, feature negotiation) and the bind_ack
 * answering only one ("1 results: Acceptance"), so the other two read "no_result".
 */
TEST(dcerpc_corpus_zeek_drsuapi)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    int n = feed_capture("zeek/testing/btest/Traces/dce-rpc/cs_window7-join_stream092.pcap", 1024,
                         0, 0, 0, c, &o);
    CORPUS_OR_SKIP(n, c, o);
    dcerpc_conn_end(c, &o);
    char ops[512];
    ops_of(&o, ops, sizeof ops);
    ASSERT_STR_EQ(ops, "DRSBind DRSCrackNames DRSUnbind");
    ASSERT_EQ(o.nrecs, 5);
    ASSERT_STR_EQ(o.recs[0].type, "dcerpc.bind");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.type"), "bind");
    ASSERT_EQ(proto_out_count(&o, 0, "dcerpc.bind.contexts.name"), 3);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.name"), "drsuapi");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.version"), "4.0");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.result", 0), "accepted");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.transfer_syntax", 1), "ndr64");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.result", 1), "no_result");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.secondary_address"), "\\PIPE\\drsuapi");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.auth.type"), "spnego");
    ASSERT_STR_EQ(proto_out_get(&o, 1, "dcerpc.bind.type"), "alter_context");
    for (size_t i = 2; i < 5; i++) {
        ASSERT_STR_EQ(proto_out_get(&o, i, "dcerpc.interface.name"), "drsuapi");
        ASSERT_STR_EQ(proto_out_get(&o, i, "dcerpc.interface.uuid"),
                      "e3514235-4b06-11d1-ab04-00c04fc2dcd2");
        ASSERT_STR_EQ(proto_out_get(&o, i, "dcerpc.auth.level"), "privacy");
    }
    ASSERT_STR_EQ(proto_out_get(&o, 3, "dcerpc.opnum"), "12");
    ASSERT_STR_EQ(proto_out_get(&o, 3, "dcerpc.call_id"), "3");
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

/*
 * PCAP-ATTACK's rpcdump-style scan (attacks MANIFEST 6d, tshark): one bind to EPMv4 3.0,
 * then 349 Lookup (opnum 2) requests and responses, every one with call_id 0.
 */
TEST(dcerpc_corpus_epm_discovery)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    int n = feed_capture("../attacks/PCAP-ATTACK/discovery_scan_dcerpc_endpoint_mapper.pcapng", 135,
                         0, 0, 0, c, &o);
    CORPUS_OR_SKIP(n, c, o);
    dcerpc_conn_end(c, &o);
    ASSERT_EQ(o.nrecs, 350);
    ASSERT_STR_EQ(o.recs[0].type, "dcerpc.bind");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.name"), "epmapper");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.version"), "3.0");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.contexts.result"), "accepted");
    size_t lookups = 0;
    for (size_t i = 1; i < o.nrecs; i++) {
        const char *op = proto_out_get(&o, i, "dcerpc.operation");
        const char *resp = proto_out_get(&o, i, "dcerpc.response.stub_bytes");
        lookups += op && strcmp(op, "ept_lookup") == 0 && resp &&
                   strcmp(proto_out_get(&o, i, "dcerpc.interface.name"), "epmapper") == 0;
    }
    ASSERT_EQ(lookups, 349);
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

/*
 * PCAP-ATTACK's PsExec (attacks MANIFEST 6a, tshark frames 122-146): EPM Map on 135, then
 * svcctl over TCP 49688 with NTLMSSP at packet privacy: OpenSCManagerW, opnum 45
 * (CreateServiceWOW64W), CloseServiceHandle, OpenServiceW, StartServiceW,
 * QueryServiceStatus x2, CloseServiceHandle x2.  The stubs are sealed, so no service name.
 */
TEST(dcerpc_corpus_psexec_tcp)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new(NULL);
    int n = feed_capture("../attacks/PCAP-ATTACK/LM_psexec_smb_dcerpc_epm_svcctl.pcapng", 135, 0, 0,
                         0, c, &o);
    CORPUS_OR_SKIP(n, c, o);
    dcerpc_conn_end(c, &o);
    char ops[512];
    ops_of(&o, ops, sizeof ops);
    ASSERT_STR_EQ(ops, "ept_map");
    dcerpc_conn_free(c);
    proto_out_release(&o);

    proto_out_init(&o, 0);
    c = dcerpc_conn_new(NULL);
    n = feed_capture("../attacks/PCAP-ATTACK/LM_psexec_smb_dcerpc_epm_svcctl.pcapng", 49688, 0, 0,
                     0, c, &o);
    CORPUS_OR_SKIP(n, c, o);
    dcerpc_conn_end(c, &o);
    ops_of(&o, ops, sizeof ops);
    ASSERT_STR_EQ(ops, "OpenSCManagerW CreateServiceWOW64W CloseServiceHandle OpenServiceW "
                       "StartServiceW QueryServiceStatus QueryServiceStatus CloseServiceHandle "
                       "CloseServiceHandle");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.secondary_address"), "49688");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dcerpc.bind.contexts.result", 1), "negotiate_ack");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.auth.type"), "ntlmssp");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.opnum"), "45");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.auth.level"), "privacy");
    ASSERT_TRUE(proto_out_get(&o, 2, "dcerpc.svcctl.service_name") == NULL);
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}

/*
 * suricata-verify smb2-07 (401trg PsExec): svcctl over \PIPE\svcctl without RPC auth,
 * frames 150-176.  tshark: OpenSCManagerW, opnum 45, CloseServiceHandle, OpenServiceW,
 * StartServiceW, QueryServiceStatus x2, CloseServiceHandle x2; frame 160's stub holds
 * PSEXESVC / PSEXESVC / start type 3 / %SystemRoot%\PSEXESVC.exe (Suricata's oracle names
 * the file PSEXESVC.exe).  The bind_ack names \pipe\ntsvcs, the process behind svcctl.
 */
TEST(dcerpc_corpus_psexec_smb_pipe)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    struct dcerpc_conn *c = dcerpc_conn_new("svcctl");
    int n = feed_capture("suricata-verify/tests/smb2-07/20171220_smb_psexec_add_user.pcap", 445, 1,
                         150, 176, c, &o);
    CORPUS_OR_SKIP(n, c, o);
    dcerpc_conn_end(c, &o);
    char ops[512];
    ops_of(&o, ops, sizeof ops);
    ASSERT_STR_EQ(ops, "OpenSCManagerW CreateServiceWOW64W CloseServiceHandle OpenServiceW "
                       "StartServiceW QueryServiceStatus QueryServiceStatus CloseServiceHandle "
                       "CloseServiceHandle");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dcerpc.bind.secondary_address"), "\\pipe\\ntsvcs");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.pipe"), "svcctl");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.svcctl.service_name"), "PSEXESVC");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.svcctl.display_name"), "PSEXESVC");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.svcctl.binary_path"), "%SystemRoot%\\PSEXESVC.exe");
    ASSERT_STR_EQ(proto_out_get(&o, 2, "dcerpc.svcctl.start_type"), "demand_start");
    ASSERT_TRUE(proto_out_get(&o, 2, "dcerpc.auth.type") == NULL);
    ASSERT_EQ(o.nanom, 0);
    dcerpc_conn_free(c);
    proto_out_release(&o);
}
