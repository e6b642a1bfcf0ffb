/*
 * proto.h — application-protocol parsers and the records they write.
 *
 * A parser sees one session's application bytes: for TCP, each direction's
 * bytes in order (reassembled; a gap is announced with ->gap), for UDP one
 * datagram per ->data call.  Direction 0 is client → server (the session's
 * initiator), 1 is server → client.  A parser never sees packets or headers.
 *
 * What a parser finds it writes as records through a struct proto_out:
 *
 *     proto_begin(o, "dns");
 *     proto_int(o, "dns.id", 4660);
 *     proto_cstr(o, "dns.question.name", "example.com");
 *     proto_item_begin(o, "dns.answers");         one element of an array of objects
 *     proto_cstr(o, "dns.answers.name", "example.com");
 *     proto_cstr(o, "dns.answers.data", "93.184.216.34");
 *     proto_item_end(o);
 *     proto_end(o);
 *
 * Field names are full ECS-style dotted paths (lowercase, '_' inside words).
 * A name written twice at the same place becomes an array of values.  Inside
 * proto_item_begin(o, P) every name must start with "P.".  Records may nest
 * (proto_begin while another is open starts a separate record, e.g. DCE-RPC
 * inside SMB); each is finished on its own by proto_end.
 *
 * Every value is also indexed under its full path so queries can find the
 * session by it (`dns.question.name == example.com`).  The sink caps what one
 * record and one session may hold; past a cap values are dropped and counted
 * as the anomaly "proto.record_too_big" / "proto.too_many_records".
 *
 * Parsers own their state's memory and bound it (core/buf.h caps); they must
 * accept any bytes, count what is odd with proto_anomaly(), and never crash.
 */
#ifndef KONSEKI_PROTO_PROTO_H
#define KONSEKI_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum proto_dir { PROTO_DIR_CLIENT = 0, PROTO_DIR_SERVER = 1 };

/* What a parser knows of its session.  Addresses are 16 bytes; IPv4 sits in the first 4. */
struct proto_ctx {
    uint8_t ipver, l4; /* 4 or 6; 6 = TCP, 17 = UDP */
    const uint8_t *cli_addr, *srv_addr;
    uint16_t cli_port, srv_port;
    int64_t ts_ns; /* packet time of the bytes being handed over */
};

/* Probe verdicts, best first wins. */
enum { PROTO_NO = 0, PROTO_PORT = 1, PROTO_CONTENT = 2 };

struct proto_out;

struct proto_parser {
    const char *name; /* "dns", "http", "tls" … */
    uint8_t l4;       /* 6 TCP, 17 UDP, 0 both */
    /*
     * Does this session speak the protocol?  Called with the first bytes seen in
     * direction dir (TCP: what has arrived so far in order, at most a few KiB;
     * UDP: the first datagram).  PROTO_CONTENT when the bytes say so (HTTP on
     * 8080), PROTO_PORT when only the port suggests it, PROTO_NO otherwise.
     * Must be cheap: it runs for every new session.
     */
    int (*probe)(const struct proto_ctx *c, int dir, const uint8_t *d, size_t n);
    size_t state_size; /* the dispatcher allocates this many zeroed bytes */
    /* Bytes of direction dir, in order.  Return 0 to go on, 1 when done with the session. */
    int (*data)(void *st, struct proto_out *o, const struct proto_ctx *c, int dir, const uint8_t *d,
                size_t n);
    /* TCP only: n bytes of direction dir were never seen (capture loss).  May be NULL. */
    void (*gap)(void *st, struct proto_out *o, const struct proto_ctx *c, int dir, uint64_t n);
    /* The session ended: write what is pending (unanswered queries …).  May be NULL. */
    void (*end)(void *st, struct proto_out *o, const struct proto_ctx *c);
    /* Free what the state holds (not the state itself).  May be NULL. */
    void (*release)(void *st);
};

/* ---------------------------------------------------------------- writing records */

void proto_begin(struct proto_out *o, const char *type);
void proto_end(struct proto_out *o);
void proto_item_begin(struct proto_out *o, const char *path);
void proto_item_end(struct proto_out *o);
/* Text (bytes that are not printable UTF-8 are escaped as \xNN by the sink). */
void proto_str(struct proto_out *o, const char *name, const char *s, size_t n);
void proto_cstr(struct proto_out *o, const char *name, const char *s);
void proto_int(struct proto_out *o, const char *name, int64_t v);
void proto_bool(struct proto_out *o, const char *name, int v);
/* Bytes as lowercase hex (hashes, fingerprints). */
void proto_hex(struct proto_out *o, const char *name, const uint8_t *b, size_t n);
/* Something odd in the input ("dns.name_loop"); counted per run, not per session. */
void proto_anomaly(struct proto_out *o, const char *name);
/*
 * Hand the rest of this TCP session to another parser by name ("tls"), e.g.
 * after HTTP CONNECT or STARTTLS.  The current parser gets no more data once
 * its data call returns; the new one starts with the next bytes of both directions.
 */
void proto_switch(struct proto_out *o, const char *parser);

/* ---------------------------------------------------------------- the sink */

enum proto_vkind { PROTO_V_STR = 0, PROTO_V_INT = 1, PROTO_V_BOOL = 2 };

/* One indexed value of a finished record. */
struct proto_val {
    const char *path; /* full dotted path, owned by the record */
    const char *text; /* value as text (integers in decimal, booleans "true"/"false") */
    int64_t num;      /* integers and booleans */
    uint8_t kind;     /* enum proto_vkind */
};

/*
 * A finished record: its type, its JSON object (ECS nesting) and its indexed values.
 * One allocation holds it all: mem is its start (the vals array), json, type, paths and
 * texts point inside it; proto_rec_free frees mem.
 */
struct proto_rec {
    char *type;
    char *json; /* {"dns":{…}} — one JSON object, NUL-terminated */
    struct proto_val *vals;
    size_t nvals;
    char *mem; /* owns the block */
};

#define PROTO_REC_MAX_BYTES (64 * 1024) /* values of one record */
#define PROTO_REC_MAX_VALUES 2048
#define PROTO_MAX_DEPTH 4 /* nested open records */
#define PROTO_MAX_ITEMS 8 /* nested items inside one record */

struct proto_open; /* a record being written (private) */
struct proto_pool; /* buffers reused from record to record (private) */

struct proto_out {
    struct proto_open *open[PROTO_MAX_DEPTH];
    int depth;
    /* Working buffers of open and finished records, kept for the next record.  Set it to a
     * pool shared by the sinks of one thread (proto_pool_new) so that a session writing one
     * record does not grow fresh buffers; NULL: the sink makes its own on first use. */
    struct proto_pool *pool;
    int own_pool;
    /* finished records, in the order they were ended; the owner takes them */
    struct proto_rec *recs;
    size_t nrecs, recs_alloc, max_recs;
    /* anomaly counts (names are static strings from the parsers) */
    const char *anom_name[16];
    uint64_t anom_count[16];
    size_t nanom;
    uint64_t dropped_values, dropped_records;
    const char *switch_to; /* set by proto_switch, read and cleared by the dispatcher */
};

/* A pool for the sinks of one thread; it must outlive them.  NULL when out of memory. */
struct proto_pool *proto_pool_new(void);
void proto_pool_free(struct proto_pool *p);

/* max_recs: records kept per sink before new ones are dropped (0 = 10,000). */
void proto_out_init(struct proto_out *o, size_t max_recs);
/* Drops open records and frees every finished one. */
void proto_out_release(struct proto_out *o);
/* Free the finished records (keeps anomaly counts). */
void proto_out_clear(struct proto_out *o);
void proto_rec_free(struct proto_rec *r);

/* For tests and tools: first value of path in finished record i (NULL when absent). */
const char *proto_out_get(const struct proto_out *o, size_t i, const char *path);
/* Number of values of path in record i. */
size_t proto_out_count(const struct proto_out *o, size_t i, const char *path);
/* The k-th value of path in record i, or NULL. */
const char *proto_out_get_nth(const struct proto_out *o, size_t i, const char *path, size_t k);
/* Index of the first finished record of this type at or after `from`, or -1. */
long proto_out_find(const struct proto_out *o, const char *type, size_t from);
/* Count of one anomaly name so far. */
uint64_t proto_out_anomaly(const struct proto_out *o, const char *name);

#endif
