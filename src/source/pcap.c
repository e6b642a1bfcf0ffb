/*
 * pcap.c — the classic libpcap savefile (draft-ietf-opsawg-pcap; pcap-savefile(5)).
 *
 * File header, 24 bytes, in the writer's byte order (the magic tells which):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |        Magic: a1b2c3d4 (µs) / a1b23c4d (ns) / a1b2cd34         |
 *   +-------------------------------+-------------------------------+
 *   |         Major version         |         Minor version         |
 *   +-------------------------------+-------------------------------+
 *   |                  Reserved1 (was thiszone)                     |
 *   |                  Reserved2 (was sigfigs)                      |
 *   |                        SnapLen                                |
 *   +-------+-+-+-------------------+-------------------------------+
 *   |FCS len|R|F|    Reserved3      |        Link-layer type        |
 *   +-------+-+-+-------------------+-------------------------------+
 *
 * Packet record, 16 bytes of header then CapLen bytes of data:
 *
 *   |              Timestamp (seconds, unsigned)                    |
 *   |       Timestamp (microseconds, or nanoseconds for a1b23c4d)   |
 *   |              Captured Packet Length (CapLen)                  |
 *   |              Original Packet Length                           |
 *   |              Packet Data (CapLen bytes) ...                   |
 *
 * Kuznetsov's "modified" format (magic a1b2cd34, written by old patched Linux
 * libpcaps) appends 8 bytes to each record header: ifindex (4), protocol (2),
 * pkt_type (1), padding (1).  We skip them.
 *
 * Only the low 16 bits of the link-type field are the link type; the draft
 * says readers MUST ignore the FCS/reserved bits above them.
 */
#include "core/err.h"
#include "core/rdr.h"
#include "source/source_int.h"

#include <stdio.h>

#define PCAP_FILE_HDR 24u

static inline uint32_t pcap_u32(struct rdr *r, int be)
{
    return be ? rdr_u32be(r) : rdr_u32le(r);
}

static int pcap_file_header(struct source *s)
{
    size_t avail = src_fill(s, PCAP_FILE_HDR);
    if (avail < PCAP_FILE_HDR) {
        char where[80];
        snprintf(where, sizeof where, "inside the pcap file header (%zu of %u bytes)", avail,
                 PCAP_FILE_HDR);
        return src_short(s, s->base + s->pos, where);
    }
    struct rdr r;
    rdr_init(&r, s->win + s->pos, PCAP_FILE_HDR);
    rdr_skip(&r, 4 + 2 + 2 + 4 + 4); /* magic (sniffed at open), version, reserved */
    s->snaplen = pcap_u32(&r, s->be);
    s->linktype = pcap_u32(&r, s->be) & 0xffffu;
    s->pos += PCAP_FILE_HDR;
    s->hdr_done = 1;
    return 0;
}

int src_pcap_next(struct source *s, struct packet *pkt)
{
    if (!s->hdr_done) {
        int rc = pcap_file_header(s);
        if (rc)
            return rc;
    }
    size_t hl = s->rec_hdr_len;
    uint64_t off = s->base + s->pos;
    size_t avail = s->end - s->pos;
    if (avail < hl) {
        avail = src_fill(s, hl);
        if (avail == 0)
            return src_at_end(s);
        if (avail < hl) {
            char where[80];
            snprintf(where, sizeof where, "inside a packet record header (%zu of %zu bytes)", avail,
                     hl);
            return src_short(s, off, where);
        }
    }
    struct rdr r;
    rdr_init(&r, s->win + s->pos, hl);
    uint32_t sec = pcap_u32(&r, s->be);
    uint32_t frac = pcap_u32(&r, s->be);
    uint32_t caplen = pcap_u32(&r, s->be);
    uint32_t wirelen = pcap_u32(&r, s->be);
    /* libpcap and wiretap refuse records above their maximum snapshot length too. */
    if (caplen > SRC_MAX_CAPLEN)
        return src_fail(s, KS_ECORRUPT, off, "record claims %u captured bytes (limit %u)", caplen,
                        SRC_MAX_CAPLEN);
    size_t need = hl + caplen;
    if (avail < need) {
        avail = src_fill(s, need);
        if (avail < need) {
            char where[96];
            snprintf(where, sizeof where, "inside packet data (%zu of %u bytes)", avail - hl,
                     caplen);
            return src_short(s, off, where);
        }
    }
    pkt->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * s->frac_mul;
    pkt->linktype = s->linktype;
    pkt->caplen = caplen;
    /* A record with more captured than original bytes is tolerated, as wiretap does. */
    pkt->wirelen = wirelen < caplen ? caplen : wirelen;
    pkt->ifindex = 0;
    pkt->data = s->win + s->pos + hl;
    pkt->offset = off;
    pkt->number = ++s->npkt;
    s->pos += need;
    /*
     * The next record headers are the next things parsed, after the pipeline has
     * dealt with this packet: ask for them now so their cache misses overlap that
     * work (measured: ingest user time 0.62 s -> 0.50 s per GB).
     */
    if (s->end - s->pos >= 4096) {
        __builtin_prefetch(s->win + s->pos);
        __builtin_prefetch(s->win + s->pos + 2048);
    }
    return 1;
}
