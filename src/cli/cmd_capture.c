/*
 * konseki capture [--store DIR] -i IFACE [-i IFACE2 …] [--filter BPF] [--snaplen N]
 *                 [--stats-every SEC] [--user NAME] [--buffer SIZE]
 *
 * A sensor: packets from live interfaces (source/live.h) go through the same
 * pipeline and store as `ingest`.  Each start is a new run in the catalog
 * (format "live", status interrupted while it runs, complete after a clean
 * stop).  The run checkpoints every --checkpoint-every (2 s), so sessions that
 * ended are queryable by WAL readers within seconds; SIGTERM/SIGINT flush every
 * live session, checkpoint and exit 0.  After a kill -9 the next start
 * recovers the dead run first (store_live_recover) under the store's capture
 * lock, so two captures never write one store.
 *
 * Order of start-up (privileges): resolve --user, open the interfaces as root,
 * make sure the store belongs to that user, drop to it for good
 * (setgroups/setgid/setuid, no_new_privs), and only then open the store.
 */
#include "cli/cli.h"

#include "core/err.h"
#include "core/ktime.h"
#include "ioc/match.h"
#include "pipeline/pipeline.h"
#include "source/live.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_CKPT_NS (2 * KT_NS_PER_SEC)
#define CAPTURE_WAIT_MS 100 /* longest wait for packets before wall-clock timeouts run */
#define CAPTURE_DRAIN_NS (2 * KT_NS_PER_SEC) /* longest read of the rings after a stop */
#define CAPTURE_MAX_COUNTERS (PIPELINE_MAX_COUNTERS + 16 + 3 * LIVE_MAX_IFACES)

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct capture_opts {
    const char *store, *user;
    struct live_cfg live;
    int64_t stats_every_ns, ckpt_ns;
    uint64_t segment_bytes;
    int durable, quiet;
    struct pipeline_cfg cfg;
    struct store_retain retain; /* --retain; age counts back from the wall clock */
    int has_retain;
    uint64_t min_free; /* --min-free: stop storing packets below this much free disk */
};

#define CAPTURE_PRUNE_NS (2 * KT_NS_PER_SEC) /* retention and disk checks, at most this often */

/* The coarse clock is enough for "every 2 s" and costs next to nothing per packet. */
static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * KT_NS_PER_SEC + ts.tv_nsec;
}

/* ---------------------------------------------------------------- privileges */

/*
 * Call fn for path and for what lies below it, depth folder levels down (lstat: links are
 * not followed).  Stops at fn's first non-zero return and returns it.
 */
typedef int (*walk_fn)(void *ctx, const char *path, const struct stat *sb);
static int dir_walk(const char *path, int depth, walk_fn fn, void *ctx)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return 0; /* gone meanwhile, or a sub-folder the store creates later */
    int rc = fn(ctx, path, &sb);
    if (rc || !S_ISDIR(sb.st_mode) || depth < 0)
        return rc;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        char sub[PATH_MAX];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub)
            continue;
        rc = dir_walk(sub, depth - 1, fn, ctx);
    }
    closedir(d);
    return rc;
}

struct owner_check {
    const struct passwd *pw;
    const char *store;
    char *msg;
    size_t n;
};

static int check_owner(void *ctx, const char *path, const struct stat *sb)
{
    struct owner_check *oc = ctx;
    if (sb->st_uid == oc->pw->pw_uid)
        return 0;
    snprintf(oc->msg, oc->n, "%.200s is owned by uid %u, not %.32s: run `chown -R %.32s %.200s`",
             path, (unsigned)sb->st_uid, oc->pw->pw_name, oc->pw->pw_name, oc->store);
    return -1;
}

/*
 * As root, before dropping to pw: create the store folder for that user, or check
 * that what is there already belongs to it (a store file owned by root would make
 * the sensor fail later, in the middle of the night, on its first write).
 */
static int store_prepare_for(const char *dir, const struct passwd *pw, char *msg, size_t n)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT || mkdir(dir, 0700) != 0 || chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
            snprintf(msg, n, "%s: cannot create the store for %s: %s", dir, pw->pw_name,
                     strerror(errno));
            return -1;
        }
        return 0;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(msg, n, "%s: not a folder", dir);
        return -1;
    }
    /* the store folder, its files, and the files of pcap/ and meta/ */
    struct owner_check oc = {pw, dir, msg, n};
    return dir_walk(dir, 1, check_owner, &oc);
}

/* Become pw for good: its primary group only, no way back to root, no new privileges. */
static int drop_privileges(const struct passwd *pw, char *msg, size_t n)
{
    gid_t g = pw->pw_gid;
    if (setgroups(1, &g) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        snprintf(msg, n, "cannot become %s: %s", pw->pw_name, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(msg, n, "dropped to %s but could become root again; refusing to run", pw->pw_name);
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(msg, n, "no_new_privs: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- counters */

struct capture_state {
    struct store *st;
    struct live *lv;
    struct pipeline pl;
    int64_t run;
    char path[256]; /* "capture:IFACE,IFACE2 (filter)", the run's name in the catalog */
    uint64_t captured_bytes;
    int disk_full; /* packets are not being stored (the disk is nearly full) */
    uint64_t pruned_bytes, prunes;
    struct live_stats tot; /* all interfaces */
    struct store_counter counters[CAPTURE_MAX_COUNTERS];
    char names[3 * LIVE_MAX_IFACES + 16][64];
    size_t nnames;
    struct ioc_live *ioc; /* the store's indicators, matched as sessions are stored (or NULL) */
};

static void refresh_live(struct capture_state *cs)
{
    memset(&cs->tot, 0, sizeof cs->tot);
    for (size_t i = 0; i < live_count(cs->lv); i++) {
        const struct live_stats *s = live_stats(cs->lv, i);
        cs->tot.captured += s->captured;
        cs->tot.bytes += s->bytes;
        cs->tot.received += s->received;
        cs->tot.kernel_drop += s->kernel_drop;
        cs->tot.if_drop += s->if_drop;
    }
}

/* Packets konseki read but did not store, by reason (the decoder's verdicts). */
static uint64_t konseki_dropped(const struct pipeline *pl, uint64_t *not_ip, uint64_t *bad)
{
    *not_ip = pl->verdicts[DEC_NOT_IP];
    *bad = 0;
    for (int v = 0; v < DEC__COUNT; v++)
        if (v != DEC_OK && v != DEC_FRAGMENT && v != DEC_NOT_IP && v != DEC_PAYLOAD_TRUNC &&
            v != DEC_IP_BAD_LEN)
            *bad += pl->verdicts[v];
    return pl->packets - pl->stored;
}

static void put(struct capture_state *cs, size_t *n, const char *name, uint64_t v)
{
    if (*n >= CAPTURE_MAX_COUNTERS || cs->nnames >= sizeof cs->names / sizeof cs->names[0])
        return;
    char *slot = cs->names[cs->nnames++];
    snprintf(slot, sizeof cs->names[0], "%s", name);
    cs->counters[(*n)++] = (struct store_counter){slot, v};
}

/* The pipeline's counters plus the capture's own (kernel drops, per interface). */
static size_t capture_counters(struct capture_state *cs, const struct store_counter **out)
{
    const struct store_counter *pc;
    size_t n = pipeline_counters(&cs->pl, &pc);
    memcpy(cs->counters, pc, n * sizeof *pc);
    cs->nnames = 0;
    refresh_live(cs);
    uint64_t not_ip, bad;
    uint64_t dropped = konseki_dropped(&cs->pl, &not_ip, &bad);
    put(cs, &n, "capture.received", cs->tot.received);
    put(cs, &n, "capture.captured", cs->tot.captured);
    put(cs, &n, "capture.bytes", cs->tot.bytes);
    put(cs, &n, "capture.kernel_drop", cs->tot.kernel_drop);
    put(cs, &n, "capture.if_drop", cs->tot.if_drop);
    put(cs, &n, "capture.konseki_drop", dropped);
    put(cs, &n, "capture.konseki_drop.not_ip", not_ip);
    put(cs, &n, "capture.konseki_drop.malformed", bad);
    put(cs, &n, "capture.konseki_drop.orphan_fragments", cs->pl.orphan_frames);
    for (size_t i = 0; live_count(cs->lv) > 1 && i < live_count(cs->lv); i++) {
        const struct live_stats *s = live_stats(cs->lv, i);
        char name[64];
        snprintf(name, sizeof name, "capture.%s.received", live_name(cs->lv, i));
        put(cs, &n, name, s->received);
        snprintf(name, sizeof name, "capture.%s.kernel_drop", live_name(cs->lv, i));
        put(cs, &n, name, s->kernel_drop);
        snprintf(name, sizeof name, "capture.%s.if_drop", live_name(cs->lv, i));
        put(cs, &n, name, s->if_drop);
    }
    *out = cs->counters;
    return n;
}

static int checkpoint(struct capture_state *cs, int status)
{
    const struct store_counter *c;
    size_t n = capture_counters(cs, &c);
    struct ingest_progress p = {
        .status = status,
        .packets = cs->pl.packets,
        .offset = cs->captured_bytes,
        .sessions = cs->pl.records,
        .first_ns = cs->pl.first_ns == INT64_MAX ? 0 : cs->pl.first_ns,
        .last_ns = cs->pl.last_ns == INT64_MIN ? 0 : cs->pl.last_ns,
        .counters = c,
        .ncounters = n,
    };
    int rc = store_checkpoint(cs->st, cs->run, &p);
    char msg[512];
    if (!rc && ioc_live_flush(cs->ioc, msg, sizeof msg))
        cli_err("%s", msg); /* `konseki ioc match` finds them again; capture goes on */
    return rc;
}

static int add_bytes(void *ctx, const char *path, const struct stat *sb)
{
    (void)path;
    if (S_ISREG(sb->st_mode))
        *(uint64_t *)ctx += (uint64_t)sb->st_blocks * 512;
    return 0;
}

/* Bytes of the store's files (packets, day files, catalog): what the disk budget is about. */
static uint64_t store_bytes(const char *dir)
{
    uint64_t sum = 0;
    dir_walk(dir, 1, add_bytes, &sum);
    return sum;
}

static void print_stats(struct capture_state *cs, double secs, const char *when)
{
    refresh_live(cs);
    uint64_t not_ip, bad;
    uint64_t dropped = konseki_dropped(&cs->pl, &not_ip, &bad);
    char pk[32], by[32], rx[32], kd[32], idr[32], kn[32], se[32], us[32];
    const struct flow_stats *fs = flow_table_stats(cs->pl.ft);
    fprintf(stderr,
            "konseki: capture %s %.0fs: %s packets (%s, %.0f pkt/s); received %s, kernel "
            "dropped %s, interface dropped %s, konseki dropped %s (%llu not IP, %llu "
            "malformed); %s sessions (%llu live); store %s\n",
            when, secs, cli_thousands(cs->tot.captured, pk, sizeof pk),
            cli_bytes((double)cs->tot.bytes, by, sizeof by),
            secs > 0 ? (double)cs->tot.captured / secs : 0.0,
            cli_thousands(cs->tot.received, rx, sizeof rx),
            cli_thousands(cs->tot.kernel_drop, kd, sizeof kd),
            cli_thousands(cs->tot.if_drop, idr, sizeof idr), cli_thousands(dropped, kn, sizeof kn),
            (unsigned long long)not_ip, (unsigned long long)bad,
            cli_thousands(cs->pl.sessions, se, sizeof se), (unsigned long long)fs->live,
            cli_bytes((double)store_bytes(store_dir(cs->st)), us, sizeof us));
    for (size_t i = 0; live_count(cs->lv) > 1 && i < live_count(cs->lv); i++) {
        const struct live_stats *s = live_stats(cs->lv, i);
        fprintf(stderr,
                "konseki:   %s: %llu packets, received %llu, kernel dropped %llu, "
                "interface dropped %llu\n",
                live_name(cs->lv, i), (unsigned long long)s->captured,
                (unsigned long long)s->received, (unsigned long long)s->kernel_drop,
                (unsigned long long)s->if_drop);
    }
}

/* ---------------------------------------------------------------- the run */

/* The store is ours alone while we capture: a second capture would cut our files. */
static int lock_store(const char *dir, int *fd_out)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/capture.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_err("%s: %s", path, strerror(errno));
        return EXIT_INTERNAL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        cli_err("%s: another konseki capture is writing to this store", dir);
        close(fd);
        return EXIT_USER;
    }
    *fd_out = fd;
    return EXIT_OK;
}

static int begin_run(struct capture_state *cs, const struct capture_opts *o)
{
    struct store_recovery rec;
    if (store_live_recover(cs->st, &rec)) {
        cli_err("recovering an interrupted capture: %s", store_errmsg(cs->st));
        return EXIT_INTERNAL;
    }
    if (rec.runs && !o->quiet)
        fprintf(stderr,
                "konseki: recovered %llu interrupted capture run(s): %llu packets after their "
                "last checkpoint kept, %llu bytes of torn records cut, %llu day file(s) checked\n",
                (unsigned long long)rec.runs, (unsigned long long)rec.packets,
                (unsigned long long)rec.bytes_cut, (unsigned long long)rec.days);
    /* A live run can never be replayed: its identity only has to be unique. */
    uint8_t identity[32];
    if (getrandom(identity, sizeof identity, 0) != (ssize_t)sizeof identity) {
        cli_err("getrandom: %s", strerror(errno));
        return EXIT_INTERNAL;
    }
    char *path = cs->path;
    size_t cap = sizeof cs->path;
    snprintf(path, cap, "capture:");
    for (size_t i = 0; i < o->live.nifaces; i++) {
        size_t len = strlen(path);
        snprintf(path + len, cap - len, "%s%s", i ? "," : "", o->live.ifaces[i]);
    }
    if (o->live.filter && *o->live.filter) {
        size_t len = strlen(path);
        snprintf(path + len, cap - len, " (%s)", o->live.filter);
    }
    if (store_ingest_begin(cs->st, identity, path, STORE_LIVE_FORMAT, "none", &cs->run)) {
        cli_err("%s", store_errmsg(cs->st));
        return EXIT_INTERNAL;
    }
    if (pipeline_init(&cs->pl, cs->st, cs->run, &o->cfg)) {
        cli_err("out of memory");
        return EXIT_INTERNAL;
    }
    char msg[512];
    if (ioc_live_open(&cs->ioc, store_dir(cs->st), msg, sizeof msg))
        cli_err("%s (capturing without IOC matching)", msg);
    if (cs->ioc) {
        cs->pl.session_hook = ioc_live_session;
        cs->pl.session_hook_ctx = cs->ioc;
    }
    return EXIT_OK;
}

/*
 * Retention and the disk guard, between checkpoints.  --retain prunes the oldest packets and
 * sessions together (store_prune), never past what live sessions and held fragments still
 * need.  When the filesystem is nearly full from other causes, packets stop being stored while
 * sessions and their records go on (store.h says why), and start again once there is room.
 */
static int keep_within_budget(struct capture_state *cs, const struct capture_opts *o)
{
    if (o->has_retain) {
        struct store_retain r = o->retain;
        int64_t floor = pipeline_oldest_ns(&cs->pl);
        r.keep_from_ns = floor == INT64_MAX ? 0 : floor;
        struct store_prune_result res;
        int rc = store_prune(cs->st, &r, &res);
        if (rc) {
            cli_err("prune: %s", store_errmsg(cs->st)[0] ? store_errmsg(cs->st) : ks_strerror(rc));
            return rc;
        }
        if (res.sessions) {
            /* the findings of the sessions that went */
            struct ioc_prune_result ip;
            char msg[512];
            if (ioc_prune_store(store_dir(cs->st), cs->st, &ip, msg, sizeof msg))
                cli_err("prune: IOC findings: %s", msg);
        }
        if (res.segments || res.sessions) {
            cs->prunes++;
            cs->pruned_bytes += res.bytes_before - res.bytes_after;
            if (!o->quiet)
                fprintf(stderr,
                        "konseki: retention removed %" PRIu64 " packet file(s), %" PRIu64
                        " session(s); store %" PRIu64 " MB\n",
                        res.segments, res.sessions, res.bytes_after / 1000000);
        }
    }
    if (o->min_free) {
        int ok = store_disk_ok(cs->st, o->min_free);
        if (ok < 0)
            return ok;
        if ((!ok) != cs->disk_full) {
            cs->disk_full = !ok;
            cs->pl.no_packets = cs->disk_full;
            fprintf(stderr,
                    cs->disk_full
                        ? "konseki: less than %" PRIu64 " MB free on the store's disk: packets "
                          "are no longer stored; sessions and their records are\n"
                        : "konseki: %" PRIu64 " MB free again: packets are stored again\n",
                    o->min_free / 1000000);
        }
    }
    return 0;
}

static int capture_loop(struct capture_state *cs, const struct capture_opts *o)
{
    int64_t t0 = mono_ns(), next_ckpt = t0 + o->ckpt_ns, next_prune = t0;
    int64_t next_stats = o->stats_every_ns ? t0 + o->stats_every_ns : INT64_MAX;
    struct packet pkt;
    int code = EXIT_OK, rc = 0;
    while (!stop_requested) {
        int r = live_next(cs->lv, &pkt, CAPTURE_WAIT_MS);
        if (r < 0) {
            cli_err("%s", live_error(cs->lv));
            code = EXIT_INTERNAL;
            break;
        }
        if (r == 1) {
            cs->captured_bytes += pkt.caplen;
            rc = pipeline_packet(&cs->pl, &pkt);
        } else {
            /* Nothing arrived: timeouts run on the wall clock, so a quiet link's sessions end. */
            rc = pipeline_idle(&cs->pl, ktime_now());
        }
        if (rc) {
            cli_err("store: %s", store_errmsg(cs->st)[0] ? store_errmsg(cs->st) : ks_strerror(rc));
            code = EXIT_INTERNAL;
            break;
        }
        int64_t now = mono_ns();
        if (now >= next_ckpt) {
            if (checkpoint(cs, INGEST_PARTIAL)) {
                cli_err("checkpoint: %s", store_errmsg(cs->st));
                code = EXIT_INTERNAL;
                break;
            }
            /* Right after a checkpoint everything is committed: prune and check the disk. */
            if (now >= next_prune) {
                if (keep_within_budget(cs, o)) {
                    code = EXIT_INTERNAL;
                    break;
                }
                next_prune = now + CAPTURE_PRUNE_NS;
            }
            next_ckpt = now + o->ckpt_ns;
        }
        if (now >= next_stats) {
            print_stats(cs, (double)(now - t0) / 1e9, "running");
            next_stats = now + o->stats_every_ns;
        }
    }
    if (code == EXIT_OK) {
        /*
         * Packets the kernel already took in belong to this run: read what the rings
         * still hold (a ring block is handed over at most one block timeout after
         * its last packet), for at most CAPTURE_DRAIN_NS.
         */
        int64_t drain_end = mono_ns() + CAPTURE_DRAIN_NS;
        while (!rc && mono_ns() < drain_end) {
            int r = live_next(cs->lv, &pkt, 2 * LIVE_DEFAULT_TIMEOUT_MS);
            if (r != 1)
                break;
            cs->captured_bytes += pkt.caplen;
            rc = pipeline_packet(&cs->pl, &pkt);
        }
        /* A clean stop: every live session is written (end reason eof) and the run completes. */
        if (!rc)
            rc = pipeline_finish(&cs->pl);
        if (!rc)
            rc = checkpoint(cs, INGEST_COMPLETE);
        if (rc) {
            cli_err("final checkpoint: %s", store_errmsg(cs->st));
            code = EXIT_INTERNAL;
        }
    }
    if (!o->quiet || code)
        print_stats(cs, (double)(mono_ns() - t0) / 1e9, code ? "failed after" : "stopped after");
    return code;
}

static void capture_usage(FILE *f)
{
    fputs("usage: konseki capture [--store DIR] -i IFACE [-i IFACE2 ...] [options]\n"
          "  -i, --interface IFACE  capture on IFACE (up to 8, served round-robin)\n"
          "  -f, --filter BPF       keep only packets matching this tcpdump filter\n"
          "  --snaplen N            bytes kept per packet (default and max 262144)\n"
          "  --buffer SIZE          kernel ring per interface (default 128M)\n"
          "  --no-promisc           do not put the interfaces in promiscuous mode\n"
          "  --user NAME            after opening the interfaces as root, run as NAME\n"
          "                         (the store must belong to NAME; it is created if missing)\n"
          "  --stats-every SEC      print counters to stderr every SEC seconds (0 = never,\n"
          "                         default 60); `konseki stats` shows them too\n"
          "  --checkpoint-every DUR commit packets and sessions this often (default 2s)\n"
          "  --segment-size SIZE    rotate stored packet files at SIZE (default 1G)\n"
          "  --durable              fsync at every checkpoint (survives power loss)\n"
          "  --retain SIZE|AGE      keep the store within SIZE (500G) and/or AGE (30d, counted\n"
          "                         back from now): the oldest packets and sessions go together\n"
          "  --min-free SIZE        stop storing packets (sessions go on) when the store's disk\n"
          "                         has less than SIZE free (default 1G; 0 = never)\n"
          "  --tcp-idle, --udp-idle, --other-idle, --active-timeout, --tcp-closed DUR\n"
          "                         session timeouts, as for ingest\n"
          "  -q, --quiet            no summary at the end\n"
          "SIGTERM or SIGINT stops cleanly: every live session is written, exit 0.\n",
          f);
}

static int parse_args(int argc, char **argv, struct capture_opts *o)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"interface", required_argument, NULL, 'i'},
        {"filter", required_argument, NULL, 'f'},
        {"snaplen", required_argument, NULL, 'L'},
        {"buffer", required_argument, NULL, 'B'},
        {"no-promisc", no_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'u'},
        {"stats-every", required_argument, NULL, 'E'},
        {"checkpoint-every", required_argument, NULL, 'C'},
        {"segment-size", required_argument, NULL, 'S'},
        {"durable", no_argument, NULL, 'D'},
        {"retain", required_argument, NULL, 'R'},
        {"min-free", required_argument, NULL, 'F'},
        CLI_FLOW_TIMEOUT_OPTIONS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    o->stats_every_ns = 60 * KT_NS_PER_SEC;
    o->ckpt_ns = CAPTURE_CKPT_NS;
    o->min_free = UINT64_C(1) << 30;
    int c, li = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:qh", longopts, &li)) != -1) {
        int bad = 0;
        uint64_t v;
        char *end;
        switch (c) {
        case 's':
            o->store = optarg;
            break;
        case 'i':
            bad = o->live.nifaces == LIVE_MAX_IFACES || !*optarg;
            if (!bad)
                o->live.ifaces[o->live.nifaces++] = optarg;
            break;
        case 'f':
            o->live.filter = optarg;
            break;
        case 'L':
            v = strtoull(optarg, &end, 10);
            bad = *end || v < 64 || v > SRC_MAX_CAPLEN;
            o->live.snaplen = (uint32_t)v;
            break;
        case 'B':
            bad = cli_parse_size(optarg, &v) || v < (1u << 20) || v > (UINT64_C(1) << 30);
            o->live.buffer_bytes = v;
            break;
        case 'p':
            o->live.no_promisc = 1;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'E':
            bad = cli_parse_dur(optarg, &o->stats_every_ns);
            break;
        case 'C':
            bad = cli_parse_dur(optarg, &o->ckpt_ns) || o->ckpt_ns < KT_NS_PER_SEC / 10;
            break;
        case 'S':
            bad = cli_parse_size(optarg, &o->segment_bytes);
            break;
        case 'D':
            o->durable = 1;
            break;
        case 'R':
            bad = cli_parse_retain(optarg, &o->retain) != 0;
            o->has_retain = 1;
            o->retain.age_from_clock = 1;
            break;
        case 'F':
            bad = cli_parse_size(optarg, &o->min_free);
            break;
        case CLI_OPT_TCP_IDLE:
        case CLI_OPT_UDP_IDLE:
        case CLI_OPT_OTHER_IDLE:
        case CLI_OPT_ACTIVE:
        case CLI_OPT_TCP_CLOSED:
            bad = cli_flow_timeout(c, optarg, &o->cfg.flow);
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            capture_usage(stdout);
            return -1;
        default:
            capture_usage(stderr);
            return EXIT_USER;
        }
        if (bad) {
            cli_err("capture: bad value '%s' for %s%s", optarg, li >= 0 ? "--" : "-",
                    li >= 0 ? longopts[li].name : (c == 'i' ? "i" : "?"));
            return EXIT_USER;
        }
        li = -1;
    }
    if (optind < argc || !o->live.nifaces) {
        if (optind < argc)
            cli_err("capture: unexpected argument '%s'", argv[optind]);
        capture_usage(stderr);
        return EXIT_USER;
    }
    return EXIT_OK;
}

int cmd_capture(int argc, char **argv)
{
    struct capture_opts o;
    memset(&o, 0, sizeof o);
    int code = parse_args(argc, argv, &o);
    if (code)
        return code < 0 ? EXIT_OK : code;
    const char *dir = cli_store_dir(o.store);
    char msg[512];

    struct passwd *pw = NULL;
    if (o.user) {
        errno = 0;
        pw = getpwnam(o.user);
        if (!pw) {
            cli_err("--user %s: no such user", o.user);
            return EXIT_USER;
        }
        if (geteuid() != 0) {
            cli_err("--user needs konseki capture to start as root");
            return EXIT_USER;
        }
    }
    struct capture_state *cs = calloc(1, sizeof *cs);
    if (!cs) {
        cli_err("out of memory");
        return EXIT_INTERNAL;
    }
    int rc = live_open(&cs->lv, &o.live, msg, sizeof msg);
    if (rc) {
        cli_err("%s", msg);
        free(cs);
        return rc == KS_EINVAL ? EXIT_USER : EXIT_INTERNAL;
    }
    if (pw &&
        (store_prepare_for(dir, pw, msg, sizeof msg) || drop_privileges(pw, msg, sizeof msg))) {
        cli_err("%s", msg);
        code = EXIT_USER;
        goto close_live;
    }
    struct store_opts so = {.segment_bytes = o.segment_bytes, .durable = o.durable};
    rc = store_open(&cs->st, dir, &so, msg, sizeof msg);
    if (rc) {
        cli_err("%s", msg);
        code = cli_exit_for(rc);
        goto close_live;
    }
    int lock_fd = -1;
    if ((code = lock_store(dir, &lock_fd)))
        goto close_store;
    if ((code = begin_run(cs, &o)))
        goto unlock;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the wait for packets returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!o.quiet)
        fprintf(stderr, "konseki: capturing %s into %s (run %lld)\n", cs->path, dir,
                (long long)cs->run);
    if (pw && !o.quiet)
        fprintf(stderr, "konseki: running as %s\n", pw->pw_name);
    code = capture_loop(cs, &o);
    pipeline_release(&cs->pl);
    ioc_live_close(cs->ioc);
unlock:
    close(lock_fd);
close_store:
    store_close(cs->st);
close_live:
    live_close(cs->lv);
    free(cs);
    return code;
}
