/*
 * konseki case new --hypothesis TEXT [--attack T1199,T1567.002] [--scope HOSTS/ZONES]
 *                  [--since T] [--until T] [--json]
 * konseki case list [--json]
 * konseki case show ID [--json]
 * konseki case run ID HUNT|'EXPR' [--param k=v]… [--zone NAME=CIDR,…]… [--limit N] [--json]
 * konseki case finding ID --session EVENT_ID --verdict V [--note TEXT] [--json]
 * konseki case export ID --format stix|misp|suricata|zeek|csv -o FILE [--datasets WHEN]
 *
 * Cases, runs and findings live in STORE/analysis.db (case/case.h says what each holds).
 */
#include "cli/cli.h"
#include "cli/output.h"

#include "case/case.h"
#include "core/err.h"
#include "core/ktime.h"
#include "hunt/adb.h"
#include "hunt/hunt.h"
#include "ioc/ioc.h"
#include "query/query.h"
#include "report/report.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASE_CLI_MAX_PARAMS 64
#define CASE_SNAPSHOT_MAX_PIECES 1000

struct case_cli {
    const char *store, *since, *until, *hypothesis, *attack, *scope;
    const char *session, *verdict, *note, *format, *out, *datasets;
    const char *params[CASE_CLI_MAX_PARAMS];
    size_t nparams;
    const char *zones[HUNT_MAX_ZONES];
    size_t nzones;
    long limit;
    int json, no_pcap;
};

static void case_usage(FILE *f)
{
    fputs("usage: konseki case new --hypothesis TEXT [--attack T1199,T1567.002]\n"
          "                        [--scope HOST|CIDR|ZONE,...] [--since T] [--until T] [--json]\n"
          "       konseki case list [--json]\n"
          "       konseki case show ID [--json]\n"
          "       konseki case run ID HUNT|'EXPR' [--param NAME=VALUE]... [--since T] [--until T]\n"
          "                        [--limit N] [--json]\n"
          "       konseki case finding ID --session EVENT_ID\n"
          "                        --verdict malicious|suspicious|benign|false-positive\n"
          "                        [--note TEXT] [--json]\n"
          "       konseki case export ID --format stix|misp|suricata|zeek|csv -o FILE|-\n"
          "                        [--datasets auto|always|never]\n"
          "       konseki case report ID [--format html|md] -o FILE [--no-pcap]\n"
          "Every command takes --store DIR.  A run uses the case's range and scope; --since/\n"
          "--until narrow it.  Export writes the indicators of the malicious findings.\n",
          f);
}

static int parse(int argc, char **argv, struct case_cli *o)
{
    static const struct option lo[] = {{"store", required_argument, NULL, 's'},
                                       {"since", required_argument, NULL, 'a'},
                                       {"until", required_argument, NULL, 'b'},
                                       {"hypothesis", required_argument, NULL, 'H'},
                                       {"attack", required_argument, NULL, 'A'},
                                       {"scope", required_argument, NULL, 'S'},
                                       {"session", required_argument, NULL, 'e'},
                                       {"verdict", required_argument, NULL, 'v'},
                                       {"note", required_argument, NULL, 'n'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"datasets", required_argument, NULL, 'D'},
                                       {"param", required_argument, NULL, 'p'},
                                       {"zone", required_argument, NULL, 'z'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"no-pcap", no_argument, NULL, 'N'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    o->limit = -1;
    while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
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
        case 'H':
            o->hypothesis = optarg;
            break;
        case 'A':
            o->attack = optarg;
            break;
        case 'S':
            o->scope = optarg;
            break;
        case 'e':
            o->session = optarg;
            break;
        case 'v':
            o->verdict = optarg;
            break;
        case 'n':
            o->note = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'N':
            o->no_pcap = 1;
            break;
        case 'D':
            o->datasets = optarg;
            break;
        case 'p':
        case 'z':
        case 'l':
            if (cli_hunt_arg("case", c, optarg, o->params, &o->nparams, CASE_CLI_MAX_PARAMS,
                             o->zones, &o->nzones, &o->limit))
                return -1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            case_usage(stdout);
            exit(EXIT_OK);
        default:
            case_usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static void fmt_time(char *dst, size_t n, int64_t ns)
{
    if (ns && ns != INT64_MIN && ns != INT64_MAX)
        ktime_format(ns, dst, n);
    else
        snprintf(dst, n, "-");
}

static void json_kv(FILE *f, const char *k, const char *v, int comma)
{
    if (comma)
        fputc(',', f);
    out_json_str(f, k);
    fputc(':', f);
    out_json_str(f, v);
}

/* A time as RFC 3339, null when open or unset. */
static void json_time(FILE *f, const char *k, int64_t ns, int comma)
{
    char t[48];
    if (!ns || ns == INT64_MIN || ns == INT64_MAX) {
        fprintf(f, "%s\"%s\":null", comma ? "," : "", k);
        return;
    }
    ktime_format(ns, t, sizeof t);
    json_kv(f, k, t, comma);
}

/* "T1199,T1567.002" or "a,b" as a JSON array. */
static void json_list(FILE *f, const char *s)
{
    fputc('[', f);
    int first = 1;
    while (*s) {
        size_t l = strcspn(s, ", ");
        if (l) {
            char one[1024];
            snprintf(one, sizeof one, "%.*s", (int)(l < sizeof one ? l : sizeof one - 1), s);
            if (!first)
                fputc(',', f);
            out_json_str(f, one);
            first = 0;
        }
        s += l;
        while (*s == ',' || *s == ' ')
            s++;
    }
    fputc(']', f);
}

static int case_id_arg(int argc, char **argv, const char *verb, int64_t *id)
{
    char *end = NULL;
    long long v = optind < argc ? strtoll(argv[optind], &end, 10) : 0;
    if (!end || *end || v <= 0) {
        cli_err("case %s: give the case number (konseki case list)", verb);
        return EXIT_USER;
    }
    *id = v;
    return 0;
}

/* Open analysis.db and read case id; prints why not.  An exit code. */
static int open_case(const struct case_cli *o, int readonly, int64_t id, struct adb **a,
                     struct case_info *c)
{
    char msg[512];
    int rc = adb_open(a, cli_store_dir(o->store), readonly, msg, sizeof msg);
    if (rc == KS_ENOENT && readonly) {
        cli_err("no case %" PRId64 " (no cases yet: konseki case new)", id);
        return EXIT_USER;
    }
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    rc = case_get(*a, id, c);
    if (rc) {
        if (rc == KS_ENOENT)
            cli_err("no case %" PRId64 " (konseki case list)", id);
        else
            cli_err("analysis.db: %s", adb_errmsg(*a)[0] ? adb_errmsg(*a) : ks_strerror(rc));
        adb_close(*a);
        *a = NULL;
        return cli_exit_for(rc);
    }
    return 0;
}

/* The case as one JSON object; with counts >= 0 also "runs" and "findings". */
static void print_case_json(FILE *f, const struct case_info *c, long runs, long findings)
{
    fprintf(f, "{\"id\":%" PRId64, c->id);
    json_kv(f, "hypothesis", c->hypothesis, 1);
    fputs(",\"attack\":", f);
    json_list(f, c->attack);
    fputs(",\"scope\":", f);
    json_list(f, c->scope);
    json_time(f, "since", c->since_ns, 1);
    json_time(f, "until", c->until_ns, 1);
    json_time(f, "created", c->created_ns, 1);
    json_kv(f, "status", c->status, 1);
    if (runs >= 0)
        fprintf(f, ",\"runs\":%ld,\"findings\":%ld", runs, findings);
    fputc('}', f);
}

static void print_case_text(FILE *f, const struct case_info *c)
{
    char t0[48], t1[48], t2[48];
    fmt_time(t0, sizeof t0, c->since_ns);
    fmt_time(t1, sizeof t1, c->until_ns);
    fmt_time(t2, sizeof t2, c->created_ns);
    fprintf(f, "case %" PRId64 " (%s), created %s\n", c->id, c->status, t2);
    fprintf(f, "  hypothesis: %s\n", c->hypothesis);
    fprintf(f, "  ATT&CK:     %s\n", c->attack[0] ? c->attack : "-");
    fprintf(f, "  scope:      %s\n", c->scope[0] ? c->scope : "everything");
    fprintf(f, "  range:      %s .. %s\n", t0, t1);
}

/* The store's zones (zones.conf, or --zone); prints why not.  An exit code. */
static int load_zones(const struct case_cli *o, struct hunt_zones *zs)
{
    char msg[512];
    memset(zs, 0, sizeof *zs);
    for (size_t i = 0; i < o->nzones; i++) {
        if (hunt_zone_add(zs, o->zones[i], msg, sizeof msg)) {
            cli_err("--zone: %s", msg);
            return EXIT_USER;
        }
    }
    if (!o->nzones && hunt_zones_load(zs, cli_store_dir(o->store), msg, sizeof msg)) {
        cli_err("%s", msg);
        return EXIT_USER;
    }
    return 0;
}

/* ---------------------------------------------------------------- new, list */

static int do_new(struct case_cli *o)
{
    struct case_info *c = calloc(1, sizeof *c);
    struct hunt_zones *zs = malloc(sizeof *zs);
    struct case_scope *sc = malloc(sizeof *sc);
    struct adb *a = NULL;
    char msg[512];
    int code = c && zs && sc ? 0 : EXIT_INTERNAL;
    if (!code && (!o->hypothesis || !*o->hypothesis)) {
        cli_err("case new: --hypothesis TEXT is required (what you assume happened)");
        code = EXIT_USER;
    }
    if (!code && (strlen(o->hypothesis) >= sizeof c->hypothesis ||
                  (o->scope && strlen(o->scope) >= sizeof c->scope))) {
        cli_err("case new: hypothesis or scope too long");
        code = EXIT_USER;
    }
    if (!code && case_attack_parse(o->attack, c->attack, sizeof c->attack, msg, sizeof msg)) {
        cli_err("case new: --attack: %s", msg);
        code = EXIT_USER;
    }
    if (!code)
        code = load_zones(o, zs);
    if (!code && case_scope_parse(sc, o->scope, zs, msg, sizeof msg)) {
        cli_err("case new: %s", msg);
        code = EXIT_USER;
    }
    if (!code && cli_parse_range(o->since, o->until, &c->since_ns, &c->until_ns))
        code = EXIT_USER;
    int rc = code ? 0 : adb_open(&a, cli_store_dir(o->store), 0, msg, sizeof msg);
    if (rc) {
        cli_err("%s", msg);
        code = cli_exit_for(rc);
    }
    if (!code) {
        snprintf(c->hypothesis, sizeof c->hypothesis, "%s", o->hypothesis);
        snprintf(c->scope, sizeof c->scope, "%s", o->scope ? o->scope : "");
        if (case_new(a, c)) {
            cli_err("analysis.db: %s", adb_errmsg(a));
            code = EXIT_INTERNAL;
        }
    }
    if (!code) {
        if (o->json) {
            print_case_json(stdout, c, -1, -1);
            fputc('\n', stdout);
        } else {
            print_case_text(stdout, c);
        }
    }
    adb_close(a);
    free(sc);
    free(zs);
    free(c);
    return code;
}

static int do_list(struct case_cli *o)
{
    struct adb *a = NULL;
    char msg[512];
    int rc = adb_open(&a, cli_store_dir(o->store), 1, msg, sizeof msg);
    if (rc == KS_ENOENT) {
        if (!o->json)
            printf("no cases yet (konseki case new --hypothesis TEXT)\n");
        return 0;
    }
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    struct case_info *v = NULL;
    size_t n = 0;
    if (case_list(a, &v, &n)) {
        cli_err("analysis.db: %s", adb_errmsg(a));
        adb_close(a);
        return EXIT_INTERNAL;
    }
    if (!o->json)
        printf("%-5s %-20s %-6s %4s %8s  %s\n", "CASE", "CREATED (UTC)", "STATUS", "RUNS",
               "FINDINGS", "HYPOTHESIS");
    for (size_t i = 0; i < n; i++) {
        struct case_run *runs = NULL;
        struct case_finding *fs = NULL;
        size_t nr = 0, nf = 0;
        case_runs(a, v[i].id, &runs, &nr);
        case_findings(a, v[i].id, &fs, &nf);
        if (o->json) {
            print_case_json(stdout, &v[i], (long)nr, (long)nf);
            fputc('\n', stdout);
        } else {
            char t[48];
            fmt_time(t, sizeof t, v[i].created_ns);
            printf("%-5" PRId64 " %-20.19s %-6s %4zu %8zu  %.90s\n", v[i].id, t, v[i].status, nr,
                   nf, v[i].hypothesis);
        }
        case_runs_free(runs, nr);
        case_findings_free(fs, nf);
    }
    if (!n && !o->json)
        printf("no cases yet (konseki case new --hypothesis TEXT)\n");
    free(v);
    adb_close(a);
    return 0;
}

/* ---------------------------------------------------------------- show */

static void endpoint(char *dst, size_t n, const char *ip, int port)
{
    if (port < 0)
        snprintf(dst, n, "%s", ip);
    else if (strchr(ip, ':'))
        snprintf(dst, n, "[%s]:%d", ip, port);
    else
        snprintf(dst, n, "%s:%d", ip, port);
}

static void print_finding_text(FILE *f, const struct case_finding *x)
{
    char t[48], s[80], d[80], by[32];
    const struct case_session *ss = &x->s;
    ktime_format_short(ss->first_ns, t, sizeof t);
    endpoint(s, sizeof s, ss->src, ss->sport);
    endpoint(d, sizeof d, ss->dst, ss->dport);
    fprintf(f, "  #%-4" PRId64 " %-14s %016" PRIx64 "  %.19s  %-5s %s -> %s  %" PRIu64 " pkts %s\n",
            x->id, case_verdict_name(x->verdict), x->event_id, t,
            ss->app[0] ? ss->app : ss->transport, s, d, ss->packets,
            cli_bytes((double)ss->bytes, by, sizeof by));
    if (x->note[0])
        fprintf(f, "        note: %s\n", x->note);
}

static void print_finding_json(FILE *f, const struct case_finding *x, int with_snapshot)
{
    char ev[24];
    const struct case_session *ss = &x->s;
    snprintf(ev, sizeof ev, "%016" PRIx64, x->event_id);
    fprintf(f, "{\"id\":%" PRId64 ",\"case_id\":%" PRId64, x->id, x->case_id);
    json_kv(f, "event_id", ev, 1);
    json_kv(f, "verdict", case_verdict_name(x->verdict), 1);
    json_kv(f, "note", x->note, 1);
    json_time(f, "created", x->created_ns, 1);
    json_time(f, "updated", x->updated_ns, 1);
    fputs(",\"session\":{", f);
    json_time(f, "start", ss->first_ns, 0);
    json_time(f, "end", ss->last_ns, 1);
    json_kv(f, "transport", ss->transport, 1);
    json_kv(f, "protocol", ss->app, 1);
    json_kv(f, "source_ip", ss->src, 1);
    json_kv(f, "destination_ip", ss->dst, 1);
    if (ss->sport >= 0)
        fprintf(f, ",\"source_port\":%d,\"destination_port\":%d", ss->sport, ss->dport);
    fprintf(f, ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"pieces\":%u", ss->bytes,
            ss->packets, ss->pieces);
    json_kv(f, "community_id", ss->community_id, 1);
    fputc('}', f);
    if (with_snapshot && x->snapshot)
        fprintf(f, ",\"snapshot\":%s", x->snapshot);
    fputc('}', f);
}

/* One run: when, what, and how much it found (sessions for a query, results for a hunt). */
static void print_run_line(struct adb *a, const struct case_run *r)
{
    char t[48], what[80];
    fmt_time(t, sizeof t, r->started_ns);
    snprintf(what, sizeof what, "%.79s", r->expr[0] ? r->expr : r->hunt);
    if (!strcmp(r->kind, "query")) {
        struct case_result *res = NULL;
        size_t n = 0;
        uint64_t sessions = 0;
        if (!case_results(a, r->id, &res, &n) && n)
            sessions = res[0].sessions;
        free(res);
        printf("  run %-4" PRId64 " %.19s  query  %-44s %" PRIu64 " session%s\n", r->id, t, what,
               sessions, sessions == 1 ? "" : "s");
    } else {
        printf("  run %-4" PRId64 " %.19s  hunt   %-44s %" PRIu64 " result%s", r->id, t, what,
               r->results, r->results == 1 ? "" : "s");
        if (r->suppressed)
            printf(" (+%" PRIu64 " suppressed)", r->suppressed);
        fputc('\n', stdout);
    }
}

static int do_show(struct case_cli *o, int argc, char **argv)
{
    int64_t id;
    struct adb *a = NULL;
    struct case_info *c = malloc(sizeof *c);
    struct hunt_zones *zs = malloc(sizeof *zs);
    if (!c || !zs) {
        free(c);
        free(zs);
        return EXIT_INTERNAL;
    }
    int code = case_id_arg(argc, argv, "show", &id);
    if (!code)
        code = open_case(o, 1, id, &a, c);
    struct case_run *runs = NULL;
    struct case_finding *fs = NULL;
    size_t nr = 0, nf = 0;
    struct case_iocs iocs = {0};
    if (!code && (case_runs(a, id, &runs, &nr) || case_findings(a, id, &fs, &nf))) {
        cli_err("analysis.db: %s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    }
    if (!code)
        code = load_zones(o, zs);
    if (!code && case_iocs_extract(fs, nf, zs, &iocs)) {
        cli_err("case show: out of memory reading the findings");
        code = EXIT_INTERNAL;
    }
    if (!code && o->json) {
        printf("{\"case\":");
        print_case_json(stdout, c, (long)nr, (long)nf);
        printf(",\"runs\":[");
        for (size_t i = 0; i < nr; i++) {
            printf("%s{\"run_id\":%" PRId64, i ? "," : "", runs[i].id);
            json_kv(stdout, "kind", runs[i].kind, 1);
            json_kv(stdout, "hunt", runs[i].hunt, 1);
            if (runs[i].expr[0])
                json_kv(stdout, "query", runs[i].expr, 1);
            json_time(stdout, "started", runs[i].started_ns, 1);
            json_time(stdout, "since", runs[i].since_ns, 1);
            json_time(stdout, "until", runs[i].until_ns, 1);
            printf(",\"results\":%" PRIu64 ",\"suppressed\":%" PRIu64 "}", runs[i].results,
                   runs[i].suppressed);
        }
        printf("],\"findings\":[");
        for (size_t i = 0; i < nf; i++) {
            if (i)
                fputc(',', stdout);
            print_finding_json(stdout, &fs[i], 1);
        }
        printf("],\"indicators\":%zu}\n", iocs.n);
    } else if (!code) {
        print_case_text(stdout, c);
        printf("\nruns (%zu):\n", nr);
        for (size_t i = 0; i < nr; i++)
            print_run_line(a, &runs[i]);
        printf("\nfindings (%zu):\n", nf);
        for (size_t i = 0; i < nf; i++)
            print_finding_text(stdout, &fs[i]);
        printf("\nindicators: %zu from %u malicious finding%s", iocs.n, iocs.malicious,
               iocs.malicious == 1 ? "" : "s");
        printf(iocs.n ? " (konseki case export %" PRId64 " --format stix|misp|suricata|zeek|csv)\n"
                      : "\n",
               id);
    }
    case_iocs_free(&iocs);
    case_runs_free(runs, nr);
    case_findings_free(fs, nf);
    adb_close(a);
    free(zs);
    free(c);
    return code;
}

/* ---------------------------------------------------------------- run */

struct qrun {
    const struct case_scope *scope;
    int format;
    struct hunt_map seen;
    uint64_t sessions, pieces;
    uint64_t ids[HUNT_MAX_EVIDENCE];
    size_t nids;
};

static int on_query_row(void *ctx, const struct session_row *r)
{
    struct qrun *q = ctx;
    if (!case_scope_has(q->scope, r->src) && !case_scope_has(q->scope, r->dst))
        return 0;
    out_session(stdout, q->format, r);
    q->pieces++;
    /* distinct sessions (pieces share the id); past the map's cap every piece counts */
    int *seen = hunt_map_get(&q->seen, &r->id, sizeof r->id, 1);
    if (seen && *seen)
        return 0;
    if (seen)
        *seen = 1;
    q->sessions++;
    if (q->nids < HUNT_MAX_EVIDENCE)
        q->ids[q->nids++] = r->id;
    return ferror(stdout) ? 1 : 0;
}

static int run_query(struct case_cli *o, struct store *st, struct adb *a, const struct case_info *c,
                     const struct case_scope *sc, const struct query *expr, const char *text,
                     int64_t lo, int64_t hi)
{
    struct qrun q = {.scope = sc, .format = o->json ? OUT_JSON : OUT_TABLE};
    hunt_map_init(&q.seen, sizeof(int), 4u << 20);
    struct store_query sq = {.expr = expr, .since_ns = lo, .until_ns = hi, .want_records = o->json};
    if (!o->json)
        out_header(stdout, OUT_TABLE);
    int rc = store_query_run(st, &sq, on_query_row, &q, NULL);
    int code = 0;
    int64_t run_id = 0;
    if (rc) {
        cli_err("case run: %s", store_errmsg(st)[0] ? store_errmsg(st) : ks_strerror(rc));
        code = cli_exit_for(rc);
    } else if (adb_query_run_save(a, text, lo, hi, c->id, q.sessions, q.ids, q.nids, &run_id)) {
        cli_err("%s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    } else if (!o->json) {
        printf("run %" PRId64 " in case %" PRId64 ": %" PRIu64 " session%s match %s%s\n", run_id,
               c->id, q.sessions, q.sessions == 1 ? "" : "s", text,
               sc->any ? "" : " within the case's scope");
    }
    hunt_map_release(&q.seen);
    return code;
}

static int run_hunt(struct case_cli *o, struct store *st, struct adb *a, const struct case_info *c,
                    const struct case_scope *sc, const struct hunt_def *d,
                    const struct hunt_zones *zs, int64_t lo, int64_t hi)
{
    struct hunt_opts ho = {
        .since_ns = lo, .until_ns = hi, .params = o->params, .nparams = o->nparams, .zones = zs};
    struct hunt_allow *allow = NULL;
    struct hunt_run run;
    char msg[1024];
    if (adb_allow_list(a, &allow, &ho.nallow)) {
        cli_err("%s", adb_errmsg(a));
        return EXIT_INTERNAL;
    }
    ho.allow = allow;
    int rc = hunt_run(st, d, &ho, &run, msg, sizeof msg);
    free(allow);
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    size_t removed = 0;
    case_scope_filter(sc, &run, &removed);
    int code = 0;
    if (adb_run_save(a, &run, c->id, &run.id)) {
        cli_err("%s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    } else {
        cli_hunt_print(stdout, &run, o->json, o->limit);
        if (!o->json)
            printf("  recorded in case %" PRId64 "%s", c->id, removed ? "" : "\n");
        if (!o->json && removed)
            printf("; %zu result%s outside the case's scope left out\n", removed,
                   removed == 1 ? "" : "s");
    }
    hunt_run_release(&run);
    return code;
}

static int do_run(struct case_cli *o, int argc, char **argv)
{
    int64_t id;
    int code = case_id_arg(argc, argv, "run", &id);
    if (code)
        return code;
    if (argc - optind != 2) {
        cli_err("case run: give the case and one hunt name or quoted query expression");
        return EXIT_USER;
    }
    const char *target = argv[optind + 1];
    const char *dir = cli_store_dir(o->store);
    struct case_info *c = malloc(sizeof *c);
    struct hunt_zones *zs = malloc(sizeof *zs);
    struct case_scope *sc = malloc(sizeof *sc);
    struct hunt_def *defs = NULL;
    size_t ndefs = 0;
    struct adb *a = NULL;
    struct store *st = NULL;
    struct query *expr = NULL;
    char msg[512];
    int64_t lo, hi;
    code = c && zs && sc ? 0 : EXIT_INTERNAL;
    if (!code && cli_parse_range(o->since, o->until, &lo, &hi))
        code = EXIT_USER;
    if (!code && cli_hunt_defs(dir, &defs, &ndefs))
        code = EXIT_INTERNAL;
    const struct hunt_def *d = code ? NULL : hunt_def_find(defs, ndefs, target);
    if (!code && !d) {
        struct query_error qe;
        memset(&qe, 0, sizeof qe);
        int rc = query_parse(target, &expr, &qe);
        if (rc == KS_EINVAL) {
            cli_err("case run: '%s' is no hunt (konseki hunt list) and no query: %s%.0d%s%s",
                    target, qe.col > 0 ? "column " : "", qe.col, qe.col > 0 ? ": " : "", qe.msg);
            code = EXIT_USER;
        } else if (rc) {
            cli_err("case run: %s", ks_strerror(rc));
            code = cli_exit_for(rc);
        }
    }
    if (!code)
        code = open_case(o, 0, id, &a, c);
    if (!code)
        code = load_zones(o, zs);
    if (!code && case_scope_parse(sc, c->scope, zs, msg, sizeof msg)) {
        cli_err("case %" PRId64 ": %s (zones.conf changed?)", id, msg);
        code = EXIT_USER;
    }
    if (!code) {
        /* within the case's range: the later start, the earlier end */
        if (c->since_ns > lo)
            lo = c->since_ns;
        if (c->until_ns < hi)
            hi = c->until_ns;
        if (lo > hi) {
            cli_err("case run: --since/--until lie outside the case's range");
            code = EXIT_USER;
        }
    }
    if (!code)
        code = cli_open_store_readonly(o->store, &st);
    if (!code)
        code = d ? run_hunt(o, st, a, c, sc, d, zs, lo, hi)
                 : run_query(o, st, a, c, sc, expr, target, lo, hi);
    if (st)
        store_close(st);
    query_free(expr);
    adb_close(a);
    free(defs);
    free(sc);
    free(zs);
    free(c);
    return code;
}

/* ---------------------------------------------------------------- finding */

struct snap {
    FILE *f;
    unsigned pieces;
};

static int on_snap_row(void *ctx, const struct session_row *r)
{
    struct snap *s = ctx;
    if (s->pieces >= CASE_SNAPSHOT_MAX_PIECES)
        return 1;
    fputc(s->pieces ? ',' : '[', s->f);
    out_session(s->f, OUT_JSON, r);
    s->pieces++;
    return 0;
}

/*
 * The snapshot of session event_id: every stored piece as `query --json` prints it, in one
 * JSON array (malloc'd into *out).  KS_ENOENT when the store has no such session.
 */
static int snapshot_take(struct store *st, uint64_t event_id, char **out)
{
    char text[64];
    struct query *q = NULL;
    struct query_error qe;
    *out = NULL;
    snprintf(text, sizeof text, "event.id == %016" PRIx64, event_id);
    int rc = query_parse(text, &q, &qe);
    if (rc)
        return rc;
    size_t len = 0;
    struct snap s = {0};
    s.f = open_memstream(out, &len);
    if (!s.f) {
        query_free(q);
        return KS_ENOMEM;
    }
    struct store_query sq = {
        .expr = q, .since_ns = INT64_MIN, .until_ns = INT64_MAX, .want_records = 1};
    rc = store_query_run(st, &sq, on_snap_row, &s, NULL);
    if (rc == 1)
        rc = 0; /* stopped at CASE_SNAPSHOT_MAX_PIECES pieces */
    fputs(s.pieces ? "]" : "", s.f);
    if (fclose(s.f) && !rc)
        rc = KS_ENOMEM;
    query_free(q);
    if (!rc && !s.pieces)
        rc = KS_ENOENT;
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static int do_finding(struct case_cli *o, int argc, char **argv)
{
    int64_t id;
    int code = case_id_arg(argc, argv, "finding", &id);
    if (code)
        return code;
    int verdict = case_verdict_parse(o->verdict);
    char *end = NULL;
    uint64_t ev = o->session ? strtoull(o->session, &end, 16) : 0;
    if (!o->session || !*o->session || *end || strlen(o->session) > 18 || ev == 0) {
        cli_err("case finding: --session EVENT_ID (the 16 hex digits `konseki query` shows)");
        return EXIT_USER;
    }
    if (verdict < 0) {
        cli_err("case finding: --verdict malicious|suspicious|benign|false-positive");
        return EXIT_USER;
    }
    if (o->note && strlen(o->note) >= CASE_TEXT_MAX) {
        cli_err("case finding: --note is longer than %d bytes", CASE_TEXT_MAX - 1);
        return EXIT_USER;
    }
    struct case_info *c = malloc(sizeof *c);
    struct adb *a = NULL;
    struct store *st = NULL;
    char *snapshot = NULL;
    code = c ? open_case(o, 0, id, &a, c) : EXIT_INTERNAL;
    if (!code)
        code = cli_open_store_readonly(o->store, &st);
    if (!code) {
        int rc = snapshot_take(st, ev, &snapshot);
        if (rc == KS_ENOENT) {
            cli_err("case finding: no session %016" PRIx64 " in the store (pruned, or another "
                    "store?)",
                    ev);
            code = EXIT_USER;
        } else if (rc) {
            cli_err("case finding: %s", store_errmsg(st)[0] ? store_errmsg(st) : ks_strerror(rc));
            code = cli_exit_for(rc);
        }
    }
    int64_t fid = 0;
    int replaced = 0;
    if (!code) {
        int rc = case_finding_set(a, id, ev, verdict, o->note, snapshot, &fid, &replaced);
        if (rc) {
            cli_err("case finding: %s", rc == KS_ESQL ? adb_errmsg(a) : ks_strerror(rc));
            code = cli_exit_for(rc);
        }
    }
    if (!code) {
        struct case_finding f = {
            .id = fid, .case_id = id, .event_id = ev, .verdict = verdict, .snapshot = snapshot};
        snprintf(f.note, sizeof f.note, "%s", o->note ? o->note : "");
        case_snapshot_summary(snapshot, &f.s);
        f.created_ns = f.updated_ns = ktime_now();
        if (o->json) {
            print_finding_json(stdout, &f, 0);
            fputc('\n', stdout);
        } else {
            printf("case %" PRId64 ": finding #%" PRId64 " %s\n", id, fid,
                   replaced ? "updated" : "recorded");
            print_finding_text(stdout, &f);
        }
    }
    free(snapshot);
    if (st)
        store_close(st);
    adb_close(a);
    free(c);
    return code;
}

/* ---------------------------------------------------------------- export */

static const char *const format_names[] = {"stix", "misp", "suricata", "zeek", "csv"};

static void print_counts(FILE *f, const uint64_t *by)
{
    int first = 1;
    for (int t = 0; t < IOC__COUNT; t++) {
        if (!by[t])
            continue;
        fprintf(f, "%s%" PRIu64 " %s", first ? "" : ", ", by[t], ioc_type_name(t));
        first = 0;
    }
}

static int do_export(struct case_cli *o, int argc, char **argv)
{
    int64_t id;
    int code = case_id_arg(argc, argv, "export", &id);
    if (code)
        return code;
    struct case_export_opts eo = {.format = case_format_parse(o->format), .datasets = -1};
    if (eo.format < 0) {
        cli_err("case export: --format stix|misp|suricata|zeek|csv");
        return EXIT_USER;
    }
    if (!o->out || !*o->out) {
        cli_err("case export: -o FILE (or -o - for standard output)");
        return EXIT_USER;
    }
    if (o->datasets) {
        eo.datasets = !strcmp(o->datasets, "always")  ? 1
                      : !strcmp(o->datasets, "never") ? 0
                      : !strcmp(o->datasets, "auto")  ? -1
                                                      : -2;
        if (eo.datasets == -2) {
            cli_err("case export: --datasets auto|always|never");
            return EXIT_USER;
        }
    }
    struct case_info *c = malloc(sizeof *c);
    struct hunt_zones *zs = malloc(sizeof *zs);
    struct case_export_report *rep = malloc(sizeof *rep);
    struct adb *a = NULL;
    struct case_finding *fs = NULL;
    size_t nf = 0;
    struct case_iocs iocs = {0};
    code = c && zs && rep ? open_case(o, 1, id, &a, c) : EXIT_INTERNAL;
    if (!code && case_findings(a, id, &fs, &nf)) {
        cli_err("analysis.db: %s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    }
    if (!code)
        code = load_zones(o, zs);
    if (!code && case_iocs_extract(fs, nf, zs, &iocs)) {
        cli_err("case export: out of memory reading the findings");
        code = EXIT_INTERNAL;
    }
    if (!code && !iocs.malicious) {
        cli_err("case export: case %" PRId64 " has no malicious findings: nothing to export "
                "(konseki case finding %" PRId64 " --session ID --verdict malicious)",
                id, id);
        code = EXIT_USER;
    } else if (!code && !iocs.n) {
        cli_err("case export: the malicious findings of case %" PRId64 " hold no indicator "
                "(only internal hosts?)",
                id);
        code = EXIT_USER;
    }
    int to_stdout = o->out && !strcmp(o->out, "-");
    char dir[PATH_MAX] = ".", stem[256] = "";
    FILE *f = NULL;
    if (!code) {
        const char *slash = strrchr(o->out, '/');
        if (slash && !to_stdout)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - o->out), o->out);
        snprintf(stem, sizeof stem, "%s", slash ? slash + 1 : o->out);
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = '\0';
        /* side file and dataset names go into rule options: keep them plain */
        for (char *p = stem; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
                *p = '_';
        eo.dir = to_stdout ? NULL : dir;
        eo.stem = stem;
        eo.now_ns = ktime_now();
        f = to_stdout ? stdout : fopen(o->out, "w");
        if (!f) {
            cli_err("case export: %s: %s", o->out, strerror(errno));
            code = EXIT_USER;
        }
    }
    if (!code) {
        int rc = case_export(f, c, &iocs, &eo, rep);
        if ((f != stdout && fclose(f) != 0) || (f == stdout && fflush(f) != 0))
            rc = rc ? rc : KS_EIO;
        if (rc) {
            cli_err("case export: writing %s failed", o->out);
            code = EXIT_INTERNAL;
        }
    }
    if (!code) {
        FILE *msg = to_stdout ? stderr : stdout;
        fprintf(msg,
                "case %" PRId64 ": %" PRIu64 " indicators from %u malicious finding%s to %s (%s",
                id, rep->written_total, iocs.malicious, iocs.malicious == 1 ? "" : "s",
                to_stdout ? "standard output" : o->out, format_names[eo.format]);
        if (rep->written_total)
            fputs(": ", msg);
        print_counts(msg, rep->written);
        fputs(")\n", msg);
        if (rep->skipped_total) {
            fprintf(msg, "  left out, %s has no place for them: ", format_names[eo.format]);
            print_counts(msg, rep->skipped);
            fputc('\n', msg);
        }
        for (unsigned i = 0; i < rep->nfiles; i++)
            fprintf(msg, "  with %s\n", rep->files[i]);
        if (iocs.dropped)
            fprintf(msg, "  %" PRIu64 " more indicators past the limit of %d left out\n",
                    iocs.dropped, CASE_MAX_IOCS);
    }
    case_iocs_free(&iocs);
    case_findings_free(fs, nf);
    adb_close(a);
    free(rep);
    free(zs);
    free(c);
    return code;
}

/*
 * case report ID [--format html|md] -o FILE [--no-pcap]: the case as a document.  Each finding's
 * packets are extracted (konseki pcap) into FILE-evidence/EVENT_ID.pcap beside the report and
 * linked from it; a finding whose session is no longer stored says so (its snapshot is the
 * record).
 */
static int do_report(struct case_cli *o, int argc, char **argv)
{
    int64_t id;
    int code = case_id_arg(argc, argv, "report", &id);
    if (code)
        return code;
    int fmt;
    if (doc_format_parse(o->format, &fmt)) {
        cli_err("case report: --format html|md");
        return EXIT_USER;
    }
    if (!o->out || !*o->out || !strcmp(o->out, "-")) {
        cli_err("case report: -o FILE");
        return EXIT_USER;
    }
    struct case_info *c = malloc(sizeof *c);
    struct hunt_zones *zs = malloc(sizeof *zs);
    struct adb *a = NULL;
    struct store *st = NULL;
    struct case_finding *fs = NULL;
    size_t nf = 0;
    struct report_evidence *ev = NULL;
    char(*paths)[PATH_MAX + 64] = NULL;
    char evdir[PATH_MAX], tmp[PATH_MAX + 32], msg[1024];
    FILE *f = NULL;
    code = c && zs ? open_case(o, 1, id, &a, c) : EXIT_INTERNAL;
    if (!code)
        code = load_zones(o, zs);
    if (!code && case_findings(a, id, &fs, &nf)) {
        cli_err("analysis.db: %s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    }
    const char *dir = cli_store_dir(o->store);
    if (!code && store_open(&st, dir, &(struct store_opts){.readonly = 1}, msg, sizeof msg))
        st = NULL; /* the case is still reported, without coverage and packets */
    if (!code && snprintf(evdir, sizeof evdir, "%s-evidence", o->out) >= (int)sizeof evdir) {
        cli_err("case report: %s: path too long", o->out);
        code = EXIT_USER;
    }
    if (!code) {
        ev = calloc(nf ? nf : 1, sizeof *ev);
        paths = calloc(nf ? nf : 1, sizeof *paths);
        if (!ev || !paths)
            code = EXIT_INTERNAL;
    }
    const char *base = strrchr(evdir, '/');
    base = base ? base + 1 : evdir;
    for (size_t i = 0; !code && i < nf; i++) {
        ev[i].event_id = fs[i].event_id;
        if (o->no_pcap || !st) {
            ev[i].why = !st ? "the store could not be opened: no extract."
                            : "not extracted (--no-pcap): konseki pcap -w FILE 'event.id == ID'.";
            continue;
        }
        if (mkdir(evdir, 0700) != 0 && errno != EEXIST) {
            cli_err("case report: %s: %s", evdir, strerror(errno));
            code = EXIT_USER;
            break;
        }
        char full[PATH_MAX + 64], q[64];
        snprintf(full, sizeof full, "%s/%016" PRIx64 ".pcap", evdir, fs[i].event_id);
        snprintf(q, sizeof q, "event.id == %016" PRIx64, fs[i].event_id);
        char *pa[] = {"pcap", "--store", (char *)dir, "-w", full, q, NULL};
        struct stat sb;
        if (cmd_pcap(6, pa) == 0 && stat(full, &sb) == 0 && sb.st_size > 24) {
            snprintf(paths[i], sizeof paths[i], "%s/%016" PRIx64 ".pcap", base, fs[i].event_id);
            ev[i].pcap = paths[i];
        } else {
            unlink(full);
            ev[i].why = "the session is no longer in the store (retention): the snapshot above "
                        "is its record.";
        }
    }
    if (!code &&
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->out, (long)getpid()) >= (int)sizeof tmp) {
        cli_err("case report: %s: path too long", o->out);
        code = EXIT_USER;
    }
    if (!code && !(f = fopen(tmp, "w"))) {
        cli_err("case report: %s: %s", o->out, strerror(errno));
        code = EXIT_USER;
    }
    if (!code) {
        struct case_report_opts ro = {.now_ns = ktime_now(), .store_dir = dir, .ev = ev, .nev = nf};
        const char *fixed = getenv("KONSEKI_REPORT_TIME");
        if (fixed && *fixed && ktime_parse(fixed, ro.now_ns, &ro.now_ns))
            ro.now_ns = ktime_now();
        int rc = report_case(st, a, c, zs, &ro, f, fmt, msg, sizeof msg);
        if (fclose(f) != 0 && !rc)
            rc = KS_EIO;
        if (!rc && rename(tmp, o->out) != 0)
            rc = KS_EIO;
        if (rc) {
            unlink(tmp);
            cli_err("case report: %s", rc == KS_EIO ? "writing the report failed" : msg);
            code = cli_exit_for(rc);
        } else {
            size_t npcap = 0;
            for (size_t i = 0; i < nf; i++)
                npcap += ev[i].pcap != NULL;
            printf("case %" PRId64 ": report %s (%zu findings, %zu packet extracts%s%s)\n", id,
                   o->out, nf, npcap, npcap ? " in " : "", npcap ? evdir : "");
        }
    }
    free(paths);
    free(ev);
    case_findings_free(fs, nf);
    if (st)
        store_close(st);
    adb_close(a);
    free(zs);
    free(c);
    return code;
}

int cmd_case(int argc, char **argv)
{
    if (argc < 2) {
        case_usage(stderr);
        return EXIT_USER;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
        case_usage(stdout);
        return EXIT_OK;
    }
    struct case_cli o = {0};
    if (parse(argc - 1, argv + 1, &o))
        return EXIT_USER;
    argc--;
    argv++;
    if (!strcmp(verb, "new"))
        return do_new(&o);
    if (!strcmp(verb, "list"))
        return do_list(&o);
    if (!strcmp(verb, "show"))
        return do_show(&o, argc, argv);
    if (!strcmp(verb, "run"))
        return do_run(&o, argc, argv);
    if (!strcmp(verb, "finding"))
        return do_finding(&o, argc, argv);
    if (!strcmp(verb, "report"))
        return do_report(&o, argc, argv);
    if (!strcmp(verb, "export"))
        return do_export(&o, argc, argv);
    cli_err("case: unknown subcommand '%s' (new, list, show, run, finding, export)", verb);
    return EXIT_USER;
}
