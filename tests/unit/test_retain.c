/*
 * Unit tests for retention (src/store/retain.c): which segments, days and sessions a
 * cut removes, that every remaining session's packets are still there byte for byte,
 * size budgets, runs being written by another handle, and kill -9 at each step of a
 * prune followed by a re-run.
 *
 * The store is built through the store API with packets whose bytes and times are
 * known: packet i is at T0 + i * STEP (STEP = 2.4 h, so 40 packets span 4 days), has
 * 1000 bytes filled with i, and session k holds packets 2k and 2k+1.  Segments are
 * 4 KiB, three packets each, so sessions straddle segment boundaries.
 */
#include "t.h"

#include "core/err.h"
#include "core/pos.h"
#include "store/store.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPKT 40
#define PKT_LEN 1000
#define STEP (8640LL * 1000000000LL)     /* 2.4 h */
#define T0 (1709251200LL * 1000000000LL) /* 2024-03-01T00:00:00Z */

static const uint8_t ident_r[32] = {7}, ident_w[32] = {8};

struct built {
    uint64_t pos[NPKT];
};

static struct store *open_rw(const char *dir)
{
    struct store *st = NULL;
    char msg[256];
    struct store_opts o = {.segment_bytes = 4096};
    if (store_open(&st, dir, &o, msg, sizeof msg) != 0) {
        fprintf(stderr, "store_open: %s\n", msg);
        return NULL;
    }
    return st;
}

static int64_t pkt_ts(int i)
{
    return T0 + i * STEP;
}

/* The store described at the top; 0 or the first failing step's error. */
static int build(const char *dir, struct built *b)
{
    struct store *st = open_rw(dir);
    if (!st)
        return KS_EIO;
    int64_t id;
    int rc = store_ingest_begin(st, ident_r, "r.pcap", "pcap", "none", &id);
    uint8_t data[PKT_LEN];
    for (int i = 0; !rc && i < NPKT; i++) {
        memset(data, i, sizeof data);
        struct packet p = {
            .ts_ns = pkt_ts(i), .linktype = 1, .caplen = PKT_LEN, .wirelen = PKT_LEN, .data = data};
        rc = store_pkt_write(st, id, &p, &b->pos[i]);
    }
    for (int k = 0; !rc && k < NPKT / 2; k++) {
        struct buf pl;
        buf_init(&pl, 1 << 10);
        uint64_t prev = 0;
        pos_append(&pl, &prev, b->pos[2 * k]);
        pos_append(&pl, &prev, b->pos[2 * k + 1]);
        struct session_rec s;
        memset(&s, 0, sizeof s);
        s.id = (uint64_t)id << 32 | (uint64_t)(k + 1);
        s.last_piece = 1;
        s.first_ns = pkt_ts(2 * k);
        s.last_ns = pkt_ts(2 * k + 1);
        s.ipver = 4;
        s.proto = 17;
        s.src[0] = 10, s.dst[0] = 10, s.dst[3] = (uint8_t)k;
        s.sport = 1000 + k;
        s.dport = 53;
        s.pkts[0] = 2;
        s.end = FLOW_END_IDLE;
        snprintf(s.community_id, sizeof s.community_id, "1:%d", k);
        s.pos = pl.data;
        s.pos_len = pl.len;
        rc = store_session_add(st, id, &s);
        buf_release(&pl);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE, .packets = NPKT};
    if (!rc)
        rc = store_checkpoint(st, id, &pr);
    store_close(st);
    return rc;
}

/*
 * Every session the store answers starts at or after cut and every one of its packets
 * reads back with its bytes and time; *n gets how many sessions there are.
 */
struct check {
    struct store *st;
    int64_t cut;
    int n, bad;
    unsigned seen; /* bit k: session k answered */
};

static int check_row(void *ctx, const struct session_row *r)
{
    struct check *c = ctx;
    c->n++;
    int k = (int)(r->id & 0xffffffff) - 1;
    if (k < 0 || k >= NPKT / 2 || r->first_ns < c->cut) {
        c->bad++;
        return 0;
    }
    c->seen |= 1u << k;
    struct pos_iter it;
    pos_iter_init(&it, r->pos, r->pos_len);
    uint64_t pos;
    int i = 2 * k, got;
    struct buf b;
    buf_init(&b, 1 << 20);
    while ((got = pos_next(&it, &pos)) == 1) {
        struct packet p;
        uint8_t want[PKT_LEN];
        memset(want, i, sizeof want);
        if (store_pkt_read(c->st, pos, &p, &b) != 0 || p.ts_ns != pkt_ts(i) ||
            p.caplen != PKT_LEN || memcmp(p.data, want, PKT_LEN) != 0)
            c->bad++;
        i++;
    }
    if (got < 0 || i != 2 * k + 2)
        c->bad++;
    buf_release(&b);
    return 0;
}

/* build() into dir, then open it: NULL when either fails. */
static struct store *open_built(const char *dir, struct built *b)
{
    return build(dir, b) == 0 ? open_rw(dir) : NULL;
}

static int check_store(struct store *st, int64_t cut, struct check *c)
{
    memset(c, 0, sizeof *c);
    c->st = st;
    c->cut = cut;
    struct store_query q = {.since_ns = INT64_MIN, .until_ns = INT64_MAX, .want_pos = 1};
    return store_query_run(st, &q, check_row, c, NULL);
}

/* Sessions k with first packet at or after cut, as a bit set. */
static unsigned expected_after(int64_t cut)
{
    unsigned m = 0;
    for (int k = 0; k < NPKT / 2; k++)
        if (pkt_ts(2 * k) >= cut)
            m |= 1u << k;
    return m;
}

static int seg_exists(const char *dir, uint64_t pos)
{
    char path[700];
    struct stat sb;
    snprintf(path, sizeof path, "%s/pcap/%010u.pcap", dir, POS_SEG(pos));
    return stat(path, &sb) == 0;
}

static int count_files(const char *dir, const char *sub, const char *suffix)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0)
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* A segment is kept exactly when one of its packets is at or after the cut. */
static int segments_match_cut(const char *dir, const struct built *b, int64_t cut)
{
    for (int i = 0; i < NPKT; i++) {
        int newest_after = 0;
        for (int j = 0; j < NPKT; j++)
            if (POS_SEG(b->pos[j]) == POS_SEG(b->pos[i]) && pkt_ts(j) >= cut)
                newest_after = 1;
        if (seg_exists(dir, b->pos[i]) != newest_after)
            return 0;
    }
    return 1;
}

TEST(retain_by_age_keeps_exactly_what_starts_after_the_cut)
{
    const char *dir = t_tmpdir();
    struct built b;
    ASSERT_EQ(build(dir, &b), 0);
    ASSERT_EQ(count_files(dir, "meta", ".db"), 4); /* 2024-03-01 .. 03-04 */
    struct store *st = open_rw(dir);
    ASSERT_TRUE(st != NULL);
    /* newest packet is 39 * 2.4 h after T0; keep 2 days back from it */
    int64_t age = 2 * 86400LL * 1000000000LL;
    struct store_retain r = {.max_age_ns = age};
    struct store_prune_result res;
    ASSERT_EQ(store_prune(st, &r, &res), 0);
    int64_t cut = pkt_ts(NPKT - 1) - age;
    ASSERT_EQ(res.cut_ns, cut);
    unsigned want = expected_after(cut);
    struct check c;
    ASSERT_EQ(check_store(st, cut, &c), 0);
    ASSERT_EQ(c.bad, 0);
    ASSERT_EQ(c.seen, want);
    ASSERT_EQ(res.sessions, NPKT / 2 - c.n);
    ASSERT_TRUE(segments_match_cut(dir, &b, cut));
    /* cut = 2024-03-02T21:36Z: days 01 goes whole, 02 loses its rows before the cut */
    ASSERT_EQ(res.days, 1);
    ASSERT_EQ(count_files(dir, "meta", ".db"), 3);
    ASSERT_GT(res.segments, 0);
    ASSERT_EQ(res.within_budget, 1);
    ASSERT_LT(res.bytes_after, res.bytes_before);
    /* The same again changes nothing. */
    ASSERT_EQ(store_prune(st, &r, &res), 0);
    ASSERT_EQ(res.segments + res.sessions + res.days, 0);
    struct store_stats ss;
    ASSERT_EQ(store_stats_get(st, &ss), 0);
    ASSERT_EQ(ss.retention_cut_ns, cut);
    ASSERT_EQ(ss.sessions, (uint64_t)c.n);
    ASSERT_GE(ss.oldest_packet_ns, pkt_ts(0));
    ASSERT_EQ(ss.newest_packet_ns, pkt_ts(NPKT - 1));
    store_close(st);
}

TEST(retain_by_size_fits_the_budget)
{
    const char *dir = t_tmpdir();
    struct built b;
    struct store *st = open_built(dir, &b);
    ASSERT_TRUE(st != NULL);
    uint64_t pk, meta;
    ASSERT_EQ(store_usage(st, &pk, &meta), 0);
    ASSERT_GT(pk, (uint64_t)NPKT * PKT_LEN);
    /* Half of the packets' bytes on top of the metadata that cannot go (catalog …). */
    struct store_retain r = {.max_bytes = meta + pk / 2};
    struct store_prune_result res;
    ASSERT_EQ(store_prune(st, &r, &res), 0);
    ASSERT_EQ(res.within_budget, 1);
    ASSERT_LE(res.bytes_after, r.max_bytes);
    ASSERT_GT(res.cut_ns, pkt_ts(0));
    uint64_t pk2, meta2;
    ASSERT_EQ(store_usage(st, &pk2, &meta2), 0);
    ASSERT_EQ(pk2 + meta2, res.bytes_after);
    struct check c;
    ASSERT_EQ(check_store(st, res.cut_ns, &c), 0);
    ASSERT_EQ(c.bad, 0);
    ASSERT_EQ(c.seen, expected_after(res.cut_ns));
    ASSERT_TRUE(segments_match_cut(dir, &b, res.cut_ns));
    /* Not more than needed: the next older segment boundary would not have fit. */
    ASSERT_GT(pk2, pk / 4);
    store_close(st);
}

TEST(retain_keeps_runs_another_writer_holds_and_the_floor)
{
    const char *dir = t_tmpdir();
    struct built b;
    ASSERT_EQ(build(dir, &b), 0);
    /* A second handle writes an old run and keeps it open (as a running ingest would). */
    struct store *w = open_rw(dir);
    ASSERT_TRUE(w != NULL);
    int64_t wid;
    ASSERT_EQ(store_ingest_begin(w, ident_w, "w.pcap", "pcap", "none", &wid), 0);
    uint8_t data[PKT_LEN];
    memset(data, 0xee, sizeof data);
    uint64_t wpos[6];
    for (int i = 0; i < 6; i++) {
        struct packet p = {
            .ts_ns = pkt_ts(i), .linktype = 1, .caplen = PKT_LEN, .wirelen = PKT_LEN, .data = data};
        ASSERT_EQ(store_pkt_write(w, wid, &p, &wpos[i]), 0);
    }
    struct ingest_progress pr = {.status = INGEST_PARTIAL, .packets = 6};
    ASSERT_EQ(store_checkpoint(w, wid, &pr), 0);

    struct store *st = open_rw(dir);
    ASSERT_TRUE(st != NULL);
    /* A floor stops the cut at packet 10 although the age asks for more. */
    struct store_retain r = {.max_age_ns = STEP, .keep_from_ns = pkt_ts(10)};
    struct store_prune_result res;
    ASSERT_EQ(store_prune(st, &r, &res), 0);
    ASSERT_EQ(res.cut_ns, pkt_ts(10));
    ASSERT_GT(res.pinned_bytes, 0);
    for (int i = 0; i < 6; i++)
        ASSERT_TRUE(seg_exists(dir, wpos[i]));
    ASSERT_TRUE(segments_match_cut(dir, &b, pkt_ts(10)));
    struct check c;
    ASSERT_EQ(check_store(st, pkt_ts(10), &c), 0);
    ASSERT_EQ(c.bad, 0);
    ASSERT_EQ(c.seen, expected_after(pkt_ts(10)));
    /* Once the writer is gone (its run interrupted), its segments can go too. */
    store_close(w);
    ASSERT_EQ(store_prune(st, &r, &res), 0);
    ASSERT_EQ(res.pinned_bytes, 0);
    for (int i = 0; i < 6; i++)
        ASSERT_TRUE(!seg_exists(dir, wpos[i]));
    store_close(st);
}

TEST(retain_disk_ok)
{
    struct store *st = open_rw(t_tmpdir());
    ASSERT_TRUE(st != NULL);
    ASSERT_EQ(store_disk_ok(st, 0), 1);
    ASSERT_EQ(store_disk_ok(st, UINT64_MAX), 0);
    store_close(st);
}

/* kill -9 (SIGKILL from the test hook) at each step, then check and prune again. */
TEST(retain_kill9_at_each_step_then_rerun)
{
    static const char *const points[] = {"prune-day", "prune-catalog", "prune-unlink"};
    for (size_t pt = 0; pt < sizeof points / sizeof points[0]; pt++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/k%zu", t_tmpdir(), pt);
        struct built b;
        ASSERT_EQ(build(dir, &b), 0);
        int64_t age = 2 * 86400LL * 1000000000LL, cut = pkt_ts(NPKT - 1) - age;
        fflush(NULL);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
            setenv("KONSEKI_TEST_CRASH_AT", points[pt], 1);
            struct store *st = open_rw(dir);
            struct store_retain r = {.max_age_ns = age};
            struct store_prune_result res;
            if (st)
                store_prune(st, &r, &res);
            _exit(0); /* not reached when the hook fires */
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* The crashed store answers consistently: whatever it lists is there. */
        struct store *st = open_rw(dir);
        ASSERT_TRUE(st != NULL);
        struct check c;
        ASSERT_EQ(check_store(st, INT64_MIN, &c), 0);
        ASSERT_EQ(c.bad, 0);
        ASSERT_TRUE((c.seen & expected_after(cut)) == expected_after(cut));
        /* The re-run finishes the job: exactly the clean result, no file left behind. */
        struct store_retain r = {.max_age_ns = age};
        struct store_prune_result res;
        ASSERT_EQ(store_prune(st, &r, &res), 0);
        ASSERT_EQ(check_store(st, cut, &c), 0);
        ASSERT_EQ(c.bad, 0);
        ASSERT_EQ(c.seen, expected_after(cut));
        ASSERT_TRUE(segments_match_cut(dir, &b, cut));
        ASSERT_EQ(count_files(dir, "meta", ".db"), 3);
        struct store_stats ss;
        ASSERT_EQ(store_stats_get(st, &ss), 0);
        ASSERT_EQ(ss.segments, (uint64_t)count_files(dir, "pcap", ".pcap"));
        store_close(st);
    }
}
