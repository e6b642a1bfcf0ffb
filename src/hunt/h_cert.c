/*
 * h_cert.c — the `cert` analysis: suspicious server certificates.  C2 servers run on
 * throw-away infrastructure: their certificates are the tool's default, self-signed, made
 * minutes before use or valid for days only, and often do not name the host the client asked
 * for.  Each certificate (by SHA-1 of its DER, tls.server.hash.sha1; TLS ≤ 1.2 only — TLS 1.3
 * encrypts it) seen in the range is one candidate; its signals:
 *
 *   default   a known default of an attack tool (tlsweb.c: Cobalt Strike's serial 0x08BB00EE /
 *             "Major Cobalt Strike" / O=cobaltstrike, PoshC2, AsyncRAT, QuasarRAT, Orcus,
 *             Metasploit, Empire …): its table score, 1.0 for exact defaults
 *   self      self-signed: 0.7 when an internal client reached an external server with it
 *   young     issued less than `young` before its first use in the range, for a server name not
 *             seen before it (a renewal of a known site's certificate is not young): 0.45
 *   short     valid for less than `short_validity` in all: 0.35
 *   expired   used outside its validity: 0.35
 *   mismatch  the client's SNI is covered neither by a SAN nor by the CN (RFC 6125): 0.5
 *
 * Signals other than `default` count a quarter when the certificate was never presented to
 * an internal client by an external server (internal appliances, printers and iLOs live with
 * self-signed certificates; inbound sessions show our own servers).  Score = the strongest
 * signal + 0.05 for each other signal of at least 0.3, at most 0.95 unless the strongest is a
 * default (then that default's score).  Results under min_score are not emitted.
 *
 * Per day file, one query streams the sessions of the range that carry a server certificate
 * (fields index on tls.server.hash.sha1, the record for the SNI); a certificate's details are
 * read once, when first seen, by its record's id.  Certificates are held in a map bounded by
 * max_certs.
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

#define CERT_EV 8

struct cinfo {
    char subject[200], issuer[200], serial[72], bad_sni[128];
    const char *tool;
    double dscore;
};

struct cert {
    int64_t not_before, not_after, first_ns, last_ns;
    uint64_t sessions, mismatched;
    uint64_t ev[CERT_EV];
    unsigned nev;
    uint8_t client[16], server[16];
    uint8_t nclients, nservers; /* 0, 1, 2 = more */
    uint8_t self_signed, outbound, have;
    int32_t info;  /* index in ct->info, -1 while it has nothing worth keeping */
    char sni[128]; /* the first SNI it answered */
};

struct ct {
    struct hunt_ctx *ctx;
    struct hunt_map certs, pairs, names;
    struct cinfo *info;
    size_t ninfo, cinfo_cap, max;
    uint64_t info_refused;
    double young, short_validity, min_score;
    int64_t lo, hi;
    sqlite3_stmt *detail, *names_q;
};

/* Read a certificate's details from its record; 0, or a negative error. */
static int ct_details(struct ct *ct, sqlite3 *db, int64_t id, int64_t piece, const char *sha1,
                      struct cert *c, struct cinfo *ci)
{
    if (!ct->detail &&
        sqlite3_prepare_v2(db,
                           "SELECT json_extract(json, '$.tls.server.x509.serial_number'),"
                           " json_extract(json, '$.tls.server.x509.subject.distinguished_name'),"
                           " json_extract(json, '$.tls.server.x509.issuer.distinguished_name'),"
                           " json_extract(json, '$.tls.server.x509.not_before'),"
                           " json_extract(json, '$.tls.server.x509.not_after'),"
                           " json_extract(json, '$.tls.server.x509.self_signed')"
                           " FROM records WHERE id = ?1 AND piece = ?2 AND type = 'tls'"
                           " AND json_extract(json, '$.tls.server.hash.sha1') = ?3 LIMIT 1",
                           -1, &ct->detail, NULL) != SQLITE_OK)
        return KS_ESQL;
    sqlite3_stmt *s = ct->detail;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, piece);
    sqlite3_bind_text(s, 3, sha1, -1, SQLITE_STATIC);
    int st = sqlite3_step(s);
    if (st == SQLITE_ROW) {
#define TXT(i) (sqlite3_column_text(s, i) ? (const char *)sqlite3_column_text(s, i) : "")
        snprintf(ci->serial, sizeof ci->serial, "%s", TXT(0));
        snprintf(ci->subject, sizeof ci->subject, "%s", TXT(1));
        snprintf(ci->issuer, sizeof ci->issuer, "%s", TXT(2));
        c->not_before = tw_parse_utc(TXT(3));
        c->not_after = tw_parse_utc(TXT(4));
        c->self_signed = sqlite3_column_int(s, 5) != 0;
#undef TXT
        struct tw_cert_names n = {ci->serial, sha1, ci->subject, ci->issuer, c->self_signed};
        ci->tool = tw_cert_default(&n, &ci->dscore);
        c->have = 1;
    }
    sqlite3_reset(s);
    return st == SQLITE_ROW || st == SQLITE_DONE ? 0 : KS_ESQL;
}

/* Does the certificate of record (id, piece) name host?  1 yes, 0 no, negative on error. */
static int ct_covers(struct ct *ct, sqlite3 *db, int64_t id, int64_t piece, const char *host)
{
    if (!ct->names_q &&
        sqlite3_prepare_v2(db,
                           "SELECT j.value FROM records r,"
                           " json_each(r.json, '$.tls.server.x509.alternative_names') j"
                           " WHERE r.id = ?1 AND r.piece = ?2 AND r.type = 'tls'"
                           " UNION ALL SELECT j.value FROM records r,"
                           " json_each(r.json, '$.tls.server.x509.subject.common_name') j"
                           " WHERE r.id = ?1 AND r.piece = ?2 AND r.type = 'tls'",
                           -1, &ct->names_q, NULL) != SQLITE_OK)
        return KS_ESQL;
    sqlite3_stmt *s = ct->names_q;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, piece);
    int st, hit = 0;
    while (!hit && (st = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        hit = v && tw_name_covers(v, host);
    }
    if (!hit && st != SQLITE_DONE)
        return KS_ESQL;
    sqlite3_reset(s);
    return hit;
}

static struct cinfo *ct_info(struct ct *ct, struct cert *c)
{
    if (c->info >= 0)
        return &ct->info[c->info];
    if (ct->ninfo == ct->cinfo_cap) {
        size_t nc = ct->cinfo_cap ? ct->cinfo_cap * 2 : 64;
        struct cinfo *v = ct->ninfo < ct->max ? realloc(ct->info, nc * sizeof *v) : NULL;
        if (!v) {
            ct->info_refused++;
            return NULL;
        }
        ct->info = v;
        ct->cinfo_cap = nc;
    }
    c->info = (int32_t)ct->ninfo;
    memset(&ct->info[ct->ninfo], 0, sizeof ct->info[0]);
    return &ct->info[ct->ninfo++];
}

static int ct_row(struct ct *ct, sqlite3 *db, sqlite3_stmt *s)
{
    const char *sha1 = (const char *)sqlite3_column_text(s, 0);
    int64_t id = sqlite3_column_int64(s, 1), piece = sqlite3_column_int64(s, 2);
    if (!sha1 || sqlite3_column_bytes(s, 3) != 16 || sqlite3_column_bytes(s, 4) != 16)
        return 0;
    const uint8_t *src = sqlite3_column_blob(s, 3), *dst = sqlite3_column_blob(s, 4);
    int64_t f = sqlite3_column_int64(s, 5), l = sqlite3_column_int64(s, 6);
    const char *sni = (const char *)sqlite3_column_text(s, 7);
    size_t hl = strlen(sha1);
    struct cert *c = hunt_map_get(&ct->certs, sha1, hl, 1);
    if (!c)
        return 0; /* over the cap: counted */
    if (!c->sessions) {
        c->info = -1;
        struct cinfo tmp = {0};
        int rc = ct_details(ct, db, id, piece, sha1, c, &tmp);
        if (rc)
            return rc;
        /* Details are kept for the certificates that may be reported: the signals a first
           sighting can tell (a mismatch keeps them later). */
        int64_t young = (int64_t)(ct->young * 1e9), shortv = (int64_t)(ct->short_validity * 1e9);
        int worth = tmp.tool || c->self_signed || (c->not_before && f - c->not_before < young) ||
                    (c->not_after && (f > c->not_after || c->not_after - c->not_before < shortv));
        if (worth) {
            struct cinfo *ci = ct_info(ct, c);
            if (ci)
                *ci = tmp;
        }
    }
    int out = hunt_internal(ct->ctx, src) && !hunt_internal(ct->ctx, dst);
    c->outbound |= out;
    if (!c->nclients) {
        memcpy(c->client, src, 16);
        c->nclients = 1;
    } else if (c->nclients == 1 && memcmp(c->client, src, 16) != 0) {
        c->nclients = 2;
    }
    if (!c->nservers) {
        memcpy(c->server, dst, 16);
        c->nservers = 1;
    } else if (c->nservers == 1 && memcmp(c->server, dst, 16) != 0) {
        c->nservers = 2;
    }
    c->sessions++;
    if (!c->first_ns || f < c->first_ns)
        c->first_ns = f;
    if (l > c->last_ns)
        c->last_ns = l;
    int seen = 0;
    for (unsigned i = 0; i < c->nev; i++)
        seen |= c->ev[i] == (uint64_t)id;
    if (!seen && c->nev < CERT_EV)
        c->ev[c->nev++] = (uint64_t)id;

    /* The name the client asked for: first sighting of the name, and whether it is covered. */
    const char *name = sni && *sni ? sni : NULL;
    char addr[64];
    if (!name) {
        hunt_addr(dst, 16, addr, sizeof addr);
        name = addr;
    }
    int64_t *nf = hunt_map_get(&ct->names, name, strlen(name), 1);
    if (nf && (!*nf || f < *nf))
        *nf = f;
    if (!c->sni[0])
        snprintf(c->sni, sizeof c->sni, "%s", name);
    if (sni && *sni && c->have) {
        char key[400];
        int kl = snprintf(key, sizeof key, "%s %s", sha1, sni);
        if (kl > 0 && (size_t)kl < sizeof key) {
            int8_t *res = hunt_map_get(&ct->pairs, key, (size_t)kl, 1);
            if (res && !*res) {
                int cov = ct_covers(ct, db, id, piece, sni);
                if (cov < 0)
                    return cov;
                *res = cov ? 1 : -1;
                if (!cov) {
                    struct cinfo *ci = ct_info(ct, c);
                    if (ci && !ci->subject[0]) {
                        struct cert tmpc = *c;
                        int rc = ct_details(ct, db, id, piece, sha1, &tmpc, ci);
                        if (rc)
                            return rc;
                    }
                    if (ci && !ci->bad_sni[0])
                        snprintf(ci->bad_sni, sizeof ci->bad_sni, "%s", sni);
                }
            }
            if (res && *res < 0)
                c->mismatched++;
        }
    }
    return 0;
}

static int ct_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct ct *ct = arg;
    sqlite3 *db = dbp;
    int64_t pid;
    int rc = hunt_path_id(db, "tls.server.hash.sha1", &pid);
    if (rc)
        return rc > 0 ? 0 : hunt_fail(ct->ctx, rc, "cert: %s", sqlite3_errmsg(db));
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT f.value, s.id, s.piece, s.src_ip, s.dst_ip, s.first_ns,"
                           " s.last_ns, json_extract(r.json, '$.tls.client.server_name')"
                           " FROM fields f JOIN sessions s ON s.id = f.id"
                           " JOIN records r ON r.id = s.id AND r.piece = s.piece"
                           " WHERE f.pid = ?3 AND s.first_ns BETWEEN ?1 AND ?2"
                           " AND r.type = 'tls'"
                           " AND json_extract(r.json, '$.tls.server.hash.sha1') = f.value",
                           -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(ct->ctx, KS_ESQL, "cert: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(s, 1, ct->lo);
    sqlite3_bind_int64(s, 2, ct->hi);
    sqlite3_bind_int64(s, 3, pid);
    int st;
    while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW)
        rc = ct_row(ct, db, s);
    if (!rc && st != SQLITE_DONE)
        rc = KS_ESQL;
    if (rc)
        hunt_fail(ct->ctx, rc, "cert: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    /* The statements below belong to this day's connection. */
    sqlite3_finalize(ct->detail);
    sqlite3_finalize(ct->names_q);
    ct->detail = ct->names_q = NULL;
    return rc;
}

struct signal {
    const char *what;
    double v;
};

static int ct_emit(void *arg, const void *key, size_t klen, void *value)
{
    struct ct *ct = arg;
    struct cert *c = value;
    struct cinfo none = {0}, *ci = c->info >= 0 ? &ct->info[c->info] : &none;
    struct signal sg[6];
    unsigned n = 0;
    char buf[6][200];
    double far = c->outbound ? 1.0 : 0.25;
    if (ci->tool) {
        snprintf(buf[n], sizeof buf[n], "the default certificate of %s", ci->tool);
        sg[n] = (struct signal){buf[n], ci->dscore >= 0.95 ? ci->dscore : ci->dscore * far};
        n++;
    }
    if (c->self_signed) {
        snprintf(buf[n], sizeof buf[n], "self-signed");
        sg[n] = (struct signal){buf[n], c->outbound ? 0.7 : 0.1};
        n++;
    }
    int64_t age = c->first_ns - c->not_before;
    const int64_t *nf = hunt_map_get(&ct->names, c->sni, strlen(c->sni), 0);
    int new_name = !nf || *nf >= c->first_ns;
    if (c->not_before && age >= 0 && age < (int64_t)(ct->young * 1e9) && new_name) {
        char d[32];
        hunt_fmt_dur((double)age / 1e9, d, sizeof d);
        snprintf(buf[n], sizeof buf[n], "issued %s before its first use", d);
        sg[n] = (struct signal){buf[n], 0.45 * far};
        n++;
    }
    if (c->not_before && c->not_after && c->not_after > c->not_before &&
        c->not_after - c->not_before < (int64_t)(ct->short_validity * 1e9)) {
        char d[32];
        hunt_fmt_dur((double)(c->not_after - c->not_before) / 1e9, d, sizeof d);
        snprintf(buf[n], sizeof buf[n], "valid for %s only", d);
        sg[n] = (struct signal){buf[n], 0.35 * far};
        n++;
    }
    if (c->not_before && c->not_after &&
        (c->first_ns < c->not_before || c->last_ns > c->not_after)) {
        snprintf(buf[n], sizeof buf[n], "used outside its validity");
        sg[n] = (struct signal){buf[n], 0.35 * far};
        n++;
    }
    if (c->mismatched) {
        snprintf(buf[n], sizeof buf[n], "SNI %s not among its names (%" PRIu64 " session%s)",
                 ci->bad_sni[0] ? ci->bad_sni : "?", c->mismatched, c->mismatched == 1 ? "" : "s");
        sg[n] = (struct signal){buf[n], 0.5 * far};
        n++;
    }
    if (!n)
        return 0;
    unsigned best = 0;
    for (unsigned i = 1; i < n; i++)
        if (sg[i].v > sg[best].v)
            best = i;
    double score = sg[best].v;
    int is_default = ci->tool && best == 0 && score >= 0.95;
    if (!is_default) {
        for (unsigned i = 0; i < n; i++)
            if (i != best && sg[i].v >= 0.3)
                score += 0.05;
        if (score > 0.95)
            score = 0.95;
    }
    if (score < ct->min_score)
        return 0;

    struct hunt_result r = {0};
    r.score = score;
    hunt_addr(c->client, 16, r.src, sizeof r.src);
    hunt_addr(c->server, 16, r.dst, sizeof r.dst);
    snprintf(r.fp, sizeof r.fp, "%.*s", (int)klen, (const char *)key);
    snprintf(r.detail, sizeof r.detail, "%s", ci->subject);
    snprintf(r.domain, sizeof r.domain, "%s", c->sni);
    char when[32], sigs[700];
    size_t o = 0;
    sigs[0] = '\0';
    o += (size_t)snprintf(sigs + o, sizeof sigs - o, "%s", sg[best].what);
    for (unsigned i = 0; i < n && o < sizeof sigs; i++)
        if (i != best)
            o += (size_t)snprintf(sigs + o, sizeof sigs - o, "; %s", sg[i].what);
    hnet_fmt_time(c->first_ns, when, sizeof when);
    hnet_text(
        r.explain, sizeof r.explain,
        "certificate %s%s%s: %s; presented by %s%s to %s%s (%s) in %" PRIu64 " session%s, first %s",
        ci->subject[0] ? ci->subject : r.fp, ci->serial[0] ? ", serial " : "", ci->serial, sigs,
        r.dst, c->nservers > 1 ? " and others" : "", r.src, c->nclients > 1 ? " and others" : "",
        c->sni, c->sessions, c->sessions == 1 ? "" : "s", when);
    snprintf(r.attack, sizeof r.attack, "%s",
             ci->tool ? "T1071.001 T1573.002" : "T1587.003 T1573.002");
    for (unsigned i = 0; i < c->nev; i++)
        hunt_result_event(&r, c->ev[i]);
    r.sessions = c->sessions;
    r.first_ns = c->first_ns;
    r.last_ns = c->last_ns;
    return hunt_emit(ct->ctx, &r);
}

static int cert_run(struct hunt_ctx *ctx)
{
    struct ct ct = {.ctx = ctx,
                    .young = hunt_num(ctx, "young"),
                    .short_validity = hunt_num(ctx, "short_validity"),
                    .min_score = hunt_num(ctx, "min_score")};
    double maxc = hunt_num(ctx, "max_certs");
    ct.max = (size_t)maxc;
    hunt_range(ctx, &ct.lo, &ct.hi);
    hunt_map_init(&ct.certs, sizeof(struct cert), ct.max);
    hunt_map_init(&ct.pairs, 1, ct.max * 2);
    hunt_map_init(&ct.names, sizeof(int64_t), ct.max * 2);
    int rc = hunt_days(ctx, ct_day, &ct);
    if (!rc && (ct.certs.refused || ct.pairs.refused || ct.names.refused || ct.info_refused))
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f distinct certificates: raise max_certs or narrow "
                       "--since/--until",
                       maxc);
    if (!rc)
        rc = hunt_map_each(&ct.certs, ct_emit, &ct);
    free(ct.info);
    hunt_map_release(&ct.certs);
    hunt_map_release(&ct.pairs);
    hunt_map_release(&ct.names);
    return rc;
}

const struct hunt_kind hunt_kind_cert = {"cert", cert_run};
