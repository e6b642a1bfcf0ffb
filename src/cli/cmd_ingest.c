/*
 * konseki ingest [--store DIR] FILE...
 *
 * Each file is one ingest run, identified by its content (source_identity), so
 * the same capture ingested twice is skipped, and an interrupted or truncated
 * run is resumed: the input is replayed up to the run's last checkpoint without
 * writing (rebuilding the flow table and packet positions exactly), then
 * ingest continues where it stopped.
 */
#include "cli/cli.h"

#include "core/err.h"
#include "core/ktime.h"
#include "ioc/match.h"
#include "pipeline/pipeline.h"
#include "source/source.h"
#include "store/store.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECKPOINT_BYTES (UINT64_C(1) << 30)
#define CHECKPOINT_NS (30 * KT_NS_PER_SEC)

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/*
 * Plain capture files are mapped; if another program truncates one while we
 * read it, the next access faults.  Leave like a crash would (the store stays
 * consistent and the same command resumes), but say why instead of dumping core.
 */
static void on_sigbus(int sig)
{
    static const char msg[] = "konseki: an input file shrank while it was being read; "
                              "run the same command again to resume\n";
    (void)sig;
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(2);
}

struct ingest_opts {
    const char *store;
    int quiet, progress, durable;
    uint64_t segment_bytes;
    const char *compress;
    struct pipeline_cfg cfg;
    struct ioc_live *live; /* the store's indicators, matched as sessions are stored (or NULL) */
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * KT_NS_PER_SEC + ts.tv_nsec;
}

static void progress(const struct source *src, const struct pipeline *pl, int64_t t0, int final)
{
    char done[32], total[32], sess[32];
    uint64_t rd = source_bytes_read(src);
    int64_t size = source_file_size(src);
    double secs = (double)(mono_ns() - t0) / 1e9;
    double pps = secs > 0 ? (double)pl->packets / secs : 0;
    cli_bytes((double)rd, done, sizeof done);
    cli_thousands(pl->sessions, sess, sizeof sess);
    if (size > 0) {
        double frac = (double)rd / (double)size;
        if (frac > 1)
            frac = 1;
        int width = 24, fill = (int)(frac * width);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        double eta = frac > 0 ? secs / frac - secs : 0;
        fprintf(stderr, "\r%3d%% [%s] %s / %s  %.0fk pkt/s  %s sessions  ETA %d:%02d   ",
                (int)(frac * 100), bar, done, cli_bytes((double)size, total, sizeof total),
                pps / 1000, sess, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%s  %.0fk pkt/s  %s sessions   ", done, pps / 1000, sess);
    }
    if (final)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

static int checkpoint(struct store *st, struct pipeline *pl, int64_t ingest_id, int status,
                      uint64_t packets, uint64_t offset, const char *error, struct ioc_live *live)
{
    const struct store_counter *c;
    size_t n = pipeline_counters(pl, &c);
    struct ingest_progress p = {
        .status = status,
        .packets = packets,
        .offset = offset,
        .sessions = pl->records,
        .first_ns = pl->first_ns == INT64_MAX ? 0 : pl->first_ns,
        .last_ns = pl->last_ns == INT64_MIN ? 0 : pl->last_ns,
        .error = error,
        .counters = c,
        .ncounters = n,
    };
    int rc = store_checkpoint(st, ingest_id, &p);
    /* findings of what the checkpoint committed (a crash before this loses only them:
       `konseki ioc match` finds them again) */
    char msg[512];
    if (!rc && ioc_live_flush(live, msg, sizeof msg))
        cli_err("%s", msg);
    return rc;
}

static void summary(const char *path, const struct pipeline *pl, double secs, uint64_t bytes,
                    const char *note)
{
    char pk[32], se[32], by[32];
    uint64_t bad = 0;
    for (int v = 0; v < DEC__COUNT; v++)
        if (v != DEC_OK && v != DEC_FRAGMENT && v != DEC_NOT_IP && v != DEC_PAYLOAD_TRUNC)
            bad += pl->verdicts[v];
    printf("%s: %s packets (%s) -> %s sessions", path, cli_thousands(pl->packets, pk, sizeof pk),
           cli_bytes((double)bytes, by, sizeof by), cli_thousands(pl->sessions, se, sizeof se));
    if (pl->records != pl->sessions)
        printf(" (%s records: long ones in pieces)", cli_thousands(pl->records, se, sizeof se));
    printf(" in %.2f s (%.0f MB/s)", secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
    if (pl->verdicts[DEC_NOT_IP])
        printf(", %llu not IP", (unsigned long long)pl->verdicts[DEC_NOT_IP]);
    /* Cut by the capture's snap length: the packet is fine, its tail was not recorded. */
    if (pl->verdicts[DEC_PAYLOAD_TRUNC])
        printf(", %llu cut by the snap length",
               (unsigned long long)pl->verdicts[DEC_PAYLOAD_TRUNC]);
    if (bad)
        printf(", %llu malformed (see konseki stats)", (unsigned long long)bad);
    if (note)
        printf("; %s", note);
    putchar('\n');
    fflush(stdout);
}

static const char *status_word(int s)
{
    switch (s) {
    case INGEST_COMPLETE:
        return "complete";
    case INGEST_TRUNCATED:
        return "truncated";
    case INGEST_CORRUPT:
        return "damaged";
    }
    return "interrupted";
}

/* Ingest one file; returns an exit code. */
static int ingest_one(struct store *st, const char *path, const struct ingest_opts *o)
{
    char msg[512];
    struct source *src;
    int rc = source_open_file(&src, path, msg, sizeof msg);
    if (rc) {
        /* A file that is missing, unreadable or not a capture is the user's to fix. */
        cli_err("%s", msg);
        return rc == KS_ENOMEM ? EXIT_INTERNAL : EXIT_USER;
    }
    uint8_t identity[32];
    source_identity(src, identity);

    struct ingest_info prev;
    int64_t ingest_id;
    uint64_t replay_packets = 0;
    int resumed = 0;
    rc = store_ingest_find(st, identity, &prev);
    if (rc == 0) {
        if (prev.status == INGEST_COMPLETE || prev.status == INGEST_CORRUPT) {
            char pk[32];
            printf("%s: already ingested as %s (ingest %lld, %s packets, %s); skipped\n", path,
                   prev.path, (long long)prev.id, cli_thousands(prev.packets, pk, sizeof pk),
                   status_word(prev.status));
            source_close(src);
            return EXIT_OK;
        }
        ingest_id = prev.id;
        replay_packets = prev.packets;
        resumed = 1;
        if (!o->quiet) {
            char pk[32];
            fprintf(stderr, "konseki: %s: resuming %s ingest %lld after packet %s\n", path,
                    status_word(prev.status), (long long)prev.id,
                    cli_thousands(prev.packets, pk, sizeof pk));
        }
        if (store_replay_begin(st, ingest_id)) {
            cli_err("%s: %s", path, store_errmsg(st));
            source_close(src);
            return EXIT_INTERNAL;
        }
    } else if (rc == KS_ENOENT) {
        rc = store_ingest_begin(st, identity, path, source_format(src), source_compression(src),
                                &ingest_id);
        if (rc) {
            cli_err("%s: %s", path, store_errmsg(st));
            source_close(src);
            return EXIT_INTERNAL;
        }
    } else {
        cli_err("%s: %s", path, store_errmsg(st));
        source_close(src);
        return EXIT_INTERNAL;
    }

    struct pipeline pl;
    if ((rc = pipeline_init(&pl, st, ingest_id, &o->cfg))) {
        cli_err("%s: %s", path, ks_strerror(rc));
        source_close(src);
        return EXIT_INTERNAL;
    }
    if (o->live) {
        pl.session_hook = ioc_live_session;
        pl.session_hook_ctx = o->live;
    }
    int64_t t0 = mono_ns(), next_ckpt_ns = t0 + CHECKPOINT_NS, next_ui = t0;
    uint64_t next_ckpt_off = CHECKPOINT_BYTES, offset = 0, read_bytes = 0;
    int replaying = resumed, status = INGEST_COMPLETE, code = EXIT_OK;
    if (replaying && replay_packets == 0) {
        /* Interrupted before its first checkpoint: drop what it wrote, start over. */
        store_replay_end(st);
        replaying = 0;
    }
    const char *damage = NULL;
    struct packet pkt;

    for (;;) {
        if (stop_requested) {
            status = INGEST_PARTIAL;
            break;
        }
        int r = source_next(src, &pkt);
        if (r == 0)
            break;
        if (r < 0) {
            damage = source_error(src);
            status = r == KS_ETRUNC     ? INGEST_TRUNCATED
                     : r == KS_ECORRUPT ? INGEST_CORRUPT
                                        : INGEST_PARTIAL;
            break;
        }
        if (replaying && pkt.number > replay_packets) {
            store_replay_end(st);
            replaying = 0;
        }
        if ((rc = pipeline_packet(&pl, &pkt))) {
            cli_err("%s: packet %llu: %s", path, (unsigned long long)pkt.number,
                    store_errmsg(st)[0] ? store_errmsg(st) : ks_strerror(rc));
            status = INGEST_PARTIAL;
            code = EXIT_INTERNAL;
            break;
        }
        offset = pkt.offset + 16 + pkt.caplen; /* past this record (approximately, for stats) */
        read_bytes += pkt.caplen;
        if ((pkt.number & 4095) == 0 && !replaying) {
            int64_t now = mono_ns();
            if (offset >= next_ckpt_off || now >= next_ckpt_ns) {
                rc = checkpoint(st, &pl, ingest_id, INGEST_PARTIAL, pkt.number, offset, NULL,
                                o->live);
                if (rc) {
                    cli_err("%s: checkpoint: %s", path, store_errmsg(st));
                    status = INGEST_PARTIAL;
                    code = EXIT_INTERNAL;
                    break;
                }
                next_ckpt_off = offset + CHECKPOINT_BYTES;
                next_ckpt_ns = now + CHECKPOINT_NS;
            }
            if (o->progress && now >= next_ui) {
                progress(src, &pl, t0, 0);
                next_ui = now + 200000000;
            }
        }
    }
    if (replaying) {
        /* The input ended (or stopped) before reaching the interrupted run's checkpoint. */
        store_replay_end(st);
        if (status == INGEST_COMPLETE || status == INGEST_TRUNCATED) {
            cli_err("%s: ends before packet %llu where the earlier ingest %lld stopped; "
                    "it is not the same capture (nothing changed)",
                    path, (unsigned long long)replay_packets, (long long)ingest_id);
            pipeline_release(&pl);
            source_close(src);
            return EXIT_USER;
        }
    }
    if (o->progress)
        progress(src, &pl, t0, 1);

    uint64_t committed = pl.packets;
    if (status != INGEST_PARTIAL && code == EXIT_OK)
        rc = pipeline_finish(&pl);
    /*
     * An interrupted run keeps its live flows out of the store: the resumed run
     * rebuilds them by replay and writes them complete.  Everything up to the
     * last packet read is committed now.
     */
    if (code == EXIT_OK) {
        rc = checkpoint(st, &pl, ingest_id, status, committed, offset, damage, o->live);
        if (rc) {
            cli_err("%s: final checkpoint: %s", path, store_errmsg(st));
            code = EXIT_INTERNAL;
        }
    }
    double secs = (double)(mono_ns() - t0) / 1e9;
    if (!o->quiet || code != EXIT_OK || damage) {
        const char *note = NULL;
        char buf[640];
        if (status == INGEST_PARTIAL && code == EXIT_OK) {
            snprintf(buf, sizeof buf,
                     "interrupted: committed up to packet %llu; run the same command to resume",
                     (unsigned long long)committed);
            note = buf;
        }
        summary(path, &pl, secs, read_bytes, note);
    }
    if (damage) {
        /* Everything before the damage is stored; say exactly where it is. */
        cli_err("%s (kept the %llu packets before it)", damage, (unsigned long long)committed);
        code = code ? code : EXIT_USER;
    }
    if (status == INGEST_PARTIAL && code == EXIT_OK)
        code = 130;
    pipeline_release(&pl);
    source_close(src);
    return code;
}

/* all | none | a,b,c (each a parser konseki has) */
static int parse_protocols(const char *v, struct proto_engine_cfg *pc)
{
    if (strcmp(v, "all") == 0)
        return 0;
    if (strcmp(v, "none") == 0) {
        pc->disabled = 1;
        return 0;
    }
    char name[32];
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof name)
            return 1;
        memcpy(name, p, n);
        name[n] = 0;
        if (!proto_find(name))
            return 1;
        p += n + (p[n] == ',');
    }
    pc->only = v;
    return 0;
}

static void ingest_usage(FILE *f)
{
    fputs("usage: konseki ingest [--store DIR] [options] FILE...\n"
          "  FILE is pcap or pcapng, optionally gzip or zstd compressed; - reads stdin.\n"
          "  -q, --quiet            no progress bar, no summary\n"
          "  --segment-size SIZE    rotate stored packet files at SIZE (default 1G)\n"
          "  --compress zstd[:LEVEL]|none  store packets in seekable zstd frames (level 1 by\n"
          "                         default) or plain; a store setting kept for later runs\n"
          "  --max-flows N          sessions held in memory at most (default 1000000)\n"
          "  --flow-memory SIZE     memory for live sessions and their packet lists (default 1G)\n"
          "  --tcp-idle DUR         idle timeout of TCP sessions (default 300s)\n"
          "  --udp-idle DUR         idle timeout of UDP sessions (default 60s)\n"
          "  --other-idle DUR       idle timeout of ICMP and other sessions (default 60s)\n"
          "  --active-timeout DUR   write long sessions in pieces this long (default 600s)\n"
          "  --tcp-closed DUR       how long a closed TCP session waits for stragglers (5s)\n"
          "  --protocols LIST       parsers to run: all (default), none, or names joined by\n"
          "                         commas (dns,http,tls,quic,ssh,smb,dcerpc,krb,ldap,rdp,\n"
          "                         dhcp,ntp,smtp,imap,pop3,ftp)\n"
          "  --durable              fsync packets and sessions at every checkpoint, so even a\n"
          "                         power cut loses nothing committed (waits for the disk)\n"
          "A file already ingested is skipped; an interrupted one is resumed.\n",
          f);
}

int cmd_ingest(int argc, char **argv)
{
    struct ingest_opts o;
    memset(&o, 0, sizeof o);
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"segment-size", required_argument, NULL, 'S'},
        {"max-flows", required_argument, NULL, 'F'},
        CLI_FLOW_TIMEOUT_OPTIONS,
        {"durable", no_argument, NULL, 'D'},
        {"flow-memory", required_argument, NULL, 'M'},
        {"protocols", required_argument, NULL, 'P'},
        {"compress", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    int li = -1;
    while ((c = getopt_long(argc, argv, "qh", longopts, &li)) != -1) {
        int bad = 0;
        switch (c) {
        case 's':
            o.store = optarg;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'S':
            bad = cli_parse_size(optarg, &o.segment_bytes);
            break;
        case 'F': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            bad = *end || v < 16;
            o.cfg.flow.max_flows = (size_t)v;
            break;
        }
        case CLI_OPT_TCP_IDLE:
        case CLI_OPT_UDP_IDLE:
        case CLI_OPT_OTHER_IDLE:
        case CLI_OPT_ACTIVE:
        case CLI_OPT_TCP_CLOSED:
            bad = cli_flow_timeout(c, optarg, &o.cfg.flow);
            break;
        case 'D':
            o.durable = 1;
            break;
        case 'M': {
            uint64_t v;
            bad = cli_parse_size(optarg, &v) || v < (1u << 20);
            o.cfg.flow.max_bytes = (size_t)v;
            break;
        }
        case 'P':
            bad = parse_protocols(optarg, &o.cfg.proto);
            break;
        case 'C':
            o.compress = optarg; /* checked by store_open, which records it */
            break;
        case 'h':
            ingest_usage(stdout);
            return EXIT_OK;
        default:
            ingest_usage(stderr);
            return EXIT_USER;
        }
        if (bad) {
            cli_err("ingest: bad value '%s' for --%s", optarg, li >= 0 ? longopts[li].name : "?");
            return EXIT_USER;
        }
    }
    if (optind >= argc) {
        ingest_usage(stderr);
        return EXIT_USER;
    }
    o.progress = !o.quiet && isatty(2);

    struct store_opts so = {
        .segment_bytes = o.segment_bytes, .durable = o.durable, .compress = o.compress};
    struct store *st;
    char msg[512];
    int rc = store_open(&st, cli_store_dir(o.store), &so, msg, sizeof msg);
    if (rc) {
        cli_err("%s", msg);
        return cli_exit_for(rc);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_sigbus;
    sigaction(SIGBUS, &sa, NULL);

    if ((rc = ioc_live_open(&o.live, cli_store_dir(o.store), msg, sizeof msg))) {
        cli_err("%s", msg);
        store_close(st);
        return EXIT_INTERNAL;
    }
    int code = EXIT_OK;
    for (int i = optind; i < argc && !stop_requested; i++) {
        int r = ingest_one(st, argv[i], &o);
        if (r > code)
            code = r;
    }
    if (o.live && !o.quiet) {
        uint64_t found, fresh;
        ioc_live_counts(o.live, &found, &fresh);
        printf("ioc: %llu indicator hits in new sessions (%llu new findings)\n",
               (unsigned long long)found, (unsigned long long)fresh);
    }
    ioc_live_close(o.live);
    store_close(st);
    return code;
}
