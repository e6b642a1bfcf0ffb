/* dns.h — the DNS parser (UDP and TCP) and its name reader, which DHCP uses too. */
#ifndef KONSEKI_PROTO_DNS_H
#define KONSEKI_PROTO_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

extern const struct proto_parser proto_dns;

/*
 * Room for any name in presentation form: 255 wire bytes, each '.' or '\' inside a label
 * escaped with a backslash, plus the NUL.
 */
#define DNS_NAME_MAX 520

/*
 * Read the domain name at *off of msg[0..len) (RFC 1035 §3.1, §4.1.4) into out as text:
 * labels joined by '.', a '.' or '\' inside a label escaped as "\." / "\\", the root as ".".
 * Bytes are kept as they are (case too); the sink escapes what is not printable.
 *
 * Compression pointers must point below the start of the piece being read and at or above
 * min_ptr (12 inside a DNS message, the header's end; pass len to refuse pointers); so every
 * jump goes strictly backwards and a name cannot loop.  At most 128 jumps, 255 wire bytes,
 * labels of 1..63 bytes.  out needs DNS_NAME_MAX bytes.
 *
 * Returns the text length and moves *off past the name as stored at *off; or a negative
 * KS_* code with *why set to an anomaly name ("dns.name_loop" …) and *off unchanged.
 */
int dns_name_read(const uint8_t *msg, size_t len, size_t *off, size_t min_ptr,
                  char out[DNS_NAME_MAX], const char **why);

#endif
