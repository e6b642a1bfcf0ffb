/* test_proto_ssh.c — SSH banners, KEXINIT and HASSH: corpus captures and hand-built streams. */
#include "proto/ssh.h"
#include "t.h"
#include "t_feed.h"

#include <stdio.h>

/* One record from a capture of one SSH session on port 22. */
static int ssh_capture(const char *rel, struct proto_out *o, struct t_feed *res)
{
    proto_out_init(o, 0);
    if (t_feed_run(&proto_ssh, rel, 22, o, res) < 0) {
        proto_out_release(o);
        t_skip("corpus absent");
        return -1;
    }
    return 0;
}

TEST(proto_ssh_corpus_curve25519)
{
    struct proto_out o;
    struct t_feed res;
    if (ssh_capture("zeek/testing/btest/Traces/ssh/ssh_kex_curve25519.pcap", &o, &res) < 0)
        return;
    /* zeek ssh.log: client=SSH-2.0-OpenSSH_7.4 server=SSH-2.0-OpenSSH_7.5 version=2;
     * tshark ssh.kex.hassh / hasshserver: 0df0d56b… / a95c22bf… */
    ASSERT_EQ(res.sessions, 1);
    ASSERT_EQ(res.probe[0], PROTO_CONTENT);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(o.recs[0].type, "ssh");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.version"), "2.0");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.software"), "SSH-2.0-OpenSSH_7.4");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.software"), "SSH-2.0-OpenSSH_7.5");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.hassh"), "0df0d56bb50c6b2426d8d40234bf1826");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.hassh"), "a95c22bf8e9b19ed0a5dc74bb2f9c613");
    /* zeek's negotiated kex_alg=curve25519-sha256 is the client's first choice */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.kex_algorithms"), "curve25519-sha256");
    ASSERT_EQ(o.nanom, 0);
    proto_out_release(&o);
}

TEST(proto_ssh_corpus_server_pre_banner)
{
    struct proto_out o;
    struct t_feed res;
    if (ssh_capture("zeek/testing/btest/Traces/ssh/server-pre-banner-data.pcap", &o, &res) < 0)
        return;
    /* zeek ssh.log: client=SSH-2.0-OpenSSH_9.7 server=SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5;
     * tshark: hassh 7994d3e8… (it finds no server KEXINIT behind the ASCII art, so there is
     * no oracle for the server's HASSH; we check its string against the hash instead) */
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_EQ(res.probe[0], PROTO_CONTENT);
    ASSERT_EQ(res.probe[1], PROTO_PORT); /* the server starts with its pre-banner lines */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.software"), "SSH-2.0-OpenSSH_9.7");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.software"),
                  "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.hassh"), "7994d3e86b804f8317899f8b2eeb1059");
    const char *sh = proto_out_get(&o, 0, "ssh.server.hassh");
    ASSERT_TRUE(sh != NULL && strlen(sh) == 32);
    const char *hs = proto_out_get(&o, 0, "ssh.server.hassh_string");
    ASSERT_TRUE(hs != NULL && strstr(hs, "sntrup761x25519-sha512@openssh.com") != NULL);
    ASSERT_TRUE(strstr(hs, ";aes192-ctr") != NULL || strstr(hs, ",aes192-ctr") != NULL);
    ASSERT_EQ(proto_out_anomaly(&o, "ssh.no_banner"), 0);
    proto_out_release(&o);
}

TEST(proto_ssh_corpus_arkime_ssh2)
{
    struct proto_out o;
    struct t_feed res;
    if (ssh_capture("arkime/tests/pcap/ssh2.pcap", &o, &res) < 0)
        return;
    /* arkime ssh2.test: ssh.version=ssh-1.99-openssh_3.9p1|ssh-2.0-openssh_5.3 (lowercased),
     * hassh=21b457a3…, hasshServer=f430cd67…; tshark agrees.  The MANIFEST calls the 1.99 side
     * the client, but the capture (and tshark) show port 22 sending SSH-1.99-OpenSSH_3.9p1. */
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.version"), "2.0");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.software"), "SSH-2.0-OpenSSH_5.3");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.software"), "SSH-1.99-OpenSSH_3.9p1");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.hassh"), "21b457a327ce7a2d4fce5ef2c42400bd");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.hassh"), "f430cd6761697a6a658ee1d45ed22e49");
    proto_out_release(&o);
}

TEST(proto_ssh_corpus_ja4_pcapng)
{
    struct proto_out o;
    struct t_feed res;
    if (ssh_capture("ja4/pcap/ssh.pcapng", &o, &res) < 0)
        return;
    /* FoxIO ja4 snapshot: hassh 06046964…, hassh_server 699519fd…, and both protocol lines */
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.software"),
                  "SSH-2.0-OpenSSH_7.6p1 Ubuntu-4ubuntu0.5");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.software"),
                  "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.hassh"), "06046964c022c6407d15a27b12a6a4fb");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.hassh"), "699519fdcc30cbcd093d5cd01e4b1d56");
    proto_out_release(&o);
}

/* ---------------------------------------------------------------- hand-built */

static void put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t put_list(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    put_u32be(p, (uint32_t)n);
    memcpy(p + 4, s, n);
    return 4 + n;
}

/* A KEXINIT packet with small lists; returns its length. */
static size_t kexinit(uint8_t *p, const char *enc, const char *mac)
{
    size_t o = 5;
    p[o++] = 20;
    memset(p + o, 0xaa, 16);
    o += 16;
    const char *lists[10] = {"curve25519-sha256,diffie-hellman-group14-sha256",
                             "ssh-ed25519",
                             enc,
                             "aes256-ctr",
                             mac,
                             "hmac-sha2-512",
                             "none",
                             "none,zlib",
                             "",
                             ""};
    for (int i = 0; i < 10; i++)
        o += put_list(p + o, lists[i]);
    p[o++] = 0;
    memset(p + o, 0, 4);
    o += 4;
    size_t pad = 8 - (o % 8);
    if (pad < 4)
        pad += 8;
    memset(p + o, 0, pad);
    o += pad;
    put_u32be(p, (uint32_t)(o - 4));
    p[4] = (uint8_t)pad;
    return o;
}

TEST(proto_ssh_handbuilt_byte_by_byte)
{
    static uint8_t cli[1024], srv[1024];
    size_t cn = 0, sn = 0;
    cn += (size_t)sprintf((char *)cli, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n");
    cn += kexinit(cli + cn, "aes128-ctr,aes256-gcm@openssh.com", "hmac-sha2-256");
    sn += (size_t)sprintf((char *)srv, "banner line one\r\nline two\nSSH-2.0-dropbear_2022.83\r\n");
    sn += kexinit(srv + sn, "chacha20-poly1305@openssh.com", "umac-64@openssh.com");
    struct t_piece pc[2048];
    size_t np = 0;
    for (size_t i = 0; i < cn || i < sn; i++) { /* one byte at a time, both sides interleaved */
        if (i < cn)
            pc[np++] = (struct t_piece){0, cli + i, 1};
        if (i < sn)
            pc[np++] = (struct t_piece){1, srv + i, 1};
    }
    struct proto_out o;
    proto_out_init(&o, 0);
    int stop = t_feed_pieces(&proto_ssh, 6, 22, pc, np, &o);
    ASSERT_EQ(stop, (int)np); /* done exactly with the last byte of the later KEXINIT */
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.software"), "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.software"), "SSH-2.0-dropbear_2022.83");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.hassh_string"),
                  "curve25519-sha256,diffie-hellman-group14-sha256;"
                  "aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none");
    /* the server's string takes the s2c lists */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.server.hassh_string"),
                  "curve25519-sha256,diffie-hellman-group14-sha256;aes256-ctr;hmac-sha2-512;"
                  "none,zlib");
    /* md5 of the client string, computed with `printf %s … | md5sum` */
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.hassh"), "b21aaabfc9d2e45bafeef69aa7e7fada");
    ASSERT_EQ(proto_out_count(&o, 0, "ssh.client.kex_algorithms"), 2);
    ASSERT_STR_EQ(proto_out_get_nth(&o, 0, "ssh.client.kex_algorithms", 1),
                  "diffie-hellman-group14-sha256");
    proto_out_release(&o);
}

TEST(proto_ssh_handbuilt_v1_and_oddities)
{
    /* SSH-1.5 client against a 1.99 server: version 1.5, no binary packets read */
    const char *c1 = "SSH-1.5-OpenSSH_6.2\n", *s1 = "SSH-1.99-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2\r\n";
    struct t_piece pc[] = {{1, (const uint8_t *)s1, strlen(s1)},
                           {0, (const uint8_t *)c1, strlen(c1)}};
    struct proto_out o;
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_ssh, 6, 22, pc, 2, &o), 2);
    ASSERT_EQ(o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.version"), "1.5");
    ASSERT_STR_EQ(proto_out_get(&o, 0, "ssh.client.software"), "SSH-1.5-OpenSSH_6.2");
    ASSERT_TRUE(proto_out_get(&o, 0, "ssh.client.hassh") == NULL);
    proto_out_release(&o);

    /* an overlong banner is cut at 255 bytes; a silly packet length stops that side */
    static uint8_t big[600];
    memcpy(big, "SSH-2.0-", 8);
    memset(big + 8, 'x', 400);
    memcpy(big + 408, "\r\n\xff\xff\xff\xff\x00", 7);
    const char *s2 = "SSH-2.0-x\r\n";
    struct t_piece pc2[] = {{0, big, 415}, {1, (const uint8_t *)s2, strlen(s2)}};
    proto_out_init(&o, 0);
    ASSERT_EQ(t_feed_pieces(&proto_ssh, 6, 22, pc2, 2, &o), 0);
    ASSERT_EQ(o.nrecs, 1); /* from end() */
    ASSERT_EQ(strlen(proto_out_get(&o, 0, "ssh.client.software")), 255);
    ASSERT_EQ(proto_out_anomaly(&o, "ssh.banner_too_long"), 1);
    ASSERT_EQ(proto_out_anomaly(&o, "ssh.bad_packet_length"), 1);
    proto_out_release(&o);

    /* a gap before the server's banner: the client's side alone */
    struct proto_out o2;
    proto_out_init(&o2, 0);
    static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    struct proto_ctx ctx = {4, 6, a, b, 40000, 22, 0};
    void *st = calloc(1, proto_ssh.state_size);
    ASSERT_TRUE(st != NULL);
    ASSERT_EQ(proto_ssh.data(st, &o2, &ctx, 0, (const uint8_t *)c1, strlen(c1)), 0);
    proto_ssh.gap(st, &o2, &ctx, 1, 100);
    ASSERT_EQ(proto_ssh.data(st, &o2, &ctx, 1, (const uint8_t *)s1, 4), 1);
    proto_ssh.end(st, &o2, &ctx);
    proto_ssh.release(st);
    free(st);
    ASSERT_EQ(o2.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&o2, 0, "ssh.version"), "1.5");
    ASSERT_TRUE(proto_out_get(&o2, 0, "ssh.server.software") == NULL);
    ASSERT_EQ(proto_out_anomaly(&o2, "ssh.gap"), 1);
    proto_out_release(&o2);
}

TEST(proto_ssh_probe)
{
    static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    struct proto_ctx c = {4, 6, a, b, 40000, 2222, 0};
    ASSERT_EQ(proto_ssh.probe(&c, 0, (const uint8_t *)"SSH-2.0-x\r\n", 11), PROTO_CONTENT);
    ASSERT_EQ(proto_ssh.probe(&c, 0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16), PROTO_NO);
    c.srv_port = 22;
    ASSERT_EQ(proto_ssh.probe(&c, 1, (const uint8_t *)"hello\r\n", 7), PROTO_PORT);
    ASSERT_EQ(proto_ssh.probe(&c, 1, (const uint8_t *)"SS", 2), PROTO_PORT);
}
