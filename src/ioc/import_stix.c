/*
 * import_stix.c — STIX 2.0 / 2.1 bundles: indicator objects with STIX patterns.
 *
 * Pattern grammar (STIX 2.1 part 9, simplified to what classification needs):
 *   pattern     = observation *( ("AND" / "OR" / "FOLLOWEDBY") observation ) *qualifier
 *   observation = "[" comparison-expression "]" / "(" pattern ")"
 *   comparison  = ["NOT"] object-path op value / "EXISTS" object-path / "(" … ")"
 *   object-path = object-type ":" property *( "." property / "[" ( "*" / int ) "]" )
 *   qualifier   = "WITHIN" n "SECONDS" / "REPEATS" n "TIMES" / "START" t'…' "STOP" t'…'
 *
 * What is imported (the decisions behind the MANIFEST's counts):
 *   - every matchable atom "path = 'value'" (not negated), whatever joins it: in an OR chain
 *     each alternative is an indicator; in an AND with comparisons konseki cannot evaluate the
 *     atom is still imported and the indicator is counted as partial (a file or certificate
 *     hash identifies its object alone; a domain ANDed with its resolutions over-matches, which
 *     a hunter would rather see than miss);
 *   - matchable paths: ipv4-addr:value, ipv6-addr:value (also ISSUBSET: a CIDR),
 *     domain-name:value, url:value, file:hashes.{MD5,SHA-1,SHA-256},
 *     x509-certificate:hashes.{SHA-1,SHA-256}; hash keys in any case, quoted or not, with or
 *     without the hyphen;
 *   - MISP writes ip-src/ip-dst as network-traffic:src_ref.value / dst_ref.value (with a
 *     src_ref.type / dst_ref.type comparison beside it): imported as addresses, the .type
 *     comparison is taken as part of that atom;
 *   - x509-certificate:serial_number only when the pattern compares nothing else (a serial
 *     is unique only per issuer; "issuer AND serial" cannot be matched on the serial alone);
 *   - x509-certificate:hashes.MD5 and email-addr:value are not imported (no konseki type /
 *     not counted as matchable by the feed counting rules); LIKE, MATCHES, !=, <, > … and all
 *     other paths are unsupported comparisons;
 *   - observation operators and qualifiers are not evaluated: the atoms are still imported
 *     and the indicator counted as partial.
 * An indicator without any atom counts as unsupported; pattern_type other than "stix" too.
 */
#include "ioc/import_int.h"

#include "core/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STIX_MAX_ATOMS 256

enum sx_tok { SX_END, SX_LB, SX_RB, SX_LP, SX_RP, SX_WORD, SX_STR, SX_OTHER, SX_ERR };

struct sx_lex {
    const char *p;
    size_t n, pos;
    char text[IOC_VALUE_MAX + 8]; /* the token: a word (path, keyword, operator) or a string */
    size_t tl;
};

/* One token.  Strings lose their quotes and their \' \\ escapes; typed strings (t'…', h'…',
 * b'…') are returned as SX_OTHER; a path may contain quoted segments ('SHA-256') and [*]. */
static int sx_next(struct sx_lex *x)
{
    while (x->pos < x->n && isspace((unsigned char)x->p[x->pos]))
        x->pos++;
    x->tl = 0;
    if (x->pos >= x->n)
        return SX_END;
    char c = x->p[x->pos];
    if (c == '[' || c == ']' || c == '(' || c == ')') {
        x->pos++;
        return c == '[' ? SX_LB : c == ']' ? SX_RB : c == '(' ? SX_LP : SX_RP;
    }
    int typed = 0;
    if ((c == 't' || c == 'h' || c == 'b') && x->pos + 1 < x->n && x->p[x->pos + 1] == '\'') {
        typed = 1;
        x->pos++;
        c = '\'';
    }
    if (c == '\'') {
        x->pos++;
        while (x->pos < x->n && x->p[x->pos] != '\'') {
            char ch = x->p[x->pos++];
            if (ch == '\\' && x->pos < x->n)
                ch = x->p[x->pos++];
            if (x->tl + 1 >= sizeof x->text)
                return SX_ERR;
            x->text[x->tl++] = ch;
        }
        if (x->pos >= x->n)
            return SX_ERR;
        x->pos++;
        x->text[x->tl] = '\0';
        return typed ? SX_OTHER : SX_STR;
    }
    if (strchr("=!<>", c)) {
        while (x->pos < x->n && strchr("=!<>", x->p[x->pos]) && x->tl < 2)
            x->text[x->tl++] = x->p[x->pos++];
        x->text[x->tl] = '\0';
        return SX_WORD;
    }
    if (c == ',') {
        x->pos++;
        return SX_OTHER;
    }
    /* A word: keyword, number, boolean or object path (with quoted segments and [*]). */
    while (x->pos < x->n) {
        char ch = x->p[x->pos];
        if (ch == '\'' && x->tl && x->text[x->tl - 1] == '.') {
            x->pos++;
            while (x->pos < x->n && x->p[x->pos] != '\'') {
                if (x->tl + 1 >= sizeof x->text)
                    return SX_ERR;
                x->text[x->tl++] = x->p[x->pos++];
            }
            if (x->pos >= x->n)
                return SX_ERR;
            x->pos++;
            continue;
        }
        if (ch == '[' && x->tl && memchr(x->text, ':', x->tl)) {
            /* list index inside a path: "[*]" or "[0]" */
            size_t e = x->pos;
            while (e < x->n && x->p[e] != ']')
                e++;
            if (e >= x->n)
                return SX_ERR;
            if (x->tl + 4 >= sizeof x->text)
                return SX_ERR;
            memcpy(x->text + x->tl, "[*]", 3);
            x->tl += 3;
            x->pos = e + 1;
            continue;
        }
        if (!(isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == ':' || ch == '.' ||
              ch == '+'))
            break;
        if (x->tl + 1 >= sizeof x->text)
            return SX_ERR;
        x->text[x->tl++] = ch;
        x->pos++;
    }
    if (x->tl == 0) {
        x->pos++;
        return SX_OTHER;
    }
    x->text[x->tl] = '\0';
    return SX_WORD;
}

/* Bounded string copy (truncates). */
static void sx_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

enum sx_kind { SXK_NONE, SXK_ATOM, SXK_NT_TYPE, SXK_SERIAL, SXK_NOTYPE };

/* What a path is: an importable atom of *type, a MISP network-traffic ".type" helper, a
 * certificate serial, or nothing konseki matches. */
static int sx_path(const char *path, int *type)
{
    char hk[32];
    if (strcasecmp(path, "ipv4-addr:value") == 0 || strcasecmp(path, "ipv6-addr:value") == 0 ||
        strcasecmp(path, "network-traffic:dst_ref.value") == 0 ||
        strcasecmp(path, "network-traffic:src_ref.value") == 0) {
        *type = IOC_IP;
        return SXK_ATOM;
    }
    if (strcasecmp(path, "network-traffic:dst_ref.type") == 0 ||
        strcasecmp(path, "network-traffic:src_ref.type") == 0)
        return SXK_NT_TYPE;
    if (strcasecmp(path, "domain-name:value") == 0) {
        *type = IOC_DOMAIN;
        return SXK_ATOM;
    }
    if (strcasecmp(path, "url:value") == 0) {
        *type = IOC_URL;
        return SXK_ATOM;
    }
    if (strcasecmp(path, "x509-certificate:serial_number") == 0) {
        *type = IOC_CERT_SERIAL;
        return SXK_SERIAL;
    }
    int file = strncasecmp(path, "file:hashes.", 12) == 0;
    int cert = strncasecmp(path, "x509-certificate:hashes.", 24) == 0;
    if (!file && !cert)
        return SXK_NONE;
    const char *k = path + (file ? 12 : 24);
    size_t o = 0;
    for (; *k && o + 1 < sizeof hk; k++)
        if (*k != '-' && *k != '_')
            hk[o++] = (char)toupper((unsigned char)*k);
    hk[o] = '\0';
    if (strcmp(hk, "MD5") == 0 && file)
        *type = IOC_MD5;
    else if (strcmp(hk, "SHA1") == 0)
        *type = file ? IOC_SHA1 : IOC_CERT_SHA1;
    else if (strcmp(hk, "SHA256") == 0)
        *type = file ? IOC_SHA256 : IOC_CERT_SHA256;
    else
        return SXK_NONE;
    return SXK_ATOM;
}

struct sx_atom {
    int type;
    char value[IOC_VALUE_MAX + 8];
};

struct sx_result {
    size_t natoms, nserial, nunsup, nqual;
    char first_unsup[96];
    int error;
};

/* Scan a pattern for comparisons; fills atoms (at most STIX_MAX_ATOMS). */
static void sx_scan(const char *pat, size_t n, struct sx_atom *atoms, struct sx_result *r)
{
    struct sx_lex x = {.p = pat, .n = n};
    memset(r, 0, sizeof *r);
    int t, negate = 0, depth = 0;
    char path[256];
    while ((t = sx_next(&x)) != SX_END) {
        if (t == SX_ERR) {
            r->error = 1;
            return;
        }
        if (t == SX_LB || t == SX_LP) {
            depth++;
            continue;
        }
        if (t == SX_RB || t == SX_RP) {
            depth--;
            continue;
        }
        if (t != SX_WORD)
            continue;
        if (strcasecmp(x.text, "NOT") == 0) {
            negate = 1;
            continue;
        }
        if (strcasecmp(x.text, "AND") == 0 || strcasecmp(x.text, "OR") == 0)
            continue;
        if (strcasecmp(x.text, "FOLLOWEDBY") == 0 || strcasecmp(x.text, "WITHIN") == 0 ||
            strcasecmp(x.text, "REPEATS") == 0 || strcasecmp(x.text, "START") == 0 ||
            strcasecmp(x.text, "STOP") == 0) {
            r->nqual++;
            continue;
        }
        if (strcasecmp(x.text, "EXISTS") == 0) {
            r->nunsup++;
            continue;
        }
        if (!strchr(x.text, ':'))
            continue; /* numbers of qualifiers, SECONDS, TIMES */
        /* A comparison: path op value. */
        sx_copy(path, sizeof path, x.text);
        int neg = negate;
        negate = 0;
        t = sx_next(&x);
        if (t == SX_WORD && strcasecmp(x.text, "NOT") == 0) {
            neg = 1;
            t = sx_next(&x);
        }
        if (t != SX_WORD) {
            r->error = 1;
            return;
        }
        char op[16];
        sx_copy(op, sizeof op, x.text);
        t = sx_next(&x);
        if (t == SX_LP) {
            /* IN ('a', 'b'): skip the list. */
            while ((t = sx_next(&x)) != SX_RP)
                if (t == SX_END || t == SX_ERR) {
                    r->error = 1;
                    return;
                }
            t = SX_OTHER;
        }
        int type = -1, kind = sx_path(path, &type);
        int usable = t == SX_STR && !neg &&
                     (strcmp(op, "=") == 0 ||
                      (strcasecmp(op, "ISSUBSET") == 0 && type == IOC_IP && kind == SXK_ATOM));
        if (usable && kind == SXK_NT_TYPE)
            continue;
        if (usable && (kind == SXK_ATOM || kind == SXK_SERIAL)) {
            if (kind == SXK_SERIAL)
                r->nserial++;
            if (r->natoms < STIX_MAX_ATOMS) {
                atoms[r->natoms].type = type;
                sx_copy(atoms[r->natoms].value, sizeof atoms[r->natoms].value, x.text);
                r->natoms++;
            }
            continue;
        }
        if (!r->nunsup)
            snprintf(r->first_unsup, sizeof r->first_unsup, "%s%.60s %.15s", neg ? "NOT " : "",
                     path, op);
        r->nunsup++;
    }
    if (depth != 0)
        r->error = 1;
}

static void stix_indicator(struct imp *im, const struct json *j, int obj, const char *source,
                           struct sx_atom *atoms)
{
    size_t line = imp_line_of(im, j->nodes[obj].offset);
    const char *id = json_get_str(j, obj, "id");
    const char *ptype = json_get_str(j, obj, "pattern_type");
    size_t plen = 0;
    const char *pat = json_str(j, json_get(j, obj, "pattern"), &plen);
    if (!pat || (ptype && strcasecmp(ptype, "stix") != 0)) {
        im->rep->unsupported++;
        imp_problem(im, line, "indicator %s: %s pattern not supported", id ? id : "?",
                    ptype ? ptype : "no");
        return;
    }
    struct sx_result r;
    sx_scan(pat, plen, atoms, &r);
    if (r.error) {
        im->rep->unsupported++;
        imp_problem(im, line, "indicator %s: cannot parse its pattern", id ? id : "?");
        return;
    }
    /* A serial alone (or ORed serials) is the indicator; beside other comparisons it is not. */
    size_t other = r.natoms - r.nserial;
    int serial_ok = r.nserial && other == 0 && r.nunsup == 0;
    size_t usable = serial_ok ? r.natoms : other;
    if (r.nserial && !serial_ok)
        r.nunsup += r.nserial;
    if (usable == 0) {
        im->rep->unsupported++;
        imp_problem(im, line, "indicator %s: nothing konseki matches (%s)", id ? id : "?",
                    r.first_unsup[0] ? r.first_unsup : "certificate serial beside other terms");
        return;
    }
    if (r.nunsup || r.nqual) {
        im->rep->partial++;
        imp_problem(im, line, "indicator %s: imported %zu of its terms, left out %s%s",
                    id ? id : "?", usable, r.nunsup ? r.first_unsup : "",
                    r.nqual ? " (observation operators/qualifiers)" : "");
    }
    const char *name = json_get_str(j, obj, "name");
    struct imp_meta meta = {
        .source = source,
        .desc = name ? name : json_get_str(j, obj, "description"),
        .ref = id,
        .published_ns = imp_time(json_get_str(j, obj, "valid_from")),
        .valid_until_ns = imp_time(json_get_str(j, obj, "valid_until")),
    };
    if (!meta.published_ns)
        meta.published_ns = imp_time(json_get_str(j, obj, "created"));
    for (size_t i = 0; i < r.natoms && !im->stop; i++) {
        if (atoms[i].type == IOC_CERT_SERIAL && !serial_ok)
            continue;
        imp_value(im, atoms[i].type, atoms[i].value, strlen(atoms[i].value), &meta, line);
    }
}

/* Name of the identity an object was created by, when the bundle has it.  The last answer
 * is kept: bundles have one or a few creators, so this stays linear. */
static const char *stix_creator(const struct json *j, int objects, int obj, const char **last_ref,
                                const char **last_name)
{
    const char *ref = json_get_str(j, obj, "created_by_ref");
    if (!ref)
        return NULL;
    if (*last_ref && strcmp(*last_ref, ref) == 0)
        return *last_name;
    *last_ref = ref;
    *last_name = NULL;
    for (int o = json_child(j, objects); o >= 0; o = json_next(j, o)) {
        const char *id = json_get_str(j, o, "id");
        if (id && strcmp(id, ref) == 0)
            return *last_name = json_get_str(j, o, "name");
    }
    return NULL;
}

/* Indicators anywhere below node (for JSON that embeds STIX objects in other structures). */
static void stix_walk(struct imp *im, const struct json *j, int node, int depth,
                      struct sx_atom *atoms)
{
    if (depth > JSON_MAX_DEPTH || im->stop)
        return;
    int k = json_kind(j, node);
    if (k == JSON_OBJECT) {
        const char *type = json_get_str(j, node, "type");
        if (type && strcmp(type, "indicator") == 0 && json_get(j, node, "pattern") >= 0) {
            stix_indicator(im, j, node, NULL, atoms);
            return;
        }
    }
    if (k == JSON_OBJECT || k == JSON_ARRAY)
        for (int c = json_child(j, node); c >= 0; c = json_next(j, c))
            stix_walk(im, j, c, depth + 1, atoms);
}

int imp_stix(struct imp *im, const struct json *j, int root, int embedded)
{
    struct sx_atom *atoms = malloc(STIX_MAX_ATOMS * sizeof *atoms);
    if (!atoms)
        return KS_ENOMEM;
    if (embedded) {
        im->rep->format = "stix-embedded";
        stix_walk(im, j, root, 0, atoms);
        free(atoms);
        return 0;
    }
    int objects = json_get(j, root, "objects");
    /* 2.0 bundles say so; 2.1 puts spec_version on every object instead. */
    const char *spec = json_get_str(j, root, "spec_version");
    if (!spec)
        spec = json_get_str(j, json_child(j, objects), "spec_version");
    im->rep->format = spec && strcmp(spec, "2.1") == 0 ? "stix-2.1" : "stix-2.0";
    const char *last_ref = NULL, *last_name = NULL;
    for (int o = json_child(j, objects); o >= 0 && !im->stop; o = json_next(j, o)) {
        const char *type = json_get_str(j, o, "type");
        if (!type || strcmp(type, "indicator") != 0)
            continue;
        stix_indicator(im, j, o, stix_creator(j, objects, o, &last_ref, &last_name), atoms);
    }
    free(atoms);
    return 0;
}
