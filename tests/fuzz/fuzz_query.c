/*
 * fuzz_query.c — query text in, and either a well-formed error or SQL that SQLite prepares.
 *
 * Bytes become a NUL-terminated string (an embedded NUL ends the query early, as in C).
 * A refused query must carry KS_EINVAL (or KS_ENOMEM), a one-line message and a column inside
 * the text.  An accepted one is compiled, prepared against an in-memory `sessions` table
 * (docs/store.md) — it must always prepare — and run over three rows, so konseki_regexp and
 * konseki_inranges see the patterns and sets the fuzzer makes, and $ioc: sets read a few
 * indicators.
 */
#include "core/buf.h"
#include "core/err.h"
#include "query/query.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *fq_db;

static const char fq_schema[] =
    "CREATE INDEX s_src ON sessions(src_ip); CREATE INDEX s_dst ON sessions(dst_ip);"
    "CREATE INDEX s_first ON sessions(first_ns);"
    "INSERT INTO sessions VALUES (1, 0, 1, 1705312800000000000, 1705312802000000000, 4, 6,"
    " x'00000000000000000000ffff0a010001', x'00000000000000000000ffff0a01ffff', 49152, 445,"
    " NULL, NULL, 10, 20, 1000, 2000, 500, 1500, 27, 'ShADadFf', 'SF', 'fin', '1:aaa+bbb/ccc=',"
    " 1, x'', NULL);"
    "INSERT INTO sessions VALUES (2, 0, 1, 1705316400000000000, 1705316400100000000, 6, 17,"
    " x'20010db8000000000000000000000001', x'ff020000000000000000000000000001', 53, 53,"
    " 100, 200, 1, 1, 80, 120, 52, 92, NULL, NULL, NULL, 'idle', '1:x[y]*z?', 1, x'', 'dns');"
    "INSERT INTO sessions VALUES (3, 0, 1, 0, 0, 4, 1, x'', x'', 0, 0, 4095, NULL, 0, 0, 0, 0,"
    " 0, 0, 0, '', 'OTH', 'eof', '', 1, x'', NULL);"
    "INSERT INTO paths VALUES (1, 'dns.question.name');"
    "INSERT INTO fields VALUES (1, 'example.com', 2);";

/* indicators for $ioc: sets (query_ioc_schema's TEMP tables) */
static const char fq_iocs[] =
    "INSERT INTO indicators VALUES (1, 'cidr', '10.1.0.0/16', 0,"
    " x'00000000000000000000ffff0a010000', x'00000000000000000000ffff0a01ffff'),"
    " (2, 'ip', '2001:db8::1', 0, x'20010db8000000000000000000000001',"
    " x'20010db8000000000000000000000001'), (3, 'domain', 'example.com', 0, NULL, NULL),"
    " (4, 'ja3', 'ddbd6dcac4a3a7624912e37036fef3c9', 1, NULL, NULL);"
    "INSERT INTO ioc_sources VALUES (1, 'feodo'), (2, 'feodo'), (3, 'x'), (4, 'x');";

static void fq_setup(void)
{
    if (sqlite3_open(":memory:", &fq_db) != SQLITE_OK ||
        sqlite3_exec(fq_db, store_meta_schema(), NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(fq_db, fq_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(fq_db, query_ioc_schema(), NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(fq_db, fq_iocs, NULL, NULL, NULL) != SQLITE_OK ||
        query_sqlite_register(fq_db) != 0) {
        fprintf(stderr, "fuzz_query: setup: %s\n", sqlite3_errmsg(fq_db));
        abort();
    }
}

static void fq_check_error(int rc, const struct query_error *err, size_t len)
{
    if (rc == KS_ENOMEM)
        return;
    if (rc != KS_EINVAL) {
        fprintf(stderr, "fuzz_query: unexpected code %d\n", rc);
        abort();
    }
    size_t mlen = strnlen(err->msg, sizeof err->msg);
    if (mlen == 0 || mlen == sizeof err->msg || strchr(err->msg, '\n') || err->col < 0 ||
        (size_t)err->col > len + 1) {
        fprintf(stderr, "fuzz_query: bad error (col %d): %.*s\n", err->col, (int)mlen, err->msg);
        abort();
    }
}

static void fq_run(const struct query *q)
{
    struct buf sql;
    const struct qparam *p;
    size_t np;
    buf_init(&sql, 0);
    buf_printf(&sql, "SELECT id FROM sessions WHERE ");
    if (query_compile_sqlite(q, &sql, &p, &np) != 0)
        abort();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(fq_db, buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz_query: SQLite refused the SQL: %s\n%s\n", sqlite3_errmsg(fq_db),
                buf_cstr(&sql));
        abort();
    }
    if ((size_t)sqlite3_bind_parameter_count(st) != np)
        abort();
    if (query_sqlite_bind(st, 1, p, np) != SQLITE_OK)
        abort();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    /* Running may fail only where a pattern hits PCRE2's match limits. */
    if (rc != SQLITE_DONE && strncmp(sqlite3_errmsg(fq_db), "konseki_regexp", 14) != 0) {
        fprintf(stderr, "fuzz_query: step: %s\n%s\n", sqlite3_errmsg(fq_db), buf_cstr(&sql));
        abort();
    }
    sqlite3_finalize(st);
    buf_release(&sql);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fq_db)
        fq_setup();
    if (size > QUERY_MAX_LEN + 16)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct query *q = NULL;
    struct query_error err;
    int rc = query_parse(text, &q, &err);
    if (rc)
        fq_check_error(rc, &err, strlen(text));
    else
        fq_run(q);
    query_free(q);
    free(text);
    return 0;
}
