/*
 * engine.c — probing, reassembly and parser dispatch per session (engine.h).
 *
 * A session's slot moves through these states:
 *
 *   PROBE ──(a parser claims it)──▶ ACTIVE ──(parser done)──▶ DONE
 *     │                               │ proto_switch()
 *     └──(no parser after PROTO_PROBE_CHUNKS chunks)──▶ NONE   ▼ ACTIVE (other parser)
 *
 * In PROBE the ordered chunks of each direction are kept (up to
 * PROTO_PROBE_MAX bytes a direction) so the parser that wins sees the
 * session from its first byte.  In DONE and NONE the packets are not looked
 * at any more; the slot stays only for the records still to be written.
 */
#include "proto/engine.h"

#include "core/err.h"
#include "flow/reasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PS_PROBE, PS_ACTIVE, PS_DONE, PS_NONE };

#define MAX_PARSERS 64

struct proto_sess {
    uint8_t state;
    uint8_t l4;
    uint8_t chunks;    /* data chunks probed */
    uint8_t first_dir; /* direction whose bytes came first (replay order) */
    uint8_t best;      /* best PROTO_PORT candidate + 1 while probing, 0 = none */
    const struct proto_parser *p;
    const char *name; /* of the first parser that claimed the session (kept after it is done) */
    void *st;
    struct proto_ctx ctx;
    uint8_t cli[16], srv[16];
    struct buf probe[2];
    struct reasm_dir rd[2];
    struct proto_out out;
    struct proto_engine *e;
};

struct proto_engine {
    struct proto_engine_cfg cfg;
    const struct proto_parser *parsers[MAX_PARSERS];
    size_t nparsers;
    size_t live; /* sessions holding parser state or reassembly */
    /* the slot shared by every session with nothing to parse and nothing found: most of a
       busy link (not TCP/UDP, no parser wanted it, the engine full) costs no memory here */
    struct proto_sess *none;
    struct reasm_budget rb;  /* out-of-order bytes held by every session together */
    struct proto_pool *pool; /* record buffers shared by every session's sink */
    uint64_t per_parser[MAX_PARSERS];
    struct proto_engine_stats st;
    /* anomaly totals of forgotten sessions */
    const char *anom_name[128];
    uint64_t anom_count[128];
    size_t nanom;
};

const struct proto_parser *proto_find(const char *name)
{
    for (size_t i = 0; proto_registry[i]; i++)
        if (strcmp(proto_registry[i]->name, name) == 0)
            return proto_registry[i];
    return NULL;
}

static int name_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len + (c ? 1 : 0);
    }
    return 0;
}

struct proto_engine *proto_engine_new(const struct proto_engine_cfg *cfg)
{
    struct proto_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (cfg)
        e->cfg = *cfg;
    if (!e->cfg.max_sessions)
        e->cfg.max_sessions = 200000;
    if (!e->cfg.max_recs)
        e->cfg.max_recs = 10000;
    if (!e->cfg.max_reasm_bytes)
        e->cfg.max_reasm_bytes = (size_t)256 << 20;
    e->rb.max = e->cfg.max_reasm_bytes;
    e->none = calloc(1, sizeof *e->none);
    e->pool = proto_pool_new();
    if (!e->none || !e->pool) {
        proto_pool_free(e->pool);
        free(e->none);
        free(e);
        return NULL;
    }
    e->none->e = e;
    e->none->state = PS_NONE;
    for (size_t i = 0; proto_registry[i] && e->nparsers < MAX_PARSERS; i++)
        if (!e->cfg.only || name_listed(e->cfg.only, proto_registry[i]->name))
            e->parsers[e->nparsers++] = proto_registry[i];
    return e;
}

void proto_engine_free(struct proto_engine *e)
{
    if (e) {
        free(e->none);
        proto_pool_free(e->pool);
    }
    free(e);
}

static void add_anomalies(struct proto_engine *e, const struct proto_out *o)
{
    for (size_t i = 0; i < o->nanom; i++) {
        size_t k = 0;
        while (k < e->nanom && strcmp(e->anom_name[k], o->anom_name[i]) != 0)
            k++;
        if (k == e->nanom) {
            if (e->nanom == sizeof e->anom_name / sizeof e->anom_name[0])
                continue;
            e->anom_name[e->nanom++] = o->anom_name[i];
        }
        e->anom_count[k] += o->anom_count[i];
    }
}

/* Free the parser and the reassembly, keep the records. */
static void sess_stop(struct proto_sess *s, int state)
{
    if (s->p) {
        if (s->p->release)
            s->p->release(s->st);
        free(s->st);
        s->st = NULL;
        s->p = NULL;
    }
    for (int d = 0; d < 2; d++) {
        s->e->st.reasm_gaps += s->rd[d].st.gaps;
        s->e->st.reasm_gap_bytes += s->rd[d].st.gap_bytes;
        s->e->st.reasm_overlaps_differ += s->rd[d].st.overlaps_differ;
        reasm_release(&s->rd[d]);
        buf_release(&s->probe[d]);
    }
    if (s->state == PS_PROBE || s->state == PS_ACTIVE)
        s->e->live--;
    s->state = (uint8_t)state;
}

static void feed(struct proto_sess *s, int dir, const uint8_t *d, size_t n);

static int parser_index(const struct proto_engine *e, const struct proto_parser *p)
{
    for (size_t i = 0; i < e->nparsers; i++)
        if (e->parsers[i] == p)
            return (int)i;
    return -1;
}

static int activate(struct proto_sess *s, const struct proto_parser *p)
{
    s->st = calloc(1, p->state_size ? p->state_size : 1);
    if (!s->st) {
        sess_stop(s, PS_NONE);
        return KS_ENOMEM;
    }
    s->p = p;
    if (!s->name)
        s->name = p->name;
    s->state = PS_ACTIVE;
    int i = parser_index(s->e, p);
    if (i >= 0)
        s->e->per_parser[i]++;
    s->e->st.parsed++;
    return 0;
}

/* The parser is done (returned 1) or asked for another parser. */
static void after_data(struct proto_sess *s, int rc)
{
    const char *sw = s->out.switch_to;
    s->out.switch_to = NULL;
    if (sw) {
        const struct proto_parser *np = proto_find(sw);
        if (s->p->end)
            s->p->end(s->st, &s->out, &s->ctx);
        if (s->p->release)
            s->p->release(s->st);
        free(s->st);
        s->st = NULL;
        s->p = NULL;
        s->e->st.switched++;
        if (np && activate(s, np) == 0)
            return;
        sess_stop(s, PS_DONE);
        return;
    }
    if (rc == 1) {
        if (s->p->end)
            s->p->end(s->st, &s->out, &s->ctx);
        sess_stop(s, PS_DONE);
    }
}

static void give(struct proto_sess *s, int dir, const uint8_t *d, size_t n)
{
    int rc = s->p->data(s->st, &s->out, &s->ctx, dir, d, n);
    after_data(s, rc);
}

/* Probe one chunk; activate a parser when one claims the session. */
static void probe(struct proto_sess *s, int dir, const uint8_t *d, size_t n)
{
    struct proto_engine *e = s->e;
    int best = -1, bestv = PROTO_NO;
    for (size_t i = 0; i < e->nparsers; i++) {
        const struct proto_parser *p = e->parsers[i];
        if (p->l4 && p->l4 != s->l4)
            continue;
        int v = p->probe(&s->ctx, dir, d, n);
        if (v > bestv) {
            bestv = v;
            best = (int)i;
            if (v == PROTO_CONTENT)
                break;
        }
    }
    if (!s->chunks++)
        s->first_dir = (uint8_t)dir;
    if (bestv == PROTO_PORT && !s->best)
        s->best = (uint8_t)(best + 1);
    const struct proto_parser *chosen = NULL;
    if (bestv == PROTO_CONTENT)
        chosen = e->parsers[best];
    else if (s->l4 == 17 && s->best) /* a datagram stands alone: the port is enough */
        chosen = e->parsers[s->best - 1];
    else if (s->chunks >= PROTO_PROBE_CHUNKS && s->best)
        chosen = e->parsers[s->best - 1];

    if (!chosen) {
        if (s->chunks >= PROTO_PROBE_CHUNKS) {
            sess_stop(s, PS_NONE);
            return;
        }
        if (s->l4 == 6) /* keep the chunk for the parser that may claim the session later */
            buf_append(&s->probe[dir], d, n);
        return;
    }
    if (activate(s, chosen))
        return;
    /* Replay what was held, first direction first, then this chunk. */
    struct buf held[2] = {s->probe[0], s->probe[1]};
    memset(s->probe, 0, sizeof s->probe);
    for (int k = 0; k < 2; k++) {
        int hd = k == 0 ? s->first_dir : !s->first_dir;
        if (held[hd].len && s->state == PS_ACTIVE)
            give(s, hd, held[hd].data, held[hd].len);
    }
    buf_release(&held[0]);
    buf_release(&held[1]);
    if (s->state == PS_ACTIVE)
        give(s, dir, d, n);
}

static void feed(struct proto_sess *s, int dir, const uint8_t *d, size_t n)
{
    if (s->state == PS_PROBE) {
        if (d)
            probe(s, dir, d, n);
        else /* a hole while probing: what was held no longer leads into what comes */
            buf_reset(&s->probe[dir]);
        return;
    }
    if (s->state != PS_ACTIVE)
        return;
    if (!d) {
        if (s->p->gap)
            s->p->gap(s->st, &s->out, &s->ctx, dir, n);
        return;
    }
    give(s, dir, d, n);
}

struct reasm_cb {
    struct proto_sess *s;
    int dir;
};

static void on_bytes(void *ctx, const uint8_t *d, size_t n)
{
    struct reasm_cb *cb = ctx;
    feed(cb->s, cb->dir, d, n);
}

static struct proto_sess *sess_new(struct proto_engine *e, const struct decoded *d, int dir)
{
    if (e->cfg.disabled || !e->nparsers || (d->proto != 6 && d->proto != 17))
        return e->none;
    if (e->live >= e->cfg.max_sessions) {
        e->st.skipped_full++;
        return e->none;
    }
    struct proto_sess *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->e = e;
    s->l4 = d->proto;
    proto_out_init(&s->out, e->cfg.max_recs);
    s->out.pool = e->pool;
    buf_init(&s->probe[0], PROTO_PROBE_MAX);
    buf_init(&s->probe[1], PROTO_PROBE_MAX);
    reasm_init(&s->rd[0]);
    reasm_init(&s->rd[1]);
    s->rd[0].budget = s->rd[1].budget = &e->rb;
    memcpy(s->cli, dir == 0 ? d->src : d->dst, 16);
    memcpy(s->srv, dir == 0 ? d->dst : d->src, 16);
    s->ctx.ipver = d->ipver;
    s->ctx.l4 = d->proto;
    s->ctx.cli_addr = s->cli;
    s->ctx.srv_addr = s->srv;
    s->ctx.cli_port = dir == 0 ? d->sport : d->dport;
    s->ctx.srv_port = dir == 0 ? d->dport : d->sport;
    s->state = PS_PROBE;
    e->live++;
    e->st.probed++;
    return s;
}

/* No parser wants the session and it holds nothing: trade it for the shared slot. */
static void sess_shrink(struct proto_engine *e, void **slot)
{
    struct proto_sess *s = *slot;
    if (s == e->none || s->state != PS_NONE || s->out.nrecs || s->out.nanom)
        return;
    /* sess_stop ran inside a reassembly callback, which may have touched the stream after */
    reasm_release(&s->rd[0]);
    reasm_release(&s->rd[1]);
    proto_out_release(&s->out);
    free(s);
    *slot = e->none;
}

void proto_engine_packet(struct proto_engine *e, void **slot, const struct decoded *d,
                         const uint8_t *base, int dir, int64_t ts_ns)
{
    struct proto_sess *s = *slot;
    if (!s) {
        s = sess_new(e, d, dir);
        if (!s)
            return;
        *slot = s;
    }
    if (s->state != PS_PROBE && s->state != PS_ACTIVE)
        return;
    s->ctx.ts_ns = ts_ns;
    const uint8_t *pl = base + d->payload_off;
    size_t n = d->payload_len;
    if (s->l4 == 6) {
        struct reasm_cb cb = {s, dir};
        reasm_segment(&s->rd[dir], d->seq, (d->tcp_flags & TCPF_SYN) != 0,
                      (d->tcp_flags & TCPF_FIN) != 0, pl, n, on_bytes, &cb);
    } else if (n) {
        feed(s, dir, pl, n);
    }
    if (s->state == PS_NONE)
        sess_shrink(e, slot);
}

struct proto_out *proto_engine_records(struct proto_engine *e, void **slot, int last)
{
    (void)e;
    struct proto_sess *s = *slot;
    if (!s)
        return NULL;
    if (last && (s->state == PS_ACTIVE || s->state == PS_PROBE)) {
        if (s->state == PS_ACTIVE && s->l4 == 6) {
            for (int d = 0; d < 2 && s->state == PS_ACTIVE; d++) {
                struct reasm_cb cb = {s, d};
                reasm_flush(&s->rd[d], on_bytes, &cb);
            }
        }
        if (s->state == PS_ACTIVE && s->p->end)
            s->p->end(s->st, &s->out, &s->ctx);
        sess_stop(s, PS_DONE);
    }
    return s->out.nrecs ? &s->out : NULL;
}

const char *proto_engine_name(void *slot)
{
    const struct proto_sess *s = slot;
    return s ? s->name : NULL;
}

void proto_engine_forget(struct proto_engine *e, void **slot)
{
    struct proto_sess *s = *slot;
    if (!s || s == e->none) {
        *slot = NULL;
        return;
    }
    sess_stop(s, PS_DONE);
    add_anomalies(e, &s->out);
    proto_out_release(&s->out);
    free(s);
    *slot = NULL;
}

const struct proto_engine_stats *proto_engine_stats(const struct proto_engine *e)
{
    return &e->st;
}

void proto_engine_counters(const struct proto_engine *e, proto_counter_fn fn, void *ctx)
{
    char name[64];
    for (size_t i = 0; i < e->nparsers; i++) {
        if (!e->per_parser[i])
            continue;
        snprintf(name, sizeof name, "proto.%s.sessions", e->parsers[i]->name);
        fn(ctx, name, e->per_parser[i]);
    }
    /* only what happened: a run without application traffic adds no lines to `stats` */
    const struct {
        const char *name;
        uint64_t v;
    } c[] = {
        {"proto.parsed", e->st.parsed},
        {"proto.skipped_full", e->st.skipped_full},
        {"proto.switched", e->st.switched},
        {"tcp.reasm.gaps", e->st.reasm_gaps},
        {"tcp.reasm.gap_bytes", e->st.reasm_gap_bytes},
        {"tcp.reasm.overlaps_differ", e->st.reasm_overlaps_differ},
        {"tcp.reasm.budget_refused", e->rb.refused},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (c[i].v)
            fn(ctx, c[i].name, c[i].v);
    for (size_t i = 0; i < e->nanom; i++)
        fn(ctx, e->anom_name[i], e->anom_count[i]);
}
