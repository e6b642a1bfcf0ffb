/* Unit tests for src/store: segments, partitions, checkpoints, replay, permissions. */
#include "t.h"

#include "core/addr.h"
#include "core/err.h"
#include "core/pos.h"
#include "proto/proto.h"
#include "store/store.h"

#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DAY_NS (86400LL * 1000000000LL)
#define T0 (1700000000LL * 1000000000LL) /* 2023-11-14T22:13:20Z */

static struct store *open_store(const char *dir, uint64_t seg_bytes)
{
    struct store *st = NULL;
    char msg[256];
    struct store_opts o = {.segment_bytes = seg_bytes};
    if (store_open(&st, dir, &o, msg, sizeof msg) != 0) {
        fprintf(stderr, "store_open: %s\n", msg);
        return NULL;
    }
    return st;
}

static struct packet mkpkt(uint8_t *data, uint32_t len, int64_t ts, uint32_t lt, uint8_t fill)
{
    memset(data, fill, len);
    struct packet p = {
        .ts_ns = ts, .linktype = lt, .caplen = len, .wirelen = len + 4, .data = data};
    return p;
}

static void mksession(struct session_rec *s, uint64_t id, int64_t first, int64_t last,
                      const uint8_t *pos, size_t pos_len)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    s->last_piece = 1;
    s->first_ns = first;
    s->last_ns = last;
    s->ipver = 4;
    s->proto = 6;
    s->src[0] = 10, s->src[3] = 1;
    s->dst[0] = 10, s->dst[3] = 2;
    s->sport = 40000;
    s->dport = 80;
    s->pkts[0] = 1;
    snprintf(s->history, sizeof s->history, "ShADadFf");
    s->state = "SF";
    s->end = FLOW_END_FIN;
    snprintf(s->community_id, sizeof s->community_id, "1:test");
    s->pos = pos;
    s->pos_len = pos_len;
}

static int count_rows(void *ctx, const struct session_row *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static const uint8_t ident_a[32] = {1}, ident_b[32] = {2};

TEST(store_packets_roundtrip_and_rotation)
{
    const char *dir = t_tmpdir();
    struct store *st = open_store(dir, 4096);
    ASSERT_TRUE(st != NULL);
    int64_t id;
    ASSERT_EQ(store_ingest_begin(st, ident_a, "a.pcap", "pcap", "none", &id), 0);
    uint8_t data[1500];
    uint64_t pos[12];
    for (int i = 0; i < 12; i++) {
        struct packet p = mkpkt(data, 1000 + (uint32_t)i, T0 + i, i % 3 == 0 ? 113 : 1, (uint8_t)i);
        ASSERT_EQ(store_pkt_write(st, id, &p, &pos[i]), 0);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE, .packets = 12};
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
    /* 4 KiB segments hold 3 records of ~1 KiB: the ethernet packets span several files. */
    ASSERT_NE(POS_SEG(pos[1]), POS_SEG(pos[11]));
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 12; i++) {
        struct packet p;
        uint8_t want[1500];
        memset(want, i, sizeof want);
        ASSERT_EQ(store_pkt_read(st, pos[i], &p, &b), 0);
        ASSERT_EQ(p.caplen, 1000 + i);
        ASSERT_EQ(p.wirelen, 1004 + i);
        ASSERT_EQ(p.ts_ns, T0 + i);
        ASSERT_EQ(p.linktype, i % 3 == 0 ? 113 : 1);
        ASSERT_MEM_EQ(p.data, want, p.caplen);
    }
    buf_release(&b);
    store_close(st);
}

TEST(store_files_are_private)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/s", t_tmpdir());
    struct store *st = open_store(dir, 0);
    ASSERT_TRUE(st != NULL);
    int64_t id;
    ASSERT_EQ(store_ingest_begin(st, ident_a, "a.pcap", "pcap", "none", &id), 0);
    uint8_t data[100];
    struct packet p = mkpkt(data, sizeof data, T0, 1, 0);
    uint64_t pos;
    ASSERT_EQ(store_pkt_write(st, id, &p, &pos), 0);
    struct session_rec s;
    mksession(&s, 5, T0, T0, (const uint8_t *)"\x01", 1);
    ASSERT_EQ(store_session_add(st, id, &s), 0);
    struct ingest_progress pr = {.status = INGEST_COMPLETE, .packets = 1};
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
    store_close(st);
    struct stat sb;
    char path[700];
    ASSERT_EQ(stat(dir, &sb), 0);
    ASSERT_EQ(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    ASSERT_EQ(stat(path, &sb), 0);
    ASSERT_EQ(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/meta/20231114.db", dir);
    ASSERT_EQ(stat(path, &sb), 0);
    ASSERT_EQ(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/pcap/%010u.pcap", dir, POS_SEG(pos));
    ASSERT_EQ(stat(path, &sb), 0);
    ASSERT_EQ(sb.st_mode & 0777, 0600);
}

TEST(store_partitions_pruned_by_time)
{
    const char *dir = t_tmpdir();
    struct store *st = open_store(dir, 0);
    ASSERT_TRUE(st != NULL);
    int64_t id;
    ASSERT_EQ(store_ingest_begin(st, ident_a, "a.pcap", "pcap", "none", &id), 0);
    struct session_rec s;
    /* Days 0, 1, 2 after T0; the day-1 session lasts into day 2. */
    for (int d = 0; d < 3; d++) {
        mksession(&s, (uint64_t)(100 + d), T0 + d * DAY_NS, T0 + d * DAY_NS + (d == 1) * DAY_NS,
                  (const uint8_t *)"\x02", 1);
        ASSERT_EQ(store_session_add(st, id, &s), 0);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE};
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
    store_close(st);
    /* Written again by a later run (as a resumed run after a crash would): still one row. */
    st = open_store(dir, 0);
    ASSERT_TRUE(st != NULL);
    ASSERT_EQ(store_ingest_begin(st, ident_b, "b.pcap", "pcap", "none", &id), 0);
    ASSERT_EQ(store_session_add(st, id, &s), 0);
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);

    int n = 0;
    unsigned opened = 0;
    struct store_query q = {.since_ns = INT64_MIN, .until_ns = INT64_MAX};
    ASSERT_EQ(store_query_run(st, &q, count_rows, &n, &opened), 0);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(opened, 3);
    /* Only day 0's partition overlaps [T0, T0 + 1h]. */
    n = 0;
    q.since_ns = T0;
    q.until_ns = T0 + 3600LL * 1000000000;
    ASSERT_EQ(store_query_run(st, &q, count_rows, &n, &opened), 0);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(opened, 1);
    /* The instant day 1's long session ends and day 2's starts: both days are opened. */
    n = 0;
    q.since_ns = T0 + 2 * DAY_NS;
    q.until_ns = T0 + 2 * DAY_NS;
    ASSERT_EQ(store_query_run(st, &q, count_rows, &n, &opened), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(opened, 2);
    q.limit = 2;
    q.since_ns = INT64_MIN;
    q.until_ns = INT64_MAX;
    n = 0;
    ASSERT_EQ(store_query_run(st, &q, count_rows, &n, &opened), 0);
    ASSERT_EQ(n, 2);
    store_close(st);
}

TEST(store_replay_rebuilds_positions_and_truncates)
{
    const char *dir = t_tmpdir();
    struct store *st = open_store(dir, 8192);
    ASSERT_TRUE(st != NULL);
    int64_t id;
    ASSERT_EQ(store_ingest_begin(st, ident_b, "b.pcap", "pcap", "none", &id), 0);
    uint8_t data[1500];
    uint64_t first[20], again[20];
    for (int i = 0; i < 20; i++) {
        struct packet p = mkpkt(data, 700, T0 + i, 1, (uint8_t)i);
        ASSERT_EQ(store_pkt_write(st, id, &p, &first[i]), 0);
        if (i == 11) {
            struct ingest_progress pr = {.status = INGEST_PARTIAL, .packets = 12};
            ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
        }
    }
    /* Crash: buffers of packets 12..19 may or may not be on disk; nothing recorded. */
    store_close(st);

    st = open_store(dir, 8192);
    ASSERT_TRUE(st != NULL);
    struct ingest_info info;
    ASSERT_EQ(store_ingest_find(st, ident_b, &info), 0);
    ASSERT_EQ(info.status, INGEST_PARTIAL);
    ASSERT_EQ(info.packets, 12);
    ASSERT_EQ(store_replay_begin(st, info.id), 0);
    for (int i = 0; i < 20; i++) {
        if (i == 12)
            store_replay_end(st);
        struct packet p = mkpkt(data, 700, T0 + i, 1, (uint8_t)(i + 100));
        ASSERT_EQ(store_pkt_write(st, id, &p, &again[i]), 0);
        ASSERT_EQ(again[i], first[i]);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE, .packets = 20};
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
    /* Replayed packets were not rewritten; packets after the checkpoint are the new ones. */
    struct buf b;
    buf_init(&b, 1 << 20);
    struct packet p;
    ASSERT_EQ(store_pkt_read(st, first[3], &p, &b), 0);
    ASSERT_EQ(p.data[0], 3);
    ASSERT_EQ(store_pkt_read(st, first[15], &p, &b), 0);
    ASSERT_EQ(p.data[0], 115);
    buf_release(&b);
    store_close(st);
}

TEST(store_readonly_missing)
{
    char dir[512], msg[256];
    snprintf(dir, sizeof dir, "%s/none", t_tmpdir());
    struct store *st;
    struct store_opts o = {.readonly = 1};
    ASSERT_EQ(store_open(&st, dir, &o, msg, sizeof msg), KS_ENOENT);
    ASSERT_TRUE(strstr(msg, "no konseki store") != NULL);
}

static int64_t day_scalar(const char *dir, int day, const char *sql)
{
    char path[700];
    snprintf(path, sizeof path, "%s/meta/%08d.db", dir, day);
    sqlite3 *db;
    sqlite3_stmt *q;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return v;
}

/*
 * Each distinct (path, value, id) of the records gets exactly one `fields` row, whatever the
 * repetition (in a record, across records) and the order sessions arrive in: values that share
 * their first bytes, short and empty ones, two day files filled in turn, more than one writer
 * batch, more rows than wait for one flush.
 */
TEST(store_fields_rows_distinct_and_complete)
{
    const char *dir = t_tmpdir();
    struct store *st = open_store(dir, 0);
    ASSERT_TRUE(st != NULL);
    int64_t id;
    ASSERT_EQ(store_ingest_begin(st, ident_a, "a.pcap", "pcap", "none", &id), 0);
    enum { N = 5000 };
    int want3[2] = {0, 0}, wantb[2] = {0, 0}, wante[2] = {0, 0};
    for (int i = 1; i <= N; i++) {
        struct proto_out o;
        proto_out_init(&o, 0);
        char lng[32], sh[2] = {i % 3 ? (char)('a' + i % 3) : 0, 0}; /* "" too */
        snprintf(lng, sizeof lng, "prefix-common-%d", i % 7);
        want3[i % 2] += i % 7 == 3;
        wantb[i % 2] += i % 3 == 1;
        wante[i % 2] += i % 3 == 0;
        for (int r = 0; r < 2; r++) {
            proto_begin(&o, "t");
            proto_cstr(&o, "t.name", "example.com");
            proto_cstr(&o, "t.name", "example.com");
            proto_cstr(&o, "t.long", lng);
            proto_cstr(&o, "t.long", r ? "prefix-common-x" : lng);
            proto_cstr(&o, "t.short", sh);
            proto_int(&o, "t.num", i % 5);
            for (int k = 0; i % 2 == 0 && k < 16; k++) /* day 0: over 64 Ki values a batch */
                proto_int(&o, "t.tag", k);
            proto_end(&o);
        }
        struct session_rec s;
        int64_t t = T0 + (i % 2) * DAY_NS + i;
        mksession(&s, (uint64_t)(N + 1 - i), t, t, (const uint8_t *)"\x01", 1);
        s.recs = o.recs;
        s.nrecs = o.nrecs;
        ASSERT_EQ(store_session_add(st, id, &s), 0);
        o.nrecs = 0; /* the store owns them now */
        proto_out_release(&o);
    }
    struct ingest_progress pr = {.status = INGEST_COMPLETE};
    ASSERT_EQ(store_checkpoint(st, id, &pr), 0);
    store_close(st);
    for (int d = 0; d < 2; d++) {
        int day = d ? 20231115 : 20231114;
        /* per session: t.name 1, t.long 2, t.short 1, t.num 1 (and t.tag 16 on day 0) */
        ASSERT_EQ(day_scalar(dir, day, "SELECT count(*) FROM fields"), (d ? 5 : 21) * (N / 2));
        ASSERT_EQ(day_scalar(dir, day, "SELECT count(DISTINCT id) FROM fields"), N / 2);
        ASSERT_EQ(day_scalar(dir, day,
                             "SELECT count(*) FROM fields JOIN paths USING(pid) "
                             "WHERE path = 't.long' AND value = 'prefix-common-3'"),
                  want3[d]);
        ASSERT_EQ(day_scalar(dir, day,
                             "SELECT count(*) FROM fields JOIN paths USING(pid) "
                             "WHERE path = 't.long' AND value = 'prefix-common-x'"),
                  N / 2);
        ASSERT_EQ(day_scalar(dir, day,
                             "SELECT count(*) FROM fields JOIN paths USING(pid) "
                             "WHERE path = 't.short' AND value = 'b'"),
                  wantb[d]);
        ASSERT_EQ(day_scalar(dir, day,
                             "SELECT count(*) FROM fields JOIN paths USING(pid) "
                             "WHERE path = 't.short' AND value = ''"),
                  wante[d]);
        ASSERT_EQ(day_scalar(dir, day, "SELECT count(*) FROM records"), 2 * (N / 2));
        ASSERT_EQ(day_scalar(dir, day, "PRAGMA page_size"), 16384);
    }
}
