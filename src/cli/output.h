/* output.h — sessions as a table, ECS JSON Lines or CSV (DESIGN §4). */
#ifndef KONSEKI_CLI_OUTPUT_H
#define KONSEKI_CLI_OUTPUT_H

#include "store/store.h"

#include <stdio.h>

enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV };

void out_header(FILE *f, int format);
void out_session(FILE *f, int format, const struct session_row *r);
/* "tcp", "udp", "icmp", "ipv6-icmp" or the number */
const char *out_proto_name(int proto, char *buf, size_t n);
/* JSON string with escaping (quotes included). */
void out_json_str(FILE *f, const char *s);

#endif
