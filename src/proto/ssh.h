/* ssh.h — SSH banners and HASSH (ssh.c). */
#ifndef KONSEKI_PROTO_SSH_H
#define KONSEKI_PROTO_SSH_H

#include "proto/proto.h"

extern const struct proto_parser proto_ssh;

#endif
