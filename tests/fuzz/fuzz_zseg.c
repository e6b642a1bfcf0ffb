/*
 * fuzz_zseg.c — any bytes as a compressed packet segment (store/zseg.h).
 *
 * Input byte 0 picks where the frame table comes from:
 *   even  the rest is a segment file; its seek table is at its end (sealed)
 *   odd   bytes 1-2 (LE) are the length L of a catalog frame table that
 *         follows, the rest is the file (a segment still being written)
 * Then the harness walks the plain stream the way extraction does: the pcap
 * header, then record headers and packet bytes, reading each through
 * zseg_read, plus a few scattered reads.  Work is bounded: at most 64 frame
 * decompressions per input (each at most ZSEG_FRAME_MAX plain bytes).
 */
#include "core/err.h"
#include "store/zseg.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t ld32(const uint8_t *b)
{
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct zseg_mem m = {data + 1, size - 1};
    const uint8_t *table = NULL;
    size_t tlen = 0;
    if (data[0] & 1) {
        if (size < 3)
            return 0;
        tlen = data[1] | (size_t)data[2] << 8;
        if (tlen > size - 3)
            tlen = size - 3;
        table = data + 3;
        m.p = data + 3 + tlen;
        m.n = size - 3 - tlen;
    }
    struct zseg_reader r;
    zseg_reader_init(&r, zseg_mem_pread, &m);
    int rc =
        table ? zseg_table_parse(&r.t, table, tlen, ZSEG_ENTRY) : zseg_reader_load_footer(&r, m.n);
    volatile unsigned sink = (unsigned)strlen(r.err);
    if (rc == 0) {
        static uint8_t pkt[(256u << 10) + 16];
        uint8_t h[24];
        uint64_t off = 0;
        if (zseg_read(&r, h, sizeof h, 0) == 0) {
            off = sizeof h;
            while (r.frames_read < 64 && zseg_read(&r, h, 16, off) == 0) {
                uint32_t caplen = ld32(h + 8);
                if (caplen > sizeof pkt || zseg_read(&r, pkt, caplen, off + 16) != 0)
                    break;
                sink += caplen ? pkt[0] + pkt[caplen - 1] : 0;
                off += 16 + (uint64_t)caplen;
            }
        }
        /* Scattered reads: the last byte, one past the end, each frame's first byte. */
        if (r.t.plain_end && r.frames_read < 64)
            sink += (unsigned)zseg_read(&r, h, 1, r.t.plain_end - 1);
        sink += (unsigned)zseg_read(&r, h, 1, r.t.plain_end);
        for (uint32_t i = 0; i < r.t.n && r.frames_read < 64; i++)
            sink += (unsigned)zseg_read(&r, h, 1, r.t.f[i].plain_off);
        sink += (unsigned)strlen(r.err);
    }
    (void)sink;
    zseg_reader_release(&r);
    return 0;
}
