/* rdp.h — RDP connection negotiation (rdp.c). */
#ifndef KONSEKI_PROTO_RDP_H
#define KONSEKI_PROTO_RDP_H

#include "proto/proto.h"

extern const struct proto_parser proto_rdp;

#endif
