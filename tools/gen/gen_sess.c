/*
 * gen_sess.c — sessions as small state machines, and the mixes that make them.
 *
 * TCP (RFC 9293), as seen from a capture point next to the client:
 *
 *   client                server
 *     SYN ─────────────────▶            ST_SYN      (scan: stops here)
 *     ◀──────────── SYN,ACK             ST_SYNACK   (reject: RST,ACK instead, ST_REJ)
 *     ACK ─────────────────▶            ST_ACK3
 *     request segments ────▶            ST_SEND cur=0   ┐ one "exchange";
 *     ◀──── (ACK if slow)               ST_ACK          │ a session has nex of
 *     ◀──── response segments           ST_SEND cur=1   │ them (V_LONG: until
 *     ACK every 2nd segment ▶           ST_ACK          ┘ end_at)
 *     FIN,ACK ─▶ ◀─ FIN,ACK ─ ACK ─▶    ST_FIN1..3  (either side closes first)
 *     or RST,ACK ─▶                     ST_RST
 *
 * Sequence numbers follow RFC 9293 §3.4 exactly: SYN and FIN take one number,
 * every ACK acknowledges all the peer has sent.  Segments carry at most the
 * negotiated MSS (minus 12 bytes when both ends use RFC 7323 timestamps).
 *
 * UDP: one query and (usually) one answer; a large syslog datagram leaves as
 * 2–3 IP fragments.  ICMP: 1–4 echo request/reply pairs a second apart.
 *
 * Packet timing is in ns, at least 1 µs apart inside a session, so quantising
 * to µs (pcap) keeps each session strictly increasing.  Pacing uses payload +
 * a fixed 66 bytes, not the real frame length, so the link type never changes
 * timing: the same seed gives the same sessions on every --link and --format.
 */
#include "gen.h"

#include "core/err.h"

#include <stdlib.h>
#include <string.h>

enum {
    ST_SYN,
    ST_SYNACK,
    ST_ACK3,
    ST_SEND,
    ST_ACK,
    ST_FIN1,
    ST_FIN2,
    ST_FIN3,
    ST_RST,
    ST_REJ,
    ST_UDP_Q,
    ST_UDP_R,
    ST_FRAG,
    ST_ECHO_Q,
    ST_ECHO_R
};
enum { AFTER_MORE, AFTER_REQ, AFTER_RESP };

#define US 1000LL
#define MS 1000000LL
#define SEC 1000000000LL

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static const char *const kind_names[K__COUNT] = {"http",     "tls",     "dns",    "ntp",  "syslog",
                                                 "icmp",     "scan",    "reject", "ssh",  "smb",
                                                 "kerberos", "connect", "dcerpc", "ldap", "rdp"};

const char *gen_sess_kind_name(int kind)
{
    return kind >= 0 && kind < K__COUNT ? kind_names[kind] : "other";
}

const char *gen_sess_variant_name(int variant)
{
    static const char *const v[] = {"normal", "long", "reuse", "bulk", "upload"};
    return variant >= 0 && variant <= V_UPLOAD ? v[variant] : "normal";
}

const char *gen_sess_close_name(int close_how)
{
    return close_how == C_FIN ? "fin" : close_how == C_RST ? "rst" : "none";
}

static void later(struct sess *s, int64_t dt)
{
    s->t += dt < US ? US : dt;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* ------------------------------------------------------------------ exchanges */

static uint32_t pick(struct rng *r, const uint32_t range[2])
{
    return (uint32_t)gen_rng_logu(r, range[0], range[1]);
}

/* Message dir of the script's pair s->ex into m[dir] (planted sessions). */
static void script_msg(struct sess *s, int dir)
{
    const struct gen_script *sc = s->script;
    struct msg *m = &s->m[dir];
    uint32_t i = s->ex < sc->npairs ? s->ex : sc->npairs - 1;
    m->lit_len = 0;
    m->sent = 0;
    m->body_seed = 0;
    m->body_type = BODY_BLOB;
    m->body_len = sc->len[i][dir];
    m->blob = sc->data.p + sc->off[i][dir];
    if (sc->tail[i][dir]) {
        /* Script bytes up front (they fit: gen_script_end checks), pool bytes behind. */
        m->lit_len = m->body_len;
        memcpy(m->lit, m->blob, m->lit_len);
        m->body_type = BODY_RAW;
        m->body_len = sc->tail[i][dir];
        m->body_seed = (uint32_t)gen_rng_next(&s->rng);
        m->blob = NULL;
    }
}

static void begin_request(struct sess *s)
{
    struct msg *m = &s->m[0];
    if (s->script) {
        script_msg(s, 0);
        return;
    }
    if (s->kind == K_HTTP) {
        uint32_t body = s->variant == V_UPLOAD ? pick(&s->rng, s->req_size) : 0;
        gen_app_http_request(s, m, body, s->ex == 0);
        return;
    }
    /* K_TLS: exchange 0 is the handshake. */
    if (s->ex == 0)
        gen_app_tls_client_hello(s, m, 1);
    else
        gen_app_tls_data(s, m, pick(&s->rng, s->req_size), s->ex == 1);
}

static void begin_response(struct sess *s)
{
    struct msg *m = &s->m[1];
    if (s->script) {
        script_msg(s, 1);
        return;
    }
    if (s->kind == K_HTTP) {
        uint32_t body = s->variant == V_UPLOAD ? (uint32_t)gen_rng_range(&s->rng, 0, 400)
                                               : pick(&s->rng, s->resp_size);
        gen_app_http_response(s, m, body, s->ex == 0);
        return;
    }
    if (s->ex == 0)
        gen_app_tls_server_flight(s, m, (uint32_t)gen_rng_range(&s->rng, 2200, 5200));
    else
        gen_app_tls_data(s, m, pick(&s->rng, s->resp_size), 0);
}

static int64_t think_time(struct sess *s)
{
    if (s->srv->subnet)
        return (int64_t)gen_rng_logu(&s->rng, 150 * US, 20 * MS);
    return (int64_t)gen_rng_logu(&s->rng, 500 * US, 90 * MS);
}

static void next_exchange_or_close(struct sess *s)
{
    s->ex++;
    int more;
    int64_t idle;
    if (s->variant == V_LONG) {
        idle = (int64_t)gen_rng_range(&s->rng, 20 * SEC, 60 * SEC);
        more = s->t + idle < s->end_at;
    } else {
        idle = (int64_t)gen_rng_logu(&s->rng, 2 * MS, 3 * SEC);
        more = s->ex < s->nex;
    }
    if (more) {
        later(s, idle);
        begin_request(s);
        s->cur = 0;
        s->state = ST_SEND;
        return;
    }
    if (s->close_how == C_RST) {
        later(s, (int64_t)gen_rng_logu(&s->rng, 1 * MS, 500 * MS));
        s->state = ST_RST;
        return;
    }
    if (s->variant == V_LONG && s->t < s->end_at)
        later(s, s->end_at - s->t + (int64_t)gen_rng_below(&s->rng, 1000) * US);
    else
        later(s, (int64_t)gen_rng_logu(&s->rng, 1 * MS, 4 * SEC));
    s->state = ST_FIN1;
}

/* ------------------------------------------------------------------ steps */

static void seg(struct sess *s, struct pdesc *d, int dir, uint8_t flags)
{
    d->dir = (uint8_t)dir;
    d->flags = flags;
    d->seq = s->nxt[dir];
    d->ack = s->nxt[!dir];
    d->win = s->win[dir];
    d->opt = s->ts_ok ? OPT_TS : OPT_NONE;
}

static int tcp_step(struct sess *s, struct pdesc *d)
{
    switch (s->state) {
    case ST_SYN:
        d->dir = 0;
        d->flags = F_SYN;
        d->seq = s->isn[0];
        d->win = s->synwin[0];
        d->opt = s->scan_syn ? OPT_SCAN : OPT_SYN;
        s->nxt[0] = s->isn[0] + 1;
        if (s->kind == K_SCAN)
            return 0;
        s->state = s->kind == K_REJECT ? ST_REJ : ST_SYNACK;
        later(s, s->rtt);
        return 1;
    case ST_REJ:
        /* RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>. */
        d->dir = 1;
        d->flags = F_RST | F_ACK;
        d->seq = 0;
        d->ack = s->nxt[0];
        d->win = 0;
        d->opt = OPT_NONE;
        return 0;
    case ST_SYNACK:
        d->dir = 1;
        d->flags = F_SYN | F_ACK;
        d->seq = s->isn[1];
        d->ack = s->nxt[0];
        d->win = s->synwin[1];
        d->opt = OPT_SYNACK;
        s->nxt[1] = s->isn[1] + 1;
        s->state = ST_ACK3;
        later(s, (int64_t)gen_rng_range(&s->rng, 30 * US, 300 * US));
        return 1;
    case ST_ACK3:
        seg(s, d, 0, F_ACK);
        if (!s->nex) {
            /* A connect-only check (monitoring, connect scan): close right away. */
            s->state = s->close_how == C_RST ? ST_RST : ST_FIN1;
            later(s, (int64_t)gen_rng_range(&s->rng, 100 * US, 3 * MS));
            return 1;
        }
        begin_request(s);
        s->cur = 0;
        s->state = ST_SEND;
        later(s, (int64_t)gen_rng_range(&s->rng, 40 * US, 2 * MS));
        return 1;
    case ST_SEND: {
        int sd = s->cur;
        struct msg *m = &s->m[sd];
        uint32_t total = m->lit_len + m->body_len;
        uint32_t n = min_u32(s->mss, total - m->sent);
        seg(s, d, sd, (uint8_t)(F_ACK | (m->sent + n == total ? F_PSH : 0)));
        d->off = m->sent;
        d->len = n;
        s->nxt[sd] += n;
        m->sent += n;
        s->unacked[!sd]++;
        int64_t gap = (int64_t)(n + 66) * s->ns_per_byte;
        gap += (int64_t)gen_rng_below(&s->rng, (uint32_t)(gap / 8 + 1));
        if (m->sent < total) {
            if (s->unacked[!sd] >= 2) {
                /* Delayed ACK every second full segment (RFC 9293 §3.8.6.3). */
                int64_t delta = (int64_t)gen_rng_range(&s->rng, 8 * US, 60 * US);
                s->state = ST_ACK;
                s->acker = (uint8_t)!sd;
                s->after = AFTER_MORE;
                s->gap_left = gap - delta;
                later(s, delta);
            } else {
                later(s, gap);
            }
            return 1;
        }
        if (sd == 0) {
            int64_t think = think_time(s);
            if (think > 40 * MS || s->unacked[1] >= 2) {
                /* The server acks the request before its (slow) answer. */
                s->state = ST_ACK;
                s->acker = 1;
                s->after = AFTER_REQ;
                s->gap_left = think;
                later(s, s->rtt);
            } else {
                later(s, s->rtt + think);
                begin_response(s);
                s->cur = 1;
                s->state = ST_SEND;
            }
        } else {
            s->state = ST_ACK;
            s->acker = 0;
            s->after = AFTER_RESP;
            later(s, (int64_t)gen_rng_range(&s->rng, 15 * US, 200 * US));
        }
        return 1;
    }
    case ST_ACK:
        seg(s, d, s->acker, F_ACK);
        s->unacked[s->acker] = 0;
        if (s->after == AFTER_MORE) {
            s->state = ST_SEND;
            later(s, s->gap_left);
        } else if (s->after == AFTER_REQ) {
            later(s, s->gap_left);
            begin_response(s);
            s->cur = 1;
            s->state = ST_SEND;
        } else {
            next_exchange_or_close(s);
        }
        return 1;
    case ST_FIN1:
        seg(s, d, s->closer, F_FIN | F_ACK);
        s->nxt[s->closer]++;
        s->state = ST_FIN2;
        later(s, s->closer == 0 ? s->rtt : (int64_t)gen_rng_range(&s->rng, 50 * US, 800 * US));
        return 1;
    case ST_FIN2:
        seg(s, d, !s->closer, F_FIN | F_ACK);
        s->nxt[!s->closer]++;
        s->state = ST_FIN3;
        later(s, s->closer == 0 ? (int64_t)gen_rng_range(&s->rng, 15 * US, 200 * US) : s->rtt);
        return 1;
    case ST_FIN3:
        seg(s, d, s->closer, F_ACK);
        return 0;
    case ST_RST:
        seg(s, d, 0, F_RST | F_ACK);
        d->win = 0;
        return 0;
    default:
        return 0;
    }
}

static int udp_step(struct sess *s, struct pdesc *d)
{
    switch (s->state) {
    case ST_UDP_Q:
        if (s->script) {
            script_msg(s, 0);
            script_msg(s, 1);
            s->answered = s->m[1].body_len > 0;
        }
        d->dir = 0;
        d->len = s->m[0].lit_len + s->m[0].body_len;
        if (!s->answered)
            return 0;
        s->state = ST_UDP_R;
        later(s, s->rtt);
        return 1;
    case ST_UDP_R:
        d->dir = 1;
        d->len = s->m[1].lit_len + s->m[1].body_len;
        if (s->script && ++s->ex < s->nex) {
            /* The next datagram of a planted exchange (Kerberos: AS-REQ again). */
            s->state = ST_UDP_Q;
            later(s, (int64_t)gen_rng_logu(&s->rng, 200 * US, 5 * MS));
            return 1;
        }
        return 0;
    case ST_FRAG: {
        /* RFC 791 §2.3 / RFC 8200 §4.5: fragments carry multiples of 8 bytes. */
        uint32_t unit = s->ipver == 4 ? 1480 : 1448;
        uint32_t total = 8 + s->m[0].lit_len + s->m[0].body_len;
        uint32_t off = (uint32_t)s->fragi * unit;
        d->dir = 0;
        d->frag = 1;
        d->frag_off = off;
        d->frag_len = min_u32(unit, total - off);
        d->frag_more = off + d->frag_len < total;
        s->fragi++;
        later(s, (int64_t)gen_rng_range(&s->rng, 3 * US, 25 * US));
        return d->frag_more;
    }
    default:
        return 0;
    }
}

static int icmp_step(struct sess *s, struct pdesc *d)
{
    if (s->state == ST_ECHO_Q) {
        gen_app_icmp_data(s, s->t);
        d->dir = 0;
        d->seq = (uint32_t)s->rep + 1;
        d->len = s->m[0].lit_len;
        s->state = ST_ECHO_R;
        later(s, s->rtt);
        return 1;
    }
    d->dir = 1;
    d->seq = (uint32_t)s->rep + 1;
    d->len = s->m[1].lit_len;
    if (++s->rep >= s->reps)
        return 0;
    s->state = ST_ECHO_Q;
    later(s, 1 * SEC - s->rtt);
    return 1;
}

int gen_sess_step(struct sess *s, const struct world *w, const struct gen_cfg *c, struct pdesc *d)
{
    (void)w;
    memset(d, 0, sizeof(*d));
    d->ts = s->t - s->t % c->tq;
    int more;
    if (s->proto == 6)
        more = tcp_step(s, d);
    else if (s->proto == 17)
        more = udp_step(s, d);
    else
        more = icmp_step(s, d);
    if (!more)
        s->done = 1;
    return more;
}

/* ------------------------------------------------------------------ construction */

static struct sess *sess_alloc(struct rng *r, int64_t t, uint64_t *next_id)
{
    struct sess *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->id = (*next_id)++;
    gen_rng_split(r, &s->rng);
    s->t = t;
    return s;
}

void gen_sess_free(struct sess *s)
{
    free(s);
}

static void endpoints(struct sess *s, const struct gen_cfg *c, struct host *cli, struct host *srv,
                      int want_v6, uint8_t proto, uint16_t sport)
{
    struct rng *r = &s->rng;
    s->cli = cli;
    s->srv = srv;
    s->ipver = want_v6 && cli->has_v6 && srv->has_v6 ? 6 : 4;
    if (s->ipver == 4) {
        memcpy(s->caddr, cli->v4, 4);
        memcpy(s->saddr, srv->v4, 4);
    } else {
        memcpy(s->caddr, cli->v6, 16);
        memcpy(s->saddr, srv->v6, 16);
    }
    s->proto = proto == 1 && s->ipver == 6 ? 58 : proto;
    s->sport = sport;
    if (c->link == LINK_ETH) {
        s->nvlan = cli->nvlan;
        s->vlan[0] = cli->vlan[0];
        s->vlan[1] = cli->vlan[1];
    }
    s->ttl[0] = cli->ttl;
    s->ttl[1] = srv->ttl;
    s->flowlabel[0] = (uint32_t)gen_rng_range(r, 1, 0xfffff);
    s->flowlabel[1] = (uint32_t)gen_rng_range(r, 1, 0xfffff);
    s->ipid[0] = (uint16_t)gen_rng_next(r);
    s->ipid[1] = (uint16_t)gen_rng_next(r);
    s->tsbase[0] = (uint32_t)gen_rng_next(r);
    s->tsbase[1] = (uint32_t)gen_rng_next(r);
    if (srv->subnet) {
        s->rtt = (int64_t)gen_rng_logu(r, 150 * US, 3 * MS);
        s->ns_per_byte = (uint32_t)gen_rng_range(r, 8, 80); /* 100 Mbit/s .. 1 Gbit/s */
    } else {
        s->rtt = (int64_t)gen_rng_logu(r, 6 * MS, 160 * MS);
        s->ns_per_byte = (uint32_t)gen_rng_logu(r, 16, 400); /* 20 .. 500 Mbit/s */
    }
}

static void tcp_setup(struct sess *s)
{
    struct rng *r = &s->rng;
    const struct host *cli = s->cli, *srv = s->srv;
    s->isn[0] = (uint32_t)gen_rng_next(r);
    s->isn[1] = (uint32_t)gen_rng_next(r);
    s->ts_ok = cli->os != OS_WINDOWS && srv->os != OS_WINDOWS && s->kind != K_SCAN;
    uint16_t cmss = s->ipver == 4 ? 1460 : 1440;
    s->srv_mss = cmss;
    if (!srv->subnet && gen_rng_chance(r, 150))
        s->srv_mss = (uint16_t)(cmss - 80); /* tunnels / PPPoE on the far side */
    s->mss = (uint16_t)((s->srv_mss < cmss ? s->srv_mss : cmss) - (s->ts_ok ? 12 : 0));
    s->synwin[0] = cli->os == OS_MAC ? 65535 : 64240;
    s->synwin[1] = srv->os == OS_WINDOWS ? 65535 : srv->os == OS_NET ? 64240 : 65160;
    if (s->kind == K_SCAN)
        s->scan_syn = 1;
    if (s->scan_syn)
        s->synwin[0] = 1024;
    /* Scaled receive windows (RFC 7323 §2): far above what is ever in flight here. */
    s->win[0] = (uint16_t)(cli->os == OS_WINDOWS ? gen_rng_range(r, 1026, 4100)
                           : cli->os == OS_MAC   ? gen_rng_range(r, 2048, 8192)
                                                 : gen_rng_range(r, 502, 4000));
    s->win[1] = (uint16_t)(srv->os == OS_WINDOWS ? gen_rng_range(r, 256, 2050)
                                                 : gen_rng_range(r, 502, 2000));
    s->state = ST_SYN;
    s->close_how = s->kind == K_SCAN ? C_NONE : s->kind == K_REJECT ? C_RST : C_FIN;
}

static struct sess *new_tcp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                            uint64_t *id, struct host *cli, struct host *srv, uint16_t port,
                            int kind, int v6)
{
    (void)w;
    struct sess *s = sess_alloc(r, t, id);
    if (!s)
        return NULL;
    s->kind = (uint8_t)kind;
    endpoints(s, c, cli, srv, v6, 6, port);
    s->cport = gen_world_port(cli, &s->rng);
    s->profile = cli->os == OS_WINDOWS && cli->agent == 2 ? 3 : cli->agent;
    tcp_setup(s);
    return s;
}

/* A web session: TLS (port 443) or HTTP (port 80) with a plan of exchanges and sizes. */
static struct sess *new_web(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                            uint64_t *id, struct host *cli, struct host *srv, int kind, int variant,
                            int v6)
{
    struct sess *s = new_tcp(w, c, r, t, id, cli, srv, kind == K_TLS ? 443 : 80, kind, v6);
    if (!s)
        return NULL;
    struct rng *sr = &s->rng;
    s->variant = (uint8_t)variant;
    int tls = kind == K_TLS;
    s->req_size[0] = 120;
    s->req_size[1] = 1400;
    switch (variant) {
    case V_BULK:
        s->nex = (uint16_t)(tls ? 2 : 1);
        s->resp_size[0] = 512u << 10;
        s->resp_size[1] = 24u << 20;
        break;
    case V_UPLOAD:
        s->nex = (uint16_t)(tls ? 2 : 1);
        s->req_size[0] = 256u << 10;
        s->req_size[1] = 16u << 20;
        s->resp_size[0] = 30;
        s->resp_size[1] = 400;
        break;
    case V_LONG:
        s->nex = 2;
        s->req_size[0] = 40;
        s->req_size[1] = 600;
        s->resp_size[0] = 40;
        s->resp_size[1] = 1500;
        s->end_at = t + (int64_t)gen_rng_range(sr, 11 * 60, 40 * 60) * SEC;
        break;
    default:
        s->nex = (uint16_t)(tls ? gen_rng_range(sr, 2, 8) : gen_rng_range(sr, 1, 4));
        s->resp_size[0] = 200;
        s->resp_size[1] = c->mix == MIX_SMALL ? 6000 : 64u << 10;
        break;
    }
    if (variant == V_NORMAL && gen_rng_chance(sr, 50))
        s->close_how = C_RST; /* browsers abort connections they no longer need */
    if (kind == K_HTTP)
        gen_sess_note(s, ",\"requests\":%u", (unsigned)s->nex);
    return s;
}

static struct host *resolver(struct world *w, struct rng *r)
{
    return &w->resolver[gen_rng_chance(r, 800) ? 0 : 1];
}

/* A lookup of name by cli from srv (NULL: one of the world's resolvers). */
static struct sess *dns_from(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                             uint64_t *id, struct host *cli, struct host *srv, const char *name,
                             uint16_t qtype, const struct host *target, int nx, int v6)
{
    struct sess *s = sess_alloc(r, t, id);
    if (!s)
        return NULL;
    s->kind = K_DNS;
    endpoints(s, c, cli, srv ? srv : resolver(w, r), v6, 17, 53);
    s->cport = gen_world_port(cli, &s->rng);
    /* A cache hit answers in a millisecond; a miss waits for the recursion. */
    s->rtt = gen_rng_chance(&s->rng, 700) ? (int64_t)gen_rng_logu(&s->rng, 150 * US, 2 * MS)
                                          : (int64_t)gen_rng_logu(&s->rng, 5 * MS, 120 * MS);
    s->state = ST_UDP_Q;
    s->answered = 1;
    s->close_how = C_NONE;
    gen_app_dns(s, name, qtype, target, nx);
    return s;
}

static struct sess *new_dns(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                            uint64_t *id, struct host *cli, const char *name, uint16_t qtype,
                            const struct host *target, int nx, int v6)
{
    return dns_from(w, c, r, t, id, cli, NULL, name, qtype, target, nx, v6);
}

struct sess *gen_sess_scripted(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                               uint64_t *id, struct host *cli, struct host *srv, uint8_t proto,
                               uint16_t port, int kind, const struct gen_script *sc)
{
    struct sess *s;
    if (!sc->npairs || sc->data.err || sc->truth.err)
        return NULL;
    /* UDP messages leave whole, in one unfragmented IPv4 datagram (1500 - 20 - 8). */
    for (uint32_t i = 0; proto == 17 && i < sc->npairs; i++)
        if (sc->len[i][0] + sc->tail[i][0] > 1472 || sc->len[i][1] + sc->tail[i][1] > 1472)
            return NULL;
    if (proto == 6) {
        s = new_tcp(w, c, r, t, id, cli, srv, port, kind, 0);
        if (!s)
            return NULL;
    } else {
        s = sess_alloc(r, t, id);
        if (!s)
            return NULL;
        s->kind = (uint8_t)kind;
        endpoints(s, c, cli, srv, 0, 17, port);
        s->cport = gen_world_port(cli, &s->rng);
        s->state = ST_UDP_Q;
        s->close_how = C_NONE;
    }
    s->script = sc;
    s->nex = (uint16_t)sc->npairs;
    s->variant = V_NORMAL;
    return s;
}

/* An NTP poll of srv (NULL: one of the world's pool servers). */
static struct sess *ntp_from(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                             uint64_t *id, struct host *cli, struct host *srv)
{
    struct sess *s = sess_alloc(r, t, id);
    if (!s)
        return NULL;
    s->kind = K_NTP;
    endpoints(s, c, cli, srv ? srv : &w->ntp[gen_rng_below(r, 3)], 0, 17, 123);
    /*
     * chrony and systemd-timesyncd send from an ephemeral port.  (Windows w32time uses 123,
     * but then two polls would share a 5-tuple; the truth stays unambiguous this way.)
     */
    s->cport = gen_world_port(cli, &s->rng);
    s->state = ST_UDP_Q;
    s->answered = (uint8_t)gen_rng_chance(&s->rng, 900);
    s->close_how = C_NONE;
    gen_app_ntp(s, t);
    return s;
}

static struct sess *new_ntp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                            uint64_t *id, struct host *cli)
{
    return ntp_from(w, c, r, t, id, cli, NULL);
}

static struct sess *new_syslog(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                               uint64_t *id, struct host *cli, int v6, uint32_t size)
{
    struct sess *s = sess_alloc(r, t, id);
    if (!s)
        return NULL;
    s->kind = K_SYSLOG;
    endpoints(s, c, cli, &w->syslog, v6, 17, 514);
    s->cport = gen_world_port(cli, &s->rng);
    s->close_how = C_NONE;
    gen_app_syslog(s, size, t);
    uint32_t unit = s->ipver == 4 ? 1480 : 1448;
    uint32_t total = 8 + s->m[0].lit_len + s->m[0].body_len;
    if (total > unit) {
        s->state = ST_FRAG;
        s->nfrags = (uint8_t)((total + unit - 1) / unit);
    } else {
        s->state = ST_UDP_Q;
    }
    return s;
}

/* Syslog payload that leaves in exactly nfrags fragments. */
static uint32_t frag_size(struct rng *r, int v6, int nfrags)
{
    uint32_t unit = v6 ? 1448 : 1480;
    return (uint32_t)gen_rng_range(r, unit * (uint32_t)(nfrags - 1) - 8 + 200,
                                   unit * (uint32_t)nfrags - 8 - 50);
}

static struct sess *new_icmp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                             uint64_t *id, struct host *cli, struct host *dst, int v6, int reps)
{
    (void)w;
    struct sess *s = sess_alloc(r, t, id);
    if (!s)
        return NULL;
    s->kind = K_ICMP;
    endpoints(s, c, cli, dst, v6, 1, 0);
    s->cport = (uint16_t)gen_rng_range(&s->rng, 1, 65535); /* echo identifier */
    s->sport = 0;
    s->reps = (uint16_t)reps;
    s->state = ST_ECHO_Q;
    s->close_how = C_NONE;
    gen_sess_note(s, ",\"icmp_id\":%u,\"echo\":%d", (unsigned)s->cport, reps);
    return s;
}

/* ------------------------------------------------------------------ for other scenarios */

struct sess *gen_sess_tcp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv, uint16_t port, int kind)
{
    return new_tcp(w, c, r, t, id, cli, srv, port, kind, 0);
}

struct sess *gen_sess_web(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv, int kind, int variant)
{
    return new_web(w, c, r, t, id, cli, srv, kind, variant, 0);
}

struct sess *gen_sess_dns(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv, const char *name,
                          uint16_t qtype, const struct host *target, int nx)
{
    return dns_from(w, c, r, t, id, cli, srv, name, qtype, target, nx, 0);
}

struct sess *gen_sess_ntp(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                          uint64_t *id, struct host *cli, struct host *srv)
{
    return ntp_from(w, c, r, t, id, cli, srv);
}

struct sess *gen_sess_reuse_next(struct sess *done, const struct gen_cfg *c, uint64_t id)
{
    (void)c;
    if (done->variant != V_REUSE || !done->reuse_left)
        return NULL;
    struct sess *s = malloc(sizeof(*s));
    if (!s)
        return NULL;
    *s = *done;
    s->id = id;
    gen_rng_split(&done->rng, &s->rng);
    s->reuse_left = 0;
    s->done = 0;
    s->note_len = 0;
    s->note[0] = 0;
    memset(&s->st, 0, sizeof(s->st));
    memset(s->unacked, 0, sizeof(s->unacked));
    s->ex = 0;
    s->m[0].lit_len = s->m[1].lit_len = 0;
    s->t = done->t + (int64_t)gen_rng_range(&s->rng, 1 * SEC, 30 * SEC);
    if (done->want_ok)
        s->t = done->t + 2 * SEC;
    s->isn[0] = (uint32_t)gen_rng_next(&s->rng);
    s->isn[1] = (uint32_t)gen_rng_next(&s->rng);
    s->state = ST_SYN;
    if (s->kind == K_HTTP)
        gen_sess_note(s, ",\"requests\":%u", (unsigned)s->nex);
    return s;
}

/* ------------------------------------------------------------------ mixes */

enum tmpl {
    T_TLS,
    T_HTTP,
    T_INTRANET,
    T_TLS_BULK,
    T_HTTP_BULK,
    T_UPLOAD,
    T_LONG,
    T_DNS,
    T_ICMP,
    T_NTP,
    T_REJECT,
    T_SCAN,
    T_REUSE,
    T_FRAG,
    T_SYSLOG,
    T__COUNT
};

/*
 * Arrivals per 10,000, by mix.  Sessions are mostly DNS and other small ones;
 * bytes come mostly from the few bulk transfers (default: ~95% of bytes in
 * full-size TCP segments, an average frame of ~800 bytes).
 */
static const uint16_t weights[3][T__COUNT] = {
    /*              TLS  HTTP INTR TBLK HBLK UPL LONG  DNS  ICMP NTP  REJ  SCAN REUSE FRAG SYSL */
    [MIX_DEFAULT] = {500, 60, 80, 10, 4, 2, 3, 7400, 900, 300, 250, 3, 20, 8, 460},
    [MIX_BULK] = {1500, 500, 0, 4000, 2000, 1000, 0, 1000, 0, 0, 0, 0, 0, 0, 0},
    [MIX_SMALL] = {1000, 600, 400, 0, 0, 0, 0, 4500, 1200, 800, 600, 100, 200, 100, 500},
};

static const uint16_t closed_ports[] = {22,   23,   135,  139,  445,  1433, 3306,
                                        3389, 5900, 5985, 8080, 8443, 9100};

int gen_sess_push(gen_push_fn push, void *ctx, struct sess *s)
{
    if (!s)
        return KS_ENOMEM;
    int rc = push(ctx, s);
    if (rc)
        gen_sess_free(s);
    return rc;
}

/* A lookup of srv's name shortly before connecting to it; returns when the answer arrives. */
static int lookup_first(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t *t,
                        uint64_t *id, struct host *cli, struct host *srv, int v6, gen_push_fn push,
                        void *ctx)
{
    struct sess *d = new_dns(w, c, r, *t, id, cli, srv->name, v6 ? 28 : 1, srv, 0, 0);
    if (!d)
        return KS_ENOMEM;
    int64_t answer = d->t + d->rtt;
    int rc = gen_sess_push(push, ctx, d);
    *t = answer + (int64_t)gen_rng_range(r, 100 * US, 3 * MS);
    return rc;
}

int gen_spawn_mix(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                  uint64_t *next_id, gen_push_fn push, void *ctx)
{
    const uint16_t *wt = weights[c->mix];
    uint32_t x = gen_rng_below(r, 10000), acc = 0;
    int tp = 0;
    for (tp = 0; tp < T__COUNT - 1; tp++) {
        acc += wt[tp];
        if (x < acc)
            break;
    }
    struct host *cli = &w->clients[gen_rng_below(r, w->nclients)];
    int v6 = gen_rng_chance(r, 250);
    /*
     * Flow tables key ICMP by addresses alone, so two pings between the same hosts
     * less than an idle timeout apart are one session there.  Keep a host's pings two
     * minutes apart (else this arrival becomes a DNS lookup) so each truth line is one
     * session for any consumer with an idle timeout up to 120 s.
     */
    if (tp == T_ICMP && t < cli->quiet_until)
        tp = T_DNS;
    struct sess *s = NULL;
    int rc;
    switch (tp) {
    case T_TLS:
    case T_TLS_BULK:
    case T_UPLOAD:
    case T_LONG: {
        struct host *srv =
            tp == T_UPLOAD ? &w->web[gen_rng_below(r, 20)] : &w->web[gen_rng_popular(r, w->nweb)];
        int variant = tp == T_TLS_BULK ? V_BULK
                      : tp == T_UPLOAD ? V_UPLOAD
                      : tp == T_LONG   ? V_LONG
                                       : V_NORMAL;
        if (gen_rng_chance(r, 500) &&
            (rc = lookup_first(w, c, r, &t, next_id, cli, srv, v6 && cli->has_v6 && srv->has_v6,
                               push, ctx)))
            return rc;
        s = new_web(w, c, r, t, next_id, cli, srv, K_TLS, variant, v6);
        break;
    }
    case T_HTTP:
    case T_HTTP_BULK: {
        struct host *srv = &w->plain[gen_rng_popular(r, w->nplain)];
        if (gen_rng_chance(r, 500) &&
            (rc = lookup_first(w, c, r, &t, next_id, cli, srv, v6 && cli->has_v6 && srv->has_v6,
                               push, ctx)))
            return rc;
        s = new_web(w, c, r, t, next_id, cli, srv, K_HTTP, tp == T_HTTP_BULK ? V_BULK : V_NORMAL,
                    v6);
        break;
    }
    case T_INTRANET:
        s = new_web(w, c, r, t, next_id, cli, &w->intranet, K_HTTP, V_NORMAL, v6);
        break;
    case T_REUSE:
        s = new_web(w, c, r, t, next_id, cli, &w->intranet, K_HTTP, V_REUSE, v6);
        if (s) {
            s->nex = 1;
            s->note_len = 0;
            gen_sess_note(s, ",\"requests\":1");
            s->reuse_left = 1;
            s->close_how = C_FIN;
        }
        break;
    case T_DNS: {
        int nx = gen_rng_chance(r, 50);
        char name[64];
        struct host *target = &w->web[gen_rng_popular(r, w->nweb)];
        if (nx) {
            /* Random-looking labels: typos, DGA-like lookups, dead links. */
            static const char *const tld[] = {"com", "net", "info", "biz", "xyz"};
            int l = (int)gen_rng_range(r, 7, 16);
            for (int i = 0; i < l; i++)
                name[i] = (char)('a' + gen_rng_below(r, 26));
            snprintf(name + l, sizeof(name) - (size_t)l, ".%s", tld[gen_rng_below(r, 5)]);
        } else {
            snprintf(name, sizeof(name), "%s", target->name);
        }
        uint16_t qtype = gen_rng_chance(r, 300) ? 28 : 1;
        s = new_dns(w, c, r, t, next_id, cli, name, qtype, target, nx, v6);
        break;
    }
    case T_ICMP: {
        uint32_t p = gen_rng_below(r, 10);
        struct host *dst = p < 3   ? &w->intranet
                           : p < 5 ? &w->resolver[0]
                           : p < 6 ? &w->router
                                   : &w->web[gen_rng_popular(r, w->nweb)];
        int reps = (int)gen_rng_range(r, 1, 4);
        s = new_icmp(w, c, r, t, next_id, cli, dst, v6, reps);
        cli->quiet_until = t + (reps + 120) * SEC;
        break;
    }
    case T_NTP:
        s = new_ntp(w, c, r, t, next_id, cli);
        break;
    case T_REJECT: {
        struct host *dst =
            gen_rng_chance(r, 500) ? &w->intranet : &w->web[gen_rng_popular(r, w->nweb)];
        s = new_tcp(w, c, r, t, next_id, cli, dst,
                    closed_ports[gen_rng_below(r, sizeof(closed_ports) / 2)], K_REJECT, v6);
        break;
    }
    case T_SCAN: {
        /* nmap -sS style: one source port, a burst of ports; closed ones answer RST. */
        struct host *sc = &w->clients[w->scanner];
        struct host *dst =
            gen_rng_chance(r, 500) ? &w->syslog : &w->clients[gen_rng_below(r, w->nclients)];
        if (dst == sc)
            dst = &w->syslog;
        uint16_t sport = gen_world_port(sc, r);
        uint32_t n = (uint32_t)gen_rng_range(r, 10, 60);
        uint32_t base = (uint32_t)gen_rng_range(r, 1, 900);
        for (uint32_t i = 0; i < n; i++) {
            int closed = gen_rng_chance(r, 300);
            struct sess *p = new_tcp(w, c, r, t, next_id, sc, dst,
                                     (uint16_t)(base + i * 7 + gen_rng_below(r, 7)),
                                     closed ? K_REJECT : K_SCAN, 0);
            if (!p)
                return KS_ENOMEM;
            p->cport = sport;
            p->scan_syn = 1;
            p->synwin[0] = 1024;
            p->ts_ok = 0;
            if ((rc = gen_sess_push(push, ctx, p)))
                return rc;
            t += (int64_t)gen_rng_range(r, 40 * US, 600 * US);
        }
        return 0;
    }
    case T_FRAG: {
        int nf = (int)gen_rng_range(r, 2, 3);
        s = new_syslog(w, c, r, t, next_id, cli, v6, frag_size(r, v6 && cli->has_v6, nf));
        break;
    }
    default: /* T_SYSLOG: one small message */
        s = new_syslog(w, c, r, t, next_id, cli, v6, (uint32_t)gen_rng_range(r, 80, 600));
        break;
    }
    return gen_sess_push(push, ctx, s);
}

/* ------------------------------------------------------------------ fixed scenarios */

static struct host *first_client(struct world *w, uint8_t subnet, int need_v6, uint32_t skip)
{
    for (uint32_t i = 0; i < w->nclients; i++) {
        struct host *h = &w->clients[i];
        if (h->subnet == subnet && (!need_v6 || h->has_v6) && skip-- == 0)
            return h;
    }
    return &w->clients[0];
}

static struct host *first_v6_web(struct world *w)
{
    for (uint32_t i = 0; i < w->nweb; i++)
        if (w->web[i].has_v6)
            return &w->web[i];
    return &w->web[0];
}

static void fixed_sizes(struct sess *s, uint32_t req, uint32_t resp, uint16_t nex)
{
    s->nex = nex;
    s->req_size[0] = s->req_size[1] = req;
    s->resp_size[0] = s->resp_size[1] = resp;
    s->close_how = C_FIN;
    s->want_ok = 1;
    if (s->kind == K_HTTP) {
        s->note_len = 0;
        gen_sess_note(s, ",\"requests\":%u", (unsigned)nex);
    }
}

int gen_spawn_scenario(const char *name, struct world *w, const struct gen_cfg *c, struct rng *r,
                       int64_t t, uint64_t *id, gen_push_fn push, void *ctx)
{
    struct sess *s;
    int rc;
    if (strcmp(name, "basic") == 0) {
        struct host *c1 = first_client(w, 1, 0, 0), *c2 = first_client(w, 1, 0, 1);
        struct host *c3 = first_client(w, 1, 0, 2), *c6 = first_client(w, 1, 1, 0);
        struct host *cv = first_client(w, 4, 0, 0), *c4 = first_client(w, 1, 0, 3);
        struct host *c5 = first_client(w, 1, 0, 4);
        /* 1. HTTP over IPv4, one GET, a 2,000-byte answer. */
        s = new_web(w, c, r, t, id, c1, &w->plain[2], K_HTTP, V_NORMAL, 0);
        if (s)
            fixed_sizes(s, 0, 2000, 1);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 2. DNS A lookup, overlapping the HTTP handshake. */
        s = new_dns(w, c, r, t + 500 * US, id, c2, w->web[0].name, 1, &w->web[0], 0, 0);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 3. One ICMP echo request / reply. */
        s = new_icmp(w, c, r, t + 1 * SEC, id, c3, &w->intranet, 0, 1);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 4. TLS over IPv6: handshake + one request / 3,000-byte response. */
        s = new_web(w, c, r, t + 2 * SEC, id, c6, first_v6_web(w), K_TLS, V_NORMAL, 1);
        if (s)
            fixed_sizes(s, 300, 3000, 2);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 5. HTTP from VLAN 42 to the intranet server. */
        s = new_web(w, c, r, t + 3 * SEC, id, cv, &w->intranet, K_HTTP, V_NORMAL, 0);
        if (s)
            fixed_sizes(s, 0, 600, 1);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 6. A connection to a closed port: SYN, RST+ACK. */
        s = new_tcp(w, c, r, t + 4 * SEC, id, c4, &w->intranet, 3389, K_REJECT, 0);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 7. Port reuse: the same 5-tuple again 2 s after a FIN close. */
        s = new_web(w, c, r, t + 5 * SEC, id, c4, &w->intranet, K_HTTP, V_REUSE, 0);
        if (s) {
            fixed_sizes(s, 0, 300, 1);
            s->reuse_left = 1;
        }
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
        /* 8. A syslog datagram in two IPv4 fragments. */
        s = new_syslog(w, c, r, t + 12 * SEC, id, c5, 0, 2400);
        return gen_sess_push(push, ctx, s);
    }
    if (strcmp(name, "plant") == 0)
        return gen_plant_spawn(w, c, r, t, id, push, ctx);
    if (strcmp(name, "long") == 0) {
        s = new_web(w, c, r, t, id, first_client(w, 1, 0, 0), &w->web[0], K_TLS, V_LONG, 0);
        if (s)
            s->end_at = t + 35 * 60 * SEC;
        return gen_sess_push(push, ctx, s);
    }
    if (strcmp(name, "frag") == 0) {
        struct host *cl = first_client(w, 1, 1, 0);
        for (int i = 0; i < 4; i++) {
            int v6 = i >= 2, nf = 2 + (i & 1);
            s = new_syslog(w, c, r, t + i * SEC, id, cl, v6, frag_size(r, v6, nf));
            if ((rc = gen_sess_push(push, ctx, s)))
                return rc;
        }
        return 0;
    }
    return KS_EINVAL;
}
