/*
 * gen.c — konseki-gen: deterministic, protocol-correct traffic with ground truth.
 *
 *   konseki-gen [--seed N] [--start T] [--duration D] [--sessions N | --size S]
 *               [--mix default|bulk|small] [--format pcap|pcap-ns|pcapng]
 *               [--link ethernet|sll|sll2|raw|null] [--truth FILE.jsonl]
 *               [--scenario basic|long|frag|plant|hunt|mixed] [--hunt-truth FILE]
 *               [-v] -o OUT|-
 *
 * The scheduler: a binary heap of live sessions keyed by (time of next packet,
 * session id), plus an arrival clock that spawns new sessions from the mix.
 * The earliest of the two goes next, so sessions interleave in time order and
 * the output is sorted.  A session's first pop is its start: it is dry-run
 * (see gen.h) to write its truth line and to count its bytes against --size /
 * --sessions; when a limit is reached no session starts any more, and the ones
 * already started run to their end.
 *
 * Exit status: 0 done, 1 bad arguments or output error, 2 internal error.
 */
#include "gen.h"

#include "core/err.h"
#include "core/ktime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUT_BUF (8u << 20)
#define DEFAULT_START "2024-01-15T09:00:00Z"
#define HUNT_START "2024-03-04T00:00:00Z"
#define HUNT_SNAP 128
#define DEFAULT_SESSIONS 1000

struct hent {
    int64_t key;
    uint64_t id;
    struct sess *s;
};

struct gen {
    struct world w;
    struct gen_cfg cfg;
    struct out out;
    FILE *truth;
    struct hent *heap;
    size_t nheap, heap_cap;
    uint64_t next_id;
    uint64_t started, max_sessions;
    uint64_t planned_bytes, max_bytes;
    uint64_t packets;
    int stop;
    int sampling; /* estimating the mix: dry-run and drop what is pushed */
    uint64_t sample_sessions, sample_bytes;
    struct gen_hunt *hunt; /* --scenario hunt: its schedule spawns the sessions */
};

/* ------------------------------------------------------------------ heap */

static int hless(const struct hent *a, const struct hent *b)
{
    return a->key < b->key || (a->key == b->key && a->id < b->id);
}

static void sift_down(struct gen *g, size_t i)
{
    struct hent *h = g->heap;
    size_t n = g->nheap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && hless(&h[l], &h[m]))
            m = l;
        if (r < n && hless(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        struct hent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(struct gen *g, size_t i)
{
    struct hent *h = g->heap;
    while (i) {
        size_t p = (i - 1) / 2;
        if (!hless(&h[i], &h[p]))
            return;
        struct hent t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void heap_pop(struct gen *g)
{
    g->heap[0] = g->heap[--g->nheap];
    if (g->nheap)
        sift_down(g, 0);
}

/* ------------------------------------------------------------------ dry run and truth */

static void truth_line(FILE *f, const struct sess *s, const struct tstats *st);

/*
 * Run a copy of s to its end without writing anything: its statistics, its
 * size in the output file, and (if f) its truth line, whose notes (SNI, Host,
 * status …) are only known once the messages have been made.
 */
static uint64_t dry_run(const struct sess *s, const struct world *w, const struct gen_cfg *c,
                        struct tstats *st, FILE *f)
{
    static struct sess tmp;
    struct pdesc d;
    uint64_t file_bytes = 0;
    int more;
    tmp = *s;
    memset(st, 0, sizeof(*st));
    do {
        more = gen_sess_step(&tmp, w, c, &d);
        uint32_t len = gen_wire_frame_len(&tmp, c, &d);
        if (st->pkts[0] + st->pkts[1] == 0)
            st->first = d.ts;
        st->last = d.ts;
        st->pkts[d.dir]++;
        st->bytes[d.dir] += len;
        st->payload[d.dir] += gen_wire_payload_len(&tmp, &d);
        st->frags += d.frag;
        file_bytes += gen_wire_record_len(c, gen_wire_caplen(&tmp, c, &d, len));
    } while (more);
    if (f)
        truth_line(f, &tmp, st);
    return file_bytes;
}

static void addr_str(const struct sess *s, const uint8_t *a, char *dst, size_t n)
{
    if (!inet_ntop(s->ipver == 4 ? AF_INET : AF_INET6, a, dst, (socklen_t)n))
        snprintf(dst, n, "?");
}

static void truth_line(FILE *f, const struct sess *s, const struct tstats *st)
{
    static const char *const proto[] = {
        [1] = "icmp", [6] = "tcp", [17] = "udp", [58] = "ipv6-icmp"};
    char src[64], dst[64], first[48], last[48];
    addr_str(s, s->caddr, src, sizeof(src));
    addr_str(s, s->saddr, dst, sizeof(dst));
    ktime_format(st->first, first, sizeof(first));
    ktime_format(st->last, last, sizeof(last));
    unsigned sport = s->cport, dport = s->sport;
    if (s->proto == 1 || s->proto == 58) {
        /* Flow records key ICMP by type and code of the first packet: echo request, code 0. */
        sport = s->proto == 1 ? 8 : 128;
        dport = 0;
    }
    fprintf(f,
            "{\"ipver\":%u,\"proto\":\"%s\",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\","
            "\"dport\":%u,\"vlan\":[",
            s->ipver, proto[s->proto], src, sport, dst, dport);
    for (uint8_t i = 0; i < s->nvlan; i++)
        fprintf(f, "%s%u", i ? "," : "", s->vlan[i]);
    fprintf(f,
            "],\"first\":\"%s\",\"last\":\"%s\",\"src_pkts\":%" PRIu64 ",\"dst_pkts\":%" PRIu64
            ",\"src_bytes\":%" PRIu64 ",\"dst_bytes\":%" PRIu64 ",\"src_payload\":%" PRIu64
            ",\"dst_payload\":%" PRIu64 ",\"kind\":\"%s\",\"close\":\"%s\",\"fragments\":%u,"
            "\"variant\":\"%s\"%.*s%.*s}\n",
            first, last, st->pkts[0], st->pkts[1], st->bytes[0], st->bytes[1], st->payload[0],
            st->payload[1], gen_sess_kind_name(s->kind), gen_sess_close_name(s->close_how),
            st->frags, gen_sess_variant_name(s->variant), (int)s->note_len, s->note,
            s->script && s->script->truth.p ? (int)s->script->truth.len : 0,
            s->script && s->script->truth.p ? (const char *)s->script->truth.p : "");
}

/* ------------------------------------------------------------------ scheduling */

static int push_sess(void *ctx, struct sess *s)
{
    struct gen *g = ctx;
    if (g->sampling) {
        struct tstats st;
        g->sample_bytes += dry_run(s, &g->w, &g->cfg, &st, NULL);
        g->sample_sessions++;
        gen_sess_free(s);
        return 0;
    }
    if (g->nheap == g->heap_cap) {
        size_t nc = g->heap_cap ? g->heap_cap * 2 : 1024;
        struct hent *h = realloc(g->heap, nc * sizeof(*h));
        if (!h)
            return KS_ENOMEM;
        g->heap = h;
        g->heap_cap = nc;
    }
    g->heap[g->nheap] = (struct hent){gen_sess_key(s, &g->cfg), s->id, s};
    sift_up(g, g->nheap++);
    return 0;
}

static int start_session(struct gen *g, struct sess *s)
{
    uint64_t fb = dry_run(s, &g->w, &g->cfg, &s->plan, g->truth);
    g->started++;
    g->planned_bytes += fb;
    if (g->started >= g->max_sessions || g->planned_bytes >= g->max_bytes)
        g->stop = 1;
    return 0;
}

static int check_session(const struct sess *s)
{
    const struct tstats *a = &s->st, *b = &s->plan;
    if (a->first == b->first && a->last == b->last && a->frags == b->frags &&
        memcmp(a->pkts, b->pkts, sizeof(a->pkts)) == 0 &&
        memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0 &&
        memcmp(a->payload, b->payload, sizeof(a->payload)) == 0)
        return 0;
    fprintf(stderr,
            "konseki-gen: internal error: session %" PRIu64 " (%s) differs from its truth line: "
            "pkts %" PRIu64 "/%" PRIu64 " vs %" PRIu64 "/%" PRIu64 ", bytes %" PRIu64 "/%" PRIu64
            " vs %" PRIu64 "/%" PRIu64 "\n",
            s->id, gen_sess_kind_name(s->kind), a->pkts[0], a->pkts[1], b->pkts[0], b->pkts[1],
            a->bytes[0], a->bytes[1], b->bytes[0], b->bytes[1]);
    return KS_ECORRUPT;
}

static int run(struct gen *g, int arrivals, int64_t start, int64_t mean_gap, struct rng *ar)
{
    struct gen_cfg *c = &g->cfg;
    int64_t next_arrival = start;
    struct pdesc d;
    int rc;
    for (;;) {
        int64_t top = g->nheap ? g->heap[0].key : INT64_MAX;
        if (g->hunt && gen_hunt_next(g->hunt) <= top && gen_hunt_next(g->hunt) != INT64_MAX) {
            if ((rc = gen_hunt_spawn(g->hunt, &g->w, c, &g->next_id, push_sess, g)))
                return rc;
            continue;
        }
        if (arrivals && !g->stop && next_arrival <= top) {
            if ((rc = gen_spawn_mix(&g->w, c, ar, next_arrival, &g->next_id, push_sess, g)))
                return rc;
            next_arrival += (int64_t)gen_rng_range(ar, 0, (uint64_t)(2 * mean_gap));
            continue;
        }
        if (!g->nheap)
            return 0;
        struct sess *s = g->heap[0].s;
        if (s->st.pkts[0] + s->st.pkts[1] == 0) {
            if (g->stop) {
                heap_pop(g);
                gen_sess_free(s);
                continue;
            }
            if ((rc = start_session(g, s)))
                return rc;
        }
        gen_sess_step(s, &g->w, c, &d);
        uint32_t len;
        if ((rc = gen_out_packet(&g->out, s, &g->w, c, &d, &len)))
            return rc;
        g->packets++;
        struct tstats *st = &s->st;
        if (st->pkts[0] + st->pkts[1] == 0)
            st->first = d.ts;
        st->last = d.ts;
        st->pkts[d.dir]++;
        st->bytes[d.dir] += len;
        st->payload[d.dir] += gen_wire_payload_len(s, &d);
        st->frags += d.frag;
        if (!s->done) {
            g->heap[0].key = gen_sess_key(s, c);
            sift_down(g, 0);
            continue;
        }
        heap_pop(g);
        rc = check_session(s);
        if (g->hunt)
            gen_hunt_seen(g->hunt, s);
        if (!rc && !g->stop) {
            struct sess *b = gen_sess_reuse_next(s, c, g->next_id);
            if (b) {
                g->next_id++;
                rc = push_sess(g, b);
                if (rc)
                    gen_sess_free(b);
            }
        }
        gen_sess_free(s);
        if (rc)
            return rc;
    }
}

/* ------------------------------------------------------------------ arguments */

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-')
        return KS_EINVAL;
    *out = v;
    return 0;
}

/* "1G", "500M", "64k", "123456" (powers of 1024; a trailing "B" or "iB" is accepted). */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return KS_EINVAL;
    double mul = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mul = 1024.0, end++;
        break;
    case 'm':
    case 'M':
        mul = 1024.0 * 1024, end++;
        break;
    case 'g':
    case 'G':
        mul = 1024.0 * 1024 * 1024, end++;
        break;
    case 't':
    case 'T':
        mul = 1024.0 * 1024 * 1024 * 1024, end++;
        break;
    default:
        break;
    }
    if (*end == 'i')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v * mul < 1 || v * mul > 1e15)
        return KS_EINVAL;
    *out = (uint64_t)(v * mul);
    return 0;
}

/* "90s", "15m", "1h", "2d", "1h30m", "3600" (seconds). */
static int parse_duration(const char *s, int64_t *out)
{
    int64_t total = 0;
    const char *p = s;
    if (!*p)
        return KS_EINVAL;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v < 0)
            return KS_EINVAL;
        int64_t unit = 1;
        switch (*end) {
        case 's':
            end++;
            break;
        case 'm':
            unit = 60, end++;
            break;
        case 'h':
            unit = 3600, end++;
            break;
        case 'd':
            unit = 86400, end++;
            break;
        case '\0':
            break;
        default:
            return KS_EINVAL;
        }
        total += (int64_t)v * unit;
        p = end;
    }
    if (total <= 0 || total > 366LL * 86400)
        return KS_EINVAL;
    *out = total * KT_NS_PER_SEC;
    return 0;
}

static int pick_name(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return -1;
}

static void usage(FILE *f)
{
    fputs("usage: konseki-gen [options] -o OUT|-\n"
          "  --seed N            PRNG seed (default 1); same arguments -> identical bytes\n"
          "  --start T           first arrival, RFC 3339 or epoch seconds (default " DEFAULT_START
          ")\n"
          "  --duration D        window over which sessions arrive: 90s, 15m, 1h, 1h30m, 2d "
          "(default 1h)\n"
          "  --sessions N        stop after N sessions (default 1000 when --size is not given)\n"
          "  --size S            stop after the session that takes the file past S (1G, 500M, …)\n"
          "  --mix M             default | bulk | small\n"
          "  --format F          pcap (µs) | pcap-ns | pcapng (ns)\n"
          "  --link L            ethernet | sll | sll2 | raw | null\n"
          "  --truth FILE        ground truth, one JSON object per session, in start order\n"
          "  --scenario NAME     basic | long | frag | plant | hunt | mixed (default: mixed)\n"
          "  --hunt-truth FILE   hunt: one JSON object per planted threat / look-alike\n"
          "  -v, --verbose       a summary line on stderr\n"
          "  -o OUT              output file, - for standard output\n",
          f);
}

int main(int argc, char **argv)
{
    static const char *const mixes[] = {"default", "bulk", "small"};
    static const char *const formats[] = {"pcap", "pcap-ns", "pcapng"};
    static const char *const links[] = {"ethernet", "sll", "sll2", "raw", "null"};
    static const struct option opts[] = {{"seed", required_argument, NULL, 'S'},
                                         {"start", required_argument, NULL, 's'},
                                         {"duration", required_argument, NULL, 'd'},
                                         {"sessions", required_argument, NULL, 'n'},
                                         {"size", required_argument, NULL, 'z'},
                                         {"mix", required_argument, NULL, 'm'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"link", required_argument, NULL, 'l'},
                                         {"truth", required_argument, NULL, 't'},
                                         {"scenario", required_argument, NULL, 'c'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"hunt-truth", required_argument, NULL, 'H'},
                                         {NULL, 0, NULL, 0}};
    uint64_t seed = 1, sessions = 0, size = 0;
    int64_t start, duration = 3600 * KT_NS_PER_SEC;
    const char *out_path = NULL, *truth_path = NULL, *scenario = "mixed", *hunt_path = NULL;
    int start_given = 0;
    int verbose = 0;
    struct gen_cfg cfg = {LINK_ETH, FMT_PCAP, 1000, MIX_DEFAULT, 0};
    if (ktime_parse(DEFAULT_START, 0, &start))
        return 2;

    int ch;
    while ((ch = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'S':
            bad = parse_u64(optarg, &seed) != 0;
            break;
        case 's':
            /* Absolute times only: a relative "7d" would depend on the clock. */
            bad = ktime_parse(optarg, 0, &start) != 0 || start < 0;
            start_given = 1;
            break;
        case 'd':
            bad = parse_duration(optarg, &duration) != 0;
            break;
        case 'n':
            bad = parse_u64(optarg, &sessions) != 0 || sessions == 0;
            break;
        case 'z':
            bad = parse_size(optarg, &size) != 0;
            break;
        case 'm':
            bad = (cfg.mix = pick_name(optarg, mixes, 3)) < 0;
            break;
        case 'f':
            bad = (cfg.format = pick_name(optarg, formats, 3)) < 0;
            break;
        case 'l':
            bad = (cfg.link = pick_name(optarg, links, 5)) < 0;
            break;
        case 't':
            truth_path = optarg;
            break;
        case 'c':
            scenario = optarg;
            bad = strcmp(scenario, "basic") && strcmp(scenario, "long") &&
                  strcmp(scenario, "frag") && strcmp(scenario, "plant") &&
                  strcmp(scenario, "hunt") && strcmp(scenario, "mixed");
            break;
        case 'H':
            hunt_path = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
        if (bad) {
            const char *name = "?";
            for (const struct option *o = opts; o->name; o++)
                if (o->val == ch)
                    name = o->name;
            fprintf(stderr, "konseki-gen: bad value for --%s: '%s'\n", name, optarg);
            return 1;
        }
    }
    if (optind != argc || !out_path) {
        fprintf(stderr, "konseki-gen: %s\n",
                out_path ? "unexpected argument" : "-o OUT is required");
        usage(stderr);
        return 1;
    }
    int hunt = strcmp(scenario, "hunt") == 0;
    if (hunt_path && !hunt) {
        fprintf(stderr, "konseki-gen: --hunt-truth needs --scenario hunt\n");
        return 1;
    }
    if (hunt && !start_given && ktime_parse(HUNT_START, 0, &start))
        return 2;
    if (hunt_path && strcmp(hunt_path, "-") == 0 &&
        (strcmp(out_path, "-") == 0 || (truth_path && strcmp(truth_path, "-") == 0))) {
        fprintf(stderr, "konseki-gen: only one of -o, --truth, --hunt-truth can be -\n");
        return 1;
    }
    if (truth_path && strcmp(truth_path, "-") == 0 && strcmp(out_path, "-") == 0) {
        fprintf(stderr, "konseki-gen: -o - and --truth - cannot both use standard output\n");
        return 1;
    }
    if (strcmp(out_path, "-") == 0 && isatty(1)) {
        fprintf(stderr,
                "konseki-gen: not writing a capture to a terminal (use -o FILE or a pipe)\n");
        return 1;
    }
    cfg.tq = cfg.format == FMT_PCAP ? 1000 : 1;
    if (!sessions && !size)
        sessions = DEFAULT_SESSIONS;

    struct gen g;
    memset(&g, 0, sizeof(g));
    g.cfg = cfg;
    g.max_sessions = sessions ? sessions : UINT64_MAX;
    g.max_bytes = size ? size : UINT64_MAX;
    int fixed = strcmp(scenario, "mixed") != 0;
    int rc;
    int64_t mean_gap = 1;
    struct rng ar;
    gen_rng_seed(&ar, seed);

    if (!fixed) {
        /*
         * Estimate sessions and bytes per arrival from a sample of the mix (its own
         * PRNG stream and a throw-away world), so arrivals spread over --duration.
         */
        struct rng sr;
        gen_rng_seed(&sr, seed ^ UINT64_C(0x73616d706c65));
        if ((rc = gen_world_init(&g.w, seed)))
            goto fail_internal;
        g.sampling = 1;
        uint64_t spawns = 0;
        while (spawns < 2000 && g.sample_bytes < (UINT64_C(2) << 30)) {
            if ((rc = gen_spawn_mix(&g.w, &g.cfg, &sr, 0, &g.next_id, push_sess, &g)))
                goto fail_internal;
            spawns++;
        }
        g.sampling = 0;
        g.next_id = 0;
        gen_world_release(&g.w);
        double per_spawn_sessions = (double)g.sample_sessions / (double)spawns;
        double per_spawn_bytes = (double)g.sample_bytes / (double)spawns;
        double n_spawns = sessions ? (double)sessions / per_spawn_sessions : 0;
        if (size) {
            double by_size = (double)size / per_spawn_bytes;
            if (!sessions || by_size < n_spawns)
                n_spawns = by_size;
        }
        if (n_spawns < 1)
            n_spawns = 1;
        mean_gap = (int64_t)((double)duration / n_spawns);
        if (mean_gap < 1)
            mean_gap = 1;
    }

    if ((rc = gen_world_init(&g.w, seed)))
        goto fail_internal;
    if (hunt) {
        if ((rc = gen_hunt_new(&g.w, seed, start, &g.hunt))) {
            gen_world_release(&g.w);
            goto fail_internal;
        }
        g.cfg.snap = HUNT_SNAP;
    }
    if (truth_path) {
        g.truth = strcmp(truth_path, "-") == 0 ? stdout : fopen(truth_path, "w");
        if (!g.truth) {
            fprintf(stderr, "konseki-gen: %s: %s\n", truth_path, strerror(errno));
            gen_world_release(&g.w);
            return 1;
        }
        setvbuf(g.truth, NULL, _IOFBF, 1u << 20);
    }
    if ((rc = gen_out_open(&g.out, out_path, OUT_BUF))) {
        fprintf(stderr, "konseki-gen: %s: %s\n", out_path,
                rc == KS_EIO ? strerror(errno) : ks_strerror(rc));
        if (g.truth && g.truth != stdout)
            fclose(g.truth);
        gen_world_release(&g.w);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0); /* only for -v; never reaches the output */
    rc = gen_out_header(&g.out, &g.cfg);
    if (!rc && fixed) {
        g.max_sessions = UINT64_MAX;
        g.max_bytes = UINT64_MAX;
        if (!hunt)
            rc = gen_spawn_scenario(scenario, &g.w, &g.cfg, &ar, start, &g.next_id, push_sess, &g);
    }
    if (!rc)
        rc = run(&g, !fixed, start, mean_gap, &ar);
    while (g.nheap) {
        gen_sess_free(g.heap[g.nheap - 1].s);
        g.nheap--;
    }
    free(g.heap);
    int orc = gen_out_close(&g.out);
    int trc = 0;
    if (g.truth && (fflush(g.truth) != 0 || (g.truth != stdout && fclose(g.truth) != 0)))
        trc = KS_EIO;
    if (!rc && hunt_path) {
        FILE *hf = strcmp(hunt_path, "-") == 0 ? stdout : fopen(hunt_path, "w");
        int hrc = hf ? gen_hunt_truth(g.hunt, hf) : KS_EIO;
        if (hf && fflush(hf) != 0)
            hrc = KS_EIO;
        if (hf && hf != stdout && fclose(hf) != 0)
            hrc = KS_EIO;
        if (hrc)
            trc = hrc;
    }
    gen_hunt_free(g.hunt);
    gen_world_release(&g.w);
    if (rc == KS_EIO || (!rc && (orc || trc))) {
        fprintf(stderr, "konseki-gen: write failed: %s\n", strerror(g.out.err ? g.out.err : errno));
        return 1;
    }
    if (rc)
        goto fail_internal;
    if (verbose) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr,
                "konseki-gen: %" PRIu64 " sessions, %" PRIu64 " packets, %" PRIu64
                " bytes in %.2f s (%.0f MB/s)\n",
                g.started, g.packets, g.out.total, secs,
                secs > 0 ? (double)g.out.total / secs / 1e6 : 0.0);
    }
    return 0;

fail_internal:
    fprintf(stderr, "konseki-gen: %s\n", ks_strerror(rc));
    return 2;
}
