/* krb.h — Kerberos V5 KDC exchanges (krb.c). */
#ifndef KONSEKI_PROTO_KRB_H
#define KONSEKI_PROTO_KRB_H

#include "proto/proto.h"

extern const struct proto_parser proto_kerberos;

/* Names of encryption types ("aes256-cts-hmac-sha1-96") and error codes
 * ("KDC_ERR_PREAUTH_REQUIRED"); NULL when unknown. */
const char *krb_etype_name(int64_t etype);
const char *krb_error_name(int64_t code);

#endif
