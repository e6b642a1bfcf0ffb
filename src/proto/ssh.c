/*
 * ssh.c — SSH version exchange and the first key exchange (HASSH).
 *
 * RFC 4253 §4.2: each side first sends one identification line (at most 255
 * bytes with its CR LF); the server may send other lines before it, none of them
 * starting with "SSH-":
 *
 *   SSH-protoversion-softwareversion [SP comments] CR LF     "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3"
 *
 * "1.99" means a server that speaks 1.5 and 2.0 (RFC 4253 §5.1).  Then, for
 * 2.0, the binary packet protocol (§6), unencrypted until SSH_MSG_NEWKEYS:
 *
 *   uint32  packet_length        bytes that follow, without the MAC
 *   byte    padding_length
 *   byte[]  payload              packet_length - padding_length - 1 bytes
 *   byte[]  random padding
 *
 * and the first payload of each side is SSH_MSG_KEXINIT (§7.1):
 *
 *   byte      20                 SSH_MSG_KEXINIT
 *   byte[16]  cookie
 *   name-list kex_algorithms, server_host_key_algorithms,
 *             encryption_algorithms_client_to_server, …_server_to_client,
 *             mac_algorithms_client_to_server, …_server_to_client,
 *             compression_algorithms_client_to_server, …_server_to_client,
 *             languages_client_to_server, languages_server_to_client
 *   boolean   first_kex_packet_follows
 *   uint32    0 (reserved)
 *
 * A name-list (RFC 4251 §5) is a uint32 length and comma-separated ASCII names.
 * HASSH (github.com/salesforce/hassh) is the MD5 of
 *   client: "kex;enc_c2s;mac_c2s;cmp_c2s"      server: "kex;enc_s2c;mac_s2c;cmp_s2c"
 * over the lists exactly as sent.  The parser stops after both KEXINITs.
 */
#include "proto/ssh.h"

#include "proto/pdu.h"

#include "core/rdr.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define SSH_BANNER_MAX 255      /* RFC 4253 §4.2, CR LF included */
#define SSH_LINE_MAX 1024       /* a line before the banner */
#define SSH_PRE_LINES_MAX 200   /* lines before the banner */
#define SSH_PKT_CAP (64 * 1024) /* a packet kept whole (KEXINITs are ~1-2 KiB) */
#define SSH_PKTS_BEFORE_KEX 4   /* packets tolerated before KEXINIT */
#define SSH_NAMES_MAX 64        /* names of kex_algorithms written */
#define SSH_MSG_KEXINIT 20

enum { SSH_BANNER = 0, SSH_PACKETS, SSH_DONE };

struct ssh_side {
    struct pdu pdu;
    int phase;
    int lines, pkts;
    char banner[SSH_BANNER_MAX + 1];
    size_t banner_len;
    int has_banner, has_kex;
    uint8_t hassh[16];
    struct buf hassh_str; /* "kex;enc;mac;cmp" */
    struct buf kex;       /* kex_algorithms as sent */
};

struct ssh_state {
    struct ssh_side side[2];
    int inited, emitted;
};

struct ssh_call {
    struct ssh_state *st;
    struct proto_out *o;
    int dir;
};

static void ssh_state_init(struct ssh_state *st)
{
    if (st->inited)
        return;
    for (int i = 0; i < 2; i++) {
        pdu_init(&st->side[i].pdu, SSH_PKT_CAP);
        buf_init(&st->side[i].hassh_str, SSH_PKT_CAP);
        buf_init(&st->side[i].kex, SSH_PKT_CAP);
    }
    st->inited = 1;
}

static int ssh_probe(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    if (n >= 4 && memcmp(d, "SSH-", 4) == 0)
        return PROTO_CONTENT;
    if (c->l4 == 6 && (c->srv_port == 22 || c->cli_port == 22))
        return PROTO_PORT;
    return PROTO_NO;
}

/* The protocol version of a banner ("2.0", "1.99", "1.5"), as a view into it. */
static size_t banner_proto(const struct ssh_side *s, const char **v)
{
    *v = s->banner + 4;
    if (s->banner_len < 4)
        return 0;
    const char *e = memchr(*v, '-', s->banner_len - 4);
    return e ? (size_t)(e - *v) : s->banner_len - 4;
}

static int speaks_v2(const struct ssh_side *s)
{
    const char *v;
    size_t n = banner_proto(s, &v);
    return (n == 3 && memcmp(v, "2.0", 3) == 0) || (n == 4 && memcmp(v, "1.99", 4) == 0);
}

static void emit_side(struct proto_out *o, const struct ssh_side *s, int dir)
{
    const int cli = dir == PROTO_DIR_CLIENT;
    if (s->has_banner)
        proto_str(o, cli ? "ssh.client.software" : "ssh.server.software", s->banner, s->banner_len);
    if (!s->has_kex)
        return;
    proto_hex(o, cli ? "ssh.client.hassh" : "ssh.server.hassh", s->hassh, sizeof s->hassh);
    proto_str(o, cli ? "ssh.client.hassh_string" : "ssh.server.hassh_string",
              (const char *)s->hassh_str.data, s->hassh_str.len);
    const char *name = cli ? "ssh.client.kex_algorithms" : "ssh.server.kex_algorithms";
    if (!s->kex.len)
        return;
    const char *p = (const char *)s->kex.data, *end = p + s->kex.len;
    for (int k = 0; p < end && k < SSH_NAMES_MAX; k++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        proto_str(o, name, p, (size_t)(stop - p));
        p = stop + 1;
    }
}

static void ssh_emit(struct ssh_state *st, struct proto_out *o)
{
    if (st->emitted)
        return;
    st->emitted = 1;
    const struct ssh_side *c = &st->side[0], *s = &st->side[1];
    if (!c->has_banner && !s->has_banner)
        return;
    proto_begin(o, "ssh");
    /* The version both speak: 2.0 when both can (1.99 counts), else the 1.x one. */
    const char *v = NULL;
    size_t vn = 0;
    if ((!c->has_banner || speaks_v2(c)) && (!s->has_banner || speaks_v2(s))) {
        v = "2.0";
        vn = 3;
    } else {
        vn = banner_proto(c->has_banner && !speaks_v2(c) ? c : s, &v);
    }
    proto_str(o, "ssh.version", v, vn);
    emit_side(o, c, PROTO_DIR_CLIENT);
    emit_side(o, s, PROTO_DIR_SERVER);
    proto_end(o);
}

/* ---------------------------------------------------------------- framing */

static size_t ssh_len(void *ctx, const uint8_t *p, size_t n)
{
    struct ssh_call *k = ctx;
    const struct ssh_side *s = &k->st->side[k->dir];
    if (s->phase == SSH_BANNER) {
        size_t lim = n < SSH_LINE_MAX ? n : SSH_LINE_MAX;
        const uint8_t *nl = memchr(p, '\n', lim);
        if (nl)
            return (size_t)(nl - p) + 1;
        return n >= SSH_LINE_MAX ? SSH_LINE_MAX : 0; /* an overlong line, cut */
    }
    if (n < 4)
        return 0;
    uint32_t plen = ld_u32be(p);
    if (plen < 5 || plen > 256 * 1024) /* RFC 4253 §6.1: 35000 is what all must take */
        return PDU_BAD;
    return (size_t)plen + 4;
}

static int on_line(struct ssh_call *k, const uint8_t *p, size_t n)
{
    struct ssh_side *s = &k->st->side[k->dir];
    if (n < 4 || memcmp(p, "SSH-", 4) != 0) {
        if (k->dir == PROTO_DIR_CLIENT)
            proto_anomaly(k->o, "ssh.client_line_before_banner");
        if (++s->lines > SSH_PRE_LINES_MAX) {
            proto_anomaly(k->o, "ssh.no_banner");
            s->phase = SSH_DONE;
        }
        return 0;
    }
    size_t len = n;
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    if (n > SSH_BANNER_MAX) {
        proto_anomaly(k->o, "ssh.banner_too_long");
        len = len < SSH_BANNER_MAX ? len : SSH_BANNER_MAX;
    }
    memcpy(s->banner, p, len);
    s->banner_len = len;
    s->has_banner = 1;
    s->phase = speaks_v2(s) ? SSH_PACKETS : SSH_DONE; /* SSH-1 packets carry no KEXINIT */
    return 0;
}

/* The ten name-lists of a KEXINIT payload (after the message byte and cookie). */
static int on_kexinit(struct ssh_call *k, struct rdr *r)
{
    struct ssh_side *s = &k->st->side[k->dir];
    const uint8_t *list[10];
    uint32_t len[10];
    rdr_skip(r, 16); /* cookie */
    for (int i = 0; i < 10; i++) {
        len[i] = rdr_u32be(r);
        list[i] = rdr_bytes(r, len[i]);
    }
    if (!rdr_ok(r)) {
        proto_anomaly(k->o, "ssh.kexinit_truncated");
        return -1;
    }
    /* client: lists 0, 2, 4, 6 (c2s); server: 0, 3, 5, 7 (s2c) */
    const int srv = k->dir == PROTO_DIR_SERVER;
    const int idx[4] = {0, 2 + srv, 4 + srv, 6 + srv};
    buf_reset(&s->hassh_str);
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            rc |= buf_putc(&s->hassh_str, ';');
        rc |= buf_append(&s->hassh_str, list[idx[i]], len[idx[i]]);
    }
    buf_reset(&s->kex);
    rc |= buf_append(&s->kex, list[0], len[0]);
    unsigned int mdlen = 0;
    if (rc || !EVP_Digest(s->hassh_str.data ? s->hassh_str.data : (const uint8_t *)"",
                          s->hassh_str.len, s->hassh, &mdlen, EVP_md5(), NULL)) {
        proto_anomaly(k->o, "ssh.hassh_failed");
        return -1;
    }
    s->has_kex = 1;
    return 0;
}

static int on_packet(struct ssh_call *k, const uint8_t *p, size_t n)
{
    struct ssh_side *s = &k->st->side[k->dir];
    struct rdr r;
    rdr_init(&r, p, n);
    uint32_t plen = rdr_u32be(&r);
    uint8_t pad = rdr_u8(&r);
    if (!rdr_ok(&r) || (size_t)pad + 1 > plen) {
        proto_anomaly(k->o, "ssh.bad_padding");
        s->phase = SSH_DONE;
        return 0;
    }
    size_t paylen = plen - pad - 1;
    if (paylen > rdr_left(&r))
        paylen = rdr_left(&r); /* cut at the cap: the lists may still be there */
    struct rdr pl;
    rdr_init(&pl, rdr_bytes(&r, paylen), paylen);
    uint8_t msg = rdr_u8(&pl);
    if (rdr_ok(&pl) && msg == SSH_MSG_KEXINIT) {
        on_kexinit(k, &pl);
        s->phase = SSH_DONE;
    } else if (++s->pkts >= SSH_PKTS_BEFORE_KEX) {
        proto_anomaly(k->o, "ssh.no_kexinit");
        s->phase = SSH_DONE;
    }
    return 0;
}

static int ssh_frame(void *ctx, const uint8_t *p, size_t n, size_t total)
{
    struct ssh_call *k = ctx;
    struct ssh_side *s = &k->st->side[k->dir];
    (void)total;
    int rc = 0;
    if (s->phase == SSH_BANNER)
        rc = on_line(k, p, n);
    else if (s->phase == SSH_PACKETS)
        rc = on_packet(k, p, n);
    return rc ? rc : s->phase == SSH_DONE; /* stop feeding this side once done */
}

static int ssh_data(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir,
                    const uint8_t *d, size_t n)
{
    struct ssh_state *st = vst;
    (void)c;
    ssh_state_init(st);
    if (dir != 0 && dir != 1)
        return 0;
    struct ssh_side *s = &st->side[dir];
    if (s->phase != SSH_DONE) {
        struct ssh_call k = {st, o, dir};
        int rc = pdu_feed(&s->pdu, d, n, ssh_len, ssh_frame, &k);
        if (rc < 0) {
            proto_anomaly(o, "ssh.bad_packet_length");
            s->phase = SSH_DONE;
        }
    }
    struct ssh_side *cs = &st->side[0], *ss = &st->side[1];
    if (cs->has_banner && ss->has_banner && !(speaks_v2(cs) && speaks_v2(ss)))
        cs->phase = ss->phase = SSH_DONE; /* SSH-1 on one side: no KEXINIT will come */
    for (int i = 0; i < 2; i++)
        if (st->side[i].phase == SSH_DONE)
            pdu_release(&st->side[i].pdu);
    if (st->side[0].phase == SSH_DONE && st->side[1].phase == SSH_DONE) {
        ssh_emit(st, o);
        return 1;
    }
    return 0;
}

static void ssh_gap(void *vst, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n)
{
    struct ssh_state *st = vst;
    (void)c;
    (void)n;
    ssh_state_init(st);
    if (dir != 0 && dir != 1)
        return;
    if (st->side[dir].phase != SSH_DONE)
        proto_anomaly(o, "ssh.gap");
    st->side[dir].phase = SSH_DONE; /* out of step: the rest of this side is unreadable */
    pdu_release(&st->side[dir].pdu);
}

static void ssh_end(void *vst, struct proto_out *o, const struct proto_ctx *c)
{
    (void)c;
    ssh_emit(vst, o);
}

static void ssh_release(void *vst)
{
    struct ssh_state *st = vst;
    if (!st->inited)
        return;
    for (int i = 0; i < 2; i++) {
        pdu_release(&st->side[i].pdu);
        buf_release(&st->side[i].hassh_str);
        buf_release(&st->side[i].kex);
    }
}

const struct proto_parser proto_ssh = {
    .name = "ssh",
    .l4 = 6,
    .probe = ssh_probe,
    .state_size = sizeof(struct ssh_state),
    .data = ssh_data,
    .gap = ssh_gap,
    .end = ssh_end,
    .release = ssh_release,
};
