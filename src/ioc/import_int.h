/* import_int.h — what the importers share (not part of the ioc interface). */
#ifndef KONSEKI_IOC_IMPORT_INT_H
#define KONSEKI_IOC_IMPORT_INT_H

#include "ioc/ioc.h"
#include "ioc/json.h"

#include <stddef.h>
#include <stdint.h>

#define IMP_SEEN_MAX (1u << 24) /* distinct (type, value, source) kept for duplicate checks */

struct imp_seen {
    uint64_t *hash; /* open addressing; 0 = empty */
    size_t n, alloc;
};

/* One import in progress. */
struct imp {
    const uint8_t *data;
    size_t len;
    const char *file;        /* for messages */
    const char *file_source; /* what the file says its source is (may be NULL) */
    const struct ioc_import_opts *o;
    ioc_emit_fn emit;
    void *ctx;
    struct ioc_import_report *rep;
    struct imp_seen seen;
    int stop;                 /* the emitter's non-zero return */
    char base[128];           /* file name without its folders: the last-resort source */
    size_t line_off, line_no; /* imp_line_of's last answer (offsets mostly increase) */
};

/* Metadata that goes with a value. */
struct imp_meta {
    const char *source; /* overrides the file's source (Zeek meta.source, a CSV column) */
    const char *desc, *ref;
    int64_t published_ns, valid_until_ns;
};

void imp_problem(struct imp *im, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Line number (1-based) of a byte offset into the input. */
size_t imp_line_of(struct imp *im, size_t offset);
/* Normalise value as type and emit it (counting, de-duplicating); an invalid value is
 * reported at line.  0, or -1 when the value was invalid.  im->stop is set to stop. */
int imp_value(struct imp *im, int type, const char *v, size_t n, const struct imp_meta *m,
              size_t line);
/*
 * A value whose type is given by name in the feed (MISP attribute types, ThreatFox ioc_type,
 * generic CSV): composite MISP types are split ("ip-dst|port" -> the address, "filename|sha256"
 * -> the hash, "domain|ip" -> both).  Unknown types count as unsupported.
 */
void imp_typed(struct imp *im, const char *type_name, const char *v, size_t n,
               const struct imp_meta *m, size_t line);
/* Time in a feed: RFC 3339 / "YYYY-MM-DD[ HH:MM:SS]" (UTC) / epoch seconds; 0 when unknown. */
int64_t imp_time(const char *s);

/* One line of the input. */
struct imp_line {
    const char *p;
    size_t n, no, offset;
};
/* Next line (CR LF and LF; a final line without newline counts).  0 at the end. */
int imp_next_line(const struct imp *im, size_t *pos, size_t *no, struct imp_line *l);
/* Drop leading and trailing white space. */
void imp_trim(const char **p, size_t *n);

int imp_json(struct imp *im);
/* Suricata rules (import_suricata.c): is this line a rule?  And the whole file's import. */
int imp_suricata_rule_line(const char *p, size_t n);
int imp_suricata(struct imp *im);
int imp_stix(struct imp *im, const struct json *j, int root, int embedded);
int imp_misp(struct imp *im, const struct json *j, int root);

#endif
