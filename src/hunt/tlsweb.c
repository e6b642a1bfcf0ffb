/* tlsweb.c — helpers of the TLS and web hunts (tlsweb.h). */
#include "hunt/tlsweb.h"

#include "hunt/hunt.h"

#include "core/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Length of s without one trailing dot. */
static size_t name_len(const char *s)
{
    size_t n = strlen(s);
    return n && s[n - 1] == '.' ? n - 1 : n;
}

int tw_name_covers(const char *pattern, const char *host)
{
    size_t pl = name_len(pattern), hl = name_len(host);
    if (!pl || !hl)
        return 0;
    if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* "*.rest": host is one non-empty label, a dot, then rest. */
        const char *dot = memchr(host, '.', hl);
        if (!dot || dot == host)
            return 0;
        size_t rl = hl - (size_t)(dot + 1 - host);
        return rl == pl - 2 && rl > 0 && strncasecmp(dot + 1, pattern + 2, rl) == 0;
    }
    return pl == hl && strncasecmp(pattern, host, pl) == 0;
}

int tw_ip16(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (!s)
        return -1;
    if (inet_pton(AF_INET, s, out + 12) == 1) {
        out[10] = out[11] = 0xff;
        return 0;
    }
    return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------- user agents */

/* Case-insensitive substring. */
static const char *ci_find(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, nl) == 0)
            return hay;
    return NULL;
}

static int ci_prefix(const char *s, const char *p)
{
    return strncasecmp(s, p, strlen(p)) == 0;
}

/*
 * Scripted clients by their User-Agent prefix (or marker anywhere for the ones that keep a
 * "Mozilla/5.0 (…)" front).  The base score says how rarely an ordinary user's machine sends
 * it on its own: PowerShell and certutil fetching files are the download cradles of
 * ATT&CK T1059.001/T1105; BITS jobs (T1197) are also how Windows Update works, so lower.
 */
static const struct {
    const char *marker;
    int anywhere; /* marker may appear after a Mozilla/5.0 front */
    enum tw_ua_class cls;
    const char *name;
    double base;
    const char *attack;
} ua_tools[] = {
    {"WindowsPowerShell/", 1, TW_UA_POWERSHELL, "PowerShell", 0.9, "T1059.001 T1105"},
    {"PowerShell/", 1, TW_UA_POWERSHELL, "PowerShell", 0.9, "T1059.001 T1105"},
    {"Microsoft BITS/", 0, TW_UA_BITS, "BITS", 0.55, "T1197"},
    {"Microsoft-CryptoAPI/", 0, TW_UA_CERTUTIL, "CryptoAPI/certutil", 0.85, "T1105"},
    {"CertUtil URL Agent", 0, TW_UA_CERTUTIL, "CryptoAPI/certutil", 0.85, "T1105"},
    {"rclone/", 0, TW_UA_RCLONE, "rclone", 0.85, "T1567.002"},
    {"curl/", 0, TW_UA_TOOL, "curl", 0.6, "T1105"},
    {"Wget/", 0, TW_UA_TOOL, "wget", 0.6, "T1105"},
    {"python-requests/", 0, TW_UA_TOOL, "python", 0.65, "T1105"},
    {"Python-urllib/", 0, TW_UA_TOOL, "python", 0.65, "T1105"},
    {"python-httpx/", 0, TW_UA_TOOL, "python", 0.65, "T1105"},
    {"aiohttp/", 0, TW_UA_TOOL, "python", 0.6, "T1105"},
    {"Go-http-client/", 0, TW_UA_TOOL, "Go", 0.55, "T1105"},
    {"libwww-perl/", 0, TW_UA_TOOL, "perl", 0.6, "T1105"},
    {"Nim httpclient", 0, TW_UA_TOOL, "Nim", 0.7, "T1105"},
    {"WinHttp", 0, TW_UA_TOOL, "WinHTTP", 0.5, "T1105"},
    {"Java/", 0, TW_UA_TOOL, "Java", 0.4, "T1105"},
    {"okhttp/", 0, TW_UA_TOOL, "okhttp", 0.35, "T1105"},
};

/* Agents every Windows/Linux host runs on its own: never a finding by themselves. */
static const char *const ua_benign[] = {
    "Microsoft-Delivery-Optimization/",
    "Windows-Update-Agent",
    "Microsoft-WNS/",
    "Microsoft NCSI",
    "MICROSOFT_DEVICE_METADATA_RETRIEVAL_CLIENT",
    "Debian APT-HTTP/",
    "APT-HTTP/",
    "Microsoft Office/",
    "Microsoft-WebDAV-MiniRedir/",
    "NSPlayer/",
    "Dalvik/",
};

struct tw_ua_info tw_ua_classify(const char *ua)
{
    struct tw_ua_info r = {TW_UA_OTHER, "", 0.4, ""};
    while (ua && (*ua == ' ' || *ua == '\t'))
        ua++;
    if (!ua || !*ua) {
        r.cls = TW_UA_EMPTY;
        r.name = "empty";
        r.base = 0.5;
        r.attack = "T1105";
        return r;
    }
    for (size_t i = 0; i < sizeof ua_tools / sizeof ua_tools[0]; i++) {
        int hit = ua_tools[i].anywhere ? ci_find(ua, ua_tools[i].marker) != NULL
                                       : ci_prefix(ua, ua_tools[i].marker);
        if (hit) {
            r.cls = ua_tools[i].cls;
            r.name = ua_tools[i].name;
            r.base = ua_tools[i].base;
            r.attack = ua_tools[i].attack;
            return r;
        }
    }
    for (size_t i = 0; i < sizeof ua_benign / sizeof ua_benign[0]; i++)
        if (ci_prefix(ua, ua_benign[i])) {
            r.cls = TW_UA_BENIGN;
            r.base = 0;
            return r;
        }
    /* Browsers: "Mozilla/5.0 (" with an engine token; Opera's old form too. */
    if ((ci_prefix(ua, "Mozilla/") && (ci_find(ua, "Gecko") || ci_find(ua, "Trident/") ||
                                       ci_find(ua, "MSIE ") || ci_find(ua, "Edg"))) ||
        ci_prefix(ua, "Opera/")) {
        r.cls = TW_UA_BROWSER;
        r.base = 0;
    }
    return r;
}

/* The path of a URI: from the first '/' after an optional scheme://host, up to '?' or '#'. */
static void uri_path(const char *uri, const char **p, size_t *n)
{
    const char *s = strstr(uri, "://");
    s = s ? strchr(s + 3, '/') : uri;
    if (!s)
        s = "";
    size_t l = strcspn(s, "?#");
    *p = s;
    *n = l;
}

static int path_ends(const char *p, size_t n, const char *ext)
{
    size_t el = strlen(ext);
    return n >= el && strncasecmp(p + n - el, ext, el) == 0;
}

int tw_uri_is_pki(const char *uri)
{
    const char *p;
    size_t n;
    if (!uri)
        return 0;
    uri_path(uri, &p, &n);
    static const char *const exts[] = {".crl", ".cer", ".crt", ".der",
                                       ".p7c", ".p7b", ".stl", "stl.cab"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (path_ends(p, n, exts[i]))
            return 1;
    for (size_t i = 0; i + 4 <= n; i++)
        if (strncasecmp(p + i, "ocsp", 4) == 0)
            return 1;
    /* OCSP over GET (RFC 6960 appendix A.1): "/" + url-encoded base64 of a DER SEQUENCE,
       which starts with 'M'; the last segment is long and all base64/%-escapes. */
    const char *last = p;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '/')
            last = p + i + 1;
    size_t ll = n - (size_t)(last - p);
    if (ll >= 24 && last[0] == 'M') {
        for (size_t i = 0; i < ll; i++)
            if (!isalnum((unsigned char)last[i]) && !strchr("+/=%", last[i]))
                return 0;
        return 1;
    }
    return 0;
}

int tw_host_is_pki(const char *host)
{
    if (!host || !*host)
        return 0;
    if (hunt_name_under(host, "pki.goog") || hunt_name_under(host, "windowsupdate.com"))
        return 1;
    for (const char *l = host; l; l = strchr(l, '.') ? strchr(l, '.') + 1 : NULL)
        if (strncasecmp(l, "ocsp", 4) == 0 || strncasecmp(l, "crl", 3) == 0)
            return 1;
    return 0;
}

int tw_uri_is_payload(const char *uri)
{
    const char *p;
    size_t n;
    if (!uri)
        return 0;
    uri_path(uri, &p, &n);
    static const char *const exts[] = {".ps1", ".psm1", ".exe", ".dll", ".scr", ".hta", ".bat",
                                       ".cmd", ".vbs",  ".js",  ".jse", ".wsf", ".sct", ".msi",
                                       ".jar", ".bin",  ".zip", ".7z",  ".rar", ".iso"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (path_ends(p, n, exts[i]))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- certificates */

int tw_dn_attr(const char *dn, const char *attr, char *dst, size_t n)
{
    size_t al = strlen(attr);
    const char *p = dn;
    if (!n)
        return -1;
    while (p && *p) {
        /* p is at the start of an attribute: TYPE=VALUE up to an unescaped ',' or '+'. */
        const char *eq = strchr(p, '=');
        if (!eq)
            return -1;
        int want = (size_t)(eq - p) == al && strncasecmp(p, attr, al) == 0;
        const char *v = eq + 1;
        size_t o = 0;
        while (*v && *v != ',' && *v != '+') {
            char c = *v++;
            if (c == '\\' && *v) {
                if (isxdigit((unsigned char)v[0]) && isxdigit((unsigned char)v[1])) {
                    unsigned x;
                    sscanf(v, "%2x", &x);
                    c = (char)x;
                    v += 2;
                } else {
                    c = *v++;
                }
            }
            if (want && o + 1 < n)
                dst[o++] = c;
        }
        if (want) {
            dst[o] = '\0';
            return 0;
        }
        p = *v ? v + 1 : NULL;
    }
    return -1;
}

/* Is s one attribute "CN=" followed by 2–10 lowercase letters, nothing else? */
static int dn_is_msf_random(const char *dn)
{
    if (strncmp(dn, "CN=", 3) != 0)
        return 0;
    size_t l = strlen(dn + 3);
    if (l < 2 || l > 10)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (dn[3 + i] < 'a' || dn[3 + i] > 'z')
            return 0;
    return 1;
}

/*
 * Known defaults.  Sources (public): Cobalt Strike's team server keystore — serial 146473198
 * (0x08BB00EE), "CN=Major Cobalt Strike, OU=AdvancedPenTesting, O=cobaltstrike, L=Somewhere,
 * ST=Cyberspace, C=Earth", SHA-1 6ECE5ECE…EB7C (Elastic rule "Default Cobalt Strike Team Server
 * Certificate", Zeek/Suricata community rules); PoshC2's Config.py certificate options
 * (C=US, ST=Minnesota, L=Minnetonka, O=Pajfds, OU=Jethpro, CN=P18055077, serial 1000);
 * AsyncRAT's "CN=AsyncRAT Server", QuasarRAT's "CN=Quasar Server CA" and Orcus' "CN=Orcus Server"
 * (their servers' built-in certificates, used by public detections); Metasploit Pro's
 * "MetasploitSelfSignedCA"; Empire's setup/cert.sh (`openssl req … -subj "/C=US"`, a
 * self-signed certificate whose whole subject is C=US); Metasploit's older Rex generator
 * (self-signed, subject and issuer a lone CN of 2–10 random lowercase letters — the pattern of
 * the public Zeek script "Detect Default Metasploit SSL Random Cert").  The last two are
 * patterns a lazy administrator could also produce, hence below 1.  OpenSSL's own placeholder
 * organisations ("Internet Widgits Pty Ltd", "Default Company Ltd") mean a test certificate
 * nobody edited: a weak signal.
 */
const char *tw_cert_default(const struct tw_cert_names *c, double *score)
{
    char v[256];
    const char *subj = c->subject ? c->subject : "", *iss = c->issuer ? c->issuer : "";
    if ((c->serial && strcmp(c->serial, "08bb00ee") == 0) ||
        (c->sha1 && strcasecmp(c->sha1, "6ece5ece4192683d2d84e25b0ba7e04f9cb7eb7c") == 0) ||
        (tw_dn_attr(subj, "CN", v, sizeof v) == 0 && strcasecmp(v, "Major Cobalt Strike") == 0) ||
        (tw_dn_attr(iss, "CN", v, sizeof v) == 0 && strcasecmp(v, "Major Cobalt Strike") == 0) ||
        (tw_dn_attr(subj, "O", v, sizeof v) == 0 && strcasecmp(v, "cobaltstrike") == 0) ||
        (tw_dn_attr(subj, "OU", v, sizeof v) == 0 && strcasecmp(v, "AdvancedPenTesting") == 0)) {
        *score = 1.0;
        return "Cobalt Strike";
    }
    if ((tw_dn_attr(subj, "O", v, sizeof v) == 0 && strcmp(v, "Pajfds") == 0) ||
        (tw_dn_attr(subj, "OU", v, sizeof v) == 0 && strcmp(v, "Jethpro") == 0) ||
        (tw_dn_attr(subj, "CN", v, sizeof v) == 0 && strcmp(v, "P18055077") == 0)) {
        *score = 1.0;
        return "PoshC2";
    }
    static const struct {
        const char *cn, *tool;
    } cns[] = {{"AsyncRAT Server", "AsyncRAT"},
               {"Quasar Server CA", "QuasarRAT"},
               {"Orcus Server", "Orcus RAT"},
               {"MetasploitSelfSignedCA", "Metasploit"}};
    for (size_t i = 0; i < sizeof cns / sizeof cns[0]; i++)
        if ((tw_dn_attr(subj, "CN", v, sizeof v) == 0 && strcmp(v, cns[i].cn) == 0) ||
            (tw_dn_attr(iss, "CN", v, sizeof v) == 0 && strcmp(v, cns[i].cn) == 0)) {
            *score = 1.0;
            return cns[i].tool;
        }
    if (c->self_signed && strcmp(subj, "C=US") == 0) {
        *score = 0.9;
        return "Empire (subject C=US only)";
    }
    if (c->self_signed && dn_is_msf_random(subj) && strcmp(subj, iss) == 0 &&
        strcmp(subj, "CN=localhost") != 0) {
        *score = 0.8;
        return "Metasploit-style random name";
    }
    if (tw_dn_attr(subj, "O", v, sizeof v) == 0 &&
        (strcmp(v, "Internet Widgits Pty Ltd") == 0 || strcmp(v, "Default Company Ltd") == 0)) {
        *score = 0.55;
        return "OpenSSL placeholder subject";
    }
    return NULL;
}

int64_t tw_parse_utc(const char *s)
{
    int y, mo, d, h, mi, se;
    char z;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z')
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1900)
        return 0;
    if (y > 2261) /* past what int64 nanoseconds hold ("9999-12-31": never expires) */
        return INT64_MAX;
    /* Days from the civil date (H. Hinnant's algorithm), no timegm/TZ involved. */
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    return ((days * 86400) + h * 3600 + mi * 60 + se) * (int64_t)1000000000;
}
