/*
 * defrag.c — IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5) reassembly.
 *
 * The idea.  A datagram being reassembled keeps a sorted list of non-overlapping
 * pieces of its payload.  A new fragment only fills the holes between pieces that
 * are already there (first copy wins, the policy of most end hosts and of RFC 5722
 * minus its "drop the lot"): overlapped bytes are compared and counted, never
 * replaced.  A datagram is complete once the last fragment (MF/M clear) fixed its
 * length, the offset-0 fragment gave its header and the pieces cover every byte.
 *
 *   fragment:   | IP header (+ v6 headers before Fragment) | [Fragment hdr] | data |
 *   offset 0 ─┐        kept once as the datagram's header      data placed at offset
 *   result:     | header, length fixed, fragment info gone | data 0 … total |
 *
 * Bounds: every byte this module allocates (datagram records, headers, pieces and
 * ref arrays) is charged to `held`; above cfg.max_bytes the oldest datagram is given
 * up.  The number of datagrams is capped by the hash table size, each datagram by
 * cfg.max_frags frames and 65535 bytes of IP payload; packet time older than
 * cfg.timeout_ns ends a datagram.  Given-up datagrams go to the drop callback with
 * the refs of their frames so no frame is ever silently lost.
 *
 * Datagrams live in a chained hash table (seeded hash: the key is attacker-chosen)
 * and on one list in arrival order of their first fragment; the head of that list
 * is the oldest, for both timeout and memory eviction.  Capture time can step
 * backwards a little; a datagram whose first fragment is older than one in front of
 * it then waits until that one goes, which bounds the error by the disorder.
 */
#include "decode/defrag.h"

#include "core/err.h"
#include "core/rdr.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DEFRAG_DEF_MAX_BYTES ((size_t)64 << 20)
#define DEFRAG_DEF_TIMEOUT_NS (INT64_C(30) * 1000000000)
#define DEFRAG_DEF_MAX_FRAGS 256
/* Largest IP payload a length field can describe (v4 total length, v6 payload length). */
#define IP_MAX_LEN 65535u
/* Result buffer: a v4 datagram is at most 65535 bytes; a v6 one 40 + 65535. */
#define OUT_MAX (IP_MAX_LEN + 40)

struct frag_key {
    uint8_t ver, proto; /* proto only for v4 (RFC 791 keys on it; RFC 8200 does not) */
    uint16_t vlan;      /* outer VLAN: the same addresses in two VLANs are two hosts */
    uint32_t id;
    uint8_t src[16], dst[16];
};
_Static_assert(sizeof(struct frag_key) == 40, "frag_key must have no padding (memcmp)");

struct piece {
    struct piece *next; /* sorted by start */
    uint32_t start, len;
    uint8_t data[];
};

struct dgram {
    struct dgram *hnext;         /* hash chain */
    struct dgram *older, *newer; /* arrival list */
    struct frag_key key;
    uint32_t hash;
    int64_t first_ts;
    struct piece *pieces;
    uint32_t covered; /* payload bytes held (pieces never overlap) */
    uint32_t max_end; /* furthest byte any piece reaches */
    uint32_t total;   /* payload length, known once have_last */
    uint8_t have_last;
    uint8_t next_hdr; /* v6: Next Header of the offset-0 fragment's Fragment header */
    uint8_t *hdr;     /* header of the offset-0 fragment, NULL until it came */
    uint32_t hdr_len;
    uint32_t nh_pos; /* v6: where in hdr the "next header" pointing at 44 sits */
    struct pkt_ref *refs;
    uint32_t nrefs, refs_cap;
    size_t mem; /* bytes charged to df->held for this datagram */
};

struct defrag {
    struct defrag_cfg cfg;
    defrag_drop_fn drop;
    void *ctx;
    struct dgram **tab;
    uint32_t tab_mask;
    uint32_t count, max_count;
    uint64_t seed;
    struct dgram *oldest, *newest;
    size_t held;
    struct defrag_stats st;
    uint8_t *out;             /* result datagram, OUT_MAX bytes */
    struct pkt_ref *out_refs; /* refs of the last result (taken from its datagram) */
};

int64_t defrag_oldest_ns(const struct defrag *df)
{
    /* the arrival list is in order of each datagram's first fragment */
    return df->oldest ? df->oldest->first_ts : INT64_MAX;
}

/* ------------------------------------------------------------------ hash table */

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static uint32_t key_hash(const struct defrag *df, const struct frag_key *k)
{
    uint64_t h = df->seed, w;
    const uint8_t *b = (const uint8_t *)k;
    for (size_t i = 0; i < sizeof(*k); i += 8) {
        memcpy(&w, b + i, 8);
        h = mix64(h ^ w) + i;
    }
    return (uint32_t)mix64(h);
}

static struct dgram *dgram_find(struct defrag *df, const struct frag_key *k, uint32_t hash)
{
    for (struct dgram *g = df->tab[hash & df->tab_mask]; g; g = g->hnext)
        if (g->hash == hash && memcmp(&g->key, k, sizeof(*k)) == 0)
            return g;
    return NULL;
}

static void dgram_free(struct dgram *g)
{
    struct piece *p = g->pieces;
    while (p) {
        struct piece *n = p->next;
        free(p);
        p = n;
    }
    free(g->hdr);
    free(g->refs);
    free(g);
}

/* Take g out of the table and the arrival list and free it. */
static void dgram_remove(struct defrag *df, struct dgram *g)
{
    struct dgram **pp = &df->tab[g->hash & df->tab_mask];
    while (*pp != g)
        pp = &(*pp)->hnext;
    *pp = g->hnext;
    if (g->older)
        g->older->newer = g->newer;
    else
        df->oldest = g->newer;
    if (g->newer)
        g->newer->older = g->older;
    else
        df->newest = g->older;
    df->count--;
    df->held -= g->mem;
    dgram_free(g);
}

/* Give up on g: its frames go to the drop callback. */
static void dgram_drop(struct defrag *df, struct dgram *g)
{
    if (df->drop && g->nrefs)
        df->drop(df->ctx, g->refs, g->nrefs);
    dgram_remove(df, g);
}

static struct dgram *dgram_new(struct defrag *df, const struct frag_key *k, uint32_t hash,
                               int64_t ts)
{
    struct dgram *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->key = *k;
    g->hash = hash;
    g->first_ts = ts;
    g->mem = sizeof(*g);
    struct dgram **b = &df->tab[hash & df->tab_mask];
    g->hnext = *b;
    *b = g;
    g->older = df->newest;
    if (df->newest)
        df->newest->newer = g;
    else
        df->oldest = g;
    df->newest = g;
    df->count++;
    df->held += g->mem;
    return g;
}

static void charge(struct defrag *df, struct dgram *g, size_t n)
{
    g->mem += n;
    df->held += n;
}

/* ------------------------------------------------------------------ lifecycle */

struct defrag *defrag_new(const struct defrag_cfg *cfg, defrag_drop_fn drop, void *ctx)
{
    struct defrag *df = calloc(1, sizeof(*df));
    if (!df)
        return NULL;
    if (cfg)
        df->cfg = *cfg;
    if (!df->cfg.max_bytes)
        df->cfg.max_bytes = DEFRAG_DEF_MAX_BYTES;
    if (df->cfg.timeout_ns <= 0)
        df->cfg.timeout_ns = DEFRAG_DEF_TIMEOUT_NS;
    if (!df->cfg.max_frags)
        df->cfg.max_frags = DEFRAG_DEF_MAX_FRAGS;
    df->drop = drop;
    df->ctx = ctx;

    /* One bucket per 8 KiB of budget (a typical datagram in flight holds a few
     * KiB), at least 64, at most 64 Ki; up to two datagrams per bucket. */
    size_t nb = 64;
    while (nb < ((size_t)1 << 16) && nb * 8192 < df->cfg.max_bytes)
        nb <<= 1;
    df->tab = calloc(nb, sizeof(*df->tab));
    df->out = malloc(OUT_MAX);
    if (!df->tab || !df->out) {
        free(df->tab);
        free(df->out);
        free(df);
        return NULL;
    }
    df->tab_mask = (uint32_t)nb - 1;
    df->max_count = (uint32_t)nb * 2;
    if (getrandom(&df->seed, sizeof(df->seed), GRND_NONBLOCK) != (ssize_t)sizeof(df->seed))
        df->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)df;
    return df;
}

void defrag_free(struct defrag *df)
{
    if (!df)
        return;
    struct dgram *g = df->oldest;
    while (g) {
        struct dgram *n = g->newer;
        dgram_free(g);
        g = n;
    }
    free(df->tab);
    free(df->out);
    free(df->out_refs);
    free(df);
}

void defrag_expire(struct defrag *df, int64_t now_ns)
{
    /* "older than now - timeout", without overflowing on odd timestamps */
    if (now_ns < INT64_MIN + df->cfg.timeout_ns)
        return;
    int64_t limit = now_ns - df->cfg.timeout_ns;
    while (df->oldest && df->oldest->first_ts < limit) {
        df->st.timeouts++;
        dgram_drop(df, df->oldest);
    }
}

void defrag_flush(struct defrag *df)
{
    while (df->oldest)
        dgram_drop(df, df->oldest);
}

const struct defrag_stats *defrag_stats(const struct defrag *df)
{
    return &df->st;
}

size_t defrag_bytes_held(const struct defrag *df)
{
    return df->held;
}

/* ------------------------------------------------------------------ adding */

/*
 * Fill the holes of g in [s, s + len) from data; bytes already held win.  Sets
 * *overlap / *differ when some of the range was there already (and not equal).
 */
static int pieces_fill(struct defrag *df, struct dgram *g, uint32_t s, const uint8_t *data,
                       uint32_t len, int *overlap, int *differ)
{
    uint32_t e = s + len, cur = s;
    struct piece **pp = &g->pieces;

    while (cur < e) {
        struct piece *n = *pp;
        if (n && n->start + n->len <= cur) {
            pp = &n->next;
            continue;
        }
        if (n && n->start <= cur) {
            uint32_t oe = n->start + n->len < e ? n->start + n->len : e;
            *overlap = 1;
            if (memcmp(n->data + (cur - n->start), data + (cur - s), oe - cur) != 0)
                *differ = 1;
            cur = oe;
            pp = &n->next;
            continue;
        }
        uint32_t ge = n && n->start < e ? n->start : e;
        struct piece *q = malloc(sizeof(*q) + (ge - cur));
        if (!q)
            return KS_ENOMEM;
        q->start = cur;
        q->len = ge - cur;
        memcpy(q->data, data + (cur - s), ge - cur);
        q->next = n;
        *pp = q;
        pp = &q->next;
        g->covered += q->len;
        charge(df, g, sizeof(*q) + q->len);
        cur = ge;
    }
    if (e > g->max_end)
        g->max_end = e;
    return 0;
}

/*
 * Find in a v6 header (IPv6 header + extension headers that precede the Fragment
 * header, hdr_len bytes) the Next Header byte that names the Fragment header:
 * byte 6 of the IPv6 header, or byte 0 of the last extension header.
 */
static int ip6_find_nh(const uint8_t *h, uint32_t hdr_len, uint32_t *nh_pos)
{
    uint32_t pos = 40, at = 6;
    while (pos < hdr_len) {
        uint8_t t = h[at];
        uint32_t len;
        if (pos + 2 > hdr_len)
            return -1;
        len = t == 51 ? ((uint32_t)h[pos + 1] + 2) * 4 : ((uint32_t)h[pos + 1] + 1) * 8;
        at = pos;
        pos += len;
    }
    if (pos != hdr_len || h[at] != 44)
        return -1;
    *nh_pos = at;
    return 0;
}

static void ip4_checksum(uint8_t *h, uint32_t hl)
{
    uint32_t sum = 0;
    h[10] = h[11] = 0;
    for (uint32_t i = 0; i < hl; i += 2)
        sum += ld_u16be(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    h[10] = (uint8_t)(sum >> 8);
    h[11] = (uint8_t)sum;
}

/* Write the reassembled datagram of g into df->out and hand over its refs. */
static void dgram_build(struct defrag *df, struct dgram *g, struct defrag_result *res)
{
    uint8_t *o = df->out;
    memcpy(o, g->hdr, g->hdr_len);
    for (const struct piece *p = g->pieces; p; p = p->next)
        memcpy(o + g->hdr_len + p->start, p->data, p->len);
    uint32_t len = g->hdr_len + g->total;
    if (g->key.ver == 4) {
        /* Total length covers the whole datagram; keep DF, clear MF and the offset. */
        o[2] = (uint8_t)(len >> 8);
        o[3] = (uint8_t)len;
        o[6] &= 0x40;
        o[7] = 0;
        ip4_checksum(o, g->hdr_len);
    } else {
        /* Payload length = headers kept after the fixed 40 + the reassembled data;
         * the Fragment header is gone, so its predecessor now names what it named. */
        uint32_t pl = len - 40;
        o[4] = (uint8_t)(pl >> 8);
        o[5] = (uint8_t)pl;
        o[g->nh_pos] = g->next_hdr;
    }
    free(df->out_refs);
    df->out_refs = g->refs;
    res->ip = o;
    res->ip_len = len;
    res->refs = g->refs;
    res->nrefs = g->nrefs;
    g->refs = NULL;
    g->nrefs = 0;
}

static int bad(struct defrag *df)
{
    df->st.bad_fragments++;
    return KS_EFORMAT;
}

int defrag_add(struct defrag *df, const uint8_t *pkt, uint32_t caplen, const struct decoded *d,
               const struct pkt_ref *ref, struct defrag_result *res)
{
    df->st.fragments++;
    memset(res, 0, sizeof(*res));

    /*
     * Check what decode_packet() said against the frame itself: the header must be
     * captured, and so must all of the fragment's data, or the result would carry
     * bytes that were never seen.
     */
    uint64_t l3 = d->l3_off, hl = d->frag_hdr_len, data_off = d->l4_off;
    uint64_t dlen = d->payload_wire, start = d->frag_offset;
    uint64_t fixed; /* header bytes that count against the 65535 limit */
    if (d->ipver == 4) {
        if (hl < 20 || hl > 60 || data_off != l3 + hl)
            return bad(df);
        fixed = hl;
    } else if (d->ipver == 6) {
        if (hl < 40 || data_off != l3 + hl + 8)
            return bad(df);
        fixed = hl - 40;
    } else {
        return bad(df);
    }
    if (data_off + dlen > caplen || d->payload_len != dlen)
        return bad(df);
    /* Empty fragments carry nothing; all but the last must be whole 8-byte units
     * (RFC 8200 §4.5 makes that an error, RFC 791 fragments on 8-byte boundaries). */
    if (dlen == 0 || (d->frag_more && dlen % 8))
        return bad(df);
    if (fixed + start + dlen > IP_MAX_LEN) {
        df->st.too_big++;
        return KS_ELIMIT;
    }

    if (ref)
        defrag_expire(df, ref->ts_ns);

    struct frag_key k;
    memset(&k, 0, sizeof(k));
    k.ver = d->ipver;
    k.proto = d->ipver == 4 ? d->proto : 0;
    k.vlan = d->nvlan ? d->vlan[0] : 0;
    k.id = d->frag_id;
    memcpy(k.src, d->src, 16);
    memcpy(k.dst, d->dst, 16);
    uint32_t hash = key_hash(df, &k);
    struct dgram *g = dgram_find(df, &k, hash);

    uint32_t s = (uint32_t)start, e = (uint32_t)(start + dlen);
    if (g) {
        /* Consistency with what came before: one end, nothing past it. */
        if (g->have_last && (e > g->total || (!d->frag_more && e != g->total)))
            return bad(df);
        if (!d->frag_more && g->max_end > e)
            return bad(df);
        if (g->nrefs >= df->cfg.max_frags) {
            df->st.too_many_frags++;
            dgram_drop(df, g);
            return KS_ELIMIT;
        }
    } else {
        if (df->count >= df->max_count) { /* table full: a memory bound too */
            df->st.evicted_mem++;
            dgram_drop(df, df->oldest);
        }
        g = dgram_new(df, &k, hash, ref ? ref->ts_ns : 0);
        if (!g)
            return KS_ENOMEM;
    }

    /* The offset-0 fragment's header becomes the datagram's (first copy wins). */
    if (s == 0 && !g->hdr) {
        uint32_t nh_pos = 0;
        if (d->ipver == 6 && ip6_find_nh(pkt + l3, (uint32_t)hl, &nh_pos) < 0)
            goto bad_new;
        if (g->have_last && fixed + g->total > IP_MAX_LEN) {
            df->st.too_big++;
            if (!g->nrefs)
                dgram_remove(df, g);
            return KS_ELIMIT;
        }
        g->hdr = malloc(hl);
        if (!g->hdr)
            goto nomem;
        memcpy(g->hdr, pkt + l3, hl);
        g->hdr_len = (uint32_t)hl;
        g->nh_pos = nh_pos;
        g->next_hdr = d->proto;
        charge(df, g, hl);
    }
    if (g->hdr && g->hdr_len - (g->key.ver == 6 ? 40 : 0) + (uint64_t)e > IP_MAX_LEN) {
        df->st.too_big++;
        if (!g->nrefs)
            dgram_remove(df, g);
        return KS_ELIMIT;
    }

    if (g->nrefs == g->refs_cap) {
        uint32_t nc = g->refs_cap ? g->refs_cap * 2 : 4;
        if (nc > df->cfg.max_frags)
            nc = df->cfg.max_frags;
        struct pkt_ref *nr = realloc(g->refs, nc * sizeof(*nr));
        if (!nr)
            goto nomem;
        charge(df, g, (nc - g->refs_cap) * sizeof(*nr));
        g->refs = nr;
        g->refs_cap = nc;
    }

    int overlap = 0, differ = 0;
    if (pieces_fill(df, g, s, pkt + data_off, (uint32_t)dlen, &overlap, &differ) < 0)
        goto nomem;
    df->st.overlaps += (uint64_t)overlap;
    df->st.overlaps_differ += (uint64_t)differ;
    if (ref)
        g->refs[g->nrefs] = *ref;
    else
        memset(&g->refs[g->nrefs], 0, sizeof(g->refs[0]));
    g->nrefs++;
    if (!d->frag_more) {
        g->have_last = 1;
        g->total = e;
    }

    if (g->hdr && g->have_last && g->covered == g->total) {
        dgram_build(df, g, res);
        dgram_remove(df, g);
        df->st.datagrams++;
        return 1;
    }
    while (df->held > df->cfg.max_bytes && df->oldest) {
        df->st.evicted_mem++;
        dgram_drop(df, df->oldest);
    }
    return 0;

bad_new:
    if (!g->nrefs)
        dgram_remove(df, g);
    return bad(df);
nomem:
    if (!g->nrefs)
        dgram_remove(df, g);
    return KS_ENOMEM;
}
