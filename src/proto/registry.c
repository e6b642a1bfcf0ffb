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
#include "proto/http.h"
#include "proto/krb.h"
#include "proto/ldap.h"
#include "proto/ntp.h"
#include "proto/quic.h"
#include "proto/rdp.h"
#include "proto/smb.h"
#include "proto/ssh.h"
#include "proto/starttls.h"
#include "proto/tls.h"

#include <stddef.h>

const struct proto_parser *const proto_registry[] = {
    &proto_tls,  &proto_http, &proto_ssh,      &proto_smb,  &proto_dcerpc, &proto_rdp,
    &proto_ldap, &proto_dns,  &proto_kerberos, &proto_quic, &proto_dhcp,   &proto_ntp,
    &proto_smtp, &proto_imap, &proto_pop3,     &proto_ftp,  NULL,
};
