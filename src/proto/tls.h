/*
 * tls.h — TLS record/handshake parser (RFC 5246, RFC 8446) with JA3/JA3S/JA4.
 *
 * proto_tls reads both directions of a TCP session: ClientHello, ServerHello and
 * the cleartext Certificate message (TLS <= 1.2), then stops once the peers
 * switch to encrypted records.  tls_client_hello_fields() is the ClientHello
 * part alone, for QUIC (RFC 9001: the ClientHello travels in CRYPTO frames).
 */
#ifndef KONSEKI_PROTO_TLS_H
#define KONSEKI_PROTO_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

extern const struct proto_parser proto_tls;

/* Parse one ClientHello handshake message (starting at the 4-byte handshake header) and write
   its tls.client.* fields (incl. ja3, ja4 with transport char `transport`: 't' or 'q') into
   the currently open record of o.  0, or -1 when it is not a well-formed ClientHello. */
int tls_client_hello_fields(struct proto_out *o, const uint8_t *msg, size_t n, char transport);

#endif
