/*
 * tlsweb.h — what the TLS and web hunts share (rare-tls, cert, http-client, cloud-exfil):
 * record-path lookups in a day file, host-name matching, user-agent and URI classes, known
 * default certificates of attack tools.  The pure functions here are unit-tested
 * (tests/unit/test_hunt_tlsweb.c); explanations use netlib.h's hnet_text/hnet_fmt_time.
 */
#ifndef KONSEKI_HUNT_TLSWEB_H
#define KONSEKI_HUNT_TLSWEB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Does a certificate name (a SAN dNSName or the CN) cover host?  RFC 6125 §6.4.3: exact
 * (case-insensitive, a trailing dot ignored), or a wildcard "*." as the whole left-most label,
 * which stands for exactly one label ("*.example.com" covers "a.example.com", neither
 * "example.com" nor "a.b.example.com").
 */
int tw_name_covers(const char *pattern, const char *host);

/* A textual IPv4/IPv6 address into konseki's 16-byte form (IPv4 as ::ffff:a.b.c.d); 0 or -1. */
int tw_ip16(const char *s, uint8_t out[16]);

/* ---------------------------------------------------------------- user agents */

enum tw_ua_class {
    TW_UA_OTHER,      /* nothing known: only rarity speaks for it */
    TW_UA_BROWSER,    /* an interactive browser */
    TW_UA_BENIGN,     /* an OS/updater agent that every host runs (Delivery Optimization …) */
    TW_UA_EMPTY,      /* no User-Agent header, or an empty one */
    TW_UA_POWERSHELL, /* Windows PowerShell (Invoke-WebRequest / Invoke-RestMethod), pwsh */
    TW_UA_BITS,       /* Background Intelligent Transfer Service (bitsadmin, Start-BitsTransfer) */
    TW_UA_CERTUTIL,   /* Microsoft-CryptoAPI: CRL/OCSP fetching, and certutil -urlcache */
    TW_UA_TOOL,       /* curl, wget, python, Go, perl, Java, Nim … scripted clients */
    TW_UA_RCLONE,     /* rclone: cloud-sync tool favoured for exfiltration */
};

struct tw_ua_info {
    enum tw_ua_class cls;
    const char *name;   /* "PowerShell", "curl" … ("" for OTHER/BROWSER) */
    double base;        /* score before rarity and destination */
    const char *attack; /* the technique it points to, "" for none */
};

/* Classify a User-Agent value (NULL or "" = empty). */
struct tw_ua_info tw_ua_classify(const char *ua);

/* Is a URI one Windows' CryptoAPI fetches for revocation/chain building: a .crl, .cer, .crt,
   .p7c or .p7b file, or an OCSP request (path with "ocsp", or a base64 GET under /)? */
int tw_uri_is_pki(const char *uri);
/* Is host a revocation/PKI server: a label starting with "ocsp" or "crl" (crl3.digicert.com,
   ocsp.pki.goog), or a name under pki.goog or windowsupdate.com (certificate trust lists)? */
int tw_host_is_pki(const char *host);
/* Does a URI name a file worth fetching with a script: .ps1 .psm1 .exe .dll .scr .hta .bat
   .cmd .vbs .js .jse .wsf .sct .msi .jar .bin .zip .7z .rar .iso (before any query)? */
int tw_uri_is_payload(const char *uri);

/* ---------------------------------------------------------------- certificates */

/* What identifies a certificate for tw_cert_default(); missing values are "". */
struct tw_cert_names {
    const char *serial;  /* lowercase hex, as konseki stores it */
    const char *sha1;    /* lowercase hex of the DER */
    const char *subject; /* RFC 4514 DN, as konseki stores it ("CN=…,O=…,C=…") */
    const char *issuer;
    int self_signed;
};

/*
 * A known default certificate of an attack or C2 tool: its name (and *score, 1.0 for an exact
 * default, less for a pattern), or NULL.  The table and where each value comes from is in
 * tlsweb.c.
 */
const char *tw_cert_default(const struct tw_cert_names *c, double *score);

/* The first value of attribute `attr` ("CN", "O", "OU" …) of an RFC 4514 DN into dst (escapes
   removed); 0 when found, -1 when absent. */
int tw_dn_attr(const char *dn, const char *attr, char *dst, size_t n);

/* "2024-03-06T08:00:00Z" (the x509 fields' form) to ns; 0 when not such a time. */
int64_t tw_parse_utc(const char *s);

#endif
