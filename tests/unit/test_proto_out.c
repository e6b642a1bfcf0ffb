/* test_proto_out.c — the record sink: paths, items, arrays, JSON, caps. */
#include "proto/proto.h"
#include "t.h"

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
