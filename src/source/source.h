/*
 * source.h — where packets come from.
 *
 * A source yields packets one at a time with ns timestamps, their link type and
 * where in the input they came from.  Implementations: capture files (pcap in
 * both byte orders and µs/ns resolution, pcapng with many interfaces and link
 * types; plain, gzip or zstd, detected from the bytes; "-" is stdin) and, later,
 * live interfaces.  The pipeline sees no difference.
 *
 * Damage never loses what came before it: source_next() returns every good
 * packet, then KS_ETRUNC/KS_ECORRUPT with source_error() naming file, byte
 * offset and packet number.
 */
#ifndef KONSEKI_SOURCE_SOURCE_H
#define KONSEKI_SOURCE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* Largest packet record accepted (libpcap's and wiretap's limit for most link types). */
#define SRC_MAX_CAPLEN (256u * 1024u)
/* Bytes of the decompressed stream hashed into the file identity. */
#define SRC_IDENTITY_BYTES (1u << 20)

/* LINKTYPE_* values (tcpdump.org/linktypes.html) that the decoder knows. */
enum {
    LT_NULL = 0, /* BSD loopback: 4-byte host-order AF */
    LT_ETHERNET = 1,
    LT_RAW = 101,  /* raw IPv4/IPv6 (DLT_RAW on most systems; 12/14 on some BSDs) */
    LT_LOOP = 108, /* OpenBSD loopback: 4-byte network-order AF */
    LT_LINUX_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NFLOG = 239,
    LT_LINUX_SLL2 = 276
};

struct packet {
    int64_t ts_ns;       /* nanoseconds since the epoch */
    uint32_t linktype;   /* LT_* (any value may appear; the decoder counts unknown ones) */
    uint32_t caplen;     /* bytes in data */
    uint32_t wirelen;    /* original length on the wire (>= caplen in good files) */
    uint32_t ifindex;    /* pcapng interface id, 0 for pcap */
    const uint8_t *data; /* owned by the source; valid until the next source_next() */
    uint64_t offset;     /* byte offset of the packet's record in the (decompressed) input */
    uint64_t number;     /* 1-based packet number in this input */
    int stable;          /* data stays valid until source_close(), not just the next call */
};

struct source;

/*
 * Open a capture file ("-" = standard input).  Format and compression come from
 * the content.  On failure returns KS_EIO (cannot open/read) or KS_EFORMAT (not a
 * capture: msg says what it starts with) and writes one line into msg.
 */
int source_open_file(struct source **out, const char *path, char *msg, size_t msglen);
/*
 * The same over a capture held in memory (tests, fuzzing); name is used in messages.
 * data is not copied: it must stay valid and unchanged until source_close().
 */
int source_open_mem(struct source **out, const uint8_t *data, size_t len, const char *name,
                    char *msg, size_t msglen);
/* 1 = *pkt filled, 0 = clean end of input, <0 = KS_ETRUNC / KS_ECORRUPT / KS_EIO (see
 * source_error). */
int source_next(struct source *s, struct packet *pkt);
/* "FILE: offset N, packet M: what is wrong" for the last error, "" if none. */
const char *source_error(const struct source *s);
/* "pcap", "pcap-ns", "pcapng" */
const char *source_format(const struct source *s);
/* "none", "gzip", "zstd" */
const char *source_compression(const struct source *s);
/* Bytes read from the underlying file so far (compressed bytes for .gz/.zst): for progress. */
uint64_t source_bytes_read(const struct source *s);
/* Size of the underlying file, or -1 when unknown (stdin, pipes). */
int64_t source_file_size(const struct source *s);
/*
 * SHA-256 of the first SRC_IDENTITY_BYTES of the decompressed stream (or all of it
 * if shorter) followed by that byte count as 8 bytes big-endian.  Identifies a
 * capture independently of its name and compression; a truncated copy of a file
 * that still holds its first MiB has the same identity (ingest resumes it).
 * Available right after open (the source reads ahead).
 */
void source_identity(const struct source *s, uint8_t out[32]);
void source_close(struct source *s);

#endif
