/* The pure parts of the dns-tunnel, nxdomain and krb-spray hunts (hunt/feat.h). */
#include "t.h"

#include "hunt/dnsq.h"
#include "hunt/feat.h"
#include "hunt/hunt.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

TEST(hunt_feat_sub)
{
    const char *sub;
    ASSERT_EQ(feat_sub("a.bc.example.com", "example.com", &sub), 4);
    ASSERT_TRUE(strncmp(sub, "a.bc", 4) == 0);
    ASSERT_EQ(feat_sub("a.bc.example.com.", "example.com", &sub), 4);
    ASSERT_EQ(feat_sub("example.com", "example.com", &sub), 0);
    ASSERT_EQ(feat_sub("xexample.com", "example.com", &sub), 0); /* not a label boundary */
    ASSERT_EQ(feat_sub("a.example.org", "example.com", &sub), 0);
    ASSERT_EQ(feat_sub("a.example.com", "", &sub), 0);
    ASSERT_EQ(feat_sub("", "example.com", &sub), 0);
}

TEST(hunt_feat_name)
{
    struct feat_name f;
    const char *s = "aaaaah7wqa.=auth.dns2tcp";
    feat_name(s, strlen(s), &f);
    ASSERT_EQ(f.labels, 3);
    ASSERT_EQ(f.longest, 10);
    ASSERT_EQ(f.len, 22);
    ASSERT_TRUE(f.entropy > 3.0 && f.entropy < 4.0);
    feat_name("aaaa", 4, &f);
    ASSERT_EQ(f.labels, 1);
    ASSERT_TRUE(f.entropy == 0);
    feat_name("", 0, &f);
    ASSERT_EQ(f.labels, 0);
    ASSERT_EQ(f.longest, 0);
    /* 32 symbols used evenly: 5 bits per character */
    const char *b32 = "abcdefghijklmnopqrstuvwxyz234567";
    feat_name(b32, 32, &f);
    ASSERT_TRUE(fabs(f.entropy - 5.0) < 1e-9);
    /* empty labels ("a..b") are not labels */
    feat_name("a..b.", 5, &f);
    ASSERT_EQ(f.labels, 2);
}

TEST(hunt_feat_dga)
{
    /* brands, words and typos: low */
    static const char *const words[] = {
        "facebook",          "google",     "stackoverflow", "wikipedia",     "microsoftonline",
        "googleusercontent", "office365",  "gooogle",       "windowsupdate", "linkedln",
        "cloudfront",        "akamaiedge", "corp",          "example"};
    double sum = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        double d = feat_dga(words[i], strlen(words[i]));
        ASSERT_TRUE(d >= 0 && d < 0.3);
        sum += d;
    }
    ASSERT_TRUE(sum / (double)(sizeof words / sizeof words[0]) < 0.1);
    /* generated labels (the scenario's [a-z]{12,20}, Conficker/Necurs-like): high */
    static const char *const dga[] = {"bszobthrpwdzffxdf", "btquulypksmxbt", "fyodjlrndrfwuhv",
                                      "qmsbphxzmnvflrw",   "covqdyfqmlpxa",  "ctzkk6oam89oz6w"};
    sum = 0;
    for (size_t i = 0; i < sizeof dga / sizeof dga[0]; i++) {
        double d = feat_dga(dga[i], strlen(dga[i]));
        ASSERT_TRUE(d > 0.4 && d <= 1);
        sum += d;
    }
    ASSERT_TRUE(sum / (double)(sizeof dga / sizeof dga[0]) > 0.55);
    /* too short to judge, or no letters */
    ASSERT_TRUE(feat_dga("xqzkw", 5) == 0);
    ASSERT_TRUE(feat_dga("1234567890", 10) == 0);
    ASSERT_TRUE(feat_dga("", 0) == 0);
    /* only the n characters given are read */
    ASSERT_TRUE(feat_dga("qmsbphxzmnvflrw.com", 3) == 0);
}

TEST(hunt_feat_window_max)
{
    double t[] = {11, 0, 2, 1, 10, 30};
    ASSERT_EQ(feat_window_max(t, 6, 2), 3); /* 0, 1, 2 */
    ASSERT_TRUE(t[0] == 0 && t[5] == 30);   /* sorted in place */
    ASSERT_EQ(feat_window_max(t, 6, 100), 6);
    ASSERT_EQ(feat_window_max(t, 6, 0.5), 1);
    double same[] = {5, 5, 5};
    ASSERT_EQ(feat_window_max(same, 3, 0), 3);
    ASSERT_EQ(feat_window_max(NULL, 0, 1), 0);
}

TEST(hunt_feat_top)
{
    struct feat_top t = {0};
    for (uint64_t i = 1; i <= 40; i++)
        feat_top_add(&t, i, (double)(i % 20)); /* weights 1..19, 0, 1..19, 0 */
    ASSERT_EQ(t.n, FEAT_TOP);
    for (unsigned i = 1; i < t.n; i++)
        ASSERT_TRUE(t.w[i - 1] >= t.w[i]);
    ASSERT_TRUE(t.w[0] == 19 && (t.id[0] == 19 || t.id[0] == 39));
    /* equal weights keep the order they came in */
    ASSERT_EQ(t.id[0], 19);
    ASSERT_EQ(t.id[1], 39);
    /* an id already held keeps its higher weight and moves up when it gains */
    feat_top_add(&t, 39, 1);
    ASSERT_EQ(t.id[1], 39);
    feat_top_add(&t, 30, 100);
    ASSERT_EQ(t.id[0], 30);
    ASSERT_EQ(t.n, FEAT_TOP);
    unsigned seen = 0;
    for (unsigned i = 0; i < t.n; i++)
        seen += t.id[i] == 30;
    ASSERT_EQ(seen, 1);
    /* too weak to enter a full set */
    feat_top_add(&t, 99, 0.5);
    for (unsigned i = 0; i < t.n; i++)
        ASSERT_TRUE(t.id[i] != 99);
}

static const struct feat_tunnel_params tp = {
    .half_names = 10, .half_types = 10, .label_lo = 12, .label_hi = 40, .spread_hosts = 5};

TEST(hunt_feat_tunnel_score)
{
    /* the scenario's tunnel: 400 TXT queries, 400 unique base32 names */
    struct feat_tunnel t = {.queries = 400,
                            .names = 400,
                            .tunnel_types = 400,
                            .avg_longest = 52,
                            .avg_entropy = 4.8,
                            .hosts = 1};
    double s = feat_tunnel_score(&t, &tp);
    ASSERT_TRUE(s > 0.99 && s <= 1);
    /* DNSExfiltrator: 14 TXT queries with 61-character labels */
    struct feat_tunnel x = {.queries = 14,
                            .names = 14,
                            .tunnel_types = 14,
                            .avg_longest = 61,
                            .avg_entropy = 5.0,
                            .hosts = 1};
    double sx = feat_tunnel_score(&x, &tp);
    ASSERT_TRUE(sx > 0.8);
    /* the names part alone (A queries carrying data) */
    x.tunnel_types = 0;
    double names = feat_tunnel_score(&x, &tp);
    ASSERT_TRUE(fabs(names - 14.0 / 24.0) < 1e-9);
    /* a TXT poller on short names: the types part alone */
    struct feat_tunnel p = {.queries = 50,
                            .names = 19,
                            .tunnel_types = 50,
                            .avg_longest = 2,
                            .avg_entropy = 2.2,
                            .hosts = 1};
    ASSERT_TRUE(fabs(feat_tunnel_score(&p, &tp) - 50.0 / 60.0) < 1e-9);
    /* a CDN: many short unique names, no TXT — nothing */
    struct feat_tunnel c = {
        .queries = 600, .names = 500, .avg_longest = 6, .avg_entropy = 2.9, .hosts = 1};
    ASSERT_TRUE(feat_tunnel_score(&c, &tp) == 0);
    /* many hosts asking the same domain, and a resolver, are discounted */
    t.hosts = 6;
    ASSERT_TRUE(fabs(feat_tunnel_score(&t, &tp) - s / 2) < 1e-9);
    t.hosts = 1;
    t.resolver = 1;
    ASSERT_TRUE(fabs(feat_tunnel_score(&t, &tp) - s / 2) < 1e-9);
    /* monotonic in label length and entropy */
    x.avg_longest = 30;
    double shorter = feat_tunnel_score(&x, &tp);
    ASSERT_TRUE(shorter < names && shorter > 0);
    x.avg_longest = 61;
    x.avg_entropy = 3.0;
    ASSERT_TRUE(feat_tunnel_score(&x, &tp) < names);
}

TEST(hunt_feat_nx_score)
{
    const struct feat_nx_params p = {.half_domains = 10, .half_ratio = 0.05};
    struct feat_nx dga = {.answered = 237, .nx = 183, .nx_domains = 181, .avg_dga = 0.67};
    struct feat_nx typo = {.answered = 67, .nx = 6, .nx_domains = 4, .avg_dga = 0.07};
    double sd = feat_nx_score(&dga, &p), st = feat_nx_score(&typo, &p);
    ASSERT_TRUE(sd > 0.6 && sd < 1);
    ASSERT_TRUE(st < 0.1);
    /* the same storm of ordinary names scores far lower than random ones */
    dga.avg_dga = 0;
    ASSERT_TRUE(feat_nx_score(&dga, &p) < sd / 3);
    dga.avg_dga = 0.67;
    /* a lower NX share lowers it, a resolver halves it */
    dga.answered = 20000;
    double diluted = feat_nx_score(&dga, &p);
    ASSERT_TRUE(diluted < sd && diluted > sd * 0.6);
    dga.resolver = 1;
    ASSERT_TRUE(fabs(feat_nx_score(&dga, &p) - diluted / 2) < 1e-9);
    struct feat_nx none = {0};
    ASSERT_TRUE(feat_nx_score(&none, &p) == 0);
}

TEST(hunt_feat_krb_score)
{
    const struct feat_krb_params p = {.half_users = 5, .half_guesses = 10};
    /* kerbrute: 10 users in 25 ms, 9 failed, one wrong password each, `normal` found */
    struct feat_krb k = {.users = 10, .window_users = 10, .failed_users = 9, .max_bad = 1};
    double base = feat_krb_score(&k, &p);
    double spray = 10.0 / 15.0 * (0.2 + 0.8 * 0.9), guess = 1.0 / 11.0;
    ASSERT_TRUE(fabs(base - (1 - (1 - spray) * (1 - guess))) < 1e-9);
    k.found = 1;
    ASSERT_TRUE(fabs(feat_krb_score(&k, &p) - (base + (1 - base) / 2)) < 1e-9);
    /* a terminal server: 50 users logging on in an hour, 2 typos */
    struct feat_krb ts = {.users = 50, .window_users = 30, .failed_users = 2, .max_bad = 1};
    ASSERT_TRUE(feat_krb_score(&ts, &p) < 0.3);
    /* guessing one account: 40 wrong passwords */
    struct feat_krb g = {.users = 1, .window_users = 1, .failed_users = 1, .max_bad = 40};
    ASSERT_TRUE(feat_krb_score(&g, &p) > 0.8);
    struct feat_krb none = {0};
    ASSERT_TRUE(feat_krb_score(&none, &p) == 0);
}

/* The SQL functions the DNS hunts register on a day file's connection. */
static int sql_int(sqlite3 *db, const char *q, char *text, size_t n)
{
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int(s, 0);
        if (text)
            snprintf(text, n, "%s", (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return v;
}

TEST(hunt_dnsq_functions)
{
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    ASSERT_EQ(dnsq_register(db), 0);
    char t[256];
    sql_int(db, "SELECT ks_rd('x.y.dns2tcp.hsc.fr')", t, sizeof t);
    ASSERT_STR_EQ(t, "hsc.fr");
    sql_int(db, "SELECT ks_rd('www.example.co.uk')", t, sizeof t);
    ASSERT_STR_EQ(t, "example.co.uk");
    sql_int(db, "SELECT ks_rd('isatap')", t, sizeof t);
    ASSERT_STR_EQ(t, "");
    sql_int(db, "SELECT ks_rd(NULL)", t, sizeof t);
    ASSERT_STR_EQ(t, "");
    /* the longest label below the registered domain, not of the domain itself */
    ASSERT_EQ(sql_int(db, "SELECT ks_longest('ab.abcdef.verylongregistered.com')", NULL, 0), 6);
    ASSERT_EQ(sql_int(db, "SELECT ks_longest('ab.abcdef.x.com', 'abcdef.x.com')", NULL, 0), 2);
    ASSERT_EQ(sql_int(db, "SELECT ks_longest('example.com')", NULL, 0), 0);
    ASSERT_EQ(sql_int(db, "SELECT ks_longest(NULL)", NULL, 0), 0);
    /* mail-policy TXT lookups, by name or by answer */
    ASSERT_EQ(sql_int(db, "SELECT ks_txt_policy('_dmarc.example.com', NULL)", NULL, 0), 1);
    ASSERT_EQ(sql_int(db, "SELECT ks_txt_policy('s1._domainkey.example.com', '{}')", NULL, 0), 1);
    ASSERT_EQ(
        sql_int(db,
                "SELECT ks_txt_policy('example.com',"
                " '{\"dns\":{\"answers\":[{\"data\":[\"v=spf1 include:_spf.x.com -all\"]}]}}')",
                NULL, 0),
        1);
    ASSERT_EQ(sql_int(db,
                      "SELECT ks_txt_policy('l.1.ns.ostrykebs.pl',"
                      " '{\"dns\":{\"answers\":[{\"data\":\"JABzAD0AJwBoAHQAdABwAHMAOgAv\"}]}}')",
                      NULL, 0),
              0);
    ASSERT_EQ(sql_int(db, "SELECT ks_txt_policy(NULL, NULL)", NULL, 0), 0);
    sqlite3_close(db);
}
