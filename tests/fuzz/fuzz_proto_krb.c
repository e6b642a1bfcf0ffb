/* fuzz_proto_krb.c — the krb parser on hostile byte streams (layout: fuzz_proto.h). */
#include "fuzz_proto.h"
#include "proto/krb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_proto_run(&proto_kerberos, 88, data, size);
    return 0;
}
