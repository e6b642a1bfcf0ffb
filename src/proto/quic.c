/*
 * quic.c — QUIC v1 (RFC 9000, RFC 9001) and v2 (RFC 9369): the client's Initial
 * packets, decrypted, give the TLS ClientHello (SNI, ALPN, JA4 with 'q').
 *
 * One UDP datagram may carry several coalesced packets (RFC 9000 §12.2); each
 * long header packet says its own length.  The long header (RFC 9000 §17.2):
 *
 *   +-+-+-+-+-+-+-+-+
 *   |1|1|T T|R R|P P|   form, fixed bit, type, reserved*, packet number length*
 *   +-+-+-+-+-+-+-+-+---------------------------------------------+
 *   |                    Version (32)                             |
 *   +-+-+-+-+-+-+-+-+---------------------------------------------+
 *   | DCID Len (8)  |  Destination Connection ID (0..160)          |
 *   | SCID Len (8)  |  Source Connection ID (0..160)               |
 *   +-+-+-+-+-+-+-+-+---------------------------------------------+
 *   | Token Length (i) | Token (..)            (Initial only, §17.2.2)
 *   | Length (i)       | Packet Number (8..32)* | Protected Payload ..
 *                                                  * = header-protected
 *
 * Types (T T): v1 Initial 0, 0-RTT 1, Handshake 2, Retry 3; v2 (RFC 9369 §3.2)
 * Initial 1, 0-RTT 2, Handshake 3, Retry 0.  Short header packets (form bit 0)
 * are 1-RTT and end the datagram for us.
 *
 * Initial protection (RFC 9001 §5.2, RFC 9369 §3.3.1-2):
 *   initial_secret = HKDF-Extract(salt(version), client's first DCID)
 *   client secret  = HKDF-Expand-Label(initial_secret, "client in", "", 32)
 *   key/iv/hp      = HKDF-Expand-Label(secret, "quic key"/"quic iv"/"quic hp")
 *                    ("quicv2 key"/"quicv2 iv"/"quicv2 hp" for v2)
 *   header protection (§5.4): mask = AES-128-ECB(hp, 16 bytes at pn_off + 4);
 *     first byte ^= mask[0] & 0x0f, packet number ^= mask[1..4]
 *   payload (§5.3): AES-128-GCM, nonce = iv ^ packet number, AAD = the header
 *     up to and including the packet number.
 *
 * Frames allowed in Initial packets (RFC 9000 §12.4, §19): PADDING 0x00, PING
 * 0x01, ACK 0x02/0x03, CRYPTO 0x06 (offset, length, data), CONNECTION_CLOSE
 * 0x1c.  CRYPTO frames form one byte stream per packet number space; clients
 * such as Chrome send them out of order and split a large ClientHello (post-quantum
 * key shares) over several packets and datagrams.  The stream is reassembled by
 * offset (a short list of received ranges) up to 64 KiB; once the first
 * handshake message (RFC 8446 §4: type 1, 24-bit length) is whole, it goes to
 * tls_client_hello_fields() and the session's one record is written.
 *
 * Keys come from the DCID of the client's first Initial.  When they fail, the
 * packet's own DCID is tried too: after a Retry (RFC 9000 §17.2.5) the client
 * uses the server's new connection ID, and a capture may miss the first packet.
 */
#include "proto/quic.h"
#include "proto/tls.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/rdr.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#define QUIC_CRYPTO_MAX (64 * 1024) /* CRYPTO stream bytes kept per connection */
#define QUIC_PLAIN_MAX (128 * 1024) /* one decrypted packet (a UDP datagram is < 64 KiB) */
#define QUIC_MAX_RANGES 32          /* disjoint pieces of the CRYPTO stream */
#define QUIC_MIN_INITIAL_DGRAM 1200 /* RFC 9000 §14.1 */
#define QUIC_MAX_FAILS 8            /* Initials that fail to decrypt before we stop trying */

/* ---------------------------------------------------------------- wire helpers */

int quic_version_known(uint32_t v)
{
    return v == QUIC_VERSION_1 || v == QUIC_VERSION_2;
}

uint64_t quic_varint(struct rdr *r)
{
    /* RFC 9000 §16: the two high bits of the first byte give the length (1, 2, 4, 8). */
    uint8_t b = rdr_u8(r);
    unsigned n = 1u << (b >> 6);
    uint64_t v = b & 0x3f;
    for (unsigned i = 1; i < n; i++)
        v = v << 8 | rdr_u8(r);
    return v;
}

int quic_parse_long(const uint8_t *d, size_t n, struct quic_long *h)
{
    struct rdr r;
    rdr_init(&r, d, n);
    memset(h, 0, sizeof *h);
    h->first = rdr_u8(&r);
    if (rdr_ok(&r) && !(h->first & 0x80))
        return KS_EFORMAT;
    h->version = rdr_u32be(&r);
    h->dcid_len = rdr_u8(&r);
    h->dcid = rdr_bytes(&r, h->dcid_len);
    h->scid_len = rdr_u8(&r);
    h->scid = rdr_bytes(&r, h->scid_len);
    if (!rdr_ok(&r))
        return KS_ETRUNC;
    if (!quic_version_known(h->version)) {
        /* RFC 8999: only the version and the connection IDs are version-independent */
        h->len = n;
        return 1;
    }
    if (h->dcid_len > QUIC_MAX_CID || h->scid_len > QUIC_MAX_CID)
        return KS_EFORMAT;
    unsigned t = (h->first >> 4) & 3;
    h->type = (uint8_t)(h->version == QUIC_VERSION_2 ? (t + 3) & 3 : t);
    if (h->type == QUIC_PT_RETRY) {
        h->len = n; /* no Length field: the Retry fills the datagram */
        return 0;
    }
    if (h->type == QUIC_PT_INITIAL) {
        uint64_t tl = quic_varint(&r);
        if (!rdr_ok(&r) || tl > rdr_left(&r))
            return KS_ETRUNC;
        h->token_len = (size_t)tl;
        h->token = rdr_bytes(&r, h->token_len);
    }
    uint64_t len = quic_varint(&r);
    if (!rdr_ok(&r) || len > rdr_left(&r))
        return KS_ETRUNC;
    h->pn_off = r.off;
    h->len = r.off + (size_t)len;
    return 0;
}

/* ---------------------------------------------------------------- keys */

static const uint8_t kSaltV1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t kSaltV2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

/* HKDF with SHA-256 (RFC 5869) in one mode: extract (salt, ikm) or expand (prk, info). */
static int hkdf(EVP_KDF *kdf, int mode, const uint8_t *key, size_t klen,
                const uint8_t *salt_or_info, size_t slen, uint8_t *out, size_t olen)
{
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
    if (!c)
        return KS_ENOMEM;
    OSSL_PARAM p[5];
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
    p[3] = OSSL_PARAM_construct_octet_string(
        mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
        (void *)salt_or_info, slen);
    p[4] = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(c, out, olen, p) == 1;
    EVP_KDF_CTX_free(c);
    return ok ? 0 : KS_ENOMEM;
}

/* HKDF-Expand-Label(secret, label, "", olen) of TLS 1.3 (RFC 8446 §7.1). */
static int expand_label(EVP_KDF *kdf, const uint8_t secret[32], const char *label, uint8_t *out,
                        size_t olen)
{
    /* struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; } */
    uint8_t info[2 + 1 + 255 + 1];
    size_t ll = strlen(label), n = 0;
    if (ll > 255 - 6)
        return KS_EINVAL;
    info[n++] = (uint8_t)(olen >> 8);
    info[n++] = (uint8_t)olen;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0;
    return hkdf(kdf, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, info, n, out, olen);
}

int quic_initial_keys(uint32_t version, const uint8_t *cid, size_t cid_len, int server,
                      struct quic_keys *k)
{
    if (!quic_version_known(version))
        return KS_EINVAL;
    int v2 = version == QUIC_VERSION_2;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        return KS_ENOMEM;
    uint8_t initial[32], secret[32];
    int rc = hkdf(kdf, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, cid, cid_len, v2 ? kSaltV2 : kSaltV1, 20,
                  initial, sizeof initial);
    if (!rc)
        rc = expand_label(kdf, initial, server ? "server in" : "client in", secret, sizeof secret);
    if (!rc)
        rc = expand_label(kdf, secret, v2 ? "quicv2 key" : "quic key", k->key, sizeof k->key);
    if (!rc)
        rc = expand_label(kdf, secret, v2 ? "quicv2 iv" : "quic iv", k->iv, sizeof k->iv);
    if (!rc)
        rc = expand_label(kdf, secret, v2 ? "quicv2 hp" : "quic hp", k->hp, sizeof k->hp);
    EVP_KDF_free(kdf);
    return rc;
}

/* ---------------------------------------------------------------- packet protection */

/* AES-128-ECB of one 16-byte block: the header protection mask (RFC 9001 §5.4.3). */
static int hp_mask(const uint8_t hp[16], const uint8_t *sample, uint8_t mask[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
             EVP_EncryptUpdate(c, mask, &outl, sample, 16) == 1 && outl == 16;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : KS_ENOMEM;
}

static void make_nonce(const uint8_t iv[12], uint64_t pn, uint8_t nonce[12])
{
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
}

/* RFC 9000 §A.3: the full packet number closest to largest + 1. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned bits)
{
    uint64_t expected = (uint64_t)(largest + 1), win = (uint64_t)1 << bits, hwin = win / 2;
    uint64_t cand = (expected & ~(win - 1)) | truncated;
    if (cand + hwin <= expected && cand < ((uint64_t)1 << 62) - win)
        return cand + win;
    if (cand > expected + hwin && cand >= win)
        return cand - win;
    return cand;
}

int quic_unprotect(const uint8_t *pkt, const struct quic_long *h, const struct quic_keys *k,
                   int64_t largest_pn, struct quic_plain *pl, uint8_t *out)
{
    memset(pl, 0, sizeof *pl);
    /* §5.4.2: the sample starts 4 bytes after the packet number; it must be there */
    if (h->pn_off == 0 || h->len < h->pn_off || h->len - h->pn_off < 4 + 16 || h->len > INT_MAX)
        return KS_ETRUNC;
    uint8_t mask[16];
    if (hp_mask(k->hp, pkt + h->pn_off + 4, mask))
        return KS_ENOMEM;
    uint8_t first = h->first ^ (mask[0] & 0x0f);
    unsigned pnl = (first & 3) + 1;
    uint8_t pnb[4];
    uint64_t truncated = 0;
    for (unsigned i = 0; i < pnl; i++) {
        pnb[i] = pkt[h->pn_off + i] ^ mask[1 + i];
        truncated = truncated << 8 | pnb[i];
    }
    uint64_t pn = decode_pn(largest_pn, truncated, 8 * pnl);
    uint8_t nonce[12];
    make_nonce(k->iv, pn, nonce);

    /* the sample check above leaves at least 16 bytes (the tag) after the packet number */
    size_t ct_off = h->pn_off + pnl, ct_len = h->len - ct_off - QUIC_TAG_LEN;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0, l2 = 0;
    int ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1 &&
             EVP_DecryptUpdate(c, NULL, &l, &first, 1) == 1 &&
             EVP_DecryptUpdate(c, NULL, &l, pkt + 1, (int)(h->pn_off - 1)) == 1 &&
             EVP_DecryptUpdate(c, NULL, &l, pnb, (int)pnl) == 1;
    l = 0;
    if (ok && ct_len)
        ok = EVP_DecryptUpdate(c, out, &l, pkt + ct_off, (int)ct_len) == 1;
    if (ok)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
                                 (void *)(pkt + ct_off + ct_len)) == 1;
    int auth = ok && EVP_DecryptFinal_ex(c, out + l, &l2) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return KS_ENOMEM;
    if (!auth)
        return KS_ECORRUPT;
    pl->first = first;
    pl->pn_len = (uint8_t)pnl;
    pl->pn = pn;
    pl->len = ct_len;
    return 0;
}

static size_t put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

long quic_initial_protect(uint32_t version, const struct quic_keys *k, const uint8_t *dcid,
                          size_t dcid_len, const uint8_t *scid, size_t scid_len, uint64_t pn,
                          unsigned pn_len, const uint8_t *frames, size_t frames_len, uint8_t *out,
                          size_t cap)
{
    if (!quic_version_known(version) || dcid_len > QUIC_MAX_CID || scid_len > QUIC_MAX_CID ||
        pn_len < 1 || pn_len > 4)
        return KS_EINVAL;
    /* pad so that packet number + payload hold the 4 + 16 bytes the sample needs (§5.4.2) */
    size_t pad = frames_len + pn_len < 4 ? 4 - pn_len - frames_len : 0;
    size_t body = pn_len + frames_len + pad + QUIC_TAG_LEN;
    size_t hdr = 1 + 4 + 1 + dcid_len + 1 + scid_len + 1 + 2;
    if (body > 0x3fff || hdr + body > cap || hdr + body > INT_MAX)
        return KS_ELIMIT;
    size_t n = 0;
    unsigned type = version == QUIC_VERSION_2 ? 1 : 0;
    out[n++] = (uint8_t)(0xc0 | type << 4 | (pn_len - 1));
    n += put_be(out + n, version, 4);
    out[n++] = (uint8_t)dcid_len;
    if (dcid_len)
        memcpy(out + n, dcid, dcid_len);
    n += dcid_len;
    out[n++] = (uint8_t)scid_len;
    if (scid_len)
        memcpy(out + n, scid, scid_len);
    n += scid_len;
    out[n++] = 0;                           /* no token */
    n += put_be(out + n, 0x4000 | body, 2); /* Length, 2-byte varint */
    size_t pn_off = n;
    n += put_be(out + n, pn, pn_len);
    uint8_t *pt = out + n;
    if (frames_len)
        memcpy(pt, frames, frames_len);
    memset(pt + frames_len, 0, pad);

    uint8_t nonce[12];
    make_nonce(k->iv, pn, nonce);
    size_t pt_len = frames_len + pad;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &l, out, (int)n) == 1;
    l = 0;
    if (ok && pt_len)
        ok = EVP_EncryptUpdate(c, pt, &l, pt, (int)pt_len) == 1;
    int l2 = 0;
    ok = ok && EVP_EncryptFinal_ex(c, pt + l, &l2) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, QUIC_TAG_LEN, pt + pt_len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return KS_ENOMEM;
    n += pt_len + QUIC_TAG_LEN;

    uint8_t mask[16];
    if (hp_mask(k->hp, out + pn_off + 4, mask))
        return KS_ENOMEM;
    out[0] ^= mask[0] & 0x0f;
    for (unsigned i = 0; i < pn_len; i++)
        out[pn_off + i] ^= mask[1 + i];
    return (long)n;
}

/* ---------------------------------------------------------------- the parser */

struct quic_range {
    uint32_t lo, hi; /* [lo, hi) of the CRYPTO stream */
};

struct quic_state {
    uint32_t version; /* of the client's first Initial */
    uint8_t dcid[QUIC_MAX_CID], scid[QUIC_MAX_CID];
    uint8_t dcid_len, scid_len;
    uint8_t have_hdr; /* version and connection IDs noted */
    uint8_t have_keys, done, gave_up;
    uint8_t fails;                 /* Initials that did not decrypt */
    uint32_t key_version;          /* keys below are for this version … */
    uint8_t key_cid[QUIC_MAX_CID]; /* … and this connection ID */
    uint8_t key_cid_len;
    struct quic_keys keys; /* client Initial keys */
    int64_t largest_pn;    /* client Initial packet number space */
    struct buf crypto;     /* CRYPTO stream from offset 0 (holes are zero) */
    struct quic_range rng[QUIC_MAX_RANGES];
    size_t nrng;
    struct buf plain; /* one decrypted packet */
};

static void release_bufs(struct quic_state *st)
{
    buf_release(&st->crypto);
    buf_release(&st->plain);
}

/* Write the session's record: header fields, and the ClientHello's when there is one. */
static void emit(struct quic_state *st, struct proto_out *o, const uint8_t *hello, size_t n)
{
    char v[16];
    if (st->version == QUIC_VERSION_1)
        snprintf(v, sizeof v, "1");
    else if (st->version == QUIC_VERSION_2)
        snprintf(v, sizeof v, "2");
    else
        snprintf(v, sizeof v, "%08x", (unsigned)st->version);
    proto_begin(o, "quic");
    proto_cstr(o, "quic.version", v);
    if (st->dcid_len)
        proto_hex(o, "quic.dcid", st->dcid, st->dcid_len);
    if (st->scid_len)
        proto_hex(o, "quic.scid", st->scid, st->scid_len);
    if (hello && tls_client_hello_fields(o, hello, n, 'q') < 0)
        proto_anomaly(o, "quic.bad_client_hello");
    proto_end(o);
    st->done = 1;
    release_bufs(st);
}

/* Mark [lo, hi) received: merge it into the sorted list of disjoint ranges. */
static int range_add(struct quic_state *st, uint32_t lo, uint32_t hi)
{
    size_t i = 0, j;
    while (i < st->nrng && st->rng[i].hi < lo)
        i++;
    uint32_t nlo = lo, nhi = hi;
    for (j = i; j < st->nrng && st->rng[j].lo <= hi; j++) {
        if (st->rng[j].lo < nlo)
            nlo = st->rng[j].lo;
        if (st->rng[j].hi > nhi)
            nhi = st->rng[j].hi;
    }
    if (j == i) {
        if (st->nrng == QUIC_MAX_RANGES)
            return KS_ELIMIT;
        memmove(&st->rng[i + 1], &st->rng[i], (st->nrng - i) * sizeof st->rng[0]);
        st->nrng++;
    } else {
        memmove(&st->rng[i + 1], &st->rng[j], (st->nrng - j) * sizeof st->rng[0]);
        st->nrng -= j - i - 1;
    }
    st->rng[i].lo = nlo;
    st->rng[i].hi = nhi;
    return 0;
}

static int crypto_add(struct quic_state *st, uint64_t off, const uint8_t *p, size_t n)
{
    if (off > QUIC_CRYPTO_MAX || n > QUIC_CRYPTO_MAX - off)
        return KS_ELIMIT;
    if (!n)
        return 0;
    size_t end = (size_t)off + n;
    if (!st->crypto.cap)
        buf_init(&st->crypto, QUIC_CRYPTO_MAX);
    if (end > st->crypto.len) {
        size_t old = st->crypto.len;
        int rc = buf_reserve(&st->crypto, end - old);
        if (rc)
            return rc;
        memset(st->crypto.data + old, 0, end - old);
        st->crypto.len = end;
    }
    /* a retransmission overwrites with the same bytes; a liar only fools itself */
    memcpy(st->crypto.data + off, p, n);
    return range_add(st, (uint32_t)off, (uint32_t)end);
}

/* Is the first handshake message whole?  Then write the record. */
static void crypto_check(struct quic_state *st, struct proto_out *o)
{
    size_t have = st->nrng && st->rng[0].lo == 0 ? st->rng[0].hi : 0;
    if (have < 4)
        return;
    const uint8_t *m = st->crypto.data;
    if (m[0] != 1) { /* RFC 8446 §4: client_hello(1) comes first */
        proto_anomaly(o, "quic.not_client_hello");
        st->gave_up = 1;
        return;
    }
    size_t need = 4 + ((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3]);
    if (need > QUIC_CRYPTO_MAX) {
        proto_anomaly(o, "quic.crypto_too_big");
        st->gave_up = 1;
        return;
    }
    if (have >= need)
        emit(st, o, m, need);
}

/* Walk the frames of one decrypted Initial packet (RFC 9000 §19). */
static void frames(struct quic_state *st, struct proto_out *o, const uint8_t *p, size_t n)
{
    struct rdr r;
    rdr_init(&r, p, n);
    while (rdr_left(&r)) {
        uint64_t type = quic_varint(&r), len;
        switch (type) {
        case 0x00: /* PADDING */
        case 0x01: /* PING */
            break;
        case 0x02: /* ACK: largest, delay, range count, first range, ranges, [ECN] */
        case 0x03: {
            quic_varint(&r);
            quic_varint(&r);
            uint64_t count = quic_varint(&r);
            quic_varint(&r);
            for (uint64_t i = 0; i < count && rdr_ok(&r); i++) {
                quic_varint(&r); /* gap */
                quic_varint(&r); /* range length */
            }
            if (type == 0x03)
                for (int i = 0; i < 3; i++)
                    quic_varint(&r);
            break;
        }
        case 0x06: { /* CRYPTO: offset, length, data */
            uint64_t off = quic_varint(&r);
            len = quic_varint(&r);
            if (!rdr_ok(&r) || len > rdr_left(&r)) {
                proto_anomaly(o, "quic.bad_frame");
                return;
            }
            const uint8_t *data = rdr_bytes(&r, (size_t)len);
            if (st->gave_up)
                break;
            int rc = crypto_add(st, off, data, (size_t)len);
            if (rc) {
                proto_anomaly(o, rc == KS_ENOMEM               ? "quic.out_of_memory"
                                 : st->nrng == QUIC_MAX_RANGES ? "quic.crypto_too_fragmented"
                                                               : "quic.crypto_too_big");
                st->gave_up = 1;
            }
            break;
        }
        case 0x1c: /* CONNECTION_CLOSE: error code, frame type, reason */
            quic_varint(&r);
            quic_varint(&r);
            len = quic_varint(&r);
            if (len > rdr_left(&r)) {
                proto_anomaly(o, "quic.bad_frame");
                return;
            }
            rdr_skip(&r, (size_t)len);
            break;
        default: /* nothing else may appear in an Initial packet (§12.4) */
            proto_anomaly(o, "quic.unexpected_frame");
            return;
        }
        if (!rdr_ok(&r)) {
            proto_anomaly(o, "quic.bad_frame");
            return;
        }
    }
}

/* Derive client keys from (version, cid) unless we hold them, and try them on h. */
static int try_keys(struct quic_state *st, const uint8_t *pkt, const struct quic_long *h,
                    const uint8_t *cid, size_t cid_len, struct quic_plain *pl)
{
    struct quic_keys k;
    if (st->have_keys && st->key_version == h->version && st->key_cid_len == cid_len &&
        memcmp(st->key_cid, cid, cid_len) == 0)
        return KS_EEXIST; /* already tried */
    int rc = quic_initial_keys(h->version, cid, cid_len, 0, &k);
    if (rc)
        return rc;
    rc = quic_unprotect(pkt, h, &k, -1, pl, st->plain.data);
    if (rc)
        return rc;
    st->keys = k;
    st->have_keys = 1;
    st->key_version = h->version;
    memcpy(st->key_cid, cid, cid_len);
    st->key_cid_len = (uint8_t)cid_len;
    st->largest_pn = -1;
    return 0;
}

static void initial(struct quic_state *st, struct proto_out *o, const uint8_t *pkt,
                    const struct quic_long *h)
{
    if (!st->plain.cap)
        buf_init(&st->plain, QUIC_PLAIN_MAX);
    if (buf_reserve(&st->plain, h->len)) {
        proto_anomaly(o, "quic.out_of_memory");
        return;
    }
    struct quic_plain pl;
    int rc = KS_ECORRUPT;
    if (st->have_keys && st->key_version == h->version)
        rc = quic_unprotect(pkt, h, &st->keys, st->largest_pn, &pl, st->plain.data);
    if (rc == KS_ECORRUPT)
        rc = try_keys(st, pkt, h, st->dcid, st->dcid_len, &pl);
    if (rc == KS_ECORRUPT || rc == KS_EEXIST)
        rc = try_keys(st, pkt, h, h->dcid, h->dcid_len, &pl);
    if (rc) {
        if (++st->fails >= QUIC_MAX_FAILS)
            st->gave_up = 1; /* each try costs two key derivations: not forever */
        proto_anomaly(o, rc == KS_ETRUNC   ? "quic.truncated"
                         : rc == KS_ENOMEM ? "quic.out_of_memory"
                                           : "quic.decrypt_failed");
        return;
    }
    if ((int64_t)pl.pn > st->largest_pn)
        st->largest_pn = (int64_t)pl.pn;
    if (pl.first & 0x0c) /* RFC 9000 §17.2: reserved bits are zero after unprotection */
        proto_anomaly(o, "quic.reserved_bits");
    frames(st, o, st->plain.data, pl.len);
    if (!st->gave_up)
        crypto_check(st, o);
}

static void note_header(struct quic_state *st, const struct quic_long *h)
{
    st->version = h->version;
    st->dcid_len = (uint8_t)(h->dcid_len > QUIC_MAX_CID ? QUIC_MAX_CID : h->dcid_len);
    memcpy(st->dcid, h->dcid, st->dcid_len);
    st->scid_len = (uint8_t)(h->scid_len > QUIC_MAX_CID ? QUIC_MAX_CID : h->scid_len);
    memcpy(st->scid, h->scid, st->scid_len);
    st->have_hdr = 1;
}

static int quic_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                     const uint8_t *d, size_t n)
{
    struct quic_state *st = vst;
    (void)c;
    if (st->done)
        return 1;
    if (dir != PROTO_DIR_CLIENT)
        return 0;
    size_t off = 0;
    while (off < n && !st->done) {
        if (!(d[off] & 0x80))
            break; /* a short header (1-RTT) packet, or padding after the last packet */
        struct quic_long h;
        int rc = quic_parse_long(d + off, n - off, &h);
        if (rc < 0) {
            proto_anomaly(o, rc == KS_ETRUNC ? "quic.truncated" : "quic.bad_header");
            break;
        }
        if (rc == 1 && h.version == 0) { /* Version Negotiation is the server's (§17.2.1) */
            proto_anomaly(o, "quic.version_negotiation");
            break;
        }
        if (rc == 1) { /* another version (gQUIC, drafts): keep what is version-independent */
            if (!st->have_hdr)
                note_header(st, &h);
            proto_anomaly(o, "quic.unsupported_version");
            st->gave_up = 1;
            break;
        }
        if (h.type == QUIC_PT_INITIAL) {
            if (!st->have_hdr)
                note_header(st, &h);
            initial(st, o, d + off, &h);
        }
        off += h.len;
    }
    if (st->gave_up && !st->done)
        emit(st, o, NULL, 0); /* nothing more to learn: write what we have */
    return st->done;
}

static void quic_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    struct quic_state *st = vst;
    (void)c;
    if (!st->done && st->have_hdr)
        emit(st, o, NULL, 0);
}

static void quic_release(void *vst)
{
    release_bufs(vst);
}

static int quic_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    struct quic_long h;
    if (dir == PROTO_DIR_CLIENT && n >= QUIC_MIN_INITIAL_DGRAM && quic_parse_long(d, n, &h) == 0 &&
        h.type == QUIC_PT_INITIAL)
        return PROTO_CONTENT;
    if (c->srv_port == 443)
        return PROTO_PORT;
    return PROTO_NO;
}

const struct proto_parser proto_quic = {
    .name = "quic",
    .l4 = 17,
    .probe = quic_probe,
    .state_size = sizeof(struct quic_state),
    .data = quic_data,
    .gap = NULL,
    .end = quic_end,
    .release = quic_release,
};
