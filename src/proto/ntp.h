/* ntp.h — the NTP parser, UDP 123 (modes 1..5, control 6, private 7). */
#ifndef KONSEKI_PROTO_NTP_H
#define KONSEKI_PROTO_NTP_H

#include "proto/proto.h"

extern const struct proto_parser proto_ntp;

#endif
