/* fuzz_proto_ldap.c — the ldap parser on hostile byte streams (layout: fuzz_proto.h). */
#include "fuzz_proto.h"
#include "proto/ldap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_proto_run(&proto_ldap, 389, data, size);
    return 0;
}
