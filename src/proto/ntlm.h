/*
 * ntlm.h — NTLMSSP messages ([MS-NLMP] §2.2) for the parsers that carry them
 * (SMB SESSION_SETUP, HTTP/SMTP/IMAP/LDAP NTLM authentication, DCE-RPC auth).
 */
#ifndef KONSEKI_PROTO_NTLM_H
#define KONSEKI_PROTO_NTLM_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

/*
 * Find an NTLMSSP message in blob (raw "NTLMSSP\0…", or wrapped in SPNEGO/GSS-API
 * NegTokenInit/NegTokenResp) and write its fields into the currently open record of o:
 *   NEGOTIATE (1):    nothing.
 *   CHALLENGE (2):    ntlm.server.nb_computer_name, ntlm.server.nb_domain_name,
 *                     ntlm.server.dns_computer_name, ntlm.server.dns_domain_name
 *                     (from the TargetInfo AV pairs), ntlm.server.version (OS version).
 *   AUTHENTICATE (3): ntlm.user, ntlm.domain, ntlm.workstation (UTF-16LE → UTF-8 when
 *                     the UNICODE flag is set, else OEM bytes), ntlm.version ("v1"/"v2"
 *                     by NT response length > 24; absent for anonymous).
 * Returns the message type (1, 2, 3) or -1.  Never stores hashes or responses.
 */
int ntlmssp_fields(struct proto_out *o, const uint8_t *blob, size_t n);

/* User and domain of an AUTHENTICATE message, for the carrier's own records. */
struct ntlm_names {
    char user[256], domain[256]; /* UTF-8 (or OEM bytes), NUL-terminated, may be cut */
};

/*
 * The message type of the NTLMSSP message in blob (found as above) without writing
 * anything: 1, 2, 3 or -1.  For AUTHENTICATE, nm (when not NULL) gets user and domain.
 */
int ntlmssp_peek(const uint8_t *blob, size_t n, struct ntlm_names *nm);

/*
 * UTF-16LE bytes s[0..n) to UTF-8 in dst (capacity cap, NUL-terminated, cut at a
 * character boundary when full).  Unpaired surrogates become U+FFFD; a trailing odd
 * byte is ignored.  Returns the UTF-8 length (without the NUL).  cap must be >= 1.
 */
size_t ntlm_utf16le(char *dst, size_t cap, const uint8_t *s, size_t n);

#endif
