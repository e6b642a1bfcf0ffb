/*
 * http.c — HTTP/1.0 and HTTP/1.1 over TCP.
 *
 * Each direction is a byte stream of messages (RFC 9112 §2.1):
 *
 *     HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
 *     request-line = method SP request-target SP HTTP-version        (§3)
 *     status-line  = HTTP-version SP status-code SP [ reason-phrase ]  (§4)
 *     field-line   = field-name ":" OWS field-value OWS                (§5)
 *                    (obs-fold: a line starting with SP/HTAB continues the last value, §5.2)
 *
 *     chunked-body = *chunk last-chunk trailer-section CRLF           (§7.1)
 *     chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *     last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *
 * Body length (§6.3): no body for responses to HEAD, 1xx, 204, 304 and 2xx to CONNECT;
 * else Transfer-Encoding with "chunked" last; else Content-Length; else a request has
 * no body and a response runs until the connection closes.  A bare LF ends a line
 * too (§2.2) and empty lines before a start line are skipped.
 *
 * Requests and responses pair in order (§9.3.2, pipelining): the Nth response
 * answers the Nth request.  Pending pairs sit in a FIFO of at most 64; a pair
 * becomes one "http" record when both halves are complete (or one side gave
 * up), and whatever is left is written at ->end.  Interim 1xx responses
 * (RFC 9110 §15.2) answer nothing; 101 ends HTTP on the connection; a 2xx to
 * CONNECT (RFC 9110 §9.3.6) hands the tunnel to the TLS parser.
 *
 * Bodies are never kept: their bytes stream through MD5/SHA-1/SHA-256 (EVP) as
 * sent and, for Content-Encoding gzip/deflate (RFC 9110 §8.4.1), after zlib
 * decoding (at most 64 MiB decoded).  Memory per session is bounded by the
 * 64 KiB header buffer per direction and the FIFO of 64 pairs of at most
 * HTTP_TX_CAP bytes of strings each.
 *
 * Fields: http.request.method, url.original, url.path, url.query, url.domain,
 * url.port, http.version, http.host, user_agent.original, http.request.referrer,
 * http.request.mime_type, http.x_forwarded_for, http.request.headers.authorization_type,
 * http.request.body.bytes, http.request.body.hash.{md5,sha1,sha256},
 * http.request.body.incomplete, http.response.status_code, http.response.mime_type,
 * http.response.headers.server, http.response.headers.location,
 * http.response.body.bytes, http.response.body.incomplete, file.name,
 * file.hash.{md5,sha1,sha256}, file.size.
 */
#include "proto/http.h"

#include "core/buf.h"
#include "core/rdr.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HTTP_HDR_CAP (64 * 1024)     /* one header block (start line + fields) */
#define HTTP_MAX_HEADERS 100         /* field lines per block */
#define HTTP_MAX_PENDING 64          /* request/response pairs waiting */
#define HTTP_CHUNK_LINE_CAP 4096     /* chunk-size line with its extensions */
#define HTTP_TX_CAP (16 * 1024)      /* strings kept for one pair */
#define HTTP_FIELD_CAP (8 * 1024)    /* one kept string */
#define HTTP_DECODED_CAP (64u << 20) /* decoded body bytes hashed */
#define HTTP_RESYNC_CAP (1u << 20)   /* bytes scanned for a start line after a gap */
#define HTTP_NAME_CAP 1024           /* file.name */

/* ---------------------------------------------------------------- pairs */

enum http_field {
    F_METHOD,
    F_URI,
    F_REQ_VER,
    F_HOST,
    F_UA,
    F_REFERRER,
    F_REQ_CTYPE,
    F_XFF,
    F_AUTH,
    F_REQ_FILE,
    F_RESP_VER,
    F_RESP_CTYPE,
    F_SERVER,
    F_LOCATION,
    F_RESP_FILE,
    F__COUNT
};

/* What is left of one body once it has been read. */
struct http_sum {
    uint64_t bytes; /* entity bytes as transferred (after de-chunking) */
    uint64_t size;  /* bytes hashed (after content decoding) */
    uint8_t md5[16], sha1[20], sha256[32];
    uint8_t hashed, incomplete;
};

struct http_tx {
    struct buf s; /* kept strings */
    uint32_t off[F__COUNT], len[F__COUNT];
    uint8_t set[F__COUNT];
    int status;
    uint8_t has_req, req_done, has_resp, resp_done;
    uint8_t is_head, is_connect;
    struct http_sum req, resp;
};

/* ---------------------------------------------------------------- directions */

enum http_st {
    ST_HEAD,       /* reading a start line and its fields */
    ST_BODY_LEN,   /* Content-Length bytes left */
    ST_BODY_CLOSE, /* body until the connection closes */
    ST_CHUNK_SIZE, /* chunk-size line */
    ST_CHUNK_DATA, /* chunk-data */
    ST_CHUNK_END,  /* CRLF after chunk-data */
    ST_TRAILER,    /* trailer section after the last chunk */
    ST_RESYNC      /* after a gap: skipping to a line that starts a message */
};

enum { CODING_NONE, CODING_GZIP, CODING_DEFLATE };

struct http_body {
    EVP_MD_CTX *raw[3], *dec[3]; /* md5, sha1, sha256 over raw / decoded bytes */
    z_stream z;
    uint64_t bytes, decoded;
    uint8_t coding, z_init, z_failed, z_end;
    uint8_t hashing, incomplete, active;
};

struct http_dir {
    int st;
    uint8_t dead, skip, quiet, connect_wait;
    struct buf hdr;    /* header block, chunk line or trailer being read */
    size_t line_start; /* where the current line starts in hdr */
    uint32_t nlines;   /* lines of the header block so far */
    uint64_t left;     /* body or chunk bytes still expected */
    uint64_t scanned;  /* bytes skipped while resyncing */
    struct http_tx *cur;
    struct http_body b;
};

struct http_state {
    struct http_dir d[2];
    struct http_tx *q[HTTP_MAX_PENDING]; /* ring of pending pairs */
    size_t head, n;
    uint8_t done, switched;
};

/* ---------------------------------------------------------------- small text helpers */

static int lc(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
            return 0;
    return 1;
}

static int is_ows(int c)
{
    return c == ' ' || c == '\t';
}

/* tchar (RFC 9110 §5.6.2) */
static int is_tchar(int c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_ows((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_ows((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Offset of the first c in s[0..n), or n. */
static size_t find(const char *s, size_t n, int c)
{
    const char *p = memchr(s, c, n);
    return p ? (size_t)(p - s) : n;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lc(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decimal digits only, at most 18 of them; -1 otherwise. */
static int64_t parse_dec(const char *s, size_t n)
{
    if (n == 0 || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static const char *const k_methods[] = {
    "GET",
    "POST",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "TRACE",
    "CONNECT",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
    "REPORT",
    "MERGE",
    "CHECKOUT",
    "MKACTIVITY",
    "M-SEARCH",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "NOTIFY",
    "PURGE",
    "LINK",
    "UNLINK",
    "BIND",
    "REBIND",
    "UNBIND",
    "MKCALENDAR",
    "ACL",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
    "MKWORKSPACE",
    "UPDATE",
    "LABEL",
    "ORDERPATCH",
};

/*
 * Do the bytes p[0..n) start a message of direction dir?  1 yes, 0 no, -1 not
 * enough bytes to say.  strict: the client's method must be a known one (probe,
 * resync); otherwise any token followed by SP will do (RFC 9110 §9.1).
 */
static int looks_like_start(int dir, const uint8_t *p, size_t n, int strict)
{
    if (dir == PROTO_DIR_SERVER) {
        static const char v[] = "HTTP/1.";
        size_t k = n < 7 ? n : 7;
        if (memcmp(p, v, k) != 0)
            return 0;
        return n >= 7 ? 1 : -1;
    }
    size_t i = 0;
    while (i < n && i < 32 && is_tchar(p[i]))
        i++;
    if (i == n)
        return n < 32 ? -1 : 0;
    if (i == 0 || p[i] != ' ')
        return 0;
    if (!strict)
        return 1;
    for (size_t k = 0; k < sizeof k_methods / sizeof k_methods[0]; k++)
        if (strlen(k_methods[k]) == i && memcmp(k_methods[k], p, i) == 0)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- the FIFO of pairs */

static void tx_set(struct proto_out *o, struct http_tx *t, int f, const char *s, size_t n)
{
    if (t->set[f])
        return; /* first value wins */
    if (n > HTTP_FIELD_CAP) {
        proto_anomaly(o, "http.field_truncated");
        n = HTTP_FIELD_CAP;
    }
    if (buf_append(&t->s, s, n) != 0) {
        proto_anomaly(o, "http.field_dropped");
        return;
    }
    t->off[f] = (uint32_t)(t->s.len - n);
    t->len[f] = (uint32_t)n;
    t->set[f] = 1;
}

static void tx_free(struct http_tx *t)
{
    if (!t)
        return;
    buf_release(&t->s);
    free(t);
}

static struct http_tx *tx_at(struct http_state *s, size_t i)
{
    return s->q[(s->head + i) % HTTP_MAX_PENDING];
}

/* The pending pair request (dir 0) or response (dir 1) number N goes to: the first
 * one that lacks it, or a new one at the tail.  NULL when the FIFO is full. */
static struct http_tx *tx_for(struct http_state *s, int dir)
{
    for (size_t i = 0; i < s->n; i++) {
        struct http_tx *t = tx_at(s, i);
        if (dir == PROTO_DIR_CLIENT ? !t->has_req : !t->has_resp)
            return t;
    }
    if (s->n == HTTP_MAX_PENDING)
        return NULL;
    struct http_tx *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    buf_init(&t->s, HTTP_TX_CAP);
    s->q[(s->head + s->n) % HTTP_MAX_PENDING] = t;
    s->n++;
    return t;
}

static void put_field(struct proto_out *o, const struct http_tx *t, int f, const char *name)
{
    if (t->set[f])
        proto_str(o, name, (const char *)t->s.data + t->off[f], t->len[f]);
}

static void put_sum(struct proto_out *o, const struct http_sum *h, int req)
{
    if (h->incomplete) {
        proto_bool(o, req ? "http.request.body.incomplete" : "http.response.body.incomplete", 1);
        return;
    }
    if (!h->hashed)
        return;
    proto_hex(o, req ? "http.request.body.hash.md5" : "file.hash.md5", h->md5, sizeof h->md5);
    proto_hex(o, req ? "http.request.body.hash.sha1" : "file.hash.sha1", h->sha1, sizeof h->sha1);
    proto_hex(o, req ? "http.request.body.hash.sha256" : "file.hash.sha256", h->sha256,
              sizeof h->sha256);
    if (!req)
        proto_int(o, "file.size", (int64_t)h->size);
}

/* url.domain / url.port from "host[:port]" (RFC 9110 §7.2, RFC 3986 §3.2.2). */
static void put_authority(struct proto_out *o, const char *h, size_t n)
{
    size_t dlen = n, colon = n;
    if (n && h[0] == '[') {
        size_t rb = find(h, n, ']');
        dlen = rb < n ? rb + 1 : n;
        colon = dlen < n && h[dlen] == ':' ? dlen : n;
    } else {
        colon = find(h, n, ':');
        if (colon < n && find(h + colon + 1, n - colon - 1, ':') < n - colon - 1)
            colon = n; /* bare IPv6 or junk: keep it whole */
        dlen = colon;
    }
    if (dlen)
        proto_str(o, "url.domain", h, dlen);
    if (colon < n) {
        int64_t port = parse_dec(h + colon + 1, n - colon - 1);
        if (port >= 0 && port <= 65535)
            proto_int(o, "url.port", port);
        else
            proto_anomaly(o, "http.bad_port");
    }
}

/* url.path / url.query of the request-target (RFC 9112 §3.2). */
static void put_target(struct proto_out *o, const struct http_tx *t)
{
    const char *u = (const char *)t->s.data + t->off[F_URI];
    size_t n = t->len[F_URI];
    if (t->is_connect) { /* authority-form */
        if (!t->set[F_HOST])
            put_authority(o, u, n);
        return;
    }
    size_t start = 0;
    if (n && u[0] != '/') { /* absolute-form: scheme "://" authority path-abempty */
        size_t sep = 0;
        while (sep + 2 < n && !(u[sep] == ':' && u[sep + 1] == '/' && u[sep + 2] == '/'))
            sep++;
        if (sep + 2 >= n)
            return; /* "*" or junk */
        size_t a = sep + 3, e = a;
        while (e < n && u[e] != '/' && u[e] != '?' && u[e] != '#')
            e++;
        if (!t->set[F_HOST])
            put_authority(o, u + a, e - a);
        start = e;
    }
    size_t end = start + find(u + start, n - start, '#');
    size_t q = start + find(u + start, end - start, '?');
    if (q > start)
        proto_str(o, "url.path", u + start, q - start);
    if (q < end)
        proto_str(o, "url.query", u + q + 1, end - q - 1);
}

/* Kept strings that are written as they are. */
struct http_plain {
    int f;
    const char *path;
};

static const struct http_plain k_req_plain[] = {
    {F_REQ_VER, "http.version"},
    {F_UA, "user_agent.original"},
    {F_REFERRER, "http.request.referrer"},
    {F_REQ_CTYPE, "http.request.mime_type"},
    {F_XFF, "http.x_forwarded_for"},
    {F_AUTH, "http.request.headers.authorization_type"},
    {F_REQ_FILE, "file.name"},
};

static const struct http_plain k_resp_plain[] = {
    {F_RESP_CTYPE, "http.response.mime_type"},
    {F_SERVER, "http.response.headers.server"},
    {F_LOCATION, "http.response.headers.location"},
    {F_RESP_FILE, "file.name"},
};

static void put_fields(struct proto_out *o, const struct http_tx *t, const struct http_plain *p,
                       size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_field(o, t, p[i].f, p[i].path);
}

static void tx_emit(struct proto_out *o, const struct http_tx *t)
{
    proto_begin(o, "http");
    if (t->has_req) {
        put_field(o, t, F_METHOD, "http.request.method");
        put_field(o, t, F_URI, "url.original");
        if (t->set[F_URI])
            put_target(o, t);
        if (t->set[F_HOST]) {
            put_field(o, t, F_HOST, "http.host");
            put_authority(o, (const char *)t->s.data + t->off[F_HOST], t->len[F_HOST]);
        }
        put_fields(o, t, k_req_plain, sizeof k_req_plain / sizeof k_req_plain[0]);
        proto_int(o, "http.request.body.bytes", (int64_t)t->req.bytes);
        put_sum(o, &t->req, 1);
    } else {
        proto_anomaly(o, "http.response_without_request");
    }
    if (t->has_resp) {
        if (!t->set[F_REQ_VER])
            put_field(o, t, F_RESP_VER, "http.version");
        proto_int(o, "http.response.status_code", t->status);
        put_fields(o, t, k_resp_plain, sizeof k_resp_plain / sizeof k_resp_plain[0]);
        proto_int(o, "http.response.body.bytes", (int64_t)t->resp.bytes);
        put_sum(o, &t->resp, 0);
    }
    proto_end(o);
}

/* Write and drop the pairs at the head that are finished; all of them when force. */
static void tx_flush(struct http_state *s, struct proto_out *o, int force)
{
    while (s->n) {
        struct http_tx *t = s->q[s->head];
        int req_ok = t->req_done || s->d[PROTO_DIR_CLIENT].dead;
        int resp_ok = t->resp_done || s->d[PROTO_DIR_SERVER].dead;
        if (!force && !(req_ok && resp_ok))
            break;
        if (t->has_req || t->has_resp)
            tx_emit(o, t);
        for (int d = 0; d < 2; d++)
            if (s->d[d].cur == t)
                s->d[d].cur = NULL;
        tx_free(t);
        s->q[s->head] = NULL;
        s->head = (s->head + 1) % HTTP_MAX_PENDING;
        s->n--;
    }
}

/* ---------------------------------------------------------------- bodies */

static const EVP_MD *body_md(int i)
{
    return i == 0 ? EVP_md5() : i == 1 ? EVP_sha1() : EVP_sha256();
}

static int md_init(EVP_MD_CTX **ctx)
{
    for (int i = 0; i < 3; i++) {
        if (!ctx[i] && !(ctx[i] = EVP_MD_CTX_new()))
            return 0;
        if (!EVP_DigestInit_ex(ctx[i], body_md(i), NULL))
            return 0;
    }
    return 1;
}

static void md_update(EVP_MD_CTX **ctx, const void *p, size_t n)
{
    for (int i = 0; i < 3; i++)
        EVP_DigestUpdate(ctx[i], p, n);
}

static int md_final(EVP_MD_CTX **ctx, struct http_sum *h)
{
    unsigned int l;
    return EVP_DigestFinal_ex(ctx[0], h->md5, &l) && EVP_DigestFinal_ex(ctx[1], h->sha1, &l) &&
           EVP_DigestFinal_ex(ctx[2], h->sha256, &l);
}

static void body_zend(struct http_body *b)
{
    if (b->z_init)
        inflateEnd(&b->z);
    b->z_init = 0;
}

static void body_release(struct http_body *b)
{
    body_zend(b);
    for (int i = 0; i < 3; i++) {
        EVP_MD_CTX_free(b->raw[i]);
        EVP_MD_CTX_free(b->dec[i]);
        b->raw[i] = b->dec[i] = NULL;
    }
}

/* Start a body; coding is the Content-Encoding value (RFC 9110 §8.4). */
static void body_begin(struct http_body *b, struct proto_out *o, const char *coding, size_t cn)
{
    body_zend(b);
    b->bytes = b->decoded = 0;
    b->incomplete = b->z_failed = b->z_end = 0;
    b->active = 1;
    b->coding = CODING_NONE;
    trim(&coding, &cn);
    if (ieq(coding, cn, "gzip") || ieq(coding, cn, "x-gzip"))
        b->coding = CODING_GZIP;
    else if (ieq(coding, cn, "deflate"))
        b->coding = CODING_DEFLATE;
    else if (cn && !ieq(coding, cn, "identity"))
        proto_anomaly(o, "http.content_encoding_unsupported");
    b->hashing = md_init(b->raw) && (b->coding == CODING_NONE || md_init(b->dec));
}

static void body_inflate(struct http_body *b, struct proto_out *o, const uint8_t *p, size_t n)
{
    if (!b->z_init) {
        /* "deflate" is the zlib format (RFC 9110 §8.4.1.2) but some servers send raw
         * deflate: a zlib header has CM 8 and a check multiple of 31 (RFC 1950 §2.2). */
        int wbits = 15 + 16;
        if (b->coding == CODING_DEFLATE)
            wbits = ((p[0] & 0x0f) == 8 && n >= 2 && ((p[0] << 8) | p[1]) % 31 == 0) ? 15 : -15;
        memset(&b->z, 0, sizeof b->z);
        if (inflateInit2(&b->z, wbits) != Z_OK) {
            b->z_failed = 1;
            return;
        }
        b->z_init = 1;
    }
    uint8_t out[16384];
    b->z.next_in = (Bytef *)(uintptr_t)p; /* zlib does not write through next_in */
    b->z.avail_in = (uInt)n;
    for (;;) {
        if (b->z_end) {
            /* another gzip member may follow (RFC 1952 §2.2); anything else is ignored */
            if (b->z.avail_in == 0 || b->coding != CODING_GZIP || b->z.next_in[0] != 0x1f ||
                inflateReset(&b->z) != Z_OK)
                return;
            b->z_end = 0;
        }
        b->z.next_out = out;
        b->z.avail_out = sizeof out;
        int rc = inflate(&b->z, Z_NO_FLUSH);
        size_t got = sizeof out - b->z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            proto_anomaly(o, "http.body_decode_error");
            b->z_failed = 1;
            return;
        }
        if (b->decoded + got > HTTP_DECODED_CAP) {
            proto_anomaly(o, "http.body_decoded_too_big");
            b->z_failed = 1;
            return;
        }
        b->decoded += got;
        md_update(b->dec, out, got);
        if (rc == Z_STREAM_END)
            b->z_end = 1;
        else if (rc == Z_BUF_ERROR || b->z.avail_out != 0)
            return; /* all input taken and no output pending */
    }
}

static void body_feed(struct http_body *b, struct proto_out *o, const uint8_t *p, size_t n)
{
    b->bytes += n;
    if (b->incomplete || !b->hashing || n == 0)
        return;
    md_update(b->raw, p, n);
    if (b->coding != CODING_NONE && !b->z_failed)
        body_inflate(b, o, p, n);
}

/* The body ended (completely or not); its sums go to h. */
static void body_finish(struct http_body *b, struct proto_out *o, struct http_sum *h)
{
    if (!b->active)
        return;
    b->active = 0;
    h->bytes = b->bytes;
    h->incomplete = b->incomplete;
    if (b->incomplete || !b->hashing || b->bytes == 0) {
        body_zend(b);
        return;
    }
    int decoded = b->coding != CODING_NONE && !b->z_failed;
    if (decoded && !b->z_end) {
        proto_anomaly(o, "http.body_decode_error"); /* the compressed stream stops short */
        decoded = 0;
    }
    body_zend(b);
    h->hashed = (uint8_t)md_final(decoded ? b->dec : b->raw, h);
    h->size = decoded ? b->decoded : b->bytes;
}

/* ---------------------------------------------------------------- header blocks */

struct http_hdr {
    const char *name, *val;
    size_t nlen, vlen;
};

struct http_msg {
    const char *start; /* start line */
    size_t slen;
    struct http_hdr h[HTTP_MAX_HEADERS];
    size_t nh;
};

/*
 * Split the block p[0..n) (lines ending in LF, the final empty line excluded) into
 * the start line and fields.  obs-fold lines are joined to the previous value with
 * one SP (RFC 9112 §5.2); the block is rewritten in place for that, which is safe
 * because the writer never overtakes the reader.
 */
static void msg_parse(struct proto_out *o, char *p, size_t n, struct http_msg *m)
{
    size_t r = 0, w = 0;
    memset(m, 0, sizeof *m);
    int first = 1;
    while (r < n) {
        size_t ll = find(p + r, n - r, '\n');
        size_t next = r + ll + (r + ll < n);
        if (ll && p[r + ll - 1] == '\r')
            ll--;
        const char *line = p + r;
        if (first) {
            m->start = line;
            m->slen = ll;
            w = r + ll;
            first = 0;
        } else if (ll && is_ows((unsigned char)line[0])) {
            const char *v = line;
            size_t vn = ll;
            trim(&v, &vn);
            if (m->nh == 0) {
                proto_anomaly(o, "http.bad_fold");
            } else {
                struct http_hdr *h = &m->h[m->nh - 1];
                proto_anomaly(o, "http.obs_fold");
                w = (size_t)(h->val - p) + h->vlen;
                if (h->vlen)
                    p[w++] = ' ';
                memmove(p + w, v, vn);
                h->vlen = (size_t)(p + w + vn - h->val);
                w += vn;
            }
        } else if (ll) {
            size_t colon = find(line, ll, ':');
            const char *nm = line, *v = line + colon + 1;
            size_t nn = colon, vn = colon < ll ? ll - colon - 1 : 0;
            if (colon == ll || colon == 0 || is_ows((unsigned char)line[colon - 1])) {
                proto_anomaly(o, "http.bad_field_line");
                trim(&nm, &nn);
            }
            trim(&v, &vn);
            if (colon < ll && nn && m->nh < HTTP_MAX_HEADERS) {
                struct http_hdr *h = &m->h[m->nh++];
                memmove(p + w, nm, nn);
                h->name = p + w;
                h->nlen = nn;
                w += nn;
                memmove(p + w, v, vn);
                h->val = p + w;
                h->vlen = vn;
                w += vn;
            }
        }
        r = next;
    }
}

static const struct http_hdr *msg_get(const struct http_msg *m, const char *name)
{
    for (size_t i = 0; i < m->nh; i++)
        if (ieq(m->h[i].name, m->h[i].nlen, name))
            return &m->h[i];
    return NULL;
}

static void keep(struct proto_out *o, struct http_tx *t, int f, const struct http_msg *m,
                 const char *name)
{
    const struct http_hdr *h = msg_get(m, name);
    if (h)
        tx_set(o, t, f, h->val, h->vlen);
}

/* Media type without parameters, lowercased (RFC 9110 §8.3.1). */
static void keep_mime(struct proto_out *o, struct http_tx *t, int f, const struct http_msg *m)
{
    const struct http_hdr *h = msg_get(m, "content-type");
    if (!h)
        return;
    const char *v = h->val;
    size_t n = find(v, h->vlen, ';');
    trim(&v, &n);
    if (!n)
        return;
    tx_set(o, t, f, v, n);
    if (t->set[f] && t->len[f] == n)
        for (size_t i = 0; i < n; i++)
            t->s.data[t->off[f] + i] = (uint8_t)lc(t->s.data[t->off[f] + i]);
}

/*
 * file.name from Content-Disposition (RFC 6266 §4.1): filename* (an RFC 8187 §3.2
 * ext-value: charset'language'pct-encoded) wins over filename (token or
 * quoted-string).  Returns the length written to out.
 */
static size_t disp_filename(const char *v, size_t n, char *out, size_t cap)
{
    size_t i = find(v, n, ';'), got = 0;
    int star = 0;
    while (i < n) {
        i++; /* ';' */
        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        size_t ns = i;
        while (i < n && v[i] != '=' && v[i] != ';')
            i++;
        const char *nm = v + ns;
        size_t nn = i - ns;
        trim(&nm, &nn);
        if (i >= n || v[i] != '=')
            continue;
        i++;
        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        char tmp[HTTP_NAME_CAP];
        size_t tl = 0;
        if (i < n && v[i] == '"') { /* quoted-string, RFC 9110 §5.6.4 */
            for (i++; i < n && v[i] != '"'; i++) {
                if (v[i] == '\\' && i + 1 < n)
                    i++;
                if (tl < sizeof tmp)
                    tmp[tl++] = v[i];
            }
            if (i < n)
                i++;
            while (i < n && v[i] != ';')
                i++;
        } else {
            size_t vs = i;
            while (i < n && v[i] != ';')
                i++;
            const char *tv = v + vs;
            size_t tn = i - vs;
            trim(&tv, &tn);
            tl = tn < sizeof tmp ? tn : sizeof tmp;
            memcpy(tmp, tv, tl);
        }
        if (ieq(nm, nn, "filename*")) {
            size_t q1 = find(tmp, tl, '\'');
            size_t q2 = q1 < tl ? q1 + 1 + find(tmp + q1 + 1, tl - q1 - 1, '\'') : tl;
            if (q2 >= tl)
                continue;
            got = 0;
            for (size_t k = q2 + 1; k < tl && got < cap; k++) {
                int hi = k + 2 < tl ? hexval(tmp[k + 1]) : -1;
                int lo = k + 2 < tl ? hexval(tmp[k + 2]) : -1;
                if (tmp[k] == '%' && hi >= 0 && lo >= 0) {
                    out[got++] = (char)(hi << 4 | lo);
                    k += 2;
                } else {
                    out[got++] = tmp[k];
                }
            }
            star = 1;
        } else if (ieq(nm, nn, "filename") && !star) {
            got = tl < cap ? tl : cap;
            memcpy(out, tmp, got);
        }
    }
    return got;
}

/* ---------------------------------------------------------------- messages */

static void give_up(struct http_state *s, struct proto_out *o, int dir);

static void head_reset(struct http_dir *d)
{
    buf_reset(&d->hdr);
    d->line_start = 0;
    d->nlines = 0;
}

/* The message of direction dir is over (its body read or abandoned). */
static void msg_done(struct http_state *s, struct proto_out *o, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *t = d->cur;
    struct http_sum none = {0};
    body_finish(&d->b, o, t ? (dir ? &t->resp : &t->req) : &none);
    if (t && dir == PROTO_DIR_CLIENT) {
        t->req_done = 1;
        d->connect_wait = t->is_connect; /* what follows may be the tunnel */
    } else if (t) {
        t->resp_done = 1;
    }
    d->cur = NULL;
    d->st = ST_HEAD;
    head_reset(d);
    tx_flush(s, o, 0);
}

/* Lost the thread: look for the next line that starts a message. */
static void resync(struct http_dir *d, int mid_line)
{
    head_reset(d);
    d->st = ST_RESYNC;
    d->skip = (uint8_t)mid_line;
    d->scanned = 0;
}

/* A chunked body went wrong: what was read is incomplete, then resync. */
static void chunk_broken(struct http_state *s, struct proto_out *o, int dir, int mid_line)
{
    s->d[dir].b.incomplete = 1;
    msg_done(s, o, dir);
    resync(&s->d[dir], mid_line);
}

/*
 * Body framing (RFC 9112 §6.3) of the message whose fields are m; leaves d->st at
 * ST_HEAD when there is no body.  ce: Content-Encoding.
 */
static void framing(struct http_state *s, struct proto_out *o, int dir, const struct http_msg *m,
                    int no_body)
{
    struct http_dir *d = &s->d[dir];
    d->st = ST_HEAD;
    if (no_body)
        return;
    int64_t cl = -1;
    int bad = 0;
    for (size_t i = 0; i < m->nh; i++) {
        if (!ieq(m->h[i].name, m->h[i].nlen, "content-length"))
            continue;
        /* a list of identical values is one value (RFC 9110 §8.6) */
        const char *v = m->h[i].val;
        size_t n = m->h[i].vlen;
        while (n) {
            size_t e = find(v, n, ',');
            const char *x = v;
            size_t xn = e;
            trim(&x, &xn);
            int64_t k = parse_dec(x, xn);
            if (k < 0 || (cl >= 0 && k != cl))
                bad = 1;
            cl = k;
            v += e < n ? e + 1 : e;
            n -= e < n ? e + 1 : e;
        }
    }
    const struct http_hdr *te = msg_get(m, "transfer-encoding");
    const struct http_hdr *ce = msg_get(m, "content-encoding");
    body_begin(&d->b, o, ce ? ce->val : "", ce ? ce->vlen : 0);
    if (te) {
        /* chunked must be the final transfer coding (RFC 9112 §6.1, §6.3 items 3-4) */
        size_t i = te->vlen;
        while (i && te->val[i - 1] != ',')
            i--;
        const char *last = te->val + i;
        size_t ln = te->vlen - i;
        trim(&last, &ln);
        if (cl >= 0 || bad)
            proto_anomaly(o, "http.te_and_cl"); /* request smuggling looks like this */
        if (ieq(last, ln, "chunked")) {
            if (i)
                proto_anomaly(o, "http.transfer_coding_unsupported");
            d->st = ST_CHUNK_SIZE;
            return;
        }
        proto_anomaly(o, "http.bad_transfer_encoding");
        bad = 1;
    } else if (bad) {
        proto_anomaly(o, "http.bad_content_length");
    }
    if (bad && dir == PROTO_DIR_CLIENT) {
        d->b.incomplete = 1; /* the server must reject it; we cannot frame it */
        give_up(s, o, dir);
    } else if (bad) {
        d->st = ST_BODY_CLOSE;
    } else if (cl > 0) {
        d->st = ST_BODY_LEN;
        d->left = (uint64_t)cl;
    } else if (cl < 0 && dir == PROTO_DIR_SERVER) {
        d->st = ST_BODY_CLOSE;
    }
}

/* Authorization scheme (RFC 9110 §11.6.2): the token before the credentials. */
static void keep_auth(struct proto_out *o, struct http_tx *t, const struct http_msg *m)
{
    const struct http_hdr *h = msg_get(m, "authorization");
    if (!h)
        return;
    size_t i = 0;
    while (i < h->vlen && i < 64 && is_tchar((unsigned char)h->val[i]))
        i++;
    if (i && (i == h->vlen || h->val[i] == ' '))
        tx_set(o, t, F_AUTH, h->val, i);
    else
        proto_anomaly(o, "http.bad_authorization");
}

static void keep_file(struct proto_out *o, struct http_tx *t, int f, const struct http_msg *m)
{
    const struct http_hdr *h = msg_get(m, "content-disposition");
    char name[HTTP_NAME_CAP];
    size_t n = h ? disp_filename(h->val, h->vlen, name, sizeof name) : 0;
    if (n)
        tx_set(o, t, f, name, n);
}

static void on_request(struct http_state *s, struct proto_out *o, const struct http_msg *m)
{
    struct http_dir *d = &s->d[PROTO_DIR_CLIENT];
    const char *l = m->start;
    size_t n = m->slen, sp1 = find(l, n, ' '), sp2 = n;
    for (size_t i = n; i > sp1 + 1; i--) {
        if (l[i - 1] == ' ') {
            sp2 = i - 1;
            break;
        }
    }
    const char *uri = sp1 < n ? l + sp1 + 1 : l + n, *ver = NULL;
    size_t un = sp2 > sp1 ? sp2 - sp1 - 1 : 0, vn = 0;
    if (sp2 < n && n - sp2 - 1 > 5 && memcmp(l + sp2 + 1, "HTTP/", 5) == 0) {
        ver = l + sp2 + 6;
        vn = n - sp2 - 6;
    } else {
        proto_anomaly(o, "http.bad_request_line"); /* HTTP/0.9 or junk */
        un = sp1 < n ? n - sp1 - 1 : 0;
    }
    trim(&uri, &un);
    struct http_tx *t = tx_for(s, PROTO_DIR_CLIENT);
    if (!t) {
        proto_anomaly(o, "http.too_many_pending");
        give_up(s, o, PROTO_DIR_CLIENT);
        return;
    }
    t->has_req = 1;
    tx_set(o, t, F_METHOD, l, sp1);
    tx_set(o, t, F_URI, uri, un);
    if (ver)
        tx_set(o, t, F_REQ_VER, ver, vn);
    keep(o, t, F_HOST, m, "host");
    keep(o, t, F_UA, m, "user-agent");
    keep(o, t, F_REFERRER, m, "referer");
    keep(o, t, F_XFF, m, "x-forwarded-for");
    keep_mime(o, t, F_REQ_CTYPE, m);
    keep_auth(o, t, m);
    keep_file(o, t, F_REQ_FILE, m);
    t->is_head = ieq(l, sp1, "HEAD");
    t->is_connect = ieq(l, sp1, "CONNECT");
    d->cur = t;
    if (ver && vn == 3 && memcmp(ver, "2.0", 3) == 0) {
        /* the HTTP/2 connection preface (RFC 9113 §3.4): not ours */
        proto_anomaly(o, "http.http2_preface");
        t->req_done = 1;
        d->cur = NULL;
        give_up(s, o, PROTO_DIR_CLIENT);
        give_up(s, o, PROTO_DIR_SERVER);
        return;
    }
    framing(s, o, PROTO_DIR_CLIENT, m, 0);
}

enum { AFTER_NOTHING, AFTER_TLS, AFTER_UPGRADE };

/* Returns what the connection turns into after this response (AFTER_*). */
static int on_response(struct http_state *s, struct proto_out *o, const struct http_msg *m)
{
    struct http_dir *d = &s->d[PROTO_DIR_SERVER];
    const char *l = m->start;
    size_t n = m->slen, sp = find(l, n, ' ');
    int64_t code = sp + 4 <= n ? parse_dec(l + sp + 1, 3) : -1;
    if (sp < 6 || memcmp(l, "HTTP/", 5) != 0 || code < 100 || (sp + 4 < n && l[sp + 4] != ' ')) {
        proto_anomaly(o, "http.bad_status_line");
        resync(d, 0);
        return AFTER_NOTHING;
    }
    d->st = ST_HEAD;
    if (code < 200 && code != 101)
        return AFTER_NOTHING; /* interim (RFC 9110 §15.2): the final response follows */
    struct http_tx *t = tx_for(s, PROTO_DIR_SERVER);
    if (!t) {
        proto_anomaly(o, "http.too_many_pending");
        give_up(s, o, PROTO_DIR_SERVER);
        return AFTER_NOTHING;
    }
    t->has_resp = 1;
    t->status = (int)code;
    tx_set(o, t, F_RESP_VER, l + 5, sp - 5);
    keep_mime(o, t, F_RESP_CTYPE, m);
    keep(o, t, F_SERVER, m, "server");
    keep(o, t, F_LOCATION, m, "location");
    keep_file(o, t, F_RESP_FILE, m);
    d->cur = t;
    int tunnel = t->is_connect && code / 100 == 2;
    int no_body = t->is_head || code == 204 || code == 304 || code == 101 || tunnel;
    framing(s, o, PROTO_DIR_SERVER, m, no_body);
    return tunnel ? AFTER_TLS : code == 101 ? AFTER_UPGRADE : AFTER_NOTHING;
}

/* Stop parsing direction dir; both gone: write everything and stop. */
static void give_up(struct http_state *s, struct proto_out *o, int dir)
{
    struct http_dir *d = &s->d[dir];
    if (d->dead)
        return;
    if (d->cur) {
        if (d->b.active && d->st != ST_BODY_CLOSE)
            d->b.incomplete = 1;
        msg_done(s, o, dir);
    }
    d->dead = 1;
    body_zend(&d->b);
    buf_release(&d->hdr);
    if (s->d[0].dead && s->d[1].dead) {
        tx_flush(s, o, 1);
        s->done = 1;
    } else {
        tx_flush(s, o, 0);
    }
}

/* ---------------------------------------------------------------- the byte streams */

/* Append input up to and including the next LF to d->hdr: 1 a line is complete,
 * 0 the input ran out first, -1 the line would pass cap (nothing consumed). */
static int read_line(struct http_dir *d, struct rdr *r, size_t cap)
{
    size_t left = rdr_left(r);
    const uint8_t *p = rdr_bytes(r, 0); /* peek */
    const uint8_t *nl = memchr(p, '\n', left);
    size_t k = nl ? (size_t)(nl - p) + 1 : left;
    if (d->hdr.len + k > cap || buf_append(&d->hdr, p, k) != 0)
        return -1;
    rdr_skip(r, k);
    return nl != NULL;
}

static int line_blank(const uint8_t *p, size_t n)
{
    return n == 1 || (n == 2 && p[0] == '\r');
}

/* A start line has begun in d->hdr (from a resync): is it already whole? */
static void head_begun(struct http_dir *d)
{
    d->st = ST_HEAD;
    d->nlines = 0;
    if (d->hdr.len && d->hdr.data[d->hdr.len - 1] == '\n') {
        d->nlines = 1;
        d->line_start = d->hdr.len;
    }
}

static void step_head(struct http_state *s, struct proto_out *o, int dir, struct rdr *r)
{
    struct http_dir *d = &s->d[dir];
    int rc = read_line(d, r, HTTP_HDR_CAP);
    if (rc < 0) {
        proto_anomaly(o, "http.header_too_big");
        give_up(s, o, dir);
        return;
    }
    const uint8_t *p = d->hdr.data;
    if (d->nlines == 0) {
        if (rc && line_blank(p, d->hdr.len)) {
            head_reset(d); /* empty lines before a start line (RFC 9112 §2.2) */
            return;
        }
        int ok = looks_like_start(dir, p, d->hdr.len, 0);
        if (ok == 0 || (ok < 0 && rc)) {
            if (!d->connect_wait)
                proto_anomaly(o, "http.bad_start_line");
            resync(d, !rc);
            return;
        }
        if (rc) {
            d->connect_wait = 0;
            d->nlines = 1;
            d->line_start = d->hdr.len;
        }
        return;
    }
    if (!rc)
        return;
    if (!line_blank(p + d->line_start, d->hdr.len - d->line_start)) {
        if (++d->nlines > HTTP_MAX_HEADERS + 1) {
            proto_anomaly(o, "http.too_many_headers");
            give_up(s, o, dir);
            return;
        }
        d->line_start = d->hdr.len;
        return;
    }
    struct http_msg m;
    msg_parse(o, (char *)d->hdr.data, d->line_start, &m);
    int after = AFTER_NOTHING;
    if (dir == PROTO_DIR_CLIENT)
        on_request(s, o, &m);
    else
        after = on_response(s, o, &m);
    if (d->dead)
        return;
    if (d->st != ST_RESYNC)
        head_reset(d);
    if (d->st == ST_HEAD)
        msg_done(s, o, dir);
    if (after != AFTER_NOTHING) {
        /* the rest of the connection is not HTTP (RFC 9110 §9.3.6, §15.2.2) */
        give_up(s, o, PROTO_DIR_CLIENT);
        give_up(s, o, PROTO_DIR_SERVER);
        if (after == AFTER_TLS) {
            proto_switch(o, "tls");
            s->switched = 1; /* return 0: the session goes on, with the TLS parser */
        }
    }
}

static void step_resync(struct http_state *s, struct proto_out *o, int dir, struct rdr *r)
{
    struct http_dir *d = &s->d[dir];
    size_t left = rdr_left(r);
    const uint8_t *p = rdr_bytes(r, 0); /* peek */
    const uint8_t *nl = memchr(p, '\n', left);
    size_t k = nl ? (size_t)(nl - p) + 1 : left;
    if (d->skip) {
        rdr_skip(r, k);
        d->skip = nl == NULL;
    } else {
        /* 40 bytes decide (a method is at most 32) */
        if (k > 40 - d->hdr.len)
            k = 40 - d->hdr.len;
        if (k == 0 || buf_append(&d->hdr, rdr_bytes(r, k), k) != 0) {
            give_up(s, o, dir); /* cannot happen: 33 bytes always decide */
            return;
        }
        int ok = looks_like_start(dir, d->hdr.data, d->hdr.len, 1);
        int eol = d->hdr.data[d->hdr.len - 1] == '\n';
        if (ok == 1) {
            head_begun(d);
            return;
        }
        if (ok == 0 || eol) {
            head_reset(d);
            d->skip = !eol;
        }
    }
    d->scanned += k;
    if (d->scanned > HTTP_RESYNC_CAP) {
        proto_anomaly(o, "http.resync_failed");
        give_up(s, o, dir);
    }
}

/* chunk-size [ chunk-ext ] (RFC 9112 §7.1, §7.1.1): -1 when malformed. */
static int64_t chunk_size(const uint8_t *p, size_t n)
{
    size_t i = 0;
    int64_t v = 0;
    while (i < n && hexval(p[i]) >= 0) {
        if (i == 15)
            return -1;
        v = v << 4 | hexval(p[i]);
        i++;
    }
    if (i == 0)
        return -1;
    while (i < n && is_ows(p[i]))
        i++;
    if (i < n && p[i] != ';' && p[i] != '\r' && p[i] != '\n')
        return -1;
    return v;
}

/* k bytes of a Content-Length body or of a chunk went by (read or lost). */
static void body_took(struct http_state *s, struct proto_out *o, int dir, uint64_t k)
{
    struct http_dir *d = &s->d[dir];
    d->left -= k;
    if (d->left == 0 && d->st == ST_BODY_LEN)
        msg_done(s, o, dir);
    else if (d->left == 0)
        d->st = ST_CHUNK_END;
}

static void step_body(struct http_state *s, struct proto_out *o, int dir, struct rdr *r)
{
    struct http_dir *d = &s->d[dir];
    size_t k = rdr_left(r);
    if (d->st != ST_BODY_CLOSE && k > d->left)
        k = (size_t)d->left;
    body_feed(&d->b, o, rdr_bytes(r, k), k);
    if (d->st != ST_BODY_CLOSE)
        body_took(s, o, dir, k);
}

static void step_chunk(struct http_state *s, struct proto_out *o, int dir, struct rdr *r)
{
    struct http_dir *d = &s->d[dir];
    if (d->st == ST_TRAILER) {
        int rc = read_line(d, r, HTTP_HDR_CAP);
        if (rc < 0) {
            proto_anomaly(o, "http.header_too_big");
            give_up(s, o, dir);
        } else if (rc && line_blank(d->hdr.data + d->line_start, d->hdr.len - d->line_start)) {
            msg_done(s, o, dir);
        } else if (rc && ++d->nlines > HTTP_MAX_HEADERS) {
            proto_anomaly(o, "http.too_many_headers");
            give_up(s, o, dir);
        } else if (rc) {
            d->line_start = d->hdr.len;
        }
        return;
    }
    int rc = read_line(d, r, HTTP_CHUNK_LINE_CAP);
    if (rc < 0) {
        proto_anomaly(o, "http.bad_chunk_line");
        chunk_broken(s, o, dir, 1);
        return;
    }
    if (!rc)
        return;
    const uint8_t *p = d->hdr.data;
    size_t n = d->hdr.len;
    if (d->st == ST_CHUNK_END) {
        if (!line_blank(p, n)) {
            proto_anomaly(o, "http.bad_chunk_end");
            chunk_broken(s, o, dir, 0);
            return;
        }
        head_reset(d);
        d->st = ST_CHUNK_SIZE;
        return;
    }
    int64_t sz = chunk_size(p, n);
    head_reset(d);
    if (sz < 0) {
        proto_anomaly(o, "http.bad_chunk_size");
        chunk_broken(s, o, dir, 0);
    } else if (sz == 0) {
        d->st = ST_TRAILER;
    } else {
        d->st = ST_CHUNK_DATA;
        d->left = (uint64_t)sz;
    }
}

/* ---------------------------------------------------------------- the parser interface */

static int http_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    if (n && looks_like_start(dir, d, n, 1) == 1)
        return PROTO_CONTENT;
    uint16_t p = c->srv_port;
    if (p == 80 || p == 8080 || p == 8000 || p == 3128)
        return PROTO_PORT;
    return PROTO_NO;
}

static int http_data(void *st, struct proto_out *o, const struct proto_ctx *c, int dir,
                     const uint8_t *p, size_t n)
{
    (void)c;
    struct http_state *s = st;
    struct http_dir *d = &s->d[dir ? 1 : 0];
    if (d->hdr.cap == 0)
        buf_init(&d->hdr, HTTP_HDR_CAP);
    struct rdr r;
    rdr_init(&r, p, n);
    while (!s->done && !d->dead && rdr_left(&r) > 0) {
        switch (d->st) {
        case ST_HEAD:
            step_head(s, o, dir ? 1 : 0, &r);
            break;
        case ST_BODY_LEN:
        case ST_BODY_CLOSE:
        case ST_CHUNK_DATA:
            step_body(s, o, dir ? 1 : 0, &r);
            break;
        case ST_RESYNC:
            step_resync(s, o, dir ? 1 : 0, &r);
            break;
        default:
            step_chunk(s, o, dir ? 1 : 0, &r);
            break;
        }
    }
    return s->done && !s->switched;
}

static void http_gap(void *st, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    (void)c;
    struct http_state *s = st;
    dir = dir ? 1 : 0;
    struct http_dir *d = &s->d[dir];
    if (s->done || d->dead || n == 0)
        return;
    proto_anomaly(o, "http.gap");
    if (d->st == ST_BODY_CLOSE ||
        ((d->st == ST_BODY_LEN || d->st == ST_CHUNK_DATA) && n <= d->left)) {
        /* the hole is inside the body: count it, hash nothing, keep going */
        d->b.incomplete = 1;
        d->b.bytes += n;
        if (d->st != ST_BODY_CLOSE)
            body_took(s, o, dir, n);
        return;
    }
    if (d->b.active) {
        d->b.incomplete = 1;
        if (d->st == ST_BODY_LEN || d->st == ST_CHUNK_DATA)
            d->b.bytes += d->left;
        msg_done(s, o, dir);
    }
    resync(d, 0); /* the bytes after the hole may start a message */
}

static void http_end(void *st, struct proto_out *o, const struct proto_ctx *c)
{
    (void)c;
    struct http_state *s = st;
    if (s->done)
        return;
    for (int dir = 0; dir < 2; dir++) {
        struct http_dir *d = &s->d[dir];
        if (d->dead)
            continue;
        if (d->st == ST_TRAILER) {
            proto_anomaly(o, "http.truncated_message"); /* the body itself is whole */
            msg_done(s, o, dir);
        } else if (d->st != ST_HEAD && d->st != ST_RESYNC && d->b.active) {
            if (d->st != ST_BODY_CLOSE) {
                proto_anomaly(o, "http.truncated_message");
                d->b.incomplete = 1;
            }
            msg_done(s, o, dir);
        } else if (d->st == ST_HEAD && d->hdr.len) {
            proto_anomaly(o, "http.truncated_header");
        }
    }
    tx_flush(s, o, 1);
    s->done = 1;
}

static void http_release(void *st)
{
    struct http_state *s = st;
    for (int dir = 0; dir < 2; dir++) {
        buf_release(&s->d[dir].hdr);
        body_release(&s->d[dir].b);
        s->d[dir].cur = NULL;
    }
    while (s->n) {
        tx_free(s->q[s->head]);
        s->q[s->head] = NULL;
        s->head = (s->head + 1) % HTTP_MAX_PENDING;
        s->n--;
    }
}

const struct proto_parser proto_http = {
    .name = "http",
    .l4 = 6,
    .probe = http_probe,
    .state_size = sizeof(struct http_state),
    .data = http_data,
    .gap = http_gap,
    .end = http_end,
    .release = http_release,
};
