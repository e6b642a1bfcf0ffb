/*
 * gen_hunt_app.c — application conversations of --scenario hunt (see gen_hunt.c).
 *
 * Each function appends request/response pairs to a script (struct gen_script) and the
 * members its truth line needs.  Layouts, next to the code that writes them:
 *   HTTP/1.1 (RFC 9112) with text or pool-byte bodies; WinRM over HTTP ([MS-WSMV] with
 *     SPNEGO/NTLM, RFC 4559, and the HTTP-SPNEGO-session-encrypted multipart body);
 *   TLS 1.2 with a certificate (gen_tls12_script) and the certificates themselves:
 *     Cobalt Strike's default (serial 0x08BB00EE), self-signed appliance certificates, and
 *     leaves issued by a test CA;
 *   DNS TXT (RFC 1035 §3.3.14), Kerberos AS exchanges (RFC 4120 §5.4.1, §5.9.1);
 *   DCE/RPC over TCP ([C706] ch. 12, [MS-RPCE] 2.2): the endpoint mapper's ept_map
 *     ([C706] appendix L and I, towers), ITaskSchedulerService SchRpcHighestVersion and
 *     SchRpcRegisterTask ([MS-TSCH] 3.2.5.4), drsuapi DsBind / DsGetNCChanges ([MS-DRSR]
 *     4.1.3, 4.1.10) authenticated with NTLMSSP at packet privacy ([MS-RPCE] 2.2.2.11):
 *     binds and headers in the clear, stubs sealed (random bytes);
 *   LDAP (RFC 4511 §4.2, §4.5): simple bind, subtree search, entries, done;
 *   RDP X.224 Connection Request / Confirm ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2) and TLS.
 */
#include "gen_hunt.h"

#include "core/err.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ TLS shapes */

static const uint16_t schannel_suites[] = {0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028,
                                           0xc027, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c,
                                           0x003d, 0x003c, 0x0035, 0x002f, 0x000a};
static const uint16_t schannel_exts[] = {0x0000, 0x0005, 0x000a, 0x000b, 0x000d,
                                         0x0023, 0x0010, 0x0017, 0xff01};
static const uint16_t schannel_groups[] = {0x001d, 0x0017, 0x0018};
const struct gen_tls_hello hunt_tls_schannel = {schannel_suites, NELEM(schannel_suites),
                                                schannel_exts,   NELEM(schannel_exts),
                                                schannel_groups, NELEM(schannel_groups)};

/* OpenSSL 1.1.1's TLS 1.2 list as Python's ssl module sends it, with the SCSV last. */
static const uint16_t python_suites[] = {0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b,
                                         0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027,
                                         0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033,
                                         0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
static const uint16_t python_exts[] = {0x0000, 0x000b, 0x000a, 0x0023, 0x0016, 0x0017, 0x000d};
static const uint16_t python_groups[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018};
const struct gen_tls_hello hunt_tls_python = {python_suites, NELEM(python_suites),
                                              python_exts,   NELEM(python_exts),
                                              python_groups, NELEM(python_groups)};

static const uint16_t sh_alpn_exts[] = {0x0000, 0xff01, 0x000b, 0x0010, 0x0017};
static const uint16_t sh_plain_exts[] = {0x0000, 0xff01, 0x000b, 0x0017};
const struct gen_tls_shello hunt_sh_alpn = {0xc030, sh_alpn_exts, NELEM(sh_alpn_exts)};
const struct gen_tls_shello hunt_sh_plain = {0xc02f, sh_plain_exts, NELEM(sh_plain_exts)};

static int offers_alpn(const struct gen_tls_hello *h)
{
    for (size_t i = 0; i < h->nexts; i++)
        if (h->exts[i] == 0x0010)
            return 1;
    return 0;
}

int hunt_tls(struct gen_script *sc, struct world *w, struct rng *r, const struct gen_cert *pc,
             const char *sni, const struct gen_tls_hello *h, const uint8_t *sid, int resume,
             const uint32_t (*app)[2], size_t napp)
{
    const struct gen_tls_shello *sh = offers_alpn(h) ? &hunt_sh_alpn : &hunt_sh_plain;
    int rc = resume && sid ? gen_tls12_resume(sc, r, sni, h, sh, sid, app, napp)
                           : gen_tls12_script(sc, w, r, pc, sni, h, sh, sid, app, napp);
    gen_bb_printf(&sc->truth, ",\"sni\":");
    gen_bb_json(&sc->truth, sni);
    gen_bb_printf(&sc->truth, ",\"tls_version\":\"TLSv1.2\"");
    if (resume && sid)
        gen_bb_printf(&sc->truth, ",\"tls_resumed\":true");
    else
        gen_bb_printf(&sc->truth, ",\"cert_serial\":\"%s\"", pc->serial);
    return rc;
}

/* ------------------------------------------------------------------ certificates */

int hunt_cert_cs(struct world *w, struct gen_cert *pc)
{
    /* The certificate of Cobalt Strike's default keystore (its well-known serial). */
    struct gen_cert_spec cs = {
        .subject = {{"C", "Earth"},
                    {"ST", "Cyberspace"},
                    {"L", "Somewhere"},
                    {"O", "cobaltstrike"},
                    {"OU", "AdvancedPenTesting"},
                    {"CN", "Major Cobalt Strike"}},
        .serial = 146473198,      /* 0x08BB00EE */
        .not_before = 1432080000, /* 2015-05-20 */
        .not_after = 1747440000,  /* 2025-05-17 */
    };
    return gen_cert_make(w, NULL, &cs, pc);
}

int hunt_cert_self(struct world *w, struct rng *r, const char *const (*subject)[2],
                   int64_t not_before, int64_t not_after, struct gen_cert *pc)
{
    struct gen_cert_spec cs = {.not_before = not_before, .not_after = not_after};
    for (int i = 0; i < GEN_CERT_RDNS - 1 && subject[i][0]; i++) {
        cs.subject[i][0] = subject[i][0];
        cs.subject[i][1] = subject[i][1];
    }
    return gen_cert_make(w, r, &cs, pc);
}

int hunt_cert_leaf(struct world *w, struct rng *r, const char *name, struct gen_cert *pc)
{
    char san[160];
    snprintf(san, sizeof(san), "DNS:%s", name);
    struct gen_cert_spec cs = {
        .subject = {{"CN", name}},
        .issuer = {{"C", "US"}, {"O", "Konseki Test PKI"}, {"CN", "Konseki Test TLS CA 2023"}},
        .not_before = 1701388800, /* 2023-12-01 */
        .not_after = 1733011200,  /* 2024-12-01 */
        .san = san,
    };
    return gen_cert_make(w, r, &cs, pc);
}

/* ------------------------------------------------------------------ HTTP/1.1 */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 206:
        return "Partial Content";
    case 302:
        return "Found";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    default:
        return "Internal Server Error";
    }
}

void hunt_http(struct gen_script *sc, int64_t t, const struct hunt_http *x)
{
    struct gen_bb *b = &sc->data;
    char date[40];
    int first = sc->npairs == 0;
    uint32_t rl = x->req_text ? (uint32_t)strlen(x->req_text) : x->req_len;
    gen_script_begin(sc);
    gen_bb_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n", x->method, x->uri, x->host);
    if (x->ua)
        gen_bb_printf(b, "User-Agent: %s\r\n", x->ua);
    if (x->req_headers)
        gen_bb_str(b, x->req_headers);
    if (rl || strcmp(x->method, "POST") == 0)
        gen_bb_printf(b, "Content-Length: %u\r\n", (unsigned)rl);
    gen_bb_str(b, "\r\n");
    if (x->req_text)
        gen_bb_str(b, x->req_text);
    else
        gen_script_tail(sc, rl);
    gen_script_end(sc, 0);

    uint32_t al = x->resp_text ? (uint32_t)strlen(x->resp_text) : x->resp_len;
    gen_app_http_date(t, date, sizeof(date));
    gen_script_begin(sc);
    gen_bb_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", x->status, reason(x->status), date);
    if (x->server)
        gen_bb_printf(b, "Server: %s\r\n", x->server);
    if (x->resp_headers)
        gen_bb_str(b, x->resp_headers);
    gen_bb_printf(b, "Content-Type: %s\r\nContent-Length: %u\r\n\r\n",
                  x->ctype ? x->ctype : "text/html", (unsigned)al);
    if (x->resp_text)
        gen_bb_str(b, x->resp_text);
    else
        gen_script_tail(sc, al);
    gen_script_end(sc, 1);
    if (first) {
        struct gen_bb *tr = &sc->truth;
        gen_bb_printf(tr, ",\"host\":");
        gen_bb_json(tr, x->host);
        gen_bb_printf(tr, ",\"method\":\"%s\",\"uri\":", x->method);
        gen_bb_json(tr, x->uri);
        gen_bb_printf(tr, ",\"status\":%d,\"user_agent\":", x->status);
        gen_bb_json(tr, x->ua ? x->ua : "");
    }
}

/* RFC 4648 §4 base64 of p into dst (4 * ceil(n / 3) + 1 bytes). */
static void b64(const struct gen_bb *p, char *dst, size_t cap)
{
    if (4 * ((p->len + 2) / 3) + 1 > cap) {
        dst[0] = 0;
        return;
    }
    EVP_EncodeBlock((unsigned char *)dst, p->p, (int)p->len);
}

/* ------------------------------------------------------------------ WinRM */

/*
 * WinRM as Windows PowerShell remoting / winrs sends it ([MS-WSMV] 2.2.9.1): POST /wsman
 * with "Authorization: Negotiate" (NTLMSSP NEGOTIATE, empty body) → 401 with the CHALLENGE;
 * then AUTHENTICATE and the first SOAP envelope, sealed: multipart/encrypted bodies of
 * type application/HTTP-SPNEGO-session-encrypted, whose encrypted part is pool bytes.
 */
int hunt_winrm(struct gen_script *sc, struct rng *r, int64_t t, const char *host, const char *user,
               const char *ws, int posts)
{
    static const char ua[] = "Microsoft WinRM Client";
    static const char ctype[] =
        "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";"
        "boundary=\"Encrypted Boundary\"";
    struct gen_bb nt[3] = {{0}, {0}, {0}};
    char tok[1400], hdr[1600];
    char host_port[96];
    int rc = gen_ntlm_triple(sc, r, t, user, "CORP", ws, nt);
    snprintf(host_port, sizeof(host_port), "%s:5985", host);
    b64(&nt[0], tok, sizeof(tok));
    snprintf(hdr, sizeof(hdr), "Authorization: Negotiate %s\r\nConnection: Keep-Alive\r\n", tok);
    struct hunt_http x = {.method = "POST",
                          .host = host_port,
                          .uri = "/wsman",
                          .ua = ua,
                          .req_headers = hdr,
                          .req_len = 0,
                          .status = 401,
                          .ctype = "text/html",
                          .resp_len = 0,
                          .server = "Microsoft-HTTPAPI/2.0"};
    char rh[1600];
    b64(&nt[1], tok, sizeof(tok));
    snprintf(rh, sizeof(rh), "WWW-Authenticate: Negotiate %s\r\n", tok);
    x.resp_headers = rh;
    hunt_http(sc, t, &x);
    b64(&nt[2], tok, sizeof(tok));
    for (int i = 0; i < posts; i++) {
        if (i == 0)
            snprintf(hdr, sizeof(hdr),
                     "Authorization: Negotiate %s\r\nConnection: Keep-Alive\r\n"
                     "Content-Type: %s\r\n",
                     tok, ctype);
        else
            snprintf(hdr, sizeof(hdr), "Connection: Keep-Alive\r\nContent-Type: %s\r\n", ctype);
        x.req_headers = hdr;
        x.req_len = (uint32_t)gen_rng_range(r, 1400, 6000);
        x.status = 200;
        x.ctype = ctype;
        x.resp_headers = NULL;
        x.resp_len = (uint32_t)gen_rng_range(r, 900, 4000);
        hunt_http(sc, t, &x);
    }
    for (int i = 0; i < 3; i++) {
        rc = rc ? rc : nt[i].err;
        gen_bb_free(&nt[i]);
    }
    return rc;
}

/* ------------------------------------------------------------------ DNS and Kerberos */

void hunt_dns_txt(struct gen_script *sc, struct rng *r, const char *qname, const char *txt)
{
    struct gen_dns_q q = {qname, 16, 0, 1, 1, {{16, qname, txt, 0}}};
    gen_dns_script(sc, r, &q, 0);
    gen_bb_printf(&sc->truth, ",\"qname\":");
    gen_bb_json(&sc->truth, qname);
    gen_bb_printf(&sc->truth, ",\"qtype\":\"TXT\",\"rcode\":\"NOERROR\",\"answers\":1");
}

void hunt_krb(struct gen_script *sc, struct rng *r, int64_t t, const char *user, int error)
{
    uint32_t nonce = (uint32_t)gen_rng_next(r) & 0x7fffffff;
    gen_script_begin(sc);
    gen_krb_as_req(&sc->data, r, nonce, error == 24, user);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    gen_krb_error(&sc->data, t, error ? error : 25, user);
    gen_script_end(sc, 1);
    if (!error) {
        nonce = (uint32_t)gen_rng_next(r) & 0x7fffffff;
        gen_script_begin(sc);
        gen_krb_as_req(&sc->data, r, nonce, 1, user);
        gen_script_end(sc, 0);
        gen_script_begin(sc);
        gen_krb_as_rep(&sc->data, r, user);
        gen_script_end(sc, 1);
    }
    gen_bb_printf(&sc->truth, ",\"cname\":");
    gen_bb_json(&sc->truth, user);
    gen_bb_printf(&sc->truth, ",\"error_code\":%d", error ? error : 25);
}

/* ------------------------------------------------------------------ DCE/RPC over TCP */

/* Interface UUIDs in NDR (little-endian) byte order. */
static const uint8_t uuid_epm[16] = {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11,
                                     0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa};
static const uint8_t uuid_tsch[16] = {0x49, 0x59, 0xd3, 0x86, 0xc9, 0x83, 0x44, 0x40,
                                      0xb4, 0x24, 0xdb, 0x36, 0x32, 0x31, 0xfd, 0x0c};
static const uint8_t uuid_drsuapi[16] = {0x35, 0x42, 0x51, 0xe3, 0x06, 0x4b, 0xd1, 0x11,
                                         0xab, 0x04, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2};
static const uint8_t uuid_ndr20[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                       0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

/* One PDU built in pdu as one script message of direction dir. */
static void pdu_msg(struct gen_script *sc, const struct gen_bb *pdu, int dir)
{
    gen_script_begin(sc);
    gen_bb_put(&sc->data, pdu->p, pdu->len);
    if (pdu->err)
        sc->data.err = pdu->err;
    gen_script_end(sc, dir);
}

/*
 * Protocol tower ([C706] appendix L, [MS-RPCE] 2.2.1.1.7): floor count (u16 LE), then per
 * floor lhs length, lhs (protocol id + data), rhs length, rhs: interface, NDR transfer
 * syntax, connection-oriented RPC, TCP port (big-endian), IPv4 address.
 */
static void tower(struct gen_bb *b, const uint8_t uuid[16], uint16_t vmaj, uint16_t port,
                  const uint8_t ip[4])
{
    gen_bb_u16le(b, 5);
    gen_bb_u16le(b, 19);
    gen_bb_u8(b, 0x0d);
    gen_bb_put(b, uuid, 16);
    gen_bb_u16le(b, vmaj);
    gen_bb_u16le(b, 2);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 19);
    gen_bb_u8(b, 0x0d);
    gen_bb_put(b, uuid_ndr20, 16);
    gen_bb_u16le(b, 2);
    gen_bb_u16le(b, 2);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 1);
    gen_bb_u8(b, 0x0b);
    gen_bb_u16le(b, 2);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 1);
    gen_bb_u8(b, 0x07);
    gen_bb_u16le(b, 2);
    gen_bb_u16(b, port);
    gen_bb_u16le(b, 1);
    gen_bb_u8(b, 0x09);
    gen_bb_u16le(b, 4);
    gen_bb_put(b, ip, 4);
}

/* twr_t (conformant): max count, tower_length, the octets, padded to 4 from the stub. */
static void ndr_tower(struct gen_bb *b, const uint8_t uuid[16], uint16_t vmaj, uint16_t port,
                      const uint8_t ip[4])
{
    struct gen_bb t = {0};
    tower(&t, uuid, vmaj, port, ip);
    gen_bb_u32le(b, (uint32_t)t.len);
    gen_bb_u32le(b, (uint32_t)t.len);
    gen_bb_put(b, t.p, t.len);
    gen_bb_align(b, 24, 4);
    if (t.err)
        b->err = t.err;
    gen_bb_free(&t);
}

int hunt_epm(struct gen_script *sc, struct rng *r, int iface, const uint8_t ip[4], uint16_t port)
{
    static const uint8_t any[4] = {0, 0, 0, 0};
    const uint8_t *uuid = iface == HUNT_IF_TSCH ? uuid_tsch : uuid_drsuapi;
    uint16_t vmaj = iface == HUNT_IF_TSCH ? 1 : 4;
    struct gen_bb q = {0}, a = {0};
    gen_rpc_bind(&q, 1, uuid_epm, 3, 0);
    gen_rpc_bind_ack(&a, 1, 0x10000u + (uint32_t)gen_rng_below(r, 0x8000), "135");
    pdu_msg(sc, &q, 0);
    pdu_msg(sc, &a, 1);
    /* ept_map (opnum 3): [unique] object UUID (nil), [unique] map_tower, entry handle,
     * max_towers; answer: entry handle, num_towers, towers (conformant varying array of
     * [unique] pointers, then their towers), status. */
    q.len = a.len = 0;
    gen_rpc_call(&q, 0, 2, 3);
    gen_bb_u32le(&q, 1);
    gen_bb_zero(&q, 16);
    gen_bb_u32le(&q, 2);
    ndr_tower(&q, uuid, vmaj, 0, any);
    gen_bb_zero(&q, 20);
    gen_bb_u32le(&q, 4);
    gen_rpc_call_done(&q);
    gen_rpc_call(&a, 1, 2, 3);
    gen_bb_zero(&a, 20);
    gen_bb_u32le(&a, 1);
    gen_bb_u32le(&a, 4);
    gen_bb_u32le(&a, 0);
    gen_bb_u32le(&a, 1);
    gen_bb_u32le(&a, 3);
    ndr_tower(&a, uuid, vmaj, port, ip);
    gen_bb_u32le(&a, 0);
    gen_rpc_call_done(&a);
    pdu_msg(sc, &q, 0);
    pdu_msg(sc, &a, 1);
    int err = q.err || a.err;
    gen_bb_free(&q);
    gen_bb_free(&a);
    gen_bb_printf(&sc->truth, ",\"rpc_interface\":\"epmapper\",\"rpc_ops\":[\"ept_map\"]");
    return err ? KS_ENOMEM : 0;
}

/* [unique, string] wchar_t *: a referent id, then the string. */
static void ndr_unique_wstr(struct gen_bb *b, uint32_t refid, const char *s)
{
    gen_bb_u32le(b, refid);
    gen_ndr_wstr(b, s);
}

int hunt_tsch(struct gen_script *sc, struct rng *r, uint16_t tcp_port, const char *task,
              const char *command)
{
    struct gen_bb q = {0}, a = {0}, xml = {0};
    char port[8];
    snprintf(port, sizeof(port), "%u", tcp_port);
    gen_rpc_bind(&q, 1, uuid_tsch, 1, 0);
    gen_rpc_bind_ack(&a, 1, 0x10000u + (uint32_t)gen_rng_below(r, 0x8000), port);
    pdu_msg(sc, &q, 0);
    pdu_msg(sc, &a, 1);
    /* SchRpcHighestVersion (opnum 0): no inputs; [out] DWORD version, HRESULT. */
    q.len = a.len = 0;
    gen_rpc_call(&q, 0, 2, 0);
    gen_rpc_call_done(&q);
    gen_rpc_call(&a, 1, 2, 0);
    gen_bb_u32le(&a, 0x00010006);
    gen_bb_u32le(&a, 0);
    gen_rpc_call_done(&a);
    pdu_msg(sc, &q, 0);
    pdu_msg(sc, &a, 1);
    /* SchRpcRegisterTask (opnum 1): [unique, string] path, [string] xml, flags, [unique]
     * sddl, logonType, cCreds, [unique] pCreds; [out] [string] *pActualPath, [out]
     * *pErrorInfo, HRESULT. */
    gen_bb_printf(&xml,
                  "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" "
                  "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n"
                  "  <Triggers><CalendarTrigger><StartBoundary>2015-07-15T20:35:13"
                  "</StartBoundary><Enabled>true</Enabled><ScheduleByDay><DaysInterval>1"
                  "</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers>\n"
                  "  <Principals><Principal id=\"LocalSystem\"><UserId>S-1-5-18</UserId>"
                  "<RunLevel>HighestAvailable</RunLevel></Principal></Principals>\n"
                  "  <Settings><Hidden>true</Hidden><Enabled>true</Enabled></Settings>\n"
                  "  <Actions Context=\"LocalSystem\"><Exec><Command>cmd.exe</Command>"
                  "<Arguments>/C %s</Arguments></Exec></Actions>\n</Task>\n",
                  command);
    gen_bb_u8(&xml, 0); /* a C string for gen_ndr_wstr */
    q.len = a.len = 0;
    gen_rpc_call(&q, 0, 3, 1);
    ndr_unique_wstr(&q, 0x00020000, task);
    gen_ndr_wstr(&q, xml.p ? (const char *)xml.p : "");
    gen_bb_u32le(&q, 6); /* TASK_CREATE_OR_UPDATE */
    gen_bb_u32le(&q, 0); /* sddl: NULL */
    gen_bb_u32le(&q, 3); /* TASK_LOGON_INTERACTIVE_TOKEN */
    gen_bb_u32le(&q, 0);
    gen_bb_u32le(&q, 0);
    gen_rpc_call_done(&q);
    gen_rpc_call(&a, 1, 3, 1);
    ndr_unique_wstr(&a, 0x00020000, task);
    gen_bb_u32le(&a, 0);
    gen_bb_u32le(&a, 0);
    gen_rpc_call_done(&a);
    pdu_msg(sc, &q, 0);
    pdu_msg(sc, &a, 1);
    int err = q.err || a.err || xml.err;
    gen_bb_free(&q);
    gen_bb_free(&a);
    gen_bb_free(&xml);
    gen_bb_printf(&sc->truth, ",\"rpc_interface\":\"ITaskSchedulerService\",\"rpc_ops\":["
                              "\"SchRpcHighestVersion\",\"SchRpcRegisterTask\"],\"task\":");
    gen_bb_json(&sc->truth, task);
    return err ? KS_ENOMEM : 0;
}

/*
 * Authentication verifier ([MS-RPCE] 2.2.2.11): stub padded to 16 (auth_pad_length says
 * how much), sec_trailer { auth_type 10 = NTLMSSP, auth_level 6 = privacy, pad length,
 * reserved, context id 0 }, then the token; auth_length in the header.  fixed: bytes of
 * the PDU before the stub (24 for requests and responses).
 */
static void rpc_auth(struct gen_bb *b, size_t fixed, const void *tok, size_t n)
{
    size_t stub = b->len - fixed;
    size_t pad = (16 - stub % 16) % 16;
    gen_bb_zero(b, pad);
    gen_bb_u8(b, 10);
    gen_bb_u8(b, 6);
    gen_bb_u8(b, (uint32_t)pad);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_put(b, tok, n);
    gen_bb_patch(b, 10, 2, n, 1);
    gen_bb_patch(b, 8, 2, b->len, 1);
}

/* A sealed request or response of stub_len random bytes with a 16-byte NTLMSSP signature,
 * appended to out (the message being written). */
static void sealed_pdu(struct gen_bb *out, struct rng *r, int resp, uint32_t call_id,
                       uint16_t opnum, uint32_t stub_len)
{
    struct gen_bb b = {0};
    uint8_t sig[16];
    gen_rpc_call(&b, resp, call_id, opnum);
    gen_bb_rand(&b, r, stub_len);
    gen_bb_patch(&b, 16, 4, stub_len, 1);
    sig[0] = 1; /* NTLMSSP_MESSAGE_SIGNATURE version 1, then checksum and sequence number */
    sig[1] = sig[2] = sig[3] = 0;
    gen_rng_fill(r, sig + 4, 12);
    rpc_auth(&b, 24, sig, 16);
    gen_bb_put(out, b.p, b.len);
    if (b.err)
        out->err = b.err;
    gen_bb_free(&b);
}

/* One sealed call: request and response as one pair. */
static void sealed_call(struct gen_script *sc, struct rng *r, uint32_t call_id, uint16_t opnum,
                        uint32_t req_len, uint32_t resp_len)
{
    gen_script_begin(sc);
    sealed_pdu(&sc->data, r, 0, call_id, opnum, req_len);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    sealed_pdu(&sc->data, r, 1, call_id, opnum, resp_len);
    gen_script_end(sc, 1);
}

int hunt_dcsync(struct gen_script *sc, struct rng *r, int64_t t, uint16_t tcp_port,
                const char *user, const char *ws, uint32_t rounds)
{
    struct gen_bb nt[3] = {{0}, {0}, {0}}, q = {0}, a = {0};
    char port[8];
    int rc = gen_ntlm_triple(sc, r, t, user, "CORP", ws, nt);
    snprintf(port, sizeof(port), "%u", tcp_port);
    /* bind with NTLMSSP NEGOTIATE → bind_ack with CHALLENGE. */
    gen_rpc_bind(&q, 1, uuid_drsuapi, 4, 0);
    rpc_auth(&q, q.len, nt[0].p, nt[0].len);
    gen_rpc_bind_ack(&a, 1, 0x10000u + (uint32_t)gen_rng_below(r, 0x8000), port);
    rpc_auth(&a, a.len, nt[1].p, nt[1].len);
    pdu_msg(sc, &q, 0);
    pdu_msg(sc, &a, 1);
    /* rpc_auth3 ([MS-RPCE] 2.2.2.10: header, 4 bytes of padding, verifier with the
     * AUTHENTICATE) has no answer: it goes out back to back with the DsBind request. */
    q.len = 0;
    gen_rpc_bind(&q, 1, uuid_drsuapi, 4, 0);
    q.len = 16;
    if (!q.err)
        q.p[2] = 16;
    gen_bb_u32le(&q, 0);
    rpc_auth(&q, q.len, nt[2].p, nt[2].len);
    gen_script_begin(sc);
    gen_bb_put(&sc->data, q.p, q.len);
    sealed_pdu(&sc->data, r, 0, 2, 0, 64); /* DsBind (opnum 0) */
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    sealed_pdu(&sc->data, r, 1, 2, 0, 76);
    gen_script_end(sc, 1);
    /* DsGetNCChanges (opnum 3) rounds: small requests, replies with the secrets. */
    for (uint32_t i = 0; i < rounds; i++)
        sealed_call(sc, r, 3 + i, 3, (uint32_t)gen_rng_range(r, 200, 260),
                    (uint32_t)gen_rng_range(r, 2000, 4000));
    for (int i = 0; i < 3; i++) {
        rc = rc ? rc : nt[i].err;
        gen_bb_free(&nt[i]);
    }
    rc = rc ? rc : q.err ? q.err : a.err;
    gen_bb_free(&q);
    gen_bb_free(&a);
    gen_bb_printf(&sc->truth, ",\"rpc_interface\":\"drsuapi\",\"rpc_ops\":[\"DsBind\"");
    for (uint32_t i = 0; i < rounds; i++)
        gen_bb_printf(&sc->truth, ",\"DsGetNCChanges\"");
    gen_bb_printf(&sc->truth, "],\"rpc_auth_level\":\"privacy\"");
    return rc;
}

/* ------------------------------------------------------------------ LDAP (RFC 4511) */

/* LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp } : open … close */
static size_t ldap_open(struct gen_bb *b, int id, uint32_t op, size_t *inner)
{
    size_t sq = gen_der_open(b, 0x30);
    gen_der_int(b, id);
    *inner = gen_der_open(b, op);
    return sq;
}

static void ldap_str(struct gen_bb *b, const char *s)
{
    gen_der_octets(b, s, strlen(s));
}

/* LDAPResult: resultCode ENUMERATED, matchedDN, diagnosticMessage (both empty). */
static void ldap_result(struct gen_bb *b, int code)
{
    gen_bb_u8(b, 0x0a);
    gen_bb_u8(b, 1);
    gen_bb_u8(b, (uint32_t)code);
    ldap_str(b, "");
    ldap_str(b, "");
}

int hunt_ldap(struct gen_script *sc, struct rng *r, const char *dn, const char *base,
              const char *attr, const char *value, const char *const *entries, size_t n)
{
    struct gen_bb *b = &sc->data;
    size_t sq, op, x;
    char pw[24];
    snprintf(pw, sizeof(pw), "Vpn-Svc-%04u!", (unsigned)gen_rng_below(r, 10000));
    /* bindRequest [APPLICATION 0] { version 3, name, simple [0] password } */
    gen_script_begin(sc);
    sq = ldap_open(b, 1, 0x60, &op);
    gen_der_int(b, 3);
    ldap_str(b, dn);
    x = gen_der_open(b, 0x80);
    gen_bb_str(b, pw);
    gen_der_close(b, x);
    gen_der_close(b, op);
    gen_der_close(b, sq);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    sq = ldap_open(b, 1, 0x61, &op); /* bindResponse: success */
    ldap_result(b, 0);
    gen_der_close(b, op);
    gen_der_close(b, sq);
    gen_script_end(sc, 1);
    /* searchRequest [APPLICATION 3] { base, scope 2 (subtree), derefAliases 0, sizeLimit,
     * timeLimit, typesOnly FALSE, filter (&(objectCategory=person)(attr=value)),
     * attributes } */
    gen_script_begin(sc);
    sq = ldap_open(b, 2, 0x63, &op);
    ldap_str(b, base);
    gen_bb_put(b, "\x0a\x01\x02\x0a\x01\x00", 6);
    gen_der_int(b, 0);
    gen_der_int(b, 0);
    gen_bb_put(b, "\x01\x01\x00", 3);
    size_t f = gen_der_open(b, 0xa0);
    size_t e = gen_der_open(b, 0xa3);
    ldap_str(b, "objectCategory");
    ldap_str(b, "person");
    gen_der_close(b, e);
    e = gen_der_open(b, 0xa3);
    ldap_str(b, attr);
    ldap_str(b, value);
    gen_der_close(b, e);
    gen_der_close(b, f);
    size_t at = gen_der_open(b, 0x30);
    ldap_str(b, "sAMAccountName");
    ldap_str(b, "memberOf");
    gen_der_close(b, at);
    gen_der_close(b, op);
    gen_der_close(b, sq);
    gen_script_end(sc, 0);
    /* searchResEntry [APPLICATION 4] { objectName, attributes } per entry, searchResDone. */
    gen_script_begin(sc);
    for (size_t i = 0; i < n; i++) {
        char name[200];
        snprintf(name, sizeof(name), "CN=%s,CN=Users,%s", entries[i], base);
        sq = ldap_open(b, 2, 0x64, &op);
        ldap_str(b, name);
        size_t al = gen_der_open(b, 0x30);
        size_t pa = gen_der_open(b, 0x30);
        ldap_str(b, "sAMAccountName");
        size_t vs = gen_der_open(b, 0x31);
        ldap_str(b, entries[i]);
        gen_der_close(b, vs);
        gen_der_close(b, pa);
        gen_der_close(b, al);
        gen_der_close(b, op);
        gen_der_close(b, sq);
    }
    sq = ldap_open(b, 2, 0x65, &op);
    ldap_result(b, 0);
    gen_der_close(b, op);
    gen_der_close(b, sq);
    gen_script_end(sc, 1);
    gen_bb_printf(&sc->truth, ",\"ldap_bind_dn\":");
    gen_bb_json(&sc->truth, dn);
    gen_bb_printf(&sc->truth, ",\"ldap_base\":");
    gen_bb_json(&sc->truth, base);
    gen_bb_printf(&sc->truth, ",\"ldap_entries\":%zu", n);
    return sc->data.err;
}

/* ------------------------------------------------------------------ RDP */

/*
 * TPKT (RFC 1006: 03 00 length(2)) + X.224 TPDU (ISO 8073: LI, code E0 CR / D0 CC,
 * dst-ref(2), src-ref(2), class 0) + cookie line + rdpNegReq / rdpNegRsp
 * (type, flags, length 8 LE, protocols LE; 3 = SSL | HYBRID asked, 2 = HYBRID chosen).
 */
int hunt_rdp(struct gen_script *sc, struct world *w, struct rng *r, const char *cookie,
             const struct gen_cert *pc, const char *sni)
{
    struct gen_bb *b = &sc->data;
    char line[128];
    int n = snprintf(line, sizeof(line), "Cookie: mstshash=%s\r\n", cookie);
    gen_script_begin(sc);
    gen_bb_u8(b, 3);
    gen_bb_u8(b, 0);
    gen_bb_u16(b, (uint32_t)(4 + 7 + n + 8));
    gen_bb_u8(b, (uint32_t)(6 + n + 8));
    gen_bb_u8(b, 0xe0);
    gen_bb_u32(b, 0);
    gen_bb_u8(b, 0);
    gen_bb_str(b, line);
    gen_bb_put(b, "\x01\x00\x08\x00\x03\x00\x00\x00", 8);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    gen_bb_u8(b, 3);
    gen_bb_u8(b, 0);
    gen_bb_u16(b, 4 + 7 + 8);
    gen_bb_u8(b, 6 + 8);
    gen_bb_u8(b, 0xd0);
    gen_bb_u16(b, 0);
    gen_bb_u16(b, 0x1234);
    gen_bb_u8(b, 0);
    gen_bb_put(b, "\x02\x1f\x08\x00\x02\x00\x00\x00", 8);
    gen_script_end(sc, 1);
    static const uint32_t app[3][2] = {{330, 110}, {1250, 330}, {620, 2900}};
    gen_bb_printf(&sc->truth, ",\"rdp_cookie\":");
    gen_bb_json(&sc->truth, cookie);
    /* TLS after the X.224 exchange (tshark 4.0 leaves it undecoded: no "sni" key here). */
    gen_bb_printf(&sc->truth, ",\"rdp_tls_sni\":");
    gen_bb_json(&sc->truth, sni);
    return gen_tls12_script(sc, w, r, pc, sni, &hunt_tls_schannel, &hunt_sh_plain, NULL, app, 3);
}
