/*
 * fuzz_proto_starttls.c — the SMTP, IMAP, POP3 and FTP line parsers on hostile bytes.
 *
 * Input layout: byte 0 picks the parser (low 2 bits: smtp, imap, pop3, ftp); the
 * rest is a sequence of | ctl 1 | length 2 (big-endian) | bytes | chunks, ctl bit 0
 * the direction.  Each chunk goes to the parser as an exact-size heap copy; probes
 * run on every chunk as well.
 */
#include "fuzz_chunks.h"
#include "proto/proto.h"
#include "proto/starttls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct proto_parser *const ps[] = {&proto_smtp, &proto_imap, &proto_pop3,
                                                    &proto_ftp};
    if (size < 1 || size > (1u << 20))
        return 0;
    const struct proto_parser *p = ps[data[0] & 3];
    struct proto_out o;
    proto_out_init(&o, 64);
    void *st = calloc(1, p->state_size);
    struct proto_ctx ctx = {4, 6, NULL, NULL, 50000, 25, 0};
    int done = 0;
    size_t off = 1, n;
    uint8_t ctl, *c;
    while (!done && fuzz_chunk(data, size, &off, 0, &ctl, &c, &n) == 0) {
        int v = p->probe(&ctx, ctl & 1, c, n);
        if (v < PROTO_NO || v > PROTO_CONTENT)
            abort();
        done = p->data(st, &o, &ctx, ctl & 1, c, n);
        free(c);
    }
    if (done && (!o.switch_to || strcmp(o.switch_to, "tls") != 0))
        abort();
    if (!done && p->end)
        p->end(st, &o, &ctx);
    if (p->release)
        p->release(st);
    free(st);
    proto_out_release(&o);
    return 0;
}
