/*
 * test_proto_quic.c — QUIC Initial decryption: the RFC 9001 / RFC 9369 sample
 * packets step by step (keys, header protection, payload), the parser on them,
 * failures (wrong keys, truncation, hostile frames), a ClientHello spread over
 * several packets, and Chrome's Initials from the JA4 corpus capture.
 */
#include "decode/decode.h"
#include "proto/proto.h"
#include "proto/quic.h"
#include "t.h"
#include "t_pcap.h"
#include "core/rdr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 9001 §A.2 / RFC 9369 §A.2: the client's CRYPTO frame (the same in both). */
static const char kCrypto[] = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
                              "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
                              "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
                              "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
                              "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
                              "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
                              "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
                              "75300901100f088394c8f03e51570806048000ffff";
/* RFC 9001 §A.2: the protected client Initial (1200 bytes). */
static const char kClientV1[] = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
                                "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
                                "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
                                "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
                                "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
                                "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
                                "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
                                "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
                                "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
                                "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
                                "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
                                "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
                                "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
                                "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
                                "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
                                "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
                                "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
                                "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
                                "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
                                "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
                                "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
                                "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
                                "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
                                "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
                                "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
                                "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
                                "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
                                "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
                                "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
                                "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
                                "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
                                "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
                                "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
                                "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
                                "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
                                "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
                                "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
                                "e221af44860018ab0856972e194cd934";
/* RFC 9369 §A.2: the same ClientHello in a v2 Initial. */
static const char kClientV2[] = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
                                "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
                                "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
                                "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
                                "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
                                "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
                                "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
                                "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
                                "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
                                "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
                                "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
                                "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
                                "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
                                "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
                                "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
                                "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
                                "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
                                "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
                                "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
                                "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
                                "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
                                "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
                                "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
                                "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
                                "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
                                "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
                                "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
                                "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
                                "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
                                "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
                                "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
                                "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
                                "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
                                "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
                                "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
                                "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
                                "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
                                "a18b2faa745b6fe189cf772a9f84cbfc";
/* RFC 9001 §A.3 / RFC 9369 §A.3: the server's Initial payload (ACK + CRYPTO ServerHello). */
static const char kServerPlain[] =
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304";
static const char kServerV1[] = "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
                                "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
                                "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
                                "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
                                "2158407dd074ee";
static const char kServerV2[] = "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
                                "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
                                "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
                                "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
                                "4bed8521e2e140";

static const uint8_t kDcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void tohex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

#define ASSERT_HEX(b, n, want)                                                                     \
    do {                                                                                           \
        char h_[256];                                                                              \
        tohex((b), (n), h_);                                                                       \
        ASSERT_STR_EQ(h_, (want));                                                                 \
    } while (0)

/* One parser session: state, context and a sink. */
struct sess {
    void *st;
    struct proto_ctx c;
    struct proto_out o;
};

static void sess_init(struct sess *s, uint16_t cport)
{
    static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    s->st = calloc(1, proto_quic.state_size);
    memset(&s->c, 0, sizeof s->c);
    s->c.ipver = 4;
    s->c.l4 = 17;
    s->c.cli_addr = a;
    s->c.srv_addr = b;
    s->c.cli_port = cport;
    s->c.srv_port = 443;
    proto_out_init(&s->o, 0);
}

static int sess_feed(struct sess *s, int dir, const uint8_t *d, size_t n)
{
    /* exact-size heap copy so ASan sees reads past the datagram */
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, d, n);
    int rc = proto_quic.data(s->st, &s->o, &s->c, dir, c, n);
    free(c);
    return rc;
}

static void sess_end(struct sess *s)
{
    proto_quic.end(s->st, &s->o, &s->c);
}

static void sess_free(struct sess *s)
{
    proto_quic.release(s->st);
    free(s->st);
    proto_out_release(&s->o);
}

/* ---------------------------------------------------------------- RFC sample packets */

/* RFC 9001 §A.1 and RFC 9369 §A.1: key, iv and hp of each side for the sample DCID. */
TEST(quic_keys_rfc9001_rfc9369_a1)
{
    static const struct {
        uint32_t version;
        int server;
        const char *key, *iv, *hp;
    } v[] = {
        {QUIC_VERSION_1, 0, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
         "9f50449e04a0e810283a1e9933adedd2"},
        {QUIC_VERSION_1, 1, "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e",
         "c206b8d9b9f0f37644430b490eeaa314"},
        {QUIC_VERSION_2, 0, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
         "45b95e15235d6f45a6b19cbcb0294ba9"},
        {QUIC_VERSION_2, 1, "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652",
         "edf6d05c83121201b436e16877593c3a"},
    };
    struct quic_keys k;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ASSERT_EQ(quic_initial_keys(v[i].version, kDcid, 8, v[i].server, &k), 0);
        ASSERT_HEX(k.key, 16, v[i].key);
        ASSERT_HEX(k.iv, 12, v[i].iv);
        ASSERT_HEX(k.hp, 16, v[i].hp);
    }
    ASSERT_EQ(quic_initial_keys(0xff00001d, kDcid, 8, 0, &k), -5 /* KS_EINVAL */);
}

/* Parse, unprotect and check one RFC client Initial (v1 or v2). */
static void check_client_initial(uint32_t version, const char *hex, uint8_t want_first)
{
    uint8_t pkt[1200], plain[1200], crypto[245];
    ASSERT_EQ(unhex(hex, pkt, sizeof pkt), 1200);
    ASSERT_EQ(unhex(kCrypto, crypto, sizeof crypto), 245);
    struct quic_long h;
    ASSERT_EQ(quic_parse_long(pkt, sizeof pkt, &h), 0);
    ASSERT_EQ(h.version, version);
    ASSERT_EQ(h.type, QUIC_PT_INITIAL);
    ASSERT_EQ(h.dcid_len, 8);
    ASSERT_MEM_EQ(h.dcid, kDcid, 8);
    ASSERT_EQ(h.scid_len, 0);
    ASSERT_EQ(h.token_len, 0);
    ASSERT_EQ(h.pn_off, 18); /* Length 0x449e = 1182 follows the empty token */
    ASSERT_EQ(h.len, 1200);

    struct quic_keys k;
    ASSERT_EQ(quic_initial_keys(version, h.dcid, h.dcid_len, 0, &k), 0);
    struct quic_plain pl;
    ASSERT_EQ(quic_unprotect(pkt, &h, &k, -1, &pl, plain), 0);
    /* header protection removed: the RFC's unprotected header c3/d3 … 00000002 */
    ASSERT_EQ(pl.first, want_first);
    ASSERT_EQ(pl.pn_len, 4);
    ASSERT_EQ(pl.pn, 2);
    ASSERT_EQ(pl.len, 1162);
    /* the exact CRYPTO frame (type 6, offset 0, length 241, the ClientHello), then PADDING */
    ASSERT_MEM_EQ(plain, crypto, 245);
    ASSERT_EQ(plain[4], 0x01); /* handshake type client_hello */
    for (size_t i = 245; i < pl.len; i++)
        ASSERT_EQ(plain[i], 0);
}

TEST(quic_rfc9001_client_initial_decrypts)
{
    check_client_initial(QUIC_VERSION_1, kClientV1, 0xc3);
}

TEST(quic_rfc9369_client_initial_decrypts)
{
    check_client_initial(QUIC_VERSION_2, kClientV2, 0xd3);
}

/* The server's Initial: a 2-byte packet number, ACK + CRYPTO(ServerHello), no padding. */
static void check_server_initial(uint32_t version, const char *hex, uint8_t want_first)
{
    uint8_t pkt[200], plain[200], want[99];
    size_t n = unhex(hex, pkt, sizeof pkt);
    ASSERT_EQ(n, 135);
    ASSERT_EQ(unhex(kServerPlain, want, sizeof want), 99);
    struct quic_long h;
    ASSERT_EQ(quic_parse_long(pkt, n, &h), 0);
    ASSERT_EQ(h.type, QUIC_PT_INITIAL);
    ASSERT_EQ(h.dcid_len, 0);
    ASSERT_EQ(h.scid_len, 8);
    ASSERT_HEX(h.scid, 8, "f067a5502a4262b5");
    struct quic_keys k;
    ASSERT_EQ(quic_initial_keys(version, kDcid, 8, 1, &k), 0);
    struct quic_plain pl;
    ASSERT_EQ(quic_unprotect(pkt, &h, &k, -1, &pl, plain), 0);
    ASSERT_EQ(pl.first, want_first);
    ASSERT_EQ(pl.pn_len, 2);
    ASSERT_EQ(pl.pn, 1);
    ASSERT_EQ(pl.len, 99);
    ASSERT_MEM_EQ(plain, want, 99);
    /* the client's keys do not open it */
    ASSERT_EQ(quic_initial_keys(version, kDcid, 8, 0, &k), 0);
    ASSERT_EQ(quic_unprotect(pkt, &h, &k, -1, &pl, plain), -10 /* KS_ECORRUPT */);
}

TEST(quic_rfc9001_server_initial_decrypts)
{
    check_server_initial(QUIC_VERSION_1, kServerV1, 0xc1);
}

TEST(quic_rfc9369_server_initial_decrypts)
{
    check_server_initial(QUIC_VERSION_2, kServerV2, 0xd1);
}

/* quic_initial_protect rebuilds the RFC packets byte for byte. */
static void check_protect(uint32_t version, const char *hex)
{
    uint8_t want[1200], frames[1162], out[1300];
    ASSERT_EQ(unhex(hex, want, sizeof want), 1200);
    memset(frames, 0, sizeof frames);
    ASSERT_EQ(unhex(kCrypto, frames, sizeof frames), 245);
    struct quic_keys k;
    ASSERT_EQ(quic_initial_keys(version, kDcid, 8, 0, &k), 0);
    long n = quic_initial_protect(version, &k, kDcid, 8, NULL, 0, 2, 4, frames, sizeof frames, out,
                                  sizeof out);
    ASSERT_EQ(n, 1200);
    ASSERT_MEM_EQ(out, want, 1200);
    ASSERT_EQ(quic_initial_protect(version, &k, kDcid, 8, NULL, 0, 2, 4, frames, sizeof frames, out,
                                   1199),
              -9 /* KS_ELIMIT */);
}

TEST(quic_protect_rebuilds_rfc_packets)
{
    check_protect(QUIC_VERSION_1, kClientV1);
    T_STOP_IF_FAILED();
    check_protect(QUIC_VERSION_2, kClientV2);
}

TEST(quic_varint_rfc9000_a1)
{
    /* RFC 9000 §A.1's examples */
    static const uint8_t b[] = {0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c, 0x9d,
                                0x7f, 0x3e, 0x7d, 0x40, 0x25, 0x25, 0x7b, 0xbd};
    struct rdr r;
    rdr_init(&r, b, sizeof b);
    ASSERT_TRUE(quic_varint(&r) == 151288809941952652ull);
    ASSERT_EQ(quic_varint(&r), 494878333);
    ASSERT_EQ(quic_varint(&r), 37); /* 0x4025: two bytes for 37 */
    ASSERT_EQ(quic_varint(&r), 37);
    ASSERT_EQ(quic_varint(&r), 15293);
    ASSERT_TRUE(rdr_ok(&r));
    ASSERT_EQ(rdr_left(&r), 0);
    quic_varint(&r);
    ASSERT_TRUE(!rdr_ok(&r));
}

/* ---------------------------------------------------------------- the parser */

static void check_parser_on(const char *hex, const char *want_version)
{
    uint8_t pkt[1200];
    ASSERT_EQ(unhex(hex, pkt, sizeof pkt), 1200);
    struct proto_ctx c = {0};
    c.l4 = 17;
    c.srv_port = 4433;
    ASSERT_EQ(proto_quic.probe(&c, PROTO_DIR_CLIENT, pkt, sizeof pkt), PROTO_CONTENT);
    struct sess s;
    sess_init(&s, 50000);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), 1); /* done: one record */
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(s.o.recs[0].type, "quic");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.version"), want_version);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.dcid"), "8394c8f03e515708");
    ASSERT_TRUE(proto_out_get(&s.o, 0, "quic.scid") == NULL); /* zero-length SCID */
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "tls.client.server_name"), "example.com");
    /* JA4 part a worked out by hand from the RFC ClientHello (JA4.md): QUIC, TLS 1.3
       (supported_versions 0304), SNI present, 2 ciphers, 11 extensions, ALPN "alpn" */
    const char *ja4 = proto_out_get(&s.o, 0, "tls.client.ja4");
    ASSERT_TRUE(ja4 != NULL);
    ASSERT_EQ(strncmp(ja4, "q13d0211an_", 11), 0);
    ASSERT_EQ(strlen(ja4), 36);
    ASSERT_EQ(s.o.nanom, 0);
    sess_end(&s);
    ASSERT_EQ(s.o.nrecs, 1);
    sess_free(&s);
}

TEST(quic_parser_rfc9001_client_hello)
{
    check_parser_on(kClientV1, "1");
}

TEST(quic_parser_rfc9369_client_hello)
{
    check_parser_on(kClientV2, "2");
}

TEST(quic_parser_wrong_dcid_fails_cleanly)
{
    uint8_t pkt[1200];
    ASSERT_EQ(unhex(kClientV1, pkt, sizeof pkt), 1200);
    pkt[6] ^= 0x01; /* first DCID byte: other keys */
    struct sess s;
    sess_init(&s, 50001);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), 0);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.decrypt_failed"), 1);
    ASSERT_EQ(s.o.nrecs, 0);
    /* the session still gets its record, without TLS fields */
    sess_end(&s);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.version"), "1");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.dcid"), "8294c8f03e515708");
    ASSERT_TRUE(proto_out_get(&s.o, 0, "tls.client.server_name") == NULL);
    sess_free(&s);

    /* after 8 Initials that do not decrypt the session stops trying */
    sess_init(&s, 50015);
    for (int i = 1; i <= 8; i++)
        ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), i == 8);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.decrypt_failed"), 8);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), 1);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.decrypt_failed"), 8);
    sess_free(&s);

    /* one flipped ciphertext bit fails the tag the same way */
    ASSERT_EQ(unhex(kClientV1, pkt, sizeof pkt), 1200);
    pkt[700] ^= 0x40;
    sess_init(&s, 50002);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), 0);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.decrypt_failed"), 1);
    sess_free(&s);
}

TEST(quic_parser_truncated_packets)
{
    uint8_t pkt[1200];
    ASSERT_EQ(unhex(kClientV1, pkt, sizeof pkt), 1200);
    static const size_t cuts[] = {1, 5, 6, 13, 15, 16, 17, 18, 30, 600, 1199};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        struct quic_long h;
        ASSERT_EQ(quic_parse_long(pkt, cuts[i], &h), -4 /* KS_ETRUNC */);
        struct sess s;
        sess_init(&s, 50003);
        ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, cuts[i]), 0);
        ASSERT_EQ(proto_out_anomaly(&s.o, "quic.truncated"), 1);
        sess_end(&s);
        ASSERT_EQ(s.o.nrecs, 0);
        sess_free(&s);
    }
    /* a Length too short for the header protection sample */
    uint8_t small[] = {0xc0, 0, 0, 0, 1, 1, 0xaa, 0,  0,  0x10, 1,  2,  3,
                       4,    5, 6, 7, 8, 9, 10,   11, 12, 13,   14, 15, 16};
    struct quic_long h;
    ASSERT_EQ(quic_parse_long(small, sizeof small, &h), 0);
    struct quic_keys k;
    struct quic_plain pl;
    uint8_t out[64];
    ASSERT_EQ(quic_initial_keys(QUIC_VERSION_1, h.dcid, 1, 0, &k), 0);
    ASSERT_EQ(quic_unprotect(small, &h, &k, -1, &pl, out), -4);
    /* connection IDs over 20 bytes are not v1 */
    uint8_t big[64] = {0xc0, 0, 0, 0, 1, 21};
    ASSERT_EQ(quic_parse_long(big, sizeof big, &h), -3 /* KS_EFORMAT */);
    big[0] = 0x40; /* short header */
    ASSERT_EQ(quic_parse_long(big, sizeof big, &h), -3);
}

/* Append a CRYPTO frame (RFC 9000 §19.6) with 4-byte varints. */
static size_t crypto_frame(uint8_t *out, uint32_t off, const uint8_t *d, uint32_t n)
{
    out[0] = 0x06;
    out[1] = (uint8_t)(0x80 | off >> 24);
    out[2] = (uint8_t)(off >> 16);
    out[3] = (uint8_t)(off >> 8);
    out[4] = (uint8_t)off;
    out[5] = (uint8_t)(0x80 | n >> 24);
    out[6] = (uint8_t)(n >> 16);
    out[7] = (uint8_t)(n >> 8);
    out[8] = (uint8_t)n;
    memcpy(out + 9, d, n);
    return 9 + n;
}

/* A protected client Initial (RFC DCID, SCID 0x5c1d) with these frames; returns its length. */
static size_t make_initial(uint32_t version, uint64_t pn, const uint8_t *frames, size_t n,
                           uint8_t *out, size_t cap)
{
    static const uint8_t scid[2] = {0x5c, 0x1d};
    struct quic_keys k;
    if (quic_initial_keys(version, kDcid, 8, 0, &k))
        return 0;
    long len = quic_initial_protect(version, &k, kDcid, 8, scid, 2, pn, 2, frames, n, out, cap);
    return len > 0 ? (size_t)len : 0;
}

/* The RFC's ClientHello (241 bytes). */
static size_t rfc_hello(uint8_t *out)
{
    uint8_t fr[245];
    unhex(kCrypto, fr, sizeof fr);
    memcpy(out, fr + 4, 241);
    return 241;
}

TEST(quic_parser_client_hello_over_two_datagrams)
{
    uint8_t ch[241], fr[400], p1[600], p2[600];
    rfc_hello(ch);
    /* the second half first (Chrome sends CRYPTO out of order), with an ACK and a PING */
    size_t n = 0;
    fr[n++] = 0x01;
    n += crypto_frame(fr + n, 120, ch + 120, 121);
    size_t l1 = make_initial(QUIC_VERSION_1, 0, fr, n, p1, sizeof p1);
    n = 0;
    static const uint8_t ack[] = {0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}; /* 1 extra range */
    memcpy(fr, ack, sizeof ack);
    n += sizeof ack;
    n += crypto_frame(fr + n, 0, ch, 120);
    size_t l2 = make_initial(QUIC_VERSION_1, 1, fr, n, p2, sizeof p2);
    ASSERT_TRUE(l1 && l2);

    struct sess s;
    sess_init(&s, 50004);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, p1, l1), 0);
    ASSERT_EQ(s.o.nrecs, 0);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, p2, l2), 1);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.version"), "1");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.dcid"), "8394c8f03e515708");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.scid"), "5c1d");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "tls.client.server_name"), "example.com");
    ASSERT_EQ(s.o.nanom, 0);
    sess_free(&s);

    /* the same two packets coalesced in one v2 datagram, then a short header packet */
    uint8_t dg[1300];
    n = 0;
    fr[0] = 0x01;
    size_t fn = 1 + crypto_frame(fr + 1, 120, ch + 120, 121);
    n += make_initial(QUIC_VERSION_2, 0, fr, fn, dg, sizeof dg);
    fn = crypto_frame(fr, 0, ch, 120);
    n += make_initial(QUIC_VERSION_2, 1, fr, fn, dg + n, sizeof dg - n);
    memset(dg + n, 0x40, 40);
    n += 40;
    sess_init(&s, 50005);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, dg, n), 1);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.version"), "2");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "tls.client.server_name"), "example.com");
    sess_free(&s);
}

TEST(quic_parser_new_keys_after_retry)
{
    /* the first Initial (RFC DCID) carries half the ClientHello; after a Retry the
       client starts over with the server's connection ID, whose keys differ (§17.2.5) */
    static const uint8_t rcid[4] = {0x52, 0x45, 0x54, 0x52};
    uint8_t ch[241], fr[400], p1[600], p2[600];
    rfc_hello(ch);
    size_t fn = crypto_frame(fr, 0, ch, 100);
    size_t l1 = make_initial(QUIC_VERSION_1, 0, fr, fn, p1, sizeof p1);
    struct quic_keys k;
    ASSERT_EQ(quic_initial_keys(QUIC_VERSION_1, rcid, sizeof rcid, 0, &k), 0);
    fn = crypto_frame(fr, 0, ch, 241);
    long l2 = quic_initial_protect(QUIC_VERSION_1, &k, rcid, sizeof rcid, NULL, 0, 1, 1, fr, fn, p2,
                                   sizeof p2);
    ASSERT_TRUE(l1 > 0 && l2 > 0);
    struct sess s;
    sess_init(&s, 50016);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, p1, l1), 0);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, p2, (size_t)l2), 1);
    ASSERT_EQ(s.o.nanom, 0);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.dcid"), "8394c8f03e515708"); /* the first one */
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "tls.client.server_name"), "example.com");
    sess_free(&s);
}

TEST(quic_parser_large_client_hello_three_datagrams)
{
    /* the RFC ClientHello grown by a 3000-byte padding extension (21), like a
       post-quantum key share would grow it */
    enum { PAD = 3000, TOTAL = 241 + 4 + PAD };
    static uint8_t ch[TOTAL];
    rfc_hello(ch);
    size_t body = TOTAL - 4, ext = 192 + 4 + PAD;
    ch[1] = (uint8_t)(body >> 16);
    ch[2] = (uint8_t)(body >> 8);
    ch[3] = (uint8_t)body;
    ch[47] = (uint8_t)(ext >> 8);
    ch[48] = (uint8_t)ext;
    ch[241] = 0x00;
    ch[242] = 0x15;
    ch[243] = (uint8_t)(PAD >> 8);
    ch[244] = (uint8_t)PAD;
    memset(ch + 245, 0, PAD);

    static const uint32_t offs[] = {2200, 0, 1100}; /* sent in this order */
    struct sess s;
    sess_init(&s, 50006);
    for (int i = 0; i < 3; i++) {
        uint8_t fr[1200], pkt[1300];
        uint32_t len = offs[i] + 1100 > TOTAL ? TOTAL - offs[i] : 1100;
        size_t fn = crypto_frame(fr, offs[i], ch + offs[i], len);
        size_t pn = make_initial(QUIC_VERSION_1, (uint64_t)i, fr, fn, pkt, sizeof pkt);
        ASSERT_TRUE(pn > 0);
        ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, pn), i == 2);
        ASSERT_EQ(s.o.nrecs, (size_t)(i == 2));
    }
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "tls.client.server_name"), "example.com");
    sess_free(&s);
}

TEST(quic_parser_hostile_frames)
{
    uint8_t fr[64], pkt[200];
    struct sess s;
    /* a STREAM frame has no place in an Initial */
    static const uint8_t stream[] = {0x08, 0x00, 0x41, 0x42};
    size_t n = make_initial(QUIC_VERSION_1, 0, stream, sizeof stream, pkt, sizeof pkt);
    sess_init(&s, 50007);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, n), 0);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.unexpected_frame"), 1);
    sess_free(&s);

    /* CRYPTO past the 64 KiB cap, then a CRYPTO frame longer than the packet */
    size_t fn = crypto_frame(fr, 70000, (const uint8_t *)"x", 1);
    n = make_initial(QUIC_VERSION_1, 0, fr, fn, pkt, sizeof pkt);
    sess_init(&s, 50008);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, n), 1); /* gave up: record written */
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.crypto_too_big"), 1);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.scid"), "5c1d");
    sess_free(&s);
    static const uint8_t liar[] = {0x06, 0x00, 0x7f, 0xff, 0x01};
    n = make_initial(QUIC_VERSION_1, 0, liar, sizeof liar, pkt, sizeof pkt);
    sess_init(&s, 50009);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, n), 0);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.bad_frame"), 1);
    sess_free(&s);

    /* an ACK claiming 2^62 ranges ends with the bytes, not with the count */
    static const uint8_t ack[] = {0x02, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00};
    n = make_initial(QUIC_VERSION_1, 0, ack, sizeof ack, pkt, sizeof pkt);
    sess_init(&s, 50010);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, n), 0);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.bad_frame"), 1);
    sess_free(&s);

    /* 40 one-byte CRYPTO pieces with holes: more than 32 ranges */
    sess_init(&s, 50011);
    for (uint32_t i = 0; i < 40; i++) {
        fn = crypto_frame(fr, 10 + 2 * i, (const uint8_t *)"y", 1);
        n = make_initial(QUIC_VERSION_1, i, fr, fn, pkt, sizeof pkt);
        ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, n), i >= 32);
    }
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.crypto_too_fragmented"), 1);
    ASSERT_EQ(s.o.nrecs, 1);
    sess_free(&s);

    /* a ServerHello where the ClientHello belongs; a CONNECTION_CLOSE is read past */
    static const uint8_t sh[] = {0x1c, 0x01, 0x06, 0x02, 'n',  'o', 0x06,
                                 0x00, 0x04, 0x02, 0x00, 0x00, 0x00};
    n = make_initial(QUIC_VERSION_1, 0, sh, sizeof sh, pkt, sizeof pkt);
    sess_init(&s, 50012);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, n), 1);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.not_client_hello"), 1);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.bad_frame"), 0);
    sess_free(&s);
}

TEST(quic_parser_other_versions_and_directions)
{
    uint8_t pkt[1200];
    ASSERT_EQ(unhex(kClientV1, pkt, sizeof pkt), 1200);
    struct sess s;
    /* server-to-client datagrams are ignored */
    sess_init(&s, 50013);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_SERVER, pkt, sizeof pkt), 0);
    sess_end(&s);
    ASSERT_EQ(s.o.nrecs, 0);
    sess_free(&s);
    /* a draft version: its header is recorded, nothing decrypted */
    pkt[1] = 0xff;
    pkt[4] = 0x1d;
    struct proto_ctx c = {0};
    c.srv_port = 443;
    ASSERT_EQ(proto_quic.probe(&c, PROTO_DIR_CLIENT, pkt, sizeof pkt), PROTO_PORT);
    c.srv_port = 53;
    ASSERT_EQ(proto_quic.probe(&c, PROTO_DIR_CLIENT, pkt, sizeof pkt), PROTO_NO);
    sess_init(&s, 50014);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), 1); /* nothing to decrypt */
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.unsupported_version"), 1);
    ASSERT_EQ(s.o.nrecs, 1);
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.version"), "ff00001d");
    ASSERT_STR_EQ(proto_out_get(&s.o, 0, "quic.dcid"), "8394c8f03e515708");
    sess_free(&s);
    /* version 0 from the client: a Version Negotiation packet in the wrong direction */
    pkt[1] = pkt[4] = 0;
    sess_init(&s, 50017);
    ASSERT_EQ(sess_feed(&s, PROTO_DIR_CLIENT, pkt, sizeof pkt), 0);
    ASSERT_EQ(proto_out_anomaly(&s.o, "quic.version_negotiation"), 1);
    sess_end(&s);
    ASSERT_EQ(s.o.nrecs, 0);
    sess_free(&s);
    /* a v1 Initial in a datagram under 1200 bytes is only a port guess */
    ASSERT_EQ(unhex(kClientV1, pkt, sizeof pkt), 1200);
    c.srv_port = 443;
    ASSERT_EQ(proto_quic.probe(&c, PROTO_DIR_CLIENT, pkt, 1199), PROTO_PORT);
}

/* ---------------------------------------------------------------- corpus */

/*
 * ja4/pcap/tls-handshake.pcapng: Chrome's QUIC Initials (one datagram each, the
 * ClientHello cut into 1-11 out-of-order CRYPTO frames).  SNI and JA4 per FoxIO's
 * rust snapshot (ja4__insta@tls-handshake.pcapng.snap, streams "transport: udp");
 * SNI, ALPN, JA3 and the DCIDs per tshark 4.0 (tls.handshake.ja3, quic.dcid; the JA3s are
 * also in tshark-facts.tsv).  The first 64 frames (CAP_MAX) hold 11 of the 20
 * sessions.  The TLS fields come from tls_client_hello_fields (proto/tls.c).
 */
TEST(quic_corpus_ja4_chrome_initials)
{
    static const struct {
        uint16_t sport;
        const char *sni, *dcid, *ja3;
    } want[] = {
        {59102, "www.google.com", "2fadc20ded383f8c", "0cda1bd7f270e894ed5de2af2f06cb80"},
        {57816, "accounts.google.com", "dabd1b3ecbda0af9", "84c89f4892d37e485be635148acfedd2"},
        {55945, "www.googleapis.com", "77402575237d1b17", "964fec70d3907f0ea31ba945d1058f6c"},
        {49333, "update.googleapis.com", "f4195b4e1781b698", "7e0b782a912375f8aca23ae02aa4e670"},
        {57662, "encrypted-tbn0.gstatic.com", "e767cde00e85d8c9",
         "a4f5906dc21753588611460465e6ac86"},
        {60486, "history.google.com", "b85013831eaeb834", "959e3c60439156dbf777166260e82fd3"},
        {60845, "www.gstatic.com", "a029e8a3360a86c6", "4f4336b6289f6edad8757972be31862d"},
        {55906, "ogs.google.com", "fa29602f3c763cc7", "410bc72d10506604b31a74b036fc4bab"},
        {61836, "aa.google.com", "ab9732dbb2fe2b42", "63d3370f694a7c5a427b8cc4cb86171a"},
        {59221, "content-autofill.googleapis.com", "b780601eea3e5fed",
         "82c9dcb6bac0e92c1ed5969b6d76b138"},
        {51905, "encrypted-tbn0.gstatic.com", "6977d3cc5ea6d3cc",
         "87984ad968fae45a80e3062f2d65b6b1"},
    };
    enum { N = sizeof want / sizeof want[0] };
    struct cap cp;
    if (cap_load(&cp, "ja4/pcap/tls-handshake.pcapng") < 0) {
        t_skip("corpus absent");
        return;
    }
    struct sess s[N];
    for (int i = 0; i < N; i++)
        sess_init(&s[i], want[i].sport);
    int fed = 0;
    for (int f = 0; f < cp.n; f++) {
        struct decoded d;
        if (decode_packet((uint32_t)cp.lt, cp.p[f], cp.len[f], &d) != 0 || d.proto != 17)
            continue;
        for (int i = 0; i < N; i++) {
            int dir = d.sport == want[i].sport   ? PROTO_DIR_CLIENT
                      : d.dport == want[i].sport ? PROTO_DIR_SERVER
                                                 : -1;
            if (dir < 0)
                continue;
            if (dir == PROTO_DIR_CLIENT && fed++ == 0)
                ASSERT_EQ(proto_quic.probe(&s[i].c, dir, cp.p[f] + d.payload_off, d.payload_len),
                          PROTO_CONTENT);
            sess_feed(&s[i], dir, cp.p[f] + d.payload_off, d.payload_len);
        }
    }
    cap_free(&cp);
    ASSERT_EQ(fed, N);
    for (int i = 0; i < N; i++) {
        sess_end(&s[i]);
        ASSERT_EQ(s[i].o.nrecs, 1);
        ASSERT_EQ(s[i].o.nanom, 0);
        ASSERT_STR_EQ(proto_out_get(&s[i].o, 0, "quic.version"), "1");
        ASSERT_STR_EQ(proto_out_get(&s[i].o, 0, "quic.dcid"), want[i].dcid);
        ASSERT_TRUE(proto_out_get(&s[i].o, 0, "quic.scid") == NULL); /* Chrome: empty SCID */
        ASSERT_STR_EQ(proto_out_get(&s[i].o, 0, "tls.client.server_name"), want[i].sni);
        /* FoxIO's JA4 is the same for every one of these Chrome sessions */
        ASSERT_STR_EQ(proto_out_get(&s[i].o, 0, "tls.client.ja4"),
                      "q13d0310h3_55b375c5d22e_cd85d2d88918");
        ASSERT_STR_EQ(proto_out_get(&s[i].o, 0, "tls.client.alpn"), "h3"); /* tshark */
        /* tshark (tls.handshake.ja3): Chrome shuffles its extensions, so JA3 differs */
        ASSERT_STR_EQ(proto_out_get(&s[i].o, 0, "tls.client.ja3"), want[i].ja3);
        sess_free(&s[i]);
    }
}
