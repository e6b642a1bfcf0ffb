/*
 * fuzz_x509.c — the DER reader and certificate field extractor on hostile bytes.
 *
 * The input is one DER certificate (exact-size heap copy).  A parse that succeeds
 * has its fields written into a record, its names turned into RFC 4514 strings in
 * buffers of several sizes, and every OID/string helper exercised on each TLV.
 */
#include "core/rdr.h"
#include "proto/proto.h"
#include "proto/x509.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk every TLV (recursively into constructed ones, bounded depth) through the helpers. */
static void walk(const uint8_t *p, size_t n, int depth)
{
    struct rdr r;
    struct der t;
    char s[256];
    rdr_init(&r, p, n);
    while (depth < 16 && rdr_left(&r) > 0 && der_get(&r, &t) == 0) {
        (void)der_oid_str(t.v, t.n, s, sizeof s);
        (void)der_str_utf8(&t, s, sizeof s);
        (void)der_str_utf8(&t, s, 3);
        if (t.cons)
            walk(t.v, t.n, depth + 1);
        if (t.raw_n == 0 || t.raw + t.raw_n > p + n)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    uint8_t *c = malloc(size ? size : 1);
    if (!c)
        return 0;
    memcpy(c, data, size);
    walk(c, size, 0);
    struct x509_cert x;
    if (x509_parse(&x, c, size) == 0) {
        char dn[64], big[4096];
        if (x509_name_str(&x.subject, dn, sizeof dn) >= sizeof dn)
            abort();
        (void)x509_name_str(&x.issuer, big, sizeof big);
        (void)x509_name_str(&x.issuer, dn, 1);
        struct proto_out o;
        proto_out_init(&o, 8);
        proto_begin(&o, "tls");
        x509_emit(&o, &x509_paths_server, &x);
        x509_emit(&o, &x509_paths_client, &x);
        proto_end(&o);
        proto_out_release(&o);
    }
    free(c);
    return 0;
}
