/* fuzz_proto_ntp.c — the NTP parser, one datagram per record (feed_dns_dhcp_ntp.h). */
#include "proto/ntp.h"

#include "feed_dns_dhcp_ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t ports[4] = {123, 123, 123, 4123};
    feed_run(&proto_ntp, ports, data, size);
    return 0;
}
