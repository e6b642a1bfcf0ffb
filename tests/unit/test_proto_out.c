/* test_proto_out.c — the record sink: paths, items, arrays, JSON, caps. */
#include "proto/proto.h"
#include "t.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

TEST(proto_out_json_items_and_arrays)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "dns");
    proto_int(&o, "dns.id", 4660);
    proto_cstr(&o, "dns.question.name", "example.com");
    proto_cstr(&o, "dns.header_flags", "RD");
    proto_cstr(&o, "dns.header_flags", "RA");
    proto_item_begin(&o, "dns.answers");
    proto_cstr(&o, "dns.answers.name", "example.com");
    proto_int(&o, "dns.answers.ttl", 30);
    proto_item_end(&o);
    proto_item_begin(&o, "dns.answers");
    proto_cstr(&o, "dns.answers.name", "a\"b\x01");
    proto_item_end(&o);
    proto_bool(&o, "dns.truncated", 0);
    proto_end(&o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].type, "dns");
    ASSERT_STR_EQ(o.recs[0].json,
                  "{\"dns\":{\"id\":4660,\"question\":{\"name\":\"example.com\"},"
                  "\"header_flags\":[\"RD\",\"RA\"],\"answers\":[{\"name\":\"example.com\","
                  "\"ttl\":30},{\"name\":\"a\\\"b\\\\x01\"}],\"truncated\":false}}");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "dns.answers.name"), "example.com");
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "dns.answers.name", 1), "a\"b\\x01");
    ASSERT_EQ(proto_out_count(&o, 0, "dns.header_flags"), 2);
    ASSERT_EQ(proto_out_find(&o, "dns", 0), 0);
    ASSERT_EQ(proto_out_find(&o, "http", 0), -1);
    proto_out_release(&o);
}

TEST(proto_out_nested_records_and_empty)
{
    struct proto_out o;
    proto_out_init(&o, 2);
    proto_begin(&o, "smb");
    proto_cstr(&o, "smb.share", "\\\\h\\IPC$");
    proto_begin(&o, "dcerpc");
    proto_cstr(&o, "dcerpc.interface.name", "svcctl");
    proto_end(&o);
    proto_begin(&o, "empty");
    proto_end(&o);
    proto_end(&o);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_STR_EQ(o.recs[0].type, "dcerpc");
    ASSERT_STR_EQ(o.recs[1].type, "smb");
    proto_begin(&o, "x");
    proto_cstr(&o, "x.y", "z");
    proto_end(&o);
    ASSERT_EQ(o.nrecs, 2);
    ASSERT_EQ(o.dropped_records, 1);
    ASSERT_EQ(proto_out_anomaly(&o, "proto.too_many_records"), 1);
    proto_out_release(&o);
}

TEST(proto_out_caps_and_bad_paths)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "t");
    char *big = malloc(70000);
    ASSERT_TRUE(big != NULL);
    memset(big, 'a', 70000);
    proto_str(&o, "t.big", big, 70000);
    free(big);
    proto_cstr(&o, "t.small", "ok");
    proto_item_begin(&o, "t.items");
    proto_cstr(&o, "u.wrong", "no");
    proto_item_end(&o);
    proto_end(&o);
    ASSERT_EQ(proto_out_anomaly(&o, "proto.record_too_big"), 1);
    ASSERT_EQ(proto_out_anomaly(&o, "proto.bad_item_path"), 0); /* dropped after overflow */
    ASSERT_EQ(o.nrecs, 0);
    proto_begin(&o, "t");
    proto_item_begin(&o, "t.items");
    proto_cstr(&o, "u.wrong", "no");
    proto_item_end(&o);
    proto_hex(&o, "t.hash", (const uint8_t *)"\x01\xab", 2);
    proto_end(&o);
    ASSERT_EQ(proto_out_anomaly(&o, "proto.bad_item_path"), 1);
    ASSERT_STR_EQ(o.recs[0].json, "{\"t\":{\"hash\":\"01ab\"}}");
    proto_out_release(&o);
}

/* One record of type t written to o; `big` adds many values so the pool's buffers grow. */
static void write_sample(struct proto_out *o, const char *t, int big)
{
    char path[32];
    snprintf(path, sizeof path, "%s.n", t);
    proto_begin(o, t);
    proto_int(o, path, big ? 123456789 : 7);
    for (int i = 0; big && i < 300; i++)
        proto_cstr(o, path, "a fairly long text value, so that strs grows past its start");
    proto_end(o);
}

TEST(proto_out_shared_pool)
{
    struct proto_pool *p = proto_pool_new();
    ASSERT_TRUE(p != NULL);
    struct proto_out a, b, own;
    proto_out_init(&a, 0);
    proto_out_init(&b, 0);
    proto_out_init(&own, 0);
    a.pool = b.pool = p;
    /* a record open in a while b writes whole records through the same pool */
    proto_begin(&a, "x");
    proto_cstr(&a, "x.first", "1");
    write_sample(&b, "y", 1);
    write_sample(&b, "y", 0);
    proto_cstr(&a, "x.second", "2");
    proto_end(&a);
    write_sample(&own, "y", 1);
    write_sample(&own, "y", 0);
    ASSERT_EQ(b.nrecs, 2);
    ASSERT_EQ(own.nrecs, 2);
    for (size_t i = 0; i < 2; i++) {
        ASSERT_STR_EQ(b.recs[i].json, own.recs[i].json);
        ASSERT_EQ(b.recs[i].nvals, own.recs[i].nvals);
    }
    ASSERT_EQ(b.recs[0].nvals, 301);
    ASSERT_STR_EQ(b.recs[1].json, "{\"y\":{\"n\":7}}");
    ASSERT_STR_EQ(a.recs[0].json, "{\"x\":{\"first\":\"1\",\"second\":\"2\"}}");
    /* one block: the values, their texts, the JSON and the type all live in mem */
    const struct proto_rec *r = &b.recs[0];
    ASSERT_TRUE(r->mem == (char *)r->vals);
    ASSERT_TRUE(r->json > r->mem && r->type > r->json);
    ASSERT_TRUE(r->vals[300].text > r->mem && r->vals[300].text < r->json);
    ASSERT_STR_EQ(r->type, "y");
    /* a sink released with a record still open gives its buffers back to the pool */
    proto_begin(&a, "z");
    proto_cstr(&a, "z.v", "1");
    proto_out_release(&a);
    proto_begin(&b, "z");
    proto_cstr(&b, "z.v", "2");
    proto_end(&b);
    ASSERT_STR_EQ(b.recs[2].json, "{\"z\":{\"v\":\"2\"}}");
    ASSERT_STR_EQ(b.recs[2].type, "z");
    proto_out_release(&b);
    proto_out_release(&own);
    proto_pool_free(p);
}

TEST(proto_out_text_numbers_and_value_key)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "t");
    proto_int(&o, "t.min", INT64_MIN);
    proto_int(&o, "t.max", INT64_MAX);
    proto_int(&o, "t.zero", 0);
    proto_int(&o, "t.neg", -42);
    proto_str(&o, "t.s",
              "ab\xc3\xa9\xff"
              "c\\d\x7f\"",
              10);
    proto_cstr(&o, "t.a", "1");
    proto_cstr(&o, "t.a.b", "2");
    proto_cstr(&o, "t.k\x01\"", "3"); /* a key is escaped as JSON too */
    proto_end(&o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "t.min"), "-9223372036854775808");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "t.max"), "9223372036854775807");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "t.s"), "ab\xc3\xa9\\xffc\\d\\x7f\"");
    ASSERT_EQ(o.recs[0].vals[0].num, INT64_MIN);
    ASSERT_STR_EQ(o.recs[0].json,
                  "{\"t\":{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                  "\"zero\":0,\"neg\":-42,\"s\":\"ab\xc3\xa9\\\\xffc\\\\d\\\\x7f\\\"\","
                  "\"a\":{\"b\":\"2\",\"value\":\"1\"},\"k\\u0001\\\"\":\"3\"}}");
    proto_out_release(&o);
}

TEST(proto_out_nested_items)
{
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "t");
    proto_item_begin(&o, "t.outer");
    proto_cstr(&o, "t.outer.name", "o1");
    proto_item_begin(&o, "t.outer.inner");
    proto_int(&o, "t.outer.inner.v", 1);
    proto_item_end(&o);
    proto_item_begin(&o, "t.outer.inner");
    proto_int(&o, "t.outer.inner.v", 2);
    proto_int(&o, "t.outer.inner.v", 3);
    proto_item_end(&o);
    proto_cstr(&o, "t.outer.tail", "after"); /* back in the outer element */
    proto_item_end(&o);
    proto_item_begin(&o, "t.outer");
    proto_cstr(&o, "t.outer.name", "o2");
    proto_item_end(&o);
    proto_cstr(&o, "t.top", "x");
    proto_end(&o);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].json, "{\"t\":{\"outer\":[{\"name\":\"o1\",\"inner\":[{\"v\":1},"
                                  "{\"v\":[2,3]}],\"tail\":\"after\"},{\"name\":\"o2\"}],"
                                  "\"top\":\"x\"}}");
    ASSERT_EQ(proto_out_count(&o, 0, "t.outer.inner.v"), 3);
    proto_out_release(&o);
}
