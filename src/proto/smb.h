/*
 * smb.h — SMB2/3 over TCP 445 / NetBIOS 139 ([MS-SMB2]), SMB1 detection ([MS-CIFS]).
 *
 * Records (type "smb"): one per tree connect, one per opened file (written at
 * CLOSE or when the session ends), one per SMB1 negotiation and one when the
 * session turns encrypted.  NTLM authentications become "ntlm" records; named
 * pipe traffic is handed to the DCE-RPC module (proto/dcerpc.h).
 */
#ifndef KONSEKI_PROTO_SMB_H
#define KONSEKI_PROTO_SMB_H

#include <stdint.h>

#include "proto/proto.h"

extern const struct proto_parser proto_smb;

/* "STATUS_ACCESS_DENIED" for a known NTSTATUS, else NULL ([MS-ERREF] §2.3.1). */
const char *smb_status_name(uint32_t status);

#endif
