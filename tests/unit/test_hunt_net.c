/* The network hunts' pure helpers (src/hunt/netlib.h). */
#include "t.h"

#include "core/addr.h"
#include "hunt/netlib.h"

#include <stdio.h>

static void ip4(uint8_t ip[16], int a, int b, int c, int d)
{
    const uint8_t v4[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
    addr_to16(4, v4, ip);
}

TEST(hunt_net_zone_private)
{
    uint8_t ip[16];
    char z[48];
    ip4(ip, 10, 50, 1, 23);
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 1);
    ASSERT_STR_EQ(z, "10.50/16");
    ip4(ip, 10, 1, 1, 20);
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 1);
    ASSERT_STR_EQ(z, "10.1/16");
    ip4(ip, 172, 31, 0, 1);
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 1);
    ASSERT_STR_EQ(z, "172.31/16");
    ip4(ip, 172, 32, 0, 1); /* just outside 172.16.0.0/12 */
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 0);
    ip4(ip, 100, 64, 0, 1); /* RFC 6598 */
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 1);
    ip4(ip, 100, 128, 0, 1);
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 0);
    ip4(ip, 192, 168, 7, 1);
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 1);
    ASSERT_STR_EQ(z, "192.168/16");
    ip4(ip, 8, 8, 8, 8);
    ASSERT_EQ(hnet_zone_private(ip, z, sizeof z), 0);
    uint8_t ula[16] = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1};
    ASSERT_EQ(hnet_zone_private(ula, z, sizeof z), 1);
    ASSERT_STR_EQ(z, "fd12:3456:789a::/48");
    uint8_t gua[16] = {0x20, 0x01, 0x0d, 0xb8};
    ASSERT_EQ(hnet_zone_private(gua, z, sizeof z), 0);
}

TEST(hunt_net_list_add_caps)
{
    char l[24] = "";
    hnet_list_add(l, sizeof l, "10.1.1.10:445");
    ASSERT_STR_EQ(l, "10.1.1.10:445");
    hnet_list_add(l, sizeof l, "a");
    ASSERT_STR_EQ(l, "10.1.1.10:445, a");
    /* does not fit: the list ends in ", …" and stays that way */
    hnet_list_add(l, sizeof l, "10.1.1.20:3389");
    ASSERT_STR_EQ(l, "10.1.1.10:445, a, \xe2\x80\xa6");
    hnet_list_add(l, sizeof l, "b");
    ASSERT_STR_EQ(l, "10.1.1.10:445, a, \xe2\x80\xa6");
    char tiny[6] = "";
    hnet_list_add(tiny, sizeof tiny, "longer than six");
    ASSERT_STR_EQ(tiny, "\xe2\x80\xa6");
}

TEST(hunt_net_ports_json_and_names)
{
    struct hnet_ports p = {{22, 445, 3389}, 3};
    char j[64];
    hnet_ports_json(&p, j, sizeof j);
    ASSERT_STR_EQ(j, "[22,445,3389]");
    ASSERT_EQ(hnet_ports_has(&p, 445), 1);
    ASSERT_EQ(hnet_ports_has(&p, 80), 0);
    struct hnet_ports none = {{0}, 0};
    hnet_ports_json(&none, j, sizeof j);
    ASSERT_STR_EQ(j, "[]");
    ASSERT_STR_EQ(hnet_port_attack(445), "T1021.002");
    ASSERT_STR_EQ(hnet_port_attack(3389), "T1021.001");
    ASSERT_STR_EQ(hnet_port_attack(5986), "T1021.006");
    ASSERT_STR_EQ(hnet_port_attack(80), "");
    ASSERT_STR_EQ(hnet_port_name(22), "SSH");
}

TEST(hunt_net_fmt_time)
{
    char t[32];
    hnet_fmt_time((int64_t)1709733600 * 1000000000, t, sizeof t);
    ASSERT_STR_EQ(t, "2024-03-06 14:00Z");
}

TEST(hunt_net_items_in_time_order)
{
    struct hnet_items it = {0};
    struct hunt_result r = {0};
    char list[64] = "";
    hnet_items_add(&it, 30, 3, "c:3389");
    hnet_items_add(&it, 10, 1, "a:445");
    hnet_items_add(&it, 20, 2, "b:445");
    hnet_items_finish(&it, list, sizeof list, &r);
    ASSERT_STR_EQ(list, "a:445, b:445, c:3389");
    ASSERT_EQ(r.nevents, 3);
    ASSERT_EQ(r.events[0], 1);
    ASSERT_EQ(r.events[2], 3);
    /* past HNET_ITEMS: counted and closed with "…" */
    struct hnet_items many = {0};
    struct hunt_result r2 = {0};
    char l2[512] = "";
    for (int i = 0; i < HNET_ITEMS + 3; i++)
        hnet_items_add(&many, HNET_ITEMS + 3 - i, (uint64_t)i + 1, "x");
    ASSERT_EQ(many.n, HNET_ITEMS);
    ASSERT_EQ(many.more, 3);
    hnet_items_finish(&many, l2, sizeof l2, &r2);
    ASSERT_EQ(r2.nevents, HNET_ITEMS);
    ASSERT_EQ(r2.events[0], HNET_ITEMS); /* the earliest kept */
    size_t n = strlen(l2);
    ASSERT_TRUE(n > 3 && strcmp(l2 + n - 3, "\xe2\x80\xa6") == 0);
}
