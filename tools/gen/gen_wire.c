/*
 * gen_wire.c — packet descriptions to frames, frames to a capture file.
 *
 * Frame layouts written here:
 *
 *   Ethernet (LINKTYPE_ETHERNET 1, IEEE 802.3 + 802.1Q/802.1ad tags)
 *     dst MAC(6) src MAC(6) [88a8|8100 TCI(2)] [8100 TCI(2)] ethertype(2)
 *   Linux cooked v1 (LINKTYPE_LINUX_SLL 113, tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html)
 *     packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)            = 16 bytes
 *   Linux cooked v2 (LINKTYPE_LINUX_SLL2 276)
 *     protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8) = 20
 *   raw IP (LINKTYPE_RAW 101): nothing
 *   BSD loopback (LINKTYPE_NULL 0): address family, 4 bytes in the file's (little-endian)
 *     byte order: 2 = IPv4, 30 = IPv6 (Darwin; 24 and 28 are the other BSDs' values)
 *
 *   IPv4 (RFC 791) 20-byte header, no options; IPv6 (RFC 8200) 40 bytes, plus an
 *   8-byte Fragment header (RFC 8200 §4.5) on fragments.
 *   TCP (RFC 9293) 20 bytes + options (MSS, SACK-permitted, window scale,
 *   timestamps: RFC 7323); UDP (RFC 768); ICMP echo (RFC 792) / ICMPv6 echo
 *   (RFC 4443 §4.1).  Every checksum is computed (RFC 1071), with the IPv4 or
 *   IPv6 pseudo-header for TCP, UDP and ICMPv6.
 *
 * Capture files (all written little-endian, whatever the host):
 *   pcap: 24-byte global header (magic a1b2c3d4 µs / a1b23c4d ns), 16-byte records.
 *   pcapng (draft-ietf-opsawg-pcapng): SHB, one IDB with if_tsresol = 9 (ns),
 *   then one Enhanced Packet Block per frame.
 */
#include "gen.h"

#include "core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TLS_REC GEN_TLS_REC

static inline void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------------ checksums */

/*
 * The one's-complement sum is independent of byte order (RFC 1071 §2(B)): add
 * native-order words, fold, and store the result in native order.  Every
 * chunk passed in must start at an even offset of the checksummed data.
 */
uint64_t gen_wire_sum(uint64_t acc, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        acc += (v & 0xffffffffu) + (v >> 32);
        p += 8;
        n -= 8;
    }
    if (n >= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        acc += v;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        acc += v;
        p += 2;
        n -= 2;
    }
    if (n) {
        uint8_t last[2] = {p[0], 0};
        uint16_t v;
        memcpy(&v, last, 2);
        acc += v;
    }
    return acc;
}

uint16_t gen_wire_fold(uint64_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

static uint64_t pseudo_sum(const struct sess *s, int dir, uint8_t proto, uint32_t len)
{
    const uint8_t *src = dir ? s->saddr : s->caddr;
    const uint8_t *dst = dir ? s->caddr : s->saddr;
    uint8_t ph[40];
    if (s->ipver == 4) {
        memcpy(ph, src, 4);
        memcpy(ph + 4, dst, 4);
        ph[8] = 0;
        ph[9] = proto;
        put16(ph + 10, len);
        return gen_wire_sum(0, ph, 12);
    }
    /* RFC 8200 §8.1: src, dst, upper-layer length (32 bits), 3 zero bytes, next header. */
    uint64_t acc = gen_wire_sum(0, src, 16);
    acc = gen_wire_sum(acc, dst, 16);
    put32(ph, len);
    ph[4] = ph[5] = ph[6] = 0;
    ph[7] = proto;
    return gen_wire_sum(acc, ph, 8);
}

/* ------------------------------------------------------------------ message bytes */

static void pool_copy(const uint8_t *pool, size_t pool_len, uint32_t seed, uint64_t off, size_t n,
                      uint8_t *dst)
{
    /* The pool is followed by GEN_POOL_SLACK bytes that repeat its start. */
    size_t p = (size_t)((seed + off) % pool_len);
    while (n) {
        size_t k = n < GEN_POOL_SLACK ? n : GEN_POOL_SLACK;
        memcpy(dst, pool + p, k);
        dst += k;
        n -= k;
        p = (p + k) % pool_len;
    }
}

void gen_wire_msg_bytes(const struct msg *m, const struct world *w, uint32_t off, uint32_t n,
                        uint8_t *dst)
{
    if (off < m->lit_len) {
        uint32_t k = m->lit_len - off < n ? m->lit_len - off : n;
        memcpy(dst, m->lit + off, k);
        dst += k;
        off += k;
        n -= k;
    }
    if (!n)
        return;
    uint32_t bo = off - m->lit_len;
    switch (m->body_type) {
    case BODY_TEXT:
        pool_copy((const uint8_t *)w->text, w->text_len, m->body_seed, bo, n, dst);
        return;
    case BODY_RAW:
        pool_copy(w->pool, w->pool_len, m->body_seed, bo, n, dst);
        return;
    case BODY_BLOB:
        memcpy(dst, m->blob + bo, n);
        return;
    default:
        break;
    }
    /* BODY_TLS: application_data records (RFC 8446 §5.2) cut from the body. */
    while (n) {
        uint32_t rec_start = bo / TLS_REC * TLS_REC;
        uint32_t within = bo - rec_start;
        uint32_t rec_total = m->body_len - rec_start < TLS_REC ? m->body_len - rec_start : TLS_REC;
        uint32_t k;
        if (within < 5) {
            uint8_t hdr[5] = {0x17, 0x03, 0x03, 0, 0};
            put16(hdr + 3, rec_total - 5);
            k = 5 - within < n ? 5 - within : n;
            memcpy(dst, hdr + within, k);
        } else {
            k = rec_total - within < n ? rec_total - within : n;
            pool_copy(w->pool, w->pool_len, m->body_seed, bo, k, dst);
        }
        dst += k;
        bo += k;
        n -= k;
    }
}

/* ------------------------------------------------------------------ layout */

uint32_t gen_wire_linktype(int link)
{
    switch (link) {
    case LINK_SLL:
        return 113;
    case LINK_SLL2:
        return 276;
    case LINK_RAW:
        return 101;
    case LINK_NULL:
        return 0;
    default:
        return 1;
    }
}

static uint32_t link_len(const struct sess *s, const struct gen_cfg *c)
{
    switch (c->link) {
    case LINK_SLL:
        return 16;
    case LINK_SLL2:
        return 20;
    case LINK_RAW:
        return 0;
    case LINK_NULL:
        return 4;
    default:
        return 14 + 4u * s->nvlan;
    }
}

/*
 * TCP options for d (RFC 9293 §3.2, RFC 7323, RFC 2018), laid out the way the
 * sender's OS does it, so fingerprints (p0f, JA4T) look familiar.  Writes at
 * most 40 bytes into o and returns the length (a multiple of 4).
 */
static uint32_t opt_mss(uint8_t *o, uint32_t n, uint16_t mss)
{
    o[n] = 2;
    o[n + 1] = 4;
    put16(o + n + 2, mss);
    return n + 4;
}
static uint32_t opt_ws(uint8_t *o, uint32_t n, uint8_t shift)
{
    o[n] = 3;
    o[n + 1] = 3;
    o[n + 2] = shift;
    return n + 3;
}
static uint32_t opt_sackok(uint8_t *o, uint32_t n)
{
    o[n] = 4;
    o[n + 1] = 2;
    return n + 2;
}
static uint32_t opt_ts(uint8_t *o, uint32_t n, uint32_t tsval, uint32_t tsecr)
{
    o[n] = 8;
    o[n + 1] = 10;
    put32(o + n + 2, tsval);
    put32(o + n + 6, tsecr);
    return n + 10;
}
static uint32_t opt_nop(uint8_t *o, uint32_t n, uint32_t count)
{
    while (count--)
        o[n++] = 1;
    return n;
}

static uint32_t tcp_opts(const struct sess *s, const struct pdesc *d, uint8_t *o, uint32_t tsval,
                         uint32_t tsecr)
{
    uint32_t n = 0;
    uint16_t mss = s->ipver == 4 ? 1460 : 1440;
    switch (d->opt) {
    case OPT_SCAN:
        n = opt_mss(o, n, 1460); /* nmap -sS: MSS only */
        break;
    case OPT_SYN:
        if (s->cli->os == OS_WINDOWS) {
            n = opt_mss(o, n, mss);
            n = opt_nop(o, n, 1);
            n = opt_ws(o, n, 8);
            n = opt_nop(o, n, 2);
            n = opt_sackok(o, n);
        } else if (s->cli->os == OS_MAC) {
            n = opt_mss(o, n, mss);
            n = opt_nop(o, n, 1);
            n = opt_ws(o, n, 6);
            n = opt_nop(o, n, 2);
            n = opt_ts(o, n, tsval, tsecr);
            n = opt_sackok(o, n);
            o[n++] = 0; /* end of option list, padding */
            o[n++] = 0;
        } else {
            n = opt_mss(o, n, mss);
            n = opt_sackok(o, n);
            n = opt_ts(o, n, tsval, tsecr);
            n = opt_nop(o, n, 1);
            n = opt_ws(o, n, 7);
        }
        break;
    case OPT_SYNACK:
        mss = s->srv_mss;
        n = opt_mss(o, n, mss);
        if (s->srv->os == OS_WINDOWS) {
            n = opt_nop(o, n, 1);
            n = opt_ws(o, n, 8);
            n = opt_sackok(o, n);
            n = opt_nop(o, n, 2);
        } else if (s->ts_ok) {
            n = opt_sackok(o, n);
            n = opt_ts(o, n, tsval, tsecr);
            n = opt_nop(o, n, 1);
            n = opt_ws(o, n, 7);
        } else {
            n = opt_nop(o, n, 2);
            n = opt_sackok(o, n);
            n = opt_nop(o, n, 1);
            n = opt_ws(o, n, 7);
        }
        break;
    case OPT_TS:
        n = opt_nop(o, n, 2);
        n = opt_ts(o, n, tsval, tsecr);
        break;
    default:
        break;
    }
    return n;
}

static uint32_t l4_hdr_len(const struct sess *s, const struct pdesc *d)
{
    if (s->proto == 6) {
        uint8_t o[40];
        return 20 + tcp_opts(s, d, o, 0, 0);
    }
    return 8; /* UDP, ICMP echo, ICMPv6 echo */
}

uint32_t gen_wire_frame_len(const struct sess *s, const struct gen_cfg *c, const struct pdesc *d)
{
    uint32_t l = link_len(s, c) + (s->ipver == 4 ? 20 : 40);
    if (d->frag)
        return l + (s->ipver == 6 ? 8 : 0) + d->frag_len;
    return l + l4_hdr_len(s, d) + d->len;
}

uint32_t gen_wire_payload_len(const struct sess *s, const struct pdesc *d)
{
    (void)s;
    if (d->frag)
        return d->frag_off == 0 ? d->frag_len - 8 : d->frag_len;
    return d->len;
}

uint32_t gen_wire_record_len(const struct gen_cfg *c, uint32_t caplen)
{
    if (c->format == FMT_PCAPNG)
        return 32 + ((caplen + 3) & ~3u);
    return 16 + caplen;
}

uint32_t gen_wire_caplen(const struct sess *s, const struct gen_cfg *c, const struct pdesc *d,
                         uint32_t len)
{
    if (!c->snap || !s->snap || !d->len || len <= c->snap || d->frag)
        return len;
    const struct msg *m = &s->m[d->dir];
    if (m->body_type == BODY_BLOB)
        return len;
    /* Headers and the message's literal bytes stay; generated body bytes may go. */
    uint32_t keep = len - d->len;
    if (d->off < m->lit_len)
        keep += m->lit_len - d->off < d->len ? m->lit_len - d->off : d->len;
    if (keep < c->snap)
        keep = c->snap;
    return keep < len ? keep : len;
}

/* ------------------------------------------------------------------ frames */

static const uint8_t *side_mac(const struct sess *s, const struct world *w, int side)
{
    /*
     * side 0 = client, 1 = server.  The capture sits on the client's LAN, so a
     * server on another subnet (or the Internet) appears with the router's MAC.
     */
    if (side == 0)
        return s->cli->mac;
    if (s->srv->subnet && s->srv->subnet == s->cli->subnet)
        return s->srv->mac;
    return w->router.mac;
}

static uint32_t build_link(uint8_t *p, const struct sess *s, const struct world *w,
                           const struct gen_cfg *c, int dir)
{
    uint16_t et = s->ipver == 4 ? 0x0800 : 0x86dd;
    const uint8_t *src = side_mac(s, w, dir), *dst = side_mac(s, w, !dir);
    switch (c->link) {
    case LINK_SLL:
        /* Seen from the client: 4 = sent by us, 0 = addressed to us. */
        put16(p, dir == 0 ? 4 : 0);
        put16(p + 2, 1); /* ARPHRD_ETHER */
        put16(p + 4, 6);
        memcpy(p + 6, src, 6);
        p[12] = p[13] = 0;
        put16(p + 14, et);
        return 16;
    case LINK_SLL2:
        put16(p, et);
        put16(p + 2, 0);
        put32(p + 4, 2); /* ifindex of eth0 on a typical host */
        put16(p + 8, 1);
        p[10] = dir == 0 ? 4 : 0;
        p[11] = 6;
        memcpy(p + 12, src, 6);
        p[18] = p[19] = 0;
        return 20;
    case LINK_RAW:
        return 0;
    case LINK_NULL: {
        uint32_t af = s->ipver == 4 ? 2 : 30;
        p[0] = (uint8_t)af;
        p[1] = (uint8_t)(af >> 8);
        p[2] = (uint8_t)(af >> 16);
        p[3] = (uint8_t)(af >> 24);
        return 4;
    }
    default:
        break;
    }
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    uint32_t n = 12;
    for (uint8_t i = 0; i < s->nvlan; i++) {
        /* 802.1ad S-tag outside a C-tag for QinQ; PCP 0, DEI 0. */
        put16(p + n, s->nvlan == 2 && i == 0 ? 0x88a8 : 0x8100);
        put16(p + n + 2, s->vlan[i] & 0x0fff);
        n += 4;
    }
    put16(p + n, et);
    return n + 2;
}

static uint32_t build_ip(uint8_t *p, struct sess *s, const struct pdesc *d, uint8_t proto,
                         uint32_t payload)
{
    int dir = d->dir;
    const uint8_t *src = dir ? s->saddr : s->caddr;
    const uint8_t *dst = dir ? s->caddr : s->saddr;
    if (s->ipver == 4) {
        uint16_t id = s->ipid[dir];
        uint16_t frag = 0;
        if (d->frag) {
            frag = (uint16_t)((d->frag_off >> 3) | (d->frag_more ? 0x2000 : 0));
            if (!d->frag_more)
                s->ipid[dir]++;
        } else {
            s->ipid[dir]++;
            if (proto == 6)
                frag = 0x4000; /* DF: TCP does path MTU discovery */
        }
        p[0] = 0x45;
        p[1] = 0;
        put16(p + 2, 20 + payload);
        put16(p + 4, id);
        put16(p + 6, frag);
        p[8] = s->ttl[dir];
        p[9] = proto;
        p[10] = p[11] = 0;
        memcpy(p + 12, src, 4);
        memcpy(p + 16, dst, 4);
        uint16_t ck = gen_wire_fold(gen_wire_sum(0, p, 20));
        memcpy(p + 10, &ck, 2);
        return 20;
    }
    put32(p, 0x60000000u | (s->flowlabel[dir] & 0xfffff));
    uint32_t ext = d->frag ? 8 : 0;
    put16(p + 4, payload + ext);
    p[6] = d->frag ? 44 : proto;
    p[7] = s->ttl[dir];
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    if (!d->frag)
        return 40;
    uint8_t *f = p + 40;
    f[0] = proto;
    f[1] = 0;
    put16(f + 2, (d->frag_off & ~7u) | (d->frag_more ? 1 : 0));
    /* Identification: one per datagram; derive it from the per-direction counter. */
    put32(f + 4, 0x5a000000u | ((uint32_t)s->flowlabel[dir] << 4) | (s->ipid[dir] & 0xf));
    if (!d->frag_more)
        s->ipid[dir]++;
    return 48;
}

/* Scratch for a whole UDP datagram that leaves in fragments. */
static uint8_t frag_scratch[65536];

uint32_t gen_wire_build(uint8_t *dst, struct sess *s, const struct world *w,
                        const struct gen_cfg *c, const struct pdesc *d)
{
    int dir = d->dir;
    uint32_t n = build_link(dst, s, w, c, dir);
    uint8_t *ip = dst + n;
    uint16_t sp = dir ? s->sport : s->cport, dp = dir ? s->cport : s->sport;
    const struct msg *m = &s->m[dir];

    if (d->frag) {
        /* Build the whole datagram (UDP header + payload), then carry one slice. */
        uint32_t dl = 8 + m->lit_len + m->body_len;
        uint8_t *u = frag_scratch;
        put16(u, sp);
        put16(u + 2, dp);
        put16(u + 4, dl);
        u[6] = u[7] = 0;
        gen_wire_msg_bytes(m, w, 0, dl - 8, u + 8);
        uint16_t ck = gen_wire_fold(gen_wire_sum(pseudo_sum(s, dir, 17, dl), u, dl));
        if (ck == 0)
            ck = 0xffff;
        memcpy(u + 6, &ck, 2);
        uint32_t ih = build_ip(ip, s, d, 17, d->frag_len);
        memcpy(ip + ih, u + d->frag_off, d->frag_len);
        return n + ih + d->frag_len;
    }

    if (s->proto == 6) {
        uint32_t tsval = s->tsbase[dir] + (uint32_t)(d->ts / 1000000);
        uint32_t tsecr = d->opt == OPT_SYN ? 0 : s->last_tsval[!dir];
        uint8_t o[40];
        uint32_t ol = tcp_opts(s, d, o, tsval, tsecr);
        if (d->opt == OPT_SYN || d->opt == OPT_SYNACK || d->opt == OPT_TS)
            s->last_tsval[dir] = tsval;
        uint32_t tl = 20 + ol + d->len;
        uint32_t ih = build_ip(ip, s, d, 6, tl);
        uint8_t *t = ip + ih;
        put16(t, sp);
        put16(t + 2, dp);
        put32(t + 4, d->seq);
        put32(t + 8, d->ack);
        t[12] = (uint8_t)(((20 + ol) / 4) << 4);
        t[13] = d->flags;
        put16(t + 14, d->win);
        t[16] = t[17] = t[18] = t[19] = 0;
        memcpy(t + 20, o, ol);
        gen_wire_msg_bytes(m, w, d->off, d->len, t + 20 + ol);
        uint16_t ck = gen_wire_fold(gen_wire_sum(pseudo_sum(s, dir, 6, tl), t, tl));
        memcpy(t + 16, &ck, 2);
        return n + ih + tl;
    }

    uint32_t ul = 8 + d->len;
    uint32_t ih = build_ip(ip, s, d, s->proto, ul);
    uint8_t *u = ip + ih;
    if (s->proto == 17) {
        put16(u, sp);
        put16(u + 2, dp);
        put16(u + 4, ul);
        u[6] = u[7] = 0;
        gen_wire_msg_bytes(m, w, d->off, d->len, u + 8);
        uint16_t ck = gen_wire_fold(gen_wire_sum(pseudo_sum(s, dir, 17, ul), u, ul));
        if (ck == 0)
            ck = 0xffff; /* RFC 768: a computed zero is sent as all ones */
        memcpy(u + 6, &ck, 2);
    } else {
        /* Echo request / reply: ICMP 8 / 0 (RFC 792), ICMPv6 128 / 129 (RFC 4443). */
        if (s->ipver == 4)
            u[0] = dir ? 0 : 8;
        else
            u[0] = dir ? 129 : 128;
        u[1] = 0;
        u[2] = u[3] = 0;
        put16(u + 4, s->cport);
        put16(u + 6, d->seq);
        gen_wire_msg_bytes(m, w, d->off, d->len, u + 8);
        uint64_t acc = s->ipver == 6 ? pseudo_sum(s, dir, 58, ul) : 0;
        uint16_t ck = gen_wire_fold(gen_wire_sum(acc, u, ul));
        memcpy(u + 2, &ck, 2);
    }
    return n + ih + ul;
}

/* ------------------------------------------------------------------ output file */

int gen_out_open(struct out *o, const char *path, size_t cap)
{
    memset(o, 0, sizeof(*o));
    if (strcmp(path, "-") == 0) {
        o->fd = 1;
    } else {
        o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o->fd < 0)
            return KS_EIO;
    }
    o->cap = cap;
    o->buf = malloc(cap);
    if (!o->buf) {
        if (o->fd > 2)
            close(o->fd);
        return KS_ENOMEM;
    }
    return 0;
}

static int out_flush(struct out *o)
{
    size_t done = 0;
    while (done < o->len) {
        ssize_t k = write(o->fd, o->buf + done, o->len - done);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            o->err = errno;
            return KS_EIO;
        }
        done += (size_t)k;
    }
    o->len = 0;
    return 0;
}

static int out_room(struct out *o, size_t n)
{
    if (o->err)
        return KS_EIO;
    if (o->cap - o->len < n)
        return out_flush(o);
    return 0;
}

static void le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v);
    le16(p + 2, v >> 16);
}

uint32_t gen_out_header_len(const struct gen_cfg *c)
{
    return c->format == FMT_PCAPNG ? 48 + 32 : 24;
}

int gen_out_header(struct out *o, const struct gen_cfg *c)
{
    int rc = out_room(o, 128);
    if (rc)
        return rc;
    uint8_t *p = o->buf + o->len;
    uint32_t lt = gen_wire_linktype(c->link);
    if (c->format != FMT_PCAPNG) {
        le32(p, c->format == FMT_PCAP_NS ? 0xa1b23c4d : 0xa1b2c3d4);
        le16(p + 4, 2);
        le16(p + 6, 4);
        le32(p + 8, 0);
        le32(p + 12, 0);
        le32(p + 16, 262144);
        le32(p + 20, lt);
        o->len += 24;
        o->total += 24;
        return 0;
    }
    /* Section Header Block: BOM, version 1.0, unknown section length, shb_userappl. */
    le32(p, 0x0a0d0d0a);
    le32(p + 4, 48);
    le32(p + 8, 0x1a2b3c4d);
    le16(p + 12, 1);
    le16(p + 14, 0);
    le32(p + 16, 0xffffffff);
    le32(p + 20, 0xffffffff);
    le16(p + 24, 4); /* shb_userappl */
    le16(p + 26, 11);
    memcpy(p + 28, "konseki-gen\0", 12);
    le32(p + 40, 0); /* opt_endofopt */
    le32(p + 44, 48);
    p += 48;
    /* Interface Description Block: if_tsresol = 9 (10^-9 s). */
    le32(p, 1);
    le32(p + 4, 32);
    le16(p + 8, (uint16_t)lt);
    le16(p + 10, 0);
    le32(p + 12, 262144);
    le16(p + 16, 9);
    le16(p + 18, 1);
    p[20] = 9;
    p[21] = p[22] = p[23] = 0;
    le32(p + 24, 0);
    le32(p + 28, 32);
    o->len += 80;
    o->total += 80;
    return 0;
}

int gen_out_packet(struct out *o, struct sess *s, const struct world *w, const struct gen_cfg *c,
                   const struct pdesc *d, uint32_t *frame_len)
{
    int rc = out_room(o, WIRE_MAX_FRAME + 64);
    if (rc)
        return rc;
    uint8_t *p = o->buf + o->len;
    uint64_t sec = (uint64_t)d->ts / 1000000000u;
    uint32_t ns = (uint32_t)((uint64_t)d->ts % 1000000000u);
    uint32_t len, cap;
    if (c->format == FMT_PCAPNG) {
        len = gen_wire_build(p + 28, s, w, c, d);
        cap = gen_wire_caplen(s, c, d, len);
        uint32_t pad = (4 - (cap & 3)) & 3;
        uint32_t bl = 32 + cap + pad;
        uint64_t t = (uint64_t)d->ts;
        le32(p, 6);
        le32(p + 4, bl);
        le32(p + 8, 0);
        le32(p + 12, (uint32_t)(t >> 32));
        le32(p + 16, (uint32_t)t);
        le32(p + 20, cap);
        le32(p + 24, len);
        memset(p + 28 + cap, 0, pad);
        le32(p + 28 + cap + pad, bl);
        o->len += bl;
        o->total += bl;
    } else {
        len = gen_wire_build(p + 16, s, w, c, d);
        cap = gen_wire_caplen(s, c, d, len);
        le32(p, (uint32_t)sec);
        le32(p + 4, c->format == FMT_PCAP_NS ? ns : ns / 1000);
        le32(p + 8, cap);
        le32(p + 12, len);
        o->len += 16 + cap;
        o->total += 16 + cap;
    }
    *frame_len = len;
    return 0;
}

int gen_out_close(struct out *o)
{
    int rc = o->err ? KS_EIO : out_flush(o);
    if (o->fd > 2 && close(o->fd) != 0 && !rc)
        rc = KS_EIO;
    free(o->buf);
    o->buf = NULL;
    return rc;
}
