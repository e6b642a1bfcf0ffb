/*
 * konseki prune [--store DIR] --retain SIZE|AGE [--retain …] [--clock] [--json]
 *
 * Retention for a store filled by ingest (capture applies the same policy as it
 * runs): the oldest packet segments and the sessions of the same time range are
 * deleted together until the store fits (store_prune, docs/store.md).  Ages count
 * back from the newest stored packet, or from now with --clock.  IOC findings that
 * name deleted sessions go with them (ioc_prune_store).
 */
#include "cli/cli.h"

#include "core/err.h"
#include "core/ktime.h"
#include "ioc/match.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * "500G", "1.5T", "800MiB" (binary units; sizes need one: K M G T, upper case or with B)
 * or "30d", "12h", "90m", "2w", "45s" (ages; a lower-case m is minutes).
 */
int cli_parse_retain(const char *s, struct store_retain *r)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0 || v > 1e18)
        return KS_EINVAL;
    static const struct {
        const char *unit;
        double bytes, secs;
    } units[] = {
        {"s", 0, 1},         {"m", 0, 60},           {"h", 0, 3600},
        {"d", 0, 86400},     {"w", 0, 7 * 86400},    {"K", 1024.0, 0},
        {"M", 1048576.0, 0}, {"G", 1073741824.0, 0}, {"T", 1099511627776.0, 0},
        {"k", 1024.0, 0},    {"g", 1073741824.0, 0}, {"t", 1099511627776.0, 0},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].unit);
        if (strncmp(end, units[i].unit, n) != 0)
            continue;
        const char *rest = end + n;
        if (units[i].bytes > 0 && (!*rest || !strcmp(rest, "B") || !strcmp(rest, "iB"))) {
            r->max_bytes = (uint64_t)(v * units[i].bytes);
            return 0;
        }
        if (units[i].secs > 0 && !*rest) {
            r->max_age_ns = (int64_t)(v * units[i].secs * 1e9);
            return 0;
        }
    }
    return KS_EINVAL;
}

static const char usage_text[] =
    "usage: konseki prune [--store DIR] --retain SIZE|AGE [--retain SIZE|AGE] [--clock] [--json]\n"
    "  --retain 500G   keep at most this much on disk (packets + metadata; K M G T)\n"
    "  --retain 30d    keep this much time (s m h d w), counted back from the newest\n"
    "                  stored packet, or from now with --clock\n";

static void report(const struct store_prune_result *p, const struct store_retain *r)
{
    char a[32], b[32], c[32], n[32], t[48] = "-";
    if (p->cut_ns)
        ktime_format(p->cut_ns, t, sizeof t);
    printf("pruned %llu segment(s) (%s), %llu day file(s), %s session(s), metadata %s; "
           "cut at %s\n",
           (unsigned long long)p->segments, cli_bytes((double)p->segment_bytes, a, sizeof a),
           (unsigned long long)p->days, cli_thousands(p->sessions, n, sizeof n),
           cli_bytes((double)p->meta_bytes, b, sizeof b), t);
    printf("store %s -> %s", cli_bytes((double)p->bytes_before, a, sizeof a),
           cli_bytes((double)p->bytes_after, b, sizeof b));
    if (r->max_bytes)
        printf(" (budget %s)", cli_bytes((double)r->max_bytes, c, sizeof c));
    putchar('\n');
    if (!p->within_budget)
        printf("still over budget: %s of packets belong to runs another process is writing\n",
               cli_bytes((double)p->pinned_bytes, a, sizeof a));
}

int cmd_prune(int argc, char **argv)
{
    const char *store_opt = NULL;
    int json = 0, have = 0;
    struct store_retain r = {0};
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"retain", required_argument, NULL, 'r'},
        {"clock", no_argument, NULL, 'c'},       {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'r':
            if (cli_parse_retain(optarg, &r)) {
                cli_err("prune: --retain %s: expected a size (500G, 800M) or an age (30d, 12h)",
                        optarg);
                return EXIT_USER;
            }
            have = 1;
            break;
        case 'c':
            r.age_from_clock = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            fputs(usage_text, stderr);
            return EXIT_USER;
        }
    }
    if (!have || optind != argc) {
        fputs(usage_text, stderr);
        return EXIT_USER;
    }
    const char *dir = cli_store_dir(store_opt);
    struct store *st;
    char msg[512];
    /* Only an existing store: open it read-only first so a typo does not create one. */
    struct store_opts ro = {.readonly = 1};
    int rc = store_open(&st, dir, &ro, msg, sizeof msg);
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    store_close(st);
    if ((rc = store_open(&st, dir, NULL, msg, sizeof msg))) {
        cli_err("%s", msg);
        return EXIT_INTERNAL;
    }
    struct store_prune_result p;
    rc = store_prune(st, &r, &p);
    if (rc) {
        cli_err("prune: %s", store_errmsg(st));
        store_close(st);
        return EXIT_INTERNAL;
    }
    /* the findings of the sessions that went (also those of an earlier prune cut short) */
    struct ioc_prune_result ip;
    if ((rc = ioc_prune_store(dir, st, &ip, msg, sizeof msg))) {
        cli_err("prune: IOC findings: %s", msg);
        store_close(st);
        return EXIT_INTERNAL;
    }
    if (json) {
        char t[48] = "";
        if (p.cut_ns)
            ktime_format(p.cut_ns, t, sizeof t);
        printf("{\"cut\":\"%s\",\"segments\":%llu,\"segment_bytes\":%llu,\"days\":%llu,"
               "\"sessions\":%llu,\"metadata_bytes\":%llu,\"bytes_before\":%llu,"
               "\"bytes_after\":%llu,\"pinned_bytes\":%llu,\"within_budget\":%s,"
               "\"ioc_findings_removed\":%llu,\"ioc_findings_moved\":%llu}\n",
               t, (unsigned long long)p.segments, (unsigned long long)p.segment_bytes,
               (unsigned long long)p.days, (unsigned long long)p.sessions,
               (unsigned long long)p.meta_bytes, (unsigned long long)p.bytes_before,
               (unsigned long long)p.bytes_after, (unsigned long long)p.pinned_bytes,
               p.within_budget ? "true" : "false", (unsigned long long)ip.removed,
               (unsigned long long)ip.moved);
    } else {
        report(&p, &r);
        if (ip.removed || ip.moved)
            printf("IOC findings: %llu removed with their sessions, %llu moved to a piece still "
                   "stored\n",
                   (unsigned long long)ip.removed, (unsigned long long)ip.moved);
    }
    store_close(st);
    return EXIT_OK;
}
