/* ldap.h — LDAP v3 operations (ldap.c). */
#ifndef KONSEKI_PROTO_LDAP_H
#define KONSEKI_PROTO_LDAP_H

#include "proto/proto.h"

extern const struct proto_parser proto_ldap;

/* RFC 4511 §4.1.9 resultCode name ("invalidCredentials"), NULL when unknown. */
const char *ldap_result_name(int64_t code);

#endif
