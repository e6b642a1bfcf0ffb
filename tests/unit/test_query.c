/*
 * test_query.c — the query language: errors with their columns, the SQL's form, and above all
 * what a query selects when its SQL runs against a real SQLite `sessions` table (docs/store.md)
 * holding the ten hand-made sessions below.
 */
#include "t.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/ktime.h"
#include "query/query.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QS (1000000000LL)
#define T0 (1705312800LL * QS) /* 2024-01-15T10:00:00Z */
#define NONE (-1)

/* -------------------------------------------------------------------------------------------- */

struct qt_row {
    int64_t id;
    int ipver, proto;
    const char *src, *dst;
    int sport, dport, vlan, vlan2;
    int64_t spk, dpk, sby, dby, spl, dpl;
    int flags;
    const char *hist, *state, *end, *cid;
    int64_t first, dur; /* first relative to T0, or to now when rel_now */
    int rel_now;
};

/* Row n of the table is session n; ids are n, except row 10 whose id has the top bit set. */
static const struct qt_row qt_rows[] = {
    {1,  4,      6,    "10.1.0.1", "10.1.255.255", 49152, 445,        NONE, NONE,  10,
     20, 1000,   2000, 500,        1500,           0x1b,  "ShADadFf", "SF", "fin", "1:aaa+bbb/ccc=",
     0,  2 * QS, 0},
    {2,  4, 6, "10.2.0.1", "10.1.0.0", 50000, 3389,  100,         NONE,      1,       1, 60,
     54, 0, 0, 0x06,       "Sr",       "REJ", "rst", "1:x[y]*z?", 3600 * QS, QS / 10, 0},
    {3,   4,  17, "192.168.1.5", "8.8.8.8", 53,   53,     100,      200,        1,       1, 80,
     120, 52, 92, NONE,          NULL,      NULL, "idle", "1:udp1", 86400 * QS, 30 * QS, 0},
    {4,
     6,
     6,
     "2001:db8::1",
     "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
     52000,
     443,
     NONE,
     NONE,
     4000,
     3000,
     5000000,
     200000,
     4900000,
     100000,
     0x02,
     "S",
     "S0",
     "idle",
     "1:v6tcp",
     2 * 86400 * QS,
     3600 * QS,
     0},
    {5,    6,    58,    "fe80::1", "ff02::1",        135, 0, NONE, NONE, 1, 0, 86, 0, 32, 0, NONE,
     NULL, NULL, "eof", "1:icmp6", -30 * 86400 * QS, 0,   0},
    {6,   4,   1,   "10.0.255.255", "10.2.0.0", 8,    0,      7,         NONE,    3,      3, 294,
     294, 168, 168, NONE,           NULL,       NULL, "idle", "1:icmp4", 10 * QS, 2 * QS, 0},
    {7,
     6,
     6,
     "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
     "2001:db9::",
     40000,
     22,
     NONE,
     NONE,
     2,
     0,
     150,
     0,
     0,
     0,
     0x00,
     "",
     "OTH",
     "evicted",
     "1:noflags",
     300 * QS,
     3 * QS / 2,
     0},
    {8,    4,       6,        "172.16.0.1", "172.16.0.2", 41000,      80, 4095,
     NONE, 2000000, 1000000,  3000000000,   1500000,      2900000000, 10, 0x12,
     "Sh", "SH",    "active", "1:abcdef",   -3600 * QS,   5 * QS,     1},
    {9,
     4,
     132,
     "10.1.2.3",
     "10.9.9.9",
     1000,
     2000,
     NONE,
     NONE,
     5,
     5,
     500,
     500,
     100,
     100,
     NONE,
     NULL,
     NULL,
     "idle",
     "1:xy-sctp",
     3 * 86400 * QS,
     90 * 60 * QS,
     0},
    {INT64_MIN + 1 /* 8000000000000001 */,
     4,
     47,
     "203.0.113.7",
     "198.51.100.1",
     0,
     0,
     NONE,
     NONE,
     1,
     1,
     100,
     100,
     10,
     10,
     NONE,
     NULL,
     NULL,
     "eof",
     NULL,
     -10 * 86400 * QS,
     86400 * QS,
     1},
};
#define QT_NROWS (sizeof qt_rows / sizeof qt_rows[0])

static void qt_ip16(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out + 12) == 1) {
        out[10] = out[11] = 0xff;
        return;
    }
    if (inet_pton(AF_INET6, s, out) != 1)
        abort();
}

/* the store's columns without its NOT NULL constraints, so rows can leave fields empty */
static const char qt_schema[] =
    "CREATE TABLE sessions (id INTEGER, piece INTEGER, last_piece INTEGER, first_ns INTEGER,"
    " last_ns INTEGER, ipver INTEGER, proto INTEGER, src_ip BLOB, dst_ip BLOB, src_port INTEGER,"
    " dst_port INTEGER, vlan INTEGER, vlan2 INTEGER, src_pkts INTEGER, dst_pkts INTEGER,"
    " src_bytes INTEGER, dst_bytes INTEGER, src_payload INTEGER, dst_payload INTEGER,"
    " tcp_flags INTEGER, tcp_history TEXT, tcp_state TEXT, end_reason TEXT, community_id TEXT,"
    " ingest_id INTEGER, pos BLOB, app TEXT);"
    "CREATE TABLE paths(pid INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);"
    "CREATE TABLE fields(pid INTEGER NOT NULL, value, id INTEGER NOT NULL);"
    "CREATE INDEX s_src ON sessions(src_ip); CREATE INDEX s_dst ON sessions(dst_ip);"
    "CREATE INDEX s_dport ON sessions(dst_port); CREATE INDEX s_first ON sessions(first_ns);"
    "CREATE INDEX s_cid ON sessions(community_id);";

static void qt_bind_opt_int(sqlite3_stmt *st, int i, int v)
{
    if (v == NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int(st, i, v);
}

static void qt_bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* The shared database: created once, kept for the whole run. */
static sqlite3 *qt_db(void)
{
    static sqlite3 *db;
    if (db)
        return db;
    if (sqlite3_open(":memory:", &db) || sqlite3_exec(db, qt_schema, NULL, NULL, NULL) ||
        sqlite3_exec(db, query_ioc_schema(), NULL, NULL, NULL) || query_sqlite_register(db))
        abort();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO sessions VALUES (?1, 0, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                           " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
                           " 1, x'', NULL)",
                           -1, &st, NULL))
        abort();
    int64_t now = ktime_now();
    for (size_t r = 0; r < QT_NROWS; r++) {
        const struct qt_row *x = &qt_rows[r];
        uint8_t src[16], dst[16];
        qt_ip16(x->src, src);
        qt_ip16(x->dst, dst);
        int64_t first = (x->rel_now ? now : T0) + x->first;
        sqlite3_bind_int64(st, 1, x->id);
        sqlite3_bind_int64(st, 2, first);
        sqlite3_bind_int64(st, 3, first + x->dur);
        sqlite3_bind_int(st, 4, x->ipver);
        sqlite3_bind_int(st, 5, x->proto);
        sqlite3_bind_blob(st, 6, src, 16, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 7, dst, 16, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 8, x->sport);
        sqlite3_bind_int(st, 9, x->dport);
        qt_bind_opt_int(st, 10, x->vlan);
        qt_bind_opt_int(st, 11, x->vlan2);
        sqlite3_bind_int64(st, 12, x->spk);
        sqlite3_bind_int64(st, 13, x->dpk);
        sqlite3_bind_int64(st, 14, x->sby);
        sqlite3_bind_int64(st, 15, x->dby);
        sqlite3_bind_int64(st, 16, x->spl);
        sqlite3_bind_int64(st, 17, x->dpl);
        qt_bind_opt_int(st, 18, x->flags);
        qt_bind_opt_text(st, 19, x->hist);
        qt_bind_opt_text(st, 20, x->state);
        qt_bind_opt_text(st, 21, x->end);
        qt_bind_opt_text(st, 22, x->cid);
        if (sqlite3_step(st) != SQLITE_DONE)
            abort();
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return db;
}

static int qt_bind(sqlite3_stmt *st, const struct qparam *p, size_t n)
{
    return query_sqlite_bind(st, 1, p, n);
}

/*
 * Run `SELECT id FROM sessions WHERE <query>` and name the rows it returns ("1,3,10"), or
 * "ERR col: message" for a refused query, or "SQL: …" when SQLite did not take the SQL.
 */
static const char *qt_sel_prefix(const char *prefix, const char *text)
{
    static char out[512];
    struct query *q;
    struct query_error err;
    int rc = query_parse(text, &q, &err);
    if (rc) {
        snprintf(out, sizeof out, "ERR %d: %s", err.col, err.msg);
        return out;
    }
    struct buf sql;
    buf_init(&sql, 0);
    buf_printf(&sql, "%s", prefix);
    const struct qparam *p;
    size_t np;
    if (query_compile_sqlite(q, &sql, &p, &np))
        abort();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(qt_db(), buf_cstr(&sql), -1, &st, NULL)) {
        snprintf(out, sizeof out, "SQL: %s", sqlite3_errmsg(qt_db()));
        goto done;
    }
    int hit[QT_NROWS] = {0};
    qt_bind(st, p, np);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        for (size_t r = 0; r < QT_NROWS; r++)
            hit[r] |= qt_rows[r].id == id;
    }
    if (rc != SQLITE_DONE) {
        snprintf(out, sizeof out, "SQL: %s", sqlite3_errmsg(qt_db()));
    } else {
        size_t o = 0;
        out[0] = '\0';
        for (size_t r = 0; r < QT_NROWS; r++)
            if (hit[r])
                o += (size_t)snprintf(out + o, sizeof out - o, "%s%zu", o ? "," : "", r + 1);
    }
    sqlite3_finalize(st);
done:
    buf_release(&sql);
    query_free(q);
    return out;
}

static const char *qt_sel(const char *text)
{
    return qt_sel_prefix("SELECT id FROM sessions WHERE ", text);
}

/* The SQL text alone (or "ERR …"). */
static const char *qt_sql(const char *text)
{
    static char out[512];
    struct query *q;
    struct query_error err;
    if (query_parse(text, &q, &err)) {
        snprintf(out, sizeof out, "ERR %d: %s", err.col, err.msg);
        return out;
    }
    struct buf sql;
    buf_init(&sql, 0);
    const struct qparam *p;
    size_t np;
    query_compile_sqlite(q, &sql, &p, &np);
    snprintf(out, sizeof out, "%s", buf_cstr(&sql));
    buf_release(&sql);
    query_free(q);
    return out;
}

#define ALL "1,2,3,4,5,6,7,8,9,10"

/* ---- errors: message and column ----------------------------------------------------------- */

TEST(query_error_unknown_field_suggests)
{
    ASSERT_STR_EQ(qt_sel("ip.dest == 1.2.3.4"),
                  "ERR 1: unknown field 'ip.dest' (did you mean 'ip.dst'?)");
    ASSERT_STR_EQ(qt_sel("port == 1 && destinaton.port == 2"),
                  "ERR 14: unknown field 'destinaton.port' (did you mean 'destination.port'?)");
    ASSERT_STR_EQ(qt_sel("zzzzzz == 1"),
                  "ERR 1: unknown field 'zzzzzz' (see `konseki query --fields`)");
    ASSERT_STR_EQ(qt_sel("10.0.0.1"),
                  "ERR 1: '10.0.0.1' is a value, not a field (write e.g. ip == 10.0.0.1)");
}

TEST(query_error_bad_values)
{
    ASSERT_STR_EQ(qt_sel("ip.dst == 10.1.2.300"), "ERR 11: '10.1.2.300' is not an IP address");
    ASSERT_STR_EQ(qt_sel("ip.dst == 10.0.0.0/33"),
                  "ERR 11: '10.0.0.0/33' has a bad prefix length (0-32 for IPv4, 0-128 for IPv6)");
    ASSERT_STR_EQ(qt_sel("ip == 2001:db8::/129"),
                  "ERR 7: '2001:db8::/129' has a bad prefix length (0-32 for IPv4, 0-128 for "
                  "IPv6)");
    ASSERT_STR_EQ(qt_sel("ip == 10.*"),
                  "ERR 7: '10.*' is not an IP address (wildcards work on text fields only)");
    ASSERT_STR_EQ(qt_sel("port == 65536"), "ERR 9: '65536' is not a port (0-65535)");
    ASSERT_STR_EQ(qt_sel("vlan == 4096"), "ERR 9: '4096' is not a VLAN id (0-4095)");
    ASSERT_STR_EQ(qt_sel("bytes > 1.5"),
                  "ERR 9: '1.5' is not a count (whole number, k M G T suffixes)");
    ASSERT_STR_EQ(qt_sel("duration > 1h30"),
                  "ERR 12: '1h30' is not a duration (e.g. 250ms, 1.5s, 1h30m)");
    ASSERT_STR_EQ(qt_sel("proto == tcpp"),
                  "ERR 10: 'tcpp' is not an IP protocol (tcp udp icmp icmp6 sctp gre esp ah igmp, "
                  "or 0-255)");
    ASSERT_STR_EQ(qt_sel("tcp.flags == syn+ack"),
                  "ERR 14: 'syn+ack' is not a TCP flag (fin syn rst psh ack urg ece cwr, or a mask "
                  "0-4095)");
    ASSERT_STR_EQ(qt_sel("ipver == 5"), "ERR 10: '5' is not an IP version (ipv4, ipv6)");
    ASSERT_STR_EQ(qt_sel("id == 12345g"),
                  "ERR 7: '12345g' is not a session id (16 hex digits or a decimal)");
    ASSERT_STR_EQ(qt_sel("time > yesterday"),
                  "ERR 8: 'yesterday' is not a time (RFC 3339, epoch seconds, or 7d, 3h ...)");
    ASSERT_STR_EQ(qt_sel("time > 3000-01-01"),
                  "ERR 8: '3000-01-01' is out of range (years 1678-2261, at most 200 years back)");
    ASSERT_STR_EQ(
        qt_sel("time > 99999999999w"),
        "ERR 8: '99999999999w' is out of range (years 1678-2261, at most 200 years back)");
    ASSERT_STR_EQ(qt_sel("time > 1700000000000"),
                  "ERR 8: '1700000000000' is out of range (years 1678-2261, at most 200 years "
                  "back)");
}

TEST(query_error_syntax)
{
    ASSERT_STR_EQ(qt_sel("ip == 1.2.3.4 &&"), "ERR 17: missing comparison at the end of the query");
    ASSERT_STR_EQ(qt_sel("(ip == 1.2.3.4"), "ERR 1: unclosed '('");
    ASSERT_STR_EQ(qt_sel("ip == 1.2.3.4)"), "ERR 14: unmatched ')'");
    ASSERT_STR_EQ(qt_sel("(ip == 1.2.3.4 port == 1)"),
                  "ERR 16: expected '&&', '||' or ')', found 'port'");
    ASSERT_STR_EQ(qt_sel("ip == 1.2.3.4 port == 1"), "ERR 15: expected '&&' or '||', found 'port'");
    ASSERT_STR_EQ(qt_sel("ip = 1.2.3.4"), "ERR 4: '=' is not an operator (use '==')");
    ASSERT_STR_EQ(qt_sel("ip == 1 & port == 2"), "ERR 9: '&' is not an operator (use '&&')");
    ASSERT_STR_EQ(qt_sel("ip == 1 | port == 2"), "ERR 9: '|' is not an operator (use '||')");
    ASSERT_STR_EQ(qt_sel("ip =="), "ERR 6: expected a value after '==', found end of query");
    ASSERT_STR_EQ(qt_sel("ip == && port == 1"), "ERR 7: expected a value after '==', found '&&'");
    ASSERT_STR_EQ(qt_sel("&& ip == 1"), "ERR 1: expected a field name, found '&&'");
    ASSERT_STR_EQ(qt_sel("ip 1.2.3.4"),
                  "ERR 4: expected an operator (== != < <= > >=) after 'ip', found '1.2.3.4'");
    ASSERT_STR_EQ(qt_sel("()"), "ERR 2: empty parentheses");
    ASSERT_STR_EQ(qt_sel("!"), "ERR 2: missing comparison at the end of the query");
    ASSERT_STR_EQ(qt_sel("tcp.state == \"SF"), "ERR 14: missing closing '\"'");
    ASSERT_STR_EQ(qt_sel("tcp.state == /SF"), "ERR 14: missing closing '/' of the regex");
    ASSERT_STR_EQ(qt_sel("tcp.state == /sf/i"),
                  "ERR 18: unexpected 'i' after a regex (flags go inside the pattern, e.g. "
                  "/(?i)abc/)");
    ASSERT_STR_EQ(qt_sel("EXISTS! == 1"), "ERR 1: expected a field name, found EXISTS!");
    /* Columns count characters, not bytes: 'ü' is two bytes. */
    ASSERT_STR_EQ(qt_sel("tcp.state == \"\xc3\xbc\" && ip == x"),
                  "ERR 27: 'x' is not an IP address");
}

TEST(query_error_lists_and_kinds)
{
    ASSERT_STR_EQ(qt_sel("port == [1, 2"), "ERR 9: unclosed '['");
    ASSERT_STR_EQ(qt_sel("port == [1 2]"), "ERR 12: expected ',' or ']', found '2'");
    ASSERT_STR_EQ(qt_sel("port == [1,]"), "ERR 12: expected a value, found ']'");
    ASSERT_STR_EQ(qt_sel("port == []"), "ERR 9: empty list");
    ASSERT_STR_EQ(qt_sel("port < [1, 2]"), "ERR 8: a list needs == or !=");
    ASSERT_STR_EQ(qt_sel("port == [1, EXISTS!]"), "ERR 13: EXISTS! cannot be in a list");
    ASSERT_STR_EQ(qt_sel("port > EXISTS!"), "ERR 8: EXISTS! needs == or !=");
    ASSERT_STR_EQ(qt_sel("tcp.state < SF"),
                  "ERR 11: ordering needs a number, time or address field; 'tcp.state' is text");
    ASSERT_STR_EQ(qt_sel("proto > 6"),
                  "ERR 7: ordering needs a number, time or address field; 'proto' is proto");
    ASSERT_STR_EQ(qt_sel("ip > 10.0.0.0/8"),
                  "ERR 6: ordering compares with one address, not a CIDR");
    ASSERT_STR_EQ(qt_sel("ip == /10/"), "ERR 7: a regex needs a text field; 'ip' is ip");
    ASSERT_STR_EQ(qt_sel("tcp.state == /(x/"),
                  "ERR 14: bad regex: missing closing parenthesis (at offset 2 of the pattern)");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:bad_hosts"),
                  "ERR 7: unknown indicator type 'bad_hosts' in $ioc:bad_hosts (ip ipv4 ipv6 cidr "
                  "domain ua ja3 ja3s ja4 cert-sha1 cert-sha256 md5 sha1 sha256; a source alone: "
                  "$ioc:@NAME)");
    ASSERT_STR_EQ(qt_sel("ip == [1.2.3.4, $ioc:x]"),
                  "ERR 17: unknown indicator type 'x' in $ioc:x (ip ipv4 ipv6 cidr domain ua ja3 "
                  "ja3s ja4 cert-sha1 cert-sha256 md5 sha1 sha256; a source alone: $ioc:@NAME)");
    ASSERT_STR_EQ(qt_sel("ip == $bad"), "ERR 7: unknown named set '$bad' (IOC sets are written "
                                        "$ioc:TYPE, $ioc:TYPE@SOURCE or $ioc:@SOURCE)");
}

TEST(query_error_bounds)
{
    /* QUERY_MAX_DEPTH levels are fine, one more is not. */
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < QUERY_MAX_DEPTH; i++)
        buf_putc(&b, '(');
    buf_printf(&b, "port == 53");
    for (int i = 0; i < QUERY_MAX_DEPTH; i++)
        buf_putc(&b, ')');
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "3");
    buf_reset(&b);
    for (int i = 0; i <= QUERY_MAX_DEPTH; i++)
        buf_putc(&b, '(');
    buf_printf(&b, "port == 53");
    for (int i = 0; i <= QUERY_MAX_DEPTH; i++)
        buf_putc(&b, ')');
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "ERR 65: expression is nested too deeply (max 64 levels)");
    buf_reset(&b);
    for (int i = 0; i <= QUERY_MAX_DEPTH; i++)
        buf_putc(&b, '!');
    buf_printf(&b, "port == 53");
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "ERR 65: expression is nested too deeply (max 64 levels)");

    /* Too many terms. */
    buf_reset(&b);
    for (int i = 0; i < QUERY_MAX_NODES; i++)
        buf_printf(&b, "%sport == %d", i ? " || " : "", i);
    ASSERT_TRUE(strncmp(qt_sel(buf_cstr(&b)), "ERR ", 4) == 0);
    ASSERT_TRUE(strstr(qt_sel(buf_cstr(&b)), "too many terms (max 4096)") != NULL);

    /* Too long. */
    buf_reset(&b);
    buf_printf(&b, "tcp.state == ");
    while (b.len <= QUERY_MAX_LEN)
        buf_putc(&b, 'a');
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "ERR 0: query is longer than 65536 bytes");

    /* A list of 10,001 values. */
    buf_reset(&b);
    buf_printf(&b, "port.dst == [");
    for (int i = 0; i <= 10000; i++)
        buf_printf(&b, "%s%d", i ? "," : "", i % 60000);
    buf_printf(&b, "]");
    ASSERT_TRUE(strstr(qt_sel(buf_cstr(&b)), "list is too long (max 10000 values)") != NULL);
    buf_release(&b);
}

TEST(query_error_null_err_and_empty)
{
    struct query *q = NULL;
    ASSERT_EQ(query_parse("ip ==", &q, NULL), KS_EINVAL);
    ASSERT_TRUE(q == NULL);
    ASSERT_EQ(query_parse(NULL, &q, NULL), 0);
    ASSERT_STR_EQ(qt_sql(""), "1");
    ASSERT_STR_EQ(qt_sql(" \t\n "), "1");
    query_free(q);
    query_free(NULL);
    ASSERT_STR_EQ(qt_sel(""), ALL);
}

/* ---- SQL form: plain, index-friendly comparisons, values only as parameters ---------------- */

TEST(query_sql_forms)
{
    ASSERT_STR_EQ(qt_sql("ip.dst == 10.1.0.0/16"), "(dst_ip BETWEEN ? AND ?)");
    ASSERT_STR_EQ(qt_sql("ip.src == 10.1.2.3"), "(src_ip = ?)");
    ASSERT_STR_EQ(qt_sql("ip == 10.1.2.3"), "((src_ip = ?) OR (dst_ip = ?))");
    ASSERT_STR_EQ(qt_sql("port.dst == [445, 3389]"), "(dst_port IN (?, ?))");
    ASSERT_STR_EQ(qt_sql("community_id == \"1:abc'; DROP TABLE x; --\""), "(community_id = ?)");
    ASSERT_STR_EQ(qt_sql("community_id == 1:abc*"), "(community_id GLOB ?)");
    ASSERT_STR_EQ(qt_sql("@timestamp >= 2024-01-15"), "(first_ns >= ?)");
    ASSERT_STR_EQ(qt_sql("tcp.flags == rst"), "((tcp_flags & ?) != 0)");
    ASSERT_STR_EQ(qt_sql("tcp.history == /^QS/"), "(konseki_regexp(?, tcp_history))");
    ASSERT_STR_EQ(qt_sql("port.dst != 22"), "(NOT (dst_port = ?))");
    ASSERT_STR_EQ(qt_sql("tcp.state != SF"), "((tcp_state = ?) IS NOT 1)");
    ASSERT_STR_EQ(qt_sql("vlan == EXISTS!"), "((vlan IS NOT NULL) OR (vlan2 IS NOT NULL))");
    ASSERT_STR_EQ(qt_sql("bytes > 10M"), "((src_bytes + dst_bytes) > ?)");
    ASSERT_STR_EQ(qt_sql("a_field_with_sql' OR 1 == 1"),
                  "ERR 1: unknown field 'a_field_with_sql'' (see `konseki query --fields`)");
}

TEST(query_sql_params)
{
    struct query *q;
    struct query_error err;
    ASSERT_EQ(
        query_parse("ip.dst == 10.1.0.0/16 && tcp.state == \"S\\\"0\" && bytes >= 1.5k", &q, &err),
        0);
    struct buf sql;
    buf_init(&sql, 0);
    buf_printf(&sql, "x");
    const struct qparam *p;
    size_t n;
    ASSERT_EQ(query_compile_sqlite(q, &sql, &p, &n), 0);
    ASSERT_TRUE(sql.len > 1 && sql.data[0] == 'x'); /* appended */
    ASSERT_EQ(n, 4);
    static const uint8_t lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 0, 0};
    static const uint8_t hi[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 255, 255};
    int seen_text = 0, seen_int = 0, blobs = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].type == QP_BLOB) {
            ASSERT_EQ(p[i].len, 16);
            ASSERT_MEM_EQ(p[i].p, blobs ? hi : lo, 16);
            blobs++;
        } else if (p[i].type == QP_TEXT) {
            ASSERT_STR_EQ(p[i].p, "S\"0");
            ASSERT_EQ(p[i].len, 3);
            seen_text = 1;
        } else {
            ASSERT_EQ(p[i].type, QP_INT);
            ASSERT_EQ(p[i].i, 1500);
            seen_int = 1;
        }
    }
    ASSERT_TRUE(seen_text && seen_int && blobs == 2);
    buf_release(&sql);
    query_free(q);
}

TEST(query_sql_uses_indexes)
{
    static const char *const cases[][2] = {
        {"ip.dst == 10.1.0.0/16", "s_dst"},
        {"ip.src == 10.1.0.1", "s_src"},
        {"ip == 10.1.0.1", "s_dst"}, /* MULTI-INDEX OR: both */
        {"ip == 10.1.0.1", "s_src"},
        {"port.dst == [445, 3389]", "s_dport"},
        {"@timestamp >= 2024-01-15 && @timestamp < 2024-01-16", "s_first"},
        {"community_id == \"1:udp1\"", "s_cid"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char plan[1024] = "";
        const char *r =
            qt_sel_prefix("EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE ", cases[c][0]);
        ASSERT_TRUE(strncmp(r, "ERR", 3) != 0 && strncmp(r, "SQL", 3) != 0);
        /* qt_sel_prefix reads column 0; the plan text is column 3: run it again by hand. */
        struct query *q;
        struct query_error err;
        ASSERT_EQ(query_parse(cases[c][0], &q, &err), 0);
        struct buf sql;
        buf_init(&sql, 0);
        buf_printf(&sql, "EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE ");
        const struct qparam *p;
        size_t np;
        query_compile_sqlite(q, &sql, &p, &np);
        sqlite3_stmt *st;
        ASSERT_EQ(sqlite3_prepare_v2(qt_db(), buf_cstr(&sql), -1, &st, NULL), SQLITE_OK);
        qt_bind(st, p, np);
        while (sqlite3_step(st) == SQLITE_ROW) {
            size_t l = strlen(plan);
            snprintf(plan + l, sizeof plan - l, "%s; ", (const char *)sqlite3_column_text(st, 3));
        }
        sqlite3_finalize(st);
        buf_release(&sql);
        query_free(q);
        if (!strstr(plan, cases[c][1]))
            t_fail(__FILE__, __LINE__, "%s: plan '%s' does not use %s", cases[c][0], plan,
                   cases[c][1]);
    }
}

/* ---- semantics against the table --------------------------------------------------------- */

TEST(query_sem_cidr_v4_boundaries)
{
    ASSERT_STR_EQ(qt_sel("ip.dst == 10.1.0.0/16"), "1,2"); /* .0.0 and .255.255 both in */
    ASSERT_STR_EQ(qt_sel("ip.src == 10.1.0.0/16"), "1,9"); /* 10.0.255.255 just out */
    ASSERT_STR_EQ(qt_sel("ip == 10.1.0.0/16"), "1,2,9");
    ASSERT_STR_EQ(qt_sel("ip == 10.1.77.77/16"), "1,2,9"); /* host bits ignored */
    ASSERT_STR_EQ(qt_sel("ip == 10.0.0.0/8"), "1,2,6,9");
    ASSERT_STR_EQ(qt_sel("ip.dst == 10.1.255.255/32"), "1");
    ASSERT_STR_EQ(qt_sel("ip.dst == 10.1.255.255"), "1");
    ASSERT_STR_EQ(qt_sel("ip == 0.0.0.0/0"), "1,2,3,6,8,9,10"); /* every IPv4, no IPv6 */
    ASSERT_STR_EQ(qt_sel("ip.src == ::ffff:10.1.0.1"), "1");
    ASSERT_STR_EQ(qt_sel("ip.src == ::ffff:10.1.0.0/112"), "1,9");
}

TEST(query_sem_cidr_v6_boundaries)
{
    ASSERT_STR_EQ(qt_sel("ip == 2001:db8::/32"), "4");
    ASSERT_STR_EQ(qt_sel("ip.dst == 2001:db8::/32"), "4"); /* the last address of the /32 */
    ASSERT_STR_EQ(qt_sel("ip == 2001:db8::/31"), "4,7");   /* db8-db9 */
    ASSERT_STR_EQ(qt_sel("ip == 2001:db6::/31"), "7");     /* db6-db7 */
    ASSERT_STR_EQ(qt_sel("ip == ::/0"), ALL);
    ASSERT_STR_EQ(qt_sel("ip == fe80::/10"), "5");
    ASSERT_STR_EQ(qt_sel("ip.dst == FF02::1"), "5");
    ASSERT_STR_EQ(qt_sel("ip == 2001:db8::1/128"), "4");
}

TEST(query_sem_ip_lists_and_order)
{
    ASSERT_STR_EQ(qt_sel("ip == [8.8.8.8, 2001:db8::/32, 172.16.0.0/30]"), "3,4,8");
    ASSERT_STR_EQ(qt_sel("ip.dst == [10.1.0.0, fe80::/10, 10.2.0.0]"), "2,6");
    ASSERT_STR_EQ(qt_sel("ip != [10.0.0.0/8, 2001:db8::/32]"), "3,5,7,8,10");
    ASSERT_STR_EQ(qt_sel("ip != 10.1.0.1"), "2,3,4,5,6,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("ip.dst < 10.1.0.0"), "3");
    ASSERT_STR_EQ(qt_sel("ip.dst <= 10.1.0.0"), "2,3");
    ASSERT_STR_EQ(qt_sel("ip.src >= fe80::"), "5");
}

TEST(query_sem_ports_proto_ipver)
{
    ASSERT_STR_EQ(qt_sel("port.dst == [445, 3389]"), "1,2");
    ASSERT_STR_EQ(qt_sel("destination.port == 445"), "1");
    ASSERT_STR_EQ(qt_sel("port == 53"), "3");
    ASSERT_STR_EQ(qt_sel("port.src >= 50000"), "2,4");
    ASSERT_STR_EQ(qt_sel("port < 10"), "5,6,10");
    ASSERT_STR_EQ(qt_sel("port.dst != [0, 443, 445]"), "2,3,7,8,9");
    ASSERT_STR_EQ(qt_sel("proto == udp"), "3");
    ASSERT_STR_EQ(qt_sel("proto == icmp"), "5,6");
    ASSERT_STR_EQ(qt_sel("ip.protocol == ICMP6"), "5");
    ASSERT_STR_EQ(qt_sel("proto == ipv6-icmp"), "5");
    ASSERT_STR_EQ(qt_sel("proto == [sctp, gre]"), "9,10");
    ASSERT_STR_EQ(qt_sel("proto != tcp"), "3,5,6,9,10");
    ASSERT_STR_EQ(qt_sel("proto != icmp"), "1,2,3,4,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("network.transport == 6"), "1,2,4,7,8");
    ASSERT_STR_EQ(qt_sel("ipver == 6"), "4,5,7");
    ASSERT_STR_EQ(qt_sel("network.type == ipv4"), "1,2,3,6,8,9,10");
    ASSERT_STR_EQ(qt_sel("ip.version == IPv6"), "4,5,7");
}

TEST(query_sem_vlan)
{
    ASSERT_STR_EQ(qt_sel("vlan == 200"), "3"); /* the inner tag counts too */
    ASSERT_STR_EQ(qt_sel("vlan == 100"), "2,3");
    ASSERT_STR_EQ(qt_sel("network.vlan.id == [7, 4095]"), "6,8");
    ASSERT_STR_EQ(qt_sel("vlan == EXISTS!"), "2,3,6,8");
    ASSERT_STR_EQ(qt_sel("vlan != EXISTS!"), "1,4,5,7,9,10");
    ASSERT_STR_EQ(qt_sel("vlan != 100"), "1,4,5,6,7,8,9,10"); /* untagged sessions are not 100 */
    ASSERT_STR_EQ(qt_sel("vlan > 4000"), "8");
    ASSERT_STR_EQ(qt_sel("vlan.id < 150"), "2,3,6");
}

TEST(query_sem_counts)
{
    ASSERT_STR_EQ(qt_sel("bytes > 1M"), "4,8");
    ASSERT_STR_EQ(qt_sel("bytes >= 3G"), "8");
    ASSERT_STR_EQ(qt_sel("network.bytes == 3000"), "1");
    ASSERT_STR_EQ(qt_sel("bytes == 3k"), "1");
    ASSERT_STR_EQ(qt_sel("bytes.src > 1k"), "4,8");
    ASSERT_STR_EQ(qt_sel("bytes.src >= 1K"), "1,4,8");
    ASSERT_STR_EQ(qt_sel("bytes < 1.5k"), "2,3,5,6,7,9,10");
    ASSERT_STR_EQ(qt_sel("bytes.dst == 0x0"), "5,7");
    ASSERT_STR_EQ(qt_sel("packets >= 1M"), "8");
    ASSERT_STR_EQ(qt_sel("packets.dst == 0"), "5,7");
    ASSERT_STR_EQ(qt_sel("source.packets == 4000"), "4");
    ASSERT_STR_EQ(qt_sel("databytes == 0"), "2,7");
    ASSERT_STR_EQ(qt_sel("databytes.src > 100"), "1,4,6,8");
    ASSERT_STR_EQ(qt_sel("konseki.payload.bytes.dst >= 0.1M"), "4");
    ASSERT_STR_EQ(qt_sel("bytes > 0.003T"), "8");
}

TEST(query_sem_durations)
{
    ASSERT_STR_EQ(qt_sel("duration >= 1h"), "4,9,10");
    ASSERT_STR_EQ(qt_sel("duration < 1s"), "2,5");
    ASSERT_STR_EQ(qt_sel("duration == 1.5s"), "7");
    ASSERT_STR_EQ(qt_sel("event.duration == 1500ms"), "7");
    ASSERT_STR_EQ(qt_sel("event.duration == 1500000us"), "7");
    ASSERT_STR_EQ(qt_sel("event.duration > 1500000000"), "1,3,4,6,8,9,10"); /* ns */
    ASSERT_STR_EQ(qt_sel("duration > 2"), "3,4,8,9,10");                    /* seconds */
    ASSERT_STR_EQ(qt_sel("duration == 0.1"), "2");
    ASSERT_STR_EQ(qt_sel("duration >= 1h30m"), "9,10");
    ASSERT_STR_EQ(qt_sel("duration >= 1d"), "10");
    ASSERT_STR_EQ(qt_sel("duration == 90m"), "9");
    ASSERT_STR_EQ(qt_sel("duration < 1w && duration > 0.5m"), "4,9,10");
}

TEST(query_sem_tcp_flags)
{
    ASSERT_STR_EQ(qt_sel("tcp.flags == rst"), "2");
    ASSERT_STR_EQ(qt_sel("tcp.flags == syn"), "1,2,4,8");
    ASSERT_STR_EQ(qt_sel("konseki.tcp.flags == SYN"), "1,2,4,8");
    ASSERT_STR_EQ(qt_sel("tcp.flags == [fin, rst]"), "1,2");
    ASSERT_STR_EQ(qt_sel("tcp.flags != ack"), "2,3,4,5,6,7,9,10");
    ASSERT_STR_EQ(qt_sel("tcp.flags != [ack, rst]"), "3,4,5,6,7,9,10");
    ASSERT_STR_EQ(qt_sel("tcp.flags == 0x12"), "1,8"); /* syn and ack both */
    ASSERT_STR_EQ(qt_sel("tcp.flags == 18"), "1,8");
    ASSERT_STR_EQ(qt_sel("tcp.flags == 0"), "7");
    ASSERT_STR_EQ(qt_sel("tcp.flags == EXISTS!"), "1,2,4,7,8");
    ASSERT_STR_EQ(qt_sel("tcp.flags == syn && tcp.flags != ack"), "2,4");
}

TEST(query_sem_text_exact_and_wildcards)
{
    ASSERT_STR_EQ(qt_sel("tcp.state == SF"), "1");
    ASSERT_STR_EQ(qt_sel("tcp.state == sf"), ""); /* case matters (S0 vs s0 in history) */
    ASSERT_STR_EQ(qt_sel("tcp.state != SF"), "2,3,4,5,6,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("tcp.state == [S0, REJ]"), "2,4");
    ASSERT_STR_EQ(qt_sel("tcp.state == S*"), "1,4,8");
    ASSERT_STR_EQ(qt_sel("tcp.state == \"S?\""), "1,4,8");
    ASSERT_STR_EQ(qt_sel("tcp.state == \"S\\?\""), "");
    ASSERT_STR_EQ(qt_sel("tcp.history == \"\""), "7");
    ASSERT_STR_EQ(qt_sel("tcp.history == EXISTS!"), "1,2,4,7,8");
    ASSERT_STR_EQ(qt_sel("tcp.history != EXISTS!"), "3,5,6,9,10");
    ASSERT_STR_EQ(qt_sel("end_reason == [fin, rst]"), "1,2");
    ASSERT_STR_EQ(qt_sel("konseki.end_reason == idle"), "3,4,6,9");
    ASSERT_STR_EQ(qt_sel("community_id == \"1:aaa+bbb/ccc=\""), "1");
    ASSERT_STR_EQ(qt_sel("community_id == 1:aaa+bbb/ccc="), "1"); /* base64 '=' needs no quotes */
    ASSERT_STR_EQ(qt_sel("community_id==1:aaa+bbb/ccc=&&port==49152"), "1");
    ASSERT_STR_EQ(qt_sel("community_id == 1:*"), "1,2,3,4,5,6,7,8,9");
    ASSERT_STR_EQ(qt_sel("community_id != 1:*"), "10"); /* NULL: not a match, so != holds */
    ASSERT_STR_EQ(qt_sel("community_id == EXISTS!"), "1,2,3,4,5,6,7,8,9");
    ASSERT_STR_EQ(qt_sel("network.community_id == 1:?dp1"), "3");
    ASSERT_STR_EQ(qt_sel("community_id == *cp"), "4");
    ASSERT_STR_EQ(qt_sel("community_id == *tp"), "9");
    ASSERT_STR_EQ(qt_sel("community_id == [1:udp*, 1:icmp?, 1:abcdef]"), "3,5,6,8");
}

TEST(query_sem_glob_metacharacters_escaped)
{
    /* Row 2 is "1:x[y]*z?"; row 9 "1:xy-sctp" would match an unescaped [y]. */
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]*\""), "2");
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]\\*z\\?\""), "2");
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]\\*\""), "");  /* literal, not a prefix */
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]*z?\""), "2"); /* wildcards */
    ASSERT_STR_EQ(qt_sel("community_id == \"*]*\""), "2");
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]\\*z?\""), "2");
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]*z\""), "");
    ASSERT_STR_EQ(qt_sel("community_id == 1:xy*"), "9");
    ASSERT_STR_EQ(qt_sel("community_id == \"1:x[y]\\\\*\""), ""); /* \\ is one backslash */
}

TEST(query_sem_regex)
{
    ASSERT_STR_EQ(qt_sel("tcp.history == /^Sh/"), "1,8");
    ASSERT_STR_EQ(qt_sel("tcp.history != /^Sh/"), "2,3,4,5,6,7,9,10"); /* NULL history too */
    ASSERT_STR_EQ(qt_sel("tcp.history == /(?i)^sh/"), "1,8");
    ASSERT_STR_EQ(qt_sel("community_id == /bbb\\/ccc=$/"), "1"); /* \/ is a slash */
    ASSERT_STR_EQ(qt_sel("community_id == /^1:[a-c]+\\+/"), "1");
    ASSERT_STR_EQ(qt_sel("community_id == /\\[y\\]/"), "2");
    ASSERT_STR_EQ(qt_sel("community_id == /\\d$/"), "3,5,6");
    ASSERT_STR_EQ(qt_sel("community_id == [/^1:v6/, /sctp$/, 1:abcdef]"), "4,8,9");
    ASSERT_STR_EQ(qt_sel("tcp.state == //"), "1,2,4,7,8"); /* matches any non-NULL */
    ASSERT_STR_EQ(qt_sel("tcp.state == /a/ || tcp.state == /b/ || tcp.state == /c/ ||"
                         " tcp.state == /d/ || tcp.state == /e/ || tcp.state == /f/ ||"
                         " tcp.state == /g/ || tcp.state == /h/ || tcp.state == /i/ ||"
                         " tcp.state == /j/ || tcp.state == /k/ || tcp.state == /l/ ||"
                         " tcp.state == /m/ || tcp.state == /n/ || tcp.state == /o/ ||"
                         " tcp.state == /p/ || tcp.state == /q/ || tcp.state == /r/ ||"
                         " tcp.state == /S0/ || tcp.state == /F$/"),
                  "1,4"); /* more patterns than the cache holds */
}

TEST(query_regexp_function)
{
    sqlite3 *db = qt_db();
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT konseki_regexp('^a', 'abc'), konseki_regexp('^a', 'xa'),"
                                 " konseki_regexp('^a', NULL), konseki_regexp(NULL, 'a'),"
                                 " konseki_regexp('^1', 12), konseki_regexp('.', x'ff')",
                                 -1, &st, NULL),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(st, 0), 1);
    ASSERT_EQ(sqlite3_column_int(st, 1), 0);
    ASSERT_EQ(sqlite3_column_int(st, 2), 0);
    ASSERT_EQ(sqlite3_column_int(st, 3), 0);
    ASSERT_EQ(sqlite3_column_int(st, 4), 1);
    ASSERT_EQ(sqlite3_column_int(st, 5), 0); /* not UTF-8: no match rather than an error */
    sqlite3_finalize(st);
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT konseki_regexp('(', 'a')", -1, &st, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ERROR);
    ASSERT_TRUE(strstr(sqlite3_errmsg(db), "konseki_regexp: bad pattern") != NULL);
    sqlite3_finalize(st);
    /* Catastrophic backtracking ends (a match limit) instead of hanging. */
    ASSERT_EQ(
        sqlite3_prepare_v2(db,
                           "SELECT konseki_regexp('^(a|aa)+$',"
                           " 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab')",
                           -1, &st, NULL),
        SQLITE_OK);
    int rc = sqlite3_step(st);
    ASSERT_TRUE(rc == SQLITE_ROW || rc == SQLITE_ERROR);
    sqlite3_finalize(st);
    ASSERT_EQ(query_sqlite_register(NULL), KS_EINVAL);
}

TEST(query_sem_ids)
{
    ASSERT_STR_EQ(qt_sel("id == 0000000000000002"), "2");
    ASSERT_STR_EQ(qt_sel("id == 3"), "3");
    ASSERT_STR_EQ(qt_sel("event.id == 8000000000000001"), "10"); /* as printed */
    ASSERT_STR_EQ(qt_sel("id == 9223372036854775809"), "10");
    ASSERT_STR_EQ(qt_sel("id == -9223372036854775807"), "10");
    ASSERT_STR_EQ(qt_sel("id == [1, 0000000000000005, 0x9]"), "1,5,9");
    ASSERT_STR_EQ(qt_sel("id != [1, 2, 3, 4, 5, 6, 7, 8, 9]"), "10");
}

TEST(query_sem_time)
{
    ASSERT_STR_EQ(qt_sel("@timestamp >= 2024-01-15T10:00:00Z && @timestamp < 2024-01-16"),
                  "1,2,6,7");
    ASSERT_STR_EQ(qt_sel("starttime < 2024-01-15T10:00:00Z"), "5");
    ASSERT_STR_EQ(qt_sel("time < \"2024-01-15 10:00:01\""), "1,5");
    ASSERT_STR_EQ(qt_sel("time > 2024-01-15T10:00:00+02:00"), "1,2,3,4,6,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("@timestamp == 1705312800"), "1");
    ASSERT_STR_EQ(qt_sel("event.start == 1705312810.0"), "6");
    ASSERT_STR_EQ(qt_sel("event.end > 1705312802"), "2,3,4,6,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("stoptime <= 2024-01-15T10:00:02Z"), "1,5");
    ASSERT_STR_EQ(qt_sel("lasttime == 2024-01-15T10:05:01.5Z"), "7");
    ASSERT_STR_EQ(qt_sel("time >= 7d"), "8");
    ASSERT_STR_EQ(qt_sel("time >= 30d"), "8,10");
    ASSERT_STR_EQ(qt_sel("time >= 2h && time <= now"), "8");
    ASSERT_STR_EQ(qt_sel("time < 1w && ip == 0.0.0.0/0"), "1,2,3,6,9,10");
}

TEST(query_sem_precedence)
{
    /* ! binds tightest, then &&, then ||. */
    ASSERT_STR_EQ(qt_sel("proto == icmp || proto == udp && ipver == 6"), "5,6");
    ASSERT_STR_EQ(qt_sel("(proto == icmp || proto == udp) && ipver == 6"), "5");
    ASSERT_STR_EQ(qt_sel("ipver == 6 && proto == icmp || proto == udp"), "3,5");
    ASSERT_STR_EQ(qt_sel("ipver == 6 && (proto == icmp || proto == udp)"), "5");
    ASSERT_STR_EQ(qt_sel("!proto == tcp && ipver == 4"), "3,6,9,10");
    ASSERT_STR_EQ(qt_sel("!(proto == tcp && ipver == 4)"), "3,4,5,6,7,9,10");
    ASSERT_STR_EQ(qt_sel("!!(vlan == 100)"), "2,3");
    ASSERT_STR_EQ(qt_sel("!(vlan == 100 || vlan == EXISTS!)"), "1,4,5,7,9,10");
    ASSERT_STR_EQ(qt_sel("!(tcp.state == SF)"), "2,3,4,5,6,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("!(tcp.state == SF || tcp.flags == rst)"), "3,4,5,6,7,8,9,10");
    ASSERT_STR_EQ(qt_sel("!(tcp.state != SF)"), "1");
    ASSERT_STR_EQ(qt_sel("!(!(vlan == 100) && !(tcp.flags == rst))"), "2,3");
    ASSERT_STR_EQ(qt_sel("((port == 53)) || (((ip == 2001:db8::1)))"), "3,4");
    ASSERT_STR_EQ(qt_sel("ip==10.1.0.1||ip==fe80::1&&proto==58"), "1,5");
}

TEST(query_sem_aliases_case_insensitive)
{
    ASSERT_STR_EQ(qt_sel("IP.SRC == 10.1.0.1"), "1");
    ASSERT_STR_EQ(qt_sel("Source.IP == 10.1.0.1"), "1");
    ASSERT_STR_EQ(qt_sel("src.ip == 10.1.0.1"), "1");
    ASSERT_STR_EQ(qt_sel("dst.ip == 8.8.8.8"), "3");
    ASSERT_STR_EQ(qt_sel("port.src == 53 && PORT.DST == 53"), "3");
    ASSERT_STR_EQ(qt_sel("tcp.state == SF && konseki.tcp.state == SF"), "1");
    ASSERT_STR_EQ(qt_sel("tcp.history == Sr"), "2");
    ASSERT_STR_EQ(qt_sel("konseki.tcp.history == Sr"), "2");
    ASSERT_STR_EQ(qt_sel("vlan == exists!"), "2,3,6,8");
}

TEST(query_ioc_findings)
{
    /* one finding: indicator evil.example (two sources) matched session 3 at dns.question.name */
    ASSERT_EQ(sqlite3_exec(qt_db(),
                           "DELETE FROM findings; DELETE FROM indicators; DELETE FROM ioc_sources;"
                           "INSERT INTO indicators(id, type, value) VALUES (7, 'domain', "
                           "'evil.example');"
                           "INSERT INTO ioc_sources VALUES (7, 'feodo'), (7, 'urlhaus');"
                           "INSERT INTO findings VALUES (7, 3, 'dns.question.name', "
                           "'a.evil.example');",
                           NULL, NULL, NULL),
              SQLITE_OK);
    ASSERT_STR_EQ(qt_sel("ioc == EXISTS!"), "3");
    ASSERT_STR_EQ(qt_sel("ioc.source == feodo"), "3");
    ASSERT_STR_EQ(qt_sel("threat.indicator.provider == [urlhaus, other]"), "3");
    ASSERT_STR_EQ(qt_sel("ioc.source == other"), "");
    ASSERT_STR_EQ(qt_sel("ioc == evil.example && ioc.type == domain"), "3");
    ASSERT_STR_EQ(qt_sel("ioc.field == dns.* && ioc.observed == *.evil.example"), "3");
    ASSERT_STR_EQ(qt_sel("port.dst == [53, 80]"), "3,8");
    ASSERT_STR_EQ(qt_sel("!(ioc == EXISTS!) && port.dst == [53, 80]"), "8");
    sqlite3_exec(qt_db(), "DELETE FROM findings; DELETE FROM indicators; DELETE FROM ioc_sources;",
                 NULL, NULL, NULL);
}

/*
 * Named IOC sets ($ioc:…) against the IOC store's tables, with planted indicators, near misses
 * and protocol record values for the sessions of the table above.
 */
static void qt_exec(const char *sql)
{
    char *m = NULL;
    if (sqlite3_exec(qt_db(), sql, NULL, NULL, &m) != SQLITE_OK) {
        fprintf(stderr, "qt_exec: %s\n", m ? m : "?");
        abort();
    }
}

/* indicator: id, type, value, valid_until_ns, source (lo/hi filled for ip and cidr) */
static void qt_ioc(int id, const char *type, const char *value, int64_t until, const char *src)
{
    uint8_t lo[16], hi[16];
    char net[64];
    int plen = 128;
    snprintf(net, sizeof net, "%s", value);
    char *slash = strchr(net, '/');
    if (slash) {
        *slash = '\0';
        plen = atoi(slash + 1) + (strchr(net, ':') ? 0 : 96);
    }
    qt_ip16(strcmp(type, "ip") && strcmp(type, "cidr") ? "::" : net, lo);
    for (int i = 0; i < 16; i++) {
        int bits = plen - 8 * i;
        uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        lo[i] &= mask;
        hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(qt_db(),
                           "INSERT INTO indicators(id, type, value, valid_until_ns, lo, hi)"
                           " VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL))
        abort();
    sqlite3_bind_int(st, 1, id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, until);
    if (!strcmp(type, "ip") || !strcmp(type, "cidr")) {
        sqlite3_bind_blob(st, 5, lo, 16, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 6, hi, 16, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        abort();
    sqlite3_finalize(st);
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT INTO ioc_sources VALUES (%d, '%s')", id, src);
    qt_exec(sql);
}

/* a record value of session `row` (1-based) under `path` */
static void qt_field(int row, const char *path, const char *value)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(qt_db(), "INSERT OR IGNORE INTO paths(path) VALUES (?)", -1, &st, NULL))
        abort();
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        abort();
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(
            qt_db(), "INSERT INTO fields VALUES ((SELECT pid FROM paths WHERE path = ?), ?, ?)", -1,
            &st, NULL))
        abort();
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, qt_rows[row - 1].id);
    if (sqlite3_step(st) != SQLITE_DONE)
        abort();
    sqlite3_finalize(st);
}

static void qt_ioc_clear(void)
{
    qt_exec("DELETE FROM findings; DELETE FROM indicators; DELETE FROM ioc_sources;"
            " DELETE FROM fields; DELETE FROM paths;");
}

TEST(query_ioc_sets)
{
    int64_t past = ktime_now() - 86400 * QS, future = ktime_now() + 86400 * QS;
    qt_ioc_clear();
    qt_ioc(1, "ip", "8.8.8.8", 0, "feodo");           /* session 3's responder */
    qt_ioc(2, "ip", "8.8.8.9", 0, "feodo");           /* no session (a neighbour) */
    qt_ioc(3, "ip", "2001:db8::1", 0, "other");       /* session 4's initiator */
    qt_ioc(4, "cidr", "198.51.100.0/24", 0, "feodo"); /* session 10's responder */
    qt_ioc(5, "cidr", "10.2.0.0/31", 0, "other");     /* sessions 2 (initiator), 6 (responder) */
    qt_ioc(6, "cidr", "198.51.101.0/24", 0, "feodo"); /* the next network: nothing */
    qt_ioc(7, "ip", "172.16.0.2", past, "feodo");     /* session 8, but expired */
    qt_ioc(8, "ip", "10.9.9.9", future, "feodo");     /* session 9; expires tomorrow */
    qt_ioc(9, "domain", "evil.example", 0, "feodo");
    qt_ioc(10, "ja3", "ddbd6dcac4a3a7624912e37036fef3c9", 0, "sslbl");
    qt_ioc(11, "sha256", "26096646d224850b078facf7656baf2c8df9f7fcdd1daba47505a5e7054b1964", 0,
           "abuse");
    qt_ioc(12, "ja4", "t13d1516h2_8daaf6152771_b186095e22b6", 0, "foxio");
    qt_ioc(13, "ua", "BadBot/1.0", 0, "other");
    qt_ioc(14, "domain", "gone.example", past, "feodo");
    qt_field(1, "dns.question.name", "a.evil.example");      /* a subdomain */
    qt_field(2, "dns.question.name", "notevil.example");     /* a longer label */
    qt_field(3, "dns.question.name", "Evil.Example.");       /* case, trailing dot */
    qt_field(4, "dns.question.name", "evil.example.com");    /* a parent of nothing */
    qt_field(6, "dns.question.name", "x.gone.example");      /* an expired indicator */
    qt_field(5, "dns.answers.data", "10 mx.evil.example");   /* MX: the last word */
    qt_field(6, "dns.answers.data", "cdn.evil.example.net"); /* not a suffix */
    qt_field(1, "dns.resolved_ip", "198.51.100.77");
    qt_field(2, "dns.resolved_ip", "8.8.8.8");
    qt_field(9, "dns.resolved_ip", "198.51.101.300"); /* not an address */
    qt_field(4, "tls.client.server_name", "*.evil.example");
    qt_field(7, "tls.client.ja3", "ddbd6dcac4a3a7624912e37036fef3c9");
    qt_field(8, "tls.client.ja3", "ddbd6dcac4a3a7624912e37036fef3c8");
    qt_field(9, "file.hash.sha256",
             "26096646d224850b078facf7656baf2c8df9f7fcdd1daba47505a5e7054b1964");
    qt_field(10, "tls.client.ja4", "t13d1516H2_8daaf6152771_b186095e22b6");
    qt_field(8, "user_agent.original", "BadBot/1.0");
    qt_field(7, "user_agent.original", "badbot/1.0");

    /* addresses: exact ones by family, networks, expiry, sources */
    ASSERT_STR_EQ(qt_sel("ip.dst == $ioc:ipv4"), "3,9");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:ipv6"), "4");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:ip"), "3,4,9");
    ASSERT_STR_EQ(qt_sel("ip.src == $ioc:ip"), "4");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:cidr"), "2,6,10");
    ASSERT_STR_EQ(qt_sel("ip.src == $ioc:cidr"), "2");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:cidr@other"), "2,6");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:@feodo"), "3,9,10");
    ASSERT_STR_EQ(qt_sel("ip == $IOC:IPv4@feodo && port.dst == 53"), "3");
    ASSERT_STR_EQ(qt_sel("ip == [$ioc:ipv6, 172.16.0.1]"), "4,8");
    ASSERT_STR_EQ(qt_sel("ip != $ioc:cidr"), "1,3,4,5,7,8,9");
    ASSERT_STR_EQ(qt_sel("!(ip.dst == $ioc:@feodo) && ipver == 4"), "1,2,6,8");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:ip@nosuch"), "");
    /* names: themselves and subdomains, never a longer label */
    ASSERT_STR_EQ(qt_sel("dns.query == $ioc:domain"), "1,3");
    ASSERT_STR_EQ(qt_sel("dns.answer == $ioc:domain"), "5");
    ASSERT_STR_EQ(qt_sel("tls.sni == $ioc:domain@feodo"), "4");
    ASSERT_STR_EQ(qt_sel("tls.sni == $ioc:domain@sslbl"), "");
    ASSERT_STR_EQ(qt_sel("dns.query == [notevil.example, $ioc:domain]"), "1,2,3");
    ASSERT_STR_EQ(qt_sel("dns.query != $ioc:domain && port == 53"), "");
    /* addresses as record text */
    ASSERT_STR_EQ(qt_sel("dns.ip == $ioc:ipv4"), "2");
    ASSERT_STR_EQ(qt_sel("dns.ip == $ioc:cidr"), "1");
    ASSERT_STR_EQ(qt_sel("dns.ip == $ioc:ipv6"), "");
    /* exact values: hashes, fingerprints, user agents */
    ASSERT_STR_EQ(qt_sel("tls.ja3 == $ioc:ja3"), "7");
    ASSERT_STR_EQ(qt_sel("file.sha256 == $ioc:sha256"), "9");
    ASSERT_STR_EQ(qt_sel("tls.ja4 == $ioc:ja4"), "10");
    ASSERT_STR_EQ(qt_sel("http.ua == $ioc:ua"), "8");
    ASSERT_STR_EQ(qt_sel("tls.ja3 == $ioc:@sslbl || file.sha256 == $ioc:@abuse"), "7,9");
    /* the source is a parameter, never SQL text */
    ASSERT_TRUE(strstr(qt_sql("ip == $ioc:ip@'feodo'"), "feodo") == NULL);

    /* a set that does not fit the field, with the column */
    ASSERT_STR_EQ(qt_sel("dns.query == $ioc:ipv4"),
                  "ERR 14: $ioc:ipv4 does not fit 'dns.question.name', which takes $ioc:domain");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:md5"), "ERR 7: $ioc:md5 does not fit 'ip', which takes "
                                            "$ioc:ip, $ioc:ipv4, $ioc:ipv6 or $ioc:cidr");
    ASSERT_STR_EQ(qt_sel("cert.sha256 == $ioc:sha256"),
                  "ERR 16: $ioc:sha256 does not fit 'tls.server.hash.sha256', which takes "
                  "$ioc:cert-sha256");
    ASSERT_STR_EQ(qt_sel("port == $ioc:ip"),
                  "ERR 9: 'port' holds no indicators: IOC sets fit addresses, DNS/TLS/HTTP names, "
                  "user agents, JA3/JA4 and certificate and file hashes");
    ASSERT_STR_EQ(qt_sel("http.uri == $ioc:url"),
                  "ERR 13: $ioc:url cannot be compared in a query (such indicators need the "
                  "sweep's normalisation): select the sessions they matched with ioc.type == url");
    ASSERT_STR_EQ(qt_sel("ip < $ioc:ip"), "ERR 6: an IOC set needs == or !=");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:ip@"), "ERR 7: '$ioc:ip@' names no source after '@'");
    ASSERT_STR_EQ(qt_sel("ip == $ioc:"), "ERR 7: '$ioc:' names no set (write $ioc:TYPE, "
                                         "$ioc:TYPE@SOURCE or $ioc:@SOURCE)");
    ASSERT_STR_EQ(qt_sel("ioc == $ioc:domain"),
                  "ERR 8: 'ioc' holds no indicators: IOC sets fit addresses, DNS/TLS/HTTP names, "
                  "user agents, JA3/JA4 and certificate and file hashes");

    /* no indicators (a store without ioc.db has empty tables): sets are empty, not errors */
    qt_ioc_clear();
    ASSERT_STR_EQ(qt_sel("ip == $ioc:ip || ip == $ioc:cidr || tls.sni == $ioc:domain"), "");
    ASSERT_STR_EQ(qt_sel("ip != $ioc:cidr"), ALL);
}

TEST(query_ioc_sets_deep_nesting_prepares)
{
    /* set atoms are larger SQL: deep nesting around them is refused cleanly, never an SQL error */
    static const char *const leaves[] = {"ip == $ioc:cidr@x", "dns.answer == $ioc:domain@x",
                                         "dns.ip == [$ioc:ip, $ioc:cidr]"};
    struct buf b;
    buf_init(&b, 0);
    for (size_t l = 0; l < sizeof leaves / sizeof leaves[0]; l++) {
        int accepted = 0;
        for (int depth = 1; depth < QUERY_MAX_DEPTH; depth++) {
            buf_reset(&b);
            for (int d = 0; d < depth; d++)
                buf_printf(&b, "port == %d %s (", d, d % 2 ? "&&" : "||");
            buf_printf(&b, "%s", leaves[l]);
            for (int d = 0; d < depth; d++)
                buf_putc(&b, ')');
            const char *r = qt_sel(buf_cstr(&b));
            if (strncmp(r, "SQL", 3) == 0)
                t_fail(__FILE__, __LINE__, "%s at depth %d: %s", leaves[l], depth, r);
            T_STOP_IF_FAILED();
            if (strncmp(r, "ERR", 3) == 0)
                ASSERT_TRUE(strstr(r, "too deeply nested for SQLite") != NULL);
            else
                accepted = depth;
        }
        ASSERT_GE(accepted, 8);
    }
    buf_release(&b);
}

TEST(query_fields_table)
{
    size_t n;
    const struct query_field_doc *f = query_fields(&n);
    ASSERT_GE(n, 20);
    ASSERT_STR_EQ(f[0].name, "source.ip");
    ASSERT_TRUE(strstr(f[0].aliases, "ip.src") != NULL);
    /* Every name and alias is known and compiles. */
    for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(f[i].name && f[i].aliases && f[i].type && f[i].help && *f[i].help);
        char q[128];
        snprintf(q, sizeof q, "%s == EXISTS!", f[i].name);
        const char *r = qt_sel(q);
        if (strncmp(r, "ERR", 3) == 0 || strncmp(r, "SQL", 3) == 0)
            t_fail(__FILE__, __LINE__, "%s: %s", q, r);
        const char *a = f[i].aliases;
        while (*a) {
            size_t l = strcspn(a, " ");
            snprintf(q, sizeof q, "%.*s != EXISTS!", (int)l, a);
            r = qt_sel(q);
            if (strncmp(r, "ERR", 3) == 0 || strncmp(r, "SQL", 3) == 0)
                t_fail(__FILE__, __LINE__, "%s: %s", q, r);
            a += l + (a[l] == ' ');
        }
    }
}

/* Long CIDR lists become one sorted range set: the same rows as the short form. */
TEST(query_sem_long_cidr_lists)
{
    struct buf b;
    buf_init(&b, 0);
    static const char *const forms[][3] = {
        {"ip", "1,2,4,6,9", "3,5,7,8,10"},
        {"ip.dst", "1,2,4,6", "3,5,7,8,9,10"},
        {"ip.src", "1,2,4,9", "3,5,6,7,8,10"},
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        for (int neg = 0; neg < 2; neg++) {
            buf_reset(&b);
            buf_printf(&b, "%s %s [10.1.0.0/16, 2001:db8::/32", forms[f][0], neg ? "!=" : "==");
            for (int i = 0; i < 100; i++)
                buf_printf(&b, ", 192.0.2.%d/32, 2001:db8:%x::/48", i, 0x8000 + i);
            /* overlapping and nested members are merged */
            buf_printf(&b, ", 10.1.0.0/17, 10.2.0.0/31, 8.8.8.9, 203.0.113.8/31]");
            ASSERT_TRUE(strstr(qt_sql(buf_cstr(&b)), "konseki_inranges(?, ") != NULL);
            ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), forms[f][1 + neg]);
        }
    }
    /* Exactly at the edges of a set member. */
    buf_reset(&b);
    buf_printf(&b, "ip.src == [");
    for (int i = 0; i < 70; i++)
        buf_printf(&b, "%s10.1.%d.0/24", i ? ", " : "", 100 + i);
    buf_printf(&b, ", 10.0.255.255/32, 2001:db7:ffff:ffff:ffff:ffff:ffff:ffff/128]");
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "6,7");
    buf_release(&b);

    sqlite3_stmt *st;
    ASSERT_EQ(
        sqlite3_prepare_v2(qt_db(),
                           "SELECT konseki_inranges(NULL, x'00'), konseki_inranges(x'00', x'00'),"
                           " konseki_inranges(zeroblob(32), zeroblob(16)),"
                           " konseki_inranges(zeroblob(32), 'abc')",
                           -1, &st, NULL),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(st, 0), 0);
    ASSERT_EQ(sqlite3_column_int(st, 1), 0);
    ASSERT_EQ(sqlite3_column_int(st, 2), 1);
    ASSERT_EQ(sqlite3_column_int(st, 3), 0);
    sqlite3_finalize(st);
}

/* ---- big plans still make SQL that SQLite accepts ----------------------------------------- */

TEST(query_sql_large_lists_and_chains)
{
    struct buf b;
    buf_init(&b, 0);
    /* 4,000 CIDRs on both ends (as many as fit in QUERY_MAX_LEN): 16,000 parameters, OR
     * groups nested rather than chained. */
    buf_printf(&b, "ip == [");
    for (int i = 0; i < 4000; i++)
        buf_printf(&b, "%s10.%d.%d.0/24", i ? "," : "", i / 256, i % 256);
    buf_printf(&b, "]");
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "1,2,6,9");
    /* Three lists of 10,000 on both ports are 60,000 parameters: refused with a message. */
    buf_reset(&b);
    for (int l = 0; l < 3; l++) {
        buf_printf(&b, "%sport == [", l ? " || " : "");
        for (int i = 0; i < 10000; i++)
            buf_printf(&b, "%s%d", i ? "," : "", l);
        buf_printf(&b, "]");
    }
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "ERR 0: query has too many values for SQLite (max 32000)");
    /* 4,000 ORed comparisons. */
    buf_reset(&b);
    for (int i = 0; i < 4000; i++)
        buf_printf(&b, "%sport.dst==%d", i ? "||" : "", i + 3000);
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), "2");
    /* 2,000 ANDed negations. */
    buf_reset(&b);
    for (int i = 0; i < 2000; i++)
        buf_printf(&b, "%s!(tcp.state==X%d)", i ? "&&" : "", i);
    ASSERT_STR_EQ(qt_sel(buf_cstr(&b)), ALL);
    buf_release(&b);
}

/* Build a query alternating && and || at every level, `depth` deep, `wide` terms per level. */
static void qt_nested(struct buf *b, int depth, int wide, int both_deep)
{
    for (int d = 0; d < depth; d++) {
        for (int w = 0; w < wide; w++)
            buf_printf(b, "port == %d %s ", d * 10 + w, d % 2 ? "&&" : "||");
        if (both_deep && d + 1 < depth)
            buf_printf(b, "(vlan == %d %s tcp.state != Q) %s ", d, d % 2 ? "||" : "&&",
                       d % 2 ? "&&" : "||");
        buf_printf(b, "(");
    }
    buf_printf(b, "port == 53");
    for (int d = 0; d < depth; d++)
        buf_printf(b, ")");
}

TEST(query_sql_deep_nesting_prepares)
{
    struct buf b;
    buf_init(&b, 0);
    int accepted = 0;
    for (int depth = 1; depth < QUERY_MAX_DEPTH; depth += 3) {
        for (int wide = 1; wide <= 20; wide += 9) {
            for (int both = 0; both < 2; both++) {
                buf_reset(&b);
                qt_nested(&b, depth, wide, both);
                const char *r = qt_sel(buf_cstr(&b));
                if (strncmp(r, "SQL", 3) == 0)
                    t_fail(__FILE__, __LINE__, "depth %d wide %d: %s", depth, wide, r);
                T_STOP_IF_FAILED();
                if (strncmp(r, "ERR", 3) == 0)
                    ASSERT_TRUE(strstr(r, "too deeply nested for SQLite") != NULL);
                else
                    accepted = depth > accepted ? depth : accepted;
            }
        }
    }
    /* Plain alternating nesting works at least 40 levels deep. */
    ASSERT_GE(accepted, 40);
    buf_release(&b);
}
