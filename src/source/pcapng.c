/*
 * pcapng.c — the PCAP Next Generation format (draft-ietf-opsawg-pcapng).
 *
 * A file is a sequence of sections; each starts with a Section Header Block whose
 * byte-order magic fixes the byte order of every block up to the next SHB.  Every
 * block has the same frame (§3.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *   /                          Block Body                           /
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * Bodies we read (offsets from the start of the block):
 *
 *   SHB 0x0a0d0d0a: 8 byte-order magic 1a2b3c4d | 12 major (2) minor (2) | 16 section len (8) | 24
 * opts IDB 0x00000001: 8 link type (2) reserved (2) | 12 snaplen | 16 options EPB 0x00000006: 8
 * interface id | 12 ts high | 16 ts low | 20 caplen | 24 orig len | 28 data, opts OPB 0x00000002: 8
 * interface id (2) drops (2) | 12 ts high | 16 ts low | 20 caplen | 24 orig len | 28 data SPB
 * 0x00000003: 8 orig len | 12 data (interface 0, no timestamp, caplen from the block size)
 *
 * Options are (code 2, length 2, value padded to 4).  On an IDB we use
 * if_tsresol (9, 1 byte: 10^-n seconds, or 2^-n with the top bit set; default
 * 10^-6) and if_tsoffset (14, 8 bytes: seconds added to every timestamp).
 * Every other block (NRB, ISB, DSB, custom, unknown) is skipped.
 */
#include "core/err.h"
#include "core/rdr.h"
#include "source/source_int.h"

#include <stdio.h>

#define PNG_SHB 0x0a0d0d0au
#define PNG_IDB 0x00000001u
#define PNG_OPB 0x00000002u
#define PNG_SPB 0x00000003u
#define PNG_NRB 0x00000004u
#define PNG_ISB 0x00000005u
#define PNG_EPB 0x00000006u

#define PNG_OPT_END 0
#define PNG_OPT_TSRESOL 9
#define PNG_OPT_TSOFFSET 14

static inline uint32_t png_u32(struct rdr *r, int be)
{
    return be ? rdr_u32be(r) : rdr_u32le(r);
}

static inline uint16_t png_u16(struct rdr *r, int be)
{
    return be ? rdr_u16be(r) : rdr_u16le(r);
}

static const char *png_block_name(uint32_t type)
{
    switch (type) {
    case PNG_SHB:
        return "section header block";
    case PNG_IDB:
        return "interface description block";
    case PNG_OPB:
        return "packet block";
    case PNG_SPB:
        return "simple packet block";
    case PNG_NRB:
        return "name resolution block";
    case PNG_ISB:
        return "interface statistics block";
    case PNG_EPB:
        return "enhanced packet block";
    default:
        return "block";
    }
}

static struct src_iface *png_iface(struct source *s, uint32_t id)
{
    return (struct src_iface *)(void *)s->ifaces.data + id;
}

/* Set f's timestamp conversion from an if_tsresol byte. */
static int png_set_tsresol(struct src_iface *f, uint8_t res)
{
    unsigned e = res & 0x7fu;
    f->shift = 0;
    f->ups = 0;
    if (res & 0x80) {
        if (e > 63)
            return -1;
        if (e <= 9) { /* 2^e divides 10^9 = 2^9 * 5^9 */
            f->kind = SRC_TS_MUL;
            f->mul = 1000000000u >> e;
        } else {
            f->kind = SRC_TS_GEN;
            f->shift = e;
        }
        return 0;
    }
    if (e > 19) /* 10^20 does not fit 64 bits */
        return -1;
    uint64_t p = 1;
    for (unsigned i = 0; i < e; i++)
        p *= 10;
    if (e <= 9) {
        f->kind = SRC_TS_MUL;
        f->mul = 1000000000u / p;
    } else {
        f->kind = SRC_TS_GEN;
        f->ups = p;
    }
    return 0;
}

/* Units since the epoch on interface f -> ns.  Hostile values wrap, never trap. */
static inline int64_t png_ts(const struct src_iface *f, uint64_t ts)
{
    uint64_t ns;
    if (f->kind == SRC_TS_MUL) {
        ns = ts * f->mul;
    } else {
        unsigned __int128 x = (unsigned __int128)ts * 1000000000u;
        ns = (uint64_t)(f->shift ? x >> f->shift : x / f->ups);
    }
    return (int64_t)(ns + (uint64_t)f->offset_s * 1000000000u);
}

/* Parse an IDB (whole block in r) and append its interface. */
static int png_idb(struct source *s, struct rdr *r, uint32_t len, uint64_t off)
{
    if (len < 20)
        return src_fail(s, KS_ECORRUPT, off,
                        "interface description block of %u bytes is shorter than its 20-byte "
                        "minimum",
                        len);
    if (s->n_ifaces >= SRC_MAX_IFACES)
        return src_fail(s, KS_ECORRUPT, off, "more than %u interfaces in one section",
                        SRC_MAX_IFACES);
    struct src_iface f = {0};
    rdr_skip(r, 8);
    f.linktype = png_u16(r, s->be);
    rdr_skip(r, 2);
    f.snaplen = png_u32(r, s->be);
    png_set_tsresol(&f, 6);

    struct rdr o;
    const uint8_t *opts = rdr_bytes(r, len - 20);
    rdr_init(&o, opts, opts ? len - 20 : 0);
    while (rdr_left(&o) >= 4) {
        uint16_t code = png_u16(&o, s->be);
        uint16_t olen = png_u16(&o, s->be);
        if (code == PNG_OPT_END)
            break;
        const uint8_t *val = rdr_bytes(&o, olen);
        if (!val)
            return src_fail(s, KS_ECORRUPT, off,
                            "interface description option %u (%u bytes) overruns its block", code,
                            olen);
        rdr_skip(&o, (4 - olen % 4) % 4);
        struct rdr v;
        rdr_init(&v, val, olen);
        if (code == PNG_OPT_TSRESOL && olen == 1) {
            uint8_t res = rdr_u8(&v);
            if (png_set_tsresol(&f, res) != 0)
                return src_fail(s, KS_ECORRUPT, off, "unsupported if_tsresol 0x%02x", res);
        } else if (code == PNG_OPT_TSOFFSET && olen == 8) {
            uint32_t a = png_u32(&v, s->be), b = png_u32(&v, s->be);
            uint64_t u = s->be ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
            f.offset_s = (int64_t)u;
        }
    }
    int rc = buf_append(&s->ifaces, &f, sizeof f);
    if (rc)
        return src_fail(s, rc, off, "cannot store interface %u", s->n_ifaces);
    s->n_ifaces++;
    return 0;
}

/* EPB or OPB (whole block in r): fill pkt. */
static int png_packet(struct source *s, struct rdr *r, uint32_t type, uint32_t len, uint64_t off,
                      struct packet *pkt)
{
    const char *what = png_block_name(type);
    if (len < 32)
        return src_fail(s, KS_ECORRUPT, off, "%s of %u bytes is shorter than its 32-byte minimum",
                        what, len);
    rdr_skip(r, 8);
    uint32_t ifid;
    if (type == PNG_EPB) {
        ifid = png_u32(r, s->be);
    } else {
        ifid = png_u16(r, s->be);
        rdr_skip(r, 2); /* drops count */
    }
    uint32_t hi = png_u32(r, s->be), lo = png_u32(r, s->be);
    uint32_t caplen = png_u32(r, s->be), wirelen = png_u32(r, s->be);
    if (ifid >= s->n_ifaces)
        return src_fail(s, KS_ECORRUPT, off,
                        "%s on interface %u, but the section describes %u interface%s", what, ifid,
                        s->n_ifaces, s->n_ifaces == 1 ? "" : "s");
    if (caplen > SRC_MAX_CAPLEN)
        return src_fail(s, KS_ECORRUPT, off, "%s claims %u captured bytes (limit %u)", what, caplen,
                        SRC_MAX_CAPLEN);
    if (caplen > len - 32)
        return src_fail(s, KS_ECORRUPT, off,
                        "%s claims %u captured bytes but its %u-byte block holds at most %u", what,
                        caplen, len, len - 32);
    const struct src_iface *f = png_iface(s, ifid);
    pkt->ts_ns = png_ts(f, (uint64_t)hi << 32 | lo);
    pkt->linktype = f->linktype;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen < caplen ? caplen : wirelen;
    pkt->ifindex = ifid;
    pkt->data = rdr_bytes(r, caplen);
    return 0;
}

/* SPB (whole block in r): interface 0, no timestamp (RFC draft §4.4). */
static int png_simple(struct source *s, struct rdr *r, uint32_t len, uint64_t off,
                      struct packet *pkt)
{
    if (len < 16)
        return src_fail(s, KS_ECORRUPT, off,
                        "simple packet block of %u bytes is shorter than its 16-byte minimum", len);
    if (s->n_ifaces == 0)
        return src_fail(s, KS_ECORRUPT, off,
                        "simple packet block, but the section describes no interface");
    const struct src_iface *f = png_iface(s, 0);
    rdr_skip(r, 8);
    uint32_t wirelen = png_u32(r, s->be);
    /* The captured length is implicit: the original length cut to the block and the snaplen. */
    uint32_t caplen = len - 16;
    if (wirelen < caplen)
        caplen = wirelen;
    if (f->snaplen && f->snaplen < caplen)
        caplen = f->snaplen;
    if (caplen > SRC_MAX_CAPLEN)
        return src_fail(s, KS_ECORRUPT, off, "simple packet block holds %u bytes (limit %u)",
                        caplen, SRC_MAX_CAPLEN);
    pkt->ts_ns = 0;
    pkt->linktype = f->linktype;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen < caplen ? caplen : wirelen;
    pkt->ifindex = 0;
    pkt->data = rdr_bytes(r, caplen);
    return 0;
}

/* A new section: its byte order and version, and no interfaces yet. */
static int png_shb(struct source *s, struct rdr *r, uint32_t len, uint64_t off)
{
    if (len < 28)
        return src_fail(s, KS_ECORRUPT, off,
                        "section header block of %u bytes is shorter than its 28-byte minimum",
                        len);
    rdr_skip(r, 12);
    uint16_t major = png_u16(r, s->be), minor = png_u16(r, s->be);
    /* Version 1.x is the only one there is; 1.2 is what everyone writes. */
    if (major != 1)
        return src_fail(s, KS_ECORRUPT, off, "pcapng version %u.%u is not supported", major, minor);
    buf_reset(&s->ifaces);
    s->n_ifaces = 0;
    return 0;
}

int src_pcapng_next(struct source *s, struct packet *pkt)
{
    for (;;) {
        uint64_t off = s->base + s->pos;
        size_t avail = s->end - s->pos;
        if (avail < 12) {
            avail = src_fill(s, 12);
            if (avail == 0)
                return src_at_end(s);
            if (avail < 8) {
                char where[64];
                snprintf(where, sizeof where, "inside a block header (%zu of 8 bytes)", avail);
                return src_short(s, off, where);
            }
        }
        struct rdr r;
        rdr_init(&r, s->win + s->pos, avail);
        uint32_t type = png_u32(&r, s->be); /* the SHB type reads the same either way */
        if (type == PNG_SHB) {
            if (avail < 12) {
                char where[80];
                snprintf(where, sizeof where, "inside a section header block (%zu of 28 bytes)",
                         avail);
                return src_short(s, off, where);
            }
            rdr_skip(&r, 4);
            uint32_t bom = rdr_u32le(&r);
            if (bom == 0x1a2b3c4du)
                s->be = 0;
            else if (bom == 0x4d3c2b1au)
                s->be = 1;
            else
                return src_fail(s, KS_ECORRUPT, off,
                                "section header block has a bad byte-order magic %08x", bom);
            rdr_init(&r, s->win + s->pos, avail);
            rdr_skip(&r, 4);
        }
        uint32_t len = png_u32(&r, s->be);
        const char *what = png_block_name(type);
        if (len < 12 || len % 4 != 0)
            return src_fail(s, KS_ECORRUPT, off, "%s (type 0x%08x) has a bad total length %u%s",
                            what, type, len, len < 12 ? "" : ", not a multiple of 4");
        if (len > SRC_MAX_BLOCK)
            return src_fail(s, KS_ECORRUPT, off,
                            "%s (type 0x%08x) of %u bytes exceeds the %zu-byte limit", what, type,
                            len, SRC_MAX_BLOCK);
        if (avail < len) {
            avail = src_fill(s, len);
            if (avail < len) {
                char where[96];
                snprintf(where, sizeof where, "inside the %s (%zu of %u bytes)", what, avail, len);
                return src_short(s, off, where);
            }
        }
        rdr_init(&r, s->win + s->pos, len);
        rdr_skip(&r, len - 4);
        uint32_t trail = png_u32(&r, s->be);
        if (trail != len)
            return src_fail(s, KS_ECORRUPT, off,
                            "%s's trailing length %u differs from its leading length %u", what,
                            trail, len);
        rdr_init(&r, s->win + s->pos, len - 4); /* body readers must not run into the trailer */
        int rc = 0, got = 0;
        switch (type) {
        case PNG_SHB:
            rc = png_shb(s, &r, len, off);
            break;
        case PNG_IDB:
            rc = png_idb(s, &r, len, off);
            break;
        case PNG_EPB:
        case PNG_OPB:
            rc = png_packet(s, &r, type, len, off, pkt);
            got = 1;
            break;
        case PNG_SPB:
            rc = png_simple(s, &r, len, off, pkt);
            got = 1;
            break;
        default:
            break; /* NRB, ISB, DSB, custom, unknown: nothing we need */
        }
        if (rc)
            return rc;
        s->pos += len;
        if (got) {
            pkt->offset = off;
            pkt->number = ++s->npkt;
            return 1;
        }
    }
}
