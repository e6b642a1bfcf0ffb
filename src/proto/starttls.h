/*
 * starttls.h — the line protocols that upgrade to TLS: SMTP, IMAP, POP3, FTP.
 *
 * Each records its greeting (and SMTP envelope, FTP user name) and hands the
 * session to "tls" once the server accepts STARTTLS / STLS / AUTH TLS.
 */
#ifndef KONSEKI_PROTO_STARTTLS_H
#define KONSEKI_PROTO_STARTTLS_H

#include "proto/proto.h"

extern const struct proto_parser proto_smtp, proto_imap, proto_pop3, proto_ftp;

#endif
