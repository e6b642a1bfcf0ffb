/* fuzz_proto_rdp.c — the rdp parser on hostile byte streams (layout: fuzz_proto.h). */
#include "fuzz_proto.h"
#include "proto/rdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_proto_run(&proto_rdp, 3389, data, size);
    return 0;
}
