/*
 * konseki hunt list [--kinds] [--json]
 * konseki hunt show NAME
 * konseki hunt run NAME…|--all [--since T] [--until T] [--param k=v]… [--zone NAME=CIDR,…]…
 *                  [--limit N] [--json]
 * konseki hunt runs [--json]                      the recorded runs
 * konseki hunt allow add --host|--domain|--sni|--ja3|--ja4|--ua VALUE --reason TEXT [--hunt NAME]
 * konseki hunt allow list | remove ID
 *
 * Every run is recorded in STORE/analysis.db with its parameters, range, coverage and ranked
 * results (suppressed ones too, flagged with the allowlist entry that matched).
 */
#include "cli/cli.h"
#include "cli/output.h"

#include "core/err.h"
#include "core/ktime.h"
#include "hunt/adb.h"
#include "hunt/hunt.h"
#include "store/store.h"

#include <getopt.h>
#include <sqlite3.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUNT_CLI_MAX_PARAMS 64

struct hunt_cli {
    const char *store, *since, *until, *reason, *hunt;
    const char *params[HUNT_CLI_MAX_PARAMS];
    size_t nparams;
    const char *zones[HUNT_MAX_ZONES];
    size_t nzones;
    const char *allow_kind, *allow_value;
    long limit;
    int json, all, kinds;
};

static void hunt_usage(FILE *f)
{
    fputs("usage: konseki hunt list [--kinds] [--json]\n"
          "       konseki hunt show NAME\n"
          "       konseki hunt run NAME...|--all [--store DIR] [--since T] [--until T]\n"
          "                        [--param NAME=VALUE]... [--zone NAME=CIDR[,CIDR]]...\n"
          "                        [--limit N] [--json]\n"
          "       konseki hunt runs [--store DIR] [--json]\n"
          "       konseki hunt allow add (--host ADDR|CIDR | --domain D | --sni S | --ja3 H |\n"
          "                              --ja4 F | --ua TEXT) --reason TEXT [--hunt NAME]\n"
          "       konseki hunt allow list | remove ID\n"
          "Hunt files: built in, STORE/hunts/*.hunt, $KONSEKI_HUNTS (dirs, ':' separated).\n"
          "Zones: --zone or STORE/zones.conf (NAME=CIDR,... per line); private space is\n"
          "'internal' by default, the rest 'external'.\n",
          f);
}

static int parse(int argc, char **argv, struct hunt_cli *o)
{
    static const struct option lo[] = {{"store", required_argument, NULL, 's'},
                                       {"since", required_argument, NULL, 'a'},
                                       {"until", required_argument, NULL, 'b'},
                                       {"param", required_argument, NULL, 'p'},
                                       {"zone", required_argument, NULL, 'z'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"all", no_argument, NULL, 'A'},
                                       {"kinds", no_argument, NULL, 'k'},
                                       {"reason", required_argument, NULL, 'r'},
                                       {"hunt", required_argument, NULL, 'H'},
                                       {"host", required_argument, NULL, 1},
                                       {"domain", required_argument, NULL, 2},
                                       {"sni", required_argument, NULL, 3},
                                       {"ja3", required_argument, NULL, 4},
                                       {"ja4", required_argument, NULL, 5},
                                       {"ua", required_argument, NULL, 6},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    static const char *const akinds[] = {"", "host", "domain", "sni", "ja3", "ja4", "ua"};
    int c;
    optind = 1;
    o->limit = -1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            o->store = optarg;
            break;
        case 'a':
            o->since = optarg;
            break;
        case 'b':
            o->until = optarg;
            break;
        case 'p':
        case 'z':
        case 'l':
            if (cli_hunt_arg("hunt", c, optarg, o->params, &o->nparams, HUNT_CLI_MAX_PARAMS,
                             o->zones, &o->nzones, &o->limit))
                return -1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'A':
            o->all = 1;
            break;
        case 'k':
            o->kinds = 1;
            break;
        case 'r':
            o->reason = optarg;
            break;
        case 'H':
            o->hunt = optarg;
            break;
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
            if (o->allow_kind) {
                cli_err("hunt allow: one of --host --domain --sni --ja3 --ja4 --ua");
                return -1;
            }
            o->allow_kind = akinds[c];
            o->allow_value = optarg;
            break;
        case 'h':
            hunt_usage(stdout);
            exit(EXIT_OK);
        default:
            hunt_usage(stderr);
            return -1;
        }
    }
    return 0;
}

int cli_hunt_arg(const char *cmd, int c, const char *arg, const char **params, size_t *nparams,
                 size_t maxparams, const char **zones, size_t *nzones, long *limit)
{
    if (c == 'p') {
        if (*nparams == maxparams) {
            cli_err("%s: more than %zu --param", cmd, maxparams);
            return -1;
        }
        params[(*nparams)++] = arg;
    } else if (c == 'z') {
        if (*nzones == HUNT_MAX_ZONES) {
            cli_err("%s: more than %d --zone", cmd, HUNT_MAX_ZONES);
            return -1;
        }
        zones[(*nzones)++] = arg;
    } else if (c == 'l') {
        char *end;
        *limit = strtol(arg, &end, 10);
        if (*end || end == arg || *limit < 0) {
            cli_err("%s: --limit '%s': expected a number >= 0", cmd, arg);
            return -1;
        }
    } else {
        return 1;
    }
    return 0;
}

static void warn_def(void *ctx, const char *msg)
{
    (void)ctx;
    cli_err("warning: %s (skipped)", msg);
}

int cli_hunt_defs(const char *store_dir, struct hunt_def **defs, size_t *n)
{
    int rc = hunt_defs_load(store_dir, defs, n, warn_def, NULL);
    if (rc)
        cli_err("loading hunts: %s", ks_strerror(rc));
    return rc;
}

/* ---------------------------------------------------------------- printing */

static void print_time(char *dst, size_t n, int64_t ns)
{
    if (ns && ns != INT64_MIN && ns != INT64_MAX)
        ktime_format(ns, dst, n);
    else
        snprintf(dst, n, "-");
}

static void json_field(FILE *f, const char *key, const char *v, int comma)
{
    if (comma)
        fputc(',', f);
    fprintf(f, "\"%s\":", key);
    out_json_str(f, v);
}

/* Space-separated words as a JSON array. */
static void json_words(FILE *f, const char *words)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", words);
    fputc('[', f);
    char *save = NULL;
    int first = 1;
    for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
        if (!first)
            fputc(',', f);
        out_json_str(f, t);
        first = 0;
    }
    fputc(']', f);
}

static void print_run_json(FILE *f, const struct hunt_run *r, size_t limit)
{
    char t0[48], t1[48];
    for (size_t i = 0; i < r->nresults && i < limit; i++) {
        const struct hunt_result *x = &r->results[i];
        print_time(t0, sizeof t0, x->first_ns);
        print_time(t1, sizeof t1, x->last_ns);
        fprintf(f,
                "{\"@timestamp\":\"%s\",\"event\":{\"kind\":\"alert\",\"start\":\"%s\","
                "\"end\":\"%s\",\"id\":[",
                t0, t0, t1);
        for (unsigned k = 0; k < x->nevents; k++)
            fprintf(f, "%s\"%016" PRIx64 "\"", k ? "," : "", x->events[k]);
        fprintf(f, "]},\"hunt\":{");
        json_field(f, "name", r->def->name, 0);
        json_field(f, "id", r->def->id, 1);
        fprintf(f, ",\"run_id\":%" PRId64 ",\"rank\":%u,\"score\":%.4f", r->id, x->rank, x->score);
        json_field(f, "explanation", x->explain, 1);
        fprintf(f, ",\"sessions\":%" PRIu64 ",\"suppressed\":%s", x->sessions,
                x->suppressed ? "true" : "false");
        if (x->suppressed)
            json_field(f, "allow_reason", x->allow_reason, 1);
        fputc('}', f);
        if (x->src[0]) {
            fputs(",\"source\":{", f);
            json_field(f, "ip", x->src, 0);
            fputc('}', f);
        }
        if (x->dst[0]) {
            fputs(",\"destination\":{", f);
            json_field(f, "ip", x->dst, 0);
            fputc('}', f);
        }
        if (x->domain[0]) {
            fputs(",\"url\":{", f);
            json_field(f, "domain", x->domain, 0);
            fputc('}', f);
        }
        if (x->fp[0] || x->detail[0]) {
            fputs(",\"konseki\":{", f);
            if (x->fp[0])
                json_field(f, "fingerprint", x->fp, 0);
            if (x->detail[0])
                json_field(f, "detail", x->detail, x->fp[0] != 0);
            fputc('}', f);
        }
        fputs(",\"threat\":{\"technique\":{\"id\":", f);
        json_words(f, x->attack[0] ? x->attack : r->def->attack);
        fputs("}}}\n", f);
    }
    print_time(t0, sizeof t0, r->cov.first_ns);
    print_time(t1, sizeof t1, r->cov.last_ns);
    fprintf(f, "{\"hunt\":{");
    json_field(f, "name", r->def->name, 0);
    json_field(f, "id", r->def->id, 1);
    fprintf(f, ",\"run_id\":%" PRId64 ",\"run\":{\"results\":%zu,\"suppressed\":%zu,", r->id,
            r->nresults - r->nsuppressed, r->nsuppressed);
    fprintf(f, "\"seconds\":%.3f,\"params\":%s,", r->seconds, r->params_json);
    fprintf(f,
            "\"coverage\":{\"days\":%u,\"sessions\":%" PRIu64 ",\"bytes\":%" PRIu64
            ",\"first\":\"%s\",\"last\":\"%s\"",
            r->cov.days, r->cov.sessions, r->cov.bytes, t0, t1);
    json_field(f, "missing", r->cov.missing, 1);
    fputs("}},\"threat\":{\"technique\":{\"id\":", f);
    json_words(f, r->def->attack);
    fputs("}}}}\n", f);
}

static void print_run_text(FILE *f, const struct hunt_run *r, size_t limit)
{
    char t0[48], t1[48], n1[32];
    print_time(t0, sizeof t0, r->cov.first_ns);
    print_time(t1, sizeof t1, r->cov.last_ns);
    fprintf(f, "hunt %s (%s) — %s\n", r->def->name, r->def->id, r->def->title);
    fprintf(f, "  run %" PRId64 ": %zu results", r->id, r->nresults - r->nsuppressed);
    if (r->nsuppressed)
        fprintf(f, " (+%zu suppressed by the allowlist)", r->nsuppressed);
    fprintf(f, " from %s sessions over %u day%s, %s .. %s, in %.2f s\n",
            cli_thousands(r->cov.sessions, n1, sizeof n1), r->cov.days, r->cov.days == 1 ? "" : "s",
            t0, t1, r->seconds);
    if (r->cov.missing[0])
        fprintf(f, "  note: no %s data in this range: the hunt cannot see what it needs there\n",
                r->cov.missing);
    size_t shown = 0;
    for (size_t i = 0; i < r->nresults && shown < limit; i++) {
        const struct hunt_result *x = &r->results[i];
        if (x->suppressed)
            continue;
        shown++;
        fprintf(f, "  #%-3u %.2f  ", x->rank, x->score);
        int any = 0;
        if (x->src[0]) {
            fprintf(f, "%s", x->src);
            any = 1;
        }
        if (x->dst[0]) {
            fprintf(f, "%s%s", any ? " -> " : "", x->dst);
            any = 1;
        }
        if (x->domain[0]) {
            fprintf(f, "%s%s", any ? "  " : "", x->domain);
            any = 1;
        }
        if (x->fp[0]) {
            fprintf(f, "%s%s", any ? "  " : "", x->fp);
            any = 1;
        }
        if (x->detail[0])
            fprintf(f, "%s[%s]", any ? "  " : "", x->detail);
        fprintf(f, "\n        %s\n", x->explain);
        fprintf(f, "        ATT&CK %s · %" PRIu64 " session%s · event.id",
                x->attack[0] ? x->attack : r->def->attack, x->sessions,
                x->sessions == 1 ? "" : "s");
        for (unsigned k = 0; k < x->nevents && k < 3; k++)
            fprintf(f, " %016" PRIx64, x->events[k]);
        fprintf(f, "%s\n", x->nevents > 3 ? " …" : "");
    }
    if (r->nresults - r->nsuppressed > shown)
        fprintf(f, "  … %zu more (--limit N, or --json for all)\n",
                r->nresults - r->nsuppressed - shown);
}

void cli_hunt_print(FILE *f, const struct hunt_run *r, int json, long limit)
{
    size_t lim = limit < 0 ? (json ? SIZE_MAX : 10) : (size_t)limit;
    if (json)
        print_run_json(f, r, lim);
    else
        print_run_text(f, r, lim);
}

/* ---------------------------------------------------------------- run */

int cli_hunt_opts(const char *store_dir, const char *since, const char *until,
                  const char *const *zones, size_t nzones, struct hunt_zones *zs,
                  struct hunt_opts *ho)
{
    char msg[512];
    memset(ho, 0, sizeof *ho);
    memset(zs, 0, sizeof *zs);
    if (cli_parse_range(since, until, &ho->since_ns, &ho->until_ns))
        return EXIT_USER;
    for (size_t i = 0; i < nzones; i++) {
        if (hunt_zone_add(zs, zones[i], msg, sizeof msg)) {
            cli_err("--zone: %s", msg);
            return EXIT_USER;
        }
    }
    if (!nzones && hunt_zones_load(zs, store_dir, msg, sizeof msg)) {
        cli_err("%s", msg);
        return EXIT_USER;
    }
    ho->zones = zs;
    return 0;
}

int cli_hunt_run_one(struct store *st, struct adb *a, const struct hunt_def *def,
                     const struct hunt_opts *ho, int64_t case_id, int json, long limit,
                     struct hunt_run *keep)
{
    struct hunt_run run;
    char msg[1024];
    int rc = hunt_run(st, def, ho, &run, msg, sizeof msg);
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    if (a && (rc = adb_run_save(a, &run, case_id, &run.id)) != 0) {
        cli_err("%s", adb_errmsg(a));
        hunt_run_release(&run);
        return EXIT_INTERNAL;
    }
    cli_hunt_print(stdout, &run, json, limit);
    if (keep)
        *keep = run;
    else
        hunt_run_release(&run);
    return 0;
}

static int do_run(struct hunt_cli *o, int argc, char **argv)
{
    if (!o->all && optind >= argc) {
        cli_err("hunt run: name a hunt (konseki hunt list) or --all");
        return EXIT_USER;
    }
    const char *dir = cli_store_dir(o->store);
    struct hunt_def *defs = NULL;
    size_t ndefs = 0;
    if (cli_hunt_defs(dir, &defs, &ndefs))
        return EXIT_INTERNAL;
    for (int i = optind; i < argc; i++) {
        if (!hunt_def_find(defs, ndefs, argv[i])) {
            cli_err("hunt run: no hunt named '%s' (konseki hunt list)", argv[i]);
            free(defs);
            return EXIT_USER;
        }
    }
    struct hunt_zones *zs = malloc(sizeof *zs);
    struct hunt_opts ho;
    int code =
        zs ? cli_hunt_opts(dir, o->since, o->until, o->zones, o->nzones, zs, &ho) : EXIT_INTERNAL;
    struct store *st = NULL;
    struct adb *a = NULL;
    struct hunt_allow *allow = NULL;
    char msg[512];
    if (!code)
        code = cli_open_store_readonly(o->store, &st);
    if (!code && adb_open(&a, dir, 0, msg, sizeof msg)) {
        cli_err("%s", msg);
        code = EXIT_INTERNAL;
    }
    if (!code && adb_allow_list(a, &allow, &ho.nallow)) {
        cli_err("%s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    }
    ho.allow = allow;
    ho.params = o->params;
    ho.nparams = o->nparams;
    size_t n = o->all ? ndefs : (size_t)(argc - optind);
    struct hunt_coverage hcov;
    if (!code && n > 1 && hunt_coverage_get(st, ho.since_ns, ho.until_ns, &hcov) == 0)
        ho.cov = &hcov; /* one pass over the day files for all the hunts */
    if (!code && o->all && o->nparams) {
        cli_err("hunt run --all: --param applies to one hunt; name it instead");
        code = EXIT_USER;
    }
    for (size_t i = 0; !code && i < n; i++) {
        const struct hunt_def *d =
            o->all ? &defs[i] : hunt_def_find(defs, ndefs, argv[optind + (int)i]);
        if (o->all && strcmp(d->kind, "query") == 0) {
            /* a query hunt without its query is a template, not something to run */
            int has = 0;
            for (unsigned k = 0; k < d->nparams; k++)
                has |= strcmp(d->params[k].name, "query") == 0 && d->params[k].value[0];
            if (!has)
                continue;
        }
        if (i && !o->json)
            fputc('\n', stdout);
        code = cli_hunt_run_one(st, a, d, &ho, 0, o->json, o->limit, NULL);
    }
    free(allow);
    adb_close(a);
    if (st)
        store_close(st);
    free(zs);
    free(defs);
    return code;
}

/* ---------------------------------------------------------------- list / show */

static int do_list(struct hunt_cli *o)
{
    if (o->kinds) {
        for (const struct hunt_kind *const *k = hunt_kinds; *k; k++)
            printf("%s\n", (*k)->name);
        return 0;
    }
    struct hunt_def *defs = NULL;
    size_t n = 0;
    if (cli_hunt_defs(cli_store_dir(o->store), &defs, &n))
        return EXIT_INTERNAL;
    if (!o->json)
        printf("%-12s %-8s %-56s %s\n", "NAME", "ID", "TITLE", "ATT&CK");
    for (size_t i = 0; i < n; i++) {
        const struct hunt_def *d = &defs[i];
        if (o->json) {
            fputc('{', stdout);
            json_field(stdout, "name", d->name, 0);
            json_field(stdout, "id", d->id, 1);
            json_field(stdout, "kind", d->kind, 1);
            json_field(stdout, "title", d->title, 1);
            json_field(stdout, "hypothesis", d->hypothesis, 1);
            fputs(",\"attack\":", stdout);
            json_words(stdout, d->attack);
            fputs(",\"needs\":", stdout);
            json_words(stdout, d->needs);
            json_field(stdout, "origin", d->origin, 1);
            fputs(",\"params\":{", stdout);
            for (unsigned k = 0; k < d->nparams; k++)
                json_field(stdout, d->params[k].name, d->params[k].value, k != 0);
            fputs("}}\n", stdout);
        } else {
            printf("%-12s %-8s %-56s %s%s\n", d->name, d->id, d->title, d->attack,
                   strcmp(d->origin, "built-in") ? "  (user)" : "");
        }
    }
    free(defs);
    return 0;
}

static int do_show(struct hunt_cli *o, int argc, char **argv)
{
    if (optind >= argc) {
        cli_err("hunt show: name a hunt");
        return EXIT_USER;
    }
    struct hunt_def *defs = NULL;
    size_t n = 0;
    if (cli_hunt_defs(cli_store_dir(o->store), &defs, &n))
        return EXIT_INTERNAL;
    const struct hunt_def *d = hunt_def_find(defs, n, argv[optind]);
    int code = 0;
    if (!d) {
        cli_err("hunt show: no hunt named '%s' (konseki hunt list)", argv[optind]);
        code = EXIT_USER;
    } else {
        printf("name:       %s\nid:         %s\nkind:       %s\ntitle:      %s\n", d->name, d->id,
               d->kind, d->title);
        printf("hypothesis: %s\nATT&CK:     %s\nneeds:      %s\norigin:     %s\n", d->hypothesis,
               d->attack, d->needs, d->origin);
        if (d->nparams)
            printf("parameters (--param NAME=VALUE):\n");
        for (unsigned k = 0; k < d->nparams; k++)
            printf("  %-16s = %-12s %s\n", d->params[k].name, d->params[k].value,
                   d->params[k].help);
    }
    free(defs);
    return code;
}

/* ---------------------------------------------------------------- runs, allow */

int cli_runs_print(FILE *f, struct adb *a, int64_t case_id, int json)
{
    sqlite3 *db = adb_sqlite(a);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, kind, hunt, coalesce(expr,''), coalesce(case_id,0),"
                           " started_ns, since_ns, until_ns, results, suppressed, seconds, params,"
                           " coverage FROM runs WHERE ?1 = 0 OR case_id = ?1 ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK) {
        cli_err("analysis.db: %s", sqlite3_errmsg(db));
        return EXIT_INTERNAL;
    }
    sqlite3_bind_int64(s, 1, case_id);
    if (!json)
        fprintf(f, "%-5s %-20s %-14s %-5s %-20s %-20s %8s %s\n", "RUN", "STARTED (UTC)", "HUNT",
                "CASE", "SINCE", "UNTIL", "RESULTS", "SUPPRESSED");
    while (sqlite3_step(s) == SQLITE_ROW) {
        char t0[48], t1[48], t2[48];
        print_time(t0, sizeof t0, (int64_t)sqlite3_column_int64(s, 5));
        print_time(t1, sizeof t1, (int64_t)sqlite3_column_int64(s, 6));
        print_time(t2, sizeof t2, (int64_t)sqlite3_column_int64(s, 7));
        const char *hunt = (const char *)sqlite3_column_text(s, 2);
        const char *expr = (const char *)sqlite3_column_text(s, 3);
        if (json) {
            fprintf(f, "{\"run_id\":%" PRId64, (int64_t)sqlite3_column_int64(s, 0));
            json_field(f, "kind", (const char *)sqlite3_column_text(s, 1), 1);
            json_field(f, "hunt", hunt, 1);
            if (*expr)
                json_field(f, "query", expr, 1);
            fprintf(f, ",\"case_id\":%" PRId64, (int64_t)sqlite3_column_int64(s, 4));
            json_field(f, "started", t0, 1);
            json_field(f, "since", t1, 1);
            json_field(f, "until", t2, 1);
            fprintf(f, ",\"results\":%" PRId64 ",\"suppressed\":%" PRId64 ",\"seconds\":%.3f",
                    (int64_t)sqlite3_column_int64(s, 8), (int64_t)sqlite3_column_int64(s, 9),
                    sqlite3_column_double(s, 10));
            fprintf(f, ",\"params\":%s,\"coverage\":%s}\n", sqlite3_column_text(s, 11),
                    sqlite3_column_text(s, 12));
        } else {
            fprintf(f,
                    "%-5" PRId64 " %-20.19s %-14s %-5s %-20.19s %-20.19s %8" PRId64 " %" PRId64
                    "%s%s\n",
                    (int64_t)sqlite3_column_int64(s, 0), t0, *expr ? "query" : hunt,
                    (int64_t)sqlite3_column_int64(s, 4) ? (const char *)sqlite3_column_text(s, 4)
                                                        : "-",
                    t1, t2, (int64_t)sqlite3_column_int64(s, 8),
                    (int64_t)sqlite3_column_int64(s, 9), *expr ? "  " : "", expr);
        }
    }
    sqlite3_finalize(s);
    return 0;
}

static int do_runs(struct hunt_cli *o)
{
    struct adb *a = NULL;
    char msg[512];
    int rc = adb_open(&a, cli_store_dir(o->store), 1, msg, sizeof msg);
    if (rc == KS_ENOENT) {
        if (!o->json)
            printf("no runs recorded yet\n");
        return 0;
    }
    if (rc) {
        cli_err("%s", msg);
        return EXIT_INTERNAL;
    }
    rc = cli_runs_print(stdout, a, 0, o->json);
    adb_close(a);
    return rc;
}

static int do_allow(struct hunt_cli *o, int argc, char **argv)
{
    const char *verb = optind < argc ? argv[optind] : "list";
    struct adb *a = NULL;
    char msg[512];
    int ro = strcmp(verb, "list") == 0;
    int rc = adb_open(&a, cli_store_dir(o->store), ro, msg, sizeof msg);
    if (rc == KS_ENOENT && ro) {
        printf("the allowlist is empty\n");
        return 0;
    }
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    int code = 0;
    if (strcmp(verb, "add") == 0) {
        struct hunt_allow e = {0};
        if (!o->allow_kind || !o->reason || !*o->reason) {
            cli_err("hunt allow add: needs one of --host --domain --sni --ja3 --ja4 --ua and "
                    "--reason TEXT");
            code = EXIT_USER;
        } else if (strlen(o->allow_value) >= sizeof e.value ||
                   strlen(o->reason) >= sizeof e.reason ||
                   (o->hunt && strlen(o->hunt) >= sizeof e.hunt)) {
            cli_err("hunt allow add: value, reason or hunt name too long");
            code = EXIT_USER;
        } else {
            snprintf(e.kind, sizeof e.kind, "%s", o->allow_kind);
            snprintf(e.value, sizeof e.value, "%s", o->allow_value);
            snprintf(e.reason, sizeof e.reason, "%s", o->reason);
            snprintf(e.hunt, sizeof e.hunt, "%s", o->hunt ? o->hunt : "");
            if (strcmp(e.kind, "host") == 0) {
                struct hunt_zones z = {0};
                char spec[300];
                snprintf(spec, sizeof spec, "x=%s", e.value);
                if (hunt_zone_add(&z, spec, msg, sizeof msg)) {
                    cli_err("hunt allow add: --host '%s' is not an address or CIDR", e.value);
                    code = EXIT_USER;
                }
            }
            if (!code && adb_allow_add(a, &e, &e.id)) {
                cli_err("%s", adb_errmsg(a));
                code = EXIT_INTERNAL;
            }
            if (!code)
                printf("allowlist #%" PRId64 ": %s %s%s%s — %s\n", e.id, e.kind, e.value,
                       e.hunt[0] ? " in hunt " : "", e.hunt, e.reason);
        }
    } else if (strcmp(verb, "remove") == 0) {
        char *end = NULL;
        long long id = optind + 1 < argc ? strtoll(argv[optind + 1], &end, 10) : 0;
        if (!end || *end || id <= 0) {
            cli_err("hunt allow remove: give the entry's number (konseki hunt allow list)");
            code = EXIT_USER;
        } else if ((rc = adb_allow_remove(a, id)) != 0) {
            if (rc == KS_ENOENT)
                cli_err("hunt allow remove: no entry #%lld", id);
            else
                cli_err("%s", adb_errmsg(a));
            code = cli_exit_for(rc);
        } else {
            printf("removed allowlist #%lld\n", id);
        }
    } else if (ro) {
        struct hunt_allow *v = NULL;
        size_t n = 0;
        if (adb_allow_list(a, &v, &n)) {
            cli_err("%s", adb_errmsg(a));
            code = EXIT_INTERNAL;
        }
        for (size_t i = 0; i < n; i++) {
            if (o->json) {
                printf("{\"id\":%" PRId64, v[i].id);
                json_field(stdout, "kind", v[i].kind, 1);
                json_field(stdout, "value", v[i].value, 1);
                json_field(stdout, "hunt", v[i].hunt, 1);
                json_field(stdout, "reason", v[i].reason, 1);
                printf("}\n");
            } else {
                printf("#%-4" PRId64 " %-6s %-40s %-12s %s\n", v[i].id, v[i].kind, v[i].value,
                       v[i].hunt[0] ? v[i].hunt : "(all)", v[i].reason);
            }
        }
        if (!n && !o->json)
            printf("the allowlist is empty\n");
        free(v);
    } else {
        cli_err("hunt allow: expected add, list or remove");
        code = EXIT_USER;
    }
    adb_close(a);
    return code;
}

int cmd_hunt(int argc, char **argv)
{
    if (argc < 2) {
        hunt_usage(stderr);
        return EXIT_USER;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
        hunt_usage(stdout);
        return EXIT_OK;
    }
    struct hunt_cli o = {0};
    if (parse(argc - 1, argv + 1, &o))
        return EXIT_USER;
    argc--;
    argv++;
    if (!strcmp(verb, "list"))
        return do_list(&o);
    if (!strcmp(verb, "show"))
        return do_show(&o, argc, argv);
    if (!strcmp(verb, "run"))
        return do_run(&o, argc, argv);
    if (!strcmp(verb, "runs"))
        return do_runs(&o);
    if (!strcmp(verb, "allow"))
        return do_allow(&o, argc, argv);
    cli_err("hunt: unknown subcommand '%s' (list, show, run, runs, allow)", verb);
    return EXIT_USER;
}
