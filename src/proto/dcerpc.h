/*
 * dcerpc.h — connection-oriented DCE-RPC ([C706] ch. 12, [MS-RPCE]) over TCP
 * (proto_dcerpc) and over SMB named pipes (the dcerpc_conn_* calls, made by
 * the SMB parser with the bytes written to / read from a pipe).
 *
 * Each request/response pair (matched by call_id) becomes one "dcerpc" record;
 * each bind / alter_context becomes one "dcerpc.bind" record listing the
 * interfaces offered and whether the server accepted them.
 */
#ifndef KONSEKI_PROTO_DCERPC_H
#define KONSEKI_PROTO_DCERPC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

struct dcerpc_conn;

/*
 * pipe_name: the SMB named pipe ("svcctl"), or NULL for a TCP connection.
 * The name is copied.  Returns NULL when out of memory; free with dcerpc_conn_free.
 */
struct dcerpc_conn *dcerpc_conn_new(const char *pipe_name);
/* Bytes of one direction: dir 0 = client → server (requests, binds), 1 = server → client. */
void dcerpc_conn_data(struct dcerpc_conn *c, struct proto_out *o, int dir, const uint8_t *d,
                      size_t n);
/* The connection ended: write the calls still waiting for a response. */
void dcerpc_conn_end(struct dcerpc_conn *c, struct proto_out *o);
void dcerpc_conn_free(struct dcerpc_conn *c);

extern const struct proto_parser proto_dcerpc;

#endif
