/*
 * registry.c — every application-protocol parser konseki has, in probe order.
 *
 * Order matters only for ties: when two parsers claim a session with the same
 * verdict, the earlier one wins.  Parsers whose probes recognise content come
 * first; the ones that mostly go by port come last.
 */
#include "proto/dcerpc.h"
#include "proto/dhcp.h"
#include "proto/dns.h"
#include "proto/engine.h"
#include "proto/ntp.h"
#include "proto/smb.h"

#include <stddef.h>

const struct proto_parser *const proto_registry[] = {
    &proto_dns, &proto_dhcp, &proto_ntp, &proto_smb, &proto_dcerpc, NULL,
};
