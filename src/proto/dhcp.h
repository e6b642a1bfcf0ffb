/* dhcp.h — the DHCP (BOOTP) parser, UDP 67/68. */
#ifndef KONSEKI_PROTO_DHCP_H
#define KONSEKI_PROTO_DHCP_H

#include "proto/proto.h"

extern const struct proto_parser proto_dhcp;

#endif
