/* konseki stats [--store DIR] [--json] — what is stored, per-run status, anomaly counters. */
#include "cli/cli.h"
#include "cli/output.h"

#include "core/ktime.h"
#include "flow/flow.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct stats_ctx {
    int json, first;
};

static const char *status_name(int s)
{
    static const char *names[] = {"interrupted", "complete", "truncated", "damaged"};
    return s >= 0 && s < 4 ? names[s] : "?";
}

static void on_ingest(void *ctx, const struct ingest_info *i)
{
    struct stats_ctx *c = ctx;
    char t0[48] = "-", t1[48] = "-", pk[32], se[32];
    if (i->first_ns || i->last_ns) {
        ktime_format(i->first_ns, t0, sizeof t0);
        ktime_format(i->last_ns, t1, sizeof t1);
    }
    if (c->json) {
        printf("%s{\"id\":%lld,\"path\":", c->first ? "" : ",", (long long)i->id);
        out_json_str(stdout, i->path);
        printf(",\"status\":\"%s\",\"packets\":%llu,\"sessions\":%llu,\"first\":\"%s\","
               "\"last\":\"%s\"",
               status_name(i->status), (unsigned long long)i->packets,
               (unsigned long long)i->sessions, t0, t1);
        if (i->error[0]) {
            printf(",\"error\":");
            out_json_str(stdout, i->error);
        }
        putchar('}');
    } else {
        printf("  %4lld  %-11s %12s pkts %10s sessions  %s .. %s  %s\n", (long long)i->id,
               status_name(i->status), cli_thousands(i->packets, pk, sizeof pk),
               cli_thousands(i->sessions, se, sizeof se), t0, t1, i->path);
        if (i->error[0])
            printf("        damage: %s\n", i->error);
    }
    c->first = 0;
}

static void on_counter(void *ctx, const char *name, uint64_t v)
{
    struct stats_ctx *c = ctx;
    char n[32];
    if (c->json)
        printf("%s\"%s\":%llu", c->first ? "" : ",", name, (unsigned long long)v);
    else
        printf("  %-32s %14s\n", name, cli_thousands(v, n, sizeof n));
    c->first = 0;
}

int cmd_stats(int argc, char **argv)
{
    const char *store_opt = NULL;
    int json = 0;
    static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            puts("usage: konseki stats [--store DIR] [--json]");
            return EXIT_OK;
        default:
            fputs("usage: konseki stats [--store DIR] [--json]\n", stderr);
            return EXIT_USER;
        }
    }
    struct store *st;
    int code = cli_open_store_readonly(store_opt, &st);
    if (code)
        return code;
    struct store_stats s;
    if (store_stats_get(st, &s)) {
        cli_err("stats: %s", store_errmsg(st));
        store_close(st);
        return EXIT_INTERNAL;
    }
    char a[32], b[32], t0[48] = "-", t1[48] = "-", p0[48] = "-", p1[48] = "-", cut[48] = "-";
    if (s.partitions) {
        ktime_format(s.first_ns, t0, sizeof t0);
        ktime_format(s.last_ns, t1, sizeof t1);
    }
    if (s.segments) {
        ktime_format(s.oldest_packet_ns, p0, sizeof p0);
        ktime_format(s.newest_packet_ns, p1, sizeof p1);
    }
    if (s.retention_cut_ns)
        ktime_format(s.retention_cut_ns, cut, sizeof cut);
    double ratio = s.segment_bytes ? 100.0 * (double)s.meta_bytes / (double)s.segment_bytes : 0;
    struct stats_ctx ctx = {json, 1};
    if (json) {
        printf("{\"store\":");
        out_json_str(stdout, store_dir(st));
        printf(",\"first\":\"%s\",\"last\":\"%s\",\"ingests\":%llu,\"segments\":%llu,"
               "\"packet_bytes\":%llu,\"partitions\":%llu,\"sessions\":%llu,"
               "\"metadata_bytes\":%llu,\"disk_bytes\":%llu,\"oldest_packet\":\"%s\","
               "\"newest_packet\":\"%s\",\"retention_cut\":\"%s\",\"segments_compressed\":%llu,"
               "\"packet_disk_bytes\":%llu,\"runs\":[",
               t0, t1, (unsigned long long)s.ingests, (unsigned long long)s.segments,
               (unsigned long long)s.segment_bytes, (unsigned long long)s.partitions,
               (unsigned long long)s.sessions, (unsigned long long)s.meta_bytes,
               (unsigned long long)s.disk_bytes, p0, p1, cut,
               (unsigned long long)s.segments_compressed, (unsigned long long)s.segment_disk_bytes);
        store_ingests_each(st, on_ingest, &ctx);
        printf("],\"counters\":{");
        ctx.first = 1;
        store_counters_each(st, on_counter, &ctx);
        printf("}}\n");
    } else {
        printf("store       %s\n", store_dir(st));
        printf("time span   %s .. %s\n", t0, t1);
        printf("on disk     %s; oldest packet %s, newest %s\n",
               cli_bytes((double)s.disk_bytes, a, sizeof a), p0, p1);
        if (s.retention_cut_ns)
            printf("retention   sessions that started before %s were pruned\n", cut);
        printf("packets     %s in %llu segment file(s), %s\n",
               cli_thousands(s.input_packets, a, sizeof a), (unsigned long long)s.segments,
               cli_bytes((double)s.segment_bytes, b, sizeof b));
        if (s.segments_compressed)
            printf("            %llu compressed (zstd): %s on disk, %.1f%% of the plain size\n",
                   (unsigned long long)s.segments_compressed,
                   cli_bytes((double)s.segment_disk_bytes, b, sizeof b),
                   s.segment_bytes ? 100.0 * (double)s.segment_disk_bytes / (double)s.segment_bytes
                                   : 0.0);
        printf("sessions    %s in %llu day partition(s), metadata %s (%.1f%% of packet bytes)\n",
               cli_thousands(s.sessions, a, sizeof a), (unsigned long long)s.partitions,
               cli_bytes((double)s.meta_bytes, b, sizeof b), ratio);
        printf("flow memory %zu bytes per session + its position list (max 64 KiB)\n",
               flow_session_bytes());
        printf("ingests     %llu (%llu complete, %llu interrupted, %llu damaged)\n",
               (unsigned long long)s.ingests, (unsigned long long)s.ingests_complete,
               (unsigned long long)s.ingests_partial, (unsigned long long)s.ingests_damaged);
        store_ingests_each(st, on_ingest, &ctx);
        printf("counters\n");
        store_counters_each(st, on_counter, &ctx);
    }
    store_close(st);
    return EXIT_OK;
}
