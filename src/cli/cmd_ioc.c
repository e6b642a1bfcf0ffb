/*
 * konseki ioc import [--store DIR] [--source NAME] [--type T] [--expires WHEN] [--no-sweep] FILE...
 * konseki ioc match  [--store DIR] [--since T] [--until T] [--source NAME] [--no-sweep] [--json]
 * konseki ioc list   [--store DIR] [--source NAME] [--type T] [--value V] [--json]
 * konseki ioc remove [--store DIR] [--source NAME] [--type T] [--value V] [--all]
 * konseki ioc stats  [--store DIR]
 *
 * Import stores the indicators (STORE/ioc.db) and sweeps the new ones over the whole stored
 * history at once; match re-runs a sweep and lists the findings (ECS threat enrichment with
 * --json).  Ingest and capture match new traffic as they store it (ioc/match.h).
 */
#include "cli/cli.h"
#include "cli/output.h"

#include "core/addr.h"
#include "core/err.h"
#include "core/ktime.h"
#include "ioc/iocdb.h"
#include "ioc/match.h"
#include "query/query.h"
#include "store/store.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IMPORT_MAX_BYTES ((size_t)1 << 30) /* one feed file */

struct ioc_opts {
    const char *store, *source, *type, *expires, *value, *since, *until;
    int json, no_sweep, all;
};

static void ioc_usage(FILE *f)
{
    fputs(
        "usage: konseki ioc import [--store DIR] [--source NAME] [--type T] [--expires WHEN]\n"
        "                          [--no-sweep] FILE...\n"
        "       konseki ioc match  [--store DIR] [--since T] [--until T] [--source NAME]\n"
        "                          [--no-sweep] [--json]\n"
        "       konseki ioc list   [--store DIR] [--source NAME] [--type T] [--value V] [--json]\n"
        "       konseki ioc remove [--store DIR] [--source NAME] [--type T] [--value V] | --all\n"
        "       konseki ioc stats  [--store DIR]\n",
        f);
}

static int parse_opts(int argc, char **argv, struct ioc_opts *o)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"source", required_argument, NULL, 'S'},
        {"type", required_argument, NULL, 't'},  {"expires", required_argument, NULL, 'e'},
        {"value", required_argument, NULL, 'v'}, {"since", required_argument, NULL, 'a'},
        {"until", required_argument, NULL, 'b'}, {"json", no_argument, NULL, 'j'},
        {"no-sweep", no_argument, NULL, 'n'},    {"all", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->store = optarg;
            break;
        case 'S':
            o->source = optarg;
            break;
        case 't':
            o->type = optarg;
            break;
        case 'e':
            o->expires = optarg;
            break;
        case 'v':
            o->value = optarg;
            break;
        case 'a':
            o->since = optarg;
            break;
        case 'b':
            o->until = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'n':
            o->no_sweep = 1;
            break;
        case 'A':
            o->all = 1;
            break;
        case 'h':
            ioc_usage(stdout);
            return EXIT_OK + 100;
        default:
            ioc_usage(stderr);
            return EXIT_USER;
        }
    }
    return 0;
}

static int type_opt(const struct ioc_opts *o, int *type)
{
    *type = -1;
    if (!o->type)
        return 0;
    if ((*type = ioc_type_parse(o->type)) < 0) {
        cli_err("unknown indicator type '%s' (ip cidr domain url ua ja3 ja3s ja4 cert-sha1 "
                "cert-sha256 cert-serial md5 sha1 sha256 email)",
                o->type);
        return -1;
    }
    return 0;
}

static int open_db(const struct ioc_opts *o, int readonly, struct iocdb **db)
{
    char msg[512];
    int rc = iocdb_open(db, cli_store_dir(o->store), readonly, msg, sizeof msg);
    if (rc)
        cli_err("%s", msg);
    return rc;
}

/* A store with sessions to sweep; NULL (no error) when there is none yet. */
static int open_store(const struct ioc_opts *o, struct store **st)
{
    char path[4096];
    struct stat sb;
    *st = NULL;
    snprintf(path, sizeof path, "%s/catalog.db", cli_store_dir(o->store));
    if (stat(path, &sb) != 0)
        return 0;
    return cli_open_store_readonly(o->store, st) ? -1 : 0;
}

static void print_time(char *dst, size_t n, int64_t ns)
{
    if (ns)
        ktime_format(ns, dst, n);
    else
        snprintf(dst, n, "-");
}

static int run_sweep(FILE *out, struct store *st, struct iocdb *db, const struct iocdb_filter *f,
                     int64_t lo, int64_t hi)
{
    struct ioc_matcher *m;
    int rc = ioc_matcher_new(&m);
    if (!rc)
        rc = ioc_matcher_load(m, db, f);
    if (rc) {
        cli_err("loading indicators: %s", rc == KS_ESQL ? iocdb_errmsg(db) : ks_strerror(rc));
        ioc_matcher_free(m);
        return rc;
    }
    struct ioc_sweep_result r;
    char msg[512];
    int64_t t0 = ktime_now();
    rc = ioc_sweep(m, st, db, lo, hi, t0, &r, msg, sizeof msg);
    double secs = (double)(ktime_now() - t0) / 1e9;
    if (rc) {
        cli_err("sweep: %s", msg[0] ? msg : ks_strerror(rc));
    } else {
        char a[64], b[64], n1[32], n2[32], n3[32], n4[32];
        print_time(a, sizeof a, r.first_ns);
        print_time(b, sizeof b, r.last_ns);
        fprintf(out,
                "sweep: %zu indicators over %llu day files (%s session entries, %s values read) "
                "in %.2f s: %s findings (%llu new) in %s sessions by %llu indicators; first seen "
                "%s, last seen %s\n",
                ioc_matcher_count(m, -1), (unsigned long long)r.days,
                cli_thousands(r.sessions_scanned, n1, sizeof n1),
                cli_thousands(r.values_scanned, n4, sizeof n4), secs,
                cli_thousands(r.findings, n2, sizeof n2), (unsigned long long)r.findings_new,
                cli_thousands(r.sessions, n3, sizeof n3), (unsigned long long)r.indicators, a, b);
    }
    ioc_matcher_free(m);
    return rc;
}

/* ---- import ---------------------------------------------------------------------------------- */

struct import_ctx {
    struct iocdb *db;
    int64_t now;
    uint64_t added, merged;
    int rc;
};

static int on_ioc(void *ctx, const struct ioc *x)
{
    struct import_ctx *c = ctx;
    int64_t id;
    int is_new;
    int rc = iocdb_add(c->db, x, c->now, &id, &is_new);
    if (rc == KS_EINVAL)
        return 0;
    if (rc)
        return c->rc = rc;
    if (is_new)
        c->added++;
    else
        c->merged++;
    return 0;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return KS_ENOENT;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    int rc = b ? 0 : KS_ENOMEM;
    while (!rc) {
        if (n == cap) {
            if (cap >= IMPORT_MAX_BYTES) {
                rc = KS_ELIMIT;
                break;
            }
            cap *= 2;
            uint8_t *nb = realloc(b, cap);
            if (!nb) {
                rc = KS_ENOMEM;
                break;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                rc = KS_EIO;
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (rc) {
        free(b);
        return rc;
    }
    *data = b;
    *len = n;
    return 0;
}

static int expires_opt(const char *s, int64_t now, int64_t *out)
{
    *out = 0;
    if (!s)
        return 0;
    /* "30d" is a lifetime from now; anything else a date (ktime_parse) */
    size_t n = strlen(s);
    if (n >= 2 && strchr("smhdw", s[n - 1]) && s[0] >= '0' && s[0] <= '9' && !strchr(s, '-') &&
        !strchr(s, ':')) {
        int64_t back;
        if (ktime_parse(s, now, &back))
            return -1;
        *out = now + (now - back);
        return 0;
    }
    return ktime_parse(s, now, out) ? -1 : 0;
}

static int ioc_import(int argc, char **argv, const struct ioc_opts *o)
{
    int type;
    if (type_opt(o, &type))
        return EXIT_USER;
    if (optind >= argc) {
        cli_err("ioc import: no feed file given");
        return EXIT_USER;
    }
    int64_t now = ktime_now(), expires;
    if (expires_opt(o->expires, now, &expires)) {
        cli_err("bad --expires '%s' (use 30d, 2025-01-01 or RFC 3339)", o->expires);
        return EXIT_USER;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", cli_store_dir(o->store));
    mkdir(dir, 0700);
    struct iocdb *db;
    if (open_db(o, 0, &db))
        return EXIT_INTERNAL;
    /* ids grow: everything this run adds is above the current maximum */
    int64_t first_new = iocdb_max_id(db) + 1;
    int code = EXIT_OK;
    struct import_ctx c = {db, now, 0, 0, 0};
    /* a file that cannot be read or parsed is reported and skipped; the others are imported
       (each in its own transaction) and swept */
    for (int i = optind; i < argc && code != EXIT_INTERNAL; i++) {
        uint8_t *data;
        size_t len;
        int rc = read_file(argv[i], &data, &len);
        if (rc) {
            cli_err("%s: %s", argv[i], rc == KS_ENOENT ? "cannot open" : ks_strerror(rc));
            code = rc == KS_ENOMEM ? EXIT_INTERNAL : EXIT_USER;
            continue;
        }
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        struct ioc_import_opts io = {o->source, type, expires};
        struct ioc_import_report rep;
        memset(&rep, 0, sizeof rep);
        uint64_t added0 = c.added, merged0 = c.merged;
        if ((rc = iocdb_begin(db)) == 0) {
            rc = ioc_import_buf(data, len, base, &io, on_ioc, &c, &rep);
            if (c.rc)
                rc = c.rc;
            if (!rc)
                rc = iocdb_commit(db);
            else
                iocdb_rollback(db);
            c.rc = 0;
        }
        free(data);
        /* the importer's problems, each "file:line: why", then the counts */
        for (uint64_t k = 0; k < rep.nproblems && k < IOC_REPORT_PROBLEMS; k++)
            fprintf(stderr, "konseki: %s\n", rep.problems[k]);
        if (rep.nproblems > IOC_REPORT_PROBLEMS)
            fprintf(stderr, "konseki: %s: %llu more problems\n", argv[i],
                    (unsigned long long)(rep.nproblems - IOC_REPORT_PROBLEMS));
        if (rc) {
            cli_err("%s: %s", argv[i], rc == KS_ESQL ? iocdb_errmsg(db) : ks_strerror(rc));
            code = rc == KS_ESQL || rc == KS_ENOMEM ? EXIT_INTERNAL : EXIT_USER;
            c.added = added0, c.merged = merged0;
            continue;
        }
        printf("%s: %s, %llu indicators (%llu new, %llu already stored), %llu invalid, %llu "
               "unsupported, %llu partly supported, %llu not for detection\n",
               argv[i], rep.format ? rep.format : "?", (unsigned long long)rep.indicators,
               (unsigned long long)(c.added - added0), (unsigned long long)(c.merged - merged0),
               (unsigned long long)rep.invalid, (unsigned long long)rep.unsupported,
               (unsigned long long)rep.partial, (unsigned long long)rep.skipped);
    }
    if (code != EXIT_INTERNAL && !o->no_sweep && c.added) {
        struct store *st;
        if (open_store(o, &st)) {
            code = EXIT_INTERNAL;
        } else if (st) {
            struct iocdb_filter f = {.type = -1, .min_id = first_new};
            if (run_sweep(stdout, st, db, &f, INT64_MIN, INT64_MAX))
                code = EXIT_INTERNAL;
            store_close(st);
        }
    }
    iocdb_close(db);
    return code;
}

/* ---- match: sweep, then list the findings ---------------------------------------------------- */

/* ECS threat.indicator.type for each konseki type (ECS has no kind for fingerprints: software). */
static const char *ecs_type(int type, const char *value)
{
    switch (type) {
    case IOC_IP:
    case IOC_CIDR:
        return strchr(value, ':') ? "ipv6-addr" : "ipv4-addr";
    case IOC_DOMAIN:
        return "domain-name";
    case IOC_URL:
        return "url";
    case IOC_CERT_SHA1:
    case IOC_CERT_SHA256:
    case IOC_CERT_SERIAL:
        return "x509-certificate";
    case IOC_MD5:
    case IOC_SHA1:
    case IOC_SHA256:
        return "file";
    case IOC_EMAIL:
        return "email-addr";
    }
    return "software";
}

struct session_info {
    int found;
    struct session_row r;
};

static int on_session_row(void *ctx, const struct session_row *r)
{
    struct session_info *si = ctx;
    if (!si->found) {
        si->r = *r;
        si->r.pos = NULL;
        si->r.records = NULL;
        si->found = 1;
    }
    return 0;
}

/* The session's first piece in the finding's time span (what --json shows of it). */
static void session_lookup(struct store *st, const struct iocdb_hit *h, struct session_info *si)
{
    char text[64];
    struct query *q;
    memset(si, 0, sizeof *si);
    if (!st)
        return;
    snprintf(text, sizeof text, "event.id == %016llx", (unsigned long long)h->f.session);
    struct query_error qe;
    if (query_parse(text, &q, &qe))
        return;
    struct store_query sq = {.expr = q,
                             .since_ns = h->f.first_ns,
                             .until_ns = h->f.last_ns,
                             .limit = 1,
                             .sort = SORT_TIME};
    (void)store_query_run(st, &sq, on_session_row, si, NULL);
    query_free(q);
}

struct list_ctx {
    struct store *st;
    int json;
    uint64_t n;
};

static void json_kv_time(const char *key, int64_t ns)
{
    char t[64];
    ktime_format(ns, t, sizeof t);
    printf(",\"%s\":\"%s\"", key, t);
}

static int on_hit(void *ctx, const struct iocdb_hit *h)
{
    struct list_ctx *c = ctx;
    char first[64], before[64] = "";
    c->n++;
    int64_t early =
        h->published_ns && h->f.first_ns < h->published_ns ? h->published_ns - h->f.first_ns : 0;
    if (!c->json) {
        ktime_format_short(h->f.first_ns, first, sizeof first);
        if (early)
            snprintf(before, sizeof before, "  (%.1f days before publication)",
                     (double)early / 86400e9);
        printf("%s  %016llx  %-11s %-28s %-24s %s = %s%s\n", first,
               (unsigned long long)h->f.session, ioc_type_name(h->type), h->value, h->sources,
               h->f.field, h->f.observed, before);
        return 0;
    }
    struct session_info si;
    session_lookup(c->st, h, &si);
    char ts[64];
    ktime_format(h->f.first_ns, ts, sizeof ts);
    printf("{\"@timestamp\":\"%s\"", ts);
    printf(",\"event\":{\"id\":\"%016llx\",\"kind\":\"enrichment\"",
           (unsigned long long)h->f.session);
    json_kv_time("start", h->f.first_ns);
    json_kv_time("end", h->f.last_ns);
    printf("}");
    if (si.found) {
        char a[64], b[64], pn[16];
        addr_format16(si.r.src, a, sizeof a);
        addr_format16(si.r.dst, b, sizeof b);
        printf(",\"source\":{\"ip\":\"%s\",\"port\":%d},\"destination\":{\"ip\":\"%s\",\"port\":%d}"
               ",\"network\":{\"transport\":\"%s\",\"community_id\":",
               a, si.r.sport, b, si.r.dport, out_proto_name(si.r.proto, pn, sizeof pn));
        out_json_str(stdout, si.r.community_id);
        if (si.r.app[0]) {
            printf(",\"protocol\":");
            out_json_str(stdout, si.r.app);
        }
        printf("}");
    }
    printf(",\"threat\":{\"enrichments\":[{\"matched\":{\"atomic\":");
    out_json_str(stdout, h->f.observed);
    printf(",\"field\":");
    out_json_str(stdout, h->f.field);
    printf(",\"type\":\"indicator_match_rule\"");
    json_kv_time("occurred", h->f.first_ns);
    printf("},\"indicator\":{\"type\":\"%s\",\"provider\":", ecs_type(h->type, h->value));
    out_json_str(stdout, h->sources);
    printf(",\"name\":");
    out_json_str(stdout, h->value);
    if (h->published_ns)
        json_kv_time("first_seen", h->published_ns);
    printf("}}]},\"konseki\":{\"ioc\":{\"type\":\"%s\",\"piece\":%u,\"day\":%d",
           ioc_type_name(h->type), h->f.piece, h->f.day);
    if (early)
        printf(",\"before_publication_s\":%.3f", (double)early / 1e9);
    printf("}}}\n");
    return 0;
}

static int ioc_match(const struct ioc_opts *o)
{
    int64_t lo, hi;
    if (cli_parse_range(o->since, o->until, &lo, &hi))
        return EXIT_USER;
    struct iocdb *db;
    if (open_db(o, 0, &db))
        return EXIT_USER;
    struct store *st = NULL;
    int code = EXIT_OK;
    if (open_store(o, &st)) {
        iocdb_close(db);
        return EXIT_INTERNAL;
    }
    char msg[512];
    struct ioc_prune_result pr;
    if (st && ioc_prune(db, st, &pr, msg, sizeof msg)) {
        /* retention cut sessions that findings still name (a prune stopped half way) */
        cli_err("IOC findings: %s", msg);
        code = EXIT_INTERNAL;
    }
    if (code == EXIT_OK && st && !o->no_sweep) {
        struct iocdb_filter f = {.type = -1, .source = o->source};
        /* the summary goes to stderr with --json, so that stdout stays pure JSON Lines */
        if (run_sweep(o->json ? stderr : stdout, st, db, &f, lo, hi))
            code = EXIT_INTERNAL;
    }
    struct iocdb_hit_filter hf = {lo, hi, o->source, 0};
    struct list_ctx c = {st, o->json, 0};
    if (code == EXIT_OK && iocdb_hits_each(db, &hf, on_hit, &c)) {
        cli_err("%s", iocdb_errmsg(db));
        code = EXIT_INTERNAL;
    }
    if (st)
        store_close(st);
    iocdb_close(db);
    return code;
}

/* ---- list, remove, stats --------------------------------------------------------------------- */

static int on_entry(void *ctx, const struct iocdb_entry *e)
{
    const struct ioc_opts *o = ctx;
    char pub[64], until[64];
    print_time(pub, sizeof pub, e->published_ns);
    print_time(until, sizeof until, e->valid_until_ns);
    if (!o->json) {
        printf("%-11s %-40s %-24s published %s  until %s  %llu findings\n", ioc_type_name(e->type),
               e->value, e->sources, pub, until, (unsigned long long)e->findings);
        return 0;
    }
    printf("{\"threat\":{\"indicator\":{\"type\":\"%s\",\"name\":", ecs_type(e->type, e->value));
    out_json_str(stdout, e->value);
    printf(",\"provider\":");
    out_json_str(stdout, e->sources);
    if (e->desc) {
        printf(",\"description\":");
        out_json_str(stdout, e->desc);
    }
    if (e->published_ns)
        printf(",\"first_seen\":\"%s\"", pub);
    if (e->valid_until_ns)
        printf(",\"valid_until\":\"%s\"", until);
    printf("}},\"konseki\":{\"ioc\":{\"id\":%lld,\"type\":\"%s\",\"findings\":%llu}}}\n",
           (long long)e->id, ioc_type_name(e->type), (unsigned long long)e->findings);
    return 0;
}

static int ioc_list(const struct ioc_opts *o)
{
    int type;
    if (type_opt(o, &type))
        return EXIT_USER;
    struct iocdb *db;
    if (open_db(o, 1, &db))
        return EXIT_USER;
    struct iocdb_filter f = {type, o->source, o->value, 0};
    int rc = iocdb_each(db, &f, on_entry, (void *)o);
    if (rc)
        cli_err("%s", iocdb_errmsg(db));
    iocdb_close(db);
    return rc ? EXIT_INTERNAL : EXIT_OK;
}

static int ioc_remove(const struct ioc_opts *o)
{
    int type;
    if (type_opt(o, &type))
        return EXIT_USER;
    if (!o->all && type < 0 && !o->source && !o->value) {
        cli_err("ioc remove: say what (--source, --type, --value) or --all");
        return EXIT_USER;
    }
    struct iocdb *db;
    if (open_db(o, 0, &db))
        return EXIT_USER;
    struct iocdb_filter f = {type, o->source, o->value, 0};
    uint64_t removed;
    int rc = iocdb_remove(db, &f, &removed);
    if (rc)
        cli_err("%s", iocdb_errmsg(db));
    else
        printf("removed %llu indicators\n", (unsigned long long)removed);
    iocdb_close(db);
    return rc ? EXIT_INTERNAL : EXIT_OK;
}

static void on_stat(void *ctx, const char *what, const char *key, uint64_t n, uint64_t findings)
{
    (void)ctx;
    char a[32], b[32];
    printf("%-7s %-28s %12s indicators %12s findings\n", what, key, cli_thousands(n, a, sizeof a),
           cli_thousands(findings, b, sizeof b));
}

static int ioc_stats(const struct ioc_opts *o)
{
    struct iocdb *db;
    if (open_db(o, 1, &db))
        return EXIT_USER;
    int rc = iocdb_stats(db, on_stat, NULL);
    if (rc)
        cli_err("%s", iocdb_errmsg(db));
    iocdb_close(db);
    return rc ? EXIT_INTERNAL : EXIT_OK;
}

int cmd_ioc(int argc, char **argv)
{
    if (argc < 2) {
        ioc_usage(stderr);
        return EXIT_USER;
    }
    const char *sub = argv[1];
    struct ioc_opts o = {0};
    int rc = parse_opts(argc - 1, argv + 1, &o);
    if (rc)
        return rc == EXIT_OK + 100 ? EXIT_OK : rc;
    if (!strcmp(sub, "import"))
        return ioc_import(argc - 1, argv + 1, &o);
    if (optind < argc - 1) {
        cli_err("ioc %s: unexpected argument '%s'", sub, argv[optind + 1]);
        return EXIT_USER;
    }
    if (!strcmp(sub, "match"))
        return ioc_match(&o);
    if (!strcmp(sub, "list"))
        return ioc_list(&o);
    if (!strcmp(sub, "remove"))
        return ioc_remove(&o);
    if (!strcmp(sub, "stats"))
        return ioc_stats(&o);
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        ioc_usage(stdout);
        return EXIT_OK;
    }
    cli_err("unknown ioc command '%s' (import, match, list, remove, stats)", sub);
    return EXIT_USER;
}
