/*
 * konseki query [--store DIR] [--since T] [--until T] [--json|--csv] [--limit N]
 *               [--sort KEY] 'EXPR'
 */
#include "cli/cli.h"
#include "cli/output.h"

#include "core/err.h"
#include "core/ktime.h"
#include "query/query.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_parse_range(const char *since, const char *until, int64_t *lo, int64_t *hi)
{
    int64_t now = ktime_now();
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    if (since && ktime_parse(since, now, lo)) {
        cli_err("bad --since '%s' (use 7d, 3h, 2024-01-15T10:00:00Z or epoch seconds)", since);
        return -1;
    }
    if (until && ktime_parse(until, now, hi)) {
        cli_err("bad --until '%s' (use 7d, 3h, 2024-01-15T10:00:00Z or epoch seconds)", until);
        return -1;
    }
    if (*lo > *hi) {
        cli_err("--since is after --until");
        return -1;
    }
    return 0;
}

int cli_parse_query(const char *text, struct query **out)
{
    struct query_error qe;
    memset(&qe, 0, sizeof qe);
    int rc = query_parse(text ? text : "", out, &qe);
    if (rc == KS_EINVAL) {
        if (qe.col > 0)
            cli_err("query: column %d: %s", qe.col, qe.msg);
        else
            cli_err("query: %s", qe.msg);
    } else if (rc) {
        cli_err("query: %s", ks_strerror(rc));
    }
    return rc;
}

int cli_open_store_readonly(const char *store_opt, struct store **st)
{
    char msg[512];
    struct store_opts so = {.readonly = 1};
    int rc = store_open(st, cli_store_dir(store_opt), &so, msg, sizeof msg);
    if (rc)
        cli_err("%s", msg);
    return rc ? cli_exit_for(rc) : EXIT_OK;
}

int cli_prepare_search(const char *since, const char *until, const char *text,
                       struct store_query *q, struct query **expr)
{
    *expr = NULL;
    if (cli_parse_range(since, until, &q->since_ns, &q->until_ns) ||
        cli_parse_query(text ? text : "", expr))
        return EXIT_USER;
    q->expr = *expr;
    return EXIT_OK;
}

struct query_ctx {
    int format;
    uint64_t rows;
};

static int on_row(void *ctx, const struct session_row *r)
{
    struct query_ctx *q = ctx;
    out_session(stdout, q->format, r);
    q->rows++;
    return ferror(stdout) ? 1 : 0;
}

static void query_usage(FILE *f)
{
    fputs("usage: konseki query [--store DIR] [--since T] [--until T] [--json|--csv]\n"
          "                     [--limit N] [--sort time|-time|bytes|packets|duration] 'EXPR'\n"
          "       konseki query --fields\n"
          "  EXPR: ip.dst == 10.1.0.0/16 && port.dst == [445, 3389] && !(proto == udp)\n"
          "  IOC sets (active indicators of STORE/ioc.db): $ioc:TYPE, $ioc:TYPE@SOURCE, and\n"
          "        $ioc:@SOURCE (every type that fits the field), e.g. ip.dst == $ioc:ipv4,\n"
          "        ip == $ioc:cidr@feodo, dns.query == $ioc:domain (itself and subdomains),\n"
          "        tls.sni == $ioc:domain, tls.ja3 == $ioc:ja3, file.sha256 == $ioc:sha256;\n"
          "        TYPE: ip ipv4 ipv6 cidr domain ua ja3 ja3s ja4 cert-sha1 cert-sha256 md5\n"
          "        sha1 sha256\n"
          "  T: 7d, 3h, 30m (ago), 2024-01-15T10:00:00Z, 2024-01-15, epoch seconds\n",
          f);
}

static void list_fields(void)
{
    size_t n;
    const struct query_field_doc *fd = query_fields(&n);
    printf("%-28s %-10s %-34s %s\n", "FIELD", "TYPE", "ALIASES", "MEANING");
    for (size_t i = 0; i < n; i++)
        printf("%-28s %-10s %-34s %s\n", fd[i].name, fd[i].type, fd[i].aliases, fd[i].help);
}

int cli_parse_sort(const char *s, int *out)
{
    static const struct {
        const char *name;
        int sort;
    } sorts[] = {{"time", SORT_TIME},
                 {"-time", SORT_TIME_DESC},
                 {"bytes", SORT_BYTES_DESC},
                 {"packets", SORT_PACKETS_DESC},
                 {"duration", SORT_DURATION_DESC}};
    for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
        if (!strcmp(s, sorts[i].name)) {
            *out = sorts[i].sort;
            return 0;
        }
    }
    cli_err("bad --sort '%s' (time, -time, bytes, packets, duration)", s);
    return -1;
}

int cmd_query(int argc, char **argv)
{
    const char *store_opt = NULL, *since = NULL, *until = NULL;
    int format = OUT_TABLE, sort = SORT_TIME, explain = 0;
    uint64_t limit = 0;
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'a'},
        {"until", required_argument, NULL, 'b'}, {"json", no_argument, NULL, 'j'},
        {"csv", no_argument, NULL, 'c'},         {"table", no_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'n'}, {"sort", required_argument, NULL, 'o'},
        {"fields", no_argument, NULL, 'f'},      {"explain", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'a':
            since = optarg;
            break;
        case 'b':
            until = optarg;
            break;
        case 'j':
            format = OUT_JSON;
            break;
        case 'c':
            format = OUT_CSV;
            break;
        case 't':
            format = OUT_TABLE;
            break;
        case 'e':
            explain = 1;
            break;
        case 'n': {
            char *end;
            limit = strtoull(optarg, &end, 10);
            if (*end || !*optarg) {
                cli_err("bad --limit '%s'", optarg);
                return EXIT_USER;
            }
            break;
        }
        case 'o':
            if (cli_parse_sort(optarg, &sort))
                return EXIT_USER;
            break;
        case 'f':
            list_fields();
            return EXIT_OK;
        case 'h':
            query_usage(stdout);
            return EXIT_OK;
        default:
            query_usage(stderr);
            return EXIT_USER;
        }
    }
    if (argc - optind > 1) {
        cli_err("query: give the expression as one argument (quote it)");
        return EXIT_USER;
    }
    struct store_query q = {.limit = limit, .sort = sort, .want_records = format == OUT_JSON};
    struct query *expr;
    if (cli_prepare_search(since, until, optind < argc ? argv[optind] : "", &q, &expr))
        return EXIT_USER;
    struct store *st;
    int code = cli_open_store_readonly(store_opt, &st);
    if (code) {
        query_free(expr);
        return code;
    }
    struct query_ctx ctx = {format, 0};
    out_header(stdout, format);
    unsigned opened = 0;
    int rc = store_query_run(st, &q, on_row, &ctx, &opened);
    if (rc)
        cli_err("query: %s", store_errmsg(st)[0] ? store_errmsg(st) : ks_strerror(rc));
    if (explain)
        fprintf(stderr, "konseki: %llu sessions from %u partition(s)\n",
                (unsigned long long)ctx.rows, opened);
    store_close(st);
    query_free(expr);
    fflush(stdout);
    return rc ? cli_exit_for(rc) : EXIT_OK;
}
