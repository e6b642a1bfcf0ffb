/*
 * h_krbspray.c — the `krb-spray` analysis: Kerberos password spraying, password guessing and
 * user enumeration against a KDC (kerbrute, Rubeus brute, Spray-AD …).
 *
 * Each AS-REQ names the user (cname) and the KDC answers (RFC 4120 §7.5.9): PRINCIPAL_UNKNOWN
 * (6) when the user does not exist, PREAUTH_REQUIRED (25) when it does and the request carried
 * no pre-authentication, PREAUTH_FAILED (24) for a wrong password, CLIENT_REVOKED (18) for a
 * locked or disabled account, and an AS-REP when the password was right.  A spray tries one or
 * two passwords on many users from one host in a short time: many distinct users, most of them
 * failing with 6 or 24; guessing tries many passwords on one user (many 24s); enumeration asks
 * without pre-authentication and sorts users by 6 vs 25.  An ordinary client logs on a few
 * users (25 then success is the normal Windows logon), a terminal server many — but they
 * rarely fail.
 *
 * Per day file SQL groups the range's `krb` records that hold an AS-REQ by (client, KDC, user):
 * requests, answers by error code, successes, first failure and first success time.  In C,
 * per (client, KDC) in a map bounded by max_pairs: users, failed users (6, 24 or 18), the most
 * wrong passwords for one user, and the first AS-REQ time of each user (per day) in a vector
 * capped at max_users, from which the most users inside one `window` is counted
 * (feat_window_max).  A success after the pair's first failure, with most users failing, is a
 * found password and the explanation says so.
 *
 * Score (feat_krb_score, feat.h): spray = squash(users in a window, half_users) × (0.2 + 0.8 ×
 * failed share); guess = squash(most wrong passwords on one user, half_guesses); combined as
 * 1 - (1 - spray)(1 - guess), raised halfway to 1 when a password was found.  Results need
 * min_failed users that failed (or as many wrong passwords on one user) and min_score.
 */
#include "hunt/feat.h"
#include "hunt/hunt.h"

#include "core/err.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KRB_FOUND 4 /* successful users remembered per pair */

struct kpair {
    uint64_t users, failed, unknown, bad_users, locked, reqs, required, bad, sessions;
    uint64_t max_bad;
    int64_t first_fail_ns, first_ns, last_ns;
    struct {
        char user[64];
        int64_t t;
        uint64_t id;
    } ok[KRB_FOUND];
    unsigned nok;
    uint64_t oks; /* users with a success */
    struct hunt_vec times;
    struct feat_top ev;
};

struct ks {
    struct hunt_ctx *ctx;
    struct hunt_map pairs;
    struct feat_krb_params p;
    double window, min_failed, min_score, max_users;
};

static void ks_user_row(struct ks *k, struct kpair *p, sqlite3_stmt *s)
{
    const char *user = (const char *)sqlite3_column_text(s, 2);
    uint64_t unk = (uint64_t)sqlite3_column_int64(s, 4), bad = (uint64_t)sqlite3_column_int64(s, 5);
    uint64_t req = (uint64_t)sqlite3_column_int64(s, 6),
             lock = (uint64_t)sqlite3_column_int64(s, 7);
    uint64_t ok = (uint64_t)sqlite3_column_int64(s, 8);
    int64_t t0 = sqlite3_column_int64(s, 9), t1 = sqlite3_column_int64(s, 10);
    p->users++;
    p->reqs += (uint64_t)sqlite3_column_int64(s, 3);
    p->sessions += (uint64_t)sqlite3_column_int64(s, 15);
    p->required += req;
    p->bad += bad;
    if (bad > p->max_bad)
        p->max_bad = bad;
    p->unknown += unk > 0;
    p->bad_users += bad > 0;
    p->locked += lock > 0;
    if (!p->first_ns || t0 < p->first_ns)
        p->first_ns = t0;
    if (t1 > p->last_ns)
        p->last_ns = t1;
    if (!p->times.max)
        p->times.max = (size_t)k->max_users;
    hunt_vec_push(&p->times, (double)t0 / 1e9);
    if (unk || bad || lock) {
        p->failed++;
        int64_t ff = sqlite3_column_int64(s, 12);
        if (!p->first_fail_ns || ff < p->first_fail_ns)
            p->first_fail_ns = ff;
        feat_top_add(&p->ev, (uint64_t)sqlite3_column_int64(s, 13), bad ? 2.0 : lock ? 1.8 : 1.5);
    } else {
        feat_top_add(&p->ev, (uint64_t)sqlite3_column_int64(s, 13), 1.0);
    }
    if (ok) {
        p->oks++;
        if (p->nok < KRB_FOUND) {
            snprintf(p->ok[p->nok].user, sizeof p->ok[0].user, "%s", user);
            p->ok[p->nok].t = sqlite3_column_int64(s, 11);
            p->ok[p->nok].id = (uint64_t)sqlite3_column_int64(s, 14);
            p->nok++;
        }
    }
}

static int ks_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct ks *k = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    int64_t lo, hi;
    hunt_range(k->ctx, &lo, &hi);
    if (sqlite3_prepare_v2(
            db,
            "SELECT src, dst, cn, count(*),"
            " sum(ec = 'KDC_ERR_C_PRINCIPAL_UNKNOWN'), sum(ec = 'KDC_ERR_PREAUTH_FAILED'),"
            " sum(ec = 'KDC_ERR_PREAUTH_REQUIRED'), sum(ec = 'KDC_ERR_CLIENT_REVOKED'),"
            " sum(ok = 1), min(t), max(t), min(CASE WHEN ok = 1 THEN t END),"
            " min(CASE WHEN ec IN ('KDC_ERR_C_PRINCIPAL_UNKNOWN', 'KDC_ERR_PREAUTH_FAILED',"
            "  'KDC_ERR_CLIENT_REVOKED') THEN t END),"
            " max(id), max(CASE WHEN ok = 1 THEN id END), count(DISTINCT id)"
            " FROM (SELECT s.src_ip AS src, s.dst_ip AS dst, s.id AS id, s.first_ns AS t,"
            "  json_extract(r.json, '$.krb.cname') AS cn,"
            "  json_extract(r.json, '$.krb.error_code') AS ec,"
            "  json_extract(r.json, '$.krb.success') AS ok,"
            "  json_extract(r.json, '$.krb.msg_type') AS mt"
            "  FROM sessions s JOIN records r ON r.id = s.id AND r.piece = s.piece"
            "  WHERE s.first_ns BETWEEN ?1 AND ?2 AND s.app = 'krb' AND r.type = 'krb')"
            " WHERE instr(mt, 'AS-REQ') > 0 AND cn IS NOT NULL"
            " GROUP BY src, dst, cn",
            -1, &s, NULL) != SQLITE_OK)
        return hunt_fail(k->ctx, KS_ESQL, "krb-spray: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16)
            continue;
        uint8_t key[32];
        memcpy(key, sqlite3_column_blob(s, 0), 16);
        memcpy(key + 16, sqlite3_column_blob(s, 1), 16);
        struct kpair *p = hunt_map_get(&k->pairs, key, 32, 1);
        if (p)
            ks_user_row(k, p, s); /* else over the cap: counted in pairs.refused */
    }
    sqlite3_finalize(s);
    if (st != SQLITE_DONE)
        return hunt_fail(k->ctx, KS_ESQL, "krb-spray: %s", sqlite3_errmsg(db));
    return 0;
}

static int ks_emit(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct ks *k = arg;
    struct kpair *p = value;
    if ((double)p->failed < k->min_failed && (double)p->max_bad < k->min_failed)
        return 0;
    struct feat_krb f = {
        .users = p->users,
        .window_users = feat_window_max(p->times.v, p->times.n, k->window),
        .failed_users = p->failed,
        .max_bad = p->max_bad,
    };
    /* Passwords found: successes after the first failure, in a pair where most users failed. */
    char found[160] = "";
    size_t fl = 0;
    unsigned nfound = 0;
    int spray = p->failed >= 2 && p->failed * 2 >= p->users;
    for (unsigned i = 0; spray && i < p->nok; i++) {
        if (p->ok[i].t < p->first_fail_ns)
            continue;
        nfound++;
        if (fl < sizeof found)
            fl += (size_t)snprintf(found + fl, sizeof found - fl, "%s%s", nfound > 1 ? ", " : "",
                                   p->ok[i].user);
    }
    f.found = nfound > 0;
    struct hunt_result r = {0};
    r.score = feat_krb_score(&f, &k->p);
    if (r.score < k->min_score)
        return 0;
    hunt_addr(key, 16, r.src, sizeof r.src);
    hunt_addr((const uint8_t *)key + 16, 16, r.dst, sizeof r.dst);
    char win[32], most[48] = "", tail[240] = "";
    hunt_fmt_dur(k->window, win, sizeof win);
    if (p->max_bad > 1)
        snprintf(most, sizeof most, ", up to %" PRIu64 " on one", p->max_bad);
    if (nfound)
        snprintf(tail, sizeof tail,
                 "; PASSWORD FOUND: AS-REP for %s after %" PRIu64 " users failed", found,
                 p->failed);
    else if (p->oks)
        snprintf(tail, sizeof tail, "; %" PRIu64 " users logged on", p->oks);
    snprintf(r.explain, sizeof r.explain,
             "%s tried %" PRIu64 " users (%" PRIu64 " AS-REQs) at KDC %s, %" PRIu64
             " of them within %s: %" PRIu64 " unknown users (PRINCIPAL_UNKNOWN), %" PRIu64
             " wrong passwords (PREAUTH_FAILED) on %" PRIu64 " users%s, %" PRIu64
             " PREAUTH_REQUIRED, %" PRIu64 " locked/revoked%s",
             r.src, p->users, p->reqs, r.dst, f.window_users, win, p->unknown, p->bad, p->bad_users,
             most, p->required, p->locked, tail);
    if (nfound)
        snprintf(r.detail, sizeof r.detail, "password found: %s", found);
    else
        snprintf(r.detail, sizeof r.detail, "%" PRIu64 " users, %" PRIu64 " failed", p->users,
                 p->failed);
    /* Narrower techniques: a spray (many users), guessing (one user), enumeration (6 vs 25). */
    size_t al = 0;
    if (p->bad_users >= 2 || nfound || (p->failed >= 2 && p->bad_users >= 1))
        al += (size_t)snprintf(r.attack + al, sizeof r.attack - al, "T1110.003");
    if (p->max_bad >= 2 && p->bad_users <= 2)
        al += (size_t)snprintf(r.attack + al, sizeof r.attack - al, "%sT1110.001", al ? " " : "");
    if (p->unknown >= 2)
        snprintf(r.attack + al, sizeof r.attack - al, "%sT1087.002", al ? " " : "");
    for (unsigned i = 0; i < p->nok; i++)
        if (p->ok[i].t >= p->first_fail_ns && spray)
            hunt_result_event(&r, p->ok[i].id);
    for (unsigned i = 0; i < p->ev.n; i++)
        hunt_result_event(&r, p->ev.id[i]);
    r.sessions = p->sessions;
    r.first_ns = p->first_ns;
    r.last_ns = p->last_ns;
    return hunt_emit(k->ctx, &r);
}

static int ks_free(void *arg, const void *key, size_t klen, void *value)
{
    (void)arg;
    (void)key;
    (void)klen;
    hunt_vec_release(&((struct kpair *)value)->times);
    return 0;
}

static int krbspray_run(struct hunt_ctx *ctx)
{
    struct ks k = {
        .ctx = ctx,
        .p = {.half_users = hunt_num(ctx, "half_users"),
              .half_guesses = hunt_num(ctx, "half_guesses")},
        .window = hunt_num(ctx, "window"),
        .min_failed = hunt_num(ctx, "min_failed"),
        .min_score = hunt_num(ctx, "min_score"),
        .max_users = hunt_num(ctx, "max_users"),
    };
    if (!(k.p.half_users > 0) || !(k.p.half_guesses > 0) || !(k.window > 0) || !(k.max_users >= 1))
        return hunt_fail(ctx, KS_EINVAL,
                         "half_users, half_guesses, window and max_users must be positive");
    hunt_map_init(&k.pairs, sizeof(struct kpair), (size_t)hunt_num(ctx, "max_pairs"));
    int rc = hunt_days(ctx, ks_day, &k);
    if (!rc && k.pairs.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f (client, KDC) pairs: raise max_pairs or narrow "
                       "--since/--until",
                       hunt_num(ctx, "max_pairs"));
    if (!rc)
        rc = hunt_map_each(&k.pairs, ks_emit, &k);
    hunt_map_each(&k.pairs, ks_free, NULL);
    hunt_map_release(&k.pairs);
    return rc;
}

const struct hunt_kind hunt_kind_krbspray = {"krb-spray", krbspray_run};
