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
 * Per day file SQL groups the range's `krb` records that hold an AS-REQ by (client, KDC, user —
 * compared without case, as Windows does, and shown in lower case):
 * requests, answers by error code, successes, first failure and first success.  C merges them
 * over the days in a map of (client, KDC, user) bounded by max_users, then rolls them up per
 * (client, KDC): users, failed users (6, 24 or 18), the most wrong passwords for one user, and
 * per user its first failure (else its first AS-REQ), from which the most users inside one
 * `window` is counted (feat_window_max).  A success after the pair's first failure, with most
 * of its users failing, is a found password and the explanation says so.
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

#define KRB_FOUND 4 /* found passwords named per pair */

/* One (client, KDC, user), merged over the days. */
struct kuser {
    uint64_t reqs, unknown, bad, required, locked, ok, sessions;
    int64_t first_ns, last_ns, fail_ns, ok_ns; /* fail_ns, ok_ns: first failure / success */
    uint64_t id, fail_id, ok_id;
};

/* One (client, KDC), rolled up from its users. */
struct kpair {
    uint64_t users, failed, unknown, bad_users, locked, reqs, required, bad, sessions, oks;
    uint64_t max_bad;
    int64_t first_fail_ns, last_fail_ns, first_ns, last_ns;
    char found[KRB_FOUND][40];
    uint64_t found_id[KRB_FOUND];
    unsigned nfound;
    struct hunt_vec times; /* per user: its first failure, else its first AS-REQ (seconds) */
    struct feat_top ev;
};

struct ks {
    struct hunt_ctx *ctx;
    struct hunt_map users, pairs;
    struct feat_krb_params p;
    double window, min_failed, min_score;
};

static int kuser_failed(const struct kuser *u)
{
    return u->unknown || u->bad || u->locked;
}

static void ks_user_row(struct kuser *u, sqlite3_stmt *s)
{
    u->reqs += (uint64_t)sqlite3_column_int64(s, 3);
    u->unknown += (uint64_t)sqlite3_column_int64(s, 4);
    u->bad += (uint64_t)sqlite3_column_int64(s, 5);
    u->required += (uint64_t)sqlite3_column_int64(s, 6);
    u->locked += (uint64_t)sqlite3_column_int64(s, 7);
    uint64_t ok = (uint64_t)sqlite3_column_int64(s, 8);
    int64_t t0 = sqlite3_column_int64(s, 9), t1 = sqlite3_column_int64(s, 10);
    u->sessions += (uint64_t)sqlite3_column_int64(s, 16);
    if (!u->first_ns || t0 < u->first_ns) {
        u->first_ns = t0;
        u->id = (uint64_t)sqlite3_column_int64(s, 13);
    }
    if (t1 > u->last_ns)
        u->last_ns = t1;
    if (sqlite3_column_type(s, 12) != SQLITE_NULL) {
        int64_t f = sqlite3_column_int64(s, 12);
        if (!u->fail_ns || f < u->fail_ns) {
            u->fail_ns = f;
            u->fail_id = (uint64_t)sqlite3_column_int64(s, 15);
        }
    }
    if (ok) {
        int64_t o = sqlite3_column_int64(s, 11);
        if (!u->ok || o < u->ok_ns) {
            u->ok_ns = o;
            u->ok_id = (uint64_t)sqlite3_column_int64(s, 14);
        }
        u->ok += ok;
    }
}

static int ks_day(void *arg, int day, void *dbp)
{
    (void)day;
    struct ks *k = arg;
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    int rc = hunt_prepare_range(
        k->ctx, db,
        "SELECT src, dst, cn, count(*), sum(ec = 'KDC_ERR_C_PRINCIPAL_UNKNOWN'),"
        " sum(ec = 'KDC_ERR_PREAUTH_FAILED'), sum(ec = 'KDC_ERR_PREAUTH_REQUIRED'),"
        " sum(ec = 'KDC_ERR_CLIENT_REVOKED'), sum(ok = 1), min(t), max(t),"
        " min(CASE WHEN ok = 1 THEN t END), min(CASE WHEN fail THEN t END), min(id),"
        " min(CASE WHEN ok = 1 THEN id END), min(CASE WHEN fail THEN id END),"
        " count(DISTINCT id)"
        " FROM (SELECT *, ec IN ('KDC_ERR_C_PRINCIPAL_UNKNOWN', 'KDC_ERR_PREAUTH_FAILED',"
        "  'KDC_ERR_CLIENT_REVOKED') AS fail"
        "  FROM (SELECT s.src_ip AS src, s.dst_ip AS dst, s.id AS id, s.first_ns AS t,"
        "   lower(json_extract(r.json, '$.krb.cname')) AS cn,"
        "   json_extract(r.json, '$.krb.error_code') AS ec,"
        "   json_extract(r.json, '$.krb.success') AS ok,"
        "   json_extract(r.json, '$.krb.msg_type') AS mt"
        "   FROM sessions s JOIN records r ON r.id = s.id AND r.piece = s.piece"
        "   WHERE s.first_ns BETWEEN ?1 AND ?2 AND s.app = 'krb' AND r.type = 'krb')"
        "  WHERE instr(mt, 'AS-REQ') > 0 AND cn IS NOT NULL)"
        " GROUP BY src, dst, cn",
        &s, "krb-spray");
    if (rc)
        return rc;
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW) {
        const char *cn = (const char *)sqlite3_column_text(s, 2);
        size_t cl = cn ? strlen(cn) : 0;
        if (sqlite3_column_bytes(s, 0) != 16 || sqlite3_column_bytes(s, 1) != 16 || !cl || cl > 255)
            continue;
        uint8_t key[32 + 256];
        memcpy(key, sqlite3_column_blob(s, 0), 16);
        memcpy(key + 16, sqlite3_column_blob(s, 1), 16);
        memcpy(key + 32, cn, cl);
        struct kuser *u = hunt_map_get(&k->users, key, 32 + cl, 1);
        if (u)
            ks_user_row(u, s); /* else over the cap: counted in users.refused */
    }
    return hunt_finish(k->ctx, db, s, st, "krb-spray");
}

/* Pass 1: the users' counters into their pair. */
static int ks_rollup(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct ks *k = arg;
    struct kuser *u = value;
    struct kpair *p = hunt_map_get(&k->pairs, key, 32, 1);
    if (!p)
        return 0; /* refused: counted */
    p->users++;
    p->reqs += u->reqs;
    p->sessions += u->sessions;
    p->required += u->required;
    p->bad += u->bad;
    if (u->bad > p->max_bad)
        p->max_bad = u->bad;
    p->unknown += u->unknown > 0;
    p->bad_users += u->bad > 0;
    p->locked += u->locked > 0;
    p->oks += u->ok > 0;
    if (!p->first_ns || u->first_ns < p->first_ns)
        p->first_ns = u->first_ns;
    if (u->last_ns > p->last_ns)
        p->last_ns = u->last_ns;
    if (kuser_failed(u)) {
        p->failed++;
        if (!p->first_fail_ns || u->fail_ns < p->first_fail_ns)
            p->first_fail_ns = u->fail_ns;
        if (u->fail_ns > p->last_fail_ns)
            p->last_fail_ns = u->fail_ns;
        feat_top_add(&p->ev, u->fail_id, u->bad ? 2.0 : u->locked ? 1.8 : 1.5);
        feat_top_add(&p->ev, u->id, 0.5); /* its first try, when that was another session */
    } else {
        feat_top_add(&p->ev, u->id, 1.0);
    }
    int rc = hunt_vec_push(&p->times, (double)(kuser_failed(u) ? u->fail_ns : u->first_ns) / 1e9);
    return rc;
}

/*
 * Pass 2: a found password is a success while the pair was failing — between its first failure
 * and a window after its last — in a pair where most users failed (so not a user's own typo,
 * nor the workstation's user logging on the next morning).
 */
static int ks_found(void *arg, const void *key, size_t klen, void *value)
{
    (void)klen;
    struct ks *k = arg;
    struct kuser *u = value;
    struct kpair *p = hunt_map_get(&k->pairs, key, 32, 0);
    if (!p || !u->ok || u->ok_ns < p->first_fail_ns ||
        (double)(u->ok_ns - p->last_fail_ns) > k->window * 1e9 || p->failed < 2 ||
        p->failed * 2 < p->users)
        return 0;
    if (p->nfound < KRB_FOUND) {
        snprintf(p->found[p->nfound], sizeof p->found[0], "%.*s", (int)(klen - 32),
                 (const char *)key + 32);
        p->found_id[p->nfound] = u->ok_id;
    }
    p->nfound++;
    feat_top_add(&p->ev, u->ok_id, 3.0);
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
        .found = p->nfound > 0,
    };
    char found[KRB_FOUND * 42 + 24] = "";
    size_t fl = 0;
    for (unsigned i = 0; i < p->nfound && i < KRB_FOUND && fl < sizeof found; i++)
        fl += (size_t)snprintf(found + fl, sizeof found - fl, "%s%s", i ? ", " : "", p->found[i]);
    if (p->nfound > KRB_FOUND && fl < sizeof found)
        snprintf(found + fl, sizeof found - fl, " and %u more", p->nfound - KRB_FOUND);
    unsigned nfound = p->nfound;
    struct hunt_result r = {0};
    r.score = feat_krb_score(&f, &k->p);
    if (r.score < k->min_score)
        return 0;
    hunt_addr(key, 16, r.src, sizeof r.src);
    hunt_addr((const uint8_t *)key + 16, 16, r.dst, sizeof r.dst);
    char win[32], most[48] = "", tail[272] = "";
    hunt_fmt_dur(k->window, win, sizeof win);
    if (p->max_bad > 1)
        snprintf(most, sizeof most, ", up to %" PRIu64 " on one", p->max_bad);
    if (nfound)
        snprintf(tail, sizeof tail,
                 "; PASSWORD FOUND: AS-REP for %s after %" PRIu64 " users failed", found,
                 p->failed);
    else if (p->oks)
        snprintf(tail, sizeof tail, "; %" PRIu64 " user%s logged on", p->oks,
                 p->oks == 1 ? "" : "s");
    /* One line for a person to read: cut, if ever, at the end. */
    if (snprintf(r.explain, sizeof r.explain,
                 "%s tried %" PRIu64 " users (%" PRIu64 " AS-REQs) at KDC %s, %" PRIu64
                 " of them within %s: %" PRIu64 " unknown users (PRINCIPAL_UNKNOWN), %" PRIu64
                 " wrong passwords (PREAUTH_FAILED) on %" PRIu64 " users%s, %" PRIu64
                 " PREAUTH_REQUIRED, %" PRIu64 " locked/revoked%s",
                 r.src, p->users, p->reqs, r.dst, f.window_users, win, p->unknown, p->bad,
                 p->bad_users, most, p->required, p->locked, tail) >= (int)sizeof r.explain)
        r.explain[sizeof r.explain - 1] = '\0';
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
    };
    if (!(k.p.half_users > 0) || !(k.p.half_guesses > 0) || !(k.window > 0))
        return hunt_fail(ctx, KS_EINVAL, "half_users, half_guesses and window must be positive");
    size_t max = (size_t)hunt_num(ctx, "max_users");
    hunt_map_init(&k.users, sizeof(struct kuser), max);
    hunt_map_init(&k.pairs, sizeof(struct kpair), max);
    int rc = hunt_days(ctx, ks_day, &k);
    if (!rc && k.users.refused)
        rc = hunt_fail(ctx, KS_ELIMIT,
                       "more than %.0f (client, KDC, user) triples: raise max_users or narrow "
                       "--since/--until",
                       hunt_num(ctx, "max_users"));
    if (!rc)
        rc = hunt_map_each(&k.users, ks_rollup, &k);
    if (!rc)
        rc = hunt_map_each(&k.users, ks_found, &k);
    if (!rc)
        rc = hunt_map_each(&k.pairs, ks_emit, &k);
    hunt_map_each(&k.pairs, ks_free, NULL);
    hunt_map_release(&k.pairs);
    hunt_map_release(&k.users);
    return rc;
}

const struct hunt_kind hunt_kind_krbspray = {"krb-spray", krbspray_run};
