/*
 * konseki pcap [--store DIR] [--since T] [--until T] -w OUT 'EXPR'
 *
 * Writes the packets of every matching session, byte-identical to what was
 * captured, in time order.  Reads only those packets: the session rows say
 * where each one is.  One link type gives a classic pcap (microsecond
 * resolution when every timestamp allows it, else nanosecond); several link
 * types give a pcapng with one interface per link type.
 */
#include "cli/cli.h"

#include "core/err.h"
#include "core/pos.h"
#include "core/rdr.h"
#include "query/query.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAX_LINKTYPES 64

struct pkt_ent {
    int64_t ts;
    uint64_t pos;
    uint32_t linktype;
};

struct collect {
    uint64_t *pos;
    size_t n, cap;
    uint64_t sessions;
    int err;
};

static int on_row(void *ctx, const struct session_row *r)
{
    struct collect *c = ctx;
    struct pos_iter it;
    uint64_t p;
    int k;
    c->sessions++;
    pos_iter_init(&it, r->pos, r->pos_len);
    while ((k = pos_next(&it, &p)) == 1) {
        if (c->n == c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 4096;
            uint64_t *np = realloc(c->pos, ncap * sizeof *np);
            if (!np) {
                c->err = KS_ENOMEM;
                return 1;
            }
            c->pos = np;
            c->cap = ncap;
        }
        c->pos[c->n++] = p;
    }
    if (k < 0) {
        cli_err("pcap: session %016llx has a damaged position list", (unsigned long long)r->id);
        c->err = KS_ECORRUPT;
        return 1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_ent(const void *a, const void *b)
{
    const struct pkt_ent *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void put32(FILE *f, uint32_t v)
{
    uint8_t b[4];
    st_u32le(b, v);
    fwrite(b, 1, 4, f);
}

static void put16(FILE *f, uint16_t v)
{
    uint8_t b[2];
    st_u16le(b, v);
    fwrite(b, 1, 2, f);
}

static void pcapng_shb(FILE *f)
{
    put32(f, 0x0a0d0d0a);
    put32(f, 28);
    put32(f, 0x1a2b3c4d);
    put16(f, 1);
    put16(f, 0);
    put32(f, 0xffffffff); /* section length unknown */
    put32(f, 0xffffffff);
    put32(f, 28);
}

static void pcapng_idb(FILE *f, uint32_t linktype)
{
    /* IDB with if_tsresol = 9 (nanoseconds) and opt_endofopt. */
    put32(f, 1);
    put32(f, 32);
    put16(f, (uint16_t)linktype);
    put16(f, 0);
    put32(f, 262144);
    put16(f, 9); /* if_tsresol */
    put16(f, 1);
    uint8_t opt[4] = {9, 0, 0, 0};
    fwrite(opt, 1, 4, f);
    put32(f, 0); /* opt_endofopt */
    put32(f, 32);
}

static void usage(FILE *f)
{
    fputs("usage: konseki pcap [--store DIR] [--since T] [--until T] -w OUT.pcap 'EXPR'\n"
          "  writes the packets of the sessions EXPR matches, in time order (-w - = stdout)\n",
          f);
}

int cmd_pcap(int argc, char **argv)
{
    const char *store_opt = NULL, *since = NULL, *until = NULL, *out = NULL;
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'a'},
        {"until", required_argument, NULL, 'b'}, {"write", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'a':
            since = optarg;
            break;
        case 'b':
            until = optarg;
            break;
        case 'w':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USER;
        }
    }
    if (!out || argc - optind > 1) {
        usage(stderr);
        return EXIT_USER;
    }
    struct store_query q = {.want_pos = 1, .sort = SORT_TIME};
    struct query *expr;
    if (cli_prepare_search(since, until, optind < argc ? argv[optind] : "", &q, &expr))
        return EXIT_USER;
    struct store *st;
    int code = cli_open_store_readonly(store_opt, &st);
    if (code) {
        query_free(expr);
        return code;
    }
    struct collect col = {0};
    struct pkt_ent *ents = NULL;
    struct buf data;
    buf_init(&data, SRC_MAX_CAPLEN + 64);
    FILE *f = NULL;

    int rc = store_query_run(st, &q, on_row, &col, NULL);
    if (rc || col.err) {
        if (rc)
            cli_err("pcap: %s", store_errmsg(st));
        code = cli_exit_for(rc ? rc : col.err);
        goto done;
    }
    /* Pieces of one session never share a packet, but be safe: positions are unique. */
    if (col.n)
        qsort(col.pos, col.n, sizeof *col.pos, cmp_u64);
    size_t n = 0;
    for (size_t i = 0; i < col.n; i++)
        if (!n || col.pos[i] != col.pos[n - 1])
            col.pos[n++] = col.pos[i];
    ents = malloc((n ? n : 1) * sizeof *ents);
    if (!ents) {
        cli_err("pcap: out of memory for %zu packets", n);
        code = EXIT_INTERNAL;
        goto done;
    }
    uint32_t lts[PCAP_MAX_LINKTYPES];
    size_t nlts = 0;
    int all_usec = 1;
    for (size_t i = 0; i < n; i++) {
        ents[i].pos = col.pos[i];
        if ((rc = store_pkt_stat(st, col.pos[i], &ents[i].ts, &ents[i].linktype))) {
            cli_err("pcap: %s", store_errmsg(st));
            code = EXIT_INTERNAL;
            goto done;
        }
        if (ents[i].ts % 1000)
            all_usec = 0;
        size_t k = 0;
        while (k < nlts && lts[k] != ents[i].linktype)
            k++;
        if (k == nlts && nlts < PCAP_MAX_LINKTYPES)
            lts[nlts++] = ents[i].linktype;
    }
    if (n)
        qsort(ents, n, sizeof *ents, cmp_ent);

    f = strcmp(out, "-") ? fopen(out, "wb") : stdout;
    if (!f) {
        cli_err("pcap: cannot write %s: %s", out, strerror(errno));
        code = EXIT_USER;
        goto done;
    }
    int ng = nlts > 1;
    if (ng) {
        pcapng_shb(f);
        for (size_t k = 0; k < nlts; k++)
            pcapng_idb(f, lts[k]);
    } else {
        put32(f, all_usec ? 0xa1b2c3d4 : 0xa1b23c4d);
        put16(f, 2);
        put16(f, 4);
        put32(f, 0);
        put32(f, 0);
        put32(f, SRC_MAX_CAPLEN);
        put32(f, nlts ? lts[0] : 1);
    }
    for (size_t i = 0; i < n; i++) {
        struct packet pkt;
        if ((rc = store_pkt_read(st, ents[i].pos, &pkt, &data))) {
            cli_err("pcap: %s", store_errmsg(st));
            code = EXIT_INTERNAL;
            goto done;
        }
        if (ng) {
            uint32_t iface = 0;
            while (iface < nlts && lts[iface] != pkt.linktype)
                iface++;
            uint32_t pad = (4 - pkt.caplen % 4) % 4, blen = 32 + pkt.caplen + pad;
            uint64_t ts = (uint64_t)pkt.ts_ns;
            put32(f, 6);
            put32(f, blen);
            put32(f, iface);
            put32(f, (uint32_t)(ts >> 32));
            put32(f, (uint32_t)ts);
            put32(f, pkt.caplen);
            put32(f, pkt.wirelen);
            fwrite(pkt.data, 1, pkt.caplen, f);
            static const uint8_t zeros[4];
            fwrite(zeros, 1, pad, f);
            put32(f, blen);
        } else {
            int64_t sec = pkt.ts_ns / 1000000000, frac = pkt.ts_ns % 1000000000;
            put32(f, (uint32_t)sec);
            put32(f, (uint32_t)(all_usec ? frac / 1000 : frac));
            put32(f, pkt.caplen);
            put32(f, pkt.wirelen);
            fwrite(pkt.data, 1, pkt.caplen, f);
        }
    }
    if (fflush(f) != 0 || ferror(f)) {
        cli_err("pcap: writing %s: %s", out, strerror(errno));
        code = EXIT_INTERNAL;
        goto done;
    }
    fprintf(stderr, "konseki: wrote %zu packets of %llu sessions to %s", n,
            (unsigned long long)col.sessions, out);
    /* Compressed segments: how many frames extraction had to decompress. */
    if (store_frames_read(st))
        fprintf(stderr, " (%llu compressed frames read)",
                (unsigned long long)store_frames_read(st));
    fputc('\n', stderr);
done:
    if (f && f != stdout)
        fclose(f);
    free(ents);
    free(col.pos);
    buf_release(&data);
    store_close(st);
    query_free(expr);
    return code;
}
