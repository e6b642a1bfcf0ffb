/* dnsq.c — SQL functions over query names and the resolver set, for the DNS hunts (dnsq.h). */
#include "hunt/dnsq.h"

#include "core/err.h"
#include "hunt/feat.h"
#include "hunt/hunt.h"

#include <sqlite3.h>
#include <string.h>

static void rd_fn(sqlite3_context *c, int argc, sqlite3_value **v)
{
    (void)argc;
    const char *name = (const char *)sqlite3_value_text(v[0]);
    char rd[256];
    rd[0] = '\0';
    if (name)
        hunt_regdomain(name, rd, sizeof rd);
    sqlite3_result_text(c, rd, -1, SQLITE_TRANSIENT);
}

static void longest_fn(sqlite3_context *c, int argc, sqlite3_value **v)
{
    const char *name = (const char *)sqlite3_value_text(v[0]);
    char rdbuf[256];
    const char *rd = argc > 1 ? (const char *)sqlite3_value_text(v[1]) : NULL;
    if (!name) {
        sqlite3_result_int(c, 0);
        return;
    }
    if (!rd) {
        hunt_regdomain(name, rdbuf, sizeof rdbuf);
        rd = rdbuf;
    }
    const char *sub;
    size_t n = feat_sub(name, rd, &sub);
    struct feat_name f;
    feat_name(sub, n, &f);
    sqlite3_result_int64(c, (sqlite3_int64)f.longest);
}

/* Mail-policy lookups (RFC 7208 SPF, RFC 6376 DKIM, RFC 7489 DMARC, RFC 8461 MTA-STS, RFC 8460
   TLS-RPT) and domain-verification tokens: TXT traffic mail servers and SaaS checks make. */
static void policy_fn(sqlite3_context *c, int argc, sqlite3_value **v)
{
    (void)argc;
    const char *name = (const char *)sqlite3_value_text(v[0]);
    const char *j = (const char *)sqlite3_value_text(v[1]);
    static const char *const names[] = {"_dmarc.", "._domainkey.", "_mta-sts.", "_smtp._tls."};
    static const char *const texts[] = {"\"v=spf1",     "\"v=DKIM1", "\"v=DMARC1",    "\"v=STSv1",
                                        "\"v=TLSRPTv1", "\"MS=ms",   "-verification="};
    int hit = 0;
    for (size_t i = 0; name && !hit && i < sizeof names / sizeof names[0]; i++)
        hit = names[i][0] == '_' ? strncmp(name, names[i], strlen(names[i])) == 0
                                 : strstr(name, names[i]) != NULL;
    for (size_t i = 0; j && !hit && i < sizeof texts / sizeof texts[0]; i++)
        hit = strstr(j, texts[i]) != NULL;
    sqlite3_result_int(c, hit);
}

int dnsq_register(void *dbp)
{
    sqlite3 *db = dbp;
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function_v2(db, "ks_rd", 1, flags, NULL, rd_fn, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "ks_longest", 1, flags, NULL, longest_fn, NULL, NULL,
                                        NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "ks_longest", 2, flags, NULL, longest_fn, NULL, NULL,
                                        NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "ks_txt_policy", 2, flags, NULL, policy_fn, NULL, NULL,
                                        NULL);
    return rc == SQLITE_OK ? 0 : KS_ESQL;
}

int dnsq_resolvers(struct hunt_ctx *ctx, void *dbp, struct hunt_map *m)
{
    sqlite3 *db = dbp;
    sqlite3_stmt *s = NULL;
    int rc =
        hunt_prepare_range(ctx, db,
                           "SELECT DISTINCT dst_ip FROM sessions WHERE first_ns BETWEEN ?1 AND ?2"
                           " AND app = 'dns' AND dst_port = 53",
                           &s, "resolvers");
    if (rc)
        return rc;
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW)
        if (sqlite3_column_bytes(s, 0) == 16)
            hunt_map_get(m, sqlite3_column_blob(s, 0), 16, 1);
    return hunt_finish(ctx, db, s, st, "resolvers");
}

int dnsq_prepare(struct hunt_ctx *ctx, sqlite3 *db, struct hunt_map *resolvers, const char *what,
                 const char *sql, sqlite3_stmt **stmt)
{
    *stmt = NULL;
    if (dnsq_register(db))
        return hunt_fail(ctx, KS_ESQL, "%s: %s", what, sqlite3_errmsg(db));
    int rc = dnsq_resolvers(ctx, db, resolvers);
    if (rc)
        return rc;
    return hunt_prepare_range(ctx, db, sql, stmt, what);
}
