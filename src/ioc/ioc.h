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

#endif
