/*
 * h_httpclient.c — the `http-client` analysis: scripted or rare HTTP clients.  Download
 * cradles and living-off-the-land tools announce themselves in cleartext HTTP: PowerShell's
 * Invoke-WebRequest ("WindowsPowerShell/5.1"), BITS jobs ("Microsoft BITS/7.8"), certutil
 * -urlcache ("Microsoft-CryptoAPI/10.0"), curl, wget, python, Go, rclone, or no User-Agent at
 * all; and a User-Agent that only one host sends is worth a look whatever it says.
 *
 * Per day file, one query streams the HTTP records (request/response pairs) of the sessions of
 * the range with their User-Agent, URI, host and method.  Two maps: per User-Agent, its internal
 * clients (up to max_hosts + 1, the stack count); per (User-Agent, client), what it did
 * (requests, sessions, servers, the most telling URI, how many requests were PKI fetches —
 * CRL/OCSP/certificates — and how many fetched a script or executable).
 *
 * Score of a (User-Agent, client), in [0, 1] (tlsweb.c classifies the agent):
 *   base      PowerShell 0.9, certutil 0.85 (0.1 when every request was a CRL/OCSP/certificate
 *             fetch — by path, or a server named ocsp…/crl…: Windows does that by itself), rclone
 * 0.85, python 0.65, curl/wget 0.6, BITS 0.55, Go 0.55, empty 0.5, other rare agents 0.4; browsers
 * and OS agents 0 common    × 0.5 for a tool's agent sent by more than max_hosts internal hosts
 * (admin scripts, monitoring), except CryptoAPI's, which every Windows host sends; an unknown agent
 * that common scores 0 internal  × 0.7 when every server was internal payload   + 0.1 when a
 * request fetched a script/executable (.ps1 .exe .dll .hta …) Results under min_score are not
 * emitted.
 */
#include "hunt/hunt.h"
#include "hunt/netlib.h"
#include "hunt/tlsweb.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HC_HOSTS_MAX 8
#define HC_EV 12
#define HC_UA_MAX 255

struct uastat {
    uint8_t hosts[HC_HOSTS_MAX + 1][16];
    unsigned nhosts;
};

struct uacli {
    uint8_t src[16], dst[16];
    unsigned ndst; /* 1, or 2 = several */
    int external;
    uint64_t requests, sessions, pki, payload, posts, last_id;
    int64_t first_ns, last_ns;
    char host[128], uri[256];
    int uri_rank;                /* 3 payload, 2 not PKI, 1 any */
    uint64_t ev[HC_EV], best_id; /* the first sessions; the one of `uri` */
    unsigned nev;
};

struct hc {
    struct hunt_ctx *ctx;
    struct hunt_map uas, pairs, clients;
    unsigned max_hosts;
    double min_score;
    int64_t lo, hi;
};

static int hc_row(struct hc *hc, sqlite3_stmt *s)
{
    if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
        return 0;
    const uint8_t *src = sqlite3_column_blob(s, 0), *dst = sqlite3_column_blob(s, 1);
    if (!hunt_internal(hc->ctx, src))
        return 0;
    uint64_t id = (uint64_t)sqlite3_column_int64(s, 2);
    int64_t f = sqlite3_column_int64(s, 3), l = sqlite3_column_int64(s, 4);
    const char *ua = (const char *)sqlite3_column_text(s, 5);
    const char *uri = (const char *)sqlite3_column_text(s, 6);
    const char *host = (const char *)sqlite3_column_text(s, 7);
    const char *method = (const char *)sqlite3_column_text(s, 8);
    if (!ua)
        ua = "";
    if (!method)
        return 0; /* a response without its request: no client to judge */
    size_t ul = strlen(ua);
    if (ul > HC_UA_MAX)
        ul = HC_UA_MAX; /* what a result's detail holds (the allowlist matches it) */
    uint8_t *c = hunt_map_get(&hc->clients, src, 16, 1);
    if (c)
        *c = 1;
    struct uastat *us = hunt_map_get(&hc->uas, ua, ul, 1);
    if (!us)
        return 0; /* over the cap: counted */
    int known = 0;
    for (unsigned i = 0; i < us->nhosts; i++)
        known |= memcmp(us->hosts[i], src, 16) == 0;
    if (!known && us->nhosts <= hc->max_hosts)
        memcpy(us->hosts[us->nhosts++], src, 16);

    char key[16 + HC_UA_MAX];
    memcpy(key, src, 16);
    memcpy(key + 16, ua, ul);
    struct uacli *u = hunt_map_get(&hc->pairs, key, 16 + ul, 1);
    if (!u)
        return 0;
    if (!u->requests) {
        memcpy(u->src, src, 16);
        memcpy(u->dst, dst, 16);
        u->ndst = 1;
    } else if (u->ndst == 1 && memcmp(u->dst, dst, 16) != 0) {
        u->ndst = 2;
    }
    u->external |= !hunt_internal(hc->ctx, dst);
    u->requests++;
    if (u->last_id != id) {
        u->sessions++;
        u->last_id = id;
    }
    int pki = tw_uri_is_pki(uri) || tw_host_is_pki(host), pay = !pki && tw_uri_is_payload(uri);
    u->pki += pki;
    u->payload += pay;
    u->posts += strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    if (!u->first_ns || f < u->first_ns)
        u->first_ns = f;
    if (l > u->last_ns)
        u->last_ns = l;
    int rank = pay ? 3 : !pki ? 2 : 1;
    if (uri && rank > u->uri_rank) {
        u->uri_rank = rank;
        u->best_id = id;
        snprintf(u->uri, sizeof u->uri, "%s", uri);
        snprintf(u->host, sizeof u->host, "%s", host ? host : "");
    }
    int seen = 0;
    for (unsigned i = 0; i < u->nev; i++)
        seen |= u->ev[i] == id;
    if (!seen && u->nev < HC_EV)
        u->ev[u->nev++] = id;
    return 0;
}

static int hc_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct hc *hc = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.src_ip, s.dst_ip, s.id, s.first_ns, s.last_ns,"
                           " json_extract(r.json, '$.user_agent.original'),"
                           " json_extract(r.json, '$.url.original'),"
                           " coalesce(json_extract(r.json, '$.http.host'),"
                           "          json_extract(r.json, '$.url.domain')),"
                           " json_extract(r.json, '$.http.request.method')"
                           " FROM sessions s JOIN records r ON r.id = s.id AND r.piece = s.piece"
                           " WHERE s.app = 'http' AND s.first_ns BETWEEN ?1 AND ?2"
                           " AND r.type = 'http'",
                           -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(hc->ctx, KS_ESQL, "http-client: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(s, 1, hc->lo);
    sqlite3_bind_int64(s, 2, hc->hi);
    int st, rc = 0;
    while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW)
        rc = hc_row(hc, s);
    if (!rc && st != SQLITE_DONE)
        rc = hunt_fail(hc->ctx, KS_ESQL, "http-client: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

static int hc_emit(void *arg, const void *key, size_t klen, void *value)
{
    struct hc *hc = arg;
    struct uacli *u = value;
    char ua[HC_UA_MAX + 1];
    size_t ul = klen - 16 < sizeof ua - 1 ? klen - 16 : sizeof ua - 1;
    memcpy(ua, (const char *)key + 16, ul);
    ua[ul] = '\0';
    const struct uastat *us = hunt_map_get(&hc->uas, ua, ul, 0);
    unsigned hosts = us ? us->nhosts : 1;
    int common = hosts > hc->max_hosts;
    struct tw_ua_info k = tw_ua_classify(ua);
    double base = k.base;
    int pki_only = k.cls == TW_UA_CERTUTIL && u->pki == u->requests;
    if (pki_only)
        base = 0.1;
    if (k.cls == TW_UA_OTHER && common)
        base = 0;
    if (k.cls == TW_UA_OTHER && !common)
        base /= hosts;
    /* Every Windows host sends CryptoAPI's agent: for it, what it fetched decides, not how
       common the agent is. */
    int damp = common && k.cls != TW_UA_CERTUTIL;
    double score = base * (damp ? 0.5 : 1.0) * (u->external ? 1.0 : 0.7);
    if (u->payload && base > 0.2)
        score += 0.1;
    if (score > 1)
        score = 1;
    if (score < hc->min_score || score <= 0)
        return 0;

    struct hunt_result r = {0};
    r.score = score;
    hunt_addr(u->src, 16, r.src, sizeof r.src);
    if (u->ndst == 1)
        hunt_addr(u->dst, 16, r.dst, sizeof r.dst);
    snprintf(r.domain, sizeof r.domain, "%s", u->host);
    hnet_text(r.detail, sizeof r.detail, "%s", ua);
    snprintf(r.attack, sizeof r.attack, "%s", k.attack);
    char who[96], stack[96], what[160], when[32], dst[64];
    if (k.cls == TW_UA_EMPTY)
        snprintf(who, sizeof who, "a client without User-Agent");
    else if (k.name[0])
        snprintf(who, sizeof who, "%s", k.name);
    else
        snprintf(who, sizeof who, "a rare client");
    if (common)
        snprintf(stack, sizeof stack, "agent sent by more than %u internal hosts", hc->max_hosts);
    else
        snprintf(stack, sizeof stack, "agent sent by %u of %zu internal HTTP clients", hosts,
                 hc->clients.n);
    if (pki_only)
        snprintf(what, sizeof what, ", all of them certificate/CRL/OCSP fetches");
    else if (u->payload)
        snprintf(what, sizeof what, ", %" PRIu64 " fetching a script or executable", u->payload);
    else if (u->pki)
        snprintf(what, sizeof what, ", %" PRIu64 " not certificate/CRL/OCSP fetches",
                 u->requests - u->pki);
    else
        what[0] = '\0';
    hnet_fmt_time(u->first_ns, when, sizeof when);
    hunt_addr(u->dst, 16, dst, sizeof dst);
    hnet_text(r.explain, sizeof r.explain,
              "%s fetched http://%s%s as %s (\"%.120s\"; %s): %" PRIu64 " request%s%s in %" PRIu64
              " session%s to %s%s%s, first %s",
              r.src, u->host[0] ? u->host : dst, u->uri[0] == '/' ? u->uri : "/", who, ua, stack,
              u->requests, u->requests == 1 ? "" : "s", what, u->sessions,
              u->sessions == 1 ? "" : "s", u->ndst == 1 ? dst : "several servers",
              u->external ? "" : " (internal)", u->posts ? " with uploads" : "", when);
    if (u->best_id)
        hunt_result_event(&r, u->best_id); /* most telling first */
    for (unsigned i = 0; i < u->nev; i++)
        hunt_result_event(&r, u->ev[i]);
    r.sessions = u->sessions;
    r.first_ns = u->first_ns;
    r.last_ns = u->last_ns;
    return hunt_emit(hc->ctx, &r);
}

static int httpclient_run(struct hunt_ctx *ctx)
{
    struct hc hc = {.ctx = ctx, .min_score = hunt_num(ctx, "min_score")};
    double mh = hunt_num(ctx, "max_hosts");
    if (!(mh >= 1 && mh <= HC_HOSTS_MAX))
        return hunt_fail(ctx, KS_EINVAL, "max_hosts must be 1 to %d", HC_HOSTS_MAX);
    hc.max_hosts = (unsigned)mh;
    hunt_range(ctx, &hc.lo, &hc.hi);
    double maxe = hunt_num(ctx, "max_agents");
    hunt_map_init(&hc.uas, sizeof(struct uastat), (size_t)maxe);
    hunt_map_init(&hc.pairs, sizeof(struct uacli), (size_t)maxe);
    hunt_map_init(&hc.clients, 1, (size_t)maxe);
    int rc = hunt_days(ctx, hc_day, &hc);
    if (!rc && (hc.uas.refused || hc.pairs.refused || hc.clients.refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f distinct user agents or agent/client pairs: raise "
                       "max_agents or narrow --since/--until",
                       maxe);
    if (!rc)
        rc = hunt_map_each(&hc.pairs, hc_emit, &hc);
    hunt_map_release(&hc.uas);
    hunt_map_release(&hc.pairs);
    hunt_map_release(&hc.clients);
    return rc;
}

const struct hunt_kind hunt_kind_httpclient = {"http-client", httpclient_run};
