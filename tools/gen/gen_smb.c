/*
 * gen_smb.c — a planted PsExec-like SMB2 conversation (--scenario plant).
 *
 * What PsExec does on the wire, one request/response pair per line:
 *   NEGOTIATE (dialects 2.0.2, 2.1; the server picks 2.1)
 *   SESSION_SETUP  SPNEGO(NTLMSSP NEGOTIATE)  →  STATUS_MORE_PROCESSING_REQUIRED, CHALLENGE
 *   SESSION_SETUP  SPNEGO(NTLMSSP AUTHENTICATE: domain, user, workstation)  →  success
 *   TREE_CONNECT \\FS01\ADMIN$; CREATE PSEXESVC.exe; WRITE ×2; CLOSE
 *   TREE_CONNECT \\FS01\IPC$; CREATE svcctl (a named pipe)
 *   DCE/RPC over the pipe, each PDU in a WRITE and its answer in a READ:
 *     bind svcctl v2.0 (NDR) → bind_ack; OpenSCManagerW; CreateServiceW (PSEXESVC,
 *     %SystemRoot%\PSEXESVC.exe); StartServiceW; CloseServiceHandle ×2
 *   CLOSE svcctl
 *
 * Layouts:
 *   Direct TCP transport ([MS-SMB2] 2.1): 0x00, length(3, big-endian), SMB2 message.
 *   SMB2 header ([MS-SMB2] 2.2.1.2, little-endian): FE 'S' 'M' 'B', StructureSize 64,
 *     CreditCharge(2), Status(4), Command(2), Credits(2), Flags(4), NextCommand(4),
 *     MessageId(8), Reserved/ProcessId(4), TreeId(4), SessionId(8), Signature(16).
 *   Bodies: NEGOTIATE 2.2.3/2.2.4, SESSION_SETUP 2.2.5/2.2.6, TREE_CONNECT 2.2.9/2.2.10,
 *     CREATE 2.2.13/2.2.14, CLOSE 2.2.15/2.2.16, READ 2.2.19/2.2.20, WRITE 2.2.21/2.2.22.
 *   SPNEGO (RFC 4178 §4.2): [APPLICATION 0] { OID 1.3.6.1.5.5.2, negTokenInit [0] },
 *     negTokenResp [1] { negState [0], supportedMech [1], responseToken [2] }.
 *   NTLMSSP ([MS-NLMP] 2.2.1.1-3): "NTLMSSP\0", type, fields (len, maxlen, offset),
 *     flags, version 2.2.2.10, AV pairs 2.2.2.1, NTLMv2 response 2.2.2.8.
 *   DCE/RPC connection-oriented PDUs (C706 §12.6, [MS-RPCE] 2.2.2): 16-byte common header
 *     (version 5.0, type, flags, data representation, frag length, auth length, call id).
 *   svcctl ([MS-SCMR] 3.1.4): opnums 15 OpenSCManagerW, 12 CreateServiceW, 19 StartServiceW,
 *     0 CloseServiceHandle; NDR (C706 §14) with [unique] pointers as referent ids and
 *     conformant varying strings (max count, offset, actual count, UTF-16 with NUL).
 *
 * The NTLMv2 proof and session key are random bytes (there is no password to derive
 * them from); nothing is signed, so dissectors see every field in the clear.
 */
#include "gen.h"

#include "core/err.h"

#include <string.h>

enum {
    SMB2_NEGOTIATE = 0,
    SMB2_SESSION_SETUP = 1,
    SMB2_TREE_CONNECT = 3,
    SMB2_CREATE = 5,
    SMB2_CLOSE = 6,
    SMB2_READ = 8,
    SMB2_WRITE = 9
};

#define STATUS_MORE_PROCESSING 0xc0000016u
#define FILETIME_EPOCH 116444736000000000ULL

static void smb_begin(struct gen_smb *m, uint16_t cmd, int resp, uint32_t status)
{
    struct gen_bb *b = m->b;
    gen_script_begin(m->sc);
    m->nb_at = b->len;
    gen_bb_u32(b, 0);
    static const uint8_t proto[4] = {0xfe, 'S', 'M', 'B'};
    gen_bb_put(b, proto, 4);
    gen_bb_u16le(b, 64);
    gen_bb_u16le(b, cmd == SMB2_NEGOTIATE ? 0 : 1);
    gen_bb_u32le(b, resp ? status : 0);
    gen_bb_u16le(b, cmd);
    gen_bb_u16le(b, resp ? 1 : 31);
    gen_bb_u32le(b, resp ? 1 : 0); /* SMB2_FLAGS_SERVER_TO_REDIR */
    gen_bb_u32le(b, 0);
    gen_bb_u64le(b, m->mid);
    gen_bb_u32le(b, 0xfeff);
    gen_bb_u32le(b, cmd == SMB2_TREE_CONNECT && !resp ? 0 : m->tid);
    gen_bb_u64le(b, cmd == SMB2_NEGOTIATE ? 0 : m->sid);
    gen_bb_zero(b, 16);
}

static void smb_end(struct gen_smb *m, int dir)
{
    gen_bb_patch(m->b, m->nb_at, 4, m->b->len - m->nb_at - 4 + m->sc->tail_open, 0);
    gen_script_end(m->sc, dir);
    if (dir)
        m->mid++;
}

/* ------------------------------------------------------------------ SPNEGO and NTLMSSP */

static const uint8_t oid_spnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t oid_ntlmssp[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};

/* mechToken / responseToken [2] OCTET STRING, when there is one. */
static void spnego_token(struct gen_bb *b, const struct gen_bb *token)
{
    if (!token)
        return;
    size_t t = gen_der_open(b, 0xa2);
    gen_der_octets(b, token->p, token->len);
    gen_der_close(b, t);
}

/* GSS-API initial token with negTokenInit { mechTypes [NTLMSSP], mechToken [2] token }. */
static void spnego_init(struct gen_bb *b, const struct gen_bb *token)
{
    size_t app = gen_der_open(b, 0x60);
    gen_der_oid(b, oid_spnego, sizeof(oid_spnego));
    size_t c0 = gen_der_open(b, 0xa0), sq = gen_der_open(b, 0x30);
    size_t mt = gen_der_open(b, 0xa0), ml = gen_der_open(b, 0x30);
    gen_der_oid(b, oid_ntlmssp, sizeof(oid_ntlmssp));
    gen_der_close(b, ml);
    gen_der_close(b, mt);
    spnego_token(b, token);
    gen_der_close(b, sq);
    gen_der_close(b, c0);
    gen_der_close(b, app);
}

/* negTokenResp; state < 0 leaves negState out, mech adds supportedMech. */
static void spnego_resp(struct gen_bb *b, int state, int mech, const struct gen_bb *token)
{
    size_t c1 = gen_der_open(b, 0xa1), sq = gen_der_open(b, 0x30);
    if (state >= 0) {
        size_t s = gen_der_open(b, 0xa0);
        gen_bb_u8(b, 0x0a);
        gen_bb_u8(b, 1);
        gen_bb_u8(b, (uint32_t)state);
        gen_der_close(b, s);
    }
    if (mech) {
        size_t s = gen_der_open(b, 0xa1);
        gen_der_oid(b, oid_ntlmssp, sizeof(oid_ntlmssp));
        gen_der_close(b, s);
    }
    spnego_token(b, token);
    gen_der_close(b, sq);
    gen_der_close(b, c1);
}

static void ntlm_head(struct gen_bb *b, uint32_t type)
{
    gen_bb_put(b, "NTLMSSP", 8); /* with its NUL */
    gen_bb_u32le(b, type);
}

/* Windows 10 build 19041, NTLMSSP_REVISION_W2K3. */
static void ntlm_version(struct gen_bb *b)
{
    static const uint8_t v[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f};
    gen_bb_put(b, v, 8);
}

/* Fields (len, maxlen, offset) pointing at payload bytes appended later. */
static void ntlm_field(struct gen_bb *b, size_t len, size_t off)
{
    gen_bb_u16le(b, (uint32_t)len);
    gen_bb_u16le(b, (uint32_t)len);
    gen_bb_u32le(b, (uint32_t)off);
}

static void av_pair(struct gen_bb *b, uint16_t id, const char *text)
{
    gen_bb_u16le(b, id);
    gen_bb_u16le(b, (uint32_t)(2 * strlen(text)));
    gen_bb_utf16(b, text);
}

static void ntlm_negotiate(struct gen_bb *b)
{
    ntlm_head(b, 1);
    gen_bb_u32le(b, 0xe2088297);
    ntlm_field(b, 0, 0);
    ntlm_field(b, 0, 0);
    ntlm_version(b);
}

/* AV pairs of the server (without MsvAvEOL) into info. */
static void ntlm_target_info(struct gen_smb *m, struct gen_bb *info, const char *domain)
{
    char dns[64];
    snprintf(dns, sizeof(dns), "%s.example", domain);
    for (char *p = dns; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    /* NetBIOS name: the server name's first label in capitals; DNS name: in small letters,
     * completed with the domain when it has none. */
    char nb[64], host[160];
    const char *name = m->sc->srv.name;
    size_t l = strcspn(name, ".");
    snprintf(nb, sizeof(nb), "%.*s", (int)l, name);
    for (char *p = nb; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (name[l])
        snprintf(host, sizeof(host), "%s", name);
    else
        snprintf(host, sizeof(host), "%s.%s", name, dns);
    for (char *p = host; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    av_pair(info, 2, domain);
    av_pair(info, 1, nb);
    av_pair(info, 4, dns);
    av_pair(info, 3, host);
    av_pair(info, 5, dns);
    gen_bb_u16le(info, 7); /* MsvAvTimestamp */
    gen_bb_u16le(info, 8);
    gen_bb_u64le(info, m->filetime);
}

static void ntlm_challenge(struct gen_smb *m, struct gen_bb *b, const struct gen_bb *info,
                           const char *domain)
{
    size_t name_len = 2 * strlen(domain), info_len = info->len + 4;
    ntlm_head(b, 2);
    ntlm_field(b, name_len, 56);
    gen_bb_u32le(b, 0xe2898215);
    gen_bb_rand(b, m->r, 8); /* ServerChallenge */
    gen_bb_zero(b, 8);
    ntlm_field(b, info_len, 56 + name_len);
    ntlm_version(b);
    gen_bb_utf16(b, domain);
    gen_bb_put(b, info->p, info->len);
    gen_bb_u32le(b, 0); /* MsvAvEOL */
}

static void ntlm_authenticate(struct gen_smb *m, struct gen_bb *b, const struct gen_bb *info,
                              const char *user, const char *domain, const char *ws)
{
    /* NTLMv2 response: NTProofStr(16), then the client challenge blob (2.2.2.7). */
    struct gen_bb nt = {0};
    gen_bb_rand(&nt, m->r, 16);
    gen_bb_u8(&nt, 1);
    gen_bb_u8(&nt, 1);
    gen_bb_zero(&nt, 6);
    gen_bb_u64le(&nt, m->filetime);
    gen_bb_rand(&nt, m->r, 8);
    gen_bb_zero(&nt, 4);
    gen_bb_put(&nt, info->p, info->len);
    gen_bb_u16le(&nt, 6); /* MsvAvFlags: the MIC field is present */
    gen_bb_u16le(&nt, 4);
    gen_bb_u32le(&nt, 2);
    gen_bb_u32le(&nt, 0); /* MsvAvEOL */
    gen_bb_zero(&nt, 4);
    size_t dl = 2 * strlen(domain), ul = 2 * strlen(user), wl = 2 * strlen(ws);
    size_t off = 88;
    ntlm_head(b, 3);
    ntlm_field(b, 24, off + dl + ul + wl);
    ntlm_field(b, nt.len, off + dl + ul + wl + 24);
    ntlm_field(b, dl, off);
    ntlm_field(b, ul, off + dl);
    ntlm_field(b, wl, off + dl + ul);
    ntlm_field(b, 16, off + dl + ul + wl + 24 + nt.len);
    gen_bb_u32le(b, 0xe2888215);
    ntlm_version(b);
    gen_bb_rand(b, m->r, 16); /* MIC */
    gen_bb_utf16(b, domain);
    gen_bb_utf16(b, user);
    gen_bb_utf16(b, ws);
    gen_bb_zero(b, 24); /* LmChallengeResponse: zeros when MsvAvTimestamp is present */
    gen_bb_put(b, nt.p, nt.len);
    gen_bb_rand(b, m->r, 16); /* EncryptedRandomSessionKey */
    if (nt.err)
        b->err = nt.err;
    gen_bb_free(&nt);
}

/* ------------------------------------------------------------------ SMB2 commands */

static void negotiate(struct gen_smb *m)
{
    struct gen_bb *b = m->b, blob = {0};
    smb_begin(m, SMB2_NEGOTIATE, 0, 0);
    gen_bb_u16le(b, 36);
    gen_bb_u16le(b, 2);
    gen_bb_u16le(b, 1); /* signing enabled */
    gen_bb_u16le(b, 0);
    gen_bb_u32le(b, 7); /* DFS, LEASING, LARGE_MTU */
    gen_bb_rand(b, m->r, 16);
    gen_bb_u64le(b, 0);
    gen_bb_u16le(b, 0x0202);
    gen_bb_u16le(b, 0x0210);
    smb_end(m, 0);

    spnego_init(&blob, NULL);
    smb_begin(m, SMB2_NEGOTIATE, 1, 0);
    gen_bb_u16le(b, 65);
    gen_bb_u16le(b, 1);
    gen_bb_u16le(b, 0x0210);
    gen_bb_u16le(b, 0);
    gen_bb_rand(b, m->r, 16);
    gen_bb_u32le(b, 7);
    gen_bb_u32le(b, 8u << 20);
    gen_bb_u32le(b, 8u << 20);
    gen_bb_u32le(b, 8u << 20);
    gen_bb_u64le(b, m->filetime);
    gen_bb_u64le(b, 0);
    gen_bb_u16le(b, 128);
    gen_bb_u16le(b, (uint32_t)blob.len);
    gen_bb_u32le(b, 0);
    gen_bb_put(b, blob.p, blob.len);
    smb_end(m, 1);
    gen_bb_free(&blob);
}

static void session_setup(struct gen_smb *m, const struct gen_bb *req, uint32_t status,
                          const struct gen_bb *resp)
{
    struct gen_bb *b = m->b;
    smb_begin(m, SMB2_SESSION_SETUP, 0, 0);
    gen_bb_u16le(b, 25);
    gen_bb_u8(b, 0);
    gen_bb_u8(b, 1);
    gen_bb_u32le(b, 1);
    gen_bb_u32le(b, 0);
    gen_bb_u16le(b, 88);
    gen_bb_u16le(b, (uint32_t)req->len);
    gen_bb_u64le(b, 0);
    gen_bb_put(b, req->p, req->len);
    smb_end(m, 0);
    smb_begin(m, SMB2_SESSION_SETUP, 1, status);
    gen_bb_u16le(b, 9);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 72);
    gen_bb_u16le(b, (uint32_t)resp->len);
    gen_bb_put(b, resp->p, resp->len);
    smb_end(m, 1);
}

static void tree_connect(struct gen_smb *m, const char *path, int pipe)
{
    struct gen_bb *b = m->b;
    smb_begin(m, SMB2_TREE_CONNECT, 0, 0);
    gen_bb_u16le(b, 9);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 72);
    gen_bb_u16le(b, (uint32_t)(2 * strlen(path)));
    gen_bb_utf16(b, path);
    smb_end(m, 0);
    m->tid = pipe ? 5 : 1;
    smb_begin(m, SMB2_TREE_CONNECT, 1, 0);
    gen_bb_u16le(b, 16);
    gen_bb_u8(b, pipe ? 2 : 1);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, pipe ? 0x30 : 0);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0x001f01ff);
    smb_end(m, 1);
}

/*
 * CREATE of name: a named pipe (GEN_SMB_PIPE), a file created or overwritten for writing
 * (GEN_SMB_WRITE), or an existing file of size bytes opened for reading (GEN_SMB_READ).
 */
static void create(struct gen_smb *m, const char *name, int how, uint64_t size, uint8_t fid[16])
{
    struct gen_bb *b = m->b;
    int pipe = how == GEN_SMB_PIPE, rd = how == GEN_SMB_READ;
    smb_begin(m, SMB2_CREATE, 0, 0);
    gen_bb_u16le(b, 57);
    gen_bb_u8(b, 0);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, 2); /* Impersonation */
    gen_bb_u64le(b, 0);
    gen_bb_u64le(b, 0);
    /* read data, EA and attributes, sync (+ write, append, write EA and attributes) */
    gen_bb_u32le(b, rd ? 0x00120089 : 0x0012019f);
    gen_bb_u32le(b, pipe || rd ? 0 : 0x80);              /* FILE_ATTRIBUTE_NORMAL */
    gen_bb_u32le(b, pipe ? 3 : rd ? 7 : 1);              /* share read (+ write, delete) */
    gen_bb_u32le(b, pipe || rd ? 1 : 5);                 /* FILE_OPEN : FILE_OVERWRITE_IF */
    gen_bb_u32le(b, pipe ? 0x400040 : rd ? 0x40 : 0x44); /* non-directory (+ sequential) */
    gen_bb_u16le(b, 120);
    gen_bb_u16le(b, (uint32_t)(2 * strlen(name)));
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_utf16(b, name);
    smb_end(m, 0);
    gen_rng_fill(m->r, fid, 16);
    smb_begin(m, SMB2_CREATE, 1, 0);
    gen_bb_u16le(b, 89);
    gen_bb_u8(b, 0);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, pipe || rd ? 1 : 2); /* FILE_OPENED : FILE_CREATED */
    for (int i = 0; i < 4; i++)
        gen_bb_u64le(b, pipe ? 0 : m->filetime);
    gen_bb_u64le(b, pipe ? 4096 : rd ? (size + 4095) / 4096 * 4096 : 0); /* allocation */
    gen_bb_u64le(b, rd ? size : 0);                                      /* end of file */
    gen_bb_u32le(b, pipe ? 0x80 : 0x20);                                 /* NORMAL : ARCHIVE */
    gen_bb_u32le(b, 0);
    gen_bb_put(b, fid, 16);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    smb_end(m, 1);
}

/* WRITE of n bytes at off: data, or (data NULL) n bytes of the random pool. */
static void write_req(struct gen_smb *m, const uint8_t fid[16], const uint8_t *data, size_t n,
                      uint64_t off)
{
    struct gen_bb *b = m->b;
    smb_begin(m, SMB2_WRITE, 0, 0);
    gen_bb_u16le(b, 49);
    gen_bb_u16le(b, 112);
    gen_bb_u32le(b, (uint32_t)n);
    gen_bb_u64le(b, off);
    gen_bb_put(b, fid, 16);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u32le(b, 0);
    if (data)
        gen_bb_put(b, data, n);
    else
        gen_script_tail(m->sc, (uint32_t)n);
    smb_end(m, 0);
    smb_begin(m, SMB2_WRITE, 1, 0);
    gen_bb_u16le(b, 17);
    gen_bb_u16le(b, 0);
    gen_bb_u32le(b, (uint32_t)n);
    gen_bb_u32le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 0);
    smb_end(m, 1);
    m->written += n;
}

static void read_req(struct gen_smb *m, const uint8_t fid[16], const struct gen_bb *data)
{
    struct gen_bb *b = m->b;
    smb_begin(m, SMB2_READ, 0, 0);
    gen_bb_u16le(b, 49);
    gen_bb_u8(b, 0x50);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, 1024);
    gen_bb_u64le(b, 0);
    gen_bb_put(b, fid, 16);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u8(b, 0);
    smb_end(m, 0);
    smb_begin(m, SMB2_READ, 1, 0);
    gen_bb_u16le(b, 17);
    gen_bb_u8(b, 80);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, (uint32_t)data->len);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_put(b, data->p, data->len);
    smb_end(m, 1);
}

static void close_req(struct gen_smb *m, const uint8_t fid[16])
{
    struct gen_bb *b = m->b;
    smb_begin(m, SMB2_CLOSE, 0, 0);
    gen_bb_u16le(b, 24);
    gen_bb_u16le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_put(b, fid, 16);
    smb_end(m, 0);
    smb_begin(m, SMB2_CLOSE, 1, 0);
    gen_bb_u16le(b, 60);
    gen_bb_zero(b, 58);
    smb_end(m, 1);
}

/* ------------------------------------------------------------------ DCE/RPC and svcctl */

/* UUIDs in little-endian data representation (the first three fields byte-swapped). */
static const uint8_t uuid_svcctl[16] = {0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35,
                                        0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03};
static const uint8_t uuid_ndr[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

static void rpc_hdr(struct gen_bb *b, uint8_t ptype, uint32_t call_id)
{
    static const uint8_t h[8] = {5, 0, 0, 0x03, 0x10, 0, 0, 0}; /* first+last frag, LE */
    gen_bb_put(b, h, 8);
    if (!b->err)
        b->p[b->len - 6] = ptype;
    gen_bb_u16le(b, 0); /* frag_length, patched */
    gen_bb_u16le(b, 0);
    gen_bb_u32le(b, call_id);
}

static void rpc_done(struct gen_bb *b)
{
    gen_bb_patch(b, 8, 2, b->len, 1);
}

void gen_rpc_bind(struct gen_bb *b, uint32_t call_id, const uint8_t uuid[16], uint16_t vmaj,
                  uint16_t vmin)
{
    rpc_hdr(b, 11, call_id);
    gen_bb_u16le(b, 4280);
    gen_bb_u16le(b, 4280);
    gen_bb_u32le(b, 0);
    gen_bb_u8(b, 1); /* one presentation context */
    gen_bb_zero(b, 3);
    gen_bb_u16le(b, 0);
    gen_bb_u8(b, 1);
    gen_bb_u8(b, 0);
    gen_bb_put(b, uuid, 16);
    gen_bb_u16le(b, vmaj);
    gen_bb_u16le(b, vmin);
    gen_bb_put(b, uuid_ndr, 16);
    gen_bb_u32le(b, 2);
    rpc_done(b);
}

void gen_rpc_bind_ack(struct gen_bb *b, uint32_t call_id, uint32_t group, const char *port)
{
    rpc_hdr(b, 12, call_id);
    gen_bb_u16le(b, 4280);
    gen_bb_u16le(b, 4280);
    gen_bb_u32le(b, group);
    gen_bb_u16le(b, (uint32_t)strlen(port) + 1);
    gen_bb_put(b, port, strlen(port) + 1);
    gen_bb_align(b, 0, 4);
    gen_bb_u8(b, 1);
    gen_bb_zero(b, 3);
    gen_bb_u16le(b, 0); /* acceptance */
    gen_bb_u16le(b, 0);
    gen_bb_put(b, uuid_ndr, 16);
    gen_bb_u32le(b, 2);
    rpc_done(b);
}

/* Request (ptype 0) or response (2) header; the stub follows at offset 24. */
void gen_rpc_call(struct gen_bb *b, int resp, uint32_t call_id, uint16_t opnum)
{
    rpc_hdr(b, resp ? 2 : 0, call_id);
    gen_bb_u32le(b, 0); /* alloc_hint, patched by rpc_call_done */
    gen_bb_u16le(b, 0);
    if (resp) {
        gen_bb_u8(b, 0);
        gen_bb_u8(b, 0);
    } else {
        gen_bb_u16le(b, opnum);
    }
}

void gen_rpc_call_done(struct gen_bb *b)
{
    gen_bb_patch(b, 16, 4, b->len - 24, 1);
    rpc_done(b);
}

/* Conformant varying string: max count, offset 0, actual count, UTF-16 with NUL, pad to 4. */
void gen_ndr_wstr(struct gen_bb *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s) + 1;
    gen_bb_u32le(b, n);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, n);
    gen_bb_utf16(b, s);
    gen_bb_u16le(b, 0);
    gen_bb_align(b, 24, 4);
}

static void ndr_unique_wstr(struct gen_smb *m, struct gen_bb *b, const char *s)
{
    if (!s) {
        gen_bb_u32le(b, 0);
        return;
    }
    m->refid += 4;
    gen_bb_u32le(b, m->refid);
    gen_ndr_wstr(b, s);
}

/*
 * One svcctl call, request in a WRITE and response in a READ: call_begin writes the
 * request header into q (the caller adds the stub), call_reply finishes it and starts
 * the response in a (the caller adds the stub), call_send finishes a and sends both.
 */
static void call_begin(struct gen_smb *m, struct gen_bb *q, struct gen_bb *a, uint16_t opnum)
{
    q->len = a->len = 0;
    gen_rpc_call(q, 0, ++m->call_id, opnum);
}

static void call_reply(struct gen_smb *m, struct gen_bb *q, struct gen_bb *a, uint16_t opnum)
{
    gen_rpc_call_done(q);
    gen_rpc_call(a, 1, m->call_id, opnum);
}

static void call_send(struct gen_smb *m, const uint8_t fid[16], struct gen_bb *q, struct gen_bb *a)
{
    gen_rpc_call_done(a);
    write_req(m, fid, q->p, q->len, 0);
    read_req(m, fid, a);
}

struct scm_names {
    const char *machine, *service, *display, *binpath;
};

static void svcctl(struct gen_smb *m, const uint8_t fid[16], const struct scm_names *nm)
{
    struct gen_bb q = {0}, a = {0};
    uint8_t scm[20] = {0}, svc[20] = {0};
    gen_rng_fill(m->r, scm + 4, 16);
    gen_rng_fill(m->r, svc + 4, 16);

    gen_rpc_bind(&q, ++m->call_id, uuid_svcctl, 2, 0);
    gen_rpc_bind_ack(&a, m->call_id, 0x5000u + (uint32_t)gen_rng_below(m->r, 0x1000),
                     "\\PIPE\\svcctl");
    write_req(m, fid, q.p, q.len, 0);
    read_req(m, fid, &a);

    /* OpenSCManagerW (opnum 15): [unique,string] machine, [unique,string] database, access */
    call_begin(m, &q, &a, 15);
    ndr_unique_wstr(m, &q, nm->machine);
    ndr_unique_wstr(m, &q, "ServicesActive");
    gen_bb_u32le(&q, 0x000f003f); /* SC_MANAGER_ALL_ACCESS */
    call_reply(m, &q, &a, 15);
    gen_bb_put(&a, scm, 20);
    gen_bb_u32le(&a, 0);
    call_send(m, fid, &q, &a);

    /*
     * CreateServiceW (opnum 12): handle, [string] name, [unique,string] display name,
     * access, type, start type, error control, [string] binary path, then NULL / zero
     * for load order group, tag id, dependencies + size, start name, password + size.
     */
    call_begin(m, &q, &a, 12);
    gen_bb_put(&q, scm, 20);
    gen_ndr_wstr(&q, nm->service);
    ndr_unique_wstr(m, &q, nm->display);
    gen_bb_u32le(&q, 0x000f01ff); /* SERVICE_ALL_ACCESS */
    gen_bb_u32le(&q, 0x10);       /* SERVICE_WIN32_OWN_PROCESS */
    gen_bb_u32le(&q, 3);          /* SERVICE_DEMAND_START */
    gen_bb_u32le(&q, 0);          /* SERVICE_ERROR_IGNORE */
    gen_ndr_wstr(&q, nm->binpath);
    gen_bb_zero(&q, 7 * 4);
    call_reply(m, &q, &a, 12);
    gen_bb_u32le(&a, 0); /* lpdwTagId: NULL */
    gen_bb_put(&a, svc, 20);
    gen_bb_u32le(&a, 0);
    call_send(m, fid, &q, &a);

    /* StartServiceW (opnum 19): handle, argc 0, [unique] argv NULL */
    call_begin(m, &q, &a, 19);
    gen_bb_put(&q, svc, 20);
    gen_bb_zero(&q, 8);
    call_reply(m, &q, &a, 19);
    gen_bb_u32le(&a, 0);
    call_send(m, fid, &q, &a);

    /* CloseServiceHandle (opnum 0) for the service, then the manager: a zeroed handle back. */
    for (int i = 0; i < 2; i++) {
        call_begin(m, &q, &a, 0);
        gen_bb_put(&q, i ? scm : svc, 20);
        call_reply(m, &q, &a, 0);
        gen_bb_zero(&a, 24);
        call_send(m, fid, &q, &a);
    }
    if (q.err || a.err)
        m->b->err = q.err ? q.err : a.err;
    gen_bb_free(&q);
    gen_bb_free(&a);
}

int gen_smb_begin(struct gen_smb *m, struct gen_script *sc, struct rng *r, int64_t t,
                  const char *user, const char *domain, const char *workstation)
{
    struct gen_bb tok = {0}, blob = {0}, blob2 = {0}, info = {0};
    memset(m, 0, sizeof(*m));
    m->sc = sc;
    m->b = &sc->data;
    m->r = r;
    m->sid = 0x0000100000000000ULL | (gen_rng_next(r) & 0xffffffffu);
    m->filetime = (uint64_t)(t / 100) + FILETIME_EPOCH;
    m->refid = 0x00020000 - 4;

    negotiate(m);
    ntlm_negotiate(&tok);
    spnego_init(&blob, &tok);
    ntlm_target_info(m, &info, domain);
    tok.len = 0;
    ntlm_challenge(m, &tok, &info, domain);
    spnego_resp(&blob2, 1, 1, &tok); /* accept-incomplete */
    session_setup(m, &blob, STATUS_MORE_PROCESSING, &blob2);
    tok.len = blob.len = blob2.len = 0;
    ntlm_authenticate(m, &tok, &info, user, domain, workstation);
    spnego_resp(&blob, -1, 0, &tok);
    spnego_resp(&blob2, 0, 0, NULL); /* accept-completed */
    session_setup(m, &blob, 0, &blob2);
    int err = tok.err || blob.err || blob2.err || info.err;
    gen_bb_free(&tok);
    gen_bb_free(&blob);
    gen_bb_free(&blob2);
    gen_bb_free(&info);
    return err ? KS_ENOMEM : 0;
}

void gen_smb_tree(struct gen_smb *m, const char *path, int pipe)
{
    tree_connect(m, path, pipe);
}

void gen_smb_open(struct gen_smb *m, const char *name, int how, uint64_t size, uint8_t fid[16])
{
    create(m, name, how, size, fid);
}

void gen_smb_write(struct gen_smb *m, const uint8_t fid[16], uint32_t n, uint64_t off)
{
    write_req(m, fid, NULL, n, off);
}

/*
 * READ of n bytes of a file at off ([MS-SMB2] 2.2.19/2.2.20); the data is n bytes of the
 * random pool after the response header.
 */
void gen_smb_read(struct gen_smb *m, const uint8_t fid[16], uint32_t n, uint64_t off)
{
    struct gen_bb *b = m->b;
    smb_begin(m, SMB2_READ, 0, 0);
    gen_bb_u16le(b, 49);
    gen_bb_u8(b, 0x50);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, n);
    gen_bb_u64le(b, off);
    gen_bb_put(b, fid, 16);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u16le(b, 0);
    gen_bb_u8(b, 0);
    smb_end(m, 0);
    smb_begin(m, SMB2_READ, 1, 0);
    gen_bb_u16le(b, 17);
    gen_bb_u8(b, 80);
    gen_bb_u8(b, 0);
    gen_bb_u32le(b, n);
    gen_bb_u32le(b, 0);
    gen_bb_u32le(b, 0);
    gen_script_tail(m->sc, n);
    smb_end(m, 1);
}

void gen_smb_close(struct gen_smb *m, const uint8_t fid[16])
{
    close_req(m, fid);
}

int gen_ntlm_triple(struct gen_script *sc, struct rng *r, int64_t t, const char *user,
                    const char *domain, const char *workstation, struct gen_bb out[3])
{
    struct gen_smb m;
    struct gen_bb info = {0};
    memset(&m, 0, sizeof(m));
    m.sc = sc;
    m.b = &sc->data;
    m.r = r;
    m.filetime = (uint64_t)(t / 100) + FILETIME_EPOCH;
    ntlm_negotiate(&out[0]);
    ntlm_target_info(&m, &info, domain);
    ntlm_challenge(&m, &out[1], &info, domain);
    ntlm_authenticate(&m, &out[2], &info, user, domain, workstation);
    int err = info.err || out[0].err || out[1].err || out[2].err;
    gen_bb_free(&info);
    return err ? KS_ENOMEM : 0;
}

int gen_smb_psexec(struct gen_script *sc, struct rng *r, int64_t t, const char *user,
                   const char *domain, const char *workstation)
{
    struct gen_smb m;
    struct gen_bb file = {0};
    uint8_t fid[16], pipe[16];
    char admin[96], ipc[96], machine[96];
    const char *host = sc->srv.name;
    snprintf(admin, sizeof(admin), "\\\\%s\\ADMIN$", host);
    snprintf(ipc, sizeof(ipc), "\\\\%s\\IPC$", host);
    snprintf(machine, sizeof(machine), "\\\\%s", host);
    int err = gen_smb_begin(&m, sc, r, t, user, domain, workstation);

    /* The service binary: an MZ header, then bytes that stand for the program. */
    static const uint8_t mz[4] = {'M', 'Z', 0x90, 0};
    gen_bb_put(&file, mz, 4);
    gen_bb_rand(&file, r, 45056 - 4);
    tree_connect(&m, admin, 0);
    create(&m, "PSEXESVC.exe", GEN_SMB_WRITE, 0, fid);
    write_req(&m, fid, file.p, 32768, 0);
    write_req(&m, fid, file.p + 32768, file.len - 32768, 32768);
    close_req(&m, fid);
    uint64_t file_written = m.written;

    tree_connect(&m, ipc, 1);
    create(&m, "svcctl", GEN_SMB_PIPE, 0, pipe);
    static const struct scm_names nm = {NULL, "PSEXESVC", "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"};
    struct scm_names names = nm;
    names.machine = machine;
    svcctl(&m, pipe, &names);
    close_req(&m, pipe);

    struct gen_bb *tr = &sc->truth;
    gen_bb_printf(tr, ",\"plant\":\"smb-psexec\",\"smb_dialect\":\"2.1\",\"user\":");
    gen_bb_json(tr, user);
    gen_bb_printf(tr, ",\"domain\":");
    gen_bb_json(tr, domain);
    gen_bb_printf(tr, ",\"workstation\":");
    gen_bb_json(tr, workstation);
    gen_bb_printf(tr, ",\"shares\":[");
    gen_bb_json(tr, admin);
    gen_bb_u8(tr, ',');
    gen_bb_json(tr, ipc);
    gen_bb_printf(tr,
                  "],\"files\":[\"PSEXESVC.exe\",\"svcctl\"],\"file_written\":"
                  "\"PSEXESVC.exe\",\"file_bytes\":%llu",
                  (unsigned long long)file_written);
    if (!file.err)
        gen_bb_printf(tr, ",\"file_writes\":[32768,%zu]", file.len - 32768);
    {
        static const char *const mds[] = {"md5", "sha1", "sha256"};
        char hex[80];
        for (int i = 0; i < 3; i++) {
            gen_digest_hex(mds[i], file.p, file.len, hex);
            gen_bb_printf(tr, ",\"file_%s\":\"%s\"", mds[i], hex);
        }
    }
    gen_bb_printf(tr,
                  ",\"bytes_written\":%llu,\"pipe\":\"svcctl\",\"rpc_interface\":"
                  "\"svcctl\",\"rpc_ops\":[\"OpenSCManagerW\",\"CreateServiceW\","
                  "\"StartServiceW\",\"CloseServiceHandle\",\"CloseServiceHandle\"],"
                  "\"service_name\":",
                  (unsigned long long)m.written);
    gen_bb_json(tr, names.service);
    gen_bb_printf(tr, ",\"service_display_name\":");
    gen_bb_json(tr, names.display);
    gen_bb_printf(tr, ",\"service_binary_path\":");
    gen_bb_json(tr, names.binpath);
    gen_bb_printf(tr, ",\"scm_machine\":");
    gen_bb_json(tr, machine);

    err = err || file.err;
    gen_bb_free(&file);
    return err ? KS_ENOMEM : 0;
}
