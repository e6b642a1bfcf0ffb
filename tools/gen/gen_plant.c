/*
 * gen_plant.c — planted sessions: application conversations whose every field
 * is known, for tests that check what a parser extracts (--scenario plant).
 *
 * Each planted session plays a script (struct gen_script): pairs of messages,
 * client then server, built here once when the scenario starts, plus the truth
 * members (,"key":value …) that its truth line carries.  The TCP and UDP state
 * machines of gen_sess.c carry the bytes, so handshakes, segmentation, ACKs and
 * checksums are those of every other session.
 *
 * Messages (layouts are drawn next to the code that writes them):
 *   DNS (RFC 1035 §4.1; TCP: §4.2.2 two-byte length prefix): A, AAAA, a CNAME
 *     chain, TXT (§3.3.14), MX (§3.3.9), NXDOMAIN with an SOA (RFC 2308 §2.1),
 *     one query that is never answered.
 *   HTTP/1.1 (RFC 9112): one keep-alive connection, a Content-Length download and
 *     a chunked (§7.1) gzip (RFC 1952) download, Content-Disposition (RFC 6266).
 *   TLS 1.2 (RFC 5246 §7.4): ClientHello with GREASE (RFC 8701), SNI (RFC 6066 §3),
 *     ALPN (RFC 7301); ServerHello; Certificate with a self-signed RSA-2048 X.509
 *     certificate (RFC 5280); ECDHE ServerKeyExchange (RFC 8422 §5.4) signed with
 *     RSA PKCS#1 v1.5 (deterministic); ServerHelloDone; ClientKeyExchange, CCS and
 *     Finished both ways; one application_data record each way.
 *   SSH (RFC 4253 §4.2, §6, §7.1): identification strings and both KEXINITs.
 *   Kerberos 5 (RFC 4120 §5.4.1, §5.4.2, §5.9.1) over UDP 88: AS-REQ, KRB-ERROR
 *     KDC_ERR_PREAUTH_REQUIRED, AS-REQ with PA-ENC-TIMESTAMP, AS-REP.
 *   SMB2 + NTLMSSP + DCE/RPC svcctl: see gen_smb.c.
 *
 * Determinism: everything comes from the scenario's PRNG and fixed text.  The
 * gzip body is compressed by the system zlib: its compressed bytes could differ
 * between zlib versions, its decoded bytes (what the truth hashes) cannot.  The
 * certificate is signed with a fixed test key (below; never use it for anything
 * else) and RSA PKCS#1 v1.5 signatures are deterministic.
 */
#include "gen.h"

#include "core/err.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000000000LL

/* ------------------------------------------------------------------ byte buffers */

static int bb_room(struct gen_bb *b, size_t n)
{
    if (b->err)
        return 0;
    if (n > GEN_BB_CAP - b->len) {
        b->err = KS_ELIMIT;
        return 0;
    }
    if (b->len + n <= b->cap)
        return 1;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + n)
        nc *= 2;
    uint8_t *p = realloc(b->p, nc);
    if (!p) {
        b->err = KS_ENOMEM;
        return 0;
    }
    b->p = p;
    b->cap = nc;
    return 1;
}

void gen_bb_put(struct gen_bb *b, const void *p, size_t n)
{
    if (!n || !bb_room(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void gen_bb_u8(struct gen_bb *b, uint32_t v)
{
    uint8_t x = (uint8_t)v;
    gen_bb_put(b, &x, 1);
}

static void bb_uint(struct gen_bb *b, uint64_t v, int width, int little)
{
    uint8_t x[8];
    for (int i = 0; i < width; i++)
        x[little ? i : width - 1 - i] = (uint8_t)(v >> (8 * i));
    gen_bb_put(b, x, (size_t)width);
}

void gen_bb_u16(struct gen_bb *b, uint32_t v)
{
    bb_uint(b, v, 2, 0);
}
void gen_bb_u24(struct gen_bb *b, uint32_t v)
{
    bb_uint(b, v, 3, 0);
}
void gen_bb_u32(struct gen_bb *b, uint32_t v)
{
    bb_uint(b, v, 4, 0);
}
void gen_bb_u16le(struct gen_bb *b, uint32_t v)
{
    bb_uint(b, v, 2, 1);
}
void gen_bb_u32le(struct gen_bb *b, uint32_t v)
{
    bb_uint(b, v, 4, 1);
}
void gen_bb_u64le(struct gen_bb *b, uint64_t v)
{
    bb_uint(b, v, 8, 1);
}

void gen_bb_zero(struct gen_bb *b, size_t n)
{
    if (!n || !bb_room(b, n))
        return;
    memset(b->p + b->len, 0, n);
    b->len += n;
}

void gen_bb_rand(struct gen_bb *b, struct rng *r, size_t n)
{
    if (!n || !bb_room(b, n))
        return;
    gen_rng_fill(r, b->p + b->len, n);
    b->len += n;
}

void gen_bb_str(struct gen_bb *b, const char *s)
{
    gen_bb_put(b, s, strlen(s));
}

void gen_bb_utf16(struct gen_bb *b, const char *ascii)
{
    for (const char *c = ascii; *c; c++)
        gen_bb_u16le(b, (uint8_t)*c);
}

void gen_bb_printf(struct gen_bb *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof(tmp)) {
        b->err = KS_ELIMIT;
        return;
    }
    gen_bb_put(b, tmp, (size_t)k);
}

void gen_bb_json(struct gen_bb *b, const char *s)
{
    gen_bb_u8(b, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            gen_bb_u8(b, '\\');
            gen_bb_u8(b, *c);
        } else if (*c < 0x20) {
            gen_bb_printf(b, "\\u%04x", *c);
        } else {
            gen_bb_u8(b, *c);
        }
    }
    gen_bb_u8(b, '"');
}

void gen_bb_patch(struct gen_bb *b, size_t off, int width, uint64_t v, int little)
{
    if (b->err || off + (size_t)width > b->len)
        return;
    for (int i = 0; i < width; i++)
        b->p[off + (size_t)(little ? i : width - 1 - i)] = (uint8_t)(v >> (8 * i));
}

void gen_bb_align(struct gen_bb *b, size_t base, size_t align)
{
    size_t rem = (b->len - base) % align;
    if (rem)
        gen_bb_zero(b, align - rem);
}

void gen_bb_free(struct gen_bb *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ DER (X.690 §8, §10) */

size_t gen_der_open(struct gen_bb *b, uint32_t tag)
{
    gen_bb_u8(b, tag);
    return b->len;
}

void gen_der_close(struct gen_bb *b, size_t start)
{
    if (b->err || start > b->len)
        return;
    size_t n = b->len - start;
    uint8_t hdr[5];
    size_t hl;
    if (n < 0x80) {
        hdr[0] = (uint8_t)n;
        hl = 1;
    } else {
        /* Long form (§8.1.3.5): 0x80 | count, then the length in the fewest bytes. */
        size_t k = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
        hdr[0] = (uint8_t)(0x80 | k);
        for (size_t i = 0; i < k; i++)
            hdr[1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
        hl = 1 + k;
    }
    if (!bb_room(b, hl))
        return;
    memmove(b->p + start + hl, b->p + start, n);
    memcpy(b->p + start, hdr, hl);
    b->len += hl;
}

void gen_der_int(struct gen_bb *b, int64_t v)
{
    /* Two's complement in the fewest bytes (§8.3.2). */
    uint8_t x[8];
    int n = 8;
    for (int i = 0; i < 8; i++)
        x[7 - i] = (uint8_t)((uint64_t)v >> (8 * i));
    int start = 0;
    while (start < 7 && ((x[start] == 0 && !(x[start + 1] & 0x80)) ||
                         (x[start] == 0xff && (x[start + 1] & 0x80))))
        start++;
    n -= start;
    gen_bb_u8(b, 0x02);
    gen_bb_u8(b, (uint32_t)n);
    gen_bb_put(b, x + start, (size_t)n);
}

void gen_der_oid(struct gen_bb *b, const uint8_t *body, size_t n)
{
    gen_bb_u8(b, 0x06);
    gen_bb_u8(b, (uint32_t)n);
    gen_bb_put(b, body, n);
}

void gen_der_octets(struct gen_bb *b, const void *p, size_t n)
{
    size_t at = gen_der_open(b, 0x04);
    gen_bb_put(b, p, n);
    gen_der_close(b, at);
}

/* [n] EXPLICIT INTEGER */
static void der_ctx_int(struct gen_bb *b, uint32_t n, int64_t v)
{
    size_t at = gen_der_open(b, 0xa0 | n);
    gen_der_int(b, v);
    gen_der_close(b, at);
}

/* [n] EXPLICIT GeneralString (KerberosString, RFC 4120 §5.2.1) */
static void der_ctx_kstr(struct gen_bb *b, uint32_t n, const char *s)
{
    size_t at = gen_der_open(b, 0xa0 | n);
    size_t in = gen_der_open(b, 0x1b);
    gen_bb_str(b, s);
    gen_der_close(b, in);
    gen_der_close(b, at);
}

/* [n] EXPLICIT GeneralizedTime "YYYYMMDDHHMMSSZ" (KerberosTime, RFC 4120 §5.2.3) */
static void der_ctx_time(struct gen_bb *b, uint32_t n, const char *t)
{
    size_t at = gen_der_open(b, 0xa0 | n);
    size_t in = gen_der_open(b, 0x18);
    gen_bb_str(b, t);
    gen_der_close(b, in);
    gen_der_close(b, at);
}

/* ------------------------------------------------------------------ scripts */

struct gen_script *gen_script_new(struct world *w)
{
    struct gen_script *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return NULL;
    sc->next = w->scripts;
    w->scripts = sc;
    return sc;
}

void gen_script_begin(struct gen_script *sc)
{
    sc->open = sc->data.len;
    sc->tail_open = 0;
}

void gen_script_tail(struct gen_script *sc, uint32_t n)
{
    sc->tail_open = n;
}

/* Room for pair sc->npairs (the arrays grow by doubling up to GEN_SCRIPT_PAIRS). */
static int script_room(struct gen_script *sc)
{
    if (sc->npairs >= GEN_SCRIPT_PAIRS) {
        sc->data.err = KS_ELIMIT;
        return 0;
    }
    if (sc->npairs < sc->cap)
        return 1;
    uint32_t nc = sc->cap ? sc->cap * 2 : 16;
    if (nc > GEN_SCRIPT_PAIRS)
        nc = GEN_SCRIPT_PAIRS;
    uint32_t(*arr[3])[2] = {sc->off, sc->len, sc->tail};
    for (int i = 0; i < 3; i++) {
        uint32_t(*p)[2] = realloc(arr[i], nc * sizeof(*p));
        if (!p) {
            sc->data.err = KS_ENOMEM;
            return 0;
        }
        memset(p + sc->cap, 0, (nc - sc->cap) * sizeof(*p));
        arr[i] = p;
    }
    sc->off = arr[0];
    sc->len = arr[1];
    sc->tail = arr[2];
    sc->cap = nc;
    return 1;
}

void gen_script_end(struct gen_script *sc, int dir)
{
    if (!script_room(sc))
        return;
    if (sc->tail_open && sc->data.len - sc->open > GEN_LIT_MAX) {
        sc->data.err = KS_ELIMIT; /* the data in front of a tail travels in struct msg.lit */
        return;
    }
    sc->off[sc->npairs][dir] = (uint32_t)sc->open;
    sc->len[sc->npairs][dir] = (uint32_t)(sc->data.len - sc->open);
    sc->tail[sc->npairs][dir] = sc->tail_open;
    sc->tail_open = 0;
    if (dir == 1)
        sc->npairs++;
}

void gen_script_unanswered(struct gen_script *sc)
{
    if (!script_room(sc))
        return;
    sc->off[sc->npairs][1] = 0;
    sc->len[sc->npairs][1] = 0;
    sc->tail[sc->npairs][1] = 0;
    sc->npairs++;
}

void gen_script_free_all(struct world *w)
{
    struct gen_script *sc = w->scripts;
    while (sc) {
        struct gen_script *nx = sc->next;
        gen_bb_free(&sc->data);
        gen_bb_free(&sc->truth);
        free(sc->off);
        free(sc->len);
        free(sc->tail);
        free(sc);
        sc = nx;
    }
    w->scripts = NULL;
    EVP_PKEY_free(w->tls_key);
    w->tls_key = NULL;
}

void gen_digest_hex(const char *md, const void *p, size_t n, char *out)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    out[0] = 0;
    const EVP_MD *m = strcmp(md, "md5") == 0    ? EVP_md5()
                      : strcmp(md, "sha1") == 0 ? EVP_sha1()
                                                : EVP_sha256();
    if (!EVP_Digest(p, n, d, &dl, m, NULL))
        return;
    for (unsigned i = 0; i < dl && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ,"key":"value" */
static void truth_str(struct gen_script *sc, const char *key, const char *v)
{
    gen_bb_printf(&sc->truth, ",\"%s\":", key);
    gen_bb_json(&sc->truth, v);
}

/* ,"<prefix>md5":…,"<prefix>sha1":…,"<prefix>sha256":… of p */
static void truth_hashes(struct gen_bb *t, const char *prefix, const void *p, size_t n)
{
    static const char *const mds[] = {"md5", "sha1", "sha256"};
    char hex[80];
    for (int i = 0; i < 3; i++) {
        gen_digest_hex(mds[i], p, n, hex);
        gen_bb_printf(t, ",\"%s%s\":\"%s\"", prefix, mds[i], hex);
    }
}

/* ------------------------------------------------------------------ hosts */

/* A planted server: local (server VLAN, one routed hop) or remote (behind the router). */
static void plant_host(struct host *h, struct rng *r, const uint8_t v4[4], const char *name,
                       int local, uint8_t os)
{
    static const uint8_t oui_vmware[3] = {0x00, 0x50, 0x56};
    memset(h, 0, sizeof(*h));
    memcpy(h->v4, v4, 4);
    memcpy(h->mac, oui_vmware, 3);
    gen_rng_fill(r, h->mac + 3, 3);
    h->os = os;
    h->subnet = local ? 9 : 0;
    h->ttl = (uint8_t)((os == OS_WINDOWS ? 128 : 64) - (local ? 1 : 14));
    snprintf(h->name, sizeof(h->name), "%s", name);
}

/* The n-th client (from 0) of the office subnet with the given OS. */
static struct host *plant_client(struct world *w, uint8_t os, uint32_t n)
{
    for (uint32_t i = 0; i < w->nclients; i++) {
        struct host *h = &w->clients[i];
        if (h->subnet == 1 && h->os == os && n-- == 0)
            return h;
    }
    return &w->clients[0];
}

/* ------------------------------------------------------------------ DNS (RFC 1035 §4.1) */

/*
 * Header: id(2) flags(2) qdcount(2) ancount(2) nscount(2) arcount(2)
 * Question: qname(labels) qtype(2) qclass(2)
 * RR: name type(2) class(2) ttl(4) rdlength(2) rdata
 *   A: 4 bytes; AAAA: 16 bytes (RFC 3596); CNAME: a name; MX: preference(2) exchange;
 *   TXT: <character-string>s (a length byte, then the text); SOA: mname rname serial refresh
 *   retry expire minimum.
 * Over TCP every message is preceded by its length in two bytes (§4.2.2).
 * Names are written in full (no compression pointers), which every decoder must accept.
 */
enum { DNS_A = 1, DNS_CNAME = 5, DNS_SOA = 6, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28 };

static const struct gen_dns_q dns_plants[] = {
    {"www.example.com",
     DNS_A,
     0,
     1,
     2,
     {{DNS_A, "www.example.com", "203.0.113.10", 0},
      {DNS_A, "www.example.com", "203.0.113.11", 0}}},
    {"www.example.com", DNS_AAAA, 0, 1, 1, {{DNS_AAAA, "www.example.com", "2001:db8:10::10", 0}}},
    {"cdn.example.org",
     DNS_A,
     0,
     1,
     3,
     {{DNS_CNAME, "cdn.example.org", "cdn.example.org.edge.example.net", 0},
      {DNS_CNAME, "cdn.example.org.edge.example.net", "e42.a.edge.example.net", 0},
      {DNS_A, "e42.a.edge.example.net", "198.51.100.77", 0}}},
    {"example.org",
     DNS_TXT,
     0,
     1,
     2,
     {{DNS_TXT, "example.org", "v=spf1 ip4:192.0.2.0/24 -all", 0},
      {DNS_TXT, "example.org", "konseki-site-verification=plant-42", 0}}},
    {"example.net",
     DNS_MX,
     0,
     1,
     2,
     {{DNS_MX, "example.net", "mail1.example.net", 10},
      {DNS_MX, "example.net", "mail2.example.net", 20}}},
    {"nosuchhost.example.com", DNS_A, 3, 1, 0, {{0, NULL, NULL, 0}}},
    {"lost.example.org", DNS_A, 0, 0, 0, {{0, NULL, NULL, 0}}},
};

static const char *dns_type_name(uint16_t t)
{
    switch (t) {
    case DNS_A:
        return "A";
    case DNS_CNAME:
        return "CNAME";
    case DNS_MX:
        return "MX";
    case DNS_TXT:
        return "TXT";
    case DNS_AAAA:
        return "AAAA";
    default:
        return "SOA";
    }
}

static void dns_name_bb(struct gen_bb *b, const char *name)
{
    uint8_t w[256];
    gen_bb_put(b, w, gen_app_dns_name(name, w, sizeof(w)));
}

static void dns_rdata(struct gen_bb *b, const struct gen_dns_rr *rr)
{
    uint8_t addr[16];
    switch (rr->type) {
    case DNS_A:
        inet_pton(AF_INET, rr->data, addr);
        gen_bb_put(b, addr, 4);
        break;
    case DNS_AAAA:
        inet_pton(AF_INET6, rr->data, addr);
        gen_bb_put(b, addr, 16);
        break;
    case DNS_MX:
        gen_bb_u16(b, rr->pref);
        dns_name_bb(b, rr->data);
        break;
    case DNS_TXT:
        gen_bb_u8(b, (uint32_t)strlen(rr->data));
        gen_bb_str(b, rr->data);
        break;
    default: /* CNAME */
        dns_name_bb(b, rr->data);
        break;
    }
}

static void dns_rr_bb(struct gen_bb *b, const char *owner, uint16_t type, uint32_t ttl,
                      const struct gen_dns_rr *rr, const char *zone)
{
    dns_name_bb(b, owner);
    gen_bb_u16(b, type);
    gen_bb_u16(b, 1);
    gen_bb_u32(b, ttl);
    size_t at = b->len;
    gen_bb_u16(b, 0);
    if (rr) {
        dns_rdata(b, rr);
    } else {
        /* SOA of zone for a negative answer (RFC 2308 §3). */
        char n[128];
        snprintf(n, sizeof(n), "ns1.%s", zone);
        dns_name_bb(b, n);
        snprintf(n, sizeof(n), "hostmaster.%s", zone);
        dns_name_bb(b, n);
        gen_bb_u32(b, 2024011501);
        gen_bb_u32(b, 7200);
        gen_bb_u32(b, 900);
        gen_bb_u32(b, 1209600);
        gen_bb_u32(b, 300);
    }
    gen_bb_patch(b, at, 2, b->len - at - 2, 0);
}

/* One DNS message (query when !resp) as a script message of direction resp. */
static void dns_message(struct gen_script *sc, const struct gen_dns_q *p, uint16_t id, int resp,
                        int tcp)
{
    struct gen_bb *b = &sc->data;
    gen_script_begin(sc);
    size_t len_at = b->len;
    if (tcp)
        gen_bb_u16(b, 0);
    size_t start = b->len;
    gen_bb_u16(b, id);
    gen_bb_u16(b, resp ? 0x8180u | p->rcode : 0x0100); /* QR RD RA | RD */
    gen_bb_u16(b, 1);
    gen_bb_u16(b, resp ? p->nrr : 0);
    gen_bb_u16(b, resp && p->rcode == 3 ? 1 : 0);
    gen_bb_u16(b, 0);
    dns_name_bb(b, p->qname);
    gen_bb_u16(b, p->qtype);
    gen_bb_u16(b, 1);
    if (resp) {
        for (uint8_t i = 0; i < p->nrr; i++)
            dns_rr_bb(b, p->rr[i].owner, p->rr[i].type, 300, &p->rr[i], NULL);
        if (p->rcode == 3) {
            const char *zone = strchr(p->qname, '.');
            zone = zone ? zone + 1 : p->qname;
            dns_rr_bb(b, zone, DNS_SOA, 900, NULL, zone);
        }
    }
    if (tcp)
        gen_bb_patch(b, len_at, 2, b->len - start, 0);
    gen_script_end(sc, resp);
}

void gen_dns_script(struct gen_script *sc, struct rng *r, const struct gen_dns_q *p, int tcp)
{
    uint16_t id = (uint16_t)gen_rng_next(r);
    dns_message(sc, p, id, 0, tcp);
    if (p->answered)
        dns_message(sc, p, id, 1, tcp);
    else
        gen_script_unanswered(sc);
}

static struct gen_script *plant_dns(struct world *w, struct rng *r, const struct gen_dns_q *p,
                                    int tcp)
{
    struct gen_script *sc = gen_script_new(w);
    if (!sc)
        return NULL;
    gen_dns_script(sc, r, p, tcp);
    struct gen_bb *t = &sc->truth;
    const char *what = p->rcode == 3                ? "nxdomain"
                       : !p->answered               ? "unanswered"
                       : p->rr[0].type == DNS_CNAME ? "cname"
                       : p->qtype == DNS_A          ? "a"
                       : p->qtype == DNS_AAAA       ? "aaaa"
                       : p->qtype == DNS_TXT        ? "txt"
                                                    : "mx";
    gen_bb_printf(t, ",\"plant\":\"dns-%s-%s\"", what, tcp ? "tcp" : "udp");
    truth_str(sc, "qname", p->qname);
    truth_str(sc, "qtype", dns_type_name(p->qtype));
    if (p->answered)
        truth_str(sc, "rcode", p->rcode == 3 ? "NXDOMAIN" : "NOERROR");
    else
        gen_bb_printf(t, ",\"rcode\":null");
    gen_bb_printf(t, ",\"answers\":%u,\"answer_types\":[", p->nrr);
    for (uint8_t i = 0; i < p->nrr; i++)
        gen_bb_printf(t, "%s\"%s\"", i ? "," : "", dns_type_name(p->rr[i].type));
    gen_bb_printf(t, "],\"answer_data\":[");
    for (uint8_t i = 0; i < p->nrr; i++) {
        char v[160];
        if (p->rr[i].type == DNS_MX)
            snprintf(v, sizeof(v), "%u %s", p->rr[i].pref, p->rr[i].data);
        else
            snprintf(v, sizeof(v), "%s", p->rr[i].data);
        if (i)
            gen_bb_u8(t, ',');
        gen_bb_json(t, v);
    }
    gen_bb_printf(t, "],\"transport\":\"%s\",\"answered\":%s", tcp ? "tcp" : "udp",
                  p->answered ? "true" : "false");
    return sc;
}

/* ------------------------------------------------------------------ HTTP/1.1 (RFC 9112) */

static const char plant_ua[] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                               "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/* n bytes of printable lines: "<prefix><k>,<word>,<word>,<number>\n" … */
static void text_body(struct gen_bb *b, struct rng *r, size_t n, const char *first)
{
    static const char *const words[] = {
        "alpha", "bravo", "charlie", "delta", "echo",  "fox",  "golf",   "hotel", "india", "juliet",
        "kilo",  "lima",  "mike",    "nov",   "oscar", "papa", "quebec", "romeo", "sier",  "tango"};
    size_t end = b->len + n;
    gen_bb_str(b, first);
    for (uint32_t k = 1; b->len < end && !b->err; k++) {
        char line[96];
        int l =
            snprintf(line, sizeof(line), "%u,%s,%s,%u\n", (unsigned)k, words[gen_rng_below(r, 20)],
                     words[gen_rng_below(r, 20)], (unsigned)gen_rng_below(r, 100000));
        size_t room = end - b->len;
        gen_bb_put(b, line, (size_t)l < room ? (size_t)l : room);
    }
}

/* gzip (RFC 1952) of p into out, by zlib: header with mtime 0 and OS 3 (Unix). */
static int gzip_bb(const uint8_t *p, size_t n, struct gen_bb *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return KS_ENOMEM;
    uLong bound = deflateBound(&z, (uLong)n);
    if (!bb_room(out, bound)) {
        deflateEnd(&z);
        return KS_ELIMIT;
    }
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out->p + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : KS_EFORMAT;
}

struct http_file {
    const char *uri, *filename, *ctype;
    size_t size;
    int gzip_chunked;
};

/*
 * request:  GET uri HTTP/1.1 CRLF Host CRLF User-Agent CRLF Accept … CRLF CRLF
 * response: HTTP/1.1 200 OK CRLF … Content-Disposition: attachment; filename="…" CRLF
 *           (Content-Length: n | Content-Encoding: gzip + Transfer-Encoding: chunked) CRLF CRLF
 *           body | chunks: hex-size CRLF data CRLF … 0 CRLF CRLF
 */
static int http_exchange(struct gen_script *sc, struct rng *r, const struct http_file *f, int64_t t,
                         int first)
{
    struct gen_bb *b = &sc->data, *tr = &sc->truth;
    struct gen_bb body = {0}, gz = {0};
    char date[40];
    int rc = 0;
    gen_script_begin(sc);
    gen_bb_printf(b,
                  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
                  "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n",
                  f->uri, sc->srv.name, plant_ua);
    gen_script_end(sc, 0);

    text_body(&body, r, f->size, f->gzip_chunked ? "id,first,second,amount\n" : "%PDF-1.4\n");
    if (f->gzip_chunked && !body.err)
        rc = gzip_bb(body.p, body.len, &gz);
    if (body.err || gz.err || rc) {
        rc = rc ? rc : KS_ENOMEM;
        goto out;
    }
    gen_app_http_date(t, date, sizeof(date));
    gen_script_begin(sc);
    gen_bb_printf(b,
                  "HTTP/1.1 200 OK\r\nDate: %s\r\nServer: nginx/1.24.0\r\nContent-Type: %s\r\n"
                  "Content-Disposition: attachment; filename=\"%s\"\r\n",
                  date, f->ctype, f->filename);
    size_t wire;
    if (f->gzip_chunked) {
        gen_bb_printf(b, "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
                         "Connection: keep-alive\r\n\r\n");
        size_t at = b->len;
        for (size_t off = 0; off < gz.len; off += 4000) {
            size_t k = gz.len - off < 4000 ? gz.len - off : 4000;
            gen_bb_printf(b, "%zx\r\n", k);
            gen_bb_put(b, gz.p + off, k);
            gen_bb_str(b, "\r\n");
        }
        gen_bb_str(b, "0\r\n\r\n");
        wire = b->len - at;
    } else {
        gen_bb_printf(b, "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n", body.len);
        gen_bb_put(b, body.p, body.len);
        wire = body.len;
    }
    gen_script_end(sc, 1);

    if (first)
        gen_bb_printf(tr, ",\"host\":\"%s\",\"method\":\"GET\",\"uri\":\"%s\",\"status\":200",
                      sc->srv.name, f->uri);
    gen_bb_printf(tr,
                  "%s{\"method\":\"GET\",\"host\":\"%s\",\"uri\":\"%s\",\"user_agent\":\"%s\","
                  "\"status\":200,\"content_type\":\"%s\",\"filename\":\"%s\","
                  "\"transfer_encoding\":\"%s\",\"content_encoding\":\"%s\",\"wire_len\":%zu,"
                  "\"body_len\":%zu,\"decoded_len\":%zu",
                  first ? ",\"http\":[" : ",", sc->srv.name, f->uri, plant_ua, f->ctype,
                  f->filename, f->gzip_chunked ? "chunked" : "", f->gzip_chunked ? "gzip" : "",
                  wire, f->gzip_chunked ? gz.len : body.len, body.len);
    truth_hashes(tr, "", body.p, body.len);
    gen_bb_u8(tr, '}');
out:
    gen_bb_free(&body);
    gen_bb_free(&gz);
    return rc;
}

static struct gen_script *plant_http(struct world *w, struct rng *r, int64_t t)
{
    static const struct http_file files[2] = {
        {"/files/quarterly-report.pdf", "quarterly-report.pdf", "application/pdf", 7321, 0},
        {"/export/customers.csv?format=csv&year=2023", "customers.csv", "text/csv", 24000, 1},
    };
    static const uint8_t v4[4] = {203, 0, 113, 80};
    struct gen_script *sc = gen_script_new(w);
    if (!sc)
        return NULL;
    plant_host(&sc->srv, r, v4, "downloads.example.com", 0, OS_LINUX);
    gen_bb_printf(&sc->truth, ",\"plant\":\"http-download\",\"requests\":2");
    for (int i = 0; i < 2; i++)
        if (http_exchange(sc, r, &files[i], t, i == 0))
            sc->data.err = KS_EFORMAT;
    gen_bb_u8(&sc->truth, ']');
    return sc;
}

/* ------------------------------------------------------------------ TLS 1.2 (RFC 5246) */

/*
 * A fixed RSA-2048 test key (PKCS#8), generated once with `openssl genpkey` for konseki-gen
 * only: it signs the planted certificate and ServerKeyExchange so both are reproducible.
 */
static const char plant_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDaxLxQgHzQq0Rq\n"
    "ajl7m0v/Rgkps2bDZ8bbohhkP+2RmvBW08qDgbHLx+L97kVk5cvH1QlAcEugg6vJ\n"
    "0te4e7sHKEcUQyn7fNE4I4VkSiMxK4N3C6VC1Q3mwzobTglGQzDxcP48Aj55eGCw\n"
    "S6QI8w3nwr9J7qyvdbZkasfvrTxD4RQ6a6u9j2zH2XSIGO8xeTTFCy0SOFlfGrkq\n"
    "BvpVDiYxqWqNFZeEzQ+/RVm3Al9+WfjiT43BMEzD66JNJizYvWeTHncGZ3Edbdk0\n"
    "cCvvPXzvxVOSG23c9dmCqvYXSp2NuMlBcTN9BEXg3hStQN7Igopeeu96ocsEAzNY\n"
    "A+8ZxE/DAgMBAAECggEAJpLEz37wQwzHuemz6/8EZeTP7cnjpzWvov9QRLDe7yr+\n"
    "EJk0Xn6qPk+mzvZJxxIbnccK5BFIzGsbCbGC9tTeM9NewQxcpSqrazYcKYRG8z8E\n"
    "ZaOohoGxe0xV/QWD7h8fzJqLQUJ2CI34om0b5bYRcBlvCBas3R0oxUjsqu6FL0R3\n"
    "iXDKfSn2EAuiCUWif5RX2xOIVFTck7P68nvfbb4mFM3eRCmzOR1hqUPGfmwhQ8xl\n"
    "+255J9DzLjbQLHM4/cVGH9zGmu4gOAYShhIzEhHxYKU6r12oZxDfUN3SdM6/Lpcb\n"
    "jG8Bu+AflpwC0e2ii/zVQmoCdvlEyXM+eyvWglnfSQKBgQDwG9cDczClwLEfMgDH\n"
    "BD79OCu+T5X6e/AvPyHz7gS1/6L7LY5w/Nee0ctqLuaaU63EaE0N+W+c9+JIZ6yF\n"
    "1Z6oPLbAlxp+nFmzV3E8ZIQLr89bFNwgwAJLS1zk/tJUOPU3A0Nm9tj/3fJYgFp5\n"
    "NH8ayoSWdvsrRRA00RaI2u792QKBgQDpP1P7ANek91MAAzDDlPeAdfIno1Zq+I32\n"
    "XKi+/JXdcAYq6rBQqTLNLGfw4PFuCWp9ekbPFcP3LzsiMg151yZTjjaQl1xiohTm\n"
    "bBgnpAvKL1fOZ9xxwDKhZWSoGunTYEFkPUIfGDBbzkUPtU2I+jwC9nbBNGU97myn\n"
    "eZg8UJ1M+wKBgAXwWlgegESJSJhB71z80OYIfqR9aXNBn4Y7pIZZC8rIoOpfjRdk\n"
    "WZz3CXX95PxKN5EVF1rSIZ2bUACEd/LzfrIgllCbLC+XhGx4LDfXMKDtX06cbHlu\n"
    "5l+gZJLRbrhglEghD4i7cFCb18OyoQpAbyhle/QQy1OdqLH1vf3ylFi5AoGAMYuL\n"
    "KjkelWMX1VvYIuNkw3vKSVMvyx8rAJbkHVWH+/aMyNb7Rtb5/I0fMxKFFiuX3Dl6\n"
    "CwkDjGES/YuGQ0hJUtxViNct/6GQMPXrF5iIDJWL4EM9l0gNOS1ReUfmPUkn+sPs\n"
    "ZLB9rTKehtyrMJp+3t49kYKwsrwPhm+Uv9Mb5rsCgYAiw8jA84Pm1APtFFQ5FPWp\n"
    "86hbIxh2F0ucv5zBKbbhCTv9aAiqLDwizB3lkz3gfLBPzylhWbQcaIL7H5ez7+dS\n"
    "l4a0BUKL1AM7PSUG6nGTiFmFa7NImjKISdIiuS6boQUdgoK6cAXEVmX98q8/KO6B\n"
    "r5RVIhHQBx2EznpYb+HZbQ==\n"
    "-----END PRIVATE KEY-----\n";

#define GREASE(x) (((x)&0x0f0f) == 0x0a0a && ((x) >> 8) == ((x)&0xff))

static const uint16_t ch_suites[] = {0x0a0a, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                                     0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t ch_groups[] = {0x2a2a, 0x001d, 0x0017, 0x0018};
static const uint16_t ch_exts[] = {0x1a1a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b,
                                   0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x3a3a};
static const uint16_t sh_exts[] = {0x0000, 0xff01, 0x000b, 0x0010, 0x0017};
#define SH_SUITE 0xc02f /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Chrome 120's TLS 1.2 shape (GREASE cipher, extension, group) and the plant's server. */
const struct gen_tls_hello gen_tls_chrome = {ch_suites,      NELEM(ch_suites), ch_exts,
                                             NELEM(ch_exts), ch_groups,        NELEM(ch_groups)};
static const struct gen_tls_shello plant_shello = {SH_SUITE, sh_exts, NELEM(sh_exts)};

/* Decimal values joined with '-', GREASE left out (the JA3 convention). */
static void ja3_list(struct gen_bb *t, const uint16_t *v, size_t n)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (GREASE(v[i]))
            continue;
        gen_bb_printf(t, "%s%u", any ? "-" : "", v[i]);
        any = 1;
    }
}

static void ch_ext(struct gen_bb *b, uint16_t type, const char *sni, const struct gen_tls_hello *h)
{
    static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                       0x0805, 0x0501, 0x0806, 0x0601};
    gen_bb_u16(b, type);
    size_t at = b->len;
    gen_bb_u16(b, 0);
    switch (type) {
    case 0x0000: /* server_name: list(2) type(1)=host_name len(2) name */
        gen_bb_u16(b, (uint32_t)strlen(sni) + 3);
        gen_bb_u8(b, 0);
        gen_bb_u16(b, (uint32_t)strlen(sni));
        gen_bb_str(b, sni);
        break;
    case 0xff01: /* renegotiation_info: empty renegotiated_connection */
        gen_bb_u8(b, 0);
        break;
    case 0x000a:
        gen_bb_u16(b, (uint32_t)(2 * h->ngroups));
        for (size_t i = 0; i < h->ngroups; i++)
            gen_bb_u16(b, h->groups[i]);
        break;
    case 0x000b: /* ec_point_formats: uncompressed */
        gen_bb_u8(b, 1);
        gen_bb_u8(b, 0);
        break;
    case 0x0010: /* ALPN: h2, http/1.1 */
        gen_bb_u16(b, 12);
        gen_bb_u8(b, 2);
        gen_bb_str(b, "h2");
        gen_bb_u8(b, 8);
        gen_bb_str(b, "http/1.1");
        break;
    case 0x0005: /* status_request: ocsp, no responder ids, no extensions */
        gen_bb_u8(b, 1);
        gen_bb_u32(b, 0);
        break;
    case 0x000d:
        gen_bb_u16(b, 2 * NELEM(sigalgs));
        for (size_t i = 0; i < NELEM(sigalgs); i++)
            gen_bb_u16(b, sigalgs[i]);
        break;
    case 0x3a3a: /* the trailing GREASE extension carries one zero byte, as Chrome's does */
        gen_bb_u8(b, 0);
        break;
    default: /* extended_master_secret, session_ticket, SCT, leading GREASE: empty */
        break;
    }
    gen_bb_patch(b, at, 2, b->len - at - 2, 0);
}

static void sh_ext(struct gen_bb *b, uint16_t type)
{
    gen_bb_u16(b, type);
    switch (type) {
    case 0xff01:
        gen_bb_u16(b, 1);
        gen_bb_u8(b, 0);
        break;
    case 0x000b:
        gen_bb_u16(b, 2);
        gen_bb_u8(b, 1);
        gen_bb_u8(b, 0);
        break;
    case 0x0010:
        gen_bb_u16(b, 11);
        gen_bb_u16(b, 9);
        gen_bb_u8(b, 8);
        gen_bb_str(b, "http/1.1");
        break;
    default: /* server_name acknowledgement, extended_master_secret: empty */
        gen_bb_u16(b, 0);
        break;
    }
}

/* Record header (type, 0x0303 or 0x0301, length patched by rec_end). */
static size_t rec_begin(struct gen_bb *b, uint8_t type, uint16_t version)
{
    gen_bb_u8(b, type);
    gen_bb_u16(b, version);
    size_t at = b->len;
    gen_bb_u16(b, 0);
    return at;
}

static void rec_end(struct gen_bb *b, size_t at)
{
    gen_bb_patch(b, at, 2, b->len - at - 2, 0);
}

/* Handshake header: msg_type(1) length(3), patched by hs_end. */
static size_t hs_begin(struct gen_bb *b, uint8_t type)
{
    gen_bb_u8(b, type);
    size_t at = b->len;
    gen_bb_u24(b, 0);
    return at;
}

static void hs_end(struct gen_bb *b, size_t at)
{
    gen_bb_patch(b, at, 3, b->len - at - 3, 0);
}

/* The test key, parsed once per world (freed with its scripts). */
static EVP_PKEY *plant_key(struct world *w)
{
    if (w->tls_key)
        return w->tls_key;
    BIO *bio = BIO_new_mem_buf(plant_key_pem, -1);
    if (!bio)
        return NULL;
    w->tls_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return w->tls_key;
}

static int add_rdns(X509_NAME *nm, const char *const (*rdn)[2])
{
    int ok = 1;
    for (int i = 0; ok && i < GEN_CERT_RDNS && rdn[i][0]; i++) {
        const unsigned char *v = (const unsigned char *)rdn[i][1];
        ok = X509_NAME_add_entry_by_txt(nm, rdn[i][0], MBSTRING_ASC, v, -1, -1, 0);
        if (!ok) {
            /* Outside the attribute's constraints (C=Earth is not two letters): as is,
             * the way tools that do not check write it. */
            ERR_clear_error();
            ok = X509_NAME_add_entry_by_txt(nm, rdn[i][0], V_ASN1_PRINTABLESTRING, v, -1, -1, 0);
        }
    }
    return ok;
}

/*
 * X.509 v3 (RFC 5280 §4.1) signed with the test key: serial from the spec or eight bytes
 * from r, names, validity and an optional SAN as the spec says.
 */
int gen_cert_make(struct world *w, struct rng *r, const struct gen_cert_spec *cs,
                  struct gen_cert *pc)
{
    uint8_t sn[8];
    int rc = KS_EFORMAT;
    EVP_PKEY *key = plant_key(w);
    X509 *x = X509_new();
    BIGNUM *bn = NULL;
    X509_EXTENSION *ext = NULL;
    pc->der = NULL;
    if (!x || !key) {
        X509_free(x);
        return KS_ENOMEM;
    }
    if (cs->serial) {
        for (int i = 0; i < 8; i++)
            sn[i] = (uint8_t)(cs->serial >> (56 - 8 * i));
    } else {
        gen_rng_fill(r, sn, sizeof(sn));
        sn[0] = (uint8_t)((sn[0] & 0x7f) | 0x10); /* positive, eight bytes long */
    }
    snprintf(pc->serial, sizeof(pc->serial), "%016llx",
             (unsigned long long)((uint64_t)sn[0] << 56 | (uint64_t)sn[1] << 48 |
                                  (uint64_t)sn[2] << 40 | (uint64_t)sn[3] << 32 |
                                  (uint64_t)sn[4] << 24 | (uint64_t)sn[5] << 16 |
                                  (uint64_t)sn[6] << 8 | sn[7]));
    bn = BN_bin2bn(sn, sizeof(sn), NULL);
    X509_NAME *nm = X509_get_subject_name(x);
    int ok = bn && X509_set_version(x, 2) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)cs->not_before) &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)cs->not_after) &&
             add_rdns(nm, cs->subject);
    if (ok && cs->issuer[0][0]) {
        X509_NAME *in = X509_NAME_new();
        ok = in && add_rdns(in, cs->issuer) && X509_set_issuer_name(x, in);
        X509_NAME_free(in);
    } else {
        ok = ok && X509_set_issuer_name(x, nm);
    }
    ok = ok && X509_set_pubkey(x, key);
    if (ok && cs->san)
        ok = (ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, cs->san)) &&
             X509_add_ext(x, ext, -1);
    ok = ok && X509_sign(x, key, EVP_sha256()) > 0;
    if (ok) {
        pc->der_len = i2d_X509(x, &pc->der);
        rc = pc->der_len > 0 ? 0 : KS_EFORMAT;
    }
    X509_EXTENSION_free(ext);
    BN_free(bn);
    X509_free(x);
    return rc;
}

void gen_cert_free(struct gen_cert *pc)
{
    OPENSSL_free(pc->der);
    pc->der = NULL;
}

/* Self-signed: C=JP, O=Konseki Plant, CN=cn, 2024-01-01 to 2026-01-01, SAN DNS:cn. */
static int make_cert(struct world *w, struct rng *r, const char *cn, struct gen_cert *pc)
{
    char san[128];
    snprintf(san, sizeof(san), "DNS:%s", cn);
    struct gen_cert_spec cs = {
        .subject = {{"C", "JP"}, {"O", "Konseki Plant"}, {"CN", cn}},
        .not_before = 1704067200,
        .not_after = 1767225600,
        .san = san,
    };
    return gen_cert_make(w, r, &cs, pc);
}

/* RSA PKCS#1 v1.5 with SHA-256 of tbs (RFC 5246 §4.7, §7.4.3). */
static int rsa_sign(EVP_PKEY *key, const uint8_t *tbs, size_t n, uint8_t *sig, size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(md, sig, sig_len, tbs, n) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : KS_EFORMAT;
}

/*
 * client: ClientHello                                   record 16 03 01
 * server: ServerHello | Certificate | ServerKeyExchange | ServerHelloDone
 * client: ClientKeyExchange | ChangeCipherSpec | Finished (encrypted, 40 bytes)
 * server: ChangeCipherSpec | Finished
 * client: application_data; server: application_data
 */
/* ClientHello record (RFC 5246 §7.4.1.2) of shape h; sid: a session to resume, or NULL. */
static void client_hello(struct gen_bb *b, struct rng *r, const struct gen_tls_hello *h,
                         const char *sni, const uint8_t *sid, uint8_t crand[32])
{
    size_t rec = rec_begin(b, 0x16, 0x0301);
    size_t hs = hs_begin(b, 1);
    gen_bb_u16(b, 0x0303);
    gen_rng_fill(r, crand, 32);
    gen_bb_put(b, crand, 32);
    if (sid) {
        gen_bb_u8(b, 32);
        gen_bb_put(b, sid, 32);
    } else {
        gen_bb_u8(b, 0); /* no session id: a fresh handshake */
    }
    gen_bb_u16(b, (uint32_t)(2 * h->nsuites));
    for (size_t i = 0; i < h->nsuites; i++)
        gen_bb_u16(b, h->suites[i]);
    gen_bb_u8(b, 1);
    gen_bb_u8(b, 0);
    size_t ext_at = b->len;
    gen_bb_u16(b, 0);
    for (size_t i = 0; i < h->nexts; i++)
        ch_ext(b, h->exts[i], sni, h);
    gen_bb_patch(b, ext_at, 2, b->len - ext_at - 2, 0);
    hs_end(b, hs);
    rec_end(b, rec);
}

/* ServerHello record (§7.4.1.3): session id sid, or 32 random bytes when NULL. */
static void server_hello(struct gen_bb *b, struct rng *r, const struct gen_tls_shello *sh,
                         const uint8_t *sid, uint8_t srand[32])
{
    size_t rec = rec_begin(b, 0x16, 0x0303);
    size_t hs = hs_begin(b, 2);
    gen_bb_u16(b, 0x0303);
    gen_rng_fill(r, srand, 32);
    gen_bb_put(b, srand, 32);
    gen_bb_u8(b, 32);
    if (sid)
        gen_bb_put(b, sid, 32);
    else
        gen_bb_rand(b, r, 32);
    gen_bb_u16(b, sh->suite);
    gen_bb_u8(b, 0);
    size_t ext_at = b->len;
    gen_bb_u16(b, 0);
    for (size_t i = 0; i < sh->nexts; i++)
        sh_ext(b, sh->exts[i]);
    gen_bb_patch(b, ext_at, 2, b->len - ext_at - 2, 0);
    hs_end(b, hs);
    rec_end(b, rec);
}

static const uint8_t tls_ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

/* ChangeCipherSpec and the encrypted Finished (AES-GCM: 8 + 16 + 16 bytes). */
static void ccs_finished(struct gen_bb *b, struct rng *r)
{
    gen_bb_put(b, tls_ccs, 6);
    size_t rec = rec_begin(b, 0x16, 0x0303);
    gen_bb_rand(b, r, 40);
    rec_end(b, rec);
}

/* app[k]: one application_data record each way per exchange. */
static void app_records(struct gen_script *sc, struct rng *r, const uint32_t (*app)[2], size_t from,
                        size_t napp)
{
    struct gen_bb *b = &sc->data;
    for (size_t k = from; k < napp; k++) {
        for (int dir = 0; dir < 2; dir++) {
            gen_script_begin(sc);
            size_t rec = rec_begin(b, 0x17, 0x0303);
            gen_bb_rand(b, r, app[k][dir]);
            rec_end(b, rec);
            gen_script_end(sc, dir);
        }
    }
}

int gen_tls12_resume(struct gen_script *sc, struct rng *r, const char *sni,
                     const struct gen_tls_hello *h, const struct gen_tls_shello *sh,
                     const uint8_t sid[32], const uint32_t (*app)[2], size_t napp)
{
    struct gen_bb *b = &sc->data;
    uint8_t crand[32], srand[32];
    if (!napp)
        return KS_EINVAL;
    gen_script_begin(sc);
    client_hello(b, r, h, sni, sid, crand);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    server_hello(b, r, sh, sid, srand);
    ccs_finished(b, r);
    gen_script_end(sc, 1);
    /* RFC 5246 §7.3: in the abbreviated handshake the client finishes second and sends its
     * first application data right behind its Finished. */
    gen_script_begin(sc);
    ccs_finished(b, r);
    size_t rec = rec_begin(b, 0x17, 0x0303);
    gen_bb_rand(b, r, app[0][0]);
    rec_end(b, rec);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    rec = rec_begin(b, 0x17, 0x0303);
    gen_bb_rand(b, r, app[0][1]);
    rec_end(b, rec);
    gen_script_end(sc, 1);
    app_records(sc, r, app, 1, napp);
    return 0;
}

int gen_tls12_script(struct gen_script *sc, struct world *w, struct rng *r,
                     const struct gen_cert *pc, const char *sni, const struct gen_tls_hello *h,
                     const struct gen_tls_shello *sh, const uint8_t *sid, const uint32_t (*app)[2],
                     size_t napp)
{
    struct gen_bb *b = &sc->data;
    uint8_t crand[32], srand[32], tbs[64 + 4 + 32], sig[512];
    size_t sig_len = sizeof(sig), rec, hs;
    EVP_PKEY *key = plant_key(w);
    if (!key)
        return KS_ENOMEM;

    gen_script_begin(sc);
    client_hello(b, r, h, sni, NULL, crand);
    gen_script_end(sc, 0);

    gen_script_begin(sc);
    server_hello(b, r, sh, sid, srand);
    /* Certificate (§7.4.2): certificate_list<3> of ASN.1Cert<3>. */
    rec = rec_begin(b, 0x16, 0x0303);
    hs = hs_begin(b, 11);
    gen_bb_u24(b, (uint32_t)pc->der_len + 3);
    gen_bb_u24(b, (uint32_t)pc->der_len);
    gen_bb_put(b, pc->der, (size_t)pc->der_len);
    hs_end(b, hs);
    rec_end(b, rec);
    /* ServerKeyExchange (RFC 8422 §5.4): named_curve x25519, point, signature. */
    memcpy(tbs, crand, 32);
    memcpy(tbs + 32, srand, 32);
    tbs[64] = 3;
    tbs[65] = 0x00;
    tbs[66] = 0x1d;
    tbs[67] = 32;
    gen_rng_fill(r, tbs + 68, 32);
    if (rsa_sign(key, tbs, sizeof(tbs), sig, &sig_len))
        return KS_EFORMAT;
    rec = rec_begin(b, 0x16, 0x0303);
    hs = hs_begin(b, 12);
    gen_bb_put(b, tbs + 64, 4 + 32);
    gen_bb_u16(b, 0x0401); /* rsa_pkcs1_sha256 */
    gen_bb_u16(b, (uint32_t)sig_len);
    gen_bb_put(b, sig, sig_len);
    hs_end(b, hs);
    rec_end(b, rec);
    rec = rec_begin(b, 0x16, 0x0303);
    hs_end(b, hs_begin(b, 14)); /* ServerHelloDone */
    rec_end(b, rec);
    gen_script_end(sc, 1);

    gen_script_begin(sc);
    rec = rec_begin(b, 0x16, 0x0303);
    hs = hs_begin(b, 16); /* ClientKeyExchange: ECPoint<1> */
    gen_bb_u8(b, 32);
    gen_bb_rand(b, r, 32);
    hs_end(b, hs);
    rec_end(b, rec);
    ccs_finished(b, r);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    ccs_finished(b, r);
    gen_script_end(sc, 1);
    app_records(sc, r, app, 0, napp);
    return 0;
}

static void tls_truth(struct gen_script *sc, const struct gen_cert *pc)
{
    struct gen_bb *t = &sc->truth, js = {0};
    char hex[80];
    const char *sni = sc->srv.name;
    gen_bb_printf(t,
                  ",\"plant\":\"tls12\",\"sni\":\"%s\",\"tls_version\":\"TLSv1.2\","
                  "\"cipher\":\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"alpn\":\"http/1.1\"",
                  sni);
    /* JA3: version,ciphers,extensions,groups,point formats; JA3S: version,cipher,extensions. */
    for (int s = 0; s < 2; s++) {
        js.len = 0;
        if (s == 0) {
            gen_bb_str(&js, "771,");
            ja3_list(&js, ch_suites, NELEM(ch_suites));
            gen_bb_u8(&js, ',');
            ja3_list(&js, ch_exts, NELEM(ch_exts));
            gen_bb_u8(&js, ',');
            ja3_list(&js, ch_groups, NELEM(ch_groups));
            gen_bb_str(&js, ",0");
        } else {
            gen_bb_printf(&js, "771,%u,", SH_SUITE);
            ja3_list(&js, sh_exts, NELEM(sh_exts));
        }
        gen_digest_hex("md5", js.p, js.len, hex);
        gen_bb_printf(t, ",\"%s_string\":\"%.*s\",\"%s\":\"%s\"", s ? "ja3s" : "ja3", (int)js.len,
                      (const char *)js.p, s ? "ja3s" : "ja3", hex);
    }
    gen_bb_free(&js);
    truth_hashes(t, "cert_", pc->der, (size_t)pc->der_len);
    gen_bb_printf(t,
                  ",\"cert_subject_cn\":\"%s\",\"cert_subject\":\"CN=%s,O=Konseki Plant,C=JP\","
                  "\"cert_issuer\":\"CN=%s,O=Konseki Plant,C=JP\",\"cert_serial\":\"%s\","
                  "\"cert_not_before\":\"2024-01-01T00:00:00Z\","
                  "\"cert_not_after\":\"2026-01-01T00:00:00Z\",\"cert_san\":[\"%s\"],"
                  "\"cert_key\":\"rsaEncryption 2048\",\"cert_len\":%d",
                  sni, sni, sni, pc->serial, sni, pc->der_len);
}

static struct gen_script *plant_tls(struct world *w, struct rng *r)
{
    static const uint8_t v4[4] = {198, 51, 100, 43};
    static const uint32_t app[1][2] = {{420, 1800}};
    struct gen_cert pc = {0};
    struct gen_script *sc = gen_script_new(w);
    if (!sc)
        return NULL;
    plant_host(&sc->srv, r, v4, "secure.example.net", 0, OS_LINUX);
    if (make_cert(w, r, sc->srv.name, &pc) ||
        gen_tls12_script(sc, w, r, &pc, sc->srv.name, &gen_tls_chrome, &plant_shello, NULL, app, 1))
        sc->data.err = KS_EFORMAT;
    else
        tls_truth(sc, &pc);
    gen_cert_free(&pc);
    return sc;
}

/* ------------------------------------------------------------------ SSH (RFC 4253) */

struct ssh_side {
    const char *banner;
    const char *kex, *hostkey, *enc, *mac, *comp;
};

static const struct ssh_side ssh_client = {
    "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6",
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,sntrup761x25519-sha512@openssh.com,diffie-hellman-group-exchange-sha256,"
    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,"
    "ext-info-c",
    "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ssh-ed25519,"
    "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
    "aes256-gcm@openssh.com",
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    "none,zlib@openssh.com,zlib"};

static const struct ssh_side ssh_server = {
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
    "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com",
    "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
    "aes256-gcm@openssh.com",
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    "none,zlib@openssh.com"};

static void ssh_namelist(struct gen_bb *b, const char *s)
{
    gen_bb_u32(b, (uint32_t)strlen(s));
    gen_bb_str(b, s);
}

/*
 * Binary packet (§6): packet_length(4) padding_length(1) payload padding(>= 4), the
 * first five fields a multiple of 8 long (no cipher yet).  KEXINIT payload (§7.1):
 * 20, cookie(16), kex, host key, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s,
 * comp s2c, lang c2s, lang s2c (name-lists: uint32 length + text), first_kex_follows(1),
 * reserved uint32.
 */
static void ssh_kexinit(struct gen_bb *b, struct rng *r, const struct ssh_side *s)
{
    struct gen_bb p = {0};
    gen_bb_u8(&p, 20);
    gen_bb_rand(&p, r, 16);
    const char *lists[10] = {s->kex, s->hostkey, s->enc,  s->enc, s->mac,
                             s->mac, s->comp,    s->comp, "",     ""};
    for (int i = 0; i < 10; i++)
        ssh_namelist(&p, lists[i]);
    gen_bb_u8(&p, 0);
    gen_bb_u32(&p, 0);
    size_t pad = 8 - (5 + p.len) % 8;
    if (pad < 4)
        pad += 8;
    gen_bb_u32(b, (uint32_t)(1 + p.len + pad));
    gen_bb_u8(b, (uint32_t)pad);
    gen_bb_put(b, p.p, p.len);
    gen_bb_rand(b, r, pad);
    if (p.err)
        b->err = p.err;
    gen_bb_free(&p);
}

static struct gen_script *plant_ssh(struct world *w, struct rng *r)
{
    static const uint8_t v4[4] = {10, 0, 0, 22};
    const struct ssh_side *side[2] = {&ssh_client, &ssh_server};
    struct gen_script *sc = gen_script_new(w);
    if (!sc)
        return NULL;
    plant_host(&sc->srv, r, v4, "bastion.corp.example", 1, OS_LINUX);
    for (int dir = 0; dir < 2; dir++) {
        gen_script_begin(sc);
        gen_bb_printf(&sc->data, "%s\r\n", side[dir]->banner);
        gen_script_end(sc, dir);
    }
    for (int dir = 0; dir < 2; dir++) {
        gen_script_begin(sc);
        ssh_kexinit(&sc->data, r, side[dir]);
        gen_script_end(sc, dir);
    }
    struct gen_bb *t = &sc->truth;
    gen_bb_printf(t, ",\"plant\":\"ssh\",\"ssh_client\":\"%s\",\"ssh_server\":\"%s\"",
                  ssh_client.banner, ssh_server.banner);
    /* HASSH: kex;enc;mac;comp of the client (c2s), HASSHServer: of the server (s2c). */
    for (int dir = 0; dir < 2; dir++) {
        char line[2048], hex[80];
        const struct ssh_side *s = side[dir];
        snprintf(line, sizeof(line), "%s;%s;%s;%s", s->kex, s->enc, s->mac, s->comp);
        gen_digest_hex("md5", line, strlen(line), hex);
        const char *k = dir ? "hassh_server" : "hassh";
        gen_bb_printf(t, ",\"%s_string\":", k);
        gen_bb_json(t, line);
        gen_bb_printf(t, ",\"%s\":\"%s\"", k, hex);
    }
    return sc;
}

/* ------------------------------------------------------------------ Kerberos (RFC 4120) */

#define KRB_REALM "CORP.EXAMPLE"
#define KRB_USER "alice"

/* PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString } */
static void krb_principal(struct gen_bb *b, uint32_t ctx, int type, const char *a, const char *c2)
{
    size_t o = gen_der_open(b, 0xa0 | ctx), q = gen_der_open(b, 0x30);
    der_ctx_int(b, 0, type);
    size_t l = gen_der_open(b, 0xa1), s = gen_der_open(b, 0x30);
    const char *names[2] = {a, c2};
    for (int i = 0; i < 2 && names[i]; i++) {
        size_t g = gen_der_open(b, 0x1b);
        gen_bb_str(b, names[i]);
        gen_der_close(b, g);
    }
    gen_der_close(b, s);
    gen_der_close(b, l);
    gen_der_close(b, q);
    gen_der_close(b, o);
}

/* EncryptedData ::= SEQUENCE { etype [0], kvno [1] OPTIONAL, cipher [2] OCTET STRING } */
static void krb_encdata(struct gen_bb *b, struct rng *r, int kvno, size_t n)
{
    uint8_t c[1024];
    size_t q = gen_der_open(b, 0x30);
    der_ctx_int(b, 0, 18);
    if (kvno)
        der_ctx_int(b, 1, kvno);
    size_t o = gen_der_open(b, 0xa2);
    n = n < sizeof(c) ? n : sizeof(c);
    gen_rng_fill(r, c, n);
    gen_der_octets(b, c, n);
    gen_der_close(b, o);
    gen_der_close(b, q);
}

/* PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }: open … close */
static size_t krb_pa_open(struct gen_bb *b, int type, size_t *q)
{
    *q = gen_der_open(b, 0x30);
    der_ctx_int(b, 1, type);
    size_t o = gen_der_open(b, 0xa2);
    gen_der_open(b, 0x04);
    return o;
}

static void krb_pa_close(struct gen_bb *b, size_t o, size_t q)
{
    gen_der_close(b, o + 1); /* the OCTET STRING */
    gen_der_close(b, o);
    gen_der_close(b, q);
}

/* PA-ETYPE-INFO2 (§5.2.7.5): one entry, AES256 with the default salt REALM + user. */
static void krb_pa_etype_info2(struct gen_bb *b, const char *user)
{
    char salt[128];
    snprintf(salt, sizeof(salt), "%s%s", KRB_REALM, user);
    size_t q, o = krb_pa_open(b, 19, &q);
    size_t s = gen_der_open(b, 0x30), e = gen_der_open(b, 0x30);
    der_ctx_int(b, 0, 18);
    der_ctx_kstr(b, 1, salt);
    gen_der_close(b, e);
    gen_der_close(b, s);
    krb_pa_close(b, o, q);
}

static void krb_time(int64_t ns, char *dst, size_t n)
{
    time_t sec = (time_t)(ns / SEC);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(dst, n, "%Y%m%d%H%M%SZ", &tm);
}

static const int krb_etypes[] = {18, 17, 23};

/*
 * AS-REQ ::= [APPLICATION 10] KDC-REQ (§5.4.1):
 *   SEQUENCE { pvno [1] 5, msg-type [2] 10, padata [3] SEQUENCE OF PA-DATA,
 *              req-body [4] SEQUENCE { kdc-options [0] BIT STRING, cname [1], realm [2],
 *                                      sname [3], till [5], rtime [6], nonce [7],
 *                                      etype [8] SEQUENCE OF Int32 } }
 */
void gen_krb_as_req(struct gen_bb *b, struct rng *r, uint32_t nonce, int with_ts, const char *user)
{
    static const uint8_t pac_req[] = {0x30, 0x05, 0xa0, 0x03, 0x01, 0x01, 0xff};
    static const uint8_t opts[] = {0x03, 0x05, 0x00, 0x40, 0x81, 0x00, 0x10};
    size_t app = gen_der_open(b, 0x6a), sq = gen_der_open(b, 0x30), q, o;
    der_ctx_int(b, 1, 5);
    der_ctx_int(b, 2, 10);
    size_t pa = gen_der_open(b, 0xa3), pas = gen_der_open(b, 0x30);
    if (with_ts) {
        /* PA-ENC-TIMESTAMP (§5.2.7.2): EncryptedData of PA-ENC-TS-ENC under the user's key. */
        o = krb_pa_open(b, 2, &q);
        krb_encdata(b, r, 0, 56);
        krb_pa_close(b, o, q);
    }
    o = krb_pa_open(b, 128, &q); /* PA-PAC-REQUEST [MS-KILE] 2.2.3: include-pac TRUE */
    gen_bb_put(b, pac_req, sizeof(pac_req));
    krb_pa_close(b, o, q);
    gen_der_close(b, pas);
    gen_der_close(b, pa);
    size_t body = gen_der_open(b, 0xa4), bs = gen_der_open(b, 0x30);
    size_t k = gen_der_open(b, 0xa0); /* forwardable, renewable, canonicalize, renewable-ok */
    gen_bb_put(b, opts, sizeof(opts));
    gen_der_close(b, k);
    krb_principal(b, 1, 1, user, NULL);
    der_ctx_kstr(b, 2, KRB_REALM);
    krb_principal(b, 3, 2, "krbtgt", KRB_REALM);
    der_ctx_time(b, 5, "20370913024805Z");
    der_ctx_time(b, 6, "20370913024805Z");
    der_ctx_int(b, 7, nonce);
    size_t et = gen_der_open(b, 0xa8), ets = gen_der_open(b, 0x30);
    for (size_t i = 0; i < NELEM(krb_etypes); i++)
        gen_der_int(b, krb_etypes[i]);
    gen_der_close(b, ets);
    gen_der_close(b, et);
    gen_der_close(b, bs);
    gen_der_close(b, body);
    gen_der_close(b, sq);
    gen_der_close(b, app);
}

/*
 * KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1] 30, stime [4], susec [5],
 *   error-code [6], realm [9], sname [10], e-data [12] OCTET STRING (METHOD-DATA) } (§5.9.1)
 */
void gen_krb_error(struct gen_bb *b, int64_t t, int code, const char *user)
{
    char ts[32];
    krb_time(t, ts, sizeof(ts));
    size_t app = gen_der_open(b, 0x7e), sq = gen_der_open(b, 0x30);
    der_ctx_int(b, 0, 5);
    der_ctx_int(b, 1, 30);
    der_ctx_time(b, 4, ts);
    der_ctx_int(b, 5, (t / 1000) % 1000000);
    der_ctx_int(b, 6, code);
    der_ctx_kstr(b, 9, KRB_REALM);
    krb_principal(b, 10, 2, "krbtgt", KRB_REALM);
    if (code == 25) {
        /* KDC_ERR_PREAUTH_REQUIRED says how to pre-authenticate; other errors say nothing. */
        size_t ed = gen_der_open(b, 0xac), os = gen_der_open(b, 0x04), md = gen_der_open(b, 0x30);
        krb_pa_etype_info2(b, user);
        size_t q, o = krb_pa_open(b, 2, &q); /* PA-ENC-TIMESTAMP: empty, "use this" */
        krb_pa_close(b, o, q);
        gen_der_close(b, md);
        gen_der_close(b, os);
        gen_der_close(b, ed);
    }
    gen_der_close(b, sq);
    gen_der_close(b, app);
}

/*
 * AS-REP ::= [APPLICATION 11] SEQUENCE { pvno [0] 5, msg-type [1] 11, padata [2], crealm [3],
 *   cname [4], ticket [5] Ticket, enc-part [6] EncryptedData } (§5.4.2);
 * Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] 5, realm [1], sname [2], enc-part [3] }
 */
void gen_krb_as_rep(struct gen_bb *b, struct rng *r, const char *user)
{
    size_t app = gen_der_open(b, 0x6b), sq = gen_der_open(b, 0x30);
    der_ctx_int(b, 0, 5);
    der_ctx_int(b, 1, 11);
    size_t pa = gen_der_open(b, 0xa2), pas = gen_der_open(b, 0x30);
    krb_pa_etype_info2(b, user);
    gen_der_close(b, pas);
    gen_der_close(b, pa);
    der_ctx_kstr(b, 3, KRB_REALM);
    krb_principal(b, 4, 1, user, NULL);
    size_t tk = gen_der_open(b, 0xa5), ta = gen_der_open(b, 0x61), ts = gen_der_open(b, 0x30);
    der_ctx_int(b, 0, 5);
    der_ctx_kstr(b, 1, KRB_REALM);
    krb_principal(b, 2, 2, "krbtgt", KRB_REALM);
    size_t te = gen_der_open(b, 0xa3);
    krb_encdata(b, r, 2, 880);
    gen_der_close(b, te);
    gen_der_close(b, ts);
    gen_der_close(b, ta);
    gen_der_close(b, tk);
    size_t ep = gen_der_open(b, 0xa6);
    krb_encdata(b, r, 0, 260);
    gen_der_close(b, ep);
    gen_der_close(b, sq);
    gen_der_close(b, app);
}

static struct gen_script *plant_krb(struct world *w, struct rng *r, int64_t t)
{
    static const uint8_t v4[4] = {10, 0, 0, 10};
    struct gen_script *sc = gen_script_new(w);
    if (!sc)
        return NULL;
    plant_host(&sc->srv, r, v4, "dc01.corp.example", 1, OS_WINDOWS);
    uint32_t nonce = (uint32_t)gen_rng_next(r) & 0x7fffffff;
    gen_script_begin(sc);
    gen_krb_as_req(&sc->data, r, nonce, 0, KRB_USER);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    gen_krb_error(&sc->data, t, 25, KRB_USER);
    gen_script_end(sc, 1);
    nonce = (uint32_t)gen_rng_next(r) & 0x7fffffff;
    gen_script_begin(sc);
    gen_krb_as_req(&sc->data, r, nonce, 1, KRB_USER);
    gen_script_end(sc, 0);
    gen_script_begin(sc);
    gen_krb_as_rep(&sc->data, r, KRB_USER);
    gen_script_end(sc, 1);
    gen_bb_printf(&sc->truth,
                  ",\"plant\":\"kerberos-asrep\",\"cname\":\"%s\",\"realm\":\"%s\","
                  "\"sname\":\"krbtgt/%s\",\"etypes\":[18,17,23],\"error_code\":25,"
                  "\"error_name\":\"KDC_ERR_PREAUTH_REQUIRED\","
                  "\"msg_types\":[\"AS-REQ\",\"KRB-ERROR\",\"AS-REQ\",\"AS-REP\"],"
                  "\"preauth\":\"PA-ENC-TIMESTAMP\"",
                  KRB_USER, KRB_REALM, KRB_REALM);
    return sc;
}

/* ------------------------------------------------------------------ the scenario */

int gen_plant_spawn(struct world *w, const struct gen_cfg *c, struct rng *r, int64_t t,
                    uint64_t *id, gen_push_fn push, void *ctx)
{
    struct rng pr;
    int rc;
    gen_rng_split(r, &pr);
    struct host *win = plant_client(w, OS_WINDOWS, 0);
    struct host *win2 = plant_client(w, OS_WINDOWS, 1);
    struct host *lin = plant_client(w, OS_LINUX, 0);
    struct host *admin = plant_client(w, OS_WINDOWS, 2);

    /* DNS over UDP (all seven) then over TCP (all but the unanswered one), 200 ms apart. */
    int64_t at = t;
    for (int tcp = 0; tcp < 2; tcp++) {
        for (size_t i = 0; i < NELEM(dns_plants); i++) {
            if (tcp && !dns_plants[i].answered)
                continue;
            struct gen_script *sc = plant_dns(w, &pr, &dns_plants[i], tcp);
            if (!sc)
                return KS_ENOMEM;
            rc = gen_sess_push(push, ctx,
                               gen_sess_scripted(w, c, r, at, id, win, &w->resolver[0],
                                                 tcp ? 6 : 17, 53, K_DNS, sc));
            if (rc)
                return rc;
            at += 200 * 1000000LL;
        }
    }
    struct {
        struct gen_script *sc;
        struct host *cli;
        uint8_t proto;
        uint16_t port;
        int kind;
    } p[5];
    at = t + 4 * SEC;
    p[0].sc = plant_http(w, &pr, at);
    p[0].cli = win2, p[0].proto = 6, p[0].port = 80, p[0].kind = K_HTTP;
    p[1].sc = plant_tls(w, &pr);
    p[1].cli = win2, p[1].proto = 6, p[1].port = 443, p[1].kind = K_TLS;
    p[2].sc = plant_ssh(w, &pr);
    p[2].cli = lin, p[2].proto = 6, p[2].port = 22, p[2].kind = K_SSH;
    p[3].sc = plant_krb(w, &pr, at + 3 * 2 * SEC);
    p[3].cli = admin, p[3].proto = 17, p[3].port = 88, p[3].kind = K_KRB;
    p[4].sc = gen_script_new(w);
    p[4].cli = admin, p[4].proto = 6, p[4].port = 445, p[4].kind = K_SMB;
    if (p[4].sc) {
        static const uint8_t v4[4] = {10, 0, 0, 25};
        char ws[16];
        snprintf(ws, sizeof(ws), "WKS-%03u", admin->v4[3]);
        plant_host(&p[4].sc->srv, &pr, v4, "FS01", 1, OS_WINDOWS);
        if (gen_smb_psexec(p[4].sc, &pr, at + 4 * 2 * SEC, KRB_USER, "CORP", ws))
            p[4].sc->data.err = KS_EFORMAT;
    }
    for (int i = 0; i < 5; i++, at += 2 * SEC) {
        if (!p[i].sc)
            return KS_ENOMEM;
        struct sess *s = gen_sess_scripted(w, c, r, at, id, p[i].cli, &p[i].sc->srv, p[i].proto,
                                           p[i].port, p[i].kind, p[i].sc);
        if ((rc = gen_sess_push(push, ctx, s)))
            return rc;
    }
    return 0;
}
