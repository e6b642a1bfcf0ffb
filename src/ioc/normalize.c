/*
 * normalize.c — one canonical text per indicator, so equal text means equal indicator.
 *
 * Steps, in order: trim ASCII whitespace; undo defanging (the notations analysts use so a
 * value cannot be clicked: hxxp://, fxp://, [.], (.), {.}, [dot], (dot), [:], [://], [at],
 * (at), [@]); then the per-type rules documented in ioc.h.  Domains go through IDNA's
 * ToASCII in its simple form: labels with non-ASCII characters are case-folded (ASCII, Latin-1,
 * Latin Extended-A, Greek, Cyrillic; no Unicode NFC step) and encoded with Punycode
 * (RFC 3492, written here: section 6.3 is the encoder below).
 */
#include "ioc/ioc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const ioc_names[IOC__COUNT] = {
    [IOC_IP] = "ip",
    [IOC_CIDR] = "cidr",
    [IOC_DOMAIN] = "domain",
    [IOC_URL] = "url",
    [IOC_UA] = "ua",
    [IOC_JA3] = "ja3",
    [IOC_JA3S] = "ja3s",
    [IOC_JA4] = "ja4",
    [IOC_CERT_SHA1] = "cert-sha1",
    [IOC_CERT_SHA256] = "cert-sha256",
    [IOC_CERT_SERIAL] = "cert-serial",
    [IOC_MD5] = "md5",
    [IOC_SHA1] = "sha1",
    [IOC_SHA256] = "sha256",
    [IOC_EMAIL] = "email",
};

const char *ioc_type_name(int type)
{
    return type >= 0 && type < IOC__COUNT ? ioc_names[type] : NULL;
}

/* Other spellings: STIX object types, MISP attribute types, Zeek Intel:: types (without the
 * prefix), ThreatFox ioc_type values, and the usual short forms. */
static const struct {
    const char *name;
    int type;
} ioc_aliases[] = {
    {"ipv4", IOC_IP},
    {"ipv6", IOC_IP},
    {"ip-src", IOC_IP},
    {"ip-dst", IOC_IP},
    {"ipv4-addr", IOC_IP},
    {"ipv6-addr", IOC_IP},
    {"addr", IOC_IP},
    {"address", IOC_IP},
    {"ip-address", IOC_IP},
    {"subnet", IOC_CIDR},
    {"network", IOC_CIDR},
    {"domain-name", IOC_DOMAIN},
    {"hostname", IOC_DOMAIN},
    {"host", IOC_DOMAIN},
    {"fqdn", IOC_DOMAIN},
    {"uri", IOC_URL},
    {"link", -1},
    {"user-agent", IOC_UA},
    {"user_agent", IOC_UA},
    {"useragent", IOC_UA},
    {"ja3-fingerprint-md5", IOC_JA3},
    {"ja3_md5", IOC_JA3},
    {"ja3s-fingerprint-md5", IOC_JA3S},
    {"ja4-fingerprint", IOC_JA4},
    {"x509-fingerprint-sha1", IOC_CERT_SHA1},
    {"x509-fingerprint-sha256", IOC_CERT_SHA256},
    {"cert_sha1", IOC_CERT_SHA1},
    {"cert_sha256", IOC_CERT_SHA256},
    {"cert_hash", IOC_CERT_SHA1},
    {"serial", IOC_CERT_SERIAL},
    {"cert_serial", IOC_CERT_SERIAL},
    {"md5_hash", IOC_MD5},
    {"sha1_hash", IOC_SHA1},
    {"sha256_hash", IOC_SHA256},
    {"email-src", IOC_EMAIL},
    {"email-dst", IOC_EMAIL},
    {"email-addr", IOC_EMAIL},
};

int ioc_type_parse(const char *name)
{
    if (!name)
        return -1;
    if (strncasecmp(name, "Intel::", 7) == 0)
        name += 7;
    for (int t = 0; t < IOC__COUNT; t++)
        if (strcasecmp(name, ioc_names[t]) == 0)
            return t;
    for (size_t i = 0; i < sizeof ioc_aliases / sizeof ioc_aliases[0]; i++)
        if (strcasecmp(name, ioc_aliases[i].name) == 0)
            return ioc_aliases[i].type;
    return -1;
}

/* ---------------------------------------------------------------- small helpers */

static int nz_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void nz_trim(const char **p, size_t *n)
{
    while (*n && nz_space((unsigned char)(*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n && nz_space((unsigned char)(*p)[*n - 1]))
        (*n)--;
}

static int nz_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Undo defanging into out (NUL-terminated).  Bracketed forms are replaced wherever they
 * appear; the scheme forms only at the start.  -1 when the result does not fit.
 */
static int nz_refang(const char *in, size_t n, char *out, size_t cap)
{
    static const struct {
        const char *from, *to;
    } subst[] = {
        {"[.]", "."},   {"(.)", "."},  {"{.}", "."},     {"[dot]", "."}, {"(dot)", "."},
        {"{dot}", "."}, {"[:]", ":"},  {"[://]", "://"}, {"[at]", "@"},  {"(at)", "@"},
        {"[@]", "@"},   {"{at}", "@"}, {"[/]", "/"},
    };
    static const struct {
        const char *from, *to;
    } schemes[] = {
        {"hxxps", "https"}, {"hxxp", "http"}, {"hxps", "https"},  {"hxp", "http"},
        {"fxps", "ftps"},   {"fxp", "ftp"},   {"h__ps", "https"}, {"h__p", "http"},
    };
    size_t o = 0, i = 0;
    for (size_t s = 0; s < sizeof schemes / sizeof schemes[0]; s++) {
        size_t fl = strlen(schemes[s].from);
        /* "hxxp://", "hxxp[://]", "hxxp[:]//" — only when a separator follows. */
        if (n > fl && strncasecmp(in, schemes[s].from, fl) == 0 &&
            (in[fl] == ':' || in[fl] == '[')) {
            size_t tl = strlen(schemes[s].to);
            if (tl >= cap)
                return -1;
            memcpy(out, schemes[s].to, tl);
            o = tl;
            i = fl;
            break;
        }
    }
    while (i < n) {
        int done = 0;
        if (in[i] == '[' || in[i] == '(' || in[i] == '{') {
            for (size_t s = 0; s < sizeof subst / sizeof subst[0]; s++) {
                size_t fl = strlen(subst[s].from);
                if (n - i >= fl && strncasecmp(in + i, subst[s].from, fl) == 0) {
                    size_t tl = strlen(subst[s].to);
                    if (o + tl >= cap)
                        return -1;
                    memcpy(out + o, subst[s].to, tl);
                    o += tl;
                    i += fl;
                    done = 1;
                    break;
                }
            }
        }
        if (done)
            continue;
        if (o + 1 >= cap)
            return -1;
        out[o++] = in[i++];
    }
    out[o] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- addresses */

/* Parse an IPv4 or IPv6 address (v4-mapped IPv6 becomes IPv4).  Returns 4, 6 or -1. */
static int nz_parse_ip(const char *s, size_t n, uint8_t a[16])
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, a) == 1)
        return 4;
    if (inet_pton(AF_INET6, tmp, a) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0) {
            memmove(a, a + 12, 4);
            return 4;
        }
        return 6;
    }
    return -1;
}

static int nz_fmt_ip(int ver, const uint8_t *a, char *out, size_t cap)
{
    char tmp[INET6_ADDRSTRLEN];
    if (!inet_ntop(ver == 4 ? AF_INET : AF_INET6, a, tmp, sizeof tmp))
        return -1;
    size_t l = strlen(tmp);
    if (l >= cap)
        return -1;
    memcpy(out, tmp, l + 1);
    return 0;
}

static int nz_ip(const char *s, size_t n, char *out, size_t cap)
{
    uint8_t a[16];
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    int v = nz_parse_ip(s, n, a);
    return v < 0 ? -1 : nz_fmt_ip(v, a, out, cap);
}

static int nz_cidr(const char *s, size_t n, char *out, size_t cap)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return -1;
    uint8_t a[16];
    int v = nz_parse_ip(s, (size_t)(slash - s), a);
    if (v < 0)
        return -1;
    size_t pl = n - (size_t)(slash - s) - 1;
    if (pl == 0 || pl > 3)
        return -1;
    int len = 0;
    for (size_t i = 0; i < pl; i++) {
        char c = slash[1 + i];
        if (c < '0' || c > '9')
            return -1;
        len = len * 10 + (c - '0');
    }
    /* A v4-mapped network written in IPv6 ("::ffff:10.0.0.0/104") became IPv4 above. */
    if (v == 4 && memchr(s, ':', (size_t)(slash - s))) {
        if (len < 96)
            return -1;
        len -= 96;
    }
    int max = v == 4 ? 32 : 128;
    if (len > max)
        return -1;
    /* Host bits are cleared: "192.0.2.5/24" names the network 192.0.2.0/24. */
    for (int bit = len; bit < max; bit++)
        a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    if (nz_fmt_ip(v, a, out, cap))
        return -1;
    size_t l = strlen(out);
    int w = snprintf(out + l, cap - l, "/%d", len);
    return w < 0 || (size_t)w >= cap - l ? -1 : 0;
}

/* ---------------------------------------------------------------- IDN: RFC 3492 Punycode */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700 };

static uint32_t pc_adapt(uint32_t delta, uint32_t numpoints, int first)
{
    /* RFC 3492 section 6.1 */
    delta = first ? delta / PC_DAMP : delta / 2;
    delta += delta / numpoints;
    uint32_t k = 0;
    while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
        delta /= PC_BASE - PC_TMIN;
        k += PC_BASE;
    }
    return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static char pc_digit(uint32_t d)
{
    return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* Encode code points cp[0..n) (RFC 3492 section 6.3) after "xn--" into out.  -1 on overflow. */
static int pc_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *olen)
{
    size_t o = 0;
    uint32_t b = 0;
    for (size_t j = 0; j < n; j++) {
        if (cp[j] < 0x80) {
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)cp[j];
            b++;
        }
    }
    uint32_t h = b;
    if (b > 0) {
        if (o + 1 >= cap)
            return -1;
        out[o++] = '-';
    }
    uint32_t nn = 0x80, delta = 0, bias = 72;
    while (h < n) {
        uint32_t m = UINT32_MAX;
        for (size_t j = 0; j < n; j++)
            if (cp[j] >= nn && cp[j] < m)
                m = cp[j];
        if ((uint64_t)(m - nn) * (h + 1) + delta > UINT32_MAX)
            return -1;
        delta += (m - nn) * (h + 1);
        nn = m;
        for (size_t j = 0; j < n; j++) {
            if (cp[j] < nn && ++delta == 0)
                return -1;
            if (cp[j] == nn) {
                uint32_t q = delta;
                for (uint32_t k = PC_BASE;; k += PC_BASE) {
                    uint32_t t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
                    if (q < t)
                        break;
                    if (o + 1 >= cap)
                        return -1;
                    out[o++] = pc_digit(t + (q - t) % (PC_BASE - t));
                    q = (q - t) / (PC_BASE - t);
                }
                if (o + 1 >= cap)
                    return -1;
                out[o++] = pc_digit(q);
                bias = pc_adapt(delta, h + 1, h == b);
                delta = 0;
                h++;
            }
        }
        delta++;
        nn++;
    }
    *olen = o;
    return 0;
}

/* Strict UTF-8 decoding of one code point; returns its length or 0 when malformed. */
static size_t nz_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Simple case folding for the scripts domains commonly use (no full Unicode tables). */
static uint32_t nz_fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7)
        return c + 32;
    if (c >= 0x100 && c <= 0x137 && !(c & 1))
        return c + 1;
    if (c >= 0x139 && c <= 0x148 && (c & 1))
        return c + 1;
    if (c >= 0x14a && c <= 0x177 && !(c & 1))
        return c + 1;
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42f)
        return c + 32;
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;
    return c;
}

static int nz_label_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Domain: lowercase, no trailing dot, "*." and a leading "." dropped (a domain IOC already
 * covers subdomains), IDN labels to punycode.  Labels 1..63 of [a-z0-9-_], total <= 253.
 */
static int nz_domain(const char *s, size_t n, char *out, size_t cap)
{
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        n -= 2;
    } else if (n && s[0] == '.') {
        s++;
        n--;
    }
    while (n && s[n - 1] == '.')
        n--;
    if (n == 0 || n > 1024)
        return -1;
    size_t o = 0, i = 0;
    while (i <= n) {
        /* One label: s[i..j). */
        uint32_t cps[256];
        size_t ncp = 0, j = i;
        int ascii = 1;
        while (j < n) {
            uint32_t c;
            size_t l = nz_utf8((const unsigned char *)s + j, n - j, &c);
            if (!l)
                return -1;
            /* IDNA separators: full stop and its ideographic / full-width forms. */
            if (c == '.' || c == 0x3002 || c == 0xff0e || c == 0xff61)
                break;
            if (ncp == sizeof cps / sizeof cps[0])
                return -1;
            c = nz_fold(c);
            if (c >= 0x80)
                ascii = 0;
            else if (!nz_label_char((int)c))
                return -1;
            cps[ncp++] = c;
            j += l;
        }
        if (ncp == 0)
            return -1;
        size_t start = o;
        if (ascii) {
            if (o + ncp + 1 >= cap)
                return -1;
            for (size_t k = 0; k < ncp; k++)
                out[o++] = (char)cps[k];
        } else {
            size_t pl;
            if (o + 5 >= cap)
                return -1;
            memcpy(out + o, "xn--", 4);
            o += 4;
            if (pc_encode(cps, ncp, out + o, cap - o - 1, &pl))
                return -1;
            o += pl;
        }
        if (o - start > 63)
            return -1;
        if (j >= n)
            break;
        /* Skip the separator (1 to 3 bytes). */
        uint32_t sep;
        j += nz_utf8((const unsigned char *)s + j, n - j, &sep);
        if (o + 2 >= cap)
            return -1;
        out[o++] = '.';
        i = j;
        if (i >= n)
            return -1;
    }
    out[o] = '\0';
    if (o > 253)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- URL */

static int nz_default_port(const char *scheme, const char *port)
{
    static const struct {
        const char *scheme, *port;
    } def[] = {{"http", "80"}, {"https", "443"}, {"ftp", "21"}, {"ws", "80"}, {"wss", "443"}};
    for (size_t i = 0; i < sizeof def / sizeof def[0]; i++)
        if (strcmp(scheme, def[i].scheme) == 0 && strcmp(port, def[i].port) == 0)
            return 1;
    return 0;
}

/*
 * scheme://[userinfo@]host[:port][/path][?query][#fragment]  (RFC 3986 section 3).
 * A value without a scheme ("evil.com/x.php", Zeek's Intel::URL form) is taken as http.
 * The fragment is dropped (it never goes on the wire); an empty path becomes "/".
 */
static int nz_url(const char *s, size_t n, char *out, size_t cap)
{
    char scheme[16] = "http";
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n && i < 16; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
            break;
    }
    const char *p = s, *end = s + n;
    if (sep) {
        size_t sl = (size_t)(sep - s);
        if (sl == 0 || sl >= sizeof scheme || !isalpha((unsigned char)s[0]))
            return -1;
        for (size_t i = 0; i < sl; i++)
            scheme[i] = (char)tolower((unsigned char)s[i]);
        scheme[sl] = '\0';
        p = sep + 3;
    } else if (n >= 2 && s[0] == '/' && s[1] == '/') {
        p = s + 2;
    }
    for (const char *q = s; q < end; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f)
            return -1;
    const char *hend = p;
    while (hend < end && *hend != '/' && *hend != '?' && *hend != '#')
        hend++;
    const char *host = p;
    const char *at = NULL;
    for (const char *q = p; q < hend; q++)
        if (*q == '@')
            at = q;
    if (at)
        host = at + 1;
    const char *port = NULL, *hostend = hend;
    if (host < hend && *host == '[') {
        const char *rb = memchr(host, ']', (size_t)(hend - host));
        if (!rb)
            return -1;
        hostend = rb + 1;
        if (hostend < hend) {
            if (*hostend != ':')
                return -1;
            port = hostend + 1;
        }
    } else {
        const char *colon = memchr(host, ':', (size_t)(hend - host));
        if (colon) {
            hostend = colon;
            port = colon + 1;
        }
    }
    char hostc[300];
    if (host == hostend)
        return -1;
    if (*host == '[') {
        uint8_t a[16];
        if (nz_parse_ip(host + 1, (size_t)(hostend - host) - 2, a) != 6)
            return -1;
        hostc[0] = '[';
        if (nz_fmt_ip(6, a, hostc + 1, sizeof hostc - 2))
            return -1;
        strcat(hostc, "]");
    } else if (nz_ip(host, (size_t)(hostend - host), hostc, sizeof hostc) != 0 &&
               nz_domain(host, (size_t)(hostend - host), hostc, sizeof hostc) != 0) {
        return -1;
    }
    char portc[8] = "";
    if (port) {
        size_t pl = (size_t)(hend - port);
        if (pl > 5)
            return -1;
        unsigned v = 0;
        for (size_t i = 0; i < pl; i++) {
            if (port[i] < '0' || port[i] > '9')
                return -1;
            v = v * 10 + (unsigned)(port[i] - '0');
        }
        if (pl && (v == 0 || v > 65535))
            return -1;
        if (pl)
            snprintf(portc, sizeof portc, "%u", v);
        if (nz_default_port(scheme, portc))
            portc[0] = '\0';
    }
    const char *rest = hend, *frag = memchr(hend, '#', (size_t)(end - hend));
    size_t restl = (size_t)((frag ? frag : end) - rest);
    int w = snprintf(out, cap, "%s://%.*s%s%s%s", scheme, (int)(at ? at - p + 1 : 0), p, hostc,
                     portc[0] ? ":" : "", portc);
    if (w < 0 || (size_t)w >= cap)
        return -1;
    size_t o = (size_t)w;
    if (restl == 0 || rest[0] != '/') {
        if (o + 1 >= cap)
            return -1;
        out[o++] = '/';
    }
    if (o + restl >= cap)
        return -1;
    memcpy(out + o, rest, restl);
    out[o + restl] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- hashes and the rest */

/* Hex of exactly want digits (colons and spaces between bytes allowed); lowercase out. */
static int nz_hex(const char *s, size_t n, size_t want, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == ':' || s[i] == ' ') && want != 0)
            continue;
        if (nz_hexval((unsigned char)s[i]) < 0)
            return -1;
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)tolower((unsigned char)s[i]);
    }
    out[o] = '\0';
    return o == want ? 0 : -1;
}

static int nz_serial(const char *s, size_t n, char *out, size_t cap)
{
    if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
        s += 2;
        n -= 2;
    }
    char tmp[256];
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':' || s[i] == ' ' || s[i] == '-')
            continue;
        if (nz_hexval((unsigned char)s[i]) < 0 || t + 2 >= sizeof tmp)
            return -1;
        tmp[t++] = (char)tolower((unsigned char)s[i]);
    }
    if (t == 0)
        return -1;
    size_t off = 0;
    if (t & 1) { /* "8bb00ee" is the byte string 08 bb 00 ee */
        memmove(tmp + 1, tmp, t);
        tmp[0] = '0';
        t++;
    }
    while (t - off > 2 && tmp[off] == '0' && tmp[off + 1] == '0')
        off += 2;
    if (t - off >= cap)
        return -1;
    memcpy(out, tmp + off, t - off);
    out[t - off] = '\0';
    return 0;
}

/* JA4 (FoxIO): a 10-character prefix, then two 12-hex-digit hashes: "t13d1516h2_…_…". */
static int nz_ja4(const char *s, size_t n, char *out, size_t cap)
{
    if (n != 36 || cap <= 36 || s[10] != '_' || s[23] != '_')
        return -1;
    if ((s[0] | 0x20) != 't' && (s[0] | 0x20) != 'q' && (s[0] | 0x20) != 'd')
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = tolower((unsigned char)s[i]);
        if (i == 10 || i == 23)
            ;
        else if (i > 10 && nz_hexval(c) < 0)
            return -1;
        else if (i < 10 && !isalnum(c))
            return -1;
        out[i] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

static int nz_email(const char *s, size_t n, char *out, size_t cap)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;
    if (!at || at == s || (size_t)(at - s) > 64)
        return -1;
    size_t ll = (size_t)(at - s);
    if (ll + 2 >= cap)
        return -1;
    for (size_t i = 0; i < ll; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"')
            return -1;
        out[i] = (char)tolower(c);
    }
    out[ll] = '@';
    return nz_domain(at + 1, n - ll - 1, out + ll + 1, cap - ll - 1);
}

static int nz_ua(const char *s, size_t n, char *out, size_t cap)
{
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
            return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int ioc_normalize(int type, const char *in, size_t n, char *out, size_t cap)
{
    char buf[IOC_VALUE_MAX + 64];
    if (!in || !out || cap == 0)
        return -1;
    out[0] = '\0';
    nz_trim(&in, &n);
    if (n == 0 || n > IOC_VALUE_MAX)
        return -1;
    int rc = -1;
    switch (type) {
    case IOC_UA:
        /* A user-agent is compared exactly: no refanging inside it. */
        rc = nz_ua(in, n, out, cap);
        break;
    case IOC_JA3:
    case IOC_JA3S:
    case IOC_MD5:
        rc = nz_hex(in, n, 32, out, cap);
        break;
    case IOC_SHA1:
    case IOC_CERT_SHA1:
        rc = nz_hex(in, n, 40, out, cap);
        break;
    case IOC_SHA256:
    case IOC_CERT_SHA256:
        rc = nz_hex(in, n, 64, out, cap);
        break;
    case IOC_CERT_SERIAL:
        rc = nz_serial(in, n, out, cap);
        break;
    case IOC_JA4:
        rc = nz_ja4(in, n, out, cap);
        break;
    case IOC_IP:
    case IOC_CIDR:
    case IOC_DOMAIN:
    case IOC_URL:
    case IOC_EMAIL: {
        if (nz_refang(in, n, buf, sizeof buf))
            return -1;
        const char *b = buf;
        size_t bl = strlen(buf);
        nz_trim(&b, &bl);
        if (bl == 0)
            return -1;
        if (type == IOC_IP)
            rc = nz_ip(b, bl, out, cap);
        else if (type == IOC_CIDR)
            rc = nz_cidr(b, bl, out, cap);
        else if (type == IOC_DOMAIN)
            rc = nz_domain(b, bl, out, cap);
        else if (type == IOC_URL)
            rc = nz_url(b, bl, out, cap);
        else
            rc = nz_email(b, bl, out, cap);
        break;
    }
    default:
        return -1;
    }
    if (rc)
        out[0] = '\0';
    return rc ? -1 : 0;
}

static int nz_all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (nz_hexval((unsigned char)s[i]) < 0)
            return 0;
    return 1;
}

int ioc_infer_type(const char *value, size_t n)
{
    char buf[IOC_VALUE_MAX + 64], out[IOC_VALUE_MAX + 64];
    if (!value)
        return -1;
    nz_trim(&value, &n);
    if (n == 0 || n > IOC_VALUE_MAX || nz_refang(value, n, buf, sizeof buf))
        return -1;
    size_t bl = strlen(buf);
    if (nz_all_hex(buf, bl)) {
        if (bl == 32)
            return IOC_MD5;
        if (bl == 40)
            return IOC_SHA1;
        if (bl == 64)
            return IOC_SHA256;
    }
    if (strstr(buf, "://"))
        return ioc_normalize(IOC_URL, buf, bl, out, sizeof out) == 0 ? IOC_URL : -1;
    if (ioc_normalize(IOC_IP, buf, bl, out, sizeof out) == 0)
        return IOC_IP;
    if (memchr(buf, '/', bl) && ioc_normalize(IOC_CIDR, buf, bl, out, sizeof out) == 0)
        return IOC_CIDR;
    if (ioc_normalize(IOC_JA4, buf, bl, out, sizeof out) == 0)
        return IOC_JA4;
    if (memchr(buf, '@', bl))
        return ioc_normalize(IOC_EMAIL, buf, bl, out, sizeof out) == 0 ? IOC_EMAIL : -1;
    /* A bare domain needs a dot and a top-level label that is not all digits (that would be
     * a malformed address); "evil.com/x.php" is a URL without its scheme. */
    const char *slash = memchr(buf, '/', bl);
    size_t hl = slash ? (size_t)(slash - buf) : bl;
    if (ioc_normalize(IOC_DOMAIN, buf, hl, out, sizeof out) != 0)
        return -1;
    const char *dot = strrchr(out, '.');
    if (!dot || !dot[1])
        return -1;
    int digits = 1;
    for (const char *q = dot + 1; *q; q++)
        if (*q < '0' || *q > '9')
            digits = 0;
    if (digits)
        return -1;
    if (slash)
        return ioc_normalize(IOC_URL, buf, bl, out, sizeof out) == 0 ? IOC_URL : -1;
    return IOC_DOMAIN;
}
