/*
 * t_feed.h — run a corpus capture's sessions through one parser (tests only).
 *
 * Frames to or from `port` are split into sessions (the side that sends to
 * `port` is the client); each session gets its own zeroed parser state.  UDP:
 * one datagram per data call.  TCP: each segment's payload in capture order,
 * with retransmitted bytes cut off by sequence number — good enough for clean
 * captures, and no substitute for the flow module's reassembly.
 */
#ifndef KONSEKI_T_FEED_H
#define KONSEKI_T_FEED_H

#include "decode/decode.h"
#include "proto/proto.h"
#include "source/source.h"
#include "t.h"
#include "t_pcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_FEED_SESSIONS 32

struct t_feed {
    int sessions; /* sessions seen */
    int probe[2]; /* best probe verdict of the first session's client / server bytes */
    int switched; /* sessions handed to another parser (proto_switch) */
    int loaded;   /* frames loaded, 0 when the capture is absent */
    const char *switch_to;
};

struct t_feed_sess {
    uint8_t l4, cli[16], srv[16];
    uint16_t cport;
    uint32_t next[2];
    int have[2], done, probed[2];
    void *st;
    struct proto_ctx ctx;
};

/*
 * libpcap refuses some pcapng files (interfaces with different snapshot lengths, as in
 * zeek's ldap/modify-request.pcapng); those are read with konseki's own source module,
 * keeping the frames of the first packet's link type.
 */
static inline int t_feed_load(struct cap *c, const char *rel)
{
    if (cap_load(c, rel) == 0 && c->n > 0)
        return 0;
    char path[4096], msg[256];
    struct source *s;
    struct packet pk;
    if (!t_corpus())
        return -1;
    snprintf(path, sizeof path, "%s/%s", t_corpus(), rel);
    if (source_open_file(&s, path, msg, sizeof msg))
        return -1;
    memset(c, 0, sizeof *c);
    while (c->n < CAP_MAX && source_next(s, &pk) == 1) {
        if (c->n == 0)
            c->lt = (int)pk.linktype;
        if (pk.linktype != (uint32_t)c->lt || !(c->p[c->n] = malloc(pk.caplen ? pk.caplen : 1)))
            continue;
        memcpy(c->p[c->n], pk.data, pk.caplen);
        c->len[c->n] = pk.caplen;
        c->ts[c->n++] = pk.ts_ns;
    }
    source_close(s);
    return 0;
}

/* Feed the first frames of corpus file rel; returns -1 when the capture is absent. */
static inline int t_feed_run(const struct proto_parser *p, const char *rel, uint16_t port,
                             struct proto_out *o, struct t_feed *res)
{
    static struct cap c;
    static struct t_feed_sess ss[T_FEED_SESSIONS];
    memset(res, 0, sizeof *res);
    memset(ss, 0, sizeof ss);
    if (t_feed_load(&c, rel) < 0)
        return -1;
    res->loaded = c.n;
    int ns = 0;
    for (int i = 0; i < c.n; i++) {
        struct decoded d;
        if (decode_packet((uint32_t)c.lt, c.p[i], c.len[i], &d) != DEC_OK)
            continue;
        if ((d.proto != 6 && d.proto != 17) || (d.sport != port && d.dport != port))
            continue;
        int dir = d.dport == port ? 0 : 1;
        const uint8_t *cli = dir ? d.dst : d.src, *srv = dir ? d.src : d.dst;
        uint16_t cport = dir ? d.dport : d.sport;
        struct t_feed_sess *s = NULL;
        for (int k = 0; k < ns && !s; k++)
            if (ss[k].l4 == d.proto && ss[k].cport == cport && !memcmp(ss[k].cli, cli, 16) &&
                !memcmp(ss[k].srv, srv, 16))
                s = &ss[k];
        if (!s) {
            if (ns == T_FEED_SESSIONS)
                continue;
            s = &ss[ns++];
            s->l4 = d.proto;
            s->cport = cport;
            memcpy(s->cli, cli, 16);
            memcpy(s->srv, srv, 16);
            s->st = calloc(1, p->state_size ? p->state_size : 1);
            s->ctx.ipver = d.ipver;
            s->ctx.l4 = d.proto;
            s->ctx.cli_addr = s->cli;
            s->ctx.srv_addr = s->srv;
            s->ctx.cli_port = cport;
            s->ctx.srv_port = port;
        }
        const uint8_t *pl = c.p[i] + d.payload_off;
        uint32_t n = d.payload_len;
        if (d.proto == 6) {
            uint32_t seq = d.seq + ((d.tcp_flags & TCPF_SYN) ? 1 : 0);
            if (s->have[dir] && n) {
                int32_t behind = (int32_t)(s->next[dir] - seq);
                if (behind >= (int32_t)n)
                    n = 0; /* retransmission */
                else if (behind > 0) {
                    pl += behind;
                    n -= (uint32_t)behind;
                    seq += (uint32_t)behind;
                }
            }
            if (n || (d.tcp_flags & TCPF_SYN)) {
                s->have[dir] = 1;
                s->next[dir] = seq + n;
            }
        }
        if (!n || s->done || !s->st)
            continue;
        s->ctx.ts_ns = c.ts[i];
        if (!s->probed[dir]) {
            s->probed[dir] = 1;
            int v = p->probe(&s->ctx, dir, pl, n);
            if (s == &ss[0])
                res->probe[dir] = v;
        }
        if (p->data(s->st, o, &s->ctx, dir, pl, n))
            s->done = 1;
        if (o->switch_to) {
            res->switched++;
            res->switch_to = o->switch_to;
            o->switch_to = NULL;
            s->done = 1;
        }
    }
    for (int k = 0; k < ns; k++) {
        if (!ss[k].st)
            continue;
        if (p->end)
            p->end(ss[k].st, o, &ss[k].ctx);
        if (p->release)
            p->release(ss[k].st);
        free(ss[k].st);
    }
    res->sessions = ns;
    cap_free(&c);
    return 0;
}

/* Hand-built bytes: a fresh state, data in the given direction pieces, end, release. */
struct t_piece {
    int dir;
    const uint8_t *p;
    size_t n;
};

static inline int t_feed_pieces(const struct proto_parser *p, uint8_t l4, uint16_t srv_port,
                                const struct t_piece *pc, size_t npc, struct proto_out *o)
{
    static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    struct proto_ctx ctx = {4, l4, a, b, 40000, srv_port, 0};
    void *st = calloc(1, p->state_size ? p->state_size : 1);
    int done = 0, ret = 0;
    for (size_t i = 0; st && i < npc && !done; i++) {
        done = p->data(st, o, &ctx, pc[i].dir, pc[i].p, pc[i].n);
        if (done)
            ret = (int)i + 1;
    }
    if (st && p->end)
        p->end(st, o, &ctx);
    if (st && p->release)
        p->release(st);
    free(st);
    return ret; /* 1-based index of the piece after which data returned 1, or 0 */
}

/* Append one BER TLV (short or two-octet long length) at o; returns its size. */
static inline size_t t_tlv(uint8_t *o, uint8_t id, const void *v, size_t n)
{
    size_t h = 0;
    o[h++] = id;
    if (n < 128) {
        o[h++] = (uint8_t)n;
    } else {
        o[h++] = 0x82;
        o[h++] = (uint8_t)(n >> 8);
        o[h++] = (uint8_t)n;
    }
    memmove(o + h, v, n);
    return h + n;
}

#endif
