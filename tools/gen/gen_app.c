/*
 * gen_app.c — application bytes: HTTP/1.1, TLS 1.3 handshakes and records,
 * DNS, NTP, syslog and ping payloads.
 *
 * Content only has to look right to a dissector (tshark decodes every message
 * without a warning) and to konseki's parsers; bulk bodies come from the
 * world's random / text pools and are described, not stored (struct msg).
 */
#include "gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

static void msg_reset(struct msg *m)
{
    m->lit_len = 0;
    m->body_len = 0;
    m->sent = 0;
    m->body_seed = 0;
    m->body_type = BODY_RAW;
}

static void lit_put(struct msg *m, const void *p, size_t n)
{
    if (n > GEN_LIT_MAX - m->lit_len)
        n = GEN_LIT_MAX - m->lit_len;
    memcpy(m->lit + m->lit_len, p, n);
    m->lit_len += (uint32_t)n;
}

static void lit_u8(struct msg *m, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    lit_put(m, &b, 1);
}

static void lit_u16(struct msg *m, uint32_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    lit_put(m, b, 2);
}

static void lit_u32(struct msg *m, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    lit_put(m, b, 4);
}

static void lit_printf(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lit_printf(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = GEN_LIT_MAX - m->lit_len;
    int k = vsnprintf((char *)m->lit + m->lit_len, room, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    m->lit_len += (uint32_t)((size_t)k < room ? (size_t)k : room - 1);
}

/* Patch a big-endian length of width bytes at lit[at]. */
static void lit_patch(struct msg *m, uint32_t at, int width, uint32_t v)
{
    for (int i = width - 1; i >= 0; i--) {
        m->lit[at + (uint32_t)i] = (uint8_t)v;
        v >>= 8;
    }
}

static void lit_random(struct msg *m, struct rng *r, size_t n)
{
    if (n > GEN_LIT_MAX - m->lit_len)
        n = GEN_LIT_MAX - m->lit_len;
    gen_rng_fill(r, m->lit + m->lit_len, n);
    m->lit_len += (uint32_t)n;
}

void gen_sess_note(struct sess *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = GEN_NOTE_MAX - s->note_len;
    int k = vsnprintf(s->note + s->note_len, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        s->note_len += (size_t)k < room ? (size_t)k : room - 1;
}

/* Howard Hinnant's civil_from_days. */
static void civil(int64_t days, int *y, int *mo, int *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *mo = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*mo <= 2));
}

void gen_app_http_date(int64_t ns, char *dst, size_t n)
{
    static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t sec = ns / 1000000000;
    int64_t days = sec / 86400, rem = sec % 86400;
    int y, mo, d;
    civil(days, &y, &mo, &d);
    /* RFC 9110 §5.6.7 IMF-fixdate. */
    snprintf(dst, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[days % 7], d, mn[mo - 1], y,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

static void iso_time(int64_t ns, char *dst, size_t n)
{
    int64_t sec = ns / 1000000000;
    int64_t days = sec / 86400, rem = sec % 86400;
    int y, mo, d;
    civil(days, &y, &mo, &d);
    snprintf(dst, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60), (int)(ns / 1000000 % 1000));
}

/* ------------------------------------------------------------------ HTTP/1.1 (RFC 9112) */

static const char *const ua_browser[3][2] = {
    /* OS_LINUX */
    {"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36"},
    /* OS_WINDOWS */
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36"},
    /* OS_MAC */
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.2 Safari/605.1.15",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0"},
};

static const char *user_agent(const struct sess *s)
{
    const char *n = s->srv->name;
    /* Software that fetches over plain HTTP identifies itself. */
    if (strstr(n, "debian.org"))
        return "Debian APT-HTTP/1.3 (2.6.1)";
    if (strstr(n, "ocsp") || strstr(n, "crl.") || strstr(n, "windowsupdate"))
        return s->cli->os == OS_WINDOWS ? "Microsoft-CryptoAPI/10.0" : "curl/7.88.1";
    if (s->cli->agent == 3)
        return s->cli->os == OS_WINDOWS ? "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
                                          "WindowsPowerShell/5.1.19041.3803"
                                        : "curl/7.88.1";
    int os = s->cli->os <= OS_MAC ? s->cli->os : 0;
    return ua_browser[os][s->cli->agent & 1];
}

static const char *const exts[] = {"html", "js", "css", "json", "bin", "txt"};

void gen_app_http_request(struct sess *s, struct msg *m, uint32_t body, int with_note)
{
    static const char *const words[] = {"index", "static", "assets",   "api",    "v2",  "search",
                                        "news",  "docs",   "download", "update", "img", "cart"};
    char path[128];
    struct rng *r = &s->rng;
    msg_reset(m);
    uint32_t p = gen_rng_below(r, 6);
    if (strstr(s->srv->name, "debian.org"))
        snprintf(path, sizeof(path), "/debian/pool/main/%c/%s/%s_%u.%u-%u_amd64.deb",
                 'a' + (int)gen_rng_below(r, 26), words[gen_rng_below(r, 12)],
                 words[gen_rng_below(r, 12)], (unsigned)gen_rng_range(r, 1, 9),
                 (unsigned)gen_rng_below(r, 20), (unsigned)gen_rng_range(r, 1, 4));
    else if (p == 0)
        snprintf(path, sizeof(path), "/");
    else if (p < 3)
        snprintf(path, sizeof(path), "/%s/%s.%s", words[gen_rng_below(r, 12)],
                 words[gen_rng_below(r, 12)], exts[gen_rng_below(r, 6)]);
    else if (p < 5)
        snprintf(path, sizeof(path), "/%s/%s?id=%u&page=%u", words[gen_rng_below(r, 12)],
                 words[gen_rng_below(r, 12)], (unsigned)gen_rng_below(r, 100000),
                 (unsigned)gen_rng_range(r, 1, 9));
    else
        snprintf(path, sizeof(path), "/%s/%08x%08x.%s", words[gen_rng_below(r, 12)],
                 (unsigned)gen_rng_next(r), (unsigned)gen_rng_next(r), exts[gen_rng_below(r, 6)]);
    const char *method = body ? "POST" : "GET";
    lit_printf(m,
               "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
               "Accept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\n",
               method, path, s->srv->name, user_agent(s));
    if (body) {
        lit_printf(m, "Content-Type: application/octet-stream\r\nContent-Length: %u\r\n",
                   (unsigned)body);
        m->body_type = BODY_RAW;
        m->body_len = body;
        m->body_seed = (uint32_t)gen_rng_next(r);
    }
    lit_printf(m, "\r\n");
    if (with_note)
        gen_sess_note(s, ",\"host\":\"%s\",\"method\":\"%s\",\"uri\":\"%s\"", s->srv->name, method,
                      path);
}

void gen_app_http_response(struct sess *s, struct msg *m, uint32_t body, int with_note)
{
    static const char *const servers[] = {"nginx/1.24.0", "Apache/2.4.57 (Debian)",
                                          "Microsoft-IIS/10.0", "cloudflare"};
    struct rng *r = &s->rng;
    char date[40];
    msg_reset(m);
    gen_app_http_date(s->t, date, sizeof(date));
    uint32_t p = gen_rng_below(r, 100);
    int status = 200;
    const char *reason = "OK";
    if (body < 64 * 1024 && !s->want_ok) {
        if (p < 5) {
            status = 304, reason = "Not Modified";
        } else if (p < 9) {
            status = 404, reason = "Not Found";
        } else if (p < 12) {
            status = 301, reason = "Moved Permanently";
        }
    }
    lit_printf(m, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n", status, reason, date,
               servers[gen_rng_below(r, 4)]);
    if (status == 304) {
        body = 0;
        lit_printf(m, "ETag: \"%08x\"\r\n", (unsigned)gen_rng_next(r));
    } else {
        if (status == 301)
            lit_printf(m, "Location: https://%s/\r\n", s->srv->name);
        int text = status != 200 || body < 32 * 1024;
        lit_printf(m, "Content-Type: %s\r\nContent-Length: %u\r\n",
                   text ? "text/html; charset=utf-8" : "application/octet-stream", (unsigned)body);
        m->body_type = text ? BODY_TEXT : BODY_RAW;
        m->body_len = body;
        m->body_seed = (uint32_t)gen_rng_next(r);
    }
    lit_printf(m, "Connection: keep-alive\r\n\r\n");
    if (with_note)
        gen_sess_note(s, ",\"status\":%d", status);
}

/* ------------------------------------------------------------------ TLS 1.3 (RFC 8446) */

/*
 * Four ClientHello shapes (cipher suites and extension order) so JA3/JA4 see a
 * handful of distinct clients: Chromium-like, Firefox-like, OpenSSL/curl-like
 * and a Windows-SChannel-like one.
 */
static const uint16_t suites_chrome[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                         0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                         0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t suites_firefox[] = {0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9,
                                          0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013,
                                          0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t suites_openssl[] = {
    0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
    0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
    0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
static const uint16_t suites_schannel[] = {0x1302, 0x1301, 0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024,
                                           0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014, 0xc013,
                                           0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f};

enum {
    EXT_SNI,
    EXT_GROUPS,
    EXT_POINTS,
    EXT_SIGALGS,
    EXT_ALPN,
    EXT_EMS,
    EXT_VERSIONS,
    EXT_PSKMODES,
    EXT_KEYSHARE,
    EXT_RENEG,
    EXT_END
};

static const uint8_t order_chrome[] = {EXT_SNI,      EXT_EMS,      EXT_RENEG,   EXT_GROUPS,
                                       EXT_POINTS,   EXT_ALPN,     EXT_SIGALGS, EXT_KEYSHARE,
                                       EXT_PSKMODES, EXT_VERSIONS, EXT_END};
static const uint8_t order_firefox[] = {EXT_SNI,     EXT_EMS,      EXT_RENEG,    EXT_GROUPS,
                                        EXT_POINTS,  EXT_ALPN,     EXT_KEYSHARE, EXT_VERSIONS,
                                        EXT_SIGALGS, EXT_PSKMODES, EXT_END};
static const uint8_t order_openssl[] = {EXT_SNI,      EXT_POINTS,  EXT_GROUPS,   EXT_ALPN,
                                        EXT_EMS,      EXT_SIGALGS, EXT_VERSIONS, EXT_PSKMODES,
                                        EXT_KEYSHARE, EXT_END};
static const uint8_t order_schannel[] = {EXT_SNI,      EXT_VERSIONS, EXT_GROUPS, EXT_POINTS,
                                         EXT_SIGALGS,  EXT_ALPN,     EXT_EMS,    EXT_PSKMODES,
                                         EXT_KEYSHARE, EXT_RENEG,    EXT_END};

static void ext_hdr(struct msg *m, uint16_t type, uint32_t len)
{
    lit_u16(m, type);
    lit_u16(m, len);
}

static void tls_ext(struct msg *m, struct rng *r, int e, const char *sni)
{
    static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                       0x0805, 0x0501, 0x0806, 0x0601};
    size_t l;
    switch (e) {
    case EXT_SNI: /* RFC 6066 §3 */
        l = strlen(sni);
        ext_hdr(m, 0x0000, (uint32_t)l + 5);
        lit_u16(m, (uint32_t)l + 3);
        lit_u8(m, 0);
        lit_u16(m, (uint32_t)l);
        lit_put(m, sni, l);
        break;
    case EXT_GROUPS: /* x25519, secp256r1, secp384r1 */
        ext_hdr(m, 0x000a, 8);
        lit_u16(m, 6);
        lit_u16(m, 0x001d);
        lit_u16(m, 0x0017);
        lit_u16(m, 0x0018);
        break;
    case EXT_POINTS:
        ext_hdr(m, 0x000b, 2);
        lit_u8(m, 1);
        lit_u8(m, 0);
        break;
    case EXT_SIGALGS:
        ext_hdr(m, 0x000d, 2 + 2 * 8);
        lit_u16(m, 2 * 8);
        for (int i = 0; i < 8; i++)
            lit_u16(m, sigalgs[i]);
        break;
    case EXT_ALPN: /* RFC 7301: "h2", "http/1.1" */
        ext_hdr(m, 0x0010, 2 + 3 + 9);
        lit_u16(m, 3 + 9);
        lit_u8(m, 2);
        lit_put(m, "h2", 2);
        lit_u8(m, 8);
        lit_put(m, "http/1.1", 8);
        break;
    case EXT_EMS: /* RFC 7627 */
        ext_hdr(m, 0x0017, 0);
        break;
    case EXT_RENEG: /* RFC 5746: empty renegotiation_info */
        ext_hdr(m, 0xff01, 1);
        lit_u8(m, 0);
        break;
    case EXT_VERSIONS: /* TLS 1.3, TLS 1.2 */
        ext_hdr(m, 0x002b, 5);
        lit_u8(m, 4);
        lit_u16(m, 0x0304);
        lit_u16(m, 0x0303);
        break;
    case EXT_PSKMODES: /* psk_dhe_ke */
        ext_hdr(m, 0x002d, 2);
        lit_u8(m, 1);
        lit_u8(m, 1);
        break;
    case EXT_KEYSHARE: /* one x25519 share */
        ext_hdr(m, 0x0033, 2 + 4 + 32);
        lit_u16(m, 4 + 32);
        lit_u16(m, 0x001d);
        lit_u16(m, 32);
        lit_random(m, r, 32);
        break;
    default:
        break;
    }
}

/*
 * ClientHello (RFC 8446 §4.1.2) in one TLSPlaintext record:
 *   record: 16 03 01 len(2)
 *   handshake: 01 len(3) | 03 03 | random(32) | sid_len(1)=32 sid | suites_len(2) suites |
 *              01 00 | ext_len(2) extensions…
 */
void gen_app_tls_client_hello(struct sess *s, struct msg *m, int with_note)
{
    static const uint16_t *const suites[] = {suites_chrome, suites_firefox, suites_openssl,
                                             suites_schannel};
    static const size_t nsuites[] = {sizeof(suites_chrome) / 2, sizeof(suites_firefox) / 2,
                                     sizeof(suites_openssl) / 2, sizeof(suites_schannel) / 2};
    static const uint8_t *const orders[] = {order_chrome, order_firefox, order_openssl,
                                            order_schannel};
    struct rng *r = &s->rng;
    int p = s->profile & 3;
    msg_reset(m);
    lit_u8(m, 0x16);
    lit_u16(m, 0x0301);
    uint32_t rec_len_at = m->lit_len;
    lit_u16(m, 0);
    lit_u8(m, 1);
    uint32_t hs_len_at = m->lit_len;
    lit_u8(m, 0);
    lit_u16(m, 0);
    lit_u16(m, 0x0303);
    lit_random(m, r, 32);
    lit_u8(m, 32);
    lit_random(m, r, 32);
    lit_u16(m, (uint32_t)nsuites[p] * 2);
    for (size_t i = 0; i < nsuites[p]; i++)
        lit_u16(m, suites[p][i]);
    lit_u8(m, 1);
    lit_u8(m, 0);
    uint32_t ext_len_at = m->lit_len;
    lit_u16(m, 0);
    for (const uint8_t *e = orders[p]; *e != EXT_END; e++)
        tls_ext(m, r, *e, s->srv->name);
    lit_patch(m, ext_len_at, 2, m->lit_len - ext_len_at - 2);
    lit_patch(m, hs_len_at, 3, m->lit_len - hs_len_at - 3);
    lit_patch(m, rec_len_at, 2, m->lit_len - rec_len_at - 2);
    if (with_note)
        gen_sess_note(s, ",\"sni\":\"%s\"", s->srv->name);
}

static uint32_t tls_fix(uint32_t bytes)
{
    /* Every record needs a header and at least a content type + tag (22 bytes). */
    if (bytes < 22)
        return 22;
    uint32_t tail = bytes % GEN_TLS_REC;
    if (tail && tail < 22)
        bytes += 22 - tail;
    return bytes;
}

/*
 * ServerHello (RFC 8446 §4.1.3) + change_cipher_spec (middlebox compatibility,
 * Appendix D.4), then `encrypted` bytes of application_data records standing
 * for EncryptedExtensions, Certificate, CertificateVerify and Finished.
 */
void gen_app_tls_server_flight(struct sess *s, struct msg *m, uint32_t encrypted)
{
    struct rng *r = &s->rng;
    msg_reset(m);
    lit_u8(m, 0x16);
    lit_u16(m, 0x0303);
    uint32_t rec_len_at = m->lit_len;
    lit_u16(m, 0);
    lit_u8(m, 2);
    uint32_t hs_len_at = m->lit_len;
    lit_u8(m, 0);
    lit_u16(m, 0);
    lit_u16(m, 0x0303);
    lit_random(m, r, 32);
    lit_u8(m, 32);
    /* Echo the client's legacy_session_id: bytes 44..75 of its hello record. */
    lit_put(m, s->m[0].lit + 44, 32);
    lit_u16(m, s->profile == 2 ? 0x1302 : 0x1301);
    lit_u8(m, 0);
    lit_u16(m, 6 + 40);
    ext_hdr(m, 0x002b, 2);
    lit_u16(m, 0x0304);
    ext_hdr(m, 0x0033, 36);
    lit_u16(m, 0x001d);
    lit_u16(m, 32);
    lit_random(m, r, 32);
    lit_patch(m, hs_len_at, 3, m->lit_len - hs_len_at - 3);
    lit_patch(m, rec_len_at, 2, m->lit_len - rec_len_at - 2);
    static const uint8_t ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    lit_put(m, ccs, 6);
    m->body_type = BODY_TLS;
    m->body_len = tls_fix(encrypted);
    m->body_seed = (uint32_t)gen_rng_next(r);
}

void gen_app_tls_data(struct sess *s, struct msg *m, uint32_t bytes, int client_first)
{
    struct rng *r = &s->rng;
    msg_reset(m);
    if (client_first) {
        /* change_cipher_spec + the client's encrypted Finished (32-byte HMAC + type + tag). */
        static const uint8_t ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
        lit_put(m, ccs, 6);
        lit_u8(m, 0x17);
        lit_u16(m, 0x0303);
        lit_u16(m, 53);
        lit_random(m, r, 53);
    }
    m->body_type = BODY_TLS;
    m->body_len = tls_fix(bytes);
    m->body_seed = (uint32_t)gen_rng_next(r);
}

/* ------------------------------------------------------------------ DNS (RFC 1035) */

/*
 * Header: id(2) flags(2) qdcount(2) ancount(2) nscount(2) arcount(2)
 * Question: name(labels) type(2) class(2)
 * RR: name(labels or c0 xx pointer) type(2) class(2) ttl(4) rdlength(2) rdata
 */
size_t gen_app_dns_name(const char *name, uint8_t *out, size_t cap)
{
    const char *p = name;
    size_t n = 0;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (n + 1 + l + 1 > cap)
            break;
        out[n++] = (uint8_t)l;
        memcpy(out + n, p, l);
        n += l;
        p += l;
        if (*p == '.')
            p++;
    }
    if (n < cap)
        out[n++] = 0;
    return n;
}

static void dns_name(struct msg *m, const char *name)
{
    uint8_t w[256];
    lit_put(m, w, gen_app_dns_name(name, w, sizeof(w)));
}

/* Offset (from the DNS header) of the last `labels` labels of the question name. */
static uint32_t zone_offset(const char *name, int labels)
{
    size_t n = strlen(name);
    int seen = 0;
    for (size_t i = n; i > 0; i--) {
        if (name[i - 1] == '.' && ++seen == labels)
            return 12 + (uint32_t)i;
    }
    return 12;
}

static void dns_soa(struct msg *m, uint32_t zone_ptr, uint32_t serial)
{
    lit_u16(m, 0xc000 | zone_ptr);
    lit_u16(m, 6);
    lit_u16(m, 1);
    lit_u32(m, 900);
    uint32_t rdlen_at = m->lit_len;
    lit_u16(m, 0);
    lit_u8(m, 3);
    lit_put(m, "ns1", 3);
    lit_u16(m, 0xc000 | zone_ptr);
    lit_u8(m, 10);
    lit_put(m, "hostmaster", 10);
    lit_u16(m, 0xc000 | zone_ptr);
    lit_u32(m, serial);
    lit_u32(m, 7200);
    lit_u32(m, 900);
    lit_u32(m, 1209600);
    lit_u32(m, 300);
    lit_patch(m, rdlen_at, 2, m->lit_len - rdlen_at - 2);
}

static void dns_opt(struct msg *m, uint32_t size)
{
    /* RFC 6891 OPT pseudo-RR: root name, type 41, class = UDP payload size. */
    lit_u8(m, 0);
    lit_u16(m, 41);
    lit_u16(m, size);
    lit_u32(m, 0);
    lit_u16(m, 0);
}

void gen_app_dns(struct sess *s, const char *name, uint16_t qtype, const struct host *target,
                 int nxdomain)
{
    struct rng *r = &s->rng;
    struct msg *q = &s->m[0], *a = &s->m[1];
    uint16_t id = (uint16_t)gen_rng_next(r);
    int edns = s->cli->os != OS_WINDOWS;
    msg_reset(q);
    lit_u16(q, id);
    lit_u16(q, 0x0100); /* RD */
    lit_u16(q, 1);
    lit_u16(q, 0);
    lit_u16(q, 0);
    lit_u16(q, edns ? 1 : 0);
    dns_name(q, name);
    lit_u16(q, qtype);
    lit_u16(q, 1);
    uint32_t qend = q->lit_len;
    if (edns)
        dns_opt(q, 1232);

    int have = qtype == 1 || (qtype == 28 && target && target->has_v6);
    int cname = have && !nxdomain && gen_rng_chance(r, 300);
    uint32_t naddr = have && !nxdomain ? 1 + (gen_rng_chance(r, 300) ? 1 : 0) : 0;
    int rcode = nxdomain ? 3 : 0;
    msg_reset(a);
    lit_u16(a, id);
    lit_u16(a, 0x8180 | (uint32_t)rcode); /* QR RD RA */
    lit_u16(a, 1);
    lit_u16(a, (uint32_t)(naddr + (cname ? 1 : 0)));
    lit_u16(a, naddr ? 0 : 1);
    lit_u16(a, edns ? 1 : 0);
    lit_put(a, q->lit + 12, qend - 12);
    uint32_t owner = 12;
    if (cname) {
        lit_u16(a, 0xc00c);
        lit_u16(a, 5);
        lit_u16(a, 1);
        lit_u32(a, (uint32_t)gen_rng_range(r, 60, 3600));
        uint32_t rdlen_at = a->lit_len;
        lit_u16(a, 0);
        owner = a->lit_len;
        char alias[96];
        snprintf(alias, sizeof(alias), "edge-%u.cdn%u.net", (unsigned)gen_rng_below(r, 64),
                 (unsigned)gen_rng_below(r, 8));
        dns_name(a, alias);
        lit_patch(a, rdlen_at, 2, a->lit_len - rdlen_at - 2);
    }
    uint32_t ttl = (uint32_t)gen_rng_range(r, 20, 300);
    for (uint32_t i = 0; i < naddr; i++) {
        lit_u16(a, 0xc000 | owner);
        lit_u16(a, qtype);
        lit_u16(a, 1);
        lit_u32(a, ttl);
        if (qtype == 1) {
            uint8_t v4[4];
            memcpy(v4, target->v4, 4);
            v4[3] = (uint8_t)(v4[3] + i);
            lit_u16(a, 4);
            lit_put(a, v4, 4);
        } else {
            uint8_t v6[16];
            memcpy(v6, target->v6, 16);
            v6[15] = (uint8_t)(v6[15] + i);
            lit_u16(a, 16);
            lit_put(a, v6, 16);
        }
    }
    if (!naddr)
        dns_soa(a, zone_offset(name, nxdomain ? 1 : 2), 2024011500 + gen_rng_below(r, 99));
    if (edns)
        dns_opt(a, 1232);
    static const char *const rc[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN"};
    gen_sess_note(s, ",\"qname\":\"%s\",\"qtype\":\"%s\",\"rcode\":\"%s\",\"answers\":%u", name,
                  qtype == 1 ? "A" : "AAAA", rc[rcode], (unsigned)(naddr + (cname ? 1 : 0)));
}

/* ------------------------------------------------------------------ NTP (RFC 5905 §7.3) */

/* 64-bit NTP timestamp: seconds since 1900 and a binary fraction. */
static void ntp_ts(struct msg *m, int64_t ns)
{
    uint64_t sec = (uint64_t)(ns / 1000000000) + UINT64_C(2208988800);
    uint64_t frac = ((uint64_t)(ns % 1000000000) << 32) / 1000000000u;
    lit_u32(m, (uint32_t)sec);
    lit_u32(m, (uint32_t)frac);
}

void gen_app_ntp(struct sess *s, int64_t t)
{
    struct msg *q = &s->m[0], *a = &s->m[1];
    struct rng *r = &s->rng;
    int64_t xmt = t - (int64_t)gen_rng_below(r, 200000);
    msg_reset(q);
    lit_u8(q, 0x23); /* LI 0, VN 4, mode 3 (client) */
    lit_u8(q, 0);
    lit_u8(q, 6);
    lit_u8(q, 0xe8); /* precision 2^-24 */
    for (int i = 0; i < 9; i++)
        lit_u32(q, 0); /* root delay, dispersion, refid, reference / origin / receive times */
    ntp_ts(q, xmt);

    int64_t rx = t + s->rtt / 2;
    msg_reset(a);
    lit_u8(a, 0x24); /* LI 0, VN 4, mode 4 (server) */
    lit_u8(a, 2);
    lit_u8(a, 6);
    lit_u8(a, 0xe9);
    lit_u32(a, (uint32_t)gen_rng_range(r, 0x100, 0x4000)); /* root delay */
    lit_u32(a, (uint32_t)gen_rng_range(r, 0x100, 0x2000)); /* root dispersion */
    lit_u32(a, (uint32_t)gen_rng_next(r) | 0x80000000u);   /* reference id: upstream IPv4 */
    ntp_ts(a, t - (int64_t)gen_rng_range(r, 10, 1000) * 1000000000);
    /* origin = the client's transmit timestamp, copied bit for bit */
    lit_put(a, q->lit + 40, 8);
    ntp_ts(a, rx);
    ntp_ts(a, rx + 15000);
}

/* ------------------------------------------------------------------ syslog (RFC 5424 / 5426) */

void gen_app_syslog(struct sess *s, uint32_t size, int64_t t)
{
    static const char *const apps[] = {"sshd", "kernel", "auditd", "nginx", "CRON", "systemd"};
    struct msg *m = &s->m[0];
    char ts[40];
    iso_time(t, ts, sizeof(ts));
    msg_reset(m);
    lit_printf(m, "<%u>1 %s host-%u-%u %s %u - - ",
               (unsigned)(8 * 16 + gen_rng_range(&s->rng, 4, 6)), ts,
               s->caddr[s->ipver == 4 ? 2 : 7], s->caddr[s->ipver == 4 ? 3 : 15],
               apps[gen_rng_below(&s->rng, 6)], (unsigned)gen_rng_range(&s->rng, 300, 40000));
    m->body_type = BODY_TEXT;
    m->body_len = size > m->lit_len ? size - m->lit_len : 1;
    m->body_seed = (uint32_t)gen_rng_next(&s->rng);
}

/* ------------------------------------------------------------------ ping payloads */

void gen_app_icmp_data(struct sess *s, int64_t t)
{
    struct msg *q = &s->m[0];
    msg_reset(q);
    if (s->cli->os == OS_WINDOWS) {
        lit_put(q, "abcdefghijklmnopqrstuvwabcdefghi", 32);
    } else {
        /* iputils / BSD ping: struct timeval (little-endian on x86) then 0x10, 0x11 … */
        uint64_t sec = (uint64_t)(t / 1000000000), usec = (uint64_t)(t % 1000000000) / 1000;
        uint8_t tv[16];
        for (int i = 0; i < 8; i++) {
            tv[i] = (uint8_t)(sec >> (8 * i));
            tv[8 + i] = (uint8_t)(usec >> (8 * i));
        }
        lit_put(q, tv, 16);
        for (uint32_t i = 0; i < 40; i++)
            lit_u8(q, 0x10 + i);
    }
    s->m[1] = *q; /* the reply echoes the data */
}
