/*
 * export.c — a case's indicators in the formats other tools read (case.h).
 *
 *   stix      a STIX 2.1 bundle (OASIS STIX 2.1, sections 2.9 identifiers, 3.2 common
 *             properties, 4.7 indicator, 9 patterning): an identity (konseki), one
 *             attack-pattern per ATT&CK id of the case, one indicator per value, and a report
 *             that refers to them all.  Ids are UUIDv5 (RFC 4122 section 4.3, SHA-1) over the
 *             case id and the value, so exporting a case again gives the same ids; created is
 *             the case's creation, modified the export's time (milliseconds, "Z").  Patterns:
 *               [ipv4-addr:value = '…'] [ipv6-addr:value = '…'] [domain-name:value = '…']
 *               [url:value = '…'] [file:hashes.MD5 = '…'] [file:hashes.'SHA-1' = '…']
 *               [file:hashes.'SHA-256' = '…'] [x509-certificate:hashes.'SHA-1' = '…']
 *               [x509-certificate:hashes.'SHA-256' = '…']
 *             STIX has no object for TLS client fingerprints: JA3 and JA4 are left out; nor
 *             for user agents, which only an extension (http-request-ext) carries and which
 *             konseki's importer, like most consumers, does not read: left out too.
 *   misp      a MISP event ({"Event":{…,"Attribute":[…],"Object":[…]}}): ip-dst (ip-src for an
 *             address that initiated the session), domain (a registered domain) or hostname,
 *             url, user-agent, ja3-fingerprint-md5, x509-fingerprint-sha1/-sha256, md5, sha1,
 *             sha256, all to_ids; JA4 as a ja4-plus object (ja4-fingerprint, ja4-type JA4).
 *   suricata  rules (alert, one per indicator; addresses grouped in header lists), sids from
 *             the case's range (CASE_SID_BASE).  Names: dns.query, tls.sni and http.host, each
 *             with dotprefix + endswith so subdomains match as in konseki; with many names
 *             (or --datasets always) one string dataset instead, which matches names exactly.
 *             URLs: http.host + http.uri.raw (exact) and the port; user-agents:
 *             http.user_agent (exact); ja3.hash, ja4.hash; certificate SHA-1:
 *             tls.cert_fingerprint; file hashes: filemd5/filesha1/filesha256 with list files.
 *             Dataset and list files are written next to the rules; certificate SHA-256 has no
 *             keyword and is left out.
 *   zeek      an Intel framework file: ADDR, DOMAIN, URL (without the scheme, as Zeek builds
 *             it), SOFTWARE (user-agents: Zeek's intel/seen/http-user-agents matches them),
 *             CERT_HASH, FILE_HASH.  Zeek defines no JA3/JA4 type: left out.
 *   csv       type,value,source,description with konseki's type names (RFC 4180 quoting).
 */
#include "case/case.h"

#include "core/err.h"
#include "core/jsonw.h"
#include "core/ktime.h"
#include "ioc/ioc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int case_format_parse(const char *s)
{
    static const char *const names[] = {"stix", "misp", "suricata", "zeek", "csv"};
    for (int i = 0; s && i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

/* ---------------------------------------------------------------- shared */

struct exp {
    FILE *f;
    const struct case_info *c;
    const struct case_iocs *iocs;
    const struct case_export_opts *o;
    struct case_export_report *rep;
};

static void written(struct exp *x, int type)
{
    x->rep->written[type]++;
    x->rep->written_total++;
}

static void skipped(struct exp *x, int type)
{
    x->rep->skipped[type]++;
    x->rep->skipped_total++;
}

/* "2024-01-15T09:00:00.000Z": RFC 3339 UTC with milliseconds (STIX timestamps). */
static void ts_milli(int64_t ns, char *dst, size_t n)
{
    time_t t = (time_t)(ns / KT_NS_PER_SEC - (ns % KT_NS_PER_SEC < 0));
    int64_t ms = (ns % KT_NS_PER_SEC + KT_NS_PER_SEC) % KT_NS_PER_SEC / 1000000;
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(dst, n, "%s.%03dZ", d, (int)ms);
}

/* One line describing where an indicator was seen. */
static void describe(const struct exp *x, const struct case_ioc *v, char *dst, size_t n)
{
    char t[48];
    ktime_format(v->first_ns, t, sizeof t);
    int w = snprintf(dst, n, "konseki case %" PRId64 ": %s in session %016" PRIx64 " at %s",
                     x->c->id, v->field, v->event_id, t);
    if (w > 0 && (size_t)w < n && v->findings > 1)
        snprintf(dst + w, n - (size_t)w, " (%u malicious findings)", v->findings);
}

/* UUIDv5 (RFC 4122 section 4.3) of name in konseki's namespace, as text. */
static void uuid5(const char *name, char out[37])
{
    static const uint8_t ns[16] = {0x4b, 0x6f, 0x6e, 0x73, 0x65, 0x6b, 0x69, 0x2d,
                                   0xa1, 0x5e, 0x63, 0x61, 0x73, 0x65, 0x73, 0x21};
    uint8_t md[SHA_DIGEST_LENGTH], buf[sizeof ns + IOC_VALUE_MAX + 128];
    size_t n = strlen(name);
    if (n > sizeof buf - sizeof ns)
        n = sizeof buf - sizeof ns;
    memcpy(buf, ns, sizeof ns);
    memcpy(buf + sizeof ns, name, n);
    SHA1(buf, sizeof ns + n, md);
    md[6] = (uint8_t)((md[6] & 0x0f) | 0x50);
    md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", md[0],
             md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12],
             md[13], md[14], md[15]);
}

/* "type--uuid5(case:ID:what)" */
static void stix_id(const struct exp *x, const char *type, const char *what, char *dst, size_t n)
{
    char name[IOC_VALUE_MAX + 96], u[37];
    snprintf(name, sizeof name, "case:%" PRId64 ":%s", x->c->id, what);
    uuid5(name, u);
    snprintf(dst, n, "%s--%s", type, u);
}

static void json_kv(FILE *f, const char *k, const char *v, int comma)
{
    if (comma)
        fputc(',', f);
    jsonw_str(f, k);
    fputc(':', f);
    jsonw_str(f, v);
}

/* The ATT&CK ids of the case, one by one. */
static int attack_next(const char **p, char *id, size_t n)
{
    while (**p == ',' || **p == ' ')
        (*p)++;
    size_t l = strcspn(*p, ", ");
    if (!l || l >= n)
        return 0;
    memcpy(id, *p, l);
    id[l] = '\0';
    *p += l;
    return 1;
}

/* ---------------------------------------------------------------- STIX 2.1 */

static const char *stix_path(int type, const char *value)
{
    switch (type) {
    case IOC_IP:
        return strchr(value, ':') ? "ipv6-addr:value" : "ipv4-addr:value";
    case IOC_DOMAIN:
        return "domain-name:value";
    case IOC_URL:
        return "url:value";
    case IOC_CERT_SHA1:
        return "x509-certificate:hashes.'SHA-1'";
    case IOC_CERT_SHA256:
        return "x509-certificate:hashes.'SHA-256'";
    case IOC_MD5:
        return "file:hashes.MD5";
    case IOC_SHA1:
        return "file:hashes.'SHA-1'";
    case IOC_SHA256:
        return "file:hashes.'SHA-256'";
    }
    return NULL;
}

/* "[path = 'value']" with ' and \ escaped (STIX 2.1 section 9.2, string constants). */
static void stix_pattern(const char *path, const char *value, char *dst, size_t n)
{
    size_t o = (size_t)snprintf(dst, n, "[%s = '", path);
    for (const char *p = value; *p && o + 4 < n; p++) {
        if (*p == '\'' || *p == '\\')
            dst[o++] = '\\';
        dst[o++] = *p;
    }
    snprintf(dst + o, n - o, "']");
}

static const char *stix_label(int type)
{
    switch (type) {
    case IOC_IP:
        return "address";
    case IOC_DOMAIN:
        return "domain";
    case IOC_URL:
        return "URL";
    case IOC_UA:
        return "user-agent";
    case IOC_CERT_SHA1:
    case IOC_CERT_SHA256:
        return "certificate";
    }
    return "file";
}

static void stix_common(FILE *f, const char *type, const char *id, const char *created,
                        const char *modified)
{
    fputs("{", f);
    json_kv(f, "type", type, 0);
    json_kv(f, "spec_version", "2.1", 1);
    json_kv(f, "id", id, 1);
    json_kv(f, "created", created, 1);
    json_kv(f, "modified", modified, 1);
}

static void export_stix(struct exp *x)
{
    FILE *f = x->f;
    char created[40], modified[40], id[128], ident[128], t[48];
    char pat[2 * IOC_VALUE_MAX + 128], desc[512], name[IOC_VALUE_MAX + 64],
        what[IOC_VALUE_MAX + 64];
    int64_t mod_ns = x->o->now_ns > x->c->created_ns ? x->o->now_ns : x->c->created_ns;
    ts_milli(x->c->created_ns, created, sizeof created);
    ts_milli(mod_ns, modified, sizeof modified);
    snprintf(t, sizeof t, "bundle:%" PRId64, mod_ns);
    stix_id(x, "bundle", t, id, sizeof id);
    fputs("{\"type\":\"bundle\",", f);
    json_kv(f, "id", id, 0);
    fputs(",\"objects\":[\n", f);
    /* konseki itself, the producer: one id for every case and export */
    char u[37];
    uuid5("konseki", u);
    snprintf(ident, sizeof ident, "identity--%s", u);
    stix_common(f, "identity", ident, "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z");
    json_kv(f, "name", "konseki", 1);
    json_kv(f, "identity_class", "system", 1);
    fputs("}", f);
    /* ATT&CK techniques */
    const char *p = x->c->attack;
    char tid[16];
    while (attack_next(&p, tid, sizeof tid)) {
        snprintf(what, sizeof what, "attack-pattern:%s", tid);
        stix_id(x, "attack-pattern", what, id, sizeof id);
        fputs(",\n", f);
        stix_common(f, "attack-pattern", id, created, created);
        json_kv(f, "created_by_ref", ident, 1);
        json_kv(f, "name", tid, 1);
        char url[96], sub[16];
        snprintf(sub, sizeof sub, "%s", tid);
        char *dot = strchr(sub, '.');
        if (dot)
            *dot = '/';
        snprintf(url, sizeof url, "https://attack.mitre.org/techniques/%s/", sub);
        fputs(",\"external_references\":[{", f);
        json_kv(f, "source_name", "mitre-attack", 0);
        json_kv(f, "external_id", tid, 1);
        json_kv(f, "url", url, 1);
        fputs("}]}", f);
    }
    /* indicators */
    for (size_t i = 0; i < x->iocs->n; i++) {
        const struct case_ioc *v = &x->iocs->v[i];
        const char *path = stix_path(v->type, v->value);
        if (!path) {
            skipped(x, v->type);
            continue;
        }
        snprintf(what, sizeof what, "indicator:%s:%s", ioc_type_name(v->type), v->value);
        stix_id(x, "indicator", what, id, sizeof id);
        stix_pattern(path, v->value, pat, sizeof pat);
        describe(x, v, desc, sizeof desc);
        snprintf(name, sizeof name, "Malicious %s %.200s", stix_label(v->type), v->value);
        ts_milli(v->first_ns ? v->first_ns : x->c->created_ns, t, sizeof t);
        fputs(",\n", f);
        stix_common(f, "indicator", id, created, modified);
        json_kv(f, "created_by_ref", ident, 1);
        json_kv(f, "name", name, 1);
        json_kv(f, "description", desc, 1);
        fputs(",\"indicator_types\":[\"malicious-activity\"]", f);
        json_kv(f, "pattern", pat, 1);
        json_kv(f, "pattern_type", "stix", 1);
        json_kv(f, "pattern_version", "2.1", 1);
        json_kv(f, "valid_from", t, 1);
        fputs("}", f);
        written(x, v->type);
    }
    /* the report that holds them together */
    stix_id(x, "report", "report", id, sizeof id);
    snprintf(name, sizeof name, "konseki case %" PRId64 ": %.300s", x->c->id, x->c->hypothesis);
    fputs(",\n", f);
    stix_common(f, "report", id, created, modified);
    json_kv(f, "created_by_ref", ident, 1);
    json_kv(f, "name", name, 1);
    json_kv(f, "description", x->c->hypothesis, 1);
    fputs(",\"report_types\":[\"threat-report\"]", f);
    json_kv(f, "published", modified, 1);
    fputs(",\"object_refs\":[", f);
    jsonw_str(f, ident);
    p = x->c->attack;
    while (attack_next(&p, tid, sizeof tid)) {
        snprintf(what, sizeof what, "attack-pattern:%s", tid);
        stix_id(x, "attack-pattern", what, id, sizeof id);
        fputc(',', f);
        jsonw_str(f, id);
    }
    for (size_t i = 0; i < x->iocs->n; i++) {
        const struct case_ioc *v = &x->iocs->v[i];
        if (!stix_path(v->type, v->value))
            continue;
        snprintf(what, sizeof what, "indicator:%s:%s", ioc_type_name(v->type), v->value);
        stix_id(x, "indicator", what, id, sizeof id);
        fputc(',', f);
        jsonw_str(f, id);
    }
    fputs("]}\n]}\n", f);
}

/* ---------------------------------------------------------------- MISP */

static const char *misp_type(const struct case_ioc *v)
{
    char reg[256];
    switch (v->type) {
    case IOC_IP:
        return v->inbound ? "ip-src" : "ip-dst";
    case IOC_DOMAIN:
        hunt_regdomain(v->value, reg, sizeof reg);
        return strcmp(reg, v->value) == 0 ? "domain" : "hostname";
    case IOC_URL:
        return "url";
    case IOC_UA:
        return "user-agent";
    case IOC_JA3:
        return "ja3-fingerprint-md5";
    case IOC_CERT_SHA1:
        return "x509-fingerprint-sha1";
    case IOC_CERT_SHA256:
        return "x509-fingerprint-sha256";
    case IOC_MD5:
        return "md5";
    case IOC_SHA1:
        return "sha1";
    case IOC_SHA256:
        return "sha256";
    }
    return NULL;
}

static void misp_attr(struct exp *x, const char *uuid_name, const char *type, const char *category,
                      const char *relation, const char *value, int to_ids, const char *comment,
                      int64_t first_ns, int comma)
{
    FILE *f = x->f;
    char u[37], ts[32];
    uuid5(uuid_name, u);
    snprintf(ts, sizeof ts, "%" PRId64, (int64_t)(x->o->now_ns / KT_NS_PER_SEC));
    fputs(comma ? ",\n  {" : "\n  {", f);
    json_kv(f, "uuid", u, 0);
    json_kv(f, "type", type, 1);
    json_kv(f, "category", category, 1);
    if (relation)
        json_kv(f, "object_relation", relation, 1);
    json_kv(f, "value", value, 1);
    fprintf(f, ",\"to_ids\":%s", to_ids ? "true" : "false");
    json_kv(f, "distribution", "5", 1);
    json_kv(f, "timestamp", ts, 1);
    if (comment)
        json_kv(f, "comment", comment, 1);
    if (first_ns) {
        char t[48];
        ktime_format(first_ns, t, sizeof t);
        json_kv(f, "first_seen", t, 1);
    }
    fputc('}', f);
}

static void export_misp(struct exp *x)
{
    FILE *f = x->f;
    char u[37], ts[32], date[16], info[600], desc[512], what[IOC_VALUE_MAX + 96];
    snprintf(what, sizeof what, "case:%" PRId64 ":misp-event", x->c->id);
    uuid5(what, u);
    snprintf(ts, sizeof ts, "%" PRId64, (int64_t)(x->o->now_ns / KT_NS_PER_SEC));
    ktime_format(x->c->created_ns, date, sizeof date); /* "YYYY-MM-DD…" cut below */
    date[10] = '\0';
    snprintf(info, sizeof info, "konseki case %" PRId64 ": %.500s", x->c->id, x->c->hypothesis);
    fputs("{\"Event\":{", f);
    json_kv(f, "uuid", u, 0);
    json_kv(f, "info", info, 1);
    json_kv(f, "date", date, 1);
    json_kv(f, "timestamp", ts, 1);
    fputs(",\"published\":false", f);
    json_kv(f, "analysis", "2", 1);
    json_kv(f, "threat_level_id", "1", 1);
    json_kv(f, "distribution", "0", 1);
    fputs(",\"Orgc\":{\"name\":\"konseki\"}", f);
    fputs(",\"Tag\":[{\"name\":\"tlp:amber\"}]", f);
    fputs(",\"Attribute\":[", f);
    int comma = 0;
    if (x->c->attack[0]) {
        char text[300];
        snprintf(text, sizeof text, "ATT&CK techniques: %s", x->c->attack);
        snprintf(what, sizeof what, "case:%" PRId64 ":misp-attack", x->c->id);
        misp_attr(x, what, "text", "Other", NULL, text, 0, NULL, 0, comma);
        comma = 1;
    }
    size_t nja4 = 0;
    for (size_t i = 0; i < x->iocs->n; i++) {
        const struct case_ioc *v = &x->iocs->v[i];
        const char *type = misp_type(v);
        if (v->type == IOC_JA4)
            nja4++;
        if (!type) {
            if (v->type != IOC_JA4)
                skipped(x, v->type);
            continue;
        }
        int payload = v->type == IOC_MD5 || v->type == IOC_SHA1 || v->type == IOC_SHA256;
        snprintf(what, sizeof what, "case:%" PRId64 ":misp:%s:%s", x->c->id, ioc_type_name(v->type),
                 v->value);
        describe(x, v, desc, sizeof desc);
        misp_attr(x, what, type, payload ? "Payload delivery" : "Network activity", NULL, v->value,
                  1, desc, v->first_ns, comma);
        comma = 1;
        written(x, v->type);
    }
    fputs("\n ]", f);
    if (nja4) {
        /* MISP has no JA4 attribute type: the ja4-plus object carries it */
        fputs(",\"Object\":[", f);
        comma = 0;
        for (size_t i = 0; i < x->iocs->n; i++) {
            const struct case_ioc *v = &x->iocs->v[i];
            if (v->type != IOC_JA4)
                continue;
            snprintf(what, sizeof what, "case:%" PRId64 ":misp-object:ja4:%s", x->c->id, v->value);
            uuid5(what, u);
            fputs(comma ? ",\n {" : "\n {", f);
            json_kv(f, "uuid", u, 0);
            json_kv(f, "name", "ja4-plus", 1);
            json_kv(f, "meta-category", "network", 1);
            json_kv(f, "distribution", "5", 1);
            json_kv(f, "timestamp", ts, 1);
            fputs(",\"Attribute\":[", f);
            describe(x, v, desc, sizeof desc);
            snprintf(what, sizeof what, "case:%" PRId64 ":misp:ja4:%s", x->c->id, v->value);
            misp_attr(x, what, "text", "Network activity", "ja4-fingerprint", v->value, 1, desc,
                      v->first_ns, 0);
            snprintf(what, sizeof what, "case:%" PRId64 ":misp:ja4-type:%s", x->c->id, v->value);
            misp_attr(x, what, "text", "Other", "ja4-type", "JA4", 0, NULL, 0, 1);
            fputs("]}", f);
            comma = 1;
            written(x, v->type);
        }
        fputs("\n ]", f);
    }
    fputs("}}\n", f);
}

/* ---------------------------------------------------------------- Suricata */

/* A content string: printable ASCII as is, except " ; \ | and everything else as |XX|
 * (Suricata's content syntax: hex bytes between pipes). */
static void suri_content(FILE *f, const char *v)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && !strchr("\";\\|", *p))
            fputc(*p, f);
        else
            fprintf(f, "|%02X|", *p);
    }
    fputc('"', f);
}

/* msg text: " ; \ escaped with \, anything else unprintable as '?' (shortened). */
static void suri_msg(FILE *f, const char *prefix, const char *v)
{
    fputs("msg:\"", f);
    fputs(prefix, f);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p && n < 120; p++, n++) {
        if (*p == '"' || *p == ';' || *p == '\\')
            fputc('\\', f);
        fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', f);
    }
    if (*v && n == 120 && v[n])
        fputs("...", f);
    fputs("\"; ", f);
}

struct suri {
    struct exp *x;
    uint32_t sid;
    uint32_t sid_end;
    char names_file[PATH_MAX];
    int overflow;
};

static int suri_sid(struct suri *s)
{
    if (s->sid >= s->sid_end) {
        s->overflow = 1;
        return 0;
    }
    return 1;
}

static void suri_tail(struct suri *s, const struct case_ioc *v)
{
    fprintf(s->x->f, "classtype:trojan-activity; metadata:konseki_case %" PRId64, s->x->c->id);
    if (v)
        fprintf(s->x->f, ", konseki_event %016" PRIx64, v->event_id);
    fprintf(s->x->f, "; sid:%" PRIu32 "; rev:1;)\n", s->sid++);
}

/* Open dir/stem-kind.lst for writing; NULL when there is no directory. */
static FILE *side_open(struct exp *x, const char *kind, char *name, size_t n)
{
    char path[PATH_MAX];
    if (!x->o->dir || !x->o->stem)
        return NULL;
    snprintf(name, n, "%s-%s.lst", x->o->stem, kind);
    if (snprintf(path, sizeof path, "%s/%s", x->o->dir, name) >= (int)sizeof path)
        return NULL;
    FILE *f = fopen(path, "w");
    if (f && x->rep->nfiles < sizeof x->rep->files / sizeof x->rep->files[0])
        snprintf(x->rep->files[x->rep->nfiles++], sizeof x->rep->files[0], "%s", path);
    return f;
}

static void suri_b64(FILE *f, const char *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (uint32_t)(unsigned char)s[i + 2];
        fputc(tab[v >> 18 & 63], f);
        fputc(tab[v >> 12 & 63], f);
        fputc(i + 1 < n ? tab[v >> 6 & 63] : '=', f);
        fputc(i + 2 < n ? tab[v & 63] : '=', f);
    }
    fputc('\n', f);
}

static void suri_addresses(struct suri *s, int inbound)
{
    struct exp *x = s->x;
    size_t i = 0, n = x->iocs->n;
    while (i < n) {
        /* up to 64 addresses in one header list */
        size_t k = 0;
        const struct case_ioc *first = NULL;
        for (; i < n && k < 64; i++) {
            const struct case_ioc *v = &x->iocs->v[i];
            if (v->type != IOC_IP || v->inbound != inbound)
                continue;
            if (!k) {
                if (!suri_sid(s))
                    return;
                first = v;
                fputs("alert ip ", x->f);
                fputs(inbound ? "[" : "any any -> [", x->f);
            }
            fprintf(x->f, "%s%s", k ? "," : "", v->value);
            k++;
            written(x, IOC_IP);
        }
        if (!k)
            break;
        fputs(inbound ? "] any -> any any (" : "] any (", x->f);
        char m[96];
        snprintf(m, sizeof m, "konseki case %" PRId64 ": %s %s", x->c->id,
                 inbound ? "traffic from" : "traffic to",
                 k == 1 ? "malicious address " : "malicious addresses");
        suri_msg(x->f, m, k == 1 ? first->value : "");
        suri_tail(s, k == 1 ? first : NULL);
    }
}

static void suri_names(struct suri *s, size_t nnames)
{
    struct exp *x = s->x;
    static const struct {
        const char *proto, *buffer, *what;
        int nocase;
    } where[] = {{"dns", "dns.query", "DNS query for", 1},
                 {"tls", "tls.sni", "TLS SNI", 1},
                 {"http", "http.host", "HTTP host", 0}};
    int dataset = x->o->datasets > 0 || (x->o->datasets < 0 && nnames >= 20);
    char name[256];
    FILE *ds = dataset ? side_open(x, "names", name, sizeof name) : NULL;
    if (ds) {
        for (size_t i = 0; i < x->iocs->n; i++)
            if (x->iocs->v[i].type == IOC_DOMAIN) {
                suri_b64(ds, x->iocs->v[i].value);
                written(x, IOC_DOMAIN);
            }
        int bad = fclose(ds) != 0;
        for (size_t w = 0; !bad && w < 3 && suri_sid(s); w++) {
            fprintf(x->f, "alert %s any any -> any any (", where[w].proto);
            char m[96];
            snprintf(m, sizeof m, "konseki case %" PRId64 ": %s a listed name", x->c->id,
                     where[w].what);
            suri_msg(x->f, m, "");
            fprintf(x->f, "%s; dataset:isset,konseki-%s,type string,load %s; ", where[w].buffer,
                    x->o->stem, name);
            suri_tail(s, NULL);
        }
        return;
    }
    for (size_t i = 0; i < x->iocs->n; i++) {
        const struct case_ioc *v = &x->iocs->v[i];
        if (v->type != IOC_DOMAIN)
            continue;
        for (size_t w = 0; w < 3 && suri_sid(s); w++) {
            fprintf(x->f, "alert %s any any -> any any (", where[w].proto);
            char m[96];
            snprintf(m, sizeof m, "konseki case %" PRId64 ": %s ", x->c->id, where[w].what);
            suri_msg(x->f, m, v->value);
            char dotted[IOC_VALUE_MAX + 2];
            snprintf(dotted, sizeof dotted, ".%s", v->value);
            fprintf(x->f, "%s; dotprefix; content:", where[w].buffer);
            suri_content(x->f, dotted);
            fprintf(x->f, "; endswith;%s ", where[w].nocase ? " nocase;" : "");
            suri_tail(s, v);
        }
        written(x, IOC_DOMAIN);
    }
}

/* http://host[:port]/target into its parts; 0 or -1. */
static int url_split(const char *url, char *host, size_t hn, char *port, size_t pn,
                     const char **target)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *slash = strchr(h, '/');
    if (!slash)
        return -1;
    const char *colon = memchr(h, ':', (size_t)(slash - h));
    const char *he = colon ? colon : slash;
    if (he == h || (size_t)(he - h) >= hn || *h == '[')
        return -1;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    snprintf(port, pn, "any");
    if (colon) {
        if ((size_t)(slash - colon - 1) >= pn || slash - colon < 2)
            return -1;
        memcpy(port, colon + 1, (size_t)(slash - colon - 1));
        port[slash - colon - 1] = '\0';
    }
    *target = slash;
    return 0;
}

static void suri_one(struct suri *s, const struct case_ioc *v)
{
    struct exp *x = s->x;
    FILE *f = x->f;
    char m[96];
    switch (v->type) {
    case IOC_URL: {
        char host[256], port[8];
        const char *target;
        if (url_split(v->value, host, sizeof host, port, sizeof port, &target)) {
            skipped(x, v->type); /* https:// or an address literal: no http.host to match */
            return;
        }
        fprintf(f, "alert http any any -> any %s (", port);
        snprintf(m, sizeof m, "konseki case %" PRId64 ": URL ", x->c->id);
        suri_msg(f, m, v->value);
        fputs("http.host; content:", f);
        suri_content(f, host);
        fputs("; startswith; endswith; http.uri.raw; content:", f);
        suri_content(f, target);
        fputs("; startswith; endswith; ", f);
        break;
    }
    case IOC_UA:
        fputs("alert http any any -> any any (", f);
        snprintf(m, sizeof m, "konseki case %" PRId64 ": user-agent ", x->c->id);
        suri_msg(f, m, v->value);
        fputs("http.user_agent; content:", f);
        suri_content(f, v->value);
        fputs("; startswith; endswith; ", f);
        break;
    case IOC_JA3:
    case IOC_JA4:
        fputs("alert tls any any -> any any (", f);
        snprintf(m, sizeof m, "konseki case %" PRId64 ": %s ", x->c->id,
                 v->type == IOC_JA3 ? "JA3" : "JA4");
        suri_msg(f, m, v->value);
        fprintf(f, "%s; content:", v->type == IOC_JA3 ? "ja3.hash" : "ja4.hash");
        suri_content(f, v->value);
        fputs("; ", f);
        break;
    case IOC_CERT_SHA1: {
        char fp[64];
        size_t o = 0;
        for (const char *p = v->value; p[0] && p[1] && o + 3 < sizeof fp; p += 2) {
            if (o)
                fp[o++] = ':';
            fp[o++] = p[0];
            fp[o++] = p[1];
        }
        fp[o] = '\0';
        fputs("alert tls any any -> any any (", f);
        snprintf(m, sizeof m, "konseki case %" PRId64 ": certificate SHA-1 ", x->c->id);
        suri_msg(f, m, v->value);
        fputs("tls.cert_fingerprint; content:", f);
        suri_content(f, fp);
        fputs("; ", f);
        break;
    }
    default:
        return;
    }
    suri_tail(s, v);
    written(x, v->type);
}

static void suri_hashes(struct suri *s)
{
    static const struct {
        int type;
        const char *kind, *keyword;
    } h[] = {{IOC_MD5, "md5", "filemd5"},
             {IOC_SHA1, "sha1", "filesha1"},
             {IOC_SHA256, "sha256", "filesha256"}};
    struct exp *x = s->x;
    for (size_t k = 0; k < 3; k++) {
        size_t n = 0;
        for (size_t i = 0; i < x->iocs->n; i++)
            n += x->iocs->v[i].type == h[k].type;
        if (!n)
            continue;
        char name[256];
        FILE *lf = suri_sid(s) ? side_open(x, h[k].kind, name, sizeof name) : NULL;
        if (!lf) {
            for (size_t i = 0; i < n; i++)
                skipped(x, h[k].type);
            continue;
        }
        for (size_t i = 0; i < x->iocs->n; i++)
            if (x->iocs->v[i].type == h[k].type) {
                fprintf(lf, "%s\n", x->iocs->v[i].value);
                written(x, h[k].type);
            }
        fclose(lf);
        fputs("alert http any any -> any any (", x->f);
        char m[96];
        snprintf(m, sizeof m, "konseki case %" PRId64 ": file with a listed %s", x->c->id,
                 h[k].kind);
        suri_msg(x->f, m, "");
        fprintf(x->f, "%s:%s; ", h[k].keyword, name);
        suri_tail(s, NULL);
    }
}

static void export_suricata(struct exp *x)
{
    struct suri s = {.x = x};
    uint32_t base =
        x->o->sid_base ? x->o->sid_base : CASE_SID_BASE + (uint32_t)(x->c->id % 20000) * 100000u;
    s.sid = base + 1;
    s.sid_end = base + 100000u;
    char t[48];
    ktime_format(x->o->now_ns, t, sizeof t);
    fprintf(x->f,
            "# konseki case %" PRId64 ": %.200s\n"
            "# exported %s; sids %" PRIu32 "-%" PRIu32 " (konseki: 1600000000 + (case id mod "
            "20000) * 100000 + n)\n"
            "# ja3.hash and ja4.hash need JA3/JA4 support (app-layer.protocols.tls."
            "ja3-fingerprints / ja4-fingerprints); ja4.hash needs a Suricata that has it\n",
            x->c->id, x->c->hypothesis, t, base + 1, base + 99999u);
    suri_addresses(&s, 0);
    suri_addresses(&s, 1);
    size_t nnames = 0;
    for (size_t i = 0; i < x->iocs->n; i++) {
        nnames += x->iocs->v[i].type == IOC_DOMAIN;
        if (x->iocs->v[i].type == IOC_CERT_SHA256)
            skipped(x, IOC_CERT_SHA256);
    }
    if (nnames)
        suri_names(&s, nnames);
    for (size_t i = 0; i < x->iocs->n && suri_sid(&s); i++)
        suri_one(&s, &x->iocs->v[i]);
    suri_hashes(&s);
    if (s.overflow)
        fprintf(x->f, "# more indicators than the case's sid range holds: the rest left out\n");
}

/* ---------------------------------------------------------------- Zeek intel */

static const char *zeek_type(int type)
{
    switch (type) {
    case IOC_IP:
        return "Intel::ADDR";
    case IOC_DOMAIN:
        return "Intel::DOMAIN";
    case IOC_URL:
        return "Intel::URL";
    case IOC_UA:
        return "Intel::SOFTWARE";
    case IOC_CERT_SHA1:
    case IOC_CERT_SHA256:
        return "Intel::CERT_HASH";
    case IOC_MD5:
    case IOC_SHA1:
    case IOC_SHA256:
        return "Intel::FILE_HASH";
    }
    return NULL;
}

static void zeek_field(FILE *f, const char *s)
{
    if (!*s) {
        fputc('-', f);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

static void export_zeek(struct exp *x)
{
    char src[48], desc[512];
    snprintf(src, sizeof src, "konseki-case-%" PRId64, x->c->id);
    fputs("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n", x->f);
    for (size_t i = 0; i < x->iocs->n; i++) {
        const struct case_ioc *v = &x->iocs->v[i];
        const char *type = zeek_type(v->type);
        int ctl = 0;
        for (const unsigned char *p = (const unsigned char *)v->value; *p; p++)
            ctl |= *p < 0x20 || *p == 0x7f;
        if (!type || ctl || strcmp(v->value, "-") == 0) {
            skipped(x, v->type);
            continue;
        }
        /* Zeek's Intel::URL is the URL without its scheme (HTTP::build_url) */
        const char *val =
            v->type == IOC_URL && !strncmp(v->value, "http://", 7) ? v->value + 7 : v->value;
        if (v->type == IOC_URL && val == v->value) {
            skipped(x, v->type);
            continue;
        }
        describe(x, v, desc, sizeof desc);
        fprintf(x->f, "%s\t%s\t%s\t", val, type, src);
        zeek_field(x->f, desc);
        fputc('\n', x->f);
        written(x, v->type);
    }
}

/* ---------------------------------------------------------------- CSV */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void export_csv(struct exp *x)
{
    char src[48], desc[512];
    snprintf(src, sizeof src, "konseki-case-%" PRId64, x->c->id);
    fputs("type,value,source,description\n", x->f);
    for (size_t i = 0; i < x->iocs->n; i++) {
        const struct case_ioc *v = &x->iocs->v[i];
        describe(x, v, desc, sizeof desc);
        fprintf(x->f, "%s,", ioc_type_name(v->type));
        csv_field(x->f, v->value);
        fprintf(x->f, ",%s,", src);
        csv_field(x->f, desc);
        fputc('\n', x->f);
        written(x, v->type);
    }
}

/* ---------------------------------------------------------------- entry */

int case_export(FILE *f, const struct case_info *c, const struct case_iocs *iocs,
                const struct case_export_opts *o, struct case_export_report *rep)
{
    struct exp x = {.f = f, .c = c, .iocs = iocs, .o = o, .rep = rep};
    memset(rep, 0, sizeof *rep);
    switch (o->format) {
    case CASE_FMT_STIX:
        export_stix(&x);
        break;
    case CASE_FMT_MISP:
        export_misp(&x);
        break;
    case CASE_FMT_SURICATA:
        export_suricata(&x);
        break;
    case CASE_FMT_ZEEK:
        export_zeek(&x);
        break;
    case CASE_FMT_CSV:
        export_csv(&x);
        break;
    default:
        return KS_EINVAL;
    }
    return ferror(f) ? KS_EIO : 0;
}
