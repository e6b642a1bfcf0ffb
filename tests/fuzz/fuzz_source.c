/*
 * fuzz_source.c — any bytes as a capture file: open them from memory (plain,
 * gzip or zstd, pcap or pcapng) and read every packet.  Touches the first and
 * last byte of each packet so the sanitizers check that the data pointer and
 * caplen describe memory the source owns.
 */
#include "source/source.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct source *s;
    char msg[256];
    if (source_open_mem(&s, data, size, "fuzz", msg, sizeof msg) != 0)
        return 0;
    uint8_t id[32];
    source_identity(s, id);
    volatile unsigned sink = id[0];
    struct packet p;
    /* Decompression bombs are linear work, but keep each input quick. */
    for (unsigned n = 0; n < 200000 && source_next(s, &p) == 1; n++) {
        if (p.caplen)
            sink += p.data[0] + p.data[p.caplen - 1];
        sink += (unsigned)p.ts_ns + p.linktype + p.wirelen;
    }
    sink += (unsigned)strlen(source_error(s)) + (unsigned)source_bytes_read(s);
    (void)sink;
    source_close(s);
    return 0;
}
