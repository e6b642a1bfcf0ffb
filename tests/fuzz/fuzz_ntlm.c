/*
 * fuzz_ntlm.c — ntlmssp_fields(), ntlmssp_peek() and ntlm_utf16le() on hostile
 * blobs (raw NTLMSSP, SPNEGO-wrapped, anything).  The whole input is one blob,
 * given on an exact-size copy.
 */
#include "proto/ntlm.h"
#include "proto/proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 18))
        return 0;
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    struct proto_out o;
    proto_out_init(&o, 0);
    proto_begin(&o, "ntlm");
    int t = ntlmssp_fields(&o, p, size);
    proto_end(&o);
    struct ntlm_names nm;
    int u = ntlmssp_peek(p, size, &nm);
    if (t != u || t < -1 || t > 3 || t == 0)
        abort();
    if (u == 3 && (strlen(nm.user) >= sizeof(nm.user) || strlen(nm.domain) >= sizeof(nm.domain)))
        abort();
    char small[7];
    size_t k = ntlm_utf16le(small, sizeof(small), p, size);
    if (k >= sizeof(small) || small[k] != 0)
        abort();
    proto_out_release(&o);
    free(p);
    return 0;
}
