/*
 * smb.c — SMB2/3 ([MS-SMB2] §2.1, §2.2), SMB1 negotiation ([MS-CIFS] §2.2.4.52).
 *
 * Transport ([MS-SMB2] §2.1, RFC 1002 §4.3): every message travels in a 4-byte
 * frame header.  On 445 (direct TCP) it is a zero byte and a 24-bit length; on 139
 * it is the NetBIOS session service header (type, flags, 16-bit length; types
 * 0x81-0x85 are session request/response/keepalive with no SMB inside).  Reading
 * the length as 24 bits serves both.
 *
 *     | type 0x00 | length (24 bits, big-endian) | SMB2 message(s) … |
 *
 * The frame starts with one of
 *     \xfeSMB  SMB2 header; messages may be compounded (NextCommand)
 *     \xfdSMB  SMB3 transform header (§2.2.41): encrypted, nothing to read
 *     \xfcSMB  SMB3 compression transform (§2.2.42): not decompressed, skipped
 *     \xffSMB  SMB1 (only the dialects of NEGOTIATE are read)
 *
 * SMB2 header, 64 bytes (§2.2.1; all integers little-endian):
 *      0 ProtocolId "\xfeSMB"   4 StructureSize (64)   6 CreditCharge
 *      8 Status (responses)    12 Command             14 CreditRequest/Response
 *     16 Flags (0x1 response, 0x2 async, 0x4 related) 20 NextCommand
 *     24 MessageId (u64)      32 Reserved / AsyncId  36 TreeId
 *     40 SessionId (u64)      48 Signature [16]
 * Buffer offsets inside bodies count from the start of this header.
 *
 * Requests and responses are matched by MessageId; an interim STATUS_PENDING
 * response (async, §3.3.4.2) keeps the request waiting.  Per opened file
 * (FileId from the CREATE response) the parser keeps name, share, access,
 * disposition, bytes read and written, rename and delete, and writes one record
 * at CLOSE.  READ/WRITE/IOCTL(FSCTL_PIPE_TRANSCEIVE) data of named pipes goes to
 * the DCE-RPC module as a byte stream per pipe.
 *
 * Limits: the first SMB_FRAME_KEEP bytes of a frame are kept (headers of every
 * compounded message are normally there; bulk READ/WRITE data past it is only
 * counted).  Pending requests, trees, files and sessions are capped; past a cap
 * the oldest pending request is forgotten, new trees/files are not tracked, and an
 * anomaly is counted.  After a gap or a frame that does not start like SMB, the
 * direction looks for the next "\0…\xfeSMB" frame start inside each new chunk.
 */
#include "proto/smb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rdr.h"
#include "proto/dcerpc.h"
#include "proto/ntlm.h"

#define SMB_FRAME_KEEP (64 * 1024)
#define SMB_MAX_PENDING 512
#define SMB_MAX_FILES 1024
#define SMB_MAX_TREES 256
#define SMB_MAX_SESSIONS 64
#define SMB_NAME_MAX 1024
#define SMB_BLOB_MAX (16 * 1024) /* kept NTLM message (CHALLENGE / AUTHENTICATE) */
#define SMB_MAX_COMPOUND 64
#define SMB1_MAX_DIALECTS 16

enum {
    SMB2_NEGOTIATE = 0,
    SMB2_SESSION_SETUP = 1,
    SMB2_LOGOFF = 2,
    SMB2_TREE_CONNECT = 3,
    SMB2_TREE_DISCONNECT = 4,
    SMB2_CREATE = 5,
    SMB2_CLOSE = 6,
    SMB2_READ = 8,
    SMB2_WRITE = 9,
    SMB2_IOCTL = 11,
    SMB2_SET_INFO = 17,
};

#define SMB2_FLAGS_RESPONSE 0x1u
#define SMB2_FLAGS_ASYNC 0x2u
#define SMB2_FLAGS_RELATED 0x4u

#define ST_SUCCESS 0x00000000u
#define ST_PENDING 0x00000103u
#define ST_MORE_PROCESSING 0xc0000016u

#define FSCTL_PIPE_TRANSCEIVE 0x0011c017u
#define FILE_DELETE_ON_CLOSE 0x00001000u

/* smb.file.action bits */
enum {
    ACT_SUPERSEDE = 1 << 0,
    ACT_OPEN = 1 << 1,
    ACT_CREATE = 1 << 2,
    ACT_OVERWRITE = 1 << 3,
    ACT_READ = 1 << 4,
    ACT_WRITE = 1 << 5,
    ACT_RENAME = 1 << 6,
    ACT_DELETE = 1 << 7,
};
static const char *const act_names[] = {"supersede", "open",  "create", "overwrite",
                                        "read",      "write", "rename", "delete"};

struct smb_session {
    uint64_t id;
    char user[256], domain[256];
};

struct smb_tree {
    uint64_t sess;
    uint32_t id;
    uint8_t type; /* 1 disk, 2 pipe, 3 print (§2.2.10) */
    char *path;
};

struct smb_file {
    uint8_t used;
    uint8_t fid[16];
    uint64_t create_mid, sess;
    int tree; /* index in trees or -1 */
    char *name;
    uint32_t access, disposition, options;
    uint32_t last_err;
    uint64_t size, bytes_read, bytes_written;
    unsigned actions;
    char *renamed_to;
    struct dcerpc_conn *rpc;
};

struct smb_req {
    uint8_t used;
    uint16_t cmd;
    uint64_t mid, sess;
    uint32_t tree;
    int file;         /* index in files, -1 unknown */
    uint64_t rel_mid; /* related compound: the CREATE this request follows */
    uint8_t related;
    char *name; /* CREATE name, TREE_CONNECT path, SET_INFO new name */
    uint32_t a, b, c;
    uint8_t *blob; /* SESSION_SETUP: the AUTHENTICATE message */
    size_t blen;
};

struct smb_dir {
    uint8_t hdr[4];
    uint8_t hn; /* header bytes collected */
    uint8_t dead;
    uint32_t flen, got;
    struct buf fb; /* kept part of the frame */
};

struct smb_state {
    struct smb_dir dir[2];
    uint8_t inited, done, major; /* major: 2 or 3, 0 unknown */
    uint16_t dialect;
    struct smb_req *reqs;
    size_t nreqs;
    struct smb_file *files;
    size_t nfiles;
    struct smb_tree *trees;
    size_t ntrees;
    struct smb_session *sess;
    size_t nsess;
    uint8_t *chal; /* last NTLM CHALLENGE seen from the server */
    size_t chal_len;
    /* SMB1 */
    uint8_t smb1_seen;
    uint8_t n1;
    char *dial1[SMB1_MAX_DIALECTS];
};

/* ---------------------------------------------------------------- names */

/* A code and its name: NTSTATUS values, DesiredAccess bits. */
struct smb_name {
    uint32_t code;
    const char *name;
};

static const struct smb_name status_names[] = {
    {0x00000000, "STATUS_SUCCESS"},
    {0x00000103, "STATUS_PENDING"},
    {0x0000010c, "STATUS_NOTIFY_ENUM_DIR"},
    {0x80000005, "STATUS_BUFFER_OVERFLOW"},
    {0x80000006, "STATUS_NO_MORE_FILES"},
    {0x8000002d, "STATUS_STOPPED_ON_SYMLINK"},
    {0xc0000002, "STATUS_NOT_IMPLEMENTED"},
    {0xc0000003, "STATUS_INVALID_INFO_CLASS"},
    {0xc0000008, "STATUS_INVALID_HANDLE"},
    {0xc000000d, "STATUS_INVALID_PARAMETER"},
    {0xc000000f, "STATUS_NO_SUCH_FILE"},
    {0xc0000010, "STATUS_INVALID_DEVICE_REQUEST"},
    {0xc0000011, "STATUS_END_OF_FILE"},
    {0xc0000016, "STATUS_MORE_PROCESSING_REQUIRED"},
    {0xc0000022, "STATUS_ACCESS_DENIED"},
    {0xc0000023, "STATUS_BUFFER_TOO_SMALL"},
    {0xc0000033, "STATUS_OBJECT_NAME_INVALID"},
    {0xc0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
    {0xc0000035, "STATUS_OBJECT_NAME_COLLISION"},
    {0xc000003a, "STATUS_OBJECT_PATH_NOT_FOUND"},
    {0xc0000043, "STATUS_SHARING_VIOLATION"},
    {0xc0000055, "STATUS_LOCK_NOT_GRANTED"},
    {0xc0000056, "STATUS_DELETE_PENDING"},
    {0xc0000061, "STATUS_PRIVILEGE_NOT_HELD"},
    {0xc0000064, "STATUS_NO_SUCH_USER"},
    {0xc000006a, "STATUS_WRONG_PASSWORD"},
    {0xc000006d, "STATUS_LOGON_FAILURE"},
    {0xc000006e, "STATUS_ACCOUNT_RESTRICTION"},
    {0xc000006f, "STATUS_INVALID_LOGON_HOURS"},
    {0xc0000070, "STATUS_INVALID_WORKSTATION"},
    {0xc0000071, "STATUS_PASSWORD_EXPIRED"},
    {0xc0000072, "STATUS_ACCOUNT_DISABLED"},
    {0xc000007f, "STATUS_DISK_FULL"},
    {0xc000009a, "STATUS_INSUFFICIENT_RESOURCES"},
    {0xc00000a5, "STATUS_BAD_IMPERSONATION_LEVEL"},
    {0xc00000b0, "STATUS_PIPE_DISCONNECTED"},
    {0xc00000b5, "STATUS_IO_TIMEOUT"},
    {0xc00000ba, "STATUS_FILE_IS_A_DIRECTORY"},
    {0xc00000bb, "STATUS_NOT_SUPPORTED"},
    {0xc00000c9, "STATUS_NETWORK_NAME_DELETED"},
    {0xc00000ca, "STATUS_NETWORK_ACCESS_DENIED"},
    {0xc00000cc, "STATUS_BAD_NETWORK_NAME"},
    {0xc00000d9, "STATUS_PIPE_EMPTY"},
    {0xc0000101, "STATUS_DIRECTORY_NOT_EMPTY"},
    {0xc0000103, "STATUS_NOT_A_DIRECTORY"},
    {0xc0000120, "STATUS_CANCELLED"},
    {0xc0000128, "STATUS_FILE_CLOSED"},
    {0xc000014b, "STATUS_PIPE_BROKEN"},
    {0xc000015b, "STATUS_LOGON_TYPE_NOT_GRANTED"},
    {0xc000019c, "STATUS_FS_DRIVER_REQUIRED"},
    {0xc0000203, "STATUS_USER_SESSION_DELETED"},
    {0xc0000224, "STATUS_PASSWORD_MUST_CHANGE"},
    {0xc0000225, "STATUS_NOT_FOUND"},
    {0xc0000234, "STATUS_ACCOUNT_LOCKED_OUT"},
};

const char *smb_status_name(uint32_t status)
{
    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (status_names[i].code == status)
            return status_names[i].name;
    return NULL;
}

static void put_status(struct proto_out *o, const char *name, uint32_t status)
{
    const char *s = smb_status_name(status);
    char hex[16];
    if (!s) {
        snprintf(hex, sizeof(hex), "0x%08x", status);
        s = hex;
    }
    proto_cstr(o, name, s);
}

/* Errors worth reporting on a file: severity "error" (top bits 11), not end-of-file. */
static int is_error(uint32_t st)
{
    return (st >> 30) == 3 && st != 0xc0000011u;
}

static const char *dialect_name(uint16_t d)
{
    switch (d) {
    case 0x0202:
        return "2.0.2";
    case 0x0210:
        return "2.1";
    case 0x0300:
        return "3.0";
    case 0x0302:
        return "3.0.2";
    case 0x0311:
        return "3.1.1";
    case 0x02ff:
        return "2.???"; /* wildcard answer to a multi-protocol SMB1 negotiate */
    default:
        return NULL;
    }
}

static const char *disposition_name(uint32_t d)
{
    static const char *const n[] = {"supersede", "open",      "create",
                                    "open_if",   "overwrite", "overwrite_if"};
    return d < sizeof(n) / sizeof(n[0]) ? n[d] : NULL;
}

static const char *share_type_name(uint8_t t)
{
    return t == 1 ? "disk" : t == 2 ? "pipe" : t == 3 ? "print" : NULL;
}

/* DesiredAccess bits ([MS-SMB2] §2.2.13.1.1) */
static const struct smb_name access_names[] = {
    {0x00000001, "read_data"},
    {0x00000002, "write_data"},
    {0x00000004, "append_data"},
    {0x00000008, "read_ea"},
    {0x00000010, "write_ea"},
    {0x00000020, "execute"},
    {0x00000040, "delete_child"},
    {0x00000080, "read_attributes"},
    {0x00000100, "write_attributes"},
    {0x00010000, "delete"},
    {0x00020000, "read_control"},
    {0x00040000, "write_dac"},
    {0x00080000, "write_owner"},
    {0x00100000, "synchronize"},
    {0x01000000, "access_system_security"},
    {0x02000000, "maximum_allowed"},
    {0x10000000, "generic_all"},
    {0x20000000, "generic_execute"},
    {0x40000000, "generic_write"},
    {0x80000000, "generic_read"},
};

/* ---------------------------------------------------------------- helpers */

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A UTF-16LE buffer at (off, len) from the header start m[0..n), as a malloc'ed UTF-8 string. */
static char *utf16_at(const uint8_t *m, size_t n, size_t off, size_t len)
{
    if (off > n || len > n - off)
        return NULL;
    char *s = malloc(SMB_NAME_MAX);
    if (s)
        ntlm_utf16le(s, SMB_NAME_MAX, m + off, len);
    return s;
}

/* Bytes at (off, len) from m[0..n): the part that was kept; *got = how many. */
static const uint8_t *bytes_at(const uint8_t *m, size_t n, size_t off, size_t len, size_t *got)
{
    *got = 0;
    if (off > n)
        return NULL;
    *got = len < n - off ? len : n - off;
    return m + off;
}

static void req_clear(struct smb_req *r)
{
    free(r->name);
    free(r->blob);
    memset(r, 0, sizeof(*r));
}

static struct smb_session *sess_get(struct smb_state *st, uint64_t id, int create)
{
    for (size_t i = 0; i < st->nsess; i++)
        if (st->sess[i].id == id)
            return &st->sess[i];
    if (!create || !id || st->nsess >= SMB_MAX_SESSIONS)
        return NULL;
    struct smb_session *s = &st->sess[st->nsess++];
    memset(s, 0, sizeof(*s));
    s->id = id;
    return s;
}

static struct smb_tree *tree_get(struct smb_state *st, uint64_t sess, uint32_t id, int *idx)
{
    for (size_t i = 0; i < st->ntrees; i++) {
        if (st->trees[i].id == id && (st->trees[i].sess == sess || !sess)) {
            if (idx)
                *idx = (int)i;
            return &st->trees[i];
        }
    }
    if (idx)
        *idx = -1;
    return NULL;
}

static int file_find(struct smb_state *st, const uint8_t *fid)
{
    for (size_t i = 0; i < st->nfiles; i++)
        if (st->files[i].used && memcmp(st->files[i].fid, fid, 16) == 0)
            return (int)i;
    return -1;
}

static int file_by_create(struct smb_state *st, uint64_t mid)
{
    for (size_t i = 0; i < st->nfiles; i++)
        if (st->files[i].used && st->files[i].create_mid == mid)
            return (int)i;
    return -1;
}

static struct smb_req *req_find(struct smb_state *st, uint64_t mid)
{
    for (size_t i = 0; i < st->nreqs; i++)
        if (st->reqs[i].used && st->reqs[i].mid == mid)
            return &st->reqs[i];
    return NULL;
}

/* ---------------------------------------------------------------- records */

static void put_common(struct smb_state *st, struct proto_out *o, uint64_t sess)
{
    proto_cstr(o, "smb.version", st->major == 3 ? "3" : "2");
    const char *d = dialect_name(st->dialect);
    if (d)
        proto_cstr(o, "smb.dialect", d);
    struct smb_session *s = sess_get(st, sess, 0);
    if (s && s->user[0])
        proto_cstr(o, "smb.user", s->user);
    if (s && s->domain[0])
        proto_cstr(o, "smb.domain", s->domain);
}

static void put_share(struct proto_out *o, const struct smb_tree *t)
{
    if (!t)
        return;
    if (t->path)
        proto_cstr(o, "smb.share", t->path);
    const char *ty = share_type_name(t->type);
    if (ty)
        proto_cstr(o, "smb.share_type", ty);
}

/* file.path = share + '\' + name; file.name = the last component of name. */
static void put_path(struct proto_out *o, const struct smb_tree *t, const char *name)
{
    char path[2 * SMB_NAME_MAX + 2];
    const char *share = t && t->path ? t->path : "";
    if (!name)
        name = "";
    if (*name)
        snprintf(path, sizeof(path), "%s%s%s", share, *share ? "\\" : "", name);
    else
        snprintf(path, sizeof(path), "%s", share);
    if (path[0])
        proto_cstr(o, "file.path", path);
    const char *base = strrchr(name, '\\');
    base = base ? base + 1 : name;
    if (*base)
        proto_cstr(o, "file.name", base);
}

static void put_create_args(struct proto_out *o, uint32_t access, uint32_t disp, uint32_t opts)
{
    const char *dn = disposition_name(disp);
    if (dn)
        proto_cstr(o, "smb.file.disposition", dn);
    for (size_t i = 0; i < sizeof(access_names) / sizeof(access_names[0]); i++)
        if (access & access_names[i].code)
            proto_cstr(o, "smb.file.access", access_names[i].name);
    if (opts & FILE_DELETE_ON_CLOSE)
        proto_bool(o, "smb.file.delete_on_close", 1);
}

static struct smb_tree *tree_at(struct smb_state *st, int i)
{
    return i >= 0 && (size_t)i < st->ntrees ? &st->trees[i] : NULL;
}

static void file_emit(struct smb_state *st, struct proto_out *o, int i)
{
    struct smb_file *f = &st->files[i];
    struct smb_tree *t = tree_at(st, f->tree);
    if (f->rpc) {
        dcerpc_conn_end(f->rpc, o);
        dcerpc_conn_free(f->rpc);
        f->rpc = NULL;
    }
    proto_begin(o, "smb");
    put_common(st, o, f->sess);
    put_share(o, t);
    put_path(o, t, f->name);
    proto_hex(o, "smb.file.id", f->fid, 16);
    for (size_t k = 0; k < sizeof(act_names) / sizeof(act_names[0]); k++)
        if (f->actions & 1u << k)
            proto_cstr(o, "smb.file.action", act_names[k]);
    put_create_args(o, f->access, f->disposition, f->options);
    if (f->renamed_to)
        proto_cstr(o, "smb.file.renamed_to", f->renamed_to);
    proto_int(o, "file.size", (int64_t)f->size);
    proto_int(o, "smb.file.bytes_read", (int64_t)f->bytes_read);
    proto_int(o, "smb.file.bytes_written", (int64_t)f->bytes_written);
    if (f->last_err)
        put_status(o, "smb.status", f->last_err);
    proto_end(o);
    free(f->name);
    free(f->renamed_to);
    memset(f, 0, sizeof(*f));
}

/* A failed CREATE: the attempt, with the status, and no file. */
static void create_fail_emit(struct smb_state *st, struct proto_out *o, const struct smb_req *r,
                             uint32_t status)
{
    int ti;
    struct smb_tree *t = tree_get(st, r->sess, r->tree, &ti);
    proto_begin(o, "smb");
    put_common(st, o, r->sess);
    put_share(o, t);
    put_path(o, t, r->name);
    put_create_args(o, r->a, r->b, r->c);
    put_status(o, "smb.status", status);
    proto_end(o);
}

/* One "ntlm" record per AUTHENTICATE: the server's names (CHALLENGE) and the client's. */
static void ntlm_emit(struct smb_state *st, struct proto_out *o, const struct smb_req *r,
                      int have_status, uint32_t status)
{
    proto_begin(o, "ntlm");
    if (st->chal)
        ntlmssp_fields(o, st->chal, st->chal_len);
    ntlmssp_fields(o, r->blob, r->blen);
    if (have_status)
        put_status(o, "smb.session_setup.status", status);
    proto_end(o);
}

/* ---------------------------------------------------------------- state tables */

static struct smb_req *req_new(struct smb_state *st, struct proto_out *o, uint64_t mid)
{
    struct smb_req *r = req_find(st, mid);
    if (r) {
        req_clear(r); /* a reused MessageId: the old request is gone */
        r->used = 1;
        return r;
    }
    if (!st->reqs) {
        st->reqs = calloc(SMB_MAX_PENDING, sizeof(*st->reqs));
        if (!st->reqs)
            return NULL;
    }
    for (size_t i = 0; i < st->nreqs; i++) {
        if (!st->reqs[i].used) {
            st->reqs[i].used = 1;
            return &st->reqs[i];
        }
    }
    if (st->nreqs < SMB_MAX_PENDING) {
        r = &st->reqs[st->nreqs++];
        r->used = 1;
        return r;
    }
    /* full: forget the oldest request (smallest MessageId) */
    proto_anomaly(o, "smb.too_many_pending");
    size_t old = 0;
    for (size_t i = 1; i < st->nreqs; i++)
        if (st->reqs[i].mid < st->reqs[old].mid)
            old = i;
    r = &st->reqs[old];
    req_clear(r);
    r->used = 1;
    return r;
}

static int file_new(struct smb_state *st, struct proto_out *o)
{
    if (!st->files) {
        st->files = calloc(SMB_MAX_FILES, sizeof(*st->files));
        if (!st->files)
            return -1;
    }
    for (size_t i = 0; i < st->nfiles; i++)
        if (!st->files[i].used)
            return (int)i;
    if (st->nfiles >= SMB_MAX_FILES) {
        proto_anomaly(o, "smb.too_many_files");
        return -1;
    }
    return (int)st->nfiles++;
}

static int state_init(struct smb_state *st)
{
    if (st->inited)
        return 0;
    st->trees = calloc(SMB_MAX_TREES, sizeof(*st->trees));
    st->sess = calloc(SMB_MAX_SESSIONS, sizeof(*st->sess));
    if (!st->trees || !st->sess)
        return -1;
    buf_init(&st->dir[0].fb, SMB_FRAME_KEEP);
    buf_init(&st->dir[1].fb, SMB_FRAME_KEEP);
    st->inited = 1;
    return 0;
}

/* ---------------------------------------------------------------- commands */

struct smb_msg {
    const uint8_t *m; /* header start */
    size_t n;         /* kept bytes from m */
    uint32_t status, flags;
    uint16_t cmd;
    uint64_t mid, sess;
    uint32_t tree;
    struct rdr body; /* from byte 64 */
};

static int fid_is_related(const uint8_t *fid)
{
    static const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(fid, ones, 16) == 0;
}

/* The file a request names by FileId (or by its compound CREATE). */
static void req_set_file(struct smb_state *st, struct smb_req *r, const struct smb_msg *g,
                         const uint8_t *fid, uint64_t chain_create)
{
    r->file = -1;
    if (!fid)
        return;
    if ((g->flags & SMB2_FLAGS_RELATED) && fid_is_related(fid)) {
        r->related = 1;
        r->rel_mid = chain_create;
        r->file = file_by_create(st, chain_create);
        return;
    }
    r->file = file_find(st, fid);
}

static int req_file(struct smb_state *st, struct smb_req *r)
{
    if (r->file < 0 && r->related)
        r->file = file_by_create(st, r->rel_mid);
    if (r->file >= 0 && (size_t)r->file < st->nfiles && st->files[r->file].used)
        return r->file;
    return -1;
}

/* Hand the buffer at (off, len) of message g to the pipe's DCE-RPC stream, if any. */
static void pipe_data(struct smb_state *st, struct proto_out *o, int fi, int dir,
                      const struct smb_msg *g, size_t off, size_t len)
{
    if (fi < 0 || !st->files[fi].rpc)
        return;
    size_t got;
    const uint8_t *d = bytes_at(g->m, g->n, off, len, &got);
    if (!d || !got)
        return;
    if (got < len)
        proto_anomaly(o, "smb.pipe_data_cut");
    dcerpc_conn_data(st->files[fi].rpc, o, dir, d, got);
}

static void on_request(struct smb_state *st, struct proto_out *o, struct smb_msg *g,
                       uint64_t *chain_create)
{
    struct rdr *b = &g->body;
    struct smb_req *r;
    switch (g->cmd) {
    case SMB2_NEGOTIATE:
    case SMB2_TREE_CONNECT:
    case SMB2_CREATE:
    case SMB2_CLOSE:
    case SMB2_READ:
    case SMB2_WRITE:
    case SMB2_IOCTL:
    case SMB2_SET_INFO:
    case SMB2_SESSION_SETUP:
        break;
    default:
        return;
    }
    r = req_new(st, o, g->mid);
    if (!r)
        return;
    r->cmd = g->cmd;
    r->mid = g->mid;
    r->sess = g->sess;
    r->tree = g->tree;
    r->file = -1;
    switch (g->cmd) {
    case SMB2_SESSION_SETUP: {
        /* §2.2.5: size, flags, secmode, capabilities, channel, sec offset, sec length */
        rdr_skip(b, 12);
        uint16_t off = rdr_u16le(b), len = rdr_u16le(b);
        size_t got;
        const uint8_t *sec = bytes_at(g->m, g->n, off, len, &got);
        struct ntlm_names nm;
        if (rdr_ok(b) && sec && ntlmssp_peek(sec, got, &nm) == 3) {
            struct smb_session *s = sess_get(st, g->sess, 1);
            if (s) {
                memcpy(s->user, nm.user, sizeof(s->user));
                memcpy(s->domain, nm.domain, sizeof(s->domain));
            }
            size_t keep = got < SMB_BLOB_MAX ? got : SMB_BLOB_MAX;
            r->blob = malloc(keep ? keep : 1);
            if (r->blob) {
                memcpy(r->blob, sec, keep);
                r->blen = keep;
            }
        }
        break;
    }
    case SMB2_TREE_CONNECT: {
        /* §2.2.9: size, flags, path offset, path length */
        rdr_skip(b, 4);
        uint16_t off = rdr_u16le(b), len = rdr_u16le(b);
        if (rdr_ok(b))
            r->name = utf16_at(g->m, g->n, off, len);
        break;
    }
    case SMB2_CREATE: {
        /* §2.2.13 */
        rdr_skip(b, 24);
        r->a = rdr_u32le(b); /* DesiredAccess */
        rdr_skip(b, 8);      /* FileAttributes, ShareAccess */
        r->b = rdr_u32le(b); /* CreateDisposition */
        r->c = rdr_u32le(b); /* CreateOptions */
        uint16_t off = rdr_u16le(b), len = rdr_u16le(b);
        if (rdr_ok(b))
            r->name = utf16_at(g->m, g->n, off, len);
        else
            proto_anomaly(o, "smb.create_truncated");
        *chain_create = g->mid;
        break;
    }
    case SMB2_CLOSE: {
        rdr_skip(b, 8);
        const uint8_t *fid = rdr_bytes(b, 16);
        req_set_file(st, r, g, fid, *chain_create);
        break;
    }
    case SMB2_READ: {
        rdr_skip(b, 16);
        const uint8_t *fid = rdr_bytes(b, 16);
        req_set_file(st, r, g, fid, *chain_create);
        break;
    }
    case SMB2_WRITE: {
        /* §2.2.21: size, DataOffset u16, Length u32, Offset u64, FileId */
        rdr_skip(b, 2);
        uint16_t off = rdr_u16le(b);
        uint32_t len = rdr_u32le(b);
        rdr_skip(b, 8);
        const uint8_t *fid = rdr_bytes(b, 16);
        req_set_file(st, r, g, fid, *chain_create);
        r->a = len;
        pipe_data(st, o, req_file(st, r), 0, g, off, len);
        break;
    }
    case SMB2_IOCTL: {
        /* §2.2.31: size, reserved, CtlCode, FileId, InputOffset, InputCount */
        rdr_skip(b, 4);
        r->a = rdr_u32le(b);
        const uint8_t *fid = rdr_bytes(b, 16);
        uint32_t ioff = rdr_u32le(b), icnt = rdr_u32le(b);
        req_set_file(st, r, g, fid, *chain_create);
        if (rdr_ok(b) && r->a == FSCTL_PIPE_TRANSCEIVE)
            pipe_data(st, o, req_file(st, r), 0, g, ioff, icnt);
        break;
    }
    case SMB2_SET_INFO: {
        /* §2.2.39: size, InfoType u8, FileInfoClass u8, BufferLength, BufferOffset u16,
         * reserved u16, AdditionalInformation, FileId */
        rdr_skip(b, 2);
        uint8_t type = rdr_u8(b), cls = rdr_u8(b);
        uint32_t blen = rdr_u32le(b);
        uint16_t boff = rdr_u16le(b);
        rdr_skip(b, 6);
        const uint8_t *fid = rdr_bytes(b, 16);
        req_set_file(st, r, g, fid, *chain_create);
        if (!rdr_ok(b) || type != 1) /* SMB2_0_INFO_FILE */
            break;
        size_t got;
        const uint8_t *d = bytes_at(g->m, g->n, boff, blen, &got);
        r->a = cls;
        if (cls == 10 && d && got >= 20) {
            /* FileRenameInformation ([MS-FSCC] §2.4.42.2): ReplaceIfExists u8, reserved 7,
             * RootDirectory u64, FileNameLength u32, FileName */
            uint32_t nl = le32(d + 16);
            r->name = utf16_at(d, got, 20, nl);
        } else if (cls == 13 && d && got >= 1) {
            r->b = d[0]; /* FileDispositionInformation: DeletePending */
        } else if (cls == 64 && d && got >= 4) {
            r->b = le32(d) & 1; /* FileDispositionInformationEx: FILE_DISPOSITION_DELETE */
        }
        break;
    }
    default:
        break;
    }
    if (!rdr_ok(b))
        proto_anomaly(o, "smb.request_truncated");
}

static void on_negotiate_resp(struct smb_state *st, struct smb_msg *g)
{
    /* §2.2.4: size u16, SecurityMode u16, DialectRevision u16 */
    rdr_skip(&g->body, 4);
    uint16_t d = rdr_u16le(&g->body);
    if (!rdr_ok(&g->body) || g->status != ST_SUCCESS)
        return;
    st->dialect = d;
    if (d >= 0x0300 && d < 0x0400)
        st->major = 3;
    else if (d >= 0x0200 && d < 0x0300)
        st->major = 2;
}

static void on_session_setup_resp(struct smb_state *st, struct proto_out *o, struct smb_msg *g,
                                  struct smb_req *r)
{
    /* §2.2.6: size, SessionFlags, SecurityBufferOffset, SecurityBufferLength */
    rdr_skip(&g->body, 4);
    uint16_t off = rdr_u16le(&g->body), len = rdr_u16le(&g->body);
    size_t got;
    const uint8_t *sec = rdr_ok(&g->body) ? bytes_at(g->m, g->n, off, len, &got) : NULL;
    if (sec && ntlmssp_peek(sec, got, NULL) == 2) {
        size_t keep = got < SMB_BLOB_MAX ? got : SMB_BLOB_MAX;
        uint8_t *c = malloc(keep ? keep : 1);
        if (c) {
            memcpy(c, sec, keep);
            free(st->chal);
            st->chal = c;
            st->chal_len = keep;
        }
    }
    if (r && r->blob)
        ntlm_emit(st, o, r, 1, g->status);
    if (r && r->blob && g->status != ST_SUCCESS) {
        struct smb_session *s = sess_get(st, g->sess, 0);
        if (s)
            s->user[0] = s->domain[0] = 0;
    }
}

static void on_tree_connect_resp(struct smb_state *st, struct proto_out *o, struct smb_msg *g,
                                 struct smb_req *r)
{
    /* §2.2.10: size u16, ShareType u8 */
    rdr_skip(&g->body, 2);
    uint8_t type = rdr_u8(&g->body);
    struct smb_tree tmp = {g->sess, g->tree, 0, r->name}, *t = &tmp;
    if (g->status == ST_SUCCESS && rdr_ok(&g->body)) {
        tmp.type = type;
        int idx;
        t = tree_get(st, g->sess, g->tree, &idx);
        if (!t && st->ntrees < SMB_MAX_TREES)
            t = &st->trees[st->ntrees++];
        if (t) {
            if (t->path != r->name)
                free(t->path);
            *t = tmp;
            r->name = NULL; /* the tree owns it now */
        } else {
            proto_anomaly(o, "smb.too_many_trees");
            t = &tmp;
        }
    }
    proto_begin(o, "smb");
    put_common(st, o, g->sess);
    put_share(o, t);
    put_status(o, "smb.status", g->status);
    proto_end(o);
}

static void on_create_resp(struct smb_state *st, struct proto_out *o, struct smb_msg *g,
                           struct smb_req *r)
{
    if (g->status != ST_SUCCESS) {
        create_fail_emit(st, o, r, g->status);
        return;
    }
    /* §2.2.14: size, oplock, flags, CreateAction u32, 4 times, AllocationSize, EndofFile,
     * FileAttributes, Reserved2, FileId */
    struct rdr *b = &g->body;
    rdr_skip(b, 4);
    uint32_t action = rdr_u32le(b);
    rdr_skip(b, 40);
    uint64_t eof = rdr_u32le(b);
    eof |= (uint64_t)rdr_u32le(b) << 32;
    rdr_skip(b, 8);
    const uint8_t *fid = rdr_bytes(b, 16);
    if (!fid) {
        proto_anomaly(o, "smb.create_response_truncated");
        return;
    }
    int fi = file_find(st, fid);
    if (fi >= 0)
        file_emit(st, o, fi); /* FileId reused without a CLOSE we saw */
    fi = file_new(st, o);
    if (fi < 0)
        return;
    struct smb_file *f = &st->files[fi];
    memset(f, 0, sizeof(*f));
    f->used = 1;
    memcpy(f->fid, fid, 16);
    f->create_mid = g->mid;
    f->sess = r->sess ? r->sess : g->sess;
    tree_get(st, f->sess, r->tree ? r->tree : g->tree, &f->tree);
    f->name = r->name;
    r->name = NULL;
    f->access = r->a;
    f->disposition = r->b;
    f->options = r->c;
    f->size = eof;
    if (action <= 3)
        f->actions |= 1u << action; /* FILE_SUPERSEDED, OPENED, CREATED, OVERWRITTEN */
    if (r->c & FILE_DELETE_ON_CLOSE)
        f->actions |= ACT_DELETE;
    struct smb_tree *t = tree_at(st, f->tree);
    if (t && t->type == 2)
        f->rpc = dcerpc_conn_new(f->name ? f->name : "");
}

static void on_response(struct smb_state *st, struct proto_out *o, struct smb_msg *g)
{
    struct smb_req *r = req_find(st, g->mid);
    if (g->cmd == SMB2_NEGOTIATE) {
        on_negotiate_resp(st, g);
        if (r)
            req_clear(r);
        return;
    }
    if (g->cmd == SMB2_SESSION_SETUP && !r) {
        on_session_setup_resp(st, o, g, NULL);
        return;
    }
    if (!r)
        return;
    if (g->status == ST_PENDING && (g->flags & SMB2_FLAGS_ASYNC))
        return; /* interim response: the final one follows */
    if (r->cmd != g->cmd) {
        proto_anomaly(o, "smb.response_command_mismatch");
        req_clear(r);
        return;
    }
    struct rdr *b = &g->body;
    int fi = req_file(st, r);
    struct smb_file *f = fi >= 0 ? &st->files[fi] : NULL;
    if (f && is_error(g->status) && g->cmd != SMB2_CLOSE)
        f->last_err = g->status;
    switch (g->cmd) {
    case SMB2_SESSION_SETUP:
        on_session_setup_resp(st, o, g, r);
        break;
    case SMB2_TREE_CONNECT:
        on_tree_connect_resp(st, o, g, r);
        break;
    case SMB2_CREATE:
        on_create_resp(st, o, g, r);
        break;
    case SMB2_CLOSE:
        if (f)
            file_emit(st, o, fi);
        break;
    case SMB2_READ: {
        /* §2.2.20: size, DataOffset u8, reserved u8, DataLength u32 */
        rdr_skip(b, 2);
        uint8_t off = rdr_u8(b);
        rdr_skip(b, 1);
        uint32_t len = rdr_u32le(b);
        if (!f || !rdr_ok(b) || (g->status != ST_SUCCESS && g->status != 0x80000005u))
            break;
        f->bytes_read += len;
        f->actions |= ACT_READ;
        pipe_data(st, o, fi, 1, g, off, len);
        break;
    }
    case SMB2_WRITE: {
        /* §2.2.22: size, reserved, Count u32 */
        rdr_skip(b, 4);
        uint32_t cnt = rdr_u32le(b);
        if (f && rdr_ok(b) && g->status == ST_SUCCESS) {
            f->bytes_written += cnt;
            f->actions |= ACT_WRITE;
        }
        break;
    }
    case SMB2_IOCTL: {
        /* §2.2.32: size, reserved, CtlCode, FileId, InputOffset, InputCount, OutputOffset,
         * OutputCount */
        rdr_skip(b, 32);
        uint32_t ooff = rdr_u32le(b), ocnt = rdr_u32le(b);
        if (r->a != FSCTL_PIPE_TRANSCEIVE || !rdr_ok(b) ||
            (g->status != ST_SUCCESS && g->status != 0x80000005u))
            break;
        pipe_data(st, o, fi, 1, g, ooff, ocnt);
        break;
    }
    case SMB2_SET_INFO:
        if (!f || g->status != ST_SUCCESS)
            break;
        if (r->a == 10 && r->name) {
            f->actions |= ACT_RENAME;
            free(f->renamed_to);
            f->renamed_to = r->name;
            r->name = NULL;
        } else if ((r->a == 13 || r->a == 64) && r->b) {
            f->actions |= ACT_DELETE;
        }
        break;
    default:
        break;
    }
    req_clear(r);
}

/* One SMB2 message m[0..n) (n = kept bytes). */
static void smb2_msg(struct smb_state *st, struct proto_out *o, const uint8_t *m, size_t n,
                     uint64_t *chain_create)
{
    struct smb_msg g;
    struct rdr r;
    rdr_init(&r, m, n);
    rdr_skip(&r, 8);
    g.status = rdr_u32le(&r);
    g.cmd = rdr_u16le(&r);
    rdr_skip(&r, 2);
    g.flags = rdr_u32le(&r);
    rdr_skip(&r, 4);
    g.mid = rdr_u32le(&r);
    g.mid |= (uint64_t)rdr_u32le(&r) << 32;
    rdr_skip(&r, 4);
    g.tree = (g.flags & SMB2_FLAGS_ASYNC) ? 0 : rdr_u32le(&r);
    if (g.flags & SMB2_FLAGS_ASYNC)
        rdr_skip(&r, 4);
    g.sess = rdr_u32le(&r);
    g.sess |= (uint64_t)rdr_u32le(&r) << 32;
    rdr_skip(&r, 16);
    if (!rdr_ok(&r)) {
        proto_anomaly(o, "smb.header_truncated");
        return;
    }
    g.m = m;
    g.n = n;
    rdr_init(&g.body, m + 64, n - 64);
    if (g.flags & SMB2_FLAGS_RESPONSE)
        on_response(st, o, &g);
    else
        on_request(st, o, &g, chain_create);
}

/* ---------------------------------------------------------------- SMB1 */

static void smb1_emit(struct smb_state *st, struct proto_out *o, int sel)
{
    proto_begin(o, "smb");
    proto_cstr(o, "smb.version", "1");
    if (sel >= 0 && sel < st->n1 && st->dial1[sel])
        proto_cstr(o, "smb.dialect", st->dial1[sel]);
    for (int i = 0; i < st->n1; i++)
        if (st->dial1[i])
            proto_cstr(o, "smb.dialects", st->dial1[i]);
    proto_end(o);
    st->smb1_seen = 2; /* written */
}

/*
 * SMB1 header ([MS-CIFS] §2.2.3.1): "\xffSMB", Command u8, Status u32, Flags u8
 * (0x80 reply), Flags2 u16, PIDHigh, SecurityFeatures[8], Reserved, TID, PIDLow,
 * UID, MID: 32 bytes.  NEGOTIATE (0x72, §2.2.4.52): request WordCount 0, ByteCount,
 * then dialects, each 0x02 + NUL-terminated string; response words start with
 * DialectIndex u16.  Returns 1 when the session is SMB1 (stop parsing).
 */
static int smb1_frame(struct smb_state *st, struct proto_out *o, const uint8_t *m, size_t n)
{
    struct rdr r;
    rdr_init(&r, m, n);
    rdr_skip(&r, 4);
    uint8_t cmd = rdr_u8(&r);
    rdr_skip(&r, 4);
    uint8_t flags = rdr_u8(&r);
    rdr_skip(&r, 22);
    uint8_t wc = rdr_u8(&r);
    if (!rdr_ok(&r)) {
        proto_anomaly(o, "smb.smb1_truncated");
        return 0;
    }
    if (cmd != 0x72) {
        smb1_emit(st, o, -1); /* SMB1 past negotiation (or mid-stream) */
        return 1;
    }
    if (flags & 0x80) {
        uint16_t idx = rdr_u16le(&r);
        smb1_emit(st, o, rdr_ok(&r) && wc > 0 ? idx : -1);
        return 1;
    }
    rdr_skip(&r, (size_t)wc * 2);
    uint16_t bc = rdr_u16le(&r);
    const uint8_t *p = rdr_bytes(&r, bc);
    if (!p) {
        p = m + (r.off < n ? r.off : n);
        bc = (uint16_t)(n - (size_t)(p - m) < 0xffff ? n - (size_t)(p - m) : 0xffff);
    }
    for (int i = 0; i < st->n1; i++)
        free(st->dial1[i]);
    st->n1 = 0;
    for (size_t i = 0; i < bc && st->n1 < SMB1_MAX_DIALECTS;) {
        if (p[i] != 0x02)
            break;
        size_t s = ++i;
        while (i < bc && p[i])
            i++;
        size_t len = i - s < 64 ? i - s : 64;
        char *d = malloc(len + 1);
        if (!d)
            break;
        memcpy(d, p + s, len);
        d[len] = 0;
        st->dial1[st->n1++] = d;
        i++;
    }
    st->smb1_seen = 1;
    return 0;
}

/* ---------------------------------------------------------------- framing */

/* Transform header: the rest of the session is encrypted. */
static void encrypted_emit(struct smb_state *st, struct proto_out *o, const uint8_t *m, size_t n)
{
    uint64_t sess = 0;
    if (n >= 52) /* §2.2.41: ProtocolId, Signature[16], Nonce[16], Size u32, rsvd u16, Flags u16 */
        sess = le32(m + 44) | (uint64_t)le32(m + 48) << 32;
    proto_begin(o, "smb");
    put_common(st, o, sess);
    proto_bool(o, "smb.encrypted", 1);
    proto_end(o);
}

static void flush_all(struct smb_state *st, struct proto_out *o);

/* A whole frame (kept part m[0..n)); returns 1 when the session is done. */
static int smb_frame(struct smb_state *st, struct proto_out *o, const uint8_t *m, size_t n)
{
    if (n < 4)
        return 0;
    if (m[0] == 0xfd) {
        encrypted_emit(st, o, m, n);
        flush_all(st, o);
        return 1;
    }
    if (m[0] == 0xfc) {
        proto_anomaly(o, "smb.compressed");
        return 0;
    }
    if (m[0] == 0xff)
        return smb1_frame(st, o, m, n);
    if (st->smb1_seen == 1) /* SMB2 answer to a multi-protocol negotiate */
        st->smb1_seen = 0;
    if (!st->major)
        st->major = 2;
    uint64_t chain_create = 0;
    size_t off = 0;
    for (int k = 0; k < SMB_MAX_COMPOUND; k++) {
        if (n - off < 64 || memcmp(m + off, "\xfeSMB", 4) != 0) {
            proto_anomaly(o, "smb.bad_message");
            return 0;
        }
        uint32_t next = le32(m + off + 20);
        size_t len = next ? next : n - off;
        if (next && (next < 64 || next > n - off)) {
            len = n - off; /* the rest was cut (kept part) or the offset is bad */
            next = 0;
        }
        smb2_msg(st, o, m + off, len, &chain_create);
        if (!next)
            return 0;
        off += next;
    }
    proto_anomaly(o, "smb.too_many_compounded");
    return 0;
}

static int frame_start_ok(const uint8_t *h, const uint8_t *m)
{
    if (h[0] != 0)
        return 0;
    return (m[0] == 0xfe || m[0] == 0xfd || m[0] == 0xfc || m[0] == 0xff) && m[1] == 'S' &&
           m[2] == 'M' && m[3] == 'B';
}

/* Looking for a frame start after a gap: "\0 len len len \xfeSMB" inside d. */
static size_t resync(const uint8_t *d, size_t n)
{
    for (size_t i = 4; i + 4 <= n; i++) {
        const uint8_t *p = memchr(d + i, 0xfe, n - i);
        if (!p)
            return n;
        i = (size_t)(p - d);
        if (i + 4 <= n && i >= 4 && memcmp(p, "\xfeSMB", 4) == 0 && d[i - 4] == 0)
            return i - 4;
    }
    return n;
}

/* A frame that does not look like SMB: count it and look for the next frame start in d. */
static size_t go_dead(struct smb_dir *sd, struct proto_out *o, const uint8_t *d, size_t n)
{
    proto_anomaly(o, "smb.bad_frame");
    sd->hn = 0;
    size_t j = resync(d, n);
    sd->dead = j >= n;
    return j;
}

static int smb_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *d, size_t n)
{
    struct smb_state *st = vst;
    (void)c;
    if (st->done)
        return 1;
    if (state_init(st) < 0) {
        proto_anomaly(o, "smb.out_of_memory");
        return 1;
    }
    struct smb_dir *sd = &st->dir[dir & 1];
    size_t i = 0;
    if (sd->dead) {
        i = resync(d, n);
        if (i >= n)
            return 0;
        sd->dead = 0;
        sd->hn = 0;
    }
    while (i < n) {
        if (sd->hn < 4) {
            sd->hdr[sd->hn++] = d[i++];
            if (sd->hn < 4)
                continue;
            sd->flen = (uint32_t)sd->hdr[1] << 16 | (uint32_t)sd->hdr[2] << 8 | sd->hdr[3];
            sd->got = 0;
            buf_reset(&sd->fb);
            if (sd->hdr[0] != 0 && (sd->hdr[0] < 0x81 || sd->hdr[0] > 0x85)) {
                i += go_dead(sd, o, d + i, n - i);
                continue;
            }
            if (sd->hdr[0] != 0)
                sd->flen &= 0x1ffff; /* NetBIOS session packets: 17-bit length */
        }
        size_t take = sd->flen - sd->got;
        if (take > n - i)
            take = n - i;
        size_t room =
            sd->hdr[0] == 0 && sd->fb.len < SMB_FRAME_KEEP ? SMB_FRAME_KEEP - sd->fb.len : 0;
        if (room && buf_append(&sd->fb, d + i, take < room ? take : room) < 0)
            proto_anomaly(o, "smb.out_of_memory");
        if (sd->hdr[0] == 0 && sd->got < 4 && sd->got + take >= 4 && sd->fb.len >= 4 &&
            !frame_start_ok(sd->hdr, sd->fb.data)) {
            i += go_dead(sd, o, d + i, n - i);
            continue;
        }
        sd->got += (uint32_t)take;
        i += take;
        if (sd->got < sd->flen)
            break;
        sd->hn = 0;
        if (sd->hdr[0] == 0 && smb_frame(st, o, sd->fb.data, sd->fb.len)) {
            st->done = 1;
            return 1;
        }
    }
    return 0;
}

static void smb_gap(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct smb_state *st = vst;
    (void)c;
    (void)n;
    if (st->done)
        return;
    proto_anomaly(o, "smb.gap");
    st->dir[dir & 1].dead = 1;
    st->dir[dir & 1].hn = 0;
}

static void flush_all(struct smb_state *st, struct proto_out *o)
{
    for (size_t i = 0; i < st->nreqs; i++) {
        struct smb_req *r = &st->reqs[i];
        if (r->used && r->cmd == SMB2_SESSION_SETUP && r->blob)
            ntlm_emit(st, o, r, 0, 0);
        if (r->used)
            req_clear(r);
    }
    for (size_t i = 0; i < st->nfiles; i++)
        if (st->files[i].used)
            file_emit(st, o, (int)i);
    if (st->smb1_seen == 1)
        smb1_emit(st, o, -1);
}

static void smb_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    struct smb_state *st = vst;
    (void)c;
    if (!st->done)
        flush_all(st, o);
    st->done = 1;
}

static void smb_release(void *vst)
{
    struct smb_state *st = vst;
    for (size_t i = 0; i < st->nreqs; i++)
        req_clear(&st->reqs[i]);
    free(st->reqs);
    for (size_t i = 0; i < st->nfiles; i++) {
        free(st->files[i].name);
        free(st->files[i].renamed_to);
        if (st->files[i].rpc)
            dcerpc_conn_free(st->files[i].rpc);
    }
    free(st->files);
    for (size_t i = 0; i < st->ntrees; i++)
        free(st->trees[i].path);
    free(st->trees);
    free(st->sess);
    free(st->chal);
    for (int i = 0; i < st->n1; i++)
        free(st->dial1[i]);
    if (st->inited) {
        buf_release(&st->dir[0].fb);
        buf_release(&st->dir[1].fb);
    }
    memset(st, 0, sizeof(*st));
}

static int smb_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    if (n >= 8 && d[0] == 0 && (d[4] == 0xfe || d[4] == 0xff || d[4] == 0xfd) && d[5] == 'S' &&
        d[6] == 'M' && d[7] == 'B')
        return PROTO_CONTENT;
    if (c && c->l4 == 6 && (c->srv_port == 445 || c->srv_port == 139))
        return PROTO_PORT;
    return PROTO_NO;
}

const struct proto_parser proto_smb = {
    .name = "smb",
    .l4 = 6,
    .probe = smb_probe,
    .state_size = sizeof(struct smb_state),
    .data = smb_data,
    .gap = smb_gap,
    .end = smb_end,
    .release = smb_release,
};
