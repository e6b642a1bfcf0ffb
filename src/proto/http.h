/*
 * http.h — HTTP/1.x over TCP (RFC 9110, RFC 9112).
 *
 * One "http" record per request/response pair; see http.c for the fields.
 */
#ifndef KONSEKI_PROTO_HTTP_H
#define KONSEKI_PROTO_HTTP_H

#include "proto/proto.h"

extern const struct proto_parser proto_http;

#endif
