/*
 * ioc.h — indicators of compromise: what an importer produces and what matching consumes.
 *
 * Importers (ioc/import_*.c) read feed files in any supported format and emit normalised
 * indicators; the IOC store and matcher (ioc/store.c, ioc/match.c) keep them and sweep stored
 * sessions and their protocol records for them.  Values are canonical text, so equality of
 * text is equality of indicators:
 *
 *   IOC_IP      "192.0.2.1", "2001:db8::1" (inet_ntop form)
 *   IOC_CIDR    "192.0.2.0/24", "2001:db8::/32" (network address, prefix length)
 *   IOC_DOMAIN  lowercase, no trailing dot, IDN as punycode ("xn--…"); matches itself and
 * subdomains IOC_URL     scheme://host[:port]/path?query with lowercase scheme and host, default
 * port dropped IOC_UA      an HTTP User-Agent, exact IOC_JA3, IOC_JA3S, IOC_MD5, IOC_SHA1,
 * IOC_SHA256, IOC_CERT_SHA1, IOC_CERT_SHA256: lowercase hex IOC_JA4     as written by FoxIO
 * ("t13d1516h2_8daaf6152771_b186095e22b6"), lowercase IOC_CERT_SERIAL  lowercase hex without
 * leading zero bytes or colons IOC_EMAIL   lowercase
 */
#ifndef KONSEKI_IOC_IOC_H
#define KONSEKI_IOC_IOC_H

#include <stddef.h>
#include <stdint.h>

enum ioc_type {
    IOC_IP,
    IOC_CIDR,
    IOC_DOMAIN,
    IOC_URL,
    IOC_UA,
    IOC_JA3,
    IOC_JA3S,
    IOC_JA4,
    IOC_CERT_SHA1,
    IOC_CERT_SHA256,
    IOC_CERT_SERIAL,
    IOC_MD5,
    IOC_SHA1,
    IOC_SHA256,
    IOC_EMAIL,
    IOC__COUNT
};

/* "ip", "cidr", "domain", "url", "ua", "ja3", "ja3s", "ja4", "cert-sha1", "cert-sha256",
 * "cert-serial", "md5", "sha1", "sha256", "email"; NULL for an unknown type. */
const char *ioc_type_name(int type);
/* The reverse (also accepts common spellings: "ipv4", "ip-dst", "domain-name", "hostname" …);
 * -1 when unknown. */
int ioc_type_parse(const char *name);

/* One indicator as an importer emits it (strings owned by the importer, valid during the call). */
struct ioc {
    int type;               /* enum ioc_type */
    const char *value;      /* canonical text (above) */
    const char *source;     /* feed name: --source, else what the file says, else its file name */
    int64_t published_ns;   /* when the feed says it was published / first seen; 0 = unknown */
    int64_t valid_until_ns; /* end of its life for new traffic; 0 = none */
    const char *desc;       /* threat name / tags / comment, may be NULL */
    const char *ref;        /* the feed's id for it (STIX id, MISP uuid …), may be NULL */
};

/* ------------------------------------------------------------------------------------------
 * Importers (ioc/import*.c, ioc/normalize.c).  Added by the importer half of issue #5; the
 * declarations above are shared and unchanged.
 * ------------------------------------------------------------------------------------------ */

#define IOC_VALUE_MAX 2048     /* longest canonical value (a longer one is invalid) */
#define IOC_REPORT_PROBLEMS 20 /* problems kept in a report (all are counted) */
#define IOC_PROBLEM_LEN 192

struct ioc_import_opts {
    const char *source; /* --source; NULL = what the file says, else its file name */
    int forced_type;    /* --type for formats that do not say (plain lists, Suricata,
                         * CSV without a type column); -1 = infer per value */
    int64_t expires_ns; /* --expires: valid_until for indicators without an earlier one; 0 = none */
};

struct ioc_import_report {
    const char *format; /* static name of the detected format ("stix-2.1", "misp-json" …) */
    /* Valid, supported values by type, repeats included: the counts a feed's documentation
     * states.  indicators = what was emitted = sum(by_type) - duplicates. */
    uint64_t by_type[IOC__COUNT];
    uint64_t indicators;
    uint64_t invalid;     /* values that are not what their type says (reported with line) */
    uint64_t unsupported; /* rows/attributes/STIX indicators with nothing konseki can match */
    uint64_t duplicates;  /* repeats of (type, value, source) in this input: emitted once */
    uint64_t partial;     /* STIX indicators imported with some comparisons left out */
    uint64_t skipped;     /* MISP attributes with to_ids false (context, not for detection) */
    uint64_t nproblems;   /* all problems; the first IOC_REPORT_PROBLEMS are kept below */
    char problems[IOC_REPORT_PROBLEMS][IOC_PROBLEM_LEN]; /* "file:line: why" */
};

/* Called once per indicator; a non-zero return stops the import and is returned. */
typedef int (*ioc_emit_fn)(void *ctx, const struct ioc *ioc);

/*
 * Import one feed held in memory.  The format is detected from the content (file_name is used
 * only in messages and as the fallback source).  rep is cleared first.  Returns 0 (even when
 * some lines were invalid: see rep), KS_EFORMAT when the content is no supported format or
 * its JSON is malformed (rep->problems says where), KS_ENOMEM, or the emitter's non-zero value.
 */
int ioc_import_buf(const uint8_t *data, size_t len, const char *file_name,
                   const struct ioc_import_opts *o, ioc_emit_fn emit, void *ctx,
                   struct ioc_import_report *rep);

/*
 * Canonical text of a value of the given type (the forms listed at the top of this file):
 * whitespace trimmed, defanged notation undone (hxxp, [.], (dot), [:], [at] …), case folded,
 * IDN labels to punycode, URLs with lowercase scheme and host and no default port.  Usable
 * by the matcher on observed values.  0, or -1 when in[0..n) is not a valid value of type.
 */
int ioc_normalize(int type, const char *in, size_t n, char *out, size_t cap);
/* The type a bare value has (IP, CIDR, URL, e-mail, domain, MD5/SHA-1/SHA-256 by hex
 * length, JA4), or -1 when it is not recognisably an indicator. */
int ioc_infer_type(const char *value, size_t n);

#endif
