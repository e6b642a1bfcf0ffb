/*
 * import_suricata.c — indicators out of Suricata (and Snort-style) rules.
 *
 * A rule (Suricata user guide, "Rules format"):
 *
 *   action proto src_addr src_port direction dst_addr dst_port (option; option:value; …)
 *   alert  dns   any      any      ->        any      any      (msg:"…"; dns.query;
 * content:"evil.com"; sid:1;)
 *
 * What becomes an indicator:
 *   - content of a sticky buffer (or of a legacy content modifier) that names a value konseki
 *     matches: dns.query, tls.sni, http.host -> domain (a dotprefix transform's leading '.'
 *     dropped), http.user_agent -> user-agent, ja3.hash -> JA3, ja3s.hash -> JA3S, ja4.hash ->
 *     JA4, tls.cert_fingerprint -> certificate SHA-1; http.host with http.uri / http.uri.raw
 *     in one rule -> the URL http://host[:port]/uri (the port from the header when it is a
 *     number other than 80);
 *   - with no such content, the literal addresses and networks of the header (lists too;
 *     negated entries and $VARIABLES are not indicators);
 *   - msg is the description, "sid:N" the reference.
 * Negated contents (content:!"…") are not indicators.  dataset:, datarep:, filemd5: … name
 * files that hold the values: a problem says to import those files as well (lists, string
 * datasets and hash lists are formats of their own).  A rule with nothing konseki can match
 * counts as unsupported.  Commented-out rules ("# alert …") are skipped; a line ending in '\'
 * continues on the next.
 */
#include "ioc/import_int.h"

#include "core/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SURI_RULE_MAX (64 * 1024) /* longest rule (continued lines joined) */
#define SURI_MAX_CONTENTS 32

static const char *const actions[] = {"alert",     "drop",       "reject", "rejectsrc",
                                      "rejectdst", "rejectboth", "pass",   "log"};

static int has_arrow(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((p[i] == '-' || p[i] == '<') && p[i + 1] == '>')
            return 1;
    return 0;
}

int imp_suricata_rule_line(const char *p, size_t n)
{
    for (size_t a = 0; a < sizeof actions / sizeof actions[0]; a++) {
        size_t l = strlen(actions[a]);
        if (n > l + 1 && strncmp(p, actions[a], l) == 0 && isspace((unsigned char)p[l]))
            return memchr(p, '(', n) && has_arrow(p, n);
    }
    return 0;
}

/* The buffers whose content is an indicator. */
enum suri_buf { SB_NONE, SB_NAME, SB_HOST, SB_URI, SB_UA, SB_JA3, SB_JA3S, SB_JA4, SB_CERT };

static const struct {
    const char *name;
    int buf;
    int modifier; /* a legacy content modifier (applies to the content before it) */
} buffers[] = {
    {"dns.query", SB_NAME, 0},
    {"dns_query", SB_NAME, 0},
    {"tls.sni", SB_NAME, 0},
    {"tls_sni", SB_NAME, 0},
    {"http.host", SB_HOST, 0},
    {"http_host", SB_HOST, 1},
    {"http.uri", SB_URI, 0},
    {"http.uri.raw", SB_URI, 0},
    {"http_uri", SB_URI, 1},
    {"http_raw_uri", SB_URI, 1},
    {"http.user_agent", SB_UA, 0},
    {"http_user_agent", SB_UA, 1},
    {"ja3.hash", SB_JA3, 0},
    {"ja3_hash", SB_JA3, 0},
    {"ja3s.hash", SB_JA3S, 0},
    {"ja4.hash", SB_JA4, 0},
    {"tls.cert_fingerprint", SB_CERT, 0},
    {"tls_cert_fingerprint", SB_CERT, 0},
};

/* Any other sticky buffer ends the one before it (its contents are not indicators). */
static int other_sticky(const char *name)
{
    static const char *const prefixes[] = {
        "http.",    "http_", "dns.", "tls.", "tls_", "ja3",  "file.", "file_data",
        "pkt_data", "smb.",  "ssh.", "krb5", "dce_", "sip.", "quic.", "base64_data"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

struct suri_content {
    int buf;
    int dotprefix;
    char value[IOC_VALUE_MAX + 1];
};

struct suri_rule {
    char msg[256], sid[32], port[16];
    struct suri_content c[SURI_MAX_CONTENTS];
    unsigned nc;
    int files; /* a dataset:, datarep: or file hash list keyword */
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A content value ("…" with \" \; \\ escapes and |hex| bytes) into text; -1 when it is not
 * text (NUL or control bytes) or too long. */
static int content_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return -1;
    s++, n -= 2;
    int hex = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '|') {
            hex = !hex;
            continue;
        }
        if (hex) {
            if (isspace(ch))
                continue;
            if (i + 1 >= n || hexval(ch) < 0 || hexval((unsigned char)s[i + 1]) < 0)
                return -1;
            ch = hexval(ch) << 4 | hexval((unsigned char)s[i + 1]);
            i++;
        } else if (ch == '\\' && i + 1 < n) {
            ch = (unsigned char)s[++i];
        }
        if (ch < 0x20 || ch == 0x7f || o + 1 >= cap)
            return -1;
        out[o++] = (char)ch;
    }
    if (hex)
        return -1;
    out[o] = '\0';
    return (int)o;
}

/* Split the option list at unescaped ';' outside quotes; cb per "name[:value]". */
static void options_each(const char *s, size_t n,
                         void (*cb)(void *arg, const char *name, const char *val, size_t vl),
                         void *arg)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        size_t start = i;
        int q = 0;
        for (; i < n; i++) {
            if (s[i] == '\\' && i + 1 < n) {
                i++;
                continue;
            }
            if (s[i] == '"')
                q = !q;
            else if (s[i] == ';' && !q)
                break;
        }
        const char *o = s + start;
        size_t ol = i - start;
        i++;
        imp_trim(&o, &ol);
        if (!ol)
            continue;
        char name[64];
        size_t nl = 0;
        while (nl < ol && o[nl] != ':' && nl + 1 < sizeof name) {
            name[nl] = o[nl];
            nl++;
        }
        size_t tl = nl;
        while (tl && isspace((unsigned char)name[tl - 1]))
            tl--;
        name[tl] = '\0';
        const char *v = nl < ol && o[nl] == ':' ? o + nl + 1 : o + ol;
        size_t vl = (size_t)(o + ol - v);
        imp_trim(&v, &vl);
        cb(arg, name, v, vl);
    }
}

struct opt_state {
    struct suri_rule *r;
    int buf;       /* the current sticky buffer (enum suri_buf) */
    int dotprefix; /* a dotprefix transform on it */
};

static void on_option(void *arg, const char *name, const char *v, size_t vl)
{
    struct opt_state *st = arg;
    struct suri_rule *r = st->r;
    if (!strcmp(name, "msg")) {
        char tmp[sizeof r->msg];
        if (content_decode(v, vl, tmp, sizeof tmp) >= 0)
            snprintf(r->msg, sizeof r->msg, "%s", tmp);
        return;
    }
    if (!strcmp(name, "sid")) {
        snprintf(r->sid, sizeof r->sid, "sid:%.*s", (int)(vl < 20 ? vl : 20), v);
        return;
    }
    if (!strcmp(name, "dotprefix")) {
        st->dotprefix = 1;
        return;
    }
    if (!strcmp(name, "dataset") || !strcmp(name, "datarep") || !strncmp(name, "filemd5", 7) ||
        !strcmp(name, "filesha1") || !strcmp(name, "filesha256")) {
        r->files = 1;
        return;
    }
    if (!strcmp(name, "content")) {
        if (vl && v[0] == '!')
            return; /* negated: not an indicator */
        if (r->nc >= SURI_MAX_CONTENTS)
            return;
        struct suri_content *c = &r->c[r->nc];
        if (content_decode(v, vl, c->value, sizeof c->value) < 0)
            return;
        c->buf = st->buf;
        c->dotprefix = st->dotprefix;
        r->nc++;
        return;
    }
    for (size_t b = 0; b < sizeof buffers / sizeof buffers[0]; b++) {
        if (strcmp(name, buffers[b].name) != 0)
            continue;
        if (buffers[b].modifier) {
            if (r->nc)
                r->c[r->nc - 1].buf = buffers[b].buf;
        } else {
            st->buf = buffers[b].buf;
            st->dotprefix = 0;
        }
        return;
    }
    if (other_sticky(name)) {
        st->buf = SB_NONE;
        st->dotprefix = 0;
    }
}

/* One header address field: literal addresses and networks (not negated, no variables). */
static void header_addrs(struct imp *im, const char *f, size_t n, const struct imp_meta *m,
                         size_t line, int *any)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (f[i] == '[' || f[i] == ']' || f[i] == ',' || isspace((unsigned char)f[i])))
            i++;
        size_t s = i;
        while (i < n && f[i] != ',' && f[i] != ']' && f[i] != '[')
            i++;
        const char *v = f + s;
        size_t vl = i - s;
        imp_trim(&v, &vl);
        if (!vl || v[0] == '!' || v[0] == '$' || !strncasecmp(v, "any", vl))
            continue;
        imp_value(im, memchr(v, '/', vl) ? IOC_CIDR : IOC_IP, v, vl, m, line);
        *any = 1;
    }
}

/* The header's 7 fields (lists in brackets count as one); 0 or -1. */
static int header_split(const char *s, size_t n, const char *f[7], size_t fl[7])
{
    size_t i = 0;
    for (int k = 0; k < 7; k++) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i >= n)
            return -1;
        size_t st = i;
        int depth = 0;
        for (; i < n; i++) {
            if (s[i] == '[')
                depth++;
            else if (s[i] == ']')
                depth--;
            else if (isspace((unsigned char)s[i]) && depth <= 0)
                break;
        }
        f[k] = s + st;
        fl[k] = i - st;
    }
    return 0;
}

static void suri_rule(struct imp *im, const char *s, size_t n, size_t line)
{
    const char *open = memchr(s, '(', n);
    const char *close = s + n;
    while (close > s && close[-1] != ')')
        close--;
    const char *f[7];
    size_t fl[7];
    if (!open || close <= open + 1 || header_split(s, (size_t)(open - s), f, fl)) {
        im->rep->invalid++;
        imp_problem(im, line, "not a rule: expected 'action proto src port -> dst port (…)'");
        return;
    }
    struct suri_rule *r = calloc(1, sizeof *r);
    if (!r) {
        im->stop = KS_ENOMEM;
        return;
    }
    snprintf(r->port, sizeof r->port, "%.*s", (int)(fl[6] < 15 ? fl[6] : 15), f[6]);
    struct opt_state st = {.r = r};
    options_each(open + 1, (size_t)(close - 1 - open - 1), on_option, &st);
    struct imp_meta m = {.desc = r->msg[0] ? r->msg : NULL, .ref = r->sid[0] ? r->sid : NULL};
    int any = 0;
    const char *host = NULL, *uri = NULL;
    for (unsigned i = 0; i < r->nc; i++) {
        if (r->c[i].buf == SB_HOST && !host)
            host = r->c[i].value;
        if (r->c[i].buf == SB_URI && !uri)
            uri = r->c[i].value;
    }
    if (host && uri && uri[0] == '/') {
        char url[IOC_VALUE_MAX + 300];
        int port = atoi(r->port);
        int w = port > 0 && port != 80
                    ? snprintf(url, sizeof url, "http://%s:%d%s", host, port, uri)
                    : snprintf(url, sizeof url, "http://%s%s", host, uri);
        if (w > 0 && (size_t)w < sizeof url)
            imp_value(im, IOC_URL, url, (size_t)w, &m, line);
        any = 1;
    }
    for (unsigned i = 0; i < r->nc && !(host && uri && uri[0] == '/'); i++) {
        const struct suri_content *c = &r->c[i];
        const char *v = c->value;
        int type = -1;
        switch (c->buf) {
        case SB_NAME:
        case SB_HOST:
            type = IOC_DOMAIN;
            if (c->dotprefix && v[0] == '.')
                v++;
            break;
        case SB_UA:
            type = IOC_UA;
            break;
        case SB_JA3:
            type = IOC_JA3;
            break;
        case SB_JA3S:
            type = IOC_JA3S;
            break;
        case SB_JA4:
            type = IOC_JA4;
            break;
        case SB_CERT:
            type = IOC_CERT_SHA1;
            break;
        }
        if (type >= 0) {
            imp_value(im, type, v, strlen(v), &m, line);
            any = 1;
        }
    }
    if (!any && !r->nc) {
        header_addrs(im, f[2], fl[2], &m, line, &any);
        header_addrs(im, f[5], fl[5], &m, line, &any);
    }
    if (!any) {
        im->rep->unsupported++;
        if (r->files)
            imp_problem(im, line,
                        "%s: its values are in a dataset or list file: import that "
                        "file too",
                        r->sid[0] ? r->sid : "rule");
        else if (im->rep->unsupported <= 3)
            imp_problem(im, line, "%s: nothing konseki matches", r->sid[0] ? r->sid : "rule");
    }
    free(r);
}

int imp_suricata(struct imp *im)
{
    size_t pos = 0, no = 0, first = 0, len = 0;
    struct imp_line l;
    char *rule = malloc(SURI_RULE_MAX);
    if (!rule)
        return KS_ENOMEM;
    im->rep->format = "suricata-rules";
    while (!im->stop && imp_next_line(im, &pos, &no, &l)) {
        const char *p = l.p;
        size_t n = l.n;
        imp_trim(&p, &n);
        if (!len && (n == 0 || p[0] == '#'))
            continue;
        if (!len)
            first = l.no;
        int more = n && p[n - 1] == '\\';
        if (more)
            n--;
        if (len + n + 1 >= SURI_RULE_MAX) {
            im->rep->invalid++;
            imp_problem(im, first, "rule longer than %d bytes", SURI_RULE_MAX);
            len = 0;
            continue;
        }
        memcpy(rule + len, p, n);
        len += n;
        rule[len++] = ' ';
        if (more)
            continue;
        if (imp_suricata_rule_line(rule, len))
            suri_rule(im, rule, len, first);
        else {
            im->rep->invalid++;
            imp_problem(im, first, "not a rule");
        }
        len = 0;
    }
    free(rule);
    return 0;
}
