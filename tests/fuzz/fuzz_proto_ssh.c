/* fuzz_proto_ssh.c — the ssh parser on hostile byte streams (layout: fuzz_proto.h). */
#include "fuzz_proto.h"
#include "proto/ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_proto_run(&proto_ssh, 22, data, size);
    return 0;
}
