/* fuzz_proto_dns.c — the DNS parser over UDP datagrams or TCP pieces (feed_dns_dhcp_ntp.h). */
#include "proto/dns.h"

#include "feed_dns_dhcp_ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t ports[4] = {53, 5353, 5355, 8053};
    feed_run(&proto_dns, ports, data, size);
    return 0;
}
