/*
 * flow.c — the flow table: packets in, bidirectional sessions out.
 *
 * The idea
 * --------
 * A session is found by its normalised key: IP version, protocol, the two
 * endpoints with the lower (address, port) first, and the VLAN tags, packed
 * into six 64-bit words that are hashed and compared whole.  ICMP, ICMPv6
 * and protocols without ports are keyed by addresses alone, so an echo
 * request and its reply (or a neighbour solicitation and advertisement) are
 * one session, as in Arkime.
 *
 *   buckets[hash & mask] ─▶ flow ─▶ flow ─▶ NULL        (chains through hnext)
 *
 *   lru[FC_TCP]    head (least recently active) ⇄ … ⇄ tail
 *   lru[FC_UDP]    "
 *   lru[FC_OTHER]  "
 *   lru[FC_CLOSED] TCP sessions that saw FIN both ways or a RST, lingering
 *   all            every live session in creation (= id) order, for flush
 *
 * Every timeout class has one idle timeout, so its list in order of last
 * activity is also in order of deadline: flow_table_expire() takes heads
 * until it meets one that is still alive.  A packet does not move its session
 * on the list; a head that was active since it was queued is moved to the
 * tail when it is looked at (lru_head), which keeps the per-packet path to
 * one hash lookup and makes expiry O(expired + requeued), amortised O(1) per
 * packet.  Sessions come from slabs and return to a free list with their
 * position buffer, so the steady state allocates nothing.
 *
 * Who initiated follows Zeek: the sender of a SYN; the receiver of a SYN+ACK
 * seen first; otherwise the first sender, unless a mid-stream TCP pickup looks
 * backwards (first sender on a port < 1024, the other ≥ 1024), which is
 * flipped and marked '^' in the history.  TCP endpoint states and conn_state
 * follow Zeek's TCP analyzer and base/protocols/conn/main.zeek (re-expressed
 * here, see tcp_state() and tcp_conn_state()).
 *
 * What a record counts (per piece): packets and frame bytes per direction,
 * and payload bytes — for TCP the bytes new in sequence space (a
 * retransmitted or duplicated segment counts once, as in Arkime and Zeek),
 * for UDP the datagram payload, for ICMP what follows the 8-byte ICMP header,
 * otherwise what follows the IP header chain; the SYN / SYN+ACK / FIN / RST
 * packet counts.  History, state and the OR of the TCP flags run on over the
 * whole session.  So the pieces of one id add up to the session.
 *
 * All time is packet time and nothing depends on bucket order (the hash is
 * keyed with a per-table random seed against collision floods, but emission
 * walks only the lists above), so the same packets always give the same
 * sessions, ids and emission order.
 */
#include "flow/flow.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/pos.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { IPP_ICMP = 1, IPP_TCP = 6, IPP_UDP = 17, IPP_ICMP6 = 58, IPP_SCTP = 132 };

/* Timeout classes, each with its own LRU list. */
enum { FC_TCP, FC_UDP, FC_OTHER, FC_CLOSED, FC__COUNT };

/* TCP endpoint states, after Zeek's TCP_Endpoint. */
enum {
    EP_INACTIVE,     /* nothing seen from this side */
    EP_SYN_SENT,     /* sent a SYN */
    EP_SYN_ACK_SENT, /* the initiator sent a SYN+ACK (odd, but seen) */
    EP_PARTIAL,      /* picked up mid-stream */
    EP_ESTABLISHED,  /* handshake seen */
    EP_CLOSED,       /* sent a FIN */
    EP_RESET         /* sent a RST */
};

/* History letters, one bit per letter and direction. */
enum { H_S, H_H, H_A, H_D, H_F, H_R, H__COUNT };

#define FLOW_DEF_MAX_FLOWS ((size_t)1000000)
#define FLOW_DEF_MAX_BYTES ((size_t)1 << 30)
#define FLOW_DEF_MAX_POS ((size_t)64 * 1024)
#define FLOW_MIN_POS 16 /* an empty piece always has room for one 10-byte varint */
#define FLOW_SEC INT64_C(1000000000)
#define FLOW_SLAB 256      /* sessions per slab */
#define FLOW_POS_KEEP 1024 /* position buffers up to this size are kept on free */
#define FLOW_BUCKETS_MIN 1024
#define FLOW_BUCKETS_MAX ((size_t)1 << 28)

/*
 * The key as six 64-bit words, written and read whole (no padding, and no
 * store-forwarding stalls from reading narrow stores as wide loads).  The
 * addresses are big-endian numbers (IPv4 in the top 32 bits of word 0), so
 * numeric order is the order of their bytes.
 */
struct flow_key {
    uint64_t a[2], b[2]; /* lower endpoint first */
    uint64_t ports;      /* port a | port b << 16 | vlan[0] << 32 | vlan[1] << 48 */
    uint64_t meta;       /* nvlan | ipver << 8 | proto << 16 */
};

static uint8_t key_nvlan(const struct flow_key *k)
{
    return (uint8_t)k->meta;
}

static uint8_t key_ipver(const struct flow_key *k)
{
    return (uint8_t)(k->meta >> 8);
}

static uint8_t key_proto(const struct flow_key *k)
{
    return (uint8_t)(k->meta >> 16);
}

/* field 0, 1: ports of a and b; 2, 3: the VLAN tags */
static uint16_t key_u16(const struct flow_key *k, int field)
{
    return (uint16_t)(k->ports >> (16 * field));
}

/*
 * One session.  Laid out by use: the first 64 bytes are all a lookup reads,
 * the next block is what every packet updates, the rest is touched at
 * creation, class changes and emission.
 */
struct flow {
    /* lookup */
    struct flow *hnext; /* hash chain */
    uint64_t hash;
    struct flow_key key;
    uint8_t cls;       /* FC_* list it is on */
    uint8_t init_is_a; /* the initiator is key endpoint a */
    uint8_t closed;    /* 0, or FLOW_END_FIN / FLOW_END_RST once closed */
    uint8_t seq_known; /* bit d: seq_next[d] / syn_seq[d] are set */
    /* every packet */
    uint64_t touch;            /* table clock at its last packet: global LRU order */
    uint64_t qtouch;           /* touch when it was (re)queued on its class list */
    int64_t last_act;          /* latest packet time seen (any piece) */
    int64_t first_ns, last_ns; /* this piece */
    uint64_t pkts[2], bytes[2], payload[2];
    struct buf pos;
    uint64_t pos_prev;
    uint32_t seq_next[2];            /* per direction: one past the highest payload byte counted */
    uint32_t hole_lo[2], hole_hi[2]; /* per direction: bytes below seq_next not seen yet */
    uint32_t syn_seq[2];             /* per direction: sequence number of the last SYN */
    uint32_t syn, synack, fin, rst;
    uint32_t isn; /* initiator's ISN (its SYN, or a SYN+ACK's ack - 1) */
    uint32_t piece;
    uint8_t st[2], prev_st[2]; /* TCP endpoint states: [0] initiator, [1] responder */
    uint8_t fin_dirs;          /* bit d: a FIN came from direction d */
    uint8_t data_dirs;         /* bit d: payload came from direction d */
    uint8_t has_isn;
    uint8_t hist_len;
    uint8_t tcp_flags[2];
    uint16_t hist_bits;
    uint16_t sport, dport; /* initiator's view; ICMP: first type and code */
    char history[FLOW_HISTORY_MAX + 1];
    /* cold */
    struct flow *prev, *next;   /* class list */
    struct flow *aprev, *anext; /* creation-order list */
    uint64_t id;
    void *app; /* the caller's application-layer state */
    char community_id[32];
};

struct flow_list {
    struct flow *head, *tail;
};

struct flow_slab {
    struct flow_slab *next;
    size_t n;
    struct flow f[];
};

struct flow_table {
    struct flow_cfg cfg;
    uint64_t next_id;
    flow_emit_fn emit;
    flow_app_free_fn app_free;
    void *ctx;
    struct flow **buckets;
    size_t nbuckets, max_buckets;
    uint64_t seed;
    uint64_t clock;
    struct flow_list lru[FC__COUNT];
    struct flow *all_head, *all_tail;
    struct flow *free_list;
    struct flow_slab *slabs;
    size_t slab_flows; /* sessions allocated in slabs */
    size_t slab_count;
    size_t pos_alloc; /* bytes allocated by position buffers (live and free) */
    struct flow_stats st;
};

/* ---- hashing ---------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    /* splitmix64 finaliser: full avalanche */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t key_hash(const struct flow_key *k, uint64_t seed)
{
    /* two independent lanes halve the multiply chain */
    const uint64_t m = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t x = seed, y = seed ^ UINT64_C(0x5851f42d4c957f2d);
    x = (x ^ k->a[0]) * m;
    y = (y ^ k->a[1]) * m;
    x = (x ^ (x >> 29) ^ k->b[0]) * m;
    y = (y ^ (y >> 29) ^ k->b[1]) * m;
    x = (x ^ (x >> 29) ^ k->ports) * m;
    y = (y ^ (y >> 29) ^ k->meta) * m;
    return mix64(x ^ (y >> 1) ^ (y << 63));
}

static int key_eq(const struct flow_key *x, const struct flow_key *y)
{
    return ((x->a[0] ^ y->a[0]) | (x->a[1] ^ y->a[1]) | (x->b[0] ^ y->b[0]) | (x->b[1] ^ y->b[1]) |
            (x->ports ^ y->ports) | (x->meta ^ y->meta)) == 0;
}

static uint64_t be_load(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void addr_words(const uint8_t *p, int v6, uint64_t w[2])
{
    if (v6) {
        w[0] = be_load(p, 8);
        w[1] = be_load(p + 8, 8);
    } else {
        w[0] = be_load(p, 4) << 32;
        w[1] = 0;
    }
}

/* Back to 16 bytes: IPv4 in the first 4, the rest zero (as in struct decoded). */
static void addr_bytes(const uint64_t w[2], uint8_t out[16])
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(w[0] >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(w[1] >> (56 - 8 * i));
    }
}

/* ---- lists ------------------------------------------------------------------------------ */

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
    struct flow_list *l = &ft->lru[f->cls];
    if (f->prev)
        f->prev->next = f->next;
    else
        l->head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        l->tail = f->prev;
    f->prev = f->next = NULL;
}

static void lru_push(struct flow_table *ft, struct flow *f, uint8_t cls)
{
    struct flow_list *l = &ft->lru[cls];
    f->cls = cls;
    f->qtouch = f->touch;
    f->next = NULL;
    f->prev = l->tail;
    if (l->tail)
        l->tail->next = f;
    else
        l->head = f;
    l->tail = f;
}

/*
 * The least recently active session of a class.  Packets do not move their
 * session on the list (that would cost two more cache misses per packet);
 * instead a head touched since it was queued goes back to the tail here.
 * Every session queued after the returned one was queued later and active
 * since, so it is the true LRU; each requeue consumes a packet's touch, so
 * the cost is amortised O(1) per packet.
 */
static struct flow *lru_head(struct flow_table *ft, int cls)
{
    struct flow *f;
    while ((f = ft->lru[cls].head) && f->touch != f->qtouch) {
        if (!f->next) {
            f->qtouch = f->touch; /* alone on the list */
            break;
        }
        lru_unlink(ft, f);
        lru_push(ft, f, (uint8_t)cls);
    }
    return f;
}

static void all_unlink(struct flow_table *ft, struct flow *f)
{
    if (f->aprev)
        f->aprev->anext = f->anext;
    else
        ft->all_head = f->anext;
    if (f->anext)
        f->anext->aprev = f->aprev;
    else
        ft->all_tail = f->aprev;
}

static void hash_unlink(struct flow_table *ft, struct flow *f)
{
    struct flow **pp = &ft->buckets[f->hash & (ft->nbuckets - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
}

static void hash_grow(struct flow_table *ft)
{
    size_t nb = ft->nbuckets * 2;
    struct flow **nbk = calloc(nb, sizeof *nbk);
    if (!nbk)
        return; /* keep the smaller table: slower, still correct */
    for (size_t i = 0; i < ft->nbuckets; i++) {
        struct flow *f = ft->buckets[i];
        while (f) {
            struct flow *nx = f->hnext;
            size_t j = f->hash & (nb - 1);
            f->hnext = nbk[j];
            nbk[j] = f;
            f = nx;
        }
    }
    free(ft->buckets);
    ft->buckets = nbk;
    ft->nbuckets = nb;
}

/* ---- session pool ----------------------------------------------------------------------- */

static struct flow *flow_alloc(struct flow_table *ft)
{
    struct flow *f = ft->free_list;
    if (!f) {
        size_t n = FLOW_SLAB;
        struct flow_slab *s = malloc(sizeof *s + n * sizeof(struct flow));
        if (!s)
            return NULL;
        s->n = n;
        s->next = ft->slabs;
        ft->slabs = s;
        ft->slab_flows += n;
        ft->slab_count++;
        for (size_t i = n; i-- > 0;) {
            buf_init(&s->f[i].pos, ft->cfg.max_pos_bytes);
            s->f[i].hnext = ft->free_list;
            ft->free_list = &s->f[i];
        }
        f = ft->free_list;
    }
    ft->free_list = f->hnext;
    struct buf keep = f->pos;
    memset(f, 0, sizeof *f);
    f->pos = keep;
    f->pos.len = 0;
    return f;
}

static size_t flow_held(const struct flow_table *ft)
{
    return ft->st.live * sizeof(struct flow) + ft->pos_alloc;
}

static void flow_release(struct flow_table *ft, struct flow *f)
{
    if (f->pos.alloc > FLOW_POS_KEEP || flow_held(ft) > ft->cfg.max_bytes) {
        ft->pos_alloc -= f->pos.alloc;
        buf_release(&f->pos);
    }
    f->pos.len = 0;
    f->hnext = ft->free_list;
    ft->free_list = f;
}

/* ---- TCP state (after Zeek) ------------------------------------------------------------- */

static void hist_add(struct flow *f, int dir, int letter)
{
    static const char up[] = "SHADFR", low[] = "shadfr";
    uint16_t bit = (uint16_t)(1u << (letter + H__COUNT * dir));
    if (f->hist_bits & bit)
        return;
    f->hist_bits |= bit;
    if (f->hist_len < FLOW_HISTORY_MAX) {
        f->history[f->hist_len++] = dir ? low[letter] : up[letter];
        f->history[f->hist_len] = '\0';
    }
}

static void ep_set(struct flow *f, int e, uint8_t s)
{
    f->prev_st[e] = f->st[e];
    f->st[e] = s;
}

/*
 * One packet from endpoint e (0 = initiator, 1 = responder).  The transitions
 * are those of Zeek's TCPSessionAdapter::UpdateStateMachine, without the
 * sequence-number bookkeeping that only produces weirds.
 */
static void tcp_state(struct flow *f, int e, uint8_t fl, uint32_t len)
{
    int p = !e;
    int syn = fl & TCPF_SYN, ack = fl & TCPF_ACK, fin = fl & TCPF_FIN, rst = fl & TCPF_RST;

    switch (f->st[e]) {
    case EP_INACTIVE:
        if (syn) {
            if (e == 0) {
                ep_set(f, e, ack ? EP_SYN_ACK_SENT : EP_SYN_SENT);
            } else {
                /* the responder answers: both sides are established */
                if (f->st[p] == EP_SYN_SENT)
                    ep_set(f, p, EP_ESTABLISHED);
                ep_set(f, e, EP_ESTABLISHED);
            }
        }
        if (fin)
            ep_set(f, e, EP_CLOSED);
        if (rst)
            ep_set(f, e, EP_RESET);
        if (f->st[e] == EP_INACTIVE) {
            if (e == 1 && len == 0 && f->st[0] == EP_SYN_SENT)
                ; /* an ACK of the SYN before the SYN+ACK: not a partial connection */
            else if (ack && f->st[p] == EP_ESTABLISHED)
                ep_set(f, e, EP_ESTABLISHED); /* we missed this side's SYN */
            else
                ep_set(f, e, EP_PARTIAL);
        }
        break;
    case EP_SYN_SENT:
    case EP_SYN_ACK_SENT:
        if (fin)
            ep_set(f, e, EP_CLOSED);
        if (rst)
            ep_set(f, e, EP_RESET);
        break;
    case EP_ESTABLISHED:
    case EP_PARTIAL:
        if (syn && !ack && f->st[e] == EP_PARTIAL && f->st[p] == EP_INACTIVE)
            ep_set(f, e, EP_SYN_SENT);
        if (fin && !rst) {
            ep_set(f, e, EP_CLOSED);
            /* the peer's FIN then RST was a normal close after all */
            if (f->st[p] == EP_RESET && f->prev_st[p] == EP_CLOSED)
                ep_set(f, p, EP_CLOSED);
        }
        if (rst)
            ep_set(f, e, EP_RESET);
        break;
    case EP_CLOSED:
        /* a RST after both FINs does not undo the normal close */
        if (rst && f->st[p] != EP_CLOSED)
            ep_set(f, e, EP_RESET);
        break;
    default:
        break;
    }
}

static void tcp_update(struct flow *f, int dir, const struct decoded *d, uint32_t len)
{
    uint8_t fl = d->tcp_flags;
    int syn = fl & TCPF_SYN, ack = fl & TCPF_ACK, fin = fl & TCPF_FIN, rst = fl & TCPF_RST;

    f->tcp_flags[dir] |= fl;
    if (syn && ack)
        f->synack++;
    else if (syn)
        f->syn++;
    if (fin) {
        f->fin++;
        f->fin_dirs |= (uint8_t)(1u << dir);
    }
    if (rst)
        f->rst++;
    if (len)
        f->data_dirs |= (uint8_t)(1u << dir);

    /* The initiator's ISN tells a new connection on a reused port from a retransmission. */
    if (!f->has_isn && syn && !rst) {
        if (dir == 0 && !ack) {
            f->isn = d->seq;
            f->has_isn = 1;
        } else if (dir == 1 && ack) {
            f->isn = d->ack - 1;
            f->has_isn = 1;
        }
    }

    /* Zeek history: one control letter for a packet with exactly one of SYN/FIN/RST. */
    int nctl = !!syn + !!fin + !!rst;
    if (nctl == 1) {
        if (syn)
            hist_add(f, dir, ack ? H_H : H_S);
        else if (fin)
            hist_add(f, dir, H_F);
        else
            hist_add(f, dir, H_R);
    } else if (nctl == 0) {
        if (len)
            hist_add(f, dir, H_D);
        else if (ack)
            hist_add(f, dir, H_A);
    }

    tcp_state(f, dir, fl, len);

    if (!f->closed) {
        if (rst)
            f->closed = FLOW_END_RST;
        else if (f->fin_dirs == 3)
            f->closed = FLOW_END_FIN;
    }
}

/*
 * Payload bytes that are new in sequence space, so a retransmitted or
 * duplicated segment counts once (Arkime's client/server bytes and Zeek's
 * orig_bytes/resp_bytes do not count retransmissions either).  Per direction
 * we keep the end of the highest byte seen and one hole below it: a segment
 * that jumps ahead leaves a hole, and data that later fills it counts, as in
 * an out-of-order delivery.  Only the latest hole is remembered (bounded
 * state), so a second hole opened before the first is filled undercounts.
 * Sequence numbers compare modulo 2^32 (RFC 9293 §3.4); a RST's payload is
 * not part of the stream (RFC 9293 §3.5.3).
 */
static uint32_t tcp_new_payload(struct flow *f, int dir, const struct decoded *d)
{
    uint8_t bit = (uint8_t)(1u << dir);
    uint32_t seq = d->seq, len = d->payload_wire;
    if (d->tcp_flags & TCPF_SYN) {
        /* a SYN starts the sequence space; a SYN with another ISN restarts it */
        if (!(f->seq_known & bit) || f->syn_seq[dir] != seq) {
            f->syn_seq[dir] = seq;
            f->seq_next[dir] = f->hole_lo[dir] = f->hole_hi[dir] = seq + 1;
            f->seq_known |= bit;
        }
        seq++; /* the SYN takes one sequence number; its data follows */
    } else if (!(f->seq_known & bit)) {
        f->syn_seq[dir] = seq - 1;
        f->seq_next[dir] = f->hole_lo[dir] = f->hole_hi[dir] = seq; /* picked up mid-stream */
        f->seq_known |= bit;
    }
    if (!len || (d->tcp_flags & TCPF_RST))
        return 0;

    /* offsets relative to the highest byte seen so far */
    uint32_t nx = f->seq_next[dir];
    int64_t rs = (int32_t)(seq - nx), re = rs + len;
    uint64_t n = 0;
    if (f->hole_lo[dir] != f->hole_hi[dir]) {
        int64_t hlo = (int32_t)(f->hole_lo[dir] - nx), hhi = (int32_t)(f->hole_hi[dir] - nx);
        int64_t a = rs > hlo ? rs : hlo, b = re < hhi ? re : hhi;
        if (a < b) {
            n += (uint64_t)(b - a);
            /* shrink the hole; a fill in its middle keeps the larger side */
            if (a == hlo || (b != hhi && hhi - b >= a - hlo))
                f->hole_lo[dir] = nx + (uint32_t)b;
            else
                f->hole_hi[dir] = nx + (uint32_t)a;
        }
    }
    if (re > 0) {
        n += (uint64_t)(re - (rs > 0 ? rs : 0));
        if (rs > 0) {
            f->hole_lo[dir] = nx; /* jumped ahead: the bytes in between are missing so far */
            f->hole_hi[dir] = seq;
        }
        f->seq_next[dir] = seq + len;
    }
    return (uint32_t)n;
}

/* Zeek's RSTOS0 test: history matches /^\^?S[^HAFGIQ]*R.*$/ */
static int hist_rstos0(const char *h)
{
    if (*h == '^')
        h++;
    if (*h++ != 'S')
        return 0;
    for (; *h; h++) {
        if (*h == 'R')
            return 1;
        if (strchr("HAFGIQ", *h))
            return 0;
    }
    return 0;
}

/* Zeek's conn_state() for TCP (base/protocols/conn/main.zeek). */
static const char *tcp_conn_state(const struct flow *f)
{
    int os = f->st[0], rs = f->st[1];
    int o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
    int r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;

    if (rs == EP_RESET) {
        if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT || (os == EP_RESET && !f->data_dirs))
            return "REJ";
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == EP_RESET) {
        if (r_inactive)
            return hist_rstos0(f->history) ? "RSTOS0" : "OTH";
        return "RSTO";
    }
    if (rs == EP_CLOSED && os == EP_CLOSED)
        return "SF";
    if (os == EP_CLOSED)
        return r_inactive ? "SH" : "S2";
    if (rs == EP_CLOSED)
        return o_inactive ? "SHR" : "S3";
    if (os == EP_SYN_SENT && rs == EP_INACTIVE)
        return "S0";
    if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED)
        return "S1";
    return "OTH";
}

static const char *conn_state(const struct flow *f)
{
    switch (key_proto(&f->key)) {
    case IPP_TCP:
        return tcp_conn_state(f);
    case IPP_UDP:
        /* Zeek: the originator is always active; SF once the responder answered */
        return f->hist_bits & (1u << (H_D + H__COUNT)) ? "SF" : "S0";
    default:
        return "OTH";
    }
}

/* ---- emission --------------------------------------------------------------------------- */

static void piece_reset(struct flow *f)
{
    f->first_ns = f->last_ns = 0;
    memset(f->pkts, 0, sizeof f->pkts);
    memset(f->bytes, 0, sizeof f->bytes);
    memset(f->payload, 0, sizeof f->payload);
    f->syn = f->synack = f->fin = f->rst = 0;
    f->pos.len = 0;
    f->pos_prev = 0;
}

static void flow_emit(struct flow_table *ft, struct flow *f, int end, int last)
{
    struct session_rec r;

    r.id = f->id;
    r.piece = f->piece;
    r.last_piece = (uint8_t)last;
    r.first_ns = f->first_ns;
    r.last_ns = f->last_ns;
    r.ipver = key_ipver(&f->key);
    r.proto = key_proto(&f->key);
    addr_bytes(f->init_is_a ? f->key.a : f->key.b, r.src);
    addr_bytes(f->init_is_a ? f->key.b : f->key.a, r.dst);
    r.sport = f->sport;
    r.dport = f->dport;
    r.vlan[0] = key_u16(&f->key, 2);
    r.vlan[1] = key_u16(&f->key, 3);
    r.nvlan = key_nvlan(&f->key);
    memcpy(r.pkts, f->pkts, sizeof r.pkts);
    memcpy(r.bytes, f->bytes, sizeof r.bytes);
    memcpy(r.payload, f->payload, sizeof r.payload);
    memcpy(r.tcp_flags, f->tcp_flags, sizeof r.tcp_flags);
    r.syn = f->syn;
    r.synack = f->synack;
    r.fin = f->fin;
    r.rst = f->rst;
    memcpy(r.history, f->history, sizeof r.history);
    r.state = conn_state(f);
    r.end = end;
    memcpy(r.community_id, f->community_id, sizeof r.community_id);
    r.pos = f->pos.data;
    r.pos_len = f->pos.len;
    r.app = &f->app;
    r.app_name = NULL;
    r.recs = NULL;
    r.nrecs = 0;

    ft->st.pieces++;
    if (end >= 0 && end < FLOW_END__COUNT)
        ft->st.ended[end]++;
    if (last)
        ft->st.emitted++;
    if (ft->emit)
        ft->emit(ft->ctx, &r);
}

/* Emit the last piece of f and give it back to the pool. */
static void flow_finish(struct flow_table *ft, struct flow *f, int end)
{
    flow_emit(ft, f, end, 1);
    if (f->app && ft->app_free)
        ft->app_free(ft->ctx, &f->app);
    f->app = NULL;
    hash_unlink(ft, f);
    lru_unlink(ft, f);
    all_unlink(ft, f);
    ft->st.live--;
    flow_release(ft, f);
}

/* Emit the current piece and start the next one under the same id. */
static void flow_cut(struct flow_table *ft, struct flow *f)
{
    flow_emit(ft, f, FLOW_END_ACTIVE, 0);
    piece_reset(f);
    f->piece++;
}

/*
 * Make room for one session.  A closed session that is only lingering goes
 * first (it has ended anyway and is emitted with its own end); otherwise the
 * least recently active session of any class is evicted and counted.
 */
static void flow_evict_one(struct flow_table *ft)
{
    struct flow *v = lru_head(ft, FC_CLOSED);
    if (v) {
        flow_finish(ft, v, v->closed);
        return;
    }
    for (int c = 0; c < FC_CLOSED; c++) {
        struct flow *h = lru_head(ft, c);
        if (h && (!v || h->touch < v->touch))
            v = h;
    }
    if (v) {
        ft->st.evicted++;
        flow_finish(ft, v, FLOW_END_EVICTED);
    }
}

/* ---- public ----------------------------------------------------------------------------- */

struct flow_table *flow_table_new(const struct flow_cfg *cfg, uint64_t id_base, flow_emit_fn emit,
                                  void *ctx)
{
    struct flow_table *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    if (cfg)
        ft->cfg = *cfg;
    /* zero fields take their defaults, so callers can set only what they mean */
    if (!ft->cfg.max_flows)
        ft->cfg.max_flows = FLOW_DEF_MAX_FLOWS;
    if (!ft->cfg.max_bytes)
        ft->cfg.max_bytes = FLOW_DEF_MAX_BYTES;
    if (!ft->cfg.max_pos_bytes)
        ft->cfg.max_pos_bytes = FLOW_DEF_MAX_POS;
    if (ft->cfg.max_pos_bytes < FLOW_MIN_POS)
        ft->cfg.max_pos_bytes = FLOW_MIN_POS;
    if (ft->cfg.tcp_idle_ns <= 0)
        ft->cfg.tcp_idle_ns = 300 * FLOW_SEC;
    if (ft->cfg.tcp_closed_ns <= 0)
        ft->cfg.tcp_closed_ns = 5 * FLOW_SEC;
    if (ft->cfg.udp_idle_ns <= 0)
        ft->cfg.udp_idle_ns = 60 * FLOW_SEC;
    if (ft->cfg.other_idle_ns <= 0)
        ft->cfg.other_idle_ns = 60 * FLOW_SEC;
    if (ft->cfg.active_ns == 0)
        ft->cfg.active_ns = 600 * FLOW_SEC; /* < 0: no active timeout */

    ft->max_buckets = FLOW_BUCKETS_MIN;
    while (ft->max_buckets < ft->cfg.max_flows && ft->max_buckets < FLOW_BUCKETS_MAX)
        ft->max_buckets *= 2;
    ft->nbuckets = FLOW_BUCKETS_MIN;
    ft->buckets = calloc(ft->nbuckets, sizeof *ft->buckets);
    if (!ft->buckets) {
        free(ft);
        return NULL;
    }
    /* A secret seed keeps crafted captures from piling sessions into one chain. */
    if (getentropy(&ft->seed, sizeof ft->seed) != 0)
        ft->seed = UINT64_C(0x6b6f6e73656b6921);
    ft->next_id = id_base;
    ft->emit = emit;
    ft->ctx = ctx;
    return ft;
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft)
        return;
    for (struct flow *f = ft->all_head; f && ft->app_free; f = f->anext)
        if (f->app)
            ft->app_free(ft->ctx, &f->app);
    struct flow_slab *s = ft->slabs;
    while (s) {
        struct flow_slab *nx = s->next;
        for (size_t i = 0; i < s->n; i++)
            buf_release(&s->f[i].pos);
        free(s);
        s = nx;
    }
    free(ft->buckets);
    free(ft);
}

static uint64_t payload_of(const struct decoded *d)
{
    switch (d->proto) {
    case IPP_UDP:
        return d->payload_wire;
    default: {
        /* bytes after the IP header chain (per the IP length), minus the ICMP header */
        uint32_t hdr = d->l4_off >= d->l3_off ? d->l4_off - d->l3_off : 0;
        uint32_t n = d->l3_len > hdr ? d->l3_len - hdr : 0;
        if (d->proto == IPP_ICMP || d->proto == IPP_ICMP6)
            n = n > 8 ? n - 8 : 0;
        return n;
    }
    }
}

static struct flow *flow_create(struct flow_table *ft, const struct flow_key *k, uint64_t h,
                                const struct decoded *d, int sender_is_a)
{
    if (ft->st.live >= ft->cfg.max_flows)
        flow_evict_one(ft);
    struct flow *f = flow_alloc(ft);
    if (!f)
        return NULL;
    f->key = *k;
    f->hash = h;
    f->id = ++ft->next_id;
    f->touch = ft->clock + 1; /* the tick its first packet gets below */

    /* Who initiated: see the comment at the top. */
    int flip = 0;
    uint8_t proto = key_proto(k);
    if (proto == IPP_TCP) {
        uint8_t fl = d->tcp_flags;
        if (fl & TCPF_SYN)
            flip = (fl & TCPF_ACK) != 0;
        else
            flip = d->sport < 1024 && d->dport >= 1024;
    }
    f->init_is_a = (uint8_t)(flip ? !sender_is_a : sender_is_a);
    if (flip) {
        f->history[0] = '^';
        f->hist_len = 1;
    }
    if (proto == IPP_ICMP || proto == IPP_ICMP6) {
        f->sport = d->icmp_type;
        f->dport = d->icmp_code;
    } else {
        f->sport = key_u16(k, f->init_is_a ? 0 : 1);
        f->dport = key_u16(k, f->init_is_a ? 1 : 0);
    }
    uint8_t src[16], dst[16];
    addr_bytes(f->init_is_a ? k->a : k->b, src);
    addr_bytes(f->init_is_a ? k->b : k->a, dst);
    community_id_v1(0, key_ipver(k), proto, src, dst, f->sport, f->dport, f->community_id);

    size_t i = h & (ft->nbuckets - 1);
    f->hnext = ft->buckets[i];
    ft->buckets[i] = f;
    f->aprev = ft->all_tail;
    if (ft->all_tail)
        ft->all_tail->anext = f;
    else
        ft->all_head = f;
    ft->all_tail = f;
    lru_push(ft, f, proto == IPP_TCP ? FC_TCP : proto == IPP_UDP ? FC_UDP : FC_OTHER);

    ft->st.created++;
    if (++ft->st.live > ft->st.peak_live)
        ft->st.peak_live = ft->st.live;
    if (ft->st.live > ft->nbuckets && ft->nbuckets < ft->max_buckets)
        hash_grow(ft);
    return f;
}

void flow_table_set_app_free(struct flow_table *ft, flow_app_free_fn fn)
{
    ft->app_free = fn;
}

int flow_table_packet(struct flow_table *ft, const struct decoded *d, const struct pkt_ref *refs,
                      size_t nrefs, struct flow_hit *hit)
{
    if (!nrefs || (d->ipver != 4 && d->ipver != 6))
        return 0;
    int64_t now = refs[nrefs - 1].ts_ns;

    /* The key: lower (address, port) first. */
    int v6 = d->ipver == 6;
    int ported = d->proto == IPP_TCP || d->proto == IPP_UDP || d->proto == IPP_SCTP;
    uint64_t sp = ported ? d->sport : 0, dp = ported ? d->dport : 0;
    uint64_t sw[2], dw[2];
    addr_words(d->src, v6, sw);
    addr_words(d->dst, v6, dw);
    int sender_is_a = sw[0] != dw[0] ? sw[0] < dw[0] : sw[1] != dw[1] ? sw[1] < dw[1] : sp <= dp;
    uint8_t nvlan = d->nvlan > 2 ? 2 : d->nvlan;
    uint64_t vlans =
        (nvlan > 0 ? (uint64_t)d->vlan[0] << 32 : 0) | (nvlan > 1 ? (uint64_t)d->vlan[1] << 48 : 0);
    struct flow_key k;
    k.a[0] = sender_is_a ? sw[0] : dw[0];
    k.a[1] = sender_is_a ? sw[1] : dw[1];
    k.b[0] = sender_is_a ? dw[0] : sw[0];
    k.b[1] = sender_is_a ? dw[1] : sw[1];
    k.ports = (sender_is_a ? sp | dp << 16 : dp | sp << 16) | vlans;
    k.meta = nvlan | (uint64_t)d->ipver << 8 | (uint64_t)d->proto << 16;

    uint64_t h = key_hash(&k, ft->seed);
    struct flow *f = ft->buckets[h & (ft->nbuckets - 1)];
    while (f && (f->hash != h || !key_eq(&f->key, &k)))
        f = f->hnext;

    /*
     * A SYN from the initiator on a closed connection with a new ISN is a new
     * connection on a reused port; a retransmitted SYN (same ISN) is not.
     */
    if (f && f->closed && d->proto == IPP_TCP &&
        (d->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == TCPF_SYN &&
        sender_is_a == f->init_is_a && (!f->has_isn || d->seq != f->isn)) {
        flow_finish(ft, f, f->closed);
        f = NULL;
    }
    if (!f) {
        f = flow_create(ft, &k, h, d, sender_is_a);
        if (!f)
            return KS_ENOMEM;
    }
    int dir = sender_is_a == f->init_is_a ? 0 : 1;

    /* Active timeout: a long session is written in pieces. */
    if (ft->cfg.active_ns > 0 && (f->pkts[0] | f->pkts[1]) &&
        now - f->first_ns >= ft->cfg.active_ns)
        flow_cut(ft, f);

    for (size_t i = 0; i < nrefs; i++) {
        if (refs[i].pos == POS_NONE)
            goto counted; /* not stored: counted, no position to list */
        size_t before = f->pos.alloc, len0 = f->pos.len;
        uint64_t prev = f->pos_prev;
        int rc = pos_append(&f->pos, &f->pos_prev, refs[i].pos);
        if (rc == 0 && f->pos.len > ft->cfg.max_pos_bytes) {
            /* keep a piece's list within max_pos_bytes whatever slack struct buf allows */
            f->pos.len = len0;
            f->pos_prev = prev;
            rc = KS_ELIMIT;
        }
        if (rc == KS_ELIMIT && f->pos.len) {
            /* the position list is full: this piece is done */
            flow_cut(ft, f);
            prev = 0;
            rc = pos_append(&f->pos, &f->pos_prev, refs[i].pos);
        }
        ft->pos_alloc += f->pos.alloc - before;
        if (rc) {
            f->pos_prev = prev; /* keep the list decodable */
            return KS_ENOMEM;
        }
    counted:;
        int64_t ts = refs[i].ts_ns;
        if (!(f->pkts[0] | f->pkts[1])) {
            f->first_ns = f->last_ns = ts;
        } else {
            if (ts < f->first_ns)
                f->first_ns = ts;
            if (ts > f->last_ns)
                f->last_ns = ts;
        }
        f->pkts[dir]++;
        f->bytes[dir] += refs[i].wirelen;
    }

    if (d->proto == IPP_TCP) {
        f->payload[dir] += tcp_new_payload(f, dir, d);
        tcp_update(f, dir, d, d->payload_wire);
    } else {
        f->payload[dir] += payload_of(d);
        if (d->proto == IPP_UDP)
            hist_add(f, dir, H_D); /* Zeek marks every UDP packet as data */
    }

    /* Its place on the class list is fixed up lazily (lru_head); a close moves it now. */
    f->touch = ++ft->clock;
    if (now > f->last_act)
        f->last_act = now;
    if (f->closed && f->cls != FC_CLOSED) {
        lru_unlink(ft, f);
        lru_push(ft, f, FC_CLOSED);
    }
    /*
     * The memory bound: sessions plus their position lists.  Over it, the least
     * recently active sessions are emitted early (counted as evicted).
     */
    while (flow_held(ft) > ft->cfg.max_bytes && ft->st.live > 1) {
        uint64_t live = ft->st.live;
        flow_evict_one(ft);
        if (ft->st.live == live)
            break;
    }
    if (hit) {
        hit->app = &f->app;
        hit->dir = dir;
    }
    return 0;
}

static int64_t class_timeout(const struct flow_table *ft, int cls)
{
    switch (cls) {
    case FC_TCP:
        return ft->cfg.tcp_idle_ns;
    case FC_UDP:
        return ft->cfg.udp_idle_ns;
    case FC_CLOSED:
        return ft->cfg.tcp_closed_ns;
    default:
        return ft->cfg.other_idle_ns;
    }
}

void flow_table_expire(struct flow_table *ft, int64_t now_ns)
{
    /* Fixed class order, then LRU order inside a class: deterministic. */
    static const int order[FC__COUNT] = {FC_CLOSED, FC_TCP, FC_UDP, FC_OTHER};
    for (int i = 0; i < FC__COUNT; i++) {
        int cls = order[i];
        int64_t to = class_timeout(ft, cls);
        struct flow *f;
        while ((f = lru_head(ft, cls)) && now_ns - f->last_act >= to)
            flow_finish(ft, f, cls == FC_CLOSED ? f->closed : FLOW_END_IDLE);
    }
}

void flow_table_flush(struct flow_table *ft)
{
    /* Creation order; a closed session that was only lingering keeps its FIN/RST end. */
    struct flow *f;
    while ((f = ft->all_head))
        flow_finish(ft, f, f->closed ? f->closed : FLOW_END_EOF);
}

int64_t flow_table_oldest_ns(const struct flow_table *ft)
{
    int64_t oldest = INT64_MAX;
    for (const struct flow *f = ft->all_head; f; f = f->anext)
        if ((f->pkts[0] | f->pkts[1]) && f->first_ns < oldest)
            oldest = f->first_ns;
    return oldest;
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->st;
}

size_t flow_table_bytes(const struct flow_table *ft)
{
    return sizeof *ft + ft->nbuckets * sizeof *ft->buckets +
           ft->slab_count * sizeof(struct flow_slab) + ft->slab_flows * sizeof(struct flow) +
           ft->pos_alloc;
}

size_t flow_session_bytes(void)
{
    return sizeof(struct flow);
}
