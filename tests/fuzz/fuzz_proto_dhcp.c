/* fuzz_proto_dhcp.c — the DHCP parser, one datagram per record (feed_dns_dhcp_ntp.h). */
#include "proto/dhcp.h"

#include "feed_dns_dhcp_ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t ports[4] = {67, 68, 6767, 67};
    feed_run(&proto_dhcp, ports, data, size);
    return 0;
}
