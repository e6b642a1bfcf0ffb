/*
 * konseki report [--store DIR] [--since T] [--until T] [--format html|md] [--zone NAME=CIDR]…
 *                [--top N] -o FILE
 *
 * The retrospective analysis deliverable (report/report.h): coverage, traffic charts, IOC
 * findings, every hunt's top results, recommended next hunts.  The hunt runs are recorded in
 * analysis.db like any other.  HTML is self-contained (inline CSS and SVG).
 */
#include "cli/cli.h"

#include "core/err.h"
#include "core/ktime.h"
#include "hunt/adb.h"
#include "hunt/hunt.h"
#include "report/report.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report_usage(FILE *f)
{
    fputs("usage: konseki report [--store DIR] [--since T] [--until T] [--format html|md]\n"
          "                      [--zone NAME=CIDR[,CIDR]]... [--top N] -o FILE\n"
          "Runs every hunt over the range (recorded in analysis.db) and writes the report:\n"
          "coverage, traffic charts, IOC findings, each hunt's top results, next hunts.\n",
          f);
}

int cmd_report(int argc, char **argv)
{
    static const struct option lo[] = {{"store", required_argument, NULL, 's'},
                                       {"since", required_argument, NULL, 'a'},
                                       {"until", required_argument, NULL, 'b'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"zone", required_argument, NULL, 'z'},
                                       {"top", required_argument, NULL, 't'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *store = NULL, *since = NULL, *until = NULL, *format = NULL, *outp = NULL;
    const char *zones[HUNT_MAX_ZONES];
    size_t nzones = 0;
    long top = 5;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            store = optarg;
            break;
        case 'a':
            since = optarg;
            break;
        case 'b':
            until = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'z':
            if (nzones == HUNT_MAX_ZONES) {
                cli_err("report: more than %d --zone", HUNT_MAX_ZONES);
                return EXIT_USER;
            }
            zones[nzones++] = optarg;
            break;
        case 't': {
            char *end;
            top = strtol(optarg, &end, 10);
            if (*end || end == optarg || top < 1 || top > 1000) {
                cli_err("report: --top '%s': expected 1..1000", optarg);
                return EXIT_USER;
            }
            break;
        }
        case 'o':
            outp = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return EXIT_OK;
        default:
            report_usage(stderr);
            return EXIT_USER;
        }
    }
    int fmt;
    if (doc_format_parse(format, &fmt)) {
        cli_err("report: --format '%s': expected html or md", format);
        return EXIT_USER;
    }
    if (!outp || optind < argc) {
        cli_err("report: needs -o FILE and no other arguments");
        report_usage(stderr);
        return EXIT_USER;
    }
    const char *dir = cli_store_dir(store);
    struct hunt_zones *zs = malloc(sizeof *zs);
    struct hunt_opts ho;
    struct hunt_def *defs = NULL;
    size_t ndefs = 0;
    struct store *st = NULL;
    struct adb *a = NULL;
    struct hunt_allow *allow = NULL;
    char msg[1024], tmp[4096];
    FILE *f = NULL;
    int code = zs ? cli_hunt_opts(dir, since, until, zones, nzones, zs, &ho) : EXIT_INTERNAL;
    if (!code && cli_hunt_defs(dir, &defs, &ndefs))
        code = EXIT_INTERNAL;
    if (!code)
        code = cli_open_store_readonly(store, &st);
    if (!code && adb_open(&a, dir, 0, msg, sizeof msg)) {
        cli_err("%s", msg);
        code = EXIT_INTERNAL;
    }
    if (!code && adb_allow_list(a, &allow, &ho.nallow)) {
        cli_err("%s", adb_errmsg(a));
        code = EXIT_INTERNAL;
    }
    ho.allow = allow;
    /* Written next to the target and renamed: a failed run never leaves half a report. */
    if (!code && snprintf(tmp, sizeof tmp, "%s.tmp.%ld", outp, (long)getpid()) >= (int)sizeof tmp) {
        cli_err("report: %s: path too long", outp);
        code = EXIT_USER;
    }
    if (!code && !(f = fopen(tmp, "w"))) {
        cli_err("report: %s: cannot write", outp);
        code = EXIT_USER;
    }
    if (!code) {
        struct report_opts ro = {.since_ns = ho.since_ns,
                                 .until_ns = ho.until_ns,
                                 .defs = defs,
                                 .ndefs = ndefs,
                                 .hopts = &ho,
                                 .top = (unsigned)top,
                                 .store_dir = dir,
                                 .now_ns = ktime_now()};
        const char *fixed = getenv("KONSEKI_REPORT_TIME"); /* reproducible reports (tests) */
        if (fixed && *fixed && ktime_parse(fixed, ro.now_ns, &ro.now_ns)) {
            cli_err("KONSEKI_REPORT_TIME '%s' is not a time", fixed);
            code = EXIT_USER;
        }
        struct report_summary sum;
        int rc = code ? 0 : report_store(st, a, &ro, f, fmt, &sum, msg, sizeof msg);
        if (fclose(f) != 0 && !rc) {
            cli_err("report: %s: write failed", outp);
            code = EXIT_INTERNAL;
        }
        f = NULL;
        if (rc) {
            cli_err("report: %s", msg);
            code = cli_exit_for(rc);
        }
        if (!code && rename(tmp, outp) != 0) {
            cli_err("report: %s: cannot rename into place", outp);
            code = EXIT_INTERNAL;
        }
        if (code)
            unlink(tmp);
        else
            printf("report: %s (%u hunts run, %u with results, %zu results; %llu IOC findings; "
                   "%llu sessions)\n",
                   outp, sum.hunts_run, sum.hunts_with_results, sum.results,
                   (unsigned long long)sum.ioc_findings, (unsigned long long)sum.sessions);
        if (!code && sum.failed[0])
            cli_err("warning: some hunts could not run: %s", sum.failed);
    }
    free(allow);
    adb_close(a);
    if (st)
        store_close(st);
    free(defs);
    free(zs);
    return code;
}
